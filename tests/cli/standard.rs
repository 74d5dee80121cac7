//! Rules an auditor would agree with: each case reproduces, on an edited copy of docs-example, a
//! rule that contradicted the standard (ISO 14971, ISO 13485, 21 CFR 820 and 806, AAMI SW96), and
//! shows the finding that now follows.

use crate::harness::{findings, TestRepo};

/// The findings of `rule` as (path, message), from `ddf check --format json`.
fn fired(t: &TestRepo, rule: &str) -> Vec<(String, String)> {
    let run = t.ddf(&["check", "--format", "json"]);
    run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == rule)
        .map(|d| {
            (
                d["path"].as_str().unwrap_or("").to_string(),
                d["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Replaces `old` by `new` in file `rel` of `t`, which must contain it.
fn edit(t: &TestRepo, rel: &str, old: &str, new: &str) {
    let text = t.read(rel);
    assert!(text.contains(old), "{rel} has no `{old}`");
    t.write(rel, &text.replacen(old, new, 1));
}

const HS_006: &str = "records/risk/situations/HS-006.md";
const DOC_002: &str = "records/documents/DOC-002.md";
const MR_001: &str = "records/reviews/management/MR-001.md";
const SNAPSHOT: &str = "reviews/snapshots/mr-2026-10-15.json";

#[test]
fn the_example_passes_every_stricter_rule() {
    let t = TestRepo::example();
    let run = t.ddf(&["check", "--format", "json"]);
    let v = run.json();
    assert_eq!(
        (v["errors"].as_u64(), v["warnings"].as_u64()),
        (Some(0), Some(0)),
        "{:?}",
        findings(&run)
    );
}

#[test]
fn residual_u_is_never_accepted_and_levels_never_rise() {
    // ISO 14971 7.4: HS-006's residual moved to U (P3 x S4), with its approved benefit-risk
    // analysis still named: U is unacceptable in the example's own plan.
    let t = TestRepo::example();
    edit(
        &t,
        HS_006,
        "residual_probability: P1",
        "residual_probability: P3",
    );
    let f = fired(&t, "residual-ok");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1.contains("residual risk U (P3 x S4) is not acceptable; U is an unacceptable zone by the criteria of DOC-002 (risk_policy revision C), which no benefit-risk analysis can accept"),
        "{}",
        f[0].1
    );
    // ISO 14971 7.1: a residual level above the initial one, though the zone (U) is the same.
    edit(
        &t,
        HS_006,
        "residual_probability: P3",
        "residual_probability: P4",
    );
    let f = fired(&t, "residual-ok");
    assert!(
        f.iter().any(|m| m
            .1
            .contains("`residual_probability` P4 is above `probability` P3")),
        "{f:?}"
    );
    // The R zone needs the "reduced as far as possible" rationale besides the analysis.
    let t = TestRepo::example();
    let text = t.read(HS_006);
    let start = text.find("afap_rationale:").expect("afap");
    let end = text[start..].find("\npolicy_rev").expect("next field") + start + 1;
    t.write(HS_006, &format!("{}{}", &text[..start], &text[end..]));
    let f = fired(&t, "residual-ok");
    assert!(
        f.iter().any(|m| m.1.contains("no `afap_rationale`")),
        "{f:?}"
    );
}

#[test]
fn the_approved_plan_sets_the_criteria_not_ddf_yaml() {
    // Setting the plan's P1 row to U changed nothing while ddf.yaml supplied the matrices.
    let t = TestRepo::example();
    edit(&t, DOC_002, "P1: [A, A, A, R, R]", "P1: [U, U, U, U, U]");
    let f = fired(&t, "residual-ok");
    assert!(
        f.iter()
            .any(|m| m.1.starts_with("HS-006 residual risk U (P1 x S4)")),
        "{f:?}"
    );
    // A situation scored under another revision of the criteria.
    let t = TestRepo::example();
    edit(
        &t,
        "records/risk/situations/HS-001.md",
        "policy_rev: DOC-002 rev C",
        "policy_rev: DOC-002 rev B",
    );
    let f = fired(&t, "risk-policy");
    assert_eq!(
        f,
        vec![(
            "records/risk/situations/HS-001.md".to_string(),
            "HS-001 was scored under policy `DOC-002 rev B`, but the safety criteria in force are DOC-002 (risk_policy revision C)".to_string()
        )]
    );
    // A plan that is not approved is not in force: ddf.yaml's defaults score, with a warning.
    let t = TestRepo::example();
    edit(&t, DOC_002, "status: approved", "status: in-review");
    let run = t.ddf(&["check", "--format", "json"]);
    let w: Vec<_> = findings(&run)
        .into_iter()
        .filter(|f| f.0 == "risk-policy")
        .collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w.iter().all(|f| f.1 == "ddf.yaml"), "{w:?}");
    // The only error: the release gate, as the newest release ships a plan that is not approved.
    let errors: Vec<_> = run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| (d["rule"].clone(), d["message"].clone()))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "release-ready", "{errors:?}");
    assert!(
        errors[0].1.as_str().unwrap_or("").contains("DOC-002"),
        "{errors:?}"
    );
}

#[test]
fn a_security_only_threat_is_not_controlled_by_definition() {
    // An E5 network threat with no risk control gave no finding.
    let t = TestRepo::example();
    let thr = "records/security/threats/THR-008.md";
    edit(&t, thr, "attack_vector: physical", "attack_vector: network");
    edit(
        &t,
        thr,
        "exploitability: E1\nresidual",
        "exploitability: E5\nresidual",
    );
    edit(
        &t,
        thr,
        "residual_exploitability: E1",
        "residual_exploitability: E5",
    );
    edit(
        &t,
        "records/risk/controls/RC-017.md",
        "mitigates: [THR-008]",
        "mitigates: []",
    );
    let f = fired(&t, "threat-controlled");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1.contains("THR-008 is security-only with risk U (E5 x I3), which is not acceptable by the criteria of DOC-003 (risk_policy revision A)"),
        "{}",
        f[0].1
    );
    // An accepted rationale settles it.
    edit(
        &t,
        thr,
        "impact: I3\n",
        "impact: I3\nrisk_acceptance_rationale: Accepted by PER-002 at DR-005; keys are per device.\n",
    );
    assert!(fired(&t, "threat-controlled").is_empty());
}

#[test]
fn every_user_need_is_validated_and_reviews_are_held_and_cite_real_snapshots() {
    // All needs in draft and every validation deleted gave no finding.
    let t = TestRepo::example();
    for n in 1..=9 {
        edit(
            &t,
            &format!("records/needs/UN-00{n}.md"),
            "status: approved",
            "status: draft",
        );
    }
    for n in 1..=6 {
        std::fs::remove_file(t.path(&format!("records/validation/VAL-00{n}.md"))).expect("rm");
    }
    assert_eq!(fired(&t, "un-validated").len(), 9);

    // No management review at all.
    let t = TestRepo::example();
    std::fs::remove_file(t.path(MR_001)).expect("rm");
    let f = fired(&t, "mr-complete");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "ddf.yaml");
    assert!(
        f[0].1.starts_with("no management review is recorded"),
        "{}",
        f[0].1
    );

    // The snapshot missing, or edited after the review.
    let t = TestRepo::example();
    let json = t.read(SNAPSHOT);
    std::fs::remove_file(t.path(SNAPSHOT)).expect("rm");
    let f = fired(&t, "mr-snapshot");
    assert!(
        f[0].1.contains("which does not exist in the working tree"),
        "{f:?}"
    );
    t.write(
        SNAPSHOT,
        &json.replacen("\"records\": 200", "\"records\": 199", 1),
    );
    let f = fired(&t, "mr-snapshot");
    assert!(
        f[0].1.contains("was edited after `ddf review` wrote it"),
        "{f:?}"
    );
    t.write(SNAPSHOT, &json);
    assert!(fired(&t, "mr-snapshot").is_empty());
}

#[test]
fn the_snapshot_is_read_from_the_revision_checked() {
    let mut t = TestRepo::example();
    t.git_init();
    t.commit("Import the example");
    std::fs::remove_file(t.path(SNAPSHOT)).expect("rm");
    // The working tree lacks it; the commit has it.
    assert_eq!(fired(&t, "mr-snapshot").len(), 1);
    let at_head = t.ddf(&["--rev", "HEAD", "check", "--format", "json"]);
    assert!(
        findings(&at_head).iter().all(|f| f.0 != "mr-snapshot"),
        "{:?}",
        findings(&at_head)
    );
}

#[test]
fn closed_records_name_their_approver_and_corrective_action() {
    let t = TestRepo::example();
    edit(&t, "records/changes/CR-002.md", "closed_by: PER-001\n", "");
    edit(&t, "records/capa/CAPA-001.md", "closed_by: PER-001\n", "");
    let sig = "records/signals/SIG-001.md";
    let text = t.read(sig);
    let start = text.find("correction:").expect("correction");
    let end = text[start..].find('\n').expect("eol") + start + 1;
    t.write(sig, &format!("{}{}", &text[..start], &text[end..]));
    let mut f = fired(&t, "missing-field");
    f.sort();
    let paths: Vec<&str> = f.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(
        paths,
        [
            "records/capa/CAPA-001.md",
            "records/changes/CR-002.md",
            "records/signals/SIG-001.md"
        ]
    );
    assert!(f[2]
        .1
        .contains("`correction` is missing (required in status closed)"));

    // A vulnerability affecting a fielded release with patient-safety impact needs a 21 CFR 806
    // reportability decision.
    let t = TestRepo::example();
    let v = "records/security/vulnerabilities/VULN-002.md";
    edit(
        &t,
        v,
        "state: not_affected\njustification: code_not_present\n",
        "state: exploitable\nresponse: [update]\n",
    );
    edit(&t, v, "severity: S1", "severity: S3");
    let f = fired(&t, "vuln-reportable");
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].1.contains("VULN-002 is exploitable in fielded REL-001, REL-002 with patient-safety impact (severity S3)"),
        "{}",
        f[0].1
    );
    edit(
        &t,
        v,
        "response: [update]\n",
        "response: [update]\nreportable_806: not-required\nreportable_806_rationale: Controlled risk; routine update.\n",
    );
    assert!(fired(&t, "vuln-reportable").is_empty());
}
