//! gcloud's commands for Google's registries (`gcloud container images …`, `gcloud artifacts
//! docker …`): they work only against Google Container Registry and Artifact Registry, so a
//! reference on such a line gets no fix. registry.k8s.io is neither; the note names what does
//! the same job there (kubernetes/registry.k8s.io#128: use `crane ls`).

use regex::bytes::Captures;

/// What a Google-only registry command does, which decides its registry.k8s.io equivalent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcrVerb {
    /// `container images list-tags`, `artifacts docker tags list`, `artifacts docker images
    /// list`: an image's tags and digests.
    ListTags,
    /// `container images list`: the images of a repository.
    ListImages,
    /// `container images describe`, `artifacts docker images describe`: one image's digest and
    /// manifest.
    Describe,
    /// `delete`, `untag`, `add-tag`, `tags add`: a write.
    Write,
}

/// The line pattern: gcloud (maybe `alpha`/`beta`, maybe global flags), the command group and
/// the verb, then anything up to the hit within the same command.
pub(super) const PATTERN: &str = r#"\bgcloud\s+(?:(?:alpha|beta)\s+)?(?:--\S+\s+)*(container\s+images|artifacts\s+docker\s+images|artifacts\s+docker\s+tags)\s+(list-tags|describe|delete|list|untag|add-tag|add)\s[^|;&]*$"#;

/// The command as written (whitespace normalised) and what it does, from [`PATTERN`]'s
/// captures; `None` for a verb the group does not have.
pub(super) fn command(captures: &Captures<'_>) -> Option<(String, GcrVerb)> {
    let group = String::from_utf8_lossy(&captures[1])
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let verb = String::from_utf8_lossy(&captures[2]).into_owned();
    let action = match (group.as_str(), verb.as_str()) {
        ("container images", "list-tags")
        | ("artifacts docker images", "list")
        | ("artifacts docker tags", "list") => GcrVerb::ListTags,
        ("container images", "list") => GcrVerb::ListImages,
        ("container images" | "artifacts docker images", "describe") => GcrVerb::Describe,
        ("container images", "delete" | "untag" | "add-tag")
        | ("artifacts docker images", "delete")
        | ("artifacts docker tags", "add" | "delete") => GcrVerb::Write,
        _ => return None,
    };
    Some((format!("gcloud {group} {verb}"), action))
}

impl GcrVerb {
    /// Why a reference on the command gets no fix, and what does the same on registry.k8s.io;
    /// `image` is the reference with the new registry (`registry.k8s.io/pause:3.9`), or the
    /// new registry alone.
    pub fn note(self, command: &str, image: &str) -> String {
        let image = image.trim_end_matches('/');
        let repository = crate::image_ref::ImageRef::parse(image).name;
        let repository = if repository.contains('/') {
            repository.to_string()
        } else {
            format!("{}/<image>", repository.trim_end_matches('/'))
        };
        let new_host = crate::rules::NEW_HOST;
        let equivalent = match self {
            GcrVerb::ListTags => {
                format!("list the tags on {new_host} with `crane ls {repository}`")
            }
            GcrVerb::ListImages => format!(
                "{new_host} serves no catalog of its images: list one image's tags with `crane ls {}/<image>`",
                image.trim_end_matches("/<image>")
            ),
            GcrVerb::Describe => {
                let reference = if image.contains('/') {
                    image.to_string()
                } else {
                    repository
                };
                format!(
                    "read the manifest on {new_host} with `crane manifest {reference}` (the digest with `crane digest {reference}`)"
                )
            }
            GcrVerb::Write => format!(
                "{new_host} takes no writes: images reach it only through the image promoter (kubernetes/k8s.io)"
            ),
        };
        format!(
            "no automatic fix: `{command}` works only against Google's registries, which {new_host} is not; {equivalent}"
        )
    }
}
