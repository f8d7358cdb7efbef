//! Shipping regshift: the workflows (actionlint, actions pinned by commit), the release assets
//! that release.yml builds, action/install.sh downloads and `cargo binstall` expects (one name
//! for each), the release notes taken from CHANGELOG.md, and the crate that `cargo package`
//! would upload.

use std::path::PathBuf;
use std::process::Command;

use regshift::internals::{Node, documents};

use crate::support::{self, repository};

/// Every workflow: the repository's own and the examples users copy.
fn workflows() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [".github/workflows", "examples"] {
        let Ok(entries) = std::fs::read_dir(repository().join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path
                .extension()
                .is_some_and(|extension| extension == "yml" || extension == "yaml")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn workflows_pass_actionlint() {
    let Some(actionlint) = support::require_tool("actionlint", "REGSHIFT_ACTIONLINT") else {
        return;
    };
    let files = workflows();
    assert!(files.len() >= 3, "ci, release and the example: {files:?}");
    support::run_ok(Command::new(actionlint).arg("-no-color").args(&files));
}

#[test]
fn third_party_actions_are_pinned_by_commit() {
    let mut files = workflows();
    files.push(repository().join("action.yml"));
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let Some(used) = line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix("uses:")
            else {
                continue;
            };
            let (reference, comment) = used.split_once('#').unwrap_or((used, ""));
            let reference = reference.trim();
            if reference.starts_with("./") {
                continue;
            }
            let (_, pin) = reference
                .split_once('@')
                .unwrap_or_else(|| panic!("{}: {line}", file.display()));
            assert!(
                pin.len() == 40 && pin.bytes().all(|byte| byte.is_ascii_hexdigit()),
                "{}: {reference} is not pinned by commit",
                file.display()
            );
            assert!(
                comment.trim().starts_with('v'),
                "{}: {reference} names its version in a comment",
                file.display()
            );
        }
    }
}

/// A key of release.yml's `build` job, with `f` reading it.
fn build_job<T>(key: &str, f: impl FnOnce(&Node) -> T) -> T {
    let text = std::fs::read_to_string(repository().join(".github/workflows/release.yml")).unwrap();
    let documents = documents(&text);
    let job = documents[0]
        .get("jobs")
        .and_then(|jobs| jobs.get("build"))
        .and_then(|build| build.get(key))
        .unwrap_or_else(|| panic!("release.yml: no jobs.build.{key}"));
    f(job)
}

/// The targets release.yml builds.
fn release_targets() -> Vec<String> {
    build_job("strategy", |strategy| {
        strategy
            .get("matrix")
            .and_then(|matrix| matrix.get("include"))
            .map(Node::items)
            .unwrap()
            .iter()
            .map(|entry| {
                entry
                    .get("target")
                    .and_then(Node::as_str)
                    .unwrap()
                    .to_string()
            })
            .collect()
    })
}

#[test]
fn release_assets_are_named_alike_by_release_install_and_binstall() {
    let mut targets = release_targets();
    targets.sort();
    // action/install.sh maps each runner to one of these targets.
    let install = std::fs::read_to_string(repository().join("action/install.sh")).unwrap();
    let mut installed: Vec<String> = install
        .lines()
        .filter_map(|line| line.split_once(") echo ")?.1.strip_suffix(" ;;"))
        .map(str::to_string)
        .collect();
    installed.sort();
    assert_eq!(
        targets, installed,
        "release.yml builds what install.sh downloads"
    );
    assert_eq!(targets.len(), 5);

    let workflow =
        std::fs::read_to_string(repository().join(".github/workflows/release.yml")).unwrap();
    assert!(workflow.contains(r#"name="regshift-$TAG-$TARGET""#));
    assert!(
        workflow.contains(r#"asset="$name.zip""#) && workflow.contains(r#"asset="$name.tar.gz""#)
    );
    assert!(install.contains(r#"asset="regshift-$tag-$triple.tar.gz""#));
    assert!(install.contains(r#"asset="regshift-$tag-$triple.zip""#));

    // cargo binstall's template, filled in as binstall does, gives the same URLs.
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(repository().join("Cargo.toml")).unwrap()).unwrap();
    let package = manifest["package"].as_table().unwrap();
    let binstall = package["metadata"]["binstall"].as_table().unwrap();
    let url = binstall["pkg-url"].as_str().unwrap();
    let version = package["version"].as_str().unwrap();
    for target in &targets {
        let windows = target.contains("windows");
        let format = binstall
            .get("overrides")
            .and_then(|overrides| overrides.get(target.as_str()))
            .and_then(|entry| entry.get("pkg-fmt"))
            .or(binstall.get("pkg-fmt"))
            .and_then(toml::Value::as_str)
            .unwrap();
        assert_eq!(format, if windows { "zip" } else { "tgz" }, "{target}");
        let suffix = if windows { ".zip" } else { ".tar.gz" };
        let filled = url
            .replace("{ repo }", package["repository"].as_str().unwrap())
            .replace("{ version }", version)
            .replace("{ name }", "regshift")
            .replace("{ target }", target)
            .replace("{ archive-suffix }", suffix);
        assert_eq!(
            filled,
            format!(
                "https://github.com/regshift/regshift/releases/download/v{version}/regshift-v{version}-{target}{suffix}"
            )
        );
    }
}

fn release_notes(version: &str, changelog: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("CHANGELOG.md");
    std::fs::write(&file, changelog).unwrap();
    let output = Command::new("bash")
        .arg(repository().join("scripts/release-notes.sh"))
        .arg(version)
        .arg(&file)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn release_notes_are_the_versions_changelog_section() {
    let changelog = "# Changelog\n\nIntro.\n\n## [Unreleased]\n\n## [1.2.0] - 2026-12-01\n\n\
                     ### Added\n\n- a thing\n\n## 1.1.0 - 2026-01-01\n\n- older\n";
    assert_eq!(
        release_notes("1.2.0", changelog),
        (true, "### Added\n\n- a thing\n".into(), String::new())
    );
    assert_eq!(
        release_notes("1.1.0", changelog),
        (true, "- older\n".into(), String::new())
    );
    for missing in ["1.3.0", "Unreleased", "1.2"] {
        let (ok, _, stderr) = release_notes(missing, changelog);
        assert!(!ok && stderr.contains(missing), "{missing}: {stderr}");
    }
    // The real changelog has a section to release next.
    let real = std::fs::read_to_string(repository().join("CHANGELOG.md")).unwrap();
    let (ok, notes, _) = release_notes("Unreleased", &real);
    assert!(ok && notes.starts_with("### "), "{notes}");
}

#[test]
fn the_package_holds_only_what_the_crate_needs() {
    let Some(cargo) = std::env::var_os("CARGO") else {
        println!("skipped: cargo not available");
        return;
    };
    let output = support::run_ok(
        Command::new(cargo)
            .args(["package", "--list", "--locked", "--allow-dirty"])
            .current_dir(repository()),
    );
    let listed = String::from_utf8(output.stdout).unwrap();
    let files: Vec<&str> = listed.lines().collect();
    for file in &files {
        let allowed = file.starts_with("src/") && file.ends_with(".rs")
            || [
                "Cargo.toml",
                "Cargo.toml.orig",
                "Cargo.lock",
                "README.md",
                "CHANGELOG.md",
                "LICENSE",
                ".cargo_vcs_info.json",
            ]
            .contains(file);
        assert!(allowed, "{file} is packaged");
    }
    for needed in ["src/main.rs", "src/lib.rs", "LICENSE", "Cargo.lock"] {
        assert!(files.contains(&needed), "{needed} is missing: {files:?}");
    }
}

/// The `run:` script of the build job's step called `name` in release.yml.
fn release_step(name: &str) -> String {
    build_job("steps", |steps| {
        steps
            .items()
            .iter()
            .find(|step| step.get("name").and_then(Node::as_str) == Some(name))
            .and_then(|step| step.get("run"))
            .and_then(Node::as_str)
            .unwrap_or_else(|| panic!("no step {name}"))
            .to_string()
    })
}

#[test]
fn a_packaged_release_installs_through_the_action() {
    if Command::new("curl").arg("--version").output().is_err() {
        support::missing_tool("curl not found", "install curl");
        return;
    }
    // release.yml's Package step, run as the Linux job runs it, on this build's binary.
    let work = tempfile::tempdir().unwrap();
    let checkout = work.path().join("checkout");
    let target = "x86_64-unknown-linux-musl";
    let built = checkout.join("target").join(target).join("dist");
    std::fs::create_dir_all(&built).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_regshift"), built.join("regshift")).unwrap();
    for file in ["README.md", "CHANGELOG.md", "LICENSE"] {
        std::fs::copy(repository().join(file), checkout.join(file)).unwrap();
    }
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    support::run_ok(
        Command::new("bash")
            .args(["-e", "-c", &release_step("Package")])
            .current_dir(&checkout)
            .env("TARGET", target)
            .env("TAG", &tag),
    );
    let asset = format!("regshift-{tag}-{target}.tar.gz");
    let dist = checkout.join("dist");
    support::run_ok(
        Command::new("sha256sum")
            .args(["--check", &format!("{asset}.sha256")])
            .current_dir(&dist),
    );

    // The release as GitHub serves it, and the Action's installer pointed at it.
    let releases = work.path().join("releases").join(&tag);
    std::fs::create_dir_all(&releases).unwrap();
    for file in [asset.clone(), format!("{asset}.sha256")] {
        std::fs::copy(dist.join(&file), releases.join(&file)).unwrap();
    }
    let runner_temp = work.path().join("runner-temp");
    std::fs::create_dir_all(&runner_temp).unwrap();
    support::run_ok(
        Command::new("bash")
            .arg(repository().join("action/install.sh"))
            .env("GITHUB_ACTION_PATH", repository())
            .env("GITHUB_OUTPUT", work.path().join("outputs"))
            .env("GITHUB_PATH", work.path().join("path"))
            .env("RUNNER_TEMP", &runner_temp)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("INPUT_VERSION", &tag)
            .env(
                "REGSHIFT_RELEASES",
                format!("file://{}", work.path().join("releases").display()),
            ),
    );
    let installed = runner_temp.join("regshift/bin/regshift");
    let version = Command::new(&installed).arg("--version").output().unwrap();
    assert!(
        String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")),
        "{version:?}"
    );
    let outputs = std::fs::read_to_string(work.path().join("outputs")).unwrap();
    assert_eq!(outputs, "installed=true\n");
}
