//! Code tags: `// ddf: DI-012` in files under `code_tags` globs, reported by `ddf check` when they
//! name no record, and listed by `ddf show` and the site's record page.

use crate::harness::{di, un, TestRepo};

const DO: &str = "---\nid: DO-001\ntype: design-output\ntitle: Pump driver\nstatus: draft\nowner: PER-001\noutput_kind: source\nessential: true\nsatisfies: [DI-001]\n---\nThe driver.\n";

fn tagged_repo() -> TestRepo {
    let mut t = TestRepo::with_basics();
    t.write(
        "ddf.yaml",
        "project: Test\ncode_tags: [\"src/**/*.rs\", \"firmware/**\"]\n",
    );
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.write("records/DO-001.md", DO);
    t.write(
        "src/pump.rs",
        "//! The pump.\n\n// ddf: DI-001\nfn rate() {}\n\n/// Bolus.\nfn bolus() {} // ddf: DI-404, DO-001\n",
    );
    t.write("firmware/alarm.c", "/* ddf: DI-001 */\nint alarm(void);\n");
    // Binary: skipped, its tag is not read.
    t.write_bytes("firmware/blob.bin", b"\x7fELF\0\0// ddf: DI-999\n");
    // Outside the globs: not read.
    t.write("docs/notes.md", "<!-- ddf: DI-777 -->\n");
    // A folder Git ignores is not entered.
    t.write(".gitignore", "src/generated/\n");
    t.write("src/generated/out.rs", "// ddf: DI-555\n");
    // A hidden folder is not entered.
    t.write("src/.cache/x.rs", "// ddf: DI-556\n");
    t.git_init();
    t.commit("tagged");
    t
}

#[test]
fn check_reports_tags_that_name_no_record() {
    let t = tagged_repo();
    #[cfg(unix)]
    {
        // A link out of the repository is refused by the confined reader, not followed.
        let outside = tempfile::tempdir().expect("tmp");
        std::fs::write(outside.path().join("secret.rs"), "// ddf: DI-666\n").expect("write");
        std::os::unix::fs::symlink(outside.path().join("secret.rs"), t.path("src/secret.rs"))
            .expect("link");
    }
    let r = t.ddf(&["check", "--format", "json"]);
    let v = r.json();
    let tags: Vec<(String, u64, u64, String)> = v["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["rule"] == "code-tag-dangling")
        .map(|d| {
            (
                d["path"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
                d["column"].as_u64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        tags,
        vec![(
            "src/pump.rs".to_string(),
            7,
            23,
            "the code tag `ddf: DI-404` names a record that does not exist".to_string()
        )],
        "{}",
        r.stdout
    );
    assert_eq!(r.code, 1);
    // The human report names file, line and column.
    let human = t.ddf(&["check"]);
    assert!(
        human.stdout.contains("src/pump.rs:7:23"),
        "{}",
        human.stdout
    );
    // Severity can be configured like any rule.
    t.write(
        "ddf.yaml",
        "project: Test\ncode_tags: [\"src/**/*.rs\"]\nrules: { code-tag-dangling: off }\n",
    );
    let off = t.ddf(&["check", "--format", "json"]);
    assert!(!off.stdout.contains("code-tag-dangling"), "{}", off.stdout);
}

#[test]
fn show_and_the_site_list_the_places_that_implement_a_record() {
    let t = tagged_repo();
    let r = t.ddf(&["show", "DI-001", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.json()["implemented_in"],
        serde_json::json!([
            { "path": "firmware/alarm.c", "line": 1, "column": 9 },
            { "path": "src/pump.rs", "line": 3, "column": 9 }
        ])
    );
    let human = t.ddf(&["show", "DO-001"]);
    assert!(
        human
            .stdout
            .contains("Implemented in (code tags)\n  src/pump.rs:7\n"),
        "{}",
        human.stdout
    );
    let b = t.ddf(&["build", "-o", "out"]);
    assert!(b.code <= 1, "{}", b.stderr);
    let page = t.read("out/records/DI-001.html");
    assert!(page.contains("Implemented in (code tags)"), "{page}");
    assert!(page.contains("<code>src/pump.rs:3</code>"), "{page}");
    assert!(page.contains("<code>firmware/alarm.c:1</code>"), "{page}");
    // With --rev, the committed files are read, not the working tree.
    t.write("src/pump.rs", "fn rate() {}\n");
    let now = t.ddf(&["show", "DI-001", "--format", "json"]);
    assert_eq!(
        now.json()["implemented_in"].as_array().map(Vec::len),
        Some(1)
    );
    let then = t.ddf(&["--rev", "HEAD", "show", "DI-001", "--format", "json"]);
    assert_eq!(
        then.json()["implemented_in"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn a_bad_glob_is_a_configuration_error_with_its_position() {
    let t = TestRepo::with_basics();
    t.write("ddf.yaml", "project: Test\ncode_tags: [\"src/[*.rs\"]\n");
    let r = t.ddf(&["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ddf.yaml:2:"), "{}", r.stderr);
    assert!(r.stderr.contains("not a valid glob"), "{}", r.stderr);
    t.write("ddf.yaml", "project: Test\ncode_tags: [\"../other/**\"]\n");
    let r = t.ddf(&["check"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("leaves the repository"), "{}", r.stderr);
}

#[test]
fn a_ddf_in_a_subfolder_tags_code_at_the_repository_top() {
    let mut t = TestRepo::new();
    t.write("ddf/ddf.yaml", "project: Test\ncode_tags: [\"src/**\"]\n");
    t.write("ddf/records/PER-001.md", crate::harness::PER);
    t.write("ddf/records/UN-001.md", &un("UN-001"));
    t.write("ddf/records/DI-001.md", &di("DI-001", "UN-001"));
    t.write("src/main.py", "# ddf: DI-001\n# ddf: DI-002\n");
    t.git_init();
    t.commit("sub");
    let sub = t.path("ddf");
    let r = crate::harness::run_ddf(&sub, &["show", "DI-001", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["implemented_in"][0]["path"], "../src/main.py");
    let c = crate::harness::run_ddf(&sub, &["check", "--format", "json"]);
    let d: Vec<_> = c.json()["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| d["rule"] == "code-tag-dangling")
        .map(|d| (d["path"].clone(), d["line"].clone()))
        .collect();
    assert_eq!(
        d,
        vec![(serde_json::json!("../src/main.py"), serde_json::json!(2))]
    );
}
