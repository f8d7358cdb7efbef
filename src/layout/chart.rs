//! Helm chart layout: a folder with `Chart.yaml` is a chart; its `values*.yaml`, `templates/`,
//! `charts/` and `crds/` are classified accordingly, also for charts nested in `charts/` and
//! inside packaged dependencies. Only files that pass the byte gate are located, so the few
//! `stat` calls this costs are paid by few files.

use std::path::{Component, Path};

use crate::carrier::ChartRole;

/// How many folders up a file may sit below its chart's `Chart.yaml`.
const MAX_CHART_DEPTH: usize = 16;

/// The role of a file on disk in the nearest chart above it, if any.
pub fn locate(path: &Path) -> Option<ChartRole> {
    for (depth, dir) in path.ancestors().skip(1).enumerate() {
        if depth >= MAX_CHART_DEPTH || dir.as_os_str().is_empty() {
            return None;
        }
        if dir.join("Chart.yaml").is_file() {
            let relative = path.strip_prefix(dir).ok()?;
            let parts: Vec<String> = relative
                .components()
                .filter_map(|component| match component {
                    Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            return Some(role_in_chart(&parts));
        }
    }
    None
}

/// The role of a file given its path components below the chart folder.
pub fn role_in_chart<S: AsRef<str>>(parts: &[S]) -> ChartRole {
    let parts: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
    let is_yaml = |name: &str| {
        let lower = name.to_ascii_lowercase();
        lower.ends_with(".yaml") || lower.ends_with(".yml")
    };
    match parts.as_slice() {
        ["Chart.yaml"] => ChartRole::ChartYaml,
        [name] if name.to_ascii_lowercase().starts_with("values") && is_yaml(name) => {
            ChartRole::Values
        }
        // helm/charts' `ci/*-values.yaml` files are values for the chart-testing tool.
        ["ci", name] if is_yaml(name) => ChartRole::Values,
        ["templates", ..] => ChartRole::Template,
        _ => ChartRole::Other,
    }
}

/// Whether a file may be a packaged chart: a gzip-compressed tarball by name. Whether it is
/// one is decided by its content (a `Chart.yaml` in its top folder).
pub fn is_archive(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".tgz") || name.ends_with(".tar.gz")
}

/// Whether an archive is a chart dependency: in the `charts/` folder of a chart.
pub fn is_dependency_archive(path: &Path) -> bool {
    let Some(folder) = path.parent() else {
        return false;
    };
    folder.file_name().is_some_and(|name| name == "charts")
        && folder
            .parent()
            .is_some_and(|chart| chart.join("Chart.yaml").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_the_chart_folder() {
        assert_eq!(role_in_chart(&["Chart.yaml"]), ChartRole::ChartYaml);
        assert_eq!(role_in_chart(&["values.yaml"]), ChartRole::Values);
        assert_eq!(role_in_chart(&["values-prod.yml"]), ChartRole::Values);
        assert_eq!(
            role_in_chart(&["ci", "default-values.yaml"]),
            ChartRole::Values
        );
        assert_eq!(
            role_in_chart(&["templates", "deploy.yaml"]),
            ChartRole::Template
        );
        assert_eq!(
            role_in_chart(&["templates", "_helpers.tpl"]),
            ChartRole::Template
        );
        assert_eq!(role_in_chart(&["crds", "crd.yaml"]), ChartRole::Other);
        assert_eq!(role_in_chart(&["docs", "values.yaml"]), ChartRole::Other);
    }

    #[test]
    fn charts_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("web");
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::create_dir_all(chart.join("charts/sub/templates")).unwrap();
        std::fs::write(chart.join("Chart.yaml"), "name: web\n").unwrap();
        std::fs::write(chart.join("charts/sub/Chart.yaml"), "name: sub\n").unwrap();
        assert_eq!(locate(&chart.join("values.yaml")), Some(ChartRole::Values));
        assert_eq!(
            locate(&chart.join("templates/a.yaml")),
            Some(ChartRole::Template)
        );
        assert_eq!(
            locate(&chart.join("charts/sub/values.yaml")),
            Some(ChartRole::Values)
        );
        assert_eq!(locate(&dir.path().join("other.yaml")), None);
        assert!(is_dependency_archive(&chart.join("charts/dep-1.0.0.tgz")));
        assert!(!is_dependency_archive(&chart.join("dist/dep-1.0.0.tgz")));
        assert!(!is_dependency_archive(
            &dir.path().join("charts/v1.0.0/web-1.0.0.tgz")
        ));
        assert!(is_archive(&chart.join("dist/web-1.0.0.tar.gz")));
    }
}
