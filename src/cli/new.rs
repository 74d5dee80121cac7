//! `ddf new TYPE`: create a record with the next free id, written atomically, never overwriting.

use super::{print, write_atomic, CliError, Env};
use crate::corpus::Corpus;
use crate::ids::{default_folder, ids_on_branches, next_id};
use crate::schema::FieldKind;
use serde::Serialize;
use std::collections::HashSet;
use std::path::Path;

/// Create a record of TYPE with the next free id and print its path.
///
/// The id is free in the working tree and on every local branch, so two people working on
/// different branches do not both create DI-042. The file is written from the `new/record.md`
/// template (overridable in the DDF's templates folder) and never replaces an existing file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Record type: its name (design-input) or prefix (DI).
    #[arg(value_name = "TYPE")]
    pub type_name: String,
    /// Title of the record.
    #[arg(long, short)]
    pub title: Option<String>,
    /// Owner (a PER id); default: the person whose printed name is Git's user.name.
    #[arg(long)]
    pub owner: Option<String>,
    /// Folder for the file, relative to the DDF root; default: where records of the type already are.
    #[arg(long)]
    pub folder: Option<String>,
}

#[derive(Serialize)]
struct FieldCtx {
    name: String,
    value: String,
    comment: String,
}

#[derive(Serialize)]
struct NewCtx {
    id: String,
    #[serde(rename = "type")]
    type_name: String,
    title: String,
    owner: String,
    fields: Vec<FieldCtx>,
    body: String,
}

fn placeholder(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Link | FieldKind::List | FieldKind::Enums | FieldKind::Maps => "[]",
        FieldKind::Map => "{}",
        _ => "",
    }
}

fn owner_guess(root: &Path, corpus: &Corpus) -> Option<String> {
    let repo = git2::Repository::discover(root).ok()?;
    let name = repo.config().ok()?.get_string("user.name").ok()?;
    corpus
        .records_of("person")
        .iter()
        .map(|&i| &corpus.records[i])
        .find(|p| p.text("printed_name").as_deref() == Some(name.as_str()))
        .map(|p| p.id.clone())
}

/// Runs `ddf new`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    if env.rev.is_some() {
        return Err(CliError::usage(
            "`ddf new` writes to the working tree and cannot be used with --rev",
        ));
    }
    let (corpus, _) = env.load()?;
    let schema = &corpus.config.schema;
    let t = schema.lookup(&args.type_name).ok_or_else(|| {
        CliError::usage(format!("`{}` is not a record type", args.type_name)).hint(format!(
            "types: {}",
            schema.types.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    })?;
    let mut used: HashSet<String> = corpus
        .by_id
        .keys()
        .filter(|k| k.split('-').next() == Some(&t.prefix))
        .cloned()
        .collect();
    used.extend(ids_on_branches(
        &env.root,
        &corpus.config.records,
        &t.prefix,
    ));
    let id = next_id(&t.prefix, used.into_iter());
    let folder = args
        .folder
        .clone()
        .unwrap_or_else(|| default_folder(&corpus, t));
    let rel = format!("{}/{id}.md", folder.trim_end_matches('/'));
    if rel.split('/').any(|c| c == "..") || Path::new(&rel).is_absolute() {
        return Err(
            CliError::usage(format!("folder `{folder}` leaves the DDF root"))
                .hint("give a folder relative to the DDF root"),
        );
    }
    let mut fields = Vec::new();
    for f in t.fields.values() {
        let common = matches!(
            f.name.as_str(),
            "id" | "type" | "title" | "status" | "owner" | "device" | "cyber" | "supersedes"
        );
        if common
            || t.body.as_deref() == Some(f.name.as_str())
            || !(f.required || f.kind == FieldKind::Link)
        {
            continue;
        }
        let comment = match f.kind {
            FieldKind::Enum | FieldKind::Enums => format!("one of: {}", f.values.join(" | ")),
            FieldKind::Link | FieldKind::Ref => format!("ids of: {}", f.targets.join(", ")),
            FieldKind::Date => "YYYY-MM-DD".into(),
            FieldKind::Level => format!(
                "{}1..{}5",
                f.scale.map_or('S', |s| s.letter()),
                f.scale.map_or('S', |s| s.letter())
            ),
            _ => f.doc.clone().unwrap_or_default(),
        };
        fields.push(FieldCtx {
            name: f.name.clone(),
            value: placeholder(f.kind).into(),
            comment,
        });
    }
    let title = args.title.clone().unwrap_or_default();
    let ctx = NewCtx {
        id: id.clone(),
        type_name: t.name.clone(),
        title: if title.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&title).unwrap_or(title)
        },
        owner: args
            .owner
            .clone()
            .or_else(|| owner_guess(&env.root, &corpus))
            .unwrap_or_default(),
        fields,
        body: t.body.as_ref().map(|_| String::new()).unwrap_or_default(),
    };
    let source = env.source()?;
    let templates_dir = corpus
        .config
        .site
        .templates
        .clone()
        .unwrap_or_else(|| "templates".into());
    let tpl = crate::templates::get(source.as_ref(), &templates_dir, "new/record.md")
        .ok_or_else(|| CliError::failed("no record template"))?;
    let text = crate::templates::render("new/record.md", &tpl, &ctx)
        .map_err(|e| CliError::usage(e).hint("check the template in your templates folder"))?;
    let path = env.root.join(&rel);
    write_atomic(&path, text.as_bytes(), false).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::failed(format!("{rel} already exists; nothing was written"))
                .hint("a file without a matching id is in the way; rename it or pass --folder")
        } else {
            CliError::failed(format!("cannot write {rel}: {e}"))
        }
    })?;
    print(&format!("{}\n", path.display()))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::next_id;

    #[test]
    fn next_id_continues_the_highest_and_keeps_width() {
        assert_eq!(
            next_id(
                "DI",
                ["DI-001".to_string(), "DI-009".to_string()].into_iter()
            ),
            "DI-010"
        );
        assert_eq!(next_id("DI", std::iter::empty()), "DI-001");
        assert_eq!(
            next_id("DI", ["DI-0042".to_string()].into_iter()),
            "DI-0043"
        );
        assert_eq!(next_id("UN", ["UN-999".to_string()].into_iter()), "UN-1000");
    }
}
