//! The rules `ddf check` runs: one module per family, one registry of ids and default severities.
//!
//! Structural rules check each record against the schema and the links between records; trace
//! rules check the design-control, risk, security, supply-chain and postmarket obligations of
//! domain-model.md section 2. Every rule reports through [`Ctx::emit`], and severities from
//! `ddf.yaml` are applied once, in [`apply_severities`].

pub mod structure;

pub mod change;

pub mod anomaly;
mod design;
pub mod intended_use;
mod live;
mod policy;
mod postmarket;
pub mod release;
mod risk;
mod security;
mod signing;
mod software;
mod soup;
mod supply;
pub(crate) mod vulns;

use crate::config::Config;
use crate::corpus::Corpus;
use crate::date::Date;
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::graph::Graph;
use crate::record::Record;
use serde::Serialize;

/// A rule's identity and default.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RuleInfo {
    /// Stable id.
    pub id: &'static str,
    /// Default severity.
    pub default: Severity,
    /// Family: `structure`, `design`, `risk`, `security`, `supply-chain`, `software`,
    /// `postmarket`, `change`, `release`.
    pub family: &'static str,
    /// The clause it serves.
    pub source: &'static str,
    /// One line on what it checks.
    pub summary: &'static str,
}

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;

macro_rules! rules {
    ($( $id:literal, $sev:ident, $fam:literal, $src:literal, $sum:literal; )*) => {
        /// Every rule ddf knows, in documentation order.
        pub const RULES: &[RuleInfo] = &[ $( RuleInfo { id: $id, default: $sev, family: $fam, source: $src, summary: $sum } ),* ];
    };
}

rules! {
    "io", E, "structure", "", "A file below the records folder cannot be read";
    "file-extension", W, "structure", "", "A file below the records folder is named *.MD or *.markdown, so it is not read";
    "not-utf8", E, "structure", "", "A record file is not UTF-8";
    "front-matter", E, "structure", "", "Missing, unterminated, empty or non-mapping front-matter";
    "yaml", E, "structure", "", "The front-matter is not valid YAML";
    "unknown-type", E, "structure", "", "`type` is missing or names no type";
    "missing-field", E, "structure", "", "A required field is absent or empty";
    "invalid-value", E, "structure", "", "A value has the wrong kind or is outside its value set";
    "unknown-field", W, "structure", "", "A field the type does not define";
    "hash-comment", W, "structure", "", "A `#` in an unquoted value starts a YAML comment and cuts the value";
    "id-format", E, "structure", "", "The id does not match ^[A-Z]+-[0-9]{3,}$";
    "id-prefix", E, "structure", "", "The id prefix is not the type's";
    "duplicate-id", E, "structure", "", "Two records share an id";
    "id-filename", W, "structure", "", "The file stem is not the id";
    "dangling-link", E, "structure", "", "A link names an id no record has";
    "link-type", E, "structure", "", "A link names a record of a type the field does not accept";
    "self-link", E, "structure", "", "A record links to itself";
    "cycle", E, "structure", "", "Written links form a cycle";
    "config", E, "structure", "", "ddf.yaml names something unknown";
    "code-tag-dangling", E, "structure", "", "A `ddf: ID` comment tag in a file under `code_tags` names no record";
    "un-validated", E, "design", "ISO 13485 7.3.7", "Every user need that is not obsolete has a passing validation";
    "di-parent", E, "design", "ISO 13485 7.3.3", "Every design input traces to a need, input or control, or is regulatory with a standard";
    "di-has-output", E, "design", "ISO 13485 7.3.2 e), 7.3.4", "Every design input has an output and every output satisfies an input";
    "di-verified", E, "design", "ISO 13485 7.3.6", "Every design input has a passing verification";
    "risk-verified", E, "design", "ISO 13485 4.1.6, 7.3.6; FDA computer software assurance guidance", "Every design input with `risk: high` has a passing verification, whatever di-verified's severity";
    "risk-policy", E, "risk", "ISO 14971 4.4 c)-d); AAMI TIR57, SW96", "The acceptability criteria in force are the approved plans', and every hazardous situation is scored under their revision";
    "hs-estimated", E, "risk", "ISO 14971 5.5, 6", "Hazardous situations are scored consistently with harms and matrices";
    "hs-controlled", E, "risk", "ISO 14971 6, 7.1", "A hazardous situation with unacceptable risk has a risk control";
    "rc-implemented", E, "risk", "ISO 14971 7.2; ISO 13485 7.3.3 c)", "Every risk control is implemented by an input or output";
    "rc-verified", E, "risk", "ISO 14971 7.2, 7.5", "Every risk control is verified for implementation and effectiveness";
    "residual-ok", E, "risk", "ISO 14971 7.1, 7.3, 7.4, 8", "Residual risk is acceptable, or reduced as far as possible and outweighed by an approved benefit-risk analysis; never above the initial levels";
    "risk-transfer-disclosed", E, "risk", "ISO 14971 8; FDA cybersecurity guidance V.A, VI.A", "A control that transfers risk is disclosed in labeling and validated";
    "threat-disposition", E, "security", "FDA cybersecurity guidance V.A.2; AAMI SW96", "Every threat leads to a hazardous situation or is security-only with a rationale";
    "threat-controlled", E, "security", "FDA cybersecurity guidance V.A.2; AAMI TIR57, SW96", "A threat with uncontrolled risk has a security control; a security-only threat is acceptable on the security plan's matrix, controlled, or accepted with a rationale";
    "cyber-chain", E, "security", "FDA cybersecurity guidance V.A, V.C", "Every security control completes threat -> control -> input/output -> security test";
    "views-present", E, "security", "FDA cybersecurity guidance V.B.2", "The four architecture views exist and every threat names one";
    "categories-covered", W, "security", "FDA cybersecurity guidance V.B.1, App. 1", "The eight security categories each have a design input";
    "cmp-complete", E, "supply-chain", "FDA cybersecurity guidance V.A.4.b; NTIA", "Every component has supplier, support level, end of support, and purl or cpe";
    "cmp-eos-horizon", W, "supply-chain", "FDA cybersecurity guidance V.A.4", "A component reaching end of support has a replacement plan";
    "supplier-current", E, "supply-chain", "ISO 13485 7.4.1", "Suppliers in use are approved and their re-evaluation is not overdue";
    "vuln-justified", E, "security", "CycloneDX VEX; ISO 14971 10.4", "Vulnerability states are justified";
    "sbom-reconciled", E, "supply-chain", "FD&C Act 524B(b)(3)", "Every release's SBOM parses and matches the component records 1:1";
    "vuln-triaged", E, "security", "FD&C Act 524B(b)(1); FDA cybersecurity guidance V.A.6", "Vulnerabilities leave in_triage within the policy SLA and cover every fielded release";
    "kev-designed-out", E, "security", "FDA cybersecurity guidance V.A.2", "No released component has a known-exploited vulnerability that is exploitable or in triage";
    "swi-class", E, "software", "IEC 62304 4.3 a)-c)", "A software item's safety class is not lower than the class the risk controls it implements imply";
    "swi-decomposition", E, "software", "IEC 62304 4.3 d)-e), 5.3.1, 5.4.1", "Software system -> items -> units: one parent, a parent's class not below its parts', a lower class only with a segregation rationale";
    "swi-documented", E, "software", "IEC 62304 5.2-5.7", "Each software item has the requirements, architecture, detailed design and verification its class requires";
    "soup-documented", E, "software", "IEC 62304 5.3.3-5.3.4, 7.1.2-7.1.3", "The SOUP of a class B or C software item states its requirements, prerequisites and the review of its anomaly list";
    "anom-assessed", E, "software", "IEC 62304 5.8.2-5.8.3, 9.2; FDA cybersecurity guidance V.A.5", "A decided or fielded anomaly is assessed for safety and security and decided, a deferral has a rationale";
    "use-documented", E, "risk", "ISO 14971 5.2; FDA cybersecurity guidance V.A.3", "A DDF with a release documents the intended use, the foreseeable misuse and, for a cyber device, interoperability";
    "uncontrolled-capa", E, "postmarket", "ISO 13485 8.5.2; FDA postmarket guidance; FD&C Act 524B(b)(2)(B)", "An exploitable vulnerability with uncontrolled risk has a CAPA and a CR, notified in 30 and fixed in 60 days";
    "vuln-reportable", E, "postmarket", "21 CFR 806; FDA postmarket cybersecurity guidance", "A vulnerability affecting a fielded release with patient-safety impact has a 21 CFR 806 reportability decision";
    "signal-closed-loop", E, "postmarket", "ISO 13485 8.2.1-8.2.3; 21 CFR 820.35", "Every signal is evaluated, investigated and decided for reportability";
    "capa-effective", E, "postmarket", "ISO 13485 8.5.2 e)-f)", "A CAPA closes only with effectiveness and no adverse effect";
    "mr-complete", W, "postmarket", "ISO 13485 5.6", "Management review covers 5.6.2 a-l and 5.6.3 a-d, and one is held every planned interval";
    "mr-snapshot", E, "postmarket", "ISO 13485 5.6.2, 4.2.5", "The snapshot a management review cites is a file of the repository with the cited sha256";
    "doc-review-due", W, "postmarket", "ISO 13485 4.2.4", "No controlled document is past its review date";
    "status-signed", E, "change", "21 CFR 11.50, 11.70; ISO 13485 4.2.4, 4.2.5, 7.3.8; ISO 14971 8", "An approved record (or fielded release), or a closed CR, CAPA or SIG, is covered by a valid signed approval of its current content with each meaning its type needs";
    "approval-plausible", E, "change", "21 CFR 11.10(e), 11.50; ISO 13485 4.2.5", "An approval is not dated before the content it approves, before an event the record states, or in the future";
    "release-ready", E, "release", "ISO 13485 7.3.5-7.3.8; ISO 14971 8; FDA cybersecurity guidance V.A-V.C, VI.A; FD&C Act 524B", "A release that is approved or fielded passes the release gate (docs/release.md)";
    "dr-stages", E, "design", "ISO 13485 7.3.2 b), 7.3.5", "Every design-review stage the approved design and development plan declares has a design review";
    "key-unique", E, "change", "21 CFR 11.100(a), 11.300(a)", "A signing key stands in the record of one person only";
    "ver-fresh", E, "change", "ISO 13485 7.3.6, 7.3.9", "No verification is older than a change to what it verifies";
    "controlled-branch", W, "change", "ISO 13485 7.3.9", "The controlled branch ddf.yaml names is a branch of the repository";
    "change-has-cr", E, "change", "ISO 13485 7.3.9", "Every change on the controlled branch names an approved change request";
    "cr-before-merge", E, "change", "ISO 13485 7.3.9", "A change request is assessed and approved before its merge";
    "suspect-link", W, "change", "ISO 13485 7.3.9", "A link whose target changed after its source was last changed or approved";
}

pub use postmarket::mr_snapshot_files;

/// The rule with id `id`.
pub fn info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// What the history rules see: the history index, the approvals in it, and which commits are
/// the controlled branch.
pub struct HistoryCtx<'a> {
    /// The history index.
    pub history: &'a crate::history::History,
    /// Approval commits with verified signatures, newest first.
    pub approvals: &'a [crate::history::approval::Approval],
    /// The tip of the controlled branch, if it is in the history.
    pub controlled_tip: Option<String>,
    /// Change control starts after this commit (`change_control_since` in ddf.yaml).
    pub since: Option<String>,
    /// Indices into `approvals` of the approvals that name each record in `Approves:`.
    pub by_record: rustc_hash::FxHashMap<String, Vec<usize>>,
    /// The repository's branches (local ones, then remote-tracking ones without their remote),
    /// when they were read: `controlled-branch` checks ddf.yaml names one of them.
    pub branches: Option<Vec<String>>,
}

impl<'a> HistoryCtx<'a> {
    /// A context over a history and its approvals.
    pub fn new(
        history: &'a crate::history::History,
        approvals: &'a [crate::history::approval::Approval],
        controlled_tip: Option<String>,
        since: Option<String>,
    ) -> Self {
        let mut by_record: rustc_hash::FxHashMap<String, Vec<usize>> =
            rustc_hash::FxHashMap::default();
        for (i, a) in approvals.iter().enumerate() {
            for p in &a.approves {
                by_record.entry(p.id.clone()).or_default().push(i);
            }
        }
        HistoryCtx {
            history,
            approvals,
            controlled_tip,
            since,
            by_record,
            branches: None,
        }
    }

    /// The approvals that name record `id`, newest first.
    pub fn approvals_of<'s>(
        &'s self,
        id: &str,
    ) -> impl Iterator<Item = &'a crate::history::approval::Approval> + 's {
        self.by_record
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.approvals[i])
    }
}

/// What trace rules see: the corpus, its graph, and today's date.
pub struct Ctx<'a> {
    /// The records.
    pub corpus: &'a Corpus,
    /// Their links.
    pub graph: &'a Graph,
    /// "Today" for date-based rules.
    pub today: Date,
    /// History, when the DDF is in a Git repository with commits.
    pub history: Option<&'a HistoryCtx<'a>>,
    out: Vec<Diagnostic>,
    /// The releases' SBOMs, parsed once for the families that read them (supply, vulns).
    release_sboms: std::cell::OnceCell<std::rc::Rc<vulns::ReleaseSboms>>,
}

impl<'a> Ctx<'a> {
    /// A context over `corpus` and `graph`.
    pub fn new(corpus: &'a Corpus, graph: &'a Graph, today: Date) -> Self {
        Ctx {
            corpus,
            graph,
            today,
            history: None,
            out: Vec::new(),
            release_sboms: std::cell::OnceCell::new(),
        }
    }

    /// The SBOMs of the live releases and the components each contains, parsed on first use.
    fn release_sboms(&self) -> std::rc::Rc<vulns::ReleaseSboms> {
        self.release_sboms
            .get_or_init(|| {
                let live = live::Live::new(self, &["component", "release"]);
                std::rc::Rc::new(vulns::ReleaseSboms::load(self.corpus, &live))
            })
            .clone()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.corpus.config
    }

    /// Records of type `type_name` that are not obsolete, with their indices.
    pub fn of_type(&self, type_name: &'a str) -> impl Iterator<Item = (usize, &'a Record)> + 'a {
        let corpus = self.corpus;
        corpus
            .records_of(type_name)
            .iter()
            .map(move |&i| (i, &corpus.records[i]))
            .filter(|(_, r)| r.status() != "obsolete")
    }

    /// Reports a finding about record `r` at the default severity of `rule`.
    pub fn emit(
        &mut self,
        rule: &'static str,
        r: &Record,
        pos: Option<Pos>,
        message: String,
        hint: &str,
    ) {
        let sev = info(rule).map_or(Severity::Error, |i| i.default);
        let pos = pos
            .or_else(|| r.index.value_pos("id"))
            .or(Some(Pos::new(1, 1)));
        let mut d = Diagnostic::new(rule, r.path.clone(), message)
            .record(r.id.clone())
            .at(pos)
            .severity(sev);
        if !hint.is_empty() {
            d = d.hint(hint);
        }
        self.out.push(d);
    }

    /// Reports a finding about record `r` as a warning, below the rule's default severity (a
    /// fallback the user should know about, not a failure).
    pub fn warn(
        &mut self,
        rule: &'static str,
        r: &Record,
        pos: Option<Pos>,
        message: String,
        hint: &str,
    ) {
        self.emit(rule, r, pos, message, hint);
        if let Some(d) = self.out.last_mut() {
            d.severity = Severity::Warning;
        }
    }

    /// Reports a finding the rule built itself: one about a file that is not a record, such as
    /// `ddf.yaml`.
    pub fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    /// The findings reported so far.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.out
    }
}

/// Runs every trace rule; the history rules only when `history` is given.
pub fn run_trace_rules(
    corpus: &Corpus,
    graph: &Graph,
    today: Date,
    history: Option<&HistoryCtx<'_>>,
) -> Vec<Diagnostic> {
    let family = |run: &(dyn Fn(&mut Ctx<'_>) + Sync)| {
        let mut ctx = Ctx::new(corpus, graph, today);
        ctx.history = history;
        run(&mut ctx);
        ctx.into_diagnostics()
    };
    // The families read the same immutable corpus and only add findings: the history rules
    // (the largest family on a repository: baselines, ancestry, suspect links) run beside the
    // SBOM-reading families, beside the rest. The findings are put together in the order of a
    // serial run, so the sorted report is the same.
    let ((mut out, sboms), changes) = rayon::join(
        || {
            rayon::join(
                || {
                    family(&|ctx| {
                        design::run(ctx);
                        policy::run(ctx);
                        risk::run(ctx);
                        security::run(ctx);
                    })
                },
                || {
                    family(&|ctx| {
                        supply::run(ctx);
                        software::run(ctx);
                        soup::run(ctx);
                        anomaly::run(ctx);
                        intended_use::run(ctx);
                        postmarket::run(ctx);
                        vulns::run(ctx);
                        release::run(ctx);
                        signing::run(ctx);
                        if let Some(h) = history {
                            signing::run_history(ctx, h);
                        }
                    })
                },
            )
        },
        || family(&change::run),
    );
    out.extend(sboms);
    out.extend(changes);
    out
}

/// Applies `ddf.yaml` `rules:` severities: drops rules set to `off`, and sets the severity of the
/// rest. A finding a rule deliberately reported below its default (a missing field in a draft)
/// stays at that lower severity.
pub fn apply_severities(config: &Config, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags
        .into_iter()
        .filter_map(|mut d| {
            let default = info(d.rule).map_or(Severity::Error, |i| i.default);
            let configured = config.severity_of(d.rule, default)?;
            d.severity = if d.severity < default {
                d.severity.min(configured)
            } else {
                configured
            };
            Some(d)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_documented() {
        let doc = include_str!("../../docs/rules.md");
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate rule {}", r.id);
            assert!(
                doc.contains(&format!("`{}`", r.id)),
                "{} is not in docs/rules.md",
                r.id
            );
        }
    }
}
