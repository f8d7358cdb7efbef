//! Configured registry moves (`[[move]]`) where a name is more than a host swap: Helm values
//! split across `registry` and `repository`, and Docker Hub names written without a host
//! (`image: bitnami/redis:7` is `docker.io/bitnami/redis:7`). The host scan finds every
//! spelled-out reference; these exist only once a pair is joined or a name is normalised
//! (`image_ref::docker_hub_path`), so they come from the parser's exact spans.
//!
//! A name without a host is an image only where the value is one: an `image` key's whole
//! value, a `repository` beside a `tag`, `digest` or `registry` key (or under an `image` key),
//! a kustomize `images[].name` or `newName`, an `image` in Chart.yaml's
//! `artifacthub.io/images`, a Dockerfile `FROM`. Anything else (`github.com/bitnami/charts`, a
//! file path, prose) is never read as a name.

use crate::detect::classify::{describe, form_applicability};
use crate::detect::hosts::{HostForm, Move};
use crate::detect::yaml::Node;
use crate::finding::{Applicability, Edit, Finding, Fix};
use crate::image_ref::{ImageRef, docker_hub_path, is_registry_component};

/// How a name (a repository, or a whole image name without a host) moves: which move, how
/// many of its leading bytes (whole components and their `/`) a fix replaces, and with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameMove {
    pub index: usize,
    pub prefix_len: usize,
    pub replacement: String,
}

/// How `name` moves when it stands on `registry` (a host, the `registry` of a split pair),
/// or, with `None`, when it has no host and so is on Docker Hub. With a host, only moves
/// with a path count: a whole-registry move rewrites the `registry` value itself (but for
/// Docker Hub's official images, which need `library/` in the repository).
///
/// The replacement writes what the name's normalised form implies: `redis` under a move of
/// all of Docker Hub becomes `<to>/library/redis`.
pub fn name_move(registry: Option<&str>, name: &str, moves: &[Move]) -> Option<NameMove> {
    let path_name = ImageRef::parse(name).name;
    moves.iter().enumerate().find_map(|(index, moved)| {
        let (normalized, implicit) = match registry {
            None if moved.is_docker_hub() => docker_hub_path(path_name)?,
            None => return None,
            Some(host) if !moved.host_matches(host.as_bytes()) => return None,
            // All of Docker Hub: the registry value is a host hit of its own, rewritten alone,
            // except before an official image, whose `library/` only Docker Hub implies.
            Some(_) if moved.is_docker_hub() && moved.path.is_empty() => {
                match docker_hub_path(path_name)? {
                    official @ (_, true) => official,
                    _ => return None,
                }
            }
            Some(_) if moved.path.is_empty() => return None,
            Some(_) if moved.is_docker_hub() => docker_hub_path(path_name)?,
            Some(_) => (path_name.split('/').collect(), false),
        };
        if !moved.moves_path(&normalized) {
            return None;
        }
        let offset = usize::from(implicit);
        let covered = moved.path.len().saturating_sub(offset);
        let prefix_len = path_name
            .split('/')
            .take(covered)
            .map(|component| component.len() + 1)
            .sum();
        let target = match registry {
            None => moved.to.as_str(),
            Some(_) => moved.registry_and_path().1,
        };
        let implied = &normalized[moved.path.len()..offset + covered];
        let parts: Vec<&str> = std::iter::once(target)
            .filter(|target| !target.is_empty())
            .chain(implied.iter().copied())
            .collect();
        let replacement = if parts.is_empty() {
            String::new()
        } else {
            format!("{}/", parts.join("/"))
        };
        Some(NameMove {
            index,
            prefix_len,
            replacement,
        })
    })
}

/// Where a split pair stands, as `split.rs` found it.
pub struct PairSite<'a> {
    pub text: &'a str,
    /// The `registry` value (trimmed, without trailing `/`) and its bytes, when present and
    /// not empty.
    pub registry: Option<(&'a str, std::ops::Range<usize>)>,
    /// The repository value (trimmed) and where it starts.
    pub repository: (&'a str, usize),
    /// The key path of the registry key and of the repository key.
    pub registry_path: String,
    pub repository_path: String,
    pub label: &'a str,
    /// A non-empty `global.imageRegistry` of the document, which overrides every image's
    /// registry in charts that follow the common helper (Bitnami's `common.images.image`).
    pub global_registry: Option<&'a str>,
}

/// The finding for a split pair that a move moves: the registry becomes the destination's
/// host and the repository's moved prefix the destination's path; a pair without a registry
/// (a Docker Hub name) gets the full name in its repository.
pub fn pair_finding(site: &PairSite<'_>, moves: &[Move]) -> Option<Finding> {
    let (repository, repository_start) = site.repository;
    let registry = site.registry.as_ref().map(|(value, _)| *value);
    let NameMove {
        index,
        prefix_len,
        replacement,
    } = name_move(registry, repository, moves)?;
    let moved = &moves[index];
    let form = HostForm::Move(index);
    let prefix = repository_start..repository_start + prefix_len;
    let mut edits = Vec::new();
    let range = match &site.registry {
        Some((value, range)) => {
            let (host, _) = moved.registry_and_path();
            if *value != host {
                edits.push(edit(site.text, range.clone(), host));
            }
            range.clone()
        }
        None => {
            let first = repository.split('/').next().unwrap_or(repository);
            repository_start..repository_start + first.len()
        }
    };
    if site.text.get(prefix.clone()) != Some(replacement.as_str()) {
        edits.push(edit(site.text, prefix, &replacement));
    }
    let new_repository = format!("{replacement}{}", &repository[prefix_len..]);
    let (message, mut note) = match &site.registry {
        Some((value, _)) => (
            format!(
                "image is pulled from {} (registry and repository are split)",
                describe(form, &registry_and_path(value, moved), moves)
            ),
            format!(
                "the fix rewrites both keys: `{}` becomes {} and `{}` becomes {new_repository}",
                site.registry_path,
                moved.registry_and_path().0,
                site.repository_path
            ),
        ),
        None => (
            format!(
                "image {repository} is pulled from {} (a Docker Hub name without a host)",
                describe(form, &moved.from(), moves)
            ),
            format!(
                "the fix writes the full name: `{}` becomes {new_repository}",
                site.repository_path
            ),
        ),
    };
    let mut applicability = form_applicability(form, moves);
    if let Some(global) = site.global_registry {
        applicability = Applicability::DisplayOnly;
        note = format!(
            "no automatic fix: global.imageRegistry ({global}) overrides this registry in charts that follow the common image helper, so rewriting this pair alone would not change what renders; empty global.imageRegistry and run the fix again, or set it and this repository by hand"
        );
    }
    let matched = site.text[range.clone()].to_string();
    Some(Finding {
        rule: form.rule(),
        reference: match registry {
            Some(registry) => format!("{registry}/{repository}"),
            None => repository.to_string(),
        },
        context: format!("{}: {}", site.label, site.registry_path),
        message,
        note: Some(note),
        fix: Fix::new(edits, applicability)
            .ok()
            .filter(|_| applicability != Applicability::DisplayOnly),
        range,
        matched,
        location: Default::default(),
        excerpt: Default::default(),
        fix_excerpt: None,
    })
}

/// `docker.io/bitnami`: the registry as written and the move's path.
fn registry_and_path(registry: &str, moved: &Move) -> String {
    std::iter::once(registry)
        .chain(moved.path.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("/")
}

fn edit(text: &str, range: std::ops::Range<usize>, replacement: &str) -> Edit {
    Edit {
        original: text[range.clone()].to_string(),
        range,
        replacement: replacement.to_string(),
    }
}

/// Whether a YAML key's value is a whole image name: `image`, `sidecarImage`, `IMAGE`.
fn is_image_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("image") || key.ends_with("Image")
}

/// The finding for an image value without a host that a move of Docker Hub moves
/// (`image: bitnami/redis:7`): the full name replaces it. `key_path` names the value.
pub fn bare_name_finding(
    text: &str,
    value: &Node,
    key_path: &str,
    label: &str,
    moves: &[Move],
) -> Option<Finding> {
    let name = value.as_str()?.trim();
    let raw = value.range();
    let start = raw.start + text.get(raw.clone())?.find(name)?;
    name_finding(text, start, name, format!("{label}: {key_path}"), moves)
}

/// The finding for the name `name` at `start` of `text`, if a move of Docker Hub moves it.
fn name_finding(
    text: &str,
    start: usize,
    name: &str,
    context: String,
    moves: &[Move],
) -> Option<Finding> {
    // The first component, without the tag of a one-component name (`redis:7`).
    let first = ImageRef::parse(name).name.split('/').next()?;
    if is_registry_component(first) {
        return None;
    }
    let NameMove {
        index,
        prefix_len,
        replacement,
    } = name_move(None, name, moves)?;
    let form = HostForm::Move(index);
    let applicability = form_applicability(form, moves);
    let moved = &moves[index];
    let full = format!("{replacement}{}", &name[prefix_len..]);
    let range = start..start + first.len();
    Some(Finding {
        rule: form.rule(),
        reference: name.to_string(),
        context,
        message: format!(
            "image {name} is pulled from {} (a Docker Hub name without a host)",
            describe(form, &moved.from(), moves)
        ),
        note: Some(format!("the fix writes the full name: {full}")),
        fix: Fix::new(
            vec![edit(text, start..start + prefix_len, &replacement)],
            applicability,
        )
        .ok(),
        matched: text[range.clone()].to_string(),
        range,
        location: Default::default(),
        excerpt: Default::default(),
        fix_excerpt: None,
    })
}

/// Names without a host in Chart.yaml's `artifacthub.io/images` (YAML in a literal block,
/// `- image: bitnami/redis:7` on each entry's line): a literal block's lines are its text
/// as written, so each value's bytes stand in the file as they read.
pub fn annotation_findings(text: &str, block: &Node, label: &str, moves: &[Move]) -> Vec<Finding> {
    if !block.is_literal_block() {
        return Vec::new();
    }
    let raw = block.range();
    let Some(raw_text) = text.get(raw.clone()) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let mut offset = raw.start;
    for line in raw_text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let entry = line.trim_start().trim_start_matches('-').trim_start();
        let Some(value) = entry.strip_prefix("image:") else {
            continue;
        };
        let name = value.trim().trim_matches(['"', '\'']);
        let value_at = line.len() - value.len();
        let Some(at) = line[value_at..]
            .find(name)
            .filter(|_| !name.is_empty())
            .map(|at| value_at + at)
        else {
            continue;
        };
        let context = format!("{label}: annotations[\"artifacthub.io/images\"] image");
        findings.extend(name_finding(text, line_start + at, name, context, moves));
    }
    findings
}

/// Docker Hub names without a host in a Dockerfile's `FROM` lines (`FROM bitnami/redis:7 AS
/// base`): flags (`--platform=…`) are skipped; a stage named by an earlier `AS`, `scratch`
/// and names built from variables are not images to move.
pub fn dockerfile_findings(text: &str, label: &str, moves: &[Move]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut stages: Vec<String> = vec!["scratch".into()];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let mut words = line.split_ascii_whitespace();
        if !words
            .next()
            .is_some_and(|word| word.eq_ignore_ascii_case("FROM"))
        {
            continue;
        }
        let Some(name) = words.find(|word| !word.starts_with("--")) else {
            continue;
        };
        let is_stage = stages.iter().any(|stage| stage.eq_ignore_ascii_case(name));
        if let (Some(keyword), Some(stage)) = (words.next(), words.next())
            && keyword.eq_ignore_ascii_case("AS")
        {
            stages.push(stage.to_string());
        }
        if is_stage || name.contains('$') {
            continue;
        }
        // The name is a word of the line: its first occurrence after `FROM` (and its flags).
        let keyword_end = line.len() - line.trim_start().len() + "FROM".len();
        let Some(at) = line[keyword_end..].find(name).map(|at| keyword_end + at) else {
            continue;
        };
        let context = format!("{label}: FROM");
        findings.extend(name_finding(text, line_start + at, name, context, moves));
    }
    findings
}

/// Whether a mapping's key, or the mapping, says a `repository` in it names an image: an
/// `image` key above it, or a `tag`, `digest` or `registry` beside it.
pub fn is_image_mapping(mapping: &Node, key: Option<&str>) -> bool {
    key.is_some_and(is_image_key)
        || ["tag", "digest", "registry"]
            .iter()
            .any(|sibling| mapping.get(sibling).is_some())
}

/// Whether the value at `path` (key path components) is a whole image name: an `image`
/// key, or (in a kustomization) an `images[].name` or `newName`.
pub fn is_image_value(path: &[String], kustomization: bool) -> bool {
    let Some(key) = path.last() else {
        return false;
    };
    if kustomization {
        let list =
            path.len() >= 3 && matches!(path[path.len() - 3].as_str(), "images" | "imageTags");
        return list && matches!(key.as_str(), "name" | "newName");
    }
    is_image_key(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(path: &[&str], to: &str) -> Vec<Move> {
        vec![Move {
            host: "docker.io".into(),
            path: path.iter().map(|segment| segment.to_string()).collect(),
            to: to.into(),
            safe: true,
        }]
    }

    fn moved(registry: Option<&str>, name: &str, moves: &[Move]) -> Option<String> {
        let found = name_move(registry, name, moves)?;
        Some(format!(
            "{}{}",
            found.replacement,
            &name[found.prefix_len..]
        ))
    }

    #[test]
    fn names_without_a_host_move_to_their_full_name() {
        let bitnami = hub(&["bitnami"], "registry.example.com/bitnami");
        assert_eq!(
            moved(None, "bitnami/redis:7", &bitnami).as_deref(),
            Some("registry.example.com/bitnami/redis:7")
        );
        assert_eq!(moved(None, "bitnamix/redis", &bitnami), None);
        assert_eq!(moved(None, "redis", &bitnami), None);
        let official = hub(&["library"], "mirror.example.com/hub");
        assert_eq!(
            moved(None, "redis:7", &official).as_deref(),
            Some("mirror.example.com/hub/redis:7")
        );
        assert_eq!(
            moved(None, "library/redis", &official).as_deref(),
            Some("mirror.example.com/hub/redis")
        );
        let all = hub(&[], "mirror.example.com");
        assert_eq!(
            moved(None, "redis", &all).as_deref(),
            Some("mirror.example.com/library/redis")
        );
        assert_eq!(
            moved(None, "bitnami/redis", &all).as_deref(),
            Some("mirror.example.com/bitnami/redis")
        );
    }

    #[test]
    fn annotations_and_unsafe_moves() {
        use crate::detect::yaml::documents;
        let mut moves = hub(&["bitnami"], "registry.example.com/bitnami");
        moves[0].safe = false;
        let text = "annotations:\n  artifacthub.io/images: |\n    - name: redis\n      image: bitnami/redis:7\n    - name: shell\n      image: \"docker.io/bitnami/os-shell:12\"\n";
        let root = &documents(text)[0];
        let block = root
            .get("annotations")
            .and_then(|annotations| annotations.get("artifacthub.io/images"))
            .unwrap();
        let findings = annotation_findings(text, block, "chart", &moves);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].matched, "bitnami");
        assert_eq!(&text[findings[0].range.clone()], "bitnami");
        assert_eq!(
            findings[0].fix.as_ref().unwrap().applicability,
            Applicability::Unsafe
        );
    }

    #[test]
    fn dockerfile_names_without_a_host() {
        let moves = hub(&["library"], "mirror.example.com/hub");
        let text = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM build AS test\nfrom scratch\nFROM ${BASE}\nFROM redis:7\nFROM quay.io/x/redis\n";
        let findings = dockerfile_findings(text, "Dockerfile", &moves);
        let fixed: Vec<String> = findings
            .iter()
            .map(|finding| {
                let edit = &finding.fix.as_ref().unwrap().edits()[0];
                format!(
                    "{}{}",
                    edit.replacement,
                    &finding.reference[edit.range.len()..]
                )
            })
            .collect();
        assert_eq!(
            fixed,
            [
                "mirror.example.com/hub/golang:1.22",
                "mirror.example.com/hub/redis:7"
            ]
        );
    }

    #[test]
    fn split_repositories_take_the_destination_path() {
        let same_path = hub(&["bitnami"], "registry.example.com/bitnami");
        assert_eq!(
            moved(Some("docker.io"), "bitnami/redis", &same_path).as_deref(),
            Some("bitnami/redis")
        );
        let new_path = hub(&["bitnami"], "ghcr.io/acme/bitnami");
        assert_eq!(
            moved(Some("index.docker.io"), "bitnami/redis", &new_path).as_deref(),
            Some("acme/bitnami/redis")
        );
        let host_only = hub(&["bitnami"], "registry.example.com");
        assert_eq!(
            moved(Some("docker.io"), "bitnami/redis", &host_only).as_deref(),
            Some("redis")
        );
        let official = hub(&["library"], "ghcr.io/acme/hub");
        assert_eq!(
            moved(Some("docker.io"), "redis", &official).as_deref(),
            Some("acme/hub/redis")
        );
        // A whole-registry move rewrites the registry value itself (a host hit).
        assert_eq!(
            moved(
                Some("docker.io"),
                "bitnami/redis",
                &hub(&[], "m.example.com")
            ),
            None
        );
        assert_eq!(moved(Some("quay.io"), "bitnami/redis", &same_path), None);
        // Another registry: its names are as written, no `library/` implied.
        let quay = [Move {
            host: "quay.io".into(),
            path: vec!["oldorg".into()],
            to: "quay.io/neworg".into(),
            safe: true,
        }];
        assert_eq!(
            moved(Some("Quay.io"), "oldorg/tool", &quay).as_deref(),
            Some("neworg/tool")
        );
        assert_eq!(moved(Some("quay.io"), "tool", &quay), None);
        assert_eq!(moved(None, "oldorg/tool", &quay), None);
    }
}
