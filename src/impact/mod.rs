//! Impact assessment of a change (domain model 4.1, 4.2): what changed between two revisions of
//! the DDF, field by field, what that touches up and down the trace graph, which verifications
//! and risk analyses must be revisited, and whether the change may impact cybersecurity.
//!
//! The input is two corpora (base and head, each one check-sized load) and the list of files the
//! Git tree diff says changed between them. Records are matched by id and compared by blob id, so
//! nothing here walks history: the cost follows the size of the corpus and of the change, never
//! the length of the history.

mod cyber;
#[cfg(test)]
mod tests;

use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::history::FieldChange;
use crate::record::{is_given, Record};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub use cyber::CyberClass;

/// What happened to a record between base and head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// Only in head.
    Added,
    /// In both, same path, different content.
    Modified,
    /// Only in base.
    Removed,
    /// In both under another path (possibly with content changes).
    Renamed,
}

/// One changed record.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    /// Record id.
    pub id: String,
    /// Record type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Title (head's, or base's for a removal).
    pub title: String,
    /// What happened.
    pub change: ChangeKind,
    /// Path in head (base for a removal), relative to the DDF root.
    pub path: String,
    /// Path in base, for a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    /// Field-level differences (every field, for an addition or removal).
    pub fields: Vec<FieldChange>,
    /// Unified diff of the Markdown body; empty when the body did not change.
    pub body_diff: String,
}

/// Which way an impacted record lies from the changed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Reached by following written trace links (towards user needs, hazards).
    Upstream,
    /// Reached by following trace links backwards (towards outputs and verifications).
    Downstream,
}

/// A record reached from a changed record (or from a design output whose artifacts changed).
#[derive(Debug, Clone, Serialize)]
pub struct Impacted {
    /// Record id.
    pub id: String,
    /// Record type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Ids from the changed record (first) to this one (last).
    pub via: Vec<String>,
    /// Up or down the trace graph.
    pub direction: Direction,
}

/// A record named in one of the action lists, with why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Action {
    /// Record id.
    pub id: String,
    /// Record type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Why it is listed.
    pub reason: String,
}

/// A design output whose artifact files changed.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactChange {
    /// The design output.
    pub id: String,
    /// Changed files its `artifacts` globs match, relative to the repository top.
    pub files: Vec<String>,
    /// Whether the DO record itself is unchanged (an artifact-only change).
    pub record_unchanged: bool,
}

/// An SBOM file a head release names whose content differs from base's.
#[derive(Debug, Clone, Serialize)]
pub struct SbomChange {
    /// Path relative to the DDF root.
    pub path: String,
    /// Components added, removed, with another version or supplier (absent when a side cannot
    /// be read as an SBOM; `error` says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<crate::sbom::diff::Diff>,
    /// Why the SBOMs could not be compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SbomChange {
    /// `1 added, 0 removed, 2 version changes, 0 supplier changes`, or the error.
    pub fn summary(&self) -> String {
        match (&self.diff, &self.error) {
            (Some(d), _) => format!(
                "{} added, {} removed, {} version changes, {} supplier changes",
                d.added.len(),
                d.removed.len(),
                d.version_changed.len(),
                d.supplier_changed.len()
            ),
            (None, Some(e)) => format!("cannot be compared: {e}"),
            (None, None) => "changed".into(),
        }
    }
}

/// The SBOM delta (domain model 4.1 item 1): every SBOM file head's releases name that differs
/// from the same file in base (absent in base: every component is added), by path.
pub fn sbom_changes(base: &Corpus, head: &Corpus) -> Vec<SbomChange> {
    let opts = crate::sbom::ReadOptions::from_config(&head.config);
    let mut out = Vec::new();
    for (path, new) in &head.attachments {
        let Ok(Some(new)) = new else {
            continue;
        };
        let old = match base.attachments.get(path) {
            Some(Ok(Some(b))) => Some(b),
            _ => None,
        };
        if old == Some(new) {
            continue;
        }
        let read = |b: &[u8]| {
            crate::sbom::parse(b, path, &opts)
                .map(|s| s.components)
                .map_err(|e| e.to_string())
        };
        let old_c = old.map_or(Ok(Vec::new()), |b| read(b));
        let (diff, error) = match (old_c, read(new)) {
            (Ok(a), Ok(b)) => (Some(crate::sbom::diff::diff(&a, &b)), None),
            (Err(e), _) | (_, Err(e)) => (None, Some(e)),
        };
        if diff.as_ref().is_some_and(|d| d.is_empty()) {
            // Same components (formatting, timestamps): not a delta.
            continue;
        }
        out.push(SbomChange {
            path: path.clone(),
            diff,
            error,
        });
    }
    out
}

/// The impact assessment.
#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    /// Base commit id.
    pub base: String,
    /// Head commit id, or `worktree`.
    pub head: String,
    /// The proposed class.
    pub cyber_impact: CyberClass,
    /// Every reason for `may-impact`, sorted; empty for `unlikely-to-impact`.
    pub cyber_reasons: Vec<String>,
    /// Changed records, by id.
    pub changed: Vec<Changed>,
    /// Files that changed between base and head (repository-top relative), sorted.
    pub changed_files: Vec<String>,
    /// Design outputs whose artifacts changed.
    pub artifact_changes: Vec<ArtifactChange>,
    /// SBOM delta.
    pub sbom_changes: Vec<SbomChange>,
    /// Records reached from the changed ones, by id then direction.
    pub impacted: Vec<Impacted>,
    /// Verifications and validations to repeat.
    pub stale_verifications: Vec<Action>,
    /// Hazardous situations, threats and risk controls to re-evaluate.
    pub risk_reevaluation: Vec<Action>,
    /// Fielded releases (product already delivered) that contain what changed.
    pub fielded_releases: Vec<Action>,
    /// Approvals the change needs.
    pub approvals_required: Vec<Action>,
}

impl Impact {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.changed_files.is_empty()
    }
}

/// Unified line diff of two texts, empty when equal.
pub use crate::history::log::text_diff;

fn all_fields(r: &Record, added: bool) -> Vec<FieldChange> {
    r.fields
        .iter()
        .map(|(k, v)| {
            let v = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
            FieldChange {
                name: k.clone(),
                old: (!added).then(|| v.clone()),
                new: added.then_some(v),
            }
        })
        .collect()
}

/// The records that differ between `base` and `head`, matched by id, sorted by id. Records
/// without an id cannot be matched and are left to `ddf check`.
pub fn changed_records(base: &Corpus, head: &Corpus) -> Vec<Changed> {
    let ids: BTreeSet<&str> = base
        .by_id
        .keys()
        .chain(head.by_id.keys())
        .map(String::as_str)
        .collect();
    let mut out = Vec::new();
    for id in ids {
        let c = match (base.get(id), head.get(id)) {
            (Some(o), Some(n)) if o.blob == n.blob && o.path == n.path => continue,
            (Some(o), Some(n)) => Changed {
                id: id.to_string(),
                type_name: n.type_name.clone(),
                title: n.title(),
                change: if o.path == n.path {
                    ChangeKind::Modified
                } else {
                    ChangeKind::Renamed
                },
                path: n.path.clone(),
                old_path: (o.path != n.path).then(|| o.path.clone()),
                fields: crate::history::field_changes(o, n),
                body_diff: text_diff(&o.body, &n.body),
            },
            (None, Some(n)) => Changed {
                id: id.to_string(),
                type_name: n.type_name.clone(),
                title: n.title(),
                change: ChangeKind::Added,
                path: n.path.clone(),
                old_path: None,
                fields: all_fields(n, true),
                body_diff: text_diff("", &n.body),
            },
            (Some(o), None) => Changed {
                id: id.to_string(),
                type_name: o.type_name.clone(),
                title: o.title(),
                change: ChangeKind::Removed,
                path: o.path.clone(),
                old_path: None,
                fields: all_fields(o, false),
                body_diff: text_diff(&o.body, ""),
            },
            (None, None) => continue,
        };
        out.push(c);
    }
    out
}

/// Builds a glob set; `None` when a glob does not parse (the caller reports it or skips it).
pub fn glob_set(globs: &[String]) -> Option<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g.trim()).ok()?);
    }
    b.build().ok()
}

/// The changed files each DO's `artifacts` globs match, by DO id, files in `changed_files`
/// order; DOs without globs, with a glob that does not parse, or matching nothing are left out.
///
/// Every DO's globs go into one glob set, matched once per changed file: building a set per DO
/// cost more than the rest of the assessment on a DDF of thousands of DOs. Should the combined
/// set not build, each DO's own set is built as before.
fn artifact_matches<'a>(
    dos: &BTreeMap<&'a str, &Record>,
    changed_files: &[String],
) -> BTreeMap<&'a str, Vec<String>> {
    let mut out: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    if changed_files.is_empty() {
        return out;
    }
    let mut builder = globset::GlobSetBuilder::new();
    // The DO of each glob in the builder, by index.
    let mut owner: Vec<&str> = Vec::new();
    let mut own: Vec<(&str, Vec<String>)> = Vec::new();
    for (&id, r) in dos {
        let globs = r.list("artifacts");
        if globs.is_empty() {
            continue;
        }
        let parsed: Option<Vec<globset::Glob>> = globs
            .iter()
            .map(|g| globset::Glob::new(g.trim()).ok())
            .collect();
        let Some(parsed) = parsed else { continue };
        for g in parsed {
            builder.add(g);
            owner.push(id);
        }
        own.push((id, globs));
    }
    match builder.build() {
        Ok(set) => {
            for f in changed_files {
                for i in set.matches(f.as_str()) {
                    let files = out.entry(owner[i]).or_default();
                    // Two globs of one DO matching the same file list it once.
                    if files.last() != Some(f) {
                        files.push(f.clone());
                    }
                }
            }
        }
        Err(_) => {
            for (id, globs) in own {
                let Some(set) = glob_set(&globs) else {
                    continue;
                };
                let files: Vec<String> = changed_files
                    .iter()
                    .filter(|f| set.is_match(f.as_str()))
                    .cloned()
                    .collect();
                if !files.is_empty() {
                    out.insert(id, files);
                }
            }
        }
    }
    out
}

/// One side of the change: a corpus and its graph.
pub struct Side<'a> {
    /// The records.
    pub corpus: &'a Corpus,
    /// Their trace graph.
    pub graph: &'a Graph,
}

const VV: [&str; 2] = ["verification", "validation"];
const RISK: [&str; 3] = ["hazardous-situation", "threat", "risk-control"];

/// Whether a release's `fielded` says it is in the field (a date, or anything but `false`).
fn is_fielded(r: &Record) -> bool {
    r.get("fielded")
        .is_some_and(|v| is_given(v) && !matches!(v, serde_yaml::Value::Bool(false)))
}

/// Assesses the change from `base` to `head`. `changed_files` are the files the Git diff reports
/// (repository-top relative, as `artifacts` and `security_globs` are written). SBOMs are compared
/// from the corpora's attachments (the files releases name).
pub fn assess(
    base: Side<'_>,
    head: Side<'_>,
    base_id: String,
    head_id: String,
    changed_files: Vec<String>,
) -> Impact {
    let changed = changed_records(base.corpus, head.corpus);
    let changed_ids: BTreeSet<&str> = changed.iter().map(|c| c.id.as_str()).collect();

    // Design outputs whose artifacts changed (head's globs; base's for a removed DO).
    let mut artifact_changes = Vec::new();
    let mut dos: BTreeMap<&str, &Record> = BTreeMap::new();
    // Base first, so head's version of a DO wins.
    for side in [&base, &head] {
        for &i in side.corpus.records_of("design-output") {
            let r = &side.corpus.records[i];
            if !r.id.is_empty() {
                dos.insert(r.id.as_str(), r);
            }
        }
    }
    for (id, files) in artifact_matches(&dos, &changed_files) {
        artifact_changes.push(ArtifactChange {
            id: id.to_string(),
            files,
            record_unchanged: !changed_ids.contains(id),
        });
    }

    // Walk from each changed record (and each DO whose artifacts changed): up, and down, never
    // sideways (a walk never turns), on head's graph, or base's for a removed record.
    let mut starts: BTreeSet<(&str, bool)> = BTreeSet::new();
    for c in &changed {
        starts.insert((c.id.as_str(), c.change == ChangeKind::Removed));
    }
    for a in &artifact_changes {
        let in_head = head.corpus.get(&a.id).is_some();
        starts.insert((a.id.as_str(), !in_head));
    }
    let mut best: BTreeMap<(String, Direction), Impacted> = BTreeMap::new();
    for (id, removed) in starts {
        let side = if removed { &base } else { &head };
        let Some(&start) = side.corpus.by_id.get(id) else {
            continue;
        };
        for (dir, reached) in [
            (Direction::Upstream, side.graph.upstream(start)),
            (Direction::Downstream, side.graph.downstream(start)),
        ] {
            for r in reached {
                let rec = &side.corpus.records[r.index];
                if rec.id.is_empty() || changed_ids.contains(rec.id.as_str()) {
                    continue;
                }
                let mut via = vec![id.to_string()];
                via.extend(r.via.iter().map(|&k| side.corpus.records[k].id.clone()));
                let key = (rec.id.clone(), dir);
                let better = best
                    .get(&key)
                    .is_none_or(|b| (via.len(), &via) < (b.via.len(), &b.via));
                if better {
                    best.insert(
                        key,
                        Impacted {
                            id: rec.id.clone(),
                            type_name: rec.type_name.clone(),
                            via,
                            direction: dir,
                        },
                    );
                }
            }
        }
    }
    let impacted: Vec<Impacted> = best.into_values().collect();

    // Verifications to repeat: downstream V&V of what changed (which covers the VERs of DOs
    // whose artifacts changed, as those DOs are walk starts).
    let mut stale: BTreeMap<String, Action> = BTreeMap::new();
    for i in &impacted {
        if i.direction == Direction::Downstream && VV.contains(&i.type_name.as_str()) {
            stale.entry(i.id.clone()).or_insert_with(|| Action {
                id: i.id.clone(),
                type_name: i.type_name.clone(),
                reason: format!(
                    "downstream of changed {}: {}",
                    i.via.first().map_or("", String::as_str),
                    i.via.join(" → ")
                ),
            });
        }
    }

    // Risk to re-evaluate: HS, THR, RC changed or reached either way.
    let mut risk: BTreeMap<String, Action> = BTreeMap::new();
    for c in &changed {
        if RISK.contains(&c.type_name.as_str()) {
            risk.insert(
                c.id.clone(),
                Action {
                    id: c.id.clone(),
                    type_name: c.type_name.clone(),
                    reason: format!("{:?} by this change", c.change).to_lowercase(),
                },
            );
        }
    }
    for i in &impacted {
        if RISK.contains(&i.type_name.as_str()) {
            risk.entry(i.id.clone()).or_insert_with(|| Action {
                id: i.id.clone(),
                type_name: i.type_name.clone(),
                reason: format!(
                    "{} of changed {}: {}",
                    format!("{:?}", i.direction).to_lowercase(),
                    i.via.first().map_or("", String::as_str),
                    i.via.join(" → ")
                ),
            });
        }
    }

    // Product already delivered: every release of base that is fielded contains the design as
    // it was at base, which is what this change alters (domain model 4.1 item 3).
    let mut fielded = Vec::new();
    if !changed.is_empty() || !artifact_changes.is_empty() {
        for &i in base.corpus.records_of("release") {
            let r = &base.corpus.records[i];
            if is_fielded(r) {
                fielded.push(Action {
                    id: r.id.clone(),
                    type_name: r.type_name.clone(),
                    reason: format!(
                        "fielded ({}); contains the design as of base",
                        r.text("fielded").unwrap_or_default()
                    ),
                });
            }
        }
    }
    fielded.sort();

    let sboms = sbom_changes(base.corpus, head.corpus);
    let (class, reasons) = cyber::classify(&base, &head, &changed, &changed_files, &sboms);

    // Approvals: an edit voids the approval of an approved record; a may-impact change needs
    // its threats re-reviewed; the change itself needs an approved CR.
    let mut approvals: Vec<Action> = Vec::new();
    for c in &changed {
        let was_approved = base
            .corpus
            .get(&c.id)
            .is_some_and(|r| r.status() == "approved");
        if was_approved && c.change != ChangeKind::Added {
            approvals.push(Action {
                id: c.id.clone(),
                type_name: c.type_name.clone(),
                reason:
                    "was approved; the edit voids that approval, so it needs a new signed approval"
                        .into(),
            });
        }
    }
    if class == CyberClass::MayImpact {
        for r in risk.values().filter(|a| a.type_name == "threat") {
            approvals.push(Action {
                id: r.id.clone(),
                type_name: r.type_name.clone(),
                reason: "may-impact: the threat must be re-reviewed before merge".into(),
            });
        }
    }
    approvals.sort();
    approvals.dedup_by(|a, b| a.id == b.id);

    Impact {
        base: base_id,
        head: head_id,
        cyber_impact: class,
        cyber_reasons: reasons,
        changed,
        changed_files,
        artifact_changes,
        sbom_changes: sboms,
        impacted,
        stale_verifications: stale.into_values().collect(),
        risk_reevaluation: risk.into_values().collect(),
        fielded_releases: fielded,
        approvals_required: approvals,
    }
}

/// A short plain-text proposal for a CR's `impact` field.
pub fn proposal_text(i: &Impact) -> String {
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    let mut s = format!(
        "Proposed by ddf impact {}..{}. Changed: {}.",
        short(&i.base),
        short(&i.head),
        list(
            i.changed
                .iter()
                .map(|c| format!("{} ({})", c.id, format!("{:?}", c.change).to_lowercase()))
                .collect()
        )
    );
    if !i.artifact_changes.is_empty() {
        s.push_str(&format!(
            " Artifacts changed: {}.",
            list(i.artifact_changes.iter().map(|a| a.id.clone()).collect())
        ));
    }
    s.push_str(&format!(
        " V&V to repeat: {}. Risk to re-evaluate: {}. Fielded releases: {}. Cybersecurity: {}",
        list(i.stale_verifications.iter().map(|a| a.id.clone()).collect()),
        list(i.risk_reevaluation.iter().map(|a| a.id.clone()).collect()),
        list(i.fielded_releases.iter().map(|a| a.id.clone()).collect()),
        i.cyber_impact.label(),
    ));
    if i.cyber_reasons.is_empty() {
        s.push('.');
    } else {
        s.push_str(&format!(" ({}).", i.cyber_reasons.join("; ")));
    }
    s
}

/// The text `--write-cr` proposes for a change request's `cyber_rationale`: why the change may,
/// or is unlikely to, impact cybersecurity, against the five criteria of domain model 4.2. An
/// unlikely-to-impact change still needs its rationale on record (FDA's premarket cybersecurity
/// guidance), so the proposal says which criteria were checked and found untouched.
pub fn rationale_text(i: &Impact) -> String {
    let by = format!("ddf impact {}..{}", short(&i.base), short(&i.head));
    match i.cyber_impact {
        CyberClass::MayImpact => format!(
            "May impact cybersecurity (proposed by {by}): {}. The threats touched are to be \
             re-reviewed and the security trace chain to pass before the merge.",
            i.cyber_reasons.join("; ")
        ),
        CyberClass::UnlikelyToImpact => format!(
            "Unlikely to impact cybersecurity (proposed by {by}): the change touches (a) no \
             security-relevant record, threat, vulnerability, threat model or architecture \
             view, (b) no artifact under the security globs, (c) no connectivity or interface \
             design input, (d) no SBOM, and (e) not the update mechanism."
        ),
    }
}

/// The first 10 characters of a commit id (`worktree` unchanged).
pub fn short(id: &str) -> &str {
    if id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        &id[..10]
    } else {
        id
    }
}
