//! Rules that depend on a file's surroundings: a schema that a generator writes from program
//! source.

use super::tests::{refinement, safe, with_source};
use crate::finding::Applicability;
use crate::origin::Origin;
use crate::path::RepoPath;
use crate::rules::Rule;
use crate::source::SourceFile;

#[test]
fn a_schema_that_program_source_names_is_written_back_by_its_generator() {
    let definition = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: sandboxes.example.io\nspec:\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        properties:\n          image:\n            default: k8s.gcr.io/pause:3.9\n";
    let decide = |names: Option<&[&str]>| {
        let source = SourceFile::new(
            RepoPath::new("config/crd/bases/example.io_sandboxes.yaml"),
            definition.as_bytes().to_vec(),
        )
        .with_origin(Origin {
            program_source_names: names.map(|names| {
                std::sync::Arc::new(names.iter().map(|name| name.to_string()).collect())
            }),
            ..Origin::default()
        });
        let mut verdict = safe(Rule::LegacyHost);
        with_source(source, &[], |cx| {
            refinement("generated schema")(cx, &mut verdict)
        });
        verdict
    };
    // Go names it (a +kubebuilder:default marker): the generator would write it back.
    let named = decide(Some(&["k8s.gcr.io/pause:3.9"]));
    assert_eq!(named.applicability, Applicability::Unsafe);
    assert!(named.note.unwrap().contains("controller-gen"));
    // Program source not read (a file named alone): it may.
    assert_eq!(decide(None).applicability, Applicability::Unsafe);
    // Program source read, and it names other references only: a schema written by hand, or
    // copied from a project whose source is elsewhere.
    let unnamed = decide(Some(&["k8s.gcr.io/busybox:1.27"]));
    assert_eq!(unnamed.applicability, Applicability::Safe);
}

#[test]
fn only_a_custom_resource_definition_has_a_generated_schema() {
    let source = SourceFile::new(
        RepoPath::new("config/manager/manager.yaml"),
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - image: k8s.gcr.io/pause:3.9\n".to_vec(),
    );
    let mut verdict = safe(Rule::LegacyHost);
    with_source(source, &[], |cx| {
        refinement("generated schema")(cx, &mut verdict)
    });
    assert_eq!(verdict.applicability, Applicability::Safe);
}
