//! The paths a git index (`.git/index`) tracks, read from the file itself: running `git` could
//! run a program the repository's configuration names (`core.fsmonitor`), so it is never run.
//!
//! Git's index format ("DIRC"), versions 2, 3 (extended flags) and 4 (path names
//! prefix-compressed against the previous entry), with SHA-1 or SHA-256 object names. A split
//! index (`git update-index --split-index`: a `link` extension naming a shared index) is read
//! with its shared index, less the entries its deletion bitmap removes. Only paths are read:
//! stat data, object names and the other extensions are skipped, and the trailing checksum is
//! not verified (the structure is: every length and offset is checked, so a truncated or
//! corrupt file is an error, never a panic or a wrong path list).
//!
//! Kept: every entry that names a file or a symlink, at any merge stage, including entries
//! marked skip-worktree or intent-to-add (whether such a file is there is the work tree's to
//! say). Left out: submodules (gitlinks) and a sparse index's directory entries, which name
//! folders, not files, and paths git never writes (absolute, or with an empty, `.` or `..`
//! component), which only a crafted index holds.

use std::ops::Range;
use std::path::Path;

/// The paths of an index's file entries, in the index's order (sorted by bytes), without
/// duplicates (the stages of a conflicted path are one path).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TrackedPaths {
    /// The index's paths, one after the other (those left out too: no copy is made).
    names: Vec<u8>,
    /// Where each kept path lies in `names`.
    kept: Vec<Range<usize>>,
}

impl TrackedPaths {
    /// Each tracked path, relative to the work tree, `/`-separated, as the raw bytes git keeps.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.kept.iter().map(|range| &self.names[range.clone()])
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

/// Why an index could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot read {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("not a git index: {0}")]
    Malformed(&'static str),
    #[error("git index version {0} is not supported")]
    UnsupportedVersion(u32),
}

/// The tracked paths of the index file at `path`, with its shared index if it is split.
pub fn read_index(path: &Path) -> Result<TrackedPaths, IndexError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|error| IndexError::Io {
            path: path.display().to_string(),
            error,
        })
    };
    let index = parse(&read(path)?)?;
    let Some(link) = &index.link else {
        let kept = tracked(
            &index.names,
            index
                .entries
                .iter()
                .map(|entry| (entry.mode, entry.name.clone())),
        );
        return Ok(TrackedPaths {
            names: index.names,
            kept,
        });
    };
    let shared_name = format!("sharedindex.{}", hex(&link.shared));
    let shared_path = path.parent().unwrap_or(Path::new("")).join(shared_name);
    let shared = parse(&read(&shared_path)?)?;
    if shared.link.is_some() {
        return Err(IndexError::Malformed("a shared index that is split itself"));
    }
    let mut deleted = vec![false; shared.entries.len()];
    if let Some(bitmap) = &link.deleted {
        ewah_set_bits(bitmap, &mut deleted)?;
    }
    let kept = shared
        .entries
        .iter()
        .zip(&deleted)
        .filter(|(_, deleted)| !**deleted)
        .map(|(entry, _)| (entry.mode, shared.name(entry)));
    // Entries of the split index with an empty name replace a shared entry's stat data and
    // object name, not its path; the others are added.
    let added = index
        .entries
        .iter()
        .map(|entry| (entry.mode, index.name(entry)))
        .filter(|(_, name)| !name.is_empty());
    let mut merged: Vec<(u32, &[u8])> = kept.chain(added).collect();
    merged.sort_by(|a, b| a.1.cmp(b.1));
    let mut names = Vec::new();
    let mut entries = Vec::with_capacity(merged.len());
    for (mode, name) in merged {
        entries.push((mode, names.len()..names.len() + name.len()));
        names.extend_from_slice(name);
    }
    let kept = tracked(&names, entries.into_iter());
    Ok(TrackedPaths { names, kept })
}

/// Where the paths of the entries that name files lie in `names`, from `(mode, path range)`
/// pairs in index order, each path once.
fn tracked(names: &[u8], entries: impl Iterator<Item = (u32, Range<usize>)>) -> Vec<Range<usize>> {
    let mut kept: Vec<Range<usize>> = Vec::new();
    for (mode, range) in entries {
        let kind = mode & 0o170_000;
        let name = &names[range.clone()];
        // 0o160000: a submodule; 0o040000: a sparse index's folder.
        if kind == 0o160_000 || kind == 0o040_000 || !is_plain(name) {
            continue;
        }
        if kept.last().is_some_and(|last| &names[last.clone()] == name) {
            continue;
        }
        kept.push(range);
    }
    kept
}

/// A relative path of normal components, as git writes every path: a crafted index could
/// otherwise name a file outside the work tree (`../x`, `/etc/x`).
fn is_plain(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .split(|&byte| byte == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An entry's mode and where its path lies in [`Index::names`].
#[derive(Debug)]
struct Entry {
    mode: u32,
    name: std::ops::Range<usize>,
}

/// A split index's `link` extension: the shared index's name and the deletion bitmap.
#[derive(Debug)]
struct Link {
    shared: Vec<u8>,
    deleted: Option<Vec<u8>>,
}

#[derive(Debug)]
struct Index {
    entries: Vec<Entry>,
    /// Every entry's path, one after the other.
    names: Vec<u8>,
    link: Option<Link>,
}

impl Index {
    fn name(&self, entry: &Entry) -> &[u8] {
        &self.names[entry.name.clone()]
    }
}

/// Object names are SHA-1 (20 bytes) or SHA-256 (32): the index does not say which, but only
/// one length makes every entry's name and padding consistent.
fn parse(bytes: &[u8]) -> Result<Index, IndexError> {
    parse_with_hash(bytes, 20).or_else(|sha1| parse_with_hash(bytes, 32).map_err(|_| sha1))
}

/// A cursor over the index's bytes whose reads fail, never panic, past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

const TRUNCATED: IndexError = IndexError::Malformed("truncated");

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], IndexError> {
        let end = self.at.checked_add(count).ok_or(TRUNCATED)?;
        let taken = self.bytes.get(self.at..end).ok_or(TRUNCATED)?;
        self.at = end;
        Ok(taken)
    }

    fn u16(&mut self) -> Result<u16, IndexError> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn u32(&mut self) -> Result<u32, IndexError> {
        let bytes = self.take(4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// A NUL-terminated string, without its NUL.
    fn until_nul(&mut self) -> Result<&'a [u8], IndexError> {
        let rest = self.bytes.get(self.at..).ok_or(TRUNCATED)?;
        let length = memchr::memchr(0, rest).ok_or(TRUNCATED)?;
        let name = &rest[..length];
        self.at += length + 1;
        Ok(name)
    }

    /// Version 4's prefix length: git's offset varint (`varint.c`), each continuation adding
    /// one before the shift.
    fn varint(&mut self) -> Result<usize, IndexError> {
        let mut byte = self.take(1)?[0];
        let mut value = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            byte = self.take(1)?[0];
            value = value
                .checked_add(1)
                .and_then(|value| value.checked_mul(128))
                .ok_or(IndexError::Malformed("prefix length overflows"))?
                | usize::from(byte & 0x7f);
        }
        Ok(value)
    }
}

/// The fixed part of an entry: ctime, mtime, dev, ino, mode, uid, gid, size (4 bytes each
/// but the times, which are 8).
const STAT_BYTES: usize = 40;
const MODE_OFFSET: usize = 24;
const EXTENDED_FLAG: u16 = 0x4000;
const NAME_LENGTH_MASK: u16 = 0x0fff;

fn parse_with_hash(bytes: &[u8], hash_len: usize) -> Result<Index, IndexError> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.take(4)? != b"DIRC" {
        return Err(IndexError::Malformed("no DIRC signature"));
    }
    let version = reader.u32()?;
    if !(2..=4).contains(&version) {
        return Err(IndexError::UnsupportedVersion(version));
    }
    let count = reader.u32()? as usize;
    // Never trust a count to size an allocation: an entry takes at least 40 bytes.
    let mut entries = Vec::with_capacity(count.min(bytes.len() / STAT_BYTES));
    let mut names = Vec::new();
    let mut previous = 0..0;
    for _ in 0..count {
        let start = reader.at;
        let stat = reader.take(STAT_BYTES)?;
        let mode = u32::from_be_bytes([
            stat[MODE_OFFSET],
            stat[MODE_OFFSET + 1],
            stat[MODE_OFFSET + 2],
            stat[MODE_OFFSET + 3],
        ]);
        reader.take(hash_len)?;
        let flags = reader.u16()?;
        if flags & EXTENDED_FLAG != 0 {
            if version < 3 {
                return Err(IndexError::Malformed("extended flags before version 3"));
            }
            reader.u16()?;
        }
        let name_start = names.len();
        if version == 4 {
            let strip = reader.varint()?;
            let kept = previous
                .len()
                .checked_sub(strip)
                .ok_or(IndexError::Malformed(
                    "prefix longer than the previous path",
                ))?;
            names.extend_from_within(previous.start..previous.start + kept);
            names.extend_from_slice(reader.until_nul()?);
        } else {
            names.extend_from_slice(reader.until_nul()?);
            // One to eight NULs pad the entry to a multiple of eight bytes.
            let name_length = names.len() - name_start;
            let fixed = reader.at - 1 - name_length - start;
            let padded = (fixed + name_length + 8) & !7;
            let padding = reader.take(start + padded - reader.at)?;
            if padding.iter().any(|&byte| byte != 0) {
                return Err(IndexError::Malformed("entry padding is not NUL"));
            }
        }
        let name = name_start..names.len();
        let stated = usize::from(flags & NAME_LENGTH_MASK);
        if stated != usize::from(NAME_LENGTH_MASK) && stated != name.len() {
            return Err(IndexError::Malformed("path length differs from its flags"));
        }
        previous = name.clone();
        entries.push(Entry { mode, name });
    }
    let link = parse_extensions(&mut reader, hash_len)?;
    Ok(Index {
        entries,
        names,
        link,
    })
}

/// The extensions after the entries, up to the trailing checksum; only `link` is kept.
fn parse_extensions(reader: &mut Reader<'_>, hash_len: usize) -> Result<Option<Link>, IndexError> {
    let end = reader.bytes.len().checked_sub(hash_len).ok_or(TRUNCATED)?;
    let mut link = None;
    while reader.at < end {
        let signature = reader.take(4)?;
        let size = reader.u32()? as usize;
        let data = reader.take(size)?;
        if reader.at > end {
            return Err(TRUNCATED);
        }
        if signature == b"link" {
            let shared = data.get(..hash_len).ok_or(TRUNCATED)?.to_vec();
            let bitmaps = &data[hash_len..];
            let deleted = (!bitmaps.is_empty()).then(|| bitmaps.to_vec());
            link = Some(Link { shared, deleted });
        }
    }
    if reader.at != end {
        return Err(IndexError::Malformed("extensions overrun the checksum"));
    }
    Ok(link)
}

/// Set the bits of an EWAH-compressed bitmap (git's `ewah/`: bit count, word count, 64-bit
/// words, each run-length word followed by its literal words) that fall inside `bits`.
fn ewah_set_bits(bitmap: &[u8], bits: &mut [bool]) -> Result<(), IndexError> {
    let mut reader = Reader {
        bytes: bitmap,
        at: 0,
    };
    reader.u32()?;
    let words = reader.u32()? as usize;
    let mut word = || -> Result<u64, IndexError> {
        let high = u64::from(reader.u32()?);
        Ok(high << 32 | u64::from(reader.u32()?))
    };
    let mut position: u64 = 0;
    let mut read = 0;
    let limit = bits.len() as u64;
    while read < words {
        let marker = word()?;
        read += 1;
        let running = marker & 1 == 1;
        let run = (marker >> 1) & 0xffff_ffff;
        let literals = (marker >> 33) as usize;
        let run_end = position.saturating_add(run.saturating_mul(64));
        if running {
            for bit in position..run_end.min(limit) {
                bits[bit as usize] = true;
            }
        }
        position = run_end;
        for _ in 0..literals {
            if read >= words {
                return Err(IndexError::Malformed("EWAH literal words overrun"));
            }
            let literal = word()?;
            read += 1;
            for offset in 0..64 {
                let bit = position.saturating_add(offset);
                if literal >> offset & 1 == 1 && bit < limit {
                    bits[bit as usize] = true;
                }
            }
            position = position.saturating_add(64);
        }
    }
    Ok(())
}
