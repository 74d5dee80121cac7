//! SPDX 3.0 JSON-LD: the elements of the `@graph` (as the SPDX 3 JSON-LD context compacts
//! them) read into the same model as SPDX 2: each `software_Package` is a component, with
//! `software_packageVersion`, `software_packageUrl` (else an `externalIdentifier` of type
//! `packageUrl`), CPEs from `externalIdentifier` (`cpe23`, `cpe22`), the supplier from
//! `suppliedBy` (the name of the Agent element it points to), hashes from `verifiedUsing`,
//! `validUntilTime` (the end of support), `software_primaryPurpose`, `software_sourceInfo`, and
//! the licences from `hasConcludedLicense` / `hasDeclaredLicense` relationships. The product is
//! the package the document's `rootElement` names (directly, or through a `software_Sbom`), or
//! that a `describes` relationship from the document names, with the same rules as SPDX 2.

use super::json::{Node, ShapeError};
use super::spdx::{source_info, split_product, supplier_name};
use super::{date_part, hash_alg, Component, Format, Sbom, SbomError};
use std::collections::{HashMap, HashSet};

/// A reference to another element: its id, or an inline element's `spdxId`.
fn reference(n: &Node<'_>) -> Option<String> {
    match n.value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o
            .get("spdxId")
            .or_else(|| o.get("@id"))
            .and_then(|v| v.as_str())
            .map(String::from),
        _ => None,
    }
}

fn references(n: &Node<'_>, key: &str) -> Result<Vec<String>, ShapeError> {
    Ok(match n.get(key) {
        None => Vec::new(),
        Some(v) if v.value.is_array() => v.items()?.iter().filter_map(reference).collect(),
        Some(v) => reference(&v).into_iter().collect(),
    })
}

fn id_of(n: &Node<'_>) -> Result<Option<String>, ShapeError> {
    Ok(n.opt_str("spdxId")?.or(n.opt_str("@id")?).map(String::from))
}

/// Parses an SPDX 3 JSON-LD document whose root is `root`.
pub(super) fn parse(root: &Node<'_>, file: &str) -> Result<Sbom, SbomError> {
    let shape = |error: ShapeError| SbomError::Shape {
        file: file.into(),
        error,
    };
    let graph = root
        .get("@graph")
        .map(|g| g.items())
        .transpose()
        .map_err(shape)?
        .unwrap_or_default();
    let mut warnings = Vec::new();
    let mut spec = None;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut licences: HashMap<String, String> = HashMap::new();
    let mut roots: Vec<String> = Vec::new();
    let mut sbom_roots: HashMap<String, Vec<String>> = HashMap::new();
    let mut documents: HashSet<String> = HashSet::new();
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    for e in &graph {
        e.expect_object().map_err(shape)?;
        let kind = e.opt_str("type").map_err(shape)?.unwrap_or("");
        let id = id_of(e).map_err(shape)?;
        match kind {
            "CreationInfo" if spec.is_none() => {
                spec = e.opt_str("specVersion").map_err(shape)?.map(String::from);
            }
            "Organization" | "Person" | "SoftwareAgent" | "Agent" | "Tool" => {
                if let (Some(id), Some(name)) = (id, e.opt_str("name").map_err(shape)?) {
                    names.insert(id, name.trim().to_string());
                }
            }
            "simplelicensing_LicenseExpression" => {
                if let (Some(id), Some(x)) = (
                    id,
                    e.opt_str("simplelicensing_licenseExpression")
                        .map_err(shape)?,
                ) {
                    licences.insert(id, x.trim().to_string());
                }
            }
            "expandedlicensing_ListedLicense" | "expandedlicensing_CustomLicense" => {
                if let Some(id) = id {
                    // A listed licence's id is its URL on spdx.org (`.../licenses/MIT`).
                    let short = id.rsplit('/').next().unwrap_or(&id).to_string();
                    licences.insert(id, short);
                }
            }
            "SpdxDocument" => {
                documents.extend(id);
                roots.extend(references(e, "rootElement").map_err(shape)?);
            }
            "software_Sbom" => {
                if let Some(id) = id {
                    sbom_roots.insert(id, references(e, "rootElement").map_err(shape)?);
                }
            }
            "software_Package" => packages.push(e.clone()),
            "Relationship" => relationships.push(e.clone()),
            _ => {}
        }
    }
    let spec = spec.unwrap_or_default();
    if !spec.starts_with("3.0") {
        if spec.is_empty() || !spec.starts_with('3') {
            return Err(SbomError::Unsupported {
                file: file.into(),
                format: Format::Spdx,
                version: if spec.is_empty() {
                    "3 (no CreationInfo specVersion)".into()
                } else {
                    spec
                },
            });
        }
        warnings.push(format!(
            "SPDX {spec} is read as SPDX 3.0: elements and properties new since 3.0 are ignored"
        ));
    }
    let mut described: HashSet<String> = HashSet::new();
    for r in &roots {
        match sbom_roots.get(r) {
            Some(inner) => described.extend(inner.iter().cloned()),
            None => {
                described.insert(r.clone());
            }
        }
    }
    let (mut concluded, mut declared): (HashMap<String, String>, HashMap<String, String>) =
        Default::default();
    for r in &relationships {
        let kind = r.opt_str("relationshipType").map_err(shape)?.unwrap_or("");
        let Some(from) = r.get("from").and_then(|f| reference(&f)) else {
            continue;
        };
        let to = references(r, "to").map_err(shape)?;
        match kind {
            "describes" if documents.contains(&from) => described.extend(to),
            "hasConcludedLicense" | "hasDeclaredLicense" => {
                let Some(l) = to.first().and_then(|t| licences.get(t)) else {
                    continue;
                };
                let map = if kind == "hasConcludedLicense" {
                    &mut concluded
                } else {
                    &mut declared
                };
                map.insert(from, l.clone());
            }
            _ => {}
        }
    }
    let mut all = Vec::with_capacity(packages.len());
    for p in &packages {
        let mut c = package(p, &names, &mut warnings).map_err(shape)?;
        c.license = [concluded.get(&c.sbom_ref), declared.get(&c.sbom_ref)]
            .into_iter()
            .flatten()
            .find(|l| !matches!(l.as_str(), "NOASSERTION" | "NONE" | ""))
            .cloned();
        all.push(c);
    }
    let (product, components) = split_product(all, &described, &mut warnings);
    let authors: Vec<String> = product.iter().filter_map(|p| p.supplier.clone()).collect();
    Ok(Sbom {
        format: Format::Spdx,
        spec_version: format!("SPDX-{spec}"),
        product,
        authors,
        components,
        vex: Vec::new(),
        warnings,
        dependencies: Vec::new(),
    })
}

fn package(
    p: &Node<'_>,
    names: &HashMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<Component, ShapeError> {
    let sbom_ref = id_of(p)?.unwrap_or_default();
    let name = p.req_str("name")?.trim().to_string();
    if name.is_empty() {
        return Err(p.error("the package's `name` is empty"));
    }
    let mut purl = p
        .opt_str("software_packageUrl")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let mut cpes = Vec::new();
    for x in p.opt_items("externalIdentifier")? {
        x.expect_object()?;
        let kind = x.opt_str("externalIdentifierType")?.unwrap_or("");
        let Some(value) = x.opt_str("identifier")? else {
            continue;
        };
        match kind {
            "packageUrl" if purl.is_none() => purl = Some(value.trim().to_string()),
            "cpe23" | "cpe22" => cpes.push(value.trim().to_string()),
            _ => {}
        }
    }
    if let Some(u) = &purl {
        if let Err(e) = super::purl::Purl::parse(u) {
            warnings.push(format!(
                "{}.software_packageUrl: {e}; the package is matched by cpe or name instead",
                p.path
            ));
        }
    }
    let supplier = match p.get("suppliedBy") {
        Some(s) => match s.value {
            serde_json::Value::Object(_) => s.opt_str("name")?.map(|n| n.trim().to_string()),
            _ => reference(&s).and_then(|id| names.get(&id).cloned()),
        },
        None => None,
    }
    .and_then(|s| supplier_name(&s));
    let mut hashes = Vec::new();
    for h in p.opt_items("verifiedUsing")? {
        h.expect_object()?;
        if h.opt_str("type")? != Some("Hash") {
            continue;
        }
        hashes.push((
            hash_alg(h.req_str("algorithm")?),
            h.req_str("hashValue")?.trim().to_string(),
        ));
    }
    let end_of_support = match p.opt_str("validUntilTime")? {
        Some(v) => {
            let d = date_part(v);
            if d.is_none() {
                warnings.push(format!(
                    "{}.validUntilTime: `{v}` is not a date; ignored",
                    p.path
                ));
            }
            d
        }
        None => None,
    };
    let (source_name, source_version) = match p.opt_str("software_sourceInfo")? {
        Some(s) => source_info(s),
        None => (None, None),
    };
    let mut c = Component {
        sbom_ref,
        kind: p
            .opt_str("software_primaryPurpose")?
            .map(|s| s.to_ascii_lowercase()),
        group: None,
        name,
        version: p
            .opt_str("software_packageVersion")?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s != "NOASSERTION"),
        purl,
        cpes,
        supplier,
        hashes,
        license: None,
        end_of_support,
        support_level: None,
        source_name,
        source_version,
        json_path: p.path.clone(),
    };
    c.source_from_purl();
    Ok(c)
}

#[cfg(test)]
mod tests {
    use crate::sbom::{parse as read, ReadOptions};

    fn data(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/data/{rel}", env!("CARGO_MANIFEST_DIR"))).expect("data")
    }

    #[test]
    fn the_spdx_spec_package_sbom() {
        let s = read(
            &data("spdx/package_sbom.spdx3.json"),
            "t.json",
            &ReadOptions::default(),
        )
        .expect("spdx 3");
        assert_eq!(s.spec_version, "SPDX-3.0.1");
        let p = s.product.expect("product through the Sbom's rootElement");
        assert_eq!(
            (p.name.as_str(), p.version.as_deref()),
            ("my-package", Some("1.0.0"))
        );
        assert!(s.components.is_empty());
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn spdx_examples_example11_packages_purls_and_licences() {
        let s = read(
            &data("spdx/spdx-examples-example11.spdx3.json"),
            "t.json",
            &ReadOptions::default(),
        )
        .expect("spdx 3");
        let mut names: Vec<(&str, Option<&str>, Option<&str>)> = s
            .components
            .iter()
            .chain(s.product.iter())
            .map(|c| (c.name.as_str(), c.version.as_deref(), c.purl.as_deref()))
            .collect();
        names.sort();
        assert!(
            names.contains(&("tokio", Some("1.19.2"), Some("pkg:cargo/tokio@1.19.2"))),
            "{names:?}"
        );
        assert!(
            names.contains(&(
                "hello-server-src",
                Some("0.1.0"),
                Some("pkg:deb/debian/libselinux1-dev@3.1-3?arch=s390x")
            )),
            "{names:?}"
        );
        let hyper = s
            .components
            .iter()
            .chain(s.product.iter())
            .find(|c| c.name == "hyper")
            .expect("hyper");
        assert!(hyper.license.is_some(), "licence from hasConcludedLicense");
        assert!(
            hyper.json_path.starts_with("$[\"@graph\"]["),
            "{}",
            hyper.json_path
        );
    }

    #[test]
    fn wrong_shapes_and_versions() {
        let o = ReadOptions::default();
        let e = read(
            br#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[{"type":"CreationInfo","specVersion":"3.0.1"},{"type":"software_Package","spdxId":"p","name":7}]}"#,
            "t.json",
            &o,
        )
        .expect_err("name is a number");
        assert_eq!(
            e.to_string(),
            "t.json: $[\"@graph\"][1].name: expected a string, found a number"
        );
        let e = read(br#"{"@graph":[]}"#, "t.json", &o).expect_err("no spec version");
        assert!(e.to_string().contains("not supported"), "{e}");
    }
}
