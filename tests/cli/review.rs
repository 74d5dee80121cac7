//! `ddf review`: the management review snapshot on the example DDF and on small fixtures.

use crate::harness::TestRepo;

#[test]
fn snapshot_of_the_example_in_markdown_json_and_html() {
    let mut t = TestRepo::example();
    t.git_init();
    let head = t.commit("example");
    let md = t.ddf(&["review", "--period", "2023-06-01..2024-09-30"]);
    assert_eq!(md.code, 0, "{}", md.stderr);
    for section in [
        "## Vulnerability trends",
        "## Patch timelines",
        "## Open risk posture",
        "## CAPA ageing",
        "## Feedback and complaints",
        "## Trace coverage",
        "## Change control",
        "## Suppliers",
        "## Documents and follow-up",
        "## Not available",
    ] {
        assert!(md.stdout.contains(section), "{section} missing");
    }
    assert!(md.stdout.contains("not available without history"));
    let run = t.ddf(&[
        "review",
        "--period",
        "2023-06-01..2024-09-30",
        "--format",
        "json",
    ]);
    let v = run.json();
    assert_eq!(v["source"]["describe"], head.as_str());
    assert_eq!(v["source"]["state"], "clean");
    assert_eq!(v["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(
        v["vulnerabilities"]["new"]["ids"],
        serde_json::json!(["VULN-001", "VULN-002", "VULN-003"])
    );
    assert_eq!(v["vulnerabilities"]["by_state"]["not_affected"], 2);
    assert_eq!(v["capa"]["opened"]["ids"], serde_json::json!(["CAPA-001"]));
    assert_eq!(v["signals"]["by_kind"]["complaint"], 1);
    assert_eq!(v["trace_coverage"]["di_verified"]["percent"], 100.0);
    assert_eq!(v["change_control"]["by_cyber_class"]["may-impact"], 3);
    assert_eq!(
        v["risk_posture"]["components_past_eos"]["ids"],
        serde_json::json!(["CMP-001", "CMP-002"])
    );
    // Deterministic: the same state gives the same snapshot and hash.
    let again = t.ddf(&[
        "review",
        "--period",
        "2023-06-01..2024-09-30",
        "--format",
        "json",
    ]);
    assert_eq!(run.stdout, again.stdout);
    // An uncommitted change shows in the stamp.
    t.write(
        "records/needs/UN-001.md",
        &format!("{}\nEdited.\n", t.read("records/needs/UN-001.md")),
    );
    let dirty = t.ddf(&["review", "--format", "json"]).json();
    assert_eq!(dirty["source"]["describe"], format!("worktree+{head}"));
    // The HTML page: charts drawn inline, no script, nothing from the network.
    let html = t.ddf(&["review", "--html", "review.html", "--out", "review.md"]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    let page = t.read("review.html");
    assert!(page.contains("<svg") && page.contains("Vulnerabilities per month"));
    for fetch in ["<script", "<link", "src=", "href=", "url(", "@import"] {
        assert!(!page.contains(fetch), "self-contained: {fetch}");
    }
    assert!(t.read("review.md").contains("# Management review snapshot"));
    let refused = t.ddf(&["review", "--out", "review.md"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("--force"));
    assert_eq!(t.ddf(&["review", "--out", "review.md", "--force"]).code, 0);
}

#[test]
fn uncontrolled_vulnerabilities_and_breaches_are_counted() {
    let t = TestRepo::with_basics();
    t.write("records/CMP-001.md", "---\nid: CMP-001\ntype: component\ntitle: zlib\nstatus: approved\nowner: PER-001\nname: zlib\nversion: 1.3\norigin: open-source\npurl: pkg:github/madler/zlib@v1.3\nsupport_level: abandoned\nsupport_basis: none\nend_of_support: 2026-01-01\nsbom_ref: z\n---\n");
    t.write("records/VULN-001.md", "---\nid: VULN-001\ntype: vulnerability\ntitle: V\nstatus: approved\nowner: PER-001\nvuln_id: CVE-2026-1\naliases: []\nsource: osv\ndiscovered: 2026-02-01\nstate: exploitable\nexploitability: E4\nseverity: S4\nkev: true\nresponse: [update]\naffects: [CMP-001]\n---\n");
    t.write("records/VULN-002.md", "---\nid: VULN-002\ntype: vulnerability\ntitle: V\nstatus: approved\nowner: PER-001\nvuln_id: CVE-2026-2\naliases: []\nsource: osv\ndiscovered: 2026-01-10\nstate: resolved\nexploitability: E2\nseverity: S2\nremediated: 2026-01-30\naffects: [CMP-001]\n---\n");
    let run = t.ddf(&[
        "review",
        "--period",
        "2026-01-01..2026-05-31",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(
        v["risk_posture"]["uncontrolled_vulns"]["ids"],
        serde_json::json!(["VULN-001"])
    );
    assert_eq!(
        v["patch_timelines"]["notification_breaches"]["ids"],
        serde_json::json!(["VULN-001"])
    );
    assert_eq!(
        v["patch_timelines"]["remediation_breaches"]["ids"],
        serde_json::json!(["VULN-001"])
    );
    assert_eq!(v["patch_timelines"]["median_days_to_remediation"], 20.0);
    assert_eq!(v["patch_timelines"]["identified"], 2);
    assert_eq!(v["patch_timelines"]["patched"], 1);
    assert_eq!(v["vulnerabilities"]["kev"]["count"], 1);
    assert_eq!(
        v["vulnerabilities"]["monthly"].as_array().map(Vec::len),
        Some(5)
    );
    assert_eq!(
        v["risk_posture"]["components_abandoned"]["ids"],
        serde_json::json!(["CMP-001"])
    );
    assert_eq!(v["source"]["state"], "no-git");
    let bad = t.ddf(&["review", "--period", "2026-05-01..2026-01-01"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--period"), "{}", bad.stderr);
}
