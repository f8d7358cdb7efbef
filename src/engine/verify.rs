//! Fixing a checked file without writing it: apply the edits, then verify the result before
//! anyone may write it. The edits must match their bytes, the fixed file must converge
//! (nothing fixable is left), and YAML that parsed must still parse.

use super::Checked;
use crate::detect::{Detection, Detector, RuleFilter};
use crate::fix::{self, FixLevel};
use crate::source::SourceFile;

/// A verified fix of one file.
#[derive(Debug)]
pub struct Fixed {
    pub bytes: Vec<u8>,
    /// How many findings the fix applied.
    pub count: usize,
    /// Detection on the fixed bytes: what remains, with locations in the new file.
    pub remaining: Detection,
}

/// Apply the fixes and verify the result. `Err` says why the file must stay as it is.
pub(super) fn fixed_source(
    detector: &Detector,
    filter: &RuleFilter,
    checked: &Checked,
    level: FixLevel,
) -> Result<Fixed, String> {
    let Checked { source, detection } = checked;
    let applied = fix::apply_fixes(&source.bytes, &detection.findings, level)
        .map_err(|error| format!("fix not applied: {error}"))?;
    // The fixed file is the same file: same carrier, same origin (Chart.yaml's history
    // annotation must stay history when the result is checked).
    let fixed = SourceFile::with_carrier(source.path.clone(), applied.output, source.carrier)
        .with_origin(source.origin.clone());
    let remaining = detector.detect_after_edits(
        &fixed,
        filter,
        detection,
        (&applied.edited, &applied.written),
    );
    let still_fixable = remaining
        .findings
        .iter()
        .filter(|finding| level.applies(finding.applicability()))
        .count();
    if still_fixable > applied.conflicts {
        return Err(format!(
            "fix not applied: {still_fixable} fixable findings remain after fixing (a regshift bug; please report it)"
        ));
    }
    if detector.fix_breaks_yaml(
        source,
        &fixed,
        (&applied.edited, &applied.written),
        detection,
    ) {
        return Err("fix not applied: the fixed file would not parse as YAML (a regshift bug; please report it)".into());
    }
    Ok(Fixed {
        count: applied.fixed.len(),
        bytes: fixed.bytes,
        remaining,
    })
}
