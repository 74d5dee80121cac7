//! `ddf review`: the management review snapshot.

use super::{print, write_atomic, CliError, Env, Format};
use crate::review::{self, Period, Stamp};
use std::path::{Path, PathBuf};

/// The management review snapshot (ISO 13485 5.6): vulnerability trends, patch timelines, open
/// risk posture, CAPA ageing, signals, trace coverage, change control, suppliers, overdue
/// documents and open actions of the last review, computed from the records.
///
/// Markdown by default, `--format json` for the machine contract; `--html FILE` also writes a
/// self-contained page with SVG charts. The snapshot is stamped with the commit it was computed
/// from (`worktree+<HEAD>` when there are uncommitted changes) and a sha256 content hash for the
/// MR record to cite.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The review period, FROM..TO (YYYY-MM-DD, both included); default: from the day after the
    /// latest management review (or a year back) to today.
    #[arg(long, value_name = "FROM..TO")]
    pub period: Option<String>,
    /// Also write the snapshot as an HTML page with SVG charts to FILE.
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

/// `path` relative to the DDF root `root` (`/`-separated), or as given when it lies outside.
fn relative_to(root: &Path, path: &Path) -> String {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    match canon(path).strip_prefix(canon(root)) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}

/// Runs `ddf review`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let format = env.format(&[Format::Md, Format::Json, Format::Human])?;
    let (corpus, graph) = env.load()?;
    let today = crate::date::Date::today();
    let period = match &args.period {
        Some(p) => Period::parse(p).map_err(|e| {
            CliError::usage(format!("--period: {e}"))
                .hint("write the period as 2025-10-01..2026-09-30")
        })?,
        None => Period::default_for(&corpus, today),
    };
    let rev_commit = env.rev.as_ref().map(|_| corpus.source.clone());
    let stamp = Stamp::of(&env.root, rev_commit.as_deref())?;
    let snap = review::compute(&corpus, &graph, period, today, stamp);
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&snap).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        _ => review::markdown::render(&snap),
    };
    if let Some(h) = &args.html {
        write(h, &review::html::render(&snap), args.force)?;
        if !env.quiet {
            eprintln!("ddf: wrote {}", h.display());
        }
    }
    match &args.out {
        Some(o) => {
            write(o, &text, args.force)?;
            if !env.quiet {
                // `mr-snapshot` reads the file the MR names, relative to the DDF root, and
                // checks the hash: a JSON snapshot's content hash, any other file's own SHA-256.
                let file = relative_to(&env.root, o);
                let sha = match format {
                    Format::Json => snap.sha256.clone(),
                    _ => review::sha256_hex(text.as_bytes()),
                };
                eprintln!(
                    "ddf: wrote {}; cite it in the MR record as inputs.snapshot: \"{}\"",
                    o.display(),
                    snap.citation(&file, &sha)
                );
            }
        }
        None => print(&text)?,
    }
    Ok(0)
}
