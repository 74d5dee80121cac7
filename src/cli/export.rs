//! `ddf export`: the whole graph as JSON (records with fields, body and links), or its links as
//! CSV.

use super::output::csv_line;
use super::{print, CliError, Env, Format};
use serde_json::json;

/// Export every record and link.
///
/// JSON: `{ "project", "source", "records": [{id, type, title, status, path, fields, body,
/// links: [{field, target}]}], "links": [{from, field, to}] }`, records in path order.
/// CSV: one line per link (`from,field,to`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Something else to export (default: the graph).
    #[command(subcommand)]
    pub what: Option<What>,
}

/// What `ddf export` writes besides the graph.
#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// The premarket submission package of a release: PDFs, SBOM, CSV, manifest.
    Submission(super::submission::Args),
}

/// Runs `ddf export`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    if let Some(What::Submission(a)) = args.what {
        return super::submission::run(env, a);
    }
    let format = env.format(&[Format::Json, Format::Csv])?;
    let (corpus, _graph) = env.load()?;
    let mut links = Vec::new();
    for r in &corpus.records {
        for l in &r.links {
            links.push((r.id.clone(), l.field.clone(), l.target.clone()));
        }
    }
    links.sort();
    let text = match format {
        Format::Csv => {
            let mut s = csv_line(&["from", "field", "to"]);
            for (a, f, b) in &links {
                s.push_str(&csv_line(&[a, f, b]));
            }
            s
        }
        _ => {
            let records: Vec<_> = corpus
                .records
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id, "type": r.type_name, "title": r.title(), "status": r.status(), "path": r.path,
                        "fields": r.fields.iter().filter(|(k, _)| !matches!(k.as_str(), "id" | "type")).map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default())).collect::<serde_json::Map<_, _>>(),
                        "body": r.body,
                        "links": r.links.iter().map(|l| json!({ "field": l.field, "target": l.target })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let v = json!({
                "project": corpus.config.project,
                "source": corpus.source,
                "records": records,
                "links": links.iter().map(|(a, f, b)| json!({ "from": a, "field": f, "to": b })).collect::<Vec<_>>(),
            });
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
    };
    print(&text)?;
    Ok(0)
}
