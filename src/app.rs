//! The pipeline: walk → read → detect → (check | fix | diff) → report.
//!
//! The walk hands each file to the walker thread that found it (or, for `fix` and overlapping
//! paths, produces one sorted list that rayon processes in parallel); each file is processed
//! alone with no shared state; reports are sorted by path; one thread renders. `Check`, `Fix` and `Diff`
//! are [`FileMode`]s over the same walk, so the walk never branches on flags.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::chart;
use crate::cli::Format;
use crate::config::Config;
use crate::detect::{Detection, Detector, RuleFilter, archive, yaml};
use crate::fix::{self, FixLevel, write::persist_atomically};
use crate::images::ImagesReporter;
use crate::kustomize;
use crate::path::{RepoPath, quoted};
use crate::report::concise::ConciseReporter;
use crate::report::diff::{DiffReporter, unified_diff};
use crate::report::github::GithubReporter;
use crate::report::human::HumanReporter;
use crate::report::json::{JsonLinesReporter, JsonReporter};
use crate::report::markdown::MarkdownReporter;
use crate::report::sarif::SarifReporter;
use crate::report::{
    FileReport, FileStatus, PathError, RenderOptions, Reporter, RunReport, Summary, plural,
};
use crate::settings::{Mode, Settings};
use crate::source::{self, ChartRole, Origin, Packaged, SourceFile};
use crate::walk::{self, Candidate};

/// Files larger than this are listed in `skipped`, not read.
pub const MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;
/// A NUL byte in this many leading bytes makes a file binary.
const BINARY_PROBE: usize = 8 * 1024;

/// How the run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above the failing severity (exit 0).
    Clean,
    /// Findings at or above it remain, or `--diff` would change files (exit 1).
    Findings,
    /// A file could not be read or written (exit 2).
    Error,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Error => 2,
        }
    }
}

/// Everything a worker needs to process one file.
struct Job<'a> {
    detector: &'a Detector,
    candidate: &'a Candidate,
    config: &'a Config,
    filter: RuleFilter,
    canonical_roots: &'a [PathBuf],
    includers: &'a kustomize::Includers,
}

/// What a mode does with a file once it is read and detected.
trait FileMode: Sync {
    fn process(&self, job: &Job<'_>, source: &SourceFile, detection: Detection) -> FileReport;
}

/// `regshift check`.
struct Check;

impl FileMode for Check {
    fn process(&self, _job: &Job<'_>, source: &SourceFile, detection: Detection) -> FileReport {
        scanned_report(source.path.clone(), detection)
    }
}

/// `regshift fix` (`write`) and `regshift fix --diff` (not `write`).
struct Fix {
    level: FixLevel,
    write: bool,
}

impl FileMode for Fix {
    fn process(&self, job: &Job<'_>, source: &SourceFile, detection: Detection) -> FileReport {
        if !detection
            .findings
            .iter()
            .any(|finding| self.level.applies(finding.applicability()))
        {
            return scanned_report(source.path.clone(), detection);
        }
        let fixed = match fixed_source(job, source, &detection, self.level) {
            Ok(fixed) => fixed,
            Err(message) => {
                let mut report = scanned_report(source.path.clone(), detection);
                report.error = Some(message);
                return report;
            }
        };
        let mut report = scanned_report(source.path.clone(), fixed.remaining);
        if self.write {
            if let Err(error) = persist_atomically(
                &job.candidate.path,
                &source.bytes,
                &fixed.bytes,
                job.canonical_roots,
            ) {
                let mut report = scanned_report(source.path.clone(), detection);
                report.error = Some(format!("fix not written: {error}"));
                return report;
            }
        } else {
            report.diff = Some(unified_diff(
                source.path.as_str(),
                &source.bytes,
                &fixed.bytes,
            ));
        }
        report.fixed = fixed.count;
        report
    }
}

struct Fixed {
    bytes: Vec<u8>,
    count: usize,
    /// Detection on the fixed bytes: what remains, with locations in the new file.
    remaining: Detection,
}

/// Apply the fixes and verify the result before anything is written: the edits matched their
/// bytes, the fixed file converged (nothing fixable is left), and YAML that parsed still parses.
fn fixed_source(
    job: &Job<'_>,
    source: &SourceFile,
    detection: &Detection,
    level: FixLevel,
) -> Result<Fixed, String> {
    let applied = fix::apply_fixes(&source.bytes, &detection.findings, level)
        .map_err(|error| format!("fix not applied: {error}"))?;
    // The fixed file is the same file: same kind, same chart role (Chart.yaml's history
    // annotation must stay history when the result is checked).
    let fixed = SourceFile::with_kind(source.path.clone(), applied.output, source.kind)
        .with_origin(source.origin.clone());
    let remaining = job.detector.detect(&fixed, &job.filter);
    let still_fixable = remaining
        .findings
        .iter()
        .filter(|finding| level.applies(finding.applicability()))
        .count();
    if still_fixable > applied.conflicts {
        return Err(format!(
            "fix not applied: {still_fixable} fixable findings remain after fixing (a regshift bug; please report it)"
        ));
    }
    if job.detector.fix_breaks_yaml(
        source,
        &fixed,
        (&applied.edited, &applied.written),
        detection.yaml_failures,
    ) {
        return Err("fix not applied: the fixed file would not parse as YAML (a regshift bug; please report it)".into());
    }
    Ok(Fixed {
        count: applied.fixed.len(),
        bytes: fixed.bytes,
        remaining,
    })
}

fn scanned_report(path: RepoPath, detection: Detection) -> FileReport {
    let mut report = FileReport::new(path, FileStatus::Scanned);
    report.findings = detection.findings;
    report.notes = detection.notes;
    report.suppressed = detection.suppressed;
    report
}

/// Read a candidate: size cap, regular files only, and (for text) the binary probe. `Err`
/// carries the status of a file that is not scanned.
fn read_candidate(candidate: &Candidate, text_only: bool) -> Result<Vec<u8>, FileStatus> {
    let mut bytes = Vec::new();
    read_into(candidate, text_only, &mut bytes)?;
    Ok(bytes)
}

/// [`read_candidate`] into `bytes` (cleared first), a buffer that a thread reuses.
fn read_into(
    candidate: &Candidate,
    text_only: bool,
    bytes: &mut Vec<u8>,
) -> Result<(), FileStatus> {
    bytes.clear();
    let unreadable = |error: io::Error| FileStatus::Skipped {
        reason: format!("cannot read: {error}"),
        is_error: true,
    };
    let not_regular = || FileStatus::Skipped {
        reason: "not a regular file".into(),
        is_error: false,
    };
    // A FIFO or device named on the command line would block on open or never end: check
    // before opening. A walked entry is a regular file by its directory entry, so it is opened
    // at once and checked on the open file (one path lookup instead of two).
    if candidate.explicit
        && !std::fs::metadata(&candidate.path)
            .map_err(unreadable)?
            .is_file()
    {
        return Err(not_regular());
    }
    let file = File::open(&candidate.path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    let too_large = || FileStatus::Skipped {
        reason: "larger than 10 MiB".into(),
        is_error: false,
    };
    if metadata.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    bytes.reserve(metadata.len() as usize + 1);
    // `take` keeps the cap even if the file grows after `metadata`.
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    if text_only && memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some() {
        return Err(FileStatus::Binary);
    }
    Ok(())
}

thread_local! {
    /// The thread's read buffer. Most files are read, pass no gate and are dropped: they must
    /// not each cost an allocation and fresh pages. A file that passes takes the buffer along.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn process_candidate(mode: &dyn FileMode, job: &Job<'_>) -> Vec<FileReport> {
    let display = &job.candidate.display;
    if chart::is_archive(&job.candidate.path) {
        return process_archive(job);
    }
    let read = READ_BUFFER.with_borrow_mut(|buffer| {
        read_into(job.candidate, true, buffer)?;
        // The byte gate comes before anything else costs: most files end here.
        Ok(job
            .detector
            .may_match(buffer)
            .then(|| std::mem::take(buffer)))
    });
    let bytes = match read {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return vec![FileReport::new(display.clone(), FileStatus::Scanned)],
        Err(status) => return vec![FileReport::new(display.clone(), status)],
    };
    // Only gated files pay for the layout on disk: their chart, their kustomize bases.
    let kustomization = source::is_kustomization(display.as_str())
        .then(|| std::str::from_utf8(&bytes).ok())
        .flatten()
        .map(|text| {
            let excluded = |path: &Path, is_dir: bool| job.config.is_excluded(path, is_dir, true);
            let scope = kustomize::Scope {
                roots: job.canonical_roots,
                excluded: &excluded,
                includers: job.includers,
                scanner: job.detector.scanner(),
            };
            Arc::new(kustomize::resolve_bases(&job.candidate.path, text, &scope))
        });
    let origin = Origin {
        chart_role: chart::locate(&job.candidate.path),
        packaged: None,
        kustomization,
    };
    let source = SourceFile::new(display.clone(), bytes).with_origin(origin);
    let detection = job.detector.detect(&source, &job.filter);
    let report = mode.process(job, &source, detection);
    // The bytes go back to the thread's buffer: the next file that passes the gate reuses
    // their pages instead of faulting in fresh ones.
    let bytes = source.bytes;
    READ_BUFFER.with_borrow_mut(|buffer| {
        if buffer.capacity() < bytes.capacity() {
            *buffer = bytes;
        }
    });
    vec![report]
}

/// A gzip-compressed tarball: if it is a packaged chart (a `Chart.yaml` in its top folder),
/// each text member is checked, never fixed, as `charts/dep-1.0.0.tgz!dep/values.yaml`; any
/// other tarball is binary. A dependency (in a chart's `charts/` folder) names the values
/// prefix that overrides it from the parent; one that cannot be read is an error, since a
/// chart's dependency must never pass unseen.
fn process_archive(job: &Job<'_>) -> Vec<FileReport> {
    let display = &job.candidate.display;
    let is_dependency = chart::is_dependency_archive(&job.candidate.path);
    let members = match read_candidate(job.candidate, false).and_then(|bytes| {
        archive::text_members(&bytes).map_err(|error| FileStatus::Skipped {
            reason: error.to_string(),
            is_error: true,
        })
    }) {
        Ok(members) => members,
        Err(FileStatus::Skipped { .. }) if !is_dependency => {
            return vec![FileReport::new(display.clone(), FileStatus::Binary)];
        }
        Err(status) => return vec![FileReport::new(display.clone(), status)],
    };
    let chart_roots: Vec<&str> = members
        .iter()
        .filter_map(|member| member.path.strip_suffix("Chart.yaml"))
        .collect();
    let is_chart = chart_roots
        .iter()
        .any(|root| !root.contains('!') && root.matches('/').count() == 1);
    if !is_chart {
        return vec![FileReport::new(display.clone(), FileStatus::Binary)];
    }
    let aliases = if is_dependency {
        parent_chart_aliases(&job.candidate.path)
    } else {
        Vec::new()
    };
    let mut reports = Vec::with_capacity(members.len());
    for member in &members {
        let path = RepoPath::new(format!("{display}!{}", member.path));
        if !job.detector.may_match(&member.bytes) {
            reports.push(FileReport::new(path, FileStatus::Scanned));
            continue;
        }
        let (role, prefix) = packaged_member_role(&member.path, &chart_roots, &aliases);
        let origin = Origin {
            chart_role: Some(role),
            packaged: Some(Packaged {
                dependency_prefix: is_dependency.then_some(prefix),
            }),
            kustomization: None,
        };
        let source = SourceFile::new(path, member.bytes.clone()).with_origin(origin);
        let detection = job.detector.detect(&source, &job.filter);
        reports.push(Check.process(job, &source, detection));
    }
    reports
}

/// The role of an archive member in the deepest chart that holds it, and the values prefix
/// that reaches that chart from the parent chart: `dep` (or its alias), `dep.sub` for a
/// subchart inside it. Nested archives are written `outer.tgz!inner`; each level has its own
/// chart roots (the folders of its `Chart.yaml` members).
fn packaged_member_role(
    member: &str,
    chart_roots: &[&str],
    aliases: &[(String, Option<String>)],
) -> (ChartRole, String) {
    let mut names: Vec<String> = Vec::new();
    let mut role = ChartRole::Other;
    let mut archive_prefix = String::new();
    for part in member.split('!') {
        let first_folder = part.split_inclusive('/').next().unwrap_or("");
        let root = chart_roots
            .iter()
            .filter_map(|root| root.strip_prefix(archive_prefix.as_str()))
            .filter(|root| !root.contains('!') && part.starts_with(root))
            .max_by_key(|root| root.len())
            .unwrap_or(first_folder);
        for name in root
            .split('/')
            .filter(|name| !name.is_empty() && *name != "charts")
        {
            let alias = if names.is_empty() {
                aliases
                    .iter()
                    .find(|(dependency, _)| dependency == name)
                    .and_then(|(_, alias)| alias.clone())
            } else {
                None
            };
            names.push(alias.unwrap_or_else(|| name.to_string()));
        }
        let relative: Vec<&str> = part[root.len()..].split('/').collect();
        role = chart::role_in_chart(&relative);
        archive_prefix.push_str(part);
        archive_prefix.push('!');
    }
    (role, names.join("."))
}

/// `dependencies` of the chart that holds `charts/<dep>.tgz`, from `Chart.yaml` and Helm 2's
/// `requirements.yaml`.
fn parent_chart_aliases(archive: &Path) -> Vec<(String, Option<String>)> {
    let Some(chart) = archive.parent().and_then(Path::parent) else {
        return Vec::new();
    };
    ["Chart.yaml", "requirements.yaml"]
        .iter()
        .filter_map(|name| std::fs::read_to_string(chart.join(name)).ok())
        .flat_map(|text| yaml::chart_dependencies(&text))
        .collect()
}

/// A finished scan: every file's report, the run's totals, and how to render them.
#[derive(Debug)]
pub struct Scanned {
    pub reports: Vec<FileReport>,
    pub run: RunReport,
    pub options: RenderOptions,
}

impl Scanned {
    /// The exit status this scan calls for.
    pub fn outcome(&self, mode: Mode) -> Outcome {
        let changes = self.reports.iter().any(|report| report.fixed > 0);
        if self.run.summary.io_errors > 0 {
            Outcome::Error
        } else if mode == Mode::Images {
            // A listing, not a check: success is exit 0.
            Outcome::Clean
        } else if mode == Mode::Diff {
            if changes {
                Outcome::Findings
            } else {
                Outcome::Clean
            }
        } else if self.run.summary.failing > 0 {
            Outcome::Findings
        } else {
            Outcome::Clean
        }
    }
}

/// Run the whole pipeline and render its output. I/O errors on the output propagate (the
/// caller stops quietly on a broken pipe).
pub fn run(settings: &Settings) -> io::Result<Outcome> {
    let scanned = scan(settings)?;
    let Scanned {
        reports,
        run,
        options,
    } = &scanned;
    let options = *options;
    print_messages(run)?;
    // The main report (stdout or --output), then each --report, all from the same results.
    let main_reporter: Box<dyn Reporter> = match &settings.images {
        Some(images) => Box::new(ImagesReporter::new(images.clone())),
        None => reporter_for(settings.mode, settings.format, options),
    };
    let mut outputs: Vec<(Box<dyn Reporter>, Box<dyn Write>)> =
        vec![(main_reporter, open_output(settings.output.as_deref())?)];
    for (format, path) in &settings.reports {
        outputs.push((
            reporter_for(Mode::Check, *format, options),
            open_output(Some(path))?,
        ));
    }
    for (reporter, out) in &mut outputs {
        reporter.begin(out)?;
        for report in reports {
            reporter.file(out, report)?;
        }
        reporter.end(out, run)?;
        out.flush()?;
    }
    if settings.mode == Mode::Diff {
        print_diff_summary(&run.summary, settings.fix_level)?;
    }
    Ok(scanned.outcome(settings.mode))
}

/// What a walker thread's sink keeps from a streamed walk.
enum Streamed {
    Reports(Candidate, Vec<FileReport>),
    /// Processed after the walk, once every kustomization is known.
    Kustomization(Candidate),
    Error(walk::WalkError),
}

/// Walk, read, detect and (for fix) write: everything but rendering.
pub fn scan(settings: &Settings) -> io::Result<Scanned> {
    // One detector per configuration: each may move its own registries ([[move]]).
    let mut detectors: Vec<(Arc<Config>, Detector)> = Vec::new();
    for root in &settings.roots {
        if !detectors
            .iter()
            .any(|(config, _)| Arc::ptr_eq(config, &root.config))
        {
            detectors.push((
                root.config.clone(),
                Detector::with_moves(root.config.moves.clone()),
            ));
        }
    }
    let canonical_roots = settings.canonical_roots();
    let mode: Box<dyn FileMode> = match settings.mode {
        Mode::Check | Mode::Images => Box::new(Check),
        Mode::Fix => Box::new(Fix {
            level: settings.fix_level,
            write: true,
        }),
        Mode::Diff => Box::new(Fix {
            level: settings.fix_level,
            write: false,
        }),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads)
        .build()
        .map_err(io::Error::other)?;
    // Files with nothing to say are only counted: a tree of 100,000 clean files keeps no
    // report for each.
    let clean_files = AtomicUsize::new(0);
    let process = |candidate: &Candidate, includers: &kustomize::Includers| {
        let root = &settings.roots[candidate.root];
        let detector = detectors
            .iter()
            .find(|(config, _)| Arc::ptr_eq(config, &root.config))
            .map(|(_, detector)| detector)
            .expect("a detector per configuration");
        let job = Job {
            detector,
            candidate,
            config: &root.config,
            filter: root.config.rule_filter(&candidate.path),
            canonical_roots: &canonical_roots,
            includers,
        };
        let mut reports = process_candidate(mode.as_ref(), &job);
        let before = reports.len();
        reports.retain(|report| !report.is_clean());
        clean_files.fetch_add(before - reports.len(), Ordering::Relaxed);
        reports
    };
    // Components take their bases from whatever includes them: the kustomization files of
    // the whole walk are indexed before any of them is processed.
    let includers_of = |kustomizations: &[Candidate]| {
        kustomize::Includers::build(
            kustomizations
                .iter()
                .map(|candidate| candidate.path.as_path()),
        )
    };

    // A run that writes nothing, over folders that do not overlap, processes each file on the
    // walker thread that finds it, as ripgrep does, so reading overlaps the walk and no list
    // of the tree is kept. `fix` walks first: its kustomizations read bases that other files'
    // fixes rewrite, and must see them in one order.
    let streamable = match settings.mode {
        Mode::Fix => None,
        _ => walk::streamable_roots(&settings.roots, &settings.cwd, settings.force_exclude),
    };
    let (reports, walk_errors) = match streamable {
        Some(directory_roots) => {
            let found = Mutex::new(Vec::new());
            let no_includers = kustomize::Includers::default();
            walk::visit(
                &settings.roots,
                &directory_roots,
                &settings.cwd,
                settings.threads,
                || {
                    let mut share = walk::Share::new(&found);
                    let process = &process;
                    let no_includers = &no_includers;
                    move |item: Result<Candidate, walk::WalkError>| match item {
                        Ok(candidate) if source::is_kustomization(candidate.display.as_str()) => {
                            share.local.push(Streamed::Kustomization(candidate));
                        }
                        Ok(candidate) => {
                            let reports = process(&candidate, no_includers);
                            if !reports.is_empty() {
                                share.local.push(Streamed::Reports(candidate, reports));
                            }
                        }
                        Err(error) => share.local.push(Streamed::Error(error)),
                    }
                },
            );
            let mut done = Vec::new();
            let mut kustomizations = Vec::new();
            let mut errors = Vec::new();
            for item in found
                .into_inner()
                .unwrap_or_else(|poison| poison.into_inner())
            {
                match item {
                    Streamed::Reports(candidate, reports) => done.push((candidate, reports)),
                    Streamed::Kustomization(candidate) => kustomizations.push(candidate),
                    Streamed::Error(error) => errors.push(error),
                }
            }
            let includers = includers_of(&kustomizations);
            done.extend(pool.install(|| {
                kustomizations
                    .into_par_iter()
                    .map(|candidate| {
                        let reports = process(&candidate, &includers);
                        (candidate, reports)
                    })
                    .collect::<Vec<_>>()
            }));
            // The order of the sorted walk: by display name, then real path.
            done.sort_by(|(a, _), (b, _)| (&a.display, &a.path).cmp(&(&b.display, &b.path)));
            errors.sort_by(|a, b| a.path.cmp(&b.path));
            let reports = done.into_iter().flat_map(|(_, reports)| reports).collect();
            (reports, errors)
        }
        None => {
            let walked = walk::collect_candidates(
                &settings.roots,
                &settings.cwd,
                settings.force_exclude,
                settings.threads,
            );
            let kustomizations: Vec<Candidate> = walked
                .candidates
                .iter()
                .filter(|candidate| source::is_kustomization(candidate.display.as_str()))
                .cloned()
                .collect();
            let includers = includers_of(&kustomizations);
            let reports: Vec<FileReport> = pool.install(|| {
                walked
                    .candidates
                    .par_iter()
                    .map(|candidate| process(candidate, &includers))
                    .flatten()
                    .collect()
            });
            (reports, walked.errors)
        }
    };

    let options = RenderOptions {
        mode: settings.mode,
        fix_level: settings.fix_level,
        fail_on: settings.fail_on,
    };
    let mut run = RunReport {
        summary: Summary::default(),
        skipped: Vec::new(),
        notes: Vec::new(),
        errors: walk_errors
            .iter()
            .map(|error| PathError {
                path: error.path.clone(),
                message: error.message.clone(),
            })
            .collect(),
    };
    for report in &reports {
        run.summary.add(report, &options);
        if let FileStatus::Skipped { reason, .. } = &report.status {
            run.skipped.push((report.path.clone(), reason.clone()));
        }
        for note in &report.notes {
            run.notes.push((report.path.clone(), note.clone()));
        }
        if let Some(error) = &report.error {
            run.errors.push(PathError {
                path: report.path.to_string(),
                message: error.clone(),
            });
        }
    }
    run.summary.files_scanned += clean_files.into_inner();
    run.summary.io_errors += walk_errors.len();
    Ok(Scanned {
        reports,
        run,
        options,
    })
}

/// The renderer for a format; `fix --diff` always prints the diff.
fn reporter_for(mode: Mode, format: Format, options: RenderOptions) -> Box<dyn Reporter> {
    if mode == Mode::Diff {
        return Box::new(DiffReporter);
    }
    match format {
        Format::Human => Box::new(HumanReporter::new(options)),
        Format::Concise => Box::new(ConciseReporter::new(options)),
        Format::Json => Box::new(JsonReporter::new(options)),
        Format::Jsonl => Box::new(JsonLinesReporter),
        Format::Sarif => Box::new(SarifReporter::new(options)),
        Format::Github => Box::new(GithubReporter::new(options)),
        Format::Markdown => Box::new(MarkdownReporter::new(options)),
    }
}

/// Standard output through anstream (colour per `--color`, NO_COLOR and the terminal), or a
/// file, which never gets colour.
fn open_output(path: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => {
            let file = File::create(path).map_err(|error| {
                io::Error::new(error.kind(), format!("{}: {error}", path.display()))
            })?;
            Box::new(BufWriter::new(anstream::AutoStream::never(file)))
        }
        None => Box::new(BufWriter::new(anstream::stdout().lock())),
    })
}

/// Notes, skipped files and errors go to standard error in every format, so machine formats
/// keep standard output to the document alone.
fn print_messages(run: &RunReport) -> io::Result<()> {
    let mut err = anstream::stderr().lock();
    let error = anstyle::AnsiColor::Red.on_default().bold();
    let warning = anstyle::AnsiColor::Yellow.on_default().bold();
    let note = anstyle::AnsiColor::Green.on_default().bold();
    for failure in &run.errors {
        if failure.path.is_empty() {
            writeln!(err, "{error}error{error:#}: {}", failure.message)?;
        } else {
            writeln!(
                err,
                "{error}error{error:#}: {}: {}",
                quoted(&failure.path),
                failure.message
            )?;
        }
    }
    // Paths are quoted when they hold a line break: see `path::quoted`.
    for (path, reason) in &run.skipped {
        let path = quoted(path.as_str());
        writeln!(
            err,
            "{warning}warning{warning:#}: {path}: skipped: {reason}"
        )?;
    }
    for (path, message) in &run.notes {
        let path = quoted(path.as_str());
        writeln!(err, "{note}note{note:#}: {path}: {message}")?;
    }
    Ok(())
}

fn print_diff_summary(summary: &Summary, level: FixLevel) -> io::Result<()> {
    let mut err = anstream::stderr().lock();
    let command = match level {
        FixLevel::SafeOnly => "regshift fix",
        FixLevel::IncludeUnsafe => "regshift fix --unsafe-fixes",
    };
    let mut line = if summary.fixed == 0 {
        "No fixes to apply".to_string()
    } else {
        format!(
            "Would fix {} in {}; run `{command}` to apply",
            plural(summary.fixed, "finding", "findings"),
            plural(summary.files_fixed, "file", "files")
        )
    };
    if summary.hidden_unsafe > 0 {
        line.push_str(&format!(
            " ({} more with `--unsafe-fixes`)",
            summary.hidden_unsafe
        ));
    }
    writeln!(err, "{line}.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packaged_members_name_their_override_prefix() {
        let roots = [
            "dep/",
            "dep/charts/sub/",
            "dep/charts/other-1.0.0.tgz!other/",
        ];
        let aliases = [("dep".to_string(), Some("cache".to_string()))];
        assert_eq!(
            packaged_member_role("dep/values.yaml", &roots, &aliases),
            (ChartRole::Values, "cache".to_string())
        );
        assert_eq!(
            packaged_member_role("dep/templates/deploy.yaml", &roots, &[]),
            (ChartRole::Template, "dep".to_string())
        );
        assert_eq!(
            packaged_member_role("dep/charts/sub/values.yaml", &roots, &[]),
            (ChartRole::Values, "dep.sub".to_string())
        );
        assert_eq!(
            packaged_member_role("dep/charts/other-1.0.0.tgz!other/values.yaml", &roots, &[]),
            (ChartRole::Values, "dep.other".to_string())
        );
    }
}
