//! `ddf show ID`: one record with its fields, links in and out, and the upstream and downstream
//! trace.

use super::output::pad;
use super::{print, CliError, Env, Format};
use crate::corpus::Corpus;
use crate::graph::{Graph, Reached};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// Show one record: fields, body, links in and out, upstream and downstream trace.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The record id, e.g. DI-004.
    pub id: String,
}

#[derive(Serialize)]
struct LinkView {
    field: String,
    id: String,
    #[serde(rename = "type")]
    type_name: String,
    title: String,
}

#[derive(Serialize)]
struct ChainView {
    id: String,
    #[serde(rename = "type")]
    type_name: String,
    title: String,
    status: String,
    via: Vec<String>,
}

#[derive(Serialize)]
struct ShowView {
    id: String,
    #[serde(rename = "type")]
    type_name: String,
    title: String,
    status: String,
    path: String,
    fields: BTreeMap<String, Json>,
    body: String,
    links_out: Vec<LinkView>,
    links_in: Vec<LinkView>,
    /// Records the body mentions in its prose (ids of known types), resolved.
    mentions: Vec<LinkView>,
    /// The places in the code whose `ddf: ID` comment tag names this record.
    implemented_in: Vec<CodeRefView>,
    upstream: Vec<ChainView>,
    downstream: Vec<ChainView>,
    /// Revisions, newest first (empty outside a Git repository).
    history: Vec<RevisionView>,
    /// Valid and invalid approvals of the current content (Part 11 manifestations).
    approvals: Vec<String>,
    /// Links whose target changed after this record was last changed or approved.
    suspect_links: Vec<SuspectView>,
    /// A release's residual anomalies (IEC 62304 5.8.3): the live ANOMs that name it in
    /// `fielded`, other than `not-a-defect`. Present on releases only.
    #[serde(skip_serializing_if = "Option::is_none")]
    residual_anomalies: Option<Vec<crate::rules::anomaly::ResidualAnomaly>>,
    /// The other records with this id (`duplicate-id`), in path order, each shown in full;
    /// links to the id resolve to the first. Absent when the id is unique.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    same_id: Vec<ShowView>,
}

#[derive(Serialize)]
struct CodeRefView {
    path: String,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct RevisionView {
    commit: String,
    date: String,
    author: String,
    subject: String,
    change: String,
    fields: Vec<String>,
}

#[derive(Serialize)]
struct SuspectView {
    field: String,
    id: String,
    changed: String,
    since: String,
    changes: Vec<RevisionView>,
    body_diff: String,
}

fn link_view(corpus: &Corpus, field: &str, id: &str) -> LinkView {
    let r = corpus.get(id);
    LinkView {
        field: field.to_string(),
        id: id.to_string(),
        type_name: r.map(|r| r.type_name.clone()).unwrap_or_default(),
        title: match (r, corpus.unread_with_id(id)) {
            (Some(r), _) => r.title(),
            (None, Some(u)) => format!("(cannot be read: {})", u.path),
            (None, None) => "(does not exist)".into(),
        },
    }
}

fn chain(corpus: &Corpus, reached: &[Reached]) -> Vec<ChainView> {
    reached
        .iter()
        .map(|r| {
            let rec = &corpus.records[r.index];
            ChainView {
                id: rec.id.clone(),
                type_name: rec.type_name.clone(),
                title: rec.title(),
                status: rec.status().to_string(),
                via: r
                    .via
                    .iter()
                    .map(|&i| corpus.records[i].id.clone())
                    .collect(),
            }
        })
        .collect()
}

fn view(corpus: &Corpus, graph: &Graph, i: usize) -> ShowView {
    let r = &corpus.records[i];
    let fields = r
        .fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "type" | "title" | "status"))
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Json::Null)))
        .collect();
    let mut links_in: Vec<LinkView> = graph
        .inc(i)
        .iter()
        .map(|e| link_view(corpus, graph.field_name(e), &corpus.records[e.other].id))
        .collect();
    links_in.sort_by(|a, b| (&a.field, &a.id).cmp(&(&b.field, &b.id)));
    ShowView {
        id: r.id.clone(),
        type_name: r.type_name.clone(),
        title: r.title(),
        status: r.status().to_string(),
        path: r.path.clone(),
        fields,
        body: r.body.clone(),
        links_out: r
            .links
            .iter()
            .map(|l| link_view(corpus, &l.field, &l.target))
            .collect(),
        links_in,
        mentions: crate::mentions::mentions(&r.body)
            .into_iter()
            .filter(|id| {
                *id != r.id
                    && corpus
                        .config
                        .schema
                        .by_prefix(id.split('-').next().unwrap_or(""))
                        .is_some()
            })
            .map(|id| link_view(corpus, "body", &id))
            .collect(),
        implemented_in: Vec::new(),
        upstream: chain(corpus, &graph.upstream(i)),
        downstream: chain(corpus, &graph.downstream(i)),
        history: Vec::new(),
        approvals: Vec::new(),
        suspect_links: Vec::new(),
        residual_anomalies: (r.type_name == "release")
            .then(|| crate::rules::anomaly::residual_anomalies(corpus, &r.id)),
        same_id: Vec::new(),
    }
}

fn revision(c: &crate::history::Commit, ch: &crate::history::Change) -> RevisionView {
    RevisionView {
        commit: c.id.clone(),
        date: crate::history::approval::format_time(c.committer_time),
        author: c.author.clone(),
        subject: c.summary.clone(),
        change: format!("{:?}", ch.kind).to_lowercase(),
        fields: ch.fields.iter().map(|f| f.summary()).collect(),
    }
}

/// Adds history, approvals and suspect links to the view.
fn add_history(
    v: &mut ShowView,
    corpus: &Corpus,
    graph: &Graph,
    i: usize,
    data: &super::HistoryData,
) -> Result<(), CliError> {
    use crate::history::approval::covers;
    use crate::rules::change::{suspect_details, Marks};
    let h = &data.history;
    let r = &corpus.records[i];
    v.history = h
        .of_record(&r.id)
        .into_iter()
        .map(|(c, ch)| revision(c, ch))
        .collect();
    v.approvals = data
        .approvals
        .iter()
        .filter(|a| covers(h, a, &r.id, &r.blob))
        .map(|a| a.manifestation())
        .collect();
    let hctx = data.ctx();
    let marks = Marks::new(corpus, &hctx);
    let repo = crate::history::Location::discover(&h.workdir)?.repo;
    for d in suspect_details(corpus, graph, &hctx, &marks, Some(&repo), i)? {
        v.suspect_links.push(SuspectView {
            field: d.suspect.field.clone(),
            id: corpus.records[d.suspect.target].id.clone(),
            changed: d.changed,
            since: d.since,
            changes: d
                .changes
                .into_iter()
                .map(|(c, ch)| revision(c, ch))
                .collect(),
            body_diff: d.body_diff,
        });
    }
    Ok(())
}

/// Runs `ddf show`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let format = env.format(&[Format::Human, Format::Json, Format::Md])?;
    let (corpus, graph, history) = env.load_all()?;
    let id = args.id.trim().to_ascii_uppercase();
    let Some(&i) = corpus.by_id.get(&id) else {
        if let Some(u) = corpus.unread_with_id(&id) {
            return Err(CliError::failed(format!(
                "{id} is in {}, which could not be read as a record",
                u.path
            ))
            .hint("`ddf check` says what is wrong with the file"));
        }
        let mut near: Vec<&str> = corpus
            .by_id
            .keys()
            .filter(|k| k.starts_with(id.split('-').next().unwrap_or("")))
            .map(String::as_str)
            .collect();
        near.sort_unstable();
        near.truncate(8);
        let hint = if near.is_empty() {
            "`ddf export` lists every record".to_string()
        } else {
            format!("records with that prefix: {}", near.join(", "))
        };
        return Err(CliError::usage(format!("no record has the id `{}`", args.id)).hint(hint));
    };
    // Two records with one id: show every one of them, and say so.
    let all = corpus.records_with_id(&id);
    if all.len() > 1 {
        let paths: Vec<&str> = all
            .iter()
            .map(|&j| corpus.records[j].path.as_str())
            .collect();
        eprintln!(
            "ddf: warning: id {id} is used by {} records ({}); each is shown below, and links to {id} resolve to the first (`ddf check` reports duplicate-id)",
            all.len(),
            paths.join(", ")
        );
    }
    let tags = env.code_tags(&corpus)?;
    let mut views = Vec::with_capacity(all.len().max(1));
    for j in std::iter::once(i).chain(all.into_iter().filter(|&j| j != i)) {
        let mut v = view(&corpus, &graph, j);
        v.implemented_in = tags
            .iter()
            .filter(|t| t.id == v.id)
            .map(|t| CodeRefView {
                path: t.path.clone(),
                line: t.line,
                column: t.column,
            })
            .collect();
        if let Some(data) = &history {
            add_history(&mut v, &corpus, &graph, j, data)?;
        }
        views.push(v);
    }
    let duplicated = views.len() > 1;
    let text = match format {
        Format::Json => {
            let mut views = views.into_iter();
            let mut v = views.next().ok_or_else(|| CliError::failed("no record"))?;
            v.same_id = views.collect();
            serde_json::to_string_pretty(&v).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        Format::Md => views
            .iter()
            .map(|v| duplicate_note(v, duplicated, "> **") + &markdown(v))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => views
            .iter()
            .map(|v| duplicate_note(v, duplicated, "") + &human(v, env))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    print(&text)?;
    Ok(0)
}

/// The line above each record of a duplicated id, naming its file.
fn duplicate_note(v: &ShowView, duplicated: bool, md: &str) -> String {
    if !duplicated {
        return String::new();
    }
    let close = if md.is_empty() { "" } else { "**" };
    format!(
        "{md}DUPLICATE ID: {} is also the id of another record; this one is {}{close}\n\n",
        v.id, v.path
    )
}

fn scalar(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(scalar).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

fn human(v: &ShowView, env: &Env) -> String {
    let st = &env.style;
    let mut s = format!("{}  {}\n", st.bold(&v.id), st.bold(&v.title));
    s.push_str(&format!("{} · {} · {}\n", v.type_name, v.status, v.path));
    if !v.fields.is_empty() {
        s.push_str(&format!("\n{}\n", st.bold("Fields")));
        let w = v.fields.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, val) in &v.fields {
            let text = scalar(val);
            let mut lines = text.lines();
            s.push_str(&format!(
                "  {}  {}\n",
                pad(k, w),
                lines.next().unwrap_or("")
            ));
            for l in lines {
                s.push_str(&format!("  {}  {l}\n", pad("", w)));
            }
        }
    }
    if !v.body.trim().is_empty() {
        s.push_str(&format!("\n{}\n", st.bold("Body")));
        for l in v.body.trim_matches('\n').lines() {
            s.push_str(&format!("  {l}\n"));
        }
    }
    let links = |s: &mut String, title: &str, arrow: &str, ls: &[LinkView]| {
        if ls.is_empty() {
            return;
        }
        s.push_str(&format!("\n{}\n", st.bold(title)));
        let w = ls.iter().map(|l| l.field.len()).max().unwrap_or(0);
        for l in ls {
            s.push_str(&format!(
                "  {} {} {}  {}\n",
                pad(&l.field, w),
                st.dim(arrow),
                l.id,
                l.title
            ));
        }
    };
    links(&mut s, "Links out", "->", &v.links_out);
    links(&mut s, "Links in", "<-", &v.links_in);
    links(&mut s, "Mentioned in the body", "->", &v.mentions);
    if !v.implemented_in.is_empty() {
        s.push_str(&format!("\n{}\n", st.bold("Implemented in (code tags)")));
        for c in &v.implemented_in {
            s.push_str(&format!("  {}:{}\n", c.path, c.line));
        }
    }
    let tree = |s: &mut String, title: &str, items: &[ChainView]| {
        s.push_str(&format!("\n{} ({})\n", st.bold(title), items.len()));
        if items.is_empty() {
            s.push_str("  (none)\n");
        }
        // Items come nearest-first with their paths; print each under its parent as a tree.
        let mut children: BTreeMap<String, Vec<&ChainView>> = BTreeMap::new();
        for c in items {
            let parent = if c.via.len() >= 2 {
                c.via[c.via.len() - 2].clone()
            } else {
                v.id.clone()
            };
            children.entry(parent).or_default().push(c);
        }
        fn walk(
            s: &mut String,
            children: &BTreeMap<String, Vec<&ChainView>>,
            at: &str,
            depth: usize,
        ) {
            if let Some(cs) = children.get(at) {
                for c in cs {
                    s.push_str(&format!(
                        "  {}{}  {} [{}]\n",
                        "  ".repeat(depth),
                        c.id,
                        c.title,
                        c.status
                    ));
                    walk(s, children, &c.id, depth + 1);
                }
            }
        }
        walk(s, &children, &v.id, 0);
    };
    tree(&mut s, "Upstream", &v.upstream);
    tree(&mut s, "Downstream", &v.downstream);
    if let Some(res) = &v.residual_anomalies {
        s.push('\n');
        s.push_str(&crate::rules::release::residual_text(res));
    }
    if !v.approvals.is_empty() {
        s.push_str(&format!("\n{}\n", st.bold("Approvals of this content")));
        for a in &v.approvals {
            s.push_str(&format!("  {a}\n"));
        }
    }
    if !v.suspect_links.is_empty() {
        s.push_str(&format!(
            "\n{} ({})\n",
            st.bold("Suspect links"),
            v.suspect_links.len()
        ));
        for sl in &v.suspect_links {
            s.push_str(&format!(
                "  {} -> {}: changed in {}, after {} was last changed or approved ({})\n",
                sl.field, sl.id, sl.changed, v.id, sl.since
            ));
            for c in &sl.changes {
                s.push_str(&format!(
                    "    {} {} {}\n",
                    &c.commit[..10],
                    c.date,
                    c.subject
                ));
                for f in &c.fields {
                    s.push_str(&format!("      {f}\n"));
                }
            }
            for l in sl.body_diff.lines() {
                s.push_str(&format!("    {l}\n"));
            }
        }
    }
    if !v.history.is_empty() {
        s.push_str(&format!("\n{} ({})\n", st.bold("History"), v.history.len()));
        for c in &v.history {
            s.push_str(&format!(
                "  {} {}  {:<8} {}  ({})\n",
                &c.commit[..10],
                c.date,
                c.change,
                c.subject,
                c.author
            ));
            for f in &c.fields {
                s.push_str(&format!("      {f}\n"));
            }
        }
    }
    s
}

fn markdown(v: &ShowView) -> String {
    use super::output::md_cell;
    let mut s = format!(
        "## {} {}\n\n`{}` · {} · `{}`\n\n| field | value |\n|---|---|\n",
        v.id, v.title, v.type_name, v.status, v.path
    );
    for (k, val) in &v.fields {
        s.push_str(&format!("| {k} | {} |\n", md_cell(&scalar(val))));
    }
    s.push('\n');
    s.push_str(v.body.trim());
    if !v.implemented_in.is_empty() {
        let places: Vec<String> = v
            .implemented_in
            .iter()
            .map(|c| format!("`{}:{}`", c.path, c.line))
            .collect();
        s.push_str(&format!("\n\n**Implemented in**: {}", places.join(", ")));
    }
    s.push_str("\n\n### Trace\n\n");
    for (title, items) in [("Upstream", &v.upstream), ("Downstream", &v.downstream)] {
        s.push_str(&format!("**{title}**: "));
        let ids: Vec<String> = items.iter().map(|c| c.id.clone()).collect();
        s.push_str(&if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        });
        s.push_str("\n\n");
    }
    if let Some(res) = &v.residual_anomalies {
        s.push_str("### Residual anomalies\n\n");
        if res.is_empty() {
            s.push_str("none\n\n");
        }
        for a in res {
            s.push_str(&format!(
                "- {} {} ({}){}\n",
                a.id,
                md_cell(&a.title),
                if a.decision.is_empty() {
                    "undecided"
                } else {
                    a.decision.as_str()
                },
                if a.rationale.is_empty() {
                    String::new()
                } else {
                    format!(": {}", md_cell(&a.rationale))
                }
            ));
        }
        s.push('\n');
    }
    s
}
