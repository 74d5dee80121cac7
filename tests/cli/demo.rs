//! `docs-example/make-demo-repo.sh`: the example DDF as a Git repository with signed approvals,
//! release tags and change control, on which the four history rules are on and pass.

use crate::harness::{ddf_command, ran, Run};
use std::path::Path;
use std::process::Command;

pub(crate) fn make_demo(out: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs-example/make-demo-repo.sh");
    let run = Command::new("bash")
        .arg(&script)
        .arg(out)
        .env("HOME", out.parent().unwrap_or(out))
        .output()
        .expect("bash runs");
    assert!(
        run.status.success(),
        "make-demo-repo.sh failed (it needs git and ssh-keygen: apt-get install openssh-client):\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Runs ddf on the demo repository on the example's own "today": its latest management review
/// (MR-001, 2026-10-15) is approved on the day it met, which the tests' fixed 2026-06-01 would
/// place in the future.
fn run_ddf(dir: &Path, args: &[&str]) -> Run {
    ran(ddf_command(dir)
        .env("DDF_TODAY", "2026-12-01")
        .args(args)
        .output()
        .expect("ddf runs"))
}

#[test]
fn demo_repository_passes_the_history_rules_and_edits_void_approvals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("demo");
    make_demo(&out);
    let config = std::fs::read_to_string(out.join("ddf.yaml")).expect("ddf.yaml");
    assert!(!config.contains(": off"), "history rules are on:\n{config}");
    assert!(config.contains("change_control_since: "), "{config}");

    let check = run_ddf(&out, &["check", "--format", "json"]);
    let v = check.json();
    assert_eq!(
        (v["errors"].as_u64(), v["warnings"].as_u64()),
        (Some(0), Some(0)),
        "{}",
        check.stdout
    );
    assert_eq!(v["records"].as_u64(), Some(227));

    // Three approvers signed; Git verifies every signature against the enrolled keys.
    let log = run_ddf(&out, &["log"]);
    assert_eq!(log.code, 0, "{}", log.stderr);
    for signer in [
        "Dana Whitfield (PER-001)",
        "Marcus Oyelaran (PER-002)",
        "Priya Raman (PER-003)",
    ] {
        assert!(
            log.stdout
                .contains(&format!("approval  {signer}, 2024-04-15 1")),
            "{signer} not in {}",
            log.stdout
        );
    }
    assert!(!log.stdout.contains("invalid"), "{}", log.stdout);
    assert!(!log.stdout.contains("UNSIGNED"), "{}", log.stdout);

    // The rules can fail: an edit voids the approval and makes the verification stale.
    let di = out.join("records/inputs/DI-004.md");
    let text = std::fs::read_to_string(&di).expect("DI-004");
    std::fs::write(&di, text.replacen("\ntitle: ", "\ntitle: Edited, ", 1)).expect("edit");
    let rules: Vec<String> =
        crate::harness::findings(&run_ddf(&out, &["check", "--format", "json"]))
            .into_iter()
            .map(|(rule, ..)| rule)
            .collect();
    for want in ["status-signed", "ver-fresh", "suspect-link"] {
        assert!(rules.iter().any(|r| r == want), "{want} not in {rules:?}");
    }
}

#[test]
fn demo_site_shows_signed_approvals_and_the_release_as_tagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("demo");
    make_demo(&out);
    let build = run_ddf(&out, &["build", "-o", "site"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let page = std::fs::read_to_string(out.join("site/records/DI-004.html")).expect("page");
    assert!(page.contains("<td>Priya Raman</td><td><a href=\"../records/PER-003.html\">PER-003</a></td><td>2024-04-15 13:00:00 UTC</td><td>approval</td><td>valid signature"), "{page}");
    let release = std::fs::read_to_string(out.join("site/releases/REL-002.html")).expect("page");
    assert!(
        release.contains("(tag v2.1.0), 2024-04-12 09:15:00 UTC"),
        "{release}"
    );
    // Each release has a commit of its own: 2.0.0 is the design before the changes of 2.1.0.
    let first = std::fs::read_to_string(out.join("site/releases/REL-001.html")).expect("page");
    assert!(
        first.contains("(tag v2.0.0), 2024-04-12 09:05:00 UTC"),
        "{first}"
    );
    // The release as tagged checks clean (its ddf.yaml predates change control).
    let tagged = run_ddf(&out, &["--rev", "v2.1.0", "check", "--format", "json"]);
    assert_eq!(tagged.json()["errors"], 0, "{}", tagged.stdout);
    // The change log names the root of trust (the import, where change control starts) and the
    // fingerprint of each key standing there, as ssh-keygen prints it; each approval shows its
    // key and why it was trusted.
    let changes = std::fs::read_to_string(out.join("site/changes.html")).expect("page");
    assert!(
        changes.contains("Root of trust of the signatures"),
        "{changes}"
    );
    assert!(changes.contains("the commit <code>change_control_since</code> names"));
    let pubkey = out.join(".git/demo-keys/PER-003.pub");
    let printed = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(&pubkey)
        .output()
        .expect("ssh-keygen runs");
    let fingerprint = String::from_utf8_lossy(&printed.stdout)
        .split_whitespace()
        .nth(1)
        .expect("fingerprint")
        .to_string();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    assert!(
        changes.contains(&format!(
            "<td>Priya Raman</td><td><code>{fingerprint}</code></td>"
        )),
        "{changes}"
    );
    assert!(
        changes.contains(&format!("key <code>{fingerprint}</code>, trust root (")),
        "{changes}"
    );
}
