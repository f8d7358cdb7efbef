//! Where a file comes from, beyond its name and bytes: facts that `layout/` learns on disk or
//! in an archive and that detection reads. Plain data, so the file model and detection never
//! depend on the code that reads the disk.

use std::collections::HashSet;
use std::sync::Arc;

/// What detection knows of a file's surroundings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Inside a packaged chart (`dep-1.0.0.tgz`): never rewritten.
    pub packaged: Option<Packaged>,
    /// A kustomization, with what its bases in the scanned tree use.
    pub kustomization: Option<Arc<KustomizeBases>>,
    /// A file that records history (release notes, a changelog): never rewritten.
    pub history: Option<History>,
}

/// A file inside a packaged chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    /// For a dependency in a chart's `charts/` folder, the values prefix that overrides it
    /// from the parent chart (`dep`, or its alias; `dep.sub` for a subchart inside it).
    pub dependency_prefix: Option<String>,
}

/// What a kustomization's bases hold, resolved on disk (`layout::kustomize`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KustomizeBases {
    /// Image names (no tag or digest, host lowercased) used by bases in the scanned tree.
    pub in_tree_images: HashSet<String>,
}

/// A record of the past that a reference stands in: never rewritten, since rewriting it
/// falsifies the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum History {
    /// Release notes, a changelog, news (`config::HISTORY_FILES`): what was released.
    Notes,
    /// A patch (a `*.diff` or `*.patch` file, a fenced `diff` block in Markdown): a change as
    /// it was made.
    Patch,
}

impl History {
    /// Why a reference in it gets no fix.
    pub fn note(self) -> &'static str {
        match self {
            History::Notes => {
                "no automatic fix: release notes and changelogs record history; rewriting them falsifies what was released"
            }
            History::Patch => {
                "no automatic fix: a patch records history (a change as it was made); rewriting it falsifies the record and can stop it applying"
            }
        }
    }
}
