//! Running git for the sweep, and the checks before `--commit` builds anything. git runs with
//! the repository's hooks, fsmonitor and commit signing switched off, so no program the
//! repository names runs, and without optional locks, so reading the repository never
//! rewrites its index.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// One git command in a repository: its arguments, a temporary index to use instead of the
/// repository's own, and what to feed it on standard input.
pub(super) struct Git<'a> {
    dir: &'a Path,
    args: Vec<OsString>,
    index: Option<&'a Path>,
    input: Option<&'a [u8]>,
}

impl<'a> Git<'a> {
    pub(super) fn new(dir: &'a Path, args: &[&str]) -> Git<'a> {
        Git {
            dir,
            args: args.iter().map(OsString::from).collect(),
            index: None,
            input: None,
        }
    }

    /// One more argument, given as is (a path need not be UTF-8).
    pub(super) fn arg(mut self, arg: impl AsRef<OsStr>) -> Git<'a> {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// Use `index` (a file outside the repository) as the index: the repository's own index
    /// and working tree are never read or written.
    pub(super) fn index(mut self, index: &'a Path) -> Git<'a> {
        self.index = Some(index);
        self
    }

    pub(super) fn input(mut self, input: &'a [u8]) -> Git<'a> {
        self.input = Some(input);
        self
    }

    /// Run it: standard output, or the line of stderr that says what went wrong. Filter
    /// drivers cannot be switched off by name, so `ready_to_commit` refuses repositories whose
    /// own configuration defines any.
    pub(super) fn output(self) -> Result<Vec<u8>, String> {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(self.dir)
            // Pathspecs are file names, never patterns or magic (`:(glob)`, `*`).
            .args(["--no-optional-locks", "--literal-pathspecs"])
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "core.fsmonitor=false",
                "-c",
                "commit.gpgsign=false",
                // A split index would write its shared part into the repository.
                "-c",
                "core.splitIndex=false",
            ])
            .args(&self.args)
            .stdin(if self.input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(index) = self.index {
            command.env("GIT_INDEX_FILE", index);
        }
        let name = self
            .args
            .first()
            .map(|arg| arg.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let cannot_run = |error: std::io::Error| format!("cannot run git {name}: {error}");
        let mut child = command.spawn().map_err(cannot_run)?;
        let stdin = child.stdin.take();
        let output = std::thread::scope(|scope| {
            // Written on its own thread: git may answer before it has read everything.
            if let (Some(mut stdin), Some(input)) = (stdin, self.input) {
                scope.spawn(move || stdin.write_all(input));
            }
            child.wait_with_output()
        })
        .map_err(cannot_run)?;
        if output.status.success() {
            return Ok(output.stdout);
        }
        Err(format!("git {name}: {}", reason(&output.stderr)))
    }

    /// [`Git::output`] as text, without the final line break.
    pub(super) fn text(self) -> Result<String, String> {
        let stdout = self.output()?;
        Ok(String::from_utf8_lossy(&stdout).trim_end().to_string())
    }
}

/// The line of git's stderr that says what went wrong.
fn reason(stderr: &[u8]) -> String {
    let stderr = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines
        .iter()
        .find(|line| line.starts_with("fatal:") || line.starts_with("error:"))
        .or_else(|| lines.iter().rev().find(|line| !line.starts_with("hint:")))
        .copied()
        .unwrap_or("failed")
        .to_string()
}

/// `git ARGS` in `dir`, as text.
pub(super) fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    Git::new(dir, args).text()
}

/// Before anything is built: no filter driver programs in the repository's own
/// configuration, a clean tree (the fix must be of what is committed), an identity to commit
/// with.
pub(super) fn ready_to_commit(dir: &Path) -> Result<(), String> {
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
    if !git(dir, &["status", "--porcelain", "--untracked-files=normal"])?.is_empty() {
        return Err("uncommitted changes: not fixed (--commit needs a clean tree)".into());
    }
    git(dir, &["var", "GIT_COMMITTER_IDENT"]).map_err(|_| {
        "no git identity to commit with (set user.name and user.email): not fixed".to_string()
    })?;
    Ok(())
}
