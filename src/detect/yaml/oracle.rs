//! The differential check of the line reader against the parser: the oracle that the unit
//! tests, the property test and the fuzz target run.

use std::ops::Range;

use granit_parser::Parser;

use super::chunks::document_chunks;
use super::step::Step;
use super::{Dialect, Escapes, Reading, YamlIndex, failure_count_with, index_with, lines};
use crate::detect::hosts::HostScanner;

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
    let structure = |index: &YamlIndex| {
        (
            index.sites.clone(),
            index.failures.clone(),
            index.escaped.clone(),
        )
    };
    if structure(&through_lines) != structure(&parsed) {
        return Err(format!(
            "the structure differs:\nlines:  {through_lines:?}\nparser: {parsed:?}"
        ));
    }
    Ok(accepted)
}

/// The parser's steps for `text[chunk]`, normalized as [`normalized`] does.
fn parser_steps(text: &str, chunk: Range<usize>) -> Result<Vec<(Step<'_>, Range<usize>)>, String> {
    let base = chunk.start;
    let mut parser = Parser::new_from_str_with_options(&text[chunk], super::parser_options());
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

/// Check the guard's shortcut for safe edits (`Detection::safe_edits`): in the fixed `text`,
/// every document that holds one of `written` (the replacements of safe edits) must parse.
/// For the fuzz oracle and the tests.
#[doc(hidden)]
pub fn check_safe_edits(
    text: &str,
    written: &[Range<usize>],
    scanner: &HostScanner,
) -> Result<(), String> {
    let failures = failure_count_with(text, written, scanner, Reading::ParserOnly);
    if failures > 0 {
        return Err(format!(
            "{failures} documents holding a safe edit ({written:?}) no longer parse:\n{text:?}"
        ));
    }
    Ok(())
}
