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
    /// The step with its scalar owned, free of the text it was read from.
    pub(super) fn into_owned(self) -> Step<'static> {
        match self {
            Step::DocumentStart => Step::DocumentStart,
            Step::DocumentEnd => Step::DocumentEnd,
            Step::Comment => Step::Comment,
            Step::Scalar(value, style) => Step::Scalar(Cow::Owned(value.into_owned()), style),
            Step::Alias => Step::Alias,
            Step::MappingStart => Step::MappingStart,
            Step::SequenceStart => Step::SequenceStart,
            Step::End => Step::End,
        }
    }

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
