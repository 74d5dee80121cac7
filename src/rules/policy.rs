//! `risk-policy`: the risk acceptability criteria in force are those of the approved plans
//! (ISO 14971 4.4 c-d: the risk management plan states the criteria for risk acceptability;
//! AAMI TIR57 / SW96: the security risk management plan states those of security risk), and
//! every hazardous situation names the revision of the criteria it was scored under.
//!
//! The criteria themselves are resolved when the corpus loads ([`crate::risk_plan`]); this rule
//! reports what is wrong with the plans, a matrix that comes from `ddf.yaml` or the defaults
//! because no approved plan carries it (a warning: the check still scores, but an auditor
//! will ask where the criteria are approved), and `policy_rev` values that name another
//! revision.

use super::Ctx;
use crate::config::CONFIG_FILE;
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::risk::{scoring, Assessment};
use crate::risk_plan::{names_revision, Origin, Which};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let corpus = ctx.corpus;
    let inf = &corpus.risk;
    for p in &inf.problems {
        let r = &corpus.records[p.record];
        let pos = p
            .key
            .as_deref()
            .and_then(|k| r.index.token_pos("risk_policy", k))
            .or_else(|| r.index.key_pos("risk_policy"));
        if p.warning {
            ctx.warn("risk-policy", r, pos, p.message.clone(), &p.hint);
        } else {
            ctx.emit("risk-policy", r, pos, p.message.clone(), &p.hint);
        }
    }
    // Which matrices score anything: a fallback nobody uses is not worth a warning.
    let mut used = [false; 3];
    for (_, r) in ctx.of_type("hazardous-situation") {
        match scoring(r).map(|s| s.assessment) {
            Some(Assessment::Safety) => used[0] = true,
            Some(Assessment::Security) => used[1] = true,
            None => {}
        }
    }
    if ctx.of_type("vulnerability").next().is_some() {
        used[1] = true;
    }
    if ctx
        .of_type("threat")
        .any(|(_, r)| r.str("disposition") == Some("security-only"))
    {
        used[2] = true;
    }
    let config = &corpus.config;
    let risk_pos = config.key_pos.get("risk").copied();
    for (w, used) in Which::ALL.into_iter().zip(used) {
        if !used {
            continue;
        }
        let written = match w {
            Which::Safety => config.risk_raw.writes_safety(),
            Which::Security => config.risk_raw.writes_security(),
            Which::SecurityOnly => config.risk_raw.writes_security_only(),
        };
        let origin = inf.origin(w);
        let (message, hint) = match origin {
            Origin::Plan { .. } if written => (
                format!(
                    "ddf.yaml `risk:` sets the {} matrix, but the approved {} {} carries it and is in force; ddf.yaml's is not used",
                    w.title(),
                    w.plan_type(),
                    origin.describe()
                ),
                "remove the matrix from ddf.yaml `risk:`; change the criteria in the plan, under change control".to_string(),
            ),
            Origin::Plan { .. } => continue,
            _ => {
                // A plan whose `risk_policy` could not be read is reported above; the fallback
                // is then its consequence, not news.
                if inf.problems.iter().any(|p| {
                    !p.warning
                        && corpus.records[p.record].str("doc_type") == Some(w.plan_type())
                }) {
                    continue;
                }
                let mut message = format!(
                    "no approved {} carries `risk_policy.{}`, so the {} matrix in force is {}",
                    w.plan_type(),
                    w.field(),
                    w.title(),
                    origin.describe()
                );
                let unapproved: Vec<String> = ctx
                    .of_type("document")
                    .filter(|(_, d)| {
                        d.str("doc_type") == Some(w.plan_type())
                            && d.status() != "approved"
                            && d.get("risk_policy").and_then(|p| p.get(w.field())).is_some()
                    })
                    .map(|(_, d)| format!("{} is {}", d.id, d.status()))
                    .collect();
                if !unapproved.is_empty() {
                    message.push_str(&format!(" ({})", unapproved.join(", ")));
                }
                (
                    message,
                    format!(
                        "state the criteria for risk acceptability in an approved DOC with `doc_type: {}`: `risk_policy` with `revision`, `{}` and `acceptable` (docs/rules.md, `risk-policy`); ddf.yaml `risk:` is only a fallback",
                        w.plan_type(),
                        w.field()
                    ),
                )
            }
        };
        ctx.push(
            Diagnostic::new("risk-policy", CONFIG_FILE, message)
                .at(Some(risk_pos.unwrap_or(Pos::new(1, 1))))
                .severity(Severity::Warning)
                .hint(hint),
        );
    }
    for (_, r) in ctx.of_type("hazardous-situation") {
        let Some(s) = scoring(r) else { continue };
        let w = match s.assessment {
            Assessment::Safety => Which::Safety,
            Assessment::Security => Which::Security,
        };
        let origin = inf.origin(w);
        let Some(rev) = r.text("policy_rev") else {
            continue;
        };
        if names_revision(&rev, origin) != Some(false) {
            continue;
        }
        let msg = format!(
            "{} was scored under policy `{}`, but the {} criteria in force are {}",
            r.id,
            rev.trim(),
            s.name,
            origin.describe()
        );
        let want = match origin {
            Origin::Plan {
                id,
                revision: Some(v),
            } => format!("{id} rev {v}"),
            _ => String::new(),
        };
        let hint = format!(
            "re-assess {} against the criteria in force and set `policy_rev: {want}`",
            r.id
        );
        ctx.emit(
            "risk-policy",
            r,
            r.index.value_pos("policy_rev"),
            msg,
            &hint,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    use crate::rules::testing::{fired, rec, run, run_with};

    const PLAN: &str = "doc_type: risk-mgmt-plan\neffective: 2026-01-01\nreview_due: 2027-01-01\nrisk_policy:\n  revision: C\n  safety_matrix:\n    columns: [S1, S2, S3, S4, S5]\n    P5: [U, U, U, U, U]\n    P4: [U, U, U, U, U]\n    P3: [A, R, R, U, U]\n    P2: [A, A, R, R, U]\n    P1: [A, A, A, R, R]\n  security_matrix:\n    columns: [S1, S2, S3, S4, S5]\n    E5: [C, C, U, U, U]\n    E4: [C, C, U, U, U]\n    E3: [C, C, C, U, U]\n    E2: [C, C, C, C, U]\n    E1: [C, C, C, C, C]\n  acceptable: { safety: [A], security: [C] }\n  reduce_as_far_as_possible: { safety: [R] }\n";

    fn hs(rev: &str, p: &str) -> String {
        rec(
            "hazardous-situation",
            "HS-001",
            &format!("assessment: safety\npolicy_rev: {rev}\nseverity: S1\nprobability: {p}\nresidual_severity: S1\nresidual_probability: {p}\n"),
        )
    }

    #[test]
    fn the_plan_decides_acceptability_not_ddf_yaml() {
        // The plan sets P4 x S1 to U; ddf.yaml (here the defaults) says A. The plan wins.
        let d = run(&[rec("document", "DOC-001", PLAN), hs("DOC-001 rev C", "P4")]);
        assert_eq!(fired(&d, "hs-controlled", "HS-001").len(), 1, "{d:?}");
        assert!(fired(&d, "risk-policy", "HS-001").is_empty(), "{d:?}");
        assert!(!d.iter().any(|d| d.rule == "risk-policy"), "{d:?}");
        // Without the plan, the default matrix accepts it, with a warning that says where the
        // criteria came from.
        let d = run(&[hs("A", "P4")]);
        assert!(fired(&d, "hs-controlled", "HS-001").is_empty());
        let w: Vec<_> = d.iter().filter(|d| d.rule == "risk-policy").collect();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].severity, Severity::Warning);
        assert_eq!(w[0].path, "ddf.yaml");
        assert!(
            w[0].message
                .contains("no approved risk-mgmt-plan carries `risk_policy.safety_matrix`"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn policy_rev_must_name_the_revision_in_force() {
        let d = run(&[rec("document", "DOC-001", PLAN), hs("DOC-001 rev B", "P1")]);
        let f = fired(&d, "risk-policy", "HS-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message.contains("policy `DOC-001 rev B`"),
            "{}",
            f[0].message
        );
        assert!(f[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("policy_rev: DOC-001 rev C"));
    }

    #[test]
    fn ddf_yaml_matrix_beside_a_plan_is_reported() {
        let cfg = "project: t\nrisk:\n  safety_acceptable: [A, R]\n";
        let d = run_with(cfg, &[rec("document", "DOC-001", PLAN), hs("C", "P1")]);
        let w: Vec<_> = d.iter().filter(|d| d.rule == "risk-policy").collect();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].message.contains("ddf.yaml's is not used"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn a_draft_plan_is_named_in_the_fallback_warning() {
        let draft = rec("document", "DOC-001", &format!("status: draft\n{PLAN}"));
        let d = run(&[draft, hs("C", "P1")]);
        let w: Vec<_> = d.iter().filter(|d| d.rule == "risk-policy").collect();
        assert!(
            w[0].message.contains("(DOC-001 is draft)"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn a_broken_plan_is_an_error_on_the_plan() {
        let bad = PLAN.replace("    P1: [A, A, A, R, R]\n", "    P1: [A, A]\n");
        let d = run(&[rec("document", "DOC-001", &bad), hs("C", "P1")]);
        let f = fired(&d, "risk-policy", "DOC-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert!(
            f[0].message
                .contains("`risk_policy.safety_matrix` cannot be read"),
            "{}",
            f[0].message
        );
    }
}
