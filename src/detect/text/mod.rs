//! Line-level context for a hit, for every kind of file: is it in a comment or a Markdown code
//! block, is the bare host the whole value of a field that holds a registry, and which line
//! carrier holds it (`FROM`, `--pod-infra-container-image`, `sandbox_image`, `docker pull`,
//! `KEY=`…): the ordered pattern table [`LINE_PATTERNS`].
//!
//! These are heuristics on the line around the hit. They classify hits; they never create or
//! drop one. The YAML layer refines them with real structure where it can.

mod gcloud;
pub(crate) mod heredoc;
mod markdown;
mod metrics;
mod mirror;
mod template;

pub use gcloud::GcrVerb;
pub use mirror::is_endpoint_mapping;

use std::fmt;
use std::ops::Range;

use regex::bytes::{Captures, Regex};

use super::hosts::{self, HostHit};
use super::names::holds_registry;
use crate::carrier::Carrier;
use crate::source::{LineFact, SourceFile};

/// The longest stretch of a line before a hit that the prefix patterns look at. Keeps the
/// cost per hit bounded on pathological single-line files.
const PREFIX_WINDOW: usize = 512;

/// What carries a hit on its line. Classification reads these typed values; the label a user
/// reads is rendered from them ([`fmt::Display`]) and never parsed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineSite {
    /// A row of a Markdown values table (helm-docs), by its first cell.
    TableRow {
        key: String,
    },
    /// The kubelet's deprecated `--pod-infra-container-image`.
    KubeletSandboxFlag,
    /// kubeadm's `--image-repository`.
    ImageRepositoryFlag,
    /// Another flag that names a registry or repository (`--registry`, `--image-repo`).
    RegistryFlag {
        flag: String,
    },
    /// A Go template's `default "…"`.
    TemplateDefault,
    /// A Dockerfile's `FROM`.
    From,
    /// A Dockerfile's `COPY --from=`.
    CopyFrom,
    /// A Dockerfile's `ARG NAME=`.
    Arg {
        name: String,
    },
    /// A container runtime's image key (`sandbox_image`, `pause_image`, `pinned_images`).
    RuntimeKey {
        key: String,
    },
    /// `NAME=`, `NAME:`, `NAME :=` …
    Assignment {
        name: String,
    },
    /// A gcloud command that works only against Google's registries (`gcloud container
    /// images list-tags`), as written, and what it does.
    GoogleRegistryCommand {
        command: String,
        verb: GcrVerb,
    },
    /// A command whose arguments are file paths (`cd`, `ls`, `cat`, `cp`…): the host at the
    /// start of one is a folder.
    PathCommand {
        command: String,
    },
    /// A container tool's command (`docker pull`, `crictl pull`, `kubectl set`).
    Command {
        tool: String,
        verb: String,
    },
    /// Markdown prose: a fenced code block, inline code, a comment, text.
    CodeBlock,
    InlineCode,
    Comment,
    Text,
    /// A registry mirror table or `certs.d` namespace.
    Mirror,
}

impl LineSite {
    /// The name the site gives its value (a key, flag or variable), if any: whether it holds
    /// a registry is asked of this name.
    pub fn name(&self) -> Option<&str> {
        match self {
            LineSite::TableRow { key } => Some(key),
            LineSite::ImageRepositoryFlag => Some(IMAGE_REPOSITORY_FLAG),
            LineSite::RegistryFlag { flag } => Some(flag),
            LineSite::Arg { name } | LineSite::Assignment { name } => Some(name),
            LineSite::RuntimeKey { key } => Some(key),
            _ => None,
        }
    }
}

impl fmt::Display for LineSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineSite::TableRow { key } => write!(f, "table row {key}"),
            LineSite::KubeletSandboxFlag => f.write_str(KUBELET_SANDBOX_FLAG),
            LineSite::ImageRepositoryFlag => f.write_str(IMAGE_REPOSITORY_FLAG),
            LineSite::RegistryFlag { flag } => f.write_str(flag),
            LineSite::TemplateDefault => f.write_str("default"),
            LineSite::From => f.write_str("FROM"),
            LineSite::CopyFrom => f.write_str("COPY --from"),
            LineSite::Arg { name } => write!(f, "ARG {name}"),
            LineSite::RuntimeKey { key: name } | LineSite::Assignment { name } => f.write_str(name),
            LineSite::Command { tool, verb } => write!(f, "{tool} {verb}"),
            LineSite::GoogleRegistryCommand { command, .. } => f.write_str(command),
            LineSite::PathCommand { command } => f.write_str(command),
            LineSite::CodeBlock => f.write_str("code block"),
            LineSite::InlineCode => f.write_str("inline code"),
            LineSite::Comment => f.write_str("comment"),
            LineSite::Text => f.write_str("text"),
            LineSite::Mirror => f.write_str("mirror"),
        }
    }
}

const KUBELET_SANDBOX_FLAG: &str = "--pod-infra-container-image";
const IMAGE_REPOSITORY_FLAG: &str = "--image-repository";

/// What the line says about one hit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextSite {
    pub in_comment: bool,
    /// In a patch (a `*.diff` or `*.patch` file, a fenced `diff` or `patch` block in
    /// Markdown): a record of a change, which is history.
    pub in_patch: bool,
    /// What carries the hit on its line, when a pattern or the Markdown layout says.
    pub site: Option<LineSite>,
    /// The bare host is the value of a registry-holding field or flag (`REGISTRY=k8s.gcr.io`,
    /// `--image-repository k8s.gcr.io`, `{{ default "k8s.gcr.io" … }}`).
    pub registry_field: bool,
    /// A quoted literal inside a Go template action (`{{ default "k8s.gcr.io" … }}`,
    /// `{{ $registry := "k8s.gcr.io" }}`): a value the template renders.
    pub template_literal: bool,
    /// Inside a template action that compares or strips (`eq`, `hasPrefix`, `trimPrefix` …):
    /// rewriting the literal would change what renders.
    pub template_comparison: bool,
    /// Inside a `{{ … }}` action on a line of a template or a YAML file: text the template
    /// engine reads. Unquoted in YAML, the parser takes the action for a flow mapping, whose
    /// keys mean nothing.
    pub template_action: bool,
    /// In a TOML mirror table (`[plugins."…".registry.mirrors."k8s.gcr.io"]` and the lines
    /// below it), in a `.toml` file or TOML embedded in YAML or Markdown, in a containerd
    /// `certs.d/k8s.gcr.io/` namespace, or mapped to an endpoint in one word
    /// (`--registry-mirror k8s.gcr.io=http://…`): a mirror keyed by the host.
    pub mirror: bool,
    /// The mirror table already names registry.k8s.io (an old-to-new redirect).
    pub mirror_names_new_host: bool,
    /// The bare host (optionally with a trailing `/`) is the whole value of an assignment on
    /// its line, whatever the name: `UPSTREAM=k8s.gcr.io`, `default = "k8s.gcr.io"`. Whether
    /// that names a registry depends on the carrier (data or code): classification decides.
    pub whole_value: bool,
    /// Inside the labels of a metric sample (`m{image="k8s.gcr.io/pause:3.2"} 1`) in a data
    /// file (not Markdown, whose transcripts illustrate): a recording of what ran.
    pub metric_sample: bool,
}

impl TextSite {
    /// The hit is the value of the kubelet's deprecated `--pod-infra-container-image`.
    pub fn is_kubelet_sandbox_flag(&self) -> bool {
        self.site == Some(LineSite::KubeletSandboxFlag)
    }
}

/// When a line pattern makes a bare host a registry field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegistryField {
    Never,
    /// When the host ends the value (the line, a quote, a comment or another argument
    /// follows).
    WhenValueEnds,
    /// When the host ends the value and the site's name holds a registry.
    WhenNamedRegistry,
}

/// One row of the line pattern table: a regex over the line before the hit (anchored at the
/// hit), the carriers it applies to, and what it makes of the hit.
struct LinePattern {
    /// Only in files of these carriers; empty for every carrier.
    carriers: &'static [Carrier],
    regex: &'static str,
    site: fn(&Captures<'_>) -> LineSite,
    registry_field: RegistryField,
}

/// The line carriers, tried in order: the first pattern that matches the line before the hit
/// decides its site. (Markdown table rows are recognised before any of these.)
const LINE_PATTERNS: &[LinePattern] = &[
    LinePattern {
        carriers: &[],
        regex: gcloud::PATTERN,
        site: |captures| match gcloud::command(captures) {
            Some((command, verb)) => LineSite::GoogleRegistryCommand { command, verb },
            None => LineSite::Command {
                tool: "gcloud".into(),
                verb: lossy(&captures[2]),
            },
        },
        registry_field: RegistryField::WhenValueEnds,
    },
    LinePattern {
        // Where scripts are written; in program source `source = "k8s.gcr.io"` is a value.
        carriers: &[
            Carrier::Shell,
            Carrier::Makefile,
            Carrier::Dockerfile,
            Carrier::Markdown,
            Carrier::Yaml,
            Carrier::GoTemplate,
            Carrier::Text,
        ],
        // A command that takes file paths, where a command starts (a line, a prompt, a list
        // item, after `;`, `&&`, `|`, `(`, a backtick, `RUN`, `sudo`…), and the hit at the
        // start of one of its arguments (`cd k8s.gcr.io/images/k8s-staging-dns`); `cd`,
        // `pushd`, `source` and `.` take one path, before the arguments of what they run.
        regex: r#"(?:^\s*(?:-\s+)?(?:[$#%>]\s+)?|[;&|({`:]\s*|\$\(\s*|\bRUN\s+|\b(?:sudo|then|do|else|time)\s+)(?:(cd|pushd|source|\.)(?:\s+-\S+)*|(ls|cat|cp|mv|rm|mkdir|rmdir|find|tree|less|more|head|tail|stat|touch|du|chmod|chown|git\s+(?:add|rm|mv|diff|log))(?:\s+[^\s|;&`=:][^\s|;&`]*)*?)\s+["']?$"#,
        site: |captures| LineSite::PathCommand {
            command: captures
                .get(1)
                .or_else(|| captures.get(2))
                .map(|command| lossy(command.as_bytes()))
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        },
        registry_field: RegistryField::Never,
    },
    LinePattern {
        carriers: &[],
        regex: r#"--pod-infra-container-image(?:=|\s+)["']?$"#,
        site: |_| LineSite::KubeletSandboxFlag,
        registry_field: RegistryField::Never,
    },
    LinePattern {
        carriers: &[],
        regex: r#"(?i)(--[a-z0-9-]*(?:registry|repo)[a-z0-9-]*)(?:=|\s+)["']?$"#,
        site: |captures| match lossy(&captures[1]) {
            flag if flag == IMAGE_REPOSITORY_FLAG => LineSite::ImageRepositoryFlag,
            flag => LineSite::RegistryFlag { flag },
        },
        registry_field: RegistryField::WhenValueEnds,
    },
    LinePattern {
        carriers: &[],
        regex: r#"\bdefault\s+["']$"#,
        site: |_| LineSite::TemplateDefault,
        registry_field: RegistryField::WhenValueEnds,
    },
    LinePattern {
        carriers: &[Carrier::Dockerfile],
        regex: r#"(?i)^\s*FROM\s+(?:--\S+\s+)*$"#,
        site: |_| LineSite::From,
        registry_field: RegistryField::Never,
    },
    LinePattern {
        carriers: &[Carrier::Dockerfile],
        regex: r#"(?i)--from=["']?$"#,
        site: |_| LineSite::CopyFrom,
        registry_field: RegistryField::Never,
    },
    LinePattern {
        carriers: &[Carrier::Dockerfile],
        regex: r#"(?i)^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)=["']?$"#,
        site: |captures| LineSite::Arg {
            name: lossy(&captures[1]),
        },
        registry_field: RegistryField::WhenNamedRegistry,
    },
    LinePattern {
        carriers: &[],
        regex: r#"\b(sandbox_image|pause_image|sandbox|pinned_images)\s*=\s*(?:\[[^\]]*)?["']?$"#,
        site: |captures| LineSite::RuntimeKey {
            key: lossy(&captures[1]),
        },
        registry_field: RegistryField::Never,
    },
    LinePattern {
        carriers: &[],
        regex: r#"(?i)(?:^|[^A-Za-z0-9_.\-])([A-Za-z0-9_.\-]*(?:registry|repo)[A-Za-z0-9_.\-]*)["'\]]?\s*(?::=|\?=|\+=|=|:)\s*["']?$"#,
        site: |captures| LineSite::Assignment {
            name: lossy(&captures[1]),
        },
        registry_field: RegistryField::WhenValueEnds,
    },
    LinePattern {
        carriers: &[],
        // The verb is a whole word of the command line: `docker build --pull -t …` builds.
        regex: r#"\b(docker|podman|nerdctl|crictl|ctr|skopeo|crane|kind|kubectl|minikube)(?:\s+[^\s|;&]+)*?\s+(pull|push|tag|run|save|load|copy|cp|create|import|export|set|build)\s[^|;&]*$"#,
        site: |captures| LineSite::Command {
            tool: lossy(&captures[1]),
            verb: lossy(&captures[2]),
        },
        registry_field: RegistryField::Never,
    },
    LinePattern {
        carriers: &[],
        regex: r#"(?:^|[^A-Za-z0-9_.\-])([A-Za-z_][A-Za-z0-9_.\-]*)["'\]]?\s*(?::=|\?=|\+=|=|:)\s*["']?$"#,
        site: |captures| LineSite::Assignment {
            name: lossy(&captures[1]),
        },
        registry_field: RegistryField::Never,
    },
];

/// What a Markdown file's fenced code blocks hold, between their fence lines.
pub(crate) fn fenced_block_contents(source: &SourceFile) -> Vec<Range<usize>> {
    markdown::fenced_code_blocks(source).contents
}

/// The line pattern table, compiled once per run.
#[derive(Debug)]
pub struct TextAnalyzer {
    patterns: Vec<Regex>,
    mirror_header: Regex,
}

impl Default for TextAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

/// File-wide facts that line heuristics need, found once per file: Markdown fenced code
/// blocks and TOML table headers.
#[derive(Debug, Default)]
pub struct TextLayout {
    code_blocks: markdown::FencedBlocks,
    /// See [`mirror::table_headers`].
    headers: Vec<usize>,
}

impl TextLayout {
    pub fn new(source: &SourceFile) -> TextLayout {
        let code_blocks = if source.carrier == Carrier::Markdown {
            markdown::fenced_code_blocks(source)
        } else {
            markdown::FencedBlocks::default()
        };
        TextLayout {
            code_blocks,
            headers: mirror::table_headers(&source.bytes),
        }
    }
}

impl TextAnalyzer {
    pub fn new() -> TextAnalyzer {
        TextAnalyzer {
            patterns: LINE_PATTERNS
                .iter()
                .map(|pattern| Regex::new(pattern.regex).expect("static pattern compiles"))
                .collect(),
            mirror_header: mirror::mirror_header(),
        }
    }

    /// Describe the line around `hit`.
    pub fn analyze(&self, source: &SourceFile, hit: &HostHit, layout: &TextLayout) -> TextSite {
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
        (site.site, site.registry_field) =
            self.line_site(source, hit, &line, prefix, value_ends_here);
        site.whole_value = matches!(site.site, Some(LineSite::Assignment { .. }))
            && is_whole_value(bytes, hit, line.end);
        if site.site.is_none() && source.carrier == Carrier::Markdown {
            site.site = Some(markdown::site_in_prose(
                &layout.code_blocks.all,
                hit.range.start,
                line_bytes,
                line.start,
                comment,
            ));
        }
        if source.carrier != Carrier::Markdown {
            site.metric_sample = source
                .line_fact(line_index, LineFact::MetricLabelsEnd, || {
                    metrics::label_set_end(line_bytes)
                })
                .is_some_and(|end| hit.range.start - line.start < end);
        }
        site.in_patch = source.carrier == Carrier::Patch
            || markdown::in_code_block(&layout.code_blocks.patches, hit.range.start);
        let mirror_table =
            mirror::mirror_table(&self.mirror_header, source, layout, hit.range.start);
        site.mirror_names_new_host = mirror_table.as_ref().is_some_and(|(header, table)| {
            source
                .line_fact(*header, LineFact::MirrorTableNamesNewHost, || {
                    hosts::contains_new_host(&source.bytes[table.clone()]).then_some(0)
                })
                .is_some()
        });
        site.mirror = mirror_table.is_some()
            || mirror::is_certs_d_namespace(source.path.as_str(), prefix)
            || mirror::is_endpoint_mapping(&source.bytes[hit.range.end.min(line.end)..line.end]);
        if site.mirror && site.site.is_none() {
            site.site = Some(LineSite::Mirror);
        }
        // Templated YAML outside a chart's templates/ (clusterloader2 configs, generated
        // manifests) holds actions too.
        if source.carrier == Carrier::GoTemplate || source.parses_as_yaml() {
            let start = hit.range.start - line.start;
            let end = (hit.range.end - line.start).min(line_bytes.len());
            if let Some(action) = template::template_action(line_bytes, start, end) {
                site.template_action = true;
                site.template_comparison = template::compares_or_strips(&line_bytes[action]);
                site.template_literal = start > 0 && matches!(line_bytes[start - 1], b'"' | b'`');
            }
        }
        site
    }

    /// The site a Markdown table row or the first matching line pattern gives the hit, and
    /// whether that makes its bare host a registry field.
    fn line_site(
        &self,
        source: &SourceFile,
        hit: &HostHit,
        line: &Range<usize>,
        prefix: &[u8],
        value_ends_here: bool,
    ) -> (Option<LineSite>, bool) {
        if source.carrier == Carrier::Markdown {
            let line_bytes = &source.bytes[line.clone()];
            let reference = hit.reference.start.max(line.start) - line.start
                ..hit.reference.end.min(line.end) - line.start;
            let host = hit.range.start - line.start..hit.range.end - line.start;
            if let Some((key, bare_host)) =
                markdown::markdown_table_key(line_bytes, host, reference)
            {
                // A values table (helm-docs): `| controller.image.registry | string |
                // "k8s.gcr.io" |`, `| image.repository | Image | k8s.gcr.io/cluster-autoscaler |`.
                let registry_field = bare_host && holds_registry(key.as_bytes());
                return (Some(LineSite::TableRow { key }), registry_field);
            }
        }
        for (pattern, regex) in LINE_PATTERNS.iter().zip(&self.patterns) {
            if !pattern.carriers.is_empty() && !pattern.carriers.contains(&source.carrier) {
                continue;
            }
            let Some(captures) = regex.captures(prefix) else {
                continue;
            };
            let site = (pattern.site)(&captures);
            let registry_field = match pattern.registry_field {
                RegistryField::Never => false,
                RegistryField::WhenValueEnds => value_ends_here,
                RegistryField::WhenNamedRegistry => {
                    value_ends_here
                        && site
                            .name()
                            .is_some_and(|name| holds_registry(name.as_bytes()))
                }
            };
            return (Some(site), registry_field);
        }
        (None, false)
    }
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

/// Whether a bare host (with an optional trailing `/`) is a whole value: a quoted string that
/// closes right after it (`"k8s.gcr.io"`), or an unquoted value that only blanks or a comment
/// follow on the line. Stricter than [`value_ends_after`], which also ends a value at the next
/// argument of a command line.
fn is_whole_value(bytes: &[u8], hit: &HostHit, line_end: usize) -> bool {
    let mut end = hit.range.end;
    if bytes.get(end) == Some(&b'/') {
        end += 1;
    }
    let open = hit
        .range
        .start
        .checked_sub(1)
        .and_then(|at| bytes.get(at))
        .copied();
    match open {
        Some(quote @ (b'"' | b'\'' | b'`')) => bytes.get(end) == Some(&quote),
        _ => {
            let rest = bytes.get(end..line_end).unwrap_or_default();
            let after_blanks = rest.trim_ascii();
            after_blanks.is_empty()
                || (after_blanks.starts_with(b"#")
                    && rest.first().is_some_and(u8::is_ascii_whitespace))
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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
mod tests;
