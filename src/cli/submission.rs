//! `ddf export submission`: the premarket submission package of one release
//! ([`crate::submission`]).

use super::{CliError, Env, Format};
use std::path::PathBuf;

/// Write the premarket submission package of one release into a folder: one PDF per
/// documentation item (named and numbered as FDA's premarket cybersecurity guidance and eSTAR
/// list them), the release's SBOM files, vulnerabilities.csv, and manifest.json with the
/// sha256 of every file and the commit the package was built from (docs/submission.md).
///
/// The folder must be new or empty unless --force; with --force the package's files are
/// replaced (each atomically) and other files are left alone. With --rev, the package shows
/// the DDF as of that commit (the release's tag, say).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The release record (REL-002).
    #[arg(value_name = "RELEASE")]
    pub release: String,
    /// The output folder.
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a folder that is not empty, replacing the package's files there.
    #[arg(long)]
    pub force: bool,
}

/// Runs `ddf export submission`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    use crate::submission::{build, write, Input, SubmissionError};
    let format = env.format(&[Format::Human, Format::Json])?;
    let started = std::time::Instant::now();
    let (corpus, graph, history) = env.load_all()?;
    let hctx = history.as_ref().map(super::HistoryData::ctx);
    let rev_commit = env.rev.as_ref().map(|_| corpus.source.clone());
    let stamp = crate::review::Stamp::of(&env.root, rev_commit.as_deref())?;
    let input = Input {
        corpus: &corpus,
        graph: &graph,
        history: hctx.as_ref(),
        stamp: &stamp,
        sbom: super::sbom::export_options(env, corpus.get(&args.release)),
    };
    let files = build(&input, &args.release).map_err(|e| match e {
        SubmissionError::NoRelease(_) | SubmissionError::NotARelease(..) => {
            let releases: Vec<&str> = corpus
                .records_of("release")
                .iter()
                .map(|&i| corpus.records[i].id.as_str())
                .collect();
            CliError::usage(e.to_string()).hint(if releases.is_empty() {
                "the DDF has no release record; create one with `ddf new release`".to_string()
            } else {
                format!("name a release: {}", releases.join(", "))
            })
        }
        SubmissionError::Ambiguous(..) => CliError::usage(e.to_string())
            .hint("give each record its own id (`ddf check` lists duplicates)"),
        e => CliError::failed(e.to_string()),
    })?;
    write(&args.out, &files, args.force).map_err(|e| match e {
        SubmissionError::NotEmpty(_) => CliError::usage(e.to_string()).hint(
            "pass -o with a new or empty folder, or --force to replace the package's files there",
        ),
        SubmissionError::Refused { .. } => {
            CliError::usage(e.to_string()).hint("pass -o with a new or empty folder")
        }
        e => CliError::failed(e.to_string()),
    })?;
    let manifest = files
        .last()
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .unwrap_or_default();
    if format == Format::Json {
        super::print(&manifest)?;
    } else if !env.quiet {
        eprintln!(
            "ddf: wrote the submission package of {} ({}) to {} in {:.0?}, built from {}",
            args.release,
            super::output::count(files.len(), "file"),
            args.out.display(),
            started.elapsed(),
            stamp.describe
        );
    }
    Ok(0)
}
