//! `regshift server` under a real LSP client: the pytest-lsp suite in `tests/lsp/`. It runs
//! the binary this test build made (`CARGO_BIN_EXE_regshift`), so `cargo test` covers the language server like every other command. The client is an external tool: a
//! missing one is a skip locally and a failure in CI (`REGSHIFT_REQUIRE_TOOLS=1`), like
//! `require_tool`. `.ci/install-tools.sh` installs it.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{missing_tool, repository, stderr_of};

/// The whole pytest-lsp suite on a 2-core machine with a debug build takes well under a
/// minute; a hung server must still fail the test, not the CI run.
const SUITE_TIMEOUT: Duration = Duration::from_secs(600);

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
