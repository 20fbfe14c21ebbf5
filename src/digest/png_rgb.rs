//! The chart's PNG, written by hand for speed: 8-bit RGB in one IDAT chunk, each row filtered
//! with `Up` when it repeats the row above (between grid lines, bars are vertical: half of a
//! chart's rows) and with Paeth otherwise, which leaves zeros wherever the picture is flat, and
//! compressed as runs of zeros and literals ([`ZlibRuns`]). The `png` crate's streaming writer
//! copied each row and wrote 8 bytes at a time through a chunk writer, half of a chart's
//! encoding (BENCHMARKS.md, digests).

use super::zlib_runs::ZlibRuns;

/// The PNG file signature.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// PNG's row filter types.
const FILTER_UP: u8 = 2;
const FILTER_PAETH: u8 = 4;
/// Bytes per pixel.
const RGB: usize = 3;

/// `pixels` (RGB, `width` × `height`, row by row) as a PNG.
pub fn encode(pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    let stride = width as usize * RGB;
    debug_assert_eq!(pixels.len(), stride * height as usize);
    let mut png = Vec::with_capacity(128 * 1024);
    png.extend_from_slice(&SIGNATURE);
    let mut header = [0; 13];
    header[..4].copy_from_slice(&width.to_be_bytes());
    header[4..8].copy_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header[8..].copy_from_slice(&[8, 2, 0, 0, 0]);
    let start = begin_chunk(&mut png, b"IHDR");
    png.extend_from_slice(&header);
    end_chunk(&mut png, start);
    let start = begin_chunk(&mut png, b"IDAT");
    compress(&mut png, pixels, stride);
    end_chunk(&mut png, start);
    let start = begin_chunk(&mut png, b"IEND");
    end_chunk(&mut png, start);
    png
}

/// Starts a chunk of type `kind`; its length is filled in by [`end_chunk`].
fn begin_chunk(png: &mut Vec<u8>, kind: &[u8; 4]) -> usize {
    let start = png.len();
    png.extend_from_slice(&[0; 4]);
    png.extend_from_slice(kind);
    start
}

/// Ends the chunk begun at `start`: its length, and the CRC of its type and data.
fn end_chunk(png: &mut Vec<u8>, start: usize) {
    let length = (png.len() - start - 8) as u32;
    png[start..start + 4].copy_from_slice(&length.to_be_bytes());
    let crc = crc32fast::hash(&png[start + 4..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// The image's rows, filtered, as one zlib stream appended to `out`.
fn compress(out: &mut Vec<u8>, pixels: &[u8], stride: usize) {
    let mut compressor = ZlibRuns::new(out);
    let mut filtered = vec![0; 1 + stride];
    filtered[0] = FILTER_PAETH;
    let zeros = vec![0; stride];
    let mut above: &[u8] = &zeros;
    for row in pixels.chunks_exact(stride) {
        if row == above {
            // `Up` of a repeated row is all zeros: nothing to work out or to look at.
            compressor.write(&[FILTER_UP]);
            compressor.write_zeros(stride);
        } else {
            paeth(&mut filtered[1..], row, above);
            compressor.write(&filtered);
        }
        above = row;
    }
    compressor.finish();
}

/// Each byte of `row` less its Paeth prediction from the pixel to the left, the one above and
/// the one above left (zero outside the image), into `out`.
fn paeth(out: &mut [u8], row: &[u8], above: &[u8]) {
    // The first pixel has nothing to its left: its prediction is the pixel above.
    for i in 0..RGB {
        out[i] = row[i].wrapping_sub(above[i]);
    }
    // Most of a chart is background: where a span equals the one above it and its left
    // neighbours equal theirs (x = b, a = c), or equals its left neighbours and the span above
    // does too (x = a, b = c), Paeth predicts every byte exactly. Compared 16 bytes at a time;
    // the rest, text and edges, worked out byte by byte.
    const SPAN: usize = 16;
    let load = |bytes: &[u8], at: usize| u128::from_ne_bytes(bytes[at..at + SPAN].try_into().unwrap_or_default());
    let mut at = RGB;
    while at + SPAN <= row.len() {
        let (x, a, b, c) = (load(row, at), load(row, at - RGB), load(above, at), load(above, at - RGB));
        let span = at..at + SPAN;
        let left = at - RGB..at - RGB + SPAN;
        if (x == b && a == c) || (x == a && b == c) {
            out[span].fill(0);
        } else {
            paeth_span(&mut out[span.clone()], &row[span.clone()], &row[left.clone()], &above[span], &above[left]);
        }
        at += SPAN;
    }
    let end = row.len();
    paeth_span(&mut out[at..], &row[at..], &row[at - RGB..end - RGB], &above[at..], &above[at - RGB..end - RGB]);
}

/// Paeth over equal slices: each byte `x` less its prediction from `a` (left), `b` (above) and
/// `c` (above left). Independent lanes, which the compiler vectorises.
fn paeth_span(out: &mut [u8], x: &[u8], a: &[u8], b: &[u8], c: &[u8]) {
    for ((((out, &x), &a), &b), &c) in out.iter_mut().zip(x).zip(a).zip(b).zip(c) {
        let (a16, b16, c16) = (i16::from(a), i16::from(b), i16::from(c));
        let pa = (b16 - c16).abs();
        let pb = (a16 - c16).abs();
        let pc = (a16 + b16 - 2 * c16).abs();
        let prediction = if pa <= pb && pa <= pc {
            a
        } else if pb <= pc {
            b
        } else {
            c
        };
        *out = x.wrapping_sub(prediction);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((frame.color_type, frame.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
        (frame.width, frame.height, pixels)
    }

    #[test]
    fn decodes_to_the_same_pixels() {
        // Repeated rows, rows of noise and a row of one colour: every filter path and both
        // kinds of fdeflate output (runs and literals).
        let (width, height) = (37, 9);
        let mut pixels = Vec::new();
        let mut seed = 7u32;
        for y in 0..height {
            for x in 0..width * 3 {
                pixels.push(match y {
                    0 | 1 => 255,
                    2 | 5 => {
                        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                        (seed >> 16) as u8
                    }
                    _ => (x * 7 + y) as u8,
                });
            }
        }
        let png = encode(&pixels, width, height);
        assert_eq!(decoded(&png), (width, height, pixels));
    }

    #[test]
    fn paeth_predicts_as_the_png_specification_says() {
        let predict = |a: u8, b: u8, c: u8| {
            let p = i16::from(a) + i16::from(b) - i16::from(c);
            let (pa, pb, pc) = ((p - i16::from(a)).abs(), (p - i16::from(b)).abs(), (p - i16::from(c)).abs());
            if pa <= pb && pa <= pc {
                a
            } else if pb <= pc {
                b
            } else {
                c
            }
        };
        // Noise, then a stretch equal to the row above, then one equal to its left neighbours: both
        // shortcuts and the byte-by-byte path, and a tail shorter than a span.
        let noise: Vec<u8> = (0..=255u8).step_by(5).chain((0..=255u8).rev().step_by(3)).take(99).collect();
        let mut row = noise.clone();
        row.extend([200; 48]);
        row.extend([9, 8, 7].repeat(20));
        row.extend(&noise[..13]);
        let mut above: Vec<u8> = noise.iter().map(|v| v.wrapping_mul(31).wrapping_add(9)).collect();
        above.extend([200; 48]);
        above.extend([1; 60]);
        above.extend(&noise[..13]);
        let mut out = vec![0; row.len()];
        paeth(&mut out, &row, &above);
        for i in 0..row.len() {
            let (a, c) = if i < 3 { (0, 0) } else { (row[i - 3], above[i - 3]) };
            assert_eq!(out[i], row[i].wrapping_sub(predict(a, above[i], c)), "byte {i}");
        }
    }
}
