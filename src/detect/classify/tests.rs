//! Each base rule and each refinement alone, on one hit of a small file.

use super::refine::REFINEMENTS;
use super::verdict::BASE_RULES;
use super::*;
use crate::detect::hosts::HostScanner;
use crate::detect::text::{GcrVerb, LineSite, TextAnalyzer, TextLayout};
use crate::detect::yaml;
use crate::origin::{History, Origin, Packaged, SedInput, SedInputs};
use crate::path::RepoPath;

/// Run `check` on the first hit of `text` in a file named `path`, as detection sees it.
pub(super) fn with_hit<T>(
    path: &str,
    text: &str,
    moves: &[Move],
    check: impl FnOnce(&Hit<'_>) -> T,
) -> T {
    with_source(
        SourceFile::new(RepoPath::new(path), text.as_bytes().to_vec()),
        moves,
        check,
    )
}

pub(super) fn with_source<T>(
    source: SourceFile,
    moves: &[Move],
    check: impl FnOnce(&Hit<'_>) -> T,
) -> T {
    let scanner = HostScanner::with_moves(moves.to_vec());
    let hits = scanner.scan(&source.bytes);
    let layout = TextLayout::new(&source);
    let text_site = TextAnalyzer::new().analyze(&source, &hits[0], &layout);
    let structure = source.parses_as_yaml().then(|| {
        let text = std::str::from_utf8(&source.bytes).unwrap();
        yaml::index(text, &hits, source.carrier.dialect(), &scanner)
    });
    let yaml_site = structure.as_ref().and_then(|index| index.sites[0].as_ref());
    check(&Hit::new(&source, &hits[0], &text_site, yaml_site, moves))
}

pub(super) fn base_rule(name: &str) -> fn(&Hit<'_>) -> Option<Verdict> {
    BASE_RULES
        .iter()
        .find(|rule| rule.name == name)
        .unwrap_or_else(|| panic!("no base rule {name}"))
        .decide
}

pub(super) fn refinement(name: &str) -> fn(&Hit<'_>, &mut Verdict) {
    REFINEMENTS
        .iter()
        .find(|refinement| refinement.name == name)
        .unwrap_or_else(|| panic!("no refinement {name}"))
        .apply
}

pub(super) fn safe(rule: Rule) -> Verdict {
    Verdict::fix(rule, "m".into(), Applicability::Safe)
}

/// The order is the decision: this list is what classification does, top to bottom.
#[test]
fn the_pipeline_in_order() {
    let base: Vec<&str> = BASE_RULES.iter().map(|rule| rule.name).collect();
    assert_eq!(
        base,
        [
            "policy",
            "image key",
            "mirror key",
            "text pattern",
            "URL or file path",
            "proxy path",
            "reported form",
            "URL host",
            "image",
            "template comparison",
            "registry field",
            "value in code",
            "mention",
        ]
    );
    let refinements: Vec<&str> = REFINEMENTS
        .iter()
        .map(|refinement| refinement.name)
        .collect();
    assert_eq!(
        refinements,
        [
            "form note",
            "history",
            "recorded state",
            "Google-only registry command",
            "push target",
            "program source",
            "test data",
            "generated schema",
            "destination already on the line",
            "matched names",
            "kubelet flag",
            "template comparison",
            "packaged chart",
            "kubeadm --image-repository",
            "configured move",
        ]
    );
}

#[test]
fn policies_claim_hits_in_admission_policies_only() {
    let policy = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nspec:\n  parameters:\n    repos: [\"k8s.gcr.io/\"]\n";
    let verdict = with_hit("p.yaml", policy, &[], base_rule("policy")).unwrap();
    assert_eq!(verdict.rule, Rule::PolicyList);
    assert!(verdict.note.unwrap().contains("allow-list"));
    let deployment =
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  image: k8s.gcr.io/pause:3.9\n";
    assert_eq!(
        with_hit("d.yaml", deployment, &[], base_rule("policy")),
        None
    );
    // Falco matches what containers run against its lists and conditions: runtime policy.
    for falco in [
        "- list: falco_privileged_images\n  items: [docker.io/calico/node, k8s.gcr.io/kube-proxy]\n",
        "- macro: trusted\n  condition: container.image.repository in (k8s.gcr.io/pause)\n",
    ] {
        let verdict = with_hit("falco_rules.yaml", falco, &[], base_rule("policy")).unwrap();
        assert_eq!(verdict.rule, Rule::PolicyList, "{falco}");
        assert!(verdict.note.unwrap().contains("allow-list"), "{falco}");
    }
    let described = "- rule: Privileged\n  desc: images such as k8s.gcr.io/pause are allowed\n";
    let verdict = with_hit("falco_rules.yaml", described, &[], base_rule("policy")).unwrap();
    assert!(verdict.note.unwrap().contains("review this text by hand"));
    // A list of containers whose items have a `name` is no Falco file.
    let list = "- name: list\n  image: k8s.gcr.io/pause:3.9\n";
    assert_eq!(with_hit("pods.yaml", list, &[], base_rule("policy")), None);
    let nested = "spec:\n  - list: x\n    image: k8s.gcr.io/pause:3.9\n";
    assert_eq!(with_hit("x.yaml", nested, &[], base_rule("policy")), None);
}

#[test]
fn image_keys_follow_the_migration_unless_the_map_holds_the_new_key() {
    let map = "{\"k8s.gcr.io/pause:3.9\": \"mirror.example.com/pause:3.9\"}\n";
    let verdict = with_hit("mirrors.json", map, &[], base_rule("image key")).unwrap();
    assert_eq!(
        (verdict.rule, verdict.applicability),
        (Rule::LegacyHost, Applicability::Safe)
    );
    let both = "images:\n  k8s.gcr.io/pause:3.9: a\n  registry.k8s.io/pause:3.9: b\n";
    let verdict = with_hit("values.yaml", both, &[], base_rule("image key")).unwrap();
    assert_eq!(verdict.applicability, Applicability::DisplayOnly);
    assert!(
        verdict
            .note
            .unwrap()
            .contains("already holds the key registry.k8s.io/pause:3.9")
    );
    // A bare host key is a mirror key; an image in a value is no key.
    for (path, text) in [
        (
            "config.yaml",
            "mirrors:\n  k8s.gcr.io:\n    endpoint: [x]\n",
        ),
        ("pod.yaml", "image: k8s.gcr.io/pause:3.9\n"),
    ] {
        assert_eq!(
            with_hit(path, text, &[], base_rule("image key")),
            None,
            "{text}"
        );
    }
}

#[test]
fn mirror_keys_are_maps_keyed_by_the_host() {
    let toml = "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"k8s.gcr.io\"]\n  endpoint = [\"https://mirror.example\"]\n";
    let verdict = with_hit("config.toml", toml, &[], base_rule("mirror key")).unwrap();
    assert_eq!(verdict.rule, Rule::MirrorKey);
    // A staging host keeps its own rule in a mirror table.
    let staging = toml.replace("k8s.gcr.io", "staging-k8s.gcr.io");
    assert_eq!(
        with_hit("config.toml", &staging, &[], base_rule("mirror key")),
        None
    );
}

#[test]
fn url_and_file_paths_name_folders() {
    let verdict = with_hit(
        "a.md",
        "See https://github.com/kubernetes/k8s.io/tree/main/k8s.gcr.io for more.\n",
        &[],
        base_rule("URL or file path"),
    )
    .unwrap();
    assert_eq!(verdict.rule, Rule::LegacyMention);
    assert_eq!(
        with_hit(
            "a.yaml",
            "image: k8s.gcr.io/pause:3.9\n",
            &[],
            base_rule("URL or file path")
        ),
        None
    );
}

#[test]
fn paths_that_commands_take_name_folders() {
    for (path, text) in [
        ("a.sh", "cd k8s.gcr.io/images/k8s-staging-dns\n"),
        ("a.sh", "ls -la k8s.gcr.io/\n"),
        ("a.sh", "cd -P k8s.gcr.io\n"),
        ("a.sh", ". k8s.gcr.io/env.sh\n"),
        ("a.sh", "find k8s.gcr.io -name images.yaml\n"),
        (
            "a.sh",
            "make check && cat k8s.gcr.io/images/k8s-staging-foo/promoter\n",
        ),
        ("a.md", "```console\n$ cd k8s.gcr.io/images\n```\n"),
        ("a.md", "Run `pushd k8s.gcr.io/images` first.\n"),
        ("Dockerfile", "RUN cp -r k8s.gcr.io/manifests /src\n"),
        ("ci.yaml", "script:\n  - git add k8s.gcr.io/images\n"),
    ] {
        let verdict = with_hit(path, text, &[], base_rule("URL or file path"));
        assert_eq!(
            verdict.map(|verdict| verdict.rule),
            Some(Rule::LegacyMention),
            "{text}"
        );
    }
    for (path, text) in [
        ("a.sh", "docker pull k8s.gcr.io/pause:3.9\n"),
        ("a.sh", "cd /src && docker pull k8s.gcr.io/pause:3.9\n"),
        ("a.sh", "docker cp k8s.gcr.io/x:/a /b\n"),
        ("a.yaml", "image: k8s.gcr.io/pause\n"),
        (
            "a.md",
            "```console\n$ kubectl run p --image=k8s.gcr.io/pause:3.9\n```\n",
        ),
        ("a.sh", "echo k8s.gcr.io/pause:3.9\n"),
        ("a.sh", "source = \"k8s.gcr.io/pause:3.9\"\n"),
        ("Makefile", "cat: k8s.gcr.io/pause:3.9\n"),
        ("a.sh", "source hack/pull.sh k8s.gcr.io/pause:3.9\n"),
    ] {
        assert_eq!(
            with_hit(path, text, &[], base_rule("URL or file path")),
            None,
            "{text}"
        );
    }
}

#[test]
fn proxy_paths_name_the_proxy() {
    let verdict = with_hit(
        "a.yaml",
        "image: harbor.example.com/k8s.gcr.io/pause:3.9\n",
        &[],
        base_rule("proxy path"),
    )
    .unwrap();
    assert_eq!(verdict.rule, Rule::ProxyPath);
    assert!(
        verdict.message.contains("harbor.example.com"),
        "{}",
        verdict.message
    );
}

#[test]
fn forms_the_catalogue_only_reports_keep_their_rule() {
    let verdict = with_hit(
        "a.yaml",
        "image: staging-k8s.gcr.io/pause:3.9\n",
        &[],
        base_rule("reported form"),
    )
    .unwrap();
    assert_eq!(
        (verdict.rule, verdict.applicability),
        (Rule::StagingRegistry, Applicability::DisplayOnly)
    );
    assert!(
        verdict
            .message
            .starts_with("staging-k8s.gcr.io is a staging registry")
    );
    assert_eq!(
        with_hit(
            "a.yaml",
            "image: k8s.gcr.io/pause:3.9\n",
            &[],
            base_rule("reported form")
        ),
        None
    );
}

#[test]
fn urls_images_and_registry_fields() {
    let url = with_hit(
        "a.sh",
        "curl -L https://k8s.gcr.io/v2/pause/tags/list\n",
        &[],
        base_rule("URL host"),
    )
    .unwrap();
    assert_eq!(url.applicability, Applicability::Unsafe);
    let image = with_hit(
        "a.yaml",
        "image: gcr.io/google_containers/pause:3.1\n",
        &[],
        base_rule("image"),
    )
    .unwrap();
    assert_eq!(
        (image.rule, image.applicability),
        (Rule::LegacyGcrProject, Applicability::Unsafe)
    );
    assert_eq!(
        with_hit("a.yaml", "registry: k8s.gcr.io\n", &[], base_rule("image")),
        None
    );
    let field = with_hit(
        "values.yaml",
        "registry: k8s.gcr.io\n",
        &[],
        base_rule("registry field"),
    )
    .unwrap();
    assert_eq!(
        field.message,
        "registry is set to the frozen registry k8s.gcr.io"
    );
    // A value that is exactly the host names a registry whatever its key; a sentence does not.
    let server = with_hit(
        "values.yaml",
        "server: k8s.gcr.io\n",
        &[],
        base_rule("registry field"),
    )
    .unwrap();
    assert_eq!(
        server.message,
        "server is set to the frozen registry k8s.gcr.io"
    );
    assert_eq!(
        with_hit(
            "values.yaml",
            "description: images live on k8s.gcr.io\n",
            &[],
            base_rule("registry field")
        ),
        None
    );
}

#[test]
fn whole_values_name_a_registry_whatever_the_key() {
    let claimed = |path: &str, text: &str| {
        with_hit(path, text, &[], base_rule("registry field")).map(|verdict| verdict.message)
    };
    // An env list's `value`, named by the `name` beside it.
    assert_eq!(
        claimed(
            "pod.yaml",
            "env:\n  - name: UPSTREAM\n    value: k8s.gcr.io\n"
        )
        .as_deref(),
        Some("UPSTREAM is set to the frozen registry k8s.gcr.io")
    );
    for (path, text) in [
        ("cc.yaml", "schema:\n  default: \"k8s.gcr.io/\"\n"),
        ("schema.json", "{\"default\": \"k8s.gcr.io\"}\n"),
        ("vars.toml", "default = 'k8s.gcr.io' # the registry\n"),
        ("images.env", "UPSTREAM=k8s.gcr.io\n"),
        // A Terraform variable's default and a module argument.
        (
            "variables.tf",
            "variable \"upstream\" {\n  default = \"k8s.gcr.io\"\n}\n",
        ),
        ("prod.tfvars", "image_source = \"k8s.gcr.io/\"\n"),
        // A document the parser cannot read keeps the rule from its line.
        ("broken.yaml", "a: [\nvalue: k8s.gcr.io\n"),
    ] {
        assert!(claimed(path, text).is_some(), "{path}: {text}");
    }
    for (path, text) in [
        // Items of a list of hosts, prose, comments and code are not data values.
        ("list.yaml", "hosts:\n  - k8s.gcr.io\n"),
        ("vars.toml", "description = \"k8s.gcr.io is frozen\"\n"),
        ("vars.toml", "# default = \"k8s.gcr.io\"\n"),
        ("main.tf", "  allowed = [\"k8s.gcr.io\", \"quay.io\"]\n"),
        (
            "main.tf",
            "  description = \"images come from k8s.gcr.io\"\n",
        ),
        ("images.env", "UPSTREAM=k8s.gcr.io;other\n"),
        ("run.sh", "UPSTREAM=k8s.gcr.io\n"),
        ("main.go", "upstream = \"k8s.gcr.io\"\n"),
    ] {
        assert_eq!(claimed(path, text), None, "{path}: {text}");
    }
    // Shell holds it as a value in code, quoted or not: an unsafe fix.
    let shell = with_hit(
        "run.sh",
        "UPSTREAM=k8s.gcr.io\n",
        &[],
        base_rule("value in code"),
    )
    .unwrap();
    assert_eq!(shell.applicability, Applicability::Unsafe);
}

#[test]
fn matched_names_keep_the_old_host() {
    for (path, text) in [
        ("np.yaml", "toFQDNs:\n  - matchName: k8s.gcr.io\n"),
        (
            "pod.yaml",
            "env:\n  - name: NO_PROXY\n    value: k8s.gcr.io\n",
        ),
        ("registries.conf", "[[registry]]\nprefix = \"k8s.gcr.io\"\n"),
        ("values.yaml", "allowedRegistry: k8s.gcr.io\n"),
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit(path, text, &[], |cx| {
            refinement("matched names")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, Applicability::DisplayOnly, "{text}");
        assert!(verdict.note.unwrap().contains("beside it"), "{text}");
    }
    // An image reference, and a registry to pull from, keep their fix.
    for text in [
        "allowedImage: k8s.gcr.io/pause:3.9\n",
        "upstream: k8s.gcr.io\n",
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit("values.yaml", text, &[], |cx| {
            refinement("matched names")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, Applicability::Safe, "{text}");
    }
}

#[test]
fn quoted_values_in_code_and_mentions() {
    let code = with_hit(
        "a.go",
        "if repo == \"k8s.gcr.io\" {\n",
        &[],
        base_rule("value in code"),
    )
    .unwrap();
    assert_eq!(code.applicability, Applicability::Unsafe);
    assert_eq!(
        with_hit(
            "a.md",
            "the \"k8s.gcr.io\" host\n",
            &[],
            base_rule("value in code")
        ),
        None
    );
    let mention = with_hit("a.md", "hosted on k8s.gcr.io\n", &[], base_rule("mention")).unwrap();
    assert_eq!(mention.rule, Rule::LegacyMention);
}

#[test]
fn patches_are_history() {
    let note = Some(History::Patch.note().to_string());
    for (path, text) in [
        ("fix.patch", "-image: k8s.gcr.io/pause:3.9\n"),
        ("a.md", "```diff\n-image: k8s.gcr.io/pause:3.9\n```\n"),
        ("a.md", "~~~ patch\n+image: k8s.gcr.io/pause:3.9\n~~~\n"),
        (
            "a.md",
            "```diff title=\"x\"\n image: k8s.gcr.io/pause:3.9\n```\n",
        ),
        ("a.md", "```{.diff}\n image: k8s.gcr.io/pause:3.9\n```\n"),
        // No info string, but the block's first line starts a patch.
        (
            "a.md",
            "```\ndiff --git a/x.yaml b/x.yaml\n-image: k8s.gcr.io/pause:3.9\n```\n",
        ),
        (
            "a.md",
            "```yaml\n\n--- a/x.yaml\n+++ b/x.yaml\n-image: k8s.gcr.io/pause:3.9\n```\n",
        ),
        (
            "a.md",
            "```\n@@ -1,2 +1,2 @@\n-image: k8s.gcr.io/pause:3.9\n```\n",
        ),
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit(path, text, &[], |cx| {
            refinement("history")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, Applicability::DisplayOnly, "{text}");
        assert_eq!(verdict.note, note, "{text}");
    }
    for text in [
        "```yaml\nimage: k8s.gcr.io/pause:3.9\n```\n",
        "```difference\nimage: k8s.gcr.io/pause:3.9\n```\n",
        "```diff\n```\nimage: k8s.gcr.io/pause:3.9\n",
        // A patch header further down is not the block's first line: a shell session.
        "```\n$ kubectl get pods\nimage: k8s.gcr.io/pause:3.9\n--- a/x\n```\n",
        "```\n```\n--- a/x\nimage: k8s.gcr.io/pause:3.9\n",
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit("a.md", text, &[], |cx| {
            refinement("history")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, Applicability::Safe, "{text}");
    }
}

/// What a cluster recorded: a metric sample's labels and an object's status get no fix, the
/// rest of an object read back from a cluster an unsafe one; a manifest, a Markdown transcript
/// and a PromQL query keep theirs.
#[test]
fn recorded_state_is_not_what_a_file_asks_for() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";
    let live = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  uid: 0c6d\n";
    let list = "apiVersion: v1\nkind: PodList\nmetadata: {}\nitems:\n- metadata:\n    name: p\n";
    let status = "status:\n  containerStatuses:\n  - image: k8s.gcr.io/pause:3.9\n";
    let cases = [
        (
            "testdata/cadvisor",
            "m{container=\"c\",image=\"k8s.gcr.io/pause:3.9\"} 1\n".to_string(),
            Applicability::DisplayOnly,
        ),
        ("testdata/pod.yaml", format!("{pod}{status}"), Applicability::DisplayOnly),
        (
            "testdata/pods.json",
            r#"{"apiVersion": "v1", "kind": "PodList", "items": [{"status": {"containerStatuses": [{"image": "k8s.gcr.io/pause:3.9"}]}}]}"#.to_string(),
            Applicability::DisplayOnly,
        ),
        (
            "testdata/pods.yaml",
            format!("{list}  status:\n    containerStatuses:\n    - image: k8s.gcr.io/pause:3.9\n"),
            Applicability::DisplayOnly,
        ),
        (
            "testdata/live.yaml",
            format!("{live}spec:\n  containers:\n  - image: k8s.gcr.io/pause:3.9\n"),
            Applicability::Unsafe,
        ),
        // Desired state, wherever a `status` sits.
        (
            "deploy/pod.yaml",
            format!("{pod}spec:\n  containers:\n  - image: k8s.gcr.io/pause:3.9\nstatus: {{}}\n"),
            Applicability::Safe,
        ),
        ("values.yaml", status.to_string(), Applicability::Safe),
        ("docs/debug.md", format!("```yaml\n{pod}{status}```\n"), Applicability::Safe),
        (
            "docs/debug.md",
            "```\nm{image=\"k8s.gcr.io/pause:3.9\"} 1\n```\n".to_string(),
            Applicability::Safe,
        ),
        (
            "alerts.yaml",
            "expr: count(m{image=~\"k8s.gcr.io/.*\"}) > 0\n".to_string(),
            Applicability::Safe,
        ),
    ];
    for (path, text, expected) in cases {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit(path, &text, &[], |cx| {
            refinement("recorded state")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, expected, "{path}: {text}");
        assert_eq!(
            verdict.note.is_some(),
            expected != Applicability::Safe,
            "{path}"
        );
    }
}

/// Test data is read by tests, which are program source: a safe fix becomes unsafe below a
/// `testdata` folder, in a golden file and in a test snapshot, and only there; a fix that was
/// already unsafe or withheld keeps its reason.
#[test]
fn test_data_fixes_are_unsafe() {
    let text = "image: k8s.gcr.io/pause:3.9\n";
    for (path, expected) in [
        (
            "pkg/config/testdata/strategic/001/expected.yaml",
            Applicability::Unsafe,
        ),
        ("testdata/pod.yaml", Applicability::Unsafe),
        ("pkg/render/pod.golden", Applicability::Unsafe),
        ("test/__snapshots__/pod.ts.snap", Applicability::Unsafe),
        (
            "test/integration/testdata/deploy/pod.yaml",
            Applicability::Unsafe,
        ),
        ("testdata.yaml", Applicability::Safe),
        ("deploy/testdata-old/pod.yaml", Applicability::Safe),
        ("test/fixtures/pod.yaml", Applicability::Safe),
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit(path, text, &[], |cx| {
            refinement("test data")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, expected, "{path}");
        assert_eq!(
            verdict.note.is_some(),
            expected != Applicability::Safe,
            "{path}"
        );
    }
    for applicability in [Applicability::Unsafe, Applicability::DisplayOnly] {
        let mut verdict = safe(Rule::LegacyHost);
        verdict.applicability = applicability;
        verdict.note = Some("earlier reason".into());
        with_hit("testdata/pod.yaml", text, &[], |cx| {
            refinement("test data")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, applicability);
        assert_eq!(verdict.note.as_deref(), Some("earlier reason"));
    }
}

#[test]
fn release_notes_are_history() {
    let source = SourceFile::new(
        RepoPath::new("docs/1.18-NOTES.md"),
        b"- The pause image is k8s.gcr.io/pause:3.2\n".to_vec(),
    )
    .with_origin(Origin {
        history: Some(History::Notes),
        ..Origin::default()
    });
    let mut verdict = safe(Rule::LegacyHost);
    with_source(source, &[], |cx| refinement("history")(cx, &mut verdict));
    assert_eq!(verdict.applicability, Applicability::DisplayOnly);
    assert_eq!(verdict.note, Some(History::Notes.note().to_string()));
}

#[test]
fn google_only_registry_commands_name_the_equivalent() {
    for (text, verb, equivalent) in [
        (
            "gcloud container images list-tags k8s.gcr.io/pause --limit=5\n",
            GcrVerb::ListTags,
            "crane ls registry.k8s.io/pause`",
        ),
        (
            "gcloud artifacts docker tags list us-central1-docker.pkg.dev/k8s-artifacts-prod/images/pause\n",
            GcrVerb::ListTags,
            "crane ls registry.k8s.io/pause`",
        ),
        (
            "gcloud container images list --repository=k8s.gcr.io\n",
            GcrVerb::ListImages,
            "crane ls registry.k8s.io/<image>`",
        ),
        (
            "gcloud beta container images describe k8s.gcr.io/pause:3.9 --format=json\n",
            GcrVerb::Describe,
            "crane manifest registry.k8s.io/pause:3.9`",
        ),
        (
            "gcloud container images add-tag gcr.io/google-containers/pause:3.1 gcr.io/x/pause:3.1\n",
            GcrVerb::Write,
            "image promoter",
        ),
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        let site = with_hit("a.sh", text, &[], |cx| {
            refinement("Google-only registry command")(cx, &mut verdict);
            cx.text.site.clone()
        });
        assert!(
            matches!(site, Some(LineSite::GoogleRegistryCommand { verb: found, .. }) if found == verb),
            "{text}: {site:?}"
        );
        assert_eq!(verdict.applicability, Applicability::DisplayOnly, "{text}");
        let note = verdict.note.unwrap();
        assert!(note.contains(equivalent), "{text}: {note}");
    }
    // Other gcloud commands, and images pulled on a later command of the line, keep their fix.
    for text in [
        "gcloud auth configure-docker && docker pull k8s.gcr.io/pause:3.9\n",
        "gcloud container images list-tags gcr.io/x/y | docker pull k8s.gcr.io/pause:3.9\n",
        "gcloud container clusters create c --image=k8s.gcr.io/pause:3.9\n",
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit("a.sh", text, &[], |cx| {
            refinement("Google-only registry command")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, Applicability::Safe, "{text}");
    }
}

#[test]
fn program_source_makes_safe_fixes_unsafe() {
    let mut verdict = safe(Rule::LegacyHost);
    with_hit("a.go", "x := \"k8s.gcr.io/pause:3.9\"\n", &[], |cx| {
        refinement("program source")(cx, &mut verdict)
    });
    assert_eq!(verdict.applicability, Applicability::Unsafe);
    let mut verdict = safe(Rule::LegacyHost);
    with_hit("a.yaml", "image: k8s.gcr.io/pause:3.9\n", &[], |cx| {
        refinement("program source")(cx, &mut verdict)
    });
    assert_eq!(verdict.applicability, Applicability::Safe);
}

#[test]
fn the_destination_on_the_line_withholds_the_fix() {
    let mut verdict = safe(Rule::LegacyHost);
    with_hit(
        "a.sh",
        "docker tag k8s.gcr.io/pause:3.9 registry.k8s.io/pause:3.9\n",
        &[],
        |cx| refinement("destination already on the line")(cx, &mut verdict),
    );
    assert_eq!(verdict.applicability, Applicability::DisplayOnly);
}

#[test]
fn the_kubelet_flag_says_it_is_deprecated_except_for_cri_dockerd() {
    let mut verdict = safe(Rule::LegacyHost);
    with_hit(
        "kubelet",
        "KUBELET_EXTRA_ARGS=--pod-infra-container-image=k8s.gcr.io/pause:3.6\n",
        &[],
        |cx| refinement("kubelet flag")(cx, &mut verdict),
    );
    assert!(verdict.note.unwrap().contains("deprecated"));
    let mut verdict = safe(Rule::LegacyHost);
    with_hit(
        "a.sh",
        "cri-dockerd --pod-infra-container-image=k8s.gcr.io/pause:3.6\n",
        &[],
        |cx| refinement("kubelet flag")(cx, &mut verdict),
    );
    assert_eq!(verdict.note, None);
}

#[test]
fn template_comparisons_withhold_the_fix() {
    let mut verdict = safe(Rule::LegacyHost);
    with_hit(
        "chart/templates/x.tpl",
        "{{ if eq .Values.registry \"k8s.gcr.io\" }}\n",
        &[],
        |cx| refinement("template comparison")(cx, &mut verdict),
    );
    assert_eq!(verdict.applicability, Applicability::DisplayOnly);
    // The bare host a template compares with gets no fix from the base rule, and says why.
    let verdict = with_hit(
        "chart/templates/x.tpl",
        "{{ if eq .Values.registry \"k8s.gcr.io\" }}\n",
        &[],
        base_rule("template comparison"),
    )
    .unwrap();
    assert_eq!(verdict.applicability, Applicability::DisplayOnly);
    assert_eq!(
        verdict.note.as_deref(),
        Some(super::refine::TEMPLATE_COMPARISON)
    );
}

#[test]
fn packaged_charts_are_never_rewritten() {
    let source = SourceFile::new(
        RepoPath::new("dep.tgz!dep/values.yaml"),
        b"image: k8s.gcr.io/pause:3.9\n".to_vec(),
    )
    .with_origin(Origin {
        packaged: Some(Packaged {
            dependency_prefix: Some("dep".into()),
        }),
        kustomization: None,
        history: None,
        sed_inputs: None,
        program_source_names: None,
    });
    let mut verdict = safe(Rule::LegacyHost);
    with_source(source, &[], |cx| {
        refinement("packaged chart")(cx, &mut verdict)
    });
    assert_eq!(verdict.applicability, Applicability::DisplayOnly);
    assert!(verdict.note.unwrap().contains("packaged dependency"));
}

#[test]
fn kubeadm_image_repository_flags_mention_coredns() {
    let mut verdict = safe(Rule::LegacyHost);
    with_hit(
        "init.sh",
        "kubeadm init --image-repository=k8s.gcr.io\n",
        &[],
        |cx| refinement("kubeadm --image-repository")(cx, &mut verdict),
    );
    assert!(verdict.note.unwrap().contains("/coredns"));
}

#[test]
fn configured_moves_name_their_own_destination_in_notes() {
    let moves = [Move {
        host: "registry.old.example.com".into(),
        path: Vec::new(),
        to: "registry.example.com".into(),
        safe: true,
    }];
    let mut verdict = safe(Rule::RegistryMove);
    verdict.note = Some("this line already names registry.k8s.io".into());
    with_hit(
        "a.yaml",
        "image: registry.old.example.com/app:1\n",
        &moves,
        |cx| refinement("configured move")(cx, &mut verdict),
    );
    assert_eq!(
        verdict.note.as_deref(),
        Some("this line already names registry.example.com")
    );
}

/// The table's lookup: both sides of the cut-off, and only the images the table covers.
#[test]
fn the_post_freeze_table_knows_tags_published_after_the_cut_off() {
    use super::post_freeze::published_after_freeze;
    assert_eq!(published_after_freeze("kube-apiserver", "v1.26.3"), None);
    assert_eq!(
        published_after_freeze("kube-apiserver", "v1.26.4"),
        Some("2023-04-12")
    );
    assert_eq!(
        published_after_freeze("kube-controller-manager", "v1.27.0"),
        Some("2023-04-11")
    );
    assert_eq!(
        published_after_freeze("kube-apiserver", "v1.27.0-rc.1"),
        None
    );
    assert_eq!(published_after_freeze("pause", "3.10"), None);
    assert_eq!(published_after_freeze("kube-apiserverx", "v1.27.2"), None);
}

/// A script's first line, a `sed` whose file holds `fixed` once regshift has fixed it.
fn sed_script(line: &str, fixed: &str) -> SourceFile {
    let input = SedInput {
        display: "etc/kubeadm.yaml".into(),
        fixed: fixed.as_bytes().into(),
    };
    SourceFile::new(RepoPath::new("build.sh"), format!("{line}\n").into_bytes()).with_origin(
        Origin {
            sed_inputs: Some(std::sync::Arc::new(SedInputs {
                by_line: [(0, vec![input])].into(),
            })),
            ..Origin::default()
        },
    )
}

#[test]
fn a_sed_pattern_moves_with_the_file_it_searches_once_that_file_is_fixed() {
    let decide = |line: &str, fixed: &str| {
        with_source(sed_script(line, fixed), &[], |cx| {
            let verdict = base_rule("text pattern")(cx).expect("a text pattern");
            (verdict.rule, verdict.applicability)
        })
    };
    let sed = r#"sed -i "s/k8s.gcr.io/mirror.local/g" etc/kubeadm.yaml"#;
    assert_eq!(
        decide(sed, "imageRepository: registry.k8s.io\n"),
        (Rule::LegacyHost, Applicability::Safe)
    );
    // The file keeps the old host somewhere (a mirror key): the pattern still matches it.
    let kept = "imageRepository: registry.k8s.io\n# k8s.gcr.io mirror\n";
    assert_eq!(decide(sed, kept).1, Applicability::DisplayOnly);
    // The file never names the new host: nothing says where the pattern should point.
    assert_eq!(decide(sed, "kind: Pod\n").1, Applicability::DisplayOnly);
    // A substitution that already writes the new host would do nothing once moved.
    let migrating = "sed -i 's/k8s.gcr.io/registry.k8s.io/' etc/kubeadm.yaml";
    assert_eq!(
        decide(migrating, "imageRepository: registry.k8s.io\n").1,
        Applicability::DisplayOnly
    );
    // The host on the replacement side is not what the pattern searches.
    let replacing = "sed -i 's/mirror.local/k8s.gcr.io/' etc/kubeadm.yaml";
    assert_eq!(
        decide(replacing, "imageRepository: registry.k8s.io\n").1,
        Applicability::DisplayOnly
    );
}
