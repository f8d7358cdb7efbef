//! Go template actions: a literal inside `{{ … }}` is rendered (`default "k8s.gcr.io"`) or
//! compared and cut away (`eq`, `hasPrefix`, `trimPrefix`), which decides whether it may be
//! rewritten.

use std::ops::Range;

/// The inside of the `{{ … }}` action on `line` that holds bytes `start..end`, if any.
pub(super) fn template_action(line: &[u8], start: usize, end: usize) -> Option<Range<usize>> {
    let before = &line[..start];
    let open = memchr::memmem::rfind(before, b"{{")?;
    if memchr::memmem::rfind(before, b"}}").is_some_and(|close| close > open) {
        return None;
    }
    let close = end + memchr::memmem::find(&line[end..], b"}}")?;
    Some(open + 2..close)
}

/// Template functions whose literal arguments are tested or cut away, not rendered.
pub(super) fn compares_or_strips(action: &[u8]) -> bool {
    const FUNCTIONS: &[&str] = &[
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "has",
        "hasPrefix",
        "hasSuffix",
        "contains",
        "regexMatch",
        "regexFind",
        "regexFindAll",
        "regexReplaceAll",
        "trimPrefix",
        "trimSuffix",
        "trimAll",
        "replace",
        "semverCompare",
    ];
    String::from_utf8_lossy(action)
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '|'))
        .any(|word| FUNCTIONS.contains(&word))
}
