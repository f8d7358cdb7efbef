//! The decision table: every rule regshift reports, and every legacy host form it finds, as
//! data. Each rule's id, severity, summary, explanation and fix class live in [`RuleSpec`]; a
//! rule that is a host form also says how messages name the form and how its replacement is
//! built ([`HostRule`]), and [`HOST_PATTERNS`] says which tokens are that form. `explain`,
//! SARIF rule metadata, `docs/rules.md`, the host scan, classification, split references,
//! kustomize names and `images` all read these tables.
//!
//! Adding a host-form rule is one entry in the `catalog!` below, its patterns in
//! [`HOST_PATTERNS`], and its fixtures.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The frozen registry.
pub const LEGACY_HOST: &str = "k8s.gcr.io";
/// Where everything moved.
pub const NEW_HOST: &str = "registry.k8s.io";

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

/// What `fix` does with a rule's findings by default. Carriers refine it per finding: program
/// source makes a safe fix unsafe, a line that already names the destination withholds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixClass {
    /// Applied by `regshift fix`.
    Safe,
    /// Applied only with `--unsafe-fixes`.
    Unsafe,
    /// Reported, never rewritten.
    None,
    /// As the configuration says (`[[move]]`).
    Configured,
}

impl FixClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FixClass::Safe => "safe",
            FixClass::Unsafe => "unsafe",
            FixClass::None => "none",
            FixClass::Configured => "config",
        }
    }
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

/// One rule of the catalogue.
#[derive(Debug)]
pub struct RuleSpec {
    /// The stable name used in output, configuration and suppression comments.
    pub id: &'static str,
    pub severity: Severity,
    /// One line saying what the rule finds.
    pub summary: &'static str,
    pub fix_class: FixClass,
    pub doc: RuleDoc,
    /// For a rule that is a legacy host form: how it is described and fixed.
    pub host: Option<HostRule>,
}

/// A legacy host form's part of the decision table.
#[derive(Debug)]
pub struct HostRule {
    /// How messages name the form; `{host}` is the matched text (or `canonical`).
    pub describe: &'static str,
    /// The spelling messages use for the host, whatever case the file uses.
    pub canonical: Option<&'static str>,
    pub treatment: Treatment,
}

/// What happens to a host form's references.
#[derive(Debug)]
pub enum Treatment {
    /// The matched bytes (host and project prefix) become `to`, under the rule's fix class.
    Rewrite {
        to: &'static str,
        /// Said of every fix of this form (why it is unsafe).
        note: Option<&'static str>,
        /// The Kubernetes project guarantees every image of this form on `to`, by digest; a
        /// mirroring plan marks the others unverified.
        guaranteed: bool,
    },
    /// Reported wherever it stands, with this message (`{host}` as above) and note; never
    /// rewritten.
    Report {
        message: &'static str,
        note: &'static str,
    },
}

macro_rules! catalog {
    ($( $variant:ident => $spec:expr, )*) => {
        /// Every rule regshift knows, in the order of the catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $( $variant, )* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[ $( Rule::$variant, )* ];

            /// The rule's entry in the catalogue.
            pub fn spec(self) -> &'static RuleSpec {
                match self {
                    $( Rule::$variant => {
                        static SPEC: RuleSpec = $spec;
                        &SPEC
                    } )*
                }
            }
        }
    };
}

catalog! {
    LegacyHost => RuleSpec {
        id: "legacy-host",
        severity: Severity::Error,
        summary: "k8s.gcr.io as the registry of an image reference or registry field",
        fix_class: FixClass::Safe,
        doc: RuleDoc {
            why: "k8s.gcr.io was frozen on 2023-04-03: it receives no new images or security fixes, redirects to registry.k8s.io for now and will be phased out. Networks that allow-list the old host break as soon as the redirect points elsewhere.",
            fix: "Safe: the host becomes registry.k8s.io; path, tag and digest stay, because the Kubernetes project promoted every k8s.gcr.io image to registry.k8s.io by digest. A data value that is exactly the host (YAML, JSON, TOML, INI, env or Terraform; a trailing / allowed) names a registry whatever its key: an env list's value: k8s.gcr.io, a variable's default: or example:, a Terraform variable's default = \"k8s.gcr.io\", UPSTREAM=k8s.gcr.io. A reference in containers/image's docker:// transport (skopeo copy docker://k8s.gcr.io/pause:3.9, podman pull, buildah) is an image, not a URL: safe. A sentence or a comment that names the bare host, and an item of a list of hosts, stay legacy-mention; a commented-out image line (# image: k8s.gcr.io/pause:3.9) is rewritten like the image, so it is right when someone uncomments it. A map key that is a full image name (\"k8s.gcr.io/pause:3.9\": \"mirror.example.com/pause:3.9\", a values file's images: keyed by image) follows the migration, because whatever looks it up uses the new names once the references move; when the same map already holds the new key there is no fix, since renaming would duplicate the key. A key that is only the host stays mirror-key. A host under a name that is matched against references (an allow- or deny-list, NO_PROXY, an insecure registry, an FQDN rule, a match prefix) gets no fix: keep it and add registry.k8s.io beside it. In program source the fix is unsafe (code often names the old host on purpose), and so it is in a shell variable set to the bare host and in test data, the inputs and expected outputs of tests, which are code and may compare them with names in program source: below a testdata/ folder, a golden file (*.golden, or below a golden/ or goldens/ folder) and a test snapshot (below __snapshots__/, or *.snap); when the run walks the tree and none of its program source names anything the run reports, no code can hold such a name, and test data gets the fix it would get elsewhere (a recording in it too). A CustomResourceDefinition's schema (its descriptions and defaults) is written by a generator from program source, controller-gen from Go comments and +kubebuilder:default markers: a reference there that the run's program source names too gets an unsafe fix, to go with the source's, since regenerating would write the old name back; so does every one when the program source was not read (a file named alone). On a line that already names registry.k8s.io there is no fix. History is never rewritten: in a *.diff or *.patch file, a fenced diff or patch block in Markdown (or a fenced block that starts like a patch), or release notes and changelogs scanned anyway (CHANGELOG*, CHANGES*, *-NOTES.md, release-notes/, Markdown in releases/), or a published release (a versioned file or folder below a releases/ folder, such as releases/driver-v3.0.0/), or a captured --help in docs or a text file (a flag line's (default \"k8s.gcr.io\"), which moves when the program's default does), there is no fix. Nor is a recording of a cluster, outside Markdown: a metric sample's labels (m{image=\"k8s.gcr.io/pause:3.9\"} 1, what cAdvisor or kube-state-metrics scraped) and an object's status (containerStatuses[].image, a node's images) get no fix, since the cluster writes them and nothing pulls from them; the rest of an object read back from a cluster (metadata.uid or resourceVersion set) gets an unsafe fix. A push target (docker push k8s.gcr.io/…, the same name where a script tags it, or a script's or Makefile's variable that a push in the same file uses) gets no fix: registry.k8s.io accepts no pushes, so point it at the registry the project publishes to. On a gcloud command that works only against Google's registries (gcloud container images list-tags, describe, list, delete, untag, add-tag; gcloud artifacts docker images and tags) there is no fix either, and the note names the registry.k8s.io equivalent (crane ls, crane manifest). A kubeadm imageRepository (a config file, Cluster API's clusterConfiguration, or YAML in a string, a Markdown code block or a heredoc: the kubeadm-config ConfigMap, a cloud-init file, cat > kubeadm.yaml <<EOF) becomes exactly registry.k8s.io and, for kubeadm from v1.21.2 and older than v1.22.17, v1.23.15 or v1.24.9 (or with no kubernetesVersion), also gets dns.imageRepository: registry.k8s.io/coredns; before v1.21.2 kubeadm names CoreDNS where a plain swap keeps it working. A kustomize images[].name whose base is outside the scanned tree keeps its name and gets newName: registry.k8s.io/… instead.",
            example: "image: k8s.gcr.io/pause:3.9        ->  image: registry.k8s.io/pause:3.9\nimageRepository: k8s.gcr.io        ->  imageRepository: registry.k8s.io\ndefault: k8s.gcr.io                ->  default: registry.k8s.io",
        },
        host: Some(HostRule {
            describe: "the frozen registry {host}",
            canonical: Some(LEGACY_HOST),
            treatment: Treatment::Rewrite {
                to: NEW_HOST,
                note: None,
                guaranteed: true,
            },
        }),
    },
    PostFreezeTag => RuleSpec {
        id: "post-freeze-tag",
        severity: Severity::Error,
        summary: "an image on k8s.gcr.io whose tag was published after the freeze: it never existed there",
        fix_class: FixClass::Safe,
        doc: RuleDoc {
            why: "k8s.gcr.io froze on 2023-04-03: a tag published later (Kubernetes 1.27 and later, and the patches 1.24.13, 1.25.9, 1.26.4 and later) was never pushed there, nor to the {us,eu,asia}.gcr.io/k8s-artifacts-prod backends that froze with it. A reference to k8s.gcr.io resolves only because k8s.gcr.io redirects to registry.k8s.io: a mirror, a pull-through cache, an air-gapped copy or an allow-list of the old host never has the image, and it stops resolving when the redirect ends. The tags come from a table of facts (data/post-freeze-tags.tsv, with its source and cut-off): the core Kubernetes images (kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy, conformance) under the tag of every stable release published after the cut-off. An image or tag the table does not list (pre-releases, other images) stays legacy-host or legacy-backend.",
            fix: "Safe: the same edit as legacy-host (or legacy-backend), which this rule replaces for the reference, under the same conditions: the host becomes registry.k8s.io, and path, tag and digest stay. A reference with a digest and no tag, a templated tag, and a tag in a key of its own (registry, repository and tag split across keys) stay legacy-host.",
            example: "image: k8s.gcr.io/kube-apiserver:v1.27.2  ->  image: registry.k8s.io/kube-apiserver:v1.27.2\nimage: k8s.gcr.io/kube-apiserver:v1.26.3  (legacy-host: published before the freeze)",
        },
        // Not a host form of its own (no pattern names it): a legacy-host or legacy-backend
        // finding becomes this rule, with the same rewrite, which `images` plans from.
        host: Some(HostRule {
            describe: "the frozen registry {host}",
            canonical: None,
            treatment: Treatment::Rewrite {
                to: NEW_HOST,
                note: None,
                guaranteed: true,
            },
        }),
    },
    LegacyBackend => RuleSpec {
        id: "legacy-backend",
        severity: Severity::Error,
        summary: "a storage backend of k8s.gcr.io or registry.k8s.io named directly",
        fix_class: FixClass::Safe,
        doc: RuleDoc {
            why: "{us,eu,asia}.gcr.io/k8s-artifacts-prod and <region>-docker.pkg.dev/k8s-artifacts-prod/images are storage backends behind k8s.gcr.io and registry.k8s.io. The project says not to depend on them: registry.k8s.io moves between backends without notice.",
            fix: "Safe: the host and project prefix become registry.k8s.io; the image path, tag and digest stay. When registry and repository are split across keys (registry: us.gcr.io, repository: k8s-artifacts-prod/x), both keys are rewritten.",
            example: "image: eu.gcr.io/k8s-artifacts-prod/pause:3.9  ->  image: registry.k8s.io/pause:3.9",
        },
        host: Some(HostRule {
            describe: "{host}, a storage backend that registry.k8s.io may move away from",
            canonical: None,
            treatment: Treatment::Rewrite {
                to: NEW_HOST,
                note: None,
                guaranteed: true,
            },
        }),
    },
    LegacyGcrProject => RuleSpec {
        id: "legacy-gcr-project",
        severity: Severity::Error,
        summary: "the gcr.io/google-containers project that k8s.gcr.io once fronted",
        fix_class: FixClass::Unsafe,
        doc: RuleDoc {
            why: "gcr.io/google-containers (and its alias gcr.io/google_containers) is the Google project that k8s.gcr.io fronted before 2020. Its images were copied to registry.k8s.io, but nothing guarantees every tag of it.",
            fix: "Unsafe: the host and project become registry.k8s.io, applied only with --unsafe-fixes. Check that the image exists on registry.k8s.io first (crane ls registry.k8s.io/<name>).",
            example: "image: gcr.io/google_containers/pause-amd64:3.1  ->  image: registry.k8s.io/pause-amd64:3.1",
        },
        host: Some(HostRule {
            describe: "{host}, the old project behind k8s.gcr.io",
            canonical: None,
            treatment: Treatment::Rewrite {
                to: NEW_HOST,
                note: Some("unsafe: the Kubernetes project copied these images to registry.k8s.io but does not guarantee every one"),
                guaranteed: false,
            },
        }),
    },
    StagingRegistry => RuleSpec {
        id: "staging-registry",
        severity: Severity::Warning,
        summary: "a staging registry that is not meant to be pulled from",
        fix_class: FixClass::None,
        doc: RuleDoc {
            why: "staging-k8s.gcr.io, gcr.io/k8s-staging-* and <region>-docker.pkg.dev/k8s-staging-images are where images are built before promotion. They keep images for a short time and are not meant for production pulls; staging-k8s.gcr.io is largely a placeholder now.",
            fix: "None: a host swap would give staging-registry.k8s.io, which does not exist. Staging images reach registry.k8s.io only when promoted, at a path the promotion sets; use the promoted image, or keep the staging host for push targets.",
            example: "REGISTRY ?= staging-k8s.gcr.io    (reported; no fix)",
        },
        host: Some(HostRule {
            describe: "the staging registry {host}",
            canonical: None,
            treatment: Treatment::Report {
                message: "{host} is a staging registry: its images are not for production and may be deleted",
                note: "no automatic fix: staging images reach registry.k8s.io only when promoted, at a path set by the promotion",
            },
        }),
    },
    ProxyPath => RuleSpec {
        id: "proxy-path",
        severity: Severity::Warning,
        summary: "k8s.gcr.io as a path component of another registry (a pull-through cache)",
        fix_class: FixClass::None,
        doc: RuleDoc {
            why: "In harbor.example.com/k8s.gcr.io/pause the registry is a pull-through cache, and k8s.gcr.io names a project whose upstream is the frozen registry. The cache keeps working only while the redirect does.",
            fix: "None: the remedy is in the proxy's configuration. Point the proxy project at registry.k8s.io (or create one that does) and reference that project.",
            example: "image: harbor.example.com/k8s.gcr.io/pause:3.9    (reported; no fix)",
        },
        host: None,
    },
    RegistryMove => RuleSpec {
        id: "registry-move",
        severity: Severity::Error,
        summary: "a registry that the configuration moves elsewhere ([[move]] in regshift.toml)",
        fix_class: FixClass::Configured,
        doc: RuleDoc {
            why: "The configuration says this registry (or registry path) has moved: a company leaving a retired internal registry, an image project that changed its namespace. References to it keep working only as long as the old location does.",
            fix: "As the [[move]] entry says: safe or unsafe. The matched host and path become the move's `to`; everything after them stays. Every guard of the built-in rules applies: whole-token matching, proxy paths, URL and file paths, program source, test data, lines that already name the destination, mirror keys and policies. Split Helm values get the destination's host in `registry` and its path in `repository` (no fix under a non-empty global.imageRegistry, which overrides them); kustomize images[].name is rewritten with an in-tree base or kept with a newName. A move of Docker Hub matches docker.io, index.docker.io and registry-1.docker.io, and names without a host (bitnami/redis, redis for docker.io/library) where the value is an image (an image key, a split repository, a kustomize name, a Dockerfile FROM); those get their full name.",
            example: "[[move]] from = \"registry.old.example.com\" to = \"registry.example.com\"\nimage: registry.old.example.com/team/app:1.2  ->  image: registry.example.com/team/app:1.2\n[[move]] from = \"docker.io/bitnami\" to = \"registry.example.com/bitnami\"\nimage: bitnami/redis:7  ->  image: registry.example.com/bitnami/redis:7",
        },
        host: None,
    },
    MirrorKey => RuleSpec {
        id: "mirror-key",
        severity: Severity::Info,
        summary: "a mirror or registry setting keyed by the legacy host (containerd, CRI-O, k3s, Talos, kOps)",
        fix_class: FixClass::None,
        doc: RuleDoc {
            why: "A containerd mirrors.\"k8s.gcr.io\" table, a certs.d/k8s.gcr.io/hosts.toml, a k3s, Talos or kOps mirror map, or a host=endpoint word (talosctl --registry-mirror k8s.gcr.io=http://10.5.0.1:5001) is keyed by the host written in image references. Renaming the key stops the mirror from applying to references that still use the old host, and can collide with an existing registry.k8s.io entry. (A key that is a full image name, k8s.gcr.io/pause:3.9, is not a mirror key: it follows the migration as legacy-host.) TOML written inside another file (a heredoc, kind's containerdConfigPatches) ends where the TOML does: a docker pull after the heredoc is not part of the table.",
            fix: "None: keep the key and add a sibling registry.k8s.io entry with the same endpoints, so both spellings are mirrored.",
            example: "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"k8s.gcr.io\"]    (keep; add a registry.k8s.io table)",
        },
        host: None,
    },
    PolicyList => RuleSpec {
        id: "policy-list",
        severity: Severity::Info,
        summary: "the legacy host inside an admission, signing or runtime policy (Kyverno, Gatekeeper, sigstore, Falco)",
        fix_class: FixClass::None,
        doc: RuleDoc {
            why: "Admission and signing policies (Kyverno, Gatekeeper, sigstore) and runtime rules (Falco's lists and conditions, which match container.image.repository) see the image string, not the redirect. A deny-list names the old host to block it; an allow-list must name both hosts while any workload still uses the old name.",
            fix: "None: deny-lists stay as they are; add registry.k8s.io beside the old host in allow-lists.",
            example: "repos: [\"k8s.gcr.io/\"]    (K8sAllowedRepos: add \"registry.k8s.io/\")",
        },
        host: None,
    },
    LegacyMention => RuleSpec {
        id: "legacy-mention",
        severity: Severity::Info,
        summary: "k8s.gcr.io named in prose, a URL path or a file path, not as an image registry",
        fix_class: FixClass::None,
        doc: RuleDoc {
            why: "The host named in prose, in a URL path or in a file path names no image: a sentence about the migration, a link into the kubernetes/k8s.io repository, a folder named after the registry. A path is told from an image reference by a file extension on its last segment (k8s.gcr.io/images/k8s-staging-dns/images.yaml), or by the command that takes it (cd, ls, cat, cp, mv, rm, mkdir, find, tree, pushd, source, git add…: cd k8s.gcr.io/images, ls k8s.gcr.io/). Between the slashes of a pattern on a line that runs sed, awk, grep or perl (awk '/k8s.gcr.io/', sed s/k8s.gcr.io/…/) the host is part of a regular expression that matches text: it changes together with what it searches. When a sed substitution (or perl -pi -e) searches files of the scanned tree (sed -i \"s/k8s.gcr.io/mirror.local/g\" etc/kubeadm.yaml, found from the script's folder or a folder above it, or as the one file of the run whose path ends the same way) and regshift's safe fixes leave every one of them with registry.k8s.io and none of the old host, the pattern moves with them (legacy-host, safe): left as it was, the command would silently match nothing. A pattern for a file outside the tree (/etc/containerd/config.toml), one that keeps the old host (a mirror key), one that already writes registry.k8s.io, or a file named alone on the command line keeps it.",
            fix: "None: prose and paths are edited by hand if they should change. A path into the kubernetes/k8s.io repository's k8s.gcr.io/ folder (a link to github.com/kubernetes/k8s.io/tree/<ref>/k8s.gcr.io, blob or raw, or a path like k8s.gcr.io/images/k8s-staging-dns/images.yaml) gets a note saying that folder is now registry.k8s.io/: a link to a branch needs the new folder, a link to a pinned commit stays right, so the fix is still by hand.",
            example: "See https://github.com/kubernetes/k8s.io/tree/main/k8s.gcr.io    (reported as info; no fix)",
        },
        host: None,
    },
    UnusedSuppression => RuleSpec {
        id: "unused-suppression",
        severity: Severity::Info,
        summary: "a regshift:ignore comment that suppresses nothing",
        fix_class: FixClass::None,
        doc: RuleDoc {
            why: "A regshift:ignore comment that suppresses nothing hides nothing today and may hide a real finding later.",
            fix: "None: remove the comment, or correct its rule list.",
            example: "# regshift:ignore[proxy-path]    on a line without a proxy path",
        },
        host: None,
    },
}

/// Which host a pattern matches: the whole token, ignoring ASCII case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostName {
    /// One of these hosts.
    Named(&'static [&'static str]),
    /// An Artifact Registry host, `<region>-docker.pkg.dev`.
    ArtifactRegistry,
}

/// A path segment that must follow the host (or the previous segment) whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// One of these names, ignoring ASCII case.
    Named(&'static [&'static str]),
    /// A name that starts with this prefix (ignoring ASCII case) and goes on.
    Prefix(&'static str),
}

/// A token of this host, followed by these path segments, is a reference of this form. The
/// matched bytes (the host and its segments) are what a fix replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPattern {
    pub host: HostName,
    pub path: &'static [Segment],
    pub rule: Rule,
}

/// The legacy host forms (ARCHITECTURE.md, "Domain facts"), tried in order: the first pattern
/// that matches a token wins.
pub const HOST_PATTERNS: &[HostPattern] = &[
    HostPattern {
        host: HostName::Named(&["k8s.gcr.io"]),
        path: &[],
        rule: Rule::LegacyHost,
    },
    HostPattern {
        host: HostName::Named(&["staging-k8s.gcr.io"]),
        path: &[],
        rule: Rule::StagingRegistry,
    },
    HostPattern {
        host: HostName::Named(&["gcr.io"]),
        path: &[Segment::Named(&["google-containers", "google_containers"])],
        rule: Rule::LegacyGcrProject,
    },
    HostPattern {
        host: HostName::Named(&["gcr.io"]),
        path: &[Segment::Prefix("k8s-staging-")],
        rule: Rule::StagingRegistry,
    },
    HostPattern {
        host: HostName::Named(&["us.gcr.io", "eu.gcr.io", "asia.gcr.io"]),
        path: &[Segment::Named(&["k8s-artifacts-prod"])],
        rule: Rule::LegacyBackend,
    },
    HostPattern {
        host: HostName::ArtifactRegistry,
        path: &[
            Segment::Named(&["k8s-artifacts-prod"]),
            Segment::Named(&["images"]),
        ],
        rule: Rule::LegacyBackend,
    },
    HostPattern {
        host: HostName::ArtifactRegistry,
        path: &[Segment::Named(&["k8s-staging-images"])],
        rule: Rule::StagingRegistry,
    },
];

/// How every Artifact Registry host ends.
const ARTIFACT_REGISTRY_SUFFIX: &str = "-docker.pkg.dev";

impl HostName {
    /// Whether `token` (a whole host token) is this host.
    pub fn matches(self, token: &[u8]) -> bool {
        match self {
            HostName::Named(names) => names
                .iter()
                .any(|name| token.eq_ignore_ascii_case(name.as_bytes())),
            HostName::ArtifactRegistry => is_artifact_registry_host(token),
        }
    }

    /// A substring every token of this host contains: the host scan's needle.
    fn needles(self) -> Vec<&'static str> {
        match self {
            HostName::Named(names) => names.to_vec(),
            HostName::ArtifactRegistry => vec![&ARTIFACT_REGISTRY_SUFFIX[1..]],
        }
    }
}

impl Segment {
    /// Whether `name` (a whole path segment) is this segment.
    pub fn matches(self, name: &[u8]) -> bool {
        match self {
            Segment::Named(names) => names
                .iter()
                .any(|known| name.eq_ignore_ascii_case(known.as_bytes())),
            Segment::Prefix(prefix) => {
                name.len() > prefix.len()
                    && name[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
            }
        }
    }
}

/// `<region>-docker.pkg.dev`, for example `us-central1-docker.pkg.dev` or
/// `europe-docker.pkg.dev`: the one definition of an Artifact Registry host.
pub fn is_artifact_registry_host(token: &[u8]) -> bool {
    let suffix = ARTIFACT_REGISTRY_SUFFIX.as_bytes();
    token.len() > suffix.len()
        && token[token.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        && token[..token.len() - suffix.len()]
            .iter()
            .all(|byte| byte.is_ascii_alphanumeric() || *byte == b'-')
}

/// The substrings the host scan searches for: every pattern's host contains one. A needle
/// that contains another is left out (`gcr.io` finds `k8s.gcr.io` too), so the gate searches
/// as few as it can.
pub fn host_needles() -> Vec<&'static str> {
    let all: Vec<&'static str> = HOST_PATTERNS
        .iter()
        .flat_map(|pattern| pattern.host.needles())
        .collect();
    let mut needles: Vec<&'static str> = Vec::new();
    for needle in &all {
        let covered = all
            .iter()
            .any(|other| other.len() < needle.len() && needle.contains(other));
        if !covered && !needles.contains(needle) {
            needles.push(needle);
        }
    }
    needles
}

impl Rule {
    pub fn id(self) -> &'static str {
        self.spec().id
    }

    pub fn severity(self) -> Severity {
        self.spec().severity
    }

    /// One line saying what the rule finds.
    pub fn summary(self) -> &'static str {
        self.spec().summary
    }

    /// The rule's documentation.
    pub fn doc(self) -> RuleDoc {
        self.spec().doc
    }

    /// What `fix` does with findings of this rule by default: `safe`, `unsafe`, `none` or
    /// `config`.
    pub fn fix_class(self) -> &'static str {
        self.spec().fix_class.as_str()
    }

    /// The host form this rule reports, if it is one.
    pub fn host(self) -> Option<&'static HostRule> {
        self.spec().host.as_ref()
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

    #[test]
    fn host_forms_agree_with_their_fix_class() {
        for pattern in HOST_PATTERNS {
            let rule = pattern.rule;
            let host = rule.host().expect("a pattern's rule is a host form");
            let rewrites = matches!(host.treatment, Treatment::Rewrite { .. });
            let fixes = matches!(rule.spec().fix_class, FixClass::Safe | FixClass::Unsafe);
            assert_eq!(rewrites, fixes, "{rule}");
        }
    }

    #[test]
    fn the_gate_searches_the_fewest_needles() {
        assert_eq!(host_needles(), ["gcr.io", "docker.pkg.dev"]);
    }

    #[test]
    fn artifact_registry_hosts_have_a_region() {
        for host in [
            "us-docker.pkg.dev",
            "europe-west9-docker.pkg.dev",
            "US-Docker.Pkg.Dev",
        ] {
            assert!(is_artifact_registry_host(host.as_bytes()), "{host}");
        }
        for host in [
            "docker.pkg.dev",
            "-docker.pkg.dev",
            "us_x-docker.pkg.dev",
            "us-docker.pkg.dev.x",
        ] {
            assert!(!is_artifact_registry_host(host.as_bytes()), "{host}");
        }
    }
}
