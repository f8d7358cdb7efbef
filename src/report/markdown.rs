//! `--format markdown`: a report for a pull request or a GitHub job summary. Totals, then one
//! table per file (line, rule, image, fix), long tables collapsed in `<details>`, and the
//! command that fixes what can be fixed.

use std::io::{self, Write};

use super::{FileReport, RenderOptions, Reporter, RunReport, plural};
use crate::finding::{Applicability, Finding};
use crate::fix::FixLevel;

/// Rows shown per file before the rest is folded away.
const VISIBLE_ROWS: usize = 10;

pub struct MarkdownReporter {
    options: RenderOptions,
    sections: Vec<String>,
}

impl MarkdownReporter {
    pub fn new(options: RenderOptions) -> MarkdownReporter {
        MarkdownReporter {
            options,
            sections: Vec::new(),
        }
    }

    fn fix_cell(&self, finding: &Finding) -> String {
        let replacement = finding
            .fix
            .as_ref()
            .and_then(|fix| fix.edits().first())
            .map(|edit| edit.replacement.lines().next().unwrap_or("").to_string())
            .unwrap_or_default();
        match finding.applicability() {
            Applicability::Safe => format!("safe: `{}`", code(&replacement)),
            Applicability::Unsafe if self.options.fix_level == FixLevel::IncludeUnsafe => {
                format!("unsafe: `{}`", code(&replacement))
            }
            Applicability::Unsafe => "unsafe (`--unsafe-fixes`)".to_string(),
            Applicability::DisplayOnly => "none".to_string(),
        }
    }
}

/// A table cell: pipes escaped, line breaks flattened.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Text inside backticks: a backtick cannot be escaped there, so it is replaced.
fn code(text: &str) -> String {
    cell(text).replace('`', "'")
}

impl Reporter for MarkdownReporter {
    fn file(&mut self, _out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        if file.findings.is_empty() {
            return Ok(());
        }
        let mut section = format!(
            "### `{}` ({})\n\n",
            code(file.path.as_str()),
            plural(file.findings.len(), "finding", "findings")
        );
        let header = "| line | rule | image | fix |\n|---:|---|---|---|\n";
        let rows: Vec<String> = file
            .findings
            .iter()
            .map(|finding| {
                format!(
                    "| {} | `{}` | `{}` | {} |\n",
                    finding.location.line,
                    finding.rule,
                    code(&finding.reference),
                    self.fix_cell(finding)
                )
            })
            .collect();
        section.push_str(header);
        for row in rows.iter().take(VISIBLE_ROWS) {
            section.push_str(row);
        }
        if rows.len() > VISIBLE_ROWS {
            section.push_str(&format!(
                "\n<details><summary>{} more</summary>\n\n{header}",
                rows.len() - VISIBLE_ROWS
            ));
            for row in &rows[VISIBLE_ROWS..] {
                section.push_str(row);
            }
            section.push_str("\n</details>\n");
        }
        self.sections.push(section);
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()> {
        let summary = &run.summary;
        if summary.findings == 0 {
            writeln!(
                out,
                "## regshift: no legacy registry references\n\n{} scanned.",
                plural(summary.files_scanned, "file", "files")
            )?;
        } else {
            writeln!(
                out,
                "## regshift: {} in {}\n",
                plural(
                    summary.findings,
                    "legacy registry reference",
                    "legacy registry references"
                ),
                plural(summary.files_with_findings, "file", "files")
            )?;
            writeln!(out, "| | count |\n|---|---:|")?;
            writeln!(out, "| errors | {} |", summary.error_findings)?;
            writeln!(out, "| warnings | {} |", summary.warning_findings)?;
            writeln!(out, "| info | {} |", summary.info_findings)?;
            writeln!(out, "| fixable | {} |", summary.fixable)?;
            writeln!(out, "| files scanned | {} |\n", summary.files_scanned)?;
        }
        // Many files: keep the page short, the tables one click away.
        let folded = self.sections.len() > VISIBLE_ROWS;
        if folded {
            writeln!(
                out,
                "<details><summary>Findings in {}</summary>\n",
                plural(self.sections.len(), "file", "files")
            )?;
        }
        for section in &self.sections {
            writeln!(out, "{section}")?;
        }
        if folded {
            writeln!(out, "</details>\n")?;
        }
        if !run.skipped.is_empty() || !run.errors.is_empty() {
            writeln!(out, "**Not scanned:**\n")?;
            for (path, reason) in &run.skipped {
                writeln!(out, "- `{}`: {}", code(path.as_str()), cell(reason))?;
            }
            for error in &run.errors {
                writeln!(out, "- `{}`: {}", code(&error.path), cell(&error.message))?;
            }
            writeln!(out)?;
        }
        if summary.fixable > 0 {
            writeln!(
                out,
                "To fix {}, run `regshift fix`{}.",
                plural(summary.fixable, "finding", "findings"),
                if self.options.fix_level == FixLevel::IncludeUnsafe {
                    " --unsafe-fixes"
                } else {
                    ""
                }
            )?;
        }
        if summary.hidden_unsafe > 0 {
            writeln!(
                out,
                "{} more can be fixed with `regshift fix --unsafe-fixes` after review.",
                summary.hidden_unsafe
            )?;
        }
        Ok(())
    }
}
