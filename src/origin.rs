//! Where a file comes from, beyond its name and bytes: facts that `layout/` learns on disk or
//! in an archive and that detection reads. Plain data, so the file model and detection never
//! depend on the code that reads the disk.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What detection knows of a file's surroundings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Inside a packaged chart (`dep-1.0.0.tgz`): never rewritten.
    pub packaged: Option<Packaged>,
    /// A kustomization, with what its bases in the scanned tree use.
    pub kustomization: Option<Arc<KustomizeBases>>,
    /// A file that records history (release notes, a changelog): never rewritten.
    pub history: Option<History>,
    /// A script whose `sed` commands read or edit files of the scanned tree (`sed -i … FILE`),
    /// with what those files hold once fixed (`layout::sed`).
    pub sed_inputs: Option<Arc<SedInputs>>,
    /// The image references the run's program source names, once the run walked this file's
    /// folder and read every file of program source in it (`None` when unknown: a file named
    /// alone, an editor's buffer, program source that could not be read).
    pub program_source_names: Option<Arc<HashSet<String>>>,
}

impl Origin {
    /// The run walked the folder that holds this file, and no program source in it names
    /// anything the run reports: test data there cannot be compared with such names in code
    /// (`false` when unknown: a file named alone, an editor's buffer).
    pub fn program_source_quiet(&self) -> bool {
        self.program_source_names
            .as_ref()
            .is_some_and(|names| names.is_empty())
    }
}

/// The files of the scanned tree that a script's `sed` commands read or edit, by the 0-based
/// line of the command. A command is listed only when every file it names was found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SedInputs {
    pub by_line: HashMap<usize, Vec<SedInput>>,
}

/// A file a script's `sed` reads or edits, as regshift's safe fixes leave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SedInput {
    /// How reports name it.
    pub display: String,
    /// Its bytes once fixed: what the script's patterns will meet.
    pub fixed: Arc<[u8]>,
}

/// A file inside a packaged chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packaged {
    /// For a dependency in a chart's `charts/` folder, the values prefix that overrides it
    /// from the parent chart (`dep`, or its alias; `dep.sub` for a subchart inside it).
    pub dependency_prefix: Option<String>,
}

/// What a kustomization's bases hold, resolved on disk (`layout::kustomize`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KustomizeBases {
    /// Image names (no tag or digest, host lowercased) used by bases in the scanned tree.
    pub in_tree_images: HashSet<String>,
}

/// A record of the past that a reference stands in: never rewritten, since rewriting it
/// falsifies the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum History {
    /// Release notes, a changelog, news (`config::HISTORY_FILES`): what was released.
    Notes,
    /// A patch (a `*.diff` or `*.patch` file, a fenced `diff` block in Markdown): a change as
    /// it was made.
    Patch,
    /// A published release: a file under a `releases/` folder whose path below it names a
    /// version (`releases/csi-driver-v3.0.0/driver.yaml`, `releases/app-v1.4.2.yaml`). Users
    /// apply it by its URL at that version; the next release carries the new host.
    Release,
}

/// Whether `path` (slash-separated, relative) is a published release: below a `releases`
/// folder, a folder or file name that holds a version of three numbers (`v3.0.0`,
/// `csi-driver-v4.3.0`, `1.2.3`). A `releases/dev/` or an unversioned `release/` folder is
/// maintained, not published.
pub fn is_release_artifact(path: &str) -> bool {
    let mut components = path.split('/');
    if !components
        .by_ref()
        .any(|component| component.eq_ignore_ascii_case("releases"))
    {
        return false;
    }
    components.any(names_a_version)
}

/// Whether `bytes` may hold a CustomResourceDefinition (the kind is named anywhere): its
/// schema may be written by a generator from program source, so such a file waits for program
/// source to be processed.
pub fn may_hold_custom_resource_definition(bytes: &[u8]) -> bool {
    memchr::memmem::find(bytes, b"CustomResourceDefinition").is_some()
}

/// What kind of test data `path` (slash-separated) is, if any: the inputs and expected outputs
/// of tests, by the names test tools give them. Tests are program source and may compare these
/// files with names in code (a golden file is a generator's expected output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestData {
    /// Below a `testdata` folder: Go's name, which the go tool skips when it builds.
    Folder,
    /// A golden file: `*.golden` (Go's `-update` convention), or below a `golden` or `goldens`
    /// folder.
    Golden,
    /// A test snapshot: below `__snapshots__` (Jest, syrupy) or a `*.snap` file (Jest, insta).
    Snapshot,
}

impl TestData {
    /// How a note names it.
    pub fn describe(self) -> &'static str {
        match self {
            TestData::Folder => "under testdata/",
            TestData::Golden => "a golden file",
            TestData::Snapshot => "a test snapshot",
        }
    }
}

/// Which kind of test data `path` (slash-separated) is, by its folders and its name. Called
/// for every hit, so it allocates nothing.
pub fn test_data(path: &str) -> Option<TestData> {
    let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
    let in_folder = |wanted: &[&str]| folder.split('/').any(|f| wanted.contains(&f));
    if in_folder(&["testdata"]) {
        return Some(TestData::Folder);
    }
    let golden_name = name
        .split('.')
        .skip(1)
        .any(|part| part.eq_ignore_ascii_case("golden"));
    if golden_name || in_folder(&["golden", "goldens"]) {
        return Some(TestData::Golden);
    }
    let snap_extension = name
        .rsplit_once('.')
        .is_some_and(|(stem, extension)| !stem.is_empty() && extension == "snap");
    if snap_extension || in_folder(&["__snapshots__"]) {
        return Some(TestData::Snapshot);
    }
    None
}

/// A path component holding `MAJOR.MINOR.PATCH` as a token of its own: a run of digits and
/// dots that is exactly three numbers, after the start, a separator or a `v` that starts a
/// token (`v3.0.0`, `driver-v4.3.0`, `1.10.0`; not `av1.2.3`, `10.0.0.1` or `v1.2`).
fn names_a_version(component: &str) -> bool {
    let bytes = component.as_bytes();
    let is_run = |byte: &u8| byte.is_ascii_digit() || *byte == b'.';
    let mut start = 0;
    while start < bytes.len() {
        let length = bytes[start..]
            .iter()
            .take_while(|byte| is_run(byte))
            .count();
        if length == 0 {
            start += 1;
            continue;
        }
        // A file extension's dot is not part of the version (`app-v1.4.2.yaml`).
        let run = component[start..start + length].trim_end_matches('.');
        let numbers: Vec<&str> = run.split('.').collect();
        let three_numbers = numbers.len() == 3 && numbers.iter().all(|number| !number.is_empty());
        let token_start = match start.checked_sub(1).map(|index| bytes[index]) {
            None => true,
            Some(b'v' | b'V') => start < 2 || !bytes[start - 2].is_ascii_alphanumeric(),
            Some(byte) => !byte.is_ascii_alphanumeric(),
        };
        if three_numbers && token_start {
            return true;
        }
        start += length;
    }
    false
}

impl History {
    /// Why a reference in it gets no fix.
    pub fn note(self) -> &'static str {
        match self {
            History::Notes => {
                "no automatic fix: release notes and changelogs record history; rewriting them falsifies what was released"
            }
            History::Patch => {
                "no automatic fix: a patch records history (a change as it was made); rewriting it falsifies the record and can stop it applying"
            }
            History::Release => {
                "no automatic fix: a published release records what was shipped at that version (users apply it by its URL); the next release carries registry.k8s.io"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{TestData, is_release_artifact, test_data};

    #[test]
    fn test_data_is_named_by_test_tools() {
        for (path, kind) in [
            ("testdata/a.yaml", Some(TestData::Folder)),
            (
                "pkg/x/testdata/strategic/1/left.yaml",
                Some(TestData::Folder),
            ),
            ("pkg/x/testdata/out.golden", Some(TestData::Folder)),
            ("pkg/render/render.golden", Some(TestData::Golden)),
            ("pkg/render/pod.golden.yaml", Some(TestData::Golden)),
            (
                "nodeup/tests/golden/minimal/tasks.yaml",
                Some(TestData::Golden),
            ),
            ("test/goldens/a.json", Some(TestData::Golden)),
            (
                "test/__snapshots__/yaml.test.ts.snap",
                Some(TestData::Snapshot),
            ),
            ("test/__snapshots__/notes.md", Some(TestData::Snapshot)),
            ("src/snapshots/crate__render.snap", Some(TestData::Snapshot)),
            ("testdata", None),
            ("testdata.yaml", None),
            ("pkg/testdata-old/a.yaml", None),
            ("Testdata/a.yaml", None),
            ("golden.yaml", None),
            ("deploy/golden-gate/a.yaml", None),
            ("examples/snapshots/volumesnapshot.yaml", None),
            (".snap", None),
            ("snap/snapcraft.yaml", None),
        ] {
            assert_eq!(test_data(path), kind, "{path}");
        }
    }

    #[test]
    fn published_releases_are_versioned_paths_below_a_releases_folder() {
        for path in [
            "deploy/kubernetes/releases/csi-digitalocean-v3.0.0/driver.yaml",
            "deploy/kubernetes/releases/csi-cloudscale-v3.4.0.yaml",
            "releases/v1.2.3/install.yaml",
            "Releases/1.10.0/app.yaml",
            "releases/app_v2.0.1/x.json",
        ] {
            assert!(is_release_artifact(path), "{path}");
        }
        for path in [
            "deploy/kubernetes/releases/csi-digitalocean-dev/driver.yaml",
            "manifests/components/release/kustomization.yaml",
            "deploy/v3.0.0/csi-nfs-node.yaml",
            "releases/latest/install.yaml",
            "releases/v1.2/install.yaml",
            "v1.2.3/releases/install.yaml",
            "releases/build-10.0.0.1/x.yaml",
            "releases/av1.2.3/x.yaml",
        ] {
            assert!(!is_release_artifact(path), "{path}");
        }
    }
}
