//! The hit walker: YAML events (from the parser or the line reader) in, the place of every hit
//! out: its key path, the resource that owns it, whether it is a key, a value or a comment.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

use granit_parser::{Parser, ScalarStyle};

use super::image_keys::{MapKeys, renamed_image_key, whole_image};
use super::step::Step;
use super::{
    Dialect, DocumentFailure, EscapedScalar, ImageKey, Place, Reading, Recorded, ResourceId,
    YamlIndex, YamlSite, lenient, lines,
};
use crate::detect::hosts::{HostHit, HostScanner};

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
        /// Its image keys and the keys they could collide with.
        keys: MapKeys,
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
    namespace: Option<String>,
    /// `metadata.uid` or `metadata.resourceVersion` is set: a copy of a live object.
    live: bool,
}

/// The group a Falco rules file's entries stand under, as if it were an `apiVersion`.
pub(crate) const FALCO: &str = "falco";

impl Resource<'_> {
    /// Both `apiVersion` and `kind` are set: a Kubernetes object.
    fn is_object(&self) -> bool {
        self.api_version.is_some() && self.kind.is_some()
    }

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
    /// For a key that is exactly one image reference: whether it can be renamed (settled
    /// when its mapping ends).
    image_key: Option<ImageKey>,
}

pub(super) struct Walker<'a> {
    /// The whole file: every range is an offset into it.
    pub(super) text: &'a str,
    /// The documents being parsed now.
    pub(super) chunk: Range<usize>,
    pub(super) hits: &'a [HostHit],
    /// The indices of the hits in `chunk`: a scalar looks for its hits among these alone.
    pub(super) chunk_hits: Range<usize>,
    pub(super) dialect: Dialect,
    pub(super) scanner: &'a HostScanner,
    pub(super) result: YamlIndex,
    document: Document<'a>,
}

/// Recovery gives up after this many parse errors in one file (a file of garbage).
const MAX_ERRORS: usize = 10_000;

impl<'a> Walker<'a> {
    fn run(&mut self) {
        let text = self.text;
        let source = &text[self.chunk.clone()];
        if self.parse(source, None, true, |step| step) {
            return;
        }
        // The document stopped where a quoted scalar may be continued at or left of its block's
        // column, before anything of it was recorded. Read it as Kubernetes does (`lenient`), or
        // record the failure.
        self.document = Document {
            start: self.chunk.start,
            ..Document::default()
        };
        match lenient::reindented(source) {
            Some(copy) => self.parse(&copy.text, Some(&copy), false, |step| -> Step<'a> {
                step.into_owned()
            }),
            None => self.parse(source, None, false, |step| step),
        };
    }

    /// Walk the events of `text`: the current chunk, or `copy` of it. With `retry`, stop at an
    /// error [`lenient`] may resolve that comes before the end of the first document,
    /// recording nothing of it, and return false.
    fn parse<'t>(
        &mut self,
        text: &'t str,
        copy: Option<&lenient::Reindented>,
        retry: bool,
        // A copy's scalars are made owned: the copy does not outlive the call.
        own: impl Fn(Step<'t>) -> Step<'a>,
    ) -> bool {
        let base = self.chunk.start;
        let end = self.chunk.end;
        let original = |at: usize| copy.map_or(at, |copy| copy.original(at)) + base;
        let mut parser = Parser::new_from_str_with_options(text, super::parser_options());
        let mut open_failure: Option<DocumentFailure> = None;
        let mut errors = 0;
        let mut documents_ended = false;
        loop {
            match parser.next_event() {
                None => break,
                Some(Ok((event, span))) => {
                    let Some(range) = span.byte_range() else {
                        continue;
                    };
                    let range = original(range.start)..original(range.end);
                    let Some(step) = Step::from_event(event) else {
                        continue;
                    };
                    let step = own(step);
                    if step == Step::DocumentStart
                        && let Some(mut failure) = open_failure.take()
                    {
                        failure.range.end = range.start.max(failure.range.start);
                        self.result.failures.push(failure);
                    }
                    documents_ended |= step == Step::DocumentEnd;
                    self.step(step, range);
                }
                Some(Err(error)) => {
                    if retry
                        && errors == 0
                        && !documents_ended
                        && lenient::may_resolve(error.kind())
                    {
                        return false;
                    }
                    errors += 1;
                    // A second error before the next document starts belongs to the same
                    // broken region: keep the first message.
                    if open_failure.is_none() {
                        open_failure = Some(DocumentFailure {
                            range: self.document.start..end,
                            at: error
                                .marker()
                                .byte_offset()
                                .map_or(self.document.start, original),
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
        true
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
                        image_key: None,
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
                    keys: MapKeys::default(),
                });
            }
            Step::End => {
                let is_key = match self.document.stack.pop() {
                    Some(Frame::Mapping { is_key, keys, .. }) => {
                        self.settle_image_keys(keys);
                        is_key
                    }
                    Some(Frame::Sequence { is_key, .. }) => is_key,
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
            && !hits.is_empty()
            && (embedding_key.is_some_and(|key| self.dialect.embedded_yaml_keys.contains(&key))
                || super::holds_kubeadm_config(&value));
        let resource_field = !is_key
            && (matches!(value_key, Some("kind" | "apiVersion"))
                || (matches!(
                    value_key,
                    Some("name" | "namespace" | "uid" | "resourceVersion")
                ) && key_of(parent) == Some("metadata"))
                || (matches!(value_key, Some("list" | "macro" | "rule"))
                    && matches!(parent, Some(Tail::Index))));
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
            if is_key && let [_] = hit_list[..] {
                self.note_image_key(&value);
            }
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
                    image_key: None,
                });
            }
            if may_escape {
                self.check_escapes(&value, &range, &hit_list, &path);
            }
            if is_key {
                self.set_key(path.pop().expect("a key was pushed"));
            }
        } else if is_key {
            if let Some(Frame::Mapping { keys, .. }) = self.document.stack.last_mut() {
                keys.add_other_key(&value, self.scanner);
            }
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

    /// Remember `kind`, `metadata.name` and `metadata.namespace` of every mapping that looks
    /// like a resource.
    fn note_resource_field(&mut self, path: &[PathElem<'a>], value: &str) {
        // A Falco rules file is a list of `- list:`, `- macro:` and `- rule:` entries; their
        // `items` and `condition` match what containers run (see `FALCO`).
        if let [owner @ PathElem::Index(_), PathElem::Key(key)] = path
            && matches!(key.as_ref(), "list" | "macro" | "rule")
        {
            self.document.resources.push(Resource {
                path: vec![owner.clone()],
                api_version: Some(FALCO.to_string()),
                kind: Some(format!("Falco {key}")),
                name: Some(value.to_string()),
                ..Resource::default()
            });
            return;
        }
        let (owner, field) = match path {
            [owner @ .., PathElem::Key(key)] if key == "kind" => (owner, "kind"),
            [owner @ .., PathElem::Key(key)] if key == "apiVersion" => (owner, "apiVersion"),
            [owner @ .., PathElem::Key(metadata), PathElem::Key(field)]
                if metadata == "metadata" =>
            {
                match field.as_ref() {
                    "name" => (owner, "name"),
                    "namespace" => (owner, "namespace"),
                    "uid" | "resourceVersion" => (owner, "live"),
                    _ => return,
                }
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
            "namespace" => resource.namespace = Some(value.to_string()),
            // `resourceVersion: ""` is what kubectl writes on the `List` it wraps items in.
            "live" => resource.live |= !value.is_empty(),
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
                image_key: pending.image_key,
                recorded: recorded(&pending.path, &document.resources),
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
    /// A key that is exactly one image reference names that image, not a namespace.
    fn names_legacy_host(&self, key: &str) -> bool {
        let hits = self.scanner.scan(key.as_bytes());
        hits.iter().any(|hit| hit.form.is_moved()) && whole_image(key, &hits).is_none()
    }

    /// A key with one hit, about to be pending: if it is exactly one image reference, its
    /// mapping learns the key it becomes.
    fn note_image_key(&mut self, key: &str) {
        let pending = self.document.pending.len();
        let Some(renamed) = renamed_image_key(key, self.scanner) else {
            return;
        };
        if let Some(Frame::Mapping { keys, .. }) = self.document.stack.last_mut() {
            keys.add_image_key(pending, renamed);
        }
    }

    /// A mapping ended: its image keys learn whether they can be renamed.
    fn settle_image_keys(&mut self, keys: MapKeys) {
        for (pending, outcome) in keys.settle() {
            if let Some(pending) = self.document.pending.get_mut(pending) {
                pending.image_key = Some(outcome);
            }
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

/// The innermost Kubernetes object that holds `path`: an item of a `kind: List` (what
/// `kubectl get -o yaml` prints) owns its own fields, as a document of its own would.
fn owner<'r, 'a>(path: &[PathElem<'_>], resources: &'r [Resource<'a>]) -> Option<&'r Resource<'a>> {
    resources
        .iter()
        .filter(|resource| resource.is_object() && path.starts_with(&resource.path))
        .max_by_key(|resource| resource.path.len())
}

/// Whether `path` is in what a cluster recorded: under the `status` of an object that holds
/// it (an object: `apiVersion` and `kind`, or a live object's metadata; in a `…List`, each of
/// its `items`), or anywhere in a live object.
fn recorded(path: &[PathElem<'_>], resources: &[Resource<'_>]) -> Option<Recorded> {
    let is_status =
        |rest: &[PathElem<'_>]| matches!(rest.first(), Some(PathElem::Key(key)) if key == "status");
    let mut live = false;
    for resource in resources
        .iter()
        .filter(|resource| path.starts_with(&resource.path))
    {
        if !(resource.live || resource.is_object()) {
            continue;
        }
        let rest = &path[resource.path.len()..];
        let list_item = resource
            .kind
            .as_deref()
            .is_some_and(|kind| kind.ends_with("List"))
            && matches!(rest, [PathElem::Key(items), PathElem::Index(_), ..] if items == "items");
        if is_status(rest) || (list_item && is_status(&rest[2..])) {
            return Some(Recorded::Status);
        }
        live |= resource.live;
    }
    live.then_some(Recorded::LiveObject)
}

/// "manifest: Kind/name rest.of.path" (with the namespace when the object names one:
/// "manifest: Kind namespace/name rest.of.path") when a resource owns the path, else
/// "label: path".
fn render_context(label: &str, path: &[PathElem<'_>], resources: &[Resource<'_>]) -> String {
    match owner(path, resources) {
        Some(resource) => {
            let kind = resource.kind.as_deref().unwrap_or_default();
            let mut context = match kind.strip_prefix("Falco ") {
                Some(entry) if resource.api_version.as_deref() == Some(FALCO) => {
                    format!("falco: {entry}")
                }
                _ => format!("manifest: {kind}"),
            };
            match (&resource.namespace, &resource.name) {
                (Some(namespace), Some(name)) => {
                    let _ = write!(context, " {namespace}/{name}");
                }
                (None, Some(name)) => {
                    context.push('/');
                    context.push_str(name);
                }
                // A namespace alone names no object (a generateName, a template's blank).
                (_, None) => {}
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

pub(super) fn index_documents(
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
            walker.result.lines_read.push(chunk.clone());
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
