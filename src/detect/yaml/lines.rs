//! A line reader for the plain block YAML that generated manifests are made of.
//!
//! Parsing a document only to learn where its hits sit cost more than everything else regshift
//! does with a hit-heavy manifest. Most such documents use a small part of YAML: block mappings
//! and sequences, plain keys, one-line scalars and comments. This reader takes a document line
//! by line and gives the events the parser would give for it, in the same order and with the
//! same spans, for the documents that use only that part. It declines every other document
//! (block scalars, flow collections other than `{}` and `[]`, multi-line or escaped scalars,
//! anchors, aliases, tags, directives, tabs, carriage returns, bytes outside printable ASCII,
//! a comment with a hit after a dash whose value is on the next lines, anything it does not
//! recognise), and those go to the parser.
//!
//! Declining is always safe; accepting must be exact. The unit tests and the fuzz oracle
//! compare the structure found through this reader with the structure found by the parser
//! alone, document by document.

use std::borrow::Cow;
use std::ops::Range;

use granit_parser::ScalarStyle;

use super::step::Step;
use crate::detect::hosts::HostHit;

/// Longest implicit key YAML allows is 1024 characters; stay well inside it.
const MAX_KEY_LEN: usize = 1000;

/// An open block collection.
struct Open {
    /// Column of its keys (mapping) or dashes (sequence).
    indent: usize,
    sequence: bool,
    /// A sequence at the same column as the key that holds it (`containers:\n- name: c0`).
    indentless: bool,
}

/// A key or dash whose value did not follow on its line: a nested collection on the next
/// lines, or null.
struct Pending {
    /// Column of the key or dash.
    indent: usize,
    /// The owner is a mapping key (only a mapping value may be an indentless sequence).
    key: bool,
    /// Where the parser puts the empty span of a null value.
    null_at: usize,
}

/// What follows a dash or a key's colon on its line.
enum Inline {
    /// A node starts at this byte.
    Node(usize),
    /// Nothing but spaces and maybe a comment (starting at this byte): the node is on the
    /// next lines, or null.
    Empty { comment: Option<usize> },
}

/// What a content line starts with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// `- ` at the line's indentation.
    Item,
    /// `key:` at the line's indentation; the key ends at this byte offset (its colon).
    Key { colon: usize },
}

struct Reader<'a, 'h> {
    text: &'a str,
    /// The hits by position: the document's (or the whole text's); a comment looks for its own.
    hits: &'h [HostHit],
    steps: &'h mut Vec<(Step<'a>, Range<usize>)>,
    stack: Vec<Open>,
    pending: Option<Pending>,
    /// The last line ended with a scalar (or `{}`/`[]`) owned by a key or dash at this column:
    /// a more indented line would continue it, or be an error.
    inline_owner: Option<usize>,
    /// The document's root node has been opened.
    rooted: bool,
    /// Comments that hold a hit, read while a key's value is pending: the parser gives them
    /// after the value's null, or before the collection that the next lines open.
    waiting: Vec<Range<usize>>,
}

/// Read the document `text[chunk]` into `steps` (cleared first). `false` when the document
/// uses YAML this reader does not take; `steps` is then meaningless.
pub(super) fn read<'a>(
    text: &'a str,
    chunk: Range<usize>,
    hits: &[HostHit],
    steps: &mut Vec<(Step<'a>, Range<usize>)>,
) -> bool {
    steps.clear();
    let bytes = &text.as_bytes()[chunk.clone()];
    // Printable ASCII and line breaks only; by blocks without an early exit, which vectorises.
    let printable = |block: &[u8]| {
        block.iter().fold(true, |all, &byte| {
            all & ((byte.wrapping_sub(b' ') < 0x5F) | (byte == b'\n'))
        })
    };
    if !bytes.chunks(256).all(printable) {
        return false;
    }
    let mut reader = Reader {
        text,
        hits,
        steps,
        stack: Vec::new(),
        pending: None,
        inline_owner: None,
        rooted: false,
        waiting: Vec::new(),
    };
    reader.document(chunk).is_some()
}

impl<'a> Reader<'a, '_> {
    fn document(&mut self, chunk: Range<usize>) -> Option<()> {
        let bytes = self.text.as_bytes();
        let mut at = chunk.start;
        let mut started = false;
        while at < chunk.end {
            let line_end =
                memchr::memchr(b'\n', &bytes[at..chunk.end]).map_or(chunk.end, |end| at + end);
            let line = &bytes[at..line_end];
            let indent = spaces(line);
            let content = at + indent;
            if content == line_end {
                // A blank line.
            } else if bytes[content] == b'#' {
                if self.inline_owner.is_some_and(|owner| indent > owner) {
                    return None;
                }
                self.comment(content, line_end)?;
            } else if indent == 0 && (is_marker(line, b"---") || is_marker(line, b"...")) {
                // Only a first `---` line with nothing after it but a comment.
                if started || line.starts_with(b"...") {
                    return None;
                }
                started = true;
                self.steps.push((Step::DocumentStart, at..at + 3));
                self.after_node(at + 3, line_end)?;
            } else {
                if !started {
                    started = true;
                    self.steps.push((Step::DocumentStart, content..content));
                }
                self.line(indent, content, line_end)?;
            }
            at = line_end + 1;
        }
        if !self.rooted {
            // Nothing but comments and blank lines: the parser's view of an empty document is
            // not worth copying.
            return None;
        }
        let end = chunk.end;
        if let Some(pending) = self.pending.take() {
            self.null(pending.null_at);
        }
        self.release_comments();
        while self.stack.pop().is_some() {
            self.steps.push((Step::End, end..end));
        }
        self.steps.push((Step::DocumentEnd, end..end));
        Some(())
    }

    /// One line with content at column `indent`, starting at byte `content`.
    fn line(&mut self, indent: usize, content: usize, line_end: usize) -> Option<()> {
        if self.inline_owner.take().is_some_and(|owner| indent > owner) {
            return None;
        }
        let entry = self.entry(content, line_end)?;
        let is_item = entry == Entry::Item;
        let mut opened = false;
        if let Some(pending) = self.pending.take() {
            if indent > pending.indent || (indent == pending.indent && pending.key && is_item) {
                // A key's sequence whose first dash holds only a comment: the parser gives
                // that comment before the sequence starts, where no line of this reader can.
                if pending.key && is_item && self.dash_comment_holds_hit(content, line_end) {
                    return None;
                }
                self.release_comments();
                self.open(indent, is_item, indent == pending.indent, content);
                opened = true;
            } else {
                self.null(pending.null_at);
                self.release_comments();
            }
        }
        if !opened {
            while self.stack.last().is_some_and(|open| {
                open.indent > indent || (open.indentless && open.indent == indent && !is_item)
            }) {
                self.stack.pop();
                self.steps.push((Step::End, content..content));
            }
            if self.stack.is_empty() {
                if self.rooted {
                    return None;
                }
                self.rooted = true;
                self.open(indent, is_item, false, content);
            }
            let top = self.stack.last()?;
            if top.indent != indent || top.sequence != is_item {
                return None;
            }
        }
        match entry {
            Entry::Item => self.item(indent, content, line_end),
            Entry::Key { colon } => self.key(indent, content, colon, line_end),
        }
    }

    /// A sequence item: `-` then nothing, a compact mapping, or a scalar.
    fn item(&mut self, indent: usize, dash: usize, line_end: usize) -> Option<()> {
        let after = dash + 1;
        let rest = match self.inline_node(after, line_end) {
            Inline::Node(rest) => rest,
            Inline::Empty { comment } => {
                // The parser gives a comment on the dash's line before the item's value,
                // whether it is null or a collection.
                if let Some(comment) = comment {
                    self.comment(comment, line_end)?;
                }
                self.pending = Some(Pending {
                    indent,
                    key: false,
                    null_at: after,
                });
                return Some(());
            }
        };
        match self.entry(rest, line_end) {
            // `- - x`: a compact nested sequence.
            Some(Entry::Item) => None,
            Some(Entry::Key { colon }) => {
                let column = indent + (rest - dash);
                self.open(column, false, false, rest);
                self.key(column, rest, colon, line_end)
            }
            None => self.value(indent, rest, line_end),
        }
    }

    /// `key:` and its value on the same line, or a pending value.
    fn key(&mut self, indent: usize, start: usize, colon: usize, line_end: usize) -> Option<()> {
        let key = &self.text[start..colon];
        self.steps.push((
            Step::Scalar(Cow::Borrowed(key), ScalarStyle::Plain),
            start..colon,
        ));
        match self.inline_node(colon + 1, line_end) {
            Inline::Node(value) => self.value(indent, value, line_end),
            Inline::Empty { comment } => {
                self.pending = Some(Pending {
                    indent,
                    key: true,
                    null_at: colon,
                });
                // Pending: it waits for the value, as one on the next lines would.
                comment.map_or(Some(()), |comment| self.comment(comment, line_end))
            }
        }
    }

    /// What follows a dash or a key's colon on its line.
    fn inline_node(&self, after: usize, line_end: usize) -> Inline {
        let bytes = self.text.as_bytes();
        let start = after + spaces(&bytes[after..line_end]);
        if start == line_end {
            return Inline::Empty { comment: None };
        }
        if bytes[start] == b'#' {
            return Inline::Empty {
                comment: Some(start),
            };
        }
        Inline::Node(start)
    }

    /// A value on the line of its key or dash (owned by the node at column `owner`).
    fn value(&mut self, owner: usize, start: usize, line_end: usize) -> Option<()> {
        let bytes = self.text.as_bytes();
        self.inline_owner = Some(owner);
        match bytes[start] {
            b'"' | b'\'' => {
                let quote = bytes[start];
                let close = start + 1 + memchr::memchr(quote, &bytes[start + 1..line_end])?;
                if quote == b'"' && bytes[start + 1..close].contains(&b'\\') {
                    return None;
                }
                if quote == b'\'' && bytes.get(close + 1) == Some(&b'\'') {
                    return None;
                }
                let style = if quote == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                self.steps.push((
                    Step::Scalar(Cow::Borrowed(&self.text[start + 1..close]), style),
                    start..close + 1,
                ));
                self.after_node(close + 1, line_end)
            }
            b'{' | b'[' => {
                let end = self.flow_collection(start, line_end, 0)?;
                self.after_node(end, line_end)
            }
            b'-' | b'?' | b':' if start + 1 == line_end || bytes[start + 1] == b' ' => None,
            b'?' | b':' | b',' | b']' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@'
            | b'`' => None,
            _ => {
                // A plain scalar ends at a comment (` #`) or the line's end.
                let line = &bytes[start..line_end];
                let end = memchr::memchr_iter(b'#', line)
                    .find(|&at| at > 0 && line[at - 1] == b' ')
                    .map_or(line_end, |at| start + at - 1);
                let scalar = self.text[start..end].trim_end_matches(' ');
                let scalar_end = start + scalar.len();
                let scalar_bytes = scalar.as_bytes();
                if scalar.ends_with(':')
                    || memchr::memchr_iter(b':', scalar_bytes)
                        .any(|at| scalar_bytes.get(at + 1) == Some(&b' '))
                {
                    return None;
                }
                self.steps.push((
                    Step::Scalar(Cow::Borrowed(scalar), ScalarStyle::Plain),
                    start..scalar_end,
                ));
                self.after_node(scalar_end, line_end)
            }
        }
    }

    /// A flow collection that closes on its line (`[a, "b"]`, `{cpu: 10m, memory: 32Mi}`,
    /// nested ones): its events, and the byte after its closing bracket. Items are one-line
    /// scalars as in block context, without `:` or `#` in plain ones; anything else (an
    /// empty entry, a trailing comma, a single-pair mapping inside a sequence, a collection
    /// that goes on to the next line) is declined.
    fn flow_collection(&mut self, start: usize, line_end: usize, depth: usize) -> Option<usize> {
        let bytes = self.text.as_bytes();
        if depth > 8 {
            return None;
        }
        let mapping = bytes[start] == b'{';
        let close = if mapping { b'}' } else { b']' };
        let open = if mapping {
            Step::MappingStart
        } else {
            Step::SequenceStart
        };
        self.steps.push((open, start..start + 1));
        let mut at = start + 1 + spaces(&bytes[start + 1..line_end]);
        if bytes.get(at) == Some(&close) {
            self.steps.push((Step::End, at..at + 1));
            return Some(at + 1);
        }
        loop {
            if mapping {
                let key_end = self.flow_scalar(at, line_end, true)?;
                if bytes.get(key_end + 1) != Some(&b' ') {
                    return None;
                }
                at = key_end + 1 + spaces(&bytes[key_end + 1..line_end]);
            }
            at = self.flow_node(at, line_end, depth)?;
            at += spaces(&bytes[at..line_end]);
            match bytes.get(at) {
                Some(b',') if at < line_end => {
                    at += 1 + spaces(&bytes[at + 1..line_end]);
                    if at >= line_end || matches!(bytes[at], b',' | b']' | b'}') {
                        return None;
                    }
                }
                Some(&byte) if byte == close && at < line_end => {
                    self.steps.push((Step::End, at..at + 1));
                    return Some(at + 1);
                }
                _ => return None,
            }
        }
    }

    /// A node inside a flow collection: a nested collection or a scalar.
    fn flow_node(&mut self, at: usize, line_end: usize, depth: usize) -> Option<usize> {
        match self.text.as_bytes().get(at)? {
            b'{' | b'[' if at < line_end => self.flow_collection(at, line_end, depth + 1),
            _ => self.flow_scalar(at, line_end, false),
        }
    }

    /// A scalar inside a flow collection; its end. A key must end at its `:`; a value must
    /// not be followed by one (that would make it a key).
    fn flow_scalar(&mut self, at: usize, line_end: usize, key: bool) -> Option<usize> {
        let bytes = self.text.as_bytes();
        if at >= line_end {
            return None;
        }
        let (step, end) = match bytes[at] {
            quote @ (b'"' | b'\'') => {
                let close = at + 1 + memchr::memchr(quote, &bytes[at + 1..line_end])?;
                let inner = &bytes[at + 1..close];
                if (quote == b'"' && inner.contains(&b'\\'))
                    || (quote == b'\'' && bytes.get(close + 1) == Some(&b'\''))
                {
                    return None;
                }
                let style = if quote == b'"' {
                    ScalarStyle::DoubleQuoted
                } else {
                    ScalarStyle::SingleQuoted
                };
                let text = Cow::Borrowed(&self.text[at + 1..close]);
                ((Step::Scalar(text, style), at..close + 1), close + 1)
            }
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
            | b'|' | b'>' | b'%' | b'@' | b'`' | b' '
                if !(bytes[at] == b'-'
                    && bytes
                        .get(at + 1)
                        .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'-')) =>
            {
                return None;
            }
            _ => {
                // A `:` ends it only before a space, a flow indicator or the line's end
                // (`k8s.gcr.io/pause:3.1` is one scalar).
                let ends_at = |index: usize| match bytes[index] {
                    b',' | b'[' | b']' | b'{' | b'}' | b'#' => true,
                    b':' => {
                        index + 1 >= line_end
                            || matches!(bytes[index + 1], b' ' | b',' | b'[' | b']' | b'{' | b'}')
                    }
                    _ => false,
                };
                let length = (at..line_end).position(ends_at).unwrap_or(line_end - at);
                let scalar = self.text[at..at + length].trim_end_matches(' ');
                let end = at + scalar.len();
                if scalar.is_empty() || matches!(bytes.get(at + length), Some(b'[' | b'{' | b'#')) {
                    return None;
                }
                let text = Cow::Borrowed(scalar);
                ((Step::Scalar(text, ScalarStyle::Plain), at..end), end)
            }
        };
        let followed_by_colon = bytes.get(end) == Some(&b':');
        if key != followed_by_colon
            || (!key && end < line_end && bytes[end] == b' ' && {
                let next = end + spaces(&bytes[end..line_end]);
                bytes.get(next) == Some(&b':')
            })
        {
            return None;
        }
        self.steps.push(step);
        Some(end)
    }

    /// After a node on its line: only spaces, then the line's end or a comment.
    fn after_node(&mut self, at: usize, line_end: usize) -> Option<()> {
        let bytes = self.text.as_bytes();
        let rest = at + spaces(&bytes[at..line_end]);
        if rest == line_end {
            return Some(());
        }
        if bytes[rest] != b'#' || rest == at {
            return None;
        }
        self.comment(rest, line_end)
    }

    /// A comment from `start` to the line's end. One without a hit places nothing and is
    /// left out. One with a hit is a step where the parser gives it: after the node before
    /// it, and before the collections that the next line ends or opens; while a key's value
    /// is pending, after that value's null or before its collection ([`Self::waiting`]).
    /// While a dash's value is pending the parser's order depends on the lines after, so
    /// such a document is declined.
    fn comment(&mut self, start: usize, line_end: usize) -> Option<()> {
        if !self.holds_hit(start, line_end) {
            return Some(());
        }
        match &self.pending {
            None => self.steps.push((Step::Comment, start..line_end)),
            Some(pending) if pending.key => self.waiting.push(start..line_end),
            Some(_) => return None,
        }
        Some(())
    }

    /// Whether the dash at `dash` has nothing after it on its line but a comment with a hit.
    fn dash_comment_holds_hit(&self, dash: usize, line_end: usize) -> bool {
        matches!(self.inline_node(dash + 1, line_end), Inline::Empty { comment: Some(comment) }
            if self.holds_hit(comment, line_end))
    }

    /// Whether a hit starts in `start..line_end`.
    fn holds_hit(&self, start: usize, line_end: usize) -> bool {
        let first = self.hits.partition_point(|hit| hit.range.start < start);
        self.hits
            .get(first)
            .is_some_and(|hit| hit.range.start < line_end)
    }

    /// The comments that waited for a pending value, now that it is known.
    fn release_comments(&mut self) {
        for comment in self.waiting.drain(..) {
            self.steps.push((Step::Comment, comment));
        }
    }

    /// What a content line starts with; `None` for anything but a dash or a plain key.
    fn entry(&self, content: usize, line_end: usize) -> Option<Entry> {
        let bytes = self.text.as_bytes();
        if bytes[content] == b'-' {
            let separated = content + 1 == line_end || bytes[content + 1] == b' ';
            return separated.then_some(Entry::Item);
        }
        if !(bytes[content].is_ascii_alphanumeric() || bytes[content] == b'_') {
            return None;
        }
        let len = bytes[content..line_end]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
            .count();
        let colon = content + len;
        let separated = colon + 1 == line_end || bytes.get(colon + 1) == Some(&b' ');
        (len <= MAX_KEY_LEN && bytes.get(colon) == Some(&b':') && separated)
            .then_some(Entry::Key { colon })
    }

    fn open(&mut self, indent: usize, sequence: bool, indentless: bool, at: usize) {
        let step = if sequence {
            Step::SequenceStart
        } else {
            Step::MappingStart
        };
        self.steps.push((step, at..at));
        self.stack.push(Open {
            indent,
            sequence,
            indentless,
        });
    }

    fn null(&mut self, at: usize) {
        self.steps
            .push((Step::Scalar(Cow::Borrowed("~"), ScalarStyle::Plain), at..at));
    }
}

/// How many spaces `bytes` starts with.
pub(super) fn spaces(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&byte| byte == b' ').count()
}

/// A `---` or `...` line: the marker, then a space or the line's end.
fn is_marker(line: &[u8], marker: &[u8]) -> bool {
    line.starts_with(marker) && line.get(3).is_none_or(|&byte| byte == b' ')
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::check_line_reader;
    use crate::detect::hosts::HostScanner;

    /// `Ok(accepted)` or a panic that shows the document.
    fn check(text: &str) -> usize {
        match check_line_reader(text, &HostScanner::new()) {
            Ok(accepted) => accepted,
            Err(error) => panic!("{text:?}\n{error}"),
        }
    }

    #[test]
    fn plain_block_documents_are_read_as_the_parser_reads_them() {
        let accepted = [
            "a: 1\n",
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: k8s.gcr.io/pause:3.1\n",
            "a:\n- x\n- y\nb: 2\n",
            "- a:\n  - x\n  b: 1\n- c\n",
            "a:\n  - x\n  -\n  - k: v\n    l: \"q\" # note\n",
            "a: {}\nb: []\nc:\nd: ''\ne: \"\"\n",
            "  a: 1\n  b:\n    c: 2\n",
            "a: k8s.gcr.io/pause:3.1 # k8s gcr\nb: x#y\nc: http://a:b\n",
            "k8s.gcr.io:\n  endpoint: https://registry.k8s.io\n",
            "# top\n---\n# k\na: b\n\n\n",
            "-\n  a: 1\n- - \n",
            "a: --v=2\nb: -1\nc: 'it is'\n",
            "a: k8s.gcr.io # was k8s.gcr.io/old\n",
            "# k8s.gcr.io\na: b\n",
            "--- # k8s.gcr.io\n# k8s.gcr.io\na: b\n",
            "spec:\n  # pulled from k8s.gcr.io\n  containers:\n  - name: c\n",
            "containers: # k8s.gcr.io\n# k8s.gcr.io\n- name: c\n",
            "a: # k8s.gcr.io\n  # k8s.gcr.io\nb:\n  c: 1\n  # k8s.gcr.io\nd: 2\n# k8s.gcr.io\n",
            "- # k8s.gcr.io\n  a: 1\n- # k8s.gcr.io\n- b # k8s.gcr.io\n",
            "a:\n- x\n- # k8s.gcr.io\n  b: 1\n",
            "a:\n- # no hit\n  b: k8s.gcr.io\n",
            "a: [k8s.gcr.io/x]\n",
            "a: {b: c}\n",
            "args: [\"--port=8080\", \"--v=2\", plain, 'single']\n",
            "r: {cpu: 10m, memory: 32Mi}\nimage: k8s.gcr.io/pause:3.1\n",
            "a: [ x , y ]  # k8s.gcr.io\n",
            "- [a, [b, c], {d: e}]\n- {k: [1, 2], j: {}}\n",
            "a: {x: \"k8s.gcr.io/a\", y: 'k8s.gcr.io/b'}\n",
            "a: [-1, --flag, k8s.gcr.io/pause:3.1]\n",
            "a: {b: c:d}\n",
            "a: [http://x, \"https://k8s.gcr.io\"]\n",
        ];
        for text in accepted {
            assert!(
                check(text) > 0 || text.contains("- - "),
                "{text:?} was declined"
            );
        }
    }

    #[test]
    fn other_yaml_is_declined_and_left_to_the_parser() {
        let declined = [
            "a: |\n  k8s.gcr.io/x\n",
            "a: >\n  x\n",
            "a: [k8s.gcr.io/x,]\n",
            "a: {b}\n",
            "a: [b: c]\n",
            "a: [b, \n  c]\n",
            "a: [\"x\":y]\n",
            "a: [x #c]\n",
            "a: &x k8s.gcr.io/x\nb: *x\n",
            "a: !!str k8s.gcr.io/x\n",
            "%YAML 1.2\n---\na: k8s.gcr.io/x\n",
            "\"a\": k8s.gcr.io/x\n",
            "a: \"k8s\\x2egcr.io/x\"\n",
            "a: 'it''s'\n",
            "a: multi\n  line k8s.gcr.io\n",
            "a: \"open\n  k8s.gcr.io\"\n",
            "a:\tk8s.gcr.io\n",
            "a: k8s.gcr.io\r\n",
            "a: caf\u{e9} k8s.gcr.io\n",
            "-\n  # k8s.gcr.io\n- b\n",
            "a: b: k8s.gcr.io\n",
            "a b: k8s.gcr.io\n",
            "? a\n: k8s.gcr.io\n",
            "a: 1\n b: k8s.gcr.io\n",
            "a:\n  b: 1\n c: k8s.gcr.io\n",
            "k8s.gcr.io/pause\n",
            "--- k8s.gcr.io\n",
            "a: k8s.gcr.io\n...\n",
            "a:\n  - x\n  b: k8s.gcr.io\n",
            "- - k8s.gcr.io\n",
            "a: -\n",
            "# only a comment\n",
            "a:\n- # k8s.gcr.io/pause\n  b: 1\n",
            "imageTags:\n- #ame: k8s.gcr.io/pause\n  newTag: \"3.9\"\n",
            "a:\n  - # k8s.gcr.io\n  - b\n",
        ];
        for text in declined {
            assert_eq!(check(text), 0, "{text:?} was accepted");
        }
    }

    #[test]
    fn every_fixture_document_reads_the_same_both_ways() {
        let mut accepted = 0;
        for (path, text) in crate::detect::yaml::fixture_yaml_files() {
            accepted += match check_line_reader(&text, &HostScanner::new()) {
                Ok(accepted) => accepted,
                Err(error) => panic!("{}: {error}", path.display()),
            };
        }
        assert!(
            accepted > 100,
            "the reader took only {accepted} fixture documents"
        );
    }

    /// Lines built from the pieces that block YAML (and its near misses) is made of.
    fn yamlish() -> impl Strategy<Value = String> {
        let indent = prop::sample::select(vec!["", " ", "  ", "   ", "    ", "      "]);
        let lead = prop::sample::select(vec!["", "", "- ", "-", "-  ", "- - ", "? ", ": "]);
        let key = prop::sample::select(vec![
            "",
            "a",
            "b",
            "name",
            "kind",
            "apiVersion",
            "metadata",
            "image",
            "k8s.gcr.io",
            "x-y.z/w",
            "a b",
            "\"q\"",
            "'s'",
            "_k",
            "9",
            "&a",
            "*a",
            "!t",
            "<<",
        ]);
        let colon = prop::sample::select(vec![":", ": ", ":  ", "", ":\t", " :"]);
        let value = prop::sample::select(vec![
            "",
            "1",
            "plain text",
            "k8s.gcr.io/pause:3.1",
            "\"k8s.gcr.io/x\"",
            "'k8s.gcr.io'",
            "{}",
            "[]",
            "{a: 1}",
            "[k8s.gcr.io]",
            "|",
            ">-",
            "&x v",
            "*x",
            "!!str v",
            "# c",
            "# k8s.gcr.io",
            "v # k8s.gcr.io",
            "a: b",
            "a:b",
            "-",
            "-1",
            "--v=k8s.gcr.io",
            "'it''s'",
            "\"e\\\"s\"",
            "\"open",
            "x #",
            "#x",
            "---",
            "...",
            "~",
            "null",
            "k8s.gcr.io:",
            "caf\u{e9}",
            "tab\there",
            "cr\r",
        ]);
        let line =
            (indent, lead, key, colon, value).prop_map(|(indent, lead, key, colon, value)| {
                format!("{indent}{lead}{key}{colon}{value}")
            });
        let special = prop::sample::select(vec![
            "---",
            "...",
            "--- # c",
            "%YAML 1.2",
            "# k8s.gcr.io",
            "  # k8s.gcr.io",
            "    # was k8s.gcr.io/x",
            "--- # k8s.gcr.io",
            "",
            "  # c",
            "  ",
        ])
        .prop_map(str::to_string);
        prop::collection::vec(prop_oneof![4 => line, 1 => special], 1..14)
            .prop_map(|lines| lines.join("\n") + "\n")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn the_reader_never_disagrees_with_the_parser(text in yamlish()) {
            if let Err(error) = check_line_reader(&text, &HostScanner::new()) {
                prop_assert!(false, "{:?}\n{}", text, error);
            }
        }
    }
}
