//! What goes to standard error instead of the report: the run's messages (errors, skipped
//! files, notes), printed in every format so machine formats keep standard output to the
//! document alone, and the closing line of `fix --diff`. Both are reporters like the others;
//! `app::run` drives them over the standard-error writer the binary gives it, the messages
//! before the report and the diff summary after it.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::{FileReport, Reporter, RunReport, plural};
use crate::fix::FixLevel;
use crate::path::quoted;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const NOTE: Style = AnsiColor::Green.on_default().bold();

/// Errors, then skipped files, then notes, one line each, in the order the run collected them.
/// Styled; the writer strips the colour when it is off.
pub(crate) struct MessagesReporter;

impl Reporter for MessagesReporter {
    fn file(&mut self, _out: &mut dyn Write, _file: &FileReport) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()> {
        for failure in &run.errors {
            if failure.path.is_empty() {
                writeln!(out, "{ERROR}error{ERROR:#}: {}", failure.message)?;
            } else {
                writeln!(
                    out,
                    "{ERROR}error{ERROR:#}: {}: {}",
                    quoted(&failure.path),
                    failure.message
                )?;
            }
        }
        // Paths are quoted when they hold a line break: see `path::quoted`.
        for (path, reason) in &run.skipped {
            let path = quoted(path.as_str());
            writeln!(
                out,
                "{WARNING}warning{WARNING:#}: {path}: skipped: {reason}"
            )?;
        }
        for (path, message) in &run.notes {
            let path = quoted(path.as_str());
            writeln!(out, "{NOTE}note{NOTE:#}: {path}: {message}")?;
        }
        Ok(())
    }
}

/// `fix --diff`'s closing line: how many findings in how many files the fix would change and
/// the command that applies it, or that there is nothing to apply; plus the unsafe fixes left
/// out. Unstyled.
pub(crate) struct DiffSummaryReporter {
    level: FixLevel,
    /// The diff is of standard input: the command that applies it reads it too.
    stdin: bool,
}

impl DiffSummaryReporter {
    pub(crate) fn new(level: FixLevel, stdin: bool) -> DiffSummaryReporter {
        DiffSummaryReporter { level, stdin }
    }
}

impl Reporter for DiffSummaryReporter {
    fn file(&mut self, _out: &mut dyn Write, _file: &FileReport) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()> {
        let summary = &run.summary;
        let command = match (self.level, self.stdin) {
            (FixLevel::SafeOnly, false) => "regshift fix",
            (FixLevel::IncludeUnsafe, false) => "regshift fix --unsafe-fixes",
            (FixLevel::SafeOnly, true) => "regshift fix -",
            (FixLevel::IncludeUnsafe, true) => "regshift fix --unsafe-fixes -",
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
        writeln!(out, "{line}.")
    }
}
