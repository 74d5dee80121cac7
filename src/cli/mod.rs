//! The command line: global options, one module per subcommand, error rendering, exit codes.
//!
//! This is the only part of ddf that prints or exits. Data goes to stdout, messages to stderr.
//! Exit codes: 0 ok, 1 findings at error severity (or the command's own failure condition),
//! 2 usage or configuration error.

mod approve;
mod build;
mod check;
mod completions;
mod export;
mod fmt;
mod http;
mod impact;
mod import;
mod init;
mod keys;
mod log;
mod lsp;
mod man;
mod mv;
mod new;
mod output;
mod progress;
mod review;
mod sbom;
mod schema;
mod serve;
mod show;
mod submission;
mod trace;
mod validation_report;
mod verify;
mod vuln;

use crate::corpus::{Corpus, LoadError};
use crate::graph::Graph;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub use output::Style;

/// ddf: the Design and Development File of a medical device, in Git.
///
/// Records are Markdown files with YAML front-matter. `ddf check` enforces the trace rules of
/// ISO 13485, ISO 14971 and FDA's cybersecurity guidance; `ddf show` and `ddf trace` walk the trace
/// graph.
#[derive(Debug, Parser)]
#[command(name = "ddf", version, max_term_width = 100)]
pub struct Cli {
    /// The DDF root (the folder holding ddf.yaml); found upward from the current folder by default.
    #[arg(short = 'C', long = "dir", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Read the records as of a commit, tag or branch instead of the working tree.
    #[arg(long, global = true, value_name = "REV")]
    pub rev: Option<String>,
    /// Output format (each command supports the ones that make sense for it).
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// When to colour human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only data and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more about what ddf does (to stderr).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people, on a terminal.
    Human,
    /// The documented machine contract.
    Json,
    /// Markdown, for pull requests and documents.
    Md,
    /// Comma-separated values, for spreadsheets.
    Csv,
    /// ReqIF 1.2 XML, for requirements tools (`ddf export`).
    Reqif,
    /// An Excel workbook (`ddf export -o FILE.xlsx`).
    Xlsx,
    /// CycloneDX 1.6 JSON (`sbom export`, `vuln export`).
    Cyclonedx,
    /// CSAF 2.0 JSON, VEX profile (`vuln export`).
    Csaf,
}

/// Colour choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold ddf.yaml, the records folder and a few starter records.
    Init(init::Args),
    /// Create a record with the next free id (free on every local branch too) and print its path.
    New(new::Args),
    /// Parse every record, validate schema and links, run the trace rules.
    Check(check::Args),
    /// Rename a record and rewrite every link and mention of it, in one atomic step.
    Mv(mv::Args),
    /// Give record front-matter its canonical layout (`--check` for CI and pre-commit).
    Fmt(fmt::Args),
    /// One record: fields, links in and out, upstream and downstream trace.
    Show(show::Args),
    /// The change-control log from Git history, or one record's revision history.
    Log(log::Args),
    /// Sign an approval of committed records (the signed commit with the trailers ddf reads).
    Approve(approve::Args),
    /// Enrol an SSH signing key in a person's record.
    Keys(keys::Args),
    /// The impact assessment of a change (BASE..HEAD; default: the working tree against its
    /// merge-base with the controlled branch), for a person, a machine or a pull request.
    Impact(impact::Args),
    /// The trace matrix (user need -> design input -> design output -> verification / validation).
    Trace(trace::Args),
    /// Export the records and links (or a type's, or one record's trace) as JSON, ReqIF 1.2,
    /// CSV or XLSX.
    Export(export::Args),
    /// The effective schema; `--json-schema` writes a JSON Schema per type for editors.
    Schema(schema::Args),
    /// Import an SBOM into component and supplier records, or compare two SBOMs.
    Sbom(sbom::Args),
    /// Match components against OSV advisories on disk, offline; write VULN records.
    Vuln(vuln::Args),
    /// Import JUnit XML test results into the verifications (VER) they serve.
    Verify(verify::Args),
    /// The tool-validation report of a DDF that describes a software tool: intended use,
    /// requirements and their risk, trace to tests and results, environment, known anomalies,
    /// and the qualification steps left to the user (docs/validation.md).
    ValidationReport(validation_report::Args),
    /// Import records from Doorstop, StrictDoc, ReqIF, CSV or XLSX through a mapping file (new
    /// files only; `--dry-run` first).
    Import(import::Args),
    /// The management review snapshot (Markdown, JSON, HTML with charts), stamped with its commit.
    Review(review::Args),
    /// Build the static DDF site (offline, printable) into `site/` or `-o DIR`.
    Build(build::Args),
    /// The language server (LSP over stdio): `ddf check`'s findings as you type, go to
    /// definition, references, hover and completion of record ids, in any editor.
    Lsp(lsp::Args),
    /// Preview the site on http://127.0.0.1:8000/, rebuilt when a record changes; the open page
    /// reloads.
    Serve(serve::Args),
    /// Print the shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::Args),
    /// Print the ddf(1) manual page, or write one page per command into a folder (`-o DIR`).
    Man(man::Args),
}

impl Command {
    /// The command's name as typed (`init`, `check`, ...).
    fn name(&self) -> &'static str {
        match self {
            Command::Init(_) => "init",
            Command::New(_) => "new",
            Command::Check(_) => "check",
            Command::Show(_) => "show",
            Command::Log(_) => "log",
            Command::Approve(_) => "approve",
            Command::Keys(_) => "keys",
            Command::Impact(_) => "impact",
            Command::Trace(_) => "trace",
            Command::Export(_) => "export",
            Command::Schema(_) => "schema",
            Command::Sbom(_) => "sbom",
            Command::Vuln(_) => "vuln",
            Command::Review(_) => "review",
            Command::Build(_) => "build",
            Command::Serve(_) => "serve",
            Command::Completions(_) => "completions",
            Command::Man(_) => "man",
            Command::Mv(_) => "mv",
            Command::Fmt(_) => "fmt",
            Command::Lsp(_) => "lsp",
            Command::Verify(_) => "verify",
            Command::ValidationReport(_) => "validation-report",
            Command::Import(_) => "import",
        }
    }

    /// Whether the command reads records, so that `--rev` means something to it. The commands
    /// that write records (`new`, `approve`, `keys`, `sbom import`) refuse `--rev` themselves,
    /// each saying why.
    fn reads_records(&self) -> bool {
        !matches!(
            self,
            Command::Init(_) | Command::Completions(_) | Command::Man(_)
        )
    }

    /// Whether the command writes in more than one `--format` (it then checks the one given
    /// with [`Env::format`]).
    fn has_formats(&self) -> bool {
        !matches!(
            self,
            Command::Init(_)
                | Command::New(_)
                | Command::Approve(_)
                | Command::Keys(_)
                | Command::Completions(_)
                | Command::Man(_)
                | Command::Lsp(_)
        )
    }
}

/// Global options are accepted after any subcommand (`ddf init -C DIR`); one the command would
/// silently ignore is refused, so no one believes `ddf init --rev v1` did something with v1.
fn refuse_ignored(cli: &Cli) -> Result<(), CliError> {
    let name = cli.command.name();
    if cli.rev.is_some() && !cli.command.reads_records() {
        return Err(CliError::usage(format!(
            "`ddf {name}` reads no records, so --rev means nothing to it"
        ))
        .hint("drop --rev"));
    }
    if let Some(f) = cli.format {
        if !cli.command.has_formats() {
            return Err(CliError::usage(format!(
                "`ddf {name}` has one output only; --format {} means nothing to it",
                format!("{f:?}").to_lowercase()
            ))
            .hint("drop --format"));
        }
    }
    Ok(())
}

/// An error the command line reports: message, optional hint, exit code.
#[derive(Debug)]
pub struct CliError {
    /// What went wrong.
    pub message: String,
    /// Underlying causes, outermost first.
    pub causes: Vec<String>,
    /// How to fix it.
    pub hint: Option<String>,
    /// Exit code (2 for usage and configuration, 1 for a command's own failure).
    pub code: u8,
}

impl CliError {
    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            causes: Vec::new(),
            hint: None,
            code: 2,
        }
    }

    /// A failure of the command itself (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            causes: Vec::new(),
            hint: None,
            code: 1,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a cause.
    pub fn caused_by(mut self, cause: impl std::fmt::Display) -> Self {
        self.causes.push(cause.to_string());
        self
    }
}

impl From<LoadError> for CliError {
    fn from(e: LoadError) -> Self {
        let hint = e.hint();
        let message = match &e {
            LoadError::Config(c) => c.to_string(),
            _ => e.to_string(),
        };
        CliError {
            message,
            causes: Vec::new(),
            hint,
            code: 2,
        }
    }
}

impl From<crate::source::SourceError> for CliError {
    fn from(e: crate::source::SourceError) -> Self {
        let hint = e.hint();
        CliError {
            message: e.to_string(),
            causes: Vec::new(),
            hint: hint.map(String::from),
            code: 2,
        }
    }
}

impl From<crate::history::HistoryError> for CliError {
    fn from(e: crate::history::HistoryError) -> Self {
        let hint = e.hint();
        CliError {
            message: e.to_string(),
            causes: Vec::new(),
            hint: hint.map(String::from),
            code: 2,
        }
    }
}

/// A damaged repository is a repository error (exit 2), with how to repair it.
impl From<crate::integrity::IntegrityError> for CliError {
    fn from(e: crate::integrity::IntegrityError) -> Self {
        CliError::usage(e.to_string()).hint(e.hint())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::failed(e.to_string())
    }
}

/// What every command gets: resolved global options.
pub struct Env {
    /// The DDF root.
    pub root: PathBuf,
    /// `--rev`.
    pub rev: Option<String>,
    /// `--format`, if given.
    pub format: Option<Format>,
    /// Colours for human output.
    pub style: Style,
    /// `--quiet`.
    pub quiet: bool,
    /// `--verbose` count.
    pub verbose: u8,
}

impl Env {
    fn new(cli: &Cli) -> Self {
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                use std::io::IsTerminal;
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        let start = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
        let root = crate::source::find_root(&start).unwrap_or(start);
        Env {
            root,
            rev: cli.rev.clone(),
            format: cli.format,
            style: Style::new(color),
            quiet: cli.quiet,
            verbose: cli.verbose,
        }
    }

    /// The format to use, checking it is one `allowed`; the first allowed one is the default.
    pub fn format(&self, allowed: &[Format]) -> Result<Format, CliError> {
        match self.format {
            None => Ok(allowed[0]),
            Some(f) if allowed.contains(&f) => Ok(f),
            Some(f) => Err(CliError::usage(format!(
                "this command does not write {}",
                format!("{f:?}").to_lowercase()
            ))
            .hint(format!(
                "use --format {}",
                allowed
                    .iter()
                    .map(|f| format!("{f:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(" | ")
            ))),
        }
    }

    /// Opens the source (working tree or `--rev`).
    pub fn source(&self) -> Result<Box<dyn crate::source::Source>, CliError> {
        Ok(crate::source::open(&self.root, self.rev.as_deref())?)
    }

    /// The `ddf: ID` tags of the files under `code_tags` (none when the setting is absent), from
    /// the working tree or `--rev`.
    pub fn code_tags(
        &self,
        corpus: &Corpus,
    ) -> Result<Vec<crate::exchange::code_tags::CodeTag>, CliError> {
        use crate::exchange::code_tags::{scan, ScanError};
        let started = std::time::Instant::now();
        let tags = scan(&self.root, self.rev.as_deref(), &corpus.config.code_tags).map_err(
            |e| match e {
                ScanError::Source(e) => CliError::from(e),
                ScanError::Integrity(e) => CliError::from(e),
                ScanError::Glob(m) => CliError::usage(m),
            },
        )?;
        if self.verbose > 0 && !corpus.config.code_tags.is_empty() {
            eprintln!(
                "ddf: {} code tags found under code_tags in {:.0?}",
                tags.len(),
                started.elapsed()
            );
        }
        Ok(tags)
    }

    /// Loads the corpus and builds its graph.
    pub fn load(&self) -> Result<(Corpus, Graph), CliError> {
        let started = std::time::Instant::now();
        let source = self.source()?;
        let corpus = Corpus::load(source.as_ref())?;
        Ok(self.with_graph(corpus, started))
    }

    /// Loads the corpus, builds its graph, and reads the history ([`Env::load_with_history`]).
    pub fn load_all(&self) -> Result<(Corpus, Graph, Option<HistoryData>), CliError> {
        let started = std::time::Instant::now();
        let (corpus, history) = self.load_with_history(&|_| true)?;
        let (corpus, graph) = self.with_graph(corpus, started);
        Ok((corpus, graph, history))
    }

    fn with_graph(&self, corpus: Corpus, started: std::time::Instant) -> (Corpus, Graph) {
        let loaded = started.elapsed();
        let graph = Graph::build(&corpus);
        if self.verbose > 0 {
            eprintln!(
                "ddf: read {} ({}) from {} in {:.0?}, graph in {:.0?}",
                output::count(corpus.files, "file"),
                output::count(corpus.records.len(), "record"),
                corpus.source,
                loaded,
                started.elapsed() - loaded
            );
        }
        (corpus, graph)
    }

    /// Loads the corpus (the record files `keep` accepts) and, at the same time on another
    /// thread, the history: on a large DDF each takes a few hundred milliseconds, and neither
    /// needs the other until approvals are matched to their signers.
    pub fn load_with_history(
        &self,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<(Corpus, Option<HistoryData>), CliError> {
        let source = self.source()?;
        let (config, diagnostics) = Corpus::read_config(source.as_ref())?;
        let records_dir = config.records.clone();
        let (corpus, history) = std::thread::scope(|scope| {
            let history = scope.spawn(|| self.load_history(&records_dir));
            let corpus = Corpus::load_configured(source.as_ref(), config, diagnostics, keep);
            (corpus, history.join())
        });
        let corpus = corpus?;
        let history = history.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let data = match history {
            Some((history, took)) => Some(self.history_data(history, took, &corpus)?),
            None => None,
        };
        Ok((corpus, data))
    }
}

/// History and approvals, when the DDF is in a Git repository with commits.
pub struct HistoryData {
    /// The history index.
    pub history: crate::history::History,
    /// Approvals with verified signatures and signers resolved as of history.
    pub approvals: Vec<crate::history::approval::Approval>,
    /// The root of trust the approvals were judged from.
    pub trust_root: Option<crate::history::approval::TrustRoot>,
    /// Tip of the controlled branch.
    pub controlled_tip: Option<String>,
    /// Where change control starts: `change_control_since` resolved, else the adoption commit
    /// (the first that added ddf.yaml).
    pub since: Option<String>,
    /// The repository's branch names: local ones first, then remote-tracking ones (without
    /// the remote), each sorted.
    pub branches: Vec<String>,
}

impl HistoryData {
    /// The view the rules take of it.
    pub fn ctx(&self) -> crate::rules::HistoryCtx<'_> {
        let mut ctx = crate::rules::HistoryCtx::new(
            &self.history,
            &self.approvals,
            self.controlled_tip.clone(),
            self.since.clone(),
        );
        ctx.branches = Some(self.branches.clone());
        ctx
    }
}

impl Env {
    /// The history index of the DDF (from `--rev` or HEAD) whose records are in `records_dir`,
    /// and how long it took to read. `None` outside a Git repository or before the first
    /// commit: the history rules then do not run.
    fn load_history(
        &self,
        records_dir: &str,
    ) -> Result<Option<(crate::history::History, std::time::Duration)>, CliError> {
        use crate::history::{History, HistoryError};
        let started = std::time::Instant::now();
        let history = match History::load(&self.root, self.rev.as_deref(), records_dir) {
            Ok(h) => h,
            Err(HistoryError::NotARepository(_)) => {
                if self.verbose > 0 {
                    eprintln!("ddf: not a Git repository: history rules skipped");
                }
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        if history.commits.is_empty() {
            if self.verbose > 0 {
                eprintln!("ddf: no commits yet: history rules skipped");
            }
            return Ok(None);
        }
        if history.shallow && !self.quiet {
            eprintln!("ddf: note: this is a shallow clone; history before its boundary is missing, so history-based findings may be incomplete (git fetch --unshallow)");
        }
        Ok(Some((history, started.elapsed())))
    }

    /// The approvals of `history`, with their signers from `corpus`, and the controlled branch.
    fn history_data(
        &self,
        history: crate::history::History,
        took: std::time::Duration,
        corpus: &Corpus,
    ) -> Result<HistoryData, CliError> {
        let started = std::time::Instant::now();
        let loc = crate::history::Location::discover(&self.root)?;
        let controlled_tip = branch_tip(&loc.repo, &corpus.config.controlled_branch)?
            .map(|c| c.to_string())
            .filter(|id| history.position(id).is_some());
        let since = match &corpus.config.change_control_since {
            Some(rev) => Some(
                crate::source::resolve_commit(&loc.repo, rev)
                    .map_err(|e| {
                        let hint = e.hint();
                        let mut err =
                            CliError::usage(format!("ddf.yaml change_control_since: {e}"));
                        err.hint = hint.map(String::from);
                        err
                    })?
                    .to_string(),
            ),
            // No hand work for the first commit of a DDF: change control starts after the
            // commit that adopted ddf (the trust root is the same commit).
            None => history.adoption().map(|c| c.id.clone()),
        };
        let from_config = corpus.config.change_control_since.is_some();
        let judging = std::time::Instant::now();
        let judged = crate::history::approval::approvals(
            &history,
            corpus,
            &loc.repo,
            since.as_deref(),
            from_config,
        )?;
        let approvals = judged.approvals;
        if self.verbose > 0 {
            // Two figures: reading the history, and judging the approvals (Git verifying the
            // signatures, signers resolved as of history), which is the cost of signing.
            eprintln!(
                "ddf: history of {} ({} computed, the rest cached) in {:.0?}; {} judged in {:.0?} (signatures verified by Git, signers resolved as of history)",
                output::count(history.commits.len(), "commit"),
                history.computed,
                took + judging.duration_since(started),
                output::count(approvals.len(), "approval"),
                judging.elapsed()
            );
        }
        Ok(HistoryData {
            history,
            approvals,
            trust_root: judged.root,
            controlled_tip,
            since,
            branches: branch_names(&loc.repo),
        })
    }
}

/// The repository's branch names: local ones, then remote-tracking ones without their remote
/// (`origin/main` is `main`), each sorted; `HEAD` aliases left out.
fn branch_names(repo: &git2::Repository) -> Vec<String> {
    let names = |kind: git2::BranchType| -> Vec<String> {
        let mut out: Vec<String> = repo
            .branches(Some(kind))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|(b, _)| b.name().ok().flatten().map(String::from))
            .map(|n| match kind {
                git2::BranchType::Remote => {
                    n.split_once('/').map_or(n.clone(), |(_, b)| b.to_string())
                }
                git2::BranchType::Local => n,
            })
            .filter(|n| n != "HEAD")
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    };
    let mut all = names(git2::BranchType::Local);
    all.extend(names(git2::BranchType::Remote));
    all
}

/// The commit local branch `branch` points to; `None` when there is no such branch. A branch
/// that points to a commit the repository lost is an error: the history rules would otherwise
/// run as if there were no controlled branch.
fn branch_tip(repo: &git2::Repository, branch: &str) -> Result<Option<git2::Oid>, CliError> {
    let name = format!("refs/heads/{branch}");
    let Ok(reference) = repo.find_reference(&name) else {
        return Ok(None);
    };
    let Some(oid) = reference.resolve().ok().and_then(|r| r.target()) else {
        return Ok(None);
    };
    let commit = repo
        .find_object(oid, None)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            crate::integrity::IntegrityError::read(
                crate::integrity::ObjectKind::Commit,
                oid,
                crate::integrity::Role::Named(name.clone()),
                &e,
            )
        })?;
    Ok(Some(commit.id()))
}

/// Runs the command line; returns the process exit code.
pub fn main(cli: Cli) -> ExitCode {
    let env = Env::new(&cli);
    progress::install(env.quiet);
    if let Err(e) = refuse_ignored(&cli) {
        render_error(&e, &Style::new(false));
        return ExitCode::from(e.code);
    }
    let result = match cli.command {
        Command::Init(a) => init::run(&env, cli.dir.as_deref(), a),
        Command::New(a) => new::run(&env, a),
        Command::Check(a) => check::run(&env, a),
        Command::Mv(a) => mv::run(&env, a),
        Command::Fmt(a) => fmt::run(&env, a),
        Command::Show(a) => show::run(&env, a),
        Command::Trace(a) => trace::run(&env, a),
        Command::Log(a) => log::run(&env, a),
        Command::Approve(a) => approve::run(&env, a),
        Command::Keys(a) => keys::run(&env, a),
        Command::Impact(a) => impact::run(&env, a),
        Command::Export(a) => export::run(&env, a),
        Command::Schema(a) => schema::run(&env, a),
        Command::Sbom(a) => sbom::run(&env, a),
        Command::Vuln(a) => vuln::run(&env, a),
        Command::Verify(a) => verify::run(&env, a),
        Command::ValidationReport(a) => validation_report::run(&env, a),
        Command::Import(a) => import::run(&env, a),
        Command::Review(a) => review::run(&env, a),
        Command::Build(a) => build::run(&env, a),
        Command::Serve(a) => serve::run(&env, a),
        Command::Lsp(a) => lsp::run(&env, a),
        Command::Completions(a) => completions::run(&env, a),
        Command::Man(a) => man::run(&env, a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e)
            if e.causes.iter().any(|c| c.contains("Broken pipe"))
                || e.message.contains("Broken pipe") =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            render_error(&e, &Style::new(false));
            ExitCode::from(e.code)
        }
    }
}

fn render_error(e: &CliError, style: &Style) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{} {}", style.error("error:"), e.message);
    for c in &e.causes {
        let _ = writeln!(err, "caused by: {c}");
    }
    if let Some(h) = &e.hint {
        let _ = writeln!(err, "hint: {h}");
    }
}

/// Writes `text` to stdout; a closed pipe (`ddf check | head`) is not an error.
pub(crate) fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Writes `contents` to `path` atomically: to a temporary file in the same folder
/// (`.NAME.ddf-PID.tmp`), then renamed into place. With `overwrite: false` an existing file is
/// never replaced (the rename is done as a hard link, which fails if the destination exists). A
/// temporary file that a killed `ddf` leaves is removed by the next command that writes records
/// (`remove_stale_temps`).
pub fn write_atomic(path: &Path, contents: &[u8], overwrite: bool) -> std::io::Result<()> {
    write_via_temp(path, contents, overwrite, true)
}

/// Makes a batch of files written under `root` (paths relative to it) durable: on Linux one
/// `syncfs` of the file system holding them, since thousands of `fsync`s cost seconds on a real
/// disk; elsewhere an `fsync` of each file and of each folder holding one.
#[cfg(target_os = "linux")]
pub(crate) fn flush_batch(root: &Path, _files: &[&str]) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(root)?;
    // SAFETY: syncfs only uses the descriptor, which `f` keeps open for the duration of the call.
    let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Makes a batch of files written under `root` durable (see the Linux variant).
#[cfg(not(target_os = "linux"))]
pub(crate) fn flush_batch(root: &Path, files: &[&str]) -> std::io::Result<()> {
    use rayon::prelude::*;
    let mut dirs: Vec<&str> = files
        .iter()
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    files
        .par_iter()
        .chain(dirs.par_iter())
        .try_for_each(|p| std::fs::File::open(root.join(p)).and_then(|f| f.sync_all()))
}

/// [`write_atomic`], with the `fsync` of the temporary file optional: a batch of thousands of
/// files is made durable by one flush at the end instead (`sbom import`).
pub(crate) fn write_via_temp(
    path: &Path,
    contents: &[u8],
    overwrite: bool,
    sync: bool,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.ddf-{}.tmp", std::process::id()));
    let open = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
    };
    // The folder usually exists; create it only when it does not.
    let mut f = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir)?;
            open()?
        }
        other => other?,
    };
    f.write_all(contents)?;
    if sync {
        f.sync_all()?;
    }
    drop(f);
    let result = if overwrite {
        std::fs::rename(&tmp, path)
    } else {
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
            // Some file systems have no hard links; create_new still never clobbers.
            Err(_) => std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .and_then(|mut f| f.write_all(contents)),
        }
    };
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Whether `name` is a temporary file [`write_via_temp`] writes (`.NAME.ddf-PID.tmp`), and the
/// PID of the process that wrote it.
fn temp_file_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (file, pid) = rest.rsplit_once(".ddf-")?;
    if file.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// How old a temporary file must be to be removed where it cannot be told whether its writer is
/// still running: one is written, linked into place and removed within moments.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Whether the process that wrote a temporary file is gone: on Linux, no `/proc/PID` (or it is
/// this process, which has not written it yet); elsewhere, the file is an hour old.
fn temp_is_stale(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        return !Path::new(&format!("/proc/{pid}")).exists();
    }
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > STALE_TEMP_AGE)
}

/// Removes the temporary files of [`write_via_temp`] that a killed `ddf` left in `dir` and the
/// folders below it (not following links, not entering dot folders), so none lingers in `git
/// status`; a file of a `ddf` still running is left alone. Called at the start of the commands
/// that write records. Returns how many were removed.
pub(crate) fn remove_stale_temps(dir: &Path) -> usize {
    let mut removed = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if kind.is_dir() {
                if !name.starts_with('.') {
                    stack.push(entry.path());
                }
            } else if kind.is_file() {
                let path = entry.path();
                if temp_file_pid(&name).is_some_and(|pid| temp_is_stale(pid, &path))
                    && std::fs::remove_file(&path).is_ok()
                {
                    removed += 1;
                }
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_file_names() {
        assert_eq!(temp_file_pid(".CMP-001.md.ddf-4242.tmp"), Some(4242));
        assert_eq!(temp_file_pid(".a.ddf-b.ddf-7.tmp"), Some(7));
        for not in [
            "CMP-001.md",
            ".CMP-001.md.ddf-.tmp",
            ".CMP-001.md.ddf-12x.tmp",
            "CMP-001.md.ddf-12.tmp",
            "..ddf-12.tmp",
            ".x.ddf-99999999999999999999.tmp",
        ] {
            assert_eq!(temp_file_pid(not), None, "{not}");
        }
    }

    #[test]
    fn stale_temporary_files_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("components");
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::create_dir_all(dir.path().join(".hidden")).expect("mkdir");
        // A PID no process has: above the kernel's maximum (4,194,304).
        let dead = sub.join(".CMP-001.md.ddf-4999999.tmp");
        let mine = sub.join(format!(".CMP-002.md.ddf-{}.tmp", std::process::id()));
        let hidden = dir.path().join(".hidden/.CMP-003.md.ddf-4999999.tmp");
        let record = sub.join("CMP-001.md");
        for f in [&dead, &mine, &hidden, &record] {
            std::fs::write(f, "x").expect("write");
        }
        // A running process (this test's parent, PID 1 of the machine, ...) keeps its file.
        let live = sub.join(".CMP-004.md.ddf-1.tmp");
        std::fs::write(&live, "x").expect("write");
        let removed = remove_stale_temps(dir.path());
        assert!(!mine.exists(), "this process has written none yet");
        assert!(record.exists() && hidden.exists(), "nothing else touched");
        if cfg!(target_os = "linux") {
            assert!(!dead.exists(), "its writer is gone");
            assert!(live.exists(), "PID 1 is running");
            assert_eq!(removed, 2);
        }
    }
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn atomic_write_never_clobbers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a/b.md");
        write_atomic(&p, b"one", false).expect("first write");
        let e = write_atomic(&p, b"two", false).expect_err("second write refused");
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).expect("read"), b"one");
        write_atomic(&p, b"three", true).expect("overwrite");
        assert_eq!(std::fs::read(&p).expect("read"), b"three");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("a"))
            .expect("dir")
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
    }
}
