//! CycloneDX JSON (1.5 and 1.6; older 1.x read with a warning): components (nested ones too),
//! the product in `metadata.component`, `dependencies` (checked for dangling refs) and VEX
//! statements in `vulnerabilities[].analysis`.

use super::json::{Node, ShapeError};
use super::{
    date_part, hash_alg, Component, Format, ReadOptions, Sbom, SbomError, Vex,
    END_OF_SUPPORT_PROPERTY,
};
use std::collections::HashSet;

/// Support-level values a property may state, and the CMP value each maps to.
fn support_level(value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    Some(match v.as_str() {
        "actively-maintained" | "active" | "maintained" => "actively-maintained",
        "no-longer-maintained" | "unmaintained" | "not-maintained" => "no-longer-maintained",
        "abandoned" => "abandoned",
        "unknown" => "unknown",
        _ => return None,
    })
}

/// Parses a CycloneDX document whose root is `root`.
pub(super) fn parse(root: &Node<'_>, file: &str, opts: &ReadOptions) -> Result<Sbom, SbomError> {
    let shape = |error: ShapeError| SbomError::Shape {
        file: file.into(),
        error,
    };
    let mut warnings = Vec::new();
    let spec = root
        .req_str("specVersion")
        .map_err(shape)?
        .trim()
        .to_string();
    match spec.as_str() {
        "1.5" | "1.6" => {}
        v if v.starts_with("1.") && v[2..].chars().all(|c| c.is_ascii_digit()) && v.len() > 2 => {
            warnings.push(format!(
                "CycloneDX {v} is read as 1.6: ddf fully supports 1.5 and 1.6 (lifecycle properties and `manufacturer` may be missing)"
            ));
        }
        v => {
            return Err(SbomError::Unsupported {
                file: file.into(),
                format: Format::CycloneDx,
                version: v.into(),
            })
        }
    }
    let mut authors = Vec::new();
    let mut product = None;
    if let Some(meta) = root.get("metadata") {
        meta.expect_object().map_err(shape)?;
        for who in ["supplier", "manufacturer", "manufacture"] {
            if let Some(n) = meta.get(who) {
                n.expect_object().map_err(shape)?;
                if let Some(name) = n.opt_str("name").map_err(shape)? {
                    authors.push(name.trim().to_string());
                }
            }
        }
        if let Some(c) = meta.get("component") {
            let p = component(&c, opts, &mut warnings).map_err(shape)?;
            authors.extend(p.supplier.clone());
            product = Some(p);
        }
    }
    authors.retain(|a| !a.is_empty());
    authors.sort();
    authors.dedup();
    let mut components = Vec::new();
    collect(root, opts, &mut components, &mut warnings, 0).map_err(shape)?;
    // Dependencies name components by bom-ref; a ref to nothing is a generator bug worth
    // knowing about, not a reason to refuse the SBOM.
    let mut refs: HashSet<&str> = components.iter().map(|c| c.sbom_ref.as_str()).collect();
    if let Some(p) = &product {
        refs.insert(p.sbom_ref.as_str());
    }
    let mut dangling = Vec::new();
    let mut dependencies = Vec::new();
    for d in root.opt_items("dependencies").map_err(shape)? {
        d.expect_object().map_err(shape)?;
        let from = d.req_str("ref").map_err(shape)?;
        let on = d.opt_strings("dependsOn").map_err(shape)?;
        dependencies.push((
            from.to_string(),
            on.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        ));
        let mut named = vec![from];
        named.extend(on);
        for r in named {
            if !refs.contains(r) {
                dangling.push(format!("`{r}` ({})", d.path));
            }
        }
    }
    dangling.sort();
    dangling.dedup();
    if !dangling.is_empty() {
        warnings.push(format!(
            "dependencies name {} bom-ref{} that no component has: {}",
            dangling.len(),
            if dangling.len() == 1 { "" } else { "s" },
            dangling.join(", ")
        ));
    }
    let mut vex = Vec::new();
    for v in root.opt_items("vulnerabilities").map_err(shape)? {
        v.expect_object().map_err(shape)?;
        let id = v.opt_str("id").map_err(shape)?.unwrap_or("").to_string();
        let mut references = Vec::new();
        for r in v.opt_items("references").map_err(shape)? {
            if let Some(id) = r.opt_str("id").map_err(shape)? {
                references.push(id.to_string());
            }
        }
        let (mut state, mut justification, mut response) = (None, None, Vec::new());
        if let Some(a) = v.get("analysis") {
            a.expect_object().map_err(shape)?;
            state = a.opt_str("state").map_err(shape)?.map(String::from);
            justification = a.opt_str("justification").map_err(shape)?.map(String::from);
            response = a
                .opt_strings("response")
                .map_err(shape)?
                .into_iter()
                .map(String::from)
                .collect();
        }
        let mut affects = Vec::new();
        for a in v.opt_items("affects").map_err(shape)? {
            affects.push(a.req_str("ref").map_err(shape)?.to_string());
        }
        vex.push(Vex {
            id,
            references,
            state,
            justification,
            response,
            affects,
        });
    }
    Ok(Sbom {
        format: Format::CycloneDx,
        spec_version: spec,
        product,
        authors,
        components,
        vex,
        dependencies,
        warnings,
    })
}

/// Depth beyond which nested components are not followed: a bound against hostile files.
const MAX_NESTING: usize = 64;

fn collect(
    parent: &Node<'_>,
    opts: &ReadOptions,
    out: &mut Vec<Component>,
    warnings: &mut Vec<String>,
    depth: usize,
) -> Result<(), ShapeError> {
    if depth > MAX_NESTING {
        return Err(parent.error(format!("components nest deeper than {MAX_NESTING} levels")));
    }
    for c in parent.opt_items("components")? {
        out.push(component(&c, opts, warnings)?);
        collect(&c, opts, out, warnings, depth + 1)?;
    }
    Ok(())
}

fn named(n: &Node<'_>, key: &str) -> Result<Option<String>, ShapeError> {
    match n.get(key) {
        None => Ok(None),
        Some(o) => {
            o.expect_object()?;
            Ok(o.opt_str("name")?
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()))
        }
    }
}

fn licenses(list: &[Node<'_>]) -> Result<Option<String>, ShapeError> {
    let mut parts = Vec::new();
    for l in list {
        l.expect_object()?;
        if let Some(e) = l.opt_str("expression")? {
            parts.push(e.trim().to_string());
        } else if let Some(lic) = l.get("license") {
            lic.expect_object()?;
            if let Some(id) = lic.opt_str("id")?.or(lic.opt_str("name")?) {
                parts.push(id.trim().to_string());
            }
        }
    }
    parts.retain(|p| !p.is_empty());
    parts.dedup();
    Ok(match parts.len() {
        0 => None,
        1 => parts.pop(),
        // Several entries: CycloneDX leaves their relation open; all of them apply to what
        // ships, so they are joined with AND (and parenthesised when compound).
        _ => Some(
            parts
                .iter()
                .map(|p| {
                    if p.contains(' ') {
                        format!("({p})")
                    } else {
                        p.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    })
}

fn component(
    c: &Node<'_>,
    opts: &ReadOptions,
    warnings: &mut Vec<String>,
) -> Result<Component, ShapeError> {
    c.expect_object()?;
    let name = c.req_str("name")?.trim().to_string();
    if name.is_empty() {
        return Err(c.error("the component's `name` is empty"));
    }
    let purl = c
        .opt_str("purl")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(p) = &purl {
        if let Err(e) = super::purl::Purl::parse(p) {
            warnings.push(format!(
                "{}.purl: {e}; the component is matched by cpe or name instead",
                c.path
            ));
        }
    }
    let supplier = named(c, "supplier")?.or(named(c, "manufacturer")?).or(c
        .opt_str("publisher")?
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty()));
    let mut hashes = Vec::new();
    for h in c.opt_items("hashes")? {
        h.expect_object()?;
        hashes.push((
            hash_alg(h.req_str("alg")?),
            h.req_str("content")?.trim().to_string(),
        ));
    }
    let mut license = licenses(&c.opt_items("licenses")?)?;
    if license.is_none() {
        if let Some(ev) = c.get("evidence") {
            ev.expect_object()?;
            license = licenses(&ev.opt_items("licenses")?)?;
        }
    }
    let (mut end_of_support, mut support) = (None, None);
    // The source package, from the generators' own properties: Trivy states it in parts,
    // syft as a name and a version (or, for RPMs, the source RPM file name).
    let mut src: [Option<String>; 4] = Default::default();
    let mut source_rpm = None;
    for p in c.opt_items("properties")? {
        p.expect_object()?;
        let pname = p.req_str("name")?;
        let value = p.opt_str("value")?.unwrap_or("");
        let keep = || Some(value.trim().to_string()).filter(|v| !v.is_empty());
        match pname {
            "aquasecurity:trivy:SrcName"
            | "syft:metadata:source"
            | "syft:metadata:originPackage" => src[0] = keep(),
            "aquasecurity:trivy:SrcVersion" | "syft:metadata:sourceVersion" => src[1] = keep(),
            "aquasecurity:trivy:SrcRelease" => src[2] = keep(),
            "aquasecurity:trivy:SrcEpoch" => src[3] = keep(),
            "syft:metadata:sourceRpm" => source_rpm = keep(),
            _ => {}
        }
        if pname == END_OF_SUPPORT_PROPERTY {
            // `unknown` is what the CMP field itself allows when support has no known end.
            let v = if value.trim().eq_ignore_ascii_case("unknown") {
                Some("unknown".to_string())
            } else {
                date_part(value)
            };
            match v {
                Some(d) => end_of_support = Some(d),
                None => warnings.push(format!(
                    "{}: `{END_OF_SUPPORT_PROPERTY}` is `{value}`, neither a date (YYYY-MM-DD) nor `unknown`; ignored",
                    p.path
                )),
            }
        } else if opts.support_level_property.as_deref() == Some(pname)
            || pname == super::SUPPORT_LEVEL_PROPERTY
        {
            match support_level(value) {
                Some(l) => support = Some(l.to_string()),
                None => warnings.push(format!(
                    "{}: `{pname}` is `{value}`, not one of actively-maintained, no-longer-maintained, abandoned, unknown; ignored",
                    p.path
                )),
            }
        }
    }
    let [src_name, src_version, src_release, src_epoch] = src;
    let (mut source_name, mut source_version) = (src_name, None);
    if let Some(v) = src_version {
        let mut full = match src_release {
            Some(r) => format!("{v}-{r}"),
            None => v,
        };
        if let Some(e) = src_epoch.filter(|e| e != "0") {
            if !full.contains(':') {
                full = format!("{e}:{full}");
            }
        }
        source_version = Some(full);
    }
    if source_name.is_none() {
        if let Some(rpm) = source_rpm {
            (source_name, source_version) = super::source_package(&rpm, "rpm");
        }
    }
    let mut out = Component {
        sbom_ref: c.opt_str("bom-ref")?.unwrap_or("").to_string(),
        kind: c.opt_str("type")?.map(String::from),
        group: c
            .opt_str("group")?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        name,
        version: c
            .opt_str("version")?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        purl,
        cpes: c
            .opt_str("cpe")?
            .map(|s| vec![s.trim().to_string()])
            .unwrap_or_default(),
        supplier,
        hashes,
        license,
        end_of_support,
        support_level: support,
        source_name,
        source_version,
        json_path: c.path.clone(),
    };
    out.source_from_purl();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::sbom::{parse, ReadOptions};

    fn read(json: &str, opts: &ReadOptions) -> Result<crate::sbom::Sbom, crate::sbom::SbomError> {
        parse(json.as_bytes(), "t.cdx.json", opts)
    }

    #[test]
    fn nested_components_properties_and_licences() {
        let s = read(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.6",
              "metadata":{"component":{"bom-ref":"dev","name":"Pump","supplier":{"name":"Acme"}}},
              "components":[{"bom-ref":"a","name":"a","version":"1.0","supplier":{"name":"Acme"},
                 "licenses":[{"license":{"id":"MIT"}},{"expression":"Apache-2.0 OR MIT"}],
                 "hashes":[{"alg":"SHA-256","content":"ab"}],
                 "properties":[{"name":"cdx:lifecycle:milestone:endOfSupport","value":"2030-01-31T00:00:00Z"},
                               {"name":"acme:support","value":"Actively maintained"}],
                 "components":[{"name":"b","version":"2","manufacturer":{"name":"Maker"},"purl":"pkg:npm/b@2"}]}],
              "dependencies":[{"ref":"a","dependsOn":["zzz"]}]}"#,
            &ReadOptions { support_level_property: Some("acme:support".into()) },
        )
        .expect("parses");
        assert_eq!(s.spec_version, "1.6");
        assert_eq!(s.product.as_ref().map(|p| p.name.as_str()), Some("Pump"));
        assert_eq!(s.authors, vec!["Acme"]);
        assert_eq!(s.components.len(), 2);
        let a = &s.components[0];
        assert_eq!(a.license.as_deref(), Some("MIT AND (Apache-2.0 OR MIT)"));
        assert_eq!(a.end_of_support.as_deref(), Some("2030-01-31"));
        assert_eq!(a.support_level.as_deref(), Some("actively-maintained"));
        assert_eq!(a.hashes, vec![("SHA-256".to_string(), "ab".to_string())]);
        let b = &s.components[1];
        assert_eq!(b.supplier.as_deref(), Some("Maker"));
        assert_eq!(b.json_path, "$.components[0].components[0]");
        assert!(
            s.warnings.iter().any(|w| w.contains("`zzz`")),
            "{:?}",
            s.warnings
        );
    }

    fn data(rel: &str) -> Vec<u8> {
        std::fs::read(format!("{}/tests/data/{rel}", env!("CARGO_MANIFEST_DIR"))).expect("data")
    }

    #[test]
    fn cyclonedx_1_2_to_1_4_keep_working() {
        for v in ["1.2", "1.3", "1.4"] {
            let s = crate::sbom::parse(
                &data(&format!("cyclonedx/valid-bom-{v}.json")),
                "t.json",
                &ReadOptions::default(),
            )
            .expect(v);
            assert_eq!(s.spec_version, v);
            assert!(s.warnings[0].contains(&format!("CycloneDX {v} is read as 1.6")));
            assert_eq!(
                s.product.as_ref().map(|p| p.name.as_str()),
                Some("Acme Application")
            );
            // `manufacture` (the 1.2-1.5 spelling) and `supplier` name the maker.
            assert_eq!(s.authors, vec!["Acme, Inc."]);
            let names: Vec<_> = s.components.iter().map(|c| c.label()).collect();
            assert_eq!(names, ["tomcat-catalina 9.0.14", "mylibrary 1.0.0"], "{v}");
            assert_eq!(s.components[0].supplier.as_deref(), Some("Acme Inc"));
            assert_eq!(s.components[0].license.as_deref(), Some("Apache-2.0"));
        }
    }

    #[test]
    fn trivy_source_package_properties() {
        let s = crate::sbom::parse(
            &data("cyclonedx/trivy-centos-7.cdx-1.5.json"),
            "t.json",
            &ReadOptions::default(),
        )
        .expect("trivy");
        let ssl = s
            .components
            .iter()
            .find(|c| c.name == "openssl-libs")
            .expect("openssl-libs");
        assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
        assert_eq!(ssl.source_version.as_deref(), Some("1:1.0.2k-16.el7"));
        let bash = s
            .components
            .iter()
            .find(|c| c.name == "bash")
            .expect("bash");
        assert_eq!(bash.source_version.as_deref(), Some("4.2.46-31.el7"));
    }

    #[test]
    fn source_package_from_syft_properties_and_purl_upstream() {
        let s = read(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
              {"name":"libssl3","version":"3.0.8-r0","purl":"pkg:apk/alpine/libssl3@3.0.8-r0?arch=x86_64&upstream=openssl&distro=3.17.2"},
              {"name":"zlib1g","purl":"pkg:deb/debian/zlib1g@1.2.11.dfsg-2%2Bdeb11u2?epoch=1&upstream=zlib%401%3A1.2.11.dfsg-2%2Bdeb11u2"},
              {"name":"openssl-libs","purl":"pkg:rpm/redhat/openssl-libs@1.1.1k-7.el8_6?upstream=openssl-1.1.1k-7.el8_6.src.rpm"},
              {"name":"libc6","properties":[{"name":"syft:metadata:source","value":"glibc"},{"name":"syft:metadata:sourceVersion","value":"2.36-9+deb12u4"}]}]}"#,
            &ReadOptions::default(),
        )
        .expect("parses");
        let src: Vec<(Option<&str>, Option<&str>)> = s
            .components
            .iter()
            .map(|c| (c.source_name.as_deref(), c.source_version.as_deref()))
            .collect();
        assert_eq!(
            src,
            [
                (Some("openssl"), None),
                (Some("zlib"), Some("1:1.2.11.dfsg-2+deb11u2")),
                (Some("openssl"), Some("1.1.1k-7.el8_6")),
                (Some("glibc"), Some("2.36-9+deb12u4")),
            ]
        );
    }

    #[test]
    fn wrong_shapes_name_the_path() {
        let e = read(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d","purl":7}]}"#,
            &ReadOptions::default(),
        )
        .expect_err("bad purl");
        assert_eq!(
            e.to_string(),
            "t.cdx.json: $.components[3].purl: expected a string, found a number"
        );
        let e = read(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"version":"1"}]}"#,
            &ReadOptions::default(),
        )
        .expect_err("no name");
        assert!(
            e.to_string().contains("$.components[0].name: missing"),
            "{e}"
        );
        let e = read(
            r#"{"bomFormat":"CycloneDX","specVersion":"2.0"}"#,
            &ReadOptions::default(),
        )
        .expect_err("2.0");
        assert!(
            e.to_string().contains("version `2.0` is not supported"),
            "{e}"
        );
        let s = read(
            r#"{"bomFormat":"CycloneDX","specVersion":"1.4"}"#,
            &ReadOptions::default(),
        )
        .expect("1.4");
        assert!(s.warnings[0].contains("1.4"));
    }
}
