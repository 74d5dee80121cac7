//! The index by clause (`clauses.html`): for each clause of ISO 13485 / QMSR, ISO 14971, FDA's
//! premarket cybersecurity guidance and FD&C Act 524B, the record types and rules that serve it
//! and the records themselves, so an auditor can start from the clause they are auditing.
//!
//! The clause titles are data (`clauses.yaml`, embedded). Which types serve a clause is derived
//! from each schema type's `clause` string and which rules serve it from each rule's `source`
//! ([`crate::rules::RULES`]), so the schema stays the one source; the catalogue only narrows or
//! adds records where the schema is silent or too coarse (see the comments in `clauses.yaml`).

use super::render::Renderer;
use super::views::{at_depth, ref_at, type_href, RecordRef, SiteView};
use super::{Input, OutFile, SiteError};
use crate::corpus::Corpus;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The clause catalogue, as embedded.
pub const CATALOGUE: &str = include_str!("clauses.yaml");

/// Groups larger than this are shown compactly (ids only) with a link to the type list.
const COMPACT_OVER: usize = 12;

/// `clauses.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// The standards, in reading order.
    pub standards: Vec<Standard>,
}

/// A standard of the catalogue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    /// The name as clause strings write it (`ISO 13485`).
    pub name: String,
    /// Full title.
    pub title: String,
    /// Its clauses, in reading order.
    pub clauses: Vec<Clause>,
}

/// A clause entry of the catalogue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// The clause number(s) (`7.3.3`, `4.2.4, 4.2.5`).
    pub clause: String,
    /// Short title.
    pub title: String,
    /// Records picked by type and field value, beyond or within what the schema maps here.
    #[serde(default)]
    pub select: Vec<Select>,
}

/// A selection of records for a clause.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Select {
    /// Type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Field whose value picks the records; every record of the type when absent.
    pub field: Option<String>,
    /// The values of `field` that qualify.
    #[serde(default)]
    pub values: Vec<String>,
}

/// The embedded catalogue. It is built in and covered by a unit test, so a parse failure is a
/// bug in ddf; it is reported as a template error rather than a panic all the same.
pub fn catalogue() -> Result<Catalogue, SiteError> {
    serde_yaml::from_str(CATALOGUE)
        .map_err(|e| SiteError::Template(format!("built-in clause catalogue: {e}")))
}

/// A clause reference parsed from a `clause` or rule `source` string: the standard and the
/// range of clause numbers it names (a single clause has `lo == hi`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    /// Standard name, as in the catalogue.
    pub standard: String,
    /// First clause, as components (`["7", "3", "2", "e"]`).
    pub lo: Vec<String>,
    /// Last clause.
    pub hi: Vec<String>,
}

/// The components of a clause number: `7.3.2 e)` is `7, 3, 2, e`; `524B(b)(1)` is
/// `524B, b, 1`; `App. 1` is `App, 1`.
fn components(s: &str) -> Vec<String> {
    s.split(|c: char| c == '.' || c == '(' || c == ')' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// Parses references such as `ISO 13485 7.3.3 a), 7.3.7; ISO 14971 5.4-7.4` against the
/// standards named in `standards`; parts naming other standards (AAMI SW96, NTIA) are skipped.
pub fn parse_refs(text: &str, standards: &[&str]) -> Vec<Ref> {
    let mut out = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        let Some((standard, rest)) = standards.iter().find_map(|s| {
            let rest = part.strip_prefix(s)?;
            rest.starts_with(char::is_whitespace).then_some((*s, rest))
        }) else {
            continue;
        };
        for piece in rest.split(',') {
            let mut ends = piece.splitn(2, ['-', '–']);
            let lo = components(ends.next().unwrap_or_default());
            if lo.is_empty() {
                continue;
            }
            let mut hi = ends.next().map(components).unwrap_or_default();
            if hi.is_empty() {
                hi.clone_from(&lo);
            } else if hi.len() < lo.len() {
                // `V.A.1-2` and `8.5.2 e)-f)` abbreviate the end: it replaces the last parts.
                let mut full = lo[..lo.len() - hi.len()].to_vec();
                full.append(&mut hi);
                hi = full;
            }
            out.push(Ref {
                standard: standard.to_string(),
                lo,
                hi,
            });
        }
    }
    out
}

fn cmp_component(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Compares two clause numbers on their common length: `7.3` and `7.3.2` are equal here, so a
/// reference to a clause covers its subclauses and the other way round.
fn cmp_prefix(a: &[String], b: &[String]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp_component(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

impl Ref {
    /// Whether this reference falls inside clause `key` of `standard`.
    pub fn serves(&self, standard: &str, key: &[String]) -> bool {
        self.standard == standard
            && cmp_prefix(&self.lo, key) != Ordering::Greater
            && cmp_prefix(key, &self.hi) != Ordering::Greater
    }
}

/// One clause entry with what serves it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    /// Clause number(s) as the catalogue writes them.
    pub clause: String,
    /// Short title.
    pub title: String,
    /// Fragment id on the page.
    pub anchor: String,
    /// The record types that serve it, in schema order.
    pub groups: Vec<GroupView>,
    /// The rules that check it, in registry order.
    pub rules: Vec<RuleView>,
    /// Number of records over all groups.
    pub records: usize,
}

/// The records of one type that serve a clause.
#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    /// Type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Id prefix.
    pub prefix: String,
    /// The type's list page, relative to the site root.
    pub href: Option<String>,
    /// Why the type is here: the schema's clause string, or `clause catalogue`.
    pub basis: String,
    /// The field selection that picked the records (`doc_type: dd-plan`), if any.
    pub filter: Option<String>,
    /// Number of records.
    pub count: usize,
    /// Whether the group is large and shown as ids only.
    pub compact: bool,
    /// The records, in path order.
    pub records: Vec<RecordRef>,
}

/// A rule that checks a clause.
#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    /// Rule id.
    pub id: String,
    /// What it checks.
    pub summary: String,
    /// The clauses it cites.
    pub source: String,
    /// `error`, `warning` or `off`, as configured.
    pub setting: String,
    /// Findings of the rule in this build's check.
    pub findings: usize,
}

/// One standard with its entries.
#[derive(Debug, Clone, Serialize)]
pub struct StandardView {
    /// Name (`ISO 13485`).
    pub name: String,
    /// Full title.
    pub title: String,
    /// Fragment id on the page.
    pub anchor: String,
    /// The clause entries, in catalogue order.
    pub entries: Vec<EntryView>,
}

/// The index by clause (`clauses.html`).
#[derive(Debug, Clone, Serialize)]
pub struct ClausesView {
    /// Common fields.
    pub site: SiteView,
    /// The standards, in catalogue order.
    pub standards: Vec<StandardView>,
}

/// A fragment id from text: lowercase letters and digits, runs of anything else as `-`.
fn anchor(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn field_matches(corpus: &Corpus, i: usize, sel: &Select) -> bool {
    let Some(field) = &sel.field else { return true };
    let r = &corpus.records[i];
    match r.fields.get(field) {
        Some(serde_yaml::Value::Sequence(items)) => items
            .iter()
            .filter_map(crate::record::scalar_text)
            .any(|v| sel.values.contains(&v)),
        Some(v) => crate::record::scalar_text(v).is_some_and(|v| sel.values.contains(&v)),
        None => false,
    }
}

/// The view of the page.
pub fn view(input: &Input<'_>, site: &SiteView) -> Result<ClausesView, SiteError> {
    let corpus = input.corpus;
    let cat = catalogue()?;
    let names: Vec<&str> = cat.standards.iter().map(|s| s.name.as_str()).collect();
    let schema = &corpus.config.schema;
    // Each type's and rule's references, parsed once.
    let type_refs: Vec<(&crate::schema::TypeDef, Vec<Ref>)> = schema
        .types
        .values()
        .map(|t| (t, parse_refs(&t.clause, &names)))
        .collect();
    let rule_refs: Vec<(&crate::rules::RuleInfo, Vec<Ref>)> = crate::rules::RULES
        .iter()
        .map(|r| (r, parse_refs(r.source, &names)))
        .collect();
    let mut findings: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &input.report.diagnostics {
        *findings.entry(d.rule).or_default() += 1;
    }
    let standards = cat
        .standards
        .iter()
        .map(|std| {
            let entries = std
                .clauses
                .iter()
                .map(|c| {
                    let keys: Vec<Vec<String>> = c.clause.split(',').map(components).collect();
                    let hit = |refs: &[Ref]| -> Option<String> {
                        refs.iter()
                            .any(|r| keys.iter().any(|k| r.serves(&std.name, k)))
                            .then(String::new)
                    };
                    let mut groups = Vec::new();
                    for (t, refs) in &type_refs {
                        let by_schema = hit(refs).is_some();
                        let sels: Vec<&Select> =
                            c.select.iter().filter(|s| s.type_name == t.name).collect();
                        if !by_schema && sels.is_empty() {
                            continue;
                        }
                        let all = corpus.records_of(&t.name);
                        let picked: Vec<usize> = if sels.is_empty() {
                            all.to_vec()
                        } else {
                            all.iter()
                                .copied()
                                .filter(|&i| sels.iter().any(|s| field_matches(corpus, i, s)))
                                .collect()
                        };
                        let filter = sels
                            .iter()
                            .filter_map(|s| {
                                s.field
                                    .as_ref()
                                    .map(|f| format!("{f}: {}", s.values.join(", ")))
                            })
                            .collect::<Vec<_>>();
                        groups.push(GroupView {
                            type_name: t.name.clone(),
                            prefix: t.prefix.clone(),
                            href: type_href(&t.name).filter(|_| !all.is_empty()),
                            basis: if by_schema {
                                format!("schema: {}", t.clause)
                            } else {
                                "clause catalogue".into()
                            },
                            filter: (!filter.is_empty()).then(|| filter.join("; ")),
                            count: picked.len(),
                            compact: picked.len() > COMPACT_OVER,
                            records: picked.iter().map(|&i| ref_at(corpus, i)).collect(),
                        });
                    }
                    let rules = rule_refs
                        .iter()
                        .filter(|(_, refs)| hit(refs).is_some())
                        .map(|(r, _)| RuleView {
                            id: r.id.to_string(),
                            summary: r.summary.to_string(),
                            source: r.source.to_string(),
                            setting: match corpus.config.rules.get(r.id) {
                                Some(s) => s.severity().map_or("off", severity_name),
                                None => severity_name(r.default),
                            }
                            .to_string(),
                            findings: findings.get(r.id).copied().unwrap_or(0),
                        })
                        .collect();
                    EntryView {
                        clause: c.clause.clone(),
                        title: c.title.clone(),
                        anchor: anchor(&format!("{} {}", std.name, c.clause)),
                        records: groups.iter().map(|g| g.count).sum(),
                        groups,
                        rules,
                    }
                })
                .collect();
            StandardView {
                name: std.name.clone(),
                title: std.title.clone(),
                anchor: anchor(&std.name),
                entries,
            }
        })
        .collect();
    Ok(ClausesView {
        site: at_depth(site, ""),
        standards,
    })
}

fn severity_name(s: crate::diagnostic::Severity) -> &'static str {
    match s {
        crate::diagnostic::Severity::Error => "error",
        crate::diagnostic::Severity::Warning => "warning",
    }
}

/// The section's pages: `clauses.html`.
pub fn pages(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    let view = view(input, site)?;
    Ok(vec![r.page(
        "site/clauses.html",
        "clauses.html".into(),
        &view,
    )?])
}

#[cfg(test)]
mod tests {
    use super::*;

    const STDS: &[&str] = &[
        "ISO 13485",
        "ISO 14971",
        "FDA cybersecurity guidance",
        "IEC 62304",
        "FD&C Act",
    ];

    fn key(s: &str) -> Vec<String> {
        components(s)
    }

    fn served(text: &str, standard: &str, clause: &str) -> bool {
        parse_refs(text, STDS)
            .iter()
            .any(|r| r.serves(standard, &key(clause)))
    }

    #[test]
    fn parses_schema_clause_strings() {
        let refs = parse_refs(
            "ISO 13485 7.3.3 a), 7.3.7; AAMI TIR57, SW96; FDA cybersecurity guidance V.A.1-2",
            STDS,
        );
        assert_eq!(
            refs,
            vec![
                Ref {
                    standard: "ISO 13485".into(),
                    lo: key("7.3.3 a)"),
                    hi: key("7.3.3 a)")
                },
                Ref {
                    standard: "ISO 13485".into(),
                    lo: key("7.3.7"),
                    hi: key("7.3.7")
                },
                Ref {
                    standard: "FDA cybersecurity guidance".into(),
                    lo: key("V.A.1"),
                    hi: key("V.A.2")
                },
            ]
        );
        assert_eq!(key("524B(b)(2)(B)"), ["524B", "b", "2", "B"]);
        assert_eq!(
            parse_refs("ISO 13485 8.5.2 e)-f)", STDS)[0].hi,
            key("8.5.2 f")
        );
    }

    #[test]
    fn references_serve_the_clauses_they_fall_in() {
        // Subclauses and lettered items serve their clause.
        assert!(served("ISO 13485 7.3.2 e), 7.3.4", "ISO 13485", "7.3.2"));
        assert!(served("ISO 13485 7.3.2 e), 7.3.4", "ISO 13485", "7.3.4"));
        assert!(!served("ISO 13485 7.3.2 e), 7.3.4", "ISO 13485", "7.3.3"));
        // Ranges serve every clause they span, numerically (10 is after 9).
        for c in ["5", "6", "7"] {
            assert!(served("ISO 14971 5.4-7.4", "ISO 14971", c), "{c}");
        }
        assert!(!served("ISO 14971 5.4-7.4", "ISO 14971", "4"));
        assert!(!served("ISO 14971 5.4-7.4", "ISO 14971", "8"));
        assert!(served("ISO 14971 8-9", "ISO 14971", "9"));
        assert!(!served("ISO 14971 8-9", "ISO 14971", "10"));
        assert!(served("ISO 13485 8.2.1-8.2.3", "ISO 13485", "8.2"));
        assert!(served("ISO 13485 7.4.1-7.4.2", "ISO 13485", "7.4"));
        assert!(served("ISO 13485 4.2.3-4.2.4", "ISO 13485", "4.2.4"));
        assert!(!served("ISO 13485 4.2.3-4.2.4", "ISO 13485", "4.2.5"));
        // Roman sections and lettered subsections.
        assert!(served(
            "FDA cybersecurity guidance V.A.4.b",
            "FDA cybersecurity guidance",
            "V.A"
        ));
        assert!(!served(
            "FDA cybersecurity guidance VI.A",
            "FDA cybersecurity guidance",
            "V.A"
        ));
        assert!(served(
            "FDA cybersecurity guidance VI.A",
            "FDA cybersecurity guidance",
            "VI"
        ));
        assert!(served(
            "FDA cybersecurity guidance App. 1",
            "FDA cybersecurity guidance",
            "App. 1"
        ));
        // 524B paragraphs.
        assert!(served("FD&C Act 524B(b)(2)(B)", "FD&C Act", "524B(b)(2)"));
        assert!(!served("FD&C Act 524B(b)(2)(B)", "FD&C Act", "524B(b)(1)"));
        // Another standard's clause of the same number does not count.
        assert!(!served("ISO 14971 7.2", "ISO 13485", "7"));
        assert!(!served(
            "FDA postmarket guidance; NTIA",
            "FD&C Act",
            "524B(b)(1)"
        ));
    }

    #[test]
    fn catalogue_parses_and_every_entry_is_served_by_the_builtin_schema_or_a_selection() {
        let cat = catalogue().expect("catalogue");
        let names: Vec<&str> = cat.standards.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, STDS);
        let schema = crate::schema::Schema::builtin().expect("schema");
        let mut unserved = Vec::new();
        for std in &cat.standards {
            for c in &std.clauses {
                let keys: Vec<Vec<String>> = c.clause.split(',').map(components).collect();
                let by_schema: Vec<&str> = schema
                    .types
                    .values()
                    .filter(|t| {
                        parse_refs(&t.clause, &names)
                            .iter()
                            .any(|r| keys.iter().any(|k| r.serves(&std.name, k)))
                    })
                    .map(|t| t.prefix.as_str())
                    .collect();
                for s in &c.select {
                    assert!(
                        schema.types.contains_key(&s.type_name),
                        "{} selects unknown type {}",
                        c.clause,
                        s.type_name
                    );
                }
                if by_schema.is_empty() && c.select.is_empty() {
                    unserved.push(format!("{} {}", std.name, c.clause));
                }
            }
        }
        assert!(unserved.is_empty(), "no type serves {unserved:?}");
        // The mapping the site shows for a few clauses, derived from the schema.
        let types_of = |standard: &str, clause: &str| -> Vec<String> {
            let k = components(clause);
            schema
                .types
                .values()
                .filter(|t| {
                    parse_refs(&t.clause, &names)
                        .iter()
                        .any(|r| r.serves(standard, &k))
                })
                .map(|t| t.prefix.clone())
                .collect()
        };
        assert_eq!(types_of("ISO 13485", "7.3.3"), ["UN", "DI"]);
        assert_eq!(types_of("ISO 13485", "7.3.6"), ["VER"]);
        assert_eq!(types_of("ISO 13485", "7.4"), ["CMP", "SUP"]);
        assert_eq!(types_of("ISO 14971", "7"), ["VER", "HS", "RC"]);
        assert_eq!(types_of("FD&C Act", "524B(b)(3)"), ["CMP"]);
        assert_eq!(types_of("FD&C Act", "524B(b)(1)"), ["VULN", "DOC"]);
    }

    #[test]
    fn anchors() {
        assert_eq!(anchor("ISO 13485 4.2.4, 4.2.5"), "iso-13485-4-2-4-4-2-5");
        assert_eq!(anchor("FD&C Act 524B(b)(1)"), "fd-c-act-524b-b-1");
    }
}
