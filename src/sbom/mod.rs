//! Software bills of materials: reading CycloneDX and SPDX into one component model,
//! importing it into CMP and SUP records, and comparing two of them.
//!
//! Supported: CycloneDX 1.5 and 1.6 JSON, SPDX 2.3 JSON and tag-value ([`tagvalue`]), SPDX 3.0
//! JSON-LD ([`spdx3`]). Older CycloneDX 1.x and SPDX 2.2 (real firmware vendors still publish
//! it; the package shape is the same) are read with a warning. Anything else is a [`SbomError`]
//! that names the file and the JSON path (for tag-value, the line and column) of the problem.
//! The product an SBOM describes (CycloneDX `metadata.component`, the packages an SPDX document
//! DESCRIBES) is kept apart from its components: it is the device, not a part of it.

pub mod cyclonedx;
pub mod diff;
pub mod edit;
pub mod export;
pub mod import;
pub mod json;
pub mod purl;
pub mod spdx;
pub mod spdx3;
pub mod tagvalue;

use crate::corpus::Corpus;
use json::{Node, ShapeError};
use purl::{parse_cpe, Purl};
use serde::Serialize;
use std::path::Path;

/// Largest SBOM ddf reads. Real SBOMs of whole container images stay well below this.
pub const MAX_SBOM: u64 = 256 * 1024 * 1024;

/// The CycloneDX property that states a component's end of support.
pub const END_OF_SUPPORT_PROPERTY: &str = "cdx:lifecycle:milestone:endOfSupport";

/// The property `ddf sbom export` writes a component's support level in (FDA's "level of
/// support"; no CycloneDX property is official yet), and which the import always reads.
pub const SUPPORT_LEVEL_PROPERTY: &str = "ddf:supportLevel";

/// The SBOM format family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CycloneDX JSON.
    CycloneDx,
    /// SPDX JSON.
    Spdx,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Format::CycloneDx => "CycloneDX",
            Format::Spdx => "SPDX",
        })
    }
}

/// One component (CycloneDX component, SPDX package).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Component {
    /// `bom-ref` or `SPDXID`; empty when the SBOM gives none.
    pub sbom_ref: String,
    /// CycloneDX `type` or SPDX `primaryPackagePurpose`.
    pub kind: Option<String>,
    /// CycloneDX `group`.
    pub group: Option<String>,
    /// Name.
    pub name: String,
    /// Version.
    pub version: Option<String>,
    /// The package URL as written.
    pub purl: Option<String>,
    /// CPE names (SPDX may list several; the first is the one written to the record).
    pub cpes: Vec<String>,
    /// Supplier name (CycloneDX supplier, else manufacturer, else publisher; SPDX supplier).
    pub supplier: Option<String>,
    /// Hashes as (algorithm, value), algorithm spelled the CycloneDX way (`SHA-256`).
    pub hashes: Vec<(String, String)>,
    /// Licence (an SPDX expression, or the names given, joined by ` AND `).
    pub license: Option<String>,
    /// End of supplier support, `YYYY-MM-DD`.
    pub end_of_support: Option<String>,
    /// Support level from the configured property, one of the CMP `support_level` values.
    pub support_level: Option<String>,
    /// The distribution source package the binary package was built from (Debian, Alpine,
    /// RPM): SPDX `sourceInfo`, CycloneDX properties (Trivy's `aquasecurity:trivy:SrcName`,
    /// syft's `syft:metadata:source`), else the purl's `upstream=` qualifier.
    pub source_name: Option<String>,
    /// The source package's version, with its epoch (`1:1.2.11.dfsg-2+deb11u2`), when stated.
    pub source_version: Option<String>,
    /// Where the component is in the file.
    pub json_path: String,
}

impl Component {
    /// The parsed purl, when it is one.
    pub fn parsed_purl(&self) -> Option<Purl> {
        self.purl.as_deref().and_then(|p| Purl::parse(p).ok())
    }

    /// Fills the source package from the purl's `upstream=` qualifier when the SBOM stated none
    /// otherwise. `upstream=zlib`, `upstream=zlib@1:1.2.11.dfsg-2`, and for RPMs the source RPM
    /// file name (`upstream=openssl-1.1.1k-7.el8_6.src.rpm`).
    pub(crate) fn source_from_purl(&mut self) {
        if self.source_name.is_some() {
            return;
        }
        let Some(p) = self.parsed_purl() else { return };
        let Some(up) = p.qualifier("upstream") else {
            return;
        };
        let (name, version) = source_package(up, &p.ty);
        self.source_name = name;
        if self.source_version.is_none() {
            self.source_version = version;
        }
    }

    /// `name version` for messages.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => self.name.clone(),
        }
    }

    /// The keys that identify the package across versions, strongest first: normalised purl
    /// without version, CPE vendor and product, then group and name.
    pub fn identity(&self) -> Identity {
        identity(
            self.purl.as_deref(),
            self.cpes.first().map(String::as_str),
            self.group.as_deref(),
            &self.name,
            self.version.as_deref(),
        )
    }
}

/// What identifies a component (see [`Component::identity`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    /// Versionless normalised purl.
    pub purl: Option<String>,
    /// CPE `part:vendor:product`.
    pub cpe: Option<String>,
    /// Lower-case `group/name` (or name).
    pub name: String,
    /// Version, with a leading `v` dropped, for comparing versions written both ways.
    pub version: Option<String>,
}

impl Identity {
    /// The strongest key: purl, else cpe, else name.
    pub fn key(&self) -> String {
        self.purl
            .clone()
            .or_else(|| self.cpe.clone().map(|c| format!("cpe:{c}")))
            .unwrap_or_else(|| format!("name:{}", self.name))
    }
}

/// The source package `(name, version)` of an `upstream=` qualifier or a CMP `source_package`
/// value: `name`, `name@version`, or for purl type `rpm` a source RPM file name
/// (`openssl-1.1.1k-7.el8_6.src.rpm`: name, then version and release after the last two `-`).
pub fn source_package(text: &str, purl_type: &str) -> (Option<String>, Option<String>) {
    let t = text.trim();
    if t.is_empty() {
        return (None, None);
    }
    if let Some((n, v)) = t.split_once('@') {
        let v = v.trim();
        return (
            Some(n.trim().to_string()).filter(|n| !n.is_empty()),
            Some(v.to_string()).filter(|v| !v.is_empty()),
        );
    }
    if purl_type == "rpm" {
        if let Some(stem) = t
            .strip_suffix(".src.rpm")
            .or_else(|| t.strip_suffix(".nosrc.rpm"))
        {
            let mut parts = stem.rsplitn(3, '-');
            if let (Some(rel), Some(ver), Some(name)) = (parts.next(), parts.next(), parts.next()) {
                return (Some(name.to_string()), Some(format!("{ver}-{rel}")));
            }
        }
    }
    (Some(t.to_string()), None)
}

/// A version with a leading `v` or `V` dropped when a digit follows (`v3.6.0` = `3.6.0`).
pub fn plain_version(v: &str) -> &str {
    let t = v.trim();
    match t.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => t,
    }
}

/// The identity of a component from its parts (also used for CMP records).
pub fn identity(
    purl: Option<&str>,
    cpe: Option<&str>,
    group: Option<&str>,
    name: &str,
    version: Option<&str>,
) -> Identity {
    let parsed = purl.and_then(|p| Purl::parse(p).ok());
    let version = version
        .map(plain_version)
        .or_else(|| {
            parsed
                .as_ref()
                .and_then(|p| p.version.as_deref().map(plain_version))
        })
        .filter(|v| !v.is_empty())
        .map(String::from);
    let name = match group.filter(|g| !g.trim().is_empty()) {
        Some(g) => format!("{}/{}", g.trim(), name.trim()),
        None => name.trim().to_string(),
    }
    .to_lowercase();
    Identity {
        purl: parsed.map(|p| p.versionless()),
        cpe: cpe.and_then(parse_cpe).map(|c| c.product),
        name,
        version,
    }
}

/// A VEX statement in a CycloneDX SBOM (`vulnerabilities[]` with an `analysis`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vex {
    /// The vulnerability id.
    pub id: String,
    /// Ids in `references[]` (often the CVE).
    pub references: Vec<String>,
    /// `analysis.state`.
    pub state: Option<String>,
    /// `analysis.justification`.
    pub justification: Option<String>,
    /// `analysis.response`.
    pub response: Vec<String>,
    /// `affects[].ref`.
    pub affects: Vec<String>,
}

/// A parsed SBOM.
#[derive(Debug, Clone, Serialize)]
pub struct Sbom {
    /// Format.
    pub format: Format,
    /// Spec version as written (`1.6`, `SPDX-2.3`).
    pub spec_version: String,
    /// The product the SBOM describes, when it names one.
    pub product: Option<Component>,
    /// Names of the SBOM's own supplier and manufacturer (components they supply are first-party).
    pub authors: Vec<String>,
    /// The components, in document order (nested CycloneDX components after their parent).
    pub components: Vec<Component>,
    /// VEX statements carried in the SBOM.
    pub vex: Vec<Vex>,
    /// CycloneDX `dependencies[]`: a bom-ref and the bom-refs it depends on, as written
    /// (dangling refs included; they are reported in `warnings`).
    pub dependencies: Vec<(String, Vec<String>)>,
    /// Things read but not quite right (unsupported minor versions, dangling refs, bad purls).
    pub warnings: Vec<String>,
}

/// Options for reading SBOMs.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The CycloneDX property that states a component's support level (`ddf.yaml`
    /// `sbom.support_level_property`); none is official yet.
    pub support_level_property: Option<String>,
}

impl ReadOptions {
    /// The options a DDF's configuration sets.
    pub fn from_config(config: &crate::config::Config) -> Self {
        ReadOptions {
            support_level_property: config.sbom.support_level_property.clone(),
        }
    }
}

/// Why an SBOM cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// The file cannot be read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file.
        file: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_SBOM`].
    #[error("{file}: the file is {size} bytes, more than the {MAX_SBOM} ddf reads")]
    TooLarge {
        /// The file.
        file: String,
        /// Its size.
        size: u64,
    },
    /// Not JSON.
    #[error("{file}:{line}:{column}: not valid JSON at {json_path}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The JSONPath of the value being read there.
        json_path: String,
        /// serde_json's message.
        message: String,
    },
    /// An SPDX tag-value document that cannot be read.
    #[error("{file}:{line}:{column}: {message}")]
    TagValue {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// JSON, but neither CycloneDX nor SPDX.
    #[error("{file}: not a CycloneDX or SPDX JSON document ({found})")]
    UnknownFormat {
        /// The file.
        file: String,
        /// What was found instead.
        found: String,
    },
    /// A format version ddf does not read.
    #[error("{file}: {format} version `{version}` is not supported")]
    Unsupported {
        /// The file.
        file: String,
        /// The format.
        format: Format,
        /// The version.
        version: String,
    },
    /// A value with the wrong shape.
    #[error("{file}: {error}")]
    Shape {
        /// The file.
        file: String,
        /// The path and the problem.
        error: ShapeError,
    },
}

impl SbomError {
    /// How to fix it.
    pub fn hint(&self) -> String {
        match self {
            SbomError::Io { .. } => "check the path and the file's permissions".into(),
            SbomError::TooLarge { .. } => "split the SBOM per product part (firmware, app, cloud)".into(),
            SbomError::Syntax { .. } => "the file is not well-formed JSON; regenerate it, or fix the value at that line and column".into(),
            SbomError::TagValue { .. } => "SPDX tag-value is `Tag: value` lines (`<text>...</text>` for values over several lines); fix the line, or regenerate the SBOM".into(),
            SbomError::UnknownFormat { .. } => "ddf reads CycloneDX JSON (`\"bomFormat\": \"CycloneDX\"`), SPDX 2.x JSON (`\"spdxVersion\": \"SPDX-2.3\"`), SPDX 2.x tag-value (`SPDXVersion: SPDX-2.3`) and SPDX 3.0 JSON-LD; XML is not read: convert with the cyclonedx or spdx tools".into(),
            SbomError::Unsupported { format: Format::CycloneDx, .. } => "ddf reads CycloneDX 1.x JSON (1.5 and 1.6 fully); export the SBOM as CycloneDX 1.6 JSON".into(),
            SbomError::Unsupported { format: Format::Spdx, .. } => "ddf reads SPDX 2.x JSON and tag-value (2.3 fully) and SPDX 3.0 JSON-LD; export the SBOM as SPDX 2.3 JSON".into(),
            SbomError::Shape { .. } => "the value does not have the type the CycloneDX / SPDX schema prescribes; fix it in the file or regenerate the SBOM".into(),
        }
    }
}

/// Parses the bytes of an SBOM file; `file` names it in messages.
pub fn parse(bytes: &[u8], file: &str, opts: &ReadOptions) -> Result<Sbom, SbomError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    // Tag-value is recognised by its first tag; anything else must be JSON.
    if let Ok(text) = std::str::from_utf8(bytes) {
        if tagvalue::is_tag_value(text) {
            return tagvalue::parse(text, file);
        }
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let text = String::from_utf8_lossy(bytes);
        SbomError::Syntax {
            file: file.into(),
            line: e.line(),
            column: e.column(),
            json_path: json::path_at(&text, e.line(), e.column()),
            message: strip_position(&e.to_string()),
        }
    })?;
    let root = Node::root(&value);
    let shape = |error| SbomError::Shape {
        file: file.into(),
        error,
    };
    root.expect_object().map_err(|_| SbomError::UnknownFormat {
        file: file.into(),
        found: format!("the document is {}, not an object", json::kind_of(&value)),
    })?;
    if let Some(f) = root.get("bomFormat") {
        let f = f.as_str().map_err(shape)?;
        if f != "CycloneDX" {
            return Err(SbomError::UnknownFormat {
                file: file.into(),
                found: format!("bomFormat is `{f}`"),
            });
        }
        return cyclonedx::parse(&root, file, opts);
    }
    if root.get("spdxVersion").is_some() {
        return spdx::parse(&root, file);
    }
    if root.get("@graph").is_some() {
        return spdx3::parse(&root, file);
    }
    let found = if root.get("@context").is_some() {
        "JSON-LD without an `@graph`: SPDX 3 documents list their elements in `@graph`".to_string()
    } else {
        "no `bomFormat` and no `spdxVersion` member".to_string()
    };
    Err(SbomError::UnknownFormat {
        file: file.into(),
        found,
    })
}

/// serde_json appends "at line L column C"; ddf prints the position itself.
fn strip_position(msg: &str) -> String {
    msg.find(" at line ").map_or(msg, |i| &msg[..i]).to_string()
}

/// Reads and parses the SBOM at `path`.
pub fn read_file(path: &Path, opts: &ReadOptions) -> Result<Sbom, SbomError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| SbomError::Io {
        file: file.clone(),
        source,
    })?;
    if meta.len() > MAX_SBOM {
        return Err(SbomError::TooLarge {
            file,
            size: meta.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(|source| SbomError::Io {
        file: file.clone(),
        source,
    })?;
    parse(&bytes, &file, opts)
}

/// A date (`YYYY-MM-DD`, or the date part of a date-time) from an SBOM value, if valid.
pub(crate) fn date_part(s: &str) -> Option<String> {
    let d = crate::date::Date::parse(s)?;
    Some(d.to_string())
}

/// Hash algorithm names in CycloneDX spelling (`SHA256` -> `SHA-256`, `SHA3-256` kept).
pub(crate) fn hash_alg(alg: &str) -> String {
    let a = alg.trim().to_ascii_uppercase();
    if let Some(bits) = a
        .strip_prefix("SHA")
        .filter(|b| b.chars().all(|c| c.is_ascii_digit()) && !b.is_empty())
    {
        return format!("SHA-{bits}");
    }
    match a.as_str() {
        "BLAKE2B-256" | "BLAKE2B-384" | "BLAKE2B-512" => a.replace("BLAKE2B", "BLAKE2b"),
        _ => a,
    }
}

/// Whether a path relative to the DDF root stays inside it (no `..`, not absolute).
pub fn is_safe_relative(path: &str) -> bool {
    let p = Path::new(path);
    !path.trim().is_empty()
        && !p.is_absolute()
        && !path.starts_with('/')
        && !path.starts_with('\\')
        && !path.contains(':')
        && path.split(['/', '\\']).all(|c| c != "..")
}

/// The SBOM files the releases of `corpus` name (`sbom:`), deduplicated, in order: what
/// [`Corpus::load`] reads alongside the records for the `sbom-reconciled` rule. Paths that would
/// leave the DDF root are left out (the rule reports them).
pub fn release_files(corpus: &Corpus) -> Vec<String> {
    let mut out: Vec<String> = corpus
        .records_of("release")
        .iter()
        .flat_map(|&i| corpus.records[i].list("sbom"))
        .map(|p| p.trim().to_string())
        .filter(|p| is_safe_relative(p))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_formats_are_named() {
        let o = ReadOptions::default();
        let e = parse(b"[1, 2]", "x.json", &o).expect_err("array");
        assert!(e.to_string().contains("not an object"), "{e}");
        let e = parse(
            br#"{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}"#,
            "x.json",
            &o,
        )
        .expect_err("json-ld");
        assert!(e.to_string().contains("SPDX 3"), "{e}");
        let e = parse(br#"{"bomFormat": "SWID"}"#, "x.json", &o).expect_err("swid");
        assert!(e.to_string().contains("bomFormat is `SWID`"), "{e}");
    }

    #[test]
    fn syntax_errors_have_line_column_and_path() {
        let e = parse(
            b"{\"bomFormat\": \"CycloneDX\",\n \"components\": [ {\"name\": } ]}",
            "s.json",
            &ReadOptions::default(),
        )
        .expect_err("broken");
        let msg = e.to_string();
        assert!(msg.starts_with("s.json:2:"), "{msg}");
        assert!(msg.contains("$.components[0].name"), "{msg}");
    }

    #[test]
    fn helpers() {
        assert_eq!(hash_alg("SHA256"), "SHA-256");
        assert_eq!(hash_alg("SHA-1"), "SHA-1");
        assert_eq!(hash_alg("sha3-256"), "SHA3-256");
        assert_eq!(hash_alg("BLAKE2b-384"), "BLAKE2b-384");
        assert_eq!(plain_version("v1.2.3"), "1.2.3");
        assert_eq!(plain_version("vendor"), "vendor");
        assert!(is_safe_relative("sboms/a.json"));
        assert!(!is_safe_relative("../a.json"));
        assert!(!is_safe_relative("/etc/passwd"));
        assert!(!is_safe_relative("C:/x.json"));
        assert_eq!(
            date_part("2014-01-29T18:30:22Z").as_deref(),
            Some("2014-01-29")
        );
    }
}
