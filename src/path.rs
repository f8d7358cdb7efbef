//! `RepoPath`: how a file is named in every output. Relative to the current directory, `/`
//! separated, never starting with `./`; members of archives are written `archive.tgz!member`.

use std::borrow::Cow;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// The display name of a scanned file. Sorting compares the name as bytes, so output order is
/// the same on every machine and for every thread count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoPath(String);

impl RepoPath {
    pub fn new(display: impl Into<String>) -> RepoPath {
        RepoPath(display.into())
    }

    /// Name `path` relative to `cwd` (both as given; no file system access).
    pub fn from_path(path: &Path, cwd: &Path) -> RepoPath {
        // The common case, once per walked file: a plain path below `cwd`.
        if let Some(relative) = strip_dir_prefix(path, cwd)
            && let Some(plain) = relative.to_str().filter(|text| is_plain(text))
        {
            return RepoPath(plain.to_string());
        }
        let relative = if path.is_absolute() {
            relative_to(path, cwd)
        } else {
            normalize(path)
        };
        let mut display = String::new();
        for component in relative.components() {
            let part = match component {
                Component::Normal(part) => part.to_string_lossy(),
                Component::ParentDir => "..".into(),
                Component::RootDir => {
                    display.push('/');
                    continue;
                }
                Component::Prefix(prefix) => prefix.as_os_str().to_string_lossy(),
                Component::CurDir => continue,
            };
            if !display.is_empty() && !display.ends_with('/') {
                display.push('/');
            }
            display.push_str(&part);
        }
        if display.is_empty() {
            display.push('.');
        }
        RepoPath(display)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A path as a line of text may show it: C-style quoted, as git quotes it, when it holds a
/// control character. A file name with a line break must not start a line of its own in a CI
/// log, where a line that starts with `::` is a workflow command.
pub fn quoted(path: &str) -> Cow<'_, str> {
    if !path.chars().any(char::is_control) {
        return Cow::Borrowed(path);
    }
    let mut quoted = String::with_capacity(path.len() + 2);
    quoted.push('"');
    for c in path.chars() {
        match c {
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    Cow::Owned(quoted)
}

/// `path` below the folder `base`, compared as bytes (no component parsing: this runs for
/// every file of a walk). `None` when `path` is not below `base` or either is not plain
/// (`.`/`..` components, doubled separators), so callers fall back to `Path::strip_prefix`.
pub fn strip_dir_prefix<'a>(path: &'a Path, base: &Path) -> Option<&'a Path> {
    let (full, base) = (path.to_str()?, base.to_str()?);
    let prefix = base.strip_suffix('/').unwrap_or(base);
    let body = prefix.strip_prefix('/').unwrap_or(prefix);
    let base_ok = if body.is_empty() {
        base == "/"
    } else {
        is_plain(body)
    };
    let rest = full.strip_prefix(prefix)?.strip_prefix('/')?;
    (cfg!(unix) && base_ok && is_plain(rest)).then(|| Path::new(rest))
}

/// `path` relative to the folder `base` (`Path::strip_prefix`), by bytes when both are plain.
pub fn strip_dir<'a>(path: &'a Path, base: &Path) -> Option<&'a Path> {
    strip_dir_prefix(path, base).or_else(|| path.strip_prefix(base).ok())
}

/// A relative `/`-separated path of normal components only.
fn is_plain(path: &str) -> bool {
    // By bytes: this runs for every path of a walk, and a `char` split costs more.
    !path.is_empty()
        && path
            .as_bytes()
            .split(|&byte| byte == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

/// Drop `.` components and fold `a/..` pairs where `a` is a normal component.
pub fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    parts.iter().collect()
}

/// `path` relative to `base`, both absolute, using `..` where needed.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path = normalize(path);
    let base = normalize(base);
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return path;
    }
    let mut relative = PathBuf::new();
    for _ in common..base_parts.len() {
        relative.push("..");
    }
    for part in &path_parts[common..] {
        relative.push(part);
    }
    relative
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_control_characters_are_quoted() {
        assert_eq!(quoted("deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(quoted("a b/é.yaml"), "a b/é.yaml");
        assert_eq!(
            quoted("evil\n::error file=x::y\\\".yaml"),
            "\"evil\\n::error file=x::y\\\\\\\".yaml\""
        );
        assert_eq!(quoted("cr\r\u{1b}[31m"), "\"cr\\r\\u{1b}[31m\"");
    }

    #[test]
    fn plain_prefixes_are_stripped_as_bytes_and_others_fall_back() {
        fn strip<'a>(path: &'a str, base: &str) -> Option<&'a str> {
            strip_dir_prefix(Path::new(path), Path::new(base)).map(|rest| rest.to_str().unwrap())
        }
        assert_eq!(strip("/work/a/b.yaml", "/work"), Some("a/b.yaml"));
        assert_eq!(strip("/work/a/b.yaml", "/work/"), Some("a/b.yaml"));
        assert_eq!(strip("/a/b.yaml", "/"), Some("a/b.yaml"));
        assert_eq!(
            strip("charts/x/values.yaml", "charts"),
            Some("x/values.yaml")
        );
        assert_eq!(
            strip("/workshop/a", "/work"),
            None,
            "a sibling sharing a prefix"
        );
        assert_eq!(strip("/work", "/work"), None);
        assert_eq!(strip("/work/./a", "/work"), None);
        assert_eq!(strip("/work/a/../b", "/work"), None);
        assert_eq!(strip("/work//a", "/work"), None);
        assert_eq!(strip("/w/../work/a", "/w/../work"), None);
        // Where the fast path declines, the result is the same as before.
        for (path, cwd) in [
            ("/work/./a/b", "/work"),
            ("/work//a", "/work"),
            ("/x/a", "/work"),
        ] {
            let expected = RepoPath::from_path(&normalize(Path::new(path)), Path::new(cwd));
            assert_eq!(
                RepoPath::from_path(Path::new(path), Path::new(cwd)),
                expected
            );
        }
        assert_eq!(
            RepoPath::from_path(Path::new("/work/a/b"), Path::new("/work")).as_str(),
            "a/b"
        );
    }

    #[test]
    fn relative_paths_lose_dot_prefix() {
        let cwd = Path::new("/work");
        assert_eq!(
            RepoPath::from_path(Path::new("./deploy/app.yaml"), cwd).as_str(),
            "deploy/app.yaml"
        );
        assert_eq!(
            RepoPath::from_path(Path::new("deploy/../app.yaml"), cwd).as_str(),
            "app.yaml"
        );
    }

    #[test]
    fn absolute_paths_become_relative_to_cwd() {
        let cwd = Path::new("/work/repo");
        assert_eq!(
            RepoPath::from_path(Path::new("/work/repo/a/b.yaml"), cwd).as_str(),
            "a/b.yaml"
        );
        assert_eq!(
            RepoPath::from_path(Path::new("/work/other/c.yaml"), cwd).as_str(),
            "../other/c.yaml"
        );
    }
}
