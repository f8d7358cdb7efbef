//! `regshift server` under real LSP clients: the pytest-lsp suite in `tests/lsp/` and Neovim.
//! Both run the binary this test build made (`CARGO_BIN_EXE_regshift`), so `cargo test`
//! covers the language server like every other command. The clients are external tools: a
//! missing one is a skip locally and a failure in CI (`REGSHIFT_REQUIRE_TOOLS=1`), like
//! `require_tool`. `.ci/install-tools.sh` installs both.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{missing_tool, repository, require_tool, stderr_of, write};

/// The whole pytest-lsp suite on a 2-core machine with a debug build takes well under a
/// minute; a hung server must still fail the test, not the CI run.
const SUITE_TIMEOUT: Duration = Duration::from_secs(600);
const NVIM_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether `python` can import pytest-lsp.
fn imports_pytest_lsp(python: &PathBuf) -> bool {
    Command::new(python)
        .args(["-c", "import pytest_lsp"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A Python that has pytest-lsp: `$REGSHIFT_LSP_PYTHON` as given, else the venv that
/// `.ci/install-tools.sh` makes (`target/tools/venv`), else `python3` on `PATH`.
fn python_with_pytest_lsp() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("REGSHIFT_LSP_PYTHON").filter(|p| !p.is_empty()) {
        // An explicit interpreter is used as given: if it lacks pytest-lsp, pytest says so.
        return Some(PathBuf::from(python));
    }
    let venv = repository().join("target/tools/venv/bin/python");
    [venv, PathBuf::from("python3")]
        .into_iter()
        .find(imports_pytest_lsp)
}

#[test]
fn pytest_lsp_suite_passes_against_the_built_server() {
    let Some(python) = python_with_pytest_lsp() else {
        missing_tool(
            "pytest-lsp not found (no target/tools/venv with it, and python3 cannot import \
             pytest_lsp)",
            "run .ci/install-tools.sh, or `pip install -r tests/lsp/requirements.txt`, or set \
             $REGSHIFT_LSP_PYTHON",
        );
        return;
    };
    let output = assert_cmd::Command::new(&python)
        .args(["-m", "pytest", "tests/lsp", "-q", "-p", "no:cacheprovider"])
        .current_dir(repository())
        .env("REGSHIFT_BIN", env!("CARGO_BIN_EXE_regshift"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("PYTEST_ADDOPTS")
        .write_stdin("")
        .timeout(SUITE_TIMEOUT)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pytest tests/lsp failed ({}), with {}:\n{stdout}\n{}",
        output.status,
        python.display(),
        stderr_of(&output)
    );
    // pytest's summary, for `cargo test -- --nocapture`.
    println!("{}", stdout.trim_end().lines().last().unwrap_or_default());
}

/// A pod whose first finding comes after multi-byte text (`é`: 2 bytes, 1 UTF-16 unit; `🚀`:
/// 4 bytes, 2 units) and a proxy path that has no fix.
const NVIM_POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: café
spec:
  containers:
  - {name: \"café 🚀\", image: k8s.gcr.io/pause:3.1}
  - name: proxied
    image: harbor.example.com/k8s.gcr.io/addon-resizer:1.8
";

#[test]
fn neovim_shows_the_diagnostics_offers_the_fixes_and_applies_one() {
    let Some(nvim) = require_tool("nvim", "REGSHIFT_NVIM") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    fs::create_dir_all(root.join(".git")).unwrap();
    let file = root.join("pod.yaml");
    write(&file, NVIM_POD);
    let transcript_path = dir.path().join("transcript.txt");
    let script = repository().join("tests/lsp/nvim/regshift_lsp.lua");

    let output = assert_cmd::Command::new(&nvim)
        .args(["--headless", "--clean", "-n", "-i", "NONE", "-c"])
        .arg(format!("luafile {}", script.display()))
        .arg(&file)
        .current_dir(&root)
        .env("REGSHIFT_BIN", env!("CARGO_BIN_EXE_regshift"))
        .env("REGSHIFT_NVIM_OUT", &transcript_path)
        // Neovim's own state (the LSP log, shada) stays in the temporary folder.
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .write_stdin("")
        .timeout(NVIM_TIMEOUT)
        .output()
        .expect("nvim runs");
    let transcript = fs::read_to_string(&transcript_path).unwrap_or_default();
    println!("{transcript}");
    assert!(
        output.status.success(),
        "nvim failed ({}):\n{transcript}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        stderr_of(&output)
    );
    let lines: Vec<&str> = transcript.lines().collect();
    let starting = |prefix: &str| -> Vec<&str> {
        lines
            .iter()
            .copied()
            .filter(|line| line.starts_with(prefix))
            .collect()
    };

    // Neovim's columns count bytes: `  - {name: "café 🚀", image: ` is 32 bytes.
    assert_eq!(
        starting("diagnostic "),
        [
            "diagnostic 7:33 legacy-host image is pulled from the frozen registry k8s.gcr.io",
            "diagnostic 9:31 proxy-path k8s.gcr.io is a project on the registry proxy \
             harbor.example.com, which still pulls from the frozen registry | note: no \
             automatic fix: point the proxy project at registry.k8s.io and reference that \
             project",
            // After the fix, only the proxy path is left.
            "diagnostic 9:31 proxy-path",
        ],
        "{transcript}"
    );
    assert_eq!(
        starting("action "),
        [
            "action [quickfix] Fix legacy-host: replace `k8s.gcr.io` with `registry.k8s.io` \
             (preferred)",
            "action [quickfix] Suppress legacy-host on this line",
            "action [source.fixAll.regshift] Fix all safe regshift findings",
        ],
        "{transcript}"
    );
    assert_eq!(
        starting("after the fix: "),
        ["after the fix:   - {name: \"café 🚀\", image: registry.k8s.io/pause:3.1}"],
        "{transcript}"
    );
    assert_eq!(starting("server exit "), ["server exit 0"], "{transcript}");
}
