//! An OSV export zip (osv.dev's `all.zip` of every ecosystem, or one ecosystem's) read for a
//! scan without holding it in memory, and the on-disk index that lets the next scan read only
//! the few advisories its components can match.
//!
//! **Cold** ([`load_zip`] without a usable index): the zip's entries are inflated in parallel
//! (checked against the sizes and CRC-32 of the zip's directory) and read by the first pass of
//! [`super::osv_head`], which takes only the id, aliases, withdrawn flag and keys of a record,
//! without building it. The full parser reads the records under a key the components look up,
//! kept whole, and any record the first pass does not vouch for, exactly as [`Database::load`]
//! would (so a record it would refuse is refused here too, with the same message). Of the
//! others only the head is kept, for the alias groups, the totals and the index. Memory is
//! bounded by the zip's central directory, those summaries and one entry per thread, never by
//! the sum of the advisories.
//!
//! **Index**: for every (ecosystem base, normalised name) key the advisories under it; for each
//! advisory where its compressed bytes lie in the zip (offset, sizes, CRC-32), its alias group;
//! the totals; and the zip's identity (its size and the SHA-256 of its central directory, which
//! holds every entry's name, offset, sizes and CRC). A binary file, little-endian, with a magic,
//! a version and a SHA-256 of its content at the end; written to a temporary file and renamed.
//!
//! **Warm**: the index is read and checked (magic, version, checksum, every count and offset
//! bounded), the zip's identity compared, and only the advisories under the wanted keys are
//! read from the zip by offset, their CRC-32 checked, and parsed. Anything that does not hold
//! (a changed zip, a truncated or foreign index, an entry whose bytes do not match) makes the
//! index unusable: the scan falls back to the cold path and writes a new one. The report is the
//! same either way, byte for byte: the same advisories, alias groups and totals.
//!
//! The modification time of the zip is not part of its identity: a copy or a re-download of
//! the same export has a new one, and the central directory already changes with any entry.

use super::osv::{
    alias_groups, io, parse, Advisory, Database, LoadError, OsvError, MAX_RECORD, MAX_ZIP_ENTRIES,
};
use super::osv_head::{self, Head};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// First bytes of an index file.
const MAGIC: &[u8; 8] = b"DDFOSVIX";
/// Bumped whenever the layout or the meaning of the index changes; the folder name carries it
/// too, so indexes of other versions are never opened.
const VERSION: u32 = 1;
/// The folder (under `.git/ddf/`) the indexes live in by default.
pub const DEFAULT_DIR: &str = "osv-index-v1";
/// Largest index file read: far above the index of two million advisories (the most a zip may
/// hold); anything larger is not an index ddf wrote.
const MAX_INDEX: u64 = 1 << 30;
/// Uncompressed bytes a zip may hold per compressed byte, over the whole archive, before it is
/// refused as a zip bomb. OSV JSON compresses about 5 to 10 times; deflate's ceiling is 1,032.
const MAX_RATIO: u64 = 64;
/// ... with this floor, so a small zip of very repetitive records is still read.
const MIN_BUDGET: u64 = 1 << 30;

/// Whether and where the index is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexMode {
    /// No index: every scan reads the whole zip (`--no-index`, or no Git repository).
    Off,
    /// Indexes in this folder, one file per zip.
    Dir(PathBuf),
}

/// What became of the index in a [`load_zip`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexUse {
    /// Not used.
    Off,
    /// Read, and only the advisories needed were read from the zip.
    Reused(PathBuf),
    /// There was none; one was written.
    Built(PathBuf),
    /// The zip changed since it was written; a new one was written.
    Stale(PathBuf, String),
    /// It could not be used (corrupt, truncated, foreign, or its entries do not match the zip);
    /// a new one was written. A person may want to know: nothing ddf writes does this.
    Rebuilt(PathBuf, String),
    /// A new one could not be written (the scan is still complete).
    NotWritten(PathBuf, String),
}

/// A zip's advisories for a scan, and what became of the index.
#[derive(Debug)]
pub struct Loaded {
    /// The advisories the scan can match, with the totals of the whole zip.
    pub db: Database,
    /// The index.
    pub index: IndexUse,
}

/// The index file of the zip at `zip` in `dir`: named after a hash of the zip's absolute path,
/// so several exports (all.zip, PyPI/all.zip) each keep their own.
pub fn index_file(dir: &Path, zip: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(zip).unwrap_or_else(|_| zip.to_path_buf());
    let h = Sha256::digest(abs.to_string_lossy().as_bytes());
    let hex: String = h[..8].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.idx"))
}

/// Reads the advisories of the zip at `path` that `wanted` keys ([`super::scan::wanted_keys`])
/// can match, through the index in `mode` when it is usable, else by reading the whole zip
/// (and then writing the index). The database gives the same scan as [`Database::load`].
pub fn load_zip(
    path: &Path,
    wanted: &FxHashSet<(String, String)>,
    mode: &IndexMode,
) -> Result<Loaded, LoadError> {
    let IndexMode::Dir(dir) = mode else {
        let pass = stream(path, wanted, MIN_BUDGET)?;
        return Ok(Loaded {
            db: pass.db,
            index: IndexUse::Off,
        });
    };
    let file = index_file(dir, path);
    // Why the index on disk was not used: (reason, whether a person should hear of it).
    let mut why: Option<(String, bool)> = None;
    match std::fs::metadata(&file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        _ => match read_index(&file).and_then(|ix| warm(path, &ix, wanted)) {
            Ok(db) => {
                return Ok(Loaded {
                    db,
                    index: IndexUse::Reused(file),
                })
            }
            Err(Unusable::Changed(w)) => why = Some((w, false)),
            Err(Unusable::Corrupt(w)) => why = Some((w, true)),
        },
    }
    let pass = stream(path, wanted, MIN_BUDGET)?;
    let bytes = encode(&pass.index);
    let index = match write_atomic(&file, &bytes) {
        Err(e) => IndexUse::NotWritten(file, e.to_string()),
        Ok(()) => match why {
            None => IndexUse::Built(file),
            Some((w, false)) => IndexUse::Stale(file, w),
            Some((w, true)) => IndexUse::Rebuilt(file, w),
        },
    };
    Ok(Loaded { db: pass.db, index })
}

/// Why an index cannot be used.
#[derive(Debug)]
enum Unusable {
    /// The zip is not the one it was written for.
    Changed(String),
    /// The file is not a sound index of this zip.
    Corrupt(String),
}

fn corrupt(why: impl Into<String>) -> Unusable {
    Unusable::Corrupt(why.into())
}

/// Writes `bytes` to `path` through a temporary file in the same folder, renamed into place: a
/// reader sees the old index or the new one, never half of one.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A file read at any offset by several threads: each clone keeps its own position and buffer,
/// so the zip reader can be cloned per thread without re-reading the central directory.
struct At {
    file: Arc<Mutex<File>>,
    pos: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    buf_at: u64,
}

impl Clone for At {
    fn clone(&self) -> At {
        At {
            file: Arc::clone(&self.file),
            pos: self.pos,
            buf: Vec::new(),
            buf_at: 0,
        }
    }
}

const BUF: usize = 64 * 1024;

impl At {
    fn new(file: File) -> At {
        At {
            file: Arc::new(Mutex::new(file)),
            pos: 0,
            buf: Vec::new(),
            buf_at: 0,
        }
    }

    /// Reads up to `out.len()` bytes at `offset`.
    fn read_at(&self, offset: u64, out: &mut [u8]) -> std::io::Result<usize> {
        let mut f = self
            .file
            .lock()
            .map_err(|_| std::io::Error::other("a reader thread panicked"))?;
        f.seek(SeekFrom::Start(offset))?;
        let mut n = 0;
        while n < out.len() {
            match f.read(&mut out[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Exactly `len` bytes at `offset`.
    fn read_exact_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        let mut out = vec![0; len];
        if self.read_at(offset, &mut out)? != len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(out)
    }
}

impl Read for At {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let end = self.buf_at + self.buf.len() as u64;
        if self.pos < self.buf_at || self.pos >= end {
            if out.len() >= BUF {
                let n = self.read_at(self.pos, out)?;
                self.pos += n as u64;
                return Ok(n);
            }
            let mut buf = std::mem::take(&mut self.buf);
            buf.resize(BUF, 0);
            let n = self.read_at(self.pos, &mut buf)?;
            buf.truncate(n);
            self.buf = buf;
            self.buf_at = self.pos;
            if n == 0 {
                return Ok(0);
            }
        }
        let from = (self.pos - self.buf_at) as usize;
        let n = out.len().min(self.buf.len() - from);
        out[..n].copy_from_slice(&self.buf[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for At {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => {
                let len = self
                    .file
                    .lock()
                    .map_err(|_| std::io::Error::other("a reader thread panicked"))?
                    .metadata()?
                    .len();
                len.checked_add_signed(d)
            }
        };
        self.pos = new.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}

/// Where an advisory's bytes lie in the zip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Entry {
    /// The entry's name, for the advisory's `source` and messages.
    name: String,
    /// Offset of its compressed data.
    data_start: u64,
    /// Compressed size.
    compressed: u64,
    /// Uncompressed size.
    size: u64,
    /// CRC-32 of the uncompressed bytes.
    crc: u32,
    /// Deflated (else stored: the only two methods ddf reads).
    deflated: bool,
}

/// What is kept of every advisory of the zip.
struct Summary {
    /// Its id, aliases, withdrawn flag and keys.
    head: Head,
    entry: Entry,
    /// The whole advisory, when one of its keys is wanted.
    whole: Option<Box<Advisory>>,
}

/// The index's content.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    zip_size: u64,
    cd_start: u64,
    cd_hash: [u8; 32],
    records: u64,
    withdrawn: u64,
    /// Every advisory (deduplicated, sorted by id): its entry and alias group.
    advisories: Vec<(Entry, u32)>,
    /// Keys, sorted, with the advisories under them (ascending).
    keys: Vec<((String, String), Vec<u32>)>,
}

/// The result of a cold pass.
struct Pass {
    db: Database,
    index: Index,
}

/// SHA-256 of the zip's bytes from `start` to `len`: its central directory and end records.
fn tail_hash(at: &At, start: u64, len: u64) -> std::io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut off = start;
    let mut buf = vec![0u8; 1 << 20];
    while off < len {
        let want = ((len - off) as usize).min(buf.len());
        let n = at.read_at(off, &mut buf[..want])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        h.update(&buf[..n]);
        off += n as u64;
    }
    Ok(h.finalize().into())
}

/// One entry read and parsed, as [`Database::load`] reads it.
enum Read1 {
    /// A folder or a file that is not `.json`: not an advisory.
    Skip,
    /// The entry could not be read: the whole load fails (as `Database::load` does).
    Io(LoadError),
    /// Not a valid advisory.
    Invalid(OsvError),
    /// An advisory.
    Ok(Summary),
}

/// What a reading thread keeps from one entry to the next, so that reading an entry allocates
/// nothing: its clone of the zip reader (with its own read buffer), the entry's compressed and
/// inflated bytes, and the inflater.
struct Worker {
    z: zip::ZipArchive<At>,
    /// The zip's size: no entry's data runs past it.
    zip_size: u64,
    raw: Vec<u8>,
    out: Vec<u8>,
    inflater: flate2::Decompress,
}

impl Worker {
    fn new(z: &zip::ZipArchive<At>, zip_size: u64) -> Worker {
        Worker {
            z: z.clone(),
            zip_size,
            raw: Vec::new(),
            out: Vec::new(),
            inflater: flate2::Decompress::new(false),
        }
    }
}

fn read_entry(
    w: &mut Worker,
    i: usize,
    path: &Path,
    wanted: &FxHashSet<(String, String)>,
    budget: &AtomicU64,
) -> Read1 {
    // The compressed bytes, inflated below with the thread's own inflater (zip's reader would
    // set up a new one, and its buffers, for every entry).
    let mut entry = match w.z.by_index_raw(i) {
        Ok(e) => e,
        Err(e) => return Read1::Io(io(path, e)),
    };
    let name = entry.name().to_string();
    if !entry.is_file() || !name.ends_with(".json") {
        return Read1::Skip;
    }
    let fail = |what: String| Read1::Io(io(path, format!("{name}: {what}")));
    let deflated = match entry.compression() {
        zip::CompressionMethod::Deflated => true,
        zip::CompressionMethod::Stored => false,
        m => {
            return fail(format!(
                "compressed with {m}; ddf reads stored and deflated entries"
            ))
        }
    };
    if entry.encrypted() {
        return fail("encrypted; ddf reads plain entries".into());
    }
    let Some(data_start) = entry.data_start() else {
        return fail("no data offset".into());
    };
    let e = Entry {
        name: name.clone(),
        data_start,
        compressed: entry.compressed_size(),
        size: entry.size(),
        crc: entry.crc32(),
        deflated,
    };
    let bomb = || {
        Read1::Io(io(
            path,
            format!(
                "its entries inflate to more than {MAX_RATIO} times the size of the zip; not an OSV export (a zip bomb?)"
            ),
        ))
    };
    // Once the budget is spent no entry is inflated any more: the rest of the pass is cheap.
    if budget.load(Ordering::Relaxed) == 0 {
        return bomb();
    }
    // The sizes are checked before anything is allocated or read by them; the entry must then
    // inflate to exactly its size, so the budget is charged before inflating.
    if let Err(w) = check_sizes(&e) {
        return fail(w);
    }
    if e.data_start.saturating_add(e.compressed) > w.zip_size {
        return fail("its data runs past the end of the zip".into());
    }
    if budget
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
            b.checked_sub(e.size)
        })
        .is_err()
    {
        budget.store(0, Ordering::Relaxed);
        return bomb();
    }
    w.raw.clear();
    w.raw.resize(e.compressed as usize, 0);
    if let Err(x) = entry.read_exact(&mut w.raw) {
        return fail(x.to_string());
    }
    drop(entry);
    let buf = match inflate_into(
        &w.raw,
        &e,
        &mut w.out,
        &mut w.inflater,
        "the zip's directory",
    ) {
        Ok(b) => b,
        Err(x) => return fail(x),
    };
    // The first pass reads only the head; the full parser reads what the scan needs, and any
    // record the first pass does not vouch for, to give its verdict and its message.
    let head = osv_head::head(buf);
    let needed = head
        .as_ref()
        .is_none_or(|h| h.keys.iter().any(|k| wanted.contains(k)));
    if !needed {
        if let Some(head) = head {
            return Read1::Ok(Summary {
                head,
                entry: e,
                whole: None,
            });
        }
    }
    let source = format!("{}!{name}", path.display());
    match parse(buf, &source) {
        Err(err) => Read1::Invalid(err),
        Ok(a) => {
            let head = Head::of(&a);
            let want = head.keys.iter().any(|k| wanted.contains(k));
            Read1::Ok(Summary {
                head,
                entry: e,
                whole: want.then(|| Box::new(a)),
            })
        }
    }
}

/// The cold path: every entry of the zip read and parsed in parallel; the wanted advisories
/// kept, the rest summarised for the totals, the alias groups and the index.
///
/// The entries may inflate to [`MAX_RATIO`] times the zip's size in all, or `floor` bytes when
/// that is more: a zip bomb is refused, not inflated without end.
fn stream(
    path: &Path,
    wanted: &FxHashSet<(String, String)>,
    floor: u64,
) -> Result<Pass, LoadError> {
    let file = File::open(path).map_err(|e| io(path, e))?;
    let zip_size = file.metadata().map_err(|e| io(path, e))?.len();
    let at = At::new(file);
    let z = zip::ZipArchive::new(at.clone())
        .map_err(|e| io(path, format!("not a readable zip archive: {e}")))?;
    if z.len() > MAX_ZIP_ENTRIES {
        return Err(io(
            path,
            format!(
                "{} entries is more than the {MAX_ZIP_ENTRIES} ddf reads",
                z.len()
            ),
        ));
    }
    let cd_start = z.central_directory_start().min(zip_size);
    let cd_hash = tail_hash(&at, cd_start, zip_size).map_err(|e| io(path, e))?;
    let budget = AtomicU64::new(zip_size.saturating_mul(MAX_RATIO).max(floor));
    let mut read: Vec<Read1> = (0..z.len())
        .into_par_iter()
        .map_init(
            || Worker::new(&z, zip_size),
            |w, i| read_entry(w, i, path, wanted, &budget),
        )
        .collect();
    drop(z);
    // The first unreadable entry in zip order, as `Database::load` reports it.
    if let Some(p) = read.iter().position(|r| matches!(r, Read1::Io(_))) {
        if let Read1::Io(e) = read.swap_remove(p) {
            return Err(e);
        }
    }
    if read.iter().any(|r| matches!(r, Read1::Invalid(_))) {
        let mut errors: Vec<OsvError> = read
            .into_iter()
            .filter_map(|r| match r {
                Read1::Invalid(e) => Some(e),
                _ => None,
            })
            .collect();
        errors.sort_by(|a, b| a.source_name.cmp(&b.source_name));
        return Err(LoadError::Invalid(errors));
    }
    let mut all: Vec<Summary> = read
        .into_iter()
        .filter_map(|r| match r {
            Read1::Ok(s) => Some(s),
            _ => None,
        })
        .collect();
    // As `Database::from_advisories`: by id then source (the entry name, after the same zip
    // path), the first of each id kept. The summaries are ordered through their positions
    // (zip order breaks ties, as a stable sort would), on every core, not moved; by the
    // prefixes of their ids first, which are compared without reading the strings.
    let mut order: Vec<((u128, u64), u32)> = all
        .par_iter()
        .enumerate()
        .map(|(p, s)| (prefix(&s.head.id), p as u32))
        .collect();
    order.par_sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| {
                let (x, y) = (&all[a.1 as usize], &all[b.1 as usize]);
                x.head
                    .id
                    .cmp(&y.head.id)
                    .then_with(|| x.entry.name.cmp(&y.entry.name))
            })
            .then(a.1.cmp(&b.1))
    });
    let mut order: Vec<u32> = order.into_iter().map(|(_, p)| p).collect();
    order.dedup_by(|a, b| all[*a as usize].head.id == all[*b as usize].head.id);
    let groups = alias_groups(order.iter().map(|&p| {
        let h = &all[p as usize].head;
        (h.id.as_str(), &h.aliases[..])
    }));
    let records = order.len();
    let withdrawn = order
        .iter()
        .filter(|&&p| all[p as usize].head.withdrawn)
        .count();
    let keys = index_keys(&order, &mut all);
    let mut advisories = Vec::with_capacity(records);
    let mut kept = Vec::new();
    let mut kept_groups = Vec::new();
    for (&p, g) in order.iter().zip(groups) {
        let s = &mut all[p as usize];
        advisories.push((std::mem::take(&mut s.entry), g));
        if let Some(a) = s.whole.take() {
            kept.push(*a);
            kept_groups.push(g);
        }
    }
    Ok(Pass {
        db: Database::from_subset(kept, kept_groups, records, withdrawn),
        index: Index {
            zip_size,
            cd_start,
            cd_hash,
            records: records as u64,
            withdrawn: withdrawn as u64,
            advisories,
            keys,
        },
    })
}

/// The first 24 bytes of `s` as big-endian integers: they order as the strings do, except for
/// strings that begin alike for 24 bytes (or differ only by trailing NULs), which the strings
/// themselves must then order.
fn prefix(s: &str) -> (u128, u64) {
    let mut b = [0u8; 24];
    let n = s.len().min(24);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    let (mut hi, mut lo) = ([0u8; 16], [0u8; 8]);
    hi.copy_from_slice(&b[..16]);
    lo.copy_from_slice(&b[16..]);
    (u128::from_be_bytes(hi), u64::from_be_bytes(lo))
}

/// A key of an advisory's head, to be sorted.
struct KeyOf {
    /// The rank of its ecosystem among those of the zip.
    rank: u32,
    /// The [`prefix`] of its name.
    name: (u128, u64),
    /// The advisory's number in the index.
    n: u32,
    /// The advisory's position in the summaries.
    at: u32,
    /// The key's position in its head.
    key: u32,
}

/// The index's keys, sorted, each with the numbers of the advisories under it (ascending): for
/// the `n`th advisory of `order` (positions in `all`), its head's keys, which are moved out.
fn index_keys(order: &[u32], all: &mut [Summary]) -> Vec<((String, String), Vec<u32>)> {
    // Ecosystems are few: ranked, they order the keys with the prefixes of the names, and the
    // strings are read only where those tie.
    let mut ecos: Vec<&str> = order
        .iter()
        .flat_map(|&p| all[p as usize].head.keys.iter().map(|k| k.0.as_str()))
        .collect::<FxHashSet<&str>>()
        .into_iter()
        .collect();
    ecos.sort_unstable();
    let rank: FxHashMap<&str, u32> = ecos
        .iter()
        .enumerate()
        .map(|(r, e)| (*e, r as u32))
        .collect();
    let mut pairs: Vec<KeyOf> = Vec::new();
    for (n, &p) in order.iter().enumerate() {
        for (k, (eco, name)) in all[p as usize].head.keys.iter().enumerate() {
            pairs.push(KeyOf {
                rank: rank.get(eco.as_str()).copied().unwrap_or(u32::MAX),
                name: prefix(name),
                n: n as u32,
                at: p,
                key: k as u32,
            });
        }
    }
    let name = |x: &KeyOf| -> &str {
        all[x.at as usize]
            .head
            .keys
            .get(x.key as usize)
            .map_or("", |k| k.1.as_str())
    };
    pairs.par_sort_unstable_by(|a, b| {
        (a.rank, a.name)
            .cmp(&(b.rank, b.name))
            .then_with(|| name(a).cmp(name(b)))
            .then(a.n.cmp(&b.n))
    });
    drop(rank);
    drop(ecos);
    let mut keys: Vec<((String, String), Vec<u32>)> = Vec::new();
    for x in pairs {
        let Some(key) = all[x.at as usize].head.keys.get_mut(x.key as usize) else {
            continue;
        };
        match keys.last_mut() {
            Some((last, advs)) if last == key => advs.push(x.n),
            _ => keys.push((std::mem::take(key), vec![x.n])),
        }
    }
    keys
}

/// The warm path: the advisories under the wanted keys, read from the zip by the index.
fn warm(
    path: &Path,
    ix: &Index,
    wanted: &FxHashSet<(String, String)>,
) -> Result<Database, Unusable> {
    let changed = |w: &str| Unusable::Changed(format!("{} changed: {w}", path.display()));
    let file = File::open(path).map_err(|e| changed(&e.to_string()))?;
    let size = file.metadata().map_err(|e| changed(&e.to_string()))?.len();
    if size != ix.zip_size {
        return Err(changed(&format!(
            "{size} bytes, the index is of {} bytes",
            ix.zip_size
        )));
    }
    let at = At::new(file);
    let hash = tail_hash(&at, ix.cd_start, size).map_err(|e| changed(&e.to_string()))?;
    if hash != ix.cd_hash {
        return Err(changed("its central directory is not the one indexed"));
    }
    let mut need: Vec<u32> = wanted
        .iter()
        .filter_map(|k| {
            ix.keys
                .binary_search_by(|(x, _)| x.cmp(k))
                .ok()
                .map(|i| &ix.keys[i].1)
        })
        .flatten()
        .copied()
        .collect();
    need.sort_unstable();
    need.dedup();
    let read: Vec<Result<(Advisory, u32), Unusable>> = need
        .par_iter()
        .map(|&i| {
            let (e, g) = ix
                .advisories
                .get(i as usize)
                .ok_or_else(|| corrupt("an advisory number out of range"))?;
            let bytes = inflate(&at, e).map_err(|w| corrupt(format!("{}: {w}", e.name)))?;
            let source = format!("{}!{}", path.display(), e.name);
            let a = parse(&bytes, &source)
                .map_err(|w| corrupt(format!("{w}, though it was read when indexed")))?;
            Ok((a, *g))
        })
        .collect();
    let mut advisories = Vec::with_capacity(read.len());
    let mut groups = Vec::with_capacity(read.len());
    for r in read {
        let (a, g) = r?;
        advisories.push(a);
        groups.push(g);
    }
    // The index lists advisories in id order, deduplicated: keep it so, as the database expects.
    if advisories.windows(2).any(|w| w[0].id >= w[1].id) {
        return Err(corrupt("its advisories are not in id order"));
    }
    Ok(Database::from_subset(
        advisories,
        groups,
        usize::try_from(ix.records).map_err(|_| corrupt("a count out of range"))?,
        usize::try_from(ix.withdrawn).map_err(|_| corrupt("a count out of range"))?,
    ))
}

/// Refuses an entry whose sizes are larger than ddf reads, before anything is allocated or read
/// by them. A deflated entry of at most [`MAX_RECORD`] bytes has fewer than twice as many
/// compressed (stored blocks add a few bytes per 64 KiB).
fn check_sizes(e: &Entry) -> Result<(), String> {
    if e.size > MAX_RECORD {
        return Err(format!("more than {MAX_RECORD} bytes uncompressed"));
    }
    if e.compressed > MAX_RECORD.saturating_mul(2) {
        return Err(format!("more than {} bytes compressed", MAX_RECORD * 2));
    }
    Ok(())
}

/// The uncompressed bytes of entry `e` from its compressed bytes `raw`: inflated into `out`
/// with `inflater` (reset first), or `raw` itself when stored; checked against its size and
/// CRC-32 as `source` gives them. At most the entry's size plus one byte is ever inflated.
fn inflate_into<'a>(
    raw: &'a [u8],
    e: &Entry,
    out: &'a mut Vec<u8>,
    inflater: &mut flate2::Decompress,
    source: &str,
) -> Result<&'a [u8], String> {
    check_sizes(e)?;
    let size = e.size as usize;
    let bytes: &[u8] = if e.deflated {
        out.clear();
        // One byte of room beyond the size: an entry that inflates to more is caught.
        out.reserve(size + 1);
        inflater.reset(false);
        loop {
            let (read, wrote) = (inflater.total_in(), inflater.total_out());
            let from = usize::try_from(read).unwrap_or(usize::MAX).min(raw.len());
            let status = inflater
                .decompress_vec(&raw[from..], out, flate2::FlushDecompress::Finish)
                .map_err(|x| format!("not valid deflate data: {x}"))?;
            if status == flate2::Status::StreamEnd || out.len() > size {
                break;
            }
            if inflater.total_in() == read && inflater.total_out() == wrote {
                return Err("its deflate data ends early".into());
            }
        }
        out
    } else {
        raw
    };
    if bytes.len() != size {
        return Err(format!("its size is not the {size} bytes of {source}"));
    }
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    if crc.sum() != e.crc {
        return Err(format!("its CRC-32 is not the one of {source}"));
    }
    Ok(bytes)
}

/// The uncompressed bytes of one entry, read by its offset, checked against its size and CRC-32.
fn inflate(at: &At, e: &Entry) -> Result<Vec<u8>, String> {
    // The index's sizes are checked before anything is allocated by them.
    check_sizes(e).map_err(|_| String::from("an entry larger than ddf reads"))?;
    let raw = at
        .read_exact_at(e.data_start, e.compressed as usize)
        .map_err(|x| x.to_string())?;
    let mut out = Vec::new();
    let mut inflater = flate2::Decompress::new(false);
    inflate_into(&raw, e, &mut out, &mut inflater, "the index").map(<[u8]>::to_vec)
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

fn encode(ix: &Index) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, VERSION);
    put_u64(&mut out, ix.zip_size);
    put_u64(&mut out, ix.cd_start);
    out.extend_from_slice(&ix.cd_hash);
    put_u64(&mut out, ix.records);
    put_u64(&mut out, ix.withdrawn);
    put_u32(&mut out, ix.advisories.len() as u32);
    for (e, g) in &ix.advisories {
        put_u32(&mut out, *g);
        put_u64(&mut out, e.data_start);
        put_u64(&mut out, e.compressed);
        put_u64(&mut out, e.size);
        put_u32(&mut out, e.crc);
        out.push(u8::from(e.deflated));
        put_str(&mut out, &e.name);
    }
    put_u32(&mut out, ix.keys.len() as u32);
    for ((eco, name), advs) in &ix.keys {
        put_str(&mut out, eco);
        put_str(&mut out, name);
        put_u32(&mut out, advs.len() as u32);
        for a in advs {
            put_u32(&mut out, *a);
        }
    }
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out
}

/// A bounds-checked reader over the index's bytes: every read that would run past the end is
/// an error, never a panic or an allocation the file's size does not back.
struct Cursor<'a> {
    b: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Unusable> {
        if n > self.b.len() {
            return Err(corrupt("it is truncated"));
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Ok(h)
    }

    fn u8(&mut self) -> Result<u8, Unusable> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Unusable> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(a))
    }

    fn u64(&mut self) -> Result<u64, Unusable> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn str(&mut self) -> Result<String, Unusable> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| corrupt("a name is not UTF-8"))
    }

    /// A count of items of at least `min` bytes each, checked against the bytes left.
    fn count(&mut self, min: usize) -> Result<usize, Unusable> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min) > self.b.len() {
            return Err(corrupt("a count larger than the file"));
        }
        Ok(n)
    }
}

fn read_index(file: &Path) -> Result<Index, Unusable> {
    let what = |e: std::io::Error| corrupt(format!("cannot read it: {e}"));
    let len = std::fs::metadata(file).map_err(what)?.len();
    if len > MAX_INDEX {
        return Err(corrupt(format!("{len} bytes is larger than any index")));
    }
    decode(&std::fs::read(file).map_err(what)?)
}

fn decode(bytes: &[u8]) -> Result<Index, Unusable> {
    if bytes.len() < MAGIC.len() + 4 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(corrupt("it is not a ddf OSV index"));
    }
    let Some(body_len) = bytes.len().checked_sub(32) else {
        return Err(corrupt("it is truncated"));
    };
    let (body, sum) = bytes.split_at(body_len);
    let mut c = Cursor {
        b: &body[MAGIC.len().min(body.len())..],
    };
    let version = c.u32()?;
    if version != VERSION {
        return Err(corrupt(format!(
            "it is of version {version}, ddf reads version {VERSION}"
        )));
    }
    if Sha256::digest(body)[..] != sum[..] {
        return Err(corrupt(
            "its checksum does not match (truncated or damaged)",
        ));
    }
    let zip_size = c.u64()?;
    let cd_start = c.u64()?;
    let mut cd_hash = [0u8; 32];
    cd_hash.copy_from_slice(c.take(32)?);
    let records = c.u64()?;
    let withdrawn = c.u64()?;
    let n = c.count(33 + 4)?;
    let mut advisories = Vec::with_capacity(n);
    for _ in 0..n {
        let g = c.u32()?;
        let e = Entry {
            data_start: c.u64()?,
            compressed: c.u64()?,
            size: c.u64()?,
            crc: c.u32()?,
            deflated: c.u8()? != 0,
            name: c.str()?,
        };
        if e.data_start.saturating_add(e.compressed) > zip_size {
            return Err(corrupt("an entry beyond the end of the zip"));
        }
        advisories.push((e, g));
    }
    let k = c.count(12)?;
    let mut keys = Vec::with_capacity(k);
    for _ in 0..k {
        let eco = c.str()?;
        let name = c.str()?;
        let m = c.count(4)?;
        let mut advs = Vec::with_capacity(m);
        for _ in 0..m {
            let a = c.u32()?;
            if a as usize >= n {
                return Err(corrupt("an advisory number out of range"));
            }
            advs.push(a);
        }
        keys.push(((eco, name), advs));
    }
    if !c.b.is_empty() {
        return Err(corrupt("bytes after the end"));
    }
    if keys.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(corrupt("its keys are not sorted"));
    }
    if records != n as u64 || withdrawn > records {
        return Err(corrupt("its counts do not add up"));
    }
    Ok(Index {
        zip_size,
        cd_start,
        cd_hash,
        records,
        withdrawn,
        advisories,
        keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vuln::osv::key;

    const GO: &str = r#"{"id":"GO-1","aliases":["CVE-1"],"affected":[{"package":{"ecosystem":"Go","name":"example.com/a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}"#;
    const GHSA: &str = r#"{"id":"GHSA-1","aliases":["CVE-1"],"withdrawn":"2025-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Go","name":"example.com/a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]},{"package":{"ecosystem":"PyPI","name":"Some_Pkg"}}]}"#;
    const NPM: &str = r#"{"id":"GHSA-2","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"versions":["1.0.0"]}]}"#;

    fn zip_of(path: &Path, entries: &[(&str, &[u8])]) {
        let mut z = zip::ZipWriter::new(File::create(path).expect("zip"));
        for (name, bytes) in entries {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            z.start_file(*name, opts).expect("entry");
            z.write_all(bytes).expect("write");
        }
        z.finish().expect("finish");
    }

    fn wanted(keys: &[(&str, &str)]) -> FxHashSet<(String, String)> {
        keys.iter().map(|(e, n)| key(e, n)).collect()
    }

    /// What a scan sees of a database: advisories, their groups, and the totals.
    fn seen(db: &Database) -> (Vec<String>, Vec<u32>, usize, usize) {
        (
            db.advisories.iter().map(|a| a.id.clone()).collect(),
            (0..db.advisories.len()).map(|i| db.group_of(i)).collect(),
            db.records(),
            db.withdrawn(),
        )
    }

    #[test]
    fn cold_warm_and_whole_databases_agree() {
        let dir = tempfile::tempdir().expect("dir");
        let z = dir.path().join("all.zip");
        zip_of(
            &z,
            &[
                ("GO-1.json", GO.as_bytes()),
                ("GHSA-1.json", GHSA.as_bytes()),
                ("GHSA-2.json", NPM.as_bytes()),
                ("README", b"not an advisory"),
            ],
        );
        let ix = IndexMode::Dir(dir.path().join("ix"));
        let w = wanted(&[("Go", "example.com/a"), ("PyPI", "some-pkg")]);
        let cold = load_zip(&z, &w, &ix).expect("cold");
        assert!(matches!(cold.index, IndexUse::Built(_)), "{:?}", cold.index);
        let warm = load_zip(&z, &w, &ix).expect("warm");
        assert!(
            matches!(warm.index, IndexUse::Reused(_)),
            "{:?}",
            warm.index
        );
        let off = load_zip(&z, &w, &IndexMode::Off).expect("off");
        let whole = Database::load(&z).expect("whole");
        // Only the two Go advisories are read whole; the totals are of the whole zip.
        assert_eq!(
            seen(&cold.db),
            (vec!["GHSA-1".into(), "GO-1".into()], vec![0, 0], 3, 1)
        );
        assert_eq!(seen(&warm.db), seen(&cold.db));
        assert_eq!(seen(&off.db), seen(&cold.db));
        assert_eq!(whole.records(), 3);
        assert_eq!(whole.withdrawn(), 1);
        for (e, n) in [("Go", "example.com/a"), ("PyPI", "Some.Pkg")] {
            let ids = |db: &Database| -> Vec<(String, u32)> {
                db.lookup(e, n)
                    .iter()
                    .map(|&(a, f)| (db.advisories[a as usize].id.clone(), f))
                    .collect()
            };
            assert_eq!(ids(&warm.db), ids(&whole), "{e} {n}");
            assert_eq!(ids(&cold.db), ids(&whole), "{e} {n}");
        }
        assert_eq!(warm.db.advisories, cold.db.advisories);
    }

    #[test]
    fn an_index_round_trips_and_any_damage_is_detected_without_panic() {
        let dir = tempfile::tempdir().expect("dir");
        let z = dir.path().join("all.zip");
        zip_of(
            &z,
            &[
                ("GO-1.json", GO.as_bytes()),
                ("GHSA-2.json", NPM.as_bytes()),
            ],
        );
        let pass = stream(&z, &FxHashSet::default(), MIN_BUDGET).expect("stream");
        let bytes = encode(&pass.index);
        assert_eq!(decode(&bytes).ok(), Some(pass.index.clone()));
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "truncated at {n}");
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(decode(&b).is_err(), "byte {i} flipped");
        }
        // A version ddf does not read, with a checksum that matches.
        let mut b = bytes[..bytes.len() - 32].to_vec();
        b[8..12].copy_from_slice(&2u32.to_le_bytes());
        let sum = Sha256::digest(&b);
        b.extend_from_slice(&sum);
        assert!(matches!(decode(&b), Err(Unusable::Corrupt(w)) if w.contains("version 2")));
        // A well-formed index whose counts promise more than the file holds.
        let mut b = MAGIC.to_vec();
        put_u32(&mut b, VERSION);
        b.extend_from_slice(&[0u8; 8 + 8 + 32 + 8 + 8]);
        put_u32(&mut b, u32::MAX);
        let sum = Sha256::digest(&b);
        b.extend_from_slice(&sum);
        assert!(matches!(decode(&b), Err(Unusable::Corrupt(w)) if w.contains("count")));
    }

    #[test]
    fn entries_are_checked_against_the_index() {
        let dir = tempfile::tempdir().expect("dir");
        let z = dir.path().join("all.zip");
        zip_of(&z, &[("GO-1.json", GO.as_bytes())]);
        let pass = stream(&z, &FxHashSet::default(), MIN_BUDGET).expect("stream");
        let at = At::new(File::open(&z).expect("open"));
        let (e, _) = &pass.index.advisories[0];
        assert_eq!(inflate(&at, e).expect("inflate"), GO.as_bytes());
        let wrong_crc = Entry {
            crc: e.crc ^ 1,
            ..e.clone()
        };
        assert!(inflate(&at, &wrong_crc).is_err());
        let wrong_size = Entry {
            size: e.size - 1,
            ..e.clone()
        };
        assert!(inflate(&at, &wrong_size).is_err());
        let huge = Entry {
            size: u64::MAX,
            ..e.clone()
        };
        assert!(inflate(&at, &huge).is_err(), "never allocated");
        let beyond = Entry {
            data_start: 1 << 40,
            ..e.clone()
        };
        assert!(inflate(&at, &beyond).is_err());
    }

    /// A record the first pass does not vouch for but the parser reads (a member given twice:
    /// the last one counts) is read by the parser, wanted or not; a malformed record under no
    /// wanted key is refused with the parser's message, as before the first pass.
    #[test]
    fn the_parser_decides_what_the_first_pass_does_not_vouch_for() {
        let dir = tempfile::tempdir().expect("dir");
        let z = dir.path().join("all.zip");
        let dup = br#"{"id":"DUP-1","affected":[{"package":{"ecosystem":"npm","name":"a"}}],"affected":[{"package":{"ecosystem":"npm","name":"b"}}]}"#;
        assert!(osv_head::head(dup).is_none());
        zip_of(
            &z,
            &[("GO-1.json", GO.as_bytes()), ("DUP-1.json", &dup[..])],
        );
        let whole = Database::load(&z).expect("whole");
        for w in [wanted(&[("npm", "b")]), wanted(&[("Go", "example.com/a")])] {
            let pass = stream(&z, &w, MIN_BUDGET).expect("stream");
            let keys: Vec<_> = pass.index.keys.iter().map(|(k, _)| k.clone()).collect();
            assert_eq!(
                keys,
                vec![
                    ("Go".to_string(), "example.com/a".to_string()),
                    ("npm".to_string(), "b".to_string())
                ]
            );
            for (e, n) in [("npm", "b"), ("Go", "example.com/a")] {
                let ids = |db: &Database| -> Vec<String> {
                    db.lookup(e, n)
                        .iter()
                        .map(|&(a, _)| db.advisories[a as usize].id.clone())
                        .collect()
                };
                if w.contains(&key(e, n)) {
                    assert_eq!(ids(&pass.db), ids(&whole), "{e} {n}");
                }
            }
        }
        let bad = br#"{"id":"BAD-1","affected":[{"package":{"ecosystem":"npm","name":"zzz"},"versions":[1]}]}"#;
        zip_of(
            &z,
            &[("GO-1.json", GO.as_bytes()), ("BAD-1.json", &bad[..])],
        );
        let err = stream(&z, &wanted(&[("Go", "example.com/a")]), MIN_BUDGET)
            .err()
            .expect("refused");
        assert_eq!(
            err.to_string(),
            format!(
                "1 OSV record cannot be read; first: {}!BAD-1.json: $.affected[0].versions[0]: expected a string, found a number",
                z.display()
            )
        );
        assert_eq!(
            err.to_string(),
            Database::load(&z).expect_err("refused").to_string()
        );
    }

    /// Overwrites the bytes at offset `at` of the first central directory record of a zip.
    fn patch_directory(path: &Path, at: usize, bytes: &[u8]) {
        let mut b = std::fs::read(path).expect("read");
        let cd = b
            .windows(4)
            .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
            .expect("central directory");
        b[cd + at..cd + at + bytes.len()].copy_from_slice(bytes);
        std::fs::write(path, b).expect("write");
    }

    /// An entry whose bytes do not match what the zip's directory says of them is refused,
    /// naming it: never read as if it were sound.
    #[test]
    fn an_entry_unlike_its_directory_record_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let z = dir.path().join("all.zip");
        let cases: [(usize, u32, &str); 3] = [
            // CRC-32 (offset 16), uncompressed size (24): one less, and far more.
            (
                16,
                0x1234_5678,
                "GO-1.json: its CRC-32 is not the one of the zip's directory",
            ),
            (24, GO.len() as u32 - 1, "GO-1.json: its size is not the"),
            (
                24,
                100_000_000,
                "GO-1.json: more than 67108864 bytes uncompressed",
            ),
        ];
        for (at, value, expect) in cases {
            zip_of(&z, &[("GO-1.json", GO.as_bytes())]);
            patch_directory(&z, at, &value.to_le_bytes());
            let err = stream(&z, &FxHashSet::default(), MIN_BUDGET)
                .err()
                .expect("refused");
            assert!(err.to_string().contains(expect), "{err}");
        }
    }

    #[test]
    fn a_zip_bomb_is_refused_past_the_budget() {
        let dir = tempfile::tempdir().expect("dir");
        let z = dir.path().join("bomb.zip");
        // Valid advisories padded with a megabyte of spaces each: deflate shrinks them a
        // thousandfold, far beyond what OSV JSON compresses to.
        let pad = " ".repeat(1 << 20);
        let records: Vec<(String, Vec<u8>)> = (0..8)
            .map(|i| {
                (
                    format!("B-{i}.json"),
                    format!(r#"{{"id":"B-{i}"{pad}}}"#).into_bytes(),
                )
            })
            .collect();
        let entries: Vec<(&str, &[u8])> = records
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        zip_of(&z, &entries);
        let err = stream(&z, &FxHashSet::default(), 1 << 20)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("zip bomb"), "{err}");
        // The same zip under the ordinary floor is read.
        assert!(stream(&z, &FxHashSet::default(), MIN_BUDGET).is_ok());
    }
}
