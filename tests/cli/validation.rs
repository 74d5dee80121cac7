//! The tool-validation package (docs/validation.md): `ddf validation-report` on a fixture built
//! like `validation/`, `risk-verified` failing the check when a high-risk requirement has no
//! passing test, and ddf's own `validation/` DDF well formed, covering every rule, naming tests
//! that exist.

use crate::harness::{files_under, run_ddf, TestRepo};
use std::path::Path;

/// The profile of validation/ddf.yaml, as a user copying it would write it.
const PROFILE: &str = "project: Tool validation\nrules: { di-verified: warning, un-validated: warning, change-has-cr: off, cr-before-merge: off }\ntypes:\n  design-input:\n    fields:\n      risk: { kind: enum, values: [high, low], required: true }\n  document:\n    fields:\n      doc_type: { values: [intended-use, known-anomaly, qualification] }\n      affected_versions: { kind: string }\n      fixed_in: { kind: string }\n      risk: { kind: enum, values: [high, low] }\n      impact: { kind: text }\n      workaround: { kind: text }\n";

/// The owner, a role rather than a signer: nothing in the fixture is approved.
const PER: &str = "---\nid: PER-001\ntype: person\ntitle: Maintainers\nstatus: in-review\nowner: PER-001\nprinted_name: Maintainers\nroles: [maintainer]\nmay_sign: []\nkeys: []\nidentity_verified: a role\n---\n";

fn doc(id: &str, doc_type: &str, extra: &str, body: &str) -> String {
    format!("---\nid: {id}\ntype: document\ntitle: Doc {id}\nstatus: in-review\nowner: PER-001\ndoc_type: {doc_type}\neffective: 2026-01-01\nreview_due: 2027-01-01\n{extra}---\n{body}\n")
}

fn req(id: &str, risk: &str) -> String {
    format!("---\nid: {id}\ntype: design-input\ntitle: Requirement {id}\nstatus: in-review\nowner: PER-001\ncategory: functional\nrisk: {risk}\nstandard: ISO 13485 4.1.6\nacceptance_criteria: Its tests pass.\ntraces_to: [UN-001]\n---\nThe tool does {id}.\n")
}

fn ver(id: &str, verifies: &str, test: &str) -> String {
    format!("---\nid: {id}\ntype: verification\ntitle: Tests of {verifies}\nstatus: draft\nowner: PER-001\nmethod: test\nacceptance_criteria: Every test listed passes.\nresult: not-run\nverifies: [{verifies}]\ntests:\n  - \"{test}\"\n---\n")
}

/// A real cargo-nextest report (tests/data/junit/nextest-basic.xml) with its run moved to the
/// harness's today, so the run is newer than the fixture's commits (an older one is refused as
/// stale, docs/verify.md). Test ids: `oxidized_navigation::parry3d.test_simple_navigation`
/// (passed), `...test_failure` (failed), `...test_annotations` (passed).
fn nextest_report() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/junit/nextest-basic.xml");
    std::fs::read_to_string(path)
        .expect("read")
        .replace("2024-12-02T20:06:", "2026-05-31T20:06:")
}

const PASSING: &str = "oxidized_navigation::parry3d.test_simple_navigation";
const FAILING: &str = "oxidized_navigation::parry3d.test_failure";

/// A tool DDF like validation/: intended use, a need, two high-risk and one low-risk requirement,
/// their output and verifications, an anomaly and a qualification checklist; committed, with the
/// JUnit report beside it.
fn tool_ddf(high_test: &str) -> TestRepo {
    let mut t = TestRepo::new();
    t.write("ddf.yaml", PROFILE)
        .write("records/PER-001.md", PER)
        .write("records/UN-001.md", &crate::harness::un("UN-001"))
        .write(
            "records/DOC-001.md",
            &doc("DOC-001", "intended-use", "", "The tool checks **design records**."),
        )
        .write(
            "records/DOC-002.md",
            &doc("DOC-002", "qualification", "", "- [ ] IQ-1 `tool --version`"),
        )
        .write(
            "records/DOC-101.md",
            &doc(
                "DOC-101",
                "known-anomaly",
                "affected_versions: \"1.0\"\nrisk: low\nimpact: Cosmetic.\nworkaround: None needed.\nabout: [DI-003]\n",
                "Found in review.",
            ),
        )
        .write("records/DI-001.md", &req("DI-001", "high"))
        .write("records/DI-002.md", &req("DI-002", "high"))
        .write("records/DI-003.md", &req("DI-003", "low"))
        .write(
            "records/DO-001.md",
            "---\nid: DO-001\ntype: design-output\ntitle: Source\nstatus: in-review\nowner: PER-001\noutput_kind: source\nessential: true\nartifacts: [\"src/**\"]\nsatisfies: [DI-001, DI-002, DI-003]\n---\nThe code.\n",
        )
        .write("records/VER-001.md", &ver("VER-001", "DI-001", high_test))
        .write("records/VER-002.md", &ver("VER-002", "DI-002", PASSING))
        .write("records/VER-003.md", &ver("VER-003", "DI-003", FAILING))
        .write("src/lib.rs", "// the tool\n")
        .write("nextest.xml", &nextest_report());
    t.git_init();
    t.commit("Tool validation DDF");
    t
}

/// Imports the run into the VERs, as CI and validation/qualify.sh do.
fn import(t: &TestRepo) {
    let r = t.ddf(&["verify", "import", "nextest.xml", "--baseline", "HEAD"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn report_on_a_fixture_has_every_section() {
    let t = tool_ddf(PASSING);
    import(&t);
    let check = t.ddf(&["check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);

    let r = t.ddf(&["validation-report", "--html", "report.html"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let md = &r.stdout;
    for section in [
        "# Tool validation report: Tool validation",
        "**Verified on this commit**",
        "## 1. Intended use",
        "The tool checks **design records**.",
        "## 2. Requirements and their risk",
        "## 3. Trace to tests",
        "## 4. Environment",
        "## 5. Known anomalies",
        "## 6. What you must still do in your environment",
        "- [ ] IQ-1 `tool --version`",
        "| high risk | 2 | 2 of 2 |",
        "| low risk | 1 | 0 of 1 |",
        "| DI-003 | Requirement DI-003 | low | ISO 13485 4.1.6 | FAILED |",
        "### DOC-101 Doc DOC-101",
        "| workaround | None needed. |",
        &format!("  - `{PASSING}`"),
        "| JUnit reports | nextest.xml |",
    ] {
        assert!(md.contains(section), "missing {section:?} in\n{md}");
    }
    let head = t.git(&["rev-parse", "HEAD"]);
    assert!(
        md.contains(&format!("| results recorded on | {} |", head.trim())),
        "{md}"
    );
    assert!(
        r.stderr
            .contains("verified on this commit: 2 of 2 high-risk"),
        "{}",
        r.stderr
    );

    // The HTML is one printable page: the site's print rules, no script, nothing remote.
    let html = t.read("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("@media print"), "print CSS");
    assert!(html.contains("<h3 id=\"di-001\">"), "anchors of the trace");
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing remote"
    );

    // The JSON is the same report, keys always present.
    let j = t.ddf(&["validation-report", "--format", "json"]).json();
    assert_eq!(j["verdict"]["verified"], true);
    assert_eq!(j["requirements"][0]["id"], "DI-001");
    assert_eq!(j["requirements"][0]["state"], "verified");
    assert_eq!(j["requirements"][0]["verifications"][0]["result"], "pass");
    assert_eq!(j["anomalies"][0]["concerns"], serde_json::json!(["DI-003"]));
    for key in ["ddf_version", "built_with", "target", "os", "git"] {
        assert!(
            j["environment"][key]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{key}"
        );
    }

    // Two reports of the same state are the same, apart from the stated environment fields.
    let again = t.ddf(&["validation-report"]);
    assert_eq!(again.stdout, r.stdout);

    // --out never overwrites without --force.
    let o = t.ddf(&["validation-report", "--out", "report.html"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("already exists"), "{}", o.stderr);
}

#[test]
fn a_high_risk_requirement_without_a_passing_test_fails() {
    // DI-001's test fails in the run.
    let t = tool_ddf(FAILING);
    import(&t);
    let check = t.ddf(&["check", "--format", "json"]);
    assert_eq!(check.code, 1, "{}", check.stdout);
    let j = check.json();
    let errors: Vec<(String, String)> = j["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or_default().to_string(),
                d["record"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [("risk-verified".to_string(), "DI-001".to_string())]
    );
    let r = t.ddf(&["validation-report"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("**NOT verified on this commit**: 1 high-risk"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("| DI-001 | Requirement DI-001 | high | ISO 13485 4.1.6 | FAILED |"),
        "{}",
        r.stdout
    );

    // Before any run is imported, no requirement is verified: the check fails on every
    // high-risk one, and the low-risk one is a warning only.
    let t = tool_ddf(PASSING);
    let j = t.ddf(&["check", "--format", "json"]).json();
    let high: Vec<&str> = j["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "risk-verified")
        .filter_map(|d| d["record"].as_str())
        .collect();
    assert_eq!(high, ["DI-001", "DI-002"]);

    // A change to the code after the run makes the run stale: verified on another commit only.
    let mut t = tool_ddf(PASSING);
    import(&t);
    t.write("src/lib.rs", "// the tool, changed\n");
    t.commit("Change the code");
    let r = t.ddf(&["validation-report"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("STALE"), "{}", r.stdout);
    assert!(r.stdout.contains("ver-fresh VER-001"), "{}", r.stdout);
}

/// The repository's own validation/ DDF.
fn validation_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("validation")
}

#[test]
fn the_real_validation_ddf_is_well_formed() {
    // A copy outside Git: the structure and trace rules, without the history of the repository
    // (CI checks the real one with its history after importing the run, docs/validation.md).
    let t = TestRepo::new();
    for (rel, p) in files_under(&validation_dir()) {
        t.write_bytes(&rel, &std::fs::read(&p).expect("read"));
    }
    let r = t.ddf(&["check", "--format", "json"]);
    let j = r.json();
    let mut high_unverified = Vec::new();
    for d in j["diagnostics"].as_array().expect("diagnostics") {
        let rule = d["rule"].as_str().unwrap_or_default();
        match rule {
            // Nothing is verified until a run is imported: every high-risk requirement fails.
            "risk-verified" => {
                high_unverified.push(d["record"].as_str().unwrap_or_default().to_string())
            }
            // Shown, as warnings: unverified requirements, the need validated by the user, the
            // fields an import writes into the draft VERs (and the user into VAL-001).
            "di-verified" | "un-validated" | "missing-field" => {
                assert_eq!(d["severity"], "warning", "{d}")
            }
            _ => panic!("unexpected finding in validation/: {d}"),
        }
    }
    assert!(high_unverified.len() > 40, "{high_unverified:?}");

    // Every rule of `ddf check --list-rules` is a requirement, high risk when it is an error.
    let rules = run_ddf(&t.root, &["check", "--list-rules", "--format", "json"]).json();
    let mut requirements = String::new();
    for (_, p) in files_under(&validation_dir().join("records/requirements")) {
        requirements.push_str(&std::fs::read_to_string(p).expect("read"));
    }
    for rule in rules.as_array().expect("rules") {
        let id = rule["id"].as_str().expect("id");
        let title = format!("title: \"Rule `{id}`:");
        let at = requirements
            .find(&title)
            .unwrap_or_else(|| panic!("no requirement for rule {id}"));
        let risk = if rule["default"] == "error" {
            "risk: high"
        } else {
            "risk: low"
        };
        let record = &requirements[at..];
        let record = &record[..record.find("\n---\n").unwrap_or(record.len())];
        assert!(record.contains(risk), "rule {id}: {record}");
    }

    // Every test a VER names exists: a function of that name in the source of its binary.
    let source = |dir: &str| -> String {
        files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .into_iter()
            .filter(|(rel, _)| rel.ends_with(".rs"))
            .map(|(_, p)| std::fs::read_to_string(p).expect("read"))
            .collect()
    };
    let (lib, cli) = (source("src"), source("tests/cli"));
    let mut named = 0;
    for (_, p) in files_under(&validation_dir().join("records/verification")) {
        let text = std::fs::read_to_string(&p).expect("read");
        for line in text.lines().filter(|l| l.starts_with("  - \"")) {
            let id = line.trim_start_matches("  - \"").trim_end_matches('"');
            let (binary, name) = id.split_once('.').expect("binary.test");
            let func = format!("fn {}(", name.rsplit("::").next().unwrap_or(name));
            let found = match binary {
                "ddf" => lib.contains(&func),
                "ddf::cli" => {
                    let module = name.split("::").next().unwrap_or_default();
                    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("tests/cli")
                        .join(format!("{module}.rs"));
                    std::fs::read_to_string(file).is_ok_and(|s| s.contains(&func))
                        && cli.contains(&func)
                }
                "ddf::fuzz" => name == "fuzz",
                _ => false,
            };
            assert!(found, "{}: {id} is no test of ddf", p.display());
            named += 1;
        }
    }
    assert!(named > 300, "{named} tests named");
}
