//! A file as read from disk: its bytes, where its lines start, and the conversions from byte
//! offsets to the 1-based lines and Unicode-scalar columns shown at the output edge.

use std::ops::Range;
use std::sync::Mutex;

use memchr::memchr_iter;

use crate::carrier::Carrier;
use crate::origin::Origin;
use crate::path::RepoPath;

/// UTF-8 byte-order mark. It is kept byte-for-byte by fixes and is never counted as a column.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Files larger than this are listed in `skipped`, not read: on disk, in an archive, as a
/// kustomize base.
pub const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;
/// How [`MAX_FILE_SIZE`] is named in messages.
pub const MAX_FILE_SIZE_TEXT: &str = "10 MiB";

/// A NUL byte in this many leading bytes makes a file binary.
const BINARY_PROBE: usize = 8 * 1024;

/// Whether `bytes` are a binary file's: a NUL byte in the first 8 KiB.
pub fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some()
}

/// A located position, 1-based, columns counted in Unicode scalar values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    /// Exclusive: the column just after the last character of the span.
    pub end_column: usize,
}

/// How much of a long line an excerpt keeps before and after its span, so that a finding on
/// a 50 MB single-line file costs kilobytes, not megabytes.
const EXCERPT_BEFORE: usize = 8 * 1024;
const EXCERPT_AFTER: usize = 256;

/// The source lines that a span touches, for rendering a snippet without keeping the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Excerpt {
    /// 1-based number of the first line of `text`.
    pub first_line: usize,
    /// The lines, lossily decoded, without their final line break.
    pub text: String,
    /// The span, as a byte range into `text` (on char boundaries).
    pub span: Range<usize>,
    /// The start of the first line was cut off: columns cannot be derived from `text`.
    pub truncated_start: bool,
    /// File offset of the first byte of `text`, when `text` is exactly the file's bytes
    /// (valid UTF-8): then any byte range of the file inside it maps into `text`.
    pub start: Option<usize>,
    /// File offset where the first line of `text` starts: before a BOM, and before the part
    /// cut off when `truncated_start`.
    pub line_start: usize,
    /// File offset of the first byte of `text`, exact or not: up to the first replacement
    /// character, a lossy `text` holds the file's bytes from here.
    pub text_start: usize,
}

/// One file's bytes and line table. Spans elsewhere are byte ranges into `bytes`.
#[derive(Debug)]
pub struct SourceFile {
    pub path: RepoPath,
    pub bytes: Vec<u8>,
    /// What the file carries, chosen once from its name and place.
    pub carrier: Carrier,
    pub origin: Origin,
    lines: LineTable,
    /// Every byte is ASCII: a column is a byte count.
    ascii: bool,
    /// Some byte is a backslash.
    backslash: bool,
    /// Facts about the line of the last hit, for the next hit on the same line.
    memo: Mutex<LineMemo>,
    /// The lines that say `push`, found once when a hit first asks.
    push_lines: std::sync::OnceLock<Vec<Range<usize>>>,
}

/// Lines at least this long remember their facts: a minified file is one line of megabytes,
/// and each of its thousand hits must not read the whole line again.
const MEMO_MIN_LINE: usize = 4096;

/// A fact about one line that detection asks for once per hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineFact {
    /// Where a comment starts on the line, for files of this carrier.
    CommentStart(Carrier),
    /// The line names this host (whole tokens).
    NamesHost(String),
    /// The line is a TOML header of a registry mirror table.
    MirrorHeader,
    /// The mirror table whose header is this line names registry.k8s.io.
    MirrorTableNamesNewHost,
    /// The line is a metric sample; where its label set ends.
    MetricLabelsEnd,
}

/// What [`SourceFile`] remembers about its longest lines (see [`MEMO_MIN_LINE`]).
#[derive(Debug, Default)]
struct LineMemo {
    /// (line index, offset, column of that offset): the next column on the line counts on.
    column: Option<(usize, usize, usize)>,
    /// Facts about one line, all of the same line.
    line: usize,
    facts: Vec<(LineFact, Option<usize>)>,
}

impl SourceFile {
    /// A file whose carrier is told by its name alone (no chart around it).
    pub fn new(path: RepoPath, bytes: Vec<u8>) -> SourceFile {
        let carrier = Carrier::of(path.as_str(), None);
        Self::with_carrier(path, bytes, carrier)
    }

    pub fn with_carrier(path: RepoPath, bytes: Vec<u8>, carrier: Carrier) -> SourceFile {
        // One pass over the file, a cache-sized block at a time, for everything asked of
        // every byte: a large manifest read once from memory, not once per question.
        let mut lines = LineTable::with_capacity(bytes.len());
        let mut ascii = true;
        let mut backslash = false;
        for block in bytes.chunks(LINE_BLOCK) {
            lines.push_block(block);
            ascii &= block.is_ascii();
            backslash = backslash || memchr::memchr(b'\\', block).is_some();
        }
        SourceFile {
            path,
            bytes,
            carrier,
            origin: Origin::default(),
            lines,
            ascii,
            backslash,
            memo: Mutex::default(),
            push_lines: std::sync::OnceLock::new(),
        }
    }

    /// The lines that say `push` (`docker push`, `--push`), in order: a push target is
    /// judged by them, and a file with a thousand hits must not search itself a thousand times.
    pub fn push_lines(&self) -> &[Range<usize>] {
        self.push_lines.get_or_init(|| {
            let mut lines: Vec<Range<usize>> = Vec::new();
            for at in memchr::memmem::find_iter(&self.bytes, b"push") {
                if lines.last().is_some_and(|line| line.contains(&at)) {
                    continue;
                }
                lines.push(self.line_range_at(at));
            }
            lines
        })
    }

    /// Whether the file holds a backslash: without one, no quoted scalar holds an escape.
    pub fn has_backslash(&self) -> bool {
        self.backslash
    }

    pub fn with_origin(mut self, origin: Origin) -> SourceFile {
        self.origin = origin;
        self
    }

    /// Whether the YAML parser should try this file: YAML and JSON, and YAML-named templates
    /// (a template that happens to parse gets structure; one that does not is not an error).
    pub fn parses_as_yaml(&self) -> bool {
        self.carrier.is_yaml_like()
            || (self.carrier == Carrier::GoTemplate
                && [".yaml", ".yml"]
                    .iter()
                    .any(|extension| self.path.as_str().to_ascii_lowercase().ends_with(extension)))
    }

    /// Whether the file starts with a UTF-8 byte-order mark.
    pub fn has_bom(&self) -> bool {
        self.bytes.starts_with(UTF8_BOM)
    }

    /// The 0-based index of the line holding `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        self.lines.index_of(&self.bytes, offset)
    }

    /// Byte range of the 0-based line `index`, without its `\n` or `\r\n`.
    pub fn line_range(&self, index: usize) -> Range<usize> {
        let start = self.lines.start_of(&self.bytes, index);
        // From the next line's start, not by searching this line: a minified file is one
        // line of megabytes, asked about once per hit.
        let end = if index + 1 < self.lines.count() {
            self.lines.start_of(&self.bytes, index + 1) - 1
        } else {
            self.bytes.len()
        };
        self.trim_cr(start..end)
    }

    /// The line before `line` (a range from [`Self::line_range`]), found from its bytes: for
    /// walking lines one by one, which the line table does not make cheap.
    pub fn previous_line(&self, line: &Range<usize>) -> Option<Range<usize>> {
        let end = line.start.checked_sub(1)?;
        let start = memchr::memrchr(b'\n', &self.bytes[..end]).map_or(0, |newline| newline + 1);
        Some(self.trim_cr(start..end))
    }

    /// The line after `line` (a range from [`Self::line_range`]).
    pub fn next_line(&self, line: &Range<usize>) -> Option<Range<usize>> {
        let newline = line.end + memchr::memchr(b'\n', &self.bytes[line.end..])?;
        let start = newline + 1;
        let end =
            memchr::memchr(b'\n', &self.bytes[start..]).map_or(self.bytes.len(), |end| start + end);
        Some(self.trim_cr(start..end))
    }

    fn trim_cr(&self, line: Range<usize>) -> Range<usize> {
        match line.end.checked_sub(1) {
            Some(last) if last >= line.start && self.bytes[last] == b'\r' => line.start..last,
            _ => line,
        }
    }

    /// Byte range of the line that holds `offset` (without the line break).
    pub fn line_range_at(&self, offset: usize) -> Range<usize> {
        self.line_range(self.line_index(offset))
    }

    pub fn line_count(&self) -> usize {
        self.lines.count()
    }

    /// 1-based (line, column) of a byte offset.
    pub fn line_column_at(&self, offset: usize) -> (usize, usize) {
        let index = self.line_index(offset);
        let mut line_start = self.lines.start_of(&self.bytes, index);
        if index == 0 && self.has_bom() && offset >= UTF8_BOM.len() {
            line_start = UTF8_BOM.len();
        }
        let offset = offset.max(line_start);
        if self.ascii {
            return (index + 1, 1 + offset - line_start);
        }
        if offset - line_start < MEMO_MIN_LINE {
            return (
                index + 1,
                1 + count_columns(&self.bytes[line_start..offset]),
            );
        }
        // Count on from the last position located on this line when it lies before `offset`
        // (findings are located in file order). It must not be a continuation byte: then no
        // character, and no invalid sequence, spans it, and the counts add up.
        let mut memo = self
            .memo
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let (from, columns) = match memo.column {
            Some((line, at, column))
                if line == index
                    && at <= offset
                    && self.bytes.get(at).is_none_or(|byte| byte & 0xC0 != 0x80) =>
            {
                (at, column - 1)
            }
            _ => (line_start, 0),
        };
        let column = 1 + columns + count_columns(&self.bytes[from..offset]);
        memo.column = Some((index, offset, column));
        (index + 1, column)
    }

    /// A fact about line `index`, computed by `compute` once for a long line and then
    /// remembered until a hit on another line asks.
    pub fn line_fact(
        &self,
        index: usize,
        fact: LineFact,
        compute: impl FnOnce() -> Option<usize>,
    ) -> Option<usize> {
        if self.line_range(index).len() < MEMO_MIN_LINE {
            return compute();
        }
        let mut memo = self
            .memo
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if memo.line != index {
            memo.line = index;
            memo.facts.clear();
        }
        if let Some((_, value)) = memo.facts.iter().find(|(known, _)| *known == fact) {
            return *value;
        }
        let value = compute();
        memo.facts.push((fact, value));
        value
    }

    pub fn locate(&self, range: &Range<usize>) -> Location {
        let (line, column) = self.line_column_at(range.start);
        let (end_line, end_column) = self.line_column_at(range.end);
        Location {
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// The lines a span touches, for snippets; very long lines are cut around the span.
    pub fn excerpt(&self, range: &Range<usize>) -> Excerpt {
        let first = self.line_index(range.start);
        let last = self.line_index(range.end.max(range.start));
        let line_start = self.lines.start_of(&self.bytes, first);
        let mut start = line_start;
        if first == 0 && self.has_bom() {
            start = UTF8_BOM.len().min(self.bytes.len());
        }
        let truncated_start = range.start.saturating_sub(start) > EXCERPT_BEFORE;
        if truncated_start {
            start = floor_char_boundary(&self.bytes, range.start - EXCERPT_BEFORE / 2);
        }
        let line_end = self.line_range(last).end.max(start);
        let end = if line_end.saturating_sub(range.end) > EXCERPT_AFTER {
            floor_char_boundary(&self.bytes, range.end + EXCERPT_AFTER)
        } else {
            line_end
        };
        let text_bytes = &self.bytes[start..end];
        let text = String::from_utf8_lossy(text_bytes).into_owned();
        let span_start =
            String::from_utf8_lossy(&text_bytes[..range.start.saturating_sub(start)]).len();
        let span_end = String::from_utf8_lossy(
            &text_bytes[..range.end.clamp(start, end).saturating_sub(start)],
        )
        .len();
        let exact = std::str::from_utf8(text_bytes).is_ok();
        Excerpt {
            first_line: first + 1,
            text,
            span: span_start..span_end.max(span_start),
            truncated_start,
            start: exact.then_some(start),
            line_start,
            text_start: start,
        }
    }
}

/// The nearest offset at or before `offset` that does not split a UTF-8 sequence.
fn floor_char_boundary(bytes: &[u8], offset: usize) -> usize {
    let mut offset = offset.min(bytes.len());
    // At most three continuation bytes precede a boundary in valid UTF-8.
    for _ in 0..3 {
        if offset == 0 || offset == bytes.len() || (bytes[offset] & 0xC0) != 0x80 {
            break;
        }
        offset -= 1;
    }
    offset
}

/// Where lines start, without a list of every line: a hit-heavy manifest has millions of
/// lines and a few thousand hits, and listing the lines cost more than placing the hits. The
/// table keeps the number of line breaks before each block of [`LINE_BLOCK`] bytes (counted
/// by SIMD); a question about one line scans one block at most.
#[derive(Debug)]
struct LineTable {
    /// `breaks_before[b]`: line breaks in the bytes before block `b`; one more entry for the
    /// end of the file.
    breaks_before: Vec<u32>,
}

/// Bytes per block of a [`LineTable`].
const LINE_BLOCK: usize = 1024;

impl LineTable {
    /// An empty table for a file of `len` bytes, filled by [`Self::push_block`].
    fn with_capacity(len: usize) -> LineTable {
        let mut breaks_before = Vec::with_capacity(len / LINE_BLOCK + 2);
        breaks_before.push(0);
        LineTable { breaks_before }
    }

    /// Count the next block of the file: [`LINE_BLOCK`] bytes, or fewer for the last one.
    fn push_block(&mut self, block: &[u8]) {
        // Files are at most 10 MiB ([`MAX_FILE_SIZE`]): a u32 holds every count.
        let before = self.breaks_before.last().copied().unwrap_or(0);
        self.breaks_before
            .push(before + memchr_iter(b'\n', block).count() as u32);
    }

    fn count(&self) -> usize {
        self.breaks_before
            .last()
            .map_or(0, |&breaks| breaks as usize)
            + 1
    }

    /// The 0-based line that holds `offset`: the line breaks before it.
    fn index_of(&self, bytes: &[u8], offset: usize) -> usize {
        let offset = offset.min(bytes.len());
        let block = offset / LINE_BLOCK;
        self.breaks_before[block] as usize
            + memchr_iter(b'\n', &bytes[block * LINE_BLOCK..offset]).count()
    }

    /// The offset where the 0-based line `index` starts (the end of the file past the last).
    fn start_of(&self, bytes: &[u8], index: usize) -> usize {
        if index == 0 {
            return 0;
        }
        // The block that holds the line break ending line `index - 1`.
        let block = self
            .breaks_before
            .partition_point(|&breaks| (breaks as usize) < index)
            .saturating_sub(1);
        let start = block * LINE_BLOCK;
        let nth = index - self.breaks_before[block] as usize - 1;
        memchr_iter(b'\n', &bytes[start.min(bytes.len())..])
            .nth(nth)
            .map_or(bytes.len(), |newline| start + newline + 1)
    }
}

/// Number of columns in `bytes`: Unicode scalar values, an invalid UTF-8 byte counting as one.
pub fn count_columns(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|chunk| chunk.valid().chars().count() + chunk.invalid().len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &[u8]) -> SourceFile {
        SourceFile::new(RepoPath::new("a.yaml"), text.to_vec())
    }

    /// Every line start, the plain way: what the line table must agree with.
    fn naive_line_starts(bytes: &[u8]) -> Vec<usize> {
        std::iter::once(0)
            .chain(memchr_iter(b'\n', bytes).map(|newline| newline + 1))
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn the_line_table_agrees_with_a_list_of_every_line(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["a", "\n", "\r\n", "\r", "\u{e9}", "xyz", "\n\n"]),
                0..3000,
            )
        ) {
            let bytes = pieces.concat().into_bytes();
            let source = file(&bytes);
            let starts = naive_line_starts(&bytes);
            proptest::prop_assert_eq!(source.line_count(), starts.len());
            for offset in 0..=bytes.len() + 1 {
                let expected = starts.partition_point(|&start| start <= offset) - 1;
                proptest::prop_assert_eq!(source.line_index(offset), expected, "offset {}", offset);
            }
            let mut previous: Option<Range<usize>> = None;
            for (index, &start) in starts.iter().enumerate() {
                let mut end = starts.get(index + 1).map_or(bytes.len(), |next| next - 1);
                if end > start && bytes[end - 1] == b'\r' {
                    end -= 1;
                }
                let line = source.line_range(index);
                proptest::prop_assert_eq!(line.clone(), start..end, "line {}", index);
                proptest::prop_assert_eq!(source.previous_line(&line), previous.clone());
                if let Some(previous) = &previous {
                    proptest::prop_assert_eq!(source.next_line(previous), Some(line.clone()));
                }
                previous = Some(line);
            }
            proptest::prop_assert_eq!(source.next_line(&previous.expect("one line at least")), None);
        }
    }

    #[test]
    fn columns_count_scalar_values_not_bytes() {
        let source = file("héllo: wörld k8s.gcr.io\n".as_bytes());
        let offset = source.bytes.windows(3).position(|w| w == b"k8s").unwrap();
        assert_eq!(source.line_column_at(offset), (1, 14));
    }

    #[test]
    fn bom_is_not_a_column() {
        let source = file(b"\xEF\xBB\xBFimage: k8s.gcr.io/pause\n");
        assert_eq!(source.line_column_at(10), (1, 8));
        assert_eq!(source.excerpt(&(10..20)).text, "image: k8s.gcr.io/pause");
        assert_eq!(source.excerpt(&(10..20)).span, 7..17);
    }

    #[test]
    fn crlf_is_not_part_of_a_line() {
        let source = file(b"a: 1\r\nb: k8s.gcr.io\r\n");
        assert_eq!(source.line_range(1), 6..19);
        assert_eq!(source.line_column_at(9), (2, 4));
        let location = source.locate(&(9..19));
        assert_eq!((location.end_line, location.end_column), (2, 14));
    }

    #[test]
    fn invalid_utf8_byte_counts_as_one_column() {
        let source = file(b"\xff\xfe k8s.gcr.io");
        assert_eq!(source.line_column_at(3), (1, 4));
        let excerpt = source.excerpt(&(3..13));
        assert_eq!(&excerpt.text[excerpt.span.clone()], "k8s.gcr.io");
    }

    #[test]
    fn columns_on_a_long_line_count_on_from_the_last_position() {
        // Multi-byte text, invalid bytes and hits on one line longer than the memo threshold,
        // located in order, out of order and twice: always the count from the line start.
        let mut text = Vec::new();
        let mut offsets = Vec::new();
        for index in 0..400 {
            text.extend_from_slice("é日\u{1F600}".as_bytes());
            if index % 7 == 0 {
                text.push(0xFF);
            }
            offsets.push(text.len());
            text.extend_from_slice(b" k8s.gcr.io/pause ");
        }
        text.extend_from_slice(b"\nsecond line");
        let source = file(&text);
        let expected = |offset: usize| (1, 1 + count_columns(&text[..offset]));
        for &offset in offsets.iter().chain(offsets.iter().rev()).chain(&offsets) {
            assert_eq!(source.line_column_at(offset), expected(offset));
            assert_eq!(source.line_column_at(offset + 10), expected(offset + 10));
        }
        // Inside a character: counted from the line start, not from the memo.
        assert_eq!(
            source.line_column_at(offsets[200] - 1),
            expected(offsets[200] - 1)
        );
        assert_eq!(source.line_column_at(text.len() - 4), (2, 8));
    }

    #[test]
    fn line_facts_are_computed_once_per_long_line() {
        let mut text = "x".repeat(10_000);
        text.push_str("\nshort\n");
        let source = file(text.as_bytes());
        let calls = std::cell::Cell::new(0);
        let compute = || {
            calls.set(calls.get() + 1);
            Some(7)
        };
        for _ in 0..3 {
            assert_eq!(
                source.line_fact(0, LineFact::MirrorHeader, compute),
                Some(7)
            );
        }
        assert_eq!(calls.get(), 1, "a long line remembers");
        for _ in 0..3 {
            assert_eq!(
                source.line_fact(1, LineFact::MirrorHeader, compute),
                Some(7)
            );
        }
        assert_eq!(calls.get(), 4, "a short line computes each time");
        assert_eq!(
            source.line_fact(0, LineFact::NamesHost("a".into()), || None),
            None
        );
        assert_eq!(
            source.line_fact(0, LineFact::MirrorHeader, compute),
            Some(7)
        );
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn excerpts_of_long_lines_are_bounded() {
        let mut text = "é".repeat(20_000).into_bytes();
        let at = text.len();
        text.extend_from_slice(b" k8s.gcr.io/pause ");
        text.extend_from_slice("ü".repeat(20_000).as_bytes());
        let source = file(&text);
        let excerpt = source.excerpt(&(at + 1..at + 11));
        assert!(excerpt.truncated_start);
        assert!(excerpt.text.len() < 5_000);
        assert_eq!(&excerpt.text[excerpt.span.clone()], "k8s.gcr.io");
    }
}
