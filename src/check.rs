//! `ddf check` as a library function: every rule over a corpus, severities applied, sorted.

use crate::corpus::Corpus;
use crate::date::Date;
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::graph::Graph;
use crate::rules;
use serde::Serialize;

/// The result of a check; its JSON form is the `check --format json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Number of records read (files with a readable front-matter).
    pub records: usize,
    /// Findings at error severity.
    pub errors: usize,
    /// Findings at warning severity.
    pub warnings: usize,
    /// Every finding, sorted by path, line, rule.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Whether the check passes (no errors).
    pub fn passed(&self) -> bool {
        self.errors == 0
    }
}

/// The trace findings that do not depend on a record file that could not be read. A record
/// whose front-matter does not parse has no fields, so every rule that needs them (`di-verified`
/// on the design inputs a broken verification names, `rc-verified`, ...) would report findings
/// that are false once it parses. The findings about the records such a file names, and about
/// the records that link to it, are held back; the file's own finding (in `parse`) says once
/// which records are not judged until it parses. The check fails on that finding anyway, so
/// nothing passes that should not.
fn held_back(
    corpus: &Corpus,
    trace: Vec<Diagnostic>,
    file_findings: &mut [Diagnostic],
) -> Vec<Diagnostic> {
    if corpus.unread.is_empty() {
        return trace;
    }
    use std::collections::{BTreeMap, BTreeSet};
    // Record id -> the unread files it depends on.
    let mut touched: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for (u, unread) in corpus.unread.iter().enumerate() {
        for id in &unread.names {
            touched.entry(id.as_str()).or_default().insert(u);
        }
    }
    for r in &corpus.records {
        for l in &r.links {
            if let Some(u) = corpus.unread_index(&l.target) {
                touched.entry(r.id.as_str()).or_default().insert(u);
            }
        }
    }
    let mut held: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let kept = trace
        .into_iter()
        .filter(|d| {
            // The finding's record, or a record its message names (a release gate naming an
            // input it finds unverified, a residual risk naming an unverified control).
            let files: BTreeSet<usize> = d
                .record
                .iter()
                .map(String::as_str)
                .chain(id_words(&d.message))
                .filter_map(|id| touched.get(id))
                .flatten()
                .copied()
                .collect();
            if files.is_empty() {
                return true;
            }
            for u in files {
                held.entry(u).or_default().insert(format!(
                    "{} on {}",
                    d.rule,
                    d.record.as_deref().unwrap_or("")
                ));
            }
            false
        })
        .collect();
    for (u, what) in held {
        let path = &corpus.unread[u].path;
        let Some(d) = file_findings.iter_mut().find(|d| &d.path == path) else {
            continue;
        };
        let list: Vec<&str> = what.iter().map(String::as_str).collect();
        let shown = list.len().min(5);
        let mut note = format!(
            "until this file is read, the findings that depend on it are not reported ({}{})",
            list[..shown].join(", "),
            if list.len() > shown {
                format!(", and {} more", list.len() - shown)
            } else {
                String::new()
            }
        );
        note = match &d.hint {
            Some(h) => format!("{h}; {note}"),
            None => note,
        };
        d.hint = Some(note);
    }
    kept
}

/// The id-shaped words of `text`.
fn id_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| crate::rules::structure::is_valid_id(w))
}

/// Runs every rule over `corpus`.
pub fn run(
    corpus: &Corpus,
    graph: &Graph,
    today: Date,
    history: Option<&rules::HistoryCtx<'_>>,
) -> Report {
    run_with(corpus, graph, today, history, Vec::new())
}

/// [`run`], with findings about files other than records that the caller read itself (the
/// `code-tag-dangling` findings of the source files under `code_tags`), put in with the rest
/// before severities are applied and the report sorted.
pub fn run_with(
    corpus: &Corpus,
    graph: &Graph,
    today: Date,
    history: Option<&rules::HistoryCtx<'_>>,
    extra: Vec<Diagnostic>,
) -> Report {
    // The cross-record structure checks and the trace rules read the same immutable corpus:
    // run them side by side.
    let (structure, trace) = rayon::join(
        || rules::structure::check_corpus(corpus, graph),
        || rules::run_trace_rules(corpus, graph, today, history),
    );
    let mut all = corpus.diagnostics.clone();
    all.extend(structure);
    let trace = held_back(corpus, trace, &mut all);
    all.extend(trace);
    all.extend(extra);
    let mut diagnostics = rules::apply_severities(&corpus.config, all);
    diagnostic::sort(&mut diagnostics);
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    Report {
        records: corpus.records.len(),
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics,
    }
}
