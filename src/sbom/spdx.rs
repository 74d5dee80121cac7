//! SPDX JSON (2.3; 2.2 and older 2.x read with a warning): packages with their purl and CPE
//! external references, supplier, checksums, licence and `validUntilDate` (the end of supplier
//! support). The packages the document DESCRIBES are the product, not components.

use super::json::{Node, ShapeError};
use super::{date_part, hash_alg, Component, Format, Sbom, SbomError};
use std::collections::HashSet;

/// The supplier name of an SPDX `supplier` value: `Organization: Acme (ops@acme.example)` ->
/// `Acme`; `NOASSERTION` and empty -> none.
pub fn supplier_name(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("NOASSERTION") || v.eq_ignore_ascii_case("NONE") {
        return None;
    }
    let v = ["Organization:", "Person:", "Tool:"]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v)
        .trim();
    // A trailing `(email)` is contact data, not the name.
    let v = match v.rfind('(') {
        Some(i) if v.ends_with(')') && i > 0 => v[..i].trim(),
        _ => v,
    };
    (!v.is_empty()).then(|| v.to_string())
}

fn license(n: &Node<'_>) -> Result<Option<String>, ShapeError> {
    for key in ["licenseConcluded", "licenseDeclared"] {
        if let Some(l) = n.opt_str(key)? {
            let l = l.trim();
            if !l.is_empty() && l != "NOASSERTION" && l != "NONE" {
                return Ok(Some(l.to_string()));
            }
        }
    }
    Ok(None)
}

/// Parses an SPDX document whose root is `root`.
pub(super) fn parse(root: &Node<'_>, file: &str) -> Result<Sbom, SbomError> {
    let shape = |error: ShapeError| SbomError::Shape {
        file: file.into(),
        error,
    };
    let mut warnings = Vec::new();
    let version = root
        .req_str("spdxVersion")
        .map_err(shape)?
        .trim()
        .to_string();
    match version.as_str() {
        "SPDX-2.3" => {}
        "SPDX-2.2" | "SPDX-2.1" | "SPDX-2.0" => warnings.push(format!(
            "{version} is read as SPDX-2.3: packages, external references and checksums have the same JSON shape; fields new in 2.3 (validUntilDate, primaryPackagePurpose) are simply absent"
        )),
        v => {
            return Err(SbomError::Unsupported {
                file: file.into(),
                format: Format::Spdx,
                version: v.into(),
            })
        }
    }
    let doc_id = root
        .opt_str("SPDXID")
        .map_err(shape)?
        .unwrap_or("SPDXRef-DOCUMENT")
        .to_string();
    let mut described: HashSet<String> = root
        .opt_strings("documentDescribes")
        .map_err(shape)?
        .into_iter()
        .map(String::from)
        .collect();
    for r in root.opt_items("relationships").map_err(shape)? {
        r.expect_object().map_err(shape)?;
        let kind = r.opt_str("relationshipType").map_err(shape)?.unwrap_or("");
        let from = r.opt_str("spdxElementId").map_err(shape)?.unwrap_or("");
        let to = r
            .opt_str("relatedSpdxElement")
            .map_err(shape)?
            .unwrap_or("");
        if kind == "DESCRIBES" && from == doc_id && to != doc_id {
            described.insert(to.to_string());
        } else if kind == "DESCRIBED_BY" && to == doc_id && from != doc_id {
            described.insert(from.to_string());
        }
    }
    let mut all = Vec::new();
    for p in root.opt_items("packages").map_err(shape)? {
        all.push(package(&p, &mut warnings).map_err(shape)?);
    }
    let (product, components) = split_product(all, &described, &mut warnings);
    let authors: Vec<String> = product.iter().filter_map(|p| p.supplier.clone()).collect();
    Ok(Sbom {
        format: Format::Spdx,
        spec_version: version,
        product,
        authors,
        components,
        vex: Vec::new(),
        warnings,
        dependencies: Vec::new(),
    })
}

/// Splits the packages into the product and the components: one described package is the
/// product. Some generators describe several packages, or every one: taking them all as the
/// product would import nothing, so the first is the product and the others are components, or
/// none is the product when every package is described.
pub(super) fn split_product(
    all: Vec<Component>,
    described: &HashSet<String>,
    warnings: &mut Vec<String>,
) -> (Option<Component>, Vec<Component>) {
    let described_at: Vec<usize> = (0..all.len())
        .filter(|&i| described.contains(&all[i].sbom_ref))
        .collect();
    let product_at = match described_at.as_slice() {
        [] => None,
        [one] => Some(*one),
        many if many.len() == all.len() => {
            warnings.push(format!(
                "the document describes all {} packages; none is taken as the product, all are imported as components",
                many.len()
            ));
            None
        }
        many => {
            warnings.push(format!(
                "the document describes {} packages; {} is taken as the product, the other {} are imported as components",
                many.len(),
                all[many[0]].label(),
                many.len() - 1
            ));
            Some(many[0])
        }
    };
    let mut product = None;
    let mut components = Vec::with_capacity(all.len());
    for (i, c) in all.into_iter().enumerate() {
        if Some(i) == product_at {
            product = Some(c);
        } else {
            components.push(c);
        }
    }
    (product, components)
}

fn package(p: &Node<'_>, warnings: &mut Vec<String>) -> Result<Component, ShapeError> {
    p.expect_object()?;
    let sbom_ref = p.req_str("SPDXID")?.trim().to_string();
    let name = p.req_str("name")?.trim().to_string();
    if name.is_empty() {
        return Err(p.error("the package's `name` is empty"));
    }
    let (mut purl, mut cpes) = (None, Vec::new());
    for r in p.opt_items("externalRefs")? {
        r.expect_object()?;
        let category = r
            .req_str("referenceCategory")?
            .trim()
            .to_ascii_uppercase()
            .replace('_', "-");
        let kind = r.req_str("referenceType")?.trim();
        let locator = r.req_str("referenceLocator")?.trim();
        match (category.as_str(), kind) {
            ("PACKAGE-MANAGER", "purl") if purl.is_none() => {
                if let Err(e) = super::purl::Purl::parse(locator) {
                    warnings.push(format!(
                        "{}.referenceLocator: {e}; the package is matched by cpe or name instead",
                        r.path
                    ));
                }
                purl = Some(locator.to_string());
            }
            ("SECURITY", "cpe23Type" | "cpe22Type") => cpes.push(locator.to_string()),
            _ => {}
        }
    }
    let mut hashes = Vec::new();
    for c in p.opt_items("checksums")? {
        c.expect_object()?;
        hashes.push((
            hash_alg(c.req_str("algorithm")?),
            c.req_str("checksumValue")?.trim().to_string(),
        ));
    }
    let end_of_support = match p.opt_str("validUntilDate")? {
        Some(v) => {
            let d = date_part(v);
            if d.is_none() {
                warnings.push(format!(
                    "{}.validUntilDate: `{v}` is not a date; ignored",
                    p.path
                ));
            }
            d
        }
        None => None,
    };
    // Trivy writes `built package from: zlib 1:1.2.11.dfsg-2+deb11u2`; other generators use
    // the field for prose about where the information came from, which names no package.
    let (source_name, source_version) = match p.opt_str("sourceInfo")? {
        Some(s) => source_info(s),
        None => (None, None),
    };
    let mut c = Component {
        sbom_ref,
        kind: p
            .opt_str("primaryPackagePurpose")?
            .map(|s| s.to_ascii_lowercase()),
        group: None,
        name,
        version: p
            .opt_str("versionInfo")?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s != "NOASSERTION"),
        purl,
        cpes,
        supplier: p.opt_str("supplier")?.and_then(supplier_name),
        hashes,
        license: license(p)?,
        end_of_support,
        support_level: None,
        source_name,
        source_version,
        json_path: p.path.clone(),
    };
    c.source_from_purl();
    Ok(c)
}

/// The source package of an SPDX `sourceInfo` of the form `built package from: NAME [VERSION]`.
pub(crate) fn source_info(s: &str) -> (Option<String>, Option<String>) {
    let Some(rest) = s.trim().strip_prefix("built package from:") else {
        return (None, None);
    };
    let mut words = rest.split_whitespace();
    let name = words.next().map(String::from);
    let version = words.next().map(String::from);
    (name, version)
}

#[cfg(test)]
mod tests {
    use super::supplier_name;
    use crate::sbom::{parse, ReadOptions};

    #[test]
    fn supplier_forms() {
        assert_eq!(
            supplier_name("Organization: Infineon Technoligies AG").as_deref(),
            Some("Infineon Technoligies AG")
        );
        assert_eq!(
            supplier_name("Person: Jane Doe (jane.doe@example.com)").as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(supplier_name("NOASSERTION"), None);
    }

    #[test]
    fn packages_refs_and_product() {
        let s = parse(
            br#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","documentDescribes":["SPDXRef-fw"],
                "packages":[{"SPDXID":"SPDXRef-fw","name":"fw","versionInfo":"1"},
                  {"SPDXID":"SPDXRef-a","name":"a","versionInfo":"1.0","supplier":"Organization: A Corp",
                   "validUntilDate":"2030-01-01T00:00:00Z","licenseConcluded":"NOASSERTION","licenseDeclared":"MIT",
                   "checksums":[{"algorithm":"SHA256","checksumValue":"ff"}],
                   "externalRefs":[{"referenceCategory":"PACKAGE_MANAGER","referenceType":"purl","referenceLocator":"pkg:cargo/a@1.0"},
                                   {"referenceCategory":"SECURITY","referenceType":"cpe23Type","referenceLocator":"cpe:2.3:a:a:a:1.0:*:*:*:*:*:*:*"}]}]}"#,
            "t.spdx.json",
            &ReadOptions::default(),
        )
        .expect("parses");
        assert_eq!(s.product.as_ref().map(|p| p.name.as_str()), Some("fw"));
        let a = &s.components[0];
        assert_eq!(a.purl.as_deref(), Some("pkg:cargo/a@1.0"));
        assert_eq!(a.cpes.len(), 1);
        assert_eq!(a.supplier.as_deref(), Some("A Corp"));
        assert_eq!(a.end_of_support.as_deref(), Some("2030-01-01"));
        assert_eq!(a.license.as_deref(), Some("MIT"));
        assert_eq!(a.hashes[0].0, "SHA-256");
    }

    #[test]
    fn several_described_packages() {
        let doc = |describes: &str| {
            format!(
                r#"{{"spdxVersion":"SPDX-2.3","documentDescribes":[{describes}],"packages":[{{"SPDXID":"a","name":"a"}},{{"SPDXID":"b","name":"b"}},{{"SPDXID":"c","name":"c"}}]}}"#
            )
        };
        let s = parse(doc(r#""a","b""#).as_bytes(), "t", &ReadOptions::default()).expect("parses");
        assert_eq!(s.product.map(|p| p.name), Some("a".to_string()));
        assert_eq!(s.components.len(), 2);
        let s = parse(
            doc(r#""a","b","c""#).as_bytes(),
            "t",
            &ReadOptions::default(),
        )
        .expect("parses");
        assert!(s.product.is_none());
        assert_eq!(s.components.len(), 3);
        assert!(s.warnings[0].contains("describes all 3 packages"));
    }

    #[test]
    fn versions() {
        let e = parse(
            br#"{"spdxVersion":"SPDX-3.0"}"#,
            "t",
            &ReadOptions::default(),
        )
        .expect_err("3.0");
        assert!(e.to_string().contains("`SPDX-3.0` is not supported"), "{e}");
        let s = parse(
            br#"{"spdxVersion":"SPDX-2.2","packages":[]}"#,
            "t",
            &ReadOptions::default(),
        )
        .expect("2.2");
        assert!(s.warnings[0].contains("SPDX-2.2 is read as SPDX-2.3"));
        let e = parse(br#"{"spdxVersion":"SPDX-2.3","packages":[{"SPDXID":"x","name":"n","externalRefs":[{"referenceCategory":"SECURITY"}]}]}"#, "t", &ReadOptions::default())
            .expect_err("missing type");
        assert!(
            e.to_string()
                .contains("$.packages[0].externalRefs[0].referenceType: missing"),
            "{e}"
        );
    }
}
