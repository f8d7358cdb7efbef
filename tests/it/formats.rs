//! `--format gitlab` and `--format rdjson` against what their consumers read: the fields of
//! reviewdog's `DiagnosticResult` JSON schema (checked here field by field, in Rust), rdjson
//! suggestions that, applied as reviewdog applies them (1-based lines, UTF-8 byte columns,
//! end-exclusive ranges), give the bytes `regshift fix` writes, and GitLab fingerprints that
//! are unique per finding and survive an unrelated line inserted above.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::support::{copy_tree, fixtures, parse_json, regshift, tree_contents, write};

// ---------------------------------------------------------------------------------------------
// reviewdog's DiagnosticResult, field by field

/// The object at `value`, whose keys are all among `allowed` and include every one of
/// `required`.
fn object<'a>(
    value: &'a Value,
    what: &str,
    allowed: &[&str],
    required: &[&str],
) -> &'a Map<String, Value> {
    let map = value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {value}"));
    for key in map.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "{what} has an unknown key {key}: {value}"
        );
    }
    for key in required {
        assert!(map.contains_key(*key), "{what} lacks {key}: {value}");
    }
    map
}

fn string<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

/// `Position`: `line` and `column` are integers, 1-based.
fn position(value: &Value, what: &str) -> (u64, Option<u64>) {
    let map = object(value, what, &["line", "column"], &["line"]);
    let number = |key: &str| {
        map.get(key).map(|n| {
            let n = n
                .as_u64()
                .unwrap_or_else(|| panic!("{what}.{key} is not an integer: {value}"));
            assert!(n >= 1, "{what}.{key} is not 1-based: {value}");
            n
        })
    };
    (number("line").unwrap(), number("column"))
}

/// `Range`: `start` required, `end` optional, and `end` not before `start`.
fn range(value: &Value, what: &str) {
    let map = object(value, what, &["start", "end"], &["start"]);
    let start = position(&map["start"], &format!("{what}.start"));
    if let Some(end) = map.get("end") {
        let end = position(end, &format!("{what}.end"));
        assert!(start.0 <= end.0, "{what} ends before it starts: {value}");
        if let (true, Some(start_column), Some(end_column)) = (start.0 == end.0, start.1, end.1) {
            assert!(
                start_column <= end_column,
                "{what} ends before it starts: {value}"
            );
        }
        assert_eq!(
            start.1.is_some(),
            end.1.is_some(),
            "{what}: columns on one end only"
        );
    }
}

fn severity(value: &Value, what: &str) {
    let severity = string(value, what);
    assert!(
        ["ERROR", "WARNING", "INFO"].contains(&severity),
        "{what} is not a reviewdog severity: {value}"
    );
}

/// `Source`: `name` (required here: it is what reviewdog shows) and `url`, strings.
fn source(value: &Value, what: &str) {
    let map = object(value, what, &["name", "url"], &["name"]);
    assert_eq!(string(&map["name"], what), "regshift");
    if let Some(url) = map.get("url") {
        assert!(string(url, what).starts_with("https://"), "{value}");
    }
}

/// Every field of reviewdog's `DiagnosticResult` schema that regshift writes, with the types,
/// enums and 1-based positions the schema and `reviewdog.proto` define.
pub fn check_diagnostic_result(document: &Value) {
    let top = object(
        document,
        "result",
        &["diagnostics", "source", "severity"],
        &["diagnostics"],
    );
    if let Some(value) = top.get("source") {
        source(value, "result.source");
    }
    if let Some(value) = top.get("severity") {
        severity(value, "result.severity");
    }
    let diagnostics = top["diagnostics"]
        .as_array()
        .expect("diagnostics is an array");
    for diagnostic in diagnostics {
        let allowed = [
            "message",
            "location",
            "severity",
            "source",
            "code",
            "suggestions",
            "original_output",
        ];
        let map = object(
            diagnostic,
            "diagnostic",
            &allowed,
            &["message", "location", "severity", "code"],
        );
        assert!(!string(&map["message"], "message").is_empty());
        let location = object(
            &map["location"],
            "location",
            &["path", "range"],
            &["path", "range"],
        );
        let path = string(&location["path"], "location.path");
        assert!(
            !path.is_empty() && !path.starts_with('/') && !path.contains('\\'),
            "{path}"
        );
        range(&location["range"], "location.range");
        severity(&map["severity"], "diagnostic.severity");
        if let Some(value) = map.get("source") {
            source(value, "diagnostic.source");
        }
        let code = object(&map["code"], "code", &["value", "url"], &["value", "url"]);
        let rule = string(&code["value"], "code.value");
        assert!(regshift::rules::Rule::from_id(rule).is_some(), "{rule}");
        assert!(string(&code["url"], "code.url").ends_with(&format!("#{rule}")));
        if let Some(suggestions) = map.get("suggestions") {
            let suggestions = suggestions.as_array().expect("suggestions is an array");
            assert!(
                !suggestions.is_empty(),
                "an empty list is left out: {diagnostic}"
            );
            for suggestion in suggestions {
                let suggestion = object(
                    suggestion,
                    "suggestion",
                    &["range", "text"],
                    &["range", "text"],
                );
                range(&suggestion["range"], "suggestion.range");
                string(&suggestion["text"], "suggestion.text");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Applying suggestions as reviewdog does

/// The byte offset of a reviewdog position: 1-based line, 1-based UTF-8 byte column.
pub fn offset_of(bytes: &[u8], position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let column = position["column"]
        .as_u64()
        .expect("a suggestion has columns") as usize;
    let line_start = if line == 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, byte)| **byte == b'\n')
            .nth(line - 2)
            .map(|(newline, _)| newline + 1)
            .expect("the line exists")
    };
    let line_end = bytes[line_start..]
        .iter()
        .position(|byte| *byte == b'\n')
        .map_or(bytes.len(), |newline| line_start + newline);
    let offset = line_start + column - 1;
    assert!(offset <= line_end, "column {column} lies past line {line}");
    offset
}

/// `bytes` with every suggestion for `path` applied; identical suggestions of two
/// diagnostics are applied once, and none may overlap another.
pub fn apply_suggestions(bytes: &[u8], document: &Value, path: &str) -> Vec<u8> {
    let mut edits = BTreeSet::new();
    for diagnostic in document["diagnostics"].as_array().unwrap() {
        if diagnostic["location"]["path"] != path {
            continue;
        }
        for suggestion in diagnostic["suggestions"].as_array().into_iter().flatten() {
            let range = &suggestion["range"];
            let start = offset_of(bytes, &range["start"]);
            let end = offset_of(bytes, &range["end"]);
            edits.insert((start, end, suggestion["text"].as_str().unwrap().to_string()));
        }
    }
    let mut output = Vec::new();
    let mut copied_to = 0;
    for (start, end, text) in &edits {
        assert!(
            copied_to <= *start,
            "overlapping suggestions in {path}: {edits:?}"
        );
        output.extend_from_slice(&bytes[copied_to..*start]);
        output.extend_from_slice(text.as_bytes());
        copied_to = *end;
    }
    output.extend_from_slice(&bytes[copied_to..]);
    output
}

/// A fresh copy of `tree`, the rdjson report of `check` on it (with `flags`), and every file
/// of the copy with that report's suggestions applied.
fn suggested(tree: &Path, flags: &[&str]) -> (Value, BTreeMap<PathBuf, Vec<u8>>) {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(tree, copy.path());
    let output = regshift(copy.path())
        .args(["check", "--no-config", "--format", "rdjson"])
        .args(flags)
        .output()
        .unwrap();
    assert!(output.status.code().unwrap() < 2, "{output:?}");
    let document = parse_json(&output.stdout);
    check_diagnostic_result(&document);
    let files = tree_contents(copy.path())
        .into_iter()
        .map(|(relative, bytes)| {
            let path = relative.to_str().unwrap().replace('\\', "/");
            let applied = apply_suggestions(&bytes, &document, &path);
            (relative, applied)
        })
        .collect();
    (document, files)
}

/// Every file of a fresh copy of `tree` after `regshift fix` (with `flags`).
fn fixed(tree: &Path, flags: &[&str]) -> BTreeMap<PathBuf, Vec<u8>> {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(tree, copy.path());
    let output = regshift(copy.path())
        .args(["fix", "--no-config"])
        .args(flags)
        .output()
        .unwrap();
    assert!(output.status.code().unwrap() < 2, "{output:?}");
    tree_contents(copy.path())
}

/// A plain tree: a manifest with multi-byte text before its references, a Dockerfile, a Go
/// file whose fix is unsafe, a line with more than the 8 KiB an excerpt keeps before a hit,
/// and a Latin-1 manifest (not UTF-8 after its reference).
fn plain_tree() -> tempfile::TempDir {
    let tree = tempfile::tempdir().unwrap();
    write(
        &tree.path().join("deploy/app.yaml"),
        "kind: Pod\nmetadata:\n  name: café\n  annotations:\n    note: \"日本 ✓ k8s.gcr.io/pause:3.9\"\n\
         spec:\n  containers:\n  - image: k8s.gcr.io/pause:3.9 # ✓ 日本\n  - image: k8s.gcr.io/pause:3.9\n",
    );
    write(
        &tree.path().join("Dockerfile"),
        "FROM k8s.gcr.io/pause:3.9\n",
    );
    let long = format!(
        "kind: ConfigMap\ndata:\n  note: \"{} k8s.gcr.io/pause:3.9 k8s.gcr.io/pause:3.9\"\n",
        "é".repeat(5000)
    );
    write(&tree.path().join("deploy/long.yaml"), &long);
    let latin = b"kind: Pod\nspec:\n  containers:\n  - image: k8s.gcr.io/pause:3.9 # caf\xe9\n";
    fs::write(tree.path().join("deploy/latin.yaml"), latin).unwrap();
    write(
        &tree.path().join("hack/images.go"),
        "package hack\n\n// ✓ 日本\nconst pause = \"k8s.gcr.io/pause:3.9\"\n",
    );
    tree
}

#[test]
fn rdjson_suggestions_give_what_fix_writes() {
    let plain = plain_tree();
    let trees = [
        fixtures().join("kubeadm"),
        fixtures().join("kustomize"),
        plain.path().to_path_buf(),
    ];
    for tree in &trees {
        for flags in [&[][..], &["--unsafe-fixes"][..]] {
            let (document, suggested) = suggested(tree, flags);
            let fixed = fixed(tree, flags);
            assert_eq!(
                suggested.keys().collect::<Vec<_>>(),
                fixed.keys().collect::<Vec<_>>()
            );
            for (path, bytes) in &fixed {
                assert!(
                    suggested[path] == *bytes,
                    "{} {flags:?}: suggestions give\n{}\nfix writes\n{}",
                    path.display(),
                    String::from_utf8_lossy(&suggested[path]),
                    String::from_utf8_lossy(bytes)
                );
            }
            let original = tree_contents(tree);
            assert_ne!(
                original,
                fixed,
                "{} {flags:?}: something is fixed",
                tree.display()
            );
            let insertions = document["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|d| d["suggestions"].as_array().into_iter().flatten())
                .filter(|s| s["range"]["start"] == s["range"]["end"])
                .count();
            if tree != plain.path() {
                assert!(
                    insertions > 0,
                    "{}: an insertion is suggested",
                    tree.display()
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GitLab fingerprints

/// (path, fingerprint, line) of each issue of `check --format gitlab` in `dir`.
fn gitlab_issues(dir: &Path) -> Vec<(String, String, u64)> {
    let output = regshift(dir)
        .args(["check", "--no-config", "--format", "gitlab"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    parse_json(&output.stdout)
        .as_array()
        .expect("an array of issues")
        .iter()
        .map(|issue| {
            (
                issue["location"]["path"].as_str().unwrap().to_string(),
                issue["fingerprint"].as_str().unwrap().to_string(),
                issue["location"]["lines"]["begin"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn gitlab_fingerprints_are_unique_and_survive_a_line_above() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("deploy/app.yaml");
    // The same reference on identical lines, and again on a different one.
    let body = "spec:\n  containers:\n  - image: k8s.gcr.io/pause:3.9\n  - image: k8s.gcr.io/pause:3.9\n\
                \x20 - name: other\n    image: k8s.gcr.io/pause:3.9\n";
    write(&manifest, &format!("kind: Pod\n{body}"));
    write(
        &dir.path().join("Dockerfile"),
        "FROM k8s.gcr.io/pause:3.9\n",
    );
    let before = gitlab_issues(dir.path());
    assert_eq!(before.len(), 4, "{before:?}");
    let unique: BTreeSet<_> = before
        .iter()
        .map(|(_, fingerprint, _)| fingerprint)
        .collect();
    assert_eq!(unique.len(), before.len(), "unique per finding: {before:?}");

    let shifted = format!("kind: Pod\n# an unrelated comment\nmetadata: {{}}\n{body}");
    fs::write(&manifest, shifted).unwrap();
    let after = gitlab_issues(dir.path());
    assert_eq!(after.len(), before.len());
    for ((path, old, old_line), (new_path, new, new_line)) in before.iter().zip(&after) {
        assert_eq!(
            (path, old),
            (new_path, new),
            "the fingerprint survives the line above"
        );
        let moved = if path == "deploy/app.yaml" { 2 } else { 0 };
        assert_eq!(*new_line, old_line + moved, "{path}");
    }
}

#[test]
fn new_formats_work_as_main_output_and_as_reports() {
    let dir = plain_tree();
    let output = regshift(dir.path())
        .args(["check", "--no-config", "--format", "gitlab"])
        .args([
            "--report",
            "rdjson=review.json",
            "--report",
            "gitlab=gl.json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let issues = parse_json(&output.stdout);
    let reported = parse_json(&fs::read(dir.path().join("gl.json")).unwrap());
    assert_eq!(issues, reported);
    let review = parse_json(&fs::read(dir.path().join("review.json")).unwrap());
    check_diagnostic_result(&review);
    let diagnostics = review["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), issues.as_array().unwrap().len());
    assert!(!diagnostics.is_empty());
}
