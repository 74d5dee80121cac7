//! The fast path of the history walk: `git diff-tree --stdin` lists the files each commit
//! changed, and `git cat-file --batch` reads the blobs whose fields are compared.
//!
//! Both stream over their range with Git's delta-base cache, which libgit2 lacks: on flat record
//! folders (thousands of files per tree, long delta chains) the pure-git2 walk re-inflates large
//! trees for every commit and is an order of magnitude slower. The git2 walk stays as the
//! fallback when `git` cannot be run, and tests check both agree.
//!
//! Git diffs each commit against its parent on one core, and every commit's diff is independent
//! of the others, so the work is spread over one worker per core. Each worker is a `diff-tree`
//! and a `cat-file` that live for the whole walk and are fed blocks of commits from its own
//! contiguous run; a worker that runs out takes over half of the largest run left (see
//! [`Queue`]), so all workers finish together whatever each commit costs. `diff-tree --stdin`
//! answers line by line and echoes any line that is not an object id, so a marker line after
//! each block tells the reader where the block's output ends. Field changes are computed as each
//! commit's blobs arrive, while Git is still diffing the next ones.

use super::{
    changes_from, mark_inherited, needed_blobs, sort_deltas, trailers, At, Commit, Delta, Side,
    Sorted,
};
use crate::integrity::{IntegrityError, Problem};
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::ops::Range;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// `git diff-tree` reading commit ids on stdin, one raw diff (NUL-separated) per commit, each
/// commit introduced by \x01 and its metadata.
const DIFF_TREE: &[&str] = &[
    "-c",
    "core.quotePath=false",
    "diff-tree",
    "--stdin",
    "--root",
    "-r",
    "--raw",
    "-z",
    "--no-renames",
    "--no-abbrev",
    "--diff-merges=first-parent",
    "--always",
    "--no-color",
    "--format=%x01%H%x00%P%x00%an%x00%ae%x00%at%x00%ct%x00%B%x00",
];

const CAT_FILE: &[&str] = &["cat-file", "--batch", "--buffer"];

/// Written after each block of commit ids; `diff-tree` echoes it (it is not an id), so it marks
/// the end of the block's output. It starts with the commit separator, which Git never writes
/// inside its own output.
const END_OF_BLOCK: &[u8] = b"\x01ddf:end-of-block\n";

/// Below this many commits one worker is cheaper than starting more processes.
pub(super) const MIN_SHARD: usize = 500;

/// Each worker's share is cut into about this many blocks: the unit of work that is handed to
/// `diff-tree` and that an idle worker can take over from a busy one.
const BLOCKS_PER_WORKER: usize = 64;

/// The longest block, in commits.
const MAX_BLOCK: usize = 64;

/// Which blocks each worker still has to do: one contiguous run of blocks per worker.
///
/// A worker takes its blocks in order, so its `diff-tree` walks neighbouring commits, whose
/// trees are deltas of each other in Git's cache; jumping elsewhere costs Git a rebuild of
/// those trees (handing out blocks round-robin cost 10 % more CPU). A worker that runs out
/// takes the second half of the largest run left, so it too then walks a contiguous run, and
/// all workers finish within about one block of each other.
struct Queue(std::sync::Mutex<Vec<Range<usize>>>);

impl Queue {
    /// `blocks` blocks shared by `workers` workers in contiguous runs.
    fn new(blocks: usize, workers: usize) -> Queue {
        Queue(std::sync::Mutex::new(
            (0..workers)
                .map(|w| blocks * w / workers..blocks * (w + 1) / workers)
                .collect(),
        ))
    }

    /// The next block for worker `me`, `None` when every block is taken.
    fn take(&self, me: usize) -> Option<usize> {
        let mut runs = self.0.lock().ok()?;
        if runs.get(me)?.is_empty() {
            let (victim, left) = runs
                .iter()
                .map(ExactSizeIterator::len)
                .enumerate()
                .max_by_key(|&(_, n)| n)?;
            if left == 0 {
                return None;
            }
            let split = runs[victim].start + left / 2;
            runs[me] = split..runs[victim].end;
            runs[victim].end = split;
        }
        let k = runs[me].start;
        runs[me].start += 1;
        Some(k)
    }
}

/// A running `git` process, killed and reaped if it is dropped before it ended.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Starts `git args` in `dir` with piped stdin and stdout.
fn spawn(dir: &Path, args: &[&str]) -> Option<Proc> {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()
        .map(Proc)
}

/// One commit of the raw `-z` output: metadata and the files it changed.
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

/// One object as `git cat-file --batch` gave it.
#[derive(Debug, PartialEq, Eq)]
enum Fetched {
    /// Its content.
    Content(Vec<u8>),
    /// Too large to be a record: not kept (the git2 walk does not read such a file either).
    TooLarge,
    /// Git does not have it: the repository is damaged.
    Missing,
}

/// Reads the next object of `git cat-file --batch` output (`<oid> blob <size>\n<content>\n`, or
/// `<oid> missing\n`). `None` at the end of the output or on output that does not parse.
fn read_object(out: &mut impl BufRead) -> Option<(git2::Oid, Fetched)> {
    let mut header = Vec::new();
    if out.read_until(b'\n', &mut header).ok()? == 0 {
        return None;
    }
    let header = std::str::from_utf8(&header).ok()?.trim_end();
    let cols: Vec<&str> = header.split(' ').collect();
    let oid = git2::Oid::from_str(cols.first()?).ok()?;
    match cols.len() {
        2 if cols[1] == "missing" => return Some((oid, Fetched::Missing)),
        3 => {}
        // Anything else (`ambiguous`, a new answer) is not what was asked for.
        _ => return None,
    }
    let size: u64 = cols[2].parse().ok()?;
    if size > crate::source::MAX_FILE {
        std::io::copy(&mut out.take(size + 1), &mut std::io::sink()).ok()?;
        return Some((oid, Fetched::TooLarge));
    }
    let mut content = vec![0u8; usize::try_from(size).ok()?];
    out.read_exact(&mut content).ok()?;
    let mut lf = [0u8; 1];
    out.read_exact(&mut lf).ok()?;
    Some((oid, Fetched::Content(content)))
}

/// What the walk is given, shared by its workers.
struct Work<'a> {
    workdir: &'a Path,
    repo_path: &'a Path,
    missing: &'a [git2::Oid],
    /// Contiguous ranges of `missing`.
    blocks: Vec<Range<usize>>,
    /// The blocks not yet taken.
    queue: Queue,
    records_dir: &'a str,
    prefix: &'a str,
    /// Commits done, for a progress bar.
    progress: crate::progress::Step,
    /// The earliest position in `missing` any worker found damaged so far (`usize::MAX`: none).
    /// Only what lies after it may be left undone.
    first_damage: AtomicUsize,
}

impl Work<'_> {
    /// Whether the commit at `at` may be skipped: a commit before it is known damaged, so the
    /// walk's answer is that damage or an earlier one, never this commit.
    fn past_damage(&self, at: usize) -> bool {
        at >= self.first_damage.load(Ordering::Relaxed)
    }
}

/// A commit read from `diff-tree`, waiting for its blobs.
struct Pending {
    /// Its position in `missing`.
    at: usize,
    commit: Commit,
    sorted: Sorted,
    /// Every path it changed, sorted.
    paths: Vec<String>,
    /// How many objects were asked of `cat-file` for it (blobs an earlier commit of the same
    /// worker already asked for are not asked again).
    asked: usize,
}

/// The commits a walk computed, in order, and their cache lines.
pub(super) type Walked = (Vec<Commit>, Vec<u8>);

/// Computes `missing` commits with `git`, in their order, with one worker per core once there
/// are at least `min_shard` commits per worker, and their cache lines (made by the workers, as
/// each commit is done). `Ok(None)` if git cannot be run, fails (a non-zero exit: `diff-tree`
/// stops at a tree it cannot read) or its output is not what was asked for: the caller then
/// walks with git2, which names any object the repository lost. An error when `cat-file` says
/// a blob the changes need is missing: the first such commit in the order of `missing`.
pub(super) fn walk(
    workdir: &Path,
    repo_path: &Path,
    missing: &[git2::Oid],
    records_dir: &str,
    prefix: &str,
    min_shard: usize,
) -> Result<Option<Walked>, IntegrityError> {
    if missing.is_empty() {
        return Ok(Some((Vec::new(), Vec::new())));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = (missing.len() / min_shard.max(1)).clamp(1, cores.clamp(2, 8));
    walk_with(
        workdir,
        repo_path,
        missing,
        records_dir,
        prefix,
        workers,
        0..workers,
    )
}

/// [`walk`] planned for `workers` workers of which only worker `me` runs, as when the others are
/// too slow to start: it does its own run, then takes over every other run, ahead of its own.
#[cfg(test)]
pub(super) fn walk_alone(
    workdir: &Path,
    repo_path: &Path,
    missing: &[git2::Oid],
    records_dir: &str,
    workers: usize,
    me: usize,
) -> Result<Option<Walked>, IntegrityError> {
    walk_with(
        workdir,
        repo_path,
        missing,
        records_dir,
        "",
        workers,
        me..me + 1,
    )
}

/// [`walk`] with the work planned for `workers` workers, of which only those in `started` run
/// (all of them but in tests, where the others stand for workers too slow to take anything).
fn walk_with(
    workdir: &Path,
    repo_path: &Path,
    missing: &[git2::Oid],
    records_dir: &str,
    prefix: &str,
    workers: usize,
    started: Range<usize>,
) -> Result<Option<Walked>, IntegrityError> {
    let block = (missing.len() / (workers * BLOCKS_PER_WORKER)).clamp(1, MAX_BLOCK);
    let blocks: Vec<Range<usize>> = (0..missing.len())
        .step_by(block)
        .map(|s| s..(s + block).min(missing.len()))
        .collect();
    let work = Work {
        workdir,
        repo_path,
        missing,
        queue: Queue::new(blocks.len(), workers),
        blocks,
        records_dir,
        prefix,
        progress: crate::progress::begin("reading the history", missing.len()),
        first_damage: AtomicUsize::new(usize::MAX),
    };
    let results: Vec<Result<Done, Stop>> = std::thread::scope(|scope| {
        let handles: Vec<_> = started
            .map(|me| {
                let work = &work;
                scope.spawn(move || worker(work, me))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(Stop::Failed)))
            .collect()
    });
    // Every block is taken by one worker, and a worker that does not fail does every commit of
    // the blocks it took, skipping only those after a known damaged one (a worker that took
    // over a run before its own may meet damage in its own run first): so every commit before
    // the earliest reported one was done, and that one is the first in the walk, whatever the
    // timing. Any failure of `git` itself sends the whole walk to git2 instead.
    let mut damage: Option<(usize, IntegrityError)> = None;
    let mut dones = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(done) => dones.push(done),
            Err(Stop::Failed) => return Ok(None),
            Err(Stop::Damaged(at, e)) => {
                if damage.as_ref().is_none_or(|(first, _)| at < *first) {
                    damage = Some((at, e));
                }
            }
        }
    }
    if let Some((_, e)) = damage {
        return Err(e);
    }
    let mut slots: Vec<Option<Commit>> = Vec::with_capacity(missing.len());
    slots.resize_with(missing.len(), || None);
    let mut lines = Vec::new();
    for done in dones {
        for (at, c) in done.commits {
            slots[at] = Some(c);
        }
        lines.extend_from_slice(&done.lines);
    }
    Ok(slots
        .into_iter()
        .collect::<Option<Vec<Commit>>>()
        .map(|commits| (commits, lines)))
}

/// What a worker computed: each commit with its position in `missing`, and their cache lines.
struct Done {
    commits: Vec<(usize, Commit)>,
    lines: Vec<u8>,
}

/// Why a worker stopped before its work was done.
enum Stop {
    /// `git` could not be run, failed, or answered with something else than was asked.
    Failed,
    /// The commit at this position in `missing` needs an object the repository cannot give.
    Damaged(usize, IntegrityError),
}

/// Worker `me`: takes blocks until none are left; returns each commit with its position.
fn worker(work: &Work<'_>, me: usize) -> Result<Done, Stop> {
    let (mut tree, mut batch) = match (
        spawn(work.workdir, DIFF_TREE),
        spawn(work.workdir, CAT_FILE),
    ) {
        (Some(t), Some(b)) => (t, b),
        _ => return Err(Stop::Failed),
    };
    let (Some(tree_in), Some(mut tree_out), Some(mut batch_in), Some(batch_out)) = (
        tree.0.stdin.take(),
        tree.0.stdout.take(),
        batch.0.stdin.take(),
        batch.0.stdout.take(),
    ) else {
        return Err(Stop::Failed);
    };
    let (taken_tx, taken_rx) = mpsc::channel::<Range<usize>>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (pending_tx, pending_rx) = mpsc::channel::<Vec<Pending>>();
    let done = std::thread::scope(|scope| {
        // The feeder keeps two blocks in flight, so `diff-tree` never waits for the reader to
        // ask for more, and takes a new block only as one is read.
        scope.spawn(move || {
            let mut tree_in = tree_in;
            let mut in_flight = 0;
            loop {
                if in_flight == 2 {
                    if done_rx.recv().is_err() {
                        break;
                    }
                    in_flight -= 1;
                }
                let Some(range) = next_block(work, me) else {
                    break;
                };
                let mut ids = Vec::with_capacity(range.len() * 41 + END_OF_BLOCK.len());
                for oid in &work.missing[range.clone()] {
                    ids.extend_from_slice(format!("{oid}\n").as_bytes());
                }
                ids.extend_from_slice(END_OF_BLOCK);
                // The reader hears of the block before it is written: a block larger than the
                // pipe would otherwise block this write until `diff-tree`, itself blocked on its
                // unread output, took more.
                if taken_tx.send(range.clone()).is_err() || tree_in.write_all(&ids).is_err() {
                    break;
                }
                in_flight += 1;
            }
            // Closing stdin ends `diff-tree`.
        });
        let blobs = scope.spawn(move || field_changes(work, batch_out, pending_rx));
        // The reader: each block's output, cut into commits, whose blobs are asked for at once.
        let mut asked: FxHashSet<git2::Oid> = FxHashSet::default();
        let mut out: Vec<u8> = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut searched = 0usize;
        let mut read_ok = true;
        'blocks: for range in taken_rx {
            let end = loop {
                let from = searched.saturating_sub(END_OF_BLOCK.len());
                if let Some(p) = find(&out[from..], END_OF_BLOCK) {
                    break from + p;
                }
                searched = out.len();
                match tree_out.read(&mut buf) {
                    Ok(n) if n > 0 => out.extend_from_slice(&buf[..n]),
                    _ => {
                        read_ok = false;
                        break 'blocks;
                    }
                }
            };
            let chunks: Vec<&[u8]> = out[..end]
                .split(|b| *b == 1)
                .filter(|c| !c.is_empty())
                .collect();
            if chunks.len() != range.len() {
                read_ok = false;
                break;
            }
            // One write and one message per block, not per commit: thousands fewer wake-ups.
            let mut req = Vec::new();
            let mut block = Vec::with_capacity(range.len());
            for (at, chunk) in range.zip(chunks) {
                let Some((commit, deltas)) = parse_commit(chunk) else {
                    read_ok = false;
                    break 'blocks;
                };
                if commit.id != work.missing[at].to_string() {
                    read_ok = false;
                    break 'blocks;
                }
                let sorted = sort_deltas(&deltas, work.records_dir, work.prefix);
                let mut n = 0;
                for oid in needed_blobs(&sorted) {
                    if asked.insert(oid) {
                        req.extend_from_slice(format!("{oid}\n").as_bytes());
                        n += 1;
                    }
                }
                let mut paths: Vec<String> = deltas.into_iter().map(|d| d.path).collect();
                paths.sort();
                block.push(Pending {
                    at,
                    commit,
                    sorted,
                    paths,
                    asked: n,
                });
            }
            // The blob reader hears of the block before its requests are written: a block that
            // asks for more than a pipe holds (a commit editing thousands of records) would
            // otherwise wait on `cat-file`, itself waiting for its output to be read.
            if pending_tx.send(block).is_err() || batch_in.write_all(&req).is_err() {
                read_ok = false;
                break;
            }
            out.drain(..end + END_OF_BLOCK.len());
            searched = 0;
            // The feeder may take another block; it is gone once every block is taken.
            let _ = done_tx.send(());
        }
        // Closing these ends `cat-file` and lets the blob reader finish; dropping the feeder's
        // channel ends the feeder if the reader stopped early.
        drop(batch_in);
        drop(pending_tx);
        drop(done_tx);
        drop(tree_out);
        let commits = blobs.join().unwrap_or(Err(Stop::Failed));
        // Damage is the answer only if every block taken was read: a commit of a block left
        // unread may be an earlier damaged one.
        match commits {
            r @ (Ok(_) | Err(Stop::Damaged(..))) if read_ok => r,
            _ => Err(Stop::Failed),
        }
    });
    let tree_ok = tree.0.wait().is_ok_and(|s| s.success());
    let batch_ok = batch.0.wait().is_ok_and(|s| s.success());
    match done {
        r @ (Ok(_) | Err(Stop::Damaged(..))) if tree_ok && batch_ok => r,
        _ => Err(Stop::Failed),
    }
}

/// The next block worker `me` is to do, `None` when every block is taken. Blocks that start
/// after a commit known damaged are passed over: nothing in them can be the walk's answer.
fn next_block(work: &Work<'_>, me: usize) -> Option<Range<usize>> {
    loop {
        let range = work.blocks.get(work.queue.take(me)?)?;
        if !work.past_damage(range.start) {
            return Some(range.clone());
        }
    }
}

/// The blob reader of a worker: reads the objects asked for each commit as they arrive, computes
/// the commit's record changes, and writes its cache line.
///
/// A damaged commit does not stop it: the blocks this worker took may hold earlier commits
/// still to come (a run taken over from another worker can lie before its own), and one of them
/// may be the first damaged one. It goes on to the end, computing only commits before the
/// earliest damage known, and then names the earliest damaged commit it met.
fn field_changes(
    work: &Work<'_>,
    batch_out: std::process::ChildStdout,
    pending: mpsc::Receiver<Vec<Pending>>,
) -> Result<Done, Stop> {
    let mut out = BufReader::with_capacity(1 << 16, batch_out);
    let mut blobs: FxHashMap<git2::Oid, Fetched> = FxHashMap::default();
    let mut repo: Option<git2::Repository> = None;
    let mut done = Done {
        commits: Vec::new(),
        lines: Vec::new(),
    };
    let mut damage: Option<(usize, IntegrityError)> = None;
    for p in pending.into_iter().flatten() {
        for _ in 0..p.asked {
            let (oid, fetched) = read_object(&mut out).ok_or(Stop::Failed)?;
            blobs.insert(oid, fetched);
        }
        if work.past_damage(p.at) {
            continue;
        }
        let Pending {
            at,
            mut commit,
            sorted,
            paths,
            ..
        } = p;
        // `needed_blobs` lists every blob `changes_from` reads; one it left out would be a bug
        // here, not damage: the walk then goes to git2 rather than guess.
        let unasked = std::cell::Cell::new(false);
        let read = |s: &Side| match blobs.get(&s.blob) {
            Some(Fetched::Content(b)) => Ok(Some(Cow::Borrowed(b.as_slice()))),
            Some(Fetched::TooLarge) => Ok(None),
            Some(Fetched::Missing) => Err(Problem::Missing),
            None => {
                unasked.set(true);
                Ok(None)
            }
        };
        let at_commit = At {
            commit: &commit.id,
            parent: commit.parents.first().map(String::as_str),
            prefix: work.prefix,
        };
        let changes = changes_from(&sorted, &read, &at_commit);
        if unasked.get() {
            return Err(Stop::Failed);
        }
        let inherited = match changes {
            Ok(changes) => {
                commit.changes = changes;
                if commit.is_merge() && !commit.changes.is_empty() {
                    if repo.is_none() {
                        repo = git2::Repository::open(work.repo_path).ok();
                    }
                    let r = repo.as_ref().ok_or(Stop::Failed)?;
                    let parents = commit.parents.clone();
                    mark_inherited(r, &commit.id, &parents, &mut commit.changes, work.prefix)
                } else {
                    Ok(())
                }
            }
            Err(e) => Err(e),
        };
        if let Err(e) = inherited {
            // Commits reach this worker in the order it took its blocks, not in walk order.
            work.first_damage.fetch_min(at, Ordering::Relaxed);
            if damage.as_ref().is_none_or(|(first, _)| at < *first) {
                damage = Some((at, e));
            }
            continue;
        }
        commit.paths = paths;
        super::cache::line(&commit, &mut done.lines);
        done.commits.push((at, commit));
        work.progress.add(1);
    }
    match damage {
        Some((at, e)) => Err(Stop::Damaged(at, e)),
        None => Ok(done),
    }
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_batch_objects_in_order() {
        let oid = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";
        let out = format!("{oid} blob 3\nabc\n0000000000000000000000000000000000000001 missing\n");
        let mut r = BufReader::new(out.as_bytes());
        let (a, content) = read_object(&mut r).expect("first object");
        assert_eq!(a.to_string(), oid);
        assert_eq!(content, Fetched::Content(b"abc".to_vec()));
        let (b, missing) = read_object(&mut r).expect("missing object");
        assert_eq!(b.to_string(), "0000000000000000000000000000000000000001");
        assert_eq!(missing, Fetched::Missing);
        assert!(read_object(&mut r).is_none());
        let odd = format!("{oid} ambiguous\n");
        assert!(read_object(&mut BufReader::new(odd.as_bytes())).is_none());
    }

    /// Every block goes to exactly one worker, each worker walks runs of neighbouring blocks,
    /// and an idle worker takes over the second half of the largest run left.
    #[test]
    fn queue_hands_out_every_block_once_in_runs() {
        let q = Queue::new(10, 2);
        assert_eq!(q.take(0), Some(0));
        assert_eq!(q.take(0), Some(1));
        assert_eq!(q.take(1), Some(5));
        for k in 2..5 {
            assert_eq!(q.take(0), Some(k));
        }
        // Worker 0's run is done; it takes over 8..10 of worker 1's 6..10.
        assert_eq!(q.take(0), Some(8));
        assert_eq!(q.take(1), Some(6));
        assert_eq!(q.take(1), Some(7));
        assert_eq!(q.take(0), Some(9));
        assert_eq!(q.take(1), None);
        assert_eq!(q.take(0), None);

        let q = Queue::new(37, 3);
        let mut seen = Vec::new();
        let mut me = 0;
        while let Some(k) = q.take(me) {
            seen.push(k);
            me = (me + k) % 3;
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..37).collect::<Vec<_>>());
        assert_eq!(Queue::new(0, 2).take(1), None);
    }

    #[test]
    fn finds_the_end_of_a_block() {
        let mut out = b"\x01abc\x00def".to_vec();
        assert_eq!(find(&out, END_OF_BLOCK), None);
        out.extend_from_slice(END_OF_BLOCK);
        assert_eq!(find(&out, END_OF_BLOCK), Some(8));
    }
}
