//! The change log of the site (`changes.html`): the changes of the controlled branch as
//! `ddf log` lists them, the records each release changed since the one before, and every
//! change request with its impact assessment, cyber class, approvals and the merges that name it
//! (ISO 13485 7.3.9; 21 CFR Part 11 manifestations).
//!
//! The log is the first-parent line of the controlled branch (`controlled_branch` in ddf.yaml;
//! the commit built when that branch is not in the history read), computed by the same library
//! code as `ddf log` ([`crate::history::log`]). Without history the page says so and still lists
//! the change requests.

use super::releases::{release_page, Timeline};
use super::views::{
    approval_link_view, at_depth, record_ref, ref_at, ref_of_id, value_text, ApprovalView,
    RecordRef, SiteView,
};
use super::{Input, OutFile, SiteError};
use crate::history::approval::format_time;
use crate::history::log::{first_parent_line, ApprovalIndex};
use crate::history::{Commit, History};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

/// A commit, briefly.
#[derive(Debug, Clone, Serialize)]
pub struct CommitBrief {
    /// Full id.
    pub commit: String,
    /// First 10 characters.
    pub short: String,
    /// Committer date and time, UTC.
    pub date: String,
    /// Author name.
    pub author: String,
    /// Subject.
    pub subject: String,
}

/// A record a change added, modified, renamed or removed.
#[derive(Debug, Clone, Serialize)]
pub struct RecordChangeView {
    /// `added`, `modified`, `renamed` or `removed`.
    pub change: String,
    /// The record (linked when it still exists).
    pub record: RecordRef,
    /// Field changes, `name: old -> new`.
    pub fields: Vec<String>,
    /// Whether the body changed (modified and renamed records).
    pub body_changed: bool,
}

/// One change of the controlled branch.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeEntryView {
    /// The commit.
    #[serde(flatten)]
    pub commit: CommitBrief,
    /// Change requests named in `Change-Request:` trailers.
    pub change_requests: Vec<RecordRef>,
    /// Whether it is a merge.
    pub merge: bool,
    /// Records it changed against its first parent (for a merge: everything the merge brought
    /// onto the branch).
    pub records: Vec<RecordChangeView>,
    /// Approvals that cover it: the commit itself, approvals of its CRs, approvals of the content
    /// it produced.
    pub approvals: Vec<ApprovalView>,
    /// For a merge: the commits it brought in, newest first.
    pub merged: Vec<CommitBrief>,
    /// Tags pointing at it.
    pub tags: Vec<String>,
    /// Whether it predates change control (`change_control_since`).
    pub before_control: bool,
}

/// The records one release changed since the one before it.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseDiffView {
    /// The release.
    pub release: RecordRef,
    /// Its page, relative to the site root.
    pub page: Option<String>,
    /// The release compared with.
    pub previous: RecordRef,
    /// Records added.
    pub added: Vec<RecordRef>,
    /// Records whose content changed.
    pub modified: Vec<RecordRef>,
    /// Records removed.
    pub removed: Vec<RecordRef>,
}

/// A change request with its assessment and decision.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRequestView {
    /// The CR.
    pub record: RecordRef,
    /// `cyber_impact`: the cyber class (`may-impact`, `unlikely-to-impact`).
    pub cyber_impact: String,
    /// `cyber_rationale`.
    pub cyber_rationale: String,
    /// `regulatory_path`.
    pub regulatory_path: String,
    /// `emergency: true`.
    pub emergency: bool,
    /// `impact`, as text (YAML for a structured assessment).
    pub impact: String,
    /// `reason`.
    pub reason: String,
    /// What triggered it (`triggered_by`).
    pub triggered_by: Vec<RecordRef>,
    /// What it affects (`affects`).
    pub affects: Vec<RecordRef>,
    /// Signed approvals of the CR (`Approve: CR-...`), newest first.
    pub approvals: Vec<ApprovalView>,
    /// Commits of the controlled branch that name it in `Change-Request:`, newest first.
    pub merges: Vec<CommitBrief>,
    /// Releases that name it in `changes`.
    pub releases: Vec<RecordRef>,
}

/// The change log page (`changes.html`).
#[derive(Debug, Clone, Serialize)]
pub struct ChangesView {
    /// Common fields.
    pub site: SiteView,
    /// Whether Git history was read.
    pub has_history: bool,
    /// `controlled_branch` from ddf.yaml.
    pub branch: String,
    /// Whether the log follows the controlled branch (false: it was not in the history read, and
    /// the log follows the commit built).
    pub on_controlled_branch: bool,
    /// The commit the log starts from.
    pub tip: Option<CommitBrief>,
    /// `change_control_since`, resolved.
    pub since: Option<CommitBrief>,
    /// Whether the repository is a shallow clone (older history missing).
    pub shallow: bool,
    /// The changes, newest first: commits that change a record, name a CR or approve.
    pub entries: Vec<ChangeEntryView>,
    /// Per release, newest first, the records changed since the previous release.
    pub releases: Vec<ReleaseDiffView>,
    /// Every change request, in file order.
    pub change_requests: Vec<ChangeRequestView>,
    /// The root of trust of the signatures: the commit whose PER keys are trusted as they stand.
    pub trust_root: Option<TrustRootView>,
}

/// The root of trust of the signatures, as the change log shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TrustRootView {
    /// The commit.
    pub commit: CommitBrief,
    /// Whether `change_control_since` names it.
    pub from_config: bool,
    /// Whether it is the commit that first added ddf.yaml (neither: the first commit).
    pub from_adoption: bool,
    /// The keys standing at it.
    pub keys: Vec<TrustKeyView>,
}

/// One key of the trust root.
#[derive(Debug, Clone, Serialize)]
pub struct TrustKeyView {
    /// The person.
    pub person: RecordRef,
    /// The printed name at the trust root.
    pub printed_name: String,
    /// The key's fingerprint.
    pub fingerprint: String,
}

fn brief(c: &Commit) -> CommitBrief {
    CommitBrief {
        commit: c.id.clone(),
        short: c.short().to_string(),
        date: format_time(c.committer_time),
        author: c.author.clone(),
        subject: c.summary.clone(),
    }
}

/// The change log's line: the controlled branch's tip when it is in the history (else `None`),
/// the tip the log starts from (that, else the commit built), and where change control starts.
fn line_ends(hi: &super::HistoryInput<'_>) -> (Option<usize>, Option<usize>, Option<usize>) {
    let h = hi.history;
    let controlled = hi
        .ctx
        .controlled_tip
        .as_deref()
        .and_then(|id| h.position(id));
    let tip = controlled.or_else(|| h.tip.as_deref().and_then(|id| h.position(id)));
    let since = hi.ctx.since.as_deref().and_then(|id| h.position(id));
    (controlled, tip, since)
}

/// The ids of the commits the change log lists (an entry of the line, or a commit a merge
/// brought in), each of which has the anchor `commit-<id>` there: approval tables link a signing
/// commit to it when it is listed. One walk of the line.
pub fn logged_commits(input: &Input<'_>) -> FxHashSet<String> {
    let mut out = FxHashSet::default();
    let Some(hi) = &input.history else {
        return out;
    };
    let h = hi.history;
    let Some(tip) = line_ends(hi).1 else {
        return out;
    };
    for e in first_parent_line(h, tip) {
        let c = &h.commits[e.position];
        let ctl = c.control();
        if !(c.changes.is_empty() && ctl.change_requests.is_empty() && !ctl.is_approval()) {
            out.insert(c.id.clone());
        }
        out.extend(e.merged.iter().map(|&m| h.commits[m].id.clone()));
    }
    out
}

/// The log entries and, per CR id, the commits of the line that name it.
fn log_entries(
    input: &Input<'_>,
    h: &History,
    tip: usize,
    since: Option<usize>,
    tags: &FxHashMap<usize, Vec<String>>,
    logged: &FxHashSet<String>,
) -> (Vec<ChangeEntryView>, FxHashMap<String, Vec<CommitBrief>>) {
    let corpus = input.corpus;
    let approvals = input.history.as_ref().map_or(&[][..], |x| x.approvals);
    let index = ApprovalIndex::new(approvals);
    let before: FxHashSet<usize> = since
        .map(|s| h.ancestors(&h.commits[s].id))
        .unwrap_or_default();
    let mut by_cr: FxHashMap<String, Vec<CommitBrief>> = FxHashMap::default();
    let mut entries = Vec::new();
    for e in first_parent_line(h, tip) {
        let c = &h.commits[e.position];
        let ctl = c.control();
        for cr in &ctl.change_requests {
            by_cr.entry(cr.clone()).or_default().push(brief(c));
        }
        // As `ddf log` without --all: commits that touch no record, name no CR and approve
        // nothing are not changes to the DDF.
        if c.changes.is_empty() && ctl.change_requests.is_empty() && !ctl.is_approval() {
            continue;
        }
        entries.push(ChangeEntryView {
            commit: brief(c),
            change_requests: ctl
                .change_requests
                .iter()
                .map(|id| ref_of_id(corpus, id))
                .collect(),
            merge: c.is_merge(),
            records: c
                .changes
                .iter()
                .map(|ch| RecordChangeView {
                    change: format!("{:?}", ch.kind).to_lowercase(),
                    record: ref_of_id(corpus, &ch.id),
                    fields: ch.fields.iter().map(|f| f.summary()).collect(),
                    body_changed: ch.body_changed
                        && matches!(
                            ch.kind,
                            crate::history::ChangeKind::Modified
                                | crate::history::ChangeKind::Renamed
                        ),
                })
                .collect(),
            approvals: index
                .covering(h, c)
                .into_iter()
                .map(|a| approval_link_view(corpus, logged, a))
                .collect(),
            merged: e.merged.iter().map(|&m| brief(&h.commits[m])).collect(),
            tags: tags.get(&e.position).cloned().unwrap_or_default(),
            before_control: before.contains(&e.position),
        });
    }
    (entries, by_cr)
}

fn release_diffs(input: &Input<'_>, t: &Timeline) -> Vec<ReleaseDiffView> {
    let corpus = input.corpus;
    let refs = |ids: &[String]| ids.iter().map(|id| ref_of_id(corpus, id)).collect();
    (0..t.releases.len())
        .filter_map(|k| {
            let (p, d) = t.since_previous(k)?;
            let rel = &corpus.records[t.releases[k].rel];
            Some(ReleaseDiffView {
                release: record_ref(corpus, rel),
                page: release_page(corpus, &rel.id),
                previous: ref_at(corpus, t.releases[p].rel),
                added: refs(&d.added),
                modified: refs(&d.modified),
                removed: refs(&d.removed),
            })
        })
        .collect()
}

fn change_requests(
    input: &Input<'_>,
    merges: &FxHashMap<String, Vec<CommitBrief>>,
    logged: &FxHashSet<String>,
) -> Vec<ChangeRequestView> {
    let corpus = input.corpus;
    let graph = input.graph;
    let approvals = input.history.as_ref().map_or(&[][..], |x| x.approvals);
    let index = ApprovalIndex::new(approvals);
    let text = |r: &crate::record::Record, f: &str| r.get(f).map(value_text).unwrap_or_default();
    corpus
        .records_of("change-request")
        .iter()
        .map(|&i| {
            let r = &corpus.records[i];
            let mut releases: Vec<RecordRef> = graph
                .inbound(i, "changes")
                .filter(|&j| corpus.records[j].type_name == "release")
                .map(|j| ref_at(corpus, j))
                .collect();
            releases.sort_by(|a, b| a.id.cmp(&b.id));
            releases.dedup_by(|a, b| a.id == b.id);
            ChangeRequestView {
                record: record_ref(corpus, r),
                cyber_impact: text(r, "cyber_impact"),
                cyber_rationale: text(r, "cyber_rationale"),
                regulatory_path: text(r, "regulatory_path"),
                emergency: r.flag("emergency"),
                impact: text(r, "impact"),
                reason: text(r, "reason"),
                triggered_by: r
                    .links_of("triggered_by")
                    .map(|id| ref_of_id(corpus, id))
                    .collect(),
                affects: r
                    .links_of("affects")
                    .map(|id| ref_of_id(corpus, id))
                    .collect(),
                approvals: index
                    .of_cr(&r.id)
                    .into_iter()
                    .map(|a| approval_link_view(corpus, logged, a))
                    .collect(),
                merges: merges.get(&r.id).cloned().unwrap_or_default(),
                releases,
            }
        })
        .collect()
}

/// The change log view; `t` is the build's release timeline, `logged` its [`logged_commits`].
pub(crate) fn view(
    input: &Input<'_>,
    site: &SiteView,
    t: &Timeline,
    logged: &FxHashSet<String>,
) -> ChangesView {
    let corpus = input.corpus;
    let mut v = ChangesView {
        site: at_depth(site, ""),
        has_history: input.history.is_some(),
        branch: corpus.config.controlled_branch.clone(),
        on_controlled_branch: false,
        tip: None,
        since: None,
        shallow: false,
        entries: Vec::new(),
        releases: release_diffs(input, t),
        change_requests: Vec::new(),
        trust_root: None,
    };
    let mut merges = FxHashMap::default();
    if let Some(hi) = &input.history {
        let h = hi.history;
        let (controlled, tip, since) = line_ends(hi);
        v.on_controlled_branch = controlled.is_some();
        v.shallow = h.shallow;
        v.since = since.map(|s| brief(&h.commits[s]));
        v.trust_root = hi.trust_root.and_then(|root| {
            let c = h.commit(&root.commit)?;
            Some(TrustRootView {
                commit: brief(c),
                from_config: root.from_config,
                from_adoption: root.from_adoption,
                keys: root
                    .keys
                    .iter()
                    .map(|k| TrustKeyView {
                        person: ref_of_id(corpus, &k.person),
                        printed_name: k.printed_name.clone().unwrap_or_default(),
                        fingerprint: k.fingerprint.clone(),
                    })
                    .collect(),
            })
        });
        if let Some(tip) = tip {
            v.tip = Some(brief(&h.commits[tip]));
            let mut tags: FxHashMap<usize, Vec<String>> = FxHashMap::default();
            for (name, _, pos) in &t.tags {
                if let Some(p) = pos {
                    tags.entry(*p).or_default().push(name.clone());
                }
            }
            let (entries, by_cr) = log_entries(input, h, tip, since, &tags, logged);
            v.entries = entries;
            merges = by_cr;
        }
    }
    v.change_requests = change_requests(input, &merges, logged);
    v
}

/// The change log page.
pub fn pages(
    r: &super::render::Renderer,
    input: &Input<'_>,
    site: &SiteView,
) -> Result<Vec<OutFile>, SiteError> {
    Ok(vec![r.page(
        "site/changes.html",
        "changes.html".into(),
        &view(input, site, r.timeline(input)?, r.logged_commits(input)),
    )?])
}
