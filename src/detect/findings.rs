//! Findings that are not a classified hit: a host spelled with escapes in a double-quoted
//! scalar, and unused suppression comments; and the lines a fix reaches beyond its finding.

use super::classify::{display_host, escaped_rule};
use super::suppress::{self, Suppressions};
use super::yaml;
use crate::finding::Finding;
use crate::rules::Rule;
use crate::source::{Excerpt, SourceFile};

/// When a fix edits lines beyond the finding's own (kubeadm's CoreDNS repository under an
/// existing `dns:`), the lines that cover both, so renderers can show the change.
pub(super) fn fix_excerpt(source: &SourceFile, finding: &Finding) -> Option<Excerpt> {
    let edits = finding.fix.as_ref()?.edits();
    let start = edits
        .iter()
        .map(|edit| edit.range.start)
        .min()?
        .min(finding.range.start);
    let end = edits
        .iter()
        .map(|edit| edit.range.end)
        .max()?
        .max(finding.range.end);
    let first = source.line_index(start);
    let last = source.line_index(end);
    let own = source.line_index(finding.range.start)..=source.line_index(finding.range.end);
    (!own.contains(&first) || !own.contains(&last)).then(|| source.excerpt(&(start..end)))
}

pub(super) fn escaped_finding(source: &SourceFile, escaped: &yaml::EscapedScalar) -> Finding {
    let hit = &escaped.hit;
    let matched = escaped.decoded[hit.range.clone()].to_string();
    let rule = escaped_rule(hit);
    Finding {
        rule,
        range: escaped.range.clone(),
        reference: escaped.decoded[hit.reference.clone()].to_string(),
        message: format!(
            "value names {} through escape sequences",
            display_host(hit.form, &matched)
        ),
        matched: String::from_utf8_lossy(&source.bytes[escaped.range.clone()]).into_owned(),
        context: escaped.context.clone(),
        note: Some(
            "no automatic fix: the host is spelled with escapes; edit the value by hand".into(),
        ),
        fix: None,
        location: Default::default(),
        excerpt: Default::default(),
        fix_excerpt: None,
    }
}

pub(super) fn unused_suppressions(
    source: &SourceFile,
    suppressions: &Suppressions,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for marker in &suppressions.markers {
        let (message, note) = if !marker.unknown_rules.is_empty() {
            let message = format!(
                "`{}` names unknown rules: {}",
                marker.scope.spelling(),
                marker.unknown_rules.join(", ")
            );
            (
                message,
                "no automatic fix: correct the rule list (`regshift explain --list` names every rule), or remove the comment",
            )
        } else if !marker.used {
            let target = match marker.scope {
                suppress::Scope::Line => "on its line",
                suppress::Scope::NextLine => "on the next line",
                suppress::Scope::File => "in this file",
            };
            let message = format!("`{}` suppresses nothing {target}", marker.scope.spelling());
            (
                message,
                "no automatic fix: remove the comment; one that hides nothing now may hide a real finding later",
            )
        } else {
            continue;
        };
        let matched = String::from_utf8_lossy(&source.bytes[marker.range.clone()]).into_owned();
        findings.push(Finding {
            rule: Rule::UnusedSuppression,
            range: marker.range.clone(),
            reference: matched.clone(),
            matched,
            context: format!("{} comment", source.carrier.label()),
            message,
            note: Some(note.to_string()),
            fix: None,
            location: Default::default(),
            excerpt: Default::default(),
            fix_excerpt: None,
        });
    }
    findings
}
