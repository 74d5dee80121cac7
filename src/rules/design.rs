//! Design-control trace rules: `un-validated`, `di-parent`, `di-has-output`, `di-verified`,
//! `risk-verified`.
//!
//! They check the chain ISO 13485 7.3 asks an auditor to be able to walk: a user need is
//! validated (7.3.7), every design input derives from a need, an input, a risk control or a
//! regulation (7.3.3), is realised by a design output (7.3.2 e, 7.3.4) and is verified (7.3.6),
//! and a failed verification is taken into change control (7.3.9).

use super::live::Live;
use super::Ctx;
use crate::corpus::Corpus;
use crate::record::Record;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let live = Live::new(
        ctx,
        &[
            "user-need",
            "design-input",
            "design-output",
            "verification",
            "validation",
            "change-request",
            "risk-control",
        ],
    );
    un_validated(ctx, &live);
    di_parent(ctx, &live);
    di_has_output(ctx, &live);
    di_verified(ctx, &live);
}

/// `VER-002 is fail, VER-003 has no result` for the records of `idxs` that do not pass.
fn non_passing(corpus: &Corpus, idxs: &[usize]) -> Vec<String> {
    let mut out: Vec<(String, String)> = idxs
        .iter()
        .map(|&j| &corpus.records[j])
        .filter(|r| r.str("result") != Some("pass"))
        .map(|r| {
            let why = match r.text("result") {
                Some(res) => format!("{} is {res}", r.id),
                None => format!("{} has no result", r.id),
            };
            (r.id.clone(), why)
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, s)| s).collect()
}

/// What the ids written in some link fields of a record resolve to.
#[derive(Default)]
struct Targets {
    /// Live records of an accepted type.
    live: usize,
    /// Ids of obsolete records of an accepted type.
    obsolete: Vec<String>,
    /// Some id names no record, or a record of a type the field does not take: the structure
    /// rules (`dangling-link`, `link-type`, `invalid-value`) report it, and fixing it may
    /// well satisfy the trace rule, so the trace rule stays silent.
    broken: bool,
}

/// Resolves the ids written in `fields` of `r`, each field with the types it accepts.
fn targets(live: &Live<'_>, corpus: &Corpus, r: &Record, fields: &[(&str, &[&str])]) -> Targets {
    let mut t = Targets::default();
    for (field, types) in fields {
        for id in r.list(field) {
            match corpus.by_id.get(&id).map(|&j| (j, &corpus.records[j])) {
                Some((j, target))
                    if target.id != r.id && types.contains(&target.type_name.as_str()) =>
                {
                    if live.is_any(j, types) {
                        t.live += 1;
                    } else {
                        t.obsolete.push(id);
                    }
                }
                _ => t.broken = true,
            }
        }
    }
    t.obsolete.sort();
    t.obsolete.dedup();
    t
}

/// `un-validated`: every user need has a passing validation (7.3.7), whatever its status: a
/// need still in draft or review is part of the design all the same, and leaving it out would
/// let a DDF pass by never approving its needs. Only obsolete needs (not live) are left out.
fn un_validated(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    for (i, r) in live.all("user-need") {
        let vals = live.inbound(i, "validates", &["validation"]);
        if vals
            .iter()
            .any(|&j| corpus.records[j].str("result") == Some("pass"))
        {
            continue;
        }
        let status = match r.status() {
            "" => "without status".to_string(),
            st => st.to_string(),
        };
        let mut msg = format!("{} ({status}) has no passing validation", r.id);
        let failing = non_passing(corpus, &vals);
        if !failing.is_empty() {
            msg.push_str(&format!(": {}", failing.join(", ")));
        }
        let hint = format!(
            "write a VAL with `validates: [{}]` and `result: pass`, run on representative product",
            r.id
        );
        ctx.emit("un-validated", r, None, msg, &hint);
    }
}

/// `di-parent`: every design input has a reason to exist (7.3.3): a need or parent input it
/// traces to, a risk control it implements, or a regulation it comes from.
fn di_parent(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    for (_, r) in live.all("design-input") {
        let fields: [(&str, &[&str]); 2] = [
            ("traces_to", &["user-need", "design-input"]),
            ("implements_control", &["risk-control"]),
        ];
        let t = targets(live, corpus, r, &fields);
        if t.live > 0 || t.broken {
            continue;
        }
        let regulatory = r.str("category") == Some("regulatory");
        if regulatory && r.has("standard") {
            continue;
        }
        let (msg, pos) = if !t.obsolete.is_empty() {
            (
                format!(
                    "{} has no current parent: it names only obsolete records ({})",
                    r.id,
                    t.obsolete.join(", ")
                ),
                r.index
                    .key_pos("traces_to")
                    .or_else(|| r.index.key_pos("implements_control")),
            )
        } else if regulatory {
            (
                format!("{} is a regulatory input but names no `standard`, and traces to no UN, DI or RC", r.id),
                r.index.key_pos("category"),
            )
        } else {
            (
                format!(
                    "{} has no parent: it traces_to no user need or design input, implements_control no risk control, and is not a regulatory input with a `standard`",
                    r.id
                ),
                None,
            )
        };
        let hint = if regulatory {
            "add `standard:` naming the regulation or standard clause it comes from (e.g. `IEC 60601-1-8:2020 6.3`), or `traces_to: [UN-...]`"
        } else {
            "add `traces_to: [UN-...]` naming the user need (or parent DI) it derives from, or `implements_control: [RC-...]`; an input taken from a regulation takes `category: regulatory` and `standard:`"
        };
        ctx.emit("di-parent", r, pos, msg, hint);
    }
}

/// `di-has-output`: every design input is realised by an output, itself or through its child
/// inputs (7.3.2 e, 7.3.4), and every output answers an input or a risk control.
fn di_has_output(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    // An input has an output when a DO satisfies it or when one of its children has one; so
    // propagate "has an output" from the inputs with a DO up their `traces_to` links, once
    // per input (cycles are reported by the `cycle` rule and simply stop the propagation).
    let mut has_out = vec![false; corpus.records.len()];
    let mut queue = Vec::new();
    for (i, _) in live.all("design-input") {
        if graph
            .inbound(i, "satisfies")
            .any(|j| live.is(j, "design-output"))
        {
            has_out[i] = true;
            queue.push(i);
        }
    }
    while let Some(i) = queue.pop() {
        for p in graph.outbound(i, "traces_to") {
            if live.is(p, "design-input") && !has_out[p] {
                has_out[p] = true;
                queue.push(p);
            }
        }
    }
    for (i, r) in live.all("design-input") {
        if has_out[i] {
            continue;
        }
        let children = live.inbound(i, "traces_to", &["design-input"]);
        let mut msg = format!(
            "{} has no design output: no DO names it in `satisfies`",
            r.id
        );
        if !children.is_empty() {
            msg.push_str(&format!(
                ", nor any of its child DIs ({})",
                live.ids(&children)
            ));
        }
        let hint = format!(
            "write a DO (spec, source, labeling...) with `satisfies: [{}]`, or derive a child DI (`traces_to: [{}]`) that an output satisfies",
            r.id, r.id
        );
        ctx.emit("di-has-output", r, None, msg, &hint);
    }
    for (_, r) in live.all("design-output") {
        let fields: [(&str, &[&str]); 2] = [
            ("satisfies", &["design-input"]),
            ("implements_control", &["risk-control"]),
        ];
        let t = targets(live, corpus, r, &fields);
        if t.live > 0 || t.broken {
            continue;
        }
        let (msg, pos) = if t.obsolete.is_empty() {
            (
                format!(
                    "{} satisfies no design input and implements no risk control",
                    r.id
                ),
                None,
            )
        } else {
            (
                format!(
                    "{} satisfies or implements only obsolete records ({})",
                    r.id,
                    t.obsolete.join(", ")
                ),
                r.index
                    .key_pos("satisfies")
                    .or_else(|| r.index.key_pos("implements_control")),
            )
        };
        let hint = "add `satisfies: [DI-...]` naming the design input this output realises, or `implements_control: [RC-...]`";
        ctx.emit("di-has-output", r, pos, msg, hint);
    }
}

/// `di-verified`: every design input has passing verification (7.3.6), itself or through all
/// of its children; a verification that failed or was inconclusive is handled by a CR.
fn di_verified(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    let n = corpus.records.len();
    // verified(d) = a passing VER names d, or d has children and all are verified. Evaluated
    // bottom-up: each input counts its unverified children, and a child that becomes verified
    // decrements its parents once. Linear in inputs + links, and a cycle simply never resolves.
    let mut verified = vec![false; n];
    let mut pending = vec![0usize; n];
    let mut queue = Vec::new();
    for (i, _) in live.all("design-input") {
        pending[i] = live.inbound(i, "traces_to", &["design-input"]).len();
        let passing = graph
            .inbound(i, "verifies")
            .any(|j| live.is(j, "verification") && corpus.records[j].str("result") == Some("pass"));
        if passing {
            verified[i] = true;
            queue.push(i);
        }
    }
    while let Some(i) = queue.pop() {
        for p in live.outbound(i, "traces_to", &["design-input"]) {
            if verified[p] {
                continue;
            }
            pending[p] = pending[p].saturating_sub(1);
            if pending[p] == 0 {
                verified[p] = true;
                queue.push(p);
            }
        }
    }
    for (i, r) in live.all("design-input") {
        if verified[i] {
            continue;
        }
        let vers = live.inbound(i, "verifies", &["verification"]);
        let children = live.inbound(i, "traces_to", &["design-input"]);
        let unverified: Vec<usize> = children.iter().copied().filter(|&c| !verified[c]).collect();
        let mut msg = format!("{} has no passing verification", r.id);
        let failing = non_passing(corpus, &vers);
        if !failing.is_empty() {
            msg.push_str(&format!(": {}", failing.join(", ")));
        }
        if !unverified.is_empty() {
            msg.push_str(&format!(
                "; child DIs not verified: {}",
                live.ids(&unverified)
            ));
        }
        let hint = if children.is_empty() {
            format!("write a VER with `verifies: [{}]` and `result: pass`", r.id)
        } else {
            format!("write a VER with `verifies: [{}]` and `result: pass`, or verify each of its child DIs", r.id)
        };
        // A requirement whose failure matters to the quality system that relies on it
        // (`risk: high`, a field a profile adds: docs/validation.md) stays an error even where
        // a project lowers `di-verified`: FDA's computer software assurance guidance asks for
        // scripted assurance of high-risk features only.
        if r.str("risk") == Some("high") {
            let msg = format!(
                "{} is a high-risk requirement (risk: high) without a passing verification",
                r.id
            );
            ctx.emit("risk-verified", r, r.index.value_pos("risk"), msg, &hint);
        }
        ctx.emit("di-verified", r, None, msg, &hint);
    }
    for (j, v) in live.all("verification") {
        let Some(result) = v
            .str("result")
            .filter(|s| *s == "fail" || *s == "inconclusive")
        else {
            continue;
        };
        if graph
            .inbound(j, "verification")
            .any(|c| live.is(c, "change-request"))
        {
            continue;
        }
        let verifies = live.outbound(
            j,
            "verifies",
            &["design-input", "design-output", "risk-control"],
        );
        let what = if verifies.is_empty() {
            String::new()
        } else {
            format!(" (verifies {})", live.ids(&verifies))
        };
        let msg = format!(
            "{}{what} has result {result}, and no CR names it in `verification`",
            v.id
        );
        let hint = format!(
            "open a CR with `verification: [{}]` to correct the design or the test, or re-run it and record `result: pass` with its evidence",
            v.id
        );
        ctx.emit("di-verified", v, v.index.value_pos("result"), msg, &hint);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{fired, rec, run};

    fn un(id: &str) -> String {
        rec("user-need", id, "source: user\n")
    }

    fn di(id: &str, links: &str) -> String {
        rec(
            "design-input",
            id,
            &format!("category: functional\nacceptance_criteria: x\n{links}"),
        )
    }

    fn dout(id: &str, links: &str) -> String {
        rec(
            "design-output",
            id,
            &format!("output_kind: source\nessential: true\n{links}"),
        )
    }

    fn ver(id: &str, result: &str, verifies: &str) -> String {
        rec(
            "verification",
            id,
            &format!("method: test\nacceptance_criteria: x\nresult: {result}\nexecuted_on: 2026-01-01\nbaseline: abc\nevidence: e\nverifies: [{verifies}]\n"),
        )
    }

    fn val(id: &str, result: &str, validates: &str) -> String {
        rec(
            "validation",
            id,
            &format!("method: simulated-use\nresult: {result}\nproduct_config: REL-001\nexecuted_on: 2026-01-01\nevidence: e\nvalidates: [{validates}]\n"),
        )
    }

    fn cr(id: &str, fields: &str) -> String {
        rec(
            "change-request",
            id,
            &format!("status: open\nreason: r\nimpact: i\ncyber_impact: unlikely-to-impact\ncyber_rationale: c\nregulatory_path: letter-to-file\n{fields}"),
        )
    }

    /// UN-001 <- DI-001 <- DO-001, VER-001 passing, VAL-001 passing.
    fn complete() -> Vec<String> {
        vec![
            un("UN-001"),
            di("DI-001", "traces_to: [UN-001]\n"),
            dout("DO-001", "satisfies: [DI-001]\n"),
            ver("VER-001", "pass", "DI-001"),
            val("VAL-001", "pass", "UN-001"),
        ]
    }

    const RULES: &[&str] = &["un-validated", "di-parent", "di-has-output", "di-verified"];

    #[test]
    fn complete_chain_has_no_design_findings() {
        let d = run(&complete());
        let ours: Vec<_> = d.iter().filter(|d| RULES.contains(&d.rule)).collect();
        assert!(ours.is_empty(), "{ours:?}");
    }

    #[test]
    fn un_validated_fires_without_passing_val() {
        let mut r = complete();
        r[4] = val("VAL-001", "fail", "UN-001");
        let d = run(&r);
        let f = fired(&d, "un-validated", "UN-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(f[0].message.contains("VAL-001 is fail"), "{}", f[0].message);
        assert!(f[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("validates: [UN-001]"));
    }

    #[test]
    fn un_validated_holds_every_live_need_and_ignores_obsolete_vals() {
        // The reproduction: draft needs and no VAL at all gave no finding.
        for status in ["draft", "in-review"] {
            let mut r = complete();
            r[0] = rec(
                "user-need",
                "UN-001",
                &format!("status: {status}\nsource: user\n"),
            );
            r.pop();
            let d = run(&r);
            let f = fired(&d, "un-validated", "UN-001");
            assert_eq!(f.len(), 1, "{status}: {d:?}");
            assert_eq!(
                f[0].message,
                format!("UN-001 ({status}) has no passing validation")
            );
        }
        // An obsolete need is out of the design.
        let mut r = complete();
        r[0] = rec("user-need", "UN-001", "status: obsolete\nsource: user\n");
        r.pop();
        assert!(fired(&run(&r), "un-validated", "UN-001").is_empty());
        let mut r = complete();
        r[4] = val("VAL-001", "pass", "UN-001").replace("status: approved", "status: obsolete");
        assert_eq!(fired(&run(&r), "un-validated", "UN-001").len(), 1);
    }

    #[test]
    fn di_parent_fires_on_orphan_and_regulatory_without_standard() {
        let mut r = complete();
        r[1] = di("DI-001", "");
        let d = run(&r);
        assert_eq!(fired(&d, "di-parent", "DI-001").len(), 1, "{d:?}");
        r[1] = rec(
            "design-input",
            "DI-001",
            "category: regulatory\nacceptance_criteria: x\n",
        );
        let d = run(&r);
        let f = fired(&d, "di-parent", "DI-001");
        assert!(f[0].message.contains("standard"), "{}", f[0].message);
        assert_eq!(f[0].line, Some(7));
    }

    #[test]
    fn di_parent_accepts_control_or_standard_and_names_obsolete_parent() {
        let mut r = complete();
        r[1] = rec(
            "design-input",
            "DI-001",
            "category: regulatory\nacceptance_criteria: x\nstandard: IEC 62304\n",
        );
        assert!(fired(&run(&r), "di-parent", "DI-001").is_empty());
        r[0] = rec("user-need", "UN-001", "status: obsolete\nsource: user\n");
        r[1] = di("DI-001", "traces_to: [UN-001]\n");
        let d = run(&r);
        let f = fired(&d, "di-parent", "DI-001");
        assert!(
            f[0].message.contains("obsolete records (UN-001)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn di_parent_leaves_dangling_links_to_the_structure_rules() {
        let mut r = complete();
        r[1] = di("DI-001", "traces_to: [UN-009]\n");
        let d = run(&r);
        assert!(fired(&d, "di-parent", "DI-001").is_empty());
        assert!(!fired(&d, "dangling-link", "DI-001").is_empty());
    }

    #[test]
    fn di_has_output_fires_on_input_and_output() {
        let mut r = complete();
        r[2] = dout("DO-001", "");
        let d = run(&r);
        assert_eq!(fired(&d, "di-has-output", "DI-001").len(), 1, "{d:?}");
        let f = fired(&d, "di-has-output", "DO-001");
        assert!(
            f[0].message.contains("satisfies no design input"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn di_has_output_through_a_child() {
        let mut r = complete();
        r.push(di("DI-002", "traces_to: [DI-001]\n"));
        r.push(di("DI-003", "traces_to: [DI-002]\n"));
        r[2] = dout("DO-001", "satisfies: [DI-003]\n");
        r[3] = ver("VER-001", "pass", "DI-001, DI-002, DI-003");
        let d = run(&r);
        for id in ["DI-001", "DI-002", "DI-003", "DO-001"] {
            assert!(fired(&d, "di-has-output", id).is_empty(), "{id}: {d:?}");
        }
        // An obsolete child does not carry its output up.
        r[4] = di("DI-003", "status: obsolete\ntraces_to: [DI-002]\n");
        let d = run(&r);
        let f = fired(&d, "di-has-output", "DI-001");
        assert!(
            f[0].message.contains("child DIs (DI-002)"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn di_verified_fires_with_failed_ver_and_wants_a_cr() {
        let mut r = complete();
        r[3] = ver("VER-001", "fail", "DI-001");
        let d = run(&r);
        let f = fired(&d, "di-verified", "DI-001");
        assert!(f[0].message.contains("VER-001 is fail"), "{}", f[0].message);
        let f = fired(&d, "di-verified", "VER-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert_eq!(f[0].line, Some(9));
        r.push(cr("CR-001", "verification: [VER-001]\n"));
        let d = run(&r);
        assert!(fired(&d, "di-verified", "VER-001").is_empty());
        assert_eq!(fired(&d, "di-verified", "DI-001").len(), 1);
    }

    #[test]
    fn di_verified_through_all_children() {
        let mut r = complete();
        r.push(di("DI-002", "traces_to: [DI-001]\n"));
        r.push(di("DI-003", "traces_to: [DI-001]\n"));
        r.push(dout("DO-002", "satisfies: [DI-002, DI-003]\n"));
        r[3] = ver("VER-001", "pass", "DI-002, DI-003");
        assert!(fired(&run(&r), "di-verified", "DI-001").is_empty());
        r[3] = ver("VER-001", "pass", "DI-002");
        let d = run(&r);
        let f = fired(&d, "di-verified", "DI-001");
        assert!(
            f[0].message.contains("child DIs not verified: DI-003"),
            "{}",
            f[0].message
        );
        assert_eq!(fired(&d, "di-verified", "DI-003").len(), 1);
    }

    /// A profile that adds `risk` to design inputs and lowers `di-verified`, as the
    /// tool-validation DDF does (validation/ddf.yaml).
    const RISK_PROFILE: &str = "project: t\nrules: { di-verified: warning }\ntypes:\n  design-input:\n    fields:\n      risk: { kind: enum, values: [high, low] }\n";

    #[test]
    fn risk_verified_keeps_high_risk_inputs_an_error_when_di_verified_is_lowered() {
        use crate::diagnostic::Severity;
        use crate::rules::testing::run_with;
        let mut r = complete();
        r[1] = di("DI-001", "traces_to: [UN-001]\nrisk: high\n");
        r[3] = ver("VER-001", "fail", "DI-001");
        r.push(di("DI-002", "traces_to: [UN-001]\nrisk: low\n"));
        r.push(dout("DO-002", "satisfies: [DI-002]\n"));
        let d = run_with(RISK_PROFILE, &r);
        let f = fired(&d, "risk-verified", "DI-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].line, Some(10), "at the risk field");
        assert!(f[0].message.contains("high-risk"), "{}", f[0].message);
        // The low-risk input without a verification is shown, as a warning only.
        assert!(fired(&d, "risk-verified", "DI-002").is_empty(), "{d:?}");
        let f = fired(&d, "di-verified", "DI-002");
        assert_eq!(f[0].severity, Severity::Warning);
        // Passing, the high-risk input has no finding.
        r[3] = ver("VER-001", "pass", "DI-001");
        assert!(fired(&run_with(RISK_PROFILE, &r), "risk-verified", "DI-001").is_empty());
        // Without the field (a device DDF), the rule says nothing: di-verified does.
        r[3] = ver("VER-001", "fail", "DI-001");
        r[1] = di("DI-001", "traces_to: [UN-001]\n");
        let d = run(&r);
        assert!(fired(&d, "risk-verified", "DI-001").is_empty());
        assert_eq!(fired(&d, "di-verified", "DI-001").len(), 1);
    }

    #[test]
    fn cycles_do_not_hang_or_verify() {
        let r = vec![
            un("UN-001"),
            di("DI-001", "traces_to: [UN-001, DI-002]\n"),
            di("DI-002", "traces_to: [DI-001]\n"),
        ];
        let d = run(&r);
        assert_eq!(fired(&d, "di-verified", "DI-001").len(), 1);
        assert_eq!(fired(&d, "di-has-output", "DI-002").len(), 1);
    }
}
