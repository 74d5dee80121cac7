//! `ddf mv OLD-ID NEW-ID`: rename a record and rewrite every link and mention of it, atomically.

use super::{print, CliError, Env, Format};
use crate::edit::rename::{self, RenameError};
use crate::edit::{line_col, ApplyError};
use serde::Serialize;

/// Rename a record: its `id:`, its file name when that is the id, and every link to it and
/// mention of it in every record, in one atomic step.
///
/// Refused when NEW-ID is taken (by a record, a file, or a record on a local branch), is not an
/// id, or does not have the prefix of the record's type; and when a record file that cannot be
/// read names OLD-ID. Only the id tokens change: whitespace, comments and quoting are kept, and
/// ids in code spans and code blocks of the bodies are left as written.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The record's id now.
    #[arg(value_name = "OLD-ID")]
    pub old: String,
    /// Its new id.
    #[arg(value_name = "NEW-ID")]
    pub new: String,
    /// Print the edits (file, line, column) without writing anything.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
}

#[derive(Serialize)]
struct EditView {
    line: usize,
    column: usize,
    start: usize,
    end: usize,
    old: String,
    new: String,
}

#[derive(Serialize)]
struct FileView {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rename_to: Option<String>,
    edits: Vec<EditView>,
}

#[derive(Serialize)]
struct Report {
    old: String,
    new: String,
    path: String,
    written: bool,
    files: Vec<FileView>,
}

fn refused(e: &RenameError) -> CliError {
    let mut err = CliError::usage(format!("cannot rename: {e}")).hint(e.hint());
    if matches!(e, RenameError::Read { .. } | RenameError::Unsafe(_)) {
        err.code = 1;
    }
    err
}

/// Runs `ddf mv`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let format = env.format(&[Format::Human, Format::Json])?;
    if env.rev.is_some() {
        return Err(
            CliError::usage("`ddf mv` edits the working tree, not a revision").hint("drop --rev"),
        );
    }
    let old = args.old.trim().to_string();
    let new = args.new.trim().to_string();
    let source = crate::source::Worktree::new(&env.root);
    let corpus = crate::corpus::Corpus::load(&source)?;
    let taken = crate::ids::ids_on_branches(
        &env.root,
        &corpus.config.records,
        new.split('-').next().unwrap_or(""),
    );
    let plan = rename::plan(&corpus, &source, &old, &new, &taken).map_err(|e| refused(&e))?;
    if !args.dry_run {
        super::remove_stale_temps(&env.root.join(&corpus.config.records));
        crate::edit::apply(&env.root, &plan.files).map_err(|e| {
            let hint = match &e {
                ApplyError::Changed(_) => "run `ddf mv` again; nothing was changed",
                _ => "nothing was changed",
            };
            CliError::failed(format!("cannot rename: {e}")).hint(hint)
        })?;
    }
    let report = Report {
        old: plan.old.clone(),
        new: plan.new.clone(),
        path: plan.path.clone(),
        written: !args.dry_run,
        files: plan
            .files
            .iter()
            .map(|f| FileView {
                path: f.path.clone(),
                rename_to: f.rename_to.clone(),
                edits: f
                    .edits
                    .iter()
                    .map(|e| {
                        let (line, column) = line_col(&f.original, e.range.start);
                        EditView {
                            line,
                            column,
                            start: e.range.start,
                            end: e.range.end,
                            old: f.original[e.range.clone()].to_string(),
                            new: e.new_text.clone(),
                        }
                    })
                    .collect(),
            })
            .collect(),
    };
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&report).map_err(|e| CliError::failed(e.to_string()))?
                + "\n"
        }
        _ => human(&report, plan.edit_count(), args.dry_run, env.quiet),
    };
    print(&text)?;
    Ok(0)
}

fn human(r: &Report, edits: usize, dry_run: bool, quiet: bool) -> String {
    let mut s = String::new();
    if dry_run || !quiet {
        for f in &r.files {
            if let Some(to) = &f.rename_to {
                s.push_str(&format!("{} -> {to}\n", f.path));
            }
            for e in &f.edits {
                s.push_str(&format!(
                    "{}:{}:{}: {} -> {}\n",
                    f.path, e.line, e.column, e.old, e.new
                ));
            }
        }
    }
    if !quiet {
        let files = r.files.len();
        s.push_str(&format!(
            "{} {} to {}: {edits} {} in {files} {}{}\n",
            if dry_run { "Would rename" } else { "Renamed" },
            r.old,
            r.new,
            if edits == 1 { "edit" } else { "edits" },
            if files == 1 { "file" } else { "files" },
            if dry_run { " (nothing written)" } else { "" }
        ));
    }
    s
}
