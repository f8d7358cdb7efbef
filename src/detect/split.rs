//! Image references split across keys: `registry: us.gcr.io` with
//! `repository: k8s-artifacts-prod/ingress-nginx/controller` renders as a legacy backend, yet
//! neither value alone is one. This is the one place where structure adds a finding the text
//! layer cannot see: the legacy form exists only once the two values are joined.
//!
//! The fix rewrites both values, the host to `registry.k8s.io` and the project prefix away,
//! so the joined reference becomes `registry.k8s.io/ingress-nginx/controller`.

use super::hosts::NEW_HOST;
use super::yaml::Node;
use crate::finding::{Applicability, Edit, Finding, Fix};
use crate::rules::Rule;

/// What a split pair names, and the prefix of the repository that belongs to the legacy form.
struct SplitForm {
    rule: Rule,
    prefix_len: usize,
    applicability: Applicability,
}

/// Needles that a file must hold for a split pair to exist at all, as written.
pub const NEEDLES: &[&[u8]] = &[
    b"k8s-artifacts-prod",
    b"google_containers",
    b"google-containers",
];

/// The old project's registry.
const GCR: &str = "gcr.io";
/// gcr.io's regional hosts, whose `k8s-artifacts-prod` project backs registry.k8s.io.
const GCR_BACKENDS: [&str; 3] = ["us.gcr.io", "eu.gcr.io", "asia.gcr.io"];
/// How an Artifact Registry host ends (`us-docker.pkg.dev`).
const ARTIFACT_REGISTRY: &str = "-docker.pkg.dev";

/// Whether the host token at `token` in `bytes` (as the host scan delimits it) may be the
/// whole `registry` value of a split pair. [`classify`] accepts only these hosts, trimmed of
/// spaces and trailing slashes, and the value must be found in the text as written
/// (`value_range`): so the token is followed by slashes at most, then by the end of the scalar
/// (a quote, a space, a line break, a flow indicator, an escape, a non-ASCII space, or the end
/// of the file). Most files with hits have none, and need no search for [`NEEDLES`].
pub fn may_be_registry(bytes: &[u8], token: std::ops::Range<usize>) -> bool {
    let host = &bytes[token.clone()];
    // The suffix is looked for in the bytes, not the token: a token never starts with `-`, so
    // the value `-docker.pkg.dev` is the token `docker.pkg.dev`.
    let through_host = &bytes[..token.end];
    let known = std::iter::once(GCR)
        .chain(GCR_BACKENDS)
        .any(|known| host.eq_ignore_ascii_case(known.as_bytes()))
        || through_host.len() >= ARTIFACT_REGISTRY.len()
            && through_host[through_host.len() - ARTIFACT_REGISTRY.len()..]
                .eq_ignore_ascii_case(ARTIFACT_REGISTRY.as_bytes());
    let after = bytes[token.end..]
        .iter()
        .find(|byte| **byte != b'/')
        .copied();
    known
        && after.is_none_or(|byte| {
            !byte.is_ascii()
                || byte.is_ascii_whitespace()
                || matches!(byte, b'"' | b'\'' | b',' | b']' | b'}' | b'\\')
        })
}

/// Findings for every mapping whose `registry` and `repository` (or `image`) together name a
/// legacy backend or the old gcr.io project. `label` prefixes contexts ("values", "yaml").
pub fn split_references(text: &str, documents: &[Node], label: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for root in documents {
        visit(text, root, &mut Vec::new(), label, &mut findings);
    }
    findings
}

fn visit(
    text: &str,
    node: &Node,
    path: &mut Vec<String>,
    label: &str,
    findings: &mut Vec<Finding>,
) {
    match node {
        Node::Mapping { entries, .. } => {
            if let Some(finding) = split_pair(text, node, path, label) {
                findings.push(finding);
            }
            for (key, value) in entries {
                path.push(key.as_str().unwrap_or("?").to_string());
                visit(text, value, path, label, findings);
                path.pop();
            }
        }
        Node::Sequence { items, .. } => {
            for (index, item) in items.iter().enumerate() {
                path.push(format!("[{index}]"));
                visit(text, item, path, label, findings);
                path.pop();
            }
        }
        _ => {}
    }
}

fn split_pair(text: &str, mapping: &Node, path: &[String], label: &str) -> Option<Finding> {
    let registry = mapping.get("registry")?;
    let (repository_key, repository) = ["repository", "image"]
        .iter()
        .find_map(|key| Some((*key, mapping.get(key)?)))?;
    let registry_value = registry.as_str()?.trim().trim_end_matches('/');
    let repository_value = repository.as_str()?.trim();
    let form = classify(registry_value, repository_value)?;

    let registry_range = value_range(text, registry.range(), registry_value)?;
    let repository_start = value_range(text, repository.range(), repository_value)?.start;
    let prefix = repository_start..repository_start + form.prefix_len;
    let matched = text[registry_range.clone()].to_string();
    let key_path = |key: &str| {
        let mut parts: Vec<&str> = path.iter().map(String::as_str).collect();
        parts.push(key);
        parts.join(".").replace(".[", "[")
    };
    let message = match form.rule {
        Rule::LegacyGcrProject => format!(
            "image is pulled from {matched}/{}, the old project behind k8s.gcr.io (registry and repository are split)",
            &repository_value[..form.prefix_len - 1]
        ),
        _ => format!(
            "image is pulled from {matched}/{}, a storage backend that registry.k8s.io may move away from (registry and repository are split)",
            &repository_value[..form.prefix_len - 1]
        ),
    };
    let note = match form.applicability {
        Applicability::Unsafe => Some(
            "unsafe: the Kubernetes project copied these images to registry.k8s.io but does not guarantee every one; the fix rewrites both keys".to_string(),
        ),
        _ => Some(format!(
            "the fix rewrites both keys: registry becomes {NEW_HOST} and `{}` loses its `{}` prefix",
            key_path(repository_key),
            &repository_value[..form.prefix_len]
        )),
    };
    Some(Finding {
        rule: form.rule,
        reference: format!("{registry_value}/{repository_value}"),
        context: format!("{label}: {}", key_path("registry")),
        message,
        note,
        // The repository may come before the registry in the mapping: the fix sorts them.
        fix: Fix::new(
            vec![
                Edit {
                    range: registry_range.clone(),
                    original: matched.clone(),
                    replacement: NEW_HOST.to_string(),
                },
                Edit {
                    range: prefix.clone(),
                    original: text[prefix].to_string(),
                    replacement: String::new(),
                },
            ],
            form.applicability,
        )
        .ok(),
        range: registry_range,
        matched,
        location: Default::default(),
        excerpt: Default::default(),
        fix_excerpt: None,
    })
}

fn classify(registry: &str, repository: &str) -> Option<SplitForm> {
    let registry = registry.to_ascii_lowercase();
    let starts = |prefix: &str| {
        repository.len() > prefix.len() && repository[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    let backend = |prefix: &str| SplitForm {
        rule: Rule::LegacyBackend,
        prefix_len: prefix.len(),
        applicability: Applicability::Safe,
    };
    if GCR_BACKENDS.contains(&registry.as_str()) && starts("k8s-artifacts-prod/") {
        return Some(backend("k8s-artifacts-prod/"));
    }
    if registry.ends_with(ARTIFACT_REGISTRY) && starts("k8s-artifacts-prod/images/") {
        return Some(backend("k8s-artifacts-prod/images/"));
    }
    if registry == GCR {
        for prefix in ["google_containers/", "google-containers/"] {
            if starts(prefix) {
                return Some(SplitForm {
                    rule: Rule::LegacyGcrProject,
                    prefix_len: prefix.len(),
                    applicability: Applicability::Unsafe,
                });
            }
        }
    }
    None
}

/// The bytes of `value` inside a scalar's raw range (quotes and surrounding spaces excluded).
fn value_range(
    text: &str,
    raw: &std::ops::Range<usize>,
    value: &str,
) -> Option<std::ops::Range<usize>> {
    let offset = text.get(raw.clone())?.find(value)?;
    Some(raw.start + offset..raw.start + offset + value.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::yaml::documents;
    use crate::fix::{FixLevel, apply_fixes};

    fn fixed(text: &str, level: FixLevel) -> String {
        let findings = split_references(text, &documents(text), "values");
        String::from_utf8(
            apply_fixes(text.as_bytes(), &findings, level)
                .unwrap()
                .output,
        )
        .unwrap()
    }

    #[test]
    fn backends_split_across_registry_and_repository() {
        let text = "controller:\n  image:\n    registry: us.gcr.io\n    repository: \"k8s-artifacts-prod/ingress-nginx/controller\"\n    tag: v0.34.1\n";
        let findings = split_references(text, &documents(text), "values");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule, Rule::LegacyBackend);
        assert_eq!(findings[0].context, "values: controller.image.registry");
        assert_eq!(
            findings[0].reference,
            "us.gcr.io/k8s-artifacts-prod/ingress-nginx/controller"
        );
        assert_eq!(
            fixed(text, FixLevel::SafeOnly),
            "controller:\n  image:\n    registry: registry.k8s.io\n    repository: \"ingress-nginx/controller\"\n    tag: v0.34.1\n"
        );
    }

    #[test]
    fn gcr_project_split_is_unsafe() {
        let text = "image: {registry: gcr.io, image: google_containers/pause, tag: \"3.1\"}\n";
        assert_eq!(fixed(text, FixLevel::SafeOnly), text);
        assert_eq!(
            fixed(text, FixLevel::IncludeUnsafe),
            "image: {registry: registry.k8s.io, image: pause, tag: \"3.1\"}\n"
        );
    }

    #[test]
    fn registries_of_split_pairs_are_whole_values() {
        let at = |text: &str, host: &str| {
            let start = text.find(host).unwrap();
            may_be_registry(text.as_bytes(), start..start + host.len())
        };
        for (text, host) in [
            ("registry: us.gcr.io\n", "us.gcr.io"),
            ("registry: \"GCR.IO/\"\n", "GCR.IO"),
            ("registry: 'asia.gcr.io'", "asia.gcr.io"),
            ("{registry: eu.gcr.io, image: x}", "eu.gcr.io"),
            ("registry: europe-docker.pkg.dev//", "europe-docker.pkg.dev"),
            ("registry: -docker.pkg.dev\n", "docker.pkg.dev"),
            ("\"registry\": \"gcr.io\\/\"", "gcr.io"),
            ("registry: gcr.io\u{a0}\n", "gcr.io"),
            ("registry: gcr.io  # the old project\n", "gcr.io"),
        ] {
            assert!(at(text, host), "{text}");
        }
        for (text, host) in [
            ("image: gcr.io/distroless/static\n", "gcr.io"),
            ("registry: quay.io\n", "quay.io"),
            ("registry: k8s.gcr.io\n", "k8s.gcr.io"),
            ("gcr.io: mirror\n", "gcr.io"),
            ("registry: docker.pkg.dev\n", "docker.pkg.dev"),
        ] {
            assert!(!at(text, host), "{text}");
        }
    }

    #[test]
    fn other_pairs_are_left_alone() {
        for text in [
            "registry: us.gcr.io\nrepository: my-project/app\n",
            "registry: docker.io\nrepository: k8s-artifacts-prod/x\n",
            "registry: gcr.io\nrepository: google-samples/hello\n",
        ] {
            assert!(
                split_references(text, &documents(text), "yaml").is_empty(),
                "{text}"
            );
        }
    }
}
