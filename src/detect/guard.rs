//! The guard `fix` runs before writing: a fix must not make YAML that parsed stop parsing.

use std::ops::Range;

use super::{Detection, Detector, yaml};
use crate::source::SourceFile;

impl Detector {
    /// The guard `fix` runs before writing: whether the documents that hold the fix's edits
    /// (`edited` in the source, `written` in `fixed`) fail to parse more often after the fix.
    /// `detection` is the source's: its count of failing documents with a hit (every edited
    /// document holds one, so when it is `Some(0)` the source needs no second parse), and its
    /// safe edits, whose documents provably still parse and are not read again
    /// (`safe_edits.rs`).
    pub fn fix_breaks_yaml(
        &self,
        source: &SourceFile,
        fixed: &SourceFile,
        (edited, written): (&[Range<usize>], &[Range<usize>]),
        detection: &Detection,
    ) -> bool {
        if !source.carrier.is_yaml_like() {
            return false;
        }
        let safe = &detection.safe_edits;
        let is_safe = |edit: &Range<usize>| {
            safe.binary_search_by_key(&edit.start, |safe| safe.start)
                .is_ok_and(|at| safe[at] == *edit)
        };
        let (edited, written): (Vec<Range<usize>>, Vec<Range<usize>>) = edited
            .iter()
            .zip(written)
            .filter(|(edit, _)| !is_safe(edit))
            .map(|(edit, write)| (edit.clone(), write.clone()))
            .unzip();
        if written.is_empty() {
            return false;
        }
        let failed_after = self.yaml_failures(fixed, &written);
        let failed_before = match detection.yaml_failures {
            Some(0) => 0,
            _ if failed_after == 0 => 0,
            _ => self.yaml_failures(source, &edited),
        };
        failed_after > failed_before
    }

    /// How many of the YAML documents of a file that hold one of `spans` fail to parse (0 for
    /// files that are not YAML).
    pub fn yaml_failures(&self, source: &SourceFile, spans: &[Range<usize>]) -> usize {
        match std::str::from_utf8(&source.bytes) {
            Ok(text) if source.carrier.is_yaml_like() => {
                yaml::failure_count(text, spans, self.scanner())
            }
            _ => 0,
        }
    }
}
