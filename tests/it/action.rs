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

/// The steps of action.yml: each one's env (with `${{ … }}` unevaluated) and run script.
fn steps() -> Vec<(BTreeMap<String, String>, String)> {
    let text = std::fs::read_to_string(repository().join("action.yml")).unwrap();
    let documents = documents(&text);
    let steps = documents[0]
        .get("runs")
        .unwrap()
        .get("steps")
        .unwrap()
        .items();
    steps
        .iter()
        .map(|step| {
            let env = step
                .get("env")
                .map(Node::entries)
                .unwrap_or_default()
                .iter()
                .map(|(key, value)| {
                    (
                        key.as_str().unwrap().to_string(),
                        value.as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            (env, step.get("run").unwrap().as_str().unwrap().to_string())
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

/// What GitHub does to `${{ inputs.name }}` in an env value: replace it by the input.
fn evaluate(value: &str, inputs: &BTreeMap<String, String>) -> String {
    let mut result = value.to_string();
    for (name, input) in inputs {
        result = result.replace(&format!("${{{{ inputs.{name} }}}}"), input);
    }
    assert!(!result.contains("${{"), "unevaluated expression in {value}");
    result
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
        Runner {
            temp,
            workspace,
            fake_bin,
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
        let path = self.fake_bin.join("curl");
        std::fs::write(&path, curl).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    fn run(&self, given: &[(&str, &str)]) -> Run {
        let mut inputs = input_defaults();
        for (name, value) in given {
            inputs.insert(name.to_string(), value.to_string());
        }
        let temp = self.temp.path();
        let output_file = temp.join("github_output");
        let summary_file = temp.join("step_summary");
        let path_file = temp.join("github_path");
        let runner_temp = temp.join("runner_temp");
        std::fs::create_dir_all(&runner_temp).unwrap();
        for file in [&output_file, &summary_file, &path_file] {
            std::fs::write(file, "").unwrap();
        }
        let mut log = String::new();
        let mut status = 0;
        for (env, script) in steps() {
            // GITHUB_PATH entries from earlier steps come first, as on a runner.
            let added: Vec<String> = std::fs::read_to_string(&path_file)
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
                .arg(&script)
                .current_dir(&self.workspace)
                .env("PATH", path)
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_ACTION_PATH", repository())
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", &summary_file)
                .env("GITHUB_PATH", &path_file)
                .env("RUNNER_TEMP", &runner_temp)
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64");
            // A source build shares the hook tests' cargo folder and skips LTO.
            support::quick_release_build(&mut command);
            for (name, value) in &env {
                command.env(name, evaluate(value, &inputs));
            }
            let output = command.output().unwrap();
            log.push_str(&String::from_utf8_lossy(&output.stdout));
            log.push_str(&String::from_utf8_lossy(&output.stderr));
            status = output.status.code().unwrap_or(-1);
            if status != 0 {
                break;
            }
        }
        Run {
            status,
            log,
            outputs: std::fs::read_to_string(&output_file).unwrap(),
            summary: std::fs::read_to_string(&summary_file).unwrap(),
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
    for (_, script) in steps() {
        assert!(!script.contains("${{"), "an expression in run: {script}");
    }
    assert!(text.contains("using: composite"));
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
    let runner = Runner::new("readme/tour.in");
    let run = runner.run(&[("fix", "true"), ("paths", "deploy Dockerfile")]);
    // The proxy path stays (a warning), so the step still fails at fail-on warning.
    assert_eq!(run.status, 1, "{}", run.log);
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
    let relaxed = runner.run(&[("fix", "true"), ("fail-on", "error")]);
    assert_eq!(relaxed.status, 0, "{}", relaxed.log);
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
