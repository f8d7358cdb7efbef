//! The fix guard's failure count: through the line reader it must count exactly what the
//! parser alone counts, for any documents of any stream.

use proptest::prelude::*;

use super::*;

/// The count both ways, or a panic that shows the stream.
fn checked_count(text: &str, spans: &[Range<usize>]) -> usize {
    match check_failure_count(text, spans, &HostScanner::new()) {
        Ok(count) => count,
        Err(error) => panic!("{text:?}\n{error}"),
    }
}

/// A span at the start of every document: the guard looks at all of them.
fn every_document(text: &str) -> Vec<Range<usize>> {
    document_chunks(text)
        .into_iter()
        .map(|chunk| chunk.start..chunk.start)
        .collect()
}

#[test]
fn documents_the_reader_accepts_are_not_parsed_and_count_no_failure() {
    let text = "a: registry.k8s.io/x\n---\nb: 1\n---\nc:\n- registry.k8s.io/y\n";
    assert!(runs_to_parse(text, &every_document(text), Reading::Lines).is_empty());
    assert_eq!(
        runs_to_parse(text, &every_document(text), Reading::ParserOnly),
        vec![0..text.len()]
    );
    assert_eq!(checked_count(text, &every_document(text)), 0);
}

#[test]
fn a_run_with_a_declined_document_is_parsed_whole() {
    // The block scalar is declined by the reader; its run (all three documents) is parsed.
    let text = "a: 1\n---\nb: |\n  x\n---\nc: 2\n---\nlone: 3\n";
    let chunks = document_chunks(text);
    let spans = [
        chunks[0].start..chunks[0].start,
        chunks[1].start..chunks[1].start + 1,
        chunks[2].start + 1..chunks[2].start + 2,
    ];
    assert_eq!(
        runs_to_parse(text, &spans, Reading::Lines),
        vec![chunks[0].start..chunks[2].end]
    );
    assert_eq!(checked_count(text, &spans), 0);
}

#[test]
fn broken_documents_count_the_same_both_ways() {
    let streams = [
        "a: [1\n---\nb: 2\n",
        "a: 1\n---\nb: [2\n---\nc: 3\n---\nd: {4\n",
        "a: 1\n b: 2\n---\nc: 3\n",
        "a: 1\n...\n---\nb: 'open\n",
        "%YAML 1.2\n---\na: 1\n---\n%YAML 1.2\n---\nb: 2\n",
        "a: 1\n...\nb: 2\n---\nc: [\n",
        "- a\nb: 1\n---\nok: 1\n",
        "a: \"x\n---\ny\"\n",
        "key: value\n--- trailing: text\n- item\n",
    ];
    for text in streams {
        let spans = every_document(text);
        checked_count(text, &spans);
        for span in &spans {
            checked_count(text, std::slice::from_ref(span));
        }
    }
    assert_eq!(
        checked_count("a: 1\n---\nb: [2\n", &every_document("a: 1\n---\nb: [2\n")),
        1
    );
}

#[test]
fn every_fixture_counts_the_same_both_ways() {
    for (path, text) in super::fixture_yaml_files() {
        let spans = every_document(&text);
        if let Err(error) = check_failure_count(&text, &spans, &HostScanner::new()) {
            panic!("{}: {error}", path.display());
        }
    }
}

/// Documents of every kind the guard meets: plain block YAML the reader takes, YAML it
/// declines, broken YAML, markers, directives and comments.
fn document() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a: 1\n",
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    image: registry.k8s.io/pause:3.9\n",
        "  indented: 1\n  more: 2\n",
        "- a\n- b: 1\n  c: 2\n",
        "a: # comment\n  b: 'q'\n",
        "# only a comment\n",
        "\n",
        "a: |\n  block\n",
        "a: [1, 2]\n",
        "a: &x 1\nb: *x\n",
        "a: \"open\n",
        "a: [1\n",
        "a: 1\n b: 2\n",
        "a: b: c\n",
        "- a\nb: 1\n",
        "a: 1\n...\n",
        "...\n",
        "%YAML 1.2\n",
        "%TAG ! tag:x,2000:\n",
        "? complex\n: key\n",
        "a:\tb\n",
        "a: 1\r\nb: 2\r\n",
        "caf\u{e9}: 1\n",
        "'it''s': 1\n",
        "x\n",
        "a: 'open\n",
        "- - x\n",
        "{a: 1}\n",
        "a: \"\\x2e\"\n",
    ])
}

fn marker() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["---\n", "---\n", "--- # c\n", "--- x\n", "---", ""])
}

/// A stream of documents and the documents the guard is asked about.
fn stream() -> impl Strategy<Value = (String, Vec<bool>)> {
    prop::collection::vec((marker(), document()), 1..8)
        .prop_map(|parts| {
            parts
                .into_iter()
                .map(|(marker, document)| format!("{marker}{document}"))
                .collect::<String>()
        })
        .prop_flat_map(|text| {
            let documents = document_chunks(&text).len();
            (Just(text), prop::collection::vec(any::<bool>(), documents))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn the_shortcut_never_changes_the_count((text, chosen) in stream()) {
        let spans: Vec<Range<usize>> = document_chunks(&text)
            .into_iter()
            .zip(chosen)
            .filter(|(_, chosen)| *chosen)
            .map(|(chunk, _)| chunk.start..chunk.start)
            .collect();
        if let Err(error) = check_failure_count(&text, &spans, &HostScanner::new()) {
            prop_assert!(false, "{:?}\n{}", text, error);
        }
    }
}
