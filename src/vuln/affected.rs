//! Which releases and which component versions a vulnerability affects: one answer, so the
//! components register, the security report, a release's SBOM table and its list of
//! vulnerabilities tell the same story.
//!
//! A VULN names the components it affects (`affects`, CMP records) and the fielded releases that
//! contain the vulnerable item (`fielded`). A CMP record describes one version of a component,
//! the one the latest release ships; when the component is upgraded the record moves to the new
//! version, and a VULN against the old version keeps naming it. So `affects` alone does not say
//! that the version the record describes is affected: a CVE of Mbed TLS 3.5.1, fixed by moving to
//! 3.5.2, still names the record that now says 3.5.2. The releases' SBOMs settle it:
//!
//! - a VULN affects the **version a CMP record describes** when it names no release in `fielded`
//!   (nothing says otherwise), or one of the releases it names lists that component at the
//!   record's version in its SBOM (or has no SBOM ddf can read, which cannot rule it out);
//! - a VULN is **in a release** when the release is in its `fielded`, or the release's SBOM lists
//!   a component it affects at the version the record describes and that version is affected.

use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::record::Record;
use crate::sbom::{self, Component, ReadOptions};
use rustc_hash::{FxHashMap, FxHashSet};

/// `2.0` vs `v2.0`: versions compared as written, a leading `v` aside.
pub(crate) fn same_version(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => sbom::plain_version(a) == sbom::plain_version(b),
        (None, None) => true,
        _ => false,
    }
}

/// Pairs SBOM components with CMP records one to one: by `sbom_ref`, then by normalised purl
/// with the same version, then by normalised purl. Returns, per component, the index into `cmps`.
pub(crate) fn pair(cmps: &[&Record], comps: &[&Component]) -> Vec<Option<usize>> {
    let cmp_purl: Vec<Option<String>> = cmps
        .iter()
        .map(|r| {
            r.text("purl")
                .and_then(|p| sbom::purl::Purl::parse(&p).ok())
                .map(|p| p.versionless())
        })
        .collect();
    let comp_purl: Vec<Option<String>> = comps
        .iter()
        .map(|c| c.parsed_purl().map(|p| p.versionless()))
        .collect();
    let cmp_version: Vec<Option<String>> = cmps.iter().map(|r| r.text("version")).collect();
    // Candidates by key, in record order: each component takes the first record not yet taken
    // that matches, as a scan of every record would, without comparing every pair (a release of
    // thousands of components against thousands of records).
    let mut by_ref: FxHashMap<String, Vec<usize>> = FxHashMap::default();
    let mut by_purl: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (j, r) in cmps.iter().enumerate() {
        if let Some(s) = r.text("sbom_ref") {
            by_ref.entry(s).or_default().push(j);
        }
        if let Some(p) = &cmp_purl[j] {
            by_purl.entry(p.as_str()).or_default().push(j);
        }
    }
    let mut out = vec![None; comps.len()];
    let mut taken = vec![false; cmps.len()];
    for pass in 0..3 {
        for (i, c) in comps.iter().enumerate() {
            if out[i].is_some() {
                continue;
            }
            let candidates: &[usize] = match pass {
                0 if !c.sbom_ref.is_empty() => by_ref.get(&c.sbom_ref).map_or(&[], Vec::as_slice),
                1 | 2 => comp_purl[i]
                    .as_deref()
                    .and_then(|p| by_purl.get(p))
                    .map_or(&[], Vec::as_slice),
                _ => &[],
            };
            let found = candidates.iter().copied().find(|&j| {
                !taken[j]
                    && (pass != 1 || same_version(cmp_version[j].as_deref(), c.version.as_deref()))
            });
            if let Some(j) = found {
                taken[j] = true;
                out[i] = Some(j);
            }
        }
    }
    out
}

/// What the releases' SBOMs contain, read once per corpus.
#[derive(Debug, Default)]
pub struct Contents {
    /// CMP record index -> REL indices whose SBOM lists it at the record's version.
    contains: FxHashMap<usize, Vec<usize>>,
    /// REL index -> the CMP records its SBOM lists at their records' version.
    listed: FxHashMap<usize, Vec<usize>>,
    /// REL indices whose every SBOM file was read and parsed: what they do not list, they do
    /// not contain.
    known: FxHashSet<usize>,
}

/// The answers above, over a corpus and what its releases' SBOMs contain.
pub struct Affected<'a> {
    corpus: &'a Corpus,
    graph: &'a Graph,
    contents: &'a Contents,
}

impl Contents {
    /// Reads the SBOM files of every release (not obsolete) from the corpus's attachments and
    /// pairs their components with the CMP records (not obsolete), as `sbom-reconciled` does.
    pub fn new(corpus: &Corpus) -> Contents {
        let live = |ty: &str| -> Vec<usize> {
            corpus
                .records_of(ty)
                .iter()
                .copied()
                .filter(|&i| corpus.records[i].status() != "obsolete")
                .collect()
        };
        let opts = ReadOptions::from_config(&corpus.config);
        let cmps = live("component");
        let recs: Vec<&Record> = cmps.iter().map(|&i| &corpus.records[i]).collect();
        let mut contains: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut listed: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut known = FxHashSet::default();
        for rel in live("release") {
            let mut sboms = Vec::new();
            let mut complete = true;
            for p in corpus.records[rel].list("sbom") {
                let p = p.trim().to_string();
                match corpus.attachments.get(&p) {
                    Some(Ok(Some(bytes))) => match sbom::parse(bytes, &p, &opts) {
                        Ok(s) => sboms.push(s),
                        Err(_) => complete = false,
                    },
                    _ => complete = false,
                }
            }
            if complete && !sboms.is_empty() {
                known.insert(rel);
            }
            let comps: Vec<&Component> = sboms.iter().flat_map(|s| &s.components).collect();
            for (k, j) in pair(&recs, &comps).into_iter().enumerate() {
                let Some(j) = j else { continue };
                if same_version(
                    recs[j].text("version").as_deref(),
                    comps[k].version.as_deref(),
                ) {
                    contains.entry(cmps[j]).or_default().push(rel);
                    listed.entry(rel).or_default().push(cmps[j]);
                }
            }
        }
        for v in contains.values_mut().chain(listed.values_mut()) {
            v.sort_unstable();
            v.dedup();
        }
        Contents {
            contains,
            listed,
            known,
        }
    }
}

impl<'a> Affected<'a> {
    /// The answers for `corpus` (with its `graph`), whose releases contain `contents`.
    pub fn new(corpus: &'a Corpus, graph: &'a Graph, contents: &'a Contents) -> Affected<'a> {
        Affected {
            corpus,
            graph,
            contents,
        }
    }

    /// Whether release `rel`'s SBOM lists CMP record `cmp` at the record's version: `None` when
    /// the release has no SBOM ddf could read in full, so it cannot say.
    pub fn contains(&self, rel: usize, cmp: usize) -> Option<bool> {
        if self
            .contents
            .contains
            .get(&cmp)
            .is_some_and(|v| v.contains(&rel))
        {
            Some(true)
        } else if self.contents.known.contains(&rel) {
            Some(false)
        } else {
            None
        }
    }

    fn is_vuln(&self, v: usize) -> bool {
        self.corpus.type_of(v) == "vulnerability"
    }

    /// The releases VULN `v` names in `fielded` (those that exist).
    fn fielded(&self, v: usize) -> Vec<usize> {
        self.graph
            .outbound(v, "fielded")
            .filter(|&r| self.corpus.type_of(r) == "release")
            .collect()
    }

    /// Whether VULN `v` affects the version CMP record `cmp` describes (the module's rule).
    pub fn affects_current(&self, v: usize, cmp: usize) -> bool {
        let fielded = self.fielded(v);
        fielded.is_empty()
            || fielded
                .iter()
                .any(|&rel| self.contains(rel, cmp) != Some(false))
    }

    /// Whether VULN `v` is in release `rel` through CMP record `cmp`: the release is in its
    /// `fielded`, or its SBOM lists `cmp` at the record's version and that version is affected.
    pub fn in_release_through(&self, v: usize, cmp: usize, rel: usize) -> bool {
        self.fielded(v).contains(&rel)
            || (self.contains(rel, cmp) == Some(true) && self.affects_current(v, cmp))
    }

    /// Whether VULN `v` is in release `rel`.
    pub fn in_release(&self, v: usize, rel: usize) -> bool {
        self.fielded(v).contains(&rel)
            || self
                .graph
                .outbound(v, "affects")
                .any(|cmp| self.in_release_through(v, cmp, rel))
    }

    fn by_id(&self, mut v: Vec<usize>) -> Vec<usize> {
        v.sort_by(|&a, &b| self.corpus.records[a].id.cmp(&self.corpus.records[b].id));
        v.dedup();
        v
    }

    /// The VULNs naming CMP record `cmp` in `affects`, split: those that affect the version the
    /// record describes, and those that affected only earlier versions, each with the releases
    /// it names in `fielded`. Both by id.
    pub fn of_component(&self, cmp: usize) -> (Vec<usize>, Vec<(usize, Vec<usize>)>) {
        let all = self.by_id(
            self.graph
                .inbound(cmp, "affects")
                .filter(|&v| self.is_vuln(v))
                .collect(),
        );
        let (current, earlier): (Vec<usize>, Vec<usize>) =
            all.into_iter().partition(|&v| self.affects_current(v, cmp));
        let earlier = earlier
            .into_iter()
            .map(|v| (v, self.by_id(self.fielded(v))))
            .collect();
        (current, earlier)
    }

    /// The VULNs listed against CMP record `cmp` in release `rel`'s SBOM, by id.
    pub fn of_component_in_release(&self, cmp: usize, rel: usize) -> Vec<usize> {
        self.by_id(
            self.graph
                .inbound(cmp, "affects")
                .filter(|&v| self.is_vuln(v) && self.in_release_through(v, cmp, rel))
                .collect(),
        )
    }

    /// The VULNs in release `rel`, by id.
    pub fn of_release(&self, rel: usize) -> Vec<usize> {
        let mut candidates: Vec<usize> = self
            .graph
            .inbound(rel, "fielded")
            .filter(|&v| self.is_vuln(v))
            .collect();
        for &cmp in self
            .contents
            .listed
            .get(&rel)
            .map_or(&[][..], Vec::as_slice)
        {
            candidates.extend(
                self.graph
                    .inbound(cmp, "affects")
                    .filter(|&v| self.is_vuln(v) && self.in_release_through(v, cmp, rel)),
            );
        }
        self.by_id(candidates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(id: &str, fields: &str) -> Record {
        let text =
            format!("---\nid: {id}\ntype: component\ntitle: c\nstatus: draft\n{fields}---\n");
        crate::record::parse("x.md", text.as_bytes())
            .record
            .expect("parses")
    }

    fn comp(sbom_ref: &str, purl: &str, version: &str) -> Component {
        Component {
            sbom_ref: sbom_ref.into(),
            name: "n".into(),
            purl: Some(purl.into()),
            version: Some(version.into()),
            ..Component::default()
        }
    }

    #[test]
    fn pairs_by_ref_then_purl_with_the_same_version_then_purl() {
        let recs = [
            cmp("CMP-001", "purl: pkg:npm/a@1.0.0\nversion: 1.0.0\n"),
            cmp("CMP-002", "purl: pkg:npm/a@2.0.0\nversion: 2.0.0\n"),
            cmp(
                "CMP-003",
                "sbom_ref: x\npurl: pkg:npm/b@1.0.0\nversion: 1.0.0\n",
            ),
            cmp("CMP-004", "purl: pkg:npm/c@1.0.0\nversion: 1.0.0\n"),
        ];
        let refs: Vec<&Record> = recs.iter().collect();
        let comps = [
            comp("", "pkg:npm/a@2.0.0", "2.0.0"),
            comp("", "pkg:npm/a@3.0.0", "3.0.0"),
            comp("x", "pkg:npm/zzz@9", "9"),
            comp("", "pkg:npm/c@5.0.0", "5.0.0"),
            comp("", "pkg:npm/c@6.0.0", "6.0.0"),
        ];
        let cs: Vec<&Component> = comps.iter().collect();
        // a@2 takes CMP-002 (same version) though CMP-001 comes first; a@3 the one left; the
        // bom-ref wins over the purl; one record pairs with one component only.
        assert_eq!(pair(&refs, &cs), [Some(1), Some(0), Some(2), Some(3), None]);
    }
}
