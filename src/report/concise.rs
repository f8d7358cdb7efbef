//! `path:line:col: rule message`, one line per finding, for sweeps and editors' quickfix lists.

use std::io::{self, Write};

use super::{FileReport, RenderOptions, Reporter, RunReport, plural};

pub struct ConciseReporter {
    options: RenderOptions,
}

impl ConciseReporter {
    pub fn new(options: RenderOptions) -> ConciseReporter {
        ConciseReporter { options }
    }
}

impl Reporter for ConciseReporter {
    fn file(&mut self, out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for finding in &file.findings {
            let marker = if self.options.is_fixable(finding) {
                " [*]"
            } else {
                ""
            };
            writeln!(
                out,
                "{}:{}:{}: {}{marker} {}",
                file.path,
                finding.location.line,
                finding.location.column,
                finding.rule,
                finding.message
            )?;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()> {
        let summary = &run.summary;
        if summary.findings > 0 {
            // Fixes that only `--unsafe-fixes` applies are counted too, as the full format
            // does: a sweep's reader should not take "0 fixable" for "nothing to do".
            let hidden = if summary.hidden_unsafe > 0 {
                format!(
                    "; {} more fixable with `--unsafe-fixes`",
                    summary.hidden_unsafe
                )
            } else {
                String::new()
            };
            writeln!(
                out,
                "{} ([*] {} fixable{hidden})",
                plural(summary.findings, "finding", "findings"),
                summary.fixable
            )?;
        }
        Ok(())
    }
}
