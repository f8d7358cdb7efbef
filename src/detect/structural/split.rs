//! Image references split across keys: `registry: us.gcr.io` with
//! `repository: k8s-artifacts-prod/ingress-nginx/controller` renders as a legacy backend, yet
//! neither value alone is one. This is the one place where structure adds a finding the text
//! layer cannot see: the legacy form exists only once the two values are joined.
//!
//! The fix rewrites both values, the host to `registry.k8s.io` and the project prefix away,
//! so the joined reference becomes `registry.k8s.io/ingress-nginx/controller`. Which pairs
//! count is the catalogue's host patterns (`rules::HOST_PATTERNS`) applied to the joined
//! reference: one definition of every host form, Artifact Registry hosts included.

use super::moved;
use crate::carrier::Carrier;
use crate::detect::classify::{describe, form_applicability, form_fix_note};
use crate::detect::hosts::{self, HostForm, Move};
use crate::detect::yaml::Node;
use crate::finding::{Applicability, Edit, Finding, Fix};
use crate::rules::{HOST_PATTERNS, HostPattern, Segment, Treatment};

/// The host patterns a split pair can form: a host followed by a project prefix that the fix
/// removes from the repository, and a rewrite (the backends and the old gcr.io project).
fn split_patterns() -> impl Iterator<Item = &'static HostPattern> {
    HOST_PATTERNS.iter().filter(|pattern| {
        !pattern.path.is_empty()
            && pattern
                .rule
                .host()
                .is_some_and(|host| matches!(host.treatment, Treatment::Rewrite { .. }))
    })
}

/// Needles that a file must hold for a split pair to exist at all, as written: the names a
/// split repository starts with (`k8s-artifacts-prod`, `google_containers`, ...).
pub fn needles() -> Vec<&'static str> {
    let mut needles: Vec<&'static str> = Vec::new();
    for pattern in split_patterns() {
        let first: &[&'static str] = match &pattern.path[0] {
            Segment::Named(names) => names,
            Segment::Prefix(prefix) => std::slice::from_ref(prefix),
        };
        for name in first {
            if !needles.contains(name) {
                needles.push(name);
            }
        }
    }
    needles
}

/// Whether the host token at `token` in `bytes` (as the host scan delimits it) may be the
/// whole `registry` value of a split pair: a split pattern's host, followed by slashes at most,
/// then by the end of the scalar (a quote, a space, a line break, a flow indicator, an escape,
/// a non-ASCII space, or the end of the file). Most files with hits have none, and need no
/// search for [`needles`].
pub fn may_be_registry(bytes: &[u8], token: std::ops::Range<usize>, moves: &[Move]) -> bool {
    let host = &bytes[token.clone()];
    let known = split_patterns().any(|pattern| pattern.host.matches(host))
        || moves
            .iter()
            .any(|moved| !moved.path.is_empty() && moved.host_matches(host));
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
/// legacy form with a project prefix, or a moved registry path (`moved.rs`), and for every
/// image value without a host that a move of Docker Hub moves, in a file of `carrier` (whose
/// label prefixes contexts: "values", "yaml").
pub fn split_references(
    text: &str,
    documents: &[Node],
    carrier: Carrier,
    moves: &[Move],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for root in documents {
        let global_registry = root
            .get("global")
            .and_then(|global| global.get("imageRegistry"))
            .and_then(Node::as_str)
            .map(str::trim)
            .filter(|registry| !registry.is_empty());
        let walk = Walk {
            text,
            carrier,
            label: carrier.dialect().label,
            moves,
            global_registry,
        };
        walk.visit(root, None, &mut Vec::new(), &mut findings);
    }
    findings
}

/// What every mapping of one document is read with.
struct Walk<'a> {
    text: &'a str,
    carrier: Carrier,
    label: &'a str,
    moves: &'a [Move],
    global_registry: Option<&'a str>,
}

impl Walk<'_> {
    fn visit(
        &self,
        node: &Node,
        key: Option<&str>,
        path: &mut Vec<String>,
        findings: &mut Vec<Finding>,
    ) {
        match node {
            Node::Mapping { entries, .. } => {
                if let Some(finding) = self.pair(node, key, path) {
                    findings.push(finding);
                }
                // `image` beside `registry` is a split pair's repository (`pair`), on that
                // registry: never a name without a host.
                let split = node.get("registry").is_some();
                for (name, value) in entries {
                    path.push(name.as_str().unwrap_or("?").to_string());
                    if !self.moves.is_empty()
                        && !split
                        && moved::is_image_value(path, self.carrier == Carrier::Kustomization)
                        && let Some(finding) = moved::bare_name_finding(
                            self.text,
                            value,
                            &key_path(path, None),
                            self.label,
                            self.moves,
                        )
                    {
                        findings.push(finding);
                    }
                    if !self.moves.is_empty()
                        && self.carrier == Carrier::ChartYaml
                        && path.len() == 2
                        && path[0] == "annotations"
                        && path[1] == "artifacthub.io/images"
                    {
                        findings.extend(moved::annotation_findings(
                            self.text, value, self.label, self.moves,
                        ));
                    }
                    self.visit(value, name.as_str(), path, findings);
                    path.pop();
                }
            }
            Node::Sequence { items, .. } => {
                for (index, item) in items.iter().enumerate() {
                    path.push(format!("[{index}]"));
                    self.visit(item, None, path, findings);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// A split pair of a built-in form, or one that a configured move moves.
    fn pair(&self, mapping: &Node, key: Option<&str>, path: &[String]) -> Option<Finding> {
        let (repository_key, repository) = ["repository", "image"]
            .iter()
            .find_map(|key| Some((*key, mapping.get(key)?)))?;
        let repository_value = repository.as_str()?.trim();
        let registry = mapping.get("registry");
        let registry_value = registry
            .and_then(Node::as_str)
            .map(|value| value.trim().trim_end_matches('/'))
            .filter(|value| !value.is_empty());
        if let (Some(registry), Some(value)) = (registry, registry_value)
            && let Some(finding) = split_pair(
                self.text,
                registry,
                value,
                (repository_key, repository),
                path,
                self.label,
            )
        {
            return Some(finding);
        }
        if self.moves.is_empty()
            || (registry_value.is_none() && !moved::is_image_mapping(mapping, key))
        {
            return None;
        }
        let registry = match (registry, registry_value) {
            (Some(node), Some(value)) => {
                Some((value, value_range(self.text, node.range(), value)?))
            }
            _ => None,
        };
        let repository_start = value_range(self.text, repository.range(), repository_value)?.start;
        let site = moved::PairSite {
            text: self.text,
            registry,
            repository: (repository_value, repository_start),
            registry_path: key_path(path, Some("registry")),
            repository_path: key_path(path, Some(repository_key)),
            label: self.label,
            global_registry: self.global_registry,
        };
        moved::pair_finding(&site, self.moves)
    }
}

/// `controller.image.registry`, `images[0].name`.
fn key_path(path: &[String], key: Option<&str>) -> String {
    let mut parts: Vec<&str> = path.iter().map(String::as_str).collect();
    parts.extend(key);
    parts.join(".").replace(".[", "[")
}

/// What a split pair names: its form, and how many bytes of the repository (its project
/// prefix and the `/` after it) belong to the legacy form.
struct SplitForm {
    form: HostForm,
    prefix_len: usize,
}

fn split_pair(
    text: &str,
    registry: &Node,
    registry_value: &str,
    (repository_key, repository): (&str, &Node),
    path: &[String],
    label: &str,
) -> Option<Finding> {
    let repository_value = repository.as_str()?.trim();
    let SplitForm { form, prefix_len } = classify(registry_value, repository_value)?;
    let destination = form.destination(&[])?;

    let registry_range = value_range(text, registry.range(), registry_value)?;
    let repository_start = value_range(text, repository.range(), repository_value)?.start;
    let prefix = repository_start..repository_start + prefix_len;
    let matched = text[registry_range.clone()].to_string();
    let repository_key = key_path(path, Some(repository_key));
    let joined = format!("{matched}/{}", &repository_value[..prefix_len - 1]);
    let message = format!(
        "image is pulled from {} (registry and repository are split)",
        describe(form, &joined, &[])
    );
    let note = match form_fix_note(form.rule()) {
        Some(why) => format!("{why}; the fix rewrites both keys"),
        None => format!(
            "the fix rewrites both keys: registry becomes {destination} and `{repository_key}` loses its `{}` prefix",
            &repository_value[..prefix_len]
        ),
    };
    let applicability = form_applicability(form, &[]);
    Some(Finding {
        rule: form.rule(),
        reference: format!("{registry_value}/{repository_value}"),
        context: format!("{label}: {}", key_path(path, Some("registry"))),
        message,
        note: Some(note),
        // The repository may come before the registry in the mapping: the fix sorts them.
        fix: Fix::new(
            vec![
                Edit {
                    range: registry_range.clone(),
                    original: matched.clone(),
                    replacement: destination.to_string(),
                },
                Edit {
                    range: prefix.clone(),
                    original: text[prefix].to_string(),
                    replacement: String::new(),
                },
            ],
            applicability,
        )
        .ok()
        .filter(|_| applicability != Applicability::DisplayOnly),
        range: registry_range,
        matched,
        location: Default::default(),
        excerpt: Default::default(),
        fix_excerpt: None,
    })
}

/// The form `registry` and `repository` name once joined, if it is a split pattern's (a host
/// and a project prefix with a rewrite) and the repository goes on after the prefix.
fn classify(registry: &str, repository: &str) -> Option<SplitForm> {
    let joined = format!("{registry}/{repository}");
    let (form, range) = hosts::builtin_form(joined.as_bytes(), 0..registry.len())?;
    let prefix_len = range.end - registry.len();
    let rewritten = form.destination(&[]).is_some();
    let goes_on = joined.as_bytes().get(range.end) == Some(&b'/') && joined.len() > range.end + 1;
    (prefix_len > 0 && rewritten && goes_on).then_some(SplitForm { form, prefix_len })
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
    use crate::rules::Rule;

    fn fixed(text: &str, level: FixLevel) -> String {
        let findings = split_references(text, &documents(text), Carrier::HelmValues, &[]);
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
        let findings = split_references(text, &documents(text), Carrier::HelmValues, &[]);
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
            may_be_registry(text.as_bytes(), start..start + host.len(), &[])
        };
        for (text, host) in [
            ("registry: us.gcr.io\n", "us.gcr.io"),
            ("registry: \"GCR.IO/\"\n", "GCR.IO"),
            ("registry: 'asia.gcr.io'", "asia.gcr.io"),
            ("{registry: eu.gcr.io, image: x}", "eu.gcr.io"),
            ("registry: europe-docker.pkg.dev//", "europe-docker.pkg.dev"),
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
            // An Artifact Registry host names its region (`rules::is_artifact_registry_host`).
            ("registry: -docker.pkg.dev\n", "docker.pkg.dev"),
        ] {
            assert!(!at(text, host), "{text}");
        }
    }

    #[test]
    fn moved_pairs_and_names_without_a_host() {
        let moves = [Move {
            host: "docker.io".into(),
            path: vec!["bitnami".into()],
            to: "ghcr.io/acme/bitnami".into(),
            safe: true,
        }];
        let fixed = |text: &str| {
            let findings = split_references(text, &documents(text), Carrier::HelmValues, &moves);
            String::from_utf8(
                apply_fixes(text.as_bytes(), &findings, FixLevel::SafeOnly)
                    .unwrap()
                    .output,
            )
            .unwrap()
        };
        assert_eq!(
            fixed(
                "a:\n  registry: docker.io\n  image: bitnami/kubectl:1\nb:\n  registry: quay.io\n  image: bitnami/kubectl:1\nc:\n  image: bitnami/kubectl:1\nd: {repository: bitnami/redis, tag: \"7\"}\ne: {repository: bitnami/redis}\n"
            ),
            "a:\n  registry: ghcr.io\n  image: acme/bitnami/kubectl:1\nb:\n  registry: quay.io\n  image: bitnami/kubectl:1\nc:\n  image: ghcr.io/acme/bitnami/kubectl:1\nd: {repository: ghcr.io/acme/bitnami/redis, tag: \"7\"}\ne: {repository: bitnami/redis}\n"
        );
        let global = "global:\n  imageRegistry: docker.io\nimage:\n  registry: docker.io\n  repository: bitnami/redis\n";
        let findings = split_references(global, &documents(global), Carrier::HelmValues, &moves);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].fix.is_none());
        assert!(
            findings[0]
                .note
                .as_deref()
                .unwrap()
                .contains("global.imageRegistry")
        );
    }

    #[test]
    fn other_pairs_are_left_alone() {
        for text in [
            "registry: us.gcr.io\nrepository: my-project/app\n",
            "registry: docker.io\nrepository: k8s-artifacts-prod/x\n",
            "registry: gcr.io\nrepository: google-samples/hello\n",
        ] {
            assert!(
                split_references(text, &documents(text), Carrier::Yaml, &[]).is_empty(),
                "{text}"
            );
        }
    }
}
