//! Quoted scalars whose continuation lines are not indented past their block, read as
//! Kubernetes reads them.
//!
//! YAML 1.2 wants every continuation line of a multi-line quoted scalar indented more than the
//! block that holds it, and granit enforces that. libyaml and go-yaml (what kubectl, Helm and
//! PyYAML use) do not, and real files rely on it: CRDs from older controller-gen
//! (`description: 'APIVersion defines …` continued at the key's column), a Chart.yaml
//! `description:` continued at column 0, a JSON annotation spread over lines. Rejecting them
//! would leave their hits with text-level context only, on files Kubernetes applies.
//!
//! Leading white space of a continuation line is folded away, so indenting such a line (and
//! turning the tabs that start it into spaces) changes no value. This module indents the lines
//! the parser rejects, one at a time, in a copy, until the copy parses, and maps the copy's
//! offsets back to the original's.

use granit_parser::{ErrorKind, Parser};

use super::line_start;
use super::lines::spaces;

/// Each indented line costs one more parse of the document: the copies parsed stop at this
/// many bytes in all (about half a second), so a small document may get hundreds of lines
/// indented (an old generated CRD) and a 10 MiB one a few, then falls back to text-level
/// context.
const MAX_PARSED_BYTES: usize = 64 << 20;

/// A copy of a document with some lines indented, and the way back to the original offsets.
#[derive(Debug)]
pub(super) struct Reindented {
    pub(super) text: String,
    /// Where spaces were inserted, in order: (offset in the copy, spaces inserted there,
    /// spaces inserted before).
    inserted: Vec<(usize, usize, usize)>,
}

impl Reindented {
    /// The offset in the original of `at`, an offset in the copy. An offset inside inserted
    /// spaces maps to the start of the line they indent.
    pub(super) fn original(&self, at: usize) -> usize {
        match self.inserted.partition_point(|&(start, ..)| start < at) {
            0 => at,
            after => {
                let (start, count, before) = self.inserted[after - 1];
                at - before - count.min(at - start)
            }
        }
    }
}

/// Whether a parse error may be one [`reindented`] resolves: an under-indented continuation
/// line, or one that starts with a tab.
pub(super) fn may_resolve(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidQuotedScalarIndent | ErrorKind::TabInIndentation
    )
}

/// A copy of `source` (one or more documents) that parses, when its only parse errors are
/// continuation lines of quoted scalars, under-indented or started by a tab; `None` otherwise.
pub(super) fn reindented(source: &str) -> Option<Reindented> {
    let target = source
        .lines()
        .map(|line| spaces(line.as_bytes()))
        .max()
        .unwrap_or(0)
        + 1;
    // Line starts in the original, with the spaces each gets.
    let mut indents: Vec<(usize, usize)> = Vec::new();
    let mut parsed = 0;
    loop {
        let copy = build(source, &indents);
        parsed += copy.text.len();
        let Some((kind, at)) = first_error(&copy.text) else {
            return (!indents.is_empty()).then_some(copy);
        };
        let fixable = match kind {
            ErrorKind::InvalidQuotedScalarIndent => true,
            // A tab that starts a line is a quoted scalar's continuation (which go-yaml
            // accepts) when the text before the line ends inside a quoted scalar; anywhere
            // else it is block indentation, which nothing accepts.
            ErrorKind::TabInIndentation => {
                let line_start = line_start(&copy.text, at.min(copy.text.len()));
                // Cut there, such text fails at its end, inside the scalar.
                matches!(
                    first_error(&copy.text[..line_start]),
                    Some((ErrorKind::UnclosedQuotedScalar | ErrorKind::InvalidQuotedScalarIndent, at))
                        if at >= line_start
                )
            }
            _ => false,
        };
        if !fixable || parsed >= MAX_PARSED_BYTES {
            return None;
        }
        let at = copy.original(at).min(source.len());
        let line_start = line_start(source, at);
        let indent = spaces(&source.as_bytes()[line_start..]);
        if indents.iter().any(|&(start, _)| start == line_start) || indent >= target {
            return None;
        }
        let position = indents.partition_point(|&(start, _)| start < line_start);
        indents.insert(position, (line_start, target - indent));
    }
}

fn build(source: &str, indents: &[(usize, usize)]) -> Reindented {
    let mut text = String::with_capacity(source.len() + indents.iter().map(|i| i.1).sum::<usize>());
    let mut inserted = Vec::with_capacity(indents.len());
    let mut from = 0;
    for &(line_start, count) in indents {
        text.push_str(&source[from..line_start]);
        let before = inserted
            .last()
            .map_or(0, |&(_, count, before)| before + count);
        inserted.push((text.len(), count, before));
        text.extend(std::iter::repeat_n(' ', count));
        // Tabs in the line's own leading white space become spaces, byte for byte.
        let blank =
            source[line_start..].len() - source[line_start..].trim_start_matches([' ', '\t']).len();
        text.extend(std::iter::repeat_n(' ', blank));
        from = line_start + blank;
    }
    text.push_str(&source[from..]);
    Reindented { text, inserted }
}

/// The first parse error of `text`: its kind and byte offset.
fn first_error(text: &str) -> Option<(ErrorKind, usize)> {
    let mut parser = Parser::new_from_str_with_options(text, super::parser_options());
    while let Some(next) = parser.next_event() {
        if let Err(error) = next {
            let at = error.marker().byte_offset().unwrap_or(0);
            return Some((error.kind().clone(), at));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalars(text: &str) -> Vec<String> {
        let mut parser = Parser::new_from_str_with_options(text, super::super::parser_options());
        let mut values = Vec::new();
        while let Some(next) = parser.next_event() {
            if let granit_parser::Event::Scalar(value, ..) = next.expect("parses").0 {
                values.push(value.into_owned());
            }
        }
        values
    }

    #[test]
    fn under_indented_continuations_are_indented_and_values_kept() {
        let source = "description: \"Container Storage Interface (CSI) driver,\nprovisioner, and attacher\"\nname: rbd\n";
        let copy = reindented(source).expect("reindents");
        assert_eq!(
            scalars(&copy.text),
            [
                "description",
                "Container Storage Interface (CSI) driver, provisioner, and attacher",
                "name",
                "rbd"
            ]
        );
        // Offsets after the inserted spaces map back; offsets before stay.
        let name = copy.text.find("name").unwrap();
        assert_eq!(copy.original(name), source.find("name").unwrap());
        assert_eq!(copy.original(3), 3);
        let line = copy.text.find("provisioner").unwrap();
        assert_eq!(copy.original(line), source.find("provisioner").unwrap());
        assert_eq!(copy.original(line - 1), source.find("provisioner").unwrap());

        // A JSON annotation spread over lines at the key's column, single-quoted.
        let source = "metadata:\n  annotations:\n    networks: '[\n    {\"name\": \"a\"}\n    ]'\nspec:\n  image: k8s.gcr.io/pause:3.9\n";
        let copy = reindented(source).expect("reindents");
        assert!(scalars(&copy.text).contains(&"[ {\"name\": \"a\"} ]".to_string()));
        let image = copy.text.find("k8s.gcr.io").unwrap();
        assert_eq!(copy.original(image), source.find("k8s.gcr.io").unwrap());
    }

    #[test]
    fn tab_led_continuations_are_indented_and_tab_indented_blocks_are_not() {
        let source = "a:\n  b: 'one\n\ttwo\n\t  three'\n  c: k8s.gcr.io/pause\n";
        let copy = reindented(source).expect("reindents");
        assert_eq!(
            scalars(&copy.text),
            ["a", "b", "one two three", "c", "k8s.gcr.io/pause"]
        );
        assert_eq!(
            copy.original(copy.text.find("k8s").unwrap()),
            source.find("k8s").unwrap()
        );
        assert!(
            reindented("a:\n\tb: 1\n").is_none(),
            "a block indented by a tab"
        );
    }

    #[test]
    fn other_errors_and_valid_documents_get_no_copy() {
        assert!(
            reindented("a: \"one\n  two\"\n").is_none(),
            "valid as it is"
        );
        assert!(reindented("a: [unclosed\n").is_none());
        assert!(
            reindented("a: \"one\nb: [\n").is_none(),
            "a second, other error"
        );
        let many: String = (0..300).map(|i| format!("k{i}: 'a\nb'\n")).collect();
        assert!(
            reindented(&many).is_some(),
            "a small document gets many lines indented"
        );
        let padding = " ".repeat(MAX_PARSED_BYTES / 4);
        let large =
            format!("k0: 'a\nb'\nk1: 'a\nb'\nk2: 'a\nb'\nk3: 'a\nb'\nk4: 'a\nb'\n#{padding}\n");
        assert!(
            reindented(&large).is_none(),
            "a large one stops at the parse budget"
        );
    }
}
