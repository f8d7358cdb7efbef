//! `check -` and `fix -` (issue 16): one buffer from standard input, named by
//! `--stdin-filename` or shown as `-`. The trycmd cases `fixtures/cli/stdin-*.toml` pin the
//! human output; these tests need setup or compare bytes: carriers and configuration from the
//! named path, excludes, byte-exact fixes on standard output, errors, and kubectl's own output.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use assert_fs::TempDir;
use serde_json::Value;

use crate::support::{
    POD, POD_FIXED, fixtures, parse_json, regshift, require_tool, stderr_of, write,
};

/// `regshift ARGS` in `dir` with `input` on standard input.
fn piped(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    regshift(dir)
        .args(args)
        .write_stdin(input.to_vec())
        .output()
        .expect("regshift runs")
}

fn exit_code(output: &Output) -> i32 {
    output.status.code().expect("regshift exits normally")
}

/// The JSON report of `regshift check --format json ARGS` over `input`, and the exit code.
fn check_json(dir: &Path, args: &[&str], input: &[u8]) -> (Value, i32) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let output = piped(dir, &all, input);
    (parse_json(&output.stdout), exit_code(&output))
}

/// Each finding's `field` in a JSON report.
fn fields(report: &Value, field: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|finding| finding[field].as_str().expect("a string").to_owned())
        .collect()
}

#[test]
fn check_reads_a_yaml_manifest_named_dash() {
    let dir = TempDir::new().unwrap();
    let (report, code) = check_json(dir.path(), &["-"], POD.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(fields(&report, "path"), ["-"]);
    assert_eq!(
        fields(&report, "context"),
        ["manifest: Pod/web spec.containers[0].image"]
    );
    assert_eq!(report["summary"]["files_scanned"], 1);
    // Human: the same name, and nothing on standard error.
    let output = piped(dir.path(), &["check", "-"], POD.as_bytes());
    assert_eq!(exit_code(&output), 1);
    let stdout = std::str::from_utf8(&output.stdout).unwrap();
    assert!(stdout.contains(" --> -:8:12\n"), "{stdout}");
    // `regshift fix` would fix the current directory: the hint reads standard input too.
    assert!(
        stdout.ends_with("1 fixable; run `regshift fix -`\n"),
        "{stdout}"
    );
    assert_eq!(stderr_of(&output), "");
}

#[test]
fn check_of_a_clean_buffer_exits_0() {
    let dir = TempDir::new().unwrap();
    let (report, code) = check_json(dir.path(), &["-"], POD_FIXED.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["files_scanned"], 1);
    assert_eq!(report["findings"], Value::Array(Vec::new()));
}

#[test]
fn stdin_filename_picks_the_carrier() {
    let dir = TempDir::new().unwrap();
    let dockerfile = b"FROM k8s.gcr.io/pause:3.9\n";
    let (report, _) = check_json(
        dir.path(),
        &["--stdin-filename", "Dockerfile", "-"],
        dockerfile,
    );
    assert_eq!(fields(&report, "path"), ["Dockerfile"]);
    assert_eq!(fields(&report, "context"), ["Dockerfile: FROM"]);
    // Without the name the same bytes are a YAML manifest, which they are not.
    let (report, _) = check_json(dir.path(), &["-"], dockerfile);
    assert_ne!(fields(&report, "context"), ["Dockerfile: FROM"]);
}

/// A chart's values file and template piped in read as the files on disk do: the chart
/// around the named path gives them their role, although nothing is read from them.
#[test]
fn a_chart_file_named_on_stdin_reads_as_the_file_on_disk() {
    for (chart, name) in [
        ("values-shapes", "values.yaml"),
        ("helpers", "templates/pod-default.yaml"),
    ] {
        let chart = fixtures().join("helm").join(chart);
        let bytes = std::fs::read(chart.join(name)).unwrap();
        let (on_disk, disk_code) = crate::support::check_json(&chart, &[name]);
        let (piped, piped_code) = check_json(&chart, &["--stdin-filename", name, "-"], &bytes);
        assert_eq!(piped_code, disk_code, "{name}");
        assert!(!fields(&piped, "context").is_empty(), "{name}: no findings");
        assert_eq!(piped["findings"], on_disk["findings"], "{name}");
    }
    // The named file need not exist: a new values file in the chart is still a values file.
    let bytes = b"image:\n  registry: k8s.gcr.io\n  repository: pause\n";
    let chart = fixtures().join("helm/values-shapes");
    let (report, _) = check_json(&chart, &["--stdin-filename", "values-new.yaml", "-"], bytes);
    assert_eq!(
        fields(&report, "message"),
        ["registry is set to the frozen registry k8s.gcr.io"]
    );
    assert_eq!(fields(&report, "context"), ["values: image.registry"]);
}

#[test]
fn configuration_is_found_from_the_stdin_filename() {
    let dir = TempDir::new().unwrap();
    write(
        &dir.path().join("team-a/regshift.toml"),
        "[rules]\nignore = [\"legacy-host\"]\n",
    );
    let (report, code) = check_json(
        dir.path(),
        &["--stdin-filename", "team-a/deploy/web.yaml", "-"],
        POD.as_bytes(),
    );
    assert_eq!((code, report["summary"]["findings"].clone()), (0, 0.into()));
    // Elsewhere the rule applies; --no-config and --config choose as for files.
    let (report, _) = check_json(
        dir.path(),
        &["--stdin-filename", "web.yaml", "-"],
        POD.as_bytes(),
    );
    assert_eq!(fields(&report, "path"), ["web.yaml"]);
    let (report, _) = check_json(
        dir.path(),
        &["--no-config", "--stdin-filename", "team-a/web.yaml", "-"],
        POD.as_bytes(),
    );
    assert_eq!(fields(&report, "rule"), ["legacy-host"]);
    let (report, _) = check_json(
        dir.path(),
        &["--config", "team-a/regshift.toml", "-"],
        POD.as_bytes(),
    );
    assert_eq!(report["summary"]["findings"], 0);
}

/// Excludes apply to the name only with `--force-exclude`, as for a file named on the
/// command line (and as in ruff); then `check` reports nothing and `fix` echoes the input.
#[test]
fn an_excluded_stdin_filename_is_skipped_only_with_force_exclude() {
    let dir = TempDir::new().unwrap();
    write(
        &dir.path().join("regshift.toml"),
        "extend-exclude = [\"generated/\"]\n",
    );
    let args = ["--stdin-filename", "generated/web.yaml", "-"];
    let (report, code) = check_json(dir.path(), &args, POD.as_bytes());
    assert_eq!(
        (code, fields(&report, "path")),
        (1, vec!["generated/web.yaml".to_owned()])
    );

    let forced = [
        "--force-exclude",
        "--stdin-filename",
        "generated/web.yaml",
        "-",
    ];
    let (report, code) = check_json(dir.path(), &forced, POD.as_bytes());
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["files_scanned"], 0);
    assert_eq!(report["findings"], Value::Array(Vec::new()));

    let mut fix = vec!["fix"];
    fix.extend_from_slice(&forced);
    let output = piped(dir.path(), &fix, POD.as_bytes());
    assert_eq!(exit_code(&output), 0);
    assert_eq!(output.stdout, POD.as_bytes());
    // A default exclude (vendored trees) is the same.
    let output = piped(
        dir.path(),
        &[
            "fix",
            "--force-exclude",
            "--stdin-filename",
            "vendor/x/web.yaml",
            "-",
        ],
        POD.as_bytes(),
    );
    assert_eq!(output.stdout, POD.as_bytes());
}

#[test]
fn fix_writes_the_fixed_bytes_to_stdout_and_the_report_to_stderr() {
    let dir = TempDir::new().unwrap();
    let output = piped(dir.path(), &["fix", "-"], POD.as_bytes());
    assert_eq!(exit_code(&output), 0);
    assert_eq!(std::str::from_utf8(&output.stdout).unwrap(), POD_FIXED);
    assert_eq!(
        stderr_of(&output),
        "Fixed 1 finding in 1 file; no legacy registry references remain.\n"
    );
    // Nothing is written to disk.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // A machine format goes to standard error too, or to --output.
    let output = piped(
        dir.path(),
        &["fix", "--format", "json", "-"],
        POD.as_bytes(),
    );
    assert_eq!(std::str::from_utf8(&output.stdout).unwrap(), POD_FIXED);
    assert_eq!(parse_json(&output.stderr)["summary"]["findings"], 0);
    let output = piped(
        dir.path(),
        &["fix", "--format", "json", "--output", "report.json", "-"],
        POD.as_bytes(),
    );
    assert_eq!(std::str::from_utf8(&output.stdout).unwrap(), POD_FIXED);
    assert_eq!(stderr_of(&output), "");
    let report = parse_json(&std::fs::read(dir.path().join("report.json")).unwrap());
    assert_eq!(report["summary"]["files_scanned"], 1);
}

#[test]
fn fix_keeps_every_other_byte_crlf_bom_and_no_final_newline() {
    let dir = TempDir::new().unwrap();
    let input = "\u{feff}apiVersion: v1\r\nkind: Pod\r\nmetadata: {name: web}\r\nspec:\r\n  containers:\r\n  - image: \"k8s.gcr.io/pause:3.1\" # pinned\r\n  - image: k8s.gcr.io/etcd:3.5.9-0";
    let output = piped(dir.path(), &["fix", "-"], input.as_bytes());
    assert_eq!(exit_code(&output), 0);
    assert_eq!(
        output.stdout,
        input.replace("k8s.gcr.io", "registry.k8s.io").as_bytes()
    );
}

#[test]
fn fix_with_findings_left_exits_1_and_echoes_what_it_can() {
    let dir = TempDir::new().unwrap();
    // A staging registry has no fix: the buffer comes back unchanged, the finding remains.
    let input = "image: staging-k8s.gcr.io/pause:3.9\n";
    let output = piped(dir.path(), &["fix", "-"], input.as_bytes());
    assert_eq!(exit_code(&output), 1);
    assert_eq!(output.stdout, input.as_bytes());
    let stderr = stderr_of(&output);
    assert!(stderr.contains("warning[staging-registry]"), "{stderr}");
    assert!(stderr.contains(" --> -:1:8"), "{stderr}");
    // --fail-on decides, as for files.
    let output = piped(
        dir.path(),
        &["fix", "--fail-on", "error", "-"],
        input.as_bytes(),
    );
    assert_eq!(exit_code(&output), 0);
}

#[test]
fn fix_diff_prints_the_diff_and_no_bytes() {
    let dir = TempDir::new().unwrap();
    let output = piped(
        dir.path(),
        &["fix", "--diff", "--stdin-filename", "deploy/web.yaml", "-"],
        POD.as_bytes(),
    );
    assert_eq!(exit_code(&output), 1);
    assert_eq!(
        std::str::from_utf8(&output.stdout).unwrap(),
        "--- a/deploy/web.yaml\n+++ b/deploy/web.yaml\n@@ -5,4 +5,4 @@\n spec:\n   containers:\n   - name: web\n-    image: k8s.gcr.io/pause:3.1\n+    image: registry.k8s.io/pause:3.1\n"
    );
    assert_eq!(
        stderr_of(&output),
        "Would fix 1 finding in 1 file; run `regshift fix -` to apply.\n"
    );
}

#[test]
fn binary_input_is_an_error_and_fix_echoes_it() {
    let dir = TempDir::new().unwrap();
    let input = b"image: k8s.gcr.io/pause:3.9\n\0\x01\x02";
    let (report, code) = check_json(dir.path(), &["-"], input);
    assert_eq!(code, 2);
    assert_eq!(report["summary"]["files_scanned"], 0);
    assert_eq!(
        report["errors"][0]["message"],
        "not scanned: binary (a NUL byte in the first 8 KiB)"
    );
    let output = piped(dir.path(), &["fix", "-"], input);
    assert_eq!(exit_code(&output), 2);
    assert_eq!(output.stdout, input);
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("error: -: not scanned: binary"),
        "{stderr}"
    );
    assert!(stderr.contains("could not be scanned"), "{stderr}");
}

#[test]
fn input_over_the_size_cap_is_an_error_and_fix_passes_it_through() {
    let dir = TempDir::new().unwrap();
    // `MAX_FILE_SIZE` in src/source.rs: 10 MiB.
    let cap = 10 * 1024 * 1024;
    let mut input = POD.as_bytes().to_vec();
    input.resize(cap + 4096, b'\n');
    let (report, code) = check_json(dir.path(), &["-"], &input);
    assert_eq!(code, 2);
    assert_eq!(
        report["errors"][0]["message"],
        "not scanned: larger than 10 MiB"
    );
    let output = piped(dir.path(), &["fix", "-"], &input);
    assert_eq!(exit_code(&output), 2);
    assert!(
        output.stdout == input,
        "the input did not pass through unchanged"
    );
}

#[test]
fn dash_must_be_the_only_path_and_stdin_filename_needs_it() {
    let dir = TempDir::new().unwrap();
    write(&dir.path().join("app.yaml"), POD);
    for args in [
        &["check", "-", "app.yaml"][..],
        &["fix", "app.yaml", "-"],
        &["check", "-", "-"],
        &["check", "--stdin-filename", "app.yaml"],
        &["fix", "--stdin-filename", "x.yaml", "app.yaml"],
    ] {
        let output = piped(dir.path(), args, POD.as_bytes());
        assert_eq!(exit_code(&output), 2, "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(stderr_of(&output).starts_with("error: "), "{args:?}");
    }
    // The file was not touched.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app.yaml")).unwrap(),
        POD
    );
}

/// The hand-written `kind: List` of the trycmd case `stdin-kubectl-list`, shaped like
/// `kubectl get deploy,cronjob -A -o yaml`: each item's findings name its kind, namespace and
/// name, and a fix rewrites every item.
#[test]
fn list_items_are_named_by_kind_namespace_and_name() {
    let list = std::fs::read(fixtures().join("cli/stdin-kubectl-list.stdin")).unwrap();
    let dir = TempDir::new().unwrap();
    let (report, _) = check_json(
        dir.path(),
        &["--stdin-filename", "cluster.yaml", "-"],
        &list,
    );
    assert_eq!(
        fields(&report, "context"),
        [
            "manifest: Deployment default/web spec.template.spec.containers[0].image",
            "manifest: CronJob ops/nightly spec.jobTemplate.spec.template.spec.containers[0].image",
        ]
    );
    let output = piped(dir.path(), &["fix", "-"], &list);
    assert_eq!(exit_code(&output), 0);
    let list = String::from_utf8(list).unwrap();
    assert_eq!(
        std::str::from_utf8(&output.stdout).unwrap(),
        list.replace("k8s.gcr.io", "registry.k8s.io")
    );
}

// ---------------------------------------------------------------------------------------------
// kubectl's own output

/// `kubectl ARGS` (client side only), which must succeed: its standard output.
fn kubectl(kubectl: &Path, args: &[&str]) -> String {
    let output = Command::new(kubectl)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs");
    assert!(
        output.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("kubectl prints UTF-8")
}

/// `kubectl create deployment ... -o yaml | regshift fix -` gives the same YAML with only the
/// host changed, which kubectl reads back as the same object with the new image.
#[test]
fn kubectl_create_output_is_fixed_through_stdin_with_only_the_host_changed() {
    let Some(binary) = require_tool("kubectl", "REGSHIFT_KUBECTL") else {
        return;
    };
    let manifest = kubectl(
        &binary,
        &[
            "create",
            "deployment",
            "web",
            "--image=k8s.gcr.io/pause:3.9",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
    );
    let dir = TempDir::new().unwrap();
    let output = piped(dir.path(), &["fix", "-"], manifest.as_bytes());
    assert_eq!(exit_code(&output), 0, "{}", stderr_of(&output));
    let fixed = std::str::from_utf8(&output.stdout).unwrap();
    assert_eq!(fixed, manifest.replace("k8s.gcr.io/", "registry.k8s.io/"));
    assert_ne!(fixed, manifest);
    // kubectl reads the fixed object back (client side) with the new image.
    write(&dir.path().join("fixed.yaml"), fixed);
    let image = kubectl(
        &binary,
        &[
            "annotate",
            "--local",
            "-f",
            dir.path().join("fixed.yaml").to_str().unwrap(),
            "checked=yes",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ],
    );
    assert_eq!(image, "registry.k8s.io/pause:3.9");
}

/// A `kind: List` of kubectl's objects, as `kubectl get -A -o yaml` prints one (kubectl makes
/// a List only with a server, so its objects are wrapped here the way it wraps them).
#[test]
fn kubectl_objects_in_a_list_are_each_named_in_the_context() {
    let Some(binary) = require_tool("kubectl", "REGSHIFT_KUBECTL") else {
        return;
    };
    let objects = [
        kubectl(
            &binary,
            &[
                "create",
                "deployment",
                "web",
                "--image=k8s.gcr.io/pause:3.9",
                "-n",
                "shop",
                "--dry-run=client",
                "-o",
                "yaml",
            ],
        ),
        kubectl(
            &binary,
            &[
                "create",
                "cronjob",
                "nightly",
                "--image=k8s.gcr.io/busybox:1.27",
                "--schedule=0 1 * * *",
                "-n",
                "ops",
                "--dry-run=client",
                "-o",
                "yaml",
            ],
        ),
        kubectl(
            &binary,
            &[
                "create",
                "deployment",
                "api",
                "--image=k8s.gcr.io/echoserver:1.10",
                "--dry-run=client",
                "-o",
                "yaml",
            ],
        ),
    ];
    let mut list = String::from("apiVersion: v1\nitems:\n");
    for object in &objects {
        for (index, line) in object.lines().enumerate() {
            list.push_str(if index == 0 { "- " } else { "  " });
            list.push_str(line);
            list.push('\n');
        }
    }
    list.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    let dir = TempDir::new().unwrap();
    let (report, code) = check_json(
        dir.path(),
        &["--stdin-filename", "cluster.yaml", "-"],
        list.as_bytes(),
    );
    assert_eq!(code, 1);
    assert_eq!(
        fields(&report, "context"),
        [
            "manifest: Deployment shop/web spec.template.spec.containers[0].image",
            "manifest: CronJob ops/nightly spec.jobTemplate.spec.template.spec.containers[0].image",
            "manifest: Deployment/api spec.template.spec.containers[0].image",
        ]
    );
    assert_eq!(fields(&report, "path"), ["cluster.yaml"; 3]);
}
