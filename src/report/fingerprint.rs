//! Fingerprints that follow a finding across commits, shared by `--format sarif`
//! (`partialFingerprints`) and `--format gitlab` (`fingerprint`): a hash of the rule, the path,
//! the reference and the trimmed text of the finding's line, then the finding's occurrence
//! among identical ones in the file. Line numbers are left out, so an edit above a finding does
//! not change its fingerprint; the occurrence keeps identical lines apart.

use std::collections::HashMap;

use super::FileReport;

/// The fingerprint of each of `file`'s findings, in order: `<16 hex digits>:<occurrence>`,
/// the occurrence counted from 1.
pub fn fingerprints(file: &FileReport) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    file.findings
        .iter()
        .map(|finding| {
            let line_text = finding.excerpt.text.lines().next().unwrap_or("").trim();
            let identity = fnv1a(&[
                finding.rule.id(),
                file.path.as_str(),
                &finding.reference,
                line_text,
            ]);
            let occurrence = seen.entry(identity.clone()).or_insert(0);
            *occurrence += 1;
            format!("{identity}:{occurrence}")
        })
        .collect()
}

/// FNV-1a, 64 bits: stable across Rust versions and machines, unlike `DefaultHasher`.
fn fnv1a(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
        // Pinned: a change here re-keys every alert in code scanning and every GitLab issue.
        assert_eq!(fnv1a(&["legacy-host"]), "594abe42a8d83bd9");
    }
}
