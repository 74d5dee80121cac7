//! The tool-validation report: what a quality system needs before it relies on a software tool
//! (ISO 13485 4.1.6, 7.5.6; FDA's computer software assurance guidance), computed from a DDF that
//! describes the tool (docs/validation.md): its intended use, its requirements with the risk of
//! their failure, the verifications that trace them to tests and the results of those tests on
//! this commit, the environment, the known anomalies, and the installation and operational
//! qualification a user still performs in their own environment.
//!
//! Nothing here is particular to ddf's own DDF (`validation/`): any DDF built the same way gets
//! the same report. What the report reads:
//!
//! - **intended use**: documents with `doc_type: intended-use` (their Markdown body);
//! - **requirements**: design inputs, with the `risk` field (`high` / `low`) a profile adds;
//! - **trace to tests**: the verifications that verify a requirement, their `tests:` and the
//!   four fields `ddf verify import` writes (`result`, `executed_on`, `baseline`, `evidence`);
//! - **known anomalies**: documents with `doc_type: known-anomaly`, vulnerabilities with `source:
//!   anomaly`, and records of a type named `anomaly`;
//! - **qualification**: documents with `doc_type: qualification` (their body: the checklist);
//! - **the verdict**: `ddf check` on the same records, history included.

pub mod html;
pub mod markdown;

use crate::check::Report as CheckReport;
use crate::corpus::Corpus;
use crate::diagnostic::Severity;
use crate::graph::Graph;
use crate::record::Record;
use crate::review::Stamp;
use serde::Serialize;
use std::collections::BTreeSet;

/// The whole report; its JSON form is the `ddf validation-report --format json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `ddf.yaml` `project`.
    pub project: String,
    /// The commit the records were read from, and whether the working tree differed.
    pub stamp: Stamp,
    /// The date the report was made (`DDF_TODAY` pins it).
    pub date: String,
    /// Whether the tool is verified on this commit, with the counts behind it.
    pub verdict: Verdict,
    /// The intended-use documents.
    pub intended_use: Vec<Document>,
    /// The requirements (design inputs), sorted by id.
    pub requirements: Vec<Requirement>,
    /// Where the report was made and what the tool was built with.
    pub environment: Environment,
    /// The known anomalies, sorted by id.
    pub anomalies: Vec<Anomaly>,
    /// The qualification checklists, sorted by id.
    pub qualification: Vec<Document>,
    /// The findings of `ddf check` at error severity, as `rule record: message`, sorted.
    pub errors: Vec<String>,
}

/// The verdict and its counts.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// No finding of `ddf check` at error severity, and every high-risk requirement verified.
    pub verified: bool,
    /// `ddf check` findings at error severity.
    pub check_errors: usize,
    /// `ddf check` findings at warning severity.
    pub check_warnings: usize,
    /// High-risk requirements.
    pub high: usize,
    /// High-risk requirements verified.
    pub high_verified: usize,
    /// Low-risk requirements.
    pub low: usize,
    /// Low-risk requirements verified.
    pub low_verified: usize,
    /// Requirements with no `risk` (or another value).
    pub unrated: usize,
    /// Tests named by the verifications (distinct `tests:` entries).
    pub tests: usize,
}

/// A document shown whole (intended use, qualification checklist).
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Status.
    pub status: String,
    /// The Markdown body.
    pub body: String,
}

/// One requirement and how it is verified.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `high`, `low`, or empty.
    pub risk: String,
    /// `category`.
    pub category: String,
    /// The clause or document it comes from (`standard`).
    pub clause: String,
    /// The requirement itself (`statement`, else the body).
    pub statement: String,
    /// `verified` (a passing verification that `ddf check` does not call stale), `stale` (passing
    /// but older than a change to what it verifies), `failed`, `not-run` (verifications exist,
    /// none passed or failed), or `no-test` (no verification names it).
    pub state: String,
    /// The verifications that verify it, sorted by id.
    pub verifications: Vec<Verification>,
}

/// A verification as the trace shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Id.
    pub id: String,
    /// `result`.
    pub result: String,
    /// `executed_on`.
    pub executed_on: String,
    /// `baseline`.
    pub baseline: String,
    /// The tests it lists (`tests:`), in file order.
    pub tests: Vec<String>,
    /// The test cases the last import found (`evidence.tests`), in file order.
    pub ran: Vec<String>,
    /// The JUnit reports of the last import (`evidence.junit`).
    pub junit: Vec<String>,
    /// Whether `ddf check` calls it stale (`ver-fresh`).
    pub stale: bool,
}

/// A known anomaly.
#[derive(Debug, Clone, Serialize)]
pub struct Anomaly {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Status (or a vulnerability's `state`).
    pub status: String,
    /// Versions it affects (`affected_versions`).
    pub affected: String,
    /// The version that fixes it (`fixed_in`), if any.
    pub fixed_in: String,
    /// `risk` of the anomaly to the user's quality system (`high` / `low`).
    pub risk: String,
    /// Its impact on a user's quality system (`impact`).
    pub impact: String,
    /// The workaround (`workaround`).
    pub workaround: String,
    /// The requirements it concerns (`about`, `affects`).
    pub concerns: Vec<String>,
    /// The Markdown body.
    pub body: String,
}

/// The environment.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    /// ddf's version.
    pub ddf_version: String,
    /// The rustc that built this ddf.
    pub built_with: String,
    /// The target this ddf was built for.
    pub target: String,
    /// Operating system and architecture the report ran on.
    pub os: String,
    /// `git --version`, when git is on the PATH.
    pub git: String,
    /// The baselines the verifications' results were recorded on (distinct, sorted).
    pub result_baselines: Vec<String>,
    /// The dates of those runs (distinct, sorted).
    pub result_dates: Vec<String>,
    /// The JUnit reports they came from (distinct, sorted).
    pub junit: Vec<String>,
}

impl Environment {
    /// The environment of this process.
    pub fn current() -> Environment {
        // `git --version`: a fixed argument list, like every other git ddf runs (SECURITY.md).
        let git = std::process::Command::new("git")
            .arg("--version")
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "not found".into());
        Environment {
            ddf_version: env!("CARGO_PKG_VERSION").to_string(),
            built_with: option_env!("DDF_BUILD_RUSTC")
                .unwrap_or("unknown")
                .to_string(),
            target: option_env!("DDF_BUILD_TARGET")
                .unwrap_or("unknown")
                .to_string(),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            git,
            result_baselines: Vec::new(),
            result_dates: Vec::new(),
            junit: Vec::new(),
        }
    }
}

/// A text field as one line (`""` when absent); a list is joined with commas.
fn field(r: &Record, name: &str) -> String {
    match r.get(name) {
        Some(serde_yaml::Value::Sequence(_)) => r.list(name).join(", "),
        _ => r.text(name).unwrap_or_default().trim().to_string(),
    }
}

/// The list of `map.key` of a mapping field (`evidence.tests`).
fn sub_list(r: &Record, map: &str, key: &str) -> Vec<String> {
    match r.get(map).and_then(|m| m.get(key)) {
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .filter_map(crate::record::scalar_text)
            .collect(),
        Some(v) => crate::record::scalar_text(v).into_iter().collect(),
        None => Vec::new(),
    }
}

fn document(r: &Record) -> Document {
    Document {
        id: r.id.clone(),
        title: r.title(),
        status: r.status().to_string(),
        body: r.body.trim().to_string(),
    }
}

/// Whether `r` is a known-anomaly record.
pub fn is_anomaly(r: &Record) -> bool {
    (r.type_name == "document" && r.str("doc_type") == Some("known-anomaly"))
        || (r.type_name == "vulnerability" && r.str("source") == Some("anomaly"))
        || r.type_name == "anomaly"
}

/// Computes the report from the records, their graph, the check of them, and the environment.
pub fn compute(
    corpus: &Corpus,
    graph: &Graph,
    check: &CheckReport,
    stamp: Stamp,
    date: String,
    mut environment: Environment,
) -> Report {
    let live = |r: &&Record| r.status() != "obsolete";
    let docs_of = |doc_type: &str| -> Vec<Document> {
        let mut out: Vec<Document> = corpus
            .records_of("document")
            .iter()
            .map(|&i| &corpus.records[i])
            .filter(live)
            .filter(|r| r.str("doc_type") == Some(doc_type))
            .map(document)
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    };
    let stale_vers: BTreeSet<&str> = check
        .diagnostics
        .iter()
        .filter(|d| d.rule == "ver-fresh" && d.severity == Severity::Error)
        .filter_map(|d| d.record.as_deref())
        .collect();

    let mut requirements = Vec::new();
    let mut tests_named = BTreeSet::new();
    let (mut baselines, mut dates, mut junit) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for &i in corpus.records_of("design-input") {
        let r = &corpus.records[i];
        if r.status() == "obsolete" {
            continue;
        }
        let mut verifications: Vec<Verification> = graph
            .inbound(i, "verifies")
            .map(|j| &corpus.records[j])
            .filter(|v| v.type_name == "verification" && v.status() != "obsolete")
            .map(|v| Verification {
                id: v.id.clone(),
                result: field(v, "result"),
                executed_on: field(v, "executed_on"),
                baseline: field(v, "baseline"),
                tests: v.list("tests"),
                ran: sub_list(v, "evidence", "tests"),
                junit: sub_list(v, "evidence", "junit"),
                stale: stale_vers.contains(v.id.as_str()),
            })
            .collect();
        verifications.sort_by(|a, b| a.id.cmp(&b.id));
        verifications.dedup_by(|a, b| a.id == b.id);
        for v in &verifications {
            tests_named.extend(v.tests.iter().cloned());
            if !v.result.is_empty() && v.result != "not-run" {
                if !v.baseline.is_empty() {
                    baselines.insert(v.baseline.clone());
                }
                if !v.executed_on.is_empty() {
                    dates.insert(v.executed_on.clone());
                }
                junit.extend(v.junit.iter().cloned());
            }
        }
        let passing = verifications.iter().filter(|v| v.result == "pass");
        let state = if passing.clone().any(|v| !v.stale) {
            "verified"
        } else if passing.clone().next().is_some() {
            "stale"
        } else if verifications
            .iter()
            .any(|v| v.result == "fail" || v.result == "inconclusive")
        {
            "failed"
        } else if verifications.is_empty() {
            "no-test"
        } else {
            "not-run"
        };
        let statement = r
            .text("statement")
            .unwrap_or_else(|| r.body.trim().to_string());
        requirements.push(Requirement {
            id: r.id.clone(),
            title: r.title(),
            risk: field(r, "risk"),
            category: field(r, "category"),
            clause: field(r, "standard"),
            statement: statement.trim().to_string(),
            state: state.to_string(),
            verifications,
        });
    }
    requirements.sort_by(|a, b| a.id.cmp(&b.id));
    environment.result_baselines = baselines.into_iter().collect();
    environment.result_dates = dates.into_iter().collect();
    environment.junit = junit.into_iter().collect();

    let mut anomalies: Vec<Anomaly> = corpus
        .records
        .iter()
        .filter(live)
        .filter(|r| is_anomaly(r))
        .map(|r| {
            let mut concerns: Vec<String> = r
                .links
                .iter()
                .filter(|l| l.field == "about" || l.field == "affects")
                .map(|l| l.target.clone())
                .collect();
            concerns.sort();
            concerns.dedup();
            Anomaly {
                id: r.id.clone(),
                title: r.title(),
                status: if r.type_name == "vulnerability" {
                    field(r, "state")
                } else {
                    r.status().to_string()
                },
                affected: field(r, "affected_versions"),
                fixed_in: field(r, "fixed_in"),
                risk: field(r, "risk"),
                impact: field(r, "impact"),
                workaround: field(r, "workaround"),
                concerns,
                body: r.body.trim().to_string(),
            }
        })
        .collect();
    anomalies.sort_by(|a, b| a.id.cmp(&b.id));

    let count = |risk: Option<&str>, verified: bool| {
        requirements
            .iter()
            .filter(|q| match risk {
                Some(k) => q.risk == k,
                None => q.risk != "high" && q.risk != "low",
            })
            .filter(|q| !verified || q.state == "verified")
            .count()
    };
    let high = count(Some("high"), false);
    let high_verified = count(Some("high"), true);
    let errors: Vec<String> = check
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| match &d.record {
            Some(id) => format!("{} {id}: {}", d.rule, d.message),
            None => format!("{} {}: {}", d.rule, d.path, d.message),
        })
        .collect();
    let verdict = Verdict {
        verified: check.errors == 0 && high == high_verified,
        check_errors: check.errors,
        check_warnings: check.warnings,
        high,
        high_verified,
        low: count(Some("low"), false),
        low_verified: count(Some("low"), true),
        unrated: count(None, false),
        tests: tests_named.len(),
    };
    Report {
        project: corpus.config.project.clone(),
        stamp,
        date,
        verdict,
        intended_use: docs_of("intended-use"),
        requirements,
        environment,
        anomalies,
        qualification: docs_of("qualification"),
        errors,
    }
}

impl Report {
    /// The commit as a short id, or what the stamp says.
    pub fn commit_short(&self) -> String {
        match &self.stamp.commit {
            Some(c) => {
                let short: String = c.chars().take(12).collect();
                if self.stamp.state == "worktree" {
                    format!("{short} with uncommitted changes")
                } else {
                    short
                }
            }
            None => self.stamp.describe.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{corpus, TODAY};

    const CONFIG: &str = "project: Tool\nrules: { di-verified: warning, di-parent: off, di-has-output: off, missing-field: off }\ntypes:\n  design-input:\n    fields:\n      risk: { kind: enum, values: [high, low] }\n  document:\n    fields:\n      doc_type: { values: [intended-use, known-anomaly, qualification] }\n      impact: { kind: text }\n      workaround: { kind: text }\n      affected_versions: { kind: string }\n      fixed_in: { kind: string }\n      risk: { kind: enum, values: [high, low] }\n";

    fn files() -> Vec<(String, String)> {
        let di = |id: &str, risk: &str| {
            format!("---\nid: {id}\ntype: design-input\ntitle: Req {id}\nstatus: approved\ncategory: functional\nacceptance_criteria: a\nstatement: The tool does {id}.\nstandard: ISO 13485 7.3.6\nrisk: {risk}\n---\n")
        };
        let ver = |id: &str, di: &str, result: &str| {
            format!("---\nid: {id}\ntype: verification\ntitle: T\nstatus: approved\nmethod: test\nacceptance_criteria: a\nresult: {result}\nexecuted_on: 2026-05-01\nbaseline: abc\nevidence: {{ junit: [junit.xml], tests: [\"ddf::cli.t::{id}\"] }}\ntests: [\"ddf::cli.t::{id}\"]\nverifies: [{di}]\n---\n")
        };
        let doc = |id: &str, doc_type: &str, extra: &str, body: &str| {
            format!("---\nid: {id}\ntype: document\ntitle: Doc {id}\nstatus: approved\ndoc_type: {doc_type}\neffective: 2026-01-01\nreview_due: 2027-01-01\n{extra}---\n{body}\n")
        };
        vec![
            ("records/DI-001.md".into(), di("DI-001", "high")),
            ("records/DI-002.md".into(), di("DI-002", "high")),
            ("records/DI-003.md".into(), di("DI-003", "low")),
            ("records/VER-001.md".into(), ver("VER-001", "DI-001", "pass")),
            ("records/VER-002.md".into(), ver("VER-002", "DI-002", "fail")),
            ("records/DOC-001.md".into(), doc("DOC-001", "intended-use", "", "Checks the DDF.")),
            ("records/DOC-002.md".into(), doc("DOC-002", "known-anomaly", "impact: none\nworkaround: w\naffected_versions: \"0.1\"\nrisk: low\nabout: [DI-003]\n", "Details.")),
            ("records/DOC-003.md".into(), doc("DOC-003", "qualification", "", "- [ ] `ddf --version`")),
        ]
    }

    fn report(files: &[(String, String)]) -> Report {
        let c = corpus(CONFIG, files);
        let g = Graph::build(&c);
        let check = crate::check::run(&c, &g, crate::date::Date::parse(TODAY).expect("date"), None);
        let stamp = Stamp {
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            state: "clean".into(),
            describe: "0123456789abcdef0123456789abcdef01234567".into(),
        };
        compute(&c, &g, &check, stamp, TODAY.into(), Environment::current())
    }

    #[test]
    fn requirements_carry_risk_state_and_trace() {
        let r = report(&files());
        let states: Vec<(&str, &str, &str)> = r
            .requirements
            .iter()
            .map(|q| (q.id.as_str(), q.risk.as_str(), q.state.as_str()))
            .collect();
        assert_eq!(
            states,
            [
                ("DI-001", "high", "verified"),
                ("DI-002", "high", "failed"),
                ("DI-003", "low", "no-test")
            ]
        );
        assert_eq!(
            r.requirements[0].verifications[0].tests,
            ["ddf::cli.t::VER-001"]
        );
        assert_eq!(r.requirements[0].clause, "ISO 13485 7.3.6");
        assert!(!r.verdict.verified);
        assert_eq!((r.verdict.high, r.verdict.high_verified), (2, 1));
        assert!(
            r.errors
                .iter()
                .any(|e| e.starts_with("risk-verified DI-002")),
            "{:?}",
            r.errors
        );
        assert_eq!(r.intended_use[0].body, "Checks the DDF.");
        assert_eq!(r.anomalies[0].concerns, ["DI-003"]);
        assert_eq!(r.anomalies[0].affected, "0.1");
        assert_eq!(r.qualification[0].id, "DOC-003");
        assert_eq!(r.environment.result_baselines, ["abc"]);
    }

    #[test]
    fn all_high_risk_verified_is_the_verdict() {
        let mut f = files();
        f[4].1 = f[4].1.replace("result: fail", "result: pass");
        let r = report(&f);
        assert!(r.verdict.verified, "{:?}", r.errors);
        assert_eq!((r.verdict.low, r.verdict.low_verified), (1, 0));
        let md = markdown::render(&r);
        assert!(md.contains("| DI-003 | Req DI-003 | low |"), "{md}");
        let html = html::render(&r);
        assert!(html.contains("href=\"#di-003\""), "{html}");
        assert!(html.contains("<h3 id=\"di-003\">"), "{html}");
    }
}
