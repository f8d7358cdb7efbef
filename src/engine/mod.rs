//! The engine: one file's bytes in, its report out. The CLI's walk, `sweep` and an editor all
//! call it; it does no walking, no writing and no printing.
//!
//! For a file on disk it finds what the file is (its carrier, from its name and the Helm chart
//! around it) and where it comes from (kustomize bases in the scanned tree), runs detection
//! with the file's configuration, and for `fix` applies and verifies the fixes
//! ([`verify`]). Packaged charts are checked member by member, never fixed.

mod sed;
mod verify;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::carrier::{Carrier, is_kustomization};
use crate::config::Config;
use crate::detect::{Detection, Detector, RuleFilter};
use crate::fix::FixLevel;
use crate::layout::archive::{self, Package};
use crate::layout::{chart, kustomize};
use crate::origin::{History, Origin, Packaged};
use crate::path::RepoPath;
use crate::report::{FileReport, FileStatus};
use crate::settings::Settings;
use crate::source::SourceFile;
use crate::walk::Candidate;

pub use verify::Fixed;

/// Built once per run from its settings and shared by every thread.
#[derive(Debug)]
pub struct Engine {
    /// One detector per configuration: each may move its own registries (`[[move]]`).
    detectors: Vec<(Arc<Config>, Detector)>,
    /// The configuration of each root, by a candidate's `root` index.
    root_configs: Vec<Arc<Config>>,
    canonical_roots: Vec<PathBuf>,
    /// Which kustomizations include each component, once the run's kustomizations are known.
    includers: kustomize::Includers,
    /// Each root that is a folder the run walks; `None` for a file named on the command line.
    root_folders: Vec<Option<PathBuf>>,
    /// The working directory, which reports name files from.
    cwd: PathBuf,
    /// The run's files with something to report, once they are processed: the files a
    /// script's `sed` may read or edit.
    sed_targets: sed::TargetIndex,
    /// Whether every file of program source has been processed, so that test data and
    /// CustomResourceDefinitions know what code names.
    program_source_known: bool,
    /// The image references that program source names, collected as it is processed; and
    /// whether a file of program source could not be read, which leaves them unknown.
    program_source_references: Mutex<HashSet<String>>,
    program_source_unread: AtomicBool,
    /// What `program_source_references` held once every file of program source was processed
    /// (`None` if one could not be read); empty when no program source names anything the
    /// run reports.
    program_source_names: Option<Arc<HashSet<String>>>,
}

/// A file read and detected: what a report or a fix starts from. Its findings are located
/// (lines, columns, excerpts) when it becomes a report: a fix that rewrites them reports what
/// remains in the fixed file instead.
#[derive(Debug)]
pub struct Checked {
    pub source: SourceFile,
    pub detection: Detection,
}

impl Checked {
    /// The report of what was found.
    pub fn into_report(self) -> FileReport {
        self.into_parts().0
    }

    /// The report of what was found, and the file's bytes (for a buffer to reuse).
    pub fn into_parts(mut self) -> (FileReport, Vec<u8>) {
        self.detection.locate(&self.source);
        let SourceFile { path, bytes, .. } = self.source;
        (FileReport::scanned(path, self.detection), bytes)
    }
}

impl Engine {
    pub fn new(settings: &Settings) -> Engine {
        let mut detectors: Vec<(Arc<Config>, Detector)> = Vec::new();
        for root in &settings.roots {
            if !detectors
                .iter()
                .any(|(config, _)| Arc::ptr_eq(config, &root.config))
            {
                let detector = Detector::with_moves(root.config.moves.clone());
                detectors.push((root.config.clone(), detector));
            }
        }
        Engine {
            detectors,
            root_configs: settings
                .roots
                .iter()
                .map(|root| root.config.clone())
                .collect(),
            canonical_roots: settings.canonical_roots(),
            includers: kustomize::Includers::default(),
            root_folders: settings
                .roots
                .iter()
                .map(|root| root.absolute.is_dir().then(|| root.absolute.clone()))
                .collect(),
            cwd: settings.cwd.clone(),
            sed_targets: sed::TargetIndex::default(),
            program_source_known: false,
            program_source_references: Mutex::new(HashSet::new()),
            program_source_unread: AtomicBool::new(false),
            program_source_names: None,
        }
    }

    /// The canonical scanned roots: a symlink is written through only to a target inside one.
    pub fn canonical_roots(&self) -> &[PathBuf] {
        &self.canonical_roots
    }

    /// Index the run's kustomization files: a component takes its bases from whatever
    /// includes it, so every kustomization must be known before any is checked.
    pub fn index_kustomizations<'a>(&mut self, paths: impl IntoIterator<Item = &'a Path>) {
        self.includers = kustomize::Includers::build(paths);
    }

    /// Index the run's files that hold something to report, once every one of them is
    /// processed and its fix written: a script's `sed` may read or edit any of them.
    pub fn index_sed_targets(&mut self, files: Vec<Candidate>) {
        self.sed_targets = sed::TargetIndex::new(files);
    }

    /// Whether `file` holding `bytes` may run `sed` on other files (`sed -i … FILE`): it is
    /// processed after every other file, once their fixes are written.
    pub fn waits_for_sed_inputs(&self, file: &Candidate, bytes: &[u8]) -> bool {
        !is_kustomization(file.display.as_str()) && crate::layout::sed::may_run_sed(bytes)
    }

    /// Whether `file` holding `bytes`, found by walking a folder, is to be processed once every
    /// other file is, because whether its fixes are safe depends on what the run's program
    /// source names ([`Engine::settle_program_source`]): test data (may code name anything the
    /// run reports?) and a CustomResourceDefinition (does code name the references its schema
    /// holds, which a generator writes from code?). Program source does not wait, not even below
    /// `testdata/`: it is part of what the others wait for, and processed with them it would
    /// decide that question for some of them and not for the rest.
    pub fn waits_for_program_source(&self, file: &Candidate, bytes: &[u8]) -> bool {
        !self.program_source_known
            && self.found_in_folder(file)
            && !is_program_source(file)
            && (crate::origin::test_data(file.display.as_str()).is_some()
                || crate::origin::may_hold_custom_resource_definition(bytes))
    }

    /// Whether `file` was found by walking a folder, not named alone on the command line.
    fn found_in_folder(&self, file: &Candidate) -> bool {
        self.root_folders[file.root].is_some()
    }

    /// What `file` holds is not known before test data is processed (it is held back for its
    /// `sed` commands, or could not be read): if it is program source, what program source
    /// names stays unknown.
    pub fn program_source_unseen(&self, file: &Candidate) {
        if is_program_source(file) {
            self.program_source_unread.store(true, Ordering::Relaxed);
        }
    }

    /// Every file but those waiting for program source, scripts that run `sed` and
    /// kustomizations is processed: what program source names is now known.
    pub fn settle_program_source(&mut self) {
        self.program_source_known = true;
        let references = std::mem::take(
            self.program_source_references
                .get_mut()
                .unwrap_or_else(|poison| poison.into_inner()),
        );
        self.program_source_names =
            (!*self.program_source_unread.get_mut()).then(|| Arc::new(references));
    }

    fn config(&self, file: &Candidate) -> &Arc<Config> {
        &self.root_configs[file.root]
    }

    fn detector(&self, file: &Candidate) -> &Detector {
        let config = self.config(file);
        self.detectors
            .iter()
            .find(|(known, _)| Arc::ptr_eq(known, config))
            .map(|(_, detector)| detector)
            .expect("a detector per configuration")
    }

    fn rule_filter(&self, file: &Candidate) -> RuleFilter {
        self.config(file).rule_filter(&file.path)
    }

    /// The byte gate: whether `bytes` may hold anything to report. Most files end here.
    pub fn may_match(&self, file: &Candidate, bytes: &[u8]) -> bool {
        self.detector(file).may_match(bytes)
    }

    /// Detection for `file` holding `bytes` (not necessarily what is on disk: an editor's
    /// buffer). What the file is and where it comes from is read from the disk around it.
    pub fn detect(&self, file: &Candidate, bytes: Vec<u8>) -> Checked {
        self.detect_as(file, bytes, None)
    }

    /// [`Engine::detect`], with the carrier given instead of found from the file's name and
    /// chart (standard input without a name is a YAML manifest).
    pub fn detect_as(&self, file: &Candidate, bytes: Vec<u8>, carrier: Option<Carrier>) -> Checked {
        // Only files that pass the gate pay for the layout on disk: their chart, their bases.
        let display = file.display.as_str();
        let kustomization = is_kustomization(display)
            .then(|| std::str::from_utf8(&bytes).ok())
            .flatten()
            .map(|text| {
                let config = self.config(file);
                let excluded = |path: &Path, is_dir: bool| config.is_excluded(path, is_dir, true);
                let scope = kustomize::Scope {
                    roots: &self.canonical_roots,
                    excluded: &excluded,
                    includers: &self.includers,
                    scanner: self.detector(file).scanner(),
                };
                Arc::new(kustomize::resolve_bases(&file.path, text, &scope))
            });
        let carrier = carrier.unwrap_or_else(|| {
            Carrier::of(display, chart::locate(&file.path)).with_content(&bytes)
        });
        let sed_inputs = if self.waits_for_sed_inputs(file, &bytes) {
            std::str::from_utf8(&bytes)
                .ok()
                .and_then(|text| self.sed_inputs(file, text))
        } else {
            None
        };
        let source =
            SourceFile::with_carrier(file.display.clone(), bytes, carrier).with_origin(Origin {
                packaged: None,
                kustomization,
                history: if self.config(file).is_history(&file.path) {
                    Some(History::Notes)
                } else {
                    crate::origin::is_release_artifact(display).then_some(History::Release)
                },
                sed_inputs,
                program_source_names: self
                    .program_source_names
                    .clone()
                    .filter(|_| self.found_in_folder(file)),
            });
        let detection = self
            .detector(file)
            .detect_unlocated(&source, &self.rule_filter(file));
        if source.carrier == Carrier::ProgramSource && !detection.findings.is_empty() {
            self.program_source_references
                .lock()
                .unwrap_or_else(|poison| poison.into_inner())
                .extend(detection.findings.iter().map(|f| f.reference.clone()));
        }
        Checked { source, detection }
    }

    /// What `check` reports for `file` holding `bytes`.
    pub fn check(&self, file: &Candidate, bytes: Vec<u8>) -> FileReport {
        self.detect(file, bytes).into_report()
    }

    /// Apply the fixes `level` allows to a checked file and verify the result; nothing is
    /// written. `Err` says why the file must stay as it is.
    pub fn fix(
        &self,
        file: &Candidate,
        checked: &Checked,
        level: FixLevel,
    ) -> Result<Fixed, String> {
        verify::fixed_source(self.detector(file), &self.rule_filter(file), checked, level)
    }

    /// A gzip-compressed tarball (`bytes`, read whole): if it is a packaged chart, each text
    /// member is checked, never fixed, as `charts/dep-1.0.0.tgz!dep/values.yaml`; any other
    /// tarball is binary. A dependency (in a chart's `charts/` folder) names the values prefix
    /// that overrides it from the parent; one that cannot be read is an error, since a chart's
    /// dependency must never pass unseen.
    pub fn check_archive(&self, file: &Candidate, bytes: &[u8]) -> Vec<FileReport> {
        let members = match archive::read_package(&file.path, bytes) {
            Ok(Package::Chart(members)) => members,
            Ok(Package::NotAChart) => {
                return vec![FileReport::new(file.display.clone(), FileStatus::Binary)];
            }
            Err(error) => {
                let status = FileStatus::Skipped {
                    reason: error.to_string(),
                    is_error: true,
                };
                return vec![FileReport::new(file.display.clone(), status)];
            }
        };
        let detector = self.detector(file);
        let filter = self.rule_filter(file);
        let mut reports = Vec::with_capacity(members.len());
        for member in members {
            let path = RepoPath::new(format!("{}!{}", file.display, member.path));
            if !detector.may_match(&member.bytes) {
                reports.push(FileReport::new(path, FileStatus::Scanned));
                continue;
            }
            let carrier = Carrier::of(path.as_str(), Some(member.role));
            let origin = Origin {
                packaged: Some(Packaged {
                    dependency_prefix: member.dependency_prefix,
                }),
                kustomization: None,
                history: None,
                sed_inputs: None,
                program_source_names: None,
            };
            let source = SourceFile::with_carrier(path, member.bytes, carrier).with_origin(origin);
            let detection = detector.detect_unlocated(&source, &filter);
            reports.push(Checked { source, detection }.into_report());
        }
        reports
    }
}

/// Whether `file` is program source, by its name (the carrier of program source never depends
/// on a file's content or its chart).
fn is_program_source(file: &Candidate) -> bool {
    Carrier::of(file.display.as_str(), None) == Carrier::ProgramSource
}
