//! Postmarket cybersecurity rules: `sbom-reconciled`, `vuln-triaged`, `kev-designed-out`,
//! `uncontrolled-capa`, and the release SBOMs they (and `supplier-current`) read.
//!
//! A cyber device's SBOM must agree with the component records (FD&C Act 524B(b)(3)), known
//! vulnerabilities are triaged within the plan's timelines (524B(b)(1)), known-exploited ones are
//! designed out of what is released (FDA premarket guidance V.A.2), and an uncontrolled one
//! drives a CAPA and a change, with customers told within 30 days and a fix within 60 (postmarket
//! guidance, 524B(b)(2)(B)).
//!
//! Rules run on records only: OSV data is not read by `ddf check`. A match becomes a VULN record
//! (`ddf vuln scan --record`), and the rules hold the VULN records to their obligations.

use super::live::Live;
use super::Ctx;
use crate::corpus::Corpus;
use crate::date::Date;
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::record::Record;
use crate::risk::parse_level;
use crate::sbom::{self, Component, ReadOptions};
use rustc_hash::FxHashMap;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let live = Live::new(
        ctx,
        &[
            "component",
            "release",
            "vulnerability",
            "capa",
            "change-request",
        ],
    );
    let rels = ctx.release_sboms();
    sbom_reconciled(ctx, &live, &rels);
    vuln_triaged(ctx, &live, &rels);
    kev_designed_out(ctx, &live, &rels);
    uncontrolled_capa(ctx, &live);
}

/// One release's SBOM files, parsed.
pub(super) struct ReleaseSbom {
    /// The REL record index.
    pub(super) rel: usize,
    /// `(path, parsed SBOM or why not)`; files ddf did not read (a corpus built without a
    /// source) are absent.
    files: Vec<(String, Result<sbom::Sbom, String>)>,
    /// Whether every listed file was read and parsed.
    complete: bool,
}

impl ReleaseSbom {
    fn components(&self) -> impl Iterator<Item = (&str, &Component)> {
        self.files
            .iter()
            .filter_map(|(p, s)| s.as_ref().ok().map(|s| (p.as_str(), s)))
            .flat_map(|(p, s)| s.components.iter().map(move |c| (p, c)))
    }
}

/// The SBOMs of the live releases, and which CMP records each release contains.
pub(super) struct ReleaseSboms {
    rels: Vec<ReleaseSbom>,
    /// CMP record index -> REL indices whose SBOM lists it (same identity and version).
    contains: FxHashMap<usize, Vec<usize>>,
}

// Pairing SBOM components with CMP records is shared with the site, which must pair them the
// same way (`crate::vuln::affected`).
pub(crate) use crate::vuln::affected::pair;
use crate::vuln::affected::same_version;

/// The release the CMP records describe: among the live releases no other live release names in
/// `prior`, one not yet fielded (in preparation) first, then the latest `fielded` date, then the
/// highest id.
fn latest_release(live: &Live<'_>) -> Option<usize> {
    let rels: Vec<(usize, &Record)> = live.all("release").collect();
    let heads: Vec<&(usize, &Record)> = rels
        .iter()
        .filter(|(i, _)| live.inbound(*i, "prior", &["release"]).is_empty())
        .collect();
    heads
        .into_iter()
        .max_by(|(_, a), (_, b)| {
            let key = |r: &Record| {
                let fielded = r.text("fielded").and_then(|s| Date::parse(&s));
                (fielded.is_none(), fielded, r.id.clone())
            };
            key(a).cmp(&key(b))
        })
        .map(|(i, _)| *i)
}

impl ReleaseSboms {
    /// Parses the SBOM files of every live release from the corpus's attachments.
    pub(super) fn load(corpus: &Corpus, live: &Live<'_>) -> ReleaseSboms {
        let opts = ReadOptions::from_config(&corpus.config);
        let mut rels = Vec::new();
        for (i, r) in live.all("release") {
            let mut files = Vec::new();
            let mut complete = true;
            for p in r.list("sbom") {
                let p = p.trim().to_string();
                let parsed = match corpus.attachments.get(&p) {
                    None => {
                        complete = false;
                        continue;
                    }
                    Some(Err(e)) => Err(format!("cannot be read: {e}")),
                    Some(Ok(None)) => Err("does not exist".to_string()),
                    Some(Ok(Some(bytes))) => sbom::parse(bytes, &p, &opts).map_err(|e| {
                        let m = e.to_string();
                        // The file name leads the message already; keep the rest.
                        m.strip_prefix(p.as_str())
                            .map(|s| s.trim_start_matches(':').trim().to_string())
                            .unwrap_or(m)
                    }),
                };
                complete &= parsed.is_ok();
                files.push((p, parsed));
            }
            rels.push(ReleaseSbom {
                rel: i,
                files,
                complete,
            });
        }
        let cmps: Vec<(usize, &Record)> = live.all("component").collect();
        let recs: Vec<&Record> = cmps.iter().map(|(_, r)| *r).collect();
        let mut contains: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        for rs in &rels {
            let comps: Vec<&Component> = rs.components().map(|(_, c)| c).collect();
            for (ci, j) in pair(&recs, &comps).into_iter().enumerate() {
                if let Some(j) = j {
                    if same_version(
                        recs[j].text("version").as_deref(),
                        comps[ci].version.as_deref(),
                    ) {
                        contains.entry(cmps[j].0).or_default().push(rs.rel);
                    }
                }
            }
        }
        for v in contains.values_mut() {
            v.sort_unstable();
            v.dedup();
        }
        ReleaseSboms { rels, contains }
    }

    /// The releases whose SBOM lists CMP record `i`.
    pub(super) fn releases_of(&self, i: usize) -> &[usize] {
        self.contains.get(&i).map_or(&[], Vec::as_slice)
    }
}

/// Whether CMP record `i` is released: a release's SBOM lists it, or (when no SBOM says so)
/// the record is past draft, which claims it is part of the product.
pub(super) fn is_released(corpus: &Corpus, rels: &ReleaseSboms, i: usize) -> bool {
    !rels.releases_of(i).is_empty() || corpus.records.get(i).is_some_and(|r| r.status() != "draft")
}

fn label(r: &Record) -> String {
    match (r.text("name"), r.text("version")) {
        (Some(n), Some(v)) => format!("{} ({n} {v})", r.id),
        (Some(n), None) => format!("{} ({n})", r.id),
        _ => r.id.clone(),
    }
}

/// Reports at warning severity, below the rule's default (the 30- and 60-day targets).
fn warn(
    ctx: &mut Ctx<'_>,
    rule: &'static str,
    r: &Record,
    pos: Option<Pos>,
    message: String,
    hint: &str,
) {
    let pos = pos
        .or_else(|| r.index.value_pos("id"))
        .or(Some(Pos::new(1, 1)));
    ctx.out.push(
        Diagnostic::new(rule, r.path.clone(), message)
            .record(r.id.clone())
            .at(pos)
            .severity(Severity::Warning)
            .hint(hint),
    );
}

/// `sbom-reconciled`: every release's SBOM files exist and parse, and the current release's
/// SBOM and the live CMP records match one to one, with the same versions. Older releases are
/// checked against the records as of their own commit with `ddf check --rev <their commit>`,
/// where they are the current release.
fn sbom_reconciled(ctx: &mut Ctx<'_>, live: &Live<'_>, rels: &ReleaseSboms) {
    let corpus = ctx.corpus;
    for (_, r) in live.all("release") {
        for p in r.list("sbom") {
            if !sbom::is_safe_relative(p.trim()) {
                let msg = format!(
                    "{} lists SBOM `{p}`, which is not a path inside the DDF root",
                    r.id
                );
                ctx.emit(
                    "sbom-reconciled",
                    r,
                    r.index.token_pos("sbom", &p),
                    msg,
                    "give the SBOM's path relative to the DDF root, e.g. sboms/fw-2.1.0.cdx.json",
                );
            }
        }
    }
    for rs in &rels.rels {
        let r = &corpus.records[rs.rel];
        for (p, parsed) in &rs.files {
            if let Err(e) = parsed {
                let msg = format!("{} lists SBOM {p}, which {e}", r.id);
                let hint = if e == "does not exist" {
                    "commit the SBOM file at that path, or correct the path in `sbom:`"
                } else {
                    "ddf reads CycloneDX 1.5/1.6 and SPDX 2.3 JSON; regenerate the SBOM or fix the value named"
                };
                ctx.emit(
                    "sbom-reconciled",
                    r,
                    r.index.token_pos("sbom", p),
                    msg,
                    hint,
                );
            }
        }
    }
    let Some(latest) = latest_release(live) else {
        return;
    };
    let Some(rs) = rels.rels.iter().find(|x| x.rel == latest) else {
        return;
    };
    // An unreadable file is reported above; comparing a partial SBOM would only add noise.
    if !rs.complete || rs.files.is_empty() {
        return;
    }
    let rel = &corpus.records[latest];
    let cmps: Vec<(usize, &Record)> = live.all("component").collect();
    let recs: Vec<&Record> = cmps.iter().map(|(_, r)| *r).collect();
    let comps: Vec<(&str, &Component)> = rs.components().collect();
    let only: Vec<&Component> = comps.iter().map(|(_, c)| *c).collect();
    let paired = pair(&recs, &only);
    let mut matched = vec![false; recs.len()];
    for (ci, j) in paired.iter().enumerate() {
        let (file, c) = comps[ci];
        match j {
            Some(j) => {
                matched[*j] = true;
                let r = recs[*j];
                if !same_version(r.text("version").as_deref(), c.version.as_deref()) {
                    let msg = format!(
                        "{} has version {}, but the SBOM of {} ({file}) lists {} {}",
                        label(r),
                        r.text("version").unwrap_or_else(|| "none".into()),
                        rel.id,
                        c.name,
                        c.version.as_deref().unwrap_or("without a version")
                    );
                    let hint = format!("run `ddf sbom import {file}` to bring the record up to date, or correct the SBOM");
                    ctx.emit(
                        "sbom-reconciled",
                        r,
                        r.index.value_pos("version"),
                        msg,
                        &hint,
                    );
                }
            }
            None => {
                let msg = format!(
                    "the SBOM of {} ({file}) lists {} at {}, which no component record describes",
                    rel.id,
                    c.label(),
                    c.json_path
                );
                let hint = format!("run `ddf sbom import {file}` to create the CMP record");
                ctx.emit(
                    "sbom-reconciled",
                    rel,
                    rel.index.token_pos("sbom", file),
                    msg,
                    &hint,
                );
            }
        }
    }
    for (j, r) in recs.iter().enumerate() {
        if !matched[j] {
            let msg = format!(
                "{} is in no SBOM of {}, the current release ({})",
                label(r),
                rel.id,
                rs.files
                    .iter()
                    .map(|(p, _)| p.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let hint = "set `sbom_ref` to the component's bom-ref / SPDXID, re-import the SBOM, or set `status: obsolete` if the component was removed from the product";
            ctx.emit(
                "sbom-reconciled",
                r,
                r.index.value_pos("sbom_ref"),
                msg,
                hint,
            );
        }
    }
}

/// `vuln-triaged`: a VULN leaves `in_triage` within `policy.vuln_triage_days` of `discovered`,
/// and an open VULN names in `fielded` every fielded release whose SBOM contains a component it
/// affects.
fn vuln_triaged(ctx: &mut Ctx<'_>, live: &Live<'_>, rels: &ReleaseSboms) {
    let corpus = ctx.corpus;
    let sla = corpus.config.policy.vuln_triage_days;
    let today = ctx.today;
    for (i, r) in live.all("vulnerability") {
        let state = r.str("state").unwrap_or("");
        if state == "in_triage" {
            if let Some(d) = r.text("discovered").and_then(|s| Date::parse(&s)) {
                let age = today.days_since(d);
                if age > sla {
                    let msg = format!(
                        "{} has been in_triage for {age} days (discovered {d}), more than the {sla} days of policy.vuln_triage_days",
                        r.id
                    );
                    let hint = "finish the assessment: set `state` to exploitable (with `response`), not_affected (with `justification`), false_positive or resolved";
                    ctx.emit("vuln-triaged", r, r.index.value_pos("state"), msg, hint);
                }
            }
        }
        if !matches!(state, "in_triage" | "exploitable") {
            continue;
        }
        let named: Vec<String> = r.list("fielded");
        let mut missing: Vec<(String, String)> = Vec::new();
        for c in live.outbound(i, "affects", &["component"]) {
            for &rel in rels.releases_of(c) {
                let rr = &corpus.records[rel];
                let fielded = rr.text("fielded").and_then(|s| Date::parse(&s)).is_some();
                if fielded && !named.contains(&rr.id) {
                    missing.push((rr.id.clone(), label(&corpus.records[c])));
                }
            }
        }
        missing.sort();
        missing.dedup_by(|a, b| a.0 == b.0);
        for (rel, cmp) in missing {
            let msg = format!("{} affects {cmp}, which fielded release {rel} contains, but does not name {rel} in `fielded`", r.id);
            let hint = format!(
                "add {rel} to `fielded` so the assessment covers every release in the field"
            );
            let pos = r
                .index
                .value_pos("fielded")
                .or_else(|| r.index.value_pos("affects"));
            ctx.emit("vuln-triaged", r, pos, msg, &hint);
        }
    }
}

/// `kev-designed-out`: no released component carries a known-exploited vulnerability that is
/// still `exploitable` or `in_triage`.
fn kev_designed_out(ctx: &mut Ctx<'_>, live: &Live<'_>, rels: &ReleaseSboms) {
    let corpus = ctx.corpus;
    for (i, r) in live.all("vulnerability") {
        let state = r.str("state").unwrap_or("");
        if !r.flag("kev") || !matches!(state, "exploitable" | "in_triage") {
            continue;
        }
        let fielded = !r.list("fielded").is_empty();
        let released: Vec<usize> = live
            .outbound(i, "affects", &["component"])
            .into_iter()
            .filter(|&c| fielded || is_released(corpus, rels, c))
            .collect();
        if released.is_empty() {
            continue;
        }
        let cmps: Vec<String> = released
            .iter()
            .map(|&c| label(&corpus.records[c]))
            .collect();
        let msg = format!(
            "{} ({}) is in the CISA KEV catalogue and is {state} in released component{} {}",
            r.id,
            r.text("vuln_id").unwrap_or_default(),
            if cmps.len() == 1 { "" } else { "s" },
            cmps.join(", ")
        );
        let hint = "design it out: update or remove the component under a CR, or, after assessment, set `state: not_affected` with a `justification` or `resolved`";
        ctx.emit("kev-designed-out", r, r.index.value_pos("kev"), msg, hint);
    }
}

/// The E x S zone of a VULN, and whether it is acceptable; `None` when E or S is not a level.
fn vuln_zone(corpus: &Corpus, r: &Record) -> Option<(String, bool)> {
    let e = parse_level(r.str("exploitability")?, 'E')?;
    let s = parse_level(r.str("severity")?, 'S')?;
    let m = &corpus.risk.policy.security;
    let zone = m.zone(e, s)?.to_string();
    let ok = m.is_acceptable(&zone);
    Some((zone, ok))
}

/// `uncontrolled-capa`: an exploitable VULN whose E x S risk is uncontrolled has a CAPA (`source`)
/// and a CR (`triggered_by`); warnings when customers are told more than 30 days, or the fix comes
/// more than 60 days, after discovery.
fn uncontrolled_capa(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let today = ctx.today;
    for (i, r) in live.all("vulnerability") {
        let state = r.str("state").unwrap_or("");
        let Some((zone, acceptable)) = vuln_zone(corpus, r) else {
            continue;
        };
        if acceptable {
            continue;
        }
        let es = format!(
            "{} x {} = {zone}",
            r.str("exploitability").unwrap_or(""),
            r.str("severity").unwrap_or("")
        );
        if state == "exploitable" {
            if live.inbound(i, "source", &["capa"]).is_empty() {
                let msg = format!("{} is exploitable with uncontrolled risk ({es}) but no CAPA names it in `source`", r.id);
                let hint = format!("open a CAPA (ISO 13485 8.5.2) with `source: [{}]`", r.id);
                ctx.emit(
                    "uncontrolled-capa",
                    r,
                    r.index.value_pos("state"),
                    msg,
                    &hint,
                );
            }
            if live
                .inbound(i, "triggered_by", &["change-request"])
                .is_empty()
            {
                let msg = format!("{} is exploitable with uncontrolled risk ({es}) but no CR names it in `triggered_by`", r.id);
                let hint = format!(
                    "raise the change that remediates it (7.3.9) with `triggered_by: [{}]`",
                    r.id
                );
                ctx.emit(
                    "uncontrolled-capa",
                    r,
                    r.index.value_pos("state"),
                    msg,
                    &hint,
                );
            }
        }
        if !matches!(state, "exploitable" | "resolved" | "resolved_with_pedigree") {
            continue;
        }
        let Some(found) = r.text("discovered").and_then(|s| Date::parse(&s)) else {
            continue;
        };
        for (field, limit, what) in [
            ("customers_notified", 30, "customers were notified"),
            ("remediated", 60, "it was remediated"),
        ] {
            match r.text(field).and_then(|s| Date::parse(&s)) {
                Some(d) if d.days_since(found) > limit => {
                    let msg = format!(
                        "{} has uncontrolled risk ({es}) and {what} {} days after discovery ({found} -> {d}), beyond the {limit}-day target",
                        r.id,
                        d.days_since(found)
                    );
                    warn(ctx, "uncontrolled-capa", r, r.index.value_pos(field), msg, "record the reason in the body; the postmarket guidance expects notification within 30 days and remediation within 60 for uncontrolled risk");
                }
                None if state == "exploitable" && today.days_since(found) > limit => {
                    let msg = format!(
                        "{} has uncontrolled risk ({es}), was discovered {} days ago ({found}) and has no `{field}`: the {limit}-day target has passed",
                        r.id,
                        today.days_since(found)
                    );
                    let hint = format!("act, then record `{field}:` with the date");
                    warn(
                        ctx,
                        "uncontrolled-capa",
                        r,
                        r.index.value_pos("discovered"),
                        msg,
                        &hint,
                    );
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::{Diagnostic, Severity};
    use crate::rules::testing::{check_corpus, corpus, fired, rec, PER};

    fn cmp(id: &str, name: &str, version: &str, sbom_ref: &str) -> String {
        rec(
            "component",
            id,
            &format!("name: {name}\nversion: \"{version}\"\npurl: pkg:npm/{name}@{version}\norigin: open-source\nsupport_level: actively-maintained\nsupport_basis: b\nend_of_support: 2032-01-01\nsbom_ref: {sbom_ref}\nsupplier: [SUP-001]\n"),
        )
    }

    fn sup() -> String {
        rec("supplier", "SUP-001", "name: npm\nsupplies: oss-project\napproval: approved\nevaluation: e\nlast_evaluated: 2026-01-01\nnext_reevaluation: 2027-01-01\n")
    }

    fn rel(id: &str, sbom: &str, fielded: &str, prior: &str) -> String {
        rec(
            "release",
            id,
            &format!("version: 1.0\ntag: v1.0\ncommit: abc\nsbom: [{sbom}]\ntransfer: t\noverall_residual_risk: o\nrm_review: r\ncyber_device: true\nsupport_end: 2031-12-31\nfielded: {fielded}\n{prior}"),
        )
    }

    fn vuln(id: &str, state: &str, extra: &str) -> String {
        rec(
            "vulnerability",
            id,
            &format!("vuln_id: CVE-2026-0001\naliases: []\nsource: osv\ndiscovered: 2026-05-20\nstate: {state}\nexploitability: E4\nseverity: S4\naffects: [CMP-001]\n{extra}"),
        )
    }

    fn bom(comps: &[(&str, &str, &str)]) -> String {
        let c: Vec<String> = comps
            .iter()
            .map(|(r, n, v)| {
                format!(
                    r#"{{"bom-ref":"{r}","name":"{n}","version":"{v}","purl":"pkg:npm/{n}@{v}"}}"#
                )
            })
            .collect();
        format!(
            r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{}]}}"#,
            c.join(",")
        )
    }

    /// Checks the records (plus PER and SUP) with the given attachments.
    fn run(records: &[String], attachments: &[(&str, Option<&str>)]) -> Vec<Diagnostic> {
        let mut files = vec![
            ("records/PER-001.md".to_string(), PER.to_string()),
            ("records/SUP-001.md".to_string(), sup()),
        ];
        for t in records {
            let id = t
                .lines()
                .nth(1)
                .and_then(|l| l.strip_prefix("id: "))
                .unwrap_or("X");
            files.push((format!("records/{id}.md"), t.clone()));
        }
        let mut corpus = corpus("project: test\n", &files);
        for (p, c) in attachments {
            corpus
                .attachments
                .insert(p.to_string(), Ok(c.map(|c| c.as_bytes().to_vec())));
        }
        check_corpus(&corpus)
    }

    fn rules_fired<'a>(d: &'a [Diagnostic], rule: &str) -> Vec<&'a Diagnostic> {
        d.iter().filter(|x| x.rule == rule).collect()
    }

    #[test]
    fn sbom_reconciled_no_fire_when_records_match_the_latest_release() {
        let b = bom(&[("a", "left-pad", "1.3.0")]);
        let old = bom(&[("a", "left-pad", "1.2.0")]);
        let d = run(
            &[
                cmp("CMP-001", "left-pad", "1.3.0", "a"),
                rel("REL-001", "sboms/old.json", "2025-01-01", ""),
                rel(
                    "REL-002",
                    "sboms/new.json",
                    "2026-01-01",
                    "prior: [REL-001]\n",
                ),
            ],
            &[("sboms/new.json", Some(&b)), ("sboms/old.json", Some(&old))],
        );
        assert!(rules_fired(&d, "sbom-reconciled").is_empty(), "{d:?}");
    }

    #[test]
    fn sbom_reconciled_fires_on_mismatch_missing_file_and_bad_json() {
        let b = bom(&[("a", "left-pad", "1.3.1"), ("b", "is-odd", "3.0.1")]);
        let d = run(
            &[
                cmp("CMP-001", "left-pad", "1.3.0", "a"),
                cmp("CMP-002", "gone", "1.0.0", "z"),
                rel("REL-001", "sboms/missing.json", "2025-01-01", ""),
                rel("REL-002", "sboms/new.json", "false", "prior: [REL-001]\n"),
            ],
            &[("sboms/new.json", Some(&b)), ("sboms/missing.json", None)],
        );
        let msgs: Vec<&str> = rules_fired(&d, "sbom-reconciled")
            .iter()
            .map(|x| x.message.as_str())
            .collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs
            .iter()
            .any(|m| m.contains("REL-001 lists SBOM sboms/missing.json, which does not exist")));
        assert!(msgs
            .iter()
            .any(|m| m
                .contains("CMP-001 (left-pad 1.3.0) has version 1.3.0, but the SBOM of REL-002")));
        assert!(msgs.iter().any(|m| m.contains(
            "lists is-odd 3.0.1 at $.components[1], which no component record describes"
        )));
        assert!(msgs
            .iter()
            .any(|m| m.contains("CMP-002 (gone 1.0.0) is in no SBOM of REL-002")));
        let d = run(
            &[
                cmp("CMP-001", "left-pad", "1.3.0", "a"),
                rel("REL-001", "sboms/bad.json", "false", ""),
            ],
            &[(
                "sboms/bad.json",
                Some(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":7}]}"#),
            )],
        );
        let f = rules_fired(&d, "sbom-reconciled");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message
                .contains("$.components[0].name: expected a string"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn vuln_triaged_fires_after_the_sla_and_for_unnamed_fielded_releases() {
        let b = bom(&[("a", "left-pad", "1.3.0")]);
        let base = [
            cmp("CMP-001", "left-pad", "1.3.0", "a"),
            rel("REL-001", "sboms/a.json", "2025-01-01", ""),
        ];
        let att = [("sboms/a.json", Some(b.as_str()))];
        let mut r = base.to_vec();
        r.push(vuln("VULN-001", "in_triage", "fielded: [REL-001]\n"));
        assert!(fired(&run(&r, &att), "vuln-triaged", "VULN-001").is_empty());
        r[2] = vuln("VULN-001", "in_triage", "fielded: [REL-001]\n")
            .replace("discovered: 2026-05-20", "discovered: 2026-04-01");
        let d = run(&r, &att);
        let f = fired(&d, "vuln-triaged", "VULN-001");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("in_triage for 61 days"),
            "{}",
            f[0].message
        );
        r[2] = vuln("VULN-001", "exploitable", "response: [update]\n");
        let d = run(&r, &att);
        let f = fired(&d, "vuln-triaged", "VULN-001");
        assert!(
            f.iter()
                .any(|x| x.message.contains("fielded release REL-001 contains")),
            "{f:?}"
        );
    }

    #[test]
    fn kev_designed_out_fires_on_released_kev_in_triage_only() {
        let b = bom(&[("a", "left-pad", "1.3.0")]);
        let att = [("sboms/a.json", Some(b.as_str()))];
        let mut r = vec![
            cmp("CMP-001", "left-pad", "1.3.0", "a"),
            rel("REL-001", "sboms/a.json", "2025-01-01", ""),
            vuln("VULN-001", "in_triage", "kev: true\nfielded: [REL-001]\n"),
        ];
        let f = fired(&run(&r, &att), "kev-designed-out", "VULN-001").len();
        assert_eq!(f, 1);
        r[2] = vuln(
            "VULN-001",
            "not_affected",
            "kev: true\njustification: code_not_present\nfielded: [REL-001]\n",
        );
        assert!(fired(&run(&r, &att), "kev-designed-out", "VULN-001").is_empty());
        r[2] = vuln("VULN-001", "in_triage", "kev: false\nfielded: [REL-001]\n");
        assert!(fired(&run(&r, &att), "kev-designed-out", "VULN-001").is_empty());
    }

    #[test]
    fn uncontrolled_capa_needs_capa_and_cr_and_warns_on_late_dates() {
        let r = vec![
            cmp("CMP-001", "left-pad", "1.3.0", "a"),
            vuln("VULN-001", "exploitable", "response: [update]\n")
                .replace("discovered: 2026-05-20", "discovered: 2026-01-02"),
        ];
        let d = run(&r, &[]);
        let f = fired(&d, "uncontrolled-capa", "VULN-001");
        let errors = f.iter().filter(|x| x.severity == Severity::Error).count();
        let warnings = f.iter().filter(|x| x.severity == Severity::Warning).count();
        assert_eq!((errors, warnings), (2, 2), "{f:?}");
        let capa = rec("capa", "CAPA-001", "kind: corrective\nproblem: p\nroot_cause: r\nactions: a\nopened: 2026-01-03\nsource: [VULN-001]\nstatus: open\n");
        let cr = rec("change-request", "CR-001", "description: d\nreason: r\nimpact: i\ncyber_impact: may-impact\ncyber_rationale: c\nregulatory_path: letter-to-file\ntriggered_by: [VULN-001]\nstatus: open\n");
        let mut r2 = r.clone();
        r2[1] = r2[1].replace(
            "response: [update]\n",
            "response: [update]\ncustomers_notified: 2026-01-20\nremediated: 2026-02-10\n",
        );
        r2.push(capa);
        r2.push(cr);
        assert!(fired(&run(&r2, &[]), "uncontrolled-capa", "VULN-001").is_empty());
        // Controlled risk (E2 x S4 = C) needs neither.
        let r3 = vec![
            r[0].clone(),
            r[1].replace("exploitability: E4", "exploitability: E2"),
        ];
        assert!(fired(&run(&r3, &[]), "uncontrolled-capa", "VULN-001").is_empty());
    }
}
