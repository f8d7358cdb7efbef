//! Helpers that more than one module of the integration tests needs: the repository and its
//! fixtures, the real binary and its release build, external tools, file trees, git, reading
//! regshift's output, and the detector. A helper that one module needs stays in that module.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use regshift::internals::{Detection, Detector, RuleFilter, SourceFile};
use regshift::path::RepoPath;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The repository

/// The root of this repository (the folder of Cargo.toml).
pub fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The fixtures folder.
pub fn fixtures() -> PathBuf {
    repository().join("fixtures")
}

/// A pod with one legacy image, which `fix` rewrites to `registry.k8s.io`.
pub const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: k8s.gcr.io/pause:3.1
";

/// [`POD`] with its host rewritten, as `fix` must leave it.
pub const POD_FIXED: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: registry.k8s.io/pause:3.1
";

// ---------------------------------------------------------------------------------------------
// The real binary

/// Long enough for a debug build on a busy 2-core machine; short enough that a hang fails.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The real `regshift` run inside `dir`, with no standard input and with the colour variables
/// of the test environment removed, so that every test decides colour itself. A plain
/// process, for tests that spawn it, watch it or run it as another user.
pub fn regshift_command(dir: &Path) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin!("regshift"));
    command
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM")
        .stdin(Stdio::null());
    command
}

/// [`regshift_command`] under assert_cmd, killed after [`TIMEOUT`] (`.timeout` sets another).
pub fn regshift(dir: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::from_std(regshift_command(dir));
    command.timeout(TIMEOUT);
    command
}

// ---------------------------------------------------------------------------------------------
// Building regshift

/// The settings for the release builds of regshift that the hook managers and the Action's
/// source install run: one cargo target folder for all of them, so that the build is made
/// once, and an unoptimised release profile, so that it is cheap.
pub fn quick_release_build(command: &mut Command) -> &mut Command {
    command
        .env(
            "CARGO_TARGET_DIR",
            repository().join("target/tools/hook-build"),
        )
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
}

// ---------------------------------------------------------------------------------------------
// External tools

/// Where `.ci/install-tools.sh` puts the tools.
fn tools_bin() -> PathBuf {
    repository().join("target/tools/bin")
}

/// The path of an external tool: `$override_var` when set, else the first executable `name`
/// on `PATH`, else the copy `.ci/install-tools.sh` puts in `target/tools/bin/`.
fn find_tool(name: &str, override_var: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(override_var).filter(|path| !path.is_empty()) {
        // An explicit path is used as given: if it is wrong, running it fails loudly.
        return Some(PathBuf::from(path));
    }
    let file_name = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(&file_name))
        .find(|candidate| is_executable(candidate));
    on_path.or_else(|| {
        let installed = tools_bin().join(&file_name);
        is_executable(&installed).then_some(installed)
    })
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// [`find_tool`], or `None` after printing `skipped: NAME not found on PATH`. With
/// `REGSHIFT_REQUIRE_TOOLS=1` (CI) a missing tool is a failure instead: no skip goes unnoticed.
pub fn require_tool(name: &str, override_var: &str) -> Option<PathBuf> {
    if let Some(path) = find_tool(name, override_var) {
        return Some(path);
    }
    missing_tool(
        &format!("{name} not found on PATH"),
        &format!(
            "set ${override_var}, or put it on PATH or in target/tools/bin/ \
             (run .ci/install-tools.sh)"
        ),
    );
    None
}

/// A test's tool is missing: prints `skipped: WHAT` so the test can return, or, with
/// `REGSHIFT_REQUIRE_TOOLS=1` (CI), fails saying what is missing and how to get it.
pub fn missing_tool(what: &str, how: &str) {
    assert!(
        std::env::var("REGSHIFT_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "{what}: {how}; REGSHIFT_REQUIRE_TOOLS=1 forbids skipping"
    );
    println!("skipped: {what}");
}

// ---------------------------------------------------------------------------------------------
// File trees

/// Paths of everything below `root` that is not a folder (a symlink is not followed), relative
/// to `root`, in name order.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let folder = root.join(&relative);
        let entries = fs::read_dir(&folder)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()));
        for entry in entries {
            let entry = entry.expect("a readable entry");
            let path = relative.join(entry.file_name());
            if entry.file_type().expect("a file type").is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Copy the tree `from` into `to`, creating `to` and every folder below it; a symlink is
/// copied as the file it points to.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to)
        .unwrap_or_else(|error| panic!("cannot create {}: {error}", to.display()));
    let entries = fs::read_dir(from)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", from.display()));
    for entry in entries {
        let entry = entry.expect("a readable entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|error| panic!("cannot copy {}: {error}", entry.path().display()));
        }
    }
}

/// Every file below `root` (see [`files_under`]) and its bytes, by path relative to `root`.
pub fn tree_contents(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(root)
        .into_iter()
        .map(|relative| {
            let bytes = fs::read(root.join(&relative)).unwrap();
            (relative, bytes)
        })
        .collect()
}

/// Write `text` to `path`, creating its folders.
pub fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// An executable script at `path` (its folders created) that records that it ran by creating
/// the file `name` in `markers`, then drains its standard input (git feeds some hooks on it).
#[cfg(unix)]
pub fn marker_script(path: &Path, markers: &Path, name: &str) {
    use std::os::unix::fs::PermissionsExt;

    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(
        path,
        format!(
            "#!/bin/sh\ntouch '{}/{name}'\ncat >/dev/null 2>&1 || true\nexit 0\n",
            markers.display()
        ),
    )
    .unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// git

/// `git` in `dir`, without the machine's global and system configuration, and without a
/// repository named by the environment (a test run from a git hook inherits `GIT_DIR`).
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    command
}

/// `git ARGS` in `dir` (see [`git_command`]), which must succeed: its standard output, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir).args(args).output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// What regshift prints

/// The JSON document regshift printed: one document, in UTF-8.
pub fn parse_json(stdout: &[u8]) -> Value {
    let text = std::str::from_utf8(stdout).expect("JSON output is UTF-8");
    serde_json::from_str(text)
        .unwrap_or_else(|error| panic!("not one JSON document ({error}):\n{text}"))
}

/// The JSON report of `regshift check --format json ARGS` in `dir`, and its exit code.
pub fn check_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let output = regshift(dir)
        .arg("check")
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("regshift runs");
    let code = output.status.code().expect("regshift exits normally");
    (parse_json(&output.stdout), code)
}

/// The path of every finding in a JSON report, in its order.
pub fn finding_paths(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|finding| finding["path"].as_str().expect("path").to_owned())
        .collect()
}

/// Run `command` to the end and assert that it succeeded; a failure shows both streams.
pub fn run_ok(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A process's standard error as text (invalid UTF-8 replaced).
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The `skipped` list of a JSON report: each entry's path and reason.
pub fn skipped(report: &Value) -> Vec<(String, String)> {
    report["skipped"]
        .as_array()
        .expect("skipped is an array")
        .iter()
        .map(|entry| {
            (
                entry["path"].as_str().expect("path").to_owned(),
                entry["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Bytes and text

/// How many times `needle` occurs in `haystack` (overlapping occurrences count).
pub fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|window| *window == needle)
        .count()
}

/// 1-based line and column of `offset`, counted independently of `SourceFile`: columns are
/// Unicode scalar values from the line start, and a BOM at the start of the file is not one.
pub fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset];
    let line_start = before
        .iter()
        .rposition(|byte| *byte == b'\n')
        .map_or(0, |newline| newline + 1);
    let line = 1 + before.iter().filter(|byte| **byte == b'\n').count();
    let mut text = std::str::from_utf8(&before[line_start..]).unwrap();
    if line_start == 0 {
        text = text.strip_prefix('\u{feff}').unwrap_or(text);
    }
    (line, 1 + text.chars().count())
}

// ---------------------------------------------------------------------------------------------
// The library

/// Built once: compiling the detector's patterns dominates a debug-build test case.
pub static DETECTOR: LazyLock<Detector> = LazyLock::new(Detector::new);

/// `bytes` as the file `path`, and what the detector finds in it with the default rules.
pub fn detect(path: &str, bytes: &[u8]) -> (SourceFile, Detection) {
    let source = SourceFile::new(RepoPath::new(path), bytes.to_vec());
    let detection = DETECTOR.detect(&source, &RuleFilter::default());
    (source, detection)
}
