//! `fix --diff`: the unified diff of what `fix` would write, byte-identical to `diff -u` (CRLF
//! and a missing final newline included), coloured on a terminal. Built with `similar`'s
//! default (Myers) algorithm: Histogram took seconds on repetitive YAML (ARCHITECTURE.md,
//! "Choices").

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use similar::TextDiff;

use super::{FileReport, Reporter, RunReport};
use crate::path::quoted;

/// The unified diff of one file, with `a/` and `b/` prefixes as `git diff` writes them.
pub fn unified_diff(path: &str, old: &[u8], new: &[u8]) -> Vec<u8> {
    let diff = TextDiff::from_lines(old, new);
    let mut text = Vec::new();
    diff.unified_diff()
        .context_radius(3)
        .header(&quoted(&format!("a/{path}")), &quoted(&format!("b/{path}")))
        .to_writer(&mut text)
        .expect("writing to a Vec cannot fail");
    text
}

/// Prints each file's diff; colour is added per line and stripped by the writer when off.
pub struct DiffReporter;

const HEADER: Style = Style::new().bold();
const HUNK: Style = AnsiColor::Cyan.on_default();
const REMOVED: Style = AnsiColor::Red.on_default();
const ADDED: Style = AnsiColor::Green.on_default();

impl Reporter for DiffReporter {
    fn file(&mut self, out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        let Some(diff) = &file.diff else {
            return Ok(());
        };
        for line in diff.split_inclusive(|byte| *byte == b'\n') {
            let style = if line.starts_with(b"+++") || line.starts_with(b"---") {
                HEADER
            } else if line.starts_with(b"@@") {
                HUNK
            } else if line.starts_with(b"-") {
                REMOVED
            } else if line.starts_with(b"+") {
                ADDED
            } else {
                Style::new()
            };
            // Style the text only, never the line break, so a pager or `patch` sees plain
            // line ends even with colour on.
            let (text, end) = match line.strip_suffix(b"\n") {
                Some(text) => (text, &b"\n"[..]),
                None => (line, &b""[..]),
            };
            write!(out, "{style}")?;
            out.write_all(text)?;
            write!(out, "{style:#}")?;
            out.write_all(end)?;
        }
        Ok(())
    }

    fn end(&mut self, _out: &mut dyn Write, _run: &RunReport) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_final_newline_and_crlf_are_shown() {
        let diff = unified_diff(
            "a.yaml",
            b"a: k8s.gcr.io/x\r\nb: 1",
            b"a: registry.k8s.io/x\r\nb: 1",
        );
        let text = String::from_utf8(diff).unwrap();
        assert!(
            text.starts_with("--- a/a.yaml\n+++ b/a.yaml\n@@ -1,2 +1,2 @@\n"),
            "{text}"
        );
        assert!(
            text.contains("-a: k8s.gcr.io/x\r\n+a: registry.k8s.io/x\r\n"),
            "{text}"
        );
        let old_no_newline = unified_diff("b", b"x: k8s.gcr.io/y", b"x: registry.k8s.io/y");
        assert!(
            String::from_utf8(old_no_newline)
                .unwrap()
                .contains("\\ No newline at end of file")
        );
    }
}
