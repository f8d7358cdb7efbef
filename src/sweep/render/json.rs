//! `sweep --format json`: one document, `{"version":1,"repos":[...],"summary":{...}}` on one
//! line. Rows are written as they arrive: the envelope opens in `begin` and closes in `end`,
//! byte for byte what serializing the whole document at once gives.
//!
//! A row's `failing` counts its findings at or above the failing severity (`--fail-on`, else
//! the repository's `fail-on`, else warning): what the exit code of the sweep comes from, so
//! that `sweep --merge` computes the same one from the documents.

use std::io::{self, Write};

use serde::Serialize;

use super::{RowJson, RowView, SweepReporter, Totals};
use crate::report::json::JsonFinding;
use crate::sweep::Row;

/// Version of the sweep's JSON document layout.
const VERSION: u32 = 1;

/// A repository's row in `json` and `jsonl`: its counts and, as `check --format json`
/// reports them, its findings.
#[derive(Serialize)]
struct JsonRow<'a> {
    path: &'a str,
    files_scanned: usize,
    findings: Vec<JsonFinding<'a>>,
    safe: usize,
    #[serde(rename = "unsafe")]
    unsafe_: usize,
    none: usize,
    failing: usize,
    fixable: usize,
    fixed: usize,
    file_errors: usize,
    fix_errors: usize,
    error: Option<&'a str>,
    branch: Option<&'a str>,
    /// What `--commit` did with the branch: `created`, `up-to-date`, `rebuilt`, `left-alone`.
    commit: Option<&'static str>,
    /// Why it was rebuilt or left alone.
    commit_reason: Option<&'static str>,
}

impl<'a> JsonRow<'a> {
    fn new(row: &'a Row) -> JsonRow<'a> {
        JsonRow {
            path: &row.repository,
            files_scanned: row.files_scanned,
            findings: row
                .scanned
                .iter()
                .flat_map(|scanned| &scanned.reports)
                .flat_map(|report| {
                    report
                        .findings
                        .iter()
                        .map(|finding| JsonFinding::new(report.path.as_str(), finding))
                })
                .collect(),
            safe: row.safe,
            unsafe_: row.unsafe_,
            none: row.none,
            failing: row.failing,
            fixable: row.fixable,
            fixed: row.fixed,
            file_errors: row.file_errors,
            fix_errors: row.fix_errors,
            error: row.error.as_deref(),
            branch: row.branch.as_deref(),
            commit: row.commit.map(|commit| commit.label()),
            commit_reason: row.commit.and_then(|commit| commit.reason()),
        }
    }
}

/// A row's JSON object, on one line without a line break.
pub(super) fn write_row(out: &mut dyn Write, row: &RowView) -> io::Result<()> {
    match row.json {
        RowJson::Swept(row) => serde_json::to_writer(&mut *out, &JsonRow::new(row))?,
        RowJson::Written(raw) => out.write_all(raw.get().as_bytes())?,
    }
    Ok(())
}

#[derive(Default)]
pub(super) struct JsonReporter {
    rows_written: usize,
}

impl SweepReporter for JsonReporter {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        write!(out, "{{\"version\":{VERSION},\"repos\":[")
    }

    fn row(&mut self, out: &mut dyn Write, row: &RowView) -> io::Result<()> {
        if self.rows_written > 0 {
            out.write_all(b",")?;
        }
        self.rows_written += 1;
        write_row(out, row)
    }

    fn end(&mut self, out: &mut dyn Write, totals: &Totals) -> io::Result<()> {
        out.write_all(b"],\"summary\":")?;
        serde_json::to_writer(&mut *out, totals)?;
        writeln!(out, "}}")
    }
}
