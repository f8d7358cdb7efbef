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
        ] {
            assert!(holds_registry(name.as_bytes()), "{name}");
        }
        for name in ["image", "sandbox_image", "server", "FROM", "tag"] {
            assert!(!holds_registry(name.as_bytes()), "{name}");
        }
    }
}
