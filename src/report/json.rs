//! `--format json`: one document (`version`, `findings`, `skipped`, `notes`, `errors`,
//! `summary`); `--format jsonl`: the same finding objects, one per line. The field names and
//! order are a contract: README.md shows them, and `tests/it/render.rs` pins them.

use std::io::{self, Write};

use serde::Serialize;

use super::{FileReport, RenderOptions, Reporter, RunReport, Summary};
use crate::finding::Finding;
use crate::settings::Mode;

/// Version of the JSON document layout.
pub const JSON_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub rule: &'static str,
    pub severity: &'static str,
    pub path: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_start: usize,
    pub byte_end: usize,
    pub matched: &'a str,
    pub reference: &'a str,
    pub context: &'a str,
    pub message: &'a str,
    pub note: Option<&'a str>,
    pub applicability: &'static str,
    pub fix: Option<JsonFix>,
}

#[derive(Serialize)]
pub struct JsonFix {
    pub edits: Vec<JsonEdit>,
}

#[derive(Serialize)]
pub struct JsonEdit {
    pub byte_start: usize,
    pub byte_end: usize,
    pub replacement: String,
}

impl<'a> JsonFinding<'a> {
    pub fn new(path: &'a str, finding: &'a Finding) -> JsonFinding<'a> {
        JsonFinding {
            rule: finding.rule.id(),
            severity: finding.severity().as_str(),
            path,
            line: finding.location.line,
            column: finding.location.column,
            end_line: finding.location.end_line,
            end_column: finding.location.end_column,
            byte_start: finding.range.start,
            byte_end: finding.range.end,
            matched: &finding.matched,
            reference: &finding.reference,
            context: &finding.context,
            message: &finding.message,
            note: finding.note.as_deref(),
            applicability: finding.applicability().as_str(),
            fix: finding.fix.as_ref().map(|fix| JsonFix {
                edits: fix
                    .edits()
                    .iter()
                    .map(|edit| JsonEdit {
                        byte_start: edit.range.start,
                        byte_end: edit.range.end,
                        replacement: edit.replacement.clone(),
                    })
                    .collect(),
            }),
        }
    }
}

#[derive(Serialize)]
struct JsonPathMessage<'a> {
    path: &'a str,
    #[serde(rename = "reason")]
    message: &'a str,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    path: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    files_scanned: usize,
    findings: usize,
    fixable: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<usize>,
    suppressed: usize,
}

impl JsonSummary {
    fn new(summary: &Summary, mode: Mode) -> JsonSummary {
        JsonSummary {
            files_scanned: summary.files_scanned,
            findings: summary.findings,
            fixable: summary.fixable,
            fixed: (mode == Mode::Fix).then_some(summary.fixed),
            suppressed: summary.suppressed,
        }
    }
}

/// The JSON document. Findings are written as files arrive, so memory does not grow with the
/// serialized size; the envelope opens in `begin` and closes in `end`.
pub struct JsonReporter {
    options: RenderOptions,
    first: bool,
}

impl JsonReporter {
    pub fn new(options: RenderOptions) -> JsonReporter {
        JsonReporter {
            options,
            first: true,
        }
    }
}

impl Reporter for JsonReporter {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        write!(out, "{{\n  \"version\": {JSON_VERSION},\n  \"findings\": [")
    }

    fn file(&mut self, out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for finding in &file.findings {
            out.write_all(if self.first { b"\n    " } else { b",\n    " })?;
            self.first = false;
            serde_json::to_writer(&mut *out, &JsonFinding::new(file.path.as_str(), finding))?;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()> {
        out.write_all(if self.first { b"],\n" } else { b"\n  ],\n" })?;
        let skipped: Vec<_> = run
            .skipped
            .iter()
            .map(|(path, reason)| JsonPathMessage {
                path: path.as_str(),
                message: reason,
            })
            .collect();
        let notes: Vec<_> = run
            .notes
            .iter()
            .map(|(path, message)| JsonNote {
                path: path.as_str(),
                message,
            })
            .collect();
        let errors: Vec<_> = run
            .errors
            .iter()
            .map(|error| JsonNote {
                path: &error.path,
                message: &error.message,
            })
            .collect();
        write!(out, "  \"skipped\": ")?;
        serde_json::to_writer(&mut *out, &skipped)?;
        write!(out, ",\n  \"notes\": ")?;
        serde_json::to_writer(&mut *out, &notes)?;
        write!(out, ",\n  \"errors\": ")?;
        serde_json::to_writer(&mut *out, &errors)?;
        write!(out, ",\n  \"summary\": ")?;
        serde_json::to_writer(
            &mut *out,
            &JsonSummary::new(&run.summary, self.options.mode),
        )?;
        writeln!(out, "\n}}")
    }
}

/// One finding object per line; nothing else on stdout.
pub struct JsonLinesReporter;

impl Reporter for JsonLinesReporter {
    fn file(&mut self, out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for finding in &file.findings {
            serde_json::to_writer(&mut *out, &JsonFinding::new(file.path.as_str(), finding))?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn end(&mut self, _out: &mut dyn Write, _run: &RunReport) -> io::Result<()> {
        Ok(())
    }
}
