//! Inline suppression comments:
//!
//! - `regshift:ignore` suppresses findings on its own line,
//! - `regshift:ignore-next-line` suppresses findings on the following line,
//! - `regshift:ignore-file` suppresses the whole file.
//!
//! Each may name rules: `regshift:ignore[proxy-path,legacy-mention]`. A marker counts only in a
//! comment (after `#`, `//`, `/*`, `--`, `;` or `<!--` on its line), so prose that documents
//! the syntax is not a suppression. A marker that suppresses nothing is reported.

use std::ops::Range;

use memchr::memmem;

use crate::carrier::Carrier;
use crate::rules::Rule;
use crate::source::SourceFile;

pub const MARKER: &[u8] = b"regshift:ignore";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Line,
    NextLine,
    File,
}

impl Scope {
    pub fn spelling(self) -> &'static str {
        match self {
            Scope::Line => "regshift:ignore",
            Scope::NextLine => "regshift:ignore-next-line",
            Scope::File => "regshift:ignore-file",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub scope: Scope,
    /// The marker text, for reporting it when unused.
    pub range: Range<usize>,
    /// 0-based line the marker applies to (unused for `File`).
    pub target_line: usize,
    /// `None`: every rule.
    pub rules: Option<Vec<Rule>>,
    /// Rule names in the brackets that regshift does not know.
    pub unknown_rules: Vec<String>,
    pub used: bool,
}

impl Suppression {
    fn covers(&self, rule: Rule, line: usize) -> bool {
        let rule_ok = self
            .rules
            .as_ref()
            .is_none_or(|rules| rules.contains(&rule));
        rule_ok && (self.scope == Scope::File || self.target_line == line)
    }
}

/// All markers of a file.
#[derive(Debug, Default)]
pub struct Suppressions {
    pub markers: Vec<Suppression>,
}

impl Suppressions {
    pub fn scan(source: &SourceFile) -> Suppressions {
        let bytes = &source.bytes;
        let mut markers = Vec::new();
        for at in memmem::find_iter(bytes, MARKER) {
            let line_index = source.line_index(at);
            let line = source.line_range(line_index);
            if !preceded_by_comment_leader(source.carrier, &bytes[line.start..at]) {
                continue;
            }
            let mut end = at + MARKER.len();
            let scope = if bytes[end..].starts_with(b"-next-line") {
                end += b"-next-line".len();
                Scope::NextLine
            } else if bytes[end..].starts_with(b"-file") {
                end += b"-file".len();
                Scope::File
            } else {
                Scope::Line
            };
            let (rules, unknown_rules) = if bytes.get(end) == Some(&b'[') {
                match memchr::memchr(b']', &bytes[end..line.end.max(end)]) {
                    Some(close) => {
                        let list = String::from_utf8_lossy(&bytes[end + 1..end + close]);
                        end += close + 1;
                        parse_rule_list(&list)
                    }
                    None => (None, Vec::new()),
                }
            } else {
                (None, Vec::new())
            };
            // `regshift:ignored` or `regshift:ignore-foo` are other words.
            if bytes
                .get(end)
                .is_some_and(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-'))
            {
                continue;
            }
            markers.push(Suppression {
                scope,
                range: at..end,
                target_line: if scope == Scope::NextLine {
                    line_index + 1
                } else {
                    line_index
                },
                rules,
                unknown_rules,
                used: false,
            });
        }
        Suppressions { markers }
    }

    /// Whether a finding of `rule` on 0-based `line` is suppressed; marks the marker used.
    pub fn suppresses(&mut self, rule: Rule, line: usize) -> bool {
        let mut suppressed = false;
        for marker in &mut self.markers {
            if marker.covers(rule, line) {
                marker.used = true;
                suppressed = true;
            }
        }
        suppressed
    }
}

fn parse_rule_list(list: &str) -> (Option<Vec<Rule>>, Vec<String>) {
    let mut rules = Vec::new();
    let mut unknown = Vec::new();
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        match Rule::from_id(name) {
            Some(rule) => rules.push(rule),
            None => unknown.push(name.to_string()),
        }
    }
    (Some(rules), unknown)
}

fn preceded_by_comment_leader(kind: Carrier, before: &[u8]) -> bool {
    if kind == Carrier::Markdown {
        return memmem::find(before, b"<!--").is_some();
    }
    [
        &b"#"[..],
        b"//",
        b"/*",
        b"--",
        b";",
        b"<!--",
        b"{{/*",
        b"{{- /*",
    ]
    .iter()
    .any(|leader| memmem::find(before, leader).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::RepoPath;

    fn scan(path: &str, text: &str) -> Suppressions {
        Suppressions::scan(&SourceFile::new(
            RepoPath::new(path),
            text.as_bytes().to_vec(),
        ))
    }

    #[test]
    fn scopes_and_targets() {
        let found = scan(
            "a.yaml",
            "image: k8s.gcr.io/a # regshift:ignore\n# regshift:ignore-next-line\nimage: k8s.gcr.io/b\n# regshift:ignore-file\n",
        );
        let summary: Vec<_> = found
            .markers
            .iter()
            .map(|m| (m.scope, m.target_line))
            .collect();
        assert_eq!(
            summary,
            [(Scope::Line, 0), (Scope::NextLine, 2), (Scope::File, 3)]
        );
    }

    #[test]
    fn rule_lists() {
        let mut found = scan("a.sh", "x # regshift:ignore[proxy-path, bogus]\n");
        let marker = &found.markers[0];
        assert_eq!(marker.rules, Some(vec![Rule::ProxyPath]));
        assert_eq!(marker.unknown_rules, ["bogus"]);
        assert!(!found.suppresses(Rule::LegacyHost, 0));
        assert!(found.suppresses(Rule::ProxyPath, 0));
        assert!(found.markers[0].used);
    }

    #[test]
    fn prose_is_not_a_marker() {
        assert!(
            scan("a.md", "Add `regshift:ignore` to a line.\n")
                .markers
                .is_empty()
        );
        assert!(scan("a.yaml", "note: regshift:ignore\n").markers.is_empty());
        assert!(scan("a.yaml", "# regshift:ignored\n").markers.is_empty());
        assert_eq!(
            scan("a.md", "<!-- regshift:ignore-file -->\n")
                .markers
                .len(),
            1
        );
    }
}
