//! The record, walk, trace matrix and release print pages ddf writes without Tera are the bytes the built-in templates make:
//! each fixture is built twice, once as it is (the native pages) and once with the built-in
//! layout copied, byte for byte, into the DDF's templates folder (an override, so every page goes
//! through Tera), and every file of the two sites is compared.

use crate::harness::{ddf_command, files_under, git_in, ran, TestRepo};
use std::collections::BTreeMap;
use std::path::Path;

/// Builds the DDF at `root` into `out` (on the demo's "today", whose reviews are dated then).
fn build(root: &Path, out: &Path) -> BTreeMap<String, Vec<u8>> {
    let run = ran(ddf_command(root)
        .env("DDF_TODAY", "2026-12-01")
        .arg("build")
        .arg("-o")
        .arg(out)
        .output()
        .expect("ddf runs"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    files_under(out)
        .into_iter()
        .map(|(rel, p)| (rel, std::fs::read(&p).expect("read")))
        .collect()
}

/// Builds `root` natively and through Tera and asserts the two sites are the same bytes, file by
/// file; returns the number of (record, walk) pages compared.
fn both_ways(root: &Path) -> (usize, usize) {
    let outs = tempfile::tempdir().expect("tempdir");
    let native = build(root, &outs.path().join("native"));
    // The copy overrides the layout: every page is rendered by Tera from the same templates.
    // Git is told to ignore it, so it is not an uncommitted change the banner would report.
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/site/base.html");
    let copy = root.join("templates/site/base.html");
    std::fs::create_dir_all(copy.parent().expect("parent")).expect("mkdir");
    std::fs::copy(&builtin, &copy).expect("copy the layout");
    let exclude = root.join(".git/info/exclude");
    if root.join(".git").is_dir() {
        std::fs::create_dir_all(exclude.parent().expect("parent")).expect("mkdir");
        let mut text = std::fs::read_to_string(&exclude).unwrap_or_default();
        text.push_str("\n/templates/\n");
        std::fs::write(&exclude, text).expect("exclude");
    }
    let tera = build(root, &outs.path().join("tera"));
    // The override is used: a marker added to it is on every record and walk page.
    let mut marked = std::fs::read_to_string(&builtin).expect("layout");
    marked.push_str("<!-- through Tera -->\n");
    std::fs::write(&copy, marked).expect("mark the layout");
    let marked = build(root, &outs.path().join("marked"));
    std::fs::remove_dir_all(root.join("templates")).expect("remove the copy");

    assert_eq!(
        native.keys().collect::<Vec<_>>(),
        tera.keys().collect::<Vec<_>>(),
        "the two sites have different files"
    );
    let (mut records, mut walks) = (0, 0);
    for (path, bytes) in &native {
        let theirs = &tera[path];
        if bytes != theirs {
            let (a, b) = (
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(theirs),
            );
            let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            let around = |s: &str| {
                let s = s.as_bytes();
                String::from_utf8_lossy(
                    &s[at.saturating_sub(150).min(s.len())..(at + 150).min(s.len())],
                )
                .into_owned()
            };
            panic!(
                "{path} differs at byte {at}\nnative: …{}…\ntera:   …{}…",
                around(&a),
                around(&b)
            );
        }
        let page = path.starts_with("records/")
            || path.starts_with("walk/")
            || path == "trace.html"
            || path.ends_with("-print.html");
        if page {
            assert!(
                String::from_utf8_lossy(&marked[path]).ends_with("<!-- through Tera -->\n"),
                "{path} was not rendered through the override"
            );
        }
        records += usize::from(path.starts_with("records/"));
        walks += usize::from(path.starts_with("walk/"));
    }
    assert!(
        native.contains_key("trace.html"),
        "the trace matrix was compared"
    );
    assert!(
        native.keys().any(|p| p.ends_with("-print.html")),
        "a release print view was compared"
    );
    (records, walks)
}

/// The example DDF without Git history, with a duplicate id, code tags and a record whose id,
/// title, status and fields hold what could break out of an attribute, a CSS string or the page.
#[test]
fn example_pages_without_history_are_the_bytes_of_the_templates() {
    let t = TestRepo::example();
    let config = t.read("ddf.yaml");
    t.write("ddf.yaml", &format!("{config}code_tags: [\"src/**\"]\n"));
    t.write(
        "src/pump.c",
        "/* ddf: DI-001 */\nint rate; // ddf: HAZ-001, DI-001\n",
    );
    let di = t.read("records/inputs/DI-001.md");
    t.write("records/inputs/DI-001-copy.md", &di);
    t.write(
        "records/inputs/DI-900.md",
        "---\nid: DI-900\ntype: design-input\ntitle: \"Evil \\\"quoted\\\" 'single' <b>&amp;</b> </style></main> Débit ≥ 5 😀\"\nstatus: \"in <review> & 'x'\"\nowner: PER-001\ncategory: \"</td><script>\"\nacceptance_criteria: \"a & b < c\"\nresult: \"pass <b>\"\ntraces_to: [UN-001, UN-999]\nnotes: { when: \"<now>\", who: [PER-001, \"x'y\"] }\n---\nSee HAZ-001 and <b>DI-001</b> & \"more\".\n",
    );
    let (records, walks) = both_ways(&t.root);
    assert!(records > 200, "only {records} record pages compared");
    assert!(walks > 20, "only {walks} walk pages compared");
}

/// The example DDF as a Git repository (docs-example/make-demo-repo.sh): signed approvals,
/// releases, signers' pages; then a committed change to two user needs (suspect links with field
/// changes and a body diff on the inputs tracing to them) and an uncommitted one.
#[test]
fn demo_pages_with_history_and_approvals_are_the_bytes_of_the_templates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("demo");
    crate::demo::make_demo(&root);
    for (file, from, to) in [
        (
            "UN-001",
            "Accurate continuous basal delivery",
            "Accurate basal <delivery> & more",
        ),
        (
            "UN-002",
            "\n---\n",
            "\n---\nThe need, restated. \"Quoted\" & <b>.\n\n",
        ),
    ] {
        let path = root.join(format!("records/needs/{file}.md"));
        let text = std::fs::read_to_string(&path).expect("need");
        assert!(text.contains(from), "{file}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("edit");
    }
    git_in(
        &root,
        &[
            "commit",
            "-qam",
            "Restate UN-001 and UN-002 <now> & \"then\"",
        ],
        90,
    );
    let path = root.join("records/needs/UN-003.md");
    let text = std::fs::read_to_string(&path).expect("need");
    std::fs::write(&path, format!("{text}\nUncommitted.\n")).expect("edit");
    let (records, walks) = both_ways(&root);
    assert!(records > 200, "only {records} record pages compared");
    assert!(walks > 20, "only {walks} walk pages compared");
    // The pages compared show what history adds.
    let site = tempfile::tempdir().expect("tempdir");
    let pages = build(&root, site.path());
    let page = |p: &str| String::from_utf8_lossy(&pages[p]).into_owned();
    let di = page("records/DI-001.html");
    assert!(di.contains("<h2 id=\"suspect-links\">"), "{di}");
    assert!(di.contains("<th>Printed name</th>"), "{di}");
    assert!(page("records/DI-002.html").contains("<pre class=\"diff\">"));
    assert!(page("records/PER-003.html").contains("<h2 id=\"signed\">"));
    assert!(page("walk/HAZ-001.html")
        .contains("<p class=\"hop-history\"><span class=\"ok\">approved: "));
}
