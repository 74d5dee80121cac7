//! Signatures bound to history (21 CFR Part 11 11.50, 11.70, 11.100, 11.200, 11.300): keys as
//! of the approval's parent state and trusted through a chain of approvals from the trust root,
//! meanings bound to statuses, self-approval, and implausible dates. Every key is a real SSH key
//! made by ssh-keygen, every signature made by Git.

use crate::harness::{un, TestRepo};
use crate::history::{blob, person, sign, ssh_key};
use std::process::Command;

/// The messages of `rule`'s findings about the file `path`.
fn messages(t: &TestRepo, rule: &str, path: &str) -> Vec<String> {
    let run = t.ddf(&["check", "--format", "json"]);
    run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == rule && d["path"] == path)
        .map(|d| d["message"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The `keys:` line of a person record.
fn keys_line(text: &str) -> String {
    text.lines()
        .find(|l| l.starts_with("keys:"))
        .expect("keys line")
        .to_string()
}

/// The approvals `ddf log ID --format json` shows for the newest revision of `id`.
fn approvals_of(t: &TestRepo, id: &str) -> Vec<serde_json::Value> {
    let log = t.ddf(&["log", id, "--format", "json"]);
    log.json()["revisions"][0]["approvals"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Quinn (PER-001, may sign `approval`) and Olly (PER-002, may sign `olly_may`), with SSH keys,
/// and an approved user need; committed (the first commit: the trust root). Returns the
/// repository, the key folder, Quinn's and Olly's private keys.
fn setup(olly_may: &str) -> (TestRepo, tempfile::TempDir, String, String) {
    let mut t = TestRepo::new();
    t.git_init();
    let keys = tempfile::tempdir().expect("keys");
    let (q_key, q_pub) = ssh_key(keys.path(), "quinn");
    let (o_key, o_pub) = ssh_key(keys.path(), "olly");
    t.write(
        "records/PER-001.md",
        &person("PER-001", "Quinn Quality", &q_pub, "approval, review"),
    );
    t.write(
        "records/PER-002.md",
        &person("PER-002", "Olly Other", &o_pub, olly_may),
    );
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("status: draft", "status: approved"),
    );
    t.commit("Add records");
    (t, keys, q_key, o_key)
}

fn approve(t: &mut TestRepo, key: &str, id: &str, path: &str, meaning: &str, signer: &str) {
    let b = blob(t, path);
    sign(
        t,
        key,
        &format!("Approve {id}"),
        &format!("Approves: {id}@{b}\nSignature-Meaning: {meaning}\nSigner: {signer}"),
    );
}

#[test]
fn a_key_slipped_into_another_persons_record_signs_nothing() {
    let (mut t, keys, _, _) = setup("review");
    // Mallory, who may commit, adds her own key to Quinn's record and signs as Quinn.
    let (m_key, m_pub) = ssh_key(keys.path(), "mallory");
    let quinn = t.read("records/PER-001.md");
    let keys_line = keys_line(&quinn);
    let forged = keys_line.replace("keys: [", &format!("keys: [\"{m_pub}\", "));
    t.write("records/PER-001.md", &quinn.replace(&keys_line, &forged));
    t.commit("Update PER-001");
    approve(
        &mut t,
        &m_key,
        "UN-001",
        "records/UN-001.md",
        "approval",
        "PER-001",
    );
    let msgs = messages(&t, "status-signed", "records/UN-001.md");
    assert!(
        msgs.iter()
            .any(|m| m.contains("its key was added to PER-001's record in")
                && m.contains("no other person's valid signed approval")),
        "{msgs:?}"
    );
    let shown = approvals_of(&t, "UN-001");
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["valid"], false, "{shown:?}");
}

#[test]
fn a_new_key_approved_by_another_person_signs_from_then_on() {
    let (mut t, keys, _, o_key) = setup("approval, review");
    // Quinn's new laptop key, enrolled in a commit ...
    let (n_key, n_pub) = ssh_key(keys.path(), "quinn-new");
    let quinn = t.read("records/PER-001.md");
    let keys_line = keys_line(&quinn);
    t.write(
        "records/PER-001.md",
        &quinn.replace(&keys_line, &format!("keys: [\"{n_pub}\"]")),
    );
    t.commit("Enrol Quinn's new key");
    // ... signing before the enrolment is approved does not count ...
    approve(
        &mut t,
        &n_key,
        "UN-001",
        "records/UN-001.md",
        "approval",
        "PER-001",
    );
    let early = messages(&t, "status-signed", "records/UN-001.md");
    assert!(
        early.iter().any(|m| m.contains("its key was added")),
        "{early:?}"
    );
    // ... Olly approves the enrolment; from then on Quinn's new key signs.
    approve(
        &mut t,
        &o_key,
        "PER-001",
        "records/PER-001.md",
        "approval",
        "PER-002",
    );
    approve(
        &mut t,
        &n_key,
        "UN-001",
        "records/UN-001.md",
        "approval",
        "PER-001",
    );
    let late = messages(&t, "status-signed", "records/UN-001.md");
    assert!(late.is_empty(), "{late:?}");
    let shown = approvals_of(&t, "UN-001");
    assert!(shown.iter().any(|a| a["valid"] == true), "{shown:?}");
}

#[test]
fn removing_a_key_or_renaming_a_person_rewrites_no_past_approval() {
    let (mut t, _keys, q_key, _) = setup("review");
    approve(
        &mut t,
        &q_key,
        "UN-001",
        "records/UN-001.md",
        "approval",
        "PER-001",
    );
    assert!(messages(&t, "status-signed", "records/UN-001.md").is_empty());
    // Quinn leaves: her key is removed and her record renamed. Her approval stands, under the
    // name she signed with.
    let quinn = t.read("records/PER-001.md");
    let keys_line = keys_line(&quinn);
    t.write(
        "records/PER-001.md",
        &quinn.replace(&keys_line, "keys: []").replace(
            "printed_name: Quinn Quality",
            "printed_name: Quinn Q. Renamed",
        ),
    );
    t.commit("Quinn leaves");
    assert!(messages(&t, "status-signed", "records/UN-001.md").is_empty());
    let shown = approvals_of(&t, "UN-001");
    assert_eq!(shown[0]["printed_name"], "Quinn Quality", "{shown:?}");
    assert_eq!(shown[0]["valid"], true, "{shown:?}");
    // The removed key signs nothing from then on.
    t.write(
        "records/UN-001.md",
        &un("UN-001")
            .replace("status: draft", "status: approved")
            .replace("The user", "Every user"),
    );
    t.commit("Edit UN-001");
    approve(
        &mut t,
        &q_key,
        "UN-001",
        "records/UN-001.md",
        "approval",
        "PER-001",
    );
    let msgs = messages(&t, "status-signed", "records/UN-001.md");
    assert!(
        msgs.iter().any(|m| m.contains("stood in no person record")),
        "{msgs:?}"
    );
}

#[test]
fn only_an_approval_signature_approves() {
    let (mut t, _keys, q_key, _) = setup("review");
    approve(
        &mut t,
        &q_key,
        "UN-001",
        "records/UN-001.md",
        "review",
        "PER-001",
    );
    let msgs = messages(&t, "status-signed", "records/UN-001.md");
    assert!(
        msgs.iter().any(
            |m| m.contains("needs a signature with the meaning `approval`")
                && m.contains("signed with the meaning `review`")
        ),
        "{msgs:?}"
    );
}

#[test]
fn a_key_on_two_persons_identifies_no_one() {
    let (mut t, _keys, q_key, _) = setup("review");
    let quinn = t.read("records/PER-001.md");
    let q_keys = keys_line(&quinn);
    let olly = t.read("records/PER-002.md");
    let o_keys = keys_line(&olly);
    t.write("records/PER-002.md", &olly.replace(&o_keys, &q_keys));
    t.commit("Olly shares Quinn's key");
    assert_eq!(messages(&t, "key-unique", "records/PER-001.md").len(), 1);
    assert_eq!(messages(&t, "key-unique", "records/PER-002.md").len(), 1);
    approve(
        &mut t,
        &q_key,
        "UN-001",
        "records/UN-001.md",
        "approval",
        "PER-001",
    );
    let msgs = messages(&t, "status-signed", "records/UN-001.md");
    assert!(
        msgs.iter()
            .any(|m| m.contains("stood on PER-001 and PER-002 at once")),
        "{msgs:?}"
    );
}

/// A release record, approved, with every field its type requires.
fn release(id: &str) -> String {
    format!("---\nid: {id}\ntype: release\ntitle: Release 1.0\nstatus: approved\nowner: PER-001\nversion: 1.0.0\ntag: v1.0.0\ncommit: abc\nsbom: []\ntransfer: Transferred.\noverall_residual_risk: Acceptable.\nrm_review: Done.\ncyber_device: false\nsupport_end: 2030-01-01\nfielded: false\n---\n")
}

#[test]
fn a_release_needs_its_release_and_responsibility_signatures_by_someone_else() {
    let (mut t, _keys, q_key, _) = setup("review");
    t.write(
        "records/PER-001.md",
        &t.read("records/PER-001.md").replace(
            "may_sign: [approval, review]",
            "may_sign: [approval, review, release, responsibility]",
        ),
    );
    t.write("records/REL-001.md", &release("REL-001"));
    t.commit("Release 1.0");
    approve(
        &mut t,
        &q_key,
        "REL-001",
        "records/REL-001.md",
        "approval",
        "PER-001",
    );
    let msgs = messages(&t, "status-signed", "records/REL-001.md");
    assert!(
        msgs.iter()
            .any(|m| m.contains("meaning `release`") && m.contains("meaning `responsibility`")),
        "{msgs:?}"
    );
    approve(
        &mut t,
        &q_key,
        "REL-001",
        "records/REL-001.md",
        "release",
        "PER-001",
    );
    approve(
        &mut t,
        &q_key,
        "REL-001",
        "records/REL-001.md",
        "responsibility",
        "PER-001",
    );
    assert!(messages(&t, "status-signed", "records/REL-001.md").is_empty());

    // Quinn turns out to be the Git author of everything: a release she alone wrote is not hers
    // to approve ...
    t.write(
        "records/PER-001.md",
        &t.read("records/PER-001.md").replace(
            "identity_verified:",
            "emails: [author@example.com]\nidentity_verified:",
        ),
    );
    t.commit("Quinn's e-mail");
    let msgs = messages(&t, "status-signed", "records/REL-001.md");
    assert!(
        msgs.iter()
            .any(|m| m.contains("the only author of the approved content")),
        "{msgs:?}"
    );
    // ... unless the project allows it for releases, and for a user need it is allowed by
    // default.
    assert!(messages(&t, "status-signed", "records/UN-001.md").len() <= 1);
    t.write(
        "ddf.yaml",
        "project: Test\ntypes:\n  release:\n    self_approval: true\n",
    );
    assert!(messages(&t, "status-signed", "records/REL-001.md").is_empty());
}

/// A signed approval commit with a chosen committer date.
fn sign_at(t: &TestRepo, key: &str, date: &str, trailers: &str) {
    let out = Command::new("git")
        .current_dir(&t.root)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .env("HOME", &t.root)
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(["-c", "gpg.format=ssh", "-c"])
        .arg(format!("user.signingkey={key}"))
        .args([
            "commit",
            "-q",
            "-S",
            "--allow-empty",
            "-m",
            "Approve",
            "-m",
            trailers,
        ])
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git commit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn approvals_dated_before_their_content_or_its_events_or_in_the_future_are_findings() {
    let (t, _keys, q_key, _) = setup("review");
    // The content was committed on 2026-01-01 (harness dates); an approval dated the day before
    // cannot have seen it.
    let b = blob(&t, "records/UN-001.md");
    let trailers = format!("Approves: UN-001@{b}\nSignature-Meaning: approval\nSigner: PER-001");
    sign_at(&t, &q_key, "2025-12-31T12:00:00Z", &trailers);
    let msgs = messages(&t, "approval-plausible", "records/UN-001.md");
    assert!(
        msgs.iter().any(|m| m.contains("dated before the commit")),
        "{msgs:?}"
    );

    // Today is 2026-06-01 (DDF_TODAY): an approval dated July is in the future.
    let (t, _keys, q_key, _) = setup("review");
    let b = blob(&t, "records/UN-001.md");
    let trailers = format!("Approves: UN-001@{b}\nSignature-Meaning: approval\nSigner: PER-001");
    sign_at(&t, &q_key, "2026-07-01T12:00:00Z", &trailers);
    let msgs = messages(&t, "approval-plausible", "records/UN-001.md");
    assert!(
        msgs.iter().any(|m| m.contains("dated in the future")),
        "{msgs:?}"
    );

    // A verification executed in March cannot be approved in January.
    let (mut t, _keys, q_key, _) = setup("review");
    t.write(
        "records/VER-001.md",
        "---\nid: VER-001\ntype: verification\ntitle: Test\nstatus: approved\nowner: PER-001\nmethod: test\nacceptance_criteria: ok\nresult: pass\nexecuted_on: 2026-03-01\nbaseline: main\nevidence: r.pdf\nverifies: [UN-001]\n---\n",
    );
    t.commit("Add VER-001");
    approve(
        &mut t,
        &q_key,
        "VER-001",
        "records/VER-001.md",
        "approval",
        "PER-001",
    );
    let msgs = messages(&t, "approval-plausible", "records/VER-001.md");
    assert!(
        msgs.iter()
            .any(|m| m.contains("dated before its `executed_on` (2026-03-01)")),
        "{msgs:?}"
    );
    // A plausible approval gives no finding.
    assert!(messages(&t, "approval-plausible", "records/UN-001.md").is_empty());
}

#[test]
fn the_release_gate_checks_the_signatures_of_what_the_release_shipped() {
    let (mut t, _keys, q_key, _) = setup("review");
    t.write(
        "records/UN-002.md",
        &un("UN-002").replace("status: draft", "status: approved"),
    );
    let shipped = t.commit("Design for 1.0");
    t.write(
        "records/REL-001.md",
        &release("REL-001").replace("commit: abc", &format!("commit: {shipped}")),
    );
    t.commit("Release record");
    // UN-001 as shipped is signed; UN-002 is not.
    let b = blob(&t, "records/UN-001.md");
    sign(
        &mut t,
        &q_key,
        "Approve UN-001",
        &format!("Approves: UN-001@{b}\nSignature-Meaning: approval\nSigner: PER-001"),
    );
    let run = t.ddf(&["check", "--release", "REL-001", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let gate = run.json();
    assert_eq!(gate["signatures_verified"], true, "{gate}");
    assert_eq!(gate["baseline_in_history"], true, "{gate}");
    let approved = gate["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["item"] == "approved")
        .expect("approved item")
        .clone();
    assert_eq!(approved["missing"], serde_json::json!(["UN-002"]), "{gate}");
    // Editing UN-001 after the release changes nothing for the release: it shipped the signed
    // content.
    t.write(
        "records/UN-001.md",
        &un("UN-001")
            .replace("status: draft", "status: approved")
            .replace("The user", "Every user"),
    );
    t.commit("Edit UN-001 for the next release");
    let gate = t
        .ddf(&["check", "--release", "REL-001", "--format", "json"])
        .json();
    let approved = gate["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["item"] == "approved")
        .expect("approved item")
        .clone();
    assert_eq!(approved["missing"], serde_json::json!(["UN-002"]), "{gate}");
    let item = |gate: &serde_json::Value, name: &str| {
        gate["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["item"] == name)
            .expect("item")["missing"]
            .clone()
    };
    let unvalidated = item(&gate, "validated");
    assert_eq!(
        unvalidated,
        serde_json::json!(["UN-001", "UN-002"]),
        "{gate}"
    );
    // A need written after the release is not the release's to validate.
    t.write(
        "records/UN-003.md",
        &un("UN-003").replace("status: draft", "status: approved"),
    );
    t.commit("A need for the next release");
    let gate = t
        .ddf(&["check", "--release", "REL-001", "--format", "json"])
        .json();
    assert_eq!(item(&gate, "validated"), unvalidated, "{gate}");
}

#[test]
fn keys_add_and_approve_sign_without_a_manual() {
    let (mut t, keys, _, o_key) = setup("approval, review");
    // Quinn's new key, enrolled from Git's own signing configuration.
    let (n_key, n_pub) = ssh_key(keys.path(), "quinn-new");
    t.git(&["config", "gpg.format", "ssh"]);
    t.git(&["config", "user.name", "Test Author"]);
    t.git(&["config", "user.email", "author@example.com"]);
    t.git(&["config", "user.signingkey", &format!("{n_key}.pub")]);
    let run = t.ddf(&["keys", "add", "PER-001"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Enrolled SHA256:"), "{}", run.stdout);
    assert!(
        run.stdout.contains("git config gpg.format ssh"),
        "{}",
        run.stdout
    );
    let key_material = n_pub.split_whitespace().nth(1).expect("material");
    assert!(t.read("records/PER-001.md").contains(key_material));
    // Enrolling it again, or for Olly, is refused.
    assert_eq!(t.ddf(&["keys", "add", "PER-001"]).code, 2);
    let twice = t.ddf(&["keys", "add", "PER-002", &format!("{n_key}.pub")]);
    assert_eq!(twice.code, 2);
    assert!(
        twice.stderr.contains("enrolled for PER-001 already"),
        "{}",
        twice.stderr
    );
    t.commit("Enrol Quinn's new key");

    // Olly approves the enrolment with his own key (ddf approve finds him by his key).
    t.git(&["config", "user.signingkey", &o_key]);
    let run = t.ddf(&["approve", "PER-001"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("as Olly Other (PER-002), meaning approval"),
        "{}",
        run.stdout
    );

    // Quinn approves UN-001 with the new key; the trailers are the ones ddf reads.
    t.git(&["config", "user.signingkey", &n_key]);
    let refused = t.ddf(&["approve", "UN-001", "--meaning", "release"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused
            .stderr
            .contains("may not sign with the meaning `release`"),
        "{}",
        refused.stderr
    );
    let run = t.ddf(&["approve", "UN-001"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let message = t.git(&["log", "-1", "--format=%B"]);
    let b = blob(&t, "records/UN-001.md");
    assert!(
        message.contains(&format!("Approves: UN-001@{}", &b[..12])),
        "{message}"
    );
    assert!(
        message.contains("Signature-Meaning: approval\nSigner: PER-001"),
        "{message}"
    );
    let msgs = messages(&t, "status-signed", "records/UN-001.md");
    assert!(msgs.is_empty(), "{msgs:?}");

    // Uncommitted content, or staged changes, are refused.
    t.write(
        "records/UN-001.md",
        &un("UN-001")
            .replace("status: draft", "status: approved")
            .replace("The user", "Every user"),
    );
    let dirty = t.ddf(&["approve", "UN-001"]);
    assert_eq!(dirty.code, 2);
    assert!(dirty.stderr.contains("not committed"), "{}", dirty.stderr);
    t.git(&["add", "records/UN-001.md"]);
    let staged = t.ddf(&["approve", "PER-002"]);
    assert_eq!(staged.code, 2);
    assert!(
        staged.stderr.contains("changes are staged"),
        "{}",
        staged.stderr
    );
}

/// `ddf check` with Git's SSH program replaced by one that verifies nothing: only verdicts kept
/// from an earlier run can be valid. The status-signed messages about UN-001.
fn check_without_ssh_keygen(t: &TestRepo) -> Vec<String> {
    let out = crate::harness::ddf_command(&t.root)
        .args(["check", "--format", "json"])
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "gpg.ssh.program")
        .env("GIT_CONFIG_VALUE_0", "false")
        .output()
        .expect("ddf runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "status-signed" && d["path"] == "records/UN-001.md")
        .map(|d| d["message"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn verdicts_on_ssh_signatures_are_kept_for_the_same_keys_and_nothing_else_is() {
    let (mut t, keys, q_key, _) = setup("review");
    approve(
        &mut t,
        &q_key,
        "UN-001",
        "records/UN-001.md",
        "approval",
        "PER-001",
    );
    assert!(messages(&t, "status-signed", "records/UN-001.md").is_empty());
    let cache = t.root.join(".git/ddf/signatures-v1.jsonl");
    let kept = std::fs::read_to_string(&cache).expect("verdicts kept in .git/ddf");
    assert_eq!(kept.lines().count(), 1, "{kept}");
    assert!(
        kept.contains("\"good\"") && kept.contains("SHA256:"),
        "{kept}"
    );
    // Git is not asked again about a commit it verified with the same allowed signers.
    assert!(check_without_ssh_keygen(&t).is_empty());
    // Without the kept verdict, the broken SSH program verifies nothing, and what it could not
    // verify is not kept: the next run asks Git again.
    std::fs::remove_file(&cache).expect("remove");
    assert!(!check_without_ssh_keygen(&t).is_empty());
    assert!(messages(&t, "status-signed", "records/UN-001.md").is_empty());
    // A key enrolled anywhere makes another allowed-signers file: every verdict is asked again,
    // and the file keeps only the verdicts for the new one.
    let (_, n_pub) = ssh_key(keys.path(), "newcomer");
    t.write(
        "records/PER-003.md",
        &person("PER-003", "Nina Newcomer", &n_pub, "review"),
    );
    t.commit("Enrol Nina");
    assert!(!check_without_ssh_keygen(&t).is_empty());
    assert!(messages(&t, "status-signed", "records/UN-001.md").is_empty());
    let kept = std::fs::read_to_string(&cache).expect("verdicts kept");
    assert_eq!(kept.lines().count(), 1, "{kept}");
}
