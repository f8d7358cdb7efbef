//! The events of a YAML document that place a hit: what the hit walker reads, from the parser
//! or from the line reader.

use std::borrow::Cow;

use granit_parser::{Event, ScalarStyle};

/// The events of a YAML document that place a hit, from the parser or from the line reader (`lines.rs`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Step<'a> {
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
    pub(super) fn from_event(event: Event<'a>) -> Option<Step<'a>> {
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
