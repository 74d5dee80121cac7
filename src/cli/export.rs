//! `ddf export`: the DDF (or some record types, or the trace of one record) as JSON, ReqIF 1.2,
//! a CSV table of records (or of links) or an XLSX workbook. The formats are built in
//! `exchange::export`; this module picks the records and writes the result.

use super::output::csv_line;
use super::{print, write_atomic, CliError, Env, Format};
use crate::exchange::export::{self, reqif, table};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Export records and links (docs/export.md).
///
/// JSON (the default): `{ "project", "source", "records": [{id, type, title, status, path,
/// fields, body, links: [{field, target}]}], "links": [{from, field, to}] }`, records in path
/// order. ReqIF: ReqIF 1.2 XML (zipped when FILE ends in `.reqifz`). CSV: one row per record
/// (id, type, title, status, each field, each link field, body); `--links` for one line per
/// link (`from,field,to`). XLSX: a sheet per record type and a Links sheet (needs `-o`).
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Only records of this type (name or id prefix); repeat, or separate with commas, for
    /// several.
    #[arg(long = "type", value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Only the record ID and every record up- and downstream of it (as `ddf show ID` lists
    /// them).
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,
    /// With --format csv: one line per link (`from,field,to`) instead of one per record.
    #[arg(long)]
    pub links: bool,
    /// Write to FILE instead of stdout; without --format, its extension (.json, .reqif,
    /// .reqifz, .csv, .xlsx) picks the format.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// Something else to export (default: the records).
    #[command(subcommand)]
    pub what: Option<What>,
}

/// What `ddf export` writes besides the records.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// The premarket submission package of a release: PDFs, SBOM, CSV, manifest.
    Submission(super::submission::Args),
}

/// The format a file name asks for.
fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    let ext = name.rsplit_once('.')?.1;
    Some(match ext {
        "json" => Format::Json,
        "reqif" | "reqifz" => Format::Reqif,
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        _ => return None,
    })
}

fn is_reqifz(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("reqifz"))
}

/// Runs `ddf export`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    if let Some(What::Submission(a)) = args.what {
        return super::submission::run(env, a);
    }
    let allowed = [Format::Json, Format::Reqif, Format::Csv, Format::Xlsx];
    let format = match (env.format, args.out.as_deref().and_then(format_of)) {
        (None, Some(f)) => f,
        _ => env.format(&allowed)?,
    };
    if args.links && format != Format::Csv {
        return Err(CliError::usage("--links goes with --format csv")
            .hint("the links are the `links` of the JSON, the SPEC-RELATIONs of the ReqIF and the Links sheet of the XLSX"));
    }
    if let Some(out) = &args.out {
        if is_reqifz(out) && format != Format::Reqif {
            return Err(CliError::usage(format!(
                "{} is a ReqIF archive name, but the format is not reqif",
                out.display()
            ))
            .hint("pass --format reqif, or name the file after its format"));
        }
    }
    if format == Format::Xlsx && args.out.is_none() {
        return Err(
            CliError::usage("an XLSX workbook is written to a file, not to the terminal")
                .hint("pass -o FILE.xlsx"),
        );
    }
    let (corpus, graph) = env.load()?;
    let selected =
        export::select(&corpus, &graph, &args.types, args.trace.as_deref()).map_err(|e| {
            let hint = e.hint(&corpus);
            CliError::usage(e.to_string()).hint(hint)
        })?;
    let created = || {
        let commit = env.rev.as_ref().map(|_| corpus.source.as_str());
        export::commit_time(&env.root, commit)
    };
    let mut code = 0;
    let bytes: Vec<u8> = match format {
        Format::Reqif => {
            let doc = reqif::document(&corpus, &selected, created());
            for why in &doc.left_out {
                if !env.quiet {
                    eprintln!("ddf: warning: {why}");
                }
                code = 1;
            }
            if doc.links_left_out > 0 && env.verbose > 0 {
                eprintln!(
                    "ddf: {} to records outside the export left out of the SPEC-RELATIONs",
                    super::output::count(doc.links_left_out, "link")
                );
            }
            match &args.out {
                Some(out) if is_reqifz(out) => {
                    let inner = out
                        .file_stem()
                        .map(|s| format!("{}.reqif", s.to_string_lossy()))
                        .unwrap_or_else(|| "ddf.reqif".into());
                    reqif::reqifz(&doc.xml, &inner).map_err(|e| CliError::failed(e.to_string()))?
                }
                _ => doc.xml.into_bytes(),
            }
        }
        Format::Csv if args.links => {
            let mut s = csv_line(&["from", "field", "to"]);
            for (a, f, b) in export::link_rows(&corpus, &selected) {
                s.push_str(&csv_line(&[a, f, b]));
            }
            s.into_bytes()
        }
        Format::Csv => table::csv(&corpus, &selected).into_bytes(),
        Format::Xlsx => {
            let (bytes, notes) = table::xlsx(&corpus, &selected, created())
                .map_err(|e| CliError::failed(e.to_string()))?;
            for n in notes {
                if !env.quiet {
                    eprintln!("ddf: warning: {n}");
                }
            }
            bytes
        }
        _ => json_text(&corpus, &selected)?.into_bytes(),
    };
    match &args.out {
        Some(out) => {
            write_atomic(out, &bytes, args.force).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    CliError::failed(format!(
                        "{} already exists; nothing was written",
                        out.display()
                    ))
                    .hint("pass --force to replace it")
                } else {
                    CliError::failed(format!("cannot write {}: {e}", out.display()))
                }
            })?;
            if !env.quiet {
                eprintln!(
                    "ddf: wrote {} ({})",
                    out.display(),
                    super::output::count(selected.len(), "record")
                );
            }
        }
        None => print(&String::from_utf8_lossy(&bytes))?,
    }
    Ok(code)
}

/// The JSON contract: the selected records in path order, and their links.
fn json_text(corpus: &crate::corpus::Corpus, selected: &[usize]) -> Result<String, CliError> {
    let mut in_path_order = selected.to_vec();
    in_path_order.sort_unstable();
    let records: Vec<_> = in_path_order
        .iter()
        .map(|&i| {
            let r = &corpus.records[i];
            json!({
                "id": r.id, "type": r.type_name, "title": r.title(), "status": r.status(), "path": r.path,
                "fields": r.fields.iter().filter(|(k, _)| !matches!(k.as_str(), "id" | "type")).map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default())).collect::<serde_json::Map<_, _>>(),
                "body": r.body,
                "links": r.links.iter().map(|l| json!({ "field": l.field, "target": l.target })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut links: Vec<(&str, &str, &str)> = in_path_order
        .iter()
        .flat_map(|&i| {
            let r = &corpus.records[i];
            r.links
                .iter()
                .map(move |l| (r.id.as_str(), l.field.as_str(), l.target.as_str()))
        })
        .collect();
    links.sort();
    let v = json!({
        "project": corpus.config.project,
        "source": corpus.source,
        "records": records,
        "links": links.iter().map(|(a, f, b)| json!({ "from": a, "field": f, "to": b })).collect::<Vec<_>>(),
    });
    Ok(serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))? + "\n")
}
