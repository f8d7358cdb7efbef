//! The sweep's table: one renderer per `--format`, each behind [`SweepReporter`] (a start, a
//! row per repository in order, an end with the totals), in the shape of `crate::report`.
//! The pieces every table shares live here: the columns, a row's cells and status, and the
//! totals with their closing line.

mod csv;
mod human;
mod json;
mod jsonl;
mod markdown;

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::Row;
use super::commit::CommitOutcome;
use crate::cli::SweepFormat;
use crate::report::plural;

/// A renderer of the sweep's table. `begin` once, `row` for each repository in order, `end`
/// once with the totals of every row.
pub(super) trait SweepReporter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn row(&mut self, out: &mut dyn Write, row: &Row) -> io::Result<()>;
    fn end(&mut self, out: &mut dyn Write, totals: &Totals) -> io::Result<()>;
}

/// Where the table goes: the `--output` file (created now), or standard output.
pub(super) fn open(output: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match output {
        Some(path) => Box::new(io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(io::BufWriter::new(io::stdout())),
    })
}

/// Write the table of `rows` in `format` to `out`.
pub(super) fn print(format: SweepFormat, mut out: Box<dyn Write>, rows: &[Row]) -> io::Result<()> {
    let mut reporter = reporter_for(format);
    reporter.begin(&mut out)?;
    for row in rows {
        reporter.row(&mut out, row)?;
    }
    reporter.end(&mut out, &Totals::of(rows))?;
    out.flush()
}

fn reporter_for(format: SweepFormat) -> Box<dyn SweepReporter> {
    match format {
        SweepFormat::Human => Box::new(human::HumanReporter::default()),
        SweepFormat::Markdown => Box::new(markdown::MarkdownReporter),
        SweepFormat::Csv => Box::new(csv::CsvReporter),
        SweepFormat::Json => Box::new(json::JsonReporter::default()),
        SweepFormat::Jsonl => Box::new(jsonl::JsonLinesReporter),
    }
}

/// The sweep's totals: the `summary` object of the JSON document, and the closing line of
/// the human and Markdown tables.
#[derive(Serialize)]
pub(super) struct Totals {
    repositories: usize,
    files_scanned: usize,
    findings: usize,
    fixable: usize,
    fixed: usize,
    errors: usize,
}

impl Totals {
    fn of(rows: &[Row]) -> Totals {
        Totals {
            repositories: rows.len(),
            files_scanned: rows.iter().map(|row| row.files_scanned).sum(),
            findings: rows.iter().map(Row::findings).sum(),
            fixable: rows.iter().map(|row| row.fixable).sum(),
            fixed: rows.iter().map(|row| row.fixed).sum(),
            errors: rows
                .iter()
                .filter(|row| row.error.is_some() || row.file_errors > 0)
                .count(),
        }
    }

    /// The closing line of the human and Markdown tables.
    fn line(&self) -> String {
        format!(
            "{} repositories, {} files, {} findings ({} fixable), {} fixed, {} with errors",
            self.repositories,
            self.files_scanned,
            self.findings,
            self.fixable,
            self.fixed,
            self.errors
        )
    }
}

/// The column headers of the human, Markdown and CSV tables.
const COLUMNS: [&str; 9] = [
    "repository",
    "files",
    "findings",
    "safe",
    "unsafe",
    "none",
    "fixable",
    "fixed",
    "status",
];

/// A row's cells, one per column of [`COLUMNS`].
fn cells(row: &Row) -> [String; 9] {
    [
        row.repository.clone(),
        row.files_scanned.to_string(),
        row.findings().to_string(),
        row.safe.to_string(),
        row.unsafe_.to_string(),
        row.none.to_string(),
        row.fixable.to_string(),
        row.fixed.to_string(),
        status(row),
    ]
}

/// The status column: an error, or what --commit did with the branch, and the files that
/// could not be scanned or fixed.
fn status(row: &Row) -> String {
    if let Some(error) = &row.error {
        return format!("error: {error}");
    }
    let mut parts = Vec::new();
    if let Some(commit) = row.commit {
        parts.push(commit_status(commit, row.branch.as_deref()));
    }
    if row.file_errors > 0 {
        parts.push(format!(
            "{} not scanned",
            plural(row.file_errors, "file", "files")
        ));
    }
    if row.fix_errors > 0 {
        parts.push(format!(
            "{} not fixed",
            plural(row.fix_errors, "file", "files")
        ));
    }
    parts.join(", ")
}

/// What --commit did, in words.
fn commit_status(commit: CommitOutcome, branch: Option<&str>) -> String {
    let branch = branch.unwrap_or("the branch");
    match (commit, commit.reason()) {
        (CommitOutcome::Created, _) => format!("committed on {branch}"),
        (CommitOutcome::UpToDate, _) => format!("up to date on {branch}"),
        (CommitOutcome::Rebuilt(_), Some(reason)) => format!("rebuilt on {branch} ({reason})"),
        (_, reason) => format!("left alone: {}", reason.unwrap_or_default()),
    }
}
