//! Real tools as oracles. Each chart in `fixtures/helm/` is copied to a temporary folder and
//! rendered with `helm template`; the real `regshift fix` runs on the copy, and the chart is
//! rendered again. The contract (DESIGN.md, "Real tools" in STYLE.md):
//!
//! - (a) a chart that rendered before the fix renders after it;
//! - (b) the renders differ only where swapping each legacy host form of the "before" line for
//!   `registry.k8s.io` gives exactly the "after" line;
//! - (c) no rendered `image:` still names a legacy host, unless `regshift check` on the fixed
//!   copy reports that image without a safe fix (applicability `none` or `unsafe`);
//! - (d) packaged dependencies (`charts/*.tgz`) are byte-identical;
//! - (e) the `artifacthub.io/changes` history in Chart.yaml is unchanged.
//!
//! The tools come from `$REGSHIFT_HELM` / `$REGSHIFT_KUBECTL`, else `PATH`, else
//! `target/tools/bin/` (where `.ci/install-tools.sh` puts them). A missing tool skips its test
//! with `skipped: helm not found on PATH`, unless `REGSHIFT_REQUIRE_TOOLS=1` (set by CI), which
//! turns it into a failure so no skip goes unnoticed.

use std::env;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;
use std::time::Duration;

use assert_cmd::Command;
use regex::Regex;
use serde_json::Value;
use tempfile::TempDir;

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

// ---------------------------------------------------------------------------------------------
// Tool discovery

/// The path of an external tool: `$override_var` when set, else the first `name` on `PATH`,
/// else the copy `.ci/install-tools.sh` puts in `target/tools/bin/`.
fn find_tool(name: &str, override_var: &str) -> Option<PathBuf> {
    if let Some(path) = env::var_os(override_var).filter(|path| !path.is_empty()) {
        // An explicit path is used as given: if it is wrong, running it fails loudly.
        return Some(PathBuf::from(path));
    }
    let file_name = format!("{name}{}", env::consts::EXE_SUFFIX);
    let on_path = env::var_os("PATH")
        .into_iter()
        .flat_map(|path| env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(&file_name))
        .find(|candidate| is_executable(candidate));
    on_path.or_else(|| {
        let installed = repo_root().join("target/tools/bin").join(&file_name);
        is_executable(&installed).then_some(installed)
    })
}

/// `find_tool`, or `None` after printing the skip line. With `REGSHIFT_REQUIRE_TOOLS=1` a
/// missing tool is a failure instead.
fn require_tool(name: &str, override_var: &str) -> Option<PathBuf> {
    if let Some(path) = find_tool(name, override_var) {
        return Some(path);
    }
    assert!(
        env::var("REGSHIFT_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "{name} not found: set ${override_var}, or put it on PATH or in target/tools/bin/ \
         (.ci/install-tools.sh installs helm there); REGSHIFT_REQUIRE_TOOLS=1 forbids skipping"
    );
    println!("skipped: {name} not found on PATH");
    None
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn helm_fixtures() -> PathBuf {
    repo_root().join("fixtures/helm")
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
    let Some(kubectl) = require_tool("kubectl", "REGSHIFT_KUBECTL") else {
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

/// The oracle must catch the `sed s/k8s.gcr.io/registry.k8s.io/` that DESIGN.md warns about:
/// it turns `staging-k8s.gcr.io` into another host and flips the helpers chart's comparison.
#[test]
fn a_naive_sed_fails_the_oracle() {
    let Some(helm_binary) = require_tool("helm", "REGSHIFT_HELM") else {
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
    let Some(helm_binary) = require_tool("helm", "REGSHIFT_HELM") else {
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

/// The real regshift binary, run in the chart's folder as a user would run it.
fn regshift(chart_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_regshift"));
    command
        .current_dir(chart_dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM")
        .timeout(TIMEOUT);
    command
}

fn run_regshift_fix(chart_dir: &Path, mode: FixMode) -> Output {
    let mut command = regshift(chart_dir);
    command.args(["fix", "--color", "never"]);
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
    let output = regshift(chart_dir)
        .args(["check", "--format", "json", "."])
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
// Files

/// Paths of all regular files below `root`, relative to it, in name order.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        for entry in fs::read_dir(root.join(&relative)).expect("a readable fixture folder") {
            let entry = entry.expect("a readable entry");
            let path = relative.join(entry.file_name());
            let file_type = entry.file_type().expect("a file type");
            if file_type.is_dir() {
                pending.push(path);
            } else if file_type.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn copy_tree(source: &Path, target: &Path) {
    for relative in files_under(source) {
        let destination = target.join(&relative);
        fs::create_dir_all(destination.parent().expect("a file has a parent"))
            .expect("a writable sandbox");
        fs::copy(source.join(&relative), &destination).expect("the fixture copies");
    }
}
