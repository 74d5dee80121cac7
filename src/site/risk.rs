//! The risk management file (`risk.html`, ISO 14971): the risk policy and its matrices, the
//! hazard analysis table, initial and residual heat maps drawn as inline SVG, the risk controls
//! with their verification of implementation and effectiveness, benefit-risk, the overall
//! residual risk per release and the risk management review.
//!
//! Risk zones come from [`crate::risk`] (the same scoring `ddf check` uses); nothing here
//! re-derives a matrix. The heat maps are SVG text that ddf writes itself: every piece of record
//! text in them goes through [`escape`], and cells and ids are in matrix and path order, so the
//! drawing is the same on every build. Obsolete records are left out, as the rules leave them out.

use super::markdown::escape;
use super::render::Renderer;
use super::views::{at_depth, record_ref, ref_at, RecordRef, SiteView};
use super::{Input, OutFile, SiteError};
use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::record::Record;
use crate::risk::{
    initial_and_residual, level, scoring, zone_rank, Matrix, RiskPolicy, Scored, Scoring,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// The risk of a hazardous situation, as `ddf check` computes it.
pub(crate) struct HsRisk {
    /// How it is scored; `None` when `assessment` is missing or invalid.
    pub scoring: Option<Scoring>,
    /// Initial zone.
    pub initial: Option<Scored>,
    /// Residual zone.
    pub residual: Option<Scored>,
}

/// The risk of hazardous situation `r`.
pub(crate) fn hs_risk(policy: &RiskPolicy, r: &Record) -> HsRisk {
    match scoring(r) {
        Some(s) => {
            let (initial, residual) = initial_and_residual(policy, &s, r);
            HsRisk {
                scoring: Some(s),
                initial,
                residual,
            }
        }
        None => HsRisk {
            scoring: None,
            initial: None,
            residual: None,
        },
    }
}

/// `U (P3 x S5), not acceptable`, or why there is no zone.
pub(crate) fn risk_text(s: Option<&Scored>, m: Option<&Matrix>) -> String {
    match (s, m) {
        (Some(s), Some(m)) => format!(
            "{} ({}), {}",
            s.zone,
            s.cell,
            if m.is_acceptable(&s.zone) {
                "acceptable"
            } else {
                "not acceptable"
            }
        ),
        _ => "not scored (levels missing or outside the matrix)".into(),
    }
}

/// The exploitability x severity risk of a threat: its exploitability against the worst
/// severity of the live hazardous situations that name it (as `threat-controlled` scores it),
/// before and after control.
pub(crate) struct ThreatRisk {
    /// Initial, as text.
    pub initial: String,
    /// Residual, as text.
    pub residual: String,
    /// Initial zone and its class.
    pub initial_zone: Option<(String, &'static str)>,
    /// Residual zone and its class.
    pub residual_zone: Option<(String, &'static str)>,
}

/// The risk of threat `i`.
pub(crate) fn threat_risk(corpus: &Corpus, g: &Graph, i: usize) -> ThreatRisk {
    let r = &corpus.records[i];
    let m = &corpus.risk.policy.security;
    if r.str("disposition") == Some("security-only") {
        let t = "security-only: no patient-harm severity".to_string();
        return ThreatRisk {
            initial: t.clone(),
            residual: t,
            initial_zone: None,
            residual_zone: None,
        };
    }
    let hs: Vec<&Record> = g
        .inbound(i, "threats")
        .map(|j| &corpus.records[j])
        .filter(|h| h.type_name == "hazardous-situation" && h.status() != "obsolete")
        .collect();
    let worst = |field: &str| hs.iter().filter_map(|h| level(h, field, 'S')).max();
    let one = |e: Option<usize>, s: Option<usize>| -> (String, Option<(String, &'static str)>) {
        match (e, s) {
            (Some(e), Some(s)) => match m.zone(e, s) {
                Some(z) => (
                    format!(
                        "{z} (E{e} x S{s}), {}",
                        if m.is_acceptable(z) {
                            "controlled"
                        } else {
                            "uncontrolled"
                        }
                    ),
                    Some((z.to_string(), zone_class(m, z))),
                ),
                None => (format!("E{e} x S{s} is outside the matrix"), None),
            },
            (None, _) => ("no exploitability".into(), None),
            (_, None) => ("no hazardous situation gives a severity".into(), None),
        }
    };
    let (initial, initial_zone) = one(level(r, "exploitability", 'E'), worst("severity"));
    let (residual, residual_zone) = one(
        level(r, "residual_exploitability", 'E'),
        worst("residual_severity"),
    );
    ThreatRisk {
        initial,
        residual,
        initial_zone,
        residual_zone,
    }
}

/// The colour class of a zone: `zone-ok` for acceptable zones, `zone-high` for the zones of
/// the highest rank, `zone-mid` between (A / R / U; C / U).
pub(crate) fn zone_class(m: &Matrix, zone: &str) -> &'static str {
    if m.is_acceptable(zone) {
        return "zone-ok";
    }
    let top = m
        .rows
        .iter()
        .flatten()
        .filter(|z| !m.is_acceptable(z))
        .map(|z| zone_rank(m, z))
        .max();
    if Some(zone_rank(m, zone)) == top {
        "zone-high"
    } else {
        "zone-mid"
    }
}

fn fill(class: &str) -> &'static str {
    match class {
        "zone-ok" => "#cfe8d4",
        "zone-high" => "#f4c7c3",
        _ => "#fce8b2",
    }
}

/// A cell of a matrix table.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneCell {
    /// Zone name.
    pub zone: String,
    /// `zone-ok`, `zone-mid` or `zone-high`.
    pub class: String,
}

/// A row of a matrix table, from the highest level down.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    /// `P5`.
    pub label: String,
    /// The level's definition from the risk management plan, or empty.
    pub meaning: String,
    /// One cell per severity.
    pub cells: Vec<ZoneCell>,
}

/// A level of a scale with its definition.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleLevel {
    /// `S3`.
    pub label: String,
    /// Definition from the plan, or empty.
    pub meaning: String,
}

/// A risk matrix as configured.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixView {
    /// `Safety (probability x severity)`.
    pub title: String,
    /// Name of the row scale (`probability`).
    pub scale: String,
    /// Rows, highest level first.
    pub rows: Vec<MatrixRow>,
    /// Severity columns, S1 first.
    pub columns: Vec<ScaleLevel>,
    /// Zones that count as acceptable.
    pub acceptable: Vec<String>,
    /// Zones acceptable only reduced as far as possible and with a benefit-risk analysis.
    pub reduce: Vec<String>,
    /// Where the matrix in force comes from: `DOC-002 (risk_policy revision C)`, `ddf.yaml
    /// risk:` or ddf's default.
    pub source: String,
    /// Every zone of the matrix with its class, from least to most risk.
    pub zones: Vec<ZoneCell>,
}

/// A risk cell of the hazard analysis table.
#[derive(Debug, Clone, Serialize)]
pub struct RiskCell {
    /// Likelihood level (`P3`, `E2`), or empty.
    pub likelihood: String,
    /// Severity level (`S4`), or empty.
    pub severity: String,
    /// Zone, or empty when not scored.
    pub zone: String,
    /// Zone class, or empty.
    pub class: String,
    /// Whether the zone is acceptable.
    pub acceptable: bool,
}

/// A harm with its severity.
#[derive(Debug, Clone, Serialize)]
pub struct HarmView {
    /// The harm.
    pub record: RecordRef,
    /// Its severity.
    pub severity: String,
}

/// A row of the hazard analysis table: one hazardous situation.
#[derive(Debug, Clone, Serialize)]
pub struct HazardRow {
    /// The hazardous situation.
    pub situation: RecordRef,
    /// Its hazards.
    pub hazards: Vec<RecordRef>,
    /// Threats it names (security situations).
    pub threats: Vec<RecordRef>,
    /// Its harms.
    pub harms: Vec<HarmView>,
    /// `safety` or `security` (empty when not stated).
    pub assessment: String,
    /// Initial risk.
    pub initial: RiskCell,
    /// Risk controls that mitigate it.
    pub controls: Vec<RecordRef>,
    /// Residual risk.
    pub residual: RiskCell,
    /// The benefit-risk analysis it names.
    pub benefit_risk: Vec<RecordRef>,
    /// Acceptability of the residual risk, in words.
    pub acceptability: String,
    /// Whether the residual severity is below the initial one: a reduction the record must
    /// justify (the rationale column shows why, or that nothing says why).
    pub severity_reduced: bool,
    /// The record's `residual_rationale` (empty when it has none).
    pub rationale: String,
    /// Its walk page, relative to the site root.
    pub walk: Option<String>,
    /// Risk-rule findings about it (rule ids).
    pub findings: Vec<String>,
}

/// A verification of a control.
#[derive(Debug, Clone, Serialize)]
pub struct VerView {
    /// The VER.
    pub record: RecordRef,
    /// Its result.
    pub result: String,
}

/// A row of the controls table.
#[derive(Debug, Clone, Serialize)]
pub struct ControlRow {
    /// The control.
    pub control: RecordRef,
    /// `option` (ISO 14971 7.1 priority).
    pub option: String,
    /// `kind`.
    pub kind: String,
    /// What it mitigates.
    pub mitigates: Vec<RecordRef>,
    /// DIs and DOs that implement it.
    pub implemented_by: Vec<RecordRef>,
    /// VERs with `control_check: implementation`.
    pub implementation: Vec<VerView>,
    /// VERs with `control_check: effectiveness`.
    pub effectiveness: Vec<VerView>,
    /// Whether a passing implementation check exists.
    pub implementation_ok: bool,
    /// Whether a passing effectiveness check exists.
    pub effectiveness_ok: bool,
    /// Risks the control introduces (7.5).
    pub new_risks: Vec<RecordRef>,
    /// Risk-rule findings about it.
    pub findings: Vec<String>,
}

/// A heat map.
#[derive(Debug, Clone, Serialize)]
pub struct HeatMapView {
    /// `Initial risk, safety (P x S)`.
    pub title: String,
    /// Number of situations placed.
    pub placed: usize,
    /// Situations of this assessment that could not be placed (levels missing), by id.
    pub unplaced: Vec<RecordRef>,
    /// The SVG, generated by ddf with every text escaped.
    pub svg: String,
}

/// Residual zone counts of one matrix.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneCount {
    /// The zone.
    pub zone: String,
    /// Its class.
    pub class: String,
    /// Situations whose residual risk is in it.
    pub count: usize,
}

/// A benefit-risk analysis and the situations it accepts.
#[derive(Debug, Clone, Serialize)]
pub struct BenefitRiskView {
    /// The DOC.
    pub record: RecordRef,
    /// The situations that name it.
    pub situations: Vec<RecordRef>,
}

/// A release's overall residual risk and risk management review.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseRiskView {
    /// The release.
    pub record: RecordRef,
    /// `version`.
    pub version: String,
    /// `overall_residual_risk`.
    pub overall_residual_risk: String,
    /// `rm_review`.
    pub rm_review: String,
}

/// A risk management plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    /// The DOC.
    pub record: RecordRef,
    /// `risk_policy.revision`, if stated.
    pub revision: String,
}

/// The residual zone counts of one matrix.
#[derive(Debug, Clone, Serialize)]
pub struct ResidualCounts {
    /// `safety` or `security`.
    pub matrix: String,
    /// Zones from least to most risk.
    pub zones: Vec<ZoneCount>,
}

/// A numeric policy setting.
#[derive(Debug, Clone, Serialize)]
pub struct PolicySetting {
    /// Name in ddf.yaml.
    pub name: String,
    /// Value.
    pub value: String,
}

/// The risk management file (`risk.html`).
#[derive(Debug, Clone, Serialize)]
pub struct RiskView {
    /// Common fields.
    pub site: SiteView,
    /// Risk management plans (DOC `risk-mgmt-plan`), with the policy revision they state.
    pub plans: Vec<PlanView>,
    /// Whether the plan defines the levels of the scales (the scales table is shown).
    pub has_scales: bool,
    /// `policy:` settings from ddf.yaml.
    pub policy: Vec<PolicySetting>,
    /// The safety and security matrices.
    pub matrices: Vec<MatrixView>,
    /// The hazard analysis, one row per live hazardous situation, in path order.
    pub hazards: Vec<HazardRow>,
    /// Hazards no live situation names.
    pub hazards_without_situation: Vec<RecordRef>,
    /// Initial and residual heat maps of each matrix.
    pub heat_maps: Vec<HeatMapView>,
    /// Live risk controls, in path order.
    pub controls: Vec<ControlRow>,
    /// Benefit-risk analyses.
    pub benefit_risk: Vec<BenefitRiskView>,
    /// Residual zone counts per matrix (`safety`, `security`).
    pub residual_counts: Vec<ResidualCounts>,
    /// Situations whose residual risk is not acceptable.
    pub residual_not_acceptable: Vec<RecordRef>,
    /// Releases, in path order.
    pub releases: Vec<ReleaseRiskView>,
    /// Risk management reports (DOC `rm-report`).
    pub reports: Vec<RecordRef>,
    /// Number of obsolete situations left out.
    pub obsolete: usize,
}

const RISK_RULES: &[&str] = &[
    "hs-estimated",
    "hs-controlled",
    "rc-implemented",
    "rc-verified",
    "residual-ok",
    "risk-transfer-disclosed",
    "threat-controlled",
    "cyber-chain",
];

/// The risk-rule findings of each record id.
fn risk_findings<'a>(input: &'a Input<'_>) -> BTreeMap<&'a str, Vec<String>> {
    let mut by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for d in &input.report.diagnostics {
        if let (Some(id), true) = (d.record.as_deref(), RISK_RULES.contains(&d.rule)) {
            let v = by.entry(id).or_default();
            if !v.iter().any(|r| r == d.rule) {
                v.push(d.rule.to_string());
            }
        }
    }
    by
}

fn live(r: &Record) -> bool {
    r.status() != "obsolete"
}

fn refs<I: IntoIterator<Item = usize>>(corpus: &Corpus, it: I) -> Vec<RecordRef> {
    let mut v: Vec<usize> = it.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v.into_iter().map(|j| ref_at(corpus, j)).collect()
}

/// The definitions of a scale's levels from the plan's `risk_policy` (`severity: {S1: ...}`).
fn scale_text(plan: Option<&Record>, scale: &str, label: &str) -> Option<String> {
    let p = plan?.get("risk_policy")?.get(scale)?.get(label)?;
    crate::record::scalar_text(p)
}

fn matrix_view(
    m: &Matrix,
    title: &str,
    scale: &str,
    letter: char,
    plan: Option<&Record>,
    source: String,
) -> MatrixView {
    let cell = |z: &str| ZoneCell {
        zone: z.to_string(),
        class: zone_class(m, z).to_string(),
    };
    let mut zones: Vec<&String> = m.rows.iter().flatten().collect();
    zones.sort_by_key(|z| (zone_rank(m, z), z.as_str()));
    zones.dedup();
    MatrixView {
        title: title.to_string(),
        scale: scale.to_string(),
        rows: (1..=m.levels())
            .rev()
            .map(|l| {
                let label = format!("{letter}{l}");
                MatrixRow {
                    meaning: scale_text(plan, scale, &label).unwrap_or_default(),
                    label,
                    cells: m.rows[l - 1].iter().map(|z| cell(z)).collect(),
                }
            })
            .collect(),
        columns: (1..=m.severities())
            .map(|s| {
                let label = format!("S{s}");
                ScaleLevel {
                    meaning: scale_text(plan, "severity", &label).unwrap_or_default(),
                    label,
                }
            })
            .collect(),
        acceptable: m.acceptable.clone(),
        reduce: m.reduce.clone(),
        source,
        zones: zones.into_iter().map(|z| cell(z)).collect(),
    }
}

/// The records of a heat map by (level, severity), both 1-based.
pub(crate) type Cells = BTreeMap<(usize, usize), Vec<Placed>>;

/// One record placed in a heat-map cell.
pub(crate) struct Placed {
    /// Id.
    pub id: String,
    /// Title (for the tooltip).
    pub title: String,
    /// Link relative to the page.
    pub href: Option<String>,
}

/// Draws a heat map of `m`: one cell per (level, severity), coloured by zone, showing the zone,
/// the number of records placed there and their ids as links. `cells` is keyed by
/// (level, severity), both 1-based. Every text is escaped.
pub(crate) fn heat_map_svg(m: &Matrix, letter: char, label: &str, cells: &Cells) -> String {
    const LEFT: usize = 40;
    const TOP: usize = 8;
    const W: usize = 96;
    const H: usize = 76;
    const BOTTOM: usize = 40;
    const PER_LINE: usize = 2;
    const LINES: usize = 3;
    let (nl, ns) = (m.levels(), m.severities());
    let width = LEFT + ns * W + 8;
    let height = TOP + nl * H + BOTTOM;
    let mut s = String::new();
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"group\" aria-label=\"{}\" font-family=\"system-ui, sans-serif\" font-size=\"11\">\n",
        escape(label)
    ));
    s.push_str(&format!("<title>{}</title>\n", escape(label)));
    for l in (1..=nl).rev() {
        let y = TOP + (nl - l) * H;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-weight=\"600\">{letter}{l}</text>\n",
            LEFT - 6,
            y + H / 2 + 4
        ));
        for sev in 1..=ns {
            let x = LEFT + (sev - 1) * W;
            let zone = m.zone(l, sev).unwrap_or("");
            let placed = cells.get(&(l, sev)).map_or(&[][..], Vec::as_slice);
            s.push_str(&format!(
                "<g class=\"cell\" data-cell=\"{letter}{l}-S{sev}\" data-zone=\"{}\" data-count=\"{}\">\n<rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"2\"/>\n<text x=\"{}\" y=\"{}\" fill=\"#3c4043\">{}</text>\n",
                escape(zone),
                placed.len(),
                fill(zone_class(m, zone)),
                x + 6,
                y + 15,
                escape(zone)
            ));
            if !placed.is_empty() {
                s.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"15\" font-weight=\"700\">{}</text>\n",
                    x + W - 6,
                    y + 17,
                    placed.len()
                ));
            }
            let room = PER_LINE * LINES;
            let shown = if placed.len() > room {
                room - 1
            } else {
                placed.len()
            };
            for (k, p) in placed.iter().take(shown).enumerate() {
                let tx = x + 6 + (k % PER_LINE) * (W / PER_LINE);
                let ty = y + 34 + (k / PER_LINE) * 14;
                let text = format!(
                    "<text x=\"{tx}\" y=\"{ty}\"><title>{} {}</title>{}</text>",
                    escape(&p.id),
                    escape(&p.title),
                    escape(&p.id)
                );
                match &p.href {
                    Some(h) => s.push_str(&format!("<a href=\"{}\">{text}</a>\n", escape(h))),
                    None => {
                        s.push_str(&text);
                        s.push('\n');
                    }
                }
            }
            if placed.len() > shown {
                let k = shown;
                s.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" fill=\"#3c4043\">+{} more</text>\n",
                    x + 6 + (k % PER_LINE) * (W / PER_LINE),
                    y + 34 + (k / PER_LINE) * 14,
                    placed.len() - shown
                ));
            }
            s.push_str("</g>\n");
        }
    }
    for sev in 1..=ns {
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"600\">S{sev}</text>\n",
            LEFT + (sev - 1) * W + W / 2,
            TOP + nl * H + 16
        ));
    }
    s.push_str(&format!(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#3c4043\">severity</text>\n",
        LEFT + ns * W / 2,
        TOP + nl * H + 33
    ));
    s.push_str("</svg>");
    s
}

fn risk_cell(s: Option<&Scored>, m: Option<&Matrix>, letter: char) -> RiskCell {
    match (s, m) {
        (Some(s), Some(m)) => RiskCell {
            likelihood: format!("{letter}{}", s.level),
            severity: format!("S{}", s.severity),
            zone: s.zone.clone(),
            class: zone_class(m, &s.zone).to_string(),
            acceptable: m.is_acceptable(&s.zone),
        },
        _ => RiskCell {
            likelihood: String::new(),
            severity: String::new(),
            zone: String::new(),
            class: String::new(),
            acceptable: false,
        },
    }
}

/// The view of the risk file.
pub fn view(input: &Input<'_>, site: &SiteView) -> RiskView {
    let corpus = input.corpus;
    let g = input.graph;
    let policy = &corpus.risk.policy;
    let findings = risk_findings(input);
    let found = |id: &str| findings.get(id).cloned().unwrap_or_default();
    let plans: Vec<usize> = corpus
        .records_of("document")
        .iter()
        .copied()
        .filter(|&i| {
            let r = &corpus.records[i];
            live(r) && r.str("doc_type") == Some("risk-mgmt-plan")
        })
        .collect();
    // The scale definitions come from the plan whose matrices are in force, else the first
    // approved plan, else the first.
    let in_force = corpus.risk.safety.plan();
    let plan = plans
        .iter()
        .map(|&i| &corpus.records[i])
        .find(|r| Some(r.id.as_str()) == in_force)
        .or_else(|| {
            plans
                .iter()
                .map(|&i| &corpus.records[i])
                .find(|r| r.status() == "approved")
        })
        .or_else(|| plans.first().map(|&i| &corpus.records[i]));
    let hs_all = corpus.records_of("hazardous-situation");
    let situations: Vec<usize> = hs_all
        .iter()
        .copied()
        .filter(|&i| live(&corpus.records[i]))
        .collect();
    let mut named_hazards = std::collections::BTreeSet::new();
    let mut hazards = Vec::with_capacity(situations.len());
    // (assessment, initial?) -> cells
    let mut maps: BTreeMap<(usize, bool), Cells> = BTreeMap::new();
    let mut unplaced: BTreeMap<(usize, bool), Vec<RecordRef>> = BTreeMap::new();
    let mut residual_counts: [BTreeMap<String, usize>; 2] = Default::default();
    let mut residual_not_acceptable = Vec::new();
    for &i in &situations {
        let r = &corpus.records[i];
        let h = hs_risk(policy, r);
        let m = h.scoring.map(|s| policy.matrix(s.assessment));
        let letter = h.scoring.map_or('P', |s| s.letter);
        let hz: Vec<usize> = g
            .outbound(i, "hazard")
            .filter(|&j| corpus.type_of(j) == "hazard")
            .collect();
        named_hazards.extend(hz.iter().copied());
        let br = refs(
            corpus,
            g.outbound(i, "benefit_risk")
                .filter(|&j| corpus.type_of(j) == "document"),
        );
        let residual = risk_cell(h.residual.as_ref(), m, letter);
        let acceptability = match (&h.residual, m) {
            (Some(_), Some(_)) if residual.acceptable => "acceptable".to_string(),
            (Some(res), Some(m)) if m.class(&res.zone) == crate::risk::ZoneClass::Unacceptable => {
                "NOT ACCEPTABLE: unacceptable zone, which no benefit-risk analysis can accept"
                    .into()
            }
            (Some(_), Some(_)) if !br.is_empty() => format!(
                "reduce as far as possible; benefit-risk: {}",
                br.iter().map(|b| &*b.id).collect::<Vec<_>>().join(", ")
            ),
            (Some(_), Some(_)) => "NOT ACCEPTABLE: no benefit-risk analysis".into(),
            _ => "not evaluated".into(),
        };
        if let (Some(s), Some(m)) = (h.scoring, m) {
            let k = match s.assessment {
                crate::risk::Assessment::Safety => 0,
                crate::risk::Assessment::Security => 1,
            };
            if let Some(res) = &h.residual {
                *residual_counts[k].entry(res.zone.clone()).or_default() += 1;
                if !m.is_acceptable(&res.zone) {
                    residual_not_acceptable.push(record_ref(corpus, r));
                }
            }
            for (initial, sc) in [(true, &h.initial), (false, &h.residual)] {
                match sc {
                    Some(sc) => maps
                        .entry((k, initial))
                        .or_default()
                        .entry((sc.level, sc.severity))
                        .or_default()
                        .push(Placed {
                            id: r.id.clone(),
                            title: r.title(),
                            href: super::views::record_href(corpus, &r.id),
                        }),
                    None => unplaced
                        .entry((k, initial))
                        .or_default()
                        .push(record_ref(corpus, r)),
                }
            }
        }
        hazards.push(HazardRow {
            situation: record_ref(corpus, r),
            hazards: refs(corpus, hz),
            threats: refs(
                corpus,
                g.outbound(i, "threats")
                    .filter(|&j| matches!(corpus.type_of(j), "threat" | "vulnerability")),
            ),
            harms: {
                let mut v: Vec<usize> = g
                    .outbound(i, "harms")
                    .filter(|&j| corpus.type_of(j) == "harm")
                    .collect();
                v.sort_unstable();
                v.dedup();
                v.into_iter()
                    .map(|j| HarmView {
                        record: ref_at(corpus, j),
                        severity: corpus.records[j].text("severity").unwrap_or_default(),
                    })
                    .collect()
            },
            assessment: h.scoring.map(|s| s.name.to_string()).unwrap_or_default(),
            initial: risk_cell(h.initial.as_ref(), m, letter),
            controls: refs(
                corpus,
                g.inbound(i, "mitigates")
                    .filter(|&j| corpus.type_of(j) == "risk-control" && live(&corpus.records[j])),
            ),
            residual,
            benefit_risk: br,
            acceptability,
            severity_reduced: matches!((&h.initial, &h.residual), (Some(a), Some(b)) if b.severity < a.severity),
            rationale: r.text("residual_rationale").unwrap_or_default(),
            walk: super::walk::walk_href(corpus, i),
            findings: found(&r.id),
        });
    }
    let hazards_without_situation = refs(
        corpus,
        corpus
            .records_of("hazard")
            .iter()
            .copied()
            .filter(|&i| live(&corpus.records[i]) && !named_hazards.contains(&i)),
    );
    let names = [
        ("safety", 'P', &policy.safety),
        ("security", 'E', &policy.security),
    ];
    let mut heat_maps = Vec::new();
    for (k, (name, letter, m)) in names.iter().enumerate() {
        for initial in [true, false] {
            let cells = maps.remove(&(k, initial)).unwrap_or_default();
            let title = format!(
                "{} risk, {name} ({letter} x S)",
                if initial { "Initial" } else { "Residual" }
            );
            heat_maps.push(HeatMapView {
                placed: cells.values().map(Vec::len).sum(),
                unplaced: unplaced.remove(&(k, initial)).unwrap_or_default(),
                svg: heat_map_svg(m, *letter, &title, &cells),
                title,
            });
        }
    }
    let controls = corpus
        .records_of("risk-control")
        .iter()
        .copied()
        .filter(|&i| live(&corpus.records[i]))
        .map(|i| {
            let r = &corpus.records[i];
            let vers: Vec<usize> = {
                let mut v: Vec<usize> = g
                    .inbound(i, "verifies")
                    .filter(|&j| corpus.type_of(j) == "verification" && live(&corpus.records[j]))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let checks = |check: &str| -> Vec<VerView> {
                vers.iter()
                    .map(|&j| &corpus.records[j])
                    .filter(|v| v.str("control_check") == Some(check))
                    .map(|v| VerView {
                        record: record_ref(corpus, v),
                        result: v.text("result").unwrap_or_else(|| "no result".into()),
                    })
                    .collect()
            };
            let implementation = checks("implementation");
            let effectiveness = checks("effectiveness");
            ControlRow {
                control: record_ref(corpus, r),
                option: r.text("option").unwrap_or_default(),
                kind: r.text("kind").unwrap_or_default(),
                mitigates: refs(corpus, g.outbound(i, "mitigates")),
                implemented_by: refs(
                    corpus,
                    g.inbound(i, "implements_control").filter(|&j| {
                        matches!(corpus.type_of(j), "design-input" | "design-output")
                            && live(&corpus.records[j])
                    }),
                ),
                implementation_ok: implementation.iter().any(|v| v.result == "pass"),
                effectiveness_ok: effectiveness.iter().any(|v| v.result == "pass"),
                implementation,
                effectiveness,
                new_risks: refs(corpus, g.outbound(i, "new_risks")),
                findings: found(&r.id),
            }
        })
        .collect();
    let docs_of = |kind: &str| -> Vec<usize> {
        corpus
            .records_of("document")
            .iter()
            .copied()
            .filter(|&i| corpus.records[i].str("doc_type") == Some(kind))
            .collect()
    };
    let benefit_risk = docs_of("benefit-risk")
        .into_iter()
        .map(|i| BenefitRiskView {
            record: ref_at(corpus, i),
            situations: refs(
                corpus,
                g.inbound(i, "benefit_risk")
                    .filter(|&j| corpus.type_of(j) == "hazardous-situation"),
            ),
        })
        .collect();
    let residual_counts = names
        .iter()
        .zip(residual_counts)
        .map(|((name, _, m), counts)| {
            let mut zones: Vec<&String> = m.rows.iter().flatten().collect();
            zones.sort_by_key(|z| (zone_rank(m, z), z.as_str()));
            zones.dedup();
            ResidualCounts {
                matrix: (*name).to_string(),
                zones: zones
                    .into_iter()
                    .map(|z| ZoneCount {
                        zone: z.clone(),
                        class: zone_class(m, z).to_string(),
                        count: counts.get(z).copied().unwrap_or(0),
                    })
                    .collect(),
            }
        })
        .collect();
    let p = &corpus.config.policy;
    RiskView {
        site: at_depth(site, ""),
        plans: plans
            .iter()
            .map(|&i| {
                let r = &corpus.records[i];
                let rev = r
                    .get("risk_policy")
                    .and_then(|v| v.get("revision"))
                    .and_then(crate::record::scalar_text)
                    .unwrap_or_default();
                PlanView {
                    record: record_ref(corpus, r),
                    revision: rev,
                }
            })
            .collect(),
        has_scales: ["severity", "probability", "exploitability"]
            .iter()
            .any(|s| plan.and_then(|p| p.get("risk_policy")?.get(*s)).is_some()),
        policy: vec![
            PolicySetting {
                name: "review_interval_days".into(),
                value: p.review_interval_days.to_string(),
            },
            PolicySetting {
                name: "eos_horizon_days".into(),
                value: p.eos_horizon_days.to_string(),
            },
            PolicySetting {
                name: "vuln_triage_days".into(),
                value: p.vuln_triage_days.to_string(),
            },
            PolicySetting {
                name: "class_b_severity".into(),
                value: format!("S{}", p.class_b_severity),
            },
            PolicySetting {
                name: "class_c_severity".into(),
                value: format!("S{}", p.class_c_severity),
            },
        ],
        matrices: vec![
            matrix_view(
                &policy.safety,
                "Safety: probability x severity",
                "probability",
                'P',
                plan,
                corpus.risk.safety.describe(),
            ),
            matrix_view(
                &policy.security,
                "Security: exploitability x severity",
                "exploitability",
                'E',
                plan,
                corpus.risk.security.describe(),
            ),
        ],
        hazards,
        hazards_without_situation,
        heat_maps,
        controls,
        benefit_risk,
        residual_counts,
        residual_not_acceptable,
        releases: corpus
            .records_of("release")
            .iter()
            .map(|&i| {
                let r = &corpus.records[i];
                ReleaseRiskView {
                    record: record_ref(corpus, r),
                    version: r.text("version").unwrap_or_default(),
                    overall_residual_risk: r.text("overall_residual_risk").unwrap_or_default(),
                    rm_review: r.text("rm_review").unwrap_or_default(),
                }
            })
            .collect(),
        reports: refs(corpus, docs_of("rm-report")),
        obsolete: hs_all.len() - situations.len(),
    }
}

/// The section's pages: `risk.html`.
pub fn pages(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    let view = view(input, site);
    Ok(vec![r.page("site/risk.html", "risk.html".into(), &view)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_map_counts_cells_and_escapes_text() {
        let m = RiskPolicy::default().safety;
        let mut cells: BTreeMap<(usize, usize), Vec<Placed>> = BTreeMap::new();
        for (id, title) in [
            ("HS-001", "a <script>alert(1)</script>"),
            ("HS-002", "b & c"),
        ] {
            cells.entry((3, 5)).or_default().push(Placed {
                id: id.into(),
                title: title.into(),
                href: Some(format!("records/{id}.html")),
            });
        }
        let svg = heat_map_svg(&m, 'P', "Initial <risk>", &cells);
        assert!(svg.contains("data-cell=\"P3-S5\" data-zone=\"U\" data-count=\"2\""));
        assert!(svg.contains("data-cell=\"P1-S1\" data-zone=\"A\" data-count=\"0\""));
        assert_eq!(svg.matches("<g class=\"cell\"").count(), 25);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("a &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("b &amp; c"));
        assert!(svg.contains("Initial &lt;risk&gt;"));
        assert!(svg.contains("<a href=\"records/HS-001.html\">"));
        // Deterministic.
        assert_eq!(svg, heat_map_svg(&m, 'P', "Initial <risk>", &cells));
    }

    #[test]
    fn a_full_cell_lists_what_fits_and_counts_the_rest() {
        let m = RiskPolicy::default().safety;
        let placed = (1..=9)
            .map(|n| Placed {
                id: format!("HS-{n:03}"),
                title: String::new(),
                href: None,
            })
            .collect();
        let cells = BTreeMap::from([((1, 1), placed)]);
        let svg = heat_map_svg(&m, 'P', "x", &cells);
        assert!(svg.contains("data-count=\"9\""));
        assert!(svg.contains("HS-005</text>"));
        assert!(!svg.contains("HS-006</text>"));
        assert!(svg.contains("+4 more"));
    }

    #[test]
    fn zone_classes_follow_the_matrix() {
        let p = RiskPolicy::default();
        assert_eq!(zone_class(&p.safety, "A"), "zone-ok");
        assert_eq!(zone_class(&p.safety, "R"), "zone-mid");
        assert_eq!(zone_class(&p.safety, "U"), "zone-high");
        assert_eq!(zone_class(&p.security, "C"), "zone-ok");
        assert_eq!(zone_class(&p.security, "U"), "zone-high");
    }
}
