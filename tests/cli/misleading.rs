//! Errors that never mislead (issue 14, items 7-9): a duplicated id is shown as such, a record
//! that does not parse still has its id, an indented key and a `#` in a value are named for what
//! they are, and a record file with the wrong extension is reported.

use crate::harness::{di, findings, un, TestRepo};

fn diagnostics(t: &TestRepo) -> Vec<serde_json::Value> {
    let run = t.ddf(&["check", "--format", "json"]);
    run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .clone()
}

#[test]
fn misnamed_record_files_are_reported_not_skipped() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/UN-002.MD", &un("UN-002"));
    t.write("records/sub/UN-003.markdown", &un("UN-003"));
    t.write("records/notes.txt", "not a record");
    let run = t.ddf(&["check", "--format", "json"]);
    let f = findings(&run);
    let ext: Vec<&str> = f
        .iter()
        .filter(|(r, ..)| r == "file-extension")
        .map(|(_, p, ..)| p.as_str())
        .collect();
    assert_eq!(
        ext,
        ["records/UN-002.MD", "records/sub/UN-003.markdown"],
        "{f:?}"
    );
    let human = t.ddf(&["check"]);
    assert!(
        human.stdout.contains("rename it to `UN-002.md`"),
        "{}",
        human.stdout
    );
    // A warning: the check still passes on this alone.
    for d in diagnostics(&t) {
        if d["rule"] == "file-extension" {
            assert_eq!(d["severity"], "warning", "{d}");
        }
    }
}

#[test]
fn misnamed_record_files_are_reported_at_a_revision_too() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-002.MD", &un("UN-002"));
    t.commit("records");
    let run = t.ddf(&["check", "--rev", "HEAD", "--format", "json"]);
    assert!(
        findings(&run)
            .iter()
            .any(|(r, p, ..)| r == "file-extension" && p == "records/UN-002.MD"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_hash_in_an_unquoted_title_is_a_warning_with_its_position() {
    let t = TestRepo::with_basics();
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("title: Need UN-001", "title: Bolus test #2"),
    );
    let d = diagnostics(&t)
        .into_iter()
        .find(|d| d["rule"] == "hash-comment")
        .expect("hash-comment reported");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(19))
    );
    assert_eq!(d["severity"], "warning");
    let human = t.ddf(&["check"]);
    assert!(
        human.stdout.contains("title: \"Bolus test #2\""),
        "{}",
        human.stdout
    );
}

#[test]
fn an_indented_key_gets_the_indentation_hint() {
    let t = TestRepo::with_basics();
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("status: draft", "  status: draft"),
    );
    let d = diagnostics(&t)
        .into_iter()
        .find(|d| d["rule"] == "yaml")
        .expect("yaml finding");
    assert_eq!(d["line"], 5, "{d}");
    let human = t.ddf(&["check"]);
    assert!(
        human.stdout.contains("is indented") && !human.stdout.contains("must be quoted"),
        "{}",
        human.stdout
    );
    let _ = di;
}

/// VER-011 of the example verifies DI-007 and RC-005, and DR-003 and CAPA-001 name it.
fn example_with_broken_ver() -> TestRepo {
    let t = TestRepo::example();
    let path = "records/verification/VER-011.md";
    let text = t.read(path).replace(
        "title: Alarm system acoustic and timing test",
        "title: [broken",
    );
    t.write(path, &text);
    t
}

#[test]
fn a_record_that_does_not_parse_keeps_its_id_and_misleads_no_rule() {
    let t = example_with_broken_ver();
    let run = t.ddf(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let f = findings(&run);
    assert_eq!(
        f.iter().map(|(r, p, ..)| (r.as_str(), p.as_str())).collect::<Vec<_>>(),
        [("yaml", "records/verification/VER-011.md")],
        "no dangling-link to VER-011, no di-verified / rc-verified / release-ready it would clear: {f:?}"
    );
    let human = t.ddf(&["check"]);
    assert!(
        human.stdout.contains("di-verified on DI-007")
            && human.stdout.contains("rc-verified on RC-005")
            && !human.stdout.contains("create the record"),
        "said once, on the file: {}",
        human.stdout
    );
    let di = t.ddf(&["show", "DI-007", "--format", "json"]).json();
    assert!(
        !di.to_string().contains("does not exist"),
        "a link to the unread record is not shown as missing: {di}"
    );
    let cr = t.ddf(&["show", "DR-003"]);
    assert!(
        cr.stdout
            .contains("(cannot be read: records/verification/VER-011.md)"),
        "{}",
        cr.stdout
    );
    let show = t.ddf(&["show", "VER-011"]);
    assert_eq!(show.code, 1);
    assert!(
        show.stderr
            .contains("VER-011 is in records/verification/VER-011.md, which could not be read"),
        "{}",
        show.stderr
    );
}

#[test]
fn a_record_whose_name_is_its_only_id_is_still_known() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", "no front-matter at all\n");
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    let run = t.ddf(&["check", "--format", "json"]);
    let f = findings(&run);
    assert!(f.iter().any(|(r, ..)| r == "front-matter"), "{f:?}");
    assert!(!f.iter().any(|(r, ..)| r == "dangling-link"), "{f:?}");
}

fn with_duplicate() -> TestRepo {
    let t = TestRepo::with_basics();
    t.write(
        "records/a/UN-001.md",
        &un("UN-001").replace("Need UN-001", "First need"),
    );
    t.write(
        "records/b/UN-001.md",
        &un("UN-001").replace("Need UN-001", "Second need"),
    );
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t
}

#[test]
fn show_marks_both_records_of_a_duplicated_id() {
    let t = with_duplicate();
    let run = t.ddf(&["show", "UN-001"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("id UN-001 is used by 2 records (records/a/UN-001.md, records/b/UN-001.md)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("First need") && run.stdout.contains("Second need"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout.matches("DUPLICATE ID").count(),
        2,
        "{}",
        run.stdout
    );
    let json = t.ddf(&["show", "UN-001", "--format", "json"]).json();
    assert_eq!(json["path"], "records/a/UN-001.md");
    assert_eq!(json["same_id"][0]["path"], "records/b/UN-001.md");
    assert_eq!(json["same_id"][0]["title"], "Second need");
    let unique = t.ddf(&["show", "DI-001", "--format", "json"]).json();
    assert!(unique.get("same_id").is_none(), "{unique}");
}

#[test]
fn trace_marks_both_records_of_a_duplicated_id() {
    let t = with_duplicate();
    let run = t.ddf(&["trace"]);
    assert!(
        run.stderr.contains("id UN-001 is used by 2 records"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("UN-001 (duplicate id: records/a/UN-001.md)")
            && run
                .stdout
                .contains("UN-001 (duplicate id: records/b/UN-001.md)"),
        "{}",
        run.stdout
    );
    let json = t.ddf(&["trace", "--format", "json"]).json();
    assert_eq!(json["duplicates"][0]["id"], "UN-001");
    assert_eq!(json["duplicates"][0]["paths"][1], "records/b/UN-001.md");
}

#[test]
fn the_site_page_of_a_duplicated_id_names_the_other_file() {
    let t = with_duplicate();
    let run = t.ddf(&["build", "-o", "out"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let page = t.read("out/records/UN-001.html");
    assert!(page.contains("Duplicate id"), "{page}");
    assert!(page.contains("<code>records/b/UN-001.md</code>"), "{page}");
    let di = t.read("out/records/DI-001.html");
    assert!(!di.contains("Duplicate id"));
}

#[test]
fn the_id_filename_hint_never_suggests_overwriting_a_file() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/need.md", &un("UN-001"));
    t.write("records/other.md", &un("UN-002"));
    let human = t.ddf(&["check"]);
    assert!(
        human
            .stdout
            .contains("`records/UN-001.md` exists already, so do not rename this file to it"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("rename the file to `UN-002.md`"),
        "a free name is still suggested: {}",
        human.stdout
    );
    assert!(
        !human.stdout.contains("rename the file to `UN-001.md`"),
        "{}",
        human.stdout
    );
}
