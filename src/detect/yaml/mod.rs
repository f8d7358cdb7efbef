//! YAML structure for hits: the only module that imports `granit_parser`.
//!
//! The parser never decides what exists; the text layer found every hit already. This module
//! says where each hit sits: in a value scalar (with its key path, the resource that owns it
//! and whether the host is the whole value), in a key, or in a comment. A document that fails
//! to parse is recorded, and its hits keep only their text-level context.
//!
//! Some values are documents of their own: Chart.yaml's `artifacthub.io/images` holds YAML in a
//! literal block. Such a block is parsed again and its hits get the inner structure, with
//! spans still pointing at the outer file. Values under history keys (`artifacthub.io/changes`)
//! are history and never reported.
//!
//! Only the documents that hold a hit are parsed: a stream is cut into documents at its
//! markers first ([`document_chunks`]), so a generated manifest of thousands of documents with
//! a handful of hits costs a handful of document parses.
//!
//! Most of those documents are plain block YAML, and [`lines`] reads them line by line into the
//! events the parser would give; the parser takes only the documents it declines.
//!
//! Spans come from `Span::byte_range()` only; `Marker::index()` counts chars.

mod chunks;
mod embedded;
mod image_keys;
mod lenient;
mod lines;
mod node;
mod oracle;
mod step;
mod walker;

use std::ops::Range;

use super::hosts::{HostHit, HostScanner};
pub use crate::carrier::Dialect;
pub use chunks::{chunks_holding, document_chunks};
use chunks::{holds_any, span_starts};
pub(crate) use embedded::holds_kubeadm_config;
pub use embedded::literal_documents;
pub use node::{Node, chart_dependencies, documents, documents_holding};
#[doc(hidden)]
pub use oracle::{check_line_reader, check_safe_edits};
pub(crate) use walker::FALCO;
use walker::index_documents;

/// The start of the line holding `at`.
pub(crate) fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |newline| newline + 1)
}

/// The end of the line holding `at` (before its line break) and the line break an inserted
/// line should use: the line's own, else the file's (`\r\n` or `\n`).
pub(crate) fn line_end(text: &str, at: usize) -> (usize, &'static str) {
    match text[at..].find('\n') {
        Some(newline) => {
            let end = at + newline;
            if end > at && text.as_bytes()[end - 1] == b'\r' {
                (end - 1, "\r\n")
            } else {
                (end, "\n")
            }
        }
        None => (
            text.len(),
            if text.contains("\r\n") { "\r\n" } else { "\n" },
        ),
    }
}

/// The options of every parse. Aliases stay events of their own. The parser buffers the
/// comments it meets while it looks ahead (a key with no value, followed by a commented-out
/// block); granit's default cap of 96 rejects valid files, such as a Helm values file that
/// comments out a whole default configuration (hundreds of lines). The cap stays, high enough
/// for any such block and low enough to bound memory (a buffered comment costs about 500
/// bytes: 65,536 of them about 32 MB) on a file made of nothing else.
const MAX_BUFFERED_COMMENTS: usize = 1 << 16;

fn parser_options() -> granit_parser::Options {
    granit_parser::options! {
        emit_unresolved_aliases: true,
        max_buffered_comment_events: MAX_BUFFERED_COMMENTS,
    }
}

/// Where in the YAML structure a hit sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Value {
        /// The mapping key holding the value (`image`, `registry`), if the parent is a mapping.
        key: Option<String>,
        /// The whole scalar (trimmed) is the matched host, optionally with a trailing `/`.
        whole_value: bool,
        /// A literal or folded block scalar: a script or an embedded document.
        block: bool,
    },
    Key,
    Comment,
    /// Inside a value that records history (`artifacthub.io/changes`): never reported.
    History,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlSite {
    pub place: Place,
    /// "manifest: Deployment/web spec.template.spec.containers[0].image", "yaml: image.registry".
    pub context: String,
    /// The key path alone, as a Helm `--set` key would name it: `controller.image.registry`.
    pub key_path: String,
    /// The Kubernetes object that owns the hit, if any.
    pub resource: Option<ResourceId>,
    /// The hit is in a key, or below a key, that names a legacy host: a map keyed by registry
    /// (`mirrors: {k8s.gcr.io: {endpoint: …}}`).
    pub keyed_by_legacy_host: bool,
    /// The `name` beside the value in the same mapping (`{name: pod-infra-container-image,
    /// value: …}` in kubeadm v1beta4's `kubeletExtraArgs`).
    pub sibling_name: Option<String>,
    /// The hit is in a key that is exactly one image reference: a map keyed by image names.
    pub image_key: Option<ImageKey>,
    /// The hit is in what a cluster recorded, not in what the file asks for.
    pub recorded: Option<Recorded>,
}

/// Where a cluster, not an author, wrote the hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Under an object's `status` (an item's, in a `…List`): observed state, which the
    /// cluster writes (the image a container ran, the images a node holds) and which
    /// applying the file does not set.
    Status,
    /// Elsewhere in an object read back from a cluster: `metadata.uid` or
    /// `metadata.resourceVersion`, which only the API server assigns, are set.
    LiveObject,
}

/// A mapping key that is exactly one image reference of a moved form
/// (`"k8s.gcr.io/pause:3.9": "mirror.example.com/pause:3.9"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKey {
    /// The key it becomes is new to its mapping.
    Renamable,
    /// Its mapping already holds the key it becomes (or another key becomes the same):
    /// renaming it would duplicate a key.
    Collides,
}

/// `apiVersion` and `kind` of a Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    pub api_version: String,
    pub kind: String,
}

/// A document that did not parse; its hits are classified from text alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentFailure {
    pub range: Range<usize>,
    /// Byte offset of the error.
    pub at: usize,
    pub message: String,
}

/// A double-quoted scalar whose decoded value names a legacy host that its raw bytes spell
/// with escapes (`"k8s\x2egcr.io/pause"`): the fix cannot be a byte swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapedScalar {
    pub range: Range<usize>,
    pub context: String,
    /// The hit, with ranges into `decoded`.
    pub hit: HostHit,
    pub decoded: String,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct YamlIndex {
    /// One entry per hit given to [`index`], in the same order.
    pub sites: Vec<Option<YamlSite>>,
    pub failures: Vec<DocumentFailure>,
    pub escaped: Vec<EscapedScalar>,
    /// The documents the line reader read (and so the parser would parse), in order: how the
    /// structure was found, not part of it.
    pub lines_read: Vec<Range<usize>>,
}

/// How documents are read: through the line reader first (the default), or by the parser
/// alone (the reference the line reader is tested against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    Lines,
    ParserOnly,
}

/// Parse the documents of `text` that hold one of `hits` (sorted by start) and place each hit
/// in its structure.
/// Documents with an escape that could spell a host are parsed too: only the parser decodes
/// them (see [`EscapedScalar`]).
pub fn index(text: &str, hits: &[HostHit], dialect: Dialect, scanner: &HostScanner) -> YamlIndex {
    index_with(
        text,
        hits,
        dialect,
        scanner,
        Reading::Lines,
        Escapes::Possible,
    )
}

/// Whether a text may hold a scalar escape at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escapes {
    /// It has a backslash somewhere: documents without a hit are searched for escapes.
    Possible,
    /// It has no backslash: only the documents with a hit are parsed.
    None,
}

/// [`index`], reading documents as `reading` says; `escapes` tells whether documents without
/// a hit need a look for escaped hosts.
pub fn index_with(
    text: &str,
    hits: &[HostHit],
    dialect: Dialect,
    scanner: &HostScanner,
    reading: Reading,
    escapes: Escapes,
) -> YamlIndex {
    let starts = span_starts(hits.iter().map(|hit| &hit.range));
    let mut chunks = document_chunks(text);
    chunks.retain(|chunk| {
        holds_any(chunk, &starts)
            || (escapes == Escapes::Possible && may_hide_host(&text.as_bytes()[chunk.clone()]))
    });
    index_documents(text, hits, dialect, scanner, &chunks, reading)
}

/// A double-quoted scalar escape that can spell a host's bytes (`\x2e`, `\u002e`), or an
/// escaped line break that folds one across lines.
fn may_hide_host(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', bytes)
        .any(|at| matches!(bytes.get(at + 1), Some(b'x' | b'u' | b'U' | b'\n' | b'\r')))
}

/// How many of the documents of `text` that hold one of `spans` fail to parse (for verifying
/// that a fix broke nothing: the spans are its edits).
///
/// Adjacent documents are parsed together, as one run. A run whose documents the line reader
/// all accepts is not parsed: it holds no failure (see [`failure_count_with`]).
pub fn failure_count(text: &str, spans: &[Range<usize>], scanner: &HostScanner) -> usize {
    failure_count_with(text, spans, scanner, Reading::Lines)
}

/// [`failure_count`], reading documents as `reading` says. With [`Reading::ParserOnly`] every
/// run is parsed: the reference that the line reader's shortcut is checked against
/// ([`check_failure_count`]).
///
/// Why a run the reader accepts whole cannot fail: the reader accepts a document only if the
/// parser parses it alone (its contract, checked by [`check_line_reader`]), and it declines
/// directives and `...` lines. Inside a run, documents are cut at `---` lines only (a cut after
/// `...` would need a `...` line in the document before it), so every document after the
/// first starts with its `---`; a `---` line ends the document before it whatever that
/// document holds (YAML forbids it inside any node), and starts an explicit document that the
/// parser reads as it reads the same text alone. The run then parses as its documents do.
pub fn failure_count_with(
    text: &str,
    spans: &[Range<usize>],
    scanner: &HostScanner,
    reading: Reading,
) -> usize {
    let runs = runs_to_parse(text, spans, reading);
    if runs.is_empty() {
        return 0;
    }
    // The parser alone for the rest: this guards fixes, and only the parser says what is YAML.
    index_documents(
        text,
        &[],
        Dialect::plain("yaml"),
        scanner,
        &runs,
        Reading::ParserOnly,
    )
    .failures
    .len()
}

/// The runs of adjacent documents holding one of `spans` that must be parsed: all of them
/// for [`Reading::ParserOnly`]; with [`Reading::Lines`], those with a document that the line
/// reader declines.
fn runs_to_parse(text: &str, spans: &[Range<usize>], reading: Reading) -> Vec<Range<usize>> {
    if reading == Reading::ParserOnly {
        return chunks_holding(text, spans);
    }
    if spans.is_empty() {
        return Vec::new();
    }
    let starts = span_starts(spans);
    let mut runs = Vec::new();
    // The run being built, and whether the reader accepted each of its documents so far.
    let mut run: Option<(Range<usize>, bool)> = None;
    let mut steps = Vec::new();
    for chunk in document_chunks(text) {
        if !holds_any(&chunk, &starts) {
            continue;
        }
        match &mut run {
            Some((current, accepted)) if current.end == chunk.start => {
                current.end = chunk.end;
                // Once one document is declined the whole run is parsed: read no further.
                *accepted = *accepted && lines::read(text, chunk, &[], &mut steps);
            }
            _ => {
                if let Some((finished, false)) = run.take() {
                    runs.push(finished);
                }
                let accepted = lines::read(text, chunk.clone(), &[], &mut steps);
                run = Some((chunk, accepted));
            }
        }
    }
    if let Some((finished, false)) = run {
        runs.push(finished);
    }
    runs
}

/// Check [`failure_count`] against the parser alone ([`Reading::ParserOnly`]) for the
/// documents of `text` holding `spans` (for the tests and the fuzz oracle). `Ok` gives the
/// count.
#[doc(hidden)]
pub fn check_failure_count(
    text: &str,
    spans: &[Range<usize>],
    scanner: &HostScanner,
) -> Result<usize, String> {
    let through_lines = failure_count_with(text, spans, scanner, Reading::Lines);
    let parsed = failure_count_with(text, spans, scanner, Reading::ParserOnly);
    if through_lines != parsed {
        return Err(format!(
            "{through_lines} failing documents through the line reader, {parsed} by the parser alone, for spans {spans:?}"
        ));
    }
    Ok(parsed)
}

/// Every YAML fixture of the repository, with its path: what the tests that compare the line
/// reader with the parser read besides generated documents.
#[cfg(test)]
fn fixture_yaml_files() -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures readable") {
            let path = entry.expect("fixture entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "yaml" || extension == "yml")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                files.push((path, text));
            }
        }
    }
    assert!(files.len() > 100, "{} fixture files", files.len());
    files
}

#[cfg(test)]
mod failure_tests;
#[cfg(test)]
mod tests;
