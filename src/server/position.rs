//! Byte offsets to LSP positions and back, in the negotiated encoding.
//!
//! The engine speaks byte ranges into the buffer; an editor speaks (line, character) where a
//! character is a UTF-16 code unit unless both sides agreed on UTF-8 bytes. A line ends at
//! `\n`; a `\r` before it belongs to the line's end, never to a column. A UTF-8 BOM is part of
//! the first line's bytes as the engine sees them, and an editor that does not show it still
//! counts it as one UTF-16 unit (U+FEFF), so the conversion needs no special case.

use lsp_types::Position;

/// The unit of a position's `character`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Where each line of a buffer starts: built once per buffer, queried per finding.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Byte offset of the start of every line; the first is 0.
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|at| at + 1));
        LineIndex {
            starts,
            len: bytes.len(),
        }
    }

    /// The position of byte `offset` (clamped to the buffer; inside a multi-byte character it
    /// counts the character's start).
    pub fn position(&self, bytes: &[u8], offset: usize, encoding: Encoding) -> Position {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let start = self.starts[line];
        let character = match encoding {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => utf16_units(&bytes[start..offset]),
        };
        Position::new(to_u32(line), to_u32(character))
    }

    /// The byte offset of `position`. A character past the line's end is the line's end (its
    /// `\r\n` or `\n` excluded), a line past the last is the buffer's end, as LSP asks; a
    /// position inside a character (half of a surrogate pair, a byte inside a UTF-8 sequence)
    /// is the end of that character.
    pub fn offset(&self, bytes: &[u8], position: Position, encoding: Encoding) -> usize {
        let line = position.line as usize;
        let Some(&start) = self.starts.get(line) else {
            return self.len;
        };
        let end = self.line_range(bytes, line).end;
        let wanted = position.character as usize;
        let text = &bytes[start..end];
        match encoding {
            Encoding::Utf8 => {
                let mut at = wanted.min(text.len());
                while at < text.len() && is_continuation(text[at]) {
                    at += 1;
                }
                start + at
            }
            Encoding::Utf16 => {
                let mut units = 0;
                let mut at = 0;
                while at < text.len() && units < wanted {
                    let width = utf8_width(text[at]);
                    units += if width == 4 { 2 } else { 1 };
                    at = (at + width).min(text.len());
                }
                start + at
            }
        }
    }

    /// The range of the byte range `range`.
    pub fn range(
        &self,
        bytes: &[u8],
        range: std::ops::Range<usize>,
        encoding: Encoding,
    ) -> lsp_types::Range {
        lsp_types::Range::new(
            self.position(bytes, range.start, encoding),
            self.position(bytes, range.end, encoding),
        )
    }

    /// The byte range of line `line` without its line ending.
    pub fn line_range(&self, bytes: &[u8], line: usize) -> std::ops::Range<usize> {
        let start = self.starts.get(line).copied().unwrap_or(self.len);
        let mut end = self.starts.get(line + 1).map_or(self.len, |next| next - 1);
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end
    }

    /// The 0-based line that holds byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&start| start <= offset.min(self.len))
            - 1
    }
}

/// UTF-16 code units of `bytes`; invalid UTF-8 counts one unit per byte that starts nothing,
/// as an editor shows it (U+FFFD).
fn utf16_units(bytes: &[u8]) -> usize {
    let mut units = 0;
    let mut at = 0;
    while at < bytes.len() {
        let width = utf8_width(bytes[at]);
        units += if width == 4 { 2 } else { 1 };
        at += width;
    }
    units
}

/// The length of the UTF-8 sequence that `lead` starts (1 for a stray byte).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str, needle: &str, encoding: Encoding) -> (Position, Position) {
        let bytes = text.as_bytes();
        let index = LineIndex::new(bytes);
        let start = text.find(needle).expect("needle");
        let end = start + needle.len();
        let range = index.range(bytes, start..end, encoding);
        assert_eq!(index.offset(bytes, range.start, encoding), start);
        assert_eq!(index.offset(bytes, range.end, encoding), end);
        (range.start, range.end)
    }

    #[test]
    fn ascii() {
        let (start, end) = round_trip(
            "a: 1\nimage: k8s.gcr.io/pause\n",
            "k8s.gcr.io",
            Encoding::Utf16,
        );
        assert_eq!((start, end), (Position::new(1, 7), Position::new(1, 17)));
    }

    #[test]
    fn multi_byte_before_the_host() {
        let text = "# café\nx: café k8s.gcr.io/a\n";
        let (start, end) = round_trip(text, "k8s.gcr.io", Encoding::Utf16);
        assert_eq!((start, end), (Position::new(1, 8), Position::new(1, 18)));
        let (start, end) = round_trip(text, "k8s.gcr.io", Encoding::Utf8);
        assert_eq!((start, end), (Position::new(1, 9), Position::new(1, 19)));
    }

    #[test]
    fn astral_plane_counts_two_units() {
        let text = "x: \u{1F680} k8s.gcr.io/a\n";
        let (start, _) = round_trip(text, "k8s.gcr.io", Encoding::Utf16);
        assert_eq!(start, Position::new(0, 6));
        let (start, _) = round_trip(text, "k8s.gcr.io", Encoding::Utf8);
        assert_eq!(start, Position::new(0, 8));
        // Half of the surrogate pair is the end of the character.
        let index = LineIndex::new(text.as_bytes());
        assert_eq!(
            index.offset(text.as_bytes(), Position::new(0, 4), Encoding::Utf16),
            7
        );
    }

    #[test]
    fn crlf_lines() {
        let text = "a: 1\r\nimage: k8s.gcr.io/pause\r\nb: 2";
        let (start, end) = round_trip(text, "k8s.gcr.io", Encoding::Utf16);
        assert_eq!((start, end), (Position::new(1, 7), Position::new(1, 17)));
        let index = LineIndex::new(text.as_bytes());
        // Past the end of a line: the line's end, before its `\r\n`.
        assert_eq!(
            index.offset(text.as_bytes(), Position::new(0, 99), Encoding::Utf16),
            4
        );
        assert_eq!(index.line_range(text.as_bytes(), 1), 6..29);
        // Past the last line: the buffer's end.
        assert_eq!(
            index.offset(text.as_bytes(), Position::new(9, 0), Encoding::Utf16),
            text.len()
        );
    }

    #[test]
    fn bom_is_one_unit_of_the_first_line() {
        let text = "\u{FEFF}image: k8s.gcr.io/a\n";
        let (start, _) = round_trip(text, "k8s.gcr.io", Encoding::Utf16);
        assert_eq!(start, Position::new(0, 8));
        let (start, _) = round_trip(text, "k8s.gcr.io", Encoding::Utf8);
        assert_eq!(start, Position::new(0, 10));
    }

    #[test]
    fn end_of_buffer_and_empty_buffer() {
        let index = LineIndex::new(b"");
        assert_eq!(index.position(b"", 0, Encoding::Utf16), Position::new(0, 0));
        let text = b"a\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, 2, Encoding::Utf16),
            Position::new(1, 0)
        );
    }
}
