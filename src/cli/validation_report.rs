//! `ddf validation-report`: the tool-validation report of a DDF that describes a software tool
//! (docs/validation.md).

use super::{print, write_atomic, CliError, Env, Format};
use crate::validation::{self, Environment};
use std::path::{Path, PathBuf};

/// The tool-validation report (ISO 13485 4.1.6, 7.5.6; FDA computer software assurance): the
/// intended use, the requirements and their risk, the trace to tests and their results on this
/// commit, the environment, the known anomalies, and the installation and operational
/// qualification steps a user still performs in their own environment.
///
/// Markdown by default, `--format json` for the machine contract; `--html FILE` also writes a
/// printable, self-contained page. Exit code 0 when the tool is verified on this commit (no
/// `ddf check` error, every high-risk requirement verified), 1 when not (the report is written
/// all the same), 2 for a usage or repository error.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also write the report as a printable HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the Markdown or JSON to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace FILE of --out and --html if it exists.
    #[arg(long)]
    pub force: bool,
}

fn write(path: &Path, text: &str, force: bool) -> Result<(), CliError> {
    write_atomic(path, text.as_bytes(), force).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::failed(format!(
                "{} already exists; nothing was written",
                path.display()
            ))
            .hint("pass --force to replace it")
        } else {
            CliError::failed(format!("cannot write {}: {e}", path.display()))
        }
    })
}

/// Runs `ddf validation-report`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let format = env.format(&[Format::Md, Format::Json])?;
    let (corpus, graph, history) = env.load_all()?;
    let hctx = history.as_ref().map(super::HistoryData::ctx);
    let tags = env.code_tags(&corpus)?;
    let today = crate::date::Date::today();
    let check = crate::check::run_with(
        &corpus,
        &graph,
        today,
        hctx.as_ref(),
        crate::exchange::code_tags::dangling(&tags, &corpus),
    );
    let rev_commit = env.rev.as_ref().map(|_| corpus.source.clone());
    let stamp = crate::review::Stamp::of(&env.root, rev_commit.as_deref())?;
    let report = validation::compute(
        &corpus,
        &graph,
        &check,
        stamp,
        today.to_string(),
        Environment::current(),
    );
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&report).map_err(|e| CliError::failed(e.to_string()))?
                + "\n"
        }
        _ => validation::markdown::render(&report),
    };
    if let Some(h) = &args.html {
        write(h, &validation::html::render(&report), args.force)?;
        if !env.quiet {
            eprintln!("ddf: wrote {}", h.display());
        }
    }
    match &args.out {
        Some(o) => {
            write(o, &text, args.force)?;
            if !env.quiet {
                eprintln!("ddf: wrote {}", o.display());
            }
        }
        None => print(&text)?,
    }
    if !env.quiet {
        let v = &report.verdict;
        eprintln!(
            "ddf: {}: {} of {} high-risk and {} of {} low-risk requirements verified; ddf check: {} error(s)",
            if v.verified {
                "verified on this commit"
            } else {
                "NOT verified on this commit"
            },
            v.high_verified,
            v.high,
            v.low_verified,
            v.low,
            v.check_errors
        );
    }
    Ok(if report.verdict.verified { 0 } else { 1 })
}
