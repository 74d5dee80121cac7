//! IEC 62304 records (issue 18): software items, SOUP, anomalies and the use documents, through
//! `ddf check`, the release gate, `ddf show`, `ddf new` and `ddf schema`.

use crate::harness::{findings, TestRepo};

#[test]
fn example_release_lists_its_residual_anomalies() {
    let t = TestRepo::example();
    let check = t.ddf(&["check", "--format", "json"]);
    let v = check.json();
    assert_eq!(
        (v["errors"].as_u64(), v["warnings"].as_u64()),
        (Some(0), Some(0)),
        "{}",
        check.stdout
    );
    let gate = t.ddf(&["check", "--release", "REL-002", "--format", "json"]);
    assert_eq!(gate.code, 0, "{}", gate.stdout);
    let g = gate.json();
    let item = |key: &str| {
        g["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["item"] == key))
            .cloned()
            .unwrap_or_else(|| panic!("no item {key}: {g}"))
    };
    assert_eq!(item("use-docs")["ok"], true);
    assert_eq!(item("anomalies")["ok"], true);
    let ids: Vec<&str> = g["residual_anomalies"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    // ANOM-001 and ANOM-003 were fixed in REL-002: they are REL-001's residual anomalies.
    assert_eq!(ids, ["ANOM-002", "ANOM-004"]);
    assert_eq!(g["residual_anomalies"][0]["cwe"], "CWE-200");
    assert_eq!(g["residual_anomalies"][0]["decision"], "defer");

    let text = t.ddf(&["check", "--release", "REL-002"]);
    assert!(
        text.stdout.contains("Residual anomalies (2):"),
        "{}",
        text.stdout
    );
    let old = t.ddf(&["show", "REL-001", "--format", "json"]).json();
    let ids: Vec<&str> = old["residual_anomalies"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    assert_eq!(ids, ["ANOM-001", "ANOM-003"]);
    let show = t.ddf(&["show", "REL-002"]);
    assert!(
        show.stdout.contains("Residual anomalies (2):"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("ANOM-004 [defer]"), "{}", show.stdout);
    let md = t.ddf(&["show", "REL-002", "--format", "md"]);
    assert!(
        md.stdout.contains("### Residual anomalies"),
        "{}",
        md.stdout
    );
    // Only releases carry the list.
    let di = t.ddf(&["show", "DI-001", "--format", "json"]).json();
    assert!(di.get("residual_anomalies").is_none(), "{di}");
    // The SOUP and its vulnerabilities are linked: VULN-003 points at the anomaly's output.
    let anom = t.ddf(&["show", "ANOM-003", "--format", "json"]).json();
    assert!(anom["links_out"]
        .as_array()
        .expect("links")
        .iter()
        .any(|l| l["field"] == "vulnerability" && l["id"] == "VULN-003"));
}

const REL: &str = "---\nid: REL-001\ntype: release\ntitle: R\nstatus: draft\nowner: PER-001\nversion: '1.0'\ntag: v1.0\ncommit: abc\nsbom: []\ntransfer: t\noverall_residual_risk: o\nrm_review: r\ncyber_device: false\nsupport_end: 2030-01-01\nfielded: 2026-03-01\n---\n";

fn doc(id: &str, t: &str) -> String {
    format!("---\nid: {id}\ntype: document\ntitle: {t}\nstatus: approved\nowner: PER-001\ndoc_type: {t}\neffective: 2026-01-01\nreview_due: 2027-01-01\n---\nText.\n")
}

#[test]
fn a_release_fielded_with_an_unassessed_anomaly_is_refused() {
    let t = TestRepo::with_basics();
    t.write("records/REL-001.md", REL);
    t.write("records/DOC-001.md", &doc("DOC-001", "intended-use"));
    t.write("records/DOC-002.md", &doc("DOC-002", "foreseeable-misuse"));
    t.write(
        "records/ANOM-001.md",
        "---\nid: ANOM-001\ntype: anomaly\ntitle: Display freezes\nstatus: draft\nowner: PER-001\nfound_in: field\ndiscovered: 2026-03-10\ndecision: in-analysis\nfielded: [REL-001]\n---\nThe display froze.\n",
    );
    let gate = t.ddf(&["check", "--release", "REL-001"]);
    assert_eq!(gate.code, 1, "{}", gate.stdout);
    assert!(gate.stdout.contains("NO anomalies"), "{}", gate.stdout);
    assert!(
        gate.stdout.contains(
            "ANOM-001 [in-analysis] Display freezes -- NOT ASSESSED: no `safety_assessment`"
        ),
        "{}",
        gate.stdout
    );
    let check = t.ddf(&["check", "--format", "json"]);
    let f = findings(&check);
    assert!(
        f.iter()
            .any(|f| f.0 == "anom-assessed" && f.1 == "records/ANOM-001.md"),
        "{f:?}"
    );
    // Assessed and deferred with a rationale: the release may carry it.
    t.write(
        "records/ANOM-001.md",
        "---\nid: ANOM-001\ntype: anomaly\ntitle: Display freezes\nstatus: draft\nowner: PER-001\nfound_in: field\ndiscovered: 2026-03-10\nsafety_assessment: Delivery and alarms run on; the display recovers in 2 s.\ndecision: defer\nrationale: Fix in 1.1.\nfielded: [REL-001]\n---\nThe display froze.\n",
    );
    let gate = t.ddf(&["check", "--release", "REL-001", "--format", "json"]);
    let g = gate.json();
    let anomalies = g["items"]
        .as_array()
        .and_then(|i| i.iter().find(|i| i["item"] == "anomalies"))
        .cloned()
        .expect("item");
    assert_eq!(anomalies["ok"], true, "{g}");
    assert_eq!(g["residual_anomalies"][0]["rationale"], "Fix in 1.1.");
}

#[test]
fn a_release_needs_the_use_documents() {
    let t = TestRepo::with_basics();
    t.write("records/REL-001.md", REL);
    let check = t.ddf(&["check", "--format", "json"]);
    let f = findings(&check);
    assert!(
        f.iter()
            .any(|f| f.0 == "use-documented" && f.1 == "records/REL-001.md"),
        "{f:?}"
    );
    t.write("records/DOC-001.md", &doc("DOC-001", "intended-use"));
    t.write("records/DOC-002.md", &doc("DOC-002", "foreseeable-misuse"));
    let f = findings(&t.ddf(&["check", "--format", "json"]));
    assert!(!f.iter().any(|f| f.0 == "use-documented"), "{f:?}");
}

#[test]
fn a_class_c_item_without_units_and_soup_without_review_are_reported() {
    let t = TestRepo::with_basics();
    t.write(
        "records/SWI-001.md",
        "---\nid: SWI-001\ntype: software-item\ntitle: Firmware\nstatus: draft\nowner: PER-001\nlevel: system\nsafety_class: C\nclass_rationale: Drives the motor.\nuses: [CMP-001]\n---\nThe firmware.\n",
    );
    t.write(
        "records/SWI-002.md",
        "---\nid: SWI-002\ntype: software-item\ntitle: Motor control\nstatus: draft\nowner: PER-001\nlevel: item\nsafety_class: C\nclass_rationale: As the system.\nparent: [SWI-001]\n---\nMotor control.\n",
    );
    t.write(
        "records/CMP-001.md",
        "---\nid: CMP-001\ntype: component\ntitle: zlib\nstatus: draft\nowner: PER-001\nname: zlib\nversion: 1.3.1\npurl: pkg:generic/zlib@1.3.1\norigin: open-source\nsupport_level: actively-maintained\nsupport_basis: upstream\nend_of_support: 2030-01-01\nsbom_ref: zlib\n---\n",
    );
    let check = t.ddf(&["check", "--format", "json"]);
    let v = check.json();
    let msg = |rule: &str, id: &str| -> String {
        v["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["rule"] == rule && d["record"] == id)
            .filter_map(|d| d["message"].as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    assert!(
        msg("swi-documented", "SWI-002").contains("software units"),
        "{}",
        check.stdout
    );
    assert!(
        msg("swi-documented", "SWI-001").contains("system testing"),
        "{}",
        check.stdout
    );
    assert!(
        msg("soup-documented", "CMP-001").contains("SOUP of SWI-001"),
        "{}",
        check.stdout
    );
    assert_eq!(check.code, 1);
}

#[test]
fn new_writes_the_fields_the_rules_need_and_the_schema_has_the_types() {
    let t = TestRepo::with_basics();
    let run = t.ddf(&["new", "SWI", "--title", "Firmware"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = run.stdout.trim().to_string();
    let text = std::fs::read_to_string(&path).expect("new record");
    for field in [
        "level:",
        "safety_class:",
        "class_rationale:",
        "parent:",
        "uses:",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let run = t.ddf(&["new", "anomaly", "--title", "Crash"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(run.stdout.trim()).expect("new record");
    for field in [
        "found_in:",
        "safety_assessment:",
        "security_assessment:",
        "decision:",
        "rationale:",
        "cwe:",
        "fielded:",
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
    let run = t.ddf(&["new", "CMP"]);
    let text = std::fs::read_to_string(run.stdout.trim()).expect("new record");
    assert!(text.contains("anomaly_list_review:"), "{text}");
    let schema = t.ddf(&["schema", "--format", "json"]);
    assert_eq!(schema.code, 0, "{}", schema.stderr);
    for want in [
        "\"software-item\"",
        "\"anomaly\"",
        "\"safety_class\"",
        "\"interoperability\"",
    ] {
        assert!(schema.stdout.contains(want), "{want}");
    }
}
