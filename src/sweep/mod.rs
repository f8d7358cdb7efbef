//! `regshift sweep DIR...`: every git repository under the folders (or listed in a file),
//! scanned, and with `--fix` fixed, one after another with all threads each; a row per
//! repository. One broken repository (a bad configuration, unreadable files, a failed commit)
//! is reported in its row and never stops the sweep.
//!
//! `--commit` creates a branch and one commit per changed repository with the git CLI. It
//! refuses repositories with uncommitted changes, never pushes, and runs git with the
//! repository's hooks and fsmonitor switched off: no code from a swept repository runs.

mod git;
mod progress;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use self::git::{commit, git, ready_to_commit, roll_back};
use self::progress::Progress;

use crate::app::Outcome;
use crate::cli::{FailOn, SweepArgs, SweepFormat};
use crate::finding::Applicability;
use crate::path::{RepoPath, normalize};
use crate::report::json::JsonFinding;
use crate::scan::{self, Scanned};
use crate::settings::{ConfigChoice, Mode, ScanOptions, Settings, SettingsError};

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("cannot determine the current directory: {0}")]
    CurrentDir(io::Error),
    #[error("{path}: {source}")]
    ReposFrom { path: String, source: io::Error },
    #[error("{0}: not a folder")]
    NotAFolder(String),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("--branch `{0}` is not a valid branch name")]
    Branch(String),
}

/// A repository to sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    pub path: PathBuf,
    /// How it is named in output: relative to the current directory.
    pub display: String,
}

/// One row of the sweep.
#[derive(Debug, Default)]
pub struct Row {
    pub repository: String,
    pub files_scanned: usize,
    /// Findings that remain (after fixing, with --fix), by applicability.
    pub safe: usize,
    pub unsafe_: usize,
    pub none: usize,
    pub fixable: usize,
    pub fixed: usize,
    /// Files or paths that could not be scanned or fixed.
    pub file_errors: usize,
    /// Why the repository could not be swept at all, or its commit failed.
    pub error: Option<String>,
    /// The branch a commit was made on (--commit).
    pub branch: Option<String>,
    /// Findings as `check` reports them in the repository, paths relative to it.
    pub scanned: Option<Scanned>,
    failing: usize,
}

impl Row {
    fn findings(&self) -> usize {
        self.safe + self.unsafe_ + self.none
    }
}

/// Folders holding `.git` (a folder, or a file for worktrees and submodules) under each of
/// `dirs`, down to `depth` levels; a repository's own subfolders are not searched.
pub fn discover(dirs: &[PathBuf], depth: usize, cwd: &Path) -> Result<Vec<Repository>, SweepError> {
    let mut found = Vec::new();
    for dir in dirs {
        let absolute = normalize(&cwd.join(dir));
        if !absolute.is_dir() {
            return Err(SweepError::NotAFolder(dir.display().to_string()));
        }
        search(&absolute, depth, &mut found);
    }
    let mut repositories: Vec<Repository> = found
        .into_iter()
        .map(|path| Repository {
            display: RepoPath::from_path(&path, cwd).to_string(),
            path,
        })
        .collect();
    repositories.sort_by(|a, b| a.display.cmp(&b.display));
    repositories.dedup_by(|a, b| a.path == b.path);
    Ok(repositories)
}

fn search(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if dir.join(".git").exists() {
        found.push(dir.to_path_buf());
        return;
    }
    if depth == 0 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| entry.path())
        .collect();
    children.sort();
    for child in children {
        search(&child, depth - 1, found);
    }
}

/// Repository paths from a file, one per line; `#` starts a comment.
pub fn read_list(file: &Path, cwd: &Path) -> Result<Vec<Repository>, SweepError> {
    let text = std::fs::read_to_string(cwd.join(file)).map_err(|source| SweepError::ReposFrom {
        path: file.display().to_string(),
        source,
    })?;
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let path = normalize(&cwd.join(line));
            Repository {
                display: RepoPath::from_path(&path, cwd).to_string(),
                path,
            }
        })
        .collect())
}

/// Shard `k` of `n` (1-based): a stable share by the repository's name, so the shards of a
/// sweep split it exactly however the list grows.
pub fn in_shard(repository: &Repository, k: usize, n: usize) -> bool {
    let name = repository
        .path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % n as u64) as usize == k - 1
}

/// Sweep, print the table, and return the outcome; `Err` is a usage error (exit 2).
pub fn run(args: &SweepArgs) -> Result<io::Result<Outcome>, SweepError> {
    let cwd = std::env::current_dir().map_err(SweepError::CurrentDir)?;
    let mut repositories = discover(&args.dirs, args.depth, &cwd)?;
    if let Some(file) = &args.repos_from {
        repositories.extend(read_list(file, &cwd)?);
        repositories.sort_by(|a, b| a.display.cmp(&b.display));
        repositories.dedup_by(|a, b| a.path == b.path);
    }
    if let Some((k, n)) = args.shard {
        repositories.retain(|repository| in_shard(repository, k, n));
    }
    crate::settings::threads(args.jobs)?;
    if args.commit
        && git(
            Path::new("."),
            &["check-ref-format", "--branch", &args.branch],
        )
        .is_err()
    {
        return Err(SweepError::Branch(args.branch.clone()));
    }

    let progress = Progress::new(repositories.len());
    let mut rows = Vec::with_capacity(repositories.len());
    let (mut files, mut findings) = (0, 0);
    for repository in &repositories {
        progress.start(&repository.display);
        let row = sweep_repository(repository, args);
        files += row.files_scanned;
        findings += row.findings();
        progress.finish_one(files, findings);
        rows.push(row);
    }
    progress.done();
    Ok(print(args, &rows).map(|()| outcome(&rows)))
}

fn outcome(rows: &[Row]) -> Outcome {
    if rows
        .iter()
        .any(|row| row.error.is_some() || row.file_errors > 0)
    {
        Outcome::Error
    } else if rows.iter().any(|row| row.failing > 0) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

fn sweep_repository(repository: &Repository, args: &SweepArgs) -> Row {
    let mut row = Row {
        repository: repository.display.clone(),
        ..Row::default()
    };
    if !repository.path.is_dir() {
        row.error = Some("not a folder".into());
        return row;
    }
    if args.commit
        && let Err(refusal) = ready_to_commit(&repository.path, &args.branch)
    {
        row.error = Some(refusal);
        return row;
    }
    let options = ScanOptions {
        exclude: args.exclude.clone(),
        config: if args.no_config {
            ConfigChoice::Defaults
        } else {
            ConfigChoice::Discover
        },
        jobs: args.jobs,
        format: crate::cli::Format::Json,
        unsafe_fixes: args.unsafe_fixes,
        fail_on: args.fail_on.map(FailOn::severity),
        ..ScanOptions::new(
            vec![repository.path.clone()],
            if args.fix { Mode::Fix } else { Mode::Check },
        )
    };
    let settings = match Settings::resolve(&options, &repository.path) {
        Ok(settings) => settings,
        Err(error) => {
            row.error = Some(error.to_string());
            return row;
        }
    };
    let scanned = match scan::scan(&settings) {
        Ok(scanned) => scanned,
        Err(error) => {
            row.error = Some(error.to_string());
            return row;
        }
    };
    let summary = &scanned.run.summary;
    row.files_scanned = summary.files_scanned;
    row.fixable = summary.fixable;
    row.fixed = summary.fixed;
    row.failing = summary.failing;
    row.file_errors = summary.io_errors;
    for finding in scanned.reports.iter().flat_map(|report| &report.findings) {
        match finding.applicability() {
            Applicability::Safe => row.safe += 1,
            Applicability::Unsafe => row.unsafe_ += 1,
            Applicability::DisplayOnly => row.none += 1,
        }
    }
    if args.commit && row.fixed > 0 {
        let changed: Vec<String> = scanned
            .reports
            .iter()
            .filter(|report| report.fixed > 0)
            .map(|report| report.path.to_string())
            .collect();
        match commit(&repository.path, &args.branch, &changed, &scanned) {
            Ok(()) => row.branch = Some(args.branch.clone()),
            Err(error) => {
                row.error = Some(match roll_back(&repository.path, &args.branch, &changed) {
                    Ok(()) => format!("{error} (the fix was rolled back)"),
                    Err(rollback) => format!("{error}; rolling back failed too: {rollback}"),
                });
            }
        }
    }
    row.scanned = Some(scanned);
    row
}

#[derive(Serialize)]
struct JsonRow<'a> {
    path: &'a str,
    files_scanned: usize,
    findings: Vec<JsonFinding<'a>>,
    safe: usize,
    #[serde(rename = "unsafe")]
    unsafe_: usize,
    none: usize,
    fixable: usize,
    fixed: usize,
    file_errors: usize,
    error: Option<&'a str>,
    branch: Option<&'a str>,
}

fn json_row(row: &Row) -> JsonRow<'_> {
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
        fixable: row.fixable,
        fixed: row.fixed,
        file_errors: row.file_errors,
        error: row.error.as_deref(),
        branch: row.branch.as_deref(),
    }
}

#[derive(Serialize)]
struct JsonSummary {
    repositories: usize,
    files_scanned: usize,
    findings: usize,
    fixable: usize,
    fixed: usize,
    errors: usize,
}

impl JsonSummary {
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

fn summary(rows: &[Row]) -> JsonSummary {
    JsonSummary {
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

/// The status column: an error, the branch committed to, or nothing.
fn status(row: &Row) -> String {
    match (&row.error, &row.branch, row.file_errors) {
        (Some(error), _, _) => format!("error: {error}"),
        (None, Some(branch), _) => format!("committed on {branch}"),
        (None, None, 0) => String::new(),
        (None, None, errors) => format!(
            "{} not scanned",
            crate::report::plural(errors, "file", "files")
        ),
    }
}

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

fn print(args: &SweepArgs, rows: &[Row]) -> io::Result<()> {
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    };
    let totals = summary(rows);
    match args.format {
        SweepFormat::Json => {
            #[derive(Serialize)]
            struct Document<'a> {
                version: u32,
                repos: Vec<JsonRow<'a>>,
                summary: JsonSummary,
            }
            let document = Document {
                version: 1,
                repos: rows.iter().map(json_row).collect(),
                summary: totals,
            };
            serde_json::to_writer(&mut out, &document)?;
            writeln!(out)?;
        }
        SweepFormat::Jsonl => {
            for row in rows {
                serde_json::to_writer(&mut out, &json_row(row))?;
                writeln!(out)?;
            }
        }
        SweepFormat::Csv => {
            writeln!(out, "{}", COLUMNS.join(","))?;
            for row in rows {
                let line: Vec<String> = cells(row).iter().map(|cell| csv_field(cell)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
        SweepFormat::Markdown => {
            writeln!(out, "| {} |", COLUMNS.join(" | "))?;
            writeln!(out, "|---|{}", "---:|".repeat(7) + "---|")?;
            for row in rows {
                let line: Vec<String> = cells(row)
                    .iter()
                    .map(|cell| cell.replace('|', "\\|"))
                    .collect();
                writeln!(out, "| {} |", line.join(" | "))?;
            }
            writeln!(out, "\n{}", totals.line())?;
        }
        SweepFormat::Human => {
            let table: Vec<[String; 9]> = rows.iter().map(cells).collect();
            let widths: Vec<usize> = (0..COLUMNS.len())
                .map(|column| {
                    table
                        .iter()
                        .map(|cells| cells[column].chars().count())
                        .chain([COLUMNS[column].len()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |cells: &[&str]| -> String {
                cells
                    .iter()
                    .enumerate()
                    .map(|(column, cell)| {
                        if column == 0 || column == COLUMNS.len() - 1 {
                            format!("{cell:<width$}", width = widths[column])
                        } else {
                            format!("{cell:>width$}", width = widths[column])
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            writeln!(out, "{}", line(&COLUMNS))?;
            for cells in &table {
                let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
                writeln!(out, "{}", line(&cells))?;
            }
            writeln!(out, "\n{}", totals.line())?;
        }
    }
    out.flush()
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_repository_exactly_once() {
        let repositories: Vec<Repository> = (0..100)
            .map(|index| Repository {
                path: PathBuf::from(format!("/src/repo-{index}")),
                display: format!("repo-{index}"),
            })
            .collect();
        for shards in 1..6 {
            for repository in &repositories {
                let owners = (1..=shards)
                    .filter(|&k| in_shard(repository, k, shards))
                    .count();
                assert_eq!(owners, 1, "{} in {shards} shards", repository.display);
            }
        }
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
