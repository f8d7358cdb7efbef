//! Filesystem-level CLI tests: the cases that need setup a trycmd table cannot express
//! (symlinks, hard links, permissions, FIFOs, large and binary files, ignore files, odd names,
//! pipes and terminals). Each test builds its own tree in its own temporary folder and runs the
//! real binary in it, so every expectation is about what a user sees.
//!
//! Not covered here: a file that changes between the scan and the write. The CLI offers no
//! deterministic point to edit the file in between, so `persist_atomically` is unit-tested for
//! it instead (`refuses_a_changed_file` in `src/fix/write.rs`).

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use assert_fs::TempDir;
use assert_fs::prelude::*;
use predicates::prelude::*;
use serde_json::Value;

use crate::support::{
    POD, POD_FIXED, TIMEOUT, check_json, finding_paths, git_command, parse_json, regshift,
    regshift_command, skipped, stderr_of,
};

fn has_ansi(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|pair| pair == b"\x1b[")
}

/// Names in `dir`, sorted, for "no temporary file is left" checks.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// A Deployment with one safe finding and one proxy-path warning: two findings per file.
fn deployment(index: usize) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{index}
spec:
  template:
    spec:
      initContainers:
      - name: wait
        image: k8s.gcr.io/busybox:1.{index}  # pinned
      containers:
      - name: app
        image: harbor.example.com/k8s.gcr.io/addon-resizer:1.8.{index}
"
    )
}

/// A tree of `count` files of several kinds, all with findings, spread over nested folders.
fn tree_with_findings(dir: &TempDir, count: usize) {
    for index in 0..count {
        let folder = format!("team-{}/svc-{}", index % 7, index % 13);
        match index % 4 {
            0 | 1 => dir
                .child(format!("{folder}/app-{index}.yaml"))
                .write_str(&deployment(index)),
            2 => dir.child(format!("{folder}/Dockerfile.{index}")).write_str(&format!(
                "FROM k8s.gcr.io/build-image/debian-base:v2.1.{index}\nRUN echo k8s.gcr.io\n"
            )),
            _ => dir.child(format!("{folder}/notes-{index}.md")).write_str(&format!(
                "# Notes {index}\n\nWe used to pull from k8s.gcr.io.\n\n```sh\ndocker pull k8s.gcr.io/etcd:3.5.{index}\n```\n"
            )),
        }
        .expect("write fixture");
    }
}

// ---------------------------------------------------------------------------------------------
// Fixing without losing anything
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn fix_keeps_mode_and_bytes_outside_the_host_and_leaves_no_temporary_files() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new().unwrap();
    // A BOM, CRLF, comments, both quote styles, odd spacing and no final newline: everything
    // but the two hosts must survive byte for byte.
    let original = "\u{feff}# top comment\r\nspec:\r\n  image: \"k8s.gcr.io/pause:3.1\"   # pinned\r\n  other: 'k8s.gcr.io/coredns:1.6.2'\r\n  x:    [a, b]";
    let expected = original.replace("k8s.gcr.io/", "registry.k8s.io/");
    let file = dir.child("deploy/app.yaml");
    file.write_str(original).unwrap();
    fs::set_permissions(file.path(), fs::Permissions::from_mode(0o754)).unwrap();

    regshift(dir.path())
        .args(["fix", "deploy"])
        .assert()
        .code(0)
        .stderr("");

    assert_eq!(fs::read(file.path()).unwrap(), expected.as_bytes());
    let mode = fs::metadata(file.path()).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o754, "the file mode is kept (got {mode:o})");
    assert_eq!(
        entries(&dir.path().join("deploy")),
        vec!["app.yaml"],
        "no temporary file is left in the folder"
    );
}

#[test]
fn fix_then_check_reports_no_safe_fixable_findings() {
    let dir = TempDir::new().unwrap();
    tree_with_findings(&dir, 24);
    dir.child("main.go")
        .write_str("package main\n\nconst img = \"k8s.gcr.io/pause:3.1\"\n")
        .unwrap();
    dir.child("kubeadm.yaml")
        .write_str(
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nimageRepository: k8s.gcr.io\n",
        )
        .unwrap();

    let (before, _) = check_json(dir.path(), &[]);
    assert!(
        before["summary"]["fixable"].as_u64().unwrap() > 0,
        "the tree has safe fixes to start with"
    );

    regshift(dir.path()).arg("fix").assert().stderr("");

    let (after, code) = check_json(dir.path(), &[]);
    let safe: Vec<&Value> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["applicability"] == "safe")
        .collect();
    assert!(
        safe.is_empty(),
        "no safe-fixable finding remains after fix: {safe:#?}"
    );
    assert_eq!(after["summary"]["fixable"], 0);
    // The proxy paths and the Go source remain (no fix / unsafe fix), so findings remain.
    assert_eq!(code, 1);
}

#[test]
fn second_fix_changes_no_file() {
    let dir = TempDir::new().unwrap();
    tree_with_findings(&dir, 24);
    dir.child("kubeadm.yaml")
        .write_str(
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nimageRepository: k8s.gcr.io\n",
        )
        .unwrap();
    dir.child("kustomization.yaml")
        .write_str(
            "resources:\n- https://github.com/example/base?ref=v1\nimages:\n- name: k8s.gcr.io/pause\n  newTag: \"3.9\"\n",
        )
        .unwrap();

    regshift(dir.path()).arg("fix").assert().stderr("");
    let snapshot = snapshot_tree(dir.path());
    // A rewrite within the same clock tick could hide behind an equal mtime.
    std::thread::sleep(Duration::from_millis(50));

    regshift(dir.path())
        .arg("fix")
        .assert()
        .stderr("")
        .stdout(predicate::str::contains("Nothing fixed"));
    let again = snapshot_tree(dir.path());
    assert_eq!(snapshot.len(), again.len(), "no file appears or disappears");
    for ((path, bytes, mtime), (_, bytes_again, mtime_again)) in snapshot.iter().zip(&again) {
        assert_eq!(
            bytes, bytes_again,
            "{path}: bytes unchanged by the second fix"
        );
        assert_eq!(
            mtime, mtime_again,
            "{path}: not rewritten by the second fix"
        );
    }
}

fn snapshot_tree(root: &Path) -> Vec<(String, Vec<u8>, SystemTime)> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let metadata = entry.metadata().unwrap();
                files.push((
                    entry.path().display().to_string(),
                    fs::read(entry.path()).unwrap(),
                    metadata.modified().unwrap(),
                ));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

// ---------------------------------------------------------------------------------------------
// Symlinks
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn walked_symlink_to_a_file_outside_the_tree_is_not_followed_or_written() {
    use std::os::unix::fs::symlink;

    let base = TempDir::new().unwrap();
    let outside = base.child("outside/secret.yaml");
    outside.write_str(POD).unwrap();
    let repo = base.child("repo");
    repo.child("deploy/real.yaml").write_str(POD).unwrap();
    symlink(
        "../../outside/secret.yaml",
        repo.child("deploy/link.yaml").path(),
    )
    .unwrap();

    let (report, code) = check_json(repo.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), vec!["deploy/real.yaml"]);

    regshift(repo.path()).arg("fix").assert().code(0).stderr("");
    assert_eq!(
        fs::read_to_string(repo.child("deploy/real.yaml").path()).unwrap(),
        POD_FIXED
    );
    assert_eq!(
        fs::read_to_string(outside.path()).unwrap(),
        POD,
        "target untouched"
    );
    assert!(
        fs::symlink_metadata(repo.child("deploy/link.yaml").path())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
}

#[cfg(unix)]
#[test]
fn walked_symlink_to_a_directory_is_not_walked() {
    use std::os::unix::fs::symlink;

    let base = TempDir::new().unwrap();
    base.child("outside/charts/values.yaml")
        .write_str(POD)
        .unwrap();
    let repo = base.child("repo");
    repo.child("app.yaml").write_str(POD).unwrap();
    symlink("../outside", repo.child("linked").path()).unwrap();

    let (report, code) = check_json(repo.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), vec!["app.yaml"]);
    assert_eq!(report["summary"]["files_scanned"], 1);
}

#[cfg(unix)]
#[test]
fn directory_symlink_loop_does_not_hang() {
    use std::os::unix::fs::symlink;

    let dir = TempDir::new().unwrap();
    dir.child("a/app.yaml").write_str(POD).unwrap();
    symlink("..", dir.child("a/up").path()).unwrap();
    symlink(".", dir.child("a/self").path()).unwrap();
    symlink("b", dir.child("c").path()).unwrap();
    symlink("c", dir.child("b").path()).unwrap();

    let started = Instant::now();
    let (report, code) = check_json(dir.path(), &[]);
    assert!(started.elapsed() < TIMEOUT);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), vec!["a/app.yaml"], "reported once");
}

#[cfg(unix)]
#[test]
fn explicit_symlink_inside_the_scanned_path_is_fixed_through_and_stays_a_link() {
    use std::os::unix::fs::symlink;

    let dir = TempDir::new().unwrap();
    let target = dir.child("deploy/real.yaml");
    target.write_str(POD).unwrap();
    let link = dir.child("deploy/link.yaml");
    symlink("real.yaml", link.path()).unwrap();

    let (report, code) = check_json(dir.path(), &["deploy/link.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), vec!["deploy/link.yaml"]);

    regshift(dir.path())
        .args(["fix", "deploy/link.yaml"])
        .assert()
        .code(0)
        .stderr("");
    assert_eq!(fs::read_to_string(target.path()).unwrap(), POD_FIXED);
    let link_metadata = fs::symlink_metadata(link.path()).unwrap();
    assert!(
        link_metadata.file_type().is_symlink(),
        "the link stays a link"
    );
    assert_eq!(
        fs::read_link(link.path()).unwrap(),
        Path::new("real.yaml"),
        "the link still points where it did"
    );
    assert_eq!(
        entries(&dir.path().join("deploy")),
        ["link.yaml", "real.yaml"]
    );
}

#[cfg(unix)]
#[test]
fn explicit_symlink_to_a_file_outside_the_scanned_paths_is_refused() {
    use std::os::unix::fs::symlink;

    let base = TempDir::new().unwrap();
    let secret = base.child("outside/secret.yaml");
    secret.write_str(POD).unwrap();
    let repo = base.child("repo");
    repo.child("app.yaml").write_str(POD).unwrap();
    symlink("../outside/secret.yaml", repo.child("link.yaml").path()).unwrap();

    // As pre-commit calls it (the link alone), and with the repository named as well.
    for args in [&["fix", "link.yaml"][..], &["fix", ".", "link.yaml"][..]] {
        regshift(repo.path())
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("link.yaml").and(predicate::str::contains("symlink")));
        assert_eq!(
            fs::read_to_string(secret.path()).unwrap(),
            POD,
            "`regshift {}` must not write through the link to a file outside the scanned paths",
            args.join(" ")
        );
        assert!(
            fs::symlink_metadata(repo.child("link.yaml").path())
                .unwrap()
                .file_type()
                .is_symlink()
        );
        // Keep the next invocation independent of the first.
        secret.write_str(POD).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn symlink_and_its_target_named_together_are_fixed_once_for_any_thread_count() {
    use std::os::unix::fs::symlink;

    // pre-commit passes every staged file, so a link and its target arrive together.
    let dir = TempDir::new().unwrap();
    let target = dir.child("deploy/real.yaml");
    let link = dir.child("deploy/link.yaml");
    target.write_str(POD).unwrap();
    symlink("real.yaml", link.path()).unwrap();

    let mut outputs = Vec::new();
    for jobs in ["1", "8", "8", "8", "8", "8"] {
        target.write_str(POD).unwrap();
        let output = regshift(dir.path())
            .args(["fix", "-j", jobs, "deploy/link.yaml", "deploy/real.yaml"])
            .output()
            .unwrap();
        assert_eq!(
            (output.status.code(), stderr_of(&output).as_str()),
            (Some(0), ""),
            "-j {jobs}: one file, one clean fix"
        );
        assert_eq!(fs::read_to_string(target.path()).unwrap(), POD_FIXED);
        assert!(
            fs::symlink_metadata(link.path())
                .unwrap()
                .file_type()
                .is_symlink()
        );
        outputs.push((jobs, String::from_utf8(output.stdout).unwrap()));
    }
    for (jobs, stdout) in &outputs[1..] {
        assert_eq!(
            stdout, &outputs[0].1,
            "-j {jobs} reports the same as -j 1 (one file fixed once)"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hard links and permissions
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn hard_linked_file_is_refused_and_both_links_keep_the_old_content() {
    use std::os::unix::fs::MetadataExt;

    let dir = TempDir::new().unwrap();
    let first = dir.child("deploy/a.yaml");
    first.write_str(POD).unwrap();
    let second = dir.child("deploy/b.yaml");
    fs::hard_link(first.path(), second.path()).unwrap();

    regshift(dir.path())
        .args(["fix", "deploy/a.yaml"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("deploy/a.yaml").and(predicate::str::contains("hard link")),
        );

    for link in [&first, &second] {
        assert_eq!(fs::read_to_string(link.path()).unwrap(), POD);
    }
    assert_eq!(
        fs::metadata(first.path()).unwrap().nlink(),
        2,
        "links not split"
    );
    assert_eq!(entries(&dir.path().join("deploy")), ["a.yaml", "b.yaml"]);
}

#[cfg(unix)]
#[test]
fn read_only_file_is_refused_and_left_unchanged() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new().unwrap();
    let file = dir.child("deploy/app.yaml");
    file.write_str(POD).unwrap();
    fs::set_permissions(file.path(), fs::Permissions::from_mode(0o444)).unwrap();

    regshift(dir.path())
        .args(["fix", "deploy"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("deploy/app.yaml").and(predicate::str::contains("read-only")),
        );

    assert_eq!(fs::read_to_string(file.path()).unwrap(), POD);
    let mode = fs::metadata(file.path()).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o444);
    assert_eq!(entries(&dir.path().join("deploy")), ["app.yaml"]);
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_listed_as_skipped_with_exit_code_2() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    let dir = TempDir::new().unwrap();
    dir.child("ok.yaml").write_str(POD).unwrap();
    let locked = dir.child("locked.yaml");
    locked.write_str(POD).unwrap();
    fs::set_permissions(locked.path(), fs::Permissions::from_mode(0o000)).unwrap();

    let run_as = |uid: Option<u32>| {
        let mut command = regshift_command(dir.path());
        command.args(["check", "--format", "json", "."]);
        if let Some(uid) = uid {
            command.uid(uid).gid(uid);
        }
        command.output()
    };

    let output = if fs::File::open(locked.path()).is_err() {
        run_as(None).expect("regshift runs")
    } else {
        // Root reads anything: retry as `nobody`, who needs to reach the folder.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(
            dir.child("ok.yaml").path(),
            fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        match run_as(Some(65534)) {
            Ok(output)
                if serde_json::from_slice::<Value>(&output.stdout)
                    .is_ok_and(|report| finding_paths(&report) == ["ok.yaml"]) =>
            {
                output
            }
            other => {
                println!(
                    "skipped: running as root, the chmod 000 file stays readable, and running \
                     regshift as uid 65534 did not work here ({other:?})"
                );
                return;
            }
        }
    };

    assert_eq!(
        output.status.code(),
        Some(2),
        "an unreadable file is an I/O error"
    );
    let report = parse_json(&output.stdout);
    assert_eq!(
        finding_paths(&report),
        vec!["ok.yaml"],
        "other files still reported"
    );
    let skipped = skipped(&report);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "locked.yaml");
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("locked.yaml") && stderr.contains("skipped"),
        "stderr names the skipped file: {stderr}"
    );
}

// ---------------------------------------------------------------------------------------------
// What is scanned: FIFOs, large files, binary files, ignore files, excludes
// ---------------------------------------------------------------------------------------------

#[cfg(unix)]
fn make_fifo(path: &Path) -> bool {
    match std::process::Command::new("mkfifo").arg(path).status() {
        Ok(status) if status.success() => true,
        other => {
            println!("skipped: mkfifo failed ({other:?})");
            false
        }
    }
}

#[cfg(unix)]
#[test]
fn fifo_named_explicitly_is_skipped_without_hanging() {
    let dir = TempDir::new().unwrap();
    if !make_fifo(&dir.path().join("pipe.yaml")) {
        return;
    }
    dir.child("app.yaml").write_str(POD).unwrap();

    let (report, code) = check_json(dir.path(), &["pipe.yaml", "app.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), vec!["app.yaml"]);
    let skipped = skipped(&report);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "pipe.yaml");
}

#[cfg(unix)]
#[test]
fn fifo_inside_a_walked_folder_is_skipped_without_hanging() {
    let dir = TempDir::new().unwrap();
    dir.child("deploy/app.yaml").write_str(POD).unwrap();
    if !make_fifo(&dir.path().join("deploy/pipe.yaml")) {
        return;
    }

    let (report, code) = check_json(dir.path(), &["deploy"]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), vec!["deploy/app.yaml"]);
    assert_eq!(report["summary"]["files_scanned"], 1);

    regshift(dir.path())
        .args(["fix", "deploy"])
        .assert()
        .code(0);
}

#[test]
fn file_over_10_mib_is_skipped_and_listed_without_an_error_exit() {
    let dir = TempDir::new().unwrap();
    let mut big = POD.to_owned();
    big.push_str(&"# padding padding padding padding padding padding padding\n".repeat(190_000));
    assert!(big.len() > 10 * 1024 * 1024);
    dir.child("big/dump.yaml").write_str(&big).unwrap();

    let output = regshift(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_ne!(
        output.status.code(),
        Some(2),
        "a large file alone is not an error"
    );
    let report = parse_json(&output.stdout);
    assert!(finding_paths(&report).is_empty());
    let skipped = skipped(&report);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "big/dump.yaml");
    assert!(skipped[0].1.contains("10 MiB"), "reason: {}", skipped[0].1);
    assert!(stderr_of(&output).contains("big/dump.yaml"));
}

/// A `sed` pattern moves with any file the run fixes, however large within the scan's 10 MiB
/// limit; a file over it is skipped, keeps the old host, and so does the pattern.
#[test]
fn a_sed_pattern_follows_every_file_the_run_can_fix() {
    let dir = TempDir::new().unwrap();
    let padding = "# padding padding padding padding padding padding padding\n";
    let mut large = POD.to_owned();
    large.push_str(&padding.repeat(165_000));
    assert!(large.len() > 9 * 1024 * 1024 && large.len() < 10 * 1024 * 1024);
    dir.child("large/pod.yaml").write_str(&large).unwrap();
    let mut over = POD.to_owned();
    over.push_str(&padding.repeat(190_000));
    dir.child("over/pod.yaml").write_str(&over).unwrap();
    dir.child("build.sh")
        .write_str(concat!(
            "#!/bin/sh\n",
            "sed -i 's/k8s.gcr.io/mirror.local:5000/g' large/pod.yaml\n",
            "sed -i 's/k8s.gcr.io/mirror.local:5000/g' over/pod.yaml\n",
        ))
        .unwrap();

    regshift(dir.path()).arg("fix").assert().code(0);
    let script = fs::read_to_string(dir.child("build.sh").path()).unwrap();
    assert!(
        script.contains("s/registry.k8s.io/mirror.local:5000/g' large/pod.yaml"),
        "{script}"
    );
    assert!(
        script.contains("s/k8s.gcr.io/mirror.local:5000/g' over/pod.yaml"),
        "{script}"
    );
    let fixed = fs::read_to_string(dir.child("large/pod.yaml").path()).unwrap();
    assert!(fixed.starts_with(POD_FIXED), "the large file is fixed");
    assert_eq!(
        fs::read_to_string(dir.child("over/pod.yaml").path()).unwrap(),
        over
    );
}

#[test]
fn binary_file_with_a_legacy_host_is_not_reported() {
    let dir = TempDir::new().unwrap();
    let mut bytes = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    bytes.extend_from_slice(b"image: k8s.gcr.io/pause:3.1\n");
    dir.child("bin/tool").write_binary(&bytes).unwrap();
    dir.child("data.yaml")
        .write_binary(b"image: k8s.gcr.io/pause:3.1\n\0\n")
        .unwrap();

    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(finding_paths(&report).is_empty(), "{report:#}");
    regshift(dir.path()).arg("fix").assert().code(0);
    assert_eq!(fs::read(dir.child("bin/tool").path()).unwrap(), bytes);
}

fn ignored_tree(dir: &TempDir) {
    dir.child(".gitignore")
        .write_str("generated/\n*.local.yaml\n")
        .unwrap();
    dir.child(".ignore").write_str("scratch.yaml\n").unwrap();
    dir.child("deploy/.gitignore").write_str("tmp/\n").unwrap();
    for path in [
        "deploy/app.yaml",
        "generated/out.yaml",
        "deploy/dev.local.yaml",
        "scratch.yaml",
        "deploy/tmp/x.yaml",
    ] {
        dir.child(path).write_str(POD).unwrap();
    }
}

#[test]
fn gitignore_and_ignore_are_honoured_without_a_git_repository() {
    let dir = TempDir::new().unwrap();
    ignored_tree(&dir);
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), vec!["deploy/app.yaml"]);
}

#[test]
fn gitignore_and_ignore_are_honoured_in_a_git_repository() {
    let dir = TempDir::new().unwrap();
    ignored_tree(&dir);
    match git_command(dir.path()).args(["init", "-q", "."]).status() {
        Ok(status) if status.success() => {}
        other => {
            println!("skipped: git init failed ({other:?})");
            return;
        }
    }
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), vec!["deploy/app.yaml"]);
    // Also when the walk starts below the repository root.
    let (report, _) = check_json(dir.path(), &["deploy"]);
    assert_eq!(finding_paths(&report), vec!["deploy/app.yaml"]);
}

#[test]
fn explicitly_named_ignored_files_are_still_scanned() {
    let dir = TempDir::new().unwrap();
    ignored_tree(&dir);
    let (report, code) = check_json(
        dir.path(),
        &[
            "generated/out.yaml",
            "deploy/dev.local.yaml",
            "scratch.yaml",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        finding_paths(&report),
        vec![
            "deploy/dev.local.yaml",
            "generated/out.yaml",
            "scratch.yaml"
        ]
    );
}

#[test]
fn force_exclude_skips_default_excluded_paths_named_on_the_command_line() {
    let dir = TempDir::new().unwrap();
    dir.child("vendor/x.yaml").write_str(POD).unwrap();
    dir.child("CHANGELOG.md")
        .write_str("## 1.0\n\n- moved off `k8s.gcr.io/pause:3.1`\n")
        .unwrap();

    for path in ["vendor/x.yaml", "CHANGELOG.md"] {
        let (report, code) = check_json(dir.path(), &[path]);
        assert_eq!(code, 1, "{path} named without --force-exclude is scanned");
        assert_eq!(finding_paths(&report), vec![path]);

        let (report, code) = check_json(dir.path(), &["--force-exclude", path]);
        assert_eq!(code, 0, "{path} is excluded with --force-exclude");
        assert!(finding_paths(&report).is_empty(), "{report:#}");
    }
    // The walk excludes them by default.
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(finding_paths(&report).is_empty(), "{report:#}");
}

// ---------------------------------------------------------------------------------------------
// Output: determinism, pipes, colour, stdout discipline
// ---------------------------------------------------------------------------------------------

#[test]
fn output_is_byte_identical_for_one_and_eight_threads() {
    let dir = TempDir::new().unwrap();
    tree_with_findings(&dir, 200);
    for format in ["human", "json", "concise"] {
        let run = |jobs: &str| {
            regshift(dir.path())
                .args(["check", "--format", format, "-j", jobs])
                .output()
                .unwrap()
        };
        let single = run("1");
        assert_eq!(single.status.code(), Some(1));
        assert!(single.stdout.len() > 10_000, "the tree has many findings");
        for _ in 0..3 {
            let parallel = run("8");
            assert_eq!(parallel.status.code(), Some(1));
            assert!(
                single.stdout == parallel.stdout,
                "--format {format}: -j 1 and -j 8 differ"
            );
            assert_eq!(single.stderr, parallel.stderr, "--format {format}: stderr");
        }
    }
}

#[test]
fn broken_pipe_exits_without_an_error_message() {
    let dir = TempDir::new().unwrap();
    tree_with_findings(&dir, 400);
    let mut child = regshift_command(dir.path())
        .arg("check")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("legacy-host"), "first line: {first}");
    drop(stdout);

    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("regshift did not exit after its stdout closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(stderr, "", "no error on a broken pipe");
    assert_ne!(status.code(), Some(101), "no panic");
    assert!(
        status.code().is_some(),
        "not killed by a signal: {status:?}"
    );
}

fn colour_tree() -> TempDir {
    let dir = TempDir::new().unwrap();
    dir.child("app.yaml").write_str(POD).unwrap();
    dir.child("big.yaml")
        .write_str(&"# x\n".repeat(3 * 1024 * 1024))
        .unwrap();
    dir
}

#[test]
fn color_always_emits_ansi_escapes() {
    let dir = colour_tree();
    let output = regshift(dir.path())
        .args(["--color", "always", "check"])
        .output()
        .unwrap();
    assert!(has_ansi(&output.stdout), "stdout has ANSI escapes");
    assert!(has_ansi(&output.stderr), "stderr has ANSI escapes");
}

#[test]
fn no_color_disables_colour_even_when_forced_by_clicolor_force() {
    let dir = colour_tree();
    // Control: CLICOLOR_FORCE alone colours piped output, so the NO_COLOR run proves something.
    let forced = regshift(dir.path())
        .env("CLICOLOR_FORCE", "1")
        .arg("check")
        .output()
        .unwrap();
    assert!(
        has_ansi(&forced.stdout),
        "CLICOLOR_FORCE=1 colours the output"
    );

    let output = regshift(dir.path())
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .arg("check")
        .output()
        .unwrap();
    assert!(!has_ansi(&output.stdout), "NO_COLOR: no ANSI on stdout");
    assert!(!has_ansi(&output.stderr), "NO_COLOR: no ANSI on stderr");
}

#[test]
fn piped_output_has_no_colour_by_default() {
    let dir = colour_tree();
    let output = regshift(dir.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!output.stdout.is_empty());
    assert!(!has_ansi(&output.stdout), "no ANSI on piped stdout");
    assert!(!has_ansi(&output.stderr), "no ANSI on piped stderr");
}

#[test]
fn output_file_never_contains_ansi_escapes() {
    let dir = colour_tree();
    for format in ["human", "concise", "json"] {
        let report = dir.path().join(format!("report.{format}"));
        regshift(dir.path())
            .env("CLICOLOR_FORCE", "1")
            .args(["--color", "always", "check", "--format", format, "app.yaml"])
            .arg("--output")
            .arg(&report)
            .assert()
            .code(1)
            .stdout("");
        let written = fs::read(&report).unwrap();
        assert!(
            written.windows(10).any(|w| w == b"k8s.gcr.io"),
            "{format}: a report was written"
        );
        assert!(
            !has_ansi(&written),
            "{format}: --output file has no ANSI escapes"
        );
    }
}

#[test]
fn json_stdout_is_one_document_despite_notes_skipped_files_and_errors() {
    let dir = TempDir::new().unwrap();
    dir.child("app.yaml").write_str(POD).unwrap();
    // A note: this does not parse as YAML.
    dir.child("broken.yaml")
        .write_str("a: [\nimage: k8s.gcr.io/pause:3.1\n  - : : x\n")
        .unwrap();
    // A skipped file.
    dir.child("big.yaml")
        .write_str(&"# x\n".repeat(3 * 1024 * 1024))
        .unwrap();

    // An error: a path that does not exist.
    let output = regshift(dir.path())
        .args(["check", "--format", "json", ".", "missing.yaml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "an error wins over findings");
    let report = parse_json(&output.stdout);
    assert_eq!(finding_paths(&report), vec!["app.yaml", "broken.yaml"]);
    for key in ["notes", "skipped", "errors"] {
        assert_eq!(
            report[key].as_array().map(Vec::len),
            Some(1),
            "{key}: {report:#}"
        );
    }
    let stderr = stderr_of(&output);
    for path in ["broken.yaml", "big.yaml", "missing.yaml"] {
        assert!(stderr.contains(path), "stderr mentions {path}: {stderr}");
    }

    // `fix` with a write error (a hard link) keeps stdout to the document too.
    #[cfg(unix)]
    {
        fs::hard_link(dir.child("app.yaml").path(), dir.child("twin.yaml").path()).unwrap();
        let output = regshift(dir.path())
            .args(["fix", "--format", "json", "."])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let report = parse_json(&output.stdout);
        assert!(
            !report["errors"].as_array().unwrap().is_empty(),
            "{report:#}"
        );
        assert!(stderr_of(&output).contains("hard link"));
    }
}

// ---------------------------------------------------------------------------------------------
// Paths in output
// ---------------------------------------------------------------------------------------------

#[test]
fn output_paths_are_relative_to_the_current_directory_without_dot_prefix() {
    let dir = TempDir::new().unwrap();
    dir.child("deploy/app.yaml").write_str(POD).unwrap();
    let absolute = dir.path().join("deploy");
    let absolute = absolute.to_str().expect("temp paths are UTF-8 here");

    for argument in [
        "deploy",
        "./deploy",
        "deploy/",
        "./deploy/app.yaml",
        absolute,
    ] {
        let (report, code) = check_json(dir.path(), &[argument]);
        assert_eq!(code, 1, "{argument}");
        assert_eq!(
            finding_paths(&report),
            vec!["deploy/app.yaml"],
            "{argument}"
        );

        regshift(dir.path())
            .args(["check", argument])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(" --> deploy/app.yaml:8:12"))
            .stdout(predicate::str::contains("./").not());
        regshift(dir.path())
            .args(["check", "--format", "concise", argument])
            .assert()
            .stdout(predicate::str::starts_with(
                "deploy/app.yaml:8:12: legacy-host",
            ));
    }

    // From a sub-folder, files elsewhere are named with `..`.
    dir.child("other/x.yaml").write_str(POD).unwrap();
    let (report, _) = check_json(&dir.path().join("deploy"), &["../other", "."]);
    assert_eq!(finding_paths(&report), vec!["../other/x.yaml", "app.yaml"]);
}

#[test]
fn names_with_spaces_are_reported_as_they_are() {
    let dir = TempDir::new().unwrap();
    dir.child("my charts/web app/values file.yaml")
        .write_str(POD)
        .unwrap();
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_paths(&report),
        vec!["my charts/web app/values file.yaml"]
    );
    let (report, _) = check_json(dir.path(), &["my charts/web app/values file.yaml"]);
    assert_eq!(
        finding_paths(&report),
        vec!["my charts/web app/values file.yaml"]
    );
    regshift(dir.path()).arg("fix").assert().code(0);
    assert_eq!(
        fs::read_to_string(dir.child("my charts/web app/values file.yaml").path()).unwrap(),
        POD_FIXED
    );
}

#[cfg(unix)]
#[test]
fn names_with_a_newline_or_invalid_utf8_are_scanned_and_reported_lossily() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = TempDir::new().unwrap();
    let newline = dir.path().join("new\nline.yaml");
    let invalid = dir.path().join(OsStr::from_bytes(b"bad\xffname.yaml"));
    fs::write(&newline, POD).unwrap();
    fs::write(&invalid, POD).unwrap();

    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_paths(&report),
        vec!["bad\u{fffd}name.yaml", "new\nline.yaml"]
    );
    for format in ["human", "concise"] {
        regshift(dir.path())
            .args(["check", "--format", format])
            .assert()
            .code(1)
            .stdout(predicate::str::contains("bad\u{fffd}name.yaml"));
    }

    // Named explicitly, too.
    let output = regshift(dir.path())
        .args(["check", "--format", "json"])
        .arg(OsStr::from_bytes(b"bad\xffname.yaml"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        finding_paths(&parse_json(&output.stdout)),
        vec!["bad\u{fffd}name.yaml"]
    );

    regshift(dir.path()).arg("fix").assert().code(0);
    assert_eq!(fs::read_to_string(&newline).unwrap(), POD_FIXED);
    assert_eq!(fs::read_to_string(&invalid).unwrap(), POD_FIXED);
}

#[cfg(unix)]
#[test]
fn names_differing_only_in_invalid_utf8_bytes_are_both_scanned() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = TempDir::new().unwrap();
    let first = dir.path().join(OsStr::from_bytes(b"bad\xfename.yaml"));
    let second = dir.path().join(OsStr::from_bytes(b"bad\xffname.yaml"));
    fs::write(&first, POD).unwrap();
    fs::write(&second, POD).unwrap();

    // Both display as `bad\u{fffd}name.yaml`; neither may be dropped as a duplicate, or the
    // run claims a clean tree that is not.
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["files_scanned"], 2, "{report:#}");
    assert_eq!(finding_paths(&report).len(), 2, "{report:#}");

    regshift(dir.path()).arg("fix").assert().code(0);
    assert_eq!(fs::read_to_string(&first).unwrap(), POD_FIXED);
    assert_eq!(fs::read_to_string(&second).unwrap(), POD_FIXED);
}

/// A gzip-compressed tarball with the given files, for packaged-chart tests.
fn tarball(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, content.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

// See: the real-chart run (issue 3): csi-driver-nfs keeps released packages in
// charts/<version>/<name>-<version>.tgz; they were skipped without a word.
#[test]
fn released_chart_packages_are_reported_never_fixed() {
    let dir = TempDir::new().unwrap();
    let archive = tarball(&[
        (
            "web/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        ),
        (
            "web/values.yaml",
            "image:\n  repository: k8s.gcr.io/pause\n",
        ),
    ]);
    dir.child("charts/v1.0.0/web-1.0.0.tgz")
        .write_binary(&archive)
        .unwrap();
    dir.child("dist/app.tar.gz")
        .write_binary(&tarball(&[(
            "app/run.sh",
            "docker pull k8s.gcr.io/pause\n",
        )]))
        .unwrap();
    let (report, code) = check_json(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_paths(&report),
        vec!["charts/v1.0.0/web-1.0.0.tgz!web/values.yaml"],
        "a tarball that is not a chart is binary"
    );
    let finding = &report["findings"][0];
    assert_eq!(finding["applicability"], "none");
    assert!(
        finding["note"]
            .as_str()
            .unwrap()
            .contains("package a new version")
    );
    regshift(dir.path()).args(["fix", "."]).assert().code(1);
    assert_eq!(
        fs::read(dir.path().join("charts/v1.0.0/web-1.0.0.tgz")).unwrap(),
        archive
    );
}

#[test]
fn an_unreadable_chart_dependency_is_an_error() {
    let dir = TempDir::new().unwrap();
    dir.child("web/Chart.yaml")
        .write_str("apiVersion: v2\nname: web\nversion: 1.0.0\n")
        .unwrap();
    dir.child("web/charts/dep-0.1.0.tgz")
        .write_binary(b"\x1f\x8b\x08\x00 not really gzip")
        .unwrap();
    let (report, code) = check_json(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert_eq!(report["skipped"][0]["path"], "web/charts/dep-0.1.0.tgz");
}
