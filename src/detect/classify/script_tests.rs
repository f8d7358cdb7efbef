//! Rules for scripts and what they print: text patterns, push targets, a captured --help.

use super::tests::{base_rule, refinement, safe, with_hit};
use crate::finding::Applicability;
use crate::rules::Rule;

#[test]
fn text_patterns_match_text() {
    for text in [
        "sed -i 's/k8s.gcr.io/mirror.local/g' a.yaml\n",
        "for i in $images; do docker pull ${i/k8s.gcr.io/gotok8s}; done\n",
        "new=${img//k8s.gcr.io/registry.k8s.io}\n",
        "name=${img#k8s.gcr.io/}\n",
        "name=${images[0]##k8s.gcr.io/}\n",
        "host=${img%%k8s.gcr.io*}\n",
    ] {
        let verdict = with_hit("a.sh", text, &[], base_rule("text pattern"));
        assert_eq!(
            verdict.map(|verdict| (verdict.rule, verdict.applicability)),
            Some((Rule::LegacyMention, Applicability::DisplayOnly)),
            "{text}"
        );
    }
    for text in [
        "image=${IMAGE:-k8s.gcr.io/pause:3.9}\n",
        "docker pull k8s.gcr.io/pause:3.9 # ${a/b/c}\n",
        "curl https://k8s.gcr.io/v2/\n",
        "sed -e 's|k8s.gcr.io/pause|mirror/pause|' a.yaml\n",
    ] {
        assert_eq!(
            with_hit("a.sh", text, &[], base_rule("text pattern")),
            None,
            "{text}"
        );
    }
    // A bare host in a substitution with another delimiter gets the pattern's note; an image
    // there is left to the image rules.
    for text in [
        "sed -e 's|k8s.gcr.io|mirror.local|' -i a.yaml\n",
        "sed \"s#k8s.gcr.io#mirror.local#g\" a.yaml\n",
        "perl -pi -e 's{k8s.gcr.io}{mirror.local}g' a.yaml\n",
    ] {
        let verdict = with_hit("a.sh", text, &[], base_rule("mention")).unwrap();
        assert!(verdict.message.contains("text pattern"), "{text}");
    }
    let verdict = with_hit(
        "a.sh",
        "echo k8s.gcr.io | tee x\n",
        &[],
        base_rule("mention"),
    );
    assert!(!verdict.unwrap().message.contains("text pattern"));
}

/// registry.k8s.io accepts no pushes: what a script pushes keeps its host.
#[test]
fn push_targets_keep_their_host() {
    let makefile = "IMAGE ?= k8s.gcr.io/external-dns/external-dns\nBASE ?= k8s.gcr.io/build-image/debian-base:v1\n\npush:\n\tdocker build --build-arg BASE=$(BASE) -t $(IMAGE):$(VERSION) .\n\tdocker push \"$(IMAGE):$(VERSION)\"\n";
    for (path, text, kept) in [
        ("a.sh", "docker push k8s.gcr.io/defaultbackend:1.5\n", true),
        (
            "a.md",
            "```\ngcloud docker -- push k8s.gcr.io/x:1\n```\n",
            true,
        ),
        ("Makefile", makefile, true),
        (
            "release.sh",
            "IMAGE_REPO=k8s.gcr.io/foo\ndocker buildx build --push -t \"${IMAGE_REPO}:v1\" .\n",
            true,
        ),
        // The name a push pushes, where it is tagged.
        (
            "a.sh",
            "docker tag x k8s.gcr.io/x/pause:3.9\ndocker push k8s.gcr.io/x/pause:3.9\n",
            true,
        ),
        // A pull, a variable only built from, a variable whose name only starts another's.
        ("a.sh", "docker pull k8s.gcr.io/pause:3.9\n", false),
        (
            "a.sh",
            "docker tag k8s.gcr.io/pause:3.9 x/pause:3.9\ndocker push k8s.gcr.io/pause:3.9.1\n",
            false,
        ),
        (
            "Makefile",
            "BASE ?= k8s.gcr.io/build-image/debian-base:v1\nimage:\n\tdocker build --build-arg BASE=$(BASE) .\n\tdocker push $(IMAGE)\n",
            false,
        ),
        (
            "release.sh",
            "IMAGE=k8s.gcr.io/foo\ndocker push $IMAGE_TAG\n",
            false,
        ),
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit(path, text, &[], |cx| {
            refinement("push target")(cx, &mut verdict)
        });
        assert_eq!(verdict.is_fixable(), !kept, "{path}: {text}");
    }
}

/// A captured `--help` prints the program's default: it moves with the program.
#[test]
fn captured_flag_help_is_history() {
    for (path, text) in [
        (
            "docs/init.md",
            "```\n      --image-repository string   Choose a registry (default \"k8s.gcr.io\")\n```\n",
        ),
        (
            "help.txt",
            "  -i, --image string   image (default \"k8s.gcr.io/pause:3.9\")\n",
        ),
        // Go's flag package prints the description below the flag.
        (
            "README.md",
            "```\n  -pause-image string\n    \tthe sandbox (default \"k8s.gcr.io/pause:3.9\")\n```\n",
        ),
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit(path, text, &[], |cx| {
            refinement("history")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, Applicability::DisplayOnly, "{text}");
    }
    for (path, text) in [
        // Prose, a values comment (helm-docs), a script's own usage text.
        ("README.md", "Run it (default \"k8s.gcr.io\") first.\n"),
        (
            "values.yaml",
            "# -- the registry (default \"k8s.gcr.io\")\nregistry: x\n",
        ),
        (
            "run.sh",
            "echo '  --registry  the registry (default \"k8s.gcr.io\")'\n",
        ),
        (
            "help.txt",
            "  --image string   image: k8s.gcr.io/pause:3.9\n",
        ),
    ] {
        let mut verdict = safe(Rule::LegacyHost);
        with_hit(path, text, &[], |cx| {
            refinement("history")(cx, &mut verdict)
        });
        assert_eq!(verdict.applicability, Applicability::Safe, "{text}");
    }
}
