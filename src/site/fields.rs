//! Field values as HTML: structured values (a CAPA's `actions`, a management review's `inputs`,
//! a vulnerability's `cvss`) as tables and definition lists an auditor can read, and every id of
//! an existing record written anywhere in a value (nested, or inside a sentence) as a link.
//!
//! A list of maps is a table whose columns are the union of the maps' keys in first-seen order;
//! a map is a definition list (nested maps nest); a list of scalars is comma-separated; anything
//! else is a bulleted list. Every character of the value is escaped, and the only markup added is
//! the structure and the links, whose targets are built from well-formed ids only, so the result
//! needs no sanitiser.

use super::markdown::escape;
use serde_yaml::Value;

/// How deep a value is laid out as tables and lists; below that it is shown as YAML text. YAML
/// that deep is not written by hand, and the limit bounds the work on a hostile record.
const MAX_DEPTH: usize = 16;

/// `v` as HTML. `href` gives the link of an id (`None` for ids without a page).
pub fn value_html(v: &Value, href: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    write_value(&mut out, v, href, 0);
    out
}

/// `text`, escaped, with every id that has a page linked.
pub fn text_html(text: &str, href: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in crate::mentions::id_re().find_iter(text) {
        if let Some(h) = href(m.as_str()) {
            out.push_str(&escape(&text[last..m.start()]));
            out.push_str(&format!(
                "<a href=\"{}\">{}</a>",
                escape(&h),
                escape(m.as_str())
            ));
            last = m.end();
        }
    }
    out.push_str(&escape(&text[last..]));
    out
}

fn key_text(k: &Value) -> String {
    crate::record::scalar_text(k).unwrap_or_else(|| {
        serde_yaml::to_string(k)
            .unwrap_or_default()
            .trim_end()
            .to_string()
    })
}

fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => untag(&t.value),
        other => other,
    }
}

fn write_value(out: &mut String, v: &Value, href: &dyn Fn(&str) -> Option<String>, depth: usize) {
    let v = untag(v);
    if let Some(s) = crate::record::scalar_text(v) {
        out.push_str(&text_html(&s, href));
        return;
    }
    if depth >= MAX_DEPTH {
        out.push_str(&text_html(&super::views::value_text(v), href));
        return;
    }
    match v {
        Value::Sequence(items) if items.is_empty() => {}
        Value::Sequence(items)
            if items
                .iter()
                .all(|i| crate::record::scalar_text(untag(i)).is_some()) =>
        {
            for (k, i) in items.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                write_value(out, i, href, depth + 1);
            }
        }
        Value::Sequence(items) if items.iter().all(|i| untag(i).is_mapping()) => {
            // Columns: every key, in the order first seen.
            let mut columns: Vec<&Value> = Vec::new();
            for i in items {
                if let Value::Mapping(m) = untag(i) {
                    for k in m.keys() {
                        if !columns.contains(&k) {
                            columns.push(k);
                        }
                    }
                }
            }
            out.push_str("<table class=\"nested\">\n<thead><tr>");
            for c in &columns {
                out.push_str(&format!("<th>{}</th>", escape(&key_text(c))));
            }
            out.push_str("</tr></thead>\n<tbody>\n");
            for i in items {
                out.push_str("<tr>");
                if let Value::Mapping(m) = untag(i) {
                    for c in &columns {
                        let cell = m.get(*c);
                        // An id, a date or a number breaks at its hyphens in a narrow column;
                        // keep a one-word cell on one line.
                        let one_word = cell
                            .and_then(|v| crate::record::scalar_text(untag(v)))
                            .is_some_and(|t| !t.is_empty() && !t.contains(char::is_whitespace));
                        out.push_str(if one_word {
                            "<td class=\"nowrap\">"
                        } else {
                            "<td>"
                        });
                        if let Some(cell) = cell {
                            write_value(out, cell, href, depth + 1);
                        }
                        out.push_str("</td>");
                    }
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody>\n</table>");
        }
        Value::Sequence(items) => {
            out.push_str("<ul class=\"nested\">");
            for i in items {
                out.push_str("<li>");
                write_value(out, i, href, depth + 1);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        Value::Mapping(m) if m.is_empty() => {}
        Value::Mapping(m) => {
            out.push_str("<dl class=\"nested\">");
            for (k, val) in m {
                out.push_str(&format!("<dt>{}</dt><dd>", escape(&key_text(k))));
                write_value(out, val, href, depth + 1);
                out.push_str("</dd>");
            }
            out.push_str("</dl>");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn href(id: &str) -> Option<String> {
        (id != "PER-999").then(|| format!("../records/{id}.html"))
    }

    fn html(yaml: &str) -> String {
        value_html(&serde_yaml::from_str(yaml).expect("yaml"), &href)
    }

    #[test]
    fn list_of_maps_is_a_table_with_the_union_of_keys() {
        let h = html("- { step: 1, action: 'do <it> (CR-003)', owner: PER-004 }\n- { step: 2, done: 2024-04-15, owner: PER-999 }\n");
        assert!(
            h.contains("<th>step</th><th>action</th><th>owner</th><th>done</th>"),
            "{h}"
        );
        assert!(
            h.contains("<td>do &lt;it&gt; (<a href=\"../records/CR-003.html\">CR-003</a>)</td>"),
            "{h}"
        );
        // An id without a page stays text; a missing key is an empty cell.
        assert!(
            h.contains("<tr><td class=\"nowrap\">2</td><td></td><td class=\"nowrap\">PER-999</td><td class=\"nowrap\">2024-04-15</td></tr>"),
            "{h}"
        );
    }

    #[test]
    fn maps_are_definition_lists_nested() {
        let h = html("version: '3.1'\nscore: { base: 7.5, by: PER-001 }\n");
        assert_eq!(
            h,
            "<dl class=\"nested\"><dt>version</dt><dd>3.1</dd><dt>score</dt><dd><dl class=\"nested\"><dt>base</dt><dd>7.5</dd><dt>by</dt><dd><a href=\"../records/PER-001.html\">PER-001</a></dd></dl></dd></dl>"
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let v: Result<Value, _> = serde_yaml::from_str(&deep);
        if let Ok(v) = v {
            let h = value_html(&v, &href);
            assert!(h.matches("<ul").count() <= MAX_DEPTH + 1);
        }
    }
}
