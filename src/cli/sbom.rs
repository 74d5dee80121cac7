//! `ddf sbom import FILE`, `ddf sbom diff A B` and `ddf sbom export REL`.

use super::output::{md_cell, table};
use super::{print, write_atomic, CliError, Env, Format};
use crate::rules::structure::is_valid_id;
use crate::sbom::diff::{diff, Diff};
use crate::sbom::import::{self, ImportOptions, Plan};
use crate::sbom::{self, Component, ReadOptions, SbomError};
use std::path::{Path, PathBuf};

/// Import an SBOM into component and supplier records, or compare two SBOMs.
///
/// Reads CycloneDX 1.5/1.6 JSON, SPDX 2.3 JSON or tag-value and SPDX 3.0 JSON-LD (older
/// CycloneDX 1.x and SPDX 2.x with a warning).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: SbomCommand,
}

/// `ddf sbom` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SbomCommand {
    /// Create and update CMP and SUP records from an SBOM; never overwrite what a person wrote.
    ///
    /// Components are matched to CMP records by normalised purl, then cpe, then sbom_ref, then
    /// supplier + name + version. Of a matched record only the fields that come from the SBOM
    /// are written (name, version, purl, cpe, sbom_ref, hashes, license; end_of_support when the
    /// record has none); new records are drafts. Records not in the SBOM are reported, never
    /// deleted. Malformed files are refused with the JSON path of the problem (exit 2).
    Import(ImportArgs),
    /// Compare two SBOM files, or the SBOMs of two releases (REL ids): components added,
    /// removed, with another version or another supplier.
    Diff(DiffArgs),
    /// Write a release's SBOM as CycloneDX 1.6 JSON, with FDA's support level, end of support
    /// and supplier per component.
    ///
    /// The components are those the release's SBOM files list, completed from their CMP and SUP
    /// records (supplier, support level, support basis, end of support). The output is
    /// deterministic: components sorted, the timestamp the release's (its `fielded` date, else
    /// its commit's time), the serial number derived from the content. To stdout, or to FILE
    /// with -o (atomically; an existing file only with --force).
    Export(ExportArgs),
}

/// `ddf sbom export`.
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
}

/// `ddf sbom import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The SBOM file (CycloneDX JSON, SPDX JSON or tag-value, SPDX 3 JSON-LD).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Also list the file in this release's `sbom:` (the file must be inside the DDF root).
    #[arg(long, value_name = "REL")]
    pub release: Option<String>,
    /// Print what would change without writing anything.
    #[arg(long)]
    pub dry_run: bool,
}

/// `ddf sbom diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old side: an SBOM file or a release id.
    #[arg(value_name = "A")]
    pub a: String,
    /// The new side: an SBOM file or a release id.
    #[arg(value_name = "B")]
    pub b: String,
}

/// Runs `ddf sbom`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    match args.command {
        SbomCommand::Import(a) => run_import(env, a),
        SbomCommand::Diff(a) => run_diff(env, a),
        SbomCommand::Export(a) => run_export(env, a),
    }
}

/// The error of an export, with its hint.
pub(super) fn export_error(e: crate::sbom::export::ExportError) -> CliError {
    let hint = e.hint();
    CliError::usage(e.to_string()).hint(hint)
}

/// The release's time: its `fielded` date, else (`fielded: false`, a release in preparation) the
/// time of its `commit` (else `tag`), read from the repository at the DDF root.
pub(super) fn export_options(
    env: &Env,
    rel: Option<&crate::record::Record>,
) -> crate::sbom::export::Options {
    let timestamp = rel.and_then(|r| {
        crate::sbom::export::fielded_time(r)
            .or_else(|| crate::sbom::export::commit_time(&env.root, r))
    });
    crate::sbom::export::Options { timestamp }
}

/// Writes an export to `-o FILE` (atomically, replacing only with --force) or stdout, and its
/// warnings to stderr.
pub(super) fn emit(
    env: &Env,
    export: &crate::sbom::export::Export,
    out: Option<&Path>,
    force: bool,
) -> Result<u8, CliError> {
    if !env.quiet {
        for w in &export.warnings {
            eprintln!("{} {w}", env.style.warning("warning:"));
        }
    }
    match out {
        Some(path) => {
            write_atomic(path, export.text.as_bytes(), force).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    CliError::usage(format!(
                        "{} already exists; nothing was written",
                        path.display()
                    ))
                    .hint("pass --force to replace it")
                } else {
                    CliError::failed(format!("cannot write {}: {e}", path.display()))
                }
            })?;
            if !env.quiet {
                eprintln!("ddf: wrote {} ({})", path.display(), export.id);
            }
        }
        None => print(&export.text)?,
    }
    Ok(0)
}

fn run_export(env: &Env, args: ExportArgs) -> Result<u8, CliError> {
    env.format(&[Format::Cyclonedx])?;
    let (corpus, _) = env.load()?;
    let rel =
        crate::sbom::export::release_index(&corpus, args.release.trim()).map_err(export_error)?;
    let opts = export_options(env, Some(&corpus.records[rel]));
    let export = crate::sbom::export::cyclonedx(&corpus, args.release.trim(), &opts)
        .map_err(export_error)?;
    emit(env, &export, args.out.as_deref(), args.force)
}

fn sbom_error(e: SbomError) -> CliError {
    let hint = e.hint();
    CliError::usage(e.to_string()).hint(hint)
}

/// `path` relative to `root`, `/`-separated, when it is inside it.
fn inside(root: &Path, path: &Path) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let p = path.canonicalize().ok()?;
    let rel = p.strip_prefix(&root).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

fn run_import(env: &Env, args: ImportArgs) -> Result<u8, CliError> {
    if env.rev.is_some() {
        return Err(CliError::usage(
            "`ddf sbom import` writes to the working tree and cannot be used with --rev",
        ));
    }
    let format = env.format(&[Format::Human, Format::Json, Format::Md])?;
    let (corpus, _) = env.load()?;
    let started = std::time::Instant::now();
    let sbom = sbom::read_file(&args.file, &ReadOptions::from_config(&corpus.config))
        .map_err(sbom_error)?;
    let rel = inside(&env.root, &args.file);
    if args.release.is_some() && rel.is_none() {
        return Err(CliError::usage(format!(
            "{} is outside the DDF root {}, so a release cannot list it",
            args.file.display(),
            env.root.display()
        ))
        .hint("copy the SBOM into the DDF (for example sboms/) and import that copy"));
    }
    let opts = ImportOptions {
        release: args.release.clone(),
        sbom_rel: rel.clone(),
        sbom_name: rel.clone().unwrap_or_else(|| {
            args.file.file_name().map_or_else(
                || args.file.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        }),
        today: Some(crate::date::Date::today()),
    };
    let plan = import::plan(&corpus, &env.root, &sbom, &opts).map_err(|e| {
        let hint = e.hint();
        CliError::usage(e.to_string()).hint(hint)
    })?;
    let written = if args.dry_run {
        0
    } else {
        super::remove_stale_temps(&env.root.join(&corpus.config.records));
        let files = plan.added.len() + plan.suppliers_added.len() + plan.changed.len();
        let batched = files > BATCH;
        let writer: &import::Writer = if batched {
            &write_batched
        } else {
            &write_atomic
        };
        if batched {
            let mut dirs: Vec<&str> = plan
                .added
                .iter()
                .chain(&plan.suppliers_added)
                .filter_map(|a| a.path.rsplit_once('/').map(|(d, _)| d))
                .collect();
            dirs.sort_unstable();
            dirs.dedup();
            for d in dirs {
                std::fs::create_dir_all(env.root.join(d))
                    .map_err(|e| CliError::failed(format!("cannot create {d}: {e}")))?;
            }
        }
        let n = import::apply(&env.root, &plan, writer).map_err(|e| {
            let already = e.source.kind() == std::io::ErrorKind::AlreadyExists;
            let err = CliError::failed(format!("cannot write {}: {}", e.path, e.source));
            if already {
                err.hint("a file without a matching id is in the way; move it, then import again")
            } else {
                err
            }
        })?;
        if batched {
            flush_batch(&env.root, &plan).map_err(|e| {
                CliError::failed(format!("cannot flush the written records to disk: {e}"))
            })?;
        }
        n
    };
    if env.verbose > 0 {
        eprintln!(
            "ddf: planned and wrote {} in {:.0?}",
            super::output::count(written, "file"),
            started.elapsed()
        );
    }
    let name = opts.sbom_name.clone();
    let text = match format {
        Format::Json => {
            let mut v = serde_json::to_value(&plan).map_err(|e| CliError::failed(e.to_string()))?;
            if let Some(o) = v.as_object_mut() {
                o.insert("file".into(), serde_json::Value::String(name));
                o.insert("dry_run".into(), serde_json::Value::Bool(args.dry_run));
            }
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        Format::Md => import_md(&plan, &name, args.dry_run),
        _ => import_human(&plan, &name, args.dry_run, env),
    };
    if !env.quiet {
        for w in &plan.warnings {
            eprintln!("{} {w}", env.style.warning("warning:"));
        }
    }
    print(&text)?;
    Ok(0)
}

fn summary(plan: &Plan, dry_run: bool) -> String {
    let s = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}: {} added, {} changed, {} unchanged, {} not in the SBOM; {}{}",
        s(plan.components, "component", "components"),
        plan.added.len(),
        plan.changed.len(),
        plan.unchanged.len(),
        plan.removed.len(),
        s(
            plan.suppliers_added.len(),
            "supplier added",
            "suppliers added"
        ),
        if dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    )
}

fn change_text(m: &import::Matched) -> String {
    m.changes
        .iter()
        .map(|c| {
            if c.old.is_empty() {
                format!("{} set to {}", c.field, c.new)
            } else {
                format!("{} {} -> {}", c.field, c.old, c.new)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn import_human(plan: &Plan, name: &str, dry_run: bool, env: &Env) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for a in &plan.suppliers_added {
        rows.push(vec![
            "added".into(),
            a.id.clone(),
            a.name.clone(),
            a.path.clone(),
        ]);
    }
    for a in &plan.added {
        let what = format!("{} {}", a.name, a.version.clone().unwrap_or_default())
            .trim()
            .to_string();
        rows.push(vec!["added".into(), a.id.clone(), what, a.path.clone()]);
    }
    for m in &plan.changed {
        rows.push(vec![
            "changed".into(),
            m.id.clone(),
            change_text(m),
            m.path.clone(),
        ]);
    }
    for r in &plan.removed {
        rows.push(vec![
            "removed".into(),
            r.id.clone(),
            format!("{} (not in the SBOM; not deleted)", r.label),
            r.path.clone(),
        ]);
    }
    for m in plan.changed.iter().chain(&plan.unchanged) {
        for n in &m.notes {
            rows.push(vec!["note".into(), m.id.clone(), n.clone(), m.path.clone()]);
        }
    }
    if let Some(rel) = &plan.release {
        let what = match &rel.added_sbom {
            Some(p) => format!("sbom: added {p}"),
            None => "sbom: already lists the file".into(),
        };
        rows.push(vec![
            "release".into(),
            rel.id.clone(),
            what,
            rel.path.clone(),
        ]);
    }
    let mut out = format!(
        "{} ({})\n",
        env.style.bold(&format!("Imported {name}")),
        plan.format
    );
    if !rows.is_empty() {
        out.push_str(&table(&["", "record", "what", "file"], &rows));
    }
    out.push_str(&summary(plan, dry_run));
    out.push('\n');
    out
}

fn import_md(plan: &Plan, name: &str, dry_run: bool) -> String {
    let mut out = format!(
        "## SBOM import: {}\n\n{} ({})\n\n",
        md_cell(name),
        summary(plan, dry_run),
        plan.format
    );
    out.push_str("| change | record | what |\n|---|---|---|\n");
    for a in plan.suppliers_added.iter().chain(&plan.added) {
        let what = format!("{} {}", a.name, a.version.clone().unwrap_or_default());
        out.push_str(&format!(
            "| added | {} | {} |\n",
            a.id,
            md_cell(what.trim())
        ));
    }
    for m in &plan.changed {
        out.push_str(&format!(
            "| changed | {} | {} |\n",
            m.id,
            md_cell(&change_text(m))
        ));
    }
    for r in &plan.removed {
        out.push_str(&format!(
            "| not in the SBOM | {} | {} |\n",
            r.id,
            md_cell(&r.label)
        ));
    }
    for m in plan.changed.iter().chain(&plan.unchanged) {
        for n in &m.notes {
            out.push_str(&format!("| note | {} | {} |\n", m.id, md_cell(n)));
        }
    }
    out
}

/// The components of one side of a diff: a release's SBOMs (read from the source, so `--rev`
/// applies) or a file.
fn side(env: &Env, arg: &str) -> Result<(String, Vec<Component>), CliError> {
    let as_file = Path::new(arg);
    if is_valid_id(arg) && !as_file.exists() {
        let (corpus, _) = env.load()?;
        let r = corpus
            .get(arg)
            .filter(|r| r.type_name == "release")
            .ok_or_else(|| {
                CliError::usage(format!(
                    "`{arg}` is neither an SBOM file nor a release of this DDF"
                ))
                .hint("give a path to a CycloneDX or SPDX file, or a REL id")
            })?;
        let source = env.source()?;
        let opts = ReadOptions::from_config(&corpus.config);
        let mut comps = Vec::new();
        let files = r.list("sbom");
        if files.is_empty() {
            return Err(CliError::usage(format!(
                "{arg} lists no SBOM (`sbom:` is empty)"
            )));
        }
        for p in &files {
            if !sbom::is_safe_relative(p) {
                return Err(CliError::usage(format!(
                    "{arg} lists SBOM `{p}`, which is not a path inside the DDF root"
                )));
            }
            let bytes = source
                .read(p)
                .map_err(|e| CliError::usage(e.to_string()))?
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "{arg} lists SBOM {p}, which does not exist in {}",
                        source.describe()
                    ))
                })?;
            comps.extend(
                sbom::parse(&bytes, p, &opts)
                    .map_err(sbom_error)?
                    .components,
            );
        }
        return Ok((format!("{arg} ({})", files.join(", ")), comps));
    }
    let opts = env
        .load()
        .map(|(c, _)| ReadOptions::from_config(&c.config))
        .unwrap_or_default();
    let s = sbom::read_file(as_file, &opts).map_err(sbom_error)?;
    Ok((arg.to_string(), s.components))
}

fn run_diff(env: &Env, args: DiffArgs) -> Result<u8, CliError> {
    let format = env.format(&[Format::Human, Format::Json, Format::Md])?;
    let (a_name, a) = side(env, &args.a)?;
    let (b_name, b) = side(env, &args.b)?;
    let d = diff(&a, &b);
    let text = match format {
        Format::Json => {
            let mut v = serde_json::to_value(&d).map_err(|e| CliError::failed(e.to_string()))?;
            if let Some(o) = v.as_object_mut() {
                o.insert("a".into(), serde_json::Value::String(a_name));
                o.insert("b".into(), serde_json::Value::String(b_name));
            }
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        Format::Md => diff_md(&d, &a_name, &b_name),
        _ => diff_human(&d, &a_name, &b_name),
    };
    print(&text)?;
    Ok(0)
}

fn diff_rows(d: &Diff) -> Vec<Vec<String>> {
    let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
    let mut rows = Vec::new();
    for e in &d.added {
        rows.push(vec![
            "added".into(),
            e.name.clone(),
            "-".into(),
            v(&e.version),
            v(&e.purl),
        ]);
    }
    for e in &d.removed {
        rows.push(vec![
            "removed".into(),
            e.name.clone(),
            v(&e.version),
            "-".into(),
            v(&e.purl),
        ]);
    }
    for c in &d.version_changed {
        rows.push(vec![
            "version".into(),
            c.name.clone(),
            v(&c.old),
            v(&c.new),
            c.key.clone(),
        ]);
    }
    for c in &d.supplier_changed {
        rows.push(vec![
            "supplier".into(),
            c.name.clone(),
            v(&c.old),
            v(&c.new),
            c.key.clone(),
        ]);
    }
    rows
}

fn diff_summary(d: &Diff) -> String {
    format!(
        "{} added, {} removed, {} version changed, {} supplier changed, {} unchanged",
        d.added.len(),
        d.removed.len(),
        d.version_changed.len(),
        d.supplier_changed.len(),
        d.unchanged
    )
}

fn diff_human(d: &Diff, a: &str, b: &str) -> String {
    let mut out = format!("SBOM diff {a} -> {b}\n");
    let rows = diff_rows(d);
    if !rows.is_empty() {
        out.push_str(&table(
            &["change", "component", "old", "new", "identity"],
            &rows,
        ));
    }
    out.push_str(&diff_summary(d));
    out.push('\n');
    out
}

fn diff_md(d: &Diff, a: &str, b: &str) -> String {
    let mut out = format!(
        "## SBOM diff\n\n{} -> {}: {}\n\n",
        md_cell(a),
        md_cell(b),
        diff_summary(d)
    );
    out.push_str("| change | component | old | new | identity |\n|---|---|---|---|---|\n");
    for r in diff_rows(d) {
        out.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    out
}

/// Files beyond which an import writes as a batch ([`write_batched`]) rather than file by file.
const BATCH: usize = 64;

/// [`write_atomic`] without its per-file `fsync`, for large imports: the same temporary file in
/// the target's folder, the same no-clobber hard link (or rename when replacing), so a record is
/// never half-written and never overwrites a file it should not. Durability comes from one flush
/// of the batch at the end ([`flush_batch`]): 5,000 separate `fsync`s cost seconds on a real disk.
fn write_batched(path: &Path, contents: &[u8], overwrite: bool) -> std::io::Result<()> {
    super::write_via_temp(path, contents, overwrite, false)
}

/// Makes the batch's files durable ([`super::flush_batch`]).
fn flush_batch(root: &Path, plan: &Plan) -> std::io::Result<()> {
    let mut files: Vec<&str> = plan
        .suppliers_added
        .iter()
        .chain(&plan.added)
        .map(|a| a.path.as_str())
        .collect();
    files.extend(plan.changed.iter().map(|m| m.path.as_str()));
    files.extend(plan.release.iter().map(|r| r.path.as_str()));
    super::flush_batch(root, &files)
}
