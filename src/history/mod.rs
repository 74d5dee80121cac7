//! Git history as the change-control log: one revision walk that records, for every commit, the
//! records it changed (field by field) and the paths it touched.
//!
//! What a commit changed is a property of the commit alone (its tree against its first parent's),
//! so it is computed once and kept in a cache inside the repository's `.git` folder, keyed by
//! commit id: never stale, extended incrementally. Cost grows with commits times changed files,
//! never with records times commits. Records are followed across moves and renames by id.

pub mod approval;
mod cache;
mod diff;
mod gitcli;
pub mod log;
pub mod signature;
pub mod trailers;

use crate::integrity::{IntegrityError, ObjectKind, Problem, Role};
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

impl FieldChange {
    /// `name: old -> new` as the logs and pages print it: strings as written, lists of scalars
    /// joined with `, `, an absent side as `(none)`.
    pub fn summary(&self) -> String {
        fn text(v: &Option<serde_json::Value>) -> String {
            use serde_json::Value;
            fn scalar(v: &Value) -> String {
                match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    Value::Array(items)
                        if items.iter().all(|i| !i.is_object() && !i.is_array()) =>
                    {
                        items.iter().map(scalar).collect::<Vec<_>>().join(", ")
                    }
                    other => other.to_string(),
                }
            }
            v.as_ref().map_or("(none)".into(), scalar)
        }
        format!("{}: {} -> {}", self.name, text(&self.old), text(&self.new))
    }
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
    /// The repository lost (or cannot read) an object the history needs.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
    /// Git failed.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// A revision does not resolve.
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    /// An object history needs is not in the repository.
    #[error("{role}: object {object} is missing from the repository")]
    Missing {
        /// The object id.
        object: String,
        /// What needed it.
        role: String,
        /// What Git said.
        #[source]
        source: git2::Error,
    },
}

impl HistoryError {
    /// A hint for the user.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            HistoryError::Integrity(e) => Some(e.hint()),
            HistoryError::Missing { .. } => Some(crate::integrity::REPAIR),
            HistoryError::Source(e) => e.hint(),
            _ => None,
        }
    }
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
        let (repo, prefix) = crate::source::repository_of(&root)?
            .ok_or_else(|| HistoryError::NotARepository(root.display().to_string()))?;
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

/// The record in blob `oid` (`bytes`), with its fields and body, if it parses.
fn parse_blob(path: &str, bytes: &[u8], oid: git2::Oid) -> Option<record::Record> {
    record::parse_with_blob(path, bytes, Some(oid.to_string())).record
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
    /// The side is the first parent's version (removed, or the old side of a modification).
    before: bool,
}

/// One file that differs between two trees: its path and its blob on each side (absent on the
/// side where the file does not exist).
struct Delta {
    path: String,
    old: Option<git2::Oid>,
    new: Option<git2::Oid>,
}

/// Compares two tree entries in Git's order, where a folder sorts as if its name ended in `/`,
/// without allocating.
fn entry_cmp(a: &git2::TreeEntry<'_>, b: &git2::TreeEntry<'_>) -> std::cmp::Ordering {
    let (an, bn) = (a.name_bytes(), b.name_bytes());
    let n = an.len().min(bn.len());
    match an[..n].cmp(&bn[..n]) {
        std::cmp::Ordering::Equal => {}
        other => return other,
    }
    // One name is a prefix of the other: the next byte is the longer name's, or `/` for a folder.
    let next = |e: &git2::TreeEntry<'_>, name: &[u8]| -> Option<u8> {
        name.get(n)
            .copied()
            .or_else(|| (e.kind() == Some(git2::ObjectType::Tree)).then_some(b'/'))
    };
    next(a, an).cmp(&next(b, bn))
}

/// The commits whose trees are compared: the first parent's (absent for a root commit) and the
/// commit's own, to name a folder that cannot be read.
#[derive(Clone, Copy)]
struct Pair<'a> {
    old: Option<&'a str>,
    new: &'a str,
}

/// The files that differ between `old` and `new`, below `base`. Entries with equal ids are
/// skipped without being read, and entries are compared in place, so a commit costs what it
/// changed: the folders it touched, not the whole tree. (libgit2's own tree diff builds the path
/// of every entry of both trees.) A folder that cannot be read is an error naming it.
fn diff_trees(
    repo: &git2::Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    base: &str,
    pair: Pair<'_>,
    out: &mut Vec<Delta>,
) -> Result<(), IntegrityError> {
    let join = |e: &git2::TreeEntry<'_>| {
        let name = String::from_utf8_lossy(e.name_bytes());
        if base.is_empty() {
            name.into_owned()
        } else {
            format!("{base}/{name}")
        }
    };
    let is_tree = |e: Option<&git2::TreeEntry<'_>>| {
        e.is_some_and(|e| e.kind() == Some(git2::ObjectType::Tree))
    };
    let subtree = |x: &git2::TreeEntry<'_>, commit: &str, path: &str| {
        repo.find_tree(x.id()).map_err(|err| {
            IntegrityError::read(
                ObjectKind::Tree,
                x.id(),
                Role::PathIn {
                    path: path.to_string(),
                    commit: commit.to_string(),
                },
                &err,
            )
        })
    };
    let one = |e: Option<&git2::TreeEntry<'_>>,
               f: Option<&git2::TreeEntry<'_>>,
               out: &mut Vec<Delta>|
     -> Result<(), IntegrityError> {
        let Some(any) = e.or(f) else { return Ok(()) };
        let path = join(any);
        if is_tree(e) || is_tree(f) {
            let ot = match e {
                // An old side exists only when there is a first parent.
                Some(x) if is_tree(Some(x)) => {
                    Some(subtree(x, pair.old.unwrap_or(pair.new), &path)?)
                }
                _ => None,
            };
            let nt = match f {
                Some(x) if is_tree(Some(x)) => Some(subtree(x, pair.new, &path)?),
                _ => None,
            };
            diff_trees(repo, ot.as_ref(), nt.as_ref(), &path, pair, out)?;
            // A file replaced by a folder (or back) also changed as a file.
            let (fe, ff) = (
                e.filter(|x| !is_tree(Some(x))),
                f.filter(|x| !is_tree(Some(x))),
            );
            if fe.is_some() || ff.is_some() {
                out.push(Delta {
                    path,
                    old: fe.map(|x| x.id()),
                    new: ff.map(|x| x.id()),
                });
            }
        } else {
            out.push(Delta {
                path,
                old: e.map(|x| x.id()),
                new: f.map(|x| x.id()),
            });
        }
        Ok(())
    };
    let (na, nb) = (old.map_or(0, |t| t.len()), new.map_or(0, |t| t.len()));
    let (mut i, mut j) = (0, 0);
    while i < na || j < nb {
        let x = old.and_then(|t| t.get(i));
        let y = new.and_then(|t| t.get(j));
        match (&x, &y) {
            (Some(a), Some(b)) => match entry_cmp(a, b) {
                std::cmp::Ordering::Equal => {
                    if a.id() != b.id() {
                        one(Some(a), Some(b), out)?;
                    }
                    i += 1;
                    j += 1;
                }
                std::cmp::Ordering::Less => {
                    one(Some(a), None, out)?;
                    i += 1;
                }
                std::cmp::Ordering::Greater => {
                    one(None, Some(b), out)?;
                    j += 1;
                }
            },
            (Some(a), None) => {
                one(Some(a), None, out)?;
                i += 1;
            }
            (None, Some(b)) => {
                one(None, Some(b), out)?;
                j += 1;
            }
            (None, None) => break,
        }
    }
    Ok(())
}

/// The record files among `deltas`, sorted into removed, added and modified.
struct Sorted {
    removed: Vec<Side>,
    added: Vec<Side>,
    modified: Vec<(Side, Side)>,
}

fn sort_deltas(deltas: &[Delta], records_dir: &str, prefix: &str) -> Sorted {
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
    let is_record = |p: &str| p.starts_with(&rec_prefix) && p.ends_with(".md");
    let side = |d: &Delta, blob: git2::Oid, before: bool| Side {
        path: d
            .path
            .strip_prefix(&root_prefix)
            .unwrap_or(&d.path)
            .to_string(),
        blob,
        before,
    };
    let mut out = Sorted {
        removed: Vec::new(),
        added: Vec::new(),
        modified: Vec::new(),
    };
    for d in deltas.iter().filter(|d| is_record(&d.path)) {
        match (d.old, d.new) {
            (Some(o), Some(n)) => out.modified.push((side(d, o, true), side(d, n, false))),
            (Some(o), None) => out.removed.push(side(d, o, true)),
            (None, Some(n)) => out.added.push(side(d, n, false)),
            (None, None) => {}
        }
    }
    out
}

fn stem_id(s: &Side) -> Option<String> {
    let stem = s
        .path
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_end_matches(".md");
    is_valid_id(stem).then(|| stem.to_string())
}

/// The blobs a commit's changes need read ([`changes_from`] reads no other): both sides of a
/// modification or a move (for field changes), and added or removed files whose name is not
/// their id. Additions and removals named by their id need nothing read, which keeps a large
/// first import cheap, unless a file on the other side is not named by its id: its id is known
/// only once it is read, and it may be a move of any of them.
fn needed_blobs(sorted: &Sorted) -> Vec<git2::Oid> {
    let mut v = Vec::new();
    for (o, n) in &sorted.modified {
        v.push(o.blob);
        v.push(n.blob);
    }
    let removed_ids: FxHashSet<String> = sorted.removed.iter().filter_map(stem_id).collect();
    let added_ids: FxHashSet<String> = sorted.added.iter().filter_map(stem_id).collect();
    let all_removed = sorted.added.iter().any(|s| stem_id(s).is_none());
    let all_added = sorted.removed.iter().any(|s| stem_id(s).is_none());
    for s in &sorted.added {
        match stem_id(s) {
            Some(id) if !all_added && !removed_ids.contains(&id) => {}
            _ => v.push(s.blob),
        }
    }
    for s in &sorted.removed {
        match stem_id(s) {
            Some(id) if !all_removed && !added_ids.contains(&id) => {}
            _ => v.push(s.blob),
        }
    }
    v
}

fn plain(id: String, kind: ChangeKind, s: &Side) -> Change {
    let blob = Some(s.blob.to_string());
    let (old_blob, new_blob) = if kind == ChangeKind::Removed {
        (blob, None)
    } else {
        (None, blob)
    };
    Change {
        id,
        kind,
        path: s.path.clone(),
        old_path: None,
        old_blob,
        new_blob,
        fields: Vec::new(),
        body_changed: false,
        inherited: false,
    }
}

/// The commit whose changes are being computed, to name a blob it cannot read.
struct At<'a> {
    commit: &'a str,
    /// Its first parent, where the `before` sides come from.
    parent: Option<&'a str>,
    /// The DDF root relative to the repository top.
    prefix: &'a str,
}

impl At<'_> {
    /// The error for the blob of `s` that cannot be read.
    fn damaged(&self, s: &Side, problem: Problem) -> IntegrityError {
        let commit = if s.before {
            self.parent.unwrap_or(self.commit)
        } else {
            self.commit
        };
        let path = if self.prefix.is_empty() {
            s.path.clone()
        } else {
            format!("{}/{}", self.prefix, s.path)
        };
        IntegrityError::Object {
            kind: ObjectKind::Blob,
            id: s.blob.to_string(),
            role: Role::PathIn {
                path,
                commit: commit.to_string(),
            },
            problem,
        }
    }
}

/// A blob's bytes as a reader gives them: `Ok(None)` for a file too large to be a record (it is
/// not read, and counts as a changed body), an error when the repository cannot give it.
type Read<'r> = Result<Option<std::borrow::Cow<'r, [u8]>>, Problem>;

/// The record changes of one commit (`at`) from its sorted deltas; `read` gives a blob's bytes
/// (the git2 object database, or blobs fetched ahead by `git cat-file`). A blob it cannot give
/// is an error: a change computed without it would be wrong (a title change read as a changed
/// body, a move read as a removal and an addition).
fn changes_from<'r>(
    sorted: &Sorted,
    read: &dyn Fn(&Side) -> Read<'r>,
    at: &At<'_>,
) -> Result<Vec<Change>, IntegrityError> {
    let read = |s: &Side| read(s).map_err(|p| at.damaged(s, p));
    // Ids come from the file stem when it is an id (the common case: no parse needed for
    // additions and removals); otherwise from the front-matter.
    let id_of = |s: &Side| -> Result<Option<String>, IntegrityError> {
        if let Some(id) = stem_id(s) {
            return Ok(Some(id));
        }
        Ok(read(s)?.and_then(|bytes| {
            let r = parse_blob(&s.path, &bytes, s.blob)?;
            Some(r.id).filter(|id| !id.is_empty())
        }))
    };
    let mut changes = Vec::new();
    let mut removed_by_id: FxHashMap<String, &Side> = FxHashMap::default();
    for s in &sorted.removed {
        if let Some(id) = id_of(s)? {
            removed_by_id.insert(id, s);
        }
    }
    let diff_pair =
        |old: &Side, new: &Side, kind: ChangeKind, id: String| -> Result<Change, IntegrityError> {
            let (fields, body_changed) = match (read(old)?, read(new)?) {
                (Some(o), Some(n)) => diff::versions(&o, &n),
                _ => (Vec::new(), true),
            };
            Ok(Change {
                id,
                kind,
                path: new.path.clone(),
                old_path: (kind == ChangeKind::Renamed).then(|| old.path.clone()),
                old_blob: Some(old.blob.to_string()),
                new_blob: Some(new.blob.to_string()),
                fields,
                body_changed,
                inherited: false,
            })
        };
    for (old, new) in &sorted.modified {
        match (id_of(old)?, id_of(new)?) {
            (Some(a), Some(b)) if a == b => {
                changes.push(diff_pair(old, new, ChangeKind::Modified, a)?)
            }
            // The id itself was edited: the old record went, a new one came.
            (a, b) => {
                changes.extend(a.map(|a| plain(a, ChangeKind::Removed, old)));
                changes.extend(b.map(|b| plain(b, ChangeKind::Added, new)));
            }
        }
    }
    for new in &sorted.added {
        let Some(id) = id_of(new)? else { continue };
        match removed_by_id.remove(&id) {
            Some(old) => changes.push(diff_pair(old, new, ChangeKind::Renamed, id)?),
            None => changes.push(plain(id, ChangeKind::Added, new)),
        }
    }
    for (id, old) in removed_by_id {
        changes.push(plain(id, ChangeKind::Removed, old));
    }
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(changes)
}

/// In a merge (`commit`), a change whose result equals another parent's version came with the
/// merged branch (Git's TREESAME rule); it is that branch's commits' change, not the merge's.
fn mark_inherited(
    repo: &git2::Repository,
    commit: &str,
    parents: &[String],
    changes: &mut [Change],
    prefix: &str,
) -> Result<(), IntegrityError> {
    let mut others: Vec<(String, git2::Tree<'_>)> = Vec::new();
    for p in parents.iter().skip(1) {
        let Ok(o) = git2::Oid::from_str(p) else {
            continue;
        };
        let c = repo.find_commit(o).map_err(|e| {
            IntegrityError::read(ObjectKind::Commit, o, Role::ParentOf(commit.into()), &e)
        })?;
        let t = c.tree().map_err(|e| {
            IntegrityError::read(ObjectKind::Tree, c.tree_id(), Role::TreeOf(p.clone()), &e)
        })?;
        others.push((p.clone(), t));
    }
    for ch in changes {
        let full = if prefix.is_empty() {
            ch.path.clone()
        } else {
            format!("{prefix}/{}", ch.path)
        };
        let mut inherited = false;
        for (p, t) in &others {
            let blob = crate::integrity::entry_at(repo, t, &full, p)?.map(|e| e.id().to_string());
            // A removal counts as inherited too when the other parent lacks the file.
            if blob == ch.new_blob {
                inherited = true;
                break;
            }
        }
        ch.inherited = inherited;
    }
    Ok(())
}

fn read_with_git2<'r>(repo: &git2::Repository, s: &Side) -> Read<'r> {
    let blob = repo.find_blob(s.blob).map_err(|e| {
        if crate::integrity::is_missing(&e) {
            Problem::Missing
        } else {
            Problem::Unreadable(e.message().to_string())
        }
    })?;
    if blob.size() as u64 > crate::source::MAX_FILE {
        return Ok(None);
    }
    Ok(Some(std::borrow::Cow::Owned(blob.content().to_vec())))
}

/// Computes what `oid` changed against its first parent, through git2 alone. `shallow` holds the
/// commits at a shallow clone's boundary, whose parents are not in the repository by design.
fn compute_commit(
    repo: &git2::Repository,
    oid: git2::Oid,
    records_dir: &str,
    prefix: &str,
    shallow: &FxHashSet<git2::Oid>,
) -> Result<Commit, IntegrityError> {
    let id = oid.to_string();
    let c = repo
        .find_commit(oid)
        .map_err(|e| IntegrityError::read(ObjectKind::Commit, oid, Role::Walked, &e))?;
    let tree = c.tree().map_err(|e| {
        IntegrityError::read(ObjectKind::Tree, c.tree_id(), Role::TreeOf(id.clone()), &e)
    })?;
    let parent_ids: Vec<git2::Oid> = if shallow.contains(&oid) {
        Vec::new()
    } else {
        c.parent_ids().collect()
    };
    let parent_tree = match parent_ids.first() {
        Some(&p) => {
            let pc = repo.find_commit(p).map_err(|e| {
                IntegrityError::read(ObjectKind::Commit, p, Role::ParentOf(id.clone()), &e)
            })?;
            let t = pc.tree().map_err(|e| {
                IntegrityError::read(
                    ObjectKind::Tree,
                    pc.tree_id(),
                    Role::TreeOf(p.to_string()),
                    &e,
                )
            })?;
            Some(t)
        }
        None => None,
    };
    let first_parent = parent_ids.first().map(|p| p.to_string());
    let pair = Pair {
        old: first_parent.as_deref(),
        new: &id,
    };
    let mut deltas = Vec::new();
    diff_trees(
        repo,
        parent_tree.as_ref(),
        Some(&tree),
        "",
        pair,
        &mut deltas,
    )?;
    let message = String::from_utf8_lossy(c.message_bytes()).into_owned();
    let author = c.author();
    let mut commit = Commit {
        id: id.clone(),
        parents: parent_ids.iter().map(|p| p.to_string()).collect(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        time: author.when().seconds(),
        committer_time: c.committer().when().seconds(),
        summary: message.lines().next().unwrap_or("").trim().to_string(),
        trailers: trailers::parse(&message),
        changes: Vec::new(),
        paths: Vec::new(),
    };
    let sorted = sort_deltas(&deltas, records_dir, prefix);
    let at = At {
        commit: &id,
        parent: first_parent.as_deref(),
        prefix,
    };
    commit.changes = changes_from(&sorted, &|s| read_with_git2(repo, s), &at)?;
    if commit.is_merge() {
        mark_inherited(repo, &id, &commit.parents, &mut commit.changes, prefix)?;
    }
    let mut paths: Vec<String> = deltas.into_iter().map(|d| d.path).collect();
    paths.sort();
    commit.paths = paths;
    Ok(commit)
}

/// Computes `missing` commits with git2 alone, in their order; the first commit (in that order)
/// that cannot be read whole is the error, so the same damage is always reported the same way.
fn walk_with_git2(
    repo_path: &Path,
    missing: &[git2::Oid],
    records_dir: &str,
    prefix: &str,
    shallow: &FxHashSet<git2::Oid>,
) -> Result<Vec<Commit>, HistoryError> {
    // git2's Repository is Send but not Sync: one handle per worker. Each worker takes a run
    // of neighbouring commits, whose trees it mostly shares with the next one, so its object
    // cache serves most tree reads.
    let workers = rayon::current_num_threads().max(1);
    let chunk = missing.len().div_ceil(workers * 4).max(1);
    let progress = crate::progress::begin("reading the history", missing.len());
    let runs: Vec<Result<Vec<Commit>, HistoryError>> = missing
        .par_chunks(chunk)
        .map(|run| {
            let r = git2::Repository::open(repo_path)?;
            run.iter()
                .map(|oid| {
                    progress.add(1);
                    compute_commit(&r, *oid, records_dir, prefix, shallow)
                        .map_err(HistoryError::from)
                })
                .collect()
        })
        .collect();
    let mut out = Vec::with_capacity(missing.len());
    for run in runs {
        out.extend(run?);
    }
    Ok(out)
}

/// The commits at a shallow clone's boundary (Git's `shallow` file): their parents are absent
/// by design, which is not damage.
fn shallow_boundary(repo: &git2::Repository) -> FxHashSet<git2::Oid> {
    std::fs::read_to_string(repo.path().join("shallow"))
        .map(|text| {
            text.lines()
                .filter_map(|l| git2::Oid::from_str(l.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The commit `HEAD` names, `None` before the first commit. A `HEAD` that names a commit the
/// repository does not have is damage, not an empty history.
fn head_commit(repo: &git2::Repository) -> Result<Option<git2::Oid>, HistoryError> {
    let head = match repo.head() {
        Ok(h) => h,
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            return Ok(None)
        }
        Err(e) => return Err(e.into()),
    };
    let Some(oid) = head.target() else {
        return Ok(None);
    };
    let name = match head.shorthand() {
        Ok(b) if head.is_branch() => format!("HEAD ({b})"),
        _ => "HEAD".to_string(),
    };
    let commit = repo
        .find_object(oid, None)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| IntegrityError::read(ObjectKind::Commit, oid, Role::Named(name), &e))?;
    Ok(Some(commit.id()))
}

/// Why the revision walk from `tip` failed: the first commit on the way (following every parent,
/// stopping at a shallow boundary) that cannot be read, named with the commit that needed it.
/// Runs only after the walk failed, so a sound repository pays nothing for it.
fn walk_damage(
    repo: &git2::Repository,
    tip: git2::Oid,
    tip_name: &str,
    shallow: &FxHashSet<git2::Oid>,
) -> Option<IntegrityError> {
    let mut seen: FxHashSet<git2::Oid> = FxHashSet::default();
    let mut stack: Vec<(git2::Oid, Option<git2::Oid>)> = vec![(tip, None)];
    while let Some((id, child)) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let c = match repo.find_commit(id) {
            Ok(c) => c,
            Err(e) => {
                let role = match child {
                    Some(child) => Role::ParentOf(child.to_string()),
                    None => Role::Named(tip_name.to_string()),
                };
                return Some(IntegrityError::read(ObjectKind::Commit, id, role, &e));
            }
        };
        if shallow.contains(&id) {
            continue;
        }
        // Reversed, so the first parent is walked first.
        stack.extend(
            c.parent_ids()
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .map(|p| (p, Some(id))),
        );
    }
    None
}

/// Tunes libgit2 for history-wide reads (and `ddf impact`'s reads of two revisions), once per
/// process: trees of flat record folders are hundreds of kilobytes, above libgit2's default
/// 4 KiB cache limit for trees, so without this every commit (every file read from a revision)
/// re-inflates the trees on its path from long delta chains. Hash verification of objects read
/// from the repository's own pack is skipped, as `git log` does (`git fsck` checks integrity).
/// Call it before the process reads anything with libgit2.
pub(crate) fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: these set process-wide libgit2 options; `Once` runs them before this process
        // reads any history, and nothing else in ddf changes them.
        unsafe {
            let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 64 << 20);
            let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 1 << 20);
            let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Blob, 1 << 20);
            let _ = git2::opts::set_cache_max_size(512 << 20);
        }
        git2::opts::strict_hash_verification(false);
    });
}

/// How commits missing from the cache are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// `git diff-tree` and `git cat-file`, one pair per worker of at least `min_shard` commits
    /// (falls back to libgit2 when `git` cannot be run).
    Git {
        /// The fewest commits worth a worker of their own.
        min_shard: usize,
    },
    /// libgit2 only.
    Git2,
}

impl History {
    /// Reads the history of the DDF at `root` from `tip` (default `HEAD`); `records_dir` is the
    /// records folder relative to the DDF root. Uses and extends the on-disk cache.
    pub fn load(
        root: &Path,
        tip: Option<&str>,
        records_dir: &str,
    ) -> Result<History, HistoryError> {
        // DDF_HISTORY_WALK=git2 forces the pure-git2 walk, to compare it with the fast path.
        let walk = if std::env::var("DDF_HISTORY_WALK").is_ok_and(|v| v == "git2") {
            Walk::Git2
        } else {
            Walk::Git {
                min_shard: gitcli::MIN_SHARD,
            }
        };
        History::load_with(root, tip, records_dir, walk)
    }

    /// [`History::load`], choosing the walk.
    pub fn load_with(
        root: &Path,
        tip: Option<&str>,
        records_dir: &str,
        walk_with: Walk,
    ) -> Result<History, HistoryError> {
        tune_libgit2();
        let loc = Location::discover(root)?;
        let repo = &loc.repo;
        let workdir = repo.workdir().map(Path::to_path_buf).unwrap_or_default();
        let shallow = repo.is_shallow();
        let tip_oid = match tip {
            Some(t) => Some(crate::source::resolve_commit(repo, t)?),
            None => head_commit(repo)?,
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
        let boundary = if shallow {
            shallow_boundary(repo)
        } else {
            FxHashSet::default()
        };
        // Every commit object is read by the walk, cached or not: a commit the repository lost
        // stops it, and is then named (a walk that skipped it would hide its changes and all
        // history before it).
        let mut walk = repo.revwalk()?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
        walk.push(tip_oid)?;
        let mut oids: Vec<git2::Oid> = Vec::new();
        for o in walk {
            match o {
                Ok(o) => oids.push(o),
                Err(e) => {
                    let name = tip.unwrap_or("HEAD");
                    return Err(match walk_damage(repo, tip_oid, name, &boundary) {
                        Some(damage) => damage.into(),
                        None => e.into(),
                    });
                }
            }
        }
        let cache_path = cache::path(repo, &loc.prefix, records_dir);
        let mut cached = cache::read(&cache_path);
        let missing: Vec<git2::Oid> = oids
            .iter()
            .copied()
            .filter(|o| !cached.contains_key(&o.to_string()))
            .collect();
        let repo_path = repo.path().to_path_buf();
        // The fast path is `git diff-tree --stdin` and `git cat-file --batch` per core; the git2
        // walk is the fallback (and can be forced with DDF_HISTORY_WALK=git2, to compare the two).
        let fast = match walk_with {
            Walk::Git2 => None,
            Walk::Git { min_shard } => gitcli::walk(
                &workdir,
                &repo_path,
                &missing,
                records_dir,
                &loc.prefix,
                min_shard,
            )?,
        };
        // When `git` fails (or cannot be run) the git2 walk redoes the work: if the failure was
        // a damaged repository, it names the object; if not (an old `git`), it is the fallback.
        let (computed, lines) = match fast {
            Some(c) => c,
            None => {
                let computed =
                    walk_with_git2(&repo_path, &missing, records_dir, &loc.prefix, &boundary)?;
                let mut lines = Vec::new();
                for c in &computed {
                    cache::line(c, &mut lines);
                }
                (computed, lines)
            }
        };
        let n_computed = computed.len();
        if n_computed > 0 {
            if cached.is_empty() {
                // A first walk (or one after an upgrade): what older versions wrote goes.
                cache::retire_old(repo, &loc.prefix, records_dir);
            }
            cache::append(&cache_path, &lines);
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

    /// The adoption commit: the oldest commit that added the DDF's `ddf.yaml` (against its
    /// first parent). Change control starts after it when ddf.yaml sets no
    /// `change_control_since`, so the commit that adopts ddf (and the history before it) is
    /// not held to change control it could not have followed. `None` when no commit in the
    /// history touched `ddf.yaml` (it is not committed yet).
    pub fn adoption(&self) -> Option<&Commit> {
        let config = if self.prefix.is_empty() {
            crate::config::CONFIG_FILE.to_string()
        } else {
            format!("{}/{}", self.prefix, crate::config::CONFIG_FILE)
        };
        // Newest first, topologically: the last commit that touched it has no ancestor that
        // did, so it added the file.
        self.commits
            .iter()
            .rev()
            .find(|c| c.paths.contains(&config))
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

    /// The ids of every record that history saw change, in no particular order.
    pub fn record_ids(&self) -> impl Iterator<Item = &str> {
        self.by_record.keys().map(String::as_str)
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
