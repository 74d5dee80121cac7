//! `ddf build` as an auditor walks it (issue 13): structured fields readable with every id a
//! link, ids named in fields counted as mentions, signatures shown where the decision is, one
//! vulnerability story on every page, and an honest status banner.

use crate::harness::{files_under, un, TestRepo};
use std::collections::BTreeMap;

fn build(t: &TestRepo, out: &str) -> BTreeMap<String, String> {
    let run = t.ddf(&["build", "-o", out]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    files_under(&t.path(out))
        .into_iter()
        .filter(|(rel, _)| rel.ends_with(".html"))
        .map(|(rel, p)| (rel, std::fs::read_to_string(&p).expect("read page")))
        .collect()
}

/// The section of `page` that starts at `from`, up to the next `</section>`.
fn section<'a>(page: &'a str, from: &str) -> &'a str {
    let Some(a) = page.find(from) else {
        return "";
    };
    let rest = &page[a..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[test]
fn structured_fields_are_tables_and_every_id_in_them_links() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/UN-002.md", &un("UN-002"));
    t.write(
        "records/UN-003.md",
        &un("UN-003").replace(
            "source: user\n",
            "source: user\nactions:\n  - { step: 1, action: \"Ask <UN-001> again\", owner: PER-001 }\n  - { step: 2, done: 2024-04-15, owner: PER-404 }\nscore: { version: \"3.1\", by: { who: UN-002 } }\nnote: \"See UN-002 and XY-999.\"\n",
        ),
    );
    let site = build(&t, "out");
    let page = &site["records/UN-003.html"];
    // A list of maps: a table, columns the union of the keys in first-seen order.
    assert!(
        page.contains("<table class=\"nested\">\n<thead><tr><th>step</th><th>action</th><th>owner</th><th>done</th></tr></thead>"),
        "{page}"
    );
    // Ids link at any depth and inside text; text is escaped; unknown ids stay text.
    assert!(
        page.contains("<td>Ask &lt;<a href=\"../records/UN-001.html\">UN-001</a>&gt; again</td><td class=\"nowrap\"><a href=\"../records/PER-001.html\">PER-001</a></td><td></td>"),
        "{page}"
    );
    assert!(page.contains("<td class=\"nowrap\">PER-404</td>"), "{page}");
    // Nested maps: definition lists inside definition lists.
    assert!(
        page.contains("<dl class=\"nested\"><dt>version</dt><dd>3.1</dd><dt>by</dt><dd><dl class=\"nested\"><dt>who</dt><dd><a href=\"../records/UN-002.html\">UN-002</a></dd></dl></dd></dl>"),
        "{page}"
    );
    assert!(
        page.contains("See <a href=\"../records/UN-002.html\">UN-002</a> and XY-999."),
        "{page}"
    );
}

#[test]
fn ids_named_in_fields_are_mentions_and_the_target_lists_who_mentions_it() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/UN-002.md", &un("UN-002"));
    t.write(
        "records/UN-003.md",
        &un("UN-003").replace(
            "source: user\n",
            "source: user\ninputs:\n  a: \"Reviewed UN-001 in depth\"\n",
        ),
    );
    t.write(
        "records/UN-004.md",
        &un("UN-004").replace("The user needs UN-004.", "As UN-002 and UN-001 say."),
    );
    let site = build(&t, "out");
    let from = &site["records/UN-003.html"];
    let here = section(from, "<h3>Mentioned here</h3>");
    assert!(
        here.contains("<a href=\"../records/UN-001.html\">UN-001</a> Need UN-001 <span class=\"field\">in <code>inputs</code></span>"),
        "{from}"
    );
    // The target: who mentions it, by id, and where.
    let target = &site["records/UN-001.html"];
    let by = section(target, "<h3>Mentioned by</h3>");
    let a = by.find("records/UN-003.html").expect("UN-003 listed");
    let b = by.find("records/UN-004.html").expect("UN-004 listed");
    assert!(a < b, "{by}");
    assert!(by.contains("in <code>inputs</code>"), "{by}");
    assert!(by.contains("in its description"), "{by}");
    // A record nobody mentions has no such section; a record does not mention itself.
    assert!(!site["records/UN-004.html"].contains("<h3>Mentioned by</h3>"));
}

#[test]
fn signatures_are_shown_on_the_release_and_the_signers_page_linked_to_the_change_log() {
    use crate::history::{blob, person, sign, ssh_key};
    let mut t = TestRepo::new();
    t.git_init();
    let keys = tempfile::tempdir().expect("keys");
    let (q_key, q_pub) = ssh_key(keys.path(), "quality");
    t.write(
        "records/PER-001.md",
        &person(
            "PER-001",
            "Quinn Quality",
            &q_pub,
            "approval, release, responsibility",
        ),
    );
    t.write(
        "records/REL-001.md",
        "---\nid: REL-001\ntype: release\ntitle: First release\nstatus: approved\nowner: PER-001\nversion: 1.0.0\noverall_residual_risk: Acceptable.\ncyber_device: false\nsupport_end: 2030-01-01\nfielded: false\n---\nThe first release.\n",
    );
    t.commit("Add the release");
    let b = blob(&t, "records/REL-001.md");
    let release_commit = sign(
        &mut t,
        &q_key,
        "Release REL-001",
        &format!("Approves: REL-001@{b}\nSignature-Meaning: release\nSigner: PER-001"),
    );
    let risk_commit = sign(
        &mut t,
        &q_key,
        "Accept the residual risk of REL-001",
        &format!("Approves: REL-001@{b}\nSignature-Meaning: responsibility\nSigner: PER-001"),
    );
    let site = build(&t, "out");
    let release = &site["releases/REL-001.html"];
    let approvals = section(release, "<h2 id=\"approvals\">");
    for commit in [&release_commit, &risk_commit] {
        // The approving commit links its entry in the change log, which has that anchor.
        let link = format!("<a href=\"../changes.html#commit-{commit}\"><code>");
        assert!(approvals.contains(&link), "{link} not in {approvals}");
        assert!(
            site["changes.html"].contains(&format!("<tr id=\"commit-{commit}\"")),
            "{commit} not anchored in the change log"
        );
    }
    // Signer linked to the person page, key fingerprint shown, each meaning stated.
    assert!(
        approvals.contains(
            "<td>Quinn Quality</td><td><a href=\"../records/PER-001.html\">PER-001</a></td>"
        ),
        "{approvals}"
    );
    assert!(
        approvals.contains("<code class=\"fingerprint\">SHA256:"),
        "{approvals}"
    );
    assert!(
        approvals.contains("<td>release</td>") && approvals.contains("<td>responsibility</td>")
    );
    let risk = section(release, "<h2 id=\"residual-risk\">");
    assert!(risk.contains("<p>Acceptable.</p>"), "{risk}");
    assert!(
        risk.contains("Accepted by <span class=\"ok\"><a href=\"../records/PER-001.html\">Quinn Quality</a> (PER-001)"),
        "{risk}"
    );
    assert!(
        risk.contains("meaning responsibility: valid signature"),
        "{risk}"
    );
    // The record page shows the same approvals table.
    let record = &site["records/REL-001.html"];
    assert!(
        record.contains(&format!("changes.html#commit-{risk_commit}")),
        "{record}"
    );
    // The person page lists what they signed, newest first.
    let per = &site["records/PER-001.html"];
    let signed = &per[per.find("<h2 id=\"signed\">").expect("signed section")..];
    let newest = signed
        .find(&risk_commit[..10])
        .expect("risk approval listed");
    let older = signed
        .find(&release_commit[..10])
        .expect("release approval listed");
    assert!(newest < older, "{signed}");
    assert!(
        signed.contains(
            "<td><a href=\"../records/REL-001.html\" title=\"First release\">REL-001</a></td><td>"
        ),
        "{signed}"
    );
}

fn banner(page: &str) -> &str {
    let a = page.find("<span class=\"commit\">").expect("banner");
    let rest = &page[a..];
    &rest[..rest.find("</form>").unwrap_or(rest.len())]
}

#[test]
fn the_banner_says_whether_the_ddf_had_uncommitted_changes() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("status: draft", "status: approved"),
    );
    t.commit("Add a need");
    let site = build(&t, "out");
    assert!(
        banner(&site["index.html"]).contains("(no uncommitted changes)"),
        "{}",
        banner(&site["index.html"])
    );
    // The site written under the root is not a change to the DDF: a rebuild says the same,
    // byte for byte.
    let again = build(&t, "out");
    assert_eq!(site, again);
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("Need UN-001", "Changed"),
    );
    let dirty = build(&t, "out");
    let b = banner(&dirty["records/UN-001.html"]);
    assert!(b.contains("with uncommitted changes"), "{b}");
    assert!(
        dirty["index.html"].contains("uncommitted changes to the DDF's files when built"),
        "{}",
        dirty["index.html"]
    );
    // --rev builds a commit: no working tree to speak of.
    let rev = t.ddf(&["--rev", "HEAD", "build", "-o", "rev"]);
    assert_eq!(rev.code, 0, "{}", rev.stderr);
    let home = std::fs::read_to_string(t.path("rev/index.html")).expect("home");
    assert!(!banner(&home).contains("uncommitted"), "{}", banner(&home));
}

#[test]
fn approved_is_not_shown_as_verified_when_signatures_are_not_checked() {
    let badge_ok = "<span class=\"status s-approved\">approved</span>";
    let badge_unverified =
        "<span class=\"status s-approval-not-verified\">approval not verified</span>";
    let approved = un("UN-001").replace("status: draft", "status: approved");
    // Without Git history.
    let release = "---\nid: REL-001\ntype: release\ntitle: Release 1.0\nstatus: approved\nowner: PER-001\nversion: 1.0.0\nsbom: []\nsupport_end: 2031-12-31\nfielded: false\n---\n";
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &approved);
    t.write("records/REL-001.md", release);
    let site = build(&t, "out");
    // No page shows an approved status as verified: not a badge, not a register's cell.
    for (path, page) in &site {
        assert!(
            !page.contains(badge_ok) && !page.contains("<td>approved</td>"),
            "{path} shows `approved` as verified:\n{page}"
        );
    }
    for register in ["index.html", "releases.html"] {
        assert!(
            row(&site[register], ">REL-001</a>").contains(badge_unverified),
            "{register}: {}",
            site[register]
        );
    }
    let page = &site["records/UN-001.html"];
    assert!(
        page.contains(badge_unverified) && !page.contains(badge_ok),
        "{page}"
    );
    assert!(banner(page).contains("approvals not verified"));
    let home = &site["index.html"];
    assert!(
        home.contains("<span class=\"warning\">not checked</span>: built without Git history"),
        "{home}"
    );
    assert!(site["types/user-need.html"].contains(badge_unverified));
    // With history and status-signed on, the badge is the status (the rule reports the
    // unsigned approval).
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &approved);
    t.commit("Add a need");
    let site = build(&t, "out");
    assert!(site["records/UN-001.html"].contains(badge_ok));
    assert!(site["index.html"].contains("<span class=\"ok\">checked</span>"));
    // status-signed switched off: not verified again, and the home page says why.
    t.write("ddf.yaml", "project: Test\nrules:\n  status-signed: off\n");
    let site = build(&t, "out");
    assert!(site["records/UN-001.html"].contains(badge_unverified));
    assert!(
        site["index.html"].contains("<code>status-signed</code> is off in ddf.yaml"),
        "{}",
        site["index.html"]
    );
}

/// The VULN ids in `html` (a table row or a section), in order.
fn vuln_ids(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r">(VULN-\d+)</a>").expect("regex");
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// The table row of `page` holding `needle`.
fn row<'a>(page: &'a str, needle: &str) -> &'a str {
    let at = page
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in page"));
    let start = page[..at].rfind("<tr").expect("row start");
    let end = at + page[at..].find("</tr>").expect("row end");
    &page[start..end]
}

#[test]
fn one_vulnerability_tells_one_story_on_every_page() {
    // docs-example: VULN-001 is a CVE of Mbed TLS 3.5.1 (fielded in REL-001, firmware 2.0.0);
    // CMP-002 now describes 3.5.2, which REL-002 ships; VULN-002 is fielded in both. VULN-003, a
    // pentest finding of the app fixed in 2.1 (ANOM-003), is fielded in REL-001 only.
    let t = TestRepo::example();
    let site = build(&t, "out");
    let rel2 = &site["releases/REL-002.html"];
    let in_rel2 = section(rel2, "<h2 id=\"vulnerabilities\">");
    assert_eq!(vuln_ids(in_rel2), ["VULN-002"], "{in_rel2}");
    // REL-002's SBOM row of mbedtls 3.5.2: the same answer.
    assert_eq!(vuln_ids(row(rel2, "<td>3.5.2</td>")), ["VULN-002"]);
    // REL-001 shipped 3.5.1: both, in its list and in its SBOM row.
    let rel1 = &site["releases/REL-001.html"];
    assert_eq!(
        vuln_ids(section(rel1, "<h2 id=\"vulnerabilities\">")),
        ["VULN-001", "VULN-002", "VULN-003"]
    );
    assert_eq!(
        vuln_ids(row(rel1, "<td>3.5.1</td>")),
        ["VULN-001", "VULN-002"]
    );
    // The components register lists VULN-001 against CMP-002 only as an earlier version.
    let register = row(&site["components.html"], "<td>mbedtls 3.5.2</td>");
    assert_eq!(vuln_ids(register), ["VULN-002", "VULN-001"], "{register}");
    assert!(
        register.contains("not_affected; an earlier version, in REL-001"),
        "{register}"
    );
    // The security report: current and earlier apart.
    let security = row(&site["security.html"], "<td>mbedtls 3.5.2</td>");
    let earlier = security
        .find("earlier versions:")
        .expect("earlier versions noted");
    assert_eq!(vuln_ids(&security[..earlier]), ["VULN-002"], "{security}");
    assert_eq!(vuln_ids(&security[earlier..]), ["VULN-001"], "{security}");
}

#[test]
fn an_unfielded_vulnerability_of_a_shipped_component_is_in_the_release() {
    // A VULN still in triage names no release; the release whose SBOM lists the component at the
    // record's version has it, in its list and its SBOM row alike.
    let t = TestRepo::with_basics();
    t.write(
        "sboms/fw.cdx.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","bom-ref":"lib","name":"lib","version":"1.0","purl":"pkg:generic/lib@1.0"}]}"#,
    );
    t.write(
        "records/CMP-001.md",
        "---\nid: CMP-001\ntype: component\ntitle: lib 1.0\nstatus: approved\nowner: PER-001\ncyber: true\nname: lib\nversion: \"1.0\"\npurl: pkg:generic/lib@1.0\norigin: open-source\nsupport_level: actively-maintained\nsbom_ref: lib\n---\n",
    );
    t.write(
        "records/REL-001.md",
        "---\nid: REL-001\ntype: release\ntitle: First\nstatus: draft\nowner: PER-001\nversion: 1.0.0\nsbom: [sboms/fw.cdx.json]\ncyber_device: true\nsupport_end: 2030-01-01\nfielded: false\n---\n",
    );
    t.write(
        "records/VULN-001.md",
        "---\nid: VULN-001\ntype: vulnerability\ntitle: A flaw in lib 1.0\nstatus: draft\nowner: PER-001\ncyber: true\nvuln_id: CVE-2026-0001\naliases: []\nsource: osv\ndiscovered: 2026-01-01\nstate: in_triage\nexploitability: E1\nseverity: S1\naffects: [CMP-001]\n---\n",
    );
    let site = build(&t, "out");
    let rel = &site["releases/REL-001.html"];
    assert_eq!(
        vuln_ids(section(rel, "<h2 id=\"vulnerabilities\">")),
        ["VULN-001"],
        "{rel}"
    );
    assert_eq!(vuln_ids(row(rel, "<td>1.0</td>")), ["VULN-001"], "{rel}");
    let register = row(&site["components.html"], "<td>lib 1.0</td>");
    assert_eq!(vuln_ids(register), ["VULN-001"], "{register}");
    assert!(!register.contains("earlier version"), "{register}");
    // The walk from the component reaches the release through the vulnerability, by the same
    // answer.
    let walk = &site["walk/CMP-001.html"];
    assert!(
        walk.contains("VULN-001 affects a component it ships"),
        "{walk}"
    );
}
