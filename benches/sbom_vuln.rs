//! Benchmark of `ddf sbom import` and `ddf vuln scan`: a deterministic generator of a large
//! CycloneDX SBOM and of an OSV database, and a timer that runs the release `ddf` binary on them.
//!
//! ```text
//! cargo bench --bench sbom_vuln                      # 5,000 components, 100,000 OSV records
//! cargo bench --bench sbom_vuln -- --components 5000 --advisories 100000 --runs 3 [--keep DIR]
//! ```
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

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
