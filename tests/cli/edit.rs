//! `ddf mv` and `ddf fmt`: commands that rewrite records, surgically and atomically.

use crate::harness::{di, files_under, un, TestRepo};
use std::collections::BTreeMap;

/// Every file of the DDF with its content.
fn snapshot(t: &TestRepo) -> BTreeMap<String, Vec<u8>> {
    files_under(&t.root)
        .into_iter()
        .filter(|(rel, _)| !rel.starts_with(".git/"))
        .map(|(rel, p)| (rel, std::fs::read(p).expect("read")))
        .collect()
}

#[test]
fn mv_renames_the_record_and_every_link_and_mention_only() {
    let t = TestRepo::example();
    let before = snapshot(&t);
    let run = t.ddf(&["mv", "DI-007", "DI-099"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Renamed DI-007 to DI-099"),
        "{}",
        run.stdout
    );
    let after = snapshot(&t);
    assert!(!after.contains_key("records/inputs/DI-007.md"));
    let moved = String::from_utf8(after["records/inputs/DI-099.md"].clone()).expect("utf8");
    assert!(moved.contains("id: DI-099"), "{moved}");
    // Every other file is byte-identical once the new id is read back as the old one: only the
    // id tokens changed (DI-099 appears nowhere before the rename).
    let mut changed = 0;
    for (path, bytes) in &after {
        let old_path = if path == "records/inputs/DI-099.md" {
            "records/inputs/DI-007.md"
        } else {
            path.as_str()
        };
        let text = String::from_utf8_lossy(bytes).replace("DI-099", "DI-007");
        assert_eq!(
            text.as_bytes(),
            before[old_path].as_slice(),
            "{path} changed beyond the id"
        );
        if bytes != &before[old_path] {
            changed += 1;
        }
    }
    assert_eq!(changed, 4, "the record, DO-006, DR-001 and VER-011");
    let check = t.ddf(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    let show = t.ddf(&["show", "DI-099", "--format", "json"]).json();
    assert!(
        show["links_in"].as_array().is_some_and(|l| !l.is_empty()),
        "{show}"
    );
}

#[test]
fn mv_does_not_touch_ids_that_share_a_prefix_or_code() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/UN-0011.md", &un("UN-0011"));
    t.write(
        "records/DI-001.md",
        &di("DI-001", "UN-001, UN-0011").replace(
            "The pump shall do DI-001.",
            "From UN-001 (not UN-0011, XUN-001 or UN-001-b); `UN-001` in code.\n\n```\nUN-001\n```",
        ),
    );
    let run = t.ddf(&["mv", "UN-001", "UN-005"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let text = t.read("records/DI-001.md");
    assert!(text.contains("traces_to: [UN-005, UN-0011]"), "{text}");
    assert!(
        text.contains(
            "From UN-005 (not UN-0011, XUN-001 or UN-001-b); `UN-001` in code.\n\n```\nUN-001\n```"
        ),
        "{text}"
    );
    assert!(t.read("records/UN-005.md").contains("id: UN-005"));
    assert!(t.read("records/UN-0011.md").contains("id: UN-0011"));
}

#[test]
fn mv_refuses_and_changes_nothing() {
    let mut t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/UN-002.md", &un("UN-002"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.write("records/a/UN-003.md", &un("UN-003"));
    t.write("records/b/UN-003.md", &un("UN-003"));
    t.git_init();
    t.commit("records");
    t.git(&["checkout", "-q", "-b", "other"]);
    t.write("records/UN-007.md", &un("UN-007"));
    t.commit("on a branch");
    t.git(&["checkout", "-q", "main"]);
    let before = snapshot(&t);
    for (args, says) in [
        (
            ["mv", "UN-001", "UN-002"],
            "UN-002 exists already: records/UN-002.md",
        ),
        (["mv", "UN-001", "UN-7"], "`UN-7` is not a record id"),
        (
            ["mv", "UN-001", "DI-009"],
            "does not have the prefix of UN-001's type user-need (UN-)",
        ),
        (["mv", "UN-404", "UN-009"], "no record has the id `UN-404`"),
        (["mv", "UN-003", "UN-009"], "UN-003 is the id of 2 records"),
        (
            ["mv", "UN-001", "UN-007"],
            "UN-007 exists already: a record on a local branch",
        ),
    ] {
        let run = t.ddf(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("hint:"), "{}", run.stderr);
        assert_eq!(snapshot(&t), before, "{args:?} changed nothing");
    }
    // A file that cannot be read names the old id: refused, naming it.
    t.write(
        "records/DI-002.md",
        "---\nid: DI-002\ntitle: [broken\ntraces_to: [UN-001]\n---\n",
    );
    let before = snapshot(&t);
    let run = t.ddf(&["mv", "UN-001", "UN-009"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("records/DI-002.md names UN-001 but cannot be read as a record"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(&t), before);
    // One that does not name it is no obstacle.
    let run = t.ddf(&["mv", "UN-002", "UN-009"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn mv_dry_run_prints_the_edits_and_writes_nothing() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/inputs/input-one.md", &di("DI-001", "UN-001"));
    let before = snapshot(&t);
    let run = t.ddf(&["mv", "--dry-run", "UN-001", "UN-002"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(snapshot(&t), before);
    assert!(
        run.stdout
            .contains("records/UN-001.md -> records/UN-002.md"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("records/inputs/input-one.md:9:13: UN-001 -> UN-002"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nothing written"), "{}", run.stdout);
    let json = t
        .ddf(&["mv", "-n", "UN-001", "UN-002", "--format", "json"])
        .json();
    assert_eq!(json["written"], false);
    assert_eq!(json["files"][0]["path"], "records/UN-001.md");
    assert_eq!(json["files"][0]["rename_to"], "records/UN-002.md");
    // A file whose name is not its id keeps its name.
    let run = t.ddf(&["mv", "DI-001", "DI-002"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(t.read("records/inputs/input-one.md").contains("id: DI-002"));
}

/// The text after the closing fence of a record file.
fn body(text: &str) -> &str {
    let rest = text.strip_prefix("---\n").unwrap_or(text);
    rest.find("\n---\n").map_or("", |i| &rest[i + 5..])
}

#[test]
fn fmt_is_idempotent_keeps_values_and_bodies_on_every_example_record() {
    let t = TestRepo::example();
    let before = snapshot(&t);
    let check = t.ddf(&["fmt", "--check"]);
    assert_eq!(
        check.code, 1,
        "the example is not in canonical order: {}",
        check.stderr
    );
    let listed: Vec<&str> = check.stdout.lines().collect();
    assert!(!listed.is_empty());
    assert_eq!(snapshot(&t), before, "--check writes nothing");
    let run = t.ddf(&["fmt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let once = snapshot(&t);
    let run = t.ddf(&["fmt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(snapshot(&t), once, "fmt twice = fmt once");
    assert_eq!(t.ddf(&["fmt", "--check"]).code, 0);
    let mut changed = Vec::new();
    for (path, old) in &before {
        let new = &once[path];
        if !path.ends_with(".md") || !path.starts_with("records/") {
            assert_eq!(old, new, "{path} is not a record");
            continue;
        }
        let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
        assert_eq!(
            body(&old),
            body(new.as_ref()),
            "{path}: the body is byte-identical"
        );
        let fm = |s: &str| -> serde_yaml::Value {
            let rest = s.strip_prefix("---\n").expect("fence");
            serde_yaml::from_str(&rest[..rest.find("\n---\n").expect("fence") + 1]).expect("yaml")
        };
        assert_eq!(fm(&old), fm(&new), "{path}: the same values");
        if old != new {
            changed.push(path.as_str());
        }
    }
    assert_eq!(
        changed, listed,
        "--check listed exactly the files fmt changed"
    );
    let check = t.ddf(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
}

#[test]
fn fmt_orders_keys_quotes_list_items_and_keeps_comments() {
    let t = TestRepo::with_basics();
    t.write(
        "records/UN-001.md",
        "---\n# about this need\nsource: user\ntags:\n  - \"#2\"\n  - 'yes'\n  - plain\nowner: PER-001 # the owner\ntitle: \"Bolus test #2\"\nstatus: draft\nid: UN-001\ntype: user-need\n---\nThe need: [not yaml]\n",
    );
    let run = t.ddf(&["fmt", "records/UN-001.md"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        t.read("records/UN-001.md"),
        "---\n# about this need\nid: UN-001\ntype: user-need\ntitle: \"Bolus test #2\"\nstatus: draft\nowner: PER-001 # the owner\nsource: user\ntags: [\"#2\", \"yes\", plain]\n---\nThe need: [not yaml]\n"
    );
}

#[test]
fn fmt_leaves_unreadable_files_alone_and_says_so() {
    let t = TestRepo::with_basics();
    let broken = "---\ntitle: [broken\nid: UN-001\n---\n";
    t.write("records/UN-001.md", broken);
    t.write(
        "records/UN-002.md",
        &un("UN-002")
            .replace("title: Need UN-002\n", "")
            .replace("---\nThe", "title: t\n---\nThe"),
    );
    let run = t.ddf(&["fmt", "--check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let v = run.json();
    assert_eq!(v["changed"][0], "records/UN-002.md");
    assert_eq!(v["skipped"][0]["path"], "records/UN-001.md");
    let run = t.ddf(&["fmt"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr
            .contains("records/UN-001.md: the front-matter cannot be read"),
        "{}",
        run.stderr
    );
    assert_eq!(t.read("records/UN-001.md"), broken);
    assert_eq!(t.ddf(&["fmt", "--check"]).code, 0);
    // A record-like file that is not read as a record is reported, never rewritten.
    let odd = "---\ntitle: t\nid: UN-003\n---\n";
    t.write("records/UN-003.MD", odd);
    let run = t.ddf(&["fmt"]);
    assert!(run.stderr.contains("records/UN-003.MD"), "{}", run.stderr);
    assert_eq!(t.read("records/UN-003.MD"), odd);
    let outside = t.ddf(&["fmt", "/"]);
    assert_eq!(outside.code, 2, "{}", outside.stderr);
}
