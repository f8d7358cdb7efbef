//! The base verdict: the first of these named rules that claims a hit decides its rule, its
//! message and its default fix. Their order is the decision: a policy names the old host on
//! purpose wherever the host stands; a map key that is a full image name follows the images,
//! while a mirror key names the old host on purpose; a text pattern (sed, a shell
//! `${image/…/…}`) matches text that still names it; a URL or file path names a folder; a
//! proxy path names a cache project; a form that is only reported (a staging registry) is
//! reported as itself; the rest is decided by the hit's position and shape.

use super::{Hit, Verdict};
use crate::carrier::Carrier;
use crate::detect::hosts::{HostForm, Position, Shape};
use crate::detect::names::holds_registry;
use crate::detect::text::{LineSite, is_endpoint_mapping};
use crate::detect::yaml::{ImageKey, Place};
use crate::finding::Applicability;
use crate::rules::{Rule, Treatment};

/// A named rule of the base verdict.
pub(super) struct BaseRule {
    /// How tests and reviews name it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub name: &'static str,
    pub decide: fn(&Hit<'_>) -> Option<Verdict>,
}

/// In order; the last one claims every hit the others leave.
pub(super) const BASE_RULES: &[BaseRule] = &[
    BaseRule {
        name: "policy",
        decide: policy,
    },
    BaseRule {
        name: "image key",
        decide: image_key,
    },
    BaseRule {
        name: "mirror key",
        decide: mirror_key,
    },
    BaseRule {
        name: "text pattern",
        decide: text_pattern,
    },
    BaseRule {
        name: "URL or file path",
        decide: path_segment,
    },
    BaseRule {
        name: "proxy path",
        decide: proxy_path,
    },
    BaseRule {
        name: "reported form",
        decide: reported_form,
    },
    BaseRule {
        name: "URL host",
        decide: url_host,
    },
    BaseRule {
        name: "image",
        decide: image,
    },
    BaseRule {
        name: "template comparison",
        decide: template_comparison,
    },
    BaseRule {
        name: "registry field",
        decide: registry_field,
    },
    BaseRule {
        name: "value in code",
        decide: value_in_code,
    },
    BaseRule {
        name: "mention",
        decide: mention,
    },
];

/// The base verdict for a hit.
pub(super) fn base(cx: &Hit<'_>) -> Verdict {
    BASE_RULES
        .iter()
        .find_map(|rule| (rule.decide)(cx))
        .expect("the mention rule claims every hit")
}

/// Policies name the old host on purpose: deny-lists must keep it, allow-lists need both.
fn policy(cx: &Hit<'_>) -> Option<Verdict> {
    let resource = cx.policy()?;
    let source = cx.source;
    let line = source.line_range_at(cx.hit.range.start);
    let before_host = &source.bytes[line.start..cx.hit.range.start];
    let key_path = cx.yaml.map_or("", |site| site.key_path.as_str());
    let prose = key_path.rsplit(['.', ']']).next().is_some_and(|field| {
        ["message", "description", "title", "name", "desc", "output"].contains(&field)
    });
    let note = if prose {
        "no automatic fix: policies name the old host on purpose; review this text by hand"
    } else if is_deny_list(&resource.kind, key_path, before_host) {
        "no automatic fix: a deny-list blocks the old host on purpose; keep it (add registry.k8s.io only to deny the new host too)"
    } else {
        "no automatic fix: an allow-list must name both hosts while workloads still use the old one; add registry.k8s.io beside it"
    };
    let message = format!("{} is named in the {} policy", cx.host, resource.kind);
    Some(Verdict::none(Rule::PolicyList, message).with_note(note))
}

/// A deny-list, from the policy kind (`K8sDisallowedRepos`), its field names
/// (`deniedRegistries`, Kyverno `deny`) or a negated pattern (`!k8s.gcr.io/*`).
fn is_deny_list(kind: &str, key_path: &str, before_host: &[u8]) -> bool {
    let lower = format!("{kind} {key_path}").to_ascii_lowercase();
    ["disallow", "deny", "denied", "block", "banned", "forbid"]
        .iter()
        .any(|word| lower.contains(word))
        // A negation before the host: a `!k8s.gcr.io/*` pattern, a CEL
        // `!image.startsWith('k8s.gcr.io/')`.
        || before_host.contains(&b'!')
}

/// A map keyed by full image names (`"k8s.gcr.io/pause:3.9": "mirror.example.com/pause:3.9"`):
/// whatever looks its keys up uses the new names once the references move, so the key moves
/// too, unless the map already holds the key it would become.
fn image_key(cx: &Hit<'_>) -> Option<Verdict> {
    let image_key = cx.yaml?.image_key?;
    let message = format!("a map is keyed by an image on {}", cx.describe());
    Some(match image_key {
        ImageKey::Renamable => Verdict::fix(cx.hit.form.rule(), message, cx.form_applicability()),
        ImageKey::Collides => {
            let start = cx.hit.range.start - cx.hit.reference.start;
            let end = cx.hit.range.end - cx.hit.reference.start;
            let renamed = format!(
                "{}{}{}",
                cx.reference.get(..start).unwrap_or_default(),
                cx.destination(),
                cx.reference.get(end..).unwrap_or_default()
            );
            Verdict::none(cx.hit.form.rule(), message).with_note(&format!(
                "no automatic fix: this map already holds the key {renamed} (or another key that becomes it); rewriting this key would create a duplicate key: merge the two entries by hand"
            ))
        }
    })
}

/// A map keyed by the registry (containerd mirrors, certs.d, k3s, Talos, kOps).
fn mirror_key(cx: &Hit<'_>) -> Option<Verdict> {
    if !cx.mirror() {
        return None;
    }
    let note = if cx.text.mirror_names_new_host || cx.line_names(crate::rules::NEW_HOST) {
        "no automatic fix: this mirror already sends the old host to registry.k8s.io; keep it while references to the old host remain"
    } else if is_mirror_key(cx) {
        "no automatic fix: the key must keep matching references to the old host; add a sibling registry.k8s.io entry with the same settings"
    } else {
        "no automatic fix: a setting of the mirror keyed by the old host (its endpoint, its credentials); keep it with that key, and give a sibling registry.k8s.io entry the same settings"
    };
    let message = format!("a registry mirror or setting is keyed by {}", cx.host);
    Some(Verdict::none(Rule::MirrorKey, message).with_note(note))
}

/// Whether the hit is the key of its mirror (a YAML key, a TOML table header, a certs.d
/// folder, the host of a `host=endpoint` word), not one of its settings.
fn is_mirror_key(cx: &Hit<'_>) -> bool {
    // TOML in a YAML block scalar (kind's containerdConfigPatches) is read by its lines.
    let line = cx.source.line_range_at(cx.hit.range.start);
    let before = &cx.source.bytes[line.start..cx.hit.range.start];
    let after = &cx.source.bytes[cx.hit.range.end.min(line.end)..line.end];
    cx.yaml.is_some_and(|site| site.place == Place::Key)
        || before.trim_ascii_start().starts_with(b"[")
        || before.ends_with(b"certs.d/")
        || is_endpoint_mapping(after)
}

/// The host as a segment of a URL path or a file path (`…/tree/main/k8s.gcr.io`,
/// `k8s.gcr.io/images/k8s-staging-dns/images.yaml`), or at the start of a path that a command
/// takes (`cd k8s.gcr.io/images`, `ls k8s.gcr.io/`), names a folder.
fn path_segment(cx: &Hit<'_>) -> Option<Verdict> {
    let path_argument = cx.hit.position == Position::Registry
        && matches!(cx.text.site, Some(LineSite::PathCommand { .. }));
    (cx.hit.position == Position::PathSegment || path_argument).then(|| {
        Verdict::none(
            Rule::LegacyMention,
            format!(
                "{} names a folder in a URL or file path, not an image registry",
                cx.host
            ),
        )
        .with_note(if names_k8s_io_folder(cx) {
            "no automatic fix: the path names the kubernetes/k8s.io repository's k8s.gcr.io/ \
             folder, which that repository has since renamed registry.k8s.io/; a link to a \
             branch (main, HEAD) needs the new folder by hand, a link to a pinned commit stays"
        } else {
            "no automatic fix: the path must keep naming the folder it names"
        })
    })
}

/// Whether a path segment is the folder of image promotion manifests in the kubernetes/k8s.io
/// repository: a link into that repository (`github.com/kubernetes/k8s.io/tree/main/k8s.gcr.io`)
/// or a path in its layout (`k8s.gcr.io/images/k8s-staging-dns/images.yaml`). The folder was
/// renamed `registry.k8s.io/` in 2023, so the note can say what the folder is now; the fix stays
/// none, because a link to a pinned commit is right as it is.
fn names_k8s_io_folder(cx: &Hit<'_>) -> bool {
    let line = cx.source.line_range_at(cx.hit.range.start);
    let before = cx.source.bytes[line.start..cx.hit.range.start].to_ascii_lowercase();
    let after = &cx.source.bytes[cx.hit.range.end..line.end];
    if after.starts_with(b"/images/k8s-staging-") {
        return true;
    }
    // The URL's last word before the host: `…/kubernetes/k8s.io/tree/<ref>/`.
    let url = before
        .rsplit(|b| b.is_ascii_whitespace() || matches!(b, b'(' | b'<' | b'"' | b'\'' | b'['))
        .next()
        .unwrap_or_default();
    let Some(at) = memchr::memmem::find(url, b"/kubernetes/k8s.io/") else {
        return false;
    };
    let rest = &url[at + b"/kubernetes/k8s.io/".len()..];
    let parts: Vec<&[u8]> = rest.split(|&b| b == b'/').collect();
    let host = &url[..at];
    match parts.as_slice() {
        // github.com/kubernetes/k8s.io/{tree,blob,raw,edit}/<ref>/ + host
        [kind, reference, empty] if host.ends_with(b"github.com") => {
            matches!(*kind, b"tree" | b"blob" | b"raw" | b"edit")
                && !reference.is_empty()
                && empty.is_empty()
        }
        // raw.githubusercontent.com/kubernetes/k8s.io/<ref>/ + host
        [reference, empty] if host.ends_with(b"raw.githubusercontent.com") => {
            !reference.is_empty() && empty.is_empty()
        }
        _ => false,
    }
}

/// The host in a pattern that matches text: between the slashes of a sed, awk or grep
/// pattern, or in a shell parameter expansion (`${image/k8s.gcr.io/…}`). Whatever a pattern
/// searches still names the old host until it moves too.
fn text_pattern(cx: &Hit<'_>) -> Option<Verdict> {
    (cx.in_text_pattern() || cx.in_parameter_pattern()).then(|| pattern_verdict(cx))
}

fn pattern_verdict(cx: &Hit<'_>) -> Verdict {
    if let Some(file) = cx.sed_input_moves() {
        return Verdict::fix(
            cx.hit.form.rule(),
            format!(
                "the substitution's pattern matches {} in {file}, which this fix rewrites",
                cx.host
            ),
            Applicability::Safe,
        )
        .with_note(&format!(
            "the pattern moves with {file}: left as it is, the command would no longer match anything there"
        ));
    }
    Verdict::none(
        Rule::LegacyMention,
        format!(
            "{} is part of a text pattern (sed, awk, grep, a shell ${{…/…}}), not an image registry",
            cx.host
        ),
    )
    .with_note(
        "no automatic fix: the pattern matches text that names the old host; change it together with what it searches",
    )
}

fn proxy_path(cx: &Hit<'_>) -> Option<Verdict> {
    if cx.hit.position != Position::ProxyPath {
        return None;
    }
    let proxy = cx.reference.split('/').next().unwrap_or_default();
    let upstream = match cx.hit.form {
        HostForm::Move(_) => format!("still pulls from {}", cx.host),
        HostForm::Builtin(_) => "still pulls from the frozen registry".to_string(),
    };
    let message = format!(
        "{} is a project on the registry proxy {proxy}, which {upstream}",
        cx.host
    );
    Some(Verdict::none(Rule::ProxyPath, message).with_note(
        "no automatic fix: point the proxy project at registry.k8s.io and reference that project",
    ))
}

/// A form the catalogue only reports (a staging registry): its own message and note.
fn reported_form(cx: &Hit<'_>) -> Option<Verdict> {
    let rule = cx.hit.form.rule();
    let Treatment::Report { message, note } = &rule.host()?.treatment else {
        return None;
    };
    Some(Verdict::none(rule, message.replace("{host}", &cx.host)).with_note(note))
}

fn url_host(cx: &Hit<'_>) -> Option<Verdict> {
    if cx.hit.position != Position::UrlHost {
        return None;
    }
    let note = match cx.hit.form {
        HostForm::Move(_) => {
            "unsafe: a URL names a server path, which the new registry may not serve the same way"
        }
        HostForm::Builtin(_) => {
            "unsafe: registry.k8s.io answers with redirects to its storage backends, so HTTP clients must follow them (curl -L)"
        }
    };
    let message = format!("URL points at {}", cx.describe());
    Some(Verdict::fix(cx.hit.form.rule(), message, Applicability::Unsafe).with_note(note))
}

fn image(cx: &Hit<'_>) -> Option<Verdict> {
    if cx.hit.shape != Shape::Image {
        return None;
    }
    let message = if cx.repository_field() {
        format!("repository points at {}", cx.describe())
    } else {
        format!("image is pulled from {}", cx.describe())
    };
    Some(Verdict::fix(
        cx.hit.form.rule(),
        message,
        cx.form_applicability(),
    ))
}

// The rules below see a bare host in registry position: every other hit is claimed above.

/// A template compares with (or strips) the host: rewriting it changes what renders.
fn template_comparison(cx: &Hit<'_>) -> Option<Verdict> {
    cx.text.template_comparison.then(|| {
        Verdict::none(
            cx.hit.form.rule(),
            format!("the template compares with {}", cx.describe()),
        )
        .with_note(super::refine::TEMPLATE_COMPARISON)
    })
}

/// The host is the whole value of a field that holds a registry, or of any data value.
fn registry_field(cx: &Hit<'_>) -> Option<Verdict> {
    cx.registry_field().then(|| {
        let field = match cx.value_name() {
            Some(name) if !holds_registry(name.as_bytes()) => name,
            _ => "registry",
        };
        Verdict::fix(
            cx.hit.form.rule(),
            format!("{field} is set to {}", cx.describe()),
            cx.form_applicability(),
        )
    })
}

/// Code that holds the bare host as a value (`[ "$x" = "k8s.gcr.io" ]`, `source :=
/// "k8s.gcr.io"` before building a name) names the registry; whether to change it is the
/// author's call.
fn value_in_code(cx: &Hit<'_>) -> Option<Verdict> {
    let code = matches!(cx.source.carrier, Carrier::ProgramSource | Carrier::Shell);
    // A shell assignment needs no quotes: `UPSTREAM=k8s.gcr.io` is the same value.
    let assigned =
        cx.source.carrier == Carrier::Shell && cx.text.whole_value && !cx.text.in_comment;
    (code && (is_quoted_value(&cx.source.bytes, cx.hit) || assigned)).then(|| {
        Verdict::fix(
            cx.hit.form.rule(),
            format!("code names {}", cx.describe()),
            Applicability::Unsafe,
        )
        .with_note("unsafe: code holds the host as a value (a comparison, a default, a name being built); review before applying")
    })
}

fn mention(cx: &Hit<'_>) -> Option<Verdict> {
    // A bare host in a substitution with another delimiter (`s|k8s.gcr.io|…|`): an image
    // there is left to the rules above, as maintainers move such patterns with their files.
    if cx.in_substitution() {
        return Some(pattern_verdict(cx));
    }
    Some(
        Verdict::none(Rule::LegacyMention, format!("mentions {}", cx.describe()))
            .with_note("no automatic fix: the host alone names no image here; edit the text by hand if it should change"),
    )
}

/// The host (with an optional trailing `/`) is a whole quoted string: `"k8s.gcr.io"`.
fn is_quoted_value(bytes: &[u8], hit: &crate::detect::hosts::HostHit) -> bool {
    let Some(&open) = hit.range.start.checked_sub(1).and_then(|at| bytes.get(at)) else {
        return false;
    };
    let mut end = hit.range.end;
    if bytes.get(end) == Some(&b'/') {
        end += 1;
    }
    matches!(open, b'"' | b'\'' | b'`') && bytes.get(end) == Some(&open)
}
