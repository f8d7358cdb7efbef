//! Authentication as container tools do it: the `WWW-Authenticate` challenge a registry sends
//! with a 401 (RFC 7235; `Bearer` as the distribution token specification describes it,
//! `Basic`), and the credentials of the Docker configuration (`$DOCKER_CONFIG/config.json`,
//! else `~/.docker/config.json`): `credHelpers.<host>` and `credsStore` through
//! `docker-credential-<name> get`, and `auths.<host>.auth` (base64 of `user:password`).
//!
//! A secret never leaves this module in a message: [`Credentials`] prints redacted, errors
//! name the file or the helper and never what they returned.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// A user name and its password (or token), as a registry or a token service takes them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "Credentials({}, <redacted>)", self.username)
    }
}

impl Credentials {
    /// The value of an `Authorization: Basic` header.
    pub fn basic_header(&self) -> String {
        let pair = format!("{}:{}", self.username, self.secret);
        format!("Basic {}", BASE64.encode(pair))
    }
}

/// What a registry's 401 asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// A token from `realm`, for `service` and `scope` (each optional in practice).
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    /// A user name and password on every request.
    Basic,
}

impl Challenge {
    /// The first challenge of a `WWW-Authenticate` value that regshift can answer.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let mut params = auth_params(rest);
        Some(Challenge::Bearer {
            realm: params.remove("realm")?,
            service: params.remove("service"),
            scope: params.remove("scope"),
        })
    }
}

/// `key=value, key="quoted, value"` into a map with lowercase keys.
fn auth_params(text: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let mut rest = text.trim_start();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted),
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_string(), &after[end..])
            }
        };
        params.insert(key, value);
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    params
}

/// A quoted string's value (after its opening quote, with `\"` escapes) and what follows it.
fn quoted_string(text: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '\\' => value.extend(chars.next().map(|(_, escaped)| escaped)),
            '"' => return (value, &text[index + 1..]),
            _ => value.push(c),
        }
    }
    (value, "")
}

/// The Docker configuration: where credentials for a registry come from.
#[derive(Debug, Default)]
pub struct DockerConfig {
    /// The file read, for messages.
    path: Option<PathBuf>,
    document: serde_json::Value,
}

impl DockerConfig {
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; empty when neither exists.
    pub fn load() -> Result<DockerConfig, String> {
        let folder = std::env::var_os("DOCKER_CONFIG")
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker")));
        let Some(path) = folder.map(|folder| folder.join("config.json")) else {
            return Ok(DockerConfig::default());
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(DockerConfig::default());
            }
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        // serde_json's message gives a line and column, never the text around them.
        let document = serde_json::from_str(&text)
            .map_err(|error| format!("{} is not valid JSON: {error}", path.display()))?;
        Ok(DockerConfig {
            path: Some(path),
            document,
        })
    }

    /// The credentials for `host` (with its port): its credential helper, else its `auths`
    /// entry, else the default store; `None` when nothing is configured for it.
    pub fn credentials(&self, host: &str) -> Result<Option<Credentials>, String> {
        let keys = config_keys(host);
        let helpers = &self.document["credHelpers"];
        if let Some(helper) = keys.iter().find_map(|key| helpers[key.as_str()].as_str()) {
            return helper_get(helper, &keys[0]);
        }
        let auths = &self.document["auths"];
        let entry = auths.as_object().and_then(|entries| {
            entries
                .iter()
                .find(|(key, _)| keys.contains(&normalized_key(key)))
                .map(|(_, entry)| entry)
        });
        let encoded = entry.and_then(|entry| entry["auth"].as_str());
        if let Some(encoded) = encoded.filter(|encoded| !encoded.is_empty()) {
            return self.decode_auth(encoded).map(Some);
        }
        match self.document["credsStore"].as_str() {
            Some(store) if !store.is_empty() => helper_get(store, &keys[0]),
            _ => Ok(None),
        }
    }

    /// `auths.<host>.auth`: base64 of `user:password`.
    fn decode_auth(&self, encoded: &str) -> Result<Credentials, String> {
        let invalid = || {
            let file = self.path.as_ref().map(|path| path.display().to_string());
            format!(
                "an `auth` entry in {} is not base64 of user:password",
                file.unwrap_or_default()
            )
        };
        let bytes = BASE64.decode(encoded.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (username, secret) = text.split_once(':').ok_or_else(invalid)?;
        Ok(Credentials {
            username: username.to_string(),
            secret: secret.to_string(),
        })
    }
}

/// The keys a registry host may have in a Docker configuration, normalised: the host itself,
/// and for Docker Hub the legacy `index.docker.io` key that docker writes.
fn config_keys(host: &str) -> Vec<String> {
    let host = host.to_ascii_lowercase();
    if crate::image_ref::is_docker_hub_host(host.as_bytes()) {
        return vec!["https://index.docker.io/v1/".to_string(), host];
    }
    vec![host]
}

/// A configuration key as a host: `https://host:5000/v1/` is `host:5000`.
fn normalized_key(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    if lower == "https://index.docker.io/v1/" {
        return lower;
    }
    let without_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    without_scheme
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `docker-credential-<helper> get` with the server on standard input: its credentials, or
/// `None` when it has none for the server. Its output and errors are never repeated.
fn helper_get(helper: &str, server: &str) -> Result<Option<Credentials>, String> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run the credential helper {program}: {error}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading shows up in its status below.
        let _ = stdin.write_all(server.as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("the credential helper {program} failed: {error}"))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout).to_ascii_lowercase();
        if said.contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!(
            "the credential helper {program} failed ({})",
            output.status
        ));
    }
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|_| format!("the credential helper {program} did not answer with JSON"))?;
    match (answer["Username"].as_str(), answer["Secret"].as_str()) {
        (Some(username), Some(secret)) if !secret.is_empty() => Ok(Some(Credentials {
            username: username.to_string(),
            secret: secret.to_string(),
        })),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_keep_quoted_commas() {
        let header = r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#;
        assert_eq!(
            Challenge::parse(header),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:a/b:pull,push".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Negotiate abc"), None);
        assert_eq!(Challenge::parse(r#"Bearer service="x""#), None);
    }

    #[test]
    fn credentials_print_redacted() {
        let credentials = Credentials {
            username: "ci".into(),
            secret: "hunter2".into(),
        };
        assert!(!format!("{credentials:?}").contains("hunter2"));
        assert_eq!(credentials.basic_header(), "Basic Y2k6aHVudGVyMg==");
    }

    #[test]
    fn auths_entries_match_by_host() {
        let config = DockerConfig {
            path: None,
            document: serde_json::json!({
                "auths": {
                    "https://127.0.0.1:5000/v1/": {"auth": "Y2k6aHVudGVyMg=="},
                    "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="}
                }
            }),
        };
        let found = config.credentials("127.0.0.1:5000").unwrap().unwrap();
        assert_eq!(
            (found.username.as_str(), found.secret.as_str()),
            ("ci", "hunter2")
        );
        let hub = config.credentials("docker.io").unwrap().unwrap();
        assert_eq!(hub.username, "hub");
        assert_eq!(config.credentials("127.0.0.1:5001").unwrap(), None);
    }
}
