//! Surgical edits of a record's front-matter: replace or add top-level fields, leave every other
//! line (comments, order, quoting, the body) exactly as the person wrote it.
//!
//! Re-serialising the whole YAML would lose comments and key order and would churn diffs in
//! review; ddf rewrites only the lines of the fields it owns, located through the front-matter's
//! key index.

use crate::front_matter::{self, KeyIndex, SplitError};
use serde_yaml::Value;

/// Renders `s` as a YAML scalar: plain when YAML reads it back as the same string, double-quoted
/// otherwise. `flow` is for items of `[...]` and `{...}`, where `,`, `:` and brackets need quotes.
pub fn scalar(s: &str, flow: bool) -> String {
    let s = s.replace(['\n', '\r'], " ");
    let quoted = || serde_json::to_string(&s).unwrap_or_else(|_| format!("\"{s}\""));
    let safe_chars = s
        .chars()
        .all(|c| c.is_alphanumeric() || " ._/@+-:~()=<>;*^".contains(c));
    let bad_start = s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`~ ".contains(c));
    if s.is_empty()
        || !safe_chars
        || bad_start
        || s.ends_with([' ', ':'])
        || s.contains(": ")
        || s.contains(" #")
        || (flow && s.contains([':', ',', '[', ']', '{', '}']))
    {
        return quoted();
    }
    // Only a scalar that starts like a number, or is one of YAML's words for true, false and
    // null, can read back as something else; asking the parser about every value would dominate
    // the time of a large import.
    let lower = s.to_ascii_lowercase();
    let maybe_other = s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '+' | '-'))
        || matches!(
            lower.as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "~"
        );
    if !maybe_other {
        return s;
    }
    match serde_yaml::from_str::<Value>(&s) {
        Ok(Value::String(back)) if back == s => s,
        _ => quoted(),
    }
}

/// `[a, b]` with each item a flow scalar.
pub fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| scalar(i, true))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `{ k: v, ... }` with flow scalars.
pub fn map(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return "{}".into();
    }
    format!(
        "{{ {} }}",
        pairs
            .iter()
            .map(|(k, v)| format!("{}: {}", scalar(k, true), scalar(v, true)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A new record file: `---`, one `key: value` line per field (`value` already rendered; an
/// empty value is written as `key:` with the comment, if any), `---`, the body.
pub fn render_record(fields: &[(String, String, Option<String>)], body: &str) -> String {
    let mut out = String::from("---\n");
    for (k, v, comment) in fields {
        let line = match (v.is_empty(), comment) {
            (true, Some(c)) => format!("{k}:  # {c}"),
            (true, None) => format!("{k}:"),
            (false, Some(c)) => format!("{k}: {v}  # {c}"),
            (false, None) => format!("{k}: {v}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("---\n");
    out.push_str(body);
    out
}

/// Why a record cannot be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the record's front-matter cannot be edited: {0}")]
pub struct EditError(pub String);

/// Sets top-level fields of the record text `text`: each `(key, rendered value)` replaces the
/// lines of that key (a trailing `# comment` on a one-line value is kept), or is added before the
/// closing `---` when the key is not there. Everything else is kept byte for byte.
pub fn set_fields(text: &str, updates: &[(String, String)]) -> Result<String, EditError> {
    if updates.is_empty() {
        return Ok(text.to_string());
    }
    let bom = text.starts_with('\u{feff}');
    let split =
        front_matter::split(text).map_err(|e: SplitError| EditError(e.message_and_hint().0))?;
    let index = KeyIndex::build(split.yaml, split.yaml_line);
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let fence_line = split.body_line - 1;
    let mut replace: Vec<Option<String>> = vec![None; lines.len() + 2];
    let mut drop = vec![false; lines.len() + 2];
    let mut append = String::new();
    for (key, value) in updates {
        match index.get(key) {
            Some(span) => {
                let first = lines.get(span.first_line - 1).copied().unwrap_or("");
                let comment = if span.first_line == span.last_line {
                    trailing_comment(first)
                } else {
                    ""
                };
                replace[span.first_line] = Some(format!("{key}: {value}{comment}{nl}"));
                for d in drop
                    .iter_mut()
                    .take(span.last_line + 1)
                    .skip(span.first_line + 1)
                {
                    *d = true;
                }
            }
            None => append.push_str(&format!("{key}: {value}{nl}")),
        }
    }
    let mut out = String::with_capacity(text.len() + append.len());
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        if n == fence_line {
            out.push_str(&append);
        }
        if drop[n] {
            continue;
        }
        match &replace[n] {
            Some(r) => out.push_str(r),
            None => out.push_str(line),
        }
    }
    debug_assert!(!bom || out.starts_with('\u{feff}'));
    Ok(out)
}

/// The ` # comment` after a one-line plain value, with its leading spaces and without the line
/// end; empty when there is none (or the value is quoted, where `#` may be text).
fn trailing_comment(line: &str) -> &str {
    let line = line.trim_end_matches(['\n', '\r']);
    let Some(colon) = line.find(':') else {
        return "";
    };
    let value = line[colon + 1..].trim_start();
    if value.starts_with(['"', '\'']) {
        return "";
    }
    match line[colon + 1..].find(" #") {
        Some(i) => {
            let at = colon + 1 + i;
            // Keep the spaces before `#` as they were.
            let start = line[..at].trim_end().len();
            &line[start..]
        }
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_quote_only_when_needed() {
        assert_eq!(scalar("zephyr", false), "zephyr");
        assert_eq!(scalar("pkg:npm/x@1.0", false), "pkg:npm/x@1.0");
        assert_eq!(scalar("pkg:npm/x@1.0", true), "\"pkg:npm/x@1.0\"");
        assert_eq!(scalar("2.0", false), "\"2.0\"");
        assert_eq!(scalar("3.6.0", false), "3.6.0");
        assert_eq!(scalar("true", false), "\"true\"");
        assert_eq!(scalar("a: b", false), "\"a: b\"");
        assert_eq!(scalar("#x", false), "\"#x\"");
        assert_eq!(scalar("", false), "\"\"");
        assert_eq!(
            scalar("MIT AND (Apache-2.0 OR MIT)", false),
            "MIT AND (Apache-2.0 OR MIT)"
        );
        assert_eq!(scalar("1.0.0-rc95", false), "1.0.0-rc95");
        assert_eq!(scalar("2024-07-26", false), "2024-07-26");
        assert_eq!(
            list(&["SUP-001".into(), "a,b".into()]),
            "[SUP-001, \"a,b\"]"
        );
        assert_eq!(
            map(&[("SHA-256".into(), "ab12".into())]),
            "{ SHA-256: ab12 }"
        );
    }

    #[test]
    fn edits_keep_comments_order_and_body() {
        let text = "---\nid: CMP-001\n# pinned by the firmware team\nversion: 3.5.1   # see CR-002\nlicense: >-\n  Apache-2.0\n  text\nowner: PER-001\n---\nBody stays.\n";
        let out = set_fields(
            text,
            &[
                ("version".into(), "3.5.2".into()),
                ("license".into(), "Apache-2.0".into()),
                ("purl".into(), "pkg:github/x/y@v3.5.2".into()),
            ],
        )
        .expect("edits");
        assert_eq!(
            out,
            "---\nid: CMP-001\n# pinned by the firmware team\nversion: 3.5.2   # see CR-002\nlicense: Apache-2.0\nowner: PER-001\npurl: pkg:github/x/y@v3.5.2\n---\nBody stays.\n"
        );
        let back = crate::record::parse("x.md", out.as_bytes())
            .record
            .expect("parses");
        assert_eq!(back.text("version").as_deref(), Some("3.5.2"));
    }

    #[test]
    fn crlf_is_kept() {
        let out = set_fields(
            "---\r\nid: A-001\r\n---\r\nb\r\n",
            &[("x".into(), "1".into())],
        )
        .expect("ok");
        assert_eq!(out, "---\r\nid: A-001\r\nx: 1\r\n---\r\nb\r\n");
    }

    #[test]
    fn no_front_matter_is_an_error() {
        assert!(set_fields("# text\n", &[("x".into(), "1".into())]).is_err());
    }
}
