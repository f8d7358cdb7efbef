//! `file:` URIs to paths. lsp-types' `Uri` is generic; an editor names local files with
//! `file:///abs/path` (or `file://localhost/...`), percent-encoding what is not plain.

use std::path::PathBuf;

/// The local path a `file:` URI names; `None` for another scheme, a remote host or a path
/// that is not absolute.
pub fn file_path(uri: &str) -> Option<PathBuf> {
    let rest = uri
        .strip_prefix("file://")
        .or_else(|| uri.strip_prefix("FILE://"))?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    // A query or fragment is not part of the path.
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let bytes = percent_decode(&rest[..end])?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        let text = String::from_utf8(bytes).ok()?;
        // `/C:/x` on Windows.
        Some(PathBuf::from(text.strip_prefix('/').unwrap_or(&text)))
    }
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = text.get(at + 1..at + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_encoded_paths() {
        assert_eq!(
            file_path("file:///repo/deploy/web.yaml"),
            Some(PathBuf::from("/repo/deploy/web.yaml"))
        );
        assert_eq!(
            file_path("file:///repo/my%20charts/caf%C3%A9.yaml"),
            Some(PathBuf::from("/repo/my charts/café.yaml"))
        );
        assert_eq!(
            file_path("file://localhost/etc/x.yaml"),
            Some(PathBuf::from("/etc/x.yaml"))
        );
    }

    #[test]
    fn other_schemes_and_bad_escapes() {
        assert_eq!(file_path("untitled:Untitled-1"), None);
        assert_eq!(file_path("file://server/share/x"), None);
        assert_eq!(file_path("file:///a%zz"), None);
    }
}
