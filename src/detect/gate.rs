//! The byte gate: whether a file holds any needle at all, ignoring ASCII case. Most files of a
//! tree end here, so this is the loop that decides regshift's speed against ripgrep.
//!
//! A case-insensitive automaton cannot use the fast SIMD searchers: the case variants of
//! `docker.pkg.dev` alone are thousands of patterns, and aho-corasick falls back to a rare-byte
//! prefilter that a `.` in every other line defeats (measured: 840 MB/s). So the gate
//! lowercases the file in small blocks that stay in cache and runs memchr's SIMD substring
//! search for each lowercase needle over each block; blocks overlap by a needle's length so no
//! match is cut in two. The host scan and the split-reference check use the same search.

use std::ops::ControlFlow;

use memchr::memmem::Finder;

/// Bytes lowercased and searched at a time: small enough for the L1/L2 cache.
const BLOCK: usize = 16 * 1024;
/// The block for short haystacks (a key, a value): one block, cheap to set up.
const SMALL_BLOCK: usize = 256;

/// Substring search for several needles ignoring ASCII case, a cache-sized lowercase block at
/// a time: no copy of the whole haystack, and no allocation. The byte gate is one, over the
/// host needles and the suppression marker.
#[derive(Debug, Clone)]
pub struct CaselessSearch {
    needles: Vec<Finder<'static>>,
    /// Length of the longest needle: blocks overlap by one byte less.
    longest: usize,
}

impl CaselessSearch {
    pub fn new<I, N>(needles: I) -> CaselessSearch
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        let needles: Vec<Vec<u8>> = needles
            .into_iter()
            .map(|needle| needle.as_ref().to_ascii_lowercase())
            .filter(|needle| !needle.is_empty())
            .collect();
        let longest = needles.iter().map(Vec::len).max().unwrap_or(1);
        let needles = needles
            .iter()
            .map(|needle| Finder::new(needle).into_owned())
            .collect();
        CaselessSearch { needles, longest }
    }

    /// The length of the longest needle.
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// Lengths of the needles, by index.
    pub fn needle_len(&self, index: usize) -> usize {
        self.needles[index].needle().len()
    }

    /// Call `found(start, needle index)` for every match in `bytes`, overlapping matches
    /// included, block by block (within a block, needle by needle); stops when `found` breaks.
    /// Each match is reported once.
    pub fn for_each(
        &self,
        bytes: &[u8],
        found: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        if self.needles.is_empty() {
            return ControlFlow::Continue(());
        }
        // Keys and values of YAML documents are searched too, many per file: they must not
        // pay for zeroing a whole block.
        if bytes.len() <= SMALL_BLOCK {
            self.search_blocks(bytes, &mut [0u8; SMALL_BLOCK], found)
        } else {
            self.search_blocks(bytes, &mut [0u8; BLOCK], found)
        }
    }

    /// [`Self::for_each`] with blocks of `block.len()` bytes.
    fn search_blocks(
        &self,
        bytes: &[u8],
        block: &mut [u8],
        mut found: impl FnMut(usize, usize) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        // Blocks overlap by the longest needle less one byte. A haystack that fits in one
        // block never steps, whatever the needles' length.
        let step = block.len().saturating_sub(self.longest - 1).max(1);
        let mut start = 0;
        loop {
            let end = (start + block.len()).min(bytes.len());
            let lower = &mut block[..end - start];
            // One pass that copies and lowercases, branch-free so that it vectorises.
            for (lower, &byte) in lower.iter_mut().zip(&bytes[start..end]) {
                *lower = byte | (u8::from(byte.wrapping_sub(b'A') < 26) << 5);
            }
            let last = end == bytes.len();
            for (index, needle) in self.needles.iter().enumerate() {
                // Every match, overlapping ones too (`find_iter` skips those): a needle with a
                // border (`regshift:ignore` ends as it starts) can match twice in `…ignoregshift:…`.
                let mut from = 0;
                while let Some(found_at) = needle.find(&lower[from..]) {
                    let at = from + found_at;
                    // A match that starts in the overlap is the next block's.
                    if !last && at >= step {
                        break;
                    }
                    found(start + at, index)?;
                    from = at + 1;
                }
            }
            if last {
                return ControlFlow::Continue(());
            }
            start += step;
        }
    }

    /// Whether `bytes` holds any needle.
    pub fn is_match(&self, bytes: &[u8]) -> bool {
        self.for_each(bytes, |_, _| ControlFlow::Break(()))
            .is_break()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_match_in_any_case_and_across_blocks() {
        let gate = CaselessSearch::new(["gcr.io", "docker.pkg.dev", "regshift:ignore"]);
        assert!(!gate.is_match(b""));
        assert!(!gate.is_match(b"gcr.i0 docker.pkg.de"));
        assert!(gate.is_match(b"image: K8S.GCR.IO/pause"));
        assert!(gate.is_match(b"us-Docker.Pkg.Dev/x"));
        assert!(gate.is_match(b"# REGSHIFT:IGNORE"));
        // A needle at every offset around each block boundary.
        for offset in BLOCK - 20..BLOCK + 20 {
            for at in [offset, 2 * BLOCK - 13 + offset % 7] {
                let mut bytes = vec![b'x'; 3 * BLOCK];
                bytes[at..at + 14].copy_from_slice(b"Docker.pkg.dev");
                assert!(gate.is_match(&bytes), "needle at {at}");
                bytes[at + 13] = b'x';
                assert!(!gate.is_match(&bytes), "broken needle at {at}");
            }
        }
    }

    #[test]
    fn caseless_search_reports_every_match_once_across_blocks() {
        let search = CaselessSearch::new(["gcr.io", "docker.pkg.dev"]);
        let mut bytes = vec![b'x'; 3 * BLOCK + 100];
        let mut expected = Vec::new();
        for at in [
            0,
            8,
            BLOCK - 20,
            BLOCK - 14,
            BLOCK - 6,
            BLOCK + 3,
            2 * BLOCK - 27,
            3 * BLOCK + 94,
        ] {
            bytes[at..at + 6].copy_from_slice(b"GcR.io");
            expected.push((at, 0));
        }
        bytes[2 * BLOCK - 10..2 * BLOCK + 4].copy_from_slice(b"DOCKER.pkg.dev");
        expected.push((2 * BLOCK - 10, 1));
        let mut found = Vec::new();
        let flow = search.for_each(&bytes, |at, index| {
            found.push((at, index));
            ControlFlow::Continue(())
        });
        assert!(flow.is_continue());
        found.sort_unstable();
        expected.sort_unstable();
        assert_eq!(found, expected);
    }

    #[test]
    fn one_byte_needles_and_non_ascii_bytes() {
        let gate = CaselessSearch::new(["é", "Z"]);
        assert!(gate.is_match("café".as_bytes()));
        assert!(gate.is_match(b"zz"));
        assert!(!gate.is_match("CAFÉ".as_bytes()), "only ASCII folds");
    }
}
