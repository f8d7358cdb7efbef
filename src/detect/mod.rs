//! Detection: from a file's bytes to findings. No I/O, no printing.
//!
//! 1. gate: a file without any host needle (or suppression marker) costs one scan and ends here;
//! 2. text: [`hosts`] finds every legacy host form with its exact bytes;
//! 3. context: [`text`] reads the line around each hit, [`yaml`] places it in the document;
//! 4. rules: [`classify`] gives each hit its rule, message and fix from the catalogue
//!    (`rules.rs`): a base verdict, then ordered refinements;
//! 5. [`structural`] fixes that need whole mappings (split references, kubeadm, kustomize);
//! 6. suppressions, then locations for the renderers.

mod classify;
mod findings;
pub mod gate;
mod guard;
pub mod hosts;
pub mod names;
mod safe_edits;
pub mod structural;
mod structure;
pub mod suppress;
pub mod text;
pub mod yaml;

use crate::finding::Finding;
use crate::rules::Rule;
use crate::source::SourceFile;
use hosts::{HostHit, HostScanner, Move, Occurrences, Scan};
use suppress::Suppressions;
use text::{TextAnalyzer, TextLayout};

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
#[derive(Debug, Default, PartialEq, Eq)]
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
    /// The edits (by range, sorted) that provably keep their YAML document parsing: the fix
    /// guard need not read those documents again ([`safe_edits`]).
    pub safe_edits: Vec<std::ops::Range<usize>>,
    /// Where the host needles stand in the file, so that the file after a fix is searched
    /// only around its edits ([`Detector::detect_after_edits`]).
    pub occurrences: Occurrences,
}

impl Detection {
    /// Give every finding its lines, columns and excerpts in `source` (the file detected).
    pub fn locate(&mut self, source: &SourceFile) {
        for finding in &mut self.findings {
            finding.location = source.locate(&finding.range);
            finding.excerpt = source.excerpt(&finding.range);
            finding.fix_excerpt = findings::fix_excerpt(source, finding);
        }
    }
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

    /// What detection finds in `source`, located for the renderers.
    pub fn detect(&self, source: &SourceFile, filter: &RuleFilter) -> Detection {
        let mut detection = self.detect_unlocated(source, filter);
        detection.locate(source);
        detection
    }

    /// [`Self::detect`] without the findings' lines, columns and excerpts: `fix` rewrites most
    /// findings and reports what remains in the fixed file, so it locates only when it reports
    /// these ([`Detection::locate`]).
    pub fn detect_unlocated(&self, source: &SourceFile, filter: &RuleFilter) -> Detection {
        if !self.may_match(&source.bytes) {
            return Detection::default();
        }
        let occurrences = self.scanner.occurrences(&source.bytes);
        self.detect_occurrences(source, filter, occurrences)
    }

    /// Detection on `fixed`, the file that `before` was detected on with a fix's edits applied
    /// (`edited` ranges of the old bytes, `written` ranges of `fixed`, in order): the same as
    /// [`Self::detect`] on `fixed`, but the host search covers only the stretches around the
    /// edits; every other needle stands where it stood, shifted. Fix verification re-detects
    /// a file of megabytes with a few hundred edits.
    pub fn detect_after_edits(
        &self,
        fixed: &SourceFile,
        filter: &RuleFilter,
        before: &Detection,
        (edited, written): (&[std::ops::Range<usize>], &[std::ops::Range<usize>]),
    ) -> Detection {
        let edits: Vec<_> = edited
            .iter()
            .cloned()
            .zip(written.iter().cloned())
            .collect();
        let occurrences =
            self.scanner
                .occurrences_after_edits(&fixed.bytes, &before.occurrences, &edits);
        // No needle at all: what the byte gate says.
        if occurrences.is_empty() {
            return Detection::default();
        }
        let mut detection = self.detect_occurrences(fixed, filter, occurrences);
        detection.locate(fixed);
        detection
    }

    /// Detection, from the occurrences of the needles in the file (there is at least one).
    fn detect_occurrences(
        &self,
        source: &SourceFile,
        filter: &RuleFilter,
        occurrences: Occurrences,
    ) -> Detection {
        let mut detection = Detection::default();
        let (scanned, occurrences) = self.scan(source, occurrences);
        detection.occurrences = occurrences;
        let Some(scanned) = scanned else {
            return detection;
        };
        let Scanned {
            hits,
            mut suppressions,
            split,
            dockerfile_names,
        } = scanned;
        let mut findings = self.classify_hits(source, &hits, split, &mut detection);
        if dockerfile_names && let Ok(text) = std::str::from_utf8(&source.bytes) {
            let label = source.carrier.label();
            let moves = self.scanner.moves();
            for finding in structural::moved::dockerfile_findings(text, label, moves) {
                if !findings
                    .iter()
                    .any(|other| other.range.start == finding.range.start)
                {
                    findings.push(finding);
                }
            }
        }
        findings.retain(|finding| filter.allows(finding.rule));
        let before = findings.len();
        findings.retain(|finding| {
            !suppressions.suppresses(finding.rule, source.line_index(finding.range.start))
        });
        detection.suppressed = before - findings.len();
        if filter.allows(Rule::UnusedSuppression) {
            findings.extend(findings::unused_suppressions(source, &suppressions));
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        detection.findings = findings;
        detection
    }

    /// The host scan from the needles' occurrences, and what it tells: `None` when the file
    /// has nothing to look at. The occurrences come back for the file's detection.
    fn scan(
        &self,
        source: &SourceFile,
        occurrences: Occurrences,
    ) -> (Option<Scanned>, Occurrences) {
        let mut split_registry = false;
        let moves = self.scanner.moves();
        let Scan {
            hits,
            marked,
            names,
            occurrences,
        } = self
            .scanner
            .scan_occurrences(&source.bytes, occurrences, |token| {
                split_registry = split_registry
                    || structural::split::may_be_registry(&source.bytes, token, moves);
            });
        // The marker was seen in some case; only then look for it as written.
        let suppressions = if marked {
            Suppressions::scan(source)
        } else {
            Suppressions::default()
        };
        // A double-quoted YAML scalar can spell the host with escapes the text layer cannot
        // see; only the parser decodes them.
        let may_hide_escapes = source.parses_as_yaml() && source.has_backslash();
        // The host scan saw a host that may be a split pair's registry (or a move's name
        // needle: a name without its host); only then search the file for the names a split
        // repository starts with.
        let split = (split_registry || names) && structural::may_split(source, moves);
        // A Dockerfile's `FROM` may name a moved image without its host.
        let dockerfile_names = names && source.carrier == crate::carrier::Carrier::Dockerfile;
        if hits.is_empty()
            && suppressions.markers.is_empty()
            && !may_hide_escapes
            && !split
            && !dockerfile_names
        {
            return (None, occurrences);
        }
        let scanned = Scanned {
            hits,
            suppressions,
            split,
            dockerfile_names,
        };
        (Some(scanned), occurrences)
    }

    /// Every hit classified, escaped hosts reported, structural fixes applied.
    fn classify_hits(
        &self,
        source: &SourceFile,
        hits: &[HostHit],
        split: bool,
        detection: &mut Detection,
    ) -> Vec<Finding> {
        let layout = TextLayout::new(source);
        let structure = self.structure(source, hits, &mut detection.notes);
        detection.yaml_failures = structure.as_ref().map(|structure| structure.failures.len());
        let mut findings = Vec::with_capacity(hits.len());
        for (index, hit) in hits.iter().enumerate() {
            let text_site = self.text.analyze(source, hit, &layout);
            let yaml_site = structure
                .as_ref()
                .and_then(|structure| structure.sites[index].as_ref())
                // An unquoted template action read as a flow mapping: its "key" is the
                // action's text, classified from the line instead.
                .filter(|site| !(text_site.template_action && site.place == yaml::Place::Key));
            findings.extend(classify::classify(
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
                    .map(|escaped| findings::escaped_finding(source, escaped)),
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
        if let Some(structure) = &structure {
            detection.safe_edits = safe_edits::edits(hits, structure, &findings);
        }
        findings
    }
}

/// What the host scan of a file found.
struct Scanned {
    hits: Vec<HostHit>,
    suppressions: Suppressions,
    /// The file may hold an image reference split across keys.
    split: bool,
    /// The file is a Dockerfile that may name a moved image without its host.
    dockerfile_names: bool,
}

#[cfg(test)]
mod tests;
