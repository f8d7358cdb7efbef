//! Classification: the rule, message, note and fix of one hit, from where it stands.
//!
//! A hit's [`Hit`] gathers once what the layers below found: its host form (read from the
//! catalogue in `rules.rs`), its position and shape (`hosts.rs`), its line (`text/`) and its
//! YAML place (`yaml/`). Then:
//!
//! 1. the **base verdict** ([`verdict`]): the first of an ordered list of named rules that
//!    claims the hit (a policy, an image key, a mirror key, a URL or file path, a proxy path, a
//!    form that is only reported, a URL, an image, a registry field, a mention) gives its rule,
//!    message and default fix;
//! 2. the **refinements** ([`refine`]): an ordered list of named adjustments, each of which
//!    may withhold or downgrade the fix or add a note (history: a patch, release notes or a
//!    captured `--help`; a recording of a cluster: a metric sample, an object's status, a
//!    live object; a gcloud command that works only against Google's registries; a push
//!    target; program source, test data below `testdata/`, the destination already on the
//!    line, a name matched against references, a kubelet flag, a template comparison, a
//!    packaged chart, kubeadm's `--image-repository`, a configured move);
//! 3. the **post-freeze tag** ([`post_freeze`]): a legacy-host (or frozen backend) image whose
//!    tag the generated table ([`post_freeze_table`]) lists as published after the freeze
//!    becomes `post-freeze-tag`, with the same fix;
//! 4. the finding, with its one edit when a fix remains.
//!
//! Each named rule and refinement is a small function, testable alone.

mod post_freeze;
mod post_freeze_table;
mod refine;
mod verdict;

use memchr::memmem;

use super::hosts::{HostForm, HostHit, Move, NEW_HOST, Position};
use super::names::holds_registry;
use super::text::{LineSite, TextSite};
use super::yaml::{Place, ResourceId, YamlSite};
use crate::carrier::Carrier;
use crate::finding::{Applicability, Edit, Finding, Fix};
use crate::rules::{FixClass, Rule, Treatment};
use crate::source::{LineFact, SourceFile};

pub(crate) use refine::packaged_note;

/// Everything classification knows about one hit, gathered once.
pub(crate) struct Hit<'a> {
    pub source: &'a SourceFile,
    pub hit: &'a HostHit,
    pub text: &'a TextSite,
    pub yaml: Option<&'a YamlSite>,
    pub moves: &'a [Move],
    /// The bytes of the hit.
    pub matched: String,
    /// The reference around it.
    pub reference: String,
    /// The host as messages name it.
    pub host: String,
}

/// What classification decides for a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub rule: Rule,
    pub message: String,
    pub applicability: Applicability,
    pub note: Option<String>,
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

    fn is_fixable(&self) -> bool {
        self.applicability != Applicability::DisplayOnly
    }

    /// Withhold the fix, saying why.
    fn withhold(&mut self, note: &str) {
        self.applicability = Applicability::DisplayOnly;
        self.note = Some(note.to_string());
    }

    /// Make a safe fix unsafe, saying why; a fix already unsafe or withheld keeps its reason.
    fn downgrade(&mut self, note: &str) {
        if self.applicability == Applicability::Safe {
            self.applicability = Applicability::Unsafe;
            self.note = Some(note.to_string());
        }
    }
}

impl<'a> Hit<'a> {
    pub fn new(
        source: &'a SourceFile,
        hit: &'a HostHit,
        text: &'a TextSite,
        yaml: Option<&'a YamlSite>,
        moves: &'a [Move],
    ) -> Hit<'a> {
        let bytes = &source.bytes;
        let matched = String::from_utf8_lossy(&bytes[hit.range.clone()]).into_owned();
        Hit {
            source,
            hit,
            text,
            yaml,
            moves,
            host: display_host(hit.form, &matched),
            reference: String::from_utf8_lossy(&bytes[hit.reference.clone()]).into_owned(),
            matched,
        }
    }

    /// The form as messages describe it: "the frozen registry k8s.gcr.io".
    fn describe(&self) -> String {
        describe(self.hit.form, &self.host, self.moves)
    }

    /// The fix class of the form itself, before any refinement.
    fn form_applicability(&self) -> Applicability {
        form_applicability(self.hit.form, self.moves)
    }

    /// What a fix writes in place of the matched bytes.
    fn destination(&self) -> &'a str {
        self.hit.form.destination(self.moves).unwrap_or(NEW_HOST)
    }

    /// What the fix writes: the destination, and for a move of all of Docker Hub before a
    /// one-component name (`docker.io/redis`, an official image) the `library` namespace that
    /// Docker Hub implies and no other registry does.
    fn replacement(&self) -> String {
        let destination = self.destination();
        let official = match self.hit.form {
            HostForm::Move(index) => self.moves.get(index).is_some_and(|moved| {
                moved.is_docker_hub()
                    && moved.path.is_empty()
                    && super::hosts::official_image_follows(&self.source.bytes, self.hit.range.end)
            }),
            HostForm::Builtin(_) => false,
        };
        if official {
            format!("{destination}/{}", crate::image_ref::OFFICIAL_NAMESPACE)
        } else {
            destination.to_string()
        }
    }

    /// The bare host is the value of a field that holds a registry: a registry variable or
    /// flag, a template literal, or a data value that is exactly the host whatever its key
    /// (`value: k8s.gcr.io` in an env list, a variable's `default: k8s.gcr.io`, `KEY=k8s.gcr.io`
    /// in an env file, `default = "k8s.gcr.io"` in TOML): a value that is only a host names a
    /// registry.
    fn registry_field(&self) -> bool {
        let text = self.text.registry_field || self.text.template_literal;
        match self.yaml.map(|site| &site.place) {
            Some(Place::Key) => false,
            // An item of a list (no key) is one of a list of hosts: an allow-list, mirror
            // endpoints. It stays prose unless its line says otherwise.
            Some(Place::Value {
                key, whole_value, ..
            }) => (*whole_value && key.is_some()) || text,
            Some(Place::Comment | Place::History) => text,
            None => text || self.whole_data_value(),
        }
    }

    /// Without YAML structure: the host is the whole value of an assignment in a data file
    /// (TOML, INI, an env file, Terraform's HCL, YAML the parser could not read), not in a
    /// comment. A Terraform variable's `default = "k8s.gcr.io"` is its registry, as a YAML
    /// schema's `default:` is.
    fn whole_data_value(&self) -> bool {
        let data = matches!(
            self.source.carrier,
            Carrier::Toml | Carrier::Ini | Carrier::Env | Carrier::Terraform
        );
        self.text.whole_value && !self.text.in_comment && (data || self.source.parses_as_yaml())
    }

    /// The name the value stands under: its YAML key (for a `{name: X, value: …}` pair, the
    /// `name`), else the key, variable or flag its line gives it.
    fn value_name(&self) -> Option<&'a str> {
        let from_yaml = self.yaml.and_then(|site| match &site.place {
            Place::Value { key: Some(key), .. } => Some(match site.sibling_name.as_deref() {
                Some(name) if key == "value" => name,
                _ => key.as_str(),
            }),
            _ => None,
        });
        from_yaml.or_else(|| self.text.site.as_ref().and_then(LineSite::name))
    }

    /// `imageRepository: k8s.gcr.io/coredns`, `baseRepo: k8s.gcr.io/sig-storage`: a host and
    /// path that images are built from, not one image.
    fn repository_field(&self) -> bool {
        match self.yaml.map(|site| &site.place) {
            Some(Place::Value { key: Some(key), .. }) => is_registry_key(key),
            _ => self
                .text
                .site
                .as_ref()
                .and_then(|site| site.name())
                .is_some_and(is_registry_key),
        }
    }

    /// The admission or signing policy that holds the hit, if any.
    fn policy(&self) -> Option<&'a ResourceId> {
        self.yaml
            .and_then(|site| site.resource.as_ref())
            .filter(|resource| is_policy(&resource.api_version))
    }

    /// A map keyed by the registry (containerd mirrors, certs.d, k3s, Talos, kOps). A form
    /// that is only reported (a staging host) keeps its own rule wherever it stands.
    fn mirror(&self) -> bool {
        self.hit.form.is_moved()
            && (self.text.mirror || self.yaml.is_some_and(|site| site.keyed_by_legacy_host))
    }

    /// Whether the hit sits between the slashes of a pattern (`/k8s.gcr.io/`,
    /// `s/k8s.gcr.io/…/`) on a line that runs a pattern tool (sed, awk, grep, perl): the
    /// slashes delimit a regular expression there, not a path.
    fn in_text_pattern(&self) -> bool {
        let bytes = &self.source.bytes;
        let range = &self.hit.range;
        let slashed = range.start > 0
            && bytes[range.start - 1] == b'/'
            && bytes.get(range.end) == Some(&b'/');
        slashed && self.runs_pattern_tool()
    }

    /// Whether the line before the hit runs a pattern tool (sed, awk, grep, perl).
    fn runs_pattern_tool(&self) -> bool {
        const TOOLS: &[&[u8]] = &[b"sed", b"awk", b"gawk", b"grep", b"egrep", b"perl"];
        let line = self.source.line_range_at(self.hit.range.start);
        self.source.bytes[line.start..self.hit.range.start]
            .split(|byte| !(byte.is_ascii_alphanumeric() || *byte == b'-' || *byte == b'_'))
            .any(|word| TOOLS.contains(&word))
    }

    /// Whether the hit is in the pattern of a substitution with any delimiter
    /// (`s|k8s.gcr.io|…|`, `s#k8s.gcr.io#…#`, `s{k8s.gcr.io}{…}`) on a line that runs a
    /// pattern tool.
    fn in_substitution(&self) -> bool {
        let line = self.source.line_range_at(self.hit.range.start);
        let before = &self.source.bytes[line.start..self.hit.range.start];
        let opens = (1..before.len()).any(|at| {
            let delimiter = before[at];
            let closing = if delimiter == b'{' { b'}' } else { delimiter };
            before[at - 1] == b's'
                && b"/|#,:;@!%+~_{".contains(&delimiter)
                && (at == 1 || b" \t'\";{(".contains(&before[at - 2]))
                && !before[at + 1..].contains(&closing)
        });
        opens && self.runs_pattern_tool()
    }

    /// The file this hit's `sed` pattern searches, when the pattern must move with it: the
    /// hit is in the pattern of a substitution (`s/k8s.gcr.io/…/`), its form moves safely,
    /// and every file the command reads or edits (found in the scanned tree) holds, once
    /// fixed, the new host and nothing the old pattern still matches. The first file's name.
    fn sed_input_moves(&self) -> Option<&'a str> {
        let edits = self.source.origin.sed_inputs.as_ref()?;
        let files = edits
            .by_line
            .get(&self.source.line_index(self.hit.range.start))?;
        if self.form_applicability() != Applicability::Safe || !self.in_substitution() {
            return None;
        }
        // A substitution that already writes the new host (`s/k8s.gcr.io/registry.k8s.io/`)
        // is a migration of its own: moving its pattern would leave a sed that does nothing.
        let new = self.destination().as_bytes();
        let line_end = self.source.line_range_at(self.hit.range.start).end;
        let rest = &self.source.bytes[self.hit.range.end..line_end];
        if memmem::find(rest, new).is_some() {
            return None;
        }
        let old = self.matched.to_ascii_lowercase();
        let moves = |fixed: &[u8]| {
            memmem::find(&fixed.to_ascii_lowercase(), old.as_bytes()).is_none()
                && memmem::find(fixed, new).is_some()
        };
        if !files.iter().all(|file| moves(&file.fixed)) {
            return None;
        }
        files.first().map(|file| file.display.as_str())
    }

    /// Whether the hit is the pattern of a shell parameter expansion that matches text:
    /// `${image/k8s.gcr.io/…}`, `${image//k8s.gcr.io/…}`, `${image#k8s.gcr.io/}`,
    /// `${image%%k8s.gcr.io*}`.
    fn in_parameter_pattern(&self) -> bool {
        let line = self.source.line_range_at(self.hit.range.start);
        let before = &self.source.bytes[line.start..self.hit.range.start];
        // The operator, then the name (with an optional `[index]`), then `${`.
        let operator = before
            .iter()
            .rev()
            .take_while(|byte| matches!(byte, b'/' | b'#' | b'%'))
            .count();
        if !(1..=2).contains(&operator) {
            return false;
        }
        let mut rest = &before[..before.len() - operator];
        if rest.last() == Some(&b']') {
            match rest.iter().rposition(|&byte| byte == b'[') {
                Some(open) => rest = &rest[..open],
                None => return false,
            }
        }
        let name = rest
            .iter()
            .rev()
            .take_while(|byte| byte.is_ascii_alphanumeric() || **byte == b'_')
            .count();
        name > 0 && rest[..rest.len() - name].ends_with(b"${")
    }

    /// Whether the hit is the default a flag's help prints (`--image-repository string  …
    /// (default "k8s.gcr.io")`, pflag and Go's flag package), on a line of flag help: a line
    /// that starts with the flag, or the line below it in Go's two-line format.
    fn in_flag_help_default(&self) -> bool {
        let source = self.source;
        let line = source.line_range_at(self.hit.range.start);
        let before = &source.bytes[line.start..self.hit.range.start];
        let after = &source.bytes[self.hit.range.end..line.end];
        let Some(open) = memchr::memmem::rfind(before, b"(default ") else {
            return false;
        };
        if before[open..].contains(&b')') || !after.contains(&b')') {
            return false;
        }
        let starts_with_flag = |text: &[u8]| text.trim_ascii_start().starts_with(b"-");
        let whole_line = &source.bytes[line.clone()];
        starts_with_flag(whole_line)
            || (whole_line.first().is_some_and(u8::is_ascii_whitespace)
                && source
                    .previous_line(&line)
                    .is_some_and(|previous| starts_with_flag(&source.bytes[previous])))
    }

    /// Whether the hit's line names `host` (lowercase) with whole tokens.
    fn line_names(&self, host: &str) -> bool {
        let source = self.source;
        let index = source.line_index(self.hit.range.start);
        source
            .line_fact(index, LineFact::NamesHost(host.to_owned()), || {
                super::hosts::contains_host(&source.bytes[source.line_range(index)], host)
                    .then_some(0)
            })
            .is_some()
    }

    fn context(&self) -> String {
        match self.yaml {
            Some(site) => site.context.clone(),
            None => text_context(self.source.carrier, self.text),
        }
    }
}

/// The rule and fix for one hit; `None` for a hit that is history.
pub(crate) fn classify(
    source: &SourceFile,
    hit: &HostHit,
    text: &TextSite,
    yaml: Option<&YamlSite>,
    moves: &[Move],
) -> Option<Finding> {
    if yaml.is_some_and(|site| site.place == Place::History) {
        return None;
    }
    let cx = Hit::new(source, hit, text, yaml, moves);
    let mut verdict = verdict::base(&cx);
    for refinement in refine::REFINEMENTS {
        (refinement.apply)(&cx, &mut verdict);
    }
    post_freeze::post_freeze_tag(&cx, &mut verdict);
    let fix = verdict
        .is_fixable()
        .then(|| {
            let swap = Edit {
                range: hit.range.clone(),
                original: cx.matched.clone(),
                replacement: cx.replacement(),
            };
            Fix::new(vec![swap], verdict.applicability).ok()
        })
        .flatten();
    Some(Finding {
        rule: verdict.rule,
        range: hit.range.clone(),
        context: cx.context(),
        matched: cx.matched,
        reference: cx.reference,
        message: verdict.message,
        note: verdict.note,
        fix,
        location: Default::default(),
        excerpt: Default::default(),
        fix_excerpt: None,
    })
}

/// The fix class of a form: the catalogue's for a built-in form; a configured move says
/// itself.
pub(crate) fn form_applicability(form: HostForm, moves: &[Move]) -> Applicability {
    match form {
        HostForm::Builtin(rule) => match rule.spec().fix_class {
            FixClass::Safe => Applicability::Safe,
            FixClass::Unsafe => Applicability::Unsafe,
            FixClass::None | FixClass::Configured => Applicability::DisplayOnly,
        },
        HostForm::Move(index) => match moves.get(index) {
            Some(moved) if moved.safe => Applicability::Safe,
            _ => Applicability::Unsafe,
        },
    }
}

/// How messages describe a form: the catalogue's words for a built-in form.
pub(crate) fn describe(form: HostForm, host: &str, moves: &[Move]) -> String {
    match form {
        HostForm::Builtin(rule) => match rule.host() {
            Some(form) => form.describe.replace("{host}", host),
            None => host.to_string(),
        },
        HostForm::Move(_) => format!(
            "{host}, which the configuration moves to {}",
            form.destination(moves).unwrap_or(NEW_HOST)
        ),
    }
}

/// Messages name a host in its usual spelling (the catalogue's `canonical`), whatever case
/// the file uses.
pub(crate) fn display_host(form: HostForm, matched: &str) -> String {
    match form {
        HostForm::Builtin(rule) => rule
            .host()
            .and_then(|host| host.canonical)
            .unwrap_or(matched)
            .to_string(),
        HostForm::Move(_) => matched.to_string(),
    }
}

/// The note every fix of this rule's form carries (why the gcr.io project is unsafe).
pub(crate) fn form_fix_note(rule: Rule) -> Option<&'static str> {
    match rule.host().map(|host| &host.treatment) {
        Some(Treatment::Rewrite { note, .. }) => *note,
        _ => None,
    }
}

/// A key that holds a registry: `registry`, `imageRegistry`, `imageRepository`, `repo`.
fn is_registry_key(key: &str) -> bool {
    holds_registry(key.as_bytes())
}

/// Admission and signing policies: Kyverno, Gatekeeper (constraints and their templates),
/// sigstore's policy controller.
fn is_policy(api_version: &str) -> bool {
    // Falco's lists and conditions match the images containers run: an allow-list of
    // trusted or privileged images, as runtime policy.
    api_version == crate::detect::yaml::FALCO
        || [
            "kyverno.io/",
            "constraints.gatekeeper.sh/",
            "templates.gatekeeper.sh/",
            "policy.sigstore.dev/",
        ]
        .iter()
        .any(|group| api_version.starts_with(group))
}

/// The context of a finding without YAML structure: the carrier and what carries the hit on
/// its line ("Dockerfile: FROM", "shell comment: docker pull", "markdown: code block").
pub(crate) fn text_context(carrier: crate::carrier::Carrier, text: &TextSite) -> String {
    let label = carrier.label();
    match (&text.site, text.in_comment) {
        (Some(site), false) => format!("{label}: {site}"),
        (Some(site), true) => format!("{label} comment: {site}"),
        (None, true) => format!("{label} comment"),
        (None, false) => label.to_string(),
    }
}

/// Where a hit that decoded from escapes stands, for its rule.
pub(crate) fn escaped_rule(hit: &HostHit) -> Rule {
    match hit.position {
        Position::PathSegment => Rule::LegacyMention,
        Position::ProxyPath => Rule::ProxyPath,
        _ => hit.form.rule(),
    }
}

#[cfg(test)]
mod origin_tests;
#[cfg(test)]
mod script_tests;
#[cfg(test)]
mod tests;
