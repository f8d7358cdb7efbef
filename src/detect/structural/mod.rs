//! Fixes that need whole mappings, from one parse of the documents that hold them: image
//! references split across `registry` and `repository` ([`split`], new findings), kubeadm's
//! CoreDNS repository ([`kubeadm`], which replaces the edits of the `imageRepository`
//! finding it belongs to) and kustomize's `images[].name` ([`kustomize`]).

pub mod kubeadm;
pub mod kustomize;
pub mod moved;
pub mod split;

use std::ops::Range;

use memchr::memmem;

use super::Detector;
use super::classify::packaged_note;
use super::hosts::Move;
use super::yaml;
use crate::finding::{Finding, Fix};
use crate::rules::Rule;
use crate::source::SourceFile;

impl Detector {
    /// What needs whole mappings, from one parse: image references split across
    /// `registry` and `repository` (new findings), and kubeadm's CoreDNS repository (which
    /// replaces the edits of the `imageRepository` finding it belongs to).
    pub(super) fn apply_structural_fixes(
        &self,
        source: &SourceFile,
        split: bool,
        may_be_kubeadm: bool,
        findings: &mut Vec<Finding>,
    ) {
        let names_repository = memmem::find(&source.bytes, b"imageRepository").is_some();
        let kubeadm = may_be_kubeadm && source.parses_as_yaml() && names_repository;
        let kustomization = source.origin.kustomization.as_deref();
        if !kubeadm && !split && kustomization.is_none() {
            // A kubeadm configuration in a Markdown code block or a heredoc.
            if names_repository
                && !source.parses_as_yaml()
                && let Ok(text) = std::str::from_utf8(&source.bytes)
            {
                let documents = kubeadm::text_documents(source, text);
                apply_kubeadm_fixes(text, &documents, findings);
            }
            return;
        }
        let Ok(text) = std::str::from_utf8(&source.bytes) else {
            return;
        };
        // Only the documents with a finding: each structural fix rewrites one of them.
        let mut spans: Vec<Range<usize>> = findings
            .iter()
            .map(|finding| finding.range.clone())
            .collect();
        let moves = self.scanner.moves();
        if split {
            // A split pair holds no hit: its documents are those that name a legacy project
            // (or a moved path, or a name without its host).
            for needle in split_needles(moves) {
                spans.extend(
                    memmem::find_iter(&source.bytes, needle.as_bytes())
                        .map(|at| at..at + needle.len()),
                );
            }
        }
        let documents = yaml::documents_holding(text, &spans);
        if split {
            for mut finding in split::split_references(text, &documents, source.carrier, moves) {
                if let Some(packaged) = &source.origin.packaged {
                    finding.fix = None;
                    finding.note = Some(packaged_note(packaged, source, None));
                } else if let Some(history) = source.origin.history {
                    finding.fix = None;
                    finding.note = Some(history.note().to_string());
                }
                // A moved pair is more exact than the swap of its registry value alone (all
                // of Docker Hub before an official image): it takes that finding's place.
                if let Some(other) = findings
                    .iter_mut()
                    .find(|other| other.range.start == finding.range.start)
                {
                    // Only where the swap was fixed as the form says: a refinement that
                    // withheld or downgraded it stands.
                    let same_class = |fix: &Option<Fix>| fix.as_ref().map(|fix| fix.applicability);
                    if other.rule == Rule::RegistryMove
                        && finding.rule == Rule::RegistryMove
                        && other.range == finding.range
                        && other.fix.is_some()
                        && (finding.fix.is_none()
                            || same_class(&finding.fix) == same_class(&other.fix))
                    {
                        *other = finding;
                    }
                    continue;
                }
                findings.push(finding);
            }
        }
        if let Some(bases) = kustomization {
            self.apply_kustomize_names(text, &documents, bases, findings);
        }
        if kubeadm {
            apply_kubeadm_fixes(text, &documents, findings);
        }
    }

    /// Kustomize `images[].name`: swapped with an in-tree base, or kept with a `newName`
    /// inserted beside it (see `kustomize.rs`).
    fn apply_kustomize_names(
        &self,
        text: &str,
        documents: &[yaml::Node],
        bases: &crate::origin::KustomizeBases,
        findings: &mut [Finding],
    ) {
        for name in kustomize::image_names(text, documents, bases, &self.scanner) {
            let Some(finding) = findings
                .iter_mut()
                .find(|finding| finding.range.start == name.hit_start)
            else {
                continue;
            };
            match name.fix {
                kustomize::NameFix::SwapWithBase if finding.fix.is_some() => {
                    finding.note = Some("kustomize matches images[].name against the full image name: a base in this tree uses it, so name and base are rewritten together".into());
                }
                kustomize::NameFix::Insert(edits) => {
                    if let Some(fix) = finding.fix.as_mut()
                        && let Ok(inserted) = Fix::new(edits, fix.applicability)
                    {
                        *fix = inserted;
                        finding.note = Some("kustomize matches images[].name against the full image name, and no base in this tree uses it: name stays, and the fix adds newName to redirect it".into());
                    }
                }
                // The name must keep matching a base outside the tree, and newName already
                // redirects it: this is the state the fix leads to, so it must not fail a build.
                kustomize::NameFix::Keep => {
                    finding.rule = Rule::LegacyMention;
                    finding.fix = None;
                    finding.message = format!(
                        "kustomize images[].name keeps the name the base uses ({}); newName redirects it",
                        finding.matched
                    );
                    finding.note = Some("no fix needed: kustomize matches images[].name against the name the base outside this tree uses, so it stays, and newName already redirects it".into());
                }
                kustomize::NameFix::SwapWithBase => {}
            }
        }
    }
}

/// Whether a YAML file may hold an image reference split across keys (`split.rs`), once the
/// host scan saw a host that may be its registry: the repository names as written.
pub(super) fn may_split(source: &SourceFile, moves: &[Move]) -> bool {
    source.parses_as_yaml()
        && split_needles(moves)
            .iter()
            .any(|needle| memmem::find(&source.bytes, needle.as_bytes()).is_some())
}

/// The names a split repository (or a name without its host) starts with, as written.
fn split_needles(moves: &[Move]) -> Vec<String> {
    split::needles()
        .into_iter()
        .map(str::to_string)
        .chain(moves.iter().flat_map(Move::name_needles))
        .collect()
}

/// kubeadm's CoreDNS repository: its fix replaces the edits of the `imageRepository` finding
/// it belongs to.
fn apply_kubeadm_fixes(text: &str, documents: &[yaml::Node], findings: &mut [Finding]) {
    for fix in kubeadm::repository_fixes(text, documents) {
        let Some(finding) = findings
            .iter_mut()
            .find(|finding| finding.range.start == fix.hit_start)
        else {
            continue;
        };
        let Some(existing) = finding.fix.as_mut() else {
            continue;
        };
        // The CoreDNS insertion may stand above the host (`dns:` before
        // `imageRepository`): the fix orders its edits.
        let Ok(replaced) = Fix::new(fix.edits, existing.applicability) else {
            continue;
        };
        *existing = replaced;
        if let Some(note) = fix.note {
            finding.note = Some(match finding.note.take() {
                Some(previous) => format!("{previous}; {note}"),
                None => note,
            });
        }
    }
}
