//! One manifest check over the OCI distribution API: `HEAD /v2/<name>/manifests/<reference>`
//! (a `GET` where `HEAD` is refused), redirects followed, a 401 answered once with a Bearer
//! token or Basic credentials, and two retries with backoff on 429, 5xx and connection
//! errors.
//!
//! ureq with rustls: blocking calls on a few threads fit a check of tens of images, with no
//! async runtime, and rustls with the Mozilla roots needs no system TLS library. ureq drops
//! `Authorization` on a redirect to another host (a blob store), so credentials stay with the
//! registry they belong to.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::auth::{Challenge, Credentials, DockerConfig};
use super::{Target, VerifyOptions};

/// The manifest types a check accepts: OCI index and manifest, Docker manifest list and v2.
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// Retries after the first attempt, and the pause before each.
const BACKOFF: [Duration; 2] = [Duration::from_millis(300), Duration::from_millis(900)];

/// Where a manifest check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The registry has it, with the digest it served (when it said).
    Present(Option<String>),
    Missing,
}

/// What a registry answered.
struct Reply {
    status: u16,
    digest: Option<String>,
    challenge: Option<String>,
}

/// The HTTP client of a verification run, shared by its threads.
pub struct Client {
    agent: ureq::Agent,
    insecure: Vec<String>,
    docker_config: OnceLock<Result<DockerConfig, String>>,
    /// Hosts that could not be reached, with why: their other images fail at once instead
    /// of paying for the retries again.
    unreachable: Mutex<HashMap<String, String>>,
}

impl Client {
    pub fn new(options: &VerifyOptions) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.request_timeout))
            .max_redirects(5)
            .user_agent(concat!("regshift/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Client {
            agent,
            insecure: options
                .insecure
                .iter()
                .map(|host| host.to_ascii_lowercase())
                .collect(),
            docker_config: OnceLock::new(),
            unreachable: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the manifest `target` names exists on its registry.
    pub fn manifest(&self, target: &Target) -> Result<Found, String> {
        let url = format!(
            "{}://{}/v2/{}/manifests/{}",
            self.scheme(&target.host),
            target.host,
            target.repository,
            target.reference
        );
        let mut method = "HEAD";
        let mut authorization: Option<String> = None;
        let mut challenge: Option<Challenge> = None;
        loop {
            let reply = self.send(&target.host, method, &url, authorization.as_deref())?;
            match reply.status {
                // HEAD refused: ask again with GET.
                405 | 501 if method == "HEAD" => method = "GET",
                401 if challenge.is_none() => {
                    let offered = reply.challenge.as_deref().and_then(Challenge::parse);
                    let offered = offered.ok_or_else(|| {
                        "the registry wants credentials (HTTP 401 with no challenge regshift can answer)"
                            .to_string()
                    })?;
                    authorization = Some(self.authorize(target, &offered)?);
                    challenge = Some(offered);
                }
                401 => return Err(refused(challenge.as_ref(), &target.host)),
                200 => return Ok(Found::Present(reply.digest)),
                404 => return Ok(Found::Missing),
                403 => return Err("access denied (HTTP 403)".to_string()),
                status => return Err(format!("the registry answered HTTP {status}")),
            }
        }
    }

    /// `https`, or `http` for a loopback host or one named with `--insecure-registry`.
    fn scheme(&self, host: &str) -> &'static str {
        let lower = host.to_ascii_lowercase();
        let insecure = super::is_loopback(&lower)
            || self.insecure.contains(&lower)
            || self
                .insecure
                .contains(&super::without_port(&lower).to_string());
        if insecure { "http" } else { "https" }
    }

    /// The `Authorization` header that answers a challenge.
    fn authorize(&self, target: &Target, challenge: &Challenge) -> Result<String, String> {
        let credentials = self.credentials(&target.host)?;
        match challenge {
            Challenge::Basic => credentials
                .map(|credentials| credentials.basic_header())
                .ok_or_else(|| {
                    format!(
                        "the registry wants credentials (Basic): none for {} in the Docker configuration",
                        target.host
                    )
                }),
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                let scope = scope
                    .clone()
                    .unwrap_or_else(|| format!("repository:{}:pull", target.repository));
                self.token(realm, service.as_deref(), &scope, credentials.as_ref())
                    .map(|token| format!("Bearer {token}"))
            }
        }
    }

    /// A token from the realm of a Bearer challenge, anonymous or with `credentials`.
    fn token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String, String> {
        let realm_host = realm
            .strip_prefix("https://")
            .or_else(|| realm.strip_prefix("http://"))
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("the token realm {realm} is not an HTTP URL"))?;
        if realm.starts_with("http://") && self.scheme(realm_host) == "https" {
            return Err(format!(
                "the token realm {realm} is plain HTTP (allowed only on loopback or with --insecure-registry)"
            ));
        }
        let mut request = self.agent.get(realm).query("scope", scope);
        if let Some(service) = service {
            request = request.query("service", service);
        }
        if let Some(credentials) = credentials {
            request = request.header("Authorization", credentials.basic_header());
        }
        let mut response = request.call().map_err(|error| transport(&error))?;
        match response.status().as_u16() {
            200 => {}
            401 | 403 => {
                return Err(format!(
                    "the registry wants credentials: the token service {realm} refused {}",
                    if credentials.is_some() {
                        "the credentials from the Docker configuration"
                    } else {
                        "an anonymous token"
                    }
                ));
            }
            status => return Err(format!("the token service {realm} answered HTTP {status}")),
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|error| transport(&error))?;
        let body: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| format!("the token service {realm} did not answer with JSON"))?;
        body["token"]
            .as_str()
            .or_else(|| body["access_token"].as_str())
            .filter(|token| !token.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("the token service {realm} sent no token"))
    }

    fn credentials(&self, host: &str) -> Result<Option<Credentials>, String> {
        let config = self.docker_config.get_or_init(DockerConfig::load);
        config.as_ref().map_err(Clone::clone)?.credentials(host)
    }

    /// One request, retried on 429, 5xx and connection errors; a host that stays unreachable
    /// is remembered.
    fn send(
        &self,
        host: &str,
        method: &str,
        url: &str,
        authorization: Option<&str>,
    ) -> Result<Reply, String> {
        if let Some(reason) = self.unreachable.lock().expect("not poisoned").get(host) {
            return Err(reason.clone());
        }
        let mut attempt = 0;
        loop {
            let result = self.send_once(method, url, authorization);
            let retry = match &result {
                Ok(reply) => reply.status == 429 || reply.status >= 500,
                Err((_, retryable)) => *retryable,
            };
            if retry && attempt < BACKOFF.len() {
                std::thread::sleep(BACKOFF[attempt]);
                attempt += 1;
                continue;
            }
            return result.map_err(|(reason, retryable)| {
                if retryable {
                    let mut unreachable = self.unreachable.lock().expect("not poisoned");
                    unreachable.insert(host.to_string(), reason.clone());
                }
                reason
            });
        }
    }

    /// One request: the reply, or why it failed and whether trying again may help.
    fn send_once(
        &self,
        method: &str,
        url: &str,
        authorization: Option<&str>,
    ) -> Result<Reply, (String, bool)> {
        let request = match method {
            "HEAD" => self.agent.head(url),
            _ => self.agent.get(url),
        };
        let request = request.header("Accept", ACCEPT);
        let request = match authorization {
            Some(value) => request.header("Authorization", value),
            None => request,
        };
        let response = request
            .call()
            .map_err(|error| (transport(&error), is_retryable(&error)))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        Ok(Reply {
            status: response.status().as_u16(),
            digest: header("docker-content-digest"),
            challenge: header("www-authenticate"),
        })
    }
}

/// Why a request failed, for the user: ureq's message names the cause, never a header.
fn transport(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(what) => format!("timed out ({what})"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        other => format!("cannot reach the registry: {other}"),
    }
}

/// Connection errors (a connect timeout among them) are worth another try; a request that
/// used up its time is not: three of them would cost minutes.
fn is_retryable(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Timeout(timeout) => matches!(timeout, ureq::Timeout::Connect),
        ureq::Error::Io(_) | ureq::Error::ConnectionFailed | ureq::Error::Protocol(_) => true,
        _ => false,
    }
}

/// The message for a 401 that follows an answered challenge.
fn refused(challenge: Option<&Challenge>, host: &str) -> String {
    match challenge {
        Some(Challenge::Bearer { realm, .. }) => {
            format!("the registry wants credentials: it refused the token from {realm}")
        }
        _ => format!(
            "the registry wants credentials: {host} refused the ones in the Docker configuration"
        ),
    }
}
