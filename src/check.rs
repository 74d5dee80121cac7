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
