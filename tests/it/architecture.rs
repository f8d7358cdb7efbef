//! The shape of `src/` that ARCHITECTURE.md promises, checked on the source itself: modules
//! import each other without cycles (between the crate's top-level modules, and between
//! sibling modules of a folder), no function is longer than 100 lines and no file longer than
//! 900. The checks read rustfmt-formatted source with simple rules; they are guards, not a
//! Rust parser.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::repository;

/// The longest function, in lines from its signature to its closing brace.
const MAX_FUNCTION_LINES: usize = 100;
/// The longest file.
const MAX_FILE_LINES: usize = 900;

/// A module path (`["detect", "classify"]`) and the text of its file.
struct Module {
    path: Vec<String>,
    file: PathBuf,
    text: String,
}

fn modules() -> Vec<Module> {
    let src = repository().join("src");
    let mut files = Vec::new();
    collect_rs(&src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let relative = file.strip_prefix(&src).unwrap().with_extension("");
            let mut path: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                path.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                path.pop();
            }
            let text = std::fs::read_to_string(&file).unwrap();
            Module { path, file, text }
        })
        .collect()
}

fn collect_rs(folder: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The code of a module without its unit tests (`#[cfg(test)]` to the end of the file, as
/// this crate writes them) and without comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or(text);
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a module names through `crate::` or `super::`, with `use` groups expanded.
fn named_paths(module: &Module) -> Vec<Vec<String>> {
    let code = code(&module.text);
    let mut paths = Vec::new();
    // `use` declarations, which may span lines and nest braces.
    for declaration in code.split(';') {
        let Some(tree) = declaration.trim().strip_prefix("use ").or_else(|| {
            declaration
                .trim()
                .strip_prefix("pub use ")
                .or_else(|| declaration.trim().strip_prefix("pub(crate) use "))
        }) else {
            continue;
        };
        let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
        expand(&tree, &mut Vec::new(), &mut paths);
    }
    // Paths written inline in code: `crate::detect::yaml::documents(...)`.
    for (at, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        let rest: String = code[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        paths.push(
            rest.split("::")
                .filter(|part| !part.is_empty())
                .map(str::to_string)
                .collect(),
        );
    }
    paths
        .into_iter()
        .filter_map(|path| resolve_relative(&module.path, path))
        .collect()
}

/// Expand a use tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree.find('{') {
        None => {
            let mut path = prefix.clone();
            path.extend(
                tree.split("::")
                    .filter(|part| !part.is_empty())
                    .map(str::to_string),
            );
            out.push(path);
        }
        Some(open) => {
            let head: Vec<String> = tree[..open]
                .split("::")
                .filter(|part| !part.is_empty())
                .map(str::to_string)
                .collect();
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let depth = prefix.len();
            prefix.extend(head);
            for part in split_top_level(inner) {
                expand(part, prefix, out);
            }
            prefix.truncate(depth);
        }
    }
}

/// Split a brace group's content at its top-level commas.
fn split_top_level(group: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&group[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&group[start..]);
    parts.into_iter().filter(|part| !part.is_empty()).collect()
}

/// A `crate::` or `super::` path made absolute (a module path and an item); other paths
/// (`std::`, a dependency, a local name) are not the crate's modules.
fn resolve_relative(module: &[String], path: Vec<String>) -> Option<Vec<String>> {
    let first = path.first()?;
    if first == "crate" {
        return Some(path[1..].to_vec());
    }
    if first != "super" {
        return None;
    }
    // `super` of `detect/classify/mod.rs` (module detect::classify) is `detect`; so is
    // `super` of `detect/names.rs` (module detect::names).
    let mut base = module.to_vec();
    let mut rest = &path[..];
    while rest.first().is_some_and(|part| part == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The longest prefix of `path` that is a module.
fn owning_module(known: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|length| path[..length].to_vec())
        .find(|prefix| known.contains(prefix))
}

/// The module graph: which module names which.
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules();
    let known: BTreeSet<Vec<String>> = modules.iter().map(|module| module.path.clone()).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for module in &modules {
        let targets = edges.entry(module.path.clone()).or_default();
        for path in named_paths(module) {
            if let Some(target) = owning_module(&known, &path)
                && target != module.path
            {
                targets.insert(target);
            }
        }
    }
    edges
}

fn find_cycle<N: Ord + Clone>(edges: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        node: &N,
        edges: &BTreeMap<N, BTreeSet<N>>,
        done: &mut BTreeSet<N>,
        stack: &mut Vec<N>,
    ) -> Option<Vec<N>> {
        if let Some(at) = stack.iter().position(|open| open == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.clone());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut done, &mut Vec::new()))
}

#[test]
fn top_level_modules_import_each_other_without_cycles() {
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in graph() {
        let Some(from) = from.first() else { continue };
        for target in targets {
            if let Some(target) = target.first()
                && target != from
            {
                top.entry(from.clone()).or_default().insert(target.clone());
            }
        }
    }
    assert!(
        top.contains_key("detect") && top["engine"].contains("detect"),
        "{top:?}"
    );
    assert_eq!(find_cycle(&top), None, "{top:#?}");
}

#[test]
fn sibling_modules_import_each_other_without_cycles() {
    let mut siblings: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (from, targets) in graph() {
        for target in targets {
            if target.len() == from.len() && target[..target.len() - 1] == from[..from.len() - 1] {
                siblings.entry(from.clone()).or_default().insert(target);
            }
        }
    }
    assert_eq!(find_cycle(&siblings), None, "{siblings:#?}");
}

/// A file's functions: name and length in lines.
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let signature = trimmed
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("const ");
        let Some(rest) = signature.strip_prefix("fn ") else {
            continue;
        };
        if line.trim_end().ends_with(';') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let closing = format!("{indent}}}");
        if let Some(end) = lines[index + 1..].iter().position(|line| *line == closing) {
            found.push((name, end + 2));
        }
    }
    found
}

#[test]
fn functions_and_files_stay_short() {
    let mut long = Vec::new();
    for module in modules() {
        let file = module
            .file
            .strip_prefix(repository())
            .unwrap()
            .display()
            .to_string();
        let lines = module.text.lines().count();
        if lines > MAX_FILE_LINES {
            long.push(format!("{file}: {lines} lines"));
        }
        for (name, length) in functions(&module.text) {
            if length > MAX_FUNCTION_LINES {
                long.push(format!("{file}: fn {name}: {length} lines"));
            }
        }
    }
    assert!(long.is_empty(), "too long:\n{}", long.join("\n"));
}

#[test]
fn the_checks_see_what_they_check() {
    let graph = graph();
    let classify = vec!["detect".to_string(), "classify".to_string()];
    assert!(
        graph[&classify].contains(&vec!["detect".to_string(), "hosts".to_string()]),
        "{:?}",
        graph[&classify]
    );
    let sample = "fn short() {\n    1\n}\n\nimpl X {\n    pub fn method(&self) {\n        a();\n        b();\n    }\n}\n";
    assert_eq!(
        functions(sample),
        [("short".to_string(), 3), ("method".to_string(), 4)]
    );
    let mut paths = Vec::new();
    expand("crate::a::{b, c::{d, e}}", &mut Vec::new(), &mut paths);
    assert_eq!(paths.len(), 3);
}
