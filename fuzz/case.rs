//! A case: one mutated input, either a small DDF (ddf.yaml, a mutated record or configuration,
//! the records it names, a few more) or one file (an SBOM, an advisory, the KEV catalogue); and
//! the generator that makes them from the seeds and from the inputs that showed a new behaviour.

use crate::mutate::{self, Env, Limits, Syntax};
use crate::rng::Rng;
use crate::seeds::{Files, Seeds};
use std::collections::BTreeMap;

/// What is fuzzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// A whole record file.
    Record,
    /// The YAML front-matter of a record only.
    FrontMatter,
    /// `ddf.yaml`.
    Config,
    /// A CycloneDX JSON SBOM.
    CycloneDx,
    /// An SPDX SBOM: 2.x JSON or tag-value, or 3.0 JSON-LD.
    Spdx,
    /// An OSV advisory.
    Osv,
    /// The CISA KEV catalogue.
    Kev,
}

impl Kind {
    /// Every kind with how often it is drawn.
    pub(crate) const WEIGHTED: &'static [(Kind, usize)] = &[
        (Kind::Record, 4),
        (Kind::FrontMatter, 4),
        (Kind::Config, 2),
        (Kind::CycloneDx, 2),
        (Kind::Spdx, 1),
        (Kind::Osv, 2),
        (Kind::Kev, 1),
    ];

    /// Its name on the command line and in crash folders.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Record => "record",
            Kind::FrontMatter => "front-matter",
            Kind::Config => "config",
            Kind::CycloneDx => "cyclonedx",
            Kind::Spdx => "spdx",
            Kind::Osv => "osv",
            Kind::Kev => "kev",
        }
    }

    /// The kind named `s`.
    pub(crate) fn parse(s: &str) -> Option<Kind> {
        Kind::WEIGHTED
            .iter()
            .map(|(k, _)| *k)
            .find(|k| k.name() == s)
    }
}

/// One input.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// What was mutated.
    pub(crate) kind: Kind,
    /// `files` is a DDF (true) or the one file `target` (false).
    pub(crate) repo: bool,
    /// The files.
    pub(crate) files: Files,
    /// The mutated file.
    pub(crate) target: String,
    /// For a DDF run through the binary: the message of a commit that adds `target` on top of a
    /// commit of the other files (trailers such as `Approve:` and `Signer:` are read by ddf).
    pub(crate) message: Option<Vec<u8>>,
}

/// Makes cases; keeps the inputs that showed a new behaviour to mutate them further.
pub(crate) struct Generator<'s> {
    seeds: &'s Seeds,
    limits: Limits,
    /// The kinds drawn from.
    kinds: Vec<(Kind, usize)>,
    /// Inputs that showed a new behaviour, per kind: (path, bytes).
    pool: BTreeMap<Kind, Vec<(String, Vec<u8>)>>,
    /// Behaviours seen.
    seen: std::collections::HashSet<String>,
}

const POOL_MAX: usize = 400;
/// Inputs larger than this are not kept for further mutation: they are slow, and the bugs they
/// find are mostly about size, which the mutations reach again anyway.
const POOL_FILE_MAX: usize = 64 * 1024;

impl<'s> Generator<'s> {
    pub(crate) fn new(seeds: &'s Seeds, limits: Limits, only: &[Kind]) -> Self {
        let kinds = Kind::WEIGHTED
            .iter()
            .copied()
            .filter(|(k, _)| only.is_empty() || only.contains(k))
            .collect();
        Generator {
            seeds,
            limits,
            kinds,
            pool: BTreeMap::new(),
            seen: Default::default(),
        }
    }

    /// Number of inputs kept and behaviours seen.
    pub(crate) fn sizes(&self) -> (usize, usize) {
        (self.pool.values().map(Vec::len).sum(), self.seen.len())
    }

    fn pick_kind(&self, rng: &mut Rng) -> Kind {
        let total: usize = self.kinds.iter().map(|(_, w)| w).sum();
        let mut n = rng.below(total);
        for (k, w) in &self.kinds {
            if n < *w {
                return *k;
            }
            n -= w;
        }
        Kind::Record
    }

    /// A starting point for `kind`: an input from the pool (a third of the time, when there is one)
    /// or a seed.
    fn base(&self, rng: &mut Rng, kind: Kind) -> (String, Vec<u8>) {
        if let Some(pool) = self.pool.get(&kind).filter(|p| !p.is_empty()) {
            if rng.one_in(3) {
                if let Some(x) = rng.pick(pool) {
                    return x.clone();
                }
            }
        }
        let s = self.seeds;
        let one = |rng: &mut Rng, v: &[(String, Vec<u8>)]| {
            rng.pick(v)
                .cloned()
                .unwrap_or_else(|| ("input.json".into(), b"{}".to_vec()))
        };
        match kind {
            Kind::Record | Kind::FrontMatter => {
                let p = rng.pick(&s.records).cloned().unwrap_or_default();
                let b = s.example.get(&p).cloned().unwrap_or_default();
                (p, b)
            }
            Kind::Config => (
                "ddf.yaml".into(),
                rng.pick(&s.configs).cloned().unwrap_or_default(),
            ),
            Kind::CycloneDx => one(rng, &s.cyclonedx),
            Kind::Spdx => one(rng, &s.spdx),
            Kind::Osv => one(rng, &s.osv),
            Kind::Kev => {
                let b = if rng.one_in(40) {
                    s.kev.clone()
                } else {
                    rng.pick(&s.kev_slices).cloned().unwrap_or_default()
                };
                ("known_exploited_vulnerabilities.json".into(), b)
            }
        }
    }

    /// The next case; a DDF gets a commit message one time in four (used when the binary runs
    /// on it).
    pub(crate) fn next(&self, rng: &mut Rng) -> Case {
        let mut case = self.next_input(rng);
        if case.repo && rng.one_in(4) {
            case.message = Some(self.message(rng));
        }
        case
    }

    /// A commit message with the trailers ddf reads, mutated.
    fn message(&self, rng: &mut Rng) -> Vec<u8> {
        let d = &self.seeds.dict;
        let id = |rng: &mut Rng, prefix: &str| {
            let of: Vec<&String> = d.ids.iter().filter(|i| i.starts_with(prefix)).collect();
            rng.pick(&of)
                .map_or_else(|| format!("{prefix}001"), |s| s.to_string())
        };
        let (cr, per, rec) = (id(rng, "CR-"), id(rng, "PER-"), id(rng, "DI-"));
        let mut text = format!(
            "Change {rec} under {cr}\n\nBody of the change.\n\nChange-Request: {cr}\nApprove: {cr}\nApproves: {rec}, {rec}@{}\nSigner: {per}\nSignature-Meaning: approval\n",
            "0123456789abcdef0123456789abcdef01234567"
        )
        .into_bytes();
        let env = Env {
            dict: d,
            limits: &self.limits,
            splice: &[],
        };
        mutate::mutate(rng, &mut text, Syntax::Yaml, &env);
        text.retain(|&b| b != 0);
        text
    }

    fn next_input(&self, rng: &mut Rng) -> Case {
        let kind = self.pick_kind(rng);
        let (path, mut bytes) = self.base(rng, kind);
        let splice: Vec<&[u8]> = match kind {
            Kind::Record | Kind::FrontMatter | Kind::Config => (0..4)
                .filter_map(|_| rng.pick(&self.seeds.records))
                .filter_map(|p| self.seeds.example.get(p))
                .map(Vec::as_slice)
                .collect(),
            Kind::CycloneDx | Kind::Spdx => self
                .seeds
                .cyclonedx
                .iter()
                .chain(&self.seeds.spdx)
                .map(|(_, b)| b.as_slice())
                .collect(),
            Kind::Osv | Kind::Kev => self.seeds.osv.iter().map(|(_, b)| b.as_slice()).collect(),
        };
        let env = Env {
            dict: &self.seeds.dict,
            limits: &self.limits,
            splice: &splice,
        };
        match kind {
            Kind::Record => mutate::mutate(rng, &mut bytes, Syntax::Record, &env),
            Kind::FrontMatter => match mutate::front_matter_range(&bytes) {
                Some((a, b)) => {
                    let mut yaml = bytes[a..b].to_vec();
                    mutate::mutate(rng, &mut yaml, Syntax::Yaml, &env);
                    bytes.splice(a..b, yaml);
                }
                None => mutate::mutate(rng, &mut bytes, Syntax::Yaml, &env),
            },
            Kind::Config => mutate::mutate(rng, &mut bytes, Syntax::Yaml, &env),
            _ => mutate::mutate(rng, &mut bytes, Syntax::Json, &env),
        }
        match kind {
            Kind::Record | Kind::FrontMatter => self.record_case(rng, kind, path, bytes, &env),
            Kind::Config => {
                let mut files = if rng.one_in(16) {
                    self.seeds.example.clone()
                } else {
                    self.sample(rng)
                };
                files.insert("ddf.yaml".into(), bytes);
                Case {
                    kind,
                    repo: true,
                    files,
                    target: "ddf.yaml".into(),
                    message: None,
                }
            }
            Kind::CycloneDx if rng.one_in(10) => {
                // The SBOM a release names, read by the `sbom-reconciled` rule.
                let target = "sboms/aip-100-fw-2.1.0.cdx.json".to_string();
                let mut files = self.seeds.example.clone();
                files.insert(target.clone(), bytes);
                Case {
                    kind,
                    repo: true,
                    files,
                    target,
                    message: None,
                }
            }
            _ => {
                let name = path.rsplit('/').next().unwrap_or("input.json").to_string();
                Case {
                    kind,
                    repo: false,
                    files: Files::from([(name.clone(), bytes)]),
                    target: name,
                    message: None,
                }
            }
        }
    }

    /// ddf.yaml, the records the ids in `text` name, and up to `extra` more.
    fn neighbourhood(&self, rng: &mut Rng, text: &[u8], extra: usize) -> Files {
        let s = self.seeds;
        let mut files = Files::new();
        if let Some(c) = s.example.get("ddf.yaml") {
            files.insert("ddf.yaml".into(), c.clone());
        }
        let text = String::from_utf8_lossy(text);
        for token in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if let Some(p) = s.path_of.get(token) {
                if let Some(b) = s.example.get(p) {
                    files.insert(p.clone(), b.clone());
                }
            }
        }
        for _ in 0..rng.below(extra + 1) {
            if let Some(p) = rng.pick(&s.records) {
                if let Some(b) = s.example.get(p) {
                    files.insert(p.clone(), b.clone());
                }
            }
        }
        files
    }

    /// ddf.yaml and one record of each type (with the records they name): every rule has
    /// something to read, at a tenth of the example's size. What a configuration changes shows.
    fn sample(&self, rng: &mut Rng) -> Files {
        let s = self.seeds;
        let mut picked = Vec::new();
        for paths in s.of_type.values() {
            if let Some(b) = rng.pick(paths).and_then(|p| s.example.get(p)) {
                picked.extend_from_slice(b);
                picked.push(b'\n');
            }
        }
        self.neighbourhood(rng, &picked, 4)
    }

    fn record_case(
        &self,
        rng: &mut Rng,
        kind: Kind,
        path: String,
        bytes: Vec<u8>,
        env: &Env<'_>,
    ) -> Case {
        let mut files = if rng.one_in(32) {
            self.seeds.example.clone()
        } else {
            self.neighbourhood(rng, &bytes, 6)
        };
        let target = if rng.one_in(12) {
            let renamed = mutate::rename(rng, &path, env);
            if rng.one_in(2) {
                files.remove(&path);
            }
            renamed
        } else {
            path
        };
        files.insert(target.clone(), bytes);
        Case {
            kind,
            repo: true,
            files,
            target,
            message: None,
        }
    }

    /// Records the behaviours `features` of `case`; keeps its input if one of them is new.
    pub(crate) fn learn(&mut self, case: &Case, features: Vec<String>) {
        let mut new = false;
        for f in features {
            if !self.seen.contains(&f) {
                self.seen.insert(f);
                new = true;
            }
        }
        let Some(bytes) = case.files.get(&case.target) else {
            return;
        };
        if !new || bytes.len() > POOL_FILE_MAX {
            return;
        }
        let pool = self.pool.entry(case.kind).or_default();
        let item = (case.target.clone(), bytes.clone());
        if pool.len() < POOL_MAX {
            pool.push(item);
        } else {
            // Deterministic replacement: the slot follows from the pool's history.
            let slot = self.seen.len() % POOL_MAX;
            pool[slot] = item;
        }
    }
}
