//! Cybersecurity trace rules: `threat-disposition`, `threat-controlled`, `cyber-chain`,
//! `views-present`, `categories-covered`, `vuln-justified`.
//!
//! They check the security risk management FDA's premarket cybersecurity guidance asks for
//! inside the quality system: every threat is carried into the safety risk file or justified
//! as security-only (V.A.2, AAMI SW96), uncontrolled exploitability x severity risk gets a
//! security control (V.A.2), security-only risk (exploitability x impact) meets the criteria of
//! the security risk management plan or is controlled or accepted (TIR57, SW96), each control traces through design to a passing security test
//! (V.A traceability, V.C), the architecture views (V.B.2) and the eight security control
//! categories (V.B.1, Appendix 1) are covered, and vulnerability states are justified
//! (CycloneDX VEX; ISO 14971 10.4).

use super::live::Live;
use super::Ctx;
use crate::corpus::Corpus;
use crate::record::{is_given, scalar_text, Record};
use crate::risk::parse_level;
use serde_yaml::Value;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let live = Live::new(
        ctx,
        &[
            "threat",
            "hazardous-situation",
            "risk-control",
            "design-input",
            "design-output",
            "verification",
            "vulnerability",
            "document",
        ],
    );
    threat_disposition(ctx, &live);
    threat_controlled(ctx, &live);
    cyber_chain(ctx, &live);
    views_present(ctx, &live);
    categories_covered(ctx, &live);
    vuln_justified(ctx, &live);
}

/// The architecture views FDA V.B.2 names, besides at least one use-case view.
const VIEWS: [&str; 3] = [
    "global-system",
    "multi-patient-harm",
    "updatability-patchability",
];

/// FDA's eight security control categories (Appendix 1).
const CATEGORIES: [&str; 8] = [
    "authentication",
    "authorization",
    "cryptography",
    "integrity",
    "confidentiality",
    "event-logging",
    "resiliency-recovery",
    "updatability-patchability",
];

/// Whether an RC counts as a security control.
fn is_security_rc(r: &Record) -> bool {
    matches!(r.str("kind"), Some("security" | "both"))
}

/// `threat-disposition`: every threat either reaches the safety risk file through a
/// hazardous situation, or is explicitly and justifiably security-only (FDA V.A.2; SW96).
fn threat_disposition(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    for (i, r) in live.all("threat") {
        if !live
            .inbound(i, "threats", &["hazardous-situation"])
            .is_empty()
        {
            continue;
        }
        let pos = r.index.key_pos("disposition");
        if r.str("disposition") == Some("security-only") {
            // Security-only risk is still risk: it is scored on impact in place of patient
            // harm (TIR57, SW96), so the threat needs both the reason and the impact.
            let missing: Vec<&str> = ["security_only_rationale", "impact"]
                .into_iter()
                .filter(|f| !r.has(f))
                .collect();
            if !missing.is_empty() {
                let msg = format!(
                    "{} is security-only but has no {}",
                    r.id,
                    missing
                        .iter()
                        .map(|f| format!("`{f}`"))
                        .collect::<Vec<_>>()
                        .join(" nor ")
                );
                let mut steps = Vec::new();
                if missing.contains(&"security_only_rationale") {
                    steps.push(format!("write `security_only_rationale:` saying why the threat cannot lead to patient harm (or name {} in `threats` of the HS it can cause)", r.id));
                }
                if missing.contains(&"impact") {
                    steps.push("write `impact:` I1..I5, its impact on assets, data or operations, scored on the security risk management plan's scale".to_string());
                }
                ctx.emit("threat-disposition", r, pos, msg, &steps.join("; "));
            }
            continue;
        }
        let msg = format!(
            "{} leads to no hazardous situation: no HS names it in `threats`, and it is not `disposition: security-only`",
            r.id
        );
        let hint = format!(
            "name {} in `threats` of the HS it can cause (a security HS scored on the E x S matrix), or set `disposition: security-only` with a `security_only_rationale`",
            r.id
        );
        ctx.emit("threat-disposition", r, pos, msg, &hint);
    }
}

/// `threat-controlled`: a threat whose exploitability against the worst patient harm it can
/// cause is uncontrolled has a security control, on the threat or on the situation it leads to
/// (FDA V.A.2).
fn threat_controlled(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    let matrix = &corpus.risk.policy.security;
    // Records a live security (or both) RC mitigates, marked once so each threat checks itself
    // and its situations in constant time.
    let mut secured = vec![false; corpus.records.len()];
    for (c, rc) in live.all("risk-control") {
        if is_security_rc(rc) {
            for t in graph.outbound(c, "mitigates") {
                if let Some(s) = secured.get_mut(t) {
                    *s = true;
                }
            }
        }
    }
    for (i, r) in live.all("threat") {
        // Security-only threats have no patient-harm severity: they are scored on impact, on
        // the security risk management plan's own matrix.
        if r.str("disposition") == Some("security-only") {
            security_only_controlled(ctx, r, secured[i]);
            continue;
        }
        let Some(e) = r.text("exploitability").and_then(|t| parse_level(&t, 'E')) else {
            continue;
        };
        let situations = live.inbound(i, "threats", &["hazardous-situation"]);
        let severities: Vec<(usize, usize)> = situations
            .iter()
            .filter_map(|&h| {
                corpus.records[h]
                    .text("severity")
                    .and_then(|t| parse_level(&t, 'S'))
                    .map(|s| (h, s))
            })
            .collect();
        // Without a situation there is no severity to score; `threat-disposition` reports it.
        let Some(worst) = severities.iter().map(|s| s.1).max() else {
            continue;
        };
        let Some(zone) = matrix.zone(e, worst) else {
            continue;
        };
        if matrix.is_acceptable(zone) || secured[i] || situations.iter().any(|&h| secured[h]) {
            continue;
        }
        let worst_hs: Vec<usize> = severities
            .iter()
            .filter(|s| s.1 == worst)
            .map(|s| s.0)
            .collect();
        let msg = format!(
            "{} has uncontrolled risk {zone} (E{e} x S{worst}, severity of {}) and no RC of kind security or both mitigates it or {}",
            r.id,
            live.ids(&worst_hs),
            live.ids(&situations)
        );
        let hint = format!(
            "write an RC with `kind: security` (or `both`) and `mitigates: [{}]`, implemented in the design and verified by a security test",
            r.id
        );
        ctx.emit(
            "threat-controlled",
            r,
            r.index.value_pos("exploitability"),
            msg,
            &hint,
        );
    }
}

/// Part of `threat-controlled` for a security-only threat: its exploitability x impact risk is
/// acceptable by the criteria of the security risk management plan (AAMI TIR57, SW96), or a
/// security control brings the residual (`residual_exploitability` x impact) to acceptable, or
/// `risk_acceptance_rationale` records why the risk is accepted. No patient harm does not make
/// a threat controlled: a network attacker reading the device's logs is still a risk to manage.
fn security_only_controlled(ctx: &mut Ctx<'_>, r: &Record, secured: bool) {
    let corpus = ctx.corpus;
    let m = &corpus.risk.policy.security_only;
    let level = |f: &str, letter: char| r.text(f).and_then(|t| parse_level(&t, letter));
    // Without an impact there is nothing to score; `threat-disposition` reports it.
    let (Some(e), Some(imp)) = (level("exploitability", 'E'), level("impact", 'I')) else {
        return;
    };
    let Some(zone) = m.zone(e, imp) else { return };
    if m.is_acceptable(zone) || r.has("risk_acceptance_rationale") {
        return;
    }
    let criteria = corpus
        .risk
        .origin(crate::risk_plan::Which::SecurityOnly)
        .describe();
    let msg = if secured {
        let res = level("residual_exploitability", 'E').unwrap_or(e);
        let Some(rz) = m.zone(res, imp) else { return };
        if m.is_acceptable(rz) {
            return;
        }
        format!(
            "{} is security-only with residual risk {rz} (E{res} x I{imp}) after its security RCs, which is not acceptable by the criteria of {criteria}, and no `risk_acceptance_rationale` accepts it",
            r.id
        )
    } else {
        format!(
            "{} is security-only with risk {zone} (E{e} x I{imp}), which is not acceptable by the criteria of {criteria}; no RC of kind security or both mitigates it and no `risk_acceptance_rationale` accepts it",
            r.id
        )
    };
    let hint = format!(
        "write an RC with `kind: security` and `mitigates: [{}]` and lower `residual_exploitability` once it is verified, or record in `risk_acceptance_rationale` why the security risk is accepted (AAMI SW96)",
        r.id
    );
    ctx.emit(
        "threat-controlled",
        r,
        r.index.value_pos("exploitability"),
        msg,
        &hint,
    );
}

/// `cyber-chain`: every security control is traceable from the threat it counters through the
/// design that realises it to a passing security test (FDA V.A traceability, V.C).
fn cyber_chain(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    // Records that a live, passing security test verifies.
    let mut tested = vec![false; corpus.records.len()];
    for (j, v) in live.all("verification") {
        if v.str("method") == Some("security-test") && v.str("result") == Some("pass") {
            for t in graph.outbound(j, "verifies") {
                if let Some(s) = tested.get_mut(t) {
                    *s = true;
                }
            }
        }
    }
    for (c, r) in live.all("risk-control") {
        if !is_security_rc(r) {
            continue;
        }
        let mut gaps = Vec::new();
        let mut steps = Vec::new();
        let counters = graph.outbound(c, "mitigates").any(|t| {
            live.is(t, "threat")
                || live.is(t, "vulnerability")
                || (live.is(t, "hazardous-situation")
                    && corpus.records[t].str("assessment") == Some("security"))
        });
        if !counters {
            gaps.push("it mitigates no THR, VULN or security HS".to_string());
            steps.push("name the THR, VULN or security HS it counters in `mitigates`".to_string());
        }
        let implementers =
            live.inbound(c, "implements_control", &["design-input", "design-output"]);
        if implementers.is_empty() {
            gaps.push("no DI or DO implements it".to_string());
            steps.push(format!(
                "write `implements_control: [{}]` on the DI or DO that realises it",
                r.id
            ));
        }
        if !tested[c] && !implementers.iter().any(|&d| tested[d]) {
            gaps.push(if implementers.is_empty() {
                "no passing VER with `method: security-test` verifies it".to_string()
            } else {
                format!(
                    "no passing VER with `method: security-test` verifies it or {}",
                    live.ids(&implementers)
                )
            });
            steps.push(format!(
                "write a VER with `method: security-test`, `result: pass` and `verifies: [{}]` (or one of its DIs/DOs)",
                r.id
            ));
        }
        if gaps.is_empty() {
            continue;
        }
        let msg = format!(
            "{} (kind {}) does not complete THR -> RC -> DI/DO -> VER: {}",
            r.id,
            r.str("kind").unwrap_or(""),
            gaps.join("; ")
        );
        ctx.emit("cyber-chain", r, None, msg, &steps.join("; "));
    }
}

/// The items of map field `field` in the live cyber-management plans that carry a rationale.
fn na_keys(corpus: &Corpus, plans: &[usize], field: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for &p in plans {
        if let Some(Value::Mapping(m)) = corpus.records[p].get(field) {
            for (k, v) in m {
                if let (Some(k), true) = (scalar_text(k), is_given(v)) {
                    keys.push(k.trim().to_string());
                }
            }
        }
    }
    keys
}

/// The live cyber-management plans, in corpus order.
fn cyber_plans(live: &Live<'_>) -> Vec<usize> {
    live.all("document")
        .filter(|(_, r)| r.str("doc_type") == Some("cyber-mgmt-plan"))
        .map(|(i, _)| i)
        .collect()
}

/// Where a hint tells the user to write an N/A rationale.
fn plan_name(corpus: &Corpus, plans: &[usize]) -> String {
    match plans.first() {
        Some(&p) => corpus.records[p].id.clone(),
        None => "a DOC with `doc_type: cyber-mgmt-plan`".into(),
    }
}

/// `views-present`: the architecture views FDA V.B.2 asks for exist or are justified as not
/// applicable, and every threat is placed in a view.
fn views_present(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let plans = cyber_plans(live);
    let first_threat = live.all("threat").next().map(|(i, _)| i);
    // Findings about the DDF as a whole sit on the cyber-management plan, or failing that on the
    // first threat; with neither the device has no cybersecurity content to check.
    let Some(anchor) = plans.first().copied().or(first_threat) else {
        return;
    };
    let have: Vec<String> = live
        .all("document")
        .filter(|(_, r)| r.str("doc_type") == Some("architecture-view"))
        .filter_map(|(_, r)| r.text("view_type"))
        .map(|v| v.trim().to_string())
        .collect();
    let na = na_keys(corpus, &plans, "views_na");
    let plan = plan_name(corpus, &plans);
    let a = &corpus.records[anchor];
    let pos = if plans.is_empty() {
        None
    } else {
        a.index.key_pos("views_na")
    };
    for view in VIEWS {
        if have.iter().chain(&na).any(|v| v == view) {
            continue;
        }
        let msg = format!(
            "architecture view `{view}` is missing: no DOC has `doc_type: architecture-view` and `view_type: {view}`, and no rationale is given under `views_na`"
        );
        let hint = format!(
            "write a DOC with `doc_type: architecture-view` and `view_type: {view}`, or add `{view}: <why it does not apply>` under `views_na` in {plan}"
        );
        ctx.emit("views-present", a, pos, msg, &hint);
    }
    let use_case = have.iter().any(|v| {
        v.strip_prefix("use-case:")
            .is_some_and(|n| !n.trim().is_empty())
    }) || na
        .iter()
        .any(|k| k == "use-case" || k.starts_with("use-case:"));
    if !use_case {
        let msg = "no use-case architecture view: no DOC has `doc_type: architecture-view` and `view_type: use-case:<name>`, and no rationale is given under `views_na`".to_string();
        let hint = format!(
            "write a DOC with `doc_type: architecture-view` and `view_type: use-case:<name>` (e.g. `use-case:firmware-update`), or add `use-case: <why it does not apply>` under `views_na` in {plan}"
        );
        ctx.emit("views-present", a, pos, msg, &hint);
    }
    // A threat without views is normally a missing required field; only report it here when a
    // project's schema made `views` optional, so it is never reported twice.
    let views_required = corpus
        .config
        .schema
        .get("threat")
        .and_then(|t| t.fields.get("views"))
        .is_some_and(|f| f.required);
    if !views_required {
        for (_, r) in live.all("threat") {
            if r.list("views").is_empty() {
                let msg = format!("{} names no architecture view", r.id);
                let hint =
                    "add `views: [global-system]` (and every other view the threat appears in)";
                ctx.emit("views-present", r, r.index.key_pos("views"), msg, hint);
            }
        }
    }
}

/// `categories-covered`: each of FDA's eight security control categories has a design input,
/// or the cyber-management plan says why it does not apply (FDA V.B.1, Appendix 1).
fn categories_covered(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let plans = cyber_plans(live);
    let first_threat = live.all("threat").next().map(|(i, _)| i);
    let mut covered: Vec<String> = Vec::new();
    let mut first_security_di = None;
    for (i, r) in live.all("design-input") {
        let cat = r.text("security_category");
        if first_security_di.is_none() && (cat.is_some() || r.str("category") == Some("security")) {
            first_security_di = Some(i);
        }
        covered.extend(cat.map(|c| c.trim().to_string()));
    }
    // A DDF without threats or security inputs has no cybersecurity content to hold to the
    // categories (a device that is not a cyber device).
    if first_threat.is_none() && first_security_di.is_none() {
        return;
    }
    let Some(anchor) = plans
        .first()
        .copied()
        .or(first_threat)
        .or(first_security_di)
    else {
        return;
    };
    let na = na_keys(corpus, &plans, "categories_na");
    let plan = plan_name(corpus, &plans);
    let a = &corpus.records[anchor];
    let pos = if plans.is_empty() {
        None
    } else {
        a.index.key_pos("categories_na")
    };
    for cat in CATEGORIES {
        if covered.iter().chain(&na).any(|c| c == cat) {
            continue;
        }
        let msg = format!(
            "security category `{cat}` is not covered: no DI has `security_category: {cat}`, and no rationale is given under `categories_na`"
        );
        let hint = format!(
            "write a DI with `category: security` and `security_category: {cat}`, or add `{cat}: <why it does not apply>` under `categories_na` in {plan}"
        );
        ctx.emit("categories-covered", a, pos, msg, &hint);
    }
}

/// `vuln-justified`: a vulnerability's VEX state is backed: `not_affected` says why, and
/// `exploitable` is carried into the threat model or risk file and has a response (VEX;
/// ISO 14971 10.4).
fn vuln_justified(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    for (i, r) in live.all("vulnerability") {
        let pos = r.index.value_pos("state");
        match r.str("state") {
            Some("not_affected") if !r.has("justification") => {
                let msg = format!("{} is not_affected but gives no `justification`", r.id);
                let hint = "add `justification:` with the VEX reason, e.g. `code_not_reachable` or `protected_by_mitigating_control`";
                ctx.emit("vuln-justified", r, pos, msg, hint);
            }
            Some("exploitable") => {
                let leads = !live.inbound(i, "exploits", &["threat"]).is_empty()
                    || !live
                        .inbound(i, "threats", &["hazardous-situation"])
                        .is_empty();
                if !leads {
                    let msg = format!(
                        "{} is exploitable but leads to no threat or hazardous situation: no THR names it in `exploits` and no HS in `threats`",
                        r.id
                    );
                    let hint = format!(
                        "name {} in `exploits` of the THR it enables, or in `threats` of the HS it can cause",
                        r.id
                    );
                    ctx.emit("vuln-justified", r, pos, msg, &hint);
                }
                if !r.has("response") {
                    let msg = format!("{} is exploitable but has no `response`", r.id);
                    let hint = "add `response:` with one or more of update, rollback, workaround_available, will_not_fix, can_not_fix";
                    ctx.emit("vuln-justified", r, pos, msg, hint);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CATEGORIES, VIEWS};
    use crate::rules::testing::{fired, rec, run, run_with};

    /// A threat of exploitability `e`, `disposition: patient-harm` unless `extra` sets one.
    fn thr(id: &str, e: &str, extra: &str) -> String {
        let disposition = if extra.contains("disposition:") {
            ""
        } else {
            "disposition: patient-harm\n"
        };
        rec(
            "threat",
            id,
            &format!("asset: pump\nthreat_source: attacker\nattack_vector: adjacent\nentry_point: BLE\nviews: [global-system]\nexploitability: {e}\nresidual_exploitability: E1\n{disposition}{extra}"),
        )
    }

    /// A security HS of severity `sev` naming `threats`.
    fn hs(id: &str, sev: &str, threats: &str) -> String {
        rec(
            "hazardous-situation",
            id,
            &format!("assessment: security\npolicy_rev: 1\nseverity: {sev}\nexploitability: E3\nresidual_severity: {sev}\nresidual_exploitability: E1\nthreats: [{threats}]\n"),
        )
    }

    fn rc(id: &str, kind: &str, mitigates: &str) -> String {
        rec("risk-control", id, &format!("option: protective-measure\nkind: {kind}\nnew_risks: []\nmitigates: [{mitigates}]\n"))
    }

    fn di(id: &str, extra: &str) -> String {
        rec(
            "design-input",
            id,
            &format!("category: security\nacceptance_criteria: x\n{extra}"),
        )
    }

    fn ver(id: &str, method: &str, verifies: &str) -> String {
        rec(
            "verification",
            id,
            &format!("method: {method}\nacceptance_criteria: x\nresult: pass\nexecuted_on: 2026-01-01\nbaseline: abc\nevidence: e\nverifies: [{verifies}]\n"),
        )
    }

    fn doc(id: &str, fields: &str) -> String {
        rec(
            "document",
            id,
            &format!("effective: 2026-01-01\nreview_due: 2027-01-01\n{fields}"),
        )
    }

    fn view(id: &str, v: &str) -> String {
        doc(
            id,
            &format!("doc_type: architecture-view\nview_type: \"{v}\"\n"),
        )
    }

    fn vuln(id: &str, state: &str, extra: &str) -> String {
        rec(
            "vulnerability",
            id,
            &format!("vuln_id: CVE-2026-0001\naliases: []\nsource: osv\ndiscovered: 2026-01-01\nstate: {state}\nexploitability: E2\nseverity: S3\n{extra}"),
        )
    }

    /// THR-001 (E4) -> HS-001 (S4) <- RC-001 (security) <- DI-001 <- VER-001 (security test),
    /// the four views, one DI per category, and a cyber plan.
    fn complete() -> Vec<String> {
        let mut r = vec![
            doc("DOC-001", "doc_type: cyber-mgmt-plan\n"),
            thr("THR-001", "E4", ""),
            hs("HS-001", "S4", "THR-001"),
            rc("RC-001", "security", "THR-001"),
            di(
                "DI-001",
                "security_category: authentication\nimplements_control: [RC-001]\n",
            ),
            ver("VER-001", "security-test", "DI-001"),
        ];
        for (n, v) in VIEWS.iter().chain(&["use-case:bolus"]).enumerate() {
            r.push(view(&format!("DOC-{:03}", n + 10), v));
        }
        for (n, c) in CATEGORIES.iter().enumerate().skip(1) {
            r.push(di(
                &format!("DI-{:03}", n + 10),
                &format!("security_category: {c}\n"),
            ));
        }
        r
    }

    const RULES: &[&str] = &[
        "threat-disposition",
        "threat-controlled",
        "cyber-chain",
        "views-present",
        "categories-covered",
        "vuln-justified",
    ];

    #[test]
    fn complete_security_file_has_no_security_findings() {
        let d = run(&complete());
        let ours: Vec<_> = d.iter().filter(|d| RULES.contains(&d.rule)).collect();
        assert!(ours.is_empty(), "{ours:?}");
    }

    #[test]
    fn threat_disposition_fires_without_hs_or_rationale() {
        let mut r = complete();
        r[2] = hs("HS-001", "S4", "");
        let d = run(&r);
        let f = fired(&d, "threat-disposition", "THR-001");
        assert!(
            f[0].message.contains("leads to no hazardous situation"),
            "{}",
            f[0].message
        );
        r[1] = thr("THR-001", "E4", "disposition: security-only\n");
        let d = run(&r);
        let f = fired(&d, "threat-disposition", "THR-001");
        assert_eq!(
            f[0].message,
            "THR-001 is security-only but has no `security_only_rationale` nor `impact`"
        );
        r[1] = thr(
            "THR-001",
            "E4",
            "disposition: security-only\nsecurity_only_rationale: data only\n",
        );
        let d = run(&r);
        let f = fired(&d, "threat-disposition", "THR-001");
        assert_eq!(f[0].message, "THR-001 is security-only but has no `impact`");
        r[1] = thr(
            "THR-001",
            "E4",
            "disposition: security-only\nsecurity_only_rationale: data only\nimpact: I2\n",
        );
        assert!(fired(&run(&r), "threat-disposition", "THR-001").is_empty());
    }

    /// A security-only threat: exploitability `e`, impact `i`, plus `extra`.
    fn security_only(e: &str, i: &str, extra: &str) -> String {
        thr(
            "THR-001",
            e,
            &format!("disposition: security-only\nsecurity_only_rationale: logs hold no patient data\nimpact: {i}\n{extra}"),
        )
        .replace("attack_vector: adjacent", "attack_vector: network")
    }

    #[test]
    fn security_only_threat_is_not_controlled_by_definition() {
        // The reproduction: an E5 network threat with no control had no finding at all.
        let mut r = complete();
        r[1] = security_only("E5", "I3", "");
        r[2] = hs("HS-001", "S4", "");
        r[3] = rc("RC-001", "security", "HS-001");
        let d = run(&r);
        let f = fired(&d, "threat-controlled", "THR-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message.contains("risk U (E5 x I3)")
                && f[0]
                    .message
                    .contains("no RC of kind security or both mitigates it"),
            "{}",
            f[0].message
        );
        // Acceptable on the matrix: nothing to do.
        r[1] = security_only("E5", "I2", "");
        assert!(fired(&run(&r), "threat-controlled", "THR-001").is_empty());
        // A security control that brings the residual to acceptable.
        r[1] = security_only("E5", "I3", "");
        r[3] = rc("RC-001", "security", "THR-001");
        assert!(fired(&run(&r), "threat-controlled", "THR-001").is_empty());
        // A control that leaves it unacceptable needs an accepted rationale.
        r[1] = security_only("E5", "I3", "")
            .replace("residual_exploitability: E1", "residual_exploitability: E4");
        let d = run(&r);
        let f = fired(&d, "threat-controlled", "THR-001");
        assert!(
            f[0].message.contains("residual risk U (E4 x I3)"),
            "{}",
            f[0].message
        );
        r[1] = security_only(
            "E5",
            "I3",
            "risk_acceptance_rationale: accepted by the security board, SRB-12\n",
        )
        .replace("residual_exploitability: E1", "residual_exploitability: E4");
        assert!(fired(&run(&r), "threat-controlled", "THR-001").is_empty());
    }

    #[test]
    fn security_only_risk_uses_the_security_plan_matrix() {
        // The approved security risk-management plan accepts nothing above I1 at E5.
        let plan = doc(
            "DOC-002",
            "doc_type: security-rm-plan\nrisk_policy:\n  revision: A\n  security_only_matrix:\n    columns: [I1, I2, I3, I4, I5]\n    E5: [L, H, H, H, H]\n    E4: [L, H, H, H, H]\n    E3: [L, L, H, H, H]\n    E2: [L, L, L, H, H]\n    E1: [L, L, L, L, H]\n  acceptable: { security_only: [L] }\n",
        );
        let mut r = complete();
        r[1] = security_only("E5", "I2", "");
        r[2] = hs("HS-001", "S4", "");
        r[3] = rc("RC-001", "security", "HS-001");
        assert!(fired(&run(&r), "threat-controlled", "THR-001").is_empty());
        r.push(plan);
        let d = run(&r);
        let f = fired(&d, "threat-controlled", "THR-001");
        assert!(
            f[0].message.contains("risk H (E5 x I2)") && f[0].message.contains("DOC-002"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn threat_controlled_needs_a_security_rc() {
        let mut r = complete();
        r[3] = rc("RC-001", "safety", "THR-001");
        let d = run(&r);
        let f = fired(&d, "threat-controlled", "THR-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message.contains("U (E4 x S4, severity of HS-001)"),
            "{}",
            f[0].message
        );
        // A security control on the situation counts too.
        r[3] = rc("RC-001", "both", "HS-001");
        assert!(fired(&run(&r), "threat-controlled", "THR-001").is_empty());
        // Low exploitability is controlled without a control.
        r[3] = rc("RC-001", "safety", "HS-001");
        r[1] = thr("THR-001", "E2", "");
        assert!(fired(&run(&r), "threat-controlled", "THR-001").is_empty());
    }

    #[test]
    fn cyber_chain_reports_each_gap() {
        let mut r = complete();
        r[5] = ver("VER-001", "test", "DI-001");
        let d = run(&r);
        let f = fired(&d, "cyber-chain", "RC-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message
                .contains("security-test` verifies it or DI-001"),
            "{}",
            f[0].message
        );
        r[3] = rc("RC-001", "security", "HS-002");
        r.push(
            rec("hazardous-situation", "HS-002", "assessment: safety\npolicy_rev: 1\nseverity: S1\nprobability: P1\nresidual_severity: S1\nresidual_probability: P1\n"),
        );
        r[4] = di("DI-001", "security_category: authentication\n");
        let d = run(&r);
        let m = &fired(&d, "cyber-chain", "RC-001")[0].message;
        assert!(
            m.contains(
                "mitigates no THR, VULN or security HS; no DI or DO implements it; no passing"
            ),
            "{m}"
        );
    }

    #[test]
    fn cyber_chain_ignores_safety_controls() {
        let mut r = complete();
        r[3] = rc("RC-001", "safety", "THR-001");
        r[5] = ver("VER-001", "test", "DI-001");
        assert!(fired(&run(&r), "cyber-chain", "RC-001").is_empty());
    }

    #[test]
    fn views_present_fires_per_missing_view_on_the_plan() {
        let mut r = complete();
        r.retain(|t| !t.contains("multi-patient-harm") && !t.contains("use-case:"));
        let d = run(&r);
        let f = fired(&d, "views-present", "DOC-001");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().any(|d| d.message.contains("`multi-patient-harm`")));
        assert!(f.iter().any(|d| d.message.contains("use-case")));
        // Rationales in the plan settle them.
        r[0] = doc("DOC-001", "doc_type: cyber-mgmt-plan\nviews_na:\n  multi-patient-harm: one pump, one patient\n  use-case: single function\n");
        assert!(fired(&run(&r), "views-present", "DOC-001").is_empty());
    }

    #[test]
    fn views_present_anchors_on_first_threat_or_stays_silent() {
        let r = vec![thr("THR-001", "E1", "")];
        assert_eq!(fired(&run(&r), "views-present", "THR-001").len(), 4);
        let r = vec![di("DI-001", "")];
        assert!(run(&r).iter().all(|d| d.rule != "views-present"));
    }

    #[test]
    fn views_present_reports_threat_without_views_when_schema_allows_it() {
        let cfg = "project: test\ntypes:\n  threat:\n    fields:\n      views: { kind: list, required: false }\n";
        let mut r = complete();
        r[1] = thr("THR-001", "E4", "").replace("views: [global-system]\n", "");
        let d = run_with(cfg, &r);
        assert_eq!(fired(&d, "views-present", "THR-001").len(), 1, "{d:?}");
        assert!(fired(&run(&r), "views-present", "THR-001").is_empty());
    }

    #[test]
    fn categories_covered_fires_per_missing_category() {
        let mut r = complete();
        r.retain(|t| !t.contains("security_category: cryptography"));
        let d = run(&r);
        let f = fired(&d, "categories-covered", "DOC-001");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("`cryptography`"));
        assert_eq!(f[0].severity, crate::diagnostic::Severity::Warning);
        r[0] = doc(
            "DOC-001",
            "doc_type: cyber-mgmt-plan\ncategories_na:\n  cryptography: no data leaves the pump\n",
        );
        assert!(fired(&run(&r), "categories-covered", "DOC-001").is_empty());
    }

    #[test]
    fn categories_covered_needs_security_content() {
        let plain = rec(
            "design-input",
            "DI-001",
            "category: functional\nacceptance_criteria: x\n",
        );
        let d = run(&[doc("DOC-001", "doc_type: cyber-mgmt-plan\n"), plain]);
        assert!(d.iter().all(|d| d.rule != "categories-covered"), "{d:?}");
        let d = run(&[di("DI-001", "security_category: integrity\n")]);
        assert_eq!(fired(&d, "categories-covered", "DI-001").len(), 7);
    }

    #[test]
    fn bad_data_does_not_panic_or_pile_on() {
        let r = vec![
            doc(
                "DOC-001",
                "doc_type: cyber-mgmt-plan\nviews_na: [global-system]\ncategories_na: 3\n",
            ),
            thr("THR-001", "[E4]", ""),
            hs("HS-001", "high", "THR-001"),
            rec(
                "risk-control",
                "RC-001",
                "option: x\nkind: [security]\nnew_risks: []\nmitigates: THR-001\n",
            ),
            vuln("VULN-001", "{a: b}", ""),
        ];
        let d = run(&r);
        assert!(d.iter().any(|d| d.rule == "invalid-value"));
        assert!(
            fired(&d, "threat-controlled", "THR-001").is_empty(),
            "{d:?}"
        );
        assert!(fired(&d, "cyber-chain", "RC-001").is_empty(), "{d:?}");
        assert!(fired(&d, "vuln-justified", "VULN-001").is_empty(), "{d:?}");
    }

    #[test]
    fn vuln_justified_fires_on_unjustified_states() {
        let mut r = complete();
        r.push(vuln("VULN-001", "not_affected", ""));
        r.push(vuln("VULN-002", "exploitable", ""));
        let d = run(&r);
        assert_eq!(fired(&d, "vuln-justified", "VULN-001").len(), 1);
        assert_eq!(fired(&d, "vuln-justified", "VULN-002").len(), 2, "{d:?}");
        let n = r.len();
        r[n - 2] = vuln(
            "VULN-001",
            "not_affected",
            "justification: code_not_present\n",
        );
        r[n - 1] = vuln("VULN-002", "exploitable", "response: [update]\n");
        r[1] = thr("THR-001", "E4", "exploits: [VULN-002]\n");
        let d = run(&r);
        assert!(fired(&d, "vuln-justified", "VULN-001").is_empty());
        assert!(fired(&d, "vuln-justified", "VULN-002").is_empty(), "{d:?}");
    }
}
