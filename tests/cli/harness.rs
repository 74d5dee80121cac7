//! `TestRepo`: a DDF in a temp dir, with helpers to write records, commit with fixed dates and
//! run the binary.

use std::path::{Path, PathBuf};
use std::process::Command;

/// "Today" for every test run, so date-based rules are stable.
pub(crate) const TODAY: &str = "2026-06-01";

pub(crate) struct TestRepo {
    _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    commits: u32,
}

pub(crate) struct Run {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) code: i32,
}

impl Run {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub(crate) const PER: &str = "---\nid: PER-001\ntype: person\ntitle: Ada Lovelace\nstatus: approved\nowner: PER-001\nprinted_name: Ada Lovelace\nroles: [design-owner]\nmay_sign: [approval]\nkeys: []\nidentity_verified: 2026-01-01\n---\nDesign owner.\n";

pub(crate) fn un(id: &str) -> String {
    format!("---\nid: {id}\ntype: user-need\ntitle: Need {id}\nstatus: draft\nowner: PER-001\nsource: user\n---\nThe user needs {id}.\n")
}

pub(crate) fn di(id: &str, traces_to: &str) -> String {
    format!("---\nid: {id}\ntype: design-input\ntitle: Input {id}\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: Works.\ntraces_to: [{traces_to}]\n---\nThe pump shall do {id}.\n")
}

impl TestRepo {
    /// An empty folder with a `ddf.yaml` for project "Test".
    pub(crate) fn new() -> TestRepo {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        let t = TestRepo {
            _dir: dir,
            root,
            commits: 0,
        };
        t.write("ddf.yaml", "project: Test\n");
        std::fs::create_dir_all(t.root.join("records")).expect("records dir");
        t
    }

    /// A copy of `docs-example/` in a temp dir, so commands that write cannot touch the repository.
    pub(crate) fn example() -> TestRepo {
        let t = TestRepo::new();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs-example");
        for (rel, p) in files_under(&src) {
            t.write_bytes(&rel, &std::fs::read(&p).expect("read"));
        }
        t
    }

    /// A DDF with one person and one user need: the smallest that checks clean of structure findings.
    pub(crate) fn with_basics() -> TestRepo {
        let t = TestRepo::new();
        t.write("records/PER-001.md", PER);
        t
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub(crate) fn write(&self, rel: &str, text: &str) -> &Self {
        self.write_bytes(rel, text.as_bytes())
    }

    pub(crate) fn write_bytes(&self, rel: &str, bytes: &[u8]) -> &Self {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
        self
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).expect("read")
    }

    /// Runs git in the repository with a hermetic environment.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        git_in(&self.root, args, self.commits)
    }

    pub(crate) fn git_init(&self) -> &Self {
        self.git(&["init", "-q", "-b", "main"]);
        self
    }

    /// Stages everything and commits with a fixed date (one minute after the previous commit).
    pub(crate) fn commit(&mut self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.commits += 1;
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    /// Runs `ddf` in the DDF root.
    pub(crate) fn ddf(&self, args: &[&str]) -> Run {
        run_ddf(&self.root, args)
    }
}

pub(crate) fn git_in(dir: &Path, args: &[&str], n: u32) -> String {
    let date = format!("2026-01-01T00:{:02}:00Z", n % 60);
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_COMMITTER_DATE", &date)
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every file below `dir`: its `/`-separated path from `dir` and its full path, sorted by the
/// former.
pub(crate) fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside").to_string_lossy();
                out.push((rel.replace('\\', "/"), p));
            }
        }
    }
    out.sort();
    out
}

/// The Markdown files below `dir`, sorted.
pub(crate) fn md_files(dir: &Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect()
}

/// True when the `CI` variable says this is a CI run (`true` or `1`): a tool a test needs is then
/// installed by `.ci/run`, so its absence fails the test instead of skipping it.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// `cmd` run in `dir` with the hermetic environment of every test run of ddf: a fixed today, no
/// colour, no user or system Git configuration, `dir` as home.
pub(crate) fn hermetic<'c>(cmd: &'c mut Command, dir: &Path) -> &'c mut Command {
    cmd.current_dir(dir)
        .env("DDF_TODAY", TODAY)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .env("HOME", dir)
}

/// The ddf binary, to be run in `dir` with the hermetic environment ([`hermetic`]).
pub(crate) fn ddf_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ddf"));
    hermetic(&mut cmd, dir);
    cmd
}

pub(crate) fn run_ddf(dir: &Path, args: &[&str]) -> Run {
    ran(ddf_command(dir).args(args).output().expect("ddf runs"))
}

/// The [`Run`] of a finished ddf process, which must not have panicked.
pub(crate) fn ran(out: std::process::Output) -> Run {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "ddf panicked: {stderr}");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        code: out.status.code().unwrap_or(-1),
    }
}

/// The diagnostics of a `check --format json` run, as (rule, path, line, column).
pub(crate) fn findings(run: &Run) -> Vec<(String, String, Option<u64>, Option<u64>)> {
    let v = run.json();
    v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or_default().to_string(),
                d["path"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64(),
                d["column"].as_u64(),
            )
        })
        .collect()
}

/// Redacts the temp dir from output for snapshots.
pub(crate) fn redact(s: &str, root: &Path) -> String {
    s.replace(&root.display().to_string(), "[ROOT]")
}
