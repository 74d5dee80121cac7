//! History index tests on repositories built with hermetic Git.

use super::*;
use std::process::Command;

struct Repo {
    dir: tempfile::TempDir,
    n: u32,
}

impl Repo {
    fn new() -> Repo {
        let r = Repo {
            dir: tempfile::tempdir().expect("tmp"),
            n: 0,
        };
        r.git(&["init", "-q", "-b", "main"]);
        r.write("ddf.yaml", "project: T\n");
        r
    }
    fn git(&self, args: &[&str]) -> String {
        let date = format!("2026-01-01T00:{:02}:00Z", self.n % 60);
        let out = Command::new("git")
            .args(args)
            .current_dir(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_SYSTEM", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Ann Author")
            .env("GIT_AUTHOR_EMAIL", "ann@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_NAME", "Ann Author")
            .env("GIT_COMMITTER_EMAIL", "ann@example.com")
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
    fn write(&self, p: &str, t: &str) {
        let p = self.dir.path().join(p);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, t).expect("write");
    }
    fn commit(&mut self, msg: &str) -> String {
        self.n += 1;
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }
}

fn un(id: &str, title: &str, body: &str) -> String {
    format!("---\nid: {id}\ntype: user-need\ntitle: {title}\nstatus: draft\nowner: PER-001\nsource: user\n---\n{body}\n")
}

#[test]
fn field_level_changes_renames_and_removals() {
    let mut r = Repo::new();
    r.write("records/UN-001.md", &un("UN-001", "First", "Body one."));
    r.write("records/UN-002.md", &un("UN-002", "Second", "Body two."));
    let c1 = r.commit("Add needs");
    r.write(
        "records/UN-001.md",
        &un("UN-001", "First, revised", "Body one."),
    );
    let c2 = r.commit("Revise UN-001\n\nChange-Request: CR-001");
    std::fs::create_dir_all(r.dir.path().join("records/needs")).expect("mkdir");
    r.git(&["mv", "records/UN-001.md", "records/needs/UN-001.md"]);
    r.write(
        "records/needs/UN-001.md",
        &un("UN-001", "First, revised", "Body one, moved."),
    );
    std::fs::remove_file(r.dir.path().join("records/UN-002.md")).expect("rm");
    let c3 = r.commit("Move UN-001, drop UN-002");
    let h = History::load(r.dir.path(), None, "records").expect("history");
    assert_eq!(
        h.commits.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        vec![c3.clone(), c2.clone(), c1.clone()]
    );
    let un1 = h.of_record("UN-001");
    assert_eq!(un1.len(), 3);
    let (c, ch) = un1[0];
    assert_eq!((c.id.as_str(), ch.kind), (c3.as_str(), ChangeKind::Renamed));
    assert_eq!(ch.old_path.as_deref(), Some("records/UN-001.md"));
    assert!(ch.body_changed && ch.fields.is_empty());
    let (c, ch) = un1[1];
    assert_eq!(c.id, c2);
    assert_eq!(
        ch.fields,
        vec![FieldChange {
            name: "title".into(),
            old: Some("First".into()),
            new: Some("First, revised".into())
        }]
    );
    assert!(!ch.body_changed);
    assert_eq!(c.control().change_requests, ["CR-001"]);
    assert_eq!(un1[2].1.kind, ChangeKind::Added);
    let un2 = h.of_record("UN-002");
    assert_eq!(
        un2.iter().map(|(_, ch)| ch.kind).collect::<Vec<_>>(),
        vec![ChangeKind::Removed, ChangeKind::Added]
    );
    assert_eq!(h.computed, 3);
    // Second run: everything from the cache, same answer.
    let again = History::load(r.dir.path(), None, "records").expect("history");
    assert_eq!(again.computed, 0);
    assert_eq!(again.of_record("UN-001").len(), 3);
    // Incremental: one new commit is the only one computed.
    r.write(
        "records/needs/UN-001.md",
        &un("UN-001", "First, final", "Body one, moved."),
    );
    r.commit("Final");
    let third = History::load(r.dir.path(), None, "records").expect("history");
    assert_eq!(third.computed, 1);
    assert_eq!(third.of_record("UN-001").len(), 4);
    // The cache lives in .git, never in the working tree.
    assert!(r.dir.path().join(".git/ddf").is_dir());
    assert!(r.git(&["status", "--porcelain"]).is_empty());
}

#[test]
fn merge_commits_first_parent_and_inherited_changes() {
    let mut r = Repo::new();
    r.write("records/UN-001.md", &un("UN-001", "One", "b"));
    r.commit("Base");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("records/UN-002.md", &un("UN-002", "Two", "b"));
    let f1 = r.commit("Add UN-002");
    r.write("records/UN-001.md", &un("UN-001", "One, edited", "b"));
    let f2 = r.commit("Edit UN-001");
    r.git(&["checkout", "-q", "main"]);
    r.n += 1;
    r.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge feature\n\nChange-Request: CR-002",
        "feature",
    ]);
    let m = r.git(&["rev-parse", "HEAD"]);
    let h = History::load(r.dir.path(), None, "records").expect("history");
    let fp: Vec<&str> = h
        .first_parent()
        .iter()
        .map(|&i| h.commits[i].id.as_str())
        .collect();
    assert_eq!(fp.len(), 2);
    assert_eq!(fp[0], m);
    let merge = h.position(&m).expect("merge");
    let merged: Vec<&str> = h
        .merged_commits(merge)
        .iter()
        .map(|&i| h.commits[i].id.as_str())
        .collect();
    assert_eq!(merged, vec![f2.as_str(), f1.as_str()]);
    // The merge's net change lists both records, marked as coming from the branch.
    let mc = h.commit(&m).expect("merge commit");
    assert_eq!(mc.changes.len(), 2);
    assert!(mc.changes.iter().all(|c| c.inherited));
    // A record's own history lists the branch commits, not the merge.
    let ids: Vec<&str> = h
        .of_record("UN-001")
        .iter()
        .map(|(c, _)| c.id.as_str())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], f2);
}

#[test]
fn ddf_root_in_a_subfolder_and_artifact_paths() {
    let mut r = Repo::new();
    r.write("design/ddf.yaml", "project: T\n");
    r.write("design/records/UN-001.md", &un("UN-001", "One", "b"));
    r.write("src/pump.c", "int x;\n");
    r.commit("Start");
    r.write("src/pump.c", "int y;\n");
    let c = r.commit("Code only");
    let h = History::load(&r.dir.path().join("design"), None, "records").expect("history");
    assert_eq!(h.prefix, "design");
    assert_eq!(h.of_record("UN-001").len(), 1);
    assert_eq!(h.of_record("UN-001")[0].1.path, "records/UN-001.md");
    let code = h.commit(&c).expect("commit");
    assert!(code.changes.is_empty());
    assert_eq!(code.paths, ["src/pump.c"]);
}

#[test]
fn empty_repository_has_empty_history() {
    let r = Repo::new();
    let h = History::load(r.dir.path(), None, "records").expect("history");
    assert!(h.commits.is_empty());
    assert!(h.first_parent().is_empty());
}

#[test]
fn git_fast_path_and_git2_walk_agree() {
    let mut r = Repo::new();
    r.write("records/UN-001.md", &un("UN-001", "One", "a"));
    r.write("records/odd-name.md", &un("UN-002", "Two", "b"));
    r.write("src/x.c", "x");
    r.commit("Start");
    std::fs::create_dir_all(r.dir.path().join("records/sub")).expect("mkdir");
    r.git(&["mv", "records/UN-001.md", "records/sub/UN-001.md"]);
    r.write("records/odd-name.md", &un("UN-002", "Two!", "b"));
    r.commit("Move and edit");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("records/UN-003.md", &un("UN-003", "Three", "c"));
    r.commit("Side");
    r.git(&["checkout", "-q", "main"]);
    r.write("src/x.c", "y");
    r.commit("Code");
    r.n += 1;
    r.git(&["merge", "-q", "--no-ff", "-m", "Merge side", "side"]);
    // A file not named by its id moves to its id's name and is edited: the added side is named
    // by its id, and both sides must still be read for the field change.
    r.git(&["mv", "records/odd-name.md", "records/UN-002.md"]);
    r.write("records/UN-002.md", &un("UN-002", "Two, named", "b"));
    r.commit("Name UN-002 by its id");
    let summary = |h: &History| -> Vec<String> {
        h.commits
            .iter()
            .map(|c| serde_json::to_string(c).expect("json"))
            .collect()
    };
    let fast = History::load_with(r.dir.path(), None, "records", Walk::Git { min_shard: 500 })
        .expect("fast");
    std::fs::remove_dir_all(r.dir.path().join(".git/ddf")).expect("clear cache");
    // Two commits per shard: the range is cut in shards read side by side, and put back in order.
    let sharded = History::load_with(r.dir.path(), None, "records", Walk::Git { min_shard: 2 })
        .expect("sharded");
    std::fs::remove_dir_all(r.dir.path().join(".git/ddf")).expect("clear cache");
    let slow = History::load_with(r.dir.path(), None, "records", Walk::Git2).expect("git2");
    assert_eq!(fast.computed, 6);
    assert_eq!(sharded.computed, 6);
    assert_eq!(slow.computed, 6);
    let named = &fast.commits[0].changes[0];
    assert_eq!(named.kind, ChangeKind::Renamed);
    assert_eq!(named.fields.len(), 1, "{named:?}");
    assert_eq!(named.fields[0].name, "title");
    assert_eq!(summary(&fast), summary(&slow));
    assert_eq!(summary(&sharded), summary(&slow));
    // The fast path really ran (a silent fall back to git2 would agree too), with two workers
    // and one commit per block, so blocks were taken over between workers.
    let repo = git2::Repository::open(r.dir.path()).expect("repo");
    let oids: Vec<git2::Oid> = slow
        .commits
        .iter()
        .map(|c| git2::Oid::from_str(&c.id).expect("oid"))
        .collect();
    let (walked, lines) = super::gitcli::walk(r.dir.path(), repo.path(), &oids, "records", "", 2)
        .expect("no damage")
        .expect("the git walk ran");
    let walked: Vec<String> = walked
        .iter()
        .map(|c| serde_json::to_string(c).expect("json"))
        .collect();
    assert_eq!(walked, summary(&slow));
    let mut cached: Vec<String> = String::from_utf8(lines)
        .expect("utf-8")
        .lines()
        .map(String::from)
        .collect();
    let mut expected = summary(&slow);
    cached.sort();
    expected.sort();
    assert_eq!(cached, expected, "one cache line per commit");
}

/// Entries of an older cache version may have been computed from a damaged repository: they are
/// not read, and the file goes when the history is walked again.
#[test]
fn an_older_cache_is_ignored_and_removed() {
    let mut r = Repo::new();
    r.write("records/UN-001.md", &un("UN-001", "One", "a"));
    r.commit("One");
    let h = History::load(r.dir.path(), None, "records").expect("history");
    assert_eq!(h.computed, 1);
    let repo = git2::Repository::open(r.dir.path()).expect("repo");
    let current = cache::path(&repo, "", "records");
    let name = current
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_string();
    assert!(name.starts_with("history-v2-"), "{name}");
    let old = current.with_file_name(name.replace("history-v2-", "history-v1-"));
    std::fs::rename(&current, &old).expect("make it an old cache");
    let again = History::load(r.dir.path(), None, "records").expect("history");
    assert_eq!(again.computed, 1, "the old cache is not read");
    assert!(!old.exists(), "and is removed");
    assert!(current.exists());
}

/// Every walk reports the first damaged commit in the walk's order, whichever worker met it.
#[test]
fn every_walk_names_the_newest_damage() {
    let mut r = Repo::new();
    let mut blobs = Vec::new();
    for k in 1..=6 {
        r.write(
            "records/UN-001.md",
            &un("UN-001", &format!("Title {k}"), "b"),
        );
        r.commit(&format!("Edit {k}"));
        blobs.push(r.git(&["rev-parse", "HEAD:records/UN-001.md"]));
    }
    // Versions 2 and 4 lost: edits 2 and 3 need the first, edits 4 and 5 the second; the walk
    // meets edit 5 first (newest first), whatever the workers' timing.
    for b in [&blobs[1], &blobs[3]] {
        std::fs::remove_file(
            r.dir
                .path()
                .join(format!(".git/objects/{}/{}", &b[..2], &b[2..])),
        )
        .expect("loose blob");
    }
    for walk in [Walk::Git2, Walk::Git { min_shard: 1 }] {
        let e = History::load_with(r.dir.path(), None, "records", walk).expect_err("damaged");
        assert!(
            e.to_string().starts_with(&format!("blob {} ", blobs[3])),
            "{walk:?}: {e}"
        );
    }
    // The `git` walk itself names it (from `cat-file`'s `missing`), with several workers,
    // rather than leaving it to the git2 walk.
    let repo = git2::Repository::open(r.dir.path()).expect("repo");
    let mut oids = Vec::new();
    let mut walk = repo.revwalk().expect("revwalk");
    walk.push_head().expect("head");
    for o in walk {
        oids.push(o.expect("commit"));
    }
    for min_shard in [1, 500] {
        let e = super::gitcli::walk(r.dir.path(), repo.path(), &oids, "records", "", min_shard)
            .expect_err("damaged");
        assert!(
            e.to_string().starts_with(&format!("blob {} ", blobs[3])),
            "{e}"
        );
    }
    // The schedule that once named edit 3: the other workers are too slow to take anything, so
    // one worker meets the damage in its own run before the runs before it that it takes over.
    for workers in 2..=4 {
        for me in 0..workers {
            let e =
                super::gitcli::walk_alone(r.dir.path(), repo.path(), &oids, "records", workers, me)
                    .expect_err("damaged");
            assert!(
                e.to_string().starts_with(&format!("blob {} ", blobs[3])),
                "worker {me} of {workers} alone: {e}"
            );
        }
    }
}
