//! Test results to verifications: which JUnit test cases serve which VER, the result, date,
//! baseline and evidence each VER gets from them, and the surgical edits that write those four
//! fields (docs/verify.md is the contract).
//!
//! A test case names the VERs it serves in three ways, all counted:
//! - a `<property name="ddf" value="VER-012, VER-013"/>` on the test case or on a test suite
//!   around it;
//! - a tag `[VER-012]` in its name (only ids of the verification prefix count, so pytest's
//!   parameter ids such as `test_x[a-1]` are not mistaken for one);
//! - an entry of a VER's own `tests:` list that equals the test's id (`classname.name`, or
//!   `name` when it has no class name) or its `name` alone.
//!
//! Nothing here reads or writes a file: the command line gives the parsed reports and the
//! history, and writes the edited texts this module returns.

use super::junit::{Outcome, Report, Timestamp};
use crate::corpus::Corpus;
use crate::date::Date;
use crate::record::Record;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The property a test case or test suite names its VERs with.
pub const VER_PROPERTY: &str = "ddf";
/// The property a report may give the commit it tested with.
pub const BASELINE_PROPERTY: &str = "ddf.baseline";
/// The fields an import writes; every other line of a VER stays as it was.
pub const FIELDS: [&str; 4] = ["result", "executed_on", "baseline", "evidence"];

/// One report file and how it is named in the evidence.
#[derive(Debug, Clone)]
pub struct Run {
    /// The path written in `evidence` (relative to the DDF root when the file is inside it).
    pub path: String,
    /// Its parsed content.
    pub report: Report,
}

/// Tallies of a VER's test cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Ended in an error.
    pub errored: usize,
    /// Skipped or not run.
    pub skipped: usize,
}

impl Counts {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Errored => self.errored += 1,
            Outcome::Skipped => self.skipped += 1,
        }
    }
}

/// The evidence an import writes: the report files and the ids of the VER's test cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The report files that held its test cases.
    pub junit: Vec<String>,
    /// Their ids, sorted.
    pub tests: Vec<String>,
}

impl Evidence {
    /// The YAML flow mapping written as the value of `evidence`.
    pub fn render(&self) -> String {
        use crate::sbom::edit::list;
        format!(
            "{{ junit: {}, tests: {} }}",
            list(&self.junit),
            list(&self.tests)
        )
    }
}

/// One field's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldEdit {
    /// The field.
    pub field: &'static str,
    /// Its value before, as YAML text (`None`: absent).
    pub old: Option<String>,
    /// Its value after, as written.
    pub new: String,
}

/// What one VER gets from the run.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    /// The VER id.
    pub id: String,
    /// Its file, relative to the DDF root.
    pub path: String,
    /// `pass`, `fail` or `inconclusive`.
    pub result: &'static str,
    /// The date written in `executed_on`.
    pub executed_on: String,
    /// The commit written in `baseline`.
    pub baseline: String,
    /// What is written in `evidence`.
    pub evidence: Evidence,
    /// Its test cases' outcomes.
    pub counts: Counts,
    /// Entries of its `tests:` list that matched no test case of the run.
    pub missing: Vec<String>,
    /// The fields whose value changes (empty: the record already says this).
    pub edits: Vec<FieldEdit>,
}

/// A test that names an id that is not a VER the run can update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unknown {
    /// The id as written.
    pub id: String,
    /// `no record`, `not a verification`, `obsolete` or `not a record id`.
    pub reason: &'static str,
    /// The tests that name it (up to 20).
    pub tests: Vec<String>,
}

/// A VER that expects tests none of which ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotRun {
    /// The VER id.
    pub id: String,
    /// Its file.
    pub path: String,
    /// The test ids it expects (its `tests:`, else those of its last imported evidence).
    pub expected: Vec<String>,
}

/// A VER whose content changed after the run started: the run did not test what it now says,
/// so it is not updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stale {
    /// The VER id.
    pub id: String,
    /// Its file.
    pub path: String,
    /// When the (oldest) run of its tests started.
    pub run: String,
    /// The commit of the VER's last content change.
    pub changed_in: String,
    /// That commit's date (committer time, UTC).
    pub changed_at: String,
}

/// Everything an import found and would write: the `verify import --format json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The commit the run tested.
    pub baseline: String,
    /// The report files, with their test counts and run time.
    pub files: Vec<FileSummary>,
    /// The VERs updated (or that would be), sorted by id.
    pub updated: Vec<Update>,
    /// Test ids that name no VER, sorted.
    pub unlinked: Vec<String>,
    /// Ids named by tests that are not VERs this run can update, sorted.
    pub unknown: Vec<Unknown>,
    /// VERs whose tests did not run, sorted.
    pub not_run: Vec<NotRun>,
    /// VERs not updated because their content is newer than the run, sorted.
    pub stale: Vec<Stale>,
    /// Why the age of the runs could not be judged, for some or all VERs (empty: it was).
    pub notes: Vec<String>,
}

impl Plan {
    /// Whether something needs a person: a test names something that is not a VER, or a run
    /// is older than a VER's content.
    pub fn has_problems(&self) -> bool {
        !self.unknown.is_empty() || !self.stale.is_empty()
    }
}

/// One report file in the plan.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    /// The path as written in evidence.
    pub path: String,
    /// Its number of test cases.
    pub tests: usize,
    /// When the run started, as the file writes it.
    pub timestamp: Option<String>,
}

/// The commit a set of reports says it tested (`ddf.baseline` property): `Ok(None)` when none
/// says, an error naming both when two say different things.
pub fn baseline_of(runs: &[Run]) -> Result<Option<String>, String> {
    let mut found: Option<(String, &str)> = None;
    for run in runs {
        for (name, value) in &run.report.suite_properties {
            if name != BASELINE_PROPERTY || value.is_empty() {
                continue;
            }
            match &found {
                Some((v, _)) if v == value => {}
                Some((v, path)) => {
                    return Err(format!(
                        "{path} says it tested {v} and {} says {value}",
                        run.path
                    ))
                }
                None => found = Some((value.clone(), &run.path)),
            }
        }
    }
    Ok(found.map(|(v, _)| v))
}

/// The last content change of a record: a commit and its committer time. Changes that touch
/// only the fields an import writes do not count (they record a run, not what was to be run).
pub fn last_content_change(history: &crate::history::History, id: &str) -> Option<(String, i64)> {
    use crate::history::ChangeKind;
    history
        .of_record(id)
        .into_iter()
        .find(|(_, ch)| match ch.kind {
            ChangeKind::Added | ChangeKind::Removed => true,
            ChangeKind::Modified | ChangeKind::Renamed => {
                ch.body_changed || ch.fields.iter().any(|f| !FIELDS.contains(&f.name.as_str()))
            }
        })
        .map(|(c, _)| (c.id.clone(), c.committer_time))
}

/// The ids a test case names through the `ddf` property and `[VER-012]` tags in its name;
/// tokens of the property that are not ids come back in `bad`.
fn named_ids(
    case: &super::junit::TestCase,
    prefixes: &[String],
    ids: &mut Vec<String>,
    bad: &mut Vec<String>,
) {
    for (name, value) in &case.properties {
        if name != VER_PROPERTY {
            continue;
        }
        for token in value
            .split([',', ';', ' ', '\t', '\n'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if crate::rules::structure::is_valid_id(token) {
                ids.push(token.to_string());
            } else {
                bad.push(token.to_string());
            }
        }
    }
    let mut rest = case.name.as_str();
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let inner = &rest[..close];
        if crate::rules::structure::is_valid_id(inner)
            && prefixes
                .iter()
                .any(|p| inner.split_once('-').is_some_and(|(pre, _)| pre == p))
        {
            ids.push(inner.to_string());
        }
        rest = &rest[close + 1..];
    }
}

/// The entries of a VER's `tests:` list (a single id is taken as a list of one).
fn listed_tests(r: &Record) -> Vec<String> {
    match r.get("tests") {
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .filter_map(crate::record::scalar_text)
            .collect(),
        Some(v) => crate::record::scalar_text(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The test ids a VER expected from an earlier import: `evidence.tests` when `evidence` is the
/// mapping an import writes.
fn imported_tests(r: &Record) -> Vec<String> {
    match r.get("evidence") {
        Some(serde_yaml::Value::Mapping(m)) if m.contains_key("junit") => m
            .get("tests")
            .and_then(|t| t.as_sequence())
            .map(|s| s.iter().filter_map(crate::record::scalar_text).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A field's current value as YAML text, for showing what changes.
fn current(r: &Record, field: &str) -> Option<String> {
    let v = r.get(field)?;
    crate::record::scalar_text(v).or_else(|| serde_json::to_string(v).ok())
}

/// Plans an import of `runs` into the VERs of `corpus`: which VERs get which result, and what
/// is reported. `history` judges whether a run is older than a VER's content (`None`: no Git
/// history, said in `notes`).
pub fn plan(
    corpus: &Corpus,
    runs: &[Run],
    baseline: &str,
    today: Date,
    history: Option<&crate::history::History>,
) -> Plan {
    let prefixes: Vec<String> = corpus
        .config
        .schema
        .types
        .get("verification")
        .map(|t| vec![t.prefix.clone()])
        .unwrap_or_else(|| vec!["VER".to_string()]);
    // `tests:` entries -> the VERs listing them.
    let mut listed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let vers: Vec<usize> = corpus.records_of("verification").to_vec();
    for &vi in &vers {
        let r = &corpus.records[vi];
        if r.status() == "obsolete" {
            continue;
        }
        for entry in listed_tests(r) {
            listed.entry(entry).or_default().push(vi);
        }
    }
    // VER record index -> (run, case) pairs; entries of `tests:` that matched.
    let mut served: BTreeMap<usize, BTreeSet<(usize, usize)>> = BTreeMap::new();
    let mut matched_entries: BTreeSet<&str> = BTreeSet::new();
    let listed = &listed;
    let mut unlinked: BTreeSet<String> = BTreeSet::new();
    let mut unknown: BTreeMap<(String, &'static str), BTreeSet<String>> = BTreeMap::new();
    let mut ids = Vec::new();
    let mut bad = Vec::new();
    for (ri, run) in runs.iter().enumerate() {
        for (ci, case) in run.report.cases.iter().enumerate() {
            ids.clear();
            bad.clear();
            named_ids(case, &prefixes, &mut ids, &mut bad);
            let test_id = case.id();
            let mut targets: Vec<usize> = Vec::new();
            for key in [test_id.as_str(), case.name.as_str()] {
                if let Some((entry, vs)) = listed.get_key_value(key) {
                    matched_entries.insert(entry.as_str());
                    targets.extend(vs);
                }
            }
            for id in &ids {
                let reason = match corpus.get(id) {
                    None => Some("no record"),
                    Some(r) if r.type_name != "verification" => Some("not a verification"),
                    Some(r) if r.status() == "obsolete" => Some("obsolete"),
                    Some(_) => None,
                };
                match reason {
                    Some(reason) => {
                        unknown
                            .entry((id.clone(), reason))
                            .or_default()
                            .insert(test_id.clone());
                    }
                    None => {
                        if let Some(&vi) = corpus.by_id.get(id) {
                            targets.push(vi);
                        }
                    }
                }
            }
            for b in &bad {
                unknown
                    .entry((b.clone(), "not a record id"))
                    .or_default()
                    .insert(test_id.clone());
            }
            if targets.is_empty() && ids.is_empty() && bad.is_empty() {
                unlinked.insert(test_id);
                continue;
            }
            for vi in targets {
                served.entry(vi).or_default().insert((ri, ci));
            }
        }
    }

    let mut updated = Vec::new();
    let mut not_run = Vec::new();
    let mut stale = Vec::new();
    let mut notes = BTreeSet::new();
    if history.is_none() {
        notes.insert(
            "no Git history: whether a run is older than its VER's content was not judged"
                .to_string(),
        );
    }
    for &vi in &vers {
        let r = &corpus.records[vi];
        if r.status() == "obsolete" {
            continue;
        }
        let entries = listed_tests(r);
        let Some(cases) = served.get(&vi) else {
            let expected = if entries.is_empty() {
                imported_tests(r)
            } else {
                entries
            };
            if !expected.is_empty() {
                not_run.push(NotRun {
                    id: r.id.clone(),
                    path: r.path.clone(),
                    expected,
                });
            }
            continue;
        };
        let missing: Vec<String> = entries
            .iter()
            .filter(|e| !matched_entries.contains(e.as_str()))
            .cloned()
            .collect();
        let mut counts = Counts::default();
        let mut files = BTreeSet::new();
        let mut tests = BTreeSet::new();
        let mut newest: Option<&Timestamp> = None;
        let mut oldest: Option<&Timestamp> = None;
        let mut untimed = false;
        for &(ri, ci) in cases {
            let run = &runs[ri];
            let case = &run.report.cases[ci];
            counts.add(case.outcome);
            files.insert(run.path.clone());
            tests.insert(case.id());
            match &run.report.timestamp {
                Some(t) => {
                    if newest.is_none_or(|n| t.unix > n.unix) {
                        newest = Some(t);
                    }
                    if oldest.is_none_or(|o| t.unix < o.unix) {
                        oldest = Some(t);
                    }
                }
                None => untimed = true,
            }
        }
        let result = if counts.failed + counts.errored > 0 {
            "fail"
        } else if counts.skipped > 0 || !missing.is_empty() {
            "inconclusive"
        } else {
            "pass"
        };
        if let Some(h) = history {
            match (oldest, last_content_change(h, &r.id)) {
                (Some(run), Some((commit, at))) if run.unix < at => {
                    stale.push(Stale {
                        id: r.id.clone(),
                        path: r.path.clone(),
                        run: run.text.clone(),
                        changed_in: commit,
                        changed_at: format_utc(at),
                    });
                    continue;
                }
                (_, None) => {
                    notes.insert(format!(
                        "{} has no committed history, so whether the run is older than its content was not judged",
                        r.id
                    ));
                }
                _ => {}
            }
            if untimed {
                notes.insert(format!(
                    "a report holding tests of {} gives no time, so its age was not judged",
                    r.id
                ));
            }
        }
        let executed_on = newest.map_or(today, |t| t.date).to_string();
        let evidence = Evidence {
            junit: files.into_iter().collect(),
            tests: tests.into_iter().collect(),
        };
        let new_values = [
            ("result", result.to_string()),
            ("executed_on", executed_on.clone()),
            ("baseline", crate::sbom::edit::scalar(baseline, false)),
            ("evidence", evidence.render()),
        ];
        let edits = new_values
            .iter()
            .filter_map(|(field, new)| {
                let old = current(r, field);
                let same = match *field {
                    "evidence" => imported_evidence(r).as_ref() == Some(&evidence),
                    "baseline" => old.as_deref() == Some(baseline),
                    _ => old.as_deref() == Some(new.as_str()),
                };
                (!same).then(|| FieldEdit {
                    field,
                    old,
                    new: new.clone(),
                })
            })
            .collect();
        updated.push(Update {
            id: r.id.clone(),
            path: r.path.clone(),
            result,
            executed_on,
            baseline: baseline.to_string(),
            evidence,
            counts,
            missing,
            edits,
        });
    }
    updated.sort_by(|a, b| a.id.cmp(&b.id));
    not_run.sort_by(|a, b| a.id.cmp(&b.id));
    stale.sort_by(|a, b| a.id.cmp(&b.id));
    Plan {
        dry_run: false,
        baseline: baseline.to_string(),
        files: runs
            .iter()
            .map(|r| FileSummary {
                path: r.path.clone(),
                tests: r.report.cases.len(),
                timestamp: r.report.timestamp.as_ref().map(|t| t.text.clone()),
            })
            .collect(),
        updated,
        unlinked: unlinked.into_iter().collect(),
        unknown: unknown
            .into_iter()
            .map(|((id, reason), tests)| Unknown {
                id,
                reason,
                tests: tests.into_iter().take(20).collect(),
            })
            .collect(),
        not_run,
        stale,
        notes: notes.into_iter().collect(),
    }
}

/// The evidence an earlier import wrote, when `evidence` is that mapping.
fn imported_evidence(r: &Record) -> Option<Evidence> {
    let serde_yaml::Value::Mapping(m) = r.get("evidence")? else {
        return None;
    };
    let list = |k: &str| -> Option<Vec<String>> {
        Some(
            m.get(k)?
                .as_sequence()?
                .iter()
                .filter_map(crate::record::scalar_text)
                .collect(),
        )
    };
    Some(Evidence {
        junit: list("junit")?,
        tests: list("tests")?,
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a Unix time.
fn format_utc(secs: i64) -> String {
    let day = secs.div_euclid(86_400);
    let s = secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Date::from_unix(day * 86_400),
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// The record text `text` with the update's fields set: only the lines of those four fields
/// change; everything else is kept byte for byte.
pub fn apply(text: &str, update: &Update) -> Result<String, crate::sbom::edit::EditError> {
    let fields: Vec<(String, String)> = update
        .edits
        .iter()
        .map(|e| (e.field.to_string(), e.new.clone()))
        .collect();
    crate::sbom::edit::set_fields(text, &fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::junit;

    fn corpus(records: &[(&str, &str)]) -> Corpus {
        let mut files: Vec<(String, String)> = vec![("ddf.yaml".into(), "project: T\n".into())];
        for (id, extra) in records {
            let ty = if id.starts_with("VER") {
                "verification"
            } else {
                "design-input"
            };
            files.push((
                format!("records/{id}.md"),
                format!("---\nid: {id}\ntype: {ty}\ntitle: t\nstatus: draft\nowner: PER-001\n{extra}---\n"),
            ));
        }
        crate::rules::testing::corpus("project: T\n", &files[1..])
    }

    fn run(xml: &str) -> Run {
        Run {
            path: "junit.xml".into(),
            report: junit::parse(xml).expect("parses"),
        }
    }

    const XML: &str = r#"<testsuites timestamp="2026-03-04T05:06:07Z">
<testsuite name="s">
  <testcase classname="pump.Flow" name="rate_holds"/>
  <testcase classname="pump.Flow" name="bolus [VER-002]"><failure/></testcase>
  <testcase classname="pump.Flow" name="occlusion"><properties><property name="ddf" value="VER-003, VER-404, DI-001, nope"/></properties></testcase>
  <testcase classname="pump.Flow" name="skipped_one"><skipped/></testcase>
  <testcase classname="pump.Flow" name="param[a-1]"/>
</testsuite></testsuites>"#;

    #[test]
    fn maps_tests_to_vers_three_ways() {
        let c = corpus(&[
            ("VER-001", "tests: [pump.Flow.rate_holds]\n"),
            ("VER-002", ""),
            ("VER-003", "tests: [skipped_one]\n"),
            ("VER-004", "tests: [pump.Flow.gone]\n"),
            ("DI-001", ""),
        ]);
        let p = plan(
            &c,
            &[run(XML)],
            "abc123",
            Date::parse("2026-05-05").expect("d"),
            None,
        );
        let got: Vec<(&str, &str, Counts)> = p
            .updated
            .iter()
            .map(|u| (u.id.as_str(), u.result, u.counts))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "VER-001",
                    "pass",
                    Counts {
                        passed: 1,
                        ..Counts::default()
                    }
                ),
                (
                    "VER-002",
                    "fail",
                    Counts {
                        failed: 1,
                        ..Counts::default()
                    }
                ),
                (
                    "VER-003",
                    "inconclusive",
                    Counts {
                        passed: 1,
                        skipped: 1,
                        ..Counts::default()
                    }
                ),
            ]
        );
        assert_eq!(p.updated[0].executed_on, "2026-03-04");
        assert_eq!(
            p.updated[2].evidence.tests,
            vec!["pump.Flow.occlusion", "pump.Flow.skipped_one"]
        );
        assert_eq!(p.unlinked, vec!["pump.Flow.param[a-1]"]);
        let unknown: Vec<(&str, &str)> = p
            .unknown
            .iter()
            .map(|u| (u.id.as_str(), u.reason))
            .collect();
        assert_eq!(
            unknown,
            vec![
                ("DI-001", "not a verification"),
                ("VER-404", "no record"),
                ("nope", "not a record id")
            ]
        );
        assert_eq!(p.not_run.len(), 1);
        assert_eq!(p.not_run[0].id, "VER-004");
        assert!(p.has_problems());
        assert_eq!(p.notes.len(), 1, "no history said");
    }

    #[test]
    fn a_listed_test_that_did_not_run_makes_it_inconclusive() {
        let c = corpus(&[(
            "VER-001",
            "tests: [pump.Flow.rate_holds, pump.Flow.absent]\n",
        )]);
        let p = plan(
            &c,
            &[run(XML)],
            "abc",
            Date::parse("2026-05-05").expect("d"),
            None,
        );
        assert_eq!(p.updated[0].result, "inconclusive");
        assert_eq!(p.updated[0].missing, vec!["pump.Flow.absent"]);
    }

    #[test]
    fn edits_only_the_four_fields_and_nothing_when_unchanged() {
        let c = corpus(&[(
            "VER-001",
            "# why\ntests: [pump.Flow.rate_holds]\nresult: fail  # was red\nmethod: test\n",
        )]);
        let p = plan(
            &c,
            &[run(XML)],
            "abc",
            Date::parse("2026-05-05").expect("d"),
            None,
        );
        let u = &p.updated[0];
        let text = "---\nid: VER-001\ntype: verification\ntitle: t\nstatus: draft\nowner: PER-001\n# why\ntests: [pump.Flow.rate_holds]\nresult: fail  # was red\nmethod: test\n---\nBody.\n";
        let out = apply(text, u).expect("edits");
        assert_eq!(
            out,
            "---\nid: VER-001\ntype: verification\ntitle: t\nstatus: draft\nowner: PER-001\n# why\ntests: [pump.Flow.rate_holds]\nresult: pass  # was red\nmethod: test\nexecuted_on: 2026-03-04\nbaseline: abc\nevidence: { junit: [junit.xml], tests: [pump.Flow.rate_holds] }\n---\nBody.\n"
        );
        // Imported again: nothing changes.
        let c = corpus(&[("VER-001", "tests: [pump.Flow.rate_holds]\nresult: pass\nexecuted_on: 2026-03-04\nbaseline: abc\nevidence: { junit: [junit.xml], tests: [pump.Flow.rate_holds] }\n")]);
        let p = plan(
            &c,
            &[run(XML)],
            "abc",
            Date::parse("2026-05-05").expect("d"),
            None,
        );
        assert!(p.updated[0].edits.is_empty(), "{:?}", p.updated[0].edits);
    }

    #[test]
    fn baselines_from_the_files() {
        let a = run(
            r#"<testsuites><properties><property name="ddf.baseline" value="abc"/></properties></testsuites>"#,
        );
        let b = run(
            r#"<testsuite><properties><property name="ddf.baseline" value="def"/></properties></testsuite>"#,
        );
        assert_eq!(
            baseline_of(std::slice::from_ref(&a)),
            Ok(Some("abc".into()))
        );
        assert_eq!(baseline_of(&[run("<testsuites/>")]), Ok(None));
        assert!(baseline_of(&[a, b]).is_err());
    }

    #[test]
    fn utc_format() {
        assert_eq!(format_utc(1_733_169_970), "2024-12-02T20:06:10Z");
    }
}
