//! A run over the scanned paths: walk → read → engine → (check | fix | diff) → sorted file
//! reports and the run's totals. Rendering them is `app`'s job.
//!
//! The walk hands each file to the walker thread that found it (or, for files named on the
//! command line and overlapping folders, produces one sorted list that rayon processes in
//! parallel: [`Walk`]); each file is processed alone with no shared state; kustomizations come
//! last; reports are sorted by path. `Check`, `Fix` and `Diff` are [`FileMode`]s over the same
//! walk, so the walk never branches on flags.
//!
//! `fix` hands each fixed file to I/O threads that make it durable and rename it into place
//! while the walk goes on; a write stage after processing ([`FileMode::finish_writes`]) waits
//! for them before the kustomizations are read and again at the end, and a file whose write
//! failed is reported as untouched, as if the write had failed at once.

mod read;
pub mod stdin;

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::carrier::is_kustomization;
use crate::engine::{Checked, Engine};
use crate::fix::FixLevel;
use crate::fix::write::{Committer, WriteError, prepare_replacement};
use crate::layout::chart;
use crate::report::diff::unified_diff;
use crate::report::{FileReport, FileStatus, PathError, RenderOptions, RunReport, Summary};
use crate::settings::{Mode, Settings};
use crate::walk::{self, Candidate};

/// What a mode does with a file once it is read and detected. The file's bytes come back
/// with the report, for the thread's read buffer.
trait FileMode: Sync {
    fn process(&self, engine: &Engine, file: &Candidate, checked: Checked)
    -> (FileReport, Vec<u8>);

    /// Wait for the writes that [`FileMode::process`] left in flight. Gives the report of each
    /// file whose write failed, to replace the one `process` gave.
    fn finish_writes(&self) -> Vec<(Candidate, FileReport)> {
        Vec::new()
    }
}

/// `regshift check` (and `images`).
struct Check;

impl FileMode for Check {
    fn process(
        &self,
        _engine: &Engine,
        _file: &Candidate,
        checked: Checked,
    ) -> (FileReport, Vec<u8>) {
        checked.into_parts()
    }
}

/// `regshift fix` and `regshift fix --diff`.
struct Fix {
    level: FixLevel,
    output: FixOutput,
}

enum FixOutput {
    /// `fix --diff`: the diff goes into the report.
    Diff,
    /// `fix`: the fixed file is written to a temporary file by the thread that fixed it, and
    /// made durable and renamed into place by the committer's I/O threads.
    Write(Committer<UnwrittenFix>),
    /// `fix -`: the fixed bytes are kept for standard output.
    Keep(Mutex<Option<Vec<u8>>>),
    /// `sweep --fix --commit`: every changed file's fixed bytes are kept, nothing is written.
    Collect(Arc<Mutex<Vec<FixedFile>>>),
}

/// A file's bytes as `regshift fix` would write them ([`fix_in_memory`]).
#[derive(Debug)]
pub struct FixedFile {
    /// The absolute path of the file the bytes replace.
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// A file whose fix is being committed, and what its report says if the commit fails: what
/// was found, as if nothing had been fixed. Dropped on an I/O thread when the commit succeeds.
struct UnwrittenFix {
    file: Candidate,
    report: FileReport,
}

fn not_written(mut report: FileReport, error: &WriteError) -> FileReport {
    report.error = Some(format!("fix not written: {error}"));
    report
}

impl FileMode for Fix {
    fn process(
        &self,
        engine: &Engine,
        file: &Candidate,
        checked: Checked,
    ) -> (FileReport, Vec<u8>) {
        if !checked
            .detection
            .findings
            .iter()
            .any(|finding| self.level.applies(finding.applicability()))
        {
            return checked.into_parts();
        }
        let fixed = match engine.fix(file, &checked, self.level) {
            Ok(fixed) => fixed,
            Err(message) => {
                let (mut report, bytes) = checked.into_parts();
                report.error = Some(message);
                return (report, bytes);
            }
        };
        let Checked { source, detection } = checked;
        let mut report = FileReport::scanned(source.path.clone(), fixed.remaining);
        match &self.output {
            FixOutput::Write(committer) => {
                let unwritten = FileReport::scanned(source.path.clone(), detection);
                match prepare_replacement(
                    &file.path,
                    &source.bytes,
                    &fixed.bytes,
                    engine.canonical_roots(),
                ) {
                    Ok(replacement) => committer.submit(
                        replacement,
                        UnwrittenFix {
                            file: file.clone(),
                            report: unwritten,
                        },
                    ),
                    Err(error) => return (not_written(unwritten, &error), source.bytes),
                }
            }
            FixOutput::Diff => {
                report.diff = Some(unified_diff(
                    source.path.as_str(),
                    &source.bytes,
                    &fixed.bytes,
                ));
            }
            FixOutput::Keep(kept) => {
                *kept.lock().unwrap_or_else(|poison| poison.into_inner()) = Some(fixed.bytes);
            }
            FixOutput::Collect(files) if fixed.bytes != source.bytes => {
                files
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner())
                    .push(FixedFile {
                        path: file.path.clone(),
                        bytes: fixed.bytes,
                    });
            }
            FixOutput::Collect(_) => {}
        }
        report.fixed = fixed.count;
        (report, source.bytes)
    }

    fn finish_writes(&self) -> Vec<(Candidate, FileReport)> {
        let FixOutput::Write(committer) = &self.output else {
            return Vec::new();
        };
        committer
            .finish()
            .into_iter()
            .map(|(unwritten, error)| (unwritten.file, not_written(unwritten.report, &error)))
            .collect()
    }
}

/// What processing a file gave: its reports, or word that it must wait.
enum Processed {
    Reports(Vec<FileReport>),
    /// It may run `sed` on other files (`sed -i … FILE`): processed once their fixes are
    /// written ([`Run::process_sed_scripts`]).
    Waits,
    /// Test data or a CustomResourceDefinition: processed once every file of program source
    /// is ([`Run::finish`]).
    WaitsForProgramSource,
}

fn process_candidate(
    mode: &dyn FileMode,
    engine: &Engine,
    file: &Candidate,
    may_wait: bool,
) -> Processed {
    let display = &file.display;
    if chart::is_archive(&file.path) {
        return Processed::Reports(match read::read_candidate(file, false) {
            Ok(bytes) => engine.check_archive(file, &bytes),
            Err(FileStatus::Skipped { .. }) if !chart::is_dependency_archive(&file.path) => {
                vec![FileReport::new(display.clone(), FileStatus::Binary)]
            }
            Err(status) => vec![FileReport::new(display.clone(), status)],
        });
    }
    // The byte gate comes before anything else costs: most files end here.
    let bytes = match read::read_text_if(file, |bytes| engine.may_match(file, bytes)) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Processed::Reports(vec![FileReport::new(display.clone(), FileStatus::Scanned)]);
        }
        Err(status) => {
            engine.program_source_unseen(file);
            return Processed::Reports(vec![FileReport::new(display.clone(), status)]);
        }
    };
    if may_wait && engine.waits_for_sed_inputs(file, &bytes) {
        engine.program_source_unseen(file);
        read::recycle(bytes);
        return Processed::Waits;
    }
    if may_wait && engine.waits_for_program_source(file, &bytes) {
        read::recycle(bytes);
        return Processed::WaitsForProgramSource;
    }
    let checked = engine.detect(file, bytes);
    let (report, bytes) = mode.process(engine, file, checked);
    read::recycle(bytes);
    Processed::Reports(vec![report])
}

/// The files a walk holds back until the others are processed, in the order they come.
struct Deferred {
    /// Test data and CustomResourceDefinitions: whether their fixes are safe depends on what
    /// program source names ([`crate::engine::Engine::waits_for_program_source`]).
    after_program_source: Vec<Candidate>,
    /// Scripts that run `sed` on other files.
    scripts: Vec<Candidate>,
    kustomizations: Vec<Candidate>,
}

/// A finished scan: every file's report, the run's totals, and how to render them.
#[derive(Debug)]
pub struct Scanned {
    pub reports: Vec<FileReport>,
    pub run: RunReport,
    pub options: RenderOptions,
}

/// How the walk hands files over. Which one a run takes depends on the paths alone, never on
/// the mode: `check`, `fix`, `fix --diff` and `images` read the same files the same way.
enum Walk {
    /// Folders that do not overlap: each file is processed on the walker thread that finds
    /// it, as ripgrep does, so reading overlaps the walk and no list of the tree is kept.
    Stream(Vec<usize>),
    /// Files named on the command line, or folders inside one another: one sorted list,
    /// deduplicated (a file found twice must not be fixed twice), processed by rayon.
    Collect,
}

/// What a walker thread's sink keeps from a streamed walk.
enum Streamed {
    Reports(Candidate, Vec<FileReport>),
    /// Processed after the walk, once every kustomization is known.
    Kustomization(Candidate),
    /// Processed after the walk, once every file it may edit is fixed.
    RunsSed(Candidate),
    /// Processed after the walk, once all program source is.
    AfterProgramSource(Candidate),
    Error(walk::WalkError),
}

/// One run's shared state: the engine, the mode, the threads, and the count of files with
/// nothing to say (counted, not kept: a tree of 100,000 clean files keeps no report for each).
struct Run<'a> {
    settings: &'a Settings,
    engine: Engine,
    mode: Box<dyn FileMode>,
    pool: rayon::ThreadPool,
    clean_files: AtomicUsize,
}

impl Run<'_> {
    fn process(&self, candidate: &Candidate) -> Vec<FileReport> {
        match self.process_or_wait(candidate, false) {
            Processed::Reports(reports) => reports,
            Processed::Waits | Processed::WaitsForProgramSource => {
                unreachable!("a file waits only when it may")
            }
        }
    }

    /// [`Run::process`], unless the file must wait: it may run `sed` on other files, or it is
    /// test data, which waits for all program source.
    fn process_or_wait(&self, candidate: &Candidate, may_wait: bool) -> Processed {
        let mut reports =
            match process_candidate(self.mode.as_ref(), &self.engine, candidate, may_wait) {
                Processed::Reports(reports) => reports,
                waits => return waits,
            };
        let before = reports.len();
        reports.retain(|report| !report.is_clean());
        self.clean_files
            .fetch_add(before - reports.len(), Ordering::Relaxed);
        Processed::Reports(reports)
    }

    /// The write stage after processing: wait until every fix that `process` handed over is
    /// written, and report the files whose write failed as untouched.
    fn settle_writes(&self, done: &mut Vec<(Candidate, Vec<FileReport>)>) {
        let mut failed: HashMap<PathBuf, (Candidate, FileReport)> = self
            .mode
            .finish_writes()
            .into_iter()
            .map(|(candidate, report)| (candidate.path.clone(), (candidate, report)))
            .collect();
        if failed.is_empty() {
            return;
        }
        // `process` gave one report for the file, dropped and counted if it was clean; the
        // report of a failed write never is.
        let uncount_if_dropped = |reports: &[FileReport]| {
            if reports.is_empty() {
                self.clean_files.fetch_sub(1, Ordering::Relaxed);
            }
        };
        for (candidate, reports) in done.iter_mut() {
            if let Some((_, report)) = failed.remove(&candidate.path) {
                uncount_if_dropped(reports);
                *reports = vec![report];
            }
        }
        for (_, (candidate, report)) in failed {
            uncount_if_dropped(&[]);
            done.push((candidate, vec![report]));
        }
    }

    /// Scripts that run `sed` on files (`sed -i … FILE`) come after every other file is
    /// processed and its fix written, in parallel: a pattern that names the old host moves
    /// with the file it searches, once that file is fixed ([`Engine::sed_inputs`]).
    fn process_sed_scripts(
        &mut self,
        done: &[(Candidate, Vec<FileReport>)],
        scripts: Vec<Candidate>,
    ) -> Vec<(Candidate, Vec<FileReport>)> {
        if scripts.is_empty() {
            return Vec::new();
        }
        self.engine.index_sed_targets(
            done.iter()
                .filter(|(_, reports)| {
                    !reports.is_empty()
                        && reports.iter().all(|report| {
                            report.status == FileStatus::Scanned && report.error.is_none()
                        })
                })
                .map(|(candidate, _)| candidate.clone())
                .collect(),
        );
        self.process_each(scripts)
    }

    /// Kustomizations come last, in parallel: each reads its bases, which the other files'
    /// fixes may have rewritten, and a component takes its bases from whatever includes it.
    fn process_kustomizations(
        &mut self,
        kustomizations: Vec<Candidate>,
    ) -> Vec<(Candidate, Vec<FileReport>)> {
        self.engine.index_kustomizations(
            kustomizations
                .iter()
                .map(|candidate| candidate.path.as_path()),
        );
        self.process_each(kustomizations)
    }

    /// Files held back until the others are written, processed in parallel.
    fn process_each(&self, candidates: Vec<Candidate>) -> Vec<(Candidate, Vec<FileReport>)> {
        self.pool.install(|| {
            candidates
                .into_par_iter()
                .map(|candidate| {
                    let reports = self.process(&candidate);
                    (candidate, reports)
                })
                .collect()
        })
    }

    fn stream(self, directory_roots: &[usize]) -> (Vec<FileReport>, Vec<walk::WalkError>, usize) {
        let settings = self.settings;
        let found = Mutex::new(Vec::new());
        walk::visit(
            &settings.roots,
            directory_roots,
            &settings.cwd,
            settings.threads,
            || {
                let mut share = walk::Share::new(&found);
                let run = &self;
                move |item: Result<Candidate, walk::WalkError>| match item {
                    Ok(candidate) if is_kustomization(candidate.display.as_str()) => {
                        share.local.push(Streamed::Kustomization(candidate));
                    }
                    Ok(candidate) => match run.process_or_wait(&candidate, true) {
                        Processed::Reports(reports) if !reports.is_empty() => {
                            share.local.push(Streamed::Reports(candidate, reports));
                        }
                        Processed::Reports(_) => {}
                        Processed::Waits => share.local.push(Streamed::RunsSed(candidate)),
                        Processed::WaitsForProgramSource => {
                            share.local.push(Streamed::AfterProgramSource(candidate))
                        }
                    },
                    Err(error) => share.local.push(Streamed::Error(error)),
                }
            },
        );
        let mut done = Vec::new();
        let mut kustomizations = Vec::new();
        let mut scripts = Vec::new();
        let mut after_program_source = Vec::new();
        let mut errors = Vec::new();
        for item in found
            .into_inner()
            .unwrap_or_else(|poison| poison.into_inner())
        {
            match item {
                Streamed::Reports(candidate, reports) => done.push((candidate, reports)),
                Streamed::Kustomization(candidate) => kustomizations.push(candidate),
                Streamed::RunsSed(candidate) => scripts.push(candidate),
                Streamed::AfterProgramSource(candidate) => after_program_source.push(candidate),
                Streamed::Error(error) => errors.push(error),
            }
        }
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        let deferred = Deferred {
            after_program_source,
            scripts,
            kustomizations,
        };
        self.finish(done, deferred, errors)
    }

    fn collect(self) -> (Vec<FileReport>, Vec<walk::WalkError>, usize) {
        let settings = self.settings;
        let walked = walk::collect_candidates(
            &settings.roots,
            &settings.cwd,
            settings.force_exclude,
            settings.threads,
        );
        let (kustomizations, others): (Vec<Candidate>, Vec<Candidate>) = walked
            .candidates
            .into_iter()
            .partition(|candidate| is_kustomization(candidate.display.as_str()));
        let run = &self;
        let processed: Vec<(Candidate, Processed)> = run.pool.install(|| {
            others
                .into_par_iter()
                .map(|candidate| {
                    let processed = run.process_or_wait(&candidate, true);
                    (candidate, processed)
                })
                .collect()
        });
        let mut done = Vec::with_capacity(processed.len());
        let mut deferred = Deferred {
            after_program_source: Vec::new(),
            scripts: Vec::new(),
            kustomizations,
        };
        for (candidate, processed) in processed {
            match processed {
                Processed::Reports(reports) => done.push((candidate, reports)),
                Processed::Waits => deferred.scripts.push(candidate),
                Processed::WaitsForProgramSource => deferred.after_program_source.push(candidate),
            }
        }
        self.finish(done, deferred, walked.errors)
    }

    /// Test data, the scripts that run `sed` on files and the kustomizations, then every
    /// report in the order of the sorted walk (by display name, then real path), the walk's
    /// errors and the count of clean files. Scripts and kustomizations read other files, so
    /// every write is settled before they are processed.
    fn finish(
        mut self,
        mut done: Vec<(Candidate, Vec<FileReport>)>,
        deferred: Deferred,
        errors: Vec<walk::WalkError>,
    ) -> (Vec<FileReport>, Vec<walk::WalkError>, usize) {
        self.engine.settle_program_source();
        done.extend(self.process_each(deferred.after_program_source));
        self.settle_writes(&mut done);
        let scripts = self.process_sed_scripts(&done, deferred.scripts);
        done.extend(scripts);
        done.extend(self.process_kustomizations(deferred.kustomizations));
        self.settle_writes(&mut done);
        done.sort_by(|(a, _), (b, _)| (&a.display, &a.path).cmp(&(&b.display, &b.path)));
        let reports = done.into_iter().flat_map(|(_, reports)| reports).collect();
        (reports, errors, self.clean_files.into_inner())
    }
}

/// Walk, read, detect and (for fix) write: everything but rendering.
pub fn scan(settings: &Settings) -> io::Result<Scanned> {
    scan_with(settings, walk_of(settings))
}

/// `fix` without writing anything: the reports `regshift fix` gives with these settings
/// (their mode should be [`Mode::Fix`], as the reports say), and the bytes it would write to each file it would change, sorted
/// by path. Kustomizations read their bases from the disk, unfixed; what they decide
/// depends on a base's image under either host name, so the fix is the same.
pub fn fix_in_memory(settings: &Settings) -> io::Result<(Scanned, Vec<FixedFile>)> {
    let files = Arc::new(Mutex::new(Vec::new()));
    let mode = Box::new(Fix {
        level: settings.fix_level,
        output: FixOutput::Collect(Arc::clone(&files)),
    });
    let scanned = scan_in_mode(settings, walk_of(settings), mode)?;
    let mut files = std::mem::take(&mut *files.lock().unwrap_or_else(|poison| poison.into_inner()));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((scanned, files))
}

fn walk_of(settings: &Settings) -> Walk {
    match walk::streamable_roots(&settings.roots, &settings.cwd, settings.force_exclude) {
        Some(directory_roots) => Walk::Stream(directory_roots),
        None => Walk::Collect,
    }
}

fn scan_with(settings: &Settings, walk: Walk) -> io::Result<Scanned> {
    scan_in_mode(settings, walk, mode_of(settings))
}

fn mode_of(settings: &Settings) -> Box<dyn FileMode> {
    match settings.mode {
        Mode::Check | Mode::Images => Box::new(Check),
        Mode::Fix => Box::new(Fix {
            level: settings.fix_level,
            output: FixOutput::Write(Committer::default()),
        }),
        Mode::Diff => Box::new(Fix {
            level: settings.fix_level,
            output: FixOutput::Diff,
        }),
    }
}

fn scan_in_mode(settings: &Settings, walk: Walk, mode: Box<dyn FileMode>) -> io::Result<Scanned> {
    let run = Run {
        settings,
        engine: Engine::new(settings),
        mode,
        pool: rayon::ThreadPoolBuilder::new()
            .num_threads(settings.threads)
            .build()
            .map_err(io::Error::other)?,
        clean_files: AtomicUsize::new(0),
    };
    let (reports, walk_errors, clean_files) = match walk {
        Walk::Stream(directory_roots) => run.stream(&directory_roots),
        Walk::Collect => run.collect(),
    };
    let options = RenderOptions {
        mode: settings.mode,
        fix_level: settings.fix_level,
        fail_on: settings.fail_on,
    };
    let mut run = run_report(&reports, &walk_errors, &options);
    run.summary.files_scanned += clean_files;
    Ok(Scanned {
        reports,
        run,
        options,
    })
}

/// The run's totals, skipped files, notes and errors, from every file's report.
fn run_report(
    reports: &[FileReport],
    walk_errors: &[walk::WalkError],
    options: &RenderOptions,
) -> RunReport {
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
    for report in reports {
        run.summary.add(report, options);
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
    run.summary.io_errors += walk_errors.len();
    run
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::settings::ScanOptions;

    /// Every folder under `fixtures/` that is a scanned tree.
    fn fixture_trees() -> Vec<PathBuf> {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut trees = vec![fixtures.clone()];
        for entry in std::fs::read_dir(&fixtures).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().is_some_and(|name| name == "cli") {
                for case in std::fs::read_dir(&path).unwrap() {
                    let case = case.unwrap().path();
                    if case.is_dir() {
                        trees.push(case);
                    }
                }
            } else if path.is_dir() {
                trees.push(path);
            }
        }
        trees.sort();
        trees
    }

    fn copy_tree(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                copy_tree(&entry.path(), &target);
            } else if kind.is_file() {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }

    /// Everything a scan reports, as text: the reports and the run's totals.
    fn scanned(tree: &Path, mode: Mode, walk: impl FnOnce(&Settings) -> Walk) -> String {
        let settings = match Settings::resolve(&ScanOptions::new(vec![".".into()], mode), tree) {
            Ok(settings) => settings,
            // A configuration error stops a run before any walk.
            Err(error) => return error.to_string(),
        };
        let scanned = scan_with(&settings, walk(&settings)).unwrap();
        format!("{:#?}\n{:#?}", scanned.reports, scanned.run)
    }

    fn streamed(settings: &Settings) -> Walk {
        // A tree scanned as `.` is one folder, which always streams.
        let roots = walk::streamable_roots(&settings.roots, &settings.cwd, settings.force_exclude);
        Walk::Stream(roots.expect("one folder is streamable"))
    }

    /// Fails the write of every file that passes the gate: at once, or (`deferred`) only when
    /// the writes are finished, as a commit on an I/O thread fails.
    struct FailingWrites {
        deferred: bool,
        failed: Mutex<Vec<(Candidate, FileReport)>>,
    }

    impl FileMode for FailingWrites {
        fn process(
            &self,
            _engine: &Engine,
            file: &Candidate,
            checked: Checked,
        ) -> (FileReport, Vec<u8>) {
            let (report, bytes) = checked.into_parts();
            let failed = not_written(report.clone(), &WriteError::ChangedSinceRead);
            if !self.deferred {
                return (failed, bytes);
            }
            self.failed.lock().unwrap().push((file.clone(), failed));
            // What `process` says before the write's outcome is known; a file with nothing
            // found says nothing (a clean report is counted and dropped).
            let mut hopeful = report;
            hopeful.fixed = usize::from(!hopeful.findings.is_empty());
            (hopeful, bytes)
        }

        fn finish_writes(&self) -> Vec<(Candidate, FileReport)> {
            std::mem::take(&mut *self.failed.lock().unwrap())
        }
    }

    /// A write that fails after `process` has reported the file fixed is reported exactly as
    /// one that fails at once: the file's findings as scanned, the error, the same totals.
    #[test]
    fn a_write_that_fails_later_is_reported_as_one_that_fails_at_once() {
        let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let settings =
            Settings::resolve(&ScanOptions::new(vec![".".into()], Mode::Fix), &tree).unwrap();
        let outcome = |deferred: bool, walk: Walk| {
            let mode = Box::new(FailingWrites {
                deferred,
                failed: Mutex::new(Vec::new()),
            });
            let scanned = scan_in_mode(&settings, walk, mode).unwrap();
            format!("{:#?}\n{:#?}", scanned.reports, scanned.run)
        };
        let at_once = outcome(false, streamed(&settings));
        assert!(at_once.contains("fix not written"));
        assert_eq!(outcome(true, streamed(&settings)), at_once);
        assert_eq!(outcome(true, Walk::Collect), at_once);
    }

    /// The walk a run takes depends on its paths, and both must say the same: every report,
    /// note and total, in every mode, on every fixture tree (and for `fix`, the same files
    /// written).
    #[test]
    fn streamed_and_collected_walks_report_the_same() {
        for tree in fixture_trees() {
            for mode in [Mode::Check, Mode::Diff, Mode::Images] {
                assert_eq!(
                    scanned(&tree, mode, streamed),
                    scanned(&tree, mode, |_| Walk::Collect),
                    "{} in {mode:?}",
                    tree.display()
                );
            }
            let copies = tempfile::tempdir().unwrap();
            let (one, other) = (copies.path().join("one"), copies.path().join("other"));
            copy_tree(&tree, &one);
            copy_tree(&tree, &other);
            assert_eq!(
                scanned(&one, Mode::Fix, streamed),
                scanned(&other, Mode::Fix, |_| Walk::Collect),
                "{} in Fix",
                tree.display()
            );
            assert_eq!(
                scanned(&one, Mode::Check, streamed),
                scanned(&other, Mode::Check, streamed),
                "{}: the fixed trees differ",
                tree.display()
            );
        }
    }
}
