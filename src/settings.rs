//! Settings resolved once from flags and configuration files. Everything downstream reads these,
//! never the raw flags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{Command, FailOn, Format, ImagesArgs, ImagesFormat, ScanArgs, WalkArgs};
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
    /// `regshift images`: a check whose report is the list of legacy images.
    Images,
}

/// `regshift images` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagesOptions {
    pub mirror: Option<String>,
    pub format: ImagesFormat,
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
    pub images: Option<ImagesOptions>,
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

/// A scan's options, whichever command asks for it (check, fix, images, each repository of a
/// sweep).
#[derive(Debug)]
pub struct ScanRequest<'a> {
    pub walk: &'a WalkArgs,
    pub mode: Mode,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub reports: Vec<(Format, PathBuf)>,
    pub unsafe_fixes: bool,
    pub fail_on: Option<FailOn>,
    pub images: Option<ImagesOptions>,
}

impl<'a> ScanRequest<'a> {
    /// The request of `check` or `fix`.
    pub fn from_scan(scan: &'a ScanArgs, mode: Mode) -> ScanRequest<'a> {
        ScanRequest {
            walk: &scan.walk,
            mode,
            format: scan.format.unwrap_or(Format::Human),
            output: scan.output.clone(),
            reports: scan.report.clone(),
            unsafe_fixes: scan.unsafe_fixes,
            fail_on: scan.fail_on,
            images: None,
        }
    }

    /// The request of `images`.
    pub fn from_images(args: &'a ImagesArgs) -> ScanRequest<'a> {
        ScanRequest {
            walk: &args.walk,
            mode: Mode::Images,
            format: Format::Human,
            output: args.output.clone(),
            reports: Vec::new(),
            unsafe_fixes: false,
            fail_on: None,
            images: Some(ImagesOptions {
                mirror: args.mirror.clone(),
                format: args.format,
            }),
        }
    }
}

impl Settings {
    /// Settings for `check`, `fix` and `images` in the current directory; `None` for the
    /// commands that are not a scan.
    pub fn from_cli(command: &Command) -> Option<Result<Settings, SettingsError>> {
        let request = match command {
            Command::Check(args) => ScanRequest::from_scan(&args.scan, Mode::Check),
            Command::Fix(args) => {
                ScanRequest::from_scan(&args.scan, if args.diff { Mode::Diff } else { Mode::Fix })
            }
            Command::Images(args) => ScanRequest::from_images(args),
            Command::Sweep(_) | Command::Explain(_) => return None,
        };
        Some(
            std::env::current_dir()
                .map_err(SettingsError::CurrentDir)
                .and_then(|cwd| Self::resolve(&request, &cwd)),
        )
    }

    pub fn resolve(request: &ScanRequest<'_>, cwd: &Path) -> Result<Settings, SettingsError> {
        let walk = request.walk;
        let roots = resolve_roots(walk, cwd)?;
        let fail_on = match request.fail_on {
            Some(FailOn::Error) => Severity::Error,
            Some(FailOn::Warning) => Severity::Warning,
            Some(FailOn::Info) => Severity::Info,
            None => roots
                .iter()
                .find_map(|root| root.config.fail_on)
                .unwrap_or(Severity::Warning),
        };
        Ok(Settings {
            mode: request.mode,
            cwd: cwd.to_path_buf(),
            roots,
            format: request.format,
            output: request.output.clone(),
            reports: request.reports.clone(),
            fix_level: if request.unsafe_fixes {
                FixLevel::IncludeUnsafe
            } else {
                FixLevel::SafeOnly
            },
            fail_on,
            force_exclude: walk.force_exclude,
            threads: threads(walk.jobs)?,
            images: request.images.clone(),
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
fn resolve_roots(scan: &WalkArgs, cwd: &Path) -> Result<Vec<Root>, SettingsError> {
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

/// `--jobs`, or the number of CPUs.
pub fn threads(jobs: Option<usize>) -> Result<usize, SettingsError> {
    match jobs {
        Some(0) => Err(SettingsError::ZeroJobs),
        Some(jobs) => Ok(jobs),
        None => Ok(std::thread::available_parallelism().map_or(1, usize::from)),
    }
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
