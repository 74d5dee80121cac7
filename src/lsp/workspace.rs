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
    disk: Worktree,
    open: &'a HashMap<String, String>,
}

impl Source for Overlay<'_> {
    fn describe(&self) -> String {
        "worktree".into()
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        match self.open.get(path) {
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
                f.content = Ok(text.clone().into_bytes());
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
                    content: Ok(text.clone().into_bytes()),
                });
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }
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
    /// Everything must be read again.
    reload: bool,
}

impl Workspace {
    /// Loads the DDF at `root`.
    pub fn load(
        root: &Path,
        history: impl FnOnce(&Corpus) -> Option<HistoryParts>,
    ) -> Result<Workspace, LoadError> {
        let open = HashMap::new();
        let corpus = load_all(root, &open)?;
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
            reload: false,
        };
        ws.check();
        Ok(ws)
    }

    /// The path relative to the root of an absolute path inside it, `/`-separated.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// The text of a file as the editor has it: the buffer if open, else the disk.
    pub fn text(&self, rel: &str) -> Option<String> {
        if let Some(t) = self.open.get(rel) {
            return Some(t.clone());
        }
        let disk = Worktree::new(&self.root);
        disk.read(rel)
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

    /// The history loaded at start, if the DDF is in a Git repository with commits.
    pub fn history(&self) -> Option<&HistoryParts> {
        self.history.as_ref()
    }

    /// Whether an analysis is due.
    pub fn is_dirty(&self) -> bool {
        self.reload || !self.dirty.is_empty()
    }

    /// Analyses what changed; returns the paths whose findings may have changed (every path
    /// that has findings now or had them before).
    pub fn analyse(&mut self) -> Result<BTreeSet<String>, LoadError> {
        if !self.is_dirty() {
            return Ok(BTreeSet::new());
        }
        let before: BTreeSet<String> = self.findings.keys().cloned().collect();
        if self.reload || !self.incremental()? {
            self.corpus = load_all(&self.root, &self.open)?;
        }
        self.reload = false;
        self.dirty.clear();
        self.graph = Graph::build(&self.corpus);
        self.check();
        let mut touched = before;
        touched.extend(self.findings.keys().cloned());
        Ok(touched)
    }

    /// Re-reads the dirty records only; `false` when that would not be exact (a changed file
    /// became a document) and a full load is needed.
    fn incremental(&mut self) -> Result<bool, LoadError> {
        let source = Overlay {
            disk: Worktree::new(&self.root),
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
        let mut next = self.corpus.derive("worktree".into(), &self.dirty, files);
        if next
            .records
            .iter()
            .any(|r| self.dirty.contains(&r.path) && r.type_name == "document")
        {
            return Ok(false);
        }
        // The findings of the files not re-read, and those of ddf.yaml, stand.
        let mut diagnostics: Vec<Diagnostic> = self
            .corpus
            .diagnostics
            .iter()
            .filter(|d| !self.dirty.contains(&d.path))
            .cloned()
            .collect();
        diagnostics.append(&mut next.diagnostics);
        next.diagnostics = diagnostics;
        next.attachments = std::mem::take(&mut self.corpus.attachments);
        self.corpus = next;
        Ok(true)
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

/// A full load with the buffers laid over the disk.
fn load_all(root: &Path, open: &HashMap<String, String>) -> Result<Corpus, LoadError> {
    let source = Overlay {
        disk: Worktree::new(root),
        open,
    };
    Corpus::load(&source)
}
