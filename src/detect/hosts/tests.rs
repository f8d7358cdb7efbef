use super::*;

fn scan(text: &str) -> Vec<(HostForm, String, Position, Shape, String)> {
    HostScanner::new()
        .scan(text.as_bytes())
        .into_iter()
        .map(|hit| {
            (
                hit.form,
                text[hit.range.clone()].to_string(),
                hit.position,
                hit.shape,
                text[hit.reference.clone()].to_string(),
            )
        })
        .collect()
}

fn one(text: &str) -> (HostForm, String, Position, Shape, String) {
    let mut hits = scan(text);
    assert_eq!(hits.len(), 1, "{text}: {hits:?}");
    hits.remove(0)
}

#[test]
fn image_reference_in_registry_position() {
    let (form, matched, position, shape, reference) = one("    image: k8s.gcr.io/busybox:1.27\n");
    assert_eq!(form, HostForm::Builtin(Rule::LegacyHost));
    assert_eq!(matched, "k8s.gcr.io");
    assert_eq!(position, Position::Registry);
    assert_eq!(shape, Shape::Image);
    assert_eq!(reference, "k8s.gcr.io/busybox:1.27");
}

#[test]
fn digest_and_tag_are_part_of_the_reference() {
    let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let text = format!("\"k8s.gcr.io/ingress-nginx/controller:v1.2.1@{digest}\"");
    assert_eq!(
        one(&text).4,
        format!("k8s.gcr.io/ingress-nginx/controller:v1.2.1@{digest}")
    );
}

#[test]
fn lookalikes_are_not_the_legacy_host() {
    for text in [
        "k8s.gcr.io.mirror.example.net/pause",
        "notk8s.gcr.io/pause",
        "https://example.com/k8s.gcr.io-notes",
        "FOO_k8s.gcr.io",
        "mirror.gcr.io/library/nginx",
        "gcr.io/google-samples/hello-app:1.0",
        "us.gcr.io/other-project/x",
        "asia-k8s.gcr.io/pause",
    ] {
        assert!(scan(text).is_empty(), "{text}: {:?}", scan(text));
    }
}

#[test]
fn staging_forms() {
    assert_eq!(
        one("staging-k8s.gcr.io/pause").0,
        HostForm::Builtin(Rule::StagingRegistry)
    );
    let (form, matched, ..) = one("gcr.io/k8s-staging-ingress-nginx/controller:v1");
    assert_eq!(form, HostForm::Builtin(Rule::StagingRegistry));
    assert_eq!(matched, "gcr.io/k8s-staging-ingress-nginx");
    let (form, matched, ..) = one("us-central1-docker.pkg.dev/k8s-staging-images/dns/x:1");
    assert_eq!(form, HostForm::Builtin(Rule::StagingRegistry));
    assert_eq!(matched, "us-central1-docker.pkg.dev/k8s-staging-images");
}

#[test]
fn backend_and_project_prefixes() {
    let (form, matched, _, shape, _) = one("eu.gcr.io/k8s-artifacts-prod/pause:3.9");
    assert_eq!(
        (form, matched.as_str(), shape),
        (
            HostForm::Builtin(Rule::LegacyBackend),
            "eu.gcr.io/k8s-artifacts-prod",
            Shape::Image
        )
    );
    let (form, matched, ..) =
        one("europe-west9-docker.pkg.dev/k8s-artifacts-prod/images/pause:3.9");
    assert_eq!(form, HostForm::Builtin(Rule::LegacyBackend));
    assert_eq!(
        matched,
        "europe-west9-docker.pkg.dev/k8s-artifacts-prod/images"
    );
    let (form, matched, ..) = one("gcr.io/google_containers/pause-amd64:3.0");
    assert_eq!(
        (form, matched.as_str()),
        (
            HostForm::Builtin(Rule::LegacyGcrProject),
            "gcr.io/google_containers"
        )
    );
    assert_eq!(
        one("GCR.IO/Google-Containers/pause").0,
        HostForm::Builtin(Rule::LegacyGcrProject)
    );
}

#[test]
fn uppercase_host_is_the_legacy_host() {
    assert_eq!(one("K8S.GCR.IO/pause:3.9").1, "K8S.GCR.IO");
}

#[test]
fn shell_default_expansion() {
    let (form, matched, position, shape, _) = one("${REGISTRY:-k8s.gcr.io}/pause");
    assert_eq!(form, HostForm::Builtin(Rule::LegacyHost));
    assert_eq!(matched, "k8s.gcr.io");
    assert_eq!(position, Position::Registry);
    assert_eq!(
        shape,
        Shape::BareHost {
            trailing_slash: false
        }
    );
}

#[test]
fn end_of_sentence_dot_is_not_part_of_the_host() {
    let (_, matched, _, shape, _) = one("images moved away from k8s.gcr.io.");
    assert_eq!(matched, "k8s.gcr.io");
    assert_eq!(
        shape,
        Shape::BareHost {
            trailing_slash: false
        }
    );
    assert_eq!(one("docker pull k8s.gcr.io/pause.").4, "k8s.gcr.io/pause");
}

#[test]
fn proxy_paths_and_path_segments() {
    let (_, _, position, _, reference) = one("image: harbor.example.com/k8s.gcr.io/pause:3.9");
    assert_eq!(position, Position::ProxyPath);
    assert_eq!(reference, "harbor.example.com/k8s.gcr.io/pause:3.9");
    assert_eq!(
        one("localhost:5000/k8s.gcr.io/pause").2,
        Position::ProxyPath
    );
    assert_eq!(
        one("{{ .Values.proxy }}/k8s.gcr.io/pause").2,
        Position::ProxyPath
    );
    assert_eq!(
        one("https://github.com/kubernetes/k8s.io/tree/main/k8s.gcr.io").2,
        Position::PathSegment
    );
    assert_eq!(
        one("k8s.gcr.io/images/k8s-staging-dns/images.yaml").2,
        Position::PathSegment
    );
    assert_eq!(one("k8s.gcr.io/pause:3.9").2, Position::Registry);
    assert_eq!(
        one("/etc/containerd/certs.d/k8s.gcr.io/hosts.toml").2,
        Position::PathSegment
    );
    assert_eq!(
        one("\u{feff}harbor.example.com/k8s.gcr.io/pause").2,
        Position::ProxyPath
    );
    assert_eq!(
        one("certs.d/k8s.gcr.io/hosts.toml").2,
        Position::PathSegment
    );
    assert_eq!(
        one("github.com/kubernetes/k8s.io/blob/main/k8s.gcr.io/x").2,
        Position::PathSegment
    );
}

#[test]
fn url_hosts() {
    let (_, _, position, shape, reference) =
        one("curl -s https://k8s.gcr.io/v2/pause/tags/list | jq");
    assert_eq!(position, Position::UrlHost);
    assert_eq!(shape, Shape::Image);
    assert_eq!(reference, "https://k8s.gcr.io/v2/pause/tags/list");
}

/// containers/image's `docker` transport names an image, not a URL.
#[test]
fn docker_transport_references_are_images() {
    let (_, _, position, shape, reference) =
        one("skopeo copy docker://k8s.gcr.io/pause:3.1 oci:pause:3.1");
    assert_eq!(position, Position::Registry);
    assert_eq!(shape, Shape::Image);
    assert_eq!(reference, "k8s.gcr.io/pause:3.1");
    // The image ID dockershim recorded in a pod's status is an image by digest too.
    let (_, _, position, _, reference) = one(
        "Image ID: docker-pullable://k8s.gcr.io/pause@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    );
    assert_eq!(position, Position::Registry);
    assert_eq!(
        reference,
        "k8s.gcr.io/pause@sha256:0000000000000000000000000000000000000000000000000000000000000000"
    );
    for url in [
        "xdocker://k8s.gcr.io/pause",
        "docker-pullablex://k8s.gcr.io/pause",
    ] {
        assert_eq!(one(url).2, Position::UrlHost, "{url}");
    }
}

#[test]
fn bare_hosts_with_and_without_slash() {
    assert_eq!(
        one("imageRepository: k8s.gcr.io\n").3,
        Shape::BareHost {
            trailing_slash: false
        }
    );
    let (_, _, _, shape, reference) = one("{{ default \"k8s.gcr.io/\" .Values.reg }}");
    assert_eq!(
        shape,
        Shape::BareHost {
            trailing_slash: true
        }
    );
    assert_eq!(reference, "k8s.gcr.io/");
}

#[test]
fn several_hits_on_one_line() {
    let hits = scan("docker tag k8s.gcr.io/pause:3.9 k8s.gcr.io/pause:latest");
    assert_eq!(hits.len(), 2);
}

#[test]
fn json_escaped_slashes() {
    let (_, matched, position, shape, reference) = one(r#""image":"k8s.gcr.io\/pause:3.9""#);
    assert_eq!(
        (matched.as_str(), position, shape),
        ("k8s.gcr.io", Position::Registry, Shape::Image)
    );
    assert_eq!(reference, r"k8s.gcr.io\/pause:3.9");
    assert_eq!(
        one(r#""gcr.io\/google_containers\/pause""#).0,
        HostForm::Builtin(Rule::LegacyGcrProject)
    );
    assert_eq!(
        one(r#""harbor.example.com\/k8s.gcr.io\/pause""#).2,
        Position::ProxyPath
    );
}

#[test]
fn templated_references_take_their_templates_in() {
    assert_eq!(
        one("image: \"k8s.gcr.io/pause:{{ .Values.tag }}\"").4,
        "k8s.gcr.io/pause:{{ .Values.tag }}"
    );
    assert_eq!(
        one("FROM k8s.gcr.io/etcd:${ETCD_VERSION} AS etcd").4,
        "k8s.gcr.io/etcd:${ETCD_VERSION}"
    );
    assert_eq!(
        one("docker pull k8s.gcr.io/pause-$(ARCH):3.9").4,
        "k8s.gcr.io/pause-$(ARCH):3.9"
    );
    assert_eq!(
        one("k8s.gcr.io/kube-proxy-${ARCH}:v1.24.0 next").4,
        "k8s.gcr.io/kube-proxy-${ARCH}:v1.24.0"
    );
    assert_eq!(
        one("k8s.gcr.io/agnhost:2.40-$ARCH").4,
        "k8s.gcr.io/agnhost:2.40-$ARCH"
    );
    assert_eq!(
        one("image: k8s.gcr.io/pause:3.9 # {{ not this }}").4,
        "k8s.gcr.io/pause:3.9"
    );
}

#[test]
fn port_after_host() {
    let (_, _, _, shape, reference) = one("k8s.gcr.io:443/pause:3.9");
    assert_eq!(shape, Shape::Image);
    assert_eq!(reference, "k8s.gcr.io:443/pause:3.9");
}

#[test]
fn docker_hub_moves_match_every_spelling_of_the_host() {
    let moves = |from_path: &[&str]| {
        vec![Move {
            host: "docker.io".into(),
            path: from_path
                .iter()
                .map(|segment| segment.to_string())
                .collect(),
            to: "registry.example.com/hub".into(),
            safe: true,
        }]
    };
    let scanner = HostScanner::with_moves(moves(&["bitnami"]));
    let text = "a: docker.io/bitnami/redis:7\nb: index.docker.io/bitnami/redis\nc: Registry-1.Docker.io/bitnami/x\nd: docker.io/bitnamix/y\ne: mirror.docker.io.example.com/bitnami/z\n";
    let matched: Vec<&str> = scanner
        .scan(text.as_bytes())
        .iter()
        .map(|hit| &text[hit.range.clone()])
        .collect();
    assert_eq!(
        matched,
        [
            "docker.io/bitnami",
            "index.docker.io/bitnami",
            "Registry-1.Docker.io/bitnami"
        ]
    );
    // `docker.io/redis` is `docker.io/library/redis`: the host stands for the move's `from`.
    let official = HostScanner::with_moves(moves(&["library"]));
    let text = "a: docker.io/redis:7\nb: docker.io/library/redis\nc: docker.io/bitnami/redis\n";
    let matched: Vec<&str> = official
        .scan(text.as_bytes())
        .iter()
        .map(|hit| &text[hit.range.clone()])
        .collect();
    assert_eq!(matched, ["docker.io", "docker.io/library"]);
}

#[test]
fn new_host_token() {
    assert!(contains_new_host(b"from k8s.gcr.io to registry.k8s.io."));
    assert!(contains_new_host(b"\"registry.k8s.io/pause\""));
    assert!(!contains_new_host(b"myregistry.k8s.io.example/pause"));
    assert!(!contains_new_host(b"k8s.gcr.io/pause"));
}

/// Edits anywhere (replacements, insertions, deletions, with needles in them or cutting
/// needles in two): the occurrences carried over and searched around the edits are exactly
/// those a full search of the edited buffer finds.
mod occurrences_after_edits {
    use proptest::prelude::*;

    use super::*;

    fn piece() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "k8s.gcr.io",
            "GCR.io",
            "us-docker.pkg.dev",
            "gcr.i",
            "o/",
            "regshift:ignore",
            "regshift:",
            "x",
            " ",
            "\n",
            "é",
            "registry.k8s.io",
        ])
    }

    /// A buffer, and edits as (start, length, replacement) picked in it, applied in order.
    fn edited() -> impl Strategy<Value = (String, Vec<(usize, usize, String)>)> {
        prop::collection::vec(piece(), 0..40).prop_flat_map(|pieces| {
            let text = pieces.concat();
            let len = text.len();
            let edit = (0..=len, 0..8usize, prop::collection::vec(piece(), 0..3))
                .prop_map(|(start, length, replacement)| (start, length, replacement.concat()));
            (Just(text), prop::collection::vec(edit, 0..6))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn carried_and_searched_occurrences_are_all_occurrences((text, wanted) in edited()) {
            let scanner = HostScanner::with_markers(Vec::new(), &[b"regshift:ignore"]);
            let bytes = text.as_bytes();
            // Sorted, disjoint edits on byte ranges (as fixes are).
            let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
            let mut taken_to = 0;
            let mut wanted = wanted;
            wanted.sort();
            for (start, length, replacement) in wanted {
                if start < taken_to {
                    continue;
                }
                let end = (start + length).min(bytes.len());
                edits.push((start..end, replacement));
                taken_to = end.max(start + 1);
            }
            let mut fixed = Vec::new();
            let mut pairs = Vec::new();
            let mut copied = 0;
            for (range, replacement) in &edits {
                fixed.extend_from_slice(&bytes[copied..range.start]);
                let at = fixed.len();
                fixed.extend_from_slice(replacement.as_bytes());
                pairs.push((range.clone(), at..fixed.len()));
                copied = range.end;
            }
            fixed.extend_from_slice(&bytes[copied..]);
            let before = scanner.occurrences(bytes);
            prop_assert_eq!(
                scanner.occurrences_after_edits(&fixed, &before, &pairs),
                scanner.occurrences(&fixed),
                "{:?} with {:?}", text, edits
            );
        }
    }
}
