//! Everything the sweep asks of git: the checks before `--commit` writes anything, the branch
//! and commit, and the roll-back when the commit fails. git runs with the repository's hooks,
//! fsmonitor and commit signing switched off, so no program the repository names runs.

use std::path::Path;
use std::process::Command;

use crate::report::plural;
use crate::scan::Scanned;

/// git in `dir` with everything that could run a program the repository names switched off:
/// hooks, fsmonitor, commit signing. Filter drivers cannot be switched off by name, so
/// `ready_to_commit` refuses repositories whose own configuration defines any. Returns stdout,
/// or the line of stderr that says what went wrong.
pub(super) fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let reason = lines
        .iter()
        .find(|line| line.starts_with("fatal:") || line.starts_with("error:"))
        .or_else(|| lines.iter().rev().find(|line| !line.starts_with("hint:")))
        .copied()
        .unwrap_or("failed");
    Err(format!("git {}: {reason}", args.first().unwrap_or(&"")))
}

/// Before anything is written: no filter driver programs in the repository's own
/// configuration, a clean tree, a new branch name, an identity to commit with.
pub(super) fn ready_to_commit(dir: &Path, branch: &str) -> Result<(), String> {
    let filters = git(
        dir,
        &[
            "config",
            "--local",
            "--includes",
            "--get-regexp",
            r"^filter\.",
        ],
    )
    .unwrap_or_default();
    if !filters.trim().is_empty() {
        return Err(
            "the repository's own git configuration names filter drivers (programs): not fixed"
                .into(),
        );
    }
    if !git(dir, &["status", "--porcelain"])?.trim().is_empty() {
        return Err("uncommitted changes: not fixed (--commit needs a clean tree)".into());
    }
    let reference = format!("refs/heads/{branch}");
    if git(dir, &["rev-parse", "--verify", "--quiet", &reference]).is_ok() {
        return Err(format!("branch {branch} already exists: not fixed"));
    }
    git(dir, &["var", "GIT_COMMITTER_IDENT"]).map_err(|_| {
        "no git identity to commit with (set user.name and user.email): not fixed".to_string()
    })?;
    Ok(())
}

/// Commit the files the fix changed on a new branch. When that fails, the fix is rolled back
/// and the error says so (or that rolling back failed too).
pub(super) fn commit_fixes(dir: &Path, branch: &str, scanned: &Scanned) -> Result<(), String> {
    let changed: Vec<String> = scanned
        .reports
        .iter()
        .filter(|report| report.fixed > 0)
        .map(|report| report.path.to_string())
        .collect();
    commit(dir, branch, &changed, scanned).map_err(|error| match roll_back(dir, branch, &changed) {
        Ok(()) => format!("{error} (the fix was rolled back)"),
        Err(rollback) => format!("{error}; rolling back failed too: {rollback}"),
    })
}

/// Undo a fix whose commit failed: the files back to HEAD, the original branch checked out,
/// the new branch deleted.
fn roll_back(dir: &Path, branch: &str, changed: &[String]) -> Result<(), String> {
    let on_new_branch = git(dir, &["symbolic-ref", "--quiet", "--short", "HEAD"])
        .is_ok_and(|current| current.trim() == branch);
    let _ = git(dir, &["reset", "--quiet"]);
    let mut restore = vec!["checkout", "--quiet", "--"];
    restore.extend(changed.iter().map(String::as_str));
    git(dir, &restore)?;
    if on_new_branch {
        git(dir, &["switch", "--quiet", "-"])?;
        git(dir, &["branch", "--quiet", "-D", branch])?;
    }
    Ok(())
}

/// The branch and one commit of the `changed` files, with a message that says what was
/// rewritten and what was left for review.
fn commit(dir: &Path, branch: &str, changed: &[String], scanned: &Scanned) -> Result<(), String> {
    git(dir, &["switch", "--create", branch])?;
    let mut add = vec!["add", "--"];
    add.extend(changed.iter().map(String::as_str));
    git(dir, &add)?;
    let summary = &scanned.run.summary;
    let mut message = format!(
        "Move container images from k8s.gcr.io to registry.k8s.io\n\n\
         k8s.gcr.io was frozen on 2023-04-03 and redirects to registry.k8s.io; it gets no\n\
         new images or fixes and will be phased out. This rewrites the references that are\n\
         safe to rewrite, changing only the registry host: registry.k8s.io serves the same\n\
         images, by digest.\n\n\
         Rewritten: {} in {}.\n",
        plural(summary.fixed, "reference", "references"),
        plural(summary.files_fixed, "file", "files"),
    );
    if summary.findings > 0 {
        message.push_str(&format!(
            "Left for review: {} that this fix did not change (`regshift check` lists them).\n",
            plural(summary.findings, "finding", "findings")
        ));
    }
    message.push_str(&format!(
        "\nChanged by regshift {} (regshift sweep --fix --commit).\n",
        env!("CARGO_PKG_VERSION")
    ));
    git(
        dir,
        &["commit", "--no-verify", "--quiet", "--message", &message],
    )?;
    Ok(())
}
