//! Input sized or shaped to hurt: records with tens of thousands of links or keys, table cells
//! wider than `format!` pads, `ddf new` arguments that would inject YAML or write outside the
//! records, several `ddf new` at once, and temporary files a killed import leaves behind.

use crate::harness::{ddf_command, di, findings, TestRepo};

/// A design input with `extra` front-matter lines.
fn di_with(id: &str, extra: &str) -> String {
    format!("---\nid: {id}\ntype: design-input\ntitle: Odd input\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: x\n{extra}---\nbody\n")
}

/// Before the key index hashed keys and indexed the ids of a value, and before `near_id` stopped
/// allocating per candidate, these records took time quadratic in their size (80,000 links or
/// 60,000 keys: half a minute). The bench `hostile` case times the full sizes.
#[test]
fn records_with_thousands_of_links_and_keys_are_checked_with_every_position() {
    let t = TestRepo::with_basics();
    let n = 5_000;
    let mut links = String::from("traces_to:\n");
    for i in 1..=n {
        links.push_str(&format!("  - UN-{i:05}\n"));
    }
    t.write("records/DI-001.md", &di_with("DI-001", &links));
    let mut keys = String::from("traces_to: []\n");
    for i in 0..n {
        keys.push_str(&format!("k{i}: v\n"));
    }
    t.write("records/DI-002.md", &di_with("DI-002", &keys));
    let run = t.ddf(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = findings(&run);
    let dangling: Vec<_> = f
        .iter()
        .filter(|d| d.0 == "dangling-link" && d.1 == "records/DI-001.md")
        .collect();
    assert_eq!(dangling.len(), n);
    // Each missing id is pointed at where it is written: UN-i on line 9 + i, column 5.
    for (k, d) in dangling.iter().enumerate() {
        assert_eq!((d.2, d.3), (Some(10 + k as u64), Some(5)), "{d:?}");
    }
    let unknown: Vec<_> = f
        .iter()
        .filter(|d| d.0 == "unknown-field" && d.1 == "records/DI-002.md")
        .collect();
    assert_eq!(unknown.len(), n);
    assert!(unknown
        .iter()
        .all(|d| d.2.is_some_and(|l| (10..10 + n as u64).contains(&l)) && d.3 == Some(1)));
}

#[test]
fn a_table_cell_wider_than_65535_characters_is_printed() {
    let t = TestRepo::with_basics();
    let name = "n".repeat(70_000);
    let sbom = |components: &str| {
        format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{components}]}}"#)
    };
    t.write(
        "sboms/a.json",
        &sbom(
            r#"{"bom-ref":"z","name":"zlib","version":"1.3","purl":"pkg:github/madler/zlib@v1.3"}"#,
        ),
    );
    t.write(
        "sboms/b.json",
        &sbom(&format!(
            r#"{{"bom-ref":"z","name":"zlib","version":"1.3","purl":"pkg:github/madler/zlib@v1.3"}},{{"bom-ref":"w","name":"{name}","version":"1.0"}}"#
        )),
    );
    // Human output pads the columns: a width over u16::MAX made `format!` panic (exit 101).
    let run = t.ddf(&["sbom", "diff", "sboms/a.json", "sboms/b.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(&name), "the cell is printed whole");
    assert!(run.stdout.contains("1 added"), "{}", &run.stdout[..200]);
}

#[test]
fn a_key_wider_than_65535_characters_is_shown() {
    let t = TestRepo::with_basics();
    // An explicit key (`? KEY`): YAML allows a plain `KEY:` of at most 1,024 characters.
    let key = "k".repeat(70_000);
    t.write(
        "records/DI-001.md",
        &di_with("DI-001", &format!("traces_to: []\n? {key}\n: v\n")),
    );
    let run = t.ddf(&["show", "DI-001"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(&format!("  {key}  v\n")));
    assert!(run
        .stdout
        .contains(&format!("  owner{}  PER-001\n", " ".repeat(70_000 - 5))));
}

#[test]
fn json_nested_deeper_than_128_levels_is_an_error_not_a_crash() {
    let t = TestRepo::with_basics();
    let deep = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{}{}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    t.write("deep.json", &deep);
    let run = t.ddf(&["sbom", "import", "deep.json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("deep.json"), "{}", run.stderr);
}

#[test]
fn new_owner_must_be_a_person_and_cannot_inject_fields() {
    let t = TestRepo::with_basics();
    t.write("records/UN-001.md", &crate::harness::un("UN-001"));
    for owner in [
        "PER-001\nstatus: approved",
        "PER-002",
        "UN-001",
        "PER-001 # x",
    ] {
        let run = t.ddf(&["new", "DI", "--owner", owner]);
        assert_eq!(run.code, 2, "--owner {owner:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not the id of a person record")
                && run.stderr.contains("hint:")
                && run.stderr.contains("PER-001"),
            "{}",
            run.stderr
        );
    }
    assert!(!t.path("records/design-input").exists(), "nothing written");
    let run = t.ddf(&[
        "new",
        "DI",
        "--owner",
        "PER-001",
        "--title",
        "a\nstatus: approved",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = t.read("records/design-input/DI-001.md");
    assert!(text.contains("owner: PER-001\n"), "{text}");
    assert!(
        text.contains("title: \"a\\nstatus: approved\"\n")
            && text.lines().filter(|l| l.starts_with("status:")).count() == 1,
        "the title is one quoted value: {text}"
    );
}

#[test]
fn new_folder_stays_below_the_records_folder() {
    let t = TestRepo::with_basics();
    std::fs::create_dir_all(t.path(".git/hooks")).expect("mkdir");
    std::fs::create_dir_all(t.path("records/out")).expect("mkdir");
    t.write("records/out/.ddf-site", "");
    let outside = tempfile::tempdir().expect("tempdir");
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), t.path("records/elsewhere")).expect("symlink");
    for folder in [
        ".git/hooks",
        "records/../.git/hooks",
        "site",
        "templates",
        "records/.hidden",
        "./records/inputs",
        "/tmp",
        "records/out",
        "records/out/inner",
        "records/elsewhere",
        "records",
        "recordsx/inputs",
    ] {
        if folder == "records/elsewhere" && !cfg!(unix) {
            continue;
        }
        let run = t.ddf(&["new", "DI", "--folder", folder]);
        if folder == "records" {
            // The records folder itself is fine.
            assert_eq!(run.code, 0, "{folder}: {}", run.stderr);
            continue;
        }
        assert_eq!(run.code, 2, "--folder {folder}: {}", run.stderr);
        assert!(run.stderr.contains("--folder"), "{}", run.stderr);
    }
    assert!(std::fs::read_dir(outside.path())
        .expect("ls")
        .next()
        .is_none());
    assert!(!t.path(".git/hooks/DI-001.md").exists());
    assert!(t.path("records/DI-001.md").exists());
    let run = t.ddf(&["new", "DI", "--folder", "records/inputs/"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(t.path("records/inputs/DI-002.md").exists());
}

#[test]
fn a_record_that_does_not_parse_keeps_its_id() {
    let t = TestRepo::with_basics();
    t.write("records/inputs/DI-001.md", &di("DI-001", "UN-001"));
    // A YAML error: its id is reserved by the `id:` line, another's by the file name.
    t.write(
        "records/inputs/renamed.md",
        "---\nid: DI-007\ntitle: [unclosed\n---\n",
    );
    t.write("records/inputs/DI-004.md", "no front-matter at all\n");
    let run = t.ddf(&["new", "DI"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.trim().ends_with("records/inputs/DI-008.md"),
        "{}",
        run.stdout
    );
}

#[test]
fn concurrent_new_records_each_get_their_own_id() {
    let t = TestRepo::with_basics();
    t.write("records/inputs/DI-001.md", &di("DI-001", "UN-001"));
    let n = 8;
    let children: Vec<_> = (0..n)
        .map(|_| {
            ddf_command(&t.root)
                .args(["new", "DI"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("ddf new runs")
        })
        .collect();
    let mut paths = Vec::new();
    for child in children {
        let out = child.wait_with_output().expect("ddf new ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        paths.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), n, "{paths:?}");
    let check = t.ddf(&["check", "--format", "json"]);
    assert!(
        !findings(&check).iter().any(|f| f.0 == "duplicate-id"),
        "{}",
        check.stdout
    );
}

#[test]
fn temporary_files_of_a_killed_import_are_removed_by_the_next_writer() {
    let t = TestRepo::with_basics();
    // What `kill -9` of `ddf sbom import` leaves: a temporary file of a process that is gone
    // (a PID above the kernel's maximum), beside the records.
    let stale = t.path("records/component/.CMP-001.md.ddf-4999999.tmp");
    t.write(
        "records/component/.CMP-001.md.ddf-4999999.tmp",
        "half a rec",
    );
    t.write(
        "sbom.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"z","name":"zlib","version":"1.3","purl":"pkg:github/madler/zlib@v1.3"}]}"#,
    );
    let run = t.ddf(&["sbom", "import", "sbom.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!stale.exists() || !cfg!(target_os = "linux"), "removed");
    t.write("records/needs/.UN-001.md.ddf-4999998.tmp", "x");
    let run = t.ddf(&["new", "UN"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    if cfg!(target_os = "linux") {
        assert!(!t.path("records/needs/.UN-001.md.ddf-4999998.tmp").exists());
    }
}
