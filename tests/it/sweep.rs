//! `regshift sweep`: discovery, `--repos-from`, every format, broken repositories, shards, the
//! equality of each row with `regshift check` inside that repository, `--fix` and
//! `--fix --commit` (one commit per changed repository on its own branch, nothing pushed, no
//! repository code run), and `--merge` of sharded sweeps. Every repository is created here with
//! the git CLI.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

use crate::support::{self, git, git_command, marker_script, parse_json, stderr_of, write};

const TIMEOUT: Duration = Duration::from_secs(120);
const BRANCH: &str = "regshift/registry-k8s-io";
const SUBJECT: &str = "Move container images from k8s.gcr.io to registry.k8s.io";

const LEGACY_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: k8s.gcr.io/pause:3.9
";

const CLEAN_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: registry.k8s.io/pause:3.9
";

/// A repository at `path` with one commit holding `files`, on branch `main`.
fn init_repo(path: &Path, files: &[(&str, &str)]) {
    fs::create_dir_all(path).unwrap();
    git(path, &["init", "-q", "-b", "main"]);
    git(path, &["config", "user.name", "regshift test"]);
    git(path, &["config", "user.email", "test@example.com"]);
    git(path, &["config", "commit.gpgsign", "false"]);
    for (name, text) in files {
        write(&path.join(name), text);
    }
    if files.is_empty() {
        write(&path.join("README.md"), "# empty\n");
    }
    git(path, &["add", "-A"]);
    git(path, &["commit", "-q", "-m", "initial"]);
}

/// A bare repository under `remotes/` as `origin`, with `main` pushed to it.
fn add_remote(root: &Path, repo: &Path) -> PathBuf {
    let name = repo.file_name().unwrap().to_string_lossy().into_owned();
    let bare = root.join("remotes").join(format!("{name}.git"));
    fs::create_dir_all(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare"]);
    git(repo, &["remote", "add", "origin", bare.to_str().unwrap()]);
    git(repo, &["push", "-q", "origin", "main"]);
    bare
}

/// The real binary in `dir`, with git's global and system configuration out of its way.
fn regshift(dir: &Path) -> Command {
    let mut command = support::regshift(dir);
    command
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .timeout(TIMEOUT);
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    regshift(dir).args(args).output().unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("regshift exits normally")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// `regshift sweep ARGS --format json` in `dir`: the document and the exit code.
fn sweep_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let output = run(dir, &all);
    (parse_json(&output.stdout), code(&output))
}

fn repos(document: &Value) -> &Vec<Value> {
    document["repos"].as_array().expect("`repos` is a list")
}

fn paths(document: &Value) -> Vec<String> {
    repos(document)
        .iter()
        .map(|row| row["path"].as_str().unwrap().to_string())
        .collect()
}

fn row<'a>(document: &'a Value, path: &str) -> &'a Value {
    repos(document)
        .iter()
        .find(|row| row["path"] == path)
        .unwrap_or_else(|| panic!("no row for {path} in {document:#}"))
}

fn branches(repo: &Path) -> Vec<String> {
    git(repo, &["branch", "--format=%(refname:short)"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn refs(repo: &Path) -> String {
    git(repo, &["for-each-ref", "--format=%(refname) %(objectname)"])
}

/// Files under `dir` (not `.git`) and their bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name() == ".git" {
                continue;
            }
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, files);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                files.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(dir, dir, &mut files);
    files
}

/// Everything `--commit` must leave as it was: the checked-out branch and its commit, the
/// files, the index (byte for byte) and what `git status` says.
#[derive(Debug, PartialEq, Eq)]
struct WorkState {
    head: String,
    commit: String,
    files: BTreeMap<PathBuf, Vec<u8>>,
    index: Vec<u8>,
    status: String,
}

fn state(repo: &Path) -> WorkState {
    WorkState {
        head: git(repo, &["symbolic-ref", "HEAD"]),
        commit: git(repo, &["rev-parse", "HEAD"]),
        files: snapshot(repo),
        index: fs::read(repo.join(".git/index")).unwrap(),
        status: git(repo, &["status", "--porcelain", "--untracked-files=all"]),
    }
}

// ---------------------------------------------------------------------------------------------
// Discovery

#[test]
fn discovery_follows_depth_and_skips_plain_and_hidden_folders() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(&root.join("a"), &[("pod.yaml", LEGACY_POD)]);
    init_repo(&root.join("group/b"), &[("pod.yaml", LEGACY_POD)]);
    init_repo(&root.join("group/sub/c"), &[("pod.yaml", CLEAN_POD)]);
    init_repo(&root.join("deep/x/y/z/d"), &[("pod.yaml", LEGACY_POD)]);
    // A repository inside a repository is part of the outer one's row.
    init_repo(&root.join("a/nested"), &[("pod.yaml", LEGACY_POD)]);
    // Folders that are not repositories hold findings that belong to no row.
    write(&root.join("notrepo/plain/pod.yaml"), LEGACY_POD);
    write(&root.join("loose.yaml"), LEGACY_POD);
    init_repo(&root.join(".hidden/e"), &[("pod.yaml", LEGACY_POD)]);

    let (document, exit) = sweep_json(root, &["."]);
    assert_eq!(exit, 1);
    assert_eq!(paths(&document), ["a", "group/b", "group/sub/c"]);
    assert_eq!(document["summary"]["repositories"], 3);

    for (depth, expected) in [
        ("0", vec![]),
        ("1", vec!["a"]),
        ("2", vec!["a", "group/b"]),
        ("3", vec!["a", "group/b", "group/sub/c"]),
        ("5", vec!["a", "deep/x/y/z/d", "group/b", "group/sub/c"]),
    ] {
        let (document, _) = sweep_json(root, &[".", "--depth", depth]);
        assert_eq!(paths(&document), expected, "--depth {depth}");
    }

    // DIR may be a repository itself; two DIRs naming one repository give one row; paths are
    // relative to the current directory.
    let (document, _) = sweep_json(&root.join("group"), &["../a", "b", "."]);
    assert_eq!(paths(&document), ["../a", "b", "sub/c"]);
    let (document, _) = sweep_json(root, &["a", "a", "./a"]);
    assert_eq!(paths(&document), ["a"]);

    // A DIR that does not exist is a usage error.
    let output = run(root, &["sweep", "missing"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr_of(&output).contains("missing"),
        "{}",
        stderr_of(&output)
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn repos_from_reads_one_path_per_line() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(&root.join("a"), &[("pod.yaml", LEGACY_POD)]);
    init_repo(&root.join("group/b"), &[("pod.yaml", CLEAN_POD)]);
    init_repo(&root.join("c"), &[("pod.yaml", LEGACY_POD)]);
    let absolute_c = root.join("c");
    write(
        &root.join("lists/repos.txt"),
        &format!(
            "# repositories to migrate\n\na\n   group/b   # trailing comment\n\t\n{}\n# c is listed twice\nc\n",
            absolute_c.display()
        ),
    );
    let (document, exit) = sweep_json(root, &["--repos-from", "lists/repos.txt"]);
    assert_eq!(exit, 1);
    assert_eq!(paths(&document), ["a", "c", "group/b"]);

    // With DIRs as well: the union, each repository once.
    let (document, _) = sweep_json(root, &["group", "--repos-from", "lists/repos.txt"]);
    assert_eq!(paths(&document), ["a", "c", "group/b"]);

    // A listed path that does not exist is a row error; the others are swept.
    write(&root.join("lists/more.txt"), "a\nmissing\n");
    let (document, exit) = sweep_json(root, &["--repos-from", "lists/more.txt"]);
    assert_eq!(exit, 2);
    assert_eq!(paths(&document), ["a", "missing"]);
    assert!(row(&document, "missing")["error"].is_string());
    assert_eq!(row(&document, "a")["error"], Value::Null);
    assert_eq!(row(&document, "a")["findings"].as_array().unwrap().len(), 1);

    // A list that cannot be read is a usage error.
    let output = run(root, &["sweep", "--repos-from", "lists/none.txt"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr_of(&output).contains("none.txt"),
        "{}",
        stderr_of(&output)
    );
}

// ---------------------------------------------------------------------------------------------
// Formats

/// Two repositories with findings, one clean, one with a broken configuration.
fn format_tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    init_repo(
        &root.path().join("alpha"),
        &[
            ("pod.yaml", LEGACY_POD),
            ("docs/notes.md", "Images used to come from k8s.gcr.io.\n"),
            (
                "main.go",
                "package main\n\nconst image = \"k8s.gcr.io/pause:3.9\"\n",
            ),
        ],
    );
    init_repo(&root.path().join("beta"), &[("pod.yaml", CLEAN_POD)]);
    init_repo(
        &root.path().join("gamma"),
        &[
            ("pod.yaml", LEGACY_POD),
            ("regshift.toml", "fail-on = \"sometimes\"\n"),
        ],
    );
    root
}

#[test]
fn json_is_one_document_with_a_row_per_repository() {
    let root = format_tree();
    let output = run(root.path(), &["sweep", ".", "--format", "json"]);
    assert_eq!(code(&output), 2, "gamma's configuration is broken");
    assert!(
        stderr_of(&output).is_empty(),
        "machine formats print nothing else: {}",
        stderr_of(&output)
    );
    let document = parse_json(&output.stdout);
    assert_eq!(document["version"], 1);
    assert_eq!(paths(&document), ["alpha", "beta", "gamma"]);
    for row in repos(&document) {
        for key in ["path", "files_scanned", "findings", "error"] {
            assert!(row.get(key).is_some(), "row without `{key}`: {row}");
        }
    }
    let alpha = row(&document, "alpha");
    assert_eq!(alpha["files_scanned"], 3);
    assert_eq!(alpha["error"], Value::Null);
    let rules: Vec<(&str, &str, &str)> = alpha["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["path"].as_str().unwrap(),
                finding["rule"].as_str().unwrap(),
                finding["applicability"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("docs/notes.md", "legacy-mention", "none"),
            ("main.go", "legacy-host", "unsafe"),
            ("pod.yaml", "legacy-host", "safe"),
        ]
    );
    assert_eq!(
        (&alpha["safe"], &alpha["unsafe"], &alpha["none"]),
        (&Value::from(1), &Value::from(1), &Value::from(1))
    );
    assert_eq!(alpha["fixable"], 1);
    assert_eq!(alpha["failing"], 2, "two errors fail, the info does not");
    let beta = row(&document, "beta");
    assert_eq!(beta["findings"], Value::Array(vec![]));
    let gamma = row(&document, "gamma");
    let error = gamma["error"].as_str().expect("gamma's row has an error");
    assert!(error.contains("regshift.toml"), "{error}");
    assert_eq!(gamma["findings"], Value::Array(vec![]));

    let summary = &document["summary"];
    assert_eq!(summary["repositories"], 3);
    assert_eq!(summary["files_scanned"], 4);
    assert_eq!(summary["findings"], 3);
    assert_eq!(summary["fixable"], 1);
    assert_eq!(summary["errors"], 1);
}

#[test]
fn jsonl_is_one_row_object_per_line() {
    let root = format_tree();
    let (document, _) = sweep_json(root.path(), &["."]);
    let output = run(root.path(), &["sweep", ".", "--format", "jsonl"]);
    assert_eq!(code(&output), 2);
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| parse_json(line.as_bytes()))
        .collect();
    assert_eq!(&lines, repos(&document));
}

/// A minimal CSV reader: quoted fields with doubled quotes.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "CSV ends with a newline"
    );
    records
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

#[test]
fn csv_has_a_header_and_a_quoted_row_per_repository() {
    let root = format_tree();
    // An error with a comma and quotes in it must survive quoting.
    write(
        &root.path().join("gamma/regshift.toml"),
        "bogus = \"a, \\\"b\\\"\"\n",
    );
    git(&root.path().join("gamma"), &["commit", "-qam", "bogus key"]);
    let output = run(root.path(), &["sweep", ".", "--format", "csv"]);
    assert_eq!(code(&output), 2);
    let records = csv_records(&stdout(&output));
    assert_eq!(records[0], COLUMNS);
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|record| record.len() == COLUMNS.len()));
    assert_eq!(
        records[1][..8],
        ["alpha", "3", "3", "1", "1", "1", "1", "0"]
    );
    assert_eq!(records[1][8], "");
    assert_eq!(records[2][..3], ["beta", "1", "0"]);
    assert_eq!(records[3][0], "gamma");
    assert!(
        records[3][8].starts_with("error: ") && records[3][8].contains("bogus"),
        "{:?}",
        records[3]
    );
}

#[test]
fn markdown_and_human_tables() {
    let root = format_tree();
    let output = run(root.path(), &["sweep", ".", "--format", "markdown"]);
    assert_eq!(code(&output), 2);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("| {} |", COLUMNS.join(" | ")));
    assert!(lines[1].starts_with("|---|"), "{text}");
    assert_eq!(
        lines[1].matches('|').count(),
        COLUMNS.len() + 1,
        "one separator cell per column: {text}"
    );
    assert_eq!(lines[2], "| alpha | 3 | 3 | 1 | 1 | 1 | 1 | 0 |  |");
    assert_eq!(lines[3], "| beta | 1 | 0 | 0 | 0 | 0 | 0 | 0 |  |");
    assert!(lines[4].starts_with("| gamma | 0 | 0 |") && lines[4].contains("error: "));
    assert_eq!(lines[5], "");
    assert_eq!(
        lines[6],
        "3 repositories, 4 files, 3 findings (1 fixable), 0 fixed, 1 with errors"
    );

    let output = run(root.path(), &["sweep", ".", "--color", "never"]);
    assert_eq!(code(&output), 2);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, COLUMNS);
    let alpha: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(alpha, ["alpha", "3", "3", "1", "1", "1", "1", "0"]);
    assert!(lines[3].starts_with("gamma") && lines[3].contains("error: "));
    assert_eq!(
        lines.last().unwrap(),
        &"3 repositories, 4 files, 3 findings (1 fixable), 0 fixed, 1 with errors"
    );
    // Piped: no progress bar, nothing on stderr.
    assert!(stderr_of(&output).is_empty(), "{}", stderr_of(&output));

    // --output writes the table to a file and nothing to stdout.
    let output = run(
        root.path(),
        &["sweep", ".", "--format", "csv", "--output", "table.csv"],
    );
    assert_eq!(code(&output), 2);
    assert!(stdout(&output).is_empty());
    let written = fs::read_to_string(root.path().join("table.csv")).unwrap();
    assert_eq!(csv_records(&written)[0], COLUMNS);
}

// ---------------------------------------------------------------------------------------------
// Broken repositories

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().unwrap();
    probe.as_file().metadata().unwrap().uid() == 0
}

#[test]
fn broken_repositories_are_reported_and_the_sweep_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).unwrap();
    init_repo(
        &root.join("a-bad-config"),
        &[
            ("pod.yaml", LEGACY_POD),
            ("regshift.toml", "[rules]\nignore = [\"legacy-hots\"]\n"),
        ],
    );
    init_repo(
        &root.join("b-unreadable"),
        &[("pod.yaml", LEGACY_POD), ("secret/pod.yaml", LEGACY_POD)],
    );
    init_repo(&root.join("c-fine"), &[("pod.yaml", LEGACY_POD)]);
    let secret = root.join("b-unreadable/secret/pod.yaml");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();

    // root reads any file: run regshift as `nobody` so the file is really unreadable.
    let binary = assert_cmd::cargo::cargo_bin!("regshift");
    let mut command = if is_root() {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        command.arg(binary);
        command
    } else {
        Command::new(binary)
    };
    let output = command
        .current_dir(root)
        .args(["sweep", ".", "--format", "json"])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(code(&output), 2, "{}", stderr_of(&output));
    let document = parse_json(&output.stdout);
    assert_eq!(paths(&document), ["a-bad-config", "b-unreadable", "c-fine"]);

    let bad = row(&document, "a-bad-config");
    let error = bad["error"].as_str().expect("an error in the row");
    assert!(
        error.contains("regshift.toml") && error.contains("legacy-hots"),
        "{error}"
    );

    let unreadable = row(&document, "b-unreadable");
    assert_eq!(unreadable["file_errors"], 1);
    assert_eq!(unreadable["files_scanned"], 1);
    assert_eq!(unreadable["findings"].as_array().unwrap().len(), 1);

    let fine = row(&document, "c-fine");
    assert_eq!(fine["error"], Value::Null);
    assert_eq!(fine["file_errors"], 0);
    assert_eq!(fine["findings"].as_array().unwrap().len(), 1);
    assert_eq!(document["summary"]["errors"], 2);
}

// ---------------------------------------------------------------------------------------------
// Shards

#[test]
fn shards_cover_every_repository_exactly_once_and_stay_put() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let names: Vec<String> = (0..14)
        .map(|index| format!("team-{}/svc-{index:02}", index % 3))
        .collect();
    for (index, name) in names.iter().enumerate() {
        let pod = if index % 2 == 0 {
            LEGACY_POD
        } else {
            CLEAN_POD
        };
        init_repo(&root.join(name), &[("pod.yaml", pod)]);
    }
    let (whole, _) = sweep_json(root, &["."]);
    let all: BTreeSet<String> = paths(&whole).into_iter().collect();
    assert_eq!(all.len(), names.len());

    let shard_sets = |root: &Path| -> Vec<BTreeSet<String>> {
        let (whole, _) = sweep_json(root, &["."]);
        (1..=3)
            .map(|k| {
                let (document, _) = sweep_json(root, &[".", "--shard", &format!("{k}/3")]);
                // A row in a shard is the row of the whole sweep.
                for shard_row in repos(&document) {
                    let path = shard_row["path"].as_str().unwrap();
                    assert_eq!(shard_row, row(&whole, path));
                }
                paths(&document).into_iter().collect()
            })
            .collect()
    };
    let shards = shard_sets(root);
    let mut seen = BTreeMap::new();
    for (k, shard) in shards.iter().enumerate() {
        for path in shard {
            assert!(
                seen.insert(path.clone(), k).is_none(),
                "{path} is in two shards"
            );
        }
    }
    assert_eq!(seen.keys().cloned().collect::<BTreeSet<_>>(), all);
    assert!(
        shards.iter().filter(|shard| !shard.is_empty()).count() >= 2,
        "14 repositories spread over more than one shard: {shards:?}"
    );

    // Adding a repository moves no other repository to another shard.
    init_repo(&root.join("team-9/svc-new"), &[("pod.yaml", LEGACY_POD)]);
    let grown = shard_sets(root);
    let mut grown_seen = BTreeMap::new();
    for (k, shard) in grown.iter().enumerate() {
        for path in shard {
            assert!(grown_seen.insert(path.clone(), k).is_none());
        }
    }
    assert_eq!(grown_seen.len(), names.len() + 1);
    for (path, k) in &seen {
        assert_eq!(grown_seen.get(path), Some(k), "{path} moved shard");
    }

    // --shard 1/1 is the whole sweep.
    let (one, _) = sweep_json(root, &[".", "--shard", "1/1"]);
    assert_eq!(paths(&one).len(), names.len() + 1);

    for bad in ["0/3", "4/3", "1/0", "x/3", "3", "1/3/3"] {
        let output = run(root, &["sweep", ".", "--shard", bad]);
        assert_eq!(code(&output), 2, "--shard {bad}");
        assert!(stdout(&output).is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// Equality with `check`

#[test]
fn each_row_equals_check_inside_the_repository() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(
        &root.join("plain"),
        &[
            ("deploy/pod.yaml", LEGACY_POD),
            ("Dockerfile", "FROM k8s.gcr.io/pause:3.9\n"),
            (
                "README.md",
                "# App\n\nPull `k8s.gcr.io/pause:3.9`; k8s.gcr.io is frozen.\n",
            ),
            (
                "cmd/main.go",
                "package main\n\nconst image = \"k8s.gcr.io/pause:3.9\"\n",
            ),
            ("CHANGELOG.md", "- moved off k8s.gcr.io/pause:3.9\n"),
            ("vendor/lib/pod.yaml", LEGACY_POD),
            (".gitignore", "generated/\n"),
            (
                "etc/containerd/config.toml",
                "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"k8s.gcr.io\"]\n  endpoint = [\"https://registry.k8s.io\"]\n",
            ),
        ],
    );
    // Ignored by git: in neither report.
    write(&root.join("plain/generated/pod.yaml"), LEGACY_POD);
    init_repo(
        &root.join("configured"),
        &[
            ("deploy/pod.yaml", LEGACY_POD),
            (
                "deploy/app.yaml",
                "image: registry.old.example.com/team/app:1.2\nother: quay.io/oldorg/tool:v1\n",
            ),
            ("docs/notes.md", "Images moved from k8s.gcr.io.\n"),
            (
                "regshift.toml",
                "fail-on = \"error\"\nextend-exclude = [\"skipped/\"]\n\n[rules.per-path-ignore]\n\"docs/**\" = [\"legacy-mention\"]\n\n[[move]]\nfrom = \"registry.old.example.com\"\nto = \"registry.example.com\"\n\n[[move]]\nfrom = \"quay.io/oldorg\"\nto = \"quay.io/neworg\"\napplicability = \"unsafe\"\n",
            ),
            ("skipped/pod.yaml", LEGACY_POD),
        ],
    );
    init_repo(
        &root.join("nested/kustomize"),
        &[
            (
                "base/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: k8s.gcr.io/pause:3.9\n",
            ),
            (
                "base/kustomization.yaml",
                "resources:\n  - deployment.yaml\n",
            ),
            (
                "overlay/kustomization.yaml",
                "resources:\n  - ../base\n  - https://github.com/example/remote//base?ref=v1\nimages:\n  - name: k8s.gcr.io/pause\n    newTag: \"3.9\"\n  - name: k8s.gcr.io/ingress-nginx/controller\n    newTag: v1.2.1\n",
            ),
        ],
    );
    init_repo(&root.join("empty"), &[]);

    for extra in [
        &[][..],
        &["--exclude", "docs/**"][..],
        &["--no-config"][..],
        &["--unsafe-fixes"][..],
        &["--fail-on", "info"][..],
    ] {
        let mut sweep_args = vec!["."];
        sweep_args.extend_from_slice(extra);
        let (document, _) = sweep_json(root, &sweep_args);
        assert_eq!(
            paths(&document),
            ["configured", "empty", "nested/kustomize", "plain"]
        );
        for sweep_row in repos(&document) {
            let path = sweep_row["path"].as_str().unwrap();
            let mut check_args = vec!["check", "--format", "json"];
            check_args.extend_from_slice(extra);
            let output = run(&root.join(path), &check_args);
            let check = parse_json(&output.stdout);
            assert_eq!(
                sweep_row["findings"], check["findings"],
                "{path} with {extra:?}: sweep row and check differ"
            );
            assert_eq!(
                sweep_row["files_scanned"], check["summary"]["files_scanned"],
                "{path} with {extra:?}"
            );
            assert_eq!(
                sweep_row["fixable"], check["summary"]["fixable"],
                "{path} with {extra:?}"
            );
        }
    }
    // A sanity check that the trees produce what they were built for.
    let (document, _) = sweep_json(root, &["."]);
    let plain = row(&document, "plain");
    let files: BTreeSet<&str> = plain["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["path"].as_str().unwrap())
        .collect();
    assert!(files.contains("deploy/pod.yaml") && files.contains("cmd/main.go"));
    assert!(!files.iter().any(|path| path.starts_with("generated/")
        || path.starts_with("vendor/")
        || path.starts_with("CHANGELOG")));
    let configured = row(&document, "configured");
    let rules: BTreeSet<&str> = configured["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains("registry-move"), "{rules:?}");
    assert!(!rules.contains("legacy-mention"), "{rules:?}");
}

// ---------------------------------------------------------------------------------------------
// --fix and --commit

#[test]
fn fix_fixes_each_repository_without_committing() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(
        &root.join("one"),
        &[
            ("pod.yaml", LEGACY_POD),
            ("Dockerfile", "FROM k8s.gcr.io/pause:3.9\n"),
            (
                "main.go",
                "package main\n\nconst image = \"k8s.gcr.io/pause:3.9\"\n",
            ),
        ],
    );
    init_repo(&root.join("two"), &[("pod.yaml", LEGACY_POD)]);
    init_repo(&root.join("three"), &[("pod.yaml", CLEAN_POD)]);
    let heads: Vec<String> = ["one", "two", "three"]
        .iter()
        .map(|name| git(&root.join(name), &["rev-parse", "HEAD"]))
        .collect();

    let (document, exit) = sweep_json(root, &[".", "--fix"]);
    assert_eq!(exit, 1, "the unsafe Go finding remains and fails");
    let one = row(&document, "one");
    assert_eq!(one["fixed"], 2);
    assert_eq!(one["safe"], 0);
    assert_eq!(one["unsafe"], 1);
    assert_eq!(one["branch"], Value::Null);
    assert_eq!(row(&document, "two")["fixed"], 1);
    assert_eq!(row(&document, "three")["fixed"], 0);
    assert_eq!(document["summary"]["fixed"], 3);
    assert_eq!(
        fs::read_to_string(root.join("one/pod.yaml")).unwrap(),
        CLEAN_POD
    );
    assert_eq!(
        fs::read_to_string(root.join("one/Dockerfile")).unwrap(),
        "FROM registry.k8s.io/pause:3.9\n"
    );
    assert!(
        fs::read_to_string(root.join("one/main.go"))
            .unwrap()
            .contains("k8s.gcr.io")
    );
    for (name, head) in ["one", "two", "three"].iter().zip(&heads) {
        let repo = root.join(name);
        assert_eq!(
            &git(&repo, &["rev-parse", "HEAD"]),
            head,
            "{name}: no commit"
        );
        assert_eq!(branches(&repo), ["main"], "{name}: no branch");
    }
    assert_eq!(
        git(&root.join("one"), &["diff", "--name-only"]),
        "Dockerfile\npod.yaml",
        "fixed in the work tree"
    );

    // A second sweep --fix changes nothing.
    let (document, exit) = sweep_json(root, &[".", "--fix"]);
    assert_eq!(exit, 1);
    assert_eq!(document["summary"]["fixed"], 0);

    // --unsafe-fixes fixes the Go source too; then nothing fails.
    let (document, exit) = sweep_json(root, &[".", "--fix", "--unsafe-fixes"]);
    assert_eq!(exit, 0);
    assert_eq!(row(&document, "one")["fixed"], 1);
}

/// Hooks that would leave a marker file (outside the repository, so the tree stays clean).
#[test]
fn a_file_that_cannot_be_written_is_not_fixed_and_not_counted_as_unscanned() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(&root.join("one"), &[("pod.yaml", LEGACY_POD)]);
    let pod = root.join("one/pod.yaml");
    fs::set_permissions(&pod, fs::Permissions::from_mode(0o444)).unwrap();

    let (document, exit) = sweep_json(root, &[".", "--fix"]);
    assert_eq!(exit, 2, "a file left unfixed is an error");
    let one = row(&document, "one");
    assert_eq!(one["fix_errors"], 1);
    assert_eq!(one["file_errors"], 0, "the file was scanned");
    assert_eq!(one["files_scanned"], 1);
    assert_eq!(fs::read_to_string(&pod).unwrap(), LEGACY_POD);

    let output = run(root, &["sweep", ".", "--fix"]);
    assert!(
        stdout(&output).contains("1 file not fixed"),
        "{}",
        stdout(&output)
    );
    assert!(
        !stdout(&output).contains("not scanned"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn an_output_that_cannot_be_created_stops_the_sweep_before_any_fix() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(&root.join("one"), &[("pod.yaml", LEGACY_POD)]);
    let output = run(
        root,
        &["sweep", ".", "--fix", "--output", "missing/table.txt"],
    );
    assert_eq!(code(&output), 2);
    let stderr = stderr_of(&output);
    assert!(stderr.contains("--output missing/table.txt"), "{stderr}");
    assert_eq!(
        fs::read_to_string(root.join("one/pod.yaml")).unwrap(),
        LEGACY_POD,
        "nothing was fixed"
    );
}

fn install_hooks(repo: &Path, markers: &Path) {
    let hooks = repo.join(".git/hooks");
    for hook in [
        "pre-commit",
        "prepare-commit-msg",
        "commit-msg",
        "post-commit",
        "post-checkout",
        "reference-transaction",
        "pre-push",
    ] {
        let name = format!("{}-{hook}", repo.file_name().unwrap().to_string_lossy());
        marker_script(&hooks.join(hook), markers, &name);
    }
}

#[test]
fn fix_commit_makes_one_commit_per_changed_repository_and_nothing_else() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let markers = root.join("markers");
    fs::create_dir_all(&markers).unwrap();
    let repos_dir = root.join("repos");

    let changed = repos_dir.join("changed");
    init_repo(
        &changed,
        &[
            ("deploy/pod.yaml", LEGACY_POD),
            ("Dockerfile", "FROM k8s.gcr.io/pause:3.9\n"),
            ("docs/notes.md", "The old registry is k8s.gcr.io.\n"),
            ("README.md", "# untouched\n"),
        ],
    );
    let hooked = repos_dir.join("hooked");
    init_repo(&hooked, &[("pod.yaml", LEGACY_POD)]);
    install_hooks(&hooked, &markers);
    // A hooks path in the repository's own configuration is ignored as well.
    let hooks_path = repos_dir.join("hooks-path");
    init_repo(&hooks_path, &[("pod.yaml", LEGACY_POD)]);
    install_hooks(&hooks_path, &markers);
    git(&hooks_path, &["config", "core.hooksPath", ".git/hooks"]);
    let unchanged = repos_dir.join("unchanged");
    init_repo(&unchanged, &[("pod.yaml", CLEAN_POD)]);
    install_hooks(&unchanged, &markers);
    let mention_only = repos_dir.join("mention-only");
    init_repo(
        &mention_only,
        &[("README.md", "We used to pull from k8s.gcr.io.\n")],
    );
    let dirty = repos_dir.join("dirty");
    init_repo(
        &dirty,
        &[("pod.yaml", LEGACY_POD), ("other.yaml", "a: 1\n")],
    );
    write(&dirty.join("other.yaml"), "a: 2\n");
    let untracked = repos_dir.join("untracked");
    init_repo(&untracked, &[("pod.yaml", LEGACY_POD)]);
    write(&untracked.join("new.yaml"), LEGACY_POD);

    let all = [
        &changed,
        &hooked,
        &hooks_path,
        &unchanged,
        &mention_only,
        &dirty,
        &untracked,
    ];
    let mut remotes = Vec::new();
    let mut before = Vec::new();
    for repo in all {
        let bare = add_remote(root, repo);
        remotes.push((refs(&bare), bare));
        before.push((
            git(repo, &["rev-parse", "HEAD"]),
            snapshot(repo),
            git(repo, &["status", "--porcelain"]),
        ));
    }

    // The setup's own pushes ran some hooks; only the sweep counts.
    fs::remove_dir_all(&markers).unwrap();
    fs::create_dir_all(&markers).unwrap();

    let (document, exit) = sweep_json(&repos_dir, &[".", "--fix", "--commit"]);
    assert_eq!(exit, 2, "the dirty repositories are errors: {document:#}");
    assert_eq!(
        paths(&document),
        [
            "changed",
            "dirty",
            "hooked",
            "hooks-path",
            "mention-only",
            "unchanged",
            "untracked"
        ]
    );

    for (repo, (head, files, status)) in all.iter().zip(&before) {
        let name = repo.file_name().unwrap().to_string_lossy().into_owned();
        let sweep_row = row(&document, &name);
        match name.as_str() {
            "changed" | "hooked" | "hooks-path" => {
                assert_eq!(sweep_row["branch"], BRANCH, "{name}: {sweep_row}");
                assert_eq!(sweep_row["commit"], "created", "{name}: {sweep_row}");
                assert_eq!(sweep_row["error"], Value::Null, "{name}");
                assert_eq!(branches(repo), ["main", BRANCH], "{name}");
                // The commit is made beside the working tree: nothing there changes.
                assert_eq!(git(repo, &["branch", "--show-current"]), "main");
                assert_eq!(&snapshot(repo), files, "{name}: working tree untouched");
                assert_eq!(
                    &git(repo, &["rev-parse", "main"]),
                    head,
                    "{name}: main moved"
                );
                assert_eq!(
                    git(repo, &["rev-list", "--count", &format!("main..{BRANCH}")]),
                    "1",
                    "{name}: exactly one commit"
                );
                assert_eq!(git(repo, &["rev-parse", &format!("{BRANCH}^")]), *head);
                assert_eq!(git(repo, &["status", "--porcelain"]), "", "{name}: clean");
                let message = git(repo, &["log", "-1", "--format=%B", BRANCH]);
                assert_eq!(message.lines().next(), Some(SUBJECT), "{message}");
                assert_eq!(
                    git(repo, &["log", "-1", "--format=%an <%ae>", BRANCH]),
                    "regshift test <test@example.com>"
                );
            }
            "unchanged" | "mention-only" => {
                assert_eq!(sweep_row["branch"], Value::Null, "{name}");
                assert_eq!(sweep_row["commit"], Value::Null, "{name}");
                assert_eq!(sweep_row["error"], Value::Null, "{name}");
                assert_eq!(sweep_row["fixed"], 0, "{name}");
                assert_eq!(branches(repo), ["main"], "{name}: no branch");
                assert_eq!(
                    &git(repo, &["rev-parse", "HEAD"]),
                    head,
                    "{name}: no commit"
                );
                assert_eq!(&snapshot(repo), files, "{name}: untouched");
            }
            "dirty" | "untracked" => {
                let error = sweep_row["error"].as_str().expect("a refused repository");
                assert!(error.contains("uncommitted changes"), "{name}: {error}");
                assert_eq!(sweep_row["fixed"], 0, "{name}");
                assert_eq!(branches(repo), ["main"], "{name}: no branch");
                assert_eq!(
                    &git(repo, &["rev-parse", "HEAD"]),
                    head,
                    "{name}: no commit"
                );
                assert_eq!(&snapshot(repo), files, "{name}: not one byte changed");
                assert_eq!(&git(repo, &["status", "--porcelain"]), status, "{name}");
            }
            other => unreachable!("{other}"),
        }
    }
    // The commit holds exactly the fixed files.
    let touched = git(
        &changed,
        &["diff", "--name-only", &format!("main..{BRANCH}")],
    );
    assert_eq!(touched, "Dockerfile\ndeploy/pod.yaml");
    assert_eq!(row(&document, "changed")["fixed"], 2);
    assert!(
        git(&changed, &["log", "-1", "--format=%B", BRANCH])
            .contains("Rewritten: 2 references in 2 files."),
        "{}",
        git(&changed, &["log", "-1", "--format=%B", BRANCH])
    );

    // Nothing was pushed.
    for (refs_before, bare) in &remotes {
        assert_eq!(
            &refs(bare),
            refs_before,
            "{} received something",
            bare.display()
        );
    }
    // No hook ran.
    let ran: Vec<String> = fs::read_dir(&markers)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(ran.is_empty(), "hooks ran: {ran:?}");
    assert_eq!(document["summary"]["fixed"], 4);

    // A second run makes no further commit anywhere: the branches are up to date.
    let counts: Vec<String> = all
        .iter()
        .map(|repo| {
            format!(
                "{}{}",
                git(repo, &["rev-list", "--all", "--count"]),
                refs(repo)
            )
        })
        .collect();
    let (document, _) = sweep_json(&repos_dir, &[".", "--fix", "--commit"]);
    for name in ["changed", "hooked", "hooks-path"] {
        let again = row(&document, name);
        assert_eq!(again["commit"], "up-to-date", "{name}: {again}");
        assert_eq!(again["branch"], BRANCH, "{name}");
        assert_eq!(again["error"], Value::Null, "{name}");
    }
    for (repo, count) in all.iter().zip(&counts) {
        assert_eq!(
            &format!(
                "{}{}",
                git(repo, &["rev-list", "--all", "--count"]),
                refs(repo)
            ),
            count,
            "{}",
            repo.display()
        );
    }
}

#[test]
fn branch_names_the_branch() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    init_repo(&repo, &[("pod.yaml", LEGACY_POD)]);
    let (document, exit) = sweep_json(
        root.path(),
        &[".", "--fix", "--commit", "--branch", "chore/registry-move"],
    );
    assert_eq!(exit, 0, "{document:#}");
    assert_eq!(row(&document, "repo")["branch"], "chore/registry-move");
    assert_eq!(branches(&repo), ["chore/registry-move", "main"]);
    assert_eq!(
        git(&repo, &["rev-list", "--count", "main..chore/registry-move"]),
        "1"
    );
    let output = run(
        root.path(),
        &[
            "sweep",
            ".",
            "--fix",
            "--commit",
            "--branch",
            "chore/registry-move",
            "--format",
            "csv",
        ],
    );
    // The branch already holds the fix: no further branch.
    assert_eq!(code(&output), 0, "{}", stderr_of(&output));
    assert!(
        stdout(&output).contains("up to date on chore/registry-move"),
        "{}",
        stdout(&output)
    );
    assert_eq!(branches(&repo), ["chore/registry-move", "main"]);
}

#[test]
fn commit_needs_fix() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repo");
    init_repo(&repo, &[("pod.yaml", LEGACY_POD)]);
    let files = snapshot(&repo);
    let output = run(root.path(), &["sweep", ".", "--commit"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr_of(&output).contains("--fix"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(snapshot(&repo), files);
    assert_eq!(branches(&repo), ["main"]);
}

/// When the commit cannot be made, the repository is left as it was: no branch, the same
/// files, index and checked-out branch.
#[test]
fn a_commit_that_cannot_be_made_leaves_the_repository_as_it_was() {
    let root = tempfile::tempdir().unwrap();
    // A branch `regshift` leaves no room for `regshift/registry-k8s-io`.
    let blocked = root.path().join("blocked");
    init_repo(&blocked, &[("pod.yaml", LEGACY_POD)]);
    git(&blocked, &["branch", "regshift"]);
    let before = state(&blocked);
    let bad_name = root.path().join("bad-name");
    init_repo(&bad_name, &[("pod.yaml", LEGACY_POD)]);

    let (document, exit) = sweep_json(root.path(), &["blocked", "--fix", "--commit"]);
    assert_eq!(exit, 2);
    let error = row(&document, "blocked")["error"]
        .as_str()
        .expect("an error in the row");
    assert!(error.contains("update-ref"), "{error}");
    assert!(!error.contains("hint:"), "{error}");
    assert_eq!(state(&blocked), before);
    assert_eq!(branches(&blocked), ["main", "regshift"]);

    let output = run(
        root.path(),
        &[
            "sweep",
            "bad-name",
            "--fix",
            "--commit",
            "--branch",
            "bad..name",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&output), 2);
    let text = format!("{}{}", stdout(&output), stderr_of(&output));
    assert!(
        !text.contains("hint:"),
        "the error names the problem: {text}"
    );
    assert_eq!(git(&bad_name, &["status", "--porcelain"]), "");
    assert_eq!(branches(&bad_name), ["main"]);
}

/// `--commit` runs no program named by the repository's configuration: hooks are off, and so
/// must be filter drivers and signing programs.
#[test]
fn commit_runs_no_program_from_the_repository_configuration() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let markers = root.join("markers");
    fs::create_dir_all(&markers).unwrap();
    let script = |name: &str, body: &str| -> PathBuf {
        let path = root.join(name);
        fs::write(
            &path,
            format!(
                "#!/bin/sh\ntouch '{}'\n{body}\n",
                markers.join(name).display()
            ),
        )
        .unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    };
    let filter = script("filter", "cat");
    let repo = root.join("repos/filtered");
    init_repo(
        &repo,
        &[
            ("pod.yaml", LEGACY_POD),
            (".gitattributes", "*.yaml filter=x\n"),
        ],
    );
    git(
        &repo,
        &["config", "filter.x.clean", filter.to_str().unwrap()],
    );
    let signer = script("gpg", "cat > /dev/null\nexit 1");
    let signed = root.join("repos/signed");
    init_repo(&signed, &[("pod.yaml", LEGACY_POD)]);
    git(&signed, &["config", "commit.gpgsign", "true"]);
    git(
        &signed,
        &["config", "gpg.program", signer.to_str().unwrap()],
    );

    let _ = sweep_json(&root.join("repos"), &[".", "--fix", "--commit"]);
    let ran: Vec<String> = fs::read_dir(&markers)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(ran.is_empty(), "programs from .git/config ran: {ran:?}");
}

// ---------------------------------------------------------------------------------------------
// Exit codes

#[test]
fn exit_codes() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(&root.join("clean/a"), &[("pod.yaml", CLEAN_POD)]);
    init_repo(
        &root.join("mentions/a"),
        &[("README.md", "We used to pull from k8s.gcr.io.\n")],
    );
    init_repo(
        &root.join("staging/a"),
        &[("Makefile", "REGISTRY ?= staging-k8s.gcr.io\n")],
    );
    init_repo(&root.join("legacy/a"), &[("pod.yaml", LEGACY_POD)]);
    init_repo(
        &root.join("broken/a"),
        &[("pod.yaml", CLEAN_POD), ("regshift.toml", "nonsense = 1\n")],
    );
    fs::create_dir_all(root.join("none/plain")).unwrap();

    let exit = |args: &[&str]| -> i32 {
        let mut all = vec!["sweep"];
        all.extend_from_slice(args);
        code(&run(root, &all))
    };
    assert_eq!(exit(&["clean"]), 0);
    assert_eq!(exit(&["none"]), 0, "no repository: nothing to report");
    assert_eq!(exit(&["mentions"]), 0, "info does not fail by default");
    assert_eq!(exit(&["mentions", "--fail-on", "info"]), 1);
    assert_eq!(exit(&["staging"]), 1, "a warning fails by default");
    assert_eq!(exit(&["staging", "--fail-on", "error"]), 0);
    assert_eq!(exit(&["legacy"]), 1);
    assert_eq!(exit(&["clean", "legacy"]), 1);
    assert_eq!(exit(&["broken"]), 2);
    assert_eq!(exit(&["legacy", "broken"]), 2, "an error wins");
    assert_eq!(exit(&["missing"]), 2);
    assert_eq!(exit(&["clean", "--format", "yaml"]), 2);
    assert_eq!(exit(&["legacy", "--fix"]), 0, "everything fixed");
    assert_eq!(exit(&["legacy"]), 0);
}

// ---------------------------------------------------------------------------------------------
// Merging shards

/// Ten repositories of every kind (findings of each fix class, clean, a broken configuration,
/// names that need quoting in CSV and escaping in Markdown), for three shards.
fn shard_tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let at = |name: &str| root.path().join(name);
    init_repo(&at("apps/web"), &[("pod.yaml", LEGACY_POD)]);
    init_repo(&at("apps/api"), &[("pod.yaml", CLEAN_POD)]);
    init_repo(
        &at("apps/tool"),
        &[(
            "main.go",
            "package main\n\nconst image = \"k8s.gcr.io/pause:3.9\"\n",
        )],
    );
    init_repo(
        &at("docs"),
        &[("README.md", "Images used to come from k8s.gcr.io.\n")],
    );
    init_repo(
        &at("infra/staging"),
        &[("Makefile", "REGISTRY ?= staging-k8s.gcr.io\n")],
    );
    init_repo(
        &at("infra/broken"),
        &[
            ("pod.yaml", LEGACY_POD),
            ("regshift.toml", "nonsense = 1\n"),
        ],
    );
    init_repo(&at("odd, \"name\" | here"), &[("pod.yaml", LEGACY_POD)]);
    for name in ["lib-a", "lib-b", "lib-c"] {
        init_repo(
            &at(name),
            &[("pod.yaml", LEGACY_POD), ("ok.yaml", CLEAN_POD)],
        );
    }
    root
}

/// `regshift sweep --merge FILES ARGS` in `dir`.
fn merge(dir: &Path, files: &[&str], args: &[&str]) -> Output {
    let mut all = vec!["sweep", "--merge"];
    all.extend_from_slice(files);
    all.extend_from_slice(args);
    run(dir, &all)
}

#[test]
fn merged_shards_equal_the_unsharded_sweep_in_every_format() {
    let root = shard_tree();
    let root = root.path();
    let mut sizes = Vec::new();
    for k in 1..=3 {
        let file = format!("shard-{k}.json");
        let shard = format!("{k}/3");
        let output = run(
            root,
            &[
                "sweep", ".", "--shard", &shard, "--format", "json", "-o", &file,
            ],
        );
        assert!(stdout(&output).is_empty());
        sizes.push(repos(&parse_json(&fs::read(root.join(&file)).unwrap())).len());
    }
    assert_eq!(sizes.iter().sum::<usize>(), 10, "{sizes:?}");
    assert!(
        sizes.iter().filter(|&&size| size > 0).count() >= 2,
        "ten repositories spread over more than one shard: {sizes:?}"
    );

    // Given in any order.
    let shards = ["shard-3.json", "shard-1.json", "shard-2.json"];
    for format in ["json", "markdown", "human", "csv", "jsonl"] {
        let whole = run(root, &["sweep", ".", "--format", format]);
        let merged = merge(root, &shards, &["--format", format]);
        assert_eq!(code(&whole), 2, "infra/broken is broken");
        assert_eq!(code(&merged), code(&whole), "--format {format}");
        assert_eq!(stdout(&merged), stdout(&whole), "--format {format}");
        assert!(stderr_of(&merged).is_empty(), "{}", stderr_of(&merged));
    }

    // --output, even over one of the files being merged.
    let whole = run(root, &["sweep", ".", "--format", "json"]);
    let output = merge(
        root,
        &shards,
        &["--format", "json", "--output", "shard-1.json"],
    );
    assert_eq!(code(&output), 2);
    assert!(stdout(&output).is_empty());
    assert_eq!(fs::read(root.join("shard-1.json")).unwrap(), whole.stdout);
}

#[test]
fn merged_rows_keep_every_field_as_written() {
    let root = shard_tree();
    let root = root.path();
    run(
        root,
        &["sweep", "lib-a", "--format", "json", "-o", "a.json"],
    );
    run(
        root,
        &["sweep", "lib-b", "--format", "json", "-o", "b.json"],
    );
    // A field this build does not know (a newer regshift's), and a document reformatted by
    // hand: the row reaches the merged document as it was, on one line.
    let text = fs::read_to_string(root.join("b.json")).unwrap();
    let edited = text
        .replace(
            "\"commit_reason\":null}",
            "\"commit_reason\" : null,\n  \"zz_new\": {\"sha\": \"a b\"}}",
        )
        .replace("{\"path\":", "\n  {\"path\":");
    assert_ne!(edited, text);
    write(&root.join("b.json"), &edited);
    let output = merge(root, &["b.json", "a.json"], &["--format", "json"]);
    assert_eq!(code(&output), 1, "legacy images fail by default");
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("\"commit_reason\":null,\"zz_new\":{\"sha\":\"a b\"}}]"),
        "{text}"
    );
    let document = parse_json(text.as_bytes());
    assert_eq!(paths(&document), ["lib-a", "lib-b"]);
    assert_eq!(document["summary"]["repositories"], 2);
    assert_eq!(document["summary"]["findings"], 2);
    let jsonl = merge(root, &["b.json", "a.json"], &["--format", "jsonl"]);
    assert_eq!(stdout(&jsonl).lines().count(), 2);
}

#[test]
fn merged_commit_statuses_read_as_the_sweep_wrote_them() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(&root.join("repo-a"), &[("pod.yaml", LEGACY_POD)]);
    init_repo(&root.join("repo-b"), &[("pod.yaml", LEGACY_POD)]);
    // The first run commits; the second finds each branch up to date.
    run(root, &["sweep", ".", "--fix", "--commit"]);
    for format in ["json", "markdown", "human", "csv"] {
        let swept = run(
            root,
            &["sweep", ".", "--fix", "--commit", "--format", format],
        );
        let file = format!("shard-{format}.json");
        run(
            root,
            &[
                "sweep", ".", "--fix", "--commit", "--format", "json", "-o", &file,
            ],
        );
        let merged = merge(root, &[&file], &["--format", format]);
        assert_eq!(stdout(&merged), stdout(&swept), "{format}");
        assert_eq!(code(&merged), code(&swept), "{format}");
        if format == "markdown" {
            assert!(
                stdout(&merged).contains(&format!("up to date on {BRANCH}")),
                "{}",
                stdout(&merged)
            );
        }
    }
}

#[test]
fn merge_exit_codes_follow_the_rows() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    init_repo(&root.join("clean/a"), &[("pod.yaml", CLEAN_POD)]);
    init_repo(
        &root.join("mentions/a"),
        &[("README.md", "We used to pull from k8s.gcr.io.\n")],
    );
    init_repo(
        &root.join("broken/a"),
        &[("pod.yaml", CLEAN_POD), ("regshift.toml", "nonsense = 1\n")],
    );
    let sweep = |args: &[&str], file: &str| {
        let mut all = vec!["sweep"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--format", "json", "--output", file]);
        run(root, &all);
    };
    sweep(&["clean"], "clean.json");
    sweep(&["mentions"], "mentions.json");
    sweep(&["mentions", "--fail-on", "info"], "mentions-info.json");
    sweep(&["broken"], "broken.json");
    let exit = |files: &[&str]| code(&merge(root, files, &["--format", "csv"]));
    assert_eq!(exit(&["clean.json", "mentions.json"]), 0, "info passes");
    assert_eq!(
        exit(&["clean.json", "mentions-info.json"]),
        1,
        "each row's failing count is the shard's --fail-on"
    );
    assert_eq!(exit(&["mentions-info.json", "broken.json"]), 2);

    let output = merge(root, &["clean.json"], &["--fail-on", "info"]);
    assert_eq!(code(&output), 2, "--fail-on belongs to the shards");
}

#[test]
fn merge_refuses_what_is_not_one_sweep() {
    let root = shard_tree();
    let root = root.path();
    run(root, &["sweep", ".", "--format", "json", "-o", "all.json"]);
    run(
        root,
        &["sweep", "docs", "--format", "json", "-o", "docs.json"],
    );
    let check = run(root, &["check", "docs", "--format", "json"]);
    write(&root.join("check.json"), &stdout(&check));
    write(&root.join("bad.json"), "{\"version\":1,\"repos\":[");
    write(&root.join("array.json"), "[1, [], {}]");
    let all = fs::read_to_string(root.join("all.json")).unwrap();
    write(
        &root.join("v2.json"),
        &all.replacen("{\"version\":1,", "{\"version\":2,", 1),
    );
    write(
        &root.join("no-failing.json"),
        &all.replace("\"failing\":", "\"was_failing\":"),
    );

    let refused = |files: &[&str], needles: &[&str]| {
        let output = merge(root, files, &["--format", "markdown", "--output", "out.md"]);
        let stderr = stderr_of(&output);
        assert_eq!(code(&output), 2, "{files:?}: {stderr}");
        assert!(stdout(&output).is_empty());
        for needle in needles {
            assert!(stderr.contains(needle), "{files:?}: `{needle}` in {stderr}");
        }
        assert!(!root.join("out.md").exists(), "no report for {files:?}");
    };
    refused(&["docs.json", "missing.json"], &["missing.json"]);
    refused(&["bad.json"], &["bad.json", "not a document of"]);
    refused(&["check.json"], &["check.json", "not a document of"]);
    refused(&["array.json"], &["array.json", "not a JSON object"]);
    refused(&["v2.json"], &["v2.json", "version 2"]);
    refused(&["no-failing.json"], &["no-failing.json", "failing"]);
    refused(
        &["all.json", "docs.json"],
        &["`docs`", "all.json", "docs.json"],
    );

    for args in [
        &["sweep", ".", "--merge", "all.json"][..],
        &["sweep", "--merge", "all.json", "--repos-from", "list.txt"],
        &["sweep", "--merge", "all.json", "--shard", "1/2"],
        &["sweep", "--merge", "all.json", "--fix"],
        &["sweep", "--merge", "all.json", "--fix", "--commit"],
        &["sweep", "--merge"],
    ] {
        let output = run(root, args);
        assert_eq!(code(&output), 2, "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Killed sweeps and reruns
// See: issue 19, "Sweeps that survive: atomic commits, resumable after a crash, idempotent
// reruns".

const ABORT: &str = "REGSHIFT_TEST_ABORT_AT";

const BASE_DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: k8s.gcr.io/pause:3.9
";

/// Files that exercise the commit: a path with spaces, a leading dash and a line break, CRLF
/// line endings, an executable, a kustomization whose base is in the tree.
fn varied_files(name: &str) -> Vec<(String, String)> {
    vec![
        ("pod.yaml".into(), LEGACY_POD.into()),
        (
            format!("odd dir/-{name} file.yaml"),
            LEGACY_POD.replace("web", name),
        ),
        (
            "line\nbreak.yaml".into(),
            "image: k8s.gcr.io/coredns:1.8.6\n".into(),
        ),
        ("crlf.yaml".into(), LEGACY_POD.replace('\n', "\r\n")),
        (
            "run.sh".into(),
            "#!/bin/sh\ndocker pull k8s.gcr.io/pause:3.9\n".into(),
        ),
        ("base/deployment.yaml".into(), BASE_DEPLOYMENT.into()),
        (
            "base/kustomization.yaml".into(),
            "resources:\n  - deployment.yaml\n".into(),
        ),
        (
            "overlay/kustomization.yaml".into(),
            "resources:\n  - ../base\nimages:\n  - name: k8s.gcr.io/pause\n    newTag: \"3.10\"\n"
                .into(),
        ),
    ]
}

fn init_varied_repo(path: &Path, name: &str) {
    use std::os::unix::fs::PermissionsExt;
    let files = varied_files(name);
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), text.as_str()))
        .collect();
    init_repo(path, &files);
    fs::set_permissions(path.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    git(path, &["add", "run.sh"]);
    git(path, &["commit", "-q", "-m", "executable"]);
}

/// The tree `regshift fix` gives the repository: fixed in a clone, added, written.
fn fixed_tree(root: &Path, repo: &Path) -> String {
    let name = repo.file_name().unwrap().to_string_lossy().into_owned();
    let clone = root.join("expected").join(&name);
    fs::create_dir_all(clone.parent().unwrap()).unwrap();
    git(
        root,
        &[
            "clone",
            "-q",
            repo.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    let output = run(&clone, &["fix", "."]);
    assert!(code(&output) < 2, "{}", stderr_of(&output));
    git(&clone, &["add", "-A"]);
    git(&clone, &["write-tree"])
}

/// A sweep that the test hook kills at `point`: it must die by the signal, not finish.
fn killed_sweep(dir: &Path, point: &str, jobs: &str) {
    use std::os::unix::process::ExitStatusExt;
    let output = regshift(dir)
        .env(ABORT, point)
        .args([
            "sweep", ".", "--fix", "--commit", "-j", jobs, "--format", "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.signal(),
        Some(6),
        "{point}: the sweep was not aborted: {}{}",
        stdout(&output),
        stderr_of(&output)
    );
}

/// Kill a sweep at each step of a commit and between repositories: every repository is left
/// as it was, with its branch absent or complete. A rerun finishes the work and a third run
/// changes nothing.
#[test]
fn gh_19_a_killed_sweep_leaves_each_repository_untouched_or_complete() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let repos_dir = root.join("repos");
    let names = ["r1", "r2", "r3", "r4"];
    let mut expected = BTreeMap::new();
    let mut before = BTreeMap::new();
    for name in names {
        let repo = repos_dir.join(name);
        init_varied_repo(&repo, name);
        expected.insert(name, fixed_tree(root, &repo));
        before.insert(name, state(&repo));
    }
    let clean = repos_dir.join("clean");
    init_repo(&clean, &[("pod.yaml", CLEAN_POD)]);
    let clean_before = state(&clean);
    let check_every_repository = |when: &str| {
        for name in names {
            let repo = repos_dir.join(name);
            assert_eq!(state(&repo), before[name], "{when}: {name} changed");
            let tip = format!("refs/heads/{BRANCH}");
            if git_command(&repo)
                .args(["rev-parse", "--verify", "--quiet", &tip])
                .output()
                .unwrap()
                .status
                .success()
            {
                assert_eq!(
                    git(&repo, &["rev-parse", &format!("{tip}^")]),
                    before[name].commit,
                    "{when}: {name}'s branch is on HEAD"
                );
                assert_eq!(
                    git(&repo, &["rev-parse", &format!("{tip}^{{tree}}")]),
                    expected[name],
                    "{when}: {name}'s branch holds what `regshift fix` writes"
                );
            }
        }
        assert_eq!(state(&clean), clean_before, "{when}: clean changed");
        assert_eq!(branches(&clean), ["main"], "{when}");
    };

    // One repository at a time (`-j 1`), so each point is reached in a known repository;
    // then two at once, killed wherever the other one is.
    for (point, jobs) in [
        ("after-blobs:2", "1"),
        ("after-commit-tree:2", "1"),
        ("after-update-ref:1", "1"),
        ("between-repositories:1", "1"),
        ("between-repositories:2", "2"),
    ] {
        killed_sweep(&repos_dir, point, jobs);
        check_every_repository(point);
    }
    let done: Vec<bool> = names
        .iter()
        .map(|name| branches(&repos_dir.join(name)).len() == 2)
        .collect();
    assert!(done[0] && done[1] && done[2], "{done:?}");

    let (document, exit) = sweep_json(&repos_dir, &[".", "--fix", "--commit"]);
    assert_eq!(exit, 0, "{document:#}");
    check_every_repository("the rerun");
    for name in names {
        let rerun = row(&document, name);
        assert_eq!(rerun["error"], Value::Null, "{name}: {rerun}");
        assert_eq!(rerun["branch"], BRANCH, "{name}");
        assert_eq!(rerun["fixed"], 7, "{name}: {rerun}");
        assert!(
            rerun["commit"] == "up-to-date" || rerun["commit"] == "created",
            "{name}: {rerun}"
        );
        assert_eq!(branches(&repos_dir.join(name)), ["main", BRANCH]);
    }
    assert_eq!(row(&document, "clean")["commit"], Value::Null);

    let refs_before: Vec<String> = names
        .iter()
        .map(|name| refs(&repos_dir.join(name)))
        .collect();
    let output = run(&repos_dir, &["sweep", ".", "--fix", "--commit"]);
    assert_eq!(code(&output), 0, "{}", stderr_of(&output));
    let table = stdout(&output);
    assert_eq!(
        table.matches(&format!("up to date on {BRANCH}")).count(),
        4,
        "{table}"
    );
    let refs_after: Vec<String> = names
        .iter()
        .map(|name| refs(&repos_dir.join(name)))
        .collect();
    assert_eq!(refs_after, refs_before, "the third run moved a branch");
    check_every_repository("the third run");
}

/// The fix and commit on a clone of `repo`'s `main` as `regshift fix` makes it, for the tree.
fn commit_on_main(repo: &Path, files: &[(&str, &str)], message: &str) {
    for (name, text) in files {
        write(&repo.join(name), text);
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
}

/// A branch that holds only regshift's commit is rebuilt when HEAD moved on or the fix
/// changed, and left alone once HEAD holds the fix.
#[test]
fn gh_19_a_rerun_rebuilds_a_branch_that_holds_only_regshifts_commit() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let repo = root.join("repos/repo");
    init_repo(&repo, &[("pod.yaml", LEGACY_POD)]);
    let (document, exit) = sweep_json(&repo, &[".", "--fix", "--commit"]);
    assert_eq!(exit, 0, "{document:#}");
    let first_tip = git(&repo, &["rev-parse", BRANCH]);

    // HEAD moves on: the branch is rebuilt on it, holding both fixes.
    commit_on_main(
        &repo,
        &[
            ("more.yaml", "image: k8s.gcr.io/etcd:3.5.6-0\n"),
            (
                "main.go",
                "package main\n\nconst image = \"k8s.gcr.io/pause:3.9\"\n",
            ),
        ],
        "more",
    );
    let before = state(&repo);
    let (document, exit) = sweep_json(&repo, &[".", "--fix", "--commit"]);
    assert_eq!(exit, 1, "the unsafe Go finding remains: {document:#}");
    let rebuilt = row(&document, ".");
    assert_eq!(rebuilt["commit"], "rebuilt", "{rebuilt}");
    assert_eq!(rebuilt["commit_reason"], "the base moved");
    assert_eq!(rebuilt["branch"], BRANCH);
    assert_eq!(rebuilt["fixed"], 2);
    assert_eq!(state(&repo), before);
    assert_eq!(
        git(&repo, &["rev-parse", &format!("{BRANCH}^")]),
        before.commit
    );
    assert_eq!(
        git(&repo, &["rev-list", "--count", &format!("main..{BRANCH}")]),
        "1"
    );
    assert_eq!(
        git(&repo, &["diff", "--name-only", &format!("main..{BRANCH}")]),
        "more.yaml\npod.yaml"
    );
    assert_ne!(git(&repo, &["rev-parse", BRANCH]), first_tip);
    let reflog = git(&repo, &["reflog", "--format=%gs", BRANCH]);
    assert!(reflog.contains("regshift sweep"), "{reflog}");

    // Same HEAD, another fix (unsafe fixes too): rebuilt again.
    let (document, exit) = sweep_json(&repo, &[".", "--fix", "--commit", "--unsafe-fixes"]);
    assert_eq!(exit, 0, "{document:#}");
    assert_eq!(row(&document, ".")["commit"], "rebuilt");
    assert_eq!(row(&document, ".")["commit_reason"], "the fix changed");
    assert_eq!(
        git(&repo, &["diff", "--name-only", &format!("main..{BRANCH}")]),
        "main.go\nmore.yaml\npod.yaml"
    );
    let output = run(
        &repo,
        &[
            "sweep",
            ".",
            "--fix",
            "--commit",
            "--unsafe-fixes",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code(&output), 0);
    assert!(
        stdout(&output).contains(&format!("up to date on {BRANCH}")),
        "{}",
        stdout(&output)
    );

    // The branch is merged: nothing is left to fix, and the branch stays where it is.
    git(&repo, &["merge", "-q", "--ff-only", BRANCH]);
    let tip = git(&repo, &["rev-parse", BRANCH]);
    let (document, exit) = sweep_json(&repo, &[".", "--fix", "--commit", "--unsafe-fixes"]);
    assert_eq!(exit, 0, "{document:#}");
    let merged = row(&document, ".");
    assert_eq!(merged["commit"], "left-alone", "{merged}");
    assert_eq!(merged["commit_reason"], "nothing to fix on HEAD");
    assert_eq!(merged["branch"], Value::Null);
    assert_eq!(merged["error"], Value::Null);
    assert_eq!(git(&repo, &["rev-parse", BRANCH]), tip);
}

/// A branch with anyone else's commits, a branch that is checked out, and a repository
/// without a commit are left alone; a dirty tree is refused as on the first run.
#[test]
fn gh_19_a_rerun_leaves_alone_a_branch_that_is_not_regshifts_alone() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let repos_dir = root.join("repos");
    let names = ["amended", "checked-out", "extra", "unrelated"];
    for name in names.iter().chain(&["dirty"]) {
        init_repo(&repos_dir.join(name), &[("pod.yaml", LEGACY_POD)]);
    }
    let (document, exit) = sweep_json(&repos_dir, &[".", "--fix", "--commit"]);
    assert_eq!(exit, 0, "{document:#}");

    let extra = repos_dir.join("extra");
    git(&extra, &["switch", "-q", BRANCH]);
    commit_on_main(&extra, &[("mine.txt", "work in progress\n")], "mine");
    git(&extra, &["switch", "-q", "main"]);
    let amended = repos_dir.join("amended");
    git(&amended, &["switch", "-q", BRANCH]);
    let amend = git_command(&amended)
        .args(["commit", "-q", "--amend", "--no-edit"])
        .env("GIT_COMMITTER_DATE", "2031-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(amend.status.success());
    git(&amended, &["switch", "-q", "main"]);
    let unrelated = repos_dir.join("unrelated");
    git(&unrelated, &["switch", "-q", "--orphan", "other"]);
    commit_on_main(&unrelated, &[("other.txt", "other history\n")], "other");
    git(&unrelated, &["branch", "-f", BRANCH]);
    git(&unrelated, &["switch", "-q", "main"]);
    let checked_out = repos_dir.join("checked-out");
    git(&checked_out, &["switch", "-q", BRANCH]);
    let empty = repos_dir.join("empty");
    fs::create_dir_all(&empty).unwrap();
    git(&empty, &["init", "-q", "-b", "main"]);
    git(&empty, &["config", "user.name", "regshift test"]);
    git(&empty, &["config", "user.email", "test@example.com"]);

    let mut before = BTreeMap::new();
    for name in names {
        let repo = repos_dir.join(name);
        before.insert(name, (state(&repo), refs(&repo)));
    }
    let mut args = names.to_vec();
    args.extend(["empty", "--fix", "--commit", "-j", "3"]);
    let (document, exit) = sweep_json(&repos_dir, &args);
    assert_eq!(exit, 1, "main still has its finding: {document:#}");
    for (name, reason) in [
        ("amended", "the branch has commits not made by regshift"),
        ("checked-out", "the branch is checked out"),
        ("empty", "HEAD has no commit to branch from"),
        ("extra", "the branch has commits not made by regshift"),
        ("unrelated", "the branch has commits not made by regshift"),
    ] {
        let left = row(&document, name);
        assert_eq!(left["commit"], "left-alone", "{name}: {left}");
        assert_eq!(left["commit_reason"], reason, "{name}");
        assert_eq!(left["branch"], Value::Null, "{name}");
        assert_eq!(left["error"], Value::Null, "{name}");
        assert_eq!(left["fixed"], 0, "{name}");
    }
    assert_eq!(row(&document, "extra")["safe"], 1, "what main still holds");
    assert_eq!(
        row(&document, "checked-out")["safe"],
        0,
        "the branch has the fix"
    );
    for name in names {
        let repo = repos_dir.join(name);
        assert_eq!((state(&repo), refs(&repo)), before[name], "{name} changed");
    }
    let output = run(&repos_dir, &["sweep", "extra", "--fix", "--commit"]);
    assert!(
        stdout(&output).contains("left alone: the branch has commits not made by regshift"),
        "{}",
        stdout(&output)
    );

    // A dirty tree is refused before anything, branch or not.
    let dirty = repos_dir.join("dirty");
    write(&dirty.join("pod.yaml"), CLEAN_POD);
    let dirty_refs = refs(&dirty);
    let (document, exit) = sweep_json(&repos_dir, &["dirty", "--fix", "--commit"]);
    assert_eq!(exit, 2);
    let error = row(&document, "dirty")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(error.contains("uncommitted changes"), "{error}");
    assert_eq!(row(&document, "dirty")["commit"], Value::Null);
    assert_eq!(refs(&dirty), dirty_refs);
    assert_eq!(
        fs::read_to_string(dirty.join("pod.yaml")).unwrap(),
        CLEAN_POD
    );
}

/// File names that are not UTF-8 (Latin-1 bytes, as old repositories hold them) are committed
/// under their own bytes.
#[cfg(unix)]
#[test]
fn commit_keeps_file_names_that_are_not_utf8() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("latin1");
    init_repo(&repo, &[]);
    let name = OsStr::from_bytes(b"caf\xe9.yaml");
    fs::write(repo.join(name), LEGACY_POD).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "latin-1 name"]);
    let before = snapshot(&repo);
    let (document, code) = sweep_json(root.path(), &[".", "--fix", "--commit"]);
    assert_eq!(code, 0, "{document}");
    assert_eq!(row(&document, "latin1")["commit"], "created");
    assert_eq!(snapshot(&repo), before, "the working tree is untouched");
    let listing = git_command(&repo)
        .args(["ls-tree", "-z", "--name-only", BRANCH])
        .output()
        .unwrap();
    assert!(
        listing
            .stdout
            .split(|&byte| byte == 0)
            .any(|entry| entry == b"caf\xe9.yaml"),
        "{:?}",
        String::from_utf8_lossy(&listing.stdout)
    );
    let diff = git_command(&repo)
        .args(["diff", "--stat", "main", BRANCH])
        .output()
        .unwrap();
    let stat = String::from_utf8_lossy(&diff.stdout);
    assert!(
        stat.contains("1 file changed, 1 insertion(+), 1 deletion(-)"),
        "{stat}"
    );
}
