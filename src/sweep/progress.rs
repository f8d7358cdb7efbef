//! The sweep's progress bar on standard error: one step per repository done, with the running
//! finding and fix counts. Repositories finish on several threads at once, so the counts are
//! atomic. Shown only on a terminal and never in CI, so it never mixes with output that a
//! program reads.

use std::io::{self, IsTerminal};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A progress bar on standard error, only on a terminal and never in CI.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    findings: AtomicUsize,
    fixed: AtomicUsize,
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
            bar.set_message("0 findings, 0 fixed");
            bar
        });
        Progress {
            bar,
            findings: AtomicUsize::new(0),
            fixed: AtomicUsize::new(0),
        }
    }

    /// A repository is done, with `findings` remaining and `fixed` fixed.
    pub(super) fn finish_one(&self, findings: usize, fixed: usize) {
        let findings = self.findings.fetch_add(findings, Ordering::Relaxed) + findings;
        let fixed = self.fixed.fetch_add(fixed, Ordering::Relaxed) + fixed;
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{findings} findings, {fixed} fixed"));
            bar.inc(1);
        }
    }

    pub(super) fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
