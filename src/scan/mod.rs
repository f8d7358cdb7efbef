//! A run over the scanned paths: walk → read → engine → (check | fix | diff) → sorted file
//! reports and the run's totals. Rendering them is `app`'s job.
//!
//! The walk hands each file to the walker thread that found it (or, for `fix` and overlapping
//! paths, produces one sorted list that rayon processes in parallel); each file is processed
//! alone with no shared state; reports are sorted by path. `Check`, `Fix` and `Diff` are
//! [`FileMode`]s over the same walk, so the walk never branches on flags.

mod read;

use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::carrier::is_kustomization;
use crate::engine::{Checked, Engine};
use crate::fix::{FixLevel, write::persist_atomically};
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

/// `regshift fix` (`write`) and `regshift fix --diff` (not `write`).
struct Fix {
    level: FixLevel,
    write: bool,
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
        let source = &checked.source;
        let mut report = FileReport::scanned(source.path.clone(), fixed.remaining);
        if self.write {
            if let Err(error) = persist_atomically(
                &file.path,
                &source.bytes,
                &fixed.bytes,
                engine.canonical_roots(),
            ) {
                let (mut report, bytes) = checked.into_parts();
                report.error = Some(format!("fix not written: {error}"));
                return (report, bytes);
            }
        } else {
            report.diff = Some(unified_diff(
                source.path.as_str(),
                &source.bytes,
                &fixed.bytes,
            ));
        }
        report.fixed = fixed.count;
        (report, checked.source.bytes)
    }
}

fn process_candidate(mode: &dyn FileMode, engine: &Engine, file: &Candidate) -> Vec<FileReport> {
    let display = &file.display;
    if chart::is_archive(&file.path) {
        return match read::read_candidate(file, false) {
            Ok(bytes) => engine.check_archive(file, &bytes),
            Err(FileStatus::Skipped { .. }) if !chart::is_dependency_archive(&file.path) => {
                vec![FileReport::new(display.clone(), FileStatus::Binary)]
            }
            Err(status) => vec![FileReport::new(display.clone(), status)],
        };
    }
    // The byte gate comes before anything else costs: most files end here.
    let bytes = match read::read_text_if(file, |bytes| engine.may_match(file, bytes)) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return vec![FileReport::new(display.clone(), FileStatus::Scanned)],
        Err(status) => return vec![FileReport::new(display.clone(), status)],
    };
    let checked = engine.detect(file, bytes);
    let (report, bytes) = mode.process(engine, file, checked);
    read::recycle(bytes);
    vec![report]
}

/// A finished scan: every file's report, the run's totals, and how to render them.
#[derive(Debug)]
pub struct Scanned {
    pub reports: Vec<FileReport>,
    pub run: RunReport,
    pub options: RenderOptions,
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
    let mut engine = Engine::new(settings);
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
    let process = |engine: &Engine, candidate: &Candidate| {
        let mut reports = process_candidate(mode.as_ref(), engine, candidate);
        let before = reports.len();
        reports.retain(|report| !report.is_clean());
        clean_files.fetch_add(before - reports.len(), Ordering::Relaxed);
        reports
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
            walk::visit(
                &settings.roots,
                &directory_roots,
                &settings.cwd,
                settings.threads,
                || {
                    let mut share = walk::Share::new(&found);
                    let process = &process;
                    let engine = &engine;
                    move |item: Result<Candidate, walk::WalkError>| match item {
                        Ok(candidate) if is_kustomization(candidate.display.as_str()) => {
                            share.local.push(Streamed::Kustomization(candidate));
                        }
                        Ok(candidate) => {
                            let reports = process(engine, &candidate);
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
            engine.index_kustomizations(
                kustomizations
                    .iter()
                    .map(|candidate| candidate.path.as_path()),
            );
            let engine = &engine;
            done.extend(pool.install(|| {
                kustomizations
                    .into_par_iter()
                    .map(|candidate| {
                        let reports = process(engine, &candidate);
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
            engine.index_kustomizations(
                walked
                    .candidates
                    .iter()
                    .filter(|candidate| is_kustomization(candidate.display.as_str()))
                    .map(|candidate| candidate.path.as_path()),
            );
            let engine = &engine;
            let reports: Vec<FileReport> = pool.install(|| {
                walked
                    .candidates
                    .par_iter()
                    .map(|candidate| process(engine, candidate))
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
