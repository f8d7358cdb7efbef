//! Files git tracks that the walk's gitignore rules skipped (issue 15).
//!
//! git applies ignore rules to untracked files only, and repositories do commit files their
//! own patterns match (a chart's `values.yaml` under a `.gitignore` that lists it). The walk
//! stays `ignore`'s streamed walk, which cannot say what a gitignore rule skipped; instead it
//! records a hash of every file it hands on ([`Seen`]) and the repositories it passes
//! (`.git` entries), while another thread reads the indexes ([`super::git_index`]) of the
//! repositories that hold the scanned folders. Afterwards each index names the tracked files
//! under the scanned folders, and those the walk did not hand on are checked against
//! everything the walk applies except gitignore rules: `.ignore` files, the configured and
//! default excludes, version-control folders, regshift's own files, symlinks (never followed,
//! also as a parent folder) and files that are gone. What passes is a file the walk skipped
//! because of `.gitignore`, `.git/info/exclude` or the global gitignore alone, and is scanned
//! like any found file.
//!
//! A file belongs to the innermost repository that holds it (a submodule's files to the
//! submodule's index); a repository the walk never entered (a nested clone the parent ignores)
//! is not read. An index that is missing or cannot be read changes nothing: the run falls back
//! to the gitignore rules, as before, and says nothing (a fresh `git init` has no index).

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;

use super::git_index::{self, TrackedPaths};
use super::{Candidate, Root, VCS_DIRS};
use crate::path::RepoPath;

/// What the walk handed on, as 64-bit hashes of the paths' bytes: hashing a path costs less
/// than keeping it, and a collision (odds near 1 in 10^10 for 100,000 files) only leaves a
/// tracked file skipped, as it was before.
#[derive(Debug, Default)]
pub(super) struct Seen {
    sorted: Vec<u64>,
}

/// A 64-bit hash of `bytes`, eight at a time, with murmur3's finaliser: this runs for every
/// file of a walk and every path of an index.
fn hash_bytes(bytes: &[u8]) -> u64 {
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |hash: u64, word: u64| (hash.rotate_left(23) ^ word).wrapping_mul(MULTIPLIER);
    let mut chunks = bytes.chunks_exact(8);
    let mut hash = bytes.len() as u64;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        hash = mix(hash, u64::from_le_bytes(word));
    }
    let mut last = [0; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    hash = mix(hash, u64::from_le_bytes(last));
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// The hash [`Seen`] keeps for a path the walk found.
pub(super) fn path_hash(path: &Path) -> u64 {
    hash_bytes(path.as_os_str().as_encoded_bytes())
}

/// The hash of `work_tree/name`, built in `buffer`. The walk's paths and the work trees are
/// plain (no `.`, `..` or doubled separators), so the bytes agree with the walk's.
fn tracked_hash(buffer: &mut Vec<u8>, work_tree: &[u8], name: &[u8]) -> u64 {
    buffer.clear();
    buffer.extend_from_slice(work_tree);
    if !work_tree.ends_with(b"/") {
        buffer.push(b'/');
    }
    buffer.extend_from_slice(name);
    hash_bytes(buffer)
}

impl Seen {
    pub(super) fn new(mut hashes: Vec<u64>) -> Seen {
        hashes.sort_unstable();
        Seen { sorted: hashes }
    }

    fn contains(&self, hash: u64) -> bool {
        self.sorted.binary_search(&hash).is_ok()
    }
}

/// The git folder a `.git` entry names: the folder itself, or a `.git` file's `gitdir:` line
/// (linked work trees and submodules), relative to the file's folder.
fn git_dir(dot_git: &Path) -> Option<PathBuf> {
    let metadata = std::fs::metadata(dot_git).ok()?;
    if metadata.is_dir() {
        return Some(dot_git.to_path_buf());
    }
    // A `.git` file is one short line; a large one is not a `.git` file.
    if !metadata.is_file() || metadata.len() > 4096 {
        return None;
    }
    let text = std::fs::read_to_string(dot_git).ok()?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    let folder = dot_git.parent()?;
    Some(crate::path::normalize(&folder.join(target)))
}

/// The index of the repository whose work tree is `work_tree`, if it has a `.git`.
fn index_at(work_tree: &Path) -> Option<PathBuf> {
    git_dir(&work_tree.join(".git")).map(|git_dir| git_dir.join("index"))
}

/// The work tree that holds `folder`: the nearest folder upward, itself included, with `.git`.
fn enclosing_work_tree(folder: &Path) -> Option<&Path> {
    folder
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok())
}

/// The folders a walk scanned, and the repositories around and inside them.
pub(super) struct Scope<'a> {
    pub roots: &'a [Root],
    pub directory_roots: &'a [usize],
    pub cwd: &'a Path,
}

/// Each repository's work tree and the paths its index tracks (`None`: the index cannot be
/// read, and the gitignore rules stand, as without git).
pub(super) type Indexes = BTreeMap<PathBuf, Option<TrackedPaths>>;

/// The indexes of the repositories that hold the scanned folders. A large index takes
/// milliseconds to read, so the walk runs meanwhile.
pub(super) fn read_enclosing(scope: &Scope<'_>) -> Indexes {
    let around = scope
        .directory_roots
        .iter()
        .filter_map(|&index| enclosing_work_tree(&scope.roots[index].absolute))
        .map(Path::to_path_buf);
    let mut indexes = Indexes::new();
    add_indexes(&mut indexes, around);
    indexes
}

fn add_indexes(indexes: &mut Indexes, work_trees: impl Iterator<Item = PathBuf>) {
    for work_tree in work_trees {
        if !indexes.contains_key(&work_tree)
            && let Some(index) = index_at(&work_tree)
        {
            indexes.insert(work_tree, git_index::read_index(&index).ok());
        }
    }
}

/// Every tracked file under the scanned folders that the walk did not hand on and that only
/// gitignore rules kept from it, sorted by path. `indexes` come from [`read_enclosing`];
/// `nested` are the work trees the walk passed (folders with a `.git` entry).
pub(super) fn skipped_tracked_files(
    scope: &Scope<'_>,
    seen: &Seen,
    mut indexes: Indexes,
    nested: Vec<PathBuf>,
) -> Vec<Candidate> {
    add_indexes(&mut indexes, nested.into_iter());
    let mut filter = Filter::new(scope);
    let mut found = Vec::new();
    for (work_tree, tracked) in &indexes {
        let Some(tracked) = tracked else {
            continue;
        };
        let prefixes = scanned_prefixes(scope, work_tree);
        let mut buffer = Vec::new();
        let work_tree_bytes = work_tree.as_os_str().as_encoded_bytes();
        let unseen = tracked
            .iter()
            .filter(|name| {
                prefixes
                    .as_ref()
                    .is_none_or(|prefixes| prefixes.iter().any(|prefix| name.starts_with(prefix)))
            })
            .filter(|name| !seen.contains(tracked_hash(&mut buffer, work_tree_bytes, name)));
        for name in unseen {
            let path = work_tree.join(path_from_bytes(name));
            if innermost_work_tree(&indexes, &path) == Some(work_tree.as_path())
                && let Some(candidate) = filter.candidate(path)
            {
                found.push(candidate);
            }
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup_by(|a, b| a.path == b.path);
    found
}

/// Where the scanned folders lie in `work_tree`, as index path prefixes (`chart/`): `None` when
/// one of them holds the whole work tree. Scanning one folder of a large repository then
/// costs a byte comparison per index entry outside it.
fn scanned_prefixes(scope: &Scope<'_>, work_tree: &Path) -> Option<Vec<Vec<u8>>> {
    let mut prefixes = Vec::new();
    for &index in scope.directory_roots {
        let root = &scope.roots[index].absolute;
        if crate::path::strip_dir(work_tree, root).is_some() {
            return None;
        }
        if let Some(below) = crate::path::strip_dir(root, work_tree) {
            let mut prefix = below.as_os_str().as_encoded_bytes().to_vec();
            prefix.push(b'/');
            prefixes.push(prefix);
        }
    }
    Some(prefixes)
}

#[cfg(unix)]
fn path_from_bytes(name: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(name))
}

#[cfg(not(unix))]
fn path_from_bytes(name: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(name).replace('/', "\\"))
}

fn innermost_work_tree<'a>(work_trees: &'a Indexes, path: &Path) -> Option<&'a Path> {
    path.ancestors()
        .skip(1)
        .find_map(|dir| work_trees.get_key_value(dir).map(|(key, _)| key.as_path()))
}

/// What the walk applies to a path apart from gitignore rules, with the folders' `.ignore`
/// files and symlink checks remembered.
struct Filter<'a> {
    scope: &'a Scope<'a>,
    ignore_files: HashMap<PathBuf, Option<Gitignore>>,
    plain_folders: HashMap<PathBuf, bool>,
}

impl<'a> Filter<'a> {
    fn new(scope: &'a Scope<'a>) -> Filter<'a> {
        Filter {
            scope,
            ignore_files: HashMap::new(),
            plain_folders: HashMap::new(),
        }
    }

    /// `path` as a found file, if the walk would take it but for gitignore rules.
    fn candidate(&mut self, path: PathBuf) -> Option<Candidate> {
        let (root_path, root_index, relative) = self.owning_root(&path)?;
        let name = path.file_name()?;
        if crate::config::CONFIG_FILE_NAMES
            .iter()
            .any(|config| name == *config)
            || crate::fix::write::is_temporary(name)
        {
            return None;
        }
        let config = &self.scope.roots[root_index].config;
        let folders: Vec<PathBuf> = relative
            .ancestors()
            .skip(1)
            .filter(|folder| !folder.as_os_str().is_empty())
            .map(|folder| root_path.join(folder))
            .collect();
        for folder in folders.iter().rev() {
            if folder
                .file_name()
                .is_some_and(|name| VCS_DIRS.iter().any(|vcs| name == *vcs))
                || config.is_excluded(folder, true, false)
                || self.ignored_by_ignore_files(folder, true)
                || !self.is_plain_folder(folder)
            {
                return None;
            }
        }
        if config.is_excluded(&path, false, false) || self.ignored_by_ignore_files(&path, false) {
            return None;
        }
        // The walk does not follow symlinks, and a tracked file may be gone.
        if !std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_file()) {
            return None;
        }
        Some(Candidate {
            display: RepoPath::from_path(&path, self.scope.cwd),
            path,
            root: root_index,
            explicit: false,
        })
    }

    /// The innermost scanned folder that holds `path`, and `path` below it.
    fn owning_root<'p>(&self, path: &'p Path) -> Option<(&'a Path, usize, &'p Path)> {
        let roots = self.scope.roots;
        self.scope
            .directory_roots
            .iter()
            .filter_map(|&index| {
                let root = roots[index].absolute.as_path();
                crate::path::strip_dir(path, root).map(|relative| (root, index, relative))
            })
            .max_by_key(|(root, _, _)| root.as_os_str().len())
    }

    /// Whether the nearest `.ignore` file with a rule for `path` (in its folder or any folder
    /// above, as the walk reads them) ignores it.
    fn ignored_by_ignore_files(&mut self, path: &Path, is_dir: bool) -> bool {
        for folder in path.ancestors().skip(1) {
            let matcher = self
                .ignore_files
                .entry(folder.to_path_buf())
                .or_insert_with(|| {
                    let file = folder.join(".ignore");
                    file.is_file().then(|| Gitignore::new(&file).0)
                });
            if let Some(matcher) = matcher {
                let verdict = matcher.matched(path, is_dir);
                if !verdict.is_none() {
                    return verdict.is_ignore();
                }
            }
        }
        false
    }

    /// A real folder, not a symlink to one (the walk would not enter it).
    fn is_plain_folder(&mut self, folder: &Path) -> bool {
        *self
            .plain_folders
            .entry(folder.to_path_buf())
            .or_insert_with(|| {
                std::fs::symlink_metadata(folder).is_ok_and(|meta| meta.file_type().is_dir())
            })
    }
}
