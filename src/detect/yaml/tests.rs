use super::*;

fn chunk_texts(text: &str) -> Vec<&str> {
    let chunks = document_chunks(text);
    // Cover the text without gaps, in order.
    assert_eq!(chunks.first().map(|chunk| chunk.start), Some(0));
    assert_eq!(chunks.last().map(|chunk| chunk.end), Some(text.len()));
    assert!(chunks.windows(2).all(|pair| pair[0].end == pair[1].start));
    chunks.into_iter().map(|chunk| &text[chunk]).collect()
}

#[test]
fn streams_are_cut_at_document_markers_only() {
    assert_eq!(chunk_texts(""), [""]);
    assert_eq!(chunk_texts("a: 1\n"), ["a: 1\n"]);
    // A leading marker, comments and directives stay with the document they precede.
    assert_eq!(
        chunk_texts("# c\n%YAML 1.2\n---\na: 1\n---\r\nb: 2\n--- |\n  x\n"),
        [
            "# c\n%YAML 1.2\n---\na: 1\n",
            "---\r\nb: 2\n",
            "--- |\n  x\n"
        ]
    );
    // `...` ends a document; directives after it start the next one.
    assert_eq!(
        chunk_texts("a: 1\n...\n%YAML 1.2\n---\nb: 2\n...\n"),
        ["a: 1\n...\n", "%YAML 1.2\n---\nb: 2\n...\n"]
    );
    // Not markers: indented, inside a word, empty documents in a row are each a document.
    assert_eq!(
        chunk_texts("a: |\n  ---\n----\n---x\n---\n---\n"),
        ["a: |\n  ---\n----\n---x\n", "---\n", "---\n"]
    );
}

#[test]
fn only_documents_with_hits_are_parsed_and_spans_stay_in_the_file() {
    let text = "a: [unclosed\n---\nkind: Pod\napiVersion: v1\nspec:\n  image: k8s.gcr.io/pause:3.9\n---\nb: {broken\n";
    let (placed, index) = sites(text);
    // The broken documents hold no hit: they are not parsed, so they are not failures.
    assert!(index.failures.is_empty(), "{:?}", index.failures);
    let site = placed[0].as_ref().unwrap();
    assert_eq!(site.context, "manifest: Pod spec.image");
    // A broken document with a hit is one failure, with its own range.
    let text = "a: 1\n---\nimage: k8s.gcr.io/pause:3.9\nb: [\n---\nc: 2\n";
    let (placed, index) = sites(text);
    assert!(placed[0].is_none());
    assert_eq!(index.failures.len(), 1);
    let failure = &index.failures[0];
    assert_eq!(
        &text[failure.range.clone()],
        "---\nimage: k8s.gcr.io/pause:3.9\nb: [\n"
    );
    assert!(failure.range.contains(&failure.at), "{failure:?}");
    // Escapes that could spell a host get their document parsed without any hit.
    let text = "a: 1\n---\nimage: \"k8s\\x2egcr.io/pause:3.9\"\n";
    let (_, index) = sites(text);
    assert_eq!(index.escaped.len(), 1);
    assert!(text[index.escaped[0].range.clone()].starts_with("\"k8s"));
}

fn sites(text: &str) -> (Vec<Option<YamlSite>>, YamlIndex) {
    let scanner = HostScanner::new();
    let hits = scanner.scan(text.as_bytes());
    let index = index(text, &hits, Dialect::plain("yaml"), &scanner);
    (index.sites.clone(), index)
}

fn contexts(text: &str) -> Vec<String> {
    sites(text)
        .0
        .into_iter()
        .map(|site| site.map_or("-".into(), |site| site.context))
        .collect()
}

#[test]
fn manifest_contexts_name_the_resource_and_path() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-web\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: wait\n        image: k8s.gcr.io/busybox:1.27\n";
    assert_eq!(
        contexts(text),
        ["manifest: Deployment/shop-web spec.template.spec.initContainers[0].image"]
    );
}

#[test]
fn kind_after_the_hit_still_names_the_resource() {
    let text = "spec:\n  containers: [{name: a, image: \"k8s.gcr.io/pause:3.9\"}]\nkind: Pod\napiVersion: v1\nmetadata: {name: p}\n";
    assert_eq!(contexts(text), ["manifest: Pod/p spec.containers[0].image"]);
}

#[test]
fn list_items_are_their_own_resources() {
    let text = "kind: List\napiVersion: v1\nitems:\n- kind: Pod\n  apiVersion: v1\n  metadata:\n    name: a\n  spec:\n    containers:\n    - image: k8s.gcr.io/pause\n";
    assert_eq!(contexts(text), ["manifest: Pod/a spec.containers[0].image"]);
}

#[test]
fn a_namespaced_object_is_named_namespace_slash_name() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - image: k8s.gcr.io/pause:3.9\n";
    assert_eq!(
        contexts(text),
        ["manifest: Pod shop/web spec.containers[0].image"]
    );
    // The namespace may come after the hit, as `kind` may; alone it names no object.
    let text = "spec:\n  containers: [{image: k8s.gcr.io/pause}]\nkind: Pod\napiVersion: v1\nmetadata: {namespace: shop}\n";
    assert_eq!(contexts(text), ["manifest: Pod spec.containers[0].image"]);
}

/// What `kubectl get deploy,cronjob -A -o yaml` prints: each item is named with its own
/// namespace, and an item without one (a cluster-scoped object) by its name alone.
#[test]
fn list_items_name_their_own_namespace() {
    let text = "apiVersion: v1\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n    namespace: default\n  spec:\n    template:\n      spec:\n        containers:\n        - image: k8s.gcr.io/pause:3.9\n- apiVersion: batch/v1\n  kind: CronJob\n  metadata:\n    name: nightly\n    namespace: ops\n  spec:\n    jobTemplate:\n      spec:\n        template:\n          spec:\n            containers:\n            - image: k8s.gcr.io/busybox\n- apiVersion: apps/v1\n  kind: DaemonSet\n  metadata: {name: agent}\n  spec: {template: {spec: {containers: [{image: k8s.gcr.io/agent}]}}}\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
    assert_eq!(
        contexts(text),
        [
            "manifest: Deployment default/web spec.template.spec.containers[0].image",
            "manifest: CronJob ops/nightly spec.jobTemplate.spec.template.spec.containers[0].image",
            "manifest: DaemonSet/agent spec.template.spec.containers[0].image",
        ]
    );
}

const CHART: Dialect = Dialect {
    label: "chart",
    embedded_yaml_keys: &["artifacthub.io/images"],
    history_keys: &["artifacthub.io/changes"],
};

#[test]
fn yaml_in_a_literal_block_gets_inner_structure_and_outer_spans() {
    let text = "apiVersion: v2\r\nannotations:\r\n  artifacthub.io/changes: |\r\n    - description: moved off k8s.gcr.io/pause\r\n  artifacthub.io/images: |\r\n    - name: controller\r\n\r\n      image: k8s.gcr.io/ingress-nginx/controller:v1.2.1\r\n";
    let scanner = HostScanner::new();
    let hits = scanner.scan(text.as_bytes());
    assert_eq!(hits.len(), 2);
    let index = index(text, &hits, CHART, &scanner);
    let history = index.sites[0].as_ref().unwrap();
    assert_eq!(history.place, Place::History);
    let image = index.sites[1].as_ref().unwrap();
    assert_eq!(
        image.context,
        "chart: annotations[\"artifacthub.io/images\"][0].image"
    );
    assert!(matches!(&image.place, Place::Value { key: Some(key), .. } if key == "image"));
    assert_eq!(&text[hits[1].range.clone()], "k8s.gcr.io");
}

#[test]
fn node_trees_keep_spans_and_styles() {
    let text = "kind: ClusterConfiguration\nimageRepository: k8s.gcr.io # old\ndns: {}\netcd:\n  local:\n    imageRepository: k8s.gcr.io\n---\nbad: [\n---\nlist: [a, b]\n";
    let documents = documents(text);
    assert_eq!(documents.len(), 2, "the broken document is left out");
    let config = &documents[0];
    let repository = config.get("imageRepository").unwrap();
    assert_eq!(&text[repository.range().clone()], "k8s.gcr.io");
    assert!(matches!(
        config.get("dns"),
        Some(Node::Mapping { flow: true, .. })
    ));
    let etcd = config.get("etcd").unwrap().get("local").unwrap();
    assert_eq!(
        etcd.get("imageRepository").unwrap().as_str(),
        Some("k8s.gcr.io")
    );
    assert_eq!(documents[1].get("list").unwrap().items().len(), 2);
    let mut mappings = Vec::new();
    config.mappings(None, &mut mappings);
    let keys: Vec<_> = mappings.iter().map(|(key, _)| *key).collect();
    assert_eq!(keys, [None, Some("dns"), Some("etcd"), Some("local")]);
}

#[test]
fn chart_dependencies_with_aliases() {
    let text = "apiVersion: v2\nname: web\ndependencies:\n- name: redis\n  version: 1.0.0\n  alias: cache\n- {name: dep, version: 0.1.0}\nmaintainers:\n- name: someone\n";
    assert_eq!(
        chart_dependencies(text),
        [
            ("redis".to_string(), Some("cache".to_string())),
            ("dep".to_string(), None)
        ]
    );
}

#[test]
fn helm_values_with_a_kind_key_are_not_resources() {
    let text = "controller:\n  kind: Deployment\n  image:\n    registry: k8s.gcr.io\n";
    assert_eq!(contexts(text), ["yaml: controller.image.registry"]);
}

#[test]
fn comments_keys_and_values() {
    let text = "# k8s.gcr.io/pause in a comment\nmirrors:\n  k8s.gcr.io:\n    endpoint: [\"https://mirror.example\"]\nregistry: k8s.gcr.io\n";
    let (sites, _) = sites(text);
    let places: Vec<_> = sites
        .iter()
        .map(|s| s.as_ref().unwrap().place.clone())
        .collect();
    assert_eq!(places[0], Place::Comment);
    assert_eq!(places[1], Place::Key);
    assert_eq!(
        places[2],
        Place::Value {
            key: Some("registry".into()),
            whole_value: true,
            block: false
        }
    );
    assert_eq!(
        sites[1].as_ref().unwrap().context,
        "yaml: mirrors[\"k8s.gcr.io\"] key"
    );
}

#[test]
fn block_scalars_and_anchors() {
    let text =
        "a: &img 'k8s.gcr.io/e2e:2.39'\nb:\n- |\n  crictl pull k8s.gcr.io/pause:3.9\n- *img\n";
    let (sites, _) = sites(text);
    assert_eq!(sites.len(), 2);
    assert!(matches!(
        sites[1].as_ref().unwrap().place,
        Place::Value { block: true, .. }
    ));
    assert_eq!(sites[1].as_ref().unwrap().context, "yaml: b[0]");
}

#[test]
fn a_broken_document_keeps_text_level_hits_and_later_documents_parse() {
    let text = "a: k8s.gcr.io/one\n---\nbad: [k8s.gcr.io/two\n---\nok: k8s.gcr.io/three\n";
    let (sites, index) = sites(text);
    assert!(sites[0].is_some());
    assert!(
        sites[1].is_none(),
        "hit in the broken document has no structure"
    );
    assert_eq!(sites[2].as_ref().unwrap().context, "yaml: ok");
    assert_eq!(index.failures.len(), 1);
    let failure = &index.failures[0];
    assert!(failure.range.contains(&text.find("two").unwrap()));
    assert!(!failure.range.contains(&text.find("three").unwrap()));
}

#[test]
fn escaped_hosts_are_found_in_decoded_values() {
    let text = "image: \"k8s\\x2egcr.io/pause:3.9\"\n";
    let (_, index) = sites(text);
    assert_eq!(index.escaped.len(), 1);
    assert_eq!(index.escaped[0].context, "yaml: image");
}

#[test]
fn the_escaped_host_is_the_one_without_raw_bytes() {
    let text = "image0: \"eu.gcr.io/k8s-artifacts-prod/pause k8s\\x2egcr.io/pause:3.9\"\n";
    let (_, index) = sites(text);
    assert_eq!(index.escaped.len(), 1);
    let escaped = &index.escaped[0];
    assert_eq!(
        escaped.hit.form,
        crate::detect::hosts::HostForm::Builtin(crate::rules::Rule::LegacyHost)
    );
    assert_eq!(
        &escaped.decoded[escaped.hit.reference.clone()],
        "k8s.gcr.io/pause:3.9"
    );
    let (_, index) = sites("a: \"k8s.gcr.io/pause k8s.gcr.io/pause\\t\"\n");
    assert!(
        index.escaped.is_empty(),
        "an escape elsewhere hides nothing"
    );
    let (_, index) = sites("{\"image\": \"k8s.gcr.io\\/pause:3.9\"}");
    assert!(index.escaped.is_empty(), "an escaped slash hides no host");
}

#[test]
fn crlf_bom_and_multibyte_text_keep_byte_spans() {
    let text = "\u{feff}# héllo wörld ✓\r\napiVersion: v1\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - image: \"k8s.gcr.io/pause:3.9\" # ünïcode\r\n";
    assert_eq!(contexts(text), ["manifest: Pod spec.containers[0].image"]);
}

#[test]
fn json_manifests() {
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"image\": \"k8s.gcr.io/pause:3.9\"}]}}";
    let scanner = HostScanner::new();
    let hits = scanner.scan(text.as_bytes());
    let index = index(text, &hits, Dialect::plain("json"), &scanner);
    assert_eq!(
        index.sites[0].as_ref().unwrap().context,
        "manifest: Pod/p spec.containers[0].image"
    );
}

#[test]
fn keys_that_are_image_references_are_image_keys() {
    let text = "\
images:
  k8s.gcr.io/pause:3.9: mirror.example.com/pause:3.9
  \"k8s.gcr.io/etcd:3.5.0\":
    source: k8s.gcr.io/etcd:3.5.0
  \"registry.k8s.io/etcd:3.5.0\": {}
mirrors:
  k8s.gcr.io:
    endpoint: [\"https://k8s.gcr.io\"]
";
    let (placed, _) = sites(text);
    let placed: Vec<&YamlSite> = placed.iter().map(|site| site.as_ref().unwrap()).collect();
    // A key new to its map; one whose new name the map holds already (it comes later).
    assert_eq!(placed[0].image_key, Some(ImageKey::Renamable));
    assert_eq!(placed[1].image_key, Some(ImageKey::Collides));
    // Neither is a mirror namespace, so what is below an image key is not keyed by the host.
    assert!(!placed[0].keyed_by_legacy_host && !placed[1].keyed_by_legacy_host);
    assert_eq!(placed[2].image_key, None);
    assert!(!placed[2].keyed_by_legacy_host);
    // A bare host key is a namespace, as before.
    assert_eq!(placed[3].image_key, None);
    assert!(placed[3].keyed_by_legacy_host && placed[4].keyed_by_legacy_host);
    // Two keys that become the same key collide with each other; JSON keys alike.
    let json = "{\"k8s.gcr.io/pause:3.9\": 1, \"K8S.GCR.IO/pause:3.9\": 2, \"k8s.gcr.io/x\": 3}";
    let (placed, _) = sites(json);
    let keys: Vec<_> = placed
        .iter()
        .map(|site| site.as_ref().unwrap().image_key)
        .collect();
    assert_eq!(
        keys,
        [
            Some(ImageKey::Collides),
            Some(ImageKey::Collides),
            Some(ImageKey::Renamable)
        ]
    );
    // Globs, patterns and prefixes are not one image.
    let (placed, _) = sites("\"k8s.gcr.io/*\": a\n\"^k8s.gcr.io/(.*)\": b\nk8s.gcr.io/: c\n");
    assert!(
        placed
            .iter()
            .all(|site| site.as_ref().unwrap().image_key.is_none())
    );
}

#[test]
fn a_long_commented_out_block_parses() {
    // A Helm values file that comments out a whole default configuration under a key with no
    // value (node-feature-discovery's `worker.config`): the parser buffers the comments while
    // it looks ahead, and granit's default limit (96) rejected such valid files.
    for count in [95, 1_000, 60_000] {
        let mut text = String::from("worker:\n  config: ### start\n");
        for line in 0..count {
            text.push_str(&format!("    #  key{line}: value\n"));
        }
        text.push_str("# end\n\n  a: {}\n  b: {}\n    # trailing\nimage: k8s.gcr.io/pause:3.9\n");
        let (placed, index) = sites(&text);
        assert!(index.failures.is_empty(), "{count}: {:?}", index.failures);
        assert_eq!(
            placed[0].as_ref().unwrap().context,
            "yaml: image",
            "{count}"
        );
    }
}

#[test]
fn quoted_scalars_continued_at_the_key_column_parse_as_kubernetes_reads_them() {
    // kubectl (go-yaml) and Helm accept a quoted scalar whose continuation lines are not
    // indented past its block; YAML 1.2 and granit do not. Such a document keeps its
    // structure, and its spans point into the file as written.
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    k8s.v1.cni.cncf.io/networks: '[\n    {\"name\": \"net1\"}\n    ]'\n    description: \"one\n    two\"\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: k8s.gcr.io/pause:3.9\n";
    let (placed, index) = sites(text);
    assert!(index.failures.is_empty(), "{:?}", index.failures);
    let site = placed[0].as_ref().unwrap();
    assert_eq!(
        site.context,
        "manifest: Deployment/web spec.template.spec.containers[0].image"
    );
    // The node tree too (what kustomize, kubeadm and Chart.yaml carriers read).
    let hit = text.find("k8s.gcr.io").unwrap();
    let roots = documents_holding(text, std::slice::from_ref(&(hit..text.len())));
    assert_eq!(roots.len(), 1);
    let image = roots[0]
        .get("spec")
        .and_then(|spec| spec.get("template"))
        .and_then(|template| template.get("spec"))
        .and_then(|spec| spec.get("containers"))
        .and_then(|containers| containers.items().first())
        .and_then(|container| container.get("image"))
        .unwrap();
    assert_eq!(image.as_str(), Some("k8s.gcr.io/pause:3.9"));
    assert_eq!(&text[image.range().clone()], "k8s.gcr.io/pause:3.9");
    // A continuation that starts with a tab, first thing in the document, too; a block
    // indented by a tab is still broken.
    let text = "a: 'one\n\ttwo'\nb: k8s.gcr.io/pause\n";
    let (placed, index) = sites(text);
    assert!(index.failures.is_empty(), "{:?}", index.failures);
    assert_eq!(placed[0].as_ref().unwrap().context, "yaml: b");
    let (placed, index) = sites("a:\n\tb: k8s.gcr.io/pause\n");
    assert!(placed[0].is_none());
    assert_eq!(index.failures.len(), 1);
    // A document broken otherwise still fails, at its own place.
    let broken = "a: \"one\nb: [k8s.gcr.io/pause\n";
    let (placed, index) = sites(broken);
    assert!(placed[0].is_none());
    assert_eq!(index.failures.len(), 1);
}
