//! regshift's integration tests, as one crate.
//!
//! Cargo builds every `tests/*.rs` as a crate of its own and links each one against the
//! library and its dependencies; on CI's two cores eleven test binaries cost more link time
//! than the tests themselves. So every area is a module of this one crate (`tests/it/`), and
//! the helpers more than one area needs live once, in `support`. Run one area with
//! `cargo test --test it render::`, one test with its full name.

mod support;

mod action;
mod adversarial;
mod architecture;
mod cli;
mod external_tools;
mod filesystem;
mod formats;
mod git_index;
mod git_tracked;
mod hooks;
mod lsp;
mod notes;
mod post_freeze_table;
mod properties;
mod readme;
mod release;
mod render;
mod sarif;
mod stdin;
mod sweep;
mod verify;
