//! Cutting a YAML stream into its documents without parsing it, and picking the documents
//! that hold given spans.

use std::ops::Range;

/// The byte ranges of the documents of a YAML stream, cut at its markers without parsing.
///
/// YAML forbids `---` and `...` at the start of a line inside any node (`c-forbidden`), so such
/// a line, followed by a space, a tab or the line's end, always ends a document. A range
/// starts at its `---` line, or at the directives before it; one ends after a `...` line. The
/// ranges cover `text` without gaps, in order.
pub fn document_chunks(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let is_marker = |at: usize, marker: &[u8]| {
        bytes[at..].starts_with(marker)
            && bytes
                .get(at + 3)
                .is_none_or(|byte| matches!(byte, b' ' | b'\t' | b'\r' | b'\n'))
    };
    // Lines that start with three dashes or dots: found by SIMD search, not line by line.
    let mut lines: Vec<usize> = memchr::memmem::find_iter(bytes, b"\n---")
        .chain(memchr::memmem::find_iter(bytes, b"\n..."))
        .map(|newline| newline + 1)
        .collect();
    if bytes.starts_with(b"---") || bytes.starts_with(b"...") {
        lines.push(0);
    }
    lines.sort_unstable();

    let mut chunks = Vec::new();
    let mut start = 0;
    // The current range holds more than comments, blank lines and directives.
    let mut content = false;
    for at in lines {
        if is_marker(at, b"---") {
            if content || has_content(&bytes[start..at]) {
                chunks.push(start..at);
                start = at;
            }
            content = true;
        } else if is_marker(at, b"...") {
            let line_end =
                memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |end| at + end + 1);
            chunks.push(start..line_end);
            start = line_end;
            content = false;
        }
    }
    if start < bytes.len() || chunks.is_empty() {
        chunks.push(start..bytes.len());
    }
    chunks
}

/// Whether the start of a document holds more than blank lines, comments and directives.
fn has_content(region: &[u8]) -> bool {
    region.split(|&byte| byte == b'\n').any(|line| {
        let trimmed = line.trim_ascii();
        !(trimmed.is_empty() || trimmed.starts_with(b"#") || line.starts_with(b"%"))
    })
}

/// The documents of `text` that hold (or touch, for an empty span) one of `spans`.
pub fn chunks_holding(text: &str, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    if spans.is_empty() {
        return Vec::new();
    }
    let starts = span_starts(spans);
    let mut chunks = document_chunks(text);
    chunks.retain(|chunk| holds_any(chunk, &starts));
    merge_adjacent(chunks)
}

/// The sorted starts of `spans`: a span belongs to the document it starts in (spans are
/// hits and edits, which never cross a document marker).
pub(super) fn span_starts<'a>(spans: impl IntoIterator<Item = &'a Range<usize>>) -> Vec<usize> {
    let mut starts: Vec<usize> = spans.into_iter().map(|span| span.start).collect();
    starts.sort_unstable();
    starts
}

/// Whether a span starts in `chunk` or right at its end (an insertion after its last line).
pub(super) fn holds_any(chunk: &Range<usize>, starts: &[usize]) -> bool {
    let first = starts.partition_point(|&start| start < chunk.start);
    starts.get(first).is_some_and(|&start| start <= chunk.end)
}

/// Adjacent documents are parsed together: one parser for a run of documents costs less than
/// one per document.
pub(super) fn merge_adjacent(chunks: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        match merged.last_mut() {
            Some(last) if last.end == chunk.start => last.end = chunk.end,
            _ => merged.push(chunk),
        }
    }
    merged
}
