//! The slower path: the real `ddf` binary run on a case written to disk, with `--format json`.
//! It must exit 0, 1 or 2 within the timeout without panicking, and print one JSON document on
//! stdout, or nothing and an `error:` on stderr (exit 2, or exit 1 when the command itself
//! failed). For a DDF, every record file
//! must appear in the output: as a record of `ddf export` or as the path of a `ddf check`
//! finding, and `ddf check`'s `records` must count the records `ddf export` lists.

use crate::case::{Case, Kind};
use crate::seeds::Seeds;
use crate::targets::{materialise, record_paths, Failure, TODAY};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Deliberate faults for the harness's own test: the checks must catch them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inject {
    /// Nothing.
    None,
    /// The first `ddf check` output is cut in half before it is parsed.
    BadJson,
    /// One record is dropped from the first `ddf export` output before the records are counted.
    MissingRecord,
}

/// The binary and its scratch folders.
pub(crate) struct Binary {
    exe: PathBuf,
    /// Where cases are written (`<work>/case`).
    work: PathBuf,
    /// The example DDF on disk.
    example: PathBuf,
    /// The seed advisories on disk.
    osv: PathBuf,
    /// A small slice of the KEV catalogue on disk.
    kev: PathBuf,
    /// A seed SBOM on disk (the old side of `sbom diff`).
    sbom: PathBuf,
    timeout: Duration,
    inject: Inject,
    /// Whether `git` runs here: without it the cases with a commit message run without history
    /// (outside CI; under `CI=true` a missing git is an error, as in the tests).
    git: bool,
}

/// One run of the binary.
struct Run {
    args: String,
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Binary {
    /// Sets up the scratch folders in `work` (outside any Git repository); `example` is the
    /// example DDF already written there.
    pub(crate) fn new(
        exe: PathBuf,
        work: &Path,
        example: PathBuf,
        seeds: &Seeds,
        timeout: Duration,
        inject: Inject,
    ) -> Result<Binary, String> {
        let osv = work.join("osv");
        materialise(&osv, &seeds.osv.iter().cloned().collect())?;
        let kev = work.join("kev.json");
        std::fs::write(&kev, seeds.kev_slices.first().unwrap_or(&seeds.kev))
            .map_err(|e| format!("{}: {e}", kev.display()))?;
        let sbom = example.join("sboms/aip-100-fw-2.0.0.cdx.json");
        let git = Command::new("git")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        if !git && ci {
            return Err(
                "git is not installed (CI=true): the fuzzer commits DDFs to fuzz their history"
                    .into(),
            );
        }
        if !git {
            eprintln!(
                "fuzz: note: git is not installed, so no DDF is committed (history not fuzzed)"
            );
        }
        Ok(Binary {
            git,
            exe,
            work: work.join("case"),
            example,
            osv,
            kev,
            sbom,
            timeout,
            inject,
        })
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Result<Run, Failure> {
        let shown = args.join(" ");
        let mut child = Command::new(&self.exe)
            .args(args)
            .current_dir(dir)
            .env("DDF_TODAY", TODAY)
            .env("NO_COLOR", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_SYSTEM", "/dev/null")
            .env("GIT_CEILING_DIRECTORIES", self.work.parent().unwrap_or(dir))
            .env("HOME", dir)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failure::new("exit", format!("cannot run {}: {e}", self.exe.display())))?;
        // Read both pipes on their own threads: a child that fills one while we wait on it would
        // block forever.
        let mut out = child.stdout.take();
        let mut err = child.stderr.take();
        let out_t = std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(o) = out.as_mut() {
                let _ = o.read_to_end(&mut b);
            }
            b
        });
        let err_t = std::thread::spawn(move || {
            let mut b = Vec::new();
            if let Some(e) = err.as_mut() {
                let _ = e.read_to_end(&mut b);
            }
            b
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if started.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Failure::new(
                        "hang",
                        format!("`ddf {shown}` did not finish within {:?}", self.timeout),
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => return Err(Failure::new("exit", format!("`ddf {shown}`: {e}"))),
            }
        };
        let stdout = out_t.join().unwrap_or_default();
        let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
        let code = status.code().unwrap_or(-1);
        let run = Run {
            args: shown,
            code,
            stdout,
            stderr,
        };
        if run.stderr.contains("panicked at") || code == 101 {
            return Err(Failure::new(
                "panic",
                format!("`ddf {}` panicked:\n{}", run.args, run.stderr),
            ));
        }
        if !matches!(code, 0..=2) {
            return Err(Failure::new(
                "exit",
                format!(
                    "`ddf {}` exited with {} (status {status}):\n{}",
                    run.args, code, run.stderr
                ),
            ));
        }
        Ok(run)
    }

    /// The JSON document of a run with `--format json`: `None` for an error, which must print
    /// nothing on stdout and an `error:` on stderr: exit 2 (usage or configuration), or exit 1
    /// with nothing on stdout (the command failed, e.g. a file it could not read).
    fn json(&self, run: &mut Run, cut: bool) -> Result<Option<serde_json::Value>, Failure> {
        let failed = run.code == 1 && run.stdout.is_empty() && run.stderr.starts_with("error:");
        if failed {
            return Ok(None);
        }
        if run.code == 2 {
            if !run.stdout.is_empty() || !run.stderr.starts_with("error:") {
                return Err(Failure::new(
                    "json",
                    format!(
                        "`ddf {}` exited with 2 but printed {} bytes on stdout, and stderr does not start with `error:`:\n{}",
                        run.args,
                        run.stdout.len(),
                        run.stderr
                    ),
                ));
            }
            return Ok(None);
        }
        if cut {
            run.stdout.truncate(run.stdout.len() / 2);
        }
        serde_json::from_slice(&run.stdout).map(Some).map_err(|e| {
            let head = String::from_utf8_lossy(&run.stdout[..run.stdout.len().min(300)]).into_owned();
            Failure::new(
                "json",
                format!(
                    "`ddf {}` (exit {}) did not print one JSON document: {e}\nstdout begins: {head}\nstderr: {}",
                    run.args, run.code, run.stderr
                ),
            )
        })
    }

    /// Runs the commands that read `case`. `first` is true for the first binary run of this
    /// process (where [`Inject`] faults go).
    pub(crate) fn check(&self, case: &Case, first: bool) -> Result<Vec<String>, Failure> {
        let mut features = Vec::new();
        materialise(&self.work, &case.files).map_err(|e| Failure::new("exit", e))?;
        if case.repo {
            self.repo(case, first, &mut features)?;
        }
        let file = self.work.join(&case.target);
        let f = file.display().to_string();
        let ex = self.example.display().to_string();
        let osv = self.osv.display().to_string();
        let kev = self.kev.display().to_string();
        let sbom = self.sbom.display().to_string();
        let commands: Vec<Vec<&str>> = match case.kind {
            Kind::CycloneDx | Kind::Spdx => vec![
                vec![
                    "sbom",
                    "import",
                    "--dry-run",
                    "--format",
                    "json",
                    "-C",
                    &ex,
                    &f,
                ],
                vec!["sbom", "diff", "--format", "json", "-C", &ex, &sbom, &f],
                vec![
                    "vuln", "scan", "--format", "json", "--osv", &osv, "--sbom", &f,
                ],
            ],
            Kind::Osv => vec![vec![
                "vuln", "scan", "--format", "json", "-C", &ex, "--osv", &f, "--kev", &kev,
            ]],
            Kind::Kev => vec![vec![
                "vuln", "scan", "--format", "json", "-C", &ex, "--osv", &osv, "--kev", &f,
            ]],
            Kind::Record | Kind::FrontMatter | Kind::Config => Vec::new(),
        };
        for args in commands {
            let mut run = self.run(&self.work, &args)?;
            if self.json(&mut run, false)?.is_some() {
                features.push(format!("bin:{}:{}", args[..2].join(" "), run.code));
            }
        }
        Ok(features)
    }

    /// Commits the DDF in the scratch folder: the other files, then `case.target` with the
    /// case's message. Fixed identities and dates, no signing, no user configuration.
    fn commit(&self, case: &Case, message: &[u8]) -> Result<(), Failure> {
        let msg = self.work.with_extension("msg");
        std::fs::write(&msg, message).map_err(|e| Failure::new("exit", e.to_string()))?;
        let git = |args: &[&str], date: &str| {
            Command::new("git")
                .args([
                    "-c",
                    "commit.gpgsign=false",
                    "-c",
                    "init.defaultBranch=main",
                ])
                .args(args)
                .current_dir(&self.work)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_SYSTEM", "/dev/null")
                .env("GIT_AUTHOR_NAME", "Fuzz")
                .env("GIT_AUTHOR_EMAIL", "fuzz@example.com")
                .env("GIT_COMMITTER_NAME", "Fuzz")
                .env("GIT_COMMITTER_EMAIL", "fuzz@example.com")
                .env("GIT_AUTHOR_DATE", date)
                .env("GIT_COMMITTER_DATE", date)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        };
        let base = "2026-01-01T00:00:00Z";
        let head = "2026-02-01T00:00:00Z";
        let target = case.target.as_str();
        let ok = git(&["init", "-q"], base)
            && git(
                &[
                    "add",
                    "-A",
                    "--",
                    ".",
                    &format!(":(exclude,literal){target}"),
                ],
                base,
            )
            && git(&["commit", "-q", "--allow-empty", "-m", "base"], base)
            && git(&["add", "-A"], head)
            && git(
                &[
                    "commit",
                    "-q",
                    "--allow-empty",
                    // An empty message is a case too (a commit made with `git commit
                    // --allow-empty-message`), which git otherwise refuses.
                    "--allow-empty-message",
                    "--cleanup=verbatim",
                    "-F",
                    &msg.display().to_string(),
                ],
                head,
            );
        if ok {
            Ok(())
        } else {
            Err(Failure::new(
                "exit",
                "git could not commit the case (is git installed?)",
            ))
        }
    }

    /// `ddf check` and `ddf export` on a DDF; every record file accounted for. With a commit
    /// message, the DDF is committed first, and `ddf log` and `ddf impact` run on the history.
    fn repo(&self, case: &Case, first: bool, features: &mut Vec<String>) -> Result<(), Failure> {
        let dir = self.work.display().to_string();
        if let Some(m) = case.message.as_ref().filter(|_| self.git) {
            self.commit(case, m)?;
            let history_runs: [&[&str]; 3] = [
                &["log", "--format", "json", "-C", &dir],
                &["log", "--all", "--format", "json", "-C", &dir],
                &["impact", "--format", "json", "-C", &dir, "HEAD~1..HEAD"],
            ];
            for args in history_runs {
                let mut run = self.run(&self.work, args)?;
                self.json(&mut run, false)?;
            }
            features.push("bin:history".into());
        }
        // Which files are records follows from ddf.yaml; a configuration ddf refuses (or a
        // records folder outside the DDF) must make both commands fail.
        let expected = case
            .files
            .get("ddf.yaml")
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| ddf::config::Config::parse(t, "ddf.yaml").ok())
            .and_then(|(c, _)| record_paths(&case.files, &c.records));
        let mut check = self.run(&self.work, &["check", "--format", "json", "-C", &dir])?;
        let check_json = self.json(&mut check, first && self.inject == Inject::BadJson)?;
        let mut export = self.run(&self.work, &["export", "--format", "json", "-C", &dir])?;
        let export_json = self.json(&mut export, false)?;
        // The human report reads the files again to quote the lines: no panic there either.
        self.run(&self.work, &["check", "-C", &dir])?;
        let mut trace = self.run(&self.work, &["trace", "--format", "json", "-C", &dir])?;
        self.json(&mut trace, false)?;
        // The ReqIF export is well-formed XML whatever the records hold (exit 1: some were left
        // out); the records table does not panic.
        let reqif = self.run(&self.work, &["export", "--format", "reqif", "-C", &dir])?;
        if matches!(reqif.code, 0 | 1) {
            let text = String::from_utf8_lossy(&reqif.stdout);
            if let Err(e) = roxmltree::Document::parse(&text) {
                return Err(Failure::new(
                    "reqif",
                    format!("`{}` wrote XML that does not parse: {e}", reqif.args),
                ));
            }
        }
        self.run(&self.work, &["export", "--format", "csv", "-C", &dir])?;
        let id = case
            .files
            .get(&case.target)
            .and_then(|b| ddf::record::parse(&case.target, b).record)
            .map(|r| r.id)
            .filter(|id| !id.is_empty() && !id.starts_with('-'));
        if let Some(id) = id {
            let mut show = self.run(&self.work, &["show", "--format", "json", "-C", &dir, &id])?;
            self.json(&mut show, false)?;
        }
        let json_runs: [&[&str]; 3] = [
            &["review", "--format", "json", "-C", &dir],
            &[
                "check",
                "--release",
                "REL-002",
                "--format",
                "json",
                "-C",
                &dir,
            ],
            &["schema", "--format", "json", "-C", &dir],
        ];
        for args in json_runs {
            let mut run = self.run(&self.work, args)?;
            self.json(&mut run, false)?;
        }
        // The site, written where a build may write (no JSON: the exit code and no panic).
        let site = self.work.with_extension("site");
        let out = site.display().to_string();
        self.run(&self.work, &["build", "-q", "-C", &dir, "-o", &out])?;
        features.push(format!("bin:check:{}:export:{}", check.code, export.code));
        let (check_json, mut export_json) = match (check_json, export_json) {
            (Some(c), Some(e)) => (c, e),
            (None, None) => return Ok(()),
            // `change_control_since` names a revision that only the commands reading history
            // resolve: `check` refuses one that does not exist (exit 2, the configuration is
            // wrong), while `export` needs no history and runs.
            (None, Some(_))
                if check.code == 2 && check.stderr.contains("change_control_since") =>
            {
                features.push("bin:history-only-config-error".into());
                return Ok(());
            }
            _ => {
                return Err(Failure::new(
                    "exit",
                    format!(
                        "on the same DDF one of `ddf check` (exit {}) and `ddf export` (exit {}) failed and the other did not:\n{}\n{}",
                        check.code, export.code, check.stderr, export.stderr
                    ),
                ))
            }
        };
        let Some(expected) = expected else {
            return Err(Failure::new(
                "exit",
                "ddf.yaml does not parse or names a records folder outside the DDF, yet `ddf check` and `ddf export` ran",
            ));
        };
        if first && self.inject == Inject::MissingRecord {
            if let Some(a) = export_json["records"].as_array_mut() {
                a.pop();
            }
        }
        let exported: Vec<&str> = export_json["records"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["path"].as_str()).collect())
            .unwrap_or_default();
        let counted = check_json["records"].as_u64().unwrap_or(u64::MAX);
        if counted != exported.len() as u64 {
            return Err(Failure::new(
                "missing-record",
                format!(
                    "`ddf check` counts {counted} records, `ddf export` lists {}",
                    exported.len()
                ),
            ));
        }
        let named: HashSet<&str> = exported
            .iter()
            .copied()
            .chain(
                check_json["diagnostics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d["path"].as_str()),
            )
            .collect();
        if let Some(lost) = expected.iter().find(|p| !named.contains(p.as_str())) {
            return Err(Failure::new(
                "missing-record",
                format!(
                    "{lost} is in neither the records of `ddf export --format json` nor the findings of `ddf check --format json`"
                ),
            ));
        }
        Ok(())
    }
}
