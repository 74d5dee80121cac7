//! `ddf trace`: the trace matrix, in human, json, csv or md form, with gaps marked.

use super::output::{md_cell, table};
use super::{print, CliError, Env, Format};
use crate::trace::{matrix, Cell, Matrix, START_TYPES};

/// Print the trace matrix from a start type down to its evidence, with gaps marked.
///
/// Rows are (start record, next-column record) pairs; a column with no record, or an evidence
/// column (verification, validation) with no passing record, is a gap. Exit code 1 when there is
/// a gap, so CI can require a complete matrix.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The start type (name or prefix): user-need, design-input, hazard, hazardous-situation, threat, risk-control.
    #[arg(long, default_value = "user-need")]
    pub from: String,
}

const GAP: &str = "GAP";

/// Runs `ddf trace`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let format = env.format(&[Format::Human, Format::Json, Format::Csv, Format::Md])?;
    let (corpus, graph) = env.load()?;
    let from = corpus
        .config
        .schema
        .lookup(&args.from)
        .map(|t| t.name.clone())
        .filter(|n| START_TYPES.contains(&n.as_str()))
        .ok_or_else(|| {
            CliError::usage(format!("cannot draw a trace matrix from `{}`", args.from))
                .hint(format!("--from takes one of: {}", START_TYPES.join(", ")))
        })?;
    let m = matrix(&corpus, &graph, &from).ok_or_else(|| CliError::usage("no such start type"))?;
    // Two records with one id are both in the matrix, their cells marked with their files.
    for d in &m.duplicates {
        eprintln!(
            "ddf: warning: id {} is used by {} records ({}); both are in the matrix, marked with their files, and links to {} resolve to the first (`ddf check` reports duplicate-id)",
            d.id,
            d.paths.len(),
            d.paths.join(", "),
            d.id
        );
    }
    let text = match format {
        Format::Json => {
            serde_json::to_string_pretty(&m).map_err(|e| CliError::failed(e.to_string()))? + "\n"
        }
        Format::Csv => m.csv(),
        Format::Md => markdown(&m),
        // `env.format` refused the export-only formats.
        Format::Human | Format::Reqif | Format::Xlsx | Format::Cyclonedx | Format::Csaf => {
            human(&m, env)
        }
    };
    print(&text)?;
    Ok(if m.rows_with_gaps > 0 { 1 } else { 0 })
}

fn row_cells(m: &Matrix, gap: &dyn Fn(&str) -> String) -> Vec<Vec<String>> {
    m.rows
        .iter()
        .map(|r| {
            r.cells
                .iter()
                .zip(&m.columns)
                .map(|(cs, col)| {
                    let mut s = cs.iter().map(Cell::text).collect::<Vec<_>>().join(" ");
                    if r.gaps.contains(col) {
                        s = if s.is_empty() {
                            gap(GAP)
                        } else {
                            format!("{s} {}", gap(GAP))
                        };
                    }
                    s
                })
                .collect()
        })
        .collect()
}

fn human(m: &Matrix, env: &Env) -> String {
    let header: Vec<&str> = m.columns.iter().map(String::as_str).collect();
    // Colour is applied after padding would miscount widths, so gaps stay plain in the table.
    let rows = row_cells(m, &|g| g.to_string());
    let mut s = table(&header, &rows);
    let summary = format!(
        "{}, {} with gaps\n",
        super::output::count(m.rows.len(), "row"),
        m.rows_with_gaps
    );
    s.push('\n');
    s.push_str(&if m.rows_with_gaps > 0 {
        env.style.error(&summary)
    } else {
        env.style.ok(&summary)
    });
    s
}

fn markdown(m: &Matrix) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        m.columns.join(" | "),
        "---|".repeat(m.columns.len())
    );
    for r in row_cells(m, &|g| format!("**{g}**")) {
        s.push_str(&format!(
            "| {} |\n",
            r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
        ));
    }
    s.push_str(&format!(
        "\n{}, {} with gaps\n",
        super::output::count(m.rows.len(), "row"),
        m.rows_with_gaps
    ));
    s
}
