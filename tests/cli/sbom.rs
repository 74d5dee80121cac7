//! `ddf sbom import` and `ddf sbom diff` on the real SBOMs in tests/data, and `sbom-reconciled`
//! on the example DDF.

use crate::harness::{md_files, TestRepo};
use crate::vuln::data;
use std::collections::BTreeMap;
use std::path::Path;

/// The front-matter fields of every record file below `dir`, by id.
fn records(dir: &Path) -> BTreeMap<String, BTreeMap<String, serde_yaml::Value>> {
    let mut out = BTreeMap::new();
    for p in md_files(dir) {
        let bytes = std::fs::read(&p).expect("read");
        let r = ddf::record::parse("x.md", &bytes)
            .record
            .expect("record parses");
        out.insert(r.id.clone(), r.fields.into_iter().collect());
    }
    out
}

fn text(m: &BTreeMap<String, serde_yaml::Value>, k: &str) -> Option<String> {
    m.get(k).and_then(ddf::record::scalar_text)
}

/// (purl, supplier) of every component the SBOM lists, nested ones included, and the product.
fn expected(file: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data(file)).expect("read")).expect("json");
    let mut out = Vec::new();
    if v.get("bomFormat").is_some() {
        fn walk(c: &serde_json::Value, out: &mut Vec<(String, Option<String>, Option<String>)>) {
            for x in c["components"].as_array().into_iter().flatten() {
                let sup = x["supplier"]["name"]
                    .as_str()
                    .or(x["manufacturer"]["name"].as_str())
                    .map(String::from);
                out.push((
                    x["name"].as_str().unwrap_or_default().into(),
                    x["purl"].as_str().map(String::from),
                    sup,
                ));
                walk(x, out);
            }
        }
        walk(&v, &mut out);
    } else {
        let described: Vec<String> = v["relationships"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                r["relationshipType"] == "DESCRIBES" && r["spdxElementId"] == "SPDXRef-DOCUMENT"
            })
            .filter_map(|r| r["relatedSpdxElement"].as_str().map(String::from))
            .chain(
                v["documentDescribes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.as_str().map(String::from)),
            )
            .collect();
        for p in v["packages"].as_array().into_iter().flatten() {
            if described.iter().any(|d| p["SPDXID"] == d.as_str()) {
                continue;
            }
            let purl = p["externalRefs"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["referenceType"] == "purl")
                .and_then(|r| r["referenceLocator"].as_str().map(String::from));
            let sup = p["supplier"]
                .as_str()
                .filter(|s| *s != "NOASSERTION")
                .map(|s| {
                    let s = s.split_once(':').map_or(s, |(_, r)| r).trim();
                    s.split(" (").next().unwrap_or(s).to_string()
                });
            out.push((p["name"].as_str().unwrap_or_default().into(), purl, sup));
        }
    }
    out
}

#[test]
fn every_component_is_imported_with_its_purl_and_supplier() {
    for file in [
        "cyclonedx/minikube-v1.23.1.cdx-1.5.json",
        "cyclonedx/npm-bundled-dependencies.cdx-1.6.json",
        "cyclonedx/poetry-regression-issue727.cdx-1.5.json",
        "cyclonedx/pl-dicom_anonymize-1.1.0.cdx-1.6.json",
        "cyclonedx/valid-vulnerability-1.6.json",
        "spdx/SPDXJSONExample-v2.3.spdx.json",
        "spdx/kong-atc-router-1.0.5.spdx-2.3.json",
        "spdx/infineon-mtb-dsl-psc3m8-firmware.spdx-2.2.json",
    ] {
        let t = TestRepo::with_basics();
        let run = t.ddf(&["sbom", "import", &data(file), "--format", "json"]);
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        let want = expected(file);
        assert_eq!(
            run.json()["added"].as_array().map(Vec::len),
            Some(want.len()),
            "{file}"
        );
        let recs = records(&t.path("records"));
        let cmps: Vec<_> = recs
            .values()
            .filter(|r| text(r, "type").as_deref() == Some("component"))
            .collect();
        assert_eq!(cmps.len(), want.len(), "{file}");
        let sup_name = |id: &str| recs.get(id).and_then(|r| text(r, "name"));
        for (name, purl, supplier) in &want {
            let found = cmps.iter().find(|r| {
                text(r, "name").as_deref() == Some(name.as_str()) && text(r, "purl") == *purl
            });
            let r = found.unwrap_or_else(|| panic!("{file}: {name} {purl:?} not imported"));
            let linked: Vec<String> = match r.get("supplier") {
                Some(serde_yaml::Value::Sequence(s)) => s
                    .iter()
                    .filter_map(ddf::record::scalar_text)
                    .filter_map(|id| sup_name(&id))
                    .collect(),
                _ => Vec::new(),
            };
            match supplier {
                Some(s) => assert_eq!(linked, vec![s.clone()], "{file}: {name}"),
                None => assert!(linked.is_empty(), "{file}: {name}"),
            }
            assert_eq!(text(r, "status").as_deref(), Some("draft"));
        }
    }
}

#[test]
fn nested_cyclonedx_components_and_spdx_details() {
    let t = TestRepo::with_basics();
    t.ddf(&[
        "sbom",
        "import",
        &data("cyclonedx/npm-bundled-dependencies.cdx-1.6.json"),
    ]);
    let recs = records(&t.path("records"));
    let y18n = recs
        .values()
        .find(|r| text(r, "name").as_deref() == Some("y18n"))
        .expect("nested y18n");
    assert_eq!(
        text(y18n, "sbom_ref").as_deref(),
        Some("demo-bundled-deps@0.0.0|bundle-dependencies@1.0.2|y18n@3.2.0")
    );
    assert_eq!(text(y18n, "origin").as_deref(), Some("open-source"));
    let t = TestRepo::with_basics();
    let run = t.ddf(&[
        "sbom",
        "import",
        &data("spdx/SPDXJSONExample-v2.3.spdx.json"),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let recs = records(&t.path("records"));
    // glibc is the package the document DESCRIBES: the product, not a component.
    assert!(recs
        .values()
        .all(|r| text(r, "name").as_deref() != Some("glibc")));
    let saxon = recs
        .values()
        .find(|r| text(r, "name").as_deref() == Some("Saxon"))
        .expect("Saxon");
    assert_eq!(text(saxon, "license").as_deref(), Some("MPL-1.0"));
    assert!(matches!(saxon.get("hashes"), Some(serde_yaml::Value::Mapping(m)) if m.len() == 1));
    let infineon = TestRepo::with_basics();
    let run = infineon.ddf(&[
        "sbom",
        "import",
        &data("spdx/infineon-mtb-dsl-psc3m8-firmware.spdx-2.2.json"),
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("SPDX-2.2 is read as SPDX-2.3"),
        "{}",
        run.stderr
    );
    let recs = records(&infineon.path("records"));
    let sups: Vec<String> = recs
        .values()
        .filter(|r| text(r, "type").as_deref() == Some("supplier"))
        .filter_map(|r| text(r, "name"))
        .collect();
    let mut sups = sups;
    sups.sort();
    assert_eq!(sups, ["alibaba", "armmbed", "infineon", "rt-thread"]);
    let rt = recs
        .values()
        .find(|r| text(r, "name").as_deref() == Some("rt-thread"))
        .expect("rt-thread");
    assert!(
        text(rt, "cpe").unwrap_or_default().starts_with("cpe:2.3:"),
        "{rt:?}"
    );
}

#[test]
fn malformed_and_unknown_files_are_refused_with_the_json_path() {
    let t = TestRepo::with_basics();
    t.write("bad.json", r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d","purl":42}]}"#);
    let run = t.ddf(&["sbom", "import", "bad.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("$.components[3].purl: expected a string, found a number"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"));
    t.write("broken.json", "{\"bomFormat\": \"CycloneDX\",\n \"components\": [\n  {\"name\": \"a\", \"version\": 1.0.0}\n ]}\n");
    let run = t.ddf(&["sbom", "import", "broken.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("broken.json:3:") && run.stderr.contains("$.components[0].version"),
        "{}",
        run.stderr
    );
    t.write("other.json", r#"{"name": "not an sbom"}"#);
    let run = t.ddf(&["sbom", "import", "other.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not a CycloneDX or SPDX JSON document"),
        "{}",
        run.stderr
    );
    assert!(
        std::fs::read_dir(t.path("records")).map_or(0, |d| d.count()) == 1,
        "nothing written"
    );
}

const V1: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"name":"Pump","supplier":{"name":"Acme"}}},"components":[
 {"bom-ref":"fw","name":"pump-fw","version":"1.0.0","supplier":{"name":"Acme"}},
 {"bom-ref":"z","name":"zlib","version":"1.3","purl":"pkg:github/madler/zlib@v1.3","supplier":{"name":"zlib project"},"properties":[{"name":"cdx:lifecycle:milestone:endOfSupport","value":"2030-01-01"}]},
 {"bom-ref":"old","name":"oldlib","version":"0.1","purl":"pkg:npm/oldlib@0.1"}]}"#;
const V2: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"name":"Pump","supplier":{"name":"Acme"}}},"components":[
 {"bom-ref":"fw","name":"pump-fw","version":"1.1.0","supplier":{"name":"Acme"}},
 {"bom-ref":"z","name":"zlib","version":"1.3.1","purl":"pkg:github/madler/zlib@v1.3.1","supplier":{"name":"Madler"},"licenses":[{"license":{"id":"Zlib"}}]},
 {"bom-ref":"new","name":"newlib","version":"2.0","purl":"pkg:npm/newlib@2.0"}]}"#;

#[test]
fn reimport_changes_only_owned_fields_and_reports_removed_components() {
    let t = TestRepo::with_basics();
    t.write("sboms/v1.json", V1).write("sboms/v2.json", V2);
    let run = t.ddf(&["sbom", "import", "sboms/v1.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let recs = records(&t.path("records"));
    let fw = recs
        .values()
        .find(|r| text(r, "name").as_deref() == Some("pump-fw"))
        .expect("fw");
    assert_eq!(
        text(fw, "origin").as_deref(),
        Some("first-party"),
        "supplier is the SBOM's own"
    );
    let zlib_id = recs
        .iter()
        .find(|(_, r)| text(r, "name").as_deref() == Some("zlib"))
        .map(|(id, _)| id.clone())
        .expect("zlib");
    let path = format!("records/component/{zlib_id}.md");
    // A person completes the record: fields, a comment, an unknown field, the body.
    let edited = t
        .read(&path)
        .replace("origin: open-source  # inferred from the SBOM; confirm", "origin: open-source\n# reviewed by PER-001\nrisk_note: keep")
        .replace("support_basis:  # how support is known (supplier statement, release activity, contract)", "support_basis: upstream releases")
        .replace("Imported by", "Our notes. Imported by");
    t.write(&path, &edited);
    let run = t.ddf(&["sbom", "import", "sboms/v2.json", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["added"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["removed"][0]["label"], "oldlib 0.1");
    let after = t.read(&path);
    assert!(
        after.contains("version: 1.3.1")
            && after.contains("purl: pkg:github/madler/zlib@v1.3.1")
            && after.contains("license: Zlib"),
        "{after}"
    );
    for kept in [
        "# reviewed by PER-001",
        "risk_note: keep",
        "support_basis: upstream releases",
        "Our notes.",
        "end_of_support: 2030-01-01",
    ] {
        assert!(after.contains(kept), "{kept} lost:\n{after}");
    }
    let zlib = v["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .find(|m| m["id"] == zlib_id.as_str())
        .expect("zlib changed")
        .clone();
    assert!(
        zlib["notes"][0]
            .as_str()
            .unwrap_or_default()
            .contains("supplier `Madler`"),
        "{zlib}"
    );
    // The removed component is reported, never deleted; a third import changes nothing.
    assert!(records(&t.path("records"))
        .values()
        .any(|r| text(r, "name").as_deref() == Some("oldlib")));
    let again = t
        .ddf(&["sbom", "import", "sboms/v2.json", "--format", "json"])
        .json();
    assert_eq!(again["changed"].as_array().map(Vec::len), Some(0));
    assert_eq!(again["added"].as_array().map(Vec::len), Some(0));
}

#[test]
fn release_option_lists_the_sbom_and_reconciles() {
    let t = TestRepo::with_basics();
    t.write("sboms/v1.json", V1);
    t.write("records/REL-001.md", "---\nid: REL-001\ntype: release\ntitle: R\nstatus: draft\nowner: PER-001\nversion: 1.0\ntag: v1.0\ncommit: abc\nsbom: []\ntransfer: t\noverall_residual_risk: o\nrm_review: r\ncyber_device: true\nsupport_end: 2031-12-31\nfielded: false\n---\n");
    let run = t.ddf(&["sbom", "import", "sboms/v1.json", "--release", "REL-001"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(t
        .read("records/REL-001.md")
        .contains("sbom: [sboms/v1.json]"));
    let check = t.ddf(&["check", "--format", "json"]).json();
    let rec: Vec<_> = check["diagnostics"]
        .as_array()
        .expect("diags")
        .iter()
        .filter(|d| d["rule"] == "sbom-reconciled")
        .collect();
    assert!(rec.is_empty(), "{rec:?}");
    // A later SBOM in the same release's place, not imported: the records no longer match.
    t.write("sboms/v1.json", V2);
    let check = t.ddf(&["check", "--format", "json"]).json();
    let rec: Vec<String> = check["diagnostics"]
        .as_array()
        .expect("diags")
        .iter()
        .filter(|d| d["rule"] == "sbom-reconciled")
        .map(|d| d["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(rec.len(), 4, "{rec:?}");
    let outside = tempfile::tempdir().expect("tmp");
    std::fs::write(outside.path().join("x.json"), V1).expect("write");
    let run = t.ddf(&[
        "sbom",
        "import",
        &outside.path().join("x.json").display().to_string(),
        "--release",
        "REL-001",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("outside the DDF root"),
        "{}",
        run.stderr
    );
}

#[test]
fn diff_between_files_and_between_releases() {
    let t = TestRepo::example();
    let files = t.ddf(&[
        "sbom",
        "diff",
        "sboms/aip-100-fw-2.0.0.cdx.json",
        "sboms/aip-100-fw-2.1.0.cdx.json",
        "--format",
        "json",
    ]);
    assert_eq!(files.code, 0, "{}", files.stderr);
    let v = files.json();
    let changed: Vec<(String, String, String)> = v["version_changed"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().into(),
                c["old"].as_str().unwrap_or_default().into(),
                c["new"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(changed.len(), 5, "{changed:?}");
    assert!(changed.contains(&("mbedtls".into(), "3.5.1".into(), "3.5.2".into())));
    assert_eq!(v["added"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["unchanged"], 3);
    let rels = t.ddf(&["sbom", "diff", "REL-001", "REL-002", "--format", "json"]);
    assert_eq!(rels.code, 0, "{}", rels.stderr);
    assert_eq!(rels.json()["version_changed"], v["version_changed"]);
    let md = t.ddf(&["sbom", "diff", "REL-001", "REL-002", "--format", "md"]);
    assert!(
        md.stdout.contains("| version | mbedtls | 3.5.1 | 3.5.2 |"),
        "{}",
        md.stdout
    );
    let bad = t.ddf(&["sbom", "diff", "REL-009", "REL-002"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn example_is_reconciled_and_a_version_drift_is_found() {
    let t = TestRepo::example();
    let clean = t.ddf(&["check", "--format", "json"]).json();
    assert_eq!(
        (clean["errors"].as_u64(), clean["warnings"].as_u64()),
        (Some(0), Some(0)),
        "{clean}"
    );
    let cmp = t
        .read("records/sbom/components/CMP-002.md")
        .replace("version: 3.5.2", "version: 3.5.3");
    t.write("records/sbom/components/CMP-002.md", &cmp);
    let run = t.ddf(&["check", "--format", "json"]);
    let d: Vec<_> = run.json()["diagnostics"]
        .as_array()
        .expect("diags")
        .iter()
        .filter(|d| d["rule"] == "sbom-reconciled")
        .cloned()
        .collect();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["record"], "CMP-002");
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("the SBOM of REL-002"),
        "{d:?}"
    );
}

#[test]
fn tag_value_spdx3_and_trivy_source_packages_are_imported() {
    // Trivy's CentOS 7 SBOM in both formats, and SPDX 3 JSON-LD: imported, not refused.
    let source_packages = |file: &str| {
        let t = TestRepo::with_basics();
        let run = t.ddf(&["sbom", "import", &data(file), "--format", "json"]);
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        assert_eq!(
            run.json()["added"].as_array().map(Vec::len),
            Some(3),
            "{file}"
        );
        records(&t.path("records"))
            .values()
            .filter(|r| text(r, "type").as_deref() == Some("component"))
            .map(|r| {
                (
                    text(r, "name").unwrap_or_default(),
                    text(r, "source_package"),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    // CycloneDX: Trivy's source properties (openssl, with its epoch); bash is its own source
    // at the component's version, so no field.
    let cdx = source_packages("cyclonedx/trivy-centos-7.cdx-1.5.json");
    assert_eq!(
        cdx["openssl-libs"].as_deref(),
        Some("openssl@1:1.0.2k-16.el7")
    );
    assert_eq!(cdx["bash"], None);
    // Tag-value: `PackageSourceInfo` (this Trivy release names the binary package there), whose
    // version has the release that `PackageVersion` lacks.
    let tv = source_packages("spdx/trivy-centos-7.spdx");
    assert_eq!(
        tv["openssl-libs"].as_deref(),
        Some("openssl-libs@1:1.0.2k-16.el7")
    );
    assert_eq!(tv["bash"].as_deref(), Some("bash@4.2.46-31.el7"));
    let t = TestRepo::with_basics();
    let run = t.ddf(&[
        "sbom",
        "import",
        &data("spdx/spdx-examples-example11.spdx3.json"),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let added: Vec<String> = run.json()["added"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["purl"].as_str().map(String::from))
        .collect();
    assert!(
        added.contains(&"pkg:cargo/tokio@1.19.2".to_string()),
        "{added:?}"
    );
}

#[test]
fn a_malformed_tag_value_file_is_refused_with_line_and_column() {
    let t = TestRepo::with_basics();
    t.write(
        "bad.spdx",
        "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n\nPackageName: zlib\nSPDXID: SPDXRef-zlib\nExternalRef: PACKAGE-MANAGER pkg:deb/debian/zlib@1.2.13\n",
    );
    let run = t.ddf(&["sbom", "import", "bad.spdx"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("bad.spdx:7:14: an ExternalRef is `CATEGORY TYPE LOCATOR`"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("JSON"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
}
