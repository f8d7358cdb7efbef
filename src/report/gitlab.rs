//! `--format gitlab`: a GitLab Code Quality report (the subset of the Code Climate issue format
//! that GitLab reads, `artifacts: reports: codequality:`): one JSON array of issues, each with
//! `description`, `check_name` (the rule id), `fingerprint` (see `fingerprint.rs`: stable
//! across line shifts, unique per finding), `severity` and `location.path` /
//! `location.lines.begin`. Severities map error → `major`, warning → `minor`, info → `info`;
//! `critical` and `blocker` are left for problems that break a build, which a frozen registry
//! does not yet. Skipped files, notes and errors are not issues: they go to standard error.

use std::io::{self, Write};

use serde::Serialize;

use super::fingerprint::fingerprints;
use super::{FileReport, Reporter, RunReport, message_with_note};
use crate::rules::Severity;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    categories: [&'static str; 1],
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// GitLab's severity for a rule's severity.
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "major",
        Severity::Warning => "minor",
        Severity::Info => "info",
    }
}

/// Writes the issues as files arrive; the array opens in `begin` and closes in `end`.
pub struct GitlabReporter {
    first: bool,
}

impl GitlabReporter {
    pub fn new() -> GitlabReporter {
        GitlabReporter { first: true }
    }
}

impl Default for GitlabReporter {
    fn default() -> GitlabReporter {
        GitlabReporter::new()
    }
}

impl Reporter for GitlabReporter {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(b"[")
    }

    fn file(&mut self, out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for (finding, fingerprint) in file.findings.iter().zip(fingerprints(file)) {
            out.write_all(if self.first { b"\n  " } else { b",\n  " })?;
            self.first = false;
            let issue = Issue {
                kind: "issue",
                description: message_with_note(finding),
                check_name: finding.rule.id(),
                fingerprint,
                severity: severity(finding.severity()),
                // Code Climate's category for code that stops working as platforms change.
                categories: ["Compatibility"],
                location: Location {
                    path: file.path.as_str(),
                    lines: Lines {
                        begin: finding.location.line,
                    },
                },
            };
            serde_json::to_writer(&mut *out, &issue)?;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, _run: &RunReport) -> io::Result<()> {
        out.write_all(if self.first { b"]\n" } else { b"\n]\n" })
    }
}
