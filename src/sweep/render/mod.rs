//! The sweep's table: one renderer per `--format`, each behind [`SweepReporter`] (a start, a
//! row per repository in order, an end with the totals), in the shape of `crate::report`.
//! The pieces every table shares live here: the row as the renderers read it ([`RowView`], from
//! a live sweep's [`Row`] or a row of a merged document), the columns, a row's cells and
//! status, and the totals with their closing line.

mod csv;
mod human;
mod json;
mod jsonl;
mod markdown;

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::value::RawValue;

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
    fn row(&mut self, out: &mut dyn Write, row: &RowView) -> io::Result<()>;
    fn end(&mut self, out: &mut dyn Write, totals: &Totals) -> io::Result<()>;
}

/// Where the table goes: the `--output` file (created now), or standard output.
pub(super) fn open(output: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match output {
        Some(path) => Box::new(io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(io::BufWriter::new(io::stdout())),
    })
}

/// A repository's row as the renderers read it: the counts and status of its columns, and
/// its JSON object. The field names are [`Row`]'s.
pub(super) struct RowView<'a> {
    pub(super) repository: &'a str,
    pub(super) files_scanned: usize,
    pub(super) safe: usize,
    pub(super) unsafe_: usize,
    pub(super) none: usize,
    pub(super) fixable: usize,
    pub(super) fixed: usize,
    pub(super) file_errors: usize,
    pub(super) fix_errors: usize,
    pub(super) error: Option<&'a str>,
    pub(super) branch: Option<&'a str>,
    /// What `--commit` did with the branch (`created`, `up-to-date`, `rebuilt`, `left-alone`),
    /// and why, as the JSON rows spell them.
    pub(super) commit: Option<&'a str>,
    pub(super) commit_reason: Option<&'a str>,
    /// Findings at or above the failing severity, for the exit code; not a column.
    pub(super) failing: usize,
    pub(super) json: RowJson<'a>,
}

/// Where a row's JSON object (in `json` and `jsonl`) comes from.
pub(super) enum RowJson<'a> {
    /// Built from the row of this sweep.
    Swept(&'a Row),
    /// As a sweep's JSON document wrote it (`sweep --merge`), byte for byte: every field
    /// kept, known or not.
    Written(&'a RawValue),
}

impl RowView<'_> {
    /// Findings that remain, of every applicability.
    pub(super) fn findings(&self) -> usize {
        self.safe + self.unsafe_ + self.none
    }
}

/// A row the renderers can read: a live sweep's, or a merged document's.
pub(super) trait View {
    fn view(&self) -> RowView<'_>;
}

impl View for Row {
    fn view(&self) -> RowView<'_> {
        RowView {
            repository: &self.repository,
            files_scanned: self.files_scanned,
            safe: self.safe,
            unsafe_: self.unsafe_,
            none: self.none,
            fixable: self.fixable,
            fixed: self.fixed,
            file_errors: self.file_errors,
            fix_errors: self.fix_errors,
            error: self.error.as_deref(),
            branch: self.branch.as_deref(),
            commit: self.commit.map(CommitOutcome::label),
            commit_reason: self.commit.and_then(CommitOutcome::reason),
            failing: self.failing,
            json: RowJson::Swept(self),
        }
    }
}

/// Write the table of `rows` in `format` to `out`.
pub(super) fn print<R: View>(
    format: SweepFormat,
    mut out: Box<dyn Write>,
    rows: &[R],
) -> io::Result<()> {
    let mut reporter = reporter_for(format);
    reporter.begin(&mut out)?;
    let mut totals = Totals::default();
    for row in rows {
        let row = row.view();
        totals.add(&row);
        reporter.row(&mut out, &row)?;
    }
    reporter.end(&mut out, &totals)?;
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
#[derive(Default, Serialize)]
pub(super) struct Totals {
    repositories: usize,
    files_scanned: usize,
    findings: usize,
    fixable: usize,
    fixed: usize,
    errors: usize,
}

impl Totals {
    /// Count `row` in.
    fn add(&mut self, row: &RowView) {
        self.repositories += 1;
        self.files_scanned += row.files_scanned;
        self.findings += row.findings();
        self.fixable += row.fixable;
        self.fixed += row.fixed;
        if row.error.is_some() || row.file_errors > 0 {
            self.errors += 1;
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
fn cells(row: &RowView) -> [String; 9] {
    [
        row.repository.to_string(),
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
fn status(row: &RowView) -> String {
    if let Some(error) = row.error {
        return format!("error: {error}");
    }
    let mut parts = Vec::new();
    if let Some(commit) = row.commit {
        parts.push(commit_status(commit, row.commit_reason, row.branch));
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
fn commit_status(commit: &str, reason: Option<&str>, branch: Option<&str>) -> String {
    let branch = branch.unwrap_or("the branch");
    match (commit, reason) {
        ("up-to-date", _) => format!("up to date on {branch}"),
        ("rebuilt", Some(reason)) => format!("rebuilt on {branch} ({reason})"),
        ("rebuilt", None) => format!("rebuilt on {branch}"),
        ("left-alone", reason) => format!("left alone: {}", reason.unwrap_or("see the branch")),
        // `created`, and any label a newer version wrote into a merged document.
        _ => format!("committed on {branch}"),
    }
}
