//! What changed between two versions of a record file: the fields whose values differ (old and
//! new value) and whether the body changed.
//!
//! The history walk compares tens of thousands of version pairs, and a commit usually changes one
//! or two fields of a record. Parsing both whole front-matters to compare them costs most of the
//! walk's own time, so the comparison first cuts each front-matter into its top-level `key:`
//! blocks, as text, and parses only the blocks whose text differs. Where the text uses anything
//! such a cut cannot follow safely (anchors and aliases, tabs, flow collections or plain scalars
//! continued at the left margin, keys that are not plain names, a key written twice), both
//! versions are parsed whole, as before; both ways give the same field changes.

use super::{field_changes, json, FieldChange};
use crate::front_matter;
use crate::record;
use indexmap::IndexMap;

/// Field changes from `old` to `new` (file bytes) and whether the body changed. A side that is
/// not a record (no front-matter, invalid YAML, too large) gives no field changes and counts as
/// a changed body.
pub(crate) fn versions(old: &[u8], new: &[u8]) -> (Vec<FieldChange>, bool) {
    let too_large = |b: &[u8]| b.len() as u64 > crate::source::MAX_FILE;
    if too_large(old) || too_large(new) {
        return (Vec::new(), true);
    }
    if let Some(d) = by_blocks(old, new) {
        return d;
    }
    match (record::parse("", old).record, record::parse("", new).record) {
        (Some(o), Some(n)) => (field_changes(&o, &n), o.body != n.body),
        _ => (Vec::new(), true),
    }
}

/// [`versions`] by comparing top-level blocks as text; `None` when either side needs a whole
/// parse.
fn by_blocks(old: &[u8], new: &[u8]) -> Option<(Vec<FieldChange>, bool)> {
    let old = front_matter::split(std::str::from_utf8(old).ok()?).ok()?;
    let new = front_matter::split(std::str::from_utf8(new).ok()?).ok()?;
    let (ob, nb) = (blocks(old.yaml)?, blocks(new.yaml)?);
    let mut out = Vec::new();
    // Same order as `field_changes`: the old fields in file order, then the new ones.
    for (key, text) in &ob {
        match nb.get(key) {
            Some(t) if t == text => {}
            Some(t) => {
                let (a, b) = (value(key, text)?, value(key, t)?);
                if a != b {
                    out.push(FieldChange {
                        name: (*key).to_string(),
                        old: Some(json(&a)),
                        new: Some(json(&b)),
                    });
                }
            }
            None => out.push(FieldChange {
                name: (*key).to_string(),
                old: Some(json(&value(key, text)?)),
                new: None,
            }),
        }
    }
    for (key, text) in &nb {
        if !ob.contains_key(key) {
            out.push(FieldChange {
                name: (*key).to_string(),
                old: None,
                new: Some(json(&value(key, text)?)),
            });
        }
    }
    Some((out, old.body != new.body))
}

/// The value of the one-key block `text` (`key: ...` and its continuation lines).
fn value(key: &str, text: &str) -> Option<serde_yaml::Value> {
    // The nesting bound the whole parse applies, before libyaml sees the text.
    if front_matter::too_deep(text, 1).is_some() {
        return None;
    }
    let map: serde_yaml::Mapping = serde_yaml::from_str(text).ok()?;
    if map.len() != 1 {
        return None;
    }
    map.get(key).cloned()
}

/// The top-level blocks of a front-matter, by key in file order: each key line with the lines
/// that continue it (indented, blank, comments, or `- ` items of a sequence written at the
/// margin). `None` when the text is not plainly cut that way.
fn blocks(yaml: &str) -> Option<IndexMap<&str, &str>> {
    if yaml.contains(['&', '*', '\t']) {
        return None;
    }
    let mut out: IndexMap<&str, &str> = IndexMap::new();
    let mut current: Option<(&str, usize)> = None;
    let mut at = 0;
    for line in yaml.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let first = line.as_bytes().first().copied();
        let continues = match first {
            None | Some(b' ' | b'\n' | b'\r' | b'#') => true,
            Some(b'-') => line.starts_with("- ") || line.trim_end() == "-",
            _ => false,
        };
        if continues {
            if current.is_none() && !line.trim().is_empty() && first != Some(b'#') {
                return None;
            }
            continue;
        }
        let key = plain_key(line)?;
        if let Some((k, s)) = current.take() {
            if out.insert(k, &yaml[s..start]).is_some() {
                return None;
            }
        }
        current = Some((key, start));
    }
    if let Some((k, s)) = current {
        if out.insert(k, &yaml[s..]).is_some() {
            return None;
        }
    }
    Some(out)
}

/// The key of a `key:` line whose key is a plain field name (lowercase letters, digits, `_`, `-`,
/// starting with a letter or `_`, and not a YAML word such as `null`).
fn plain_key(line: &str) -> Option<&str> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let rest = &line[colon + 1..];
    if !(rest.is_empty() || rest.starts_with([' ', '\n', '\r'])) {
        return None;
    }
    let mut bytes = key.bytes();
    let ok_first = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_');
    let ok_rest =
        bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    let word = matches!(
        key,
        "null" | "true" | "false" | "y" | "n" | "yes" | "no" | "on" | "off"
    );
    (ok_first && ok_rest && !word).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(fm: &str, body: &str) -> Vec<u8> {
        format!("---\n{fm}---\n{body}").into_bytes()
    }

    /// The whole-parse answer, to compare the block answer with.
    fn whole(old: &[u8], new: &[u8]) -> (Vec<FieldChange>, bool) {
        match (record::parse("", old).record, record::parse("", new).record) {
            (Some(o), Some(n)) => (field_changes(&o, &n), o.body != n.body),
            _ => (Vec::new(), true),
        }
    }

    fn names(d: &(Vec<FieldChange>, bool)) -> Vec<String> {
        d.0.iter()
            .map(|f| format!("{}:{:?}->{:?}", f.name, f.old, f.new))
            .collect()
    }

    #[test]
    fn blocks_cut_at_top_level_keys() {
        let b = blocks("id: DI-001\ntitle: A\ntraces_to:\n- UN-001\n- UN-002\nnotes: |\n  two\n\n  lines\n# c\n")
            .expect("plain");
        assert_eq!(
            b.keys().copied().collect::<Vec<_>>(),
            ["id", "title", "traces_to", "notes"]
        );
        assert_eq!(b["traces_to"], "traces_to:\n- UN-001\n- UN-002\n");
        assert_eq!(b["notes"], "notes: |\n  two\n\n  lines\n# c\n");
    }

    #[test]
    fn blocks_refuse_what_they_cannot_follow() {
        for yaml in [
            "a: &x 1\nb: *x\n",
            "a:\n\t- 1\n",
            "a: [1,\n2]\n",
            "a: 1\na: 2\n",
            "\"a\": 1\n",
            "null: 1\n",
            "A: 1\n",
            "  a: 1\n",
            "a:b\n",
            "? a\n: 1\n",
        ] {
            assert!(blocks(yaml).is_none(), "{yaml:?} was cut");
        }
    }

    #[test]
    fn block_diff_equals_whole_parse() {
        let base = "id: DI-001\ntype: design-input\ntitle: Bolus limit\nstatus: draft\ntraces_to: [UN-001]\nacceptance_criteria: |\n  at most\n  10 mL\n";
        let cases = [
            // One field edited, formatting of another changed (same value), one added, one removed.
            (
                base.to_string(),
                base.replace("status: draft", "status: approved"),
            ),
            (
                base.to_string(),
                base.replace("traces_to: [UN-001]", "traces_to:\n- UN-001\n"),
            ),
            (base.to_string(), format!("{base}category: safety\n")),
            (base.to_string(), base.replace("title: Bolus limit\n", "")),
            (base.to_string(), base.replace("10 mL", "12 mL")),
            // Fallbacks: an alias, a tab, a duplicate key.
            (base.to_string(), format!("{base}x: &a 1\ny: *a\n")),
            (
                base.to_string(),
                base.replace("status: draft", "status:\tdraft"),
            ),
        ];
        for (old, new) in cases {
            for (ob, nb) in [("body\n", "body\n"), ("body\n", "new body\n")] {
                let (o, n) = (rec(&old, ob), rec(&new, nb));
                let fast = versions(&o, &n);
                let slow = whole(&o, &n);
                assert_eq!(names(&fast), names(&slow), "{old:?} -> {new:?}");
                assert_eq!(fast.1, slow.1);
            }
        }
        let d = versions(
            &rec(base, "b"),
            &rec(&base.replace("status: draft", "status: approved"), "b"),
        );
        assert_eq!(
            names(&d),
            [r#"status:Some(String("draft"))->Some(String("approved"))"#]
        );
        assert!(!d.1);
    }

    #[test]
    fn not_a_record_counts_as_a_changed_body() {
        let d = versions(b"no front-matter", &rec("id: UN-001\n", ""));
        assert!(d.0.is_empty() && d.1);
    }
}
