//! The zlib stream of a chart's filtered rows, which are zeros but for the edges of bars, lines
//! and letters: each run of zeros as copies of the byte before (matches at distance 1), every
//! other byte as a literal, in one block of deflate's fixed code. A run is found 32 bytes at a
//! time, or not looked at when the caller knows it (a repeated row), and its Adler-32 checksum
//! is one multiplication. fdeflate, which this replaces, looked at every byte of a chart's
//! 2.5 MB (a fifth of a digest round's time, BENCHMARKS.md, digests).

/// Adler-32's modulus.
const ADLER_MOD: u64 = 65_521;
/// The longest match deflate has.
const LONGEST: usize = 258;
/// The end-of-block symbol.
const END_OF_BLOCK: usize = 256;

/// A code as it goes into the stream (bit-reversed, as deflate sends Huffman codes first bit
/// first into a stream filled from the low bit) and its length in bits.
#[derive(Clone, Copy)]
struct Code {
    bits: u32,
    length: u32,
}

/// Deflate's fixed code for literals, lengths and the end of a block (RFC 1951, 3.2.6).
const FIXED: [Code; 288] = {
    let mut codes = [Code { bits: 0, length: 0 }; 288];
    let mut symbol = 0;
    while symbol < 288 {
        let (first_code, first_symbol, length) = match symbol {
            0..=143 => (0x30, 0, 8),
            144..=255 => (0x190, 144, 9),
            256..=279 => (0, 256, 7),
            _ => (0xc0, 280, 8),
        };
        let code = first_code + (symbol - first_symbol) as u32;
        codes[symbol] = Code { bits: code.reverse_bits() >> (32 - length), length };
        symbol += 1;
    }
    codes
};

/// For each match length 3..=258: its length symbol, its extra bits and distance 1's code (five
/// zero bits) as one run of bits.
const MATCH_AT_1: [Code; LONGEST + 1] = {
    // The first length of each length symbol 257..=285 and its extra bits (RFC 1951, 3.2.5).
    const BASES: [(usize, u32); 29] = [
        (3, 0),
        (4, 0),
        (5, 0),
        (6, 0),
        (7, 0),
        (8, 0),
        (9, 0),
        (10, 0),
        (11, 1),
        (13, 1),
        (15, 1),
        (17, 1),
        (19, 2),
        (23, 2),
        (27, 2),
        (31, 2),
        (35, 3),
        (43, 3),
        (51, 3),
        (59, 3),
        (67, 4),
        (83, 4),
        (99, 4),
        (115, 4),
        (131, 5),
        (163, 5),
        (195, 5),
        (227, 5),
        (258, 0),
    ];
    let mut matches = [Code { bits: 0, length: 0 }; LONGEST + 1];
    let mut index = 0;
    while index < BASES.len() {
        let (base, extra) = BASES[index];
        let code = FIXED[257 + index];
        // Up to the next symbol's first length (258 has a symbol of its own).
        let last = if index + 1 < BASES.len() { BASES[index + 1].0 - 1 } else { LONGEST };
        let mut length = base;
        while length <= last {
            let bits = code.bits | (((length - base) as u32) << code.length);
            matches[length] = Code { bits, length: code.length + extra + 5 };
            length += 1;
        }
        index += 1;
    }
    matches
};

/// A zlib stream being written to a buffer.
pub struct ZlibRuns<'a> {
    out: &'a mut Vec<u8>,
    /// Bits not yet written, from the low end, and how many.
    pending: u64,
    pending_bits: u32,
    /// The last byte of the data, which a match at distance 1 copies (`None`: no data yet).
    last: Option<u8>,
    /// Adler-32's two sums, reduced after each write.
    sum: u64,
    sum_of_sums: u64,
}

impl<'a> ZlibRuns<'a> {
    /// Starts the stream: the zlib header and a final block in the fixed code.
    pub fn new(out: &'a mut Vec<u8>) -> ZlibRuns<'a> {
        // Deflate with a 32 KB window, no dictionary, and the header's check bits.
        out.extend_from_slice(&[0x78, 0x01]);
        let mut zlib = ZlibRuns { out, pending: 0, pending_bits: 0, last: None, sum: 1, sum_of_sums: 0 };
        // BFINAL = 1, BTYPE = 01 (fixed code).
        zlib.put(0b011, 3);
        zlib
    }

    /// Appends `data` to the stream.
    pub fn write(&mut self, data: &[u8]) {
        // 64 KB at a time between reductions of the sums: they stay below 2^41.
        for piece in data.chunks(1 << 16) {
            self.write_piece(piece);
        }
    }

    fn write_piece(&mut self, data: &[u8]) {
        let mut at = 0;
        while let Some(&byte) = data.get(at) {
            if byte == 0 {
                let zeros = leading_zeros(&data[at..]);
                self.zeros(zeros);
                at += zeros;
            } else {
                self.sum += u64::from(byte);
                self.sum_of_sums += self.sum;
                self.literal(byte);
                at += 1;
            }
        }
        self.sum %= ADLER_MOD;
        self.sum_of_sums %= ADLER_MOD;
    }

    /// Appends `count` zeros, as [`ZlibRuns::write`] would without looking at them.
    pub fn write_zeros(&mut self, count: usize) {
        if count > 0 {
            self.zeros(count);
            self.sum_of_sums %= ADLER_MOD;
        }
    }

    /// Ends the block and the stream: the end-of-block symbol, the last bits padded to a byte,
    /// and the checksum.
    pub fn finish(mut self) {
        let end = FIXED[END_OF_BLOCK];
        self.put(end.bits, end.length);
        let bytes = self.pending_bits.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.pending.to_le_bytes()[..bytes]);
        let checksum = (self.sum_of_sums << 16 | self.sum) as u32;
        self.out.extend_from_slice(&checksum.to_be_bytes());
    }

    /// `count` zeros: copies of the zero before them, after a literal zero if there is none.
    fn zeros(&mut self, mut count: usize) {
        // Each zero adds nothing to the sum and the sum to the sum of sums.
        self.sum_of_sums += self.sum * (count as u64 % ADLER_MOD);
        if self.last != Some(0) {
            self.literal(0);
            count -= 1;
        }
        while count >= 3 {
            // Never leave one or two zeros after the longest match when a shorter one takes them.
            let length = if count > LONGEST && count < LONGEST + 3 { count - 3 } else { count.min(LONGEST) };
            let code = MATCH_AT_1[length];
            self.put(code.bits, code.length);
            count -= length;
        }
        for _ in 0..count {
            self.literal(0);
        }
    }

    fn literal(&mut self, byte: u8) {
        let code = FIXED[usize::from(byte)];
        self.put(code.bits, code.length);
        self.last = Some(byte);
    }

    /// Puts `length` (at most 32) bits, the first in the lowest bit of `bits`.
    fn put(&mut self, bits: u32, length: u32) {
        self.pending |= u64::from(bits) << self.pending_bits;
        self.pending_bits += length;
        if self.pending_bits >= 32 {
            self.out.extend_from_slice(&(self.pending as u32).to_le_bytes());
            self.pending >>= 32;
            self.pending_bits -= 32;
        }
    }
}

/// How many bytes at the start of `data` are zero: 32 at a time while they all are, then eight.
fn leading_zeros(data: &[u8]) -> usize {
    let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
    let mut zeros = 0;
    for block in data.chunks_exact(32) {
        if block.chunks_exact(8).fold(0, |any, bytes| any | word(bytes)) != 0 {
            break;
        }
        zeros += 32;
    }
    let mut words = data[zeros..].chunks_exact(8);
    for bytes in &mut words {
        let word = word(bytes);
        if word != 0 {
            return zeros + (word.trailing_zeros() / 8) as usize;
        }
        zeros += 8;
    }
    zeros + words.remainder().iter().take_while(|&&byte| byte == 0).count()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn inflated(stream: &[u8]) -> Vec<u8> {
        let mut data = Vec::new();
        flate2::read::ZlibDecoder::new(stream).read_to_end(&mut data).expect("a valid zlib stream");
        data
    }

    #[test]
    fn inflates_to_the_data_written_whatever_its_runs() {
        // Runs of every length around the longest match and its multiples, at the start of the
        // stream and after literals, written in pieces that cut runs in two.
        let mut data = Vec::new();
        for run in [0, 1, 2, 3, 4, 10, 257, 258, 259, 260, 261, 515, 516, 517, 3600] {
            data.extend(std::iter::repeat_n(0, run));
            data.extend([1, 255, 144, 143, 7]);
        }
        data.extend(std::iter::repeat_n(0, 1000));
        let mut seed = 11u32;
        data.extend((0..5000).map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            if seed >> 30 == 0 { (seed >> 16) as u8 } else { 0 }
        }));
        for pieces in [1, 7, 4096] {
            let mut stream = Vec::new();
            let mut zlib = ZlibRuns::new(&mut stream);
            for piece in data.chunks(data.len().div_ceil(pieces)) {
                // Zeros told as a count, or written out.
                match piece.iter().all(|&byte| byte == 0) {
                    true => zlib.write_zeros(piece.len()),
                    false => zlib.write(piece),
                }
            }
            zlib.finish();
            assert_eq!(inflated(&stream), data, "written in {pieces} pieces");
        }
    }

    #[test]
    fn an_empty_stream_is_valid() {
        let mut stream = Vec::new();
        ZlibRuns::new(&mut stream).finish();
        assert!(inflated(&stream).is_empty());
    }

    #[test]
    fn every_match_length_is_coded_as_deflate_says() {
        // Length 3, 10, 11 (one extra bit, 0), 12 (1), 257 (symbol 284, extra 30) and 258.
        let bits = |length: usize| (MATCH_AT_1[length].bits, MATCH_AT_1[length].length);
        let reversed = |code: u32, length: u32| code.reverse_bits() >> (32 - length);
        assert_eq!(bits(3), (reversed(1, 7), 7 + 5));
        assert_eq!(bits(10), (reversed(8, 7), 7 + 5));
        assert_eq!(bits(11), (reversed(9, 7), 7 + 1 + 5));
        assert_eq!(bits(12), (reversed(9, 7) | 1 << 7, 7 + 1 + 5));
        assert_eq!(bits(257), (reversed(0xc4, 8) | 30 << 8, 8 + 5 + 5));
        assert_eq!(bits(258), (reversed(0xc5, 8), 8 + 5));
    }
}
