//! `regshift images --verify` against real registries on loopback: Debian's `docker-registry`
//! (distribution 2.8), open or behind `htpasswd` basic auth, started per test on a free port
//! with a temporary storage folder; and a small registry front in this file that demands a
//! Bearer token from its own token endpoint. Images are pushed over the distribution API. No
//! test reaches beyond loopback.
//!
//! The tools come from `$REGSHIFT_DOCKER_REGISTRY` / `$REGSHIFT_HTPASSWD`, else `PATH`; a
//! missing one skips its tests, or fails them under `REGSHIFT_REQUIRE_TOOLS=1` (CI installs
//! them in `.ci/install-tools.sh`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use assert_fs::TempDir;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{self, parse_json, regshift_command, stderr_of, write};

const USER: &str = "ci-user";
const PASSWORD: &str = "s3cret-pa55word";

// ---------------------------------------------------------------------------------------------
// A real registry

/// Debian's docker-registry on a loopback port, killed on drop.
struct Registry {
    process: Child,
    port: u16,
    _storage: TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A port that was free a moment ago: bound, then released.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().unwrap().port()
}

impl Registry {
    /// An open registry, or `None` (skipped) without docker-registry.
    fn open() -> Option<Registry> {
        let binary = support::require_tool("docker-registry", "REGSHIFT_DOCKER_REGISTRY")?;
        Some(Registry::start(&binary, None))
    }

    /// A registry that wants `USER`/`PASSWORD` (htpasswd, bcrypt), or `None` (skipped).
    fn with_basic_auth() -> Option<Registry> {
        let binary = support::require_tool("docker-registry", "REGSHIFT_DOCKER_REGISTRY")?;
        let htpasswd = support::require_tool("htpasswd", "REGSHIFT_HTPASSWD")?;
        let output = Command::new(htpasswd)
            .args(["-Bbn", USER, PASSWORD])
            .output()
            .expect("htpasswd runs");
        assert!(output.status.success(), "htpasswd: {}", stderr_of(&output));
        Some(Registry::start(&binary, Some(output.stdout)))
    }

    /// Start it on a free port; a port taken in between makes it exit, and another is tried.
    fn start(binary: &Path, htpasswd: Option<Vec<u8>>) -> Registry {
        for _ in 0..5 {
            let storage = TempDir::new().unwrap();
            let port = free_port();
            let auth = match &htpasswd {
                Some(lines) => {
                    let file = storage.path().join("htpasswd");
                    std::fs::write(&file, lines).unwrap();
                    format!(
                        "auth:\n  htpasswd:\n    realm: regshift-test\n    path: {}\n",
                        file.display()
                    )
                }
                None => String::new(),
            };
            let config = storage.path().join("config.yml");
            let data = storage.path().join("data");
            write(
                &config,
                &format!(
                    "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
                     storage:\n  filesystem:\n    rootdirectory: {}\n\
                     http:\n  addr: 127.0.0.1:{port}\n{auth}",
                    data.display()
                ),
            );
            let process = Command::new(binary)
                .arg("serve")
                .arg(&config)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("docker-registry starts");
            let mut registry = Registry {
                process,
                port,
                _storage: storage,
            };
            if registry.wait_until_up() {
                return registry;
            }
        }
        panic!("docker-registry did not start on a free port in 5 tries");
    }

    /// Whether `/v2/` answers (200, or 401 behind auth) within 15 s while the process runs.
    fn wait_until_up(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.process.try_wait().unwrap().is_some() {
                return false;
            }
            let answer = agent().get(format!("{}/v2/", self.url())).call();
            if answer.is_ok_and(|response| matches!(response.status().as_u16(), 200 | 401)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn url(&self) -> String {
        format!("http://{}", self.host())
    }
}

/// The tests' own HTTP client: no status as error, short timeouts.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Push a tiny OCI image (a config blob, one layer, a manifest) as `name:tag` over the
/// distribution API; the manifest digest the registry answers with.
fn push_image(registry: &Registry, name: &str, tag: &str, basic: Option<&str>) -> String {
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let layer = format!("regshift test layer for {name}:{tag}").into_bytes();
    for blob in [&config[..], &layer[..]] {
        push_blob(registry, name, blob, basic);
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha256(&layer), "size": layer.len()}],
    })
    .to_string();
    let mut request = agent()
        .put(format!("{}/v2/{name}/manifests/{tag}", registry.url()))
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json");
    if let Some(basic) = basic {
        request = request.header("Authorization", basic);
    }
    let response = request.send(manifest.as_bytes()).expect("manifest PUT");
    assert_eq!(
        response.status().as_u16(),
        201,
        "manifest PUT of {name}:{tag}"
    );
    let digest = response.headers()["docker-content-digest"]
        .to_str()
        .unwrap();
    assert_eq!(digest, sha256(manifest.as_bytes()));
    digest.to_string()
}

/// One blob: a POST starts the upload, a PUT with its digest completes it.
fn push_blob(registry: &Registry, name: &str, blob: &[u8], basic: Option<&str>) {
    let with_auth = |request: ureq::RequestBuilder<_>| match basic {
        Some(basic) => request.header("Authorization", basic),
        None => request,
    };
    let started = with_auth(agent().post(format!("{}/v2/{name}/blobs/uploads/", registry.url())))
        .send_empty()
        .expect("upload POST");
    assert_eq!(started.status().as_u16(), 202, "blob upload of {name}");
    let location = started.headers()["location"].to_str().unwrap().to_string();
    let location = if location.starts_with("http") {
        location
    } else {
        format!("{}{location}", registry.url())
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let done = with_auth(agent().put(format!("{location}{separator}digest={}", sha256(blob))))
        .header("Content-Type", "application/octet-stream")
        .send(blob)
        .expect("upload PUT");
    assert_eq!(done.status().as_u16(), 201, "blob PUT of {name}");
}

fn basic_header() -> String {
    use base64::Engine as _;
    let pair = format!("{USER}:{PASSWORD}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

// ---------------------------------------------------------------------------------------------
// Running regshift

/// A tree with a pod that uses each image.
fn tree_with_images(images: &[&str]) -> TempDir {
    let tree = TempDir::new().unwrap();
    let containers: String = images
        .iter()
        .enumerate()
        .map(|(index, image)| format!("  - name: c{index}\n    image: {image}\n"))
        .collect();
    write(
        &tree.path().join("pod.yaml"),
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n{containers}"
        ),
    );
    tree
}

/// `regshift images ARGS` in `dir` with `DOCKER_CONFIG` set to `docker_config` (an empty
/// folder unless a test writes one), so the machine's own credentials never take part.
fn images(dir: &Path, docker_config: &Path, args: &[&str]) -> Output {
    let mut command = regshift_command(dir);
    command
        .arg("images")
        .args(args)
        .env("DOCKER_CONFIG", docker_config)
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY");
    let output = command.output().expect("regshift runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr_of(&output)
    );
    assert!(
        !text.contains(PASSWORD),
        "a password in the output:\n{text}"
    );
    output
}

/// The `verify` objects of a JSON plan, by image.
fn verify_by_image(output: &Output) -> Vec<(String, Value)> {
    let document = parse_json(&output.stdout);
    document["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|image| {
            (
                image["image"].as_str().unwrap().to_string(),
                image["verify"].clone(),
            )
        })
        .collect()
}

fn empty_docker_config() -> TempDir {
    TempDir::new().unwrap()
}

// ---------------------------------------------------------------------------------------------
// The cases

#[test]
fn verify_reports_present_missing_and_pinned_images_on_a_mirror() {
    let Some(registry) = Registry::open() else {
        return;
    };
    let digest = push_image(&registry, "k8s/pause", "3.9", None);
    let pinned = format!("k8s.gcr.io/pause@{digest}");
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9", "k8s.gcr.io/absent:1.0", &pinned]);
    let docker_config = empty_docker_config();
    let mirror = format!("{}/k8s", registry.host());
    let output = images(
        tree.path(),
        docker_config.path(),
        &["--verify", "--mirror", &mirror, "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let checks = verify_by_image(&output);
    let host = registry.host();
    let expected = [
        (
            "registry.k8s.io/absent:1.0",
            format!("{host}/k8s/absent:1.0"),
            "missing",
            None,
        ),
        (
            "registry.k8s.io/pause:3.9",
            format!("{host}/k8s/pause:3.9"),
            "present",
            Some(&digest),
        ),
        (
            &format!("registry.k8s.io/pause@{digest}")[..],
            format!("{host}/k8s/pause@{digest}"),
            "present",
            Some(&digest),
        ),
    ];
    assert_eq!(checks.len(), expected.len(), "{checks:?}");
    for ((image, check), (want_image, target, status, want_digest)) in checks.iter().zip(expected) {
        assert_eq!(image, want_image);
        assert_eq!(check["target"], target.as_str(), "{check}");
        assert_eq!(check["status"], status, "{check}");
        assert_eq!(check["digest"].as_str(), want_digest.map(String::as_str));
        assert_eq!(check["error"], Value::Null);
    }
}

#[test]
fn verify_table_has_a_status_column_and_exit_0_when_all_are_present() {
    let Some(registry) = Registry::open() else {
        return;
    };
    let digest = push_image(&registry, "pause", "3.9", None);
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9"]);
    let docker_config = empty_docker_config();
    let output = images(
        tree.path(),
        docker_config.path(),
        &["--verify", "--mirror", &registry.host()],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!(
            "present  registry.k8s.io/pause:3.9\n  checked {}/pause:3.9 {digest}\n  \
             was k8s.gcr.io/pause:3.9\n  used in pod.yaml:8\n",
            registry.host()
        )
    );
}

#[test]
fn verify_checks_a_move_at_its_target() {
    let Some(registry) = Registry::open() else {
        return;
    };
    let digest = push_image(&registry, "team/app", "1.2", None);
    let tree = tree_with_images(&["registry.old.example.com/app:1.2"]);
    write(
        &tree.path().join("regshift.toml"),
        &format!(
            "[[move]]\nfrom = \"registry.old.example.com\"\nto = \"{}/team\"\n",
            registry.host()
        ),
    );
    let docker_config = empty_docker_config();
    let output = images(
        tree.path(),
        docker_config.path(),
        &["--verify", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let checks = verify_by_image(&output);
    let image = format!("{}/team/app:1.2", registry.host());
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0].0, image);
    assert_eq!(checks[0].1["target"], image.as_str());
    assert_eq!(checks[0].1["status"], "present");
    assert_eq!(checks[0].1["digest"], digest.as_str());
}

#[test]
fn verify_uses_credentials_from_the_docker_config() {
    let Some(registry) = Registry::with_basic_auth() else {
        return;
    };
    let digest = push_image(&registry, "pause", "3.9", Some(&basic_header()));
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9"]);
    let docker_config = empty_docker_config();
    let encoded = basic_header().trim_start_matches("Basic ").to_string();
    write(
        &docker_config.path().join("config.json"),
        &serde_json::json!({"auths": {registry.host(): {"auth": encoded}}}).to_string(),
    );
    let output = images(
        tree.path(),
        docker_config.path(),
        &["--verify", "--mirror", &registry.host(), "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let checks = verify_by_image(&output);
    assert_eq!(checks[0].1["status"], "present", "{checks:?}");
    assert_eq!(checks[0].1["digest"], digest.as_str());
}

#[cfg(unix)]
#[test]
fn verify_asks_a_credential_helper() {
    use std::os::unix::fs::PermissionsExt;

    let Some(registry) = Registry::with_basic_auth() else {
        return;
    };
    push_image(&registry, "pause", "3.9", Some(&basic_header()));
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9"]);
    let docker_config = empty_docker_config();
    let bin = docker_config.path().join("bin");
    let helper = bin.join("docker-credential-regshift-test");
    write(
        &helper,
        &format!(
            "#!/bin/sh\nread server\n[ \"$1\" = get ] && [ \"$server\" = {} ] || exit 1\n\
             echo '{{\"ServerURL\":\"'$server'\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n",
            registry.host()
        ),
    );
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    write(
        &docker_config.path().join("config.json"),
        &serde_json::json!({"credHelpers": {registry.host(): "regshift-test"}}).to_string(),
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = regshift_command(tree.path())
        .args(["images", "--verify", "--mirror", &registry.host()])
        .env("DOCKER_CONFIG", docker_config.path())
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert!(!String::from_utf8_lossy(&output.stdout).contains(PASSWORD));
}

#[test]
fn verify_without_credentials_says_the_registry_wants_them() {
    let Some(registry) = Registry::with_basic_auth() else {
        return;
    };
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9"]);
    let docker_config = empty_docker_config();
    let output = images(
        tree.path(),
        docker_config.path(),
        &["--verify", "--mirror", &registry.host(), "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let checks = verify_by_image(&output);
    assert_eq!(checks[0].1["status"], "error");
    let error = checks[0].1["error"].as_str().unwrap();
    assert!(error.contains("wants credentials"), "{error}");
}

#[test]
fn verify_of_a_registry_that_is_down_fails_within_seconds() {
    let host = format!("127.0.0.1:{}", free_port());
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9", "k8s.gcr.io/coredns:1.2.3"]);
    let docker_config = empty_docker_config();
    let started = Instant::now();
    let output = images(
        tree.path(),
        docker_config.path(),
        &["--verify", "--mirror", &host],
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        table.matches("error    registry.k8s.io/").count(),
        2,
        "{table}"
    );
    assert!(table.contains("cannot reach the registry"), "{table}");
}

// ---------------------------------------------------------------------------------------------
// A registry front that demands a Bearer token

/// How the token endpoint behaves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenService {
    /// Issues the token the front accepts.
    Honest,
    /// Issues a token the front refuses.
    WrongToken,
}

const TOKEN: &str = "good-token-123";
const FRONT_DIGEST: &str =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// A loopback HTTP server: `/v2/...` wants `Bearer TOKEN` (401 with a challenge otherwise),
/// answers `HEAD` with 405 so the client falls back to `GET`, and has only `pause:3.9`;
/// `/token` issues a token. Counts the connections it accepted.
struct BearerFront {
    port: u16,
    connections: Arc<AtomicUsize>,
}

impl BearerFront {
    fn start(service: TokenService) -> BearerFront {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&connections);
        // The thread ends with the test process.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = answer(stream, port, service);
            }
        });
        BearerFront { port, connections }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// One connection, one request (the answer closes it).
fn answer(stream: TcpStream, port: u16, service: TokenService) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some(value) = line
            .split_once(':')
            .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
            .map(|(_, value)| value)
        {
            authorization = value.trim().to_string();
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, headers, body) = route(method, path, &authorization, port, service);
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    let _ = reader.read_to_end(&mut Vec::new());
    stream.flush()
}

/// The status line, extra headers and body for one request.
fn route(
    method: &str,
    path: &str,
    authorization: &str,
    port: u16,
    service: TokenService,
) -> (&'static str, String, String) {
    if path.starts_with("/token?") {
        assert!(path.contains("scope=repository%3Apause%3Apull"), "{path}");
        let token = match service {
            TokenService::Honest => TOKEN,
            TokenService::WrongToken => "forged",
        };
        return (
            "200 OK",
            String::new(),
            format!("{{\"token\":\"{token}\"}}"),
        );
    }
    if authorization != format!("Bearer {TOKEN}") {
        let challenge = format!(
            "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"front\",scope=\"repository:pause:pull\"\r\n"
        );
        return ("401 Unauthorized", challenge, String::new());
    }
    match (method, path) {
        ("HEAD", _) => ("405 Method Not Allowed", String::new(), String::new()),
        ("GET", "/v2/pause/manifests/3.9") => (
            "200 OK",
            format!(
                "Docker-Content-Digest: {FRONT_DIGEST}\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
            ),
            "{}".to_string(),
        ),
        _ => ("404 Not Found", String::new(), String::new()),
    }
}

#[test]
fn verify_answers_a_bearer_challenge_and_falls_back_to_get() {
    let front = BearerFront::start(TokenService::Honest);
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9"]);
    let docker_config = empty_docker_config();
    let output = images(
        tree.path(),
        docker_config.path(),
        &["--verify", "--mirror", &front.host(), "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    let checks = verify_by_image(&output);
    assert_eq!(checks[0].1["status"], "present", "{checks:?}");
    assert_eq!(checks[0].1["digest"], FRONT_DIGEST);
}

#[test]
fn verify_with_a_refused_token_is_an_error() {
    let front = BearerFront::start(TokenService::WrongToken);
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9"]);
    let docker_config = empty_docker_config();
    let output = images(
        tree.path(),
        docker_config.path(),
        &["--verify", "--mirror", &front.host(), "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let checks = verify_by_image(&output);
    assert_eq!(checks[0].1["status"], "error");
    let error = checks[0].1["error"].as_str().unwrap();
    assert!(error.contains("refused the token"), "{error}");
}

#[test]
fn images_without_verify_never_connects() {
    let front = BearerFront::start(TokenService::Honest);
    let tree = tree_with_images(&["k8s.gcr.io/pause:3.9"]);
    let docker_config = empty_docker_config();
    for args in [
        &["--mirror", &front.host()][..],
        &["--mirror", &front.host(), "--format", "json"],
    ] {
        let output = images(tree.path(), docker_config.path(), args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    }
    assert_eq!(front.connections.load(Ordering::SeqCst), 0);
}
