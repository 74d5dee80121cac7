//! The audit trace walk (`walk/<ID>.html`, domain-model 6.2): the path an auditor takes from a
//! hazard, hazardous situation or threat (or, for the supply chain, a component) forward to its
//! harms, risk controls, the inputs and outputs that implement them, their verification, the
//! residual risk and benefit-risk, the releases that contain it, the postmarket signals and
//! vulnerabilities, CAPAs and change requests, and the reviews that looked at it.
//!
//! Every hop shows the record's status, the valid approvals covering its current content and
//! its last revision (when the DDF has history). The hops follow the link fields of the schema
//! over the graph's adjacency lists, so a page costs what its chain holds; the indexes every
//! page shares (approvals by record, release ancestry, review mentions) are built once.

use super::render::Renderer;
use super::risk::{hs_risk, risk_text, threat_risk};
use super::views::{at_depth, has_page, record_ref, ref_at, value_text, RecordRef, SiteView};
use super::{Input, OutFile, SiteError};
use crate::corpus::Corpus;
use crate::graph::Graph;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The record types a walk starts from.
pub const ENTRY_TYPES: &[&str] = &["hazard", "hazardous-situation", "threat", "component"];

/// The walk page of record `i`, relative to the site root, if it is an entry of the walk and has
/// a page.
pub(crate) fn walk_href(corpus: &Corpus, i: usize) -> Option<String> {
    let r = &corpus.records[i];
    (ENTRY_TYPES.contains(&r.type_name.as_str()) && has_page(corpus, i))
        .then(|| format!("walk/{}.html", r.id))
}

/// A label and value shown for a hop.
#[derive(Debug, Clone, Serialize)]
pub struct DetailView {
    /// Field name or computed label.
    pub label: String,
    /// Value as text.
    pub value: String,
}

/// One record on the walk.
#[derive(Debug, Clone, Serialize)]
pub struct HopView {
    /// The record.
    pub record: RecordRef,
    /// How the walk reached it: the links to records of earlier hops (`mitigates HS-001`).
    pub via: Vec<String>,
    /// The fields that matter at this hop, and computed values (risk, containment).
    pub details: Vec<DetailView>,
    /// Manifestations of the valid approvals covering the current content (with history).
    pub approvals: Vec<String>,
    /// Short id and date of the last commit that changed the record (with history).
    pub revision: Option<String>,
    /// Short id and date of the commit that introduced the record (with history).
    pub introduced: Option<String>,
}

/// One hop of the walk: a kind of record, in chain order.
#[derive(Debug, Clone, Serialize)]
pub struct StepView {
    /// 1-based number.
    pub n: usize,
    /// Title (`Risk controls`).
    pub title: String,
    /// The clause the hop answers to.
    pub clause: String,
    /// Whether an empty hop is a gap in the chain (a control, its implementation or its
    /// verification missing), rather than simply nothing to show.
    pub gap: bool,
    /// The records.
    pub hops: Vec<HopView>,
}

/// A walk page (`walk/<ID>.html`).
#[derive(Debug, Clone, Serialize)]
pub struct WalkView {
    /// Common fields (root `../`).
    pub site: SiteView,
    /// The entry record.
    pub entry: RecordRef,
    /// Whether history was read (approvals and revisions are shown).
    pub has_history: bool,
    /// The hops, in chain order.
    pub steps: Vec<StepView>,
}

/// What every walk page shares, built once per site.
struct Shared<'a> {
    /// Approval indices naming each record id.
    approvals: BTreeMap<&'a str, Vec<usize>>,
    /// For each release with a commit in the history: its index and the positions of its
    /// ancestors, so "the release contains the record" is one set lookup.
    releases: Vec<(usize, rustc_hash::FxHashSet<usize>)>,
    /// Management and design reviews that mention each id in their fields or text.
    reviews: BTreeMap<String, Vec<usize>>,
    /// The latest management review (by date, then path), for walks no review names.
    latest_mr: Option<usize>,
    /// Which vulnerabilities are in which releases: the site's one answer.
    affected: crate::vuln::affected::Affected<'a>,
}

fn shared<'a>(input: &'a Input<'a>, affected: crate::vuln::affected::Affected<'a>) -> Shared<'a> {
    let corpus = input.corpus;
    let mut approvals: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut releases = Vec::new();
    if let Some(h) = &input.history {
        for (k, a) in h.approvals.iter().enumerate() {
            for p in &a.approves {
                approvals.entry(p.id.as_str()).or_default().push(k);
            }
        }
        for &i in corpus.records_of("release") {
            if let Some(c) = corpus.records[i].text("commit") {
                if h.history.position(c.trim()).is_some() {
                    releases.push((i, h.history.ancestors(c.trim())));
                }
            }
        }
    }
    let mut reviews: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for ty in ["management-review", "design-review"] {
        for &i in corpus.records_of(ty) {
            let r = &corpus.records[i];
            let fields = serde_yaml::to_string(&r.fields).unwrap_or_default();
            let mut ids = crate::mentions::mentions(&fields);
            ids.extend(crate::mentions::mentions(&r.body));
            ids.sort();
            ids.dedup();
            for id in ids {
                reviews.entry(id).or_default().push(i);
            }
        }
    }
    let latest_mr = corpus
        .records_of("management-review")
        .iter()
        .copied()
        .max_by(|&a, &b| {
            let d = |i: usize| corpus.records[i].text("date").unwrap_or_default();
            d(a).cmp(&d(b)).then(b.cmp(&a))
        });
    Shared {
        approvals,
        releases,
        reviews,
        latest_mr,
        affected,
    }
}

/// The records of the chain, by kind, each set in corpus (path) order.
#[derive(Default)]
struct Chain {
    components: BTreeSet<usize>,
    /// The design outputs that use the component (`uses`, inbound): a component walk only.
    outputs: BTreeSet<usize>,
    /// The design inputs those outputs satisfy.
    inputs: BTreeSet<usize>,
    vulns: BTreeSet<usize>,
    threats: BTreeSet<usize>,
    hazards: BTreeSet<usize>,
    situations: BTreeSet<usize>,
    harms: BTreeSet<usize>,
    controls: BTreeSet<usize>,
    implementers: BTreeSet<usize>,
    verifications: BTreeSet<usize>,
    benefit_risk: BTreeSet<usize>,
    releases: BTreeMap<usize, Vec<String>>,
    signals: BTreeSet<usize>,
    capas: BTreeSet<usize>,
    changes: BTreeSet<usize>,
    reviews: BTreeSet<usize>,
}

/// Records of type(s) `types` linked to any of `from` through `field`, written on them
/// (`out`) or on the other end (`!out`).
fn linked(
    corpus: &Corpus,
    graph: &Graph,
    from: &BTreeSet<usize>,
    field: &str,
    out: bool,
    types: &[&str],
) -> BTreeSet<usize> {
    let mut s = BTreeSet::new();
    for &i in from {
        let it: Box<dyn Iterator<Item = usize>> = if out {
            Box::new(graph.outbound(i, field))
        } else {
            Box::new(graph.inbound(i, field))
        };
        s.extend(it.filter(|&j| types.contains(&corpus.type_of(j))));
    }
    s
}

fn chain(input: &Input<'_>, sh: &Shared<'_>, entry: usize) -> Chain {
    let corpus = input.corpus;
    let g = input.graph;
    let one = BTreeSet::from([entry]);
    let mut c = Chain::default();
    match corpus.type_of(entry) {
        "hazard" => {
            c.hazards = one.clone();
            c.situations = linked(corpus, g, &one, "hazard", false, &["hazardous-situation"]);
        }
        "hazardous-situation" => c.situations = one.clone(),
        "threat" => {
            c.threats = one.clone();
            c.situations = linked(corpus, g, &one, "threats", false, &["hazardous-situation"]);
        }
        _ => {
            c.components = one.clone();
            c.vulns = linked(corpus, g, &one, "affects", false, &["vulnerability"]);
            c.threats = linked(corpus, g, &c.vulns, "exploits", false, &["threat"]);
            let both: BTreeSet<usize> = c.vulns.union(&c.threats).copied().collect();
            c.situations = linked(corpus, g, &both, "threats", false, &["hazardous-situation"]);
        }
    }
    c.hazards.extend(linked(
        corpus,
        g,
        &c.situations,
        "hazard",
        true,
        &["hazard"],
    ));
    // A walk from one threat is that threat's: the other threats its situations name have
    // walks of their own, and listing them here made four threats of one.
    if corpus.type_of(entry) != "threat" {
        c.threats.extend(linked(
            corpus,
            g,
            &c.situations,
            "threats",
            true,
            &["threat"],
        ));
    }
    c.vulns.extend(linked(
        corpus,
        g,
        &c.situations,
        "threats",
        true,
        &["vulnerability"],
    ));
    c.vulns.extend(linked(
        corpus,
        g,
        &c.threats,
        "exploits",
        true,
        &["vulnerability"],
    ));
    c.harms = linked(corpus, g, &c.situations, "harms", true, &["harm"]);
    let risks: BTreeSet<usize> = c
        .situations
        .iter()
        .chain(&c.threats)
        .chain(&c.vulns)
        .copied()
        .collect();
    c.controls = linked(corpus, g, &risks, "mitigates", false, &["risk-control"]);
    // The supply-chain walk goes where the component is used: the design outputs naming it in
    // `uses`, the inputs they satisfy and the controls they (and those inputs) implement.
    if !c.components.is_empty() {
        c.outputs = linked(corpus, g, &c.components, "uses", false, &["design-output"]);
        c.inputs = linked(corpus, g, &c.outputs, "satisfies", true, &["design-input"]);
        let design: BTreeSet<usize> = c.outputs.union(&c.inputs).copied().collect();
        c.controls.extend(linked(
            corpus,
            g,
            &design,
            "implements_control",
            true,
            &["risk-control"],
        ));
    }
    c.implementers = linked(
        corpus,
        g,
        &c.controls,
        "implements_control",
        false,
        &["design-input", "design-output"],
    );
    let verified: BTreeSet<usize> = c
        .controls
        .iter()
        .chain(&c.implementers)
        .chain(&c.outputs)
        .chain(&c.inputs)
        .copied()
        .collect();
    c.verifications = linked(corpus, g, &verified, "verifies", false, &["verification"]);
    c.benefit_risk = linked(
        corpus,
        g,
        &c.situations,
        "benefit_risk",
        true,
        &["document"],
    );
    let hs_thr: BTreeSet<usize> = c.situations.union(&c.threats).copied().collect();
    c.signals = linked(corpus, g, &hs_thr, "risk", false, &["signal"]);
    c.signals.extend(linked(
        corpus,
        g,
        &c.vulns,
        "reported_in",
        true,
        &["signal"],
    ));
    c.capas = linked(corpus, g, &hs_thr, "risk_updates", false, &["capa"]);
    let sources: BTreeSet<usize> = c.signals.union(&c.vulns).copied().collect();
    c.capas
        .extend(linked(corpus, g, &sources, "source", false, &["capa"]));
    let triggers: BTreeSet<usize> = sources.union(&c.capas).copied().collect();
    c.changes = linked(
        corpus,
        g,
        &triggers,
        "triggered_by",
        false,
        &["change-request"],
    );
    let walked = c.walked();
    c.changes.extend(linked(
        corpus,
        g,
        &walked,
        "affects",
        false,
        &["change-request"],
    ));
    // Releases: those that ship a change of the chain, those a vulnerability is fielded in,
    // and (with history) those whose commit descends from the commit that introduced the entry.
    for &r in &linked(corpus, g, &c.changes, "changes", false, &["release"]) {
        let crs: Vec<String> = g
            .outbound(r, "changes")
            .filter(|j| c.changes.contains(j))
            .map(|j| corpus.records[j].id.clone())
            .collect();
        c.releases
            .entry(r)
            .or_default()
            .push(format!("ships {}", crs.join(", ")));
    }
    // The releases a vulnerability is in: the same answer as the release pages and registers
    // (`crate::vuln::affected`): named in `fielded`, or shipping an affected component version.
    for &v in &c.vulns {
        for &r in corpus.records_of("release") {
            if !sh.affected.in_release(v, r) {
                continue;
            }
            let how = if g.outbound(v, "fielded").any(|x| x == r) {
                "is fielded in it"
            } else {
                "affects a component it ships"
            };
            c.releases
                .entry(r)
                .or_default()
                .push(format!("{} {how}", corpus.records[v].id));
        }
    }
    if let Some(h) = &input.history {
        let id = &corpus.records[entry].id;
        let intro = h
            .history
            .of_record(id)
            .last()
            .and_then(|(cm, _)| h.history.position(&cm.id));
        if let Some(p) = intro {
            for (r, anc) in &sh.releases {
                if anc.contains(&p) {
                    c.releases
                        .entry(*r)
                        .or_default()
                        .push(format!("its commit contains {id}"));
                }
            }
        }
    }
    let mut all = c.walked();
    all.extend(c.changes.iter().copied());
    all.extend(c.releases.keys().copied());
    for &i in &all {
        if let Some(rs) = sh.reviews.get(&corpus.records[i].id) {
            c.reviews.extend(rs.iter().copied());
        }
        c.reviews.extend(
            g.inbound(i, "reviewed")
                .filter(|&j| corpus.type_of(j) == "design-review"),
        );
    }
    c
}

impl Chain {
    /// Every record of the chain up to the postmarket hops.
    fn walked(&self) -> BTreeSet<usize> {
        [
            &self.components,
            &self.outputs,
            &self.inputs,
            &self.vulns,
            &self.threats,
            &self.hazards,
            &self.situations,
            &self.harms,
            &self.controls,
            &self.implementers,
            &self.verifications,
            &self.benefit_risk,
            &self.signals,
            &self.capas,
        ]
        .into_iter()
        .flatten()
        .copied()
        .collect()
    }
}

/// The fields shown for a record of each type at its hop.
fn shown_fields(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "hazard" => &["category", "origin"],
        "harm" => &["severity"],
        "threat" => &[
            "asset",
            "attack_vector",
            "entry_point",
            "disposition",
            "stride",
        ],
        "vulnerability" => &["vuln_id", "state", "kev", "justification", "response"],
        "component" => &["name", "version", "purl", "support_level", "end_of_support"],
        "risk-control" => &[
            "option",
            "kind",
            "security_category",
            "transfers_risk_to",
            "new_risks",
        ],
        "design-input" => &["category", "security_category"],
        "design-output" => &["output_kind", "artifacts", "essential"],
        "verification" => &[
            "control_check",
            "method",
            "security_test",
            "result",
            "executed_on",
            "baseline",
            "evidence",
            "independence",
        ],
        "document" => &["doc_type", "effective"],
        "signal" => &["kind", "received", "reportable"],
        "capa" => &["kind", "opened", "closed", "effectiveness"],
        "change-request" => &["cyber_impact", "regulatory_path", "emergency", "impact"],
        "release" => &["version", "tag", "overall_residual_risk", "rm_review"],
        "management-review" => &["date", "period"],
        "design-review" => &["stage", "date", "outcome"],
        _ => &[],
    }
}

/// The page of `entry`.
fn walk(input: &Input<'_>, sh: &Shared<'_>, site: &SiteView, entry: usize) -> WalkView {
    let corpus = input.corpus;
    let g = input.graph;
    let policy = &corpus.risk.policy;
    let c = chain(input, sh, entry);
    // Records of earlier hops, to explain how each record is reached.
    let mut seen: BTreeSet<usize> = BTreeSet::from([entry]);
    let via = |i: usize, seen: &BTreeSet<usize>| -> Vec<String> {
        let mut v: Vec<String> = g
            .out(i)
            .iter()
            .filter(|e| seen.contains(&e.other))
            .map(|e| format!("{} {}", g.field_name(e), corpus.records[e.other].id))
            .chain(
                g.inc(i)
                    .iter()
                    .filter(|e| seen.contains(&e.other))
                    .map(|e| {
                        format!(
                            "named by {} in {}",
                            corpus.records[e.other].id,
                            g.field_name(e)
                        )
                    }),
            )
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let hop = |i: usize, extra: Vec<DetailView>, seen: &BTreeSet<usize>| -> HopView {
        let r = &corpus.records[i];
        let mut details: Vec<DetailView> = shown_fields(&r.type_name)
            .iter()
            .filter_map(|f| {
                r.get(f)
                    .map(value_text)
                    .filter(|v| !v.is_empty())
                    .map(|value| DetailView {
                        label: (*f).to_string(),
                        value,
                    })
            })
            .collect();
        details.extend(extra);
        let (approvals, revision, introduced) = match &input.history {
            Some(h) => {
                let revs = h.history.of_record(&r.id);
                let stamp = |cm: &crate::history::Commit| {
                    format!(
                        "{} {}",
                        cm.short(),
                        crate::history::approval::format_time(cm.committer_time)
                    )
                };
                (
                    sh.approvals
                        .get(r.id.as_str())
                        .map(|ks| {
                            ks.iter()
                                .map(|&k| &h.approvals[k])
                                .filter(|a| {
                                    a.is_valid()
                                        && crate::history::approval::covers(
                                            h.history, a, &r.id, &r.blob,
                                        )
                                })
                                .map(|a| a.manifestation())
                                .collect()
                        })
                        .unwrap_or_default(),
                    revs.first().map(|(cm, _)| stamp(cm)),
                    revs.last().map(|(cm, _)| stamp(cm)),
                )
            }
            None => (Vec::new(), None, None),
        };
        HopView {
            record: record_ref(corpus, r),
            via: if i == entry { Vec::new() } else { via(i, seen) },
            details,
            approvals,
            revision,
            introduced,
        }
    };
    let d = |label: &str, value: String| DetailView {
        label: label.to_string(),
        value,
    };
    let mut steps: Vec<StepView> = Vec::new();
    let mut step = |title: &str,
                    clause: &str,
                    gap: bool,
                    rows: Vec<(usize, Vec<DetailView>)>,
                    seen: &mut BTreeSet<usize>| {
        let hops: Vec<HopView> = rows.iter().map(|(i, x)| hop(*i, x.clone(), seen)).collect();
        seen.extend(rows.iter().map(|r| r.0));
        steps.push(StepView {
            n: steps.len() + 1,
            title: title.to_string(),
            clause: clause.to_string(),
            gap: gap && hops.is_empty(),
            hops,
        });
    };
    let plain = |s: &BTreeSet<usize>| s.iter().map(|&i| (i, Vec::new())).collect::<Vec<_>>();
    let threat_rows = |s: &BTreeSet<usize>| {
        s.iter()
            .map(|&i| {
                let t = threat_risk(corpus, g, i);
                (
                    i,
                    vec![
                        d("initial risk (E x S)", t.initial),
                        d("residual risk (E x S)", t.residual),
                    ],
                )
            })
            .collect::<Vec<_>>()
    };
    let kind = corpus.type_of(entry);
    if kind == "component" {
        step(
            "Component",
            "FD&C Act 524B(b)(3); ISO 13485 7.4",
            false,
            plain(&c.components),
            &mut seen,
        );
        step(
            "Vulnerabilities affecting it",
            "FDA cybersecurity guidance V.A.4-5; 524B(b)(1)",
            false,
            plain(&c.vulns),
            &mut seen,
        );
        step(
            "Design outputs using it",
            "ISO 13485 7.3.4; FD&C Act 524B(b)(3)",
            true,
            plain(&c.outputs),
            &mut seen,
        );
        step(
            "Design inputs they satisfy",
            "ISO 13485 7.3.3, 7.3.4",
            !c.outputs.is_empty(),
            plain(&c.inputs),
            &mut seen,
        );
    }
    if kind == "threat" || kind == "component" || !c.threats.is_empty() {
        step(
            "Threats",
            "FDA cybersecurity guidance V.A.1-2",
            false,
            threat_rows(&c.threats),
            &mut seen,
        );
    }
    step(
        "Hazards",
        "ISO 14971 5.4",
        false,
        plain(&c.hazards),
        &mut seen,
    );
    let hs_rows: Vec<(usize, Vec<DetailView>)> = c
        .situations
        .iter()
        .map(|&i| {
            let r = &corpus.records[i];
            let h = hs_risk(policy, r);
            let m = h.scoring.map(|s| policy.matrix(s.assessment));
            (
                i,
                vec![
                    d(
                        "assessment",
                        h.scoring
                            .map_or("not stated".into(), |s| s.name.to_string()),
                    ),
                    d("initial risk", risk_text(h.initial.as_ref(), m)),
                ],
            )
        })
        .collect();
    step(
        "Hazardous situations (initial risk)",
        "ISO 14971 5.4-6",
        kind != "component",
        hs_rows,
        &mut seen,
    );
    step("Harms", "ISO 14971 5.5", false, plain(&c.harms), &mut seen);
    let needs_control = !c.situations.is_empty() || !c.threats.is_empty();
    step(
        "Risk controls (option, kind)",
        "ISO 14971 7.1",
        needs_control,
        plain(&c.controls),
        &mut seen,
    );
    step(
        "Implementing design inputs and outputs",
        "ISO 14971 7.2; ISO 13485 7.3.3 c), 7.3.4",
        !c.controls.is_empty(),
        plain(&c.implementers),
        &mut seen,
    );
    step(
        "Verification of implementation and effectiveness",
        "ISO 14971 7.2; ISO 13485 7.3.6; FDA cybersecurity guidance V.C",
        !c.controls.is_empty() || !c.outputs.is_empty(),
        plain(&c.verifications),
        &mut seen,
    );
    let mut residual: Vec<(usize, Vec<DetailView>)> = c
        .situations
        .iter()
        .map(|&i| {
            let h = hs_risk(policy, &corpus.records[i]);
            let m = h.scoring.map(|s| policy.matrix(s.assessment));
            (
                i,
                vec![d("residual risk", risk_text(h.residual.as_ref(), m))],
            )
        })
        .collect();
    residual.extend(plain(&c.benefit_risk));
    // The residual hop lists the situations again, with their residual risk.
    let mut seen_before = seen.clone();
    for &i in &c.situations {
        seen_before.remove(&i);
    }
    step(
        "Residual risk and benefit-risk",
        "ISO 14971 7.3-7.4, 8",
        false,
        residual,
        &mut seen_before,
    );
    seen.extend(seen_before);
    let rel_rows: Vec<(usize, Vec<DetailView>)> = c
        .releases
        .iter()
        .map(|(&i, how)| (i, vec![d("contains it because", how.join("; "))]))
        .collect();
    step(
        "Releases that contain it",
        "ISO 13485 7.3.8, 7.3.10",
        false,
        rel_rows,
        &mut seen,
    );
    let mut post = plain(&c.signals);
    if kind != "component" {
        post.extend(plain(&c.vulns));
    }
    step(
        "Signals and vulnerabilities",
        "ISO 13485 8.2; ISO 14971 10; FDA cybersecurity guidance V.A.4",
        false,
        post,
        &mut seen,
    );
    let mut capa_cr = plain(&c.capas);
    capa_cr.extend(plain(&c.changes));
    step(
        "CAPA and change requests",
        "ISO 13485 8.5.2, 7.3.9",
        false,
        capa_cr,
        &mut seen,
    );
    let mut reviews = plain(&c.reviews);
    if !c
        .reviews
        .iter()
        .any(|&i| corpus.type_of(i) == "management-review")
    {
        if let Some(mr) = sh.latest_mr {
            reviews.push((
                mr,
                vec![d(
                    "note",
                    "names no record of this walk; the latest management review, whose snapshot covers the whole DDF".into(),
                )],
            ));
        }
    }
    step(
        "Reviews",
        "ISO 13485 5.6, 7.3.5; ISO 14971 9",
        false,
        reviews,
        &mut seen,
    );
    WalkView {
        site: at_depth(site, "../"),
        entry: ref_at(corpus, entry),
        has_history: input.history.is_some(),
        steps,
    }
}

/// The walk pages to write (one per hazard, hazardous situation, threat and component): their
/// entry records and what the walks share. The site renders
/// each page as a job of its own ([`Walks::page`]) and writes it at once: at 100,000 records
/// the 15,000 walk pages are 230 MB, which a section returning them all would hold at once.
pub struct Walks<'a> {
    shared: Shared<'a>,
    /// The entry records, one page each.
    pub entries: Vec<usize>,
}

/// The walks of the site of `input`.
pub fn walks<'a>(r: &'a Renderer, input: &'a Input<'a>) -> Walks<'a> {
    let corpus = input.corpus;
    Walks {
        shared: shared(input, r.affected(input)),
        entries: ENTRY_TYPES
            .iter()
            .flat_map(|t| corpus.records_of(t).iter().copied())
            .filter(|&i| walk_href(corpus, i).is_some())
            .collect(),
    }
}

impl Walks<'_> {
    /// The walk page of entry `k` of [`Walks::entries`].
    pub fn page(
        &self,
        r: &Renderer,
        input: &Input<'_>,
        site: &SiteView,
        k: usize,
    ) -> Result<OutFile, SiteError> {
        let i = self.entries[k];
        let view = walk(input, &self.shared, site, i);
        r.walk_page(format!("walk/{}.html", input.corpus.records[i].id), &view)
    }
}
