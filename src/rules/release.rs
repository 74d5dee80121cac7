//! The release gate (`release-ready`) and the design-review plan (`dr-stages`): what an FDA
//! reviewer or an ISO 13485 auditor checks before a release is fielded (ISO 13485 7.3.5-7.3.8;
//! ISO 14971 8; 21 CFR Part 11; FDA premarket cybersecurity guidance V.A-V.C, VI.A; FD&C Act
//! 524B).
//!
//! The gate runs on every release that is `approved` or has a `fielded` date, against the DDF
//! being checked. Where Git history is read and the release's `commit` (or `tag`) is in it, "what
//! the release ships" is the records that existed at that commit, in the content they had there,
//! and a verification counts only on a baseline that commit contains; without history, the
//! records as they stand and their `status`. docs/release.md has the table of items.

use super::change::{baseline_position, validated_release, Revisions};
use super::Ctx;
use crate::date::Date;
use crate::history::approval::{blob_at, covers};
use crate::record::Record;
use rustc_hash::FxHashSet;
use serde::Serialize;

/// The record types a release ships: the design and risk management file. Process records
/// (people, change requests, CAPAs, signals, management reviews, vulnerabilities, anomalies,
/// releases) are not part of the baseline.
const SHIPPED: &[&str] = &[
    "user-need",
    "design-input",
    "design-output",
    "verification",
    "validation",
    "design-review",
    "hazard",
    "harm",
    "hazardous-situation",
    "risk-control",
    "threat",
    "component",
    "supplier",
    "document",
    "software-item",
];

/// The documents a cyber device's release needs approved (FD&C Act 524B(b); FDA premarket
/// cybersecurity guidance V.A, V.B, VI).
const CYBER_DOCS: &[(&str, &str)] = &[
    (
        "cyber-mgmt-plan",
        "cybersecurity management plan (524B(b)(1); guidance V.A)",
    ),
    (
        "cvd-policy",
        "coordinated vulnerability disclosure policy (524B(b)(1))",
    ),
    ("threat-model", "threat model (guidance V.A.2)"),
    (
        "security-rm-report",
        "security risk management report (guidance V.A.2)",
    ),
    ("rm-report", "risk management report (ISO 14971 9)"),
];

/// The architecture views (guidance V.B.2); use-case views match by prefix.
const VIEWS: &[&str] = &[
    "global-system",
    "multi-patient-harm",
    "updatability-patchability",
    "use-case:",
];

/// The cybersecurity labeling items of guidance VI.A a DO of kind `labeling` or `ifu` lists in
/// `cyber_labeling`.
pub const LABELING_ITEMS: &[&str] = &[
    "security-controls",
    "interfaces",
    "update-procedure",
    "sbom",
    "end-of-support",
    "cvd-contact",
];

/// The security tests of guidance V.C, each needed passing on a baseline the release contains:
/// (kind, the `security_test` values that count, what it is).
const SECURITY_TESTS: &[(&str, &[&str], &str)] = &[
    (
        "requirements",
        &["requirements"],
        "security requirements testing",
    ),
    (
        "threat-mitigation",
        &["threat-mitigation"],
        "threat mitigation testing",
    ),
    ("fuzz", &["fuzz"], "vulnerability testing: fuzzing"),
    (
        "sca",
        &["sca-binary", "vuln-scan"],
        "vulnerability testing: software composition analysis",
    ),
    (
        "pentest",
        &["pentest"],
        "penetration testing by an independent tester",
    ),
];

/// One item of the gate.
#[derive(Debug, Clone, Serialize)]
pub struct GateItem {
    /// Stable key (`approved`, `validated`, `verified`, `final-review`, `cyber-docs`,
    /// `cyber-labeling`, `security-tests`, `vex`, `use-docs`, `anomalies`).
    pub item: &'static str,
    /// What it asks, in words.
    pub title: &'static str,
    /// The clause it serves.
    pub clause: &'static str,
    /// Whether it holds (`None`: not applicable, e.g. the cyber items of a non-cyber device).
    pub ok: Option<bool>,
    /// What was found, in one sentence.
    pub detail: String,
    /// The ids (or names) that fail it, sorted.
    pub missing: Vec<String>,
}

/// The gate of one release.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// The release id.
    pub release: String,
    /// Its version.
    pub version: String,
    /// Whether every applicable item holds.
    pub ready: bool,
    /// Whether signatures were judged from Git history (else from `status`: no history, or
    /// `status-signed` switched off).
    pub signatures_verified: bool,
    /// Whether the release's commit was found in the history read.
    pub baseline_in_history: bool,
    /// The items, in documentation order.
    pub items: Vec<GateItem>,
    /// The known anomalies the release contains (IEC 62304 5.8.3; FDA "unresolved anomalies"):
    /// the live ANOMs that name it in `fielded`, other than `not-a-defect`, sorted by id.
    pub residual_anomalies: Vec<super::anomaly::ResidualAnomaly>,
}

/// Whether the gate applies to `r`: a release that is approved or fielded.
pub fn is_gated(r: &Record) -> bool {
    r.type_name == "release"
        && r.status() != "obsolete"
        && (r.status() == "approved" || fielded(r).is_some())
}

fn fielded(r: &Record) -> Option<Date> {
    r.text("fielded").and_then(|d| Date::parse(&d))
}

/// Releases `rel` contains: itself and every release in its `prior` chain.
fn contained_releases<'c>(ctx: &Ctx<'c>, rel: &'c Record) -> Vec<&'c Record> {
    let mut seen: FxHashSet<&str> = FxHashSet::default();
    let mut out = Vec::new();
    let mut stack = vec![rel];
    while let Some(r) = stack.pop() {
        if !seen.insert(r.id.as_str()) {
            continue;
        }
        out.push(r);
        for p in r.links_of("prior") {
            if let Some(pr) = ctx.corpus.get(p).filter(|x| x.type_name == "release") {
                stack.push(pr);
            }
        }
    }
    out
}

/// Decides whether a verification or validation baseline lies in a release.
struct Baselines<'a, 'c> {
    ctx: &'a Ctx<'c>,
    revs: Option<Revisions<'a>>,
    /// Ids, tags, versions and commits of the releases the release contains.
    names: FxHashSet<String>,
    /// The release's position in history, when found.
    pos: Option<usize>,
}

impl Baselines<'_, '_> {
    fn contains(&self, baseline: &str) -> bool {
        let b = baseline.trim();
        if self.names.contains(b) {
            return true;
        }
        if let (Some(h), Some(revs), Some(at)) = (self.ctx.history, &self.revs, self.pos) {
            if let Some(p) = baseline_position(self.ctx, h, b, revs) {
                return h.history.is_ancestor(p, at);
            }
        }
        false
    }
}

/// Evaluates the gate of release `rel`.
pub fn evaluate(ctx: &Ctx<'_>, rel: &Record, repo: Option<&git2::Repository>) -> Gate {
    let corpus = ctx.corpus;
    let h = ctx.history;
    let contained = contained_releases(ctx, rel);
    let mut names = FxHashSet::default();
    for r in &contained {
        names.insert(r.id.clone());
        for f in ["tag", "version", "commit"] {
            if let Some(v) = r.text(f) {
                names.insert(v);
            }
        }
    }
    let revs = repo.map(Revisions::new);
    let pos = h
        .zip(revs.as_ref())
        .and_then(|(h, revs)| baseline_position(ctx, h, &rel.id, revs));
    let baselines = Baselines {
        ctx,
        revs,
        names,
        pos,
    };
    let until = fielded(rel);
    let counts_by_date =
        |r: &Record| match (until, r.text("executed_on").and_then(|d| Date::parse(&d))) {
            (Some(f), Some(d)) => d <= f,
            _ => true,
        };
    let live = |t: &'static str| {
        corpus
            .records_of(t)
            .iter()
            .map(|&i| &corpus.records[i])
            .filter(|r| r.status() != "obsolete")
    };
    // What the release ships: with its commit in history, the records that existed there.
    let shipped_blob = |r: &Record| -> Option<String> {
        match (h, pos) {
            (Some(h), Some(p)) => blob_at(h.history, &r.id, p),
            _ => Some(r.blob.clone()),
        }
    };
    let mut items = Vec::new();
    // Signatures are judged when the project verifies them (`status-signed` on); a project that
    // switched that rule off is gated on statuses, and the summary says so.
    let signed = h.is_some()
        && corpus
            .config
            .severity_of("status-signed", crate::diagnostic::Severity::Error)
            .is_some();

    // 6. Every record the release ships is approved with a valid `approval` signature.
    let mut unapproved = Vec::new();
    for t in SHIPPED {
        for r in live(t) {
            let Some(blob) = shipped_blob(r) else {
                continue;
            };
            let ok = match h.filter(|_| signed) {
                Some(h) => h.approvals_of(&r.id).any(|a| {
                    a.is_valid() && a.means("approval") && covers(h.history, a, &r.id, &blob)
                }),
                None => r.status() == "approved",
            };
            if !ok {
                unapproved.push(r.id.clone());
            }
        }
    }
    items.push(item(
        "approved",
        "every record the release ships is approved",
        "ISO 13485 4.2.4, 7.3.8; 21 CFR 11.70",
        unapproved,
        if signed {
            "without a valid signed `approval` of the content shipped"
        } else {
            "not `approved` (signatures not verified: no Git history, or `status-signed` off; statuses taken at their word)"
        },
    ));

    // 7. Every user need validated, every design input verified, on a baseline the release
    // contains and no later than it was fielded.
    let mut not_validated = Vec::new();
    // Only what the release shipped: a need or an input written after its commit is not its.
    for un in live("user-need").filter(|r| shipped_blob(r).is_some()) {
        let Some(&un_index) = corpus.by_id.get(&un.id) else {
            continue;
        };
        // Through the graph's inbound links: scanning every validation per need would cost
        // needs x validations.
        let ok = ctx.graph.inbound(un_index, "validates").any(|vi| {
            let v = &corpus.records[vi];
            v.type_name == "validation"
                && v.status() != "obsolete"
                && v.str("result") == Some("pass")
                && counts_by_date(v)
                && validated_release(v).is_some_and(|b| baselines.contains(&b))
        });
        if !ok {
            not_validated.push(un.id.clone());
        }
    }
    items.push(item(
        "validated",
        "every user need is validated on this release or one it contains",
        "ISO 13485 7.3.7",
        not_validated,
        "without a passing validation whose `product_config.release` the release contains",
    ));
    let mut not_verified = Vec::new();
    for di in live("design-input").filter(|r| shipped_blob(r).is_some()) {
        let Some(&di_index) = corpus.by_id.get(&di.id) else {
            continue;
        };
        let ok = ctx.graph.inbound(di_index, "verifies").any(|vi| {
            let v = &corpus.records[vi];
            v.type_name == "verification"
                && v.status() != "obsolete"
                && v.str("result") == Some("pass")
                && counts_by_date(v)
                && v.text("baseline").is_some_and(|b| baselines.contains(&b))
        });
        if !ok {
            not_verified.push(di.id.clone());
        }
    }
    items.push(item(
        "verified",
        "every design input is verified on a baseline the release contains",
        "ISO 13485 7.3.6",
        not_verified,
        "without a passing verification on a baseline the release contains, executed by the day it was fielded",
    ));

    // 8. A final design review of this release with its actions closed.
    let finals: Vec<&Record> = live("design-review")
        .filter(|d| is_final_stage(d.str("stage").unwrap_or("")))
        .filter(|d| {
            d.links_of("reviewed").any(|x| x == rel.id)
                || d.text("baseline")
                    .is_some_and(|b| baselines.names.contains(b.trim()))
        })
        .collect();
    let final_ok = finals.iter().any(|d| {
        matches!(d.str("outcome"), Some("approved" | "approved-with-actions"))
            && open_actions(d) == 0
    });
    items.push(GateItem {
        item: "final-review",
        title: "a final design review of the release, its actions closed",
        clause: "ISO 13485 7.3.5, 7.3.8",
        ok: Some(final_ok),
        detail: if final_ok {
            finals
                .iter()
                .map(|d| d.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else if finals.is_empty() {
            format!(
                "no design review of stage final, transfer or release names {} in `reviewed`",
                rel.id
            )
        } else {
            format!(
                "{} is not approved or has open actions",
                finals
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        missing: Vec::new(),
    });

    // 9. A cyber device's documents, labeling, security tests and VEX.
    let cyber = rel.flag("cyber_device");
    let docs: Vec<&Record> = live("document").collect();
    let approved: Vec<&Record> = docs
        .iter()
        .copied()
        .filter(|d| d.status() == "approved")
        .collect();
    let mut missing_docs = Vec::new();
    if cyber {
        for (kind, what) in CYBER_DOCS {
            if !approved.iter().any(|d| d.str("doc_type") == Some(kind)) {
                missing_docs.push(format!("{kind} ({what})"));
            }
        }
        let not_applicable: Vec<String> = docs
            .iter()
            .filter(|d| d.str("doc_type") == Some("cyber-mgmt-plan"))
            .filter_map(|d| match d.get("views_na") {
                Some(serde_yaml::Value::Mapping(m)) => Some(
                    m.keys()
                        .filter_map(crate::record::scalar_text)
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        for view in VIEWS {
            let key = view.trim_end_matches(':');
            if not_applicable.iter().any(|n| n == key || n == *view) {
                continue;
            }
            let found = approved.iter().any(|d| {
                d.str("doc_type") == Some("architecture-view")
                    && d.str("view_type").is_some_and(|v| {
                        if view.ends_with(':') {
                            v.starts_with(view)
                        } else {
                            v == *view
                        }
                    })
            });
            if !found {
                missing_docs.push(format!("architecture view {key}"));
            }
        }
    }
    items.push(cyber_item(
        cyber,
        "cyber-docs",
        "the cybersecurity plans, policy, threat model, reports and architecture views are approved",
        "FD&C Act 524B(b); FDA cybersecurity guidance V.A, V.B.2",
        missing_docs,
        "not approved, or missing",
    ));

    let mut labeling_missing = Vec::new();
    if cyber {
        let mut covered: FxHashSet<String> = FxHashSet::default();
        for d in live("design-output") {
            if matches!(d.str("output_kind"), Some("labeling" | "ifu")) {
                covered.extend(d.list("cyber_labeling"));
            }
        }
        labeling_missing = LABELING_ITEMS
            .iter()
            .filter(|i| !covered.contains(**i))
            .map(|i| i.to_string())
            .collect();
    }
    items.push(cyber_item(
        cyber,
        "cyber-labeling",
        "the labeling gives the cybersecurity information FDA asks for",
        "FDA cybersecurity guidance VI.A; FD&C Act 524B(b)(3)",
        labeling_missing,
        "items no labeling or IFU output lists in `cyber_labeling`",
    ));

    let mut tests_missing = Vec::new();
    if cyber {
        for (kind, values, what) in SECURITY_TESTS {
            let ok = live("verification").any(|v| {
                v.str("method") == Some("security-test")
                    && v.str("result") == Some("pass")
                    && v.str("security_test").is_some_and(|t| values.contains(&t))
                    && (*kind != "pentest"
                        || matches!(
                            v.str("independence"),
                            Some("internal-independent" | "third-party")
                        ))
                    && counts_by_date(v)
                    && v.text("baseline").is_some_and(|b| baselines.contains(&b))
            });
            if !ok {
                tests_missing.push(format!("{kind} ({what})"));
            }
        }
    }
    items.push(cyber_item(
        cyber,
        "security-tests",
        "security testing of each kind passed on a baseline the release contains",
        "FDA cybersecurity guidance V.C",
        tests_missing,
        "kinds without a passing security test on a baseline the release contains, executed by the day it was fielded",
    ));

    let mut untriaged = Vec::new();
    if cyber {
        let shipped_cmps: FxHashSet<&str> = live("component")
            .filter(|c| shipped_blob(c).is_some())
            .map(|c| c.id.as_str())
            .collect();
        for v in live("vulnerability") {
            let ours = v.links_of("fielded").any(|x| x == rel.id)
                || v.links_of("affects").any(|x| shipped_cmps.contains(x));
            if ours && matches!(v.str("state"), None | Some("in_triage")) {
                untriaged.push(v.id.clone());
            }
        }
    }
    items.push(cyber_item(
        cyber,
        "vex",
        "every known vulnerability of a shipped component is assessed",
        "FD&C Act 524B(b)(2); FDA cybersecurity guidance V.A.4",
        untriaged,
        "vulnerabilities still `in_triage` (no VEX status)",
    ));

    // 10. The intended use, foreseeable misuse and (a cyber device) interoperability, approved.
    let use_missing: Vec<String> = super::intended_use::missing_use_docs(&[rel], |t| {
        approved.iter().any(|d| d.str("doc_type") == Some(t))
    })
    .into_iter()
    .map(|(t, _)| t.to_string())
    .collect();
    items.push(item(
        "use-docs",
        "the intended use, foreseeable misuse and (cyber device) interoperability are documented and approved",
        "ISO 14971 5.2; FDA cybersecurity guidance V.A.3",
        use_missing,
        "document types without an approved DOC",
    ));

    // 11. Every anomaly the release contains is assessed and decided; the rest are its residual
    // anomalies.
    let residual = super::anomaly::residual_anomalies(corpus, &rel.id);
    let unassessed: Vec<String> = residual
        .iter()
        .filter(|a| !a.unassessed.is_empty())
        .map(|a| a.id.clone())
        .collect();
    let mut anomalies = item(
        "anomalies",
        "every anomaly the release contains is assessed and decided",
        "IEC 62304 5.8.2-5.8.3; FDA cybersecurity guidance V.A.5",
        unassessed,
        "anomalies present in the release without a safety (or security) assessment and a decision",
    );
    if anomalies.ok == Some(true) {
        anomalies.detail = if residual.is_empty() {
            "no residual anomaly".into()
        } else {
            format!(
                "{} residual, each assessed: {}",
                residual.len(),
                list(&residual.iter().map(|a| a.id.clone()).collect::<Vec<_>>())
            )
        };
    }
    items.push(anomalies);

    let ready = items.iter().all(|i| i.ok != Some(false));
    Gate {
        release: rel.id.clone(),
        version: rel.text("version").unwrap_or_default(),
        ready,
        signatures_verified: signed,
        baseline_in_history: pos.is_some(),
        items,
        residual_anomalies: residual,
    }
}

/// Whether a design-review stage is a final one: its name says final, transfer or release.
fn is_final_stage(stage: &str) -> bool {
    let s = stage.to_ascii_lowercase();
    ["final", "transfer", "release"]
        .iter()
        .any(|k| s.contains(k))
}

/// The actions of a design review without `closed_by`.
fn open_actions(d: &Record) -> usize {
    match d.get("actions") {
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .filter(|a| {
                a.get("closed_by")
                    .and_then(crate::record::scalar_text)
                    .is_none_or(|s| s.trim().is_empty())
            })
            .count(),
        _ => 0,
    }
}

fn item(
    key: &'static str,
    title: &'static str,
    clause: &'static str,
    mut missing: Vec<String>,
    why: &str,
) -> GateItem {
    missing.sort();
    let detail = if missing.is_empty() {
        "all".to_string()
    } else {
        format!("{} {why}: {}", missing.len(), list(&missing))
    };
    GateItem {
        item: key,
        title,
        clause,
        ok: Some(missing.is_empty()),
        detail,
        missing,
    }
}

fn cyber_item(
    cyber: bool,
    key: &'static str,
    title: &'static str,
    clause: &'static str,
    missing: Vec<String>,
    why: &str,
) -> GateItem {
    if !cyber {
        return GateItem {
            item: key,
            title,
            clause,
            ok: None,
            detail: "not a cyber device (`cyber_device: false`)".into(),
            missing,
        };
    }
    let mut g = item(key, title, clause, missing, why);
    if g.ok == Some(true) {
        g.detail = "all".into();
    }
    g
}

/// The first ten of `ids`, and how many more.
fn list(ids: &[String]) -> String {
    let mut s = ids.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > 10 {
        s.push_str(&format!(" and {} more", ids.len() - 10));
    }
    s
}

/// The gate of release `id` in the DDF `ctx` sees, whether or not the release is approved or
/// fielded yet (`ddf check --release`). `None` when no release has that id.
pub fn gate_of(ctx: &Ctx<'_>, id: &str) -> Option<Gate> {
    let rel = ctx.corpus.get(id).filter(|r| r.type_name == "release")?;
    let repo = ctx
        .history
        .and_then(|h| git2::Repository::discover(&h.history.workdir).ok());
    Some(evaluate(ctx, rel, repo.as_ref()))
}

/// The gate as a release manager pastes it into the release record: Markdown.
pub fn markdown(g: &Gate) -> String {
    let mut s = format!(
        "### Release gate of {} ({}): {}\n\n{}\n\n| | item | clause | result |\n|---|---|---|---|\n",
        g.release,
        g.version,
        if g.ready { "ready" } else { "NOT READY" },
        signatures_note(g)
    );
    for i in &g.items {
        s.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            mark(i.ok),
            i.title,
            i.clause,
            i.detail.replace('|', "\\|")
        ));
    }
    if !g.residual_anomalies.is_empty() {
        s.push_str("\n#### Residual anomalies\n\n| anomaly | decision | found in | safety | security | rationale |\n|---|---|---|---|---|---|\n");
        let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
        for a in &g.residual_anomalies {
            s.push_str(&format!(
                "| {} {} | {} | {} | {} | {} | {} |\n",
                a.id,
                cell(&a.title),
                cell(&a.decision),
                cell(&a.found_in),
                cell(&a.safety_assessment),
                cell(&[a.cwe.as_deref().unwrap_or(""), &a.security_assessment].join(" ")),
                cell(&a.rationale)
            ));
        }
    }
    s
}

/// The gate as plain text, one line per item.
pub fn text(g: &Gate) -> String {
    let mut s = format!(
        "Release gate of {} ({}): {}\n{}\n",
        g.release,
        g.version,
        if g.ready { "ready" } else { "NOT READY" },
        signatures_note(g)
    );
    for i in &g.items {
        s.push_str(&format!(
            "  {} {:<15} {}: {}\n",
            mark(i.ok),
            i.item,
            i.title,
            i.detail
        ));
    }
    s.push_str(&residual_text(&g.residual_anomalies));
    s
}

/// The residual anomalies as plain text, one line each (`ddf check --release`, `ddf show REL`).
pub fn residual_text(anomalies: &[super::anomaly::ResidualAnomaly]) -> String {
    let mut s = format!("Residual anomalies ({}):\n", anomalies.len());
    if anomalies.is_empty() {
        s.push_str("  (none)\n");
    }
    for a in anomalies {
        let decision = if a.decision.is_empty() {
            "undecided"
        } else {
            a.decision.as_str()
        };
        s.push_str(&format!("  {} [{decision}] {}", a.id, a.title));
        if let Some(c) = &a.cwe {
            s.push_str(&format!(" ({c})"));
        }
        if !a.rationale.is_empty() {
            s.push_str(&format!(": {}", a.rationale.replace('\n', " ")));
        }
        if !a.unassessed.is_empty() {
            s.push_str(&format!(" -- NOT ASSESSED: {}", a.unassessed.join(", ")));
        }
        s.push('\n');
    }
    s
}

fn mark(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "ok",
        Some(false) => "NO",
        None => "n/a",
    }
}

fn signatures_note(g: &Gate) -> &'static str {
    match (g.signatures_verified, g.baseline_in_history) {
        (true, true) => "Signatures verified from Git history, on the content at the release's commit.",
        (true, false) => "Signatures verified from Git history, on the current content (the release's commit is not in the history read).",
        (false, _) => "Signatures not verified (no Git history, or `status-signed` off): `approved` statuses taken at their word.",
    }
}

/// `release-ready` on every gated release, and `dr-stages`.
pub(super) fn run(ctx: &mut Ctx<'_>) {
    let repo = ctx
        .history
        .and_then(|h| git2::Repository::discover(&h.history.workdir).ok());
    let corpus = ctx.corpus;
    // The newest releases: those no other live release names in `prior`. An older release was
    // gated when it was the newest; its evidence has since moved on (verifications re-run on later
    // baselines), so it is gated on demand (`ddf check --release`, with `--rev` of its tag).
    let live: Vec<&Record> = corpus
        .records_of("release")
        .iter()
        .map(|&i| &corpus.records[i])
        .filter(|r| r.status() != "obsolete")
        .collect();
    let named_prior: FxHashSet<&str> = live.iter().flat_map(|r| r.links_of("prior")).collect();
    let gated: Vec<&Record> = live
        .into_iter()
        .filter(|r| is_gated(r) && !named_prior.contains(r.id.as_str()))
        .collect();
    for rel in gated {
        let gate = evaluate(ctx, rel, repo.as_ref());
        for i in gate.items.iter().filter(|i| i.ok == Some(false)) {
            ctx.emit(
                "release-ready",
                rel,
                rel.index.value_pos("status").or(rel.index.value_pos("fielded")),
                format!("{} is not ready for release: {}: {}", rel.id, i.title, i.detail),
                &format!(
                    "`ddf check --release {}` prints the whole gate; docs/release.md says what each item needs",
                    rel.id
                ),
            );
        }
    }
    dr_stages(ctx);
}

/// `dr-stages`: every design-review stage the approved design and development plan declares
/// (`review_stages`) has a design review (ISO 13485 7.3.2 b), 7.3.5).
fn dr_stages(ctx: &mut Ctx<'_>) {
    let held: FxHashSet<String> = ctx
        .of_type("design-review")
        .filter_map(|(_, d)| d.text("stage"))
        .collect();
    let plans: Vec<&Record> = ctx
        .of_type("document")
        .map(|(_, d)| d)
        .filter(|d| d.str("doc_type") == Some("dd-plan") && d.status() == "approved")
        .collect();
    for plan in plans {
        let missing: Vec<String> = plan
            .list("review_stages")
            .into_iter()
            .filter(|s| !held.contains(s))
            .collect();
        if missing.is_empty() {
            continue;
        }
        ctx.emit(
            "dr-stages",
            plan,
            plan.index.value_pos("review_stages"),
            format!(
                "{} plans design reviews at the stages {}, and none was held for {}",
                plan.id,
                plan.list("review_stages").join(", "),
                missing.join(", ")
            ),
            "record each planned review as a DR with that `stage`, or amend the plan",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_stages() {
        assert!(is_final_stage("final"));
        assert!(is_final_stage("validation-and-transfer"));
        assert!(is_final_stage("change-release-review"));
        assert!(!is_final_stage("design-inputs"));
    }

    #[test]
    fn long_lists_are_cut() {
        let ids: Vec<String> = (0..12).map(|i| format!("DI-{i:03}")).collect();
        assert!(list(&ids).ends_with("DI-009 and 2 more"));
    }
}

#[cfg(test)]
mod gate_tests {
    use crate::rules::testing::{messages, rec, run_with};

    const CFG: &str = "project: test\n";

    fn rel(id: &str, extra: &str) -> String {
        rec(
            "release",
            id,
            &format!("version: '1.0'\ntag: v1.0\ncommit: abc\nsbom: []\ntransfer: t\noverall_residual_risk: o\nrm_review: r\nsupport_end: 2030-01-01\n{extra}"),
        )
    }

    /// A complete small DDF: a need validated and an input verified on REL-001, a final review.
    fn complete(rel_extra: &str) -> Vec<String> {
        vec![
            rel("REL-001", &format!("cyber_device: false\nfielded: 2026-03-01\n{rel_extra}")),
            rec("user-need", "UN-001", "statement: s\nsource: user\n"),
            rec("design-input", "DI-001", "statement: s\ncategory: functional\nacceptance_criteria: a\ntraces_to: [UN-001]\n"),
            rec("design-output", "DO-001", "description: d\noutput_kind: spec\nessential: false\nsatisfies: [DI-001]\n"),
            rec("verification", "VER-001", "method: test\nacceptance_criteria: a\nresult: pass\nexecuted_on: 2026-02-01\nbaseline: REL-001\nevidence: e\nverifies: [DI-001]\n"),
            rec("validation", "VAL-001", "method: simulated-use\nresult: pass\nproduct_config: { release: REL-001 }\nexecuted_on: 2026-02-10\nevidence: e\nvalidates: [UN-001]\n"),
            rec("design-review", "DR-001", "stage: final\ndate: 2026-02-20\nparticipants: [{ person: PER-001, function: q }]\nbaseline: REL-001\noutcome: approved\nactions: []\nreviewed: [REL-001]\n"),
            rec("document", "DOC-901", "doc_type: intended-use\neffective: 2026-01-01\nreview_due: 2027-01-01\n"),
            rec("document", "DOC-902", "doc_type: foreseeable-misuse\neffective: 2026-01-01\nreview_due: 2027-01-01\n"),
            rec("document", "DOC-903", "doc_type: interoperability\neffective: 2026-01-01\nreview_due: 2027-01-01\n"),
        ]
    }

    fn gate_messages(records: &[String], id: &str) -> Vec<String> {
        let d = run_with(CFG, records);
        messages(&d, "release-ready", id)
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn a_complete_release_passes() {
        assert_eq!(
            gate_messages(&complete(""), "REL-001"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn draft_records_and_a_need_nobody_validated_fail_the_gate() {
        let mut r = complete("");
        r.push(rec(
            "user-need",
            "UN-002",
            "status: draft\nstatement: s\nsource: user\n",
        ));
        let m = gate_messages(&r, "REL-001");
        assert!(
            m.iter()
                .any(|m| m.contains("every record the release ships is approved")
                    && m.contains("UN-002")),
            "{m:?}"
        );
        assert!(
            m.iter()
                .any(|m| m.contains("every user need is validated") && m.contains("UN-002")),
            "{m:?}"
        );
    }

    #[test]
    fn verification_after_the_release_or_on_a_later_baseline_does_not_count() {
        let mut r = complete("");
        r[4] = r[4].replace("executed_on: 2026-02-01", "executed_on: 2026-04-01");
        let m = gate_messages(&r, "REL-001");
        assert!(
            m.iter()
                .any(|m| m.contains("every design input is verified") && m.contains("DI-001")),
            "{m:?}"
        );

        let mut r = complete("");
        r[4] = r[4].replace("baseline: REL-001", "baseline: REL-002");
        r.push(rel(
            "REL-002",
            "status: draft\ncyber_device: false\nfielded: false\nprior: [REL-001]\n",
        ));
        let m = gate_messages(&r, "REL-001");
        // REL-001 is no longer the newest release, so the rule leaves it alone ...
        assert!(m.is_empty(), "{m:?}");
        // ... but its gate, asked for, fails on the verification REL-001 does not contain.
        let corpus = crate::rules::testing::corpus(
            CFG,
            &r.iter()
                .chain([crate::rules::testing::PER.to_string()].iter())
                .map(|t| {
                    let id = t
                        .lines()
                        .nth(1)
                        .unwrap_or("")
                        .trim_start_matches("id: ")
                        .to_string();
                    (format!("records/{id}.md"), t.clone())
                })
                .collect::<Vec<_>>(),
        );
        let graph = crate::graph::Graph::build(&corpus);
        let ctx = crate::rules::Ctx::new(
            &corpus,
            &graph,
            crate::date::Date::parse("2026-06-01").expect("date"),
        );
        let g = super::gate_of(&ctx, "REL-001").expect("gate");
        assert!(!g.ready);
        let verified = g.items.iter().find(|i| i.item == "verified").expect("item");
        assert_eq!(verified.missing, vec!["DI-001".to_string()]);
        assert!(
            super::text(&g).contains("NO verified"),
            "{}",
            super::text(&g)
        );
        assert!(super::markdown(&g).contains("| NO | every design input is verified"));
    }

    #[test]
    fn a_release_needs_a_final_review_with_its_actions_closed() {
        let mut r = complete("");
        r[6] = r[6].replace("outcome: approved\nactions: []", "outcome: approved-with-actions\nactions: [{ text: fix, owner: PER-001, due: 2026-03-01 }]");
        let m = gate_messages(&r, "REL-001");
        assert!(
            m.iter()
                .any(|m| m.contains("final design review") && m.contains("open actions")),
            "{m:?}"
        );
        let mut r = complete("");
        r[6] = r[6].replace("stage: final", "stage: design-inputs");
        let m = gate_messages(&r, "REL-001");
        assert!(
            m.iter()
                .any(|m| m.contains("no design review of stage final")),
            "{m:?}"
        );
    }

    #[test]
    fn a_cyber_device_needs_its_documents_labeling_tests_and_vex() {
        let mut r = complete("");
        r[0] = r[0].replace("cyber_device: false", "cyber_device: true");
        r.push(rec("vulnerability", "VULN-001", "vuln_id: CVE-2026-0001\naliases: []\nsource: osv\ndiscovered: 2026-01-01\nstate: in_triage\nexploitability: E2\nseverity: S2\nfielded: [REL-001]\n"));
        let m = gate_messages(&r, "REL-001");
        for want in [
            "cyber-mgmt-plan",
            "architecture view global-system",
            "cvd-contact",
            "pentest (penetration testing by an independent tester)",
            "VULN-001",
        ] {
            assert!(m.iter().any(|m| m.contains(want)), "{want}: {m:?}");
        }
        // A developer's own penetration test is not independent.
        r.push(rec("verification", "VER-009", "method: security-test\nsecurity_test: pentest\nindependence: developer\nacceptance_criteria: a\nresult: pass\nexecuted_on: 2026-02-01\nbaseline: REL-001\nevidence: e\nverifies: [DI-001]\n"));
        let m = gate_messages(&r, "REL-001");
        assert!(m.iter().any(|m| m.contains("pentest (")), "{m:?}");
    }

    #[test]
    fn a_release_with_an_unassessed_anomaly_is_refused_and_lists_its_residual_anomalies() {
        let mut r = complete("");
        r.push(rec("anomaly", "ANOM-001", "description: d\nfound_in: testing\ndiscovered: 2026-01-05\ndecision: defer\nrationale: cosmetic\nsafety_assessment: no hazard\nfielded: [REL-001]\n"));
        r.push(rec("anomaly", "ANOM-002", "description: d\nfound_in: field\ndiscovered: 2026-01-06\ndecision: in-analysis\nfielded: [REL-001]\n"));
        r.push(rec("anomaly", "ANOM-003", "description: d\nfound_in: review\ndiscovered: 2026-01-06\ndecision: not-a-defect\nrationale: as designed\nsafety_assessment: none\nfielded: [REL-001]\n"));
        let m = gate_messages(&r, "REL-001");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("every anomaly the release contains is assessed and decided: 1 anomalies present in the release without a safety (or security) assessment and a decision: ANOM-002"), "{m:?}");
        let corpus = crate::rules::testing::corpus(
            CFG,
            &r.iter()
                .enumerate()
                .map(|(i, t)| (format!("records/{i}.md"), t.clone()))
                .chain([(
                    "records/PER.md".to_string(),
                    crate::rules::testing::PER.to_string(),
                )])
                .collect::<Vec<_>>(),
        );
        let graph = crate::graph::Graph::build(&corpus);
        let today = crate::date::Date::parse(crate::rules::testing::TODAY).expect("date");
        let ctx = super::Ctx::new(&corpus, &graph, today);
        let gate = super::gate_of(&ctx, "REL-001").expect("gate");
        assert!(!gate.ready);
        let ids: Vec<&str> = gate
            .residual_anomalies
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(ids, ["ANOM-001", "ANOM-002"]);
        let text = super::text(&gate);
        assert!(text.contains("Residual anomalies (2):"), "{text}");
        assert!(text.contains("ANOM-001 [defer] T: cosmetic"), "{text}");
        assert!(
            text.contains("ANOM-002 [in-analysis] T -- NOT ASSESSED"),
            "{text}"
        );
        assert!(super::markdown(&gate).contains("#### Residual anomalies"));
    }

    #[test]
    fn a_release_needs_its_use_documents_approved() {
        let mut r = complete("");
        r.retain(|t| !t.contains("doc_type: foreseeable-misuse"));
        let m = gate_messages(&r, "REL-001");
        assert!(
            m.iter()
                .any(|m| m.contains("document types without an approved DOC: foreseeable-misuse")),
            "{m:?}"
        );
        // A cyber device needs interoperability too.
        let mut r = complete("");
        r.retain(|t| !t.contains("doc_type: interoperability"));
        assert!(gate_messages(&r, "REL-001").is_empty());
        r[0] = r[0].replace("cyber_device: false", "cyber_device: true");
        let m = gate_messages(&r, "REL-001");
        assert!(
            m.iter()
                .any(|m| m.contains("approved DOC: interoperability")),
            "{m:?}"
        );
    }

    #[test]
    fn a_non_cyber_device_skips_the_cyber_items() {
        let d = run_with(CFG, &complete(""));
        assert!(messages(&d, "release-ready", "REL-001").is_empty());
    }

    #[test]
    fn every_planned_review_stage_is_held() {
        let mut r = complete("");
        r.push(rec("document", "DOC-001", "doc_type: dd-plan\neffective: 2026-01-01\nreview_due: 2027-01-01\nreview_stages: [design-inputs, final]\n"));
        let d = run_with(CFG, &r);
        let m = messages(&d, "dr-stages", "DOC-001");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("none was held for design-inputs"), "{m:?}");
    }
}
