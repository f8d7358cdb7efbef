//! The open documents: their buffers as the editor holds them, when each is due for a check,
//! and the last check of each.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use lsp_types::{DidChangeTextDocumentParams, DidChangeWorkspaceFoldersParams, Uri};

use super::position::{Encoding, LineIndex};
use super::uri;
use super::workspace::{Analysis, Skipped, Workspace};

#[derive(Debug)]
pub struct Document {
    pub version: i32,
    /// The file the buffer is (or will be) saved as; for an untitled buffer a made-up name in
    /// the first workspace folder whose extension tells the file type.
    path: PathBuf,
    text: String,
    /// When the buffer is to be checked, after a change.
    due: Option<Instant>,
    /// The last check of the buffer.
    pub analysis: Result<Analysis, Skipped>,
}

#[derive(Debug, Default)]
pub struct Documents {
    workspace: Workspace,
    open: HashMap<Uri, Document>,
}

impl Documents {
    pub fn set_folders(&mut self, folders: Vec<PathBuf>) {
        self.workspace.set_folders(folders);
    }

    pub fn change_folders(&mut self, params: &DidChangeWorkspaceFoldersParams) {
        let removed: Vec<PathBuf> = params
            .event
            .removed
            .iter()
            .filter_map(|folder| uri::file_path(folder.uri.as_str()))
            .collect();
        let mut folders: Vec<PathBuf> = self
            .workspace
            .folders()
            .iter()
            .filter(|folder| !removed.contains(folder))
            .cloned()
            .collect();
        folders.extend(
            params
                .event
                .added
                .iter()
                .filter_map(|folder| uri::file_path(folder.uri.as_str())),
        );
        self.workspace.set_folders(folders);
    }

    pub fn reload(&mut self) {
        self.workspace.reload();
    }

    pub fn uris(&self) -> Vec<Uri> {
        self.open.keys().cloned().collect()
    }

    pub fn open(&mut self, uri: Uri, version: i32, language: &str, text: String) {
        let path = uri::file_path(uri.as_str())
            .unwrap_or_else(|| untitled_path(&uri, language, self.workspace.folders()));
        let document = Document {
            version,
            path,
            text,
            due: None,
            analysis: Err(Skipped::NotText),
        };
        self.open.insert(uri, document);
    }

    /// Apply a change: whole-buffer replacements (what the server asks for) and, should a
    /// client send them anyway, ranged edits in order.
    pub fn change(
        &mut self,
        params: &DidChangeTextDocumentParams,
        encoding: Encoding,
        due: Instant,
    ) {
        let Some(document) = self.open.get_mut(&params.text_document.uri) else {
            return;
        };
        for change in &params.content_changes {
            match change.range {
                None => document.text.clone_from(&change.text),
                Some(range) => {
                    let bytes = document.text.as_bytes();
                    let lines = LineIndex::new(bytes);
                    let start = lines.offset(bytes, range.start, encoding);
                    let end = lines.offset(bytes, range.end, encoding).max(start);
                    // Offsets are on character boundaries by construction.
                    if document.text.is_char_boundary(start) && document.text.is_char_boundary(end)
                    {
                        document.text.replace_range(start..end, &change.text);
                    }
                }
            }
        }
        document.version = params.text_document.version;
        document.due = Some(due);
    }

    pub fn replace_text(&mut self, uri: &Uri, text: String) {
        if let Some(document) = self.open.get_mut(uri) {
            document.text = text;
        }
    }

    pub fn close(&mut self, uri: &Uri) {
        self.open.remove(uri);
    }

    /// Check the document's buffer now.
    pub fn check(&mut self, uri: &Uri) -> Option<&Document> {
        let document = self.open.get_mut(uri)?;
        document.due = None;
        document.analysis = self.workspace.analyze(&document.path, &document.text);
        Some(document)
    }

    pub fn analysis(&self, uri: &Uri) -> Option<&Result<Analysis, Skipped>> {
        self.open.get(uri).map(|document| &document.analysis)
    }

    pub fn is_due(&self, uri: &Uri) -> bool {
        self.open
            .get(uri)
            .is_some_and(|document| document.due.is_some())
    }

    /// The earliest time a changed buffer is due for its check.
    pub fn next_due(&self) -> Option<Instant> {
        self.open.values().filter_map(|document| document.due).min()
    }

    /// The documents due by `now`.
    pub fn take_due(&self, now: Instant) -> Vec<Uri> {
        self.open
            .iter()
            .filter(|(_, document)| document.due.is_some_and(|due| due <= now))
            .map(|(uri, _)| uri.clone())
            .collect()
    }
}

/// A path for a buffer that is no file yet: its URI's last segment in the first workspace
/// folder (or the current directory), with an extension from its language when it has none,
/// so that the file type is right. A YAML manifest when the language says nothing.
fn untitled_path(uri: &Uri, language: &str, folders: &[PathBuf]) -> PathBuf {
    let text = uri.as_str();
    let name = text
        .rsplit(['/', ':'])
        .next()
        .filter(|name| !name.is_empty())
        .unwrap_or("untitled");
    let name = if Path::new(name).extension().is_some() {
        name.to_string()
    } else {
        match language {
            "dockerfile" => "Dockerfile".to_string(),
            "markdown" => format!("{name}.md"),
            "json" | "jsonc" => format!("{name}.json"),
            "shellscript" | "sh" | "bash" => format!("{name}.sh"),
            "toml" => format!("{name}.toml"),
            _ => format!("{name}.yaml"),
        }
    };
    let folder = folders
        .first()
        .cloned()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"));
    folder.join(name)
}
