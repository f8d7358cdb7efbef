//! Which edits provably keep their YAML document parsing, so that the fix guard need not read
//! the document again. Every such edit swaps a hit's bytes (a host, or a host and its project)
//! for a plain replacement (letters, digits, `.`, `_`, `/`, `-`, starting with a letter or
//! digit), in a document whose structure detection found. Two cases:
//!
//! **A one-line value (also an item of a one-line flow collection) or a comment, in a
//! document the line reader read.** The line reader
//! (`yaml/lines.rs`) reads only documents the parser parses the same way (its oracle checks
//! that). Nothing the reader decides on changes:
//!
//! - the line's indentation, its dash or key and colon, and what follows the value are not
//!   touched (the edit is inside the value or the comment);
//! - every byte stays printable ASCII; the replacement holds no space, quote, `#`, `:` or
//!   backslash (nor `,`, `[`, `]`, `{`, `}`), so a quoted value still closes where it closed, a
//!   plain value still ends where it ended, holds no `: ` and does not end with `:`, and a
//!   comment stays a comment;
//! - the replacement starts with a letter or digit, so a plain value that starts with it
//!   still starts as a plain scalar (not `-`, `?`, `&`, `*`, `!`, `|`, `>`, ...);
//! - keys are never edited here (their length and characters are what the reader checks).
//!
//! So the reader reads the fixed document too, and it parses.
//!
//! **Inside a block scalar (`|`, `>`), in a file whose YAML documents with hits all parsed.**
//! A block scalar's
//! content is text until the first non-empty line indented less than the block: the swap
//! keeps every line's leading spaces (the host starts after them), adds no line break, and
//! keeps the text printable, so the scalar ends where it ended and everything after it parses
//! as before.
//!
//! `check_safe_edits` in `yaml/oracle.rs` parses every fixed document that holds a safe edit,
//! in the fuzz target and the property tests.

use std::ops::Range;

use super::hosts::HostHit;
use super::yaml::{Place, YamlIndex};
use crate::finding::Finding;

/// The ranges of the edits in `findings` that are safe, sorted.
pub(super) fn edits(
    hits: &[HostHit],
    structure: &YamlIndex,
    findings: &[Finding],
) -> Vec<Range<usize>> {
    let mut safe: Vec<Range<usize>> = findings
        .iter()
        .filter_map(|finding| {
            let [edit] = finding.fix.as_ref()?.edits() else {
                return None;
            };
            if edit.range != finding.range || !is_plain_replacement(&edit.replacement) {
                return None;
            }
            let index = hits
                .binary_search_by_key(&edit.range.start, |hit| hit.range.start)
                .ok()?;
            let site = structure.sites[index].as_ref()?;
            let safe = match site.place {
                // A site is kept for a hit in a document the parser finished, but one stretch
                // between markers can hold a finished document and a broken one after it
                // (recovery): so only when nothing failed at all.
                Place::Value { block: true, .. } => structure.failures.is_empty(),
                Place::Value { block: false, .. } | Place::Comment => {
                    read_by_lines(&structure.lines_read, edit.range.start)
                }
                Place::Key | Place::History => false,
            };
            safe.then(|| edit.range.clone())
        })
        .collect();
    safe.sort_by_key(|range| (range.start, range.end));
    safe
}

/// A replacement that cannot change how a line reads: letters, digits, `.`, `_`, `/` and `-`,
/// starting with a letter or digit.
fn is_plain_replacement(replacement: &str) -> bool {
    let bytes = replacement.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'/' | b'-'))
}

/// Whether `offset` lies in a document the line reader read (`documents` sorted).
fn read_by_lines(documents: &[Range<usize>], offset: usize) -> bool {
    let after = documents.partition_point(|document| document.start <= offset);
    after
        .checked_sub(1)
        .is_some_and(|index| documents[index].contains(&offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_replacements() {
        for good in ["registry.k8s.io", "quay.io/new_org", "r"] {
            assert!(is_plain_replacement(good), "{good}");
        }
        for bad in [
            "", "-x", ".x", "a b", "a:b", "a#b", "a'b", "a\"b", "a\\b", "a\nb",
        ] {
            assert!(!is_plain_replacement(bad), "{bad:?}");
        }
    }

    #[test]
    fn documents_read_by_lines() {
        let documents = [0..10, 20..30];
        assert!(read_by_lines(&documents, 0) && read_by_lines(&documents, 25));
        assert!(!read_by_lines(&documents, 10) && !read_by_lines(&documents, 35));
        assert!(!read_by_lines(&[], 3));
    }
}
