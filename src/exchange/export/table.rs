//! The records as a table, one row per record: `id, type, title, status`, each field, the
//! links of each link field (ids joined with `;`), the Markdown body last. As CSV (RFC 4180, one
//! table for every selected record) or as an XLSX workbook (a sheet per record type and a
//! `Links` sheet), written with `rust_xlsxwriter`.

use super::{fields, is_link_field, link_rows, links, schema_order};
use crate::corpus::Corpus;
use std::collections::{BTreeMap, BTreeSet};

/// The header and rows of the records `selected` (indices into `corpus.records`, in the order
/// given). Columns are the fields and link fields at least one of these records has.
pub fn rows(corpus: &Corpus, selected: &[usize]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut field_names = BTreeSet::new();
    let mut link_names = BTreeSet::new();
    for &i in selected {
        let r = &corpus.records[i];
        for (k, _) in fields(corpus, r) {
            field_names.insert(k);
        }
        for l in &r.links {
            link_names.insert(l.field.as_str());
        }
        // A link field written empty (`verifies: []`) still gets its column.
        for k in r.fields.keys() {
            if is_link_field(corpus, r, k) {
                link_names.insert(k.as_str());
            }
        }
    }
    // A name that is a plain field of one type and a link field of another (`source`) is one
    // column: a record has it as one or the other.
    let link_names = link_names.difference(&field_names).copied().collect();
    let field_cols = schema_order(corpus, field_names);
    let link_cols = schema_order(corpus, link_names);
    let mut header: Vec<String> = ["id", "type", "title", "status"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(field_cols.iter().cloned());
    header.extend(link_cols.iter().cloned());
    header.push("body".into());
    let rows = selected
        .iter()
        .map(|&i| {
            let r = &corpus.records[i];
            let fs: BTreeMap<&str, String> = fields(corpus, r).into_iter().collect();
            let ls = links(r);
            let mut row = vec![
                r.id.clone(),
                r.type_name.clone(),
                r.title(),
                r.status().to_string(),
            ];
            let links_of = |c: &str| ls.get(c).map(|v| v.join(";"));
            row.extend(field_cols.iter().map(|c| {
                fs.get(c.as_str())
                    .cloned()
                    .or_else(|| links_of(c))
                    .unwrap_or_default()
            }));
            row.extend(link_cols.iter().map(|c| links_of(c).unwrap_or_default()));
            row.push(r.body.clone());
            row
        })
        .collect();
    (header, rows)
}

/// One CSV field, quoted where needed (RFC 4180). A value a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP
/// advises: a record is written by anyone who can open a pull request.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut s = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    s
}

/// The records as CSV: a header line, then a line per record (line ends `\n`, as ddf's other
/// CSV outputs).
pub fn csv(corpus: &Corpus, selected: &[usize]) -> String {
    let (header, rows) = rows(corpus, selected);
    let mut s = csv_line(&header);
    for r in &rows {
        s.push_str(&csv_line(r));
    }
    s
}

/// Why the workbook could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the XLSX workbook: {0}")]
pub struct XlsxError(#[from] rust_xlsxwriter::XlsxError);

/// Excel's limit on the text of one cell.
const MAX_CELL: usize = 32_767;

/// A sheet name Excel accepts (at most 31 characters, none of `[]:*?/\`, not empty), distinct,
/// ignoring case, from the names in `taken`.
fn sheet_name(want: &str, taken: &mut BTreeSet<String>) -> String {
    let clean: String = want
        .chars()
        .map(|c| if "[]:*?/\\'".contains(c) { '_' } else { c })
        .collect();
    let clean = if clean.trim().is_empty() {
        "(no type)".to_string()
    } else {
        clean
    };
    let mut n = 1;
    loop {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("~{n}")
        };
        let base: String = clean.chars().take(31 - suffix.chars().count()).collect();
        let name = format!("{base}{suffix}");
        if taken.insert(name.to_lowercase()) {
            return name;
        }
        n += 1;
    }
}

/// The records as an XLSX workbook: a sheet per record type (in schema order, records in the
/// order given), then a `Links` sheet (`from, field, to`), each with a bold header row that
/// stays in view. The document's creation time is `created` (seconds since the Unix epoch), so
/// the same records give the same bytes. Cells longer than Excel's limit are cut, each listed
/// in the returned notes.
pub fn xlsx(
    corpus: &Corpus,
    selected: &[usize],
    created: i64,
) -> Result<(Vec<u8>, Vec<String>), XlsxError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
    let mut notes = Vec::new();
    let mut wb = Workbook::new();
    let when = ExcelDateTime::from_timestamp(created.max(0))?;
    wb.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&when)
            .set_title(&corpus.config.project)
            .set_comment(format!("ddf {}", env!("CARGO_PKG_VERSION"))),
    );
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let mut by_type: BTreeMap<(usize, String), Vec<usize>> = BTreeMap::new();
    for &i in selected {
        let t = &corpus.records[i].type_name;
        let rank = corpus
            .config
            .schema
            .types
            .get_index_of(t)
            .unwrap_or(usize::MAX);
        by_type.entry((rank, t.clone())).or_default().push(i);
    }
    let mut taken = BTreeSet::from(["links".to_string()]);
    let mut sheets: Vec<(String, Vec<String>, Vec<Vec<String>>)> = by_type
        .into_iter()
        .map(|((_, t), recs)| {
            let (h, r) = rows(corpus, &recs);
            (sheet_name(&t, &mut taken), h, r)
        })
        .collect();
    sheets.push((
        "Links".into(),
        vec!["from".into(), "field".into(), "to".into()],
        link_rows(corpus, selected)
            .into_iter()
            .map(|(a, f, b)| vec![a.to_string(), f.to_string(), b.to_string()])
            .collect(),
    ));
    for (name, header, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        for (c, h) in header.iter().enumerate() {
            let c = col(c)?;
            ws.write_string_with_format(0, c, h.as_str(), &bold)?;
            let width = match h.as_str() {
                "id" | "type" | "status" | "from" | "field" | "to" => 14.0,
                "title" => 40.0,
                "body" => 80.0,
                _ => 24.0,
            };
            ws.set_column_width(c, width)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, row) in rows.iter().enumerate() {
            let rn = u32::try_from(r + 1)
                .map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)?;
            for (c, v) in row.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                let cut: String;
                let v = if v.chars().count() > MAX_CELL {
                    notes.push(format!(
                        "sheet {name}, {} of {}: cut to Excel's {MAX_CELL} characters",
                        header.get(c).map_or("", String::as_str),
                        row.first().map_or("", String::as_str)
                    ));
                    cut = v.chars().take(MAX_CELL).collect();
                    cut.as_str()
                } else {
                    v.as_str()
                };
                if v.contains('\n') {
                    ws.write_string_with_format(rn, col(c)?, v, &wrap)?;
                } else {
                    ws.write_string(rn, col(c)?, v)?;
                }
            }
        }
    }
    Ok((wb.save_to_buffer()?, notes))
}

fn col(c: usize) -> Result<u16, rust_xlsxwriter::XlsxError> {
    u16::try_from(c).map_err(|_| rust_xlsxwriter::XlsxError::RowColumnLimitError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_not_run_and_quotes_are_doubled() {
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("- a\n- b"), "\"'- a\n- b\"");
        assert_eq!(csv_field("say \"hi\", then"), "\"say \"\"hi\"\", then\"");
        assert_eq!(csv_field("DI-001"), "DI-001");
    }

    #[test]
    fn sheet_names_are_valid_and_distinct() {
        let mut taken = BTreeSet::from(["links".to_string()]);
        assert_eq!(sheet_name("Links", &mut taken), "Links~2");
        let long = "a".repeat(40);
        let a = sheet_name(&long, &mut taken);
        let b = sheet_name(&long, &mut taken);
        assert_eq!(a.chars().count(), 31);
        assert!(b.ends_with("~2") && b.chars().count() == 31);
        assert_eq!(sheet_name("x/y", &mut taken), "x_y");
        assert_eq!(sheet_name("", &mut taken), "(no type)");
    }
}
