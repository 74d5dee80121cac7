//! `ddf import FORMAT PATH`: records from Doorstop, StrictDoc, ReqIF, CSV or XLSX, through a
//! mapping file; new files only, a dry run first (docs/import.md).

use super::{print, write_atomic, CliError, Env, Format};
use crate::exchange::import::{self, mapping, Plan, ReadError, Tool};
use std::path::{Path, PathBuf};

/// Import records from the requirements tool a team is leaving.
///
/// Each input item becomes a new record (or is reported with why not): its type, fields and link
/// fields from the mapping file (`--print-default-mapping` prints the default, which works for a
/// plain requirements tree). A source id that is a ddf id of the type is kept, others are mapped
/// (`REQ003` -> `UN-003` where free) and the map written to `import-map.csv` in the records
/// folder. Nothing is overwritten: an id or file that exists is a conflict, and then nothing is
/// written (exit 1). Run with `--dry-run` first.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tool the input comes from.
    #[arg(value_enum, value_name = "FROM")]
    pub from: From,
    /// Doorstop: the tree's folder; StrictDoc: .sdoc files or folders; ReqIF: a .reqif or
    /// .reqifz file; CSV, XLSX: the file.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The mapping file (YAML); default: the tool's default mapping.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Print the tool's default mapping (a starting point for --mapping) and exit.
    #[arg(long)]
    pub print_default_mapping: bool,
    /// Print the plan (records written, conflicts, items skipped and why) without writing.
    #[arg(long)]
    pub dry_run: bool,
    /// The id map file, relative to the DDF root; default: `import-map.csv` in the records
    /// folder.
    #[arg(long, value_name = "FILE")]
    pub map: Option<String>,
}

/// The tools `ddf import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum From {
    /// A Doorstop tree (folders with .doorstop.yml and item YAML files).
    Doorstop,
    /// StrictDoc .sdoc files.
    Strictdoc,
    /// ReqIF 1.x (.reqif, or .reqifz archive).
    Reqif,
    /// CSV with a header row.
    Csv,
    /// XLSX workbook with a header row.
    Xlsx,
}

impl From {
    fn tool(self) -> Tool {
        match self {
            From::Doorstop => Tool::Doorstop,
            From::Strictdoc => Tool::Strictdoc,
            From::Reqif => Tool::Reqif,
            From::Csv => Tool::Csv,
            From::Xlsx => Tool::Xlsx,
        }
    }
}

fn read_error(e: ReadError) -> CliError {
    CliError::usage(e.to_string()).hint(e.hint)
}

/// Runs `ddf import`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let tool = args.from.tool();
    if args.print_default_mapping {
        print(mapping::default_text(tool, false))?;
        return Ok(0);
    }
    if env.rev.is_some() {
        return Err(CliError::usage(
            "`ddf import` writes to the working tree and cannot be used with --rev",
        ));
    }
    let format = env.format(&[Format::Human, Format::Json])?;
    let many = tool == Tool::Strictdoc;
    match args.paths.len() {
        0 => {
            return Err(CliError::usage(format!(
                "`ddf import {}` needs the path to import",
                tool.name()
            ))
            .hint("e.g. `ddf import doorstop reqs/ --dry-run`"))
        }
        1 => {}
        _ if many => {}
        _ => {
            return Err(
                CliError::usage(format!("`ddf import {}` takes one path", tool.name()))
                    .hint("import the files one by one"),
            )
        }
    }
    let (corpus, _) = env.load()?;
    let started = std::time::Instant::now();
    let shown = |p: &Path| p.display().to_string();
    let user_mapping = match &args.mapping {
        Some(p) => {
            let name = shown(p);
            let text = import::utf8(import::read_bounded(p, &name).map_err(read_error)?, &name)
                .map_err(read_error)?;
            Some(mapping::parse(&text, &name).map_err(read_error)?)
        }
        None => None,
    };
    let columns = user_mapping
        .as_ref()
        .map(|m| m.columns.clone())
        .unwrap_or_default();
    let first = &args.paths[0];
    let foreign = match tool {
        Tool::Doorstop => import::doorstop::read(first, &shown(first)),
        Tool::Strictdoc => {
            let paths: Vec<(PathBuf, String)> =
                args.paths.iter().map(|p| (p.clone(), shown(p))).collect();
            import::strictdoc::read(&paths)
        }
        Tool::Reqif => import::reqif::read(first, &shown(first)),
        Tool::Csv => import::csv::read(first, &shown(first), &columns),
        Tool::Xlsx => import::xlsx::read(first, &shown(first), &columns),
    }
    .map_err(read_error)?;
    let mapping =
        user_mapping.unwrap_or_else(|| mapping::default_for(tool, foreign.ddf_convention));
    mapping.validate(&corpus.config.schema).map_err(|m| {
        CliError::usage(format!(
            "{}: {m}",
            args.mapping
                .as_deref()
                .map_or_else(|| "the default mapping".to_string(), shown)
        ))
        .hint("types are the names or prefixes of docs/schema.md and ddf.yaml")
    })?;
    let map_path = match &args.map {
        Some(m) => {
            crate::fsafe::check_relative(m).map_err(|r| {
                CliError::usage(format!("--map `{m}`: {r}"))
                    .hint("give a path relative to the DDF root, inside it")
            })?;
            m.clone()
        }
        None => import::default_map_path(&corpus),
    };
    let map_before = read_map(&env.root, &map_path)?;
    let ddf_convention = foreign.ddf_convention;
    let plan = import::plan(
        &corpus,
        &env.root,
        foreign,
        &mapping,
        &map_path,
        map_before.as_deref(),
    )
    .map_err(|e| CliError::usage(e.message).hint(e.hint))?;
    let conflicts = !plan.conflicts.is_empty();
    let written = if args.dry_run || conflicts {
        0
    } else {
        write(env, &corpus.config.records, &plan)?
    };
    if env.verbose > 0 {
        eprintln!(
            "ddf: read, planned and wrote {} in {:.0?}",
            super::output::count(written, "record"),
            started.elapsed()
        );
    }
    let text = match format {
        Format::Json => {
            let mut v = serde_json::to_value(&plan).map_err(|e| CliError::failed(e.to_string()))?;
            if let Some(o) = v.as_object_mut() {
                o.insert("dry_run".into(), serde_json::Value::Bool(args.dry_run));
                o.insert("written".into(), serde_json::Value::from(written));
                o.insert(
                    "identity_mapping".into(),
                    serde_json::Value::Bool(ddf_convention && args.mapping.is_none()),
                );
            }
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        _ => human(&plan, args.dry_run, written, env),
    };
    if !env.quiet {
        for w in &plan.warnings {
            eprintln!("{} {w}", env.style.warning("warning:"));
        }
    }
    print(&text)?;
    if conflicts {
        if !env.quiet {
            eprintln!(
                "{} {} of the input exist in the DDF already; nothing was written",
                env.style.error("error:"),
                super::output::count(plan.conflicts.len(), "item")
            );
            eprintln!("hint: an item imported before is in {map_path}; map the others to other ids or types in the mapping, or remove them from the input");
        }
        return Ok(1);
    }
    Ok(0)
}

/// The id map's text, if the file exists (read through the confined reader: it is inside the
/// DDF).
fn read_map(root: &Path, rel: &str) -> Result<Option<String>, CliError> {
    let fence = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    match crate::fsafe::read(&fence, root, rel, import::MAX_INPUT) {
        Ok(Some(b)) => String::from_utf8(b).map(Some).map_err(|_| {
            CliError::usage(format!("{rel}: the id map is not UTF-8")).hint("restore it from Git")
        }),
        Ok(None) => Ok(None),
        Err(r) => Err(CliError::usage(format!("{rel}: {r}")).hint(r.hint())),
    }
}

/// Files beyond which the records are written as a batch (no `fsync` each, one flush at the
/// end), as `ddf sbom import` does.
const BATCH: usize = 64;

fn write(env: &Env, records: &str, plan: &Plan) -> Result<usize, CliError> {
    super::remove_stale_temps(&env.root.join(records));
    let batched = plan.records.len() > BATCH;
    let batch_writer = |p: &Path, c: &[u8], o: bool| super::write_via_temp(p, c, o, false);
    let writer: &import::Writer = if batched {
        &batch_writer
    } else {
        &write_atomic
    };
    if batched {
        let mut dirs: Vec<&str> = plan
            .records
            .iter()
            .filter_map(|r| r.path.rsplit_once('/').map(|(d, _)| d))
            .collect();
        dirs.sort_unstable();
        dirs.dedup();
        for d in dirs {
            std::fs::create_dir_all(env.root.join(d))
                .map_err(|e| CliError::failed(format!("cannot create {d}: {e}")))?;
        }
    }
    let n = import::apply(&env.root, plan, writer).map_err(|e| {
        let already = e.source.kind() == std::io::ErrorKind::AlreadyExists;
        let err = CliError::failed(format!("cannot write {}: {}", e.path, e.source));
        if already {
            err.hint("a file appeared while ddf was importing; run the import again to see the conflicts")
        } else {
            err
        }
    })?;
    if batched {
        flush(&env.root, plan).map_err(|e| {
            CliError::failed(format!("cannot flush the written records to disk: {e}"))
        })?;
    }
    Ok(n)
}

/// Makes the written records durable ([`super::flush_batch`]).
fn flush(root: &Path, plan: &Plan) -> std::io::Result<()> {
    let files: Vec<&str> = plan.records.iter().map(|r| r.path.as_str()).collect();
    super::flush_batch(root, &files)
}

fn human(plan: &Plan, dry_run: bool, written: usize, env: &Env) -> String {
    use super::output::count;
    let mut out = format!(
        "ddf import {}: {}: {} {}, {}, {} skipped, {} dropped",
        plan.tool.name(),
        count(plan.items, "item"),
        plan.records.len(),
        if dry_run { "to write" } else { "new" },
        count(plan.conflicts.len(), "conflict"),
        plan.skipped.len(),
        count(plan.dropped_links.len(), "link"),
    );
    if dry_run {
        out.push_str(" (dry run: nothing written)");
    } else if plan.conflicts.is_empty() {
        out.push_str(&format!("; {} written", count(written, "record")));
    }
    out.push('\n');
    let verb = if dry_run || !plan.conflicts.is_empty() {
        "would write"
    } else {
        "wrote"
    };
    for r in &plan.records {
        out.push_str(&format!(
            "  {verb} {} ({}) <- {} ({}){}\n",
            r.path,
            r.type_name,
            r.source_id,
            r.from,
            if r.kept { ", id kept" } else { "" }
        ));
    }
    if !plan.conflicts.is_empty() {
        out.push_str(&format!(
            "{}\n",
            env.style.error("conflicts (not written):")
        ));
        for c in &plan.conflicts {
            out.push_str(&format!(
                "  {} -> {} ({}): {}\n",
                c.source_id, c.id, c.from, c.reason
            ));
        }
    }
    if !plan.skipped.is_empty() {
        out.push_str("skipped:\n");
        for s in &plan.skipped {
            out.push_str(&format!(
                "  {} ({}): {}\n",
                s.source_id, s.location, s.reason
            ));
        }
    }
    if !plan.dropped_links.is_empty() {
        out.push_str("links dropped:\n");
        for l in &plan.dropped_links {
            out.push_str(&format!(
                "  {} {} -> {}: {}\n",
                l.source_id, l.role, l.target, l.reason
            ));
        }
    }
    let list = |m: &std::collections::BTreeMap<String, usize>| {
        m.iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !plan.unmapped.is_empty() {
        out.push_str(&format!(
            "attributes not imported (map them to fields in a mapping, or `unmapped: keep`): {}\n",
            list(&plan.unmapped)
        ));
    }
    if !plan.kept_attributes.is_empty() {
        out.push_str(&format!(
            "attributes kept as fields of their own name: {}\n",
            list(&plan.kept_attributes)
        ));
    }
    if !plan.missing.is_empty() {
        out.push_str("to fill in (required fields the source does not give; `ddf check` lists each record):\n");
        let mut by_type: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
        for m in &plan.missing {
            by_type
                .entry(&m.type_name)
                .or_default()
                .push(format!("{} ({})", m.field, m.records));
        }
        for (t, fields) in by_type {
            out.push_str(&format!("  {t}: {}\n", fields.join(", ")));
        }
    }
    if !plan.map_rows.is_empty() {
        out.push_str(&format!(
            "id map: {} ({} {})\n",
            plan.map_path,
            count(plan.map_rows.len(), "row"),
            if dry_run || !plan.conflicts.is_empty() {
                "to add"
            } else {
                "added"
            }
        ));
    }
    out
}
