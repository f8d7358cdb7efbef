//! Shell heredocs (`cat > kubeadm.yaml <<EOF` … `EOF`): where a script writes a file inline.

use std::ops::Range;

/// The heredoc that `line` opens (`<<EOF`, `<<-'EOF'`, `<< "END"`): its terminator, and whether
/// its lines lose their leading tabs (`<<-`). `<<<` is a here-string, not a heredoc.
pub(crate) fn opener(line: &[u8]) -> Option<(Vec<u8>, bool)> {
    let at = memchr::memmem::find(line, b"<<")?;
    let rest = &line[at + 2..];
    if rest.first() == Some(&b'<') {
        return None;
    }
    let strip_tabs = rest.first() == Some(&b'-');
    let rest = rest.strip_prefix(b"-").unwrap_or(rest).trim_ascii_start();
    let rest = rest
        .strip_prefix(b"'")
        .or_else(|| rest.strip_prefix(b"\""))
        .unwrap_or(rest);
    let word: Vec<u8> = rest
        .iter()
        .copied()
        .take_while(|byte| byte.is_ascii_alphanumeric() || *byte == b'_')
        .collect();
    (!word.is_empty()).then_some((word, strip_tabs))
}

/// The bodies of the heredocs of `text`: from the line after the opener to the line that is
/// only the terminator (after leading tabs, with `<<-`). An unclosed heredoc holds nothing.
pub(crate) fn bodies(text: &str) -> Vec<Range<usize>> {
    let mut bodies = Vec::new();
    // The terminator, whether leading tabs are stripped, where the body starts.
    let mut open: Option<(Vec<u8>, bool, usize)> = None;
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let line_start = start;
        start += line.len();
        let line = line.trim_end_matches(['\n', '\r']).as_bytes();
        match &open {
            Some((terminator, strip_tabs, body)) => {
                let content = if *strip_tabs {
                    let tabs = line.iter().take_while(|byte| **byte == b'\t').count();
                    &line[tabs..]
                } else {
                    line
                };
                if content.trim_ascii_end() == terminator.as_slice() {
                    bodies.push(*body..line_start);
                    open = None;
                }
            }
            None => {
                open = opener(line).map(|(terminator, strip_tabs)| (terminator, strip_tabs, start));
            }
        }
    }
    bodies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openers_and_bodies() {
        for (line, expected) in [
            ("cat > a.yaml <<EOF", Some(("EOF", false))),
            ("cat <<-'END' | kubectl apply -f -", Some(("END", true))),
            ("cat << \"EOF2\" > b", Some(("EOF2", false))),
            ("kubeadm config print <<< \"$config\"", None),
            ("echo a << b", Some(("b", false))),
            ("x=1", None),
        ] {
            let found = opener(line.as_bytes());
            let found = found
                .as_ref()
                .map(|(word, tabs)| (std::str::from_utf8(word).unwrap(), *tabs));
            assert_eq!(found, expected, "{line}");
        }
        let text = "cat <<EOF\r\na: 1\r\nEOF\r\ncat <<-EOF\n\tb: 2\n\tEOF\ncat <<EOF\nc: 3\n";
        let bodies: Vec<&str> = bodies(text).into_iter().map(|body| &text[body]).collect();
        assert_eq!(bodies, ["a: 1\r\n", "\tb: 2\n"], "the last one is unclosed");
    }
}
