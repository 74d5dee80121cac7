//! History as the change-control log: `ddf log`, signed approvals (SSH keys made by ssh-keygen),
//! the history rules, releases as tags, and repository states.

use crate::harness::{findings, run_ddf, un, TestRepo};
use std::path::Path;
use std::process::Command;

fn di(id: &str, to: &str, extra: &str) -> String {
    format!("---\nid: {id}\ntype: design-input\ntitle: Input {id}\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: Works.\ntraces_to: [{to}]\n{extra}---\nThe pump shall do {id}.\n")
}

fn ver(id: &str, verifies: &str, baseline: &str) -> String {
    format!("---\nid: {id}\ntype: verification\ntitle: Test {id}\nstatus: draft\nowner: PER-001\nmethod: test\nacceptance_criteria: ok\nresult: pass\nexecuted_on: 2026-01-02\nbaseline: {baseline}\nevidence: reports/{id}.pdf\nverifies: [{verifies}]\n---\n")
}

fn rules_on(t: &TestRepo, rule: &str) -> Vec<(String, String)> {
    findings(&t.ddf(&["check", "--format", "json"]))
        .into_iter()
        .filter(|f| f.0 == rule)
        .map(|f| (f.0, f.1))
        .collect()
}

/// An ed25519 key made by ssh-keygen in `dir`; returns (private key path, public key line).
pub(crate) fn ssh_key(dir: &Path, name: &str) -> (String, String) {
    let key = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!(
            "ssh-keygen is needed for the signature tests (apt-get install openssh-client): {e}"
        ),
    };
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
    (key.display().to_string(), public.trim().to_string())
}

pub(crate) fn person(id: &str, name: &str, key: &str, may_sign: &str) -> String {
    format!("---\nid: {id}\ntype: person\ntitle: {name}\nstatus: draft\nowner: {id}\nprinted_name: {name}\nroles: [quality]\nmay_sign: [{may_sign}]\nkeys: [\"{key}\"]\nidentity_verified: 2026-01-01\n---\n")
}

/// Makes a signed, empty approval commit with the given trailers.
pub(crate) fn sign(t: &mut TestRepo, key: &str, subject: &str, trailers: &str) -> String {
    t.git(&[
        "-c",
        "gpg.format=ssh",
        "-c",
        &format!("user.signingkey={key}"),
        "commit",
        "-q",
        "-S",
        "--allow-empty",
        "-m",
        subject,
        "-m",
        trailers,
    ]);
    t.git(&["rev-parse", "HEAD"]).trim().to_string()
}

pub(crate) fn blob(t: &TestRepo, path: &str) -> String {
    t.git(&["hash-object", path]).trim().to_string()
}

#[test]
fn log_lists_changes_fields_and_change_requests() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.commit("Add UN-001");
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("title: Need UN-001", "title: Bolus on demand"),
    );
    t.commit("Retitle UN-001\n\nChange-Request: CR-007");
    t.write("src/pump.c", "int x;\n");
    t.commit("Code only");
    let log = t.ddf(&["log"]);
    assert_eq!(log.code, 0, "{}", log.stderr);
    assert!(log.stdout.contains("Retitle UN-001"), "{}", log.stdout);
    assert!(
        log.stdout.contains("change request  CR-007"),
        "{}",
        log.stdout
    );
    assert!(
        log.stdout.contains("title: Need UN-001 -> Bolus on demand"),
        "{}",
        log.stdout
    );
    assert!(
        !log.stdout.contains("Code only"),
        "commits that touch no record are left out: {}",
        log.stdout
    );
    assert!(t.ddf(&["log", "--all"]).stdout.contains("Code only"));
    let v = t.ddf(&["log", "--format", "json"]).json();
    let e = &v["entries"][0];
    assert_eq!(e["subject"], "Retitle UN-001");
    assert_eq!(e["change_requests"][0], "CR-007");
    assert_eq!(e["records"][0]["fields"][0]["name"], "title");
    assert_eq!(e["records"][0]["fields"][0]["new"], "Bolus on demand");
    let one = t.ddf(&["log", "UN-001", "--format", "json"]).json();
    let revs = one["revisions"].as_array().expect("revisions");
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0]["change"], "modified");
    assert_eq!(revs[1]["change"], "added");
    let md = t.ddf(&["log", "--format", "md"]);
    assert!(md.stdout.starts_with("| commit |"), "{}", md.stdout);
}

#[test]
fn record_history_follows_renames_and_diffs_the_body() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.commit("Add");
    std::fs::create_dir_all(t.path("records/needs")).expect("mkdir");
    std::fs::rename(
        t.path("records/UN-001.md"),
        t.path("records/needs/UN-001.md"),
    )
    .expect("mv");
    t.write(
        "records/needs/UN-001.md",
        &un("UN-001").replace(
            "The user needs UN-001.",
            "The user needs UN-001, now sorted.",
        ),
    );
    t.commit("Move and reword");
    let run = t.ddf(&["log", "UN-001"]);
    assert!(run.stdout.contains("renamed"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("moved  records/UN-001.md -> records/needs/UN-001.md"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+The user needs UN-001, now sorted."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 revisions of UN-001"),
        "{}",
        run.stdout
    );
}

#[test]
fn releases_are_tags_and_ranges_list_what_changed_between() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.commit("v1 content");
    t.git(&["tag", "v1.0"]);
    t.write("records/UN-002.md", &un("UN-002"));
    t.commit("Add UN-002\n\nChange-Request: CR-001");
    t.git(&["tag", "v1.1"]);
    t.write("records/UN-003.md", &un("UN-003"));
    t.commit("Add UN-003");
    let v = t.ddf(&["log", "v1.0..v1.1", "--format", "json"]).json();
    let subjects: Vec<&str> = v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["subject"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(subjects, ["Add UN-002"]);
    // --rev works for every command, with history as of the release.
    let at = t.ddf(&["--rev", "v1.0", "log", "--format", "json"]).json();
    assert_eq!(at["entries"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        t.ddf(&["--rev", "v1.0", "check", "--format", "json"])
            .json()["records"],
        2
    );
}

/// A repository with two people who have SSH keys, Quinn Quality (PER-001, may sign `q_may`)
/// and Olly Other (PER-002, review only), and an approved user need nobody signed yet, committed.
/// Returns the repository, the folder holding the keys, and Quinn's and Olly's private keys.
fn two_signers(q_may: &str) -> (TestRepo, tempfile::TempDir, String, String) {
    let mut t = TestRepo::new();
    t.git_init();
    let keys = tempfile::tempdir().expect("keys");
    let (q_key, q_pub) = ssh_key(keys.path(), "quality");
    let (o_key, o_pub) = ssh_key(keys.path(), "other");
    t.write(
        "records/PER-001.md",
        &person("PER-001", "Quinn Quality", &q_pub, q_may),
    );
    t.write(
        "records/PER-002.md",
        &person("PER-002", "Olly Other", &o_pub, "review"),
    );
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("status: draft", "status: approved"),
    );
    t.commit("Add records");
    (t, keys, q_key, o_key)
}

#[test]
fn signed_approvals_back_approved_status_and_editing_voids_them() {
    let (mut t, _keys, q_key, _) = two_signers("approval, review");
    // Approved, but nobody signed: the claim does not hold.
    let before = rules_on(&t, "status-signed");
    assert!(
        before.contains(&("status-signed".into(), "records/UN-001.md".into())),
        "{before:?}"
    );
    let b = blob(&t, "records/UN-001.md");
    sign(
        &mut t,
        &q_key,
        "Approve UN-001",
        &format!("Approves: UN-001@{b}\nSignature-Meaning: approval\nSigner: PER-001"),
    );
    assert!(rules_on(&t, "status-signed")
        .iter()
        .all(|f| f.1 != "records/UN-001.md"));
    // The log shows the manifestation: printed name, date and time, meaning, signature status.
    let log = t.ddf(&["log", "UN-001"]);
    assert!(
        log.stdout
            .contains("approval  Quinn Quality (PER-001), 2026-01-01"),
        "{}",
        log.stdout
    );
    assert!(
        log.stdout.contains("approval: valid signature"),
        "{}",
        log.stdout
    );
    // Editing the record (even uncommitted) voids the approval.
    t.write(
        "records/UN-001.md",
        &un("UN-001")
            .replace("status: draft", "status: approved")
            .replace("The user", "Every user"),
    );
    let after = t.ddf(&["check", "--format", "json"]);
    let msg: Vec<String> = after.json()["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .filter(|d| d["rule"] == "status-signed")
        .map(|d| d["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        msg.iter().any(|m| m.contains("edited after its approval")),
        "{msg:?}"
    );
}

#[test]
fn closed_change_requests_capas_and_signals_need_a_signed_approval() {
    let (mut t, _keys, q_key, _) = two_signers("approval");
    let closed = "status: closed\nclosed: 2026-01-05\nclosed_by: PER-001\n";
    t.write("records/CR-001.md", &format!("---\nid: CR-001\ntype: change-request\ntitle: Change\n{closed}owner: PER-001\nreason: r\nimpact: i\ncyber_impact: unlikely-to-impact\ncyber_rationale: c\nregulatory_path: letter-to-file\n---\nWhat changes.\n"));
    t.write("records/CAPA-001.md", &format!("---\nid: CAPA-001\ntype: capa\ntitle: Fix\n{closed}owner: PER-001\nkind: corrective\nroot_cause: r\nactions: a\nopened: 2026-01-01\neffectiveness: e\nno_adverse_effect: n\n---\nThe problem.\n"));
    t.write("records/SIG-001.md", &format!("---\nid: SIG-001\ntype: signal\ntitle: Feedback\n{closed}owner: PER-001\nkind: feedback\nreceived: 2026-01-02\ndevice_id: \"(01)1\"\nevaluation: e\nreportable: none\nreportable_rationale: r\ncorrection: none needed\n---\nWhat was said.\n"));
    t.commit("Close CR-001, CAPA-001 and SIG-001");
    // Closed with no signature: the closure claims a decision nobody signed.
    let unsigned: Vec<String> = rules_on(&t, "status-signed")
        .into_iter()
        .map(|f| f.1)
        .collect();
    for p in [
        "records/CR-001.md",
        "records/CAPA-001.md",
        "records/SIG-001.md",
    ] {
        assert!(unsigned.iter().any(|u| u == p), "{p} not in {unsigned:?}");
    }
    let trailers = ["CR-001", "CAPA-001", "SIG-001"]
        .iter()
        .map(|id| {
            let path = format!("records/{id}.md");
            format!("{id}@{}", blob(&t, &path))
        })
        .collect::<Vec<_>>()
        .join(", ");
    sign(
        &mut t,
        &q_key,
        "Approve the closures",
        &format!("Approves: {trailers}\nSignature-Meaning: approval\nSigner: PER-001"),
    );
    let after = rules_on(&t, "status-signed");
    assert!(
        after.iter().all(|f| !f.1.contains("CR-001")
            && !f.1.contains("CAPA-001")
            && !f.1.contains("SIG-001")),
        "{after:?}"
    );
    // Editing a closed record voids its approval, as for an approved one.
    let cr = t.read("records/CR-001.md");
    t.write(
        "records/CR-001.md",
        &cr.replace("What changes.", "What changed."),
    );
    let run = t.ddf(&["check", "--format", "json"]);
    let msgs: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .filter(|d| d["rule"] == "status-signed" && d["record"] == "CR-001")
        .map(|d| d["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(
        msgs[0].starts_with("CR-001 is `closed`, but the record was edited after its approval"),
        "{msgs:?}"
    );
}

#[test]
fn unsigned_or_wrong_signer_approvals_do_not_count() {
    let (mut t, _keys, _, o_key) = two_signers("approval");
    let b = blob(&t, "records/UN-001.md");
    // Unsigned approval commit.
    t.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Approve",
        "-m",
        &format!("Approves: UN-001@{b}\nSignature-Meaning: approval\nSigner: PER-001"),
    ]);
    let run = t.ddf(&["check", "--format", "json"]);
    let msgs: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .filter(|d| d["rule"] == "status-signed")
        .map(|d| d["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(msgs.iter().any(|m| m.contains("UNSIGNED")), "{msgs:?}");
    // Signed by PER-002's key while naming PER-001 as signer.
    sign(
        &mut t,
        &o_key,
        "Approve again",
        &format!("Approves: UN-001@{b}\nSignature-Meaning: approval\nSigner: PER-001"),
    );
    let run = t.ddf(&["check", "--format", "json"]);
    let msgs: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .filter(|d| d["rule"] == "status-signed")
        .map(|d| d["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("not of PER-001")),
        "{msgs:?}"
    );
    let log = t.ddf(&["log", "UN-001"]);
    assert!(
        log.stdout.contains("UNSIGNED"),
        "an unsigned approval is reported as such: {}",
        log.stdout
    );
}

#[test]
fn verification_goes_stale_when_what_it_verifies_changes() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001", ""));
    t.write("records/DO-001.md", "---\nid: DO-001\ntype: design-output\ntitle: Firmware\nstatus: draft\nowner: PER-001\noutput_kind: source\nessential: true\nartifacts: [\"src/**/*.c\"]\nsatisfies: [DI-001]\n---\nFirmware.\n");
    t.write("src/pump.c", "int x;\n");
    t.write("records/VER-001.md", &ver("VER-001", "DI-001", "v1.0"));
    t.commit("Baseline");
    t.git(&["tag", "v1.0"]);
    assert!(rules_on(&t, "ver-fresh").is_empty());
    t.write("src/pump.c", "int y;\n");
    t.commit("Change the code");
    let run = t.ddf(&["check", "--format", "json"]);
    let m: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .expect("d")
        .iter()
        .filter(|d| d["rule"] == "ver-fresh")
        .map(|d| d["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        m.iter().any(|m| m.contains("artifact src/pump.c changed")),
        "{m:?}"
    );
    t.write("records/VER-001.md", &ver("VER-001", "DI-001", "HEAD"));
    assert!(
        rules_on(&t, "ver-fresh").is_empty(),
        "re-run on the current baseline is fresh"
    );
    t.write("records/VER-001.md", &ver("VER-001", "DI-001", "v9"));
    assert_eq!(
        rules_on(&t, "ver-fresh").len(),
        1,
        "an unknown baseline is reported"
    );
}

#[test]
fn hexadecimal_baselines_resolve_as_git_resolves_them() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001", ""));
    t.commit("Baseline");
    let old = t.git(&["rev-parse", "HEAD"]).trim().to_string();
    t.write(
        "records/DI-001.md",
        &di("DI-001", "UN-001", "").replace("The pump", "The new pump"),
    );
    t.commit("Change DI-001");
    let new = t.git(&["rev-parse", "HEAD"]).trim().to_string();
    let stale = |t: &TestRepo, baseline: &str| {
        t.write("records/VER-001.md", &ver("VER-001", "DI-001", baseline));
        rules_on(t, "ver-fresh")
    };
    // A full or abbreviated commit id: fresh after the change, stale before it.
    assert!(stale(&t, &new).is_empty());
    assert!(stale(&t, &new[..8]).is_empty());
    assert_eq!(stale(&t, &old[..8]).len(), 1);
    // An id that is no object of this repository.
    assert_eq!(stale(&t, "0000000000ab").len(), 1);
    // A name that looks like an id is a reference first, as `git rev-parse` has it (no object
    // id here starts with either).
    t.git(&["branch", "cafe1234", &new]);
    t.git(&["tag", "abcd", &new]);
    assert!(stale(&t, "cafe1234").is_empty());
    assert!(stale(&t, "abcd").is_empty());
}

#[test]
fn changes_on_the_controlled_branch_need_an_approved_cr_before_merge() {
    let mut t = TestRepo::new();
    t.git_init();
    let keys = tempfile::tempdir().expect("keys");
    let (q_key, q_pub) = ssh_key(keys.path(), "quality");
    t.write(
        "records/PER-001.md",
        &person("PER-001", "Quinn Quality", &q_pub, "approval"),
    );
    t.write("records/CR-001.md", "---\nid: CR-001\ntype: change-request\ntitle: Add UN-001\nstatus: approved\nowner: PER-001\nreason: Needed.\nimpact: Low.\ncyber_impact: unlikely-to-impact\ncyber_rationale: No interface change.\nregulatory_path: letter-to-file\n---\nAdd the first need.\n");
    t.commit("Start");
    // Change control starts where the project adopted ddf; older commits are not held to it.
    t.write("ddf.yaml", "project: Test\nchange_control_since: adopted\n");
    t.commit("Adopt ddf");
    t.git(&["tag", "adopted"]);
    t.git(&["checkout", "-q", "-b", "feature"]);
    t.write("records/UN-001.md", &un("UN-001"));
    t.commit("Add UN-001");
    sign(
        &mut t,
        &q_key,
        "Approve CR-001",
        "Approve: CR-001\nSignature-Meaning: approval\nSigner: PER-001",
    );
    t.git(&["checkout", "-q", "main"]);
    t.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge feature\n\nChange-Request: CR-001",
        "feature",
    ]);
    assert!(
        rules_on(&t, "change-has-cr").is_empty(),
        "{}",
        t.ddf(&["check"]).stdout
    );
    assert!(
        rules_on(&t, "cr-before-merge").is_empty(),
        "{:?}",
        rules_on(&t, "cr-before-merge")
    );
    let log = t.ddf(&["log"]);
    assert!(
        log.stdout.contains("| "),
        "a merge lists the commits it brought in: {}",
        log.stdout
    );
    // A direct commit without a trailer.
    t.write("records/UN-002.md", &un("UN-002"));
    t.commit("Sneak in UN-002");
    assert_eq!(rules_on(&t, "change-has-cr").len(), 1);
    // A merge whose CR was never approved by a signed commit.
    t.git(&["checkout", "-q", "-b", "feature2"]);
    t.write("records/UN-003.md", &un("UN-003"));
    t.commit("Add UN-003");
    t.git(&["checkout", "-q", "main"]);
    t.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge feature2\n\nChange-Request: CR-002",
        "feature2",
    ]);
    let has_cr = rules_on(&t, "change-has-cr");
    assert_eq!(has_cr.len(), 2, "CR-002 does not exist: {has_cr:?}");
}

#[test]
fn suspect_links_come_from_history() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001", ""));
    t.commit("Both");
    assert!(rules_on(&t, "suspect-link").is_empty());
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace(
            "The user needs UN-001.",
            "The user needs UN-001 at night too.",
        ),
    );
    t.commit("Change the need");
    let s = rules_on(&t, "suspect-link");
    assert_eq!(
        s,
        vec![("suspect-link".to_string(), "records/DI-001.md".to_string())]
    );
    let show = t.ddf(&["show", "DI-001"]);
    assert!(show.stdout.contains("Suspect links"), "{}", show.stdout);
    assert!(
        show.stdout.contains("+The user needs UN-001 at night too."),
        "{}",
        show.stdout
    );
    // Reviewing the input (a change to it) clears the suspicion.
    t.write(
        "records/DI-001.md",
        &di("DI-001", "UN-001", "rationale: Night use reviewed.\n"),
    );
    t.commit("Review DI-001");
    assert!(rules_on(&t, "suspect-link").is_empty());
}

#[test]
fn repository_states() {
    let mut t = TestRepo::with_basics();
    // No commits: log says so; check still runs without the history rules.
    t.git_init();
    let log = t.ddf(&["log"]);
    assert_eq!(log.code, 2);
    assert!(log.stderr.contains("no history"), "{}", log.stderr);
    assert_eq!(t.ddf(&["check"]).code, 0);
    t.write("records/UN-001.md", &un("UN-001"));
    let first = t.commit("One");
    t.write("records/UN-002.md", &un("UN-002"));
    t.commit("Two");
    // Detached HEAD.
    t.git(&["checkout", "-q", "--detach", &first]);
    let v = t.ddf(&["log", "--format", "json"]).json();
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(1));
    t.git(&["checkout", "-q", "main"]);
    // Shallow clone: says history is truncated, does not fail.
    let clone = tempfile::tempdir().expect("tmp");
    let url = format!("file://{}", t.root.display());
    crate::harness::git_in(clone.path(), &["clone", "-q", "--depth", "1", &url, "c"], 0);
    let run = run_ddf(&clone.path().join("c"), &["log"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("shallow clone"), "{}", run.stdout);
    let check = run_ddf(&clone.path().join("c"), &["check", "--format", "json"]);
    assert_eq!(check.json()["records"], 3, "{}", check.stderr);
    assert!(check.stderr.contains("shallow clone"), "{}", check.stderr);
    // Outside a repository.
    let plain = TestRepo::with_basics();
    assert_eq!(plain.ddf(&["log"]).code, 2);
}

#[test]
fn a_validation_counts_until_the_need_changes_after_its_release() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    let need = |statement: &str| {
        format!("---\nid: UN-001\ntype: user-need\ntitle: Need\nstatus: approved\nowner: PER-001\nsource: user\n---\n{statement}\n")
    };
    t.write("records/UN-001.md", &need("The patient can stop a bolus."));
    t.write("records/VAL-001.md", "---\nid: VAL-001\ntype: validation\ntitle: Summative study\nstatus: draft\nowner: PER-001\nmethod: human-factors\nresult: pass\nproduct_config: { release: REL-001, rationale: production units }\nexecuted_on: 2026-01-05\nevidence: reports/hf.pdf\nvalidates: [UN-001]\n---\n");
    t.write("records/REL-001.md", "---\nid: REL-001\ntype: release\ntitle: Release 1.0\nstatus: draft\nowner: PER-001\nversion: 1.0.0\ntag: v1.0\ncommit: v1.0\nsbom: sboms/none.json\ntransfer: Released.\n---\n");
    t.commit("Release 1.0");
    t.git(&["tag", "v1.0"]);
    assert!(
        rules_on(&t, "un-validated").is_empty(),
        "validated on the release that holds the need"
    );

    t.write(
        "records/UN-001.md",
        &need("The patient can stop a bolus within 2 s."),
    );
    t.commit("Tighten the need");
    let run = t.ddf(&["check", "--format", "json"]);
    let m: Vec<String> = run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["rule"] == "un-validated")
        .map(|d| d["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].contains("UN-001 changed in ")
            && m[0].contains("\"Tighten the need\"")
            && m[0].contains("(VAL-001 on REL-001)"),
        "{m:?}"
    );

    // Validated again on a release that contains the change.
    t.git(&["tag", "v1.1"]);
    t.write("records/REL-002.md", "---\nid: REL-002\ntype: release\ntitle: Release 1.1\nstatus: draft\nowner: PER-001\nversion: 1.1.0\ntag: v1.1\ncommit: v1.1\nsbom: sboms/none.json\ntransfer: Released.\nprior: REL-001\n---\n");
    t.write("records/VAL-002.md", "---\nid: VAL-002\ntype: validation\ntitle: Follow-up study\nstatus: draft\nowner: PER-001\nmethod: human-factors\nresult: pass\nproduct_config: { release: REL-002, rationale: production units }\nexecuted_on: 2026-02-05\nevidence: reports/hf2.pdf\nvalidates: [UN-001]\n---\n");
    assert!(
        rules_on(&t, "un-validated").is_empty(),
        "re-validated on 1.1"
    );
}

/// Where `git` cannot be run, libgit2 reads the history instead, and the log is the same.
#[test]
fn without_git_on_the_path_the_history_is_the_same() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.commit("One\n\nChange-Request: CR-001");
    t.git(&["checkout", "-q", "-b", "side"]);
    std::fs::create_dir_all(t.path("records/needs")).expect("mkdir");
    t.git(&["mv", "records/UN-001.md", "records/needs/UN-001.md"]);
    t.write(
        "records/needs/UN-001.md",
        &un("UN-001").replace("title: Need UN-001", "title: Moved"),
    );
    t.commit("Move and retitle");
    t.git(&["checkout", "-q", "main"]);
    t.write("records/UN-002.md", &un("UN-002"));
    t.commit("Two");
    t.git(&["merge", "-q", "--no-ff", "-m", "Merge side", "side"]);
    let with_git = t.ddf(&["log", "--all", "--format", "json"]);
    assert_eq!(with_git.code, 0, "{}", with_git.stderr);
    std::fs::remove_dir_all(t.path(".git/ddf")).expect("no cache");
    let empty = tempfile::tempdir().expect("tmp");
    let out = crate::harness::ddf_command(&t.root)
        .args(["log", "--all", "--format", "json"])
        .env("PATH", empty.path())
        .output()
        .expect("ddf runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), with_git.stdout);
    assert!(with_git.stdout.contains("Move and retitle"));
    assert!(t.path(".git/ddf").is_dir(), "the cache is written again");
}

/// A commit that edits thousands of records at once (a field renamed across the DDF) asks
/// `cat-file` for more blobs than a pipe holds; the walk must not wait on itself.
#[test]
fn a_mass_edit_is_read_without_stalling() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    let n = 2500;
    for k in 1..=n {
        let id = format!("UN-{k:04}");
        t.write(&format!("records/{id}.md"), &un(&id));
    }
    t.commit("Import");
    for k in 1..=n {
        let id = format!("UN-{k:04}");
        t.write(
            &format!("records/{id}.md"),
            &un(&id).replace("source: user", "source: clinician"),
        );
    }
    t.commit("Every need comes from clinicians");
    let mut child = crate::harness::ddf_command(&t.root)
        .args(["log", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ddf runs");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("ddf log stalled on a mass edit");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success());
    let v: serde_json::Value = serde_json::from_str(&reader.join().expect("output")).expect("json");
    let edit = &v["entries"][0];
    assert_eq!(edit["subject"], "Every need comes from clinicians");
    let records = edit["records"].as_array().expect("records");
    assert_eq!(records.len(), n);
    assert_eq!(records[0]["fields"][0]["name"], "source");
    assert_eq!(records[n - 1]["fields"][0]["new"], "clinician");
}

/// Runs `ddf ARGS` in `dir` under a pseudo-terminal (util-linux `script`), stdout discarded;
/// returns what the terminal showed (ddf's stderr). `None` without `script`, outside CI.
fn on_a_terminal(dir: &Path, args: &str) -> Option<String> {
    let command = format!("'{}' {args} > /dev/null", env!("CARGO_BIN_EXE_ddf"));
    let out = match crate::harness::hermetic(&mut Command::new("script"), dir)
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            assert!(
                !crate::harness::in_ci(),
                "CI=true but `script` (util-linux) is missing; .ci/run installs bsdutils"
            );
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// On a terminal, the first reading of a long history draws a progress bar on stderr and
/// clears it; with `-q`, or when stderr is not a terminal, nothing is drawn.
#[test]
fn a_long_first_walk_shows_progress_on_a_terminal_only() {
    let t = TestRepo::with_basics();
    t.git_init();
    // 1,200 commits, each retitling UN-001, written by fast-import in one go.
    let mut stream = String::new();
    for k in 1..=1200u32 {
        let msg = format!("Retitle {k}\n");
        let text = un("UN-001").replace("title: Need UN-001", &format!("title: Need {k}"));
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter T <t@example.com> {} +0000\ndata {}\n{msg}M 100644 inline records/UN-001.md\ndata {}\n{text}\n",
            1_767_225_600 + 60 * k,
            msg.len(),
            text.len()
        ));
    }
    let mut fi = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&t.root)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git fast-import");
    std::io::Write::write_all(&mut fi.stdin.take().expect("stdin"), stream.as_bytes())
        .expect("stream");
    assert!(fi.wait().expect("fast-import").success());
    t.git(&["reset", "-q", "--hard"]);

    let Some(shown) = on_a_terminal(&t.root, "log --format json") else {
        return;
    };
    assert!(shown.contains("ddf: reading the history ["), "{shown}");
    assert!(shown.contains("/1200"), "{shown}");
    assert!(
        shown.contains("\x1b[2K"),
        "the bar is cleared at the end: {shown:?}"
    );

    std::fs::remove_dir_all(t.path(".git/ddf")).expect("no cache");
    let quiet = on_a_terminal(&t.root, "-q log --format json").unwrap_or_default();
    assert!(!quiet.contains("reading the history"), "{quiet}");

    std::fs::remove_dir_all(t.path(".git/ddf")).expect("no cache");
    let piped = t.ddf(&["log", "--format", "json"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(
        !piped.stderr.contains("reading the history"),
        "{}",
        piped.stderr
    );
    assert_eq!(piped.json()["entries"].as_array().map(Vec::len), Some(1200));
}
