//! `ddf new TYPE`: create a record with the next free id, written atomically, never overwriting.

use super::{print, write_atomic, CliError, Env};
use crate::corpus::Corpus;
use crate::ids::{default_folder, IdAllocator};
use crate::schema::FieldKind;
use serde::Serialize;
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
    /// Owner: the id of a person record (PER-001); default: the person whose printed name is
    /// Git's user.name.
    #[arg(long)]
    pub owner: Option<String>,
    /// Folder for the file, relative to the DDF root and below the records folder; default:
    /// where records of the type already are.
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
    /// The type's first status (`draft`; `open` for a CR, CAPA or signal).
    status: String,
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

/// How many ids `ddf new` tries when the file of the next free one appears meanwhile (another
/// `ddf new` of the same type running at the same time).
const ID_TRIES: usize = 1000;

/// The folder `--folder` names, checked: relative to the DDF root, below the records folder,
/// only plain names (no `..`, `.`, or dot folders such as `.git`), not inside a built site (a
/// folder with the `.ddf-site` marker), and no existing part of it a symbolic link. Returns the
/// folder with `/` separators and no trailing `/`.
fn checked_folder(root: &Path, records: &str, folder: &str) -> Result<String, CliError> {
    let refuse = |why: &str| {
        CliError::usage(format!("--folder `{folder}` {why}")).hint(format!(
            "give a folder below `{records}/` relative to the DDF root, e.g. `{records}/inputs`"
        ))
    };
    let rel = folder.trim_end_matches('/');
    let mut parts = Vec::new();
    for c in Path::new(rel).components() {
        match c {
            std::path::Component::Normal(name) => {
                let name = name.to_str().ok_or_else(|| refuse("is not valid UTF-8"))?;
                if name.starts_with('.') {
                    return Err(refuse("names a dot folder"));
                }
                parts.push(name);
            }
            std::path::Component::ParentDir => return Err(refuse("leaves the folder with `..`")),
            std::path::Component::CurDir => return Err(refuse("has a `.` part")),
            _ => return Err(refuse("is not a relative path")),
        }
    }
    let records_parts: Vec<&str> = records.split('/').filter(|p| !p.is_empty()).collect();
    let below = records == "." || parts.starts_with(&records_parts);
    if parts.is_empty() || !below {
        return Err(refuse(&format!(
            "is not below the records folder `{records}`"
        )));
    }
    // `ddf build` writes `site` by default: with the records at the root it would be below it.
    if parts[0] == "site" && records == "." {
        return Err(refuse("is the folder `ddf build` writes the site to"));
    }
    let mut at = root.to_path_buf();
    for part in &parts {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(refuse("goes through a symbolic link"));
            }
            Ok(m) if !m.is_dir() => return Err(refuse("names a file, not a folder")),
            Ok(_) if at.join(crate::site::MARKER).exists() => {
                return Err(refuse("is inside a site `ddf build` wrote"));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(parts.join("/"))
}

/// Checks that `owner` is the id of a person record (the owner field names one).
fn checked_owner(corpus: &Corpus, owner: &str) -> Result<String, CliError> {
    let person = corpus.config.schema.lookup("person");
    let is_person = |r: &crate::record::Record| {
        person.is_some_and(|p| r.type_name == p.name) || r.prefix() == "PER"
    };
    if corpus.get(owner).is_some_and(is_person) {
        return Ok(owner.to_string());
    }
    let mut people: Vec<&str> = corpus
        .records
        .iter()
        .filter(|r| is_person(r))
        .map(|r| r.id.as_str())
        .collect();
    people.sort_unstable();
    let hint = if people.is_empty() {
        "no person record exists yet: `ddf new person` creates one".to_string()
    } else {
        let more = if people.len() > 10 { ", ..." } else { "" };
        people.truncate(10);
        format!(
            "the owner is the id of a person record: {}{more}",
            people.join(", ")
        )
    };
    Err(CliError::usage(format!(
        "--owner `{}` is not the id of a person record",
        owner.escape_debug()
    ))
    .hint(hint))
}

/// One line of text: a comment or value from the schema must not start a new YAML line (YAML
/// also breaks lines at NEL, LS and PS).
fn one_line(s: &str) -> String {
    s.replace(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'], " ")
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
    let owner = match &args.owner {
        Some(o) => checked_owner(&corpus, o)?,
        None => owner_guess(&env.root, &corpus).unwrap_or_default(),
    };
    let folder = match &args.folder {
        Some(f) => checked_folder(&env.root, &corpus.config.records, f)?,
        None => default_folder(&corpus, t),
    };
    super::remove_stale_temps(&env.root.join(&corpus.config.records));
    let fields = scaffold_fields(t);
    let title = args.title.clone().unwrap_or_default();
    let mut ctx = NewCtx {
        id: String::new(),
        type_name: yaml_scalar(&t.name),
        status: yaml_scalar(t.statuses.first().map_or("draft", String::as_str)),
        // JSON's string syntax is YAML's double-quoted one; line breaks become `\n`.
        title: if title.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&title).unwrap_or_default()
        },
        owner: if owner.is_empty() {
            owner
        } else {
            yaml_scalar(&owner)
        },
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
    // The id is taken by creating its file, never replacing one: when another `ddf new` (or
    // anyone) created the file of this id meanwhile, the next id is tried.
    let mut ids = IdAllocator::new(&corpus, &env.root, &t.prefix);
    for _ in 0..ID_TRIES {
        let id = ids.next_id();
        ctx.id = id.clone();
        let text = crate::templates::render("new/record.md", &tpl, &ctx)
            .map_err(|e| CliError::usage(e).hint("check the template in your templates folder"))?;
        let rel = format!("{folder}/{id}.md");
        let path = env.root.join(&rel);
        match write_atomic(&path, text.as_bytes(), false) {
            Ok(()) => {
                print(&format!("{}\n", path.display()))?;
                return Ok(0);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(CliError::failed(format!("cannot write {rel}: {e}"))),
        }
    }
    Err(CliError::failed(format!(
        "no free {} id: the files of the next {ID_TRIES} ids already exist in {folder}",
        t.prefix
    ))
    .hint("files whose names are ids but whose front-matter is not a record are in the way; check the folder"))
}

/// The fields `ddf new` writes besides the common ones: every field the type requires (always,
/// or in some status), every link, and every optional field a rule needs in some records
/// (`scaffold` in the schema), in schema order. Each is left empty (or `[]`), never given a
/// value a rule would take for a real one, so `ddf check` names each one still to fill in; its
/// comment says what goes there.
fn scaffold_fields(t: &crate::schema::TypeDef) -> Vec<FieldCtx> {
    let mut fields = Vec::new();
    for f in t.fields.values() {
        let common = matches!(
            f.name.as_str(),
            "id" | "type" | "title" | "status" | "owner" | "device" | "cyber" | "supersedes"
        );
        let wanted =
            f.required || !f.required_in.is_empty() || f.scaffold || f.kind == FieldKind::Link;
        if common || t.body.as_deref() == Some(f.name.as_str()) || !wanted {
            continue;
        }
        let what = match f.kind {
            FieldKind::Enum => format!("one of: {}", f.values.join(" | ")),
            FieldKind::Enums => format!("any of: {}", f.values.join(" | ")),
            FieldKind::Link | FieldKind::Ref => format!("ids of: {}", f.targets.join(", ")),
            FieldKind::Date => "YYYY-MM-DD".into(),
            FieldKind::DateOrUnknown => "YYYY-MM-DD or unknown".into(),
            FieldKind::Bool => "true or false".into(),
            FieldKind::Level => {
                let l = f.scale.map_or('S', |s| s.letter());
                format!("{l}1..{l}5")
            }
            _ => String::new(),
        };
        let when = (!f.required && !f.required_in.is_empty())
            .then(|| format!("Required when status is {}", f.required_in.join(" or ")));
        let comment = [Some(what), f.doc.clone(), when]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(". ");
        fields.push(FieldCtx {
            name: yaml_scalar(&f.name),
            value: placeholder(f.kind).into(),
            comment: one_line(&comment),
        });
    }
    fields
}

/// `s` as a YAML scalar that reads back as `s` (see [`crate::sbom::edit::scalar`]).
fn yaml_scalar(s: &str) -> String {
    crate::sbom::edit::scalar(s, false)
}

#[cfg(test)]
mod tests {
    use crate::ids::next_id;

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
