//! Applying fixes to a buffer: sorted, non-overlapping byte edits, each checked against the bytes
//! it replaces. Everything outside the edits is copied unchanged, so comments, quoting, CRLF, a
//! BOM and a missing final newline survive by construction.

pub(crate) mod write;

use std::collections::BTreeMap;
use std::ops::Range;

use crate::finding::{Applicability, Edit, Finding};

/// Which fixes `fix` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixLevel {
    SafeOnly,
    /// `--unsafe-fixes`.
    IncludeUnsafe,
}

impl FixLevel {
    pub fn applies(self, applicability: Applicability) -> bool {
        match applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self == FixLevel::IncludeUnsafe,
            Applicability::DisplayOnly => false,
        }
    }
}

/// The result of applying fixes to one buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Applied {
    pub output: Vec<u8>,
    /// Indices (into the findings given) of the findings whose fix was applied.
    pub fixed: Vec<usize>,
    /// Fixes skipped because they overlapped a fix applied before them.
    pub conflicts: usize,
    /// Where each applied edit lies in the source, in order.
    pub edited: Vec<Range<usize>>,
    /// Where each applied edit's replacement lies in `output`, in the same order.
    pub written: Vec<Range<usize>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApplyError {
    #[error("edit {start}..{end} lies outside the file ({len} bytes)")]
    OutOfBounds {
        start: usize,
        end: usize,
        len: usize,
    },
    #[error("edit {start}..{end} expected {expected:?} but the file has {found:?}")]
    Mismatch {
        start: usize,
        end: usize,
        expected: String,
        found: String,
    },
}

/// Apply the fixes of `findings` allowed by `level` to `source`.
///
/// A fix is applied whole or not at all. Fixes are taken in order of their first edit; one
/// that overlaps an edit already taken is skipped and counted. Identical edits from two
/// findings are applied once. Every edit is checked against the bytes it replaces: a mismatch
/// means the finding does not belong to this buffer, and nothing is applied.
pub fn apply_fixes(
    source: &[u8],
    findings: &[Finding],
    level: FixLevel,
) -> Result<Applied, ApplyError> {
    let mut candidates: Vec<(usize, &[Edit])> = findings
        .iter()
        .enumerate()
        .filter_map(|(index, finding)| {
            let fix = finding.fix.as_ref()?;
            (level.applies(fix.applicability) && !fix.edits().is_empty())
                .then_some((index, fix.edits()))
        })
        .collect();
    // A fix's edits are sorted: its first edit is where it starts.
    candidates.sort_by_key(|(index, edits)| {
        let first = &edits[0].range;
        (first.start, first.end, *index)
    });

    // Accepted edits by (start, end): they never overlap one another, so a new edit is
    // checked against its neighbours only, not against every edit taken so far.
    let mut accepted: BTreeMap<(usize, usize), &Edit> = BTreeMap::new();
    let mut fixed = Vec::new();
    let mut conflicts = 0;
    for (index, edits) in candidates {
        for edit in edits {
            verify_edit(source, edit)?;
        }
        let new_edits: Vec<&Edit> = edits
            .iter()
            .filter(|edit| accepted.get(&key(edit)) != Some(edit))
            .collect();
        if new_edits
            .iter()
            .any(|edit| conflicts_with_accepted(&accepted, edit))
        {
            conflicts += 1;
            continue;
        }
        accepted.extend(new_edits.into_iter().map(|edit| (key(edit), edit)));
        fixed.push(index);
    }
    let accepted: Vec<&Edit> = accepted.into_values().collect();
    fixed.sort_unstable();
    let mut shift: isize = 0;
    let written = accepted
        .iter()
        .map(|edit| {
            let start = edit.range.start.saturating_add_signed(shift);
            shift += edit.replacement.len() as isize - edit.range.len() as isize;
            start..start + edit.replacement.len()
        })
        .collect();
    Ok(Applied {
        output: splice(source, &accepted),
        fixed,
        conflicts,
        edited: accepted.iter().map(|edit| edit.range.clone()).collect(),
        written,
    })
}

fn key(edit: &Edit) -> (usize, usize) {
    (edit.range.start, edit.range.end)
}

/// Whether `edit` overlaps an accepted edit. Going back from the last accepted edit that
/// starts at or before its end, the first one that ends before it starts closes the search:
/// accepted edits are disjoint, so every earlier one ends before that.
fn conflicts_with_accepted(accepted: &BTreeMap<(usize, usize), &Edit>, edit: &Edit) -> bool {
    for taken in accepted
        .range(..=(edit.range.end, usize::MAX))
        .rev()
        .map(|(_, taken)| taken)
    {
        if taken.overlaps(edit) {
            return true;
        }
        if taken.range.end < edit.range.start {
            break;
        }
    }
    false
}

fn verify_edit(source: &[u8], edit: &Edit) -> Result<(), ApplyError> {
    let range = &edit.range;
    if range.start > range.end || range.end > source.len() {
        return Err(ApplyError::OutOfBounds {
            start: range.start,
            end: range.end,
            len: source.len(),
        });
    }
    let found = &source[range.clone()];
    if found != edit.original.as_bytes() {
        return Err(ApplyError::Mismatch {
            start: range.start,
            end: range.end,
            expected: edit.original.clone(),
            found: String::from_utf8_lossy(found).into_owned(),
        });
    }
    Ok(())
}

/// Copy `source` with `edits` (sorted, non-overlapping, verified) applied.
pub fn splice(source: &[u8], edits: &[&Edit]) -> Vec<u8> {
    let growth: isize = edits
        .iter()
        .map(|edit| edit.replacement.len() as isize - edit.range.len() as isize)
        .sum();
    let mut output = Vec::with_capacity((source.len() as isize + growth.max(0)) as usize);
    let mut copied_to = 0;
    for edit in edits {
        output.extend_from_slice(&source[copied_to..edit.range.start]);
        output.extend_from_slice(edit.replacement.as_bytes());
        copied_to = edit.range.end;
    }
    output.extend_from_slice(&source[copied_to..]);
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applied_spans_point_at_the_replacements_in_the_output() {
        use crate::detect::{Detector, RuleFilter};
        use crate::path::RepoPath;
        use crate::source::SourceFile;

        // Host swaps of two lengths and kubeadm's inserted CoreDNS repository, in two documents.
        let text = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nimageRepository: k8s.gcr.io\n---\nimage: k8s.gcr.io/pause:3.9 # é\nother: us.gcr.io/k8s-artifacts-prod/pause:3.9\n";
        let source = SourceFile::new(RepoPath::new("kubeadm.yaml"), text.as_bytes().to_vec());
        let detection = Detector::new().detect(&source, &RuleFilter::ignoring(Vec::new()));
        let applied =
            apply_fixes(&source.bytes, &detection.findings, FixLevel::IncludeUnsafe).unwrap();
        assert!(applied.edited.len() >= 3, "{:?}", applied.edited);
        assert_eq!(applied.edited.len(), applied.written.len());
        let edits: Vec<&Edit> = applied
            .fixed
            .iter()
            .flat_map(|&index| detection.findings[index].fix.as_ref().unwrap().edits())
            .collect();
        for (old, new) in applied.edited.iter().zip(&applied.written) {
            let edit = edits.iter().find(|edit| edit.range == *old).unwrap();
            assert_eq!(&text.as_bytes()[old.clone()], edit.original.as_bytes());
            assert_eq!(&applied.output[new.clone()], edit.replacement.as_bytes());
        }
    }
    use crate::finding::Fix;
    use crate::rules::Rule;

    fn finding(
        range: std::ops::Range<usize>,
        original: &str,
        replacement: &str,
        applicability: Applicability,
    ) -> Finding {
        Finding {
            rule: Rule::LegacyHost,
            range: range.clone(),
            matched: original.into(),
            reference: original.into(),
            context: String::new(),
            message: String::new(),
            note: None,
            fix: Some(
                Fix::new(
                    vec![Edit {
                        range,
                        original: original.into(),
                        replacement: replacement.into(),
                    }],
                    applicability,
                )
                .unwrap(),
            ),
            location: Default::default(),
            excerpt: Default::default(),
            fix_excerpt: None,
        }
    }

    #[test]
    fn test_fix_buffer_replaces_only_the_edits() {
        let source = b"a: k8s.gcr.io/x # c\r\nb: 'k8s.gcr.io/y'";
        let findings = [
            finding(3..13, "k8s.gcr.io", "registry.k8s.io", Applicability::Safe),
            finding(25..35, "k8s.gcr.io", "registry.k8s.io", Applicability::Safe),
        ];
        let applied = apply_fixes(source, &findings, FixLevel::SafeOnly).unwrap();
        assert_eq!(
            applied.output,
            b"a: registry.k8s.io/x # c\r\nb: 'registry.k8s.io/y'"
        );
        assert_eq!(applied.fixed, [0, 1]);
    }

    #[test]
    fn test_fix_buffer_respects_the_level() {
        let source = b"k8s.gcr.io";
        let findings = [finding(
            0..10,
            "k8s.gcr.io",
            "registry.k8s.io",
            Applicability::Unsafe,
        )];
        let safe = apply_fixes(source, &findings, FixLevel::SafeOnly).unwrap();
        assert_eq!(safe.output, source);
        assert!(safe.fixed.is_empty());
        let all = apply_fixes(source, &findings, FixLevel::IncludeUnsafe).unwrap();
        assert_eq!(all.output, b"registry.k8s.io");
    }

    #[test]
    fn test_fix_buffer_skips_overlaps_and_merges_duplicates() {
        let source = b"0123456789";
        let findings = [
            finding(2..5, "234", "x", Applicability::Safe),
            finding(4..6, "45", "y", Applicability::Safe),
            finding(2..5, "234", "x", Applicability::Safe),
        ];
        let applied = apply_fixes(source, &findings, FixLevel::SafeOnly).unwrap();
        assert_eq!(applied.output, b"01x56789");
        assert_eq!(applied.fixed, [0, 2]);
        assert_eq!(applied.conflicts, 1);
    }

    #[test]
    fn test_fix_buffer_insertions() {
        let source = b"ab";
        let findings = [finding(1..1, "", "-", Applicability::Safe)];
        assert_eq!(
            apply_fixes(source, &findings, FixLevel::SafeOnly)
                .unwrap()
                .output,
            b"a-b"
        );
    }

    #[test]
    fn test_fix_buffer_rejects_mismatched_bytes() {
        let findings = [finding(0..3, "abc", "x", Applicability::Safe)];
        assert!(matches!(
            apply_fixes(b"xyz", &findings, FixLevel::SafeOnly),
            Err(ApplyError::Mismatch { .. })
        ));
        assert!(matches!(
            apply_fixes(b"ab", &findings, FixLevel::SafeOnly),
            Err(ApplyError::OutOfBounds { .. })
        ));
    }
}
