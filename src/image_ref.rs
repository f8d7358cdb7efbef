//! Image references as text, `[registry/]path[:tag][@digest]`, split into their parts: the one
//! parser for names, tags and digests (kustomize's name keys, the mirroring plan, `crane
//! copy` destinations). Finding a reference's extent in a file is the host scan's job
//! (`detect/hosts.rs`); this takes a reference already found.
//!
//! Docker Hub's names are normalised as docker's reference library does
//! (distribution/reference, `ParseNormalizedNamed`): a name whose first component is no host
//! (no `.` or `:`, not `localhost`) is on `docker.io`, a one-component name on Docker Hub is
//! an official image under `library/`, and `index.docker.io` is `docker.io`. regshift also
//! counts `registry-1.docker.io`, the endpoint both names resolve to, as Docker Hub.

/// Docker Hub's canonical host.
pub const DOCKER_HUB: &str = "docker.io";

/// Every spelling of Docker Hub's host.
pub const DOCKER_HUB_HOSTS: &[&str] = &["docker.io", "index.docker.io", "registry-1.docker.io"];

/// The namespace of Docker Hub's official images: `redis` is `docker.io/library/redis`.
pub const OFFICIAL_NAMESPACE: &str = "library";

/// Whether `host` is Docker Hub, in any spelling (ignoring ASCII case).
pub fn is_docker_hub_host(host: &[u8]) -> bool {
    DOCKER_HUB_HOSTS
        .iter()
        .any(|known| host.eq_ignore_ascii_case(known.as_bytes()))
}

/// Whether a name's first component is a registry host, by docker's rule: it holds a `.` or
/// a `:`, is `localhost`, or has an uppercase letter (repository names are lowercase).
pub fn is_registry_component(component: &str) -> bool {
    component.contains(['.', ':'])
        || component == "localhost"
        || component.bytes().any(|byte| byte.is_ascii_uppercase())
}

/// The path of a name without a registry host, on Docker Hub, as components: `bitnami/redis`
/// is `[bitnami, redis]`, `redis` is `[library, redis]` (the official namespace implied).
/// `None` when the name starts with a host, or is not a plain name (empty components,
/// templates, variables, spaces).
pub fn docker_hub_path(name: &str) -> Option<(Vec<&str>, bool)> {
    let components: Vec<&str> = name.split('/').collect();
    let plain = components.iter().all(|component| {
        !component.is_empty()
            && component
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
    });
    if !plain || is_registry_component(components[0]) {
        return None;
    }
    match components.as_slice() {
        [_] => Some((
            std::iter::once(OFFICIAL_NAMESPACE)
                .chain(components)
                .collect(),
            true,
        )),
        _ => Some((components, false)),
    }
}

/// A parsed image reference, borrowing from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'a> {
    reference: &'a str,
    /// Everything before the tag and digest: `registry.k8s.io/pause`, `localhost:5000/a/b`.
    pub name: &'a str,
    /// After the last `:` that follows the last `/` (a `:` before it is a port).
    pub tag: Option<&'a str>,
    /// After the first `@`.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(reference: &'a str) -> ImageRef<'a> {
        let (versioned, digest) = match reference.split_once('@') {
            Some((versioned, digest)) => (versioned, Some(digest)),
            None => (reference, None),
        };
        let slash = versioned.rfind('/').unwrap_or(0);
        let (name, tag) = match versioned[slash..].rfind(':') {
            Some(colon) => (
                &versioned[..slash + colon],
                Some(&versioned[slash + colon + 1..]),
            ),
            None => (versioned, None),
        };
        ImageRef {
            reference,
            name,
            tag,
            digest,
        }
    }

    /// The name and tag, without the digest.
    pub fn without_digest(&self) -> &'a str {
        match self.digest {
            Some(digest) => &self.reference[..self.reference.len() - digest.len() - 1],
            None => self.reference,
        }
    }

    /// The name as kustomize compares it: no tag or digest, the host lowercased.
    pub fn match_key(&self) -> String {
        match self.name.split_once('/') {
            Some((host, path)) => format!("{}/{path}", host.to_ascii_lowercase()),
            None => self.name.to_string(),
        }
    }

    /// Whether the reference names one version: its last path component holds a tag or a
    /// digest. A bare repository (`repository: k8s.gcr.io/x`, the tag in another key) does not.
    pub fn is_pinned(&self) -> bool {
        let last = self.reference.rsplit('/').next().unwrap_or("");
        last.contains(':') || last.contains('@')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tags_and_digests() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let reference = format!("localhost:5000/a/b:v1@{digest}");
        let image = ImageRef::parse(&reference);
        assert_eq!(image.name, "localhost:5000/a/b");
        assert_eq!(image.tag, Some("v1"));
        assert_eq!(image.digest, Some(digest));
        assert_eq!(image.without_digest(), "localhost:5000/a/b:v1");
        assert!(image.is_pinned());
        let port_only = ImageRef::parse("localhost:5000/a/b");
        assert_eq!(
            (port_only.name, port_only.tag),
            ("localhost:5000/a/b", None)
        );
        assert!(!port_only.is_pinned());
    }

    /// The fully qualified name, as docker resolves it (what a move of Docker Hub matches): `bitnami/redis:7` is
    /// `docker.io/bitnami/redis`, `redis` is `docker.io/library/redis`, and
    /// `index.docker.io/bitnami/redis` and `registry-1.docker.io/bitnami/redis` are
    /// `docker.io/bitnami/redis`. Other names keep their host (lowercased).
    fn normalized_name(image: &ImageRef<'_>) -> String {
        if let Some((path, _)) = docker_hub_path(image.name) {
            return format!("{DOCKER_HUB}/{}", path.join("/"));
        }
        match image.name.split_once('/') {
            Some((host, path)) if is_docker_hub_host(host.as_bytes()) => {
                match docker_hub_path(path) {
                    Some((path, _)) => format!("{DOCKER_HUB}/{}", path.join("/")),
                    None => format!("{DOCKER_HUB}/{path}"),
                }
            }
            _ => image.match_key(),
        }
    }

    #[test]
    fn docker_hub_names_are_normalised() {
        for (reference, normalized) in [
            ("bitnami/redis:7.2", "docker.io/bitnami/redis"),
            ("docker.io/bitnami/redis", "docker.io/bitnami/redis"),
            ("index.docker.io/bitnami/redis:7", "docker.io/bitnami/redis"),
            (
                "Registry-1.Docker.IO/bitnami/redis",
                "docker.io/bitnami/redis",
            ),
            ("redis", "docker.io/library/redis"),
            ("redis:7@sha256:abc", "docker.io/library/redis"),
            ("docker.io/redis", "docker.io/library/redis"),
            ("library/redis", "docker.io/library/redis"),
            ("quay.io/bitnami/redis", "quay.io/bitnami/redis"),
            ("localhost/redis", "localhost/redis"),
            ("localhost:5000/redis", "localhost:5000/redis"),
        ] {
            assert_eq!(
                normalized_name(&ImageRef::parse(reference)),
                normalized,
                "{reference}"
            );
        }
    }

    #[test]
    fn docker_hub_paths_only_without_a_host() {
        assert_eq!(
            docker_hub_path("bitnami/redis"),
            Some((vec!["bitnami", "redis"], false))
        );
        assert_eq!(
            docker_hub_path("redis"),
            Some((vec!["library", "redis"], true))
        );
        for name in [
            "quay.io/x/y",
            "localhost/x",
            "host:5000/x",
            "Bitnami/x",
            "a//b",
            "{{ .Values.x }}/y",
            "$REPO/y",
            "",
        ] {
            assert_eq!(docker_hub_path(name), None, "{name}");
        }
        assert!(is_docker_hub_host(b"INDEX.docker.io"));
        assert!(!is_docker_hub_host(b"docker.com"));
        assert!(!is_docker_hub_host(b"mirror.docker.io.example.com"));
    }

    #[test]
    fn match_keys_lowercase_the_host_only() {
        assert_eq!(
            ImageRef::parse("K8S.GCR.IO/Pause:3.9").match_key(),
            "k8s.gcr.io/Pause"
        );
        assert_eq!(
            ImageRef::parse("localhost:5000/a/b@sha256:abc").match_key(),
            "localhost:5000/a/b"
        );
        assert_eq!(ImageRef::parse("pause").match_key(), "pause");
    }
}
