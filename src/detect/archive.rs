//! Packaged Helm charts (`charts/*.tgz`), read in memory and never written. Every member that
//! is text becomes a file of its own, named `archive.tgz!member`; a packaged chart inside a
//! packaged chart is read too, to a bounded depth.
//!
//! The caps keep a hostile archive (a gzip bomb, millions of entries) bounded: each member is
//! read only up to the same size cap as files on disk, and the whole archive has a budget.

use std::io::Read;

use flate2::read::GzDecoder;

/// A text file inside an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// `dep/values.yaml`, or `dep/charts/sub-1.0.0.tgz!sub/values.yaml` for a nested archive.
    pub path: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read the chart archive: {0}")]
    Read(#[from] std::io::Error),
    #[error("the chart archive expands to more than {} MiB", MAX_EXPANDED >> 20)]
    TooLarge,
    #[error("the chart archive has more than {MAX_ENTRIES} entries")]
    TooManyEntries,
}

/// Per member, like files on disk.
const MAX_MEMBER: u64 = 10 * 1024 * 1024;
/// For the whole archive, nested archives included.
const MAX_EXPANDED: u64 = 256 * 1024 * 1024;
const MAX_ENTRIES: usize = 50_000;
/// A chart packaged in a chart packaged in a chart.
const MAX_NESTING: usize = 3;
const BINARY_PROBE: usize = 8 * 1024;

/// The text members of a gzip-compressed tar archive, in archive order. Binary members and
/// members over the size cap are left out.
pub fn text_members(bytes: &[u8]) -> Result<Vec<Member>, ArchiveError> {
    let mut budget = MAX_EXPANDED;
    let mut members = Vec::new();
    read_archive(bytes, "", 0, &mut budget, &mut members)?;
    Ok(members)
}

fn read_archive(
    bytes: &[u8],
    prefix: &str,
    depth: usize,
    budget: &mut u64,
    members: &mut Vec<Member>,
) -> Result<(), ArchiveError> {
    let mut archive = tar::Archive::new(GzDecoder::new(bytes));
    for (count, entry) in archive.entries()?.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(ArchiveError::TooManyEntries);
        }
        let entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes())
            .trim_start_matches("./")
            .to_string();
        if entry.size() > MAX_MEMBER {
            continue;
        }
        let mut content = Vec::with_capacity(entry.size() as usize);
        entry.take(MAX_MEMBER + 1).read_to_end(&mut content)?;
        *budget = budget
            .checked_sub(content.len() as u64)
            .ok_or(ArchiveError::TooLarge)?;
        let path = format!("{prefix}{name}");
        let lower = name.to_ascii_lowercase();
        if (lower.ends_with(".tgz") || lower.ends_with(".tar.gz")) && depth + 1 < MAX_NESTING {
            // Nested charts that do not read are skipped rather than failing the parent.
            let _ = read_archive(&content, &format!("{path}!"), depth + 1, budget, members);
            continue;
        }
        if memchr::memchr(0, &content[..content.len().min(BINARY_PROBE)]).is_some() {
            continue;
        }
        members.push(Member {
            path,
            bytes: content,
        });
    }
    Ok(())
}

#[cfg(test)]
pub(crate) fn build_test_archive(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, *content)
            .expect("append to an in-memory archive");
    }
    builder
        .into_inner()
        .and_then(|encoder| encoder.finish())
        .expect("finish an in-memory archive")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_nested_archives() {
        let inner = build_test_archive(&[("sub/values.yaml", b"image: k8s.gcr.io/pause:3.9\n")]);
        let outer = build_test_archive(&[
            ("dep/Chart.yaml", b"name: dep\n"),
            ("dep/values.yaml", b"image:\n  repository: k8s.gcr.io/x\n"),
            ("dep/logo.png", b"\x89PNG\0\0"),
            ("dep/charts/sub-1.0.0.tgz", &inner),
        ]);
        let members = text_members(&outer).unwrap();
        let paths: Vec<_> = members.iter().map(|member| member.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "dep/Chart.yaml",
                "dep/values.yaml",
                "dep/charts/sub-1.0.0.tgz!sub/values.yaml"
            ]
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(text_members(b"not a gzip stream").is_err());
        assert!(text_members(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]).is_err());
    }
}
