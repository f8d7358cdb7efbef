use super::*;
use crate::detect::hosts::HostScanner;
use crate::path::RepoPath;

/// The mirror table as found line by line (the walk the header index replaced).
fn mirror_table_by_lines(
    analyzer: &TextAnalyzer,
    source: &SourceFile,
    offset: usize,
) -> Option<(usize, Range<usize>)> {
    let is_header = |index: usize| {
        source.bytes[source.line_range(index)]
            .trim_ascii_start()
            .starts_with(b"[")
    };
    let mut header = source.line_index(offset);
    let mut looked = 0;
    while !is_header(header) {
        looked += 1;
        if header == 0 || looked >= mirror::TABLE_LOOKBACK {
            return None;
        }
        header -= 1;
    }
    analyzer
        .mirror_header
        .is_match(&source.bytes[source.line_range(header)])
        .then_some(())?;
    let last = (header + 1..source.line_count().min(header + mirror::TABLE_LOOKBACK))
        .find(|&index| is_header(index))
        .map_or(source.line_count() - 1, |next| next - 1)
        .max(header);
    Some((
        header,
        source.line_range(header).start..source.line_range(last).end,
    ))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    #[test]
    fn mirror_tables_are_found_as_a_line_by_line_walk_finds_them(
        lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "[plugins.\"cri\".registry.mirrors.\"k8s.gcr.io\"]",
                "  [plugins.cri.registry.configs.'k8s.gcr.io'.auth]",
                "\t[other]",
                "endpoint = [\"https://k8s.gcr.io\"]",
                "x = 1 [k8s.gcr.io]",
                "",
                "\r",
                "k8s.gcr.io/pause",
            ]),
            1..260,
        )
    ) {
        let text = lines.join("\n");
        let source = SourceFile::new(RepoPath::new("config.toml"), text.clone().into_bytes());
        let layout = TextLayout::new(&source);
        let analyzer = TextAnalyzer::new();
        for offset in memchr::memmem::find_iter(text.as_bytes(), b"k8s.gcr.io") {
            proptest::prop_assert_eq!(
                mirror::mirror_table(&analyzer.mirror_header, &source, &layout, offset),
                mirror_table_by_lines(&analyzer, &source, offset),
                "offset {}", offset
            );
        }
    }
}

fn analyze(path: &str, text: &str) -> Vec<TextSite> {
    let source = SourceFile::new(RepoPath::new(path), text.as_bytes().to_vec());
    let layout = TextLayout::new(&source);
    let analyzer = TextAnalyzer::new();
    HostScanner::new()
        .scan(&source.bytes)
        .iter()
        .map(|hit| analyzer.analyze(&source, hit, &layout))
        .collect()
}

fn one(path: &str, text: &str) -> TextSite {
    let mut sites = analyze(path, text);
    assert_eq!(sites.len(), 1, "{text}");
    sites.remove(0)
}

#[test]
fn registry_fields_in_many_carriers() {
    for (path, text) in [
        ("Makefile", "REGISTRY ?= k8s.gcr.io\n"),
        ("vars.yml", "kube_image_repo: \"k8s.gcr.io\"\n"),
        ("main.tf", "  ingress_docker_registry = \"k8s.gcr.io\"\n"),
        ("init.sh", "kubeadm init --image-repository=k8s.gcr.io\n"),
        ("init.sh", "kubeadm init --image-repository k8s.gcr.io \\\n"),
        (
            "_helpers.tpl",
            "{{ default \"k8s.gcr.io\" .Values.global.imageRegistry }}\n",
        ),
        ("config.toml", "registry = 'k8s.gcr.io' # old\n"),
    ] {
        assert!(one(path, text).registry_field, "{path}: {text}");
    }
}

#[test]
fn prose_is_not_a_registry_field() {
    for (path, text) in [
        ("README.md", "Images are hosted on k8s.gcr.io today.\n"),
        ("notes.txt", "registry: k8s.gcr.io is frozen\n"),
    ] {
        assert!(!one(path, text).registry_field, "{path}: {text}");
    }
}

#[test]
fn carriers_are_named() {
    assert_eq!(
        one(
            "Dockerfile",
            "FROM --platform=$BUILDPLATFORM k8s.gcr.io/kustomize/kustomize:v4 AS k\n"
        )
        .site
        .as_ref()
        .map(ToString::to_string)
        .as_deref(),
        Some("FROM")
    );
    assert_eq!(
        one(
            "Dockerfile",
            "COPY --from=k8s.gcr.io/pause:3.9 /pause /pause\n"
        )
        .site
        .as_ref()
        .map(ToString::to_string)
        .as_deref(),
        Some("COPY --from")
    );
    let site = one(
        "10-kubelet.conf",
        "Environment=\"KUBELET_EXTRA_ARGS=--pod-infra-container-image=k8s.gcr.io/pause:3.6\"\n",
    );
    assert!(site.is_kubelet_sandbox_flag());
    assert_eq!(
        one(
            "config.toml",
            "  sandbox_image = \"k8s.gcr.io/pause:3.6\"\n"
        )
        .site
        .as_ref()
        .map(ToString::to_string)
        .as_deref(),
        Some("sandbox_image")
    );
    assert_eq!(
        one("pull.sh", "sudo crictl pull k8s.gcr.io/pause:3.9\n")
            .site
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("crictl pull")
    );
    assert_eq!(
        one(
            "pull.sh",
            "ctr -n k8s.io images pull k8s.gcr.io/pause:3.9\n"
        )
        .site
        .as_ref()
        .map(ToString::to_string)
        .as_deref(),
        Some("ctr pull")
    );
}

#[test]
fn helm_docs_value_tables() {
    let site = one(
        "README.md",
        "| controller.image.registry | string | `\"k8s.gcr.io\"` |  |\n",
    );
    assert!(site.registry_field);
    assert_eq!(
        site.site.as_ref().map(ToString::to_string).as_deref(),
        Some("table row controller.image.registry")
    );
    let site = one("README.md", "| note | string | `\"k8s.gcr.io\"` |  |\n");
    assert!(!site.registry_field);
    assert!(!one("README.md", "| x | see k8s.gcr.io here |\n").registry_field);
    let site = one(
        "README.md",
        "| `image.repository` | Image | `k8s.gcr.io/cluster-autoscaler` |\n",
    );
    assert!(!site.registry_field);
    assert_eq!(
        site.site.as_ref().map(ToString::to_string).as_deref(),
        Some("table row image.repository")
    );
}

#[test]
fn command_verbs_are_whole_words() {
    assert_eq!(
        one(
            "Makefile",
            "\tdocker build --pull -t staging-k8s.gcr.io/explorer:1 .\n"
        )
        .site
        .as_ref()
        .map(ToString::to_string)
        .as_deref(),
        Some("docker build")
    );
    assert_eq!(
        one(
            "a.md",
            "kubectl set image deploy/x controller=k8s.gcr.io/ingress-nginx/controller:v1\n"
        )
        .site
        .as_ref()
        .map(ToString::to_string)
        .as_deref(),
        Some("kubectl set")
    );
}

#[test]
fn go_template_actions() {
    let site = one(
        "chart/templates/_helpers.tpl",
        "{{- $registry := \"k8s.gcr.io\" -}}\n",
    );
    assert!(site.template_literal && !site.template_comparison);
    let site = one(
        "chart/templates/_helpers.tpl",
        "{{ printf \"%s/pause\" \"k8s.gcr.io\" }}\n",
    );
    assert!(site.template_literal);
    let site = one(
        "chart/templates/x.yaml",
        "{{- if eq .Values.registry \"k8s.gcr.io\" }}\n",
    );
    assert!(site.template_comparison);
    let site = one(
        "chart/templates/x.yaml",
        "{{ trimPrefix \"k8s.gcr.io/\" .Values.image }}\n",
    );
    assert!(site.template_comparison);
    let site = one(
        "chart/templates/x.yaml",
        "image: k8s.gcr.io/pause {{ .Values.tag }}\n",
    );
    assert!(!site.template_literal && !site.template_comparison);
}

#[test]
fn mirror_tables_and_namespaces() {
    let toml = "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"k8s.gcr.io\"]\n  endpoint = [\"https://mirror.example\", \"https://k8s.gcr.io\"]\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"k8s.gcr.io/pause:3.6\"\n";
    let sites = analyze("config.toml", toml);
    let mirrors: Vec<bool> = sites.iter().map(|site| site.mirror).collect();
    assert_eq!(mirrors, [true, true, false]);
    assert!(
        one(
            "etc/containerd/certs.d/k8s.gcr.io/hosts.toml",
            "server = \"https://k8s.gcr.io\"\n"
        )
        .mirror
    );
    assert!(one("setup.sh", "mkdir -p /etc/containerd/certs.d/k8s.gcr.io\n").mirror);

    // TOML embedded in a script or a YAML block scalar ends where the TOML does: at a
    // heredoc's terminator, at a line indented less than the header.
    let script = "cat <<EOF > /etc/containerd/config.toml\n[plugins.\"cri\".registry.mirrors.\"k8s.gcr.io\"]\n  endpoint = [\n    \"https://k8s.gcr.io\",\n  ]\n\n# k8s.gcr.io keeps its mirror\nEOF\ndocker pull k8s.gcr.io/pause:3.9\n";
    let mirrors: Vec<bool> = analyze("kind.sh", script)
        .iter()
        .map(|site| site.mirror)
        .collect();
    assert_eq!(mirrors, [true, true, true, false]);
    let kind = "containerdConfigPatches:\n  - |-\n    [plugins.\"cri\".registry.mirrors.\"docker.io\"]\n    endpoint = [\"http://127.0.0.1:5001\"]\nnodes:\n  - image: k8s.gcr.io/pause:3.9\n";
    assert!(!one("kind.yaml", kind).mirror);
}

#[test]
fn comments_by_kind() {
    assert!(one("a.sh", "echo hi # k8s.gcr.io/pause\n").in_comment);
    assert!(!one("a.sh", "echo \"#\" k8s.gcr.io/pause\n").in_comment);
    assert!(one("main.go", "x := 1 // k8s.gcr.io/pause\n").in_comment);
    assert!(!one("main.go", "url := \"https://k8s.gcr.io/v2\"\n").in_comment);
    assert!(!one("Dockerfile", "RUN echo hi # k8s.gcr.io/pause\n").in_comment);
    assert!(one("Dockerfile", "# FROM k8s.gcr.io/pause\n").in_comment);
}

#[test]
fn markdown_blocks() {
    let text = "Use `k8s.gcr.io/pause`.\n\n```shell\ndocker pull k8s.gcr.io/pause:3.9\n```\n\nhosted on k8s.gcr.io\n";
    let sites = analyze("README.md", text);
    let details: Vec<_> = sites
        .iter()
        .map(|site| site.site.clone().unwrap().to_string())
        .collect();
    assert_eq!(details, ["inline code", "docker pull", "text"]);
}

#[test]
fn whole_values_of_assignments() {
    for (path, text) in [
        (".env", "UPSTREAM=k8s.gcr.io\n"),
        (".env", "UPSTREAM=k8s.gcr.io/ # the registry\n"),
        ("vars.toml", "default = \"k8s.gcr.io\"\n"),
        ("vars.toml", "example = 'k8s.gcr.io/'\n"),
        ("run.sh", "export UPSTREAM=\"k8s.gcr.io\"\n"),
    ] {
        assert!(one(path, text).whole_value, "{path}: {text}");
    }
    for (path, text) in [
        (".env", "UPSTREAM=k8s.gcr.io;next\n"),
        (".env", "NOTE=k8s.gcr.io is frozen\n"),
        ("vars.toml", "hosts = [\"k8s.gcr.io\"]\n"),
        ("vars.toml", "default = \"k8s.gcr.io'\n"),
        ("run.sh", "docker pull k8s.gcr.io\n"),
    ] {
        assert!(!one(path, text).whole_value, "{path}: {text}");
    }
}
