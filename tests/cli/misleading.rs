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
