//! Helpers that more than one module of the integration tests needs.

use std::path::{Path, PathBuf};

/// Where `.ci/install-tools.sh` puts the tools.
pub fn tools_bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/bin")
}

/// Find `name`: `$env_var`, then `PATH`, then `target/tools/bin`. When it is missing, print
/// `skipped: NAME not found on PATH` and return `None`, unless `REGSHIFT_REQUIRE_TOOLS=1`
/// (CI), where a missing tool is a failure: no skip goes unnoticed.
pub fn require_tool(name: &str, env_var: &str) -> Option<PathBuf> {
    let found = std::env::var_os(env_var)
        .map(PathBuf::from)
        .filter(|path| path.is_file())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|candidate| candidate.is_file())
            })
        })
        .or_else(|| Some(tools_bin().join(name)).filter(|path| path.is_file()));
    if found.is_none() {
        assert!(
            std::env::var("REGSHIFT_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{name} not found (REGSHIFT_REQUIRE_TOOLS=1); run .ci/install-tools.sh"
        );
        println!("skipped: {name} not found on PATH");
    }
    found
}

/// Copy a fixture tree into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
