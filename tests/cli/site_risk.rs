//! The risk pages of `ddf build`: the index by clause, the risk management file with its heat
//! maps, the security report and the audit trace walks, on a small fixture with known levels and
//! on the example DDF.

use crate::harness::{files_under, md_files, TestRepo};

fn rec(type_name: &str, id: &str, title: &str, fields: &str) -> String {
    format!("---\nid: {id}\ntype: {type_name}\ntitle: {title}\nstatus: draft\nowner: PER-001\n{fields}---\nAbout {id}.\n")
}

/// HAZ-001 -> HS-001 (P3 x S4 = U, residual P1 x S2 = A) and HS-002 (P3 x S4, residual P2 x S4
/// = R, title with a script) -> HARM-001; RC-001 mitigates HS-001, implemented by DO-001 (which
/// satisfies DI-001), verified by VER-001 (implementation) and VER-002 (effectiveness); THR-001
/// leads to the security situation HS-003 (E3 x S4 = U, residual E1 x S4 = C).
fn fixture() -> TestRepo {
    let t = TestRepo::with_basics();
    let w = |id: &str, text: String| {
        t.write(&format!("records/{id}.md"), &text);
    };
    w(
        "HAZ-001",
        rec(
            "hazard",
            "HAZ-001",
            "Over-delivery",
            "description: d\ncategory: energy\n",
        ),
    );
    w(
        "HARM-001",
        rec(
            "harm",
            "HARM-001",
            "Overdose",
            "description: d\nseverity: S4\nrationale: r\n",
        ),
    );
    let hs = |id: &str, title: &str, levels: &str, extra: &str| {
        rec(
            "hazardous-situation",
            id,
            title,
            &format!("sequence_of_events: s\npolicy_rev: A\nhazard: [HAZ-001]\nharms: [HARM-001]\n{levels}{extra}"),
        )
    };
    w("HS-001", hs("HS-001", "Free flow", "assessment: safety\nseverity: S4\nprobability: P3\nresidual_severity: S2\nresidual_probability: P1\n", ""));
    w("HS-002", hs("HS-002", "Bolus <script>alert(1)</script> error", "assessment: safety\nseverity: S4\nprobability: P3\nresidual_severity: S4\nresidual_probability: P2\n", ""));
    w("HS-003", hs("HS-003", "Rogue bolus", "assessment: security\nseverity: S4\nexploitability: E3\nresidual_severity: S4\nresidual_exploitability: E1\n", "threats: [THR-001]\n"));
    w("THR-001", rec("threat", "THR-001", "Rogue central", "asset: therapy\nthreat_source: attacker\nattack_vector: adjacent\nentry_point: BLE\nviews: [global-system]\nexploitability: E3\nresidual_exploitability: E1\ndisposition: patient-harm\n"));
    w("RC-001", rec("risk-control", "RC-001", "Occlusion alarm", "description: d\noption: protective-measure\nkind: safety\nnew_risks: []\nmitigates: [HS-001]\n"));
    w(
        "UN-001",
        rec(
            "user-need",
            "UN-001",
            "Safe",
            "statement: s\nsource: user\n",
        ),
    );
    w(
        "DI-001",
        rec(
            "design-input",
            "DI-001",
            "Alarm",
            "statement: s\ncategory: safety\nacceptance_criteria: a\ntraces_to: [UN-001]\n",
        ),
    );
    w("DO-001", rec("design-output", "DO-001", "Alarm firmware", "description: d\noutput_kind: source\nessential: true\nsatisfies: [DI-001]\nimplements_control: [RC-001]\n"));
    let ver = |id: &str, check: &str| {
        rec(
            "verification",
            id,
            &format!("Check {check}"),
            &format!("method: test\nacceptance_criteria: a\nresult: pass\nexecuted_on: 2026-01-01\nbaseline: abc\nevidence: e\ncontrol_check: {check}\nverifies: [RC-001]\n"),
        )
    };
    w("VER-001", ver("VER-001", "implementation"));
    w("VER-002", ver("VER-002", "effectiveness"));
    t
}

fn build(t: &TestRepo, out: &str) -> std::collections::BTreeMap<String, String> {
    let run = t.ddf(&["build", "-o", out]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    files_under(&t.path(out))
        .into_iter()
        .filter(|(rel, _)| rel.ends_with(".html"))
        .map(|(rel, p)| (rel, std::fs::read_to_string(&p).expect("page")))
        .collect()
}

/// The part of `html` from the element with `id` to the next element of the same class.
fn section<'a>(html: &'a str, id: &str, next: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[start..];
    let end = rest[1..].find(next).map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[test]
fn heat_maps_count_situations_per_cell_and_escape_titles() {
    let t = fixture();
    let site = build(&t, "out");
    let risk = &site["risk.html"];
    let initial = section(risk, "heatmaps", "id=\"controls\"");
    let maps: Vec<&str> = initial.split("<svg").skip(1).collect();
    assert_eq!(maps.len(), 4, "initial and residual, safety and security");
    // Initial safety: HS-001 and HS-002 at P3 x S4 (U); nothing elsewhere.
    assert!(maps[0].contains("data-cell=\"P3-S4\" data-zone=\"U\" data-count=\"2\""));
    assert_eq!(maps[0].matches("data-count=\"0\"").count(), 24);
    // Residual safety: HS-001 at P1 x S2 (A), HS-002 at P2 x S4 (R).
    assert!(maps[1].contains("data-cell=\"P1-S2\" data-zone=\"A\" data-count=\"1\""));
    assert!(maps[1].contains("data-cell=\"P2-S4\" data-zone=\"R\" data-count=\"1\""));
    assert!(maps[1].contains("data-cell=\"P3-S4\" data-zone=\"U\" data-count=\"0\""));
    // Security: HS-003 from E3 x S4 (U) to E1 x S4 (C).
    assert!(maps[2].contains("data-cell=\"E3-S4\" data-zone=\"U\" data-count=\"1\""));
    assert!(maps[3].contains("data-cell=\"E1-S4\" data-zone=\"C\" data-count=\"1\""));
    // The record title is text in the SVG and the table, never markup.
    assert!(!risk.contains("<script"), "unescaped script");
    assert!(maps[0].contains("HS-002 Bolus &lt;script&gt;alert(1)&lt;/script&gt; error"));
    assert!(maps[0].contains("<a href=\"records/HS-001.html\">"));
    // Hazard analysis: the residual R of HS-002 has no benefit-risk analysis.
    let analysis = section(risk, "analysis", "id=\"heatmaps\"");
    assert!(analysis.contains("NOT ACCEPTABLE: no benefit-risk analysis"));
    // RC-001 is implemented and verified both ways: no gap in its row.
    let controls = section(risk, "controls", "id=\"benefit-risk\"");
    assert!(controls.contains("records/DO-001.html"));
    assert!(controls.contains("records/VER-001.html\">VER-001</a> pass"));
    assert!(controls.contains("records/VER-002.html\">VER-002</a> pass"));
    assert!(!controls.contains("GAP"), "{controls}");
}

#[test]
fn walk_lists_each_hop_of_a_known_chain() {
    let t = fixture();
    let site = build(&t, "out");
    for id in ["HAZ-001", "HS-001", "HS-002", "HS-003", "THR-001"] {
        assert!(
            site.contains_key(&format!("walk/{id}.html")),
            "no walk for {id}"
        );
        assert!(
            site[&format!("records/{id}.html")].contains(&format!("href=\"../walk/{id}.html\"")),
            "record page of {id} does not link its walk"
        );
    }
    assert!(!site.contains_key("walk/RC-001.html"));
    assert!(!site["records/RC-001.html"].contains("/walk/"));
    let walk = &site["walk/HAZ-001.html"];
    let hop = |step: usize| section(walk, &format!("step-{step}"), "class=\"walk-step");
    let titles: Vec<&str> = (1..=11)
        .map(|n| {
            let s = hop(n);
            let a = s.find("</span> ").expect("title") + 8;
            &s[a..a + s[a..].find(" <small>").expect("clause")]
        })
        .collect();
    assert_eq!(
        titles,
        [
            "Threats",
            "Hazards",
            "Hazardous situations (initial risk)",
            "Harms",
            "Risk controls (option, kind)",
            "Implementing design inputs and outputs",
            "Verification of implementation and effectiveness",
            "Residual risk and benefit-risk",
            "Releases that contain it",
            "Signals and vulnerabilities",
            "CAPA and change requests",
        ]
    );
    let ids = |s: &str| -> Vec<String> {
        let re =
            regex::Regex::new(r#"<p class="hop-head"><a href="../records/([A-Z]+-[0-9]+)\.html""#)
                .expect("regex");
        re.captures_iter(s).map(|c| c[1].to_string()).collect()
    };
    assert_eq!(ids(hop(1)), ["THR-001"]);
    assert_eq!(ids(hop(2)), ["HAZ-001"]);
    assert_eq!(ids(hop(3)), ["HS-001", "HS-002", "HS-003"]);
    assert!(hop(3).contains("U (P3 x S4), not acceptable"));
    assert_eq!(ids(hop(4)), ["HARM-001"]);
    assert_eq!(ids(hop(5)), ["RC-001"]);
    assert!(hop(5).contains("mitigates HS-001"));
    assert_eq!(ids(hop(6)), ["DO-001"]);
    assert_eq!(ids(hop(7)), ["VER-001", "VER-002"]);
    assert!(hop(8).contains("A (P1 x S2), acceptable"));
    assert!(hop(8).contains("R (P2 x S4), not acceptable"));
    // The threat's own walk needs a security control it does not have: a gap.
    let thr = &site["walk/THR-001.html"];
    assert!(
        thr.contains("class=\"walk-step empty gap\" id=\"step-"),
        "{thr}"
    );
}

/// The record ids at the head of each hop of a walk section.
fn hop_ids(s: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"<p class="hop-head"><a href="../records/([A-Z]+-[0-9]+)\.html""#)
        .expect("regex");
    re.captures_iter(s).map(|c| c[1].to_string()).collect()
}

/// The step of a walk page whose title is `title`, up to the next step.
fn step<'a>(walk: &'a str, title: &str) -> &'a str {
    let at = walk
        .find(&format!("</span> {title} <small>"))
        .unwrap_or_else(|| panic!("no step {title}: {walk}"));
    let start = walk[..at].rfind("<li class=\"walk-step").unwrap_or(at);
    let rest = &walk[at..];
    &walk[start..at + rest.find("<li class=\"walk-step").unwrap_or(rest.len())]
}

/// Issue 13 item 4: a component's walk follows `uses` (DO -> CMP) to the design outputs, on to
/// the inputs they satisfy, the controls they implement and the verifications; an empty hop is
/// one line marked as a gap, never a list of "none".
#[test]
fn a_component_walk_follows_uses_to_outputs_inputs_controls_and_verifications() {
    let t = fixture();
    t.write(
        "records/CMP-001.md",
        &rec(
            "component",
            "CMP-001",
            "BLE stack",
            "name: ble\nversion: 1.0.0\norigin: third-party\n",
        ),
    );
    t.write(
        "records/CMP-002.md",
        &rec("component", "CMP-002", "Unused", "name: x\nversion: 1\n"),
    );
    t.write("records/DO-001.md", &rec("design-output", "DO-001", "Alarm firmware", "description: d\noutput_kind: source\nessential: true\nsatisfies: [DI-001]\nimplements_control: [RC-001]\nuses: [CMP-001]\n"));
    let site = build(&t, "out");
    let walk = &site["walk/CMP-001.html"];
    let outputs = step(walk, "Design outputs using it");
    assert_eq!(hop_ids(outputs), ["DO-001"], "{walk}");
    assert!(outputs.contains("uses CMP-001"), "{outputs}");
    assert_eq!(
        hop_ids(step(walk, "Design inputs they satisfy")),
        ["DI-001"]
    );
    assert!(step(walk, "Design inputs they satisfy").contains("named by DO-001 in satisfies"));
    assert_eq!(
        hop_ids(step(walk, "Risk controls (option, kind)")),
        ["RC-001"]
    );
    assert_eq!(
        hop_ids(step(
            walk,
            "Verification of implementation and effectiveness"
        )),
        ["VER-001", "VER-002"]
    );
    // No "none": each empty hop is one line saying it is a gap.
    assert!(!walk.contains("class=\"none\""), "{walk}");
    let threats = step(walk, "Threats");
    assert!(threats.contains("class=\"walk-step empty\""), "{threats}");
    assert!(threats.contains("gap: nothing recorded"), "{threats}");
    // A component no design output uses: that hop is a gap the chain needs.
    let unused = &site["walk/CMP-002.html"];
    let hop = step(unused, "Design outputs using it");
    assert!(hop.contains("class=\"walk-step empty gap\""), "{hop}");
    assert!(
        hop.contains("<strong class=\"error\">GAP</strong>"),
        "{hop}"
    );
}

/// Issue 13 item 4: a walk from one threat lists that threat, not every threat its hazardous
/// situations name.
#[test]
fn a_threat_walk_lists_that_threat_only() {
    let t = fixture();
    t.write("records/THR-002.md", &rec("threat", "THR-002", "Replay", "asset: therapy\nthreat_source: attacker\nattack_vector: adjacent\nentry_point: BLE\nviews: [global-system]\nexploitability: E2\nresidual_exploitability: E1\ndisposition: patient-harm\n"));
    let hs3 = std::fs::read_to_string(t.path("records/HS-003.md")).expect("HS-003");
    t.write(
        "records/HS-003.md",
        &hs3.replace("threats: [THR-001]", "threats: [THR-001, THR-002]"),
    );
    let site = build(&t, "out");
    let thr = &site["walk/THR-001.html"];
    assert_eq!(hop_ids(step(thr, "Threats")), ["THR-001"], "{thr}");
    // The situation still names both; the hazard's walk lists both threats.
    assert_eq!(
        hop_ids(step(&site["walk/HAZ-001.html"], "Threats")),
        ["THR-001", "THR-002"]
    );
}

#[test]
fn clauses_page_links_records_under_the_clauses_they_serve() {
    let t = fixture();
    let site = build(&t, "out");
    let page = &site["clauses.html"];
    let clause = |id: &str| section(page, id, "<section class=\"clause\"");
    // Design outputs serve ISO 13485 7.3.4 (schema) and not 7.3.6.
    assert!(clause("iso-13485-7-3-4").contains("href=\"records/DO-001.html\""));
    assert!(!clause("iso-13485-7-3-6").contains("records/DO-001.html"));
    assert!(clause("iso-13485-7-3-6").contains("href=\"records/VER-001.html\""));
    // ISO 14971 clause 7: controls (schema 7.1-7.6) and their verifications (catalogue:
    // control_check), with the rules that check it.
    let c7 = clause("iso-14971-7");
    assert!(c7.contains("href=\"records/RC-001.html\""));
    assert!(c7.contains("with control_check: implementation, effectiveness"));
    assert!(c7.contains("<code>rc-verified</code>"));
    // Harms serve risk analysis by the catalogue, not the schema.
    assert!(clause("iso-14971-5").contains("href=\"records/HARM-001.html\""));
    assert!(clause("fda-cybersecurity-guidance-v-a").contains("href=\"records/THR-001.html\""));
}

#[test]
fn example_has_risk_pages_and_a_walk_for_every_entry_record() {
    let mut t = TestRepo::example();
    t.git_init();
    t.commit("example");
    let site = build(&t, "out");
    let mut walks = 0;
    for e in md_files(&t.path("records")) {
        let text = std::fs::read_to_string(&e).expect("read");
        let Some(id) = text
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .map(str::trim)
        else {
            continue;
        };
        if ["HAZ-", "HS-", "THR-", "CMP-"]
            .iter()
            .any(|p| id.starts_with(p))
        {
            assert!(
                site.contains_key(&format!("walk/{id}.html")),
                "no walk for {id}"
            );
            walks += 1;
        }
    }
    assert_eq!(walks, 7 + 13 + 9 + 8);
    // A committed example: hops show their revision.
    assert!(site["walk/HS-006.html"].contains("revision <code>"));
    // HS-006 is in the reduce-as-far-as-possible zone, accepted by its benefit-risk analysis,
    // under the matrices of the approved plan DOC-002.
    let risk = &site["risk.html"];
    assert!(risk.contains("reduce as far as possible; benefit-risk: DOC-014"));
    assert!(risk.contains("from DOC-002 (risk_policy revision C)</figcaption>"));
    assert!(site["walk/HS-006.html"].contains("../records/DOC-014.html"));
    // HAZ-001's trace tree names the people and documents of each record, not every document a
    // person owns (PER-002 owns DOC-003 to DOC-011).
    let haz = &site["records/HAZ-001.html"];
    let per = &haz[haz.find("<h3>Downstream").expect("tree")..];
    let per = &per[per
        .find("records/PER-002.html\">PER-002</a> Marcus")
        .expect("PER-002")..];
    let per = &per[..per.find("</li>").expect("li")];
    assert!(
        per.contains("<code>owner</code> <a href=\"../records/PER-001.html\""),
        "{per}"
    );
    assert!(!per.contains("DOC-004"), "{per}");
    // The management review is found under 5.6 and the security report lists every threat.
    assert!(section(
        &site["clauses.html"],
        "iso-13485-5-6",
        "<section class=\"clause\""
    )
    .contains("records/MR-001.html"));
    for n in 1..=9 {
        assert!(site["security.html"].contains(&format!("records/THR-{n:03}.html")));
    }
    for nav in ["clauses.html", "risk.html", "security.html"] {
        assert!(site["index.html"].contains(&format!("href=\"{nav}\"")));
    }
}

#[test]
fn risk_file_snapshot() {
    let t = fixture();
    let site = build(&t, "out");
    let page = site["risk.html"].replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!("site_risk_file", page);
}

#[test]
fn empty_ddf_builds_empty_risk_pages() {
    let t = TestRepo::with_basics();
    let site = build(&t, "out");
    assert!(site["risk.html"].contains("No hazardous situations recorded."));
    assert!(site["security.html"].contains("No threats recorded."));
    // Every clause is served by a type of the built-in schema, none has records yet.
    assert!(!site["clauses.html"].contains("No record type serves this clause."));
    assert!(site["clauses.html"].contains("no records of this type yet"));
    assert!(!site.keys().any(|k| k.starts_with("walk/")));
}

/// Issue 13 item 6: the zone letters are defined on the risk file; a residual severity below
/// the initial one has a rationale column (or says none is written); the trace matrix shows
/// titles; a failed verification is highlighted; a trace tree names documents and people.
#[test]
fn risk_file_defines_zones_and_shows_rationale_and_pages_name_what_an_auditor_needs() {
    let t = fixture();
    t.write(
        "records/DOC-001.md",
        &rec(
            "document",
            "DOC-001",
            "Hazard analysis notes",
            "doc_type: other\nabout: [HS-001]\n",
        ),
    );
    t.write(
        "records/DOC-002.md",
        &rec(
            "document",
            "DOC-002",
            "Benefit-risk",
            "doc_type: benefit-risk\n",
        ),
    );
    let hs1 = std::fs::read_to_string(t.path("records/HS-001.md")).expect("HS-001");
    t.write(
        "records/HS-001.md",
        &hs1.replace(
            "policy_rev: A\n",
            "policy_rev: A\nbenefit_risk: [DOC-002]\n",
        ),
    );
    t.write("records/VER-003.md", &rec("verification", "VER-003", "Check again", "method: test\nacceptance_criteria: a\nresult: fail\nexecuted_on: 2026-01-01\nbaseline: abc\nevidence: e\ncontrol_check: implementation\nverifies: [RC-001]\n"));
    let site = build(&t, "out");
    let risk = &site["risk.html"];
    let legend = section(risk, "zones", "</dl>");
    for (zone, meaning) in [
        ("R", "reduce as far as possible"),
        ("C", "controlled: the security risk is acceptable"),
        ("U", "unacceptable"),
        ("A", "acceptable"),
    ] {
        assert!(
            legend.contains(&format!("{zone}</span>")) && legend.contains(meaning),
            "{zone}: {legend}"
        );
    }
    // HS-001 goes from S4 to S2 with no rationale written: the column says so.
    assert!(risk.contains("<th>Residual severity rationale</th>"));
    assert!(risk.contains("<td class=\"rationale warning\"><span class=\"meta\">severity S4 → S2:</span> <strong>no <code>residual_rationale</code> says why</strong></td>"), "{risk}");
    let trace = &site["trace.html"];
    assert!(
        trace.contains(
            "<a href=\"records/DI-001.html\">DI-001</a> <span class=\"title\">Alarm</span>"
        ),
        "{trace}"
    );
    assert!(site["records/VER-003.html"].contains("<td class=\"result-fail\">fail</td>"));
    assert!(site["records/VER-001.html"].contains("<td class=\"result-pass\">pass</td>"));
    // HAZ-001's downstream tree: HS-001 with its owner and the document about it.
    let haz = &site["records/HAZ-001.html"];
    let down = &haz[haz.find("<h3>Downstream").expect("downstream")..];
    let hs = &down[down.find("records/HS-001.html").expect("HS-001")..];
    let hs = &hs[..hs.find("</li>").expect("li")];
    assert!(
        hs.contains(
            "<span class=\"related\"><code>owner</code> <a href=\"../records/PER-001.html\""
        ),
        "{hs}"
    );
    assert!(
        hs.contains("<span class=\"related\"><code>benefit_risk</code> <a href=\"../records/DOC-002.html\" title=\"Benefit-risk\">DOC-002</a></span>"),
        "{hs}"
    );
    // A document `about` a record is on its trace (a trace link) and there too.
    assert!(
        down.contains("records/DOC-001.html\">DOC-001</a> Hazard analysis notes"),
        "{down}"
    );

    // With the rationale written, it is shown.
    let hs1 = std::fs::read_to_string(t.path("records/HS-001.md")).expect("HS-001");
    t.write(
        "records/HS-001.md",
        &hs1.replace(
            "policy_rev: A\n",
            "policy_rev: A\nresidual_rationale: The alarm stops the pump before harm.\n",
        ),
    );
    let site = build(&t, "out");
    assert!(site["risk.html"].contains("<td class=\"rationale\"><span class=\"meta\">severity S4 → S2:</span> The alarm stops the pump before harm.</td>"));
}

/// Issue 13 item 8: every page prints a header and footer naming the document, its id and
/// revision and the build date (`@page` margin boxes, values escaped as CSS strings), and a
/// the newest release has a print view holding its DDF in one document, linked from its page.
#[test]
fn pages_print_as_controlled_documents_and_a_release_has_a_print_view() {
    let t = fixture();
    t.write(
        "records/REL-001.md",
        &rec(
            "release",
            "REL-001",
            "Firmware \"1.0\" </style>",
            "version: 1.0.0\n",
        ),
    );
    // REL-010 is newer than REL-009 (by number, not by text); only the newest gets a view.
    for id in ["REL-009", "REL-010"] {
        t.write(
            &format!("records/{id}.md"),
            &rec("release", id, "Firmware", "version: 2.0.0\n"),
        );
    }
    let site = build(&t, "out");
    for id in ["REL-001", "REL-009"] {
        assert!(
            !site.contains_key(&format!("releases/{id}-print.html")),
            "{id}"
        );
        assert!(
            !site[&format!("releases/{id}.html")].contains("-print.html"),
            "{id}"
        );
    }
    assert!(site["releases/REL-010.html"].contains("href=\"../releases/REL-010-print.html\""));
    let haz = &site["records/HAZ-001.html"];
    assert!(
        haz.contains("<style media=\"print\">@page { @top-left { content: \"Over-delivery\"; } @top-right { content: \"HAZ-001\" \" · rev \" \"working tree\"; } @bottom-left { content: \"Built \" \"2026-06-01\" \" from \" \"working tree\" \" by \" \"ddf "),
        "{haz}"
    );
    let release = &site["releases/REL-001.html"];
    // A title cannot end the CSS string or the style element.
    assert!(
        release.contains("content: \"REL-001\" \" \" \"Firmware \\22 1.0\\22  \\3c /style\\3e \";"),
        "{release}"
    );
    let print = &site["releases/REL-010-print.html"];
    for part in ["part-release", "part-risk", "part-trace", "part-security"] {
        assert!(
            print.contains(&format!("<section class=\"print-part\" id=\"{part}\"")),
            "{part}"
        );
    }
    // The parts' links work from releases/.
    assert!(
        print.contains("<a href=\"../records/HS-001.html\">HS-001</a>"),
        "{print}"
    );
    assert!(
        !print.contains("<a href=\"records/"),
        "a link not rewritten"
    );
    assert!(print.contains("Software bill of materials"));
}
