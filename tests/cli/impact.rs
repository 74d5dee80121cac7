//! `ddf impact`: fixture repositories with known changes and the exact changed sets, impacted
//! sets and cybersecurity classes expected.

use crate::harness::{un, TestRepo};
use serde_json::Value;

fn rec(id: &str, ty: &str, extra: &str, body: &str) -> String {
    format!("---\nid: {id}\ntype: {ty}\ntitle: T {id}\nstatus: draft\nowner: PER-001\n{extra}---\n{body}")
}

/// main: UN-001 <- DI-001 <- DO-001 (artifacts src/pump/**) <- VER-001; UN-001 <- DI-002 <- VER-002;
/// HS-001 <- RC-001 (safety) <- DI-001 implements it.
fn fixture() -> TestRepo {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write(
        "ddf.yaml",
        "project: Test\nsecurity_globs: [\"src/crypto/**\"]\n",
    );
    t.write("records/UN-001.md", &un("UN-001"));
    t.write(
        "records/DI-001.md",
        &rec(
            "DI-001",
            "design-input",
            "category: functional\ntraces_to: [UN-001]\nimplements_control: [RC-001]\n",
            "Flow.\n",
        ),
    );
    t.write(
        "records/DI-002.md",
        &rec(
            "DI-002",
            "design-input",
            "category: functional\ntraces_to: [UN-001]\n",
            "Other.\n",
        ),
    );
    t.write(
        "records/DO-001.md",
        &rec(
            "DO-001",
            "design-output",
            "artifacts: [\"src/pump/**\"]\nsatisfies: [DI-001]\n",
            "",
        ),
    );
    t.write(
        "records/VER-001.md",
        &rec("VER-001", "verification", "verifies: [DO-001]\n", ""),
    );
    t.write(
        "records/VER-002.md",
        &rec("VER-002", "verification", "verifies: [DI-002]\n", ""),
    );
    t.write(
        "records/HS-001.md",
        &rec("HS-001", "hazardous-situation", "", ""),
    );
    t.write(
        "records/RC-001.md",
        &rec(
            "RC-001",
            "risk-control",
            "kind: safety\nmitigates: [HS-001]\n",
            "",
        ),
    );
    t.write(
        "records/REL-001.md",
        &rec("REL-001", "release", "fielded: 2026-01-05\n", ""),
    );
    t.write("src/pump/dose.c", "int dose;\n");
    t.write("src/crypto/aes.c", "int aes;\n");
    t.commit("baseline");
    t
}

fn impact(t: &TestRepo, args: &[&str]) -> Value {
    let mut a = vec!["impact", "--format", "json"];
    a.extend_from_slice(args);
    let r = t.ddf(&a);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    r.json()
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_string())
        .collect()
}

fn changes(v: &Value) -> Vec<(String, String)> {
    v["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or("").into(),
                c["change"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

fn impacted(v: &Value) -> Vec<(String, String, String)> {
    v["impacted"]
        .as_array()
        .expect("impacted")
        .iter()
        .map(|m| {
            let via: Vec<&str> = m["via"]
                .as_array()
                .expect("via")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            (
                m["id"].as_str().unwrap_or("").into(),
                m["direction"].as_str().unwrap_or("").into(),
                via.join(">"),
            )
        })
        .collect()
}

fn s(a: &str, b: &str) -> (String, String) {
    (a.into(), b.into())
}

fn m(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn worktree_change_on_a_branch_against_its_merge_base() {
    let mut t = fixture();
    let base = t.git(&["rev-parse", "HEAD"]).trim().to_string();
    t.git(&["checkout", "-q", "-b", "feature"]);
    t.write(
        "records/DI-001.md",
        &rec(
            "DI-001",
            "design-input",
            "category: performance\ntraces_to: [UN-001]\nimplements_control: [RC-001]\n",
            "Flow, faster.\n",
        ),
    );
    t.commit("faster");
    // Uncommitted: counts too.
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("The user needs", "Users need"),
    );
    let v = impact(&t, &[]);
    assert_eq!(v["base"], base.as_str());
    assert_eq!(v["head"], "worktree");
    assert_eq!(
        changes(&v),
        [s("DI-001", "modified"), s("UN-001", "modified")]
    );
    let di = &v["changed"][0];
    assert_eq!(di["type"], "design-input");
    assert_eq!(
        di["fields"],
        serde_json::json!([{"name": "category", "old": "functional", "new": "performance"}])
    );
    assert!(di["body_diff"]
        .as_str()
        .expect("diff")
        .contains("+Flow, faster."));
    assert_eq!(
        impacted(&v),
        [
            m("DI-002", "downstream", "UN-001>DI-002"),
            m("DO-001", "downstream", "DI-001>DO-001"),
            m("HS-001", "upstream", "DI-001>RC-001>HS-001"),
            m("RC-001", "upstream", "DI-001>RC-001"),
            m("VER-001", "downstream", "DI-001>DO-001>VER-001"),
            m("VER-002", "downstream", "UN-001>DI-002>VER-002"),
        ]
    );
    assert_eq!(ids(&v, "stale_verifications"), ["VER-001", "VER-002"]);
    assert_eq!(ids(&v, "risk_reevaluation"), ["HS-001", "RC-001"]);
    assert_eq!(ids(&v, "fielded_releases"), ["REL-001"]);
    assert_eq!(v["cyber_impact"], "unlikely-to-impact");
    assert_eq!(v["cyber_reasons"], serde_json::json!([]));
}

#[test]
fn sideways_records_are_not_impacted() {
    let mut t = fixture();
    t.write(
        "records/VER-001.md",
        &rec(
            "VER-001",
            "verification",
            "verifies: [DO-001]\n",
            "Re-run.\n",
        ),
    );
    t.commit("ver");
    let v = impact(&t, &["HEAD~1..HEAD"]);
    assert_eq!(changes(&v), [s("VER-001", "modified")]);
    // Up only: DO-001, DI-001, UN-001, RC-001, HS-001; never down again to DI-002 or VER-002.
    let got: Vec<String> = impacted(&v)
        .into_iter()
        .map(|x| format!("{} {}", x.0, x.1))
        .collect();
    assert_eq!(
        got,
        [
            "DI-001 upstream",
            "DO-001 upstream",
            "HS-001 upstream",
            "RC-001 upstream",
            "UN-001 upstream"
        ]
    );
}

#[test]
fn rename_and_deletion_between_commits() {
    let mut t = fixture();
    let a = t.git(&["rev-parse", "HEAD"]).trim().to_string();
    t.git(&["mv", "records/DI-002.md", "records/DI-002-renamed.md"]);
    t.git(&["rm", "-q", "records/VER-002.md"]);
    let b = t.commit("rename and delete");
    let v = impact(&t, &[&format!("{a}..{b}")]);
    assert_eq!(v["base"], a.as_str());
    assert_eq!(v["head"], b.as_str());
    assert_eq!(
        changes(&v),
        [s("DI-002", "renamed"), s("VER-002", "removed")]
    );
    assert_eq!(v["changed"][0]["old_path"], "records/DI-002.md");
    assert_eq!(v["changed"][0]["fields"], serde_json::json!([]));
    // The removed VER is walked on the base graph.
    assert_eq!(
        impacted(&v),
        [m("UN-001", "upstream", "DI-002>UN-001")],
        "VER-002 was changed itself; UN-001 is upstream of DI-002 (and of VER-002 through it)"
    );
}

#[test]
fn artifact_only_change_needs_the_verification_again() {
    let mut t = fixture();
    t.write("src/pump/dose.c", "int dose = 2;\n");
    t.commit("dose");
    let v = impact(&t, &["HEAD~1..HEAD"]);
    assert_eq!(changes(&v), []);
    assert_eq!(
        v["artifact_changes"],
        serde_json::json!([{"id": "DO-001", "files": ["src/pump/dose.c"], "record_unchanged": true}])
    );
    assert_eq!(ids(&v, "stale_verifications"), ["VER-001"]);
    assert_eq!(v["cyber_impact"], "unlikely-to-impact");
}

#[test]
fn security_changes_may_impact_with_every_reason() {
    let mut t = fixture();
    t.write("src/crypto/aes.c", "int aes = 256;\n");
    t.write(
        "records/THR-001.md",
        &rec(
            "THR-001",
            "threat",
            "attack_vector: network\n",
            "Spoofed pump.\n",
        ),
    );
    t.commit("crypto");
    let v = impact(&t, &["HEAD~1..HEAD"]);
    assert_eq!(changes(&v), [s("THR-001", "added")]);
    assert_eq!(v["cyber_impact"], "may-impact");
    assert_eq!(
        v["cyber_reasons"],
        serde_json::json!([
            "(a) a threat: THR-001 added",
            "(b) src/crypto/aes.c changed, under the security globs"
        ])
    );
    assert_eq!(ids(&v, "risk_reevaluation"), ["THR-001"]);
    assert_eq!(ids(&v, "approvals_required"), ["THR-001"]);
}

#[test]
fn empty_change_and_bad_ranges() {
    let t = fixture();
    let v = impact(&t, &["HEAD..HEAD"]);
    assert_eq!(changes(&v), []);
    assert_eq!(v["impacted"], serde_json::json!([]));
    assert_eq!(v["cyber_impact"], "unlikely-to-impact");
    // On the controlled branch with a clean tree: nothing to assess.
    let v = impact(&t, &[]);
    assert_eq!(changes(&v), []);
    let r = t.ddf(&["impact", "nope..HEAD"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nope") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
    let r = t.ddf(&["impact", "a..b..c"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a range"), "{}", r.stderr);
}

#[test]
fn markdown_comment_and_write_cr() {
    let mut t = fixture();
    t.write(
        "records/CR-012.md",
        "---\nid: CR-012\ntype: change-request\ntitle: Faster\nstatus: draft # keep me\nowner: PER-001\nimpact:\ncyber_impact:\n---\nBody stays.\n",
    );
    t.commit("cr");
    t.write(
        "records/DI-001.md",
        &t.read("records/DI-001.md").replace("Flow.", "Flow 2."),
    );
    let r = t.ddf(&["impact", "--format", "md"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("<!-- ddf-impact -->\n"));
    assert!(r
        .stdout
        .contains("### Cybersecurity: **unlikely-to-impact**"));
    assert!(r.stdout.contains("- [ ] Repeat VER-001"));
    assert!(r.stdout.contains("<details><summary>DI-001 modified"));

    let r = t.ddf(&["impact", "--write-cr", "CR-012"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cr = t.read("records/CR-012.md");
    assert!(cr.contains("status: draft # keep me\n"), "{cr}");
    assert!(cr.contains("cyber_impact: unlikely-to-impact\n"), "{cr}");
    assert!(
        cr.contains("impact: \"Proposed by ddf impact")
            || cr.contains("impact: Proposed by ddf impact"),
        "{cr}"
    );
    assert!(
        cr.contains("cyber_rationale: \"Unlikely to impact cybersecurity (proposed by ddf impact")
            || cr.contains(
                "cyber_rationale: Unlikely to impact cybersecurity (proposed by ddf impact"
            ),
        "{cr}"
    );
    assert!(cr.contains("(d) no SBOM"), "{cr}");
    assert!(cr.ends_with("---\nBody stays.\n"), "{cr}");
    assert!(
        r.stderr
            .contains("wrote impact, cyber_impact and cyber_rationale into records/CR-012.md"),
        "{}",
        r.stderr
    );

    // Filled now: a second run proposes but never overwrites.
    t.write(
        "records/CR-012.md",
        &cr.replace(
            "cyber_impact: unlikely-to-impact",
            "cyber_impact: may-impact",
        ),
    );
    let before = t.read("records/CR-012.md");
    let r = t.ddf(&["impact", "--write-cr", "CR-012"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(t.read("records/CR-012.md"), before);
    assert!(r.stderr.contains("not overwritten"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("  cyber_rationale: Unlikely to impact cybersecurity (proposed by"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_changed_configuration_loads_base_in_full() {
    let mut t = fixture();
    t.write(
        "ddf.yaml",
        "project: Test\nsecurity_globs: [\"src/pump/**\"]\n",
    );
    t.write("src/pump/dose.c", "int dose = 3;\n");
    t.git(&["rm", "-q", "records/VER-002.md"]);
    t.commit("globs");
    let v = impact(&t, &["HEAD~1..HEAD"]);
    assert_eq!(changes(&v), [s("VER-002", "removed")]);
    assert_eq!(
        v["cyber_reasons"],
        serde_json::json!(["(b) src/pump/dose.c changed, under the security globs"])
    );
    assert_eq!(
        v["changed_files"],
        serde_json::json!(["ddf.yaml", "records/VER-002.md", "src/pump/dose.c"])
    );
}

#[test]
fn no_repository_or_no_controlled_branch_is_a_usage_error_with_a_hint() {
    let t = TestRepo::with_basics();
    let r = t.ddf(&["impact"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    let mut t = fixture();
    t.write("ddf.yaml", "project: Test\ncontrolled_branch: release\n");
    t.commit("other branch name");
    let r = t.ddf(&["impact"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("`release` does not exist"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint: pass a range"), "{}", r.stderr);
}

fn cdx(components: &str) -> String {
    format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{components}]}}"#)
}

#[test]
fn an_sbom_delta_may_impact_and_is_listed() {
    let mut t = fixture();
    t.write(
        "sboms/v1.json",
        &cdx(r#"{"type":"library","name":"zlib","version":"1.3","purl":"pkg:generic/zlib@1.3"}"#),
    );
    t.write(
        "records/REL-001.md",
        &rec(
            "REL-001",
            "release",
            "fielded: 2026-01-05\nsbom: [sboms/v1.json]\n",
            "",
        ),
    );
    t.commit("sbom");
    t.write(
        "sboms/v1.json",
        &cdx(r#"{"type":"library","name":"zlib","version":"1.3.1","purl":"pkg:generic/zlib@1.3.1"},{"type":"library","name":"mbedtls","version":"3.6","purl":"pkg:generic/mbedtls@3.6"}"#),
    );
    let v = impact(&t, &["HEAD"]);
    assert_eq!(changes(&v), []);
    assert_eq!(v["cyber_impact"], "may-impact");
    assert_eq!(
        v["cyber_reasons"],
        serde_json::json!(["(d) SBOM sboms/v1.json changed: 1 added, 0 removed, 1 version changes, 0 supplier changes"])
    );
    let d = &v["sbom_changes"][0]["diff"];
    assert_eq!(d["added"][0]["name"], "mbedtls");
    assert_eq!(d["version_changed"][0]["old"], "1.3");
    assert_eq!(d["version_changed"][0]["new"], "1.3.1");
}

#[test]
fn three_dots_assess_a_branch_from_its_merge_base() {
    let mut t = fixture();
    t.git(&["checkout", "-q", "-b", "feature"]);
    t.write(
        "records/VER-002.md",
        &rec(
            "VER-002",
            "verification",
            "verifies: [DI-002]\n",
            "Again.\n",
        ),
    );
    t.commit("feature");
    t.git(&["checkout", "-q", "main"]);
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("The user needs", "Users need"),
    );
    t.commit("main moves on");
    let v = impact(&t, &["main...feature"]);
    assert_eq!(
        changes(&v),
        [s("VER-002", "modified")],
        "main's own change is not the branch's"
    );
    let v = impact(&t, &["main..feature"]);
    assert_eq!(
        changes(&v),
        [s("UN-001", "modified"), s("VER-002", "modified")]
    );
    // `..B` with B on the controlled branch: B against its first parent.
    let v = impact(&t, &["..main"]);
    assert_eq!(changes(&v), [s("UN-001", "modified")]);
}

#[test]
fn a_change_that_creates_the_ddf_adds_every_record() {
    let mut t = TestRepo::new();
    t.git_init();
    std::fs::remove_file(t.path("ddf.yaml")).expect("rm");
    t.write("README.md", "pump\n");
    t.commit("before the DDF");
    t.write("ddf.yaml", "project: Test\n");
    t.write("records/UN-001.md", &un("UN-001"));
    let v = impact(&t, &["HEAD"]);
    assert_eq!(changes(&v), [s("UN-001", "added")]);
}

#[test]
fn a_head_commit_is_assessed_as_committed_whatever_the_working_tree_holds() {
    let mut t = fixture();
    t.write(
        "records/DI-002.md",
        &rec(
            "DI-002",
            "design-input",
            "category: functional\ntraces_to: [UN-001]\n",
            "Other, revised.\n",
        ),
    );
    t.write(".gitignore", "records/scratch-*.md\n");
    t.commit("revise DI-002");
    let committed = impact(&t, &["HEAD~1..HEAD"]);
    assert_eq!(changes(&committed), [s("DI-002", "modified")]);
    let verbose = |t: &TestRepo| {
        let r = t.ddf(&["impact", "HEAD~1..HEAD", "-v", "--format", "json"]);
        assert_eq!(r.code, 0, "stderr: {}", r.stderr);
        (r.json(), r.stderr.contains("working tree differs"))
    };
    // A clean working tree is read as it is, even when every file's stat changed (a copy or a
    // restore): nothing is re-read from the commit.
    let now = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    for f in ["records/DI-002.md", "records/UN-001.md", "ddf.yaml"] {
        std::fs::File::options()
            .write(true)
            .open(t.path(f))
            .and_then(|f| f.set_modified(now))
            .expect("touch");
    }
    assert_eq!(verbose(&t), (committed.clone(), false));
    // A record edited, a configuration edited, or a record file Git ignores: the commit's
    // content is assessed, not the working tree's.
    t.write(
        "records/DI-002.md",
        &rec(
            "DI-002",
            "design-input",
            "category: functional\ntraces_to: [UN-001]\n",
            "Uncommitted.\n",
        ),
    );
    assert_eq!(verbose(&t), (committed.clone(), true));
    t.git(&["checkout", "-q", "--", "records/DI-002.md"]);
    t.write(
        "ddf.yaml",
        "project: Test\nsecurity_globs: [\"src/pump/**\"]\n",
    );
    assert_eq!(verbose(&t), (committed.clone(), true));
    // Not even a working tree that cannot be loaded stands in the way.
    t.write("ddf.yaml", "project: [unclosed\n");
    assert_eq!(verbose(&t), (committed.clone(), true));
    t.git(&["checkout", "-q", "--", "ddf.yaml"]);
    // (A file Git ignores is not in the commit: it used to be assessed as if it were.)
    t.write(
        "records/scratch-DI-009.md",
        &rec(
            "DI-009",
            "design-input",
            "category: functional\ntraces_to: [DI-002]\n",
            "",
        ),
    );
    assert_eq!(verbose(&t), (committed, true));
}

#[test]
fn between_two_commits_only_the_sboms_the_change_touched_have_a_delta() {
    let mut t = fixture();
    let zlib = r#"{"type":"library","name":"zlib","version":"1.3","purl":"pkg:generic/zlib@1.3"}"#;
    t.write("sboms/v1.json", &cdx(zlib));
    t.write("sboms/v2.json", &cdx(zlib));
    t.write(
        "records/REL-001.md",
        &rec(
            "REL-001",
            "release",
            "fielded: 2026-01-05\nsbom: [sboms/v1.json, sboms/v2.json]\n",
            "",
        ),
    );
    t.commit("sboms");
    t.write(
        "sboms/v2.json",
        &cdx(
            r#"{"type":"library","name":"zlib","version":"1.3.1","purl":"pkg:generic/zlib@1.3.1"}"#,
        ),
    );
    t.commit("bump zlib in v2");
    // The working tree differs from both commits: neither side may be read from it.
    t.write("sboms/v1.json", &cdx(""));
    let v = impact(&t, &["HEAD~1..HEAD"]);
    let paths: Vec<&str> = v["sbom_changes"]
        .as_array()
        .expect("sbom_changes")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(paths, ["sboms/v2.json"], "{v}");
    assert_eq!(
        v["sbom_changes"][0]["diff"]["version_changed"][0]["new"],
        "1.3.1"
    );
}
