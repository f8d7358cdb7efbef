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

pub mod app;
pub mod carrier;
pub mod cli;
pub mod config;
pub mod detect;
pub mod engine;
pub mod explain;
pub mod finding;
pub mod fix;
pub mod image_ref;
pub mod images;
pub mod layout;
pub mod origin;
pub mod path;
pub mod report;
pub mod rules;
pub mod scan;
pub mod settings;
pub mod source;
pub mod sweep;
pub mod walk;
