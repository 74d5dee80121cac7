//! Shared output helpers: colours, tables, CSV and Markdown escaping.

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Styling on or off.
    pub fn new(on: bool) -> Self {
        Style { on }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// Red bold.
    pub fn error(&self, s: &str) -> String {
        self.paint("1;31", s)
    }

    /// Yellow bold.
    pub fn warning(&self, s: &str) -> String {
        self.paint("1;33", s)
    }

    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    /// Blue (gutters, arrows).
    pub fn dim(&self, s: &str) -> String {
        self.paint("1;34", s)
    }

    /// Green.
    pub fn ok(&self, s: &str) -> String {
        self.paint("32", s)
    }
}

/// `n` and the noun, singular for one: "1 error", "2 errors". `noun` is the singular; the
/// plural adds `s`, or `ies` for a final consonant + `y` ("1 advisory", "2 advisories").
pub(crate) fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        return format!("1 {noun}");
    }
    match noun.strip_suffix('y') {
        Some(stem) if !stem.ends_with(['a', 'e', 'o', 'u']) => format!("{n} {stem}ies"),
        _ => format!("{n} {noun}s"),
    }
}

/// Quotes a CSV field when needed (RFC 4180).
pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One CSV line.
pub(super) fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut s = fields
        .iter()
        .map(|f| csv_field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    s
}

/// Escapes text for a Markdown table cell.
pub(super) fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `s` followed by spaces up to `width` characters. Padded by hand: a width argument to
/// `format!` above `u16::MAX` panics, and a cell (a long name from an SBOM, a key of a record)
/// can be wider than that.
pub(super) fn pad(s: &str, width: usize) -> String {
    let mut out = String::with_capacity(s.len() + width);
    out.push_str(s);
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(s.chars().count()),
    ));
    out
}

/// A plain-text table with columns padded to their widest cell.
pub(super) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 < cells.len() {
                s.push_str(&pad(c, widths[i]));
                s.push_str("  ");
            } else {
                s.push_str(c);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

/// `head`, an object written by `serde_json::to_string_pretty` whose last member is `key` with an
/// empty list, with `items` as that list, each written on its own thread: the same text as
/// `to_string_pretty` of the whole, in a fraction of the time for a list of many megabytes.
/// Ends with a newline.
pub(super) fn pretty_json_with_list<T: serde::Serialize + Sync>(
    head: &str,
    key: &str,
    items: &[T],
) -> Result<String, String> {
    use rayon::prelude::*;
    let tail = format!("  \"{key}\": []\n}}");
    let Some(open) = head.strip_suffix(&tail) else {
        return Err(format!("`{key}` is not the last member of the object"));
    };
    if items.is_empty() {
        return Ok(format!("{head}\n"));
    }
    let parts: Vec<String> = items
        .par_iter()
        .map(|item| {
            // Members of the list sit two levels deep. A JSON string never holds a raw line
            // break, so indenting every line is exact.
            serde_json::to_string_pretty(item).map(|text| {
                let mut out = String::with_capacity(text.len() + text.len() / 8);
                for line in text.split('\n') {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str("    ");
                    out.push_str(line);
                }
                out
            })
        })
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let mut out =
        String::with_capacity(open.len() + parts.iter().map(String::len).sum::<usize>() + 64);
    out.push_str(open);
    out.push_str(&format!("  \"{key}\": [\n"));
    for (k, part) in parts.iter().enumerate() {
        if k > 0 {
            out.push_str(",\n");
        }
        out.push_str(part);
    }
    out.push_str("\n  ]\n}\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(count(1, "error"), "1 error");
        assert_eq!(count(0, "error"), "0 errors");
        assert_eq!(count(2, "change"), "2 changes");
        assert_eq!(count(1, "advisory"), "1 advisory");
        assert_eq!(count(3, "advisory"), "3 advisories");
        assert_eq!(count(2, "key"), "2 keys");
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_line(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\n");
    }

    #[test]
    fn table_pads() {
        let t = table(&["id", "title"], &[vec!["UN-001".into(), "A".into()]]);
        assert_eq!(t, "id      title\n------  -----\nUN-001  A\n");
        let t = table(&["a", "b", "c"], &[vec!["é".into(), "".into(), "x".into()]]);
        assert_eq!(t, "a  b  c\n-  -  -\né     x\n");
    }

    #[test]
    fn a_cell_wider_than_u16_is_padded() {
        let wide = "x".repeat(70_000);
        let t = table(
            &["name", "description", "id"],
            &[
                vec!["a".into(), wide.clone(), "1".into()],
                vec!["b".into(), "short".into(), "2".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[2], format!("a     {wide}  1"));
        assert_eq!(
            lines[3],
            format!("b     short{}  2", " ".repeat(70_000 - 5))
        );
    }

    #[test]
    fn a_list_written_in_parallel_reads_as_one_pretty_json() {
        #[derive(serde::Serialize)]
        struct Item {
            id: String,
            lines: Vec<String>,
            empty: Vec<u8>,
            nested: serde_json::Value,
        }
        #[derive(serde::Serialize)]
        struct Whole {
            tip: Option<String>,
            n: u32,
            entries: Vec<Item>,
        }
        let items = || {
            (0..3)
                .map(|k| Item {
                    id: format!("C-{k}"),
                    lines: vec!["a\nb".into(), "  \"quoted\"".into()],
                    empty: Vec::new(),
                    nested: serde_json::json!({"x": [1, {"y": null}], "z": {}}),
                })
                .collect::<Vec<_>>()
        };
        for n in [0, 1, 3] {
            let whole = Whole {
                tip: Some("abc".into()),
                n: 7,
                entries: items().into_iter().take(n).collect(),
            };
            let expected = serde_json::to_string_pretty(&whole).expect("json") + "\n";
            let list = items().into_iter().take(n).collect::<Vec<_>>();
            let head = serde_json::to_string_pretty(&Whole {
                entries: Vec::new(),
                ..whole
            })
            .expect("json");
            let got = super::pretty_json_with_list(&head, "entries", &list).expect("written");
            assert_eq!(got, expected, "{n} items");
        }
        assert!(super::pretty_json_with_list::<u8>("{\n  \"a\": 1\n}", "entries", &[]).is_err());
    }
}
