//! Image references as text, `[registry/]path[:tag][@digest]`, split into their parts: the one
//! parser for names, tags and digests (kustomize's name keys, the mirroring plan, `crane
//! copy` destinations). Finding a reference's extent in a file is the host scan's job
//! (`detect/hosts.rs`); this takes a reference already found.

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
