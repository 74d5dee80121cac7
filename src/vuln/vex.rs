//! `ddf vuln export REL --format cyclonedx`: the release's VEX as a CycloneDX 1.6 BOM with
//! `vulnerabilities[]`, from the VULN records' assessments.
//!
//! Which vulnerabilities are in the release, and through which components, is
//! [`crate::vuln::affected`]'s answer (the same as the site's release page); the components and
//! their bom-refs are [`crate::sbom::export::shipped`]'s, so every `affects` ref is a BOM-Link
//! (`urn:cdx:<serial>/1#<bom-ref>`) into the SBOM `ddf sbom export` writes for the same release:
//! a VEX published apart from its SBOM names components that way (CycloneDX's BOM-Link).
//! [`statements`] is shared with the CSAF export ([`crate::vuln::csaf`]).

use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::record::Record;
use crate::sbom::export::{self, ExportError, Options, Shipped};
use crate::vuln::affected::{Affected, Contents};
use serde_json::{json, Map, Value};

/// The VULN `state` values, which are CycloneDX's impact analysis states.
pub const STATES: &[&str] = &[
    "in_triage",
    "exploitable",
    "not_affected",
    "false_positive",
    "resolved",
    "resolved_with_pedigree",
];

/// One VULN record's statement about the release.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The VULN record's id.
    pub record_id: String,
    /// Its title.
    pub title: String,
    /// `vuln_id` (a CVE, GHSA, OSV id, or the maker's own).
    pub id: String,
    /// The other ids (`aliases`).
    pub aliases: Vec<String>,
    /// `source` (osv, nvd, pentest, ...).
    pub source: String,
    /// `state`.
    pub state: String,
    /// `justification`, when given.
    pub justification: Option<String>,
    /// `response` values.
    pub response: Vec<String>,
    /// The assessment: the record's body, trimmed.
    pub detail: String,
    /// `discovered`, `YYYY-MM-DD`.
    pub discovered: Option<String>,
    /// Other dates of the record (`customers_notified`, `remediated`), for the document's date.
    pub dates: Vec<String>,
    /// `cvss`: version, vector, base score.
    pub cvss: Option<(String, String, Option<f64>)>,
    /// CWE numbers from an optional `cwes` (or `cwe`) field.
    pub cwes: Vec<u32>,
    /// `exploitability` (E1-E5) and `severity` (S1-S5, patient harm), when given.
    pub levels: Vec<(&'static str, String)>,
    /// Whether the VULN names the release in `fielded` (it contains the vulnerable item).
    pub fielded_here: bool,
    /// Indices into [`Shipped::items`] of the components it affects in the release; empty when it
    /// is in the release only through `fielded` or a design output (then the device itself).
    pub items: Vec<usize>,
}

impl Statement {
    /// Whether the release's versions are affected, as a CycloneDX `affects.versions` status:
    /// `resolved` is `affected` when the VULN names the release in `fielded` (the release
    /// shipped what was later fixed), else `unknown`.
    pub fn version_status(&self) -> &'static str {
        match self.state.as_str() {
            "exploitable" => "affected",
            "not_affected" | "false_positive" | "resolved_with_pedigree" => "unaffected",
            "resolved" if self.fielded_here => "affected",
            _ => "unknown",
        }
    }
}

fn date_of(r: &Record, field: &str) -> Option<String> {
    r.text(field)
        .and_then(|d| crate::date::Date::parse(&d))
        .map(|d| d.to_string())
}

fn cwes_of(r: &Record) -> Vec<u32> {
    let mut out: Vec<u32> = ["cwes", "cwe"]
        .iter()
        .flat_map(|f| r.list(f))
        .filter_map(|c| {
            let t = c.trim();
            let n = t
                .strip_prefix("CWE-")
                .or_else(|| t.strip_prefix("cwe-"))
                .unwrap_or(t);
            n.parse().ok()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn cvss_of(r: &Record) -> Option<(String, String, Option<f64>)> {
    let serde_yaml::Value::Mapping(m) = r.get("cvss")? else {
        return None;
    };
    let get = |k: &str| {
        m.get(serde_yaml::Value::String(k.into()))
            .and_then(crate::record::scalar_text)
    };
    let vector = get("vector").filter(|v| !v.trim().is_empty())?;
    let version = get("version").unwrap_or_default();
    let score = get("base_score").and_then(|s| s.trim().parse::<f64>().ok());
    Some((version, vector.trim().to_string(), score))
}

/// The statements of the VULN records in the release, sorted by vulnerability id then record
/// id, with warnings about records whose assessment is missing or incomplete. A record whose
/// `state` is not one of [`STATES`] is an error: a VEX cannot say anything true about it.
pub fn statements(
    corpus: &Corpus,
    graph: &Graph,
    s: &Shipped,
) -> Result<(Vec<Statement>, Vec<String>), ExportError> {
    let contents = Contents::new(corpus);
    let affected = Affected::new(corpus, graph, &contents);
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut triage = Vec::new();
    for v in affected.of_release(s.rel) {
        let r = &corpus.records[v];
        let state = r.text("state").unwrap_or_default();
        if !STATES.contains(&state.as_str()) {
            let what = if state.trim().is_empty() {
                "has no `state`".to_string()
            } else {
                format!("`state` is `{state}`")
            };
            return Err(ExportError::Missing(format!(
                "{}: {what}; a VEX states one of {}",
                r.id,
                STATES.join(", ")
            )));
        }
        let id = r
            .text("vuln_id")
            .filter(|i| !i.trim().is_empty())
            .map(|i| i.trim().to_string())
            .unwrap_or_else(|| r.id.clone());
        let mut aliases: Vec<String> = r
            .list("aliases")
            .into_iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty() && *a != id)
            .collect();
        aliases.sort();
        aliases.dedup();
        let justification = r.text("justification").filter(|j| !j.trim().is_empty());
        let response: Vec<String> = r
            .list("response")
            .into_iter()
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect();
        let detail = r.body.trim().to_string();
        match state.as_str() {
            "in_triage" => triage.push(format!("{} ({id})", r.id)),
            "not_affected" if justification.is_none() => warnings.push(format!(
                "{}: not_affected without a `justification`; the VEX gives the body as the reason{}",
                r.id,
                if detail.is_empty() { ", and it is empty" } else { "" }
            )),
            "exploitable" if response.is_empty() => warnings.push(format!(
                "{}: exploitable without a `response`; the VEX says no remediation is available yet",
                r.id
            )),
            _ => {}
        }
        let cmps: Vec<usize> = graph
            .outbound(v, "affects")
            .filter(|&c| affected.in_release_through(v, c, s.rel))
            .collect();
        let items: Vec<usize> = s
            .items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.record.is_some_and(|c| cmps.contains(&c)))
            .map(|(k, _)| k)
            .collect();
        let fielded_here = r.links_of("fielded").any(|f| f == s.rel_id);
        let mut levels = Vec::new();
        for (k, f) in [
            ("ddf:exploitability", "exploitability"),
            ("ddf:severity", "severity"),
        ] {
            if let Some(x) = r.text(f).filter(|x| !x.trim().is_empty()) {
                levels.push((k, x));
            }
        }
        out.push(Statement {
            record_id: r.id.clone(),
            title: r.title(),
            id,
            aliases,
            source: r.text("source").unwrap_or_default(),
            state,
            justification,
            response,
            detail,
            discovered: date_of(r, "discovered"),
            dates: ["customers_notified", "remediated"]
                .iter()
                .filter_map(|f| date_of(r, f))
                .collect(),
            cvss: cvss_of(r),
            cwes: cwes_of(r),
            levels,
            fielded_here,
            items,
        });
    }
    if !triage.is_empty() {
        warnings.push(format!(
            "{}: {} not assessed yet (in_triage), exported as such (CSAF: under_investigation): {}",
            s.rel_id,
            if triage.len() == 1 {
                "1 vulnerability is".to_string()
            } else {
                format!("{} vulnerabilities are", triage.len())
            },
            triage.join(", ")
        ));
    }
    out.sort_by(|a, b| (&a.id, &a.record_id).cmp(&(&b.id, &b.record_id)));
    Ok((out, warnings))
}

/// The document's date: the latest of the release's time and the dates of its VULN records
/// (the assessments are as of then), so the same records give the same document.
pub fn as_of(release: Option<&str>, st: &[Statement]) -> Option<String> {
    let mut best = release.map(str::to_string);
    for d in st.iter().flat_map(|s| s.discovered.iter().chain(&s.dates)) {
        let t = format!("{d}T00:00:00Z");
        if best.as_deref().is_none_or(|b| t.as_str() > b) {
            best = Some(t);
        }
    }
    best
}

/// Where CycloneDX (and CSAF references) point for an id: NVD for a CVE, GitHub for a GHSA,
/// osv.dev for the other OSV ids; `None` for an id with characters a URL would need escaped.
pub fn id_source(id: &str, source: &str) -> (String, Option<String>) {
    let safe = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    let (name, url) = if id.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else if id.starts_with("GHSA-") {
        ("GitHub", format!("https://github.com/advisories/{id}"))
    } else if source == "osv" || id.contains('-') && source.is_empty() {
        ("OSV", format!("https://osv.dev/vulnerability/{id}"))
    } else {
        let name = if source.is_empty() { "unknown" } else { source };
        return (name.to_string(), None);
    };
    (name.to_string(), safe.then_some(url))
}

fn source_json(id: &str, source: &str) -> Value {
    let (name, url) = id_source(id, source);
    match url {
        Some(u) => json!({ "name": name, "url": u }),
        None => json!({ "name": name }),
    }
}

/// A bom-ref as the fragment of a BOM-Link: characters outside RFC 3986's unreserved and
/// fragment sets percent-encoded.
fn fragment(r: &str) -> String {
    let mut out = String::new();
    for b in r.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// CycloneDX's rating method for a CVSS version.
fn method(version: &str, vector: &str) -> &'static str {
    let v = if version.is_empty() {
        vector
            .strip_prefix("CVSS:")
            .and_then(|x| x.split('/').next())
            .unwrap_or("")
    } else {
        version
    };
    match v {
        "3.1" => "CVSSv31",
        "3.0" | "3" => "CVSSv3",
        "4.0" | "4" => "CVSSv4",
        "2.0" | "2" => "CVSSv2",
        _ if vector.starts_with("CVSS:4.0/") => "CVSSv4",
        _ => "other",
    }
}

/// The score of a record's CVSS: computed from the vector where ddf can (v3.x, v4.0), else the
/// record's `base_score`.
pub fn score(version: &str, vector: &str, recorded: Option<f64>) -> Option<f64> {
    match method(version, vector) {
        "CVSSv31" | "CVSSv3" => crate::vuln::cvss::v3(vector).ok().map(|v| v.base_score),
        "CVSSv4" => crate::vuln::cvss::v4(vector).ok().map(|v| v.base_score),
        _ => None,
    }
    .or(recorded)
}

fn rating_json(cvss: &(String, String, Option<f64>)) -> Value {
    let (version, vector, recorded) = cvss;
    let mut o = Map::new();
    if let Some(sc) = score(version, vector, *recorded) {
        o.insert("score".into(), json!(sc));
        o.insert("severity".into(), json!(crate::vuln::cvss::band(sc)));
    } else {
        o.insert("severity".into(), json!("unknown"));
    }
    o.insert("method".into(), json!(method(version, vector)));
    o.insert("vector".into(), json!(vector));
    Value::Object(o)
}

/// The release's VEX as CycloneDX 1.6 JSON.
pub fn cyclonedx(
    corpus: &Corpus,
    graph: &Graph,
    rel_id: &str,
    opts: &Options,
) -> Result<export::Export, ExportError> {
    let s = export::shipped(corpus, rel_id)?;
    let sbom = export::cyclonedx_of(corpus, &s, opts)?;
    let serial = sbom.id.trim_start_matches("urn:uuid:").to_string();
    let (st, mut warnings) = statements(corpus, graph, &s)?;
    if st.is_empty() {
        warnings.push(format!(
            "{rel_id}: no VULN record concerns the release, so the VEX lists no vulnerability"
        ));
    }
    let link = |r: &str| format!("urn:cdx:{serial}/1#{}", fragment(r));
    let vulns: Vec<Value> = st
        .iter()
        .map(|v| {
            let mut o = Map::new();
            o.insert("bom-ref".into(), json!(v.record_id));
            o.insert("id".into(), json!(v.id));
            o.insert("source".into(), source_json(&v.id, &v.source));
            if !v.aliases.is_empty() {
                let refs: Vec<Value> = v
                    .aliases
                    .iter()
                    .map(|a| json!({ "id": a, "source": source_json(a, &v.source) }))
                    .collect();
                o.insert("references".into(), Value::Array(refs));
            }
            if let Some(c) = &v.cvss {
                o.insert("ratings".into(), json!([rating_json(c)]));
            }
            if !v.cwes.is_empty() {
                o.insert("cwes".into(), json!(v.cwes));
            }
            if !v.title.trim().is_empty() {
                o.insert("description".into(), json!(v.title));
            }
            let mut a = Map::new();
            a.insert("state".into(), json!(v.state));
            if let Some(j) = &v.justification {
                a.insert("justification".into(), json!(j));
            }
            if !v.response.is_empty() {
                a.insert("response".into(), json!(v.response));
            }
            if !v.detail.is_empty() {
                a.insert("detail".into(), json!(v.detail));
            }
            o.insert("analysis".into(), Value::Object(a));
            let status = v.version_status();
            let affects: Vec<Value> = if v.items.is_empty() {
                let mut e = Map::new();
                e.insert("ref".into(), json!(link(&s.product_ref)));
                if !s.version.is_empty() {
                    e.insert(
                        "versions".into(),
                        json!([{ "version": s.version, "status": status }]),
                    );
                }
                vec![Value::Object(e)]
            } else {
                v.items
                    .iter()
                    .map(|&k| {
                        let it = &s.items[k];
                        let mut e = Map::new();
                        e.insert("ref".into(), json!(link(&it.bom_ref)));
                        if let Some(ver) = it.component.version.as_deref().filter(|x| !x.is_empty())
                        {
                            e.insert(
                                "versions".into(),
                                json!([{ "version": ver, "status": status }]),
                            );
                        }
                        Value::Object(e)
                    })
                    .collect()
            };
            o.insert("affects".into(), Value::Array(affects));
            let mut props = vec![json!({ "name": export::RECORD_PROPERTY, "value": v.record_id })];
            for (k, x) in &v.levels {
                props.push(json!({ "name": k, "value": x }));
            }
            props.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
            o.insert("properties".into(), Value::Array(props));
            Value::Object(o)
        })
        .collect();
    let release_time = opts
        .timestamp
        .clone()
        .or_else(|| export::fielded_time(&corpus.records[s.rel]));
    let mut meta = Map::new();
    if let Some(t) = as_of(release_time.as_deref(), &st) {
        meta.insert("timestamp".into(), json!(t));
    }
    meta.insert("tools".into(), export::tools_json());
    meta.insert("component".into(), export::product_json(corpus, &s));
    if let Some(m) = &s.maker {
        meta.insert("manufacturer".into(), json!({ "name": m }));
        meta.insert("supplier".into(), json!({ "name": m }));
    }
    let mut doc = Map::new();
    doc.insert("bomFormat".into(), json!("CycloneDX"));
    doc.insert("specVersion".into(), json!("1.6"));
    doc.insert("version".into(), json!(1));
    doc.insert("metadata".into(), Value::Object(meta));
    doc.insert("vulnerabilities".into(), Value::Array(vulns));
    let (text, id) = export::with_serial(doc)?;
    Ok(export::Export { text, id, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_link_fragments_are_escaped() {
        assert_eq!(fragment("pkg:npm/a@1.0"), "pkg:npm/a@1.0");
        assert_eq!(fragment("a b#c%"), "a%20b%23c%25");
    }

    #[test]
    fn rating_methods() {
        assert_eq!(method("3.1", "CVSS:3.1/AV:N"), "CVSSv31");
        assert_eq!(method("", "CVSS:3.0/AV:N"), "CVSSv3");
        assert_eq!(method("", "CVSS:4.0/AV:N"), "CVSSv4");
        assert_eq!(method("2.0", "AV:N/AC:L"), "CVSSv2");
    }

    #[test]
    fn sources_of_ids() {
        assert_eq!(
            id_source("CVE-2024-1", "osv").1.as_deref(),
            Some("https://nvd.nist.gov/vuln/detail/CVE-2024-1")
        );
        assert_eq!(id_source("GO-2023-1", "osv").0, "OSV");
        assert_eq!(
            id_source("PT-2024-017 L-01", "pentest"),
            ("pentest".into(), None)
        );
    }
}
