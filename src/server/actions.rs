//! Code actions: a quick fix per fixable finding, "fix all" for the document's safe fixes, and
//! a suppression comment. Every edit is one of the engine's byte edits turned into a range of
//! the buffer it was found in; the server never writes a file.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, Range, TextEdit, Uri,
    WorkspaceEdit,
};

use crate::carrier::Carrier;
use crate::detect::text::{comment_start, heredoc};
use crate::finding::{Applicability, Edit, Finding};
use crate::fix::{FixLevel, apply_fixes};
use crate::rules::Rule;

use super::diagnostics::diagnostic;
use super::position::{Encoding, LineIndex};
use super::workspace::Analysis;

/// The kind of the fix-all action, as editors ask for it on save
/// (`"editor.codeActionsOnSave": {"source.fixAll.regshift": "explicit"}`).
pub const FIX_ALL: &str = "source.fixAll.regshift";

/// What the client asked for: the byte range of the request and the kinds it wants.
pub struct Request<'a> {
    pub uri: &'a Uri,
    pub range: Range,
    pub only: Option<&'a [CodeActionKind]>,
}

pub fn code_actions(
    analysis: &Analysis,
    request: &Request<'_>,
    encoding: Encoding,
) -> Vec<CodeActionOrCommand> {
    let bytes = analysis.bytes();
    let start = analysis.lines.offset(bytes, request.range.start, encoding);
    let end = analysis.lines.offset(bytes, request.range.end, encoding);
    let findings = &analysis.checked.detection.findings;
    let touched = findings
        .iter()
        .filter(|finding| finding.range.start <= end && start <= finding.range.end);

    let mut actions = Vec::new();
    if wants(request.only, &CodeActionKind::QUICKFIX) {
        let mut suppressions = Vec::new();
        for finding in touched {
            let diagnostic = diagnostic(analysis, finding, encoding);
            if let Some(action) = quick_fix(analysis, request.uri, finding, &diagnostic, encoding) {
                actions.push(action);
            }
            let line = analysis.lines.line_of(finding.range.start);
            if !suppressions.contains(&(line, finding.rule))
                && let Some(action) =
                    suppress(analysis, request.uri, finding, line, &diagnostic, encoding)
            {
                suppressions.push((line, finding.rule));
                actions.push(action);
            }
        }
    }
    if wants(request.only, &CodeActionKind::from(FIX_ALL))
        && (request.only.is_some() || findings.iter().any(is_safe))
        && let Some(action) = fix_all(analysis, request.uri, encoding)
    {
        actions.push(action);
    }
    actions
        .into_iter()
        .map(CodeActionOrCommand::CodeAction)
        .collect()
}

/// Whether `kind` is wanted: no filter, or a filter naming it or a kind it refines
/// (`source` and `source.fixAll` both ask for `source.fixAll.regshift`).
fn wants(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    let Some(only) = only else {
        return true;
    };
    only.iter().any(|wanted| {
        let wanted = wanted.as_str();
        let kind = kind.as_str();
        kind == wanted
            || kind
                .strip_prefix(wanted)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

fn is_safe(finding: &Finding) -> bool {
    finding.applicability() == Applicability::Safe
}

fn quick_fix(
    analysis: &Analysis,
    uri: &Uri,
    finding: &Finding,
    diagnostic: &Diagnostic,
    encoding: Encoding,
) -> Option<CodeAction> {
    let fix = finding.fix.as_ref()?;
    let safe = match fix.applicability {
        Applicability::Safe => true,
        Applicability::Unsafe => false,
        Applicability::DisplayOnly => return None,
    };
    let title = format!(
        "Fix {}{}: {}",
        finding.rule.id(),
        if safe { "" } else { " (unsafe)" },
        describe(fix.edits())
    );
    let edits = fix.edits().iter().collect::<Vec<_>>();
    Some(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(workspace_edit(analysis, uri, &edits, encoding)),
        is_preferred: Some(safe),
        ..CodeAction::default()
    })
}

/// "replace `k8s.gcr.io` with `registry.k8s.io`", or how many edits a larger fix makes.
fn describe(edits: &[Edit]) -> String {
    match edits {
        [edit] if edit.original.is_empty() => format!("insert `{}`", edit.replacement.trim()),
        [edit] => format!("replace `{}` with `{}`", edit.original, edit.replacement),
        [first, ..] if !first.original.is_empty() => format!(
            "replace `{}` with `{}` and {} more edit{}",
            first.original,
            first.replacement,
            edits.len() - 1,
            if edits.len() == 2 { "" } else { "s" }
        ),
        _ => format!("{} edits", edits.len()),
    }
}

/// Every safe fix of the document in one edit, as `regshift fix` would apply them: the same
/// selection of non-conflicting fixes, and only when the engine verifies the result.
fn fix_all(analysis: &Analysis, uri: &Uri, encoding: Encoding) -> Option<CodeAction> {
    let findings = &analysis.checked.detection.findings;
    let applied = apply_fixes(analysis.bytes(), findings, FixLevel::SafeOnly).ok()?;
    if applied.fixed.is_empty() {
        return None;
    }
    analysis
        .scope
        .engine
        .fix(&analysis.candidate, &analysis.checked, FixLevel::SafeOnly)
        .ok()?;
    let mut edits: Vec<&Edit> = applied
        .fixed
        .iter()
        .filter_map(|&index| findings[index].fix.as_ref())
        .flat_map(|fix| fix.edits())
        .collect();
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    edits.dedup();
    Some(CodeAction {
        title: "Fix all safe regshift findings".to_string(),
        kind: Some(CodeActionKind::from(FIX_ALL)),
        edit: Some(workspace_edit(analysis, uri, &edits, encoding)),
        ..CodeAction::default()
    })
}

fn workspace_edit(
    analysis: &Analysis,
    uri: &Uri,
    edits: &[&Edit],
    encoding: Encoding,
) -> WorkspaceEdit {
    let bytes = analysis.bytes();
    let text_edits = edits
        .iter()
        .map(|edit| TextEdit {
            range: analysis.lines.range(bytes, edit.range.clone(), encoding),
            new_text: edit.replacement.clone(),
        })
        .collect();
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), text_edits)])),
        ..WorkspaceEdit::default()
    }
}

/// "Suppress <rule> on this line": a `regshift:ignore[rule]` marker in a comment, where the
/// file type has comments. Trailing comments where the syntax has them; a comment line above
/// (`regshift:ignore-next-line`) where comments must start a line (Dockerfile, INI, env files).
fn suppress(
    analysis: &Analysis,
    uri: &Uri,
    finding: &Finding,
    line: usize,
    diagnostic: &Diagnostic,
    encoding: Encoding,
) -> Option<CodeAction> {
    let bytes = analysis.bytes();
    let carrier = analysis.checked.source.carrier;
    let line_range = analysis.lines.line_range(bytes, line);
    if comment_would_be_data(carrier, bytes, &analysis.lines, line) {
        return None;
    }
    let text = &bytes[line_range.clone()];
    let crlf = bytes.get(line_range.end) == Some(&b'\r');
    let line = Line {
        text,
        start: line_range.start,
        crlf,
    };
    let edit = suppression_edit(carrier, finding.rule, &line, &analysis.candidate.path)?;
    Some(CodeAction {
        title: format!("Suppress {} on this line", finding.rule.id()),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(workspace_edit(analysis, uri, &[&edit], encoding)),
        is_preferred: Some(false),
        ..CodeAction::default()
    })
}

/// A line of the buffer: its bytes without the line ending, where they start, and whether the
/// ending is `\r\n`.
struct Line<'a> {
    text: &'a [u8],
    start: usize,
    crlf: bool,
}

/// The edit that suppresses `rule` on `line`.
fn suppression_edit(
    carrier: Carrier,
    rule: Rule,
    line: &Line<'_>,
    path: &std::path::Path,
) -> Option<Edit> {
    let Line {
        text: line,
        start,
        crlf,
    } = *line;
    let marker = format!("regshift:ignore[{}]", rule.id());
    let end = start + line.len();
    let append = |text: String| Edit {
        range: end..end,
        original: String::new(),
        replacement: text,
    };
    match carrier {
        Carrier::Json => None,
        Carrier::Markdown => Some(append(format!(" <!-- {marker} -->"))),
        Carrier::Dockerfile | Carrier::Ini | Carrier::Env => {
            let indent = line.len() - line.trim_ascii_start().len();
            let indent = String::from_utf8_lossy(&line[..indent]);
            let newline = if crlf { "\r\n" } else { "\n" };
            Some(Edit {
                range: start..start,
                original: String::new(),
                replacement: format!(
                    "{indent}# regshift:ignore-next-line[{}]{newline}",
                    rule.id()
                ),
            })
        }
        _ if comment_start(carrier, line).is_some() => {
            let trimmed = line.trim_ascii_end();
            // Inside a block comment that closes on this line, before its end.
            if trimmed.ends_with(b"*/") {
                let at = start + trimmed.len() - 2;
                return Some(Edit {
                    range: at..at,
                    original: String::new(),
                    replacement: format!("{marker} "),
                });
            }
            Some(append(format!(" {marker}")))
        }
        _ => {
            let leader = if carrier.has_hash_comments() || uses_hash_comments(path) {
                "#"
            } else if carrier.has_slash_comments() {
                "//"
            } else {
                return None;
            };
            Some(append(format!(" {leader} {marker}")))
        }
    }
}

/// Whether a comment added on `line` would be part of the data rather than a comment: inside
/// a YAML block scalar (a ConfigMap's script), a shell heredoc or a fenced Markdown code block
/// the `#` or `<!--` is text, and "suppressing" would change what the file says. No action is
/// offered there.
fn comment_would_be_data(carrier: Carrier, bytes: &[u8], lines: &LineIndex, line: usize) -> bool {
    let text = |index: usize| &bytes[lines.line_range(bytes, index)];
    match carrier {
        Carrier::Markdown => {
            let fences = (0..line)
                .filter(|&index| {
                    let trimmed = text(index).trim_ascii_start();
                    trimmed.starts_with(b"```") || trimmed.starts_with(b"~~~")
                })
                .count();
            fences % 2 == 1
        }
        Carrier::Shell | Carrier::Dockerfile | Carrier::Makefile => in_heredoc(&text, line),
        _ if carrier.is_yaml_like() || carrier == Carrier::GoTemplate => {
            in_block_scalar(&text, line) || in_heredoc(&text, line)
        }
        _ => false,
    }
}

fn indentation(line: &[u8]) -> usize {
    line.len() - line.trim_ascii_start().len()
}

/// Whether `line` is content of a YAML block scalar: one of the lines it is nested under
/// (each less indented than the one below it) ends with `|` or `>` and its indicators.
fn in_block_scalar<'a>(text: &impl Fn(usize) -> &'a [u8], line: usize) -> bool {
    let mut indent = indentation(text(line));
    for index in (0..line).rev() {
        let above = text(index);
        let trimmed = above.trim_ascii();
        if trimmed.is_empty() || indentation(above) >= indent {
            continue;
        }
        indent = indentation(above);
        let value = match memchr::memmem::find(trimmed, b" #") {
            Some(at) => trimmed[..at].trim_ascii_end(),
            None => trimmed,
        };
        let indicators = value
            .iter()
            .rev()
            .take_while(|byte| byte.is_ascii_digit() || matches!(byte, b'-' | b'+'))
            .count();
        if matches!(value[..value.len() - indicators].last(), Some(b'|' | b'>')) {
            return true;
        }
        if indent == 0 {
            return false;
        }
    }
    false
}

/// Whether `line` is inside a heredoc body: a `<<WORD` (or `<<-`, quoted) above it whose
/// terminator does not come before it.
fn in_heredoc<'a>(text: &impl Fn(usize) -> &'a [u8], line: usize) -> bool {
    let mut open: Option<Vec<u8>> = None;
    for index in 0..line {
        let current = text(index);
        match &open {
            Some(word) => {
                if current.trim_ascii() == word.as_slice() {
                    open = None;
                }
            }
            None => open = heredoc::opener(current).map(|(word, _)| word),
        }
    }
    open.is_some()
}

/// Program source whose comments start with `#` (the rest take `//`).
fn uses_hash_comments(path: &std::path::Path) -> bool {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or_default();
    matches!(
        extension,
        "py" | "rb" | "pl" | "pm" | "r" | "R" | "ps1" | "psm1" | "jl" | "ex" | "exs" | "nix" | "cr"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(carrier: Carrier, line: &str, path: &str) -> Option<String> {
        let line_of = Line {
            text: line.as_bytes(),
            start: 0,
            crlf: false,
        };
        let edit = suppression_edit(
            carrier,
            Rule::LegacyHost,
            &line_of,
            std::path::Path::new(path),
        )?;
        let mut text = line.to_string();
        text.replace_range(edit.range, &edit.replacement);
        Some(text)
    }

    #[test]
    fn suppression_by_file_type() {
        assert_eq!(
            edit(Carrier::Yaml, "  image: k8s.gcr.io/a", "x.yaml").as_deref(),
            Some("  image: k8s.gcr.io/a # regshift:ignore[legacy-host]")
        );
        assert_eq!(
            edit(Carrier::Yaml, "  image: k8s.gcr.io/a # pinned", "x.yaml").as_deref(),
            Some("  image: k8s.gcr.io/a # pinned regshift:ignore[legacy-host]")
        );
        assert_eq!(
            edit(Carrier::Dockerfile, "FROM k8s.gcr.io/a", "Dockerfile").as_deref(),
            Some("# regshift:ignore-next-line[legacy-host]\nFROM k8s.gcr.io/a")
        );
        assert_eq!(
            edit(Carrier::Markdown, "Pull k8s.gcr.io/a", "README.md").as_deref(),
            Some("Pull k8s.gcr.io/a <!-- regshift:ignore[legacy-host] -->")
        );
        assert_eq!(
            edit(Carrier::ProgramSource, "x = \"k8s.gcr.io/a\"", "a.py").as_deref(),
            Some("x = \"k8s.gcr.io/a\" # regshift:ignore[legacy-host]")
        );
        assert_eq!(
            edit(Carrier::ProgramSource, "x := \"k8s.gcr.io/a\"", "a.go").as_deref(),
            Some("x := \"k8s.gcr.io/a\" // regshift:ignore[legacy-host]")
        );
        assert_eq!(edit(Carrier::Json, "\"k8s.gcr.io/a\"", "a.json"), None);
    }

    fn data_line(carrier: Carrier, text: &str, line: usize) -> bool {
        let bytes = text.as_bytes();
        let lines = LineIndex::new(bytes);
        comment_would_be_data(carrier, bytes, &lines, line)
    }

    #[test]
    fn no_comment_where_it_would_be_data() {
        let config_map = "data:\n  run.sh: |\n    if true; then\n      docker pull k8s.gcr.io/a\n    fi\n  image: k8s.gcr.io/b\n";
        assert!(data_line(Carrier::Yaml, config_map, 3));
        assert!(!data_line(Carrier::Yaml, config_map, 5));
        let folded = "args: >-\n  --image=k8s.gcr.io/a\n";
        assert!(data_line(Carrier::Yaml, folded, 1));
        let script = "cat <<'EOF' > x.yaml\nimage: k8s.gcr.io/a\nEOF\ndocker pull k8s.gcr.io/b\n";
        assert!(data_line(Carrier::Shell, script, 1));
        assert!(!data_line(Carrier::Shell, script, 3));
        assert!(!data_line(
            Carrier::Shell,
            "x=$(cat <<< k8s.gcr.io)\ny=k8s.gcr.io\n",
            1
        ));
        let markdown = "Pull k8s.gcr.io/a\n```yaml\nimage: k8s.gcr.io/a\n```\n";
        assert!(!data_line(Carrier::Markdown, markdown, 0));
        assert!(data_line(Carrier::Markdown, markdown, 2));
    }

    #[test]
    fn only_filters_by_kind_prefix() {
        let fix_all = CodeActionKind::from(FIX_ALL);
        assert!(wants(None, &fix_all));
        assert!(wants(Some(&[CodeActionKind::SOURCE_FIX_ALL]), &fix_all));
        assert!(wants(Some(&[CodeActionKind::SOURCE]), &fix_all));
        assert!(!wants(Some(&[CodeActionKind::QUICKFIX]), &fix_all));
        assert!(!wants(
            Some(&[CodeActionKind::from("source.fix")]),
            &fix_all
        ));
    }
}
