//! Findings as LSP diagnostics, and the hover that explains them.

use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticSeverity, Hover, HoverContents, MarkupContent,
    MarkupKind, NumberOrString, Position, Uri,
};

use crate::explain;
use crate::finding::Finding;
use crate::rules::Severity;

use super::position::Encoding;
use super::workspace::Analysis;

/// The diagnostic of one finding: the host's exact range, the rule id as code with a link to
/// its documentation, the CLI's message and note.
pub fn diagnostic(analysis: &Analysis, finding: &Finding, encoding: Encoding) -> Diagnostic {
    let range = analysis
        .lines
        .range(analysis.bytes(), finding.range.clone(), encoding);
    let message = match &finding.note {
        Some(note) => format!("{}\nnote: {note}", finding.message),
        None => finding.message.clone(),
    };
    Diagnostic {
        range,
        severity: Some(severity(finding.severity())),
        code: Some(NumberOrString::String(finding.rule.id().to_string())),
        code_description: finding
            .rule
            .help_url()
            .parse::<Uri>()
            .ok()
            .map(|href| CodeDescription { href }),
        source: Some("regshift".to_string()),
        message,
        ..Diagnostic::default()
    }
}

pub fn diagnostics(analysis: &Analysis, encoding: Encoding) -> Vec<Diagnostic> {
    analysis
        .checked
        .detection
        .findings
        .iter()
        .map(|finding| diagnostic(analysis, finding, encoding))
        .collect()
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// The explanation of the rule of the finding under `position`, if one is.
pub fn hover(analysis: &Analysis, position: Position, encoding: Encoding) -> Option<Hover> {
    let offset = analysis.lines.offset(analysis.bytes(), position, encoding);
    let finding = analysis
        .checked
        .detection
        .findings
        .iter()
        .find(|finding| finding.range.start <= offset && offset <= finding.range.end)?;
    // The explanation's paragraphs read as Markdown (they wrap in the editor); its example
    // is indented four spaces, which Markdown shows as code.
    let value = format!(
        "**{}** — {}\n\n{}",
        finding.rule.id(),
        finding.message,
        explain::explanation(finding.rule)
    );
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: Some(
            analysis
                .lines
                .range(analysis.bytes(), finding.range.clone(), encoding),
        ),
    })
}
