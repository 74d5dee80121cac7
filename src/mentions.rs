//! Record ids written in Markdown bodies ("see DI-004"), found with a Markdown parser so ids in
//! code spans and code blocks (log excerpts, examples) are not taken for references.
//!
//! `ddf show` lists them; the site turns them into links. Ids written in field values that are
//! not link fields (a management review's `inputs`, a CAPA's `actions`, a verification's
//! `baseline`) are mentions too: [`in_value`] finds them at any depth, and [`Index`] holds every
//! mention of the corpus both ways, computed once, so a record page can say who mentions it.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use std::sync::OnceLock;

/// The regular expression of an id-shaped word (`DI-004`): capital letters, `-`, three or more
/// digits. Whether the prefix is a record type is for the caller to decide.
pub fn id_re() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\b[A-Z]+-[0-9]{3,}\b").expect("static regex"))
}

/// The distinct ids mentioned in the prose of `body`, in order of first mention.
pub fn mentions(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_code_block = false;
    for event in Parser::new(body) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(t) if !in_code_block => {
                for m in id_re().find_iter(&t) {
                    if !out.iter().any(|o| o == m.as_str()) {
                        out.push(m.as_str().to_string());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Adds the distinct ids written in the strings of `v` (at any depth, map keys aside) to `out`,
/// in order of first mention.
pub fn in_value(v: &serde_yaml::Value, out: &mut Vec<String>) {
    use serde_yaml::Value;
    // Explicit stack: a hostile record may nest deeply.
    let mut stack: Vec<&Value> = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                for m in id_re().find_iter(s) {
                    if !out.iter().any(|o| o == m.as_str()) {
                        out.push(m.as_str().to_string());
                    }
                }
            }
            Value::Sequence(items) => stack.extend(items.iter().rev()),
            Value::Mapping(m) => {
                let values: Vec<&Value> = m.values().collect();
                stack.extend(values.into_iter().rev());
            }
            Value::Tagged(t) => stack.push(&t.value),
            _ => {}
        }
    }
}

/// A mention: which record, and where (a field name, or `body` for the prose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The record index at the other end.
    pub record: usize,
    /// The field the id is written in (`inputs`), or `body`.
    pub field: String,
}

/// Every mention in the corpus, both ways: ids written in a record's body and in its fields
/// other than `id`, `type`, `title`, `status` and its link fields (those are links, not
/// mentions). Only ids of records that exist count, and a record never mentions itself.
#[derive(Debug, Default)]
pub struct Index {
    /// Per record: the records it mentions, in order (body first, then fields in file order),
    /// each once, with where it first names them.
    pub out: Vec<Vec<Mention>>,
    /// Per record: the records that mention it, by id of the mentioning record, each once.
    pub inc: Vec<Vec<Mention>>,
}

impl Index {
    /// Reads every record once (in parallel); the cost is linear in the size of the corpus.
    pub fn new(corpus: &crate::corpus::Corpus) -> Index {
        use rayon::prelude::*;
        let out: Vec<Vec<Mention>> = corpus
            .records
            .par_iter()
            .enumerate()
            .map(|(i, r)| {
                let mut found: Vec<Mention> = Vec::new();
                let mut add = |ids: Vec<String>, field: &str| {
                    for id in ids {
                        match corpus.by_id.get(&id) {
                            Some(&j) if j != i && !found.iter().any(|m| m.record == j) => found
                                .push(Mention {
                                    record: j,
                                    field: field.to_string(),
                                }),
                            _ => {}
                        }
                    }
                };
                add(mentions(&r.body), "body");
                for (k, v) in &r.fields {
                    if matches!(k.as_str(), "id" | "type" | "title" | "status")
                        || r.links.iter().any(|l| l.field == *k)
                    {
                        continue;
                    }
                    let mut ids = Vec::new();
                    in_value(v, &mut ids);
                    add(ids, k);
                }
                found
            })
            .collect();
        let mut inc: Vec<Vec<Mention>> = vec![Vec::new(); corpus.records.len()];
        for (i, ms) in out.iter().enumerate() {
            for m in ms {
                inc[m.record].push(Mention {
                    record: i,
                    field: m.field.clone(),
                });
            }
        }
        for v in &mut inc {
            v.sort_by(|a, b| {
                corpus.records[a.record]
                    .id
                    .cmp(&corpus.records[b.record].id)
            });
        }
        Index { out, inc }
    }
}

#[cfg(test)]
mod tests {
    use super::{in_value, mentions};

    #[test]
    fn ids_in_nested_values() {
        let v: serde_yaml::Value = serde_yaml::from_str(
            "a: 'see CAPA-001'\nb:\n  - { step: 1, owner: PER-004, text: 'VER-036 and CAPA-001' }\n  - [DO-001]\n",
        )
        .expect("yaml");
        let mut out = Vec::new();
        in_value(&v, &mut out);
        assert_eq!(out, ["CAPA-001", "PER-004", "VER-036", "DO-001"]);
    }

    #[test]
    fn prose_ids_not_code() {
        let body = "Derived from UN-001 and UN-001.\n\nSee `DI-999` in code.\n\n```\nVER-123 log line\n```\n\n| a |\n|---|\n| HAZ-002 |\n";
        assert_eq!(mentions(body), ["UN-001", "HAZ-002"]);
    }

    #[test]
    fn id_shaped_words_only() {
        // Shaped like ids; whether the prefix is a record type is for the caller to decide.
        assert_eq!(
            mentions("ISO-13485, X-12, ab-123, DI-0042."),
            ["ISO-13485", "DI-0042"]
        );
    }
}
