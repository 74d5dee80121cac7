//! The trace matrix: from each record of a start type, down the trace graph column by column
//! (user need -> design input -> design output -> verification, validation), with gaps marked.
//!
//! A row is one (start record, pivot record) pair, the pivot being a record of the second column
//! that traces to the start. Every further column lists the records of its type downstream of the
//! pivot (or of the start, for columns that attach to the start, such as validations of a user
//! need), walking only through the matrix's own types. An empty column is a gap.

use crate::corpus::Corpus;
use crate::graph::Graph;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

/// One column of a matrix.
#[derive(Debug, Clone, Copy)]
struct Column {
    type_name: &'static str,
    /// Downstream of the start rather than of the pivot.
    from_start: bool,
}

/// The start types a matrix can be drawn from, with their columns.
fn layout(start: &str) -> Option<Vec<Column>> {
    let c = |type_name, from_start| Column {
        type_name,
        from_start,
    };
    Some(match start {
        "user-need" => vec![
            c("user-need", true),
            c("design-input", true),
            c("design-output", false),
            c("verification", false),
            c("validation", true),
        ],
        "design-input" => vec![
            c("design-input", true),
            c("design-output", true),
            c("verification", true),
        ],
        "hazard" => vec![
            c("hazard", true),
            c("hazardous-situation", true),
            c("risk-control", false),
            c("design-input", false),
            c("design-output", false),
            c("verification", false),
        ],
        "hazardous-situation" => vec![
            c("hazardous-situation", true),
            c("risk-control", true),
            c("design-input", false),
            c("design-output", false),
            c("verification", false),
        ],
        "threat" => vec![
            c("threat", true),
            c("risk-control", true),
            c("design-input", false),
            c("design-output", false),
            c("verification", false),
        ],
        "risk-control" => vec![
            c("risk-control", true),
            c("design-input", true),
            c("design-output", true),
            c("verification", true),
        ],
        _ => return None,
    })
}

/// Start types `ddf trace --from` accepts.
pub const START_TYPES: &[&str] = &[
    "user-need",
    "design-input",
    "hazard",
    "hazardous-situation",
    "threat",
    "risk-control",
];

/// A record in a cell.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    /// Record id.
    pub id: String,
    /// Record title.
    pub title: String,
    /// Record status.
    pub status: String,
    /// `result` of a verification or validation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// Another record has the same id (`duplicate-id`): the path of this one, so the two
    /// can be told apart. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<String>,
}

/// An id two or more records share.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateId {
    /// The id.
    pub id: String,
    /// The records' files, in path order.
    pub paths: Vec<String>,
}

/// One row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Cells per column, in column order.
    pub cells: Vec<Vec<Cell>>,
    /// Names of the columns that are gaps in this row.
    pub gaps: Vec<String>,
}

/// A trace matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    /// The start type.
    pub from: String,
    /// Column type names.
    pub columns: Vec<String>,
    /// Rows, in start-record then pivot order.
    pub rows: Vec<Row>,
    /// Number of rows with at least one gap.
    pub rows_with_gaps: usize,
    /// Ids two or more records share; each such record is in the matrix, its cells marked.
    /// Absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<DuplicateId>,
}

impl Cell {
    /// The cell as the text outputs print it: the id, with a verification or validation result
    /// other than `pass` in brackets.
    pub fn text(&self) -> String {
        let mut s = match &self.result {
            Some(r) if r != "pass" => format!("{} ({r})", self.id),
            _ => self.id.clone(),
        };
        if let Some(path) = &self.duplicate {
            s.push_str(&format!(" (duplicate id: {path})"));
        }
        s
    }
}

impl Matrix {
    /// The matrix as CSV (RFC 4180): one column per type (ids separated by `;`), then `gaps`.
    /// `ddf trace --format csv` and the site's download file are this text.
    pub fn csv(&self) -> String {
        let mut header: Vec<String> = self.columns.clone();
        header.push("gaps".into());
        let mut s = csv_line(&header);
        for r in &self.rows {
            let mut cells: Vec<String> = r
                .cells
                .iter()
                .map(|cs| cs.iter().map(Cell::text).collect::<Vec<_>>().join(";"))
                .collect();
            cells.push(r.gaps.join(";"));
            s.push_str(&csv_line(&cells));
        }
        s
    }
}

/// One CSV line, fields quoted where needed.
fn csv_line(fields: &[String]) -> String {
    let mut s = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    s.push('\n');
    s
}

fn is_evidence(type_name: &str) -> bool {
    matches!(type_name, "verification" | "validation")
}

fn cell(corpus: &Corpus, i: usize, dups: &BTreeMap<&str, Vec<&str>>) -> Cell {
    let r = &corpus.records[i];
    Cell {
        id: r.id.clone(),
        title: r.title(),
        status: r.status().to_string(),
        result: if is_evidence(&r.type_name) {
            r.text("result")
        } else {
            None
        },
        duplicate: dups.contains_key(r.id.as_str()).then(|| r.path.clone()),
    }
}

/// Records of `want` downstream of `from`, walking through `allowed` types only.
fn below(
    corpus: &Corpus,
    graph: &Graph,
    from: usize,
    want: &str,
    allowed: &HashSet<&str>,
) -> Vec<usize> {
    let mut seen = HashSet::from([from]);
    let mut queue = VecDeque::from([from]);
    let mut found = BTreeSet::new();
    while let Some(i) = queue.pop_front() {
        for e in graph.inc(i).iter().filter(|e| e.trace) {
            let j = e.other;
            let t = corpus.type_of(j);
            if corpus.records[j].status() == "obsolete" || !allowed.contains(t) || !seen.insert(j) {
                continue;
            }
            if t == want {
                found.insert(j);
            }
            // Evidence is a leaf: what verifies a verification is not part of the chain.
            if !is_evidence(t) {
                queue.push_back(j);
            }
        }
    }
    found.into_iter().collect()
}

/// Builds the matrix from records of type `from`. `None` if `from` is not a start type.
pub fn matrix(corpus: &Corpus, graph: &Graph, from: &str) -> Option<Matrix> {
    let cols = layout(from)?;
    let dups = corpus.duplicate_ids();
    let allowed: HashSet<&str> = cols.iter().map(|c| c.type_name).collect();
    let mut rows = Vec::new();
    for &s in corpus.records_of(from) {
        if corpus.records[s].status() == "obsolete" {
            continue;
        }
        let pivots = if cols.len() > 1 {
            below(corpus, graph, s, cols[1].type_name, &allowed)
        } else {
            Vec::new()
        };
        let pivot_list: Vec<Option<usize>> = if pivots.is_empty() {
            vec![None]
        } else {
            pivots.into_iter().map(Some).collect()
        };
        for p in pivot_list {
            let mut cells = vec![vec![cell(corpus, s, &dups)]];
            for (k, c) in cols.iter().enumerate().skip(1) {
                let ids = if k == 1 {
                    p.into_iter().collect()
                } else if c.from_start {
                    below(corpus, graph, s, c.type_name, &allowed)
                } else {
                    p.map_or(Vec::new(), |p| {
                        below(corpus, graph, p, c.type_name, &allowed)
                    })
                };
                cells.push(ids.into_iter().map(|i| cell(corpus, i, &dups)).collect());
            }
            let gaps = cols
                .iter()
                .zip(&cells)
                .filter(|(c, cs)| {
                    cs.is_empty()
                        || (is_evidence(c.type_name)
                            && !cs.iter().any(|x| x.result.as_deref() == Some("pass")))
                })
                .map(|(c, _)| c.type_name.to_string())
                .collect();
            rows.push(Row { cells, gaps });
        }
    }
    let rows_with_gaps = rows.iter().filter(|r| !r.gaps.is_empty()).count();
    Some(Matrix {
        from: from.to_string(),
        columns: cols.iter().map(|c| c.type_name.to_string()).collect(),
        rows,
        rows_with_gaps,
        duplicates: dups
            .iter()
            .filter(|(id, _)| {
                corpus
                    .get(id)
                    .is_some_and(|r| allowed.contains(r.type_name.as_str()))
            })
            .map(|(id, paths)| DuplicateId {
                id: id.to_string(),
                paths: paths.iter().map(|p| p.to_string()).collect(),
            })
            .collect(),
    })
}
