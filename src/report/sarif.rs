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

/// A repository path as a relative URI reference (RFC 3986 `relative-ref`: a path, no scheme,
/// query or fragment), resolved against `%SRCROOT%`. `/` stays the separator; in each segment
/// every byte outside `pchar` (unreserved, sub-delims, `:` and `@`) is percent-encoded, UTF-8
/// byte by byte, and so is `:` itself: in a first segment a colon would make the reference
/// parse as a scheme (`we,ird:name.yaml`), which SARIF validators reject (SARIF1002), so it is
/// escaped everywhere. `%` is escaped, so decoding gives back the path exactly. An archive
/// member (`charts/dep.tgz!dep/values.yaml`) keeps its `!` as written elsewhere, and an
/// ordinary path (`deploy/app.yaml`) is unchanged.
fn uri_path(path: &str) -> String {
    /// `pchar` minus `:` (and minus `%`, which only starts an escape), plus `/`.
    const KEPT: &[u8] = b"-._~!$&'()*+,;=@/";
    let mut uri = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || KEPT.contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push('%');
            uri.push(char::from(HEX[usize::from(byte >> 4)]));
            uri.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    uri
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

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

    /// Percent-decoding, for the round trip.
    fn decode(uri: &str) -> String {
        let bytes = uri.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

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

    #[test]
    fn sarif_uris_are_relative_references_for_any_file_name() {
        // Issue 18: the validator rejected `we,ird:name%25.yaml` (a colon in the first
        // segment reads as a scheme).
        assert_eq!(uri_path("we,ird:name%.yaml"), "we,ird%3Aname%25.yaml");
        assert_eq!(uri_path("a:b/c:d.yaml"), "a%3Ab/c%3Ad.yaml");
        assert_eq!(uri_path("hash#q?.yaml"), "hash%23q%3F.yaml");
        assert_eq!(uri_path("[x].yaml"), "%5Bx%5D.yaml");
        assert_eq!(uri_path("back\\slash.yaml"), "back%5Cslash.yaml");
        assert_eq!(uri_path("café/ü.yaml"), "caf%C3%A9/%C3%BC.yaml");
        assert_eq!(uri_path("-leading.yaml"), "-leading.yaml");
        assert_eq!(
            uri_path("semi;colon'(x)@+=&$.yaml"),
            "semi;colon'(x)@+=&$.yaml"
        );
        for path in [
            "we,ird:name%.yaml",
            "a b.yaml",
            "hash#q?.yaml",
            "café/ü.yaml",
            "-leading.yaml",
            "[x].yaml",
            "semi;colon.yaml",
            "quote'.yaml",
            "quote\".yaml",
            "back\\slash.yaml",
            "tab\tand\nnewline.yaml",
            "pct%2F.yaml",
            "{brace}|pipe^`<>.yaml",
            "日本/\u{1F600}.yaml",
            "charts/d.tgz!d/values.yaml",
        ] {
            let uri = uri_path(path);
            assert_eq!(decode(&uri), path, "{uri} round-trips");
            for (i, byte) in uri.bytes().enumerate() {
                let kept = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&byte);
                let escape = byte == b'%'
                    && uri.as_bytes()[i + 1..i + 3]
                        .iter()
                        .all(|hex| b"0123456789ABCDEF".contains(hex));
                // An escape's hex digits are alphanumeric, so kept.
                assert!(kept || escape, "{uri}: byte {i} is {byte:#04x}");
            }
            assert!(!uri.contains(':'), "{uri} holds no colon");
        }
    }
}
