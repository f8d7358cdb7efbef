//! Metric samples in the Prometheus text exposition format (and OpenMetrics):
//! `container_cpu_usage_seconds_total{container="c",image="k8s.gcr.io/pause:3.2"} 0.51 1650000000000`.
//!
//! A sample is a measurement: its `image` label records the image a container ran when it was
//! scraped (cAdvisor, kube-state-metrics). Files of samples are recordings, kept as test
//! fixtures of the programs that parse them; nothing pulls an image from a label. Rewriting one
//! changes what the recording says happened, and a test that compares it with expected values
//! written in program source (which regshift does not rewrite safely) stops passing.

/// Where the label set of a sample line ends (the offset of its `}` in `line`), when the whole
/// line is one sample with labels: optional leading blanks, a metric name, `{`, labels
/// `name="value"` separated by commas (a trailing comma allowed), `}`, a value, and optionally
/// a timestamp and an OpenMetrics exemplar (` # {…} value`). Anything else is `None`.
pub(super) fn label_set_end(line: &[u8]) -> Option<usize> {
    let mut at = skip_blanks(line, 0);
    at = name(line, at, true)?;
    if line.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    let close = loop {
        at = skip_blanks(line, at);
        match line.get(at)? {
            b'}' => break at,
            _ => {
                at = name(line, at, false)?;
                at = skip_blanks(line, at);
                if line.get(at) != Some(&b'=') {
                    return None;
                }
                at = quoted(line, skip_blanks(line, at + 1))?;
                at = skip_blanks(line, at);
                match line.get(at)? {
                    b',' => at += 1,
                    b'}' => break at,
                    _ => return None,
                }
            }
        }
    };
    // The value, then maybe a timestamp, then maybe an exemplar.
    let mut tokens = line[close + 1..]
        .split(|byte| matches!(byte, b' ' | b'\t'))
        .filter(|token| !token.is_empty());
    if !tokens.next().is_some_and(is_number) {
        return None;
    }
    let mut next = tokens.next();
    if next.is_some_and(is_number) {
        next = tokens.next();
    }
    matches!(next, None | Some(b"#")).then_some(close)
}

fn skip_blanks(line: &[u8], mut at: usize) -> usize {
    while matches!(line.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    at
}

/// The end of a metric name (`[A-Za-z_:][A-Za-z0-9_:]*`) or, without `colons`, a label name
/// starting at `at`.
fn name(line: &[u8], at: usize, colons: bool) -> Option<usize> {
    let allowed =
        |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || (colons && byte == b':');
    let first = *line.get(at)?;
    if first.is_ascii_digit() || !allowed(first) {
        return None;
    }
    let len = line[at..].iter().take_while(|&&byte| allowed(byte)).count();
    Some(at + len)
}

/// The end of a double-quoted label value starting at `at` (escapes `\\`, `\"`, `\n`).
fn quoted(line: &[u8], at: usize) -> Option<usize> {
    if line.get(at) != Some(&b'"') {
        return None;
    }
    let mut index = at + 1;
    while let Some(&byte) = line.get(index) {
        match byte {
            b'\\' => index += 2,
            b'"' => return Some(index + 1),
            _ => index += 1,
        }
    }
    None
}

/// A sample value or timestamp: a float as Go's `strconv.ParseFloat` reads it, or `NaN` and
/// `±Inf`.
fn is_number(token: &[u8]) -> bool {
    let Ok(token) = std::str::from_utf8(token) else {
        return false;
    };
    let unsigned = token.trim_start_matches(['+', '-']);
    matches!(unsigned, "Inf" | "inf") || token == "NaN" || {
        !unsigned.is_empty()
            && unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && token.parse::<f64>().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::label_set_end;

    fn labels_end(line: &str) -> Option<usize> {
        label_set_end(line.as_bytes())
    }

    #[test]
    fn samples_with_labels() {
        let line = r#"container_cpu_load_average_10s{container="c",image="k8s.gcr.io/pause:3.2",name="k8s_POD"} 0"#;
        assert_eq!(labels_end(line), line.find('}'));
        for line in [
            r#"kube_pod_container_info{image="k8s.gcr.io/etcd:3.4.13-0",} 1 1650000000000"#,
            r#"  m{ a = "x" , b="k8s.gcr.io/x" } +Inf"#,
            r#"m:rate5m{image="k8s.gcr.io/x"} -1.5e-3"#,
            r#"m{image="k8s.gcr.io/x"} NaN"#,
            r#"m{image="k8s.gcr.io/x",q="a \"quoted\" {brace}"} 3 # {trace_id="abc"} 1"#,
        ] {
            assert!(labels_end(line).is_some(), "{line}");
        }
    }

    #[test]
    fn what_is_not_a_sample() {
        for line in [
            // A PromQL expression, a YAML value, prose, code, JSON.
            r#"expr: count(kube_pod_container_info{image=~"k8s.gcr.io/.*"}) > 0"#,
            r#"kube_pod_container_info{image="k8s.gcr.io/x"} > 0"#,
            r#"image: k8s.gcr.io/pause:3.2"#,
            r#"the sample m{image="k8s.gcr.io/x"} 1 is old"#,
            r#"var m = {image: "k8s.gcr.io/x"} 1"#,
            r#"{"image": "k8s.gcr.io/x"} 1"#,
            r#"m{image="k8s.gcr.io/x"}"#,
            r#"m{image="k8s.gcr.io/x"} 1 2 3"#,
            r#"m{image="k8s.gcr.io/x} 1"#,
            r#"m{9image="k8s.gcr.io/x"} 1"#,
            r#"m{image=k8s.gcr.io/x} 1"#,
            r#"m{image="k8s.gcr.io/x"} v1"#,
            "",
        ] {
            assert_eq!(labels_end(line), None, "{line}");
        }
    }
}
