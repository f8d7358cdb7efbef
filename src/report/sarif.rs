//! `--format sarif`: SARIF 2.1.0 for code scanning. One run, one `rules` entry per rule (with
//! the rule's documentation as help), results with repo-relative locations, `columnKind`
//! stated (columns count Unicode code points, and `endColumn` is the column after the last
//! character), `fixes` for fixable findings, and `partialFingerprints` that survive line
//! shifts so code scanning can track a finding across commits.
//!
//! Hand-written structs rather than serde-sarif: see ARCHITECTURE.md, "Choices".

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;

use super::fingerprint::fingerprints;
use super::{FileReport, RenderOptions, Reporter, RunReport, message_with_note};
use crate::finding::{Applicability, Finding};
use crate::rules::{Rule, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/regshift/regshift";
/// Names the fingerprint scheme, so a change of scheme never collides with old values.
const FINGERPRINT_KEY: &str = "regshift/v1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    column_kind: &'static str,
    results: &'a [SarifResult],
    invocations: [Invocation; 1],
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: HashMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    applicability: &'static str,
    context: String,
    reference: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    byte_offset: usize,
    byte_length: usize,
    snippet: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: [ArtifactChange; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    deleted_region: ByteRegion,
    inserted_content: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ByteRegion {
    byte_offset: usize,
    byte_length: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    locations: [NotificationLocation; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationLocation {
    physical_location: NotificationPhysical,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationPhysical {
    artifact_location: ArtifactLocation,
}

/// Collects results, writes the log at the end.
pub struct SarifReporter {
    options: RenderOptions,
    results: Vec<SarifResult>,
}

impl SarifReporter {
    pub fn new(options: RenderOptions) -> SarifReporter {
        SarifReporter {
            options,
            results: Vec::new(),
        }
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn artifact(path: &str) -> ArtifactLocation {
    ArtifactLocation {
        uri: uri_path(path),
        uri_base_id: "%SRCROOT%",
    }
}

/// A relative URI reference: path segments with the characters URIs reserve escaped. An
/// archive member (`charts/dep.tgz!dep/values.yaml`) keeps its `!` as written elsewhere.
fn uri_path(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

impl Reporter for SarifReporter {
    fn file(&mut self, _out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for (finding, fingerprint) in file.findings.iter().zip(fingerprints(file)) {
            self.results.push(result(
                file.path.as_str(),
                finding,
                fingerprint,
                &self.options,
            ));
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, run: &RunReport) -> io::Result<()> {
        let notifications = run
            .skipped
            .iter()
            .map(|(path, reason)| (path.as_str(), "warning", format!("skipped: {reason}")))
            .chain(
                run.notes
                    .iter()
                    .map(|(path, note)| (path.as_str(), "note", note.clone())),
            )
            .chain(
                run.errors
                    .iter()
                    .map(|error| (error.path.as_str(), "error", error.message.clone())),
            )
            .map(|(path, level, message)| Notification {
                level,
                message: Text { text: message },
                locations: [NotificationLocation {
                    physical_location: NotificationPhysical {
                        artifact_location: artifact(path),
                    },
                }],
            })
            .collect();
        let log = Log {
            schema: SCHEMA,
            version: "2.1.0",
            runs: [Run {
                tool: Tool {
                    driver: Driver {
                        name: "regshift",
                        version: env!("CARGO_PKG_VERSION"),
                        semantic_version: env!("CARGO_PKG_VERSION"),
                        information_uri: INFORMATION_URI,
                        rules: Rule::ALL.iter().map(|rule| descriptor(*rule)).collect(),
                    },
                },
                column_kind: "unicodeCodePoints",
                results: &self.results,
                invocations: [Invocation {
                    execution_successful: run.summary.io_errors == 0,
                    tool_execution_notifications: notifications,
                }],
            }],
        };
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

fn descriptor(rule: Rule) -> ReportingDescriptor {
    let doc = rule.doc();
    let name = rule
        .id()
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    ReportingDescriptor {
        id: rule.id(),
        name,
        short_description: Text {
            text: rule.summary().to_string(),
        },
        full_description: Text {
            text: format!("{} {}", rule.summary(), doc.why),
        },
        help: Help {
            text: format!(
                "{}\n\nFix: {}\n\nExample:\n{}",
                doc.why, doc.fix, doc.example
            ),
            markdown: format!(
                "{}\n\n**Fix:** {}\n\n```text\n{}\n```",
                doc.why, doc.fix, doc.example
            ),
        },
        help_uri: rule.help_url(),
        default_configuration: Configuration {
            level: level(rule.severity()),
        },
    }
}

fn result(
    path: &str,
    finding: &Finding,
    fingerprint: String,
    options: &RenderOptions,
) -> SarifResult {
    let location = finding.location;
    let snippet = finding.excerpt.text.clone();
    let message = message_with_note(finding);
    let fixes = finding
        .fix
        .iter()
        .filter(|fix| fix.applicability != Applicability::DisplayOnly)
        .map(|fix| SarifFix {
            description: Text {
                text: match (fix.applicability, options.is_fixable(finding)) {
                    (Applicability::Safe, _) => "Apply the safe fix (regshift fix)".to_string(),
                    (_, true) => "Apply the unsafe fix (regshift fix --unsafe-fixes)".to_string(),
                    _ => "Unsafe fix, applied only with regshift fix --unsafe-fixes".to_string(),
                },
            },
            artifact_changes: [ArtifactChange {
                artifact_location: artifact(path),
                replacements: fix
                    .edits()
                    .iter()
                    .map(|edit| Replacement {
                        deleted_region: ByteRegion {
                            byte_offset: edit.range.start,
                            byte_length: edit.range.len(),
                        },
                        inserted_content: Text {
                            text: edit.replacement.clone(),
                        },
                    })
                    .collect(),
            }],
        })
        .collect();
    SarifResult {
        rule_id: finding.rule.id(),
        rule_index: Rule::ALL
            .iter()
            .position(|rule| *rule == finding.rule)
            .unwrap_or(0),
        level: level(finding.severity()),
        message: Text { text: message },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(path),
                region: Region {
                    start_line: location.line,
                    start_column: location.column,
                    end_line: location.end_line,
                    end_column: location.end_column,
                    byte_offset: finding.range.start,
                    byte_length: finding.range.len(),
                    snippet: Text { text: snippet },
                },
            },
        }],
        partial_fingerprints: HashMap::from([(FINGERPRINT_KEY, fingerprint)]),
        fixes,
        properties: ResultProperties {
            applicability: finding.applicability().as_str(),
            context: finding.context.clone(),
            reference: finding.reference.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_escape_what_uris_reserve() {
        assert_eq!(uri_path("deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(uri_path("my dir/a%b.yaml"), "my%20dir/a%25b.yaml");
        assert_eq!(
            uri_path("charts/d.tgz!d/values.yaml"),
            "charts/d.tgz!d/values.yaml"
        );
        assert_eq!(uri_path("é.yaml"), "%C3%A9.yaml");
    }
}
