//! Span and fix properties, over generated documents with hits at random places.
//!
//! The generator writes YAML, Helm templates, JSON, Dockerfiles, shell, Go and Markdown line by
//! line: random keys, every YAML scalar style (plain, single- and double-quoted, escaped, flow,
//! literal and folded blocks, anchors and aliases), comments, URLs, lines of several KiB, LF
//! or CRLF, an optional BOM, multi-byte text around the hits, suppression comments, broken
//! YAML documents. Each image reference comes from one host form and the generator remembers
//! where it put it and what it is, so the properties can say which bytes must be found, under
//! which rules, which must never be found (lookalike hosts), and which must never be edited.
//!
//! A second generator feeds arbitrary bytes and arbitrary characters mixed with host needles
//! and YAML syntax: detection, fixing and rendering must never panic on them.
//!
//! Inputs a property once failed on are kept at the end as plain `#[test]`s. Set
//! `PROPTEST_CASES` for a longer hunt than the default case counts.

use std::ops::Range;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;

use regshift::finding::{Applicability, Edit, Finding};
use regshift::fix::{FixLevel, apply_fixes};
use regshift::internals::{RuleFilter, check_safe_edits};
use regshift::path::RepoPath;
use regshift::report::diff::unified_diff;
use regshift::report::human::HumanReporter;
use regshift::report::json::JsonReporter;
use regshift::report::{FileReport, FileStatus, RenderOptions, Reporter, RunReport, Summary};
use regshift::rules::{Rule, Severity};
use regshift::settings::Mode;

use crate::support::{count, detect, line_column};

const BOM: &str = "\u{feff}";
const NEW_HOST: &str = "registry.k8s.io";
const LEVELS: [FixLevel; 2] = [FixLevel::SafeOnly, FixLevel::IncludeUnsafe];

// ---------------------------------------------------------------------------------------------
// Generated documents
// ---------------------------------------------------------------------------------------------

/// What the generator put at a place, and so what detection must say about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `k8s.gcr.io` in any ASCII case: legacy-host (or legacy-mention for prose).
    Legacy,
    /// `{us,eu,asia}.gcr.io/k8s-artifacts-prod`, `<region>-docker.pkg.dev/k8s-artifacts-prod/images`.
    Backend,
    /// `gcr.io/google_containers`, `gcr.io/google-containers`.
    GcrProject,
    /// `staging-k8s.gcr.io`, `gcr.io/k8s-staging-*`: reported, never edited.
    Staging,
    /// `harbor.example.com/k8s.gcr.io/…`: reported as proxy-path, never edited.
    Proxy,
    /// `notk8s.gcr.io`, `k8s.gcr.io.mirror.example.net`, …: never reported.
    Lookalike,
    /// `k8s\x2egcr.io` in a double-quoted scalar: the raw bytes hold no host; never edited.
    Escaped,
}

#[derive(Clone, Debug)]
struct Reference {
    class: Class,
    text: String,
}

#[derive(Clone, Debug)]
enum Piece {
    Text(String),
    Ref(Reference),
}

type Line = Vec<Piece>;

fn text(value: impl Into<String>) -> Piece {
    Piece::Text(value.into())
}

/// A generated file: its bytes and where each reference went.
#[derive(Clone)]
struct Doc {
    path: String,
    text: String,
    refs: Vec<(Range<usize>, Class)>,
}

impl std::fmt::Debug for Doc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Doc {{ path: {:?}, text: {:?} }}", self.path, self.text)
    }
}

fn assemble(path: &str, lines: Vec<Line>, eol: &str, bom: bool, final_eol: bool) -> Doc {
    let mut out = String::new();
    let mut refs = Vec::new();
    if bom {
        out.push_str(BOM);
    }
    let count = lines.len();
    for (index, line) in lines.into_iter().enumerate() {
        for piece in line {
            match piece {
                Piece::Text(value) => out.push_str(&value),
                Piece::Ref(reference) => {
                    let start = out.len();
                    out.push_str(&reference.text);
                    refs.push((start..out.len(), reference.class));
                }
            }
        }
        if index + 1 < count || final_eol {
            out.push_str(eol);
        }
    }
    Doc {
        path: path.to_string(),
        text: out,
        refs,
    }
}

fn image_path() -> impl Strategy<Value = String> + Clone {
    (
        select(vec![
            "pause",
            "e2e-test-images/agnhost",
            "ingress-nginx/controller",
            "coredns/coredns",
            "kube-proxy",
            "etcd",
        ]),
        select(vec![
            "",
            ":3.9",
            ":v1.24.0",
            ":1.27",
            "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ]),
    )
        .prop_map(|(name, tag)| format!("{name}{tag}"))
}

fn reference(class: Class, hosts: Vec<&'static str>) -> impl Strategy<Value = Reference> + Clone {
    (select(hosts), image_path()).prop_map(move |(host, path)| Reference {
        class,
        text: format!("{host}/{path}"),
    })
}

const LEGACY_HOSTS: &[&str] = &["k8s.gcr.io", "K8S.GCR.IO", "K8s.Gcr.Io"];
const LOOKALIKE_HOSTS: &[&str] = &[
    "notk8s.gcr.io",
    "k8s.gcr.io.mirror.example.net",
    "asia-k8s.gcr.io",
    "k8s.gcr.io-notes",
    "xk8s.gcr.io",
];

/// An image reference of any class except `Escaped`.
fn image_ref() -> BoxedStrategy<Reference> {
    prop_oneof![
        5 => reference(Class::Legacy, LEGACY_HOSTS.to_vec()),
        1 => reference(
            Class::Backend,
            vec![
                "eu.gcr.io/k8s-artifacts-prod",
                "us.gcr.io/k8s-artifacts-prod",
                "ASIA.GCR.IO/k8s-artifacts-prod",
                "us-central1-docker.pkg.dev/k8s-artifacts-prod/images",
                "europe-docker.pkg.dev/k8s-artifacts-prod/images",
            ]
        ),
        1 => reference(
            Class::GcrProject,
            vec!["gcr.io/google_containers", "gcr.io/google-containers", "GCR.IO/google_containers"]
        ),
        1 => reference(
            Class::Staging,
            vec![
                "staging-k8s.gcr.io",
                "gcr.io/k8s-staging-ingress-nginx",
                "us-central1-docker.pkg.dev/k8s-staging-images",
            ]
        ),
        1 => reference(
            Class::Proxy,
            vec![
                "harbor.example.com/k8s.gcr.io",
                "localhost:5000/k8s.gcr.io",
                "registry.local:5000/K8S.GCR.IO",
            ]
        ),
        2 => reference(Class::Lookalike, {
            let mut hosts = LOOKALIKE_HOSTS.to_vec();
            hosts.extend(["mirror.gcr.io/library", "gcr.io/google-samples", "us.gcr.io/other-project"]);
            hosts
        }),
    ]
    .boxed()
}

/// A host standing alone, as a registry field's value or in prose.
fn bare_host() -> BoxedStrategy<Reference> {
    prop_oneof![
        3 => select(LEGACY_HOSTS.to_vec()).prop_map(|host| Reference { class: Class::Legacy, text: host.into() }),
        1 => Just(Reference { class: Class::Staging, text: "staging-k8s.gcr.io".into() }),
        2 => select(LOOKALIKE_HOSTS.to_vec()).prop_map(|host| Reference { class: Class::Lookalike, text: host.into() }),
    ]
    .boxed()
}

/// The legacy host spelled with escapes inside a double-quoted scalar. `json` restricts the
/// escapes to the ones JSON has.
fn escaped_ref(json: bool) -> impl Strategy<Value = Reference> + Clone {
    let spellings = if json {
        vec!["k8s\\u002egcr.io", "\\u006b8s.gcr.io"]
    } else {
        vec!["k8s\\x2egcr.io", "k8s\\u002egcr.io", "\\x6b8s.gcr.io"]
    };
    (select(spellings), image_path()).prop_map(|(host, path)| Reference {
        class: Class::Escaped,
        text: format!("{host}/{path}"),
    })
}

fn before() -> impl Strategy<Value = &'static str> + Clone {
    select(vec![
        "",
        "",
        "",
        "é ",
        "✓ ",
        "日本 ",
        "naïve — ",
        "Ünïcode ✓ ",
    ])
}

fn after() -> impl Strategy<Value = &'static str> + Clone {
    select(vec!["", "", "", " ✓", " 日本", " é", "."])
}

fn key() -> impl Strategy<Value = String> + Clone {
    (
        select(vec![
            "image",
            "registry",
            "repository",
            "imageRepository",
            "sandbox_image",
            "note",
            "café",
            "名前",
            "proxy",
        ]),
        0u16..1000,
    )
        .prop_map(|(key, n)| format!("{key}{n}"))
}

fn filler() -> impl Strategy<Value = String> + Clone {
    select(vec![
        "plain text",
        "héllo wörld ✓",
        "日本語のテキスト",
        "registry.k8s.io/pause:3.9",
        "x: y",
    ])
    .prop_map(str::to_string)
}

fn yaml_lines() -> BoxedStrategy<Vec<Line>> {
    let reference = || (before(), image_ref(), after());
    prop_oneof![
        (key(), reference()).prop_map(|(k, (b, r, a))| vec![vec![
            text(format!("{k}: {b}")),
            Piece::Ref(r),
            text(a)
        ]]),
        (key(), reference()).prop_map(|(k, (b, r, a))| vec![vec![
            text(format!("{k}: '{b}")),
            Piece::Ref(r),
            text(format!("{a}'"))
        ]]),
        (key(), reference()).prop_map(|(k, (b, r, a))| vec![vec![
            text(format!("{k}: \"{b}")),
            Piece::Ref(r),
            text(format!("{a}\""))
        ]]),
        (key(), before(), escaped_ref(false), after()).prop_map(|(k, b, r, a)| vec![vec![
            text(format!("{k}: \"{b}")),
            Piece::Ref(r),
            text(format!("{a}\""))
        ]]),
        (key(), image_ref(), image_ref()).prop_map(|(k, r1, r2)| vec![vec![
            text(format!("{k}: [")),
            Piece::Ref(r1),
            text(", '"),
            Piece::Ref(r2),
            text("']")
        ]]),
        (key(), reference(), filler()).prop_map(|(k, (b, r, a), f)| vec![
            vec![text(format!("{k}: |"))],
            vec![text(format!("  {b}docker pull ")), Piece::Ref(r), text(a)],
            vec![text(format!("  {f}"))],
        ]),
        reference().prop_map(|(b, r, a)| vec![vec![
            text(format!("# {b}")),
            Piece::Ref(r),
            text(a)
        ]]),
        (key(), filler(), reference()).prop_map(|(k, f, (b, r, a))| vec![vec![
            text(format!("{k}: {f} # {b}")),
            Piece::Ref(r),
            text(a)
        ]]),
        (key(), image_ref(), bare_host()).prop_map(|(k, r, h)| vec![
            vec![text(format!("{k}:"))],
            vec![text("  image: "), Piece::Ref(r)],
            vec![text("  registry: "), Piece::Ref(h)],
        ]),
        (key(), image_ref(), image_ref()).prop_map(|(k, r1, r2)| vec![
            vec![text(format!("{k}:"))],
            vec![text("- "), Piece::Ref(r1)],
            vec![text("- '"), Piece::Ref(r2), text("'")],
        ]),
        (key(), bare_host()).prop_map(|(k, h)| vec![vec![text(format!("{k}: ")), Piece::Ref(h)]]),
        (key(), bare_host()).prop_map(|(k, h)| vec![
            vec![text(format!("{k}:"))],
            vec![text("  \""), Piece::Ref(h), text("\": {endpoint: [x]}")],
        ]),
        (key(), image_ref()).prop_map(|(k, r)| vec![vec![
            text(format!("{k}: ")),
            Piece::Ref(r),
            text(" # regshift:ignore")
        ]]),
        (key(), image_ref()).prop_map(|(k, r)| vec![
            vec![text("# regshift:ignore-next-line")],
            vec![text(format!("{k}: ")), Piece::Ref(r)],
        ]),
        Just(vec![vec![text("---")]]),
        (key(), image_ref()).prop_map(|(k, r)| vec![
            vec![text(format!("{k}: [")), Piece::Ref(r)],
            vec![text("---")],
        ]),
        (key(), filler()).prop_map(|(k, f)| vec![vec![text(format!("{k}: {f}"))]]),
        (key(), image_ref(), escaped_ref(false)).prop_map(|(k, r, e)| vec![vec![
            text(format!("{k}: \"")),
            Piece::Ref(r),
            text(" "),
            Piece::Ref(e),
            text("\"")
        ]]),
        (key(), 0u16..100, image_ref()).prop_map(|(k, n, r)| vec![
            vec![text(format!("{k}: &a{n} ")), Piece::Ref(r)],
            vec![text(format!("{k}b: *a{n}"))],
        ]),
        (key(), reference()).prop_map(|(k, (b, r, a))| vec![
            vec![text(format!("{k}: >-"))],
            vec![text(format!("  {b}")), Piece::Ref(r), text(a)],
        ]),
        (key(), image_ref(), filler()).prop_map(|(k, r, f)| vec![vec![
            text(format!("{k}: \"")),
            Piece::Ref(r),
            text(format!("\" # ✓ {f}"))
        ]]),
        (key(), legacy_bare()).prop_map(|(k, h)| vec![vec![
            text(format!("{k}: https://")),
            Piece::Ref(h),
            text("/v2/pause/tags/list")
        ]]),
        (key(), legacy_bare()).prop_map(|(k, h)| vec![vec![
            text(format!(
                "{k}: https://github.com/kubernetes/k8s.io/tree/main/"
            )),
            Piece::Ref(h),
        ]]),
        (key(), image_ref()).prop_map(|(k, r)| vec![vec![
            text(format!("{k}: --pod-infra-container-image=")),
            Piece::Ref(r)
        ]]),
        (key(), padding(), image_ref(), padding()).prop_map(|(k, p1, r, p2)| vec![vec![
            text(format!("{k}: \"{p1} ")),
            Piece::Ref(r),
            text(format!(" {p2}\""))
        ]]),
    ]
    .boxed()
}

fn legacy_bare() -> impl Strategy<Value = Reference> + Clone {
    select(LEGACY_HOSTS.to_vec()).prop_map(|host| Reference {
        class: Class::Legacy,
        text: host.into(),
    })
}

/// Up to ~9 KiB of text, so that excerpts of long lines get cut.
fn padding() -> impl Strategy<Value = String> + Clone {
    (select(vec!["é ✓ ", "x", "日本 ", "ab "]), 0usize..3000)
        .prop_map(|(unit, times)| unit.repeat(times))
}

/// Helm templates: YAML lines plus template expressions around the host.
fn template_lines() -> BoxedStrategy<Vec<Line>> {
    prop_oneof![
        3 => yaml_lines(),
        1 => bare_host().prop_map(|h| vec![vec![
            text("image: \"{{ .Values.image.registry | default \""),
            Piece::Ref(h),
            text("\" }}/pause:3.9\"")
        ]]),
        1 => (select(LEGACY_HOSTS.to_vec()), image_path()).prop_map(|(h, p)| vec![vec![
            text("image: {{ .Values.proxy }}/"),
            Piece::Ref(Reference { class: Class::Proxy, text: format!("{h}/{p}") }),
        ]]),
        1 => image_ref().prop_map(|r| vec![vec![
            text("{{- /* "),
            Piece::Ref(r),
            text(" */ -}}")
        ]]),
    ]
    .boxed()
}

/// JSON members; `json_doc` adds the braces and commas.
fn json_members() -> BoxedStrategy<Vec<Line>> {
    let reference = || (before(), image_ref(), after());
    prop_oneof![
        (key(), reference()).prop_map(|(k, (b, r, a))| vec![vec![
            text(format!("  \"{k}\": \"{b}")),
            Piece::Ref(r),
            text(format!("{a}\""))
        ]]),
        (key(), image_ref(), image_ref()).prop_map(|(k, r1, r2)| vec![vec![
            text(format!("  \"{k}\": [\"")),
            Piece::Ref(r1),
            text("\", \""),
            Piece::Ref(r2),
            text("\"]")
        ]]),
        (key(), escaped_ref(true)).prop_map(|(k, r)| vec![vec![
            text(format!("  \"{k}\": \"")),
            Piece::Ref(r),
            text("\"")
        ]]),
        (key(), image_ref(), bare_host()).prop_map(|(k, r, h)| vec![
            vec![text(format!("  \"{k}\": {{"))],
            vec![text("    \"image\": \""), Piece::Ref(r), text("\",")],
            vec![text("    \"registry\": \""), Piece::Ref(h), text("\"")],
            vec![text("  }")],
        ]),
        (key(), filler()).prop_map(|(k, f)| vec![vec![text(format!("  \"{k}\": \"{f}\""))]]),
    ]
    .boxed()
}

fn dockerfile_lines() -> BoxedStrategy<Vec<Line>> {
    let reference = || (before(), image_ref(), after());
    prop_oneof![
        image_ref().prop_map(|r| vec![vec![text("FROM "), Piece::Ref(r)]]),
        image_ref().prop_map(|r| vec![vec![
            text("FROM --platform=$BUILDPLATFORM "),
            Piece::Ref(r),
            text(" AS build")
        ]]),
        reference().prop_map(|(b, r, a)| vec![vec![
            text(format!("# {b}")),
            Piece::Ref(r),
            text(a)
        ]]),
        image_ref().prop_map(|r| vec![vec![
            text("RUN docker pull "),
            Piece::Ref(r),
            text(" && echo ✓")
        ]]),
        bare_host().prop_map(|h| vec![vec![text("ARG REGISTRY="), Piece::Ref(h)]]),
        image_ref().prop_map(|r| vec![vec![
            text("COPY --from="),
            Piece::Ref(r),
            text(" /pause /pause")
        ]]),
        reference().prop_map(|(b, r, a)| vec![vec![
            text(format!("LABEL note=\"{b}")),
            Piece::Ref(r),
            text(format!("{a}\""))
        ]]),
        image_ref().prop_map(|r| vec![vec![
            text("FROM "),
            Piece::Ref(r),
            text(" # regshift:ignore")
        ]]),
        filler().prop_map(|f| vec![vec![text(format!("RUN echo '{f}'"))]]),
    ]
    .boxed()
}

fn shell_lines() -> BoxedStrategy<Vec<Line>> {
    let reference = || (before(), image_ref(), after());
    prop_oneof![
        image_ref().prop_map(|r| vec![vec![text("docker pull "), Piece::Ref(r)]]),
        reference().prop_map(|(b, r, a)| vec![vec![
            text(format!("IMAGE=\"{b}")),
            Piece::Ref(r),
            text(format!("{a}\""))
        ]]),
        reference().prop_map(|(b, r, a)| vec![vec![
            text(format!("echo '{b}")),
            Piece::Ref(r),
            text(format!("{a}' # ✓"))
        ]]),
        reference().prop_map(|(b, r, a)| vec![vec![
            text(format!("# {b}")),
            Piece::Ref(r),
            text(a)
        ]]),
        bare_host().prop_map(|h| vec![vec![
            text("kubeadm init --image-repository="),
            Piece::Ref(h)
        ]]),
        bare_host().prop_map(|h| vec![vec![
            text("REGISTRY=\"${REGISTRY:-"),
            Piece::Ref(h),
            text("}\"")
        ]]),
        image_ref().prop_map(|r| vec![vec![
            text("crictl pull "),
            Piece::Ref(r),
            text(" # regshift:ignore")
        ]]),
        filler().prop_map(|f| vec![vec![text(format!("echo \"{f}\""))]]),
    ]
    .boxed()
}

fn go_lines() -> BoxedStrategy<Vec<Line>> {
    let reference = || (before(), image_ref(), after());
    prop_oneof![
        (0u16..1000, image_ref()).prop_map(|(n, r)| vec![vec![
            text(format!("const image{n} = \"")),
            Piece::Ref(r),
            text("\"")
        ]]),
        reference().prop_map(|(b, r, a)| vec![vec![
            text(format!("// {b}")),
            Piece::Ref(r),
            text(a)
        ]]),
        bare_host().prop_map(|h| vec![vec![text("if repo == \""), Piece::Ref(h), text("\" {")]]),
        image_ref().prop_map(|r| vec![vec![
            text("\timages = append(images, \""),
            Piece::Ref(r),
            text("\")")
        ]]),
        image_ref().prop_map(|r| vec![vec![text("/* "), Piece::Ref(r), text(" */")]]),
        image_ref().prop_map(|r| vec![vec![
            text("var s = \""),
            Piece::Ref(r),
            text("\" // regshift:ignore")
        ]]),
        filler().prop_map(|f| vec![vec![text(format!("// {f}"))]]),
    ]
    .boxed()
}

fn markdown_lines() -> BoxedStrategy<Vec<Line>> {
    let reference = || (before(), image_ref(), after());
    prop_oneof![
        reference().prop_map(|(b, r, a)| vec![vec![text(b), Piece::Ref(r), text(a)]]),
        image_ref().prop_map(|r| vec![vec![text("Use `"), Piece::Ref(r), text("` here.")]]),
        image_ref().prop_map(|r| vec![
            vec![text("```sh")],
            vec![text("docker pull "), Piece::Ref(r)],
            vec![text("```")],
        ]),
        image_ref().prop_map(|r| vec![vec![text("<!-- "), Piece::Ref(r), text(" -->")]]),
        bare_host().prop_map(|h| vec![vec![text("# Moving off "), Piece::Ref(h)]]),
        reference().prop_map(|(b, r, a)| vec![vec![
            text(format!("- {b}")),
            Piece::Ref(r),
            text(a)
        ]]),
        image_ref().prop_map(|r| vec![
            vec![text("<!-- regshift:ignore-next-line -->")],
            vec![text("Pull "), Piece::Ref(r), text(".")],
        ]),
        filler().prop_map(|f| vec![vec![text(f)]]),
    ]
    .boxed()
}

fn eol() -> impl Strategy<Value = &'static str> + Clone {
    select(vec!["\n", "\r\n"])
}

fn plain_doc(paths: Vec<&'static str>, lines: BoxedStrategy<Vec<Line>>) -> BoxedStrategy<Doc> {
    (
        select(paths),
        vec(lines, 1..10),
        eol(),
        prop::bool::weighted(0.25),
        any::<bool>(),
    )
        .prop_map(|(path, groups, eol, bom, final_eol)| {
            let lines = groups.into_iter().flatten().collect();
            assemble(path, lines, eol, bom, final_eol)
        })
        .boxed()
}

fn json_doc() -> BoxedStrategy<Doc> {
    (
        select(vec!["deploy/pod.json", "config.json"]),
        vec(json_members(), 1..8),
        eol(),
        prop::bool::weighted(0.25),
        any::<bool>(),
    )
        .prop_map(|(path, members, eol, bom, final_eol)| {
            let count = members.len();
            let mut lines = vec![vec![text("{")]];
            for (index, mut member) in members.into_iter().enumerate() {
                if index + 1 < count {
                    member
                        .last_mut()
                        .expect("members have lines")
                        .push(text(","));
                }
                lines.extend(member);
            }
            lines.push(vec![text("}")]);
            assemble(path, lines, eol, bom, final_eol)
        })
        .boxed()
}

fn doc() -> BoxedStrategy<Doc> {
    prop_oneof![
        4 => plain_doc(vec!["deploy/app.yaml", "values.yaml", "k8s/pod.yml"], yaml_lines()),
        1 => plain_doc(vec!["charts/web/templates/deployment.yaml"], template_lines()),
        1 => json_doc(),
        1 => plain_doc(vec!["Dockerfile", "build/Dockerfile.arm64"], dockerfile_lines()),
        1 => plain_doc(vec!["hack/pull.sh"], shell_lines()),
        1 => plain_doc(vec!["pkg/images/images.go"], go_lines()),
        1 => plain_doc(vec!["README.md", "docs/move.md"], markdown_lines()),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn intersects(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// An escaped-scalar finding covers the whole scalar as written, escapes included.
fn is_escaped(finding: &Finding) -> bool {
    finding.fix.is_none() && finding.matched.contains('\\')
}

/// The value the generator's escapes decode to.
fn unescape(raw: &str) -> String {
    raw.replace("\\x2e", ".")
        .replace("\\u002e", ".")
        .replace("\\x6b", "k")
        .replace("\\u006b", "k")
}

/// Whether a suppression comment may hide findings on the line holding `offset`.
fn may_be_suppressed(text: &str, offset: usize) -> bool {
    if text.contains("regshift:ignore-file") {
        return true;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let line_end = text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at);
    if text[line_start..line_end].contains("regshift:ignore") {
        return true;
    }
    line_start > 0 && {
        let previous_start = text[..line_start - 1].rfind('\n').map_or(0, |at| at + 1);
        text[previous_start..line_start].contains("regshift:ignore-next-line")
    }
}

/// The rules a reference of `class` may be reported under.
fn rules_for(class: Class) -> &'static [Rule] {
    match class {
        // A legacy host used as a mapping key keys a mirror map (rule mirror-key).
        Class::Legacy => &[Rule::LegacyHost, Rule::LegacyMention, Rule::MirrorKey],
        Class::Backend => &[Rule::LegacyBackend],
        Class::GcrProject => &[Rule::LegacyGcrProject],
        Class::Staging => &[Rule::StagingRegistry],
        Class::Proxy => &[Rule::ProxyPath],
        Class::Lookalike | Class::Escaped => &[],
    }
}

/// The texts a fix may replace (ASCII case-insensitively).
const EDITABLE: &[&str] = &[
    "k8s.gcr.io",
    "eu.gcr.io/k8s-artifacts-prod",
    "us.gcr.io/k8s-artifacts-prod",
    "asia.gcr.io/k8s-artifacts-prod",
    "us-central1-docker.pkg.dev/k8s-artifacts-prod/images",
    "europe-docker.pkg.dev/k8s-artifacts-prod/images",
    "gcr.io/google_containers",
    "gcr.io/google-containers",
];

/// The edits `apply_fixes` applied, sorted, with duplicates (same edit from two findings) once.
fn applied_edits<'a>(findings: &'a [Finding], fixed: &[usize]) -> Vec<&'a Edit> {
    let mut edits: Vec<&Edit> = fixed
        .iter()
        .flat_map(|index| findings[*index].fix.as_ref().expect("fixed").edits())
        .collect();
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    edits.dedup();
    edits
}

/// `cases` per property; `PROPTEST_CASES` overrides it for a longer hunt.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Properties over generated documents
// ---------------------------------------------------------------------------------------------

/// Every finding's range lies inside the source, on char boundaries, and holds `matched`;
/// legacy-host findings match `k8s.gcr.io` case-insensitively; every planted reference is found
/// under a rule its class allows; lookalikes are never found.
fn check_spans(doc: &Doc) -> Result<(), TestCaseError> {
    let (_, detection) = detect(&doc.path, doc.text.as_bytes());
    let bytes = doc.text.as_bytes();
    for finding in &detection.findings {
        let range = &finding.range;
        prop_assert!(
            range.start < range.end && range.end <= bytes.len(),
            "{finding:?}"
        );
        prop_assert!(
            doc.text.is_char_boundary(range.start) && doc.text.is_char_boundary(range.end),
            "{finding:?}"
        );
        prop_assert_eq!(&doc.text[range.clone()], finding.matched.as_str());
        // Every finding without a fix says why (issue 15).
        prop_assert!(
            finding.fix.is_some() || finding.note.as_deref().is_some_and(|note| !note.is_empty()),
            "a finding without a fix and without a note: {finding:?}"
        );
        if finding.rule == Rule::UnusedSuppression {
            prop_assert!(finding.matched.starts_with("regshift:ignore"));
            continue;
        }
        if is_escaped(finding) {
            let escaped: Vec<String> = doc
                .refs
                .iter()
                .filter(|(planted, class)| *class == Class::Escaped && contains(range, planted))
                .map(|(planted, _)| unescape(&doc.text[planted.clone()]))
                .collect();
            prop_assert!(
                !escaped.is_empty(),
                "escaped finding without an escaped reference: {finding:?}"
            );
            prop_assert!(
                escaped.contains(&finding.reference),
                "escaped finding names {:?}, not the escaped reference {:?}",
                finding.reference,
                escaped
            );
            continue;
        }
        if matches!(finding.rule, Rule::LegacyHost | Rule::ProxyPath) {
            prop_assert!(
                finding.matched.eq_ignore_ascii_case("k8s.gcr.io"),
                "{finding:?}"
            );
        }
        let planted = doc
            .refs
            .iter()
            .find(|(planted, _)| contains(planted, range));
        let Some((_, class)) = planted else {
            return Err(TestCaseError::fail(format!(
                "finding outside every planted reference: {finding:?}"
            )));
        };
        prop_assert!(
            rules_for(*class).contains(&finding.rule),
            "{class:?} reported as {}: {finding:?}",
            finding.rule
        );
    }
    for (planted, class) in &doc.refs {
        let found: Vec<&Finding> = detection
            .findings
            .iter()
            .filter(|finding| intersects(&finding.range, planted))
            .collect();
        match class {
            // An escaped-scalar finding spans the whole scalar, lookalikes beside it included.
            Class::Lookalike => prop_assert!(
                found.iter().all(|finding| is_escaped(finding)),
                "lookalike {:?} reported: {found:?}",
                &doc.text[planted.clone()]
            ),
            Class::Escaped => {}
            _ if may_be_suppressed(&doc.text, planted.start) => {}
            _ => prop_assert!(
                !found.is_empty(),
                "{class:?} reference {:?} not reported",
                &doc.text[planted.clone()]
            ),
        }
    }
    Ok(())
}

/// line/column/end_line/end_column agree with the bytes, and the excerpt shows the span.
fn check_locations(doc: &Doc) -> Result<(), TestCaseError> {
    let (_, detection) = detect(&doc.path, doc.text.as_bytes());
    for finding in &detection.findings {
        let location = &finding.location;
        prop_assert_eq!(
            (location.line, location.column),
            line_column(doc.text.as_bytes(), finding.range.start),
            "start of {:?}",
            finding
        );
        prop_assert_eq!(
            (location.end_line, location.end_column),
            line_column(doc.text.as_bytes(), finding.range.end),
            "end of {:?}",
            finding
        );
        let excerpt = &finding.excerpt;
        prop_assert_eq!(excerpt.first_line, location.line);
        prop_assert_eq!(
            &excerpt.text[excerpt.span.clone()],
            finding.matched.as_str()
        );
        prop_assert!(
            !excerpt.text.contains('\r') && !excerpt.text.contains(BOM),
            "{:?}",
            excerpt
        );
    }
    Ok(())
}

/// Bytes outside the applied edits are unchanged; BOM, CRLF and UTF-8 survive; only legacy
/// host text is edited, never a lookalike, staging, proxy or escaped reference.
fn check_fix_preserves(doc: &Doc) -> Result<(), TestCaseError> {
    let source = doc.text.as_bytes();
    let (_, detection) = detect(&doc.path, source);
    for level in LEVELS {
        let applied = apply_fixes(source, &detection.findings, level)
            .map_err(|error| TestCaseError::fail(format!("{level:?}: {error}")))?;
        prop_assert_eq!(applied.conflicts, 0);
        let expected: Vec<usize> = detection
            .findings
            .iter()
            .enumerate()
            .filter(|(_, finding)| level.applies(finding.applicability()))
            .map(|(index, _)| index)
            .collect();
        prop_assert_eq!(
            &applied.fixed,
            &expected,
            "{:?}: every fixable finding is fixed",
            level
        );

        // Fix verification re-detects the fixed file searching only around the edits: it must
        // find exactly what a full detection finds.
        let (fixed, full) = detect(&doc.path, &applied.output);
        let after_edits = crate::support::DETECTOR.detect_after_edits(
            &fixed,
            &RuleFilter::default(),
            &detection,
            (&applied.edited, &applied.written),
        );
        prop_assert!(
            after_edits == full,
            "{:?}: detection after the edits",
            level
        );

        // The fix guard does not read again the documents of safe edits: they must parse.
        let safe_written: Vec<_> = applied
            .edited
            .iter()
            .zip(&applied.written)
            .filter(|(edit, _)| detection.safe_edits.contains(edit))
            .map(|(_, written)| written.clone())
            .collect();
        if let Ok(text) = std::str::from_utf8(&applied.output)
            && let Err(error) =
                check_safe_edits(text, &safe_written, crate::support::DETECTOR.scanner())
        {
            return Err(TestCaseError::fail(format!("{level:?}: {error}")));
        }

        let edits = applied_edits(&detection.findings, &applied.fixed);
        let output = &applied.output;
        let mut copied_to = 0;
        let mut at = 0;
        for edit in &edits {
            let kept = &source[copied_to..edit.range.start];
            prop_assert_eq!(
                &output[at..at + kept.len()],
                kept,
                "bytes before {:?}",
                edit
            );
            at += kept.len();
            prop_assert_eq!(
                &output[at..at + edit.replacement.len()],
                edit.replacement.as_bytes()
            );
            at += edit.replacement.len();
            copied_to = edit.range.end;

            prop_assert_eq!(edit.replacement.as_str(), NEW_HOST);
            prop_assert!(
                EDITABLE
                    .iter()
                    .any(|form| edit.original.eq_ignore_ascii_case(form)),
                "edit of {:?}",
                edit.original
            );
            for (planted, class) in &doc.refs {
                if matches!(
                    class,
                    Class::Lookalike | Class::Staging | Class::Proxy | Class::Escaped
                ) {
                    prop_assert!(
                        !intersects(planted, &edit.range),
                        "{:?} {:?} edited",
                        class,
                        &doc.text[planted.clone()]
                    );
                }
            }
        }
        prop_assert_eq!(
            &output[at..],
            &source[copied_to..],
            "bytes after the last edit"
        );

        // The fix classes of the catalogue (src/rules.rs): these rules are reported, never rewritten; the old
        // gcr.io project and program source are never safe.
        for finding in &detection.findings {
            let applicability = finding.applicability();
            if matches!(
                finding.rule,
                Rule::StagingRegistry
                    | Rule::ProxyPath
                    | Rule::MirrorKey
                    | Rule::PolicyList
                    | Rule::LegacyMention
                    | Rule::UnusedSuppression
            ) {
                prop_assert_eq!(applicability, Applicability::DisplayOnly, "{:?}", finding);
            }
            if finding.rule == Rule::LegacyGcrProject || doc.path.ends_with(".go") {
                prop_assert!(applicability != Applicability::Safe, "{:?}", finding);
            }
        }
        for index in &applied.fixed {
            let applicability = detection.findings[*index].applicability();
            prop_assert!(level.applies(applicability));
            if level == FixLevel::SafeOnly {
                prop_assert_eq!(applicability, Applicability::Safe);
            }
        }
        if doc.path.ends_with(".go") && level == FixLevel::SafeOnly {
            prop_assert!(applied.fixed.is_empty(), "program source gets no safe fix");
        }
        prop_assert!(std::str::from_utf8(output).is_ok());
        prop_assert_eq!(
            output.starts_with(BOM.as_bytes()),
            source.starts_with(BOM.as_bytes())
        );
        prop_assert_eq!(count(output, BOM.as_bytes()), count(source, BOM.as_bytes()));
        prop_assert_eq!(count(output, b"\r\n"), count(source, b"\r\n"));
        prop_assert_eq!(count(output, b"\n"), count(source, b"\n"));
        prop_assert_eq!(output.ends_with(b"\n"), source.ends_with(b"\n"));
    }
    Ok(())
}

/// Fixing converges: the fixed file has nothing fixable at that level, fixing it again changes
/// nothing, and the fix removed exactly the findings it fixed.
fn check_idempotent(doc: &Doc) -> Result<(), TestCaseError> {
    let source = doc.text.as_bytes();
    let (_, detection) = detect(&doc.path, source);
    for level in LEVELS {
        let first = apply_fixes(source, &detection.findings, level)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let (_, again) = detect(&doc.path, &first.output);
        let still_fixable: Vec<&Finding> = again
            .findings
            .iter()
            .filter(|finding| level.applies(finding.applicability()))
            .collect();
        prop_assert!(
            still_fixable.is_empty(),
            "{:?}: fixable after fixing: {:?}\nfixed text: {:?}",
            level,
            still_fixable,
            String::from_utf8_lossy(&first.output)
        );
        let second = apply_fixes(&first.output, &again.findings, level)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&second.output, &first.output);
        prop_assert!(second.fixed.is_empty());

        let mut left: Vec<&str> = detection
            .findings
            .iter()
            .enumerate()
            .filter(|(index, _)| !first.fixed.contains(index))
            .map(|(_, finding)| finding.rule.id())
            .collect();
        let mut remaining: Vec<&str> = again.findings.iter().map(|f| f.rule.id()).collect();
        left.sort_unstable();
        remaining.sort_unstable();
        prop_assert_eq!(
            remaining,
            left,
            "{:?}: findings not fixed must remain, and nothing new may appear",
            level
        );
    }
    Ok(())
}

/// diffy parses our unified diff and, applied to the old text, gives exactly the new text.
fn check_diff_applies(doc: &Doc) -> Result<(), TestCaseError> {
    let source = doc.text.as_bytes();
    let (_, detection) = detect(&doc.path, source);
    for level in LEVELS {
        let applied = apply_fixes(source, &detection.findings, level)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let new = String::from_utf8(applied.output).expect("UTF-8 stays UTF-8");
        let diff = unified_diff(&doc.path, source, new.as_bytes());
        let diff = String::from_utf8(diff).expect("a diff of UTF-8 texts is UTF-8");
        if new == doc.text {
            prop_assert_eq!(diff, "", "no change, no diff");
            continue;
        }
        let header = format!("--- a/{0}\n+++ b/{0}\n@@ ", doc.path);
        prop_assert!(diff.starts_with(&header), "{}", diff);
        let patch = diffy::Patch::from_str(&diff)
            .map_err(|error| TestCaseError::fail(format!("diffy cannot parse: {error}\n{diff}")))?;
        let patched = diffy::apply(&doc.text, &patch)
            .map_err(|error| TestCaseError::fail(format!("diffy cannot apply: {error}\n{diff}")))?;
        prop_assert_eq!(patched, new);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn spans_are_exact_and_lookalikes_never_match(doc in doc()) {
        check_spans(&doc)?;
    }

    #[test]
    fn locations_agree_with_the_bytes(doc in doc()) {
        check_locations(&doc)?;
    }

    #[test]
    fn fixes_change_only_the_edited_bytes(doc in doc()) {
        check_fix_preserves(&doc)?;
    }

    #[test]
    fn fixing_is_idempotent(doc in doc()) {
        check_idempotent(&doc)?;
    }

    #[test]
    fn diffy_applies_the_diff(doc in doc()) {
        check_diff_applies(&doc)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Arbitrary input never panics
// ---------------------------------------------------------------------------------------------

/// Every file kind the detector distinguishes, by name.
const PATHS: &[&str] = &[
    "a.yaml",
    "a.json",
    "Dockerfile",
    "a.sh",
    "a.go",
    "README.md",
    "chart/templates/d.yaml",
    "config.toml",
    "kubelet.env",
    "notes.txt",
];

const NEEDLES: &[&str] = &[
    "k8s.gcr.io",
    "K8S.GCR.IO",
    "k8s.gcr.io/pause:3.9",
    "gcr.io",
    "gcr.io/google_containers/",
    "eu.gcr.io/k8s-artifacts-prod/",
    "us-docker.pkg.dev/k8s-artifacts-prod/images/",
    "docker.pkg.dev",
    "staging-k8s.gcr.io",
    "gcr.io/k8s-staging-x",
    "harbor.example.com/k8s.gcr.io/",
    "https://k8s.gcr.io/v2/",
    "notk8s.gcr.io",
    "k8s.gcr.io.mirror.example.net",
    "registry.k8s.io",
    "regshift:ignore",
    "# regshift:ignore-next-line\n",
    "# regshift:ignore-file",
    "regshift:ignore[proxy-path,nope]",
    "\\x2e",
    "k8s\\x2egcr.io",
    "\u{feff}",
    "\r\n",
    "é",
    "日本",
];

const SYNTAX: &[&str] = &[
    "\n", "\r\n", "\r", ": ", "- ", "---\n", "...\n", "#", "\"", "'", "[", "]", "{", "}", ",",
    "|\n  ", ">-\n  ", "&a ", "*a", "!!str ", "? ", "\\", "\t", "  ", "`", "```\n", "<!--", "//",
    "/*", "FROM ", "image: ", "{{ ", " }}",
];

/// Random bytes with host needles spliced in at random places.
fn noisy_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        vec(any::<u8>(), 0..2000),
        vec((any::<Index>(), select(NEEDLES.to_vec())), 0..12),
    )
        .prop_map(|(mut bytes, needles)| {
            for (at, needle) in needles {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, needle.bytes());
            }
            bytes
        })
}

/// Valid UTF-8 made of arbitrary chars, needles and YAML/Markdown/template syntax, so that the
/// parsers see hostile but decodable input.
fn noisy_text() -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            3 => any::<char>().prop_map(String::from),
            3 => select(SYNTAX.to_vec()).prop_map(str::to_string),
            2 => select(NEEDLES.to_vec()).prop_map(str::to_string),
            1 => "[a-z]{1,8}",
        ],
        0..300,
    )
    .prop_map(|pieces| pieces.concat())
}

/// Detect, fix at both levels, diff and render: nothing may panic, spans stay inside the bytes
/// and hold `matched`, edits apply to their own buffer, UTF-8 stays UTF-8.
fn survive(path: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let (_, detection) = detect(path, bytes);
    let utf8 = std::str::from_utf8(bytes).ok();
    for finding in &detection.findings {
        let range = &finding.range;
        prop_assert!(
            range.start <= range.end && range.end <= bytes.len(),
            "{finding:?}"
        );
        prop_assert_eq!(
            String::from_utf8_lossy(&bytes[range.clone()]),
            finding.matched.as_str()
        );
        if let Some(text) = utf8 {
            prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        }
    }
    for level in LEVELS {
        let applied = apply_fixes(bytes, &detection.findings, level)
            .map_err(|error| TestCaseError::fail(format!("{level:?}: {error}")))?;
        if utf8.is_some() {
            prop_assert!(std::str::from_utf8(&applied.output).is_ok());
        }
        let _ = unified_diff(path, bytes, &applied.output);
    }

    let mut report = FileReport::new(RepoPath::new(path), FileStatus::Scanned);
    report.findings = detection.findings;
    report.notes = detection.notes;
    let options = RenderOptions {
        mode: Mode::Check,
        fix_level: FixLevel::SafeOnly,
        fail_on: Severity::Warning,
    };
    let mut run = RunReport {
        summary: Summary::default(),
        skipped: Vec::new(),
        notes: Vec::new(),
        errors: Vec::new(),
    };
    run.summary.add(&report, &options);
    let reporters: [Box<dyn Reporter>; 2] = [
        Box::new(HumanReporter::new(options)),
        Box::new(JsonReporter::new(options)),
    ];
    for mut reporter in reporters {
        let mut out = Vec::new();
        reporter.begin(&mut out).unwrap();
        reporter.file(&mut out, &report).unwrap();
        reporter.end(&mut out, &run).unwrap();
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in noisy_bytes()) {
        for path in PATHS {
            survive(path, &bytes)?;
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in noisy_text()) {
        for path in PATHS {
            survive(path, text.as_bytes())?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions: minimal inputs the properties above shrank to
// ---------------------------------------------------------------------------------------------

fn planted(class: Class, text: &str) -> Piece {
    Piece::Ref(Reference {
        class,
        text: text.into(),
    })
}

fn run_check(check: fn(&Doc) -> Result<(), TestCaseError>, doc: &Doc) {
    if let Err(error) = check(doc) {
        panic!("{error}\n{doc:?}");
    }
}

/// A BOM is not part of the first word of a file: `harbor.example.com/k8s.gcr.io/pause` on the
/// first line of a file with a BOM is a proxy path (warning), not a folder name (info).
// See: found by `spans_are_exact_and_lookalikes_never_match`.
#[test]
fn bom_before_a_proxy_path_on_the_first_line() {
    for path in ["README.md", "images.txt", "values.yaml"] {
        let doc = assemble(
            path,
            vec![vec![planted(
                Class::Proxy,
                "harbor.example.com/k8s.gcr.io/pause",
            )]],
            "\n",
            true,
            false,
        );
        let (_, detection) = detect(path, doc.text.as_bytes());
        assert_eq!(detection.findings.len(), 1, "{path}: {detection:?}");
        let finding = &detection.findings[0];
        assert_eq!(finding.rule, Rule::ProxyPath, "{path}: {finding:?}");
        assert_eq!(finding.reference, "harbor.example.com/k8s.gcr.io/pause");
        run_check(check_spans, &doc);
    }
}

/// A double-quoted scalar that holds a plain reference and an escaped one: the escaped-scalar
/// finding must describe the escaped reference (its rule, reference and message), not the
/// first host in the decoded value, which is the plain one and already has its own finding.
// See: found by `spans_are_exact_and_lookalikes_never_match` and `fixing_is_idempotent`.
#[test]
fn escaped_scalar_beside_a_plain_reference() {
    let doc = assemble(
        "deploy/app.yaml",
        vec![vec![
            text("image0: \""),
            planted(Class::Legacy, "k8s.gcr.io/pause"),
            text(" "),
            planted(Class::Escaped, "k8s\\x2egcr.io/pause:3.9"),
            text("\""),
        ]],
        "\n",
        false,
        false,
    );
    let (_, detection) = detect(&doc.path, doc.text.as_bytes());
    let escaped: Vec<&Finding> = detection
        .findings
        .iter()
        .filter(|f| is_escaped(f))
        .collect();
    assert_eq!(escaped.len(), 1, "{detection:?}");
    assert_eq!(escaped[0].reference, "k8s.gcr.io/pause:3.9");
    run_check(check_spans, &doc);

    // The escaped reference is legacy-host; the plain one beside it is legacy-backend. The
    // escaped finding must not take the plain one's rule (and then change rule once the plain
    // one is fixed).
    let doc = assemble(
        "deploy/app.yaml",
        vec![vec![
            text("image0: \""),
            planted(Class::Backend, "eu.gcr.io/k8s-artifacts-prod/pause"),
            text(" "),
            planted(Class::Escaped, "k8s\\x2egcr.io/pause"),
            text("\""),
        ]],
        "\n",
        false,
        false,
    );
    let (_, detection) = detect(&doc.path, doc.text.as_bytes());
    let escaped: Vec<&Finding> = detection
        .findings
        .iter()
        .filter(|f| is_escaped(f))
        .collect();
    assert_eq!(escaped.len(), 1, "{detection:?}");
    assert_eq!(escaped[0].rule, Rule::LegacyHost, "{:?}", escaped[0]);
    assert_eq!(escaped[0].reference, "k8s.gcr.io/pause");
    run_check(check_idempotent, &doc);
}
