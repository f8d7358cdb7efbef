//! Line-level context for a hit, for every kind of file: is it in a comment or a Markdown code
//! block, is the bare host the whole value of a field that holds a registry, and which carrier
//! holds it (`FROM`, `--pod-infra-container-image`, `sandbox_image`, `docker pull`, `KEY=`…).
//!
//! These are heuristics on the line around the hit. They classify hits; they never create or
//! drop one. The YAML layer refines them with real structure where it can.

use std::ops::Range;

use regex::bytes::Regex;

use super::hosts::{self, HostHit};
use crate::carrier::Carrier;
use crate::source::{LineFact, SourceFile};

/// The longest stretch of a line before a hit that the prefix patterns look at. Keeps the
/// cost per hit bounded on pathological single-line files.
const PREFIX_WINDOW: usize = 512;

/// What the line says about one hit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextSite {
    pub in_comment: bool,
    /// "FROM", "--pod-infra-container-image", "docker pull", "REGISTRY", "code block" …
    pub detail: Option<String>,
    /// The bare host is the value of a registry-holding field or flag (`REGISTRY=k8s.gcr.io`,
    /// `--image-repository k8s.gcr.io`, `{{ default "k8s.gcr.io" … }}`).
    pub registry_field: bool,
    /// The hit is the value of the kubelet's deprecated `--pod-infra-container-image`.
    pub kubelet_sandbox_flag: bool,
    /// A quoted literal inside a Go template action (`{{ default "k8s.gcr.io" … }}`,
    /// `{{ $registry := "k8s.gcr.io" }}`): a value the template renders.
    pub template_literal: bool,
    /// Inside a template action that compares or strips (`eq`, `hasPrefix`, `trimPrefix` …):
    /// rewriting the literal would change what renders.
    pub template_comparison: bool,
    /// In a TOML mirror table (`[plugins."…".registry.mirrors."k8s.gcr.io"]` and the lines
    /// below it), in a `.toml` file or TOML embedded in YAML or Markdown, or in a containerd
    /// `certs.d/k8s.gcr.io/` namespace: a mirror keyed by the host.
    pub mirror: bool,
    /// The mirror table already names registry.k8s.io (an old-to-new redirect).
    pub mirror_names_new_host: bool,
}

/// Compiled line patterns, built once per run.
#[derive(Debug)]
pub struct TextAnalyzer {
    kubelet_flag: Regex,
    registry_flag: Regex,
    registry_assignment: Regex,
    template_default: Regex,
    dockerfile_from: Regex,
    copy_from: Regex,
    dockerfile_arg: Regex,
    runtime_key: Regex,
    mirror_header: Regex,
    command: Regex,
    assignment: Regex,
}

impl Default for TextAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl TextAnalyzer {
    pub fn new() -> TextAnalyzer {
        let compile = |pattern: &str| Regex::new(pattern).expect("static pattern compiles");
        TextAnalyzer {
            kubelet_flag: compile(r#"--pod-infra-container-image(?:=|\s+)["']?$"#),
            registry_flag: compile(
                r#"(?i)(--[a-z0-9-]*(?:registry|repo)[a-z0-9-]*)(?:=|\s+)["']?$"#,
            ),
            registry_assignment: compile(
                r#"(?i)(?:^|[^A-Za-z0-9_.\-])([A-Za-z0-9_.\-]*(?:registry|repo)[A-Za-z0-9_.\-]*)["'\]]?\s*(?::=|\?=|\+=|=|:)\s*["']?$"#,
            ),
            template_default: compile(r#"\bdefault\s+["']$"#),
            dockerfile_from: compile(r#"(?i)^\s*FROM\s+(?:--\S+\s+)*$"#),
            copy_from: compile(r#"(?i)--from=["']?$"#),
            dockerfile_arg: compile(r#"(?i)^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)=["']?$"#),
            mirror_header: compile(r#"(?:mirrors|configs)\s*\.\s*["']"#),
            runtime_key: compile(
                r#"\b(sandbox_image|pause_image|sandbox|pinned_images)\s*=\s*(?:\[[^\]]*)?["']?$"#,
            ),
            // The verb is a whole word of the command line: `docker build --pull -t …` builds.
            command: compile(
                r#"\b(docker|podman|nerdctl|crictl|ctr|skopeo|crane|kind|kubectl|minikube)(?:\s+[^\s|;&]+)*?\s+(pull|push|tag|run|save|load|copy|cp|create|import|export|set|build)\s[^|;&]*$"#,
            ),
            assignment: compile(
                r#"(?:^|[^A-Za-z0-9_.\-])([A-Za-z_][A-Za-z0-9_.\-]*)["'\]]?\s*(?::=|\?=|\+=|=|:)\s*["']?$"#,
            ),
        }
    }

    /// Describe the line around `hit`.
    pub fn analyze(&self, source: &SourceFile, hit: &HostHit, layout: &Layout) -> TextSite {
        let bytes = &source.bytes;
        let line = source.line_range_at(hit.range.start);
        let prefix_start = line
            .start
            .max(hit.range.start.saturating_sub(PREFIX_WINDOW));
        let prefix = &bytes[prefix_start..hit.range.start];
        let line_bytes = &bytes[line.start..line.end];

        let line_index = source.line_index(hit.range.start);
        let comment = source.line_fact(line_index, LineFact::CommentStart(source.carrier), || {
            comment_start(source.carrier, line_bytes)
        });
        let mut site = TextSite {
            in_comment: comment.is_some_and(|start| start <= hit.range.start - line.start),
            ..TextSite::default()
        };

        let value_ends_here = value_ends_after(bytes, hit, line.end);
        let table_row = (source.carrier == Carrier::Markdown)
            .then(|| {
                let reference = hit.reference.start.max(line.start) - line.start
                    ..hit.reference.end.min(line.end) - line.start;
                markdown_table_key(
                    line_bytes,
                    hit.range.start - line.start..hit.range.end - line.start,
                    reference,
                )
            })
            .flatten();
        if let Some((key, bare_host)) = table_row {
            // A values table (helm-docs): `| controller.image.registry | string | "k8s.gcr.io" |`,
            // `| image.repository | Image | k8s.gcr.io/cluster-autoscaler |`.
            site.registry_field = bare_host && is_registry_name(key.as_bytes());
            site.detail = Some(format!("table row {key}"));
        } else if self.kubelet_flag.is_match(prefix) {
            site.kubelet_sandbox_flag = true;
            site.detail = Some("--pod-infra-container-image".into());
        } else if let Some(captures) = self.registry_flag.captures(prefix) {
            site.registry_field = value_ends_here;
            site.detail = Some(lossy(&captures[1]));
        } else if self.template_default.is_match(prefix) {
            site.registry_field = value_ends_here;
            site.detail = Some("default".into());
        } else if source.carrier == Carrier::Dockerfile && self.dockerfile_from.is_match(prefix) {
            site.detail = Some("FROM".into());
        } else if source.carrier == Carrier::Dockerfile && self.copy_from.is_match(prefix) {
            site.detail = Some("COPY --from".into());
        } else if let Some(captures) = self
            .dockerfile_arg
            .captures(prefix)
            .filter(|_| source.carrier == Carrier::Dockerfile)
        {
            site.detail = Some(format!("ARG {}", lossy(&captures[1])));
            site.registry_field = value_ends_here && is_registry_name(&captures[1]);
        } else if let Some(captures) = self.runtime_key.captures(prefix) {
            site.detail = Some(lossy(&captures[1]));
        } else if let Some(captures) = self.registry_assignment.captures(prefix) {
            site.registry_field = value_ends_here;
            site.detail = Some(lossy(&captures[1]));
        } else if let Some(captures) = self.command.captures(prefix) {
            site.detail = Some(format!("{} {}", lossy(&captures[1]), lossy(&captures[2])));
        } else if let Some(captures) = self.assignment.captures(prefix) {
            site.detail = Some(lossy(&captures[1]));
        }

        if site.detail.is_none() {
            site.detail =
                layout.markdown_detail(source, hit.range.start, line_bytes, line.start, comment);
        }
        let mirror_table = self.mirror_table(source, layout, hit.range.start);
        site.mirror_names_new_host = mirror_table.as_ref().is_some_and(|(header, table)| {
            source
                .line_fact(*header, LineFact::MirrorTableNamesNewHost, || {
                    hosts::contains_new_host(&source.bytes[table.clone()]).then_some(0)
                })
                .is_some()
        });
        site.mirror = mirror_table.is_some() || is_certs_d_namespace(source.path.as_str(), prefix);
        if site.mirror && site.detail.is_none() {
            site.detail = Some("mirror".into());
        }
        if source.carrier == Carrier::GoTemplate {
            let start = hit.range.start - line.start;
            let end = (hit.range.end - line.start).min(line_bytes.len());
            if let Some(action) = template_action(line_bytes, start, end) {
                site.template_comparison = compares_or_strips(&line_bytes[action]);
                site.template_literal = start > 0 && matches!(line_bytes[start - 1], b'"' | b'`');
            }
        }
        site
    }
}

/// How many lines above a hit the TOML table header that holds it may be.
const TABLE_LOOKBACK: usize = 200;

impl TextAnalyzer {
    /// The bytes of the TOML mirror table that holds `offset`, if any: the nearest line above
    /// (or at) it that starts with `[` is a `mirrors."…"` or `configs."…"` header, and the
    /// table runs to the next header.
    /// The TOML mirror table around `offset`: its header line and its byte range.
    fn mirror_table(
        &self,
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
            self.mirror_header
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
        Some((header_index, header.start..end))
    }
}

/// The starts of the lines whose first non-blank byte is `[` (TOML table headers), in order:
/// one pass per file, so that each hit finds its table by a binary search.
fn table_headers(bytes: &[u8]) -> Vec<usize> {
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
fn is_certs_d_namespace(path: &str, prefix: &[u8]) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.contains("certs.d/k8s.gcr.io/") || prefix.ends_with(b"certs.d/")
}

/// The inside of the `{{ … }}` action on `line` that holds bytes `start..end`, if any.
fn template_action(line: &[u8], start: usize, end: usize) -> Option<Range<usize>> {
    let before = &line[..start];
    let open = memchr::memmem::rfind(before, b"{{")?;
    if memchr::memmem::rfind(before, b"}}").is_some_and(|close| close > open) {
        return None;
    }
    let close = end + memchr::memmem::find(&line[end..], b"}}")?;
    Some(open + 2..close)
}

/// Template functions whose literal arguments are tested or cut away, not rendered.
fn compares_or_strips(action: &[u8]) -> bool {
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

/// In a Markdown table row whose cell holds just the hit's reference (or its bare host, with
/// an optional trailing `/`) apart from backticks, quotes and spaces: the row's first cell
/// (its key), and whether the cell is the bare host.
fn markdown_table_key(
    line: &[u8],
    host: Range<usize>,
    reference: Range<usize>,
) -> Option<(String, bool)> {
    if !line.trim_ascii_start().starts_with(b"|") {
        return None;
    }
    let trim = |cell: &[u8]| -> String {
        let text = String::from_utf8_lossy(cell);
        text.trim_matches(|c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\''))
            .to_string()
    };
    let mut cells = Vec::new();
    let mut start = 0;
    for (index, byte) in line.iter().enumerate() {
        if *byte == b'|' {
            cells.push(start..index);
            start = index + 1;
        }
    }
    let hit_cell = cells
        .iter()
        .find(|cell| cell.start <= host.start && host.start < cell.end)?;
    let value = trim(&line[hit_cell.clone()]);
    let host_text = String::from_utf8_lossy(&line[host]).into_owned();
    let reference_text = String::from_utf8_lossy(&line[reference]).into_owned();
    let bare_host = value == host_text || value.strip_suffix('/') == Some(host_text.as_str());
    if !bare_host && value != reference_text {
        return None;
    }
    let key = cells
        .iter()
        .map(|cell| trim(&line[cell.clone()]))
        .find(|cell| !cell.is_empty())?;
    (key != value).then_some((key, bare_host))
}

/// A registry-holding name: `REGISTRY`, `kube_image_repo`, `imageRepository`, `gcRegistry`.
fn is_registry_name(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    memchr::memmem::find(&lower, b"registry").is_some()
        || memchr::memmem::find(&lower, b"repo").is_some()
}

/// Whether a bare host ends the value it stands in: the line ends, a quote or closing bracket
/// follows, or only a comment, a line continuation or another argument follows.
fn value_ends_after(bytes: &[u8], hit: &HostHit, line_end: usize) -> bool {
    let mut at = hit.range.end;
    if bytes.get(at) == Some(&b'/') {
        at += 1;
    }
    if at >= line_end {
        return true;
    }
    match bytes[at] {
        b'"' | b'\'' | b'`' | b',' | b';' | b')' | b'}' | b']' | b'\\' | b'|' => true,
        byte if byte.is_ascii_whitespace() => {
            let rest = bytes[at..line_end].trim_ascii_start();
            rest.is_empty()
                || matches!(
                    rest[0],
                    b'#' | b'\\' | b'&' | b'|' | b';' | b'-' | b'}' | b')' | b'>'
                )
                || rest.starts_with(b"//")
        }
        _ => false,
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// File-wide layout that line heuristics need: Markdown fenced code blocks.
#[derive(Debug, Default)]
pub struct Layout {
    code_blocks: Vec<Range<usize>>,
    /// See [`table_headers`].
    headers: Vec<usize>,
}

impl Layout {
    pub fn new(source: &SourceFile) -> Layout {
        let code_blocks = if source.carrier == Carrier::Markdown {
            fenced_code_blocks(source)
        } else {
            Vec::new()
        };
        Layout {
            code_blocks,
            headers: table_headers(&source.bytes),
        }
    }

    pub fn in_code_block(&self, offset: usize) -> bool {
        self.code_blocks
            .binary_search_by(|block| {
                if block.end <= offset {
                    std::cmp::Ordering::Less
                } else if block.start > offset {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    fn markdown_detail(
        &self,
        source: &SourceFile,
        offset: usize,
        line: &[u8],
        line_start: usize,
        comment: Option<usize>,
    ) -> Option<String> {
        if source.carrier != Carrier::Markdown {
            return None;
        }
        let column = offset - line_start;
        let detail = if self.in_code_block(offset) {
            "code block"
        } else if line[..column].iter().filter(|byte| **byte == b'`').count() % 2 == 1 {
            "inline code"
        } else if comment.is_some_and(|start| start <= column) {
            "comment"
        } else {
            "text"
        };
        Some(detail.into())
    }
}

/// Byte ranges of fenced code blocks (``` or ~~~), fence lines included.
fn fenced_code_blocks(source: &SourceFile) -> Vec<Range<usize>> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, u8, usize)> = None;
    let mut next = Some(source.line_range(0));
    while let Some(range) = next {
        next = source.next_line(&range);
        let line = &source.bytes[range.clone()];
        let trimmed = line.trim_ascii_start();
        let fence_char = match trimmed.first() {
            Some(&byte @ (b'`' | b'~')) => byte,
            _ => continue,
        };
        let fence_len = trimmed
            .iter()
            .take_while(|byte| **byte == fence_char)
            .count();
        if fence_len < 3 {
            continue;
        }
        match open {
            None => open = Some((range.start, fence_char, fence_len)),
            Some((start, open_char, open_len))
                if open_char == fence_char
                    && fence_len >= open_len
                    && trimmed[fence_len..].trim_ascii().is_empty() =>
            {
                blocks.push(start..range.end);
                open = None;
            }
            Some(_) => {}
        }
    }
    if let Some((start, ..)) = open {
        blocks.push(start..source.bytes.len());
    }
    blocks
}

/// Where a comment starts on `line`, if it has one. Quotes are tracked so that a `#` inside a
/// string is not a comment; `://` is never a comment.
pub fn comment_start(kind: Carrier, line: &[u8]) -> Option<usize> {
    let trimmed_start = line.len() - line.trim_ascii_start().len();
    let rest = &line[trimmed_start..];
    match kind {
        Carrier::Json => return None,
        Carrier::Markdown => return memchr::memmem::find(line, b"<!--"),
        Carrier::Dockerfile => return rest.starts_with(b"#").then_some(trimmed_start),
        Carrier::Ini if rest.starts_with(b";") || rest.starts_with(b"#") => {
            return Some(trimmed_start);
        }
        Carrier::ProgramSource | Carrier::Terraform
            if rest.starts_with(b"/*") || rest.starts_with(b"* ") || rest == b"*" =>
        {
            return Some(trimmed_start);
        }
        _ => {}
    }
    let hash = kind.has_hash_comments() || kind == Carrier::ProgramSource;
    let slash = kind.has_slash_comments();
    let mut quote: Option<u8> = None;
    let mut index = 0;
    while index < line.len() {
        let byte = line[index];
        match quote {
            Some(open) => {
                if byte == b'\\' {
                    index += 1;
                } else if byte == open {
                    quote = None;
                }
            }
            None => match byte {
                b'"' | b'\'' => quote = Some(byte),
                b'#' if hash && (index == 0 || line[index - 1].is_ascii_whitespace()) => {
                    return Some(index);
                }
                b'/' if slash
                    && line.get(index + 1) == Some(&b'/')
                    && (index == 0 || line[index - 1] != b':') =>
                {
                    return Some(index);
                }
                _ => {}
            },
        }
        index += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::hosts::HostScanner;
    use crate::path::RepoPath;

    /// The mirror table as found line by line (the walk the header index replaced).
    fn mirror_table_by_lines(
        analyzer: &TextAnalyzer,
        source: &SourceFile,
        offset: usize,
    ) -> Option<(usize, Range<usize>)> {
        let is_header = |index: usize| {
            source.bytes[source.line_range(index)]
                .trim_ascii_start()
                .starts_with(b"[")
        };
        let mut header = source.line_index(offset);
        let mut looked = 0;
        while !is_header(header) {
            looked += 1;
            if header == 0 || looked >= TABLE_LOOKBACK {
                return None;
            }
            header -= 1;
        }
        analyzer
            .mirror_header
            .is_match(&source.bytes[source.line_range(header)])
            .then_some(())?;
        let last = (header + 1..source.line_count().min(header + TABLE_LOOKBACK))
            .find(|&index| is_header(index))
            .map_or(source.line_count() - 1, |next| next - 1)
            .max(header);
        Some((
            header,
            source.line_range(header).start..source.line_range(last).end,
        ))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn mirror_tables_are_found_as_a_line_by_line_walk_finds_them(
            lines in proptest::collection::vec(
                proptest::sample::select(vec![
                    "[plugins.\"cri\".registry.mirrors.\"k8s.gcr.io\"]",
                    "  [plugins.cri.registry.configs.'k8s.gcr.io'.auth]",
                    "\t[other]",
                    "endpoint = [\"https://k8s.gcr.io\"]",
                    "x = 1 [k8s.gcr.io]",
                    "",
                    "\r",
                    "k8s.gcr.io/pause",
                ]),
                1..260,
            )
        ) {
            let text = lines.join("\n");
            let source = SourceFile::new(RepoPath::new("config.toml"), text.clone().into_bytes());
            let layout = Layout::new(&source);
            let analyzer = TextAnalyzer::new();
            for offset in memchr::memmem::find_iter(text.as_bytes(), b"k8s.gcr.io") {
                proptest::prop_assert_eq!(
                    analyzer.mirror_table(&source, &layout, offset),
                    mirror_table_by_lines(&analyzer, &source, offset),
                    "offset {}", offset
                );
            }
        }
    }

    fn analyze(path: &str, text: &str) -> Vec<TextSite> {
        let source = SourceFile::new(RepoPath::new(path), text.as_bytes().to_vec());
        let layout = Layout::new(&source);
        let analyzer = TextAnalyzer::new();
        HostScanner::new()
            .scan(&source.bytes)
            .iter()
            .map(|hit| analyzer.analyze(&source, hit, &layout))
            .collect()
    }

    fn one(path: &str, text: &str) -> TextSite {
        let mut sites = analyze(path, text);
        assert_eq!(sites.len(), 1, "{text}");
        sites.remove(0)
    }

    #[test]
    fn registry_fields_in_many_carriers() {
        for (path, text) in [
            ("Makefile", "REGISTRY ?= k8s.gcr.io\n"),
            ("vars.yml", "kube_image_repo: \"k8s.gcr.io\"\n"),
            ("main.tf", "  ingress_docker_registry = \"k8s.gcr.io\"\n"),
            ("init.sh", "kubeadm init --image-repository=k8s.gcr.io\n"),
            ("init.sh", "kubeadm init --image-repository k8s.gcr.io \\\n"),
            (
                "_helpers.tpl",
                "{{ default \"k8s.gcr.io\" .Values.global.imageRegistry }}\n",
            ),
            ("config.toml", "registry = 'k8s.gcr.io' # old\n"),
        ] {
            assert!(one(path, text).registry_field, "{path}: {text}");
        }
    }

    #[test]
    fn prose_is_not_a_registry_field() {
        for (path, text) in [
            ("README.md", "Images are hosted on k8s.gcr.io today.\n"),
            ("notes.txt", "registry: k8s.gcr.io is frozen\n"),
        ] {
            assert!(!one(path, text).registry_field, "{path}: {text}");
        }
    }

    #[test]
    fn carriers_are_named() {
        assert_eq!(
            one(
                "Dockerfile",
                "FROM --platform=$BUILDPLATFORM k8s.gcr.io/kustomize/kustomize:v4 AS k\n"
            )
            .detail
            .as_deref(),
            Some("FROM")
        );
        assert_eq!(
            one(
                "Dockerfile",
                "COPY --from=k8s.gcr.io/pause:3.9 /pause /pause\n"
            )
            .detail
            .as_deref(),
            Some("COPY --from")
        );
        let site = one(
            "10-kubelet.conf",
            "Environment=\"KUBELET_EXTRA_ARGS=--pod-infra-container-image=k8s.gcr.io/pause:3.6\"\n",
        );
        assert!(site.kubelet_sandbox_flag);
        assert_eq!(
            one(
                "config.toml",
                "  sandbox_image = \"k8s.gcr.io/pause:3.6\"\n"
            )
            .detail
            .as_deref(),
            Some("sandbox_image")
        );
        assert_eq!(
            one("pull.sh", "sudo crictl pull k8s.gcr.io/pause:3.9\n")
                .detail
                .as_deref(),
            Some("crictl pull")
        );
        assert_eq!(
            one(
                "pull.sh",
                "ctr -n k8s.io images pull k8s.gcr.io/pause:3.9\n"
            )
            .detail
            .as_deref(),
            Some("ctr pull")
        );
    }

    #[test]
    fn helm_docs_value_tables() {
        let site = one(
            "README.md",
            "| controller.image.registry | string | `\"k8s.gcr.io\"` |  |\n",
        );
        assert!(site.registry_field);
        assert_eq!(
            site.detail.as_deref(),
            Some("table row controller.image.registry")
        );
        let site = one("README.md", "| note | string | `\"k8s.gcr.io\"` |  |\n");
        assert!(!site.registry_field);
        assert!(!one("README.md", "| x | see k8s.gcr.io here |\n").registry_field);
        let site = one(
            "README.md",
            "| `image.repository` | Image | `k8s.gcr.io/cluster-autoscaler` |\n",
        );
        assert!(!site.registry_field);
        assert_eq!(site.detail.as_deref(), Some("table row image.repository"));
    }

    #[test]
    fn command_verbs_are_whole_words() {
        assert_eq!(
            one(
                "Makefile",
                "\tdocker build --pull -t staging-k8s.gcr.io/explorer:1 .\n"
            )
            .detail
            .as_deref(),
            Some("docker build")
        );
        assert_eq!(
            one(
                "a.md",
                "kubectl set image deploy/x controller=k8s.gcr.io/ingress-nginx/controller:v1\n"
            )
            .detail
            .as_deref(),
            Some("kubectl set")
        );
    }

    #[test]
    fn go_template_actions() {
        let site = one(
            "chart/templates/_helpers.tpl",
            "{{- $registry := \"k8s.gcr.io\" -}}\n",
        );
        assert!(site.template_literal && !site.template_comparison);
        let site = one(
            "chart/templates/_helpers.tpl",
            "{{ printf \"%s/pause\" \"k8s.gcr.io\" }}\n",
        );
        assert!(site.template_literal);
        let site = one(
            "chart/templates/x.yaml",
            "{{- if eq .Values.registry \"k8s.gcr.io\" }}\n",
        );
        assert!(site.template_comparison);
        let site = one(
            "chart/templates/x.yaml",
            "{{ trimPrefix \"k8s.gcr.io/\" .Values.image }}\n",
        );
        assert!(site.template_comparison);
        let site = one(
            "chart/templates/x.yaml",
            "image: k8s.gcr.io/pause {{ .Values.tag }}\n",
        );
        assert!(!site.template_literal && !site.template_comparison);
    }

    #[test]
    fn mirror_tables_and_namespaces() {
        let toml = "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"k8s.gcr.io\"]\n  endpoint = [\"https://mirror.example\", \"https://k8s.gcr.io\"]\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"k8s.gcr.io/pause:3.6\"\n";
        let sites = analyze("config.toml", toml);
        let mirrors: Vec<bool> = sites.iter().map(|site| site.mirror).collect();
        assert_eq!(mirrors, [true, true, false]);
        assert!(
            one(
                "etc/containerd/certs.d/k8s.gcr.io/hosts.toml",
                "server = \"https://k8s.gcr.io\"\n"
            )
            .mirror
        );
        assert!(one("setup.sh", "mkdir -p /etc/containerd/certs.d/k8s.gcr.io\n").mirror);
    }

    #[test]
    fn comments_by_kind() {
        assert!(one("a.sh", "echo hi # k8s.gcr.io/pause\n").in_comment);
        assert!(!one("a.sh", "echo \"#\" k8s.gcr.io/pause\n").in_comment);
        assert!(one("main.go", "x := 1 // k8s.gcr.io/pause\n").in_comment);
        assert!(!one("main.go", "url := \"https://k8s.gcr.io/v2\"\n").in_comment);
        assert!(!one("Dockerfile", "RUN echo hi # k8s.gcr.io/pause\n").in_comment);
        assert!(one("Dockerfile", "# FROM k8s.gcr.io/pause\n").in_comment);
    }

    #[test]
    fn markdown_blocks() {
        let text = "Use `k8s.gcr.io/pause`.\n\n```shell\ndocker pull k8s.gcr.io/pause:3.9\n```\n\nhosted on k8s.gcr.io\n";
        let sites = analyze("README.md", text);
        let details: Vec<_> = sites
            .iter()
            .map(|site| site.detail.clone().unwrap())
            .collect();
        assert_eq!(details, ["inline code", "docker pull", "text"]);
    }
}
