//! Renderer snapshots over one shared set of findings.
//!
//! The findings come from the real pipeline (`regshift::scan::scan`, as `check`, `fix` and
//! `fix --diff` run it) over a few files, written to a fresh folder, chosen to cover the hard
//! cases: multi-byte text before a hit, CRLF lines, a line longer than 200 characters with
//! a hit in the middle, a hit in a comment, display-only findings (proxy path, staging host,
//! escaped scalar), unsafe findings (the old gcr.io project, Go source), a YAML document that
//! does not parse (so a note exists), a used and an unused suppression. Every renderer gets
//! the same `FileReport`s and `RunReport`, so an annotate-snippets or serde upgrade shows up as
//! a snapshot diff that someone reviews.
//!
//! Paths are relative to the scanned folder, so the output holds no temp paths and needs no
//! filters.

use std::collections::BTreeSet;

use regshift::finding::Applicability;
use regshift::fix::FixLevel;
use regshift::report::concise::ConciseReporter;
use regshift::report::diff::DiffReporter;
use regshift::report::github::GithubReporter;
use regshift::report::gitlab::GitlabReporter;
use regshift::report::human::HumanReporter;
use regshift::report::json::{JsonLinesReporter, JsonReporter};
use regshift::report::markdown::MarkdownReporter;
use regshift::report::rdjson::RdjsonReporter;
use regshift::report::sarif::SarifReporter;
use regshift::report::{FileReport, RenderOptions, Reporter, RunReport};
use regshift::rules::{Rule, Severity};
use regshift::scan::{Scanned, scan};
use regshift::settings::{ConfigChoice, Mode, ScanOptions, Settings};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::formats::{check_diagnostic_result, offset_of};
use crate::support::line_column;

/// A line of 200+ characters with multi-byte text on both sides of the hit.
fn long_annotation() -> String {
    let before = "Überprüft am Montag — ✓ ".repeat(5);
    let after = " ✓ wird beim nächsten Rollout ersetzt, siehe Ticket 日本-42".repeat(3);
    format!("    description: \"{before}k8s.gcr.io/pause:3.9{after}\"\n")
}

/// The shared inputs, sorted by path as the walk would give them.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let dockerfile = "\
# syntax=docker/dockerfile:1
# FROM k8s.gcr.io/pause:3.9 was the base before the move
FROM gcr.io/google_containers/pause-amd64:3.0 AS base
";
    // CRLF throughout; the escaped scalar is display-only, the proxy path too.
    let values = "# Réglages — ✓ 日本\r\n\
image:\r\n\
\x20 registry: k8s.gcr.io\r\n\
\x20 repository: ingress-nginx/controller\r\n\
\x20 mirror: \"k8s\\x2egcr.io/ingress-nginx/controller\"\r\n\
proxyImage: harbor.example.com/k8s.gcr.io/pause:3.9\r\n";
    let manifest = format!(
        "\
apiVersion: v1
kind: Pod
metadata:
  name: café
  annotations:
{long}    summary: 日本語 ✓ — k8s.gcr.io/kube-proxy:v1.24.0
spec:
  containers:
  - name: app
    image: k8s.gcr.io/e2e-test-images/agnhost:2.39 # ✓ 日本
  - name: sidecar
    image: k8s.gcr.io/pause:3.9 # regshift:ignore
  - name: canary
    image: staging-k8s.gcr.io/pause:3.9
---
broken: [k8s.gcr.io/busybox:1.27
---
kind: ConfigMap
data:
  # regshift:ignore-next-line
  greeting: plain value
",
        long = long_annotation()
    );
    let go = "\
package hack

// Pinned for the upgrade test: 日本 ✓
const pauseImage = \"k8s.gcr.io/pause:3.9\"
";
    vec![
        ("Dockerfile", dockerfile.as_bytes().to_vec()),
        ("charts/web/values.yaml", values.as_bytes().to_vec()),
        ("deploy/app.yaml", manifest.into_bytes()),
        ("hack/images.go", go.as_bytes().to_vec()),
    ]
}

/// The real pipeline (`regshift::scan::scan`: walk, read, the engine, and for `fix` the
/// verified fix and the write) over the shared inputs, written to a fresh folder.
fn scanned(mode: Mode, level: FixLevel) -> Scanned {
    let folder = tempfile::tempdir().unwrap();
    for (path, bytes) in inputs() {
        let file = folder.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
    let options = ScanOptions {
        config: ConfigChoice::Defaults,
        unsafe_fixes: level == FixLevel::IncludeUnsafe,
        ..ScanOptions::new(vec![".".into()], mode)
    };
    let settings = Settings::resolve(&options, folder.path()).unwrap();
    scan(&settings).unwrap()
}

/// The shared check reports.
fn check_reports(level: FixLevel) -> Vec<FileReport> {
    scanned(Mode::Check, level).reports
}

fn options(mode: Mode, fix_level: FixLevel) -> RenderOptions {
    RenderOptions {
        mode,
        fix_level,
        fail_on: Severity::Warning,
    }
}

/// Render everything through one reporter and strip the ANSI styling (plain mode).
fn render(reporter: &mut dyn Reporter, reports: &[FileReport], run: &RunReport) -> String {
    let mut out = Vec::new();
    reporter.begin(&mut out).unwrap();
    for report in reports {
        reporter.file(&mut out, report).unwrap();
    }
    reporter.end(&mut out, run).unwrap();
    let text = String::from_utf8(out).expect("renderers write UTF-8 for UTF-8 input");
    anstream::adapter::strip_str(&text).to_string()
}

/// Scan in `options.mode` and render the result through `reporter`.
fn render_scanned(reporter: &mut dyn Reporter, options: &RenderOptions) -> String {
    let scanned = scanned(options.mode, options.fix_level);
    assert_eq!(
        (
            scanned.options.mode,
            scanned.options.fix_level,
            scanned.options.fail_on
        ),
        (options.mode, options.fix_level, options.fail_on),
        "the reporter renders what the pipeline was asked for"
    );
    render(reporter, &scanned.reports, &scanned.run)
}

/// The inputs must exercise every case the snapshots are meant to pin; if detection changes
/// so that one disappears, this fails before anyone re-blesses a snapshot that lost it.
#[test]
fn shared_findings_cover_the_hard_cases() {
    let reports = check_reports(FixLevel::SafeOnly);
    let all: Vec<_> = reports
        .iter()
        .flat_map(|report| report.findings.iter().map(move |f| (report, f)))
        .collect();
    let rules: BTreeSet<&str> = all.iter().map(|(_, f)| f.rule.id()).collect();
    for rule in [
        "legacy-host",
        "legacy-gcr-project",
        "staging-registry",
        "proxy-path",
        "unused-suppression",
    ] {
        assert!(rules.contains(rule), "no {rule} finding in {rules:?}");
    }
    let applicabilities: BTreeSet<_> = all.iter().map(|(_, f)| f.applicability()).collect();
    assert_eq!(
        applicabilities,
        BTreeSet::from([
            Applicability::Safe,
            Applicability::Unsafe,
            Applicability::DisplayOnly
        ])
    );
    assert!(
        all.iter()
            .any(|(_, f)| f.context.ends_with("comment") && f.rule == Rule::LegacyHost),
        "a reference in a comment"
    );
    assert!(
        all.iter()
            .any(|(_, f)| f.excerpt.text.chars().count() > 200),
        "a long line"
    );
    assert!(
        all.iter().any(|(_, f)| {
            let line = &f.excerpt.text[..f.excerpt.span.start];
            !line.is_ascii()
        }),
        "multi-byte text before a hit"
    );
    assert!(
        all.iter().any(|(_, f)| f.matched.contains('\\')),
        "an escaped scalar"
    );
    let crlf = reports
        .iter()
        .find(|r| r.path.as_str() == "charts/web/values.yaml")
        .unwrap();
    assert!(!crlf.findings.is_empty());
    assert!(
        crlf.findings.iter().all(|f| !f.excerpt.text.contains('\r')),
        "CRLF is not part of an excerpt"
    );
    let notes: Vec<_> = reports.iter().flat_map(|r| &r.notes).collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(reports.iter().map(|r| r.suppressed).sum::<usize>(), 1);
    let diffs = scanned(Mode::Diff, FixLevel::SafeOnly).reports;
    assert!(diffs.iter().any(|r| r.diff.is_some()));
}

#[test]
fn human() {
    let options = options(Mode::Check, FixLevel::SafeOnly);
    let output = render_scanned(&mut HumanReporter::new(options), &options);
    insta::assert_snapshot!("human", output);
}

#[test]
fn human_unsafe_fixes() {
    let options = options(Mode::Check, FixLevel::IncludeUnsafe);
    let output = render_scanned(&mut HumanReporter::new(options), &options);
    insta::assert_snapshot!("human_unsafe_fixes", output);
}

#[test]
fn human_fix_mode() {
    let options = options(Mode::Fix, FixLevel::SafeOnly);
    let output = render_scanned(&mut HumanReporter::new(options), &options);
    insta::assert_snapshot!("human_fix_mode", output);
}

#[test]
fn concise() {
    let options = options(Mode::Check, FixLevel::SafeOnly);
    let output = render_scanned(&mut ConciseReporter::new(options), &options);
    insta::assert_snapshot!("concise", output);
}

#[test]
fn diff() {
    let options = options(Mode::Diff, FixLevel::SafeOnly);
    let output = render_scanned(&mut DiffReporter, &options);
    // The CRLF file's diff keeps its `\r\n` line ends byte for byte (so `patch` applies it).
    assert!(
        output.contains("-  registry: k8s.gcr.io\r\n+  registry: registry.k8s.io\r\n"),
        "{output:?}"
    );
    assert_eq!(output.matches('\r').count(), 7, "{output:?}");
    // insta compares line ends loosely, so show every CR to pin where it stands.
    insta::assert_snapshot!("diff", output.replace('\r', "␍"));
}

#[test]
fn jsonl() {
    let options = options(Mode::Check, FixLevel::SafeOnly);
    let output = render_scanned(&mut JsonLinesReporter, &options);
    insta::assert_snapshot!("jsonl", output);

    // The same finding objects as the JSON document, one per line.
    let document: Value =
        serde_json::from_str(&render_scanned(&mut JsonReporter::new(options), &options)).unwrap();
    let lines: Vec<Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(&lines, document["findings"].as_array().unwrap());
}

/// The keys of a JSON object in the order they were written (serde_json's `Map` sorts them).
struct Keys(Vec<String>);

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Keys, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(KeysVisitor)
    }
}

#[derive(serde::Deserialize)]
struct DocumentKeys {
    findings: Vec<Keys>,
}

#[test]
fn json() {
    let options = options(Mode::Check, FixLevel::SafeOnly);
    let output = render_scanned(&mut JsonReporter::new(options), &options);
    insta::assert_snapshot!("json", output);

    let top: Keys = serde_json::from_str(&output).unwrap();
    assert_eq!(
        top.0,
        [
            "version", "findings", "skipped", "notes", "errors", "summary"
        ]
    );
    let contract = [
        "rule",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "byte_start",
        "byte_end",
        "matched",
        "reference",
        "context",
        "message",
    ];
    let keys: DocumentKeys = serde_json::from_str(&output).unwrap();
    assert!(!keys.findings.is_empty());
    for Keys(keys) in &keys.findings {
        assert_eq!(&keys[..contract.len()], contract, "{keys:?}");
        let rest = &keys[contract.len()..];
        assert!(
            rest == ["note", "applicability", "fix"] || rest == ["applicability", "fix"],
            "{keys:?}"
        );
    }

    let document: Value = serde_json::from_str(&output).unwrap();
    assert_eq!(document["version"], 1);
    let inputs = inputs();
    let findings = document["findings"].as_array().unwrap();
    let mut sort_keys = Vec::new();
    for finding in findings {
        let path = finding["path"].as_str().unwrap();
        assert!(!path.starts_with("./") && !path.contains('\\'), "{path}");
        let bytes = &inputs.iter().find(|(p, _)| *p == path).unwrap().1;
        let number = |key: &str| finding[key].as_u64().unwrap() as usize;
        let (start, end) = (number("byte_start"), number("byte_end"));
        assert!(start < end && end <= bytes.len());
        assert_eq!(
            &bytes[start..end],
            finding["matched"].as_str().unwrap().as_bytes(),
            "{finding}"
        );
        assert_eq!(
            (number("line"), number("column")),
            line_column(bytes, start)
        );
        assert_eq!(
            (number("end_line"), number("end_column")),
            line_column(bytes, end)
        );
        let rule = Rule::from_id(finding["rule"].as_str().unwrap()).unwrap();
        assert_eq!(finding["severity"], rule.severity().as_str());
        let reference = finding["reference"].as_str().unwrap();
        assert!(
            reference.contains(finding["matched"].as_str().unwrap())
                || finding["matched"].as_str().unwrap().contains('\\'),
            "{finding}"
        );
        for key in ["context", "message"] {
            assert!(!finding[key].as_str().unwrap().is_empty(), "{finding}");
        }
        match finding["applicability"].as_str().unwrap() {
            "none" => assert!(finding["fix"].is_null(), "{finding}"),
            "safe" | "unsafe" => {
                let edits = finding["fix"]["edits"].as_array().unwrap();
                assert!(!edits.is_empty());
                for edit in edits {
                    let edit_start = edit["byte_start"].as_u64().unwrap() as usize;
                    let edit_end = edit["byte_end"].as_u64().unwrap() as usize;
                    assert!(start <= edit_start && edit_end <= end, "{finding}");
                    assert_eq!(edit["replacement"], "registry.k8s.io");
                }
            }
            other => panic!("unknown applicability {other}"),
        }
        sort_keys.push((path.to_string(), start, end, rule.id()));
    }
    let mut sorted = sort_keys.clone();
    sorted.sort();
    assert_eq!(sort_keys, sorted, "findings are in the stable order");

    let summary = &document["summary"];
    assert_eq!(summary["files_scanned"], inputs.len());
    assert_eq!(summary["findings"], findings.len());
    let safe = findings
        .iter()
        .filter(|f| f["applicability"] == "safe")
        .count();
    assert_eq!(summary["fixable"], safe);
    assert_eq!(summary["suppressed"], 1);
    let notes = document["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["path"], "deploy/app.yaml");
}

#[test]
fn github() {
    let options = options(Mode::Check, FixLevel::SafeOnly);
    let output = render_scanned(&mut GithubReporter::new(options), &options);
    // Every annotation is one line: line breaks in messages are escaped.
    for line in output.lines().filter(|line| line.starts_with("::")) {
        let (properties, _) = line[2..].split_once("::").expect("command::message");
        assert!(
            properties
                .split_once(' ')
                .is_some_and(|(_, props)| props.split(',').all(|prop| prop.contains('='))),
            "{line}"
        );
    }
    insta::assert_snapshot!("github", output.replace('\r', "␍"));
}

#[test]
fn markdown() {
    let options = options(Mode::Check, FixLevel::SafeOnly);
    let output = render_scanned(&mut MarkdownReporter::new(options), &options);
    insta::assert_snapshot!("markdown", output.replace('\r', "␍"));
}

#[test]
fn sarif() {
    let options = options(Mode::Check, FixLevel::SafeOnly);
    let output = render_scanned(&mut SarifReporter::new(options), &options);
    let log: serde_json::Value = serde_json::from_str(&output).unwrap();
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let results = run["results"].as_array().unwrap();
    let reports = check_reports(FixLevel::SafeOnly);
    let findings: Vec<_> = reports.iter().flat_map(|r| r.findings.iter()).collect();
    assert_eq!(results.len(), findings.len());
    for (result, finding) in results.iter().zip(&findings) {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], finding.location.line);
        assert_eq!(region["startColumn"], finding.location.column);
        assert_eq!(region["endColumn"], finding.location.end_column);
        assert_eq!(region["byteOffset"], finding.range.start);
        assert_eq!(result["ruleId"], finding.rule.id());
        let rule_index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][rule_index]["id"],
            finding.rule.id()
        );
        assert_eq!(
            result["fixes"].is_array(),
            finding.fix.is_some(),
            "fixes exactly for fixable findings: {result}"
        );
    }
    let fingerprints: BTreeSet<String> = results
        .iter()
        .map(|r| {
            r["partialFingerprints"]["regshift/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(fingerprints.len(), results.len(), "fingerprints are unique");
    insta::assert_snapshot!("sarif", output.replace('\r', "␍"));
}

#[test]
fn gitlab() {
    let options = options(Mode::Check, FixLevel::SafeOnly);
    let output = render_scanned(&mut GitlabReporter::new(), &options);
    let issues: Vec<Value> = serde_json::from_str(&output).unwrap();
    let reports = check_reports(FixLevel::SafeOnly);
    let findings: Vec<_> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r.path.as_str(), f)))
        .collect();
    assert_eq!(issues.len(), findings.len());
    let keys: Vec<Keys> = serde_json::from_str(&output).unwrap();
    for ((issue, keys), (path, finding)) in issues.iter().zip(&keys).zip(&findings) {
        assert_eq!(
            keys.0,
            [
                "type",
                "description",
                "check_name",
                "fingerprint",
                "severity",
                "categories",
                "location"
            ]
        );
        assert_eq!(issue["type"], "issue");
        assert!(
            issue["description"]
                .as_str()
                .unwrap()
                .starts_with(&finding.message)
        );
        assert_eq!(issue["check_name"], finding.rule.id());
        let expected = match finding.severity() {
            Severity::Error => "major",
            Severity::Warning => "minor",
            Severity::Info => "info",
        };
        assert_eq!(issue["severity"], expected);
        assert_eq!(issue["location"]["path"], *path);
        assert_eq!(issue["location"]["lines"]["begin"], finding.location.line);
    }
    let fingerprints: BTreeSet<&str> = issues
        .iter()
        .map(|issue| issue["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
    // The same fingerprints as SARIF's, so the two agree on what one finding is.
    let sarif: Value =
        serde_json::from_str(&render_scanned(&mut SarifReporter::new(options), &options)).unwrap();
    let sarif_fingerprints: BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partialFingerprints"]["regshift/v1"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints, sarif_fingerprints);
    insta::assert_snapshot!("gitlab", output);
}

/// rdjson with `level`: schema-checked, and every location and suggestion at the bytes of the
/// finding and its edits.
fn rdjson_checked(level: FixLevel) -> String {
    let options = options(Mode::Check, level);
    let output = render_scanned(&mut RdjsonReporter::new(options), &options);
    let document: Value = serde_json::from_str(&output).unwrap();
    check_diagnostic_result(&document);
    let inputs = inputs();
    let reports = check_reports(level);
    let findings: Vec<_> = reports
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r.path.as_str(), f)))
        .collect();
    let diagnostics = document["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), findings.len());
    for (diagnostic, (path, finding)) in diagnostics.iter().zip(&findings) {
        let bytes = &inputs.iter().find(|(p, _)| p == path).unwrap().1;
        let range = &diagnostic["location"]["range"];
        assert_eq!(
            offset_of(bytes, &range["start"]),
            finding.range.start,
            "{diagnostic}"
        );
        assert_eq!(
            offset_of(bytes, &range["end"]),
            finding.range.end,
            "{diagnostic}"
        );
        assert_eq!(diagnostic["code"]["value"], finding.rule.id());
        assert_eq!(diagnostic["code"]["url"], finding.rule.help_url());
        let fixable = finding.fix.is_some() && level.applies(finding.applicability());
        assert_eq!(
            diagnostic["suggestions"].is_array(),
            fixable,
            "{diagnostic}"
        );
        if let Some(suggestions) = diagnostic["suggestions"].as_array() {
            let edits = finding.fix.as_ref().unwrap().edits();
            assert_eq!(suggestions.len(), edits.len());
            for (suggestion, edit) in suggestions.iter().zip(edits) {
                let start = offset_of(bytes, &suggestion["range"]["start"]);
                let end = offset_of(bytes, &suggestion["range"]["end"]);
                assert_eq!(start..end, edit.range);
                assert_eq!(suggestion["text"], edit.replacement.as_str());
            }
        }
    }
    output
}

#[test]
fn rdjson() {
    let output = rdjson_checked(FixLevel::SafeOnly);
    insta::assert_snapshot!("rdjson", output.replace('\r', "␍"));
}

#[test]
fn rdjson_unsafe_fixes() {
    let output = rdjson_checked(FixLevel::IncludeUnsafe);
    insta::assert_snapshot!("rdjson_unsafe_fixes", output.replace('\r', "␍"));
}
