//! The README's tour (check → diff → fix) runs as written, so it cannot go stale.
//!
//! trycmd runs a Markdown case inside `<name>.in/` beside it and compares the result with
//! `<name>.out/`; the README lives at the repository root, so the case is assembled in a
//! temporary folder from README.md and `fixtures/readme/`.

use std::fs;

use crate::support::{copy_tree, repository};

#[test]
fn readme_tour() {
    let root = repository();
    let case = tempfile::tempdir().unwrap();
    fs::copy(root.join("README.md"), case.path().join("tour.md")).unwrap();
    copy_tree(
        &root.join("fixtures/readme/tour.in"),
        &case.path().join("tour.in"),
    );
    copy_tree(
        &root.join("fixtures/readme/tour.out"),
        &case.path().join("tour.out"),
    );
    trycmd::TestCases::new()
        .register_bin("regshift", trycmd::cargo::cargo_bin!("regshift"))
        .case(case.path().join("tour.md"));
}
