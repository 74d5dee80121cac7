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
        let parsed: Vec<(Option<Record>, Vec<Diagnostic>)> = files
            .into_par_iter()
            .map(|f| match f.content {
                Err(issue) => {
                    let rule = if crate::source::misnamed_record(&f.path) {
                        "file-extension"
                    } else {
                        "io"
                    };
                    let mut d = Diagnostic::new(rule, f.path, issue.message).hint(issue.hint);
                    if issue.warning {
                        d = d.severity(crate::diagnostic::Severity::Warning);
                    }
                    (None, vec![d])
                }
                Ok(bytes) => {
                    let p = record::parse(&f.path, &bytes);
                    (p.record, p.diagnostics)
                }
            })
            .collect();
        let mut records = Vec::with_capacity(parsed.len());
        for (r, d) in parsed {
            diagnostics.extend(d);
            records.extend(r);
        }
        // The criteria in force come from the approved plans among the records, and decide the
        // range of every level field: resolve them before validating.
        let risk = crate::risk_plan::InForce::resolve(&records, &config);
        let validated: Vec<Vec<Diagnostic>> = records
            .par_iter_mut()
            .map(|r| structure::validate_record(r, &config, &risk.policy))
            .collect();
        diagnostics.extend(validated.into_iter().flatten());
        let mut corpus = Corpus {
            source,
            config,
            records,
            by_id: HashMap::default(),
            by_type: HashMap::default(),
            diagnostics,
            files: n_files,
            risk,
            attachments: Default::default(),
        };
        corpus.reindex();
        corpus
    }

    fn reindex(&mut self) {
        let mut by_id = HashMap::with_capacity_and_hasher(self.records.len(), Default::default());
        let mut by_type: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, r) in self.records.iter().enumerate() {
            if !r.id.is_empty() {
                by_id.entry(r.id.clone()).or_insert(i);
            }
            by_type.entry(r.type_name.clone()).or_default().push(i);
        }
        self.by_id = by_id;
        self.by_type = by_type;
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
        c.files = c.records.len();
        c.reindex();
        // The changed files may hold a plan: the criteria in force are those of the whole set.
        c.risk = crate::risk_plan::InForce::resolve(&c.records, &c.config);
        c
    }

    /// The record with id `id`.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.by_id.get(id).map(|&i| &self.records[i])
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
