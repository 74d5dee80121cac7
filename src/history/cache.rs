//! The on-disk history cache: one JSON line per commit, in `.git/ddf/`, never in the working
//! tree.
//!
//! What a commit changed never changes, so entries are keyed by commit id and are never stale;
//! new commits are appended. A line that does not parse (a run interrupted mid-write, a file
//! from another ddf version) is skipped and that commit is simply computed again.
//!
//! An entry is written only for a commit read whole: the walk fails, and writes nothing, when an
//! object it needs is missing. A cached commit is not read again, so objects the repository
//! loses after its entry was written (its trees, the blobs its field changes came from) are not
//! noticed by the walk; its commit object still is (the revision walk reads every commit), and
//! so is any blob a command reads again (body diffs). `git fsck` checks the rest.

use super::Commit;
use rustc_hash::FxHashMap;
use std::io::Write;
use std::path::PathBuf;

/// Bumped whenever the shape or the meaning of [`Commit`] entries changes, so old caches are
/// ignored, not misread. Version 2: entries of version 1 may have been computed from a damaged
/// repository (a missing blob read as a changed body, a missing folder as no change).
const VERSION: u32 = 2;

/// The cache file of `version` for a DDF at `prefix` with records in `records_dir`.
fn versioned(repo: &git2::Repository, prefix: &str, records_dir: &str, version: u32) -> PathBuf {
    // FNV-1a: a stable name per DDF location inside the repository.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in prefix.bytes().chain([0]).chain(records_dir.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    repo.path()
        .join("ddf")
        .join(format!("history-v{version}-{h:016x}.jsonl"))
}

/// The cache file for a DDF at `prefix` with records in `records_dir`.
pub(super) fn path(repo: &git2::Repository, prefix: &str, records_dir: &str) -> PathBuf {
    versioned(repo, prefix, records_dir, VERSION)
}

/// Removes the files older versions of ddf wrote for this DDF, which nothing reads any more.
/// Failing to is not an error: they are only disk space.
pub(super) fn retire_old(repo: &git2::Repository, prefix: &str, records_dir: &str) {
    for version in 1..VERSION {
        let _ = std::fs::remove_file(versioned(repo, prefix, records_dir, version));
    }
}

/// Every commit in the cache.
pub(super) fn read(path: &PathBuf) -> FxHashMap<String, Commit> {
    let mut out = FxHashMap::default();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    for line in text.lines() {
        if let Ok(c) = serde_json::from_str::<Commit>(line) {
            out.insert(c.id.clone(), c);
        }
    }
    out
}

/// Appends `c` to `buf` as one cache line.
pub(super) fn line(c: &Commit, buf: &mut Vec<u8>) {
    let start = buf.len();
    if serde_json::to_writer(&mut *buf, c).is_ok() {
        buf.push(b'\n');
    } else {
        buf.truncate(start);
    }
}

/// Appends cache lines (made by [`line`]). Failing to write the cache is not an error: the next
/// run recomputes.
pub(super) fn append(path: &PathBuf, lines: &[u8]) {
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(lines)
    };
    let _ = write();
}
