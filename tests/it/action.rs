//! The composite GitHub Action (`action.yml`), run step by step with bash under a simulated
//! runner: GITHUB_WORKSPACE, GITHUB_ACTION_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
//! GITHUB_PATH, RUNNER_TEMP, RUNNER_OS, RUNNER_ARCH, and `${{ inputs.* }}` substituted where
//! GitHub evaluates it (in `env:`). Release downloads are served by a fake `curl` from a
//! locally built asset, so the install path is exercised without a network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use regshift::internals::{Node, documents};

use crate::support::{self, repository};

/// A step of action.yml: its id and `if:`, and either a `run:` script with its env or a
/// `uses:` action with its `with:`, all with `${{ … }}` unevaluated.
struct Step {
    id: Option<String>,
    condition: Option<String>,
    env: BTreeMap<String, String>,
    run: Option<String>,
    uses: Option<String>,
    with: BTreeMap<String, String>,
}

fn string_map(node: Option<&Node>) -> BTreeMap<String, String> {
    node.map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|(key, value)| {
            (
                key.as_str().unwrap().to_string(),
                value.as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn steps() -> Vec<Step> {
    let text = std::fs::read_to_string(repository().join("action.yml")).unwrap();
    let documents = documents(&text);
    let steps = documents[0]
        .get("runs")
        .unwrap()
        .get("steps")
        .unwrap()
        .items();
    let text_of = |step: &Node, key: &str| step.get(key).and_then(Node::as_str).map(str::to_string);
    steps
        .iter()
        .map(|step| Step {
            id: text_of(step, "id"),
            condition: text_of(step, "if"),
            env: string_map(step.get("env")),
            run: text_of(step, "run"),
            uses: text_of(step, "uses"),
            with: string_map(step.get("with")),
        })
        .collect()
}

fn input_defaults() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repository().join("action.yml")).unwrap();
    documents(&text)[0]
        .get("inputs")
        .unwrap()
        .entries()
        .iter()
        .map(|(name, input)| {
            (
                name.as_str().unwrap().to_string(),
                input
                    .get("default")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect()
}

/// What GitHub does to `${{ inputs.name }}` and `${{ steps.id.outputs.name }}` in an env or
/// `with:` value: replace each by its value (an output never set is empty).
fn evaluate(value: &str, inputs: &BTreeMap<String, String>, outputs: &StepOutputs) -> String {
    let mut result = value.to_string();
    for (name, input) in inputs {
        result = result.replace(&format!("${{{{ inputs.{name} }}}}"), input);
    }
    // What the runner puts in `${{ github.token }}`, the default of the github-token input.
    result = result.replace("${{ github.token }}", "github-token-for-tests");
    while let Some(start) = result.find("${{ steps.") {
        let end = start + result[start..].find("}}").expect("a closed expression") + 2;
        let value = output_of(result[start + 3..end - 2].trim(), outputs);
        result.replace_range(start..end, &value);
    }
    assert!(!result.contains("${{"), "unevaluated expression in {value}");
    result
}

/// Outputs of the steps run so far: step id → output name → value.
type StepOutputs = BTreeMap<String, BTreeMap<String, String>>;

/// `steps.ID.outputs.NAME` → its value, or empty.
fn output_of(reference: &str, outputs: &StepOutputs) -> String {
    let parts: Vec<&str> = reference.split('.').collect();
    assert!(
        parts.len() == 4 && parts[0] == "steps" && parts[2] == "outputs",
        "unsupported expression {reference}"
    );
    outputs
        .get(parts[1])
        .and_then(|step| step.get(parts[3]))
        .cloned()
        .unwrap_or_default()
}

/// An `if:` of the forms the action uses: `A != 'v'` or `A == 'v'`, joined by `&&`, where `A`
/// is a step output or an input.
fn condition_holds(
    condition: &str,
    inputs: &BTreeMap<String, String>,
    outputs: &StepOutputs,
) -> bool {
    condition.split("&&").all(|clause| {
        let (negated, (left, right)) = match clause.split_once("!=") {
            Some(pair) => (true, pair),
            None => (false, clause.split_once("==").expect("a comparison")),
        };
        let right = right.trim();
        assert!(
            right.len() >= 2 && right.starts_with('\'') && right.ends_with('\''),
            "unsupported if: {condition}"
        );
        let left = left.trim();
        let value = match left.strip_prefix("inputs.") {
            Some(name) => inputs[name].clone(),
            None => output_of(left, outputs),
        };
        (value == right[1..right.len() - 1]) != negated
    })
}

/// `name=value` lines a step wrote to GITHUB_OUTPUT.
fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

struct Run {
    status: i32,
    log: String,
    outputs: String,
    summary: String,
}

struct Runner {
    temp: tempfile::TempDir,
    workspace: PathBuf,
    fake_bin: PathBuf,
}

impl Runner {
    fn new(tree: &str) -> Runner {
        let temp = tempfile::tempdir().unwrap();
        let workspace = temp.path().join("workspace");
        support::copy_tree(&support::fixtures().join(tree), &workspace);
        let fake_bin = temp.path().join("fake-bin");
        std::fs::create_dir_all(&fake_bin).unwrap();
        let runner = Runner {
            temp,
            workspace,
            fake_bin,
        };
        // Nothing is published until serve_release: every download is a 404, as for a
        // version with no release yet.
        runner.fake_tool(
            "curl",
            "#!/bin/sh\necho 'curl: (22) The requested URL returned error: 404' >&2\nexit 22\n",
        );
        runner
    }

    /// An executable `name` in the fake bin folder, first on PATH.
    fn fake_tool(&self, name: &str, script: &str) {
        let path = self.fake_bin.join(name);
        std::fs::write(&path, script).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    /// Serve release assets from a folder: a `curl` that copies the URL's file name.
    fn serve_release(&self, version: &str) {
        let releases = self.temp.path().join("releases");
        std::fs::create_dir_all(&releases).unwrap();
        let staging = self.temp.path().join("asset");
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_regshift"), staging.join("regshift")).unwrap();
        let asset = format!("regshift-{version}-x86_64-unknown-linux-musl.tar.gz");
        let status = Command::new("tar")
            .arg("-czf")
            .arg(releases.join(&asset))
            .arg("-C")
            .arg(&staging)
            .arg("regshift")
            .status()
            .unwrap();
        assert!(status.success());
        let sum = Command::new("sha256sum")
            .arg(releases.join(&asset))
            .output()
            .unwrap();
        std::fs::write(releases.join(format!("{asset}.sha256")), &sum.stdout).unwrap();
        let curl = format!(
            "#!/bin/sh\n# Fake curl: --output FILE URL, served from {releases}\nout=''\nwhile [ $# -gt 1 ]; do\n  case \"$1\" in --output) out=\"$2\"; shift ;; esac\n  shift\ndone\necho \"$1\" >> {log}\ncp \"{releases}/$(basename \"$1\")\" \"$out\"\n",
            releases = releases.display(),
            log = self.temp.path().join("downloads.log").display()
        );
        self.fake_tool("curl", &curl);
    }

    fn run(&self, given: &[(&str, &str)]) -> Run {
        let mut inputs = input_defaults();
        for (name, value) in given {
            inputs.insert(name.to_string(), value.to_string());
        }
        let temp = self.temp.path();
        let summary_file = temp.join("step_summary");
        let path_file = temp.join("github_path");
        let runner_temp = temp.join("runner_temp");
        std::fs::create_dir_all(&runner_temp).unwrap();
        for file in [&summary_file, &path_file] {
            std::fs::write(file, "").unwrap();
        }
        let mut log = String::new();
        let mut status = 0;
        let mut outputs = StepOutputs::new();
        let mut run_outputs = String::new();
        for step in steps() {
            if let Some(condition) = &step.condition
                && !condition_holds(condition, &inputs, &outputs)
            {
                continue;
            }
            let written = if let Some(action) = &step.uses {
                let with = step
                    .with
                    .iter()
                    .map(|(name, value)| (name.clone(), evaluate(value, &inputs, &outputs)))
                    .collect();
                log.push_str(&format!("[{action}]\n"));
                self.simulate_action(action, &with)
            } else {
                let output_file = temp.join("github_output");
                std::fs::write(&output_file, "").unwrap();
                let output = self
                    .command(step.run.as_deref().unwrap(), &path_file, &runner_temp)
                    .env("GITHUB_OUTPUT", &output_file)
                    .env("GITHUB_STEP_SUMMARY", &summary_file)
                    .envs(
                        step.env
                            .iter()
                            .map(|(name, value)| (name, evaluate(value, &inputs, &outputs))),
                    )
                    .output()
                    .unwrap();
                log.push_str(&String::from_utf8_lossy(&output.stdout));
                log.push_str(&String::from_utf8_lossy(&output.stderr));
                status = output.status.code().unwrap_or(-1);
                std::fs::read_to_string(&output_file).unwrap()
            };
            if step.id.as_deref() == Some("run") {
                run_outputs = written.clone();
            }
            if let Some(id) = &step.id {
                outputs.insert(id.clone(), parse_outputs(&written));
            }
            if status != 0 {
                break;
            }
        }
        Run {
            status,
            log,
            outputs: run_outputs,
            summary: std::fs::read_to_string(&summary_file).unwrap(),
        }
    }

    /// bash running `script` as a composite step does: the workspace, the runner's variables,
    /// GITHUB_PATH entries from earlier steps first on PATH.
    fn command(&self, script: &str, path_file: &Path, runner_temp: &Path) -> Command {
        let added: Vec<String> = std::fs::read_to_string(path_file)
            .unwrap()
            .lines()
            .rev()
            .map(str::to_string)
            .collect();
        let path = added
            .into_iter()
            .chain([self.fake_bin.display().to_string()])
            .chain(std::env::var("PATH").ok())
            .collect::<Vec<_>>()
            .join(":");
        let mut command = Command::new("bash");
        command
            .arg("-e")
            .arg("-c")
            .arg(script)
            .current_dir(&self.workspace)
            .env("PATH", path)
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_ACTION_PATH", repository())
            .env("GITHUB_PATH", path_file)
            .env("RUNNER_TEMP", runner_temp)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64");
        // A source build shares the hook tests' cargo folder and skips LTO.
        support::quick_release_build(&mut command);
        command
    }

    /// The actions the composite action uses, as the runner would run them: the Actions
    /// cache is a folder of saved paths by key. Returns what the action writes as outputs.
    fn simulate_action(&self, action: &str, with: &BTreeMap<String, String>) -> String {
        let (name, pin) = action.split_once('@').expect("a pinned action");
        assert!(
            pin.len() == 40 && pin.bytes().all(|byte| byte.is_ascii_hexdigit()),
            "{action} is pinned by commit"
        );
        if name == "reviewdog/action-setup" {
            // The tests put a fake reviewdog on PATH; the version must be pinned.
            assert!(with["reviewdog_version"].starts_with('v'), "{with:?}");
            return String::new();
        }
        let (key, path) = (&with["key"], Path::new(&with["path"]));
        assert!(!key.is_empty() && path.is_absolute(), "{with:?}");
        let saved = self.temp.path().join("actions-cache").join(key);
        match name {
            "actions/cache/restore" if saved.is_dir() => {
                support::copy_tree(&saved, path);
                "cache-hit=true\n".into()
            }
            "actions/cache/restore" => "cache-hit=false\n".into(),
            "actions/cache/save" => {
                support::copy_tree(path, &saved);
                String::new()
            }
            other => panic!("no simulation of {other}"),
        }
    }

    /// Files an injection would have created, anywhere the scripts could write.
    fn pwned(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for dir in [
            self.temp.path(),
            self.workspace.as_path(),
            Path::new("/tmp"),
        ] {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with("PWNED-regshift")
                {
                    found.push(entry.path());
                }
            }
        }
        found
    }
}

#[test]
fn inputs_reach_scripts_only_through_env() {
    let text = std::fs::read_to_string(repository().join("action.yml")).unwrap();
    for step in steps() {
        assert!(
            step.run.is_some() != step.uses.is_some(),
            "a step runs a script or uses an action"
        );
        if let Some(script) = &step.run {
            assert!(!script.contains("${{"), "an expression in run: {script}");
        }
    }
    assert!(text.contains("using: composite"));
}

#[test]
fn the_default_installs_the_release_of_the_actions_own_version() {
    let runner = Runner::new("all-rules");
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    runner.serve_release(&version);
    let run = runner.run(&[]);
    assert_eq!(run.status, 1, "findings fail the step:\n{}", run.log);
    let downloads = std::fs::read_to_string(runner.temp.path().join("downloads.log")).unwrap();
    assert!(
        downloads.contains(&format!(
            "/{version}/regshift-{version}-x86_64-unknown-linux-musl.tar.gz\n"
        )),
        "{downloads}"
    );
    assert!(
        !run.log.contains("[actions/cache"),
        "no source build, no cache:\n{}",
        run.log
    );
}

#[test]
fn a_bad_checksum_or_a_missing_pinned_release_fails_without_building() {
    let runner = Runner::new("all-rules");
    let missing = runner.run(&[("version", "v9.9.9")]);
    assert_eq!(missing.status, 2, "{}", missing.log);
    assert!(
        missing.log.contains("cannot download regshift v9.9.9"),
        "{}",
        missing.log
    );
    runner.serve_release("v0.1.0");
    let sums = runner
        .temp
        .path()
        .join("releases/regshift-v0.1.0-x86_64-unknown-linux-musl.tar.gz.sha256");
    std::fs::write(&sums, format!("{}  x\n", "0".repeat(64))).unwrap();
    for version in ["v0.1.0", ""] {
        let run = runner.run(&[("version", version)]);
        assert_eq!(run.status, 2, "{}", run.log);
        assert!(run.log.contains("checksum mismatch"), "{}", run.log);
        assert!(!run.log.contains("[actions/cache"), "{}", run.log);
    }
}

#[test]
fn action_yml_matches_the_github_actions_schema() {
    let Some(check) = support::require_tool("check-jsonschema", "REGSHIFT_CHECK_JSONSCHEMA") else {
        return;
    };
    let output = Command::new(check)
        .args(["--builtin-schema", "vendor.github-actions"])
        .arg(repository().join("action.yml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_release_run_annotates_summarises_and_fails_on_findings() {
    let runner = Runner::new("all-rules");
    runner.serve_release("v0.1.0");
    // An injection attempt in an input that ends up in a command line: it must stay a file name.
    let sarif = "report.sarif\"; touch PWNED-regshift-sarif; echo \"";
    let run = runner.run(&[("version", "0.1.0"), ("sarif-file", sarif)]);
    assert_eq!(run.status, 1, "findings fail the step:\n{}", run.log);
    assert!(
        run.log
            .contains("::error file=deploy/app.yaml,line=11,col=16,endLine=11,endColumn=26,title=regshift legacy-host::"),
        "{}",
        run.log
    );
    assert!(
        run.log.contains("::warning file=deploy/app.yaml"),
        "{}",
        run.log
    );
    assert!(run.summary.starts_with("## regshift: "), "{}", run.summary);
    assert!(run.summary.contains("| `legacy-host` |"), "{}", run.summary);
    assert!(
        run.outputs.contains("findings=") && !run.outputs.contains("findings=0\n"),
        "{}",
        run.outputs
    );
    assert!(
        run.outputs.contains(&format!("\n{sarif}\n")),
        "{}",
        run.outputs
    );
    let default = runner.run(&[("version", "0.1.0")]);
    assert!(
        default.outputs.contains("/runner_temp/regshift.sarif\n"),
        "by default the report is outside the workspace: {}",
        default.outputs
    );
    assert!(
        runner.workspace.join(sarif).is_file(),
        "the SARIF file has the literal name"
    );
    assert!(
        runner.pwned().is_empty(),
        "injection ran: {:?}",
        runner.pwned()
    );
}

#[test]
fn suggest_posts_the_fixes_through_reviewdog() {
    let runner = Runner::new("all-rules");
    runner.serve_release("v0.1.0");
    let log = runner.temp.path().join("reviewdog");
    runner.fake_tool(
        "reviewdog",
        &format!(
            "#!/bin/sh\necho \"$*\" > {log}.args\necho \"$REVIEWDOG_GITHUB_API_TOKEN\" > {log}.token\ncat > {log}.in\n",
            log = log.display()
        ),
    );
    let off = runner.run(&[("version", "v0.1.0")]);
    assert_eq!(off.status, 1, "{}", off.log);
    assert!(!off.log.contains("[reviewdog/"), "{}", off.log);
    assert!(!log.with_extension("args").exists(), "reviewdog ran");

    let on = runner.run(&[("version", "v0.1.0"), ("suggest", "true")]);
    assert_eq!(
        on.status, 1,
        "regshift's status decides the step:\n{}",
        on.log
    );
    assert!(on.log.contains("[reviewdog/action-setup@"), "{}", on.log);
    let args = std::fs::read_to_string(log.with_extension("args")).unwrap();
    assert!(
        args.contains("-f=rdjson") && args.contains("-reporter=github-pr-review"),
        "{args}"
    );
    let token = std::fs::read_to_string(log.with_extension("token")).unwrap();
    assert_eq!(token, "github-token-for-tests\n");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(log.with_extension("in")).unwrap()).unwrap();
    assert_eq!(report["source"]["name"], "regshift");
    let suggested = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|diagnostic| diagnostic.get("suggestions").is_some())
        .count();
    assert!(suggested > 0, "{report}");

    let bad = runner.run(&[("version", "v0.1.0"), ("suggest", "yes")]);
    assert_eq!(bad.status, 2, "{}", bad.log);
}

#[test]
fn a_development_version_builds_from_source_without_downloading() {
    // install.sh alone, on an action checkout whose Cargo.toml carries a pre-release version.
    let runner = Runner::new("all-rules");
    runner.serve_release("v0.2.0-dev");
    let action = runner.temp.path().join("action-checkout");
    std::fs::create_dir_all(action.join("src")).unwrap();
    std::fs::write(
        action.join("Cargo.toml"),
        "[package]\nname = \"regshift\"\nversion = \"0.2.0-dev\"\n",
    )
    .unwrap();
    std::fs::write(action.join("Cargo.lock"), "").unwrap();
    std::fs::write(action.join("src/main.rs"), "fn main() {}\n").unwrap();
    let outputs = runner.temp.path().join("install-outputs");
    let output = support::run_ok(
        Command::new("bash")
            .arg(repository().join("action/install.sh"))
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    runner.fake_bin.display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .env("GITHUB_ACTION_PATH", &action)
            .env("GITHUB_OUTPUT", &outputs)
            .env("GITHUB_PATH", runner.temp.path().join("install-path"))
            .env("RUNNER_TEMP", runner.temp.path())
            .env("INPUT_VERSION", ""),
    );
    let log = String::from_utf8_lossy(&output.stdout);
    assert!(log.contains("v0.2.0-dev is a development version"), "{log}");
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(written.starts_with("installed=false\n"), "{written}");
    assert!(
        written.contains("cache-key=regshift-source-Linux-X64-v0.2.0-dev-"),
        "{written}"
    );
    assert!(
        !runner.temp.path().join("downloads.log").exists(),
        "nothing is downloaded"
    );
}

#[test]
fn hostile_inputs_do_nothing() {
    let runner = Runner::new("all-rules");
    runner.serve_release("v0.1.0");
    let version = runner.run(&[("version", "v0.1.0; touch /tmp/PWNED-regshift-version")]);
    assert_eq!(version.status, 2, "{}", version.log);
    let fail_on = runner.run(&[
        ("version", "v0.1.0"),
        ("fail-on", "warning; touch /tmp/PWNED-regshift-fail-on"),
    ]);
    assert_eq!(fail_on.status, 2, "{}", fail_on.log);
    let paths = runner.run(&[
        ("version", "v0.1.0"),
        (
            "paths",
            "deploy\n$(touch /tmp/PWNED-regshift-paths)\n`touch /tmp/PWNED-regshift-tick`",
        ),
    ]);
    assert_eq!(paths.status, 2, "missing paths are errors:\n{}", paths.log);
    assert!(
        paths.log.contains("$(touch /tmp/PWNED-regshift-paths)"),
        "{}",
        paths.log
    );
    assert!(
        runner.pwned().is_empty(),
        "injection ran: {:?}",
        runner.pwned()
    );
}

#[test]
fn a_source_build_with_fix_rewrites_and_reports_what_remains() {
    if std::env::var_os("CARGO").is_none() {
        println!("skipped: cargo not available");
        return;
    }
    // No release is published: the default version builds from source and saves the build
    // to the Actions cache.
    let runner = Runner::new("readme/tour.in");
    let run = runner.run(&[("fix", "true"), ("paths", "deploy Dockerfile")]);
    // The proxy path stays (a warning), so the step still fails at fail-on warning.
    assert_eq!(run.status, 1, "{}", run.log);
    assert!(
        run.log.contains("no release v") && run.log.contains("[actions/cache/save@"),
        "{}",
        run.log
    );
    assert!(
        run.log.contains("-FROM k8s.gcr.io/build-image"),
        "the diff is shown:\n{}",
        run.log
    );
    let dockerfile = std::fs::read_to_string(runner.workspace.join("Dockerfile")).unwrap();
    assert!(
        dockerfile.starts_with("FROM registry.k8s.io/"),
        "{dockerfile}"
    );
    assert!(run.outputs.starts_with("findings=1\n"), "{}", run.outputs);
    // A new runner (an empty RUNNER_TEMP) restores the build instead of building again.
    std::fs::remove_dir_all(runner.temp.path().join("runner_temp")).unwrap();
    let relaxed = runner.run(&[("fix", "true"), ("fail-on", "error")]);
    assert_eq!(relaxed.status, 0, "{}", relaxed.log);
    assert!(
        relaxed.log.contains("regshift restored from the cache")
            && !relaxed.log.contains("[actions/cache/save@"),
        "{}",
        relaxed.log
    );
}

/// The YAML block of README.md whose first line is the comment `# NAME`.
fn readme_example(name: &str) -> String {
    let readme = std::fs::read_to_string(repository().join("README.md")).unwrap();
    let marker = format!("```yaml\n# {name}\n");
    let start = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("no README example {name}"))
        + 8;
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].to_string()
}

#[test]
fn readme_workflow_example_matches_the_github_workflow_schema() {
    let Some(check) = support::require_tool("check-jsonschema", "REGSHIFT_CHECK_JSONSCHEMA") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let workflow = dir.path().join("regshift.yml");
    let example = readme_example(".github/workflows/regshift.yml");
    assert!(
        example.contains("steps.regshift.outputs.sarif-file"),
        "uses the action's output"
    );
    std::fs::write(&workflow, example).unwrap();
    let output = Command::new(check)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(&workflow)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn readme_hook_example_and_the_manifest_validate_with_pre_commit() {
    let Some(pre_commit) = support::require_tool("pre-commit", "REGSHIFT_PRE_COMMIT") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".pre-commit-config.yaml");
    std::fs::write(&config, readme_example(".pre-commit-config.yaml")).unwrap();
    for (command, file) in [
        ("validate-config", config),
        (
            "validate-manifest",
            repository().join(".pre-commit-hooks.yaml"),
        ),
    ] {
        let output = Command::new(&pre_commit)
            .arg(command)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{command}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
