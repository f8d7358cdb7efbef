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

mod lines;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle};

use super::hosts::{HostHit, HostScanner};
pub use crate::carrier::Dialect;

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

/// Adjacent documents are parsed together: one parser for a run of documents costs less than
/// one per document.
fn merge_adjacent(chunks: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        match merged.last_mut() {
            Some(last) if last.end == chunk.start => last.end = chunk.end,
            _ => merged.push(chunk),
        }
    }
    merged
}

/// A double-quoted scalar escape that can spell a host's bytes (`\x2e`, `\u002e`), or an
/// escaped line break that folds one across lines.
fn may_hide_host(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', bytes)
        .any(|at| matches!(bytes.get(at + 1), Some(b'x' | b'u' | b'U' | b'\n' | b'\r')))
}

fn index_documents(
    text: &str,
    hits: &[HostHit],
    dialect: Dialect,
    scanner: &HostScanner,
    chunks: &[Range<usize>],
    reading: Reading,
) -> YamlIndex {
    let mut walker = Walker {
        text,
        chunk: 0..text.len(),
        hits,
        chunk_hits: 0..hits.len(),
        dialect,
        scanner,
        result: YamlIndex {
            sites: vec![None; hits.len()],
            ..YamlIndex::default()
        },
        document: Document::default(),
    };
    let mut to_parse = Vec::new();
    let mut steps = Vec::new();
    for chunk in chunks {
        walker.enter(chunk.clone());
        let chunk_hits = &hits[walker.chunk_hits.clone()];
        if reading == Reading::Lines && lines::read(text, chunk.clone(), chunk_hits, &mut steps) {
            for (step, range) in steps.drain(..) {
                walker.step(step, range);
            }
        } else {
            to_parse.push(chunk.clone());
        }
    }
    // One parser per document, as the line reader reads them: a broken document's failure
    // never reaches past its own end.
    for chunk in to_parse {
        walker.enter(chunk);
        walker.run();
    }
    // Hits inside failed documents keep no structural site.
    let mut result = walker.result;
    for failure in &result.failures {
        let first = hits.partition_point(|hit| hit.range.start < failure.range.start);
        for (site, hit) in result.sites[first..].iter_mut().zip(&hits[first..]) {
            if !failure.range.contains(&hit.range.start) {
                break;
            }
            *site = None;
        }
    }
    result
}

/// The byte ranges of the documents of a YAML stream, cut at its markers without parsing.
///
/// YAML forbids `---` and `...` at the start of a line inside any node (`c-forbidden`), so such
/// a line, followed by a space, a tab or the line's end, always ends a document. A range
/// starts at its `---` line, or at the directives before it; one ends after a `...` line. The
/// ranges cover `text` without gaps, in order.
pub fn document_chunks(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let is_marker = |at: usize, marker: &[u8]| {
        bytes[at..].starts_with(marker)
            && bytes
                .get(at + 3)
                .is_none_or(|byte| matches!(byte, b' ' | b'\t' | b'\r' | b'\n'))
    };
    // Lines that start with three dashes or dots: found by SIMD search, not line by line.
    let mut lines: Vec<usize> = memchr::memmem::find_iter(bytes, b"\n---")
        .chain(memchr::memmem::find_iter(bytes, b"\n..."))
        .map(|newline| newline + 1)
        .collect();
    if bytes.starts_with(b"---") || bytes.starts_with(b"...") {
        lines.push(0);
    }
    lines.sort_unstable();

    let mut chunks = Vec::new();
    let mut start = 0;
    // The current range holds more than comments, blank lines and directives.
    let mut content = false;
    for at in lines {
        if is_marker(at, b"---") {
            if content || has_content(&bytes[start..at]) {
                chunks.push(start..at);
                start = at;
            }
            content = true;
        } else if is_marker(at, b"...") {
            let line_end =
                memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |end| at + end + 1);
            chunks.push(start..line_end);
            start = line_end;
            content = false;
        }
    }
    if start < bytes.len() || chunks.is_empty() {
        chunks.push(start..bytes.len());
    }
    chunks
}

/// Whether the start of a document holds more than blank lines, comments and directives.
fn has_content(region: &[u8]) -> bool {
    region.split(|&byte| byte == b'\n').any(|line| {
        let trimmed = line.trim_ascii();
        !(trimmed.is_empty() || trimmed.starts_with(b"#") || line.starts_with(b"%"))
    })
}

/// The documents of `text` that hold (or touch, for an empty span) one of `spans`.
pub fn chunks_holding(text: &str, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    if spans.is_empty() {
        return Vec::new();
    }
    let starts = span_starts(spans);
    let mut chunks = document_chunks(text);
    chunks.retain(|chunk| holds_any(chunk, &starts));
    merge_adjacent(chunks)
}

/// The sorted starts of `spans`: a span belongs to the document it starts in (spans are
/// hits and edits, which never cross a document marker).
fn span_starts<'a>(spans: impl IntoIterator<Item = &'a Range<usize>>) -> Vec<usize> {
    let mut starts: Vec<usize> = spans.into_iter().map(|span| span.start).collect();
    starts.sort_unstable();
    starts
}

/// Whether a span starts in `chunk` or right at its end (an insertion after its last line).
fn holds_any(chunk: &Range<usize>, starts: &[usize]) -> bool {
    let first = starts.partition_point(|&start| start < chunk.start);
    starts.get(first).is_some_and(|&start| start <= chunk.end)
}

/// The `dependencies` of a `Chart.yaml` (or Helm 2 `requirements.yaml`): each one's `name`
/// and `alias`. Values of a dependency are overridden under its alias when it has one.
pub fn chart_dependencies(text: &str) -> Vec<(String, Option<String>)> {
    documents(text)
        .iter()
        .filter_map(|root| root.get("dependencies"))
        .flat_map(|list| list.items())
        .filter_map(|dependency| {
            let name = dependency.get("name")?.as_str()?.to_string();
            let alias = dependency
                .get("alias")
                .and_then(Node::as_str)
                .map(str::to_string);
            Some((name, alias))
        })
        .collect()
}

/// A YAML node with byte spans, for the few carriers whose fixes need whole mappings
/// (kubeadm's CoreDNS insertion, kustomize `images`). Built only for files that need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Scalar {
        value: String,
        range: Range<usize>,
        style: ScalarStyle,
    },
    Mapping {
        flow: bool,
        range: Range<usize>,
        entries: Vec<(Node, Node)>,
    },
    Sequence {
        flow: bool,
        range: Range<usize>,
        items: Vec<Node>,
    },
    Alias {
        range: Range<usize>,
    },
}

impl Node {
    pub fn range(&self) -> &Range<usize> {
        match self {
            Node::Scalar { range, .. }
            | Node::Mapping { range, .. }
            | Node::Sequence { range, .. }
            | Node::Alias { range } => range,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, value)| value)
    }

    /// The key node and value of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match self {
            Node::Mapping { entries, .. } => entries
                .iter()
                .find(|(name, _)| name.as_str() == Some(key))
                .map(|(name, value)| (name, value)),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Node] {
        match self {
            Node::Sequence { items, .. } => items,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match self {
            Node::Mapping { entries, .. } => entries,
            _ => &[],
        }
    }

    /// Every mapping in this subtree (depth first), with the key that holds it.
    pub fn mappings<'a>(
        &'a self,
        key: Option<&'a str>,
        out: &mut Vec<(Option<&'a str>, &'a Node)>,
    ) {
        match self {
            Node::Mapping { entries, .. } => {
                out.push((key, self));
                for (name, value) in entries {
                    value.mappings(name.as_str(), out);
                }
            }
            Node::Sequence { items, .. } => {
                for item in items {
                    item.mappings(None, out);
                }
            }
            _ => {}
        }
    }
}

/// The root node of every document of `text` that parses.
pub fn documents(text: &str) -> Vec<Node> {
    let mut documents = Vec::new();
    parse_nodes(text, 0..text.len(), &mut documents);
    documents
}

/// The root node of every document that parses among those holding one of `spans`.
pub fn documents_holding(text: &str, spans: &[Range<usize>]) -> Vec<Node> {
    let mut documents = Vec::new();
    for chunk in chunks_holding(text, spans) {
        parse_nodes(text, chunk, &mut documents);
    }
    documents
}

/// Parse `text[chunk]` and push the root node of each document that parses; spans are
/// offsets into `text`.
fn parse_nodes(text: &str, chunk: Range<usize>, documents: &mut Vec<Node>) {
    let options = granit_parser::options! {
        emit_unresolved_aliases: true,
    };
    let base = chunk.start;
    let mut parser = Parser::new_from_str_with_options(&text[chunk], options);
    // Open collections: the node being built and, for mappings, a pending key.
    let mut stack: Vec<(Node, Option<Node>)> = Vec::new();
    let mut failed = false;
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(next)) => next,
            Some(Err(_)) => {
                stack.clear();
                failed = true;
                match parser.proceed_next_document() {
                    Ok(true) => continue,
                    _ => break,
                }
            }
        };
        let Some(range) = span.byte_range() else {
            continue;
        };
        let range = range.start + base..range.end + base;
        let node = match event {
            Event::DocumentStart(..) => {
                stack.clear();
                failed = false;
                continue;
            }
            Event::MappingStart(style, ..) => {
                stack.push((
                    Node::Mapping {
                        flow: style == granit_parser::StructureStyle::Flow,
                        range: range.clone(),
                        entries: Vec::new(),
                    },
                    None,
                ));
                continue;
            }
            Event::SequenceStart(style, ..) => {
                stack.push((
                    Node::Sequence {
                        flow: style == granit_parser::StructureStyle::Flow,
                        range: range.clone(),
                        items: Vec::new(),
                    },
                    None,
                ));
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some((mut node, _)) = stack.pop() else {
                    continue;
                };
                if let Node::Mapping { range: open, .. } | Node::Sequence { range: open, .. } =
                    &mut node
                {
                    open.end = range.end.max(open.start);
                }
                node
            }
            Event::Scalar(value, style, ..) => Node::Scalar {
                value: value.into_owned(),
                range,
                style,
            },
            Event::Alias(_) | Event::UnresolvedAlias(_) => Node::Alias { range },
            _ => continue,
        };
        match stack.last_mut() {
            None if !failed => documents.push(node),
            None => {}
            Some((Node::Sequence { items, .. }, _)) => items.push(node),
            Some((Node::Mapping { entries, .. }, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
            Some(_) => {}
        }
    }
}

/// How many of the documents of `text` that hold one of `spans` fail to parse (for verifying
/// that a fix broke nothing: the spans are its edits).
pub fn failure_count(text: &str, spans: &[Range<usize>], scanner: &HostScanner) -> usize {
    // The parser alone: this guards fixes, and only the parser says what is YAML.
    let chunks = chunks_holding(text, spans);
    index_documents(
        text,
        &[],
        Dialect::plain("yaml"),
        scanner,
        &chunks,
        Reading::ParserOnly,
    )
    .failures
    .len()
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum PathElem<'a> {
    /// Borrowed from the text when the key needs no decoding: most keys cost no allocation.
    Key(Cow<'a, str>),
    Index(usize),
}

/// One element at the end of a path, borrowed from the walker's stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tail<'a> {
    Key(&'a str),
    Index,
}

/// The key name of a path element, if it is a key.
fn key_of(elem: Option<Tail<'_>>) -> Option<&str> {
    match elem {
        Some(Tail::Key(key)) => Some(key),
        _ => None,
    }
}

#[derive(Debug)]
enum Frame<'a> {
    Mapping {
        expect_key: bool,
        key: Option<PathElem<'a>>,
        /// This mapping is itself a (complex) key of its parent.
        is_key: bool,
        /// The scalar value of its `name` key, once seen.
        name: Option<String>,
    },
    Sequence {
        index: usize,
        is_key: bool,
    },
}

/// A mapping with `apiVersion` and `kind`: a Kubernetes object. Both are required, so a Helm
/// value such as `controller.kind: Deployment` does not make its parent look like one.
#[derive(Debug, Default)]
struct Resource<'a> {
    path: Vec<PathElem<'a>>,
    api_version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
}

impl Resource<'_> {
    fn id(&self) -> Option<ResourceId> {
        Some(ResourceId {
            api_version: self.api_version.clone()?,
            kind: self.kind.clone()?,
        })
    }
}

/// What one document collects until it ends (contexts need `kind`, which may come last).
#[derive(Debug, Default)]
struct Document<'a> {
    start: usize,
    stack: Vec<Frame<'a>>,
    resources: Vec<Resource<'a>>,
    pending: Vec<Pending<'a>>,
    pending_escaped: Vec<(Range<usize>, Vec<PathElem<'a>>, HostHit, String)>,
    /// Literal blocks that hold YAML: raw range, path, decoded value.
    embedded: Vec<(Range<usize>, Vec<PathElem<'a>>, String)>,
}

#[derive(Debug)]
struct Pending<'a> {
    hit: usize,
    place: Place,
    path: Vec<PathElem<'a>>,
    sibling_name: Option<String>,
}

struct Walker<'a> {
    /// The whole file: every range is an offset into it.
    text: &'a str,
    /// The documents being parsed now.
    chunk: Range<usize>,
    hits: &'a [HostHit],
    /// The indices of the hits in `chunk`: a scalar looks for its hits among these alone.
    chunk_hits: Range<usize>,
    dialect: Dialect,
    scanner: &'a HostScanner,
    result: YamlIndex,
    document: Document<'a>,
}

/// The events of a YAML document that place a hit, from the parser or from [`lines`].
#[derive(Debug, Clone, PartialEq)]
enum Step<'a> {
    DocumentStart,
    /// The end of a document, or of the stream.
    DocumentEnd,
    Comment,
    Scalar(Cow<'a, str>, ScalarStyle),
    Alias,
    MappingStart,
    SequenceStart,
    /// The end of the innermost mapping or sequence.
    End,
}

impl<'a> Step<'a> {
    fn from_event(event: Event<'a>) -> Option<Step<'a>> {
        Some(match event {
            Event::DocumentStart(..) => Step::DocumentStart,
            Event::DocumentEnd | Event::StreamEnd => Step::DocumentEnd,
            Event::Comment(..) => Step::Comment,
            Event::Scalar(value, style, ..) => Step::Scalar(value, style),
            Event::Alias(_) | Event::UnresolvedAlias(_) => Step::Alias,
            Event::MappingStart(..) => Step::MappingStart,
            Event::SequenceStart(..) => Step::SequenceStart,
            Event::MappingEnd | Event::SequenceEnd => Step::End,
            _ => return None,
        })
    }
}

/// Check the line reader against the parser on every document of `text` (for the tests and
/// the fuzz oracle): a document the reader accepts must parse, with the same events and spans
/// (comments aside: the reader declines those that hold a hit, and others place nothing), and
/// the structure found for the hits in `text` must be the same either way. `Ok` counts the
/// documents the reader accepted.
#[doc(hidden)]
pub fn check_line_reader(text: &str, scanner: &HostScanner) -> Result<usize, String> {
    let hits = scanner.scan(text.as_bytes());
    let mut accepted = 0;
    let mut steps = Vec::new();
    for chunk in document_chunks(text) {
        if !lines::read(text, chunk.clone(), &hits, &mut steps) {
            continue;
        }
        accepted += 1;
        let expected = parser_steps(text, chunk.clone()).map_err(|error| {
            format!("{chunk:?}: the reader accepted what the parser rejects: {error}")
        })?;
        let read = normalized(std::mem::take(&mut steps));
        if read != expected {
            return Err(format!(
                "{chunk:?}: the reader and the parser disagree:\nreader: {read:?}\nparser: {expected:?}"
            ));
        }
    }
    let dialect = Dialect::plain("yaml");
    let through_lines = index_with(
        text,
        &hits,
        dialect,
        scanner,
        Reading::Lines,
        Escapes::Possible,
    );
    let parsed = index_with(
        text,
        &hits,
        dialect,
        scanner,
        Reading::ParserOnly,
        Escapes::Possible,
    );
    if through_lines != parsed {
        return Err(format!(
            "the structure differs:\nlines:  {through_lines:?}\nparser: {parsed:?}"
        ));
    }
    Ok(accepted)
}

/// The parser's steps for `text[chunk]`, normalized as [`normalized`] does.
fn parser_steps(text: &str, chunk: Range<usize>) -> Result<Vec<(Step<'_>, Range<usize>)>, String> {
    let options = granit_parser::options! {
        emit_unresolved_aliases: true,
    };
    let base = chunk.start;
    let mut parser = Parser::new_from_str_with_options(&text[chunk], options);
    let mut steps = Vec::new();
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|error| error.info())?;
        let (Some(step), Some(range)) = (Step::from_event(event), span.byte_range()) else {
            continue;
        };
        steps.push((step, range.start + base..range.end + base));
    }
    Ok(normalized(steps))
}

/// Steps as the walker sees them: no comments, one end per document, and no spans but those of
/// scalars with text (the walker reads no other: an empty span holds no hit).
fn normalized(steps: Vec<(Step<'_>, Range<usize>)>) -> Vec<(Step<'_>, Range<usize>)> {
    let mut out: Vec<(Step<'_>, Range<usize>)> = Vec::with_capacity(steps.len());
    for (step, range) in steps {
        match step {
            Step::Comment => {}
            Step::DocumentEnd
                if out
                    .last()
                    .is_some_and(|(last, _)| *last == Step::DocumentEnd) => {}
            Step::Scalar(..) if !range.is_empty() => out.push((step, range)),
            _ => out.push((step, 0..0)),
        }
    }
    out
}

/// Recovery gives up after this many parse errors in one file (a file of garbage).
const MAX_ERRORS: usize = 10_000;

impl<'a> Walker<'a> {
    fn run(&mut self) {
        let options = granit_parser::options! {
            emit_unresolved_aliases: true,
        };
        let base = self.chunk.start;
        let end = self.chunk.end;
        let mut parser = Parser::new_from_str_with_options(&self.text[self.chunk.clone()], options);
        let mut open_failure: Option<DocumentFailure> = None;
        let mut errors = 0;
        loop {
            match parser.next_event() {
                None => break,
                Some(Ok((event, span))) => {
                    let Some(range) = span.byte_range() else {
                        continue;
                    };
                    let range = range.start + base..range.end + base;
                    let Some(step) = Step::from_event(event) else {
                        continue;
                    };
                    if step == Step::DocumentStart
                        && let Some(mut failure) = open_failure.take()
                    {
                        failure.range.end = range.start.max(failure.range.start);
                        self.result.failures.push(failure);
                    }
                    self.step(step, range);
                }
                Some(Err(error)) => {
                    errors += 1;
                    // A second error before the next document starts belongs to the same
                    // broken region: keep the first message.
                    if open_failure.is_none() {
                        open_failure = Some(DocumentFailure {
                            range: self.document.start..end,
                            at: error
                                .marker()
                                .byte_offset()
                                .map_or(self.document.start, |at| at + base),
                            message: error.info(),
                        });
                    }
                    // Structure collected for the broken document is not trusted.
                    self.document = Document {
                        start: end,
                        ..Document::default()
                    };
                    let resumed = matches!(parser.proceed_next_document(), Ok(true));
                    if !resumed || errors >= MAX_ERRORS {
                        break;
                    }
                }
            }
        }
        if let Some(failure) = open_failure {
            self.result.failures.push(failure);
        }
    }

    fn step(&mut self, step: Step<'a>, range: Range<usize>) {
        match step {
            Step::DocumentStart => {
                self.finish_document();
                self.document.start = range.start;
            }
            Step::DocumentEnd => self.finish_document(),
            Step::Comment => {
                for hit in self.hits_within(&range) {
                    self.document.pending.push(Pending {
                        hit,
                        place: Place::Comment,
                        path: self.current_path(),
                        sibling_name: None,
                    });
                }
            }
            Step::Scalar(value, style) => self.scalar(value, style, range),
            Step::Alias => {
                if self.expecting_key() {
                    self.set_key(PathElem::Key(Cow::Borrowed("*")));
                }
                self.advance();
            }
            Step::SequenceStart => {
                let is_key = self.expecting_key();
                self.document
                    .stack
                    .push(Frame::Sequence { index: 0, is_key });
            }
            Step::MappingStart => {
                let is_key = self.expecting_key();
                self.document.stack.push(Frame::Mapping {
                    expect_key: true,
                    key: None,
                    is_key,
                    name: None,
                });
            }
            Step::End => {
                let is_key = match self.document.stack.pop() {
                    Some(Frame::Mapping { is_key, .. } | Frame::Sequence { is_key, .. }) => is_key,
                    None => false,
                };
                if is_key {
                    self.set_key(PathElem::Key(Cow::Borrowed("?")));
                }
                self.advance();
            }
        }
    }

    fn scalar(&mut self, value: Cow<'a, str>, style: ScalarStyle, range: Range<usize>) {
        let is_key = self.expecting_key();
        let hits = self.hits_within(&range);
        // Most scalars hold no hit and name no resource field: they must not pay for a path
        // (one string per level). Decide from the last two path elements first.
        let (parent, last) = self.path_tail();
        let value_key = if is_key { None } else { key_of(last) };
        let is_history = value_key.is_some_and(|key| self.dialect.history_keys.contains(&key));
        let embedding_key = match last {
            Some(Tail::Index) => key_of(parent),
            _ => value_key,
        };
        let embeds = !is_key
            && style == ScalarStyle::Literal
            && embedding_key.is_some_and(|key| self.dialect.embedded_yaml_keys.contains(&key))
            && !hits.is_empty();
        let resource_field = !is_key
            && (matches!(value_key, Some("kind" | "apiVersion"))
                || (value_key == Some("name") && key_of(parent) == Some("metadata")));
        let names_mapping = value_key == Some("name");
        let may_escape = !is_key
            && style == ScalarStyle::DoubleQuoted
            && self.text[range.clone()].contains('\\');

        if !hits.is_empty() || embeds || resource_field || may_escape {
            let mut path = self.current_path();
            if is_key {
                path.push(PathElem::Key(value.clone()));
            }
            if resource_field {
                self.note_resource_field(&path, &value);
            }
            if embeds {
                self.document
                    .embedded
                    .push((range.clone(), path.clone(), value.to_string()));
            }
            let hit_list: Vec<usize> = hits.collect();
            for &hit in &hit_list {
                let place = if is_key {
                    Place::Key
                } else if is_history {
                    Place::History
                } else {
                    let matched = &self.text[self.hits[hit].range.clone()];
                    let trimmed = value.trim();
                    let whole_value = trimmed.eq_ignore_ascii_case(matched)
                        || trimmed
                            .strip_suffix('/')
                            .is_some_and(|host| host.eq_ignore_ascii_case(matched));
                    Place::Value {
                        key: match path.last() {
                            Some(PathElem::Key(key)) => Some(key.to_string()),
                            _ => None,
                        },
                        whole_value,
                        block: matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
                    }
                };
                self.document.pending.push(Pending {
                    hit,
                    place,
                    path: path.clone(),
                    sibling_name: self.mapping_name(),
                });
            }
            if may_escape {
                self.check_escapes(&value, &range, &hit_list, &path);
            }
            if is_key {
                self.set_key(path.pop().expect("a key was pushed"));
            }
        } else if is_key {
            self.set_key(PathElem::Key(value.clone()));
        }
        if names_mapping && let Some(Frame::Mapping { name, .. }) = self.document.stack.last_mut() {
            *name = Some(value.to_string());
        }
        self.advance();
    }

    /// The last two elements of [`Self::current_path`] (parent, last), without building it.
    fn path_tail(&self) -> (Option<Tail<'_>>, Option<Tail<'_>>) {
        let mut tail = self
            .document
            .stack
            .iter()
            .rev()
            .filter_map(|frame| match frame {
                Frame::Mapping {
                    expect_key: false,
                    key: Some(PathElem::Key(key)),
                    ..
                } => Some(Tail::Key(key)),
                Frame::Mapping {
                    expect_key: false,
                    key: Some(PathElem::Index(_)),
                    ..
                }
                | Frame::Sequence { .. } => Some(Tail::Index),
                Frame::Mapping { .. } => None,
            });
        let last = tail.next();
        (tail.next(), last)
    }

    /// A double-quoted scalar may spell the host with escapes that the raw bytes hide. The
    /// finding describes the first decoded reference that no raw hit accounts for, so a plain
    /// reference beside it (which has its own finding) is never described twice.
    fn check_escapes(
        &mut self,
        value: &str,
        range: &Range<usize>,
        raw_hits: &[usize],
        path: &[PathElem<'a>],
    ) {
        if !self.text[range.clone()].contains('\\') {
            return;
        }
        // Raw references compare in decoded form: `k8s.gcr.io\\/pause` is `k8s.gcr.io/pause`.
        let mut unaccounted: Vec<String> = raw_hits
            .iter()
            .map(|&hit| self.text[self.hits[hit].reference.clone()].replace("\\/", "/"))
            .collect();
        let escaped = self.scanner.scan(value.as_bytes()).into_iter().find(|hit| {
            let reference = &value[hit.reference.clone()];
            match unaccounted.iter().position(|raw| *raw == reference) {
                Some(index) => {
                    unaccounted.swap_remove(index);
                    false
                }
                None => true,
            }
        });
        if let Some(hit) = escaped {
            self.document.pending_escaped.push((
                range.clone(),
                path.to_vec(),
                hit,
                value.to_string(),
            ));
        }
    }

    /// Remember `kind` and `metadata.name` of every mapping that looks like a resource.
    fn note_resource_field(&mut self, path: &[PathElem<'a>], value: &str) {
        let (owner, field) = match path {
            [owner @ .., PathElem::Key(key)] if key == "kind" => (owner, "kind"),
            [owner @ .., PathElem::Key(key)] if key == "apiVersion" => (owner, "apiVersion"),
            [owner @ .., PathElem::Key(metadata), PathElem::Key(name)]
                if metadata == "metadata" && name == "name" =>
            {
                (owner, "name")
            }
            _ => return,
        };
        let resources = &mut self.document.resources;
        let index = match resources.iter().position(|r| r.path == owner) {
            Some(index) => index,
            None => {
                resources.push(Resource {
                    path: owner.to_vec(),
                    ..Resource::default()
                });
                resources.len() - 1
            }
        };
        let resource = &mut resources[index];
        match field {
            "kind" => resource.kind = Some(value.to_string()),
            "apiVersion" => resource.api_version = Some(value.to_string()),
            _ => resource.name = Some(value.to_string()),
        }
    }

    fn finish_document(&mut self) {
        let document = std::mem::take(&mut self.document);
        let label = self.dialect.label;
        for pending in document.pending {
            let context = match pending.place {
                Place::Comment => format!("{label} comment"),
                Place::Key => format!(
                    "{} key",
                    render_context(label, &pending.path, &document.resources)
                ),
                Place::Value { .. } | Place::History => {
                    render_context(label, &pending.path, &document.resources)
                }
            };
            let keyed_by_legacy_host = match pending.place {
                Place::Key => pending.path.last().is_some_and(
                    |elem| matches!(elem, PathElem::Key(key) if self.names_legacy_host(key)),
                ),
                _ => pending.path[..pending.path.len().saturating_sub(1)]
                    .iter()
                    .any(|elem| matches!(elem, PathElem::Key(key) if self.names_legacy_host(key))),
            };
            self.result.sites[pending.hit] = Some(YamlSite {
                place: pending.place,
                context,
                key_path: render_path(&pending.path),
                resource: owner(&pending.path, &document.resources).and_then(Resource::id),
                keyed_by_legacy_host,
                sibling_name: pending.sibling_name,
            });
        }
        for (range, path, hit, decoded) in document.pending_escaped {
            self.result.escaped.push(EscapedScalar {
                range,
                context: render_context(label, &path, &document.resources),
                hit,
                decoded,
            });
        }
        for (range, path, value) in document.embedded {
            let outer = render_context(label, &path, &document.resources);
            self.place_embedded(&range, &outer, &render_path(&path), &value);
        }
        self.document.start = self.chunk.end;
    }

    /// Whether a key is a legacy host (optionally with a path or scheme), as in a mirror map.
    fn names_legacy_host(&self, key: &str) -> bool {
        self.scanner
            .scan(key.as_bytes())
            .iter()
            .any(|hit| hit.form != super::hosts::HostForm::Staging)
    }

    /// Parse a literal block that holds YAML and give the hits inside it their inner
    /// structure. Spans stay in the outer file: the text layer found them there.
    fn place_embedded(
        &mut self,
        range: &Range<usize>,
        outer_context: &str,
        outer_path: &str,
        value: &str,
    ) {
        let Some(block) = LiteralBlock::map(self.text, range, value) else {
            return;
        };
        let inner_hits = self.scanner.scan(block.decoded.as_bytes());
        let inner = index(
            &block.decoded,
            &inner_hits,
            Dialect::plain(self.dialect.label),
            self.scanner,
        );
        for (inner_hit, inner_site) in inner_hits.iter().zip(inner.sites) {
            let Some(inner_site) = inner_site else {
                continue;
            };
            let raw_start = block.raw_offset(inner_hit.range.start);
            let Some(outer_hit) = self
                .hits
                .iter()
                .position(|hit| hit.range.start == raw_start)
            else {
                continue;
            };
            let key_path = join_paths(outer_path, &inner_site.key_path);
            let context = if inner_site.context.starts_with("manifest: ") {
                format!("{outer_context} ({})", inner_site.context)
            } else {
                format!("{}: {key_path}", self.dialect.label)
            };
            self.result.sites[outer_hit] = Some(YamlSite {
                context,
                key_path,
                ..inner_site
            });
        }
    }

    /// Start parsing the documents `chunk`.
    fn enter(&mut self, chunk: Range<usize>) {
        let first = self
            .hits
            .partition_point(|hit| hit.range.start < chunk.start);
        let last = first + self.hits[first..].partition_point(|hit| hit.range.start < chunk.end);
        self.chunk_hits = first..last;
        self.document = Document {
            start: chunk.start,
            ..Document::default()
        };
        self.chunk = chunk;
    }

    /// The hits inside `range` (which is inside the current chunk).
    fn hits_within(&self, range: &Range<usize>) -> Range<usize> {
        let first = self.chunk_hits.start
            + self.hits[self.chunk_hits.clone()]
                .partition_point(|hit| hit.range.start < range.start);
        let end = range.end;
        let last = first
            + self.hits[first..]
                .iter()
                .take_while(|hit| hit.range.end <= end)
                .count();
        first..last
    }

    /// The `name` already seen in the innermost mapping.
    fn mapping_name(&self) -> Option<String> {
        match self.document.stack.last() {
            Some(Frame::Mapping { name, .. }) => name.clone(),
            _ => None,
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.document.stack.last(),
            Some(Frame::Mapping {
                expect_key: true,
                ..
            })
        )
    }

    fn set_key(&mut self, elem: PathElem<'a>) {
        if let Some(Frame::Mapping { key, .. }) = self.document.stack.last_mut() {
            *key = Some(elem);
        }
    }

    /// A node ended: the parent moves to its next key, value or item.
    fn advance(&mut self) {
        match self.document.stack.last_mut() {
            Some(Frame::Mapping {
                expect_key, key, ..
            }) => {
                if *expect_key {
                    *expect_key = false;
                } else {
                    *expect_key = true;
                    *key = None;
                }
            }
            Some(Frame::Sequence { index, .. }) => *index += 1,
            None => {}
        }
    }

    fn current_path(&self) -> Vec<PathElem<'a>> {
        let mut path = Vec::with_capacity(self.document.stack.len());
        for frame in &self.document.stack {
            match frame {
                Frame::Mapping {
                    expect_key: false,
                    key: Some(key),
                    ..
                } => path.push(key.clone()),
                Frame::Mapping { .. } => {}
                Frame::Sequence { index, .. } => path.push(PathElem::Index(*index)),
            }
        }
        path
    }
}

/// A literal block scalar's content as the parser decodes it, with the way back from each
/// decoded offset to the raw file: decoded line n is raw line n without the block indentation.
struct LiteralBlock {
    decoded: String,
    /// (decoded offset, raw offset) of the start of each line's content.
    lines: Vec<(usize, usize)>,
}

impl LiteralBlock {
    /// `None` when the raw lines do not rebuild the parser's value (indentation indicators,
    /// tabs): the hits then keep the outer context.
    fn map(text: &str, range: &Range<usize>, value: &str) -> Option<LiteralBlock> {
        let line_start = text[..range.start]
            .rfind('\n')
            .map_or(0, |newline| newline + 1);
        let indent = range.start - line_start;
        if !text[line_start..range.start]
            .bytes()
            .all(|byte| byte == b' ')
        {
            return None;
        }
        let mut block = LiteralBlock {
            decoded: String::with_capacity(value.len()),
            lines: Vec::new(),
        };
        let mut at = line_start;
        while at < range.end.min(text.len()) {
            let line_end = text[at..]
                .find('\n')
                .map_or(text.len(), |newline| at + newline);
            let line = text[at..line_end].trim_end_matches('\r');
            let content_start =
                if line.len() >= indent && line.as_bytes()[..indent].iter().all(|b| *b == b' ') {
                    at + indent
                } else if line.trim().is_empty() {
                    at + line.len()
                } else {
                    break;
                };
            block.lines.push((block.decoded.len(), content_start));
            block
                .decoded
                .push_str(&text[content_start..at + line.len()]);
            block.decoded.push('\n');
            at = line_end + 1;
        }
        let rebuilt = block.decoded.trim_end_matches('\n');
        (rebuilt == value.trim_end_matches('\n')).then_some(block)
    }

    fn raw_offset(&self, decoded: usize) -> usize {
        let line = self
            .lines
            .partition_point(|(start, _)| *start <= decoded)
            .saturating_sub(1);
        let (decoded_start, raw_start) = self.lines[line];
        raw_start + (decoded - decoded_start)
    }
}

/// `annotations["artifacthub.io/images"]` + `[0].image`.
fn join_paths(outer: &str, inner: &str) -> String {
    if inner.is_empty() || inner.starts_with('[') || outer.is_empty() {
        format!("{outer}{inner}")
    } else {
        format!("{outer}.{inner}")
    }
}

/// "manifest: Kind/name rest.of.path" when a resource owns the path, else "label: path".
/// The innermost Kubernetes object that holds `path`.
fn owner<'r, 'a>(path: &[PathElem<'_>], resources: &'r [Resource<'a>]) -> Option<&'r Resource<'a>> {
    resources
        .iter()
        .filter(|resource| {
            resource.api_version.is_some()
                && resource.kind.is_some()
                && path.starts_with(&resource.path)
        })
        .max_by_key(|resource| resource.path.len())
}

fn render_context(label: &str, path: &[PathElem<'_>], resources: &[Resource<'_>]) -> String {
    match owner(path, resources) {
        Some(resource) => {
            let mut context = String::from("manifest: ");
            context.push_str(resource.kind.as_deref().unwrap_or_default());
            if let Some(name) = &resource.name {
                context.push('/');
                context.push_str(name);
            }
            let rest = render_path(&path[resource.path.len()..]);
            if !rest.is_empty() {
                context.push(' ');
                context.push_str(&rest);
            }
            context
        }
        None => {
            let rendered = render_path(path);
            if rendered.is_empty() {
                label.to_string()
            } else {
                format!("{label}: {rendered}")
            }
        }
    }
}

/// `spec.template.spec.containers[0].image`; keys with dots or spaces are bracketed.
fn render_path(path: &[PathElem<'_>]) -> String {
    let mut rendered = String::new();
    for elem in path {
        match elem {
            PathElem::Index(index) => {
                let _ = write!(rendered, "[{index}]");
            }
            PathElem::Key(key) => {
                let plain = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '$' | '*' | '?'));
                if plain {
                    if !rendered.is_empty() {
                        rendered.push('.');
                    }
                    rendered.push_str(key);
                } else {
                    let _ = write!(rendered, "[{key:?}]");
                }
            }
        }
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk_texts(text: &str) -> Vec<&str> {
        let chunks = document_chunks(text);
        // Cover the text without gaps, in order.
        assert_eq!(chunks.first().map(|chunk| chunk.start), Some(0));
        assert_eq!(chunks.last().map(|chunk| chunk.end), Some(text.len()));
        assert!(chunks.windows(2).all(|pair| pair[0].end == pair[1].start));
        chunks.into_iter().map(|chunk| &text[chunk]).collect()
    }

    #[test]
    fn streams_are_cut_at_document_markers_only() {
        assert_eq!(chunk_texts(""), [""]);
        assert_eq!(chunk_texts("a: 1\n"), ["a: 1\n"]);
        // A leading marker, comments and directives stay with the document they precede.
        assert_eq!(
            chunk_texts("# c\n%YAML 1.2\n---\na: 1\n---\r\nb: 2\n--- |\n  x\n"),
            [
                "# c\n%YAML 1.2\n---\na: 1\n",
                "---\r\nb: 2\n",
                "--- |\n  x\n"
            ]
        );
        // `...` ends a document; directives after it start the next one.
        assert_eq!(
            chunk_texts("a: 1\n...\n%YAML 1.2\n---\nb: 2\n...\n"),
            ["a: 1\n...\n", "%YAML 1.2\n---\nb: 2\n...\n"]
        );
        // Not markers: indented, inside a word, empty documents in a row are each a document.
        assert_eq!(
            chunk_texts("a: |\n  ---\n----\n---x\n---\n---\n"),
            ["a: |\n  ---\n----\n---x\n", "---\n", "---\n"]
        );
    }

    #[test]
    fn only_documents_with_hits_are_parsed_and_spans_stay_in_the_file() {
        let text = "a: [unclosed\n---\nkind: Pod\napiVersion: v1\nspec:\n  image: k8s.gcr.io/pause:3.9\n---\nb: {broken\n";
        let (placed, index) = sites(text);
        // The broken documents hold no hit: they are not parsed, so they are not failures.
        assert!(index.failures.is_empty(), "{:?}", index.failures);
        let site = placed[0].as_ref().unwrap();
        assert_eq!(site.context, "manifest: Pod spec.image");
        // A broken document with a hit is one failure, with its own range.
        let text = "a: 1\n---\nimage: k8s.gcr.io/pause:3.9\nb: [\n---\nc: 2\n";
        let (placed, index) = sites(text);
        assert!(placed[0].is_none());
        assert_eq!(index.failures.len(), 1);
        let failure = &index.failures[0];
        assert_eq!(
            &text[failure.range.clone()],
            "---\nimage: k8s.gcr.io/pause:3.9\nb: [\n"
        );
        assert!(failure.range.contains(&failure.at), "{failure:?}");
        // Escapes that could spell a host get their document parsed without any hit.
        let text = "a: 1\n---\nimage: \"k8s\\x2egcr.io/pause:3.9\"\n";
        let (_, index) = sites(text);
        assert_eq!(index.escaped.len(), 1);
        assert!(text[index.escaped[0].range.clone()].starts_with("\"k8s"));
    }

    fn sites(text: &str) -> (Vec<Option<YamlSite>>, YamlIndex) {
        let scanner = HostScanner::new();
        let hits = scanner.scan(text.as_bytes());
        let index = index(text, &hits, Dialect::plain("yaml"), &scanner);
        (index.sites.clone(), index)
    }

    fn contexts(text: &str) -> Vec<String> {
        sites(text)
            .0
            .into_iter()
            .map(|site| site.map_or("-".into(), |site| site.context))
            .collect()
    }

    #[test]
    fn manifest_contexts_name_the_resource_and_path() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-web\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: wait\n        image: k8s.gcr.io/busybox:1.27\n";
        assert_eq!(
            contexts(text),
            ["manifest: Deployment/shop-web spec.template.spec.initContainers[0].image"]
        );
    }

    #[test]
    fn kind_after_the_hit_still_names_the_resource() {
        let text = "spec:\n  containers: [{name: a, image: \"k8s.gcr.io/pause:3.9\"}]\nkind: Pod\napiVersion: v1\nmetadata: {name: p}\n";
        assert_eq!(contexts(text), ["manifest: Pod/p spec.containers[0].image"]);
    }

    #[test]
    fn list_items_are_their_own_resources() {
        let text = "kind: List\napiVersion: v1\nitems:\n- kind: Pod\n  apiVersion: v1\n  metadata:\n    name: a\n  spec:\n    containers:\n    - image: k8s.gcr.io/pause\n";
        assert_eq!(contexts(text), ["manifest: Pod/a spec.containers[0].image"]);
    }

    const CHART: Dialect = Dialect {
        label: "chart",
        embedded_yaml_keys: &["artifacthub.io/images"],
        history_keys: &["artifacthub.io/changes"],
    };

    #[test]
    fn yaml_in_a_literal_block_gets_inner_structure_and_outer_spans() {
        let text = "apiVersion: v2\r\nannotations:\r\n  artifacthub.io/changes: |\r\n    - description: moved off k8s.gcr.io/pause\r\n  artifacthub.io/images: |\r\n    - name: controller\r\n\r\n      image: k8s.gcr.io/ingress-nginx/controller:v1.2.1\r\n";
        let scanner = HostScanner::new();
        let hits = scanner.scan(text.as_bytes());
        assert_eq!(hits.len(), 2);
        let index = index(text, &hits, CHART, &scanner);
        let history = index.sites[0].as_ref().unwrap();
        assert_eq!(history.place, Place::History);
        let image = index.sites[1].as_ref().unwrap();
        assert_eq!(
            image.context,
            "chart: annotations[\"artifacthub.io/images\"][0].image"
        );
        assert!(matches!(&image.place, Place::Value { key: Some(key), .. } if key == "image"));
        assert_eq!(&text[hits[1].range.clone()], "k8s.gcr.io");
    }

    #[test]
    fn node_trees_keep_spans_and_styles() {
        let text = "kind: ClusterConfiguration\nimageRepository: k8s.gcr.io # old\ndns: {}\netcd:\n  local:\n    imageRepository: k8s.gcr.io\n---\nbad: [\n---\nlist: [a, b]\n";
        let documents = documents(text);
        assert_eq!(documents.len(), 2, "the broken document is left out");
        let config = &documents[0];
        let repository = config.get("imageRepository").unwrap();
        assert_eq!(&text[repository.range().clone()], "k8s.gcr.io");
        assert!(matches!(
            config.get("dns"),
            Some(Node::Mapping { flow: true, .. })
        ));
        let etcd = config.get("etcd").unwrap().get("local").unwrap();
        assert_eq!(
            etcd.get("imageRepository").unwrap().as_str(),
            Some("k8s.gcr.io")
        );
        assert_eq!(documents[1].get("list").unwrap().items().len(), 2);
        let mut mappings = Vec::new();
        config.mappings(None, &mut mappings);
        let keys: Vec<_> = mappings.iter().map(|(key, _)| *key).collect();
        assert_eq!(keys, [None, Some("dns"), Some("etcd"), Some("local")]);
    }

    #[test]
    fn chart_dependencies_with_aliases() {
        let text = "apiVersion: v2\nname: web\ndependencies:\n- name: redis\n  version: 1.0.0\n  alias: cache\n- {name: dep, version: 0.1.0}\nmaintainers:\n- name: someone\n";
        assert_eq!(
            chart_dependencies(text),
            [
                ("redis".to_string(), Some("cache".to_string())),
                ("dep".to_string(), None)
            ]
        );
    }

    #[test]
    fn helm_values_with_a_kind_key_are_not_resources() {
        let text = "controller:\n  kind: Deployment\n  image:\n    registry: k8s.gcr.io\n";
        assert_eq!(contexts(text), ["yaml: controller.image.registry"]);
    }

    #[test]
    fn comments_keys_and_values() {
        let text = "# k8s.gcr.io/pause in a comment\nmirrors:\n  k8s.gcr.io:\n    endpoint: [\"https://mirror.example\"]\nregistry: k8s.gcr.io\n";
        let (sites, _) = sites(text);
        let places: Vec<_> = sites
            .iter()
            .map(|s| s.as_ref().unwrap().place.clone())
            .collect();
        assert_eq!(places[0], Place::Comment);
        assert_eq!(places[1], Place::Key);
        assert_eq!(
            places[2],
            Place::Value {
                key: Some("registry".into()),
                whole_value: true,
                block: false
            }
        );
        assert_eq!(
            sites[1].as_ref().unwrap().context,
            "yaml: mirrors[\"k8s.gcr.io\"] key"
        );
    }

    #[test]
    fn block_scalars_and_anchors() {
        let text =
            "a: &img 'k8s.gcr.io/e2e:2.39'\nb:\n- |\n  crictl pull k8s.gcr.io/pause:3.9\n- *img\n";
        let (sites, _) = sites(text);
        assert_eq!(sites.len(), 2);
        assert!(matches!(
            sites[1].as_ref().unwrap().place,
            Place::Value { block: true, .. }
        ));
        assert_eq!(sites[1].as_ref().unwrap().context, "yaml: b[0]");
    }

    #[test]
    fn a_broken_document_keeps_text_level_hits_and_later_documents_parse() {
        let text = "a: k8s.gcr.io/one\n---\nbad: [k8s.gcr.io/two\n---\nok: k8s.gcr.io/three\n";
        let (sites, index) = sites(text);
        assert!(sites[0].is_some());
        assert!(
            sites[1].is_none(),
            "hit in the broken document has no structure"
        );
        assert_eq!(sites[2].as_ref().unwrap().context, "yaml: ok");
        assert_eq!(index.failures.len(), 1);
        let failure = &index.failures[0];
        assert!(failure.range.contains(&text.find("two").unwrap()));
        assert!(!failure.range.contains(&text.find("three").unwrap()));
    }

    #[test]
    fn escaped_hosts_are_found_in_decoded_values() {
        let text = "image: \"k8s\\x2egcr.io/pause:3.9\"\n";
        let (_, index) = sites(text);
        assert_eq!(index.escaped.len(), 1);
        assert_eq!(index.escaped[0].context, "yaml: image");
    }

    #[test]
    fn the_escaped_host_is_the_one_without_raw_bytes() {
        let text = "image0: \"eu.gcr.io/k8s-artifacts-prod/pause k8s\\x2egcr.io/pause:3.9\"\n";
        let (_, index) = sites(text);
        assert_eq!(index.escaped.len(), 1);
        let escaped = &index.escaped[0];
        assert_eq!(escaped.hit.form, crate::detect::hosts::HostForm::Legacy);
        assert_eq!(
            &escaped.decoded[escaped.hit.reference.clone()],
            "k8s.gcr.io/pause:3.9"
        );
        let (_, index) = sites("a: \"k8s.gcr.io/pause k8s.gcr.io/pause\\t\"\n");
        assert!(
            index.escaped.is_empty(),
            "an escape elsewhere hides nothing"
        );
        let (_, index) = sites("{\"image\": \"k8s.gcr.io\\/pause:3.9\"}");
        assert!(index.escaped.is_empty(), "an escaped slash hides no host");
    }

    #[test]
    fn crlf_bom_and_multibyte_text_keep_byte_spans() {
        let text = "\u{feff}# héllo wörld ✓\r\napiVersion: v1\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - image: \"k8s.gcr.io/pause:3.9\" # ünïcode\r\n";
        assert_eq!(contexts(text), ["manifest: Pod spec.containers[0].image"]);
    }

    #[test]
    fn json_manifests() {
        let text = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"image\": \"k8s.gcr.io/pause:3.9\"}]}}";
        let scanner = HostScanner::new();
        let hits = scanner.scan(text.as_bytes());
        let index = index(text, &hits, Dialect::plain("json"), &scanner);
        assert_eq!(
            index.sites[0].as_ref().unwrap().context,
            "manifest: Pod/p spec.containers[0].image"
        );
    }
}
