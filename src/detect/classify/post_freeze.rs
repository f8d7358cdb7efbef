//! The post-freeze tag (issue 17): after the refinements, a legacy-host image reference (or
//! one on a gcr.io backend that froze with k8s.gcr.io) whose image and tag the table lists as
//! published after the freeze becomes `post-freeze-tag`. The fix, applicability and note stay
//! those of the finding it replaces; only the rule and the message change.

use super::post_freeze_table::{CUT_OFF, IMAGES};
use super::{Hit, Verdict};
use crate::detect::hosts::{HostForm, Position, Shape};
use crate::image_ref::ImageRef;
use crate::rules::{LEGACY_HOST, NEW_HOST, Rule, is_artifact_registry_host};

/// The day `image:tag` was published, if the table lists it as published after the freeze.
pub(crate) fn published_after_freeze(image: &str, tag: &str) -> Option<&'static str> {
    let at = IMAGES
        .binary_search_by(|(name, _)| (*name).cmp(image))
        .ok()?;
    let tags = IMAGES[at].1;
    let at = tags.binary_search_by(|(known, _)| (*known).cmp(tag)).ok()?;
    Some(tags[at].1)
}

/// Whether the hit's form stopped receiving images when k8s.gcr.io froze: k8s.gcr.io itself
/// and its {us,eu,asia}.gcr.io/k8s-artifacts-prod backends. The Artifact Registry backends
/// still receive every promotion, and the old gcr.io project froze years earlier, under a
/// path of its own.
fn froze_with_k8s_gcr_io(cx: &Hit<'_>) -> bool {
    match cx.hit.form {
        HostForm::Builtin(Rule::LegacyHost) => true,
        HostForm::Builtin(Rule::LegacyBackend) => {
            let host = cx.matched.split('/').next().unwrap_or_default();
            !is_artifact_registry_host(host.as_bytes())
        }
        _ => false,
    }
}

/// The reference after the matched host (and project prefix): `kube-apiserver:v1.27.2`.
fn image_path(cx: &Hit<'_>) -> Option<String> {
    let bytes = &cx.source.bytes;
    let rest = bytes.get(cx.hit.range.end..cx.hit.reference.end)?;
    let rest = String::from_utf8_lossy(rest).replace("\\/", "/");
    rest.strip_prefix('/').map(str::to_string)
}

/// The stage itself: see the module's documentation.
pub(super) fn post_freeze_tag(cx: &Hit<'_>, verdict: &mut Verdict) {
    let image_reference = cx.hit.position == Position::Registry && cx.hit.shape == Shape::Image;
    if !image_reference || verdict.rule != cx.hit.form.rule() || !froze_with_k8s_gcr_io(cx) {
        return;
    }
    let Some(path) = image_path(cx) else {
        return;
    };
    let image = ImageRef::parse(&path);
    let Some(tag) = image.tag else {
        return;
    };
    let Some(published) = published_after_freeze(image.name, tag) else {
        return;
    };
    let consequence = if cx.hit.form == HostForm::Builtin(Rule::LegacyHost) {
        format!(
            "it never existed on {LEGACY_HOST} and resolves only through the redirect to {NEW_HOST}"
        )
    } else {
        format!(
            "it was never pushed to {}, a backend that froze with {LEGACY_HOST}",
            cx.host
        )
    };
    verdict.rule = Rule::PostFreezeTag;
    verdict.message = format!(
        "{}:{tag} was published on {published}, after {LEGACY_HOST} froze ({CUT_OFF}): {consequence}",
        image.name
    );
}
