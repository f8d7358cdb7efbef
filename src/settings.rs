//! Settings resolved once from flags and configuration files. Everything downstream reads these,
//! never the raw flags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{self, Command, FailOn, Format, ScanArgs};
use crate::config::{self, Config, ConfigError};
use crate::fix::FixLevel;
use crate::path::normalize;
use crate::rules::Severity;
use crate::walk::Root;

/// What the run does with each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Check,
    Fix,
    Diff,
}

#[derive(Debug)]
pub struct Settings {
    pub mode: Mode,
    pub cwd: PathBuf,
    pub roots: Vec<Root>,
    pub format: Format,
    pub output: Option<PathBuf>,
    /// Extra reports: each format written to its file.
    pub reports: Vec<(Format, PathBuf)>,
    pub fix_level: FixLevel,
    pub fail_on: Severity,
    pub force_exclude: bool,
    pub threads: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot determine the current directory: {0}")]
    CurrentDir(std::io::Error),
    #[error("--jobs must be at least 1")]
    ZeroJobs,
}

impl Settings {
    pub fn from_cli(command: &Command) -> Result<Settings, SettingsError> {
        let cwd = std::env::current_dir().map_err(SettingsError::CurrentDir)?;
        Self::resolve(command, &cwd)
    }

    pub fn resolve(command: &Command, cwd: &Path) -> Result<Settings, SettingsError> {
        let (scan, mode) = match command {
            Command::Check(args) => (&args.scan, Mode::Check),
            Command::Fix(args) => (&args.scan, if args.diff { Mode::Diff } else { Mode::Fix }),
        };
        let roots = resolve_roots(scan, cwd)?;
        let fail_on = match scan.fail_on {
            Some(FailOn::Error) => Severity::Error,
            Some(FailOn::Warning) => Severity::Warning,
            Some(FailOn::Info) => Severity::Info,
            None => roots
                .iter()
                .find_map(|root| root.config.fail_on)
                .unwrap_or(Severity::Warning),
        };
        let threads = match scan.jobs {
            Some(0) => return Err(SettingsError::ZeroJobs),
            Some(jobs) => jobs,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        Ok(Settings {
            mode,
            cwd: cwd.to_path_buf(),
            roots,
            format: scan.format.unwrap_or(cli::Format::Human),
            output: scan.output.clone(),
            reports: scan.report.clone(),
            fix_level: if scan.unsafe_fixes {
                FixLevel::IncludeUnsafe
            } else {
                FixLevel::SafeOnly
            },
            fail_on,
            force_exclude: scan.force_exclude,
            threads,
        })
    }

    /// Canonical root paths: a symlink is written through only to a target inside one.
    /// A file named on the command line roots its own folder, resolved without following
    /// the file itself: a link to a sibling is inside, a link to `../elsewhere` is not.
    pub fn canonical_roots(&self) -> Vec<PathBuf> {
        self.roots
            .iter()
            .filter_map(|root| {
                let metadata = std::fs::symlink_metadata(&root.absolute).ok()?;
                if metadata.is_dir() {
                    std::fs::canonicalize(&root.absolute).ok()
                } else {
                    std::fs::canonicalize(root.absolute.parent()?).ok()
                }
            })
            .collect()
    }
}

/// Each PATH with the configuration that applies to it: `--config`, none with `--no-config`,
/// or the nearest `regshift.toml` above it. Configurations are loaded once each.
fn resolve_roots(scan: &ScanArgs, cwd: &Path) -> Result<Vec<Root>, SettingsError> {
    let given: Vec<PathBuf> = if scan.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        scan.paths.clone()
    };
    // A configuration named with --config applies from the current directory, wherever the
    // file itself lives (`--config ci/strict.toml` must not anchor excludes in `ci/`).
    let explicit_config = match &scan.config {
        Some(path) => Some(Arc::new(Config::load(
            &cwd.join(path),
            cwd,
            &scan.exclude,
            cwd,
        )?)),
        None => None,
    };
    // Keyed by the configuration file, or by the base of the defaults when there is none.
    let mut loaded: HashMap<(Option<PathBuf>, PathBuf), Arc<Config>> = HashMap::new();
    let mut roots = Vec::with_capacity(given.len());
    for path in given {
        let absolute = normalize(&cwd.join(&path));
        let config = match &explicit_config {
            Some(config) => config.clone(),
            None => {
                let found = if scan.no_config {
                    None
                } else {
                    config::discover(&absolute)
                };
                let base = match found {
                    Some(_) => PathBuf::new(),
                    None => default_base(&absolute, cwd),
                };
                let key = (found, base);
                match loaded.get(&key) {
                    Some(config) => config.clone(),
                    None => {
                        let config = Arc::new(match &key {
                            (Some(file), _) => Config::load(
                                file,
                                file.parent().unwrap_or(cwd),
                                &scan.exclude,
                                cwd,
                            )?,
                            (None, base) => Config::defaults(base, &scan.exclude, cwd)?,
                        });
                        loaded.insert(key, config.clone());
                        config
                    }
                }
            }
        };
        roots.push(Root {
            given: path,
            absolute,
            config,
        });
    }
    Ok(roots)
}

/// Without a configuration file, default excludes are relative to the repository root (the
/// nearest folder above with `.git`), else to the current directory when the path is below it,
/// else to the path itself. `--force-exclude` then sees `vendor/` in `vendor/x/a.yaml`.
fn default_base(absolute: &Path, cwd: &Path) -> PathBuf {
    let start = if absolute.is_dir() {
        absolute
    } else {
        absolute.parent().unwrap_or(absolute)
    };
    if let Some(repository) = start.ancestors().find(|dir| dir.join(".git").exists()) {
        return repository.to_path_buf();
    }
    if absolute.starts_with(cwd) {
        return cwd.to_path_buf();
    }
    start.to_path_buf()
}
