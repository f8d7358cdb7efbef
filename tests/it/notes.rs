//! Every finding without a fix says why in its note (issue 15): `check` over every fixture
//! tree, each file named on the command line so that excluded and ignored files are read too,
//! and every finding whose applicability is `none` must carry a note. The reasons themselves
//! are rendered from typed values (rules, host forms, line sites, history kinds); this test
//! only asks that one is there, never what it says.

use std::fs;
use std::path::PathBuf;

use crate::support::{files_under, fixtures, parse_json, regshift_command};

/// The fixture trees: each CLI case's input, and the trees the other tests use.
fn trees() -> Vec<PathBuf> {
    let root = fixtures();
    let mut trees: Vec<PathBuf> = ["all-rules", "helm", "kubeadm", "kustomize", "fuzz"]
        .iter()
        .map(|name| root.join(name))
        .chain([root.join("readme").join("tour.in")])
        .collect();
    let mut cases: Vec<PathBuf> = fs::read_dir(root.join("cli"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && path.extension().is_some_and(|ext| ext == "in"))
        .collect();
    cases.sort();
    trees.extend(cases);
    trees
}

#[test]
fn every_finding_without_a_fix_has_a_note() {
    let mut without_fix = 0;
    let mut silent = Vec::new();
    for tree in trees() {
        let files: Vec<PathBuf> = files_under(&tree)
            .into_iter()
            .filter(|file| !file.ends_with("regshift.toml") && !file.ends_with(".regshift.toml"))
            .collect();
        if files.is_empty() {
            continue;
        }
        let output = regshift_command(&tree)
            .args(["check", "--format", "json"])
            .args(&files)
            .output()
            .unwrap();
        // A case whose configuration is invalid on purpose scans nothing.
        if output.status.code() == Some(2) && output.stdout.is_empty() {
            continue;
        }
        let report = parse_json(&output.stdout);
        for finding in report["findings"].as_array().unwrap() {
            if !finding["fix"].is_null() {
                continue;
            }
            without_fix += 1;
            let note = finding["note"].as_str().unwrap_or_default();
            if note.trim().is_empty() {
                silent.push(format!(
                    "{}/{}:{} {} ({})",
                    tree.display(),
                    finding["path"].as_str().unwrap(),
                    finding["line"],
                    finding["rule"].as_str().unwrap(),
                    finding["message"].as_str().unwrap(),
                ));
            }
        }
    }
    assert!(
        without_fix > 100,
        "only {without_fix} findings without a fix"
    );
    assert!(
        silent.is_empty(),
        "findings without a fix and without a note:\n{}",
        silent.join("\n")
    );
}
