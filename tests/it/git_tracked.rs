//! Files git tracks are scanned even when a gitignore rule matches them (issue 15): git applies
//! ignore rules to untracked files only, and a chart repository can commit the `values.yaml`
//! its own `.gitignore` lists. Each test builds a real repository in its own temporary folder
//! and runs the real binary in it. What still applies to tracked files: `.ignore` files, the
//! configured and default excludes, symlinks never followed.
//!
//! See: issue 15 (tracked files matched by a .gitignore pattern were skipped).

use std::fs;
use std::path::Path;

use assert_fs::TempDir;

use crate::support::{POD, check_json, finding_paths, git, parse_json, regshift, stderr_of, write};

const CHART: &str = "apiVersion: v2\nname: app\nversion: 1.0.0\n";
const VALUES: &str = "controller:\n  image: k8s.gcr.io/ingress-nginx/controller:v1.2.1\n";

/// A repository in `dir` whose commit holds `files` and also `forced`, which its gitignore
/// rules match (added with `git add -f`).
fn repository(dir: &Path, files: &[(&str, &str)], forced: &[(&str, &str)]) {
    fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.name", "regshift test"]);
    git(dir, &["config", "user.email", "test@example.com"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
    for (name, text) in files.iter().chain(forced) {
        write(&dir.join(name), text);
    }
    git(dir, &["add", "-A"]);
    for (name, _) in forced {
        git(dir, &["add", "-f", name]);
    }
    git(dir, &["commit", "-q", "--allow-empty", "-m", "initial"]);
}

/// A chart repository whose `.gitignore` lists `values.yaml` and whose chart's `values.yaml`
/// is committed all the same; `scratch/values.yaml` is ignored and untracked.
fn chart_repository(dir: &Path) {
    repository(
        dir,
        &[(".gitignore", "values.yaml\n"), ("chart/Chart.yaml", CHART)],
        &[("chart/values.yaml", VALUES)],
    );
    write(&dir.join("scratch/values.yaml"), VALUES);
}

#[test]
fn gh_15_a_committed_values_yaml_that_gitignore_lists_is_reported_and_fixed() {
    let dir = TempDir::new().unwrap();
    chart_repository(dir.path());

    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), ["chart/values.yaml"]);

    let diff = regshift(dir.path())
        .args(["fix", "--diff"])
        .output()
        .unwrap();
    let diff = String::from_utf8(diff.stdout).unwrap();
    assert!(diff.contains("+++ b/chart/values.yaml"), "{diff}");
    assert!(!diff.contains("scratch"), "{diff}");

    let images = regshift(dir.path())
        .args(["images", "--format", "json"])
        .output()
        .unwrap();
    let images = String::from_utf8(images.stdout).unwrap();
    assert!(images.contains("chart/values.yaml"), "{images}");

    regshift(dir.path()).arg("fix").assert().code(0);
    let fixed = fs::read_to_string(dir.path().join("chart/values.yaml")).unwrap();
    assert_eq!(fixed, VALUES.replace("k8s.gcr.io", "registry.k8s.io"));
    let untracked = fs::read_to_string(dir.path().join("scratch/values.yaml")).unwrap();
    assert_eq!(untracked, VALUES, "an ignored untracked file is not fixed");
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!((finding_paths(&report).len(), code), (0, 0), "{report:#}");
}

#[test]
fn sweep_reports_a_committed_file_that_gitignore_lists() {
    let root = TempDir::new().unwrap();
    chart_repository(&root.path().join("charts-repo"));
    let output = regshift(root.path())
        .args(["sweep", ".", "--format", "json"])
        .output()
        .unwrap();
    let document = parse_json(&output.stdout);
    let findings = document["repos"][0]["findings"].as_array().unwrap();
    let paths: Vec<&str> = findings
        .iter()
        .map(|finding| finding["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["chart/values.yaml"], "{document:#}");
}

#[test]
fn tracked_files_in_an_ignored_folder_are_scanned_and_untracked_ones_are_not() {
    let dir = TempDir::new().unwrap();
    repository(
        dir.path(),
        &[(".gitignore", "generated/\n"), ("deploy/pod.yaml", POD)],
        &[
            ("generated/tracked.yaml", POD),
            ("generated/deep/kept.yaml", POD),
        ],
    );
    write(&dir.path().join("generated/untracked.yaml"), POD);
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_paths(&report),
        [
            "deploy/pod.yaml",
            "generated/deep/kept.yaml",
            "generated/tracked.yaml"
        ]
    );
    // The same bytes for any thread count.
    let output = |threads: &str| {
        regshift(dir.path())
            .args(["check", "--format", "json", "--threads", threads])
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(output("1"), output("8"));
}

#[test]
fn ignore_files_and_excludes_still_apply_to_tracked_files() {
    let dir = TempDir::new().unwrap();
    repository(
        dir.path(),
        &[
            (".gitignore", "*.yaml\n!keep.yaml\n"),
            (".ignore", "scratch.yaml\nquiet/\n"),
            ("keep.yaml", POD),
        ],
        &[
            ("scratch.yaml", POD),
            ("quiet/pod.yaml", POD),
            ("vendor/lib/pod.yaml", POD),
            ("skipped/pod.yaml", POD),
            ("CHANGELOG.yaml", POD),
            ("tracked.yaml", POD),
        ],
    );
    let (report, code) = check_json(dir.path(), &["--exclude", "skipped/"]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), ["keep.yaml", "tracked.yaml"]);
}

#[test]
fn a_tracked_symlink_is_not_followed() {
    let outside = TempDir::new().unwrap();
    write(&outside.path().join("pod.yaml"), POD);
    write(&outside.path().join("dir/pod.yaml"), POD);
    let dir = TempDir::new().unwrap();
    repository(
        dir.path(),
        &[(".gitignore", "ignored/\n")],
        &[("ignored/dir/pod.yaml", POD)],
    );
    std::os::unix::fs::symlink(
        outside.path().join("pod.yaml"),
        dir.path().join("ignored/link.yaml"),
    )
    .unwrap();
    git(dir.path(), &["add", "-f", "ignored/link.yaml"]);
    git(dir.path(), &["commit", "-q", "-m", "a link"]);
    // The tracked folder replaced by a link to a folder outside the repository.
    fs::remove_dir_all(dir.path().join("ignored/dir")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("dir"), dir.path().join("ignored/dir")).unwrap();

    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(finding_paths(&report).is_empty(), "{report:#}");
}

#[test]
fn a_tracked_file_deleted_from_the_work_tree_is_not_an_error() {
    let dir = TempDir::new().unwrap();
    repository(
        dir.path(),
        &[(".gitignore", "generated/\n"), ("pod.yaml", POD)],
        &[("generated/gone.yaml", POD)],
    );
    fs::remove_file(dir.path().join("generated/gone.yaml")).unwrap();
    assert_only_the_pod_is_reported(dir.path());
}

#[test]
fn subfolders_dot_dot_paths_and_overlapping_paths_find_a_tracked_ignored_file_once() {
    let dir = TempDir::new().unwrap();
    chart_repository(dir.path());
    write(&dir.path().join("other.yaml"), POD);
    let chart = dir.path().join("chart");
    for (cwd, args, expected) in [
        (&chart, &["."][..], &["values.yaml"][..]),
        (&chart, &["../chart"][..], &["values.yaml"][..]),
        (
            &dir.path().to_path_buf(),
            &["chart/../chart"][..],
            &["chart/values.yaml"][..],
        ),
        // Folders inside one another, and a file named with a folder: the collected walk.
        (
            &dir.path().to_path_buf(),
            &[".", "chart"][..],
            &["chart/values.yaml", "other.yaml"][..],
        ),
        (
            &dir.path().to_path_buf(),
            &["chart", "other.yaml"][..],
            &["chart/values.yaml", "other.yaml"][..],
        ),
    ] {
        let (report, code) = check_json(cwd, args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(finding_paths(&report), expected, "{args:?} in {cwd:?}");
    }
    // A folder beside the chart: the chart's tracked file is outside the scan.
    fs::create_dir_all(dir.path().join("docs")).unwrap();
    let (report, code) = check_json(dir.path(), &["docs"]);
    assert_eq!((finding_paths(&report).len(), code), (0, 0), "{report:#}");
}

#[test]
fn without_a_git_folder_gitignore_rules_apply_to_every_file() {
    let dir = TempDir::new().unwrap();
    chart_repository(dir.path());
    fs::remove_dir_all(dir.path().join(".git")).unwrap();
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(finding_paths(&report).is_empty(), "{report:#}");
}

/// A corrupt or missing index is the rules as before: gitignore decides, the run goes on and
/// nothing is reported about the index.
#[test]
fn a_corrupt_or_missing_index_falls_back_to_the_gitignore_rules() {
    let dir = TempDir::new().unwrap();
    chart_repository(dir.path());
    write(&dir.path().join("pod.yaml"), POD);
    let index = dir.path().join(".git/index");
    let mut cut = fs::read(&index).unwrap();
    cut.truncate(cut.len() / 2);
    for corrupt in [&b"DIRC\0\0\0\x02\xff\xff\xff\xff"[..], b"garbage", &cut] {
        fs::write(&index, corrupt).unwrap();
        assert_only_the_pod_is_reported(dir.path());
    }
    fs::remove_file(&index).unwrap();
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), ["pod.yaml"]);
}

#[test]
fn a_nested_repository_uses_its_own_index_and_one_the_parent_ignores_is_not_read() {
    let dir = TempDir::new().unwrap();
    repository(
        dir.path(),
        &[(".gitignore", "clone/\n"), ("pod.yaml", POD)],
        &[],
    );
    // A clone the parent ignores: not part of the parent repository, not scanned.
    repository(&dir.path().join("clone"), &[("pod.yaml", POD)], &[]);
    // A nested repository the parent does not ignore, with its own ignored-but-tracked file.
    repository(
        &dir.path().join("nested"),
        &[(".gitignore", "values.yaml\n"), ("chart/Chart.yaml", CHART)],
        &[("chart/values.yaml", VALUES)],
    );
    let (report, code) = check_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_paths(&report),
        ["nested/chart/values.yaml", "pod.yaml"]
    );
}

#[test]
fn a_linked_work_tree_reads_the_index_its_git_file_names() {
    let root = TempDir::new().unwrap();
    let main = root.path().join("main");
    chart_repository(&main);
    let linked = root.path().join("linked");
    git(
        &main,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "other",
            linked.to_str().unwrap(),
        ],
    );
    assert!(linked.join(".git").is_file());
    let (report, code) = check_json(&linked, &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&report), ["chart/values.yaml"]);
}

/// `.git/info/exclude` and the global gitignore are gitignore rules too: tracked files they
/// match are scanned, untracked ones are not.
#[test]
fn info_exclude_and_the_global_gitignore_skip_untracked_files_only() {
    let dir = TempDir::new().unwrap();
    let repo = dir.path().join("repo");
    repository(
        &repo,
        &[("chart/Chart.yaml", CHART), ("chart/values.yaml", VALUES)],
        &[("generated/tracked.yaml", POD)],
    );
    write(&repo.join(".git/info/exclude"), "generated/\n");
    write(&repo.join("generated/untracked.yaml"), POD);
    write(&repo.join("scratch/values.yaml"), VALUES);
    let home = dir.path().join("home");
    write(&home.join(".config/git/ignore"), "values.yaml\n");
    let output = regshift(&repo)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert_eq!(
        finding_paths(&parse_json(&output.stdout)),
        ["chart/values.yaml", "generated/tracked.yaml"]
    );
}

/// `check` in `dir` reports `pod.yaml` alone and writes nothing to standard error.
fn assert_only_the_pod_is_reported(dir: &std::path::Path) {
    let output = regshift(dir)
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(finding_paths(&parse_json(&output.stdout)), ["pod.yaml"]);
    assert!(stderr_of(&output).is_empty(), "{}", stderr_of(&output));
}
