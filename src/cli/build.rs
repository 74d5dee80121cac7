//! `ddf build`: writes the static DDF site.

use super::output::count;
use super::{CliError, Env};
use std::path::PathBuf;

/// Build the static DDF site: home, a page per type and per record, the trace matrix (with CSV
/// downloads) and the check report, for auditors to read offline and print.
///
/// The site is written to `site/` under the DDF root unless `-o` says otherwise. The folder is
/// replaced on each build (the new site is written beside it and renamed into place); ddf
/// refuses a non-empty folder it did not write itself, and any folder holding `.git` or
/// `ddf.yaml`.
/// Templates under the DDF's templates folder (`site.templates`, default `templates/`) override
/// the built-in ones file by file (`templates/site/record.html`, ...). With `--rev`, the site shows
/// the DDF as of that commit.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The output folder (default: `site` under the DDF root).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the template context of one page as JSON (e.g. `records/DI-001.html`,
    /// `index.html`) and write nothing: for people who write templates.
    #[arg(long, value_name = "PAGE")]
    pub context: Option<String>,
}

/// A site rendered: what `ddf build` writes and `ddf serve` serves.
pub(super) struct Generated {
    /// Number of files of the site.
    pub(super) written: usize,
    /// Number of records.
    pub(super) records: usize,
    /// Findings of `ddf check` at error and at warning severity (the site's check report).
    pub(super) findings: (usize, usize),
    /// The records folder (`records` in ddf.yaml), relative to the DDF root.
    pub(super) records_dir: String,
    /// The templates folder (`site.templates` in ddf.yaml), relative to the DDF root.
    pub(super) templates_dir: String,
}

/// Loads the DDF (records, history, check report) and hands the site's input to `f`. With
/// `one_shot` (a command that exits next), what was loaded is not freed: the process's exit
/// gives the memory back at once, where freeing a large DDF record by record took longer than
/// writing some of its pages.
fn with_input<T>(
    env: &Env,
    one_shot: bool,
    f: impl FnOnce(&crate::site::Input<'_>, &dyn crate::source::Source, &str) -> Result<T, CliError>,
) -> Result<(T, Generated), CliError> {
    let (mut corpus, graph, history) = env.load_all()?;
    let hctx = history.as_ref().map(super::HistoryData::ctx);
    let tags = env.code_tags(&corpus)?;
    let report = crate::check::run_with(
        &corpus,
        &graph,
        crate::date::Date::today(),
        hctx.as_ref(),
        crate::exchange::code_tags::dangling(&tags, &corpus),
    );
    let code_tags = crate::exchange::code_tags::by_record(&tags);
    let marks = hctx
        .as_ref()
        .map(|c| crate::rules::change::Marks::new(&corpus, c));
    if one_shot {
        // The findings are made; the pages need no positions.
        corpus.drop_positions();
    }
    let templates_dir = corpus
        .config
        .site
        .templates
        .clone()
        .unwrap_or_else(|| "templates".into());
    // The DDF's own files: what the site is built from, and nothing it writes (`site/`).
    let uncommitted = if env.rev.is_some() {
        None
    } else {
        let mut paths = vec![
            corpus.config.records.clone(),
            crate::config::CONFIG_FILE.to_string(),
            templates_dir.clone(),
        ];
        paths.extend(corpus.attachments.keys().cloned());
        crate::source::uncommitted(&env.root, &paths)
    };
    let input = crate::site::Input {
        corpus: &corpus,
        graph: &graph,
        report: &report,
        history: history.as_ref().zip(hctx.as_ref()).zip(marks.as_ref()).map(
            |((h, ctx), marks)| crate::site::HistoryInput {
                history: &h.history,
                approvals: &h.approvals,
                trust_root: h.trust_root.as_ref(),
                ctx,
                marks,
            },
        ),
        uncommitted,
        code_tags: &code_tags,
    };
    let source = env.source()?;
    let value = f(&input, source.as_ref(), &templates_dir)?;
    let generated = Generated {
        written: 0,
        records: corpus.records.len(),
        findings: (report.errors, report.warnings),
        records_dir: corpus.config.records.clone(),
        templates_dir,
    };
    if one_shot {
        // `input` only borrows; `hctx` and `marks` are forgotten with what they borrow.
        std::mem::forget((marks, hctx));
        std::mem::forget((history, report, graph, corpus, tags, code_tags));
    }
    Ok((value, generated))
}

/// Loads the DDF and writes its site into `out` as [`crate::site::build_guarded`] does, each
/// page as soon as it is rendered, holding what `guard` returns while the new site is swapped
/// in. On failure the previous site stays.
pub(super) fn build_into<G>(
    env: &Env,
    out: &std::path::Path,
    guard: impl FnOnce() -> G,
) -> Result<Generated, CliError> {
    let (written, generated) = with_input(env, false, |input, source, templates_dir| {
        crate::site::build_guarded(input, source, templates_dir, out, guard).map_err(write_error)
    })?;
    Ok(Generated {
        written,
        ..generated
    })
}

/// A site that cannot be built: a damaged repository (or a source that cannot be read) is a
/// repository error (exit 2) with how to repair it; anything else is the build's own failure.
fn site_error(e: crate::site::SiteError) -> CliError {
    use crate::site::SiteError;
    match e {
        SiteError::Integrity(e) => e.into(),
        SiteError::Repository(_) => CliError::usage(e.to_string()),
        other => CliError::failed(other.to_string()),
    }
}

/// A site that cannot be written: the folder given is the wrong one (a usage error, and nothing
/// was touched), or rendering or writing failed.
fn write_error(e: crate::site::SiteError) -> CliError {
    use crate::site::SiteError;
    match e {
        SiteError::NotASite(_) | SiteError::Refused { .. } => CliError::usage(e.to_string())
            .hint("pass -o with an empty or new folder, such as `site`"),
        e => site_error(e),
    }
}

/// Runs `ddf build`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    env.format(&[super::Format::Human])?;
    let started = std::time::Instant::now();
    if let Some(page) = &args.context {
        let (text, _) = with_input(env, false, |input, source, templates_dir| {
            crate::site::context(input, source, templates_dir, page)
                .map_err(site_error)?
                .ok_or_else(|| {
                    CliError::usage(format!("the site has no page `{page}`")).hint(
                        "name an HTML page as the site writes it: index.html, trace.html, types/<type>.html, records/<ID>.html, ...",
                    )
                })
        })?;
        super::print(&text)?;
        return Ok(0);
    }
    let out = args.out.unwrap_or_else(|| env.root.join("site"));
    // Each page is written as soon as it is rendered: a large site is never in memory whole.
    let (files, site) = with_input(env, true, |input, source, templates_dir| {
        crate::site::build(input, source, templates_dir, &out).map_err(write_error)
    })?;
    if !env.quiet {
        let (errors, warnings) = site.findings;
        eprintln!(
            "ddf: {}; check: {}, {} (on the site's check report)",
            count(site.records, "record"),
            count(errors, "error"),
            count(warnings, "warning")
        );
        eprintln!(
            "ddf: wrote {} to {} in {:.0?}; open {} in a browser",
            count(files, "file"),
            out.display(),
            started.elapsed(),
            out.join("index.html").display()
        );
    }
    Ok(0)
}
