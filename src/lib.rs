//! regshift finds references to the frozen `k8s.gcr.io` registry (and its legacy relatives) in a
//! repository, reports each with its exact byte span, and rewrites the safe ones to
//! `registry.k8s.io`.
//!
//! Data flows walk → read → detect → findings → report or fix:
//! [`walk`] decides what to scan, [`source`] holds a file's bytes and lines, [`detect`] turns
//! bytes into [`finding::Finding`]s, [`fix`] applies their edits and writes atomically, and
//! [`report`] renders. [`app`] wires the stages; [`settings`] resolves flags and [`config`] once.

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

// The API: what the CLI, `sweep` and an editor server use.
pub mod app;
pub mod cli;
pub mod engine;
pub mod explain;
pub mod finding;
pub mod fix;
pub mod path;
pub mod report;
pub mod rules;
pub mod scan;
pub mod server;
pub mod settings;
pub mod sweep;

// Below the engine.
pub(crate) mod carrier;
pub(crate) mod config;
pub(crate) mod detect;
pub(crate) mod image_ref;
pub(crate) mod images;
pub(crate) mod layout;
pub(crate) mod origin;
pub(crate) mod registry;
pub(crate) mod source;
pub(crate) mod walk;

/// What the fuzz target and the property tests reach below the engine: detection on a buffer
/// with a chosen carrier and origin, the YAML reader and its oracle, and the git index reader.
/// Not a stable API.
#[doc(hidden)]
pub mod internals {
    pub use crate::carrier::{Carrier, ChartRole};
    pub use crate::detect::yaml::{
        Node, check_failure_count, check_line_reader, check_safe_edits, document_chunks, documents,
    };
    pub use crate::detect::{Detection, Detector, RuleFilter};
    pub use crate::layout::sed::sed_commands;
    pub use crate::origin::{KustomizeBases, Origin, Packaged, SedInput, SedInputs};
    pub use crate::source::SourceFile;
    pub use crate::walk::git_index::{IndexError, TrackedPaths, read_index};
}
