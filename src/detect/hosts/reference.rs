//! The reference around a host token: what stands left of it (its [`Position`]: a registry, a
//! URL host, a proxy project, a folder in a path) and what follows (its [`Shape`]: an image
//! path with tag and digest, templated or not, or a bare host), and where the reference
//! starts and ends.

use memchr::memmem;

use super::{Position, Shape, extend_left, extend_right, is_host_byte, is_path_byte, slash_len};

/// Decide the position from what stands left of the host, and where the reference starts.
pub(super) fn left_position(bytes: &[u8], start: usize) -> (Position, usize) {
    if start == 0 || bytes[start - 1] != b'/' {
        return (Position::Registry, start);
    }
    if start >= 2 && bytes[start - 2] == b'/' {
        // `scheme://host` or protocol-relative `//host`.
        let mut url_start = start - 2;
        if url_start > 0 && bytes[url_start - 1] == b':' {
            url_start = extend_left(bytes, url_start - 1, |byte| {
                byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'.' | b'-')
            });
        }
        // `docker://k8s.gcr.io/pause:3.9` is not a URL: it is the `docker` transport of
        // containers/image (skopeo, buildah, podman), whose reference is pulled through the
        // registry API like any image reference. `docker-pullable://k8s.gcr.io/pause@sha256:…`
        // is the image ID dockershim recorded in a pod's status: an image by digest, which no
        // HTTP client fetches.
        let scheme = &bytes[url_start..start];
        if scheme == b"docker://" || scheme == b"docker-pullable://" {
            return (Position::Registry, start);
        }
        return (Position::UrlHost, url_start);
    }
    let word_start = word_start(bytes, start - 1);
    let word = &bytes[word_start..start - 1];
    if memmem::find(word, b"://").is_some() {
        return (Position::PathSegment, word_start);
    }
    let first_component = word.split(|byte| *byte == b'/').next().unwrap_or_default();
    // `harbor.example.com\/k8s.gcr.io` in JSON: the escape belongs to the separator.
    let first_component = first_component
        .strip_suffix(b"\\")
        .unwrap_or(first_component);
    let position = if first_component.contains(&b'}') || first_component.contains(&b')') {
        // `{{ .Values.proxy }}/k8s.gcr.io/…`, `$(MIRROR)/k8s.gcr.io/…`: a registry from a variable.
        Position::ProxyPath
    } else if looks_like_registry_host(first_component) && !is_code_host(first_component) {
        Position::ProxyPath
    } else {
        Position::PathSegment
    };
    (position, word_start)
}

/// Scan left from `end` over the bytes of one word (an image reference or path), on one line.
fn word_start(bytes: &[u8], end: usize) -> usize {
    const MAX_WORD: usize = 2048;
    let floor = end.saturating_sub(MAX_WORD);
    let mut start = end;
    while start > floor && !is_word_delimiter(bytes[start - 1]) {
        start -= 1;
    }
    start
}

/// Registry hosts and image paths are ASCII, so a non-ASCII byte (a BOM, prose) ends a word.
fn is_word_delimiter(byte: u8) -> bool {
    !byte.is_ascii()
        || byte.is_ascii_whitespace()
        || matches!(
            byte,
            b'"' | b'\'' | b'`' | b'=' | b'(' | b'[' | b'{' | b',' | b';' | b'<' | b'>' | b'|'
        )
}

/// `harbor.example.com`, `registry.local:5000`, `localhost:5000`, `10.0.0.1:5000`.
fn looks_like_registry_host(component: &[u8]) -> bool {
    let (host, has_port) = match component.iter().rposition(|byte| *byte == b':') {
        Some(colon)
            if colon + 1 < component.len()
                && component[colon + 1..].iter().all(u8::is_ascii_digit) =>
        {
            (&component[..colon], true)
        }
        _ => (component, false),
    };
    if host.is_empty() || !host.iter().all(|byte| is_host_byte(*byte)) {
        return false;
    }
    if host.eq_ignore_ascii_case(b"localhost") || has_port {
        return true;
    }
    let labels: Vec<&[u8]> = host.split(|byte| *byte == b'.').collect();
    if labels.len() < 2 || labels.iter().any(|label| label.is_empty()) {
        return false;
    }
    let is_ipv4 = labels.len() == 4 && labels.iter().all(|l| l.iter().all(u8::is_ascii_digit));
    let top_level = labels[labels.len() - 1];
    is_ipv4 || (top_level.len() >= 2 && top_level.iter().all(u8::is_ascii_alphabetic))
}

/// Hosts whose paths are web pages or Go import paths, never container registries.
fn is_code_host(host: &[u8]) -> bool {
    const CODE_HOSTS: &[&[u8]] = &[
        b"github.com",
        b"gitlab.com",
        b"bitbucket.org",
        b"raw.githubusercontent.com",
        b"k8s.io",
        b"sigs.k8s.io",
        b"golang.org",
        b"go.dev",
        b"pkg.go.dev",
        b"gopkg.in",
        b"kubernetes.io",
    ];
    CODE_HOSTS
        .iter()
        .any(|code| host.eq_ignore_ascii_case(code))
}

/// After the replaced range: an image path, a bare host, or a host with a trailing slash.
/// Returns the shape and the end of the reference.
pub(super) fn reference_shape(bytes: &[u8], end: usize) -> (Shape, usize) {
    let mut at = end;
    // Optional `:port` before the path.
    if bytes.get(at) == Some(&b':') {
        let digits_end = extend_right(bytes, at + 1, |byte| byte.is_ascii_digit());
        if digits_end > at + 1 && bytes.get(digits_end) == Some(&b'/') {
            at = digits_end;
        }
    }
    let slash = slash_len(bytes, at);
    if slash == 0 {
        return (
            Shape::BareHost {
                trailing_slash: false,
            },
            end,
        );
    }
    match bytes.get(at + slash) {
        Some(&next) if next.is_ascii_alphanumeric() || matches!(next, b'$' | b'{' | b'(') => {
            (Shape::Image, image_reference_end(bytes, at))
        }
        _ => (
            Shape::BareHost {
                trailing_slash: true,
            },
            at + slash,
        ),
    }
}

/// The end of `/path[:tag][@digest]` starting at `at` (which holds the first separator).
fn image_reference_end(bytes: &[u8], at: usize) -> usize {
    let mut end = at;
    loop {
        end = extend_right(bytes, end, |byte| is_path_byte(byte) || byte == b'/');
        match slash_len(bytes, end) {
            0 => break,
            slash => end += slash,
        }
    }
    if bytes.get(end) == Some(&b':') {
        let tag_end = extend_right(bytes, end + 1, |byte| {
            byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-')
        });
        let first_ok = bytes
            .get(end + 1)
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || *byte == b'_');
        if first_ok && tag_end - (end + 1) <= 128 {
            end = tag_end;
        }
    }
    if bytes.get(end) == Some(&b'@') {
        let algorithm_end = extend_right(bytes, end + 1, |byte| byte.is_ascii_alphanumeric());
        if algorithm_end > end + 1 && bytes.get(algorithm_end) == Some(&b':') {
            let hex_end = extend_right(bytes, algorithm_end + 1, |byte| byte.is_ascii_hexdigit());
            if hex_end - (algorithm_end + 1) >= 32 {
                end = hex_end;
            }
        }
    }
    end = templated_end(bytes, end);
    // A sentence may end right after a reference: `pull k8s.gcr.io/pause.`
    while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-' | b'/' | b'_') {
        end -= 1;
    }
    end
}

/// A reference may go on in a template or a variable (`:{{ .Values.tag }}`,
/// `-${ARCH}:${VERSION}`, `$(ARCH)`): its extent takes them in, so the reference reads as
/// templated rather than as a shorter image name.
fn templated_end(bytes: &[u8], mut end: usize) -> usize {
    const MAX_EXPRESSION: usize = 200;
    loop {
        let mut at = end;
        if bytes.get(at) == Some(&b':') {
            at += 1;
        }
        let rest = &bytes[at.min(bytes.len())..];
        let close = if rest.starts_with(b"{{") {
            memmem::find(&rest[..rest.len().min(MAX_EXPRESSION)], b"}}").map(|close| close + 2)
        } else if rest.starts_with(b"${") {
            memchr::memchr(b'}', &rest[..rest.len().min(MAX_EXPRESSION)]).map(|close| close + 1)
        } else if rest.starts_with(b"$(") {
            memchr::memchr(b')', &rest[..rest.len().min(MAX_EXPRESSION)]).map(|close| close + 1)
        } else if rest.first() == Some(&b'$')
            && rest
                .get(1)
                .is_some_and(|byte| byte.is_ascii_alphabetic() || *byte == b'_')
        {
            Some(
                1 + rest[1..]
                    .iter()
                    .take_while(|byte| byte.is_ascii_alphanumeric() || **byte == b'_')
                    .count(),
            )
        } else {
            None
        };
        let Some(length) = close.filter(|length| !rest[..*length].contains(&b'\n')) else {
            return end;
        };
        end = extend_right(bytes, at + length, |byte| {
            is_path_byte(byte) || matches!(byte, b'/' | b':' | b'@')
        });
    }
}

/// Whether an image path (after the host) is really a file path: its last component has a
/// file extension no image name carries, and there is no tag or digest.
pub(super) fn names_a_file(path: &[u8]) -> bool {
    const FILE_EXTENSIONS: &[&[u8]] = &[
        b"yaml", b"yml", b"json", b"md", b"txt", b"toml", b"sh", b"go", b"py", b"tgz", b"tar",
        b"gz", b"html", b"conf", b"cfg", b"ini", b"xml", b"csv", b"lock", b"sum", b"mod",
    ];
    let last = path.rsplit(|byte| *byte == b'/').next().unwrap_or_default();
    if last.contains(&b':') || last.contains(&b'@') {
        return false;
    }
    match last.iter().rposition(|byte| *byte == b'.') {
        Some(dot) if dot > 0 => {
            let extension = &last[dot + 1..];
            FILE_EXTENSIONS
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        }
        _ => false,
    }
}

/// After a URL host: the rest of the URL.
pub(super) fn url_shape(bytes: &[u8], end: usize) -> (Shape, usize) {
    let mut url_end = extend_right(bytes, end, |byte| {
        !byte.is_ascii_whitespace()
            && !matches!(
                byte,
                b'"' | b'\'' | b'`' | b'<' | b'>' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'|'
            )
    });
    while url_end > end && matches!(bytes[url_end - 1], b'.' | b',' | b';' | b':' | b'!' | b'?') {
        url_end -= 1;
    }
    let shape = if url_end > end + 1 && bytes[end] == b'/' {
        Shape::Image
    } else {
        Shape::BareHost {
            trailing_slash: url_end == end + 1,
        }
    };
    (shape, url_end)
}
