//! Matching components against OSV advisories, offline.
//!
//! A component is looked up by the OSV ecosystem and package name its purl maps to (qualifiers
//! dropped, PyPI names per PEP 503), then its version is evaluated against each `affected[]`
//! entry found. Operating-system packages are matched as their distributions' advisories are
//! written: Debian, Ubuntu and Alpine advisories name the *source* package, so a component whose
//! source package is known is looked up by it, with the source version; the purl's `epoch=` is
//! part of the version (`1:1.2.11.dfsg-2+deb11u2`); and an entry for another release of the
//! distribution than the purl's `distro=` does not apply ([`super::distro`]). Matches of advisories that are aliases of one another (`aliases`, transitively)
//! are merged into one finding; `related` advisories stay separate findings but count for the
//! KEV flag. A withdrawn advisory never makes a live finding: it is reported as withdrawn.

use super::cvss;
use super::distro::{self, Release};
use super::kev::Kev;
use super::osv::{evaluate, Database, Verdict};
use crate::record::Record;
use crate::sbom::purl::Purl;
use crate::sbom::{Component, Vex};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Something to scan: a CMP record or an SBOM component.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// How the component is named in the report: the CMP id, else the SBOM ref, else the name.
    pub component: String,
    /// The CMP record, when scanning records.
    pub record: Option<String>,
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// Purl.
    pub purl: Option<String>,
    /// The distribution source package it was built from, when known.
    pub source_name: Option<String>,
    /// The source package's version, when known.
    pub source_version: Option<String>,
    /// VEX statements of the SBOM about this component.
    #[serde(skip)]
    pub vex: Vec<Vex>,
}

impl Target {
    /// A CMP record.
    pub fn from_record(r: &Record) -> Target {
        let purl = r.text("purl");
        let ty = purl
            .as_deref()
            .and_then(|p| Purl::parse(p).ok())
            .map(|p| p.ty)
            .unwrap_or_default();
        let (mut source_name, mut source_version) = r
            .text("source_package")
            .map(|s| crate::sbom::source_package(&s, &ty))
            .unwrap_or_default();
        if source_name.is_none() {
            // A record without `source_package` whose purl carries `upstream=`.
            let mut c = Component {
                purl: purl.clone(),
                ..Component::default()
            };
            c.source_from_purl();
            (source_name, source_version) = (c.source_name, c.source_version);
        }
        Target {
            component: r.id.clone(),
            record: Some(r.id.clone()),
            name: r.text("name").unwrap_or_else(|| r.title()),
            version: r.text("version"),
            purl,
            source_name,
            source_version,
            vex: Vec::new(),
        }
    }

    /// An SBOM component, with the SBOM's VEX statements.
    pub fn from_component(c: &Component, vex: &[Vex]) -> Target {
        // The purl's `upstream=` when the reader found no source package elsewhere.
        let (mut source_name, mut source_version) =
            (c.source_name.clone(), c.source_version.clone());
        if source_name.is_none() {
            let mut with = Component {
                purl: c.purl.clone(),
                ..Component::default()
            };
            with.source_from_purl();
            (source_name, source_version) = (with.source_name, with.source_version);
        }
        Target {
            component: if c.sbom_ref.is_empty() {
                c.label()
            } else {
                c.sbom_ref.clone()
            },
            record: None,
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
            source_name,
            source_version,
            vex: vex
                .iter()
                .filter(|v| v.affects.is_empty() || v.affects.contains(&c.sbom_ref))
                .cloned()
                .collect(),
        }
    }
}

/// The state of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The version is in an affected range or list.
    Affected,
    /// The version could not be ordered against the ranges: a person must decide.
    Uncertain,
    /// Only withdrawn advisories match: no live finding.
    Withdrawn,
}

impl Status {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Affected => "affected",
            Status::Uncertain => "uncertain",
            Status::Withdrawn => "withdrawn",
        }
    }
}

/// What the SBOM's own VEX says about the finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VexNote {
    /// The VEX entry's id.
    pub id: String,
    /// `analysis.state`.
    pub state: Option<String>,
    /// `analysis.justification`.
    pub justification: Option<String>,
    /// `analysis.response`.
    pub response: Vec<String>,
}

/// One vulnerability in one component.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Component (CMP id, SBOM ref or name).
    pub component: String,
    /// The CMP record, when scanning records.
    pub record: Option<String>,
    /// Name.
    pub name: String,
    /// Version evaluated (the source package's, when it was matched by its source package).
    pub version: String,
    /// The source package it was matched by (`zlib`), when that is not its own name.
    pub source_package: Option<String>,
    /// Purl.
    pub purl: Option<String>,
    /// OSV ecosystem.
    pub ecosystem: String,
    /// Affected, uncertain or withdrawn.
    pub status: Status,
    /// The id the vulnerability goes by: the lowest CVE among the ids, else the first advisory id.
    pub id: String,
    /// The live advisories that matched.
    pub advisories: Vec<String>,
    /// Every other id of the vulnerability (advisory ids and their aliases).
    pub aliases: Vec<String>,
    /// Ids the advisories list as `related`.
    pub related: Vec<String>,
    /// Withdrawn advisories that matched.
    pub withdrawn: Vec<String>,
    /// The advisory summary.
    pub summary: Option<String>,
    /// Why each advisory matched (`GO-2022-1059: v0.3.7 in introduced 0, fixed 0.3.8 (SEMVER)`).
    pub reasons: Vec<String>,
    /// The highest CVSS v3 score among the advisories.
    pub cvss_v3: Option<cvss::V3>,
    /// The highest CVSS v4.0 score among the advisories.
    pub cvss_v4: Option<cvss::V4>,
    /// Exploitability level, `E1`..`E5`.
    pub exploitability: Option<String>,
    /// What the level rests on.
    pub exploitability_basis: Option<String>,
    /// In the CISA KEV catalogue.
    pub kev: bool,
    /// Which id is in the catalogue and how it relates (`CVE-2023-44487 (alias)`).
    pub kev_via: Option<String>,
    /// The SBOM's VEX statement about it, when scanning an SBOM that carries one.
    pub vex: Option<VexNote>,
}

/// A component that cannot be matched against OSV, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotMatchable {
    /// Component.
    pub component: String,
    /// Name.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// The result of a scan; its JSON form is the `vuln scan --format json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Advisories read.
    pub osv_records: usize,
    /// Of which withdrawn.
    pub withdrawn_records: usize,
    /// KEV catalogue version, when one was given.
    pub kev_catalog: Option<String>,
    /// Components scanned.
    pub components: usize,
    /// Findings, sorted by component name, version, status and id.
    pub findings: Vec<Finding>,
    /// Components that could not be matched.
    pub not_matchable: Vec<NotMatchable>,
    /// Problems with the advisories behind the findings that a person should know of (an
    /// empty or unreadable CVSS vector), each naming the advisory; sorted.
    pub warnings: Vec<String>,
}

impl Report {
    /// Findings with a status.
    pub fn count(&self, s: Status) -> usize {
        self.findings.iter().filter(|f| f.status == s).count()
    }
}

/// Scans `targets` against `db`, marking KEV entries from `kev`.
pub fn scan(db: &Database, targets: &[Target], kev: Option<&Kev>) -> Report {
    let per: Vec<(Vec<Finding>, Option<NotMatchable>)> =
        targets.par_iter().map(|t| scan_one(db, t, kev)).collect();
    let mut findings = Vec::new();
    let mut not_matchable = Vec::new();
    for (f, n) in per {
        findings.extend(f);
        not_matchable.extend(n);
    }
    findings.sort_by(|a, b| {
        (&a.name, &a.version, &a.component, a.status, &a.id).cmp(&(
            &b.name,
            &b.version,
            &b.component,
            b.status,
            &b.id,
        ))
    });
    not_matchable.sort_by(|a, b| (&a.name, &a.component).cmp(&(&b.name, &b.component)));
    let warnings = severity_warnings(db, &findings);
    Report {
        osv_records: db.records(),
        withdrawn_records: db.withdrawn(),
        kev_catalog: kev.map(|k| k.version.clone()),
        components: targets.len(),
        findings,
        not_matchable,
        warnings,
    }
}

/// Warnings about the CVSS vectors of the advisories behind `findings`: an empty vector (some
/// feeds write `"score": ""`) or one that does not parse leaves the finding without a score,
/// which must be said, not shown as a silent `null`.
fn severity_warnings(db: &Database, findings: &[Finding]) -> Vec<String> {
    let ids: BTreeSet<&str> = findings
        .iter()
        .flat_map(|f| f.advisories.iter().chain(&f.withdrawn))
        .map(String::as_str)
        .collect();
    let mut out = BTreeSet::new();
    for id in ids {
        let Ok(i) = db.advisories.binary_search_by(|a| a.id.as_str().cmp(id)) else {
            continue;
        };
        let a = &db.advisories[i];
        let top = a.severity.iter().map(|s| ("severity".to_string(), s));
        let per = a.affected.iter().enumerate().flat_map(|(k, af)| {
            af.severity
                .iter()
                .map(move |s| (format!("affected[{k}].severity"), s))
        });
        for (place, (kind, score)) in top.chain(per) {
            let problem = match kind.as_str() {
                _ if score.is_empty() => Some("is empty".to_string()),
                "CVSS_V3" => cvss::v3(score).err(),
                "CVSS_V4" => cvss::v4(score).err(),
                _ => None,
            };
            if let Some(p) = problem {
                out.insert(format!(
                    "{}: the {kind} vector in `{place}` {p}; the finding has no score from it, so assess the severity by hand",
                    a.id
                ));
            }
        }
    }
    out.into_iter().collect()
}

fn scan_one(db: &Database, t: &Target, kev: Option<&Kev>) -> (Vec<Finding>, Option<NotMatchable>) {
    let skip = |reason: String| {
        (
            Vec::new(),
            Some(NotMatchable {
                component: t.component.clone(),
                name: t.name.clone(),
                reason,
            }),
        )
    };
    let (purl, eco, m) = match resolve(t) {
        Ok(r) => r,
        Err(reason) => return skip(reason),
    };
    let release = purl.qualifier("distro");
    // Matches grouped by alias group, in advisory order.
    let mut groups: BTreeMap<u32, Vec<(usize, usize, Verdict)>> = BTreeMap::new();
    let mut seen: BTreeSet<(u32, u32)> = BTreeSet::new();
    for (name, version) in &m.keys {
        for &(ai, fi) in db.lookup(eco, name) {
            if !seen.insert((ai, fi)) {
                continue;
            }
            let (ai, fi) = (ai as usize, fi as usize);
            let Some(af) = db.advisories.get(ai).and_then(|a| a.affected.get(fi)) else {
                continue;
            };
            let v = match distro::compare(&af.ecosystem, release) {
                Release::Other => continue,
                Release::Any | Release::Same => evaluate(eco, version, af),
                // The entry may or may not be for the component's release: a match is a
                // question for a person, not a finding to assert.
                Release::Unknown(why) => match evaluate(eco, version, af) {
                    Verdict::Affected(w) => Verdict::Uncertain(format!("{w}; but {why}")),
                    other => other,
                },
            };
            if v != Verdict::NotAffected {
                groups.entry(db.group_of(ai)).or_default().push((ai, fi, v));
            }
        }
    }
    let findings = groups
        .into_values()
        .map(|members| finding(db, t, &purl, eco, &m, members, kev))
        .collect();
    (findings, None)
}

/// The purl, OSV ecosystem and lookup keys of a target, or why it cannot be matched.
fn resolve(t: &Target) -> Result<(Purl, &'static str, Lookup), String> {
    let Some(purl_text) = &t.purl else {
        return Err("no purl: OSV matches by package URL".into());
    };
    let purl = match Purl::parse(purl_text) {
        Ok(p) => p,
        Err(e) => return Err(e.to_string()),
    };
    let Some(eco) = purl.ecosystem() else {
        return Err(match (purl.ty.as_str(), &purl.namespace) {
            // RPM advisories are per distribution: the vendor decides.
            ("rpm", Some(ns)) => format!(
                "purl `pkg:rpm/{ns}` names a distribution OSV has no advisories for (Red Hat, Rocky Linux, AlmaLinux, SUSE, openSUSE, Mageia, openEuler have)"
            ),
            _ => format!("purl type `{}` has no OSV ecosystem", purl.ty),
        });
    };
    let Some(version) = purl.version.clone().or_else(|| t.version.clone()) else {
        return Err("no version".into());
    };
    let m = lookup_key(t, &purl, eco, version);
    Ok((purl, eco, m))
}

/// The index keys ([`super::osv::key`]) a scan of `targets` looks up: a database holding every
/// advisory under these keys gives the same report as the whole database.
pub fn wanted_keys(targets: &[Target]) -> rustc_hash::FxHashSet<(String, String)> {
    targets
        .iter()
        .filter_map(|t| resolve(t).ok())
        .flat_map(|(_, eco, m)| {
            m.keys
                .into_iter()
                .map(move |(name, _)| super::osv::key(eco, &name))
        })
        .collect()
}

/// What a component is looked up by: (name, version) pairs, and the source package when it is
/// one of them.
struct Lookup {
    keys: Vec<(String, String)>,
    /// The version reported: the first key's.
    version: String,
    source: Option<String>,
}

/// The (name, version) pairs a component is looked up by in `eco`.
///
/// Debian, Ubuntu and Alpine advisories are keyed by source package: a component whose source
/// package is known is looked up by it alone (its binary name may be another source package's),
/// with the source version when stated. RPM distributions key theirs by binary package, so the
/// binary name comes first and the source name is tried as well. The purl's `epoch=` qualifier
/// is put in front of a Debian or RPM version that has none.
fn lookup_key(t: &Target, purl: &Purl, eco: &str, version: String) -> Lookup {
    let with_epoch = |v: String| match purl.qualifier("epoch") {
        Some(e) if matches!(purl.ty.as_str(), "deb" | "rpm") && e != "0" && !v.contains(':') => {
            format!("{e}:{v}")
        }
        _ => v,
    };
    let version = with_epoch(version);
    let binary = purl.osv_name();
    let by_source = matches!(eco, "Debian" | "Ubuntu" | "Alpine" | "Wolfi" | "Chainguard");
    let known = t.source_name.clone().filter(|s| !s.is_empty());
    match known {
        // The source version when stated, even when the source has the binary's name: a binNMU
        // (`1.2.3-1+b1`) is of source `1.2.3-1`.
        Some(s) if by_source => {
            let v = t.source_version.clone().unwrap_or_else(|| version.clone());
            Lookup {
                keys: vec![(s.clone(), v.clone())],
                version: v,
                source: (s != binary).then_some(s),
            }
        }
        Some(s) if s != binary => Lookup {
            keys: vec![(binary, version.clone()), (s, version.clone())],
            version,
            source: None,
        },
        _ => Lookup {
            keys: vec![(binary, version.clone())],
            version,
            source: None,
        },
    }
}

fn finding(
    db: &Database,
    t: &Target,
    purl: &Purl,
    eco: &str,
    m: &Lookup,
    members: Vec<(usize, usize, Verdict)>,
    kev: Option<&Kev>,
) -> Finding {
    let version = m.version.as_str();
    let mut live: BTreeSet<String> = BTreeSet::new();
    let mut withdrawn: BTreeSet<String> = BTreeSet::new();
    let mut all_ids: BTreeSet<String> = BTreeSet::new();
    let mut related: BTreeSet<String> = BTreeSet::new();
    let mut reasons = Vec::new();
    let (mut any_affected, mut any_uncertain) = (false, false);
    let mut summary = None;
    let mut v3: Option<cvss::V3> = None;
    let mut v4: Option<cvss::V4> = None;
    for (ai, fi, verdict) in &members {
        let a = &db.advisories[*ai];
        all_ids.insert(a.id.clone());
        all_ids.extend(a.aliases.iter().cloned());
        related.extend(a.related.iter().cloned());
        let (why, affected) = match verdict {
            Verdict::Affected(w) => (w.as_str(), true),
            Verdict::Uncertain(w) => (w.as_str(), false),
            Verdict::NotAffected => continue,
        };
        if a.withdrawn.is_some() {
            withdrawn.insert(a.id.clone());
            reasons.push(format!(
                "{}: {why} (withdrawn {})",
                a.id,
                a.withdrawn.as_deref().unwrap_or("")
            ));
            continue;
        }
        live.insert(a.id.clone());
        any_affected |= affected;
        any_uncertain |= !affected;
        reasons.push(format!("{}: {why}", a.id));
        if summary.is_none() {
            summary = a.summary.clone().filter(|s| !s.is_empty());
        }
        let sev = a
            .severity
            .iter()
            .chain(a.affected.get(*fi).map_or(&[][..], |f| &f.severity[..]));
        for (kind, score) in sev {
            match kind.as_str() {
                "CVSS_V3" => {
                    if let Ok(s) = cvss::v3(score) {
                        if v3.as_ref().is_none_or(|x| s.base_score > x.base_score) {
                            v3 = Some(s);
                        }
                    }
                }
                "CVSS_V4" => {
                    if let Ok(s) = cvss::v4(score) {
                        if v4.as_ref().is_none_or(|x| s.base_score > x.base_score) {
                            v4 = Some(s);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    reasons.sort();
    let status = if any_affected {
        super::scan::Status::Affected
    } else if any_uncertain {
        Status::Uncertain
    } else {
        Status::Withdrawn
    };
    let id = all_ids
        .iter()
        .filter(|i| i.starts_with("CVE-"))
        .min_by(|a, b| cve_key(a).cmp(&cve_key(b)))
        .cloned()
        .or_else(|| live.iter().next().cloned())
        .or_else(|| withdrawn.iter().next().cloned())
        .unwrap_or_default();
    let aliases: Vec<String> = all_ids.iter().filter(|i| **i != id).cloned().collect();
    let related: Vec<String> = related
        .into_iter()
        .filter(|r| !all_ids.contains(r))
        .collect();
    let kev_via = kev.and_then(|k| {
        all_ids
            .iter()
            .find(|i| k.get(i).is_some())
            .map(|i| {
                if *i == id {
                    i.to_string()
                } else {
                    format!("{i} (alias)")
                }
            })
            .or_else(|| {
                related
                    .iter()
                    .find(|r| k.get(r).is_some())
                    .map(|r| format!("{r} (related)"))
            })
    });
    let (exploitability, basis) = if let Some(via) = &kev_via {
        (Some(5), Some(format!("in CISA KEV through {via}")))
    } else if let Some(s) = &v3 {
        (
            Some(cvss::level(s.exploitability)),
            Some(format!(
                "CVSS {} exploitability {:.2}",
                s.version, s.exploitability
            )),
        )
    } else if let Some(e) = v4.as_ref().and_then(|s| cvss::v4_exploitability(&s.vector)) {
        (
            Some(cvss::level(e)),
            Some(format!(
                "estimated from the CVSS 4.0 vector (exploitability {e:.2} with v3.1 weights)"
            )),
        )
    } else {
        (None, None)
    };
    let vex = t
        .vex
        .iter()
        .find(|v| all_ids.contains(&v.id) || v.references.iter().any(|r| all_ids.contains(r)))
        .map(|v| VexNote {
            id: v.id.clone(),
            state: v.state.clone(),
            justification: v.justification.clone(),
            response: v.response.clone(),
        });
    Finding {
        component: t.component.clone(),
        record: t.record.clone(),
        name: t.name.clone(),
        version: version.to_string(),
        source_package: m.source.clone(),
        purl: Some(purl.normalised()),
        ecosystem: eco.to_string(),
        status,
        id,
        advisories: live.into_iter().collect(),
        aliases,
        related,
        withdrawn: withdrawn.into_iter().collect(),
        summary,
        reasons,
        cvss_v3: v3,
        cvss_v4: v4,
        exploitability: exploitability.map(|e| format!("E{e}")),
        exploitability_basis: basis,
        kev: kev_via.is_some(),
        kev_via,
        vex,
    }
}

/// CVE ids in numeric order (`CVE-2023-9999` before `CVE-2023-10000`).
fn cve_key(id: &str) -> (u32, u64) {
    let mut parts = id.trim_start_matches("CVE-").splitn(2, '-');
    let year = parts
        .next()
        .and_then(|y| y.parse().ok())
        .unwrap_or(u32::MAX);
    let num = parts
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    (year, num)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vuln::osv::parse;

    fn db(records: &[&str]) -> Database {
        Database::from_advisories(
            records
                .iter()
                .map(|r| parse(r.as_bytes(), "t").expect("osv"))
                .collect(),
        )
    }

    fn target(purl: &str) -> Target {
        Target::from_component(
            &Component {
                name: "x".into(),
                purl: Some(purl.into()),
                ..Component::default()
            },
            &[],
        )
    }

    #[test]
    fn aliases_merge_related_do_not_and_withdrawn_is_not_live() {
        let d = db(&[
            r#"{"id":"GO-1","aliases":["CVE-2024-1","GHSA-a"],"related":["CVE-2023-9"],"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}"#,
            r#"{"id":"GHSA-a","aliases":[],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}"#,
            r#"{"id":"GHSA-b","aliases":["CVE-2023-9"],"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]}]}"#,
            r#"{"id":"GO-2","withdrawn":"2025-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
        ]);
        let kev = Kev::parse(br#"{"vulnerabilities":[{"cveID":"CVE-2023-9"}]}"#, "k").expect("kev");
        let r = scan(&d, &[target("pkg:golang/example.com/m@v1.1.0")], Some(&kev));
        assert_eq!(r.findings.len(), 3, "{:#?}", r.findings);
        let f = r
            .findings
            .iter()
            .find(|f| f.id == "CVE-2024-1")
            .expect("merged finding");
        assert_eq!(f.advisories, vec!["GHSA-a", "GO-1"]);
        assert_eq!(f.status, Status::Affected);
        assert_eq!(f.kev_via.as_deref(), Some("CVE-2023-9 (related)"));
        assert_eq!(f.exploitability.as_deref(), Some("E5"));
        assert_eq!(f.cvss_v3.as_ref().map(|c| c.base_score), Some(7.5));
        let w = r
            .findings
            .iter()
            .find(|f| f.status == Status::Withdrawn)
            .expect("withdrawn");
        assert_eq!(w.withdrawn, vec!["GO-2"]);
        assert!(w.advisories.is_empty());
    }

    #[test]
    fn unmatchable_components_are_listed() {
        let d = db(&[]);
        let mut no_purl = target("pkg:npm/x@1");
        no_purl.purl = None;
        let r = scan(
            &d,
            &[no_purl, target("pkg:github/a/b@v1"), target("pkg:npm/x")],
            None,
        );
        let reasons: Vec<&str> = r.not_matchable.iter().map(|n| n.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("no purl")));
        assert!(reasons
            .iter()
            .any(|r| r.contains("`github` has no OSV ecosystem")));
        assert!(reasons.iter().any(|r| r.contains("no version")));
    }

    #[test]
    fn cve_order_is_numeric() {
        assert!(cve_key("CVE-2023-9999") < cve_key("CVE-2023-10000"));
    }

    fn component(name: &str, purl: &str, source: Option<(&str, Option<&str>)>) -> Target {
        Target::from_component(
            &Component {
                name: name.into(),
                purl: Some(purl.into()),
                source_name: source.map(|s| s.0.to_string()),
                source_version: source.and_then(|s| s.1.map(String::from)),
                ..Component::default()
            },
            &[],
        )
    }

    /// A Debian advisory in the shape of a DLA: zlib, one entry per release.
    const ZLIB: &str = r#"{"id":"DLA-PROBE-1","aliases":["CVE-2022-37434"],"affected":[
        {"package":{"ecosystem":"Debian:11","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.11.dfsg-2+deb11u2"}]}]},
        {"package":{"ecosystem":"Debian:9","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.2.8.dfsg-5+deb9u1"}]}]}]}"#;

    fn statuses(r: &Report) -> Vec<(&str, Status)> {
        r.findings
            .iter()
            .map(|f| (f.id.as_str(), f.status))
            .collect()
    }

    #[test]
    fn debian_epoch_release_and_source_package() {
        let d = db(&[ZLIB]);
        // Trivy: the binary zlib1g, its source zlib in properties, the epoch in the purl.
        let fixed = component(
            "zlib1g",
            "pkg:deb/debian/zlib1g@1.2.11.dfsg-2%2Bdeb11u2?arch=amd64&epoch=1&distro=debian-11.6",
            Some(("zlib", None)),
        );
        let r = scan(&d, std::slice::from_ref(&fixed), None);
        assert!(
            r.findings.is_empty(),
            "the epoch makes it the fixed version: {:#?}",
            r.findings
        );
        let old = component(
            "zlib1g",
            "pkg:deb/debian/zlib1g@1.2.11.dfsg-2%2Bdeb11u1?arch=amd64&epoch=1&distro=debian-11",
            Some(("zlib", None)),
        );
        let r = scan(&d, &[old], None);
        assert_eq!(statuses(&r), [("CVE-2022-37434", Status::Affected)]);
        let f = &r.findings[0];
        assert_eq!(f.source_package.as_deref(), Some("zlib"));
        assert_eq!(f.version, "1:1.2.11.dfsg-2+deb11u1");
        assert_eq!(
            f.reasons.len(),
            1,
            "the Debian:9 entry is not evaluated: {:?}",
            f.reasons
        );
        // Without the source package, the binary name matches no zlib advisory.
        let r = scan(
            &d,
            &[component(
                "zlib1g",
                "pkg:deb/debian/zlib1g@1.2.11.dfsg-2%2Bdeb11u1?epoch=1&distro=debian-11",
                None,
            )],
            None,
        );
        assert!(r.findings.is_empty());
        // syft: the source in `upstream=`.
        let r = scan(
            &d,
            &[component(
                "zlib1g",
                "pkg:deb/debian/zlib1g@1.2.11.dfsg-2%2Bdeb11u1?epoch=1&distro=debian-11&upstream=zlib",
                None,
            )],
            None,
        );
        assert_eq!(statuses(&r), [("CVE-2022-37434", Status::Affected)]);
        // A Debian:9-only advisory does not match a package of debian-12.
        let r = scan(
            &d,
            &[component(
                "zlib1g",
                "pkg:deb/debian/zlib1g@1.2.8.dfsg-5?epoch=1&distro=debian-12",
                Some(("zlib", None)),
            )],
            None,
        );
        assert!(r.findings.is_empty(), "{:#?}", r.findings);
    }

    #[test]
    fn a_binnmu_is_evaluated_at_its_source_version() {
        let d = db(&[
            r#"{"id":"DEBIAN-PROBE","affected":[{"package":{"ecosystem":"Debian:12","name":"libxml2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.9.14+dfsg-1.3~deb12u1+b1"}]}]}]}"#,
        ]);
        // Binary 2.9.14+dfsg-1.3~deb12u1+b2 is of source 2.9.14+dfsg-1.3~deb12u1, before the fix.
        let t = component(
            "libxml2",
            "pkg:deb/debian/libxml2@2.9.14%2Bdfsg-1.3~deb12u1%2Bb2?distro=debian-12",
            Some(("libxml2", Some("2.9.14+dfsg-1.3~deb12u1"))),
        );
        let r = scan(&d, &[t], None);
        assert_eq!(statuses(&r), [("DEBIAN-PROBE", Status::Affected)]);
        assert_eq!(r.findings[0].version, "2.9.14+dfsg-1.3~deb12u1");
        assert_eq!(r.findings[0].source_package, None, "its own name");
    }

    #[test]
    fn no_release_on_the_component_is_uncertain() {
        let d = db(&[ZLIB]);
        let r = scan(
            &d,
            &[component(
                "zlib",
                "pkg:deb/debian/zlib@1:1.2.11.dfsg-2%2Bdeb11u1",
                None,
            )],
            None,
        );
        assert_eq!(statuses(&r), [("CVE-2022-37434", Status::Uncertain)]);
        assert!(
            r.findings[0].reasons[0].contains("names no Debian release"),
            "{:?}",
            r.findings[0].reasons
        );
    }

    #[test]
    fn alpine_release_and_order() {
        let mut entries = Vec::new();
        for minor in 16..=24 {
            entries.push(format!(
                r#"{{"package":{{"ecosystem":"Alpine:v3.{minor}","name":"openssl"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"3.{minor}.1-r0"}}]}}]}}"#
            ));
        }
        let rec = format!(
            r#"{{"id":"ALPINE-CVE-PROBE","affected":[{}]}}"#,
            entries.join(",")
        );
        let d = db(&[&rec]);
        // libssl3 of v3.22 at 3.22.0-r5: only the v3.22 entry applies (fixed 3.22.1-r0).
        let t = component(
            "libssl3",
            "pkg:apk/alpine/libssl3@3.22.0-r5?arch=x86_64&distro=3.22.1",
            Some(("openssl", Some("3.22.0-r5"))),
        );
        let r = scan(&d, &[t], None);
        assert_eq!(statuses(&r), [("ALPINE-CVE-PROBE", Status::Affected)]);
        assert_eq!(
            r.findings[0].reasons.len(),
            1,
            "{:?}",
            r.findings[0].reasons
        );
        assert!(r.findings[0].reasons[0].contains("fixed 3.22.1-r0"));
        // At 3.22.1-r0 it is fixed, whatever the other releases' entries say.
        let t = component(
            "libssl3",
            "pkg:apk/alpine/libssl3@3.22.1-r0?distro=alpine-v3.22",
            Some(("openssl", None)),
        );
        assert!(scan(&d, &[t], None).findings.is_empty());
    }

    #[test]
    fn rpm_composer_rubygems_nuget_pub_are_ordered() {
        let d = db(&[
            r#"{"id":"RHSA-PROBE","affected":[{"package":{"ecosystem":"Red Hat:enterprise_linux:8::baseos","name":"openssl-libs"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.1.1k-9.el8_7"}]}]}]}"#,
            r#"{"id":"GHSA-comp","affected":[{"package":{"ecosystem":"Packagist","name":"guzzlehttp/psr7"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0.0"},{"fixed":"2.4.5"}]}]}]}"#,
            r#"{"id":"GHSA-gem","affected":[{"package":{"ecosystem":"RubyGems","name":"rack"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"3.0.0.beta1"},{"fixed":"3.0.4.2"}]}]}]}"#,
            r#"{"id":"GHSA-nuget","affected":[{"package":{"ecosystem":"NuGet","name":"Newtonsoft.Json"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"13.0.1"}]}]}]}"#,
            r#"{"id":"GHSA-pub","affected":[{"package":{"ecosystem":"Pub","name":"http"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0.13.3"}]}]}]}"#,
            r#"{"id":"GHSA-act","affected":[{"package":{"ecosystem":"GitHub Actions","name":"tj-actions/changed-files"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"46.0.1"}]}]}]}"#,
        ]);
        let targets = [
            component(
                "openssl-libs",
                "pkg:rpm/redhat/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&epoch=1&distro=rhel-8.6",
                None,
            ),
            component("psr7", "pkg:composer/guzzlehttp/psr7@2.4.4", None),
            component("rack", "pkg:gem/rack@3.0.4.1", None),
            component("json", "pkg:nuget/Newtonsoft.Json@12.0.3", None),
            component("http", "pkg:pub/http@0.13.2", None),
            component(
                "changed-files",
                "pkg:githubactions/tj-actions/changed-files@v45",
                None,
            ),
            // Fixed versions: no finding.
            component("psr7", "pkg:composer/guzzlehttp/psr7@v2.4.5", None),
            component("rack", "pkg:gem/rack@3.0.4.2", None),
        ];
        let r = scan(&d, &targets, None);
        let mut got = statuses(&r);
        got.sort();
        assert_eq!(
            got,
            [
                ("GHSA-act", Status::Affected),
                ("GHSA-comp", Status::Affected),
                ("GHSA-gem", Status::Affected),
                ("GHSA-nuget", Status::Affected),
                ("GHSA-pub", Status::Affected),
                ("RHSA-PROBE", Status::Affected),
            ]
        );
    }

    #[test]
    fn empty_cvss_vectors_are_reported() {
        let d = db(&[
            r#"{"id":"GHSA-empty","severity":[{"type":"CVSS_V3","score":""}],"affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
            r#"{"id":"GHSA-null","affected":[{"package":{"ecosystem":"npm","name":"a"},"severity":[{"type":"CVSS_V4","score":null}],"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
            r#"{"id":"GHSA-other","severity":[{"type":"CVSS_V3","score":""}],"affected":[{"package":{"ecosystem":"npm","name":"b"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
        ]);
        let r = scan(&d, &[target("pkg:npm/a@1.0.0")], None);
        assert_eq!(r.findings.len(), 2);
        assert!(r.findings.iter().all(|f| f.cvss_v3.is_none()));
        assert_eq!(
            r.warnings,
            [
                "GHSA-empty: the CVSS_V3 vector in `severity` is empty; the finding has no score from it, so assess the severity by hand",
                "GHSA-null: the CVSS_V4 vector in `affected[0].severity` is empty; the finding has no score from it, so assess the severity by hand",
            ],
            "only the advisories behind findings"
        );
    }
}
