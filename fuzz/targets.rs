//! The in-process targets: the library code paths the commands run, called on one mutated input
//! with panics caught. A DDF is served from memory ([`MemSource`]) through the same
//! [`ddf::source::Source`] interface `ddf check` reads the working tree with.

use crate::case::{Case, Kind};
use crate::seeds::{Files, Seeds};
use ddf::corpus::Corpus;
use ddf::date::Date;
use ddf::graph::Graph;
use ddf::sbom::{self, Component, ReadOptions};
use ddf::source::{ReadIssue, Source, SourceError, SourceFile};
use ddf::vuln::kev::Kev;
use ddf::vuln::osv::{self, Advisory, Database};
use ddf::vuln::osv_head;
use ddf::vuln::scan::{scan, Target};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The date every in-process check runs on (the integration tests' `DDF_TODAY`), so a seed gives
/// the same findings whatever the day.
pub(crate) const TODAY: &str = "2026-06-01";

/// A DDF held in memory.
pub(crate) struct MemSource<'a> {
    /// Its files.
    pub(crate) files: &'a Files,
}

/// The records folder `dir` of ddf.yaml as a path prefix, if it stays inside the DDF: `""` for
/// the root itself, `records/` for `records`. `None` for an absolute path or one with `..`: ddf
/// reads only inside the repository and refuses such a folder.
pub(crate) fn records_prefix(dir: &str) -> Option<String> {
    if dir.starts_with('/') || dir.contains('\\') || dir.contains('\0') {
        return None;
    }
    let mut parts = Vec::new();
    for p in dir.split('/') {
        match p {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p),
        }
    }
    Some(parts.iter().map(|p| format!("{p}/")).collect())
}

/// The record files of `files` below `dir`, as the working-tree source lists them: `*.md`, no
/// hidden file or folder on the way.
pub(crate) fn record_paths<'f>(files: &'f Files, dir: &str) -> Option<Vec<&'f String>> {
    let prefix = records_prefix(dir)?;
    Some(
        files
            .keys()
            .filter(|p| p.starts_with(&prefix) && p.ends_with(".md"))
            .filter(|p| p[prefix.len()..].split('/').all(|c| !c.starts_with('.')))
            .collect(),
    )
}

impl Source for MemSource<'_> {
    fn describe(&self) -> String {
        "worktree".into()
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        Ok(self.files.get(path).cloned())
    }

    fn records_where(
        &self,
        dir: &str,
        keep: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<Vec<SourceFile>, SourceError> {
        let prefix = records_prefix(dir).unwrap_or_else(|| "\0".into());
        if !prefix.is_empty() && !self.files.keys().any(|p| p.starts_with(&prefix)) {
            return Err(SourceError::NoRecords(dir.into()));
        }
        Ok(record_paths(self.files, dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| keep(p))
            .map(|p| {
                let bytes = &self.files[p];
                let content = if bytes.len() as u64 > ddf::source::MAX_FILE {
                    Err(ReadIssue {
                        message: "too large".into(),
                        hint: String::new(),
                        warning: false,
                    })
                } else {
                    Ok(bytes.clone())
                };
                SourceFile {
                    path: p.clone(),
                    content,
                }
            })
            .collect())
    }
}

/// What the targets share: the example DDF loaded, the seed advisories indexed, the components
/// of the seed SBOMs to scan.
pub(crate) struct Ctx {
    /// [`TODAY`].
    pub(crate) today: Date,
    /// A copy of the example DDF on disk, outside any Git repository (`sbom import` reads the
    /// records it updates from disk).
    pub(crate) example_root: PathBuf,
    /// The example, loaded.
    example: Corpus,
    /// The components of the seed SBOMs.
    components: Vec<Component>,
    /// What a scan matches: the example's CMP records and the seed SBOMs' components.
    targets: Vec<Target>,
    /// The seed advisories.
    advisories: Vec<Advisory>,
    /// Them, indexed.
    db: Database,
    /// The whole KEV catalogue.
    kev: Kev,
    /// The example's SBOM options.
    read_opts: ReadOptions,
    /// The example's SBOM of release REL-002, read: what `sbom import` brings into a mutated
    /// DDF.
    example_sbom: sbom::Sbom,
    /// A scratch folder for the targets that read a DDF from disk.
    scratch: PathBuf,
    /// The example's ddf.yaml, and it parsed: most inputs keep it, and parsing it (with the
    /// built-in schema it layers on) would take a third of their time.
    config: (
        Vec<u8>,
        ddf::config::Config,
        Vec<ddf::diagnostic::Diagnostic>,
    ),
}

fn write_files(root: &Path, files: &Files) -> Result<(), String> {
    for (p, b) in files {
        let path = root.join(p);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, b).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Writes `files` into the empty or missing folder `root`.
pub(crate) fn materialise(root: &Path, files: &Files) -> Result<(), String> {
    if root.exists() {
        std::fs::remove_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    }
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    write_files(root, files)
}

impl Ctx {
    /// Loads the seeds' context; `work` is a scratch folder outside any Git repository.
    pub(crate) fn new(seeds: &Seeds, work: &Path) -> Result<Ctx, String> {
        let today = Date::parse(TODAY).ok_or("bad TODAY")?;
        let example_root = work.join("example");
        materialise(&example_root, &seeds.example)?;
        let example = Corpus::load(&MemSource {
            files: &seeds.example,
        })
        .map_err(|e| format!("the example DDF does not load: {e}"))?;
        let read_opts = ReadOptions::from_config(&example.config);
        let mut components = Vec::new();
        for (name, bytes) in seeds.cyclonedx.iter().chain(&seeds.spdx) {
            let s = sbom::parse(bytes, name, &read_opts)
                .map_err(|e| format!("seed SBOM {name} does not parse: {e}"))?;
            components.extend(s.components);
        }
        let mut targets: Vec<Target> = example
            .records_of("component")
            .iter()
            .map(|&i| Target::from_record(&example.records[i]))
            .collect();
        targets.extend(components.iter().map(|c| Target::from_component(c, &[])));
        let advisories = seeds
            .osv
            .iter()
            .map(|(n, b)| osv::parse(b, n).map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let db = Database::from_advisories(advisories.clone());
        let kev = Kev::parse(&seeds.kev, "kev.json")?;
        let config_bytes = seeds.example.get("ddf.yaml").cloned().unwrap_or_default();
        let (config, diags) = Corpus::read_config(&MemSource {
            files: &seeds.example,
        })
        .map_err(|e| e.to_string())?;
        let sbom_path = "sboms/aip-100-fw-2.1.0.cdx.json";
        let example_sbom = sbom::parse(
            seeds.example.get(sbom_path).map_or(&[][..], Vec::as_slice),
            sbom_path,
            &read_opts,
        )
        .map_err(|e| format!("{sbom_path}: {e}"))?;
        Ok(Ctx {
            example_sbom,
            scratch: work.join("in-process"),
            config: (config_bytes, config, diags),
            today,
            example_root,
            example,
            components,
            targets,
            advisories,
            db,
            kev,
            read_opts,
        })
    }
}

/// The last panic's message and place, with a backtrace; set by the hook [`install_hook`].
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replaces the panic hook: panics are recorded for the report instead of printed.
pub(crate) fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let at = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let bt = std::backtrace::Backtrace::force_capture();
        if let Ok(mut slot) = LAST_PANIC.lock() {
            // The first panic is the cause; a panic while unwinding it is not.
            if slot.is_none() {
                *slot = Some(format!("panicked at {at}: {msg}\n{bt}"));
            }
        }
    }));
}

/// Why an input failed.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// `panic`, `hang`, `memory`, `json`, `missing-record`, `exit`, `nondeterministic`,
    /// `osv-head`.
    pub(crate) what: &'static str,
    /// The details: message, backtrace, command.
    pub(crate) detail: String,
}

impl Failure {
    pub(crate) fn new(what: &'static str, detail: impl Into<String>) -> Self {
        Failure {
            what,
            detail: detail.into(),
        }
    }

    /// The first line of the details.
    pub(crate) fn headline(&self) -> &str {
        self.detail.lines().next().unwrap_or("")
    }
}

/// Runs `f`, turning a panic into a [`Failure`].
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    if let Ok(mut slot) = LAST_PANIC.lock() {
        *slot = None;
    }
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => {
            let detail = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut s| s.take())
                .unwrap_or_else(|| "panicked".into());
            Err(Failure::new("panic", detail))
        }
    }
}

/// The shape of a message: digits and quoted parts blanked, so `line 3` and `line 4` are one
/// behaviour and a new message is a new one.
pub(crate) fn shape(s: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut digit = false;
    for c in s.chars().take(160) {
        if c == '`' {
            quoted = !quoted;
            out.push(c);
        } else if quoted {
        } else if c.is_ascii_digit() {
            if !digit {
                out.push('#');
            }
            digit = true;
            continue;
        } else {
            out.push(c);
        }
        digit = false;
    }
    out
}

/// Serialises `v` as the command's `--format json` does; a failure there is a non-JSON output.
fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<usize, Failure> {
    serde_json::to_string(v)
        .map(|s| s.len())
        .map_err(|e| Failure::new("json", format!("{what} does not serialise to JSON: {e}")))
}

/// Runs the targets of `case`; returns the behaviours seen (for the corpus to grow on).
/// `deep` also renders the site and the management review (slower).
pub(crate) fn run(case: &Case, ctx: &Ctx, deep: bool) -> Result<Vec<String>, Failure> {
    let mut features = Vec::new();
    if case.repo {
        repo(case, ctx, deep, &mut features)?;
    }
    let Some(bytes) = case.files.get(&case.target) else {
        return Ok(features);
    };
    let name = case.target.as_str();
    match case.kind {
        Kind::CycloneDx | Kind::Spdx => sbom_target(bytes, name, ctx, &mut features)?,
        Kind::Osv => osv_target(bytes, name, ctx, &mut features)?,
        Kind::Kev => kev_target(bytes, ctx, &mut features)?,
        Kind::Record | Kind::FrontMatter | Kind::Config => {}
    }
    Ok(features)
}

/// `ddf check`, `ddf export` and `ddf trace` on a DDF in memory (and, when `deep`, `ddf build`,
/// `ddf review`, `ddf impact`, `ddf vuln scan --record` and `ddf sbom import`); every record file
/// must come out as a record or be named by a finding.
fn repo(case: &Case, ctx: &Ctx, deep: bool, features: &mut Vec<String>) -> Result<(), Failure> {
    let files = &case.files;
    let src = MemSource { files };
    // The same two steps as `Corpus::load`, with the example's ddf.yaml parsed once.
    let loaded = match files.get("ddf.yaml") {
        Some(b) if *b == ctx.config.0 => {
            Corpus::load_configured(&src, ctx.config.1.clone(), ctx.config.2.clone(), &|_| true)
        }
        _ => Corpus::load(&src),
    };
    let corpus = match loaded {
        Ok(c) => c,
        Err(e) => {
            features.push(format!("load:{}", shape(&e.to_string())));
            let _ = e.hint();
            return Ok(());
        }
    };
    let graph = Graph::build(&corpus);
    let report = ddf::check::run(&corpus, &graph, ctx.today, None);
    json("the check report", &report)?;
    if report.errors + report.warnings != report.diagnostics.len() {
        return Err(Failure::new(
            "json",
            "the check report's errors and warnings do not add up to its findings",
        ));
    }
    for d in &report.diagnostics {
        features.push(format!("{}:{}", d.rule, shape(&d.message)));
    }
    let expected = record_paths(files, &corpus.config.records).unwrap_or_default();
    if corpus.files != expected.len() {
        return Err(Failure::new(
            "missing-record",
            format!(
                "{} record files in the records folder, {} read",
                expected.len(),
                corpus.files
            ),
        ));
    }
    let named: HashSet<&str> = corpus
        .records
        .iter()
        .map(|r| r.path.as_str())
        .chain(report.diagnostics.iter().map(|d| d.path.as_str()))
        .collect();
    if let Some(lost) = expected.iter().find(|p| !named.contains(p.as_str())) {
        return Err(Failure::new(
            "missing-record",
            format!("{lost} is neither a record of the check nor named by one of its findings"),
        ));
    }
    // `ddf export --format json`: every field as JSON.
    for r in &corpus.records {
        for v in r.fields.values() {
            let _ = serde_json::to_value(v);
        }
    }
    for from in ddf::trace::START_TYPES {
        if let Some(m) = ddf::trace::matrix(&corpus, &graph, from) {
            json("the trace matrix", &m)?;
        }
    }
    if deep {
        // Output is deterministic: the same DDF loaded and checked again (other hash seeds, other
        // thread timings) gives the same report, byte for byte.
        let again = Corpus::load(&src).map_err(|e| {
            Failure::new(
                "nondeterministic",
                format!("the DDF loaded once, not twice: {e}"),
            )
        })?;
        let again_report = ddf::check::run(&again, &Graph::build(&again), ctx.today, None);
        let (a, b) = (
            serde_json::to_string(&report).unwrap_or_default(),
            serde_json::to_string(&again_report).unwrap_or_default(),
        );
        if a != b {
            return Err(Failure::new(
                "nondeterministic",
                format!("the check report differs between two runs on the same DDF:\n{a}\n{b}"),
            ));
        }
        let input = ddf::site::Input::records_only(&corpus, &graph, &report);
        let templates = corpus
            .config
            .site
            .templates
            .clone()
            .unwrap_or_else(|| "templates".into());
        match ddf::site::generate(&input, &src, &templates) {
            Ok(site) => features.push(format!("site:{}", site.len().min(8))),
            Err(e) => features.push(format!("site-error:{}", shape(&e.to_string()))),
        }
        let period = ddf::review::Period::default_for(&corpus, ctx.today);
        let stamp = ddf::review::Stamp {
            commit: None,
            state: "no-git".into(),
            describe: "no-git".into(),
        };
        let snap = ddf::review::compute(&corpus, &graph, period, ctx.today, stamp);
        json("the management review", &snap)?;
        let _ = ddf::review::markdown::render(&snap);
        let _ = ddf::review::html::render(&snap);
        let schema = &corpus.config.schema;
        let _ = ddf::schema::markdown(schema);
        for t in schema.types.values() {
            let _ = ddf::schema::json_schema(schema, t);
        }
        deep_changes(case, ctx, &corpus, &graph, features)?;
    }
    Ok(())
}

/// The commands that compare or add to a DDF: `ddf impact` of the change that adds the mutated
/// file (the base derived as `ddf impact` derives it), `ddf vuln scan --record` over its CMP
/// records, `ddf sbom import --dry-run` of the example's SBOM into it.
fn deep_changes(
    case: &Case,
    ctx: &Ctx,
    corpus: &Corpus,
    graph: &Graph,
    features: &mut Vec<String>,
) -> Result<(), Failure> {
    let changed = std::collections::BTreeSet::from([case.target.clone()]);
    let base = corpus.derive("base".into(), &changed, Vec::new());
    let base_graph = Graph::build(&base);
    let impact = ddf::impact::assess(
        ddf::impact::Side {
            corpus: &base,
            graph: &base_graph,
        },
        ddf::impact::Side { corpus, graph },
        "base".into(),
        "head".into(),
        vec![case.target.clone()],
    );
    json("the impact assessment", &impact)?;
    let _ = ddf::impact::proposal_text(&impact);
    let _ = ddf::impact::rationale_text(&impact);
    let targets: Vec<Target> = corpus
        .records_of("component")
        .iter()
        .map(|&i| &corpus.records[i])
        .filter(|r| r.status() != "obsolete")
        .map(Target::from_record)
        .collect();
    let report = scan(&ctx.db, &targets, Some(&ctx.kev));
    json("the scan report", &report)?;
    scan_features(&report, features);
    let plan = ddf::vuln::record::plan(corpus, &ctx.scratch, &report, ctx.today);
    json("the VULN records plan", &plan)?;
    // `sbom import` reads the records it updates from disk.
    materialise(&ctx.scratch, &case.files).map_err(|e| Failure::new("exit", e))?;
    let opts = ddf::sbom::import::ImportOptions {
        release: Some("REL-002".into()),
        sbom_rel: Some("sboms/aip-100-fw-2.1.0.cdx.json".into()),
        sbom_name: "sboms/aip-100-fw-2.1.0.cdx.json".into(),
        today: Some(ctx.today),
    };
    match ddf::sbom::import::plan(corpus, &ctx.scratch, &ctx.example_sbom, &opts) {
        Ok(plan) => json("the import plan", &plan).map(drop)?,
        Err(e) => features.push(format!("import-error:{}", shape(&e.to_string()))),
    }
    Ok(())
}

/// `ddf sbom import --dry-run`, `ddf sbom diff` and `ddf vuln scan --sbom` on one SBOM.
fn sbom_target(
    bytes: &[u8],
    name: &str,
    ctx: &Ctx,
    features: &mut Vec<String>,
) -> Result<(), Failure> {
    let s = match sbom::parse(bytes, name, &ctx.read_opts) {
        Ok(s) => s,
        Err(e) => {
            features.push(format!("sbom-error:{}", shape(&e.to_string())));
            let _ = e.hint();
            return Ok(());
        }
    };
    json("the SBOM", &s)?;
    for w in &s.warnings {
        features.push(format!("sbom-warning:{}", shape(w)));
    }
    let opts = ddf::sbom::import::ImportOptions {
        release: Some("REL-002".into()),
        sbom_rel: Some("sboms/aip-100-fw-2.1.0.cdx.json".into()),
        sbom_name: "sboms/aip-100-fw-2.1.0.cdx.json".into(),
        today: Some(ctx.today),
    };
    match ddf::sbom::import::plan(&ctx.example, &ctx.example_root, &s, &opts) {
        Ok(plan) => {
            json("the import plan", &plan)?;
            features.push(format!(
                "import:{}:{}:{}",
                plan.added.len().min(3),
                plan.changed.len().min(3),
                plan.warnings.len().min(3)
            ));
        }
        Err(e) => {
            features.push(format!("import-error:{}", shape(&e.to_string())));
            let _ = e.hint();
        }
    }
    let d = ddf::sbom::diff::diff(&ctx.components, &s.components);
    json("the SBOM diff", &d)?;
    let targets: Vec<Target> = s
        .components
        .iter()
        .map(|c| Target::from_component(c, &s.vex))
        .collect();
    let report = scan(&ctx.db, &targets, Some(&ctx.kev));
    json("the scan report", &report)?;
    scan_features(&report, features);
    Ok(())
}

fn scan_features(report: &ddf::vuln::scan::Report, features: &mut Vec<String>) {
    for f in &report.findings {
        features.push(format!("finding:{}", f.status.as_str()));
    }
    features.push(format!(
        "not-matchable:{}",
        report.not_matchable.len().min(4)
    ));
}

/// `ddf vuln scan --osv` with one more advisory, and the VULN records `--record` would write.
fn osv_target(
    bytes: &[u8],
    name: &str,
    ctx: &Ctx,
    features: &mut Vec<String>,
) -> Result<(), Failure> {
    // The cold pass over an OSV zip reads only the head of a record it does not need whole: the
    // head must never vouch for a record the full parser refuses, nor disagree with it.
    let head = osv_head::head(bytes);
    let a = match osv::parse(bytes, name) {
        Ok(a) => a,
        Err(e) => {
            if head.is_some() {
                return Err(Failure::new(
                    "osv-head",
                    format!("the first pass vouched for a record the parser refuses: {e}"),
                ));
            }
            features.push(format!("osv-error:{}", shape(&e.message)));
            return Ok(());
        }
    };
    match head {
        Some(h) if h != osv_head::Head::of(&a) => {
            return Err(Failure::new(
                "osv-head",
                format!(
                    "the first pass read {h:?}, the parser {:?}",
                    osv_head::Head::of(&a)
                ),
            ))
        }
        Some(_) => features.push("osv-head:vouched".into()),
        None => features.push("osv-head:parsed".into()),
    }
    json("the advisory", &a)?;
    let mut all = ctx.advisories.clone();
    all.push(a);
    let db = Database::from_advisories(all);
    let report = scan(&db, &ctx.targets, Some(&ctx.kev));
    json("the scan report", &report)?;
    scan_features(&report, features);
    let plan = ddf::vuln::record::plan(&ctx.example, &ctx.example_root, &report, ctx.today);
    json("the VULN records plan", &plan)?;
    Ok(())
}

/// `ddf vuln scan --kev` with the catalogue given.
fn kev_target(bytes: &[u8], ctx: &Ctx, features: &mut Vec<String>) -> Result<(), Failure> {
    let kev = match Kev::parse(bytes, "kev.json") {
        Ok(k) => k,
        Err(e) => {
            features.push(format!("kev-error:{}", shape(&e)));
            return Ok(());
        }
    };
    let report = scan(&ctx.db, &ctx.targets, Some(&kev));
    json("the scan report", &report)?;
    scan_features(&report, features);
    Ok(())
}
