//! The validation report as Markdown: one document to print, attach to a release, or file in a
//! quality system.

use super::{Report, Requirement};
use std::fmt::Write;

/// A table cell: no `|` or line break can end the cell or the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// `12 of 14`.
fn of(n: usize, total: usize) -> String {
    format!("{n} of {total}")
}

/// The state of a requirement as a reader takes it in.
pub fn state_label(q: &Requirement) -> &'static str {
    match q.state.as_str() {
        "verified" => "verified",
        "stale" => "STALE (passed before a change)",
        "failed" => "FAILED",
        "not-run" => "not run",
        _ => "no test",
    }
}

/// A run of a verification as one line: `VER-001 pass 2026-05-01 on abc123 (3 tests)`.
pub fn run_line(v: &super::Verification) -> String {
    let result = if v.result.is_empty() {
        "no result".to_string()
    } else {
        v.result.clone()
    };
    let mut s = format!("{} {result}", v.id);
    if !v.executed_on.is_empty() && v.result != "not-run" {
        let _ = write!(s, " {}", v.executed_on);
    }
    if !v.baseline.is_empty() && v.result != "not-run" {
        let short: String = v.baseline.chars().take(12).collect();
        let _ = write!(s, " on {short}");
    }
    if v.stale {
        s.push_str(" (stale)");
    }
    s
}

/// Renders the report.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let v = &r.verdict;
    let _ = writeln!(s, "# Tool validation report: {}\n", r.project);
    let _ = writeln!(
        s,
        "Commit {} · made {} · ddf {}\n",
        r.commit_short(),
        r.date,
        r.environment.ddf_version
    );
    let _ = writeln!(s, "## Verdict\n");
    if v.verified {
        let _ = writeln!(
            s,
            "**Verified on this commit**: every high-risk requirement has a passing verification that is current, and `ddf check` reports no error.\n"
        );
    } else {
        let _ = writeln!(
            s,
            "**NOT verified on this commit**: {} high-risk requirement(s) without a current passing verification, {} `ddf check` error(s). Do not rely on this build until they are resolved.\n",
            v.high - v.high_verified,
            v.check_errors
        );
    }
    let _ = writeln!(s, "| | requirements | verified |");
    let _ = writeln!(s, "|---|---|---|");
    let _ = writeln!(
        s,
        "| high risk | {} | {} |",
        v.high,
        of(v.high_verified, v.high)
    );
    let _ = writeln!(
        s,
        "| low risk | {} | {} |",
        v.low,
        of(v.low_verified, v.low)
    );
    if v.unrated > 0 {
        let _ = writeln!(s, "| no risk given | {} | |", v.unrated);
    }
    let _ = writeln!(
        s,
        "\n{} distinct tests are named by the verifications; `ddf check`: {} error(s), {} warning(s).\n",
        v.tests, v.check_errors, v.check_warnings
    );
    if !r.errors.is_empty() {
        let _ = writeln!(s, "Errors of `ddf check`:\n");
        for e in &r.errors {
            let _ = writeln!(s, "- {}", e.replace('\n', " "));
        }
        s.push('\n');
    }

    let _ = writeln!(s, "## 1. Intended use\n");
    if r.intended_use.is_empty() {
        let _ = writeln!(
            s,
            "No document with `doc_type: intended-use`: the intended use is not stated.\n"
        );
    }
    for d in &r.intended_use {
        let _ = writeln!(s, "### {} {}\n\n{}\n", d.id, d.title, d.body);
    }

    let _ = writeln!(s, "## 2. Requirements and their risk\n");
    let _ = writeln!(
        s,
        "Risk is the risk of the requirement's failure to the user's quality system: **high** when a failure could let a nonconforming design record pass, or lose, alter or disclose a record; **low** otherwise.\n"
    );
    let _ = writeln!(
        s,
        "| id | requirement | risk | clause | state | verification |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for q in &r.requirements {
        let runs: Vec<String> = q.verifications.iter().map(run_line).collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            q.id,
            cell(&q.title),
            if q.risk.is_empty() { "-" } else { &q.risk },
            cell(&q.clause),
            state_label(q),
            cell(&runs.join("; "))
        );
    }
    s.push('\n');

    let _ = writeln!(s, "## 3. Trace to tests\n");
    let _ = writeln!(
        s,
        "Each requirement, the verifications that verify it, and the tests each names (JUnit ids as cargo-nextest writes them: `binary.test`).\n"
    );
    for q in &r.requirements {
        let _ = writeln!(s, "### {} {} ({})\n", q.id, q.title, state_label(q));
        if !q.statement.is_empty() {
            let _ = writeln!(s, "{}\n", q.statement);
        }
        if q.verifications.is_empty() {
            let _ = writeln!(
                s,
                "No verification: this requirement is not verified by a test.\n"
            );
        }
        for ver in &q.verifications {
            let _ = writeln!(s, "- {}", run_line(ver));
            for t in &ver.tests {
                // A listed test the last run did not have (renamed, removed) is said so: the
                // import made the VER inconclusive for it.
                let imported = !(ver.result.is_empty() || ver.result == "not-run");
                let in_run = ver
                    .ran
                    .iter()
                    .any(|x| x == t || x.ends_with(&format!(".{t}")));
                let ran = if imported && !in_run {
                    " (not in the run)"
                } else {
                    ""
                };
                let _ = writeln!(s, "  - `{t}`{ran}");
            }
        }
        s.push('\n');
    }

    let _ = writeln!(s, "## 4. Environment\n");
    let e = &r.environment;
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| commit of the records | {} |", cell(&r.stamp.describe));
    let _ = writeln!(s, "| ddf | {} |", cell(&e.ddf_version));
    let _ = writeln!(s, "| built with | {} |", cell(&e.built_with));
    let _ = writeln!(s, "| built for | {} |", cell(&e.target));
    let _ = writeln!(s, "| report made on | {} |", cell(&e.os));
    let _ = writeln!(s, "| git | {} |", cell(&e.git));
    let _ = writeln!(
        s,
        "| results recorded on | {} |",
        cell(&none_if_empty(&e.result_baselines))
    );
    let _ = writeln!(
        s,
        "| run dates | {} |",
        cell(&none_if_empty(&e.result_dates))
    );
    let _ = writeln!(s, "| JUnit reports | {} |", cell(&none_if_empty(&e.junit)));
    let _ = writeln!(
        s,
        "\nThe environment rows describe the machine that made this report; run it in the job that ran the tests (CI, or `validation/qualify.sh`) so they describe the test run too.\n"
    );

    let _ = writeln!(s, "## 5. Known anomalies\n");
    if r.anomalies.is_empty() {
        let _ = writeln!(s, "None recorded.\n");
    }
    for a in &r.anomalies {
        let _ = writeln!(s, "### {} {}\n", a.id, a.title);
        let _ = writeln!(s, "| | |\n|---|---|");
        let _ = writeln!(s, "| status | {} |", cell(&a.status));
        let _ = writeln!(s, "| affects versions | {} |", cell(&a.affected));
        let _ = writeln!(s, "| fixed in | {} |", cell(dash(&a.fixed_in)));
        let _ = writeln!(
            s,
            "| risk to the quality system | {} |",
            cell(dash(&a.risk))
        );
        let _ = writeln!(s, "| impact | {} |", cell(dash(&a.impact)));
        let _ = writeln!(s, "| workaround | {} |", cell(dash(&a.workaround)));
        let _ = writeln!(s, "| concerns | {} |", cell(dash(&a.concerns.join(", "))));
        if !a.body.is_empty() {
            let _ = writeln!(s, "\n{}", a.body);
        }
        s.push('\n');
    }

    let _ = writeln!(s, "## 6. What you must still do in your environment\n");
    if r.qualification.is_empty() {
        let _ = writeln!(s, "No document with `doc_type: qualification`.\n");
    }
    for d in &r.qualification {
        let _ = writeln!(s, "### {} {}\n\n{}\n", d.id, d.title, d.body);
    }
    s
}

fn dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

fn none_if_empty(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
