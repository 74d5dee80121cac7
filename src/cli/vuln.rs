//! `ddf vuln scan --osv PATH`: offline matching of components against OSV advisories.

use super::output::{md_cell, table};
use super::{print, write_atomic, CliError, Env, Format};
use crate::sbom::{self, ReadOptions};
use crate::vuln::kev::Kev;
use crate::vuln::osv::{Database, LoadError};
use crate::vuln::osv_index::{self, IndexMode, IndexUse};
use crate::vuln::record::{self, RecordPlan};
use crate::vuln::scan::{scan, wanted_keys, Finding, Report, Status, Target};
use std::path::PathBuf;

/// Vulnerability monitoring against advisory data on disk.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: VulnCommand,
}

/// `ddf vuln` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum VulnCommand {
    /// Match the CMP records (or an SBOM) against OSV advisories on disk, offline.
    ///
    /// Components are looked up by purl (ecosystem and name; PyPI names per PEP 503) and their
    /// versions evaluated against SEMVER and ECOSYSTEM ranges and `versions` lists in each
    /// ecosystem's own order. A version that cannot be ordered is reported as uncertain; advisories
    /// that are aliases are merged; withdrawn advisories are reported as withdrawn, never as live.
    /// Exit code 0 whatever is found; `ddf check` holds the VULN records to their deadlines.
    Scan(ScanArgs),
    /// Write a release's VEX from the VULN records' assessments: CycloneDX 1.6 (default) or
    /// CSAF 2.0 VEX profile (`--format csaf`).
    ///
    /// Lists every vulnerability in the release (those naming it in `fielded`, and those
    /// affecting a component its SBOM lists at the version the record describes), with its
    /// state, justification, response and the assessment (the record's body). CycloneDX refs
    /// are BOM-Links into the SBOM `ddf sbom export` writes for the release. To stdout, or to
    /// FILE with -o (atomically; an existing file only with --force).
    Export(ExportArgs),
}

/// `ddf vuln export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The release (REL id).
    #[arg(value_name = "REL")]
    pub release: String,
    /// Write to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// CSAF: the publisher's name (default: the maker the release's SBOMs name).
    #[arg(long, value_name = "NAME")]
    pub publisher: Option<String>,
    /// CSAF: the publisher's namespace, a URL the maker controls (required for CSAF).
    #[arg(long, value_name = "URL")]
    pub publisher_namespace: Option<String>,
}

/// `ddf vuln scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// OSV data: a JSON file, a folder of them (searched recursively), or an osv.dev export zip
    /// (one ecosystem's, or all.zip of every ecosystem).
    #[arg(long, value_name = "PATH")]
    pub osv: PathBuf,
    /// Keep the index of an --osv zip in this folder instead of `.git/ddf/osv-index-v1/`.
    #[arg(long, value_name = "DIR", conflicts_with = "no_index")]
    pub index: Option<PathBuf>,
    /// Read the whole --osv zip on every scan; neither read nor write an index.
    #[arg(long)]
    pub no_index: bool,
    /// A local copy of the CISA KEV catalogue (known_exploited_vulnerabilities.json).
    #[arg(long, value_name = "FILE")]
    pub kev: Option<PathBuf>,
    /// Scan the components of this SBOM file instead of the CMP records (no DDF needed).
    #[arg(long, value_name = "FILE", conflicts_with = "record")]
    pub sbom: Option<PathBuf>,
    /// Write a VULN record in `in_triage` for each new finding (idempotent: findings an existing
    /// VULN covers by vuln_id or aliases create nothing).
    #[arg(long)]
    pub record: bool,
}

/// Runs `ddf vuln`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    match args.command {
        VulnCommand::Scan(a) => run_scan(env, a),
        VulnCommand::Export(a) => run_export(env, a),
    }
}

fn run_export(env: &Env, args: ExportArgs) -> Result<u8, CliError> {
    use super::sbom::{emit, export_error, export_options};
    let format = env.format(&[Format::Cyclonedx, Format::Csaf])?;
    if format != Format::Csaf && (args.publisher.is_some() || args.publisher_namespace.is_some()) {
        return Err(
            CliError::usage("--publisher and --publisher-namespace are for --format csaf")
                .hint("drop them, or add --format csaf"),
        );
    }
    let (corpus, graph) = env.load()?;
    let id = args.release.trim();
    let rel = crate::sbom::export::release_index(&corpus, id).map_err(export_error)?;
    let opts = export_options(env, Some(&corpus.records[rel]));
    let export = match format {
        Format::Csaf => crate::vuln::csaf::csaf(
            &corpus,
            &graph,
            id,
            &opts,
            &crate::vuln::csaf::Publisher {
                name: args.publisher.clone(),
                namespace: args.publisher_namespace.clone(),
            },
        ),
        _ => crate::vuln::vex::cyclonedx(&corpus, &graph, id, &opts),
    }
    .map_err(export_error)?;
    emit(env, &export, args.out.as_deref(), args.force)
}

fn run_scan(env: &Env, args: ScanArgs) -> Result<u8, CliError> {
    let format = env.format(&[Format::Human, Format::Json, Format::Md])?;
    if args.record && env.rev.is_some() {
        return Err(CliError::usage(
            "`--record` writes to the working tree and cannot be used with --rev",
        ));
    }
    let started = std::time::Instant::now();
    let (targets, corpus) = match &args.sbom {
        Some(path) => {
            let opts = env
                .load()
                .map(|(c, _)| ReadOptions::from_config(&c.config))
                .unwrap_or_default();
            let s = sbom::read_file(path, &opts).map_err(|e| {
                let hint = e.hint();
                CliError::usage(e.to_string()).hint(hint)
            })?;
            if !env.quiet {
                for w in &s.warnings {
                    eprintln!("{} {w}", env.style.warning("warning:"));
                }
            }
            let t: Vec<Target> = s
                .components
                .iter()
                .map(|c| Target::from_component(c, &s.vex))
                .collect();
            (t, None)
        }
        None => {
            let (corpus, _) = env.load()?;
            let t: Vec<Target> = corpus
                .records_of("component")
                .iter()
                .map(|&i| &corpus.records[i])
                .filter(|r| r.status() != "obsolete")
                .map(Target::from_record)
                .collect();
            (t, Some(corpus))
        }
    };
    let is_zip = args.osv.extension().is_some_and(|e| e == "zip") && args.osv.is_file();
    let loaded = if is_zip {
        let mode = index_mode(env, &args);
        osv_index::load_zip(&args.osv, &wanted_keys(&targets), &mode).map(|l| {
            index_note(env, &l.index);
            l.db
        })
    } else {
        Database::load(&args.osv)
    };
    let db = loaded.map_err(|e| match &e {
        LoadError::Invalid(errs) => {
            let mut err = CliError::usage(e.to_string());
            for x in errs.iter().skip(1).take(9) {
                err = err.caused_by(x);
            }
            err.hint("fix or remove the records named; ddf never drops an advisory it cannot read, since the scan would be incomplete")
        }
        LoadError::Io { .. } => CliError::usage(e.to_string()).hint("--osv takes an OSV JSON file, a folder of them, or an osv.dev export zip"),
    })?;
    let loaded = started.elapsed();
    let kev = match &args.kev {
        Some(p) => Some(Kev::read(p).map_err(|e| {
            CliError::usage(e)
                .hint("--kev takes a local copy of CISA's known_exploited_vulnerabilities.json")
        })?),
        None => None,
    };
    let report = scan(&db, &targets, kev.as_ref());
    if !env.quiet {
        for w in &report.warnings {
            eprintln!("{} {w}", env.style.warning("warning:"));
        }
    }
    if env.verbose > 0 {
        eprintln!(
            "ddf: loaded {} in {:.0?}, scanned {} in {:.0?}",
            super::output::count(db.records(), "OSV record"),
            loaded,
            super::output::count(targets.len(), "component"),
            started.elapsed() - loaded
        );
    }
    let mut recorded = None;
    if args.record {
        let corpus = corpus
            .as_ref()
            .ok_or_else(|| CliError::usage("--record needs the CMP records; drop --sbom"))?;
        let plan = record::plan(corpus, &env.root, &report, crate::date::Date::today());
        super::remove_stale_temps(&env.root.join(&corpus.config.records));
        record::apply(&env.root, &plan, &write_atomic)
            .map_err(|e| CliError::failed(format!("cannot write {}: {}", e.path, e.source)))?;
        recorded = Some(plan);
    }
    let text = match format {
        Format::Json => {
            let mut v =
                serde_json::to_value(&report).map_err(|e| CliError::failed(e.to_string()))?;
            if let (Some(o), Some(p)) = (v.as_object_mut(), &recorded) {
                o.insert(
                    "recorded".into(),
                    serde_json::to_value(p).map_err(|e| CliError::failed(e.to_string()))?,
                );
            }
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        Format::Md => markdown(&report, recorded.as_ref()),
        _ => human(&report, recorded.as_ref(), env),
    };
    print(&text)?;
    Ok(0)
}

/// Where the index of an --osv zip is kept: `--index DIR`, else `.git/ddf/osv-index-v1/` of the
/// repository the DDF (or the working folder) is in, else nowhere.
fn index_mode(env: &Env, args: &ScanArgs) -> IndexMode {
    if args.no_index {
        return IndexMode::Off;
    }
    if let Some(d) = &args.index {
        return IndexMode::Dir(d.clone());
    }
    match git2::Repository::discover(&env.root) {
        // The common folder, so the worktrees of a repository share one index.
        Ok(repo) => IndexMode::Dir(repo.commondir().join("ddf").join(osv_index::DEFAULT_DIR)),
        Err(_) => {
            if env.verbose > 0 {
                eprintln!(
                    "ddf: not in a Git repository, so no OSV index is kept (--index DIR keeps one)"
                );
            }
            IndexMode::Off
        }
    }
}

/// Says what became of the index: a verbose note when it was used or (re)built as expected, a
/// warning when it was unusable for another reason than a new zip or could not be written.
fn index_note(env: &Env, u: &IndexUse) {
    let (warn, text) = match u {
        IndexUse::Off => return,
        IndexUse::Reused(p) => (false, format!("read the OSV index {}", p.display())),
        IndexUse::Built(p) => (false, format!("wrote the OSV index {}", p.display())),
        IndexUse::Stale(p, why) => (
            false,
            format!("rewrote the OSV index {} ({why})", p.display()),
        ),
        IndexUse::Rebuilt(p, why) => (
            true,
            format!(
                "the OSV index {} could not be used ({why}); it was rebuilt from the zip",
                p.display()
            ),
        ),
        IndexUse::NotWritten(p, why) => (
            true,
            format!(
                "cannot write the OSV index {} ({why}); the next scan reads the whole zip again",
                p.display()
            ),
        ),
    };
    if warn && !env.quiet {
        eprintln!("{} {text}", env.style.warning("warning:"));
    } else if env.verbose > 0 {
        eprintln!("ddf: {text}");
    }
}

fn kev_cell(f: &Finding) -> String {
    match &f.kev_via {
        Some(v) => format!("KEV {v}"),
        None => String::new(),
    }
}

fn cvss_cell(f: &Finding) -> String {
    match (&f.cvss_v3, &f.cvss_v4) {
        (Some(c), _) => format!("{} {}", c.base_score, c.band),
        (None, Some(c)) => format!("{} {} (v4)", c.base_score, c.band),
        _ => "-".into(),
    }
}

fn advisories_cell(f: &Finding) -> String {
    let mut s = f.advisories.join(", ");
    if !f.withdrawn.is_empty() {
        if !s.is_empty() {
            s.push_str("; ");
        }
        s.push_str(&format!("withdrawn: {}", f.withdrawn.join(", ")));
    }
    s
}

fn component_cell(f: &Finding) -> String {
    let name = match &f.source_package {
        Some(s) => format!("{} (source {s})", f.name),
        None => f.name.clone(),
    };
    match &f.record {
        Some(r) => format!("{r} {name}"),
        None => name,
    }
}

fn header(r: &Report) -> String {
    let kev = r
        .kev_catalog
        .as_ref()
        .map(|v| format!("; KEV catalogue {v}"))
        .unwrap_or_default();
    let plural = super::output::count;
    format!(
        "Scanned {} against {} ({} withdrawn){kev}",
        plural(r.components, "component"),
        plural(r.osv_records, "OSV record"),
        r.withdrawn_records
    )
}

fn totals(r: &Report) -> String {
    format!(
        "{} affected, {} uncertain, {} withdrawn, {} known exploited; {} not matchable",
        r.count(Status::Affected),
        r.count(Status::Uncertain),
        r.count(Status::Withdrawn),
        r.findings
            .iter()
            .filter(|f| f.kev && f.status != Status::Withdrawn)
            .count(),
        super::output::count(r.not_matchable.len(), "component")
    )
}

fn recorded_lines(p: &RecordPlan) -> Vec<String> {
    let mut out = Vec::new();
    for v in &p.created {
        out.push(format!(
            "created {} ({}, {}) for {}: {}",
            v.id,
            v.vuln_id,
            v.status.as_str(),
            v.affects.join(", "),
            v.path
        ));
    }
    for c in &p.covered {
        let mut l = format!("{} already covers {}", c.record, c.vuln_id);
        if !c.missing_affects.is_empty() {
            l.push_str(&format!(
                "; it does not name {} in `affects`",
                c.missing_affects.join(", ")
            ));
        }
        if let Some(n) = &c.withdrawn_note {
            l.push_str(&format!("; {n}"));
        }
        out.push(l);
    }
    out
}

fn human(r: &Report, recorded: Option<&RecordPlan>, env: &Env) -> String {
    let mut out = format!("{}\n", env.style.bold(&header(r)));
    let rows: Vec<Vec<String>> = r
        .findings
        .iter()
        .map(|f| {
            vec![
                f.status.as_str().to_string(),
                component_cell(f),
                f.version.clone(),
                f.id.clone(),
                f.exploitability.clone().unwrap_or_else(|| "-".into()),
                cvss_cell(f),
                kev_cell(f),
                advisories_cell(f),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(&table(
            &[
                "status",
                "component",
                "version",
                "vulnerability",
                "E",
                "CVSS",
                "KEV",
                "advisories",
            ],
            &rows,
        ));
    }
    for f in r.findings.iter().filter(|f| f.status == Status::Uncertain) {
        for why in &f.reasons {
            out.push_str(&format!("uncertain: {} {}: {why}\n", f.name, f.version));
        }
    }
    for f in &r.findings {
        if let Some(v) = &f.vex {
            out.push_str(&format!(
                "vex: the SBOM says {} is {} for {} ({})\n",
                f.id,
                v.state.as_deref().unwrap_or("unstated"),
                f.name,
                v.justification.as_deref().unwrap_or("no justification")
            ));
        }
    }
    for n in &r.not_matchable {
        out.push_str(&format!(
            "not matchable: {} ({}): {}\n",
            n.component, n.name, n.reason
        ));
    }
    if let Some(p) = recorded {
        for l in recorded_lines(p) {
            out.push_str(&format!("record: {l}\n"));
        }
    }
    out.push_str(&totals(r));
    out.push('\n');
    out
}

fn markdown(r: &Report, recorded: Option<&RecordPlan>) -> String {
    let mut out = format!("## Vulnerability scan\n\n{}. {}.\n\n", header(r), totals(r));
    out.push_str("| status | component | version | vulnerability | E | CVSS | KEV | advisories | why |\n|---|---|---|---|---|---|---|---|---|\n");
    for f in &r.findings {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f.status.as_str(),
            md_cell(&component_cell(f)),
            md_cell(&f.version),
            md_cell(&f.id),
            f.exploitability.as_deref().unwrap_or("-"),
            md_cell(&cvss_cell(f)),
            md_cell(&kev_cell(f)),
            md_cell(&advisories_cell(f)),
            md_cell(&f.reasons.join("; "))
        ));
    }
    if !r.not_matchable.is_empty() {
        out.push_str("\n**Not matchable**\n\n");
        for n in &r.not_matchable {
            out.push_str(&format!(
                "- {} ({}): {}\n",
                md_cell(&n.component),
                md_cell(&n.name),
                md_cell(&n.reason)
            ));
        }
    }
    if !r.warnings.is_empty() {
        out.push_str("\n**Warnings**\n\n");
        for w in &r.warnings {
            out.push_str(&format!("- {}\n", md_cell(w)));
        }
    }
    if let Some(p) = recorded {
        out.push_str("\n**Records**\n\n");
        for l in recorded_lines(p) {
            out.push_str(&format!("- {}\n", md_cell(&l)));
        }
    }
    out
}
