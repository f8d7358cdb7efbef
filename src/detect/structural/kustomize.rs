//! Kustomize `images[]`: a name is a full-name match key, host included (kustomize matches
//! `images[].name` against the whole image name of each container).
//! If the base that uses the image is rewritten while `name` is not (or the reverse), the
//! entry silently stops matching: its tag stops applying and a `newName` pointing at a private
//! mirror stops redirecting.
//!
//! - The base is in the scanned tree (under its old or its new name): `name` gets the same host
//!   swap as the base, so the two change together.
//! - It is not (a remote base, a base outside the scanned paths): `name` stays, and
//!   `newName: registry.k8s.io/<path>` is inserted right after it, at its indentation, unless
//!   the entry has a `newName` already.
//!
//! Configured moves get the same handling, with their own destination; a Docker Hub name
//! without a host (`bitnami/redis`) under a move of Docker Hub moves to its full name.

use super::moved::name_move;
use crate::detect::hosts::HostScanner;
use crate::detect::yaml::{self, Node};
use crate::finding::Edit;
use crate::image_ref::ImageRef;
use crate::origin::KustomizeBases as Bases;

/// What to do with the legacy host in one `images[].name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameFix {
    /// The base is in the tree: keep the plain host swap, with this note.
    SwapWithBase,
    /// Replace the finding's edits with these (the `newName` insertion).
    Insert(Vec<Edit>),
    /// No automatic fix: an existing `newName` already redirects the image.
    Keep,
}

/// The fix decision for one name, keyed by the start of its legacy host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    pub hit_start: usize,
    pub fix: NameFix,
}

/// Decisions for every legacy `images[].name` (and deprecated `imageTags[].name`).
pub fn image_names(
    text: &str,
    documents: &[Node],
    bases: &Bases,
    scanner: &HostScanner,
) -> Vec<ImageName> {
    let mut names = Vec::new();
    for root in documents {
        for list in ["images", "imageTags"] {
            for entry in root.get(list).map(Node::items).unwrap_or_default() {
                if let Some(name) = image_name(text, entry, bases, scanner) {
                    names.push(name);
                }
            }
        }
    }
    names
}

fn image_name(text: &str, entry: &Node, bases: &Bases, scanner: &HostScanner) -> Option<ImageName> {
    let (key, value) = entry.entry("name")?;
    let name = value.as_str()?;
    let new_name = new_name(name, scanner)?;
    let raw = value.range();
    let hit_start = raw.start + text[raw.clone()].find(name)?;
    let fix = if bases.in_tree_images.contains(&normalize(name))
        || bases.in_tree_images.contains(&normalize(&new_name))
    {
        NameFix::SwapWithBase
    } else if entry.get("newName").is_some() {
        NameFix::Keep
    } else {
        let quoted = quoted_like(&text[raw.clone()], &new_name);
        NameFix::Insert(vec![insert_new_name(text, entry, key, value, &quoted)])
    };
    Some(ImageName { hit_start, fix })
}

/// The name `name` moves to: a form the fix moves at its start, with its destination, or a
/// Docker Hub name without a host that a configured move moves (`moved.rs`).
fn new_name(name: &str, scanner: &HostScanner) -> Option<String> {
    let moves = scanner.moves();
    let hit = scanner
        .scan(name.as_bytes())
        .into_iter()
        .find(|hit| hit.range.start == 0 && hit.form.is_moved());
    if let Some(hit) = hit {
        let destination = hit.form.destination(moves)?;
        return Some(format!("{destination}{}", &name[hit.range.end..]));
    }
    let moved = name_move(None, name, moves)?;
    Some(format!(
        "{}{}",
        moved.replacement,
        &name[moved.prefix_len..]
    ))
}

/// `new_name` as a YAML value: plain when a plain scalar holds it (the common case), else in
/// the quotes of the name it follows (`raw`, the name's source text), double quotes when that
/// one is plain. A name that needed quotes (`: `, ` #`, a leading indicator) still needs them.
fn quoted_like(raw: &str, new_name: &str) -> String {
    let bytes = new_name.as_bytes();
    let plain = !new_name.is_empty()
        && !new_name.contains(": ")
        && !new_name.contains(" #")
        && !new_name.ends_with([':', ' '])
        && !new_name.starts_with(' ')
        && !bytes
            .iter()
            .any(|byte| matches!(byte, b',' | b'[' | b']' | b'{' | b'}' | b'\t'))
        && !matches!(
            bytes[0],
            b'-' | b'?'
                | b':'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        );
    if plain {
        return new_name.to_string();
    }
    match raw.as_bytes().first() {
        Some(b'\'') => format!("'{}'", new_name.replace('\'', "''")),
        _ => format!(
            "\"{}\"",
            new_name.replace('\\', "\\\\").replace('"', "\\\"")
        ),
    }
}

/// `newName: <new>` after the `name` entry: on its own line at the key's indentation in a
/// block mapping, or `, newName: <new>` right after the name in a flow mapping.
fn insert_new_name(text: &str, entry: &Node, key: &Node, value: &Node, new_name: &str) -> Edit {
    let (at, replacement) = if matches!(entry, Node::Mapping { flow: true, .. }) {
        (value.range().end, format!(", newName: {new_name}"))
    } else {
        let key_start = key.range().start;
        let indent = " ".repeat(key_start - yaml::line_start(text, key_start));
        let (at, eol) = yaml::line_end(text, key_start);
        (at, format!("{eol}{indent}newName: {new_name}"))
    };
    Edit {
        range: at..at,
        original: String::new(),
        replacement,
    }
}

/// An image name as kustomize compares it: no tag or digest; the host lowercased.
pub fn normalize(reference: &str) -> String {
    ImageRef::parse(reference).match_key()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::yaml::documents;

    fn decide(text: &str, in_tree: &[&str]) -> Vec<NameFix> {
        let bases = Bases {
            in_tree_images: in_tree.iter().map(|name| name.to_string()).collect(),
        };
        image_names(text, &documents(text), &bases, &HostScanner::new())
            .into_iter()
            .map(|name| name.fix)
            .collect()
    }

    #[test]
    fn a_quoted_name_gets_a_new_name_in_the_same_quotes() {
        assert_eq!(
            quoted_like("\"k8s.gcr.io/a: b\"", "registry.k8s.io/a: b"),
            "\"registry.k8s.io/a: b\""
        );
        assert_eq!(
            quoted_like("'k8s.gcr.io/a: it''s'", "registry.k8s.io/a: it's"),
            "'registry.k8s.io/a: it''s'"
        );
        assert_eq!(
            quoted_like("\"k8s.gcr.io/pause\"", "registry.k8s.io/pause"),
            "registry.k8s.io/pause"
        );
        assert_eq!(
            quoted_like("k8s.gcr.io/pause", "registry.k8s.io/pause"),
            "registry.k8s.io/pause"
        );
    }

    #[test]
    fn names_of_in_tree_bases_are_swapped_with_the_base() {
        let text = "images:\n- name: k8s.gcr.io/pause\n  newTag: \"3.9\"\n";
        assert_eq!(decide(text, &["k8s.gcr.io/pause"]), [NameFix::SwapWithBase]);
        assert_eq!(
            decide(text, &["registry.k8s.io/pause"]),
            [NameFix::SwapWithBase]
        );
    }

    #[test]
    fn names_of_remote_bases_get_a_new_name() {
        let text = "resources:\n- https://github.com/example/app//deploy?ref=v1\nimages:\n- name: k8s.gcr.io/pause\r\n  newTag: \"3.9\"\n";
        let fixes = decide(text, &[]);
        let NameFix::Insert(edits) = &fixes[0] else {
            panic!("{fixes:?}");
        };
        assert_eq!(edits[0].replacement, "\r\n  newName: registry.k8s.io/pause");
        assert_eq!(edits[0].range.start, text.find("\r\n  newTag").unwrap());
        let flow = "images: [{name: k8s.gcr.io/pause, newTag: \"3.9\"}]\n";
        let NameFix::Insert(edits) = &decide(flow, &[])[0] else {
            panic!();
        };
        assert_eq!(edits[0].replacement, ", newName: registry.k8s.io/pause");
    }

    #[test]
    fn moved_names_get_the_same_handling() {
        use crate::detect::hosts::Move;
        let scanner = HostScanner::with_moves(vec![Move {
            host: "docker.io".into(),
            path: vec!["bitnami".into()],
            to: "registry.example.com/bitnami".into(),
            safe: true,
        }]);
        let text = "images:\n- name: index.docker.io/bitnami/redis\n- name: bitnami/kubectl\n- name: docker.io/library/redis\n";
        let bases = Bases::default();
        let fixes: Vec<NameFix> = image_names(text, &documents(text), &bases, &scanner)
            .into_iter()
            .map(|name| name.fix)
            .collect();
        let inserted: Vec<&str> = fixes
            .iter()
            .map(|fix| match fix {
                NameFix::Insert(edits) => edits[0].replacement.as_str(),
                _ => panic!("{fixes:?}"),
            })
            .collect();
        assert_eq!(
            inserted,
            [
                "\n  newName: registry.example.com/bitnami/redis",
                "\n  newName: registry.example.com/bitnami/kubectl"
            ]
        );
        let bases = Bases {
            in_tree_images: ["registry.example.com/bitnami/kubectl".to_string()].into(),
        };
        let fixes: Vec<NameFix> = image_names(text, &documents(text), &bases, &scanner)
            .into_iter()
            .map(|name| name.fix)
            .collect();
        assert_eq!(fixes[1], NameFix::SwapWithBase);
    }

    #[test]
    fn an_existing_new_name_is_kept() {
        let text = "images:\n- name: k8s.gcr.io/pause\n  newName: registry.internal/pause\n";
        assert_eq!(decide(text, &[]), [NameFix::Keep]);
    }

    #[test]
    fn normalized_names() {
        assert_eq!(normalize("K8S.GCR.IO/pause:3.9"), "k8s.gcr.io/pause");
        assert_eq!(
            normalize("localhost:5000/a/b@sha256:abc"),
            "localhost:5000/a/b"
        );
        assert_eq!(normalize("k8s.gcr.io/pause"), "k8s.gcr.io/pause");
    }
}
