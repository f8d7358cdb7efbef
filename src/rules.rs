//! The rule catalogue: ids, default severities and the one-line summaries every renderer uses.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// How serious a finding is. `--fail-on` compares against this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}` (expected error, warning or info)"
            )),
        }
    }
}

macro_rules! rules {
    ($( $variant:ident = $id:literal, $severity:ident, $summary:literal; )*) => {
        /// Every rule regshift knows. The id is the stable name used in output, config and
        /// suppression comments.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $( $variant, )* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            pub fn id(self) -> &'static str {
                match self { $( Rule::$variant => $id, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Rule::$variant => Severity::$severity, )* }
            }

            /// One line saying what the rule finds.
            pub fn summary(self) -> &'static str {
                match self { $( Rule::$variant => $summary, )* }
            }
        }
    };
}

rules! {
    LegacyHost = "legacy-host", Error,
        "k8s.gcr.io as the registry of an image reference or registry field";
    LegacyBackend = "legacy-backend", Error,
        "a storage backend of k8s.gcr.io or registry.k8s.io named directly";
    LegacyGcrProject = "legacy-gcr-project", Error,
        "the gcr.io/google-containers project that k8s.gcr.io once fronted";
    StagingRegistry = "staging-registry", Warning,
        "a staging registry that is not meant to be pulled from";
    ProxyPath = "proxy-path", Warning,
        "k8s.gcr.io as a path component of another registry (a pull-through cache)";
    MirrorKey = "mirror-key", Info,
        "a mirror or registry setting keyed by the legacy host (containerd, CRI-O, k3s, Talos, kOps)";
    PolicyList = "policy-list", Info,
        "the legacy host inside an admission or signing policy (Kyverno, Gatekeeper, sigstore)";
    LegacyMention = "legacy-mention", Info,
        "k8s.gcr.io named in prose, a URL path or a file path, not as an image registry";
    UnusedSuppression = "unused-suppression", Info,
        "a regshift:ignore comment that suppresses nothing";
}

impl Rule {
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| rule.id() == id)
    }

    /// Documentation anchor for this rule.
    pub fn help_url(self) -> String {
        format!(
            "https://github.com/regshift/regshift/blob/main/docs/rules.md#{}",
            self.id()
        )
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(*rule));
        }
        assert_eq!(Rule::from_id("nope"), None);
    }

    #[test]
    fn severities_order_for_fail_on() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
    }
}
