//! Allocating new records: the next free id of a type, and the folder new records of a type go
//! to. `ddf new`, `ddf sbom import` and `ddf vuln scan --record` share it, so an id is free in the
//! working tree and on every local branch whichever command creates the record.

use crate::corpus::Corpus;
use crate::rules::structure::is_valid_id;
use crate::schema::TypeDef;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Ids used on local branches other than the working tree: file stems below the records folder,
/// and for files whose stem is not an id, the id in the front-matter. Only ids with `prefix`.
pub fn ids_on_branches(root: &Path, records: &str, prefix: &str) -> HashSet<String> {
    let mut ids = HashSet::new();
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let Ok(Some((repo, rel))) = crate::source::repository_of(&root) else {
        return ids;
    };
    let dir = if rel.is_empty() {
        records.to_string()
    } else {
        format!("{rel}/{records}")
    };
    let Ok(branches) = repo.branches(Some(git2::BranchType::Local)) else {
        return ids;
    };
    for (branch, _) in branches.flatten() {
        let Ok(tree) = branch.get().peel_to_tree() else {
            continue;
        };
        let Ok(entry) = tree.get_path(Path::new(&dir)) else {
            continue;
        };
        let Ok(sub) = repo.find_tree(entry.id()) else {
            continue;
        };
        let _ = sub.walk(git2::TreeWalkMode::PreOrder, |_, e| {
            let name = e.name().unwrap_or("");
            if let Some(stem) = name.strip_suffix(".md") {
                if is_valid_id(stem) {
                    ids.insert(stem.to_string());
                } else if let Some(blob) = repo
                    .find_blob(e.id())
                    .ok()
                    .filter(|b| b.size() as u64 <= crate::source::MAX_FILE)
                {
                    let p = crate::record::parse(name, blob.content());
                    if let Some(r) = p.record {
                        ids.insert(r.id);
                    }
                }
            }
            git2::TreeWalkResult::Ok
        });
    }
    ids.retain(|id| id.split('-').next() == Some(prefix));
    ids
}

/// The id after the highest of `used` with `prefix`, keeping the widest number width seen
/// (`DI-009` -> `DI-010`, `DI-0042` -> `DI-0043`).
pub fn next_id(prefix: &str, used: impl Iterator<Item = String>) -> String {
    let (max, width) = highest(prefix, used);
    format!("{prefix}-{:0width$}", max + 1)
}

fn highest(prefix: &str, used: impl Iterator<Item = String>) -> (u64, usize) {
    let (mut max, mut width) = (0u64, 3usize);
    for id in used {
        if let Some(num) = id.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) {
            if let Ok(n) = num.parse::<u64>() {
                max = max.max(n);
                width = width.max(num.len());
            }
        }
    }
    (max, width)
}

/// Hands out consecutive free ids of one type, for commands that create many records at once.
#[derive(Debug, Clone)]
pub struct IdAllocator {
    prefix: String,
    last: u64,
    width: usize,
}

impl IdAllocator {
    /// An allocator after every id of `prefix` in `corpus` and on the local branches of the
    /// repository holding `root`.
    pub fn new(corpus: &Corpus, root: &Path, prefix: &str) -> Self {
        let mut used: HashSet<String> = corpus
            .by_id
            .keys()
            .filter(|k| k.split('-').next() == Some(prefix))
            .cloned()
            .collect();
        used.extend(ids_on_branches(root, &corpus.config.records, prefix));
        Self::after(prefix, used.into_iter())
    }

    /// An allocator after the ids `used`.
    pub fn after(prefix: &str, used: impl Iterator<Item = String>) -> Self {
        let (last, width) = highest(prefix, used);
        IdAllocator {
            prefix: prefix.to_string(),
            last,
            width,
        }
    }

    /// The next free id.
    pub fn next_id(&mut self) -> String {
        self.last += 1;
        format!("{}-{:0w$}", self.prefix, self.last, w = self.width)
    }
}

/// The folder where records of type `t` already are (the most used one), relative to the DDF
/// root; `<records>/<type name>` when there is none yet.
pub fn default_folder(corpus: &Corpus, t: &TypeDef) -> String {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in corpus.records_of(&t.name) {
        let p = corpus.records[i].path.as_str();
        *count
            .entry(p.rsplit_once('/').map_or("", |(d, _)| d))
            .or_default() += 1;
    }
    // Most used folder; ties go to the first in path order (BTreeMap order).
    let best = count.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
    match best {
        Some((d, _)) => (*d).to_string(),
        None => format!("{}/{}", corpus.config.records, t.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_continues_after_the_highest() {
        let mut a = IdAllocator::after(
            "CMP",
            ["CMP-002".to_string(), "CMP-0010".to_string()].into_iter(),
        );
        assert_eq!(a.next_id(), "CMP-0011");
        assert_eq!(a.next_id(), "CMP-0012");
        let mut b = IdAllocator::after("SUP", std::iter::empty());
        assert_eq!(b.next_id(), "SUP-001");
    }
}
