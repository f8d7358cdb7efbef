//! Classification tests: one file in, the rule, applicability and position of every finding out.

use super::*;
use crate::finding::Applicability;
use crate::path::RepoPath;

/// `line:column rule applicability matched` for every finding.
fn findings(path: &str, text: &str) -> Vec<String> {
    let source = SourceFile::new(RepoPath::new(path), text.as_bytes().to_vec());
    Detector::new()
        .detect(&source, &RuleFilter::default())
        .findings
        .iter()
        .map(|finding| {
            format!(
                "{}:{} {} {} {}",
                finding.location.line,
                finding.location.column,
                finding.rule,
                finding.applicability().as_str(),
                finding.matched
            )
        })
        .collect()
}

fn detect(path: &str, text: &str) -> Detection {
    let source = SourceFile::new(RepoPath::new(path), text.as_bytes().to_vec());
    Detector::new().detect(&source, &RuleFilter::default())
}

#[test]
fn manifest_images_in_every_scalar_style() {
    let text = r#"apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers: [{name: wait, image: "k8s.gcr.io/busybox:1.27"}]
          containers:
          - name: run
            image: &img 'k8s.gcr.io/e2e-test-images/agnhost:2.39'
            args:
            - |
              crictl pull k8s.gcr.io/pause:3.9
          - name: again
            image: *img
"#;
    assert_eq!(
        findings("cron.yaml", text),
        [
            "9:49 legacy-host safe k8s.gcr.io",
            "12:26 legacy-host safe k8s.gcr.io",
            "15:27 legacy-host safe k8s.gcr.io",
        ]
    );
    let detection = detect("cron.yaml", text);
    assert_eq!(
        detection.findings[0].context,
        "manifest: CronJob/nightly spec.jobTemplate.spec.template.spec.initContainers[0].image"
    );
    assert_eq!(detection.findings[0].reference, "k8s.gcr.io/busybox:1.27");
}

#[test]
fn lookalikes_are_never_reported() {
    let text = "a: k8s.gcr.io.mirror.example.net/pause\nb: notk8s.gcr.io/pause\nc: https://example.com/k8s.gcr.io-notes\nd: gcr.io/google-samples/hello-app:1.0\n";
    assert!(findings("a.yaml", text).is_empty());
}

#[test]
fn every_host_form() {
    let text = "\
a: eu.gcr.io/k8s-artifacts-prod/pause:3.9
b: us-central1-docker.pkg.dev/k8s-artifacts-prod/images/pause:3.9
c: gcr.io/google_containers/pause-amd64:3.0
d: staging-k8s.gcr.io/pause:3.9
e: gcr.io/k8s-staging-ingress-nginx/controller:v1
f: harbor.example.com/k8s.gcr.io/pause:3.9
g: K8S.GCR.IO/pause:3.9
";
    assert_eq!(
        findings("x.yaml", text),
        [
            "1:4 legacy-backend safe eu.gcr.io/k8s-artifacts-prod",
            "2:4 legacy-backend safe us-central1-docker.pkg.dev/k8s-artifacts-prod/images",
            "3:4 legacy-gcr-project unsafe gcr.io/google_containers",
            "4:4 staging-registry none staging-k8s.gcr.io",
            "5:4 staging-registry none gcr.io/k8s-staging-ingress-nginx",
            "6:23 proxy-path none k8s.gcr.io",
            "7:4 legacy-host safe K8S.GCR.IO",
        ]
    );
}

#[test]
fn bare_hosts_are_fixable_only_as_whole_values() {
    let text = "\
image:
  registry: k8s.gcr.io
  repository: ingress-nginx/controller
global:
  imageRegistry: \"k8s.gcr.io\"
description: images live on k8s.gcr.io
server: k8s.gcr.io
hosts: [k8s.gcr.io]
";
    assert_eq!(
        findings("values.yaml", text),
        [
            "2:13 legacy-host safe k8s.gcr.io",
            "5:19 legacy-host safe k8s.gcr.io",
            "6:29 legacy-mention none k8s.gcr.io",
            "7:9 legacy-host safe k8s.gcr.io",
            "8:9 legacy-mention none k8s.gcr.io",
        ]
    );
}

#[test]
fn references_in_comments_are_still_references() {
    let text = "# image: k8s.gcr.io/pause:3.9\n# hosted on k8s.gcr.io\napiVersion: v1\nkind: Pod\n";
    assert_eq!(
        findings("pod.yaml", text),
        [
            "1:10 legacy-host safe k8s.gcr.io",
            "2:13 legacy-mention none k8s.gcr.io",
        ]
    );
}

#[test]
fn program_source_gets_unsafe_fixes() {
    let text = "\tImage: \"k8s.gcr.io/e2e-test-images/resource-consumer:1.9\",\n";
    assert_eq!(
        findings("test/e2e_test.go", text),
        ["1:10 legacy-host unsafe k8s.gcr.io"]
    );
}

#[test]
fn lines_that_name_the_new_host_get_no_fix() {
    let go = "if repo == \"k8s.gcr.io\" || repo == \"registry.k8s.io\" {\n";
    assert_eq!(findings("a.go", go), ["1:13 legacy-host none k8s.gcr.io"]);
    let shell = "docker tag k8s.gcr.io/pause:3.9 registry.k8s.io/pause:3.9\n";
    assert_eq!(
        findings("a.sh", shell),
        ["1:12 legacy-host none k8s.gcr.io"]
    );
}

#[test]
fn url_and_file_path_segments_get_no_fix() {
    let text = "See https://github.com/kubernetes/k8s.io/tree/main/k8s.gcr.io and k8s.gcr.io/images/k8s-staging-dns/images.yaml\n";
    assert_eq!(
        findings("RELEASE.md", text),
        [
            "1:52 legacy-mention none k8s.gcr.io",
            "1:67 legacy-mention none k8s.gcr.io"
        ]
    );
}

#[test]
fn a_folder_of_kubernetes_k8s_io_is_named_in_the_note() {
    let note_of = |text: &str| {
        let detection = detect("RELEASE.md", text);
        assert_eq!(detection.findings.len(), 1, "{text}");
        detection.findings[0].note.clone().unwrap()
    };
    for text in [
        "See [the manifests](https://github.com/kubernetes/k8s.io/tree/main/k8s.gcr.io).\n",
        "<https://github.com/kubernetes/k8s.io/blob/HEAD/k8s.gcr.io/images/k8s-staging-dns/images.yaml>\n",
        "https://raw.githubusercontent.com/kubernetes/k8s.io/main/k8s.gcr.io/README.md\n",
        "- edit the file /k8s.gcr.io/images/k8s-staging-ingress-nginx/images.yaml\n",
    ] {
        let note = note_of(text);
        assert!(note.contains("renamed registry.k8s.io/"), "{text}: {note}");
        assert!(note.starts_with("no automatic fix"), "{text}: {note}");
    }
    for text in [
        "https://github.com/example/mirror/tree/main/k8s.gcr.io/pause\n",
        "https://github.com/kubernetes/k8s.io/issues/k8s.gcr.io\n",
        "cp -r cache/k8s.gcr.io/pause backup/\n",
    ] {
        let note = note_of(text);
        assert!(
            note.contains("must keep naming the folder"),
            "{text}: {note}"
        );
    }
}

#[test]
fn text_carriers() {
    assert_eq!(
        findings(
            "Dockerfile",
            "FROM --platform=$BUILDPLATFORM k8s.gcr.io/kustomize/kustomize:v4.5.5 AS kustomize\nCOPY --from=k8s.gcr.io/pause:3.9 /pause /pause\n"
        ),
        [
            "1:32 legacy-host safe k8s.gcr.io",
            "2:13 legacy-host safe k8s.gcr.io"
        ]
    );
    assert_eq!(
        findings(
            "Makefile",
            "REGISTRY ?= staging-k8s.gcr.io\nBASE ?= k8s.gcr.io/build-image/debian-base:v2\n"
        ),
        [
            "1:13 staging-registry none staging-k8s.gcr.io",
            "2:9 legacy-host safe k8s.gcr.io"
        ]
    );
    assert_eq!(
        findings(
            "config.toml",
            "[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"k8s.gcr.io/pause:3.6\"\n"
        ),
        ["2:20 legacy-host safe k8s.gcr.io"]
    );
    assert_eq!(
        findings("init.sh", "kubeadm init --image-repository=k8s.gcr.io\n"),
        ["1:33 legacy-host safe k8s.gcr.io"]
    );
}

#[test]
fn kubelet_flag_carries_the_deprecation_note() {
    let detection = detect(
        "kubelet.service.d/10-pause.conf",
        "[Service]\nEnvironment=\"KUBELET_EXTRA_ARGS=--pod-infra-container-image=k8s.gcr.io/pause:3.6\"\n",
    );
    let finding = &detection.findings[0];
    assert_eq!(finding.applicability(), Applicability::Safe);
    assert!(finding.note.as_deref().unwrap().contains("deprecated"));

    let detection = detect(
        "cri-docker.service",
        "ExecStart=/usr/bin/cri-dockerd --pod-infra-container-image=k8s.gcr.io/pause:3.9\n",
    );
    assert_eq!(detection.findings[0].note, None);
}

#[test]
fn broken_yaml_still_reports_and_says_so() {
    let text =
        "image: k8s.gcr.io/one:1\n---\nbad: [k8s.gcr.io/two:2\n---\nimage: k8s.gcr.io/three:3\n";
    let detection = detect("broken.yaml", text);
    assert_eq!(detection.findings.len(), 3);
    assert!(
        detection
            .findings
            .iter()
            .all(|f| f.applicability() == Applicability::Safe)
    );
    assert_eq!(detection.findings[1].context, "yaml");
    assert_eq!(detection.notes.len(), 1);
    assert!(
        detection.notes[0].starts_with("3:6: does not parse as YAML"),
        "{:?}",
        detection.notes
    );
}

#[test]
fn escaped_scalars_are_reported_without_a_fix() {
    let detection = detect("a.yaml", "image: \"k8s\\x2egcr.io/pause:3.9\"\n");
    assert_eq!(detection.findings.len(), 1);
    let finding = &detection.findings[0];
    assert_eq!(finding.rule, Rule::LegacyHost);
    assert_eq!(finding.applicability(), Applicability::DisplayOnly);
    assert_eq!(finding.matched, "\"k8s\\x2egcr.io/pause:3.9\"");
}

#[test]
fn suppressions_and_unused_markers() {
    let text = "\
a: k8s.gcr.io/pause:1 # regshift:ignore
# regshift:ignore-next-line
b: k8s.gcr.io/pause:2
c: k8s.gcr.io/pause:3 # regshift:ignore[proxy-path]
d: nothing here # regshift:ignore
";
    let detection = detect("a.yaml", text);
    assert_eq!(detection.suppressed, 2);
    let summary: Vec<_> = detection
        .findings
        .iter()
        .map(|f| format!("{}:{} {}", f.location.line, f.location.column, f.rule))
        .collect();
    assert_eq!(
        summary,
        [
            "4:4 legacy-host",
            "4:25 unused-suppression",
            "5:19 unused-suppression"
        ]
    );
}

#[test]
fn file_suppression() {
    let text = "# regshift:ignore-file\na: k8s.gcr.io/pause:1\nb: k8s.gcr.io/pause:2\n";
    let detection = detect("a.yaml", text);
    assert!(detection.findings.is_empty());
    assert_eq!(detection.suppressed, 2);
}

#[test]
fn rule_filter_drops_rules() {
    let source = SourceFile::new(
        RepoPath::new("a.md"),
        b"hosted on k8s.gcr.io, pull k8s.gcr.io/pause\n".to_vec(),
    );
    let detection = Detector::new().detect(&source, &RuleFilter::ignoring([Rule::LegacyMention]));
    assert_eq!(detection.findings.len(), 1);
    assert_eq!(detection.findings[0].rule, Rule::LegacyHost);
}

#[test]
fn crlf_bom_and_multibyte_text() {
    let text = "\u{feff}# ünïcödé ✓\r\napiVersion: v1\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - name: ✓\r\n    image: \"k8s.gcr.io/pause:3.9\"\r\n";
    assert_eq!(
        findings("pod.yaml", text),
        ["7:13 legacy-host safe k8s.gcr.io"]
    );
    let detection = detect("pod.yaml", text);
    assert_eq!(
        detection.findings[0].context,
        "manifest: Pod spec.containers[0].image"
    );
    assert_eq!(
        detection.findings[0].excerpt.text,
        "    image: \"k8s.gcr.io/pause:3.9\""
    );
}

#[test]
fn json_manifests() {
    let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"p\"},\n  \"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"k8s.gcr.io/pause:3.9\"}]}\n}\n";
    let detection = detect("pod.json", text);
    assert_eq!(detection.findings.len(), 1);
    assert_eq!(
        detection.findings[0].context,
        "manifest: Pod/p spec.containers[0].image"
    );
    assert_eq!(detection.findings[0].applicability(), Applicability::Safe);
}

#[test]
fn helm_template_defaults() {
    let text = "image: \"{{ .Values.image.registry | default \"k8s.gcr.io\" }}/pause:3.9\"\n{{- define \"app.registry\" -}}{{ default \"k8s.gcr.io/\" .Values.global.imageRegistry }}{{- end -}}\n";
    assert_eq!(
        findings("chart/templates/deploy.yaml", text),
        [
            "1:46 legacy-host safe k8s.gcr.io",
            "2:42 legacy-host safe k8s.gcr.io"
        ]
    );
}

#[test]
fn files_without_needles_cost_nothing() {
    let detection = detect("a.yaml", "image: registry.k8s.io/pause:3.9\n");
    assert!(detection.findings.is_empty());
    assert!(detection.notes.is_empty());
}

#[test]
fn mirror_keys_are_never_rewritten() {
    let k3s = "mirrors:\n  k8s.gcr.io:\n    endpoint:\n      - \"https://k8s.gcr.io\"\n";
    assert_eq!(
        findings("registries.yaml", k3s),
        [
            "2:3 mirror-key none k8s.gcr.io",
            "4:18 mirror-key none k8s.gcr.io"
        ]
    );
    let containerd = "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"k8s.gcr.io\"]\n  endpoint = [\"https://mirror.example\"]\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"k8s.gcr.io/pause:3.6\"\n";
    assert_eq!(
        findings("config.toml", containerd),
        [
            "1:56 mirror-key none k8s.gcr.io",
            "4:20 legacy-host safe k8s.gcr.io"
        ]
    );
    // kind's containerdConfigPatches: TOML inside a YAML block scalar.
    let kind = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\ncontainerdConfigPatches:\n- |-\n  [plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"k8s.gcr.io\"]\n    endpoint = [\"http://kind-registry:5000\"]\n";
    assert_eq!(
        findings("kind.yaml", kind),
        ["5:58 mirror-key none k8s.gcr.io"]
    );
    assert_eq!(
        findings(
            "etc/containerd/certs.d/k8s.gcr.io/hosts.toml",
            "server = \"https://k8s.gcr.io\"\n"
        ),
        ["1:19 mirror-key none k8s.gcr.io"]
    );
    // talosctl's --registry-mirror maps a registry to its endpoint in one word.
    let talos = "talosctl cluster create --registry-mirror k8s.gcr.io=http://10.5.0.1:5001\n";
    assert_eq!(
        findings("create.sh", talos),
        ["1:43 mirror-key none k8s.gcr.io"]
    );
    assert_eq!(
        findings(
            "README.md",
            "  --registry-mirror k8s.gcr.io=https://mirror.example \\\n"
        ),
        ["1:21 mirror-key none k8s.gcr.io"]
    );
}

#[test]
fn policies_keep_their_hosts() {
    let text = "apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sDisallowedRepos\nmetadata: {name: d}\nspec: {parameters: {repos: [\"k8s.gcr.io/\"]}}\n---\napiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata: {name: a}\nspec: {parameters: {repos: [\"k8s.gcr.io/\", \"ghcr.io/x/\"]}}\n";
    let detection = detect("policies.yaml", text);
    let summary: Vec<_> = detection
        .findings
        .iter()
        .map(|f| {
            (
                f.rule,
                f.applicability(),
                f.note.as_deref().unwrap().contains("deny-list"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Rule::PolicyList, Applicability::DisplayOnly, true),
            (Rule::PolicyList, Applicability::DisplayOnly, false)
        ]
    );
}

// See: the helm/charts run (issue 3): stable/nginx-ingress rendered
// us.gcr.io/k8s-artifacts-prod/ingress-nginx/controller from two keys and went unreported.
#[test]
fn split_backend_references_are_found_and_fixed_on_both_keys() {
    let text = "controller:\n  image:\n    registry: us.gcr.io\n    repository: k8s-artifacts-prod/ingress-nginx/controller\n";
    let detection = detect("values.yaml", text);
    assert_eq!(detection.findings.len(), 1);
    let finding = &detection.findings[0];
    assert_eq!(finding.rule, Rule::LegacyBackend);
    assert_eq!(finding.applicability(), Applicability::Safe);
    assert_eq!((finding.location.line, finding.location.column), (3, 15));
    assert_eq!(finding.fix.as_ref().unwrap().edits().len(), 2);
}

// See: the kubespray and containerd runs (issue 4): a quoted bare host in code is a value
// the code uses, not prose.
#[test]
fn quoted_bare_hosts_in_code_are_unsafe_references() {
    assert_eq!(
        findings(
            "offline.sh",
            "if [ \"${FIRST_PART}\" = \"k8s.gcr.io\" ] ||\n"
        ),
        ["1:25 legacy-host unsafe k8s.gcr.io"]
    );
    assert_eq!(
        findings("image_test.go", "\tsource   = \"k8s.gcr.io\"\n"),
        ["1:14 legacy-host unsafe k8s.gcr.io"]
    );
    assert_eq!(
        findings("notes.sh", "echo images moved from k8s.gcr.io\n"),
        ["1:24 legacy-mention none k8s.gcr.io"]
    );
}

/// A finding's edits are sorted when it is built: kubeadm's CoreDNS insertion under a `dns:`
/// that stands above `imageRepository` comes first. SARIF fixes and editors take the edits as
/// they are. Found by the fuzz replay runner (fixtures/fuzz/crash-kubeadm-dns-above-image-repository).
#[test]
fn kubeadm_edits_are_sorted_when_dns_stands_above_the_repository() {
    let text = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\ndns:\n  imageTag: v1.8.6\nimageRepository: k8s.gcr.io\n";
    let detection = detect("kubeadm.yaml", text);
    let edits = detection.findings[0].fix.as_ref().unwrap().edits();
    assert_eq!(edits.len(), 2, "{edits:?}");
    assert!(edits[0].range.start < edits[1].range.start, "{edits:?}");
    assert_eq!(
        edits[0].replacement,
        "imageRepository: registry.k8s.io/coredns\n  "
    );
}

/// Host swaps inside one-line values and comments of documents the line reader read, and
/// inside block scalars of documents that parsed, are safe (the fix guard does not read those
/// documents again); kubeadm's insertion, keys and flow collections the parser read (over
/// several lines) are not.
#[test]
fn safe_edits_are_swaps_in_values_comments_and_block_scalars() {
    let text = "\
apiVersion: v1
kind: Pod
spec:
  containers:
  - image: k8s.gcr.io/pause:3.9 # was k8s.gcr.io/pause:3.1
---
k8s.gcr.io/pause: mirror
script: |
  docker pull k8s.gcr.io/pause:3.9
---
flow: {image: k8s.gcr.io/pause:3.9,
  name: multi-line}
";
    let detection = detect("pod.yaml", text);
    let safe: Vec<&str> = detection
        .safe_edits
        .iter()
        .map(|range| &text[range.start..range.start + 20])
        .collect();
    assert_eq!(
        safe,
        [
            "k8s.gcr.io/pause:3.9",
            "k8s.gcr.io/pause:3.1",
            "k8s.gcr.io/pause:3.9"
        ]
    );
    let kubeadm = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nimageRepository: k8s.gcr.io\n";
    assert!(detect("kubeadm.yaml", kubeadm).safe_edits.is_empty());
}

/// One stretch between document markers can hold a document the parser finished and, after
/// it, one it could not (recovery): a block scalar edit in the finished one is not safe, since
/// the guard counts the stretch's failures. Found by the fuzz replay runner
/// (fixtures/fuzz/crash-safe-edit-in-a-stretch-that-fails-later).
#[test]
fn block_scalar_edits_are_not_safe_when_a_document_failed() {
    let text = "...\n\n  content: |\n    ARGS=--pod-infra-container-image=k8s.gcr.io/pause:3.6\nruncmd:\n- a = b\nc d\n";
    let detection = detect("app.yaml", text);
    assert_ne!(detection.yaml_failures, Some(0), "{detection:?}");
    assert!(
        detection.safe_edits.is_empty(),
        "{:?}",
        detection.safe_edits
    );
}

/// Issue 17: a tag the table lists as published after the freeze, on k8s.gcr.io or a gcr.io
/// backend that froze with it, is post-freeze-tag with legacy-host's fix; everything else
/// keeps its rule.
#[test]
fn post_freeze_tags_replace_the_frozen_forms_for_the_tags_the_table_lists() {
    let text = "\
before: k8s.gcr.io/kube-apiserver:v1.26.3
after: k8s.gcr.io/kube-apiserver:v1.27.2
patch: K8S.GCR.IO/kube-proxy:v1.26.4
digest: k8s.gcr.io/kube-apiserver@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
both: k8s.gcr.io/kube-scheduler:v1.28.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
prerelease: k8s.gcr.io/kube-apiserver:v1.28.0-rc.1
unknown: k8s.gcr.io/pause:3.10
subpath: k8s.gcr.io/kubernetes/kube-apiserver:v1.27.2
templated: k8s.gcr.io/kube-apiserver:{{ .Values.tag }}
backend: us.gcr.io/k8s-artifacts-prod/conformance:v1.30.0
artifact-registry: us-central1-docker.pkg.dev/k8s-artifacts-prod/images/kube-proxy:v1.27.3
project: gcr.io/google-containers/kube-apiserver:v1.27.2
url: https://k8s.gcr.io/v2/kube-apiserver/manifests/v1.27.2
";
    assert_eq!(
        findings("images.yaml", text),
        [
            "1:9 legacy-host safe k8s.gcr.io",
            "2:8 post-freeze-tag safe k8s.gcr.io",
            "3:8 post-freeze-tag safe K8S.GCR.IO",
            "4:9 legacy-host safe k8s.gcr.io",
            "5:7 post-freeze-tag safe k8s.gcr.io",
            "6:13 legacy-host safe k8s.gcr.io",
            "7:10 legacy-host safe k8s.gcr.io",
            "8:10 legacy-host safe k8s.gcr.io",
            "9:12 legacy-host safe k8s.gcr.io",
            "10:10 post-freeze-tag safe us.gcr.io/k8s-artifacts-prod",
            "11:20 legacy-backend safe us-central1-docker.pkg.dev/k8s-artifacts-prod/images",
            "12:10 legacy-gcr-project unsafe gcr.io/google-containers",
            "13:14 legacy-host unsafe k8s.gcr.io",
        ]
    );
    let detection = detect("images.yaml", text);
    let backend = &detection.findings[9];
    assert_eq!(
        backend.message,
        "conformance:v1.30.0 was published on 2024-04-17, after k8s.gcr.io froze (2023-04-03): it was never pushed to us.gcr.io/k8s-artifacts-prod, a backend that froze with k8s.gcr.io"
    );
}

/// A fix withheld for legacy-host stays withheld: only the rule and the message change.
#[test]
fn post_freeze_tags_keep_the_fix_they_replace() {
    assert_eq!(
        findings(
            "bump.patch",
            "-image: registry.k8s.io/kube-apiserver:v1.27.1\n+image: k8s.gcr.io/kube-apiserver:v1.27.2\n"
        ),
        ["2:9 post-freeze-tag none k8s.gcr.io"]
    );
    assert_eq!(
        findings(
            "main.go",
            "const image = \"k8s.gcr.io/kube-apiserver:v1.27.2\"\n"
        ),
        ["1:16 post-freeze-tag unsafe k8s.gcr.io"]
    );
}
