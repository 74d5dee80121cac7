//! `ddf sbom export REL`: the SBOM of a release as CycloneDX 1.6 JSON, with what FDA asks for
//! beyond the NTIA minimum elements (each component's level of support, end-of-support date and
//! supplier).
//!
//! What a release ships is what its SBOM files list ([`shipped`]); each component is paired with
//! its CMP record the way `sbom-reconciled`, the site's release page and
//! [`crate::vuln::affected`] pair them (`crate::vuln::affected::pair`), so the export, the site
//! and the VEX name the same components. The SBOM gives identity (name, version, purl, CPE,
//! hashes, licence: what was built); the CMP record and its SUP record give what the quality
//! system knows (supplier, support level, support basis, end of support). A record that describes
//! another version than the release ships (an older release) still gives the supplier, but not
//! the support statements or hashes of a version it does not describe.
//!
//! The output is deterministic: components sorted, the timestamp taken from the release (its
//! `fielded` date, else the time of its commit), the serial number a UUID v5 of the content.

use super::{Component, ReadOptions, END_OF_SUPPORT_PROPERTY, SUPPORT_LEVEL_PROPERTY};
use crate::corpus::Corpus;
use crate::record::Record;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The property naming the CMP record a component comes from.
pub const RECORD_PROPERTY: &str = "ddf:record";
/// The property holding a component's support basis (how its support level is known).
pub const SUPPORT_BASIS_PROPERTY: &str = "ddf:supportBasis";
/// The property naming the release (REL) on the device component.
pub const RELEASE_PROPERTY: &str = "ddf:release";

/// Why a release cannot be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// No record has the id.
    #[error("no record has the id {0}")]
    NoRecord(String),
    /// The record is not a release.
    #[error("{id} is a {ty}, not a release")]
    NotARelease {
        /// The id given.
        id: String,
        /// Its type.
        ty: String,
    },
    /// The release lists no SBOM file.
    #[error("{0} lists no SBOM file (`sbom:` is empty), so there is nothing to export")]
    NoSbom(String),
    /// An SBOM file of the release cannot be read or parsed.
    #[error("{rel}: SBOM file {file}: {reason}")]
    Unreadable {
        /// The release.
        rel: String,
        /// The file as the release lists it.
        file: String,
        /// Why.
        reason: String,
    },
    /// The release's SBOM files list no component.
    #[error("the SBOM files of {0} list no component")]
    NoComponents(String),
    /// Something the export needs and the records do not give (CSAF: a publisher).
    #[error("{0}")]
    Missing(String),
}

impl ExportError {
    /// What the user can do about it.
    pub fn hint(&self) -> String {
        match self {
            ExportError::NoRecord(_) | ExportError::NotARelease { .. } => {
                "name a release record (REL-...), as `ddf sbom diff` and `ddf check --release` do".into()
            }
            ExportError::NoSbom(_) => "import the release's SBOM with `ddf sbom import FILE --release REL`, which lists it in `sbom:`".into(),
            ExportError::Unreadable { .. } => "fix the file or the path in the release's `sbom:`; `ddf check` reports it under sbom-reconciled".into(),
            ExportError::NoComponents(_) => "regenerate the SBOM of the release; an SBOM with no component is not one FDA can use".into(),
            ExportError::Missing(_) => "see docs/sbom-and-vulnerabilities.md (VEX out)".into(),
        }
    }
}

/// A supplier as the export writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplier {
    /// Name.
    pub name: String,
    /// Web addresses: a SUP record's `url` field (a string or a list), when the DDF defines one.
    pub urls: Vec<String>,
}

/// One component a release ships: the SBOM's component, completed from its CMP record.
#[derive(Debug, Clone)]
pub struct Item {
    /// The component (identity from the SBOM; purl, CPE, hashes and licence from the record when
    /// the SBOM lacks them and the record describes the same version).
    pub component: Component,
    /// The CMP record it pairs with (index into the corpus), if any.
    pub record: Option<usize>,
    /// The CMP record's id, if any.
    pub record_id: Option<String>,
    /// Its bom-ref in the export: the record's `sbom_ref`, else the SBOM's, made unique.
    pub bom_ref: String,
    /// The SBOM file it comes from.
    pub file: String,
    /// Supplier: the record's SUP, else the SBOM's.
    pub supplier: Option<Supplier>,
    /// FDA's level of support (a CMP `support_level` value).
    pub support_level: Option<String>,
    /// How the support level is known.
    pub support_basis: Option<String>,
    /// End of support: a date or `unknown`.
    pub end_of_support: Option<String>,
}

/// What a release ships.
#[derive(Debug, Clone)]
pub struct Shipped {
    /// The release record's index.
    pub rel: usize,
    /// The release's id.
    pub rel_id: String,
    /// The release's version.
    pub version: String,
    /// The device's bom-ref (the release id).
    pub product_ref: String,
    /// The device's type: the SBOMs' product type when they agree on one, else `device`.
    pub product_type: String,
    /// The maker (the SBOMs' supplier and manufacturer names), if they name one.
    pub maker: Option<String>,
    /// Components, sorted by name, version and bom-ref.
    pub items: Vec<Item>,
    /// Dependencies between bom-refs of the export, sorted.
    pub dependencies: BTreeMap<String, BTreeSet<String>>,
    /// What the user should know (missing FDA elements, components without a record).
    pub warnings: Vec<String>,
}

/// The CycloneDX component types of the 1.6 schema; anything else is written as `library`.
const CDX_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
    "cryptographic-asset",
];

/// The CycloneDX type for an SBOM's type (CycloneDX `type` or SPDX `primaryPackagePurpose`).
fn cdx_type(kind: Option<&str>) -> Option<&'static str> {
    let k = kind?.trim().to_ascii_lowercase().replace('_', "-");
    CDX_TYPES.iter().copied().find(|t| *t == k)
}

/// Looks up REL `id`.
pub fn release_index(corpus: &Corpus, id: &str) -> Result<usize, ExportError> {
    let i = *corpus
        .by_id
        .get(id)
        .ok_or_else(|| ExportError::NoRecord(id.to_string()))?;
    let ty = corpus.type_of(i);
    if ty != "release" {
        return Err(ExportError::NotARelease {
            id: id.to_string(),
            ty: ty.to_string(),
        });
    }
    Ok(i)
}

fn live(corpus: &Corpus, ty: &str) -> Vec<usize> {
    corpus
        .records_of(ty)
        .iter()
        .copied()
        .filter(|&i| corpus.records[i].status() != "obsolete")
        .collect()
}

/// A record field that holds a string or a list of strings.
fn strings(r: &Record, field: &str) -> Vec<String> {
    match r.get(field) {
        Some(serde_yaml::Value::Sequence(s)) => s
            .iter()
            .filter_map(crate::record::scalar_text)
            .filter(|s| !s.trim().is_empty())
            .collect(),
        Some(v) => crate::record::scalar_text(v)
            .filter(|s| !s.trim().is_empty())
            .into_iter()
            .collect(),
        None => Vec::new(),
    }
}

fn supplier_of(corpus: &Corpus, rec: &Record) -> Option<Supplier> {
    // CycloneDX has one supplier per component; the first SUP the record names is it.
    let id = rec.links_of("supplier").next()?;
    let sup = corpus.get(id)?;
    let name = sup.text("name").filter(|n| !n.trim().is_empty())?;
    let urls = strings(sup, "url")
        .into_iter()
        .filter(|u| is_web_url(u))
        .collect();
    Some(Supplier { name, urls })
}

/// An `http(s)` address without spaces: what CycloneDX's `iri-reference` and CSAF's `uri` accept.
pub(crate) fn is_web_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && u.len() > 8
        && !u.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The hashes of a CMP record (`hashes: { SHA-256: ... }`).
fn record_hashes(rec: &Record) -> Vec<(String, String)> {
    match rec.get("hashes") {
        Some(serde_yaml::Value::Mapping(m)) => m
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    crate::record::scalar_text(k)?,
                    crate::record::scalar_text(v)?,
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads the SBOM files of release `rel_id` and pairs their components with the CMP records.
pub fn shipped(corpus: &Corpus, rel_id: &str) -> Result<Shipped, ExportError> {
    let rel = release_index(corpus, rel_id)?;
    let r = &corpus.records[rel];
    let files: Vec<String> = r
        .list("sbom")
        .into_iter()
        .map(|p| p.trim().to_string())
        .collect();
    let files: Vec<String> = files.into_iter().filter(|p| !p.is_empty()).collect();
    if files.is_empty() {
        return Err(ExportError::NoSbom(rel_id.to_string()));
    }
    let opts = ReadOptions::from_config(&corpus.config);
    let unreadable = |file: &str, reason: String| ExportError::Unreadable {
        rel: rel_id.to_string(),
        file: file.to_string(),
        reason,
    };
    let mut sboms = Vec::new();
    for f in &files {
        if !super::is_safe_relative(f) {
            return Err(unreadable(f, "not a path inside the DDF root".into()));
        }
        let bytes = match corpus.attachments.get(f) {
            Some(Ok(Some(b))) => b,
            Some(Ok(None)) => return Err(unreadable(f, "the file does not exist".into())),
            Some(Err(e)) => return Err(unreadable(f, format!("cannot be read: {e}"))),
            None => return Err(unreadable(f, "the file was not read".into())),
        };
        let s = super::parse(bytes, f, &opts).map_err(|e| unreadable(f, e.to_string()))?;
        sboms.push((f.clone(), s));
    }
    let cmps = live(corpus, "component");
    let recs: Vec<&Record> = cmps.iter().map(|&i| &corpus.records[i]).collect();
    let comps: Vec<(&str, &Component)> = sboms
        .iter()
        .flat_map(|(f, s)| s.components.iter().map(move |c| (f.as_str(), c)))
        .collect();
    if comps.is_empty() {
        return Err(ExportError::NoComponents(rel_id.to_string()));
    }
    let only: Vec<&Component> = comps.iter().map(|(_, c)| *c).collect();
    let paired = crate::vuln::affected::pair(&recs, &only);

    let mut warnings = Vec::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    let product_ref = rel_id.to_string();
    used.insert(product_ref.clone());
    // (file, bom-ref as written) -> bom-ref in the export, for dependencies.
    let mut refs: HashMap<(String, String), String> = HashMap::new();
    for (f, s) in &sboms {
        if let Some(p) = &s.product {
            if !p.sbom_ref.is_empty() {
                refs.insert((f.clone(), p.sbom_ref.clone()), product_ref.clone());
            }
        }
    }
    // The same component listed twice (two SBOM files of one release, both with a library)
    // is one component of the device.
    let mut seen: HashMap<(String, Option<String>, Option<String>), String> = HashMap::new();
    let mut items = Vec::new();
    let mut no_record = Vec::new();
    let mut other_version = Vec::new();
    for ((file, c), j) in comps.iter().zip(paired) {
        let key = (c.name.clone(), c.version.clone(), c.purl.clone());
        if j.is_none() {
            if let Some(b) = seen.get(&key) {
                if !c.sbom_ref.is_empty() {
                    refs.insert((file.to_string(), c.sbom_ref.clone()), b.clone());
                }
                continue;
            }
        }
        let rec = j.map(|j| (cmps[j], recs[j]));
        let mut comp = (*c).clone();
        let same_version = rec.is_some_and(|(_, r)| {
            crate::vuln::affected::same_version(r.text("version").as_deref(), c.version.as_deref())
        });
        let mut item_supplier = None;
        let (mut level, mut basis, mut eos) = (None, None, None);
        if let Some((_, r)) = rec {
            item_supplier = supplier_of(corpus, r);
            if same_version {
                if comp.purl.is_none() {
                    comp.purl = r.text("purl");
                }
                if comp.cpes.is_empty() {
                    comp.cpes.extend(r.text("cpe"));
                }
                if comp.hashes.is_empty() {
                    comp.hashes = record_hashes(r);
                }
                if comp.license.is_none() {
                    comp.license = r.text("license");
                }
                level = r.text("support_level");
                basis = r.text("support_basis");
                eos = r.text("end_of_support");
            } else {
                other_version.push(format!(
                    "{} ({} describes {})",
                    c.label(),
                    r.id,
                    r.text("version").unwrap_or_default()
                ));
            }
        } else {
            no_record.push(c.label());
        }
        let level = level.or_else(|| c.support_level.clone());
        let eos = eos.or_else(|| c.end_of_support.clone());
        let supplier = item_supplier.or_else(|| {
            c.supplier
                .clone()
                .filter(|s| !s.trim().is_empty())
                .map(|name| Supplier {
                    name,
                    urls: Vec::new(),
                })
        });
        let wanted = rec
            .and_then(|(_, r)| r.text("sbom_ref"))
            .filter(|s| !s.trim().is_empty())
            .or_else(|| Some(c.sbom_ref.clone()).filter(|s| !s.trim().is_empty()))
            .unwrap_or_else(|| match &c.version {
                Some(v) => format!("{}@{v}", c.name),
                None => c.name.clone(),
            });
        let mut bom_ref = wanted.clone();
        let mut n = 2;
        while used.contains(&bom_ref) {
            bom_ref = format!("{wanted}-{n}");
            n += 1;
        }
        used.insert(bom_ref.clone());
        if !c.sbom_ref.is_empty() {
            refs.insert((file.to_string(), c.sbom_ref.clone()), bom_ref.clone());
        }
        seen.entry(key).or_insert_with(|| bom_ref.clone());
        items.push(Item {
            component: comp,
            record: rec.map(|(i, _)| i),
            record_id: rec.map(|(_, r)| r.id.clone()),
            bom_ref,
            file: file.to_string(),
            supplier,
            support_level: level.filter(|s| !s.trim().is_empty()),
            support_basis: basis.filter(|s| !s.trim().is_empty()),
            end_of_support: eos.filter(|s| !s.trim().is_empty()),
        });
    }
    items.sort_by(|a, b| {
        (
            a.component.name.as_str(),
            a.component.version.as_deref(),
            a.bom_ref.as_str(),
        )
            .cmp(&(
                b.component.name.as_str(),
                b.component.version.as_deref(),
                b.bom_ref.as_str(),
            ))
    });
    let mut dependencies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (f, s) in &sboms {
        for (from, on) in &s.dependencies {
            let Some(from) = refs.get(&(f.clone(), from.clone())) else {
                continue;
            };
            let entry = dependencies.entry(from.clone()).or_default();
            for o in on {
                if let Some(o) = refs.get(&(f.clone(), o.clone())) {
                    if o != from {
                        entry.insert(o.clone());
                    }
                }
            }
        }
    }
    let list = |v: &[String]| -> String {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        let n = v.len();
        let shown: Vec<&str> = v.iter().take(10).map(String::as_str).collect();
        let more = if n > 10 {
            format!(" and {} more", n - 10)
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    };
    if !no_record.is_empty() {
        warnings.push(format!(
            "{rel_id}: {} of the SBOM ha{} no CMP record, so {} supplier, support level and end of support are the SBOM's own: {} (import the SBOM with `ddf sbom import`)",
            count(no_record.len(), "component"),
            if no_record.len() == 1 { "s" } else { "ve" },
            if no_record.len() == 1 { "its" } else { "their" },
            list(&no_record)
        ));
    }
    if !other_version.is_empty() {
        warnings.push(format!(
            "{rel_id}: the CMP records describe other versions than the release ships, so their support level and end of support are not exported for: {} (export the release as of its own commit with `--rev`)",
            list(&other_version)
        ));
    }
    let missing = |what: &str, f: &dyn Fn(&Item) -> bool| {
        let v: Vec<String> = items
            .iter()
            .filter(|i| f(i))
            .map(|i| i.component.label())
            .collect();
        (!v.is_empty()).then(|| {
            format!(
                "{rel_id}: {} no {what}, which FDA asks for: {}",
                if v.len() == 1 {
                    "1 component has".to_string()
                } else {
                    format!("{} components have", v.len())
                },
                list(&v)
            )
        })
    };
    warnings.extend(missing("supplier", &|i| i.supplier.is_none()));
    warnings.extend(missing("level of support", &|i| i.support_level.is_none()));
    warnings.extend(missing("end-of-support date", &|i| {
        i.end_of_support.is_none()
    }));

    let mut makers: Vec<String> = sboms
        .iter()
        .flat_map(|(_, s)| s.authors.iter().cloned())
        .collect();
    makers.sort();
    makers.dedup();
    let mut types: Vec<&'static str> = sboms
        .iter()
        .filter_map(|(_, s)| s.product.as_ref())
        .filter_map(|p| cdx_type(p.kind.as_deref()))
        .collect();
    types.sort_unstable();
    types.dedup();
    let product_type = match types.as_slice() {
        [one] => one.to_string(),
        _ => "device".to_string(),
    };
    Ok(Shipped {
        rel,
        rel_id: rel_id.to_string(),
        version: r.text("version").unwrap_or_default(),
        product_ref,
        product_type,
        maker: makers.into_iter().next(),
        items,
        dependencies,
        warnings,
    })
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// When the release was made, as an RFC 3339 date-time: its `fielded` date, else `None` (the
/// caller may know the time of its commit, [`commit_time`]).
pub fn fielded_time(rel: &Record) -> Option<String> {
    let d = rel.text("fielded")?;
    crate::date::Date::parse(&d).map(|d| format!("{d}T00:00:00Z"))
}

/// The commit time of the release's `commit` (else `tag`) in the repository at `root`, as an
/// RFC 3339 date-time in UTC; `None` when it is not in the repository.
pub fn commit_time(root: &std::path::Path, rel: &Record) -> Option<String> {
    let repo = git2::Repository::discover(root).ok()?;
    for field in ["commit", "tag"] {
        let Some(rev) = rel.text(field).filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        if let Ok(c) = repo
            .revparse_single(rev.trim())
            .and_then(|o| o.peel_to_commit())
        {
            return Some(rfc3339(c.time().seconds()));
        }
    }
    None
}

/// A Unix time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(secs: i64) -> String {
    let d = crate::date::Date::from_unix(secs);
    let s = secs.rem_euclid(86_400);
    format!("{d}T{:02}:{:02}:{:02}Z", s / 3600, (s % 3600) / 60, s % 60)
}

/// A name-based UUID (version 5, SHA-1, RFC 9562) of `content` in the URL namespace: the same
/// content always gets the same serial number.
pub fn uuid_v5(content: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    // The URL namespace of RFC 9562, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
    const NS: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];
    let mut h = Sha1::new();
    h.update(NS);
    h.update(content);
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether `text` reads as an SPDX licence expression (ids, `LicenseRef-`s, `AND`, `OR`, `WITH`,
/// parentheses), so it can be written as a CycloneDX `expression`; anything else is a name.
pub fn is_spdx_expression(text: &str) -> bool {
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let mut depth = 0i32;
    let mut want_operand = true;
    let mut any = false;
    for tok in spaced.split_whitespace() {
        match tok {
            "(" if want_operand => depth += 1,
            ")" if !want_operand => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            "AND" | "OR" | "WITH" => {
                if want_operand {
                    return false;
                }
                want_operand = true;
            }
            t if want_operand
                && t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | ':')) =>
            {
                want_operand = false;
                any = true;
            }
            _ => return false,
        }
    }
    any && depth == 0 && !want_operand
}

/// The CycloneDX hash algorithms (1.6 `hash-alg`), spelled as the schema spells them.
const HASH_ALGS: &[&str] = &[
    "MD5",
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
];

/// A hash CycloneDX can carry: a known algorithm (matched case- and dash-blind) and a hex value
/// of a length the schema allows.
fn cdx_hash(alg: &str, value: &str) -> Option<(&'static str, String)> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['-', '_'], "");
    let alg = HASH_ALGS.iter().copied().find(|a| norm(a) == norm(alg))?;
    let v = value.trim();
    (matches!(v.len(), 32 | 40 | 64 | 96 | 128) && v.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| (alg, v.to_string()))
}

fn licenses_json(license: &str) -> Value {
    if is_spdx_expression(license) {
        json!([{ "expression": license }])
    } else {
        json!([{ "license": { "name": license } }])
    }
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

/// The device: the release as the BOM's subject (`metadata.component`).
pub(crate) fn product_json(corpus: &Corpus, s: &Shipped) -> Value {
    let r = &corpus.records[s.rel];
    let mut p = Map::new();
    p.insert("type".into(), json!(s.product_type));
    p.insert("bom-ref".into(), json!(s.product_ref));
    if let Some(m) = &s.maker {
        p.insert("supplier".into(), json!({ "name": m }));
        p.insert("manufacturer".into(), json!({ "name": m }));
    }
    p.insert("name".into(), json!(corpus.config.project));
    if !s.version.is_empty() {
        p.insert("version".into(), json!(s.version));
    }
    let title = r.title();
    if !title.trim().is_empty() {
        p.insert("description".into(), json!(title));
    }
    let mut props = vec![prop(RELEASE_PROPERTY, &s.rel_id)];
    // The device's own end of support (FDA asks for it in the labeling and the submission).
    if let Some(end) = r.text("support_end").filter(|e| !e.trim().is_empty()) {
        props.insert(0, prop(END_OF_SUPPORT_PROPERTY, &end));
    }
    p.insert("properties".into(), Value::Array(props));
    Value::Object(p)
}

fn component_json(item: &Item, warnings: &mut Vec<String>) -> Value {
    let c = &item.component;
    let mut o = Map::new();
    o.insert(
        "type".into(),
        json!(cdx_type(c.kind.as_deref()).unwrap_or("library")),
    );
    o.insert("bom-ref".into(), json!(item.bom_ref));
    if let Some(s) = &item.supplier {
        let mut sup = Map::new();
        sup.insert("name".into(), json!(s.name));
        if !s.urls.is_empty() {
            sup.insert("url".into(), json!(s.urls));
        }
        o.insert("supplier".into(), Value::Object(sup));
    }
    if let Some(g) = c.group.as_deref().filter(|g| !g.is_empty()) {
        o.insert("group".into(), json!(g));
    }
    o.insert("name".into(), json!(c.name));
    if let Some(v) = c.version.as_deref().filter(|v| !v.is_empty()) {
        o.insert("version".into(), json!(v));
    }
    let mut hashes = Vec::new();
    let mut dropped = Vec::new();
    let mut algs = BTreeSet::new();
    for (a, v) in &c.hashes {
        match cdx_hash(a, v) {
            Some((a, v)) if algs.insert(a) => hashes.push(json!({ "alg": a, "content": v })),
            Some(_) => {}
            None => dropped.push(a.clone()),
        }
    }
    if !dropped.is_empty() {
        warnings.push(format!(
            "{}: hash{} {} not written (an algorithm or value CycloneDX 1.6 has no place for)",
            c.label(),
            if dropped.len() == 1 { "" } else { "es" },
            dropped.join(", ")
        ));
    }
    if !hashes.is_empty() {
        o.insert("hashes".into(), Value::Array(hashes));
    }
    if let Some(l) = c.license.as_deref().filter(|l| !l.trim().is_empty()) {
        o.insert("licenses".into(), licenses_json(l.trim()));
    }
    if let Some(cpe) = c.cpes.first() {
        o.insert("cpe".into(), json!(cpe));
    }
    if let Some(p) = c.purl.as_deref().filter(|p| !p.is_empty()) {
        o.insert("purl".into(), json!(p));
    }
    let mut props = Vec::new();
    if let Some(e) = &item.end_of_support {
        props.push(prop(END_OF_SUPPORT_PROPERTY, e));
    }
    if let Some(r) = &item.record_id {
        props.push(prop(RECORD_PROPERTY, r));
    }
    if let Some(b) = &item.support_basis {
        props.push(prop(SUPPORT_BASIS_PROPERTY, b.trim()));
    }
    if let Some(l) = &item.support_level {
        props.push(prop(SUPPORT_LEVEL_PROPERTY, l));
    }
    if !props.is_empty() {
        o.insert("properties".into(), Value::Array(props));
    }
    Value::Object(o)
}

/// Options of an export.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The release's time (RFC 3339); `None`: the release's `fielded` date, else no timestamp.
    pub timestamp: Option<String>,
}

/// An exported document.
#[derive(Debug, Clone)]
pub struct Export {
    /// The JSON text, pretty-printed, ending with a newline.
    pub text: String,
    /// Its serial number (`urn:uuid:...`) or tracking id.
    pub id: String,
    /// What the user should know.
    pub warnings: Vec<String>,
}

/// The `metadata.tools` entry naming ddf.
pub(crate) fn tools_json() -> Value {
    json!({ "components": [ { "type": "application", "name": "ddf", "version": env!("CARGO_PKG_VERSION") } ] })
}

/// Serialises `doc` with a content-derived `serialNumber` put first after `specVersion`.
pub(crate) fn with_serial(mut doc: Map<String, Value>) -> Result<(String, String), ExportError> {
    let content = serde_json::to_vec(&doc).map_err(|e| ExportError::Missing(e.to_string()))?;
    let serial = format!("urn:uuid:{}", uuid_v5(&content));
    let mut out = Map::new();
    for k in ["bomFormat", "specVersion"] {
        if let Some(v) = doc.remove(k) {
            out.insert(k.into(), v);
        }
    }
    out.insert("serialNumber".into(), json!(serial));
    out.extend(doc);
    let text = serde_json::to_string_pretty(&Value::Object(out))
        .map_err(|e| ExportError::Missing(e.to_string()))?
        + "\n";
    Ok((text, serial))
}

/// The SBOM of release `rel_id` as CycloneDX 1.6 JSON.
pub fn cyclonedx(corpus: &Corpus, rel_id: &str, opts: &Options) -> Result<Export, ExportError> {
    let s = shipped(corpus, rel_id)?;
    cyclonedx_of(corpus, &s, opts)
}

/// [`cyclonedx`] of what [`shipped`] read.
pub fn cyclonedx_of(corpus: &Corpus, s: &Shipped, opts: &Options) -> Result<Export, ExportError> {
    let mut warnings = s.warnings.clone();
    let timestamp = opts
        .timestamp
        .clone()
        .or_else(|| fielded_time(&corpus.records[s.rel]));
    let mut meta = Map::new();
    if let Some(t) = &timestamp {
        meta.insert("timestamp".into(), json!(t));
    } else {
        warnings.push(format!(
            "{}: no timestamp written: the release has no `fielded` date and its commit is not in the repository",
            s.rel_id
        ));
    }
    meta.insert("tools".into(), tools_json());
    if let Some(m) = &s.maker {
        meta.insert("authors".into(), json!([{ "name": m }]));
    }
    meta.insert("component".into(), product_json(corpus, s));
    if let Some(m) = &s.maker {
        meta.insert("manufacturer".into(), json!({ "name": m }));
        meta.insert("supplier".into(), json!({ "name": m }));
    }
    let components: Vec<Value> = s
        .items
        .iter()
        .map(|i| component_json(i, &mut warnings))
        .collect();
    let mut doc = Map::new();
    doc.insert("bomFormat".into(), json!("CycloneDX"));
    doc.insert("specVersion".into(), json!("1.6"));
    doc.insert("version".into(), json!(1));
    doc.insert("metadata".into(), Value::Object(meta));
    doc.insert("components".into(), Value::Array(components));
    let deps: Vec<Value> = s
        .dependencies
        .iter()
        .map(|(r, on)| {
            if on.is_empty() {
                json!({ "ref": r })
            } else {
                json!({ "ref": r, "dependsOn": on })
            }
        })
        .collect();
    if !deps.is_empty() {
        doc.insert("dependencies".into(), Value::Array(deps));
    }
    let (text, serial) = with_serial(doc)?;
    Ok(Export {
        text,
        id: serial,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_v5_matches_rfc_example() {
        // Python: uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com")
        assert_eq!(
            uuid_v5(b"https://example.com"),
            "4fd35a71-71ef-5a55-a9d9-aa75c889a6d0"
        );
    }

    #[test]
    fn spdx_expressions_and_names() {
        for e in [
            "Apache-2.0",
            "MIT OR Apache-2.0",
            "(MIT AND BSD-3-Clause) OR GPL-2.0-or-later WITH Classpath-exception-2.0",
            "LicenseRef-Acme-Proprietary",
            "DocumentRef-x:LicenseRef-y",
        ] {
            assert!(is_spdx_expression(e), "{e}");
        }
        for n in [
            "Nordic 5-Clause",
            "",
            "MIT OR",
            "(MIT",
            "MIT)",
            "AND",
            "GPL v2",
        ] {
            assert!(!is_spdx_expression(n), "{n}");
        }
    }

    #[test]
    fn hashes_cyclonedx_can_carry() {
        assert_eq!(
            cdx_hash("SHA256", &"a".repeat(64)).map(|h| h.0),
            Some("SHA-256")
        );
        assert_eq!(
            cdx_hash("sha3_256", &"a".repeat(64)).map(|h| h.0),
            Some("SHA3-256")
        );
        assert!(cdx_hash("SHA224", &"a".repeat(56)).is_none());
        assert!(cdx_hash("SHA-256", "xyz").is_none());
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_712_044_440), "2024-04-02T07:54:00Z");
    }
}
