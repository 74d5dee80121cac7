//! Benchmark of `ddf sbom import` and `ddf vuln scan`: a deterministic generator of a large
//! CycloneDX SBOM and of an OSV database, and a timer that runs the release `ddf` binary on them.
//!
//! ```text
//! cargo bench --bench sbom_vuln                      # 5,000 components, 100,000 OSV records
//! cargo bench --bench sbom_vuln -- --components 5000 --advisories 100000 --runs 3 [--keep DIR]
//! cargo bench --bench sbom_vuln -- all-zip           # 5,000 components, an all.zip of 500,000
//! cargo bench --bench sbom_vuln -- all-zip --components 5000 --advisories 500000 [--keep DIR]
//! ```
//!
//! `all-zip` (issue 17): an osv.dev-style `all.zip` of every ecosystem, each record a real
//! advisory of tests/data (details, references, severity kept) given a new id, aliases, packages
//! and ranges; the scan timed cold (no index: the zip read whole, the index written), warm (the
//! index reused) and with `--no-index`, with the peak memory of each run and the index's size.
//! Targets: under 10 s cold, under 1 s warm, under 1 GB.
//!
//! Targets (issue 6): importing a 5,000-component SBOM under 1 s; scanning 5,000 components
//! against 100,000 OSV records under 5 s. Figures are printed, never asserted: a timed test would
//! be noisy and would slow `cargo test` down. `docs/benchmarks.md` records the measured figures.

mod common;

use common::{build_ddf, SplitMix};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// "Today", so the rules and record bodies do not drift with the date.
const TODAY: &str = "2026-06-30";

/// The generators' random numbers: same seed, same files, byte for byte.
struct Rng(SplitMix);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn hex(&mut self, len: usize) -> String {
        self.0.hex(len)
    }
}

/// (purl type, OSV ecosystem) of the generated packages.
const ECOSYSTEMS: &[(&str, &str)] = &[
    ("npm", "npm"),
    ("pypi", "PyPI"),
    ("golang", "Go"),
    ("cargo", "crates.io"),
    ("maven", "Maven"),
];

/// Names per ecosystem the advisories are spread over; components draw from the same space, so a
/// realistic share of them (about a quarter) has advisories.
const NAMES_PER_ECOSYSTEM: u64 = 20_000;

fn package(eco: usize, n: u64) -> (String, String) {
    let (ty, _) = ECOSYSTEMS[eco];
    match ty {
        "golang" => (
            format!("pkg:golang/example.com/mod{n}/lib{n}"),
            format!("example.com/mod{n}/lib{n}"),
        ),
        "maven" => (
            format!("pkg:maven/org.example{n}/artifact-{n}"),
            format!("org.example{n}:artifact-{n}"),
        ),
        _ => (format!("pkg:{ty}/package-{n}"), format!("package-{n}")),
    }
}

fn version(rng: &mut Rng, eco: usize) -> String {
    let (a, b, c) = (rng.below(5), rng.below(20), rng.below(30));
    match ECOSYSTEMS[eco].0 {
        "golang" => format!("v{a}.{b}.{c}"),
        "maven" => format!("{a}.{b}.{c}"),
        _ => format!("{a}.{b}.{c}"),
    }
}

/// A CycloneDX 1.6 SBOM of `n` components (one in ten nested under the previous one).
fn gen_sbom(n: usize, seed: u64) -> String {
    let mut rng = Rng(SplitMix(seed));
    let mut comps: Vec<String> = Vec::with_capacity(n);
    let mut used = std::collections::HashSet::new();
    let mut i = 0;
    while comps.len() < n {
        let eco = i % ECOSYSTEMS.len();
        let name = rng.below(NAMES_PER_ECOSYSTEM);
        i += 1;
        if !used.insert((eco, name)) {
            continue;
        }
        let (purl, _) = package(eco, name);
        let v = version(&mut rng, eco);
        let supplier = format!("Supplier {}", rng.below(200));
        let eos = format!("20{}-0{}-15", 27 + rng.below(9), 1 + rng.below(9));
        comps.push(format!(
            r#"{{"bom-ref":"c{k}","type":"library","name":"{nm}","version":"{v}","purl":"{purl}@{v}","supplier":{{"name":"{supplier}"}},"hashes":[{{"alg":"SHA-256","content":"{h}"}}],"licenses":[{{"license":{{"id":"MIT"}}}}],"properties":[{{"name":"cdx:lifecycle:milestone:endOfSupport","value":"{eos}"}}]}}"#,
            k = comps.len(),
            nm = purl.rsplit('/').next().unwrap_or("x"),
            h = rng.hex(64)
        ));
    }
    // Nest every tenth component inside the one before it.
    let mut out = String::from(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"bom-ref":"device","name":"Bench device","supplier":{"name":"Acme"}}},"components":["#,
    );
    let mut k = 0;
    let mut first = true;
    while k < comps.len() {
        if !first {
            out.push(',');
        }
        first = false;
        if k + 1 < comps.len() && k % 10 == 8 {
            let parent = &comps[k];
            out.push_str(&parent[..parent.len() - 1]);
            out.push_str(r#","components":["#);
            out.push_str(&comps[k + 1]);
            out.push_str("]}");
            k += 2;
        } else {
            out.push_str(&comps[k]);
            k += 1;
        }
    }
    out.push_str("]}\n");
    out
}

/// `n` OSV records in `dir/<ecosystem>/<id>.json`, about 2 % withdrawn.
fn gen_osv(dir: &Path, n: usize, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng(SplitMix(seed ^ 0xA5A5));
    for (_, eco) in ECOSYSTEMS {
        std::fs::create_dir_all(dir.join(eco))?;
    }
    let vectors = [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
    ];
    for i in 0..n {
        let eco = (rng.below(ECOSYSTEMS.len() as u64)) as usize;
        let (_, name) = package(eco, rng.below(NAMES_PER_ECOSYSTEM));
        let (a, b) = (rng.below(5), rng.below(20));
        let kind = if ECOSYSTEMS[eco].1 == "Go" || ECOSYSTEMS[eco].1 == "crates.io" {
            "SEMVER"
        } else {
            "ECOSYSTEM"
        };
        let withdrawn = if rng.below(50) == 0 {
            r#","withdrawn":"2025-01-01T00:00:00Z""#
        } else {
            ""
        };
        let id = format!("BENCH-{i:06}");
        let text = format!(
            r#"{{"schema_version":"1.6.0","id":"{id}","modified":"2025-01-01T00:00:00Z","aliases":["CVE-2025-{i}"],"summary":"Generated advisory {i}"{withdrawn},"severity":[{{"type":"CVSS_V3","score":"{vec}"}}],"affected":[{{"package":{{"ecosystem":"{e}","name":"{name}"}},"ranges":[{{"type":"{kind}","events":[{{"introduced":"{a}.0.0"}},{{"fixed":"{a}.{b}.5"}}]}}]}}]}}"#,
            e = ECOSYSTEMS[eco].1,
            vec = vectors[i % vectors.len()]
        );
        std::fs::write(dir.join(ECOSYSTEMS[eco].1).join(format!("{id}.json")), text)?;
    }
    Ok(())
}

fn new_ddf(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("records"))?;
    std::fs::write(dir.join("ddf.yaml"), "project: Bench\n")?;
    std::fs::write(
        dir.join("records/PER-001.md"),
        "---\nid: PER-001\ntype: person\ntitle: Bench\nstatus: approved\nowner: PER-001\nprinted_name: Bench\nroles: [engineer]\nmay_sign: []\nkeys: []\nidentity_verified: 2026-01-01\n---\n",
    )
}

/// Runs `ddf ARGS` in `dir`; returns the wall time.
fn time(ddf: &Path, dir: &Path, args: &[&str]) -> Result<Duration, String> {
    let start = Instant::now();
    let out = Command::new(ddf)
        .args(args)
        .current_dir(dir)
        .env("DDF_TODAY", TODAY)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .output()
        .map_err(|e| format!("cannot run ddf: {e}"))?;
    let took = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "ddf {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(took)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run() -> Result<(), String> {
    if std::env::args().any(|a| a == "all-zip") {
        return all_zip::run();
    }
    let mut components = 5_000usize;
    let mut advisories = 100_000usize;
    let mut runs = 3usize;
    let mut keep: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or(format!("{what} needs a number"))
        };
        match a.as_str() {
            "--components" => components = num("--components")?,
            "--advisories" => advisories = num("--advisories")?,
            "--runs" => runs = num("--runs")?.max(1),
            "--keep" => {
                keep = Some(
                    args.next()
                        .map(PathBuf::from)
                        .ok_or("--keep needs a folder")?,
                )
            }
            // cargo bench passes --bench; ignore it and anything else it adds.
            _ => {}
        }
    }
    let ddf = build_ddf()?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let base = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&base).map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| e.to_string();
    eprintln!(
        "generating an SBOM of {components} components and {advisories} OSV records in {}",
        base.display()
    );
    let started = Instant::now();
    let sbom = base.join("bench.cdx.json");
    std::fs::write(&sbom, gen_sbom(components, 1)).map_err(io)?;
    let osv = base.join("osv");
    if !osv.is_dir() {
        gen_osv(&osv, advisories, 1).map_err(io)?;
    }
    eprintln!("generated in {:.1?}", started.elapsed());
    let sbom_s = sbom.display().to_string();
    let osv_s = osv.display().to_string();

    let mut first = Vec::new();
    let mut again = Vec::new();
    for r in 0..runs {
        let d = base.join(format!("ddf-{r}"));
        let _ = std::fs::remove_dir_all(&d);
        new_ddf(&d).map_err(io)?;
        first.push(time(&ddf, &d, &["-q", "sbom", "import", &sbom_s])?);
        again.push(time(&ddf, &d, &["-q", "sbom", "import", &sbom_s])?);
    }
    let d0 = base.join("ddf-0");
    let mut scan_records = Vec::new();
    let mut scan_sbom = Vec::new();
    for _ in 0..runs {
        scan_records.push(time(
            &ddf,
            &d0,
            &["vuln", "scan", "--osv", &osv_s, "--format", "json"],
        )?);
        scan_sbom.push(time(
            &ddf,
            &d0,
            &[
                "vuln", "scan", "--osv", &osv_s, "--sbom", &sbom_s, "--format", "json",
            ],
        )?);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\n{:<58} {:>9} {:>9} {:>7}",
        "measure (wall clock, release build)", "median", "min", "target"
    );
    let rows = [
        (
            format!("sbom import, {components} new components (+ suppliers)"),
            &first,
            1.0,
        ),
        (
            format!("sbom import again, {components} unchanged"),
            &again,
            1.0,
        ),
        (
            format!("vuln scan, {components} CMP records x {advisories} OSV"),
            &scan_records,
            5.0,
        ),
        (
            format!("vuln scan --sbom, {components} components x {advisories} OSV"),
            &scan_sbom,
            5.0,
        ),
    ];
    for (name, v, target) in rows {
        let m = median(v.clone());
        let min = v.iter().min().copied().unwrap_or_default();
        let _ = writeln!(
            out,
            "{name:<58} {:>8.3}s {:>8.3}s {:>6.1}s {}",
            m.as_secs_f64(),
            min.as_secs_f64(),
            target,
            if m.as_secs_f64() <= target {
                "ok"
            } else {
                "OVER"
            }
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let _ = writeln!(
        out,
        "runs: {runs}; cores: {}; load average: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    if keep.is_some() {
        let _ = writeln!(out, "inputs kept in {}", base.display());
    }
    Ok(())
}

mod all_zip {
    //! The `all-zip` benchmark.

    use super::{build_ddf, Rng, SplitMix, TODAY};
    use serde_json::{json, Value};
    use std::io::Write as _;
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::time::{Duration, Instant};

    /// (purl type and namespace, OSV ecosystem, range type, share of the records in 100ths).
    const ECOS: &[(&str, &str, &str, u64)] = &[
        ("npm", "npm", "SEMVER", 14),
        ("pypi", "PyPI", "ECOSYSTEM", 10),
        ("golang", "Go", "SEMVER", 6),
        ("cargo", "crates.io", "SEMVER", 3),
        ("maven", "Maven", "ECOSYSTEM", 8),
        ("gem", "RubyGems", "ECOSYSTEM", 3),
        ("nuget", "NuGet", "ECOSYSTEM", 2),
        ("composer", "Packagist", "ECOSYSTEM", 4),
        ("deb/debian", "Debian:12", "ECOSYSTEM", 20),
        ("deb/ubuntu", "Ubuntu:22.04:LTS", "ECOSYSTEM", 20),
        ("apk/alpine", "Alpine:v3.20", "ECOSYSTEM", 10),
    ];
    /// Package names per ecosystem.
    const NAMES: u64 = 30_000;

    fn eco(rng: &mut Rng) -> usize {
        let mut r = rng.below(100);
        for (i, e) in ECOS.iter().enumerate() {
            if r < e.3 {
                return i;
            }
            r -= e.3;
        }
        0
    }

    /// (purl without version, OSV package name).
    fn package(e: usize, n: u64) -> (String, String) {
        match ECOS[e].0 {
            "golang" => (
                format!("pkg:golang/example.com/mod{n}/lib"),
                format!("example.com/mod{n}/lib"),
            ),
            "maven" => (
                format!("pkg:maven/org.example{n}/artifact-{n}"),
                format!("org.example{n}:artifact-{n}"),
            ),
            "composer" => (
                format!("pkg:composer/vendor{n}/package-{n}"),
                format!("vendor{n}/package-{n}"),
            ),
            "pypi" => (format!("pkg:pypi/Package_{n}"), format!("package-{n}")),
            ty => (format!("pkg:{ty}/package-{n}"), format!("package-{n}")),
        }
    }

    fn version(rng: &mut Rng, e: usize) -> String {
        let (a, b, c) = (rng.below(5), rng.below(20), rng.below(30));
        match ECOS[e].0 {
            "golang" => format!("v{a}.{b}.{c}"),
            "deb/debian" | "deb/ubuntu" => format!("{a}.{b}.{c}-{}", 1 + rng.below(3)),
            "apk/alpine" => format!("{a}.{b}.{c}-r{}", rng.below(3)),
            _ => format!("{a}.{b}.{c}"),
        }
    }

    fn qualifiers(e: usize) -> &'static str {
        match ECOS[e].0 {
            "deb/debian" => "?distro=debian-12",
            "deb/ubuntu" => "?distro=ubuntu-22.04",
            "apk/alpine" => "?distro=3.20.3",
            _ => "",
        }
    }

    /// The real advisories of tests/data, the templates of the generated ones.
    fn templates() -> Result<Vec<Value>, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let mut out = Vec::new();
        for dir in ["osv", "osv-distro"] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
                .map_err(|e| e.to_string())?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            for f in files {
                let text = std::fs::read(&f).map_err(|e| e.to_string())?;
                out.push(serde_json::from_slice(&text).map_err(|e| e.to_string())?);
            }
        }
        Ok(out)
    }

    /// Writes an all.zip of `n` records; about 2 % withdrawn, one in eight sharing a CVE alias
    /// with the record before it (so alias groups span records), one in five affecting two
    /// packages.
    fn gen_zip(path: &Path, n: usize, seed: u64) -> Result<(), String> {
        let templates = templates()?;
        let mut rng = Rng(SplitMix(seed ^ 0x5A5A));
        let f = std::fs::File::create(path).map_err(|e| e.to_string())?;
        let mut z = zip::ZipWriter::new(std::io::BufWriter::new(f));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(1))
            .large_file(false);
        let prefixes = [
            "GHSA", "PYSEC", "GO", "RUSTSEC", "GHSA", "GHSA", "GHSA", "GHSA", "DEBIAN", "UBUNTU",
            "ALPINE",
        ];
        for i in 0..n {
            let mut v = templates[i % templates.len()].clone();
            let first = eco(&mut rng);
            let id = format!("{}-BENCH-{i:06}", prefixes[first]);
            let cve = if i % 8 == 1 { i - 1 } else { i };
            let Some(o) = v.as_object_mut() else {
                return Err("a template is not an object".into());
            };
            o.insert("id".into(), json!(id));
            o.insert("aliases".into(), json!([format!("CVE-2025-{cve}")]));
            o.remove("withdrawn");
            if rng.below(50) == 0 {
                o.insert("withdrawn".into(), json!("2025-01-01T00:00:00Z"));
            }
            let mut affected = Vec::new();
            let count = if rng.below(5) == 0 { 2 } else { 1 };
            for k in 0..count {
                let e = if k == 0 { first } else { eco(&mut rng) };
                let (_, name) = package(e, rng.below(NAMES));
                let (a, b) = (rng.below(5), rng.below(20));
                let fixed = match ECOS[e].0 {
                    "deb/debian" | "deb/ubuntu" => format!("{a}.{b}.5-2"),
                    "apk/alpine" => format!("{a}.{b}.5-r1"),
                    _ => format!("{a}.{b}.5"),
                };
                let mut entry = json!({
                    "package": {"ecosystem": ECOS[e].1, "name": name},
                    "ranges": [{"type": ECOS[e].2, "events": [{"introduced": format!("{a}.0.0")}, {"fixed": fixed}]}],
                });
                if rng.below(10) == 0 {
                    entry["versions"] = json!([format!("{a}.0.0"), format!("{a}.0.1")]);
                }
                affected.push(entry);
            }
            o.insert("affected".into(), Value::Array(affected));
            let bytes = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
            z.start_file(format!("{id}.json"), opts)
                .map_err(|e| e.to_string())?;
            z.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        z.finish().map_err(|e| e.to_string())?;
        Ok(())
    }

    /// A CycloneDX SBOM of `n` components over the same names, about a quarter with advisories.
    fn gen_sbom(n: usize, seed: u64) -> String {
        let mut rng = Rng(SplitMix(seed));
        let mut used = std::collections::HashSet::new();
        let mut comps = Vec::with_capacity(n);
        while comps.len() < n {
            let e = eco(&mut rng);
            let name = rng.below(NAMES / 4);
            if !used.insert((e, name)) {
                continue;
            }
            let (purl, _) = package(e, name);
            let v = version(&mut rng, e);
            comps.push(json!({
                "bom-ref": format!("c{}", comps.len()),
                "type": "library",
                "name": purl.rsplit('/').next().unwrap_or("x"),
                "version": v,
                "purl": format!("{purl}@{v}{}", qualifiers(e)),
            }));
        }
        json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": comps}).to_string()
    }

    /// A run: wall time, CPU time (user + system), peak resident memory in bytes, stdout.
    type Timed = (Duration, Duration, u64, Vec<u8>);

    /// Runs `ddf ARGS` in `dir`.
    fn time(ddf: &Path, dir: &Path, args: &[&str]) -> Result<Timed, String> {
        let start = Instant::now();
        let child = Command::new(ddf)
            .args(args)
            .current_dir(dir)
            .env("DDF_TODAY", TODAY)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_SYSTEM", "/dev/null")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run ddf: {e}"))?;
        let pid = child.id() as libc::pid_t;
        // Read the output on threads so the child never blocks on a full pipe.
        let mut out_pipe = child.stdout.ok_or("no stdout")?;
        let mut err_pipe = child.stderr.ok_or("no stderr")?;
        let out_t = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut out_pipe, &mut v);
            v
        });
        let err_t = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut err_pipe, &mut v);
            v
        });
        let mut status = 0;
        // SAFETY: an all-zero rusage is valid; wait4 fills it for the child we spawned.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, whose pid we hold; the pointers are to locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        let took = start.elapsed();
        let out = out_t.join().unwrap_or_default();
        let err = err_t.join().unwrap_or_default();
        if r != pid || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            return Err(format!(
                "ddf {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&err)
            ));
        }
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        let cpu = tv(ru.ru_utime) + tv(ru.ru_stime);
        Ok((took, cpu, ru.ru_maxrss as u64 * 1024, out))
    }

    pub(super) fn run() -> Result<(), String> {
        let mut components = 5_000usize;
        let mut advisories = 500_000usize;
        let mut keep: Option<PathBuf> = None;
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let mut num = |what: &str| -> Result<usize, String> {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .ok_or(format!("{what} needs a number"))
            };
            match a.as_str() {
                "--components" => components = num("--components")?,
                "--advisories" => advisories = num("--advisories")?,
                "--keep" => {
                    keep = Some(
                        args.next()
                            .map(PathBuf::from)
                            .ok_or("--keep needs a folder")?,
                    )
                }
                _ => {}
            }
        }
        let ddf = build_ddf()?;
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let base = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
        std::fs::create_dir_all(&base).map_err(|e| e.to_string())?;
        let zip = base.join(format!("all-{advisories}.zip"));
        let sbom = base.join(format!("bench-{components}.cdx.json"));
        let started = Instant::now();
        if !zip.is_file() {
            eprintln!("generating {} ({advisories} OSV records)", zip.display());
            gen_zip(&zip, advisories, 1)?;
        }
        std::fs::write(&sbom, gen_sbom(components, 7)).map_err(|e| e.to_string())?;
        eprintln!("generated in {:.1?}", started.elapsed());
        let index = base.join("index");
        let _ = std::fs::remove_dir_all(&index);
        let (zip_s, sbom_s, index_s) = (
            zip.display().to_string(),
            sbom.display().to_string(),
            index.display().to_string(),
        );
        let scan = |extra: &[&str]| {
            let mut a = vec![
                "vuln", "scan", "--osv", &zip_s, "--sbom", &sbom_s, "--format", "json",
            ];
            a.extend_from_slice(extra);
            time(&ddf, &base, &a)
        };
        let cold = scan(&["--index", &index_s])?;
        let warm = scan(&["--index", &index_s])?;
        let warm2 = scan(&["--index", &index_s])?;
        let none = scan(&["--no-index"])?;
        let same = cold.3 == warm.3 && warm.3 == none.3;
        let index_size: u64 = std::fs::read_dir(&index)
            .map_err(|e| e.to_string())?
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum();
        let zip_size = std::fs::metadata(&zip).map_err(|e| e.to_string())?.len();
        let report: Value = serde_json::from_slice(&warm.3).map_err(|e| e.to_string())?;
        let mut out = std::io::stdout().lock();
        let mb = |b: u64| b as f64 / 1e6;
        let _ = writeln!(
            out,
            "
all.zip: {advisories} records, {:.0} MB; {components} components; {} findings",
            mb(zip_size),
            report["findings"].as_array().map_or(0, Vec::len)
        );
        let _ = writeln!(
            out,
            "{:<50} {:>9} {:>9} {:>10} {:>7}",
            "measure (release build)", "wall", "CPU", "peak RSS", "target"
        );
        let best = if warm.0 <= warm2.0 { &warm } else { &warm2 };
        for (name, run, target) in [
            (
                "vuln scan, cold (reads the zip, writes the index)",
                &cold,
                10.0,
            ),
            ("vuln scan, warm (index reused), best of 2", best, 1.0),
            ("vuln scan --no-index", &none, 10.0),
        ] {
            let (t, cpu, rss) = (run.0, run.1, run.2);
            let _ = writeln!(
                out,
                "{name:<50} {:>8.3}s {:>8.3}s {:>7.0} MB {:>6.1}s {}",
                t.as_secs_f64(),
                cpu.as_secs_f64(),
                mb(rss),
                target,
                if t.as_secs_f64() <= target && rss < 1_000_000_000 {
                    "ok"
                } else {
                    "OVER"
                }
            );
        }
        let _ = writeln!(
            out,
            "index: {:.1} MB; reports identical (cold, warm, --no-index): {same}",
            mb(index_size)
        );
        let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        let _ = writeln!(
            out,
            "cores: {}; load average: {}",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        );
        if !same {
            return Err("the reports differ between cold, warm and --no-index".into());
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
