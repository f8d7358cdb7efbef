//! `check -` and `fix -`: one buffer from standard input, scanned as the file
//! `--stdin-filename` names would be (its configuration, its carrier and chart role; the file
//! need not exist), or as a YAML manifest shown as `-`. The same engine, the same verified fix
//! and the same reports as for a file on disk; nothing is written to disk. `app` writes what
//! `fix -` gives back to standard output.
//!
//! Excludes apply to the named path only with `--force-exclude`, as for a file named on the
//! command line (and as ruff does for `--stdin-filename`): an editor that pipes every buffer
//! through regshift passes it, a user who pipes one on purpose gets it scanned.

use std::io::{self, Read};
use std::sync::Mutex;

use super::{Check, FileMode, Fix, FixOutput, Scanned, run_report};
use crate::carrier::Carrier;
use crate::engine::Engine;
use crate::path::RepoPath;
use crate::report::{FileReport, FileStatus, RenderOptions};
use crate::settings::{Mode, STDIN_NAME, Settings, StdinInput};
use crate::source::{MAX_FILE_SIZE, MAX_FILE_SIZE_TEXT, looks_binary};
use crate::walk::Candidate;

/// Standard input, read up to the size cap.
#[derive(Debug)]
pub struct Input {
    /// Everything, or the first `MAX_FILE_SIZE + 1` bytes.
    bytes: Vec<u8>,
    /// More follows `bytes`, unread: the input is over the size cap.
    rest_unread: bool,
    /// Reading failed: `bytes` is whatever came before.
    read_error: Option<io::Error>,
}

impl Input {
    /// Read `reader` to its end, or to one byte past the size cap.
    pub fn read(reader: &mut dyn Read) -> Input {
        let mut bytes = Vec::new();
        let read_error = reader.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes).err();
        Input {
            rest_unread: read_error.is_none() && bytes.len() as u64 > MAX_FILE_SIZE,
            bytes,
            read_error,
        }
    }

    /// Why the buffer cannot be scanned; each is an error (exit code 2).
    fn unscannable(&self) -> Option<String> {
        if let Some(error) = &self.read_error {
            Some(format!("cannot read standard input: {error}"))
        } else if self.rest_unread {
            Some(format!("not scanned: larger than {MAX_FILE_SIZE_TEXT}"))
        } else if looks_binary(&self.bytes) {
            Some("not scanned: binary (a NUL byte in the first 8 KiB)".to_owned())
        } else {
            None
        }
    }
}

/// A scan of standard input.
#[derive(Debug)]
pub struct ScannedStdin {
    pub scanned: Scanned,
    /// For `fix -` (not `--diff`): what standard output gets, the fixed bytes or, when nothing
    /// was fixed (or the fix was refused), the input unchanged. `None` when standard input
    /// could not be read: part of it would pass for the whole.
    pub output: Option<Vec<u8>>,
    /// The rest of standard input follows `output` unread: an input over the size cap passes
    /// through unchanged.
    pub rest_unread: bool,
}

/// Scan the buffer `input` as `stdin` names it, in the settings' mode.
pub fn scan(settings: &Settings, stdin: &StdinInput, input: Input) -> ScannedStdin {
    let root = settings.roots.first().expect("standard input has one root");
    let file = Candidate {
        path: root.absolute.clone(),
        display: match &stdin.filename {
            Some(_) => RepoPath::from_path(&root.absolute, &settings.cwd),
            None => RepoPath::new(STDIN_NAME),
        },
        root: 0,
        explicit: true,
    };
    let excluded = settings.force_exclude
        && stdin.filename.is_some()
        && root.config.is_excluded(&root.absolute, false, true);
    let rest_unread = input.rest_unread;
    let (report, output) = if excluded {
        (None, Some(input.bytes))
    } else if let Some(reason) = input.unscannable() {
        // Not listed as skipped: nothing else was scanned, so the run failed, and says why.
        let mut report = FileReport::new(file.display.clone(), FileStatus::Binary);
        report.error = Some(reason);
        let output = input.read_error.is_none().then_some(input.bytes);
        (Some(report), output)
    } else {
        let engine = Engine::new(settings);
        // Without a name the buffer is what kubectl prints: a YAML manifest.
        let carrier = stdin.filename.is_none().then_some(Carrier::Yaml);
        let (report, output) = process(settings, &engine, &file, input.bytes, carrier);
        (Some(report), Some(output))
    };
    let options = RenderOptions {
        mode: settings.mode,
        fix_level: settings.fix_level,
        fail_on: settings.fail_on,
    };
    // As in a walk, a clean file is counted, not kept.
    let (reports, clean_files) = match report {
        Some(report) if report.is_clean() => (Vec::new(), 1),
        Some(report) => (vec![report], 0),
        None => (Vec::new(), 0),
    };
    let mut run = run_report(&reports, &[], &options);
    run.summary.files_scanned += clean_files;
    ScannedStdin {
        scanned: Scanned {
            reports,
            run,
            options,
        },
        output: output.filter(|_| settings.mode == Mode::Fix),
        rest_unread,
    }
}

/// The buffer's report in the settings' mode, and the bytes `fix -` writes: the fixed buffer,
/// or the input.
fn process(
    settings: &Settings,
    engine: &Engine,
    file: &Candidate,
    bytes: Vec<u8>,
    carrier: Option<Carrier>,
) -> (FileReport, Vec<u8>) {
    if !engine.may_match(file, &bytes) {
        return (
            FileReport::new(file.display.clone(), FileStatus::Scanned),
            bytes,
        );
    }
    let checked = engine.detect_as(file, bytes, carrier);
    let level = settings.fix_level;
    match settings.mode {
        Mode::Check | Mode::Images => Check.process(engine, file, checked),
        Mode::Diff => Fix {
            level,
            output: FixOutput::Diff,
        }
        .process(engine, file, checked),
        Mode::Fix => {
            let fix = Fix {
                level,
                output: FixOutput::Keep(Mutex::new(None)),
            };
            let (report, input) = fix.process(engine, file, checked);
            let FixOutput::Keep(kept) = fix.output else {
                unreachable!("made with FixOutput::Keep above")
            };
            let fixed = kept
                .into_inner()
                .unwrap_or_else(|poison| poison.into_inner());
            (report, fixed.unwrap_or(input))
        }
    }
}
