//! `regshift sweep DIR...`: every git repository under the folders (or listed in a file),
//! scanned, and with `--fix` fixed, several at once; a row per repository, in the order of
//! their names. One broken repository (a bad configuration, unreadable files, a failed
//! commit) is reported in its row and never stops the sweep.
//!
//! `--commit` never writes the working tree: the fix is computed in memory and committed on
//! a branch without touching the checked-out branch, the index or the files (`commit.rs`).
//! It refuses repositories with uncommitted changes, never pushes, and runs git with the
//! repository's hooks and fsmonitor switched off: no code from a swept repository runs.
//!
//! `--merge` (in `merge`) sweeps nothing: it reports the JSON documents of sharded sweeps as one.

mod abort;
mod commit;
mod git;
mod merge;
mod progress;
mod render;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use self::commit::{CommitOutcome, LeftAlone, Plan};
use self::git::{git, ready_to_commit};
use self::progress::Progress;
use self::render::View;
use crate::app::Outcome;
use crate::cli::{FailOn, SweepArgs};
use crate::finding::Applicability;
use crate::path::{RepoPath, normalize};
use crate::scan::{self, Scanned};
use crate::settings::{ConfigChoice, Mode, ScanOptions, Settings, SettingsError};

/// Why a sweep could not start (exit 2).
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
    #[error("--output {path}: {source}")]
    Output { path: String, source: io::Error },
    #[error(transparent)]
    Merge(#[from] merge::MergeError),
}

/// A repository to sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Repository {
    path: PathBuf,
    /// How it is named in output: relative to the current directory.
    display: String,
}

/// One row of the sweep.
#[derive(Debug, Default)]
struct Row {
    repository: String,
    files_scanned: usize,
    /// Findings that remain (after fixing, with --fix), by applicability.
    safe: usize,
    unsafe_: usize,
    none: usize,
    fixable: usize,
    fixed: usize,
    /// Files or paths that could not be read or walked.
    file_errors: usize,
    /// Files whose fix could not be applied or written: each is left as it was.
    fix_errors: usize,
    /// Why the repository could not be swept at all, or its commit failed.
    error: Option<String>,
    /// The branch that holds the fix (--commit): created, rebuilt or already up to date.
    branch: Option<String>,
    /// What --commit did with the branch.
    commit: Option<CommitOutcome>,
    /// Findings as `check` reports them in the repository, paths relative to it.
    scanned: Option<Scanned>,
    /// Findings at or above the failing severity, for the exit code; not a column.
    failing: usize,
}

impl Row {
    /// Findings that remain, of every applicability.
    fn findings(&self) -> usize {
        self.safe + self.unsafe_ + self.none
    }

    /// A repository's scan: its counts, and its findings.
    fn record(&mut self, scanned: Scanned) {
        self.count(&scanned);
        self.scanned = Some(scanned);
    }

    /// The counts of a repository's scan.
    fn count(&mut self, scanned: &Scanned) {
        let summary = &scanned.run.summary;
        self.files_scanned = summary.files_scanned;
        self.fixable = summary.fixable;
        self.fixed = summary.fixed;
        self.failing = summary.failing;
        self.fix_errors = scanned
            .reports
            .iter()
            .filter(|report| report.error.is_some())
            .count();
        self.file_errors = summary.io_errors.saturating_sub(self.fix_errors);
        for finding in scanned.reports.iter().flat_map(|report| &report.findings) {
            match finding.applicability() {
                Applicability::Safe => self.safe += 1,
                Applicability::Unsafe => self.unsafe_ += 1,
                Applicability::DisplayOnly => self.none += 1,
            }
        }
    }
}

/// Folders holding `.git` (a folder, or a file for worktrees and submodules) under each of
/// `dirs`, down to `depth` levels; a repository's own subfolders are not searched.
fn discover(dirs: &[PathBuf], depth: usize, cwd: &Path) -> Result<Vec<Repository>, SweepError> {
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
fn read_list(file: &Path, cwd: &Path) -> Result<Vec<Repository>, SweepError> {
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
fn in_shard(repository: &Repository, k: usize, n: usize) -> bool {
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
    if !args.merge.is_empty() {
        return merge::run(args);
    }
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
    if args.commit
        && git(
            Path::new("."),
            &["check-ref-format", "--branch", &args.branch],
        )
        .is_err()
    {
        return Err(SweepError::Branch(args.branch.clone()));
    }

    // Created before the first repository is swept: a path that cannot be written must not
    // cost a whole sweep (and its fixes) before it is found out.
    let out = open_output(args)?;
    let rows = sweep_all(&repositories, args)?;
    let printed = render::print(args.format, out, &rows);
    Ok(printed.map(|()| outcome(&rows)))
}

/// The `--output` file (created now), or standard output; the error names the path.
fn open_output(args: &SweepArgs) -> Result<Box<dyn io::Write>, SweepError> {
    render::open(args.output.as_deref()).map_err(|source| SweepError::Output {
        path: args
            .output
            .as_deref()
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
        source,
    })
}

/// Every repository's row, in the order of `repositories`. Several repositories are swept at
/// once, the threads shared between them (each repository's scan gets its share); each
/// thread takes the next repository in order, so with one thread the order is the list's.
fn sweep_all(repositories: &[Repository], args: &SweepArgs) -> Result<Vec<Row>, SweepError> {
    let threads = crate::settings::threads(args.jobs)?;
    let at_once = threads.min(repositories.len()).max(1);
    let scan_threads = (threads / at_once).max(1);
    let progress = Progress::new(repositories.len());
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(repositories.len()));
    std::thread::scope(|scope| {
        for _ in 0..at_once {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(repository) = repositories.get(index) else {
                        break;
                    };
                    let row = sweep_repository(repository, args, scan_threads);
                    progress.finish_one(row.findings(), row.fixed);
                    done.lock()
                        .unwrap_or_else(|poison| poison.into_inner())
                        .push((index, row));
                    abort::reached(abort::Point::BetweenRepositories);
                }
            });
        }
    });
    progress.done();
    let mut rows = done
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    rows.sort_by_key(|(index, _)| *index);
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

/// The exit code of a sweep's rows (or a merge's).
fn outcome<R: View>(rows: &[R]) -> Outcome {
    let rows: Vec<_> = rows.iter().map(View::view).collect();
    if rows
        .iter()
        .any(|row| row.error.is_some() || row.file_errors > 0 || row.fix_errors > 0)
    {
        Outcome::Error
    } else if rows.iter().any(|row| row.failing > 0) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

/// One repository's row: scanned (with --fix, fixed, and with --commit, committed), or the
/// reason it could not be.
fn sweep_repository(repository: &Repository, args: &SweepArgs, threads: usize) -> Row {
    let mut row = Row {
        repository: repository.display.clone(),
        ..Row::default()
    };
    let swept = if !repository.path.is_dir() {
        Err("not a folder".to_string())
    } else if args.commit {
        sweep_and_commit(repository, args, threads, &mut row)
    } else {
        let mode = if args.fix { Mode::Fix } else { Mode::Check };
        settings(repository, args, threads, mode)
            .and_then(|settings| scan::scan(&settings).map_err(|error| error.to_string()))
            .map(|scanned| row.record(scanned))
    };
    if let Err(reason) = swept {
        row.error = Some(reason);
    }
    row
}

/// `--fix --commit`: the checks, then the fix computed in memory and committed on the branch,
/// or (when the branch is left alone) the repository checked. `Err` says why the repository
/// was not swept or its commit failed.
fn sweep_and_commit(
    repository: &Repository,
    args: &SweepArgs,
    threads: usize,
    row: &mut Row,
) -> Result<(), String> {
    let dir = &repository.path;
    ready_to_commit(dir)?;
    let (head, tip) = match commit::plan(dir, &args.branch)? {
        Plan::Build { head, tip } => (head, tip),
        Plan::LeaveAlone(why) => {
            // Nothing is fixed: the row says what remains in the repository.
            let settings = settings(repository, args, threads, Mode::Check)?;
            row.record(scan::scan(&settings).map_err(|error| error.to_string())?);
            row.commit = Some(CommitOutcome::LeftAlone(why));
            return Ok(());
        }
    };
    let settings = settings(repository, args, threads, Mode::Fix)?;
    let (scanned, files) = scan::fix_in_memory(&settings).map_err(|error| error.to_string())?;
    let summary = scanned.run.summary.clone();
    row.record(scanned);
    if files.is_empty() {
        row.commit = tip
            .is_some()
            .then_some(CommitOutcome::LeftAlone(LeftAlone::NothingToFix));
        return Ok(());
    }
    let outcome = commit::commit_fix(dir, &args.branch, &head, tip.as_ref(), &files, &summary)?;
    row.commit = Some(outcome);
    if outcome.holds_fix() {
        row.branch = Some(args.branch.clone());
    }
    Ok(())
}

/// The settings of `check` (or `fix`) inside the repository, with its own configuration.
fn settings(
    repository: &Repository,
    args: &SweepArgs,
    threads: usize,
    mode: Mode,
) -> Result<Settings, String> {
    let options = ScanOptions {
        exclude: args.exclude.clone(),
        config: if args.no_config {
            ConfigChoice::Defaults
        } else {
            ConfigChoice::Discover
        },
        jobs: Some(threads),
        format: crate::cli::Format::Json,
        unsafe_fixes: args.unsafe_fixes,
        fail_on: args.fail_on.map(FailOn::severity),
        ..ScanOptions::new(vec![repository.path.clone()], mode)
    };
    Settings::resolve(&options, &repository.path).map_err(|error| error.to_string())
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
}
