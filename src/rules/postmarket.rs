//! Postmarket and quality-system trace rules: `signal-closed-loop`, `capa-effective`,
//! `mr-complete`, `doc-review-due`.
//!
//! They check that feedback and complaints are evaluated, investigated and decided for
//! reportability (ISO 13485 8.2.1-8.2.3; 21 CFR 820.35(a)), that a CAPA closes only once its
//! effectiveness and lack of adverse effect are shown (8.5.2 e-f), that management review covers
//! its required inputs and outputs and happens on schedule (5.6), and that controlled documents
//! are reviewed when due (4.2.4).

use super::Ctx;
use crate::corpus::Corpus;
use crate::date::Date;
use crate::record::{is_given, scalar_text, Record};
use serde_yaml::Value;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    signal_closed_loop(ctx);
    capa_effective(ctx);
    mr_complete(ctx);
    doc_review_due(ctx);
}

/// ISO 13485:2016 5.6.2 review inputs, by key.
const MR_INPUTS: [(&str, &str); 12] = [
    ("a", "feedback"),
    ("b", "complaint handling"),
    ("c", "reporting to regulatory authorities"),
    ("d", "audits"),
    ("e", "monitoring and measurement of processes"),
    ("f", "monitoring and measurement of product"),
    ("g", "corrective action"),
    ("h", "preventive action"),
    ("i", "follow-up actions from previous management reviews"),
    (
        "j",
        "changes that could affect the quality management system",
    ),
    ("k", "recommendations for improvement"),
    ("l", "applicable new or revised regulatory requirements"),
];

/// ISO 13485:2016 5.6.3 review outputs, by key (d, resource needs, is not checked: rules.md).
const MR_OUTPUTS: [(&str, &str); 3] = [
    (
        "a",
        "improvement needed to keep the QMS and its processes suitable, adequate and effective",
    ),
    (
        "b",
        "improvement of product related to customer requirements",
    ),
    (
        "c",
        "changes needed to respond to new or revised regulatory requirements",
    ),
];

/// Whether the structure rules already report `field` when it is missing (the schema, as the
/// project layered it, requires it): then a trace rule does not report it a second time.
fn schema_requires(corpus: &Corpus, ty: &str, field: &str) -> bool {
    corpus
        .config
        .schema
        .get(ty)
        .and_then(|t| t.fields.get(field))
        .is_some_and(|f| f.required)
}

/// `1 day` / `3 days`.
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// `a, b and c` / `a and b` / `a`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `signal-closed-loop`: once a signal leaves `open` it is evaluated and decided for
/// reportability; a complaint also carries what 21 CFR 820.35(a) requires of its record.
fn signal_closed_loop(ctx: &mut Ctx<'_>) {
    let corpus = ctx.corpus;
    for (_, r) in ctx.of_type("signal") {
        // An open signal is still being handled; a missing status is the structure rules' to report.
        if matches!(r.status(), "" | "open") {
            continue;
        }
        let mut missing: Vec<String> = Vec::new();
        let mut keys: Vec<&str> = Vec::new();
        let complaint = r.str("kind") == Some("complaint");
        let investigated = r.has("investigation") || r.has("justification");
        if complaint {
            // 820.35(a): a complaint is investigated, or the reason for not investigating recorded.
            if !investigated {
                missing
                    .push("an `investigation` (or a `justification` for not investigating)".into());
                keys.push("investigation");
            }
        } else if !investigated && !r.has("evaluation") {
            missing.push("an `evaluation`, `investigation` or `justification`".into());
            keys.push("evaluation");
        }
        if !r.has("reportable") {
            missing.push("a `reportable` decision".into());
            keys.push("reportable");
        }
        if !r.has("reportable_rationale") {
            missing.push("a `reportable_rationale`".into());
            keys.push("reportable_rationale");
        }
        if complaint {
            for f in ["received", "device_id", "complainant_ref", "reply"] {
                if !r.has(f) && !schema_requires(corpus, "signal", f) {
                    missing.push(format!("`{f}`"));
                    keys.push(f);
                }
            }
        }
        if missing.is_empty() {
            continue;
        }
        let what = if complaint { "complaint" } else { "signal" };
        let msg = format!(
            "{} is a {what} in status {}, but lacks {}",
            r.id,
            r.status(),
            and_list(&missing)
        );
        let mut hint = format!(
            "add {}",
            keys.iter()
                .map(|k| format!("`{k}:`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if keys.contains(&"reportable") {
            hint.push_str(" (`reportable` is mdr-803, mdr-806 or none)");
        }
        if keys.contains(&"complainant_ref") {
            hint.push_str("; `complainant_ref` points into the PII store, never to personal data");
        }
        hint.push_str("; until then keep `status: open`");
        ctx.emit(
            "signal-closed-loop",
            r,
            r.index.value_pos("status"),
            msg,
            &hint,
        );
    }
}

/// `capa-effective`: a CAPA closes only once its effectiveness has been reviewed and the
/// action shown not to harm the device (ISO 13485 8.5.2 e, f).
fn capa_effective(ctx: &mut Ctx<'_>) {
    for (_, r) in ctx.of_type("capa") {
        if r.status() != "closed" && !r.has("closed") {
            continue;
        }
        let missing: Vec<String> = ["effectiveness", "no_adverse_effect"]
            .into_iter()
            .filter(|f| !r.has(f))
            .map(|f| format!("`{f}`"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let msg = format!("{} is closed but has no {}", r.id, missing.join(" nor "));
        let hint = "record `effectiveness:` (the review of whether the action worked, 8.5.2 f) and `no_adverse_effect:` (the verification that it does not harm the device, 8.5.2 e); until then keep the CAPA at `status: effectiveness-check` without a `closed` date";
        let pos = r
            .index
            .value_pos("closed")
            .or_else(|| r.index.value_pos("status"));
        ctx.emit("capa-effective", r, pos, msg, hint);
    }
}

/// The keys of `wanted` that the mapping field `field` of `r` does not cover with a value;
/// `None` when the field is absent or not a mapping (the structure rules report that).
fn uncovered(
    r: &Record,
    field: &str,
    wanted: &[(&'static str, &'static str)],
) -> Option<Vec<(&'static str, &'static str)>> {
    let Some(Value::Mapping(m)) = r.get(field) else {
        return None;
    };
    // Keys are `a`..`l`; `a)` and `A` are read the same, as people copy them from the standard.
    let given: Vec<String> = m
        .iter()
        .filter(|(_, v)| is_given(v))
        .filter_map(|(k, _)| scalar_text(k))
        .map(|k| k.trim().trim_end_matches(')').to_ascii_lowercase())
        .collect();
    Some(
        wanted
            .iter()
            .copied()
            .filter(|(k, _)| !given.iter().any(|g| g == k))
            .collect(),
    )
}

/// `mr-complete`: the latest management review covers 5.6.2 a-l and 5.6.3 a-c, and the next
/// one is not overdue (ISO 13485 5.6).
fn mr_complete(ctx: &mut Ctx<'_>) {
    let today = ctx.today;
    let interval = ctx.corpus.config.policy.review_interval_days;
    let mut latest: Option<(Date, &Record)> = None;
    for (_, r) in ctx.of_type("management-review") {
        // A missing or malformed date is reported by the structure rules; such an MR cannot be
        // placed in time. On equal dates the later file wins, so the choice is deterministic.
        if let Some(d) = r.text("date").and_then(|s| Date::parse(&s)) {
            if latest.is_none_or(|(l, _)| d >= l) {
                latest = Some((d, r));
            }
        }
    }
    // Without any MR there is no record to report on; a DDF that has never held a management
    // review is left to the review process itself (`ddf review`).
    let Some((date, r)) = latest else { return };
    let sections = [
        ("inputs", "5.6.2", &MR_INPUTS[..]),
        ("outputs", "5.6.3", &MR_OUTPUTS[..]),
    ];
    for (field, clause, wanted) in sections {
        let Some(missing) = uncovered(r, field, wanted) else {
            continue;
        };
        if missing.is_empty() {
            continue;
        }
        let items: Vec<String> = missing
            .iter()
            .map(|(k, what)| format!("{k}) {what}"))
            .collect();
        let msg = format!(
            "{}, the latest management review ({date}), does not cover ISO 13485 {clause} {} in `{field}`",
            r.id,
            and_list(&items)
        );
        let keys: Vec<String> = missing.iter().map(|(k, _)| format!("`{k}:`")).collect();
        let hint = format!(
            "add {} under `{field}`, each saying what was reviewed or decided",
            keys.join(", ")
        );
        ctx.emit("mr-complete", r, r.index.key_pos(field), msg, &hint);
    }
    let due = date.add_days(interval);
    if today > due {
        let msg = format!(
            "the latest management review, {} of {date}, is {} old; the planned interval is {interval} days (policy.review_interval_days), so the next was due on {due}",
            r.id,
            days(today.days_since(date))
        );
        let hint = "hold the management review and record it as a new MR (`ddf new management-review`), with `follow_up_of` naming this one";
        ctx.emit("mr-complete", r, r.index.value_pos("date"), msg, hint);
    }
}

/// `doc-review-due`: controlled documents are reviewed when due (ISO 13485 4.2.4).
fn doc_review_due(ctx: &mut Ctx<'_>) {
    let today = ctx.today;
    for (_, r) in ctx.of_type("document") {
        let Some(due) = r.text("review_due").and_then(|s| Date::parse(&s)) else {
            continue;
        };
        if due < today {
            let msg = format!(
                "{} was due for review on {due} ({} ago)",
                r.id,
                days(today.days_since(due))
            );
            let hint = "review the document, record the review, and set the next `review_due`; if it is withdrawn, set `status: obsolete`";
            ctx.emit(
                "doc-review-due",
                r,
                r.index.value_pos("review_due"),
                msg,
                hint,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    use crate::rules::testing::{fired, rec, run, run_with};

    /// A closed signal of `kind` with `extra`.
    fn sig(id: &str, kind: &str, extra: &str) -> String {
        rec(
            "signal",
            id,
            &format!(
                "status: closed\nkind: {kind}\nreceived: 2026-02-01\ndevice_id: (01)0123\n{extra}"
            ),
        )
    }

    /// Everything a closed complaint needs.
    const COMPLAINT: &str = "investigation: i\nreportable: none\nreportable_rationale: no injury\ncomplainant_ref: pii://42\nreply: r\n";

    fn capa(id: &str, extra: &str) -> String {
        rec(
            "capa",
            id,
            &format!("kind: corrective\nroot_cause: r\nactions: a\nopened: 2026-01-01\n{extra}"),
        )
    }

    /// An MR on `date` whose inputs are keyed `inputs` and outputs `outputs`.
    fn mr(id: &str, date: &str, inputs: &str, outputs: &str) -> String {
        let map = |keys: &str| {
            keys.chars()
                .map(|k| format!("  {k}: reviewed\n"))
                .collect::<String>()
        };
        rec(
            "management-review",
            id,
            &format!("date: {date}\nattendees: [PER-001]\nperiod: 2025\ninputs:\n{}outputs:\n{}actions: []\n", map(inputs), map(outputs)),
        )
    }

    const ALL_INPUTS: &str = "abcdefghijkl";

    fn doc(id: &str, due: &str) -> String {
        rec(
            "document",
            id,
            &format!("doc_type: sop\neffective: 2025-01-01\nreview_due: {due}\n"),
        )
    }

    fn complete() -> Vec<String> {
        vec![
            sig("SIG-001", "complaint", COMPLAINT),
            sig(
                "SIG-002",
                "literature",
                "evaluation: e\nreportable: none\nreportable_rationale: r\n",
            ),
            capa(
                "CAPA-001",
                "status: closed\nclosed: 2026-03-01\neffectiveness: e\nno_adverse_effect: n\n",
            ),
            mr("MR-001", "2026-03-01", ALL_INPUTS, "abc"),
            doc("DOC-001", "2027-01-01"),
        ]
    }

    const RULES: &[&str] = &[
        "signal-closed-loop",
        "capa-effective",
        "mr-complete",
        "doc-review-due",
    ];

    #[test]
    fn complete_postmarket_records_have_no_findings() {
        let d = run(&complete());
        let ours: Vec<_> = d.iter().filter(|d| RULES.contains(&d.rule)).collect();
        assert!(ours.is_empty(), "{ours:?}");
    }

    #[test]
    fn signal_closed_loop_lists_what_a_complaint_lacks() {
        let mut r = complete();
        r[0] = sig("SIG-001", "complaint", "evaluation: e\nreportable: none\n");
        let d = run(&r);
        let f = fired(&d, "signal-closed-loop", "SIG-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert_eq!(
            f[0].message,
            "SIG-001 is a complaint in status closed, but lacks an `investigation` (or a `justification` for not investigating), a `reportable_rationale`, `complainant_ref` and `reply`"
        );
        assert_eq!(f[0].line, Some(6)); // the `status` value
    }

    #[test]
    fn signal_closed_loop_skips_open_signals_and_needs_a_decision() {
        let mut r = complete();
        r[1] = sig("SIG-002", "literature", "evaluation: e\n");
        let d = run(&r);
        assert!(fired(&d, "signal-closed-loop", "SIG-002")[0]
            .message
            .contains("a `reportable` decision"));
        r[1] = sig("SIG-002", "literature", "").replace("status: closed", "status: open");
        assert!(fired(&run(&r), "signal-closed-loop", "SIG-002").is_empty());
    }

    #[test]
    fn capa_effective_fires_on_closed_date_without_effectiveness() {
        let mut r = complete();
        r[2] = capa(
            "CAPA-001",
            "status: implementing\nclosed: 2026-03-01\nno_adverse_effect: n\n",
        );
        let d = run(&r);
        let f = fired(&d, "capa-effective", "CAPA-001");
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "CAPA-001 is closed but has no `effectiveness`"
        );
        r[2] = capa("CAPA-001", "status: effectiveness-check\n");
        assert!(fired(&run(&r), "capa-effective", "CAPA-001").is_empty());
    }

    #[test]
    fn mr_complete_checks_only_the_latest_review() {
        let mut r = complete();
        r.push(mr("MR-002", "2025-01-01", "a", "a"));
        assert!(fired(&run(&r), "mr-complete", "MR-002").is_empty());
        r[3] = mr("MR-001", "2026-03-01", "abcefghijk", "ab");
        let d = run(&r);
        let f = fired(&d, "mr-complete", "MR-001");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f.iter()
                .any(|d| d.message.contains("5.6.2 d) audits and l) applicable")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|d| d.message.contains("5.6.3 c) changes")),
            "{f:?}"
        );
        assert!(f.iter().all(|d| d.severity == Severity::Warning));
    }

    #[test]
    fn mr_complete_fires_when_review_is_overdue() {
        let mut r = complete();
        r[3] = mr("MR-001", "2025-05-01", ALL_INPUTS, "abc");
        let d = run(&r);
        let f = fired(&d, "mr-complete", "MR-001");
        assert!(f[0].message.contains("is 396 days old"), "{f:?}");
        let d = run_with("project: test\npolicy: { review_interval_days: 400 }\n", &r);
        assert!(fired(&d, "mr-complete", "MR-001").is_empty());
    }

    #[test]
    fn malformed_reviews_are_left_to_the_structure_rules() {
        let bad = rec(
            "management-review",
            "MR-001",
            "date: 2026-03-01\nattendees: [PER-001]\nperiod: p\ninputs: [a, b]\noutputs: x\nactions: []\n",
        );
        let d = run(&[bad.clone(), mr("MR-002", "last year", "a", "a")]);
        assert!(fired(&d, "mr-complete", "MR-001").is_empty(), "{d:?}");
        assert!(fired(&d, "mr-complete", "MR-002").is_empty(), "{d:?}");
        assert!(d.iter().any(|d| d.rule == "invalid-value"));
    }

    #[test]
    fn doc_review_due_fires_when_past() {
        let mut r = complete();
        r[4] = doc("DOC-001", "2026-05-31");
        let d = run(&r);
        let f = fired(&d, "doc-review-due", "DOC-001");
        assert_eq!(
            f[0].message,
            "DOC-001 was due for review on 2026-05-31 (1 day ago)"
        );
        r[4] = doc("DOC-001", "2026-06-01");
        assert!(fired(&run(&r), "doc-review-due", "DOC-001").is_empty());
        // Obsolete documents are not reviewed.
        r[4] = doc("DOC-001", "2020-01-01").replace("status: approved", "status: obsolete");
        assert!(fired(&run(&r), "doc-review-due", "DOC-001").is_empty());
    }
}
