//! CLI cases as data: every `fixtures/cli/<case>.toml` runs `regshift` inside a sandboxed copy
//! of `<case>.in/` and compares the exit code, `<case>.stdout`, `<case>.stderr` and, when
//! present, the tree `<case>.out/`. Re-bless with
//! `TRYCMD=overwrite cargo test --test it cli::`, then read every changed expectation.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{copy_tree, files_under, regshift_command};

const CASES: &str = "fixtures/cli";

#[test]
fn cli_cases() {
    // git ignores these through the fixture's own `.gitignore`, so a clone lacks them unless
    // they were added with `git add -f`; without them the case would pass without testing.
    for ignored in [
        "gitignore.in/generated/app.yaml",
        "gitignore.in/deploy/app.local.yaml",
    ] {
        let path = Path::new(CASES).join(ignored);
        assert!(
            path.is_file(),
            "{} is missing: `git add -f` it",
            path.display()
        );
    }
    trycmd::TestCases::new()
        .register_bin("regshift", trycmd::cargo::cargo_bin!("regshift"))
        .case(format!("{CASES}/*.toml"));
}

/// trycmd compares `.out/` files after normalising line endings, so it cannot see a fix that
/// turns CRLF into LF. Run every case with an `.out/` tree again and compare its files byte
/// for byte: CRLF, a BOM and a missing final newline must survive exactly.
#[test]
fn fixed_trees_match_byte_for_byte() {
    let mut checked = 0;
    for case in case_files() {
        let expected_root = case.with_extension("out");
        if !expected_root.is_dir() {
            continue;
        }
        let sandbox = tempfile::tempdir().unwrap();
        copy_tree(&case.with_extension("in"), sandbox.path());
        regshift_command(sandbox.path())
            .args(case_args(&case))
            .output()
            .unwrap();
        for relative in files_under(&expected_root) {
            if relative.file_name().is_some_and(|name| name == ".keep") {
                continue;
            }
            let expected = expected_root.join(&relative);
            let actual = fs::read(sandbox.path().join(&relative)).unwrap_or_default();
            assert!(
                fs::read(&expected).unwrap() == actual,
                "{}: {} differs from {} byte for byte",
                case.display(),
                relative.display(),
                expected.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no `.out/` trees under {CASES}");
}

fn case_files() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(CASES)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    cases.sort();
    cases
}

fn case_args(case: &Path) -> Vec<String> {
    let text = fs::read_to_string(case).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    table["args"]
        .as_array()
        .expect("`args` is a list")
        .iter()
        .map(|arg| arg.as_str().expect("each arg is a string").to_string())
        .collect()
}
