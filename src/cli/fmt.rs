//! `ddf fmt [--check] [PATH...]`: give record files their canonical front-matter.

use super::{print, CliError, Env, Format};
use crate::edit::fmt::{format, FmtError};
use crate::edit::FileEdit;
use crate::source::Source;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Give record front-matter its canonical layout: keys in schema order (id, type, title,
/// status, the type's fields, then the rest), lists of texts as `[a, b]` quoted where YAML
/// would read another value, no blank lines between keys.
///
/// No value changes (the new front-matter must parse to the same values, or the file is left
/// alone and reported), comments are kept with the key below them, and the Markdown body is
/// not touched. All files are written in one atomic step. With `--check`, nothing is written:
/// the files that would change are listed and the exit code is 1 (for CI and pre-commit).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write nothing; list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
    /// Record files or folders to format (default: every record); relative to the current
    /// folder.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Skipped {
    path: String,
    reason: String,
}

#[derive(Serialize)]
struct Report {
    /// Files that are (`--check`: would be) rewritten.
    changed: Vec<String>,
    /// Files left alone, with why.
    skipped: Vec<Skipped>,
    written: bool,
}

/// The DDF-relative form of each of `paths` (files or folders), which must be inside the DDF.
fn selection(env: &Env, paths: &[PathBuf]) -> Result<Vec<String>, CliError> {
    let root = env.root.canonicalize().unwrap_or_else(|_| env.root.clone());
    let mut out = Vec::new();
    for p in paths {
        let full = p.canonicalize().map_err(|e| {
            CliError::usage(format!("{}: {e}", p.display()))
                .hint("name record files or folders that exist")
        })?;
        let rel = full.strip_prefix(&root).map_err(|_| {
            CliError::usage(format!(
                "{} is not inside the DDF at {}",
                p.display(),
                root.display()
            ))
            .hint("name record files or folders of this DDF, or pass -C")
        })?;
        out.push(
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
        );
    }
    Ok(out)
}

fn selected(path: &str, sel: &[String]) -> bool {
    sel.is_empty()
        || sel.iter().any(|s| {
            s.is_empty()
                || path == s
                || path
                    .strip_prefix(s.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
}

/// Runs `ddf fmt`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let format_out = env.format(&[Format::Human, Format::Json])?;
    if env.rev.is_some() {
        return Err(
            CliError::usage("`ddf fmt` formats the working tree, not a revision")
                .hint("drop --rev"),
        );
    }
    let sel = selection(env, &args.paths)?;
    let source = crate::source::Worktree::new(&env.root);
    let corpus = crate::corpus::Corpus::load(&source)?;
    let mut paths: Vec<(String, Option<&crate::schema::TypeDef>)> = corpus
        .records
        .iter()
        .map(|r| (r.path.clone(), corpus.config.schema.get(&r.type_name)))
        .filter(|(p, _)| selected(p, &sel))
        .collect();
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    // Files that are not records as read (their front-matter does not parse, a `*.MD` name)
    // are reported, never rewritten.
    let unread: Vec<Skipped> = corpus
        .unread
        .iter()
        .filter(|u| selected(&u.path, &sel))
        .map(|u| Skipped {
            path: u.path.clone(),
            reason: FmtError::NotRead.to_string(),
        })
        .collect();
    if paths.is_empty() && unread.is_empty() && !sel.is_empty() {
        return Err(
            CliError::usage("no record file is at the paths given").hint(format!(
                "records are the *.md files below `{}`",
                corpus.config.records
            )),
        );
    }
    let mut edits: Vec<FileEdit> = Vec::new();
    let mut skipped = unread;
    for (path, t) in paths {
        let text = match source.read(&path) {
            Ok(Some(b)) => String::from_utf8(b).ok(),
            _ => None,
        };
        let result = match &text {
            Some(text) => format(text, t),
            None => Err(FmtError::NotRead),
        };
        match (result, text) {
            (Ok(Some(e)), Some(text)) => edits.push(FileEdit {
                path,
                rename_to: None,
                edits: vec![e],
                original: text,
            }),
            (Ok(_), _) => {}
            (Err(e), _) => skipped.push(Skipped {
                path,
                reason: e.to_string(),
            }),
        }
    }
    if !args.check && !edits.is_empty() {
        super::remove_stale_temps(&env.root.join(&corpus.config.records));
        crate::edit::apply(&env.root, &edits).map_err(|e| {
            CliError::failed(format!("cannot format: {e}"))
                .hint("nothing was changed; run `ddf fmt` again")
        })?;
    }
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let report = Report {
        changed: edits.iter().map(|e| e.path.clone()).collect(),
        skipped,
        written: !args.check,
    };
    let text = match format_out {
        Format::Json => {
            serde_json::to_string_pretty(&report).map_err(|e| CliError::failed(e.to_string()))?
                + "\n"
        }
        _ => human(&report, args.check, env.quiet, &env.root),
    };
    print(&text)?;
    Ok(if args.check && !report.changed.is_empty() {
        1
    } else {
        0
    })
}

fn human(r: &Report, check: bool, quiet: bool, _root: &Path) -> String {
    let mut s = String::new();
    for p in &r.changed {
        s.push_str(p);
        s.push('\n');
    }
    for k in &r.skipped {
        eprintln!("ddf: warning: {}: {}", k.path, k.reason);
    }
    if !quiet {
        let n = r.changed.len();
        let files = if n == 1 { "file" } else { "files" };
        let line = match (check, n) {
            (true, 0) => "All record files are formatted.".to_string(),
            (true, _) => format!("{n} {files} would be reformatted; run `ddf fmt`."),
            (false, 0) => "Nothing to format.".to_string(),
            (false, _) => format!("Formatted {n} {files}."),
        };
        eprintln!("{line}");
    }
    s
}
