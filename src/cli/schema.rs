//! `ddf schema`: the effective schema (built-in profile plus ddf.yaml), and JSON Schema per type
//! for editors' YAML language servers.

use super::output::table;
use super::{print, write_atomic, CliError, Env, Format};
use crate::config::Config;
use crate::schema::{json_schema, FieldKind, Schema};

use std::path::PathBuf;

/// Show the record types and their fields, or write JSON Schemas for editors.
///
/// Without TYPE: every type with its prefix and clause. With TYPE: its fields, kinds, value sets
/// and link targets. `--json-schema` prints one JSON object mapping each type name to its JSON
/// Schema, or with `--out DIR` writes `DIR/<type>.schema.json` files.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One type (name or prefix) to show in detail.
    #[arg(value_name = "TYPE")]
    pub type_name: Option<String>,
    /// Write JSON Schema (draft 2020-12) instead.
    #[arg(long)]
    pub json_schema: bool,
    /// With --json-schema: the folder to write one file per type into.
    #[arg(long, value_name = "DIR", requires = "json_schema")]
    pub out: Option<PathBuf>,
}

/// The schema of the DDF if there is one, else the built-in profile.
fn effective(env: &Env) -> Result<Schema, CliError> {
    let source = env.source()?;
    match source.read(crate::config::CONFIG_FILE) {
        Ok(Some(bytes)) => {
            let text =
                String::from_utf8(bytes).map_err(|_| CliError::usage("ddf.yaml is not UTF-8"))?;
            let (config, _) = Config::parse(&text, crate::config::CONFIG_FILE)
                .map_err(|e| CliError::from(crate::corpus::LoadError::from(e)))?;
            Ok(config.schema)
        }
        Err(e @ crate::source::SourceError::Integrity(_)) => Err(e.into()),
        _ => Schema::builtin().map_err(|e| CliError::failed(e.to_string())),
    }
}

/// Runs `ddf schema`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let schema = effective(env)?;
    let types: Vec<&crate::schema::TypeDef> = match &args.type_name {
        Some(n) => vec![schema.lookup(n).ok_or_else(|| {
            CliError::usage(format!("`{n}` is not a record type"))
                .hint("`ddf schema` lists the types")
        })?],
        None => schema.types.values().collect(),
    };
    if args.json_schema {
        if let Some(dir) = &args.out {
            for t in &types {
                // Type names are checked where ddf.yaml is read; the join refuses anything
                // that is not one file name all the same, so no writer leaves `--out`.
                let path = crate::fsafe::join(dir, &format!("{}.schema.json", t.name))
                    .map_err(|e| CliError::usage(e.to_string()))?;
                let text = serde_json::to_string_pretty(&json_schema(&schema, t))
                    .map_err(|e| CliError::failed(e.to_string()))?
                    + "\n";
                write_atomic(&path, text.as_bytes(), true).map_err(|e| {
                    CliError::failed(format!("cannot write {}: {e}", path.display()))
                })?;
                if !env.quiet {
                    eprintln!("wrote {}", path.display());
                }
            }
            return Ok(0);
        }
        let all: serde_json::Map<String, serde_json::Value> = types
            .iter()
            .map(|t| (t.name.clone(), json_schema(&schema, t)))
            .collect();
        print(
            &(serde_json::to_string_pretty(&all).map_err(|e| CliError::failed(e.to_string()))?
                + "\n"),
        )?;
        return Ok(0);
    }
    match env.format(&[Format::Human, Format::Json, Format::Md])? {
        Format::Md => print(&crate::schema::markdown(&schema))?,
        Format::Json => {
            let v: Vec<_> = types.iter().collect();
            print(
                &(serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))?
                    + "\n"),
            )?;
        }
        _ if args.type_name.is_some() => {
            let t = types[0];
            let mut s = format!("{} ({})  {}\n{}\n\n", t.name, t.prefix, t.clause, t.doc);
            let rows: Vec<Vec<String>> = t
                .fields
                .values()
                .map(|f| {
                    let kind = format!("{:?}", f.kind).to_lowercase();
                    let detail = match f.kind {
                        FieldKind::Enum | FieldKind::Enums => f.values.join(" | "),
                        FieldKind::Link | FieldKind::Ref => format!("-> {}", f.targets.join(", ")),
                        FieldKind::Level => {
                            format!("{:?}", f.scale.unwrap_or(crate::schema::Scale::Severity))
                                .to_lowercase()
                        }
                        _ => String::new(),
                    };
                    let req = if f.required {
                        "required".to_string()
                    } else if !f.required_in.is_empty() {
                        format!("required when {}", f.required_in.join(", "))
                    } else {
                        String::new()
                    };
                    let body = if t.body.as_deref() == Some(f.name.as_str()) {
                        "or body"
                    } else {
                        ""
                    };
                    vec![
                        f.name.clone(),
                        kind,
                        format!("{req} {body}").trim().to_string(),
                        detail,
                    ]
                })
                .collect();
            s.push_str(&table(&["field", "kind", "", "values / targets"], &rows));
            print(&s)?;
        }
        _ => {
            let rows: Vec<Vec<String>> = types
                .iter()
                .map(|t| vec![t.prefix.clone(), t.name.clone(), t.clause.clone()])
                .collect();
            print(&table(&["prefix", "type", "serves"], &rows))?;
        }
    }
    Ok(0)
}
