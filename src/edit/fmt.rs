//! The canonical layout of a record's front-matter (`ddf fmt`): keys in schema order, lists of
//! plain values in one style, nothing else touched.
//!
//! Canonical means:
//! - top-level keys in the order `id`, `type`, `title`, `status`, then the type's fields in
//!   schema order, then the keys the schema does not know, in the order they were written;
//! - a list of one-line texts written `key: [a, b]`, each item quoted only where YAML would
//!   otherwise read another value (`"#2"`, `"yes"`, `"a, b"`, `"*x"`);
//! - a one-line value that a YAML 1.1 reader would take for a boolean (`title: yes`) quoted;
//! - no blank lines between top-level keys.
//!
//! Everything else is kept as written: the key's own line, its value's quoting, comments (a
//! comment moves with the key below it; comments before the first key stay on top, comments
//! after the last stay at the end), a list with a comment inside it keeps its layout. The body is
//! never touched. The new front-matter must parse to the same values as the old one, key for
//! key, or the file is left alone ([`FmtError::Unsafe`]); formatting a formatted file changes
//! nothing.

use super::TextEdit;
use crate::front_matter::{self, KeyIndex};
use crate::schema::TypeDef;
use serde_yaml::Value;

/// Why a file is left as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FmtError {
    /// The front-matter cannot be read (`ddf check` says why).
    #[error("the front-matter cannot be read, so it is left as it is")]
    NotRead,
    /// The top-level keys could not all be located line by line (a complex key, a flow
    /// mapping at the top).
    #[error("the front-matter is written in a form ddf does not rearrange (its keys are not one per line), so it is left as it is")]
    Layout,
    /// The canonical form would not read as the same values.
    #[error("the canonical form would not read as the same values, so the file is left as it is")]
    Unsafe,
}

/// The position of `key` in the canonical order for type `t`: `id`, `type`, `title`,
/// `status`, the type's fields, then everything else (by `written`, its place in the file).
fn rank(key: &str, t: Option<&TypeDef>, written: usize) -> (usize, usize) {
    match key {
        "id" => (0, 0),
        "type" => (1, 0),
        "title" => (2, 0),
        "status" => (3, 0),
        _ => match t.and_then(|t| t.fields.get_index_of(key)) {
            Some(i) => (4, i),
            None => (5, written),
        },
    }
}

/// The line ending of `text`: `\r\n` if its first line has one.
fn eol(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if text[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// `key: [a, b]` for a list of one-line texts whose lines hold no comment, else `None` (the
/// block is kept as written).
fn flow_list(lines: &[&str], value: &Value, eol: &str) -> Option<String> {
    let Value::Sequence(items) = value else {
        return None;
    };
    let texts: Vec<&str> = items
        .iter()
        .map(|i| match i {
            Value::String(s) if !s.contains(['\n', '\r']) => Some(s.as_str()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    // A `#` may start a comment; keep such a list as it is rather than risk dropping one.
    if lines.iter().any(|l| has_comment(l)) {
        return None;
    }
    let first = lines.first()?;
    let colon = key_colon(first)?;
    let key = &first[..colon];
    let items: Vec<String> = texts.iter().map(|s| item(s)).collect();
    Some(format!("{key}: [{}]{eol}", items.join(", ")))
}

/// A list item as a flow scalar: plain where every YAML reader takes it for the same text,
/// double-quoted otherwise. serde_yaml reads YAML 1.2, where `yes`, `no`, `on` and `off` are
/// text, but YAML 1.1 readers (PyYAML in a pre-commit hook, many editors) take them for
/// booleans: quoted too.
fn item(s: &str) -> String {
    let yaml11_bool = matches!(
        s.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "y" | "n"
    );
    if yaml11_bool {
        return serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""));
    }
    crate::sbom::edit::scalar(s, true)
}

/// Whether `line` holds a YAML comment: a `#` at its start or after a space, outside quotes.
fn has_comment(line: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for c in line.chars() {
        match (quote, c) {
            (None, '#') if prev.is_whitespace() => return true,
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        // `\"` inside double quotes does not close them.
        prev = if quote == Some('"') && prev == '\\' && c == '\\' {
            ' '
        } else {
            c
        };
    }
    false
}

/// `key: "yes"` for a one-line plain value that ddf reads as text but a YAML 1.1 reader takes
/// for a boolean (`yes`, `no`, `on`, `off`, `y`, `n`), else `None`.
fn quoted_word(lines: &[&str], value: &Value, eol: &str) -> Option<String> {
    let (Value::String(s), [line]) = (value, lines) else {
        return None;
    };
    let colon = key_colon(line)?;
    let written = line[colon + 1..].trim();
    if written != s || has_comment(line) {
        return None;
    }
    let quoted = item(s);
    if !quoted.starts_with('"') {
        return None;
    }
    Some(format!("{}: {quoted}{eol}", &line[..colon]))
}

/// Byte offset of the colon that ends the top-level key on `line`.
fn key_colon(line: &str) -> Option<usize> {
    let first = line.chars().next()?;
    if first == '"' || first == '\'' {
        let close = line[1..].find(first)? + 1;
        return line[close + 1..].starts_with(':').then_some(close + 1);
    }
    line.find(": ")
        .or_else(|| {
            let t = line.trim_end();
            t.strip_suffix(':').map(str::len)
        })
        .or_else(|| line.find(':'))
}

/// Whether two mappings hold the same keys with the same values (in any order).
fn same_values(a: &serde_yaml::Mapping, b: &serde_yaml::Mapping) -> bool {
    a.len() == b.len() && a.iter().all(|(k, v)| b.get(k) == Some(v))
}

/// The edit that gives the record file `text` (of type `t`, when known) its canonical
/// front-matter: `None` when it has it already. The edit replaces the front-matter between
/// the fences; the fences and the body are not touched.
pub fn format(text: &str, t: Option<&TypeDef>) -> Result<Option<TextEdit>, FmtError> {
    let split = front_matter::split(text).map_err(|_| FmtError::NotRead)?;
    let yaml = split.yaml;
    if front_matter::too_deep(yaml, 1).is_some() {
        return Err(FmtError::NotRead);
    }
    let Ok(Value::Mapping(before)) = front_matter::parse_yaml(yaml) else {
        return Err(FmtError::NotRead);
    };
    let index = KeyIndex::build(yaml, 1);
    if !index.duplicates().is_empty() {
        return Err(FmtError::NotRead);
    }
    let keys: Vec<_> = index.keys().collect();
    let lines: Vec<&str> = yaml.split_inclusive('\n').collect();
    let located = keys.len() == before.len()
        && keys
            .iter()
            .all(|k| before.contains_key(Value::String(k.key.to_string())));
    if !located || keys.is_empty() {
        return Err(FmtError::Layout);
    }
    let eol = eol(yaml);
    let is_blank = |l: &&str| l.trim().is_empty();
    // Lines above the first key, and below the last one.
    let head: Vec<&str> = lines[..keys[0].first_line - 1]
        .iter()
        .filter(|l| !is_blank(l))
        .copied()
        .collect();
    let last = keys[keys.len() - 1].last_line;
    let tail: Vec<&str> = lines[last.min(lines.len())..]
        .iter()
        .filter(|l| !is_blank(l))
        .copied()
        .collect();
    // Each key's block: the comments above it (after the previous key's value), its lines.
    let mut blocks: Vec<((usize, usize), usize, String)> = Vec::with_capacity(keys.len());
    let mut from = keys[0].first_line;
    for (n, k) in keys.iter().enumerate() {
        let mut block = String::new();
        for l in &lines[from - 1..k.first_line - 1] {
            if !is_blank(l) {
                block.push_str(l);
            }
        }
        let own = &lines[k.first_line - 1..k.last_line.min(lines.len())];
        let value = before.get(Value::String(k.key.to_string()));
        let canonical =
            value.and_then(|v| flow_list(own, v, eol).or_else(|| quoted_word(own, v, eol)));
        match canonical {
            Some(flow) => block.push_str(&flow),
            None => own.iter().for_each(|l| block.push_str(l)),
        }
        // The file's last line may lack its line ending; a moved block needs one.
        if !block.ends_with('\n') {
            block.push_str(eol);
        }
        blocks.push((rank(k.key, t, n), n, block));
        from = k.last_line + 1;
    }
    blocks.sort_by_key(|(r, n, _)| (*r, *n));
    let mut out = String::with_capacity(yaml.len());
    head.iter().for_each(|l| out.push_str(l));
    blocks.iter().for_each(|(_, _, b)| out.push_str(b));
    tail.iter().for_each(|l| out.push_str(l));
    if !out.ends_with('\n') {
        out.push_str(eol);
    }
    if out == yaml {
        return Ok(None);
    }
    match front_matter::parse_yaml(&out) {
        Ok(Value::Mapping(after)) if same_values(&before, &after) => {}
        _ => return Err(FmtError::Unsafe),
    }
    let start = yaml.as_ptr() as usize - text.as_ptr() as usize;
    Ok(Some(TextEdit {
        range: start..start + yaml.len(),
        new_text: out,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> crate::config::Config {
        crate::config::Config::parse("project: t\n", "ddf.yaml")
            .expect("config")
            .0
    }

    fn fmt(text: &str) -> String {
        let config = schema();
        let t = config.schema.get("design-input");
        match format(text, t).expect("formats") {
            Some(e) => crate::edit::apply_text(text, &[e]),
            None => text.to_string(),
        }
    }

    #[test]
    fn keys_in_schema_order_comments_with_their_key_body_untouched() {
        let text = "---\n# top comment\ntraces_to:\n  - UN-001\n  - 'UN-002'\nzeta: 1\n\n# the owner\nowner: PER-001   # trailing\ntitle: \"Bolus test #2\"\nid: DI-001\nstatus: draft\ntype: design-input\n---\n  body: [not, yaml]\nid: DI-999\n";
        let out = fmt(text);
        assert_eq!(
            out,
            "---\n# top comment\nid: DI-001\ntype: design-input\ntitle: \"Bolus test #2\"\nstatus: draft\n# the owner\nowner: PER-001   # trailing\ntraces_to: [UN-001, UN-002]\nzeta: 1\n---\n  body: [not, yaml]\nid: DI-999\n"
        );
        assert_eq!(fmt(&out), out, "idempotent");
    }

    #[test]
    fn list_items_are_quoted_where_yaml_would_read_another_value() {
        let text = "---\nid: DI-001\ntags:\n  - \"yes\"\n  - 'a, b'\n  - '*x'\n  - \"#2\"\n  - 'on'\n  - plain\n---\n";
        let out = fmt(text);
        assert!(
            out.contains("tags: [\"yes\", \"a, b\", \"*x\", \"#2\", \"on\", plain]\n"),
            "{out}"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn lists_with_comments_or_non_text_items_keep_their_layout() {
        let text = "---\nid: DI-001\nrefs:\n  - UN-001 # why\nnums:\n  - 1\n  - 2\n---\n";
        assert_eq!(fmt(text), text);
        assert!(has_comment("  - 'a' # x") && has_comment("# x") && has_comment("  - a\t# x"));
        assert!(
            !has_comment("  - \"#2\"") && !has_comment("  - a#b") && !has_comment("  - 'it''s #1'")
        );
    }

    #[test]
    fn words_yaml_1_1_reads_as_booleans_are_quoted() {
        let text = "---\nid: DI-001\ntitle: yes\nstatus: 'on'\nzeta: No # a comment\nplain: yesterday\n---\n";
        let out = fmt(text);
        assert_eq!(
            out,
            "---\nid: DI-001\ntitle: \"yes\"\nstatus: 'on'\nzeta: No # a comment\nplain: yesterday\n---\n"
        );
        assert_eq!(fmt(&out), out);
    }

    #[test]
    fn crlf_is_kept() {
        let text = "---\r\ntitle: x\r\nid: DI-001\r\n---\r\nbody\r\n";
        assert_eq!(
            fmt(text),
            "---\r\nid: DI-001\r\ntitle: x\r\n---\r\nbody\r\n"
        );
    }

    #[test]
    fn unreadable_or_unusual_front_matter_is_left_alone() {
        let config = schema();
        assert_eq!(
            format("---\ntitle: [x\n---\n", None),
            Err(FmtError::NotRead)
        );
        assert_eq!(format("no fences\n", None), Err(FmtError::NotRead));
        assert_eq!(
            format(
                "---\n{id: DI-001, title: x}\n---\n",
                config.schema.get("design-input")
            ),
            Err(FmtError::Layout)
        );
    }

    #[test]
    fn a_block_scalar_ending_in_a_hash_line_is_not_split() {
        // KeyIndex takes the last `#` line of a block scalar for a comment: moving it with the
        // next key would change the text, so the file is refused rather than damaged.
        let text = "---\nzeta: |\n  text\n  # heading\nid: DI-001\n---\n";
        let r = format(text, None);
        assert!(matches!(r, Err(FmtError::Unsafe) | Ok(_)), "{r:?}");
        if let Ok(Some(e)) = r {
            let out = crate::edit::apply_text(text, &[e]);
            let a = front_matter::parse_yaml(front_matter::split(text).expect("s").yaml);
            let b = front_matter::parse_yaml(front_matter::split(&out).expect("s").yaml);
            assert_eq!(a.ok(), b.ok(), "{out}");
        }
    }
}
