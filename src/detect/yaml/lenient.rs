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
//! turning the tabs that start it into spaces) changes no value. This module indents such
//! lines in a copy until the copy parses, and maps the copy's offsets back to the original's:
//! first every continuation line a quick scan finds, in one copy that counts only when its
//! parse puts each of them inside a quoted scalar; failing that, the lines the parser rejects,
//! one parse per line.

use std::ops::Range;

use granit_parser::{ErrorKind, Event, Parser, ScalarStyle};

use super::line_start;
use super::lines::spaces;

/// Line by line, each indented line costs one more parse of the document: the copies parsed
/// stop at this many bytes in all (about half a second), so a small document may get hundreds
/// of lines indented that way and a 10 MiB one a few, then falls back to text-level context.
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
    // Valid as it is, or failing for another reason: nothing to do.
    let (kind, at) = first_error(source)?;
    if !fixable(source, &kind, at) {
        return None;
    }
    let target = source
        .lines()
        .map(|line| spaces(line.as_bytes()))
        .max()
        .unwrap_or(0)
        + 1;
    // A generated CRD can have thousands of such lines, and a parse per line would exceed the
    // budget: first indent every continuation line a quick scan finds, in one copy. The scan
    // only guesses, so its copy counts only when the parse puts each indented line inside a
    // quoted scalar, where leading white space is folded away.
    let guessed = continuation_lines(source, target);
    if !guessed.is_empty()
        && let Some(copy) = settle(source, guessed, target, true)
    {
        return Some(copy);
    }
    // Line by line, from the line of the error already found.
    let mut indents = Vec::new();
    indent_line_at(source, &mut indents, at, target)?;
    settle(source, indents, target, false)
}

/// Indent, one at a time, the lines the parser rejects, starting from `indents` (line starts
/// in the original, with the spaces each gets; at least one), until the copy parses. With
/// `verify`, the copy counts only when every indented line is inside a quoted scalar of its
/// parse.
fn settle(
    source: &str,
    mut indents: Vec<(usize, usize)>,
    target: usize,
    verify: bool,
) -> Option<Reindented> {
    let mut parsed = 0;
    loop {
        let copy = build(source, &indents);
        parsed += copy.text.len();
        let (kind, at) = match check(&copy.text, verify) {
            Ok(quoted) => {
                let inside = |&(at, ..): &(usize, usize, usize)| {
                    let after = quoted.partition_point(|span| span.start < at);
                    after > 0 && quoted[after - 1].end > at
                };
                return (!verify || copy.inserted.iter().all(inside)).then_some(copy);
            }
            Err(error) => error,
        };
        if !fixable(&copy.text, &kind, at) || parsed >= MAX_PARSED_BYTES {
            return None;
        }
        indent_line_at(source, &mut indents, copy.original(at), target)?;
    }
}

/// Add the line of `at` (an offset in the original) to `indents`, in order; `None` when it is
/// indented already (the parser still rejects it) or cannot be indented further.
fn indent_line_at(
    source: &str,
    indents: &mut Vec<(usize, usize)>,
    at: usize,
    target: usize,
) -> Option<()> {
    let line_start = line_start(source, at.min(source.len()));
    let indent = spaces(&source.as_bytes()[line_start..]);
    if indents.iter().any(|&(start, _)| start == line_start) || indent >= target {
        return None;
    }
    let position = indents.partition_point(|&(start, _)| start < line_start);
    indents.insert(position, (line_start, target - indent));
    Some(())
}

/// Whether the parse error `kind` at `at` in `text` is one indenting a line may resolve.
fn fixable(text: &str, kind: &ErrorKind, at: usize) -> bool {
    match kind {
        ErrorKind::InvalidQuotedScalarIndent => true,
        // A tab that starts a line is a quoted scalar's continuation (which go-yaml
        // accepts) when the text before the line ends inside a quoted scalar; anywhere
        // else it is block indentation, which nothing accepts.
        ErrorKind::TabInIndentation => {
            let line_start = line_start(text, at.min(text.len()));
            // Cut there, such text fails at its end, inside the scalar.
            matches!(
                first_error(&text[..line_start]),
                Some((ErrorKind::UnclosedQuotedScalar | ErrorKind::InvalidQuotedScalarIndent, at))
                    if at >= line_start
            )
        }
        _ => false,
    }
}

/// Where a quick, line-by-line scan finds quoted scalars continued over lines: the start of
/// each non-blank continuation line, with the spaces that take it to `target`. Empty when the
/// scan loses its way (a scalar still open at the end, a document marker inside one).
///
/// It knows quotes, comments, flow indicators and block scalars, not the rest of YAML: the
/// parse of the copy decides whether it guessed right.
fn continuation_lines(source: &str, target: usize) -> Vec<(usize, usize)> {
    let mut lines = Vec::new();
    let mut open: Option<u8> = None;
    // The indentation of the line that started a block scalar (`|`, `>`), while in one.
    let mut block: Option<usize> = None;
    let mut line_start = 0;
    for line in source.split_inclusive('\n') {
        let start = line_start;
        line_start += line.len();
        let bytes = line.trim_end_matches(['\n', '\r']).as_bytes();
        let indent = bytes
            .iter()
            .take_while(|&&byte| byte == b' ' || byte == b'\t')
            .count();
        let blank = indent == bytes.len();
        let mut at = indent;
        if let Some(quote) = open {
            if bytes.starts_with(b"---") || bytes.starts_with(b"...") {
                return Vec::new();
            }
            if !blank {
                lines.push((start, target.saturating_sub(spaces(bytes)).max(1)));
            }
            match closing(bytes, at, quote) {
                Some(after) => {
                    open = None;
                    at = after;
                }
                None => continue,
            }
        } else if let Some(parent) = block {
            if blank || indent > parent {
                continue;
            }
            block = None;
        }
        // Outside any scalar: look for quotes that open where a value may start.
        let mut previous: Option<u8> = None;
        let mut spaced = true;
        while at < bytes.len() {
            let byte = bytes[at];
            match byte {
                b'#' if spaced => break,
                b'\'' | b'"' if opens(previous, spaced) => match closing(bytes, at + 1, byte) {
                    Some(after) => {
                        at = after;
                        previous = Some(byte);
                        spaced = false;
                        continue;
                    }
                    None => {
                        open = Some(byte);
                        break;
                    }
                },
                b'|' | b'>' if opens(previous, spaced) => {
                    let rest = &bytes[at + 1..];
                    let header = rest
                        .iter()
                        .take_while(|byte| matches!(byte, b'+' | b'-' | b'0'..=b'9'))
                        .count();
                    let tail = rest[header..].iter().skip_while(|&&byte| byte == b' ');
                    if tail.clone().next().is_none_or(|&byte| byte == b'#') {
                        block = Some(indent);
                        break;
                    }
                }
                b' ' | b'\t' => {
                    spaced = true;
                    at += 1;
                    continue;
                }
                _ => {}
            }
            previous = Some(byte);
            spaced = false;
            at += 1;
        }
    }
    if open.is_some() {
        return Vec::new();
    }
    lines
}

/// Whether a quote (or a block scalar indicator) after `previous` starts a value: at the start
/// of a line, after `: `, `- ` or `? `, or after a flow indicator.
fn opens(previous: Option<u8>, spaced: bool) -> bool {
    match previous {
        None => true,
        Some(b':' | b'-' | b'?') => spaced,
        Some(b'[' | b'{' | b',') => true,
        _ => false,
    }
}

/// The offset just after the quote that closes a `quote`-quoted scalar, looking from `from` in
/// `line`; `None` when the scalar goes on past the line.
fn closing(line: &[u8], mut from: usize, quote: u8) -> Option<usize> {
    while from < line.len() {
        match line[from] {
            // `''` is a quote inside a single-quoted scalar.
            b'\'' if quote == b'\'' => {
                if line.get(from + 1) == Some(&b'\'') {
                    from += 2;
                    continue;
                }
                return Some(from + 1);
            }
            b'\\' if quote == b'"' => from += 1,
            byte if byte == quote => return Some(from + 1),
            _ => {}
        }
        from += 1;
    }
    None
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
    check(text, false).err()
}

/// Parse `text`: the byte ranges of its quoted scalars, in order (when `quoted` asks for
/// them), or its first error with its byte offset.
fn check(text: &str, quoted: bool) -> Result<Vec<Range<usize>>, (ErrorKind, usize)> {
    let mut parser = Parser::new_from_str_with_options(text, super::parser_options());
    let mut spans = Vec::new();
    while let Some(next) = parser.next_event() {
        match next {
            Ok((
                Event::Scalar(_, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, ..),
                span,
            )) if quoted => {
                spans.extend(span.byte_range());
            }
            Ok(_) => {}
            Err(error) => {
                let at = error.marker().byte_offset().unwrap_or(0);
                return Err((error.kind().clone(), at));
            }
        }
    }
    Ok(spans)
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
        // A tag before the quote hides the scalars from the quick scan, so each line costs a
        // parse of the whole document.
        let padding = " ".repeat(MAX_PARSED_BYTES / 4);
        let large = format!(
            "k0: !t 'a\nb'\nk1: !t 'a\nb'\nk2: !t 'a\nb'\nk3: !t 'a\nb'\nk4: !t 'a\nb'\n#{padding}\n"
        );
        assert!(
            reindented(&large).is_none(),
            "a large one stops at the parse budget"
        );
    }

    #[test]
    fn a_generated_crd_is_indented_in_one_pass() {
        // Older generators continue every description at column 0: thousands of lines, each of
        // which would cost a parse of the whole document.
        let mut source = String::from("spec:\n  properties:\n");
        for field in 0..2_000 {
            source.push_str(&format!(
                "    f{field}:\n      description: 'Field {field} is\nthe ''{field}th''\n\n  field # not a comment\nof it.'\n      example: \"a\\\"\nb\"\n"
            ));
        }
        source.push_str("  image: k8s.gcr.io/pause:3.9\n");
        let padding = "#".repeat(MAX_PARSED_BYTES / 8);
        let source = format!("{source}{padding}\n");
        let copy = reindented(&source).expect("reindents within the budget");
        let values = scalars(&copy.text);
        assert_eq!(values[3], "description");
        assert_eq!(
            values[4],
            "Field 0 is the '0th'\nfield # not a comment of it."
        );
        assert_eq!(values[6], "a\" b");
        let image = copy.text.find("k8s.gcr.io").unwrap();
        assert_eq!(copy.original(image), source.find("k8s.gcr.io").unwrap());
    }

    #[test]
    fn a_wrong_guess_of_the_quick_scan_does_not_count() {
        // The scan takes `'b` for an opening quote, so it indents `h i'`; that copy parses, as
        // a plain scalar, but the line is not inside a quoted scalar. Line by line, `h i'` is
        // what it is in the original: a line where a key should be.
        assert!(reindented("e: 'f\ng'\na: x, 'b\nh i'\n").is_none());
        // Block scalars and comments are not quoted scalars to the scan.
        let source = "a: |\n  it's\nb: 'c\nd' # e's\nf: >-\n  \"g\ni: 'j\nk'\n";
        let copy = reindented(source).expect("reindents");
        assert_eq!(
            scalars(&copy.text),
            ["a", "it's\n", "b", "c d", "f", "\"g", "i", "j k"]
        );
    }
}
