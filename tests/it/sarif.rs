//! SARIF is valid per the official validator (Sarif.Multitool from the npm package
//! @microsoft/sarif-multitool-linux, installed by .ci/install-tools.sh), for a tree that
//! triggers every rule, and for files whose names hold every character URIs reserve.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use regshift::rules::Rule;

use crate::support;

#[test]
fn sarif_for_every_rule_passes_the_official_validator() {
    let Some(validator) = support::require_tool("sarif-multitool", "REGSHIFT_SARIF_MULTITOOL")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    support::copy_tree(&support::fixtures().join("all-rules"), &tree);
    let sarif = dir.path().join("regshift.sarif");
    let status = support::regshift_command(&tree)
        .args(["check", "--format", "sarif", "--output"])
        .arg(&sarif)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "findings exit 1");

    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let reported: BTreeSet<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|result| result["ruleId"].as_str())
        .collect();
    let every: BTreeSet<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
    assert_eq!(reported, every, "the fixture triggers every rule");

    assert_valid(&validator, &sarif);
}

/// File names a repository can hold that a URI cannot hold as written (issue 18), each with a
/// legacy reference.
const HOSTILE_NAMES: &[&str] = &[
    "we,ird:name%.yaml",
    "a b.yaml",
    "hash#q?.yaml",
    "café/ü.yaml",
    "-leading.yaml",
    "[x].yaml",
    "semi;colon.yaml",
    "quote'.yaml",
    "back\\slash.yaml",
    "colon:dir/x:y.yaml",
    "pct%41/100%.yaml",
    "{brace}|pipe^`<>\".yaml",
    "plus+at@amp&eq=$(x).yaml",
];

#[test]
fn sarif_uris_for_hostile_file_names_pass_the_validator_and_round_trip() {
    let Some(validator) = support::require_tool("sarif-multitool", "REGSHIFT_SARIF_MULTITOOL")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    for name in HOSTILE_NAMES {
        support::write(&tree.join(name), "image: k8s.gcr.io/pause:3.9\n");
    }
    let expected: BTreeSet<String> = HOSTILE_NAMES.iter().map(|name| name.to_string()).collect();
    for unsafe_fixes in [false, true] {
        let sarif = dir.path().join(format!("regshift-{unsafe_fixes}.sarif"));
        let mut command = support::regshift_command(&tree);
        command
            .args(["check", "--format", "sarif", "--output"])
            .arg(&sarif);
        if unsafe_fixes {
            command.arg("--unsafe-fixes");
        }
        let status = command.status().unwrap();
        assert_eq!(status.code(), Some(1), "findings exit 1");
        assert_valid(&validator, &sarif);

        let log: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
        let run = &log["runs"][0];
        let mut uris = Vec::new();
        collect_uris(run, &mut uris);
        let mut decoded = BTreeSet::new();
        for (uri, base) in &uris {
            assert_eq!(
                base.as_deref(),
                Some("%SRCROOT%"),
                "{uri} is relative to the root"
            );
            let path = percent_decode(uri);
            assert!(
                expected.contains(&path),
                "{uri} decodes to {path:?}, not a file"
            );
            decoded.insert(path);
        }
        assert_eq!(
            decoded, expected,
            "every file has a finding, every URI round-trips"
        );

        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), HOSTILE_NAMES.len(), "one finding per file");
        for result in results {
            let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
            let changes = result["fixes"][0]["artifactChanges"][0]["artifactLocation"].clone();
            assert_eq!(changes, *location, "the fix names the result's file");
        }
    }
}

/// Every `uri` in a SARIF value, beside its `uriBaseId`.
fn collect_uris(value: &serde_json::Value, uris: &mut Vec<(String, Option<String>)>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(uri) = map.get("uri").and_then(|uri| uri.as_str()) {
                let base = map.get("uriBaseId").and_then(|base| base.as_str());
                uris.push((uri.to_string(), base.map(str::to_string)));
            }
            map.values().for_each(|child| collect_uris(child, uris));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_uris(item, uris)),
        _ => {}
    }
}

/// RFC 3986 percent-decoding; panics on a malformed escape or on bytes that are not UTF-8.
fn percent_decode(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("a valid escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// Runs the official validator on `sarif` and fails on any error or warning it reports.
fn assert_valid(validator: &Path, sarif: &Path) {
    let validation = sarif.with_extension("validation.sarif");
    let output = Command::new(validator)
        .arg("validate")
        .arg(sarif)
        .arg("--output")
        .arg(&validation)
        .args(["--log", "ForceOverwrite", "--level", "Error;Warning"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "validator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The validator exits 0 either way; its own SARIF log holds what it found.
    let findings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&validation).unwrap()).unwrap();
    let problems: Vec<String> = findings["runs"][0]["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .map(|result| {
                    format!(
                        "{} {} {}",
                        result["level"], result["ruleId"], result["message"]["arguments"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        problems.is_empty(),
        "SARIF validation problems:\n{}",
        problems.join("\n")
    );
}
