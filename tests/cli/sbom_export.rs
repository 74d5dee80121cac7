//! `ddf sbom export` and `ddf vuln export`: the release's SBOM (CycloneDX 1.6) and VEX (CycloneDX
//! 1.6, CSAF 2.0 VEX profile), validated against the official schemas in tests/data/schemas (no
//! network: every `$ref` resolves to a local copy), on the example DDF and on a fixture built
//! from real public SBOMs; the SBOM imported back into an empty DDF gives the same components.

use crate::harness::{md_files, TestRepo};
use crate::vuln::data;
use serde_json::Value;
use std::collections::BTreeMap;

/// Resolves the schemas' `$ref`s (`spdx.schema.json`, `jsf-0.82.schema.json`,
/// `https://www.first.org/cvss/cvss-v3.1.json`, ...) to the copies in tests/data/schemas.
struct Local;

impl jsonschema::Retrieve for Local {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let s = uri.as_str();
        let name = s
            .split('#')
            .next()
            .unwrap_or(s)
            .rsplit('/')
            .next()
            .unwrap_or(s);
        for dir in ["cyclonedx", "csaf"] {
            let p = data(&format!("schemas/{dir}/{name}"));
            if let Ok(bytes) = std::fs::read(&p) {
                return Ok(serde_json::from_slice(&bytes)?);
            }
        }
        Err(format!("{s} is not in tests/data/schemas (no network in tests)").into())
    }
}

fn schema(rel: &str) -> jsonschema::Validator {
    let s: Value =
        serde_json::from_slice(&std::fs::read(data(rel)).expect("schema")).expect("json");
    jsonschema::options()
        .with_retriever(Local)
        .should_validate_formats(true)
        .build(&s)
        .unwrap_or_else(|e| panic!("{rel} compiles: {e}"))
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}:\n{}", errors.join("\n"));
}

fn cdx_schema() -> jsonschema::Validator {
    schema("schemas/cyclonedx/bom-1.6.schema.json")
}

fn csaf_schema() -> jsonschema::Validator {
    schema("schemas/csaf/csaf_json_schema.json")
}

fn export(t: &TestRepo, args: &[&str]) -> Value {
    let run = t.ddf(args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.json()
}

const NS: &str = "https://acme.example";

/// Every export of one release, each validated; the CSAF also passes ddf's own mandatory tests.
fn validate_release(t: &TestRepo, rel: &str, publisher: &[&str]) -> (Value, Value, Value) {
    let sbom = export(t, &["sbom", "export", rel]);
    assert_valid(&cdx_schema(), &sbom, &format!("{rel} SBOM"));
    let vex = export(t, &["vuln", "export", rel]);
    assert_valid(&cdx_schema(), &vex, &format!("{rel} CycloneDX VEX"));
    let mut args = vec![
        "vuln",
        "export",
        rel,
        "--format",
        "csaf",
        "--publisher-namespace",
        NS,
    ];
    args.extend(publisher);
    let csaf = export(t, &args);
    assert_valid(&csaf_schema(), &csaf, &format!("{rel} CSAF"));
    assert_eq!(ddf::vuln::csaf::check(&csaf), Vec::<String>::new());
    // The validators do reject what the schemas forbid (and resolve the referenced schemas:
    // an SPDX licence id outside spdx.schema.json's list, a CVSS v3.1 vector of the wrong form).
    let mut bad = sbom.clone();
    bad["components"][0]["licenses"] =
        serde_json::json!([{ "license": { "id": "No-Such-Licence" } }]);
    assert!(!cdx_schema().is_valid(&bad));
    let mut bad = csaf.clone();
    bad["vulnerabilities"][0]["scores"] = serde_json::json!([{ "products": ["x"], "cvss_v3": { "version": "3.1", "vectorString": "nonsense", "baseScore": 1.0, "baseSeverity": "LOW" } }]);
    assert!(!csaf_schema().is_valid(&bad));
    (sbom, vex, csaf)
}

fn component<'a>(bom: &'a Value, name: &str) -> &'a Value {
    bom["components"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("{name} in {bom}"))
}

fn prop<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)?["value"]
        .as_str()
}

#[test]
fn example_releases_export_valid_documents_with_fda_elements() {
    let t = TestRepo::example();
    let (sbom, vex, csaf) = validate_release(&t, "REL-002", &[]);
    assert_eq!(sbom["specVersion"], "1.6");
    assert_eq!(sbom["metadata"]["timestamp"], "2024-04-15T00:00:00Z");
    assert_eq!(sbom["metadata"]["component"]["bom-ref"], "REL-002");
    assert_eq!(sbom["metadata"]["component"]["version"], "2.1.0");
    assert_eq!(
        sbom["metadata"]["manufacturer"]["name"],
        "Acme Medical Devices, Inc."
    );
    assert_eq!(sbom["components"].as_array().map(Vec::len), Some(8));
    // FDA's elements, from CMP-002 and SUP-002.
    let m = component(&sbom, "mbedtls");
    assert_eq!(m["bom-ref"], "mbedtls");
    assert_eq!(m["version"], "3.5.2");
    assert_eq!(m["purl"], "pkg:github/Mbed-TLS/mbedtls@v3.5.2");
    assert_eq!(
        m["supplier"]["name"],
        "Mbed TLS project, TrustedFirmware.org"
    );
    assert_eq!(m["licenses"][0]["expression"], "Apache-2.0");
    assert_eq!(prop(m, "ddf:record"), Some("CMP-002"));
    assert!(prop(m, "ddf:supportLevel").is_some(), "{m}");
    assert!(prop(m, "ddf:supportBasis").is_some(), "{m}");
    assert!(
        prop(m, "cdx:lifecycle:milestone:endOfSupport").is_some(),
        "{m}"
    );
    // The serial number is derived from the content: the same twice.
    let again = export(&t, &["sbom", "export", "REL-002"]);
    assert_eq!(again, sbom);
    let serial = sbom["serialNumber"].as_str().expect("serial");
    assert!(serial.starts_with("urn:uuid:"), "{serial}");

    // VULN-002 (not_affected, code_not_present) is in REL-002 through mbedtls; VULN-001 is not.
    let vulns = vex["vulnerabilities"].as_array().expect("vulns");
    assert_eq!(vulns.len(), 1, "{vex}");
    let v = &vulns[0];
    assert_eq!(v["id"], "CVE-2024-28836");
    assert_eq!(v["analysis"]["state"], "not_affected");
    assert_eq!(v["analysis"]["justification"], "code_not_present");
    assert_eq!(v["ratings"][0]["method"], "CVSSv31");
    assert_eq!(v["ratings"][0]["score"], 5.4);
    assert_eq!(
        v["source"]["url"],
        "https://nvd.nist.gov/vuln/detail/CVE-2024-28836"
    );
    // The ref is a BOM-Link into the SBOM export of the same release.
    let uuid = serial.trim_start_matches("urn:uuid:");
    assert_eq!(
        v["affects"][0]["ref"],
        format!("urn:cdx:{uuid}/1#mbedtls").as_str()
    );
    assert_eq!(v["affects"][0]["versions"][0]["status"], "unaffected");

    let cv = &csaf["vulnerabilities"][0];
    assert_eq!(cv["cve"], "CVE-2024-28836");
    let kna: Vec<&str> = cv["product_status"]["known_not_affected"]
        .as_array()
        .expect("status")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(kna, ["REL-002", "REL-002:mbedtls"]);
    assert_eq!(cv["flags"][0]["label"], "vulnerable_code_not_present");
    assert_eq!(cv["threats"][0]["category"], "impact");
    assert_eq!(csaf["document"]["category"], "csaf_vex");
    assert_eq!(csaf["document"]["tracking"]["id"], "REL-002-2.1.0-vex");

    // REL-001 shipped Mbed TLS 3.5.1, which both CVEs name in `fielded`, and the companion app
    // whose pentest finding VULN-003 (resolved in 2.1.0) names it too.
    let (old, vex1, _) = validate_release(&t, "REL-001", &[]);
    assert_eq!(component(&old, "mbedtls")["version"], "3.5.1");
    let ids: Vec<&str> = vex1["vulnerabilities"]
        .as_array()
        .expect("vulns")
        .iter()
        .filter_map(|v| v["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["ACME-PT-2023-041-M01", "CVE-2024-23744", "CVE-2024-28836"]
    );
}

/// A release built from two real SBOMs (cyclonedx-gomod's minikube, 136 Go modules with hashes
/// and dependencies; Kong's atc-router SPDX 2.3, 44 crates with CPEs), imported with
/// `ddf sbom import`, with one VULN in each state.
fn fixture() -> (TestRepo, BTreeMap<String, String>) {
    let t = TestRepo::with_basics();
    t.write_bytes(
        "sboms/minikube.cdx.json",
        &std::fs::read(data("cyclonedx/minikube-v1.23.1.cdx-1.5.json")).expect("read"),
    );
    t.write_bytes(
        "sboms/kong.spdx.json",
        &std::fs::read(data("spdx/kong-atc-router-1.0.5.spdx-2.3.json")).expect("read"),
    );
    t.write(
        "records/REL-001.md",
        "---\nid: REL-001\ntype: release\ntitle: Gateway 1.0\nstatus: draft\nowner: PER-001\nversion: 1.0.0\nsbom: [sboms/minikube.cdx.json, sboms/kong.spdx.json]\nsupport_end: 2030-12-31\nfielded: 2021-10-01\n---\n",
    );
    let mut cmps = BTreeMap::new();
    for f in ["sboms/minikube.cdx.json", "sboms/kong.spdx.json"] {
        let run = t.ddf(&["sbom", "import", f, "--format", "json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for a in run.json()["added"].as_array().expect("added") {
            cmps.insert(
                a["name"].as_str().expect("name").to_string(),
                a["id"].as_str().expect("id").to_string(),
            );
        }
    }
    // FDA's elements on one record, as a person completes them after the import.
    let net = &cmps["golang.org/x/net"];
    let path = format!("records/{net}.md");
    let p = md_files(&t.path("records"))
        .into_iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n == format!("{net}.md").as_str())
        })
        .unwrap_or_else(|| t.path(&path));
    let text = std::fs::read_to_string(&p).expect("read");
    let text = text
        .replace("support_level:  # actively-maintained | no-longer-maintained | abandoned | unknown", "support_level: actively-maintained")
        .replace(
            "support_basis:  # how support is known (supplier statement, release activity, contract)",
            "support_basis: Go project security policy",
        );
    std::fs::write(&p, text).expect("write");
    let states = [
        ("VULN-001", "in_triage", "golang.org/x/net", ""),
        (
            "VULN-002",
            "exploitable",
            "golang.org/x/crypto",
            "response: [update, workaround_available]\n",
        ),
        (
            "VULN-003",
            "not_affected",
            "golang.org/x/text",
            "justification: protected_at_runtime\n",
        ),
        ("VULN-004", "false_positive", "atc-router", ""),
        (
            "VULN-005",
            "resolved",
            "github.com/docker/docker",
            "response: [update]\nfielded: [REL-001]\n",
        ),
        ("VULN-006", "resolved_with_pedigree", "golang.org/x/sys", ""),
    ];
    for (k, (id, state, name, extra)) in states.iter().enumerate() {
        let cmp = cmps
            .get(*name)
            .unwrap_or_else(|| panic!("{name} imported: {cmps:?}"));
        t.write(
            &format!("records/{id}.md"),
            &format!(
                "---\nid: {id}\ntype: vulnerability\ntitle: {id} {state}\nstatus: draft\nowner: PER-001\nvuln_id: CVE-2024-{:04}\naliases: [GHSA-aaaa-bbbb-{k:04}]\nsource: osv\ndiscovered: 2024-0{}-01\nstate: {state}\nexploitability: E2\nseverity: S2\ncvss: {{ version: \"3.1\", vector: \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H\", base_score: 7.5 }}\n{extra}affects: [{cmp}]\n---\nAssessment of {id}.\n",
                1000 + k,
                k + 1
            ),
        );
    }
    (t, cmps)
}

#[test]
fn fixture_exports_are_valid_and_map_every_state() {
    let (t, _) = fixture();
    // The SBOMs name no maker: the publisher is given.
    let (sbom, vex, csaf) = validate_release(&t, "REL-001", &["--publisher", "Acme"]);
    // Both files' components, each once (the Kong SBOM's product is not a component).
    let n = sbom["components"].as_array().map(Vec::len).unwrap_or(0);
    assert!(n >= 170, "{n}");
    let net = component(&sbom, "golang.org/x/net");
    assert_eq!(prop(net, "ddf:supportLevel"), Some("actively-maintained"));
    assert_eq!(
        prop(net, "ddf:supportBasis"),
        Some("Go project security policy")
    );
    assert_eq!(net["hashes"][0]["alg"], "SHA-256");
    assert!(
        sbom["dependencies"].as_array().map(Vec::len).unwrap_or(0) > 100,
        "dependencies kept"
    );
    // Dependencies name only bom-refs of the export.
    let refs: Vec<&str> = sbom["components"]
        .as_array()
        .expect("c")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .chain(["REL-001"])
        .collect();
    for d in sbom["dependencies"].as_array().expect("deps") {
        assert!(refs.contains(&d["ref"].as_str().unwrap_or("")), "{d}");
        for o in d["dependsOn"].as_array().into_iter().flatten() {
            assert!(refs.contains(&o.as_str().unwrap_or("")), "{o}");
        }
    }
    let cpe = component(&sbom, "atc-router");
    assert!(
        cpe["cpe"]
            .as_str()
            .is_some_and(|c| c.starts_with("cpe:2.3:")),
        "{cpe}"
    );

    // CycloneDX: the record's state exactly, and what it says of the shipped version.
    let by_record = |doc: &Value, id: &str| -> Value {
        doc["vulnerabilities"]
            .as_array()
            .expect("vulns")
            .iter()
            .find(|v| {
                v["bom-ref"] == id
                    || v["notes"][1]["text"]
                        .as_str()
                        .is_some_and(|t| t.starts_with(&format!("{id} ")))
            })
            .cloned()
            .unwrap_or_else(|| panic!("{id}"))
    };
    for (id, state, status) in [
        ("VULN-001", "in_triage", "unknown"),
        ("VULN-002", "exploitable", "affected"),
        ("VULN-003", "not_affected", "unaffected"),
        ("VULN-004", "false_positive", "unaffected"),
        ("VULN-005", "resolved", "affected"),
        ("VULN-006", "resolved_with_pedigree", "unaffected"),
    ] {
        let v = by_record(&vex, id);
        assert_eq!(v["analysis"]["state"], state, "{v}");
        assert_eq!(v["affects"][0]["versions"][0]["status"], status, "{v}");
        assert_eq!(v["references"][0]["source"]["name"], "GitHub", "{v}");
    }
    assert_eq!(
        by_record(&vex, "VULN-002")["analysis"]["response"],
        serde_json::json!(["update", "workaround_available"])
    );
    assert_eq!(
        by_record(&vex, "VULN-003")["analysis"]["justification"],
        "protected_at_runtime"
    );

    // CSAF: product status, flags, impact statements and remediations.
    for (id, group) in [
        ("VULN-001", "under_investigation"),
        ("VULN-002", "known_affected"),
        ("VULN-003", "known_not_affected"),
        ("VULN-004", "known_not_affected"),
        ("VULN-005", "known_affected"),
        ("VULN-006", "fixed"),
    ] {
        let v = by_record(&csaf, id);
        let ids = v["product_status"][group].as_array().expect(group);
        assert_eq!(ids[0], "REL-001", "{v}");
        assert_eq!(ids.len(), 2, "{v}");
    }
    let v2 = by_record(&csaf, "VULN-002");
    let cats: Vec<&str> = v2["remediations"]
        .as_array()
        .expect("remediations")
        .iter()
        .filter_map(|r| r["category"].as_str())
        .collect();
    assert_eq!(cats, ["vendor_fix", "workaround"]);
    assert_eq!(v2["scores"][0]["cvss_v3"]["baseSeverity"], "HIGH");
    assert_eq!(
        by_record(&csaf, "VULN-003")["flags"][0]["label"],
        "inline_mitigations_already_exist"
    );
    // false_positive: no justification label, an impact statement from the assessment.
    let v4 = by_record(&csaf, "VULN-004");
    assert!(v4.get("flags").is_none(), "{v4}");
    assert_eq!(v4["threats"][0]["details"], "Assessment of VULN-004.");
    assert_eq!(
        by_record(&csaf, "VULN-005")["remediations"][0]["category"],
        "vendor_fix"
    );
    assert_eq!(
        by_record(&csaf, "VULN-001")["ids"][0]["system_name"],
        "GitHub"
    );
    // The latest VULN date is the document's.
    assert_eq!(
        csaf["document"]["tracking"]["current_release_date"],
        "2024-06-01T00:00:00Z"
    );
    assert_eq!(
        csaf["document"]["tracking"]["initial_release_date"],
        "2021-10-01T00:00:00Z"
    );
    // The in_triage VULN is exported, and said so.
    let run = t.ddf(&["vuln", "export", "REL-001"]);
    assert!(
        run.stderr.contains("not assessed yet (in_triage)") && run.stderr.contains("VULN-001"),
        "{}",
        run.stderr
    );
}

#[test]
fn exported_sbom_imports_back_to_the_same_components() {
    let (t, _) = fixture();
    let out = t.path("out/rel-001.cdx.json");
    let run = t.ddf(&[
        "sbom",
        "export",
        "REL-001",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let fresh = TestRepo::with_basics();
    let imported = fresh.ddf(&[
        "sbom",
        "import",
        &out.display().to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows = |t: &TestRepo| -> BTreeMap<String, Row> {
        let recs: Vec<ddf::record::Record> = md_files(&t.path("records"))
            .into_iter()
            .filter_map(|p| ddf::record::parse("x.md", &std::fs::read(&p).expect("read")).record)
            .collect();
        let sup: BTreeMap<String, String> = recs
            .iter()
            .filter(|r| r.type_name == "supplier")
            .map(|r| (r.id.clone(), r.text("name").unwrap_or_default()))
            .collect();
        recs.iter()
            .filter(|r| r.type_name == "component")
            .map(|r| {
                (
                    format!(
                        "{} {}",
                        r.text("name").unwrap_or_default(),
                        r.text("version").unwrap_or_default()
                    ),
                    (
                        r.text("purl"),
                        r.text("cpe"),
                        r.text("license"),
                        r.links_of("supplier")
                            .next()
                            .and_then(|s| sup.get(s).cloned()),
                        r.text("support_level"),
                        r.get("hashes").map(|h| format!("{h:?}")),
                    ),
                )
            })
            .collect()
    };
    let before = rows(&t);
    let after = rows(&fresh);
    assert!(before.len() >= 170, "{}", before.len());
    assert_eq!(before.len(), after.len());
    assert_eq!(before, after);
}

#[test]
fn output_file_is_written_atomically_and_not_replaced_without_force() {
    let t = TestRepo::example();
    let out = t.path("exports/sbom.json");
    let o = out.display().to_string();
    let first = t.ddf(&["sbom", "export", "REL-002", "-o", &o]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stdout.is_empty());
    let text = std::fs::read_to_string(&out).expect("written");
    std::fs::write(&out, "mine").expect("write");
    let again = t.ddf(&["sbom", "export", "REL-002", "-o", &o]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("already exists") && again.stderr.contains("--force"),
        "{}",
        again.stderr
    );
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "mine");
    let forced = t.ddf(&["vuln", "export", "REL-002", "-o", &o, "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_ne!(std::fs::read_to_string(&out).expect("read"), "mine");
    let forced = t.ddf(&["sbom", "export", "REL-002", "-o", &o, "--force"]);
    assert_eq!(forced.code, 0);
    assert_eq!(std::fs::read_to_string(&out).expect("read"), text);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(t.path("exports"))
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // Another content, another serial number.
    let cmp = t.read("records/sbom/components/CMP-002.md").replace(
        "support_level: no-longer-maintained",
        "support_level: abandoned",
    );
    t.write("records/sbom/components/CMP-002.md", &cmp);
    let changed = export(&t, &["sbom", "export", "REL-002"]);
    let old: Value = serde_json::from_str(&text).expect("json");
    assert_ne!(changed["serialNumber"], old["serialNumber"]);
}

#[test]
fn releases_without_an_sbom_and_bad_requests_are_refused_clearly() {
    let t = TestRepo::example();
    let no = t.ddf(&["sbom", "export", "REL-009"]);
    assert_eq!(no.code, 2);
    assert!(
        no.stderr.contains("no record has the id REL-009"),
        "{}",
        no.stderr
    );
    let not_rel = t.ddf(&["vuln", "export", "CMP-002"]);
    assert_eq!(not_rel.code, 2);
    assert!(
        not_rel.stderr.contains("not a release"),
        "{}",
        not_rel.stderr
    );
    let json = t.ddf(&["sbom", "export", "REL-002", "--format", "json"]);
    assert_eq!(json.code, 2);
    assert!(
        json.stderr.contains("--format cyclonedx"),
        "{}",
        json.stderr
    );
    let ns = t.ddf(&["vuln", "export", "REL-002", "--format", "csaf"]);
    assert_eq!(ns.code, 2);
    assert!(ns.stderr.contains("--publisher-namespace"), "{}", ns.stderr);
    assert!(ns.stdout.is_empty());
    let stray = t.ddf(&["vuln", "export", "REL-002", "--publisher", "X"]);
    assert_eq!(stray.code, 2);

    let rel = t.read("records/releases/REL-002.md");
    t.write(
        "records/releases/REL-002.md",
        &rel.replace("sbom: [sboms/aip-100-fw-2.1.0.cdx.json]", "sbom: []"),
    );
    for cmd in [["sbom", "export"], ["vuln", "export"]] {
        let run = t.ddf(&[cmd[0], cmd[1], "REL-002"]);
        assert_eq!(run.code, 2, "{cmd:?}");
        assert!(run.stderr.contains("lists no SBOM file"), "{}", run.stderr);
        assert!(run.stderr.contains("ddf sbom import"), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
    t.write(
        "records/releases/REL-002.md",
        &rel.replace("aip-100-fw-2.1.0.cdx.json", "gone.cdx.json"),
    );
    let gone = t.ddf(&["sbom", "export", "REL-002"]);
    assert_eq!(gone.code, 2);
    assert!(
        gone.stderr.contains("sboms/gone.cdx.json") && gone.stderr.contains("does not exist"),
        "{}",
        gone.stderr
    );
    t.write(
        "sboms/empty.cdx.json",
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}"#,
    );
    t.write(
        "records/releases/REL-002.md",
        &rel.replace("aip-100-fw-2.1.0.cdx.json", "empty.cdx.json"),
    );
    let empty = t.ddf(&["sbom", "export", "REL-002"]);
    assert_eq!(empty.code, 2);
    assert!(
        empty.stderr.contains("list no component"),
        "{}",
        empty.stderr
    );
}

#[test]
fn a_vex_without_vulnerabilities_or_assessments_says_so() {
    let (t, _) = fixture();
    for id in 1..=6 {
        std::fs::remove_file(t.path(&format!("records/VULN-00{id}.md"))).expect("rm");
    }
    let cdx = t.ddf(&["vuln", "export", "REL-001"]);
    assert_eq!(cdx.code, 0, "{}", cdx.stderr);
    assert!(
        cdx.stderr.contains("lists no vulnerability"),
        "{}",
        cdx.stderr
    );
    let csaf = t.ddf(&[
        "vuln",
        "export",
        "REL-001",
        "--format",
        "csaf",
        "--publisher",
        "Acme",
        "--publisher-namespace",
        NS,
    ]);
    assert_eq!(csaf.code, 2);
    assert!(
        csaf.stderr.contains("must list at least one vulnerability"),
        "{}",
        csaf.stderr
    );
    // not_affected without a justification, exploitable without a response: warned.
    t.write(
        "records/VULN-007.md",
        "---\nid: VULN-007\ntype: vulnerability\ntitle: x\nstatus: draft\nowner: PER-001\nvuln_id: CVE-2024-0007\naliases: []\nsource: osv\ndiscovered: 2024-01-01\nstate: not_affected\nexploitability: E1\nseverity: S1\nfielded: [REL-001]\n---\n",
    );
    t.write(
        "records/VULN-008.md",
        "---\nid: VULN-008\ntype: vulnerability\ntitle: y\nstatus: draft\nowner: PER-001\nvuln_id: CVE-2024-0008\naliases: []\nsource: osv\ndiscovered: 2024-01-01\nstate: exploitable\nexploitability: E1\nseverity: S1\nfielded: [REL-001]\n---\n",
    );
    let run = t.ddf(&[
        "vuln",
        "export",
        "REL-001",
        "--format",
        "csaf",
        "--publisher",
        "Acme",
        "--publisher-namespace",
        NS,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("VULN-007: not_affected without a `justification`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("VULN-008: exploitable without a `response`"),
        "{}",
        run.stderr
    );
    let doc = run.json();
    assert_valid(&csaf_schema(), &doc, "CSAF");
    assert_eq!(ddf::vuln::csaf::check(&doc), Vec::<String>::new());
    // A VULN only in `fielded` is stated for the device itself.
    let v = &doc["vulnerabilities"][1];
    assert_eq!(
        v["product_status"]["known_affected"],
        serde_json::json!(["REL-001"])
    );
    assert_eq!(v["remediations"][0]["category"], "none_available");
    t.write(
        "records/VULN-008.md",
        &t.read("records/VULN-008.md")
            .replace("state: exploitable", "state: fixed"),
    );
    let bad = t.ddf(&["vuln", "export", "REL-001"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("VULN-008: `state` is `fixed`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn an_unfielded_release_is_dated_by_its_commit() {
    let (mut t, _) = fixture();
    t.git_init();
    let head = t.commit("release candidate");
    let rel = t.read("records/REL-001.md").replace(
        "fielded: 2021-10-01",
        &format!("fielded: false\ncommit: {head}"),
    );
    t.write("records/REL-001.md", &rel);
    let when = t.git(&["show", "-s", "--format=%ct", &head]);
    let secs: i64 = when.trim().parse().expect("commit time");
    let sbom = export(&t, &["sbom", "export", "REL-001"]);
    assert_eq!(
        sbom["metadata"]["timestamp"],
        ddf::sbom::export::rfc3339(secs).as_str()
    );
    // A commit the repository does not have: no timestamp, and a warning.
    t.write(
        "records/REL-001.md",
        &rel.replace(&head, "0123456789abcdef0123456789abcdef01234567"),
    );
    let run = t.ddf(&["sbom", "export", "REL-001"]);
    assert_eq!(run.code, 0);
    assert!(run.json()["metadata"].get("timestamp").is_none());
    assert!(
        run.stderr.contains("no timestamp written"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_component_listed_twice_is_exported_once() {
    // Two SBOM files of one release that list the same components (here the same file twice).
    let t = TestRepo::example();
    let rel = t.read("records/releases/REL-002.md").replace(
        "sbom: [sboms/aip-100-fw-2.1.0.cdx.json]",
        "sbom: [sboms/aip-100-fw-2.1.0.cdx.json, sboms/copy.cdx.json]",
    );
    t.write("records/releases/REL-002.md", &rel);
    t.write(
        "sboms/copy.cdx.json",
        &t.read("sboms/aip-100-fw-2.1.0.cdx.json"),
    );
    let sbom = export(&t, &["sbom", "export", "REL-002"]);
    assert_eq!(
        sbom["components"].as_array().map(Vec::len),
        Some(8),
        "{sbom}"
    );
    assert_valid(&cdx_schema(), &sbom, "merged SBOM");
}
