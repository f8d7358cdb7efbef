//! `regshift images --verify`: does each image of the mirroring plan exist on the registry it
//! will be pulled from? One manifest check per image over the OCI distribution API
//! (`client.rs`), with the authentication container tools use (`auth.rs`), on at most
//! [`MAX_REQUESTS`] threads. Nothing here runs without `--verify`, and nothing prints: the
//! caller gets one [`Verification`] per target, in the targets' order.

mod auth;
mod client;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::image_ref::ImageRef;
use client::{Client, Found};

/// At most this many requests at once (`-j` lowers it).
pub const MAX_REQUESTS: usize = 8;

/// How a verification run talks to registries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Requests at once, 1 to [`MAX_REQUESTS`].
    pub requests: usize,
    /// Hosts (with or without their port) reached over plain HTTP (`--insecure-registry`).
    pub insecure: Vec<String>,
    pub connect_timeout: Duration,
    /// The whole of one request, redirects and body included.
    pub request_timeout: Duration,
}

impl VerifyOptions {
    /// `-j` (capped at [`MAX_REQUESTS`]) and the insecure hosts, with the standard timeouts:
    /// 5 s to connect, 30 s for a request.
    pub fn new(jobs: Option<usize>, insecure: Vec<String>) -> VerifyOptions {
        VerifyOptions {
            requests: jobs.unwrap_or(MAX_REQUESTS).clamp(1, MAX_REQUESTS),
            insecure,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Present,
    Missing,
    /// The check could not be made (unreachable, refused, a malformed reference).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Missing => "missing",
            Status::Error => "error",
        }
    }
}

/// One image's check: the reference asked for, and the answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    pub target: String,
    pub status: Status,
    /// The digest the registry served (`Docker-Content-Digest`), or the pinned one.
    pub digest: Option<String>,
    /// Why the check failed; never holds a credential.
    pub error: Option<String>,
}

/// A reference split for the distribution API: host, repository, and tag or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub repository: String,
    /// The digest when the reference is pinned to one, else the tag.
    pub reference: String,
}

impl Target {
    /// `host/repository:tag`, `host/repository@digest` (a digest wins over a tag); `None` for
    /// a reference without a registry host or without a tag or digest.
    pub fn parse(reference: &str) -> Option<Target> {
        let parsed = ImageRef::parse(reference);
        let (host, repository) = parsed.name.split_once('/')?;
        let version = parsed.digest.or(parsed.tag)?;
        let plain = |text: &str, extra: &str| {
            !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
        };
        let valid = plain(host, ".-:[]")
            && plain(repository, "._-/")
            && plain(version, "._-:+")
            && crate::image_ref::is_registry_component(host);
        valid.then(|| Target {
            host: host.to_string(),
            repository: repository.to_string(),
            reference: version.to_string(),
        })
    }
}

/// Whether a host (with or without a port) is a loopback address: `localhost`, `127.0.0.0/8`
/// or `[::1]`; only those (and `--insecure-registry` hosts) are reached over plain HTTP.
pub fn is_loopback(host: &str) -> bool {
    let name = without_port(host);
    if name.eq_ignore_ascii_case("localhost") || name == "[::1]" {
        return true;
    }
    name.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|address| address.is_loopback())
}

/// A host without its `:port` (an IPv6 literal keeps its brackets).
pub fn without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|byte| byte.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Check every target, `options.requests` at a time; `on_done` is called after each (for a
/// progress bar). The results are in the targets' order.
pub fn verify_all(
    targets: &[String],
    options: &VerifyOptions,
    on_done: &(dyn Fn() + Sync),
) -> Vec<Verification> {
    let client = Client::new(options);
    let next = AtomicUsize::new(0);
    let results: Vec<OnceLock<Verification>> = targets.iter().map(|_| OnceLock::new()).collect();
    let threads = options.requests.min(targets.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(target) = targets.get(index) else {
                        break;
                    };
                    let _ = results[index].set(verify_one(&client, target));
                    on_done();
                }
            });
        }
    });
    results
        .into_iter()
        .map(|result| result.into_inner().expect("every target is checked once"))
        .collect()
}

/// One target's check.
fn verify_one(client: &Client, target: &str) -> Verification {
    let Some(parsed) = Target::parse(target) else {
        return Verification {
            target: target.to_string(),
            status: Status::Error,
            digest: None,
            error: Some("not a reference with a registry host and a tag or digest".to_string()),
        };
    };
    let pinned = parsed
        .reference
        .contains(':')
        .then(|| parsed.reference.clone());
    let (status, digest, error) = match client.manifest(&parsed) {
        Ok(Found::Present(digest)) => (Status::Present, digest.or(pinned), None),
        Ok(Found::Missing) => (Status::Missing, None, None),
        Err(reason) => (Status::Error, None, Some(reason)),
    };
    Verification {
        target: target.to_string(),
        status,
        digest,
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_host_repository_and_version() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(
            Target::parse("registry.k8s.io/ingress-nginx/controller:v1.2.1"),
            Some(Target {
                host: "registry.k8s.io".into(),
                repository: "ingress-nginx/controller".into(),
                reference: "v1.2.1".into(),
            })
        );
        let pinned = Target::parse(&format!("127.0.0.1:5000/pause:3.9@{digest}")).unwrap();
        assert_eq!(pinned.host, "127.0.0.1:5000");
        assert_eq!(pinned.reference, digest);
        assert_eq!(Target::parse("registry.k8s.io/pause"), None);
        assert_eq!(Target::parse("pause:3.9"), None);
        assert_eq!(Target::parse("registry.k8s.io/pa use:3.9"), None);
    }

    #[test]
    fn only_loopback_hosts_are_loopback() {
        for host in [
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.3.2.1:80",
            "[::1]:5000",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "registry.k8s.io",
            "128.0.0.1:5000",
            "localhost.example",
            "[::2]",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn requests_are_capped() {
        assert_eq!(VerifyOptions::new(None, vec![]).requests, 8);
        assert_eq!(VerifyOptions::new(Some(64), vec![]).requests, 8);
        assert_eq!(VerifyOptions::new(Some(2), vec![]).requests, 2);
    }
}
