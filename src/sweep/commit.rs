//! `--commit` without touching the working tree: the fixed files become blobs, a tree built in
//! a temporary index, and one commit on HEAD; the branch ref then moves once, with a
//! compare-and-swap (`git update-ref <new> <expected old>`). The checked-out branch, the
//! repository's index and its working tree are never written, so a sweep killed at any moment
//! leaves each repository untouched or with its complete branch (and perhaps a few
//! unreachable objects that `git gc` removes).
//!
//! Reruns read the branch first ([`plan`]): regshift's own commits carry a `Regshift-Sweep`
//! trailer, have one parent, and their author and committer times are the same (amending or
//! rebasing gives a commit a new committer time); only a branch that holds nothing else is
//! ever moved.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

use super::abort::{self, Point};
use super::git::{Git, git};
use crate::report::{Summary, plural};
use crate::scan::FixedFile;

/// The trailer that marks regshift's commits.
const TRAILER: &str = "Regshift-Sweep";

/// What `--commit` did in a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CommitOutcome {
    /// The branch did not exist; it does now, one commit on HEAD.
    Created,
    /// The branch already holds exactly this fix on HEAD; nothing was written.
    UpToDate,
    /// The branch held only regshift's commits, of an older fix; it now holds this one.
    Rebuilt(Rebuilt),
    /// The branch was not touched.
    LeftAlone(LeftAlone),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rebuilt {
    /// HEAD is not the base of regshift's commit on the branch (new commits on HEAD).
    BaseMoved,
    /// Same base, but the fix is not the same (another regshift version, configuration or
    /// `--unsafe-fixes`).
    FixChanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LeftAlone {
    /// The branch is checked out (here or in another worktree): moving it would change a
    /// working tree under someone's feet.
    CheckedOut,
    /// The branch holds commits that are not regshift's own.
    ForeignCommits,
    /// HEAD has no commit yet: there is nothing to branch from.
    NoCommit,
    /// Nothing on HEAD needs fixing (the branch's fix was merged, perhaps): no reason to move
    /// the branch.
    NothingToFix,
}

impl CommitOutcome {
    /// The `commit` field of the JSON rows.
    pub(super) fn label(self) -> &'static str {
        match self {
            CommitOutcome::Created => "created",
            CommitOutcome::UpToDate => "up-to-date",
            CommitOutcome::Rebuilt(_) => "rebuilt",
            CommitOutcome::LeftAlone(_) => "left-alone",
        }
    }

    /// Why the branch was rebuilt or left alone.
    pub(super) fn reason(self) -> Option<&'static str> {
        Some(match self {
            CommitOutcome::Created | CommitOutcome::UpToDate => return None,
            CommitOutcome::Rebuilt(Rebuilt::BaseMoved) => "the base moved",
            CommitOutcome::Rebuilt(Rebuilt::FixChanged) => "the fix changed",
            CommitOutcome::LeftAlone(LeftAlone::CheckedOut) => "the branch is checked out",
            CommitOutcome::LeftAlone(LeftAlone::ForeignCommits) => {
                "the branch has commits not made by regshift"
            }
            CommitOutcome::LeftAlone(LeftAlone::NoCommit) => "HEAD has no commit to branch from",
            CommitOutcome::LeftAlone(LeftAlone::NothingToFix) => "nothing to fix on HEAD",
        })
    }

    /// Whether the branch now holds the fix of HEAD.
    pub(super) fn holds_fix(self) -> bool {
        !matches!(self, CommitOutcome::LeftAlone(_))
    }
}

/// What to do in a repository, decided from the branch before anything is scanned.
#[derive(Debug)]
pub(super) enum Plan {
    /// Build the fix on `head`. The branch is absent, or holds nothing but regshift's commits
    /// on top of HEAD (`tip`).
    Build {
        head: String,
        tip: Option<Tip>,
    },
    LeaveAlone(LeftAlone),
}

/// An existing branch that only regshift's commits separate from HEAD.
#[derive(Debug)]
pub(super) struct Tip {
    oid: String,
    /// When exactly one commit separates them: its parent and its tree.
    single: Option<(String, String)>,
}

/// Read HEAD and the branch: build the fix, or leave the repository alone and say why.
pub(super) fn plan(dir: &Path, branch: &str) -> Result<Plan, String> {
    let reference = format!("refs/heads/{branch}");
    let worktrees = git(dir, &["worktree", "list", "--porcelain"])?;
    if worktrees
        .lines()
        .any(|line| line.strip_prefix("branch ") == Some(reference.as_str()))
    {
        return Ok(Plan::LeaveAlone(LeftAlone::CheckedOut));
    }
    let Ok(head) = git(dir, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]) else {
        return Ok(Plan::LeaveAlone(LeftAlone::NoCommit));
    };
    let Ok(tip) = git(dir, &["rev-parse", "--verify", "--quiet", &reference]) else {
        return Ok(Plan::Build { head, tip: None });
    };
    let range = format!("{head}..{tip}");
    let own = git(dir, &["rev-list", &range])?;
    let mut commits = Vec::new();
    for oid in own.lines() {
        let commit = RawCommit::read(dir, oid)?;
        if !commit.is_regshifts() {
            return Ok(Plan::LeaveAlone(LeftAlone::ForeignCommits));
        }
        commits.push(commit);
    }
    let single = match commits.as_slice() {
        [commit] => Some((commit.parents[0].clone(), commit.tree.clone())),
        _ => None,
    };
    Ok(Plan::Build {
        head,
        tip: Some(Tip { oid: tip, single }),
    })
}

/// A commit object as git stores it.
struct RawCommit {
    tree: String,
    parents: Vec<String>,
    author: String,
    committer: String,
    message: String,
}

impl RawCommit {
    /// With `cat-file`, which reads the object and nothing else (`log` may run a signature
    /// check program).
    fn read(dir: &Path, oid: &str) -> Result<RawCommit, String> {
        let raw = git(dir, &["cat-file", "commit", oid])?;
        let (headers, message) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let mut commit = RawCommit {
            tree: String::new(),
            parents: Vec::new(),
            author: String::new(),
            committer: String::new(),
            message: message.to_string(),
        };
        for line in headers.lines() {
            if let Some(tree) = line.strip_prefix("tree ") {
                commit.tree = tree.to_string();
            } else if let Some(parent) = line.strip_prefix("parent ") {
                commit.parents.push(parent.to_string());
            } else if let Some(author) = line.strip_prefix("author ") {
                commit.author = author.to_string();
            } else if let Some(committer) = line.strip_prefix("committer ") {
                commit.committer = committer.to_string();
            }
        }
        Ok(commit)
    }

    /// Made by regshift and not changed since: one parent, the trailer in the last paragraph,
    /// and the same time as author and committer (`commit --amend` and `rebase` keep the
    /// author's time and give the commit a new committer time).
    fn is_regshifts(&self) -> bool {
        let last_paragraph = self.message.trim_end().rsplit("\n\n").next().unwrap_or("");
        // `Name <email> 1700000000 +0100`: the time is what follows the email.
        let time = |ident: &str| {
            ident
                .rsplit_once('>')
                .map(|(_, time)| time.trim().to_string())
        };
        self.parents.len() == 1
            && time(&self.author).is_some()
            && time(&self.author) == time(&self.committer)
            && last_paragraph
                .lines()
                .any(|line| line.starts_with(&format!("{TRAILER}: ")))
    }
}

/// Commit the fixed `files` on `head` and point `branch` at the commit, unless the branch
/// (`tip`, from [`plan`]) already holds exactly that.
pub(super) fn commit_fix(
    dir: &Path,
    branch: &str,
    head: &str,
    tip: Option<&Tip>,
    files: &[FixedFile],
    summary: &Summary,
) -> Result<CommitOutcome, String> {
    let tree = write_tree(dir, head, files)?;
    let outcome = match tip.map(|tip| &tip.single) {
        None => CommitOutcome::Created,
        Some(Some((parent, old_tree))) if parent == head && *old_tree == tree => {
            return Ok(CommitOutcome::UpToDate);
        }
        Some(Some((parent, _))) if parent == head => CommitOutcome::Rebuilt(Rebuilt::FixChanged),
        Some(_) => CommitOutcome::Rebuilt(Rebuilt::BaseMoved),
    };
    let commit = Git::new(
        dir,
        &["commit-tree", "--no-gpg-sign", &tree, "-p", head, "-F", "-"],
    )
    .input(message(summary).as_bytes())
    .text()?;
    abort::reached(Point::AfterCommitTree);
    // A branch that did not exist must still not exist; one that did must not have moved.
    let expected = match tip {
        Some(tip) => tip.oid.clone(),
        None => "0".repeat(head.len()),
    };
    git(
        dir,
        &[
            "update-ref",
            "-m",
            "regshift sweep --fix --commit",
            &format!("refs/heads/{branch}"),
            &commit,
            &expected,
        ],
    )?;
    abort::reached(Point::AfterUpdateRef);
    Ok(outcome)
}

/// The tree of `head` with `files` replaced, built in a temporary index outside the
/// repository. Each file keeps its mode, and its bytes are stored as `git add` would store
/// them (`hash-object --path` applies the repository's attributes: line endings, encodings).
fn write_tree(dir: &Path, head: &str, files: &[FixedFile]) -> Result<String, String> {
    let mut paths = Vec::with_capacity(files.len());
    for file in files {
        let relative = file.path.strip_prefix(dir).map_err(|_| {
            format!(
                "{}: outside the repository: not committed",
                file.path.display()
            )
        })?;
        paths.push(relative.as_os_str().to_os_string());
    }
    let modes = modes(dir, head, &paths)?;
    let mut entries = Vec::new();
    for (file, path) in files.iter().zip(&paths) {
        let mode = modes.get(path.as_encoded_bytes()).ok_or_else(|| {
            format!(
                "{}: not a file committed in HEAD (in a submodule?): not committed",
                path.to_string_lossy()
            )
        })?;
        let mut path_arg = OsString::from("--path=");
        path_arg.push(path);
        let blob = Git::new(dir, &["hash-object", "-w", "--stdin"])
            .arg(path_arg)
            .input(&file.bytes)
            .text()?;
        entries.extend_from_slice(format!("{mode} {blob}\t").as_bytes());
        entries.extend_from_slice(path.as_encoded_bytes());
        entries.push(0);
    }
    abort::reached(Point::AfterBlobs);
    let scratch = tempfile::Builder::new()
        .prefix("regshift-index")
        .tempdir()
        .map_err(|error| format!("cannot create a temporary index: {error}"))?;
    let index = scratch.path().join("index");
    Git::new(dir, &["read-tree", head]).index(&index).output()?;
    Git::new(dir, &["update-index", "-z", "--index-info"])
        .index(&index)
        .input(&entries)
        .output()?;
    Git::new(dir, &["write-tree"]).index(&index).text()
}

/// The mode of each of `paths` in `head`'s tree, by path: only regular files (`100644`,
/// `100755`) are listed.
fn modes(dir: &Path, head: &str, paths: &[OsString]) -> Result<HashMap<Vec<u8>, String>, String> {
    let mut list = Git::new(dir, &["ls-tree", "-r", "-z", "--full-tree", head, "--"]);
    for path in paths {
        list = list.arg(path);
    }
    let listing = list.output()?;
    let mut modes = HashMap::new();
    for entry in listing
        .split(|&byte| byte == 0)
        .filter(|entry| !entry.is_empty())
    {
        let Some(tab) = entry.iter().position(|&byte| byte == b'\t') else {
            continue;
        };
        // `<mode> <type> <object>\t<path>`
        let mode = entry.split(|&byte| byte == b' ').next().unwrap_or_default();
        if mode == b"100644" || mode == b"100755" {
            let mode = String::from_utf8_lossy(mode).into_owned();
            modes.insert(entry[tab + 1..].to_vec(), mode);
        }
    }
    Ok(modes)
}

/// The commit message: what was rewritten and what was left for review, then the trailer
/// that lets a rerun recognise the commit.
fn message(summary: &Summary) -> String {
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
    let version = env!("CARGO_PKG_VERSION");
    message.push_str(&format!(
        "\nChanged by regshift {version} (regshift sweep --fix --commit).\n\n{TRAILER}: {version}\n"
    ));
    message
}
