//! The change log as `ddf log` and the site's change log and release pages show it: the
//! first-parent line of a branch with the commits each merge brought in, the approvals that cover
//! each change, body diffs, and the records as they stood at chosen commits.
//!
//! Everything here is one pass over the history index (or an index built once): the site asks for
//! a long history and many releases at once, so nothing is computed per commit or per release by
//! walking the history again.

use super::approval::{covers, Approval};
use super::{ChangeKind, Commit, History};
use crate::integrity::{IntegrityError, ObjectKind, Role};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;

/// A unified line diff of two texts (`similar`), empty when they are equal.
pub fn text_diff(old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header("before", "after")
        .to_string()
}

/// The Markdown body of the record stored in `blob`; empty when there is no blob or it is not a
/// record. A blob the repository cannot give is an error naming it by `role` (a diff against an
/// empty body would show the whole record as rewritten).
pub fn body_of_blob(
    repo: &git2::Repository,
    blob: Option<&str>,
    role: Role,
) -> Result<String, IntegrityError> {
    let Some(oid) = blob.and_then(|b| git2::Oid::from_str(b).ok()) else {
        return Ok(String::new());
    };
    let b = repo
        .find_blob(oid)
        .map_err(|e| IntegrityError::read(ObjectKind::Blob, oid, role, &e))?;
    if b.size() as u64 > crate::source::MAX_FILE {
        return Ok(String::new());
    }
    Ok(crate::record::parse("blob", b.content())
        .record
        .map(|r| r.body)
        .unwrap_or_default())
}

/// The body diff between two blobs of one record, each named by its role if it cannot be read.
pub fn body_diff(
    repo: &git2::Repository,
    old: (Option<&str>, Role),
    new: (Option<&str>, Role),
) -> Result<String, IntegrityError> {
    Ok(text_diff(
        &body_of_blob(repo, old.0, old.1)?,
        &body_of_blob(repo, new.0, new.1)?,
    ))
}

/// One commit of the first-parent line, with the commits a merge brought in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineEntry {
    /// Position of the commit in the history (0 = the tip walked from).
    pub position: usize,
    /// For a merge: positions of the commits reachable from its other parents and not from its
    /// first, newest first. Empty otherwise.
    pub merged: Vec<usize>,
}

/// The first-parent line from the commit at position `tip`, newest first, each merge with the
/// commits it brought in. One pass: walking the line oldest first, everything reachable so far is
/// remembered, so a merge's own commits are found without walking its first parent's ancestry
/// again (the cost grows with the history, not with merges times history).
pub fn first_parent_line(h: &History, tip: usize) -> Vec<LineEntry> {
    let mut line = Vec::new();
    let mut at = Some(tip);
    let mut on_line = FxHashSet::default();
    while let Some(i) = at {
        if !on_line.insert(i) {
            break;
        }
        line.push(i);
        at = h.commits[i].parents.first().and_then(|p| h.position(p));
    }
    let mut seen: FxHashSet<usize> = FxHashSet::default();
    let mut out: Vec<LineEntry> = Vec::with_capacity(line.len());
    for &i in line.iter().rev() {
        let mut merged = Vec::new();
        let mut stack: Vec<usize> = h.commits[i]
            .parents
            .iter()
            .skip(1)
            .filter_map(|p| h.position(p))
            .collect();
        while let Some(m) = stack.pop() {
            if m == i || seen.contains(&m) {
                continue;
            }
            seen.insert(m);
            merged.push(m);
            stack.extend(h.commits[m].parents.iter().filter_map(|p| h.position(p)));
        }
        seen.insert(i);
        merged.sort_unstable();
        out.push(LineEntry {
            position: i,
            merged,
        });
    }
    out.reverse();
    out
}

/// The approvals indexed by what they name, so the approvals covering a commit are found
/// without testing every approval against every change.
pub struct ApprovalIndex<'a> {
    approvals: &'a [Approval],
    by_commit: FxHashMap<&'a str, usize>,
    by_cr: FxHashMap<&'a str, Vec<usize>>,
    by_record: FxHashMap<&'a str, Vec<usize>>,
}

impl<'a> ApprovalIndex<'a> {
    /// Indexes `approvals` (newest first, as [`super::approval::approvals`] returns them).
    pub fn new(approvals: &'a [Approval]) -> Self {
        let mut by_commit = FxHashMap::default();
        let mut by_cr: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        let mut by_record: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (i, a) in approvals.iter().enumerate() {
            by_commit.insert(a.commit.as_str(), i);
            for cr in &a.approve {
                by_cr.entry(cr.as_str()).or_default().push(i);
            }
            for p in &a.approves {
                by_record.entry(p.id.as_str()).or_default().push(i);
            }
        }
        ApprovalIndex {
            approvals,
            by_commit,
            by_cr,
            by_record,
        }
    }

    /// The approvals of change request `cr` (`Approve: CR-...`), newest first.
    pub fn of_cr(&self, cr: &str) -> Vec<&'a Approval> {
        self.by_cr
            .get(cr)
            .map(|v| v.iter().map(|&i| &self.approvals[i]).collect())
            .unwrap_or_default()
    }

    /// The approvals that cover commit `c`: the approval commit itself, approvals of a change
    /// request the commit names in `Change-Request:`, and approvals of the exact content a
    /// change of the commit produced. Newest first, each once.
    pub fn covering(&self, h: &History, c: &Commit) -> Vec<&'a Approval> {
        let mut found: Vec<usize> = Vec::new();
        found.extend(self.by_commit.get(c.id.as_str()));
        for cr in c.control().change_requests {
            found.extend(self.by_cr.get(cr.as_str()).into_iter().flatten());
        }
        for ch in &c.changes {
            let Some(blob) = ch.new_blob.as_deref() else {
                continue;
            };
            found.extend(
                self.by_record
                    .get(ch.id.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|&&i| covers(h, &self.approvals[i], &ch.id, blob)),
            );
        }
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.approvals[i]).collect()
    }
}

/// The records (id -> blob) as they stood at each commit of `at` (history positions), in the
/// order of `at`. One pass: the first-parent line from `tip` is replayed once, oldest first,
/// applying each commit's record changes against its first parent and keeping a copy of the
/// state where a requested commit, or the point where its own first-parent line joins this one,
/// is passed. A commit off the line gets the state at the join plus its own line's changes.
/// Positions that are not in the history give an empty state.
pub fn records_at(h: &History, tip: usize, at: &[usize]) -> Vec<BTreeMap<String, String>> {
    let line: Vec<usize> = first_parent_chain(h, tip);
    let on_line: FxHashMap<usize, usize> = line.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    // For each requested commit: where its first-parent line joins, and the commits before that.
    let mut plans: Vec<(Option<usize>, Vec<usize>)> = Vec::with_capacity(at.len());
    for &t in at {
        let mut own = Vec::new();
        let mut cur = (t < h.commits.len()).then_some(t);
        let mut guard = FxHashSet::default();
        let join = loop {
            match cur {
                None => break None,
                Some(i) if on_line.contains_key(&i) => break Some(i),
                Some(i) => {
                    if !guard.insert(i) {
                        break None;
                    }
                    own.push(i);
                    cur = h.commits[i].parents.first().and_then(|p| h.position(p));
                }
            }
        };
        plans.push((join, own));
    }
    let wanted: FxHashSet<usize> = plans.iter().filter_map(|(j, _)| *j).collect();
    let mut state: BTreeMap<String, String> = BTreeMap::new();
    let mut snapshots: FxHashMap<usize, BTreeMap<String, String>> = FxHashMap::default();
    for &i in line.iter().rev() {
        apply(&mut state, &h.commits[i]);
        if wanted.contains(&i) {
            snapshots.insert(i, state.clone());
        }
    }
    plans
        .into_iter()
        .map(|(join, own)| {
            let mut s = join
                .and_then(|j| snapshots.get(&j).cloned())
                .unwrap_or_default();
            for &i in own.iter().rev() {
                apply(&mut s, &h.commits[i]);
            }
            s
        })
        .collect()
}

fn first_parent_chain(h: &History, tip: usize) -> Vec<usize> {
    let mut line = Vec::new();
    let mut seen = FxHashSet::default();
    let mut at = (tip < h.commits.len()).then_some(tip);
    while let Some(i) = at {
        if !seen.insert(i) {
            break;
        }
        line.push(i);
        at = h.commits[i].parents.first().and_then(|p| h.position(p));
    }
    line
}

/// Applies a commit's record changes (against its first parent, merge-inherited ones included:
/// they are part of what the first parent's tree became) to a state.
fn apply(state: &mut BTreeMap<String, String>, c: &Commit) {
    for ch in c.changes.iter().filter(|ch| ch.kind == ChangeKind::Removed) {
        state.remove(&ch.id);
    }
    for ch in c.changes.iter().filter(|ch| ch.kind != ChangeKind::Removed) {
        if let Some(b) = &ch.new_blob {
            state.insert(ch.id.clone(), b.clone());
        }
    }
}

/// What changed between two record states: ids added, modified (another blob) and removed,
/// each sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateDiff {
    /// Ids only in the newer state.
    pub added: Vec<String>,
    /// Ids in both, with different content.
    pub modified: Vec<String>,
    /// Ids only in the older state.
    pub removed: Vec<String>,
}

/// Compares two states from [`records_at`].
pub fn diff_states(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> StateDiff {
    let mut d = StateDiff::default();
    for (id, blob) in new {
        match old.get(id) {
            None => d.added.push(id.clone()),
            Some(b) if b != blob => d.modified.push(id.clone()),
            Some(_) => {}
        }
    }
    d.removed = old
        .keys()
        .filter(|id| !new.contains_key(*id))
        .cloned()
        .collect();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Change, ChangeKind, Commit, History};

    fn change(id: &str, kind: ChangeKind, blob: &str) -> Change {
        Change {
            id: id.into(),
            kind,
            path: format!("records/{id}.md"),
            old_path: None,
            old_blob: None,
            new_blob: (kind != ChangeKind::Removed).then(|| blob.to_string()),
            fields: Vec::new(),
            body_changed: false,
            inherited: false,
        }
    }

    fn commit(id: &str, parents: &[&str], changes: Vec<Change>) -> Commit {
        Commit {
            id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            author: "A".into(),
            email: "a@x".into(),
            time: 0,
            committer_time: 0,
            summary: id.into(),
            trailers: Vec::new(),
            changes,
            paths: Vec::new(),
        }
    }

    /// m (merge of c2 and f1) <- c2 <- c1; f1 <- c1. Newest first, topological.
    fn history() -> History {
        let mut merge_changes = vec![change("DI-002", ChangeKind::Added, "b1")];
        merge_changes[0].inherited = true;
        let commits = vec![
            commit("m", &["c2", "f1"], merge_changes),
            commit(
                "f1",
                &["c1"],
                vec![change("DI-002", ChangeKind::Added, "b1")],
            ),
            commit(
                "c2",
                &["c1"],
                vec![
                    change("DI-001", ChangeKind::Modified, "a2"),
                    change("UN-001", ChangeKind::Removed, ""),
                ],
            ),
            commit(
                "c1",
                &[],
                vec![
                    change("DI-001", ChangeKind::Added, "a1"),
                    change("UN-001", ChangeKind::Added, "u1"),
                ],
            ),
        ];
        History::from_commits(
            commits,
            Some("m".into()),
            false,
            String::new(),
            "/".into(),
            0,
        )
    }

    #[test]
    fn the_line_and_what_merges_brought_in() {
        let h = history();
        let line = first_parent_line(&h, 0);
        assert_eq!(
            line,
            vec![
                LineEntry {
                    position: 0,
                    merged: vec![1]
                },
                LineEntry {
                    position: 2,
                    merged: vec![]
                },
                LineEntry {
                    position: 3,
                    merged: vec![]
                },
            ]
        );
        // The same as the per-merge definition.
        assert_eq!(h.merged_commits(0), vec![1]);
    }

    #[test]
    fn states_at_commits_on_and_off_the_line() {
        let h = history();
        let s = records_at(&h, 0, &[3, 2, 1, 0, 99]);
        let ids = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(ids(&s[0]), ["DI-001", "UN-001"]);
        assert_eq!(ids(&s[1]), ["DI-001"]);
        assert_eq!(s[1]["DI-001"], "a2");
        // f1 is off the line: c1's state plus its own change.
        assert_eq!(ids(&s[2]), ["DI-001", "DI-002", "UN-001"]);
        assert_eq!(s[2]["DI-001"], "a1");
        assert_eq!(ids(&s[3]), ["DI-001", "DI-002"]);
        assert!(s[4].is_empty());
        let d = diff_states(&s[0], &s[3]);
        assert_eq!(d.added, ["DI-002"]);
        assert_eq!(d.modified, ["DI-001"]);
        assert_eq!(d.removed, ["UN-001"]);
    }

    #[test]
    fn diffs() {
        assert_eq!(text_diff("a\n", "a\n"), "");
        assert!(text_diff("a\n", "b\n").contains("+b"));
    }
}
