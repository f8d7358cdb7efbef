//! The refinements: after the base verdict, each of these named adjustments runs in order and
//! may withhold or downgrade the fix, or add a note. None of them changes the rule.

use super::{Hit, Verdict, form_fix_note};
use crate::carrier::Carrier;
use crate::detect::hosts::{HostForm, NEW_HOST, Shape};
use crate::detect::names::matches_references;
use crate::detect::text::LineSite;
use crate::detect::yaml::{Place, Recorded, YamlSite};
use crate::finding::Applicability;
use crate::origin::{History, Packaged};
use crate::source::SourceFile;

/// A named refinement of the base verdict.
pub(super) struct Refinement {
    /// How tests and reviews name it.
    #[cfg_attr(not(test), allow(dead_code))]
    pub name: &'static str,
    pub apply: fn(&Hit<'_>, &mut Verdict),
}

/// In order: a later refinement sees (and may override) what an earlier one decided.
pub(super) const REFINEMENTS: &[Refinement] = &[
    Refinement {
        name: "form note",
        apply: form_note,
    },
    Refinement {
        name: "history",
        apply: history,
    },
    Refinement {
        name: "recorded state",
        apply: recorded_state,
    },
    Refinement {
        name: "Google-only registry command",
        apply: google_registry_command,
    },
    Refinement {
        name: "push target",
        apply: push_target,
    },
    Refinement {
        name: "program source",
        apply: program_source,
    },
    Refinement {
        name: "test data",
        apply: test_data,
    },
    Refinement {
        name: "generated schema",
        apply: generated_schema,
    },
    Refinement {
        name: "destination already on the line",
        apply: destination_on_line,
    },
    Refinement {
        name: "matched names",
        apply: matched_names,
    },
    Refinement {
        name: "kubelet flag",
        apply: kubelet_flag,
    },
    Refinement {
        name: "template comparison",
        apply: template_comparison,
    },
    Refinement {
        name: "packaged chart",
        apply: packaged_chart,
    },
    Refinement {
        name: "kubeadm --image-repository",
        apply: image_repository_flag,
    },
    Refinement {
        name: "configured move",
        apply: configured_move,
    },
];

/// A fix of a form the catalogue marks (the gcr.io project) says why it is unsafe, unless
/// the base verdict gave a note.
fn form_note(_cx: &Hit<'_>, verdict: &mut Verdict) {
    if let Some(note) = form_fix_note(verdict.rule).filter(|_| verdict.is_fixable()) {
        verdict.note.get_or_insert_with(|| note.to_string());
    }
}

/// History is never rewritten: a patch records a change as it was made, release notes what
/// was released, a captured `--help` what the program printed.
fn history(cx: &Hit<'_>, verdict: &mut Verdict) {
    let record = cx
        .text
        .in_patch
        .then_some(History::Patch)
        .or(cx.source.origin.history);
    if let Some(record) = record.filter(|_| verdict.is_fixable()) {
        verdict.withhold(record.note());
        return;
    }
    // A captured `--help` in docs or a text file prints the program's default: it changes
    // when the program does (its source gets an unsafe fix), not by hand.
    if matches!(cx.source.carrier, Carrier::Markdown | Carrier::Text)
        && verdict.is_fixable()
        && cx.in_flag_help_default()
    {
        verdict.withhold(
            "no automatic fix: captured --help output records the default the program prints; regenerate it once the program's default moves (program source gets an unsafe fix)",
        );
    }
}

/// What a cluster recorded is not what a file asks for, and files of recordings are mostly
/// test fixtures that program source is compared with. A metric sample's labels and an
/// object's `status` get no fix; the rest of an object read back from a cluster (its spec
/// still applies if someone applies it again) gets an unsafe one. In data files only: a
/// Markdown transcript illustrates, and readers expect it to show the new registry. Nor in test
/// data that no program source can be compared with ([`is_uncoupled_test_data`]).
fn recorded_state(cx: &Hit<'_>, verdict: &mut Verdict) {
    if !verdict.is_fixable() || is_uncoupled_test_data(cx) {
        return;
    }
    if cx.text.metric_sample {
        verdict.withhold(
            "no automatic fix: a metric sample records the image a container ran when it was scraped; rewriting it changes a recording (often a test fixture), not what any cluster pulls",
        );
        return;
    }
    if !matches!(cx.source.carrier, Carrier::Yaml | Carrier::Json) {
        return;
    }
    match cx.yaml.and_then(|site| site.recorded) {
        Some(Recorded::Status) => verdict.withhold(
            "no automatic fix: status is observed state that the cluster writes (the image a container ran, the images a node holds); applying this file does not set it, and rewriting it changes a recording",
        ),
        Some(Recorded::LiveObject) => verdict.downgrade(
            "unsafe: a copy of an object read back from a cluster (metadata.uid or resourceVersion is set) records what ran, and is often a test fixture; rewrite it only if it is applied again",
        ),
        _ => {}
    }
}

/// Test data in a tree whose program source names nothing the run reports: a recording there
/// is a test's input that no code can be compared with, and no cluster's record.
fn is_uncoupled_test_data(cx: &Hit<'_>) -> bool {
    cx.source.origin.program_source_quiet()
        && crate::origin::test_data(cx.source.path.as_str()).is_some()
}

/// `gcloud container images list-tags k8s.gcr.io/pause` works only against Google's
/// registries: rewritten, it fails. The note names what does the same on the destination.
fn google_registry_command(cx: &Hit<'_>, verdict: &mut Verdict) {
    let Some(LineSite::GoogleRegistryCommand { command, verb }) = &cx.text.site else {
        return;
    };
    if !matches!(cx.hit.form, HostForm::Builtin(_)) || !cx.hit.form.is_moved() {
        return;
    }
    let rest = &cx.source.bytes[cx.hit.range.end..cx.hit.reference.end.max(cx.hit.range.end)];
    let image = format!("{}{}", cx.destination(), String::from_utf8_lossy(rest));
    verdict.withhold(&verb.note(command, &image));
}

/// registry.k8s.io accepts no pushes: images reach it from a staging registry through the
/// image promoter. A push (`docker push k8s.gcr.io/…`), or a variable of a script or Makefile
/// that a push in the same file uses (`IMAGE ?= k8s.gcr.io/foo` and `docker push $(IMAGE)`),
/// keeps its host: the fix is the registry the project publishes to.
fn push_target(cx: &Hit<'_>, verdict: &mut Verdict) {
    if !verdict.is_fixable() || !matches!(cx.hit.form, HostForm::Builtin(_)) {
        return;
    }
    let pushed = match &cx.text.site {
        Some(LineSite::Command { verb, .. }) => verb == "push",
        Some(LineSite::Assignment { name })
            if matches!(cx.source.carrier, Carrier::Shell | Carrier::Makefile) =>
        {
            pushes_variable(cx.source, name)
        }
        _ => false,
    };
    // The same name where it is made (`docker tag k8s.gcr.io/pause:3.9 k8s.gcr.io/x/pause:3.9`
    // before `docker push k8s.gcr.io/x/pause:3.9`): it keeps its host with the push.
    let pushed = pushed
        || (matches!(
            cx.source.carrier,
            Carrier::Shell | Carrier::Makefile | Carrier::Dockerfile | Carrier::Markdown
        ) && pushes_reference(cx.source, &cx.reference));
    if pushed {
        verdict.withhold(
            "no automatic fix: a push target; registry.k8s.io accepts no pushes (images reach it from a staging registry through the image promoter): point it at the registry the project publishes to",
        );
    }
}

/// Whether a line of `source` pushes `reference` (`docker push k8s.gcr.io/x/pause:3.9`), as a
/// whole reference.
fn pushes_reference(source: &SourceFile, reference: &str) -> bool {
    let is_reference_byte = |byte: &u8| {
        byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'/' | b':' | b'@')
    };
    source.push_lines().iter().any(|line| {
        let line = &source.bytes[line.clone()];
        memchr::memmem::find_iter(line, reference.as_bytes()).any(|found| {
            let before = found.checked_sub(1).map(|index| &line[index]);
            let after = line.get(found + reference.len());
            !before.is_some_and(is_reference_byte) && !after.is_some_and(is_reference_byte)
        })
    })
}

/// Whether a line of `source` pushes with variable `name`: `push`, and `$(NAME)`, `${NAME}`
/// or `$NAME` on the same line.
fn pushes_variable(source: &SourceFile, name: &str) -> bool {
    let forms = [
        format!("$({name})"),
        format!("${{{name}}}"),
        format!("${name}"),
    ];
    source.push_lines().iter().any(|line| {
        let line = &source.bytes[line.clone()];
        forms.iter().any(|form| {
            memchr::memmem::find_iter(line, form.as_bytes()).any(|found| {
                // `$NAME` must end there: `$IMAGE_TAG` is another variable.
                let after = line.get(found + form.len());
                !form.ends_with(name)
                    || after.is_none_or(|byte| !(byte.is_ascii_alphanumeric() || *byte == b'_'))
            })
        })
    })
}

/// Program source often names the old host on purpose: a safe fix becomes unsafe.
fn program_source(cx: &Hit<'_>, verdict: &mut Verdict) {
    if cx.source.carrier == Carrier::ProgramSource {
        verdict.downgrade(
            "unsafe: program source often names the old host on purpose (version checks, tests, compatibility)",
        );
    }
}

/// Test data (below a `testdata/` folder, a golden file, a test snapshot) is read by tests, and
/// tests are program source: they may compare it with names regshift does not rewrite safely (a
/// golden file of a generator's output, an input parsed against expected values in code). A
/// safe fix becomes unsafe, as in the code that reads it, unless the run walked the tree and
/// its program source names nothing the run reports: then no code can hold such a name.
fn test_data(cx: &Hit<'_>, verdict: &mut Verdict) {
    if cx.source.origin.program_source_quiet() {
        return;
    }
    if let Some(kind) = crate::origin::test_data(cx.source.path.as_str()) {
        verdict.downgrade(&format!(
            "unsafe: test data ({}) is read by tests, which may compare it with names in program source; rewrite it together with them (--unsafe-fixes) and run the tests",
            kind.describe()
        ));
    }
}

/// A CustomResourceDefinition's schema (its descriptions, its defaults) is mostly written by a
/// generator from program source: controller-gen copies Go comments and `+kubebuilder:default`
/// markers into it. When the run's program source names the same reference, the schema came
/// from there, and the next `make manifests` writes the old name back (a CI check that the
/// generated files are current fails meanwhile): the fix goes with the source's, which is
/// unsafe. Program source not known (a file named alone, an editor's buffer) may name it.
fn generated_schema(cx: &Hit<'_>, verdict: &mut Verdict) {
    let in_definition = cx
        .yaml
        .and_then(|site| site.resource.as_ref())
        .is_some_and(|resource| resource.kind == "CustomResourceDefinition");
    if !verdict.is_fixable() || !in_definition {
        return;
    }
    let named_in_code = cx
        .source
        .origin
        .program_source_names
        .as_ref()
        .is_none_or(|names| names.contains(&cx.reference));
    if named_in_code {
        verdict.downgrade(
            "unsafe: a CustomResourceDefinition's schema is written by a generator from program source (controller-gen copies Go comments and +kubebuilder:default markers), which names this reference too or was not read: regenerating would write the old name back; fix the source with it (--unsafe-fixes) and regenerate",
        );
    }
}

/// The destination already on the line: a mapping from old to new, a comparison.
fn destination_on_line(cx: &Hit<'_>, verdict: &mut Verdict) {
    if verdict.is_fixable() && cx.line_names(&cx.destination().to_ascii_lowercase()) {
        verdict.withhold(
            "no automatic fix: this line already names registry.k8s.io (a migration note, a mirror or a comparison)",
        );
    }
}

/// A bare host under a name whose hosts are matched against what other places write (an
/// allow- or deny-list, a proxy bypass, an egress rule, a match prefix): renaming it stops the
/// match for every reference that still names the old host.
fn matched_names(cx: &Hit<'_>, verdict: &mut Verdict) {
    let bare_host = matches!(cx.hit.shape, Shape::BareHost { .. });
    let Some(name) = cx.value_name() else {
        return;
    };
    if verdict.is_fixable() && bare_host && matches_references(name.as_bytes()) {
        verdict.withhold(&format!(
            "no automatic fix: `{name}` holds hosts that are matched against the names references use (an allow-, deny- or proxy list, a match prefix); keep {} there while references to it remain, and add {NEW_HOST} beside it",
            cx.host
        ));
    }
}

/// The kubelet's `--pod-infra-container-image`, on a command line or in kubeadm's
/// `kubeletExtraArgs` (a map, or a `{name, value}` list): deprecated, say so.
fn kubelet_flag(cx: &Hit<'_>, verdict: &mut Verdict) {
    let flag = "pod-infra-container-image";
    let kubelet_flag = cx.text.is_kubelet_sandbox_flag()
        || cx.yaml.is_some_and(|site| {
            site.key_path.ends_with(flag) || site.sibling_name.as_deref() == Some(flag)
        });
    if kubelet_flag && !is_cri_dockerd_command(cx.source, cx.hit.range.start) {
        let hint = "--pod-infra-container-image is deprecated (a no-op from Kubernetes 1.29, removed in 1.35): remove the flag and set the sandbox image in the container runtime";
        verdict.note = Some(match verdict.note.take() {
            Some(note) => format!("{note}; {hint}"),
            None => hint.to_string(),
        });
    }
}

/// cri-dockerd's `--pod-infra-container-image` is not deprecated (unlike the kubelet's): the
/// flag belongs to cri-dockerd when its command line (following `\` continuations back)
/// runs cri-dockerd.
fn is_cri_dockerd_command(source: &SourceFile, offset: usize) -> bool {
    let mut line = source.line_range_at(offset);
    while let Some(previous) = source.previous_line(&line) {
        if !source.bytes[previous.clone()]
            .trim_ascii_end()
            .ends_with(b"\\")
        {
            break;
        }
        line = previous;
    }
    let start = line.start;
    // The executable itself, not a path to its socket (`unix:///run/cri-dockerd.sock` is a
    // kubelet flag value).
    let command_line = &source.bytes[start..offset];
    memchr::memmem::find_iter(command_line, b"cri-dockerd").any(|at| {
        command_line
            .get(at + b"cri-dockerd".len())
            .is_none_or(|next| next.is_ascii_whitespace() || matches!(next, b'"' | b'\''))
    })
}

/// A template that compares against (or strips) the host renders differently once it is
/// rewritten.
fn template_comparison(cx: &Hit<'_>, verdict: &mut Verdict) {
    if cx.text.template_comparison && verdict.is_fixable() {
        verdict.withhold(TEMPLATE_COMPARISON);
    }
}

/// Why a host a template compares against gets no fix.
pub(super) const TEMPLATE_COMPARISON: &str = "no automatic fix: the template compares against (or strips) this host, so rewriting it changes what renders";

/// A packaged chart is never rewritten.
fn packaged_chart(cx: &Hit<'_>, verdict: &mut Verdict) {
    if let Some(packaged) = &cx.source.origin.packaged {
        verdict.applicability = Applicability::DisplayOnly;
        verdict.note = Some(packaged_note(packaged, cx.source, cx.yaml));
    }
}

/// A packaged chart is never rewritten. For a dependency the remedy is in the parent chart;
/// in the dependency's values, name the key that overrides the value from the parent. For a
/// released package, the remedy is a new package.
pub(crate) fn packaged_note(
    packaged: &Packaged,
    source: &SourceFile,
    yaml: Option<&YamlSite>,
) -> String {
    let Some(dependency) = &packaged.dependency_prefix else {
        return "in a packaged chart, never rewritten: fix the chart's source and package a new version".into();
    };
    let bump = "in a packaged dependency, never rewritten: bump the dependency in Chart.yaml and refresh Chart.lock";
    match yaml {
        Some(site)
            if source.carrier == Carrier::HelmValues
                && matches!(site.place, Place::Value { .. })
                && !site.key_path.is_empty() =>
        {
            format!(
                "{bump}, or override `{dependency}.{}` in this chart's values",
                site.key_path
            )
        }
        _ => format!("{bump}, or override its values from this chart"),
    }
}

/// kubeadm's `--image-repository registry.k8s.io` drops CoreDNS's sub-path on old kubeadm.
fn image_repository_flag(cx: &Hit<'_>, verdict: &mut Verdict) {
    if cx.text.site == Some(LineSite::ImageRepositoryFlag) && verdict.is_fixable() {
        verdict.note = Some(
            "kubeadm from v1.21.2 and before v1.22.17, v1.23.15 and v1.24.9 treats registry.k8s.io as a custom registry and drops CoreDNS's /coredns sub-path (kubernetes/kubeadm#2761): with such a kubeadm, also set dns.imageRepository: registry.k8s.io/coredns in a config file".into(),
        );
    }
}

/// Notes are written for the built-in move; a configured move has its own destination.
fn configured_move(cx: &Hit<'_>, verdict: &mut Verdict) {
    if let HostForm::Move(_) = cx.hit.form {
        let target = cx.destination();
        verdict.note = verdict
            .note
            .take()
            .map(|note| note.replace(NEW_HOST, target));
    }
}
