//! YAML inside a YAML value: Chart.yaml's `artifacthub.io/images` and a kustomization's inline
//! patches hold documents in literal blocks. Such a block is parsed again and its hits get the
//! inner structure, with spans still pointing at the outer file.

use std::ops::Range;

use super::walker::Walker;
use super::{Dialect, Node, YamlSite, index};

impl Walker<'_> {
    /// Parse a literal block that holds YAML and give the hits inside it their inner
    /// structure. Spans stay in the outer file: the text layer found them there.
    pub(super) fn place_embedded(
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
        let line_start = super::line_start(text, range.start);
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

/// Whether a literal block holds a kubeadm configuration (the `kubeadm-config` ConfigMap's
/// `ClusterConfiguration`, a cloud-init file): YAML in a string, whatever its key.
pub(crate) fn holds_kubeadm_config(value: &str) -> bool {
    value.contains("kubeadm.k8s.io/")
        && (value.contains("ClusterConfiguration") || value.contains("MasterConfiguration"))
}

/// The documents of the YAML in literal block `block` of `text`, with spans in `text`; none
/// when the block's lines do not rebuild its value.
pub fn literal_documents(text: &str, block: &Node) -> Vec<Node> {
    let Node::Scalar { value, range, .. } = block else {
        return Vec::new();
    };
    if !block.is_literal_block() {
        return Vec::new();
    }
    let Some(literal) = LiteralBlock::map(text, range, value) else {
        return Vec::new();
    };
    let mut inner = super::documents(&literal.decoded);
    for node in &mut inner {
        node.map_offsets(&|at| literal.raw_offset(at));
    }
    inner
}

/// `annotations["artifacthub.io/images"]` + `[0].image`.
fn join_paths(outer: &str, inner: &str) -> String {
    if inner.is_empty() || inner.starts_with('[') || outer.is_empty() {
        format!("{outer}{inner}")
    } else {
        format!("{outer}.{inner}")
    }
}
