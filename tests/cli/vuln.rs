//! `ddf vuln scan` on the real OSV, SBOM and KEV files in tests/data: every expected match of the
//! data set's table is found, nothing else is, the withdrawn record is not live, KEV is flagged
//! through aliases and `related`; records are written idempotently.

use crate::harness::{run_ddf, TestRepo};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub(crate) fn data(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
        .display()
        .to_string()
}

fn scan_sbom(sbom: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = run_ddf(
        dir.path(),
        &[
            "vuln",
            "scan",
            "--osv",
            &data("osv"),
            "--kev",
            &data("kev/known_exploited_vulnerabilities.json"),
            "--sbom",
            &data(sbom),
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

/// (component name, live advisory ids) of the affected findings, and the withdrawn ones.
fn matches(
    v: &serde_json::Value,
) -> (
    BTreeMap<String, BTreeSet<String>>,
    BTreeMap<String, BTreeSet<String>>,
) {
    let mut live: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut withdrawn: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in v["findings"].as_array().expect("findings") {
        let name = f["name"].as_str().unwrap_or_default().to_string();
        assert_ne!(
            f["status"], "uncertain",
            "no uncertain finding expected here: {f}"
        );
        for a in f["advisories"].as_array().expect("advisories") {
            live.entry(name.clone())
                .or_default()
                .insert(a.as_str().unwrap_or_default().into());
        }
        for a in f["withdrawn"].as_array().expect("withdrawn") {
            withdrawn
                .entry(name.clone())
                .or_default()
                .insert(a.as_str().unwrap_or_default().into());
        }
    }
    (live, withdrawn)
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn minikube_matches_exactly_the_expected_table() {
    let v = scan_sbom("cyclonedx/minikube-v1.23.1.cdx-1.5.json");
    let (live, withdrawn) = matches(&v);
    let expected: BTreeMap<String, BTreeSet<String>> = [
        (
            "golang.org/x/net",
            set(&["GO-2023-2102", "GHSA-qppj-fm5r-hxr3"]),
        ),
        (
            "google.golang.org/grpc",
            set(&["GO-2023-2153", "GHSA-m425-mq94-257g", "GHSA-qppj-fm5r-hxr3"]),
        ),
        ("golang.org/x/text", set(&["GO-2022-1059"])),
        (
            "github.com/opencontainers/runc",
            set(&[
                "GO-2024-2491",
                "GO-2023-1627",
                "GO-2024-3110",
                "GHSA-jfvp-7x6p-h2pv",
            ]),
        ),
        ("github.com/docker/docker", set(&["GO-2022-0390"])),
        ("github.com/aws/aws-sdk-go", set(&["GO-2022-0646"])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // Equality also proves the negatives: gogo/protobuf 1.3.2 (fixed is exclusive) and the
    // withdrawn GO-2025-3543 are not live matches.
    assert_eq!(live, expected);
    assert_eq!(
        withdrawn,
        [(
            "github.com/opencontainers/runc".to_string(),
            set(&["GO-2025-3543"])
        )]
        .into_iter()
        .collect()
    );
    // Aliases merge: GO-2024-3110 and GHSA-jfvp-7x6p-h2pv are one finding; so are GO-2023-2153
    // and GHSA-m425-mq94-257g although only the GO record lists the alias.
    let f = v["findings"].as_array().expect("findings");
    let one = |id: &str| {
        f.iter()
            .filter(|x| {
                x["advisories"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|a| a == id))
            })
            .count()
    };
    assert_eq!(one("GHSA-jfvp-7x6p-h2pv"), 1);
    let runc = f
        .iter()
        .find(|x| {
            x["advisories"]
                .as_array()
                .is_some_and(|a| a.iter().any(|a| a == "GO-2024-3110"))
        })
        .expect("runc");
    assert_eq!(runc["id"], "CVE-2024-45310");
    assert!(runc["advisories"].as_array().is_some_and(|a| a.len() == 2));
    // `related` does not merge: GHSA-qppj (CVE-2023-44487) and GO-2023-2102 stay two findings.
    let net: Vec<_> = f
        .iter()
        .filter(|x| x["name"] == "golang.org/x/net")
        .collect();
    assert_eq!(net.len(), 2);
}

#[test]
fn kev_is_flagged_through_aliases_and_related_only_for_cve_2023_44487() {
    let v = scan_sbom("cyclonedx/minikube-v1.23.1.cdx-1.5.json");
    let mut kev = BTreeSet::new();
    for f in v["findings"].as_array().expect("findings") {
        if f["kev"] == true {
            assert!(
                f["kev_via"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("CVE-2023-44487"),
                "{f}"
            );
            assert_eq!(f["exploitability"], "E5");
            kev.insert((
                f["name"].as_str().unwrap_or_default().to_string(),
                f["advisories"][0].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("golang.org/x/net", "GHSA-qppj-fm5r-hxr3"), // alias
        ("golang.org/x/net", "GO-2023-2102"),        // related
        ("google.golang.org/grpc", "GHSA-m425-mq94-257g"), // related, through GO-2023-2153
        ("google.golang.org/grpc", "GHSA-qppj-fm5r-hxr3"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(kev, expected);
    assert_eq!(v["kev_catalog"], "2025.08.25");
}

#[test]
fn the_other_sboms_match_exactly_the_expected_table() {
    /// (SBOM file, [(component, OSV ids that affect it)]).
    type Case<'a> = (&'a str, &'a [(&'a str, &'a [&'a str])]);
    let cases: &[Case<'_>] = &[
        (
            "cyclonedx/npm-bundled-dependencies.cdx-1.6.json",
            &[
                ("semver", &["GHSA-c2qf-rxjj-qqgw"]),
                ("hosted-git-info", &["GHSA-43f8-2h32-f4cj"]),
                ("y18n", &["GHSA-c4w7-xm78-47vh"]),
            ],
        ),
        (
            "cyclonedx/poetry-regression-issue727.cdx-1.5.json",
            &[("jinja2", &["GHSA-h75v-3vvj-5mfj"])],
        ),
        ("cyclonedx/pl-dicom_anonymize-1.1.0.cdx-1.6.json", &[]),
        (
            "cyclonedx/valid-vulnerability-1.6.json",
            &[("jackson-databind", &["GHSA-cggj-fvv3-cqwv"])],
        ),
        (
            "spdx/kong-atc-router-1.0.5.spdx-2.3.json",
            &[
                ("time", &["RUSTSEC-2020-0071"]),
                ("chrono", &["RUSTSEC-2020-0159"]),
            ],
        ),
        ("spdx/SPDXJSONExample-v2.3.spdx.json", &[]),
        ("spdx/infineon-mtb-dsl-psc3m8-firmware.spdx-2.2.json", &[]),
    ];
    for (file, expected) in cases {
        let v = scan_sbom(file);
        let (live, withdrawn) = matches(&v);
        let expected: BTreeMap<String, BTreeSet<String>> = expected
            .iter()
            .map(|(k, ids)| (k.to_string(), set(ids)))
            .collect();
        assert_eq!(live, expected, "{file}");
        assert!(withdrawn.is_empty(), "{file}");
        for f in v["findings"].as_array().expect("findings") {
            assert_eq!(f["kev"], false, "{file}: {f}");
        }
    }
    // The SBOM's own VEX is shown next to the OSV match.
    let v = scan_sbom("cyclonedx/valid-vulnerability-1.6.json");
    assert_eq!(v["findings"][0]["id"], "CVE-2018-7489");
    assert_eq!(v["findings"][0]["vex"]["state"], "not_affected");
    assert_eq!(v["findings"][0]["cvss_v3"]["base_score"], 9.8);
    // Components OSV cannot match are listed with the reason, not dropped.
    let v = scan_sbom("spdx/infineon-mtb-dsl-psc3m8-firmware.spdx-2.2.json");
    assert_eq!(v["not_matchable"].as_array().map(Vec::len), Some(9));
}

#[test]
fn zip_exports_and_folders_give_the_same_findings() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let zip_path = dir.path().join("all.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("zip"));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut names: Vec<_> = std::fs::read_dir(data("osv"))
        .expect("osv")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for p in names {
        z.start_file(p.file_name().expect("name").to_string_lossy(), opts)
            .expect("entry");
        z.write_all(&std::fs::read(&p).expect("read"))
            .expect("write");
    }
    z.finish().expect("finish");
    let sbom = data("cyclonedx/minikube-v1.23.1.cdx-1.5.json");
    let from_zip = run_ddf(
        dir.path(),
        &[
            "vuln",
            "scan",
            "--osv",
            &zip_path.display().to_string(),
            "--sbom",
            &sbom,
            "--format",
            "json",
        ],
    );
    let from_dir = run_ddf(
        dir.path(),
        &[
            "vuln",
            "scan",
            "--osv",
            &data("osv"),
            "--sbom",
            &sbom,
            "--format",
            "json",
        ],
    );
    assert_eq!(from_zip.code, 0, "{}", from_zip.stderr);
    assert_eq!(from_zip.json()["findings"], from_dir.json()["findings"]);
    assert_eq!(from_zip.json()["osv_records"], 27);
}

#[test]
fn a_malformed_osv_record_stops_the_scan_with_its_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("BAD-1.json"),
        r#"{"id":"BAD-1","affected":[{"package":{"ecosystem":"Go","name":"x"},"versions":[1]}]}"#,
    )
    .expect("write");
    let run = run_ddf(
        dir.path(),
        &[
            "vuln",
            "scan",
            "--osv",
            &dir.path().display().to_string(),
            "--sbom",
            &data("cyclonedx/pl-dicom_anonymize-1.1.0.cdx-1.6.json"),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("BAD-1.json: $.affected[0].versions[0]: expected a string, found a number"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint:"));
}

#[test]
fn versions_that_cannot_be_ordered_are_uncertain() {
    let t = TestRepo::with_basics();
    t.write("osv/X-1.json", r#"{"id":"X-1","summary":"x","affected":[{"package":{"ecosystem":"Go","name":"example.com/tool"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}"#);
    t.write("records/CMP-001.md", "---\nid: CMP-001\ntype: component\ntitle: tool\nstatus: draft\nowner: PER-001\nname: tool\nversion: latest-v3.X\npurl: pkg:golang/example.com/tool@latest-v3.X\n---\n");
    let run = t.ddf(&["vuln", "scan", "--osv", "osv", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["findings"][0]["status"], "uncertain");
    assert!(
        v["findings"][0]["reasons"][0]
            .as_str()
            .unwrap_or_default()
            .contains("is not a SemVer version"),
        "{v}"
    );
}

#[test]
fn record_writes_vuln_records_once() {
    let mut t = TestRepo::with_basics();
    t.git_init();
    let imp = t.ddf(&[
        "sbom",
        "import",
        &data("cyclonedx/minikube-v1.23.1.cdx-1.5.json"),
    ]);
    assert_eq!(imp.code, 0, "{}", imp.stderr);
    t.commit("import");
    let args = [
        "vuln",
        "scan",
        "--osv",
        &data("osv"),
        "--kev",
        &data("kev/known_exploited_vulnerabilities.json"),
        "--record",
        "--format",
        "json",
    ];
    let first = t.ddf(&args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let created = first.json()["recorded"]["created"]
        .as_array()
        .map_or(0, Vec::len);
    // Ten live findings, of which CVE-2023-44487 hits two components: nine vulnerabilities.
    assert_eq!(created, 9, "{}", first.stdout);
    let vulns = || std::fs::read_dir(t.path("records/vulnerability")).map_or(0, |d| d.count());
    assert_eq!(vulns(), 9);
    let rapid = std::fs::read_dir(t.path("records/vulnerability"))
        .expect("dir")
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .find(|s| s.contains("vuln_id: CVE-2023-44487"))
        .expect("CVE-2023-44487 recorded");
    assert!(rapid.contains("state: in_triage"), "{rapid}");
    assert!(rapid.contains("kev: true"), "{rapid}");
    assert!(rapid.contains("exploitability: E5"), "{rapid}");
    let affects = rapid
        .lines()
        .find(|l| l.starts_with("affects:"))
        .expect("affects");
    assert_eq!(affects.matches("CMP-").count(), 2, "{affects}");
    // The records parse and are drafts with the person's fields left to fill.
    let check = t.ddf(&["check", "--format", "json"]);
    let rules: BTreeSet<String> = check.json()["diagnostics"]
        .as_array()
        .expect("diags")
        .iter()
        .map(|d| d["rule"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        !rules.contains("yaml") && !rules.contains("invalid-value"),
        "{rules:?}"
    );
    // Idempotent: nothing new the second time, each finding covered.
    let second = t.ddf(&args);
    assert_eq!(
        second.json()["recorded"]["created"]
            .as_array()
            .map_or(0, Vec::len),
        0
    );
    assert_eq!(
        second.json()["recorded"]["covered"]
            .as_array()
            .map_or(0, Vec::len),
        9
    );
    assert_eq!(vulns(), 9);
}

#[test]
fn human_and_markdown_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = [
        "vuln",
        "scan",
        "--osv",
        &data("osv"),
        "--kev",
        &data("kev/known_exploited_vulnerabilities.json"),
        "--sbom",
        &data("cyclonedx/minikube-v1.23.1.cdx-1.5.json"),
    ];
    let human = run_ddf(dir.path(), &base);
    assert!(
        human.stdout.contains("withdrawn: GO-2025-3543"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("10 affected, 0 uncertain, 1 withdrawn, 4 known exploited"),
        "{}",
        human.stdout
    );
    let mut md_args = base.to_vec();
    md_args.extend(["--format", "md"]);
    let md = run_ddf(dir.path(), &md_args);
    assert!(
        md.stdout.starts_with("## Vulnerability scan"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("| affected | golang.org/x/text | v0.3.7 | CVE-2022-32149 |"),
        "{}",
        md.stdout
    );
}

#[test]
fn distribution_packages_by_release_and_source_package() {
    // Real osv.dev records: DSA-3029-1 (nginx, Debian:7 only) and UBUNTU-CVE-2025-38094 (the
    // `linux` source package of Ubuntu Pro 14.04, by a `versions` list).
    let t = TestRepo::with_basics();
    let cmp = |id: &str, name: &str, purl: &str, extra: &str| {
        t.write(
            &format!("records/{id}.md"),
            &format!("---\nid: {id}\ntype: component\ntitle: {name}\nstatus: draft\nowner: PER-001\nname: {name}\nversion: x\npurl: {purl}\n{extra}---\n"),
        );
    };
    cmp(
        "CMP-001",
        "nginx",
        "pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy2?distro=debian-7",
        "",
    );
    cmp(
        "CMP-002",
        "nginx",
        "pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy2?distro=debian-11",
        "",
    );
    cmp(
        "CMP-003",
        "nginx",
        "pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy3?distro=debian-7",
        "",
    );
    cmp(
        "CMP-004",
        "nginx",
        "pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy2",
        "",
    );
    cmp(
        "CMP-005",
        "linux-image-3.13.0-206-generic",
        "pkg:deb/ubuntu/linux-image-3.13.0-206-generic@3.13.0-206.257?distro=ubuntu-14.04",
        "source_package: linux@3.13.0-206.257\n",
    );
    cmp(
        "CMP-006",
        "linux-image-3.13.0-206-generic",
        "pkg:deb/ubuntu/linux-image-3.13.0-206-generic@3.13.0-206.257?distro=ubuntu-22.04",
        "source_package: linux@3.13.0-206.257\n",
    );
    let run = t.ddf(&[
        "vuln",
        "scan",
        "--osv",
        &data("osv-distro"),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    let got: BTreeSet<(String, String, String)> = v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["record"].as_str().unwrap_or_default().to_string(),
                f["advisories"][0].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("CMP-001", "DSA-3029-1", "affected"),
        ("CMP-004", "DSA-3029-1", "uncertain"),
        ("CMP-005", "UBUNTU-CVE-2025-38094", "affected"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want, "{v:#}");
    let linux = v["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["record"] == "CMP-005")
        .expect("CMP-005");
    assert_eq!(linux["source_package"], "linux");
    assert_eq!(linux["ecosystem"], "Ubuntu");
}

#[test]
fn tag_value_sboms_are_scanned_and_empty_vectors_warned() {
    let t = TestRepo::with_basics();
    t.write(
        "osv/RHSA-PROBE.json",
        r#"{"id":"RHSA-PROBE","severity":[{"type":"CVSS_V3","score":""}],"affected":[{"package":{"ecosystem":"Red Hat:enterprise_linux:8::baseos","name":"openssl-libs"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.1.1k-9.el8_7"}]}]}]}"#,
    );
    t.write(
        "fw.spdx",
        "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: fw\n\nPackageName: openssl-libs\nSPDXID: SPDXRef-ssl\nPackageVersion: 1.1.1k\nPackageSourceInfo: built package from: openssl 1:1.1.1k-7.el8_6\nExternalRef: PACKAGE-MANAGER purl pkg:rpm/redhat/openssl-libs@1.1.1k-7.el8_6?arch=x86_64&epoch=1&distro=rhel-8.6\n",
    );
    let run = t.ddf(&[
        "vuln", "scan", "--osv", "osv", "--sbom", "fw.spdx", "--format", "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["findings"][0]["status"], "affected", "{v:#}");
    assert_eq!(v["findings"][0]["version"], "1:1.1.1k-7.el8_6");
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap_or_default()
            .starts_with("RHSA-PROBE: the CVSS_V3 vector in `severity` is empty"),
        "{v:#}"
    );
    assert!(run.stderr.contains("warning: RHSA-PROBE"), "{}", run.stderr);
}
