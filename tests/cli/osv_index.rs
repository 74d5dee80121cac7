//! `ddf vuln scan --osv all.zip`: an osv.dev-style export of every ecosystem, built from the real
//! advisories of tests/data, scanned without an index, cold (index written) and warm (index
//! reused), with the same report byte for byte; the index in `.git/ddf/osv-index-v1/`, rebuilt
//! when the zip changes or the index is damaged; hostile zips refused or skipped, boundedly.

use crate::harness::{run_ddf, Run, TestRepo};
use crate::vuln::data;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The real advisories of tests/data/osv and tests/data/osv-distro, sorted by file name.
fn real_advisories() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["osv", "osv-distro"] {
        for e in std::fs::read_dir(data(dir)).expect("osv data").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            out.push((name, std::fs::read(e.path()).expect("read")));
        }
    }
    out.sort();
    out
}

/// A zip of `entries` laid out as osv.dev's all.zip: `<ID>.json` at the root, deflated.
fn write_zip(path: &Path, entries: &[(String, Vec<u8>)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).expect("zip"));
    for (name, bytes) in entries {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        if name.ends_with('/') {
            z.add_directory(name.trim_end_matches('/'), opts)
                .expect("dir");
            continue;
        }
        z.start_file(name.as_str(), opts).expect("entry");
        z.write_all(bytes).expect("write");
    }
    z.finish().expect("finish");
}

/// SBOMs whose components the real advisories match (Go, npm, PyPI, crates.io, Maven).
const SBOMS: &[&str] = &[
    "cyclonedx/minikube-v1.23.1.cdx-1.5.json",
    "cyclonedx/npm-bundled-dependencies.cdx-1.6.json",
    "cyclonedx/poetry-regression-issue727.cdx-1.5.json",
    "cyclonedx/valid-vulnerability-1.6.json",
    "spdx/kong-atc-router-1.0.5.spdx-2.3.json",
];

fn scan(dir: &Path, osv: &Path, sbom: &str, extra: &[&str]) -> Run {
    let osv = osv.display().to_string();
    let sbom = data(sbom);
    let mut args = vec![
        "-v", "vuln", "scan", "--osv", &osv, "--sbom", &sbom, "--format", "json",
    ];
    args.extend_from_slice(extra);
    let run = run_ddf(dir, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

fn index_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn an_all_zip_gives_the_same_report_without_index_cold_and_warm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let all = dir.path().join("all.zip");
    let records = real_advisories();
    write_zip(&all, &records);
    // The same records as a folder of JSON files: the behaviour before the index.
    let folder = dir.path().join("osv");
    std::fs::create_dir_all(&folder).expect("folder");
    for (name, bytes) in &records {
        std::fs::write(folder.join(name), bytes).expect("write");
    }
    let index = dir.path().join("index");
    let ix = index.display().to_string();
    for sbom in SBOMS {
        let _ = std::fs::remove_dir_all(&index);
        let none = scan(dir.path(), &all, sbom, &["--no-index"]);
        assert!(!index.exists(), "--no-index writes nothing");
        let cold = scan(dir.path(), &all, sbom, &["--index", &ix]);
        assert!(
            cold.stderr.contains("wrote the OSV index"),
            "{}",
            cold.stderr
        );
        assert_eq!(index_files(&index).len(), 1, "one index file per zip");
        let warm = scan(dir.path(), &all, sbom, &["--index", &ix]);
        assert!(
            warm.stderr.contains("read the OSV index"),
            "{}",
            warm.stderr
        );
        let folder_run = scan(dir.path(), &folder, sbom, &[]);
        assert_eq!(cold.stdout, none.stdout, "{sbom}: cold vs --no-index");
        assert_eq!(warm.stdout, none.stdout, "{sbom}: warm vs --no-index");
        assert_eq!(folder_run.stdout, none.stdout, "{sbom}: folder vs zip");
        assert_eq!(none.json()["osv_records"], records.len());
    }
    // The expected findings are there (not only the same nothing three times).
    let v = scan(
        dir.path(),
        &all,
        "cyclonedx/minikube-v1.23.1.cdx-1.5.json",
        &["--index", &ix],
    )
    .json();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .flat_map(|f| f["advisories"].as_array().expect("advisories"))
        .filter_map(|a| a.as_str())
        .collect();
    assert!(ids.contains(&"GO-2022-1059"), "{ids:?}");
    assert!(ids.contains(&"GHSA-qppj-fm5r-hxr3"), "{ids:?}");
    // Human and Markdown reports are the same too.
    let osv = all.display().to_string();
    let sbom = data(SBOMS[0]);
    for format in ["human", "md"] {
        let base = [
            "vuln", "scan", "--osv", &osv, "--sbom", &sbom, "--format", format,
        ];
        let a = run_ddf(dir.path(), &[&base[..], &["--no-index"]].concat());
        let b = run_ddf(dir.path(), &[&base[..], &["--index", &ix]].concat());
        assert_eq!(a.code, 0, "{}", a.stderr);
        assert_eq!(a.stdout, b.stdout, "{format}");
    }
}

#[test]
fn the_index_lives_in_the_git_folder_and_a_changed_zip_rebuilds_it() {
    let t = TestRepo::with_basics();
    t.git_init();
    let all = t.path("osv/all.zip");
    std::fs::create_dir_all(all.parent().expect("parent")).expect("mkdir");
    let records = real_advisories();
    write_zip(&all, &records);
    let sbom = "cyclonedx/minikube-v1.23.1.cdx-1.5.json";
    let cold = scan(&t.root, &all, sbom, &[]);
    let ixdir = t.path(".git/ddf/osv-index-v1");
    assert_eq!(index_files(&ixdir).len(), 1, "{}", cold.stderr);
    assert!(
        cold.stderr.contains("wrote the OSV index"),
        "{}",
        cold.stderr
    );
    let warm = scan(&t.root, &all, sbom, &[]);
    assert!(
        warm.stderr.contains("read the OSV index"),
        "{}",
        warm.stderr
    );
    assert_eq!(warm.stdout, cold.stdout);
    // Nothing in the working tree but what the test wrote.
    assert_eq!(
        t.git(&["status", "--porcelain", "--ignored"])
            .lines()
            .count(),
        3
    );
    // A new export without GO-2022-1059: the index is rewritten, the finding is gone.
    let fewer: Vec<_> = records
        .iter()
        .filter(|(n, _)| n != "GO-2022-1059.json")
        .cloned()
        .collect();
    write_zip(&all, &fewer);
    let after = scan(&t.root, &all, sbom, &[]);
    assert!(
        after.stderr.contains("rewrote the OSV index"),
        "{}",
        after.stderr
    );
    assert!(!after.stderr.contains("warning"), "{}", after.stderr);
    assert!(!after.stdout.contains("GO-2022-1059"));
    assert_eq!(after.json()["osv_records"], records.len() - 1);
    let none = scan(&t.root, &all, sbom, &["--no-index"]);
    assert_eq!(after.stdout, none.stdout);
    assert_eq!(index_files(&ixdir).len(), 1, "rewritten in place");
    // --index and --no-index together are a usage error.
    let run = t.ddf(&[
        "vuln",
        "scan",
        "--osv",
        &all.display().to_string(),
        "--no-index",
        "--index",
        "x",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_damaged_or_foreign_index_is_rebuilt_never_trusted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let all = dir.path().join("all.zip");
    let records = real_advisories();
    write_zip(&all, &records);
    // Another export, whose index is moved over this one's.
    let other = dir.path().join("other.zip");
    write_zip(&other, &records[..5]);
    let index = dir.path().join("index");
    let ix = index.display().to_string();
    let sbom = "cyclonedx/minikube-v1.23.1.cdx-1.5.json";
    let good = scan(dir.path(), &all, sbom, &["--no-index"]).stdout;
    scan(dir.path(), &other, sbom, &["--index", &ix]);
    let other_ix = index_files(&index).remove(0);
    let foreign = std::fs::read(&other_ix).expect("read");
    std::fs::remove_file(&other_ix).expect("remove");
    scan(dir.path(), &all, sbom, &["--index", &ix]);
    let file = index_files(&index).remove(0);
    let sound = std::fs::read(&file).expect("read");
    let mut flipped = sound.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    let mut version = sound.clone();
    version[8] = 9;
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("empty", Vec::new(), true),
        ("truncated", sound[..sound.len() / 3].to_vec(), true),
        ("a flipped byte", flipped, true),
        ("another version", version, true),
        ("not an index", b"{\"hello\": 1}\n".to_vec(), true),
        // An index ddf wrote, but of another zip: the zip "changed", no warning.
        ("another zip's", foreign, false),
    ];
    for (what, bytes, warns) in cases {
        std::fs::write(&file, &bytes).expect("damage");
        let run = scan(dir.path(), &all, sbom, &["--index", &ix]);
        assert_eq!(run.stdout, good, "{what}");
        assert_eq!(
            run.stderr.contains("warning: the OSV index"),
            warns,
            "{what}: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read(&file).expect("read"),
            sound,
            "{what}: rebuilt"
        );
        let again = scan(dir.path(), &all, sbom, &["--index", &ix]);
        assert!(again.stderr.contains("read the OSV index"), "{what}");
    }
    // A folder where the index file should be cannot be written: the scan is still complete.
    std::fs::remove_file(&file).expect("remove");
    std::fs::create_dir_all(file.join("x")).expect("block");
    let run = scan(dir.path(), &all, sbom, &["--index", &ix]);
    assert_eq!(run.stdout, good);
    assert!(
        run.stderr.contains("warning: cannot write the OSV index"),
        "{}",
        run.stderr
    );
}

#[test]
fn hostile_zips_are_refused_or_their_entries_skipped_boundedly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sbom = "cyclonedx/minikube-v1.23.1.cdx-1.5.json";
    let records = real_advisories();
    let ix = dir.path().join("index");
    let ixs = ix.display().to_string();
    // Entries that are not advisories are skipped; a name with `..` is only a name.
    let mut odd = records.clone();
    odd.push(("README.md".into(), b"# not JSON".to_vec()));
    odd.push(("GHSA/".into(), Vec::new()));
    let go = odd
        .iter()
        .position(|(n, _)| n == "GO-2022-1059.json")
        .expect("GO-2022-1059");
    let (_, bytes) = odd.remove(go);
    odd.push(("../../escape/GO-2022-1059.json".into(), bytes));
    let zip = dir.path().join("odd.zip");
    write_zip(&zip, &odd);
    let plain = dir.path().join("plain.zip");
    write_zip(&plain, &records);
    let a = scan(dir.path(), &zip, sbom, &["--index", &ixs]);
    let b = scan(dir.path(), &plain, sbom, &["--no-index"]);
    assert_eq!(a.stdout, b.stdout);
    let warm = scan(dir.path(), &zip, sbom, &["--index", &ixs]);
    assert_eq!(warm.stdout, b.stdout);
    assert!(!dir.path().parent().expect("tmp").join("escape").exists());
    assert_eq!(index_files(&ix).len(), 1, "nothing else written");

    let refused = |name: &str, entries: &[(String, Vec<u8>)], expect: &str| {
        let zip = dir.path().join(name);
        write_zip(&zip, entries);
        for extra in [&["--no-index"][..], &["--index", &ixs][..]] {
            let osv = zip.display().to_string();
            let sbom = data(sbom);
            let args = [&["vuln", "scan", "--osv", &osv, "--sbom", &sbom][..], extra].concat();
            let run = run_ddf(dir.path(), &args);
            assert_eq!(run.code, 2, "{name}: {}", run.stderr);
            assert!(run.stderr.contains(expect), "{name}: {}", run.stderr);
        }
    };
    // A record that is not JSON stops the scan, naming the entry (never silently dropped).
    let mut bad = records.clone();
    bad.push(("BAD-1.json".into(), b"{\"id\": ".to_vec()));
    refused("bad.zip", &bad, "bad.zip!BAD-1.json: line 1 column");
    // An entry larger than ddf reads from one record (stored, so the test writes it quickly).
    let zip = dir.path().join("huge.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zip).expect("zip"));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        z.start_file("HUGE-1.json", opts).expect("entry");
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..65 {
            z.write_all(&chunk).expect("write");
        }
        z.finish().expect("finish");
    }
    let run = run_ddf(
        dir.path(),
        &[
            "vuln",
            "scan",
            "--osv",
            &zip.display().to_string(),
            "--sbom",
            &data(sbom),
            "--index",
            &ixs,
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("HUGE-1.json: more than 67108864 bytes uncompressed"),
        "{}",
        run.stderr
    );
    // Not a zip at all.
    let fake = dir.path().join("fake.zip");
    std::fs::write(&fake, "not a zip").expect("write");
    let run = run_ddf(
        dir.path(),
        &[
            "vuln",
            "scan",
            "--osv",
            &fake.display().to_string(),
            "--sbom",
            &data(sbom),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a readable zip archive"),
        "{}",
        run.stderr
    );
    // No index was written for any refused zip.
    assert_eq!(index_files(&ix).len(), 1);
}
