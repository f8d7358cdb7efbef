//! `regshift images`: the mirroring plan. Every legacy image reference found (with its tag or
//! digest) becomes one entry keyed by its registry.k8s.io name, so two spellings of one image
//! (`k8s.gcr.io/pause:3.9`, `eu.gcr.io/k8s-artifacts-prod/pause:3.9`) are one image to mirror.
//! With `--mirror HOST`, one `crane copy` line per image copies it from registry.k8s.io into
//! a private registry.
//!
//! Templated references (`k8s.gcr.io/pause:{{ .Values.tag }}`) name no single image and are
//! left out; images from the old gcr.io project are marked unverified (they may be missing on
//! registry.k8s.io).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use crate::cli::ImagesFormat;
use crate::finding::Finding;
use crate::image_ref::ImageRef;
use crate::report::{FileReport, Reporter, RunReport};
use crate::rules::{NEW_HOST, Treatment};
use crate::settings::ImagesOptions;

#[derive(Debug, Default)]
struct Image {
    legacy: Vec<String>,
    unverified: bool,
    used_in: Vec<(String, usize)>,
}

/// Collects images from every file; prints the plan at the end.
pub struct ImagesReporter {
    options: ImagesOptions,
    images: BTreeMap<String, Image>,
}

impl ImagesReporter {
    pub fn new(options: ImagesOptions) -> ImagesReporter {
        ImagesReporter {
            options,
            images: BTreeMap::new(),
        }
    }
}

/// The legacy reference and its new name, for a finding that pulls one image: a built-in
/// host form that the catalogue rewrites, with a tag or digest and no template or variable.
pub fn image_of(finding: &Finding) -> Option<(String, String)> {
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
        && path.starts_with('/')
        && !path.ends_with(['/', ':', '@'])
        && ImageRef::parse(path).is_pinned()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:@".contains(c));
    complete.then(|| (reference.clone(), format!("{to}{path}")))
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
}

#[derive(Serialize)]
struct JsonUse<'a> {
    path: &'a str,
    line: usize,
}

impl Reporter for ImagesReporter {
    fn file(&mut self, _out: &mut dyn Write, file: &FileReport) -> io::Result<()> {
        for finding in &file.findings {
            let Some((legacy, image)) = image_of(finding) else {
                continue;
            };
            let entry = self.images.entry(image).or_default();
            if !entry.legacy.contains(&legacy) {
                entry.legacy.push(legacy);
            }
            entry.unverified |= !is_guaranteed(finding);
            entry
                .used_in
                .push((file.path.to_string(), finding.location.line));
        }
        Ok(())
    }

    fn end(&mut self, out: &mut dyn Write, _run: &RunReport) -> io::Result<()> {
        for image in self.images.values_mut() {
            image.legacy.sort();
        }
        let mirror = self.options.mirror.as_deref();
        match self.options.format {
            ImagesFormat::Json => {
                let document = JsonImages {
                    version: 1,
                    images: self
                        .images
                        .iter()
                        .map(|(image, found)| JsonImage {
                            image,
                            legacy: &found.legacy,
                            unverified: found.unverified,
                            mirror: mirror.map(|host| crane_copy(image, host)),
                            used_in: found
                                .used_in
                                .iter()
                                .map(|(path, line)| JsonUse { path, line: *line })
                                .collect(),
                        })
                        .collect(),
                };
                serde_json::to_writer_pretty(&mut *out, &document)?;
                writeln!(out)
            }
            ImagesFormat::Text => match mirror {
                // A script: one line per image, nothing else on stdout.
                Some(host) => {
                    for image in self.images.keys() {
                        writeln!(out, "{}", crane_copy(image, host))?;
                    }
                    Ok(())
                }
                None => {
                    for (image, found) in &self.images {
                        let unverified = if found.unverified {
                            "  (unverified: old gcr.io project)"
                        } else {
                            ""
                        };
                        writeln!(out, "{image}{unverified}")?;
                        for legacy in &found.legacy {
                            writeln!(out, "  was {legacy}")?;
                        }
                        for (path, line) in &found.used_in {
                            writeln!(out, "  used in {path}:{line}")?;
                        }
                    }
                    Ok(())
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
