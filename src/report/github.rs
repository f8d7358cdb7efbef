//! `--format github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`), `warning` and
//! `notice` by severity, then a summary line (GitHub shows a limited number of annotations).
//!
//! Escaping, as the runner decodes it: in the message, `%`, CR and LF; in properties, also
//! `:` and `,`, which would otherwise end a property.

use std::io::{self, Write};

use super::{FileReport, RenderOptions, Reporter, RunReport, plural};
use crate::rules::Severity;

pub struct GithubReporter {
    options: RenderOptions,
}

impl GithubReporter {
    pub fn new(options: RenderOptions) -> GithubReporter {
        GithubReporter { options }
    }
}

/// Escape workflow-command data (the message).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow-command property value.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

impl Reporter for GithubReporter {
    fn file(&mut self, out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for finding in &file.findings {
            let location = finding.location;
            let fix = if self.options.is_fixable(finding) {
                " (fixable: run regshift fix)"
            } else {
                ""
            };
            let mut message = format!("{}{fix}", finding.message);
            if let Some(note) = &finding.note {
                message.push('\n');
                message.push_str(note);
            }
            writeln!(
                out,
                "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                command(finding.severity()),
                escape_property(file.path.as_str()),
                location.line,
                location.column,
                location.end_line,
                location.end_column,
                escape_property(&format!("regshift {}", finding.rule)),
                escape_data(&message),
            )?;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()> {
        let summary = &run.summary;
        for (path, reason) in &run.skipped {
            writeln!(
                out,
                "::warning file={}::{}",
                escape_property(path.as_str()),
                escape_data(&format!("regshift skipped this file: {reason}"))
            )?;
        }
        for error in &run.errors {
            writeln!(
                out,
                "::error file={}::{}",
                escape_property(&error.path),
                escape_data(&error.message)
            )?;
        }
        if summary.findings == 0 {
            writeln!(
                out,
                "regshift: no legacy registry references in {}",
                plural(summary.files_scanned, "file", "files")
            )
        } else {
            writeln!(
                out,
                "regshift: {} in {} ({} errors, {} warnings, {} info), {} fixable",
                plural(summary.findings, "finding", "findings"),
                plural(summary.files_with_findings, "file", "files"),
                summary.error_findings,
                summary.warning_findings,
                summary.info_findings,
                summary.fixable
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a,b:c%d\ne"), "a%2Cb%3Ac%25d%0Ae");
    }
}
