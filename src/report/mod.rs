//! Output goes only through a [`Reporter`]: one renderer per format, each fed the same sorted
//! file reports on one thread, with a start and an end (the place for JSON envelopes and
//! summaries). What goes to standard error (the run's messages, the `fix --diff` summary) is
//! rendered by reporters too, in `messages`, over a writer `main.rs` opens. The sweep's table
//! has reporters of its own (`sweep::render`); apart from those and the sweep's progress bar,
//! nothing else in the library writes to stdout or stderr.

pub mod concise;
pub mod diff;
pub mod fingerprint;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod markdown;
pub(crate) mod messages;
pub mod rdjson;
pub mod sarif;

use std::io::{self, Write};

use crate::detect::Detection;
use crate::finding::{Applicability, Finding};
use crate::fix::FixLevel;
use crate::path::RepoPath;
use crate::rules::Severity;
use crate::settings::Mode;

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    Scanned,
    /// Not text (a NUL byte in its first 8 KiB): not scanned, not listed.
    Binary,
    /// Not scanned, and listed in `skipped`. An unreadable file is an error (exit code 2); a
    /// file over the size limit is not.
    Skipped {
        reason: String,
        is_error: bool,
    },
}

/// Everything the renderers need about one file. `findings` are the ones that remain: for
/// `fix`, those found in the fixed file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: RepoPath,
    pub status: FileStatus,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
    pub suppressed: usize,
    /// Findings fixed (`fix`) or that would be fixed (`fix --diff`).
    pub fixed: usize,
    /// The unified diff (`fix --diff`), as bytes: a file need not be UTF-8.
    pub diff: Option<Vec<u8>>,
    /// The fix could not be applied or written; the file is untouched.
    pub error: Option<String>,
}

impl FileReport {
    /// Scanned, and nothing to report or count but the scan itself.
    pub fn is_clean(&self) -> bool {
        matches!(self.status, FileStatus::Scanned)
            && self.findings.is_empty()
            && self.notes.is_empty()
            && self.suppressed == 0
            && self.fixed == 0
            && self.diff.is_none()
            && self.error.is_none()
    }

    /// A scanned file's report of what detection found.
    pub(crate) fn scanned(path: RepoPath, detection: Detection) -> FileReport {
        let mut report = FileReport::new(path, FileStatus::Scanned);
        report.findings = detection.findings;
        report.notes = detection.notes;
        report.suppressed = detection.suppressed;
        report
    }

    pub fn new(path: RepoPath, status: FileStatus) -> FileReport {
        FileReport {
            path,
            status,
            findings: Vec::new(),
            notes: Vec::new(),
            suppressed: 0,
            fixed: 0,
            diff: None,
            error: None,
        }
    }
}

/// A path that was named or walked but could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError {
    pub path: String,
    pub message: String,
}

/// Totals for the summary line, the JSON summary and the exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files_scanned: usize,
    pub findings: usize,
    pub files_with_findings: usize,
    /// Findings whose fix the current settings would apply.
    pub fixable: usize,
    /// Unsafe fixes not counted in `fixable` because `--unsafe-fixes` is off.
    pub hidden_unsafe: usize,
    pub fixed: usize,
    pub files_fixed: usize,
    pub suppressed: usize,
    pub skipped: usize,
    /// Files that could not be read or fixed: these make the exit code 2.
    pub io_errors: usize,
    pub error_findings: usize,
    pub warning_findings: usize,
    pub info_findings: usize,
    /// Findings at or above the failing severity.
    pub failing: usize,
}

/// How a run is rendered, shared by all renderers.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub mode: Mode,
    pub fix_level: FixLevel,
    pub fail_on: Severity,
}

impl RenderOptions {
    /// Whether the current settings would apply this finding's fix.
    pub fn is_fixable(&self, finding: &Finding) -> bool {
        self.fix_level.applies(finding.applicability())
    }
}

impl Summary {
    pub fn add(&mut self, file: &FileReport, options: &RenderOptions) {
        match &file.status {
            FileStatus::Scanned => self.files_scanned += 1,
            FileStatus::Binary => {}
            FileStatus::Skipped { is_error, .. } => {
                self.skipped += 1;
                if *is_error {
                    self.io_errors += 1;
                }
            }
        }
        if file.error.is_some() {
            self.io_errors += 1;
        }
        if !file.findings.is_empty() {
            self.files_with_findings += 1;
        }
        if file.fixed > 0 {
            self.files_fixed += 1;
        }
        self.fixed += file.fixed;
        self.suppressed += file.suppressed;
        for finding in &file.findings {
            self.findings += 1;
            match finding.severity() {
                Severity::Error => self.error_findings += 1,
                Severity::Warning => self.warning_findings += 1,
                Severity::Info => self.info_findings += 1,
            }
            if finding.severity() >= options.fail_on {
                self.failing += 1;
            }
            if options.is_fixable(finding) {
                self.fixable += 1;
            } else if finding.applicability() == Applicability::Unsafe {
                self.hidden_unsafe += 1;
            }
        }
    }
}

/// Everything about the run that is not per file.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub summary: Summary,
    /// (path, reason) of files not scanned.
    pub skipped: Vec<(RepoPath, String)>,
    /// (path, note) about how files were read.
    pub notes: Vec<(RepoPath, String)>,
    /// (path, message) of fixes that could not be written, and paths that could not be walked.
    pub errors: Vec<PathError>,
}

/// A renderer. `begin` once, `file` for each file in sorted order, `end` once.
pub trait Reporter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn file(&mut self, out: &mut dyn Write, file: &FileReport) -> io::Result<()>;
    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()>;
}

/// "1 finding" / "2 findings".
pub fn plural(count: usize, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

/// A finding's message with its note, if any, in parentheses: the one-string form for formats
/// that have no field for the note (SARIF, GitLab, reviewdog).
pub(crate) fn message_with_note(finding: &Finding) -> String {
    match &finding.note {
        Some(note) => format!("{} ({note})", finding.message),
        None => finding.message.clone(),
    }
}
