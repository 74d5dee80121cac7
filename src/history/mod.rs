//! Git history as the change-control log: one revision walk that records, for every commit, the
//! records it changed (field by field) and the paths it touched.
//!
//! What a commit changed is a property of the commit alone (its tree against its first parent's),
//! so it is computed once and kept in a cache inside the repository's `.git` folder, keyed by
//! commit id: never stale, extended incrementally. Cost grows with commits times changed files,
//! never with records times commits. Records are followed across moves and renames by id.

pub mod approval;
mod cache;
pub mod signature;
pub mod trailers;

use crate::record;
use crate::rules::structure::is_valid_id;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
pub use trailers::Control;

/// What happened to a record in a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The record appeared.
    Added,
    /// Its content changed.
    Modified,
    /// It disappeared.
    Removed,
    /// It moved to another file (same id), possibly with changes.
    Renamed,
}

/// The old and new value of one front-matter field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field name.
    pub name: String,
    /// Value before (absent: the field was added).
    pub old: Option<serde_json::Value>,
    /// Value after (absent: the field was removed).
    pub new: Option<serde_json::Value>,
}

/// A record changed by a commit, against the commit's first parent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    /// Record id.
    pub id: String,
    /// What happened.
    pub kind: ChangeKind,
    /// Path after (before, for a removal), relative to the DDF root.
    pub path: String,
    /// Path before a rename.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub old_path: Option<String>,
    /// Blob before.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub old_blob: Option<String>,
    /// Blob after.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub new_blob: Option<String>,
    /// Changed fields (modified and renamed records).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub fields: Vec<FieldChange>,
    /// Whether the Markdown body changed.
    #[serde(default)]
    pub body_changed: bool,
    /// In a merge commit: the content came from another parent (the merged branch), so the
    /// change belongs to that branch's commits, not to the merge.
    #[serde(default)]
    pub inherited: bool,
}

/// One commit, with what it changed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Commit {
    /// Full commit id.
    pub id: String,
    /// Parent ids, first parent first.
    pub parents: Vec<String>,
    /// Author name.
    pub author: String,
    /// Author email.
    pub email: String,
    /// Author time, seconds since the epoch.
    pub time: i64,
    /// Committer time, seconds since the epoch.
    pub committer_time: i64,
    /// First line of the message.
    pub summary: String,
    /// Trailers of the message.
    pub trailers: Vec<(String, String)>,
    /// Whether the commit carries a signature (GPG or SSH).
    pub signed: bool,
    /// Records changed against the first parent.
    pub changes: Vec<Change>,
    /// Every path changed against the first parent, relative to the repository top.
    pub paths: Vec<String>,
}

impl Commit {
    /// The change-control trailers.
    pub fn control(&self) -> Control {
        Control::from_trailers(&self.trailers)
    }

    /// Whether this is a merge commit.
    pub fn is_merge(&self) -> bool {
        self.parents.len() > 1
    }

    /// The first 10 characters of the id.
    pub fn short(&self) -> &str {
        &self.id[..self.id.len().min(10)]
    }
}

/// Why history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// No repository around the DDF root.
    #[error("{0} is not inside a Git repository")]
    NotARepository(String),
    /// Git failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// A revision does not resolve.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
}

/// The history of a DDF: every commit reachable from a tip, newest first (topological order),
/// with an index from record id to the commits that changed it.
#[derive(Debug)]
pub struct History {
    /// Commits, newest first.
    pub commits: Vec<Commit>,
    /// The tip walked from.
    pub tip: Option<String>,
    /// Whether the repository is a shallow clone (history before the boundary is missing).
    pub shallow: bool,
    /// The DDF root relative to the repository top (`` at the top).
    pub prefix: String,
    /// The repository's working folder.
    pub workdir: PathBuf,
    index: FxHashMap<String, usize>,
    by_record: FxHashMap<String, Vec<(usize, usize)>>,
    /// How many commits were computed now rather than read from the cache.
    pub computed: usize,
}

/// Where the DDF sits in its repository.
pub struct Location {
    /// The repository.
    pub repo: git2::Repository,
    /// The DDF root relative to the repository top, `/`-separated.
    pub prefix: String,
}

impl Location {
    /// Finds the repository containing `root`.
    pub fn discover(root: &Path) -> Result<Location, HistoryError> {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let repo = git2::Repository::discover(&root)
            .map_err(|_| HistoryError::NotARepository(root.display().to_string()))?;
        let top = repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .unwrap_or_else(|| root.clone());
        let prefix = root
            .strip_prefix(&top)
            .map(|p| {
                p.components()
                    .filter_map(|c| c.as_os_str().to_str())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        Ok(Location { repo, prefix })
    }

    /// `path` (relative to the DDF root) relative to the repository top.
    pub fn full(&self, path: &str) -> String {
        if self.prefix.is_empty() {
            path.to_string()
        } else {
            format!("{}/{path}", self.prefix)
        }
    }
}

/// The id of the record in `bytes`, with its fields and body, if it parses.
fn parse_blob(path: &str, bytes: &[u8]) -> Option<record::Record> {
    record::parse(path, bytes).record
}

fn json(v: &serde_yaml::Value) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Field-level differences between two versions of a record.
pub fn field_changes(old: &record::Record, new: &record::Record) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for (k, v) in &old.fields {
        match new.fields.get(k) {
            Some(nv) if nv == v => {}
            Some(nv) => out.push(FieldChange {
                name: k.clone(),
                old: Some(json(v)),
                new: Some(json(nv)),
            }),
            None => out.push(FieldChange {
                name: k.clone(),
                old: Some(json(v)),
                new: None,
            }),
        }
    }
    for (k, v) in &new.fields {
        if !old.fields.contains_key(k) {
            out.push(FieldChange {
                name: k.clone(),
                old: None,
                new: Some(json(v)),
            });
        }
    }
    out
}

struct Side {
    path: String,
    blob: git2::Oid,
}

/// Computes what `oid` changed against its first parent.
fn compute_commit(
    repo: &git2::Repository,
    oid: git2::Oid,
    records_dir: &str,
    prefix: &str,
) -> Result<Commit, git2::Error> {
    let c = repo.find_commit(oid)?;
    let tree = c.tree()?;
    let parents: Vec<git2::Commit<'_>> = c.parents().collect();
    let parent_tree = match parents.first() {
        Some(p) => Some(p.tree()?),
        None => None,
    };
    let mut opts = git2::DiffOptions::new();
    opts.skip_binary_check(true);
    let diff = repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut opts))?;
    let rec_prefix = if prefix.is_empty() {
        format!("{records_dir}/")
    } else {
        format!("{prefix}/{records_dir}/")
    };
    let root_prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let mut paths = Vec::new();
    let mut removed: Vec<Side> = Vec::new();
    let mut added: Vec<Side> = Vec::new();
    let mut modified: Vec<(Side, Side)> = Vec::new();
    for d in diff.deltas() {
        let new_path = d.new_file().path().and_then(Path::to_str).map(String::from);
        let old_path = d.old_file().path().and_then(Path::to_str).map(String::from);
        let path = new_path.clone().or(old_path.clone()).unwrap_or_default();
        paths.push(path.clone());
        let is_record = |p: &str| p.starts_with(&rec_prefix) && p.ends_with(".md");
        let rel = |p: &str| p.strip_prefix(&root_prefix).unwrap_or(p).to_string();
        let old_is = old_path.as_deref().is_some_and(is_record) && !d.old_file().id().is_zero();
        let new_is = new_path.as_deref().is_some_and(is_record) && !d.new_file().id().is_zero();
        match (old_is, new_is) {
            (true, true) => modified.push((
                Side {
                    path: rel(old_path.as_deref().unwrap_or("")),
                    blob: d.old_file().id(),
                },
                Side {
                    path: rel(new_path.as_deref().unwrap_or("")),
                    blob: d.new_file().id(),
                },
            )),
            (true, false) => removed.push(Side {
                path: rel(old_path.as_deref().unwrap_or("")),
                blob: d.old_file().id(),
            }),
            (false, true) => added.push(Side {
                path: rel(new_path.as_deref().unwrap_or("")),
                blob: d.new_file().id(),
            }),
            (false, false) => {}
        }
    }
    let read = |s: &Side| -> Option<record::Record> {
        let blob = repo.find_blob(s.blob).ok()?;
        if blob.size() as u64 > crate::source::MAX_FILE {
            return None;
        }
        parse_blob(&s.path, blob.content())
    };
    // Ids come from the file stem when it is an id (the common case: no parse needed for
    // additions and removals); otherwise from the front-matter.
    let id_of = |s: &Side| -> Option<String> {
        let stem = s
            .path
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".md");
        if is_valid_id(stem) {
            Some(stem.to_string())
        } else {
            read(s).map(|r| r.id).filter(|id| !id.is_empty())
        }
    };
    let mut changes = Vec::new();
    let mut removed_by_id: FxHashMap<String, Side> = FxHashMap::default();
    for s in removed {
        if let Some(id) = id_of(&s) {
            removed_by_id.insert(id, s);
        }
    }
    let diff_pair = |old: &Side, new: &Side, kind: ChangeKind, id: String| -> Change {
        let (fields, body_changed) = match (read(old), read(new)) {
            (Some(o), Some(n)) => (field_changes(&o, &n), o.body != n.body),
            _ => (Vec::new(), true),
        };
        Change {
            id,
            kind,
            path: new.path.clone(),
            old_path: (kind == ChangeKind::Renamed).then(|| old.path.clone()),
            old_blob: Some(old.blob.to_string()),
            new_blob: Some(new.blob.to_string()),
            fields,
            body_changed,
            inherited: false,
        }
    };
    for (old, new) in &modified {
        let (old_id, new_id) = (id_of(old), id_of(new));
        match (old_id, new_id) {
            (Some(a), Some(b)) if a == b => {
                changes.push(diff_pair(old, new, ChangeKind::Modified, a))
            }
            // The id itself was edited: the old record went, a new one came.
            (a, b) => {
                if let Some(a) = a {
                    changes.push(Change {
                        id: a,
                        kind: ChangeKind::Removed,
                        path: old.path.clone(),
                        old_path: None,
                        old_blob: Some(old.blob.to_string()),
                        new_blob: None,
                        fields: Vec::new(),
                        body_changed: false,
                        inherited: false,
                    });
                }
                if let Some(b) = b {
                    changes.push(Change {
                        id: b,
                        kind: ChangeKind::Added,
                        path: new.path.clone(),
                        old_path: None,
                        old_blob: None,
                        new_blob: Some(new.blob.to_string()),
                        fields: Vec::new(),
                        body_changed: false,
                        inherited: false,
                    });
                }
            }
        }
    }
    for new in &added {
        let Some(id) = id_of(new) else { continue };
        match removed_by_id.remove(&id) {
            Some(old) => changes.push(diff_pair(&old, new, ChangeKind::Renamed, id)),
            None => changes.push(Change {
                id,
                kind: ChangeKind::Added,
                path: new.path.clone(),
                old_path: None,
                old_blob: None,
                new_blob: Some(new.blob.to_string()),
                fields: Vec::new(),
                body_changed: false,
                inherited: false,
            }),
        }
    }
    for (id, old) in removed_by_id {
        changes.push(Change {
            id,
            kind: ChangeKind::Removed,
            path: old.path.clone(),
            old_path: None,
            old_blob: Some(old.blob.to_string()),
            new_blob: None,
            fields: Vec::new(),
            body_changed: false,
            inherited: false,
        });
    }
    // In a merge, a change whose result equals another parent's version came with the merged
    // branch (git's TREESAME rule); it is that branch's commits' change, not the merge's.
    if parents.len() > 1 {
        for ch in &mut changes {
            let full = if prefix.is_empty() {
                ch.path.clone()
            } else {
                format!("{prefix}/{}", ch.path)
            };
            let new_blob = ch.new_blob.clone();
            ch.inherited = parents[1..].iter().any(|p| {
                let entry = p
                    .tree()
                    .ok()
                    .and_then(|t| t.get_path(Path::new(&full)).ok())
                    .map(|e| e.id().to_string());
                entry == new_blob
            });
        }
    }
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    paths.sort();
    let message = String::from_utf8_lossy(c.message_bytes()).into_owned();
    let summary = message.lines().next().unwrap_or("").trim().to_string();
    let author = c.author();
    let (name, email, time) = (
        String::from_utf8_lossy(author.name_bytes()).into_owned(),
        String::from_utf8_lossy(author.email_bytes()).into_owned(),
        author.when().seconds(),
    );
    let committer_time = c.committer().when().seconds();
    let signed = c.header_field_bytes("gpgsig").is_ok();
    let parent_ids = c.parent_ids().map(|p| p.to_string()).collect();
    Ok(Commit {
        id: oid.to_string(),
        parents: parent_ids,
        author: name,
        email,
        time,
        committer_time,
        summary,
        trailers: trailers::parse(&message),
        signed,
        changes,
        paths,
    })
}

impl History {
    /// Reads the history of the DDF at `root` from `tip` (default `HEAD`); `records_dir` is the
    /// records folder relative to the DDF root. Uses and extends the on-disk cache.
    pub fn load(
        root: &Path,
        tip: Option<&str>,
        records_dir: &str,
    ) -> Result<History, HistoryError> {
        let loc = Location::discover(root)?;
        let repo = &loc.repo;
        let workdir = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
        let shallow = repo.is_shallow();
        let tip_oid = match tip {
            Some(t) => Some(crate::source::resolve_commit(repo, t)?),
            None => match repo.head() {
                Ok(h) => h.peel_to_commit().ok().map(|c| c.id()),
                Err(_) => None,
            },
        };
        let Some(tip_oid) = tip_oid else {
            return Ok(History {
                commits: Vec::new(),
                tip: None,
                shallow,
                prefix: loc.prefix,
                workdir,
                index: FxHashMap::default(),
                by_record: FxHashMap::default(),
                computed: 0,
            });
        };
        let mut walk = repo.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
        walk.push(tip_oid)?;
        let oids: Vec<git2::Oid> = walk.filter_map(Result::ok).collect();
        let cache_path = cache::path(repo, &loc.prefix, records_dir);
        let mut cached = cache::read(&cache_path);
        let missing: Vec<git2::Oid> = oids
            .iter()
            .copied()
            .filter(|o| !cached.contains_key(&o.to_string()))
            .collect();
        let repo_path = repo.path().to_path_buf();
        // git2's Repository is Send but not Sync: one handle per worker.
        let computed: Vec<Commit> = missing
            .par_iter()
            .map_init(
                || git2::Repository::open(&repo_path).ok(),
                |r, oid| {
                    r.as_ref()
                        .and_then(|r| compute_commit(r, *oid, records_dir, &loc.prefix).ok())
                },
            )
            .flatten()
            .collect();
        let n_computed = computed.len();
        if n_computed > 0 {
            cache::append(&cache_path, &computed);
        }
        for c in computed {
            cached.insert(c.id.clone(), c);
        }
        let commits: Vec<Commit> = oids
            .iter()
            .filter_map(|o| cached.remove(&o.to_string()))
            .collect();
        Ok(History::from_commits(
            commits,
            Some(tip_oid.to_string()),
            shallow,
            loc.prefix,
            workdir,
            n_computed,
        ))
    }

    /// Builds the indices over `commits` (newest first).
    pub fn from_commits(
        commits: Vec<Commit>,
        tip: Option<String>,
        shallow: bool,
        prefix: String,
        workdir: PathBuf,
        computed: usize,
    ) -> History {
        let mut index = FxHashMap::default();
        let mut by_record: FxHashMap<String, Vec<(usize, usize)>> = FxHashMap::default();
        for (ci, c) in commits.iter().enumerate() {
            index.insert(c.id.clone(), ci);
            for (chi, ch) in c.changes.iter().enumerate() {
                if !ch.inherited {
                    by_record.entry(ch.id.clone()).or_default().push((ci, chi));
                }
            }
        }
        History {
            commits,
            tip,
            shallow,
            prefix,
            workdir,
            index,
            by_record,
            computed,
        }
    }

    /// The commit with full id `id`.
    pub fn commit(&self, id: &str) -> Option<&Commit> {
        self.index.get(id).map(|&i| &self.commits[i])
    }

    /// Position of a commit in the walk (0 = the tip; larger = older).
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The changes to record `id`, newest first, with their commits (merge-inherited changes
    /// excluded: the branch's own commits carry them).
    pub fn of_record(&self, id: &str) -> Vec<(&Commit, &Change)> {
        self.by_record
            .get(id)
            .map(|v| {
                v.iter()
                    .map(|&(ci, chi)| (&self.commits[ci], &self.commits[ci].changes[chi]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Position of the newest commit that changed record `id`.
    pub fn last_change(&self, id: &str) -> Option<usize> {
        self.by_record
            .get(id)
            .and_then(|v| v.first())
            .map(|&(ci, _)| ci)
    }

    /// The first-parent chain from the tip: the controlled branch's own sequence of changes.
    pub fn first_parent(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = self.tip.as_deref().and_then(|t| self.position(t));
        while let Some(i) = at {
            out.push(i);
            at = self.commits[i]
                .parents
                .first()
                .and_then(|p| self.position(p));
        }
        out
    }

    /// Positions of every ancestor of `id` (itself included).
    pub fn ancestors(&self, id: &str) -> FxHashSet<usize> {
        let mut seen = FxHashSet::default();
        let mut stack: Vec<usize> = self.position(id).into_iter().collect();
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                stack.extend(
                    self.commits[i]
                        .parents
                        .iter()
                        .filter_map(|p| self.position(p)),
                );
            }
        }
        seen
    }

    /// Whether the commit at position `a` is an ancestor of (or is) the commit at `d`. Ancestors
    /// always sit later in the topological order, so the walk back from `d` stops at `a`'s
    /// position: the cost follows the distance between the two, not the length of history.
    pub fn is_ancestor(&self, a: usize, d: usize) -> bool {
        let mut seen = FxHashSet::default();
        let mut stack = vec![d];
        while let Some(i) = stack.pop() {
            if i == a {
                return true;
            }
            if i > a || !seen.insert(i) {
                continue;
            }
            stack.extend(
                self.commits[i]
                    .parents
                    .iter()
                    .filter_map(|p| self.position(p)),
            );
        }
        false
    }

    /// The commits a merge brought in: reachable from its other parents, not from its first.
    pub fn merged_commits(&self, merge: usize) -> Vec<usize> {
        let c = &self.commits[merge];
        let Some(first) = c.parents.first() else {
            return Vec::new();
        };
        let base = self.ancestors(first);
        let mut out: FxHashSet<usize> = FxHashSet::default();
        for p in &c.parents[1..] {
            for a in self.ancestors(p) {
                if !base.contains(&a) {
                    out.insert(a);
                }
            }
        }
        let mut v: Vec<usize> = out.into_iter().collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests;
