//! The fast path of the history walk: one `git log --raw` for every commit not yet cached, and
//! one `git cat-file --batch` for the blobs whose fields are compared.
//!
//! Both stream over their range with Git's delta-base cache, which libgit2 lacks: on flat record folders (thousands of files per tree, long delta chains) the
//! pure-git2 walk re-inflates large trees for every commit and is an order of magnitude slower.
//! The git2 walk stays as the fallback when `git` cannot be run, and tests check both agree.
//!
//! `git log` diffs each commit against its parent on one core. Every commit's diff is
//! independent of the others, so a long range is cut into one contiguous shard per core, each with
//! its own `git log` and `cat-file`: on two cores the first walk of a large history then takes
//! about half the time of a single `git log`.

use super::{
    changes_from, mark_inherited, needed_blobs, sort_deltas, trailers, Commit, Delta, Side, Sorted,
};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Starts `git args` in `dir` with piped stdin and stdout.
fn spawn(dir: &Path, args: &[&str]) -> Option<std::process::Child> {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// One commit of `git log --raw -z` output: metadata and the files it changed.
fn parse_commit(chunk: &[u8]) -> Option<(Commit, Vec<Delta>)> {
    let mut fields = chunk.splitn(8, |b| *b == 0);
    let text = |f: Option<&[u8]>| f.map(|b| String::from_utf8_lossy(b).into_owned());
    let id = text(fields.next())?;
    let parents: Vec<String> = text(fields.next())?
        .split_whitespace()
        .map(String::from)
        .collect();
    let author = text(fields.next())?;
    let email = text(fields.next())?;
    let time = text(fields.next())?.trim().parse().ok()?;
    let committer_time = text(fields.next())?.trim().parse().ok()?;
    let message = text(fields.next())?;
    let raw = fields.next().unwrap_or(&[]);
    let mut deltas = Vec::new();
    let mut parts = raw.split(|b| *b == 0);
    while let Some(head) = parts.next() {
        // `:100644 100644 <old> <new> M`, then the path as its own NUL-terminated field.
        let head = String::from_utf8_lossy(head);
        let Some(head) = head.trim_start_matches(['\n', '\0']).strip_prefix(':') else {
            continue;
        };
        let cols: Vec<&str> = head.split(' ').collect();
        let path = parts
            .next()
            .map(|p| String::from_utf8_lossy(p).into_owned())?;
        if cols.len() < 5 {
            continue;
        }
        let oid = |s: &str| git2::Oid::from_str(s).ok().filter(|o| !o.is_zero());
        // Submodules (mode 160000) are not files of the DDF.
        let (om, nm) = (cols[0], cols[1]);
        let old = if om == "160000" { None } else { oid(cols[2]) };
        let new = if nm == "160000" { None } else { oid(cols[3]) };
        if old.is_some() || new.is_some() {
            deltas.push(Delta { path, old, new });
        }
    }
    let commit = Commit {
        id,
        parents,
        author,
        email,
        time,
        committer_time,
        summary: message.lines().next().unwrap_or("").trim().to_string(),
        trailers: trailers::parse(&message),
        changes: Vec::new(),
        paths: Vec::new(),
    };
    Some((commit, deltas))
}

/// Reads `git cat-file --batch` output: `<oid> blob <size>\n<content>\n` per object.
fn parse_batch(out: &[u8]) -> FxHashMap<git2::Oid, &[u8]> {
    let mut map = FxHashMap::default();
    let mut at = 0;
    while at < out.len() {
        let Some(nl) = out[at..].iter().position(|b| *b == b'\n') else {
            break;
        };
        let header = String::from_utf8_lossy(&out[at..at + nl]).into_owned();
        at += nl + 1;
        let cols: Vec<&str> = header.split(' ').collect();
        if cols.len() != 3 {
            continue; // `<oid> missing`
        }
        let Ok(size) = cols[2].parse::<usize>() else {
            break;
        };
        if at + size > out.len() {
            break;
        }
        if let Ok(oid) = git2::Oid::from_str(cols[0]) {
            map.insert(oid, &out[at..at + size]);
        }
        at += size + 1;
    }
    map
}

/// Below this many commits one `git log` is cheaper than starting more processes.
pub(super) const MIN_SHARD: usize = 500;

/// Computes `missing` commits with `git`, in their order, in shards of at least `min_shard`
/// commits; `None` if git cannot be run (the caller falls back).
pub(super) fn walk(
    workdir: &Path,
    repo_path: &Path,
    missing: &[git2::Oid],
    records_dir: &str,
    prefix: &str,
    min_shard: usize,
) -> Option<Vec<Commit>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let shards = (missing.len() / min_shard.max(1)).clamp(1, cores.clamp(2, 8));
    if shards == 1 {
        return walk_shard(workdir, repo_path, missing, records_dir, prefix);
    }
    let size = missing.len().div_ceil(shards);
    let results: Vec<Option<Vec<Commit>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = missing
            .chunks(size)
            .map(|chunk| {
                scope.spawn(move || walk_shard(workdir, repo_path, chunk, records_dir, prefix))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut out = Vec::with_capacity(missing.len());
    for r in results {
        out.extend(r?);
    }
    Some(out)
}

/// [`walk`] over one contiguous run of commits: one `git log` and one `cat-file`.
fn walk_shard(
    workdir: &Path,
    repo_path: &Path,
    missing: &[git2::Oid],
    records_dir: &str,
    prefix: &str,
) -> Option<Vec<Commit>> {
    if missing.is_empty() {
        return Some(Vec::new());
    }
    let ids: Vec<u8> = missing
        .iter()
        .flat_map(|o| format!("{o}\n").into_bytes())
        .collect();
    let mut log = spawn(
        workdir,
        &[
            "-c",
            "core.quotePath=false",
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "--root",
            "--raw",
            "-z",
            "--no-renames",
            "--no-abbrev",
            "--diff-merges=first-parent",
            "--no-color",
            "--format=%x01%H%x00%P%x00%an%x00%ae%x00%at%x00%ct%x00%B%x00",
        ],
    )?;
    let mut batch = spawn(workdir, &["cat-file", "--batch", "--buffer"])?;
    let mut log_in = log.stdin.take()?;
    let ids_writer = std::thread::spawn(move || {
        let _ = log_in.write_all(&ids);
    });
    // The blob reader drains `cat-file` while blobs are still being asked for, so neither pipe
    // fills up; `git log` and `git cat-file` run side by side on two cores.
    let mut batch_out = batch.stdout.take()?;
    let blob_reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = batch_out.read_to_end(&mut out);
        out
    });
    let mut batch_in = batch.stdin.take()?;
    let mut log_out = log.stdout.take()?;
    let mut commits: Vec<(Commit, Vec<Delta>)> = Vec::with_capacity(missing.len());
    let mut sorted = Vec::with_capacity(missing.len());
    let mut asked: FxHashSet<git2::Oid> = FxHashSet::default();
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut take = |chunk: &[u8],
                    commits: &mut Vec<(Commit, Vec<Delta>)>,
                    sorted: &mut Vec<Sorted>,
                    batch_in: &mut std::process::ChildStdin| {
        if chunk.is_empty() {
            return;
        }
        if let Some((c, d)) = parse_commit(chunk) {
            let s = sort_deltas(&d, records_dir, prefix);
            let mut req = Vec::new();
            for oid in needed_blobs(&s) {
                if asked.insert(oid) {
                    req.extend_from_slice(format!("{oid}\n").as_bytes());
                }
            }
            let _ = batch_in.write_all(&req);
            commits.push((c, d));
            sorted.push(s);
        }
    };
    loop {
        let n = log_out.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        // Every complete commit (up to the last \x01) can be handled now.
        if let Some(last) = pending.iter().rposition(|b| *b == 1) {
            let rest = pending.split_off(last);
            for chunk in pending.split(|b| *b == 1) {
                take(chunk, &mut commits, &mut sorted, &mut batch_in);
            }
            pending = rest;
        }
    }
    for chunk in pending.split(|b| *b == 1) {
        take(chunk, &mut commits, &mut sorted, &mut batch_in);
    }
    drop(batch_in);
    let _ = ids_writer.join();
    let log_ok = log.wait().ok()?.success();
    let batch_bytes = blob_reader.join().ok()?;
    let batch_ok = batch.wait().ok()?.success();
    if !log_ok || !batch_ok || commits.len() != missing.len() {
        return None;
    }
    let blobs = parse_batch(&batch_bytes);
    let read = |s: &Side| blobs.get(&s.blob).map(|b| Cow::Borrowed(*b));
    commits
        .par_iter_mut()
        .zip(sorted.par_iter())
        .for_each(|((c, _), s)| {
            c.changes = changes_from(s, &read);
        });
    let merges: Vec<usize> = (0..commits.len())
        .filter(|&i| commits[i].0.is_merge() && !commits[i].0.changes.is_empty())
        .collect();
    if !merges.is_empty() {
        let repo = git2::Repository::open(repo_path).ok()?;
        for i in merges {
            let (c, _) = &mut commits[i];
            let parents = c.parents.clone();
            mark_inherited(&repo, &parents, &mut c.changes, prefix);
        }
    }
    Some(
        commits
            .into_iter()
            .map(|(mut c, d)| {
                let mut paths: Vec<String> = d.into_iter().map(|d| d.path).collect();
                paths.sort();
                c.paths = paths;
                c
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_batch_output() {
        let oid = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
        let out = format!("{oid} blob 3\nabc\n0000000000000000000000000000000000000001 missing\n");
        let m = super::parse_batch(out.as_bytes());
        assert_eq!(m.len(), 1);
        assert_eq!(m.values().next().copied(), Some(&b"abc"[..]));
    }
}
