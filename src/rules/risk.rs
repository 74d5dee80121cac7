//! Risk-management trace rules: `hs-estimated`, `hs-controlled`, `rc-implemented`,
//! `rc-verified`, `residual-ok`, `risk-transfer-disclosed`.
//!
//! They follow ISO 14971: risks are estimated on the matrices of the approved risk management
//! plan (4.4, 5.5, 6), a risk that is not acceptable gets a control (7.1), the control is
//! implemented and verified for implementation and effectiveness (7.2, 7.5), the residual risk
//! is acceptable, or reduced as far as possible and outweighed by the benefit (7.3, 7.4; an
//! unacceptable zone stays unacceptable), and risk transferred to the user is disclosed and
//! validated (clause 8; FDA cybersecurity guidance V.A, VI.A). Security hazardous situations sit
//! in the same file, scored on the exploitability matrix instead of probability.

use super::live::Live;
use super::Ctx;
use crate::corpus::Corpus;
use crate::record::Record;
use crate::risk::{initial_and_residual, level, score, scoring, zone_rank, Assessment, ZoneClass};
use crate::risk_plan::Which;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let live = Live::new(
        ctx,
        &[
            "hazardous-situation",
            "harm",
            "risk-control",
            "design-input",
            "design-output",
            "verification",
            "validation",
        ],
    );
    let rc_checks = rc_verifications(ctx, &live);
    hs_estimated(ctx, &live);
    hs_controlled(ctx, &live);
    rc_implemented(ctx, &live);
    rc_verified(ctx, &live, &rc_checks);
    residual_ok(ctx, &live, &rc_checks);
    risk_transfer_disclosed(ctx, &live);
}

/// `hs-estimated`: the scoring of each HS is complete and consistent with its harms and the
/// matrices (ISO 14971 5.5, 6).
fn hs_estimated(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    let policy = &ctx.corpus.risk.policy;
    for (i, r) in live.all("hazardous-situation") {
        // Severity comes from the worst harm the situation can lead to.
        if let (Some(sev), false) = (level(r, "severity", 'S'), r.has("severity_rationale")) {
            let harms: Vec<(usize, usize)> = graph
                .outbound(i, "harms")
                .filter(|&j| live.is(j, "harm"))
                .filter_map(|j| level(&corpus.records[j], "severity", 'S').map(|s| (j, s)))
                .collect();
            if let Some(worst) = harms.iter().map(|h| h.1).max().filter(|&w| w > sev) {
                let ids: Vec<usize> = harms.iter().filter(|h| h.1 == worst).map(|h| h.0).collect();
                let ids = live.ids(&ids);
                let msg = format!("{} has severity S{sev}, below S{worst} of {ids}", r.id);
                let hint = format!(
                    "raise `severity` to S{worst}, or write `severity_rationale` saying why this situation cannot lead to the worst outcome of {ids}"
                );
                ctx.emit("hs-estimated", r, r.index.value_pos("severity"), msg, &hint);
            }
        }
        let Some(s) = scoring(r) else { continue };
        // The likelihood scale must match the assessment: probability for safety,
        // exploitability for security (TIR57 / SW96 replace probability for security risk).
        let missing: Vec<&str> = s.fields.iter().copied().filter(|f| !r.has(f)).collect();
        if !missing.is_empty() {
            let fields = missing
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            let msg = format!("{} is a {} assessment but has no {fields}", r.id, s.name);
            let hint = format!(
                "write {} as {}1..{}5 (before and after risk control), or change `assessment`",
                missing
                    .iter()
                    .map(|f| format!("`{f}:`"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                s.letter,
                s.letter
            );
            ctx.emit("hs-estimated", r, r.index.key_pos("assessment"), msg, &hint);
        }
        let wrong: Vec<&str> = s.other.iter().copied().filter(|f| r.has(f)).collect();
        if let Some(first) = wrong.first() {
            let fields = wrong
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            let msg = format!(
                "{} is a {} assessment but gives {fields}, which belong to the other assessment",
                r.id, s.name
            );
            let hint = format!(
                "a {} situation is scored with `{}` and `{}`; remove {fields}, or change `assessment`",
                s.name, s.fields[0], s.fields[1]
            );
            ctx.emit("hs-estimated", r, r.index.key_pos(first), msg, &hint);
        }
        let (initial, residual) = initial_and_residual(policy, &s, r);
        for (field, computed) in [("initial_risk", &initial), ("residual_risk", &residual)] {
            let (Some(stated), Some(c)) = (r.text(field), computed) else {
                continue;
            };
            if stated.trim() != c.zone {
                let msg = format!(
                    "{} states {field} {}, but the {} matrix gives {} for {}",
                    r.id,
                    stated.trim(),
                    s.name,
                    c.zone,
                    c.cell
                );
                let hint = format!(
                    "set `{field}: {}`, or correct the levels it is computed from",
                    c.zone
                );
                ctx.emit("hs-estimated", r, r.index.value_pos(field), msg, &hint);
            }
        }
        // A residual above the initial risk is `residual-ok`'s: risk control never raises it.
    }
}

/// `hs-controlled`: a situation whose initial risk is not acceptable has a risk control
/// (ISO 14971 6, 7.1).
fn hs_controlled(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let policy = &ctx.corpus.risk.policy;
    for (i, r) in live.all("hazardous-situation") {
        let Some(s) = scoring(r) else { continue };
        let Some(init) = score(policy, &s, r, s.fields[0], "severity") else {
            continue;
        };
        if policy.matrix(s.assessment).is_acceptable(&init.zone) {
            continue;
        }
        if !live.inbound(i, "mitigates", &["risk-control"]).is_empty() {
            continue;
        }
        let msg = format!(
            "{} has initial risk {} ({}), which is not acceptable, and no RC mitigates it",
            r.id, init.zone, init.cell
        );
        let hint = format!(
            "write an RC with `mitigates: [{}]`; prefer inherent design, then protective measures, then information for safety (ISO 14971 7.1)",
            r.id
        );
        ctx.emit("hs-controlled", r, None, msg, &hint);
    }
}

/// `rc-implemented`: every control is carried into the design as an input or output
/// (ISO 14971 7.2; ISO 13485 7.3.3 c); information for safety lives in labeling or the IFU.
fn rc_implemented(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    for (i, r) in live.all("risk-control") {
        let implementers =
            live.inbound(i, "implements_control", &["design-input", "design-output"]);
        let info = r.str("option") == Some("information-for-safety");
        if implementers.is_empty() {
            let msg = format!("{} is implemented by no design input or output", r.id);
            let hint = if info {
                format!("write `implements_control: [{}]` on the DO with `output_kind: labeling` or `ifu` that carries the information", r.id)
            } else {
                format!("write `implements_control: [{}]` on the DI (requirement) or DO (spec, code, labeling) that realises it", r.id)
            };
            ctx.emit("rc-implemented", r, None, msg, &hint);
            continue;
        }
        if info
            && !implementers
                .iter()
                .any(|&j| is_disclosure(&corpus.records[j]))
        {
            let msg = format!(
                "{} is information for safety, but no labeling or IFU output implements it (implemented by {})",
                r.id,
                describe_implementers(corpus, &implementers)
            );
            let hint = format!(
                "write `implements_control: [{}]` on the DO with `output_kind: labeling` or `ifu` that carries the information",
                r.id
            );
            ctx.emit("rc-implemented", r, r.index.value_pos("option"), msg, &hint);
        }
    }
}

/// Whether `r` is a design output that reaches the user: labeling or instructions for use.
fn is_disclosure(r: &Record) -> bool {
    r.type_name == "design-output" && matches!(r.str("output_kind"), Some("labeling" | "ifu"))
}

/// `DO-002 (source), DI-004` for messages.
fn describe_implementers(corpus: &Corpus, idxs: &[usize]) -> String {
    let mut parts: Vec<(String, String)> = idxs
        .iter()
        .map(|&j| {
            let r = &corpus.records[j];
            let d = match r.text("output_kind") {
                Some(k) if r.type_name == "design-output" => format!("{} ({k})", r.id),
                _ => r.id.clone(),
            };
            (r.id.clone(), d)
        })
        .collect();
    parts.sort();
    parts
        .into_iter()
        .map(|(_, d)| d)
        .collect::<Vec<_>>()
        .join(", ")
}

/// For every record index: (a passing VER checks its implementation, one checks its
/// effectiveness). Computed once, by walking each VER's links, so `rc-verified` and
/// `residual-ok` share it at linear cost.
fn rc_verifications(ctx: &Ctx<'_>, live: &Live<'_>) -> Vec<(bool, bool)> {
    let corpus = ctx.corpus;
    let mut out = vec![(false, false); corpus.records.len()];
    for (j, v) in live.all("verification") {
        if v.str("result") != Some("pass") {
            continue;
        }
        let check = v.str("control_check");
        for t in ctx.graph.outbound(j, "verifies") {
            if let Some(slot) = out.get_mut(t) {
                match check {
                    Some("implementation") => slot.0 = true,
                    Some("effectiveness") => slot.1 = true,
                    _ => {}
                }
            }
        }
    }
    out
}

/// `rc-verified`: each control is verified as implemented and as effective (ISO 14971 7.2).
fn rc_verified(ctx: &mut Ctx<'_>, live: &Live<'_>, checks: &[(bool, bool)]) {
    let corpus = ctx.corpus;
    for (i, r) in live.all("risk-control") {
        let (implementation, effectiveness) = checks.get(i).copied().unwrap_or_default();
        let missing = match (implementation, effectiveness) {
            (true, true) => continue,
            (false, false) => "either its implementation or its effectiveness",
            (false, true) => "its implementation",
            (true, false) => "its effectiveness",
        };
        let mut msg = format!("{} has no passing verification of {missing}", r.id);
        // Say why the VERs that name the control do not count, so the fix is obvious.
        let mut why: Vec<String> = live
            .inbound(i, "verifies", &["verification"])
            .into_iter()
            .map(|j| &corpus.records[j])
            .filter_map(|v| match (v.text("result"), v.str("control_check")) {
                (Some(res), _) if res != "pass" => Some(format!("{} is {res}", v.id)),
                (None, _) => Some(format!("{} has no result", v.id)),
                (_, None) => Some(format!("{} has no `control_check`", v.id)),
                _ => None,
            })
            .collect();
        why.sort();
        if !why.is_empty() {
            msg.push_str(&format!(": {}", why.join(", ")));
        }
        let hint = match (implementation, effectiveness) {
            (false, false) => format!(
                "write VERs with `verifies: [{}]` and `result: pass`: one with `control_check: implementation`, one with `control_check: effectiveness`",
                r.id
            ),
            (false, _) => format!("write a VER with `verifies: [{}]`, `control_check: implementation` and `result: pass`", r.id),
            _ => format!("write a VER with `verifies: [{}]`, `control_check: effectiveness` and `result: pass`", r.id),
        };
        ctx.emit("rc-verified", r, None, msg, &hint);
    }
}

/// `residual-ok`: the residual risk of each situation meets the criteria of the risk
/// management plan (ISO 14971 7.3, 7.4, 8). An acceptable zone passes. A reduce-as-far-as-possible
/// zone (`R`) passes only with `afap_rationale` (further risk control is not practicable) and an
/// approved benefit-risk analysis. An unacceptable zone (`U`) never passes: a benefit-risk
/// analysis weighs a risk the criteria allow to be weighed, it does not overrule them. A claimed
/// reduction is credited only once every control behind it is verified for implementation and
/// effectiveness; until then the initial risk stands. And risk control never raises a level:
/// a residual probability, exploitability or severity above the initial one is an error (7.1;
/// a risk a control introduces is a new situation, 7.5).
fn residual_ok(ctx: &mut Ctx<'_>, live: &Live<'_>, checks: &[(bool, bool)]) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    let policy = &ctx.corpus.risk.policy;
    for (i, r) in live.all("hazardous-situation") {
        let Some(s) = scoring(r) else { continue };
        let m = policy.matrix(s.assessment);
        let criteria = corpus
            .risk
            .origin(match s.assessment {
                Assessment::Safety => Which::Safety,
                Assessment::Security => Which::Security,
            })
            .describe();
        rising_levels(ctx, r, &s);
        let (initial, Some(residual)) = initial_and_residual(policy, &s, r) else {
            continue;
        };
        let mut effective = &residual;
        let mut not_credited = None;
        if let Some(init) = &initial {
            if zone_rank(m, &residual.zone) < zone_rank(m, &init.zone) {
                let rcs = live.inbound(i, "mitigates", &["risk-control"]);
                let unverified: Vec<usize> = rcs
                    .iter()
                    .copied()
                    .filter(|&c| checks.get(c) != Some(&(true, true)))
                    .collect();
                if rcs.is_empty() {
                    not_credited = Some("no RC mitigates it".to_string());
                } else if !unverified.is_empty() {
                    let verb = if unverified.len() == 1 { "is" } else { "are" };
                    not_credited = Some(format!(
                        "{} {verb} not verified for both implementation and effectiveness",
                        live.ids(&unverified)
                    ));
                }
                if not_credited.is_some() {
                    effective = init;
                }
            }
        }
        let class = m.class(&effective.zone);
        if class == ZoneClass::Acceptable {
            continue;
        }
        // The benefit-risk analysis must exist, be the right kind of document, and be approved.
        let mut br_problem = None;
        let mut accepted = false;
        for j in graph.outbound(i, "benefit_risk") {
            let d = &corpus.records[j];
            if d.type_name != "document" {
                continue;
            }
            match (d.status(), d.str("doc_type")) {
                ("approved", Some("benefit-risk")) => accepted = true,
                (_, Some("benefit-risk")) => {
                    br_problem = Some(format!(
                        "`benefit_risk` names {}, which is {}, not approved",
                        d.id,
                        if d.status().is_empty() {
                            "without status"
                        } else {
                            d.status()
                        }
                    ))
                }
                (_, other) => {
                    br_problem = Some(format!(
                        "`benefit_risk` names {}, a {} document, not a benefit-risk analysis",
                        d.id,
                        other.unwrap_or("untyped")
                    ))
                }
            }
        }
        // A dangling or mistyped `benefit_risk` is reported by the structure rules.
        let br_broken = br_problem.is_none() && !accepted && r.has("benefit_risk");
        let mut msg = match &not_credited {
            Some(why) => format!(
                "{} residual risk counts as its initial risk {} ({}): the reduction to {} is not credited because {why}",
                r.id, effective.zone, effective.cell, residual.zone
            ),
            None => format!(
                "{} residual risk {} ({}) is not acceptable",
                r.id, residual.zone, residual.cell
            ),
        };
        let pos = r
            .index
            .value_pos("benefit_risk")
            .or_else(|| r.index.key_pos("residual_severity"));
        if class == ZoneClass::Unacceptable {
            msg.push_str(&format!(
                "; {} is an unacceptable zone by the criteria of {criteria}, which no benefit-risk analysis can accept",
                effective.zone
            ));
            if accepted {
                msg.push_str(" (`benefit_risk` names one)");
            }
            let hint = match &not_credited {
                Some(_) => "verify each RC that mitigates it (VERs with `result: pass` and `control_check` implementation and effectiveness), and reduce the risk further if the verified residual is still unacceptable",
                None => "reduce the risk with further verified RCs (ISO 14971 7.1) until the residual is acceptable, or in a zone the plan lets a benefit-risk analysis weigh (`reduce_as_far_as_possible`); otherwise the design cannot be released",
            };
            ctx.emit("residual-ok", r, pos, msg, hint);
            continue;
        }
        let afap = r.has("afap_rationale");
        if accepted && afap {
            continue;
        }
        if !accepted && br_broken && afap {
            continue;
        }
        let mut missing = Vec::new();
        match &br_problem {
            Some(p) if !accepted => missing.push(p.clone()),
            None if !accepted && !br_broken => {
                missing.push("`benefit_risk` names no approved benefit-risk analysis".to_string())
            }
            _ => {}
        }
        if !afap {
            missing.push(
                "it has no `afap_rationale` saying why further risk control is not practicable"
                    .to_string(),
            );
        }
        msg.push_str(&format!(
            "; {} may be accepted by the criteria of {criteria} only when reduced as far as possible and outweighed by the benefit (ISO 14971 7.4), but {}",
            effective.zone,
            missing.join(", and ")
        ));
        let hint = match &not_credited {
            Some(_) => "verify each RC that mitigates it (VERs with `result: pass` and `control_check` implementation and effectiveness), or, if no further control is practicable, write `afap_rationale` and name an approved DOC with `doc_type: benefit-risk` in `benefit_risk`".to_string(),
            None => "reduce the risk further with a verified RC; if no further control is practicable, say why in `afap_rationale`, and write a DOC with `doc_type: benefit-risk`, approve it, and name it in `benefit_risk`".to_string(),
        };
        ctx.emit("residual-ok", r, pos, msg, &hint);
    }
}

/// Part of `residual-ok`: risk control never raises a level. A residual likelihood or severity
/// above the initial one means the estimate is wrong, or a control introduced a new risk, which
/// belongs in a situation of its own (`new_risks`, ISO 14971 7.5). The zone may well be the same
/// (P3 to P4 at S1 is A both times): the levels are what the file asserts, so they are checked.
fn rising_levels(ctx: &mut Ctx<'_>, r: &crate::record::Record, s: &crate::risk::Scoring) {
    let mut rises = Vec::new();
    let mut first = None;
    for (init, res, letter) in [
        (s.fields[0], s.fields[1], s.letter),
        ("severity", "residual_severity", 'S'),
    ] {
        if let (Some(a), Some(b)) = (level(r, init, letter), level(r, res, letter)) {
            if b > a {
                rises.push(format!("`{res}` {letter}{b} is above `{init}` {letter}{a}"));
                first.get_or_insert(res);
            }
        }
    }
    let Some(field) = first else { return };
    let msg = format!(
        "{} residual risk is higher than its initial risk: {}",
        r.id,
        rises.join(" and ")
    );
    let hint = "risk control lowers levels or leaves them: correct the estimate, or, if a control introduces a new hazardous situation, record it as its own HS named in the RC's `new_risks` (ISO 14971 7.5)";
    ctx.emit("residual-ok", r, r.index.value_pos(field), msg, hint);
}

/// `risk-transfer-disclosed`: risk a control transfers to the user, operator, patient or
/// facility is disclosed to them in labeling and shown to work in validation (ISO 14971 8;
/// FDA cybersecurity guidance V.A, VI.A).
fn risk_transfer_disclosed(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    for (i, r) in live.all("risk-control") {
        let Some(to) = r.text("transfers_risk_to") else {
            continue;
        };
        let pos = r.index.value_pos("transfers_risk_to");
        let implementers = live.inbound(i, "implements_control", &["design-output"]);
        if !implementers
            .iter()
            .any(|&j| is_disclosure(&corpus.records[j]))
        {
            let msg = format!("{} transfers risk to the {to}, but no labeling or IFU output implements it to disclose the transfer", r.id);
            let hint = format!(
                "write `implements_control: [{}]` on the DO with `output_kind: labeling` or `ifu` that tells the {to} what they must do",
                r.id
            );
            ctx.emit("risk-transfer-disclosed", r, pos, msg, &hint);
        }
        if live
            .inbound(i, "covers_risk_transfer", &["validation"])
            .is_empty()
        {
            let msg = format!(
                "{} transfers risk to the {to}, but no VAL covers the transfer",
                r.id
            );
            let hint = format!(
                "name {} in `covers_risk_transfer` of the VAL showing the {to} understands and can manage the transferred risk",
                r.id
            );
            ctx.emit("risk-transfer-disclosed", r, pos, msg, &hint);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{fired, messages, rec, run};

    fn harm(id: &str, sev: &str) -> String {
        rec("harm", id, &format!("severity: {sev}\nrationale: r\n"))
    }

    /// A safety HS scored `levels` (e.g. "severity: S4\nprobability: P4\n...") plus `extra`.
    fn hs(id: &str, levels: &str, extra: &str) -> String {
        rec(
            "hazardous-situation",
            id,
            &format!("assessment: safety\npolicy_rev: 1\n{levels}{extra}"),
        )
    }

    /// Initial U (P4 x S4), residual A (P1 x S2).
    const REDUCED: &str =
        "severity: S4\nprobability: P4\nresidual_severity: S2\nresidual_probability: P1\n";

    fn rc(id: &str, extra: &str) -> String {
        rec(
            "risk-control",
            id,
            &format!("option: inherent-design\nkind: safety\nnew_risks: []\n{extra}"),
        )
    }

    fn dout(id: &str, kind: &str, links: &str) -> String {
        rec(
            "design-output",
            id,
            &format!("output_kind: {kind}\nessential: true\n{links}"),
        )
    }

    fn ver(id: &str, check: &str, verifies: &str) -> String {
        rec(
            "verification",
            id,
            &format!("method: test\nacceptance_criteria: x\nresult: pass\nexecuted_on: 2026-01-01\nbaseline: abc\nevidence: e\ncontrol_check: {check}\nverifies: [{verifies}]\n"),
        )
    }

    fn val(id: &str, links: &str) -> String {
        rec(
            "validation",
            id,
            &format!("method: human-factors\nresult: pass\nproduct_config: REL-001\nexecuted_on: 2026-01-01\nevidence: e\n{links}"),
        )
    }

    fn doc(id: &str, fields: &str) -> String {
        rec(
            "document",
            id,
            &format!("effective: 2026-01-01\nreview_due: 2027-01-01\n{fields}"),
        )
    }

    /// HS-001 (initial U, residual A) with HARM-001, mitigated by RC-001, implemented by
    /// DO-001, verified by VER-001 (implementation) and VER-002 (effectiveness).
    fn complete() -> Vec<String> {
        vec![
            harm("HARM-001", "S4"),
            hs(
                "HS-001",
                REDUCED,
                "harms: [HARM-001]\ninitial_risk: U\nresidual_risk: A\n",
            ),
            rc("RC-001", "mitigates: [HS-001]\n"),
            dout("DO-001", "source", "implements_control: [RC-001]\n"),
            ver("VER-001", "implementation", "RC-001"),
            ver("VER-002", "effectiveness", "RC-001"),
        ]
    }

    const RULES: &[&str] = &[
        "hs-estimated",
        "hs-controlled",
        "rc-implemented",
        "rc-verified",
        "residual-ok",
        "risk-transfer-disclosed",
    ];

    #[test]
    fn complete_risk_file_has_no_risk_findings() {
        let d = run(&complete());
        let ours: Vec<_> = d.iter().filter(|d| RULES.contains(&d.rule)).collect();
        assert!(ours.is_empty(), "{ours:?}");
    }

    #[test]
    fn hs_estimated_severity_below_harm() {
        let mut r = complete();
        r[0] = harm("HARM-001", "S5");
        let d = run(&r);
        let f = fired(&d, "hs-estimated", "HS-001");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("below S5 of HARM-001"),
            "{}",
            f[0].message
        );
        r[1] = hs(
            "HS-001",
            REDUCED,
            "harms: [HARM-001]\nseverity_rationale: the cassette limits volume\n",
        );
        assert!(fired(&run(&r), "hs-estimated", "HS-001").is_empty());
    }

    #[test]
    fn hs_estimated_likelihood_matches_assessment() {
        let mut r = complete();
        r[1] = hs(
            "HS-001",
            "severity: S4\nexploitability: E4\nresidual_severity: S2\nresidual_probability: P1\n",
            "",
        );
        let d = run(&r);
        let msgs = messages(&d, "hs-estimated", "HS-001");
        assert!(
            msgs.iter().any(|m| m.contains("has no `probability`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("gives `exploitability`")),
            "{msgs:?}"
        );
    }

    #[test]
    fn hs_estimated_stated_zone() {
        let mut r = complete();
        r[1] = hs("HS-001", REDUCED, "initial_risk: R\n");
        let d = run(&r);
        let f = fired(&d, "hs-estimated", "HS-001");
        assert!(
            f[0].message.contains("gives U for P4 x S4"),
            "{}",
            f[0].message
        );
        assert_eq!(
            f[0].hint.as_deref(),
            Some("set `initial_risk: U`, or correct the levels it is computed from")
        );
    }

    #[test]
    fn residual_ok_rejects_levels_above_the_initial_ones() {
        let mut r = complete();
        // A rising zone, even with a rationale (it used to pass with `residual_rationale`).
        let rising =
            "severity: S2\nprobability: P2\nresidual_severity: S4\nresidual_probability: P3\n";
        r[1] = hs(
            "HS-001",
            rising,
            "residual_rationale: the alarm adds a new hazard\n",
        );
        let d = run(&r);
        assert!(fired(&d, "hs-estimated", "HS-001").is_empty(), "{d:?}");
        let f = messages(&d, "residual-ok", "HS-001");
        assert!(
            f.iter().any(|m| m.contains(
                "higher than its initial risk: `residual_probability` P3 is above `probability` P2 and `residual_severity` S4 is above `severity` S2"
            )),
            "{f:?}"
        );
        // The reproduction: P3 then P4 at S1 is zone A both times, and was accepted.
        r[1] = hs(
            "HS-001",
            "severity: S1\nprobability: P3\nresidual_severity: S1\nresidual_probability: P4\n",
            "",
        );
        let d = run(&r);
        let f = fired(&d, "residual-ok", "HS-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message
                .contains("`residual_probability` P4 is above `probability` P3"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].line, Some(12)); // the `residual_probability` value
    }

    #[test]
    fn hs_controlled_fires_without_rc() {
        let mut r = complete();
        r[2] = rc("RC-001", "");
        let d = run(&r);
        let f = fired(&d, "hs-controlled", "HS-001");
        assert!(
            f[0].message.contains("initial risk U (P4 x S4)"),
            "{}",
            f[0].message
        );
        // Acceptable initial risk needs no control.
        r[1] = hs(
            "HS-001",
            "severity: S1\nprobability: P1\nresidual_severity: S1\nresidual_probability: P1\n",
            "",
        );
        assert!(fired(&run(&r), "hs-controlled", "HS-001").is_empty());
    }

    #[test]
    fn hs_controlled_uses_the_security_matrix() {
        let sec = |e: &str| {
            rec(
                "hazardous-situation",
                "HS-001",
                &format!("assessment: security\npolicy_rev: 1\nseverity: S4\nexploitability: {e}\nresidual_severity: S4\nresidual_exploitability: E1\n"),
            )
        };
        assert_eq!(
            fired(&run(&[sec("E3")]), "hs-controlled", "HS-001").len(),
            1
        );
        assert!(fired(&run(&[sec("E2")]), "hs-controlled", "HS-001").is_empty());
    }

    #[test]
    fn rc_implemented_fires_without_implementer_and_for_information_without_labeling() {
        let mut r = complete();
        r[3] = dout("DO-001", "source", "");
        let d = run(&r);
        assert_eq!(fired(&d, "rc-implemented", "RC-001").len(), 1, "{d:?}");
        r[2] = rc("RC-001", "mitigates: [HS-001]\n")
            .replace("inherent-design", "information-for-safety");
        r[3] = dout("DO-001", "source", "implements_control: [RC-001]\n");
        let d = run(&r);
        let f = fired(&d, "rc-implemented", "RC-001");
        assert!(f[0].message.contains("DO-001 (source)"), "{}", f[0].message);
        r[3] = dout("DO-001", "ifu", "implements_control: [RC-001]\n");
        assert!(fired(&run(&r), "rc-implemented", "RC-001").is_empty());
    }

    #[test]
    fn rc_verified_needs_both_checks() {
        let mut r = complete();
        r[5] = ver("VER-002", "implementation", "RC-001").replace("result: pass", "result: fail");
        let d = run(&r);
        let f = fired(&d, "rc-verified", "RC-001");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("of its effectiveness: VER-002 is fail"),
            "{}",
            f[0].message
        );
        assert!(f[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("control_check: effectiveness"));
        r.truncate(4);
        let d = run(&r);
        let f = fired(&d, "rc-verified", "RC-001");
        assert!(
            f[0].message
                .contains("either its implementation or its effectiveness"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn residual_ok_credits_only_verified_reductions() {
        let mut r = complete();
        r.truncate(5); // effectiveness not verified
        let d = run(&r);
        let f = fired(&d, "residual-ok", "HS-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message
                .contains("not credited because RC-001 is not verified"),
            "{}",
            f[0].message
        );
        // The initial risk that stands is U: a benefit-risk analysis cannot accept it.
        r[1] = hs(
            "HS-001",
            REDUCED,
            "benefit_risk: DOC-001\nafap_rationale: none left\n",
        );
        r.push(doc("DOC-001", "doc_type: benefit-risk\n"));
        let d = run(&r);
        let f = fired(&d, "residual-ok", "HS-001");
        assert!(
            f[0].message
                .contains("U is an unacceptable zone by the criteria of ddf's default"),
            "{}",
            f[0].message
        );
    }

    /// HS-001 at P`p` x S4 before and after control, mitigated by the verified RC-001.
    fn residual_at(p: &str, extra: &str) -> String {
        hs(
            "HS-001",
            &format!("severity: S4\nprobability: {p}\nresidual_severity: S4\nresidual_probability: {p}\n"),
            extra,
        )
    }

    #[test]
    fn residual_ok_never_accepts_an_unacceptable_zone() {
        // The reproduction: residual U with an approved benefit-risk analysis passed.
        let mut r = complete();
        r[1] = residual_at(
            "P3",
            "benefit_risk: DOC-001\nafap_rationale: no further control is practicable\n",
        );
        r.push(doc("DOC-001", "doc_type: benefit-risk\n"));
        let d = run(&r);
        let f = fired(&d, "residual-ok", "HS-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message
                .contains("residual risk U (P3 x S4) is not acceptable; U is an unacceptable zone")
                && f[0].message.contains("(`benefit_risk` names one)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn residual_ok_in_reduce_zone_needs_benefit_risk_and_afap_rationale() {
        let mut r = complete();
        r.push(doc("DOC-001", "doc_type: benefit-risk\n"));
        // Benefit-risk alone is not enough: the risk must be reduced as far as possible.
        r[1] = residual_at("P2", "benefit_risk: DOC-001\n");
        let d = run(&r);
        let f = fired(&d, "residual-ok", "HS-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message
                .contains("residual risk R (P2 x S4) is not acceptable; R may be accepted")
                && f[0].message.contains("but it has no `afap_rationale`"),
            "{}",
            f[0].message
        );
        // Both: accepted.
        r[1] = residual_at(
            "P2",
            "benefit_risk: DOC-001\nafap_rationale: every practicable control is in place\n",
        );
        assert!(fired(&run(&r), "residual-ok", "HS-001").is_empty());
        // A draft analysis does not count.
        r[6] = doc("DOC-001", "status: draft\ndoc_type: benefit-risk\n");
        let d = run(&r);
        let f = fired(&d, "residual-ok", "HS-001");
        assert!(
            f[0].message.contains("DOC-001, which is draft"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn risk_transfer_needs_labeling_and_validation() {
        let mut r = complete();
        r[2] = rc("RC-001", "mitigates: [HS-001]\ntransfers_risk_to: user\n");
        let d = run(&r);
        assert_eq!(
            fired(&d, "risk-transfer-disclosed", "RC-001").len(),
            2,
            "{d:?}"
        );
        r.push(dout("DO-002", "labeling", "implements_control: [RC-001]\n"));
        r.push(val("VAL-001", "covers_risk_transfer: [RC-001]\n"));
        assert!(fired(&run(&r), "risk-transfer-disclosed", "RC-001").is_empty());
    }

    #[test]
    fn bad_levels_do_not_panic_or_pile_on() {
        let r = vec![hs(
            "HS-001",
            "severity: S9\nprobability: high\nresidual_severity: x\nresidual_probability: P1\n",
            "",
        )];
        let d = run(&r);
        assert!(d.iter().any(|d| d.rule == "invalid-value"));
        for rule in ["hs-controlled", "residual-ok"] {
            assert!(fired(&d, rule, "HS-001").is_empty(), "{rule}: {d:?}");
        }
    }
}
