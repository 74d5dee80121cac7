//! Supply-chain trace rules: `cmp-complete`, `cmp-eos-horizon`, `supplier-current` (on released
//! components; the release SBOMs come from [`super::vulns`]).
//!
//! A cyber device's SBOM must name each component's supplier, support level and end of support
//! (FD&C Act 524B(b)(3); FDA cybersecurity guidance V.A.4.b; NTIA minimum elements), components
//! nearing end of support need a plan (V.A.4), and the suppliers behind the product are
//! evaluated and monitored (ISO 13485 7.4.1).

use super::live::Live;
use super::Ctx;
use crate::corpus::Corpus;
use crate::date::Date;
use crate::record::Record;
use crate::schema::FieldDef;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let live = Live::new(ctx, &["component", "supplier", "release"]);
    cmp_complete(ctx, &live);
    cmp_eos_horizon(ctx, &live);
    supplier_current(ctx, &live);
}

/// The schema's definition of `field` on type `ty`.
fn field_def<'c>(corpus: &'c Corpus, ty: &str, field: &str) -> Option<&'c FieldDef> {
    corpus
        .config
        .schema
        .get(ty)
        .and_then(|t| t.fields.get(field))
}

/// Whether the structure rules already report `field` when it is missing (the schema, as the
/// project layered it, requires it): then a trace rule does not report it a second time.
fn schema_requires(corpus: &Corpus, ty: &str, field: &str) -> bool {
    field_def(corpus, ty, field).is_some_and(|f| f.required)
}

/// `1 day` / `3 days`.
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// `CMP-004 (zlib 1.3.1)` for messages, so the engineer sees which package is meant.
fn label(r: &Record) -> String {
    match (r.text("name"), r.text("version")) {
        (Some(n), Some(v)) => format!("{} ({n} {v})", r.id),
        (Some(n), None) => format!("{} ({n})", r.id),
        _ => r.id.clone(),
    }
}

/// `cmp-complete`: each component carries the SBOM elements vulnerability monitoring and
/// support planning depend on.
fn cmp_complete(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    for (_, r) in live.all("component") {
        let suppliers = r.list("supplier");
        if suppliers.is_empty() {
            let msg = format!("{} names no `supplier`", label(r));
            let hint = "add `supplier: [SUP-...]` naming the supplier record (for open source, the project that maintains it; for first-party code, your own organisation)";
            ctx.emit("cmp-complete", r, None, msg, hint);
        } else {
            let mut obsolete = Vec::new();
            let mut usable = false;
            for id in &suppliers {
                match corpus.by_id.get(id) {
                    Some(&j)
                        if corpus.records[j].type_name == "supplier" && !live.is(j, "supplier") =>
                    {
                        obsolete.push(id.as_str())
                    }
                    // Live suppliers count; dangling or mistyped ids are the structure rules' to report.
                    _ => usable = true,
                }
            }
            if !usable {
                obsolete.sort_unstable();
                let msg = format!(
                    "{} names only obsolete suppliers ({})",
                    label(r),
                    obsolete.join(", ")
                );
                let hint = "name the current SUP record in `supplier`";
                ctx.emit("cmp-complete", r, r.index.value_pos("supplier"), msg, hint);
            }
        }
        for field in ["support_level", "end_of_support"] {
            if !r.has(field) && !schema_requires(corpus, "component", field) {
                let msg = format!("{} has no `{field}`", label(r));
                let hint = if field == "support_level" {
                    "add `support_level:` (actively-maintained, no-longer-maintained, abandoned or unknown)"
                } else {
                    "add `end_of_support:` with the date support ends, or `unknown` with a `support_basis`"
                };
                ctx.emit("cmp-complete", r, None, msg, hint);
            }
        }
        let unknown_eos = r
            .text("end_of_support")
            .is_some_and(|s| s.trim() == "unknown");
        if unknown_eos
            && !r.has("support_basis")
            && !schema_requires(corpus, "component", "support_basis")
        {
            let msg = format!(
                "{} has `end_of_support: unknown` but no `support_basis`",
                label(r)
            );
            let hint = "add `support_basis:` saying why the end of support is unknown and how support is judged (e.g. release activity of the project)";
            ctx.emit(
                "cmp-complete",
                r,
                r.index.value_pos("end_of_support"),
                msg,
                hint,
            );
        }
        // A missing or invalid `origin` is reported by the structure rules; only a known
        // third-party origin obliges an identifier.
        let Some(origin) = r.str("origin") else {
            continue;
        };
        let known = field_def(corpus, "component", "origin")
            .is_some_and(|f| f.values.iter().any(|v| v == origin));
        if known && origin != "first-party" && !r.has("purl") && !r.has("cpe") {
            let msg = format!("{} is {origin} but has neither `purl` nor `cpe`", label(r));
            let hint = "add `purl:` (e.g. `pkg:github/madler/zlib@1.3.1`) or `cpe:` (`cpe:2.3:a:...`) so the component can be matched against vulnerability databases";
            ctx.emit("cmp-complete", r, r.index.value_pos("origin"), msg, hint);
        }
    }
}

/// `cmp-eos-horizon`: a component whose support ends before the product's support does, or
/// soon, has a replacement plan (FDA V.A.4).
fn cmp_eos_horizon(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let today = ctx.today;
    let horizon_days = corpus.config.policy.eos_horizon_days;
    let horizon = today.add_days(horizon_days);
    // The product is supported until the latest `support_end` of its releases.
    let mut latest: Option<(Date, &str)> = None;
    for (_, rel) in live.all("release") {
        if let Some(d) = rel.text("support_end").and_then(|s| Date::parse(&s)) {
            if latest.is_none_or(|(l, _)| d > l) {
                latest = Some((d, rel.id.as_str()));
            }
        }
    }
    for (_, r) in live.all("component") {
        if r.has("replacement_plan") {
            continue;
        }
        // `unknown` and malformed dates cannot be compared; `cmp-complete` and the structure
        // rules deal with them.
        let Some(eos) = r.text("end_of_support").and_then(|s| Date::parse(&s)) else {
            continue;
        };
        let why = match latest {
            Some((end, rel)) if eos < end => format!("before {rel} is supported until {end}"),
            _ if eos < today => format!("{} ago", days(today.days_since(eos))),
            _ if eos <= horizon => format!("within {horizon_days} days (policy.eos_horizon_days)"),
            _ => continue,
        };
        let verb = if eos < today { "ended" } else { "ends" };
        let msg = format!(
            "{} {verb} support on {eos}, {why}, and has no `replacement_plan`",
            label(r)
        );
        let hint = "write `replacement_plan:` saying how and when the component will be replaced, upgraded or supported in-house";
        ctx.emit(
            "cmp-eos-horizon",
            r,
            r.index.value_pos("end_of_support"),
            msg,
            hint,
        );
    }
}

/// `supplier-current`: the suppliers of the product's components are approved (or
/// conditionally approved) and their re-evaluation is not overdue (ISO 13485 7.4.1).
fn supplier_current(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let today = ctx.today;
    // A draft component that no release lists is work in progress (a fresh `ddf sbom import`),
    // and its new supplier is still under evaluation: only released components count.
    let releases = ctx.release_sboms();
    for (i, r) in live.all("supplier") {
        let mut users = live.inbound(i, "supplier", &["component"]);
        users.retain(|&c| super::vulns::is_released(corpus, &releases, c));
        // A supplier no released component names is not in the product: nothing to keep current.
        if users.is_empty() {
            continue;
        }
        let mut cmps = live.ids(&users);
        let mut in_rels: Vec<&str> = users
            .iter()
            .flat_map(|&c| releases.releases_of(c).iter())
            .map(|&j| corpus.records[j].id.as_str())
            .collect();
        in_rels.sort_unstable();
        in_rels.dedup();
        if !in_rels.is_empty() {
            cmps = format!("{cmps} (released in {})", in_rels.join(", "));
        }
        // A missing or invalid approval is reported by the structure rules.
        if let Some(approval) = r.str("approval") {
            if !matches!(approval, "approved" | "conditional")
                && field_def(corpus, "supplier", "approval")
                    .is_some_and(|f| f.values.iter().any(|v| v == approval))
            {
                let msg = format!("{} is {approval}, yet it supplies {cmps}", r.id);
                let hint = "complete the supplier evaluation and record `approval: approved` (or `conditional`), or replace the components with ones from an approved supplier";
                ctx.emit(
                    "supplier-current",
                    r,
                    r.index.value_pos("approval"),
                    msg,
                    hint,
                );
            }
        }
        if let Some(due) = r.text("next_reevaluation").and_then(|s| Date::parse(&s)) {
            if due < today {
                let msg = format!(
                    "{} was due for re-evaluation on {due} ({} ago); it supplies {cmps}",
                    r.id,
                    days(today.days_since(due))
                );
                let hint = "re-evaluate the supplier, then update `evaluation`, `last_evaluated` and `next_reevaluation`";
                ctx.emit(
                    "supplier-current",
                    r,
                    r.index.value_pos("next_reevaluation"),
                    msg,
                    hint,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{fired, messages, rec, run, run_with};

    /// An open-source component with a purl, supported until `eos`, plus `extra`.
    fn cmp(id: &str, eos: &str, extra: &str) -> String {
        let purl = if extra.contains("origin:") {
            ""
        } else {
            "origin: open-source\npurl: pkg:generic/zlib@1.3.1\n"
        };
        rec(
            "component",
            id,
            &format!("name: zlib\nversion: 1.3.1\n{purl}support_level: actively-maintained\nsupport_basis: upstream releases\nend_of_support: {eos}\nsbom_ref: zlib\n{extra}"),
        )
    }

    fn sup(id: &str, approval: &str, next: &str) -> String {
        rec(
            "supplier",
            id,
            &format!("name: zlib project\nsupplies: oss-project\napproval: {approval}\nevaluation: e\nlast_evaluated: 2026-01-01\nnext_reevaluation: {next}\n"),
        )
    }

    fn rel(id: &str, support_end: &str) -> String {
        rec(
            "release",
            id,
            &format!("version: 1.0\ntag: v1.0\ncommit: abc\nsbom: [sboms/a.json]\ntransfer: t\noverall_residual_risk: o\nrm_review: r\ncyber_device: true\nsupport_end: {support_end}\nfielded: false\n"),
        )
    }

    /// CMP-001 from approved SUP-001, supported past the release's support end.
    fn complete() -> Vec<String> {
        vec![
            cmp("CMP-001", "2032-01-01", "supplier: [SUP-001]\n"),
            sup("SUP-001", "approved", "2027-01-01"),
            rel("REL-001", "2031-12-31"),
        ]
    }

    const RULES: &[&str] = &["cmp-complete", "cmp-eos-horizon", "supplier-current"];

    #[test]
    fn complete_supply_chain_has_no_supply_findings() {
        let d = run(&complete());
        let ours: Vec<_> = d.iter().filter(|d| RULES.contains(&d.rule)).collect();
        assert!(ours.is_empty(), "{ours:?}");
    }

    #[test]
    fn cmp_complete_needs_supplier_and_identifier() {
        let mut r = complete();
        r[0] = cmp("CMP-001", "2032-01-01", "origin: commercial\n");
        let d = run(&r);
        let msgs = messages(&d, "cmp-complete", "CMP-001");
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs.iter()
                .any(|m| m.contains("CMP-001 (zlib 1.3.1) names no `supplier`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("commercial but has neither `purl` nor `cpe`")),
            "{msgs:?}"
        );
        r[0] = cmp(
            "CMP-001",
            "2032-01-01",
            "origin: first-party\nsupplier: [SUP-001]\n",
        );
        assert!(fired(&run(&r), "cmp-complete", "CMP-001").is_empty());
    }

    #[test]
    fn cmp_complete_leaves_required_fields_to_missing_field() {
        let r = vec![
            cmp("CMP-001", "unknown", "supplier: [SUP-001]\n")
                .replace("support_basis: upstream releases\n", ""),
            sup("SUP-001", "approved", "2027-01-01"),
        ];
        let d = run(&r);
        assert!(fired(&d, "cmp-complete", "CMP-001").is_empty(), "{d:?}");
        assert!(!fired(&d, "missing-field", "CMP-001").is_empty());
        // A project that makes `support_basis` optional still gets the obligation from the rule.
        let cfg = "project: test\ntypes:\n  component:\n    fields:\n      support_basis: { kind: text, required: false }\n";
        let d = run_with(cfg, &r);
        let f = fired(&d, "cmp-complete", "CMP-001");
        assert!(
            f[0].message
                .contains("`end_of_support: unknown` but no `support_basis`"),
            "{f:?}"
        );
    }

    #[test]
    fn cmp_eos_horizon_fires_before_release_support_end_and_near_today() {
        let mut r = complete();
        r[0] = cmp("CMP-001", "2030-01-01", "supplier: [SUP-001]\n");
        let d = run(&r);
        let f = fired(&d, "cmp-eos-horizon", "CMP-001");
        assert!(
            f[0].message
                .contains("before REL-001 is supported until 2031-12-31"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].severity, crate::diagnostic::Severity::Warning);
        r[2] = rel("REL-001", "2026-06-30");
        r[0] = cmp("CMP-001", "2026-12-01", "supplier: [SUP-001]\n");
        let d = run(&r);
        assert!(fired(&d, "cmp-eos-horizon", "CMP-001")[0]
            .message
            .contains("within 365 days"));
        r[0] = cmp(
            "CMP-001",
            "2026-12-01",
            "supplier: [SUP-001]\nreplacement_plan: move to zlib-ng in 2.1\n",
        );
        assert!(fired(&run(&r), "cmp-eos-horizon", "CMP-001").is_empty());
    }

    #[test]
    fn cmp_eos_horizon_follows_policy() {
        let mut r = complete();
        r[2] = rel("REL-001", "2026-06-30");
        r[0] = cmp("CMP-001", "2026-12-01", "supplier: [SUP-001]\n");
        let d = run_with("project: test\npolicy: { eos_horizon_days: 90 }\n", &r);
        assert!(fired(&d, "cmp-eos-horizon", "CMP-001").is_empty());
    }

    #[test]
    fn supplier_current_fires_on_disapproved_and_overdue() {
        let mut r = complete();
        r[1] = sup("SUP-001", "disapproved", "2026-01-01");
        let d = run(&r);
        let msgs = messages(&d, "supplier-current", "SUP-001");
        assert_eq!(msgs.len(), 2, "{msgs:?}");
        assert!(
            msgs.iter()
                .any(|m| m.contains("SUP-001 is disapproved, yet it supplies CMP-001")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("due for re-evaluation on 2026-01-01 (151 days ago)")),
            "{msgs:?}"
        );
        // A supplier of draft components that no release lists (a fresh import) is not checked.
        let mut drafts = r.clone();
        drafts[0] = drafts[0].replace("status: approved", "status: draft");
        assert!(fired(&run(&drafts), "supplier-current", "SUP-001").is_empty());
        // A supplier nothing uses is not checked.
        r[0] = cmp("CMP-001", "2032-01-01", "supplier: [SUP-002]\n");
        r.push(sup("SUP-002", "conditional", "2026-06-01"));
        let d = run(&r);
        assert!(fired(&d, "supplier-current", "SUP-001").is_empty());
        assert!(fired(&d, "supplier-current", "SUP-002").is_empty());
    }
}
