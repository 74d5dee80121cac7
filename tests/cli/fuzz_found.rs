//! Inputs the fuzzer (fuzz/, docs/fuzzing.md) found that made ddf panic, hang or print a wrong
//! output, each kept as a regression test of the command that misbehaved.

use crate::harness::TestRepo;

/// `policy:` intervals as large as an i64 holds: the due dates overflowed (a panic in a debug
/// build; in a release build `mr-complete` reported the next review due in year
/// -25252734927764528). They mean "never" now.
#[test]
fn huge_policy_intervals_do_not_overflow() {
    let t = TestRepo::example();
    let config = t.read("ddf.yaml");
    let huge = "policy: { review_interval_days: 9223372036854775807, eos_horizon_days: 9223372036854775807, vuln_triage_days: 9223372036854775807 }";
    let changed: String = config
        .lines()
        .map(|l| if l.starts_with("policy:") { huge } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(changed, config, "the example's ddf.yaml has a policy line");
    t.write("ddf.yaml", &changed);
    let run = t.ddf(&["check", "--format", "json"]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let v = run.json();
    let diags = v["diagnostics"].as_array().expect("diagnostics");
    assert!(
        !diags.iter().any(|d| d["rule"] == "mr-complete"
            && d["message"].as_str().unwrap_or("").contains("was due")),
        "a review interval that never ends is never overdue: {}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("-2525"),
        "no date before year -9999: {}",
        run.stdout
    );
}
