//! ddf's mutation fuzzer, on stable Rust: it mutates the seed corpus (the example DDF and the
//! real SBOMs, advisories and KEV catalogue of tests/data) and feeds the results to the library
//! in-process, with panics caught and a watchdog for hangs and memory, and now and then to the
//! real binary with `--format json`. It fails on a panic, a hang, an output that is not JSON, or a
//! record file missing from the output; the failing input is saved with a line to reproduce it.
//!
//! `cargo test` runs it briefly (and checks that it catches the faults it is meant to catch);
//! CI runs it for two minutes with a seed derived from the commit:
//!
//! ```text
//! cargo test --release --test fuzz -- --seconds 60 --seed 7
//! cargo test --release --test fuzz -- --replay target/fuzz-crashes/<case>
//! ```
//!
//! docs/fuzzing.md describes it.

mod binary;
mod case;
mod crash;
mod mutate;
mod rng;
mod seeds;
mod targets;

use binary::{Binary, Inject};
use case::{Case, Generator, Kind};
use rng::Rng;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use targets::{Ctx, Failure};

/// How this build of the fuzzer is run: a failure reproduces with the same build (a debug build
/// checks overflows a release build does not).
const CARGO_TEST: &str = if cfg!(debug_assertions) {
    "cargo test --test fuzz"
} else {
    "cargo test --release --test fuzz"
};

const USAGE: &str = "\
usage: cargo test [--release] --test fuzz -- [OPTIONS]

With no option: a short run (a few seconds) and the harness's own checks, as `cargo test` does.

  --seconds N        fuzz for N seconds (also DDF_FUZZ_SECONDS)
  --seed S           the run's seed: a number, 0x-hex, or any text (a commit id) (also DDF_FUZZ_SEED)
  --cases N          stop after N inputs
  --kinds K,K        only these kinds: record, front-matter, config, cyclonedx, spdx, osv, kev
  --timeout S        seconds one input may take in process (default 5; 60 in a debug build)
  --binary-every N   run the ddf binary on every Nth input (default 100; 0: never)
  --deep-every N     also build the site and the review for one DDF input in N (default 25)
  --max-rss-mb N     fail when the process holds more memory than this (default 4096)
  --include-known    also generate the inputs of issues fixed since: alias bombs, huge link lists
                     and key counts, long table cells (slower inputs; CI passes it)
  --keep-going       report every distinct panic or wrong output instead of stopping at the first
  --print            print each input (its first 1,500 bytes) before running it
  --crashes DIR      where failing inputs go (default: <target dir>/fuzz-crashes)
  --ddf PATH         the ddf binary (default: the one cargo built for this test)
  --replay DIR       run one saved failing input again
";

/// The command line.
#[derive(Debug, Clone)]
struct Options {
    seconds: Option<f64>,
    seed: u64,
    cases: u64,
    kinds: Vec<Kind>,
    timeout: Duration,
    binary_every: u64,
    binary_every_given: bool,
    deep_every: usize,
    max_rss_mb: u64,
    include_known: bool,
    keep_going: bool,
    print: bool,
    crashes: PathBuf,
    ddf: PathBuf,
    replay: Option<PathBuf>,
    inject: Option<String>,
    /// `cargo test FILTER` passes the filter on: a filter that does not select this test means
    /// nothing runs.
    filtered_out: bool,
    list: bool,
    /// `--ignored` (libtest): list or run the ignored tests only. The fuzzer is not one, so
    /// cargo-nextest, which lists with and without `--ignored`, sees it once, as a test to run.
    ignored_only: bool,
}

/// A seed from the command line: a number, 0x-hex, or any text hashed (FNV-1a).
fn parse_seed(s: &str) -> u64 {
    if let Some(h) = s.strip_prefix("0x") {
        if let Ok(n) = u64::from_str_radix(h, 16) {
            return n;
        }
    }
    if let Ok(n) = s.parse::<u64>() {
        return n;
    }
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn default_crashes() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("fuzz-crashes")
}

impl Options {
    fn parse(args: Vec<String>) -> Result<Options, String> {
        let mut o = Options {
            seconds: std::env::var("DDF_FUZZ_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok()),
            seed: std::env::var("DDF_FUZZ_SEED").map_or(1, |s| parse_seed(&s)),
            cases: u64::MAX,
            kinds: Vec::new(),
            timeout: Duration::from_secs(if cfg!(debug_assertions) { 60 } else { 5 }),
            binary_every: 100,
            binary_every_given: false,
            deep_every: 25,
            max_rss_mb: 4096,
            include_known: false,
            keep_going: false,
            print: false,
            crashes: default_crashes(),
            ddf: PathBuf::from(env!("CARGO_BIN_EXE_ddf")),
            replay: None,
            inject: None,
            filtered_out: false,
            ignored_only: false,
            list: false,
        };
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (a.clone(), None),
            };
            let mut value = |name: &str| {
                inline
                    .clone()
                    .or_else(|| it.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            let num = |v: String, name: &str| {
                v.parse::<u64>()
                    .map_err(|_| format!("{name}: `{v}` is not a number"))
            };
            match flag.as_str() {
                "--seconds" => {
                    let v = value("--seconds")?;
                    o.seconds = Some(
                        v.parse()
                            .map_err(|_| format!("--seconds: `{v}` is not a number"))?,
                    );
                }
                "--seed" => o.seed = parse_seed(&value("--seed")?),
                "--cases" => o.cases = num(value("--cases")?, "--cases")?,
                "--kinds" => {
                    for k in value("--kinds")?.split(',') {
                        o.kinds
                            .push(Kind::parse(k).ok_or_else(|| format!("--kinds: no kind `{k}`"))?);
                    }
                }
                "--timeout" => {
                    o.timeout = Duration::from_secs(num(value("--timeout")?, "--timeout")?.max(1));
                }
                "--binary-every" => {
                    o.binary_every = num(value("--binary-every")?, "--binary-every")?;
                    o.binary_every_given = true;
                }
                "--deep-every" => {
                    o.deep_every = num(value("--deep-every")?, "--deep-every")?.max(1) as usize;
                }
                "--max-rss-mb" => o.max_rss_mb = num(value("--max-rss-mb")?, "--max-rss-mb")?,
                "--include-known" => o.include_known = true,
                "--keep-going" => o.keep_going = true,
                "--print" => o.print = true,
                "--crashes" => o.crashes = PathBuf::from(value("--crashes")?),
                "--ddf" => o.ddf = PathBuf::from(value("--ddf")?),
                "--replay" => o.replay = Some(PathBuf::from(value("--replay")?)),
                "--inject" => o.inject = Some(value("--inject")?),
                "-h" | "--help" => return Err(String::new()),
                "--list" => o.list = true,
                "--ignored" => o.ignored_only = true,
                // libtest's options, which `cargo test` may pass on: nothing to do here.
                "--skip" | "--test-threads" | "--color" | "--format" | "-Z" | "--logfile" => {
                    let _ = value(&flag);
                }
                f if f.starts_with('-') => {}
                filter => {
                    if !"fuzz".contains(filter) {
                        o.filtered_out = true;
                    }
                }
            }
        }
        Ok(o)
    }
}

/// Resident memory of this process, in MiB (Linux; 0 elsewhere).
fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// What the watchdog needs to save the input that hangs.
struct Watch {
    current: Mutex<Option<(u64, Arc<Case>, Instant)>>,
}

/// Reports a failure: saves the input, prints where and how to reproduce it.
fn report(o: &Options, case: &Case, failure: &Failure, number: u64) {
    eprintln!(
        "fuzz: FAILED ({}) on input {number} ({}, {}): {}",
        failure.what,
        case.kind.name(),
        case.target,
        failure.headline()
    );
    match crash::save(&o.crashes, case, failure, o.seed, number) {
        Ok(folder) => {
            eprintln!("fuzz: input saved to {}", folder.display());
            eprintln!(
                "fuzz: reproduce: {CARGO_TEST} -- --replay {}",
                folder.display()
            );
            eprintln!(
                "fuzz: or the whole run: {CARGO_TEST} -- --seed {:#x} --cases {}{}",
                o.seed,
                number + 1,
                if o.include_known {
                    " --include-known"
                } else {
                    ""
                }
            );
        }
        Err(e) => eprintln!("fuzz: could not save the input: {e}"),
    }
    let detail: String = failure
        .detail
        .lines()
        .take(40)
        .collect::<Vec<_>>()
        .join("\n");
    eprintln!("{detail}");
}

/// Starts the thread that ends the process when an input runs longer than the timeout or memory
/// grows past the bound: a hang cannot be caught in-process, only reported.
fn watchdog(o: &Options, watch: Arc<Watch>, work: PathBuf) {
    let o = o.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(50));
        let current = watch.current.lock().ok().and_then(|c| c.clone());
        let rss = rss_mb();
        let failure = match &current {
            Some((_, _, started)) if started.elapsed() > o.timeout => Some(Failure::new(
                "hang",
                format!("one input ran longer than {:?} in process", o.timeout),
            )),
            _ if rss > o.max_rss_mb => Some(Failure::new(
                "memory",
                format!(
                    "the process holds {rss} MiB, more than --max-rss-mb {}",
                    o.max_rss_mb
                ),
            )),
            _ => None,
        };
        if let Some(f) = failure {
            match current {
                Some((n, case, _)) => report(&o, &case, &f, n),
                None => eprintln!("fuzz: FAILED ({}): {}", f.what, f.detail),
            }
            let _ = std::fs::remove_dir_all(&work);
            std::process::exit(1);
        }
    });
}

/// Per-kind counts and time.
#[derive(Default)]
struct Stats {
    inputs: u64,
    binary_runs: u64,
    history_runs: u64,
    per_kind: BTreeMap<Kind, (u64, Duration)>,
    failures: u64,
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fuzz(o: &Options, seconds: f64) -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = match seeds::Seeds::load(root) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fuzz: cannot read the seeds: {e}");
            return ExitCode::from(2);
        }
    };
    let work = match tempfile::Builder::new().prefix("ddf-fuzz-").tempdir() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("fuzz: cannot create a scratch folder: {e}");
            return ExitCode::from(2);
        }
    };
    let ctx = match Ctx::new(&seeds, work.path()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    let inject = match o.inject.as_deref() {
        Some("bad-json") => Inject::BadJson,
        Some("missing-record") => Inject::MissingRecord,
        _ => Inject::None,
    };
    let binary = if o.binary_every > 0 || o.replay.is_some() {
        match Binary::new(
            o.ddf.clone(),
            work.path(),
            ctx.example_root.clone(),
            &seeds,
            o.timeout.max(Duration::from_secs(20)),
            inject,
        ) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("fuzz: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    targets::install_hook();
    let watch = Arc::new(Watch {
        current: Mutex::new(None),
    });
    watchdog(o, watch.clone(), work.path().to_path_buf());
    if let Some(folder) = &o.replay {
        return replay(folder, &ctx, binary.as_ref(), &watch);
    }
    let limits = if o.include_known {
        mutate::Limits::unbounded()
    } else {
        mutate::Limits::avoiding_known()
    };
    let mut gen = Generator::new(&seeds, limits, &o.kinds);
    eprintln!(
        "fuzz: seed {:#x}, {seconds} s{}, per-input timeout {:?}, binary every {} inputs: {}",
        o.seed,
        if o.cases < u64::MAX {
            format!(" or {} inputs", o.cases)
        } else {
            String::new()
        },
        o.timeout,
        o.binary_every,
        o.ddf.display()
    );
    if !o.include_known {
        eprintln!("fuzz: the inputs of issues fixed since are not generated (--include-known does): YAML alias bombs, huge link lists and key counts, table cells over 65,535 characters");
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut stats = Stats::default();
    let mut seen_failures: HashSet<String> = HashSet::new();
    let mut first_binary = true;
    let mut n: u64 = 0;
    while n < o.cases && Instant::now() < deadline {
        let mut rng = Rng::for_case(o.seed, n);
        let case = Arc::new(gen.next(&mut rng));
        let deep = case.repo && rng.one_in(o.deep_every);
        if let Some(b) = case.files.get(&case.target).filter(|_| o.print) {
            eprintln!(
                "===== {n} {} {} ({} bytes)\n{}",
                case.kind.name(),
                case.target,
                b.len(),
                String::from_utf8_lossy(&b[..b.len().min(1500)])
            );
        }
        if let Ok(mut c) = watch.current.lock() {
            *c = Some((n, case.clone(), Instant::now()));
        }
        let t = Instant::now();
        let injected = o.inject.as_deref().filter(|_| n == 3);
        let result = targets::guarded(|| {
            match injected {
                Some("panic") => panic!("injected panic (--inject panic)"),
                Some("hang") => loop {
                    std::thread::sleep(Duration::from_millis(100));
                },
                _ => {}
            }
            targets::run(&case, &ctx, deep)
        });
        if let Ok(mut c) = watch.current.lock() {
            *c = None;
        }
        let took = t.elapsed();
        let entry = stats.per_kind.entry(case.kind).or_default();
        entry.0 += 1;
        entry.1 += took;
        stats.inputs += 1;
        let result = result.and_then(|mut features| {
            if let Some(b) = binary
                .as_ref()
                .filter(|_| o.binary_every > 0 && n % o.binary_every == o.binary_every - 1)
            {
                stats.binary_runs += 1;
                let first = std::mem::replace(&mut first_binary, false);
                let seen = b.check(&case, first)?;
                if seen.iter().any(|f| f == "bin:history") {
                    stats.history_runs += 1;
                }
                features.extend(seen);
            }
            Ok(features)
        });
        match result {
            Ok(features) => gen.learn(&case, features),
            Err(failure) => {
                let key = format!("{}:{}", failure.what, targets::shape(failure.headline()));
                if seen_failures.insert(key) {
                    report(o, &case, &failure, n);
                    stats.failures += 1;
                }
                if !o.keep_going || matches!(failure.what, "hang" | "memory") {
                    break;
                }
            }
        }
        n += 1;
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    let per_min = |k: u64| (k as f64 * 60.0 / elapsed) as u64;
    let kinds: Vec<String> = stats
        .per_kind
        .iter()
        .map(|(k, (count, time))| {
            format!(
                "{} {} ({:.1} ms each)",
                k.name(),
                thousands(*count),
                time.as_secs_f64() * 1000.0 / (*count).max(1) as f64
            )
        })
        .collect();
    let (kept, behaviours) = gen.sizes();
    eprintln!(
        "fuzz: {} inputs in {elapsed:.1} s: {} inputs/minute; {} binary runs ({} on a Git history)",
        thousands(stats.inputs),
        thousands(per_min(stats.inputs)),
        thousands(stats.binary_runs),
        thousands(stats.history_runs)
    );
    eprintln!("fuzz: {}", kinds.join(", "));
    eprintln!("fuzz: {behaviours} behaviours seen, {kept} inputs kept for further mutation");
    drop(work);
    if stats.failures > 0 {
        eprintln!("fuzz: {} distinct failure(s)", stats.failures);
        ExitCode::FAILURE
    } else {
        eprintln!("fuzz: no failure");
        ExitCode::SUCCESS
    }
}

fn replay(folder: &Path, ctx: &Ctx, binary: Option<&Binary>, watch: &Watch) -> ExitCode {
    let case = match crash::load(folder) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    // A saved hang hangs again: the watchdog ends it as it did the first time.
    if let Ok(mut c) = watch.current.lock() {
        *c = Some((0, case.clone(), Instant::now()));
    }
    let result = targets::guarded(|| targets::run(&case, ctx, true));
    if let Ok(mut c) = watch.current.lock() {
        *c = None;
    }
    let result = result.and_then(|f| match binary {
        Some(b) => b.check(&case, false).map(|_| f),
        None => Ok(f),
    });
    match result {
        Ok(_) => {
            eprintln!("fuzz: {} passes now", folder.display());
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!(
                "fuzz: {} still fails ({}):\n{}",
                folder.display(),
                f.what,
                f.detail
            );
            ExitCode::FAILURE
        }
    }
}

/// The harness's own test, run by a plain `cargo test`: each deliberate fault must make a run
/// fail with the right kind and save the input; a saved input replays.
fn self_test() -> Result<(), String> {
    mutate::check_bounds()?;
    eprintln!("fuzz: self-test: the structural mutators stay within max_file");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let crashes = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = crashes.path().display().to_string();
    let faults: [(&str, &[&str]); 4] = [
        ("panic", &["--binary-every", "0"]),
        ("hang", &["--binary-every", "0", "--timeout", "1"]),
        ("json", &["--binary-every", "1", "--kinds", "record"]),
        (
            "missing-record",
            &["--binary-every", "1", "--kinds", "record"],
        ),
    ];
    for (what, extra) in faults {
        let inject = match what {
            "json" => "bad-json",
            w => w,
        };
        let out = std::process::Command::new(&exe)
            .args([
                "--seconds",
                "120",
                "--cases",
                "40",
                "--crashes",
                &dir,
                "--inject",
                inject,
            ])
            .args(extra)
            .output()
            .map_err(|e| e.to_string())?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(1) || !stderr.contains(&format!("FAILED ({what})")) {
            return Err(format!(
                "--inject {inject}: expected a `{what}` failure (exit 1), got {}:\n{stderr}",
                out.status
            ));
        }
        let saved = std::fs::read_dir(crashes.path())
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().contains(&format!("-{what}-")))
            .ok_or_else(|| format!("--inject {inject}: no input saved in {dir}"))?;
        if what == "json" {
            // Without the fault the saved input passes: the replay runs the same checks.
            let r = std::process::Command::new(&exe)
                .arg("--replay")
                .arg(&saved)
                .output()
                .map_err(|e| e.to_string())?;
            if !r.status.success() {
                return Err(format!(
                    "--replay {}: {}",
                    saved.display(),
                    String::from_utf8_lossy(&r.stderr)
                ));
            }
        }
        eprintln!("fuzz: self-test: --inject {inject} is caught as `{what}`");
    }
    Ok(())
}

fn main() -> ExitCode {
    let o = match Options::parse(std::env::args().skip(1).collect()) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("fuzz: {e}");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if o.list {
        if !o.ignored_only {
            println!("fuzz: test");
        }
        return ExitCode::SUCCESS;
    }
    if o.filtered_out || o.ignored_only {
        return ExitCode::SUCCESS;
    }
    if o.replay.is_some() {
        return fuzz(&o, 0.0);
    }
    match o.seconds {
        Some(s) => fuzz(&o, s),
        None => {
            // `cargo test`: the harness's own checks, then a short run that reaches the binary
            // a few times too.
            if let Err(e) = self_test() {
                eprintln!("fuzz: self-test failed: {e}");
                return ExitCode::FAILURE;
            }
            let mut o = o;
            if !o.binary_every_given {
                o.binary_every = 20;
            }
            fuzz(&o, 3.0)
        }
    }
}
