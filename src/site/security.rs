//! The security risk management report (`security.html`, FDA premarket cybersecurity guidance
//! V.A): the threat model with its exploitability x severity assessment before and after
//! control, the chain threat -> security control -> implementing input/output -> security test
//! with its gaps, the architecture views, component support, the vulnerability assessment and
//! the unresolved anomalies.
//!
//! The chain follows the definition of the `cyber-chain` rule (a security control is complete
//! when a DI or DO implements it and a passing `security-test` VER verifies it or one of its
//! implementers), and each row carries that rule's findings, so page and check agree.

use super::render::Renderer;
use super::risk::{threat_risk, VerView};
use super::views::{at_depth, record_ref, ref_at, RecordRef, SiteView};
use super::walk::walk_href;
use super::{Input, OutFile, SiteError};
use crate::corpus::Corpus;
use crate::record::Record;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A row of the threat model table.
#[derive(Debug, Clone, Serialize)]
pub struct ThreatRow {
    /// The threat.
    pub threat: RecordRef,
    /// `asset`.
    pub asset: String,
    /// `attack_vector`.
    pub attack_vector: String,
    /// `entry_point`.
    pub entry_point: String,
    /// `views`, joined.
    pub views: String,
    /// `stride`, joined.
    pub stride: String,
    /// `disposition`.
    pub disposition: String,
    /// Initial E x S risk, as text.
    pub initial: String,
    /// Its zone class (for colour), or empty.
    pub initial_class: String,
    /// Residual E x S risk, as text.
    pub residual: String,
    /// Its zone class, or empty.
    pub residual_class: String,
    /// Hazardous situations that name it.
    pub situations: Vec<RecordRef>,
    /// Vulnerabilities it exploits.
    pub vulns: Vec<RecordRef>,
    /// Live risk controls that mitigate it or its situations.
    pub controls: Vec<RecordRef>,
    /// Its walk page.
    pub walk: Option<String>,
    /// Security-rule findings about it.
    pub findings: Vec<String>,
}

/// A row of the chain threat -> control -> input/output -> security test.
#[derive(Debug, Clone, Serialize)]
pub struct ChainRow {
    /// The threat, or `None` for a security control that counters no threat.
    pub threat: Option<RecordRef>,
    /// The control, or `None` for a threat no security control mitigates.
    pub control: Option<RecordRef>,
    /// DIs and DOs that implement the control.
    pub implementers: Vec<RecordRef>,
    /// Security tests of the control or its implementers.
    pub tests: Vec<VerView>,
    /// Whether the threat needs a control and has none.
    pub gap_control: bool,
    /// Whether the control is implemented by nothing.
    pub gap_implementation: bool,
    /// Whether no passing security test verifies it.
    pub gap_test: bool,
    /// `cyber-chain` / `threat-controlled` findings on the threat or control.
    pub findings: Vec<String>,
}

/// A count of records with one value of a field.
#[derive(Debug, Clone, Serialize)]
pub struct ValueCount {
    /// The value.
    pub value: String,
    /// Records with it.
    pub count: usize,
}

/// An architecture view and the threats that name it.
#[derive(Debug, Clone, Serialize)]
pub struct ViewRow {
    /// The view (`global-system`, `use-case:bolus`).
    pub view: String,
    /// Architecture-view documents of it.
    pub documents: Vec<RecordRef>,
    /// Threats that name it.
    pub threats: Vec<RecordRef>,
}

/// A component row.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentRow {
    /// The component.
    pub record: RecordRef,
    /// `name` and `version`.
    pub name: String,
    /// `origin`.
    pub origin: String,
    /// Suppliers.
    pub suppliers: Vec<RecordRef>,
    /// `support_level`.
    pub support_level: String,
    /// `end_of_support`.
    pub end_of_support: String,
    /// Vulnerabilities that affect the version the record describes
    /// ([`crate::vuln::affected`]).
    pub vulns: Vec<RecordRef>,
    /// Vulnerabilities that name it but affected only earlier versions.
    pub earlier_vulns: Vec<RecordRef>,
    /// Its walk page.
    pub walk: Option<String>,
}

/// A vulnerability row.
#[derive(Debug, Clone, Serialize)]
pub struct VulnRow {
    /// The vulnerability.
    pub record: RecordRef,
    /// `vuln_id`.
    pub vuln_id: String,
    /// `source`.
    pub source: String,
    /// `state`.
    pub state: String,
    /// E x S risk, as text.
    pub risk: String,
    /// Its zone class, or empty.
    pub class: String,
    /// `kev`.
    pub kev: bool,
    /// What it affects.
    pub affects: Vec<RecordRef>,
    /// `justification` and `response`, joined.
    pub assessment: String,
}

/// The security risk management report (`security.html`).
#[derive(Debug, Clone, Serialize)]
pub struct SecurityView {
    /// Common fields.
    pub site: SiteView,
    /// Security plans and reports (threat model, security RM plan and report, cyber plan).
    pub documents: Vec<RecordRef>,
    /// The threat model, live threats in path order.
    pub threats: Vec<ThreatRow>,
    /// The chain, one row per threat and security control.
    pub chain: Vec<ChainRow>,
    /// Rows of the chain with a gap.
    pub chain_gaps: usize,
    /// Architecture views, in name order.
    pub views: Vec<ViewRow>,
    /// Components, in path order.
    pub components: Vec<ComponentRow>,
    /// Components per support level, in schema order.
    pub support: Vec<ValueCount>,
    /// Vulnerabilities, in path order.
    pub vulns: Vec<VulnRow>,
    /// Vulnerabilities per state, in schema order.
    pub vuln_states: Vec<ValueCount>,
    /// Anomalies (`source: anomaly`) not resolved.
    pub anomalies: Vec<VulnRow>,
}

const SECURITY_RULES: &[&str] = &[
    "threat-disposition",
    "threat-controlled",
    "cyber-chain",
    "views-present",
    "vuln-justified",
    "vuln-triaged",
    "kev-designed-out",
];

fn live(r: &Record) -> bool {
    r.status() != "obsolete"
}

fn is_security_rc(r: &Record) -> bool {
    matches!(r.str("kind"), Some("security" | "both"))
}

fn refs(corpus: &Corpus, it: impl IntoIterator<Item = usize>) -> Vec<RecordRef> {
    let set: BTreeSet<usize> = it.into_iter().collect();
    set.into_iter().map(|j| ref_at(corpus, j)).collect()
}

/// Counts of `field` over `records`, in the schema's value order, then any other value.
fn counts(corpus: &Corpus, type_name: &str, field: &str, records: &[usize]) -> Vec<ValueCount> {
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for &i in records {
        let v = corpus.records[i]
            .text(field)
            .unwrap_or_else(|| "(not stated)".into());
        *by.entry(v).or_default() += 1;
    }
    let order: Vec<String> = corpus
        .config
        .schema
        .get(type_name)
        .and_then(|t| t.fields.get(field))
        .map(|f| f.values.clone())
        .unwrap_or_default();
    let mut out: Vec<ValueCount> = order
        .iter()
        .map(|v| ValueCount {
            value: v.clone(),
            count: by.remove(v).unwrap_or(0),
        })
        .collect();
    out.extend(
        by.into_iter()
            .map(|(value, count)| ValueCount { value, count }),
    );
    out
}

/// The view of the report.
pub fn view(
    input: &Input<'_>,
    site: &SiteView,
    affected: &crate::vuln::affected::Affected<'_>,
) -> SecurityView {
    let corpus = input.corpus;
    let g = input.graph;
    let sec = &corpus.risk.policy.security;
    let mut findings: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for d in &input.report.diagnostics {
        if let (Some(id), true) = (d.record.as_deref(), SECURITY_RULES.contains(&d.rule)) {
            let v = findings.entry(id).or_default();
            if !v.iter().any(|r| r == d.rule) {
                v.push(d.rule.to_string());
            }
        }
    }
    let found = |id: &str| findings.get(id).cloned().unwrap_or_default();
    let live_of = |t: &str| -> Vec<usize> {
        corpus
            .records_of(t)
            .iter()
            .copied()
            .filter(|&i| live(&corpus.records[i]))
            .collect()
    };
    let threats = live_of("threat");
    // Security tests: VERs with method security-test, by the records they verify.
    let mut tests: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for v in live_of("verification") {
        if corpus.records[v].str("method") == Some("security-test") {
            for t in g.outbound(v, "verifies") {
                tests.entry(t).or_default().push(v);
            }
        }
    }
    let mitigators = |i: usize| -> BTreeSet<usize> {
        g.inbound(i, "mitigates")
            .filter(|&j| corpus.type_of(j) == "risk-control" && live(&corpus.records[j]))
            .collect()
    };
    let mut chain = Vec::new();
    let mut countered: BTreeSet<usize> = BTreeSet::new();
    let chain_row = |t: Option<usize>, c: usize| -> ChainRow {
        let implementers: BTreeSet<usize> = g
            .inbound(c, "implements_control")
            .filter(|&j| {
                matches!(corpus.type_of(j), "design-input" | "design-output")
                    && live(&corpus.records[j])
            })
            .collect();
        let vers: BTreeSet<usize> = std::iter::once(c)
            .chain(implementers.iter().copied())
            .flat_map(|x| tests.get(&x).cloned().unwrap_or_default())
            .collect();
        let tests: Vec<VerView> = vers
            .iter()
            .map(|&v| VerView {
                record: ref_at(corpus, v),
                result: corpus.records[v]
                    .text("result")
                    .unwrap_or_else(|| "no result".into()),
            })
            .collect();
        let mut f = found(&corpus.records[c].id);
        f.retain(|r| r == "cyber-chain");
        ChainRow {
            threat: t.map(|t| ref_at(corpus, t)),
            control: Some(ref_at(corpus, c)),
            gap_control: false,
            gap_implementation: implementers.is_empty(),
            gap_test: !tests.iter().any(|v| v.result == "pass"),
            implementers: refs(corpus, implementers),
            tests,
            findings: f,
        }
    };
    let threat_rows: Vec<ThreatRow> = threats
        .iter()
        .map(|&i| {
            let r = &corpus.records[i];
            let situations: BTreeSet<usize> = g
                .inbound(i, "threats")
                .filter(|&j| corpus.type_of(j) == "hazardous-situation" && live(&corpus.records[j]))
                .collect();
            let mut controls = mitigators(i);
            for &h in &situations {
                controls.extend(mitigators(h));
            }
            let security: Vec<usize> = controls
                .iter()
                .copied()
                .filter(|&c| is_security_rc(&corpus.records[c]))
                .collect();
            let risk = threat_risk(corpus, g, i);
            let needs = risk
                .initial_zone
                .as_ref()
                .is_some_and(|(z, _)| !sec.is_acceptable(z));
            if security.is_empty() {
                let mut f = found(&r.id);
                f.retain(|x| x == "threat-controlled");
                chain.push(ChainRow {
                    threat: Some(record_ref(corpus, r)),
                    control: None,
                    implementers: Vec::new(),
                    tests: Vec::new(),
                    gap_control: needs,
                    gap_implementation: false,
                    gap_test: false,
                    findings: f,
                });
            }
            for &c in &security {
                countered.insert(c);
                chain.push(chain_row(Some(i), c));
            }
            ThreatRow {
                threat: record_ref(corpus, r),
                asset: r.text("asset").unwrap_or_default(),
                attack_vector: r.text("attack_vector").unwrap_or_default(),
                entry_point: r.text("entry_point").unwrap_or_default(),
                views: r.list("views").join(", "),
                stride: r.list("stride").join(", "),
                disposition: r.text("disposition").unwrap_or_default(),
                initial: risk.initial,
                initial_class: risk
                    .initial_zone
                    .map(|z| z.1.to_string())
                    .unwrap_or_default(),
                residual: risk.residual,
                residual_class: risk
                    .residual_zone
                    .map(|z| z.1.to_string())
                    .unwrap_or_default(),
                situations: refs(corpus, situations),
                vulns: refs(
                    corpus,
                    g.outbound(i, "exploits")
                        .filter(|&j| corpus.type_of(j) == "vulnerability"),
                ),
                controls: refs(corpus, controls),
                walk: walk_href(corpus, i),
                findings: found(&r.id),
            }
        })
        .collect();
    // Security controls that counter no threat of the model still belong in the report.
    for c in live_of("risk-control") {
        if is_security_rc(&corpus.records[c]) && !countered.contains(&c) {
            chain.push(chain_row(None, c));
        }
    }
    let chain_gaps = chain
        .iter()
        .filter(|r| r.gap_control || r.gap_implementation || r.gap_test || r.threat.is_none())
        .count();
    let mut views: BTreeMap<String, (BTreeSet<usize>, BTreeSet<usize>)> = BTreeMap::new();
    for &i in &threats {
        for v in corpus.records[i].list("views") {
            views.entry(v).or_default().1.insert(i);
        }
    }
    let docs = live_of("document");
    for &i in &docs {
        let r = &corpus.records[i];
        if r.str("doc_type") == Some("architecture-view") {
            let v = r
                .text("view_type")
                .unwrap_or_else(|| "(no view_type)".into());
            views.entry(v).or_default().0.insert(i);
        }
    }
    let components = live_of("component");
    let vuln_idx = live_of("vulnerability");
    let vuln_row = |i: usize| -> VulnRow {
        let r = &corpus.records[i];
        let e = crate::risk::level(r, "exploitability", 'E');
        let s = crate::risk::level(r, "severity", 'S');
        let (risk, class) = match (e, s) {
            (Some(e), Some(s)) => match sec.zone(e, s) {
                Some(z) => (
                    format!(
                        "{z} (E{e} x S{s}), {}",
                        if sec.is_acceptable(z) {
                            "controlled"
                        } else {
                            "uncontrolled"
                        }
                    ),
                    super::risk::zone_class(sec, z).to_string(),
                ),
                None => (format!("E{e} x S{s} is outside the matrix"), String::new()),
            },
            _ => ("not scored".into(), String::new()),
        };
        let mut assessment: Vec<String> = r.text("justification").into_iter().collect();
        assessment.extend(r.list("response"));
        VulnRow {
            record: record_ref(corpus, r),
            vuln_id: r.text("vuln_id").unwrap_or_default(),
            source: r.text("source").unwrap_or_default(),
            state: r.text("state").unwrap_or_default(),
            risk,
            class,
            kev: r.flag("kev"),
            affects: refs(corpus, g.outbound(i, "affects")),
            assessment: assessment.join("; "),
        }
    };
    SecurityView {
        site: at_depth(site, ""),
        documents: refs(
            corpus,
            docs.iter().copied().filter(|&i| {
                matches!(
                    corpus.records[i].str("doc_type"),
                    Some(
                        "threat-model"
                            | "security-rm-plan"
                            | "security-rm-report"
                            | "cyber-mgmt-plan"
                            | "cvd-policy"
                    )
                )
            }),
        ),
        threats: threat_rows,
        chain_gaps,
        chain,
        views: views
            .into_iter()
            .map(|(view, (d, t))| ViewRow {
                view,
                documents: refs(corpus, d),
                threats: refs(corpus, t),
            })
            .collect(),
        support: counts(corpus, "component", "support_level", &components),
        components: components
            .iter()
            .map(|&i| {
                let r = &corpus.records[i];
                let (current, earlier) = affected.of_component(i);
                ComponentRow {
                    record: record_ref(corpus, r),
                    name: format!(
                        "{} {}",
                        r.text("name").unwrap_or_default(),
                        r.text("version").unwrap_or_default()
                    )
                    .trim()
                    .to_string(),
                    origin: r.text("origin").unwrap_or_default(),
                    suppliers: refs(corpus, g.outbound(i, "supplier")),
                    support_level: r.text("support_level").unwrap_or_default(),
                    end_of_support: r.text("end_of_support").unwrap_or_default(),
                    vulns: refs(corpus, current.iter().copied()),
                    earlier_vulns: refs(corpus, earlier.iter().map(|(j, _)| *j)),
                    walk: walk_href(corpus, i),
                }
            })
            .collect(),
        vuln_states: counts(corpus, "vulnerability", "state", &vuln_idx),
        anomalies: vuln_idx
            .iter()
            .copied()
            .filter(|&i| {
                let r = &corpus.records[i];
                r.str("source") == Some("anomaly")
                    && !matches!(r.str("state"), Some("resolved" | "resolved_with_pedigree"))
            })
            .map(vuln_row)
            .collect(),
        vulns: vuln_idx.iter().map(|&i| vuln_row(i)).collect(),
    }
}

/// The section's pages: `security.html`.
pub fn pages(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    let view = view(input, site, &r.affected(input));
    Ok(vec![r.page(
        "site/security.html",
        "security.html".into(),
        &view,
    )?])
}
