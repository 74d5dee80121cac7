//! Allocating new records: the next free id of a type, and the folder new records of a type go
//! to. `ddf new`, `ddf sbom import` and `ddf vuln scan --record` share it, so an id is free in the
//! working tree and on every local branch whichever command creates the record.

use crate::corpus::Corpus;
use crate::rules::structure::is_valid_id;
use crate::schema::TypeDef;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::OnceLock;

/// Every id of `prefix` a new record must not take: the records of `corpus`, the files of it
/// that could not be read as records (see [`ids_of_unread_files`]), and the records on the
/// local branches of the repository holding `root` ([`ids_on_branches`]).
pub fn used_ids(corpus: &Corpus, root: &Path, prefix: &str) -> HashSet<String> {
    let mut used: HashSet<String> = corpus
        .by_id
        .keys()
        .filter(|k| k.split('-').next() == Some(prefix))
        .cloned()
        .collect();
    used.extend(ids_of_unread_files(corpus, root, prefix));
    used.extend(ids_on_branches(root, &corpus.config.records, prefix));
    used
}

/// Ids with `prefix` of the record files in `corpus` that are not records: files whose
/// front-matter does not parse (a YAML error, no fences, not UTF-8). Such a file keeps its id
/// while it is being fixed: the id of its name, and the id on any `id:` line of it (read from the
/// working tree at `root` through the confined reader, as the records are).
pub fn ids_of_unread_files(corpus: &Corpus, root: &Path, prefix: &str) -> HashSet<String> {
    use crate::source::Source;
    let read: HashSet<&str> = corpus.records.iter().map(|r| r.path.as_str()).collect();
    let unread: BTreeSet<&str> = corpus
        .diagnostics
        .iter()
        .map(|d| d.path.as_str())
        .filter(|p| p.ends_with(".md") && !read.contains(p))
        .collect();
    let mut ids = HashSet::new();
    if unread.is_empty() {
        return ids;
    }
    let worktree = crate::source::Worktree::new(root);
    for path in unread {
        let name = path.rsplit('/').next().unwrap_or(path);
        if let Some(stem) = name.strip_suffix(".md").filter(|s| is_valid_id(s)) {
            ids.insert(stem.to_string());
        }
        if let Ok(Some(bytes)) = worktree.read(path) {
            ids.extend(id_lines(&bytes));
        }
    }
    ids.retain(|id| id.split('-').next() == Some(prefix));
    ids
}

/// The ids written on `id:` lines of `bytes` (at the start of a line, plain or quoted), for files
/// whose YAML does not parse.
pub fn id_lines(bytes: &[u8]) -> Vec<String> {
    static RE: OnceLock<regex::bytes::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::bytes::Regex::new(r#"(?m)^id:[ \t]*["']?([A-Z]+-[0-9]{3,})\b"#)
            .expect("static regex")
    });
    re.captures_iter(bytes)
        .filter_map(|c| c.get(1))
        .filter_map(|m| std::str::from_utf8(m.as_bytes()).ok())
        .filter(|id| is_valid_id(id))
        .map(String::from)
        .collect()
}

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
                    match crate::record::parse(name, blob.content()).record {
                        Some(r) => {
                            ids.insert(r.id);
                        }
                        None => ids.extend(id_lines(blob.content())),
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
    padded(prefix, max.saturating_add(1), width)
}

/// `PREFIX-NNN` with the number zero-padded to `width` digits, by hand: an id may have more
/// digits than `format!` pads to without panicking.
fn padded(prefix: &str, n: u64, width: usize) -> String {
    let digits = n.to_string();
    format!(
        "{prefix}-{}{digits}",
        "0".repeat(width.saturating_sub(digits.len()))
    )
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
    /// An allocator after every id of `prefix` that [`used_ids`] finds.
    pub fn new(corpus: &Corpus, root: &Path, prefix: &str) -> Self {
        Self::after(prefix, used_ids(corpus, root, prefix).into_iter())
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
        self.last = self.last.saturating_add(1);
        padded(&self.prefix, self.last, self.width)
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

    #[test]
    fn ids_wider_than_format_pads_and_the_largest_number_do_not_panic() {
        let wide = format!("DI-{}1", "0".repeat(70_000));
        let next = next_id("DI", [wide].into_iter());
        assert_eq!(next.len(), "DI-".len() + 70_001);
        assert!(next.ends_with("0002"));
        let max = format!("DI-{}", u64::MAX);
        assert_eq!(next_id("DI", [max.clone()].into_iter()), max);
    }

    #[test]
    fn id_lines_of_a_file_that_does_not_parse() {
        let text = b"---\nid: DI-007\ntitle: [broken\n---\nid: 'DI-008' in the body\n  id: DI-009\nid: x\n";
        assert_eq!(id_lines(text), vec!["DI-007", "DI-008"]);
        assert_eq!(id_lines(b"id: \"UN-0042\"\xff\n"), vec!["UN-0042"]);
    }
}
