//! TOML registry mirror tables (`[plugins."…".registry.mirrors."k8s.gcr.io"]` and the lines
//! below them) and containerd's `certs.d/<host>/` namespaces: maps keyed by the registry host.

use std::ops::Range;

use regex::bytes::Regex;

use super::TextLayout as Layout;
use crate::carrier::Carrier;
use crate::source::{LineFact, SourceFile};

/// How many lines above a hit the TOML table header that holds it may be.
pub(super) const TABLE_LOOKBACK: usize = 200;

/// A TOML table header of a registry mirror or setting: `[…mirrors."host"]`, `[…configs.'host'…]`.
pub(super) fn mirror_header() -> Regex {
    Regex::new(r#"(?:mirrors|configs)\s*\.\s*["']"#).expect("static pattern compiles")
}

/// The TOML mirror table around `offset`: its header line and its byte range. The nearest
/// line above (or at) it that starts with `[` must be a `mirrors."…"` or `configs."…"`
/// header; the table runs to the next header.
pub(super) fn mirror_table(
    header_pattern: &Regex,
    source: &SourceFile,
    layout: &Layout,
    offset: usize,
) -> Option<(usize, Range<usize>)> {
    // The nearest header at or above the hit's line, at most TABLE_LOOKBACK - 1 lines up.
    let line = source.line_range_at(offset);
    let below = layout.headers.partition_point(|&start| start <= line.start);
    let header_start = *layout.headers.get(below.checked_sub(1)?)?;
    let header_index = source.line_index(header_start);
    if source.line_index(offset) - header_index >= TABLE_LOOKBACK {
        return None;
    }
    let header = source.line_range(header_index);
    let is_mirror = source.line_fact(header_index, LineFact::MirrorHeader, || {
        header_pattern
            .is_match(&source.bytes[header.clone()])
            .then_some(0)
    });
    is_mirror?;
    // The table ends before the next header; without one close below, at the file's end.
    let end = layout
        .headers
        .get(below)
        .map(|&next| source.line_index(next))
        .filter(|&next_index| next_index - header_index < TABLE_LOOKBACK)
        .and_then(|next_index| {
            source
                .previous_line(&source.line_range(next_index))
                .map(|before| before.end)
        })
        .unwrap_or_else(|| source.line_range(source.line_count() - 1).end);
    let end = match source.carrier {
        Carrier::Toml => end,
        // TOML written from a script (a heredoc), a YAML block scalar (kind's
        // `containerdConfigPatches`) or a Markdown code block: the table also ends where the
        // TOML does, so a `docker pull` after the heredoc is not a line of the table.
        _ => embedded_table_end(source, header_index, end),
    };
    (offset < end || line.start == header.start).then_some((header_index, header.start..end))
}

/// Where a mirror table in TOML embedded in another file ends, at most at `end`: before the
/// first non-blank line indented less than its header (the end of a block scalar), or one that
/// is no TOML table line (a heredoc's terminator, a command, a fence).
fn embedded_table_end(source: &SourceFile, header_index: usize, end: usize) -> usize {
    let indent = |line: &[u8]| {
        line.iter()
            .take_while(|byte| byte.is_ascii_whitespace())
            .count()
    };
    let header_indent = indent(&source.bytes[source.line_range(header_index)]);
    let mut index = header_index + 1;
    while index < source.line_count() {
        let range = source.line_range(index);
        if range.start >= end {
            break;
        }
        let line = &source.bytes[range.clone()];
        let text = line.trim_ascii();
        let toml = text.is_empty()
            || (indent(line) >= header_indent
                && (text.contains(&b'=')
                    || matches!(text[0], b'#' | b'[' | b']' | b'{' | b'}' | b'"' | b'\'')));
        if !toml {
            return source
                .previous_line(&range)
                .map_or(range.start, |before| before.end);
        }
        index += 1;
    }
    end
}

/// The starts of the lines whose first non-blank byte is `[` (TOML table headers), in order:
/// one pass per file, so that each hit finds its table by a binary search.
pub(super) fn table_headers(bytes: &[u8]) -> Vec<usize> {
    let mut headers = Vec::new();
    // The start of the line of the last `[` seen, and where that line search ended.
    let mut line_start = 0;
    let mut searched_to = 0;
    for at in memchr::memchr_iter(b'[', bytes) {
        if let Some(newline) = memchr::memrchr(b'\n', &bytes[searched_to..at]) {
            line_start = searched_to + newline + 1;
        }
        searched_to = at;
        if bytes[line_start..at].iter().all(u8::is_ascii_whitespace)
            && headers.last() != Some(&line_start)
        {
            headers.push(line_start);
        }
    }
    headers
}

/// containerd's `certs.d/<host>/hosts.toml` is a namespace keyed by the registry host: the
/// file itself, and the path written in scripts that create it.
pub(super) fn is_certs_d_namespace(path: &str, prefix: &[u8]) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.contains("certs.d/k8s.gcr.io/") || prefix.ends_with(b"certs.d/")
}

/// A host mapped to its mirror's endpoint in one word: `k8s.gcr.io=http://10.5.0.1:5001`, as
/// talosctl's `--registry-mirror` takes it. `after` is the rest of the line after the host.
pub fn is_endpoint_mapping(after: &[u8]) -> bool {
    after.starts_with(b"=http://") || after.starts_with(b"=https://")
}
