//! Writing a fixed file without ever losing the original.
//!
//! The sequence (ARCHITECTURE.md, "Choices"): resolve symlinks (never replace one, never write
//! through to a target outside the scanned roots), refuse hard-linked files (a rename would
//! split them), re-read and compare with the bytes that were scanned (someone may have edited
//! the file since), write a temporary file in the same directory, copy the permissions,
//! `fsync`, check that the target is still the file that was compared, rename over it, then
//! `fsync` the directory. On any error the original is untouched.
//!
//! The sequence has two halves. [`prepare_replacement`] does everything up to the temporary
//! file's contents, on the thread that fixed the file. [`Replacement::commit`] makes those
//! contents durable and renames them into place; a [`Committer`] runs it on I/O threads, so
//! that waiting for the disk overlaps the fixing of the next files instead of following it
//! (issue 14).
//!
//! Ownership cannot be kept without privileges: the new file belongs to the user running
//! regshift.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SendError, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("refusing to write through a symlink to {target}, which is outside the scanned paths")]
    SymlinkOutsideRoots { target: PathBuf },
    #[error("refusing to write a file with {links} hard links: replacing it would split the links")]
    HardLinked { links: u64 },
    #[error("the file changed since it was read; run regshift again")]
    ChangedSinceRead,
    #[error("refusing to write a read-only file")]
    ReadOnly,
    #[error("{operation}: {source}")]
    Io {
        operation: &'static str,
        #[source]
        source: io::Error,
    },
}

/// How the temporary file of a write is named: `.regshift-XXXXXX.tmp` beside its target.
const TEMPORARY_PREFIX: &str = ".regshift-";
const TEMPORARY_SUFFIX: &str = ".tmp";

/// Whether a file name is one of regshift's temporary files. A walk never scans them: a
/// concurrent `fix` run's temporary file, fixed again and renamed over, would put this run's
/// bytes where the other run renames its own.
pub fn is_temporary(file_name: &std::ffi::OsStr) -> bool {
    let name = file_name.as_encoded_bytes();
    name.starts_with(TEMPORARY_PREFIX.as_bytes()) && name.ends_with(TEMPORARY_SUFFIX.as_bytes())
}

fn io_error(operation: &'static str) -> impl FnOnce(io::Error) -> WriteError {
    move |source| WriteError::Io { operation, source }
}

/// Replace the contents of `path` by `contents`, atomically, if the file still holds `scanned`.
/// `roots` are the canonical scanned roots; a symlink is written through only to a target
/// inside one of them. The whole sequence on one thread: what the unit tests below run; `fix`
/// splits it between its threads ([`Committer`]).
#[cfg(test)]
pub(crate) fn persist_atomically(
    path: &Path,
    scanned: &[u8],
    contents: &[u8],
    roots: &[PathBuf],
) -> Result<(), WriteError> {
    let directory = prepare_replacement(path, scanned, contents, roots)?.commit()?;
    sync_directory(&directory);
    Ok(())
}

/// The new contents of a file, written to a temporary file beside it with its permissions:
/// neither durable nor in place yet ([`Replacement::commit`]). Dropping it removes the
/// temporary file and leaves the original as it is.
#[derive(Debug)]
pub struct Replacement {
    temporary: tempfile::NamedTempFile,
    /// The file to replace (a symlink resolved).
    target: PathBuf,
    directory: PathBuf,
    /// The file whose bytes were compared with the scanned ones.
    compared: Identity,
}

/// The first half of the sequence: check that `path` may be written and still holds
/// `scanned`, and write `contents` to a temporary file in its directory with its permissions.
pub fn prepare_replacement(
    path: &Path,
    scanned: &[u8],
    contents: &[u8],
    roots: &[PathBuf],
) -> Result<Replacement, WriteError> {
    let link_metadata = fs::symlink_metadata(path).map_err(io_error("reading metadata"))?;
    let target = if link_metadata.file_type().is_symlink() {
        let target = fs::canonicalize(path).map_err(io_error("resolving the symlink"))?;
        if !roots.iter().any(|root| target.starts_with(root)) {
            return Err(WriteError::SymlinkOutsideRoots { target });
        }
        target
    } else {
        path.to_path_buf()
    };
    let metadata = fs::metadata(&target).map_err(io_error("reading metadata"))?;
    // The rename would succeed in a writable folder; a read-only file says "do not touch".
    if metadata.permissions().readonly() {
        return Err(WriteError::ReadOnly);
    }
    refuse_hard_links(&metadata)?;

    // Taken before the file is opened, and by path as `commit` takes it again: a file replaced
    // after this point is another inode there, whatever the comparison read.
    let compared = Identity::of(&metadata);
    let mut current = fs::File::open(&target).map_err(io_error("re-reading before the write"))?;
    if !holds_exactly(&mut current, scanned).map_err(io_error("re-reading before the write"))? {
        return Err(WriteError::ChangedSinceRead);
    }
    drop(current);

    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .suffix(TEMPORARY_SUFFIX)
        .tempfile_in(&directory)
        .map_err(io_error("creating a temporary file"))?;
    temporary
        .write_all(contents)
        .map_err(io_error("writing the temporary file"))?;
    temporary
        .as_file()
        .set_permissions(metadata.permissions())
        .map_err(io_error("copying permissions"))?;
    Ok(Replacement {
        temporary,
        target,
        directory,
        compared,
    })
}

impl Replacement {
    /// The second half of the sequence: make the new contents durable, then rename
    /// them over the file, unless the file is no longer the one that was compared (edited,
    /// replaced or linked since). Gives the directory, which the caller syncs
    /// ([`sync_directory`]) once its renames are done.
    pub fn commit(self) -> Result<PathBuf, WriteError> {
        self.temporary
            .as_file()
            .sync_all()
            .map_err(io_error("syncing the temporary file"))?;
        // The bytes were compared when the temporary file was written; the file may have
        // changed while its contents were made durable.
        let now = fs::symlink_metadata(&self.target).map_err(io_error("reading metadata"))?;
        if Identity::of(&now) != self.compared {
            return Err(WriteError::ChangedSinceRead);
        }
        self.temporary
            .persist(&self.target)
            .map_err(|error| io_error("replacing the file")(error.error))?;
        Ok(self.directory)
    }
}

/// Whether `file`, read to its end, holds exactly `expected`. Read in blocks and compared as
/// it goes: the same answer as reading it whole and comparing, without a copy of the file.
fn holds_exactly(file: &mut fs::File, expected: &[u8]) -> io::Result<bool> {
    let mut block = vec![0; (64 * 1024).min(expected.len() + 1)];
    let mut offset = 0;
    loop {
        let read = match file.read(&mut block) {
            Ok(0) => return Ok(offset == expected.len()),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if expected.get(offset..offset + read) != Some(&block[..read]) {
            return Ok(false);
        }
        offset += read;
    }
}

/// What tells one state of a file from another without reading it: a replaced file is another
/// inode, a write changes the size or the change time (as finely as the file system keeps
/// time), a new hard link the link count. A second check after the byte comparison, never
/// instead of it: two states within one clock tick can look the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    #[cfg(unix)]
    device: u64,
    #[cfg(unix)]
    inode: u64,
    #[cfg(unix)]
    changed: (i64, i64),
    #[cfg(unix)]
    links: u64,
    is_file: bool,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl Identity {
    fn of(metadata: &fs::Metadata) -> Identity {
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Identity {
            #[cfg(unix)]
            device: metadata.dev(),
            #[cfg(unix)]
            inode: metadata.ino(),
            #[cfg(unix)]
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            #[cfg(unix)]
            links: metadata.nlink(),
            is_file: metadata.is_file(),
            len: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }
}

#[cfg(unix)]
fn refuse_hard_links(metadata: &fs::Metadata) -> Result<(), WriteError> {
    use std::os::unix::fs::MetadataExt;
    let links = metadata.nlink();
    if links > 1 {
        return Err(WriteError::HardLinked { links });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_hard_links(_metadata: &fs::Metadata) -> Result<(), WriteError> {
    Ok(())
}

/// Make the renames in `directory` durable. Best effort: some file systems refuse to open
/// directories.
pub fn sync_directory(directory: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = fs::File::open(directory) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = directory;
}

/// Threads that commit replacements. The disk is waited for by these, not by the threads that
/// fix files: an `fsync` is mostly waiting, so several run at once.
const COMMIT_THREADS: usize = 8;

/// Replacements queued for the I/O threads: each holds an open temporary file, so a thread
/// that submits more waits.
const MAX_QUEUED: usize = 64;

/// Commits [`Replacement`]s on I/O threads ([`Replacement::commit`]), each with the
/// caller's `token`. [`Committer::finish`] waits for them, syncs the directories of the files
/// it renamed (once each) and gives back the tokens of the replacements that failed; the
/// others' tokens are dropped on the I/O threads.
pub struct Committer<T> {
    /// The I/O threads' queue, started with the first replacement (a run that writes nothing
    /// starts no thread); `None` if no thread could start.
    queue: OnceLock<Option<SyncSender<(Replacement, T)>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    outcomes: Sender<Outcome<T>>,
    received: Mutex<Receiver<Outcome<T>>>,
    submitted: AtomicUsize,
}

/// A commit's outcome: the directory it renamed in, or the token and why it failed; or the
/// commit's panic (raised again by [`Committer::finish`]).
type Outcome<T> = thread::Result<Result<PathBuf, (T, WriteError)>>;

impl<T: Send + 'static> Default for Committer<T> {
    fn default() -> Self {
        let (outcomes, received) = channel();
        Committer {
            queue: OnceLock::new(),
            threads: Mutex::default(),
            outcomes,
            received: Mutex::new(received),
            submitted: AtomicUsize::new(0),
        }
    }
}

impl<T: Send + 'static> Committer<T> {
    /// Commit `replacement` on an I/O thread; its outcome comes back with `token`. Waits
    /// while [`MAX_QUEUED`] replacements are queued.
    pub fn submit(&self, replacement: Replacement, token: T) {
        self.submitted.fetch_add(1, Ordering::SeqCst);
        let unsent = match self.queue.get_or_init(|| self.start()) {
            Some(queue) => match queue.send((replacement, token)) {
                Ok(()) => return,
                Err(SendError(unsent)) => unsent,
            },
            None => (replacement, token),
        };
        // No I/O thread to take it: commit here, as one would.
        let (replacement, token) = unsent;
        let _ = self.outcomes.send(Ok(commit(replacement, token)));
    }

    /// Start the I/O threads: each takes the next queued replacement, commits it and sends
    /// the outcome, until the queue closes.
    fn start(&self) -> Option<SyncSender<(Replacement, T)>> {
        let (queue, queued) = sync_channel::<(Replacement, T)>(MAX_QUEUED);
        let queued = Arc::new(Mutex::new(queued));
        let mut threads = lock(&self.threads);
        for index in 0..COMMIT_THREADS {
            let queued = Arc::clone(&queued);
            let outcomes = self.outcomes.clone();
            let started = thread::Builder::new()
                .name(format!("regshift-commit-{index}"))
                .spawn(move || {
                    loop {
                        let next = lock(&queued).recv();
                        let Ok((replacement, token)) = next else {
                            return;
                        };
                        let outcome =
                            panic::catch_unwind(AssertUnwindSafe(|| commit(replacement, token)));
                        // The receiver lives as long as the committer.
                        let _ = outcomes.send(outcome);
                    }
                });
            match started {
                Ok(handle) => threads.push(handle),
                Err(_) if threads.is_empty() => return None,
                Err(_) => break,
            }
        }
        Some(queue)
    }

    /// Wait for every replacement submitted so far and sync the directories of those
    /// renamed; give the tokens of those that failed, with why (in no particular order). Call
    /// it once no thread submits.
    pub fn finish(&self) -> Vec<(T, WriteError)> {
        let count = self.submitted.swap(0, Ordering::SeqCst);
        let received = lock(&self.received);
        let mut directories = BTreeSet::new();
        let mut failed = Vec::new();
        for _ in 0..count {
            let outcome = received
                .recv()
                .expect("the committer holds a sender, so the channel stays open");
            match outcome.unwrap_or_else(|panic| panic::resume_unwind(panic)) {
                Ok(directory) => {
                    directories.insert(directory);
                }
                Err(failure) => failed.push(failure),
            }
        }
        for directory in &directories {
            sync_directory(directory);
        }
        failed
    }
}

/// Commit `replacement`: its directory, or `token` and why it failed. A token is dropped where
/// its commit succeeds.
fn commit<T>(replacement: Replacement, token: T) -> Result<PathBuf, (T, WriteError)> {
    replacement.commit().map_err(|error| (token, error))
}

impl<T> Drop for Committer<T> {
    /// Close the queue and let the I/O threads finish what they hold.
    fn drop(&mut self) {
        drop(self.queue.take());
        for handle in lock(&self.threads).drain(..) {
            let _ = handle.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keeps_mode_and_replaces_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o754)).unwrap();
        persist_atomically(&path, b"old", b"new", &[]).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o754
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn refuses_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "edited meanwhile").unwrap();
        let error = persist_atomically(&path, b"old", b"new", &[]).unwrap_err();
        assert!(matches!(error, WriteError::ChangedSinceRead));
        assert_eq!(fs::read(&path).unwrap(), b"edited meanwhile");
    }

    #[test]
    fn refuses_read_only_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
        let error = persist_atomically(&path, b"old", b"new", &[]).unwrap_err();
        assert!(matches!(error, WriteError::ReadOnly));
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn refuses_hard_links() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old").unwrap();
        fs::hard_link(&path, dir.path().join("b.yaml")).unwrap();
        let error = persist_atomically(&path, b"old", b"new", &[]).unwrap_err();
        assert!(matches!(error, WriteError::HardLinked { links: 2 }));
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn writes_through_a_symlink_inside_the_roots_and_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        let target = root.join("real.yaml");
        let link = root.join("link.yaml");
        fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink("real.yaml", &link).unwrap();
        persist_atomically(&link, b"old", b"new", std::slice::from_ref(&root)).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn refuses_a_symlink_to_outside_the_roots() {
        let outside = tempfile::tempdir().unwrap();
        let inside = tempfile::tempdir().unwrap();
        let target = outside.path().join("secret.yaml");
        fs::write(&target, "old").unwrap();
        let link = inside.path().join("link.yaml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let roots = [fs::canonicalize(inside.path()).unwrap()];
        let error = persist_atomically(&link, b"old", b"new", &roots).unwrap_err();
        assert!(matches!(error, WriteError::SymlinkOutsideRoots { .. }));
        assert_eq!(fs::read(&target).unwrap(), b"old");
    }

    #[test]
    fn the_comparison_reads_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        let scanned: Vec<u8> = (0..200_000u32).map(|index| (index % 251) as u8).collect();
        let compare = |on_disk: &[u8], expected: &[u8]| {
            fs::write(&path, on_disk).unwrap();
            holds_exactly(&mut fs::File::open(&path).unwrap(), expected).unwrap()
        };
        assert!(compare(&scanned, &scanned));
        assert!(compare(b"", b""));
        assert!(!compare(&scanned[..scanned.len() - 1], &scanned), "shorter");
        assert!(!compare(&[&scanned[..], b"x"].concat(), &scanned), "longer");
        let mut late_edit = scanned.clone();
        *late_edit.last_mut().unwrap() ^= 1;
        assert!(!compare(&late_edit, &scanned), "last byte edited");
        assert!(!compare(b"x", b""));
    }

    #[test]
    fn a_file_edited_after_the_comparison_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old").unwrap();
        let replacement = prepare_replacement(&path, b"old", b"new", &[]).unwrap();
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b" and an edit")
            .unwrap();
        let error = replacement.commit().unwrap_err();
        assert!(matches!(error, WriteError::ChangedSinceRead), "{error}");
        assert_eq!(fs::read(&path).unwrap(), b"old and an edit");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the temporary file is removed");
    }

    #[test]
    fn a_file_replaced_or_linked_after_the_comparison_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        fs::write(&path, "old").unwrap();
        let replacement = prepare_replacement(&path, b"old", b"new", &[]).unwrap();
        let swap = dir.path().join("swap");
        fs::write(&swap, "old").unwrap();
        fs::rename(&swap, &path).unwrap();
        assert!(matches!(
            replacement.commit(),
            Err(WriteError::ChangedSinceRead)
        ));

        let replacement = prepare_replacement(&path, b"old", b"new", &[]).unwrap();
        fs::hard_link(&path, dir.path().join("b.yaml")).unwrap();
        assert!(matches!(
            replacement.commit(),
            Err(WriteError::ChangedSinceRead)
        ));
        assert_eq!(fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn the_committer_gives_back_every_failure_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let committer = Committer::default();
        // More than may be queued at once: submitting waits instead of failing.
        let count = (MAX_QUEUED + COMMIT_THREADS) * 2 + 3;
        for index in 0..count {
            let path = dir.path().join(format!("{index}.yaml"));
            fs::write(&path, "old").unwrap();
            let replacement = prepare_replacement(&path, b"old", b"new", &[]).unwrap();
            if index % 10 == 0 {
                fs::write(&path, "edited").unwrap();
            }
            committer.submit(replacement, index);
        }
        let mut failed = committer.finish();
        failed.sort_by_key(|(index, _)| *index);
        let failed: Vec<usize> = failed
            .into_iter()
            .map(|(index, error)| {
                assert!(matches!(error, WriteError::ChangedSinceRead), "{error}");
                index
            })
            .collect();
        assert_eq!(failed, (0..count).step_by(10).collect::<Vec<_>>());
        for index in 0..count {
            let on_disk = fs::read(dir.path().join(format!("{index}.yaml"))).unwrap();
            let expected: &[u8] = if index % 10 == 0 { b"edited" } else { b"new" };
            assert_eq!(on_disk, expected, "{index}");
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), count);
        assert!(committer.finish().is_empty(), "each failure is given once");
    }
}
