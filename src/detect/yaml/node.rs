//! A YAML node tree with byte spans, for the few carriers whose fixes need whole mappings.

use std::ops::Range;

use granit_parser::{Event, Parser, ScalarStyle};

use super::chunks::chunks_holding;
use super::lenient;

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

    /// Whether this is a literal block scalar (`|`): its lines are its text as written.
    pub fn is_literal_block(&self) -> bool {
        matches!(
            self,
            Node::Scalar {
                style: ScalarStyle::Literal,
                ..
            }
        )
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

    /// Replace every offset of this subtree by `map(offset)`.
    pub fn map_offsets(&mut self, map: &impl Fn(usize) -> usize) {
        let range = match self {
            Node::Scalar { range, .. } | Node::Alias { range } => range,
            Node::Mapping { range, entries, .. } => {
                for (key, value) in entries.iter_mut() {
                    key.map_offsets(map);
                    value.map_offsets(map);
                }
                range
            }
            Node::Sequence { range, items, .. } => {
                for item in items.iter_mut() {
                    item.map_offsets(map);
                }
                range
            }
        };
        *range = map(range.start)..map(range.end);
    }

    /// Every scalar value in this subtree (depth first; keys left out).
    pub fn values<'a>(&'a self, out: &mut Vec<&'a Node>) {
        match self {
            Node::Scalar { .. } => out.push(self),
            Node::Mapping { entries, .. } => {
                for (_, value) in entries {
                    value.values(out);
                }
            }
            Node::Sequence { items, .. } => {
                for item in items {
                    item.values(out);
                }
            }
            Node::Alias { .. } => {}
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
    let source = &text[chunk.clone()];
    let before = documents.len();
    if build_nodes(source, chunk.start, None, documents) {
        return;
    }
    // A quoted scalar may be continued at or left of its block's column: read as Kubernetes
    // reads it.
    if let Some(copy) = lenient::reindented(source) {
        documents.truncate(before);
        build_nodes(&copy.text, chunk.start, Some(&copy), documents);
    }
}

/// Push the root node of each document of `source` (the chunk at `base`, or `copy` of it) that
/// parses. False when a document stopped at an error [`lenient`] may resolve.
fn build_nodes(
    source: &str,
    base: usize,
    copy: Option<&lenient::Reindented>,
    documents: &mut Vec<Node>,
) -> bool {
    let original = |at: usize| copy.map_or(at, |copy| copy.original(at)) + base;
    let mut parser = Parser::new_from_str_with_options(source, super::parser_options());
    // Open collections: the node being built and, for mappings, a pending key.
    let mut stack: Vec<(Node, Option<Node>)> = Vec::new();
    let mut failed = false;
    let mut resolvable = false;
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(next)) => next,
            Some(Err(error)) => {
                resolvable |= lenient::may_resolve(error.kind());
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
        let range = original(range.start)..original(range.end);
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
    !resolvable
}
