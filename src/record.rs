//! A record: one Markdown file with YAML front-matter, parsed with positions.
//!
//! Parsing stops at what the file itself gets wrong (encoding, fences, YAML); checking the
//! fields against the schema is the `structure` rules' job. The body is kept verbatim.

use crate::diagnostic::{Diagnostic, Pos};
use crate::front_matter::{self, KeyIndex, SplitError};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use serde_yaml::Value;

/// A link written in a record: `field` names `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link field (`traces_to`).
    pub field: String,
    /// The id named.
    pub target: String,
    /// Where the id is written.
    pub pos: Option<Pos>,
    /// Whether trace walks follow it (`link` fields do, `ref` fields such as `owner` do not).
    pub trace: bool,
}

/// A parsed record.
#[derive(Debug, Clone)]
pub struct Record {
    /// The `id` field, or empty if there is none.
    pub id: String,
    /// The `type` field, or empty if there is none.
    pub type_name: String,
    /// Path relative to the DDF root.
    pub path: String,
    /// Front-matter fields, in file order. Fx hashing: keys are short and trusted enough (a
    /// record is checked by its own team), and field lookups are the hottest path of the rules.
    pub fields: IndexMap<String, Value, FxBuildHasher>,
    /// The Markdown body, verbatim.
    pub body: String,
    /// 1-based line on which the body starts.
    pub body_line: usize,
    /// Positions of the front-matter keys.
    pub index: KeyIndex,
    /// Links resolved against the schema (filled in by the structure rules).
    pub links: Vec<Link>,
    /// The Git blob id of the file's content, as `git hash-object` computes it: what an
    /// approval pins, and how history tells whether the working copy changed.
    pub blob: String,
}

/// Renders a scalar YAML value as text (strings, numbers, booleans).
pub fn scalar_text(v: &Value) -> Option<String> {
    scalar_str(v).map(std::borrow::Cow::into_owned)
}

/// [`scalar_text`], borrowing a string value instead of copying it.
pub fn scalar_str(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Tagged(t) => scalar_str(&t.value),
        _ => None,
    }
}

/// Whether a value counts as given: not null, not blank, not an empty list or map.
pub fn is_given(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Sequence(s) => !s.is_empty(),
        Value::Mapping(m) => !m.is_empty(),
        Value::Tagged(t) => is_given(&t.value),
        _ => true,
    }
}

impl Record {
    /// The raw value of a field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field)
    }

    /// A scalar field as text.
    pub fn text(&self, field: &str) -> Option<String> {
        self.get(field)
            .and_then(scalar_text)
            .filter(|s| !s.trim().is_empty())
    }

    /// A string field, borrowed (only for YAML strings).
    pub fn str(&self, field: &str) -> Option<&str> {
        match self.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.as_str()),
            _ => None,
        }
    }

    /// A list field as text items; a single scalar counts as a list of one.
    pub fn list(&self, field: &str) -> Vec<String> {
        match self.get(field) {
            Some(Value::Sequence(items)) => items.iter().filter_map(scalar_text).collect(),
            Some(v) => scalar_text(v)
                .into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect(),
            None => Vec::new(),
        }
    }

    /// A boolean field (`true` / `false`).
    pub fn flag(&self, field: &str) -> bool {
        matches!(self.get(field), Some(Value::Bool(true)))
    }

    /// Whether a field is given in the front-matter (the Markdown body standing in for a text
    /// field is not counted here; the schema check accepts it).
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some_and(is_given)
    }

    /// The `status` field, or empty.
    pub fn status(&self) -> &str {
        self.str("status").unwrap_or("")
    }

    /// The `title` field, or empty.
    pub fn title(&self) -> String {
        self.text("title").unwrap_or_default()
    }

    /// Whether the body has any text.
    pub fn has_body(&self) -> bool {
        !self.body.trim().is_empty()
    }

    /// The id prefix (`DI` of `DI-004`).
    pub fn prefix(&self) -> &str {
        self.id.split('-').next().unwrap_or("")
    }

    /// Ids named by link field `field` (trace links and refs).
    pub fn links_of<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.links
            .iter()
            .filter(move |l| l.field == field)
            .map(|l| l.target.as_str())
    }
}

/// The result of parsing one file: a record (if the front-matter is a mapping) and findings.
pub struct Parsed {
    /// The record, when the file has a readable front-matter mapping.
    pub record: Option<Record>,
    /// Findings about the file.
    pub diagnostics: Vec<Diagnostic>,
}

fn yaml_hint(msg: &str) -> &'static str {
    if msg.contains("mapping values are not allowed") {
        "a value that contains `: ` must be quoted, e.g. title: \"Alarm: occlusion\""
    } else if msg.contains("did not find expected") || msg.contains("could not find expected") {
        "check the indentation, and that every `[` and `{` is closed"
    } else if msg.contains("found character that cannot start any token") {
        "quote values that start with `@`, a backtick, `%` or a tab"
    } else if msg.contains("repetition limit")
        || msg.contains("recursion limit")
        || msg.contains("anchors and aliases expand")
    {
        "YAML anchors and aliases that expand exponentially, and nesting beyond 128 levels, are refused; write the values out"
    } else if msg.contains("duplicate") {
        "each key may appear once; keep one of the two"
    } else {
        "check the YAML syntax near that position"
    }
}

/// Whether a YAML error reported on line `err_line` (1-based, in `yaml`) comes from a key
/// indented under a line whose value is complete (`title: x` then `  status: draft`): returns
/// the indented key's line and name. A key indented under `key:` with no value, or under a list
/// item, is nested on purpose and not reported.
fn indented_key(yaml: &str, err_line: usize) -> Option<(usize, String)> {
    let lines: Vec<&str> = yaml.lines().collect();
    let content = |l: &&&str| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    };
    // libyaml reports the error on the indented line or the line after it.
    for line in [err_line, err_line.saturating_sub(1)] {
        let Some(text) = line.checked_sub(1).and_then(|i| lines.get(i)) else {
            continue;
        };
        let indent = text.len() - text.trim_start_matches(' ').len();
        let key = text.trim_start();
        let Some(name) = key.split_once(':').map(|(k, _)| k).filter(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        }) else {
            continue;
        };
        if indent == 0
            || !(key[name.len() + 1..].is_empty() || key[name.len() + 1..].starts_with(' '))
        {
            continue;
        }
        let Some(above) = lines[..line - 1].iter().rev().find(content) else {
            continue;
        };
        let above_indent = above.len() - above.trim_start_matches(' ').len();
        let above = above.trim_start();
        let complete = above.split_once(": ").is_some_and(|(_, v)| {
            !v.trim().is_empty() && !v.trim_start().starts_with(['|', '>', '&', '#'])
        }) && !above.starts_with('-');
        if above_indent < indent && complete {
            return Some((line, name.to_string()));
        }
    }
    None
}

/// The Git blob id of `bytes`, as `git hash-object` computes it.
pub fn blob_id(bytes: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(40);
    for b in h.finalize() {
        id.push(char::from(HEX[usize::from(b >> 4)]));
        id.push(char::from(HEX[usize::from(b & 15)]));
    }
    id
}

/// Parses the bytes of the file at `path` (relative to the DDF root).
pub fn parse(path: &str, bytes: &[u8]) -> Parsed {
    parse_with_blob(path, bytes, None)
}

/// [`parse`], for bytes whose blob id is known already (read from Git by id): hashing them again
/// would cost as much as parsing.
pub fn parse_with_blob(path: &str, bytes: &[u8], blob: Option<String>) -> Parsed {
    let mut diags = Vec::new();
    let fail = |d: Diagnostic| Parsed {
        record: None,
        diagnostics: vec![d],
    };
    let text =
        match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return fail(
                Diagnostic::new("not-utf8", path, "the file is not valid UTF-8")
                    .at(Some(front_matter::utf8_error_pos(bytes)))
                    .hint(
                        "save the file as UTF-8 (most editors: File > Save with Encoding > UTF-8)",
                    ),
            ),
        };
    let split = match front_matter::split(text) {
        Ok(s) => s,
        Err(e) => {
            let (message, hint) = e.message_and_hint();
            let pos = match e {
                SplitError::Empty => None,
                _ => Some(Pos::new(1, 1)),
            };
            return fail(
                Diagnostic::new("front-matter", path, message)
                    .at(pos)
                    .hint(hint),
            );
        }
    };
    let index = KeyIndex::build(split.yaml, split.yaml_line);
    if let Some(pos) = index.tab_indent() {
        return fail(
            Diagnostic::new("yaml", path, "a tab is used for indentation")
                .at(Some(pos))
                .hint("YAML indents with spaces only; replace the tab with spaces"),
        );
    }
    if let Some((key, first, again)) = index.duplicates().first() {
        return fail(
            Diagnostic::new(
                "yaml",
                path,
                format!("`{key}` is written twice (first on line {})", first.line),
            )
            .at(Some(*again))
            .hint("each key may appear once; keep one of the two"),
        );
    }
    if let Some(pos) = front_matter::too_deep(split.yaml, split.yaml_line) {
        return fail(
            Diagnostic::new(
                "yaml",
                path,
                format!(
                    "the front-matter nests deeper than {} levels",
                    front_matter::MAX_DEPTH
                ),
            )
            .at(Some(pos))
            .hint("records need a few levels at most; flatten the structure"),
        );
    }
    let value: Value = match front_matter::parse_yaml(split.yaml) {
        Ok(v) => v,
        Err(e) => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            let mut pos = e
                .location()
                .map(|l| Pos::new(l.line() + split.yaml_line - 1, l.column()))
                .or(Some(Pos::new(split.yaml_line, 1)));
            let mut hint = yaml_hint(&msg).to_string();
            // An indented key makes libyaml complain about `: ` in a value: say what is wrong.
            if let Some((line, key)) = e
                .location()
                .and_then(|l| indented_key(split.yaml, l.line()))
            {
                pos = Some(Pos::new(line + split.yaml_line - 1, 1));
                hint = format!(
                    "`{key}:` on line {} is indented, so YAML reads it as part of the value above; start the key at column 1 (remove the leading spaces)",
                    line + split.yaml_line - 1
                );
            }
            return fail(
                Diagnostic::new(
                    "yaml",
                    path,
                    format!("the front-matter is not valid YAML: {msg}"),
                )
                .at(pos)
                .hint(hint),
            );
        }
    };
    let mapping =
        match value {
            Value::Mapping(m) => m,
            Value::Null => return fail(
                Diagnostic::new("front-matter", path, "the front-matter is empty")
                    .at(Some(Pos::new(1, 1)))
                    .hint(
                        "write at least id, type, title, status and owner between the `---` lines",
                    ),
            ),
            other => {
                let kind = match other {
                    Value::Sequence(_) => "a list",
                    Value::String(_) => "a plain string",
                    _ => "a single value",
                };
                return fail(
                    Diagnostic::new(
                        "front-matter",
                        path,
                        format!("the front-matter is {kind}, not a mapping of fields"),
                    )
                    .at(Some(Pos::new(split.yaml_line, 1)))
                    .hint("write one `field: value` per line"),
                );
            }
        };
    let mut fields = IndexMap::with_capacity_and_hasher(mapping.len(), FxBuildHasher);
    for (k, v) in mapping {
        match scalar_text(&k) {
            Some(key) => {
                fields.insert(key, v);
            }
            None => diags.push(
                Diagnostic::new(
                    "yaml",
                    path,
                    "a key of the front-matter is a list or mapping, not a name",
                )
                .at(Some(Pos::new(split.yaml_line, 1)))
                .hint("keys are plain names such as `title`"),
            ),
        }
    }
    let id = fields.get("id").and_then(scalar_text).unwrap_or_default();
    let type_name = fields.get("type").and_then(scalar_text).unwrap_or_default();
    Parsed {
        record: Some(Record {
            id,
            type_name,
            path: path.to_string(),
            fields,
            body: split.body.to_string(),
            body_line: split.body_line,
            index,
            links: Vec::new(),
            blob: blob.unwrap_or_else(|| blob_id(bytes)),
        }),
        diagnostics: diags,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn blob_id_is_gits() {
        // `printf 'hello\n' | git hash-object --stdin`, and the empty blob.
        assert_eq!(
            super::blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            super::blob_id(b""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }

    use super::*;

    fn one(bytes: &[u8]) -> Diagnostic {
        let p = parse("records/x.md", bytes);
        assert!(p.record.is_none());
        p.diagnostics.into_iter().next().expect("a finding")
    }

    #[test]
    fn parses_fields_and_body() {
        let p = parse(
            "records/UN-001.md",
            b"---\nid: UN-001\ntype: user-need\ntags: [a, b]\n---\n\nThe need.\n",
        );
        let r = p.record.expect("record");
        assert_eq!(r.id, "UN-001");
        assert_eq!(r.type_name, "user-need");
        assert_eq!(r.list("tags"), vec!["a", "b"]);
        assert_eq!(r.body, "\nThe need.\n");
        assert_eq!(r.body_line, 6);
        assert_eq!(
            r.fields.keys().collect::<Vec<_>>(),
            vec!["id", "type", "tags"]
        );
    }

    #[test]
    fn yaml_error_position_is_in_the_file() {
        let d = one(b"---\nid: UN-001\ntitle: [unclosed\nstatus: draft\n---\n");
        assert_eq!(d.rule, "yaml");
        assert!(d.line.expect("line") >= 3, "{d:?}");
        assert!(d.hint.is_some());
    }

    #[test]
    fn colon_in_value_gets_quoting_hint() {
        let d = one(b"---\nid: UN-001\ntitle: Alarm: occlusion\n---\n");
        assert_eq!(d.rule, "yaml");
        assert_eq!(d.line, Some(3));
        assert!(d.hint.as_deref().unwrap_or("").contains("quoted"));
    }

    #[test]
    fn indented_key_gets_an_indentation_hint() {
        for text in [
            &b"---\nid: UN-001\ntitle: Alarm\n  status: draft\n---\n"[..],
            b"---\nid: UN-001\ntitle: Alarm\n  status: draft\nowner: PER-001\n---\n",
        ] {
            let d = one(text);
            assert_eq!(
                (d.rule, d.line, d.column),
                ("yaml", Some(4), Some(1)),
                "{d:?}"
            );
            let hint = d.hint.unwrap_or_default();
            assert!(hint.contains("`status:` on line 4 is indented"), "{hint}");
            assert!(!hint.contains("quoted"), "{hint}");
        }
        // A value with `: ` keeps the quoting hint.
        let d = one(b"---\nid: UN-001\ntitle: Alarm: occlusion\n---\n");
        assert!(d.hint.as_deref().unwrap_or("").contains("quoted"));
    }

    #[test]
    fn duplicate_key_is_located() {
        let d = one(b"---\nid: UN-001\ntitle: a\ntitle: b\n---\n");
        assert_eq!((d.rule, d.line, d.column), ("yaml", Some(4), Some(1)));
    }

    #[test]
    fn tab_is_located() {
        let d = one(b"---\nid: UN-001\nlist:\n\t- a\n---\n");
        assert_eq!((d.rule, d.line), ("yaml", Some(4)));
    }

    #[test]
    fn not_a_mapping() {
        assert_eq!(one(b"---\n- a\n- b\n---\n").rule, "front-matter");
        assert_eq!(one(b"---\njust text\n---\n").rule, "front-matter");
        assert_eq!(one(b"---\n---\nbody\n").rule, "front-matter");
    }

    #[test]
    fn missing_and_unterminated_front_matter() {
        assert_eq!(one(b"# Just markdown\n").rule, "front-matter");
        let d = one(b"---\nid: UN-001\n");
        assert!(d.hint.as_deref().unwrap_or("").contains("closing"));
        assert_eq!(one(b"").rule, "front-matter");
    }

    #[test]
    fn not_utf8() {
        let d = one(b"---\nid: UN-001\ntitle: caf\xe9\n---\n");
        assert_eq!((d.rule, d.line, d.column), ("not-utf8", Some(3), Some(11)));
    }

    #[test]
    fn alias_bomb_is_refused_quickly() {
        let mut y = String::from("---\nid: UN-001\na: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='k' {
            y.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = c;
        }
        y.push_str("---\n");
        let d = one(y.as_bytes());
        assert_eq!(d.rule, "yaml");
    }

    /// Three levels of lists of aliases: few alias jumps (serde_yaml's own limit counts those),
    /// but 1,000 x 1,000 x 20 values. Before the node budget this took seconds and gigabytes.
    fn wide_alias_bomb() -> String {
        let xs = vec!["x"; 1000].join(", ");
        let a = vec!["*a"; 1000].join(", ");
        let b = vec!["*b"; 20].join(", ");
        format!("---\nid: UN-001\nxs: &a [{xs}]\nas: &b [{a}]\nbs: [{b}]\n---\n")
    }

    #[test]
    fn alias_bomb_within_the_repetition_limit_is_refused() {
        let d = one(wide_alias_bomb().as_bytes());
        assert_eq!(d.rule, "yaml");
        assert!(d.message.contains("anchors and aliases expand"), "{d:?}");
        assert!(d.line.is_some_and(|l| l >= 2), "{d:?}");
        assert!(d.hint.as_deref().unwrap_or("").contains("anchors"), "{d:?}");
    }

    #[test]
    fn aliases_within_the_budget_are_read() {
        let p = parse(
            "records/x.md",
            b"---\nid: UN-001\nbase: &ids [UN-002, UN-003]\nmore: *ids\ntitle: \"a * b & c\"\n---\n",
        );
        let r = p.record.expect("record");
        assert_eq!(r.list("more"), vec!["UN-002", "UN-003"]);
        assert_eq!(r.title(), "a * b & c");
        // Within the budget: a short front-matter may expand to nearly 10,000 values.
        let xs = vec!["x"; 98].join(",");
        let refs = vec!["*a"; 98].join(",");
        let text = format!("---\nid: UN-001\nxs: &a [{xs}]\nys: [{refs}]\n---\n");
        assert!(parse("records/x.md", text.as_bytes()).record.is_some());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let y = format!(
            "---\nid: UN-001\nx: {}{}\n---\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(one(y.as_bytes()).rule, "yaml");
    }
}
