//! Resolving a kustomization's bases on disk: which images the bases inside the scanned tree
//! use. Local `resources`, `bases` and `components` are followed (folders through their own
//! kustomization file); remote ones (`https://…`, `github.com/…?ref=`) and paths outside the
//! scanned roots are not in the tree. Only kustomization files that pass the byte gate are
//! resolved.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use memchr::memmem;

use crate::carrier::KUSTOMIZATION_NAMES;
use crate::detect::hosts::{HostScanner, NEW_HOST, Position, Shape};
use crate::detect::structural::kustomize::normalize;
use crate::detect::structural::moved::name_move;
use crate::detect::yaml::{self, Node};
use crate::origin::KustomizeBases as Bases;
use crate::source::MAX_FILE_SIZE;

/// How deep kustomizations may nest through their bases.
const MAX_DEPTH: usize = 16;

/// Which kustomizations include each component (`components:`), found once per run from the
/// kustomization files among the candidates. A component has no bases of its own: its
/// `images[]` apply to the resources of whatever includes it.
#[derive(Debug, Default)]
pub struct Includers {
    by_component: HashMap<PathBuf, Vec<PathBuf>>,
}

impl Includers {
    /// From the kustomization files `paths` (absolute).
    pub fn build<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Includers {
        let mut includers = Includers::default();
        for path in paths {
            let Some(text) = read(path) else {
                continue;
            };
            let folder = path.parent().unwrap_or(Path::new("."));
            for root in yaml::documents(&text) {
                for entry in root.get("components").map(Node::items).unwrap_or_default() {
                    let Some(entry) = entry.as_str().filter(|entry| !is_remote(entry)) else {
                        continue;
                    };
                    if let Ok(component) = fs::canonicalize(folder.join(entry)) {
                        includers
                            .by_component
                            .entry(component)
                            .or_default()
                            .push(path.to_path_buf());
                    }
                }
            }
        }
        includers
    }
}

/// What resolution may look at: the scanned roots, minus what regshift will not rewrite.
pub struct Scope<'a> {
    pub roots: &'a [PathBuf],
    /// Whether an absolute path (a folder when the flag is set) is excluded from the scan.
    pub excluded: &'a dyn Fn(&Path, bool) -> bool,
    pub includers: &'a Includers,
    pub scanner: &'a HostScanner,
}

impl Scope<'_> {
    /// In the scanned tree and not excluded: regshift rewrites it along with the overlay.
    fn covers(&self, target: &Path) -> bool {
        self.roots.iter().any(|root| target.starts_with(root))
            && !(self.excluded)(target, target.is_dir())
    }
}

/// The images used by the in-tree bases of the kustomization at `path` (its text `text`).
pub fn resolve_bases(path: &Path, text: &str, scope: &Scope<'_>) -> Bases {
    let mut bases = Bases::default();
    let mut visited = HashSet::new();
    let canonical = fs::canonicalize(path).ok();
    if let Some(canonical) = &canonical {
        visited.insert(canonical.clone());
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    visit(folder, text, scope, 0, &mut visited, &mut bases);
    let is_component = yaml::documents(text)
        .iter()
        .any(|root| root.get("kind").and_then(Node::as_str) == Some("Component"));
    if is_component && let Some(component) = canonical.as_ref().and_then(|file| file.parent()) {
        for includer in scope
            .includers
            .by_component
            .get(component)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            if let Some(text) = read(includer) {
                let folder = includer.parent().unwrap_or(Path::new("."));
                visit(folder, &text, scope, 1, &mut visited, &mut bases);
            }
        }
    }
    bases
}

fn visit(
    folder: &Path,
    kustomization: &str,
    scope: &Scope<'_>,
    depth: usize,
    visited: &mut HashSet<PathBuf>,
    bases: &mut Bases,
) {
    if depth >= MAX_DEPTH {
        return;
    }
    for root in yaml::documents(kustomization) {
        let entries = ["resources", "bases", "components"]
            .iter()
            .flat_map(|key| root.get(key).map(Node::items).unwrap_or_default())
            .filter_map(Node::as_str);
        for entry in entries {
            if is_remote(entry) {
                continue;
            }
            let Ok(target) = fs::canonicalize(folder.join(entry)) else {
                continue;
            };
            if !scope.covers(&target) || !visited.insert(target.clone()) {
                continue;
            }
            if target.is_dir() {
                let Some((file, text)) = KUSTOMIZATION_NAMES
                    .iter()
                    .find_map(|name| Some((target.join(name), read(&target.join(name))?)))
                else {
                    continue;
                };
                collect_images(&text, scope.scanner, bases);
                let folder = file.parent().unwrap_or(&target).to_path_buf();
                visit(&folder, &text, scope, depth + 1, visited, bases);
            } else if let Some(text) = read(&target) {
                collect_images(&text, scope.scanner, bases);
            }
        }
    }
}

/// Remote targets: URLs, `github.com/org/repo//path?ref=…`, `git@…`.
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.contains("?ref=")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
}

fn read(path: &Path) -> Option<String> {
    let metadata = fs::metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_FILE_SIZE {
        return None;
    }
    fs::read_to_string(path).ok()
}

/// Image names on the legacy host and on registry.k8s.io (and on each move's source and
/// destination, with a move's Docker Hub names written without a host), as kustomize
/// compares them.
fn collect_images(text: &str, scanner: &HostScanner, bases: &mut Bases) {
    for hit in scanner.scan(text.as_bytes()) {
        if hit.position == Position::Registry && hit.shape == Shape::Image {
            let reference = text[hit.reference.clone()].replace("\\/", "/");
            bases.in_tree_images.insert(normalize(&reference));
        }
    }
    let moves = scanner.moves();
    if moves.iter().any(|moved| moved.is_docker_hub()) {
        for line in text.lines() {
            let line = line.trim_start().trim_start_matches("- ").trim_start();
            let Some(value) = line.strip_prefix("image:") else {
                continue;
            };
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            if name_move(None, value, moves).is_some() {
                bases.in_tree_images.insert(normalize(value));
            }
        }
    }
    for destination in std::iter::once(NEW_HOST).chain(moves.iter().map(|moved| moved.to.as_str()))
    {
        collect_named(text, destination, bases);
    }
}

/// Image names that start with `destination/`.
fn collect_named(text: &str, destination: &str, bases: &mut Bases) {
    let bytes = text.as_bytes();
    let needle = format!("{destination}/");
    for at in memmem::find_iter(bytes, needle.as_bytes()) {
        let end = at
            + bytes[at..]
                .iter()
                .take_while(|byte| byte.is_ascii_alphanumeric() || b"._-/:@".contains(byte))
                .count();
        bases.in_tree_images.insert(normalize(&text[at..end]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_tree_bases_are_followed_and_remote_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir_all(root.join("base")).unwrap();
        fs::create_dir_all(root.join("overlays/prod")).unwrap();
        fs::write(
            root.join("base/kustomization.yaml"),
            "resources:\n- deploy.yaml\n",
        )
        .unwrap();
        fs::write(
            root.join("base/deploy.yaml"),
            "spec:\n  containers:\n  - image: k8s.gcr.io/pause:3.9\n  - image: registry.k8s.io/coredns/coredns:v1.9.3\n",
        )
        .unwrap();
        let overlay = root.join("overlays/prod/kustomization.yaml");
        let text = "resources:\n- ../../base\n- https://github.com/example/app//deploy?ref=v1\n";
        fs::write(&overlay, text).unwrap();
        let scanner = HostScanner::new();
        let includers = Includers::default();
        let nothing_excluded = |_: &Path, _: bool| false;
        let scope = |roots| Scope {
            roots,
            excluded: &nothing_excluded,
            includers: &includers,
            scanner: &scanner,
        };
        let bases = resolve_bases(&overlay, text, &scope(std::slice::from_ref(&root)));
        let mut images: Vec<_> = bases.in_tree_images.into_iter().collect();
        images.sort();
        assert_eq!(
            images,
            ["k8s.gcr.io/pause", "registry.k8s.io/coredns/coredns"]
        );

        let outside = resolve_bases(&overlay, text, &scope(&[root.join("overlays")]));
        assert!(
            outside.in_tree_images.is_empty(),
            "a base outside the roots is not in the tree"
        );
    }
}
