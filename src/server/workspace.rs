//! Which configuration and engine a document gets, and the check of its buffer.
//!
//! A document's configuration is the one `check` would use for its path: the nearest
//! `regshift.toml` or `.regshift.toml` above it (stopping at the repository root), else the
//! defaults. Settings and an engine are built once per folder and kept until a configuration
//! file changes; a buffer without a file (an untitled one) gets the defaults.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::detect::Detection;
use crate::engine::{Checked, Engine};
use crate::path::RepoPath;
use crate::settings::{Mode, ScanOptions, Settings};
use crate::source::{MAX_FILE_SIZE, SourceFile, looks_binary};
use crate::walk::Candidate;

use super::position::LineIndex;

/// The settings and engine of the documents of one folder.
#[derive(Debug)]
pub struct Scope {
    settings: Settings,
    pub engine: Engine,
}

/// A document's buffer as the engine saw it, with what it found.
#[derive(Debug)]
pub struct Analysis {
    pub scope: Arc<Scope>,
    pub candidate: Candidate,
    /// The buffer (in `checked.source.bytes`) and its findings, edits included.
    pub checked: Checked,
    pub lines: LineIndex,
}

impl Analysis {
    pub fn bytes(&self) -> &[u8] {
        &self.checked.source.bytes
    }
}

/// Why a document gets no diagnostics, when it is not for want of findings.
#[derive(Debug, PartialEq, Eq)]
pub enum Skipped {
    /// Excluded by the configuration (history files by default, vendored trees, `exclude`).
    Excluded,
    /// Not text, or over the size cap: `check` skips it too.
    NotText,
    /// The configuration could not be loaded: the message names the file and the problem.
    Config(String),
}

#[derive(Debug, Default)]
pub struct Workspace {
    /// The workspace folders, deepest first: a document's paths are shown relative to the
    /// deepest one that holds it.
    folders: Vec<PathBuf>,
    scopes: HashMap<PathBuf, Arc<Scope>>,
}

impl Workspace {
    pub fn set_folders(&mut self, mut folders: Vec<PathBuf>) {
        folders.sort_by_key(|folder| std::cmp::Reverse(folder.components().count()));
        folders.dedup();
        self.folders = folders;
        self.scopes.clear();
    }

    pub fn folders(&self) -> &[PathBuf] {
        &self.folders
    }

    /// Forget every loaded configuration: one changed on disk.
    pub fn reload(&mut self) {
        self.scopes.clear();
    }

    /// Check `text` as the file at `path` (absolute; for an untitled buffer, a made-up path
    /// whose name tells the file type).
    pub fn analyze(&mut self, path: &Path, text: &str) -> Result<Analysis, Skipped> {
        let bytes = text.as_bytes();
        if bytes.len() as u64 > MAX_FILE_SIZE || looks_binary(bytes) {
            return Err(Skipped::NotText);
        }
        let folder = path.parent().unwrap_or(path).to_path_buf();
        let cwd = self
            .folders
            .iter()
            .find(|root| path.starts_with(root))
            .cloned()
            .unwrap_or_else(|| folder.clone());
        let scope = match self.scopes.get(&folder) {
            Some(scope) => scope.clone(),
            None => {
                let options = ScanOptions::new(vec![folder.clone()], Mode::Check);
                let settings = Settings::resolve(&options, &cwd)
                    .map_err(|error| Skipped::Config(error.to_string()))?;
                let engine = Engine::new(&settings);
                let scope = Arc::new(Scope { settings, engine });
                self.scopes.insert(folder, scope.clone());
                scope
            }
        };
        let config = &scope.settings.roots[0].config;
        if config.is_excluded(path, false, true) {
            return Err(Skipped::Excluded);
        }
        let candidate = Candidate {
            path: path.to_path_buf(),
            display: RepoPath::from_path(path, &cwd),
            root: 0,
            explicit: true,
        };
        let owned = bytes.to_vec();
        // Findings keep their byte ranges; nothing here needs their lines and excerpts.
        let checked = if scope.engine.may_match(&candidate, &owned) {
            scope.engine.detect(&candidate, owned)
        } else {
            // The byte gate: `check` reads no further, and neither does the editor.
            Checked {
                source: SourceFile::new(candidate.display.clone(), owned),
                detection: Detection::default(),
            }
        };
        let lines = LineIndex::new(&checked.source.bytes);
        Ok(Analysis {
            scope,
            candidate,
            checked,
            lines,
        })
    }
}
