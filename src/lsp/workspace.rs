//! The DDF as the editor sees it: the files on disk with the unsaved buffers laid over them,
//! parsed and checked by the same corpus, graph and rules as `ddf check`.
//!
//! A change to one record re-reads that record only: the other records, their parse findings
//! and the attachments are kept, and the corpus-wide rules run again, so a finding on another
//! file (the verification of an edited input) follows. A change to `ddf.yaml`, to a document
//! (a plan may carry the risk criteria every record is validated against) or to a file that
//! was not a record before reloads everything.

use crate::corpus::{Corpus, LoadError};
use crate::diagnostic::Diagnostic;
use crate::graph::Graph;
use crate::source::{Source, SourceError, SourceFile, Worktree};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// The history the rules read, loaded once when the server starts (never walked per edit).
pub struct HistoryParts {
    /// The history index.
    pub history: crate::history::History,
    /// Approvals with verified signatures, signers resolved as of history.
    pub approvals: Vec<crate::history::approval::Approval>,
    /// Tip of the controlled branch.
    pub controlled_tip: Option<String>,
    /// `change_control_since`, resolved.
    pub since: Option<String>,
}

/// The working tree with open buffers over it.
struct Overlay<'a> {
    disk: &'a Worktree,
    open: &'a HashMap<String, String>,
}

impl Source for Overlay<'_> {
    fn describe(&self) -> String {
        "worktree".into()
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        match self.open.get(path) {
            Some(text) if text.len() as u64 > crate::source::MAX_FILE => {
                Err(SourceError::Refused {
                    path: path.into(),
                    reason: crate::fsafe::Refusal::TooLarge {
                        size: text.len() as u64,
                        max: crate::source::MAX_FILE,
                    },
                })
            }
            Some(text) => Ok(Some(text.clone().into_bytes())),
            None => self.disk.read(path),
        }
    }

    fn records_where(
        &self,
        dir: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Vec<SourceFile>, SourceError> {
        let mut files = self.disk.records_where(dir, keep)?;
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let mut seen = BTreeSet::new();
        for f in &mut files {
            if let Some(text) = self.open.get(&f.path) {
                f.content = buffer(text);
            }
            seen.insert(f.path.clone());
        }
        // A buffer not saved yet is a record too, when it is where records are.
        for (path, text) in self.open {
            if path.starts_with(&prefix)
                && path.ends_with(".md")
                && !path.split('/').any(|c| c.starts_with('.'))
                && !seen.contains(path)
                && keep(path)
            {
                files.push(SourceFile {
                    path: path.clone(),
                    content: buffer(text),
                });
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
}

/// A buffer as a record file: refused over [`crate::source::MAX_FILE`] bytes, as a file on disk
/// is, so an editor buffer is no way around the bound.
fn buffer(text: &str) -> Result<Vec<u8>, crate::source::ReadIssue> {
    if text.len() as u64 > crate::source::MAX_FILE {
        return Err(crate::source::too_large(text.len() as u64));
    }
    Ok(text.as_bytes().to_vec())
}

/// The analysed DDF.
pub struct Workspace {
    /// The DDF root (the folder holding `ddf.yaml`).
    pub root: PathBuf,
    /// Open buffers by path relative to the root.
    pub open: HashMap<String, String>,
    /// The corpus with the buffers laid over the disk.
    pub corpus: Corpus,
    /// Its graph.
    pub graph: Graph,
    /// The findings of the last analysis, by path.
    pub findings: BTreeMap<String, Vec<Diagnostic>>,
    history: Option<HistoryParts>,
    /// Paths changed since the last analysis.
    dirty: BTreeSet<String>,
    /// Why the last analysis could not load the DDF, as a finding on the file at fault.
    pub load_error: Option<Diagnostic>,
    /// Paths whose findings changed and were not handed out yet.
    unpublished: BTreeSet<String>,
    /// Everything must be read again.
    reload: bool,
    /// The working tree, opened once (opening looks up the repository that fences its reads).
    disk: Worktree,
}

impl Workspace {
    /// Loads the DDF at `root`.
    pub fn load(
        root: &Path,
        history: impl FnOnce(&Corpus) -> Option<HistoryParts>,
    ) -> Result<Workspace, LoadError> {
        let open = HashMap::new();
        let disk = Worktree::new(root);
        let corpus = load_all(&disk, &open)?;
        let history = history(&corpus);
        let graph = Graph::build(&corpus);
        let mut ws = Workspace {
            root: root.to_path_buf(),
            open,
            corpus,
            graph,
            findings: BTreeMap::new(),
            history,
            dirty: BTreeSet::new(),
            unpublished: BTreeSet::new(),
            load_error: None,
            reload: false,
            disk,
        };
        ws.check();
        ws.unpublished = ws.findings.keys().cloned().collect();
        Ok(ws)
    }

    /// The path relative to the root of an absolute path inside it, `/`-separated.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        // `records/../../etc/x.md` starts with the root but names a file outside it: only
        // plain names are followed.
        let parts: Vec<String> = rel
            .components()
            .map(|c| match c {
                std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Option<_>>()?;
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// The text of a file as the editor has it: the buffer if open, else the disk.
    pub fn text(&self, rel: &str) -> Option<String> {
        if let Some(t) = self.open.get(rel) {
            return Some(t.clone());
        }
        self.disk
            .read(rel)
            .ok()
            .flatten()
            .and_then(|b| String::from_utf8(b).ok())
    }

    /// Whether a path is one ddf reads: `ddf.yaml` or a `*.md` below the records folder.
    pub fn serves(&self, rel: &str) -> bool {
        rel == crate::config::CONFIG_FILE
            || (rel.starts_with(&format!(
                "{}/",
                self.corpus.config.records.trim_end_matches('/')
            )) && rel.ends_with(".md"))
    }

    /// Lays `text` over the file at `rel` (or takes it off, with `None`, when the buffer is
    /// closed and the disk holds the truth again).
    pub fn set(&mut self, rel: &str, text: Option<String>) {
        match text {
            Some(t) => {
                self.open.insert(rel.to_string(), t);
            }
            None => {
                self.open.remove(rel);
            }
        }
        self.changed(rel);
    }

    /// Notes that the file at `rel` changed (on disk or in a buffer).
    pub fn changed(&mut self, rel: &str) {
        let is_document = self
            .corpus
            .records
            .iter()
            .find(|r| r.path == rel)
            .map(|r| r.type_name == "document");
        match is_document {
            // A record that was not a document: re-read it alone (unless it becomes one, which
            // the analysis sees).
            Some(false) => {
                self.dirty.insert(rel.to_string());
            }
            _ => self.reload = true,
        }
    }

    /// Runs `f` with the DDF as the editor has it (the buffers over the disk) as a source.
    pub fn with_source<R>(&self, f: impl FnOnce(&dyn Source) -> R) -> R {
        let source = Overlay {
            disk: &self.disk,
            open: &self.open,
        };
        f(&source)
    }

    /// The history loaded at start, if the DDF is in a Git repository with commits.
    pub fn history(&self) -> Option<&HistoryParts> {
        self.history.as_ref()
    }

    /// Whether an analysis is due.
    pub fn is_dirty(&self) -> bool {
        self.reload || !self.dirty.is_empty()
    }

    /// Analyses what changed; the paths whose findings changed are added to those
    /// [`Workspace::take_unpublished`] hands out.
    pub fn analyse(&mut self) -> Result<(), LoadError> {
        if !self.is_dirty() {
            return Ok(());
        }
        let loaded = if self.reload {
            load_all(&self.disk, &self.open).map(Some)
        } else {
            self.incremental()
                .map(|exact| (!exact).then_some(()))
                .and_then(|full| match full {
                    Some(()) => load_all(&self.disk, &self.open).map(Some),
                    None => Ok(None),
                })
        };
        match loaded {
            Ok(Some(corpus)) => self.corpus = corpus,
            Ok(None) => {}
            // A DDF that cannot be loaded while it is typed (`ddf.yaml` half written) keeps the
            // last good analysis and says why on the file at fault; the next edit tries again.
            Err(e) => {
                let d = load_finding(&e);
                self.unpublished.insert(d.path.clone());
                self.load_error = Some(d);
                return Ok(());
            }
        }
        if let Some(d) = self.load_error.take() {
            self.unpublished.insert(d.path);
        }
        self.reload = false;
        self.dirty.clear();
        self.graph = Graph::build(&self.corpus);
        let before = std::mem::take(&mut self.findings);
        self.check();
        for (path, old) in &before {
            if self.findings.get(path) != Some(old) {
                self.unpublished.insert(path.clone());
            }
        }
        for path in self.findings.keys() {
            if !before.contains_key(path) {
                self.unpublished.insert(path.clone());
            }
        }
        Ok(())
    }

    /// The paths whose findings changed since the last call (at first: every path with
    /// findings).
    pub fn take_unpublished(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.unpublished)
    }

    /// Re-reads the dirty records only; `false` when that would not be exact (a changed file
    /// became a document) and a full load is needed.
    fn incremental(&mut self) -> Result<bool, LoadError> {
        let source = Overlay {
            disk: &self.disk,
            open: &self.open,
        };
        let mut files = Vec::new();
        for path in &self.dirty {
            match source.read(path) {
                Ok(Some(bytes)) => files.push(SourceFile {
                    path: path.clone(),
                    content: Ok(bytes),
                }),
                Ok(None) => {}
                Err(SourceError::Refused { reason, .. }) => files.push(SourceFile {
                    path: path.clone(),
                    content: Err(reason.into()),
                }),
                Err(e) => return Err(e.into()),
            }
        }
        self.corpus.replace_files(&self.dirty, files);
        // A changed file that became a document may carry the risk criteria every record is
        // validated against: that needs a full load (which replaces what was just done).
        let dirty = &self.dirty;
        Ok(!self
            .corpus
            .records
            .iter()
            .any(|r| dirty.contains(&r.path) && r.type_name == "document"))
    }

    /// Runs the rules and files the findings by path.
    fn check(&mut self) {
        let hctx = self.history.as_ref().map(|h| {
            crate::rules::HistoryCtx::new(
                &h.history,
                &h.approvals,
                h.controlled_tip.clone(),
                h.since.clone(),
            )
        });
        let report = crate::check::run(
            &self.corpus,
            &self.graph,
            crate::date::Date::today(),
            hctx.as_ref(),
        );
        let mut findings: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        for d in report.diagnostics {
            findings.entry(d.path.clone()).or_default().push(d);
        }
        self.findings = findings;
    }
}

/// A load error as a finding on the file at fault (`ddf.yaml` unless it names another).
fn load_finding(e: &LoadError) -> Diagnostic {
    let (path, pos) = match e {
        LoadError::Config(c) => (c.path.clone(), c.pos),
        LoadError::Source(SourceError::Refused { path, .. }) => (path.clone(), None),
        _ => (crate::config::CONFIG_FILE.to_string(), None),
    };
    let mut d = Diagnostic::new("config", path, e.to_string())
        .at(pos.or(Some(crate::diagnostic::Pos::new(1, 1))));
    if let Some(h) = e.hint() {
        d = d.hint(h);
    }
    d
}

/// The findings on `path` as the editor shows them: the last analysis's, and why the DDF could
/// not be loaded, if that is this file.
pub fn findings_for<'a>(ws: &'a Workspace, path: &str) -> Vec<&'a Diagnostic> {
    let mut out: Vec<&Diagnostic> = ws
        .findings
        .get(path)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    if let Some(d) = ws.load_error.as_ref().filter(|d| d.path == path) {
        out.insert(0, d);
    }
    out
}

/// A full load with the buffers laid over the disk.
fn load_all(disk: &Worktree, open: &HashMap<String, String>) -> Result<Corpus, LoadError> {
    let source = Overlay { disk, open };
    Corpus::load(&source)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PER: &str = "---\nid: PER-001\ntype: person\ntitle: Ada\nstatus: approved\nowner: PER-001\nprinted_name: Ada\nroles: [design-owner]\nmay_sign: [approval]\nkeys: []\nidentity_verified: 2026-01-01\n---\nOwner.\n";

    fn ddf(files: &[(&str, String)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp");
        std::fs::write(dir.path().join("ddf.yaml"), "project: T\n").expect("write");
        std::fs::create_dir_all(dir.path().join("records")).expect("mkdir");
        for (rel, text) in files {
            std::fs::write(dir.path().join(rel), text).expect("write");
        }
        dir
    }

    fn di(id: &str, title: &str) -> String {
        format!("---\nid: {id}\ntype: design-input\ntitle: {title}\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: Works.\ntraces_to: [UN-001]\n---\nText.\n")
    }

    fn un() -> String {
        "---\nid: UN-001\ntype: user-need\ntitle: Need\nstatus: draft\nowner: PER-001\nsource: user\n---\nNeed.\n".into()
    }

    fn ver(target: &str) -> String {
        format!("---\nid: VER-001\ntype: verification\ntitle: T\nstatus: draft\nowner: PER-001\nmethod: test\nacceptance_criteria: ok\nverifies: [{target}]\n---\n")
    }

    /// What an incremental analysis finds must be what a full load of the same texts finds.
    #[test]
    fn an_edit_analysed_incrementally_finds_what_a_full_check_finds() {
        let start = vec![
            ("records/PER-001.md", PER.to_string()),
            ("records/UN-001.md", un()),
            ("records/DI-001.md", di("DI-001", "Input")),
            ("records/VER-001.md", ver("DI-001")),
        ];
        let dir = ddf(&start);
        let mut ws = Workspace::load(dir.path(), |_| None).expect("load");
        let edits = [
            ("records/DI-001.md", di("DI-002", "Renamed")),
            (
                "records/DI-001.md",
                "---\nid: DI-001\ntitle: [broken\n---\n".to_string(),
            ),
            ("records/VER-001.md", ver("DI-009")),
            ("records/DI-001.md", di("DI-001", "Input")),
        ];
        let mut expected_files = start.clone();
        for (rel, text) in edits {
            ws.set(rel, Some(text.clone()));
            ws.analyse().expect("analyse");
            for f in &mut expected_files {
                if f.0 == rel {
                    f.1 = text.clone();
                }
            }
            let fresh_dir = ddf(&expected_files);
            let fresh = Workspace::load(fresh_dir.path(), |_| None).expect("load");
            assert_eq!(ws.findings, fresh.findings, "after editing {rel}");
            assert_eq!(ws.corpus.records.len(), fresh.corpus.records.len());
        }
        // Closing the buffer puts the disk back.
        ws.set("records/VER-001.md", None);
        ws.set("records/DI-001.md", None);
        ws.analyse().expect("analyse");
        let fresh = Workspace::load(dir.path(), |_| None).expect("load");
        assert_eq!(ws.findings, fresh.findings);
    }

    #[test]
    fn an_unsaved_new_record_is_read() {
        let dir = ddf(&[
            ("records/PER-001.md", PER.to_string()),
            ("records/UN-001.md", un()),
        ]);
        let mut ws = Workspace::load(dir.path(), |_| None).expect("load");
        assert!(ws.corpus.get("DI-005").is_none());
        ws.set("records/DI-005.md", Some(di("DI-005", "New")));
        ws.analyse().expect("analyse");
        assert!(ws.corpus.get("DI-005").is_some());
        assert!(ws.serves("records/DI-005.md"));
        assert!(!ws.serves("src/main.rs"));
        // A path that climbs out of the root is not the DDF's, however it starts.
        assert_eq!(
            ws.relative(&dir.path().join("records/../../etc/x.md")),
            None
        );
        // A buffer over the size bound of a record file is refused as the file would be.
        let huge = format!("{}{}", di("DI-006", "Huge"), "x".repeat(9 * 1024 * 1024));
        ws.set("records/DI-006.md", Some(huge));
        ws.analyse().expect("analyse");
        assert!(ws.corpus.get("DI-006").is_none());
        assert!(ws.findings["records/DI-006.md"]
            .iter()
            .any(|d| d.message.contains("more than the")));
        assert!(
            !dir.path().join("records/DI-005.md").exists(),
            "nothing written"
        );
    }
}
