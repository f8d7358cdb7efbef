//! Settings resolved once from flags and configuration files. Everything downstream reads these,
//! never the raw flags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{Command, FailOn, Format, ImagesArgs, ImagesFormat, ScanArgs, WalkArgs};
use crate::config::{self, Config, ConfigError};
use crate::fix::FixLevel;
use crate::path::normalize;
use crate::registry::VerifyOptions;
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

/// `-` as the only PATH of `check` or `fix`: one buffer from standard input, scanned as a
/// file would be and never written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StdinInput {
    /// `--stdin-filename`: the file the buffer stands for, relative to the current directory
    /// (it need not exist). Its configuration, its excludes (with `--force-exclude`), its file
    /// type and its chart role apply. `None`: a YAML manifest, shown as `-`.
    pub filename: Option<PathBuf>,
}

/// How the buffer from standard input is named in reports without `--stdin-filename`.
pub const STDIN_NAME: &str = "-";

/// `regshift images` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagesOptions {
    pub mirror: Option<String>,
    pub format: ImagesFormat,
    /// `--verify`: how to reach the registries; `None`: no network access at all.
    pub verify: Option<VerifyOptions>,
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
    /// `check -` or `fix -`: the one root is the buffer's name.
    pub stdin: Option<StdinInput>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot determine the current directory: {0}")]
    CurrentDir(std::io::Error),
    #[error("--jobs must be at least 1")]
    ZeroJobs,
    #[error("`-` reads standard input and must be the only PATH")]
    StdinWithPaths,
    #[error("--stdin-filename names standard input: pass `-` as the only PATH")]
    StdinFilenameWithoutStdin,
}

/// Which configuration applies to the scanned paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigChoice {
    /// The nearest `regshift.toml` above each path (stopping at the repository root).
    Discover,
    /// This file, for every path, with excludes relative to the current directory.
    File(PathBuf),
    /// None: the defaults.
    Defaults,
}

/// A scan's options as plain values, whichever command asks for it: `check`, `fix` and
/// `images` from their flags, `sweep` for each repository, an editor for its workspace.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files or folders to scan; none means the current directory.
    pub paths: Vec<PathBuf>,
    /// `--exclude` globs, relative to the current directory.
    pub exclude: Vec<String>,
    pub force_exclude: bool,
    pub config: ConfigChoice,
    /// Threads; `None` for one per CPU.
    pub jobs: Option<usize>,
    pub mode: Mode,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub reports: Vec<(Format, PathBuf)>,
    pub unsafe_fixes: bool,
    /// `--fail-on`; `None` for the configuration's, else warning.
    pub fail_on: Option<Severity>,
    pub images: Option<ImagesOptions>,
    /// Read standard input instead of `paths` (which must then be empty).
    pub stdin: Option<StdinInput>,
}

impl ScanOptions {
    /// Scan `paths` in `mode` with everything else at its default.
    pub fn new(paths: Vec<PathBuf>, mode: Mode) -> ScanOptions {
        ScanOptions {
            paths,
            exclude: Vec::new(),
            force_exclude: false,
            config: ConfigChoice::Discover,
            jobs: None,
            mode,
            format: Format::Human,
            output: None,
            reports: Vec::new(),
            unsafe_fixes: false,
            fail_on: None,
            images: None,
            stdin: None,
        }
    }

    /// The walk flags shared by `check`, `fix` and `images`.
    fn walking(walk: &WalkArgs, mode: Mode) -> ScanOptions {
        let config = match (&walk.config, walk.no_config) {
            (Some(file), _) => ConfigChoice::File(file.clone()),
            (None, true) => ConfigChoice::Defaults,
            (None, false) => ConfigChoice::Discover,
        };
        ScanOptions {
            exclude: walk.exclude.clone(),
            force_exclude: walk.force_exclude,
            config,
            jobs: walk.jobs,
            ..ScanOptions::new(walk.paths.clone(), mode)
        }
    }

    /// The options of `check` or `fix`. `-` must be the only PATH, and `--stdin-filename`
    /// comes only with it: ruff reads standard input whenever `--stdin-filename` is given and
    /// ignores other paths with a warning, but a hook or a script that passes the flag by
    /// mistake would then wait on a terminal, or scan nothing of what it named.
    pub fn from_scan(scan: &ScanArgs, mode: Mode) -> Result<ScanOptions, SettingsError> {
        let mut options = ScanOptions {
            format: scan.format.unwrap_or(Format::Human),
            output: scan.output.clone(),
            reports: scan.report.clone(),
            unsafe_fixes: scan.unsafe_fixes,
            fail_on: scan.fail_on.map(FailOn::severity),
            ..ScanOptions::walking(&scan.walk, mode)
        };
        let is_stdin = |path: &PathBuf| path.as_os_str() == STDIN_NAME;
        if options.paths.iter().any(is_stdin) {
            if options.paths.len() > 1 {
                return Err(SettingsError::StdinWithPaths);
            }
            options.paths.clear();
            options.stdin = Some(StdinInput {
                filename: scan.stdin_filename.clone(),
            });
        } else if scan.stdin_filename.is_some() {
            return Err(SettingsError::StdinFilenameWithoutStdin);
        }
        Ok(options)
    }

    /// The options of `images`.
    pub fn from_images(args: &ImagesArgs) -> ScanOptions {
        ScanOptions {
            output: args.output.clone(),
            images: Some(ImagesOptions {
                mirror: args.mirror.clone(),
                format: args.format,
                verify: args
                    .verify
                    .then(|| VerifyOptions::new(args.walk.jobs, args.insecure_registry.clone())),
            }),
            ..ScanOptions::walking(&args.walk, Mode::Images)
        }
    }
}

impl Settings {
    /// Settings for `check`, `fix` and `images` in the current directory; `None` for the
    /// commands that are not a scan.
    pub fn from_cli(command: &Command) -> Option<Result<Settings, SettingsError>> {
        let options = match command {
            Command::Check(args) => ScanOptions::from_scan(&args.scan, Mode::Check),
            Command::Fix(args) => {
                ScanOptions::from_scan(&args.scan, if args.diff { Mode::Diff } else { Mode::Fix })
            }
            Command::Images(args) => Ok(ScanOptions::from_images(args)),
            Command::Sweep(_) | Command::Explain(_) | Command::Server(_) => return None,
        };
        Some(options.and_then(|options| {
            std::env::current_dir()
                .map_err(SettingsError::CurrentDir)
                .and_then(|cwd| Self::resolve(&options, &cwd))
        }))
    }

    /// Settings for `options`, with relative paths taken from `cwd`.
    pub fn resolve(options: &ScanOptions, cwd: &Path) -> Result<Settings, SettingsError> {
        let roots = resolve_roots(options, cwd)?;
        let fail_on = options.fail_on.unwrap_or_else(|| {
            roots
                .iter()
                .find_map(|root| root.config.fail_on)
                .unwrap_or(Severity::Warning)
        });
        Ok(Settings {
            mode: options.mode,
            cwd: cwd.to_path_buf(),
            roots,
            format: options.format,
            output: options.output.clone(),
            reports: options.reports.clone(),
            fix_level: if options.unsafe_fixes {
                FixLevel::IncludeUnsafe
            } else {
                FixLevel::SafeOnly
            },
            fail_on,
            force_exclude: options.force_exclude,
            threads: threads(options.jobs)?,
            images: options.images.clone(),
            stdin: options.stdin.clone(),
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
/// Standard input has one root: the file it stands for (its configuration is found from it
/// as from a file on disk), or `-` in the current directory.
fn resolve_roots(scan: &ScanOptions, cwd: &Path) -> Result<Vec<Root>, SettingsError> {
    let given: Vec<PathBuf> = match &scan.stdin {
        Some(_) if !scan.paths.is_empty() => return Err(SettingsError::StdinWithPaths),
        Some(stdin) => vec![stdin.filename.clone().unwrap_or(PathBuf::from(STDIN_NAME))],
        None if scan.paths.is_empty() => vec![PathBuf::from(".")],
        None => scan.paths.clone(),
    };
    // A configuration named with --config applies from the current directory, wherever the
    // file itself lives (`--config ci/strict.toml` must not anchor excludes in `ci/`).
    let explicit_config = match &scan.config {
        ConfigChoice::File(path) => Some(Arc::new(Config::load(
            &cwd.join(path),
            cwd,
            &scan.exclude,
            cwd,
        )?)),
        ConfigChoice::Discover | ConfigChoice::Defaults => None,
    };
    // Keyed by the configuration file, or by the base of the defaults when there is none.
    let mut loaded: HashMap<(Option<PathBuf>, PathBuf), Arc<Config>> = HashMap::new();
    let mut roots = Vec::with_capacity(given.len());
    for path in given {
        let absolute = normalize(&cwd.join(&path));
        let config = match &explicit_config {
            Some(config) => config.clone(),
            None => {
                let found = match scan.config {
                    ConfigChoice::Discover => config::discover(&absolute),
                    _ => None,
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
