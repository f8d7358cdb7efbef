//! What the user typed: clap derive definitions, nothing resolved yet. `settings.rs` turns these
//! into validated settings so that nothing downstream reads raw flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  nothing to report at or above the failing severity (--fail-on, default warning)
  1  findings at or above it remain (for `fix`: after fixing; for `fix --diff`: there would be changes)
  2  usage, configuration or I/O error (an error wins over findings)";

/// Find and safely rewrite references to the frozen k8s.gcr.io registry.
#[derive(Debug, Parser)]
#[command(
    name = "regshift",
    version,
    about,
    long_about = "Find every reference to the frozen Kubernetes registry k8s.gcr.io (and its legacy \
                  relatives) in a repository, show each with its exact location, and rewrite the \
                  ones that are safe to rewrite to registry.k8s.io.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub color: colorchoice_clap::Color,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report legacy registry references
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// Apply safe fixes in place (with --diff: print what would change and write nothing)
    #[command(after_help = EXIT_CODES)]
    Fix(FixArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub scan: ScanArgs,

    /// Print the unified diff of what `fix` would change; write nothing
    #[arg(long, conflicts_with = "format")]
    pub diff: bool,
}

/// Options shared by every scanning command.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Write the report to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write a report in FORMAT to FILE (repeatable): `--report sarif=regshift.sarif`
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub report: Vec<(Format, PathBuf)>,

    /// Also apply unsafe fixes (`fix`), or count them as fixable (`check`)
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Exclude files matching GLOB (gitignore syntax, relative to the current directory); repeatable
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Apply excludes to paths named on the command line too (for pre-commit)
    #[arg(long)]
    pub force_exclude: bool,

    /// Use this configuration file instead of searching for regshift.toml
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Ignore configuration files
    #[arg(long)]
    pub no_config: bool,

    /// Lowest severity that makes the exit code 1 [default: warning]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Number of threads [default: number of CPUs]
    #[arg(long, short = 'j', visible_alias = "threads", value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Snippets with the span underlined and the fix (default)
    Human,
    /// One line per finding: path:line:col: rule message
    Concise,
    /// One JSON document
    Json,
    /// One JSON finding per line
    Jsonl,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// GitHub Actions annotations
    Github,
    /// A Markdown report (job summary, pull-request comment)
    Markdown,
}

/// `FORMAT=FILE` for `--report`.
fn parse_report(text: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = text
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=FILE, got `{text}`"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        let known: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|variant| Some(variant.to_possible_value()?.get_name().to_string()))
            .collect();
        format!(
            "unknown format `{format}` (expected one of {})",
            known.join(", ")
        )
    })?;
    if file.is_empty() {
        return Err(format!("no file after `{format:?}=`"));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
}
