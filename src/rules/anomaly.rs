//! Software anomalies (IEC 62304 5.8.2-5.8.3, 9; FDA premarket cybersecurity guidance V.A.5):
//! the rule `anom-assessed`, and the residual anomalies of a release that the release gate,
//! `ddf show REL` and the submission package list.
//!
//! An ANOM names the releases it is present in (`fielded`, as a VULN does) and the release that
//! fixes it (`fixed_in`). The residual anomalies of a release are the live ANOMs that name it in
//! `fielded` and are not `not-a-defect`: the known anomalies it ships with (62304 5.8.3; FDA's
//! "unresolved anomalies").

use super::Ctx;
use crate::corpus::Corpus;
use crate::record::Record;
use serde::Serialize;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    anom_assessed(ctx);
}

/// Whether `a` is a security anomaly: it names a VULN, was found in a penetration test, carries
/// a CWE or is marked `cyber`.
pub fn is_security(a: &Record) -> bool {
    a.links_of("vulnerability").next().is_some()
        || a.str("found_in") == Some("pentest")
        || a.has("cwe")
        || a.flag("cyber")
}

/// Whether `a` has the text field `f`, in the front-matter or (for `description`) the body.
fn given(a: &Record, f: &str) -> bool {
    a.has(f)
}

/// What anomaly `a` lacks to be assessed: a safety assessment, a security assessment (security
/// anomalies), a decision other than `in-analysis`, a rationale for `defer`. Empty when it is
/// assessed.
pub fn unassessed(a: &Record) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !given(a, "safety_assessment") {
        out.push("no `safety_assessment`");
    }
    if is_security(a) && !given(a, "security_assessment") {
        out.push("no `security_assessment` (a security anomaly)");
    }
    match a.str("decision") {
        None | Some("in-analysis") => out.push("no decision (`in-analysis`)"),
        Some("defer") if !given(a, "rationale") => out.push("deferred without `rationale`"),
        _ => {}
    }
    out
}

/// One residual anomaly of a release.
#[derive(Debug, Clone, Serialize)]
pub struct ResidualAnomaly {
    /// The ANOM id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `fix`, `defer`, `in-analysis` (or empty when none is given).
    pub decision: String,
    /// Where it was found.
    pub found_in: String,
    /// The CWE of a security anomaly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwe: Option<String>,
    /// Whether it is a security anomaly.
    pub security: bool,
    /// Its safety assessment.
    pub safety_assessment: String,
    /// Its security assessment.
    pub security_assessment: String,
    /// Why it is deferred.
    pub rationale: String,
    /// The release that fixes it, if named.
    pub fixed_in: Vec<String>,
    /// The VULN records of a security anomaly.
    pub vulnerabilities: Vec<String>,
    /// What it lacks to be assessed (empty when assessed).
    pub unassessed: Vec<&'static str>,
}

/// The residual anomalies of release `rel`: the live ANOMs that name it in `fielded`, other than
/// those found not to be defects, sorted by id.
pub fn residual_anomalies(corpus: &Corpus, rel: &str) -> Vec<ResidualAnomaly> {
    let mut out: Vec<ResidualAnomaly> = corpus
        .records_of("anomaly")
        .iter()
        .map(|&i| &corpus.records[i])
        .filter(|a| a.status() != "obsolete" && a.str("decision") != Some("not-a-defect"))
        .filter(|a| a.links_of("fielded").any(|r| r == rel))
        .map(|a| ResidualAnomaly {
            id: a.id.clone(),
            title: a.title(),
            decision: a.text("decision").unwrap_or_default(),
            found_in: a.text("found_in").unwrap_or_default(),
            cwe: a.text("cwe"),
            security: is_security(a),
            safety_assessment: a.text("safety_assessment").unwrap_or_default(),
            security_assessment: a.text("security_assessment").unwrap_or_default(),
            rationale: a.text("rationale").unwrap_or_default(),
            fixed_in: a.links_of("fixed_in").map(String::from).collect(),
            vulnerabilities: a.links_of("vulnerability").map(String::from).collect(),
            unassessed: unassessed(a),
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// `anom-assessed`: a decided or fielded anomaly is assessed for safety (and, a security one,
/// for security, with its CWE); a deferred one says why; a fielded one is decided; one fixed in a
/// release is not also present in it.
fn anom_assessed(ctx: &mut Ctx<'_>) {
    let mut found = Vec::new();
    for (_, a) in ctx.of_type("anomaly") {
        let fielded: Vec<&str> = a.links_of("fielded").collect();
        let decided = matches!(a.str("decision"), Some("fix" | "defer" | "not-a-defect"));
        let mut lacks: Vec<String> = Vec::new();
        if decided || !fielded.is_empty() {
            lacks.extend(
                unassessed(a)
                    .into_iter()
                    .filter(|l| fielded.is_empty() || !l.starts_with("no decision"))
                    .map(String::from),
            );
        }
        if !fielded.is_empty() && matches!(a.str("decision"), None | Some("in-analysis")) {
            lacks.push(format!(
                "no decision, and it is present in {} (IEC 62304 5.8.2: a release's known anomalies are evaluated)",
                fielded.join(", ")
            ));
        }
        if a.str("decision") == Some("not-a-defect") && !a.has("rationale") {
            lacks.push("`not-a-defect` without `rationale`".into());
        }
        if (a.links_of("vulnerability").next().is_some() || a.str("found_in") == Some("pentest"))
            && !a.has("cwe")
        {
            lacks.push("no `cwe` (a security anomaly)".into());
        }
        let both: Vec<&str> = a
            .links_of("fixed_in")
            .filter(|r| fielded.contains(r))
            .collect();
        if !both.is_empty() {
            lacks.push(format!(
                "it is `fixed_in` {} and present in it (`fielded`)",
                both.join(", ")
            ));
        }
        if !lacks.is_empty() {
            found.push((a, lacks));
        }
    }
    for (a, lacks) in found {
        let pos = a
            .index
            .value_pos("decision")
            .or(a.index.value_pos("fielded"));
        ctx.emit(
            "anom-assessed",
            a,
            pos,
            format!("{}: {}", a.id, lacks.join("; ")),
            "IEC 62304 5.8.2-5.8.3, 9.2: assess its effect on safety (and on security), decide (fix, defer with `rationale`, not-a-defect), and name in `fielded` only releases it is present in",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::residual_anomalies;
    use crate::rules::testing::{corpus, fired, messages, rec, run, PER};

    fn anom(id: &str, extra: &str) -> String {
        rec(
            "anomaly",
            id,
            &format!("description: d\nfound_in: testing\ndiscovered: 2026-01-01\n{extra}"),
        )
    }

    #[test]
    fn fielded_anomalies_are_assessed_and_decided() {
        let r = vec![anom(
            "ANOM-001",
            "decision: in-analysis\nfielded: [REL-001]\n",
        )];
        let d = run(&r);
        let m = messages(&d, "anom-assessed", "ANOM-001");
        assert_eq!(m.len(), 1, "{d:?}");
        assert!(m[0].contains("no `safety_assessment`"), "{m:?}");
        assert!(m[0].contains("present in REL-001"), "{m:?}");
        // In analysis and not in any release: work in progress, nothing to report.
        let r = vec![anom("ANOM-001", "decision: in-analysis\n")];
        assert!(fired(&run(&r), "anom-assessed", "ANOM-001").is_empty());
    }

    #[test]
    fn defer_needs_a_rationale_and_security_ones_a_cwe() {
        let r = vec![anom(
            "ANOM-001",
            "decision: defer\nsafety_assessment: none\n",
        )];
        let m = messages(&run(&r), "anom-assessed", "ANOM-001").join(" ");
        assert!(m.contains("deferred without `rationale`"), "{m}");
        let r = vec![rec(
            "anomaly",
            "ANOM-001",
            "description: d\nfound_in: pentest\ndiscovered: 2026-01-01\ndecision: fix\nsafety_assessment: none\n",
        )];
        let m = messages(&run(&r), "anom-assessed", "ANOM-001").join(" ");
        assert!(
            m.contains("no `security_assessment`") && m.contains("no `cwe`"),
            "{m}"
        );
        let r = vec![rec(
            "anomaly",
            "ANOM-001",
            "description: d\nfound_in: pentest\ndiscovered: 2026-01-01\ndecision: defer\nrationale: low\ncwe: CWE-200\nsafety_assessment: none\nsecurity_assessment: info leak, no harm\n",
        )];
        assert!(fired(&run(&r), "anom-assessed", "ANOM-001").is_empty());
    }

    #[test]
    fn fixed_in_a_release_it_is_present_in_is_reported() {
        let r = vec![anom(
            "ANOM-001",
            "decision: fix\nsafety_assessment: s\nfixed_in: [REL-002]\nfielded: [REL-001, REL-002]\n",
        )];
        let m = messages(&run(&r), "anom-assessed", "ANOM-001").join(" ");
        assert!(m.contains("`fixed_in` REL-002 and present in it"), "{m}");
    }

    #[test]
    fn residual_anomalies_of_a_release() {
        let files = [
            ("records/PER-001.md".to_string(), PER.to_string()),
            (
                "records/ANOM-002.md".into(),
                anom("ANOM-002", "decision: defer\nrationale: r\nsafety_assessment: s\nfielded: [REL-001]\n"),
            ),
            (
                "records/ANOM-001.md".into(),
                anom("ANOM-001", "decision: in-analysis\nfielded: [REL-001]\n"),
            ),
            (
                "records/ANOM-003.md".into(),
                anom("ANOM-003", "decision: not-a-defect\nrationale: r\nsafety_assessment: s\nfielded: [REL-001]\n"),
            ),
            (
                "records/ANOM-004.md".into(),
                anom("ANOM-004", "decision: fix\nsafety_assessment: s\nfielded: [REL-002]\n"),
            ),
        ];
        let c = corpus("project: test\n", &files);
        let res = residual_anomalies(&c, "REL-001");
        let ids: Vec<&str> = res.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["ANOM-001", "ANOM-002"]);
        assert!(!res[0].unassessed.is_empty());
        assert!(res[1].unassessed.is_empty());
    }
}
