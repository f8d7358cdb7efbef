//! Whole-token host matching. This is the text layer that decides what exists and where: every
//! legacy host form in a buffer, with the exact bytes to replace, what is left and right of it,
//! and the image reference around it. It never looks at file kinds or YAML structure.
//!
//! The token rule (domain reference §2.1): a candidate host is a maximal run of hostname bytes
//! `[A-Za-z0-9.-]`; a leading `.`/`-` and a trailing `.` are not part of it (as in `${X:-k8s.gcr.io}`
//! or at the end of a sentence). It is the legacy host only if the whole token equals
//! `k8s.gcr.io`, ASCII case-insensitively, so `staging-k8s.gcr.io`, `notk8s.gcr.io`,
//! `k8s.gcr.io.mirror.example.net` and `k8s.gcr.io-notes` never match.

use std::borrow::Cow;
use std::ops::{ControlFlow, Range};

use memchr::memmem;

use super::gate::CaselessSearch;
use crate::rules::{HOST_PATTERNS, Rule, Segment, Treatment, host_needles};

pub use crate::rules::{LEGACY_HOST, NEW_HOST};

/// Which legacy form a hit is: a host pattern of the catalogue (by its rule) or a registry
/// move from the configuration (by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostForm {
    /// A built-in form: `k8s.gcr.io` is `Builtin(Rule::LegacyHost)` (see `rules::HOST_PATTERNS`).
    Builtin(Rule),
    /// A registry moved by the configuration (`[[move]]`), by index.
    Move(usize),
}

impl HostForm {
    /// The rule its references are reported under when nothing else decides.
    pub fn rule(self) -> Rule {
        match self {
            HostForm::Builtin(rule) => rule,
            HostForm::Move(_) => Rule::RegistryMove,
        }
    }

    /// What a fix writes in place of the matched bytes; `None` for a form that is only
    /// reported (a staging registry).
    pub fn destination(self, moves: &[Move]) -> Option<&str> {
        match self {
            HostForm::Builtin(rule) => match rule.host().map(|host| &host.treatment) {
                Some(Treatment::Rewrite { to, .. }) => Some(to),
                _ => None,
            },
            HostForm::Move(index) => {
                Some(moves.get(index).map_or(NEW_HOST, |moved| moved.to.as_str()))
            }
        }
    }

    /// Whether references of this form are rewritten somewhere (moved, not only reported).
    pub fn is_moved(self) -> bool {
        self.destination(&[]).is_some()
    }
}
/// A registry move from the configuration: `from` (a host, optionally with path segments)
/// becomes `to`. Matched with the same whole-token rule as the built-in hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// Lowercase host.
    pub host: String,
    /// Path segments after the host that must follow as whole segments.
    pub path: Vec<String>,
    pub to: String,
    /// Whether `fix` applies it without `--unsafe-fixes`.
    pub safe: bool,
}

impl Move {
    /// `from` as written in the configuration.
    pub fn from(&self) -> String {
        std::iter::once(self.host.as_str())
            .chain(self.path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// What stands left of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// Start of a value: whitespace, a quote, `=`, `,`, `[`, `(` … : the host is the registry.
    Registry,
    /// After `scheme://` (or `//`): the host of a URL.
    UrlHost,
    /// A path component after another registry host: a pull-through cache project.
    ProxyPath,
    /// A segment of a URL path or a file path: it names a folder, not a registry.
    PathSegment,
}

/// What follows the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `host/path…`: an image reference (possibly templated).
    Image,
    /// The host alone, optionally followed by a `/` that ends the value (a registry prefix).
    BareHost { trailing_slash: bool },
}

/// One legacy host form found in a buffer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostHit {
    pub form: HostForm,
    /// The bytes a fix replaces: the host, or host plus project prefix (no trailing `/`).
    pub range: Range<usize>,
    /// The reference around it: image reference, URL, or path word. Contains `range`.
    pub reference: Range<usize>,
    pub position: Position,
    pub shape: Shape,
}

/// Finds host hits. Built once and shared by every worker.
#[derive(Debug, Clone)]
pub struct HostScanner {
    /// The needles, searched ignoring case in lowercase blocks (SIMD substring search; a
    /// case-insensitive automaton falls back to a slow rare-byte prefilter).
    needles: CaselessSearch,
    /// How many of `needles` are host needles; the rest are markers ([`Self::with_markers`]).
    host_needles: usize,
    moves: Vec<Move>,
}

impl Default for HostScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl HostScanner {
    pub fn new() -> HostScanner {
        Self::with_moves(Vec::new())
    }

    /// A scanner that also finds the configured moves (which win over built-in forms).
    pub fn with_moves(moves: Vec<Move>) -> HostScanner {
        Self::with_markers(moves, &[])
    }

    /// A scanner that also tells whether any of `markers` appears (ignoring ASCII case), in
    /// the same pass as the hosts ([`Self::scan_tokens`]): a second pass over a large file
    /// costs as much as the first.
    pub fn with_markers(moves: Vec<Move>, markers: &[&[u8]]) -> HostScanner {
        // Every host form contains one of the catalogue's needles: a file without any has
        // nothing to report.
        let hosts: Vec<&[u8]> = host_needles()
            .into_iter()
            .map(str::as_bytes)
            .chain(moves.iter().map(|moved| moved.host.as_bytes()))
            .collect();
        let host_needles = hosts.len();
        let needles = CaselessSearch::new(hosts.into_iter().chain(markers.iter().copied()));
        HostScanner {
            needles,
            host_needles,
            moves,
        }
    }

    pub fn moves(&self) -> &[Move] {
        &self.moves
    }

    /// Whether `bytes` holds any needle, a host's or a marker's (ignoring ASCII case): without
    /// one, a scan finds no hit and no marker. Stops at the first.
    pub fn may_match(&self, bytes: &[u8]) -> bool {
        self.needles.is_match(bytes)
    }

    /// Every host hit in `bytes`, in order of position.
    pub fn scan(&self, bytes: &[u8]) -> Vec<HostHit> {
        self.scan_tokens(bytes, |_| {}).hits
    }

    /// [`Self::scan`], whether a marker appears in `bytes` (ignoring ASCII case), and the range
    /// of every host token around a needle, hit or not, passed to `token`: callers that need
    /// other hosts (a split reference's `registry: us.gcr.io`) learn of them from the same pass.
    pub fn scan_tokens(&self, bytes: &[u8], mut token: impl FnMut(Range<usize>)) -> Scan {
        let mut hits = Vec::new();
        // Matches inside a run already examined belong to that run's token.
        let mut resume_at = 0;
        // Every needle match, leftmost first; at one start, the first needle wins.
        let mut matches: Vec<(usize, usize, usize)> = Vec::new();
        let mut marked = false;
        let _ = self.needles.for_each(bytes, |at, index| {
            if index < self.host_needles {
                matches.push((at, index, at + self.needles.needle_len(index)));
            } else {
                marked = true;
            }
            ControlFlow::Continue(())
        });
        matches.sort_unstable();
        for (start, _, end) in matches {
            if start < resume_at {
                continue;
            }
            let run_start = extend_left(bytes, start, is_host_byte);
            let run_end = extend_right(bytes, end, is_host_byte);
            resume_at = run_end;
            let trimmed = trim_token(bytes, run_start..run_end);
            token(trimmed.clone());
            if let Some(hit) = classify_token_at(bytes, trimmed, &self.moves) {
                hits.push(hit);
            }
        }
        Scan { hits, marked }
    }
}

/// What one pass of [`HostScanner::scan_tokens`] found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Every host hit, in order of position.
    pub hits: Vec<HostHit>,
    /// Whether a marker appears (ignoring ASCII case).
    pub marked: bool,
}

/// The hit a token is, if any: its form, the bytes a fix replaces, where it stands.
fn classify_token_at(bytes: &[u8], token: Range<usize>, moves: &[Move]) -> Option<HostHit> {
    if token.is_empty() {
        return None;
    }
    // `FOO_k8s.gcr.io` is part of a longer identifier, not a host.
    if token.start > 0 && bytes[token.start - 1] == b'_' {
        return None;
    }
    let (form, range) =
        classify_move(bytes, token.clone(), moves).or_else(|| classify_token(bytes, token))?;
    let (mut position, reference_start) = left_position(bytes, range.start);
    let (shape, reference_end) = if position == Position::UrlHost {
        url_shape(bytes, range.end)
    } else {
        reference_shape(bytes, range.end)
    };
    if position == Position::Registry
        && shape == Shape::Image
        && names_a_file(&bytes[range.end..reference_end])
    {
        // `k8s.gcr.io/images/k8s-staging-dns/images.yaml` in the kubernetes/k8s.io repository
        // is a file in a folder named after the registry.
        position = Position::PathSegment;
    }
    Some(HostHit {
        form,
        reference: reference_start.min(range.start)..reference_end.max(range.end),
        range,
        position,
        shape,
    })
}

/// Drop leading `.`/`-` (hostnames cannot start with them: `${REG:-k8s.gcr.io}`, `…k8s.gcr.io`)
/// and trailing `.` (end of a sentence).
fn trim_token(bytes: &[u8], run: Range<usize>) -> Range<usize> {
    let mut start = run.start;
    let mut end = run.end;
    while start < end && matches!(bytes[start], b'.' | b'-') {
        start += 1;
    }
    while end > start && bytes[end - 1] == b'.' {
        end -= 1;
    }
    start..end
}

/// A configured move whose host is the token and whose path segments follow it whole.
fn classify_move(
    bytes: &[u8],
    token: Range<usize>,
    moves: &[Move],
) -> Option<(HostForm, Range<usize>)> {
    let text = &bytes[token.clone()];
    moves.iter().enumerate().find_map(|(index, moved)| {
        if !text.eq_ignore_ascii_case(moved.host.as_bytes()) {
            return None;
        }
        let end = segments_after(bytes, token.end, moved.path.len(), |at, name| {
            name.eq_ignore_ascii_case(moved.path[at].as_bytes())
        })?;
        Some((HostForm::Move(index), token.start..end))
    })
}

/// Which built-in form the token at `token` in `bytes` is, and the range a fix replaces (host
/// plus any project prefix): the first of the catalogue's host patterns that matches.
pub fn builtin_form(bytes: &[u8], token: Range<usize>) -> Option<(HostForm, Range<usize>)> {
    classify_token(bytes, token)
}

fn classify_token(bytes: &[u8], token: Range<usize>) -> Option<(HostForm, Range<usize>)> {
    let text = &bytes[token.clone()];
    HOST_PATTERNS.iter().find_map(|pattern| {
        if !pattern.host.matches(text) {
            return None;
        }
        let end = segments_after(bytes, token.end, pattern.path.len(), |at, name| {
            Segment::matches(pattern.path[at], name)
        })?;
        Some((HostForm::Builtin(pattern.rule), token.start..end))
    })
}

/// The end of `count` path segments that follow `at` whole, each after a separator, when
/// `matches(index, name)` accepts every one.
fn segments_after(
    bytes: &[u8],
    mut at: usize,
    count: usize,
    matches: impl Fn(usize, &[u8]) -> bool,
) -> Option<usize> {
    for index in 0..count {
        let found = path_segment_after(bytes, at)?;
        if !matches(index, &bytes[found.clone()]) {
            return None;
        }
        at = found.end;
    }
    Some(at)
}

/// The length of the path separator at `at`: `/`, or `\/` as JSON may escape it; 0 if none.
fn slash_len(bytes: &[u8], at: usize) -> usize {
    match bytes.get(at) {
        Some(b'/') => 1,
        Some(b'\\') if bytes.get(at + 1) == Some(&b'/') => 2,
        _ => 0,
    }
}

/// The path segment right after a separator at `at`: a maximal run of path bytes.
fn path_segment_after(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    let slash = slash_len(bytes, at);
    if slash == 0 {
        return None;
    }
    let start = at + slash;
    let end = extend_right(bytes, start, is_path_byte);
    (end > start).then_some(start..end)
}

/// Decide the position from what stands left of the host, and where the reference starts.
fn left_position(bytes: &[u8], start: usize) -> (Position, usize) {
    if start == 0 || bytes[start - 1] != b'/' {
        return (Position::Registry, start);
    }
    if start >= 2 && bytes[start - 2] == b'/' {
        // `scheme://host` or protocol-relative `//host`.
        let mut url_start = start - 2;
        if url_start > 0 && bytes[url_start - 1] == b':' {
            url_start = extend_left(bytes, url_start - 1, |byte| {
                byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'.' | b'-')
            });
        }
        return (Position::UrlHost, url_start);
    }
    let word_start = word_start(bytes, start - 1);
    let word = &bytes[word_start..start - 1];
    if memmem::find(word, b"://").is_some() {
        return (Position::PathSegment, word_start);
    }
    let first_component = word.split(|byte| *byte == b'/').next().unwrap_or_default();
    // `harbor.example.com\/k8s.gcr.io` in JSON: the escape belongs to the separator.
    let first_component = first_component
        .strip_suffix(b"\\")
        .unwrap_or(first_component);
    let position = if first_component.contains(&b'}') || first_component.contains(&b')') {
        // `{{ .Values.proxy }}/k8s.gcr.io/…`, `$(MIRROR)/k8s.gcr.io/…`: a registry from a variable.
        Position::ProxyPath
    } else if looks_like_registry_host(first_component) && !is_code_host(first_component) {
        Position::ProxyPath
    } else {
        Position::PathSegment
    };
    (position, word_start)
}

/// Scan left from `end` over the bytes of one word (an image reference or path), on one line.
fn word_start(bytes: &[u8], end: usize) -> usize {
    const MAX_WORD: usize = 2048;
    let floor = end.saturating_sub(MAX_WORD);
    let mut start = end;
    while start > floor && !is_word_delimiter(bytes[start - 1]) {
        start -= 1;
    }
    start
}

/// Registry hosts and image paths are ASCII, so a non-ASCII byte (a BOM, prose) ends a word.
fn is_word_delimiter(byte: u8) -> bool {
    !byte.is_ascii()
        || byte.is_ascii_whitespace()
        || matches!(
            byte,
            b'"' | b'\'' | b'`' | b'=' | b'(' | b'[' | b'{' | b',' | b';' | b'<' | b'>' | b'|'
        )
}

/// `harbor.example.com`, `registry.local:5000`, `localhost:5000`, `10.0.0.1:5000`.
fn looks_like_registry_host(component: &[u8]) -> bool {
    let (host, has_port) = match component.iter().rposition(|byte| *byte == b':') {
        Some(colon)
            if colon + 1 < component.len()
                && component[colon + 1..].iter().all(u8::is_ascii_digit) =>
        {
            (&component[..colon], true)
        }
        _ => (component, false),
    };
    if host.is_empty() || !host.iter().all(|byte| is_host_byte(*byte)) {
        return false;
    }
    if host.eq_ignore_ascii_case(b"localhost") || has_port {
        return true;
    }
    let labels: Vec<&[u8]> = host.split(|byte| *byte == b'.').collect();
    if labels.len() < 2 || labels.iter().any(|label| label.is_empty()) {
        return false;
    }
    let is_ipv4 = labels.len() == 4 && labels.iter().all(|l| l.iter().all(u8::is_ascii_digit));
    let top_level = labels[labels.len() - 1];
    is_ipv4 || (top_level.len() >= 2 && top_level.iter().all(u8::is_ascii_alphabetic))
}

/// Hosts whose paths are web pages or Go import paths, never container registries.
fn is_code_host(host: &[u8]) -> bool {
    const CODE_HOSTS: &[&[u8]] = &[
        b"github.com",
        b"gitlab.com",
        b"bitbucket.org",
        b"raw.githubusercontent.com",
        b"k8s.io",
        b"sigs.k8s.io",
        b"golang.org",
        b"go.dev",
        b"pkg.go.dev",
        b"gopkg.in",
        b"kubernetes.io",
    ];
    CODE_HOSTS
        .iter()
        .any(|code| host.eq_ignore_ascii_case(code))
}

/// After the replaced range: an image path, a bare host, or a host with a trailing slash.
/// Returns the shape and the end of the reference.
fn reference_shape(bytes: &[u8], end: usize) -> (Shape, usize) {
    let mut at = end;
    // Optional `:port` before the path.
    if bytes.get(at) == Some(&b':') {
        let digits_end = extend_right(bytes, at + 1, |byte| byte.is_ascii_digit());
        if digits_end > at + 1 && bytes.get(digits_end) == Some(&b'/') {
            at = digits_end;
        }
    }
    let slash = slash_len(bytes, at);
    if slash == 0 {
        return (
            Shape::BareHost {
                trailing_slash: false,
            },
            end,
        );
    }
    match bytes.get(at + slash) {
        Some(&next) if next.is_ascii_alphanumeric() || matches!(next, b'$' | b'{' | b'(') => {
            (Shape::Image, image_reference_end(bytes, at))
        }
        _ => (
            Shape::BareHost {
                trailing_slash: true,
            },
            at + slash,
        ),
    }
}

/// The end of `/path[:tag][@digest]` starting at `at` (which holds the first separator).
fn image_reference_end(bytes: &[u8], at: usize) -> usize {
    let mut end = at;
    loop {
        end = extend_right(bytes, end, |byte| is_path_byte(byte) || byte == b'/');
        match slash_len(bytes, end) {
            0 => break,
            slash => end += slash,
        }
    }
    if bytes.get(end) == Some(&b':') {
        let tag_end = extend_right(bytes, end + 1, |byte| {
            byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-')
        });
        let first_ok = bytes
            .get(end + 1)
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'_');
        if first_ok && tag_end - (end + 1) <= 128 {
            end = tag_end;
        }
    }
    if bytes.get(end) == Some(&b'@') {
        let algorithm_end = extend_right(bytes, end + 1, |byte| byte.is_ascii_alphanumeric());
        if algorithm_end > end + 1 && bytes.get(algorithm_end) == Some(&b':') {
            let hex_end = extend_right(bytes, algorithm_end + 1, |byte| byte.is_ascii_hexdigit());
            if hex_end - (algorithm_end + 1) >= 32 {
                end = hex_end;
            }
        }
    }
    end = templated_end(bytes, end);
    // A sentence may end right after a reference: `pull k8s.gcr.io/pause.`
    while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-' | b'/' | b'_') {
        end -= 1;
    }
    end
}

/// A reference may go on in a template or a variable (`:{{ .Values.tag }}`,
/// `-${ARCH}:${VERSION}`, `$(ARCH)`): its extent takes them in, so the reference reads as
/// templated rather than as a shorter image name.
fn templated_end(bytes: &[u8], mut end: usize) -> usize {
    const MAX_EXPRESSION: usize = 200;
    loop {
        let mut at = end;
        if bytes.get(at) == Some(&b':') {
            at += 1;
        }
        let rest = &bytes[at.min(bytes.len())..];
        let close = if rest.starts_with(b"{{") {
            memmem::find(&rest[..rest.len().min(MAX_EXPRESSION)], b"}}").map(|close| close + 2)
        } else if rest.starts_with(b"${") {
            memchr::memchr(b'}', &rest[..rest.len().min(MAX_EXPRESSION)]).map(|close| close + 1)
        } else if rest.starts_with(b"$(") {
            memchr::memchr(b')', &rest[..rest.len().min(MAX_EXPRESSION)]).map(|close| close + 1)
        } else if rest.first() == Some(&b'$')
            && rest
                .get(1)
                .is_some_and(|byte| byte.is_ascii_alphabetic() || *byte == b'_')
        {
            Some(
                1 + rest[1..]
                    .iter()
                    .take_while(|byte| byte.is_ascii_alphanumeric() || **byte == b'_')
                    .count(),
            )
        } else {
            None
        };
        let Some(length) = close.filter(|length| !rest[..*length].contains(&b'\n')) else {
            return end;
        };
        end = extend_right(bytes, at + length, |byte| {
            is_path_byte(byte) || matches!(byte, b'/' | b':' | b'@')
        });
    }
}

/// Whether an image path (after the host) is really a file path: its last component has a
/// file extension no image name carries, and there is no tag or digest.
fn names_a_file(path: &[u8]) -> bool {
    const FILE_EXTENSIONS: &[&[u8]] = &[
        b"yaml", b"yml", b"json", b"md", b"txt", b"toml", b"sh", b"go", b"py", b"tgz", b"tar",
        b"gz", b"html", b"conf", b"cfg", b"ini", b"xml", b"csv", b"lock", b"sum", b"mod",
    ];
    let last = path.rsplit(|byte| *byte == b'/').next().unwrap_or_default();
    if last.contains(&b':') || last.contains(&b'@') {
        return false;
    }
    match last.iter().rposition(|byte| *byte == b'.') {
        Some(dot) if dot > 0 => {
            let extension = &last[dot + 1..];
            FILE_EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        }
        _ => false,
    }
}

/// After a URL host: the rest of the URL.
fn url_shape(bytes: &[u8], end: usize) -> (Shape, usize) {
    let mut url_end = extend_right(bytes, end, |byte| {
        !byte.is_ascii_whitespace()
            && !matches!(
                byte,
                b'"' | b'\'' | b'`' | b'<' | b'>' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'|'
            )
    });
    while url_end > end && matches!(bytes[url_end - 1], b'.' | b',' | b';' | b':' | b'!' | b'?') {
        url_end -= 1;
    }
    let shape = if url_end > end + 1 && bytes[end] == b'/' {
        Shape::Image
    } else {
        Shape::BareHost {
            trailing_slash: url_end == end + 1,
        }
    };
    (shape, url_end)
}

pub fn is_host_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-'
}

fn is_path_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-')
}

fn extend_left(bytes: &[u8], mut start: usize, keep: impl Fn(u8) -> bool) -> usize {
    while start > 0 && keep(bytes[start - 1]) {
        start -= 1;
    }
    start
}

fn extend_right(bytes: &[u8], mut end: usize, keep: impl Fn(u8) -> bool) -> usize {
    while end < bytes.len() && keep(bytes[end]) {
        end += 1;
    }
    end
}

/// Whether `bytes` names `registry.k8s.io` as a whole token (used by the "already migrated"
/// refinement).
pub fn contains_new_host(bytes: &[u8]) -> bool {
    contains_host(bytes, NEW_HOST)
}

/// `bytes` with ASCII letters lowercased, copied only when it has an uppercase one (hosts are
/// matched ignoring case).
fn lowercase(bytes: &[u8]) -> Cow<'_, [u8]> {
    if bytes.iter().any(u8::is_ascii_uppercase) {
        Cow::Owned(bytes.to_ascii_lowercase())
    } else {
        Cow::Borrowed(bytes)
    }
}

/// Whether `bytes` names `host` (lowercase; a host optionally followed by a path) with whole
/// tokens at both ends.
pub fn contains_host(bytes: &[u8], host: &str) -> bool {
    let finder = memmem::Finder::new(host.as_bytes());
    let haystack = lowercase(bytes);
    let haystack = &haystack[..];
    finder.find_iter(haystack).any(|at| {
        let end = at + host.len();
        let left_ok = at == 0 || !is_host_byte(haystack[at - 1]);
        let right_ok = end == haystack.len()
            || !is_host_byte(haystack[end])
            || (haystack[end] == b'.' && haystack.get(end + 1).is_none_or(|b| !is_host_byte(*b)));
        left_ok && right_ok
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Vec<(HostForm, String, Position, Shape, String)> {
        HostScanner::new()
            .scan(text.as_bytes())
            .into_iter()
            .map(|hit| {
                (
                    hit.form,
                    text[hit.range.clone()].to_string(),
                    hit.position,
                    hit.shape,
                    text[hit.reference.clone()].to_string(),
                )
            })
            .collect()
    }

    fn one(text: &str) -> (HostForm, String, Position, Shape, String) {
        let mut hits = scan(text);
        assert_eq!(hits.len(), 1, "{text}: {hits:?}");
        hits.remove(0)
    }

    #[test]
    fn image_reference_in_registry_position() {
        let (form, matched, position, shape, reference) =
            one("    image: k8s.gcr.io/busybox:1.27\n");
        assert_eq!(form, HostForm::Builtin(Rule::LegacyHost));
        assert_eq!(matched, "k8s.gcr.io");
        assert_eq!(position, Position::Registry);
        assert_eq!(shape, Shape::Image);
        assert_eq!(reference, "k8s.gcr.io/busybox:1.27");
    }

    #[test]
    fn digest_and_tag_are_part_of_the_reference() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let text = format!("\"k8s.gcr.io/ingress-nginx/controller:v1.2.1@{digest}\"");
        assert_eq!(
            one(&text).4,
            format!("k8s.gcr.io/ingress-nginx/controller:v1.2.1@{digest}")
        );
    }

    #[test]
    fn lookalikes_are_not_the_legacy_host() {
        for text in [
            "k8s.gcr.io.mirror.example.net/pause",
            "notk8s.gcr.io/pause",
            "https://example.com/k8s.gcr.io-notes",
            "FOO_k8s.gcr.io",
            "mirror.gcr.io/library/nginx",
            "gcr.io/google-samples/hello-app:1.0",
            "us.gcr.io/other-project/x",
            "asia-k8s.gcr.io/pause",
        ] {
            assert!(scan(text).is_empty(), "{text}: {:?}", scan(text));
        }
    }

    #[test]
    fn staging_forms() {
        assert_eq!(
            one("staging-k8s.gcr.io/pause").0,
            HostForm::Builtin(Rule::StagingRegistry)
        );
        let (form, matched, ..) = one("gcr.io/k8s-staging-ingress-nginx/controller:v1");
        assert_eq!(form, HostForm::Builtin(Rule::StagingRegistry));
        assert_eq!(matched, "gcr.io/k8s-staging-ingress-nginx");
        let (form, matched, ..) = one("us-central1-docker.pkg.dev/k8s-staging-images/dns/x:1");
        assert_eq!(form, HostForm::Builtin(Rule::StagingRegistry));
        assert_eq!(matched, "us-central1-docker.pkg.dev/k8s-staging-images");
    }

    #[test]
    fn backend_and_project_prefixes() {
        let (form, matched, _, shape, _) = one("eu.gcr.io/k8s-artifacts-prod/pause:3.9");
        assert_eq!(
            (form, matched.as_str(), shape),
            (
                HostForm::Builtin(Rule::LegacyBackend),
                "eu.gcr.io/k8s-artifacts-prod",
                Shape::Image
            )
        );
        let (form, matched, ..) =
            one("europe-west9-docker.pkg.dev/k8s-artifacts-prod/images/pause:3.9");
        assert_eq!(form, HostForm::Builtin(Rule::LegacyBackend));
        assert_eq!(
            matched,
            "europe-west9-docker.pkg.dev/k8s-artifacts-prod/images"
        );
        let (form, matched, ..) = one("gcr.io/google_containers/pause-amd64:3.0");
        assert_eq!(
            (form, matched.as_str()),
            (
                HostForm::Builtin(Rule::LegacyGcrProject),
                "gcr.io/google_containers"
            )
        );
        assert_eq!(
            one("GCR.IO/Google-Containers/pause").0,
            HostForm::Builtin(Rule::LegacyGcrProject)
        );
    }

    #[test]
    fn uppercase_host_is_the_legacy_host() {
        assert_eq!(one("K8S.GCR.IO/pause:3.9").1, "K8S.GCR.IO");
    }

    #[test]
    fn shell_default_expansion() {
        let (form, matched, position, shape, _) = one("${REGISTRY:-k8s.gcr.io}/pause");
        assert_eq!(form, HostForm::Builtin(Rule::LegacyHost));
        assert_eq!(matched, "k8s.gcr.io");
        assert_eq!(position, Position::Registry);
        assert_eq!(
            shape,
            Shape::BareHost {
                trailing_slash: false
            }
        );
    }

    #[test]
    fn end_of_sentence_dot_is_not_part_of_the_host() {
        let (_, matched, _, shape, _) = one("images moved away from k8s.gcr.io.");
        assert_eq!(matched, "k8s.gcr.io");
        assert_eq!(
            shape,
            Shape::BareHost {
                trailing_slash: false
            }
        );
        assert_eq!(one("docker pull k8s.gcr.io/pause.").4, "k8s.gcr.io/pause");
    }

    #[test]
    fn proxy_paths_and_path_segments() {
        let (_, _, position, _, reference) = one("image: harbor.example.com/k8s.gcr.io/pause:3.9");
        assert_eq!(position, Position::ProxyPath);
        assert_eq!(reference, "harbor.example.com/k8s.gcr.io/pause:3.9");
        assert_eq!(
            one("localhost:5000/k8s.gcr.io/pause").2,
            Position::ProxyPath
        );
        assert_eq!(
            one("{{ .Values.proxy }}/k8s.gcr.io/pause").2,
            Position::ProxyPath
        );
        assert_eq!(
            one("https://github.com/kubernetes/k8s.io/tree/main/k8s.gcr.io").2,
            Position::PathSegment
        );
        assert_eq!(
            one("k8s.gcr.io/images/k8s-staging-dns/images.yaml").2,
            Position::PathSegment
        );
        assert_eq!(one("k8s.gcr.io/pause:3.9").2, Position::Registry);
        assert_eq!(
            one("/etc/containerd/certs.d/k8s.gcr.io/hosts.toml").2,
            Position::PathSegment
        );
        assert_eq!(
            one("\u{feff}harbor.example.com/k8s.gcr.io/pause").2,
            Position::ProxyPath
        );
        assert_eq!(
            one("certs.d/k8s.gcr.io/hosts.toml").2,
            Position::PathSegment
        );
        assert_eq!(
            one("github.com/kubernetes/k8s.io/blob/main/k8s.gcr.io/x").2,
            Position::PathSegment
        );
    }

    #[test]
    fn url_hosts() {
        let (_, _, position, shape, reference) =
            one("curl -s https://k8s.gcr.io/v2/pause/tags/list | jq");
        assert_eq!(position, Position::UrlHost);
        assert_eq!(shape, Shape::Image);
        assert_eq!(reference, "https://k8s.gcr.io/v2/pause/tags/list");
    }

    #[test]
    fn bare_hosts_with_and_without_slash() {
        assert_eq!(
            one("imageRepository: k8s.gcr.io\n").3,
            Shape::BareHost {
                trailing_slash: false
            }
        );
        let (_, _, _, shape, reference) = one("{{ default \"k8s.gcr.io/\" .Values.reg }}");
        assert_eq!(
            shape,
            Shape::BareHost {
                trailing_slash: true
            }
        );
        assert_eq!(reference, "k8s.gcr.io/");
    }

    #[test]
    fn several_hits_on_one_line() {
        let hits = scan("docker tag k8s.gcr.io/pause:3.9 k8s.gcr.io/pause:latest");
        assert_eq!(hits.len(), 2);
    }

    #[test]
    fn json_escaped_slashes() {
        let (_, matched, position, shape, reference) = one(r#""image":"k8s.gcr.io\/pause:3.9""#);
        assert_eq!(
            (matched.as_str(), position, shape),
            ("k8s.gcr.io", Position::Registry, Shape::Image)
        );
        assert_eq!(reference, r"k8s.gcr.io\/pause:3.9");
        assert_eq!(
            one(r#""gcr.io\/google_containers\/pause""#).0,
            HostForm::Builtin(Rule::LegacyGcrProject)
        );
        assert_eq!(
            one(r#""harbor.example.com\/k8s.gcr.io\/pause""#).2,
            Position::ProxyPath
        );
    }

    #[test]
    fn templated_references_take_their_templates_in() {
        assert_eq!(
            one("image: \"k8s.gcr.io/pause:{{ .Values.tag }}\"").4,
            "k8s.gcr.io/pause:{{ .Values.tag }}"
        );
        assert_eq!(
            one("FROM k8s.gcr.io/etcd:${ETCD_VERSION} AS etcd").4,
            "k8s.gcr.io/etcd:${ETCD_VERSION}"
        );
        assert_eq!(
            one("docker pull k8s.gcr.io/pause-$(ARCH):3.9").4,
            "k8s.gcr.io/pause-$(ARCH):3.9"
        );
        assert_eq!(
            one("k8s.gcr.io/kube-proxy-${ARCH}:v1.24.0 next").4,
            "k8s.gcr.io/kube-proxy-${ARCH}:v1.24.0"
        );
        assert_eq!(
            one("k8s.gcr.io/agnhost:2.40-$ARCH").4,
            "k8s.gcr.io/agnhost:2.40-$ARCH"
        );
        assert_eq!(
            one("image: k8s.gcr.io/pause:3.9 # {{ not this }}").4,
            "k8s.gcr.io/pause:3.9"
        );
    }

    #[test]
    fn port_after_host() {
        let (_, _, _, shape, reference) = one("k8s.gcr.io:443/pause:3.9");
        assert_eq!(shape, Shape::Image);
        assert_eq!(reference, "k8s.gcr.io:443/pause:3.9");
    }

    #[test]
    fn new_host_token() {
        assert!(contains_new_host(b"from k8s.gcr.io to registry.k8s.io."));
        assert!(contains_new_host(b"\"registry.k8s.io/pause\""));
        assert!(!contains_new_host(b"myregistry.k8s.io.example/pause"));
        assert!(!contains_new_host(b"k8s.gcr.io/pause"));
    }
}
