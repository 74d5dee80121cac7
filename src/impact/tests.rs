//! Unit tests of the assessment on corpora built in memory.

use super::*;
use crate::config::Config;
use crate::source::SourceFile;

fn corpus(files: &[(&str, &str)]) -> Corpus {
    let config = Config::new("Test").expect("config");
    let files = files
        .iter()
        .map(|(p, t)| SourceFile {
            path: p.to_string(),
            content: Ok(t.as_bytes().to_vec()),
        })
        .collect();
    Corpus::from_files("test".into(), config, Vec::new(), files)
}

fn rec(id: &str, ty: &str, extra: &str, body: &str) -> String {
    format!("---\nid: {id}\ntype: {ty}\ntitle: T {id}\nstatus: draft\nowner: PER-001\n{extra}---\n{body}")
}

fn base_files() -> Vec<(String, String)> {
    vec![
        (
            "records/UN-001.md".into(),
            rec("UN-001", "user-need", "source: user\n", "Need.\n"),
        ),
        (
            "records/DI-001.md".into(),
            rec(
                "DI-001",
                "design-input",
                "category: functional\ntraces_to: [UN-001]\n",
                "Flow.\n",
            ),
        ),
        (
            "records/DI-002.md".into(),
            rec(
                "DI-002",
                "design-input",
                "category: functional\ntraces_to: [UN-001]\n",
                "Other.\n",
            ),
        ),
        (
            "records/DO-001.md".into(),
            rec(
                "DO-001",
                "design-output",
                "artifacts: [\"src/pump/**\"]\nsatisfies: [DI-001]\n",
                "",
            ),
        ),
        (
            "records/VER-001.md".into(),
            rec("VER-001", "verification", "verifies: [DO-001]\n", ""),
        ),
        (
            "records/VER-002.md".into(),
            rec("VER-002", "verification", "verifies: [DI-002]\n", ""),
        ),
    ]
}

fn run(base: &[(String, String)], head: &[(String, String)], files: &[&str]) -> Impact {
    let b: Vec<(&str, &str)> = base.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let h: Vec<(&str, &str)> = head.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (b, h) = (corpus(&b), corpus(&h));
    let (bg, hg) = (Graph::build(&b), Graph::build(&h));
    assess(
        Side {
            corpus: &b,
            graph: &bg,
        },
        Side {
            corpus: &h,
            graph: &hg,
        },
        "base".into(),
        "worktree".into(),
        files.iter().map(|s| s.to_string()).collect(),
    )
}

#[test]
fn no_change_is_empty_and_unlikely() {
    let b = base_files();
    let i = run(&b, &b, &[]);
    assert!(i.is_empty());
    assert!(i.impacted.is_empty());
    assert_eq!(i.cyber_impact, CyberClass::UnlikelyToImpact);
}

#[test]
fn a_modified_input_reaches_up_and_down_but_never_sideways() {
    let b = base_files();
    let mut h = b.clone();
    h[1].1 = h[1].1.replace("Flow.", "Flow, faster.");
    let i = run(&b, &h, &["records/DI-001.md"]);
    assert_eq!(i.changed.len(), 1);
    assert_eq!(i.changed[0].change, ChangeKind::Modified);
    assert!(i.changed[0].fields.is_empty());
    assert!(i.changed[0].body_diff.contains("+Flow, faster."));
    let got: Vec<(String, Direction, Vec<String>)> = i
        .impacted
        .iter()
        .map(|m| (m.id.clone(), m.direction, m.via.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "DO-001".into(),
                Direction::Downstream,
                vec!["DI-001".into(), "DO-001".into()]
            ),
            (
                "UN-001".into(),
                Direction::Upstream,
                vec!["DI-001".into(), "UN-001".into()]
            ),
            (
                "VER-001".into(),
                Direction::Downstream,
                vec!["DI-001".into(), "DO-001".into(), "VER-001".into()]
            ),
        ],
        "DI-002 and VER-002 are siblings through UN-001: not reached"
    );
    let stale: Vec<&str> = i
        .stale_verifications
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(stale, ["VER-001"]);
    assert_eq!(i.cyber_impact, CyberClass::UnlikelyToImpact);
}

#[test]
fn artifact_only_change_makes_the_do_verification_stale() {
    let b = base_files();
    let i = run(&b, &b, &["src/pump/dose.c"]);
    assert!(i.changed.is_empty());
    assert_eq!(i.artifact_changes.len(), 1);
    assert_eq!(i.artifact_changes[0].id, "DO-001");
    assert!(i.artifact_changes[0].record_unchanged);
    let stale: Vec<&str> = i
        .stale_verifications
        .iter()
        .map(|a| a.id.as_str())
        .collect();
    assert_eq!(stale, ["VER-001"]);
}

#[test]
fn threats_and_interfaces_may_impact_with_reasons() {
    let b = base_files();
    let mut h = b.clone();
    h.push((
        "records/DI-003.md".into(),
        rec(
            "DI-003",
            "design-input",
            "category: interface\ntraces_to: [UN-001]\n",
            "BLE.\n",
        ),
    ));
    let i = run(&b, &h, &["records/DI-003.md", "src/ota/client.c"]);
    assert_eq!(i.cyber_impact, CyberClass::MayImpact);
    assert_eq!(
        i.cyber_reasons,
        vec![
            "(c) a connectivity / interface design input: DI-003 added".to_string(),
            "(e) src/ota/client.c changed, on the update path".to_string(),
        ]
    );
    let why = rationale_text(&i);
    assert!(
        why.starts_with("May impact cybersecurity (proposed by ddf impact "),
        "{why}"
    );
    assert!(
        why.contains(": (c) a connectivity / interface design input: DI-003 added; (e) src/ota/client.c changed, on the update path."),
        "{why}"
    );
    // Without those files the same change is unlikely to impact, and the rationale names every
    // criterion it was checked against.
    let i = run(&b, &b, &[]);
    assert_eq!(i.cyber_impact, CyberClass::UnlikelyToImpact);
    let why = rationale_text(&i);
    assert!(why.starts_with("Unlikely to impact cybersecurity"), "{why}");
    for c in ["(a)", "(b)", "(c)", "(d)", "(e)"] {
        assert!(why.contains(c), "{c} in {why}");
    }
}

#[test]
fn removal_and_rename_are_matched_by_id() {
    let b = base_files();
    let mut h = b.clone();
    h.retain(|(p, _)| p != "records/VER-002.md");
    h[1].0 = "records/inputs/DI-001.md".into();
    let i = run(&b, &h, &[]);
    let got: Vec<(&str, ChangeKind)> = i
        .changed
        .iter()
        .map(|c| (c.id.as_str(), c.change))
        .collect();
    assert_eq!(
        got,
        [
            ("DI-001", ChangeKind::Renamed),
            ("VER-002", ChangeKind::Removed)
        ]
    );
    assert_eq!(i.changed[0].old_path.as_deref(), Some("records/DI-001.md"));
    // The removed VER is walked on the base graph: DI-002 and UN-001 are upstream of it.
    assert!(i
        .impacted
        .iter()
        .any(|m| m.id == "DI-002" && m.via == ["VER-002", "DI-002"]));
}

#[test]
fn base_derived_from_head_equals_base_loaded_in_full() {
    let b = base_files();
    let mut h = b.clone();
    h[1].1 = h[1].1.replace("Flow.", "Flow 2.");
    h.retain(|(p, _)| p != "records/VER-002.md");
    h.push((
        "records/UN-002.md".into(),
        rec("UN-002", "user-need", "source: user\n", ""),
    ));
    let bv: Vec<(&str, &str)> = b.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let hv: Vec<(&str, &str)> = h.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let (full, head) = (corpus(&bv), corpus(&hv));
    let changed: BTreeSet<String> = [
        "records/DI-001.md",
        "records/VER-002.md",
        "records/UN-002.md",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let files = b
        .iter()
        .filter(|(p, _)| changed.contains(p))
        .map(|(p, t)| SourceFile {
            path: p.clone(),
            content: Ok(t.as_bytes().to_vec()),
        })
        .collect();
    let derived = head.derive("base".into(), &changed, files);
    let key = |c: &Corpus| -> Vec<(String, String, String)> {
        c.records
            .iter()
            .map(|r| (r.path.clone(), r.id.clone(), r.blob.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    assert_eq!(key(&derived), key(&full));
    assert_eq!(derived.by_id.len(), full.by_id.len());
    assert_eq!(
        changed_records(&derived, &head).len(),
        changed_records(&full, &head).len()
    );
}

#[test]
fn artifact_matches_list_each_file_once_per_do_in_diff_order() {
    let c = corpus(&[
        (
            "records/DO-002.md",
            &rec(
                "DO-002",
                "design-output",
                "artifacts: [\"src/**/*.c\", \"src/pump/**\"]\n",
                "",
            ),
        ),
        (
            "records/DO-001.md",
            &rec(
                "DO-001",
                "design-output",
                "artifacts: [\"src/pump/**\"]\n",
                "",
            ),
        ),
        (
            "records/DO-003.md",
            &rec(
                "DO-003",
                "design-output",
                "artifacts: [\"src/[\", \"src/**\"]\n",
                "",
            ),
        ),
        (
            "records/DO-004.md",
            &rec("DO-004", "design-output", "artifacts: [\"doc/**\"]\n", ""),
        ),
    ]);
    let dos: BTreeMap<&str, &Record> = c.records.iter().map(|r| (r.id.as_str(), r)).collect();
    let files = vec!["src/pump/a.c".to_string(), "src/ui/b.c".to_string()];
    let m = artifact_matches(&dos, &files);
    // DO-003 has a glob that does not parse and DO-004 matches nothing: left out.
    assert_eq!(
        m.into_iter().collect::<Vec<_>>(),
        [
            ("DO-001", vec!["src/pump/a.c".to_string()]),
            ("DO-002", files.clone()),
        ]
    );
    assert!(artifact_matches(&dos, &[]).is_empty());
}
