//! Structural rules: each record against the schema, and links between records.
//!
//! Per-record checks run in parallel while the corpus loads ([`validate_record`]); checks that
//! need every record (duplicate ids, links, cycles) run once the corpus and graph exist
//! ([`check_corpus`]).

use crate::config::Config;
use crate::corpus::Corpus;
use crate::date::Date;
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::graph::Graph;
use crate::record::{is_given, scalar_text, Link, Record};
use crate::risk::{parse_level, RiskPolicy};
use crate::schema::{FieldDef, FieldKind, TypeDef};
use serde_yaml::Value;

/// Whether `id` has the form `PREFIX-NNN`. This also guarantees it is a safe file name.
pub fn is_valid_id(id: &str) -> bool {
    // `^[A-Z]+-[0-9]{3,}$`, written out: every record reference on every page asks this.
    id.split_once('-').is_some_and(|(prefix, number)| {
        !prefix.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_uppercase())
            && number.len() >= 3
            && number.bytes().all(|b| b.is_ascii_digit())
    })
}

fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance, for "did you mean" hints.
fn strsim_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Checks one record against the schema and fills in its links. Level fields are checked against
/// the scales of `policy`, the criteria in force.
pub fn validate_record(r: &mut Record, config: &Config, policy: &RiskPolicy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let schema = &config.schema;
    let d = |rule: &'static str, pos: Option<Pos>, msg: String| {
        let mut d = Diagnostic::new(rule, r.path.clone(), msg).at(pos.or(Some(Pos::new(1, 1))));
        if !r.id.is_empty() {
            d = d.record(r.id.clone());
        }
        d
    };

    // id
    if r.id.is_empty() {
        out.push(
            d(
                "missing-field",
                Some(Pos::new(1, 1)),
                "the record has no `id`".into(),
            )
            .hint(
                "add `id: PREFIX-NNN`, e.g. `id: DI-004`; `ddf new TYPE` picks the next free one",
            ),
        );
    } else if !is_valid_id(&r.id) {
        out.push(
            d(
                "id-format",
                r.index.value_pos("id"),
                format!("id `{}` does not have the form PREFIX-NNN", r.id),
            )
            .hint("use upper-case letters, a dash and at least three digits, e.g. `DI-004`"),
        );
    } else {
        let stem = r
            .path
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".md");
        if stem != r.id {
            out.push(
                d(
                    "id-filename",
                    r.index.value_pos("id"),
                    format!("the file is named `{stem}.md` but the id is `{}`", r.id),
                )
                .severity(Severity::Warning)
                .hint(format!(
                    "rename the file to `{}.md` so ids and files are found the same way",
                    r.id
                )),
            );
        }
    }

    // type
    let Some(tdef) = schema.get(&r.type_name) else {
        let (pos, msg) = if r.type_name.is_empty() {
            (Some(Pos::new(1, 1)), "the record has no `type`".to_string())
        } else {
            (
                r.index.value_pos("type"),
                format!("`{}` is not a record type", r.type_name),
            )
        };
        let hint = match closest(&r.type_name, schema.types.keys().map(String::as_str)) {
            Some(c) if !r.type_name.is_empty() => {
                format!("did you mean `{c}`? `ddf schema` lists the types")
            }
            _ => match schema.by_prefix(r.prefix()) {
                Some(t) => format!("the id suggests `type: {}`", t.name),
                None => "`ddf schema` lists the types".into(),
            },
        };
        out.push(d("unknown-type", pos, msg).hint(hint));
        return out;
    };
    if is_valid_id(&r.id) && r.prefix() != tdef.prefix {
        out.push(
            d(
                "id-prefix",
                r.index.value_pos("id"),
                format!(
                    "a {} id starts with `{}-`, not `{}-`",
                    tdef.name,
                    tdef.prefix,
                    r.prefix()
                ),
            )
            .hint(format!(
                "`ddf new {}` picks the next free {}- id",
                tdef.name, tdef.prefix
            )),
        );
    }

    let relaxed = tdef.relaxed.iter().any(|s| s == r.status());
    for f in tdef.fields.values() {
        match r.fields.get(&f.name) {
            None | Some(Value::Null) => {
                let required = f.required_for(r.status());
                if required && !(tdef.body.as_deref() == Some(f.name.as_str()) && r.has_body()) {
                    let mut msg = format!("required field `{}` is missing", f.name);
                    if !f.required {
                        msg.push_str(&format!(" (required in status {})", r.status()));
                    }
                    if tdef.body.as_deref() == Some(f.name.as_str()) {
                        msg.push_str(" (the Markdown body may hold it)");
                    }
                    let pos = r.index.key_pos(&f.name).or(Some(Pos::new(1, 1)));
                    out.push(
                        d("missing-field", pos, msg)
                            .severity(if relaxed {
                                Severity::Warning
                            } else {
                                Severity::Error
                            })
                            .hint(field_hint(f)),
                    );
                }
            }
            Some(v) => {
                if f.required_for(r.status()) && !f.allow_empty && !is_given(v) {
                    out.push(
                        d(
                            "missing-field",
                            r.index.value_pos(&f.name),
                            format!("required field `{}` is empty", f.name),
                        )
                        .severity(if relaxed {
                            Severity::Warning
                        } else {
                            Severity::Error
                        })
                        .hint(field_hint(f)),
                    );
                    continue;
                }
                check_value(r, tdef, f, v, config, policy, &mut out);
            }
        }
    }
    if !tdef.allow_unknown {
        for key in r.fields.keys() {
            if !tdef.fields.contains_key(key) {
                let hint = match closest(key, tdef.fields.keys().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`? the value is kept and shown"),
                    None => format!("add it to the `{}` type under `types:` in ddf.yaml, or remove it; the value is kept and shown", tdef.name),
                };
                out.push(
                    d(
                        "unknown-field",
                        r.index.key_pos(key),
                        format!("`{key}` is not a field of {}", tdef.name),
                    )
                    .severity(Severity::Warning)
                    .hint(hint),
                );
            }
        }
    }
    // A `#` after a space starts a YAML comment, even in the middle of a title: warn where the
    // text was most likely meant (a one-line text field, or `#` glued to what follows, as in
    // `#2`), not on a deliberate `status: draft  # note`.
    for k in r.index.keys() {
        let Some((pos, after)) = r.index.cut_by_comment(k.key) else {
            continue;
        };
        let prose = tdef
            .fields
            .get(k.key)
            .is_some_and(|f| matches!(f.kind, FieldKind::String | FieldKind::Text));
        if !(prose || after.starts_with(|c: char| !c.is_whitespace())) {
            continue;
        }
        let read = r.text(k.key).unwrap_or_default().replace('"', "\\\"");
        out.push(
            d(
                "hash-comment",
                Some(pos),
                format!(
                    "`{}` reads as `{read}`: the `#` and the text after it are a YAML comment",
                    k.key
                ),
            )
            .severity(Severity::Warning)
            .hint(format!(
                "quote the value to keep the `#`: {}: \"{read} #{}\"; or write the comment on a line of its own",
                k.key,
                after.trim_end()
            )),
        );
    }
    // Links are read last so only well-formed ids become edges.
    let mut links = Vec::new();
    for f in tdef.link_fields() {
        for target in r.list(&f.name) {
            if is_valid_id(&target) {
                let pos = r.index.token_pos(&f.name, &target);
                links.push(Link {
                    field: f.name.clone(),
                    target,
                    pos,
                    trace: f.trace,
                });
            }
        }
    }
    r.links = links;
    r.index.release_words();
    out
}

fn field_hint(f: &FieldDef) -> String {
    let mut h = match f.kind {
        FieldKind::Enum | FieldKind::Enums => format!("one of: {}", f.values.join(", ")),
        FieldKind::Link | FieldKind::Ref => format!("ids of: {}", f.targets.join(", ")),
        FieldKind::Date => "a date, YYYY-MM-DD".into(),
        FieldKind::DateOrUnknown => "a date YYYY-MM-DD, or `unknown` with a justification".into(),
        FieldKind::Level => format!("a level such as {}3", f.scale.map_or('S', |s| s.letter())),
        FieldKind::Bool => "true or false".into(),
        _ => format!("write `{}:` with a value", f.name),
    };
    if let Some(doc) = &f.doc {
        h.push_str(&format!(" ({doc})"));
    }
    h
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn check_value(
    r: &Record,
    tdef: &TypeDef,
    f: &FieldDef,
    v: &Value,
    config: &Config,
    policy: &RiskPolicy,
    out: &mut Vec<Diagnostic>,
) {
    let name = &f.name;
    let mut bad = |pos: Option<Pos>, msg: String| {
        let mut d = Diagnostic::new("invalid-value", r.path.clone(), msg)
            .at(pos
                .or_else(|| r.index.value_pos(name))
                .or(Some(Pos::new(1, 1))))
            .hint(field_hint(f));
        if !r.id.is_empty() {
            d = d.record(r.id.clone());
        }
        out.push(d);
    };
    let scalar = || scalar_text(v);
    match f.kind {
        FieldKind::Any => {}
        FieldKind::String => match scalar() {
            None => bad(
                None,
                format!("`{name}` should be one line of text, not {}", kind_name(v)),
            ),
            Some(s) => {
                if let Some(re) = &f.regex {
                    if !re.is_match(&s) {
                        bad(
                            None,
                            format!("`{name}` is `{s}`, which does not match `{}`", re.as_str()),
                        );
                    }
                }
            }
        },
        FieldKind::Text => {
            if scalar().is_none() {
                bad(
                    None,
                    format!("`{name}` should be text, not {}", kind_name(v)),
                );
            }
        }
        FieldKind::Enum => match scalar() {
            Some(s) if f.values.contains(&s) => {}
            Some(s) => {
                let hint = closest(&s, f.values.iter().map(String::as_str));
                let mut msg = format!(
                    "`{name}` is `{s}`, which is not one of: {}",
                    f.values.join(", ")
                );
                if let Some(c) = hint {
                    msg.push_str(&format!(" (did you mean `{c}`?)"));
                }
                bad(None, msg);
            }
            None => bad(
                None,
                format!("`{name}` should be one value, not {}", kind_name(v)),
            ),
        },
        FieldKind::Enums => {
            let items: Vec<Value> = match v {
                Value::Sequence(s) => s.clone(),
                other => vec![other.clone()],
            };
            for item in items {
                match scalar_text(&item) {
                    Some(s) if f.values.contains(&s) => {}
                    Some(s) => bad(
                        r.index.token_pos(name, &s),
                        format!(
                            "`{name}` contains `{s}`, which is not one of: {}",
                            f.values.join(", ")
                        ),
                    ),
                    None => bad(
                        None,
                        format!("`{name}` items should be values, not {}", kind_name(&item)),
                    ),
                }
            }
        }
        FieldKind::Bool => {
            if !matches!(v, Value::Bool(_)) {
                bad(
                    None,
                    format!(
                        "`{name}` should be true or false, not {}",
                        scalar().unwrap_or_else(|| kind_name(v).into())
                    ),
                );
            }
        }
        FieldKind::Number => {
            if !matches!(v, Value::Number(_)) {
                bad(None, format!("`{name}` should be a number"));
            }
        }
        FieldKind::Date | FieldKind::DateOrUnknown => {
            let s = scalar().unwrap_or_default();
            let ok =
                Date::parse(&s).is_some() || (f.kind == FieldKind::DateOrUnknown && s == "unknown");
            if !ok {
                bad(
                    None,
                    format!("`{name}` is `{s}`, which is not a date (YYYY-MM-DD)"),
                );
            }
        }
        FieldKind::Level => {
            let scale = f.scale.unwrap_or(crate::schema::Scale::Severity);
            let n = policy.scale_len(scale);
            let letter = scale.letter();
            match scalar() {
                Some(s) if parse_level(&s, letter).is_some_and(|l| l <= n) => {}
                other => bad(
                    None,
                    format!(
                        "`{name}` is `{}`, which is not a level {letter}1..{letter}{n}",
                        other.unwrap_or_else(|| kind_name(v).into())
                    ),
                ),
            }
        }
        FieldKind::List => {
            match v {
                Value::Sequence(items) => {
                    for item in items {
                        match scalar_text(item) {
                            None => bad(
                                None,
                                format!("`{name}` items should be text, not {}", kind_name(item)),
                            ),
                            Some(s) => {
                                if let Some(re) = &f.regex {
                                    if !re.is_match(&s) {
                                        bad(r.index.token_pos(name, &s), format!("`{name}` contains `{s}`, which does not match `{}`", re.as_str()));
                                    }
                                }
                            }
                        }
                    }
                }
                other if scalar_text(other).is_some() => {
                    if let (Some(re), Some(s)) = (&f.regex, scalar_text(other)) {
                        if !re.is_match(&s) {
                            bad(
                                None,
                                format!(
                                    "`{name}` is `{s}`, which does not match `{}`",
                                    re.as_str()
                                ),
                            );
                        }
                    }
                }
                other => bad(
                    None,
                    format!("`{name}` should be a list, not {}", kind_name(other)),
                ),
            }
        }
        FieldKind::Map => {
            if !matches!(v, Value::Mapping(_)) {
                bad(
                    None,
                    format!(
                        "`{name}` should be a mapping of `key: value` lines, not {}",
                        kind_name(v)
                    ),
                );
            }
        }
        FieldKind::Maps => match v {
            Value::Sequence(items) if items.iter().all(|i| matches!(i, Value::Mapping(_))) => {}
            _ => bad(
                None,
                format!("`{name}` should be a list of mappings (`- key: value`)"),
            ),
        },
        FieldKind::Link | FieldKind::Ref => {
            let items: Vec<&Value> = match v {
                Value::Sequence(s) if f.kind == FieldKind::Link => s.iter().collect(),
                Value::Sequence(_) => {
                    bad(None, format!("`{name}` names one record, not a list"));
                    return;
                }
                other => vec![other],
            };
            for item in items {
                match scalar_text(item) {
                    Some(id) if is_valid_id(&id) => {}
                    Some(id) => bad(
                        r.index.token_pos(name, &id),
                        format!("`{name}` names `{id}`, which is not a record id (PREFIX-NNN)"),
                    ),
                    None => bad(
                        None,
                        format!("`{name}` should name record ids, not {}", kind_name(item)),
                    ),
                }
            }
        }
    }
    if name == "device" && !config.devices.is_empty() {
        for dev in r.list("device") {
            if !config.devices.contains(&dev) {
                out.push(
                    Diagnostic::new(
                        "invalid-value",
                        r.path.clone(),
                        format!(
                            "device `{dev}` is not one of ddf.yaml `devices`: {}",
                            config.devices.join(", ")
                        ),
                    )
                    .record(r.id.clone())
                    .at(r.index.token_pos("device", &dev))
                    .hint("add the device family to `devices:` in ddf.yaml, or correct the name"),
                );
            }
        }
    }
    let _ = tdef;
}

/// Longest number [`near_id`] looks for typos in: ids have a handful of digits, and the
/// candidates grow with the square of the length.
const NEAR_ID_DIGITS: usize = 12;

/// An existing id one typo away from `id` (a digit changed, dropped, added or two swapped, or
/// the number written with another width); the first in text order when several are. Candidates
/// are generated into one buffer and looked up, so the cost does not grow with the corpus (a
/// record may name tens of thousands of missing ids).
fn near_id<'a>(id: &str, corpus: &'a Corpus) -> Option<&'a str> {
    let (prefix, digits) = id.split_once('-')?;
    let d = digits.as_bytes();
    if d.len() > NEAR_ID_DIGITS || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut best: Option<&'a str> = None;
    let mut cand = String::with_capacity(prefix.len() + d.len() + 2);
    let mut try_digits = |digits_of: &mut dyn FnMut(&mut String)| {
        cand.clear();
        cand.push_str(prefix);
        cand.push('-');
        digits_of(&mut cand);
        if cand.as_str() == id {
            return;
        }
        if let Some((k, _)) = corpus.by_id.get_key_value(cand.as_str()) {
            if best.is_none_or(|b| k.as_str() < b) {
                best = Some(k.as_str());
            }
        }
    };
    let text = |bytes: &[u8], s: &mut String| s.extend(bytes.iter().map(|&b| b as char));
    for i in 0..d.len() {
        for c in b'0'..=b'9' {
            try_digits(&mut |s| {
                text(&d[..i], s);
                s.push(c as char);
                text(&d[i + 1..], s);
            });
        }
        try_digits(&mut |s| {
            text(&d[..i], s);
            text(&d[i + 1..], s);
        });
        if i + 1 < d.len() {
            try_digits(&mut |s| {
                text(&d[..i], s);
                s.push(d[i + 1] as char);
                s.push(d[i] as char);
                text(&d[i + 2..], s);
            });
        }
    }
    for i in 0..=d.len() {
        for c in b'0'..=b'9' {
            try_digits(&mut |s| {
                text(&d[..i], s);
                s.push(c as char);
                text(&d[i..], s);
            });
        }
    }
    if let Ok(n) = digits.parse::<u64>() {
        for w in 3..=6 {
            try_digits(&mut |s| {
                let _ = std::fmt::Write::write_fmt(s, format_args!("{n:0w$}"));
            });
        }
    }
    best
}

/// Checks that need every record: duplicate ids, links that resolve to nothing or to the wrong
/// type, self-links and cycles.
pub fn check_corpus(corpus: &Corpus, graph: &Graph) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let schema = &corpus.config.schema;
    // Duplicate ids: report each copy, naming the others.
    let mut by_id: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, r) in corpus.records.iter().enumerate() {
        if is_valid_id(&r.id) {
            by_id.entry(r.id.as_str()).or_default().push(i);
        }
    }
    for idxs in by_id.values().filter(|v| v.len() > 1) {
        for &i in idxs {
            let r = &corpus.records[i];
            let others: Vec<&str> = idxs
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| corpus.records[j].path.as_str())
                .collect();
            out.push(
                Diagnostic::new(
                    "duplicate-id",
                    r.path.clone(),
                    format!("id `{}` is also used by {}", r.id, others.join(", ")),
                )
                .record(r.id.clone())
                .at(r.index.value_pos("id"))
                .hint("ids must be unique across the repository; `ddf new TYPE` picks a free one"),
            );
        }
    }
    for r in &corpus.records {
        let Some(tdef) = schema.get(&r.type_name) else {
            continue;
        };
        for l in &r.links {
            let Some(fdef) = tdef.fields.get(&l.field) else {
                continue;
            };
            if l.target == r.id && l.trace {
                out.push(
                    Diagnostic::new(
                        "self-link",
                        r.path.clone(),
                        format!("`{}` names the record itself", l.field),
                    )
                    .record(r.id.clone())
                    .at(l.pos)
                    .hint("a record cannot trace to itself; name the record it derives from"),
                );
                continue;
            }
            match corpus.get(&l.target) {
                // The record exists but cannot be read: its own finding says so, and "create
                // the record" would make a duplicate.
                None if corpus.unread_with_id(&l.target).is_some() => {}
                None => {
                    let near = near_id(&l.target, corpus);
                    let hint = match near {
                        Some(n) => format!("did you mean `{n}`?"),
                        None => "create the record (`ddf new`) or correct the id".into(),
                    };
                    out.push(
                        Diagnostic::new(
                            "dangling-link",
                            r.path.clone(),
                            format!("{} names {}, which does not exist", l.field, l.target),
                        )
                        .record(r.id.clone())
                        .at(l.pos)
                        .hint(hint),
                    );
                }
                Some(t) => {
                    let tp = t.prefix();
                    let type_ok = schema
                        .get(&t.type_name)
                        .is_some_and(|tt| fdef.accepts_target(&tt.prefix))
                        || (schema.get(&t.type_name).is_none() && fdef.accepts_target(tp));
                    if !type_ok {
                        out.push(Diagnostic::new("link-type", r.path.clone(), format!(
                            "{} names {} ({}), but {} links only to {}",
                            l.field, l.target, if t.type_name.is_empty() { "no type" } else { &t.type_name }, l.field, fdef.targets.join(", ")
                        ))
                        .record(r.id.clone())
                        .at(l.pos)
                        .hint("links are written on the downstream record, pointing upstream; see the link table in docs/schema.md"));
                    }
                }
            }
        }
    }
    for comp in graph.cycles() {
        let ids: Vec<&str> = comp
            .iter()
            .map(|&i| corpus.records[i].id.as_str())
            .collect();
        for &i in &comp {
            let r = &corpus.records[i];
            let link = r
                .links
                .iter()
                .find(|l| l.trace && ids.contains(&l.target.as_str()));
            out.push(
                Diagnostic::new(
                    "cycle",
                    r.path.clone(),
                    format!("links form a cycle through {}", ids.join(", ")),
                )
                .record(r.id.clone())
                .at(link.and_then(|l| l.pos))
                .hint("trace links point upstream only; remove the link that points back down"),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{check, check_with, rules_of};

    const PER: &str = "---\nid: PER-001\ntype: person\ntitle: Ada\nstatus: approved\nowner: PER-001\nprinted_name: Ada Lovelace\nroles: [engineer]\nmay_sign: [approval]\nkeys: []\nidentity_verified: 2026-01-01\n---\n";

    fn un(id: &str, extra: &str) -> String {
        format!("---\nid: {id}\ntype: user-need\ntitle: A need\nstatus: draft\nowner: PER-001\nsource: user\n{extra}---\nThe need.\n")
    }

    #[test]
    fn id_form_is_prefix_dash_three_or_more_digits() {
        let re = regex::Regex::new(r"^[A-Z]+-[0-9]{3,}$").expect("regex");
        let parts = [
            "", "A", "DI", "di", "É", "-", "--", "0", "12", "123", "0042", "12a", "\n", " ",
        ];
        for a in parts {
            for b in parts {
                for c in parts {
                    let id = format!("{a}{b}{c}");
                    assert_eq!(super::is_valid_id(&id), re.is_match(&id), "{id:?}");
                }
            }
        }
        assert!(super::is_valid_id("HAZ-007"));
        assert!(!super::is_valid_id("HAZ-07"));
        assert!(!super::is_valid_id("HAZ-007\n"));
    }

    #[test]
    fn valid_record_has_no_structure_findings() {
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/UN-001.md", &un("UN-001", "")),
        ]);
        assert!(
            r.iter()
                .all(|d| crate::rules::info(d.rule).map(|i| i.family) != Some("structure")),
            "{r:?}"
        );
    }

    #[test]
    fn a_hash_that_cuts_a_value_is_a_warning_at_the_hash() {
        let text = un("UN-001", "")
            .replace("title: A need", "title: Bolus test #2")
            .replace("status: draft", "status: draft # until review");
        let r = check(&[("records/PER-001.md", PER), ("records/UN-001.md", &text)]);
        let found: Vec<_> = r.iter().filter(|d| d.rule == "hash-comment").collect();
        assert_eq!(
            found.len(),
            1,
            "the deliberate comment on status is not reported: {r:?}"
        );
        let d = found[0];
        assert_eq!(d.severity, crate::diagnostic::Severity::Warning);
        assert_eq!((d.line, d.column), (Some(4), Some(19)));
        assert!(d.message.contains("reads as `Bolus test`"), "{}", d.message);
        let hint = d.hint.as_deref().unwrap_or("");
        assert!(hint.contains("title: \"Bolus test #2\""), "{hint}");
        let quoted = un("UN-001", "").replace("title: A need", "title: \"Bolus test #2\"");
        let r = check(&[("records/PER-001.md", PER), ("records/UN-001.md", &quoted)]);
        assert!(!rules_of(&r).contains(&"hash-comment"), "{r:?}");
    }

    #[test]
    fn missing_field_fires_and_relaxes_in_draft() {
        let text = "---\nid: UN-001\ntype: user-need\ntitle: A need\nstatus: approved\nowner: PER-001\n---\nbody\n";
        let r = check(&[("records/PER-001.md", PER), ("records/UN-001.md", text)]);
        let d = r.iter().find(|d| d.rule == "missing-field").expect("fires");
        assert_eq!(d.severity, crate::diagnostic::Severity::Error);
        assert!(d.message.contains("source"));
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/UN-001.md", &text.replace("approved", "draft")),
        ]);
        let d = r.iter().find(|d| d.rule == "missing-field").expect("fires");
        assert_eq!(d.severity, crate::diagnostic::Severity::Warning);
    }

    #[test]
    fn body_stands_in_for_main_text() {
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/UN-001.md", &un("UN-001", "")),
        ]);
        assert!(!rules_of(&r).contains(&"missing-field"), "{r:?}");
        let empty_body = un("UN-001", "").replace("The need.\n", "");
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/UN-001.md", &empty_body),
        ]);
        assert!(rules_of(&r).contains(&"missing-field"));
    }

    #[test]
    fn invalid_value_enum_date_level() {
        let r = check(&[
            ("records/PER-001.md", PER),
            (
                "records/UN-001.md",
                &un("UN-001", "").replace("source: user", "source: usr"),
            ),
        ]);
        let d = r.iter().find(|d| d.rule == "invalid-value").expect("fires");
        assert!(d.message.contains("did you mean `user`"), "{}", d.message);
        assert_eq!(d.line, Some(7));
        let per = PER.replace(
            "identity_verified: 2026-01-01",
            "identity_verified: x\nroles2: 1",
        );
        let r = check(&[("records/PER-001.md", &per)]);
        assert!(rules_of(&r).contains(&"unknown-field"));
        let harm = "---\nid: HARM-001\ntype: harm\ntitle: h\nstatus: draft\nowner: PER-001\nseverity: S9\nrationale: r\n---\nd\n";
        let r = check(&[("records/PER-001.md", PER), ("records/HARM-001.md", harm)]);
        assert!(
            r.iter()
                .any(|d| d.rule == "invalid-value" && d.message.contains("S1..S5")),
            "{r:?}"
        );
    }

    #[test]
    fn unknown_type_and_field() {
        let r = check(&[(
            "records/UN-001.md",
            &un("UN-001", "").replace("user-need", "user-nede"),
        )]);
        let d = r.iter().find(|d| d.rule == "unknown-type").expect("fires");
        assert!(d.hint.as_deref().unwrap_or("").contains("user-need"));
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/UN-001.md", &un("UN-001", "sorce: user\n")),
        ]);
        let d = r.iter().find(|d| d.rule == "unknown-field").expect("fires");
        assert_eq!(d.line, Some(8));
    }

    #[test]
    fn id_rules() {
        let r = check(&[("records/x.md", &un("../x", ""))]);
        assert!(rules_of(&r).contains(&"id-format"));
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/DI-001.md", &un("DI-001", "")),
        ]);
        assert!(rules_of(&r).contains(&"id-prefix"));
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/other.md", &un("UN-001", "")),
        ]);
        assert!(rules_of(&r).contains(&"id-filename"));
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/a/UN-001.md", &un("UN-001", "")),
            ("records/b/UN-001.md", &un("UN-001", "")),
        ]);
        assert_eq!(r.iter().filter(|d| d.rule == "duplicate-id").count(), 2);
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/UN-001.md", &un("UN-001", "")),
        ]);
        assert!(!rules_of(&r)
            .iter()
            .any(|r| r.starts_with("id-") || *r == "duplicate-id"));
    }

    #[test]
    fn link_rules() {
        let di = |links: &str| {
            format!("---\nid: DI-001\ntype: design-input\ntitle: t\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: x\n{links}---\nThe input.\n")
        };
        let base = [
            ("records/PER-001.md", PER.to_string()),
            ("records/UN-001.md", un("UN-001", "")),
        ];
        let run = |extra: &str| {
            let mut files: Vec<(&str, String)> =
                base.iter().map(|(a, b)| (*a, b.clone())).collect();
            files.push(("records/DI-001.md", di(extra)));
            let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
            check(&files)
        };
        let r = run("traces_to: [UN-001]\n");
        assert!(
            !rules_of(&r)
                .iter()
                .any(|x| ["dangling-link", "link-type", "self-link"].contains(x)),
            "{r:?}"
        );
        let r = run("traces_to: [UN-002]\n");
        let d = r
            .iter()
            .find(|d| d.rule == "dangling-link")
            .expect("dangling");
        assert_eq!((d.line, d.column), (Some(9), Some(13)));
        assert!(d.hint.as_deref().unwrap_or("").contains("UN-001"));
        let r = run("traces_to: [PER-001]\n");
        assert!(rules_of(&r).contains(&"link-type"));
        let r = run("traces_to: [DI-001]\n");
        assert!(rules_of(&r).contains(&"self-link"));
    }

    #[test]
    fn cycle_rule() {
        let di = |id: &str, to: &str| {
            format!("---\nid: {id}\ntype: design-input\ntitle: t\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: x\ntraces_to: [{to}]\n---\nx\n")
        };
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/DI-001.md", &di("DI-001", "DI-002")),
            ("records/DI-002.md", &di("DI-002", "DI-001")),
        ]);
        assert_eq!(r.iter().filter(|d| d.rule == "cycle").count(), 2, "{r:?}");
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/DI-001.md", &di("DI-001", "DI-002")),
            ("records/DI-002.md", &di("DI-002", "DI-003")),
            (
                "records/DI-003.md",
                &di("DI-003", "DI-002").replace("traces_to: [DI-002]", "traces_to: []"),
            ),
        ]);
        assert!(!rules_of(&r).contains(&"cycle"));
    }

    #[test]
    fn references_that_are_not_traced_make_no_cycle() {
        // VULN -fielded-> REL -changes-> CR -triggered_by-> VULN: `fielded` points at a release
        // downstream of the fix, so trace walks and cycle detection do not follow it.
        let vuln = "---\nid: VULN-001\ntype: vulnerability\ntitle: v\nstatus: draft\nowner: PER-001\nfielded: [REL-001]\n---\n";
        let rel = "---\nid: REL-001\ntype: release\ntitle: r\nstatus: draft\nowner: PER-001\nchanges: [CR-001]\n---\n";
        let cr = "---\nid: CR-001\ntype: change-request\ntitle: c\nstatus: open\nowner: PER-001\ntriggered_by: [VULN-001]\n---\nFix it.\n";
        let r = check(&[
            ("records/PER-001.md", PER),
            ("records/VULN-001.md", vuln),
            ("records/REL-001.md", rel),
            ("records/CR-001.md", cr),
        ]);
        assert!(!rules_of(&r).contains(&"cycle"), "{r:?}");
    }

    #[test]
    fn device_must_be_configured() {
        let cfg = "project: p\ndevices: [AIP-100]\n";
        let r = check_with(
            cfg,
            &[
                ("records/PER-001.md", PER),
                ("records/UN-001.md", &un("UN-001", "device: [AIP-200]\n")),
            ],
        );
        assert!(rules_of(&r).contains(&"invalid-value"));
        let r = check_with(
            cfg,
            &[
                ("records/PER-001.md", PER),
                ("records/UN-001.md", &un("UN-001", "device: [AIP-100]\n")),
            ],
        );
        assert!(!rules_of(&r).contains(&"invalid-value"));
    }

    #[test]
    fn near_ids_are_one_typo_away_and_long_numbers_are_not_searched() {
        let files: Vec<(String, String)> = ["UN-012", "UN-021", "UN-0012", "UN-1234"]
            .iter()
            .map(|id| (format!("records/{id}.md"), un(id, "")))
            .collect();
        let c = crate::rules::testing::corpus("project: p\n", &files);
        assert_eq!(
            super::near_id("UN-013", &c),
            Some("UN-012"),
            "a digit changed"
        );
        assert_eq!(super::near_id("UN-201", &c), Some("UN-021"), "two swapped");
        assert_eq!(
            super::near_id("UN-12", &c),
            Some("UN-0012"),
            "the first in text order"
        );
        assert_eq!(
            super::near_id("UN-01234", &c),
            Some("UN-1234"),
            "a digit added"
        );
        assert_eq!(
            super::near_id("UN-012", &c),
            Some("UN-0012"),
            "never itself"
        );
        assert_eq!(super::near_id("UN-999", &c), None);
        assert_eq!(super::near_id("DI-012", &c), None);
        let long = format!("UN-{}", "1".repeat(100_000));
        assert_eq!(super::near_id(&long, &c), None);
    }
}
