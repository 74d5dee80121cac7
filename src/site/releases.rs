//! The releases of the site: `releases.html` lists the REL records and the Git tags (the
//! baselines), and `releases/<REL-ID>.html` shows one release: its record, its SBOM (components
//! with purl/CPE, supplier, support, end of support and vulnerabilities with their VEX state, and
//! the original SBOM files as downloads) and the DDF as it stood at the release (ISO 13485
//! 7.3.10): the records at the release's revision, counted per type, and the records added,
//! modified and removed since the previous release.
//!
//! The records at every release come from the history index in one pass
//! ([`crate::history::log::records_at`]), never from a history walk per release. The change log
//! shows the same per-release differences; it takes them from `Timeline`.

use super::render::Renderer;
use super::views::{
    at_depth, record_href, record_ref, ref_at, ref_of_id, value_text, FieldView, RecordRef,
    SiteView,
};
use super::{markdown, Input, OutFile, SiteError};
use crate::corpus::Corpus;
use crate::history::approval::format_time;
use crate::history::History;
use crate::integrity::IntegrityError;
use crate::record::Record;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// A release in a list (the home page's release selector, the releases page).
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseLink {
    /// The REL record.
    pub release: RecordRef,
    /// The release's own page, relative to the site root; `None` when the id cannot name a page.
    pub page: Option<String>,
    /// `version`.
    pub version: String,
    /// `tag`.
    pub tag: String,
    /// `fielded`: the date first fielded, or `false`.
    pub fielded: String,
}

/// A Git commit, briefly.
#[derive(Debug, Clone, Serialize)]
pub struct CommitRef {
    /// Full id.
    pub commit: String,
    /// First 10 characters.
    pub short: String,
    /// Committer date and time, UTC.
    pub date: String,
    /// Subject.
    pub subject: String,
}

/// A Git tag: a baseline.
#[derive(Debug, Clone, Serialize)]
pub struct TagView {
    /// Tag name.
    pub name: String,
    /// The commit it points to, when that commit is in the history read.
    pub commit: Option<CommitRef>,
    /// The commit id, also when it is not in the history read.
    pub commit_id: String,
    /// Its first 10 characters.
    pub short: String,
    /// The REL records whose `tag` names it.
    pub releases: Vec<RecordRef>,
}

/// A row of the releases page.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseRow {
    /// The release.
    pub link: ReleaseLink,
    /// `commit` as written.
    pub commit_field: String,
    /// The revision the release resolves to in the history, if any.
    pub revision: Option<CommitRef>,
    /// `support_end`.
    pub support_end: String,
    /// The CRs it names in `changes`.
    pub changes: Vec<RecordRef>,
}

/// The releases page (`releases.html`).
#[derive(Debug, Clone, Serialize)]
pub struct ReleasesView {
    /// Common fields.
    pub site: SiteView,
    /// Whether Git history was read (tags and revisions are shown only then).
    pub has_history: bool,
    /// The REL records, newest id first.
    pub releases: Vec<ReleaseRow>,
    /// The repository's tags, by name.
    pub tags: Vec<TagView>,
}

/// A vulnerability with its state, as listed against a component or a release.
#[derive(Debug, Clone, Serialize)]
pub struct VulnState {
    /// The VULN record.
    pub record: RecordRef,
    /// Its `state` (the VEX analysis state: `in_triage`, `exploitable`, `not_affected`, ...).
    pub state: String,
}

/// A component of a release's SBOM.
#[derive(Debug, Clone, Serialize)]
pub struct SbomComponentView {
    /// Name (with the CycloneDX group, if any).
    pub name: String,
    /// Version.
    pub version: String,
    /// Package URL.
    pub purl: String,
    /// First CPE.
    pub cpe: String,
    /// Supplier named by the SBOM, else by the CMP record's supplier.
    pub supplier: String,
    /// The CMP record describing it, if one pairs with it (by `sbom_ref`, else purl).
    pub record: Option<RecordRef>,
    /// Set when the record describes another version than the SBOM lists.
    pub record_version: Option<String>,
    /// Support level (the CMP record's, else the SBOM's).
    pub support_level: String,
    /// End of support (the CMP record's, else the SBOM's).
    pub end_of_support: String,
    /// VULN records that affect the CMP record, by id.
    pub vulns: Vec<VulnState>,
    /// VEX statements of the SBOM itself about this component: `id: state`.
    pub vex: Vec<String>,
}

/// One SBOM file of a release.
#[derive(Debug, Clone, Serialize)]
pub struct SbomFileView {
    /// Path relative to the DDF root, as the release lists it.
    pub path: String,
    /// The copy in the site, relative to the site root; `None` when the file could not be read.
    pub download: Option<String>,
    /// `CycloneDX 1.6`, `SPDX SPDX-2.3`.
    pub format: String,
    /// Why the file could not be shown, if it could not.
    pub error: Option<String>,
    /// Its components, in document order.
    pub components: Vec<SbomComponentView>,
}

/// Records of one type at a revision.
#[derive(Debug, Clone, Serialize)]
pub struct TypeAt {
    /// Type name, or `other` for ids of no known type.
    pub name: String,
    /// Number of records.
    pub count: usize,
}

/// The DDF at a release's revision, from the history index.
#[derive(Debug, Clone, Serialize)]
pub struct Frozen {
    /// The revision.
    pub revision: CommitRef,
    /// How it was found (`tag v2.1.0`, or `commit <as written>`).
    pub resolved_from: String,
    /// Number of records.
    pub records: usize,
    /// Records per type, in schema order.
    pub types: Vec<TypeAt>,
    /// The previous release compared with, if any.
    pub previous: Option<RecordRef>,
    /// Records added since the previous release.
    pub added: Vec<RecordRef>,
    /// Records whose content changed since the previous release.
    pub modified: Vec<RecordRef>,
    /// Records removed since the previous release.
    pub removed: Vec<RecordRef>,
}

/// A release page (`releases/<REL-ID>.html`).
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseView {
    /// Common fields.
    pub site: SiteView,
    /// The release record.
    pub release: RecordRef,
    /// Its fields other than id, type, title, status, in file order.
    pub fields: Vec<FieldView>,
    /// `transfer`: the transfer to production record (7.3.8).
    pub transfer: String,
    /// The body, sanitised HTML.
    pub body_html: String,
    /// The CRs it names in `changes`, with their cyber class (`cyber_impact`) as the note.
    pub changes: Vec<VulnState>,
    /// The vulnerabilities in this release, with their state: those naming it in `fielded`,
    /// and those affecting a component its SBOM lists at the version the component's record
    /// describes ([`crate::vuln::affected`], the same answer as the SBOM table and the
    /// components register).
    pub fielded_vulns: Vec<VulnState>,
    /// The SBOM files it lists.
    pub sboms: Vec<SbomFileView>,
    /// Its print view (`releases/<REL-ID>-print.html`, relative to the site root), for the
    /// newest release only ([`super::print::print_release`]).
    pub print_view: Option<String>,
    /// Whether Git history was read.
    pub has_history: bool,
    /// The approvals (electronic signatures) of the release record's current content, newest
    /// first, as on its record page; empty without history.
    pub approvals: Vec<super::views::ApprovalView>,
    /// Who accepted the overall residual risk (ISO 14971 8): the approvals above with the
    /// meaning `responsibility`.
    pub risk_acceptance: Vec<super::views::ApprovalView>,
    /// `overall_residual_risk` as the release record states it.
    pub overall_residual_risk: String,
    /// The DDF as it stood at the release, when its tag or commit is in the history.
    pub frozen: Option<Frozen>,
    /// Why the DDF at the release cannot be shown, or what does not agree (tag and commit naming
    /// different commits).
    pub notes: Vec<String>,
}

fn commit_ref(h: &History, pos: usize) -> CommitRef {
    let c = &h.commits[pos];
    CommitRef {
        commit: c.id.clone(),
        short: c.short().to_string(),
        date: format_time(c.committer_time),
        subject: c.summary.clone(),
    }
}

/// The REL records as list entries, newest id first (ids are given in sequence).
pub(crate) fn release_links(corpus: &Corpus) -> Vec<ReleaseLink> {
    let mut v: Vec<&Record> = corpus
        .records_of("release")
        .iter()
        .map(|&i| &corpus.records[i])
        .collect();
    v.sort_by(|a, b| b.id.cmp(&a.id));
    v.dedup_by(|a, b| a.id == b.id);
    v.into_iter()
        .map(|r| ReleaseLink {
            release: record_ref(corpus, r),
            page: release_page(corpus, &r.id),
            version: r.text("version").unwrap_or_default(),
            tag: r.text("tag").unwrap_or_default(),
            fielded: r.get("fielded").map(value_text).unwrap_or_default(),
        })
        .collect()
}

/// The page of release `id`, relative to the site root, if the id may name a file.
pub(crate) fn release_page(corpus: &Corpus, id: &str) -> Option<String> {
    record_href(corpus, id).map(|_| format!("releases/{id}.html"))
}

/// A release resolved against the history.
pub(crate) struct Resolved {
    /// REL record index.
    pub rel: usize,
    /// History position of its revision.
    pub position: Option<usize>,
    /// `tag v2.1.0` or `commit 9b41...`.
    pub resolved_from: String,
    /// Disagreements and failures, in words.
    pub notes: Vec<String>,
}

/// The releases and tags against the history: every release resolved to a revision, the records
/// at each (one pass over the history index), and the difference from the previous release.
pub(crate) struct Timeline {
    /// Tags by name: (name, commit id, position if in the history).
    pub tags: Vec<(String, String, Option<usize>)>,
    /// The REL records, in `release_links` order (newest id first).
    pub releases: Vec<Resolved>,
    /// Per release (same order), the records at its revision: id -> blob.
    states: Vec<Option<BTreeMap<String, String>>>,
    /// Per release (same order), the index into `releases` of the previous release.
    previous: Vec<Option<usize>>,
}

impl Timeline {
    /// Resolves the releases of `input` (without history, every release is unresolved). A tag
    /// or release commit that names a commit the repository lost is an error, not a release
    /// shown as "not in this repository's history".
    pub(crate) fn new(input: &Input<'_>) -> Result<Timeline, IntegrityError> {
        let corpus = input.corpus;
        let mut order: Vec<usize> = corpus.records_of("release").to_vec();
        order.sort_by(|&a, &b| corpus.records[b].id.cmp(&corpus.records[a].id));
        order.dedup_by(|a, b| corpus.records[*a].id == corpus.records[*b].id);
        let Some(h) = &input.history else {
            return Ok(Timeline {
                tags: Vec::new(),
                releases: order
                    .into_iter()
                    .map(|rel| Resolved {
                        rel,
                        position: None,
                        resolved_from: String::new(),
                        notes: vec!["The DDF is not in a Git repository with commits, so the records at this release cannot be shown.".into()],
                    })
                    .collect(),
                states: Vec::new(),
                previous: Vec::new(),
            });
        };
        let history = h.history;
        let repo = git2::Repository::discover(&history.workdir).ok();
        let mut tags = Vec::new();
        if let Some(repo) = &repo {
            if let Ok(names) = repo.tag_names(None) {
                for name in names.iter().flatten().flatten() {
                    if let Some(oid) = damage_or(crate::source::resolve_commit(
                        repo,
                        &format!("refs/tags/{name}"),
                    ))? {
                        let id = oid.to_string();
                        let pos = history.position(&id);
                        tags.push((name.to_string(), id, pos));
                    }
                }
            }
        }
        tags.sort();
        let releases: Vec<Resolved> = order
            .into_iter()
            .map(|rel| resolve(&corpus.records[rel], rel, history, repo.as_ref(), &tags))
            .collect::<Result<_, _>>()?;
        let positions: Vec<usize> = releases.iter().filter_map(|r| r.position).collect();
        let tip = history
            .tip
            .as_deref()
            .and_then(|t| history.position(t))
            .unwrap_or(0);
        let mut computed = if history.commits.is_empty() {
            Vec::new()
        } else {
            crate::history::log::records_at(history, tip, &positions)
        }
        .into_iter();
        let states: Vec<Option<BTreeMap<String, String>>> = releases
            .iter()
            .map(|r| r.position.and_then(|_| computed.next()))
            .collect();
        let previous = releases
            .iter()
            .map(|r| previous_of(corpus, r, &releases))
            .collect();
        Ok(Timeline {
            tags,
            releases,
            states,
            previous,
        })
    }

    /// The records at release `k` (an index into `releases`), if known.
    fn state(&self, k: usize) -> Option<&BTreeMap<String, String>> {
        self.states.get(k).and_then(Option::as_ref)
    }

    /// The previous release of release `k` and what changed since it: (previous, diff).
    pub(crate) fn since_previous(
        &self,
        k: usize,
    ) -> Option<(usize, crate::history::log::StateDiff)> {
        let p = (*self.previous.get(k)?)?;
        let (old, new) = (self.state(p)?, self.state(k)?);
        Some((p, crate::history::log::diff_states(old, new)))
    }
}

/// Resolves a release's revision: its tag first (what the team named the baseline), else its
/// commit; notes a tag and commit that name different commits.
fn resolve(
    r: &Record,
    rel: usize,
    history: &History,
    repo: Option<&git2::Repository>,
    tags: &[(String, String, Option<usize>)],
) -> Result<Resolved, IntegrityError> {
    let mut notes = Vec::new();
    let tag = r.text("tag");
    let commit = r.text("commit");
    let by_tag = tag
        .as_deref()
        .and_then(|t| tags.iter().find(|(n, _, _)| n == t));
    let by_commit = match (commit.as_deref(), repo) {
        (Some(c), Some(repo)) => {
            damage_or(crate::source::resolve_commit(repo, c))?.map(|oid| oid.to_string())
        }
        _ => None,
    };
    if let (Some((t, tid, _)), Some(cid)) = (by_tag, &by_commit) {
        if tid != cid {
            notes.push(format!(
                "Tag {t} points to {}, but `commit` names {}.",
                &tid[..tid.len().min(10)],
                &cid[..cid.len().min(10)]
            ));
        }
    }
    let (position, resolved_from) = match (by_tag, &by_commit) {
        (Some((t, _, Some(p))), _) => (Some(*p), format!("tag {t}")),
        (_, Some(cid)) if history.position(cid).is_some() => (
            history.position(cid),
            format!("commit {}", commit.as_deref().unwrap_or_default()),
        ),
        _ => (None, String::new()),
    };
    if position.is_none() {
        let named: Vec<String> = [
            tag.map(|t| format!("tag `{t}`")),
            commit.map(|c| format!("commit `{c}`")),
        ]
        .into_iter()
        .flatten()
        .collect();
        notes.push(if named.is_empty() {
            "The release names no tag or commit, so the records at it cannot be shown.".to_string()
        } else {
            format!(
                "Neither {} is in this repository's history, so the records at this release cannot be shown.",
                named.join(" nor ")
            )
        });
    }
    Ok(Resolved {
        rel,
        position,
        resolved_from,
        notes,
    })
}

/// A resolved revision; `None` when it does not resolve (the release page says so), an error
/// when the repository lost what it leads to.
fn damage_or(
    r: Result<git2::Oid, crate::source::SourceError>,
) -> Result<Option<git2::Oid>, IntegrityError> {
    match r {
        Ok(oid) => Ok(Some(oid)),
        Err(crate::source::SourceError::Integrity(e)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The release compared with: the first release named in `prior` that resolves, else the
/// resolved release nearest before it in the history.
fn previous_of(corpus: &Corpus, r: &Resolved, all: &[Resolved]) -> Option<usize> {
    let pos = r.position?;
    let rec = &corpus.records[r.rel];
    let by_prior = rec.links_of("prior").find_map(|id| {
        all.iter()
            .position(|o| corpus.records[o.rel].id == id && o.position.is_some())
    });
    by_prior.or_else(|| {
        all.iter()
            .enumerate()
            .filter(|(_, o)| o.position.is_some_and(|p| p > pos))
            .min_by_key(|(_, o)| (o.position, corpus.records[o.rel].id.clone()))
            .map(|(k, _)| k)
    })
}

/// Ids as references, sorted.
fn refs(corpus: &Corpus, ids: &[String]) -> Vec<RecordRef> {
    ids.iter().map(|id| ref_of_id(corpus, id)).collect()
}

fn frozen(input: &Input<'_>, t: &Timeline, k: usize) -> Option<Frozen> {
    let h = input.history.as_ref()?;
    let corpus = input.corpus;
    let r = &t.releases[k];
    let pos = r.position?;
    let state = t.state(k)?;
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    for id in state.keys() {
        let prefix = id.split('-').next().unwrap_or("");
        let name = corpus
            .config
            .schema
            .by_prefix(prefix)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| "other".into());
        *per_type.entry(name).or_default() += 1;
    }
    let mut types: Vec<TypeAt> = corpus
        .config
        .schema
        .types
        .values()
        .filter_map(|d| {
            per_type.remove(&d.name).map(|count| TypeAt {
                name: d.name.clone(),
                count,
            })
        })
        .collect();
    types.extend(
        per_type
            .into_iter()
            .map(|(name, count)| TypeAt { name, count }),
    );
    let (previous, diff) = match t.since_previous(k) {
        Some((p, d)) => (Some(ref_at(corpus, t.releases[p].rel)), d),
        None => (None, Default::default()),
    };
    Some(Frozen {
        revision: commit_ref(h.history, pos),
        resolved_from: r.resolved_from.clone(),
        records: state.len(),
        types,
        previous,
        added: refs(corpus, &diff.added),
        modified: refs(corpus, &diff.modified),
        removed: refs(corpus, &diff.removed),
    })
}

/// Where each SBOM file of the releases is copied in the site: `downloads/` and its path, every
/// character a page path may not hold replaced by `_`, made unique. Only a file that parses as
/// an SBOM is published: whatever else a release names (a key, a config file) stays out of the
/// site, and the release page and `sbom-reconciled` say why.
fn download_paths(corpus: &Corpus) -> BTreeMap<String, String> {
    let opts = crate::sbom::ReadOptions::from_config(&corpus.config);
    let sboms: Vec<String> = crate::sbom::release_files(corpus)
        .into_par_iter()
        .filter(|path| {
            matches!(corpus.attachments.get(path), Some(Ok(Some(bytes)))
                if crate::sbom::parse(bytes, path, &opts).is_ok())
        })
        .collect();
    let mut out = BTreeMap::new();
    let mut used = std::collections::BTreeSet::new();
    for path in sboms {
        let safe: Vec<String> = path
            .split(['/', '\\'])
            .filter(|s| !s.is_empty() && *s != ".")
            .map(|seg| {
                let s: String = seg
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                if s == ".." {
                    "_".into()
                } else {
                    s
                }
            })
            .collect();
        let base = format!("downloads/{}", safe.join("/"));
        let mut candidate = base.clone();
        let mut n = 2;
        while used.contains(&candidate) {
            // `a.json` -> `a-2.json`: the copy keeps its extension.
            let (dir, file) = base.rsplit_once('/').unwrap_or(("", base.as_str()));
            let (stem, ext) = match file.rsplit_once('.') {
                Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
                _ => (file, String::new()),
            };
            candidate = format!("{dir}/{stem}-{n}{ext}");
            n += 1;
        }
        used.insert(candidate.clone());
        out.insert(path, candidate);
    }
    out
}

fn vuln_states(corpus: &Corpus, mut v: Vec<usize>) -> Vec<VulnState> {
    v.sort_by(|&a, &b| corpus.records[a].id.cmp(&corpus.records[b].id));
    v.dedup();
    v.into_iter()
        .map(|j| {
            let r = &corpus.records[j];
            VulnState {
                record: record_ref(corpus, r),
                state: r.text("state").unwrap_or_default(),
            }
        })
        .collect()
}

fn sbom_files(
    input: &Input<'_>,
    rel_index: usize,
    downloads: &BTreeMap<String, String>,
    affected: &crate::vuln::affected::Affected<'_>,
) -> Vec<SbomFileView> {
    let corpus = input.corpus;
    let rel = &corpus.records[rel_index];
    let opts = crate::sbom::ReadOptions::from_config(&corpus.config);
    let cmps: Vec<usize> = corpus
        .records_of("component")
        .iter()
        .copied()
        .filter(|&i| corpus.records[i].status() != "obsolete")
        .collect();
    let cmp_recs: Vec<&Record> = cmps.iter().map(|&i| &corpus.records[i]).collect();
    rel.list("sbom")
        .into_iter()
        .map(|p| p.trim().to_string())
        .map(|path| {
            let mut view = SbomFileView {
                download: None,
                format: String::new(),
                error: None,
                components: Vec::new(),
                path: path.clone(),
            };
            let bytes = match corpus.attachments.get(&path) {
                _ if !crate::sbom::is_safe_relative(&path) => {
                    view.error = Some("not a path inside the DDF root".into());
                    return view;
                }
                Some(Ok(Some(b))) => b,
                Some(Ok(None)) => {
                    view.error = Some("the file does not exist".into());
                    return view;
                }
                Some(Err(e)) => {
                    view.error = Some(format!("the file cannot be read: {e}"));
                    return view;
                }
                None => {
                    view.error = Some("the file was not read".into());
                    return view;
                }
            };
            view.download = downloads.get(&path).cloned();
            let sbom = match crate::sbom::parse(bytes, &path, &opts) {
                Ok(s) => s,
                Err(e) => {
                    view.error = Some(e.to_string());
                    return view;
                }
            };
            view.format = format!("{} {}", sbom.format, sbom.spec_version);
            let comps: Vec<&crate::sbom::Component> = sbom.components.iter().collect();
            let paired = crate::rules::vulns::pair(&cmp_recs, &comps);
            view.components = comps
                .iter()
                .zip(paired)
                .map(|(c, j)| {
                    let rec = j.map(|j| (cmps[j], cmp_recs[j]));
                    let from_rec = |f: &str| rec.and_then(|(_, r)| r.text(f));
                    let version = c.version.clone().unwrap_or_default();
                    let record_version = from_rec("version").filter(|v| {
                        crate::sbom::plain_version(v) != crate::sbom::plain_version(&version)
                    });
                    let supplier = c.supplier.clone().unwrap_or_else(|| {
                        rec.map(|(_, r)| {
                            r.links_of("supplier")
                                .map(|id| {
                                    corpus
                                        .get(id)
                                        .and_then(|s| s.text("name"))
                                        .unwrap_or_else(|| id.to_string())
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default()
                    });
                    // The same answer as the release's list of vulnerabilities and the
                    // components register: `crate::vuln::affected`.
                    let vulns = rec
                        .map(|(i, _)| {
                            vuln_states(corpus, affected.of_component_in_release(i, rel_index))
                        })
                        .unwrap_or_default();
                    let vex = sbom
                        .vex
                        .iter()
                        .filter(|v| !c.sbom_ref.is_empty() && v.affects.contains(&c.sbom_ref))
                        .map(|v| {
                            format!(
                                "{}: {}",
                                v.id,
                                v.state.clone().unwrap_or_else(|| "no state".into())
                            )
                        })
                        .collect();
                    SbomComponentView {
                        name: match &c.group {
                            Some(g) if !g.is_empty() => format!("{g}/{}", c.name),
                            _ => c.name.clone(),
                        },
                        version,
                        purl: c.purl.clone().unwrap_or_default(),
                        cpe: c.cpes.first().cloned().unwrap_or_default(),
                        supplier,
                        record: rec.map(|(_, r)| record_ref(corpus, r)),
                        record_version,
                        support_level: from_rec("support_level")
                            .or_else(|| c.support_level.clone())
                            .unwrap_or_default(),
                        end_of_support: from_rec("end_of_support")
                            .or_else(|| c.end_of_support.clone())
                            .unwrap_or_default(),
                        vulns,
                        vex,
                    }
                })
                .collect();
            view
        })
        .collect()
}

fn release_view(
    input: &Input<'_>,
    site: &SiteView,
    t: &Timeline,
    k: usize,
    downloads: &BTreeMap<String, String>,
    logged: &rustc_hash::FxHashSet<String>,
    affected: &crate::vuln::affected::Affected<'_>,
) -> ReleaseView {
    let corpus = input.corpus;
    let resolved = &t.releases[k];
    let i = resolved.rel;
    let r = &corpus.records[i];
    // The same approvals as the record page: those that cover the current content.
    let approvals: Vec<&crate::history::approval::Approval> = match &input.history {
        Some(h) => h
            .ctx
            .approvals_of(&r.id)
            .filter(|a| crate::history::approval::covers(h.history, a, &r.id, &r.blob))
            .collect(),
        None => Vec::new(),
    };
    let view = |a: &&crate::history::approval::Approval| {
        super::views::approval_link_view(corpus, logged, a)
    };
    let body_href = |id: &str| record_href(corpus, id).map(|h| format!("../{h}"));
    ReleaseView {
        site: at_depth(site, "../"),
        release: record_ref(corpus, r),
        fields: super::views::field_views(corpus, r),
        transfer: r.text("transfer").unwrap_or_default(),
        body_html: markdown::render(&r.body, &body_href),
        changes: r
            .links_of("changes")
            .map(|id| VulnState {
                record: ref_of_id(corpus, id),
                state: corpus
                    .get(id)
                    .and_then(|c| c.text("cyber_impact"))
                    .unwrap_or_default(),
            })
            .collect(),
        fielded_vulns: vuln_states(corpus, affected.of_release(i)),
        sboms: sbom_files(input, i, downloads, affected),
        print_view: (super::print::print_release(corpus) == Some(i))
            .then(|| format!("releases/{}-print.html", r.id)),
        has_history: input.history.is_some(),
        risk_acceptance: approvals
            .iter()
            .filter(|a| a.means("responsibility"))
            .map(view)
            .collect(),
        approvals: approvals.iter().map(view).collect(),
        overall_residual_risk: r.text("overall_residual_risk").unwrap_or_default(),
        frozen: frozen(input, t, k),
        notes: resolved.notes.clone(),
    }
}

/// The releases page, a page per release, and the SBOM files they list as downloads.
pub fn pages(r: &Renderer, input: &Input<'_>, site: &SiteView) -> Result<Vec<OutFile>, SiteError> {
    let corpus = input.corpus;
    let t = r.timeline(input)?;
    let links = release_links(corpus);
    let rows: Vec<ReleaseRow> = links
        .iter()
        .zip(&t.releases)
        .map(|(link, res)| {
            let rec = &corpus.records[res.rel];
            ReleaseRow {
                link: link.clone(),
                commit_field: rec.text("commit").unwrap_or_default(),
                revision: input
                    .history
                    .as_ref()
                    .zip(res.position)
                    .map(|(h, p)| commit_ref(h.history, p)),
                support_end: rec.text("support_end").unwrap_or_default(),
                changes: rec
                    .links_of("changes")
                    .map(|id| ref_of_id(corpus, id))
                    .collect(),
            }
        })
        .collect();
    let mut by_tag: BTreeMap<&str, Vec<RecordRef>> = BTreeMap::new();
    for res in &t.releases {
        let rec = &corpus.records[res.rel];
        if let Some(tag) = rec.str("tag") {
            by_tag.entry(tag).or_default().push(record_ref(corpus, rec));
        }
    }
    let tags = t
        .tags
        .iter()
        .map(|(name, id, pos)| TagView {
            name: name.clone(),
            commit: input
                .history
                .as_ref()
                .zip(*pos)
                .map(|(h, p)| commit_ref(h.history, p)),
            commit_id: id.clone(),
            short: id.chars().take(10).collect(),
            releases: by_tag.get(name.as_str()).cloned().unwrap_or_default(),
        })
        .collect();
    let mut out = vec![r.page(
        "site/releases.html",
        "releases.html".into(),
        &ReleasesView {
            site: at_depth(site, ""),
            has_history: input.history.is_some(),
            releases: rows,
            tags,
        },
    )?];
    let downloads = download_paths(corpus);
    for (path, target) in &downloads {
        if let Some(Ok(Some(bytes))) = corpus.attachments.get(path) {
            out.push(OutFile {
                path: target.clone(),
                bytes: bytes.clone(),
            });
        }
    }
    let logged = r.logged_commits(input);
    let affected = r.affected(input);
    let pages: Vec<OutFile> = (0..t.releases.len())
        .into_par_iter()
        .filter_map(|k| {
            let page = release_page(corpus, &corpus.records[t.releases[k].rel].id)?;
            Some(r.page(
                "site/release.html",
                page,
                &release_view(input, site, t, k, &downloads, logged, &affected),
            ))
        })
        .collect::<Result<_, _>>()?;
    out.extend(pages);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_stay_in_the_site_and_are_unique() {
        let (config, diags) =
            crate::config::Config::parse("project: T\n", "ddf.yaml").expect("config");
        let rel = "---\nid: REL-001\ntype: release\ntitle: R\nstatus: draft\nsbom: [sboms/a b.json, sboms/a_b.json, ../x.json, sboms/notes.json, sboms/gone.json]\n---\n";
        let mut corpus = Corpus::from_files(
            "t".into(),
            config,
            diags,
            vec![crate::source::SourceFile {
                path: "records/REL-001.md".into(),
                content: Ok(rel.as_bytes().to_vec()),
            }],
        );
        let sbom = br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}"#;
        for (path, bytes) in [
            ("sboms/a b.json", Ok(Some(sbom.to_vec()))),
            ("sboms/a_b.json", Ok(Some(sbom.to_vec()))),
            // Not an SBOM: not published.
            (
                "sboms/notes.json",
                Ok(Some(b"{\"token\": \"s3cret\"}".to_vec())),
            ),
            ("sboms/gone.json", Err("refused".to_string())),
        ] {
            corpus.attachments.insert(path.into(), bytes);
        }
        let d = download_paths(&corpus);
        assert_eq!(
            d.into_iter().collect::<Vec<_>>(),
            [
                (
                    "sboms/a b.json".to_string(),
                    "downloads/sboms/a_b.json".to_string()
                ),
                (
                    "sboms/a_b.json".to_string(),
                    "downloads/sboms/a_b-2.json".to_string()
                ),
            ]
        );
    }
}
