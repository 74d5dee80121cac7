//! A corpus: every record of a DDF as read from one source, with the configuration and the
//! findings about the files themselves.
//!
//! Files are parsed in parallel (rayon) and kept in path order, so everything downstream is
//! deterministic.

use crate::config::{Config, ConfigError, CONFIG_FILE};
use crate::diagnostic::Diagnostic;
use crate::record::{self, Record};
use crate::rules::structure;
use crate::source::{Source, SourceError};
use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// Why a DDF could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// `ddf.yaml` is missing.
    #[error("no {CONFIG_FILE} in {0}")]
    NoConfig(String),
    /// `ddf.yaml` cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The source cannot be read.
    #[error(transparent)]
    Source(#[from] SourceError),
}

impl LoadError {
    /// A hint for the user.
    pub fn hint(&self) -> Option<String> {
        match self {
            LoadError::NoConfig(_) => Some(
                "run `ddf init` to start a DDF here, or pass -C with the folder that holds ddf.yaml".into(),
            ),
            LoadError::Config(e) => e.hint.clone(),
            LoadError::Source(e) => e.hint().map(String::from),
        }
    }
}

/// The records of one DDF at one revision.
#[derive(Debug)]
pub struct Corpus {
    /// `worktree` or the commit id read.
    pub source: String,
    /// The configuration.
    pub config: Config,
    /// Records, in path order. Files whose front-matter could not be read are not here.
    pub records: Vec<Record>,
    /// Record index by id (the first in path order, where an id is duplicated).
    pub by_id: HashMap<String, usize>,
    /// Record files that could not be read as records (their front-matter does not parse, they
    /// are not UTF-8, cannot be read, or are misnamed), in path order, each with the id it
    /// still has. Links to such an id are not dangling; see [`Unread`].
    pub unread: Vec<Unread>,
    unread_by_id: HashMap<String, usize>,
    /// Ids more than one record has.
    duplicated: rustc_hash::FxHashSet<String>,
    by_type: HashMap<String, Vec<usize>>,
    /// Findings about files and records (structure rules), before severities are applied.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of `*.md` files read.
    pub files: usize,
    /// The risk acceptability criteria in force: the approved plans' matrices, else `ddf.yaml`'s.
    pub risk: crate::risk_plan::InForce,
    /// Files other than records that rules read, by path relative to the DDF root, from the same
    /// source as the records: the SBOMs the releases name (`sbom-reconciled`). `Ok(None)` when
    /// the file does not exist, `Err` when it cannot be read.
    pub attachments: std::collections::BTreeMap<String, Result<Option<Vec<u8>>, String>>,
    /// What each record is called ([`Corpus::name`]), made on first use; emptied whenever the
    /// records change ([`Corpus::reindex`]).
    names: std::sync::OnceLock<Vec<Name>>,
}

/// What a record is called wherever another page or report names it: its id, type, title and
/// status, each read once and shared. A site names most records on many pages (trace trees,
/// link lists, registers); looking the title up in the record's fields each time, and copying
/// it, was a tenth of a large build.
#[derive(Debug, Clone)]
pub struct Name {
    /// The `id` field, or empty.
    pub id: Arc<str>,
    /// The `type` field, or empty.
    pub type_name: Arc<str>,
    /// [`Record::title`].
    pub title: Arc<str>,
    /// [`Record::status`].
    pub status: Arc<str>,
}

impl Name {
    /// The name of `r`.
    pub fn of(r: &Record) -> Name {
        Name {
            id: r.id.as_str().into(),
            type_name: r.type_name.as_str().into(),
            title: r.title().into(),
            status: r.status().into(),
        }
    }
}

/// A record file that could not be read as a record. Its id is still known (from an `id:` line
/// of its text, else from its file name), so links to it are not reported as dangling (the hint
/// "create the record" would make a duplicate), and the ids written anywhere in its text are the
/// records whose trace findings may depend on its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// Path relative to the DDF root.
    pub path: String,
    /// The id recovered, if any.
    pub id: Option<String>,
    /// The other ids written in the file (its links and mentions), sorted.
    pub names: Vec<String>,
}

impl Unread {
    /// What can be recovered from the file at `path` whose bytes (if they could be read) are
    /// `bytes`.
    pub fn recover(path: &str, bytes: Option<&[u8]>) -> Unread {
        use crate::rules::structure::is_valid_id;
        let name = path.rsplit('/').next().unwrap_or(path);
        let stem = name.split('.').next().unwrap_or(name);
        let id = bytes
            .and_then(|b| crate::ids::id_lines(b).into_iter().next())
            .or_else(|| is_valid_id(stem).then(|| stem.to_string()));
        let mut names: Vec<String> = match bytes {
            Some(b) => {
                static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
                let re = RE.get_or_init(|| {
                    regex::bytes::Regex::new(r"\b[A-Z]+-[0-9]{3,}\b").expect("static regex")
                });
                re.find_iter(b)
                    .filter_map(|m| std::str::from_utf8(m.as_bytes()).ok())
                    .filter(|t| is_valid_id(t) && Some(*t) != id.as_deref())
                    .map(String::from)
                    .collect()
            }
            None => Vec::new(),
        };
        names.sort();
        names.dedup();
        Unread {
            path: path.to_string(),
            id,
            names,
        }
    }
}

impl Corpus {
    /// Loads the DDF from `source`.
    pub fn load(source: &dyn Source) -> Result<Corpus, LoadError> {
        Corpus::load_where(source, &|_| true)
    }

    /// Loads only the record files whose path `keep` accepts (the others are not read), for
    /// commands that need a few records of a large DDF, such as the signer registry.
    pub fn load_where(
        source: &dyn Source,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Corpus, LoadError> {
        let (config, config_diags) = Corpus::read_config(source)?;
        Corpus::load_configured(source, config, config_diags, keep)
    }

    /// Reads and parses `ddf.yaml` from `source`, with the findings about it.
    pub fn read_config(source: &dyn Source) -> Result<(Config, Vec<Diagnostic>), LoadError> {
        let text = source
            .read(CONFIG_FILE)?
            .ok_or_else(|| LoadError::NoConfig(source.describe()))?;
        let text = String::from_utf8(text).map_err(|_| ConfigError {
            path: CONFIG_FILE.into(),
            pos: None,
            message: "the file is not valid UTF-8".into(),
            hint: Some("save ddf.yaml as UTF-8".into()),
        })?;
        Ok(Config::parse(&text, CONFIG_FILE)?)
    }

    /// [`Corpus::load_where`] with `ddf.yaml` already read by [`Corpus::read_config`].
    pub fn load_configured(
        source: &dyn Source,
        config: Config,
        config_diags: Vec<Diagnostic>,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Corpus, LoadError> {
        let files = source.records_where(&config.records, keep)?;
        let mut corpus = Corpus::from_files(source.describe(), config, config_diags, files);
        let mut wanted = crate::sbom::release_files(&corpus);
        wanted.extend(crate::rules::mr_snapshot_files(&corpus));
        wanted.sort();
        wanted.dedup();
        for path in wanted {
            let content = match source.read(&path) {
                // A file the repository lost is damage, not a finding about one attachment.
                Err(e @ SourceError::Integrity(_)) => return Err(e.into()),
                other => other.map_err(|e| match e {
                    // The rules name the file already.
                    SourceError::Refused { reason, .. } => reason.to_string(),
                    e => e.to_string(),
                }),
            };
            corpus.attachments.insert(path, content);
        }
        Ok(corpus)
    }

    /// Builds a corpus from files already read.
    pub fn from_files(
        source: String,
        config: Config,
        mut diagnostics: Vec<Diagnostic>,
        files: Vec<crate::source::SourceFile>,
    ) -> Corpus {
        let n_files = files.len();
        let paths: rustc_hash::FxHashSet<String> = files.iter().map(|f| f.path.clone()).collect();
        let parsed: Vec<(Option<Record>, Vec<Diagnostic>, Option<Unread>)> = files
            .into_par_iter()
            .map(|f| match f.content {
                Err(issue) => {
                    let unread = Unread::recover(&f.path, None);
                    let rule = if crate::source::misnamed_record(&f.path) {
                        "file-extension"
                    } else {
                        "io"
                    };
                    let mut d = Diagnostic::new(rule, f.path, issue.message).hint(issue.hint);
                    if issue.warning {
                        d = d.severity(crate::diagnostic::Severity::Warning);
                    }
                    (None, vec![d], Some(unread))
                }
                Ok(bytes) => {
                    let p = record::parse(&f.path, &bytes);
                    let unread = match p.record {
                        Some(_) => None,
                        None => Some(Unread::recover(&f.path, Some(&bytes))),
                    };
                    (p.record, p.diagnostics, unread)
                }
            })
            .collect();
        let mut records = Vec::with_capacity(parsed.len());
        let mut unread = Vec::new();
        for (r, d, u) in parsed {
            diagnostics.extend(d);
            records.extend(r);
            unread.extend(u);
        }
        // The criteria in force come from the approved plans among the records, and decide the
        // range of every level field: resolve them before validating.
        let risk = crate::risk_plan::InForce::resolve(&records, &config);
        let validated: Vec<Vec<Diagnostic>> = records
            .par_iter_mut()
            .map(|r| structure::validate_record(r, &config, &risk.policy))
            .collect();
        diagnostics.extend(validated.into_iter().flatten());
        // The `id-filename` hint names the file to rename to; never one that exists.
        for d in diagnostics.iter_mut().filter(|d| d.rule == "id-filename") {
            let Some(id) = &d.record else { continue };
            let target = match d.path.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/{id}.md"),
                None => format!("{id}.md"),
            };
            if paths.contains(&target) {
                d.hint = Some(format!(
                    "`{target}` exists already, so do not rename this file to it: give one of the two records a free id, or keep this file's name"
                ));
            }
        }
        let mut corpus = Corpus {
            source,
            config,
            records,
            by_id: HashMap::default(),
            unread,
            unread_by_id: HashMap::default(),
            duplicated: Default::default(),
            by_type: HashMap::default(),
            diagnostics,
            files: n_files,
            risk,
            attachments: Default::default(),
            names: Default::default(),
        };
        corpus.reindex();
        corpus
    }

    fn reindex(&mut self) {
        let mut by_id = HashMap::with_capacity_and_hasher(self.records.len(), Default::default());
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::default();
        let mut duplicated = rustc_hash::FxHashSet::default();
        for (i, r) in self.records.iter().enumerate() {
            if !r.id.is_empty() {
                match by_id.entry(r.id.clone()) {
                    std::collections::hash_map::Entry::Occupied(_) => {
                        duplicated.insert(r.id.clone());
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(i);
                    }
                }
            }
            by_type.entry(r.type_name.clone()).or_default().push(i);
        }
        self.by_id = by_id;
        self.by_type = by_type;
        self.duplicated = duplicated;
        let mut unread_by_id = HashMap::default();
        for (i, u) in self.unread.iter().enumerate() {
            if let Some(id) = &u.id {
                unread_by_id.entry(id.clone()).or_insert(i);
            }
        }
        self.unread_by_id = unread_by_id;
        self.names = Default::default();
    }

    /// What record `i` is called ([`Name`]). The names of all records are made together, on
    /// first use.
    pub fn name(&self, i: usize) -> &Name {
        &self
            .names
            .get_or_init(|| self.records.par_iter().map(Name::of).collect())[i]
    }

    /// Frees what only findings need: each record's key index (where its keys and values are,
    /// by line and column). `ddf build` calls it once the rules have run and the history marks
    /// are made: nothing after that reports a position, and at 100,000 records the indexes were
    /// 150 MB of the build's peak memory. A position asked for afterwards is not found, as for
    /// a key the record does not have.
    pub fn drop_positions(&mut self) {
        self.records
            .par_iter_mut()
            .for_each(|r| r.index = crate::front_matter::KeyIndex::default());
    }

    /// The index of `r` in [`Corpus::records`], if `r` is one of them (the same record, not an
    /// equal one).
    pub fn index_of(&self, r: &Record) -> Option<usize> {
        let size = std::mem::size_of::<Record>();
        let offset = (r as *const Record as usize).checked_sub(self.records.as_ptr() as usize)?;
        let i = offset / size;
        (offset % size == 0 && i < self.records.len() && std::ptr::eq(&self.records[i], r))
            .then_some(i)
    }

    /// The corpus of another revision that differs from this one only in the record files
    /// `changed` (paths relative to the DDF root): their records are dropped and `files` (those
    /// of them that exist in the other revision, as read there) are parsed in their place. Exact
    /// when both revisions have the same `ddf.yaml` and risk criteria (the unchanged records keep
    /// the level ranges they were validated with; the criteria in force are resolved again); `ddf impact` uses it so a base that shares
    /// all but a few files with head costs a few parses, not a second full load. Attachments and
    /// diagnostics are not carried over (the caller reads the attachments it needs).
    pub fn derive(
        &self,
        source: String,
        changed: &std::collections::BTreeSet<String>,
        files: Vec<crate::source::SourceFile>,
    ) -> Corpus {
        let mut c = Corpus::from_files(source, self.config.clone(), Vec::new(), files);
        // Copying tens of thousands of records is most of the cost: on every core.
        c.records.par_extend(
            self.records
                .par_iter()
                .filter(|r| !changed.contains(&r.path))
                .cloned(),
        );
        c.records.sort_by(|a, b| a.path.cmp(&b.path));
        c.unread.extend(
            self.unread
                .iter()
                .filter(|u| !changed.contains(&u.path))
                .cloned(),
        );
        c.unread.sort_by(|a, b| a.path.cmp(&b.path));
        c.files = c.records.len();
        c.reindex();
        // The changed files may hold a plan: the criteria in force are those of the whole set.
        c.risk = crate::risk_plan::InForce::resolve(&c.records, &c.config);
        c
    }

    /// Replaces, in place, the records of the files `changed` (paths relative to the DDF root)
    /// with `files` (those of them that still exist, as read now): the language server's edit of
    /// a record costs one parse, not a copy of the corpus. The findings about the changed files
    /// are replaced too; those about other files stand. Exact while the risk criteria in force
    /// stay the same (the caller reloads everything when a document changes).
    pub fn replace_files(
        &mut self,
        changed: &std::collections::BTreeSet<String>,
        files: Vec<crate::source::SourceFile>,
    ) {
        let fresh = Corpus::from_files(self.source.clone(), self.config.clone(), Vec::new(), files);
        self.records.retain(|r| !changed.contains(&r.path));
        self.diagnostics.retain(|d| !changed.contains(&d.path));
        self.unread.retain(|u| !changed.contains(&u.path));
        self.records.extend(fresh.records);
        self.diagnostics.extend(fresh.diagnostics);
        self.unread.extend(fresh.unread);
        self.records.sort_by(|a, b| a.path.cmp(&b.path));
        self.unread.sort_by(|a, b| a.path.cmp(&b.path));
        self.files = self.records.len();
        self.reindex();
        self.risk = crate::risk_plan::InForce::resolve(&self.records, &self.config);
    }

    /// The record with id `id`.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.by_id.get(id).map(|&i| &self.records[i])
    }

    /// The file that could not be read as a record but has id `id` (the first in path order).
    pub fn unread_with_id(&self, id: &str) -> Option<&Unread> {
        self.unread_index(id).map(|i| &self.unread[i])
    }

    /// The index in [`Corpus::unread`] of [`Corpus::unread_with_id`].
    pub fn unread_index(&self, id: &str) -> Option<usize> {
        self.unread_by_id.get(id).copied()
    }

    /// Indices of every record with id `id`, in path order: more than one when the id is
    /// duplicated (`duplicate-id`), and links resolve to the first.
    pub fn records_with_id(&self, id: &str) -> Vec<usize> {
        let Some(&first) = self.by_id.get(id) else {
            return Vec::new();
        };
        if !self.duplicated.contains(id) {
            return vec![first];
        }
        (0..self.records.len())
            .filter(|&i| self.records[i].id == id)
            .collect()
    }

    /// The ids two or more records share, each with the paths of those records (path order),
    /// sorted by id.
    pub fn duplicate_ids(&self) -> std::collections::BTreeMap<&str, Vec<&str>> {
        let mut all: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        if self.duplicated.is_empty() {
            return all;
        }
        for r in &self.records {
            if self.duplicated.contains(&r.id) {
                all.entry(r.id.as_str()).or_default().push(r.path.as_str());
            }
        }
        all.retain(|_, paths| paths.len() > 1);
        all
    }

    /// Indices of the records of a type, in path order.
    pub fn records_of(&self, type_name: &str) -> &[usize] {
        self.by_type.get(type_name).map_or(&[], Vec::as_slice)
    }

    /// The type name of the record with index `i`.
    pub fn type_of(&self, i: usize) -> &str {
        &self.records[i].type_name
    }
}

#[cfg(test)]
mod tests {
    use super::Unread;

    #[test]
    fn dropping_positions_keeps_the_records_and_frees_their_key_indexes() {
        let mut corpus = crate::rules::testing::corpus(
            "project: t\n",
            &[(
                "records/UN-001.md".to_string(),
                "---\nid: UN-001\ntype: user-need\ntitle: One\nstatus: draft\nsource: [UN-002]\n---\nBody.\n".to_string(),
            )],
        );
        let before = corpus.records[0].clone();
        assert!(before.index.value_pos("title").is_some());
        corpus.drop_positions();
        let r = &corpus.records[0];
        assert!(r.index.keys().len() == 0 && r.index.value_pos("title").is_none());
        assert_eq!(
            (&r.id, &r.fields, &r.body),
            (&before.id, &before.fields, &before.body)
        );
        assert_eq!(corpus.index_of(r), Some(0));
    }

    #[test]
    fn names_follow_the_records_and_index_of_finds_only_the_corpus_own() {
        let file = |id: &str, title: &str| {
            (
                format!("records/{id}.md"),
                format!("---\nid: {id}\ntype: user-need\ntitle: {title}\nstatus: draft\n---\n"),
            )
        };
        let mut corpus = crate::rules::testing::corpus(
            "project: t\n",
            &[file("UN-001", "First"), file("UN-002", "Second")],
        );
        for (i, r) in corpus.records.iter().enumerate() {
            assert_eq!(corpus.index_of(r), Some(i));
            assert_eq!(&*corpus.name(i).id, r.id);
        }
        let copy = corpus.records[1].clone();
        assert_eq!(
            corpus.index_of(&copy),
            None,
            "an equal record elsewhere is not one of them"
        );
        assert_eq!(&*corpus.name(1).title, "Second");
        assert_eq!(&*corpus.name(1).status, "draft");
        // Replacing a file renames its record: the names are made again.
        let (path, _) = file("UN-002", "");
        corpus.replace_files(
            &[path.clone()].into_iter().collect(),
            vec![crate::source::SourceFile {
                path,
                content: Ok(file("UN-002", "Renamed").1.into_bytes()),
            }],
        );
        assert_eq!(&*corpus.name(1).title, "Renamed");
    }

    #[test]
    fn an_unread_file_keeps_its_id_and_the_ids_it_names() {
        let u = Unread::recover(
            "records/v/VER-011.md",
            Some(b"---\nid: VER-011\ntitle: [broken\nverifies: [DI-007, RC-005]\n---\nSee DI-007, DI-0071.\n"),
        );
        assert_eq!(u.id.as_deref(), Some("VER-011"));
        assert_eq!(u.names, ["DI-007", "DI-0071", "RC-005"]);
        let by_name = Unread::recover("records/UN-004.md", Some(b"no front-matter"));
        assert_eq!(by_name.id.as_deref(), Some("UN-004"));
        assert_eq!(Unread::recover("records/notes.md", None).id, None);
        assert_eq!(
            Unread::recover("records/UN-002.MD", None).id.as_deref(),
            Some("UN-002")
        );
    }
}
