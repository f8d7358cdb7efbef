//! The hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit (PyPI) and prek (npm),
//! installed by `.ci/install-tools.sh`. Both build regshift from this repository with cargo
//! (`language: rust`), and `try-repo` builds afresh on every call (a new store each time), so
//! the tests keep builds few and cheap: one `try-repo` runs both hooks and one re-runs them;
//! the commit flow (cached by repository and revision) runs the installed hooks; every build
//! shares one cargo target folder with an unoptimised release profile.
//!
//! The hooks come from this repository's HEAD commit: uncommitted changes are not in them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{self, git, repository};

const LEGACY_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pause\nspec:\n  containers:\n  - name: pause\n    image: k8s.gcr.io/pause:3.9\n";

/// HEAD of this repository, which the hook managers build; `None` outside a git checkout.
fn head() -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repository())
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    let dirty = Command::new("git")
        .arg("-C")
        .arg(repository())
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()?;
    if !dirty.stdout.is_empty() {
        println!("note: uncommitted changes are not part of the hooks under test (HEAD is)");
    }
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// A scratch repository with a staged manifest that pulls from the legacy registry.
fn scratch_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["init", "-q"][..],
        &["config", "user.email", "test@example.com"],
        &["config", "user.name", "regshift test"],
        &["config", "commit.gpgsign", "false"],
    ] {
        git(dir.path(), args);
    }
    std::fs::create_dir_all(dir.path().join("deploy")).unwrap();
    std::fs::write(dir.path().join("deploy/pod.yaml"), LEGACY_POD).unwrap();
    std::fs::write(dir.path().join("README.md"), "# scratch\n").unwrap();
    git(dir.path(), &["add", "."]);
    dir
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// One hook manager: its binary, the environment variable of its cache, and how it selects
/// a revision in `try-repo`.
struct Manager {
    binary: PathBuf,
    cache_variable: &'static str,
    cache: PathBuf,
    rev_flag: &'static str,
}

impl Manager {
    /// The environment of every command of a test: the hook cache, and one cargo target
    /// folder for all hook builds (the second manager's build is then a no-op).
    fn environment(&self, command: &mut Command) {
        support::quick_release_build(command)
            .env(self.cache_variable, &self.cache)
            .env_remove("PRE_COMMIT_COLOR")
            .env("NO_COLOR", "1");
    }

    fn command(&self, dir: &Path) -> Command {
        let mut command = Command::new(&self.binary);
        command.current_dir(dir);
        self.environment(&mut command);
        command
    }

    /// `git` with the manager's environment, so an installed hook finds its cache.
    fn git(&self, dir: &Path, args: &[&str]) -> Output {
        let mut command = Command::new("git");
        command.current_dir(dir).args(args);
        self.environment(&mut command);
        command.output().expect("git runs")
    }

    /// `try-repo` with every hook of the manifest.
    fn try_repo(&self, dir: &Path, rev: &str) -> Output {
        self.command(dir)
            .arg("try-repo")
            .arg(repository())
            .args([self.rev_flag, rev])
            .output()
            .expect("the hook manager runs")
    }
}

fn manager(
    name: &str,
    env_var: &str,
    cache_variable: &'static str,
    rev_flag: &'static str,
) -> Option<Manager> {
    let binary = support::require_tool(name, env_var)?;
    Some(Manager {
        binary,
        cache_variable,
        cache: repository().join(format!("target/tools/{name}-home")),
        rev_flag,
    })
}

/// `try-repo` runs every hook of the manifest in order: the check hook fails and names the
/// file, the fix hook rewrites it and fails because it changed files; run again on the fixed
/// tree, both pass.
fn both_hooks_with_try_repo(manager: &Manager, rev: &str) {
    let scratch = scratch_repository();
    let dir = scratch.path();
    let first = manager.try_repo(dir, rev);
    let log = text(&first);
    assert!(!first.status.success(), "the hooks fail:\n{log}");
    assert!(
        log.contains("deploy/pod.yaml"),
        "the check hook names the file:\n{log}"
    );
    assert!(log.contains("files were modified by this hook"), "{log}");
    assert_eq!(
        std::fs::read_to_string(dir.join("deploy/pod.yaml")).unwrap(),
        LEGACY_POD.replace("k8s.gcr.io", "registry.k8s.io")
    );
    git(dir, &["add", "-u"]);
    let again = manager.try_repo(dir, rev);
    assert!(
        again.status.success(),
        "then both hooks pass:\n{}",
        text(&again)
    );
}

/// Hooks installed in a scratch repository: a commit that adds a legacy image is blocked;
/// with the fix hook, the commit is blocked once, the file repaired, and the retry commits.
fn commit_is_blocked_and_repaired(manager: &Manager, rev: &str) {
    let scratch = scratch_repository();
    let dir = scratch.path();
    let config = |hook: &str| {
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: {hook}\n",
            repository().display()
        )
    };
    std::fs::write(dir.join(".pre-commit-config.yaml"), config("regshift")).unwrap();
    let install = manager.command(dir).arg("install").output().unwrap();
    assert!(install.status.success(), "{}", text(&install));
    git(dir, &["add", ".pre-commit-config.yaml"]);

    let commit = manager.git(dir, &["commit", "-q", "-m", "add a pod"]);
    assert!(
        !commit.status.success(),
        "the commit is blocked:\n{}",
        text(&commit)
    );
    assert!(
        text(&commit).contains("deploy/pod.yaml"),
        "{}",
        text(&commit)
    );

    std::fs::write(dir.join(".pre-commit-config.yaml"), config("regshift-fix")).unwrap();
    git(dir, &["add", ".pre-commit-config.yaml"]);
    let commit = manager.git(dir, &["commit", "-q", "-m", "add a pod"]);
    assert!(
        !commit.status.success(),
        "blocked once while fixing:\n{}",
        text(&commit)
    );
    assert!(
        std::fs::read_to_string(dir.join("deploy/pod.yaml"))
            .unwrap()
            .contains("image: registry.k8s.io/pause:3.9")
    );
    git(dir, &["add", "-u"]);
    let commit = manager.git(dir, &["commit", "-q", "-m", "add a pod"]);
    assert!(
        commit.status.success(),
        "the repaired commit goes through:\n{}",
        text(&commit)
    );
}

#[test]
fn pre_commit_runs_both_hooks() {
    let Some(manager) = manager(
        "pre-commit",
        "REGSHIFT_PRE_COMMIT",
        "PRE_COMMIT_HOME",
        "--ref",
    ) else {
        return;
    };
    let Some(rev) = head() else {
        println!("skipped: this checkout is not a git repository");
        return;
    };
    both_hooks_with_try_repo(&manager, &rev);
    commit_is_blocked_and_repaired(&manager, &rev);
}

/// prek's `try-repo` builds in a fresh cargo home on every call, so prek is exercised the way
/// it is used: hooks installed in a repository.
#[test]
fn prek_runs_both_hooks() {
    let Some(manager) = manager("prek", "REGSHIFT_PREK", "PREK_HOME", "--rev") else {
        return;
    };
    let Some(rev) = head() else {
        println!("skipped: this checkout is not a git repository");
        return;
    };
    commit_is_blocked_and_repaired(&manager, &rev);
}
