//! What a name says about the value it holds, for every carrier: a YAML key, a shell or Make
//! variable, a command-line flag, a Dockerfile `ARG`, a column of a Markdown values table.

/// Whether `name` holds a registry (or a repository, a host and path that images are built
/// from): `registry`, `imageRegistry`, `imageRepository`, `REGISTRY`, `kube_image_repo`,
/// `--image-repository`. The one definition for keys, variables and flags alike.
pub fn holds_registry(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    memchr::memmem::find(&lower, b"registry").is_some()
        || memchr::memmem::find(&lower, b"repo").is_some()
}

/// Whether `name` holds hosts that are matched against what other places write, rather than
/// a registry to pull from: an allow- or deny-list, an insecure-registry setting, a proxy
/// bypass, an egress rule by domain, a match prefix (`allowedRegistries`,
/// `--insecure-registry`, `NO_PROXY`, Cilium's `matchName`, CRI-O's `prefix`). Such a host must
/// keep its old spelling while references to it remain.
pub fn matches_references(name: &[u8]) -> bool {
    // `NO_PROXY`, `no-proxy` and `noProxy` alike.
    let folded: Vec<u8> = name
        .iter()
        .filter(|byte| !matches!(byte, b'_' | b'-'))
        .map(u8::to_ascii_lowercase)
        .collect();
    const WHOLE: &[&[u8]] = &[b"prefix", b"matchname", b"matchpattern"];
    const WORDS: &[&[u8]] = &[
        b"allow",
        b"deny",
        b"denied",
        b"block",
        b"trusted",
        b"insecure",
        b"fqdn",
        b"noproxy",
        b"whitelist",
        b"blacklist",
        b"exclude",
    ];
    let name = folded
        .rsplit(|&byte| byte == b'.')
        .next()
        .unwrap_or_default();
    WHOLE.contains(&name)
        || WORDS
            .iter()
            .any(|word| memchr::memmem::find(name, word).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_in_every_spelling() {
        for name in [
            "registry",
            "imageRegistry",
            "imageRepository",
            "REGISTRY",
            "kube_image_repo",
            "--image-repository",
            "controller.image.registry",
            "image_registry",
            "registryHost",
        ] {
            assert!(holds_registry(name.as_bytes()), "{name}");
        }
        for name in ["image", "sandbox_image", "server", "FROM", "tag"] {
            assert!(!holds_registry(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn names_matched_against_references() {
        for name in [
            "allowedRegistries",
            "--insecure-registry",
            "NO_PROXY",
            "noProxy",
            "matchName",
            "prefix",
            "toFQDNs",
            "spec.deniedRegistries",
        ] {
            assert!(matches_references(name.as_bytes()), "{name}");
        }
        for name in [
            "registry",
            "imagePrefix",
            "value",
            "default",
            "UPSTREAM",
            "proxy",
        ] {
            assert!(!matches_references(name.as_bytes()), "{name}");
        }
    }
}
