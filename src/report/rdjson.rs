//! `--format rdjson`: reviewdog's Diagnostic Format, as one `DiagnosticResult` object
//! (`reviewdog -f=rdjson`). Each finding is a diagnostic with its message, severity
//! (`ERROR`, `WARNING`, `INFO`), location, rule code and documentation link, and for a finding
//! whose fix the current settings would apply (`fix` applies safe fixes, and unsafe ones with
//! `--unsafe-fixes`) one suggestion per edit: an insertion is an empty range at its point.
//! Unsafe fixes are left out without `--unsafe-fixes`: a suggestion carries no warning, and
//! reviewdog offers it as a one-click change.
//!
//! Positions are 1-based, ranges end-exclusive, and columns count UTF-8 bytes from the start of
//! the line, as reviewdog's `Position` defines them (`proto/rdf/reviewdog.proto`: "Column
//! number, starting at 1 (byte count in UTF-8)"); a BOM counts, being bytes of the first line.
//! The renderer has the finding's excerpts, not the file: a position is derived from the
//! excerpt that holds the file's exact bytes up to it. Where none does (bytes that are not
//! UTF-8 before it on its line, an edit beyond a long line's excerpt), the location gives lines
//! without columns, which reviewdog reads as whole lines, and the diagnostic has no
//! suggestions.

use std::io::{self, Write};

use serde::Serialize;

use super::{FileReport, RenderOptions, Reporter, RunReport, message_with_note};
use crate::finding::Finding;
use crate::rules::Severity;
use crate::source::Excerpt;

const SOURCE_URL: &str = "https://github.com/regshift/regshift";

#[derive(Serialize)]
struct DiagnosticResult<'a> {
    source: Source,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct Source {
    name: &'static str,
    url: &'static str,
}

#[derive(Serialize)]
struct Diagnostic {
    message: String,
    location: Location,
    severity: &'static str,
    code: Code,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<Suggestion>,
}

#[derive(Serialize)]
struct Location {
    path: String,
    range: Range,
}

#[derive(Serialize)]
struct Range {
    start: Position,
    end: Position,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
struct Position {
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

#[derive(Serialize)]
struct Code {
    value: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Suggestion {
    range: Range,
    text: String,
}

/// reviewdog's severity for a rule's severity.
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "ERROR",
        Severity::Warning => "WARNING",
        Severity::Info => "INFO",
    }
}

/// Collects the diagnostics, writes the object at the end.
pub struct RdjsonReporter {
    options: RenderOptions,
    diagnostics: Vec<Diagnostic>,
}

impl RdjsonReporter {
    pub fn new(options: RenderOptions) -> RdjsonReporter {
        RdjsonReporter {
            options,
            diagnostics: Vec::new(),
        }
    }
}

impl Reporter for RdjsonReporter {
    fn file(&mut self, _out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for finding in &file.findings {
            let diagnostic = diagnostic(file.path.as_str(), finding, &self.options);
            self.diagnostics.push(diagnostic);
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, _run: &RunReport) -> io::Result<()> {
        let result = DiagnosticResult {
            source: Source {
                name: "regshift",
                url: SOURCE_URL,
            },
            diagnostics: &self.diagnostics,
        };
        serde_json::to_writer_pretty(&mut *out, &result)?;
        writeln!(out)
    }
}

fn diagnostic(path: &str, finding: &Finding, options: &RenderOptions) -> Diagnostic {
    let excerpts = [Some(&finding.excerpt), finding.fix_excerpt.as_ref()];
    let locate = |offset: usize| excerpts.iter().flatten().find_map(|e| position(e, offset));
    let range = match (locate(finding.range.start), locate(finding.range.end)) {
        (Some(start), Some(end)) => Range { start, end },
        // Whole lines: reviewdog reads a range without columns as lines, end line included.
        _ => Range {
            start: Position {
                line: finding.location.line,
                column: None,
            },
            end: Position {
                line: finding.location.end_line,
                column: None,
            },
        },
    };
    let suggestions = finding
        .fix
        .as_ref()
        .filter(|_| options.is_fixable(finding))
        .and_then(|fix| {
            fix.edits()
                .iter()
                .map(|edit| {
                    Some(Suggestion {
                        range: Range {
                            start: locate(edit.range.start)?,
                            end: locate(edit.range.end)?,
                        },
                        text: edit.replacement.clone(),
                    })
                })
                .collect::<Option<Vec<_>>>()
        })
        .unwrap_or_default();
    Diagnostic {
        message: message_with_note(finding),
        location: Location {
            path: path.to_string(),
            range,
        },
        severity: severity(finding.severity()),
        code: Code {
            value: finding.rule.id(),
            url: finding.rule.help_url(),
        },
        suggestions,
    }
}

/// The line and UTF-8 byte column (both 1-based) of the file offset `offset`, when `excerpt`
/// holds the file's exact bytes up to it: all of them (valid UTF-8), or a lossy text with no
/// replacement character before `offset`. A column on the excerpt's first line counts from
/// where that line starts in the file, so a BOM and a part cut off a long line count too.
fn position(excerpt: &Excerpt, offset: usize) -> Option<Position> {
    let before = excerpt
        .text
        .get(..offset.checked_sub(excerpt.text_start)?)?;
    if excerpt.start.is_none() && before.contains('\u{FFFD}') {
        return None;
    }
    let before = before.as_bytes();
    let column = match memchr::memrchr(b'\n', before) {
        Some(newline) => before.len() - newline,
        None => offset - excerpt.line_start + 1,
    };
    Some(Position {
        line: excerpt.first_line + memchr::memchr_iter(b'\n', before).count(),
        column: Some(column),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(first_line: usize, text: &str, start: usize) -> Excerpt {
        Excerpt {
            first_line,
            text: text.to_string(),
            span: 0..0,
            truncated_start: false,
            start: Some(start),
            line_start: start,
            text_start: start,
        }
    }

    fn at(line: usize, column: usize) -> Option<Position> {
        Some(Position {
            line,
            column: Some(column),
        })
    }

    #[test]
    fn columns_count_utf8_bytes() {
        // reviewdog's example: in 'a𐐀b' the column of b is 6.
        let line = excerpt(3, "a𐐀b", 10);
        assert_eq!(position(&line, 10), at(3, 1));
        assert_eq!(position(&line, 11), at(3, 2));
        assert_eq!(position(&line, 15), at(3, 6));
        assert_eq!(position(&line, 16), at(3, 7), "the end of the line");
        assert_eq!(position(&line, 17), None, "past the excerpt");
        assert_eq!(position(&line, 9), None, "before it");
    }

    #[test]
    fn later_lines_and_the_bom() {
        let lines = excerpt(7, "ab\r\ncd", 100);
        assert_eq!(position(&lines, 104), at(8, 1));
        assert_eq!(position(&lines, 105), at(8, 2));
        // The first line after a BOM: the BOM's three bytes are columns 1 to 3.
        let first = Excerpt {
            line_start: 0,
            ..excerpt(1, "kind: Pod", 3)
        };
        assert_eq!(position(&first, 3), at(1, 4));
        // A long line cut before the excerpt: columns count from the line's start.
        let cut = Excerpt {
            truncated_start: true,
            line_start: 40,
            ..excerpt(2, "xyz\nab", 50)
        };
        assert_eq!(position(&cut, 51), at(2, 12));
        assert_eq!(position(&cut, 55), at(3, 2));
        // Not UTF-8: exact up to the first replacement character.
        let lossy = Excerpt {
            start: None,
            ..excerpt(2, "ab\u{FFFD}cd", 50)
        };
        assert_eq!(position(&lossy, 51), at(2, 2));
        assert_eq!(position(&lossy, 52), at(2, 3));
        assert_eq!(position(&lossy, 56), None);
    }
}
