//! `regshift images`: the mirroring plan. Every legacy image reference found (with its tag or
//! digest) becomes one entry keyed by its registry.k8s.io name, so two spellings of one image
//! (`k8s.gcr.io/pause:3.9`, `eu.gcr.io/k8s-artifacts-prod/pause:3.9`) are one image to mirror.
//! With `--mirror HOST`, one `crane copy` line per image copies it from registry.k8s.io into
//! a private registry.
//!
//! Templated references (`k8s.gcr.io/pause:{{ .Values.tag }}`) name no single image and are
//! left out; images from the old gcr.io project are marked unverified (they may be missing on
//! registry.k8s.io). References that a configured `[[move]]` rewrites are entries under the
//! move's target name (they get no `crane copy` line: the move is the user's own).
//!
//! With `--verify`, [`verify`] asks the registry each image will be pulled from (`registry/`)
//! before rendering, and the plan gains a status per image.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::cli::ImagesFormat;
use crate::finding::Finding;
use crate::image_ref::ImageRef;
use crate::registry::{self, Status, Verification};
use crate::report::{FileReport, Reporter, RunReport};
use crate::rules::{NEW_HOST, Rule, Treatment};
use crate::settings::ImagesOptions;

#[derive(Debug, Default)]
struct Image {
    legacy: Vec<String>,
    unverified: bool,
    /// Moved by a `[[move]]` of the configuration, not to registry.k8s.io.
    moved: bool,
    used_in: Vec<(String, usize)>,
}

/// One image's check, by its name in the plan.
pub type Verified = BTreeMap<String, Verification>;

/// Collects images from every file; prints the plan at the end.
pub struct ImagesReporter {
    options: ImagesOptions,
    images: BTreeMap<String, Image>,
    verified: Option<Verified>,
}

impl ImagesReporter {
    /// The plan's renderer; `verified` holds the checks of `--verify`.
    pub fn new(options: ImagesOptions, verified: Option<Verified>) -> ImagesReporter {
        ImagesReporter {
            options,
            images: BTreeMap::new(),
            verified,
        }
    }
}

/// One image of the plan, as a finding names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The reference as written.
    pub legacy: String,
    /// Its name after the migration.
    pub image: String,
    /// Moved by a configured `[[move]]`.
    pub moved: bool,
}

/// The image a finding pulls: a built-in host form that the catalogue rewrites, or a
/// configured move that the finding's fix rewrites, with a tag or digest and no template or
/// variable.
pub fn image_of(finding: &Finding) -> Option<Planned> {
    if finding.rule == Rule::RegistryMove {
        return moved_image_of(finding);
    }
    let Treatment::Rewrite { to, .. } = &finding.rule.host()?.treatment else {
        return None;
    };
    let reference = finding.reference.replace("\\/", "/");
    let matched = finding.matched.replace("\\/", "/");
    let prefix = reference.get(..matched.len())?;
    if !prefix.eq_ignore_ascii_case(&matched) {
        return None;
    }
    let path = &reference[matched.len()..];
    // One image: a path with a tag or a digest, no template or variable in it. A bare
    // repository (`repository: k8s.gcr.io/x` with the tag in another key) names no version.
    let complete = path.len() > 1
        && !built_at_run_time(finding)
        && path.starts_with('/')
        && !path.ends_with(['/', ':', '@'])
        && ImageRef::parse(path).is_pinned()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:@".contains(c));
    complete.then(|| Planned {
        legacy: reference.clone(),
        image: format!("{to}{path}"),
        moved: false,
    })
}

/// Whether the code around the reference goes on building it: the string ends and is joined
/// or formatted (`'…:v' + version`, `"…etcd:3.4.13-" + suffix`, `"…:%s" % v`,
/// `"…:{}".format(v)`), or a format verb or placeholder follows (`fmt.Sprintf("…:v%s", v)`,
/// `f"…:v{version}"`). The reference then holds only the start of a tag (`:v`, `:3.4.13`), which
/// names no image to copy.
fn built_at_run_time(finding: &Finding) -> bool {
    let excerpt = &finding.excerpt;
    let Some(after) = excerpt
        .text
        .get(excerpt.span.start..)
        .and_then(|from_host| from_host.get(finding.reference.len()..))
    else {
        return false;
    };
    // Separators a reference may not end with (`etcd:3.4.13-`) belong to what is built.
    let after = after.trim_start_matches(['.', '-', '_', '/', ':']);
    let mut chars = after.chars();
    match chars.next() {
        Some('%') => chars
            .next()
            .is_some_and(|next| next.is_ascii_alphabetic() || next == '('),
        Some('{') => true,
        Some('\'' | '"' | '`') => {
            let rest = chars.as_str().trim_start();
            rest.starts_with(['+', '%']) || rest.starts_with(".format") || rest.starts_with("..")
        }
        _ => false,
    }
}

/// A move's image: the edit of its fix that replaces the matched bytes says where it goes
/// (a move reported without a fix names no destination and is left out).
fn moved_image_of(finding: &Finding) -> Option<Planned> {
    let edit = finding
        .fix
        .as_ref()?
        .edits()
        .iter()
        .find(|edit| edit.range == finding.range)?;
    let rest = finding.reference.strip_prefix(finding.matched.as_str())?;
    let image = format!("{}{rest}", edit.replacement);
    let complete = ImageRef::parse(&image).is_pinned()
        && registry::Target::parse(&image).is_some()
        && !image.ends_with([':', '@']);
    complete.then(|| Planned {
        legacy: finding.reference.clone(),
        image,
        moved: true,
    })
}

/// The reference `--verify` asks for: the image itself, or with `--mirror` its copy there
/// (a moved image stays at its move's target). A pinned image is checked by its digest.
pub fn verify_target(image: &str, moved: bool, mirror: Option<&str>) -> String {
    let name = match mirror {
        Some(mirror) if !moved => {
            let path = image
                .strip_prefix(NEW_HOST)
                .unwrap_or(image)
                .trim_start_matches('/');
            format!("{}/{path}", mirror.trim_end_matches('/'))
        }
        _ => image.to_string(),
    };
    let parsed = ImageRef::parse(&name);
    match parsed.digest {
        Some(digest) => format!("{}@{digest}", parsed.name),
        None => name,
    }
}

/// The plan's images from every report: what `--verify` checks.
fn plan(reports: &[FileReport]) -> BTreeMap<String, Image> {
    let mut images = BTreeMap::new();
    for report in reports {
        collect(&mut images, report);
    }
    images
}

fn collect(images: &mut BTreeMap<String, Image>, file: &FileReport) {
    for finding in &file.findings {
        let Some(planned) = image_of(finding) else {
            continue;
        };
        let entry: &mut Image = images.entry(planned.image).or_default();
        if !entry.legacy.contains(&planned.legacy) {
            entry.legacy.push(planned.legacy);
        }
        entry.unverified |= !planned.moved && !is_guaranteed(finding);
        entry.moved |= planned.moved;
        entry
            .used_in
            .push((file.path.to_string(), finding.location.line));
    }
}

/// `--verify`: check every image of the plan on the registry it will be pulled from.
/// `on_done` runs after each check (a progress bar).
pub fn verify(
    options: &ImagesOptions,
    reports: &[FileReport],
    on_done: &(dyn Fn() + Sync),
) -> Option<Verified> {
    let verify = options.verify.as_ref()?;
    let images = plan(reports);
    let targets: Vec<String> = images
        .iter()
        .map(|(image, found)| verify_target(image, found.moved, options.mirror.as_deref()))
        .collect();
    let results = registry::verify_all(&targets, verify, on_done);
    Some(images.into_keys().zip(results).collect())
}

/// How many images of a plan `--verify` found missing, and how many it could not check.
pub fn verify_counts(verified: &Verified) -> (usize, usize) {
    let count = |status| {
        verified
            .values()
            .filter(|check| check.status == status)
            .count()
    };
    (count(Status::Missing), count(Status::Error))
}

/// Whether the Kubernetes project guarantees a finding's image on the new host (the old
/// gcr.io project's images may be missing there).
fn is_guaranteed(finding: &Finding) -> bool {
    finding.rule.host().is_some_and(|host| {
        matches!(
            host.treatment,
            Treatment::Rewrite {
                guaranteed: true,
                ..
            }
        )
    })
}

/// `crane copy SOURCE DESTINATION` for one image: the source keeps its tag and digest; the
/// destination takes the tag, or the digest when there is no tag.
pub fn crane_copy(image: &str, mirror: &str) -> String {
    let path = image
        .strip_prefix(NEW_HOST)
        .unwrap_or(image)
        .trim_start_matches('/');
    let parsed = ImageRef::parse(path);
    let mirror = mirror.trim_end_matches('/');
    let destination = match (parsed.tag, parsed.digest) {
        (None, Some(digest)) => format!("{mirror}/{}@{digest}", parsed.without_digest()),
        _ => format!("{mirror}/{}", parsed.without_digest()),
    };
    format!("crane copy {image} {destination}")
}

#[derive(Serialize)]
struct JsonImages<'a> {
    version: u32,
    images: Vec<JsonImage<'a>>,
}

#[derive(Serialize)]
struct JsonImage<'a> {
    image: &'a str,
    legacy: &'a [String],
    unverified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    mirror: Option<String>,
    used_in: Vec<JsonUse<'a>>,
    /// With `--verify` only: `{target, status, digest, error}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<&'a Verification>,
}

#[derive(Serialize)]
struct JsonUse<'a> {
    path: &'a str,
    line: usize,
}

impl Reporter for ImagesReporter {
    fn file(&mut self, _out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        collect(&mut self.images, file);
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, _run: &RunReport) -> io::Result<()> {
        for image in self.images.values_mut() {
            image.legacy.sort();
        }
        match (self.options.format, self.options.mirror.as_deref()) {
            (ImagesFormat::Json, _) => self.render_json(out),
            // With --verify, the table with its status column, mirror or not.
            (ImagesFormat::Text, _) if self.verified.is_some() => self.render_table(out),
            // A script: one line per image, nothing else on stdout.
            (ImagesFormat::Text, Some(host)) => {
                for (image, found) in &self.images {
                    if !found.moved {
                        writeln!(out, "{}", crane_copy(image, host))?;
                    }
                }
                Ok(())
            }
            (ImagesFormat::Text, None) => self.render_table(out),
        }
    }
}

impl ImagesReporter {
    fn render_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let mirror = self.options.mirror.as_deref();
        let verified = self.verified.as_ref();
        let document = JsonImages {
            version: 1,
            images: self
                .images
                .iter()
                .map(|(image, found)| JsonImage {
                    image,
                    legacy: &found.legacy,
                    unverified: found.unverified,
                    mirror: mirror
                        .filter(|_| !found.moved)
                        .map(|host| crane_copy(image, host)),
                    used_in: found
                        .used_in
                        .iter()
                        .map(|(path, line)| JsonUse { path, line: *line })
                        .collect(),
                    verify: verified.and_then(|verified| verified.get(image)),
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }

    /// Each image, its old spellings and its uses; with `--verify`, a status column first
    /// and the reference checked with its digest or why it could not be checked.
    fn render_table(&self, out: &mut dyn Write) -> io::Result<()> {
        for (image, found) in &self.images {
            let unverified = if found.unverified && self.verified.is_none() {
                "  (unverified: old gcr.io project)"
            } else {
                ""
            };
            let check = self
                .verified
                .as_ref()
                .and_then(|verified| verified.get(image));
            match check {
                Some(check) => writeln!(out, "{:<8} {image}", check.status.as_str())?,
                None => writeln!(out, "{image}{unverified}")?,
            }
            if let Some(check) = check {
                let detail = match (&check.error, &check.digest) {
                    (Some(error), _) => format!(": {error}"),
                    (None, Some(digest)) => format!(" {digest}"),
                    (None, None) => String::new(),
                };
                writeln!(out, "  checked {}{detail}", check.target)?;
            }
            for legacy in &found.legacy {
                writeln!(out, "  was {legacy}")?;
            }
            for (path, line) in &found.used_in {
                writeln!(out, "  used in {path}:{line}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn verify_targets_follow_the_pull() {
        // No mirror: registry.k8s.io itself, a pinned image by its digest.
        assert_eq!(
            verify_target("registry.k8s.io/pause:3.9", false, None),
            "registry.k8s.io/pause:3.9"
        );
        assert_eq!(
            verify_target(&format!("registry.k8s.io/a/b:v1@{DIGEST}"), false, None),
            format!("registry.k8s.io/a/b@{DIGEST}")
        );
        // A mirror: the copy there, under the same path.
        assert_eq!(
            verify_target(
                "registry.k8s.io/pause:3.9",
                false,
                Some("127.0.0.1:5000/k8s/")
            ),
            "127.0.0.1:5000/k8s/pause:3.9"
        );
        assert_eq!(
            verify_target(
                &format!("registry.k8s.io/a@{DIGEST}"),
                false,
                Some("m.example")
            ),
            format!("m.example/a@{DIGEST}")
        );
        // A move's target is where the image is pulled from, mirror or not.
        assert_eq!(
            verify_target("registry.example.com/team/app:1.2", true, Some("m.example")),
            "registry.example.com/team/app:1.2"
        );
        let target =
            registry::Target::parse(&verify_target("registry.k8s.io/pause:3.9", false, None));
        assert_eq!(target.map(|target| target.host), Some(NEW_HOST.to_string()));
    }

    #[test]
    fn crane_lines_keep_digests() {
        assert_eq!(
            crane_copy("registry.k8s.io/pause:3.9", "registry.example.com"),
            "crane copy registry.k8s.io/pause:3.9 registry.example.com/pause:3.9"
        );
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            crane_copy(
                &format!("registry.k8s.io/ingress-nginx/controller@{digest}"),
                "mirror.example/k8s/"
            ),
            format!(
                "crane copy registry.k8s.io/ingress-nginx/controller@{digest} mirror.example/k8s/ingress-nginx/controller@{digest}"
            )
        );
        assert_eq!(
            crane_copy(
                &format!("registry.k8s.io/ingress-nginx/controller:v1.2.1@{digest}"),
                "m.example"
            ),
            format!(
                "crane copy registry.k8s.io/ingress-nginx/controller:v1.2.1@{digest} m.example/ingress-nginx/controller:v1.2.1"
            )
        );
    }
}
