//! The commands end to end: check's JSON contract and exit codes, severities from ddf.yaml,
//! init, new, show, trace, export, schema; snapshots of human output.

use crate::harness::{di, findings, redact, un, TestRepo, PER};

#[test]
fn check_json_contract() {
    let t = TestRepo::with_basics();
    t.write("records/DI-001.md", &di("DI-001", "UN-099"));
    let run = t.ddf(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let v = run.json();
    let obj = v.as_object().expect("object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    for k in ["records", "errors", "warnings", "diagnostics"] {
        assert!(keys.contains(&k), "{k} missing");
    }
    assert_eq!(v["records"], 2);
    let d = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["rule"] == "dangling-link")
        .expect("dangling-link");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["record"], "DI-001");
    assert_eq!(d["path"], "records/DI-001.md");
    assert_eq!(d["line"], 9);
    assert_eq!(d["column"], 13);
    assert_eq!(d["message"], "traces_to names UN-099, which does not exist");
    let mut dk: Vec<&str> = d
        .as_object()
        .expect("obj")
        .keys()
        .map(String::as_str)
        .collect();
    dk.sort_unstable();
    assert_eq!(
        dk,
        ["column", "line", "message", "path", "record", "rule", "severity"]
    );
    assert_eq!(
        v["errors"].as_u64().unwrap_or(0) + v["warnings"].as_u64().unwrap_or(0),
        v["diagnostics"].as_array().map_or(0, |a| a.len() as u64)
    );
}

#[test]
fn check_output_is_sorted_and_deterministic() {
    let t = TestRepo::with_basics();
    for i in 1..=20 {
        t.write(
            &format!("records/DI-{i:03}.md"),
            &di(&format!("DI-{i:03}"), "UN-404"),
        );
    }
    let a = t.ddf(&["check", "--format", "json"]).stdout;
    let b = t.ddf(&["check", "--format", "json"]).stdout;
    assert_eq!(a, b);
    let f = findings(&t.ddf(&["check", "--format", "json"]));
    let mut sorted = f.clone();
    sorted.sort_by(|x, y| (&x.1, x.2, &x.0).cmp(&(&y.1, y.2, &y.0)));
    assert_eq!(f, sorted);
}

#[test]
fn severities_from_config() {
    let t = TestRepo::with_basics();
    t.write("records/DI-001.md", &di("DI-001", "UN-404"));
    t.write(
        "ddf.yaml",
        "project: Test\nrules:\n  dangling-link: warning\n",
    );
    let run = t.ddf(&["check", "--format", "json"]);
    let d = run.json()["diagnostics"]
        .as_array()
        .expect("a")
        .iter()
        .find(|d| d["rule"] == "dangling-link")
        .cloned()
        .expect("still reported");
    assert_eq!(d["severity"], "warning");
    t.write("ddf.yaml", "project: Test\nrules:\n  dangling-link: off\n");
    let run = t.ddf(&["check", "--format", "json"]);
    assert!(!findings(&run).iter().any(|f| f.0 == "dangling-link"));
}

#[test]
fn clean_ddf_exits_zero_and_list_rules() {
    let t = TestRepo::with_basics();
    let run = t.ddf(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Checked 1 record: 0 errors, 0 warnings"),
        "{}",
        run.stdout
    );
    let rules = t.ddf(&["check", "--list-rules", "--format", "json"]);
    let ids: Vec<String> = rules
        .json()
        .as_array()
        .expect("a")
        .iter()
        .map(|r| r["id"].as_str().unwrap_or("").to_string())
        .collect();
    for id in [
        "dangling-link",
        "di-verified",
        "cyber-chain",
        "doc-review-due",
    ] {
        assert!(ids.contains(&id.to_string()), "{id}");
    }
}

#[test]
fn unsupported_format_is_usage_error() {
    let t = TestRepo::with_basics();
    let run = t.ddf(&["export", "--format", "md"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("hint: use --format json | reqif | csv | xlsx"),
        "{}",
        run.stderr
    );
}

#[test]
fn human_check_output_snapshot() {
    let t = TestRepo::with_basics();
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("source: user", "source: usr"),
    );
    t.write("records/DI-001.md", &di("DI-001", "UN-001, UN-00"));
    t.write("records/notes.md", "Notes without front-matter.\n");
    let run = t.ddf(&["check"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("check_human", redact(&run.stdout, &t.root));
}

#[test]
fn init_scaffolds_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = crate::harness::run_ddf(dir.path(), &["init", "--project", "Pump"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join("ddf.yaml").is_file());
    assert!(dir.path().join("records/needs/UN-001.md").is_file());
    let check = crate::harness::run_ddf(dir.path(), &["check", "--format", "json"]);
    // The starter records parse and link cleanly; what is left are the design-control gaps a
    // team fills next (an output and a verification for the first input, a validation for the
    // first need).
    let structure: Vec<_> = findings(&check)
        .into_iter()
        .filter(|f| !f.0.starts_with("di-") && f.0 != "missing-field" && f.0 != "un-validated")
        .collect();
    assert!(structure.is_empty(), "{structure:?}");
    std::fs::write(dir.path().join("records/needs/UN-001.md"), "mine").expect("write");
    let again = crate::harness::run_ddf(dir.path(), &["init"]);
    assert_eq!(again.code, 2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("records/needs/UN-001.md")).expect("read"),
        "mine"
    );
}

#[test]
fn new_picks_next_free_id_and_writes_where_the_type_lives() {
    let t = TestRepo::with_basics();
    t.write("records/inputs/DI-001.md", &di("DI-001", "UN-001"));
    t.write("records/inputs/DI-007.md", &di("DI-007", "UN-001"));
    let run = t.ddf(&[
        "new",
        "design-input",
        "--title",
        "Max bolus: 10 mL",
        "--owner",
        "PER-001",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.trim().ends_with("records/inputs/DI-008.md"),
        "{}",
        run.stdout
    );
    let text = t.read("records/inputs/DI-008.md");
    assert!(text.starts_with("---\nid: DI-008\ntype: design-input\ntitle: \"Max bolus: 10 mL\"\nstatus: draft\nowner: PER-001\n"), "{text}");
    // The new record parses and only misses what a person has to write.
    let check = t.ddf(&["check", "--format", "json"]);
    let f: Vec<_> = findings(&check)
        .into_iter()
        .filter(|f| f.1 == "records/inputs/DI-008.md")
        .collect();
    assert!(
        f.iter()
            .all(|f| f.0 == "missing-field" || f.0.starts_with("di-")),
        "{f:?}"
    );
    // By prefix too; a type with no records yet goes to records/<type>/.
    let run = t.ddf(&["new", "HAZ"]);
    assert!(
        run.stdout.trim().ends_with("records/hazard/HAZ-001.md"),
        "{}",
        run.stdout
    );
}

#[test]
fn new_id_is_free_on_every_local_branch() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/inputs/DI-001.md", &di("DI-001", "UN-001"));
    t.commit("DI-001");
    t.git(&["checkout", "-q", "-b", "feature"]);
    t.write("records/inputs/DI-002.md", &di("DI-002", "UN-001"));
    t.write("records/inputs/renamed.md", &di("DI-005", "UN-001"));
    t.commit("DI-002 and DI-005 on a branch");
    t.git(&["checkout", "-q", "main"]);
    assert!(!t.path("records/inputs/DI-002.md").exists());
    let run = t.ddf(&["new", "DI"]);
    assert!(
        run.stdout.trim().ends_with("records/inputs/DI-006.md"),
        "{}",
        run.stdout
    );
}

#[test]
fn new_never_overwrites() {
    let t = TestRepo::with_basics();
    // A file that is not a parseable record sits where the next id would go: it keeps its id.
    t.write("records/hazard/HAZ-001.md", "my notes");
    let run = t.ddf(&["new", "HAZ", "--folder", "records/hazard"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.trim().ends_with("records/hazard/HAZ-002.md"),
        "{}",
        run.stdout
    );
    assert_eq!(t.read("records/hazard/HAZ-001.md"), "my notes");
    let run = t.ddf(&["new", "nonsense"]);
    assert_eq!(run.code, 2);
    let run = t.ddf(&["new", "HAZ", "--folder", "../outside"]);
    assert_eq!(run.code, 2);
}

fn chain() -> TestRepo {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/UN-002.md", &un("UN-002"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.write("records/DI-002.md", &di("DI-002", "DI-001"));
    t.write("records/DO-001.md", "---\nid: DO-001\ntype: design-output\ntitle: Pump firmware\nstatus: draft\nowner: PER-001\noutput_kind: source\nessential: true\nsatisfies: [DI-002]\n---\nFirmware.\n");
    t.write("records/VER-001.md", "---\nid: VER-001\ntype: verification\ntitle: Bolus test\nstatus: draft\nowner: PER-001\nmethod: test\nacceptance_criteria: ok\nresult: pass\nexecuted_on: 2026-01-02\nbaseline: v1.0\nevidence: reports/ver-001.pdf\nverifies: [DI-002]\n---\n");
    t.write("records/VER-002.md", "---\nid: VER-002\ntype: verification\ntitle: Bolus test (rerun)\nstatus: draft\nowner: PER-001\nmethod: test\nacceptance_criteria: ok\nresult: fail\nexecuted_on: 2026-01-03\nbaseline: v1.0\nevidence: reports/ver-002.pdf\nverifies: [DO-001]\n---\n");
    t
}

#[test]
fn show_walks_up_and_down() {
    let t = chain();
    let run = t.ddf(&["show", "DI-002", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    let ids = |k: &str| -> Vec<String> {
        v[k].as_array()
            .expect("a")
            .iter()
            .map(|x| x["id"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        ids("upstream"),
        ["DI-001", "PER-001", "UN-001"]
            .map(String::from)
            .to_vec()
            .into_iter()
            .filter(|i| i != "PER-001")
            .collect::<Vec<_>>()
    );
    assert_eq!(ids("downstream"), ["DO-001", "VER-001", "VER-002"]);
    let via: Vec<String> = v["downstream"][2]["via"]
        .as_array()
        .expect("a")
        .iter()
        .map(|x| x.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(via, ["DO-001", "VER-002"]);
    assert_eq!(ids("links_in"), ["DO-001", "VER-001"]);
    let human = t.ddf(&["show", "di-002"]);
    insta::assert_snapshot!("show_human", human.stdout);
    let missing = t.ddf(&["show", "DI-099"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("DI-001, DI-002"),
        "{}",
        missing.stderr
    );
}

#[test]
fn trace_matrix_marks_gaps() {
    let t = chain();
    let run = t.ddf(&["trace"]);
    assert_eq!(run.code, 1, "gaps fail the trace");
    insta::assert_snapshot!("trace_human", run.stdout);
    let csv = t.ddf(&["trace", "--format", "csv"]);
    assert_eq!(
        csv.stdout,
        "user-need,design-input,design-output,verification,validation,gaps\nUN-001,DI-001,DO-001,VER-001;VER-002 (fail),,validation\nUN-001,DI-002,DO-001,VER-001;VER-002 (fail),,validation\nUN-002,,,,,design-input;design-output;verification;validation\n"
    );
    let json = t.ddf(&["trace", "--format", "json"]).json();
    assert_eq!(json["rows_with_gaps"], 3);
    let md = t.ddf(&["trace", "--format", "md"]);
    assert!(
        md.stdout.starts_with("| user-need | design-input |"),
        "{}",
        md.stdout
    );
    assert_eq!(t.ddf(&["trace", "--from", "THR"]).code, 0);
    assert_eq!(t.ddf(&["trace", "--from", "person"]).code, 2);
}

#[test]
fn export_is_the_whole_graph() {
    let t = chain();
    let v = t.ddf(&["export"]).json();
    assert_eq!(v["project"], "Test");
    assert_eq!(v["records"].as_array().map(Vec::len), Some(8));
    let links = v["links"].as_array().expect("links");
    assert!(links
        .iter()
        .any(|l| l["from"] == "DO-001" && l["field"] == "satisfies" && l["to"] == "DI-002"));
    let csv = t.ddf(&["export", "--format", "csv", "--links"]);
    assert!(csv.stdout.starts_with("from,field,to\n"));
    assert!(csv.stdout.contains("VER-002,verifies,DO-001\n"));
}

#[test]
fn schema_and_json_schema() {
    let t = TestRepo::with_basics();
    t.write(
        "ddf.yaml",
        "project: Test\ntypes:\n  design-input:\n    fields:\n      jira: { kind: string }\n",
    );
    let run = t.ddf(&["schema"]);
    assert!(
        run.stdout.contains("DI      design-input"),
        "{}",
        run.stdout
    );
    let one = t.ddf(&["schema", "DI"]);
    assert!(one.stdout.contains("jira"), "{}", one.stdout);
    // One schema for every type: the types are in `$defs`, ddf.yaml's fields included.
    let js = t.ddf(&["schema", "--json-schema"]).json();
    assert_eq!(js["$defs"].as_object().map(|o| o.len()), Some(23));
    assert_eq!(
        js["$defs"]["design-input"]["properties"]["jira"]["type"][0],
        "string"
    );
    let out = t.path("schemas");
    let run = t.ddf(&[
        "schema",
        "--json-schema",
        "--out",
        &out.display().to_string(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.join("hazardous-situation.schema.json").is_file());
    let _ = PER;
}
