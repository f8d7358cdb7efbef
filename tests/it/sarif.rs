//! SARIF is valid per the official validator (Sarif.Multitool from the npm package
//! @microsoft/sarif-multitool-linux, installed by .ci/install-tools.sh), for a tree that
//! triggers every rule.

use std::collections::BTreeSet;
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

    let validation = dir.path().join("validation.sarif");
    let output = Command::new(&validator)
        .arg("validate")
        .arg(&sarif)
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
