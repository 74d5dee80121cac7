//! `ddf sbom import`: the SBOM's components into CMP records and their suppliers into SUP
//! records, never overwriting what a person wrote.
//!
//! Components are matched to existing CMP records by normalised purl (same version first, then
//! any version: an upgrade is a change, not a removal and an addition), then by CPE, then by
//! `sbom_ref`, then by supplier + name + version. Of a matched record ddf writes only the fields
//! it owns, the ones that come from the SBOM: `name`, `version`, `purl`, `cpe`, `sbom_ref`,
//! `source_package`, `hashes`, `license`, and `end_of_support` when the SBOM states it and the
//! record has none.
//! Everything else (origin, support level and basis, supplier links, the body, unknown fields,
//! comments) is left as it is. New records are drafts, with the fields a person must decide left
//! empty so `ddf check` lists them.

use super::edit::{self, render_record, scalar, set_fields};
use super::{Component, Identity, Sbom};
use crate::corpus::Corpus;
use crate::date::Date;
use crate::ids::{default_folder, IdAllocator};
use crate::record::{scalar_text, Record};
use crate::source::{Source, Worktree};
use serde::Serialize;
use serde_yaml::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Purl types of public package registries and forges: a component with one is open source
/// unless a person says otherwise.
const PUBLIC_PURL_TYPES: &[&str] = &[
    "npm",
    "pypi",
    "maven",
    "golang",
    "cargo",
    "gem",
    "nuget",
    "composer",
    "hex",
    "pub",
    "cran",
    "hackage",
    "github",
    "gitlab",
    "bitbucket",
    "swift",
    "cocoapods",
    "conda",
    "deb",
    "apk",
    "alpm",
    "rpm",
];

/// The CMP `source_package` value of a component: `name` or `name@version`, when the source
/// package is not the component itself.
fn source_package_text(c: &Component) -> Option<String> {
    let name = c.source_name.as_deref()?;
    let same_version = c.source_version.is_none() || c.source_version == c.version;
    if name == c.name && same_version {
        return None;
    }
    Some(match &c.source_version {
        Some(v) => format!("{name}@{v}"),
        None => name.to_string(),
    })
}

/// Options of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `--release REL`: the release whose `sbom:` list gets the file.
    pub release: Option<String>,
    /// The SBOM file's path relative to the DDF root, when it is inside it.
    pub sbom_rel: Option<String>,
    /// How the SBOM is named in the bodies of new records.
    pub sbom_name: String,
    /// Today, for the bodies of new records.
    pub today: Option<Date>,
}

/// One field a re-import changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// Field name.
    pub field: String,
    /// Value before (empty when absent).
    pub old: String,
    /// Value written.
    pub new: String,
}

/// A record the import creates.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    /// New id.
    pub id: String,
    /// Path relative to the DDF root.
    pub path: String,
    /// Component or supplier name.
    pub name: String,
    /// Version (components).
    pub version: Option<String>,
    /// Purl (components).
    pub purl: Option<String>,
    /// Supplier ids (components).
    pub supplier: Vec<String>,
    /// The component's place in the SBOM.
    pub json_path: Option<String>,
    #[serde(skip)]
    text: String,
}

/// An existing record the import updates (or finds unchanged).
#[derive(Debug, Clone, Serialize)]
pub struct Matched {
    /// Record id.
    pub id: String,
    /// Path relative to the DDF root.
    pub path: String,
    /// How it was matched: `purl`, `purl (other version)`, `cpe`, `sbom_ref`, `supplier+name+version`.
    pub matched_by: String,
    /// Fields written.
    pub changes: Vec<FieldChange>,
    /// Differences ddf reports but does not write (the supplier, fields a person owns).
    pub notes: Vec<String>,
    #[serde(skip)]
    text: Option<String>,
}

/// A live CMP record with no counterpart in the SBOM: reported, never deleted.
#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    /// Record id.
    pub id: String,
    /// Path.
    pub path: String,
    /// `name version`.
    pub label: String,
}

/// What an import does; [`apply`] writes it.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The SBOM format and version.
    pub format: String,
    /// Number of components in the SBOM.
    pub components: usize,
    /// New CMP records.
    pub added: Vec<Added>,
    /// New SUP records.
    pub suppliers_added: Vec<Added>,
    /// Matched CMP records with changes.
    pub changed: Vec<Matched>,
    /// Matched CMP records without changes.
    pub unchanged: Vec<Matched>,
    /// Live CMP records not in the SBOM.
    pub removed: Vec<Removed>,
    /// The release updated with `--release`, and whether its `sbom:` list changed.
    pub release: Option<ReleaseUpdate>,
    /// Warnings from reading the SBOM.
    pub warnings: Vec<String>,
}

/// The `--release` update.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseUpdate {
    /// REL id.
    pub id: String,
    /// Its path.
    pub path: String,
    /// The SBOM path added to `sbom:`; `None` when it was already listed.
    pub added_sbom: Option<String>,
    #[serde(skip)]
    text: Option<String>,
}

/// Why an import cannot be planned.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ImportError {
    /// `--release` names no live release.
    #[error("`{0}` is not a release of this DDF")]
    NoRelease(String),
    /// `--release` with an SBOM outside the DDF root.
    #[error("{0} is outside the DDF root, so a release cannot list it")]
    OutsideRoot(String),
    /// A record file cannot be read or edited.
    #[error("{path}: {message}")]
    Record {
        /// Path relative to the DDF root.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A schema without the component or supplier type.
    #[error("the schema has no `{0}` type")]
    NoType(String),
}

impl ImportError {
    /// How to fix it.
    pub fn hint(&self) -> &'static str {
        match self {
            ImportError::NoRelease(_) => "`ddf new release` creates one; give its id (REL-...)",
            ImportError::OutsideRoot(_) => {
                "copy the SBOM into the DDF (e.g. sboms/) and import that copy"
            }
            ImportError::Record { .. } => {
                "fix the record's front-matter (`ddf check` shows where), then import again"
            }
            ImportError::NoType(_) => {
                "the built-in QMSR profile defines it; check `types:` in ddf.yaml"
            }
        }
    }
}

struct CmpInfo<'a> {
    record: &'a Record,
    identity: Identity,
    cpe: Option<String>,
    sbom_ref: Option<String>,
    supplier: Option<String>,
}

fn norm_name(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn field_text(r: &Record, f: &str) -> String {
    r.get(f).and_then(scalar_text).unwrap_or_default()
}

/// Plans the import of `sbom` into `corpus` (whose files are under `root`).
pub fn plan(
    corpus: &Corpus,
    root: &Path,
    sbom: &Sbom,
    opts: &ImportOptions,
) -> Result<Plan, ImportError> {
    let schema = &corpus.config.schema;
    let tree = Worktree::new(root);
    let cmp_type = schema
        .get("component")
        .ok_or_else(|| ImportError::NoType("component".into()))?;
    let sup_type = schema
        .get("supplier")
        .ok_or_else(|| ImportError::NoType("supplier".into()))?;
    let live = |ty: &str| -> Vec<&Record> {
        corpus
            .records_of(ty)
            .iter()
            .map(|&i| &corpus.records[i])
            .filter(|r| r.status() != "obsolete")
            .collect()
    };
    let suppliers = live("supplier");
    let mut sup_by_name: BTreeMap<String, String> = suppliers
        .iter()
        .filter_map(|s| s.text("name").map(|n| (norm_name(&n), s.id.clone())))
        .collect();
    let sup_name_of: HashMap<&str, String> = suppliers
        .iter()
        .filter_map(|s| s.text("name").map(|n| (s.id.as_str(), n)))
        .collect();
    let cmps: Vec<CmpInfo<'_>> = live("component")
        .into_iter()
        .map(|r| {
            let cpe = r.text("cpe");
            CmpInfo {
                identity: super::identity(
                    r.text("purl").as_deref(),
                    cpe.as_deref(),
                    None,
                    &r.text("name").unwrap_or_default(),
                    r.text("version").as_deref(),
                ),
                cpe,
                sbom_ref: r.text("sbom_ref"),
                supplier: r
                    .list("supplier")
                    .first()
                    .and_then(|s| sup_name_of.get(s.as_str()).cloned()),
                record: r,
            }
        })
        .collect();
    let comps = &sbom.components;
    let ids: Vec<Identity> = comps.iter().map(Component::identity).collect();
    let mut rec_of: Vec<Option<(usize, &'static str)>> = vec![None; comps.len()];
    let mut taken = vec![false; cmps.len()];
    // Each pass pairs still-unmatched components with still-unmatched records whose key is
    // equal; equal keys pair up in order, so duplicates (syn 1.x and 2.x) stay one to one.
    let mut pass = |how: &'static str,
                    ckey: &dyn Fn(usize) -> Option<String>,
                    rkey: &dyn Fn(&CmpInfo<'_>) -> Option<String>| {
        let mut free: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (j, c) in cmps.iter().enumerate() {
            if !taken[j] {
                if let Some(k) = rkey(c) {
                    free.entry(k).or_default().push(j);
                }
            }
        }
        for (i, slot) in rec_of.iter_mut().enumerate() {
            if slot.is_some() {
                continue;
            }
            let Some(k) = ckey(i) else { continue };
            if let Some(list) = free.get_mut(&k) {
                if let Some(pos) = list.iter().position(|&j| !taken[j]) {
                    let j = list.remove(pos);
                    taken[j] = true;
                    *slot = Some((j, how));
                }
            }
        }
    };
    let with_version = |k: Option<String>, v: &Option<String>| {
        k.map(|k| format!("{k}@{}", v.clone().unwrap_or_default()))
    };
    pass(
        "purl",
        &|i| with_version(ids[i].purl.clone(), &ids[i].version),
        &|c| with_version(c.identity.purl.clone(), &c.identity.version),
    );
    pass("purl (other version)", &|i| ids[i].purl.clone(), &|c| {
        c.identity.purl.clone()
    });
    pass(
        "cpe",
        &|i| with_version(ids[i].cpe.clone(), &ids[i].version),
        &|c| with_version(c.identity.cpe.clone(), &c.identity.version),
    );
    pass("cpe (other version)", &|i| ids[i].cpe.clone(), &|c| {
        c.identity.cpe.clone()
    });
    pass(
        "sbom_ref",
        &|i| Some(comps[i].sbom_ref.clone()).filter(|s| !s.is_empty()),
        &|c| c.sbom_ref.clone(),
    );
    pass(
        "supplier+name+version",
        &|i| {
            comps[i].supplier.as_ref().map(|s| {
                format!(
                    "{}|{}|{}",
                    norm_name(s),
                    ids[i].name,
                    ids[i].version.clone().unwrap_or_default()
                )
            })
        },
        &|c| {
            c.supplier.as_ref().map(|s| {
                format!(
                    "{}|{}|{}",
                    norm_name(s),
                    c.identity.name,
                    c.identity.version.clone().unwrap_or_default()
                )
            })
        },
    );

    let today = opts.today.unwrap_or_else(Date::today);
    let mut cmp_ids = IdAllocator::new(corpus, root, &cmp_type.prefix);
    let mut sup_ids = IdAllocator::new(corpus, root, &sup_type.prefix);
    let cmp_folder = default_folder(corpus, cmp_type);
    let sup_folder = default_folder(corpus, sup_type);
    let mut plan = Plan {
        format: format!("{} {}", sbom.format, sbom.spec_version),
        components: comps.len(),
        added: Vec::new(),
        suppliers_added: Vec::new(),
        changed: Vec::new(),
        unchanged: Vec::new(),
        removed: Vec::new(),
        release: None,
        warnings: sbom.warnings.clone(),
    };
    let authors: Vec<String> = sbom.authors.iter().map(|a| norm_name(a)).collect();
    // New suppliers first, so new components can link them; one SUP per distinct name.
    let mut new_sup_components: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, c) in comps.iter().enumerate() {
        if rec_of[i].is_none() {
            if let Some(s) = &c.supplier {
                if !sup_by_name.contains_key(&norm_name(s)) {
                    new_sup_components.entry(norm_name(s)).or_default().push(i);
                }
            }
        }
    }
    let mut pending_sups: Vec<(String, String, Vec<usize>)> = Vec::new();
    for (key, idx) in &new_sup_components {
        let id = sup_ids.next_id();
        sup_by_name.insert(key.clone(), id.clone());
        let name = idx
            .first()
            .and_then(|&i| comps[i].supplier.clone())
            .unwrap_or_default();
        pending_sups.push((id, name, idx.clone()));
    }
    let mut added_by_comp: HashMap<usize, String> = HashMap::new();
    for (i, c) in comps.iter().enumerate() {
        if rec_of[i].is_some() {
            continue;
        }
        let id = cmp_ids.next_id();
        added_by_comp.insert(i, id.clone());
        let supplier: Vec<String> = c
            .supplier
            .as_ref()
            .and_then(|s| sup_by_name.get(&norm_name(s)).cloned())
            .into_iter()
            .collect();
        let origin = infer_origin(c, &authors);
        let path = format!("{}/{id}.md", cmp_folder.trim_end_matches('/'));
        let text = new_component(&id, c, origin, &supplier, &opts.sbom_name, today);
        plan.added.push(Added {
            id,
            path,
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
            supplier,
            json_path: Some(c.json_path.clone()),
            text,
        });
    }
    for (id, name, idx) in pending_sups {
        let open_source = idx
            .iter()
            .all(|&i| infer_origin(&comps[i], &authors) == Some("open-source"));
        let supplied: Vec<String> = idx
            .iter()
            .filter_map(|i| added_by_comp.get(i).cloned())
            .collect();
        let path = format!("{}/{id}.md", sup_folder.trim_end_matches('/'));
        let text = new_supplier(&id, &name, open_source, &supplied, &opts.sbom_name, today);
        plan.suppliers_added.push(Added {
            id,
            path,
            name,
            version: None,
            purl: None,
            supplier: Vec::new(),
            json_path: None,
            text,
        });
    }
    for (i, slot) in rec_of.iter().enumerate() {
        let Some((j, how)) = *slot else { continue };
        let info = &cmps[j];
        let m = update_component(&tree, info, &comps[i], how)?;
        if m.changes.is_empty() {
            plan.unchanged.push(m);
        } else {
            plan.changed.push(m);
        }
    }
    for (j, c) in cmps.iter().enumerate() {
        if !taken[j] {
            let r = c.record;
            let label = match (r.text("name"), r.text("version")) {
                (Some(n), Some(v)) => format!("{n} {v}"),
                (Some(n), None) => n,
                _ => r.id.clone(),
            };
            plan.removed.push(Removed {
                id: r.id.clone(),
                path: r.path.clone(),
                label,
            });
        }
    }
    if let Some(rel) = &opts.release {
        plan.release = Some(release_update(
            corpus,
            &tree,
            rel,
            opts.sbom_rel.as_deref(),
        )?);
    }
    plan.changed.sort_by(|a, b| a.id.cmp(&b.id));
    plan.unchanged.sort_by(|a, b| a.id.cmp(&b.id));
    plan.removed.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(plan)
}

fn infer_origin(c: &Component, authors: &[String]) -> Option<&'static str> {
    if c.supplier
        .as_ref()
        .is_some_and(|s| authors.contains(&norm_name(s)))
    {
        return Some("first-party");
    }
    let p = c.parsed_purl()?;
    PUBLIC_PURL_TYPES
        .contains(&p.ty.as_str())
        .then_some("open-source")
}

fn opt(v: Option<&str>, flow: bool) -> String {
    v.map(|s| scalar(s, flow)).unwrap_or_default()
}

fn hash_pairs(c: &Component) -> Vec<(String, String)> {
    let mut h = c.hashes.clone();
    h.sort();
    h.dedup_by(|a, b| a.0 == b.0);
    h
}

fn new_component(
    id: &str,
    c: &Component,
    origin: Option<&str>,
    supplier: &[String],
    sbom: &str,
    today: Date,
) -> String {
    let s = |v: &str| v.to_string();
    let todo = |c: &str| Some(c.to_string());
    let mut f: Vec<(String, String, Option<String>)> = vec![
        (s("id"), s(id), None),
        (s("type"), s("component"), None),
        (s("title"), scalar(&c.label(), false), None),
        (s("status"), s("draft"), None),
        (
            s("owner"),
            String::new(),
            todo("PER id of the person accountable"),
        ),
        (s("name"), scalar(&c.name, false), None),
        (
            s("version"),
            opt(c.version.as_deref(), false),
            c.version.is_none().then(|| s("not in the SBOM")),
        ),
    ];
    if let Some(p) = &c.purl {
        f.push((s("purl"), scalar(p, false), None));
    }
    if let Some(cpe) = c.cpes.first() {
        f.push((s("cpe"), scalar(cpe, false), None));
    }
    f.push((
        s("origin"),
        opt(origin, false),
        if origin.is_some() {
            todo("inferred from the SBOM; confirm")
        } else {
            todo("first-party | commercial | open-source | ots")
        },
    ));
    f.push((
        s("support_level"),
        opt(c.support_level.as_deref(), false),
        if c.support_level.is_some() {
            None
        } else {
            todo("actively-maintained | no-longer-maintained | abandoned | unknown")
        },
    ));
    f.push((
        s("support_basis"),
        String::new(),
        todo("how support is known (supplier statement, release activity, contract)"),
    ));
    f.push((
        s("end_of_support"),
        opt(c.end_of_support.as_deref(), false),
        if c.end_of_support.is_some() {
            None
        } else {
            todo("YYYY-MM-DD, or unknown with a support_basis")
        },
    ));
    f.push((
        s("sbom_ref"),
        if c.sbom_ref.is_empty() {
            String::new()
        } else {
            scalar(&c.sbom_ref, false)
        },
        None,
    ));
    if let Some(sp) = source_package_text(c) {
        f.push((s("source_package"), scalar(&sp, false), None));
    }
    if !c.hashes.is_empty() {
        f.push((s("hashes"), edit::map(&hash_pairs(c)), None));
    }
    if let Some(l) = &c.license {
        f.push((s("license"), scalar(l, false), None));
    }
    if !supplier.is_empty() {
        f.push((s("supplier"), edit::list(supplier), None));
    } else {
        f.push((
            s("supplier"),
            s("[]"),
            todo("the SBOM names no supplier: add the SUP id"),
        ));
    }
    let body = format!(
        "Imported by `ddf sbom import` from {sbom} on {today} ({}).\n",
        c.json_path
    );
    render_record(&f, &body)
}

fn new_supplier(
    id: &str,
    name: &str,
    open_source: bool,
    supplied: &[String],
    sbom: &str,
    today: Date,
) -> String {
    let s = |v: &str| v.to_string();
    let f: Vec<(String, String, Option<String>)> = vec![
        (s("id"), s(id), None),
        (s("type"), s("supplier"), None),
        (s("title"), scalar(name, false), None),
        (s("status"), s("draft"), None),
        (
            s("owner"),
            String::new(),
            Some(s("PER id of the person accountable")),
        ),
        (s("name"), scalar(name, false), None),
        (
            s("supplies"),
            if open_source {
                s("oss-project")
            } else {
                String::new()
            },
            Some(s(if open_source {
                "inferred from the SBOM; confirm"
            } else {
                "library | ots | cloud | firmware | contract-mfr | oss-project"
            })),
        ),
        (
            s("approval"),
            s("under-evaluation"),
            Some(s("not evaluated yet (ISO 13485 7.4.1)")),
        ),
        (
            s("evaluation"),
            String::new(),
            Some(s(
                "7.4.1 a-d: capability, performance, effect on quality, controls",
            )),
        ),
        (s("last_evaluated"), String::new(), Some(s("YYYY-MM-DD"))),
        (s("next_reevaluation"), String::new(), Some(s("YYYY-MM-DD"))),
    ];
    let body = format!(
        "Created by `ddf sbom import` from {sbom} on {today}: the SBOM names it as the supplier of {}.\n",
        if supplied.is_empty() { "components".to_string() } else { supplied.join(", ") }
    );
    render_record(&f, &body)
}

/// The text of the record file at `path`, read again to be edited, through the same confined
/// reader as the load ([`crate::fsafe`]).
fn read_record(tree: &Worktree, path: &str) -> Result<String, ImportError> {
    let fail = |message: String| ImportError::Record {
        path: path.into(),
        message,
    };
    let bytes = match tree.read(path) {
        Ok(Some(b)) => b,
        Ok(None) => return Err(fail("the file no longer exists".into())),
        Err(crate::source::SourceError::Refused { reason, .. }) => {
            return Err(fail(reason.to_string()))
        }
        Err(e) => return Err(fail(e.to_string())),
    };
    String::from_utf8(bytes).map_err(|_| fail("the file is not UTF-8".into()))
}

fn update_component(
    tree: &Worktree,
    info: &CmpInfo<'_>,
    c: &Component,
    how: &str,
) -> Result<Matched, ImportError> {
    let r = info.record;
    let mut changes: Vec<FieldChange> = Vec::new();
    let mut updates: Vec<(String, String)> = Vec::new();
    let mut set = |field: &str, old: String, new_text: &str, rendered: String| {
        changes.push(FieldChange {
            field: field.into(),
            old,
            new: new_text.into(),
        });
        updates.push((field.into(), rendered));
    };
    let old_name = field_text(r, "name");
    if old_name != c.name {
        set("name", old_name, &c.name, scalar(&c.name, false));
    }
    if let Some(v) = &c.version {
        let old = field_text(r, "version");
        if old != *v {
            set("version", old, v, scalar(v, false));
        }
    }
    if let Some(p) = &c.purl {
        let old = field_text(r, "purl");
        let same = match (super::purl::Purl::parse(&old), super::purl::Purl::parse(p)) {
            (Ok(a), Ok(b)) => a.normalised() == b.normalised(),
            _ => old == *p,
        };
        if !same {
            set("purl", old, p, scalar(p, false));
        }
    }
    if let Some(cpe) = c.cpes.first() {
        let old = info.cpe.clone().unwrap_or_default();
        // A record's cpe that is any of the SBOM's cpes is kept (SPDX may list dozens).
        if !c.cpes.contains(&old) {
            set("cpe", old, cpe, scalar(cpe, false));
        }
    }
    if !c.sbom_ref.is_empty() {
        let old = field_text(r, "sbom_ref");
        if old != c.sbom_ref {
            set("sbom_ref", old, &c.sbom_ref, scalar(&c.sbom_ref, false));
        }
    }
    if let Some(sp) = source_package_text(c) {
        let old = field_text(r, "source_package");
        if old != sp {
            set("source_package", old, &sp, scalar(&sp, false));
        }
    }
    if !c.hashes.is_empty() {
        let new = hash_pairs(c);
        let mut old: Vec<(String, String)> = match r.get("hashes") {
            Some(Value::Mapping(m)) => m
                .iter()
                .filter_map(|(k, v)| Some((scalar_text(k)?, scalar_text(v)?)))
                .collect(),
            _ => Vec::new(),
        };
        old.sort();
        if old != new {
            let show = |h: &[(String, String)]| {
                h.iter()
                    .map(|(a, v)| format!("{a}:{v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let rendered = edit::map(&new);
            set("hashes", show(&old), &show(&new), rendered);
        }
    }
    if let Some(l) = &c.license {
        let old = field_text(r, "license");
        if old != *l {
            set("license", old, l, scalar(l, false));
        }
    }
    if let Some(eos) = &c.end_of_support {
        if !r.has("end_of_support") {
            set("end_of_support", String::new(), eos, scalar(eos, false));
        }
    }
    let mut notes = Vec::new();
    if let Some(eos) = &c.end_of_support {
        let old = field_text(r, "end_of_support");
        if r.has("end_of_support") && old != *eos {
            notes.push(format!(
                "the SBOM states end of support {eos}; the record keeps {old}"
            ));
        }
    }
    match (&c.supplier, &info.supplier) {
        (Some(s), Some(old)) if norm_name(s) != norm_name(old) => notes.push(format!(
            "the SBOM names supplier `{s}`; the record links {} (`{old}`), which is kept",
            r.list("supplier").join(", ")
        )),
        (Some(s), None) => notes.push(format!(
            "the SBOM names supplier `{s}`; the record links no supplier it could be matched with"
        )),
        _ => {}
    }
    if let Some(l) = &c.support_level {
        let old = field_text(r, "support_level");
        if !old.is_empty() && old != *l {
            notes.push(format!(
                "the SBOM states support level {l}; the record keeps {old}"
            ));
        }
    }
    let text = if updates.is_empty() {
        None
    } else {
        let t = read_record(tree, &r.path)?;
        Some(set_fields(&t, &updates).map_err(|e| ImportError::Record {
            path: r.path.clone(),
            message: e.to_string(),
        })?)
    };
    Ok(Matched {
        id: r.id.clone(),
        path: r.path.clone(),
        matched_by: how.into(),
        changes,
        notes,
        text,
    })
}

fn release_update(
    corpus: &Corpus,
    tree: &Worktree,
    rel: &str,
    sbom_rel: Option<&str>,
) -> Result<ReleaseUpdate, ImportError> {
    let r = corpus
        .get(rel)
        .filter(|r| r.type_name == "release" && r.status() != "obsolete")
        .ok_or_else(|| ImportError::NoRelease(rel.into()))?;
    let sbom_rel = sbom_rel.ok_or_else(|| ImportError::OutsideRoot("the SBOM".into()))?;
    let mut list = r.list("sbom");
    let already = list.iter().any(|p| p.trim() == sbom_rel);
    let text = if already {
        None
    } else {
        list.push(sbom_rel.to_string());
        let t = read_record(tree, &r.path)?;
        Some(
            set_fields(&t, &[("sbom".into(), edit::list(&list))]).map_err(|e| {
                ImportError::Record {
                    path: r.path.clone(),
                    message: e.to_string(),
                }
            })?,
        )
    };
    Ok(ReleaseUpdate {
        id: r.id.clone(),
        path: r.path.clone(),
        added_sbom: (!already).then(|| sbom_rel.to_string()),
        text,
    })
}

/// How [`apply`] writes a file: `(path, bytes, overwrite)`; the CLI passes its atomic,
/// no-clobber writer.
pub type Writer = dyn Fn(&Path, &[u8], bool) -> std::io::Result<()> + Sync;

/// A file [`apply`] could not write.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct WriteError {
    /// Path relative to the DDF root.
    pub path: String,
    /// The error.
    #[source]
    pub source: std::io::Error,
}

/// Writes the plan under `root` with `write(path, bytes, overwrite)`: new records never
/// overwrite (no-clobber), changed records are replaced. Files are written in parallel; returns
/// the number of files written.
pub fn apply(root: &Path, plan: &Plan, write: &Writer) -> Result<usize, WriteError> {
    use rayon::prelude::*;
    let mut jobs: Vec<(&str, &str, bool)> = Vec::new();
    for a in plan.suppliers_added.iter().chain(&plan.added) {
        jobs.push((&a.path, &a.text, false));
    }
    for m in &plan.changed {
        if let Some(t) = &m.text {
            jobs.push((&m.path, t, true));
        }
    }
    if let Some(rel) = &plan.release {
        if let Some(t) = &rel.text {
            jobs.push((&rel.path, t, true));
        }
    }
    let mut errors: Vec<WriteError> = jobs
        .par_iter()
        .filter_map(|(path, text, overwrite)| {
            write(&root.join(path), text.as_bytes(), *overwrite)
                .err()
                .map(|source| WriteError {
                    path: (*path).to_string(),
                    source,
                })
        })
        .collect();
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    match errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(jobs.len()),
    }
}
