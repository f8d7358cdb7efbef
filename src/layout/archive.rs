//! Packaged Helm charts (`charts/*.tgz`), read in memory and never written. Every member that
//! is text becomes a file of its own, named `archive.tgz!member`; a packaged chart inside a
//! packaged chart is read too, to a bounded depth. Each member gets its role in the deepest
//! chart that holds it and, for a dependency, the values prefix that overrides it from the
//! parent chart.
//!
//! The caps keep a hostile archive (a gzip bomb, millions of entries) bounded: each member is
//! read only up to the same size cap as files on disk, and the whole archive has a budget.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;

use super::chart;
use crate::carrier::ChartRole;
use crate::detect::yaml;
use crate::source::{MAX_FILE_SIZE, looks_binary};

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

/// For the whole archive, nested archives included.
const MAX_EXPANDED: u64 = 256 * 1024 * 1024;
const MAX_ENTRIES: usize = 50_000;
/// A chart packaged in a chart packaged in a chart.
const MAX_NESTING: usize = 3;

/// A text member of a packaged chart, with what the parent chart needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackagedMember {
    /// `dep/values.yaml`, or `dep/charts/sub-1.0.0.tgz!sub/values.yaml`.
    pub path: String,
    pub bytes: Vec<u8>,
    /// Its role in the deepest chart that holds it.
    pub role: ChartRole,
    /// For a dependency (an archive in a chart's `charts/` folder), the values prefix that
    /// overrides the member's chart from the parent: `dep` (or its alias), `dep.sub`.
    pub dependency_prefix: Option<String>,
}

/// What a `.tgz` on disk turned out to be.
#[derive(Debug)]
pub enum Package {
    /// A packaged chart (a `Chart.yaml` in its top folder): its text members.
    Chart(Vec<PackagedMember>),
    /// Some other tarball, or one that does not read: binary, unless it is a dependency.
    NotAChart,
}

/// Read the archive at `path` (its bytes `bytes`). A chart's dependency that cannot be read is
/// an error, since it must never pass unseen; any other unreadable tarball is not a chart.
pub fn read_package(path: &Path, bytes: &[u8]) -> Result<Package, ArchiveError> {
    let is_dependency = chart::is_dependency_archive(path);
    let members = match text_members(bytes) {
        Ok(members) => members,
        Err(_) if !is_dependency => return Ok(Package::NotAChart),
        Err(error) => return Err(error),
    };
    let chart_roots: Vec<String> = members
        .iter()
        .filter_map(|member| member.path.strip_suffix("Chart.yaml"))
        .map(str::to_string)
        .collect();
    let chart_roots: Vec<&str> = chart_roots.iter().map(String::as_str).collect();
    let is_chart = chart_roots
        .iter()
        .any(|root| !root.contains('!') && root.matches('/').count() == 1);
    if !is_chart {
        return Ok(Package::NotAChart);
    }
    let aliases = if is_dependency {
        parent_chart_aliases(path)
    } else {
        Vec::new()
    };
    let packaged = members
        .into_iter()
        .map(|member| {
            let (role, prefix) = member_role(&member.path, &chart_roots, &aliases);
            PackagedMember {
                path: member.path,
                bytes: member.bytes,
                role,
                dependency_prefix: is_dependency.then_some(prefix),
            }
        })
        .collect();
    Ok(Package::Chart(packaged))
}

/// The role of an archive member in the deepest chart that holds it, and the values prefix
/// that reaches that chart from the parent chart: `dep` (or its alias), `dep.sub` for a
/// subchart inside it. Nested archives are written `outer.tgz!inner`; each level has its own
/// chart roots (the folders of its `Chart.yaml` members).
fn member_role(
    member: &str,
    chart_roots: &[&str],
    aliases: &[(String, Option<String>)],
) -> (ChartRole, String) {
    let mut names: Vec<String> = Vec::new();
    let mut role = ChartRole::Other;
    let mut archive_prefix = String::new();
    for part in member.split('!') {
        let first_folder = part.split_inclusive('/').next().unwrap_or("");
        let root = chart_roots
            .iter()
            .filter_map(|root| root.strip_prefix(archive_prefix.as_str()))
            .filter(|root| !root.contains('!') && part.starts_with(root))
            .max_by_key(|root| root.len())
            .unwrap_or(first_folder);
        for name in root
            .split('/')
            .filter(|name| !name.is_empty() && *name != "charts")
        {
            let alias = if names.is_empty() {
                aliases
                    .iter()
                    .find(|(dependency, _)| dependency == name)
                    .and_then(|(_, alias)| alias.clone())
            } else {
                None
            };
            names.push(alias.unwrap_or_else(|| name.to_string()));
        }
        let relative: Vec<&str> = part[root.len()..].split('/').collect();
        role = chart::role_in_chart(&relative);
        archive_prefix.push_str(part);
        archive_prefix.push('!');
    }
    (role, names.join("."))
}

/// `dependencies` of the chart that holds `charts/<dep>.tgz`, from `Chart.yaml` and Helm 2's
/// `requirements.yaml`.
fn parent_chart_aliases(archive: &Path) -> Vec<(String, Option<String>)> {
    let Some(chart) = archive.parent().and_then(Path::parent) else {
        return Vec::new();
    };
    ["Chart.yaml", "requirements.yaml"]
        .iter()
        .filter_map(|name| std::fs::read_to_string(chart.join(name)).ok())
        .flat_map(|text| yaml::chart_dependencies(&text))
        .collect()
}

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
        // Members are capped like files on disk.
        if entry.size() > MAX_FILE_SIZE {
            continue;
        }
        let mut content = Vec::with_capacity(entry.size() as usize);
        entry.take(MAX_FILE_SIZE + 1).read_to_end(&mut content)?;
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
        if looks_binary(&content) {
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
    fn packaged_members_name_their_override_prefix() {
        let roots = [
            "dep/",
            "dep/charts/sub/",
            "dep/charts/other-1.0.0.tgz!other/",
        ];
        let aliases = [("dep".to_string(), Some("cache".to_string()))];
        assert_eq!(
            member_role("dep/values.yaml", &roots, &aliases),
            (ChartRole::Values, "cache".to_string())
        );
        assert_eq!(
            member_role("dep/templates/deploy.yaml", &roots, &[]),
            (ChartRole::Template, "dep".to_string())
        );
        assert_eq!(
            member_role("dep/charts/sub/values.yaml", &roots, &[]),
            (ChartRole::Values, "dep.sub".to_string())
        );
        assert_eq!(
            member_role("dep/charts/other-1.0.0.tgz!other/values.yaml", &roots, &[]),
            (ChartRole::Values, "dep.other".to_string())
        );
    }

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
