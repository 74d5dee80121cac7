//! Every item of DESIGN.md "Bad input": a clear message naming file, line and column where known,
//! the right exit code, no panic, and the other records still checked.

use crate::harness::{di, findings, un, TestRepo};

/// The finding of `rule` on `path`, asserting it exists.
fn one(t: &TestRepo, rule: &str, path: &str) -> serde_json::Value {
    let run = t.ddf(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "bad input fails the check: {}", run.stdout);
    let v = run.json();
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["rule"] == rule && d["path"] == path)
        .cloned()
        .unwrap_or_else(|| panic!("no {rule} on {path} in {}", run.stdout))
}

/// A good record with a dangling link beside the bad file: its finding must still be reported.
fn with_neighbour() -> TestRepo {
    let t = TestRepo::with_basics();
    t.write("records/DI-001.md", &di("DI-001", "UN-404"));
    t
}

fn neighbour_still_checked(t: &TestRepo) {
    let run = t.ddf(&["check", "--format", "json"]);
    let f = findings(&run);
    assert!(
        f.iter().any(|(r, p, l, c)| r == "dangling-link"
            && p == "records/DI-001.md"
            && *l == Some(9)
            && *c == Some(13)),
        "the good record is still checked: {f:?}"
    );
}

#[test]
fn broken_yaml_points_into_the_file() {
    let t = with_neighbour();
    t.write(
        "records/UN-001.md",
        "---\nid: UN-001\ntype: user-need\ntitle: [broken\nstatus: draft\n---\nbody\n",
    );
    let d = one(&t, "yaml", "records/UN-001.md");
    assert!(d["line"].as_u64().expect("line") >= 4, "{d}");
    neighbour_still_checked(&t);
    let human = t.ddf(&["check"]);
    assert!(
        human.stdout.contains("records/UN-001.md:"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("hint:"), "{}", human.stdout);
}

#[test]
fn missing_front_matter_is_an_error_not_skipped() {
    let t = with_neighbour();
    t.write(
        "records/notes.md",
        "# Just notes\n\nNo front-matter here.\n",
    );
    let d = one(&t, "front-matter", "records/notes.md");
    assert_eq!(d["line"], 1);
    assert!(d["message"]
        .as_str()
        .unwrap_or("")
        .contains("no front-matter"));
    neighbour_still_checked(&t);
}

#[test]
fn unterminated_front_matter_suggests_the_closing_fence() {
    let t = with_neighbour();
    t.write(
        "records/UN-001.md",
        "---\nid: UN-001\ntype: user-need\n\nbody text\n",
    );
    one(&t, "front-matter", "records/UN-001.md");
    let human = t.ddf(&["check"]);
    assert!(human.stdout.contains("closing `---`"), "{}", human.stdout);
}

#[test]
fn tab_in_yaml() {
    let t = with_neighbour();
    t.write(
        "records/UN-001.md",
        "---\nid: UN-001\ntype: user-need\nusers:\n\t- nurse\n---\nx\n",
    );
    let d = one(&t, "yaml", "records/UN-001.md");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(1))
    );
    assert!(d["message"].as_str().unwrap_or("").contains("tab"));
    neighbour_still_checked(&t);
}

#[test]
fn duplicate_key() {
    let t = with_neighbour();
    t.write(
        "records/UN-001.md",
        "---\nid: UN-001\ntype: user-need\ntitle: a\ntitle: b\n---\nx\n",
    );
    let d = one(&t, "yaml", "records/UN-001.md");
    assert_eq!(d["line"], 5);
    assert!(d["message"].as_str().unwrap_or("").contains("title"));
    neighbour_still_checked(&t);
}

#[test]
fn alias_bomb_is_bounded() {
    let t = with_neighbour();
    let mut y = String::from("---\nid: UN-001\ntype: user-need\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    let mut prev = 'a';
    for c in 'b'..='i' {
        y.push_str(&format!(
            "{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = c;
    }
    y.push_str("---\nbody\n");
    t.write("records/UN-001.md", &y);
    let started = std::time::Instant::now();
    one(&t, "yaml", "records/UN-001.md");
    // A billion laughs would take minutes and gigabytes; the bound makes it immediate.
    assert!(started.elapsed().as_secs() < 20);
    neighbour_still_checked(&t);
}

/// Lists of aliases three levels deep: few alias jumps, so serde_yaml's own repetition limit
/// lets it through, but 1,000 x 1,000 x `n` values once expanded (`n` = 20 took 27 s and 8 GB in
/// every command).
fn wide_alias_bomb(n: usize) -> String {
    let xs = vec!["lol"; 1000].join(",");
    let a = vec!["*a"; 1000].join(",");
    let b = vec!["*b"; n].join(",");
    format!("xs: &a [{xs}]\nas: &b [{a}]\nbs: [{b}]\n")
}

#[test]
fn wide_alias_bomb_is_refused_with_its_position() {
    let t = with_neighbour();
    t.write(
        "records/UN-001.md",
        &format!(
            "---\nid: UN-001\ntype: user-need\n{}---\nbody\n",
            wide_alias_bomb(20)
        ),
    );
    let d = one(&t, "yaml", "records/UN-001.md");
    assert!(
        d["message"]
            .as_str()
            .unwrap_or("")
            .contains("anchors and aliases expand"),
        "{d}"
    );
    assert!(d["line"].as_u64().is_some_and(|l| l >= 4), "{d}");
    assert!(d["column"].as_u64().is_some(), "{d}");
    neighbour_still_checked(&t);
}

#[test]
fn wide_alias_bomb_in_the_config_is_refused() {
    let t = TestRepo::with_basics();
    t.write(
        "ddf.yaml",
        &format!("project: Test\n{}", wide_alias_bomb(20)),
    );
    let run = t.ddf(&["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("ddf.yaml:") && run.stderr.contains("anchors and aliases expand"),
        "{}",
        run.stderr
    );
}

#[test]
fn deeply_nested_yaml_is_bounded() {
    let t = with_neighbour();
    let y = format!(
        "---\nid: UN-001\ntype: user-need\nx: {}{}\n---\nbody\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    t.write("records/UN-001.md", &y);
    one(&t, "yaml", "records/UN-001.md");
    neighbour_still_checked(&t);
}

#[test]
fn front_matter_not_a_mapping() {
    let t = with_neighbour();
    t.write(
        "records/UN-001.md",
        "---\n- id: UN-001\n- type: user-need\n---\nx\n",
    );
    let d = one(&t, "front-matter", "records/UN-001.md");
    assert!(d["message"]
        .as_str()
        .unwrap_or("")
        .contains("not a mapping"));
    neighbour_still_checked(&t);
}

#[test]
fn unsafe_id_is_rejected() {
    let t = with_neighbour();
    t.write(
        "records/x.md",
        &un("UN-001").replace("id: UN-001", "id: ../x"),
    );
    let d = one(&t, "id-format", "records/x.md");
    assert_eq!(d["line"], 2);
    neighbour_still_checked(&t);
    // `new` never takes an id from a file, so nothing can be written outside the records folder.
}

#[test]
fn duplicate_id_names_both_files() {
    let t = with_neighbour();
    t.write("records/a/UN-001.md", &un("UN-001"));
    t.write("records/b/UN-001.md", &un("UN-001"));
    let d = one(&t, "duplicate-id", "records/a/UN-001.md");
    assert!(d["message"]
        .as_str()
        .unwrap_or("")
        .contains("records/b/UN-001.md"));
    one(&t, "duplicate-id", "records/b/UN-001.md");
    neighbour_still_checked(&t);
}

#[test]
fn link_to_nothing() {
    let t = with_neighbour();
    neighbour_still_checked(&t);
    let human = t.ddf(&["check"]);
    assert!(
        human
            .stdout
            .contains("traces_to names UN-404, which does not exist"),
        "{}",
        human.stdout
    );
}

#[test]
fn value_outside_its_set() {
    let t = with_neighbour();
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("source: user", "source: marketing"),
    );
    let d = one(&t, "invalid-value", "records/UN-001.md");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(7), Some(9))
    );
    assert!(d["message"]
        .as_str()
        .unwrap_or("")
        .contains("user, patient"));
    neighbour_still_checked(&t);
}

#[test]
fn non_utf8_file() {
    let t = with_neighbour();
    t.write_bytes(
        "records/UN-001.md",
        b"---\nid: UN-001\ntitle: Caf\xe9\n---\n",
    );
    let d = one(&t, "not-utf8", "records/UN-001.md");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(11))
    );
    neighbour_still_checked(&t);
}

#[test]
fn empty_file() {
    let t = with_neighbour();
    t.write("records/UN-001.md", "");
    let d = one(&t, "front-matter", "records/UN-001.md");
    assert!(d["message"].as_str().unwrap_or("").contains("empty"));
    neighbour_still_checked(&t);
}

#[test]
fn fifty_megabyte_file() {
    let t = with_neighbour();
    let f = std::fs::File::create(t.path("records/huge.md")).expect("create");
    f.set_len(50 * 1024 * 1024).expect("sparse 50 MB");
    let d = one(&t, "io", "records/huge.md");
    assert!(d["message"].as_str().unwrap_or("").contains("bytes"));
    neighbour_still_checked(&t);
}

#[cfg(unix)]
#[test]
fn symlink_leaving_the_repository() {
    let t = with_neighbour();
    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(outside.path().join("secret.md"), un("UN-009")).expect("write");
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        t.path("records/UN-009.md"),
    )
    .expect("symlink");
    let d = one(&t, "io", "records/UN-009.md");
    assert!(d["message"].as_str().unwrap_or("").contains("outside"));
    neighbour_still_checked(&t);
}

#[test]
fn missing_config_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = crate::harness::run_ddf(dir.path(), &["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no ddf.yaml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("hint: run `ddf init`"),
        "{}",
        run.stderr
    );
}

#[test]
fn broken_config_names_line_and_column() {
    let t = TestRepo::new();
    t.write("ddf.yaml", "project: Test\ndevices: [a, b\n");
    let run = t.ddf(&["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("ddf.yaml:"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn unknown_rule_in_config_is_a_finding() {
    let t = TestRepo::with_basics();
    t.write("ddf.yaml", "project: Test\nrules:\n  di-verifed: off\n");
    let run = t.ddf(&["check", "--format", "json"]);
    let f = findings(&run);
    assert!(
        f.contains(&("config".into(), "ddf.yaml".into(), Some(3), Some(3))),
        "{f:?}"
    );
}

#[test]
fn missing_records_folder() {
    let t = TestRepo::new();
    std::fs::remove_dir(t.path("records")).expect("rmdir");
    let run = t.ddf(&["check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("records folder `records` does not exist"),
        "{}",
        run.stderr
    );
}

#[test]
fn all_bad_files_reported_in_one_run() {
    let t = with_neighbour();
    t.write("records/a.md", "");
    t.write("records/b.md", "no front matter\n");
    t.write("records/c.md", "---\nid: [\n---\n");
    t.write_bytes("records/d.md", b"\xff\xfe");
    let run = t.ddf(&["check", "--format", "json"]);
    let rules: Vec<(String, String)> = findings(&run)
        .into_iter()
        .map(|(r, p, _, _)| (r, p))
        .collect();
    for (rule, path) in [
        ("front-matter", "records/a.md"),
        ("front-matter", "records/b.md"),
        ("yaml", "records/c.md"),
        ("not-utf8", "records/d.md"),
        ("dangling-link", "records/DI-001.md"),
    ] {
        assert!(
            rules.contains(&(rule.into(), path.into())),
            "{rule} on {path} missing from {rules:?}"
        );
    }
}
