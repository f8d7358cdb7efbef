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
    RegistryMove = "registry-move", Error,
        "a registry that the configuration moves elsewhere ([[move]] in regshift.toml)";
    MirrorKey = "mirror-key", Info,
        "a mirror or registry setting keyed by the legacy host (containerd, CRI-O, k3s, Talos, kOps)";
    PolicyList = "policy-list", Info,
        "the legacy host inside an admission or signing policy (Kyverno, Gatekeeper, sigstore)";
    LegacyMention = "legacy-mention", Info,
        "k8s.gcr.io named in prose, a URL path or a file path, not as an image registry";
    UnusedSuppression = "unused-suppression", Info,
        "a regshift:ignore comment that suppresses nothing";
}

/// Everything a user reads about a rule: `regshift explain`, SARIF rule help, the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDoc {
    /// Why it matters.
    pub why: &'static str,
    /// What the fix does, and when it is unsafe or withheld.
    pub fix: &'static str,
    /// A short example: a reported line and what `regshift fix` makes of it.
    pub example: &'static str,
}

impl Rule {
    /// The rule's documentation.
    pub fn doc(self) -> RuleDoc {
        match self {
            Rule::LegacyHost => RuleDoc {
                why: "k8s.gcr.io was frozen on 2023-04-03: it receives no new images or security fixes, redirects to registry.k8s.io for now and will be phased out. Networks that allow-list the old host break as soon as the redirect points elsewhere.",
                fix: "Safe: the host becomes registry.k8s.io; path, tag and digest stay, because the Kubernetes project promoted every k8s.gcr.io image to registry.k8s.io by digest. In program source the fix is unsafe (code often names the old host on purpose); on a line that already names registry.k8s.io there is no fix. A kubeadm imageRepository becomes exactly registry.k8s.io and, for kubeadm older than v1.22.17, v1.23.15 or v1.24.9, also gets dns.imageRepository: registry.k8s.io/coredns. A kustomize images[].name whose base is outside the scanned tree keeps its name and gets newName: registry.k8s.io/… instead.",
                example: "image: k8s.gcr.io/pause:3.9        ->  image: registry.k8s.io/pause:3.9\nimageRepository: k8s.gcr.io        ->  imageRepository: registry.k8s.io",
            },
            Rule::LegacyBackend => RuleDoc {
                why: "{us,eu,asia}.gcr.io/k8s-artifacts-prod and <region>-docker.pkg.dev/k8s-artifacts-prod/images are storage backends behind k8s.gcr.io and registry.k8s.io. The project says not to depend on them: registry.k8s.io moves between backends without notice.",
                fix: "Safe: the host and project prefix become registry.k8s.io; the image path, tag and digest stay. When registry and repository are split across keys (registry: us.gcr.io, repository: k8s-artifacts-prod/x), both keys are rewritten.",
                example: "image: eu.gcr.io/k8s-artifacts-prod/pause:3.9  ->  image: registry.k8s.io/pause:3.9",
            },
            Rule::LegacyGcrProject => RuleDoc {
                why: "gcr.io/google-containers (and its alias gcr.io/google_containers) is the Google project that k8s.gcr.io fronted before 2020. Its images were copied to registry.k8s.io, but nothing guarantees every tag of it.",
                fix: "Unsafe: the host and project become registry.k8s.io, applied only with --unsafe-fixes. Check that the image exists on registry.k8s.io first (crane ls registry.k8s.io/<name>).",
                example: "image: gcr.io/google_containers/pause-amd64:3.1  ->  image: registry.k8s.io/pause-amd64:3.1",
            },
            Rule::StagingRegistry => RuleDoc {
                why: "staging-k8s.gcr.io, gcr.io/k8s-staging-* and <region>-docker.pkg.dev/k8s-staging-images are where images are built before promotion. They keep images for a short time and are not meant for production pulls; staging-k8s.gcr.io is largely a placeholder now.",
                fix: "None: a host swap would give staging-registry.k8s.io, which does not exist. Staging images reach registry.k8s.io only when promoted, at a path the promotion sets; use the promoted image, or keep the staging host for push targets.",
                example: "REGISTRY ?= staging-k8s.gcr.io    (reported; no fix)",
            },
            Rule::ProxyPath => RuleDoc {
                why: "In harbor.example.com/k8s.gcr.io/pause the registry is a pull-through cache, and k8s.gcr.io names a project whose upstream is the frozen registry. The cache keeps working only while the redirect does.",
                fix: "None: the remedy is in the proxy's configuration. Point the proxy project at registry.k8s.io (or create one that does) and reference that project.",
                example: "image: harbor.example.com/k8s.gcr.io/pause:3.9    (reported; no fix)",
            },
            Rule::RegistryMove => RuleDoc {
                why: "The configuration says this registry (or registry path) has moved: a company leaving a retired internal registry, an image project that changed its namespace. References to it keep working only as long as the old location does.",
                fix: "As the [[move]] entry says: safe or unsafe. The matched host and path become the move's `to`; everything after them stays. Every guard of the built-in rules applies: whole-token matching, proxy paths, URL and file paths, program source, lines that already name the destination, mirror keys and policies.",
                example: "[[move]] from = \"registry.old.example.com\" to = \"registry.example.com\"\nimage: registry.old.example.com/team/app:1.2  ->  image: registry.example.com/team/app:1.2",
            },
            Rule::MirrorKey => RuleDoc {
                why: "A containerd mirrors.\"k8s.gcr.io\" table, a certs.d/k8s.gcr.io/hosts.toml, or a k3s, Talos or kOps mirror map is keyed by the host written in image references. Renaming the key stops the mirror from applying to references that still use the old host, and can collide with an existing registry.k8s.io entry.",
                fix: "None: keep the key and add a sibling registry.k8s.io entry with the same endpoints, so both spellings are mirrored.",
                example: "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"k8s.gcr.io\"]    (keep; add a registry.k8s.io table)",
            },
            Rule::PolicyList => RuleDoc {
                why: "Admission and signing policies (Kyverno, Gatekeeper, sigstore) see the image string, not the redirect. A deny-list names the old host to block it; an allow-list must name both hosts while any workload still uses the old name.",
                fix: "None: deny-lists stay as they are; add registry.k8s.io beside the old host in allow-lists.",
                example: "repos: [\"k8s.gcr.io/\"]    (K8sAllowedRepos: add \"registry.k8s.io/\")",
            },
            Rule::LegacyMention => RuleDoc {
                why: "The host named in prose, in a URL path or in a file path names no image: a sentence about the migration, a link into the kubernetes/k8s.io repository, a folder named after the registry.",
                fix: "None: prose and paths are edited by hand if they should change.",
                example: "See https://github.com/kubernetes/k8s.io/tree/main/k8s.gcr.io    (reported as info; no fix)",
            },
            Rule::UnusedSuppression => RuleDoc {
                why: "A regshift:ignore comment that suppresses nothing hides nothing today and may hide a real finding later.",
                fix: "None: remove the comment, or correct its rule list.",
                example: "# regshift:ignore[proxy-path]    on a line without a proxy path",
            },
        }
    }

    /// What `fix` does with findings of this rule: `safe`, `unsafe` or `none` (some carriers
    /// refine this: program source makes a safe fix unsafe, a line that names the new host
    /// withholds it).
    pub fn fix_class(self) -> &'static str {
        match self {
            Rule::LegacyHost | Rule::LegacyBackend => "safe",
            Rule::LegacyGcrProject => "unsafe",
            Rule::RegistryMove => "config",
            _ => "none",
        }
    }

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
