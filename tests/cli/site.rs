//! `ddf build`: the static site of the example DDF and of small fixtures: a page per record,
//! internal links that resolve, nothing fetched from elsewhere, inert record HTML, byte-identical
//! rebuilds, template overrides.

use crate::harness::{di, files_under, md_files, un, TestRepo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `dir`, by `/`-separated relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|(rel, p)| (rel, std::fs::read(&p).expect("read file")))
        .collect()
}

fn build(t: &TestRepo, out: &str) -> BTreeMap<String, Vec<u8>> {
    let run = t.ddf(&["build", "-o", out]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    files(&t.path(out))
}

/// The ids of the record files under `records/`.
fn record_ids(root: &Path) -> Vec<String> {
    let re = regex::Regex::new(r"(?m)^id:\s*(\S+)\s*$").expect("regex");
    let mut ids: Vec<String> = md_files(&root.join("records"))
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).expect("read");
            re.captures(&text).map(|c| c[1].to_string())
        })
        .collect();
    ids.sort();
    ids
}

fn links(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?:href|src)\s*=\s*"([^"]*)""#).expect("regex");
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// The page without the record body, which may hold links its author wrote.
fn outside_body(html: &str) -> String {
    match (
        html.find("<div class=\"body\">"),
        html.find("<h2>Links</h2>"),
    ) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &html[..a], &html[b..]),
        _ => html.to_string(),
    }
}

fn resolve(page: &str, href: &str) -> PathBuf {
    let target = href.split('#').next().unwrap_or("");
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            s => parts.push(s),
        }
    }
    PathBuf::from(parts.join("/"))
}

#[test]
fn example_site_has_every_record_and_its_links_resolve() {
    let mut t = TestRepo::example();
    t.git_init();
    t.commit("example");
    let site = build(&t, "out");
    for id in record_ids(&t.root) {
        assert!(
            site.contains_key(&format!("records/{id}.html")),
            "no page for {id}"
        );
    }
    for page in [
        "index.html",
        "check.html",
        "trace.html",
        "trace-user-need.csv",
        "style.css",
        "types/design-input.html",
        "types/software-item.html",
        "types/anomaly.html",
    ] {
        assert!(site.contains_key(page), "no {page}");
    }
    let mut checked = 0;
    for (path, bytes) in site.iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = String::from_utf8(bytes.clone()).expect("utf-8 page");
        for href in links(&outside_body(&html)) {
            assert!(
                !href.contains("://") && !href.starts_with("//"),
                "{path}: link to elsewhere outside a record body: {href}"
            );
            // `data:,` is the empty icon that spares browsers a request for /favicon.ico.
            if href.starts_with('#') || href.starts_with("mailto:") || href == "data:," {
                continue;
            }
            let target = resolve(path, &href);
            assert!(
                site.contains_key(&target.to_string_lossy().to_string()),
                "{path}: broken link {href}"
            );
            checked += 1;
        }
        // Body links the site adds are internal too.
        for href in links(&html)
            .iter()
            .filter(|h| h.ends_with(".html") && !h.contains("://"))
        {
            assert!(
                site.contains_key(&resolve(path, href).to_string_lossy().to_string()),
                "{path}: broken link {href}"
            );
        }
    }
    assert!(checked > 1000, "only {checked} links checked");
    let css = String::from_utf8(site["style.css"].clone()).expect("css");
    assert!(css.contains("@media print"));
    assert!(!css.contains("url("), "the stylesheet fetches nothing");
    // The page of a committed record shows its revision history.
    let di = String::from_utf8(site["records/DI-001.html"].clone()).expect("page");
    assert!(di.contains("Revision history"), "{di}");
    assert!(di.contains(">example<"), "commit subject shown");
    let csv = String::from_utf8(site["trace-user-need.csv"].clone()).expect("csv");
    assert!(csv.starts_with("user-need,design-input,design-output,verification,validation,gaps\n"));
}

#[test]
fn two_builds_are_byte_identical() {
    let mut t = TestRepo::example();
    t.git_init();
    t.commit("example");
    let a = build(&t, "a");
    let b = build(&t, "b");
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(b[k] == *v, "{k} differs between builds");
    }
}

#[test]
fn record_html_is_rendered_inert() {
    let t = TestRepo::with_basics();
    t.write(
        "records/UN-001.md",
        "---\nid: UN-001\ntype: user-need\ntitle: Evil <b>title</b>\nstatus: draft\nowner: PER-001\nsource: user\n---\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<a href=\"javascript:alert(2)\" onclick=\"alert(3)\">y</a>\n\n<iframe src=\"https://evil.example\"></iframe>\n",
    );
    let site = build(&t, "out");
    let page = String::from_utf8(site["records/UN-001.html"].clone())
        .expect("page")
        .to_lowercase();
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("onerror"), "{page}");
    assert!(!page.contains("onclick"), "{page}");
    assert!(!page.contains("javascript:"), "{page}");
    assert!(!page.contains("<iframe"), "{page}");
    assert!(
        page.contains("evil &lt;b&gt;title&lt;/b&gt;"),
        "title escaped: {page}"
    );
}

#[test]
fn small_record_page_snapshot() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write(
        "records/DI-001.md",
        "---\nid: DI-001\ntype: design-input\ntitle: Input DI-001\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: Works.\ntraces_to: [UN-001]\n---\nDerived from UN-001; see `UN-001` in code.\n\n| a | b |\n|---|---|\n| ~~x~~ | y |\n",
    );
    let site = build(&t, "out");
    let page = String::from_utf8(site["records/DI-001.html"].clone())
        .expect("page")
        .replace(env!("CARGO_PKG_VERSION"), "[version]");
    insta::assert_snapshot!("site_record_page", page);
}

#[test]
fn templates_override_file_by_file() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.write("templates/site/style.css", "body { color: black }\n");
    t.write(
        "templates/site/type.html",
        "{% extends \"site/base.html\" %}{% block content %}<p>custom {{ type.name }}: {{ records | length }}</p>{% endblock content %}",
    );
    let site = build(&t, "out");
    assert_eq!(site["style.css"], b"body { color: black }\n");
    let page = String::from_utf8(site["types/design-input.html"].clone()).expect("page");
    assert!(page.contains("<p>custom design-input: 1</p>"), "{page}");
    // The other templates are still the built-in ones.
    let home = String::from_utf8(site["index.html"].clone()).expect("page");
    assert!(home.contains("Records by type"), "{home}");
}

#[test]
fn refuses_a_folder_it_did_not_write() {
    let t = TestRepo::with_basics();
    t.write("mine/notes.txt", "keep me");
    let run = t.ddf(&["build", "-o", "mine"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not written by `ddf build`"),
        "{}",
        run.stderr
    );
    assert_eq!(t.read("mine/notes.txt"), "keep me");
    // The default folder is `site/` under the DDF root, and a rebuild replaces it.
    assert_eq!(t.ddf(&["build"]).code, 0);
    assert!(t.path("site/index.html").is_file());
    assert_eq!(t.ddf(&["build"]).code, 0);
}

#[test]
fn record_page_shows_revisions_and_signed_approvals() {
    use crate::history::{blob, person, sign, ssh_key};
    let mut t = TestRepo::new();
    t.git_init();
    let keys = tempfile::tempdir().expect("keys");
    let (q_key, q_pub) = ssh_key(keys.path(), "quality");
    t.write(
        "records/PER-001.md",
        &person("PER-001", "Quinn Quality", &q_pub, "approval"),
    );
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("status: draft", "status: approved"),
    );
    t.commit("Add the first user need");
    let b = blob(&t, "records/UN-001.md");
    sign(
        &mut t,
        &q_key,
        "Approve UN-001",
        &format!("Approves: UN-001@{b}\nSignature-Meaning: approval\nSigner: PER-001"),
    );
    let site = build(&t, "out");
    let page = String::from_utf8(site["records/UN-001.html"].clone()).expect("page");
    // The Part 11 manifestation: printed name, date and time, meaning, signature status.
    for want in [
        "<td>Quinn Quality</td><td><a href=\"../records/PER-001.html\">PER-001</a></td><td>2026-01-01 ",
        "UTC</td><td>approval</td><td>valid signature</td>",
        "Add the first user need",
        "<td>added</td>",
    ] {
        assert!(page.contains(want), "{want} not in\n{page}");
    }
}

#[test]
fn rev_builds_the_site_as_of_a_commit() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    let first = t.commit("First");
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("Need UN-001", "Renamed need"),
    );
    let run = t.ddf(&["--rev", &first, "build", "-o", "old"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = t.read("old/records/UN-001.html");
    assert!(page.contains("Need UN-001"), "{page}");
    assert!(page.contains(&first), "built-from commit shown: {page}");
    assert!(
        page.contains(&format!(
            "built from <code title=\"{first}\">{}</code>",
            &first[..10]
        )),
        "{page}"
    );
    let now = build(&t, "now");
    let page = String::from_utf8(now["records/UN-001.html"].clone()).expect("page");
    assert!(page.contains("Renamed need"), "{page}");
    assert!(
        page.contains("built from <code title=\"worktree\">working tree (HEAD "),
        "{page}"
    );
}

#[test]
fn context_of_a_page_for_template_authors() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    let run = t.ddf(&["build", "--context", "records/DI-001.html"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["record"]["id"], "DI-001");
    assert_eq!(v["site"]["root"], "../");
    assert_eq!(v["links_out"][1]["record"]["href"], "records/UN-001.html");
    assert!(!t.path("site").exists(), "--context writes nothing");
    let home = t.ddf(&["build", "--context", "index.html"]).json();
    assert_eq!(home["records"], 3);
    let bad = t.ddf(&["build", "--context", "../etc/passwd"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn gaps_are_highlighted_and_rule_status_is_on_the_home_page() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    let site = build(&t, "out");
    let trace = String::from_utf8(site["trace.html"].clone()).expect("page");
    assert!(
        trace.contains("<td class=\"gap\"><strong>GAP</strong></td>"),
        "{trace}"
    );
    assert!(
        trace.contains("1 row, <span class=\"error\">1 with gaps</span>"),
        "{trace}"
    );
    let csv = String::from_utf8(site["trace-user-need.csv"].clone()).expect("csv");
    assert_eq!(
        csv,
        "user-need,design-input,design-output,verification,validation,gaps\nUN-001,DI-001,,,,design-output;verification;validation\n"
    );
    let home = String::from_utf8(site["index.html"].clone()).expect("page");
    assert!(
        home.contains("<span class=\"error\">check fails</span>"),
        "{home}"
    );
    assert!(
        home.contains("<a href=\"check/di-verified.html\"><code>di-verified</code></a>"),
        "{home}"
    );
    let check = String::from_utf8(site["check.html"].clone()).expect("page");
    assert!(
        check.contains("<a href=\"records/DI-001.html\">DI-001</a>"),
        "{check}"
    );
    // Each rule with findings has a page of them, linked from the report.
    assert!(
        check.contains("<a href=\"check/di-verified.html\"><code>di-verified</code></a>"),
        "{check}"
    );
    let rule = String::from_utf8(site["check/di-verified.html"].clone()).expect("page");
    assert!(
        rule.contains("<a href=\"../records/DI-001.html\">DI-001</a>"),
        "{rule}"
    );
    assert!(
        rule.contains("<a href=\"../check.html\">Check report</a>"),
        "{rule}"
    );
    // Only this rule's findings, of which the report has others too.
    let report = t.ddf(&["check", "--format", "json"]).json();
    let rules: Vec<&str> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["rule"].as_str())
        .collect();
    assert!(rules.iter().any(|r| *r != "di-verified"), "{rules:?}");
    let ours = rules.iter().filter(|r| **r == "di-verified").count();
    assert_eq!(rule.matches("<tr class=").count(), ours, "{rule}");
}

/// A report of more findings than one page should hold lists them on the rules' pages only.
#[test]
fn many_findings_are_listed_per_rule() {
    let t = TestRepo::with_basics();
    for k in 1..=1001 {
        let id = format!("UN-{k:04}");
        t.write(
            &format!("records/{id}.md"),
            &un(&id).replace("source: user", "source: user\nshade: blue"),
        );
    }
    let site = build(&t, "out");
    let check = String::from_utf8(site["check.html"].clone()).expect("page");
    assert!(
        check.contains("findings are too many for one page"),
        "{}",
        &check[..check.len().min(4000)]
    );
    assert!(!check.contains("records/UN-0001.html"), "not listed here");
    let unknown = String::from_utf8(site["check/unknown-field.html"].clone()).expect("page");
    assert_eq!(unknown.matches("<tr class=\"warning\">").count(), 1001);
    assert!(unknown.contains("<a href=\"../records/UN-1001.html\">UN-1001</a>"));
}

#[test]
fn malformed_ids_get_no_page_and_nothing_leaves_the_output_folder() {
    let t = TestRepo::with_basics();
    t.write(
        "records/evil.md",
        "---\nid: ../../escaped\ntype: user-need\ntitle: Evil\nstatus: draft\nowner: PER-001\nsource: user\n---\nBody.\n",
    );
    t.write("records/UN-001.md", &un("UN-001"));
    let site = build(&t, "out/site");
    assert!(!t.path("escaped.html").exists() && !t.path("out/escaped.html").exists());
    assert!(
        site.keys().all(|k| !k.contains("escaped")),
        "{:?}",
        site.keys()
    );
    assert!(site.contains_key("records/UN-001.html"));
    // The check report still lists the record's finding.
    let check = String::from_utf8(site["check.html"].clone()).expect("page");
    assert!(check.contains("id-format"), "{check}");
}

#[test]
fn hub_record_pages_fold_long_trees_and_link_ids_in_fields() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    for k in 1..=260 {
        let id = format!("DI-{k:03}");
        t.write(&format!("records/{id}.md"), &di(&id, "UN-001"));
    }
    let site = build(&t, "out");
    let hub = String::from_utf8(site["records/UN-001.html"].clone()).expect("page");
    assert!(hub.contains("<h3>Downstream (260)</h3>"), "{hub}");
    assert_eq!(hub.matches("<li class=\"depth-").count(), 250, "{hub}");
    assert!(hub.contains("… and 10 more; the <a href=\"../trace.html\">trace matrix</a>"));
    let leaf = String::from_utf8(site["records/DI-007.html"].clone()).expect("page");
    assert!(
        leaf.contains("<tr><th>traces_to</th><td><a href=\"../records/UN-001.html\""),
        "{leaf}"
    );
    assert!(leaf.contains("<a href=\"../types/design-input.html\">Design input</a>"));
    // The trace matrix names the start record on its first row and mutes it on the rows below.
    let trace = String::from_utf8(site["trace.html"].clone()).expect("page");
    assert!(trace.contains("<h2>From User need</h2>"), "{trace}");
    assert_eq!(
        trace
            .matches("<tr><td><a href=\"records/UN-001.html\"")
            .count(),
        1
    );
    assert_eq!(
        trace
            .matches("<tr><td class=\"repeat\"><a href=\"records/UN-001.html\"")
            .count(),
        259
    );
}
