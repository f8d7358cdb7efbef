//! The sweep's progress bar on standard error: one step per repository, with the running
//! file and finding counts. Shown only on a terminal and never in CI, so it never mixes with
//! output that a program reads.

use std::io::{self, IsTerminal};

/// A progress bar on standard error, only on a terminal and never in CI.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub(super) fn new(total: usize) -> Progress {
        let visible = io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        let bar = visible.then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} repositories, {msg} (ETA {eta})",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            bar
        });
        Progress { bar }
    }

    pub(super) fn start(&self, repository: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{repository}…"));
        }
    }

    pub(super) fn finish_one(&self, files: usize, findings: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{files} files, {findings} findings"));
            bar.inc(1);
        }
    }

    pub(super) fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
