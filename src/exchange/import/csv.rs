//! CSV reader (the `csv` crate: quoting, embedded line breaks and `""` escapes as spreadsheets
//! write them): a header row names the columns; each further row is an item. Which columns hold
//! the id, title, text, type, document and links comes from the mapping's `columns` (defaults in
//! [`super::mapping::Columns`]); every other non-empty cell is an attribute named by its header.

use super::mapping::Columns;
use super::{read_bounded, utf8, Foreign, Item, Link, Location, ReadError, Skipped, Tool};
use std::path::Path;

/// Reads a CSV file (comma-separated; semicolon-separated when the header has more `;` than `,`,
/// as spreadsheets in many locales write).
pub fn read(path: &Path, shown: &str, columns: &Columns) -> Result<Foreign, ReadError> {
    let text = utf8(read_bounded(path, shown)?, shown)?;
    let header_line = text.lines().next().unwrap_or("");
    let delimiter = if header_line.matches(';').count() > header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows: Vec<(usize, Vec<String>)> = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            ReadError::new(
                shown,
                line,
                format!("is not valid CSV: {e}"),
                "check the quoting of the row",
            )
        })?;
        let line = r.position().map_or(0, |p| p.line() as usize);
        rows.push((line, r.iter().map(String::from).collect()));
        if rows.len() > super::MAX_ITEMS + 1 {
            return Err(ReadError::new(
                shown,
                None,
                format!("has more than {} rows", super::MAX_ITEMS),
                "split the file",
            ));
        }
    }
    items_from_rows(Tool::Csv, rows, shown, columns)
}

fn find(
    header: &[String],
    given: Option<&str>,
    defaults: &[&str],
    shown: &str,
) -> Result<Option<usize>, ReadError> {
    if let Some(g) = given {
        return header
            .iter()
            .position(|h| h.trim() == g)
            .map(Some)
            .ok_or_else(|| {
                ReadError::new(
                    shown,
                    Some(1),
                    format!("the mapping names column `{g}`, which the header row does not have"),
                    format!("columns: {}", header.join(", ")),
                )
            });
    }
    Ok(defaults
        .iter()
        .find_map(|d| header.iter().position(|h| h.trim().eq_ignore_ascii_case(d))))
}

/// Items from rows (the first is the header): shared by the CSV and XLSX readers.
pub fn items_from_rows(
    tool: Tool,
    rows: Vec<(usize, Vec<String>)>,
    shown: &str,
    columns: &Columns,
) -> Result<Foreign, ReadError> {
    let mut rows = rows.into_iter();
    let Some((_, header)) = rows.next() else {
        return Err(ReadError::new(
            shown,
            None,
            "is empty: no header row",
            "the first row names the columns (id, title, text, ...)",
        ));
    };
    let header: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
    let id = find(
        &header,
        columns.id.as_deref(),
        &["id", "uid", "key", "identifier"],
        shown,
    )?;
    let title = find(
        &header,
        columns.title.as_deref(),
        &["title", "name", "heading", "summary"],
        shown,
    )?;
    let text = find(
        &header,
        columns.text.as_deref(),
        &["text", "statement", "description", "body"],
        shown,
    )?;
    let source_type = find(
        &header,
        columns.source_type.as_deref(),
        &["type", "kind"],
        shown,
    )?;
    let document = find(
        &header,
        columns.document.as_deref(),
        &["document", "module"],
        shown,
    )?;
    let mut links: Vec<(usize, String)> = Vec::new();
    if columns.links.is_empty() {
        for d in ["parent", "parents", "links", "traces_to"] {
            if let Some(i) = header.iter().position(|h| h.eq_ignore_ascii_case(d)) {
                links.push((i, "parent".into()));
            }
        }
    } else {
        for (col, role) in &columns.links {
            let i = find(&header, Some(col), &[], shown)?.unwrap_or(0);
            links.push((i, role.clone()));
        }
    }
    let Some(id) = id else {
        return Err(ReadError::new(
            shown,
            Some(1),
            "has no id column",
            "name it `id` in the header row, or map it: `columns: { id: YOUR COLUMN }`",
        ));
    };
    let special: Vec<usize> = [Some(id), title, text, source_type, document]
        .into_iter()
        .flatten()
        .chain(links.iter().map(|(i, _)| *i))
        .collect();
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for (line, row) in rows {
        let cell = |i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let location = Location {
            file: shown.to_string(),
            line: Some(line),
        };
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let Some(source_id) = cell(Some(id)) else {
            skipped.push(Skipped {
                source_id: String::new(),
                location,
                reason: format!("the id column `{}` is empty", header[id]),
            });
            continue;
        };
        let mut item = Item {
            source_id,
            source_type: cell(source_type).unwrap_or_default(),
            document: cell(document).unwrap_or_default(),
            level: 0,
            title: cell(title),
            text: text
                .and_then(|i| row.get(i))
                .filter(|s| !s.trim().is_empty())
                .cloned(),
            location,
            ..Item::default()
        };
        for (i, role) in &links {
            for t in super::split_ids(row.get(*i).map_or("", String::as_str)) {
                item.links.push(Link {
                    role: role.clone(),
                    target: t,
                });
            }
        }
        for (i, v) in row.iter().enumerate() {
            if special.contains(&i) || v.trim().is_empty() {
                continue;
            }
            let name = header
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("column {}", i + 1));
            item.attributes.push((name, v.clone()));
        }
        items.push(item);
    }
    Ok(Foreign {
        tool,
        items,
        skipped,
        ddf_convention: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rows_links_and_attributes() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("r.csv");
        std::fs::write(&p, "ID,Title,Description,Parent,Priority\nR-1,One,\"Line one\nline two\",,high\n,No id,x,,\nR-2,Two,Text,\"R-1; R-9\",\n").expect("write");
        let f = read(&p, "r.csv", &Columns::default()).expect("read");
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.items[0].text.as_deref(), Some("Line one\nline two"));
        assert_eq!(
            f.items[0].attributes,
            vec![("Priority".to_string(), "high".to_string())]
        );
        assert_eq!(f.items[1].links.len(), 2);
        assert_eq!(f.items[1].location.line, Some(5));
        assert_eq!(f.skipped.len(), 1);
        assert_eq!(f.skipped[0].location.line, Some(4));
        let cols = Columns {
            id: Some("Key".into()),
            ..Columns::default()
        };
        let e = read(&p, "r.csv", &cols).expect_err("no such column");
        assert!(e.message.contains("`Key`"));
    }
}
