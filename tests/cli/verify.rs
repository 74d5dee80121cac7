//! `ddf verify import`: the real JUnit reports of tests/data/junit read as each runner wrote
//! them, and imported into the VERs they serve by surgical edit.

use crate::harness::TestRepo;
use ddf::exchange::junit::{self, Outcome};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/junit")
        .join(name)
}

fn report(name: &str) -> junit::Report {
    let text = std::fs::read_to_string(data(name)).expect("read");
    junit::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// (passed, failed, errored, skipped) of a report.
type Tally = (usize, usize, usize, usize);

fn tally(r: &junit::Report) -> Tally {
    let n = |o| r.cases.iter().filter(|c| c.outcome == o).count();
    (
        n(Outcome::Passed),
        n(Outcome::Failed),
        n(Outcome::Errored),
        n(Outcome::Skipped),
    )
}

#[test]
fn every_real_report_reads_with_the_runners_own_counts() {
    // (file, passed, failed, errored, skipped, run date)
    let want: &[(&str, Tally, Option<&str>)] = &[
        ("nextest-basic.xml", (2, 1, 0, 0), Some("2024-12-02")),
        ("surefire-CalcUtilsTest.xml", (0, 2, 0, 0), None),
        ("nested-multi-level.xml", (3, 0, 0, 0), Some("2024-04-19")),
        ("pytest-report.xml", (1, 2, 0, 0), Some("2020-10-12")),
        ("pytest-xunit.xml", (6, 2, 0, 2), Some("2025-11-15")),
        ("gtest-junit-with-message.xml", (0, 1, 0, 0), None),
        ("jest-junit.xml", (1, 4, 0, 1), Some("2020-10-27")),
        // gotestsum writes Go's zero time when it knows none: no run date.
        ("gotestsum-report.xml", (42, 13, 0, 5), None),
        ("testsuite-in-testsuite.xml", (5, 0, 0, 0), None),
        ("robot-xunit.xml", (2, 1, 0, 1), Some("2026-12-06")),
    ];
    for (file, counts, date) in want {
        let r = report(file);
        assert_eq!(tally(&r), *counts, "{file}");
        assert_eq!(
            r.timestamp.as_ref().map(|t| t.date.to_string()).as_deref(),
            *date,
            "{file}"
        );
    }
    // Properties of a suite reach its test cases (Robot's `Metadata`, pytest's suite property).
    let robot = report("robot-xunit.xml");
    let rate = robot
        .cases
        .iter()
        .find(|c| c.name == "Rate Holds")
        .expect("case");
    assert_eq!(rate.id(), "Pump.Flow.Rate Holds");
    assert!(rate.properties.contains(&("ddf".into(), "VER-001".into())));
    let pytest = report("pytest-xunit.xml");
    assert!(pytest.cases[0]
        .properties
        .contains(&("custom_prop".into(), "custom_val".into())));
}

fn ver(id: &str, extra: &str) -> String {
    format!("---\nid: {id}\ntype: verification\ntitle: Verify {id}\nstatus: draft\nowner: PER-001\nmethod: test\nacceptance_criteria: The tests pass.  # as agreed in DR-001\n{extra}verifies: [DI-001]\n---\nWhat {id} runs.\n")
}

/// A committed DDF whose VERs are served by the Robot Framework report three ways.
fn robot_repo() -> TestRepo {
    let mut t = TestRepo::with_basics();
    t.write("records/DI-001.md", &crate::harness::di("DI-001", "UN-001"));
    t.write("records/UN-001.md", &crate::harness::un("UN-001"));
    // VER-001: the `ddf` property of the Flow suite (Robot `Metadata`).
    t.write(
        "records/VER-001.md",
        &ver(
            "VER-001",
            "result: not-run\nexecuted_on: 2025-01-01\nbaseline: none\nevidence: to do\n",
        ),
    );
    // VER-002: the `[VER-002]` tag in a test name; its fields are added.
    t.write("records/VER-002.md", &ver("VER-002", ""));
    // VER-003: its own `tests:` list, by full id and by name.
    t.write(
        "records/VER-003.md",
        &ver("VER-003", "tests:\n  - Pump.Alarms.Occlusion.Occlusion Alarm Sounds\n  - Occlusion Alarm Clears\n"),
    );
    // VER-004: expects a test the run does not have.
    t.write(
        "records/VER-004.md",
        &ver("VER-004", "tests: [Pump.Flow.Gone]\n"),
    );
    t.write_bytes(
        "results/robot-xunit.xml",
        &std::fs::read(data("robot-xunit.xml")).expect("read"),
    );
    t.git_init();
    t.commit("records");
    t
}

#[test]
fn imports_a_robot_framework_run_by_surgical_edit() {
    let t = robot_repo();
    let head = t.git(&["rev-parse", "HEAD"]).trim().to_string();
    let before = t.read("records/VER-001.md");
    let r = t.ddf(&[
        "verify",
        "import",
        "results/robot-xunit.xml",
        "--baseline",
        "HEAD",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Only the four fields' values change; the comment, the order and the body stay.
    let after = t.read("records/VER-001.md");
    let expect = before
        .replace("result: not-run", "result: fail")
        .replace("executed_on: 2025-01-01", "executed_on: 2026-12-06")
        .replace("baseline: none", &format!("baseline: {head}"))
        .replace(
            "evidence: to do",
            "evidence: { junit: [results/robot-xunit.xml], tests: [\"Pump.Flow.Bolus Limit [VER-002]\", Pump.Flow.Rate Holds] }",
        );
    assert_eq!(after, expect);
    let v2 = t.read("records/VER-002.md");
    assert!(
        v2.contains("result: fail\nexecuted_on: 2026-12-06\n"),
        "{v2}"
    );
    let v3 = t.read("records/VER-003.md");
    assert!(v3.contains("result: inconclusive\n"), "{v3}");
    assert!(
        r.stdout
            .contains("VER-004 (records/VER-004.md): expects Pump.Flow.Gone"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Updated 3 verifications"), "{}", r.stdout);
    // What was written is valid for the schema, and `ddf check` reads it.
    let c = t.ddf(&["check", "--format", "json"]);
    let v = c.json();
    let bad: Vec<_> = v["diagnostics"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|d| {
            d["path"].as_str().is_some_and(|p| {
                ["VER-001", "VER-002", "VER-003"]
                    .iter()
                    .any(|v| p.contains(v))
            }) && matches!(
                d["rule"].as_str(),
                Some("invalid-value" | "missing-field" | "yaml" | "unknown-field")
            )
        })
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    // A second import of the same run changes nothing.
    let again = t.ddf(&[
        "verify",
        "import",
        "results/robot-xunit.xml",
        "--baseline",
        "HEAD",
        "--format",
        "json",
    ]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let j = again.json();
    assert!(
        j["updated"]
            .as_array()
            .expect("list")
            .iter()
            .all(|u| u["edits"].as_array().is_some_and(Vec::is_empty)),
        "{j:#}"
    );
    assert_eq!(t.read("records/VER-001.md"), after);
}

#[test]
fn dry_run_writes_nothing_and_json_is_the_contract() {
    let t = robot_repo();
    let before = t.read("records/VER-002.md");
    let r = t.ddf(&[
        "verify",
        "import",
        "results/robot-xunit.xml",
        "--baseline",
        "main",
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(t.read("records/VER-002.md"), before);
    let j = r.json();
    assert_eq!(j["dry_run"], true);
    assert_eq!(j["files"][0]["path"], "results/robot-xunit.xml");
    assert_eq!(j["files"][0]["tests"], 4);
    let ids: Vec<&str> = j["updated"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, ["VER-001", "VER-002", "VER-003"]);
    assert_eq!(j["updated"][1]["result"], "fail");
    assert_eq!(j["updated"][1]["counts"]["failed"], 1);
    assert_eq!(j["updated"][1]["edits"][0]["field"], "result");
    assert_eq!(j["updated"][1]["edits"][0]["old"], serde_json::Value::Null);
    assert_eq!(j["not_run"][0]["id"], "VER-004");
    assert_eq!(j["unlinked"], serde_json::json!([]));
    assert_eq!(j["unknown"], serde_json::json!([]));
    assert_eq!(j["stale"], serde_json::json!([]));
    let human = t.ddf(&[
        "verify",
        "import",
        "results/robot-xunit.xml",
        "--baseline",
        "main",
        "--dry-run",
    ]);
    assert!(
        human.stdout.contains("Would update 3 verifications"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("      result: (none) -> fail"),
        "{}",
        human.stdout
    );
    assert_eq!(t.read("records/VER-002.md"), before);
}

#[test]
fn a_run_older_than_its_ver_is_not_imported() {
    // The harness commits on 2026-01-01; this nextest run is of 2024-12-02.
    let mut t = TestRepo::with_basics();
    t.write(
        "records/VER-001.md",
        &ver(
            "VER-001",
            "tests: [oxidized_navigation::parry3d.test_simple_navigation]\n",
        ),
    );
    t.write_bytes(
        "nextest.xml",
        &std::fs::read(data("nextest-basic.xml")).expect("read"),
    );
    t.git_init();
    t.commit("VER");
    let before = t.read("records/VER-001.md");
    let r = t.ddf(&[
        "verify",
        "import",
        "nextest.xml",
        "--baseline",
        "HEAD",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let j = r.json();
    assert_eq!(j["stale"][0]["id"], "VER-001");
    assert_eq!(j["stale"][0]["run"], "2024-12-02T20:06:10.512+00:00");
    assert_eq!(j["stale"][0]["changed_at"], "2026-01-01T00:00:00Z");
    assert_eq!(j["updated"], serde_json::json!([]));
    assert_eq!(t.read("records/VER-001.md"), before);
    // The other tests name no VER.
    assert_eq!(
        j["unlinked"],
        serde_json::json!([
            "oxidized_navigation::parry3d.test_annotations",
            "oxidized_navigation::parry3d.test_failure"
        ])
    );
}

#[test]
fn a_run_without_a_time_is_dated_today_and_unknown_ids_fail() {
    let mut t = TestRepo::with_basics();
    t.write(
        "records/VER-001.md",
        &ver("VER-001", "tests: [TestPassed]\n"),
    );
    t.write_bytes(
        "go.xml",
        &std::fs::read(data("gotestsum-report.xml")).expect("read"),
    );
    t.write(
        "tagged.xml",
        "<testsuite name=\"s\"><testcase name=\"a\"><properties><property name=\"ddf\" value=\"VER-777\"/></properties></testcase></testsuite>\n",
    );
    t.git_init();
    t.commit("VER");
    let r = t.ddf(&[
        "verify",
        "import",
        "go.xml",
        "tagged.xml",
        "--baseline",
        "HEAD",
    ]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("VER-777 (no record): named by a"),
        "{}",
        r.stdout
    );
    let v = t.read("records/VER-001.md");
    // gotestsum's TestPassed is in three packages' suites (a bare name matches each); all
    // passed. Go's zero time: today.
    assert!(v.contains("result: pass\nexecuted_on: 2026-06-01\n"), "{v}");
    assert!(
        v.contains("evidence: { junit: [go.xml], tests: [gotest.tools/gotestsum/testjson/internal/good.TestPassed, gotest.tools/gotestsum/testjson/internal/parallelfails.TestPassed, gotest.tools/gotestsum/testjson/internal/withfails.TestPassed] }"),
        "{v}"
    );
    assert!(r.stdout.contains("gives no time"), "{}", r.stdout);
}

#[test]
fn the_baseline_comes_from_the_flag_or_the_report_or_is_refused() {
    let mut t = TestRepo::with_basics();
    t.write("records/VER-001.md", &ver("VER-001", ""));
    t.git_init();
    let head = t.commit("VER");
    let run = |props: &str| {
        format!("<testsuites timestamp=\"2026-05-01T00:00:00Z\"><testsuite name=\"s\">{props}<testcase name=\"t [VER-001]\"/></testsuite></testsuites>\n")
    };
    t.write("none.xml", &run(""));
    let r = t.ddf(&["verify", "import", "none.xml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no baseline"), "{}", r.stderr);
    assert!(
        r.stderr.contains("hint: give --baseline REV"),
        "{}",
        r.stderr
    );
    t.write(
        "prop.xml",
        &run(&format!(
            "<properties><property name=\"ddf.baseline\" value=\"{}\"/></properties>",
            &head[..10]
        )),
    );
    let r = t.ddf(&["verify", "import", "prop.xml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(t
        .read("records/VER-001.md")
        .contains(&format!("baseline: {head}\n")));
    let r = t.ddf(&[
        "verify",
        "import",
        "none.xml",
        "--baseline",
        "no-such-branch",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no-such-branch"), "{}", r.stderr);
    // Two reports that disagree.
    t.write(
        "other.xml",
        &run("<properties><property name=\"ddf.baseline\" value=\"main\"/></properties>"),
    );
    let r = t.ddf(&["verify", "import", "prop.xml", "other.xml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("disagree"), "{}", r.stderr);
}

#[test]
fn bad_reports_are_named_with_line_and_column() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.commit("base");
    t.write(
        "broken.xml",
        "<testsuites>\n  <testsuite name=\"s\">\n</testsuites>\n",
    );
    let r = t.ddf(&["verify", "import", "broken.xml", "--baseline", "HEAD"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken.xml:3:"), "{}", r.stderr);
    t.write("page.xml", "<html/>");
    let r = t.ddf(&["verify", "import", "page.xml", "--baseline", "HEAD"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("page.xml:1:1: the root element is <html>"),
        "{}",
        r.stderr
    );
    t.write_bytes("latin1.xml", b"<testsuite name=\"caf\xe9\"/>");
    let r = t.ddf(&["verify", "import", "latin1.xml", "--baseline", "HEAD"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("latin1.xml:1:"), "{}", r.stderr);
    let r = t.ddf(&["verify", "import", "missing.xml", "--baseline", "HEAD"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.xml"), "{}", r.stderr);
    let r = t.ddf(&["verify", "import", "records", "--baseline", "HEAD"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a regular file"), "{}", r.stderr);
}

#[test]
fn a_large_import_is_written_as_a_batch() {
    // More VERs than the batch threshold (64): written without a per-file fsync, then flushed.
    let mut t = TestRepo::with_basics();
    let mut xml =
        String::from("<testsuites timestamp=\"2026-05-01T00:00:00Z\"><testsuite name=\"s\">");
    for i in 1..=70 {
        t.write(
            &format!("records/VER-{i:03}.md"),
            &ver(&format!("VER-{i:03}"), ""),
        );
        xml.push_str(&format!(
            "<testcase classname=\"c\" name=\"t{i} [VER-{i:03}]\"/>"
        ));
    }
    xml.push_str("</testsuite></testsuites>\n");
    t.write("run.xml", &xml);
    t.git_init();
    t.commit("VERs");
    let r = t.ddf(&["verify", "import", "run.xml", "--baseline", "HEAD"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for i in 1..=70 {
        let v = t.read(&format!("records/VER-{i:03}.md"));
        assert!(v.contains("result: pass\nexecuted_on: 2026-05-01\n"), "{v}");
        assert!(v.ends_with(&format!("---\nWhat VER-{i:03} runs.\n")), "{v}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(t.path("records"))
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left");
}
