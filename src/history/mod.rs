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
        let (repo, prefix) = crate::source::repository_of(&root)
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

/// The files that differ between `old` and `new`, below `base`. Entries with equal ids are
/// skipped without being read, and entries are compared in place, so a commit costs what it
/// changed: the folders it touched, not the whole tree. (libgit2's own tree diff builds the path
/// of every entry of both trees.)
fn diff_trees(
    repo: &git2::Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    base: &str,
    out: &mut Vec<Delta>,
) -> Result<(), git2::Error> {
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
    let one = |e: Option<&git2::TreeEntry<'_>>,
               f: Option<&git2::TreeEntry<'_>>,
               out: &mut Vec<Delta>|
     -> Result<(), git2::Error> {
        let Some(any) = e.or(f) else { return Ok(()) };
        let path = join(any);
        if is_tree(e) || is_tree(f) {
            let ot = match e {
                Some(x) if is_tree(Some(x)) => Some(repo.find_tree(x.id())?),
                _ => None,
            };
            let nt = match f {
                Some(x) if is_tree(Some(x)) => Some(repo.find_tree(x.id())?),
                _ => None,
            };
            diff_trees(repo, ot.as_ref(), nt.as_ref(), &path, out)?;
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
    let side = |d: &Delta, blob: git2::Oid| Side {
        path: d
            .path
            .strip_prefix(&root_prefix)
            .unwrap_or(&d.path)
            .to_string(),
        blob,
    };
    let mut out = Sorted {
        removed: Vec::new(),
        added: Vec::new(),
        modified: Vec::new(),
    };
    for d in deltas.iter().filter(|d| is_record(&d.path)) {
        match (d.old, d.new) {
            (Some(o), Some(n)) => out.modified.push((side(d, o), side(d, n))),
            (Some(o), None) => out.removed.push(side(d, o)),
            (None, Some(n)) => out.added.push(side(d, n)),
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

/// The blobs a commit's changes need read: both sides of a modification or a move (for field
/// changes), and added or removed files whose name is not their id. Additions and removals named
/// by their id need nothing read, which keeps a large first import cheap.
fn needed_blobs(sorted: &Sorted) -> Vec<git2::Oid> {
    let mut v = Vec::new();
    for (o, n) in &sorted.modified {
        v.push(o.blob);
        v.push(n.blob);
    }
    let removed_ids: FxHashSet<String> = sorted.removed.iter().filter_map(stem_id).collect();
    let added_ids: FxHashSet<String> = sorted.added.iter().filter_map(stem_id).collect();
    for s in sorted.added.iter().chain(&sorted.removed) {
        match stem_id(s) {
            Some(id) if !(removed_ids.contains(&id) && added_ids.contains(&id)) => {}
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

/// The record changes of one commit from its sorted deltas; `read` gives the parsed record in a
/// blob's bytes (the git2 object database, or blobs fetched ahead by `git cat-file`).
fn changes_from<'r>(
    sorted: &Sorted,
    read: &dyn Fn(&Side) -> Option<std::borrow::Cow<'r, [u8]>>,
) -> Vec<Change> {
    // Ids come from the file stem when it is an id (the common case: no parse needed for
    // additions and removals); otherwise from the front-matter.
    let id_of = |s: &Side| {
        stem_id(s).or_else(|| {
            let bytes = read(s)?;
            let r = parse_blob(&s.path, &bytes, s.blob)?;
            Some(r.id).filter(|id| !id.is_empty())
        })
    };
    let mut changes = Vec::new();
    let mut removed_by_id: FxHashMap<String, &Side> = FxHashMap::default();
    for s in &sorted.removed {
        if let Some(id) = id_of(s) {
            removed_by_id.insert(id, s);
        }
    }
    let diff_pair = |old: &Side, new: &Side, kind: ChangeKind, id: String| -> Change {
        let (fields, body_changed) = match (read(old), read(new)) {
            (Some(o), Some(n)) => diff::versions(&o, &n),
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
    for (old, new) in &sorted.modified {
        match (id_of(old), id_of(new)) {
            (Some(a), Some(b)) if a == b => {
                changes.push(diff_pair(old, new, ChangeKind::Modified, a))
            }
            // The id itself was edited: the old record went, a new one came.
            (a, b) => {
                changes.extend(a.map(|a| plain(a, ChangeKind::Removed, old)));
                changes.extend(b.map(|b| plain(b, ChangeKind::Added, new)));
            }
        }
    }
    for new in &sorted.added {
        let Some(id) = id_of(new) else { continue };
        match removed_by_id.remove(&id) {
            Some(old) => changes.push(diff_pair(old, new, ChangeKind::Renamed, id)),
            None => changes.push(plain(id, ChangeKind::Added, new)),
        }
    }
    for (id, old) in removed_by_id {
        changes.push(plain(id, ChangeKind::Removed, old));
    }
    changes.sort_by(|a, b| a.id.cmp(&b.id));
    changes
}

/// In a merge, a change whose result equals another parent's version came with the merged branch
/// (Git's TREESAME rule); it is that branch's commits' change, not the merge's.
fn mark_inherited(
    repo: &git2::Repository,
    parents: &[String],
    changes: &mut [Change],
    prefix: &str,
) {
    let others: Vec<git2::Tree<'_>> = parents[1..]
        .iter()
        .filter_map(|p| git2::Oid::from_str(p).ok())
        .filter_map(|o| repo.find_commit(o).ok()?.tree().ok())
        .collect();
    for ch in changes {
        let full = if prefix.is_empty() {
            ch.path.clone()
        } else {
            format!("{prefix}/{}", ch.path)
        };
        ch.inherited = others.iter().any(|t| {
            t.get_path(Path::new(&full))
                .ok()
                .map(|e| e.id().to_string())
                == ch.new_blob
        });
    }
}

fn read_with_git2(repo: &git2::Repository, s: &Side) -> Option<Vec<u8>> {
    let blob = repo.find_blob(s.blob).ok()?;
    if blob.size() as u64 > crate::source::MAX_FILE {
        return None;
    }
    Some(blob.content().to_vec())
}

/// Computes what `oid` changed against its first parent, through git2 alone.
fn compute_commit(
    repo: &git2::Repository,
    oid: git2::Oid,
    records_dir: &str,
    prefix: &str,
) -> Result<Commit, git2::Error> {
    let c = repo.find_commit(oid)?;
    let tree = c.tree()?;
    let parent_tree = match c.parents().next() {
        Some(p) => Some(p.tree()?),
        None => None,
    };
    let mut deltas = Vec::new();
    diff_trees(repo, parent_tree.as_ref(), Some(&tree), "", &mut deltas)?;
    let message = String::from_utf8_lossy(c.message_bytes()).into_owned();
    let author = c.author();
    let mut commit = Commit {
        id: oid.to_string(),
        parents: c.parent_ids().map(|p| p.to_string()).collect(),
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
    commit.changes = changes_from(&sorted, &|s| {
        read_with_git2(repo, s).map(std::borrow::Cow::Owned)
    });
    if commit.is_merge() {
        mark_inherited(repo, &commit.parents, &mut commit.changes, prefix);
    }
    let mut paths: Vec<String> = deltas.into_iter().map(|d| d.path).collect();
    paths.sort();
    commit.paths = paths;
    Ok(commit)
}

/// Computes `missing` commits with git2 alone.
fn walk_with_git2(
    repo_path: &Path,
    missing: &[git2::Oid],
    records_dir: &str,
    prefix: &str,
) -> Vec<Commit> {
    // git2's Repository is Send but not Sync: one handle per worker. Each worker takes a run
    // of neighbouring commits, whose trees it mostly shares with the next one, so its object
    // cache serves most tree reads.
    let workers = rayon::current_num_threads().max(1);
    let chunk = missing.len().div_ceil(workers * 4).max(1);
    let progress = crate::progress::begin("reading the history", missing.len());
    missing
        .par_chunks(chunk)
        .flat_map_iter(|run| {
            let r = git2::Repository::open(repo_path).ok();
            run.iter()
                .filter_map(|oid| {
                    progress.add(1);
                    r.as_ref()
                        .and_then(|r| compute_commit(r, *oid, records_dir, prefix).ok())
                })
                .collect::<Vec<_>>()
        })
        .collect()
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
            ),
        };
        let (computed, lines) = match fast {
            Some(c) => c,
            None => {
                let computed = walk_with_git2(&repo_path, &missing, records_dir, &loc.prefix);
                let mut lines = Vec::new();
                for c in &computed {
                    cache::line(c, &mut lines);
                }
                (computed, lines)
            }
        };
        let n_computed = computed.len();
        if n_computed > 0 {
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
