//! The README's tour (check → diff → fix) runs as written, so it cannot go stale.
//!
//! trycmd runs a Markdown case inside `<name>.in/` beside it and compares the result with
//! `<name>.out/`; the README lives at the repository root, so the case is assembled in a
//! temporary folder from README.md and `fixtures/readme/`.

use std::fs;
use std::path::Path;

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn readme_tour() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
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
