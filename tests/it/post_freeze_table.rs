//! The post-freeze tag table (issue 17) is generated in two steps: a script run by hand
//! against the source data writes the facts, `data/post-freeze-tags.tsv`; the generator here
//! turns the facts into `src/detect/classify/post_freeze_table.rs`. This test runs the
//! generator on the committed facts and compares its output with the committed table byte for
//! byte. `REGSHIFT_BLESS=1 cargo test --test it post_freeze_table` rewrites the table.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::support::repository;

const FACTS: &str = "data/post-freeze-tags.tsv";
const TABLE: &str = "src/detect/classify/post_freeze_table.rs";

/// The facts file, read: its `# key: value` header and its rows, image → tag → published.
struct Facts {
    header: Vec<String>,
    cut_off: String,
    images: BTreeMap<String, BTreeMap<String, String>>,
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(at, byte)| match at {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        })
}

/// A name or tag as a registry spells it, safe inside a Rust string literal.
fn is_plain(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c))
}

fn parse(text: &str) -> Result<Facts, String> {
    let mut facts = Facts {
        header: Vec::new(),
        cut_off: String::new(),
        images: BTreeMap::new(),
    };
    for (number, line) in text.lines().enumerate().map(|(at, line)| (at + 1, line)) {
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim();
            if let Some(cut_off) = comment.strip_prefix("cut-off:") {
                facts.cut_off = cut_off.trim().to_string();
            }
            facts.header.push(comment.to_string());
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [image, tag, published] = fields[..] else {
            return Err(format!(
                "line {number}: expected image, tag and date: {line:?}"
            ));
        };
        if !is_plain(image) || !is_plain(tag) || !is_date(published) {
            return Err(format!("line {number}: malformed row {line:?}"));
        }
        if published <= facts.cut_off.as_str() {
            return Err(format!(
                "line {number}: {image}:{tag} is not after the cut-off"
            ));
        }
        let tags = facts.images.entry(image.to_string()).or_default();
        if tags
            .insert(tag.to_string(), published.to_string())
            .is_some()
        {
            return Err(format!("line {number}: {image}:{tag} is listed twice"));
        }
    }
    if !is_date(&facts.cut_off) {
        return Err("the header has no `# cut-off: YYYY-MM-DD` line before the rows".into());
    }
    Ok(facts)
}

/// The Rust table: one tag list per distinct list (the core images share one), each sorted
/// by tag, and the images sorted by name, for binary search. `#[rustfmt::skip]` keeps the
/// layout the generator's own, so `cargo fmt` never changes it.
fn generate(facts: &Facts) -> String {
    let mut lists: Vec<&BTreeMap<String, String>> = Vec::new();
    let mut out = String::new();
    out.push_str(
        "//! Image tags published after k8s.gcr.io froze, for the `post-freeze-tag` rule.\n//!\n",
    );
    out.push_str("//! Generated from data/post-freeze-tags.tsv by tests/it/post_freeze_table.rs: do not edit;\n");
    out.push_str("//! `REGSHIFT_BLESS=1 cargo test --test it post_freeze_table` regenerates it. The facts:\n//!\n");
    for line in &facts.header {
        let _ = writeln!(out, "//! {}", line.replace('\t', " "));
    }
    let _ = write!(
        out,
        "\n/// The day k8s.gcr.io froze: the table lists tags published after it.\npub(crate) const CUT_OFF: &str = \"{}\";\n",
        facts.cut_off
    );
    out.push_str("\n/// Each image the table covers, sorted by name, with its tags published after the cut-off.\n");
    out.push_str("#[rustfmt::skip]\npub(crate) const IMAGES: &[(&str, &[(&str, &str)])] = &[\n");
    for (image, tags) in &facts.images {
        let index = lists
            .iter()
            .position(|list| *list == tags)
            .unwrap_or_else(|| {
                lists.push(tags);
                lists.len() - 1
            });
        let _ = writeln!(out, "    (\"{image}\", TAGS_{index}),");
    }
    out.push_str("];\n");
    for (index, tags) in lists.iter().enumerate() {
        let _ = write!(
            out,
            "\n/// (tag, day published), sorted by tag.\n#[rustfmt::skip]\nconst TAGS_{index}: &[(&str, &str)] = &[\n"
        );
        for (tag, published) in tags.iter() {
            let _ = writeln!(out, "    (\"{tag}\", \"{published}\"),");
        }
        out.push_str("];\n");
    }
    out
}

#[test]
fn post_freeze_table_is_generated_from_its_facts() {
    let facts = std::fs::read_to_string(repository().join(FACTS)).unwrap();
    let table = generate(&parse(&facts).unwrap());
    let path = repository().join(TABLE);
    if std::env::var("REGSHIFT_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &table).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == table,
        "{TABLE} is not what {FACTS} gives: run `REGSHIFT_BLESS=1 cargo test --test it post_freeze_table`"
    );
}

#[test]
fn post_freeze_facts_reject_what_is_not_a_fact() {
    let header = "# cut-off: 2023-04-03\n";
    assert!(parse(&format!("{header}kube-apiserver\tv1.27.2\t2023-05-17\n")).is_ok());
    for row in [
        "kube-apiserver\tv1.26.3\t2023-03-15",
        "kube-apiserver\tv1.27.2",
        "kube-apiserver\tv1.27.2\t17/05/2023",
        "kube-apiserver\tv1.27.\"2\t2023-05-17",
    ] {
        assert!(parse(&format!("{header}{row}\n")).is_err(), "{row}");
    }
    let twice = format!("{header}a\tv1\t2023-05-17\na\tv1\t2023-05-18\n");
    assert!(parse(&twice).is_err());
    assert!(parse("a\tv1\t2023-05-17\n").is_err(), "no cut-off");
}

#[test]
fn post_freeze_tables_share_tag_lists_and_sort() {
    let facts = parse(
        "# cut-off: 2023-04-03\nb\tv2\t2023-05-01\nb\tv1\t2023-04-05\na\tv1\t2023-04-05\na\tv2\t2023-05-01\nc\t3.10\t2024-05-01\n",
    )
    .unwrap();
    let table = generate(&facts);
    assert!(table.contains("    (\"a\", TAGS_0),\n    (\"b\", TAGS_0),\n    (\"c\", TAGS_1),\n"));
    assert!(table.contains("    (\"v1\", \"2023-04-05\"),\n    (\"v2\", \"2023-05-01\"),\n"));
    assert_eq!(table.matches("const TAGS_").count(), 2);
}
