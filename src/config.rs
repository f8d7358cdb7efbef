//! `regshift.toml` / `.regshift.toml`: found from each scanned path upward (stopping at the
//! repository root), strict about its keys, resolved once into excludes and rule filters.
//!
//! ```toml
//! exclude = ["generated/"]          # replaces the default excludes
//! extend-exclude = ["docs/legacy/"] # adds to them
//! fail-on = "error"                 # error | warning | info
//!
//! [rules]
//! ignore = ["legacy-mention"]
//!
//! [rules.per-path-ignore]
//! "docs/**" = ["legacy-mention", "proxy-path"]
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use serde::Deserialize;

use crate::detect::RuleFilter;
use crate::detect::hosts::{HostForm, HostScanner, Move};
use crate::image_ref;
use crate::path::RepoPath;
use crate::rules::{Rule, Severity};

/// The file names searched for, in order of preference within one directory.
pub const CONFIG_FILE_NAMES: &[&str] = &["regshift.toml", ".regshift.toml"];

/// Files that record history: changelogs, release notes, news. Rewriting them falsifies what
/// was released, so they are excluded by default, and one scanned anyway (named on the command
/// line, or with the default excludes replaced) is reported without fixes. Matched
/// case-insensitively. A `releases/` folder holds notes only in Markdown: manifests released
/// from it are not history, nor is a Helm chart's `templates/NOTES.txt`.
pub const HISTORY_FILES: &[&str] = &[
    "CHANGELOG*",
    "CHANGELOG/",
    "CHANGES",
    "CHANGES*.md",
    "CHANGES*.txt",
    "CHANGES*.rst",
    "HISTORY*",
    "NEWS*",
    "RELEASE*NOTES*",
    "*-NOTES.md",
    "**/releases/**/*.md",
];

/// Vendored and generated trees: rewriting them is reverted by the next update.
pub const VENDORED_TREES: &[&str] = &["vendor/", "third_party/", "node_modules/"];

/// Errors name the file as every other path is named: relative to the current directory.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    exclude: Option<Vec<String>>,
    #[serde(default)]
    extend_exclude: Vec<String>,
    fail_on: Option<String>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default, rename = "move")]
    moves: Vec<RawMove>,
}

/// `[[move]] from = "…" to = "…" applicability = "safe|unsafe"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMove {
    from: String,
    to: String,
    #[serde(default)]
    applicability: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRules {
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    per_path_ignore: std::collections::BTreeMap<String, Vec<String>>,
}

/// A resolved configuration.
#[derive(Debug)]
pub struct Config {
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    /// Globs are relative to this directory.
    pub base: PathBuf,
    pub fail_on: Option<Severity>,
    excluder: Excluder,
    /// [`HISTORY_FILES`], always.
    history: Excluder,
    ignore: Vec<Rule>,
    per_path_ignore: Vec<(GlobMatcher, Vec<Rule>)>,
    /// Registry moves beyond the built-in k8s.gcr.io one.
    pub moves: Vec<Move>,
}

impl Config {
    /// No file: default excludes relative to `base`.
    pub fn defaults(
        base: &Path,
        extra_excludes: &[String],
        cli_base: &Path,
    ) -> Result<Config, ConfigError> {
        Self::from_raw(RawConfig::default(), None, base, extra_excludes, cli_base)
    }

    /// Load and resolve the file at `path`, with globs relative to `base` (the file's folder
    /// when it was discovered, the current directory when named with `--config`).
    /// `extra_excludes` come from `--exclude` and are relative to `cwd`.
    pub fn load(
        path: &Path,
        base: &Path,
        extra_excludes: &[String],
        cwd: &Path,
    ) -> Result<Config, ConfigError> {
        let display = RepoPath::from_path(path, cwd).to_string();
        let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: display.clone(),
            source,
        })?;
        let raw: RawConfig = toml::from_str(&text).map_err(|error| ConfigError::Invalid {
            path: display.clone(),
            message: describe_toml_error(&text, &error),
        })?;
        Self::from_raw(
            raw,
            Some((path.to_path_buf(), display)),
            base,
            extra_excludes,
            cwd,
        )
    }

    /// `source` is the file and its display name.
    fn from_raw(
        raw: RawConfig,
        source: Option<(PathBuf, String)>,
        base: &Path,
        extra_excludes: &[String],
        cwd: &Path,
    ) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: source
                .as_ref()
                .map_or_else(|| "--exclude".to_string(), |(_, display)| display.clone()),
            message,
        };
        let fail_on = raw
            .fail_on
            .as_deref()
            .map(|text| {
                text.parse::<Severity>()
                    .map_err(|error| invalid(format!("fail-on: {error}")))
            })
            .transpose()?;
        let ignore = parse_rules(&raw.rules.ignore)
            .map_err(|error| invalid(format!("rules.ignore: {error}")))?;
        let mut per_path_ignore = Vec::new();
        for (pattern, rules) in &raw.rules.per_path_ignore {
            let glob = Glob::new(pattern)
                .map_err(|error| invalid(format!("rules.per-path-ignore: {error}")))?
                .compile_matcher();
            let rules = parse_rules(rules).map_err(|error| {
                invalid(format!("rules.per-path-ignore.\"{pattern}\": {error}"))
            })?;
            per_path_ignore.push((glob, rules));
        }

        let defaults_replaced = raw.exclude.is_some();
        let mut excluder = Excluder::default();
        let history_files: Vec<String> = HISTORY_FILES.iter().map(|s| s.to_string()).collect();
        let mut history = Excluder::default();
        history
            .add(base, &history_files, true)
            .map_err(|e| invalid(format!("exclude: {e}")))?;
        if !defaults_replaced {
            let owned: Vec<String> = HISTORY_FILES
                .iter()
                .chain(VENDORED_TREES)
                .map(|s| s.to_string())
                .collect();
            excluder
                .add(base, &owned, true)
                .map_err(|e| invalid(format!("exclude: {e}")))?;
        }
        let mut user_patterns = raw.exclude.unwrap_or_default();
        user_patterns.extend(raw.extend_exclude);
        excluder
            .add(base, &user_patterns, false)
            .map_err(|error| invalid(format!("exclude: {error}")))?;
        excluder
            .add(cwd, extra_excludes, false)
            .map_err(|error| invalid(format!("--exclude: {error}")))?;

        let moves = raw
            .moves
            .iter()
            .enumerate()
            .map(|(index, raw)| {
                parse_move(raw).map_err(|error| invalid(format!("move[{index}]: {error}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        check_moves_converge(&moves).map_err(invalid)?;

        Ok(Config {
            moves,
            source: source.map(|(path, _)| path),
            base: base.to_path_buf(),
            fail_on,
            excluder,
            history,
            ignore,
            per_path_ignore,
        })
    }

    /// Whether the file at absolute `path` records history ([`HISTORY_FILES`], whether or not
    /// the excludes were replaced): it is reported without fixes.
    pub fn is_history(&self, path: &Path) -> bool {
        self.history.is_excluded(path, false, true)
    }

    /// Whether an absolute `path` is excluded. With `check_parents`, an excluded ancestor
    /// excludes it too (for explicit paths under `--force-exclude`; the walk never descends
    /// into an excluded folder, so it checks each entry alone).
    pub fn is_excluded(&self, path: &Path, is_dir: bool, check_parents: bool) -> bool {
        self.excluder.is_excluded(path, is_dir, check_parents)
    }

    /// The rules switched off for the file at absolute `path`.
    pub fn rule_filter(&self, path: &Path) -> RuleFilter {
        let mut rules = self.ignore.clone();
        if self.per_path_ignore.is_empty() {
            return RuleFilter::ignoring(rules);
        }
        let relative = crate::path::strip_dir(path, &self.base);
        if let Some(relative) = relative {
            for (glob, ignored) in &self.per_path_ignore {
                if glob.is_match(relative) {
                    rules.extend(ignored.iter().copied());
                }
            }
        }
        RuleFilter::ignoring(rules)
    }
}

/// A move's `from` is a registry host (letters, digits, dots and dashes, with a dot),
/// optionally followed by whole path segments; `to` must not start with `from` again, or a
/// second `fix` would move it once more.
fn parse_move(raw: &RawMove) -> Result<Move, String> {
    let from = raw.from.trim().trim_end_matches('/');
    let mut parts = from.split('/');
    let host = parts.next().unwrap_or_default().to_ascii_lowercase();
    let host_ok = host.contains('.')
        && host
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-'));
    if !host_ok {
        return Err(format!(
            "`from = \"{}\"` does not start with a registry host",
            raw.from
        ));
    }
    // Docker Hub answers to several names: a move of any of them is a move of all
    // (`Move::host_matches`), found by the needle every spelling contains.
    let host = if image_ref::is_docker_hub_host(host.as_bytes()) {
        image_ref::DOCKER_HUB.to_string()
    } else {
        host
    };
    let path: Vec<String> = parts.map(str::to_string).collect();
    if path.iter().any(|segment| {
        segment.is_empty()
            || !segment
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
    }) {
        return Err(format!(
            "`from = \"{}\"` has an invalid path segment",
            raw.from
        ));
    }
    let to = raw.to.trim().trim_end_matches('/').to_string();
    // A `to` without a host would be a Docker Hub name, which a move of Docker Hub may
    // match again.
    let to_host = to.split('/').next().unwrap_or_default();
    if to.is_empty()
        || to.chars().any(char::is_whitespace)
        || !image_ref::is_registry_component(to_host)
    {
        return Err(format!("`to = \"{}\"` is not a registry", raw.to));
    }
    let lower_to = to.to_ascii_lowercase();
    let lower_from = from.to_ascii_lowercase();
    if lower_to == lower_from || lower_to.starts_with(&format!("{lower_from}/")) {
        return Err(format!(
            "`to = \"{}\"` starts with `from`, so every fix would match again",
            raw.to
        ));
    }
    let safe = match raw.applicability.as_deref() {
        None | Some("safe") => true,
        Some("unsafe") => false,
        Some(other) => {
            return Err(format!("applicability `{other}` is not `safe` or `unsafe`"));
        }
    };
    Ok(Move {
        host,
        path,
        to,
        safe,
    })
}

/// A destination that another move (or the built-in k8s.gcr.io move) would move again makes
/// fixes chase each other; two moves of one source are ambiguous.
fn check_moves_converge(moves: &[Move]) -> Result<(), String> {
    for (index, moved) in moves.iter().enumerate() {
        if let Some(first) = moves[..index]
            .iter()
            .position(|other| other.from() == moved.from())
        {
            return Err(format!(
                "move[{index}]: `from = \"{}\"` is already moved by move[{first}]",
                moved.from()
            ));
        }
    }
    let scanner = HostScanner::with_moves(moves.to_vec());
    for (index, moved) in moves.iter().enumerate() {
        let again = scanner
            .scan(moved.to.as_bytes())
            .into_iter()
            .find(|hit| hit.range.start == 0 && hit.form.is_moved());
        if let Some(hit) = again {
            let by = match hit.form {
                HostForm::Move(other) => format!("move[{other}]"),
                _ => "the built-in k8s.gcr.io move".to_string(),
            };
            return Err(format!(
                "move[{index}]: `to = \"{}\"` would be moved again by {by}; moves must not chain",
                moved.to
            ));
        }
    }
    Ok(())
}

fn parse_rules(names: &[String]) -> Result<Vec<Rule>, String> {
    names
        .iter()
        .map(|name| {
            Rule::from_id(name).ok_or_else(|| {
                let known: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
                format!("unknown rule `{name}` (known rules: {})", known.join(", "))
            })
        })
        .collect()
}

/// toml's messages carry a caret diagram; keep its first line and point at line and column.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim_end().to_string();
    match error.span() {
        Some(span) => {
            let line = text[..span.start].matches('\n').count() + 1;
            let column = text[..span.start]
                .rsplit('\n')
                .next()
                .map_or(0, |before| before.chars().count())
                + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// Gitignore-style exclude patterns, each set relative to its own base directory.
#[derive(Debug, Default)]
struct Excluder {
    sets: Vec<(PathBuf, Gitignore)>,
}

impl Excluder {
    fn add(
        &mut self,
        base: &Path,
        patterns: &[String],
        case_insensitive: bool,
    ) -> Result<(), ignore::Error> {
        if patterns.is_empty() {
            return Ok(());
        }
        let mut builder = GitignoreBuilder::new(base);
        builder.case_insensitive(case_insensitive)?;
        for pattern in patterns {
            builder.add_line(None, pattern)?;
        }
        self.sets.push((base.to_path_buf(), builder.build()?));
        Ok(())
    }

    fn is_excluded(&self, path: &Path, is_dir: bool, check_parents: bool) -> bool {
        self.sets.iter().any(|(base, matcher)| {
            let Some(relative) = crate::path::strip_dir(path, base) else {
                return false;
            };
            if matcher.matched(relative, is_dir).is_ignore() {
                return true;
            }
            check_parents
                && relative
                    .ancestors()
                    .skip(1)
                    .filter(|parent| !parent.as_os_str().is_empty())
                    .any(|parent| matcher.matched(parent, true).is_ignore())
        })
    }
}

/// The nearest configuration file for a scanned path: from its directory upward, stopping
/// after the first directory that holds `.git` (the repository root).
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut directory = if start.is_dir() {
        Some(start)
    } else {
        start.parent()
    };
    while let Some(dir) = directory {
        for name in CONFIG_FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if dir.join(".git").exists() {
            return None;
        }
        directory = dir.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regshift.toml");
        fs::write(&path, text).unwrap();
        Config::load(&path, dir.path(), &[], dir.path())
    }

    #[test]
    fn unknown_keys_are_named() {
        let error = load("fail-on = \"error\"\nexcludes = []\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 2, column 1"), "{error}");
        assert!(error.contains("unknown field `excludes`"), "{error}");
        let error = load("[rules]\nignored = []\n").unwrap_err().to_string();
        assert!(error.contains("unknown field `ignored`"), "{error}");
    }

    #[test]
    fn unknown_rules_and_severities_are_errors() {
        let error = load("[rules]\nignore = [\"legacy-hots\"]\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown rule `legacy-hots`"), "{error}");
        let error = load("fail-on = \"fatal\"\n").unwrap_err().to_string();
        assert!(error.contains("unknown severity `fatal`"), "{error}");
    }

    #[test]
    fn default_excludes_are_case_insensitive_and_replaceable() {
        let base = Path::new("/repo");
        let config = Config::defaults(base, &[], base).unwrap();
        assert!(config.is_excluded(Path::new("/repo/changelog.md"), false, false));
        assert!(config.is_excluded(Path::new("/repo/docs/Release-Notes.md"), false, false));
        assert!(config.is_excluded(Path::new("/repo/Vendor"), true, false));
        assert!(config.is_excluded(Path::new("/repo/vendor/x/a.yaml"), false, true));
        assert!(!config.is_excluded(Path::new("/repo/vendor/x/a.yaml"), false, false));
        assert!(!config.is_excluded(Path::new("/repo/deploy/app.yaml"), false, true));

        let replaced = Config::from_raw(
            RawConfig {
                exclude: Some(vec!["generated/".into()]),
                ..RawConfig::default()
            },
            None,
            base,
            &[],
            base,
        )
        .unwrap();
        assert!(!replaced.is_excluded(Path::new("/repo/CHANGELOG.md"), false, false));
        assert!(replaced.is_excluded(Path::new("/repo/generated"), true, false));
        assert!(replaced.is_history(Path::new("/repo/CHANGELOG.md")));
    }

    #[test]
    fn release_notes_in_their_common_spellings_are_history() {
        let base = Path::new("/repo");
        let config = Config::defaults(base, &[], base).unwrap();
        for history in [
            "CHANGES.md",
            "changes",
            "CHANGES-1.2.txt",
            "docs/1.18-NOTES.md",
            "release-notes/v1.2.md",
            "docs/release-notes/2024/v1.2.md",
            "releases/v1.0.md",
            "docs/releases/release-1.18/README.md",
            "CHANGELOG/CHANGELOG-1.27.md",
            "History.md",
        ] {
            let path = base.join(history);
            assert!(config.is_history(&path), "{history}");
            assert!(config.is_excluded(&path, false, true), "{history}");
        }
        for other in [
            "charts/web/templates/NOTES.txt",
            "releases/deploy.yaml",
            "releases/v1.0/manifests/app.yaml",
            "pkg/diff/changes.go",
            "docs/NOTES.md",
            "vendor/x/app.yaml",
        ] {
            assert!(!config.is_history(&base.join(other)), "{other}");
        }
        for other in ["charts/web/templates/NOTES.txt", "releases/deploy.yaml"] {
            assert!(
                !config.is_excluded(&base.join(other), false, true),
                "{other}"
            );
        }
    }

    #[test]
    fn moves_are_validated() {
        let config = load("[[move]]\nfrom = \"Registry.Old.Example.com/team/\"\nto = \"registry.example.com/team\"\napplicability = \"unsafe\"\n").unwrap();
        assert_eq!(config.moves[0].host, "registry.old.example.com");
        assert_eq!(config.moves[0].path, ["team"]);
        assert!(!config.moves[0].safe);
        let hub = load(
            "[[move]]\nfrom = \"Index.Docker.io/bitnami\"\nto = \"registry.example.com/bitnami\"\n",
        )
        .unwrap();
        assert_eq!(hub.moves[0].host, "docker.io");
        for (text, message) in [
            (
                "[[move]]\nfrom = \"docker.io/bitnami\"\nto = \"registry-1.docker.io/bitnami/x\"\n",
                "would be moved again by move[0]",
            ),
            (
                "[[move]]\nfrom = \"not a host\"\nto = \"x.example\"\n",
                "does not start with a registry host",
            ),
            (
                "[[move]]\nfrom = \"quay.io/org\"\nto = \"quay.io/org/sub\"\n",
                "every fix would match again",
            ),
            (
                "[[move]]\nfrom = \"quay.io/org\"\nto = \"quay.io/new\"\napplicability = \"maybe\"\n",
                "not `safe` or `unsafe`",
            ),
            (
                "[[move]]\nfrom = \"quay.io/org\"\nto = \"quay.io/new\"\nsafe = true\n",
                "unknown field `safe`",
            ),
            (
                "[[move]]\nfrom = \"a.example.com\"\nto = \"b.example.com\"\n[[move]]\nfrom = \"b.example.com\"\nto = \"a.example.com\"\n",
                "would be moved again by move[1]",
            ),
            (
                "[[move]]\nfrom = \"registry.k8s.io\"\nto = \"k8s.gcr.io\"\n",
                "the built-in k8s.gcr.io move",
            ),
            (
                "[[move]]\nfrom = \"a.example.com\"\nto = \"b.example.com\"\n[[move]]\nfrom = \"a.example.com\"\nto = \"c.example.com\"\n",
                "already moved by move[0]",
            ),
        ] {
            let error = load(text).unwrap_err().to_string();
            assert!(error.contains(message), "{error}");
        }
    }

    #[test]
    fn per_path_ignores() {
        let config = load("[rules]\nignore = [\"proxy-path\"]\n[rules.per-path-ignore]\n\"docs/**\" = [\"legacy-mention\"]\n").unwrap();
        let docs = config.rule_filter(&config.base.join("docs/a/b.md"));
        assert!(!docs.allows(Rule::LegacyMention));
        assert!(!docs.allows(Rule::ProxyPath));
        let other = config.rule_filter(&config.base.join("deploy/a.yaml"));
        assert!(other.allows(Rule::LegacyMention));
    }
}
