//! Adversarial inputs (issue 8): each test is one hostile input or situation, and its name
//! states the outcome regshift must reach: a clear error, or a bounded and correct result.
//! Nothing may panic, hang, lose data, write outside the scanned roots, or run code from the
//! scanned tree. Every command runs under a timeout, and the heavy ones under a memory ceiling
//! (peak RSS, read from /proc while the command runs).
//!
//! Already covered in `tests/it/filesystem.rs`, and not repeated here:
//! - hard-linked file refused, both links intact: `hard_linked_file_is_refused_and_both_links_keep_the_old_content`
//! - read-only file refused and unchanged: `read_only_file_is_refused_and_left_unchanged`
//! - unreadable file listed by `check` with exit 2 (as uid 65534 when root):
//!   `unreadable_file_is_listed_as_skipped_with_exit_code_2`
//! - symlinks to outside the root, walked or named, never written through:
//!   `walked_symlink_to_a_file_outside_the_tree_is_not_followed_or_written`,
//!   `explicit_symlink_to_a_file_outside_the_scanned_paths_is_refused`,
//!   `walked_symlink_to_a_directory_is_not_walked`
//! - directory symlink loop: `directory_symlink_loop_does_not_hang`
//! - FIFO named or walked: `fifo_named_explicitly_is_skipped_without_hanging`,
//!   `fifo_inside_a_walked_folder_is_skipped_without_hanging`
//! - a multi-line file over 10 MiB: `file_over_10_mib_is_skipped_and_listed_without_an_error_exit`
//! - a NUL byte in the first 8 KiB (binary): `binary_file_with_a_legacy_host_is_not_reported`
//! - names with spaces, a newline or invalid UTF-8, checked and fixed:
//!   `names_with_spaces_are_reported_as_they_are`,
//!   `names_with_a_newline_or_invalid_utf8_are_scanned_and_reported_lossily`,
//!   `names_differing_only_in_invalid_utf8_bytes_are_both_scanned`
//!
//! What this file adds: alias bombs, deep nesting, one-line files of 50 MB and 9 MB, invalid
//! UTF-8 and NUL bytes around hits, device files, a hard link to a file outside the root, an
//! unreadable file under `fix`, a file edited (or swapped for a symlink) between the scan and the
//! write, a full disk, two concurrent `fix` runs, file names that try to inject GitHub workflow
//! commands, and a tree full of code (git hooks and configuration, a Makefile, a chart, a
//! kustomize exec function, a pre-commit configuration) that must never run.

use std::ffi::OsString;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use assert_fs::TempDir;
use assert_fs::prelude::*;
use serde_json::Value;

use crate::support::{
    self, POD, TIMEOUT, count, git, marker_script, regshift_command, skipped, tree_contents,
};

const MIB: u64 = 1024 * 1024;

const OLD: &str = "k8s.gcr.io";
const NEW: &str = "registry.k8s.io";

// ---------------------------------------------------------------------------------------------
// Running regshift with a timeout and a memory reading
// ---------------------------------------------------------------------------------------------

/// What one run of regshift did.
#[derive(Debug)]
struct Run {
    /// `None` when killed (timeout) or ended by a signal.
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    elapsed: Duration,
    timed_out: bool,
    /// Peak resident set size (VmHWM), when /proc can tell.
    peak_rss: Option<u64>,
}

impl Run {
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "stdout is not one JSON document ({error}):\n{}\nstderr:\n{}",
                self.stdout(),
                self.stderr()
            )
        })
    }

    /// Finished in time, without a panic or a signal.
    fn assert_finished(&self, what: &str) -> &Run {
        assert!(
            !self.timed_out,
            "{what}: no result within {TIMEOUT:?} (killed); stderr:\n{}",
            self.stderr()
        );
        assert!(
            !self.stderr().contains("panicked"),
            "{what}: regshift panicked:\n{}",
            self.stderr()
        );
        assert!(self.code.is_some(), "{what}: ended by a signal: {self:?}");
        self
    }

    fn assert_code(&self, expected: i32, what: &str) -> &Run {
        self.assert_finished(what);
        assert_eq!(
            self.code,
            Some(expected),
            "{what}: exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    fn assert_peak_rss_below(&self, limit: u64, what: &str) -> &Run {
        match self.peak_rss {
            Some(peak) => assert!(
                peak < limit,
                "{what}: peak RSS {} MiB, limit {} MiB",
                peak / MIB,
                limit / MIB
            ),
            None => println!("note: {what}: peak RSS not measured (no /proc)"),
        }
        self
    }
}

/// Run `command` to the end, or kill it after `timeout`; read its peak RSS as it runs.
fn run_with_timeout(command: &mut Command, timeout: Duration) -> Run {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("regshift starts");
    let stdout = drain(child.stdout.take().expect("piped"));
    let stderr = drain(child.stderr.take().expect("piped"));
    let mut peak_rss = None;
    let mut timed_out = false;
    let status = loop {
        if let Some(rss) = peak_rss_of(&child) {
            peak_rss = Some(peak_rss.unwrap_or(0).max(rss));
        }
        match child.try_wait().expect("wait for regshift") {
            Some(status) => break status,
            None if started.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("reap regshift");
            }
            None => thread::sleep(Duration::from_millis(5)),
        }
    };
    Run {
        code: status.code(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        elapsed: started.elapsed(),
        timed_out,
        peak_rss,
    }
}

fn run(command: &mut Command) -> Run {
    run_with_timeout(command, TIMEOUT)
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// VmHWM of a running child, in bytes (Linux).
fn peak_rss_of(child: &Child) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn finding_count(report: &Value, path: &str) -> usize {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["path"] == path)
        .count()
}

/// `bytes` with every legacy host replaced by the new one (the expected result when every hit
/// is an image reference with a safe fix).
fn swapped(bytes: &[u8]) -> Vec<u8> {
    let mut output = Vec::with_capacity(bytes.len() + bytes.len() / 8);
    let mut rest = bytes;
    while let Some(at) = find(rest, OLD.as_bytes()) {
        output.extend_from_slice(&rest[..at]);
        output.extend_from_slice(NEW.as_bytes());
        rest = &rest[at + OLD.len()..];
    }
    output.extend_from_slice(rest);
    output
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Temporary files of the atomic write left in `dir` (recursively).
fn leftover_temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                stack.push(path);
            } else if entry
                .file_name()
                .to_string_lossy()
                .starts_with(".regshift-")
            {
                found.push(path);
            }
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Parser bombs
// ---------------------------------------------------------------------------------------------

/// Nine levels of nine aliases: 9^9 (387 million) references if anything expands them.
fn billion_laughs() -> String {
    let mut text = String::from(
        "lol0: &lol0 [\"k8s.gcr.io/pause:3.1\", lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..=9 {
        let previous = format!("*lol{}", level - 1);
        let items = [previous.as_str(); 9].join(", ");
        text.push_str(&format!("lol{level}: &lol{level} [{items}]\n"));
    }
    text
}

#[test]
fn yaml_alias_bombs_are_reported_once_per_host_and_fixed_in_bounded_time_and_memory() {
    let dir = TempDir::new().unwrap();
    let bomb = billion_laughs();
    // The bomb in every YAML dialect that builds structure: a manifest, a kubeadm
    // configuration, chart values (with a needle for split references), a kustomization
    // (whose base is remote, so the fix adds newName).
    let files = [
        (
            "deploy/bomb.yaml",
            format!("image: k8s.gcr.io/pause:3.1\n{bomb}"),
        ),
        (
            "kubeadm/cluster.yaml",
            format!(
                "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n\
                 kubernetesVersion: v1.27.0\nimageRepository: k8s.gcr.io\n{bomb}"
            ),
        ),
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n".to_string(),
        ),
        (
            "chart/values.yaml",
            format!(
                "# mirrored from k8s-artifacts-prod\nimage:\n  registry: k8s.gcr.io\n  repository: pause\n{bomb}"
            ),
        ),
        (
            "overlay/kustomization.yaml",
            format!(
                "resources:\n- https://github.com/example/app//deploy?ref=v1\nimages:\n- name: k8s.gcr.io/pause\n  newTag: \"3.9\"\n{bomb}"
            ),
        ),
    ];
    for (path, text) in &files {
        dir.child(path).write_str(text).unwrap();
    }

    let check = run(regshift_command(dir.path()).args(["check", "--format", "json"]));
    check
        .assert_code(1, "check")
        .assert_peak_rss_below(256 * MIB, "check");
    let report = check.json();
    // One finding per host in the text: aliases are never expanded.
    for (path, expected) in [
        ("deploy/bomb.yaml", 2),
        ("kubeadm/cluster.yaml", 2),
        ("chart/values.yaml", 2),
        ("overlay/kustomization.yaml", 2),
    ] {
        assert_eq!(finding_count(&report, path), expected, "{path}: {report:#}");
    }

    let fix = run(regshift_command(dir.path()).args(["fix"]));
    fix.assert_code(0, "fix")
        .assert_peak_rss_below(256 * MIB, "fix");
    for (path, text) in &files[..4] {
        assert_eq!(
            fs::read(dir.child(path).path()).unwrap(),
            swapped(text.as_bytes()),
            "{path}: only the hosts change"
        );
    }
    let kustomization = &files[4].1;
    let expected = kustomization
        .replacen(
            "- name: k8s.gcr.io/pause\n",
            "- name: k8s.gcr.io/pause\n  newName: registry.k8s.io/pause\n",
            1,
        )
        .replace(
            "[\"k8s.gcr.io/pause:3.1\"",
            "[\"registry.k8s.io/pause:3.1\"",
        );
    assert_eq!(
        fs::read_to_string(dir.child("overlay/kustomization.yaml").path()).unwrap(),
        expected
    );
    run(regshift_command(dir.path()).args(["check"])).assert_code(0, "check after fix");
}

#[test]
fn nesting_100k_deep_is_reported_with_a_note_and_fixed_in_bounded_time() {
    const DEPTH: usize = 100_000;
    let dir = TempDir::new().unwrap();
    let reference = "k8s.gcr.io/pause:3.1";
    let files = [
        (
            "flow-sequences.yaml",
            format!(
                "image: {reference}\nx: {}{reference}{}\n",
                "[".repeat(DEPTH),
                "]".repeat(DEPTH)
            ),
        ),
        (
            "block-sequences.yaml",
            format!(
                "image: {reference}\nx:\n{}{reference}\n",
                "- ".repeat(DEPTH)
            ),
        ),
        (
            "flow-mappings.yaml",
            format!(
                "image: {reference}\nx: {}{reference}{}\n",
                "{a: ".repeat(DEPTH),
                "}".repeat(DEPTH)
            ),
        ),
        (
            "arrays.json",
            format!(
                "{{\"image\": \"{reference}\", \"x\": {}\"{reference}\"{}}}\n",
                "[".repeat(DEPTH),
                "]".repeat(DEPTH)
            ),
        ),
    ];
    for (path, text) in &files {
        dir.child(path).write_str(text).unwrap();
    }

    let check = run(regshift_command(dir.path()).args(["check", "--format", "json"]));
    check
        .assert_code(1, "check")
        .assert_peak_rss_below(256 * MIB, "check");
    let report = check.json();
    for (path, _) in &files {
        assert_eq!(finding_count(&report, path), 2, "{path}: {report:#}");
        // The structure is out of reach, and the report says so instead of claiming it.
        assert!(
            report["notes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|note| note["path"] == *path),
            "{path}: a note says the document did not parse: {report:#}"
        );
    }

    run(regshift_command(dir.path()).args(["fix"]))
        .assert_code(0, "fix")
        .assert_peak_rss_below(256 * MIB, "fix");
    for (path, text) in &files {
        assert_eq!(
            fs::read(dir.child(path).path()).unwrap(),
            swapped(text.as_bytes()),
            "{path}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------------------------

/// A JSON array on one line, about `size` bytes, with `hits` image references spread evenly.
fn one_line_json(size: usize, hits: usize) -> Vec<u8> {
    let chunk = size / hits;
    let mut text = Vec::with_capacity(size + 64);
    text.push(b'[');
    for index in 0..hits {
        let reference = format!("\"k8s.gcr.io/pause:3.{}\",", index % 10);
        text.extend_from_slice(reference.as_bytes());
        text.push(b'"');
        text.extend(std::iter::repeat_n(
            b'x',
            chunk.saturating_sub(reference.len() + 3),
        ));
        text.extend_from_slice(b"\",");
    }
    text.extend_from_slice(b"0]");
    text
}

#[test]
fn one_line_file_of_50_mb_with_hits_is_skipped_listed_and_never_read_or_written() {
    let dir = TempDir::new().unwrap();
    let big = one_line_json(50 * MIB as usize, 5_000);
    assert!(!big.contains(&b'\n'));
    dir.child("dump/images.json").write_binary(&big).unwrap();
    dir.child("app.yaml").write_str(POD).unwrap();

    let check = run(regshift_command(dir.path()).args(["check", "--format", "json"]));
    // Findings in app.yaml; the skipped file alone is not an error.
    check
        .assert_code(1, "check")
        .assert_peak_rss_below(40 * MIB, "check never reads the 50 MB file");
    let report = check.json();
    assert_eq!(finding_count(&report, "dump/images.json"), 0);
    let skipped = skipped(&report);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "dump/images.json");
    assert!(skipped[0].1.contains("10 MiB"), "{skipped:?}");
    assert!(check.stderr().contains("dump/images.json"));

    let fix = run(regshift_command(dir.path()).args(["fix"]));
    fix.assert_code(0, "fix")
        .assert_peak_rss_below(40 * MIB, "fix never reads the 50 MB file");
    assert!(fix.stderr().contains("dump/images.json"), "still listed");
    assert!(fs::read(dir.child("dump/images.json").path()).unwrap() == big);
    assert_eq!(
        fs::read_to_string(dir.child("app.yaml").path()).unwrap(),
        POD.replace(OLD, NEW)
    );
}

// Expected: the per-finding work on a line (the same-line new-host check, columns) does not
// grow with the line's length, so 1,000 hits on a 9 MB line cost about what they cost on short
// lines: `fix` ends in a few seconds even in a debug build (about 2 s here), well inside
// `TIMEOUT`, and writes exactly the swapped hosts.
#[test]
fn one_line_file_of_9_mb_with_1000_hits_is_fixed_exactly_in_bounded_time_and_memory() {
    let dir = TempDir::new().unwrap();
    let original = one_line_json(9 * MIB as usize, 1_000);
    assert!(original.len() < 10 * MIB as usize);
    dir.child("images.json").write_binary(&original).unwrap();

    let fix = run(regshift_command(dir.path()).args(["fix"]));
    // Whatever happened, the file is whole: the original, or fully fixed.
    let now = fs::read(dir.child("images.json").path()).unwrap();
    let expected = swapped(&original);
    assert!(
        now == original || now == expected,
        "the file is neither the original nor the fixed file"
    );
    assert!(leftover_temporaries(dir.path()).is_empty());
    fix.assert_code(0, "fix of a 9 MB one-line file")
        .assert_peak_rss_below(512 * MIB, "fix of a 9 MB one-line file");
    assert!(now == expected, "every host rewritten, nothing else");
    println!("9 MB one-line fix: {:?}", fix.elapsed);

    let check = run(regshift_command(dir.path()).args(["check", "--format", "json"]));
    check.assert_code(0, "check after fix");
    assert_eq!(check.json()["summary"]["findings"], 0);
}

// ---------------------------------------------------------------------------------------------
// Bytes around the hits
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_utf8_around_hits_is_kept_byte_for_byte_and_only_hosts_change() {
    let dir = TempDir::new().unwrap();
    let files: [(&str, &[u8]); 4] = [
        (
            "deploy/pod.yaml",
            b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\n  annotations:\n    note: \"\xff\xfe\x80\"\nspec:\n  containers:\n  - name: a\n    image: k8s.gcr.io/pause:3.1 # \xc3\n  - name: b\n    image: \"k8s.gcr.io/etcd:3.5.9\" # \xe2\x9c\n  - name: c\n    image: k8s.gcr.io/coredns:1.6.7 # \xf0\x9f\x90 \xed\xa0\x80 \xc0\xaf\n",
        ),
        (
            "hack/pull.sh",
            b"#!/bin/sh\n# r\xe9sum\xe9 \xff\ndocker pull k8s.gcr.io/pause:3.1 \xfe\xfe\necho \"\x80\"; docker pull k8s.gcr.io/etcd:3.5.9\n",
        ),
        (
            "docs/notes.md",
            b"# Notes \xff\n\n```sh\ndocker pull k8s.gcr.io/pause:3.1 # \xe2\x82\n```\n\xc3\x28\n",
        ),
        (
            "build/Dockerfile",
            b"# \xa9 2019 \xff\nFROM k8s.gcr.io/pause:3.1\nLABEL x=\"\xe9\"\n",
        ),
    ];
    for (path, bytes) in &files {
        assert!(std::str::from_utf8(bytes).is_err(), "{path} is not UTF-8");
        dir.child(path).write_binary(bytes).unwrap();
    }

    for format in [
        "json", "sarif", "jsonl", "github", "human", "concise", "markdown",
    ] {
        let check = run(regshift_command(dir.path()).args(["check", "--format", format]));
        check.assert_code(1, &format!("check --format {format}"));
        match format {
            "json" | "sarif" => {
                let _ = check.json();
            }
            "jsonl" => {
                for line in check.stdout().lines() {
                    serde_json::from_str::<Value>(line).expect("each line is JSON");
                }
            }
            _ => {}
        }
    }
    let report = run(regshift_command(dir.path()).args(["check", "--format", "json"])).json();
    for (path, bytes) in &files {
        assert_eq!(
            finding_count(&report, path),
            count(bytes, OLD.as_bytes()),
            "{path}"
        );
    }

    let diff = run(regshift_command(dir.path()).args(["fix", "--diff"]));
    diff.assert_code(1, "fix --diff");
    for (path, bytes) in &files {
        assert_eq!(
            fs::read(dir.child(path).path()).unwrap(),
            *bytes,
            "--diff writes nothing"
        );
    }
    run(regshift_command(dir.path()).args(["fix"])).assert_code(0, "fix");
    for (path, bytes) in &files {
        assert_eq!(
            fs::read(dir.child(path).path()).unwrap(),
            swapped(bytes),
            "{path}: the hosts change, every other byte (valid or not) stays"
        );
    }
}

#[test]
fn nul_bytes_after_the_binary_probe_in_a_yaml_file_are_kept_and_hosts_fixed() {
    let dir = TempDir::new().unwrap();
    let mut bytes = b"image: k8s.gcr.io/pause:3.1\n".to_vec();
    // Past the 8 KiB probe, so the file is text.
    while bytes.len() < 9 * 1024 {
        bytes.extend_from_slice(b"# padding padding padding padding padding padding padding\n");
    }
    bytes.extend_from_slice(b"# NUL \0 in a comment\n");
    bytes.extend_from_slice(b"sidecar: k8s.gcr.io/busybox:1.36\0\n");
    bytes.extend_from_slice(b"data: \"\0\0\"\n");
    bytes.extend_from_slice(b"init: \0k8s.gcr.io/etcd:3.5.9\n");
    dir.child("deploy/nul.yaml").write_binary(&bytes).unwrap();

    let check = run(regshift_command(dir.path()).args(["check", "--format", "json"]));
    check.assert_code(1, "check");
    let report = check.json();
    assert_eq!(report["summary"]["files_scanned"], 1);
    assert_eq!(finding_count(&report, "deploy/nul.yaml"), 3, "{report:#}");

    run(regshift_command(dir.path()).args(["fix"])).assert_code(0, "fix");
    let fixed = fs::read(dir.child("deploy/nul.yaml").path()).unwrap();
    assert_eq!(count(&fixed, b"\0"), count(&bytes, b"\0"), "NUL bytes kept");
    assert!(fixed == swapped(&bytes), "only the hosts change");
}

// ---------------------------------------------------------------------------------------------
// Files that are not plain files of this tree
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn device_files_named_or_in_the_tree_are_skipped_without_hanging_or_writing() {
    use std::os::unix::fs::{FileTypeExt, symlink};

    let dir = TempDir::new().unwrap();
    dir.child("app.yaml").write_str(POD).unwrap();
    symlink("/dev/zero", dir.child("zero.yaml").path()).unwrap();
    symlink("/dev/urandom", dir.child("random.yaml").path()).unwrap();
    // A character device inside the tree itself, where permitted (root).
    let device = dir.child("device.yaml");
    let made_device = Command::new("mknod")
        .arg(device.path())
        .args(["c", "1", "5"])
        .status()
        .is_ok_and(|status| status.success());
    if !made_device {
        println!("note: mknod not permitted; the in-tree device case is not run");
    }

    // Walked: devices and links to them are not candidates.
    let walked = run(regshift_command(dir.path()).args(["check", "--format", "json"]));
    walked.assert_code(1, "check .");
    let report = walked.json();
    assert_eq!(report["summary"]["files_scanned"], 1, "{report:#}");

    // Named: each listed once as skipped, not read (reading /dev/zero never ends). Named paths
    // are de-duplicated by their canonical target, so each device is named once here: a link
    // to it and `/dev/zero` would be one entry.
    let mut named = vec![
        "check",
        "--format",
        "json",
        "app.yaml",
        "zero.yaml",
        "random.yaml",
        "/dev/null",
    ];
    if made_device {
        named.push("device.yaml");
    }
    let explicit = run(regshift_command(dir.path()).args(&named));
    explicit.assert_code(1, "check with devices named");
    let report = explicit.json();
    assert_eq!(report["summary"]["files_scanned"], 1, "{report:#}");
    let mut skipped = skipped(&report);
    skipped.sort();
    let mut expected: Vec<&str> = vec!["random.yaml", "zero.yaml"];
    if made_device {
        expected.push("device.yaml");
    }
    expected.sort();
    // `/dev/null` is shown relative to the working folder (`../../dev/null`).
    let (null, links): (Vec<_>, Vec<_>) = skipped
        .iter()
        .partition(|(path, _)| path.ends_with("dev/null"));
    assert_eq!(null.len(), 1, "/dev/null listed once: {skipped:?}");
    assert_eq!(
        links
            .iter()
            .map(|(path, _)| path.as_str())
            .collect::<Vec<_>>(),
        expected,
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .all(|(_, reason)| reason.contains("not a regular file")),
        "{skipped:?}"
    );
    for (path, _) in &skipped {
        assert!(
            explicit.stderr().contains(&format!("{path}: skipped")),
            "{path} is listed on stderr: {}",
            explicit.stderr()
        );
    }

    let mut fix_args = vec!["fix"];
    fix_args.extend(&named[3..]);
    run(regshift_command(dir.path()).args(&fix_args)).assert_code(0, "fix with devices named");
    assert_eq!(
        fs::read_to_string(dir.child("app.yaml").path()).unwrap(),
        POD.replace(OLD, NEW)
    );
    for link in ["zero.yaml", "random.yaml"] {
        assert!(
            fs::symlink_metadata(dir.child(link).path())
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }
    if made_device {
        assert!(
            fs::symlink_metadata(device.path())
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }
}

#[cfg(unix)]
#[test]
fn hard_link_to_a_file_outside_the_root_is_refused_and_the_outside_file_is_untouched() {
    use std::os::unix::fs::MetadataExt;

    let base = TempDir::new().unwrap();
    let outside = base.child("outside/secret.yaml");
    outside.write_str(POD).unwrap();
    let repo = base.child("repo");
    repo.child("app.yaml").write_str(POD).unwrap();
    fs::hard_link(outside.path(), repo.child("linked.yaml").path()).unwrap();

    let fix = run(regshift_command(repo.path()).args(["fix", "."]));
    fix.assert_code(2, "fix");
    assert!(
        fix.stderr().contains("linked.yaml") && fix.stderr().contains("hard link"),
        "{}",
        fix.stderr()
    );
    assert_eq!(fs::read_to_string(outside.path()).unwrap(), POD);
    assert_eq!(
        fs::read_to_string(repo.child("linked.yaml").path()).unwrap(),
        POD
    );
    assert_eq!(
        fs::metadata(outside.path()).unwrap().nlink(),
        2,
        "links not split"
    );
    assert_eq!(
        fs::read_to_string(repo.child("app.yaml").path()).unwrap(),
        POD.replace(OLD, NEW),
        "the rest of the tree is still fixed"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file_under_fix_is_skipped_with_exit_2_and_left_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    let dir = TempDir::new().unwrap();
    dir.child("ok.yaml").write_str(POD).unwrap();
    let locked = dir.child("locked.yaml");
    locked.write_str(POD).unwrap();
    fs::set_permissions(locked.path(), fs::Permissions::from_mode(0o000)).unwrap();

    let mut command = regshift_command(dir.path());
    command.args(["fix", "."]);
    if fs::File::open(locked.path()).is_ok() {
        // Root reads anything: run as `nobody`, who needs to reach and write the folder.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        fs::set_permissions(
            dir.child("ok.yaml").path(),
            fs::Permissions::from_mode(0o666),
        )
        .unwrap();
        command.uid(65534).gid(65534);
    }
    let fix = run(&mut command);
    if fix.stderr().contains("ok.yaml") && fix.stderr().contains("Permission denied") {
        println!(
            "skipped: uid 65534 cannot use this folder: {}",
            fix.stderr()
        );
        return;
    }
    fix.assert_code(2, "fix with an unreadable file");
    assert!(
        fix.stderr().contains("locked.yaml") && fix.stderr().contains("skipped"),
        "{}",
        fix.stderr()
    );
    assert_eq!(fs::read_to_string(locked.path()).unwrap(), POD);
    assert_eq!(
        fs::metadata(locked.path()).unwrap().permissions().mode() & 0o7777,
        0
    );
    assert_eq!(
        fs::read_to_string(dir.child("ok.yaml").path()).unwrap(),
        POD.replace(OLD, NEW)
    );
}

// ---------------------------------------------------------------------------------------------
// Races: a file changed between the scan and the write; two fix runs at once
// ---------------------------------------------------------------------------------------------

/// A multi-line manifest of about 1.5 MB, one image reference per pod of about 500 bytes
/// (3,000 hits): detecting it (twice, for `fix`) takes long enough that the test can act
/// between regshift's read and its write (about 2 s per detection in a debug build, a few tenths of a
/// second in a release build; the test needs a few milliseconds), yet `fix` ends well inside [`TIMEOUT`]
/// in a debug build with the other tests running in parallel.
fn slow_manifest() -> String {
    let size = 3 * MIB as usize / 2;
    let mut text = String::with_capacity(size + 1024);
    let mut index = 0;
    while text.len() < size {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{index}\n  labels:\n    app: web\nspec:\n  containers:\n  - name: c\n    image: k8s.gcr.io/pause:3.{}\n    env:\n",
            index % 10
        ));
        for variable in 0..8 {
            text.push_str(&format!(
                "    - name: VAR_{variable}\n      value: \"value-{index}-{variable}\"\n"
            ));
        }
        index += 1;
    }
    text
}

/// Set the file's access time two days back, so that the next read moves it (relatime).
#[cfg(unix)]
fn age_access_time(path: &Path) {
    let old = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_times(fs::FileTimes::new().set_accessed(old))
        .unwrap();
}

/// Whether reading `path` moves its access time here (not on a noatime mount).
#[cfg(unix)]
fn reads_move_access_time(path: &Path) -> bool {
    age_access_time(path);
    let before = fs::metadata(path).unwrap().accessed().unwrap();
    let _ = fs::read(path).unwrap();
    let after = fs::metadata(path).unwrap().accessed().unwrap();
    age_access_time(path);
    after != before
}

/// Whether process `pid` has `path` (canonical) open, from /proc/PID/fd (Linux); `None` when
/// /proc cannot tell.
#[cfg(unix)]
fn has_open(pid: u32, path: &Path) -> Option<bool> {
    let entries = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(
        entries
            .flatten()
            .any(|entry| fs::read_link(entry.path()).is_ok_and(|target| target == path)),
    )
}

/// Start `regshift fix` and call `act` as soon as regshift has read `path` in full, long
/// before it writes: once its access time has moved (the read began) and regshift no longer
/// holds it open (the read ended; where /proc cannot tell, at once). Acting while the read is
/// still under way would let regshift read the change as part of the file. Returns the run.
#[cfg(unix)]
fn fix_and_act_after_read(dir: &Path, path: &Path, act: impl FnOnce()) -> Option<Run> {
    if !reads_move_access_time(path) {
        println!(
            "skipped: reads do not update access times here (noatime), so the test cannot tell when regshift has read the file"
        );
        return None;
    }
    let canonical = fs::canonicalize(path).unwrap();
    let before = fs::metadata(path).unwrap().accessed().unwrap();
    let mut command = regshift_command(dir);
    command.args(["fix", "-j", "1", "."]);
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let mut act = Some(act);
    let mut read_began = false;
    let mut timed_out = false;
    let status = loop {
        if act.is_some() {
            read_began = read_began || fs::metadata(path).unwrap().accessed().unwrap() != before;
            if read_began && has_open(child.id(), &canonical) != Some(true) {
                (act.take().unwrap())();
            }
        }
        match child.try_wait().unwrap() {
            Some(status) => break status,
            None if started.elapsed() > TIMEOUT => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().unwrap();
            }
            None => thread::sleep(Duration::from_millis(1)),
        }
    };
    assert!(act.is_none(), "regshift never read the file");
    Some(Run {
        code: status.code(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        elapsed: started.elapsed(),
        timed_out,
        peak_rss: None,
    })
}

#[cfg(unix)]
#[test]
fn file_edited_between_scan_and_write_keeps_the_edit_and_fix_reports_the_change() {
    let dir = TempDir::new().unwrap();
    let original = slow_manifest();
    let file = dir.child("pods.yaml");
    file.write_str(&original).unwrap();
    let edit = "# an edit made while regshift was working\n";

    let path = file.path().to_path_buf();
    let Some(fix) = fix_and_act_after_read(dir.path(), file.path(), || {
        let mut handle = fs::File::options().append(true).open(&path).unwrap();
        std::io::Write::write_all(&mut handle, edit.as_bytes()).unwrap();
    }) else {
        return;
    };
    fix.assert_code(2, "fix of a file edited meanwhile");
    assert!(
        fix.stderr().contains("pods.yaml") && fix.stderr().contains("changed since it was read"),
        "{}",
        fix.stderr()
    );
    assert_eq!(
        fs::read_to_string(file.path()).unwrap(),
        format!("{original}{edit}"),
        "the edit is kept and nothing else changed"
    );
    assert!(leftover_temporaries(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn file_swapped_for_a_symlink_to_outside_between_scan_and_write_is_not_written_through() {
    use std::os::unix::fs::symlink;

    let base = TempDir::new().unwrap();
    let secret = base.child("outside/secret.yaml");
    let original = slow_manifest();
    // The outside file holds exactly what regshift read, so only the symlink check stops it.
    secret.write_str(&original).unwrap();
    let repo = base.child("repo");
    let file = repo.child("pods.yaml");
    file.write_str(&original).unwrap();

    let (file_path, secret_path) = (file.path().to_path_buf(), secret.path().to_path_buf());
    let Some(fix) = fix_and_act_after_read(repo.path(), file.path(), || {
        let swap = file_path.with_file_name("swap.tmp");
        symlink(&secret_path, &swap).unwrap();
        fs::rename(&swap, &file_path).unwrap();
    }) else {
        return;
    };
    fix.assert_code(2, "fix of a file swapped for a symlink meanwhile");
    assert!(fix.stderr().contains("symlink"), "{}", fix.stderr());
    assert_eq!(
        fs::read_to_string(secret.path()).unwrap(),
        original,
        "the file outside the root is untouched"
    );
    assert!(
        fs::symlink_metadata(file.path())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is not replaced"
    );
}

/// A tree whose fixes are not idempotent as edits (an inserted `newName`, kubeadm's inserted
/// CoreDNS repository): applying one twice would corrupt the file.
fn race_tree(dir: &Path) {
    let write = |path: &str, text: &str| support::write(&dir.join(path), text);
    for index in 0..40 {
        write(
            &format!("apps/app-{index}/pod.yaml"),
            &POD.replace("pause:3.1", &format!("pause:3.{index}")),
        );
        write(
            &format!("apps/app-{index}/Dockerfile"),
            &format!("FROM k8s.gcr.io/build-image/debian-base:v2.1.{index}\n"),
        );
    }
    for index in 0..10 {
        write(
            &format!("overlays/o{index}/kustomization.yaml"),
            "resources:\n- https://github.com/example/app//deploy?ref=v1\nimages:\n- name: k8s.gcr.io/pause\n  newTag: \"3.9\"\n",
        );
        write(
            &format!("clusters/c{index}/kubeadm.yaml"),
            "apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\nkubernetesVersion: v1.21.14\nimageRepository: k8s.gcr.io\n",
        );
    }
}

/// Another `fix` run's temporary file is its write in flight: fixing it and renaming over it
/// would put this run's bytes where the other run renames its own (seen as a kustomization
/// whose name was swapped after its `newName` was inserted). The walk never scans them.
#[test]
fn a_concurrent_runs_temporary_files_are_never_scanned_or_fixed() {
    let dir = TempDir::new().unwrap();
    let temporary = dir.child("overlays/.regshift-a1B2c3.tmp");
    temporary
        .write_str("images:\n- name: k8s.gcr.io/pause\n  newName: registry.k8s.io/pause\n")
        .unwrap();
    dir.child("overlays/pod.yaml").write_str(POD).unwrap();
    let before = fs::read(temporary.path()).unwrap();
    let check = run(regshift_command(dir.path()).args(["check", "--format", "concise"]));
    check.assert_code(1, "check");
    assert!(!check.stdout().contains(".regshift-"), "{}", check.stdout());
    run(regshift_command(dir.path()).args(["fix"])).assert_code(0, "fix");
    assert_eq!(fs::read(temporary.path()).unwrap(), before);
}

#[test]
fn two_concurrent_fix_runs_leave_every_file_fixed_exactly_once() {
    // The expected tree: one fix run alone.
    let reference = TempDir::new().unwrap();
    race_tree(reference.path());
    run(regshift_command(reference.path()).args(["fix"])).assert_code(0, "fix alone");
    let expected = tree_contents(reference.path());
    assert!(
        expected
            .iter()
            .any(|(_, bytes)| count(bytes, b"newName: registry.k8s.io/pause") == 1),
        "the tree exercises the newName insertion"
    );
    assert!(
        expected
            .iter()
            .any(|(_, bytes)| count(bytes, b"registry.k8s.io/coredns") == 1),
        "the tree exercises the CoreDNS insertion"
    );

    for round in 0..6 {
        let dir = TempDir::new().unwrap();
        race_tree(dir.path());
        let jobs = if round % 2 == 0 { "1" } else { "4" };
        let mut first = regshift_command(dir.path());
        first.args(["fix", "-j", jobs]);
        let mut second = regshift_command(dir.path());
        second.args(["fix", "-j", "4"]);
        let (a, b) = thread::scope(|scope| {
            let a = scope.spawn(|| run(&mut first));
            let b = scope.spawn(|| run(&mut second));
            (a.join().unwrap(), b.join().unwrap())
        });
        for (name, result) in [("first", &a), ("second", &b)] {
            result.assert_finished(name);
            // Exit 2 only for files the other run changed after this one read them.
            if result.code == Some(2) {
                for line in result
                    .stderr()
                    .lines()
                    .filter(|line| line.starts_with("error"))
                {
                    assert!(
                        line.contains("changed since it was read"),
                        "round {round}, {name} run: unexpected error: {line}"
                    );
                }
            } else {
                assert_eq!(
                    result.code,
                    Some(0),
                    "round {round}, {name}: {}",
                    result.stderr()
                );
            }
        }
        assert_eq!(
            tree_contents(dir.path()),
            expected,
            "round {round}: every file fixed exactly once, nothing lost"
        );
        assert!(leftover_temporaries(dir.path()).is_empty());
        run(regshift_command(dir.path()).args(["check"])).assert_code(0, "check after the race");
    }
}

// ---------------------------------------------------------------------------------------------
// A full disk
// ---------------------------------------------------------------------------------------------

/// A tmpfs mounted for one test, unmounted on drop.
struct SmallDisk {
    mount_point: TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Result<SmallDisk, String> {
        let mount_point = TempDir::new().map_err(|error| error.to_string())?;
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(mount_point.path())
            .output()
            .map_err(|error| format!("cannot run mount: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(SmallDisk { mount_point })
    }

    fn path(&self) -> &Path {
        self.mount_point.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.mount_point.path()).status();
    }
}

/// Fill the file system holding `dir` with one filler file until a write fails.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut handle = fs::File::create(&path).unwrap();
    let block = vec![b'#'; 4096];
    while std::io::Write::write_all(&mut handle, &block).is_ok() {}
    for _ in 0..64 {
        let _ = std::io::Write::write_all(&mut handle, b"#");
    }
    path
}

#[cfg(unix)]
#[test]
fn fix_on_a_full_disk_fails_cleanly_and_keeps_the_original() {
    let disk = match SmallDisk::mount("512k") {
        Ok(disk) => disk,
        Err(reason) => {
            println!("skipped: no small file system to fill ({reason})");
            return;
        }
    };
    let repo = disk.path().join("repo");
    fs::create_dir(&repo).unwrap();
    // Each fix grows the file by 5 bytes: the new file needs more room than the old one had.
    let original = POD.repeat(200);
    fs::write(repo.join("pods.yaml"), &original).unwrap();
    let filler = fill(disk.path());

    let fix = run(regshift_command(&repo).args(["fix"]));
    fix.assert_code(2, "fix on a full disk");
    assert!(
        fix.stderr().contains("pods.yaml") && fix.stderr().contains("No space left"),
        "{}",
        fix.stderr()
    );
    assert_eq!(
        fs::read_to_string(repo.join("pods.yaml")).unwrap(),
        original
    );
    assert!(
        leftover_temporaries(&repo).is_empty(),
        "no temporary file left: {:?}",
        leftover_temporaries(&repo)
    );

    // With room again, the same command succeeds.
    fs::remove_file(filler).unwrap();
    run(regshift_command(&repo).args(["fix"])).assert_code(0, "fix with room");
    assert_eq!(
        fs::read_to_string(repo.join("pods.yaml")).unwrap(),
        original.replace(OLD, NEW)
    );
}

// ---------------------------------------------------------------------------------------------
// Untrusted repositories: names and code
// ---------------------------------------------------------------------------------------------

/// Lines as a log viewer sees them: split on LF, ANSI styling removed.
fn log_lines(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut plain = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        plain.push(c);
    }
    plain.split('\n').map(str::to_owned).collect()
}

#[cfg(unix)]
#[test]
fn file_names_cannot_inject_github_workflow_commands_into_the_action_log() {
    // A pull request controls file names. Each line of the job log that starts with `::` is a
    // workflow command (annotations, masks, outputs, stop-commands).
    let payload = "::error file=README.md,line=1::injected by a file name";
    let dir = TempDir::new().unwrap();
    // One name per output path: a finding and a fix (diff header, annotations), a YAML note
    // (stderr), an unreadable path (stderr error).
    let names = [
        format!("deploy/evil\n{payload}.yaml"),
        format!("deploy/evil-note\n{payload}.yaml"),
        format!("deploy/evil-cr\r\n{payload}.yaml"),
    ];
    fs::create_dir_all(dir.path().join("deploy")).unwrap();
    fs::write(dir.path().join(&names[0]), POD).unwrap();
    fs::write(
        dir.path().join(&names[1]),
        "a: [k8s.gcr.io/pause:3.1\nimage: k8s.gcr.io/pause:3.1\n",
    )
    .unwrap();
    fs::write(dir.path().join(&names[2]), POD).unwrap();
    let missing = OsString::from(format!("missing\n{payload}.yaml"));

    // The commands action/run.sh runs, with their output going to the log.
    let runs = [
        ("check --format github", {
            let mut args: Vec<OsString> = ["check", "--format", "github", "--fail-on", "warning"]
                .map(OsString::from)
                .to_vec();
            args.extend([OsString::from("--"), OsString::from("."), missing.clone()]);
            args
        }),
        (
            "fix --diff --color always",
            ["fix", "--diff", "--color", "always", "--", "."]
                .map(OsString::from)
                .to_vec(),
        ),
        (
            "fix --format concise (stderr)",
            ["fix", "--format", "concise", "--", "."]
                .map(OsString::from)
                .to_vec(),
        ),
    ];
    let mut injected = Vec::new();
    for (what, args) in &runs {
        let result = run(regshift_command(dir.path()).args(args));
        result.assert_finished(what);
        let streams: Vec<(&str, &[u8])> = if what.contains("stderr") {
            vec![("stderr", &result.stderr)]
        } else {
            vec![("stdout", &result.stdout), ("stderr", &result.stderr)]
        };
        for (stream, bytes) in streams {
            // regshift's own annotations start with `::error file=` too, with the file name
            // escaped inside them (`%0A%3A%3Aerror ...`): those are fine. An injection is a
            // line the file name itself starts, that is one that starts with the payload.
            for line in log_lines(bytes) {
                if line
                    .trim_start_matches(|c: char| c.is_whitespace())
                    .starts_with(payload)
                {
                    injected.push(format!("{what} ({stream}): {line:?}"));
                }
            }
        }
    }
    assert!(
        injected.is_empty(),
        "file names started workflow commands in the log:\n{}",
        injected.join("\n")
    );
}

#[cfg(unix)]
#[test]
fn code_in_the_scanned_tree_never_runs_in_check_fix_diff_images_or_sweep() {
    if Command::new("git").arg("--version").output().is_err() {
        println!("skipped: git not found on PATH (needed to build the repository)");
        return;
    }
    let base = TempDir::new().unwrap();
    let markers = base.path().join("markers");
    fs::create_dir(&markers).unwrap();
    let repo = base.path().join("sweep/repo");
    fs::create_dir_all(&repo).unwrap();
    let evil = base.path().join("evil.sh");
    marker_script(&evil, &markers, "evil-program");

    // The tree: manifests with findings, and every kind of code a repository can carry.
    let write = |path: &str, text: &str| support::write(&repo.join(path), text);
    write("deploy/pod.yaml", POD);
    write(
        "Makefile",
        &format!(
            "all:\n\ttouch '{}/make'\nk8s.gcr.io/pause:\n\ttouch '{}/make-target'\n",
            markers.display(),
            markers.display()
        ),
    );
    write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n- repo: local\n  hooks:\n  - id: evil\n    name: evil\n    entry: touch {}/pre-commit\n    language: system\n    always_run: true\n# image: k8s.gcr.io/pause:3.1\n",
            markers.display()
        ),
    );
    write(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: evil\nversion: 0.1.0\ndependencies:\n- name: dep\n  version: 0.1.0\n  repository: file://../dep\n",
    );
    write(
        "chart/values.yaml",
        "image:\n  repository: k8s.gcr.io/pause\n  tag: \"3.1\"\n",
    );
    write(
        "chart/templates/job.yaml",
        "{{- $out := (lookup \"v1\" \"Secret\" \"kube-system\" \"\") }}\n{{ .Files.Get \"../../etc/passwd\" }}\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: evil\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n        command: [\"sh\", \"-c\", \"touch /tmp/pwned\"]\n",
    );
    write(
        "overlay/kustomization.yaml",
        "resources:\n- https://github.com/example/app//deploy?ref=v1\ngenerators:\n- generator.yaml\nimages:\n- name: k8s.gcr.io/pause\n  newTag: \"3.9\"\n",
    );
    marker_script(
        &repo.join("overlay/evil-fn.sh"),
        &markers,
        "kustomize-exec-function",
    );
    write(
        "overlay/generator.yaml",
        "apiVersion: example.com/v1\nkind: Evil\nmetadata:\n  name: evil\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./evil-fn.sh\n",
    );
    marker_script(&repo.join("hack/install.sh"), &markers, "repository-script");
    write(".envrc", &format!("touch '{}/direnv'\n", markers.display()));
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    // `git` leaves the global configuration out, and with it any identity to commit as.
    let identity = ["-c", "user.name=test", "-c", "user.email=test@example.com"];
    git(&repo, &[&identity[..], &["commit", "-qm", "init"]].concat());
    // Local git configuration and hooks: present in a checkout someone else prepared.
    for hook in [
        "pre-commit",
        "prepare-commit-msg",
        "commit-msg",
        "post-commit",
        "post-checkout",
        "reference-transaction",
        "pre-auto-gc",
        "post-index-change",
        "fsmonitor-watchman",
    ] {
        marker_script(
            &repo.join(".git/hooks").join(hook),
            &markers,
            &format!("hook-{hook}"),
        );
    }
    let hooks_path = repo.join("hack/hooks");
    marker_script(
        &hooks_path.join("pre-commit"),
        &markers,
        "hooks-path-pre-commit",
    );
    marker_script(
        &hooks_path.join("post-checkout"),
        &markers,
        "hooks-path-post-checkout",
    );
    let evil_path = evil.to_str().unwrap();
    for (key, value) in [
        ("core.hooksPath", hooks_path.to_str().unwrap()),
        ("core.fsmonitor", evil_path),
        ("core.pager", evil_path),
        ("core.editor", evil_path),
        ("core.sshCommand", evil_path),
        ("commit.gpgSign", "true"),
        ("gpg.program", evil_path),
        ("diff.external", evil_path),
        ("credential.helper", &format!("!{evil_path}")),
    ] {
        git(&repo, &["config", key, value]);
    }

    // Tools the tree invites someone to run: shims that record being called. `git` is shimmed
    // too except for the sweep, which needs the real one.
    let shims = base.path().join("shims");
    for tool in [
        "helm",
        "kubectl",
        "kustomize",
        "make",
        "pre-commit",
        "docker",
        "direnv",
        "npm",
        "go",
        "python3",
        "crane",
    ] {
        marker_script(&shims.join(tool), &markers, &format!("tool-{tool}"));
    }
    let shims_with_git = base.path().join("shims-with-git");
    fs::create_dir_all(&shims_with_git).unwrap();
    marker_script(&shims_with_git.join("git"), &markers, "tool-git");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path_without_git = std::env::join_paths(
        [shims.clone()]
            .into_iter()
            .chain(std::env::split_paths(&path)),
    )
    .unwrap();
    let path_with_git_shim = std::env::join_paths(
        [shims_with_git, shims]
            .into_iter()
            .chain(std::env::split_paths(&path)),
    )
    .unwrap();

    let scan_runs: [&[&str]; 6] = [
        &["check", "."],
        &["check", "--format", "sarif", "."],
        &["images", "."],
        &["fix", "--diff", "."],
        &["fix", "--unsafe-fixes", "."],
        &["check", "."],
    ];
    for args in scan_runs {
        let mut command = regshift_command(&repo);
        command.args(args);
        command.env("PATH", &path_with_git_shim);
        run(&mut command).assert_finished(&args.join(" "));
    }
    assert_eq!(
        fs::read_to_string(repo.join("deploy/pod.yaml")).unwrap(),
        POD.replace(OLD, NEW),
        "the fix ran"
    );
    git(
        &repo,
        &[
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
            "checkout",
            "-q",
            "--",
            ".",
        ],
    );

    // sweep, with the real git: check, then fix and commit.
    for args in [
        &["sweep", "."][..],
        &["sweep", "--fix", "--commit", "."][..],
    ] {
        let mut command = regshift_command(&base.path().join("sweep"));
        command.args(args);
        command
            .env("PATH", &path_without_git)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com");
        let result = run(&mut command);
        result.assert_finished(&args.join(" "));
        println!(
            "{}: {}\n{}",
            args.join(" "),
            result.stdout(),
            result.stderr()
        );
    }

    let mut ran: Vec<String> = fs::read_dir(&markers)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    ran.sort();
    assert!(
        ran.is_empty(),
        "code from the scanned tree (or a tool it names) ran: {ran:?}"
    );
}
