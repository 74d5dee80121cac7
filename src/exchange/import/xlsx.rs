//! XLSX reader (the `calamine` crate, which reads the workbook in memory): the first sheet, or
//! the one the mapping's `columns.sheet` names, read as rows with a header row, then as
//! [`super::csv`] reads rows. Cells are taken as their displayed text (numbers without a
//! trailing `.0`, dates as `YYYY-MM-DD`).

use super::mapping::Columns;
use super::{read_bounded, Foreign, ReadError, Tool};
use calamine::{Data, Reader};
use std::path::Path;

/// The most cells a sheet may have.
const MAX_CELLS: usize = 50_000_000;

/// Reads an XLSX workbook.
pub fn read(path: &Path, shown: &str, columns: &Columns) -> Result<Foreign, ReadError> {
    let bytes = read_bounded(path, shown)?;
    let bad = |m: String| {
        ReadError::new(
            shown,
            None,
            m,
            "save the workbook as .xlsx (Excel 2007 or later) and import it again",
        )
    };
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("is not a readable XLSX workbook: {e}")))?;
    let names = book.sheet_names();
    let sheet = match &columns.sheet {
        Some(s) => names.iter().find(|n| *n == s).cloned().ok_or_else(|| {
            ReadError::new(
                shown,
                None,
                format!("has no sheet `{s}`"),
                format!("sheets: {}", names.join(", ")),
            )
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| bad("has no sheet".into()))?,
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| bad(format!("sheet `{sheet}`: {e}")))?;
    let (h, w) = range.get_size();
    if h.saturating_mul(w) > MAX_CELLS {
        return Err(bad(format!(
            "sheet `{sheet}` has more than {MAX_CELLS} cells"
        )));
    }
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let rows: Vec<(usize, Vec<String>)> = range
        .rows()
        .enumerate()
        .map(|(i, r)| (start_row + i + 1, r.iter().map(cell_text).collect()))
        .collect();
    let shown_sheet = format!("{shown}[{sheet}]");
    super::csv::items_from_rows(Tool::Xlsx, rows, &shown_sheet, columns)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => excel_date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`, with the time of day where it
/// has one (`YYYY-MM-DD HH:MM:SS`).
fn excel_date(serial: f64) -> String {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return serial.to_string();
    }
    let days = serial.floor() as i64 - 25_569; // to days since 1970-01-01
                                               // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    if secs == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates() {
        assert_eq!(excel_date(45_658.0), "2025-01-01");
        assert_eq!(excel_date(45_658.5), "2025-01-01 12:00:00");
        assert_eq!(excel_date(f64::NAN), "NaN");
    }

    #[test]
    fn not_a_workbook() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("x.xlsx");
        std::fs::write(&p, "id,title\n").expect("write");
        let e = read(&p, "x.xlsx", &Columns::default()).expect_err("not xlsx");
        assert!(e.message.contains("not a readable XLSX"), "{e}");
    }
}
