//! OSV advisories read from disk (one JSON file, a folder of them, or an osv.dev ecosystem
//! export zip such as `PyPI/all.zip`), indexed by ecosystem and normalised package name so a
//! scan looks up each component once instead of testing every advisory.

use super::version::Order;
use crate::sbom::json::{Node, ShapeError};
use crate::sbom::purl::pep503;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Largest single OSV file or zip entry ddf reads (advisories are kilobytes).
pub(crate) const MAX_RECORD: u64 = 64 * 1024 * 1024;
/// Most entries ddf reads from one zip (the largest osv.dev export has a few hundred thousand).
pub(crate) const MAX_ZIP_ENTRIES: usize = 2_000_000;

/// A range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// First affected version (inclusive); `0` means all.
    Introduced(String),
    /// First fixed version (exclusive).
    Fixed(String),
    /// Last affected version (inclusive).
    LastAffected(String),
    /// Upper limit of the range (exclusive).
    Limit(String),
}

impl Event {
    /// The version the event names.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// A range of `affected[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Range {
    /// `SEMVER`, `ECOSYSTEM` or `GIT`.
    pub kind: String,
    /// Events in file order.
    pub events: Vec<Event>,
}

/// One `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Affected {
    /// `package.ecosystem`.
    pub ecosystem: String,
    /// `package.name`.
    pub name: String,
    /// Ranges.
    pub ranges: Vec<Range>,
    /// Explicitly listed versions.
    pub versions: Vec<String>,
    /// `affected[].severity` vectors (type, score).
    pub severity: Vec<(String, String)>,
}

/// One advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advisory {
    /// `id`.
    pub id: String,
    /// `aliases`: the same vulnerability under other ids.
    pub aliases: Vec<String>,
    /// `related`: other vulnerabilities it relates to.
    pub related: Vec<String>,
    /// `withdrawn` date-time, when the advisory was withdrawn.
    pub withdrawn: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `published`.
    pub published: Option<String>,
    /// `severity[]` (type, score vector).
    pub severity: Vec<(String, String)>,
    /// `affected[]`.
    pub affected: Vec<Affected>,
    /// The file (or zip entry) it was read from.
    pub source: String,
}

/// An advisory that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct OsvError {
    /// File or `zip!entry`.
    pub source_name: String,
    /// What is wrong, with the JSON path.
    pub message: String,
}

/// Parses one OSV JSON document.
pub fn parse(bytes: &[u8], source: &str) -> Result<Advisory, OsvError> {
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let text = String::from_utf8_lossy(bytes);
        OsvError {
            source_name: source.into(),
            message: format!(
                "line {} column {} ({}): not valid JSON: {}",
                e.line(),
                e.column(),
                crate::sbom::json::path_at(&text, e.line(), e.column()),
                e.to_string().split(" at line ").next().unwrap_or_default()
            ),
        }
    })?;
    read(&Node::root(&v), source).map_err(|e| OsvError {
        source_name: source.into(),
        message: e.to_string(),
    })
}

fn severities(n: &Node<'_>) -> Result<Vec<(String, String)>, ShapeError> {
    let mut out = Vec::new();
    for s in n.opt_items("severity")? {
        s.expect_object()?;
        // An empty or null vector is kept as empty: the scan reports it, naming the advisory,
        // rather than refusing the whole database or scoring it silently as nothing.
        out.push((
            s.req_str("type")?.to_string(),
            s.opt_str("score")?.unwrap_or("").trim().to_string(),
        ));
    }
    Ok(out)
}

fn read(root: &Node<'_>, source: &str) -> Result<Advisory, ShapeError> {
    root.expect_object()?;
    let id = root.req_str("id")?.trim().to_string();
    let mut affected = Vec::new();
    for a in root.opt_items("affected")? {
        a.expect_object()?;
        let (ecosystem, name) = match a.get("package") {
            Some(p) => {
                p.expect_object()?;
                (
                    p.opt_str("ecosystem")?.unwrap_or("").to_string(),
                    p.opt_str("name")?.unwrap_or("").to_string(),
                )
            }
            None => (String::new(), String::new()),
        };
        let mut ranges = Vec::new();
        for r in a.opt_items("ranges")? {
            r.expect_object()?;
            let kind = r.req_str("type")?.to_string();
            let mut events = Vec::new();
            for e in r.opt_items("events")? {
                e.expect_object()?;
                let ev = if let Some(v) = e.opt_str("introduced")? {
                    Event::Introduced(v.to_string())
                } else if let Some(v) = e.opt_str("fixed")? {
                    Event::Fixed(v.to_string())
                } else if let Some(v) = e.opt_str("last_affected")? {
                    Event::LastAffected(v.to_string())
                } else if let Some(v) = e.opt_str("limit")? {
                    Event::Limit(v.to_string())
                } else {
                    return Err(
                        e.error("an event needs one of introduced, fixed, last_affected, limit")
                    );
                };
                events.push(ev);
            }
            ranges.push(Range { kind, events });
        }
        affected.push(Affected {
            ecosystem,
            name,
            ranges,
            versions: a
                .opt_strings("versions")?
                .into_iter()
                .map(String::from)
                .collect(),
            severity: severities(&a)?,
        });
    }
    let strings = |k: &str| -> Result<Vec<String>, ShapeError> {
        Ok(root
            .opt_strings(k)?
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect())
    };
    Ok(Advisory {
        aliases: strings("aliases")?,
        related: strings("related")?,
        withdrawn: root.opt_str("withdrawn")?.map(String::from),
        summary: root.opt_str("summary")?.map(|s| s.trim().to_string()),
        published: root.opt_str("published")?.map(String::from),
        severity: severities(root)?,
        affected,
        source: source.into(),
        id,
    })
}

/// The name an ecosystem's advisories are looked up by: PEP 503 for PyPI, lower case where the
/// registry is case-insensitive, as written elsewhere.
pub fn index_name(ecosystem: &str, name: &str) -> String {
    match ecosystem {
        "PyPI" => pep503(name),
        "npm" | "crates.io" | "NuGet" | "Packagist" | "Hex" | "Pub" => name.to_lowercase(),
        _ => name.to_string(),
    }
}

/// The ecosystem without its release suffix (`Debian:12` -> `Debian`).
pub fn ecosystem_base(e: &str) -> &str {
    e.split(':').next().unwrap_or(e)
}

/// The key advisories are indexed and looked up by: (ecosystem base, [`index_name`]).
pub fn key(ecosystem: &str, name: &str) -> (String, String) {
    let eco = ecosystem_base(ecosystem);
    (eco.to_string(), index_name(eco, name))
}

/// The alias group of each of `items` (id, aliases), in their order: union-find over ids and
/// aliases (not `related`: a related advisory is another vulnerability). A group is numbered by
/// the first id or alias of it met, so the numbers depend only on the items and their order.
pub(crate) fn alias_groups<'a>(items: impl Iterator<Item = (&'a str, &'a [String])>) -> Vec<u32> {
    fn find(p: &mut [u32], mut x: u32) -> u32 {
        while p[x as usize] != x {
            p[x as usize] = p[p[x as usize] as usize];
            x = p[x as usize];
        }
        x
    }
    fn node<'s>(s: &'s str, ids: &mut FxHashMap<&'s str, u32>, parent: &mut Vec<u32>) -> u32 {
        *ids.entry(s).or_insert_with(|| {
            parent.push(parent.len() as u32);
            parent.len() as u32 - 1
        })
    }
    let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut parent: Vec<u32> = Vec::new();
    let mut adv_node = Vec::new();
    for (id, aliases) in items {
        let n = node(id, &mut ids, &mut parent);
        adv_node.push(n);
        for al in aliases {
            let m = node(al, &mut ids, &mut parent);
            let (ra, rb) = (find(&mut parent, n), find(&mut parent, m));
            if ra != rb {
                parent[ra.max(rb) as usize] = ra.min(rb);
            }
        }
    }
    adv_node.iter().map(|&n| find(&mut parent, n)).collect()
}

/// Advisories loaded for a scan, indexed.
#[derive(Debug, Default)]
pub struct Database {
    /// The advisories, sorted by id.
    pub advisories: Vec<Advisory>,
    /// (ecosystem base, index name) -> (advisory, affected entry).
    index: FxHashMap<(String, String), Vec<(u32, u32)>>,
    /// Alias group of each advisory (union of ids and aliases).
    group: Vec<u32>,
    /// Advisories in the whole database (more than `advisories` when it holds only those a scan
    /// needs).
    records: usize,
    /// Of which withdrawn.
    withdrawn_records: usize,
}

/// Why advisories could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A path cannot be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// What happened.
        message: String,
    },
    /// Some advisories are malformed: the scan would be incomplete.
    #[error("{} OSV record{} cannot be read; first: {}", .0.len(), if .0.len() == 1 { "" } else { "s" }, .0.first().map(|e| e.to_string()).unwrap_or_default())]
    Invalid(Vec<OsvError>),
}

pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> LoadError {
    LoadError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, LoadError> {
    let len = std::fs::metadata(path).map_err(|e| io(path, e))?.len();
    if len > MAX_RECORD {
        return Err(io(
            path,
            format!("{len} bytes is more than the {MAX_RECORD} ddf reads from one file"),
        ));
    }
    std::fs::read(path).map_err(|e| io(path, e))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| io(dir, e))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Ok(t) = e.file_type() else { continue };
        // Folder links are not followed: an export is a plain tree, and a link can loop.
        if t.is_dir() {
            collect_files(&p, out)?;
        } else if name.ends_with(".json") || name.ends_with(".zip") {
            out.push(p);
        }
    }
    Ok(())
}

fn read_zip(path: &Path) -> Result<Vec<(String, Vec<u8>)>, LoadError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let mut z = zip::ZipArchive::new(std::io::BufReader::new(f))
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
    let mut out = Vec::new();
    for i in 0..z.len() {
        let mut entry = z.by_index(i).map_err(|e| io(path, e))?;
        let name = entry.name().to_string();
        if !entry.is_file() || !name.ends_with(".json") {
            continue;
        }
        // The declared size is only a claim: read at most the bound, and refuse beyond it.
        let mut buf = Vec::with_capacity(entry.size().min(MAX_RECORD) as usize);
        (&mut entry)
            .take(MAX_RECORD + 1)
            .read_to_end(&mut buf)
            .map_err(|e| io(path, format!("{name}: {e}")))?;
        if buf.len() as u64 > MAX_RECORD {
            return Err(io(
                path,
                format!("{name}: more than {MAX_RECORD} bytes uncompressed"),
            ));
        }
        out.push((format!("{}!{name}", path.display()), buf));
    }
    Ok(out)
}

/// Sorts advisories by id (then source) and keeps the first of each id.
fn sort_dedup(advisories: &mut Vec<Advisory>) {
    advisories.sort_by(|a, b| a.id.cmp(&b.id).then(a.source.cmp(&b.source)));
    advisories.dedup_by(|a, b| a.id == b.id);
}

impl Database {
    /// Loads every advisory under `path`: a `.json` file, a `.zip` export, or a folder of
    /// either (searched recursively). Files are read and parsed in parallel.
    pub fn load(path: &Path) -> Result<Database, LoadError> {
        let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
        let files = if meta.is_dir() {
            let mut v = Vec::new();
            collect_files(path, &mut v)?;
            v
        } else {
            vec![path.to_path_buf()]
        };
        let (zips, jsons): (Vec<PathBuf>, Vec<PathBuf>) = files
            .into_iter()
            .partition(|p| p.extension().is_some_and(|e| e == "zip"));
        let mut results: Vec<Result<Advisory, OsvError>> = jsons
            .par_iter()
            .map(|p| {
                let name = p.display().to_string();
                match read_bounded(p) {
                    Ok(bytes) => parse(&bytes, &name),
                    Err(e) => Err(OsvError {
                        source_name: name,
                        message: e.to_string(),
                    }),
                }
            })
            .collect();
        for z in zips {
            let entries = read_zip(&z)?;
            results.par_extend(entries.par_iter().map(|(name, bytes)| parse(bytes, name)));
        }
        let mut advisories = Vec::with_capacity(results.len());
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(a) => advisories.push(a),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.source_name.cmp(&b.source_name));
            return Err(LoadError::Invalid(errors));
        }
        Ok(Database::from_advisories(advisories))
    }

    /// Indexes `advisories`. The same id read twice (a file and a zip) is kept once.
    pub fn from_advisories(mut advisories: Vec<Advisory>) -> Database {
        sort_dedup(&mut advisories);
        let group = alias_groups(advisories.iter().map(|a| (a.id.as_str(), &a.aliases[..])));
        let records = advisories.len();
        let withdrawn = advisories.iter().filter(|a| a.withdrawn.is_some()).count();
        Database::from_subset(advisories, group, records, withdrawn)
    }

    /// A database holding only some of the advisories of a larger one: every advisory of the
    /// larger one under each key that will be looked up, sorted by id, with their alias `group`
    /// numbers and the `records` and `withdrawn` counts of the whole. Looking up those keys gives
    /// what the whole database would give, in the same order.
    pub(crate) fn from_subset(
        advisories: Vec<Advisory>,
        group: Vec<u32>,
        records: usize,
        withdrawn: usize,
    ) -> Database {
        let mut index: FxHashMap<(String, String), Vec<(u32, u32)>> = FxHashMap::default();
        for (i, a) in advisories.iter().enumerate() {
            for (j, af) in a.affected.iter().enumerate() {
                if af.name.is_empty() {
                    continue;
                }
                index
                    .entry(key(&af.ecosystem, &af.name))
                    .or_default()
                    .push((i as u32, j as u32));
            }
        }
        Database {
            advisories,
            index,
            group,
            records,
            withdrawn_records: withdrawn,
        }
    }

    /// (advisory, affected entry) pairs for a package.
    pub fn lookup(&self, ecosystem: &str, name: &str) -> &[(u32, u32)] {
        self.index
            .get(&key(ecosystem, name))
            .map_or(&[], Vec::as_slice)
    }

    /// The alias group of advisory `i`.
    pub fn group_of(&self, i: usize) -> u32 {
        self.group.get(i).copied().unwrap_or(i as u32)
    }

    /// Number of withdrawn advisories in the whole database.
    pub fn withdrawn(&self) -> usize {
        self.withdrawn_records
    }

    /// Number of advisories in the whole database.
    pub fn records(&self) -> usize {
        self.records
    }
}

/// Whether a version is affected by one `affected[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Affected, and why (`0.3.7 in [0, 0.3.8) (SEMVER)`).
    Affected(String),
    /// Cannot be decided, and why.
    Uncertain(String),
    /// Not affected.
    NotAffected,
}

fn describe(range: &Range) -> String {
    let ev: Vec<String> = range
        .events
        .iter()
        .map(|e| match e {
            Event::Introduced(v) => format!("introduced {v}"),
            Event::Fixed(v) => format!("fixed {v}"),
            Event::LastAffected(v) => format!("last_affected {v}"),
            Event::Limit(v) => format!("limit {v}"),
        })
        .collect();
    format!("{} ({})", ev.join(", "), range.kind)
}

/// Evaluates `version` against one `affected[]` entry of ecosystem `ecosystem`, with OSV's
/// semantics: `introduced` inclusive (`0` = every version), `fixed` and `limit` exclusive,
/// `last_affected` inclusive, listed `versions` affected. SEMVER ranges use SemVer order,
/// ECOSYSTEM ranges the ecosystem's order; GIT ranges name commits and are not used.
pub fn evaluate(ecosystem: &str, version: &str, af: &Affected) -> Verdict {
    let plain = crate::sbom::plain_version(version);
    if af
        .versions
        .iter()
        .any(|v| v == version || crate::sbom::plain_version(v) == plain)
    {
        return Verdict::Affected(format!("{version} is listed in `versions`"));
    }
    let mut uncertain: Option<String> = None;
    let mut git_only = !af.ranges.is_empty();
    for range in &af.ranges {
        let order = match range.kind.as_str() {
            "SEMVER" => Some(Order::SemVer),
            "ECOSYSTEM" => Order::of_ecosystem(ecosystem),
            _ => continue,
        };
        git_only = false;
        let Some(order) = order else {
            uncertain.get_or_insert(format!(
                "ddf has no version order for ecosystem {ecosystem}, so {} cannot be evaluated",
                describe(range)
            ));
            continue;
        };
        let Some(v) = order.parse(version) else {
            uncertain.get_or_insert(format!(
                "`{version}` is not a {} version, so {} cannot be evaluated",
                order.name(),
                describe(range)
            ));
            continue;
        };
        let mut events = Vec::with_capacity(range.events.len());
        let mut bad = None;
        for e in &range.events {
            if matches!(e, Event::Introduced(x) if x == "0") {
                events.push((None, e));
                continue;
            }
            match order.parse(e.version()) {
                Some(p) => events.push((Some(p), e)),
                None => {
                    bad = Some(e.version().to_string());
                    break;
                }
            }
        }
        if let Some(b) = bad {
            uncertain.get_or_insert(format!(
                "the range bound `{b}` is not a {} version",
                order.name()
            ));
            continue;
        }
        // OSV's evaluation: events in version order (introduced 0 first); the last event at or
        // below the version decides.
        events.sort_by(|a, b| match (&a.0, &b.0) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, _) => std::cmp::Ordering::Less,
            (_, None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
        });
        let mut affected = false;
        let mut limited = false;
        for (p, e) in &events {
            let ge = p.as_ref().is_none_or(|p| v >= *p);
            match e {
                Event::Introduced(_) if ge => affected = true,
                Event::Fixed(_) if ge => affected = false,
                Event::LastAffected(_) if p.as_ref().is_some_and(|p| v > *p) => affected = false,
                Event::Limit(_) if ge => limited = true,
                _ => {}
            }
        }
        if affected && !limited {
            return Verdict::Affected(format!("{version} in {}", describe(range)));
        }
    }
    if git_only && af.versions.is_empty() && uncertain.is_none() {
        return Verdict::Uncertain("the advisory gives only GIT commit ranges and no `versions` list; ddf does not match commits".into());
    }
    uncertain.map_or(Verdict::NotAffected, Verdict::Uncertain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn af(kind: &str, events: &[Event], versions: &[&str]) -> Affected {
        Affected {
            ecosystem: "Go".into(),
            name: "x".into(),
            ranges: vec![Range {
                kind: kind.into(),
                events: events.to_vec(),
            }],
            versions: versions.iter().map(|s| s.to_string()).collect(),
            severity: Vec::new(),
        }
    }
    use Event::*;

    fn hit(eco: &str, v: &str, a: &Affected) -> bool {
        matches!(evaluate(eco, v, a), Verdict::Affected(_))
    }

    #[test]
    fn osv_range_semantics() {
        let a = af(
            "SEMVER",
            &[Introduced("0".into()), Fixed("1.3.2".into())],
            &[],
        );
        assert!(hit("Go", "v1.3.1", &a));
        assert!(!hit("Go", "v1.3.2", &a), "fixed is exclusive");
        let a = af(
            "SEMVER",
            &[Introduced("1.0.0-rc95".into()), Fixed("1.1.5".into())],
            &[],
        );
        assert!(hit("Go", "v1.0.0-rc95", &a), "introduced is inclusive");
        assert!(!hit("Go", "v1.0.0-rc94", &a));
        let a = af(
            "ECOSYSTEM",
            &[
                Introduced("3.0.0-alpha1".into()),
                LastAffected("3.0.0-beta3".into()),
            ],
            &[],
        );
        assert!(
            hit("Maven", "3.0.0-beta3", &a),
            "last_affected is inclusive"
        );
        assert!(!hit("Maven", "3.0.0", &a));
        let a = af("SEMVER", &[Introduced("0".into())], &[]);
        assert!(hit("Go", "v1.35.24", &a), "no fix: every version");
        let a = af(
            "SEMVER",
            &[Introduced("0".into()), Limit("2.0.0".into())],
            &[],
        );
        assert!(!hit("Go", "2.1.0", &a));
        // Several intervals, in any order.
        let a = af(
            "SEMVER",
            &[
                Introduced("1.58.0".into()),
                Fixed("1.58.3".into()),
                Introduced("0".into()),
                Fixed("1.56.3".into()),
            ],
            &[],
        );
        assert!(hit("Go", "v1.40.0", &a));
        assert!(!hit("Go", "v1.57.0", &a));
        assert!(hit("Go", "v1.58.1", &a));
    }

    #[test]
    fn uncertain_and_listed_versions() {
        let a = af(
            "ECOSYSTEM",
            &[Introduced("0".into()), Fixed("2.0".into())],
            &[],
        );
        assert!(matches!(
            evaluate("Go", "release-v3.13.0", &a),
            Verdict::Uncertain(_)
        ));
        assert!(matches!(evaluate("CRAN", "1.0", &a), Verdict::Uncertain(_)));
        let a = af("GIT", &[Introduced("abc".into())], &["v0.27.0"]);
        assert!(hit("OSS-Fuzz", "v0.27.0", &a));
        assert_eq!(evaluate("OSS-Fuzz", "v0.28.0", &a), Verdict::NotAffected);
        let a = af("GIT", &[Introduced("abc".into())], &[]);
        assert!(matches!(
            evaluate("OSS-Fuzz", "1.0", &a),
            Verdict::Uncertain(_)
        ));
        let a = af(
            "ECOSYSTEM",
            &[Introduced("0".into()), Fixed("not-a-version".into())],
            &[],
        );
        assert!(matches!(evaluate("Go", "1.0.0", &a), Verdict::Uncertain(_)));
    }

    #[test]
    fn bad_records_name_the_path() {
        let e = parse(br#"{"id":"X-1","affected":[{"package":{"ecosystem":"Go","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":0}]}]}]}"#, "x.json")
            .expect_err("number");
        assert_eq!(e.to_string(), "x.json: $.affected[0].ranges[0].events[0].introduced: expected a string, found a number");
        let e = parse(b"{\"id\": }", "y.json").expect_err("syntax");
        assert!(e.to_string().contains("line 1 column"), "{e}");
    }

    #[test]
    fn alias_groups() {
        let adv = |id: &str, aliases: &[&str]| Advisory {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            related: Vec::new(),
            withdrawn: None,
            summary: None,
            published: None,
            severity: Vec::new(),
            affected: Vec::new(),
            source: String::new(),
        };
        let db = Database::from_advisories(vec![
            adv("GO-2023-2153", &["GHSA-m425-mq94-257g"]),
            adv("GHSA-m425-mq94-257g", &[]),
            adv("GHSA-qppj-fm5r-hxr3", &["CVE-2023-44487"]),
        ]);
        let g = |id: &str| db.group_of(db.advisories.iter().position(|a| a.id == id).expect("id"));
        assert_eq!(g("GO-2023-2153"), g("GHSA-m425-mq94-257g"));
        assert_ne!(g("GO-2023-2153"), g("GHSA-qppj-fm5r-hxr3"));
    }
}
