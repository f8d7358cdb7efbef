//! kubeadm `ClusterConfiguration`: where a host swap alone is wrong.
//!
//! kubeadm appends CoreDNS's `/coredns` sub-path only when the DNS image repository equals its
//! compiled-in default, and that default became `registry.k8s.io` only in v1.22.17, v1.23.15,
//! v1.24.9 and v1.25.0 (kubernetes/kubeadm#2761). The sub-path itself came with CoreDNS v1.8.0
//! in v1.21, and only from v1.21.2 on does kubeadm append just `coredns` to a custom DNS
//! repository (kubernetes/kubernetes#102502): before v1.21 the image was `<repo>/coredns:1.7.0`,
//! which registry.k8s.io serves as it is, and v1.21.0 and v1.21.1 append `coredns/coredns`
//! to any repository. So when `imageRepository: k8s.gcr.io` becomes `registry.k8s.io` for a
//! `kubernetesVersion` from v1.21.2 up to those releases (or an unknown one, most likely a
//! current kubeadm), the fix also sets `dns.imageRepository: registry.k8s.io/coredns`, which
//! names the CoreDNS image on every kubeadm from v1.21.2 on. The repository is written exactly
//! `registry.k8s.io`: `registry.k8s.io/` never equals the default anywhere.
//!
//! Configurations are standalone (`apiVersion: kubeadm.k8s.io/…`), embedded by Cluster API
//! under a `clusterConfiguration:` key, or YAML in a literal block (the `kubeadm-config`
//! ConfigMap, a cloud-init file).

use crate::carrier::Carrier;
use crate::detect::text;
use crate::detect::yaml::{self, Node};
use crate::finding::Edit;
use crate::source::SourceFile;

/// The replacement for the legacy default registry.
const NEW_REPOSITORY: &str = "registry.k8s.io";
/// The CoreDNS repository that works with every kubeadm version.
const COREDNS_REPOSITORY: &str = "registry.k8s.io/coredns";

/// The fix for one `imageRepository` that names the legacy default registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryFix {
    /// Start of the legacy host in the value: the finding this fix replaces.
    pub hit_start: usize,
    pub edits: Vec<Edit>,
    pub note: Option<String>,
}

/// The documents of the kubeadm configurations written inside a file that is not YAML: a
/// fenced code block in Markdown, a heredoc in a shell script, a Dockerfile or Terraform
/// (`cat > kubeadm.yaml <<EOF`). Spans are in `text`; a region is taken as it is written, so
/// the insertion lands at its indentation.
pub fn text_documents(source: &SourceFile, text: &str) -> Vec<Node> {
    if !yaml::holds_kubeadm_config(text) {
        return Vec::new();
    }
    let regions = match source.carrier {
        Carrier::Markdown => text::fenced_block_contents(source),
        Carrier::Shell | Carrier::Makefile | Carrier::Dockerfile | Carrier::Terraform => {
            text::heredoc::bodies(text)
        }
        _ => return Vec::new(),
    };
    let mut documents = Vec::new();
    for region in regions {
        let body = &text[region.clone()];
        if !yaml::holds_kubeadm_config(body) {
            continue;
        }
        for mut document in yaml::documents(body) {
            document.map_offsets(&|at| region.start + at);
            documents.push(document);
        }
    }
    documents
}

/// The fixes for every kubeadm cluster configuration in `documents` (parsed from `text`).
pub fn repository_fixes(text: &str, documents: &[Node]) -> Vec<RepositoryFix> {
    let mut fixes = Vec::new();
    for root in documents {
        let cluster_version = root
            .get("spec")
            .and_then(|spec| spec.get("version"))
            .and_then(Node::as_str);
        let mut mappings = Vec::new();
        root.mappings(None, &mut mappings);
        for (key, mapping) in mappings {
            let standalone = std::ptr::eq(mapping, root) && is_standalone_config(root);
            if !standalone && key != Some("clusterConfiguration") {
                continue;
            }
            let version = mapping
                .get("kubernetesVersion")
                .and_then(Node::as_str)
                .or(cluster_version);
            if let Some(fix) = repository_fix(text, mapping, version) {
                fixes.push(fix);
            }
        }
        // A configuration in a string: the `kubeadm-config` ConfigMap's
        // `ClusterConfiguration: |`, a cloud-init file. Its spans are in `text`, so the
        // insertion lands at the block's indentation.
        let mut values = Vec::new();
        root.values(&mut values);
        for block in values {
            if block.is_literal_block() && block.as_str().is_some_and(yaml::holds_kubeadm_config) {
                let inner = yaml::literal_documents(text, block);
                fixes.extend(repository_fixes(text, &inner));
            }
        }
    }
    fixes
}

fn is_standalone_config(root: &Node) -> bool {
    let api_version = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
    let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
    api_version.starts_with("kubeadm.k8s.io/")
        && matches!(kind, "ClusterConfiguration" | "MasterConfiguration")
}

fn repository_fix(text: &str, config: &Node, version: Option<&str>) -> Option<RepositoryFix> {
    let (key, value) = config.entry("imageRepository")?;
    let value_text = value.as_str()?.trim();
    let host = value_text.strip_suffix('/').unwrap_or(value_text);
    if !host.eq_ignore_ascii_case("k8s.gcr.io") {
        // A path after the host is a custom repository: a plain host swap is equivalent.
        return None;
    }
    let raw = value.range();
    let host_offset = text[raw.clone()].to_ascii_lowercase().find("k8s.gcr.io")?;
    let hit_start = raw.start + host_offset;
    let mut host_end = hit_start + "k8s.gcr.io".len();
    if text.as_bytes().get(host_end) == Some(&b'/') {
        host_end += 1;
    }
    let mut edits = vec![Edit {
        range: hit_start..host_end,
        original: text[hit_start..host_end].to_string(),
        replacement: NEW_REPOSITORY.to_string(),
    }];

    let dns = config.get("dns");
    let dns_repository_set = dns.and_then(|dns| dns.get("imageRepository")).is_some();
    if dns_repository_set || !needs_coredns_path(version) {
        return Some(RepositoryFix {
            hit_start,
            edits,
            note: None,
        });
    }
    let why = match version.and_then(parse_version) {
        Some(_) => {
            "kubeadm from v1.21.2 and before v1.22.17, v1.23.15 and v1.24.9 adds CoreDNS's /coredns sub-path only for its own default registry (kubernetes/kubeadm#2761)"
        }
        None => {
            "kubeadm from v1.21.2 and before v1.22.17, v1.23.15 and v1.24.9 adds CoreDNS's /coredns sub-path only for its own default registry (kubernetes/kubeadm#2761); with no kubernetesVersion here, the kubeadm that reads this file decides: drop it for one older than v1.21.2"
        }
    };
    let insertion = match (config, dns) {
        (Node::Mapping { flow: false, .. }, None) => Some(insert_dns_after(text, key)),
        (
            _,
            Some(Node::Mapping {
                flow: false,
                entries,
                ..
            }),
        ) if !entries.is_empty() => Some(insert_first_child(text, entries[0].0.range().start)),
        (_, Some(Node::Scalar { value, .. })) if matches!(value.as_str(), "" | "~" | "null") => {
            let (dns_key, _) = config.entry("dns")?;
            Some(insert_child_after(text, dns_key))
        }
        _ => None,
    };
    let note = match insertion {
        Some(edit) => {
            edits.push(edit);
            format!("the fix also sets dns.imageRepository: {COREDNS_REPOSITORY}: {why}")
        }
        None => format!(
            "also set dns.imageRepository: {COREDNS_REPOSITORY} by hand (a flow-style `dns` mapping is not edited): {why}"
        ),
    };
    Some(RepositoryFix {
        hit_start,
        edits,
        note: Some(note),
    })
}

/// Whether kubeadm of this version treats `registry.k8s.io` as a custom registry and looks for
/// CoreDNS right under it, where the image is not. A missing or unreadable version (an
/// envsubst placeholder, `stable`) counts as needing it: the inserted repository is right for
/// every kubeadm from v1.21.2 on, and an older one is unlikely to read a file written today.
pub fn needs_coredns_path(version: Option<&str>) -> bool {
    let Some((major, minor, patch)) = version.and_then(parse_version) else {
        return true;
    };
    match (major, minor) {
        (0, _) => true,
        // `<repo>/coredns:1.7.0` and older tags: registry.k8s.io serves them at that path.
        (1, minor) if minor < 21 => false,
        // v1.21.0 and v1.21.1 append `coredns/coredns` to any repository.
        (1, 21) => patch >= 2,
        (1, 22) => patch < 17,
        (1, 23) => patch < 15,
        (1, 24) => patch < 9,
        _ => false,
    }
}

/// `v1.24.3`, `1.24`, `v1.24.3-rc.1+build` → (1, 24, 3); the patch defaults to 0.
fn parse_version(version: &str) -> Option<(u32, u32, u32)> {
    let version = version.trim().trim_start_matches('v');
    let mut parts = version.split('.');
    let number = |part: Option<&str>| -> Option<u32> {
        let digits: String = part?.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let major = number(parts.next())?;
    let minor = number(parts.next())?;
    let patch = number(parts.next()).unwrap_or(0);
    Some((major, minor, patch))
}

/// `dns:` and its `imageRepository` on new lines right after the line of `key`, at the
/// indentation of `key`.
fn insert_dns_after(text: &str, key: &Node) -> Edit {
    let indent = " ".repeat(column(text, key.range().start));
    let (at, eol) = yaml::line_end(text, key.range().start);
    Edit {
        range: at..at,
        original: String::new(),
        replacement: format!(
            "{eol}{indent}dns:{eol}{indent}  imageRepository: {COREDNS_REPOSITORY}"
        ),
    }
}

/// `imageRepository` as the first child of a block mapping whose first key starts at `first`.
fn insert_first_child(text: &str, first: usize) -> Edit {
    let indent = " ".repeat(column(text, first));
    let (_, eol) = yaml::line_end(text, first);
    Edit {
        range: first..first,
        original: String::new(),
        replacement: format!("imageRepository: {COREDNS_REPOSITORY}{eol}{indent}"),
    }
}

/// `imageRepository` on a new line below an empty `dns:` key.
fn insert_child_after(text: &str, key: &Node) -> Edit {
    let indent = " ".repeat(column(text, key.range().start) + 2);
    let (at, eol) = yaml::line_end(text, key.range().start);
    Edit {
        range: at..at,
        original: String::new(),
        replacement: format!("{eol}{indent}imageRepository: {COREDNS_REPOSITORY}"),
    }
}

/// Column (in bytes, which are spaces for indentation) of `offset` on its line.
fn column(text: &str, offset: usize) -> usize {
    offset - yaml::line_start(text, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::yaml::documents;
    use crate::finding::{Applicability, Finding, Fix};
    use crate::fix::{FixLevel, apply_fixes};

    fn fixed(text: &str) -> String {
        fixed_from(text, &documents(text))
    }

    /// `text` with the fixes for the configurations of `documents` applied, as `fix` applies
    /// them.
    fn fixed_from(text: &str, documents: &[Node]) -> String {
        let fixes = repository_fixes(text, documents);
        let findings: Vec<Finding> = fixes
            .into_iter()
            .map(|fix| Finding {
                rule: crate::rules::Rule::LegacyHost,
                range: fix.hit_start..fix.hit_start + 10,
                matched: String::new(),
                reference: String::new(),
                context: String::new(),
                message: String::new(),
                note: fix.note,
                fix: Some(Fix::new(fix.edits, Applicability::Safe).unwrap()),
                location: Default::default(),
                excerpt: Default::default(),
                fix_excerpt: None,
            })
            .collect();
        let applied = apply_fixes(text.as_bytes(), &findings, FixLevel::SafeOnly).unwrap();
        String::from_utf8(applied.output).unwrap()
    }

    #[test]
    fn old_versions_get_the_coredns_repository() {
        let text = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.24.3\nimageRepository: k8s.gcr.io # was the default\nnetworking: {}\n";
        assert_eq!(
            fixed(text),
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.24.3\nimageRepository: registry.k8s.io # was the default\ndns:\n  imageRepository: registry.k8s.io/coredns\nnetworking: {}\n"
        );
    }

    #[test]
    fn new_versions_get_the_host_only_and_slashes_go() {
        let text = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.24.9\nimageRepository: \"k8s.gcr.io/\"\n";
        assert_eq!(
            fixed(text),
            "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.24.9\nimageRepository: \"registry.k8s.io\"\n"
        );
    }

    #[test]
    fn an_existing_dns_mapping_gets_a_first_child() {
        let text = "apiVersion: kubeadm.k8s.io/v1beta2\r\nkind: ClusterConfiguration\r\ndns:\r\n    type: CoreDNS\r\nimageRepository: k8s.gcr.io\r\n";
        assert_eq!(
            fixed(text),
            "apiVersion: kubeadm.k8s.io/v1beta2\r\nkind: ClusterConfiguration\r\ndns:\r\n    imageRepository: registry.k8s.io/coredns\r\n    type: CoreDNS\r\nimageRepository: registry.k8s.io\r\n"
        );
        let set = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nimageRepository: k8s.gcr.io\ndns:\n  imageRepository: my.mirror/coredns\n";
        assert_eq!(fixed(set), set.replacen("k8s.gcr.io", "registry.k8s.io", 1));
    }

    #[test]
    fn cluster_api_embeds_the_configuration() {
        let text = "apiVersion: controlplane.cluster.x-k8s.io/v1beta1\nkind: KubeadmControlPlane\nspec:\n  version: v1.23.4\n  kubeadmConfigSpec:\n    clusterConfiguration:\n      imageRepository: k8s.gcr.io\n";
        assert_eq!(
            fixed(text),
            "apiVersion: controlplane.cluster.x-k8s.io/v1beta1\nkind: KubeadmControlPlane\nspec:\n  version: v1.23.4\n  kubeadmConfigSpec:\n    clusterConfiguration:\n      imageRepository: registry.k8s.io\n      dns:\n        imageRepository: registry.k8s.io/coredns\n"
        );
    }

    #[test]
    fn configurations_in_literal_blocks_get_the_insertion_at_their_indentation() {
        // The ConfigMap kubeadm reads on upgrade, and a cloud-init file.
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kubeadm-config\ndata:\n  ClusterConfiguration: |\n    apiVersion: kubeadm.k8s.io/v1beta3\n    kind: ClusterConfiguration\n    kubernetesVersion: v1.22.1\n    imageRepository: k8s.gcr.io\n    networking: {}\n";
        assert_eq!(
            fixed(text),
            text.replace(
                "    imageRepository: k8s.gcr.io\n",
                "    imageRepository: registry.k8s.io\n    dns:\n      imageRepository: registry.k8s.io/coredns\n"
            )
        );
        let text = "write_files:\n- path: /etc/kubeadm.yaml\n  content: |\n    apiVersion: kubeadm.k8s.io/v1beta3\n    kind: ClusterConfiguration\n    imageRepository: k8s.gcr.io\n    dns:\n      imageTag: v1.8.6\n";
        assert_eq!(
            fixed(text),
            text.replace("k8s.gcr.io", "registry.k8s.io").replace(
                "      imageTag",
                "      imageRepository: registry.k8s.io/coredns\n      imageTag"
            )
        );
        // Versions where kubeadm finds CoreDNS without it: a plain swap.
        let old = "data:\n  ClusterConfiguration: |\n    apiVersion: kubeadm.k8s.io/v1beta2\n    kind: ClusterConfiguration\n    kubernetesVersion: v1.20.4\n    imageRepository: k8s.gcr.io\n";
        assert_eq!(fixed(old), old.replace("k8s.gcr.io", "registry.k8s.io"));
    }

    fn source(text: &str, carrier: Carrier) -> SourceFile {
        SourceFile::with_carrier(
            crate::path::RepoPath::new("x"),
            text.as_bytes().to_vec(),
            carrier,
        )
    }

    fn fixed_in(text: &str, carrier: Carrier) -> String {
        fixed_from(text, &text_documents(&source(text, carrier), text))
    }

    #[test]
    fn configurations_in_code_blocks_and_heredocs() {
        let config = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.23.4\nimageRepository: k8s.gcr.io\n";
        let swapped = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.23.4\nimageRepository: registry.k8s.io\ndns:\n  imageRepository: registry.k8s.io/coredns\n";
        let markdown = format!("# Set up\n\n````yaml\n{config}````\n\nThen `kubeadm init`.\n");
        assert_eq!(
            fixed_in(&markdown, Carrier::Markdown),
            markdown.replace(config, swapped)
        );
        // Indented in a list item: the insertion takes the block's indentation.
        let listed = "1. Write it:\n\n   ```yaml\n   apiVersion: kubeadm.k8s.io/v1beta3\n   kind: ClusterConfiguration\n   imageRepository: k8s.gcr.io\n   ```\n";
        assert_eq!(
            fixed_in(listed, Carrier::Markdown),
            listed.replace(
                "   imageRepository: k8s.gcr.io\n",
                "   imageRepository: registry.k8s.io\n   dns:\n     imageRepository: registry.k8s.io/coredns\n"
            )
        );
        for opener in ["<<EOF", "<< 'EOF'", "<<\"EOF\"", "<<-EOF"] {
            let script = format!(
                "cat > kubeadm.yaml {opener}\n{config}EOF\nkubeadm init --config kubeadm.yaml\n"
            );
            assert_eq!(
                fixed_in(&script, Carrier::Shell),
                script.replace(config, swapped),
                "{opener}"
            );
        }
        // A here-string, an unclosed heredoc and a file of another kind hold no region.
        let here_string = format!("kubeadm config print <<< \"{config}\"\n");
        let none = |text: &str, carrier| text_documents(&source(text, carrier), text).is_empty();
        assert!(none(&here_string, Carrier::Shell));
        assert!(none(&format!("cat <<EOF\n{config}"), Carrier::Shell));
        assert!(none(&format!("cat <<EOF\n{config}EOF\n"), Carrier::Text));
    }

    #[test]
    fn flow_dns_mappings_are_left_with_a_note() {
        let text = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nimageRepository: k8s.gcr.io\ndns: {}\n";
        let fixes = repository_fixes(text, &documents(text));
        assert_eq!(fixes[0].edits.len(), 1);
        assert!(fixes[0].note.as_deref().unwrap().contains("by hand"));
    }

    #[test]
    fn versions() {
        for (version, old) in [
            (None, true),
            (Some("v1.13.0"), false),
            (Some("v1.20.15"), false),
            (Some("v1.21.1"), false),
            (Some("v1.21.2"), true),
            (Some("v1.21.14"), true),
            (Some("v1.22.16"), true),
            (Some("v1.22.17"), false),
            (Some("1.23.14"), true),
            (Some("v1.23.15"), false),
            (Some("v1.24"), true),
            (Some("v1.24.9-rc.0"), false),
            (Some("v1.25.0"), false),
            (Some("v1.30.1"), false),
            (Some("${KUBERNETES_VERSION}"), true),
        ] {
            assert_eq!(needs_coredns_path(version), old, "{version:?}");
        }
    }
}
