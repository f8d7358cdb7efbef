//! `regshift explain RULE` and `regshift explain --list`: what a rule means, why it matters and
//! what its fix does, from the same documentation that SARIF rule help carries.

use std::io::{self, Write};

use crate::rules::Rule;

/// The full explanation of one rule.
pub fn explanation(rule: Rule) -> String {
    let doc = rule.doc();
    let mut text = format!(
        "{id} ({severity}, fix: {fix})\n{summary}\n\nWhy it matters\n{why}\n\nWhat the fix does\n{fix_text}\n\nExample\n",
        id = rule.id(),
        severity = rule.severity().as_str(),
        fix = rule.fix_class(),
        summary = rule.summary(),
        why = wrap(doc.why, 96),
        fix_text = wrap(doc.fix, 96),
    );
    for line in doc.example.lines() {
        text.push_str("    ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!(
        "\nSuppress one finding with a `regshift:ignore[{id}]` comment on its line,\nor the rule with `[rules] ignore = [\"{id}\"]` in regshift.toml.\n",
        id = rule.id()
    ));
    text
}

/// One line per rule: id, severity, fix class, summary.
pub fn list() -> String {
    let width = Rule::ALL
        .iter()
        .map(|rule| rule.id().len())
        .max()
        .unwrap_or(0);
    let mut text = format!(
        "{:width$}  {:8}  {:6}  summary\n",
        "rule", "severity", "fix"
    );
    for rule in Rule::ALL {
        text.push_str(&format!(
            "{:width$}  {:8}  {:6}  {}\n",
            rule.id(),
            rule.severity().as_str(),
            rule.fix_class(),
            rule.summary()
        ));
    }
    text
}

/// `docs/rules.md`: every rule, as `explain` tells it, with an anchor per rule id (the
/// `helpUri` of SARIF rules points here).
pub fn reference() -> String {
    let mut text = String::from(
        "# regshift rules\n\nGenerated from the rule documentation in `src/rules.rs` (the same text as\n`regshift explain RULE` and SARIF rule help); `cargo test` checks it is current.\n\nEvery finding without a fix says why in its note: history (a patch, release notes), a folder\nin a URL or file path, a recording of a cluster (a metric sample, an object's status), a\ncommand that works only against Google's registries, a policy, a mirror key, a staging or\nproxy path, a line that already names registry.k8s.io, a template comparison, a packaged\nchart, a mention.\n\n| rule | severity | fix | summary |\n|---|---|---|---|\n",
    );
    for rule in Rule::ALL {
        text.push_str(&format!(
            "| [`{id}`](#{id}) | {} | {} | {} |\n",
            rule.severity().as_str(),
            rule.fix_class(),
            rule.summary(),
            id = rule.id()
        ));
    }
    for rule in Rule::ALL {
        let doc = rule.doc();
        text.push_str(&format!(
            "\n## {id}\n\n{summary} (severity **{severity}**, fix **{fix}**).\n\n**Why it matters.** {why}\n\n**What the fix does.** {fix_text}\n\n```text\n{example}\n```\n",
            id = rule.id(),
            summary = rule.summary(),
            severity = rule.severity().as_str(),
            fix = rule.fix_class(),
            why = doc.why,
            fix_text = doc.fix,
            example = doc.example,
        ));
    }
    text
}

/// Run the command; `Err` is a usage error (an unknown rule), exit code 2.
pub fn run(
    rule: Option<&str>,
    list_all: bool,
    out: &mut dyn Write,
) -> io::Result<Result<(), String>> {
    match (rule, list_all) {
        (_, true) | (None, false) => {
            out.write_all(list().as_bytes())?;
            Ok(Ok(()))
        }
        (Some(id), false) => match Rule::from_id(id) {
            Some(rule) => {
                out.write_all(explanation(rule).as_bytes())?;
                Ok(Ok(()))
            }
            None => {
                let known: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
                Ok(Err(format!(
                    "unknown rule `{id}` (known rules: {}; `regshift explain --list` shows them all)",
                    known.join(", ")
                )))
            }
        },
    }
}

/// Wrap prose at `width` columns on word boundaries.
fn wrap(text: &str, width: usize) -> String {
    let mut wrapped = String::new();
    let mut line_length = 0;
    for word in text.split_whitespace() {
        if line_length > 0 && line_length + 1 + word.len() > width {
            wrapped.push('\n');
            line_length = 0;
        } else if line_length > 0 {
            wrapped.push(' ');
            line_length += 1;
        }
        wrapped.push_str(word);
        line_length += word.len();
    }
    wrapped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_explains_itself() {
        for rule in Rule::ALL {
            let text = explanation(*rule);
            assert!(text.starts_with(rule.id()));
            assert!(text.contains("Why it matters") && text.contains("What the fix does"));
            assert!(
                text.lines().all(|line| line.chars().count() <= 110),
                "{text}"
            );
        }
        assert_eq!(list().lines().count(), Rule::ALL.len() + 1);
    }

    /// docs/rules.md is generated; `REGSHIFT_BLESS=1 cargo test` rewrites it.
    #[test]
    fn docs_rules_md_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
        if std::env::var("REGSHIFT_BLESS").as_deref() == Ok("1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, reference()).unwrap();
        }
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == reference(),
            "docs/rules.md is stale: run `REGSHIFT_BLESS=1 cargo test docs_rules_md_is_current`"
        );
    }

    #[test]
    fn unknown_rules_are_usage_errors() {
        let mut out = Vec::new();
        let result = run(Some("legacy-hots"), false, &mut out).unwrap();
        assert!(result.unwrap_err().contains("unknown rule `legacy-hots`"));
    }
}
