//! Test helpers: check an in-memory DDF.

use crate::config::Config;
use crate::corpus::Corpus;
use crate::date::Date;
use crate::diagnostic::Diagnostic;
use crate::graph::Graph;
use crate::source::SourceFile;

/// "Today" in rule tests.
pub(crate) const TODAY: &str = "2026-06-01";

/// Checks `files` (path, text) under `config` text; returns every finding.
pub(crate) fn check_with(config: &str, files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let (config, diags) = Config::parse(config, "ddf.yaml").expect("test config is valid");
    let files = files
        .iter()
        .map(|(p, t)| SourceFile {
            path: (*p).to_string(),
            content: Ok(t.as_bytes().to_vec()),
        })
        .collect();
    let corpus = Corpus::from_files("test".into(), config, diags, files);
    let graph = Graph::build(&corpus);
    crate::check::run(&corpus, &graph, Date::parse(TODAY).expect("date"), None).diagnostics
}

/// Checks `files` under a minimal config.
pub(crate) fn check(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    check_with("project: test\n", files)
}

/// The rule ids of `diags`.
pub(crate) fn rules_of(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.rule).collect()
}

/// Findings of `rule` about record `id`.
pub(crate) fn fired<'a>(diags: &'a [Diagnostic], rule: &str, id: &str) -> Vec<&'a Diagnostic> {
    diags
        .iter()
        .filter(|d| d.rule == rule && d.record.as_deref() == Some(id))
        .collect()
}
