//! `ddf schema`: the effective schema (built-in profile plus ddf.yaml), and JSON Schema per type
//! for editors' YAML language servers.

use super::output::table;
use super::{print, write_atomic, CliError, Env, Format};
use crate::config::Config;
use crate::schema::{json_schema, record_schema, FieldKind, Schema};

/// The file `--out` gets for the schema of every type. A type cannot be named `record.schema`
/// (type names have no `.`), so it never collides with a type's file.
const RECORD_SCHEMA: &str = "record.schema.json";

use std::path::PathBuf;

/// Show the record types and their fields, or write JSON Schemas for editors.
///
/// Without TYPE: every type with its prefix and clause. With TYPE: its fields, kinds, value sets
/// and link targets. `--json-schema` prints one JSON Schema for the front-matter of every record
/// type (dispatching on `type`), or of TYPE alone; with `--out DIR` it writes
/// `DIR/<type>.schema.json` files and `DIR/record.schema.json`, the one for every type.
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

/// The schema of the DDF if there is one, else the built-in profile; and the project's name.
fn effective(env: &Env) -> Result<(Schema, Option<String>), CliError> {
    let source = env.source()?;
    match source.read(crate::config::CONFIG_FILE) {
        Ok(Some(bytes)) => {
            let text =
                String::from_utf8(bytes).map_err(|_| CliError::usage("ddf.yaml is not UTF-8"))?;
            let (config, _) = Config::parse(&text, crate::config::CONFIG_FILE)
                .map_err(|e| CliError::from(crate::corpus::LoadError::from(e)))?;
            Ok((config.schema, Some(config.project)))
        }
        Err(e @ crate::source::SourceError::Integrity(_)) => Err(e.into()),
        _ => Ok((
            Schema::builtin().map_err(|e| CliError::failed(e.to_string()))?,
            None,
        )),
    }
}

/// Runs `ddf schema`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let (schema, project) = effective(env)?;
    let types: Vec<&crate::schema::TypeDef> = match &args.type_name {
        Some(n) => vec![schema.lookup(n).ok_or_else(|| {
            CliError::usage(format!("`{n}` is not a record type"))
                .hint("`ddf schema` lists the types")
        })?],
        None => schema.types.values().collect(),
    };
    if args.json_schema {
        let pretty = |v: &serde_json::Value| -> Result<String, CliError> {
            Ok(
                serde_json::to_string_pretty(v).map_err(|e| CliError::failed(e.to_string()))?
                    + "\n",
            )
        };
        // One schema, for every type (dispatching on `type`) or for TYPE alone.
        let one = match &args.type_name {
            Some(_) => json_schema(&schema, types[0]),
            None => record_schema(&schema, project.as_deref()),
        };
        let Some(dir) = &args.out else {
            print(&pretty(&one)?)?;
            return Ok(0);
        };
        let mut files: Vec<(String, serde_json::Value)> = types
            .iter()
            .map(|t| (format!("{}.schema.json", t.name), json_schema(&schema, t)))
            .collect();
        if args.type_name.is_none() {
            files.push((RECORD_SCHEMA.to_string(), one));
        }
        for (name, value) in &files {
            // Type names are checked where ddf.yaml is read; the join refuses anything that is
            // not one file name all the same, so no writer leaves `--out`.
            let path = crate::fsafe::join(dir, name).map_err(|e| CliError::usage(e.to_string()))?;
            write_atomic(&path, pretty(value)?.as_bytes(), true)
                .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
            if !env.quiet {
                eprintln!("wrote {}", path.display());
            }
        }
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
