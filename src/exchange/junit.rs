//! JUnit XML test reports: the test cases of one run, with their outcome, properties and time.
//!
//! JUnit XML has no single standard; each runner writes its own dialect. What ddf reads is the
//! part they share: a `<testsuites>` or `<testsuite>` root, test suites nested to any depth,
//! `<testcase classname name>` elements whose outcome is told by a `<failure>`, `<error>` or
//! `<skipped>` child (or gtest's `status="notrun"` / `result="skipped"`), `<properties>` on test
//! suites and test cases, and `timestamp` attributes. Checked on real files of cargo-nextest,
//! pytest, Maven Surefire, gtest, jest-junit, gotestsum and Robot Framework (tests/data/junit/).
//!
//! The file is parsed by `roxmltree` with DTDs refused, so no entity expansion or external
//! entity can make a report read other files or grow without bound; the file itself is bounded
//! in size before it is parsed.

use serde::Serialize;

/// Largest JUnit file ddf reads: a report with the captured output of every test can be tens
/// of megabytes; one larger than this is refused, not parsed.
pub const MAX_JUNIT: u64 = 256 * 1024 * 1024;

/// How a test case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// No failure, error or skip.
    Passed,
    /// A `<failure>`: an assertion did not hold.
    Failed,
    /// An `<error>`: the test could not complete.
    Errored,
    /// A `<skipped>` (or a gtest test that was not run).
    Skipped,
}

/// A moment a report gives, as written, with its reading as Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// The attribute's text.
    pub text: String,
    /// The calendar date written (in the timestamp's own time zone).
    pub date: crate::date::Date,
    /// Seconds since 1970-01-01T00:00:00Z; a timestamp with no zone is taken as UTC.
    pub unix: i64,
}

impl Timestamp {
    /// Parses an ISO 8601 date-time as runners write it: `2024-12-02T20:06:10.512+00:00`,
    /// `2020-10-27T21:39:41`, `2025-11-15T11:51:49.548396-05:00`, `...Z`, or a date alone.
    /// Go's zero time (`0001-01-01T00:00:00Z`, which gotestsum writes when it knows no time) and
    /// anything before 1970 mean "no time" and give `None`.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let t = text.trim();
        let date = crate::date::Date::parse(t.get(..10)?)?;
        let days = date.days_since(crate::date::Date::from_unix(0));
        if days < 0 {
            return None;
        }
        let rest = t.get(10..).unwrap_or("");
        let mut secs = 0i64;
        let mut offset = 0i64;
        if let Some(time) = rest.strip_prefix(['T', ' ']) {
            let digits = |s: &str| -> Option<i64> {
                (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| s.parse().ok())
                    .flatten()
            };
            let (h, m, s) = (
                digits(time.get(0..2)?)?,
                digits(time.get(3..5)?)?,
                time.get(6..8).and_then(digits).unwrap_or(0),
            );
            if h > 23 || m > 59 || s > 60 {
                return None;
            }
            secs = h * 3600 + m * 60 + s;
            // The zone, after any fraction of a second.
            let zone = time
                .get(5..)
                .and_then(|z| z.find(['Z', '+', '-']).map(|i| &z[i..]));
            match zone {
                Some(z) if z.starts_with('Z') => {}
                Some(z) => {
                    let sign = if z.starts_with('-') { -1 } else { 1 };
                    let z = z[1..].replace(':', "");
                    let (zh, zm) = (
                        z.get(0..2).and_then(digits)?,
                        z.get(2..4).and_then(digits).unwrap_or(0),
                    );
                    offset = sign * (zh * 3600 + zm * 60);
                }
                None => {}
            }
        }
        Some(Timestamp {
            text: t.to_string(),
            date,
            unix: days * 86_400 + secs - offset,
        })
    }
}

/// One test case of a report.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// `classname` (empty when the runner writes none).
    pub classname: String,
    /// `name`.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Its own `<property>` elements and those of every test suite around it (innermost
    /// first), as (name, value).
    pub properties: Vec<(String, String)>,
    /// 1-based line of the `<testcase>` element in the file.
    pub line: u32,
}

impl TestCase {
    /// The test's id: `classname.name`, or `name` when there is no class name.
    pub fn id(&self) -> String {
        if self.classname.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.classname, self.name)
        }
    }
}

/// One report file.
#[derive(Debug, Clone)]
pub struct Report {
    /// Its test cases, in file order.
    pub cases: Vec<TestCase>,
    /// When the run started: the root's `timestamp`, else the earliest of its test suites' and
    /// test cases'. `None` when the file gives no usable time.
    pub timestamp: Option<Timestamp>,
    /// The properties of the root element and of every test suite, as (name, value), in file
    /// order: where a run may say which commit it tested.
    pub suite_properties: Vec<(String, String)>,
}

/// Why a file is not a JUnit report ddf can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", pos.map(|(l, c)| format!("{l}:{c}: ")).unwrap_or_default())]
pub struct ParseError {
    /// Line and column, where known.
    pub pos: Option<(u32, u32)>,
    /// What is wrong.
    pub message: String,
}

/// Parses the text of a JUnit XML file.
pub fn parse(text: &str) -> Result<Report, ParseError> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts).map_err(|e| ParseError {
        pos: Some((e.pos().row, e.pos().col)),
        message: format!("not well-formed XML: {e}"),
    })?;
    let root = doc.root_element();
    let root_name = root.tag_name().name();
    if root_name != "testsuites" && root_name != "testsuite" {
        let p = doc.text_pos_at(root.range().start);
        return Err(ParseError {
            pos: Some((p.row, p.col)),
            message: format!(
                "the root element is <{root_name}>, not <testsuites> or <testsuite>, so this is not a JUnit XML report"
            ),
        });
    }
    let mut earliest: Option<Timestamp> = None;
    let mut note_time = |node: roxmltree::Node<'_, '_>| {
        if let Some(t) = node.attribute("timestamp").and_then(Timestamp::parse) {
            if earliest.as_ref().is_none_or(|e| t.unix < e.unix) {
                earliest = Some(t);
            }
        }
    };
    let mut cases = Vec::new();
    let mut suite_properties = Vec::new();
    // Line numbers are counted once, incrementally, in document order: asking roxmltree for the
    // position of each of 10,000 test cases would scan the text from the start each time.
    let mut lines = LineCounter::new(text);
    for node in root.descendants().filter(roxmltree::Node::is_element) {
        match node.tag_name().name() {
            "testsuites" | "testsuite" => {
                note_time(node);
                suite_properties.extend(properties_of(node));
            }
            "testcase" => {
                note_time(node);
                let mut properties = properties_of(node);
                for suite in node
                    .ancestors()
                    .skip(1)
                    .filter(|a| matches!(a.tag_name().name(), "testsuite" | "testsuites"))
                {
                    properties.extend(properties_of(suite));
                }
                cases.push(TestCase {
                    classname: node.attribute("classname").unwrap_or("").trim().to_string(),
                    name: node.attribute("name").unwrap_or("").trim().to_string(),
                    outcome: outcome_of(node),
                    properties,
                    line: lines.line_at(node.range().start),
                });
            }
            _ => {}
        }
    }
    let timestamp = root
        .attribute("timestamp")
        .and_then(Timestamp::parse)
        .or(earliest);
    Ok(Report {
        cases,
        timestamp,
        suite_properties,
    })
}

/// The `<property name value>` elements of the `<properties>` children of `node` (a value may
/// also be the element's text, as some runners write it).
fn properties_of(node: roxmltree::Node<'_, '_>) -> Vec<(String, String)> {
    node.children()
        .filter(|c| c.has_tag_name("properties"))
        .flat_map(|p| p.children().filter(|c| c.has_tag_name("property")))
        .filter_map(|p| {
            let name = p.attribute("name")?.trim();
            let value = p.attribute("value").or_else(|| p.text()).unwrap_or("");
            Some((name.to_string(), value.trim().to_string()))
        })
        .collect()
}

/// The outcome of a `<testcase>`: an error, failure or skip child (in that order of weight), or
/// gtest's `status="notrun"` and `result="skipped"`; otherwise it passed. Surefire's and
/// nextest's `flakyFailure`/`rerunFailure` record retries of a test that finally passed, so
/// they do not make it fail.
fn outcome_of(node: roxmltree::Node<'_, '_>) -> Outcome {
    let mut outcome = Outcome::Passed;
    for c in node.children().filter(roxmltree::Node::is_element) {
        match c.tag_name().name() {
            "error" => return Outcome::Errored,
            "failure" => outcome = Outcome::Failed,
            "skipped" if outcome == Outcome::Passed => outcome = Outcome::Skipped,
            _ => {}
        }
    }
    if outcome == Outcome::Passed
        && (matches!(node.attribute("status"), Some("notrun" | "disabled"))
            || matches!(node.attribute("result"), Some("skipped" | "suppressed")))
    {
        outcome = Outcome::Skipped;
    }
    outcome
}

/// Line numbers of byte offsets asked for in increasing order: each call counts the line breaks
/// since the previous offset only (roxmltree's `text_pos_at` counts from the start of the text
/// at each call, which made reading a large file quadratic). Also used by the ReqIF reader.
pub(crate) struct LineCounter<'t> {
    text: &'t [u8],
    at: usize,
    line: u32,
}

impl<'t> LineCounter<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte offset `offset`.
    pub(crate) fn line_at(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset < self.at {
            // Not in order (never for descendants in document order): count afresh.
            self.at = 0;
            self.line = 1;
        }
        let newlines = self.text[self.at..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line = self.line.saturating_add(newlines as u32);
        self.at = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_each_dialect() {
        let t = |s| Timestamp::parse(s).map(|t| (t.date.to_string(), t.unix));
        assert_eq!(
            t("2024-12-02T20:06:10.512+00:00"),
            Some(("2024-12-02".into(), 1_733_169_970))
        );
        assert_eq!(
            t("2025-11-15T11:51:49.548396-05:00"),
            Some(("2025-11-15".into(), 1_763_225_509))
        );
        assert_eq!(
            t("2020-10-27T21:39:41"),
            Some(("2020-10-27".into(), 1_603_834_781))
        );
        assert_eq!(
            t("2020-10-27T21:39:41Z"),
            Some(("2020-10-27".into(), 1_603_834_781))
        );
        assert_eq!(
            t("2022-06-09T17:57:05000"),
            Some(("2022-06-09".into(), 1_654_797_425))
        );
        assert_eq!(t("2020-10-27"), Some(("2020-10-27".into(), 1_603_756_800)));
        assert_eq!(t("0001-01-01T00:00:00Z"), None, "Go's zero time");
        for bad in [
            "",
            "yesterday",
            "2020-13-01",
            "2020-10-27T25:00:00",
            "2020-10-27Tx",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn outcomes_properties_and_nesting() {
        let xml = r#"<?xml version="1.0"?>
<testsuites timestamp="2026-01-02T03:04:05Z">
  <properties><property name="ddf.baseline" value="abc"/></properties>
  <testsuite name="outer">
    <properties><property name="ddf" value="VER-001"/></properties>
    <testsuite name="inner" timestamp="2026-01-01T00:00:00Z">
      <testcase classname="a.B" name="ok"/>
      <testcase classname="a.B" name="bad"><failure message="x">trace</failure></testcase>
      <testcase name="err"><error/></testcase>
      <testcase name="skip"><skipped/></testcase>
      <testcase name="notrun" status="notrun"/>
      <testcase name="flaky"><flakyFailure/></testcase>
      <testcase name="own"><properties><property name="ddf">VER-002</property></properties></testcase>
    </testsuite>
  </testsuite>
</testsuites>"#;
        let r = parse(xml).expect("parses");
        let got: Vec<(String, Outcome)> = r.cases.iter().map(|c| (c.id(), c.outcome)).collect();
        assert_eq!(
            got,
            vec![
                ("a.B.ok".into(), Outcome::Passed),
                ("a.B.bad".into(), Outcome::Failed),
                ("err".into(), Outcome::Errored),
                ("skip".into(), Outcome::Skipped),
                ("notrun".into(), Outcome::Skipped),
                ("flaky".into(), Outcome::Passed),
                ("own".into(), Outcome::Passed),
            ]
        );
        assert_eq!(r.cases[0].line, 7);
        assert_eq!(
            r.cases[6].properties,
            vec![
                ("ddf".to_string(), "VER-002".to_string()),
                ("ddf".to_string(), "VER-001".to_string()),
                ("ddf.baseline".to_string(), "abc".to_string())
            ]
        );
        // The root's timestamp wins over the suites'.
        assert_eq!(
            r.timestamp.map(|t| t.text),
            Some("2026-01-02T03:04:05Z".into())
        );
        assert!(r
            .suite_properties
            .contains(&("ddf.baseline".into(), "abc".into())));
    }

    #[test]
    fn a_single_testsuite_root_and_the_earliest_time() {
        let xml = r#"<testsuite name="s"><testcase name="t" timestamp="2026-03-01T10:00:00"/><testcase name="u" timestamp="2026-02-01T10:00:00"/></testsuite>"#;
        let r = parse(xml).expect("parses");
        assert_eq!(r.cases.len(), 2);
        assert_eq!(
            r.timestamp.map(|t| t.date.to_string()),
            Some("2026-02-01".into())
        );
    }

    #[test]
    fn refuses_what_is_not_a_report() {
        let e = parse("<html><body/></html>").expect_err("not junit");
        assert!(e.message.contains("<html>"), "{e}");
        assert_eq!(e.pos, Some((1, 1)));
        let e = parse("<testsuites>\n  <testsuite>\n</testsuites>").expect_err("broken");
        assert_eq!(e.pos.map(|p| p.0), Some(3), "{e}");
        // No DTD, so no entity expansion ("billion laughs") and no external entity.
        let e = parse(
            "<!DOCTYPE x [<!ENTITY a SYSTEM \"file:///etc/passwd\">]><testsuites>&a;</testsuites>",
        )
        .expect_err("dtd refused");
        assert!(
            e.message.contains("DTD") || e.message.contains("dtd"),
            "{e}"
        );
    }
}
