//! `ddf verify import FILE...`: JUnit XML test results into the VERs they serve
//! (docs/verify.md).

use super::{print, write_atomic, CliError, Env, Format};
use crate::exchange::junit::{self, MAX_JUNIT};
use crate::exchange::verify::{self, Plan, Run};
use std::path::Path;

/// Verifications from test results.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: VerifyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum VerifyCommand {
    /// Read JUnit XML reports and write each VER's `result`, `executed_on`, `baseline` and
    /// `evidence` from the tests that serve it (a `ddf` property, a `[VER-012]` tag in the test
    /// name, or the VER's `tests:` list). Exit 1 when a test names something that is not a VER,
    /// or a run is older than its VER's content (docs/verify.md).
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The JUnit XML reports of one test run.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<std::path::PathBuf>,
    /// The commit the run tested (a commit, tag or branch; written as its full commit id).
    /// Default: the `ddf.baseline` property of the reports.
    #[arg(long, value_name = "REV")]
    baseline: Option<String>,
    /// Print what would change and write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Runs `ddf verify`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    match args.command {
        VerifyCommand::Import(a) => import(env, a),
    }
}

/// Reads one report, bounded, refusing anything but a regular file.
fn read_report(path: &Path) -> Result<String, CliError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        CliError::usage(format!("cannot read {shown}: {e}"))
            .hint("give the path of a JUnit XML file the test run wrote")
    })?;
    if !meta.is_file() {
        return Err(CliError::usage(format!("{shown} is not a regular file")));
    }
    if meta.len() > MAX_JUNIT {
        return Err(CliError::usage(format!(
            "{shown} is {} bytes, more than the {MAX_JUNIT} bytes ddf reads",
            meta.len()
        ))
        .hint("leave the captured output out of the report (most runners have an option for it)"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    use std::io::Read;
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_JUNIT + 1).read_to_end(&mut bytes))
        .map_err(|e| CliError::usage(format!("cannot read {shown}: {e}")))?;
    if bytes.len() as u64 > MAX_JUNIT {
        return Err(CliError::usage(format!(
            "{shown} grew past {MAX_JUNIT} bytes while it was read"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let pos = crate::front_matter::utf8_error_pos(e.as_bytes());
        CliError::usage(format!(
            "{shown}:{}:{}: the file is not UTF-8",
            pos.line, pos.column
        ))
        .hint("JUnit reports are UTF-8; re-run the tests with the runner's default encoding")
    })
}

/// How a report is named in `evidence`: relative to the DDF root when it is inside it.
fn evidence_path(root: &Path, file: &Path) -> String {
    let inside = file
        .canonicalize()
        .ok()
        .zip(root.canonicalize().ok())
        .and_then(|(f, r)| f.strip_prefix(&r).ok().map(Path::to_path_buf));
    match inside {
        Some(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        None => file.to_string_lossy().replace('\\', "/"),
    }
}

fn import(env: &Env, a: ImportArgs) -> Result<u8, CliError> {
    if env.rev.is_some() {
        return Err(CliError::usage(
            "`ddf verify import` edits the working tree; it takes no --rev",
        )
        .hint("give the commit the tests ran on with --baseline REV"));
    }
    let format = env.format(&[Format::Human, Format::Json])?;
    let (corpus, _graph) = env.load()?;
    let mut runs = Vec::new();
    for file in &a.files {
        let text = read_report(file)?;
        let report = junit::parse(&text).map_err(|e| {
            let at = e.pos.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default();
            CliError::usage(format!("{}{at}: {}", file.display(), e.message))
                .hint("give the JUnit XML file the test runner wrote (cargo nextest, pytest --junitxml, Surefire, gtest --gtest_output=xml, jest-junit, gotestsum --junitfile, robot --xunit)")
        })?;
        runs.push(Run {
            path: evidence_path(&env.root, file),
            report,
        });
    }
    let root = env
        .root
        .canonicalize()
        .map_err(|e| CliError::usage(format!("cannot open {}: {e}", env.root.display())))?;
    let repo = crate::source::repository_of(&root)?.map(|(r, _)| r);
    let wanted = match &a.baseline {
        Some(rev) => rev.clone(),
        None => verify::baseline_of(&runs)
            .map_err(|e| {
                CliError::usage(format!("the reports disagree on the commit they tested: {e}"))
                    .hint("import the runs of each commit separately, or give --baseline REV")
            })?
            .ok_or_else(|| {
                CliError::usage("no baseline: which commit did these tests run on?").hint(format!(
                    "give --baseline REV (in CI, the commit checked out: --baseline \"$GITHUB_SHA\"), or write a `{}` property in the report",
                    verify::BASELINE_PROPERTY
                ))
            })?,
    };
    let Some(repo) = repo else {
        return Err(CliError::usage(format!(
            "{} is not in a Git repository, so the baseline `{wanted}` cannot be resolved to a commit",
            env.root.display()
        ))
        .hint("a verification's baseline is a commit of the DDF's repository: `git init` and commit first"));
    };
    let baseline = crate::source::resolve_commit(&repo, &wanted)
        .map_err(|e| {
            let hint = e.hint().unwrap_or(
                "give the commit the tests ran on; in a shallow clone, fetch it first (git fetch --unshallow)",
            );
            CliError::usage(format!("baseline `{wanted}`: {e}")).hint(hint)
        })?
        .to_string();
    let history = match crate::history::History::load(&env.root, None, &corpus.config.records) {
        Ok(h) if !h.commits.is_empty() => Some(h),
        Ok(_) => None,
        Err(crate::history::HistoryError::NotARepository(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let mut plan = verify::plan(
        &corpus,
        &runs,
        &baseline,
        crate::date::Date::today(),
        history.as_ref(),
    );
    if history.as_ref().is_some_and(|h| h.shallow) {
        plan.notes.push(
            "this is a shallow clone: history before its boundary is missing, so a VER's last content change may be older than shown".into(),
        );
    }
    plan.dry_run = a.dry_run;
    if !a.dry_run {
        write(&env.root, &plan)?;
    }
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&plan).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        _ => human(&plan),
    };
    print(&text)?;
    Ok(if plan.has_problems() { 1 } else { 0 })
}

/// VER files beyond which an import writes as a batch: each file atomically (temporary file,
/// rename) but without its own `fsync`, then one flush of the file system. 500 separate
/// `fsync`s cost seconds; one flush a fraction of that.
const BATCH: usize = 64;

/// Writes the edited VERs, each atomically; every file is edited before any is written, so a
/// VER that cannot be edited leaves all of them as they were.
fn write(root: &Path, plan: &Plan) -> Result<(), CliError> {
    use rayon::prelude::*;
    let changing: Vec<&verify::Update> = plan
        .updated
        .iter()
        .filter(|u| !u.edits.is_empty())
        .collect();
    let edited: Vec<(&verify::Update, String)> = changing
        .par_iter()
        .map(|u| {
            let text = std::fs::read_to_string(root.join(&u.path))
                .map_err(|e| CliError::failed(format!("cannot read {}: {e}", u.path)))?;
            let edited = verify::apply(&text, u)
                .map_err(|e| CliError::failed(format!("{}: {e}", u.path)))?;
            Ok((*u, edited))
        })
        .collect::<Result<_, CliError>>()?;
    let batch = edited.len() > BATCH;
    edited.par_iter().try_for_each(|(u, text)| {
        let path = root.join(&u.path);
        let written = if batch {
            super::write_via_temp(&path, text.as_bytes(), true, false)
        } else {
            write_atomic(&path, text.as_bytes(), true)
        };
        written.map_err(|e| CliError::failed(format!("cannot write {}: {e}", u.path)))
    })?;
    if batch {
        flush(root, &edited).map_err(|e| {
            CliError::failed(format!(
                "the VERs were written but not flushed to disk: {e}"
            ))
        })?;
    }
    Ok(())
}

/// Makes a batch durable: one `syncfs` of the file system holding the DDF.
#[cfg(target_os = "linux")]
fn flush(root: &Path, _written: &[(&verify::Update, String)]) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(root)?;
    // SAFETY: syncfs only uses the descriptor, which `f` keeps open for the duration of the call.
    if unsafe { libc::syncfs(f.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Makes a batch durable: an `fsync` of each file written (no `syncfs` here).
#[cfg(not(target_os = "linux"))]
fn flush(root: &Path, written: &[(&verify::Update, String)]) -> std::io::Result<()> {
    use rayon::prelude::*;
    written
        .par_iter()
        .try_for_each(|(u, _)| std::fs::File::open(root.join(&u.path)).and_then(|f| f.sync_all()))
}

/// How many of a long list the human report shows.
const SHOWN: usize = 20;

fn human(plan: &Plan) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let tests: usize = plan.files.iter().map(|f| f.tests).sum();
    let _ = writeln!(
        out,
        "{} test{} in {} report{}, run on {}",
        tests,
        if tests == 1 { "" } else { "s" },
        plan.files.len(),
        if plan.files.len() == 1 { "" } else { "s" },
        plan.baseline
    );
    let changing = plan.updated.iter().filter(|u| !u.edits.is_empty()).count();
    if !plan.updated.is_empty() {
        let _ = writeln!(
            out,
            "\n{} {} verification{}:",
            if plan.dry_run {
                "Would update"
            } else {
                "Updated"
            },
            changing,
            if changing == 1 { "" } else { "s" }
        );
    }
    for u in &plan.updated {
        let c = &u.counts;
        let mut tally = vec![format!("{} passed", c.passed)];
        for (n, word) in [
            (c.failed, "failed"),
            (c.errored, "errored"),
            (c.skipped, "skipped"),
        ] {
            if n > 0 {
                tally.push(format!("{n} {word}"));
            }
        }
        let _ = writeln!(
            out,
            "  {} {} ({}): {}{}",
            u.id,
            u.result,
            tally.join(", "),
            u.path,
            if u.edits.is_empty() {
                ", unchanged"
            } else {
                ""
            }
        );
        for e in &u.edits {
            let _ = writeln!(
                out,
                "      {}: {} -> {}",
                e.field,
                e.old.as_deref().unwrap_or("(none)"),
                e.new
            );
        }
        for m in &u.missing {
            let _ = writeln!(out, "      listed test did not run: {m}");
        }
    }
    if !plan.stale.is_empty() {
        let _ = writeln!(
            out,
            "\nNot updated: the run is older than the verification's content:"
        );
        for s in &plan.stale {
            let _ = writeln!(
                out,
                "  {} ({}): run {} is before its change in {} ({})",
                s.id,
                s.path,
                s.run,
                &s.changed_in[..s.changed_in.len().min(12)],
                s.changed_at
            );
        }
    }
    if !plan.unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nTests name ids that are not verifications to update:"
        );
        for u in &plan.unknown {
            let _ = writeln!(
                out,
                "  {} ({}): named by {}",
                u.id,
                u.reason,
                u.tests.join(", ")
            );
        }
    }
    if !plan.not_run.is_empty() {
        let _ = writeln!(out, "\nVerifications whose tests did not run:");
        for n in &plan.not_run {
            let _ = writeln!(
                out,
                "  {} ({}): expects {}",
                n.id,
                n.path,
                n.expected.join(", ")
            );
        }
    }
    if !plan.unlinked.is_empty() {
        let _ = writeln!(
            out,
            "\n{} test{} name{} no verification:",
            plan.unlinked.len(),
            if plan.unlinked.len() == 1 { "" } else { "s" },
            if plan.unlinked.len() == 1 { "s" } else { "" }
        );
        for t in plan.unlinked.iter().take(SHOWN) {
            let _ = writeln!(out, "  {t}");
        }
        if plan.unlinked.len() > SHOWN {
            let _ = writeln!(
                out,
                "  ... and {} more (--format json lists them all)",
                plan.unlinked.len() - SHOWN
            );
        }
    }
    for n in &plan.notes {
        let _ = writeln!(out, "\nnote: {n}");
    }
    out
}
