//! The registers of the site: components, suppliers, vulnerabilities, anomalies, signals, CAPAs
//! and management reviews, one table page each (`components.html`, ...), and an index of them
//! (`registers.html`).
//!
//! A register is one row per record of its type, in file order, with the fields an auditor reads
//! across records (supplier approval, support level, VEX state, triage dates, ...) and the links
//! that tie the records together, computed inverses included (the VULNs that affect a component,
//! the CRs a CAPA triggered). Every register renders through one template (`site/register.html`):
//! the columns are defined here, each cell is text lines and record links, so the template
//! computes nothing and everything it prints is escaped.

use super::render::Renderer;
use super::views::{at_depth, ref_at, ref_of_id, value_text, RecordRef, SiteView};
use super::{Input, OutFile, SiteError};
use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::record::Record;
use serde::Serialize;

/// A register in the list of registers.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterLink {
    /// The register's page, relative to the site root.
    pub href: String,
    /// Its title (`Components`).
    pub title: String,
    /// The record type it lists.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Number of records listed.
    pub count: usize,
    /// What it is for, and the clauses it serves.
    pub about: String,
}

/// The index of registers (`registers.html`).
#[derive(Debug, Clone, Serialize)]
pub struct RegistersView {
    /// Common fields.
    pub site: SiteView,
    /// Every register, in reading order.
    pub registers: Vec<RegisterLink>,
}

/// A record linked from a cell, with a note (a VULN's state, for example).
#[derive(Debug, Clone, Serialize)]
pub struct CellLink {
    /// The record.
    pub record: RecordRef,
    /// Shown after the id; empty for none.
    pub note: String,
}

/// One cell of a register.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CellView {
    /// Text lines, shown one per line.
    pub lines: Vec<String>,
    /// Linked records, shown after the text, one per line.
    pub links: Vec<CellLink>,
    /// A CSS class for the cell: `error` or `warning` to draw the eye, or empty.
    pub class: String,
}

/// One row: the record, then a cell per column.
#[derive(Debug, Clone, Serialize)]
pub struct RowView {
    /// The record the row is about.
    pub record: RecordRef,
    /// One cell per column of the register.
    pub cells: Vec<CellView>,
}

/// A register page (`components.html`, `suppliers.html`, ...).
#[derive(Debug, Clone, Serialize)]
pub struct RegisterView {
    /// Common fields.
    pub site: SiteView,
    /// This register.
    pub register: RegisterLink,
    /// Every register, for the links between them.
    pub registers: Vec<RegisterLink>,
    /// Column headings after the record column.
    pub columns: Vec<String>,
    /// One row per record of the type, in file order.
    pub rows: Vec<RowView>,
}

/// What a register's cells are computed from.
struct Ctx<'a> {
    corpus: &'a Corpus,
    graph: &'a Graph,
    /// Which vulnerabilities affect which component versions: the one answer of every page.
    affected: crate::vuln::affected::Affected<'a>,
}

/// A register's definition: its page, heading, type, columns and how a row's cells are computed.
struct Register {
    file: &'static str,
    title: &'static str,
    type_name: &'static str,
    about: &'static str,
    columns: &'static [&'static str],
    row: fn(&Ctx<'_>, usize) -> Vec<CellView>,
}

/// The registers, in reading order.
const REGISTERS: &[Register] = &[
    Register {
        file: "components.html",
        title: "Components",
        type_name: "component",
        about: "Software and hardware components (SBOM entries) with supplier, support and known vulnerabilities. FD&C Act 524B(b)(3); FDA cybersecurity guidance V.A.4.b; ISO 13485 7.4.",
        columns: &[
            "Component",
            "purl / CPE",
            "Supplier",
            "Origin",
            "Support level",
            "End of support",
            "Vulnerabilities (VEX state)",
            "Status",
        ],
        row: component_row,
    },
    Register {
        file: "suppliers.html",
        title: "Suppliers",
        type_name: "supplier",
        about: "Evaluation, selection and monitoring of suppliers. ISO 13485 7.4.1-7.4.2.",
        columns: &[
            "Name",
            "Supplies",
            "Approval",
            "Last evaluated",
            "Next re-evaluation",
            "Components",
            "Status",
        ],
        row: supplier_row,
    },
    Register {
        file: "vulnerabilities.html",
        title: "Vulnerabilities",
        type_name: "vulnerability",
        about: "Known vulnerabilities and their assessment: severity, CVSS, VEX state, known exploitation, affected components and triage dates. FDA cybersecurity guidance V.A.4-5; FD&C Act 524B(b)(1).",
        columns: &[
            "Vulnerability",
            "Severity",
            "CVSS",
            "Exploitability",
            "State",
            "KEV",
            "Affects",
            "Triage dates",
            "CAPA / CR",
            "Status",
        ],
        row: vulnerability_row,
    },
    Register {
        file: "anomalies.html",
        title: "Anomalies",
        type_name: "anomaly",
        about: "Software anomalies found in testing, review, penetration tests or the field: their assessment, decision and the releases they are present in (each release's residual anomalies). IEC 62304 5.8.2-5.8.3, 9; FDA cybersecurity guidance V.A.5.",
        columns: &[
            "Found in",
            "Discovered",
            "CWE",
            "Decision",
            "Affects",
            "Present in",
            "Fixed in",
            "Vulnerability",
            "Status",
        ],
        row: anomaly_row,
    },
    Register {
        file: "signals.html",
        title: "Signals",
        type_name: "signal",
        about: "Complaints, feedback and other postmarket information, with the decisions taken. ISO 13485 8.2.1-8.2.3; ISO 14971 10; 21 CFR 820.35(a).",
        columns: &[
            "Kind",
            "Received",
            "Device",
            "Reportable",
            "Risk",
            "Vulnerabilities",
            "CAPA / CR",
            "Status",
        ],
        row: signal_row,
    },
    Register {
        file: "capas.html",
        title: "CAPAs",
        type_name: "capa",
        about: "Corrective and preventive actions, their sources and the change requests they triggered. ISO 13485 8.5.2, 8.5.3.",
        columns: &[
            "Kind",
            "Opened",
            "Closed",
            "Source",
            "Risk updates",
            "Change requests",
            "Effectiveness",
            "Status",
        ],
        row: capa_row,
    },
    Register {
        file: "reviews.html",
        title: "Management reviews",
        type_name: "management-review",
        about: "Management reviews, their period, attendees and actions. ISO 13485 5.6.",
        columns: &[
            "Date",
            "Period",
            "Attendees",
            "Actions",
            "Follow-up of",
            "Status",
        ],
        row: review_row,
    },
];

fn lines(v: impl IntoIterator<Item = String>) -> CellView {
    CellView {
        lines: v.into_iter().filter(|s| !s.trim().is_empty()).collect(),
        ..CellView::default()
    }
}

/// A cell with a field's value as text (lists joined, maps as YAML).
fn field(r: &Record, name: &str) -> CellView {
    lines(r.get(name).map(value_text))
}

fn with_class(mut c: CellView, class: &str) -> CellView {
    c.class = class.to_string();
    c
}

/// A cell of the records a field names (written links, dangling ones shown as such).
fn written(ctx: &Ctx<'_>, r: &Record, name: &str) -> CellView {
    CellView {
        links: r
            .links_of(name)
            .map(|id| CellLink {
                record: ref_of_id(ctx.corpus, id),
                note: String::new(),
            })
            .collect(),
        ..CellView::default()
    }
}

/// The records of type `type_name` that name record `i` in link field `name`, sorted by id.
fn inverse(ctx: &Ctx<'_>, i: usize, name: &str, type_name: &str) -> Vec<usize> {
    let mut v: Vec<usize> = ctx
        .graph
        .inbound(i, name)
        .filter(|&j| ctx.corpus.records[j].type_name == type_name)
        .collect();
    v.sort_by(|&a, &b| ctx.corpus.records[a].id.cmp(&ctx.corpus.records[b].id));
    v.dedup();
    v
}

fn link(ctx: &Ctx<'_>, j: usize, note: String) -> CellLink {
    CellLink {
        record: ref_at(ctx.corpus, j),
        note,
    }
}

fn status(r: &Record) -> CellView {
    lines([r.status().to_string()])
}

/// VULN states that leave a vulnerability open against the product.
fn open_state(state: &str) -> bool {
    matches!(state, "in_triage" | "exploitable")
}

fn component_row(ctx: &Ctx<'_>, i: usize) -> Vec<CellView> {
    let r = &ctx.corpus.records[i];
    let name = [r.text("name"), r.text("version")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    // The version the record describes, and separately the earlier versions a VULN names the
    // record for (`crate::vuln::affected`: the same answer as the release pages).
    let (current, earlier) = ctx.affected.of_component(i);
    let state = |j: usize| ctx.corpus.records[j].text("state").unwrap_or_default();
    let mut vulns: Vec<CellLink> = current
        .into_iter()
        .map(|j| link(ctx, j, state(j)))
        .collect();
    let any_open = vulns.iter().any(|l| open_state(&l.note));
    vulns.extend(earlier.into_iter().map(|(j, rels)| {
        let rels: Vec<&str> = rels
            .iter()
            .map(|&r| ctx.corpus.records[r].id.as_str())
            .collect();
        let note = if rels.is_empty() {
            format!("{}; an earlier version", state(j))
        } else {
            format!("{}; an earlier version, in {}", state(j), rels.join(", "))
        };
        link(ctx, j, note)
    }));
    let support = r.text("support_level").unwrap_or_default();
    vec![
        lines([name]),
        with_class(
            lines([r.text("purl"), r.text("cpe")].into_iter().flatten()),
            "purl",
        ),
        written(ctx, r, "supplier"),
        field(r, "origin"),
        with_class(
            field(r, "support_level"),
            if matches!(
                support.as_str(),
                "abandoned" | "unknown" | "no-longer-maintained"
            ) {
                "warning"
            } else {
                ""
            },
        ),
        field(r, "end_of_support"),
        CellView {
            links: vulns,
            class: if any_open { "error" } else { "" }.into(),
            ..CellView::default()
        },
        status(r),
    ]
}

fn supplier_row(ctx: &Ctx<'_>, i: usize) -> Vec<CellView> {
    let r = &ctx.corpus.records[i];
    let approval = r.text("approval").unwrap_or_default();
    vec![
        field(r, "name"),
        field(r, "supplies"),
        with_class(
            field(r, "approval"),
            match approval.as_str() {
                "disapproved" => "error",
                "conditional" | "under-evaluation" => "warning",
                _ => "",
            },
        ),
        field(r, "last_evaluated"),
        field(r, "next_reevaluation"),
        CellView {
            links: inverse(ctx, i, "supplier", "component")
                .into_iter()
                .map(|j| link(ctx, j, String::new()))
                .collect(),
            ..CellView::default()
        },
        status(r),
    ]
}

/// CVSS as `score (CVSS version)` and the vector.
fn cvss(r: &Record) -> CellView {
    let Some(serde_yaml::Value::Mapping(m)) = r.get("cvss") else {
        return field(r, "cvss");
    };
    let get = |k: &str| {
        m.get(serde_yaml::Value::String(k.into()))
            .and_then(crate::record::scalar_text)
            .filter(|s| !s.trim().is_empty())
    };
    let head = match (get("base_score"), get("version")) {
        (Some(s), Some(v)) => Some(format!("{s} (CVSS {v})")),
        (Some(s), None) => Some(s),
        (None, Some(v)) => Some(format!("CVSS {v}")),
        (None, None) => None,
    };
    lines([head, get("vector")].into_iter().flatten())
}

fn vulnerability_row(ctx: &Ctx<'_>, i: usize) -> Vec<CellView> {
    let r = &ctx.corpus.records[i];
    let mut ids = vec![r.text("vuln_id").unwrap_or_default()];
    let aliases = r.list("aliases");
    if !aliases.is_empty() {
        ids.push(format!("aliases: {}", aliases.join(", ")));
    }
    let state = r.text("state").unwrap_or_default();
    let mut state_lines = vec![state.clone()];
    state_lines.extend(
        r.text("justification")
            .map(|j| format!("justification: {j}")),
    );
    let response = r.list("response");
    if !response.is_empty() {
        state_lines.push(format!("response: {}", response.join(", ")));
    }
    let kev = match r.get("kev") {
        Some(serde_yaml::Value::Bool(true)) => "yes",
        Some(serde_yaml::Value::Bool(false)) => "no",
        _ => "",
    };
    let dated = |label: &str, f: &str| r.text(f).map(|d| format!("{label} {d}"));
    let actions = actions_from(ctx, i);
    vec![
        lines(ids),
        field(r, "severity"),
        cvss(r),
        field(r, "exploitability"),
        with_class(
            lines(state_lines),
            if open_state(&state) { "warning" } else { "" },
        ),
        with_class(
            lines([kev.to_string()]),
            if kev == "yes" { "error" } else { "" },
        ),
        written(ctx, r, "affects"),
        lines(
            [
                dated("discovered", "discovered"),
                dated("customers notified", "customers_notified"),
                dated("remediated", "remediated"),
            ]
            .into_iter()
            .flatten(),
        ),
        CellView {
            links: actions,
            ..CellView::default()
        },
        status(r),
    ]
}

/// The CAPAs whose `source` and the change requests whose `triggered_by` name record `i`: what
/// a vulnerability or a signal led to.
fn actions_from(ctx: &Ctx<'_>, i: usize) -> Vec<CellLink> {
    inverse(ctx, i, "source", "capa")
        .into_iter()
        .chain(inverse(ctx, i, "triggered_by", "change-request"))
        .map(|j| link(ctx, j, String::new()))
        .collect()
}

fn anomaly_row(ctx: &Ctx<'_>, i: usize) -> Vec<CellView> {
    let r = &ctx.corpus.records[i];
    vec![
        field(r, "found_in"),
        field(r, "discovered"),
        field(r, "cwe"),
        field(r, "decision"),
        written(ctx, r, "affects"),
        written(ctx, r, "fielded"),
        written(ctx, r, "fixed_in"),
        written(ctx, r, "vulnerability"),
        status(r),
    ]
}

fn signal_row(ctx: &Ctx<'_>, i: usize) -> Vec<CellView> {
    let r = &ctx.corpus.records[i];
    let actions = actions_from(ctx, i);
    vec![
        field(r, "kind"),
        field(r, "received"),
        field(r, "device_id"),
        field(r, "reportable"),
        written(ctx, r, "risk"),
        CellView {
            links: inverse(ctx, i, "reported_in", "vulnerability")
                .into_iter()
                .map(|j| link(ctx, j, String::new()))
                .collect(),
            ..CellView::default()
        },
        CellView {
            links: actions,
            ..CellView::default()
        },
        status(r),
    ]
}

fn capa_row(ctx: &Ctx<'_>, i: usize) -> Vec<CellView> {
    let r = &ctx.corpus.records[i];
    let effectiveness = if r.has("effectiveness") {
        "reviewed"
    } else if r.status() == "closed" || r.has("closed") {
        "missing"
    } else {
        "pending"
    };
    vec![
        field(r, "kind"),
        field(r, "opened"),
        field(r, "closed"),
        written(ctx, r, "source"),
        written(ctx, r, "risk_updates"),
        CellView {
            links: inverse(ctx, i, "triggered_by", "change-request")
                .into_iter()
                .map(|j| {
                    let s = ctx.corpus.records[j].status().to_string();
                    link(ctx, j, s)
                })
                .collect(),
            ..CellView::default()
        },
        with_class(
            lines([effectiveness.to_string()]),
            if effectiveness == "missing" {
                "error"
            } else {
                ""
            },
        ),
        status(r),
    ]
}

fn review_row(ctx: &Ctx<'_>, i: usize) -> Vec<CellView> {
    let r = &ctx.corpus.records[i];
    let actions = match r.get("actions") {
        Some(serde_yaml::Value::Sequence(a)) => a.len().to_string(),
        Some(_) => "1".into(),
        None => String::new(),
    };
    vec![
        field(r, "date"),
        field(r, "period"),
        lines([r.list("attendees").join(", ")]),
        lines([actions]),
        written(ctx, r, "follow_up_of"),
        status(r),
    ]
}

fn register_link(corpus: &Corpus, reg: &Register) -> RegisterLink {
    RegisterLink {
        href: reg.file.to_string(),
        title: reg.title.to_string(),
        type_name: reg.type_name.to_string(),
        count: corpus.records_of(reg.type_name).len(),
        about: reg.about.to_string(),
    }
}

/// The register pages: one per register, and their index.
pub fn pages(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    let corpus = input.corpus;
    let ctx = Ctx {
        corpus,
        graph: input.graph,
        affected: r.affected(input),
    };
    let site = at_depth(site, "");
    let registers: Vec<RegisterLink> = REGISTERS
        .iter()
        .map(|reg| register_link(corpus, reg))
        .collect();
    let mut out = vec![r.page(
        "site/registers.html",
        "registers.html".into(),
        &RegistersView {
            site: site.clone(),
            registers: registers.clone(),
        },
    )?];
    for (reg, link) in REGISTERS.iter().zip(&registers) {
        let view = register(&ctx, reg, link, &registers, &site);
        out.push(r.page("site/register.html", reg.file.to_string(), &view)?);
    }
    Ok(out)
}

fn register(
    ctx: &Ctx<'_>,
    reg: &Register,
    link: &RegisterLink,
    registers: &[RegisterLink],
    site: &SiteView,
) -> RegisterView {
    let corpus = ctx.corpus;
    RegisterView {
        site: site.clone(),
        register: link.clone(),
        registers: registers.to_vec(),
        columns: reg.columns.iter().map(|c| (*c).to_string()).collect(),
        rows: corpus
            .records_of(reg.type_name)
            .iter()
            .map(|&i| RowView {
                record: ref_at(corpus, i),
                cells: (reg.row)(ctx, i),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(files: &[(&str, &str)]) -> Corpus {
        crate::rules::testing::corpus("project: T\n", files)
    }

    fn texts(c: &CellView) -> String {
        let mut v = c.lines.clone();
        v.extend(c.links.iter().map(|l| {
            if l.note.is_empty() {
                l.record.id.to_string()
            } else {
                format!("{} {}", l.record.id, l.note)
            }
        }));
        v.join(" | ")
    }

    fn rows(c: &Corpus, file: &str) -> Vec<Vec<String>> {
        let graph = Graph::build(c);
        let contents = crate::vuln::affected::Contents::new(c);
        let ctx = Ctx {
            corpus: c,
            graph: &graph,
            affected: crate::vuln::affected::Affected::new(c, &graph, &contents),
        };
        let reg = REGISTERS.iter().find(|r| r.file == file).expect("register");
        c.records_of(reg.type_name)
            .iter()
            .map(|&i| {
                let cells = (reg.row)(&ctx, i);
                assert_eq!(cells.len(), reg.columns.len(), "{file}: a cell per column");
                let mut row = vec![c.records[i].id.clone()];
                row.extend(cells.iter().map(texts));
                row
            })
            .collect()
    }

    #[test]
    fn rows_hold_fields_links_and_computed_inverses() {
        let c = corpus(&[
            ("records/CMP-001.md", "---\nid: CMP-001\ntype: component\ntitle: zlib\nstatus: approved\nname: zlib\nversion: 1.3.1\npurl: pkg:github/madler/zlib@v1.3.1\norigin: open-source\nsupport_level: unknown\nend_of_support: unknown\nsupplier: [SUP-001]\n---\n"),
            ("records/SUP-001.md", "---\nid: SUP-001\ntype: supplier\ntitle: Madler\nstatus: approved\nname: Mark Adler\nsupplies: oss-project\napproval: conditional\nlast_evaluated: 2026-01-01\nnext_reevaluation: 2027-01-01\n---\n"),
            ("records/VULN-001.md", "---\nid: VULN-001\ntype: vulnerability\ntitle: Overflow\nstatus: draft\nvuln_id: CVE-2026-0001\naliases: [GHSA-x]\nstate: exploitable\nseverity: 3\nexploitability: 4\ncvss: {version: '3.1', vector: 'CVSS:3.1/AV:N', base_score: 9.8}\nkev: true\ndiscovered: 2026-02-01\naffects: [CMP-001]\n---\n"),
            ("records/CAPA-001.md", "---\nid: CAPA-001\ntype: capa\ntitle: Fix\nstatus: closed\nkind: corrective\nopened: 2026-02-02\nsource: [VULN-001]\n---\n"),
            ("records/CR-001.md", "---\nid: CR-001\ntype: change-request\ntitle: Patch\nstatus: approved\ntriggered_by: [CAPA-001, VULN-001]\n---\n"),
        ]);
        assert_eq!(
            rows(&c, "components.html"),
            [[
                "CMP-001",
                "zlib 1.3.1",
                "pkg:github/madler/zlib@v1.3.1",
                "SUP-001",
                "open-source",
                "unknown",
                "unknown",
                "VULN-001 exploitable",
                "approved"
            ]]
        );
        assert_eq!(
            rows(&c, "suppliers.html"),
            [[
                "SUP-001",
                "Mark Adler",
                "oss-project",
                "conditional",
                "2026-01-01",
                "2027-01-01",
                "CMP-001",
                "approved"
            ]]
        );
        assert_eq!(
            rows(&c, "vulnerabilities.html"),
            [[
                "VULN-001",
                "CVE-2026-0001 | aliases: GHSA-x",
                "3",
                "9.8 (CVSS 3.1) | CVSS:3.1/AV:N",
                "4",
                "exploitable",
                "yes",
                "CMP-001",
                "discovered 2026-02-01",
                "CAPA-001 | CR-001",
                "draft"
            ]]
        );
        // The CAPA lists the CR it triggered (the inverse of `triggered_by`), with its status,
        // and a closed CAPA without an effectiveness review is marked.
        assert_eq!(
            rows(&c, "capas.html"),
            [[
                "CAPA-001",
                "corrective",
                "2026-02-02",
                "",
                "VULN-001",
                "",
                "CR-001 approved",
                "missing",
                "closed"
            ]]
        );
    }
}
