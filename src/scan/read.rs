//! Reading a file the walk found: regular files only, the size cap, the binary probe, and a
//! read buffer per thread that most files (which pass no gate) reuse.

use std::fs::File;
use std::io::{self, Read};

use crate::report::FileStatus;
use crate::source::{MAX_FILE_SIZE, MAX_FILE_SIZE_TEXT, looks_binary};
use crate::walk::Candidate;

/// Read a candidate: size cap, regular files only, and (for text) the binary probe. `Err`
/// carries the status of a file that is not scanned.
pub(crate) fn read_candidate(
    candidate: &Candidate,
    text_only: bool,
) -> Result<Vec<u8>, FileStatus> {
    let mut bytes = Vec::new();
    read_into(candidate, text_only, &mut bytes)?;
    Ok(bytes)
}

/// [`read_candidate`] into `bytes` (cleared first), a buffer that a thread reuses.
fn read_into(
    candidate: &Candidate,
    text_only: bool,
    bytes: &mut Vec<u8>,
) -> Result<(), FileStatus> {
    bytes.clear();
    let unreadable = |error: io::Error| FileStatus::Skipped {
        reason: format!("cannot read: {error}"),
        is_error: true,
    };
    let not_regular = || FileStatus::Skipped {
        reason: "not a regular file".into(),
        is_error: false,
    };
    // A FIFO or device named on the command line would block on open or never end: check
    // before opening. A walked entry is a regular file by its directory entry, so it is opened
    // at once and checked on the open file (one path lookup instead of two).
    if candidate.explicit
        && !std::fs::metadata(&candidate.path)
            .map_err(unreadable)?
            .is_file()
    {
        return Err(not_regular());
    }
    let file = File::open(&candidate.path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    let too_large = || FileStatus::Skipped {
        reason: format!("larger than {MAX_FILE_SIZE_TEXT}"),
        is_error: false,
    };
    if metadata.len() > MAX_FILE_SIZE {
        return Err(too_large());
    }
    bytes.reserve(metadata.len() as usize + 1);
    // `take` keeps the cap even if the file grows after `metadata`.
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    if text_only && looks_binary(bytes) {
        return Err(FileStatus::Binary);
    }
    Ok(())
}

thread_local! {
    /// The thread's read buffer. Most files are read, pass no gate and are dropped: they must
    /// not each cost an allocation and fresh pages. A file that passes takes the buffer along.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Read a text file into the thread's buffer and hand its bytes over only when `keep` says so
/// (the byte gate): `Ok(None)` for a file that passed no gate.
pub(crate) fn read_text_if(
    candidate: &Candidate,
    keep: impl FnOnce(&[u8]) -> bool,
) -> Result<Option<Vec<u8>>, FileStatus> {
    READ_BUFFER.with_borrow_mut(|buffer| {
        read_into(candidate, true, buffer)?;
        Ok(keep(buffer).then(|| std::mem::take(buffer)))
    })
}

/// Give bytes back to the thread's buffer when they are a larger allocation: the next file
/// that passes the gate reuses their pages instead of faulting in fresh ones.
pub(crate) fn recycle(bytes: Vec<u8>) {
    READ_BUFFER.with_borrow_mut(|buffer| {
        if buffer.capacity() < bytes.capacity() {
            *buffer = bytes;
        }
    });
}
