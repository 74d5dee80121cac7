//! `ddf export submission`: the premarket submission package of a release. The PDFs are read
//! back with poppler-utils (`pdftotext`, `pdfinfo`, `pdffonts`), as a reviewer's tools would:
//! the text must contain the ids, titles and signatures each document owes, every page has the
//! running header and footer, the PDFs are tagged and embed their fonts, and the manifest's
//! hashes are those of the files. Without poppler-utils the tests skip, except under CI, where
//! `.ci/run` installs it and its absence is a failure.

use crate::harness::{ddf_command, in_ci, ran, Run, TestRepo};
use std::path::Path;
use std::process::Command;

/// The files every package holds, beside the release's SBOM copies.
const PDFS: [&str; 11] = [
    "01-software-description.pdf",
    "02-architecture-views.pdf",
    "03-risk-management-report.pdf",
    "04-security-risk-management-report.pdf",
    "05-traceability.pdf",
    "06-sbom.pdf",
    "07-vulnerability-assessment.pdf",
    "08-unresolved-anomalies.pdf",
    "09-cybersecurity-testing.pdf",
    "10-labeling.pdf",
    "11-cybersecurity-management-plan.pdf",
];

/// Whether poppler-utils can be used: `false` skips a test outside CI; in CI its absence fails.
fn poppler() -> bool {
    let ok = Command::new("pdftotext").arg("-v").output().is_ok()
        && Command::new("pdfinfo").arg("-v").output().is_ok()
        && Command::new("pdffonts").arg("-v").output().is_ok();
    assert!(
        ok || !in_ci(),
        "poppler-utils (pdftotext, pdfinfo, pdffonts) is missing: apt-get install poppler-utils"
    );
    if !ok {
        eprintln!("skipped: poppler-utils is not installed");
    }
    ok
}

fn tool(name: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .arg(pdf)
        // pdftotext writes to stdout only when told (`-`); the others always do.
        .args(if name == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .expect("poppler tool runs");
    assert!(
        out.status.success(),
        "{name} {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of a PDF (`pdftotext -layout`), with runs of spaces collapsed to one.
fn text(pdf: &Path) -> String {
    let t = tool("pdftotext", &["-enc", "UTF-8", "-layout"], pdf);
    t.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of a PDF as one line of words (table cells wrap, so phrases may span lines).
fn words(pdf: &Path) -> String {
    tool("pdftotext", &["-enc", "UTF-8", "-raw"], pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks what every PDF of a package must be: tagged, fonts embedded, header and footer on
/// every page with the document id, the revision and "Page X of Y".
fn check_pdf(pdf: &Path, id: &str, title: &str, revision: &str) -> String {
    let info = tool("pdfinfo", &[], pdf);
    let field = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
            .map(str::trim)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(field("Tagged"), "yes", "{}: {info}", pdf.display());
    let pages: usize = field("Pages").parse().expect("page count");
    assert!(pages >= 1);
    assert_eq!(field("Title"), title, "{info}");
    let fonts = tool("pdffonts", &[], pdf);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{fonts}");
    for row in rows {
        // name type encoding emb sub uni object ID: emb and sub are "yes".
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert!(
            cols.len() >= 7 && cols[cols.len() - 5] == "yes",
            "font not embedded in {}: {row}",
            pdf.display()
        );
    }
    let t = text(pdf);
    // pdftotext ends each page with a form feed; split before spaces are collapsed.
    let raw = tool("pdftotext", &["-enc", "UTF-8", "-layout"], pdf);
    let pages_text: Vec<String> = raw
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(pages_text.len(), pages, "{}", pdf.display());
    for (n, page) in pages_text.iter().enumerate() {
        assert!(
            page.contains(&format!("Page {} of {pages}", n + 1)),
            "{} page {}: {page}",
            pdf.display(),
            n + 1
        );
        assert!(page.contains(id), "{} page {}: no id", pdf.display(), n + 1);
        assert!(
            page.contains(&format!("Revision {revision}")),
            "{} page {}: no revision {revision}:\n{page}",
            pdf.display(),
            n + 1
        );
    }
    t
}

fn export(dir: &Path, args: &[&str]) -> Run {
    ran(ddf_command(dir)
        .args(["export", "submission"])
        .args(args)
        .output()
        .expect("ddf runs"))
}

/// The manifest's files match the folder: same names, sizes and sha256.
fn check_manifest(out: &Path) -> serde_json::Value {
    use sha2::Digest;
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("manifest is JSON");
    assert_eq!(m["format"], "ddf-submission/1");
    let files = m["files"].as_array().expect("files");
    let mut listed: Vec<String> = Vec::new();
    for f in files {
        let path = f["path"].as_str().expect("path");
        let bytes = std::fs::read(out.join(path)).expect("listed file exists");
        let hex: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"].as_str(), Some(hex.as_str()), "{path}");
        assert_eq!(f["bytes"].as_u64(), Some(bytes.len() as u64), "{path}");
        listed.push(path.to_string());
    }
    let mut on_disk: Vec<String> = crate::harness::files_under(out)
        .into_iter()
        .map(|(rel, _)| rel)
        .filter(|r| r != "manifest.json")
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk);
    m
}

#[test]
fn example_release_exports_a_complete_package() {
    let t = TestRepo::example();
    let run = export(&t.root, &["REL-002", "-o", "pkg"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = t.path("pkg");
    let m = check_manifest(&out);
    let mut names: Vec<String> = crate::harness::files_under(&out)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    names.sort();
    let mut want: Vec<String> = PDFS.iter().map(|s| s.to_string()).collect();
    want.extend(
        [
            "REL-002.sbom.cdx.json",
            "REL-002.vex.cdx.json",
            "manifest.json",
            "sbom/aip-100-fw-2.1.0.cdx.json",
            "vulnerabilities.csv",
        ]
        .map(String::from),
    );
    want.sort();
    assert_eq!(names, want);
    // Outside Git: no commit, and the headers say so.
    assert_eq!(m["commit"], serde_json::Value::Null);
    assert_eq!(m["state"], "no-git");
    assert_eq!(m["release"]["id"], "REL-002");
    assert_eq!(
        std::fs::read(out.join("sbom/aip-100-fw-2.1.0.cdx.json")).expect("sbom"),
        std::fs::read(t.path("sboms/aip-100-fw-2.1.0.cdx.json")).expect("sbom")
    );
    // The CycloneDX 1.6 SBOM and VEX are those `ddf sbom export` and `ddf vuln export` write.
    for (file, args) in [
        ("REL-002.sbom.cdx.json", ["sbom", "export", "REL-002"]),
        ("REL-002.vex.cdx.json", ["vuln", "export", "REL-002"]),
    ] {
        let cli = t.ddf(&args);
        assert_eq!(cli.code, 0, "{}", cli.stderr);
        let packaged = std::fs::read_to_string(out.join(file)).expect("read");
        assert_eq!(packaged, cli.stdout, "{file}");
        let v: serde_json::Value = serde_json::from_str(&packaged).expect("json");
        assert_eq!(v["specVersion"], "1.6", "{file}");
    }
    // The same DDF gives the same package, byte for byte.
    let again = export(&t.root, &["REL-002", "-o", "pkg2"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        std::fs::read(out.join("manifest.json")).expect("m1"),
        std::fs::read(t.path("pkg2/manifest.json")).expect("m2")
    );
    if !poppler() {
        return;
    }

    let mut texts = std::collections::BTreeMap::new();
    for (k, name) in PDFS.iter().enumerate() {
        let id = format!("REL-002-SUB-{:02}", k + 1);
        let doc = m["files"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["path"] == *name))
            .expect("listed");
        assert_eq!(doc["document"]["id"], id.as_str());
        let title = format!(
            "{} \u{2014} REL-002 AIP-100 firmware 2.1.0 and companion app 2.1",
            doc["document"]["title"].as_str().expect("title")
        );
        let t = check_pdf(
            &out.join(name),
            &id,
            &title,
            "worktree (not a Git repository)",
        );
        texts.insert(*name, (t, words(&out.join(name))));
    }
    let has = |name: &str, needles: &[&str]| {
        let (_, w) = &texts[name];
        for n in needles {
            assert!(w.contains(n), "{name} lacks `{n}`:\n{w}");
        }
    };
    has(
        "01-software-description.pdf",
        &[
            "Software description and documentation level",
            "REL-002",
            "2.1.0",
            "9b41e7c0d2f35a86e1c4b7d09a3f62e85c1d7a40",
            // The example's software system, an item and a unit, with the class that sets the
            // documentation level.
            "SWI-001",
            "SWI-002",
            "SWI-004",
            "Enhanced",
        ],
    );
    has(
        "02-architecture-views.pdf",
        &[
            "DOC-007",
            "Architecture view: global system",
            "DOC-011",
            "DO-002",
        ],
    );
    has(
        "03-risk-management-report.pdf",
        &[
            "HAZ-002", "HS-001", "HARM-003", "RC-001", "P3 x S4", "DOC-012",
        ],
    );
    has(
        "04-security-risk-management-report.pdf",
        &["THR-001", "HS-007", "DOC-006", "AIP-100 Threat Model"],
    );
    has(
        "05-traceability.pdf",
        &[
            "THR-001",
            "UN-003",
            "VAL-001 (pass)",
            "not read from a Git repository",
            "no signed approval covers its current content",
        ],
    );
    has(
        "06-sbom.pdf",
        &[
            "CMP-001",
            "actively-maintained",
            "sboms/aip-100-fw-2.1.0.cdx.json",
        ],
    );
    has(
        "07-vulnerability-assessment.pdf",
        &[
            "VULN-001",
            "CVE-2024-23744",
            "not_affected",
            "code_not_present",
        ],
    );
    has(
        "08-unresolved-anomalies.pdf",
        // The two deferred anomalies fielded in 2.1.0; the two fixed in it are not residual.
        &["ANOM-002", "ANOM-004"],
    );
    has("09-cybersecurity-testing.pdf", &["pentest", "fuzz", "VER-"]);
    has(
        "10-labeling.pdf",
        &["End of cybersecurity support", "2031-12-31"],
    );
    has(
        "11-cybersecurity-management-plan.pdf",
        &[
            "DOC-004",
            "AIP-100 Cybersecurity Management Plan",
            "DOC-005",
        ],
    );
    let csv = std::fs::read_to_string(out.join("vulnerabilities.csv")).expect("csv");
    assert!(csv.starts_with("id,vuln_id,aliases,state,"), "{csv}");
    assert!(csv.contains("VULN-001,CVE-2024-23744"), "{csv}");
}

/// The example as a Git repository with signed approvals (docs-example/make-demo-repo.sh).
#[test]
fn demo_repository_traceability_shows_signature_manifestations() {
    if !poppler() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let demo = dir.path().join("demo");
    crate::demo::make_demo(&demo);
    let head = crate::harness::git_in(&demo, &["rev-parse", "HEAD"], 0)
        .trim()
        .to_string();
    let out = dir.path().join("pkg");
    let run = ran(ddf_command(&demo)
        .env("DDF_TODAY", "2026-12-01")
        .args(["export", "submission", "REL-002", "-o"])
        .arg(&out)
        .args(["--format", "json"])
        .output()
        .expect("ddf runs"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let m = check_manifest(&out);
    assert_eq!(m["commit"].as_str(), Some(head.as_str()));
    assert_eq!(m["state"], "clean");
    assert_eq!(run.json(), m, "--format json prints the manifest");
    let short = &head[..12];
    let trace = check_pdf(
        &out.join("05-traceability.pdf"),
        "REL-002-SUB-05",
        "Traceability report with signatures \u{2014} REL-002 AIP-100 firmware 2.1.0 and companion app 2.1",
        short,
    );
    let w = words(&out.join("05-traceability.pdf"));
    // The manifestations: printed name (signer), date and time, meaning, Git's verdict.
    assert!(
        [
            "Dana Whitfield (PER-001)",
            "Marcus Oyelaran (PER-002)",
            "Priya Raman (PER-003)"
        ]
        .iter()
        .any(|s| w.contains(s)),
        "{trace}"
    );
    assert!(w.contains(", approval: "), "{w}");
    assert!(w.contains(" UTC, "), "{w}");
}

/// A DDF whose titles and bodies carry markup of every kind a PDF engine might interpret.
fn hostile() -> TestRepo {
    let t = TestRepo::with_basics();
    t.write(
        "ddf.yaml",
        "project: \"#set page(width: 1pt) <b>Test</b>\"\n",
    );
    t.write(
        "records/REL-001.md",
        "---\nid: REL-001\ntype: release\ntitle: \"#import \\\"evil.typ\\\" ) Tj ET (x\"\nstatus: draft\nowner: PER-001\nversion: 1.0.0\n---\nBody with #strong[not bold] and $x^2$ and \\\\ and <script>alert(1)</script>.\n",
    );
    t.write(
        "records/THR-001.md",
        "---\nid: THR-001\ntype: threat\ntitle: \"#{panic()} %PDF-1.7 endobj \\u202e reversed\"\nstatus: draft\nowner: PER-001\n---\nA threat.\n",
    );
    t.write(
        "records/SWI-001.md",
        "---\nid: SWI-001\ntype: software-item\ntitle: Pump firmware\nstatus: draft\nowner: PER-001\nlevel: system\nsafety_class: C\nclass_rationale: \"Failure can lead to over-infusion (HS-001) #emph[x]\"\n---\n",
    );
    t.write(
        "records/ANOM-001.md",
        "---\nid: ANOM-001\ntype: anomaly\ntitle: \"Display flickers `#box`\"\nstatus: draft\nowner: PER-001\nfound_in: testing\ndiscovered: 2026-01-02\ncwe: CWE-400\nsafety_assessment: No effect on delivery.\nsecurity_assessment: Not exploitable.\ndecision: defer\nrationale: Cosmetic; fixed in 1.1.\n---\n",
    );
    t.write(
        "records/ANOM-002.md",
        "---\nid: ANOM-002\ntype: anomaly\ntitle: Fixed crash\nstatus: draft\nowner: PER-001\ndecision: fix\nfixed_in: [REL-001]\n---\n",
    );
    t.write(
        "records/ANOM-003.md",
        "---\nid: ANOM-003\ntype: anomaly\ntitle: Not a defect at all\nstatus: draft\nowner: PER-001\ndecision: not-a-defect\n---\n",
    );
    t
}

#[test]
fn record_text_prints_literally_and_software_records_are_read_by_type() {
    if !poppler() {
        return;
    }
    let t = hostile();
    let run = export(&t.root, &["REL-001", "-o", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = t.path("out");
    check_manifest(&out);
    let title = "Software description and documentation level \u{2014} REL-001 #import \"evil.typ\" ) Tj ET (x";
    let sw = check_pdf(
        &out.join("01-software-description.pdf"),
        "REL-001-SUB-01",
        title,
        "worktree (not a Git repository)",
    );
    let w = words(&out.join("01-software-description.pdf"));
    for needle in [
        "#import \"evil.typ\" ) Tj ET (x",
        "#strong[not bold]",
        "$x^2$",
        "<script>alert(1)</script>",
        "#set page(width: 1pt) <b>Test</b>",
        "SWI-001",
        "Pump firmware",
        "#emph[x]",
        "Enhanced Documentation Level",
    ] {
        assert!(w.contains(needle), "`{needle}` not literal:\n{sw}");
    }
    let w = words(&out.join("04-security-risk-management-report.pdf"));
    assert!(w.contains("#{panic()} %PDF-1.7 endobj"), "{w}");
    let w = words(&out.join("08-unresolved-anomalies.pdf"));
    assert!(w.contains("ANOM-001"), "{w}");
    assert!(w.contains("Display flickers"), "{w}");
    assert!(w.contains("`#box`"), "{w}");
    assert!(w.contains("CWE-400"), "{w}");
    assert!(w.contains("Cosmetic; fixed"), "{w}");
    assert!(!w.contains("ANOM-002"), "fixed in this release: {w}");
    assert!(!w.contains("ANOM-003"), "not a defect: {w}");
}

#[test]
fn the_folder_must_be_new_or_empty_unless_forced_and_never_a_ddf() {
    let t = hostile();
    t.write("out/keep.txt", "mine\n");
    let run = export(&t.root, &["REL-001", "-o", "out"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not empty; nothing was written"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert!(!t.path("out/manifest.json").exists());

    let run = export(&t.root, &["REL-001", "-o", "out", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        t.read("out/keep.txt"),
        "mine\n",
        "other files are left alone"
    );
    assert!(t.path("out/manifest.json").exists());
    // No temporary file is left behind.
    assert!(crate::harness::files_under(&t.path("out"))
        .iter()
        .all(|(r, _)| !r.contains(".ddf-submission")));

    // The DDF root itself: refused even with --force, and nothing is written there.
    let run = export(&t.root, &["REL-001", "-o", ".", "--force"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("it holds ddf.yaml"), "{}", run.stderr);
    assert!(!t.path("manifest.json").exists());
}

#[test]
fn a_record_that_is_not_a_release_is_a_usage_error() {
    let t = hostile();
    let run = export(&t.root, &["REL-999", "-o", "out"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no record `REL-999`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("name a release: REL-001"),
        "{}",
        run.stderr
    );
    let run = export(&t.root, &["THR-001", "-o", "out"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("THR-001 is a threat, not a release"),
        "{}",
        run.stderr
    );
    assert!(
        !t.path("out").exists(),
        "nothing is written on a usage error"
    );
}
