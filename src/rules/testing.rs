//! Test helpers: check an in-memory DDF.

use crate::config::Config;
use crate::corpus::Corpus;
use crate::date::Date;
use crate::diagnostic::Diagnostic;
use crate::graph::Graph;
use crate::source::SourceFile;

/// "Today" in rule tests.
pub(crate) const TODAY: &str = "2026-06-01";

/// An in-memory DDF of `files` (path, text) under `config` text.
pub(crate) fn corpus<P: AsRef<str>, T: AsRef<str>>(config: &str, files: &[(P, T)]) -> Corpus {
    let (config, diags) = Config::parse(config, "ddf.yaml").expect("test config is valid");
    let files = files
        .iter()
        .map(|(p, t)| SourceFile {
            path: p.as_ref().to_string(),
            content: Ok(t.as_ref().as_bytes().to_vec()),
        })
        .collect();
    Corpus::from_files("test".into(), config, diags, files)
}

/// Every finding of `ddf check` on `corpus`, as of [`TODAY`].
pub(crate) fn check_corpus(corpus: &Corpus) -> Vec<Diagnostic> {
    let graph = Graph::build(corpus);
    crate::check::run(corpus, &graph, Date::parse(TODAY).expect("date"), None).diagnostics
}

/// Checks `files` (path, text) under `config` text; returns every finding.
pub(crate) fn check_with(config: &str, files: &[(&str, &str)]) -> Vec<Diagnostic> {
    check_corpus(&corpus(config, files))
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

/// The messages of the findings of `rule` about record `id`.
pub(crate) fn messages<'a>(diags: &'a [Diagnostic], rule: &str, id: &str) -> Vec<&'a str> {
    fired(diags, rule, id)
        .into_iter()
        .map(|d| d.message.as_str())
        .collect()
}

/// The signer every rule fixture's records name as owner.
pub(crate) const PER: &str = "---\nid: PER-001\ntype: person\ntitle: Ada\nstatus: approved\nowner: PER-001\nprinted_name: Ada Lovelace\nroles: [engineer]\nmay_sign: [approval]\nkeys: []\nidentity_verified: 2026-01-01\n---\n";

/// A record of type `ty` with `fields`, `status: approved` unless `fields` sets a status.
pub(crate) fn rec(ty: &str, id: &str, fields: &str) -> String {
    let status = if fields.contains("status:") {
        ""
    } else {
        "status: approved\n"
    };
    format!("---\nid: {id}\ntype: {ty}\ntitle: T\n{status}owner: PER-001\n{fields}---\nBody.\n")
}

/// Checks `records` (plus [`PER`]), each in `records/<id>.md`, under `config`.
pub(crate) fn run_with(config: &str, records: &[String]) -> Vec<Diagnostic> {
    let mut files = vec![("records/PER-001.md".to_string(), PER.to_string())];
    for t in records {
        let id = t
            .lines()
            .nth(1)
            .and_then(|l| l.strip_prefix("id: "))
            .unwrap_or("X");
        files.push((format!("records/{id}.md"), t.clone()));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    check_with(config, &refs)
}

/// [`run_with`] under a minimal config.
pub(crate) fn run(records: &[String]) -> Vec<Diagnostic> {
    run_with("project: test\n", records)
}
