//! `ddf build`: the registers, the change log, the release pages, the home page's coverage figures
//! and release selector, and suspect links on record pages, on small fixtures with hermetic Git.

use crate::harness::{di, un, TestRepo};

fn build(t: &TestRepo) {
    let run = t.ddf(&["build", "-o", "site"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn page(t: &TestRepo, path: &str) -> String {
    t.read(&format!("site/{path}"))
}

/// The page's `<main>` element only (the navigation is shared with other sections).
fn main_of(html: &str) -> String {
    let a = html.find("<main").expect("<main>");
    let b = html.find("</main>").expect("</main>");
    html[a..b + "</main>".len()].to_string()
}

/// Text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed.
fn text(html: &str) -> String {
    let re = regex::Regex::new(r"<[^>]*>").expect("regex");
    let t = re.replace_all(html, " ");
    let t = t
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&");
    t.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" ,", ",")
}

/// The body rows of the first table with class `class`, each as its cells' text.
fn rows(html: &str, class: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("<table class=\"{class}\">"))
        .unwrap_or_else(|| panic!("no table {class}"));
    let rest = &html[start..];
    let body = &rest[rest.find("<tbody>").expect("tbody")..rest.find("</tbody>").expect("/tbody")];
    let cell = regex::Regex::new(r"(?s)<td[^>]*>(.*?)</td>").expect("regex");
    body.split("<tr")
        .skip(1)
        .map(|tr| cell.captures_iter(tr).map(|c| text(&c[1])).collect())
        .collect()
}

fn rec(ty: &str, id: &str, fields: &str) -> String {
    format!("---\nid: {id}\ntype: {ty}\ntitle: {id} title\nstatus: approved\nowner: PER-001\n{fields}---\nBody of {id}.\n")
}

#[test]
fn registers_list_each_record_with_fields_links_and_inverses() {
    let t = TestRepo::with_basics();
    t.write("records/CMP-001.md", &rec("component", "CMP-001", "name: zlib\nversion: 1.3.1\npurl: pkg:github/madler/zlib@v1.3.1\norigin: open-source\nsupport_level: actively-maintained\nsupport_basis: Releases.\nend_of_support: 2030-01-01\nsbom_ref: zlib\nsupplier: [SUP-001]\n"));
    t.write("records/SUP-001.md", &rec("supplier", "SUP-001", "name: Mark Adler\nsupplies: oss-project\napproval: approved\nevaluation: Fine.\nlast_evaluated: 2026-01-01\nnext_reevaluation: 2027-01-01\n"));
    t.write("records/VULN-001.md", &rec("vulnerability", "VULN-001", "vuln_id: CVE-2026-0001\naliases: [GHSA-aaaa]\nsource: osv\ndiscovered: 2026-02-01\nstate: not_affected\njustification: code_not_present\nexploitability: E2\nseverity: S3\ncvss: {version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L', base_score: 7.5}\nkev: false\nremediated: 2026-03-01\naffects: [CMP-001]\nreported_in: [SIG-001]\n"));
    t.write("records/SIG-001.md", &rec("signal", "SIG-001", "kind: cvd-report\nreceived: 2026-01-30\ndevice_id: UDI-1\ndescription: Report.\nreportable: none\n"));
    t.write("records/CAPA-001.md", &rec("capa", "CAPA-001", "kind: corrective\nproblem: P.\nroot_cause: R.\nactions: [Fix]\nopened: 2026-02-02\neffectiveness: Checked.\nsource: [SIG-001]\n"));
    t.write("records/CR-001.md", &rec("change-request", "CR-001", "description: D.\nreason: R.\nimpact: Small.\ncyber_impact: may-impact\ncyber_rationale: TLS.\nregulatory_path: letter-to-file\ntriggered_by: [CAPA-001]\n"));
    t.write("records/ANOM-001.md", &rec("anomaly", "ANOM-001", "description: D.\nfound_in: pentest\ndiscovered: 2026-02-03\ncwe: CWE-200\nsafety_assessment: None.\nsecurity_assessment: Low.\ndecision: fix\naffects: [CMP-001]\nvulnerability: [VULN-001]\n"));
    t.write("records/MR-001.md", &rec("management-review", "MR-001", "date: 2026-03-01\nattendees: [PER-001]\nperiod: 2025\ninputs: {a: x}\noutputs: {a: y}\nactions: [{text: Do it}, {text: And that}]\n"));
    build(&t);
    let cmp = page(&t, "components.html");
    assert_eq!(
        rows(&cmp, "register"),
        [[
            "CMP-001 CMP-001 title",
            "zlib 1.3.1",
            "pkg:github/madler/zlib@v1.3.1",
            "SUP-001",
            "open-source",
            "actively-maintained",
            "2030-01-01",
            "VULN-001 not_affected",
            "approved"
        ]]
    );
    assert!(cmp.contains(r#"<a href="records/VULN-001.html" title="VULN-001 title">VULN-001</a>"#));
    assert_eq!(
        rows(&page(&t, "suppliers.html"), "register"),
        [[
            "SUP-001 SUP-001 title",
            "Mark Adler",
            "oss-project",
            "approved",
            "2026-01-01",
            "2027-01-01",
            "CMP-001",
            "approved"
        ]]
    );
    assert_eq!(
        rows(&page(&t, "vulnerabilities.html"), "register"),
        [[
            "VULN-001 VULN-001 title",
            "CVE-2026-0001 aliases: GHSA-aaaa",
            "S3",
            "7.5 (CVSS 3.1) CVSS:3.1/AV:N/AC:L",
            "E2",
            "not_affected justification: code_not_present",
            "no",
            "CMP-001",
            "discovered 2026-02-01 remediated 2026-03-01",
            "",
            "approved"
        ]]
    );
    assert_eq!(
        rows(&page(&t, "anomalies.html"), "register"),
        [[
            "ANOM-001 ANOM-001 title",
            "pentest",
            "2026-02-03",
            "CWE-200",
            "fix",
            "CMP-001",
            "",
            "",
            "VULN-001",
            "approved"
        ]]
    );
    assert_eq!(
        rows(&page(&t, "signals.html"), "register"),
        [[
            "SIG-001 SIG-001 title",
            "cvd-report",
            "2026-01-30",
            "UDI-1",
            "none",
            "",
            "VULN-001",
            "CAPA-001",
            "approved"
        ]]
    );
    // The CAPA lists the CR it triggered: the computed inverse of CR `triggered_by`.
    assert_eq!(
        rows(&page(&t, "capas.html"), "register"),
        [[
            "CAPA-001 CAPA-001 title",
            "corrective",
            "2026-02-02",
            "",
            "SIG-001",
            "",
            "CR-001 approved",
            "reviewed",
            "approved"
        ]]
    );
    assert_eq!(
        rows(&page(&t, "reviews.html"), "register"),
        [[
            "MR-001 MR-001 title",
            "2026-03-01",
            "2025",
            "PER-001",
            "2",
            "",
            "approved"
        ]]
    );
    let index = rows(&page(&t, "registers.html"), "registers");
    let counts: Vec<(&str, &str)> = index
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(
        counts,
        [
            ("Components", "1"),
            ("Suppliers", "1"),
            ("Vulnerabilities", "1"),
            ("Anomalies", "1"),
            ("Signals", "1"),
            ("CAPAs", "1"),
            ("Management reviews", "1")
        ]
    );
    // Without history, the change log says so and still lists the change requests.
    let changes = page(&t, "changes.html");
    assert!(
        changes.contains("not in a Git repository with commits"),
        "{changes}"
    );
    // Without history the approval is not verified, and the badge says so.
    assert!(text(&changes).contains("CR-001 CR-001 title approval not verified"));
    assert!(text(&changes).contains("Cyber class may-impact TLS."));
}

const REL_FIELDS: &str = "transfer: To production.\noverall_residual_risk: Acceptable.\nrm_review: Done.\ncyber_device: true\nsupport_end: 2030-01-01\nfielded: false\n";

/// A repository with two tagged baselines: v1.0 (UN-001, DI-001), then a change under CR-001
/// (UN-001 retitled, UN-002 added, DI-001 removed) and the release records, tagged v1.1.
fn released_repo() -> TestRepo {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.commit("Initial design");
    t.git(&["tag", "v1.0"]);
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("title: Need UN-001", "title: Bolus on demand"),
    );
    t.write("records/UN-002.md", &un("UN-002"));
    std::fs::remove_file(t.path("records/DI-001.md")).expect("remove");
    t.write("records/CR-001.md", &rec("change-request", "CR-001", "description: D.\nreason: R.\nimpact: Two needs.\ncyber_impact: unlikely-to-impact\ncyber_rationale: No interface.\nregulatory_path: letter-to-file\n"));
    t.commit("Retitle the need\n\nChange-Request: CR-001");
    t.write(
        "records/REL-001.md",
        &rec(
            "release",
            "REL-001",
            &format!("version: 1.0.0\ntag: v1.0\ncommit: v1.0\nsbom: []\n{REL_FIELDS}"),
        ),
    );
    t.write(
        "records/REL-002.md",
        &rec("release", "REL-002", &format!("version: 1.1.0\ntag: v1.1\ncommit: v1.1\nsbom: []\nchanges: [CR-001]\nprior: [REL-001]\n{REL_FIELDS}")),
    );
    t.commit("Release records\n\nChange-Request: CR-001");
    t.git(&["tag", "v1.1"]);
    t.write("src/code.c", "int x;\n");
    t.commit("Code only");
    t
}

#[test]
fn change_log_and_release_pages_show_what_changed_between_releases() {
    let t = released_repo();
    build(&t);
    let changes = page(&t, "changes.html");
    let log = rows(&changes, "changelog");
    let subjects: Vec<String> = log.iter().map(|r| r[2].clone()).collect();
    assert_eq!(
        subjects,
        [
            "Release records Change-Request: CR-001",
            "Retitle the need Change-Request: CR-001",
            // The commit that added ddf.yaml is the adoption point (no change_control_since).
            "Initial design before change control"
        ],
        "commits that touch no record are left out"
    );
    assert!(
        log[0][0].ends_with(" v1.1"),
        "the tag is shown: {:?}",
        log[0]
    );
    assert_eq!(log[0][1], "2026-01-01 00:02:00 UTC Test Author");
    assert_eq!(log[0][3], "added REL-001 added REL-002");
    assert_eq!(
        log[1][3],
        "added CR-001 removed DI-001 modified UN-001 title: Need UN-001 -> Bolus on demand added UN-002"
    );
    assert_eq!(log[1][4], "none", "no approval covers it");
    // Between releases, and the CR with its merges and releases.
    assert_eq!(
        rows(&changes, "release-diffs"),
        [[
            "REL-002 REL-002 title",
            "REL-001",
            "CR-001, REL-001, REL-002, UN-002",
            "UN-001",
            "DI-001"
        ]]
    );
    let cr = text(&changes[changes.find("id=\"CR-001\"").expect("CR section")..]);
    assert!(
        cr.contains("Cyber class unlikely-to-impact No interface."),
        "{cr}"
    );
    assert!(cr.contains("Approvals no signed approval"), "{cr}");
    let merges = &cr[cr.find("Merges").expect("merges")..cr.find("Releases").expect("releases")];
    assert!(
        merges.contains("00:02:00 UTC Release records")
            && merges.contains("00:01:00 UTC Retitle the need"),
        "{merges}"
    );
    assert!(cr.contains("Releases REL-002"), "{cr}");

    let rel = page(&t, "releases/REL-002.html");
    let main = text(&main_of(&rel));
    assert!(
        main.contains("The DDF at this release At ") && main.contains("(tag v1.1),"),
        "{main}"
    );
    assert!(main.contains(": 6 records."), "{main}");
    assert_eq!(
        rows(&rel, "counts"),
        [
            ["User need", "2"],
            ["Change request", "1"],
            ["Release", "2"],
            ["Person", "1"]
        ]
    );
    assert!(
        main.contains(
            "Added (4) CR-001, REL-001, REL-002, UN-002 Modified (1) UN-001 Removed (1) DI-001"
        ),
        "{main}"
    );
    assert!(main.contains("Since REL-001 REL-001 title"), "{main}");
    let first = text(&main_of(&page(&t, "releases/REL-001.html")));
    assert!(first.contains(": 3 records."), "{first}");
    assert!(
        first.contains("No earlier release to compare with."),
        "{first}"
    );
    // The releases page lists the records and the tags, each tag with its release.
    let list = page(&t, "releases.html");
    let tags = rows(&list, "tags");
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0][0], "v1.0");
    assert_eq!(tags[0][4], "REL-001");
    assert_eq!(tags[1][3], "Release records");
    assert_eq!(tags[1][4], "REL-002");
    let rels = rows(&list, "releases");
    assert_eq!(rels[0][0], "REL-002 REL-002 title");
    assert_eq!(rels[0][6], "CR-001");
    // The home page's release selector links the release pages.
    let home = page(&t, "index.html");
    assert!(
        home.contains(r#"<a href="releases/REL-002.html">REL-002</a>"#),
        "{home}"
    );
}

#[test]
fn change_log_snapshot() {
    let t = released_repo();
    build(&t);
    insta::assert_snapshot!("site_changes", main_of(&page(&t, "changes.html")));
}

#[test]
fn record_page_lists_suspect_links_after_the_target_changes() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.commit("Both");
    build(&t);
    assert!(text(&page(&t, "records/DI-001.html"))
        .contains("Suspect links None: no linked record changed"));
    t.write(
        "records/UN-001.md",
        &un("UN-001")
            .replace(
                "The user needs UN-001.",
                "The user needs UN-001 at night too.",
            )
            .replace("title: Need UN-001", "title: Night need"),
    );
    t.commit("Change the need");
    build(&t);
    let html = page(&t, "records/DI-001.html");
    let section = &html[html.find("id=\"suspect-links\"").expect("section")..];
    assert!(
        section.contains(
            r#"<code>traces_to</code> → <a href="../records/UN-001.html">UN-001</a> Night need"#
        ),
        "{section}"
    );
    let s = text(section);
    assert!(s.contains("Change the need"), "{s}");
    assert!(s.contains("title: Need UN-001 -> Night need"), "{s}");
    assert!(s.contains("-The user needs UN-001."), "{s}");
    assert!(s.contains("+The user needs UN-001 at night too."), "{s}");
    // The target itself has no suspect link.
    assert!(text(&page(&t, "records/UN-001.html")).contains("Suspect links None"));
}

#[test]
fn home_coverage_figures_come_from_the_rules() {
    let t = TestRepo::with_basics();
    t.write("ddf.yaml", "project: Test\ndevices: [PUMP-1, PUMP-2]\n");
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.write("records/DI-002.md", &di("DI-002", "UN-001"));
    t.write(
        "records/DI-003.md",
        &di("DI-003", "UN-001").replace("status: draft", "status: obsolete"),
    );
    t.write("records/VER-001.md", &rec("verification", "VER-001", "method: test\nacceptance_criteria: Works.\nresult: pass\nexecuted_on: 2026-01-01\nbaseline: HEAD\nevidence: report.pdf\nverifies: [DI-001]\n"));
    build(&t);
    let home = page(&t, "index.html");
    assert!(text(&home).contains("Devices PUMP-1, PUMP-2"), "{home}");
    let cov = rows(&home, "coverage");
    assert_eq!(
        cov,
        [
            ["Design inputs verified rules: di-verified", "1", "2", "50.0 %", "DI-002"],
            ["Approved user needs validated rules: un-validated", "0", "0", "n/a", "none"],
            ["Hazardous situations controlled rules: hs-controlled", "0", "0", "n/a", "none"],
            [
                "Risk controls verified (implementation and effectiveness) rules: rc-verified",
                "0",
                "0",
                "n/a",
                "none"
            ],
            [
                "Threats controlled (complete chain) rules: threat-disposition, threat-controlled, cyber-chain",
                "0",
                "0",
                "n/a",
                "none"
            ]
        ]
    );
    assert!(home.contains(r#"<a href="records/DI-002.html" title="Input DI-002">DI-002</a>"#));
    assert!(text(&home).contains("No release records yet."));
}

#[test]
fn release_page_shows_the_sbom_and_copies_the_file() {
    let t = TestRepo::example();
    build(&t);
    let rel = page(&t, "releases/REL-002.html");
    assert!(rel.contains(r#"<a href="../downloads/sboms/aip-100-fw-2.1.0.cdx.json" download>"#));
    assert_eq!(
        std::fs::read(t.path("site/downloads/sboms/aip-100-fw-2.1.0.cdx.json")).expect("copy"),
        std::fs::read(t.path("sboms/aip-100-fw-2.1.0.cdx.json")).expect("original")
    );
    let sbom = rows(&rel, "sbom");
    let mbed = sbom
        .iter()
        .find(|r| r[0] == "mbedtls")
        .expect("mbedtls row");
    assert_eq!(
        mbed,
        &[
            "mbedtls",
            "3.5.2",
            "pkg:github/Mbed-TLS/mbedtls@v3.5.2",
            "Mbed TLS project, TrustedFirmware.org",
            "CMP-002",
            "no-longer-maintained",
            "2024-03-28",
            // VULN-001 is a CVE of 3.5.1, fielded in REL-001 only: not in 2.1.0's 3.5.2.
            "VULN-002 not_affected"
        ]
    );
    // Without history (the copy is not a Git repository) the page says why there is no frozen DDF.
    assert!(text(&rel).contains("Without Git history the records at this release cannot be shown."));
}
