//! Whole-token host matching. This is the text layer that decides what exists and where: every
//! legacy host form in a buffer, with the exact bytes to replace, what is left and right of it,
//! and the image reference around it. It never looks at file kinds or YAML structure.
//!
//! The token rule (ARCHITECTURE.md, "Domain facts"): a candidate host is a maximal run of hostname bytes
//! `[A-Za-z0-9.-]`; a leading `.`/`-` and a trailing `.` are not part of it (as in `${X:-k8s.gcr.io}`
//! or at the end of a sentence). It is the legacy host only if the whole token equals
//! `k8s.gcr.io`, ASCII case-insensitively, so `staging-k8s.gcr.io`, `notk8s.gcr.io`,
//! `k8s.gcr.io.mirror.example.net` and `k8s.gcr.io-notes` never match.

use std::borrow::Cow;
use std::ops::{ControlFlow, Range};

use memchr::memmem;

mod reference;

use super::gate::CaselessSearch;
use crate::image_ref;
use crate::rules::{HOST_PATTERNS, Rule, Segment, Treatment, host_needles};
use reference::{left_position, names_a_file, reference_shape, url_shape};

pub use crate::rules::NEW_HOST;

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
    /// Whether the host token `token` is this move's host: the same host ignoring ASCII case,
    /// or any spelling of Docker Hub for a move of Docker Hub (`config.rs` stores Docker Hub
    /// as `docker.io`).
    pub fn host_matches(&self, token: &[u8]) -> bool {
        token.eq_ignore_ascii_case(self.host.as_bytes())
            || (self.is_docker_hub() && image_ref::is_docker_hub_host(token))
    }

    /// Whether this moves (part of) Docker Hub, where names need no host.
    pub fn is_docker_hub(&self) -> bool {
        self.host == image_ref::DOCKER_HUB
    }

    /// Whether a name's path on this move's registry (its components, normalised: Docker
    /// Hub's official images under `library`) starts with the move's path and goes on.
    pub fn moves_path(&self, components: &[&str]) -> bool {
        components.len() > self.path.len()
            && self
                .path
                .iter()
                .zip(components)
                .all(|(moved, component)| component.eq_ignore_ascii_case(moved))
    }

    /// What a split pair's `registry` and the start of its `repository` become: `to` as a
    /// registry host and the path under it, or, for a whole-registry move (whose registry
    /// value alone is a hit, swapped whole), all of `to` and no path.
    pub fn registry_and_path(&self) -> (&str, &str) {
        if self.path.is_empty() {
            return (&self.to, "");
        }
        self.to.split_once('/').unwrap_or((&self.to, ""))
    }

    /// A move of Docker Hub's official images (`docker.io/library`): `docker.io/redis` is
    /// `docker.io/library/redis`, so its host alone stands for the move's `from`.
    fn moves_official_images(&self) -> bool {
        self.is_docker_hub()
            && matches!(self.path.as_slice(), [namespace] if namespace == image_ref::OFFICIAL_NAMESPACE)
    }

    /// What a file must hold (as written) for a name of this move to stand without its host:
    /// a split pair's repository or a Docker Hub name (`structural/moved.rs`). A namespace
    /// gives `bitnami/`; Docker Hub's official images and all of Docker Hub, whose names
    /// may be one word (`redis`), give the words that hold them, `image` and `from`. A whole
    /// registry
    /// other than Docker Hub gives none: its names always spell its host.
    pub fn name_needles(&self) -> Vec<String> {
        match self.path.first() {
            Some(first) if !self.moves_official_images() => vec![format!("{first}/")],
            _ if self.is_docker_hub() => vec!["image".to_string(), "from".to_string()],
            _ => Vec::new(),
        }
    }

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
    /// How many of `needles` are host needles; markers ([`Self::with_markers`]) follow.
    host_needles: usize,
    /// Where the moves' name needles ([`Move::name_needles`]) start, after the markers.
    name_needles: usize,
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
        let names: Vec<String> = moves.iter().flat_map(Move::name_needles).collect();
        let needles = CaselessSearch::new(
            hosts
                .into_iter()
                .chain(markers.iter().copied())
                .chain(names.iter().map(String::as_bytes)),
        );
        HostScanner {
            needles,
            host_needles,
            name_needles: host_needles + markers.len(),
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
    pub fn scan_tokens(&self, bytes: &[u8], token: impl FnMut(Range<usize>)) -> Scan {
        self.scan_occurrences(bytes, self.occurrences(bytes), token)
    }

    /// Every occurrence of a needle (a host's or a marker's) in `bytes`, ignoring ASCII case.
    pub fn occurrences(&self, bytes: &[u8]) -> Occurrences {
        let mut found = Vec::new();
        let _ = self.needles.for_each(bytes, |at, index| {
            found.push((at, index, at + self.needles.needle_len(index)));
            ControlFlow::Continue(())
        });
        found.sort_unstable();
        Occurrences(found)
    }

    /// The occurrences in `fixed`, which is the buffer of `before` with `edits` applied
    /// (pairs of the edited range in the old buffer and the written range in `fixed`, sorted):
    /// exactly [`Self::occurrences`] of `fixed`, searching only around the edits. An
    /// occurrence that shares no byte with an edit (and does not straddle an insertion) has
    /// the same bytes after it, shifted; every other occurrence in `fixed` touches a written
    /// range, so it lies within a needle's length of one.
    pub fn occurrences_after_edits(
        &self,
        fixed: &[u8],
        before: &Occurrences,
        edits: &[(Range<usize>, Range<usize>)],
    ) -> Occurrences {
        let touches = |occurrence: &Range<usize>, edit: &Range<usize>| {
            if edit.is_empty() {
                occurrence.start < edit.start && edit.start < occurrence.end
            } else {
                occurrence.start < edit.end && edit.start < occurrence.end
            }
        };
        // An edit lies wholly before an occurrence at `start` (an insertion at `start` too).
        let before_occurrence = |edit: &Range<usize>, start: usize| {
            if edit.is_empty() {
                edit.start <= start
            } else {
                edit.end <= start
            }
        };
        let mut found = Vec::with_capacity(before.0.len());
        // Carried over: the edits before an occurrence shift it; one that touches it drops it.
        // Edits are sorted and disjoint, so those before an occurrence come first.
        let mut next = 0;
        let mut shift: isize = 0;
        for &(start, index, end) in &before.0 {
            while let Some((old, new)) = edits
                .get(next)
                .filter(|(old, _)| before_occurrence(old, start))
            {
                shift += new.len() as isize - old.len() as isize;
                next += 1;
            }
            if edits[next..]
                .iter()
                .take_while(|(old, _)| old.start < end)
                .any(|(old, _)| touches(&(start..end), old))
            {
                continue;
            }
            let moved = start.saturating_add_signed(shift);
            found.push((moved, index, moved + (end - start)));
        }
        // Searched again: what touches a written range.
        let reach = self.needles.longest().saturating_sub(1);
        for (_, written) in edits {
            let from = written.start.saturating_sub(reach);
            let to = (written.end + reach).min(fixed.len());
            let _ = self.needles.for_each(&fixed[from..to], |at, index| {
                let occurrence = from + at..from + at + self.needles.needle_len(index);
                if touches(&occurrence, written) {
                    found.push((occurrence.start, index, occurrence.end));
                }
                ControlFlow::Continue(())
            });
        }
        found.sort_unstable();
        found.dedup();
        Occurrences(found)
    }

    /// [`Self::scan_tokens`] from the occurrences of the needles in `bytes`.
    pub fn scan_occurrences(
        &self,
        bytes: &[u8],
        occurrences: Occurrences,
        mut token: impl FnMut(Range<usize>),
    ) -> Scan {
        let mut hits = Vec::new();
        // Matches inside a run already examined belong to that run's token.
        let mut resume_at = 0;
        let mut marked = false;
        let mut names = false;
        // Leftmost first; at one start, the first needle wins.
        for &(start, index, end) in &occurrences.0 {
            if index >= self.name_needles {
                names = true;
                continue;
            }
            if index >= self.host_needles {
                marked = true;
                continue;
            }
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
        Scan {
            hits,
            marked,
            names,
            occurrences,
        }
    }
}

/// Where the needles stand in a buffer: (start, needle index, end), sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Occurrences(Vec<(usize, usize, usize)>);

impl Occurrences {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What one pass of [`HostScanner::scan_tokens`] found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Every host hit, in order of position.
    pub hits: Vec<HostHit>,
    /// Whether a marker appears (ignoring ASCII case).
    pub marked: bool,
    /// Whether a move's name needle appears ([`Move::name_needles`]): a name of the move may
    /// stand without its host.
    pub names: bool,
    /// Where every needle stands, for a scan of the same buffer after edits.
    pub occurrences: Occurrences,
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
        classify_move(bytes, token.clone(), moves).or_else(|| builtin_form(bytes, token))?;
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
        if !moved.host_matches(text) {
            return None;
        }
        let end = segments_after(bytes, token.end, moved.path.len(), |at, name| {
            name.eq_ignore_ascii_case(moved.path[at].as_bytes())
        })
        .or_else(|| {
            (moved.moves_official_images() && official_image_follows(bytes, token.end))
                .then_some(token.end)
        })?;
        Some((HostForm::Move(index), token.start..end))
    })
}

/// `docker.io/redis`: one path segment after the host at `at`, and no other (an official
/// image, whose `library/` Docker Hub implies).
pub fn official_image_follows(bytes: &[u8], at: usize) -> bool {
    path_segment_after(bytes, at).is_some_and(|segment| {
        slash_len(bytes, segment.end) == 0
            && !matches!(bytes.get(segment.end), Some(b'$' | b'{' | b'('))
    })
}

/// Which built-in form the token at `token` in `bytes` is, and the range a fix replaces (host
/// plus any project prefix): the first of the catalogue's host patterns that matches.
pub fn builtin_form(bytes: &[u8], token: Range<usize>) -> Option<(HostForm, Range<usize>)> {
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
mod tests;
