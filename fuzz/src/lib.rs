//! The fuzz oracle shared by the libFuzzer target (`fuzz_targets/detect_fix_render.rs`) and the
//! stable replay runner (`src/bin/replay.rs`).
//!
//! An input is one selector byte and the file's bytes. The selector picks the file's name (and
//! so its kind) and its place in a chart or kustomization, so one corpus reaches every
//! detector: YAML, JSON, Dockerfile, shell, Go, Markdown, Helm templates, `Chart.yaml`,
//! kustomizations with and without in-tree bases, values, TOML, packaged chart members, and
//! shell scripts whose `sed` commands search files the fix rewrites.
//!
//! [`check`] runs the bytes through what `regshift check`, `fix` and `fix --diff` do, without
//! the file system, and panics when an invariant of the fix contract (README.md, "How files
//! are fixed"; ARCHITECTURE.md, "Invariants") does not hold:
//!
//! - nothing panics (detection, both fix levels, re-detection of the fixed bytes, the diff,
//!   every renderer);
//! - every finding's range, and every edit, lies inside the file; for UTF-8 input on char
//!   boundaries; each edit's `original` is the bytes it replaces;
//! - findings come sorted; each fix's edits are sorted and do not overlap;
//! - `apply_fixes` succeeds on the findings of its own buffer; the edits it applied are sorted,
//!   do not overlap, and every byte outside them is unchanged (checked by an independent
//!   splice); UTF-8 in gives UTF-8 out;
//! - a packaged chart member gets no fix;
//! - the YAML guard `fix` runs before writing, which parses only the documents holding the
//!   edits, refuses every fix that raises the whole file's count of documents that fail to
//!   parse; the count it compares, which skips the runs of documents that the line reader
//!   accepts, is the parser's count;
//! - every YAML document the line reader accepts (`detect::yaml::lines`) parses, with the
//!   parser's events and spans, and the structure found for the hits is the parser's;
//! - the JSON and SARIF documents parse, and JSON byte offsets match the findings; for UTF-8
//!   input every renderer writes UTF-8.

use std::io::Write;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use regshift::finding::{Edit, Finding};
use regshift::fix::{Applied, FixLevel, apply_fixes};
use regshift::internals::{
    Carrier, ChartRole, Detection, Detector, KustomizeBases as Bases, Origin, Packaged, RuleFilter,
    SedInput, SedInputs, SourceFile, check_failure_count, check_line_reader, check_safe_edits,
    document_chunks, sed_commands,
};
use regshift::path::RepoPath;
use regshift::report::concise::ConciseReporter;
use regshift::report::diff::{DiffReporter, unified_diff};
use regshift::report::github::GithubReporter;
use regshift::report::human::HumanReporter;
use regshift::report::json::{JsonLinesReporter, JsonReporter};
use regshift::report::markdown::MarkdownReporter;
use regshift::report::sarif::SarifReporter;
use regshift::report::{FileReport, FileStatus, RenderOptions, Reporter, RunReport, Summary};
use regshift::rules::Severity;
use regshift::settings::Mode;

/// Where the fuzzed file lives. The selector byte is an index into [`NAMES`] (modulo its
/// length); `fuzz/seed.sh` uses the same table.
#[derive(Debug, Clone, Copy)]
pub struct Name {
    pub path: &'static str,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// No chart or kustomization around it.
    Plain,
    Chart(ChartRole),
    /// A kustomization whose bases are outside the scanned tree (the fix inserts `newName`).
    KustomizationRemoteBases,
    /// A kustomization whose bases in the tree use the common legacy images.
    KustomizationInTreeBases,
    /// A member of a packaged chart dependency: reported, never fixed.
    Packaged(ChartRole),
}

const fn name(path: &'static str, role: Role) -> Name {
    Name { path, role }
}

/// Keep this table's order: the seed corpus and the regression fixtures name entries by index
/// (the number on each line).
#[rustfmt::skip]
pub const NAMES: &[Name] = &[
    /* 0 */ name("deploy/app.yaml", Role::Plain),
    /* 1 */ name("deploy/manifest.json", Role::Plain),
    /* 2 */ name("build/Dockerfile", Role::Plain),
    /* 3 */ name("hack/pull-images.sh", Role::Plain),
    /* 4 */ name("cmd/images/main.go", Role::Plain),
    /* 5 */ name("docs/README.md", Role::Plain),
    /* 6 */ name("chart/templates/x.yaml", Role::Chart(ChartRole::Template)),
    /* 7 */ name("chart/Chart.yaml", Role::Chart(ChartRole::ChartYaml)),
    /* 8 */ name("kustomization.yaml", Role::KustomizationRemoteBases),
    /* 9 */ name("chart/values.yaml", Role::Chart(ChartRole::Values)),
    /* 10 */ name("etc/containerd/config.toml", Role::Plain),
    /* 11 */ name("overlays/prod/kustomization.yaml", Role::KustomizationInTreeBases),
    /* 12 */ name("chart/templates/_helpers.tpl", Role::Chart(ChartRole::Template)),
    /* 13 */ name("Makefile", Role::Plain),
    /* 14 */ name("etc/default/kubelet", Role::Plain),
    /* 15 */ name("charts/dep-1.0.0.tgz!dep/values.yaml", Role::Packaged(ChartRole::Values)),
    /* 16 */ name("etc/systemd/system/kubelet.service.d/10-kubeadm.conf", Role::Plain),
    /* 17 */ name("infra/main.tf", Role::Plain),
    /* 18 */ name("docs/notes.txt", Role::Plain),
];

/// The legacy host, spelled so that `regshift check` on this repository does not report it.
pub const LEGACY_HOST: &str = concat!("k8s", ".gcr.io");

/// Images the "in-tree bases" kustomization's bases use (lowercase host, no tag).
fn in_tree_bases() -> Bases {
    Bases {
        in_tree_images: ["pause", "busybox", "coredns/coredns", "kube-proxy", "etcd"]
            .iter()
            .map(|image| format!("{LEGACY_HOST}/{image}"))
            .collect(),
    }
}

static DETECTOR: LazyLock<Detector> = LazyLock::new(Detector::new);
static IN_TREE_BASES: LazyLock<Arc<Bases>> = LazyLock::new(|| Arc::new(in_tree_bases()));
static REMOTE_BASES: LazyLock<Arc<Bases>> = LazyLock::new(|| Arc::new(Bases::default()));

/// A script's origin as the engine builds it when every file its `sed` commands name is in
/// the tree and fixed: each command's file holds the new host and none of the old one, so a
/// pattern that searches it moves. Parses the input's `sed` commands on the way.
fn searched_by_sed(bytes: &[u8]) -> Origin {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Origin::default();
    };
    let by_line: std::collections::HashMap<usize, Vec<SedInput>> = sed_commands(text)
        .into_iter()
        .map(|command| {
            let input = SedInput {
                display: "etc/kubeadm.yaml".into(),
                fixed: b"imageRepository: registry.k8s.io\n".as_slice().into(),
            };
            (command.line, vec![input])
        })
        .collect();
    Origin {
        sed_inputs: (!by_line.is_empty()).then(|| Arc::new(SedInputs { by_line })),
        ..Origin::default()
    }
}

/// Split an input into the file's name and its bytes; `None` for the empty input.
pub fn split_input(data: &[u8]) -> Option<(Name, &[u8])> {
    let (&selector, bytes) = data.split_first()?;
    Some((NAMES[selector as usize % NAMES.len()], bytes))
}

/// The file as the engine would build it for this name.
pub fn source_file(name: Name, bytes: &[u8]) -> SourceFile {
    let (role, origin) = match name.role {
        Role::Plain if name.path.ends_with(".sh") => (None, searched_by_sed(bytes)),
        Role::Plain => (None, Origin::default()),
        Role::Chart(role) => (Some(role), Origin::default()),
        Role::KustomizationRemoteBases => (
            None,
            Origin {
                kustomization: Some(REMOTE_BASES.clone()),
                ..Origin::default()
            },
        ),
        Role::KustomizationInTreeBases => (
            None,
            Origin {
                kustomization: Some(IN_TREE_BASES.clone()),
                ..Origin::default()
            },
        ),
        Role::Packaged(role) => (
            Some(role),
            Origin {
                packaged: Some(Packaged {
                    dependency_prefix: Some("dep".into()),
                }),
                ..Origin::default()
            },
        ),
    };
    let carrier = Carrier::of(name.path, role);
    SourceFile::with_carrier(RepoPath::new(name.path), bytes.to_vec(), carrier).with_origin(origin)
}

/// Run one fuzz input through detect, fix (both levels), diff and every renderer, and check
/// the invariants listed in the crate documentation. Panics on a violation.
pub fn check(data: &[u8]) {
    let Some((name, bytes)) = split_input(data) else {
        return;
    };
    let source = source_file(name, bytes);
    let detector = &*DETECTOR;
    let filter = RuleFilter::default();
    let utf8 = std::str::from_utf8(bytes).is_ok();

    let detection = detector.detect(&source, &filter);
    check_findings(&source, &detection.findings, utf8, "detection");

    // The line reader must read every document it accepts as the parser does.
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Err(error) = check_line_reader(text, detector.scanner())
    {
        panic!("line reader: {error}");
    }

    // Rendering costs more than detection; each renderer sees each kind of report once per
    // input, at the fix level a bit of the selector byte picks.
    let render_level = if usize::from(data[0]) / NAMES.len() % 2 == 1 {
        FixLevel::IncludeUnsafe
    } else {
        FixLevel::SafeOnly
    };
    render_all(
        &file_report(name.path, &detection, None, 0),
        options(Mode::Check, render_level),
        utf8,
    );
    for level in [FixLevel::SafeOnly, FixLevel::IncludeUnsafe] {
        let applied = apply_fixes(bytes, &detection.findings, level).unwrap_or_else(|error| {
            panic!("{level:?}: the findings' edits do not match their own buffer: {error}")
        });
        let accepted = accepted_edits(&detection.findings, &applied.fixed);
        check_accepted(bytes, &accepted, level);
        // The spans `fix` hands to its YAML guard: the accepted edits, and their
        // replacements in the output.
        let edited: Vec<Range<usize>> = accepted.iter().map(|edit| edit.range.clone()).collect();
        assert_eq!(
            applied.edited, edited,
            "{level:?}: applied spans are not the accepted edits"
        );
        for (edit, written) in accepted.iter().zip(&applied.written) {
            assert_eq!(
                applied.output.get(written.clone()),
                Some(edit.replacement.as_bytes()),
                "{level:?}: a written span does not hold its replacement"
            );
        }
        let expected = independent_splice(bytes, &accepted);
        assert!(
            applied.output == expected,
            "{level:?}: the fixed file differs from the source outside the applied edits"
        );
        if utf8 {
            assert!(
                std::str::from_utf8(&applied.output).is_ok(),
                "{level:?}: UTF-8 in, but the fixed file is not UTF-8"
            );
        }
        if applied.fixed.is_empty() {
            assert_eq!(
                applied.output, bytes,
                "{level:?}: nothing fixed, yet changed"
            );
            continue;
        }
        if matches!(name.role, Role::Packaged(_)) {
            panic!("{level:?}: a packaged chart member got a fix");
        }

        // What `fix` does next: detect the fixed file (same kind and origin) and compare the
        // YAML failures; what `fix --diff` prints.
        let fixed =
            SourceFile::with_carrier(source.path.clone(), applied.output.clone(), source.carrier)
                .with_origin(source.origin.clone());
        let remaining = detector.detect(&fixed, &filter);
        check_findings(&fixed, &remaining.findings, utf8, "re-detection");
        // Fix verification re-detects the fixed file searching only around the edits: it must
        // find exactly what a full detection finds.
        let after_edits = detector.detect_after_edits(
            &fixed,
            &filter,
            &detection,
            (&applied.edited, &applied.written),
        );
        assert!(
            after_edits == remaining,
            "{level:?}: detection after the edits differs from a full detection of the fixed file"
        );
        check_yaml_guard(detector, &source, &fixed, &applied, &detection, level);
        let diff = unified_diff(name.path, bytes, &applied.output);
        assert!(!diff.is_empty(), "{level:?}: changed file, empty diff");
        if utf8 {
            assert!(
                std::str::from_utf8(&diff).is_ok(),
                "{level:?}: the diff of UTF-8 files is not UTF-8"
            );
        }
        let diff_report = file_report(name.path, &detection, Some(diff), applied.fixed.len());
        let diff_options = options(Mode::Diff, level);
        render(
            &mut DiffReporter,
            &diff_report,
            &run_report(&diff_report, &diff_options),
        );
        if level == render_level {
            render_all(
                &file_report(name.path, &remaining, None, applied.fixed.len()),
                options(Mode::Fix, level),
                utf8,
            );
        }
    }
}

/// The YAML guard `fix` runs before writing (`Detector::fix_breaks_yaml`): the documents holding
/// the applied edits must not fail to parse more often after the fix than before. It parses
/// only those documents; checked here against the whole file, so that a fix that breaks a
/// document the guard did not look at cannot slip through.
fn check_yaml_guard(
    detector: &Detector,
    source: &SourceFile,
    fixed: &SourceFile,
    applied: &Applied,
    detection: &Detection,
    level: FixLevel,
) {
    let guard_refuses = detector.fix_breaks_yaml(
        source,
        fixed,
        (&applied.edited, &applied.written),
        detection,
    );
    let (Ok(old_text), Ok(new_text)) = (
        std::str::from_utf8(&source.bytes),
        std::str::from_utf8(&fixed.bytes),
    ) else {
        return;
    };
    for (text, spans) in [(old_text, &applied.edited), (new_text, &applied.written)] {
        if let Err(error) = check_failure_count(text, spans, detector.scanner()) {
            panic!("{level:?}: the guard's failure count: {error}");
        }
    }
    // The guard does not read the documents of safe edits again: they must still parse.
    let safe_written: Vec<_> = applied
        .edited
        .iter()
        .zip(&applied.written)
        .filter(|(edit, _)| detection.safe_edits.contains(edit))
        .map(|(_, written)| written.clone())
        .collect();
    if let Err(error) = check_safe_edits(new_text, &safe_written, detector.scanner()) {
        panic!("{level:?}: a safe edit: {error}");
    }
    let whole_before = detector.yaml_failures(source, &document_chunks(old_text));
    let whole_after = detector.yaml_failures(fixed, &document_chunks(new_text));
    assert!(
        guard_refuses || whole_after <= whole_before,
        "{level:?}: the fix makes {whole_before} failing YAML documents {whole_after}, yet the guard over the edited documents lets it through"
    );
}

fn options(mode: Mode, fix_level: FixLevel) -> RenderOptions {
    RenderOptions {
        mode,
        fix_level,
        fail_on: Severity::Warning,
    }
}

/// Ranges inside the file, on char boundaries for UTF-8 input, sorted; each fix's edits
/// inside the file, matching their bytes, sorted and disjoint.
fn check_findings(source: &SourceFile, findings: &[Finding], utf8: bool, stage: &str) {
    let bytes = &source.bytes;
    let text = std::str::from_utf8(bytes).ok();
    let on_boundary = |offset: usize| text.is_none_or(|text| text.is_char_boundary(offset));
    for (index, finding) in findings.iter().enumerate() {
        let range = &finding.range;
        assert!(
            range.start <= range.end && range.end <= bytes.len(),
            "{stage}: finding {index} ({}) range {range:?} outside the file ({} bytes)",
            finding.rule.id(),
            bytes.len()
        );
        if utf8 {
            assert!(
                on_boundary(range.start) && on_boundary(range.end),
                "{stage}: finding {index} ({}) range {range:?} splits a character",
                finding.rule.id()
            );
        }
        assert_eq!(
            finding.location,
            source.locate(range),
            "{stage}: finding {index} location does not match its range"
        );
        let excerpt = &finding.excerpt;
        assert!(
            excerpt.span.start <= excerpt.span.end
                && excerpt.span.end <= excerpt.text.len()
                && excerpt.text.is_char_boundary(excerpt.span.start)
                && excerpt.text.is_char_boundary(excerpt.span.end),
            "{stage}: finding {index} excerpt span {:?} does not fit its text ({} bytes)",
            excerpt.span,
            excerpt.text.len()
        );
        if let Some(fix) = &finding.fix {
            check_edits(
                bytes,
                fix.edits(),
                utf8,
                &format!("{stage}: finding {index}"),
            );
        }
    }
    assert!(
        findings
            .windows(2)
            .all(|pair| pair[0].sort_key() <= pair[1].sort_key()),
        "{stage}: findings are not sorted"
    );
}

fn check_edits(bytes: &[u8], edits: &[Edit], utf8: bool, what: &str) {
    let text = std::str::from_utf8(bytes).ok();
    for edit in edits {
        let range = &edit.range;
        assert!(
            range.start <= range.end && range.end <= bytes.len(),
            "{what}: edit {range:?} outside the file ({} bytes)",
            bytes.len()
        );
        assert!(
            &bytes[range.clone()] == edit.original.as_bytes(),
            "{what}: edit {range:?} expects {:?}, the file has {:?}",
            edit.original,
            String::from_utf8_lossy(&bytes[range.clone()])
        );
        if utf8 {
            let text = text.expect("utf8");
            assert!(
                text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
                "{what}: edit {range:?} splits a character"
            );
        }
    }
    assert!(
        edits
            .windows(2)
            .all(|pair| ordered_and_disjoint(&pair[0].range, &pair[1].range)),
        "{what}: edits not sorted or overlapping: {edits:?}"
    );
}

/// `a` comes before `b` and they share no byte; two insertions at one point are ambiguous.
fn ordered_and_disjoint(a: &Range<usize>, b: &Range<usize>) -> bool {
    if a.is_empty() && b.is_empty() {
        return a.start < b.start;
    }
    a.end <= b.start && a.start <= b.start
}

/// The edits of the applied findings, deduplicated (identical edits from two findings are
/// applied once) and sorted.
fn accepted_edits<'a>(findings: &'a [Finding], fixed: &[usize]) -> Vec<&'a Edit> {
    let mut edits: Vec<&Edit> = Vec::new();
    for &index in fixed {
        let fix = findings[index]
            .fix
            .as_ref()
            .expect("a fixed finding has a fix");
        for edit in fix.edits() {
            if !edits.contains(&edit) {
                edits.push(edit);
            }
        }
    }
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    edits
}

fn check_accepted(bytes: &[u8], edits: &[&Edit], level: FixLevel) {
    for edit in edits {
        assert!(
            edit.range.start <= edit.range.end && edit.range.end <= bytes.len(),
            "{level:?}: applied edit {:?} outside the file",
            edit.range
        );
    }
    for pair in edits.windows(2) {
        assert!(
            ordered_and_disjoint(&pair[0].range, &pair[1].range),
            "{level:?}: applied edits overlap: {:?} and {:?}",
            pair[0],
            pair[1]
        );
    }
}

/// The fixed file as it must be: the source's bytes between the edits, each edit's replacement
/// in its place. Written independently of `regshift::fix::splice`.
fn independent_splice(bytes: &[u8], edits: &[&Edit]) -> Vec<u8> {
    let mut output = Vec::new();
    let mut at = 0;
    for edit in edits {
        output.extend(bytes[at..edit.range.start].iter().copied());
        output.extend(edit.replacement.bytes());
        at = edit.range.end;
    }
    output.extend(bytes[at..].iter().copied());
    output
}

fn file_report(
    path: &str,
    detection: &Detection,
    diff: Option<Vec<u8>>,
    fixed: usize,
) -> FileReport {
    let mut report = FileReport::new(RepoPath::new(path), FileStatus::Scanned);
    report.findings = detection.findings.clone();
    report.notes = detection.notes.clone();
    report.suppressed = detection.suppressed;
    report.diff = diff;
    report.fixed = fixed;
    report
}

/// Every renderer over one file report; the machine formats must parse.
fn render_all(report: &FileReport, options: RenderOptions, utf8: bool) {
    let run = run_report(report, &options);
    let outputs = [
        (
            "human",
            render(&mut HumanReporter::new(options), report, &run),
        ),
        (
            "json",
            render(&mut JsonReporter::new(options), report, &run),
        ),
        (
            "sarif",
            render(&mut SarifReporter::new(options), report, &run),
        ),
        (
            "concise",
            render(&mut ConciseReporter::new(options), report, &run),
        ),
        (
            "github",
            render(&mut GithubReporter::new(options), report, &run),
        ),
        (
            "markdown",
            render(&mut MarkdownReporter::new(options), report, &run),
        ),
        ("jsonl", render(&mut JsonLinesReporter, report, &run)),
    ];

    let document: serde_json::Value = serde_json::from_slice(&outputs[1].1)
        .unwrap_or_else(|error| panic!("JSON output does not parse: {error}"));
    let findings = document["findings"].as_array().expect("findings array");
    assert_eq!(findings.len(), report.findings.len(), "JSON finding count");
    for (json, finding) in findings.iter().zip(&report.findings) {
        assert_eq!(
            json["byte_start"].as_u64(),
            Some(finding.range.start as u64)
        );
        assert_eq!(json["byte_end"].as_u64(), Some(finding.range.end as u64));
    }
    serde_json::from_slice::<serde_json::Value>(&outputs[2].1)
        .unwrap_or_else(|error| panic!("SARIF output does not parse: {error}"));
    for line in outputs[6]
        .1
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
    {
        serde_json::from_slice::<serde_json::Value>(line)
            .unwrap_or_else(|error| panic!("a JSON Lines line does not parse: {error}"));
    }
    if utf8 {
        for (format, output) in &outputs {
            assert!(
                std::str::from_utf8(output).is_ok(),
                "{format} output is not UTF-8 for UTF-8 input"
            );
        }
    }
}

fn run_report(report: &FileReport, options: &RenderOptions) -> RunReport {
    let mut run = RunReport {
        summary: Summary::default(),
        skipped: Vec::new(),
        notes: Vec::new(),
        errors: Vec::new(),
    };
    run.summary.add(report, options);
    for note in &report.notes {
        run.notes.push((report.path.clone(), note.clone()));
    }
    run
}

fn render(reporter: &mut dyn Reporter, report: &FileReport, run: &RunReport) -> Vec<u8> {
    let mut out = Vec::new();
    reporter.begin(&mut out).expect("writing to a Vec");
    reporter.file(&mut out, report).expect("writing to a Vec");
    reporter.end(&mut out, run).expect("writing to a Vec");
    out.flush().expect("flushing a Vec");
    out
}
