//! Reading records from Git revisions: tags, detached HEAD, shallow clones, subfolder roots, and
//! the errors for revisions that do not exist.

use crate::harness::{di, findings, git_in, run_ddf, un, TestRepo, PER};

fn repo_with_history() -> (TestRepo, String) {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    let first = t.commit("Add UN-001");
    t.git(&["tag", "v1.0"]);
    t.write("records/DI-001.md", &di("DI-001", "UN-404"));
    t.commit("Add DI-001 with a dangling link");
    (t, first)
}

fn records(run: &crate::harness::Run) -> u64 {
    run.json()["records"].as_u64().expect("records")
}

#[test]
fn rev_reads_the_tree_of_a_tag_or_commit() {
    let (t, first) = repo_with_history();
    let head = t.ddf(&["check", "--format", "json"]);
    assert_eq!(records(&head), 3);
    assert!(findings(&head).iter().any(|f| f.0 == "dangling-link"));
    let tag = t.ddf(&["--rev", "v1.0", "check", "--format", "json"]);
    assert_eq!(records(&tag), 2);
    assert!(!findings(&tag).iter().any(|f| f.0 == "dangling-link"));
    let by_id = t.ddf(&["--rev", &first[..12], "check", "--format", "json"]);
    assert_eq!(records(&by_id), 2);
}

#[test]
fn rev_ignores_uncommitted_changes_and_worktree_shows_them() {
    let (t, _) = repo_with_history();
    t.write("records/UN-002.md", &un("UN-002"));
    assert_eq!(records(&t.ddf(&["check", "--format", "json"])), 4);
    assert_eq!(
        records(&t.ddf(&["--rev", "HEAD", "check", "--format", "json"])),
        3
    );
}

#[test]
fn detached_head() {
    let (t, first) = repo_with_history();
    t.git(&["checkout", "-q", "--detach", &first]);
    let run = t.ddf(&["--rev", "HEAD", "check", "--format", "json"]);
    assert_eq!(records(&run), 2);
}

#[test]
fn revision_that_does_not_exist() {
    let (t, _) = repo_with_history();
    let run = t.ddf(&["--rev", "v9.9", "check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("revision `v9.9` does not exist"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}

#[test]
fn repository_without_commits() {
    let t = TestRepo::with_basics();
    t.git_init();
    let run = t.ddf(&["--rev", "HEAD", "check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no commits yet"), "{}", run.stderr);
    // The working tree is still checkable.
    assert_eq!(t.ddf(&["check"]).code, 0);
}

#[test]
fn rev_outside_a_repository() {
    let t = TestRepo::with_basics();
    let run = t.ddf(&["--rev", "HEAD", "check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not inside a Git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn shallow_clone() {
    let (t, _) = repo_with_history();
    let clone = tempfile::tempdir().expect("tmp");
    let url = format!("file://{}", t.root.display());
    git_in(clone.path(), &["clone", "-q", "--depth", "1", &url, "c"], 0);
    let dir = clone.path().join("c");
    let run = run_ddf(&dir, &["--rev", "HEAD", "check", "--format", "json"]);
    assert_eq!(records(&run), 3);
    // History beyond the shallow boundary is not there: a clear error, not a crash.
    let run = run_ddf(&dir, &["--rev", "HEAD~1", "check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
}

#[test]
fn ddf_root_in_a_subfolder() {
    let mut t = TestRepo::new();
    std::fs::remove_file(t.path("ddf.yaml")).expect("rm");
    t.write("design/ddf.yaml", "project: Sub\n");
    t.write("design/records/PER-001.md", PER);
    t.write("design/records/UN-001.md", &un("UN-001"));
    t.write("src/main.c", "int main(void) { return 0; }\n");
    t.git_init();
    t.commit("Initial");
    t.write("design/records/UN-002.md", &un("UN-002"));
    let sub = t.path("design");
    assert_eq!(records(&run_ddf(&sub, &["check", "--format", "json"])), 3);
    assert_eq!(
        records(&run_ddf(
            &sub,
            &["--rev", "HEAD", "check", "--format", "json"]
        )),
        2
    );
    // Found upward from a folder below the root, and with -C from elsewhere.
    assert_eq!(
        records(&run_ddf(
            &sub.join("records"),
            &["check", "--format", "json"]
        )),
        3
    );
    let c = t.root.join("design").display().to_string();
    assert_eq!(
        records(&t.ddf(&["-C", &c, "--rev", "HEAD", "check", "--format", "json"])),
        2
    );
}

#[test]
fn symlink_in_a_git_tree_is_reported() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    t.write("records/UN-001.md", &un("UN-001"));
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/hostname", t.path("records/UN-002.md")).expect("symlink");
    t.commit("with a link");
    #[cfg(unix)]
    {
        let run = t.ddf(&["--rev", "HEAD", "check", "--format", "json"]);
        assert!(
            findings(&run)
                .iter()
                .any(|f| f.0 == "io" && f.1 == "records/UN-002.md"),
            "{}",
            run.stdout
        );
    }
}
