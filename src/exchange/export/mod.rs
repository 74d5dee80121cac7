//! Export of the DDF, one record type, several, or the trace of one record, to the formats other
//! tools read: ReqIF 1.2 ([`reqif`]), and a table of records as CSV or an XLSX workbook
//! ([`table`]). docs/export.md describes the formats; this module holds what they share: the
//! selection of records and the split of each record into fields and links.

pub mod reqif;
pub mod table;
pub mod xhtml;

use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::record::{scalar_text, Record};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The commit time (seconds since the Unix epoch) of `commit`, else of HEAD, in the repository
/// holding `root`: the time an export is stamped with, so the same commit exports the same
/// bytes. 0 (1970-01-01T00:00:00Z) outside Git or before the first commit.
pub fn commit_time(root: &Path, commit: Option<&str>) -> i64 {
    let Ok(repo) = git2::Repository::discover(root) else {
        return 0;
    };
    let found = match commit.and_then(|c| git2::Oid::from_str(c).ok()) {
        Some(oid) => repo.find_commit(oid),
        None => repo.head().and_then(|h| h.peel_to_commit()),
    };
    found.map_or(0, |c| c.time().seconds())
}

/// Why the records to export cannot be selected.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// `--type` names no type of the schema.
    #[error("no record type `{0}` in the schema")]
    UnknownType(String),
    /// `--trace` names no record.
    #[error("no record `{0}`")]
    UnknownRecord(String),
}

impl SelectError {
    /// How to fix it.
    pub fn hint(&self, corpus: &Corpus) -> String {
        match self {
            SelectError::UnknownType(_) => format!(
                "--type takes a type name or id prefix: {}",
                corpus
                    .config
                    .schema
                    .types
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            SelectError::UnknownRecord(_) => {
                "--trace takes the id of a record (`ddf check` lists the ones it could not read)"
                    .into()
            }
        }
    }
}

/// The records to export: those of the `types` (names or prefixes; all when empty), and when
/// `trace` names a record, only that record and the records up- and downstream of it (the walks
/// of `ddf show`). Indices into `corpus.records`, in id order (path order among records that
/// share an id).
pub fn select(
    corpus: &Corpus,
    graph: &Graph,
    types: &[String],
    trace: Option<&str>,
) -> Result<Vec<usize>, SelectError> {
    let mut wanted = BTreeSet::new();
    for t in types {
        let def = corpus
            .config
            .schema
            .lookup(t)
            .ok_or_else(|| SelectError::UnknownType(t.clone()))?;
        wanted.insert(def.name.clone());
    }
    let in_trace: Option<BTreeSet<usize>> = match trace {
        None => None,
        Some(id) => {
            let &start = corpus
                .by_id
                .get(id)
                .ok_or_else(|| SelectError::UnknownRecord(id.to_string()))?;
            let mut set = BTreeSet::from([start]);
            set.extend(graph.upstream(start).iter().map(|r| r.index));
            set.extend(graph.downstream(start).iter().map(|r| r.index));
            Some(set)
        }
    };
    let mut out: Vec<usize> = (0..corpus.records.len())
        .filter(|&i| wanted.is_empty() || wanted.contains(&corpus.records[i].type_name))
        .filter(|i| in_trace.as_ref().is_none_or(|s| s.contains(i)))
        .collect();
    // Records are in path order already, so the sort is stable among duplicated ids.
    out.sort_by(|&a, &b| corpus.records[a].id.cmp(&corpus.records[b].id));
    Ok(out)
}

/// Front-matter keys that are columns (or ReqIF attributes) of their own, not fields.
const OWN_COLUMNS: &[&str] = &["id", "type", "title", "status"];

/// A field value as text: a scalar as written (strings, numbers, booleans), a list or a map as
/// its YAML text (so an importer parses it back with a YAML parser); `None` for null.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        v => scalar_text(v).or_else(|| {
            serde_yaml::to_string(v)
                .ok()
                .map(|s| s.trim_end_matches('\n').to_string())
        }),
    }
}

/// Whether `field` of record `r` names records (a link or ref field of its type, or a field the
/// structure rules resolved links from).
pub fn is_link_field(corpus: &Corpus, r: &Record, field: &str) -> bool {
    corpus
        .config
        .schema
        .get(&r.type_name)
        .and_then(|t| t.fields.get(field))
        .is_some_and(|f| f.kind.is_reference())
        || r.links.iter().any(|l| l.field == field)
}

/// The fields of a record that are neither links nor its own columns (id, type, title,
/// status), in file order, each with its text; null values left out.
pub fn fields<'a>(corpus: &Corpus, r: &'a Record) -> Vec<(&'a str, String)> {
    r.fields
        .iter()
        .filter(|(k, _)| !OWN_COLUMNS.contains(&k.as_str()) && !is_link_field(corpus, r, k))
        .filter_map(|(k, v)| value_text(v).map(|t| (k.as_str(), t)))
        .collect()
}

/// The link fields a record writes as an empty list (`new_risks: []`, "none" said on purpose),
/// in file order. They have no link to write, so ReqIF carries each as the attribute value
/// `[]`, the YAML text of an empty list as any other list field has (docs/export.md).
pub fn empty_link_fields<'a>(corpus: &Corpus, r: &'a Record) -> Vec<&'a str> {
    r.fields
        .iter()
        .filter(|(k, v)| {
            matches!(v, Value::Sequence(s) if s.is_empty())
                && !OWN_COLUMNS.contains(&k.as_str())
                && is_link_field(corpus, r, k)
        })
        .map(|(k, _)| k.as_str())
        .collect()
}

/// The links of a record by field, targets in the order written, each once.
pub fn links(r: &Record) -> BTreeMap<&str, Vec<&str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for l in &r.links {
        let v = out.entry(l.field.as_str()).or_default();
        if !v.contains(&l.target.as_str()) {
            v.push(l.target.as_str());
        }
    }
    out
}

/// Field names in schema order: the fields of the schema's types in profile order (the common
/// fields first), then names the schema does not have, alphabetically.
pub fn schema_order(corpus: &Corpus, names: BTreeSet<&str>) -> Vec<String> {
    let mut rank: BTreeMap<&str, usize> = BTreeMap::new();
    for t in corpus.config.schema.types.values() {
        for f in t.fields.keys() {
            let next = rank.len();
            rank.entry(f.as_str()).or_insert(next);
        }
    }
    let mut v: Vec<&str> = names.into_iter().collect();
    v.sort_by_key(|n| (rank.get(n).copied().unwrap_or(usize::MAX), *n));
    v.into_iter().map(String::from).collect()
}

/// The link triples (from, field, to) of the selected records, sorted, each once.
pub fn link_rows<'a>(corpus: &'a Corpus, selected: &[usize]) -> Vec<(&'a str, &'a str, &'a str)> {
    let mut v: Vec<(&str, &str, &str)> = selected
        .iter()
        .flat_map(|&i| {
            let r = &corpus.records[i];
            r.links
                .iter()
                .map(move |l| (r.id.as_str(), l.field.as_str(), l.target.as_str()))
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}
