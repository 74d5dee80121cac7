//! Repository integrity: a repository ddf cannot read whole (a missing commit, tree or blob, a
//! corrupt pack, a `.git` file pointing nowhere) is an error naming the object and what needed
//! it, with exit 2, through the `git` walk, the libgit2 walk and without `git` on the PATH; a
//! shallow clone is not damage.

use crate::harness::{ddf_command, di, git_in, un, Run, TestRepo};
use std::path::Path;

/// How the history is read: by `git` (the fast path), by libgit2 (forced), and by libgit2
/// because `git` is not on the PATH (the fallback).
const WALKS: &[&str] = &["git", "git2", "no-git"];

/// `ddf ARGS` in the DDF at `root` with the history read by `walk`, from an empty cache.
fn run(root: &Path, walk: &str, args: &[&str]) -> Run {
    let _ = std::fs::remove_dir_all(root.join(".git/ddf"));
    let empty = tempfile::tempdir().expect("tmp");
    let mut cmd = ddf_command(root);
    cmd.args(args);
    match walk {
        "git2" => {
            cmd.env("DDF_HISTORY_WALK", "git2");
        }
        "no-git" => {
            cmd.env("PATH", empty.path());
        }
        _ => {}
    }
    crate::harness::ran(cmd.output().expect("ddf runs"))
}

fn short(id: &str) -> &str {
    &id[..10]
}

/// Deletes loose object `id` from the repository, as a bad copy or disk would lose it.
fn lose(t: &TestRepo, id: &str) {
    let path = t.path(&format!(".git/objects/{}/{}", &id[..2], &id[2..]));
    std::fs::remove_file(&path)
        .unwrap_or_else(|e| panic!("{} is a loose object: {e}", path.display()));
}

fn rev(t: &TestRepo, spec: &str) -> String {
    t.git(&["rev-parse", spec]).trim().to_string()
}

/// Asserts `r` is the repository error `message`, with exit 2 and the repair hint.
#[track_caller]
fn damaged(r: &Run, message: &str) {
    assert_eq!(r.code, 2, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!("error: {message}")),
        "expected `{message}` in:\n{}",
        r.stderr
    );
    assert!(r.stderr.contains("hint: run `git fsck`"), "{}", r.stderr);
}

/// Five commits, oldest first: PER-001 and UN-001; UN-002; UN-003; UN-001 retitled; UN-004
/// added and UN-002's body edited.
fn history() -> (TestRepo, Vec<String>) {
    let mut t = TestRepo::with_basics();
    t.git_init();
    let mut ids = Vec::new();
    t.write("records/UN-001.md", &un("UN-001"));
    ids.push(t.commit("One"));
    t.write("records/UN-002.md", &un("UN-002"));
    ids.push(t.commit("Two"));
    t.write("records/UN-003.md", &un("UN-003"));
    ids.push(t.commit("Three"));
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("title: Need UN-001", "title: Retitled"),
    );
    ids.push(t.commit("Retitle UN-001"));
    t.write("records/UN-004.md", &un("UN-004"));
    t.write(
        "records/UN-002.md",
        &un("UN-002").replace("The user needs UN-002.", "The user needs UN-002 twice."),
    );
    ids.push(t.commit("Four, and UN-002 again"));
    (t, ids)
}

/// `ddf check` used to pass ("0 errors") with HEAD~3's commit gone: the walk stopped there and
/// the history rules ran on what was left.
#[test]
fn a_lost_commit_is_named_with_the_commit_that_needs_it() {
    let (t, ids) = history();
    assert_eq!(t.ddf(&["log"]).code, 0);
    // The cache is warm, and does not hide it: the walk reads every commit object.
    lose(&t, &ids[1]);
    let want = format!(
        "commit {} (parent of {}) is missing from the repository",
        ids[1],
        short(&ids[2])
    );
    damaged(&t.ddf(&["check"]), &want);
    for walk in WALKS {
        let check = run(&t.root, walk, &["check"]);
        damaged(&check, &want);
        assert!(!check.stdout.contains("errors"), "{walk}: {}", check.stdout);
        damaged(&run(&t.root, walk, &["log"]), &want);
        damaged(&run(&t.root, walk, &["log", "UN-003"]), &want);
        damaged(&run(&t.root, walk, &["show", "UN-003"]), &want);
        damaged(&run(&t.root, walk, &["build", "-o", "site"]), &want);
    }
    assert!(!t.path("site").exists(), "no site from a partial history");
    // A revision that leads through it cannot be resolved either.
    let r = t.ddf(&["export", "--rev", "HEAD~4"]);
    damaged(
        &r,
        &format!(
            "object {} (needed to resolve `HEAD~4`) is missing from the repository",
            ids[1]
        ),
    );
}

/// `ddf log` used to print "0 changes" with a tree gone: the commits that needed it were
/// dropped.
#[test]
fn a_lost_folder_is_named_with_its_commit() {
    let (t, ids) = history();
    let tree = rev(&t, &format!("{}:records", ids[2]));
    lose(&t, &tree);
    let want = format!(
        "tree {tree} (`records` in commit {}) is missing from the repository",
        short(&ids[2])
    );
    for walk in WALKS {
        let log = run(&t.root, walk, &["log"]);
        damaged(&log, &want);
        assert!(!log.stdout.contains("changes"), "{walk}: {}", log.stdout);
        damaged(&run(&t.root, walk, &["check", "--format", "json"]), &want);
    }
    // Reading that revision names it too, rather than saying the records folder does not exist.
    damaged(&t.ddf(&["export", "--rev", &ids[2]]), &want);
}

/// A lost old version of a record used to turn a title change into "body changed".
#[test]
fn a_lost_version_of_a_record_is_not_read_as_an_edit() {
    let (t, ids) = history();
    let blob = rev(&t, &format!("{}:records/UN-001.md", ids[2]));
    lose(&t, &blob);
    let want = format!(
        "blob {blob} (`records/UN-001.md` in commit {}) is missing from the repository",
        short(&ids[2])
    );
    for walk in WALKS {
        let log = run(&t.root, walk, &["log", "UN-001"]);
        damaged(&log, &want);
        assert!(
            !log.stdout.contains("body changed"),
            "{walk}: {}",
            log.stdout
        );
        damaged(&run(&t.root, walk, &["check"]), &want);
    }
}

/// What the cache holds was read whole; a command that reads an object again (a body diff)
/// names it if it is gone, and one that does not still answers from the cache.
#[test]
fn the_cache_does_not_hide_a_version_a_command_reads() {
    let (t, ids) = history();
    assert_eq!(t.ddf(&["log"]).code, 0);
    let blob = rev(&t, &format!("{}:records/UN-002.md", ids[3]));
    lose(&t, &blob);
    let log = t.ddf(&["log", "UN-002"]);
    damaged(
        &log,
        &format!(
            "blob {blob} (`records/UN-002.md` in commit {}) is missing from the repository",
            short(&ids[3])
        ),
    );
    let changes = t.ddf(&["log", "--format", "json"]);
    assert_eq!(changes.code, 0, "{}", changes.stderr);
    // Without the cache the walk needs the blob (UN-002's field changes) and names it.
    damaged(&run(&t.root, "git", &["log"]), &format!("blob {blob}"));
}

/// `--rev` reads records through git2: a lost blob, folder or `ddf.yaml` is named, not read as a
/// missing file (or a DDF without configuration).
#[test]
fn reading_a_revision_names_what_it_lost() {
    let (t, ids) = history();
    let record = rev(&t, &format!("{}:records/UN-003.md", ids[3]));
    lose(&t, &record);
    damaged(
        &t.ddf(&["export", "--rev", &ids[3]]),
        &format!(
            "blob {record} (`records/UN-003.md` in commit {}) is missing from the repository",
            short(&ids[3])
        ),
    );
    let config = rev(&t, &format!("{}:ddf.yaml", ids[0]));
    lose(&t, &config);
    for args in [
        &["export", "--rev", "HEAD"][..],
        &["schema", "--rev", "HEAD"],
        &["trace", "--rev", "HEAD"],
    ] {
        damaged(
            &t.ddf(args),
            &format!(
                "blob {config} (`ddf.yaml` in commit {}) is missing from the repository",
                short(&ids[4])
            ),
        );
    }
}

/// A `.git` file whose `gitdir:` leads nowhere used to read as "not a Git repository": the
/// history rules were skipped without a word.
#[test]
fn a_git_file_pointing_nowhere_is_an_error() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.commit("One");
    std::fs::remove_dir_all(t.path(".git")).expect("rm .git");
    t.write(".git", "gitdir: /nowhere\n");
    let want = format!(
        "error: {} does not lead to a usable Git repository: it points to /nowhere",
        t.path(".git").display()
    );
    for args in [
        &["check"][..],
        &["log"],
        &["export", "--rev", "HEAD"],
        &["review"],
        &["impact"],
    ] {
        let r = t.ddf(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(&want), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("hint: fix the `gitdir:` line"),
            "{}",
            r.stderr
        );
    }
    // Without any `.git`, the DDF is simply not in a repository.
    std::fs::remove_file(t.path(".git")).expect("rm .git file");
    let plain = t.ddf(&["check"]);
    assert_ne!(plain.code, 2, "{}", plain.stderr);
    assert!(!plain.stderr.contains("gitdir"), "{}", plain.stderr);
}

/// A branch or `HEAD` that names a lost commit is damage, not an empty history or a branch that
/// does not exist.
#[test]
fn a_lost_tip_is_named_with_the_reference() {
    let (t, ids) = history();
    // HEAD on a feature branch; the controlled branch `main` names the lost commit.
    t.git(&["checkout", "-q", "-b", "feature", &ids[3]]);
    lose(&t, &ids[4]);
    let want = format!(
        "commit {} (named by `refs/heads/main`) is missing from the repository",
        ids[4]
    );
    damaged(&t.ddf(&["check"]), &want);
    damaged(&t.ddf(&["impact"]), &want);
    // HEAD itself.
    t.git(&["symbolic-ref", "HEAD", "refs/heads/main"]);
    damaged(
        &t.ddf(&["check"]),
        &format!(
            "commit {} (named by `HEAD (main)`) is missing from the repository",
            ids[4]
        ),
    );
}

/// A pack with a damaged object: named as unreadable, with Git's reason.
#[test]
fn a_corrupt_pack_is_named() {
    let (t, ids) = history();
    t.git(&["repack", "-a", "-d", "-q"]);
    // The old version of UN-001, which the retitle's field changes need.
    let blob = rev(&t, &format!("{}:records/UN-001.md", ids[2]));
    let pack = crate::harness::files_under(&t.path(".git/objects/pack"))
        .into_iter()
        .map(|(_, p)| p)
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .expect("a pack");
    let listing = t.git(&["verify-pack", "-v", &pack.display().to_string()]);
    // `<id> <type> <size> <size in pack> <offset> ...`
    let offset: u64 = listing
        .lines()
        .find(|l| l.starts_with(&blob))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|o| o.parse().ok())
        .expect("the blob is in the pack");
    let mut bytes = std::fs::read(&pack).expect("read pack");
    let at = usize::try_from(offset).expect("offset") + 4;
    for b in &mut bytes[at..at + 8] {
        *b = 0;
    }
    let mut perms = std::fs::metadata(&pack).expect("stat").permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).expect("chmod");
    std::fs::write(&pack, bytes).expect("write pack");
    for walk in WALKS {
        let log = run(&t.root, walk, &["log"]);
        assert_eq!(log.code, 2, "{walk}: {}", log.stderr);
        // Which damaged object the walk meets first depends on how Git packed the versions
        // (one may be stored as a delta of another).
        assert!(
            log.stderr.contains("error: blob ") && log.stderr.contains(") cannot be read: "),
            "{walk}: {}",
            log.stderr
        );
        assert!(
            log.stderr.contains("hint: run `git fsck`"),
            "{}",
            log.stderr
        );
    }
}

/// A shallow clone is not damage: every walk reads it, the same way, and says it is shallow.
#[test]
fn a_shallow_clone_reads_the_same_with_every_walk() {
    let (t, _) = history();
    let clone = tempfile::tempdir().expect("tmp");
    let url = format!("file://{}", t.root.display());
    git_in(clone.path(), &["clone", "-q", "--depth", "2", &url, "c"], 0);
    let c = clone.path().join("c");
    let mut outputs = Vec::new();
    for walk in WALKS {
        let log = run(&c, walk, &["log", "--format", "json"]);
        assert_eq!(log.code, 0, "{walk}: {}", log.stderr);
        assert!(
            log.stderr.contains("shallow clone"),
            "{walk}: {}",
            log.stderr
        );
        outputs.push(log.stdout);
        let check = run(&c, walk, &["check"]);
        assert!(check.code < 2, "{walk}: {}", check.stderr);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
    let v: serde_json::Value = serde_json::from_str(&outputs[0]).expect("json");
    assert_eq!(v["shallow"], true);
    assert_eq!(v["entries"].as_array().map(Vec::len), Some(2));
}

/// A suspect link shows the target's old body, read from the repository at page time: a lost
/// version is an error for `ddf show` and `ddf build`, not an empty "before".
#[test]
fn suspect_link_diffs_name_a_lost_version() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.write("records/DI-001.md", &di("DI-001", "UN-001"));
    t.commit("Both");
    let old = crate::history::blob(&t, "records/UN-001.md");
    t.write(
        "records/UN-001.md",
        &un("UN-001").replace("The user needs UN-001.", "The user needs UN-001 at night."),
    );
    t.commit("Change the need");
    let show = t.ddf(&["show", "DI-001"]);
    assert!(
        show.stdout.contains("-The user needs UN-001."),
        "{}",
        show.stdout
    );
    lose(&t, &old);
    let want = format!("blob {old} (a version of UN-001) is missing from the repository");
    damaged(&t.ddf(&["show", "DI-001"]), &want);
    damaged(&t.ddf(&["build", "-o", "site"]), &want);
    assert!(!t.path("site").exists());
}

/// A tag on a commit the repository lost (not on the branch: the walk does not meet it) fails the
/// site's release pages instead of listing the release as "not in this repository's history".
#[test]
fn a_tag_on_a_lost_commit_fails_the_site() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    t.commit("One");
    t.git(&["checkout", "-q", "-b", "side"]);
    t.write("records/UN-002.md", &un("UN-002"));
    let side = t.commit("Side");
    t.git(&["tag", "v0.9"]);
    t.git(&["checkout", "-q", "main"]);
    t.git(&["branch", "-q", "-D", "side"]);
    assert_eq!(t.ddf(&["build", "-o", "site"]).code, 0);
    lose(&t, &side);
    damaged(
        &t.ddf(&["build", "-o", "site2"]),
        &format!(
            "object {side} (needed to resolve `refs/tags/v0.9`) is missing from the repository"
        ),
    );
}

/// `ddf impact` reads the base's version of each changed record from the repository.
#[test]
fn impact_names_a_lost_base_version() {
    let (t, ids) = history();
    let blob = rev(&t, &format!("{}:records/UN-002.md", ids[3]));
    lose(&t, &blob);
    let range = format!("{}..{}", ids[3], ids[4]);
    damaged(
        &t.ddf(&["impact", &range]),
        &format!(
            "blob {blob} (`records/UN-002.md` in commit {}) is missing from the repository",
            short(&ids[3])
        ),
    );
}
