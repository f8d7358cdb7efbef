//! The YAML structure of a file's hits, with a note for every document that holds a hit but
//! does not parse.

use super::Detector;
use super::hosts::HostHit;
use super::yaml;
use crate::carrier::Carrier;
use crate::source::SourceFile;

impl Detector {
    /// YAML structure for YAML and JSON files, with a note for every document that holds a hit
    /// but does not parse.
    pub(super) fn structure(
        &self,
        source: &SourceFile,
        hits: &[HostHit],
        notes: &mut Vec<String>,
    ) -> Option<yaml::YamlIndex> {
        if !source.parses_as_yaml() {
            return None;
        }
        // Templates are not YAML until rendered: their structure is a bonus, never a note.
        let is_template = source.carrier == Carrier::GoTemplate;
        let Ok(text) = std::str::from_utf8(&source.bytes) else {
            if !hits.is_empty() && !is_template {
                notes.push(
                    "not valid UTF-8, so its YAML structure is unknown; findings are classified from text alone".into(),
                );
            }
            return None;
        };
        let escapes = if source.has_backslash() {
            yaml::Escapes::Possible
        } else {
            yaml::Escapes::None
        };
        let structure = yaml::index_with(
            text,
            hits,
            source.carrier.dialect(),
            &self.scanner,
            yaml::Reading::Lines,
            escapes,
        );
        for failure in structure.failures.iter().filter(|_| !is_template) {
            if hits
                .iter()
                .any(|hit| failure.range.contains(&hit.range.start))
            {
                let (line, column) = source.line_column_at(failure.at);
                notes.push(format!(
                    "{line}:{column}: does not parse as {} ({}); findings in this document are classified from text alone",
                    if source.carrier == Carrier::Json { "JSON" } else { "YAML" },
                    failure.message
                ));
            }
        }
        Some(structure)
    }
}
