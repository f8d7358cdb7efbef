//! Markdown: fenced code blocks, inline code, comments, and helm-docs value tables.

use std::ops::Range;

use super::LineSite;
use crate::source::SourceFile;

/// Where a hit stands in Markdown prose: a fenced code block, inline code, a comment or
/// text. `code_blocks` are the file's fenced blocks ([`fenced_code_blocks`]).
pub(super) fn site_in_prose(
    code_blocks: &[Range<usize>],
    offset: usize,
    line: &[u8],
    line_start: usize,
    comment: Option<usize>,
) -> LineSite {
    let column = offset - line_start;
    if in_code_block(code_blocks, offset) {
        LineSite::CodeBlock
    } else if line[..column].iter().filter(|byte| **byte == b'`').count() % 2 == 1 {
        LineSite::InlineCode
    } else if comment.is_some_and(|start| start <= column) {
        LineSite::Comment
    } else {
        LineSite::Text
    }
}

/// Whether `offset` lies in one of `code_blocks` (sorted, disjoint).
pub(super) fn in_code_block(code_blocks: &[Range<usize>], offset: usize) -> bool {
    code_blocks
        .binary_search_by(|block| {
            if block.end <= offset {
                std::cmp::Ordering::Less
            } else if block.start > offset {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The fenced code blocks of a Markdown file.
#[derive(Debug, Default)]
pub(super) struct FencedBlocks {
    /// Byte ranges of every fenced block (``` or ~~~), fence lines included.
    pub all: Vec<Range<usize>>,
    /// Those whose info string says the block is a patch (`diff`, `patch`): history.
    pub patches: Vec<Range<usize>>,
    /// What each block holds, between its fence lines.
    pub contents: Vec<Range<usize>>,
}

/// The language an info string names is a patch: ```` ```diff ````, ```` ~~~patch ````,
/// ```` ```diff title="fix.diff" ````, ```` ```{.diff} ````.
fn is_patch_info(info: &[u8]) -> bool {
    let info = info.trim_ascii();
    let info = info.strip_prefix(b"{").unwrap_or(info);
    let info = info.strip_prefix(b".").unwrap_or(info);
    let language = info
        .split(|byte| byte.is_ascii_whitespace() || matches!(byte, b',' | b'{' | b'}' | b'='))
        .next()
        .unwrap_or_default();
    ["diff", "patch", "udiff"]
        .iter()
        .any(|name| language.eq_ignore_ascii_case(name.as_bytes()))
}

/// A block's first line starts a patch whatever its info string says: `diff --git a/x b/x`,
/// `--- a/x`, `Index: x`, `@@ -1,3 +1,3 @@` (what `git diff`, `diff -u` and `svn diff` print).
fn starts_a_patch(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    [&b"diff --git "[..], b"--- a/", b"Index: ", b"@@ -"]
        .iter()
        .any(|start| line.starts_with(start))
}

/// The fenced code blocks (``` or ~~~), fence lines included, and which of them are patches:
/// by their info string, or by their first line when the info string names no patch.
pub(super) fn fenced_code_blocks(source: &SourceFile) -> FencedBlocks {
    let mut blocks = FencedBlocks::default();
    let mut open: Option<(usize, u8, usize, bool)> = None;
    // Right after a fence opens: its first non-blank line may still say it is a patch.
    let mut sniffing = false;
    let mut next = Some(source.line_range(0));
    while let Some(range) = next {
        next = source.next_line(&range);
        let line = &source.bytes[range.clone()];
        let trimmed = line.trim_ascii_start();
        if sniffing && !trimmed.is_empty() {
            sniffing = false;
            if let Some((_, _, _, patch)) = &mut open {
                *patch |= starts_a_patch(trimmed);
            }
        }
        let fence_char = match trimmed.first() {
            Some(&byte @ (b'`' | b'~')) => byte,
            _ => continue,
        };
        let fence_len = trimmed
            .iter()
            .take_while(|byte| **byte == fence_char)
            .count();
        if fence_len < 3 {
            continue;
        }
        match open {
            None => {
                let patch = is_patch_info(&trimmed[fence_len..]);
                sniffing = !patch;
                open = Some((range.start, fence_char, fence_len, patch));
            }
            Some((start, open_char, open_len, patch))
                if open_char == fence_char
                    && fence_len >= open_len
                    && trimmed[fence_len..].trim_ascii().is_empty() =>
            {
                blocks.push(source, start..range.end, range.start, patch);
                open = None;
            }
            Some(_) => {}
        }
    }
    if let Some((start, _, _, patch)) = open {
        let end = source.bytes.len();
        blocks.push(source, start..end, end, patch);
    }
    blocks
}

impl FencedBlocks {
    /// A block from its opening fence to `range.end`, its content ending at `content_end`.
    fn push(&mut self, source: &SourceFile, range: Range<usize>, content_end: usize, patch: bool) {
        let content_start = source
            .next_line(&source.line_range_at(range.start))
            .map_or(content_end, |line| line.start.min(content_end));
        self.contents.push(content_start..content_end);
        if patch {
            self.patches.push(range.clone());
        }
        self.all.push(range);
    }
}

/// In a Markdown table row whose cell holds just the hit's reference (or its bare host, with
/// an optional trailing `/`) apart from backticks, quotes and spaces: the row's first cell
/// (its key), and whether the cell is the bare host.
pub(super) fn markdown_table_key(
    line: &[u8],
    host: Range<usize>,
    reference: Range<usize>,
) -> Option<(String, bool)> {
    if !line.trim_ascii_start().starts_with(b"|") {
        return None;
    }
    let trim = |cell: &[u8]| -> String {
        let text = String::from_utf8_lossy(cell);
        text.trim_matches(|c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\''))
            .to_string()
    };
    let mut cells = Vec::new();
    let mut start = 0;
    for (index, byte) in line.iter().enumerate() {
        if *byte == b'|' {
            cells.push(start..index);
            start = index + 1;
        }
    }
    let hit_cell = cells
        .iter()
        .find(|cell| cell.start <= host.start && host.start < cell.end)?;
    let value = trim(&line[hit_cell.clone()]);
    let host_text = String::from_utf8_lossy(&line[host]).into_owned();
    let reference_text = String::from_utf8_lossy(&line[reference]).into_owned();
    let bare_host = value == host_text || value.strip_suffix('/') == Some(host_text.as_str());
    if !bare_host && value != reference_text {
        return None;
    }
    let key = cells
        .iter()
        .map(|cell| trim(&line[cell.clone()]))
        .find(|cell| !cell.is_empty())?;
    (key != value).then_some((key, bare_host))
}
