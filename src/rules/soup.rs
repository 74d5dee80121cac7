//! SOUP rule (IEC 62304 5.3.3-5.3.4, 7.1.2-7.1.3, 8.1.2): `soup-documented`.
//!
//! A component (CMP) that is not first-party is SOUP to the software items that contain it: an
//! SWI names it in `uses`, or a design output naming the SWI in `software_item` does. For an item
//! of class B or C, 62304 asks for the functional and performance requirements the item places
//! on it, the hardware and software it needs, and a review of its published anomaly list
//! (date and result). The vulnerabilities found for it are the VULN records that name it in
//! `affects` (shown on its page and in `ddf show`).

use super::live::Live;
use super::software::class_rank;
use super::Ctx;
use crate::record::Record;
use serde_yaml::Value;
use std::collections::BTreeMap;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let live = Live::new(ctx, &["software-item", "design-output", "component"]);
    soup_documented(ctx, &live);
}

/// The text of key `key` of map field `field`, if given.
fn map_text(r: &Record, field: &str, key: &str) -> Option<String> {
    match r.get(field) {
        Some(Value::Mapping(m)) => m
            .get(key)
            .and_then(crate::record::scalar_text)
            .filter(|s| !s.trim().is_empty()),
        _ => None,
    }
}

/// What `cmp` lacks as the SOUP of a class B or C item.
pub(crate) fn soup_missing(cmp: &Record) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !cmp.has("soup_requirements") {
        missing.push("`soup_requirements` (functional and performance, 5.3.3, 7.1.2)");
    }
    if !cmp.has("soup_prerequisites") {
        missing.push("`soup_prerequisites` (hardware and software it needs, 5.3.4)");
    }
    match map_text(cmp, "anomaly_list_review", "date") {
        None => missing.push("`anomaly_list_review.date` (7.1.3)"),
        Some(d) if crate::date::Date::parse(&d).is_none() => {
            missing.push("`anomaly_list_review.date` as YYYY-MM-DD (7.1.3)")
        }
        Some(_) => {}
    }
    if map_text(cmp, "anomaly_list_review", "result").is_none() {
        missing.push("`anomaly_list_review.result` (7.1.3)");
    }
    missing
}

/// `soup-documented`: the SOUP of a class B or C software item carries what 62304 asks.
fn soup_documented(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let (corpus, graph) = (ctx.corpus, ctx.graph);
    // Each SOUP component, with the class B/C items that use it (sorted, for the message).
    let mut users: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (i, swi) in live.all("software-item") {
        if class_rank(swi).is_none_or(|c| c < 2) {
            continue;
        }
        let through_outputs = graph
            .inbound(i, "software_item")
            .filter(|&d| live.is(d, "design-output"))
            .flat_map(|d| graph.outbound(d, "uses"));
        for c in graph.outbound(i, "uses").chain(through_outputs) {
            if live.is(c, "component")
                && corpus.records[c]
                    .str("origin")
                    .is_some_and(|o| o != "first-party")
            {
                let u = users.entry(c).or_default();
                if !u.contains(&swi.id.as_str()) {
                    u.push(swi.id.as_str());
                }
            }
        }
    }
    for (c, mut by) in users {
        let cmp = &corpus.records[c];
        let missing = soup_missing(cmp);
        if missing.is_empty() {
            continue;
        }
        by.sort_unstable();
        ctx.emit(
            "soup-documented",
            cmp,
            None,
            format!(
                "{} is SOUP of {} (class B or C) and lacks {}",
                cmp.id,
                by.join(", "),
                missing.join(", ")
            ),
            "IEC 62304 7.1.2-7.1.3: state what the item needs of it and what it needs, and record the review of its published anomaly list (`anomaly_list_review: {date: YYYY-MM-DD, result: ..., source: URL}`)",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{fired, messages, rec, run};

    fn cmp(id: &str, origin: &str, extra: &str) -> String {
        rec(
            "component",
            id,
            &format!("name: zlib\nversion: 1.3.1\norigin: {origin}\npurl: pkg:generic/zlib@1.3.1\nsupport_level: actively-maintained\nsupport_basis: b\nend_of_support: 2030-01-01\nsbom_ref: zlib\n{extra}"),
        )
    }

    fn swi(id: &str, class: &str, extra: &str) -> String {
        rec(
            "software-item",
            id,
            &format!(
                "description: d\nlevel: system\nsafety_class: {class}\nclass_rationale: r\n{extra}"
            ),
        )
    }

    const SOUP: &str = "soup_requirements: inflate streams up to 1 MiB in 10 ms\nsoup_prerequisites: a C11 runtime\nanomaly_list_review: { date: 2026-01-10, result: no open issue affects our use, source: https://github.com/madler/zlib/issues }\n";

    #[test]
    fn class_b_and_c_soup_is_documented() {
        let r = vec![
            swi("SWI-001", "B", "uses: [CMP-001]\n"),
            cmp("CMP-001", "open-source", ""),
        ];
        let d = run(&r);
        let m = messages(&d, "soup-documented", "CMP-001");
        assert_eq!(m.len(), 1, "{d:?}");
        assert!(m[0].contains("SOUP of SWI-001"), "{m:?}");
        assert!(m[0].contains("soup_requirements") && m[0].contains("anomaly_list_review.result"));
        let r = vec![
            swi("SWI-001", "B", "uses: [CMP-001]\n"),
            cmp("CMP-001", "open-source", SOUP),
        ];
        assert!(fired(&run(&r), "soup-documented", "CMP-001").is_empty());
    }

    #[test]
    fn class_a_and_first_party_are_not_held_to_it() {
        let r = vec![
            swi("SWI-001", "A", "uses: [CMP-001]\n"),
            swi("SWI-002", "C", "uses: [CMP-002]\n"),
            cmp("CMP-001", "open-source", ""),
            cmp("CMP-002", "first-party", ""),
        ];
        let d = run(&r);
        assert!(fired(&d, "soup-documented", "CMP-001").is_empty());
        assert!(fired(&d, "soup-documented", "CMP-002").is_empty());
    }

    #[test]
    fn use_through_a_design_output_counts_and_a_bad_date_is_named() {
        let r = vec![
            swi("SWI-001", "C", ""),
            rec(
                "design-output",
                "DO-001",
                "description: d\noutput_kind: source\nessential: true\nuses: [CMP-001]\nsoftware_item: [SWI-001]\n",
            ),
            cmp(
                "CMP-001",
                "ots",
                "soup_requirements: r\nsoup_prerequisites: p\nanomaly_list_review: { date: soon, result: ok }\n",
            ),
        ];
        let d = run(&r);
        let m = messages(&d, "soup-documented", "CMP-001");
        assert!(m[0].contains("as YYYY-MM-DD"), "{m:?}");
    }
}
