//! The snapshot as Markdown, for the review pack and for pull requests.

use super::{Coverage, Listed, Snapshot};
use std::collections::BTreeMap;
use std::fmt::Write;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn ids(l: &Listed) -> String {
    if l.ids.is_empty() {
        "-".into()
    } else {
        l.ids.join(", ")
    }
}

fn map_table(out: &mut String, head: &str, m: &BTreeMap<String, usize>) {
    if m.is_empty() {
        let _ = writeln!(out, "{head}: none.\n");
        return;
    }
    let _ = writeln!(out, "| {head} | count |\n|---|---:|");
    for (k, v) in m {
        let _ = writeln!(out, "| {} | {v} |", cell(k));
    }
    out.push('\n');
}

fn pct(c: &Coverage) -> String {
    match c.percent {
        Some(p) => format!("{p:.1} % ({}/{})", c.covered, c.total),
        None => "n/a (none)".into(),
    }
}

/// Renders the snapshot as Markdown.
pub fn render(s: &Snapshot) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Management review snapshot: {}\n", cell(&s.project));
    let _ = writeln!(
        o,
        "Period {} to {}; computed on {} from `{}`; {} records.\n\nContent hash (sha256): `{}`\n\nCite the file the snapshot is saved in, in the MR record's `inputs.snapshot`: `ddf review --out FILE` prints the line.\n",
        s.period.from, s.period.to, s.generated_on, s.source.describe, s.records, s.sha256
    );

    let v = &s.vulnerabilities;
    let _ = writeln!(o, "## Vulnerability trends (5.6.2; FDA V.A.6)\n");
    let _ = writeln!(o, "| | count | records |\n|---|---:|---|");
    for (name, l) in [
        ("new in the period", &v.new),
        ("remediated in the period", &v.closed),
        ("open at the end", &v.open),
        ("known exploited (KEV)", &v.kev),
    ] {
        let _ = writeln!(o, "| {name} | {} | {} |", l.count, ids(l));
    }
    o.push('\n');
    map_table(&mut o, "state", &v.by_state);
    map_table(&mut o, "exploitability", &v.by_exploitability);
    map_table(&mut o, "severity", &v.by_severity);
    map_table(&mut o, "component", &v.by_component);
    map_table(&mut o, "supplier", &v.by_supplier);
    let _ = writeln!(o, "| month | new | remediated |\n|---|---:|---:|");
    for m in &v.monthly {
        let _ = writeln!(o, "| {} | {} | {} |", m.month, m.new, m.closed);
    }
    o.push('\n');

    let p = &s.patch_timelines;
    let _ = writeln!(o, "## Patch timelines\n");
    let _ = writeln!(
        o,
        "- Identified (exploitable or resolved): {}; patched: {} ({})\n- Median days from discovery to remediation (remediated in the period): {}\n- Uncontrolled, customers notified after more than 30 days (or not yet): {} ({})\n- Uncontrolled, remediated after more than 60 days (or not yet): {} ({})\n- Time from patch to field deployment: not available without history\n",
        p.identified,
        p.patched,
        p.patched_percent.map_or("n/a".into(), |x| format!("{x:.1} %")),
        p.median_days_to_remediation.map_or("n/a".into(), |x| format!("{x:.1}")),
        p.notification_breaches.count,
        ids(&p.notification_breaches),
        p.remediation_breaches.count,
        ids(&p.remediation_breaches),
    );

    let r = &s.risk_posture;
    let _ = writeln!(o, "## Open risk posture\n");
    map_table(&mut o, "HS residual zone", &r.hs_residual_zones);
    map_table(&mut o, "THR residual zone", &r.thr_residual_zones);
    let _ = writeln!(o, "| | count | records |\n|---|---:|---|");
    for (name, l) in [
        ("uncontrolled vulnerabilities", &r.uncontrolled_vulns),
        ("components past end of support", &r.components_past_eos),
        ("components near end of support", &r.components_near_eos),
        (
            "components with unknown support",
            &r.components_support_unknown,
        ),
        ("components abandoned", &r.components_abandoned),
    ] {
        let _ = writeln!(o, "| {name} | {} | {} |", l.count, ids(l));
    }
    o.push('\n');
    if r.deferred_findings.is_empty() {
        let _ = writeln!(
            o,
            "Deferred findings: none recorded in `deferred_findings`.\n"
        );
    } else {
        let _ = writeln!(o, "| release | deferred finding |\n|---|---|");
        for d in &r.deferred_findings {
            let _ = writeln!(o, "| {} | {} |", d.release, cell(&d.finding));
        }
        o.push('\n');
    }

    let c = &s.capa;
    let _ = writeln!(o, "## CAPA ageing (8.5)\n");
    let _ = writeln!(o, "| | count | records |\n|---|---:|---|");
    for (k, l) in &c.open_by_age {
        let _ = writeln!(o, "| open {k} days | {} | {} |", l.count, ids(l));
    }
    for (name, l) in [
        ("overdue actions", &c.overdue_actions),
        ("pending effectiveness check", &c.pending_effectiveness),
        ("opened in the period", &c.opened),
        ("closed in the period", &c.closed),
    ] {
        let _ = writeln!(o, "| {name} | {} | {} |", l.count, ids(l));
    }
    o.push('\n');

    let g = &s.signals;
    let _ = writeln!(o, "## Feedback and complaints (5.6.2 a-c)\n");
    map_table(&mut o, "kind (received in the period)", &g.by_kind);
    map_table(&mut o, "reportable", &g.reportable);
    let _ = writeln!(o, "Open signals: {} ({})\n", g.open.count, ids(&g.open));

    let t = &s.trace_coverage;
    let _ = writeln!(o, "## Trace coverage\n");
    let _ = writeln!(o, "| measure | coverage | missing |\n|---|---|---|");
    for (name, cv) in [
        ("design inputs verified", &t.di_verified),
        ("approved user needs validated", &t.un_validated),
        ("risk controls verified effective", &t.rc_verified_effective),
        ("threats with a complete chain", &t.thr_complete_chain),
    ] {
        let _ = writeln!(
            o,
            "| {name} | {} | {} |",
            pct(cv),
            if cv.missing.is_empty() {
                "-".into()
            } else {
                cv.missing.join(", ")
            }
        );
    }
    let _ = writeln!(
        o,
        "\nOrphan records: {} ({})\n",
        t.orphans.count,
        ids(&t.orphans)
    );
    if t.failing_rules.is_empty() {
        let _ = writeln!(o, "Failing rules: none (`ddf check` is clean).\n");
    } else {
        let _ = writeln!(o, "| rule | errors | warnings |\n|---|---:|---:|");
        for (k, n) in &t.failing_rules {
            let _ = writeln!(o, "| `{k}` | {} | {} |", n.errors, n.warnings);
        }
        o.push('\n');
    }

    let cc = &s.change_control;
    let _ = writeln!(o, "## Change control (7.3.9)\n");
    map_table(&mut o, "cyber class", &cc.by_cyber_class);
    map_table(&mut o, "status", &cc.by_status);
    let _ = writeln!(
        o,
        "Emergency changes: {} ({}). Merges without a CR: not available without history.\n",
        cc.emergency.count,
        ids(&cc.emergency)
    );

    let su = &s.suppliers;
    let _ = writeln!(o, "## Suppliers (7.4)\n");
    map_table(&mut o, "approval", &su.by_approval);
    let _ = writeln!(
        o,
        "Overdue re-evaluations: {} ({}). Disapproved suppliers still in use: {} ({}).\n",
        su.overdue_reevaluation.count,
        ids(&su.overdue_reevaluation),
        su.disapproved_in_use.count,
        ids(&su.disapproved_in_use)
    );

    let _ = writeln!(o, "## Documents and follow-up (4.2.4; 5.6.2 i)\n");
    let _ = writeln!(
        o,
        "Overdue document reviews: {} ({}).\n",
        s.documents.overdue_reviews.count,
        ids(&s.documents.overdue_reviews)
    );
    match &s.follow_up.last_review {
        None => {
            let _ = writeln!(o, "No previous management review.\n");
        }
        Some(mr) if s.follow_up.open_actions.is_empty() => {
            let _ = writeln!(o, "Previous review {mr}: no open actions.\n");
        }
        Some(mr) => {
            let _ = writeln!(o, "Open actions of the previous review {mr}:\n\n| action | owner | due | overdue |\n|---|---|---|---|");
            for a in &s.follow_up.open_actions {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    cell(&a.text),
                    a.owner.as_deref().unwrap_or("-"),
                    a.due.as_deref().unwrap_or("-"),
                    if a.overdue { "yes" } else { "no" }
                );
            }
            o.push('\n');
        }
    }

    let _ = writeln!(o, "## Not available\n");
    for n in &s.not_available {
        let _ = writeln!(o, "- `{}`: {}", n.metric, n.reason);
    }
    o
}
