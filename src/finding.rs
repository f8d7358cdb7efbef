//! The finding model: what was found, where (byte ranges), and how it may be fixed.

use std::ops::Range;

use crate::rules::{Rule, Severity};
use crate::source::{Excerpt, Location};

/// Whether a fix may be applied automatically. Mirrors ruff's three classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Applied by `regshift fix`: the Kubernetes project guarantees the result is equivalent.
    Safe,
    /// Applied only with `--unsafe-fixes`: very likely right, but not guaranteed.
    Unsafe,
    /// Reported, never rewritten (`none` in JSON).
    DisplayOnly,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "none",
        }
    }
}

/// One byte edit: replace `range` (whose bytes must equal `original`) by `replacement`.
/// An insertion has an empty range and an empty `original`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    pub range: Range<usize>,
    pub original: String,
    pub replacement: String,
}

/// A set of edits that is applied all together or not at all. Its edits are sorted by
/// position and never overlap: [`Fix::new`] is the only way to build one, so every consumer
/// (the fixer, SARIF fixes, an editor's code actions) can take them as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    edits: Vec<Edit>,
    pub applicability: Applicability,
}

/// Two edits of one fix overlap (or insert at one point): the fix builder has a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the edits {first:?} and {second:?} of one fix overlap")]
pub struct OverlappingEdits {
    pub first: Range<usize>,
    pub second: Range<usize>,
}

impl Fix {
    /// A fix of `edits`, sorted by (start, end). Overlapping edits, or two insertions at one
    /// point (whose order would be arbitrary), are an error.
    pub fn new(
        mut edits: Vec<Edit>,
        applicability: Applicability,
    ) -> Result<Fix, OverlappingEdits> {
        edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        if let Some(pair) = edits.windows(2).find(|pair| pair[0].overlaps(&pair[1])) {
            return Err(OverlappingEdits {
                first: pair[0].range.clone(),
                second: pair[1].range.clone(),
            });
        }
        Ok(Fix {
            edits,
            applicability,
        })
    }

    /// The edits, sorted by position, none overlapping another.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }
}

impl Edit {
    /// Whether two edits conflict: their ranges intersect, or both insert at the same point
    /// (their order would be arbitrary).
    pub fn overlaps(&self, other: &Edit) -> bool {
        if self.range.is_empty() && other.range.is_empty() {
            return self.range.start == other.range.start;
        }
        self.range.start < other.range.end && other.range.start < self.range.end
    }
}

/// A legacy reference found in a file. Ranges are byte ranges into the file as read, on char
/// boundaries; `location` and `excerpt` are derived from them for the renderers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// The legacy bytes themselves (the host, or host plus project prefix).
    pub range: Range<usize>,
    /// The text of `range`.
    pub matched: String,
    /// The image reference (or bare host, or URL) around the match.
    pub reference: String,
    /// Where the reference sits: "manifest: Deployment/web spec.template…image", "Dockerfile: FROM".
    pub context: String,
    pub message: String,
    /// Why a fix is unsafe or withheld, or what else to do (a hint for humans).
    pub note: Option<String>,
    pub fix: Option<Fix>,
    pub location: Location,
    pub excerpt: Excerpt,
    /// Lines covering every edit of the fix, when they reach beyond `excerpt`.
    pub fix_excerpt: Option<Excerpt>,
}

impl Finding {
    pub fn severity(&self) -> Severity {
        self.rule.severity()
    }

    pub fn applicability(&self) -> Applicability {
        self.fix
            .as_ref()
            .map_or(Applicability::DisplayOnly, |fix| fix.applicability)
    }

    /// Sort key inside a file: start, end, rule id.
    pub fn sort_key(&self) -> (usize, usize, &'static str) {
        (self.range.start, self.range.end, self.rule.id())
    }
}
