//! What the files a script's `sed` reads or edits hold once fixed ([`crate::layout::sed`]
//! finds the commands). A `sed -i "s/k8s.gcr.io/…/" FILE` pattern moves with FILE only if
//! regshift's safe fixes leave FILE with the new host and none of the old one; detection
//! decides that per hit from what this module reads.
//!
//! The answer is the same in every mode: a script that runs `sed` is processed after every
//! other file's fix is written, and fixing a fixed file changes nothing, so FILE fixed
//! in memory (`check`, `fix --diff`) and FILE as `fix` wrote it are the same bytes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Engine;
use crate::fix::FixLevel;
use crate::layout::sed;
use crate::origin::{SedInput, SedInputs};
use crate::path::RepoPath;
use crate::source::MAX_FILE_SIZE;
use crate::walk::Candidate;

/// The run's files that hold something to report and were processed without an error: the
/// only files with a legacy host whose fixed bytes are what the run leaves (a file outside the
/// run, or whose write failed, keeps the old host). Also for finding a `sed`'s file by the tail
/// of its path when the script moves to another folder first (`cd "$workdir/context"`).
#[derive(Debug, Default)]
pub(super) struct TargetIndex {
    files: Vec<Candidate>,
    paths: HashSet<PathBuf>,
}

impl TargetIndex {
    pub(super) fn new(files: Vec<Candidate>) -> TargetIndex {
        let paths = files.iter().map(|file| file.path.clone()).collect();
        TargetIndex { files, paths }
    }

    fn holds(&self, path: &Path) -> bool {
        self.paths.contains(path)
    }

    /// The one file whose path ends with `suffix`; none when several do.
    fn unique(&self, suffix: &Path) -> Option<&Candidate> {
        let mut found = self
            .files
            .iter()
            .filter(|file| sed::ends_with_components(&file.path, suffix));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }
}

impl Engine {
    /// The `sed` commands of `script` whose every file was found in the scanned tree, with
    /// those files as fixed. `None` when there are none.
    pub(super) fn sed_inputs(&self, script: &Candidate, text: &str) -> Option<Arc<SedInputs>> {
        let detector = self.detector(script);
        let lines: Vec<&str> = text.lines().collect();
        let mut by_line = HashMap::new();
        // A script often runs many commands on one file: each is read and fixed once.
        let mut found: HashMap<String, Option<SedInput>> = HashMap::new();
        for edit in sed::sed_commands(text) {
            // Only a command that names a legacy host is worth the files' reading.
            if !lines
                .get(edit.line)
                .is_some_and(|line| detector.may_match(line.as_bytes()))
            {
                continue;
            }
            let files: Option<Vec<SedInput>> = edit
                .files
                .iter()
                .map(|operand| {
                    found
                        .entry(operand.clone())
                        .or_insert_with(|| self.sed_input(script, operand))
                        .clone()
                })
                .collect();
            if let Some(files) = files {
                by_line.insert(edit.line, files);
            }
        }
        (!by_line.is_empty()).then(|| Arc::new(SedInputs { by_line }))
    }

    /// The file `operand` names, as fixed: looked for from the script's folder and each folder
    /// above it inside its root (a folder the run walks), then as the one file of the run whose
    /// path ends the same way. A file that holds a legacy host counts only if this run fixes
    /// it; an editor's buffer (no run) or a file named alone on the command line never moves a
    /// pattern whose file stays as it is.
    fn sed_input(&self, script: &Candidate, operand: &str) -> Option<SedInput> {
        let suffix = sed::operand_suffix(operand)?;
        let walked_root = self.root_folders.get(script.root)?.as_deref();
        let target = walked_root
            .into_iter()
            .flat_map(|root| sed::lookup_folders(&script.path, root))
            .map(|folder| folder.join(&suffix))
            .find(|path| path.is_file())
            .map(|path| Candidate {
                display: RepoPath::from_path(&path, &self.cwd),
                path,
                root: script.root,
                explicit: false,
            })
            .or_else(|| self.sed_targets.unique(&suffix).cloned())?;
        if target.path == script.path || !self.inside_roots(&target.path) {
            return None;
        }
        // A file over the scan's size limit is skipped, so it keeps the old host and the pattern
        // must stay; every file the run can fix is read here.
        let metadata = std::fs::metadata(&target.path).ok()?;
        if metadata.len() > MAX_FILE_SIZE {
            return None;
        }
        let bytes = std::fs::read(&target.path).ok()?;
        // A file that runs `sed` in turn waits for its own files: what it holds once fixed is
        // not settled while this script is processed.
        if sed::may_run_sed(&bytes) {
            return None;
        }
        let fixed = if !self.may_match(&target, &bytes) {
            bytes
        } else if self.sed_targets.holds(&target.path) {
            let checked = self.detect(&target, bytes);
            self.fix(&target, &checked, FixLevel::SafeOnly).ok()?.bytes
        } else {
            return None;
        };
        Some(SedInput {
            display: target.display.as_str().to_string(),
            fixed: fixed.into(),
        })
    }

    /// Whether `path`, with its links resolved, is inside a scanned root.
    fn inside_roots(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).is_ok_and(|real| {
            self.canonical_roots
                .iter()
                .any(|root| real.starts_with(root))
        })
    }
}
