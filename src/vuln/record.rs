//! `ddf vuln scan --record`: VULN records in `in_triage` for the findings of a scan of the CMP
//! records, written idempotently.
//!
//! A finding already covered by a VULN (its `vuln_id` or one of its `aliases` is one of the
//! finding's ids, whatever the VULN's status) creates nothing: re-running a scan adds only what is
//! new. Existing VULN records are never edited; where one does not name every affected component,
//! or its advisory was withdrawn, the scan says so and a person decides.

use super::scan::{Finding, Report, Status};
use crate::corpus::Corpus;
use crate::date::Date;
use crate::ids::{default_folder, IdAllocator};
use crate::sbom::edit::{list, render_record, scalar};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A VULN record the scan creates.
#[derive(Debug, Clone, Serialize)]
pub struct NewVuln {
    /// New id.
    pub id: String,
    /// Path relative to the DDF root.
    pub path: String,
    /// `vuln_id`.
    pub vuln_id: String,
    /// CMP ids in `affects`.
    pub affects: Vec<String>,
    /// Affected or uncertain.
    pub status: Status,
    #[serde(skip)]
    pub(crate) text: String,
}

/// A finding an existing VULN already covers.
#[derive(Debug, Clone, Serialize)]
pub struct Covered {
    /// The VULN.
    pub record: String,
    /// The finding's id.
    pub vuln_id: String,
    /// Affected CMPs the VULN does not name in `affects` (reported, not written).
    pub missing_affects: Vec<String>,
    /// Set when every matching advisory was withdrawn and the VULN is still open.
    pub withdrawn_note: Option<String>,
}

/// What `--record` does.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecordPlan {
    /// New VULN records.
    pub created: Vec<NewVuln>,
    /// Findings covered by existing VULN records.
    pub covered: Vec<Covered>,
}

fn title(f: &Finding) -> String {
    let what = f
        .summary
        .clone()
        .unwrap_or_else(|| format!("{} {}", f.name, f.version));
    let mut t = format!("{}: {what}", f.id);
    if t.chars().count() > 110 {
        t = t.chars().take(107).collect::<String>() + "...";
    }
    t
}

fn cvss_map(f: &Finding) -> Option<String> {
    if let Some(c) = &f.cvss_v3 {
        return Some(format!(
            "{{ version: {}, vector: {}, base_score: {} }}",
            scalar(&c.version, true),
            scalar(&c.vector, true),
            c.base_score
        ));
    }
    f.cvss_v4.as_ref().map(|c| {
        format!(
            "{{ version: \"4.0\", vector: {}, base_score: {} }}",
            scalar(&c.vector, true),
            c.base_score
        )
    })
}

/// Plans VULN records for the live findings of `report` (a scan of CMP records).
pub fn plan(corpus: &Corpus, root: &Path, report: &Report, today: Date) -> RecordPlan {
    // Ids each existing VULN answers to, upper case.
    let mut known: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in corpus.records_of("vulnerability") {
        let r = &corpus.records[i];
        for id in r.text("vuln_id").into_iter().chain(r.list("aliases")) {
            known
                .entry(id.trim().to_ascii_uppercase())
                .or_default()
                .push(i);
        }
    }
    // One VULN per vulnerability, naming every component it affects.
    let mut by_vuln: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        if f.record.is_some() {
            by_vuln.entry(f.id.clone()).or_default().push(f);
        }
    }
    let mut out = RecordPlan::default();
    let Some(vt) = corpus.config.schema.get("vulnerability") else {
        return out;
    };
    let mut ids = IdAllocator::new(corpus, root, &vt.prefix);
    let folder = default_folder(corpus, vt);
    for (vuln_id, fs) in by_vuln {
        let all: BTreeSet<String> = fs
            .iter()
            .flat_map(|f| {
                std::iter::once(f.id.clone())
                    .chain(f.aliases.iter().cloned())
                    .chain(f.advisories.iter().cloned())
            })
            .collect();
        let affects: BTreeSet<String> = fs.iter().filter_map(|f| f.record.clone()).collect();
        let existing: BTreeSet<usize> = all
            .iter()
            .filter_map(|i| known.get(&i.to_ascii_uppercase()))
            .flatten()
            .copied()
            .collect();
        let live = fs.iter().any(|f| f.status != Status::Withdrawn);
        if !existing.is_empty() {
            for &i in &existing {
                let r = &corpus.records[i];
                let named: BTreeSet<String> = r.list("affects").into_iter().collect();
                let missing: Vec<String> = if live {
                    affects.difference(&named).cloned().collect()
                } else {
                    Vec::new()
                };
                let withdrawn_note = (!live && matches!(r.str("state"), Some("in_triage" | "exploitable"))).then(|| {
                    format!("every advisory of {vuln_id} matching it was withdrawn; consider `state: false_positive`")
                });
                out.covered.push(Covered {
                    record: r.id.clone(),
                    vuln_id: vuln_id.clone(),
                    missing_affects: missing,
                    withdrawn_note,
                });
            }
            continue;
        }
        if !live {
            continue;
        }
        let lead = fs
            .iter()
            .find(|f| f.status == Status::Affected)
            .unwrap_or(&fs[0]);
        let status = lead.status;
        let id = ids.next_id();
        let path = format!("{}/{id}.md", folder.trim_end_matches('/'));
        let aliases: Vec<String> = all.iter().filter(|i| **i != vuln_id).cloned().collect();
        let affects: Vec<String> = affects.into_iter().collect();
        let s = |v: &str| v.to_string();
        let mut fields: Vec<(String, String, Option<String>)> = vec![
            (s("id"), id.clone(), None),
            (s("type"), s("vulnerability"), None),
            (s("title"), scalar(&title(lead), false), None),
            (s("status"), s("draft"), None),
            (
                s("owner"),
                String::new(),
                Some(s("PER id of the person triaging it")),
            ),
            (s("cyber"), s("true"), None),
            (s("vuln_id"), scalar(&vuln_id, false), None),
            (s("aliases"), list(&aliases), None),
            (s("source"), s("osv"), None),
            (s("discovered"), today.to_string(), None),
            (s("state"), s("in_triage"), None),
            (
                s("exploitability"),
                lead.exploitability.clone().unwrap_or_default(),
                Some(
                    lead.exploitability_basis
                        .clone()
                        .unwrap_or_else(|| s("E1..E5: no CVSS vector in the advisories; assess")),
                ),
            ),
            (
                s("severity"),
                String::new(),
                Some(s("S1..S5: patient-harm severity from the HARMs, not CVSS")),
            ),
        ];
        if let Some(c) = cvss_map(lead) {
            fields.push((s("cvss"), c, None));
        }
        fields.push((
            s("kev"),
            s(if lead.kev { "true" } else { "false" }),
            lead.kev_via.clone().map(|v| format!("CISA KEV: {v}")),
        ));
        fields.push((s("affects"), list(&affects), None));
        let mut body = String::new();
        if let Some(sum) = &lead.summary {
            body.push_str(&format!("**Advisory.** {sum}\n\n"));
        }
        body.push_str(&format!("**Match.** `ddf vuln scan` on {today}:\n\n"));
        for f in &fs {
            body.push_str(&format!(
                "- {} ({} {}): {}\n",
                f.component,
                f.name,
                f.version,
                f.status.as_str()
            ));
            for r in &f.reasons {
                body.push_str(&format!("  - {r}\n"));
            }
        }
        if status == Status::Uncertain {
            body.push_str("\nThe version could not be ordered against the advisory's ranges: decide by hand whether it is affected.\n");
        }
        out.created.push(NewVuln {
            id,
            path,
            vuln_id: vuln_id.clone(),
            affects,
            status,
            text: render_record(&fields, &body),
        });
    }
    out
}

/// Writes the new VULN records under `root` (never overwriting a file); returns how many.
pub fn apply(
    root: &Path,
    plan: &RecordPlan,
    write: &crate::sbom::import::Writer,
) -> Result<usize, crate::sbom::import::WriteError> {
    for v in &plan.created {
        write(&root.join(&v.path), v.text.as_bytes(), false).map_err(|source| {
            crate::sbom::import::WriteError {
                path: v.path.clone(),
                source,
            }
        })?;
    }
    Ok(plan.created.len())
}
