//! Deciding what to scan, in one place (ripgrep's haystack split): paths named on the command
//! line are always scanned (unless `--force-exclude` and excluded); files found under named
//! folders are filtered by `.gitignore`, `.ignore` and the configured excludes. Symlinks found
//! in the walk are not followed. The result is one sorted list, or, for a read-only run over
//! folders that do not overlap, a stream of files handed to the walker threads' sinks.
//!
//! A file git tracks is scanned even when a gitignore rule matches it: git applies those rules
//! to untracked files only ([`tracked`] finds them, from the repositories' indexes read by
//! [`git_index`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::{WalkBuilder, WalkState};

use crate::config::Config;
use crate::path::RepoPath;

pub mod git_index;
mod tracked;

/// A scanned root: what the user typed, made absolute, with its configuration.
#[derive(Debug, Clone)]
pub struct Root {
    pub given: PathBuf,
    pub absolute: PathBuf,
    pub config: Arc<Config>,
}

/// One file to read.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Absolute path used for I/O.
    pub path: PathBuf,
    /// How the file is named in output.
    pub display: RepoPath,
    /// Index into the roots.
    pub root: usize,
    /// Named on the command line.
    pub explicit: bool,
}

/// A path that could not be walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Walked {
    /// Sorted by display path; no duplicates.
    pub candidates: Vec<Candidate>,
    pub errors: Vec<WalkError>,
}

/// Version-control metadata is never scanned, although other hidden folders (`.github`) are.
const VCS_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj"];

/// The paths named on the command line, sorted out: folders to walk, files to read as they
/// are, and paths that cannot be read. With `--force-exclude`, excluded ones are left out.
struct NamedPaths {
    directory_roots: Vec<usize>,
    files: Vec<Candidate>,
    errors: Vec<WalkError>,
}

fn named_paths(roots: &[Root], cwd: &Path, force_exclude: bool) -> NamedPaths {
    let mut named = NamedPaths {
        directory_roots: Vec::new(),
        files: Vec::new(),
        errors: Vec::new(),
    };
    for (index, root) in roots.iter().enumerate() {
        let metadata = match std::fs::metadata(&root.absolute) {
            Ok(metadata) => metadata,
            Err(error) => {
                named.errors.push(WalkError {
                    path: root.given.display().to_string(),
                    message: error.to_string(),
                });
                continue;
            }
        };
        if force_exclude
            && root
                .config
                .is_excluded(&root.absolute, metadata.is_dir(), true)
        {
            continue;
        }
        if metadata.is_dir() {
            named.directory_roots.push(index);
        } else {
            named.files.push(Candidate {
                path: root.absolute.clone(),
                display: RepoPath::from_path(&root.absolute, cwd),
                root: index,
                explicit: true,
            });
        }
    }
    named
}

pub fn collect_candidates(
    roots: &[Root],
    cwd: &Path,
    force_exclude: bool,
    threads: usize,
) -> Walked {
    let named = named_paths(roots, cwd, force_exclude);
    let directory_roots = named.directory_roots;
    let mut walked = Walked {
        candidates: named.files,
        errors: named.errors,
    };
    if !directory_roots.is_empty() {
        walk_directories(roots, &directory_roots, cwd, threads, &mut walked);
    }
    // Two files can share a display name (invalid UTF-8 shown lossily): order and deduplicate
    // by the real path too, so neither is dropped.
    walked
        .candidates
        .sort_by(|a, b| (&a.display, &a.path).cmp(&(&b.display, &b.path)));
    walked.candidates.dedup_by(|a, b| a.path == b.path);
    drop_duplicate_links(&mut walked.candidates);
    walked.errors.sort_by(|a, b| a.path.cmp(&b.path));
    walked
}

/// A symlink named on the command line next to its target (pre-commit passes both when both
/// are staged) is one file: processing it twice would race two writers and make the counts
/// depend on the thread count. The first name in sorted order that is not a link wins.
fn drop_duplicate_links(candidates: &mut Vec<Candidate>) {
    let is_link = |candidate: &Candidate| {
        candidate.explicit
            && std::fs::symlink_metadata(&candidate.path)
                .is_ok_and(|meta| meta.file_type().is_symlink())
    };
    let links: Vec<bool> = candidates.iter().map(is_link).collect();
    if !links.contains(&true) {
        return;
    }
    let mut seen = std::collections::HashSet::new();
    for (candidate, _) in candidates.iter().zip(&links).filter(|(_, link)| !**link) {
        if let Ok(real) = std::fs::canonicalize(&candidate.path) {
            seen.insert(real);
        }
    }
    let mut links = links.into_iter();
    candidates.retain(|candidate| {
        if !links.next().unwrap_or(false) {
            return true;
        }
        match std::fs::canonicalize(&candidate.path) {
            Ok(real) => seen.insert(real),
            Err(_) => true,
        }
    });
}

fn walk_directories(
    roots: &[Root],
    directory_roots: &[usize],
    cwd: &Path,
    threads: usize,
    walked: &mut Walked,
) {
    let found = Mutex::new(Vec::new());
    visit(roots, directory_roots, cwd, threads, || {
        // Each walker thread collects alone and hands its share over once, when it ends.
        let mut share = Share::new(&found);
        move |item| share.local.push(item)
    });
    for item in found
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner())
    {
        match item {
            Ok(candidate) => walked.candidates.push(candidate),
            Err(error) => walked.errors.push(error),
        }
    }
}

/// The directory roots (indices into `roots`) of a walk whose files can be handed on as they
/// are found, in any order: every root is a folder (or excluded) and none holds another, so no
/// file is found twice. `None` when the walk must collect, sort and deduplicate first.
pub fn streamable_roots(roots: &[Root], cwd: &Path, force_exclude: bool) -> Option<Vec<usize>> {
    let named = named_paths(roots, cwd, force_exclude);
    if !named.files.is_empty() || !named.errors.is_empty() {
        return None;
    }
    let directory_roots = named.directory_roots;
    let nested = directory_roots.iter().any(|&outer| {
        directory_roots.iter().any(|&inner| {
            inner != outer
                && crate::path::strip_dir(&roots[inner].absolute, &roots[outer].absolute).is_some()
        })
    });
    (!nested && !directory_roots.is_empty()).then_some(directory_roots)
}

/// Walk the folders `directory_roots` in parallel and hand every file found (or error) to a
/// sink of the walker thread that found it; `make_sink` makes one sink per thread. After the
/// walk, the tracked files that gitignore rules alone kept from it ([`tracked`]) are handed to
/// sinks too, on as many threads.
pub fn visit<F, S>(
    roots: &[Root],
    directory_roots: &[usize],
    cwd: &Path,
    threads: usize,
    make_sink: F,
) where
    F: Fn() -> S + Sync,
    S: FnMut(Result<Candidate, WalkError>) + Send,
{
    let work_trees: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let builder = walk_builder(roots, directory_roots, threads, work_trees.clone());
    let owners: Vec<(PathBuf, usize)> = directory_roots
        .iter()
        .map(|&index| (roots[index].absolute.clone(), index))
        .collect();
    let scope = tracked::Scope {
        roots,
        directory_roots,
        cwd,
    };
    let seen = Mutex::new(Vec::new());
    let indexes = std::thread::scope(|threads| {
        let indexes = threads.spawn(|| tracked::read_enclosing(&scope));
        builder.build_parallel().run(|| {
            let owners = &owners;
            let mut hashes = Share::new(&seen);
            let mut sink = make_sink();
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        // Symlinks are not followed: `file_type` is the link's own type.
                        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
                            return WalkState::Continue;
                        }
                        hashes.local.push(tracked::path_hash(entry.path()));
                        let root = owning_root(owners, entry.path()).map_or(0, |(_, index)| *index);
                        sink(Ok(Candidate {
                            display: RepoPath::from_path(entry.path(), cwd),
                            path: entry.into_path(),
                            root,
                            explicit: false,
                        }));
                    }
                    Err(error) => sink(Err(walk_error(&error, cwd))),
                }
                WalkState::Continue
            })
        });
        // A panic while reading an index is a bug, not a reason to lose the scan.
        indexes.join().unwrap_or_default()
    });
    let seen = tracked::Seen::new(lock(&seen).split_off(0));
    let nested = lock(&work_trees).split_off(0);
    let skipped = tracked::skipped_tracked_files(&scope, &seen, indexes, nested);
    hand_over(&skipped, threads, &make_sink);
}

/// `ignore`'s walker over the folders, with regshift's filters: version-control folders,
/// regshift's own files and the configured excludes. It notes every folder that holds a
/// `.git` (a repository's work tree) in `work_trees`.
fn walk_builder(
    roots: &[Root],
    directory_roots: &[usize],
    threads: usize,
    work_trees: Arc<Mutex<Vec<PathBuf>>>,
) -> WalkBuilder {
    let mut builder = WalkBuilder::new(&roots[directory_roots[0]].absolute);
    for &index in &directory_roots[1..] {
        builder.add(&roots[index].absolute);
    }
    let filter_roots: Arc<Vec<(PathBuf, Arc<Config>)>> = Arc::new(
        directory_roots
            .iter()
            .map(|&index| (roots[index].absolute.clone(), roots[index].config.clone()))
            .collect(),
    );
    builder
        .hidden(false)
        .ignore(true)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .require_git(false)
        .parents(true)
        .follow_links(false)
        .threads(threads)
        .filter_entry(move |entry| {
            if entry.depth() == 0 {
                return true;
            }
            if entry.file_name() == ".git"
                && let Some(work_tree) = entry.path().parent()
            {
                lock(&work_trees).push(work_tree.to_path_buf());
            }
            let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
            if is_dir && VCS_DIRS.iter().any(|name| entry.file_name() == *name) {
                return false;
            }
            // regshift's own configuration names the registries it moves or ignores, and its
            // temporary files are another run's writes in flight.
            if !is_dir
                && (crate::config::CONFIG_FILE_NAMES
                    .iter()
                    .any(|name| entry.file_name() == *name)
                    || crate::fix::write::is_temporary(entry.file_name()))
            {
                return false;
            }
            match owning_root(&filter_roots, entry.path()) {
                Some((_, config)) => !config.is_excluded(entry.path(), is_dir, false),
                None => true,
            }
        });
    builder
}

/// Hand `files` to sinks after the walk, spread over up to `threads` threads (each with its
/// own sink, as walker threads have), so a tree with many such files keeps its parallelism.
fn hand_over<F, S>(files: &[Candidate], threads: usize, make_sink: &F)
where
    F: Fn() -> S + Sync,
    S: FnMut(Result<Candidate, WalkError>) + Send,
{
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut sink = make_sink();
        while let Some(file) = files.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            sink(Ok(file.clone()));
        }
    };
    match threads.clamp(1, files.len().max(1)) {
        _ if files.is_empty() => {}
        1 => work(),
        workers => std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(work);
            }
        }),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// One walker thread's share of what a walk yields, added to the shared list when the thread's
/// sink is dropped (one lock per thread instead of one per file).
pub struct Share<'a, T> {
    shared: &'a Mutex<Vec<T>>,
    pub local: Vec<T>,
}

impl<'a, T> Share<'a, T> {
    pub fn new(shared: &'a Mutex<Vec<T>>) -> Share<'a, T> {
        Share {
            shared,
            local: Vec::new(),
        }
    }
}

impl<T> Drop for Share<'_, T> {
    fn drop(&mut self) {
        self.shared
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .append(&mut self.local);
    }
}

/// The innermost root that holds `path` (a path the walk found), with what it carries.
fn owning_root<'a, T>(roots: &'a [(PathBuf, T)], path: &Path) -> Option<&'a (PathBuf, T)> {
    if let [only] = roots {
        // Every path of a walk over one root lies in it.
        return Some(only);
    }
    roots
        .iter()
        .filter(|(root, _)| crate::path::strip_dir(path, root).is_some())
        .max_by_key(|(root, _)| root.as_os_str().len())
}

/// `ignore` errors carry the path in some variants; name it relative to the current directory.
fn walk_error(error: &ignore::Error, cwd: &Path) -> WalkError {
    fn path_of(error: &ignore::Error) -> Option<&Path> {
        match error {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            _ => None,
        }
    }
    fn message_of(error: &ignore::Error) -> String {
        match error {
            ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
                message_of(err)
            }
            other => other.to_string(),
        }
    }
    WalkError {
        path: path_of(error).map_or_else(String::new, |path| {
            RepoPath::from_path(path, cwd).to_string()
        }),
        message: message_of(error),
    }
}
