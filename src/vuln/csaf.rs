//! `ddf vuln export REL --format csaf`: the release's VEX as a CSAF 2.0 document of the VEX
//! profile (`csaf_vex`), from the same statements as the CycloneDX VEX ([`crate::vuln::vex`]).
//!
//! The product tree names the device (vendor / product name / version branches, product id the
//! release id), each component the release ships (purl and CPE as identification helpers) and
//! each component *as a component of* the device (`default_component_of` relationships). A
//! statement's status is given for the device and for the affected components in it.
//! [`check`] runs the mandatory tests of CSAF 2.0 section 6.1 that concern what ddf writes (the
//! VEX profile tests 6.1.27.x among them); the export refuses a document that fails one.

use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::sbom::export::{self, ExportError, Options};
use crate::vuln::vex::{self, Statement};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What the CSAF document needs that the records do not hold.
#[derive(Debug, Clone, Default)]
pub struct Publisher {
    /// `document.publisher.name`; default: the maker the release's SBOMs name.
    pub name: Option<String>,
    /// `document.publisher.namespace`: a URL the maker controls (required by CSAF).
    pub namespace: Option<String>,
}

/// The CSAF flag label of a VULN `justification` (CycloneDX's justification values, mapped to
/// the five CSAF/CISA VEX justification labels by what each one means).
pub fn flag_label(justification: &str) -> Option<&'static str> {
    Some(match justification {
        "code_not_present" => "vulnerable_code_not_present",
        "code_not_reachable" => "vulnerable_code_not_in_execute_path",
        "requires_configuration" | "requires_dependency" | "requires_environment" => {
            "vulnerable_code_cannot_be_controlled_by_adversary"
        }
        "protected_by_compiler"
        | "protected_at_runtime"
        | "protected_at_perimeter"
        | "protected_by_mitigating_control" => "inline_mitigations_already_exist",
        _ => return None,
    })
}

/// The CSAF remediation category of a VULN `response` value, and the sentence that says it.
pub fn remediation(response: &str) -> Option<(&'static str, &'static str)> {
    Some(match response {
        "update" => (
            "vendor_fix",
            "Update to a release of the device that contains the fix.",
        ),
        "rollback" => (
            "workaround",
            "Roll back to an earlier release of the device that is not affected.",
        ),
        "workaround_available" => (
            "workaround",
            "A workaround is available from the manufacturer.",
        ),
        "will_not_fix" => (
            "no_fix_planned",
            "The manufacturer does not plan to fix the vulnerability.",
        ),
        "can_not_fix" => (
            "none_available",
            "The manufacturer cannot fix the vulnerability.",
        ),
        _ => return None,
    })
}

/// The CSAF product status group of a statement.
pub fn status_group(st: &Statement) -> &'static str {
    match st.state.as_str() {
        "exploitable" => "known_affected",
        "in_triage" => "under_investigation",
        "not_affected" | "false_positive" => "known_not_affected",
        "resolved_with_pedigree" => "fixed",
        // Resolved by a later release: the release that shipped the vulnerable item is affected
        // (the remediation is the update); otherwise the release is the fixed one.
        "resolved" if st.fielded_here => "known_affected",
        _ => "fixed",
    }
}

fn is_cve(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("CVE-") else {
        return false;
    };
    let Some((y, n)) = rest.split_once('-') else {
        return false;
    };
    y.len() == 4
        && y.bytes().all(|b| b.is_ascii_digit())
        && n.len() >= 4
        && n.bytes().all(|b| b.is_ascii_digit())
}

fn cpe_ok(c: &str) -> bool {
    // The pattern of the CSAF 2.0 schema's `cpe`, compiled once.
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(concat!(
            r##"^(cpe:2\.3:[aho\*\-](:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#\$%&'\(\)\+,/:;<=>@\[\]\^`\{\|\}~]))+(\?*|\*?))|[\*\-])){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#\$%&'\(\)\+,/:;<=>@\[\]\^`\{\|\}~]))+(\?*|\*?))|[\*\-])){4})"##,
            r##"|([c][pP][eE]:/[AHOaho]?(:[A-Za-z0-9\._\-~%]*){0,6})$"##
        ))
        .ok()
    })
    .as_ref()
    .is_some_and(|re| re.is_match(c))
}

fn purl_ok(p: &str) -> bool {
    // `^pkg:[A-Za-z\.\-\+][A-Za-z0-9\.\-\+]*/.+` of the schema.
    let Some(rest) = p.strip_prefix("pkg:") else {
        return false;
    };
    let Some((ty, tail)) = rest.split_once('/') else {
        return false;
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+');
    ty.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '.' | '-' | '+'))
        && ty.chars().all(ok)
        && !tail.is_empty()
}

fn date_time(d: &str) -> String {
    if d.contains('T') {
        d.to_string()
    } else {
        format!("{d}T00:00:00Z")
    }
}

fn non_empty(s: &str, fallback: &str) -> String {
    if s.trim().is_empty() {
        fallback.to_string()
    } else {
        s.trim().to_string()
    }
}

/// The release's VEX as CSAF 2.0 (`csaf_vex`) JSON.
pub fn csaf(
    corpus: &Corpus,
    graph: &Graph,
    rel_id: &str,
    opts: &Options,
    publisher: &Publisher,
) -> Result<export::Export, ExportError> {
    let s = export::shipped(corpus, rel_id)?;
    let (st, mut warnings) = vex::statements(corpus, graph, &s)?;
    if st.is_empty() {
        return Err(ExportError::Missing(format!(
            "no VULN record concerns {rel_id}, and a CSAF VEX document must list at least one vulnerability"
        )));
    }
    let name = publisher
        .name
        .clone()
        .or_else(|| s.maker.clone())
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            ExportError::Missing(format!(
                "the SBOMs of {rel_id} name no maker (metadata supplier or manufacturer), so CSAF has no publisher: pass --publisher NAME"
            ))
        })?;
    let namespace = publisher
        .namespace
        .clone()
        .filter(|n| export::is_web_url(n))
        .ok_or_else(|| {
            ExportError::Missing(
                "CSAF needs the publisher's namespace, a URL the maker controls (document.publisher.namespace): pass --publisher-namespace https://..."
                    .into(),
            )
        })?;
    let release_time = opts
        .timestamp
        .clone()
        .or_else(|| export::fielded_time(&corpus.records[s.rel]));
    let current = vex::as_of(release_time.as_deref(), &st).ok_or_else(|| {
        ExportError::Missing(format!("{rel_id} and its VULN records carry no date"))
    })?;
    let initial = release_time.clone().unwrap_or_else(|| current.clone());
    let product = non_empty(&corpus.config.project, rel_id);
    let version = non_empty(&s.version, rel_id);

    // Product ids: the release id for the device, the bom-ref for a component, and
    // `<REL>:<bom-ref>` for the component in the device; unique by construction of the
    // bom-refs (which never equal the release id), checked by `check`.
    let device = s.rel_id.clone();
    let in_device = |r: &str| format!("{device}:{r}");
    let mut full = Vec::new();
    let mut relationships = Vec::new();
    let mut dropped = Vec::new();
    for it in &s.items {
        let c = &it.component;
        let mut helper = Map::new();
        if let Some(p) = c.purl.as_deref() {
            if purl_ok(p) {
                helper.insert("purl".into(), json!(p));
            } else {
                dropped.push(format!("{} (purl {p})", c.label()));
            }
        }
        if let Some(cpe) = c.cpes.first() {
            if cpe_ok(cpe) {
                helper.insert("cpe".into(), json!(cpe));
            } else {
                dropped.push(format!("{} (cpe {cpe})", c.label()));
            }
        }
        let label = non_empty(&c.label(), &it.bom_ref);
        let mut fp = Map::new();
        fp.insert("name".into(), json!(label));
        fp.insert("product_id".into(), json!(it.bom_ref));
        if !helper.is_empty() {
            fp.insert(
                "product_identification_helper".into(),
                Value::Object(helper),
            );
        }
        full.push(Value::Object(fp));
        relationships.push(json!({
            "category": "default_component_of",
            "full_product_name": {
                "name": format!("{label} in {product} {version}"),
                "product_id": in_device(&it.bom_ref),
            },
            "product_reference": it.bom_ref,
            "relates_to_product_reference": device,
        }));
    }
    if !dropped.is_empty() {
        warnings.push(format!(
            "identifiers CSAF 2.0's patterns refuse were left out of the product tree: {}",
            dropped.join(", ")
        ));
    }
    let mut product_tree = Map::new();
    product_tree.insert(
        "branches".into(),
        json!([{
            "category": "vendor",
            "name": name,
            "branches": [{
                "category": "product_name",
                "name": product,
                "branches": [{
                    "category": "product_version",
                    "name": version,
                    "product": { "name": format!("{product} {version}"), "product_id": device },
                }],
            }],
        }]),
    );
    if !full.is_empty() {
        product_tree.insert("full_product_names".into(), Value::Array(full));
        product_tree.insert("relationships".into(), Value::Array(relationships));
    }

    let mut cves_used = BTreeSet::new();
    let vulns: Vec<Value> = st
        .iter()
        .map(|v| {
            let mut o = Map::new();
            let all: Vec<&String> = std::iter::once(&v.id).chain(&v.aliases).collect();
            // One CVE per vulnerability item and per document (tests 6.1.23); the others are ids.
            let cve = all
                .iter()
                .find(|i| is_cve(i) && !cves_used.contains(i.as_str()))
                .map(|i| i.to_string());
            if let Some(c) = &cve {
                cves_used.insert(c.clone());
                o.insert("cve".into(), json!(c));
            }
            let ids: Vec<Value> = all
                .iter()
                .filter(|i| Some(i.as_str()) != cve.as_deref())
                .map(|i| {
                    let system = if is_cve(i) {
                        "CVE".to_string()
                    } else {
                        vex::id_source(i, &v.source).0
                    };
                    json!({ "system_name": system, "text": i })
                })
                .collect();
            if !ids.is_empty() {
                o.insert("ids".into(), Value::Array(ids));
            }
            o.insert("title".into(), json!(non_empty(&v.title, &v.id)));
            let mut notes = vec![json!({
                "category": "description",
                "title": "Assessment",
                "text": non_empty(&v.detail, &non_empty(&v.title, &v.id)),
            })];
            notes.push(json!({
                "category": "other",
                "title": "Record",
                "text": format!("{} in the design and development file; state {}", v.record_id, v.state),
            }));
            o.insert("notes".into(), Value::Array(notes));
            if let Some(d) = &v.discovered {
                o.insert("discovery_date".into(), json!(date_time(d)));
            }
            let mut pids = vec![device.clone()];
            pids.extend(v.items.iter().map(|&k| in_device(&s.items[k].bom_ref)));
            let group = status_group(v);
            o.insert("product_status".into(), json!({ group: pids }));
            if group == "known_not_affected" {
                if let Some(label) = v.justification.as_deref().and_then(flag_label) {
                    o.insert(
                        "flags".into(),
                        json!([{ "label": label, "product_ids": pids }]),
                    );
                }
                let why = if v.detail.is_empty() {
                    match &v.justification {
                        Some(j) => format!("Not affected: {j} ({}).", v.record_id),
                        None => format!(
                            "{} states {} without a justification.",
                            v.record_id, v.state
                        ),
                    }
                } else {
                    v.detail.clone()
                };
                o.insert(
                    "threats".into(),
                    json!([{ "category": "impact", "details": why, "product_ids": pids }]),
                );
            }
            let mut rems: Vec<Value> = Vec::new();
            if group == "known_affected" || group == "fixed" {
                let mut seen = BTreeSet::new();
                for r in &v.response {
                    if let Some((cat, text)) = remediation(r) {
                        if seen.insert((cat, text)) {
                            rems.push(json!({ "category": cat, "details": text, "product_ids": pids }));
                        }
                    }
                }
                if rems.is_empty() && group == "known_affected" {
                    let (cat, text) = if v.state == "resolved" {
                        ("vendor_fix", "Fixed in a later release of the device; update to it.")
                    } else {
                        ("none_available", "No remediation is available yet; the manufacturer is working on it.")
                    };
                    rems.push(json!({ "category": cat, "details": text, "product_ids": pids }));
                }
            }
            if !rems.is_empty() {
                o.insert("remediations".into(), Value::Array(rems));
            }
            if matches!(group, "known_affected" | "under_investigation") {
                if let Some((ver, vector, recorded)) = &v.cvss {
                    let version = if vector.starts_with("CVSS:3.0/") {
                        Some("3.0")
                    } else if vector.starts_with("CVSS:3.1/") {
                        Some("3.1")
                    } else {
                        None
                    };
                    if let (Some(version), Some(sc)) = (version, vex::score(ver, vector, *recorded)) {
                        o.insert(
                            "scores".into(),
                            json!([{
                                "products": pids,
                                "cvss_v3": {
                                    "version": version,
                                    "vectorString": vector,
                                    "baseScore": sc,
                                    "baseSeverity": crate::vuln::cvss::band(sc).to_ascii_uppercase(),
                                },
                            }]),
                        );
                    }
                }
            }
            Value::Object(o)
        })
        .collect();

    let tracking_id = format!(
        "{}-{}-vex",
        s.rel_id,
        version.replace(char::is_whitespace, "-")
    );
    let doc = json!({
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "lang": "en",
            "publisher": { "category": "vendor", "name": name, "namespace": namespace },
            "title": format!("{product} {version} ({}): vulnerability exploitability (VEX)", s.rel_id),
            "tracking": {
                "current_release_date": current,
                "generator": { "engine": { "name": "ddf", "version": env!("CARGO_PKG_VERSION") } },
                "id": tracking_id,
                "initial_release_date": initial,
                "revision_history": [{
                    "date": current,
                    "number": "1",
                    "summary": format!("Generated by ddf from the VULN records of {}", s.rel_id),
                }],
                "status": "final",
                "version": "1",
            },
        },
        "product_tree": Value::Object(product_tree),
        "vulnerabilities": vulns,
    });
    let problems = check(&doc);
    if !problems.is_empty() {
        return Err(ExportError::Missing(format!(
            "the CSAF document fails mandatory tests: {}",
            problems.join("; ")
        )));
    }
    let text =
        serde_json::to_string_pretty(&doc).map_err(|e| ExportError::Missing(e.to_string()))? + "\n";
    Ok(export::Export {
        text,
        id: tracking_id,
        warnings,
    })
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The product ids a product tree defines, with how often each is defined.
fn defined_ids(tree: &Value) -> BTreeMap<String, usize> {
    fn walk(b: &Value, out: &mut BTreeMap<String, usize>) {
        for x in b.as_array().into_iter().flatten() {
            if let Some(id) = x["product"]["product_id"].as_str() {
                *out.entry(id.to_string()).or_default() += 1;
            }
            walk(&x["branches"], out);
        }
    }
    let mut out = BTreeMap::new();
    walk(&tree["branches"], &mut out);
    for f in tree["full_product_names"].as_array().into_iter().flatten() {
        if let Some(id) = f["product_id"].as_str() {
            *out.entry(id.to_string()).or_default() += 1;
        }
    }
    for r in tree["relationships"].as_array().into_iter().flatten() {
        if let Some(id) = r["full_product_name"]["product_id"].as_str() {
            *out.entry(id.to_string()).or_default() += 1;
        }
    }
    out
}

/// The mandatory tests of CSAF 2.0 (section 6.1) that a document ddf writes could fail, run on
/// `doc`: 6.1.1 (missing definition of a product id), 6.1.2 (multiple definition), 6.1.6
/// (contradicting product status), 6.1.7 (several scores of one CVSS version for a product),
/// 6.1.16 (latest document version), 6.1.21/6.1.22 (revision history), 6.1.23 (a CVE used
/// twice), 6.1.29 (remediation without product reference), 6.1.32 (flag without product
/// reference), 6.1.33 (several VEX justification flags for a product) and the VEX profile tests
/// 6.1.27.4-6.1.27.11. Returns what fails, each prefixed with the test's number.
pub fn check(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if doc["document"]["category"] != "csaf_vex" {
        out.push("document category is not csaf_vex".into());
    }
    let tree = &doc["product_tree"];
    if !tree.is_object() {
        out.push("6.1.27.4: /product_tree does not exist".into());
    }
    let defined = defined_ids(tree);
    for (id, n) in &defined {
        if *n > 1 {
            out.push(format!("6.1.2: product id {id} is defined {n} times"));
        }
    }
    for r in tree["relationships"].as_array().into_iter().flatten() {
        for k in ["product_reference", "relates_to_product_reference"] {
            if let Some(id) = r[k].as_str() {
                if !defined.contains_key(id) {
                    out.push(format!("6.1.1: relationship names undefined product {id}"));
                }
            }
        }
    }
    let tracking = &doc["document"]["tracking"];
    let history = tracking["revision_history"].as_array();
    let numbers: Vec<&str> = history
        .into_iter()
        .flatten()
        .filter_map(|h| h["number"].as_str())
        .collect();
    if numbers.last().copied() != tracking["version"].as_str() {
        out.push("6.1.16: tracking version is not the latest revision number".into());
    }
    let unique: BTreeSet<&str> = numbers.iter().copied().collect();
    if unique.len() != numbers.len() {
        out.push("6.1.22: a revision number is used twice".into());
    }
    for (k, n) in numbers.iter().enumerate() {
        if n.parse::<usize>().ok() != Some(k + 1) {
            out.push("6.1.21: the revision history is not 1, 2, ...".into());
            break;
        }
    }
    let vulns = doc["vulnerabilities"].as_array();
    if vulns.is_none_or(|v| v.is_empty()) {
        out.push("6.1.27.11: /vulnerabilities does not exist or is empty".into());
    }
    let mut cves = BTreeSet::new();
    for (i, v) in vulns.into_iter().flatten().enumerate() {
        let at = format!("/vulnerabilities/{i}");
        if let Some(c) = v["cve"].as_str() {
            if !cves.insert(c.to_string()) {
                out.push(format!("6.1.23: {at}: CVE {c} is used twice"));
            }
        }
        if v["notes"].as_array().is_none_or(|n| n.is_empty()) {
            out.push(format!("6.1.27.5: {at} has no notes"));
        }
        if !v["cve"].is_string() && v["ids"].as_array().is_none_or(|n| n.is_empty()) {
            out.push(format!("6.1.27.8: {at} has neither cve nor ids"));
        }
        let ps = &v["product_status"];
        let groups = [
            "fixed",
            "known_affected",
            "known_not_affected",
            "under_investigation",
        ];
        if !groups.iter().any(|g| ps[g].is_array()) {
            out.push(format!("6.1.27.7: {at} has no VEX product status"));
        }
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for g in groups {
            for id in strs(&ps[g]) {
                if !defined.contains_key(id) {
                    out.push(format!("6.1.1: {at}: product status names undefined {id}"));
                }
                if let Some(other) = seen.insert(id, g) {
                    if other != g {
                        out.push(format!("6.1.6: {at}: {id} is both {other} and {g}"));
                    }
                }
            }
        }
        let mut flagged: BTreeMap<&str, usize> = BTreeMap::new();
        for f in v["flags"].as_array().into_iter().flatten() {
            let ids = strs(&f["product_ids"]);
            if ids.is_empty() && strs(&f["group_ids"]).is_empty() {
                out.push(format!("6.1.32: {at}: a flag names no product"));
            }
            for id in ids {
                *flagged.entry(id).or_default() += 1;
            }
        }
        for (id, n) in &flagged {
            if *n > 1 {
                out.push(format!(
                    "6.1.33: {at}: {id} has {n} VEX justification flags"
                ));
            }
        }
        let impact: BTreeSet<&str> = v["threats"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["category"] == "impact")
            .flat_map(|t| strs(&t["product_ids"]))
            .collect();
        for id in strs(&ps["known_not_affected"]) {
            if !flagged.contains_key(id) && !impact.contains(id) {
                out.push(format!(
                    "6.1.27.9: {at}: {id} is known_not_affected without an impact statement"
                ));
            }
        }
        let mut remediated = BTreeSet::new();
        for r in v["remediations"].as_array().into_iter().flatten() {
            let ids = strs(&r["product_ids"]);
            if ids.is_empty() && strs(&r["group_ids"]).is_empty() {
                out.push(format!("6.1.29: {at}: a remediation names no product"));
            }
            remediated.extend(ids);
        }
        for id in strs(&ps["known_affected"]) {
            if !remediated.contains(id) {
                out.push(format!(
                    "6.1.27.10: {at}: {id} is known_affected without an action statement"
                ));
            }
        }
        let mut scored: BTreeSet<(&str, &str)> = BTreeSet::new();
        for sc in v["scores"].as_array().into_iter().flatten() {
            for ver in ["cvss_v2", "cvss_v3"] {
                if sc[ver].is_object() {
                    for id in strs(&sc["products"]) {
                        if !scored.insert((id, ver)) {
                            out.push(format!("6.1.7: {at}: {id} has two {ver} scores"));
                        }
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids() {
        assert!(is_cve("CVE-2024-23744"));
        assert!(is_cve("CVE-2021-1234567"));
        assert!(!is_cve("CVE-24-1234"));
        assert!(!is_cve("GHSA-xxxx"));
    }

    #[test]
    fn identifiers_the_schema_accepts() {
        assert!(purl_ok("pkg:github/Mbed-TLS/mbedtls@v3.5.2"));
        assert!(!purl_ok("pkg:/x"));
        assert!(!purl_ok("npm/x"));
        assert!(cpe_ok("cpe:2.3:a:arm:mbed_tls:3.5.2:*:*:*:*:*:*:*"));
        assert!(cpe_ok("cpe:/a:zlib:zlib:1.2.11"));
        assert!(!cpe_ok("cpe:2.3:a:arm"));
    }

    #[test]
    fn every_justification_and_response_maps() {
        for j in [
            "code_not_present",
            "code_not_reachable",
            "requires_configuration",
            "requires_dependency",
            "requires_environment",
            "protected_by_compiler",
            "protected_at_runtime",
            "protected_at_perimeter",
            "protected_by_mitigating_control",
        ] {
            assert!(flag_label(j).is_some(), "{j}");
        }
        for r in [
            "update",
            "rollback",
            "workaround_available",
            "will_not_fix",
            "can_not_fix",
        ] {
            assert!(remediation(r).is_some(), "{r}");
        }
    }

    #[test]
    fn check_finds_profile_failures() {
        let doc = json!({
            "document": { "category": "csaf_vex", "tracking": { "version": "2", "revision_history": [{ "number": "1" }] } },
            "product_tree": { "full_product_names": [{ "name": "a", "product_id": "A" }] },
            "vulnerabilities": [{
                "product_status": { "known_not_affected": ["A"], "known_affected": ["A", "B"] },
            }],
        });
        let p = check(&doc).join("\n");
        for t in [
            "6.1.16",
            "6.1.27.5",
            "6.1.27.8",
            "6.1.27.9",
            "6.1.27.10",
            "6.1.6",
            "6.1.1",
        ] {
            assert!(p.contains(t), "{t} in {p}");
        }
    }
}
