//! Maps keyed by full image names (`"k8s.gcr.io/pause:3.9": "mirror.example.com/pause:3.9"`, a
//! values file's `images:` keyed by image): a key that is exactly one image reference of a
//! moved form follows the migration, unless its mapping already holds the key it would become.
//! Keys that are a bare host (`mirrors: {k8s.gcr.io: …}`) are namespaces, not images.

use super::ImageKey;
use crate::detect::hosts::{HostHit, HostScanner, Position, Shape, contains_host};

/// What one mapping's keys say about renaming its image keys: collected while its keys are
/// read, settled when it ends (a key it would collide with may come after it).
#[derive(Debug, Default)]
pub(super) struct MapKeys {
    /// The pending hits of the image keys (by index), with the key each becomes (lowercase).
    image_keys: Vec<(usize, String)>,
    /// Keys without a legacy host that name a destination (lowercase): what an image key
    /// could collide with.
    destination_keys: Vec<String>,
}

impl MapKeys {
    /// An image key with its pending hit, and the key it becomes.
    pub(super) fn add_image_key(&mut self, pending: usize, renamed: String) {
        self.image_keys
            .push((pending, renamed.to_ascii_lowercase()));
    }

    /// A key without a hit: kept if it could be what an image key becomes (it names a
    /// destination and has a path).
    pub(super) fn add_other_key(&mut self, key: &str, scanner: &HostScanner) {
        if !key.contains('/') {
            return;
        }
        let bytes = key.as_bytes();
        let names_destination = contains_host(bytes, crate::detect::hosts::NEW_HOST)
            || scanner
                .moves()
                .iter()
                .any(|moved| contains_host(bytes, &moved.to.to_ascii_lowercase()));
        if names_destination {
            self.destination_keys.push(key.to_ascii_lowercase());
        }
    }

    /// How each image key of the ended mapping is renamed, by pending index: it collides when
    /// the mapping holds the key it becomes, or another image key becomes the same.
    pub(super) fn settle(self) -> impl Iterator<Item = (usize, ImageKey)> {
        let MapKeys {
            image_keys,
            destination_keys,
        } = self;
        let outcomes: Vec<(usize, ImageKey)> = image_keys
            .iter()
            .map(|(pending, renamed)| {
                let taken = destination_keys.contains(renamed)
                    || image_keys
                        .iter()
                        .filter(|(_, other)| other == renamed)
                        .count()
                        > 1;
                let outcome = if taken {
                    ImageKey::Collides
                } else {
                    ImageKey::Renamable
                };
                (*pending, outcome)
            })
            .collect();
        outcomes.into_iter()
    }
}

/// The key `key` becomes when its one hit, which must make it exactly one image reference of a
/// moved form, is rewritten; `None` for any other key.
pub(super) fn renamed_image_key(key: &str, scanner: &HostScanner) -> Option<String> {
    let hits = scanner.scan(key.as_bytes());
    let hit = whole_image(key, &hits)?;
    let destination = hit.form.destination(scanner.moves())?;
    Some(format!(
        "{}{destination}{}",
        &key[..hit.range.start],
        &key[hit.range.end..]
    ))
}

/// The hit of a key that is exactly one image reference (host and path, nothing around it) of
/// a form that is rewritten.
pub(super) fn whole_image<'h>(key: &str, hits: &'h [HostHit]) -> Option<&'h HostHit> {
    let [hit] = hits else {
        return None;
    };
    let whole = hit.shape == Shape::Image
        && hit.position == Position::Registry
        && hit.reference == (0..key.len())
        && hit.form.is_moved();
    whole.then_some(hit)
}
