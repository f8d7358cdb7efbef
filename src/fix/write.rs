//! Writing a fixed file without ever losing the original.
//!
//! The sequence (ARCHITECTURE.md, "Choices"): resolve symlinks (never replace one, never write
//! through to a target outside the scanned roots), refuse hard-linked files (a rename would
//! split them), re-read and compare with the bytes that were scanned (someone may have edited
//! the file since), write a temporary file in the same directory, copy the permissions,
//! `fsync`, then rename over the original. On any error the original is untouched.
//!
//! Ownership cannot be kept without privileges: the new file belongs to the user running
//! regshift.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

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
/// inside one of them.
pub fn persist_atomically(
    path: &Path,
    scanned: &[u8],
    contents: &[u8],
    roots: &[PathBuf],
) -> Result<(), WriteError> {
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

    let current = fs::read(&target).map_err(io_error("re-reading before the write"))?;
    if current != scanned {
        return Err(WriteError::ChangedSinceRead);
    }

    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .suffix(TEMPORARY_SUFFIX)
        .tempfile_in(directory)
        .map_err(io_error("creating a temporary file"))?;
    temporary
        .write_all(contents)
        .map_err(io_error("writing the temporary file"))?;
    fs::set_permissions(temporary.path(), metadata.permissions())
        .map_err(io_error("copying permissions"))?;
    temporary
        .as_file()
        .sync_all()
        .map_err(io_error("syncing the temporary file"))?;
    temporary
        .persist(&target)
        .map_err(|error| io_error("replacing the file")(error.error))?;
    sync_directory(directory);
    Ok(())
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

/// Make the rename durable. Best effort: some file systems refuse to open directories.
fn sync_directory(directory: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = fs::File::open(directory) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = directory;
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
}
