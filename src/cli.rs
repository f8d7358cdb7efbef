//! What the user typed: clap derive definitions, nothing resolved yet. `settings.rs` turns these
//! into validated settings so that nothing downstream reads raw flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::rules::Severity;

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
    /// Scan (and with --fix, fix) every git repository under each DIR
    Sweep(SweepArgs),
    /// List the legacy images in use with their registry.k8s.io names (a mirroring plan)
    Images(ImagesArgs),
    /// Explain a rule: what it finds, why it matters, what its fix does
    Explain(ExplainArgs),
    /// Run the language server (LSP 3.17 over stdio) for editors
    Server(ServerArgs),
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Speak LSP over standard input and output (the only transport; accepted because many
    /// editors pass it)
    #[arg(long)]
    pub stdio: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The rule to explain (see --list)
    #[arg(value_name = "RULE")]
    pub rule: Option<String>,

    /// List every rule
    #[arg(long, conflicts_with = "rule")]
    pub list: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Exit codes:
  0  the list was printed (with --verify: every image is present)
  1  with --verify: some images are missing
  2  usage, configuration or I/O error, or with --verify some images could not be checked
     (an error wins: a partial check cannot claim completeness)")]
pub struct ImagesArgs {
    #[command(flatten)]
    pub walk: WalkArgs,

    /// Print `crane copy` commands that copy each image from registry.k8s.io into HOST
    /// (with --verify: check the images there)
    #[arg(long, value_name = "HOST")]
    pub mirror: Option<String>,

    /// Ask the registry each image will be pulled from (registry.k8s.io, the --mirror, a
    /// move's target) whether it has the image; the only option that uses the network
    #[arg(long)]
    pub verify: bool,

    /// Reach HOST over plain HTTP with --verify (loopback hosts always are); repeatable
    #[arg(long, value_name = "HOST", requires = "verify")]
    pub insecure_registry: Vec<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = ImagesFormat::Text)]
    pub format: ImagesFormat,

    /// Write the list to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImagesFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "Exit codes:
  0  no repository has findings at or above the failing severity
  1  at least one has
  2  a usage error, or a repository could not be scanned or fixed (its row says why)
With --merge, the same from the rows of the documents (each row's `failing` count was made
with its shard's --fail-on); 2 also for a file that cannot be merged.")]
pub struct SweepArgs {
    /// Folders to search for git repositories
    #[arg(value_name = "DIR", required_unless_present_any = ["repos_from", "merge"])]
    pub dirs: Vec<PathBuf>,

    /// Sweep nothing: merge the documents of `sweep --format json` (one per shard) into one
    /// report in --format, rows in the order of one sweep, totals and exit code recomputed
    #[arg(
        long,
        value_name = "FILE",
        num_args = 1..,
        conflicts_with_all = [
            "dirs", "depth", "repos_from", "shard", "fix", "commit", "branch",
            "unsafe_fixes", "fail_on", "exclude", "no_config", "jobs",
        ],
    )]
    pub merge: Vec<PathBuf>,

    /// How many folders deep to look for repositories below each DIR
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub depth: usize,

    /// Read repository paths from FILE, one per line (`#` starts a comment)
    #[arg(long, value_name = "FILE")]
    pub repos_from: Option<PathBuf>,

    /// Take a stable share of the repositories: shard K of N (1-based), to split a sweep
    /// across CI jobs
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,

    /// Output format
    #[arg(long, value_enum, default_value_t = SweepFormat::Human)]
    pub format: SweepFormat,

    /// Write the table to FILE instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Fix each repository (safe fixes; with --unsafe-fixes, unsafe ones too)
    #[arg(long)]
    pub fix: bool,

    /// With --fix: commit the fix on a branch in each repository that needs it, without
    /// touching the working tree or the checked-out branch; reruns update or keep the branch
    /// (never pushes; refuses repositories with uncommitted changes)
    #[arg(long, requires = "fix")]
    pub commit: bool,

    /// The branch --commit creates or updates
    #[arg(long, default_value = "regshift/registry-k8s-io", value_name = "NAME")]
    pub branch: String,

    /// Also apply unsafe fixes, or count them as fixable
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Lowest severity that makes the exit code 1 [default: warning]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Exclude files matching GLOB in every repository; repeatable
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Ignore configuration files in the repositories
    #[arg(long)]
    pub no_config: bool,

    /// Number of threads [default: number of CPUs]
    #[arg(long, short = 'j', visible_alias = "threads", value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// An aligned table
    Human,
    Markdown,
    Csv,
    /// One JSON document
    Json,
    /// One repository object per line
    Jsonl,
}

/// `K/N` for `--shard`.
fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let (shard, shards) = text
        .split_once('/')
        .ok_or_else(|| format!("expected K/N, got `{text}`"))?;
    let shard: usize = shard
        .parse()
        .map_err(|_| format!("`{shard}` is not a number"))?;
    let shards: usize = shards
        .parse()
        .map_err(|_| format!("`{shards}` is not a number"))?;
    if shards == 0 {
        return Err("the number of shards must be at least 1".to_owned());
    }
    if shard == 0 || shard > shards {
        return Err(format!(
            "shard must be between 1/{shards} and {shards}/{shards}"
        ));
    }
    Ok((shard, shards))
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

/// What to scan: shared by check, fix and images.
#[derive(Debug, Args)]
pub struct WalkArgs {
    /// Files or folders to scan [default: .]; for `check` and `fix`, `-` alone reads one
    /// buffer from standard input
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

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

    /// Number of threads [default: number of CPUs]
    #[arg(long, short = 'j', visible_alias = "threads", value_name = "N")]
    pub jobs: Option<usize>,
}

/// Options shared by check and fix.
#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub walk: WalkArgs,

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

    /// Lowest severity that makes the exit code 1 [default: warning]
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// With `-`: the path standard input stands for (its configuration, excludes and file
    /// type; it need not exist) [default: a YAML manifest shown as `-`]
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
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
    /// A GitLab Code Quality report (artifacts: reports: codequality)
    Gitlab,
    /// reviewdog's Diagnostic Format, one object (reviewdog -f=rdjson)
    Rdjson,
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

impl FailOn {
    pub fn severity(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}
