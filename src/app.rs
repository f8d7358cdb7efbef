//! A command's run: [`scan`] the paths, then render the reports on one thread, through every
//! reporter the settings ask for, and say how the run ended.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use crate::cli::Format;
use crate::images::{self, ImagesReporter, Verified};
use crate::report::concise::ConciseReporter;
use crate::report::diff::DiffReporter;
use crate::report::github::GithubReporter;
use crate::report::gitlab::GitlabReporter;
use crate::report::human::HumanReporter;
use crate::report::json::{JsonLinesReporter, JsonReporter};
use crate::report::markdown::MarkdownReporter;
use crate::report::messages::{DiffSummaryReporter, MessagesReporter};
use crate::report::rdjson::RdjsonReporter;
use crate::report::sarif::SarifReporter;
use crate::report::{FileReport, RenderOptions, Reporter, RunReport};
use crate::scan::stdin::Input;
pub use crate::scan::{Scanned, scan};
use crate::settings::{Mode, Settings, StdinInput};

/// How the run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above the failing severity (exit 0).
    Clean,
    /// Findings at or above it remain, or `--diff` would change files (exit 1).
    Findings,
    /// A file could not be read or written (exit 2).
    Error,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Error => 2,
        }
    }
}

impl Scanned {
    /// The exit status this scan calls for.
    pub fn outcome(&self, mode: Mode) -> Outcome {
        let changes = self.reports.iter().any(|report| report.fixed > 0);
        if self.run.summary.io_errors > 0 {
            Outcome::Error
        } else if mode == Mode::Images {
            // A listing, not a check: success is exit 0.
            Outcome::Clean
        } else if mode == Mode::Diff {
            if changes {
                Outcome::Findings
            } else {
                Outcome::Clean
            }
        } else if self.run.summary.failing > 0 {
            Outcome::Findings
        } else {
            Outcome::Clean
        }
    }
}

/// Run the whole pipeline and render its output: the report to standard output (or
/// `--output`) and each `--report` file; the run's messages, and with `--diff` the closing
/// summary, to `stderr`, which the binary opens (colour per `--color`). I/O errors on the output
/// propagate (the caller stops quietly on a broken pipe).
pub fn run(settings: &Settings, stderr: &mut dyn Write) -> io::Result<Outcome> {
    if let Some(stdin) = &settings.stdin {
        return run_stdin(settings, stdin, stderr);
    }
    let scanned = scan(settings)?;
    let verified = settings
        .images
        .as_ref()
        .and_then(|options| verify_images(options, &scanned));
    let outcome = scanned.outcome(settings.mode);
    let verified_outcome = verified.as_ref().map(verify_outcome);
    render_reports(settings, &scanned, stderr, ReportTo::Stdout, verified)?;
    // An error wins: a partial check cannot claim completeness.
    Ok(match (outcome, verified_outcome) {
        (Outcome::Error, _) | (_, None) => outcome,
        (_, Some(verified)) => verified,
    })
}

/// `images --verify`: check the plan's images, with a progress bar on a terminal (never in
/// CI); `None` without `--verify`, and then nothing touches the network.
fn verify_images(options: &crate::settings::ImagesOptions, scanned: &Scanned) -> Option<Verified> {
    options.verify.as_ref()?;
    let visible = io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let bar = indicatif::ProgressBar::hidden();
    if visible {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos} images checked",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
    }
    let verified = images::verify(options, &scanned.reports, &|| bar.inc(1));
    bar.finish_and_clear();
    verified
}

/// Exit status of a verification: 2 when an image could not be checked, 1 when one is
/// missing, else 0.
fn verify_outcome(verified: &Verified) -> Outcome {
    match images::verify_counts(verified) {
        (_, errors) if errors > 0 => Outcome::Error,
        (missing, _) if missing > 0 => Outcome::Findings,
        _ => Outcome::Clean,
    }
}

/// Where the main report goes without `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReportTo {
    Stdout,
    /// `fix -`: standard output carries the fixed bytes alone, as formatters do.
    Stderr,
}

/// Where a reporter renders: a file or standard output opened for it, or the run's standard
/// error.
enum Destination {
    Opened(Box<dyn Write>),
    Stderr,
}

/// `check -` and `fix -`: one buffer from standard input. `check -` reports as for a file;
/// `fix -` writes the fixed bytes (or the input unchanged) to standard output, byte for byte,
/// and its report to standard error; `fix --diff -` prints the diff and no bytes.
fn run_stdin(
    settings: &Settings,
    stdin: &StdinInput,
    stderr: &mut dyn Write,
) -> io::Result<Outcome> {
    let mut input = io::stdin().lock();
    let scanned = crate::scan::stdin::scan(settings, stdin, Input::read(&mut input));
    let report_to = match settings.mode {
        Mode::Fix => ReportTo::Stderr,
        Mode::Check | Mode::Diff | Mode::Images => ReportTo::Stdout,
    };
    render_reports(settings, &scanned.scanned, stderr, report_to, None)?;
    if let Some(bytes) = &scanned.output {
        // Not through anstream: it would strip escape sequences that belong to the input.
        let mut stdout = io::stdout().lock();
        stdout.write_all(bytes)?;
        if scanned.rest_unread {
            io::copy(&mut input, &mut stdout)?;
        }
        stdout.flush()?;
    }
    Ok(scanned.scanned.outcome(settings.mode))
}

/// Every reporter over the scan: the run's messages to `stderr`, the main report (to
/// `--output`, else where `report_to` says), each `--report`, and `fix --diff`'s summary.
fn render_reports(
    settings: &Settings,
    scanned: &Scanned,
    stderr: &mut dyn Write,
    report_to: ReportTo,
    verified: Option<Verified>,
) -> io::Result<()> {
    let Scanned {
        reports,
        run,
        options,
    } = scanned;
    let options = *options;
    // The run's messages go to standard error before the report, so machine formats keep
    // standard output to the document alone; the `--diff` summary follows the diff.
    render(&mut MessagesReporter, stderr, reports, run)?;
    // The main report (stdout or --output), then each --report, all from the same results.
    let main_reporter: Box<dyn Reporter> = match &settings.images {
        Some(images) => Box::new(ImagesReporter::new(images.clone(), verified)),
        None if settings.stdin.is_some()
            && settings.mode != Mode::Diff
            && settings.format == Format::Human =>
        {
            Box::new(HumanReporter::new(options).for_stdin())
        }
        None => reporter_for(settings.mode, settings.format, options),
    };
    // Every file is created before anything is rendered into one.
    let main_output = match (&settings.output, report_to) {
        (None, ReportTo::Stderr) => Destination::Stderr,
        (output, _) => Destination::Opened(open_output(output.as_deref())?),
    };
    let mut outputs = vec![(main_reporter, main_output)];
    for (format, path) in &settings.reports {
        outputs.push((
            reporter_for(Mode::Check, *format, options),
            Destination::Opened(open_output(Some(path))?),
        ));
    }
    for (reporter, out) in &mut outputs {
        let out: &mut dyn Write = match out {
            Destination::Opened(out) => out,
            Destination::Stderr => &mut *stderr,
        };
        render(reporter.as_mut(), out, reports, run)?;
    }
    if settings.mode == Mode::Diff {
        let mut summary = DiffSummaryReporter::new(settings.fix_level, settings.stdin.is_some());
        render(&mut summary, stderr, reports, run)?;
    }
    Ok(())
}

/// One reporter over the whole run: `begin`, every file in order, `end`, then flush.
fn render(
    reporter: &mut dyn Reporter,
    out: &mut dyn Write,
    reports: &[FileReport],
    run: &RunReport,
) -> io::Result<()> {
    reporter.begin(out)?;
    for report in reports {
        reporter.file(out, report)?;
    }
    reporter.end(out, run)?;
    out.flush()
}

/// The renderer for a format; `fix --diff` always prints the diff.
fn reporter_for(mode: Mode, format: Format, options: RenderOptions) -> Box<dyn Reporter> {
    if mode == Mode::Diff {
        return Box::new(DiffReporter);
    }
    match format {
        Format::Human => Box::new(HumanReporter::new(options)),
        Format::Concise => Box::new(ConciseReporter::new(options)),
        Format::Json => Box::new(JsonReporter::new(options)),
        Format::Jsonl => Box::new(JsonLinesReporter),
        Format::Sarif => Box::new(SarifReporter::new(options)),
        Format::Github => Box::new(GithubReporter::new(options)),
        Format::Markdown => Box::new(MarkdownReporter::new(options)),
        Format::Gitlab => Box::new(GitlabReporter::new()),
        Format::Rdjson => Box::new(RdjsonReporter::new(options)),
    }
}

/// Standard output through anstream (colour per `--color`, NO_COLOR and the terminal), or a
/// file, which never gets colour.
fn open_output(path: Option<&Path>) -> io::Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => {
            let file = File::create(path).map_err(|error| {
                io::Error::new(error.kind(), format!("{}: {error}", path.display()))
            })?;
            Box::new(BufWriter::new(anstream::AutoStream::never(file)))
        }
        None => Box::new(BufWriter::new(anstream::stdout().lock())),
    })
}
