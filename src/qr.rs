//! QR codes of class links, for print: the module grid (the posters draw it as vector squares),
//! a PNG at least [`MIN_PIXELS`] wide, and an SVG. Pure: no files, no I/O.

use qrcode::types::Color;
use qrcode::{EcLevel, QrCode};

/// Light modules around the code; the QR standard asks for four, and phone cameras need them to
/// find the code on a busy stand.
pub const QUIET_ZONE: usize = 4;

/// The PNG's least width in pixels: sharp when printed 8–10 cm wide at 300 dpi.
pub const MIN_PIXELS: usize = 1000;

/// Quartile (25% of the code can be lost) rather than the usual Medium: posters get scratched,
/// folded and shot through glossy stands. A class link still fits a small version (≤ 6).
const LEVEL: EcLevel = EcLevel::Q;

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the link {link:?} cannot be made into a QR code: {source}")]
    Encode { link: String, source: qrcode::types::QrError },
    #[error("cannot encode the QR code as PNG: {0}")]
    Png(#[from] png::EncodingError),
}

/// A link encoded as a QR code.
pub struct Qr {
    code: QrCode,
}

impl Qr {
    pub fn new(link: &str) -> Result<Qr, QrError> {
        let code = QrCode::with_error_correction_level(link, LEVEL)
            .map_err(|source| QrError::Encode { link: link.to_string(), source })?;
        Ok(Qr { code })
    }

    /// Modules per side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.code.width()
    }

    /// Modules per side, quiet zone included: the square a printed code needs.
    pub fn width_with_quiet_zone(&self) -> usize {
        self.width() + 2 * QUIET_ZONE
    }

    /// Whether the module in column `x`, row `y` (without the quiet zone) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.code[(x, y)] == Color::Dark
    }

    /// Pixels per module so the PNG is at least [`MIN_PIXELS`] wide; whole pixels keep edges sharp.
    fn pixels_per_module(&self) -> usize {
        MIN_PIXELS.div_ceil(self.width_with_quiet_zone())
    }

    /// A black-and-white PNG, quiet zone included, at least [`MIN_PIXELS`] wide.
    pub fn png(&self) -> Result<Vec<u8>, QrError> {
        let scale = self.pixels_per_module();
        let side = self.width_with_quiet_zone() * scale;
        // One bit per pixel (1 = white): an eighth of a greyscale image to compress, which counts
        // when a region exports 30,000 of them.
        let row_bytes = side.div_ceil(8);
        let mut pixels = Vec::with_capacity(row_bytes * side);
        for y in 0..self.width_with_quiet_zone() {
            let mut row = vec![0u8; row_bytes];
            for px in 0..side {
                if !self.is_dark_with_quiet_zone(px / scale, y) {
                    row[px / 8] |= 0x80 >> (px % 8);
                }
            }
            // A module is `scale` identical pixel rows.
            for _ in 0..scale {
                pixels.extend_from_slice(&row);
            }
        }
        let mut out = Vec::new();
        let side = u32::try_from(side).expect("a QR code is at most 177 modules");
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
        Ok(out)
    }

    /// An SVG with a `viewBox`, quiet zone included; as wide as the PNG, but it scales to any size.
    pub fn svg(&self) -> String {
        let scale = u32::try_from(self.pixels_per_module()).expect("a few dozen pixels");
        self.code.render::<qrcode::render::svg::Color>().quiet_zone(true).module_dimensions(scale, scale).build()
    }

    /// Like [`Qr::is_dark`], in coordinates that include the quiet zone.
    fn is_dark_with_quiet_zone(&self, x: usize, y: usize) -> bool {
        let inside = |v: usize| (QUIET_ZONE..QUIET_ZONE + self.width()).contains(&v);
        inside(x) && inside(y) && self.is_dark(x - QUIET_ZONE, y - QUIET_ZONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://t.me/anketa_region_bot?start=Ab3dE6gH9kLm";

    /// Decodes a PNG the way a phone would: find the code in the picture, read it.
    fn decode_png(png_bytes: &[u8]) -> (usize, usize, String) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Grayscale, png::BitDepth::Eight));
        let (w, h) = (info.width as usize, info.height as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * info.line_size + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the picture");
        let (_, content) = grids[0].decode().unwrap();
        (w, h, content)
    }

    #[test]
    fn the_png_is_print_sized_and_decodes_to_the_link() {
        let qr = Qr::new(LINK).unwrap();
        let (w, h, content) = decode_png(&qr.png().unwrap());
        assert!(w >= MIN_PIXELS && w == h, "{w}×{h}");
        assert_eq!(content, LINK);
    }

    #[test]
    fn the_png_has_a_quiet_zone_of_four_modules() {
        let qr = Qr::new(LINK).unwrap();
        let scale = qr.pixels_per_module();
        let png = qr.png().unwrap();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(&png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let side = info.width as usize;
        let border = QUIET_ZONE * scale;
        let pixel = |x: usize, y: usize| buf[y * info.line_size + x];
        for a in 0..side {
            for b in 0..border {
                for (x, y) in [(a, b), (b, a), (a, side - 1 - b), (side - 1 - b, a)] {
                    assert_eq!(pixel(x, y), 255, "light quiet zone at {x},{y}");
                }
            }
        }
        // The finder pattern's corner starts right after the quiet zone.
        assert_eq!(pixel(border, border), 0);
    }

    #[test]
    fn the_error_correction_survives_print_damage() {
        let qr = Qr::new(LINK).unwrap();
        assert!(qr.code.error_correction_level() >= EcLevel::M);
    }

    #[test]
    fn the_svg_has_a_view_box_and_one_square_per_dark_module() {
        let qr = Qr::new(LINK).unwrap();
        let svg = qr.svg();
        let side = qr.width_with_quiet_zone() * qr.pixels_per_module();
        assert!(svg.starts_with("<?xml"), "{svg}");
        assert!(svg.contains(&format!(r#"viewBox="0 0 {side} {side}""#)), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        let dark = (0..qr.width()).flat_map(|y| (0..qr.width()).map(move |x| (x, y)));
        let dark = dark.filter(|&(x, y)| qr.is_dark(x, y)).count();
        let path = svg.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(path.matches('M').count(), dark);
        // The first square is the finder pattern's corner, right after the quiet zone.
        let offset = QUIET_ZONE * qr.pixels_per_module();
        assert!(path.starts_with(&format!("M{offset} {offset}h")), "{path}");
    }

    #[test]
    fn the_longest_bot_username_still_fits() {
        let link = format!("https://t.me/{}?start=Ab3dE6gH9kLm", "b".repeat(32));
        let qr = Qr::new(&link).unwrap();
        let (_, _, content) = decode_png(&qr.png().unwrap());
        assert_eq!(content, link);
    }
}
