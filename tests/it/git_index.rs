//! The git index reader (`src/walk/git_index.rs`) against indexes real `git` wrote: versions
//! 2, 3 and 4, SHA-256 object names, a split index, a sparse index, merge stages, submodules;
//! and against missing, truncated and corrupt files, which must give an error, never a panic.
//! `git ls-files` is the oracle.

use std::fs;
use std::path::Path;

use regshift::internals::{IndexError, read_index};
use tempfile::TempDir;

use crate::support::{git, write};

/// A repository with files at several depths and shared prefixes (what version 4 compresses).
fn repository(dir: &Path, extra_init: &[&str]) {
    let mut init = vec!["init", "-q", "-b", "main"];
    init.extend_from_slice(extra_init);
    git(dir, &init);
    git(dir, &["config", "user.name", "regshift test"]);
    git(dir, &["config", "user.email", "test@example.com"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
    for name in [
        ".gitignore",
        "README.md",
        "charts/app/Chart.yaml",
        "charts/app/values.yaml",
        "charts/app/templates/deployment.yaml",
        "charts/application/values.yaml",
        "deploy/a.yaml",
        "deploy/b/c.yaml",
        "z",
    ] {
        write(&dir.join(name), "image: k8s.gcr.io/pause:3.1\n");
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "initial"]);
}

/// The paths `read_index` gives for the repository's index, as text.
fn read(dir: &Path) -> Vec<String> {
    let tracked = read_index(&dir.join(".git/index")).expect("the index reads");
    let paths: Vec<String> = tracked
        .iter()
        .map(|name| String::from_utf8(name.to_vec()).unwrap())
        .collect();
    assert_eq!(paths.len(), tracked.len());
    paths
}

/// What git says the index tracks, less submodules (which name no file).
fn ls_files(dir: &Path) -> Vec<String> {
    let mut paths: Vec<String> = git(dir, &["ls-files", "-s"])
        .lines()
        .filter(|line| !line.starts_with("160000 "))
        .map(|line| line.split_once('\t').unwrap().1.to_string())
        .collect();
    paths.dedup();
    paths
}

fn index_version(dir: &Path) -> u32 {
    let bytes = fs::read(dir.join(".git/index")).unwrap();
    u32::from_be_bytes(bytes[4..8].try_into().unwrap())
}

#[test]
fn a_version_2_index_lists_what_git_ls_files_lists() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    assert_eq!(index_version(dir.path()), 2);
    assert_eq!(read(dir.path()), ls_files(dir.path()));
    assert!(read(dir.path()).contains(&"charts/app/values.yaml".to_string()));
}

#[test]
fn a_version_3_index_with_extended_flags_lists_what_git_ls_files_lists() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    // Intent-to-add and skip-worktree are extended flags, which make git write version 3.
    write(&dir.path().join("new/added.yaml"), "a: b\n");
    git(dir.path(), &["add", "-N", "new/added.yaml"]);
    git(
        dir.path(),
        &["update-index", "--skip-worktree", "deploy/a.yaml"],
    );
    assert_eq!(index_version(dir.path()), 3);
    let paths = read(dir.path());
    assert_eq!(paths, ls_files(dir.path()));
    assert!(paths.contains(&"new/added.yaml".to_string()));
    assert!(paths.contains(&"deploy/a.yaml".to_string()));
}

#[test]
fn a_version_4_index_with_prefix_compressed_paths_lists_what_git_ls_files_lists() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    git(dir.path(), &["update-index", "--index-version", "4"]);
    assert_eq!(index_version(dir.path()), 4);
    assert_eq!(read(dir.path()), ls_files(dir.path()));
    // And with extended flags in version 4.
    git(
        dir.path(),
        &["update-index", "--skip-worktree", "charts/app/values.yaml"],
    );
    assert_eq!(read(dir.path()), ls_files(dir.path()));
}

#[test]
fn a_sha256_repository_index_lists_what_git_ls_files_lists() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &["--object-format=sha256"]);
    assert_eq!(read(dir.path()), ls_files(dir.path()));
    git(dir.path(), &["update-index", "--index-version", "4"]);
    assert_eq!(read(dir.path()), ls_files(dir.path()));
}

#[test]
fn a_split_index_is_read_with_its_shared_index_less_deleted_entries() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    git(
        dir.path(),
        &["config", "splitIndex.maxPercentChange", "100"],
    );
    git(dir.path(), &["update-index", "--split-index"]);
    // Changes after the split go to the small index: an added file, a removed one, a changed one.
    write(&dir.path().join("deploy/new.yaml"), "a: b\n");
    git(dir.path(), &["add", "deploy/new.yaml"]);
    git(dir.path(), &["rm", "-q", "--cached", "deploy/b/c.yaml"]);
    write(&dir.path().join("README.md"), "# changed\n");
    git(dir.path(), &["add", "README.md"]);
    let shared = fs::read_dir(dir.path().join(".git"))
        .unwrap()
        .filter(|entry| {
            let entry = entry.as_ref().unwrap();
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("sharedindex.")
        })
        .count();
    assert!(shared > 0, "git wrote no shared index");
    let paths = read(dir.path());
    assert_eq!(paths, ls_files(dir.path()));
    assert!(paths.contains(&"deploy/new.yaml".to_string()));
    assert!(!paths.contains(&"deploy/b/c.yaml".to_string()));
}

#[test]
fn a_split_index_without_its_shared_index_is_an_error() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    git(dir.path(), &["update-index", "--split-index"]);
    for entry in fs::read_dir(dir.path().join(".git")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("sharedindex.")
        {
            fs::remove_file(path).unwrap();
        }
    }
    assert!(matches!(
        read_index(&dir.path().join(".git/index")),
        Err(IndexError::Io { .. })
    ));
}

#[test]
fn a_sparse_index_lists_its_files_and_not_its_folder_entries() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    git(
        dir.path(),
        &["sparse-checkout", "init", "--cone", "--sparse-index"],
    );
    git(dir.path(), &["sparse-checkout", "set", "deploy"]);
    let sparse = git(dir.path(), &["ls-files", "--sparse"]);
    assert!(
        sparse.lines().any(|line| line == "charts/"),
        "git wrote no folder entry: {sparse}"
    );
    let files: Vec<String> = sparse
        .lines()
        .filter(|line| !line.ends_with('/'))
        .map(str::to_string)
        .collect();
    assert_eq!(read(dir.path()), files);
}

#[test]
fn merge_stages_are_one_path_and_submodules_are_left_out() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    let blob = git(dir.path(), &["hash-object", "-w", "README.md"]);
    let commit = git(dir.path(), &["rev-parse", "HEAD"]);
    let stages = format!(
        "0 {blob}\tconflicted.yaml\n100644 {blob} 1\tconflicted.yaml\n100644 {blob} 2\tconflicted.yaml\n100644 {blob} 3\tconflicted.yaml\n"
    );
    let mut command = crate::support::git_command(dir.path());
    let mut child = command
        .args(["update-index", "--index-info"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), stages.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    git(
        dir.path(),
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{commit},vendor/module"),
        ],
    );
    let paths = read(dir.path());
    assert_eq!(paths, ls_files(dir.path()));
    assert_eq!(
        paths
            .iter()
            .filter(|path| *path == "conflicted.yaml")
            .count(),
        1
    );
    assert!(!paths.contains(&"vendor/module".to_string()));
}

#[test]
fn a_missing_index_is_an_io_error() {
    let dir = TempDir::new().unwrap();
    assert!(matches!(
        read_index(&dir.path().join("index")),
        Err(IndexError::Io { .. })
    ));
}

#[test]
fn an_unknown_version_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("index");
    fs::write(&path, b"DIRC\0\0\0\x05\0\0\0\0").unwrap();
    assert!(matches!(
        read_index(&path),
        Err(IndexError::UnsupportedVersion(5))
    ));
    fs::write(&path, b"not an index at all").unwrap();
    assert!(matches!(read_index(&path), Err(IndexError::Malformed(_))));
}

/// Every prefix of a real index, and the index with each byte changed: an error or a list of
/// paths, never a panic. A cut file never names a path the whole one does not (the checksum
/// is not verified, so a cut between extensions can read).
#[test]
fn truncated_and_corrupt_indexes_give_errors_not_panics() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    let corrupt = dir.path().join("corrupt-index");
    for version in ["2", "4"] {
        git(dir.path(), &["update-index", "--index-version", version]);
        let bytes = fs::read(dir.path().join(".git/index")).unwrap();
        let whole = read_index(&dir.path().join(".git/index")).unwrap();
        let whole: Vec<&[u8]> = whole.iter().collect();
        for length in 0..bytes.len() {
            fs::write(&corrupt, &bytes[..length]).unwrap();
            if let Ok(cut) = read_index(&corrupt) {
                assert!(
                    cut.iter().all(|path| whole.contains(&path)),
                    "version {version} cut at {length} names other paths"
                );
            }
        }
        for position in 0..bytes.len() {
            for value in [0x00, 0xff, bytes[position] ^ 0x80] {
                let mut changed = bytes.clone();
                changed[position] = value;
                fs::write(&corrupt, &changed).unwrap();
                let _ = read_index(&corrupt);
            }
        }
    }
}

/// git never writes a path with a `..` component; a crafted index that does must not name a
/// file outside the work tree.
#[test]
fn paths_git_never_writes_are_left_out() {
    let dir = TempDir::new().unwrap();
    repository(dir.path(), &[]);
    write(&dir.path().join("xx/escape.yaml"), "a: b\n");
    git(dir.path(), &["add", "xx/escape.yaml"]);
    let index = dir.path().join(".git/index");
    let bytes = fs::read(&index).unwrap();
    let at = bytes
        .windows(b"xx/escape.yaml".len())
        .position(|window| window == b"xx/escape.yaml")
        .unwrap();
    for crafted in [&b".."[..], b"./", b"/x"] {
        let mut changed = bytes.clone();
        changed[at..at + 2].copy_from_slice(crafted);
        fs::write(&index, &changed).unwrap();
        let paths = read(dir.path());
        assert!(
            paths.iter().all(|path| !path.contains("escape")),
            "{paths:?}"
        );
        assert!(paths.contains(&"deploy/a.yaml".to_string()));
    }
}
