//! `regshift sweep --merge FILE...`: the documents that `sweep --format json` wrote (one per
//! shard of a CI matrix) as one report, in any sweep format. Nothing is scanned.
//!
//! The rows are ordered as one sweep orders them (by path), the totals are recomputed from the
//! rows, and so is the exit code: each row carries `failing`, its findings at or above the
//! failing severity the shard resolved (`--fail-on`, or the repository's `fail-on`), so a merge
//! needs no `--fail-on` of its own and gives the code the unsharded sweep would have given.
//! Each row's JSON object is kept byte for byte (only whitespace between tokens is dropped), so
//! fields this build does not know reach the merged `json` and `jsonl` untouched.

use std::io;
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::SweepError;
use super::render::{self, RowJson, RowView, View};
use crate::app::Outcome;
use crate::cli::SweepArgs;

/// The layout version of the sweep's JSON document that this build reads.
const VERSION: u64 = 1;

/// Why documents could not be merged (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("--merge {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("--merge {path}: not a document of `regshift sweep --format json`: {reason}")]
    NotASweep { path: String, reason: String },
    #[error(
        "--merge {path}: sweep document version {version}; this regshift reads version {VERSION}"
    )]
    Version { path: String, version: u64 },
    #[error(
        "--merge: repository `{repository}` has a row in {first} and in {second}; shards never \
         overlap, so these are not the shards of one sweep"
    )]
    Duplicate {
        repository: String,
        first: String,
        second: String,
    },
}

/// The start of a document: enough to know which layout the rest has.
#[derive(Deserialize)]
struct Header {
    version: u64,
}

/// A version 1 document; rows are kept as written.
#[derive(Deserialize)]
struct Document {
    repos: Vec<Box<RawValue>>,
    /// Recomputed from the rows; required, as every sweep document has it.
    #[serde(rename = "summary")]
    _summary: IgnoredAny,
}

/// What the tables and the exit code read of a row; other fields only pass through.
#[derive(Deserialize)]
struct Fields {
    path: String,
    files_scanned: usize,
    safe: usize,
    #[serde(rename = "unsafe")]
    unsafe_: usize,
    none: usize,
    failing: usize,
    fixable: usize,
    fixed: usize,
    file_errors: usize,
    fix_errors: usize,
    error: Option<String>,
    branch: Option<String>,
    /// Written by sweeps with `--commit`; absent from older documents.
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    commit_reason: Option<String>,
}

/// A row of a merged document.
struct MergedRow {
    fields: Fields,
    /// The row's object as written, on one line.
    json: Box<RawValue>,
    /// The `--merge` file it came from, for errors.
    file: String,
}

impl View for MergedRow {
    fn view(&self) -> RowView<'_> {
        let fields = &self.fields;
        RowView {
            repository: &fields.path,
            files_scanned: fields.files_scanned,
            safe: fields.safe,
            unsafe_: fields.unsafe_,
            none: fields.none,
            fixable: fields.fixable,
            fixed: fields.fixed,
            file_errors: fields.file_errors,
            fix_errors: fields.fix_errors,
            error: fields.error.as_deref(),
            branch: fields.branch.as_deref(),
            commit: fields.commit.as_deref(),
            commit_reason: fields.commit_reason.as_deref(),
            failing: fields.failing,
            json: RowJson::Written(&self.json),
        }
    }
}

/// Merge `args.merge`, print the report, and return the outcome; `Err` is a usage error or a
/// file that cannot be merged (exit 2), found before anything is written.
pub(super) fn run(args: &SweepArgs) -> Result<io::Result<Outcome>, SweepError> {
    let mut rows = Vec::new();
    for file in &args.merge {
        rows.extend(read(file)?);
    }
    // Stable, and the order `discover` gives one sweep: by the path as displayed.
    rows.sort_by(|a, b| a.fields.path.cmp(&b.fields.path));
    if let Some(pair) = rows
        .windows(2)
        .find(|pair| pair[0].fields.path == pair[1].fields.path)
    {
        return Err(MergeError::Duplicate {
            repository: pair[0].fields.path.clone(),
            first: pair[0].file.clone(),
            second: pair[1].file.clone(),
        }
        .into());
    }
    // Opened only now: the output may be named like an input, and a failed merge leaves no
    // empty report behind.
    let out = super::open_output(args)?;
    let printed = render::print(args.format, out, &rows);
    Ok(printed.map(|()| super::outcome(&rows)))
}

/// The rows of one document.
fn read(file: &Path) -> Result<Vec<MergedRow>, MergeError> {
    let path = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|source| MergeError::Read {
        path: path.clone(),
        source,
    })?;
    let not_a_sweep = |reason: String| MergeError::NotASweep {
        path: path.clone(),
        reason,
    };
    // serde reads a struct from an array too: `[1]` would pass for `{"version":1}`.
    if !is_object(&text) {
        return Err(not_a_sweep("not a JSON object".into()));
    }
    let header: Header =
        serde_json::from_str(&text).map_err(|error| not_a_sweep(error.to_string()))?;
    if header.version != VERSION {
        return Err(MergeError::Version {
            path: path.clone(),
            version: header.version,
        });
    }
    let document: Document =
        serde_json::from_str(&text).map_err(|error| not_a_sweep(error.to_string()))?;
    document
        .repos
        .into_iter()
        .enumerate()
        .map(|(index, json)| {
            let json = RawValue::from_string(compact(json.get()))
                .expect("a JSON value without whitespace between tokens is JSON");
            if !is_object(json.get()) {
                return Err(not_a_sweep(format!("repos[{index}]: not a JSON object")));
            }
            let fields: Fields = serde_json::from_str(json.get())
                .map_err(|error| not_a_sweep(format!("repos[{index}]: {error}")))?;
            Ok(MergedRow {
                fields,
                json,
                file: path.clone(),
            })
        })
        .collect()
}

/// Whether the JSON text `text` is an object (not, say, an array serde would read as one).
fn is_object(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// A JSON value's text without whitespace between its tokens (strings untouched): a row on
/// one line as `sweep` writes it, however the document was formatted since (`jq .`).
fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_drops_whitespace_between_tokens_only() {
        assert_eq!(
            compact("{ \"a b\" : [ 1 ,\n 2 ],\t\"c\": \"x \\\" y\\\\\" , \"d\" : null }"),
            "{\"a b\":[1,2],\"c\":\"x \\\" y\\\\\",\"d\":null}"
        );
    }
}
