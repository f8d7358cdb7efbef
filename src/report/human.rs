//! The default format: a rustc-style snippet per finding with the span underlined, its context,
//! notes, and the fix shown as a patch; then one summary line. Styled output is always produced
//! and the writer strips it when colour is off (`--color`, NO_COLOR, not a terminal).

use std::io::{self, Write};

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Patch, Renderer, Snippet};

use super::{FileReport, RenderOptions, Reporter, RunReport, plural};
use crate::finding::{Applicability, Finding};
use crate::fix::FixLevel;
use crate::rules::Severity;
use crate::settings::Mode;

/// Longest excerpt (bytes) shown as a patch; annotate-snippets does not shorten patch lines.
const MAX_PATCH_LINE: usize = 240;

pub struct HumanReporter {
    options: RenderOptions,
    renderer: Renderer,
    /// The command the summary suggests for the fixable findings.
    fix_command: &'static str,
}

impl HumanReporter {
    pub fn new(options: RenderOptions) -> HumanReporter {
        HumanReporter {
            options,
            renderer: Renderer::styled(),
            fix_command: "regshift fix",
        }
    }

    /// For a run over standard input: the summary suggests `regshift fix -`, since
    /// `regshift fix` would fix the current directory instead.
    pub fn for_stdin(self) -> HumanReporter {
        HumanReporter {
            fix_command: "regshift fix -",
            ..self
        }
    }

    fn render_finding(&self, path: &str, finding: &Finding) -> String {
        let level = severity_level(finding.severity());
        let excerpt = &finding.excerpt;
        let snippet = Snippet::source(excerpt.text.as_str())
            .line_start(excerpt.first_line)
            .annotation(
                AnnotationKind::Primary
                    .span(excerpt.span.clone())
                    .label(finding.context.as_str()),
            );
        let mut group = Group::with_title(
            level
                .primary_title(finding.message.as_str())
                .id(finding.rule.id()),
        );
        group = if excerpt.truncated_start {
            group.element(
                Origin::path(path)
                    .line(finding.location.line)
                    .char_column(finding.location.column),
            )
        } else {
            group.element(snippet.clone().path(path))
        };
        if excerpt.truncated_start {
            group = group.element(snippet);
        }
        if let Some(note) = &finding.note {
            group = group.element(Level::NOTE.message(note.as_str()));
        }
        let mut groups: Vec<Group<'_>> = vec![group];
        if let Some(help) = self.fix_help(path, finding) {
            groups.push(help);
        }
        self.renderer.render(&groups)
    }

    fn fix_help<'a>(&self, path: &'a str, finding: &'a Finding) -> Option<Group<'a>> {
        let fix = finding.fix.as_ref()?;
        // Edits on other lines (an insertion further down) come with their own excerpt.
        let excerpt = finding.fix_excerpt.as_ref().unwrap_or(&finding.excerpt);
        let change = match fix.edits() {
            [edit] if !edit.replacement.contains('\n') => {
                format!("replace with `{}`", edit.replacement)
            }
            _ => "apply this change".to_string(),
        };
        let title = match (fix.applicability, self.options.fix_level) {
            (Applicability::Safe, _) => format!("{change} (safe fix)"),
            (Applicability::Unsafe, FixLevel::IncludeUnsafe) => format!("{change} (unsafe fix)"),
            (Applicability::Unsafe, FixLevel::SafeOnly) => {
                format!("{change} (unsafe fix: applied with `--unsafe-fixes`)")
            }
            (Applicability::DisplayOnly, _) => return None,
        };
        let help = Level::HELP.secondary_title(title);
        // Patches are drawn on the excerpt, so every edit must fall inside it; annotate-snippets
        // prints patched lines in full, so very long lines get the title alone.
        let patches: Option<Vec<Patch<'a>>> = match excerpt.start {
            Some(start) if !excerpt.truncated_start && excerpt.text.len() <= MAX_PATCH_LINE => fix
                .edits()
                .iter()
                .map(|edit| {
                    let range =
                        edit.range.start.checked_sub(start)?..edit.range.end.checked_sub(start)?;
                    // The excerpt has no `\r`; a CRLF insertion would show as a changed line.
                    (range.end <= excerpt.text.len())
                        .then(|| Patch::new(range, edit.replacement.replace("\r\n", "\n")))
                })
                .collect(),
            _ => None,
        };
        Some(match patches {
            Some(patches) => help.element(
                Snippet::source(excerpt.text.as_str())
                    .line_start(excerpt.first_line)
                    .path(path)
                    .patches(patches),
            ),
            None => Group::with_title(help),
        })
    }

    fn summary_line(&self, run: &RunReport) -> String {
        let summary = &run.summary;
        let files = plural(summary.files_with_findings, "file", "files");
        let mut line = match self.options.mode {
            Mode::Check | Mode::Diff | Mode::Images => {
                if summary.findings == 0 && summary.io_errors > 0 {
                    // A partial scan never reads as an all-clear.
                    format!(
                        "No legacy registry references in the {} scanned, but {} could not be scanned (see above).",
                        plural(summary.files_scanned, "file", "files"),
                        plural(summary.io_errors, "path", "paths")
                    )
                } else if summary.findings == 0 {
                    format!(
                        "No legacy registry references in {}.",
                        plural(summary.files_scanned, "file", "files")
                    )
                } else {
                    let fixable = if summary.fixable == 0 {
                        "none fixable automatically".to_string()
                    } else {
                        format!("{} fixable; run `{}`", summary.fixable, self.fix_command)
                    };
                    format!(
                        "{} in {files}, {fixable}",
                        plural(summary.findings, "finding", "findings")
                    )
                }
            }
            Mode::Fix => {
                let fixed = if summary.fixed == 0 {
                    "Nothing fixed".to_string()
                } else {
                    format!(
                        "Fixed {} in {}",
                        plural(summary.fixed, "finding", "findings"),
                        plural(summary.files_fixed, "file", "files")
                    )
                };
                if summary.findings == 0 && summary.io_errors > 0 {
                    // As for check: what could not be read is not clean.
                    format!(
                        "{fixed}; no legacy registry references remain in the {} scanned, but {} could not be scanned (see above).",
                        plural(summary.files_scanned, "file", "files"),
                        plural(summary.io_errors, "path", "paths")
                    )
                } else if summary.findings == 0 {
                    format!("{fixed}; no legacy registry references remain.")
                } else {
                    format!(
                        "{fixed}; {} in {files} {}",
                        plural(summary.findings, "finding", "findings"),
                        if summary.findings == 1 {
                            "remains"
                        } else {
                            "remain"
                        },
                    )
                }
            }
        };
        if summary.hidden_unsafe > 0 {
            let more = if self.options.mode == Mode::Fix {
                ""
            } else {
                " more"
            };
            line.push_str(&format!(
                " ({}{more} fixable with `--unsafe-fixes`)",
                summary.hidden_unsafe
            ));
        }
        if summary.suppressed > 0 {
            line.push_str(&format!("; {} suppressed", summary.suppressed));
        }
        if summary.skipped > 0 {
            line.push_str(&format!(
                "; {} skipped (see above)",
                plural(summary.skipped, "file", "files")
            ));
        }
        line
    }
}

fn severity_level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

impl Reporter for HumanReporter {
    fn file(&mut self, out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for finding in &file.findings {
            writeln!(
                out,
                "{}\n",
                self.render_finding(file.path.as_str(), finding)
            )?;
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()> {
        let style = if run.summary.failing > 0 {
            anstyle::Style::new().bold()
        } else {
            anstyle::Style::new()
        };
        writeln!(out, "{style}{}{style:#}", self.summary_line(run))
    }
}
