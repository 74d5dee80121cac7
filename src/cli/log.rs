//! `ddf log [ID] [RANGE]`: the change-control log from Git history, or one record's revision
//! history with field changes, body diffs and the approvals of each version.

use super::output::md_cell;
use super::{print, CliError, Env, Format, HistoryData};
use crate::history::approval::{covers, format_time, Approval};
use crate::history::log::{body_diff, first_parent_line, ApprovalIndex};
use crate::history::{Change, Commit, FieldChange, History};
use crate::integrity::Role;
use crate::rules::structure::is_valid_id;
use rayon::prelude::*;
use rustc_hash::FxHashSet;
use serde::Serialize;
use serde_json::Value as Json;

/// Show the change-control log, or one record's revision history.
///
/// Without ID: each change on the first-parent line of the branch (the controlled branch's own
/// sequence of changes), with its date, author, subject, `Change-Request:`, the records it added,
/// modified (with fields) and removed, the approvals that cover it, and for a merge the commits it
/// brought in. With ID: every revision of that record, field by field, with a diff of the body and
/// the approvals of each version. RANGE is `A..B` (changes in B since A, e.g. `v1.0..v1.1`) or one
/// revision to start from.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A record id and/or a range, in either order.
    #[arg(value_name = "ID|RANGE", num_args = 0..=2)]
    pub args: Vec<String>,
    /// List every first-parent commit, also those that touch no record.
    #[arg(long)]
    pub all: bool,
}

#[derive(Serialize)]
struct ApprovalView {
    commit: String,
    signer: Option<String>,
    printed_name: Option<String>,
    date: String,
    meaning: Option<String>,
    status: String,
    valid: bool,
    problems: Vec<String>,
}

impl ApprovalView {
    fn of(a: &Approval) -> Self {
        ApprovalView {
            commit: a.commit.clone(),
            signer: a.signer.clone(),
            printed_name: a.printed_name.clone(),
            date: format_time(a.time),
            meaning: a.meaning.clone(),
            status: a.status.label().to_string(),
            valid: a.is_valid(),
            problems: a.problems.clone(),
        }
    }

    fn line(&self) -> String {
        let mut s = format!(
            "{} ({}), {}, {}: {}",
            self.printed_name.as_deref().unwrap_or("unknown signer"),
            self.signer.as_deref().unwrap_or("no Signer"),
            self.date,
            self.meaning.as_deref().unwrap_or("no meaning stated"),
            self.status
        );
        if !self.problems.is_empty() {
            s.push_str(&format!(" — does not count: {}", self.problems.join("; ")));
        }
        s.push_str(&format!(" [{}]", &self.commit[..10.min(self.commit.len())]));
        s
    }
}

#[derive(Serialize)]
struct RecordChangeView {
    id: String,
    change: String,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_path: Option<String>,
    fields: Vec<FieldChange>,
    body_changed: bool,
}

impl RecordChangeView {
    fn of(ch: &Change) -> Self {
        RecordChangeView {
            id: ch.id.clone(),
            change: format!("{:?}", ch.kind).to_lowercase(),
            path: ch.path.clone(),
            old_path: ch.old_path.clone(),
            fields: ch.fields.clone(),
            body_changed: ch.body_changed,
        }
    }
}

#[derive(Serialize)]
struct CommitView {
    commit: String,
    date: String,
    author: String,
    email: String,
    subject: String,
    change_requests: Vec<String>,
    merge: bool,
    records: Vec<RecordChangeView>,
    approvals: Vec<ApprovalView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    merged: Vec<CommitView>,
}

fn commit_view(c: &Commit, approvals: Vec<ApprovalView>) -> CommitView {
    CommitView {
        commit: c.id.clone(),
        date: format_time(c.committer_time),
        author: c.author.clone(),
        email: c.email.clone(),
        subject: c.summary.clone(),
        change_requests: c.control().change_requests,
        merge: c.is_merge(),
        records: c.changes.iter().map(RecordChangeView::of).collect(),
        approvals,
        merged: Vec::new(),
    }
}

#[derive(Serialize)]
struct LogView {
    tip: Option<String>,
    since: Option<String>,
    shallow: bool,
    entries: Vec<CommitView>,
}

#[derive(Serialize)]
struct RevisionView {
    commit: String,
    date: String,
    author: String,
    subject: String,
    change_requests: Vec<String>,
    change: String,
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_path: Option<String>,
    fields: Vec<FieldChange>,
    body_diff: String,
    approvals: Vec<ApprovalView>,
}

#[derive(Serialize)]
struct RecordLogView {
    id: String,
    shallow: bool,
    revisions: Vec<RevisionView>,
}

/// Splits the positional arguments into an id and a range.
fn split_args(args: &[String]) -> Result<(Option<String>, Option<String>), CliError> {
    let (mut id, mut range) = (None, None);
    for a in args {
        let up = a.to_ascii_uppercase();
        if is_valid_id(&up) && !a.contains("..") && id.is_none() {
            id = Some(up);
        } else if range.is_none() {
            range = Some(a.clone());
        } else {
            return Err(
                CliError::usage(format!("unexpected argument `{a}`")).hint("ddf log [ID] [A..B]")
            );
        }
    }
    Ok((id, range))
}

/// The approvals covering the content a change produced.
fn approvals_of(
    h: &History,
    approvals: &[Approval],
    id: &str,
    blob: Option<&str>,
) -> Vec<ApprovalView> {
    let Some(blob) = blob else { return Vec::new() };
    approvals
        .iter()
        .filter(|a| covers(h, a, id, blob))
        .map(ApprovalView::of)
        .collect()
}

/// Runs `ddf log`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let format = env.format(&[Format::Human, Format::Json, Format::Md])?;
    let (id, range) = split_args(&args.args)?;
    let (from, tip) = match range.as_deref().map(|r| {
        r.split_once("..")
            .map(|(a, b)| (a.to_string(), b.to_string()))
    }) {
        Some(Some((a, b))) => (
            Some(a).filter(|a| !a.is_empty()),
            Some(b).filter(|b| !b.is_empty()),
        ),
        Some(None) => (None, range.clone()),
        None => (None, None),
    };
    let env_tip = Env {
        root: env.root.clone(),
        rev: tip.or_else(|| env.rev.clone()),
        format: env.format,
        style: env.style,
        quiet: env.quiet,
        verbose: env.verbose,
    };
    // The log needs the signer registry (PER records), not the whole DDF: on a large DDF,
    // reading only `PER-*.md` files keeps one record's history well under a second. The
    // `id-filename` rule keeps file names and ids aligned.
    let (corpus, data) = env_tip.load_with_history(&|p: &str| {
        p.rsplit('/').next().is_some_and(|n| n.starts_with("PER-"))
    })?;
    let Some(data) = data else {
        return Err(CliError::usage(
            "there is no history: the DDF is not in a Git repository, or nothing is committed yet",
        )
        .hint("commit the records; `git log` will then show them too"));
    };
    let h = &data.history;
    let since = match &from {
        Some(a) => {
            let loc = crate::history::Location::discover(&env.root)?;
            let oid = crate::source::resolve_commit(&loc.repo, a)?;
            Some(oid.to_string())
        }
        None => None,
    };
    let excluded: FxHashSet<usize> = since.as_deref().map(|s| h.ancestors(s)).unwrap_or_default();
    let text = match id {
        Some(id) => record_log(env, &data, &id, &excluded, format)?,
        None => change_log(env, &data, since, &excluded, args.all, format)?,
    };
    print(&text)?;
    std::mem::forget((corpus, data));
    Ok(0)
}

fn change_log(
    env: &Env,
    data: &HistoryData,
    since: Option<String>,
    excluded: &FxHashSet<usize>,
    all: bool,
    format: Format,
) -> Result<String, CliError> {
    let h = &data.history;
    let index = ApprovalIndex::new(&data.approvals);
    let line = h
        .tip
        .as_deref()
        .and_then(|t| h.position(t))
        .map(|tip| first_parent_line(h, tip))
        .unwrap_or_default();
    // Which commits are listed is a quick pass; their views are built, and written as JSON, in
    // parallel: a long log has tens of thousands of record changes.
    let mut listed = Vec::new();
    for entry in line {
        let i = entry.position;
        if excluded.contains(&i) {
            break;
        }
        let c = &h.commits[i];
        let ctl = c.control();
        if !all && c.changes.is_empty() && ctl.change_requests.is_empty() && !ctl.is_approval() {
            continue;
        }
        listed.push(entry);
    }
    let entries: Vec<CommitView> = listed
        .par_iter()
        .map(|entry| {
            let c = &h.commits[entry.position];
            let covering: Vec<ApprovalView> = index
                .covering(h, c)
                .into_iter()
                .map(ApprovalView::of)
                .collect();
            let mut view = commit_view(c, covering);
            view.merged = entry
                .merged
                .iter()
                .map(|&m| commit_view(&h.commits[m], Vec::new()))
                .collect();
            view
        })
        .collect();
    let log = LogView {
        tip: h.tip.clone(),
        since,
        shallow: h.shallow,
        entries: Vec::new(),
    };
    Ok(match format {
        Format::Json => {
            let head =
                serde_json::to_string_pretty(&log).map_err(|e| CliError::failed(e.to_string()))?;
            super::output::pretty_json_with_list(&head, "entries", &entries)
                .map_err(CliError::failed)?
        }
        Format::Md => log_md(&LogView { entries, ..log }),
        _ => log_human(&LogView { entries, ..log }, env),
    })
}

fn value_text(v: &Option<Json>) -> String {
    match v {
        None => "(none)".into(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn fields_text(fields: &[FieldChange]) -> Vec<String> {
    fields
        .iter()
        .map(|f| {
            format!(
                "{}: {} -> {}",
                f.name,
                value_text(&f.old),
                value_text(&f.new)
            )
        })
        .collect()
}

fn log_human(log: &LogView, env: &Env) -> String {
    let st = &env.style;
    let mut s = String::new();
    if log.shallow {
        s.push_str("note: shallow clone; history before its boundary is missing\n\n");
    }
    let records = |s: &mut String, rs: &[RecordChangeView], indent: &str| {
        for r in rs {
            let path = match &r.old_path {
                Some(o) => format!("{o} -> {}", r.path),
                None => r.path.clone(),
            };
            s.push_str(&format!("{indent}{:<9} {}  {path}\n", r.change, r.id));
            for f in fields_text(&r.fields) {
                s.push_str(&format!("{indent}            {f}\n"));
            }
            if r.body_changed && r.change != "added" && r.change != "removed" {
                s.push_str(&format!("{indent}            body changed\n"));
            }
        }
    };
    for e in &log.entries {
        s.push_str(&format!(
            "{} {}  {}  {}\n",
            st.bold("commit"),
            &e.commit[..10],
            e.date,
            st.bold(&e.subject)
        ));
        s.push_str(&format!("  author  {} <{}>\n", e.author, e.email));
        if !e.change_requests.is_empty() {
            s.push_str(&format!(
                "  change request  {}\n",
                e.change_requests.join(", ")
            ));
        }
        records(&mut s, &e.records, "  ");
        for a in &e.approvals {
            s.push_str(&format!("  approval  {}\n", a.line()));
        }
        for m in &e.merged {
            s.push_str(&format!(
                "  | {}  {}  {}  ({})\n",
                &m.commit[..10],
                m.date,
                m.subject,
                m.author
            ));
            records(&mut s, &m.records, "  |   ");
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "{}\n",
        super::output::count(log.entries.len(), "change")
    ));
    s
}

fn log_md(log: &LogView) -> String {
    let mut s = String::from("| commit | date | author | subject | change request | records | approvals |\n|---|---|---|---|---|---|---|\n");
    for e in &log.entries {
        let recs: Vec<String> = e
            .records
            .iter()
            .map(|r| format!("{} {}", r.change, r.id))
            .collect();
        let aps: Vec<String> = e.approvals.iter().map(ApprovalView::line).collect();
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            &e.commit[..10],
            e.date,
            md_cell(&e.author),
            md_cell(&e.subject),
            e.change_requests.join(", "),
            md_cell(&recs.join(", ")),
            md_cell(&aps.join("; "))
        ));
    }
    s
}

fn record_log(
    env: &Env,
    data: &HistoryData,
    id: &str,
    excluded: &FxHashSet<usize>,
    format: Format,
) -> Result<String, CliError> {
    let h = &data.history;
    let loc = crate::history::Location::discover(&env.root)?;
    let revisions: Vec<RevisionView> = h
        .of_record(id)
        .into_iter()
        .filter(|(c, _)| h.position(&c.id).is_some_and(|p| !excluded.contains(&p)))
        .map(|(c, ch)| -> Result<RevisionView, CliError> {
            Ok(RevisionView {
                commit: c.id.clone(),
                date: format_time(c.committer_time),
                author: c.author.clone(),
                subject: c.summary.clone(),
                change_requests: c.control().change_requests,
                change: format!("{:?}", ch.kind).to_lowercase(),
                path: ch.path.clone(),
                old_path: ch.old_path.clone(),
                fields: ch.fields.clone(),
                body_diff: if ch.body_changed && ch.old_blob.is_some() && ch.new_blob.is_some() {
                    // The old version is at the old path in the first parent.
                    let old = Role::PathIn {
                        path: loc.full(ch.old_path.as_deref().unwrap_or(&ch.path)),
                        commit: c.parents.first().unwrap_or(&c.id).clone(),
                    };
                    let new = Role::PathIn {
                        path: loc.full(&ch.path),
                        commit: c.id.clone(),
                    };
                    body_diff(
                        &loc.repo,
                        (ch.old_blob.as_deref(), old),
                        (ch.new_blob.as_deref(), new),
                    )?
                } else {
                    String::new()
                },
                approvals: approvals_of(h, &data.approvals, id, ch.new_blob.as_deref()),
            })
        })
        .collect::<Result<_, _>>()?;
    if revisions.is_empty() && h.of_record(id).is_empty() {
        return Err(CliError::usage(format!(
            "{id} has no history: no commit added or changed it"
        ))
        .hint("is the id right, and is the record committed?"));
    }
    let v = RecordLogView {
        id: id.to_string(),
        shallow: h.shallow,
        revisions,
    };
    Ok(match format {
        Format::Json => {
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        Format::Md => {
            let mut s = format!("## History of {}\n\n", v.id);
            for r in &v.revisions {
                s.push_str(&format!(
                    "### {} `{}` {}\n\n{} by {}{}\n\n",
                    r.change,
                    &r.commit[..10],
                    md_cell(&r.subject),
                    r.date,
                    md_cell(&r.author),
                    if r.change_requests.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", r.change_requests.join(", "))
                    }
                ));
                for f in fields_text(&r.fields) {
                    s.push_str(&format!("- {}\n", md_cell(&f)));
                }
                if !r.body_diff.is_empty() {
                    s.push_str(&format!(
                        "\n<details><summary>body diff</summary>\n\n```diff\n{}```\n</details>\n",
                        r.body_diff
                    ));
                }
                for a in &r.approvals {
                    s.push_str(&format!("- approval: {}\n", md_cell(&a.line())));
                }
                s.push('\n');
            }
            s
        }
        _ => {
            let st = &env.style;
            let mut s = String::new();
            if v.shallow {
                s.push_str("note: shallow clone; history before its boundary is missing\n\n");
            }
            for r in &v.revisions {
                s.push_str(&format!(
                    "{} {}  {}  {}  {}\n",
                    st.bold(&r.change),
                    &r.commit[..10],
                    r.date,
                    r.author,
                    st.bold(&r.subject)
                ));
                if !r.change_requests.is_empty() {
                    s.push_str(&format!(
                        "  change request  {}\n",
                        r.change_requests.join(", ")
                    ));
                }
                if let Some(o) = &r.old_path {
                    s.push_str(&format!("  moved  {o} -> {}\n", r.path));
                }
                for f in fields_text(&r.fields) {
                    s.push_str(&format!("  {f}\n"));
                }
                for l in r.body_diff.lines() {
                    s.push_str(&format!("  {l}\n"));
                }
                for a in &r.approvals {
                    s.push_str(&format!("  approval  {}\n", a.line()));
                }
                s.push('\n');
            }
            s.push_str(&format!(
                "{} of {}\n",
                super::output::count(v.revisions.len(), "revision"),
                v.id
            ));
            s
        }
    })
}
