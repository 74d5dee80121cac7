//! `ddf build`: the static DDF site, for auditors who read it offline and print it.
//!
//! [`views`] turns the corpus, graph, check report and history into serialisable page views;
//! [`render`] runs them through the Tera templates (built in, overridable file by file from the
//! DDF's templates folder) in parallel; [`write_site`] writes the pages, the stylesheet and the
//! CSV downloads, each confined to the output folder ([`build`] writes each page as soon as it
//! is rendered). The output depends only on the input, so two
//! builds of one commit are byte-identical.

pub mod changes;
pub mod clauses;
pub mod fields;
pub mod markdown;
pub mod print;
pub mod registers;
pub mod releases;
pub mod render;
pub mod risk;
pub mod search;
pub mod security;
pub mod views;
pub mod walk;

use crate::check::Report;
use crate::corpus::Corpus;
use crate::graph::Graph;
use crate::history::approval::Approval;
use crate::history::History;
use crate::source::Source;
use std::path::{Component, Path, PathBuf};

/// Marks a folder as written by `ddf build`, so a rebuild may empty it and nothing else is ever
/// emptied.
pub const MARKER: &str = ".ddf-site";

/// History and approvals, when the DDF is in a Git repository with commits.
pub struct HistoryInput<'a> {
    /// The history index.
    pub history: &'a History,
    /// Every approval, newest first, signatures verified.
    pub approvals: &'a [Approval],
    /// The root of trust the approvals were judged from.
    pub trust_root: Option<&'a crate::history::approval::TrustRoot>,
    /// The rules' view of the history: the controlled branch's tip, where change control
    /// starts, approvals by record.
    pub ctx: &'a crate::rules::HistoryCtx<'a>,
    /// Each record's newest content change, computed once for the suspect links of every page.
    pub marks: &'a crate::rules::change::Marks,
}

/// What a site is built from.
pub struct Input<'a> {
    /// The records.
    pub corpus: &'a Corpus,
    /// Their links.
    pub graph: &'a Graph,
    /// `ddf check` over them.
    pub report: &'a Report,
    /// History, if any.
    pub history: Option<HistoryInput<'a>>,
    /// For a build of the working tree in a Git repository with commits: whether the DDF's files
    /// (records, `ddf.yaml`, templates, the SBOMs releases name) had uncommitted changes
    /// ([`crate::source::uncommitted`]); `None` for `--rev` and outside Git.
    pub uncommitted: Option<bool>,
    /// The `ddf: ID` code tags of the files under `code_tags`, by record id.
    pub code_tags: &'a crate::exchange::code_tags::ByRecord,
}

impl<'a> Input<'a> {
    /// The input of a site built from the records alone, as outside Git: no history, no mark of
    /// uncommitted changes, no code tags.
    pub fn records_only(corpus: &'a Corpus, graph: &'a Graph, report: &'a Report) -> Input<'a> {
        static NO_CODE_TAGS: crate::exchange::code_tags::ByRecord =
            std::collections::BTreeMap::new();
        Input {
            corpus,
            graph,
            report,
            history: None,
            uncommitted: None,
            code_tags: &NO_CODE_TAGS,
        }
    }
}

/// Why a site could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// A template does not parse or does not render.
    #[error("{0}")]
    Template(String),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The output folder holds files that are not a previous site.
    #[error("{0} is not empty and was not written by `ddf build`; nothing was written")]
    NotASite(PathBuf),
    /// The output folder is a repository or a DDF (or holds one), whatever marker it has.
    #[error("refusing to replace {path}: {reason}; nothing was written or deleted")]
    Refused {
        /// The folder.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A page path would leave the output folder.
    #[error("refusing to write `{0}`: the path leaves the output folder")]
    Escapes(String),
    /// The repository lost an object a page needs (an old version of a record, a release).
    #[error(transparent)]
    Integrity(#[from] crate::integrity::IntegrityError),
    /// The repository the history was read from cannot be opened again.
    #[error("cannot open the repository at {0}")]
    Repository(String),
}

/// One output file: path relative to the site root, and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFile {
    /// Path relative to the output folder, `/`-separated.
    pub path: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// Where the renderer hands each page as soon as it is rendered ([`render::Renderer::each_page`]),
/// from any rendering thread.
pub trait Sink: Sync {
    /// Takes one page.
    fn emit(&self, f: OutFile) -> Result<(), SiteError>;

    /// Page `path`, emitted earlier with `len` bytes, given back. The print view is made of
    /// pages rendered earlier: they are asked for again when it is made, rather than copied and
    /// held while the rest of the site is rendered (at 100,000 records about 65 MB, for most of
    /// the build).
    fn reread(&self, path: &str, len: usize) -> Result<Vec<u8>, SiteError>;
}

/// Every file of the site, sorted by path. `templates_dir` is the DDF's override folder.
pub fn generate(
    input: &Input<'_>,
    source: &dyn Source,
    templates_dir: &str,
) -> Result<Vec<OutFile>, SiteError> {
    let renderer = render::Renderer::new(source, templates_dir)?;
    let mut files = renderer.pages(input)?;
    files.extend(assets(source, templates_dir)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Renders the site and writes it at `out` as [`write_site`] does, each page written as soon as
/// it is rendered (memory holds the pages being rendered, not the site). Returns the number of
/// files written.
pub fn build(
    input: &Input<'_>,
    source: &dyn Source,
    templates_dir: &str,
    out: &Path,
) -> Result<usize, SiteError> {
    build_guarded(input, source, templates_dir, out, || ())
}

/// [`build`], holding what `guard` returns while the new site is swapped in: `ddf serve` takes
/// its lock there, so no page is served from a folder being replaced, while the pages are
/// rendered and written beside the served site without it.
pub fn build_guarded<G>(
    input: &Input<'_>,
    source: &dyn Source,
    templates_dir: &str,
    out: &Path,
    guard: impl FnOnce() -> G,
) -> Result<usize, SiteError> {
    let renderer = render::Renderer::new(source, templates_dir)?;
    let writer = SiteWriter::begin(out)?;
    renderer.each_page(input, &writer)?;
    for f in assets(source, templates_dir)? {
        writer.put(&f)?;
    }
    let _held = guard();
    writer.finish()
}

/// The stylesheet and the scripts, copied as they are: the DDF's override, else the built-in.
fn assets(source: &dyn Source, templates_dir: &str) -> Result<Vec<OutFile>, SiteError> {
    let mut files = vec![OutFile {
        path: "style.css".into(),
        bytes: render::stylesheet(source, templates_dir)?.into_bytes(),
    }];
    for (name, _) in crate::templates::BUILTIN {
        if let Some(file) = name.strip_prefix("site/").filter(|f| f.ends_with(".js")) {
            files.push(OutFile {
                path: file.to_string(),
                bytes: crate::templates::load(source, templates_dir, name)
                    .map_err(SiteError::Template)?
                    .unwrap_or_default()
                    .into_bytes(),
            });
        }
    }
    Ok(files)
}

/// The context the template of page `page` (a path as written, such as `records/DI-001.html`)
/// is rendered with, as pretty JSON, for people who write templates. `None` if the site has no
/// such page.
pub fn context(
    input: &Input<'_>,
    source: &dyn Source,
    templates_dir: &str,
    page: &str,
) -> Result<Option<String>, SiteError> {
    if !page.ends_with(".html") {
        return Ok(None);
    }
    let renderer = render::Renderer::contexts(source, templates_dir)?;
    Ok(renderer
        .pages(input)?
        .into_iter()
        .find(|f| f.path == page)
        .and_then(|f| String::from_utf8(f.bytes).ok()))
}

/// The path of `rel` inside `out`, or an error if `rel` could leave it: only plain relative
/// components of letters, digits, `-`, `_` and `.` (not `.` or `..` themselves) are accepted.
pub fn confined(out: &Path, rel: &str) -> Result<PathBuf, SiteError> {
    let safe_part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if rel.is_empty() || !rel.split('/').all(safe_part) {
        return Err(SiteError::Escapes(rel.to_string()));
    }
    let path = Path::new(rel);
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(SiteError::Escapes(rel.to_string()));
    }
    Ok(out.join(path))
}

/// Writes `files` as the site at `out`. An existing `out` must be empty or a previous site (it
/// holds [`MARKER`]), and holds no `.git` or `ddf.yaml` at any depth: a marker planted in a
/// repository or a DDF never gets it deleted. The site is written into a new folder beside `out`
/// and swapped in by a rename, so `out` is at every moment the old site or the new one, and a
/// failed build leaves the old one as it was; the old one is removed after the swap. Pages of
/// deleted records do not linger.
pub fn write_site(out: &Path, files: &[OutFile]) -> Result<(), SiteError> {
    // Check every path before writing any, so a bad one leaves no half-written site.
    for f in files {
        confined(Path::new(""), &f.path)?;
    }
    let writer = SiteWriter::begin(out)?;
    use rayon::prelude::*;
    files.par_iter().try_for_each(|f| writer.put(f))?;
    writer.finish().map(|_| ())
}

/// A folder opened once and used by every writing thread.
#[cfg(target_os = "linux")]
type SharedFd = std::sync::Arc<std::os::fd::OwnedFd>;

/// A site being written: files go into a new folder beside the output folder as they come
/// (from any thread), and [`SiteWriter::finish`] swaps it in, as [`write_site`] describes.
/// Dropped unfinished (a failed build), the new folder is removed and the old site stays.
pub struct SiteWriter {
    /// A hidden folder beside `out` holding the new site (so the swap is a rename within one
    /// file system); removed with whatever it holds when the writer is dropped or finished.
    holder: tempfile::TempDir,
    /// The new site, a folder of its own inside `holder` ([`spread_below`] says why).
    staging: PathBuf,
    /// The output folder (by its real path if it existed).
    out: PathBuf,
    /// Whether `out` existed (and was checked to be replaceable).
    existed: bool,
    /// The folders made so far inside `staging`.
    dirs: std::sync::Mutex<rustc_hash::FxHashSet<PathBuf>>,
    /// Files written.
    written: std::sync::atomic::AtomicUsize,
    /// Folders of the old site found to be real folders (not links), by relative path.
    #[cfg(target_os = "linux")]
    old_dirs: std::sync::Mutex<rustc_hash::FxHashMap<String, Option<SharedFd>>>,
    /// Folders of the new site opened so far, by relative path.
    #[cfg(target_os = "linux")]
    new_dirs: std::sync::Mutex<rustc_hash::FxHashMap<String, SharedFd>>,
}

impl SiteWriter {
    /// Checks that `out` may be replaced and makes the new folder beside it.
    pub fn begin(out: &Path) -> Result<SiteWriter, SiteError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SiteError::Write { path, source }
        };
        let existed = match std::fs::metadata(out) {
            Ok(meta) if meta.is_dir() => true,
            Ok(_) => return Err(SiteError::NotASite(out.to_path_buf())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(io(out)(e)),
        };
        // An existing folder by its real path: `-o link` replaces what the link points to and
        // keeps the link.
        let out = if existed {
            let real = out.canonicalize().map_err(io(out))?;
            check_replaceable(&real)?;
            real
        } else {
            out.to_path_buf()
        };
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| SiteError::NotASite(out.clone()))?;
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(io(parent))?;
        let holder = tempfile::Builder::new()
            .prefix(&format!(".{name}.ddf-new-"))
            .tempdir_in(parent)
            .map_err(io(parent))?;
        spread_below(holder.path());
        // A random name: where the file system starts looking for room for it.
        let staging = tempfile::Builder::new()
            .prefix("site-")
            .tempdir_in(holder.path())
            .map_err(io(holder.path()))?
            .keep();
        std::fs::write(
            staging.join(MARKER),
            "written by `ddf build`; the folder is replaced on each build\n",
        )
        .map_err(io(&staging))?;
        Ok(SiteWriter {
            holder,
            staging,
            out,
            existed,
            dirs: Default::default(),
            written: Default::default(),
            #[cfg(target_os = "linux")]
            old_dirs: Default::default(),
            #[cfg(target_os = "linux")]
            new_dirs: Default::default(),
        })
    }

    /// Writes one file of the new site; its path must stay inside the site ([`confined`]).
    pub fn put(&self, f: &OutFile) -> Result<(), SiteError> {
        let target = confined(&self.staging, &f.path)?;
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SiteError::Write { path, source }
        };
        if let Some(dir) = target.parent().filter(|d| *d != self.staging) {
            let mut dirs = self
                .dirs
                .lock()
                .map_err(|_| write_err(dir)(std::io::Error::other("a writing thread failed")))?;
            if !dirs.contains(dir) {
                std::fs::create_dir_all(dir).map_err(write_err(dir))?;
                dirs.insert(dir.to_path_buf());
            }
        }
        if !self.link_unchanged(&f.path, &f.bytes) {
            std::fs::write(&target, &f.bytes).map_err(write_err(&target))?;
        }
        self.written
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Puts the old site's copy of `rel` into the new site by a hard link, when that copy holds
    /// exactly `bytes`: a file of its own (one link), read and compared in full, so the new site
    /// depends on nothing but the input. A rebuild then frees and allocates an inode only for
    /// the pages that changed. That matters beyond the bytes not written: on ext4 without a
    /// journal, every new inode is searched for past the inodes deleted in the last minutes,
    /// so a rebuild that replaced every file of the previous one spent most of its time in the
    /// kernel (a 5,000-record site: 5 s instead of 0.3 s to create the files). `false` when the
    /// page must be written (no old site, no such file, different bytes, any error).
    ///
    /// Files are reached through descriptors of their folders, old and new, opened once per
    /// folder: each call looks up one name instead of walking the whole path, and a folder of
    /// the old site swapped for a link after it was opened cannot redirect a read.
    #[cfg(target_os = "linux")]
    fn link_unchanged(&self, rel: &str, bytes: &[u8]) -> bool {
        use rustix::fs::{AtFlags, FileType, Mode, OFlags};
        use std::io::Read;
        if !self.existed {
            return false;
        }
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let (Some(old_dir), Some(new_dir)) = (self.old_dir(dir), self.new_dir(dir)) else {
            return false;
        };
        let len = bytes.len() as u64;
        let is_candidate = |st: &rustix::fs::Stat| {
            FileType::from_raw_mode(st.st_mode) == FileType::RegularFile
                && st.st_nlink == 1
                && st.st_size as u64 == len
        };
        // Only a regular file is opened: opening a FIFO planted in the old site would wait for
        // a writer forever, and a device may act on being opened. `O_NONBLOCK` covers a file
        // swapped for one between the two calls; the descriptor's own type is checked below.
        if !rustix::fs::statat(&*old_dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| is_candidate(&st))
        {
            return false;
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let Ok(fd) = rustix::fs::openat(&*old_dir, name, flags, Mode::empty()) else {
            return false;
        };
        let Ok(meta) = rustix::fs::fstat(&fd) else {
            return false;
        };
        if !is_candidate(&meta) {
            return false;
        }
        // Compared a piece at a time, so the largest pages (the search index, the trace matrix:
        // tens of MB at 100,000 records) are not held twice at the build's peak of memory. A
        // file that grew since is seen as different: it has more to read.
        let mut file = std::fs::File::from(fd);
        let mut piece = [0u8; 32 * 1024];
        let mut rest = bytes;
        loop {
            let n = match file.read(&mut piece) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            };
            match (rest.get(..n), piece.get(..n)) {
                (Some(expected), Some(read)) if expected == read => rest = &rest[n..],
                _ => return false,
            }
        }
        if !rest.is_empty() {
            return false;
        }
        // Linked by name, then the link is checked to be the inode compared: the name could
        // have been replaced meanwhile, and then the page is written instead. (Linking through
        // `/proc/self/fd` needs no check but cost a tenth of a large rebuild.)
        if rustix::fs::linkat(&*old_dir, name, &*new_dir, name, AtFlags::empty()).is_err() {
            return false;
        }
        let linked = rustix::fs::statat(&*new_dir, name, AtFlags::SYMLINK_NOFOLLOW)
            .is_ok_and(|st| st.st_dev == meta.st_dev && st.st_ino == meta.st_ino);
        if !linked {
            // The page is written in its place.
            let _ = rustix::fs::unlinkat(&*new_dir, name, AtFlags::empty());
        }
        linked
    }

    /// Elsewhere every page is written.
    #[cfg(not(target_os = "linux"))]
    fn link_unchanged(&self, _rel: &str, _bytes: &[u8]) -> bool {
        false
    }

    /// The old site's folder `dir` (relative, `""` for the top), if it is a real folder inside
    /// it: each part is opened without following a symbolic link, so a page is only ever taken
    /// from the old site itself. Opened once per folder.
    #[cfg(target_os = "linux")]
    fn old_dir(&self, dir: &str) -> Option<SharedFd> {
        use rustix::fs::{Mode, OFlags};
        let mut known = self.old_dirs.lock().ok()?;
        if let Some(fd) = known.get(dir) {
            return fd.clone();
        }
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut fd = rustix::fs::open(&self.out, flags, Mode::empty()).ok();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            fd = fd.and_then(|at| rustix::fs::openat(&at, part, flags, Mode::empty()).ok());
        }
        let fd = fd.map(std::sync::Arc::new);
        known.insert(dir.to_string(), fd.clone());
        fd
    }

    /// The new site's folder `dir` (made by [`SiteWriter::put`] before it links into it).
    #[cfg(target_os = "linux")]
    fn new_dir(&self, dir: &str) -> Option<SharedFd> {
        use rustix::fs::{Mode, OFlags};
        let mut known = self.new_dirs.lock().ok()?;
        if let Some(fd) = known.get(dir) {
            return Some(fd.clone());
        }
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let path = self.staging.join(dir);
        let fd = std::sync::Arc::new(rustix::fs::open(&path, flags, Mode::empty()).ok()?);
        known.insert(dir.to_string(), fd.clone());
        Some(fd)
    }

    /// Puts the new site in place and removes the old one. Returns the number of files written.
    pub fn finish(self) -> Result<usize, SiteError> {
        let written = self.written.into_inner();
        swap_in(self.holder, &self.staging, &self.out, self.existed)?;
        Ok(written)
    }
}

impl Sink for SiteWriter {
    fn emit(&self, f: OutFile) -> Result<(), SiteError> {
        self.put(&f)
    }

    /// Read back from the new site through [`crate::fsafe::read`], confined to it, as a regular
    /// file of the length written (it may be the old site's copy, hard-linked, which was found
    /// to hold exactly those bytes).
    fn reread(&self, path: &str, len: usize) -> Result<Vec<u8>, SiteError> {
        let target = confined(&self.staging, path)?;
        let err = |e: &dyn std::fmt::Display| SiteError::Write {
            path: target.clone(),
            source: std::io::Error::other(format!("cannot read it back: {e}")),
        };
        let fence = self.staging.canonicalize().map_err(|e| err(&e))?;
        match crate::fsafe::read(&fence, &fence, path, len as u64) {
            Ok(Some(bytes)) if bytes.len() == len => Ok(bytes),
            Ok(Some(bytes)) => Err(err(&format!("{} bytes, {len} written", bytes.len()))),
            Ok(None) => Err(err(&"it is gone")),
            Err(e) => Err(err(&e)),
        }
    }
}

/// Refuses to replace `out` (a canonical, existing folder) unless it is empty or a site ddf
/// wrote: never a folder holding `.git` or `ddf.yaml`, at the top or below (a marker planted
/// above a repository or a DDF root), since replacing it would delete them.
fn check_replaceable(out: &Path) -> Result<(), SiteError> {
    let refuse = |held: &str| {
        SiteError::Refused {
        path: out.to_path_buf(),
        reason: format!(
            "it holds `{held}`, so it is (or contains) a Git repository or a DDF, not a site ddf wrote"
        ),
    }
    };
    let protected = |name: &std::ffi::OsStr| {
        name.eq_ignore_ascii_case(".git") || name.eq_ignore_ascii_case(crate::config::CONFIG_FILE)
    };
    let io = |source| SiteError::Write {
        path: out.to_path_buf(),
        source,
    };
    let mut top: Vec<std::fs::DirEntry> = std::fs::read_dir(out)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    top.sort_by_key(|e| e.file_name());
    if let Some(e) = top.iter().find(|e| protected(&e.file_name())) {
        return Err(refuse(&e.file_name().to_string_lossy()));
    }
    if top.is_empty() {
        return Ok(());
    }
    if !out.join(MARKER).is_file() {
        return Err(SiteError::NotASite(out.to_path_buf()));
    }
    // A site holds only pages, downloads and assets; look through all of it, without following
    // links (a link is removed as a link).
    let mut stack: Vec<PathBuf> = top
        .iter()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            if protected(&entry.file_name()) {
                let held = entry.path();
                let held = held.strip_prefix(out).unwrap_or(&held);
                return Err(refuse(&held.to_string_lossy()));
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(entry.path());
            }
        }
    }
    Ok(())
}

/// Puts the finished site `staging` (inside `holder`) in place at `out`, then removes the old one
/// (which [`check_replaceable`] found to be empty or a site) with `holder`. On Linux the two
/// folders are exchanged in one rename; elsewhere the old folder is renamed aside first, and put
/// back if the second rename fails.
fn swap_in(
    holder: tempfile::TempDir,
    staging: &Path,
    out: &Path,
    existed: bool,
) -> Result<(), SiteError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SiteError::Write { path, source }
    };
    if !existed {
        std::fs::rename(staging, out).map_err(write_err(out))?;
        // Empty now.
        return holder.close().map_err(write_err(out));
    }
    // Only what was checked is removed: a folder that is empty or holds the marker.
    let is_old_site = |p: &Path| {
        p.join(MARKER).is_file() || std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
    };
    let refused = |kept: PathBuf| SiteError::Refused {
        path: kept,
        reason: "the folder replaced is no longer a site ddf wrote, so it was kept there".into(),
    };
    #[cfg(target_os = "linux")]
    if exchange(staging, out).is_ok() {
        // `staging` now names the old site.
        if is_old_site(staging) {
            return holder.close().map_err(write_err(out));
        }
        let _ = holder.keep();
        return Err(refused(staging.to_path_buf()));
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let old = out.with_file_name(format!(".{name}.ddf-old-{}", std::process::id()));
    std::fs::rename(out, &old).map_err(write_err(out))?;
    if let Err(e) = std::fs::rename(staging, out) {
        let _ = std::fs::rename(&old, out);
        return Err(write_err(out)(e));
    }
    holder.close().map_err(write_err(out))?;
    if !is_old_site(&old) {
        return Err(refused(old));
    }
    std::fs::remove_dir_all(&old).map_err(write_err(&old))
}

/// Asks the file system to place each folder made in `dir` away from the folders already there,
/// best effort: the `T` attribute of `chattr` (`FS_TOPDIR_FL`), which ext4's allocator reads as
/// "the top of a hierarchy".
///
/// Why: without it, the new site lands where the previous one was, and when that one was just
/// deleted (`rm -rf site`), ext4 without a journal creates each new file only after passing
/// every inode freed there in the last minutes: a 20,000-record site took 3.5 to 12 s to
/// write, against 1.2 to 1.7 s placed apart (docs/benchmarks.md). Below a `T` folder, a folder
/// goes to the part of the disk holding the fewest folders, searched from a start given by its
/// name, so a random name gives each build its own start. Other file systems ignore the flag or
/// refuse it; either way nothing else changes.
#[cfg(target_os = "linux")]
fn spread_below(dir: &Path) {
    use rustix::fs::{IFlags, Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    if let Ok(fd) = rustix::fs::open(dir, flags, Mode::empty()) {
        if let Ok(attrs) = rustix::fs::ioctl_getflags(&fd) {
            let _ = rustix::fs::ioctl_setflags(&fd, attrs | IFlags::TOPDIR);
        }
    }
}

/// Elsewhere the file system places folders as it does.
#[cfg(not(target_os = "linux"))]
fn spread_below(_dir: &Path) {}

/// Exchanges two paths atomically (`renameat2` with `RENAME_EXCHANGE`, Linux 3.15 and later).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths that outlive the call; renameat2 only reads
    // them.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confined_refuses_escapes() {
        let out = Path::new("/tmp/site");
        for bad in [
            "../x.html",
            "a/../../x",
            "/etc/passwd",
            "",
            "a//b",
            "./a",
            "a\\b",
            "records/<x>.html",
        ] {
            assert!(confined(out, bad).is_err(), "{bad} accepted");
        }
        assert_eq!(
            confined(out, "records/DI-001.html").expect("ok"),
            out.join("records/DI-001.html")
        );
    }

    /// The new site is written in a folder inside a hidden one marked `T` (where the file system
    /// takes the mark), and the site put in place carries no mark and leaves nothing beside it.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_new_site_is_placed_apart_and_the_mark_stays_behind() {
        use rustix::fs::{IFlags, Mode, OFlags};
        let topdir = |dir: &Path| {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            rustix::fs::open(dir, flags, Mode::empty())
                .ok()
                .and_then(|fd| rustix::fs::ioctl_getflags(&fd).ok())
                .map(|f| f.contains(IFlags::TOPDIR))
        };
        let dir = tempfile::tempdir().expect("tempdir");
        // Whether this file system takes the mark at all (ext4 does; tmpfs may not).
        let probe = dir.path().join("probe");
        std::fs::create_dir(&probe).expect("mkdir");
        spread_below(&probe);
        let supported = topdir(&probe) == Some(true);
        std::fs::remove_dir(&probe).expect("rmdir");
        let out = dir.path().join("site");
        for round in ["first build", "rebuild"] {
            let writer = SiteWriter::begin(&out).expect(round);
            let holder = writer.staging.parent().expect("holder").to_path_buf();
            assert_eq!(
                holder.parent(),
                Some(dir.path()),
                "{round}: beside the site"
            );
            assert_eq!(topdir(&holder), Some(supported), "{round}: holder marked");
            writer
                .put(&OutFile {
                    path: "records/DI-001.html".into(),
                    bytes: b"page".to_vec(),
                })
                .expect("put");
            writer.finish().expect(round);
            assert_eq!(topdir(&out), Some(false), "{round}: the site is not marked");
            assert!(out.join("records/DI-001.html").is_file());
            let beside: Vec<_> = std::fs::read_dir(dir.path())
                .expect("list")
                .map(|e| e.expect("entry").file_name())
                .collect();
            assert_eq!(beside, ["site"], "{round}: nothing left beside the site");
        }
    }

    #[test]
    fn never_empties_a_folder_it_did_not_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("precious.txt"), "keep").expect("write");
        let files = [OutFile {
            path: "index.html".into(),
            bytes: b"x".to_vec(),
        }];
        assert!(matches!(
            write_site(dir.path(), &files),
            Err(SiteError::NotASite(_))
        ));
        assert!(dir.path().join("precious.txt").exists());
        let out = dir.path().join("site");
        write_site(&out, &files).expect("first build");
        std::fs::write(out.join("stale.html"), "old").expect("write");
        write_site(&out, &files).expect("rebuild");
        assert!(!out.join("stale.html").exists(), "stale page removed");
        assert!(out.join("index.html").exists());
        // Nothing is left beside the site: no staging folder, no old site.
        let beside: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(beside.len(), 2, "{beside:?}");
    }

    #[test]
    fn never_replaces_a_repository_or_a_ddf_whatever_its_marker() {
        let files = [OutFile {
            path: "index.html".into(),
            bytes: b"x".to_vec(),
        }];
        for held in [".git/HEAD", "ddf.yaml", "deep/er/.git", "deep/DDF.yaml"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let out = dir.path().join("victim");
            std::fs::create_dir_all(out.join(held).parent().expect("parent")).expect("mkdir");
            std::fs::write(out.join(held), "keep").expect("write");
            std::fs::write(out.join(MARKER), "planted").expect("write");
            let e = write_site(&out, &files).expect_err(held);
            assert!(matches!(e, SiteError::Refused { .. }), "{held}: {e}");
            assert_eq!(
                std::fs::read_to_string(out.join(held)).expect("kept"),
                "keep"
            );
            assert!(!out.join("index.html").exists());
            // Nothing was left beside it either.
            assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_rebuild_keeps_the_files_of_unchanged_pages_and_only_those() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("site");
        let page = |path: &str, text: &str| OutFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        };
        let ino = |rel: &str| std::fs::metadata(out.join(rel)).expect(rel).ino();
        let first = [
            page("index.html", "home"),
            page("records/A.html", "page A"),
            page("records/B.html", "page B"),
            page("records/C.html", "page C"),
            page("walk/D.html", "page D"),
            page("records/E.html", "page E"),
        ];
        write_site(&out, &first).expect("first build");
        let before: Vec<u64> = first.iter().map(|f| ino(&f.path)).collect();
        // Tampered with after the first build: same size, other bytes. Linked to a file
        // outside the site. A folder replaced by a link to another folder holding the same page.
        std::fs::write(out.join("records/B.html"), "page X").expect("tamper");
        let tampered = ino("records/B.html");
        let outside = dir.path().join("outside.html");
        std::fs::write(&outside, "page C").expect("write");
        std::fs::remove_file(out.join("records/C.html")).expect("rm");
        std::fs::hard_link(&outside, out.join("records/C.html")).expect("link");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).expect("mkdir");
        std::fs::write(elsewhere.join("D.html"), "page D").expect("write");
        // A FIFO where a page was: opening it would wait for a writer forever.
        std::fs::remove_file(out.join("index.html")).expect("rm");
        let fifo = std::ffi::CString::new(out.join("index.html").as_os_str().as_encoded_bytes())
            .expect("path");
        // SAFETY: a valid NUL-terminated path that outlives the call.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0, "mkfifo");
        std::fs::remove_dir_all(out.join("walk")).expect("rm");
        std::os::unix::fs::symlink(&elsewhere, out.join("walk")).expect("symlink");
        let second = [
            page("index.html", "home"),
            page("records/A.html", "page A"),
            page("records/B.html", "page B"),
            page("records/C.html", "page C"),
            page("walk/D.html", "page D"),
            page("records/E.html", "page E, changed"),
        ];
        write_site(&out, &second).expect("rebuild");
        for f in &second {
            assert_eq!(std::fs::read(out.join(&f.path)).expect("read"), f.bytes);
        }
        assert_eq!(ino("records/A.html"), before[1], "unchanged page kept");
        assert_ne!(
            ino("records/E.html"),
            before[5],
            "changed page written anew"
        );
        assert_ne!(ino("index.html"), before[0], "a FIFO's page written anew");
        assert!(std::fs::metadata(out.join("index.html"))
            .expect("index")
            .is_file());
        assert_ne!(ino("records/B.html"), tampered, "tampered page not kept");
        let c = std::fs::metadata(out.join("records/C.html")).expect("C");
        assert_ne!(c.ino(), std::fs::metadata(&outside).expect("outside").ino());
        assert_eq!(c.nlink(), 1, "no link to a file outside the site");
        assert_ne!(
            ino("walk/D.html"),
            std::fs::metadata(elsewhere.join("D.html"))
                .expect("D")
                .ino(),
            "nothing taken through a link out of the site"
        );
        assert_eq!(std::fs::read(&outside).expect("outside"), b"page C");
        // Pages larger than the piece compared at a time: the same one is kept; one that
        // differs only in its last byte, or is cut short by one, is written anew.
        let big = "0123456789".repeat(10_000);
        let mut changed = big.clone();
        changed.replace_range(big.len() - 1.., "x");
        let third = [
            page("big/same.html", &big),
            page("big/last-byte.html", &big),
            page("big/shorter.html", &big),
        ];
        write_site(&out, &third).expect("third build");
        let kept = ino("big/same.html");
        let (last, shorter) = (ino("big/last-byte.html"), ino("big/shorter.html"));
        let fourth = [
            page("big/same.html", &big),
            page("big/last-byte.html", &changed),
            page("big/shorter.html", &big[1..]),
        ];
        write_site(&out, &fourth).expect("fourth build");
        for f in &fourth {
            assert_eq!(std::fs::read(out.join(&f.path)).expect("read"), f.bytes);
        }
        assert_eq!(ino("big/same.html"), kept, "unchanged large page kept");
        assert_ne!(ino("big/last-byte.html"), last, "last byte differs");
        assert_ne!(ino("big/shorter.html"), shorter, "one byte shorter");
    }

    #[test]
    fn a_link_to_the_site_stays_a_link() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = [OutFile {
            path: "index.html".into(),
            bytes: b"x".to_vec(),
        }];
        let real = dir.path().join("real");
        write_site(&real, &files).expect("first");
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&real, &link).expect("link");
            write_site(&link, &files).expect("through the link");
            assert!(std::fs::symlink_metadata(&link)
                .expect("link")
                .file_type()
                .is_symlink());
            assert!(real.join("index.html").is_file());
        }
    }

    /// `f` with docs-example loaded and checked as `ddf build` does (without history).
    fn with_example(f: impl FnOnce(&Input<'_>, &dyn Source)) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs-example");
        let source = crate::source::Worktree::new(&root);
        let corpus = crate::corpus::Corpus::load(&source).expect("docs-example loads");
        let graph = crate::graph::Graph::build(&corpus);
        let report = crate::check::run(&corpus, &graph, crate::date::Date::today(), None);
        f(&Input::records_only(&corpus, &graph, &report), &source);
    }

    #[test]
    fn the_site_written_to_disk_is_the_site_made_in_memory() {
        // On disk the release print view is made from its source pages read back from the new
        // site; in memory, from the pages collected.
        with_example(|input, source| {
            let files = generate(input, source, "templates").expect("generate");
            let print = files
                .iter()
                .find(|f| f.path == "releases/REL-002-print.html")
                .expect("a print view");
            let risk = files.iter().find(|f| f.path == "risk.html").expect("risk");
            let from = String::from_utf8_lossy(&risk.bytes);
            let zones = &from[from.find("<main").expect("main")..][..400];
            assert!(
                String::from_utf8_lossy(&print.bytes)
                    .contains(&zones[zones.find('>').expect(">") + 1..][..200]),
                "the print view holds the risk file's content"
            );
            let dir = tempfile::tempdir().expect("tempdir");
            let out = dir.path().join("site");
            let written = build(input, source, "templates", &out).expect("build");
            assert_eq!(written, files.len());
            for f in &files {
                let on_disk = std::fs::read(out.join(&f.path)).expect("written");
                assert!(on_disk == f.bytes, "{} differs", f.path);
            }
        });
    }

    /// Takes pages and cannot give them back.
    struct Forgetful;

    impl Sink for Forgetful {
        fn emit(&self, _: OutFile) -> Result<(), SiteError> {
            Ok(())
        }
        fn reread(&self, path: &str, _: usize) -> Result<Vec<u8>, SiteError> {
            Err(SiteError::Template(format!("{path} cannot be read back")))
        }
    }

    #[test]
    fn a_print_view_source_that_cannot_be_read_back_fails_the_build() {
        with_example(|input, source| {
            let renderer = render::Renderer::new(source, "templates").expect("renderer");
            let sink = Forgetful;
            let err = renderer
                .each_page(input, &sink)
                .expect_err("no print view without its parts");
            assert!(err.to_string().contains("cannot be read back"), "{err}");
        });
    }
}
