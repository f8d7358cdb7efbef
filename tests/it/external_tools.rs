//! Real tools as oracles. Each chart in `fixtures/helm/` is copied to a temporary folder and
//! rendered with `helm template`; the real `regshift fix` runs on the copy, and the chart is
//! rendered again. The contract:
//!
//! - (a) a chart that rendered before the fix renders after it;
//! - (b) the renders differ only where swapping each legacy host form of the "before" line for
//!   `registry.k8s.io` gives exactly the "after" line;
//! - (c) no rendered `image:` still names a legacy host, unless `regshift check` on the fixed
//!   copy reports that image without a safe fix (applicability `none` or `unsafe`);
//! - (d) packaged dependencies (`charts/*.tgz`) are byte-identical;
//! - (e) the `artifacthub.io/changes` history in Chart.yaml is unchanged.
//!
//! The same contract holds for `kubectl kustomize` on the overlays in `fixtures/kustomize/`
//! (where an override that points at a private mirror must render exactly as before), and the
//! kubeadm configurations in `fixtures/kubeadm/` are checked by computing the images kubeadm
//! would pull for them, CoreDNS's sub-path included (see the kubeadm section at the end).
//!
//! The tools come from `$REGSHIFT_HELM` / `$REGSHIFT_KUBECTL`, else `PATH`, else
//! `target/tools/bin/` (where `.ci/install-tools.sh` puts them). A missing tool skips its test
//! with `skipped: helm not found on PATH`, unless `REGSHIFT_REQUIRE_TOOLS=1` (set by CI), which
//! turns it into a failure so no skip goes unnoticed.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;
use std::time::Duration;

use assert_cmd::Command;
use regex::Regex;
use regshift::internals::{Node, documents};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::{self, copy_tree, files_under};

/// Long enough for a debug build and a cold helm on a slow machine; short enough that a hang
/// fails the test.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Every chart under `fixtures/helm/` (the dependency sources in `src/` are not charts of their
/// own). `every_helm_fixture_has_an_oracle_test` keeps this list and the folder in step.
const CHARTS: &[&str] = &[
    "annotated",
    "crds-schema",
    "helpers",
    "umbrella",
    "values-shapes",
];

const RELEASE: &str = "release";

/// Values files rendered besides the chart's defaults: every `values-*.yaml` in the chart root.
const OVERRIDES_PREFIX: &str = "values-";

fn helm_fixtures() -> PathBuf {
    support::fixtures().join("helm")
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn every_helm_fixture_has_an_oracle_test() {
    let mut on_disk: Vec<String> = fs::read_dir(helm_fixtures())
        .expect("fixtures/helm exists")
        .map(|entry| entry.expect("fixtures/helm is readable"))
        .filter(|entry| entry.path().join("Chart.yaml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(
        on_disk, CHARTS,
        "every chart in fixtures/helm/ needs an entry in CHARTS and its own tests"
    );
}

#[test]
fn values_shapes() {
    assert_fix_changes_only_the_host("values-shapes", FixMode::Safe);
}

#[test]
fn values_shapes_with_unsafe_fixes() {
    assert_fix_changes_only_the_host("values-shapes", FixMode::Unsafe);
}

/// `templates/configmap-registry.yaml` compares the configured registry with the literal
/// `"k8s.gcr.io"`. The literal names no image and no registry field, so regshift must leave it
/// alone: rewriting it flips the `if` (the values hold `registry.k8s.io`), and the render then
/// differs by more than the host (`frozen: "false"` becomes `frozen: "true"`), which check (b)
/// reports. The `_helpers.tpl` default registry and the `printf "k8s.gcr.io/%s:%s"` image are
/// registries and images, and must be rewritten.
#[test]
fn helpers() {
    assert_fix_changes_only_the_host("helpers", FixMode::Safe);
}

#[test]
fn helpers_with_unsafe_fixes() {
    assert_fix_changes_only_the_host("helpers", FixMode::Unsafe);
}

#[test]
fn annotated() {
    assert_fix_changes_only_the_host("annotated", FixMode::Safe);
}

#[test]
fn annotated_with_unsafe_fixes() {
    assert_fix_changes_only_the_host("annotated", FixMode::Unsafe);
}

/// `charts/dep-0.1.0.tgz` (built from `fixtures/helm/src/dep` by
/// `fixtures/helm/src/package-dep.sh`) keeps `k8s.gcr.io` in its values: regshift reports it
/// (path `charts/dep-0.1.0.tgz!dep/values.yaml`, no automatic fix) and never rewrites the
/// archive. The aliased copy (`canary`) is overridden from the parent's values, which are fixed.
#[test]
fn umbrella() {
    assert_fix_changes_only_the_host("umbrella", FixMode::Safe);
}

#[test]
fn umbrella_with_unsafe_fixes() {
    assert_fix_changes_only_the_host("umbrella", FixMode::Unsafe);
}

#[test]
fn crds_schema() {
    assert_fix_changes_only_the_host("crds-schema", FixMode::Safe);
}

#[test]
fn crds_schema_with_unsafe_fixes() {
    assert_fix_changes_only_the_host("crds-schema", FixMode::Unsafe);
}

/// The kustomize oracle comes with the next issue; this pins the discovery it will use.
#[test]
fn kubectl_kustomize_is_available() {
    let Some(kubectl) = support::require_tool("kubectl", "REGSHIFT_KUBECTL") else {
        return;
    };
    let output = Command::new(&kubectl)
        .args(["kustomize", "--help"])
        .timeout(TIMEOUT)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", kubectl.display()));
    assert!(
        output.status.success(),
        "`{} kustomize --help` failed ({}):\n{}",
        kubectl.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The oracle must catch the `sed s/k8s.gcr.io/registry.k8s.io/` that README.md warns about:
/// it turns `staging-k8s.gcr.io` into another host and flips the helpers chart's comparison.
#[test]
fn a_naive_sed_fails_the_oracle() {
    let Some(helm_binary) = support::require_tool("helm", "REGSHIFT_HELM") else {
        return;
    };
    for (chart, telltale) in [
        ("values-shapes", "staging-registry.k8s.io"),
        ("helpers", "frozen: \"true\""),
    ] {
        let sandbox = TempDir::new().expect("a temporary folder");
        let copy = sandbox.path().join(chart);
        copy_tree(&helm_fixtures().join(chart), &copy);
        let helm = Helm {
            binary: helm_binary.clone(),
            home: sandbox.path().join("helm-home"),
        };
        let variant = Variant { values_file: None };
        let before = helm.render(&copy, &variant);
        for relative in files_under(&copy) {
            let path = copy.join(relative);
            if let Ok(text) = fs::read_to_string(&path) {
                fs::write(&path, text.replace("k8s.gcr.io", NEW_REGISTRY))
                    .expect("a writable copy");
            }
        }
        let after = helm.render(&copy, &variant);
        let changes = unexpected_changes(
            &String::from_utf8_lossy(&before.stdout),
            &String::from_utf8_lossy(&after.stdout),
            FixMode::Unsafe,
        );
        assert!(
            changes.iter().any(|change| change.contains(telltale)),
            "{chart}: the oracle let a naive sed through; it reported: {changes:#?}"
        );
    }
}

#[test]
fn host_swap_rewrites_whole_legacy_tokens_only() {
    let cases = [
        (
            "image: k8s.gcr.io/pause:3.9",
            "image: registry.k8s.io/pause:3.9",
        ),
        (
            "image: \"k8s.gcr.io/a:1\" # k8s.gcr.io.",
            "image: \"registry.k8s.io/a:1\" # registry.k8s.io.",
        ),
        ("value: 'k8s.gcr.io'", "value: 'registry.k8s.io'"),
        (
            "- --image=eu.gcr.io/k8s-artifacts-prod/pause:3.9",
            "- --image=registry.k8s.io/pause:3.9",
        ),
        (
            "image: us-central1-docker.pkg.dev/k8s-artifacts-prod/images/pause:3.9",
            "image: registry.k8s.io/pause:3.9",
        ),
        // Not the legacy host: other hosts, proxy paths, longer names.
        (
            "image: staging-k8s.gcr.io/pause:3.9",
            "image: staging-k8s.gcr.io/pause:3.9",
        ),
        (
            "image: k8s.gcr.io.mirror.example.net/pause",
            "image: k8s.gcr.io.mirror.example.net/pause",
        ),
        (
            "notk8s.gcr.io/x k8s.gcr.io-notes",
            "notk8s.gcr.io/x k8s.gcr.io-notes",
        ),
        (
            "image: harbor.example.com/k8s.gcr.io/pause",
            "image: harbor.example.com/k8s.gcr.io/pause",
        ),
        (
            "image: eu.gcr.io/k8s-artifacts-prod-copy/pause",
            "image: eu.gcr.io/k8s-artifacts-prod-copy/pause",
        ),
        // Unsafe forms move only in the unsafe run.
        (
            "image: gcr.io/google_containers/busybox:1.27",
            "image: gcr.io/google_containers/busybox:1.27",
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(host_swapped(line, FixMode::Safe), expected, "{line}");
    }
    assert_eq!(
        host_swapped(
            "image: gcr.io/google_containers/busybox:1.27",
            FixMode::Unsafe
        ),
        "image: registry.k8s.io/busybox:1.27"
    );
    assert_eq!(
        host_swapped("image: gcr.io/google-containers/pause", FixMode::Unsafe),
        "image: registry.k8s.io/pause"
    );
    assert_eq!(
        host_swapped("image: k8s.gcr.io/google_containers/x", FixMode::Unsafe),
        "image: registry.k8s.io/google_containers/x"
    );
}

#[test]
fn image_names_drop_tag_and_digest() {
    assert_eq!(image_name("k8s.gcr.io/pause:3.9"), "k8s.gcr.io/pause");
    assert_eq!(
        image_name("k8s.gcr.io/a/b:v1@sha256:0123"),
        "k8s.gcr.io/a/b"
    );
    assert_eq!(image_name("k8s.gcr.io/a/b"), "k8s.gcr.io/a/b");
    assert_eq!(image_name("localhost:5000/a"), "localhost:5000/a");
}

// ---------------------------------------------------------------------------------------------
// The oracle

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FixMode {
    /// `regshift fix`: safe fixes only.
    Safe,
    /// `regshift fix --unsafe-fixes`.
    Unsafe,
}

impl fmt::Display for FixMode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            FixMode::Safe => "regshift fix",
            FixMode::Unsafe => "regshift fix --unsafe-fixes",
        })
    }
}

/// One `helm template` invocation: the chart's defaults, or the defaults plus one overrides file.
struct Variant {
    values_file: Option<String>,
}

impl Variant {
    fn describe(&self, chart: &str) -> String {
        match &self.values_file {
            None => format!("helm template {RELEASE} {chart}"),
            Some(file) => format!("helm template {RELEASE} {chart} -f {file}"),
        }
    }
}

struct Helm {
    binary: PathBuf,
    /// Cache, config and data folders inside the sandbox, so the tests never touch `$HOME`.
    home: PathBuf,
}

impl Helm {
    fn render(&self, chart_dir: &Path, variant: &Variant) -> Output {
        let mut command = Command::new(&self.binary);
        command
            .arg("template")
            .arg(RELEASE)
            .arg(chart_dir)
            .arg("--include-crds")
            .env("HELM_CACHE_HOME", self.home.join("cache"))
            .env("HELM_CONFIG_HOME", self.home.join("config"))
            .env("HELM_DATA_HOME", self.home.join("data"))
            .timeout(TIMEOUT);
        if let Some(file) = &variant.values_file {
            command.arg("--values").arg(chart_dir.join(file));
        }
        command
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", self.binary.display()))
    }
}

/// Runs the whole contract on one chart and panics with every broken promise at once.
fn assert_fix_changes_only_the_host(chart: &str, mode: FixMode) {
    let Some(helm_binary) = support::require_tool("helm", "REGSHIFT_HELM") else {
        return;
    };
    let source = helm_fixtures().join(chart);
    let sandbox = TempDir::new().expect("a temporary folder");
    let copy = sandbox.path().join(chart);
    copy_tree(&source, &copy);
    let helm = Helm {
        binary: helm_binary,
        home: sandbox.path().join("helm-home"),
    };

    let variants = render_variants(&copy);
    let before: Vec<String> = variants
        .iter()
        .map(|variant| {
            let output = helm.render(&copy, variant);
            assert!(
                output.status.success(),
                "the fixture does not render before any fix: `{}` failed:\n{}",
                variant.describe(chart),
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).expect("helm prints UTF-8")
        })
        .collect();

    let fix = run_regshift_fix(&copy, mode);
    let mut problems = Vec::new();
    if !matches!(fix.status.code(), Some(0 | 1)) {
        problems.push(format!("`{mode} .` exited with {}", fix.status));
    }

    // Read once: the fixed copy does not change while it is rendered.
    let kept = (mode == FixMode::Safe).then(|| kept_findings(&copy));
    for (variant, before) in variants.iter().zip(&before) {
        let output = helm.render(&copy, variant);
        if !output.status.success() {
            problems.push(format!(
                "(a) `{}` rendered before the fix but fails after it:\n{}",
                variant.describe(chart),
                String::from_utf8_lossy(&output.stderr)
            ));
            continue;
        }
        let after = String::from_utf8(output.stdout).expect("helm prints UTF-8");
        problems.extend(
            unexpected_changes(before, &after, mode)
                .into_iter()
                .map(|change| format!("(b) `{}`: {change}", variant.describe(chart))),
        );
        if let Some(findings) = &kept {
            problems.extend(
                remaining_legacy_images(&after)
                    .into_iter()
                    .filter(|image| !is_explained(image, findings))
                    .map(|image| {
                        format!(
                            "(c) `{}` still renders `image: {image}`, and `regshift check` reports \
                             no finding without a safe fix for it; kept findings: {}",
                            variant.describe(chart),
                            describe_findings(findings)
                        )
                    }),
            );
        }
    }

    problems.extend(changed_archives(&source, &copy));
    problems.extend(changed_history(&source, &copy));

    assert!(
        problems.is_empty(),
        "{chart}: after `{mode} .` the chart no longer renders the same manifests:\n\n{}\n\n\
         `{mode}` printed:\n{}{}",
        problems.join("\n\n"),
        String::from_utf8_lossy(&fix.stdout),
        String::from_utf8_lossy(&fix.stderr)
    );
}

/// The chart's defaults, then each `values-*.yaml` in the chart root, in name order.
fn render_variants(chart_dir: &Path) -> Vec<Variant> {
    let mut overrides: Vec<String> = fs::read_dir(chart_dir)
        .expect("the chart copy is readable")
        .map(|entry| entry.expect("a readable entry").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.starts_with(OVERRIDES_PREFIX) && name.ends_with(".yaml"))
        .collect();
    overrides.sort();
    std::iter::once(Variant { values_file: None })
        .chain(overrides.into_iter().map(|file| Variant {
            values_file: Some(file),
        }))
        .collect()
}

fn run_regshift_fix(chart_dir: &Path, mode: FixMode) -> Output {
    // The real binary, run in the chart's folder as a user would run it.
    let mut command = support::regshift(chart_dir);
    command.timeout(TIMEOUT).args(["fix", "--color", "never"]);
    if mode == FixMode::Unsafe {
        command.arg("--unsafe-fixes");
    }
    command.arg(".").output().expect("the regshift binary runs")
}

// ---------------------------------------------------------------------------------------------
// (b) the renders differ only by the registry host

/// The legacy host forms and the `registry.k8s.io` prefix each one becomes. Matches are
/// filtered to whole tokens by `is_whole_token`.
static SAFE_FORMS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"k8s\.gcr\.io|(?:eu|us|asia)\.gcr\.io/k8s-artifacts-prod|[a-z0-9]+(?:-[a-z0-9]+)*-docker\.pkg\.dev/k8s-artifacts-prod/images",
    )
    .expect("a valid pattern")
});

/// The old Google project paths, moved only by `--unsafe-fixes`.
static UNSAFE_FORMS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"gcr\.io/google[_-]containers").expect("a valid pattern"));

const NEW_REGISTRY: &str = "registry.k8s.io";

/// A match is the host (or host prefix) only when no name character touches it: not
/// `staging-k8s.gcr.io`, `notk8s.gcr.io`, `harbor.example.com/k8s.gcr.io`, `k8s.gcr.io-notes`
/// or `k8s.gcr.io.mirror.example.net`; a sentence's final `.` is fine.
fn is_whole_token(line: &str, start: usize, end: usize) -> bool {
    let bytes = line.as_bytes();
    let is_name_byte = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_';
    let before_ok =
        start == 0 || !(is_name_byte(bytes[start - 1]) || b"./@".contains(&bytes[start - 1]));
    let after_ok = match bytes.get(end) {
        None => true,
        Some(&b'.') => !bytes.get(end + 1).copied().is_some_and(is_name_byte),
        Some(&byte) => !is_name_byte(byte),
    };
    before_ok && after_ok
}

/// `line` with every whole legacy host form replaced by `registry.k8s.io`: what a fix that
/// changes only the registry host turns the line into.
fn host_swapped(line: &str, mode: FixMode) -> String {
    let mut spans: Vec<(usize, usize)> = SAFE_FORMS
        .find_iter(line)
        .map(|found| (found.start(), found.end()))
        .collect();
    if mode == FixMode::Unsafe {
        spans.extend(
            UNSAFE_FORMS
                .find_iter(line)
                .map(|found| (found.start(), found.end())),
        );
        spans.sort_unstable();
    }
    let mut swapped = String::with_capacity(line.len());
    let mut copied_up_to = 0;
    for (start, end) in spans {
        if start < copied_up_to || !is_whole_token(line, start, end) {
            continue;
        }
        swapped.push_str(&line[copied_up_to..start]);
        swapped.push_str(NEW_REGISTRY);
        copied_up_to = end;
    }
    swapped.push_str(&line[copied_up_to..]);
    swapped
}

/// Every line pair that differs by more than the registry host, as `-`/`+` lines with the
/// line that was expected instead. A changed line count means something other than a host
/// swap happened, so the whole diff is shown.
fn unexpected_changes(before: &str, after: &str, mode: FixMode) -> Vec<String> {
    let before_lines: Vec<&str> = before.lines().collect();
    let after_lines: Vec<&str> = after.lines().collect();
    if before_lines.len() != after_lines.len() {
        let diff = similar::TextDiff::from_lines(before, after)
            .unified_diff()
            .context_radius(2)
            .header("before fix", "after fix")
            .to_string();
        return vec![format!(
            "the render went from {} to {} lines:\n{diff}",
            before_lines.len(),
            after_lines.len()
        )];
    }
    before_lines
        .iter()
        .zip(&after_lines)
        .enumerate()
        .filter(|(_, (old, new))| old != new)
        .filter_map(|(index, (old, new))| {
            let expected = host_swapped(old, mode);
            (expected != **new).then(|| {
                let wanted = if expected == **old {
                    "expected the line unchanged".to_owned()
                } else {
                    format!("expected +{expected}")
                };
                format!(
                    "rendered line {} changed by more than the registry host:\n  -{old}\n  +{new}\n  {wanted}",
                    index + 1
                )
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// (c) no legacy image is left without a reason

static RENDERED_IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:-\s+)?image:\s*["']?([^"'\s]+)"#).expect("a valid pattern")
});

/// The `image:` values of a render whose registry is still a legacy host with a safe fix.
fn remaining_legacy_images(render: &str) -> Vec<String> {
    render
        .lines()
        .filter_map(|line| RENDERED_IMAGE.captures(line))
        .map(|captures| captures[1].to_owned())
        .filter(|image| {
            SAFE_FORMS.find(image).is_some_and(|found| {
                found.start() == 0
                    && image[found.end()..].starts_with('/')
                    && is_whole_token(image, found.start(), found.end())
            })
        })
        .collect()
}

/// A finding that `regshift fix` leaves in place on purpose.
#[derive(Debug)]
struct KeptFinding {
    path: String,
    line: u64,
    rule: String,
    reference: String,
    applicability: String,
}

/// `regshift check --format json` on the fixed copy, reduced to the findings without a safe fix.
fn kept_findings(chart_dir: &Path) -> Vec<KeptFinding> {
    kept_findings_at(chart_dir, ".")
}

/// `kept_findings` for `path` (relative to `dir`) alone, as `regshift check PATH` sees it.
fn kept_findings_at(dir: &Path, path: &str) -> Vec<KeptFinding> {
    let output = support::regshift(dir)
        .timeout(TIMEOUT)
        .args(["check", "--format", "json", path])
        .output()
        .expect("the regshift binary runs");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "`regshift check --format json` printed no JSON document ({error}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let text = |finding: &Value, key: &str| finding[key].as_str().unwrap_or_default().to_owned();
    report["findings"]
        .as_array()
        .expect("the JSON report has a findings array")
        .iter()
        .filter(|finding| matches!(finding["applicability"].as_str(), Some("none" | "unsafe")))
        .map(|finding| KeptFinding {
            path: text(finding, "path"),
            line: finding["line"].as_u64().unwrap_or_default(),
            rule: text(finding, "rule"),
            reference: text(finding, "reference"),
            applicability: text(finding, "applicability"),
        })
        .collect()
}

/// `image` was kept on purpose when a kept finding names the same image (tags and digests
/// aside: values often split them from the repository).
fn is_explained(image: &str, findings: &[KeptFinding]) -> bool {
    findings
        .iter()
        .any(|finding| image_name(&finding.reference) == image_name(image))
}

/// An image reference without its digest and tag.
fn image_name(reference: &str) -> &str {
    let without_digest = reference
        .split_once('@')
        .map_or(reference, |(name, _)| name);
    match without_digest.rfind(':') {
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    }
}

fn describe_findings(findings: &[KeptFinding]) -> String {
    if findings.is_empty() {
        return "none".to_owned();
    }
    findings
        .iter()
        .map(|finding| {
            format!(
                "\n  {}:{} {} {} ({})",
                finding.path, finding.line, finding.rule, finding.reference, finding.applicability
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// (d) archives and (e) history stay untouched

/// Every `.tgz` of the fixture whose bytes differ in the fixed copy.
fn changed_archives(source: &Path, copy: &Path) -> Vec<String> {
    files_under(source)
        .into_iter()
        .filter(|relative| relative.extension().is_some_and(|ext| ext == "tgz"))
        .filter_map(|relative| {
            let original = fs::read(source.join(&relative)).expect("the fixture archive");
            match fs::read(copy.join(&relative)) {
                Ok(fixed) if fixed == original => None,
                Ok(_) => Some(format!(
                    "(d) the packaged chart {} was modified",
                    relative.display()
                )),
                Err(error) => Some(format!(
                    "(d) the packaged chart {} is gone: {error}",
                    relative.display()
                )),
            }
        })
        .collect()
}

const HISTORY_ANNOTATION: &str = "artifacthub.io/changes:";

/// The `artifacthub.io/changes` text of the fixed Chart.yaml, when it differs from the fixture.
fn changed_history(source: &Path, copy: &Path) -> Option<String> {
    let original = fs::read_to_string(source.join("Chart.yaml")).expect("the fixture's Chart.yaml");
    let original_history = annotation_block(&original, HISTORY_ANNOTATION)?;
    let fixed = fs::read_to_string(copy.join("Chart.yaml")).unwrap_or_default();
    let fixed_history = annotation_block(&fixed, HISTORY_ANNOTATION).unwrap_or_default();
    (fixed_history != original_history).then(|| {
        format!(
            "(e) the artifacthub.io/changes history was rewritten:\n{}",
            similar::TextDiff::from_lines(&original_history, &fixed_history)
                .unified_diff()
                .header("Chart.yaml before fix", "Chart.yaml after fix")
        )
    })
}

/// The line holding `key` and every more deeply indented (or blank) line after it.
fn annotation_block(chart_yaml: &str, key: &str) -> Option<String> {
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut lines = chart_yaml
        .lines()
        .skip_while(|line| !line.trim_start().starts_with(key));
    let first = lines.next()?;
    let key_indent = indent(first);
    let mut block = format!("{first}\n");
    for line in lines.take_while(|line| line.trim().is_empty() || indent(line) > key_indent) {
        block.push_str(line);
        block.push('\n');
    }
    Some(block)
}

// ---------------------------------------------------------------------------------------------
// kubectl kustomize: overlays render the same manifests after the fix, up to the registry host
//
// `fixtures/kustomize/` is one tree: `base/` (a Deployment and a DaemonSet on k8s.gcr.io), a
// component, and overlays that reach the base in every way the contract distinguishes. The
// whole tree is copied, each kustomization is rendered, `regshift fix .` runs on the copy, and
// the kustomization is rendered again. `overlays/external` is also fixed on its own, so that its
// base lies outside the scanned path; `overlays/remote` has a remote base that kustomize cannot
// fetch here, so only regshift's bytes are checked for it.

/// What rendering a kustomization must show after the whole tree is fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Render {
    /// Renders, and the render differs from the one before exactly by the registry host.
    HostSwap,
    /// As `HostSwap`, through `helmCharts` (`--enable-helm`, needs helm as well).
    HelmHostSwap,
    /// Every image is redirected to a private mirror by `newName`: the render is unchanged.
    Unchanged,
    /// A component: it renders only as part of the overlays that include it.
    Component,
    /// A remote base, which kustomize would fetch from the network: not rendered.
    RemoteBase,
    /// Vendored upstream manifests, excluded from the scan by default (`third_party/`): they
    /// stay as they are, and are rendered only through the overlays that use them.
    Excluded,
}

/// Every folder of `fixtures/kustomize/` with a kustomization file, and what its render must
/// show. `every_kustomize_fixture_has_an_oracle_entry` keeps this list and the tree in step.
const KUSTOMIZATIONS: &[(&str, Render)] = &[
    ("base", Render::HostSwap),
    ("components/pin-pause", Render::Component),
    ("overlays/airgap", Render::Unchanged),
    ("overlays/external", Render::HostSwap),
    ("overlays/helm", Render::HelmHostSwap),
    ("overlays/legacy", Render::HostSwap),
    ("overlays/patched", Render::HostSwap),
    ("overlays/prod", Render::HostSwap),
    ("overlays/remote", Render::RemoteBase),
    ("overlays/vendored", Render::HostSwap),
    ("overlays/with-component", Render::HostSwap),
    ("third_party/metrics-server", Render::Excluded),
];

/// The names kustomize reads a kustomization from.
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn kustomize_fixtures() -> PathBuf {
    support::fixtures().join("kustomize")
}

#[test]
fn every_kustomize_fixture_has_an_oracle_entry() {
    let mut on_disk: Vec<String> = files_under(&kustomize_fixtures())
        .into_iter()
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| KUSTOMIZATION_FILES.iter().any(|file| name == *file))
        })
        .map(|path| {
            let folder = path.parent().expect("a file has a parent");
            folder
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = KUSTOMIZATIONS.iter().map(|(folder, _)| *folder).collect();
    assert_eq!(
        on_disk, listed,
        "every kustomization in fixtures/kustomize/ needs an entry in KUSTOMIZATIONS"
    );
}

#[test]
fn kustomize_base() {
    assert_kustomize_fix_changes_only_the_host("base");
}

/// `images[].name` (block and flow style) is rewritten together with the in-tree base, so the
/// `newTag` overrides keep applying.
#[test]
fn kustomize_overlay_prod() {
    assert_kustomize_fix_changes_only_the_host("overlays/prod");
}

/// Every image is redirected to `registry.internal.example` by `newName`. The names are
/// rewritten with the base, so the redirects keep matching and nothing may change in the
/// render: an air-gapped cluster must not start pulling from a public registry.
#[test]
fn kustomize_overlay_airgap() {
    assert_kustomize_fix_changes_only_the_host("overlays/airgap");
}

/// In the whole tree, this overlay's base is in the tree: the names are swapped with it.
#[test]
fn kustomize_overlay_external_in_the_whole_tree() {
    assert_kustomize_fix_changes_only_the_host("overlays/external");
}

/// `helmCharts[].valuesInline` holds Helm value shapes (`image.registry`, an image string).
#[test]
fn kustomize_overlay_helm_values_inline() {
    assert_kustomize_fix_changes_only_the_host("overlays/helm");
}

/// `kustomization.yml` with the deprecated `imageTags:` and a `newName` on the legacy host.
#[test]
fn kustomize_overlay_legacy_fields() {
    assert_kustomize_fix_changes_only_the_host("overlays/legacy");
}

/// `Kustomization` with inline patches (strategic merge and JSON 6902) that name images.
#[test]
fn kustomize_overlay_inline_patches() {
    assert_kustomize_fix_changes_only_the_host("overlays/patched");
}

/// The `images` entry sits in a component (`kind: Component`, no resources of its own); the
/// overlay that includes it brings the in-tree base. If the base is rewritten while the
/// component's `name` keeps the old host, the pinned tag silently stops applying.
#[test]
fn kustomize_overlay_with_component() {
    assert_kustomize_fix_changes_only_the_host("overlays/with-component");
}

/// The base is vendored under `third_party/`, which regshift does not scan by default, so it
/// keeps k8s.gcr.io: the overlay's `name` must stay and `newName` must redirect it, exactly as
/// for a base outside the scanned path.
#[test]
fn kustomize_overlay_with_a_vendored_base() {
    assert_kustomize_fix_changes_only_the_host("overlays/vendored");
}

/// `regshift fix overlays/external`: the base is outside the scanned path and stays as it is,
/// so each name is kept (it must still match the base) and `newName: registry.k8s.io/…` is
/// inserted after it; the render then pulls every image from registry.k8s.io.
#[test]
fn kustomize_overlay_with_its_base_outside_the_scanned_path() {
    let Some(kubectl) = support::require_tool("kubectl", "REGSHIFT_KUBECTL") else {
        return;
    };
    let overlay = "overlays/external";
    let sandbox = TempDir::new().expect("a temporary folder");
    let copy = sandbox.path().join("kustomize");
    copy_tree(&kustomize_fixtures(), &copy);
    let kustomize = Kustomize {
        kubectl,
        helm_command: None,
    };
    let before = kustomize.render_ok(&copy.join(overlay));
    assert!(
        !remaining_legacy_images(&before).is_empty(),
        "{overlay} must render legacy images before the fix, or this test proves nothing"
    );

    let fix = support::regshift(&copy)
        .timeout(TIMEOUT)
        .args(["fix", "--color", "never", overlay])
        .output()
        .expect("the regshift binary runs");
    let mut problems = Vec::new();
    if !matches!(fix.status.code(), Some(0 | 1)) {
        problems.push(format!(
            "`regshift fix {overlay}` exited with {}",
            fix.status
        ));
    }
    for relative in files_under(&kustomize_fixtures().join("base")) {
        let original =
            fs::read(kustomize_fixtures().join("base").join(&relative)).expect("the fixture base");
        if fs::read(copy.join("base").join(&relative)).ok() != Some(original) {
            problems.push(format!(
                "base/{} is outside the scanned path but was modified",
                relative.display()
            ));
        }
    }
    let fixed = fs::read_to_string(copy.join(overlay).join("kustomization.yaml"))
        .expect("the fixed kustomization");
    if fixed != EXTERNAL_OVERLAY_FIXED {
        problems.push(format!(
            "the kustomization is not the expected one:\n{}",
            similar::TextDiff::from_lines(EXTERNAL_OVERLAY_FIXED, &fixed)
                .unified_diff()
                .header("expected", "after fix")
        ));
    }
    match kustomize.render(&copy.join(overlay)) {
        Ok(after) => {
            if after == before {
                problems.push("the render did not change at all".to_owned());
            }
            problems.extend(unexpected_changes(&before, &after, FixMode::Safe));
            let kept = kept_findings_at(&copy, overlay);
            problems.extend(
                remaining_legacy_images(&after)
                    .into_iter()
                    .filter(|image| !is_explained(image, &kept))
                    .map(|image| {
                        format!("(c) still renders `image: {image}` and regshift reports no kept finding for it")
                    }),
            );
        }
        Err(error) => problems.push(format!("(a) no longer renders: {error}")),
    }
    assert!(
        problems.is_empty(),
        "{overlay}, fixed on its own:\n\n{}\n\n`regshift fix` printed:\n{}{}",
        problems.join("\n\n"),
        String::from_utf8_lossy(&fix.stdout),
        String::from_utf8_lossy(&fix.stderr)
    );
}

/// `overlays/external/kustomization.yaml` after `regshift fix overlays/external`.
const EXTERNAL_OVERLAY_FIXED: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: edge-
resources:
- ../../base
images:
  - name: k8s.gcr.io/metrics-server/metrics-server
    newName: registry.k8s.io/metrics-server/metrics-server
    newTag: v0.6.3
  - {name: k8s.gcr.io/pause, newName: registry.k8s.io/pause, newTag: "3.9"}
  - name: "k8s.gcr.io/e2e-test-images/busybox"   # the init container
    newName: registry.k8s.io/e2e-test-images/busybox
    newTag: 1.29-4
"#;

/// A remote base cannot be rendered without the network, so the oracle is the fixed bytes: the
/// names stay (they must match the remote base) and `newName` is inserted after each, whether
/// the whole tree or the overlay alone is fixed.
#[test]
fn kustomize_remote_base_keeps_the_name_and_gains_a_new_name() {
    for scanned in [".", "overlays/remote"] {
        let sandbox = TempDir::new().expect("a temporary folder");
        let copy = sandbox.path().join("kustomize");
        copy_tree(&kustomize_fixtures(), &copy);
        let fix = support::regshift(&copy)
            .timeout(TIMEOUT)
            .args(["fix", "--color", "never", scanned])
            .output()
            .expect("the regshift binary runs");
        let fixed = fs::read_to_string(copy.join("overlays/remote/kustomization.yaml"))
            .expect("the fixed kustomization");
        assert!(
            fixed == REMOTE_OVERLAY_FIXED,
            "`regshift fix {scanned}`: overlays/remote/kustomization.yaml is not the expected one:\n{}\n`regshift fix` printed:\n{}",
            similar::TextDiff::from_lines(REMOTE_OVERLAY_FIXED, &fixed)
                .unified_diff()
                .header("expected", "after fix"),
            String::from_utf8_lossy(&fix.stdout)
        );
    }
}

/// `overlays/remote/kustomization.yaml` after the fix.
const REMOTE_OVERLAY_FIXED: &str = r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- https://github.com/example/node-agent//deploy?ref=v1.4.0
images:
- name: k8s.gcr.io/pause
  newName: registry.k8s.io/pause
  newTag: "3.9"
- name: k8s.gcr.io/e2e-test-images/busybox
  newName: registry.k8s.io/e2e-test-images/busybox
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
"#;

/// The oracle must catch what a `sed` over the base alone does to kustomize: it leaves
/// `images[].name` on the old host, so the `newTag` of `overlays/prod` stops applying and the
/// air-gapped overlay starts pulling from the public registry.
#[test]
fn kustomize_oracle_catches_a_base_only_rewrite() {
    let Some(kubectl) = support::require_tool("kubectl", "REGSHIFT_KUBECTL") else {
        return;
    };
    let sandbox = TempDir::new().expect("a temporary folder");
    let copy = sandbox.path().join("kustomize");
    copy_tree(&kustomize_fixtures(), &copy);
    let kustomize = Kustomize {
        kubectl,
        helm_command: None,
    };
    let prod_before = kustomize.render_ok(&copy.join("overlays/prod"));
    let airgap_before = kustomize.render_ok(&copy.join("overlays/airgap"));
    for relative in files_under(&copy.join("base")) {
        let path = copy.join("base").join(relative);
        let text = fs::read_to_string(&path).expect("a text fixture");
        fs::write(&path, text.replace("k8s.gcr.io", NEW_REGISTRY)).expect("a writable copy");
    }
    let prod_after = kustomize.render_ok(&copy.join("overlays/prod"));
    let changes = unexpected_changes(&prod_before, &prod_after, FixMode::Safe);
    assert!(
        changes
            .iter()
            .any(|change| change.contains("registry.k8s.io/metrics-server/metrics-server:v0.6.1")),
        "the oracle let a base-only rewrite through in overlays/prod; it reported: {changes:#?}"
    );
    let airgap_after = kustomize.render_ok(&copy.join("overlays/airgap"));
    assert_ne!(
        airgap_before, airgap_after,
        "a base-only rewrite must change the air-gapped render, or the Unchanged check proves nothing"
    );
}

/// `kubectl kustomize`, with helm for `helmCharts` when `helm_command` is set.
struct Kustomize {
    kubectl: PathBuf,
    helm_command: Option<PathBuf>,
}

impl Kustomize {
    /// The render of the kustomization in `dir`, or kubectl's error.
    fn render(&self, dir: &Path) -> Result<String, String> {
        let mut command = Command::new(&self.kubectl);
        command.arg("kustomize").timeout(TIMEOUT);
        if let Some(helm) = &self.helm_command {
            command.arg("--enable-helm").arg("--helm-command").arg(helm);
        }
        let output = command
            .arg(dir)
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", self.kubectl.display()));
        if output.status.success() {
            Ok(String::from_utf8(output.stdout).expect("kubectl prints UTF-8"))
        } else {
            Err(format!(
                "`{} kustomize {}` failed ({}):\n{}",
                self.kubectl.display(),
                dir.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// `render`, for the fixtures as written: they must render, or the test is broken.
    fn render_ok(&self, dir: &Path) -> String {
        self.render(dir)
            .unwrap_or_else(|error| panic!("the fixture does not render before the fix: {error}"))
    }
}

/// kustomize 5 (as in kubectl 1.32) asks `helm version -c --short` first and accepts only helm
/// 3; helm 4 dropped `-c`. This shim answers that probe and hands every other call (`helm
/// template …`) to the real helm. `None` where no POSIX shell runs scripts.
#[cfg(unix)]
fn helm_command_for_kustomize(helm: &Path, dir: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let quoted = helm.to_string_lossy().replace('\'', r"'\''");
    let script = format!(
        "#!/bin/sh\n\
         # kustomize probes `helm version -c --short` and requires helm 3; helm 4 has no -c.\n\
         if [ \"$1\" = version ]; then echo v3.99.0; exit 0; fi\n\
         exec '{quoted}' \"$@\"\n"
    );
    let path = dir.join("helm-for-kustomize");
    fs::write(&path, script).expect("a writable sandbox");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("a writable sandbox");
    Some(path)
}

#[cfg(not(unix))]
fn helm_command_for_kustomize(_helm: &Path, _dir: &Path) -> Option<PathBuf> {
    None
}

/// Renders one kustomization of the tree, fixes the whole tree, renders again, and panics with
/// every broken promise at once.
fn assert_kustomize_fix_changes_only_the_host(folder: &str) {
    let render = KUSTOMIZATIONS
        .iter()
        .find(|(listed, _)| *listed == folder)
        .map(|(_, render)| *render)
        .unwrap_or_else(|| panic!("{folder} is not in KUSTOMIZATIONS"));
    assert!(
        matches!(
            render,
            Render::HostSwap | Render::HelmHostSwap | Render::Unchanged
        ),
        "{folder} is not rendered on its own ({render:?})"
    );
    let Some(kubectl) = support::require_tool("kubectl", "REGSHIFT_KUBECTL") else {
        return;
    };
    let sandbox = TempDir::new().expect("a temporary folder");
    let helm_command = if render == Render::HelmHostSwap {
        let Some(helm) = support::require_tool("helm", "REGSHIFT_HELM") else {
            return;
        };
        let Some(command) = helm_command_for_kustomize(&helm, sandbox.path()) else {
            println!("skipped: kustomize's helm shim needs a POSIX shell");
            return;
        };
        Some(command)
    } else {
        None
    };
    let kustomize = Kustomize {
        kubectl,
        helm_command,
    };
    let copy = sandbox.path().join("kustomize");
    copy_tree(&kustomize_fixtures(), &copy);
    let target = copy.join(folder);

    let before = kustomize.render_ok(&target);
    if render != Render::Unchanged {
        assert!(
            !remaining_legacy_images(&before).is_empty(),
            "{folder} must render legacy images before the fix, or this test proves nothing"
        );
    }
    let fix = run_regshift_fix(&copy, FixMode::Safe);
    let mut problems = Vec::new();
    if !matches!(fix.status.code(), Some(0 | 1)) {
        problems.push(format!("`regshift fix .` exited with {}", fix.status));
    }
    match kustomize.render(&target) {
        Err(error) => problems.push(format!(
            "(a) rendered before the fix but fails after it: {error}"
        )),
        Ok(after) => {
            if render == Render::Unchanged {
                if after != before {
                    problems.push(format!(
                        "every image is redirected by newName, so the render must not change:\n{}",
                        similar::TextDiff::from_lines(&before, &after)
                            .unified_diff()
                            .context_radius(2)
                            .header("before fix", "after fix")
                    ));
                }
            } else {
                if after == before {
                    problems.push("the render did not change at all".to_owned());
                }
                problems.extend(
                    unexpected_changes(&before, &after, FixMode::Safe)
                        .into_iter()
                        .map(|change| format!("(b) {change}")),
                );
            }
            let kept = kept_findings(&copy);
            problems.extend(
                remaining_legacy_images(&after)
                    .into_iter()
                    .filter(|image| !is_explained(image, &kept))
                    .map(|image| {
                        format!(
                            "(c) still renders `image: {image}`, and `regshift check` reports no \
                             finding without a safe fix for it; kept findings: {}",
                            describe_findings(&kept)
                        )
                    }),
            );
        }
    }
    assert!(
        problems.is_empty(),
        "kubectl kustomize {folder}: after `regshift fix .` on the whole tree the overlay no \
         longer renders the same manifests:\n\n{}\n\n`regshift fix` printed:\n{}{}",
        problems.join("\n\n"),
        String::from_utf8_lossy(&fix.stdout),
        String::from_utf8_lossy(&fix.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// kubeadm: the images kubeadm pulls for each configuration, before and after the fix
//
// No kubeadm binary is needed: its image names follow a few rules (kubernetes/kubeadm#2761),
// computed here from the parsed configuration for the configured `kubernetesVersion` (or the
// Cluster API `spec.version`; every version class when neither is set):
//
// - the default repository is k8s.gcr.io before v1.22.17, v1.23.15, v1.24.9 and v1.25.0, and
//   registry.k8s.io from them on; an unset `imageRepository` is the default;
// - control-plane images are `<imageRepository>/<name>:<version>`; etcd is
//   `<etcd.local.imageRepository or imageRepository>/etcd:<tag>`;
// - CoreDNS is `<dns repository>/coredns:<tag>`, where the DNS repository is
//   `dns.imageRepository` or `imageRepository`, with `/coredns` appended only when it equals
//   the version's default (kubernetes/kubeadm#2761), from v1.21.2 on. Before v1.21 nothing is
//   appended and the tag has no `v` (`k8s.gcr.io/coredns:1.7.0`); v1.21.0 and v1.21.1 name
//   `<dns repository>/coredns/coredns:v1.8.0` for any repository (kubernetes/kubernetes#102502).
//
// After the fix every image must be the one before with its host swapped, except a CoreDNS
// image that was already broken before (`k8s.gcr.io/coredns:<tag>` on a version whose default
// is registry.k8s.io), which must become the working `registry.k8s.io/coredns/coredns:<tag>`.
// CoreDNS's `v` tags are only under `coredns/coredns`, its older tags only right under the
// host: `registry.k8s.io/coredns:v1.8.6` and `registry.k8s.io/coredns/coredns:1.7.0` do not
// exist and must never appear.

/// One version from each class of kubeadm default, for configurations without a version: the
/// fix assumes a kubeadm from v1.21.2 on (every release since June 2021).
const KUBEADM_VERSION_CLASSES: &[&str] = &[
    "v1.21.14", "v1.22.16", "v1.22.17", "v1.23.14", "v1.23.15", "v1.24.8", "v1.24.9", "v1.25.0",
    "v1.31.2",
];

const LEGACY_REGISTRY: &str = "k8s.gcr.io";

fn kubeadm_fixtures() -> PathBuf {
    support::fixtures().join("kubeadm")
}

/// A kubeadm `ClusterConfiguration`, standalone or embedded by Cluster API.
struct ClusterConfig<'a> {
    label: String,
    node: &'a Node,
    /// `kubernetesVersion`, else the Cluster API object's `spec.version`.
    version: Option<String>,
}

fn cluster_configs(documents: &[Node]) -> Vec<ClusterConfig<'_>> {
    let text = |node: &Node, key: &str| node.get(key).and_then(Node::as_str).map(str::to_owned);
    let mut configs = Vec::new();
    for (index, root) in documents.iter().enumerate() {
        let api_version = text(root, "apiVersion").unwrap_or_default();
        let kind = text(root, "kind").unwrap_or_default();
        if api_version.starts_with("kubeadm.k8s.io/") {
            if kind == "ClusterConfiguration" {
                configs.push(ClusterConfig {
                    label: format!("document {} ({kind})", index + 1),
                    node: root,
                    version: text(root, "kubernetesVersion"),
                });
            }
            continue;
        }
        let spec_version = root
            .get("spec")
            .and_then(|spec| spec.get("version"))
            .and_then(Node::as_str);
        let mut mappings = Vec::new();
        root.mappings(None, &mut mappings);
        for (key, mapping) in mappings {
            if key == Some("clusterConfiguration") {
                configs.push(ClusterConfig {
                    label: format!("document {} ({kind} clusterConfiguration)", index + 1),
                    node: mapping,
                    version: text(mapping, "kubernetesVersion")
                        .or_else(|| spec_version.map(str::to_owned)),
                });
            }
        }
    }
    configs
}

/// `v1.24.3` → (24, 3); `None` for anything else (`stable`, an envsubst placeholder).
fn kubeadm_minor_patch(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    let patch: String = parts
        .next()
        .unwrap_or("0")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (major == 1).then_some((minor, patch.parse().ok()?))
}

/// kubeadm's compiled-in default repository for `version`.
fn kubeadm_default_registry(version: &str) -> &'static str {
    let (minor, patch) = kubeadm_minor_patch(version).expect("a version the oracle can read");
    let new_default = match minor {
        ..=21 => false,
        22 => patch >= 17,
        23 => patch >= 15,
        24 => patch >= 9,
        _ => true,
    };
    if new_default {
        NEW_REGISTRY
    } else {
        LEGACY_REGISTRY
    }
}

/// The CoreDNS tag kubeadm pins for a minor version. Only the repository is under test: the
/// tag is the same before and after the fix.
fn kubeadm_coredns_tag(version: &str) -> &'static str {
    match kubeadm_minor_patch(version).map(|(minor, _)| minor) {
        Some(..=20) => "1.7.0",
        Some(21) => "v1.8.0",
        Some(22) => "v1.8.4",
        Some(23 | 24) => "v1.8.6",
        Some(25 | 26) => "v1.9.3",
        Some(27 | 28) => "v1.10.1",
        Some(29 | 30) => "v1.11.1",
        _ => "v1.11.3",
    }
}

#[derive(Debug)]
struct KubeadmImages {
    coredns: String,
    coredns_tag: String,
    /// kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, etcd.
    others: Vec<String>,
}

/// The images kubeadm `version` pulls for `config`.
fn kubeadm_images(config: &Node, version: &str) -> KubeadmImages {
    let value = |node: Option<&Node>, key: &str| {
        node.and_then(|node| node.get(key))
            .and_then(Node::as_str)
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let default = kubeadm_default_registry(version);
    let repository = value(Some(config), "imageRepository").unwrap_or_else(|| default.to_owned());
    let dns = config.get("dns");
    let mut dns_repository = value(dns, "imageRepository").unwrap_or_else(|| repository.clone());
    match kubeadm_minor_patch(version) {
        Some((..=20, _)) => {}
        Some((21, ..=1)) => dns_repository.push_str("/coredns"),
        _ if dns_repository == default => dns_repository.push_str("/coredns"),
        _ => {}
    }
    let coredns_tag =
        value(dns, "imageTag").unwrap_or_else(|| kubeadm_coredns_tag(version).to_owned());
    let local_etcd = config.get("etcd").and_then(|etcd| etcd.get("local"));
    let etcd_repository =
        value(local_etcd, "imageRepository").unwrap_or_else(|| repository.clone());
    let etcd_tag = value(local_etcd, "imageTag").unwrap_or_else(|| "<tag>".to_owned());
    let mut others: Vec<String> = [
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kube-proxy",
    ]
    .iter()
    .map(|name| format!("{repository}/{name}:{version}"))
    .collect();
    others.push(format!("{etcd_repository}/etcd:{etcd_tag}"));
    KubeadmImages {
        coredns: format!("{dns_repository}/coredns:{coredns_tag}"),
        coredns_tag,
        others,
    }
}

/// `image` with a leading legacy host replaced by registry.k8s.io. kubeadm joins a repository
/// spelled with a trailing `/` into `k8s.gcr.io//name`; the fix writes the repository without
/// the slash, so the doubled slash goes too.
fn kubeadm_host_swapped(image: &str) -> String {
    match image.strip_prefix("k8s.gcr.io/") {
        Some(rest) => format!("{NEW_REGISTRY}/{}", rest.trim_start_matches('/')),
        None => image.to_owned(),
    }
}

/// What is wrong with the images of `after` compared with those of `before`, for one file.
/// Returns the number of configurations compared, and the problems.
fn kubeadm_problems(file: &str, before: &str, after: &str) -> (usize, Vec<String>) {
    let before_documents = documents(before);
    let after_documents = documents(after);
    let before_configs = cluster_configs(&before_documents);
    let after_configs = cluster_configs(&after_documents);
    if before_configs.len() != after_configs.len() {
        return (
            before_configs.len(),
            vec![format!(
                "{file}: {} cluster configurations before the fix, {} after it",
                before_configs.len(),
                after_configs.len()
            )],
        );
    }
    let mut problems = Vec::new();
    for (old, new) in before_configs.iter().zip(&after_configs) {
        let versions: Vec<&str> = match old.version.as_deref() {
            Some(version) if kubeadm_minor_patch(version).is_some() => vec![version],
            _ => KUBEADM_VERSION_CLASSES.to_vec(),
        };
        for version in versions {
            let old_images = kubeadm_images(old.node, version);
            let new_images = kubeadm_images(new.node, version);
            let place = format!("{file} {} with kubeadm {version}", old.label);
            let works = |image: &str| {
                image.split_once('/').is_some_and(|(_, path)| {
                    match path.strip_prefix("coredns/coredns:") {
                        Some(tag) => tag.starts_with('v'),
                        None => path
                            .strip_prefix("coredns:")
                            .is_some_and(|tag| !tag.starts_with('v')),
                    }
                })
            };
            let wanted_coredns =
                if old_images.coredns.starts_with("k8s.gcr.io/") && !works(&old_images.coredns) {
                    format!("{NEW_REGISTRY}/coredns/coredns:{}", old_images.coredns_tag)
                } else {
                    kubeadm_host_swapped(&old_images.coredns)
                };
            if new_images.coredns != wanted_coredns {
                problems.push(format!(
                    "{place}: CoreDNS was {}, is {} after the fix, expected {wanted_coredns}",
                    old_images.coredns, new_images.coredns
                ));
            }
            if !works(&new_images.coredns) && works(&old_images.coredns) {
                problems.push(format!(
                    "{place}: CoreDNS becomes {}, which does not exist (kubernetes/kubeadm#2761)",
                    new_images.coredns
                ));
            }
            for (old_image, new_image) in old_images.others.iter().zip(&new_images.others) {
                let wanted = kubeadm_host_swapped(old_image);
                if *new_image != wanted {
                    problems.push(format!(
                        "{place}: {old_image} becomes {new_image} after the fix, expected {wanted}"
                    ));
                }
            }
        }
    }
    (before_configs.len(), problems)
}

#[test]
fn every_kubeadm_fixture_holds_a_cluster_configuration() {
    for relative in files_under(&kubeadm_fixtures()) {
        let text = fs::read_to_string(kubeadm_fixtures().join(&relative)).expect("a text fixture");
        let documents = documents(&text);
        let configs = cluster_configs(&documents);
        assert!(
            !configs.is_empty(),
            "fixtures/kubeadm/{}: no ClusterConfiguration the oracle can read",
            relative.display()
        );
        for config in configs {
            let images = kubeadm_images(config.node, KUBEADM_VERSION_CLASSES[0]);
            assert!(
                images.coredns.starts_with("k8s.gcr.io/")
                    || images
                        .others
                        .iter()
                        .any(|image| image.starts_with("k8s.gcr.io/")),
                "fixtures/kubeadm/{} {}: no image on k8s.gcr.io, so the fix has nothing to prove",
                relative.display(),
                config.label
            );
        }
    }
}

#[test]
fn kubeadm_images_differ_only_by_the_host_after_fix() {
    let sandbox = TempDir::new().expect("a temporary folder");
    let copy = sandbox.path().join("kubeadm");
    copy_tree(&kubeadm_fixtures(), &copy);
    let fix = run_regshift_fix(&copy, FixMode::Safe);
    let mut problems = Vec::new();
    if !matches!(fix.status.code(), Some(0 | 1)) {
        problems.push(format!("`regshift fix .` exited with {}", fix.status));
    }
    let mut compared = 0;
    for relative in files_under(&kubeadm_fixtures()) {
        let before =
            fs::read_to_string(kubeadm_fixtures().join(&relative)).expect("a text fixture");
        let after = fs::read_to_string(copy.join(&relative)).expect("the fixed copy");
        let (count, file_problems) = kubeadm_problems(
            &format!("fixtures/kubeadm/{}", relative.display()),
            &before,
            &after,
        );
        compared += count;
        problems.extend(file_problems);
    }
    assert!(
        compared >= 12,
        "only {compared} configurations were compared"
    );
    assert!(
        problems.is_empty(),
        "after `regshift fix .` kubeadm would pull other images:\n\n{}\n\n`regshift fix` printed:\n{}{}",
        problems.join("\n"),
        String::from_utf8_lossy(&fix.stdout),
        String::from_utf8_lossy(&fix.stderr)
    );
}

/// The oracle must catch what a plain host swap does to kubeadm: it gives kubeadm
/// before v1.22.17/v1.23.15/v1.24.9 the CoreDNS image `registry.k8s.io/coredns:<tag>`, and a
/// repository written `k8s.gcr.io/` keeps its slash.
#[test]
fn kubeadm_oracle_catches_a_naive_host_swap() {
    let mut problems = Vec::new();
    for relative in files_under(&kubeadm_fixtures()) {
        let before =
            fs::read_to_string(kubeadm_fixtures().join(&relative)).expect("a text fixture");
        let after = before.replace("k8s.gcr.io", NEW_REGISTRY);
        problems.extend(kubeadm_problems(&relative.display().to_string(), &before, &after).1);
    }
    for telltale in [
        "v1beta2-v1.21.yaml document 2 (ClusterConfiguration) with kubeadm v1.21.14: CoreDNS was k8s.gcr.io/coredns/coredns:v1.8.0, is registry.k8s.io/coredns:v1.8.0",
        "v1beta3-trailing-slash.yaml document 1 (ClusterConfiguration) with kubeadm v1.25.3: CoreDNS was k8s.gcr.io//coredns:v1.9.3, is registry.k8s.io//coredns:v1.9.3",
    ] {
        assert!(
            problems.iter().any(|problem| problem.starts_with(telltale)),
            "the kubeadm oracle let a naive host swap through; expected a problem starting with\n  {telltale}\nit reported:\n{}",
            problems.join("\n")
        );
    }
}
