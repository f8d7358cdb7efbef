//! Detection: from a file's bytes to findings. No I/O, no printing.
//!
//! 1. gate: a file without any host needle (or suppression marker) costs one scan and ends here;
//! 2. text: [`hosts`] finds every legacy host form with its exact bytes;
//! 3. context: [`text`] reads the line around each hit, [`yaml`] places it in the document;
//! 4. rules: the position, shape and context choose the rule and whether a fix is safe;
//! 5. suppressions, then locations for the renderers.

pub mod gate;
mod guard;
pub mod hosts;
pub mod kubeadm;
pub mod kustomize;
pub mod split;
pub mod suppress;
pub mod text;
pub mod yaml;

use std::ops::Range;

use memchr::memmem;

use crate::carrier::Carrier;
use crate::finding::{Applicability, Edit, Finding, Fix};
use crate::origin::Packaged;
use crate::rules::Rule;
use crate::source::{LineFact, SourceFile};
use hosts::{HostForm, HostHit, HostScanner, LEGACY_HOST, Move, NEW_HOST, Position, Scan, Shape};
use suppress::Suppressions;
use text::{Layout, TextAnalyzer, TextSite};
use yaml::{Place, YamlSite};

/// Which rules are switched off for a file (config `rules.ignore` and per-path ignores).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFilter {
    ignored: Vec<Rule>,
}

impl RuleFilter {
    pub fn ignoring(rules: impl IntoIterator<Item = Rule>) -> RuleFilter {
        let mut ignored: Vec<Rule> = rules.into_iter().collect();
        ignored.sort();
        ignored.dedup();
        RuleFilter { ignored }
    }

    pub fn allows(&self, rule: Rule) -> bool {
        !self.ignored.contains(&rule)
    }
}

/// What detection found in one file.
#[derive(Debug, Default)]
pub struct Detection {
    /// Sorted by start, end, rule.
    pub findings: Vec<Finding>,
    /// Things the user should know about how the file was read (a document that did not parse).
    pub notes: Vec<String>,
    /// Findings dropped by suppression comments.
    pub suppressed: usize,
    /// How many of the YAML documents parsed for structure (those with a hit) failed, when the
    /// file was parsed at all. Fix verification needs no second parse when this is `Some(0)`.
    pub yaml_failures: Option<usize>,
}

/// Built once per run and shared by every worker.
#[derive(Debug)]
pub struct Detector {
    scanner: HostScanner,
    text: TextAnalyzer,
}

impl Default for Detector {
    fn default() -> Self {
        Self::with_moves(Vec::new())
    }
}

impl Detector {
    pub fn new() -> Detector {
        Detector::default()
    }

    /// A detector that also finds the configured registry moves.
    pub fn with_moves(moves: Vec<Move>) -> Detector {
        // Whether a file holds a suppression marker is learnt in the host scan's pass, and
        // the scanner's needles (hosts and marker, in any case) are the byte gate.
        let scanner = HostScanner::with_markers(moves, &[suppress::MARKER]);
        Detector {
            scanner,
            text: TextAnalyzer::new(),
        }
    }

    /// The host scanner, for callers that look at other files (kustomize bases).
    pub fn scanner(&self) -> &HostScanner {
        &self.scanner
    }

    /// The byte gate: only files that pass it are analysed.
    pub fn may_match(&self, bytes: &[u8]) -> bool {
        self.scanner.may_match(bytes)
    }

    pub fn detect(&self, source: &SourceFile, filter: &RuleFilter) -> Detection {
        let mut detection = Detection::default();
        if !self.may_match(&source.bytes) {
            return detection;
        }
        let mut split_registry = false;
        let Scan { hits, marked } = self.scanner.scan_tokens(&source.bytes, |token| {
            split_registry = split_registry || split::may_be_registry(&source.bytes, token);
        });
        // The marker was seen in some case; only then look for it as written.
        let mut suppressions = if marked {
            Suppressions::scan(source)
        } else {
            Suppressions::default()
        };
        // A double-quoted YAML scalar can spell the host with escapes the text layer cannot
        // see; only the parser decodes them.
        let may_hide_escapes = source.parses_as_yaml() && source.has_backslash();
        // The host scan saw a host that may be a split pair's registry; only then search the
        // file for the names a split repository starts with.
        let split = split_registry && may_split(source);
        if hits.is_empty() && suppressions.markers.is_empty() && !may_hide_escapes && !split {
            return detection;
        }

        let layout = Layout::new(source);
        let structure = self.structure(source, &hits, &mut detection.notes);
        detection.yaml_failures = structure.as_ref().map(|structure| structure.failures.len());
        let mut findings = Vec::with_capacity(hits.len());
        for (index, hit) in hits.iter().enumerate() {
            let text_site = self.text.analyze(source, hit, &layout);
            let yaml_site = structure
                .as_ref()
                .and_then(|structure| structure.sites[index].as_ref());
            findings.extend(classify(
                source,
                hit,
                &text_site,
                yaml_site,
                self.scanner.moves(),
            ));
        }
        if let Some(structure) = &structure {
            findings.extend(
                structure
                    .escaped
                    .iter()
                    .map(|escaped| escaped_finding(source, escaped)),
            );
        }

        // kubeadm's fix replaces the edits of a hit at an `imageRepository` key; a hit whose
        // place is unknown may be one.
        let may_be_kubeadm = structure.as_ref().is_some_and(|structure| {
            structure.sites.iter().any(|site| {
                site.as_ref()
                    .is_none_or(|site| site.key_path.ends_with("imageRepository"))
            })
        });
        self.apply_structural_fixes(source, split, may_be_kubeadm, &mut findings);

        findings.retain(|finding| filter.allows(finding.rule));
        let before = findings.len();
        findings.retain(|finding| {
            !suppressions.suppresses(finding.rule, source.line_index(finding.range.start))
        });
        detection.suppressed = before - findings.len();
        if filter.allows(Rule::UnusedSuppression) {
            findings.extend(unused_suppressions(source, &suppressions));
        }

        for finding in &mut findings {
            finding.location = source.locate(&finding.range);
            finding.excerpt = source.excerpt(&finding.range);
            finding.fix_excerpt = fix_excerpt(source, finding);
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        detection.findings = findings;
        detection
    }

    /// What needs whole mappings, from one parse: image references split across
    /// `registry` and `repository` (new findings), and kubeadm's CoreDNS repository (which
    /// replaces the edits of the `imageRepository` finding it belongs to).
    fn apply_structural_fixes(
        &self,
        source: &SourceFile,
        split: bool,
        may_be_kubeadm: bool,
        findings: &mut Vec<Finding>,
    ) {
        let kubeadm = may_be_kubeadm
            && source.parses_as_yaml()
            && memmem::find(&source.bytes, b"imageRepository").is_some();
        let kustomization = source.origin.kustomization.as_deref();
        if !kubeadm && !split && kustomization.is_none() {
            return;
        }
        let Ok(text) = std::str::from_utf8(&source.bytes) else {
            return;
        };
        // Only the documents with a finding: each structural fix rewrites one of them.
        let mut spans: Vec<Range<usize>> = findings
            .iter()
            .map(|finding| finding.range.clone())
            .collect();
        if split {
            // A split pair holds no hit: its documents are those that name a legacy project.
            for needle in split::NEEDLES {
                spans.extend(
                    memmem::find_iter(&source.bytes, needle).map(|at| at..at + needle.len()),
                );
            }
        }
        let documents = yaml::documents_holding(text, &spans);
        if split {
            for mut finding in
                split::split_references(text, &documents, source.carrier.dialect().label)
            {
                if findings
                    .iter()
                    .any(|other| other.range.start == finding.range.start)
                {
                    continue;
                }
                if let Some(packaged) = &source.origin.packaged {
                    finding.fix = None;
                    finding.note = Some(packaged_note(packaged, source, None));
                }
                findings.push(finding);
            }
        }
        if let Some(bases) = kustomization {
            self.apply_kustomize_names(text, &documents, bases, findings);
        }
        if !kubeadm {
            return;
        }
        for fix in kubeadm::repository_fixes(text, &documents) {
            let Some(finding) = findings
                .iter_mut()
                .find(|finding| finding.range.start == fix.hit_start)
            else {
                continue;
            };
            let Some(existing) = finding.fix.as_mut() else {
                continue;
            };
            // The CoreDNS insertion may stand above the host (`dns:` before
            // `imageRepository`): the fix orders its edits.
            let Ok(replaced) = Fix::new(fix.edits, existing.applicability) else {
                continue;
            };
            *existing = replaced;
            if let Some(note) = fix.note {
                finding.note = Some(match finding.note.take() {
                    Some(previous) => format!("{previous}; {note}"),
                    None => note,
                });
            }
        }
    }

    /// Kustomize `images[].name`: swapped with an in-tree base, or kept with a `newName`
    /// inserted beside it (see `kustomize.rs`).
    fn apply_kustomize_names(
        &self,
        text: &str,
        documents: &[yaml::Node],
        bases: &crate::origin::KustomizeBases,
        findings: &mut [Finding],
    ) {
        for name in kustomize::image_names(text, documents, bases, &self.scanner) {
            let Some(finding) = findings
                .iter_mut()
                .find(|finding| finding.range.start == name.hit_start)
            else {
                continue;
            };
            match name.fix {
                kustomize::NameFix::SwapWithBase if finding.fix.is_some() => {
                    finding.note = Some("kustomize matches images[].name against the full image name: a base in this tree uses it, so name and base are rewritten together".into());
                }
                kustomize::NameFix::Insert(edits) => {
                    if let Some(fix) = finding.fix.as_mut()
                        && let Ok(inserted) = Fix::new(edits, fix.applicability)
                    {
                        *fix = inserted;
                        finding.note = Some("kustomize matches images[].name against the full image name, and no base in this tree uses it: name stays, and the fix adds newName to redirect it".into());
                    }
                }
                // The name must keep matching a base outside the tree, and newName already
                // redirects it: this is the state the fix leads to, so it must not fail a build.
                kustomize::NameFix::Keep => {
                    finding.rule = Rule::LegacyMention;
                    finding.fix = None;
                    finding.message = format!(
                        "kustomize images[].name keeps the name the base uses ({}); newName redirects it",
                        finding.matched
                    );
                    finding.note = None;
                }
                kustomize::NameFix::SwapWithBase => {}
            }
        }
    }

    /// YAML structure for YAML and JSON files, with a note for every document that holds a hit
    /// but does not parse.
    fn structure(
        &self,
        source: &SourceFile,
        hits: &[HostHit],
        notes: &mut Vec<String>,
    ) -> Option<yaml::YamlIndex> {
        if !source.parses_as_yaml() {
            return None;
        }
        // Templates are not YAML until rendered: their structure is a bonus, never a note.
        let is_template = source.carrier == Carrier::GoTemplate;
        let Ok(text) = std::str::from_utf8(&source.bytes) else {
            if !hits.is_empty() && !is_template {
                notes.push(
                    "not valid UTF-8, so its YAML structure is unknown; findings are classified from text alone".into(),
                );
            }
            return None;
        };
        let escapes = if source.has_backslash() {
            yaml::Escapes::Possible
        } else {
            yaml::Escapes::None
        };
        let structure = yaml::index_with(
            text,
            hits,
            source.carrier.dialect(),
            &self.scanner,
            yaml::Reading::Lines,
            escapes,
        );
        for failure in structure.failures.iter().filter(|_| !is_template) {
            if hits
                .iter()
                .any(|hit| failure.range.contains(&hit.range.start))
            {
                let (line, column) = source.line_column_at(failure.at);
                notes.push(format!(
                    "{line}:{column}: does not parse as {} ({}); findings in this document are classified from text alone",
                    if source.carrier == Carrier::Json { "JSON" } else { "YAML" },
                    failure.message
                ));
            }
        }
        Some(structure)
    }
}

/// Whether a YAML file may hold an image reference split across keys (`split.rs`), once the
/// host scan saw a host that may be its registry: the repository names as written.
fn may_split(source: &SourceFile) -> bool {
    source.parses_as_yaml()
        && split::NEEDLES
            .iter()
            .any(|needle| memmem::find(&source.bytes, needle).is_some())
}

/// The rule and fix for one hit; `None` for a hit that is history.
fn classify(
    source: &SourceFile,
    hit: &HostHit,
    text: &TextSite,
    yaml: Option<&YamlSite>,
    moves: &[Move],
) -> Option<Finding> {
    if yaml.is_some_and(|site| site.place == Place::History) {
        return None;
    }
    let bytes = &source.bytes;
    let matched = String::from_utf8_lossy(&bytes[hit.range.clone()]).into_owned();
    let reference = String::from_utf8_lossy(&bytes[hit.reference.clone()]).into_owned();
    let context = match yaml {
        Some(site) => site.context.clone(),
        None => text_context(source.carrier, text),
    };
    let registry_field = match yaml.map(|site| &site.place) {
        Some(Place::Key) => false,
        Some(Place::Value {
            key, whole_value, ..
        }) => {
            (*whole_value && key.as_deref().is_some_and(is_registry_key))
                || text.registry_field
                || text.template_literal
        }
        Some(Place::Comment | Place::History) | None => {
            text.registry_field || text.template_literal
        }
    };
    let host = display_host(hit.form, &matched);
    // `imageRepository: k8s.gcr.io/coredns`, `baseRepo: k8s.gcr.io/sig-storage`: a host and
    // path that images are built from, not one image.
    let repository_field = match yaml.map(|site| &site.place) {
        Some(Place::Value { key: Some(key), .. }) => is_registry_key(key),
        _ => text.detail.as_deref().is_some_and(is_registry_key),
    };
    let policy = yaml
        .and_then(|site| site.resource.as_ref())
        .filter(|resource| is_policy(&resource.api_version));
    // A staging host keeps its own rule wherever it stands.
    let mirror = hit.form != HostForm::Staging
        && (text.mirror || yaml.is_some_and(|site| site.keyed_by_legacy_host));

    let verdict = match (hit.form, hit.position, hit.shape) {
        // Policies name the old host on purpose: deny-lists must keep it, allow-lists need both.
        _ if policy.is_some() => {
            let resource = policy.expect("checked by the guard");
            let line = source.line_range_at(hit.range.start);
            let before_host = &bytes[line.start..hit.range.start];
            let key_path = yaml.map_or("", |site| site.key_path.as_str());
            let prose = key_path
                .rsplit(['.', ']'])
                .next()
                .is_some_and(|field| ["message", "description", "title", "name"].contains(&field));
            let note = if prose {
                "no automatic fix: policies name the old host on purpose; review this text by hand"
            } else if is_deny_list(&resource.kind, key_path, before_host) {
                "no automatic fix: a deny-list blocks the old host on purpose; keep it (add registry.k8s.io only to deny the new host too)"
            } else {
                "no automatic fix: an allow-list must name both hosts while workloads still use the old one; add registry.k8s.io beside it"
            };
            Verdict::none(
                Rule::PolicyList,
                format!("{host} is named in the {} policy", resource.kind),
            )
            .with_note(note)
        }
        // A map keyed by the registry (containerd mirrors, certs.d, k3s, Talos, kOps).
        _ if mirror => {
            Verdict::none(
                Rule::MirrorKey,
                format!("a registry mirror or setting is keyed by {host}"),
            )
            .with_note(if text.mirror_names_new_host || line_names_host(source, hit, NEW_HOST) {
                "no automatic fix: this mirror already sends the old host to registry.k8s.io; keep it while references to the old host remain"
            } else {
                "no automatic fix: the key must keep matching references to the old host; add a sibling registry.k8s.io entry with the same settings"
            })
        }
        (_, Position::PathSegment, _) => Verdict::none(
            Rule::LegacyMention,
            format!("{host} names a folder in a URL or file path, not an image registry"),
        )
        .with_note("no automatic fix: the path must keep naming the folder it names"),
        (_, Position::ProxyPath, _) => {
            let proxy = reference.split('/').next().unwrap_or_default();
            let upstream = match hit.form {
                HostForm::Move(_) => format!("still pulls from {host}"),
                _ => "still pulls from the frozen registry".to_string(),
            };
            Verdict::none(
                Rule::ProxyPath,
                format!("{host} is a project on the registry proxy {proxy}, which {upstream}"),
            )
            .with_note("no automatic fix: point the proxy project at registry.k8s.io and reference that project")
        }
        (HostForm::Staging, ..) => Verdict::none(
            Rule::StagingRegistry,
            format!("{host} is a staging registry: its images are not for production and may be deleted"),
        )
        .with_note("no automatic fix: staging images reach registry.k8s.io only when promoted, at a path set by the promotion"),
        (form, Position::UrlHost, _) => Verdict::fix(
            form_rule(form),
            format!("URL points at {}", describe_form(form, &host, moves)),
            Applicability::Unsafe,
        )
        .with_note(match form {
            HostForm::Move(_) => "unsafe: a URL names a server path, which the new registry may not serve the same way",
            _ => "unsafe: registry.k8s.io answers with redirects to its storage backends, so HTTP clients must follow them (curl -L)",
        }),
        (form, Position::Registry, Shape::Image) => Verdict::fix(
            form_rule(form),
            if repository_field {
                format!("repository points at {}", describe_form(form, &host, moves))
            } else {
                format!("image is pulled from {}", describe_form(form, &host, moves))
            },
            form_applicability(form, moves),
        ),
        (form, Position::Registry, Shape::BareHost { .. }) if text.template_comparison => {
            Verdict::none(
                form_rule(form),
                format!("the template compares with {}", describe_form(form, &host, moves)),
            )
        }
        (form, Position::Registry, Shape::BareHost { .. }) if registry_field => Verdict::fix(
            form_rule(form),
            format!("registry is set to {}", describe_form(form, &host, moves)),
            form_applicability(form, moves),
        ),
        // Code that holds the bare host as a value (`[ "$x" = "k8s.gcr.io" ]`,
        // `source := "k8s.gcr.io"` before building a name) names the registry; whether to
        // change it is the author's call.
        (form, Position::Registry, Shape::BareHost { .. })
            if matches!(source.carrier, Carrier::ProgramSource | Carrier::Shell)
                && is_quoted_value(bytes, hit) =>
        {
            Verdict::fix(
                form_rule(form),
                format!("code names {}", describe_form(form, &host, moves)),
                Applicability::Unsafe,
            )
            .with_note("unsafe: code holds the host as a value (a comparison, a default, a name being built); review before applying")
        }
        (form, Position::Registry, Shape::BareHost { .. }) => Verdict::none(
            Rule::LegacyMention,
            format!("mentions {}", describe_form(form, &host, moves)),
        )
        .with_note("no automatic fix: the host alone names no image here; edit the text by hand if it should change"),
    };
    let mut verdict = verdict;
    if verdict.rule == Rule::LegacyGcrProject && verdict.applicability != Applicability::DisplayOnly
    {
        verdict.note.get_or_insert_with(|| {
            "unsafe: the Kubernetes project copied these images to registry.k8s.io but does not guarantee every one".into()
        });
    }
    if verdict.applicability == Applicability::Safe && source.carrier == Carrier::ProgramSource {
        verdict.applicability = Applicability::Unsafe;
        verdict.note = Some(
            "unsafe: program source often names the old host on purpose (version checks, tests, compatibility)".into(),
        );
    }
    if verdict.applicability != Applicability::DisplayOnly {
        // The destination already on the line: a mapping from old to new, a comparison.
        let destination = destination(hit.form, moves).to_ascii_lowercase();
        if line_names_host(source, hit, &destination) {
            verdict.applicability = Applicability::DisplayOnly;
            verdict.note = Some(
                "no automatic fix: this line already names registry.k8s.io (a migration note, a mirror or a comparison)".into(),
            );
        }
    }
    // The flag on a command line, or kubeadm's kubeletExtraArgs as a map or a
    // `{name, value}` list.
    let kubelet_flag = text.kubelet_sandbox_flag
        || yaml.is_some_and(|site| {
            site.key_path.ends_with("pod-infra-container-image")
                || site.sibling_name.as_deref() == Some("pod-infra-container-image")
        });
    if kubelet_flag && !is_cri_dockerd_command(source, hit.range.start) {
        let hint = "--pod-infra-container-image is deprecated (a no-op from Kubernetes 1.29, removed in 1.35): remove the flag and set the sandbox image in the container runtime";
        verdict.note = Some(match verdict.note {
            Some(note) => format!("{note}; {hint}"),
            None => hint.to_string(),
        });
    }

    if text.template_comparison && verdict.applicability != Applicability::DisplayOnly {
        verdict.applicability = Applicability::DisplayOnly;
        verdict.note = Some(
            "no automatic fix: the template compares against (or strips) this host, so rewriting it changes what renders".into(),
        );
    }
    if let Some(packaged) = &source.origin.packaged {
        verdict.applicability = Applicability::DisplayOnly;
        verdict.note = Some(packaged_note(packaged, source, yaml));
    }

    if text.detail.as_deref() == Some("--image-repository")
        && verdict.applicability != Applicability::DisplayOnly
    {
        verdict.note = Some(
            "kubeadm before v1.22.17, v1.23.15 and v1.24.9 treats registry.k8s.io as a custom registry and drops CoreDNS's /coredns sub-path (kubernetes/kubeadm#2761): with an older kubeadm, also set dns.imageRepository: registry.k8s.io/coredns in a config file".into(),
        );
    }

    // Notes are written for the built-in move; a configured move has its own destination.
    if let HostForm::Move(_) = hit.form {
        let target = destination(hit.form, moves);
        verdict.note = verdict.note.map(|note| note.replace(NEW_HOST, target));
    }

    let fix = (verdict.applicability != Applicability::DisplayOnly)
        .then(|| {
            let swap = Edit {
                range: hit.range.clone(),
                original: matched.clone(),
                replacement: destination(hit.form, moves).to_string(),
            };
            Fix::new(vec![swap], verdict.applicability).ok()
        })
        .flatten();
    Some(Finding {
        rule: verdict.rule,
        range: hit.range.clone(),
        matched,
        reference,
        context,
        message: verdict.message,
        note: verdict.note,
        fix,
        location: Default::default(),
        excerpt: Default::default(),
        fix_excerpt: None,
    })
}

/// A packaged chart is never rewritten. For a dependency the remedy is in the parent chart;
/// in the dependency's values, name the key that overrides the value from the parent. For a
/// released package, the remedy is a new package.
fn packaged_note(packaged: &Packaged, source: &SourceFile, yaml: Option<&YamlSite>) -> String {
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

struct Verdict {
    rule: Rule,
    message: String,
    applicability: Applicability,
    note: Option<String>,
}

impl Verdict {
    fn fix(rule: Rule, message: String, applicability: Applicability) -> Verdict {
        Verdict {
            rule,
            message,
            applicability,
            note: None,
        }
    }

    fn none(rule: Rule, message: String) -> Verdict {
        Self::fix(rule, message, Applicability::DisplayOnly)
    }

    fn with_note(mut self, note: &str) -> Verdict {
        self.note = Some(note.to_string());
        self
    }
}

fn form_rule(form: HostForm) -> Rule {
    match form {
        HostForm::Legacy => Rule::LegacyHost,
        HostForm::Backend => Rule::LegacyBackend,
        HostForm::GcrProject => Rule::LegacyGcrProject,
        HostForm::Staging => Rule::StagingRegistry,
        HostForm::Move(_) => Rule::RegistryMove,
    }
}

/// Legacy host and backends are guaranteed to serve the same images (domain reference §2);
/// the gcr.io project is not; a configured move says itself.
fn form_applicability(form: HostForm, moves: &[Move]) -> Applicability {
    match form {
        HostForm::Legacy | HostForm::Backend => Applicability::Safe,
        HostForm::GcrProject => Applicability::Unsafe,
        HostForm::Staging => Applicability::DisplayOnly,
        HostForm::Move(index) => match moves.get(index) {
            Some(moved) if moved.safe => Applicability::Safe,
            _ => Applicability::Unsafe,
        },
    }
}

/// What a fix writes in place of the matched bytes.
fn destination(form: HostForm, moves: &[Move]) -> &str {
    match form {
        HostForm::Move(index) => moves.get(index).map_or(NEW_HOST, |moved| moved.to.as_str()),
        _ => NEW_HOST,
    }
}

fn describe_form(form: HostForm, host: &str, moves: &[Move]) -> String {
    match form {
        HostForm::Legacy => format!("the frozen registry {host}"),
        HostForm::Backend => {
            format!("{host}, a storage backend that registry.k8s.io may move away from")
        }
        HostForm::GcrProject => format!("{host}, the old project behind k8s.gcr.io"),
        HostForm::Staging => format!("the staging registry {host}"),
        HostForm::Move(_) => format!(
            "{host}, which the configuration moves to {}",
            destination(form, moves)
        ),
    }
}

/// Messages name the legacy host in its usual spelling, whatever case the file uses.
fn display_host(form: HostForm, matched: &str) -> String {
    match form {
        HostForm::Legacy => LEGACY_HOST.to_string(),
        _ => matched.to_string(),
    }
}

/// Admission and signing policies: Kyverno, Gatekeeper (constraints and their templates),
/// sigstore's policy controller.
fn is_policy(api_version: &str) -> bool {
    [
        "kyverno.io/",
        "constraints.gatekeeper.sh/",
        "templates.gatekeeper.sh/",
        "policy.sigstore.dev/",
    ]
    .iter()
    .any(|group| api_version.starts_with(group))
}

/// A deny-list, from the policy kind (`K8sDisallowedRepos`), its field names
/// (`deniedRegistries`, Kyverno `deny`) or a negated pattern (`!k8s.gcr.io/*`).
fn is_deny_list(kind: &str, key_path: &str, before_host: &[u8]) -> bool {
    let lower = format!("{kind} {key_path}").to_ascii_lowercase();
    ["disallow", "deny", "denied", "block", "banned", "forbid"]
        .iter()
        .any(|word| lower.contains(word))
        // A negation before the host: a `!k8s.gcr.io/*` pattern, a CEL
        // `!image.startsWith('k8s.gcr.io/')`.
        || before_host.contains(&b'!')
}

/// A key that holds a registry: `registry`, `imageRegistry`, `imageRepository`, `repo`.
fn is_registry_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.contains("registry") || lower.contains("repo")
}

/// When a fix edits lines beyond the finding's own (kubeadm's CoreDNS repository under an
/// existing `dns:`), the lines that cover both, so renderers can show the change.
/// Whether the line of `hit` names `host` (lowercase) with whole tokens.
fn line_names_host(source: &SourceFile, hit: &HostHit, host: &str) -> bool {
    let index = source.line_index(hit.range.start);
    source
        .line_fact(index, LineFact::NamesHost(host.to_owned()), || {
            hosts::contains_host(&source.bytes[source.line_range(index)], host).then_some(0)
        })
        .is_some()
}

fn fix_excerpt(source: &SourceFile, finding: &Finding) -> Option<crate::source::Excerpt> {
    let edits = finding.fix.as_ref()?.edits();
    let start = edits
        .iter()
        .map(|edit| edit.range.start)
        .min()?
        .min(finding.range.start);
    let end = edits
        .iter()
        .map(|edit| edit.range.end)
        .max()?
        .max(finding.range.end);
    let first = source.line_index(start);
    let last = source.line_index(end);
    let own = source.line_index(finding.range.start)..=source.line_index(finding.range.end);
    (!own.contains(&first) || !own.contains(&last)).then(|| source.excerpt(&(start..end)))
}

/// The host (with an optional trailing `/`) is a whole quoted string: `"k8s.gcr.io"`.
fn is_quoted_value(bytes: &[u8], hit: &HostHit) -> bool {
    let Some(&open) = hit.range.start.checked_sub(1).and_then(|at| bytes.get(at)) else {
        return false;
    };
    let mut end = hit.range.end;
    if bytes.get(end) == Some(&b'/') {
        end += 1;
    }
    matches!(open, b'"' | b'\'' | b'`') && bytes.get(end) == Some(&open)
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
    memmem::find_iter(command_line, b"cri-dockerd").any(|at| {
        command_line
            .get(at + b"cri-dockerd".len())
            .is_none_or(|next| next.is_ascii_whitespace() || matches!(next, b'"' | b'\''))
    })
}

fn text_context(kind: Carrier, site: &TextSite) -> String {
    match (&site.detail, site.in_comment) {
        (Some(detail), false) => format!("{}: {detail}", kind.label()),
        (Some(detail), true) => format!("{} comment: {detail}", kind.label()),
        (None, true) => format!("{} comment", kind.label()),
        (None, false) => kind.label().to_string(),
    }
}

fn escaped_finding(source: &SourceFile, escaped: &yaml::EscapedScalar) -> Finding {
    let hit = &escaped.hit;
    let matched = escaped.decoded[hit.range.clone()].to_string();
    let rule = match hit.position {
        Position::PathSegment => Rule::LegacyMention,
        Position::ProxyPath => Rule::ProxyPath,
        _ => form_rule(hit.form),
    };
    Finding {
        rule,
        range: escaped.range.clone(),
        reference: escaped.decoded[hit.reference.clone()].to_string(),
        message: format!(
            "value names {} through escape sequences",
            display_host(hit.form, &matched)
        ),
        matched: String::from_utf8_lossy(&source.bytes[escaped.range.clone()]).into_owned(),
        context: escaped.context.clone(),
        note: Some(
            "no automatic fix: the host is spelled with escapes; edit the value by hand".into(),
        ),
        fix: None,
        location: Default::default(),
        excerpt: Default::default(),
        fix_excerpt: None,
    }
}

fn unused_suppressions(source: &SourceFile, suppressions: &Suppressions) -> Vec<Finding> {
    let mut findings = Vec::new();
    for marker in &suppressions.markers {
        let message = if !marker.unknown_rules.is_empty() {
            format!(
                "`{}` names unknown rules: {}",
                marker.scope.spelling(),
                marker.unknown_rules.join(", ")
            )
        } else if !marker.used {
            let target = match marker.scope {
                suppress::Scope::Line => "on its line",
                suppress::Scope::NextLine => "on the next line",
                suppress::Scope::File => "in this file",
            };
            format!("`{}` suppresses nothing {target}", marker.scope.spelling())
        } else {
            continue;
        };
        let matched = String::from_utf8_lossy(&source.bytes[marker.range.clone()]).into_owned();
        findings.push(Finding {
            rule: Rule::UnusedSuppression,
            range: marker.range.clone(),
            reference: matched.clone(),
            matched,
            context: format!("{} comment", source.carrier.label()),
            message,
            note: None,
            fix: None,
            location: Default::default(),
            excerpt: Default::default(),
            fix_excerpt: None,
        });
    }
    findings
}

#[cfg(test)]
mod tests;
