//! Performance benchmark of `ddf`: a deterministic corpus generator and a timer for `ddf check`.
//!
//! ```text
//! cargo bench --bench ddf_bench -- gen --records 20000 [--commits 10000] [--seed 1] DIR
//! cargo bench --bench ddf_bench -- check [--records 20000] [--runs 5] [DIR]
//! cargo bench --bench ddf_bench -- all [--runs 5] [--commits 10000]
//! cargo bench --bench ddf_bench -- junit [--records 10000] [--runs 5]
//! cargo bench --bench ddf_bench -- import [--records 20000] [--runs 3]
//! ```
//!
//! `docs/benchmarks.md` says what is measured, how, and the figures measured so far.

mod common;

use common::{build_ddf, SplitMix};
use std::fmt::Write as _;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// "Today" for the rules that read the clock, so figures and findings do not drift with the date.
const TODAY: &str = "2026-06-30";

/// Targets from the issue: (records up to, wall seconds, peak RSS in MB if any).
const TARGETS: &[(usize, f64, Option<f64>)] = &[(20_000, 1.0, Some(300.0)), (100_000, 5.0, None)];

/// The target of `ddf check` on a Git repository of up to 20,000 records (and 10,000 commits),
/// whose history rules run with signers resolved as of history: under 1.5 s, its history cache
/// built.
const GIT_TARGET: (usize, f64) = (20_000, 1.5);

// ------------------------------------------------------------------------------------------------
// Deterministic pseudo-random numbers (splitmix64): same seed, same corpus, byte for byte.

struct Rng(SplitMix);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(SplitMix(seed ^ 0x5DEE_CE66_D1CE_4E5B))
    }

    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n.max(1) as u64) as usize
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn hex(&mut self, len: usize) -> String {
        self.0.hex(len)
    }
}

// ------------------------------------------------------------------------------------------------
// Record types of the built-in QMSR profile, with the share of a product line each makes up.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum T {
    Un,
    Di,
    Do,
    Ver,
    Val,
    Dr,
    Haz,
    Harm,
    Hs,
    Rc,
    Thr,
    Vuln,
    Cmp,
    Sup,
    Sig,
    Capa,
    Cr,
    Mr,
    Rel,
    Doc,
    Per,
}

const ALL: [T; 21] = [
    T::Un,
    T::Di,
    T::Do,
    T::Ver,
    T::Val,
    T::Dr,
    T::Haz,
    T::Harm,
    T::Hs,
    T::Rc,
    T::Thr,
    T::Vuln,
    T::Cmp,
    T::Sup,
    T::Sig,
    T::Capa,
    T::Cr,
    T::Mr,
    T::Rel,
    T::Doc,
    T::Per,
];

impl T {
    fn idx(self) -> usize {
        self as usize
    }

    /// (prefix, type name, share per thousand records, minimum count).
    fn info(self) -> (&'static str, &'static str, usize, usize) {
        match self {
            T::Un => ("UN", "user-need", 100, 1),
            T::Di => ("DI", "design-input", 250, 1),
            T::Do => ("DO", "design-output", 150, 1),
            T::Ver => ("VER", "verification", 200, 2),
            T::Val => ("VAL", "validation", 30, 1),
            T::Dr => ("DR", "design-review", 2, 1),
            T::Haz => ("HAZ", "hazard", 30, 1),
            T::Harm => ("HARM", "harm", 10, 1),
            T::Hs => ("HS", "hazardous-situation", 60, 1),
            T::Rc => ("RC", "risk-control", 50, 1),
            T::Thr => ("THR", "threat", 30, 1),
            T::Vuln => ("VULN", "vulnerability", 10, 1),
            T::Cmp => ("CMP", "component", 30, 1),
            T::Sup => ("SUP", "supplier", 5, 1),
            T::Sig => ("SIG", "signal", 10, 1),
            T::Capa => ("CAPA", "capa", 5, 1),
            T::Cr => ("CR", "change-request", 15, 1),
            T::Mr => ("MR", "management-review", 1, 1),
            T::Rel => ("REL", "release", 1, 1),
            T::Doc => ("DOC", "document", 8, 9),
            T::Per => ("PER", "person", 3, 3),
        }
    }

    fn prefix(self) -> &'static str {
        self.info().0
    }

    fn name(self) -> &'static str {
        self.info().1
    }
}

// ------------------------------------------------------------------------------------------------
// Text material.

const SUBJECTS: &[&str] = &[
    "The pump",
    "The delivery engine",
    "The companion app",
    "The BLE stack",
    "The alarm manager",
    "The power supervisor",
    "The occlusion detector",
    "The bolus calculator",
    "The firmware updater",
    "The log uploader",
    "The user interface",
    "The cassette sensor",
    "The clinician portal",
    "The therapy scheduler",
    "The watchdog",
    "The reservoir gauge",
];
const VERBS: &[&str] = &[
    "shall monitor",
    "records",
    "limits",
    "verifies",
    "reports",
    "rejects",
    "authenticates",
    "schedules",
    "displays",
    "logs",
    "retries",
    "encrypts",
    "cross-checks",
    "debounces",
    "confirms",
    "rate-limits",
];
const OBJECTS: &[&str] = &[
    "the basal rate",
    "every bolus request",
    "line pressure",
    "the battery voltage",
    "the reservoir volume",
    "pairing attempts",
    "signed firmware images",
    "alarm acknowledgements",
    "the delivery log",
    "session keys",
    "motor step counts",
    "the glucose reading",
    "configuration changes",
    "audit events",
    "the infusion set state",
    "the real-time clock",
];
const QUALIFIERS: &[&str] = &[
    "within 500 ms",
    "at every motor step",
    "before therapy resumes",
    "with a two-out-of-three vote",
    "using AES-128-CCM with a per-session key",
    "at power-on and every 24 h",
    "over the whole wear period",
    "at 5, 23 and 40 °C",
    "under single-fault conditions",
    "for all supported locales",
    "without user interaction",
    "within the limits of IEC 60601-1-8",
    "while the display is off",
    "after a watchdog reset",
];
const TITLE_A: &[&str] = &[
    "Basal rate",
    "Bolus",
    "Occlusion",
    "Battery",
    "Reservoir",
    "Pairing",
    "Firmware update",
    "Alarm",
    "Delivery log",
    "Session key",
    "Motor drive",
    "Display",
    "Audit log",
    "Clock",
    "Cassette",
    "Temperature",
];
const TITLE_B: &[&str] = &[
    "accuracy",
    "detection",
    "limits",
    "monitoring",
    "integrity",
    "authentication",
    "timeout",
    "recovery",
    "reporting",
    "verification",
    "escalation",
    "encryption",
    "self-test",
    "range check",
];
const NAMES: &[&str] = &[
    "Dana Whitfield",
    "Marcus Oyelaran",
    "Priya Raman",
    "Tomás Lindqvist",
    "Hannah Cho",
    "Jonas Berg",
    "Aiko Tanaka",
    "Luis Ortega",
    "Fatima Haddad",
    "Sven Aalto",
    "Grace Mwangi",
    "Oliver Novak",
];
const LIBS: &[&str] = &[
    "mbedtls",
    "zephyr",
    "nanopb",
    "lwip",
    "freertos",
    "littlefs",
    "tinycbor",
    "cjson",
    "zlib",
    "openssl",
    "sqlite",
    "protobuf",
    "okhttp",
    "kotlinx-coroutines",
    "swift-nio",
    "realm",
];
const VIEWS: &[&str] = &[
    "global-system",
    "multi-patient-harm",
    "updatability-patchability",
    "use-case:bolus-delivery",
];
const SEC_CATEGORIES: &[&str] = &[
    "authentication",
    "authorization",
    "cryptography",
    "integrity",
    "confidentiality",
    "event-logging",
    "resiliency-recovery",
    "updatability-patchability",
];

fn sentence(rng: &mut Rng) -> String {
    format!(
        "{} {} {} {}.",
        rng.pick(SUBJECTS),
        rng.pick(VERBS),
        rng.pick(OBJECTS),
        rng.pick(QUALIFIERS)
    )
}

fn sentences(rng: &mut Rng, n: usize) -> String {
    let v: Vec<String> = (0..n).map(|_| sentence(rng)).collect();
    v.join(" ")
}

fn title(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(TITLE_A), rng.pick(TITLE_B))
}

/// Wraps `text` at about 96 columns.
fn wrap(text: &str, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in text.split(' ') {
        if !line.is_empty() && line.len() + w.len() > 96 {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A Markdown body of roughly 0.5 to 2 KB: paragraphs, now and then a heading, a list or a table.
fn body(rng: &mut Rng, min_paras: usize) -> String {
    let mut out = String::new();
    let paras = rng.range(min_paras, min_paras + 3);
    for p in 0..paras {
        if p > 0 {
            out.push('\n');
            if rng.chance(0.25) {
                let _ = writeln!(out, "## {}\n", title(rng));
            }
        }
        let n = rng.range(2, 4);
        out.push_str(&wrap(&sentences(rng, n), ""));
    }
    if rng.chance(0.15) {
        out.push_str("\n| condition | expected | tolerance |\n|---|---|---|\n");
        for _ in 0..rng.range(3, 6) {
            let _ = writeln!(
                out,
                "| {} {} | {} | ± {} % |",
                rng.pick(TITLE_A),
                rng.pick(TITLE_B),
                rng.pick(QUALIFIERS),
                rng.range(1, 10)
            );
        }
    } else if rng.chance(0.15) {
        out.push('\n');
        for _ in 0..rng.range(2, 5) {
            let _ = writeln!(out, "- {}", sentence(rng));
        }
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Dates.

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `YYYY-MM-DD` of `y-m-d` plus `days`.
fn date(y: i64, m: i64, d: i64, days: usize) -> String {
    let (y, m, d) = civil_from_days(days_from_civil(y, m, d) + days as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

// ------------------------------------------------------------------------------------------------
// Records.

/// One record: its folder path, front-matter lines (already rendered YAML values) and body.
#[derive(Clone)]
struct Rec {
    t: T,
    id: String,
    path: String,
    fm: Vec<(&'static str, String)>,
    body: String,
}

impl Rec {
    fn new(t: T, id: String, title: String, status: &str, owner: String) -> Rec {
        let path = format!("records/{}/{}.md", t.name(), id);
        let fm = vec![
            ("id", id.clone()),
            ("type", t.name().to_string()),
            ("title", title),
            ("status", status.to_string()),
            ("owner", owner),
        ];
        Rec {
            t,
            id,
            path,
            fm,
            body: String::new(),
        }
    }

    fn s(&mut self, key: &'static str, v: impl Into<String>) -> &mut Rec {
        self.fm.push((key, v.into()));
        self
    }

    fn list(&mut self, key: &'static str, v: &[String]) -> &mut Rec {
        self.fm.push((key, format!("[{}]", v.join(", "))));
        self
    }

    /// A folded block scalar.
    fn text(&mut self, key: &'static str, v: &str) -> &mut Rec {
        self.fm
            .push((key, format!(">-\n{}", wrap(v, "  ").trim_end())));
        self
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.fm
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    fn set(&mut self, key: &'static str, v: String) {
        match self.fm.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = v,
            None => self.fm.push((key, v)),
        }
    }

    fn render(&self) -> String {
        let mut s = String::with_capacity(256 + self.body.len());
        s.push_str("---\n");
        for (k, v) in &self.fm {
            let _ = writeln!(s, "{k}: {v}");
        }
        s.push_str("---\n");
        s.push_str(&self.body);
        s
    }
}

/// The most releases a corpus has, whatever its size.
const MAX_RELEASES: usize = 20;

/// What the generator planted on purpose, so a reader can tell findings from bugs.
#[derive(Default)]
struct Planted {
    failing_ver: usize,
    failing_ver_in_cr: usize,
    di_no_parent: usize,
    draft_missing_field: usize,
    dangling: usize,
    unknown_field: usize,
    hs_wrong_zone: usize,
    cmp_no_purl: usize,
}

/// The corpus being generated.
struct Gen {
    rng: Rng,
    n: [usize; 21],
    width: usize,
    recs: Vec<Rec>,
    planted: Planted,
    /// Indices in `recs` of the CMP records, in id order.
    cmp_recs: Vec<usize>,
    /// Each release's SBOM: its path and how many components (the first ones, by id) it lists.
    sboms: Vec<(String, usize)>,
}

/// Zone of the default safety matrix (ISO 14971 P x S), `p` and `s` 1-based.
fn safety_zone(p: usize, s: usize) -> &'static str {
    const M: [[&str; 5]; 5] = [
        ["A", "A", "A", "R", "R"], // P1
        ["A", "A", "R", "R", "U"], // P2
        ["A", "R", "R", "U", "U"], // P3
        ["A", "R", "U", "U", "U"], // P4
        ["R", "U", "U", "U", "U"], // P5
    ];
    M[p - 1][s - 1]
}

/// Zone of the default security matrix (E x S), `e` and `s` 1-based.
fn security_zone(e: usize, s: usize) -> &'static str {
    const M: [[&str; 5]; 5] = [
        ["C", "C", "C", "C", "C"], // E1
        ["C", "C", "C", "C", "U"], // E2
        ["C", "C", "C", "U", "U"], // E3
        ["C", "C", "U", "U", "U"], // E4
        ["C", "C", "U", "U", "U"], // E5
    ];
    M[e - 1][s - 1]
}

impl Gen {
    fn new(records: usize, seed: u64) -> Result<Gen, String> {
        let mut n = [0usize; 21];
        for t in ALL {
            let (_, _, share, min) = t.info();
            n[t.idx()] = (records * share / 1000).max(min);
        }
        // One release per thousand records, but a product line keeps a bounded number of
        // releases live (each has an SBOM that ddf parses).
        n[T::Rel.idx()] = n[T::Rel.idx()].min(MAX_RELEASES);
        let sum: usize = n.iter().sum();
        let di = n[T::Di.idx()] as i64 + records as i64 - sum as i64;
        if di < 1 {
            return Err(format!(
                "--records {records} is too small; use at least 100"
            ));
        }
        n[T::Di.idx()] = di as usize;
        let max = n.iter().copied().max().unwrap_or(1);
        let width = max.to_string().len().max(5);
        Ok(Gen {
            rng: Rng::new(seed),
            n,
            width,
            recs: Vec::with_capacity(records),
            planted: Planted::default(),
            cmp_recs: Vec::new(),
            sboms: Vec::new(),
        })
    }

    fn count(&self, t: T) -> usize {
        self.n[t.idx()]
    }

    fn id(&self, t: T, k: usize) -> String {
        format!("{}-{:0w$}", t.prefix(), k + 1, w = self.width)
    }

    fn ids(&self, t: T, ks: &[usize]) -> Vec<String> {
        ks.iter().map(|&k| self.id(t, k)).collect()
    }

    fn owner(&mut self) -> String {
        let k = self.rng.below(self.count(T::Per));
        self.id(T::Per, k)
    }

    /// A record with the common fields: mostly approved, some in review or draft.
    fn rec(&mut self, t: T, k: usize) -> Rec {
        let status = match self.rng.below(100) {
            0..=84 => "approved",
            85..=94 => "in-review",
            _ => "draft",
        };
        self.rec_status(t, k, status)
    }

    fn rec_status(&mut self, t: T, k: usize, status: &str) -> Rec {
        let title = format!("{} ({} {})", title(&mut self.rng), t.prefix(), k + 1);
        let owner = if t == T::Per {
            self.id(T::Per, 0)
        } else {
            self.owner()
        };
        Rec::new(t, self.id(t, k), title, status, owner)
    }

    /// Indices `j, j + m, j + 2m, ...` below `n`: the records assigned to `j` round-robin.
    fn round_robin(j: usize, m: usize, n: usize) -> Vec<usize> {
        (j..n).step_by(m.max(1)).collect()
    }

    /// Adds `r`, with a small chance of an unknown field (a warning).
    fn push(&mut self, mut r: Rec) {
        if self.rng.chance(0.002) {
            r.s("reviewer_note", "Checked against the previous baseline");
            self.planted.unknown_field += 1;
        }
        self.recs.push(r);
    }

    fn build(&mut self) {
        let n = |g: &Gen, t: T| g.count(t);
        let (n_un, n_di, n_do, n_ver, n_val) = (
            n(self, T::Un),
            n(self, T::Di),
            n(self, T::Do),
            n(self, T::Ver),
            n(self, T::Val),
        );
        let (n_haz, n_harm, n_hs, n_rc, n_thr) = (
            n(self, T::Haz),
            n(self, T::Harm),
            n(self, T::Hs),
            n(self, T::Rc),
            n(self, T::Thr),
        );
        let (n_vuln, n_cmp, n_sup, n_sig, n_capa) = (
            n(self, T::Vuln),
            n(self, T::Cmp),
            n(self, T::Sup),
            n(self, T::Sig),
            n(self, T::Capa),
        );
        let (n_cr, n_mr, n_rel, n_doc, n_per, n_dr) = (
            n(self, T::Cr),
            n(self, T::Mr),
            n(self, T::Rel),
            n(self, T::Doc),
            n(self, T::Per),
            n(self, T::Dr),
        );

        // --- Risk: harms, hazardous situations, the controls that mitigate them, threats.
        let harm_sev: Vec<usize> = (0..n_harm).map(|_| self.rng.range(2, 5)).collect();
        struct Hs {
            security: bool,
            harms: Vec<usize>,
        }
        let hs: Vec<Hs> = (0..n_hs)
            .map(|k| {
                let mut harms = vec![k % n_harm];
                if n_harm > 1 && self.rng.chance(0.4) {
                    let h2 = (k * 7 + 3) % n_harm;
                    if h2 != harms[0] {
                        harms.push(h2);
                    }
                }
                Hs {
                    security: k % 3 == 0,
                    harms,
                }
            })
            .collect();
        let n_sec_hs = hs.iter().filter(|h| h.security).count();
        // Threats that lead to patient harm are each named by a security HS (every third HS, so
        // HS k is the (k / 3)-th security HS); the rest are security-only.
        let n_ph = (n_thr * 2 / 3).min(n_sec_hs);
        let hs_threat: Vec<Option<usize>> = (0..n_hs)
            .map(|k| (hs[k].security && n_ph > 0).then_some((k / 3) % n_ph))
            .collect();
        let rc_hs: Vec<Vec<usize>> = (0..n_rc)
            .map(|j| Self::round_robin(j, n_rc, n_hs))
            .collect();
        let rc_kind: Vec<&str> = rc_hs
            .iter()
            .map(|v| {
                let sec = v.iter().filter(|&&k| hs[k].security).count();
                match (sec, v.len() - sec) {
                    (0, _) => "safety",
                    (_, 0) => "security",
                    _ => "both",
                }
            })
            .collect();
        let rc_info: Vec<bool> = (0..n_rc)
            .map(|j| j % 13 == 5 && rc_kind[j] == "safety")
            .collect();

        // --- Who implements each control: every `stride`-th DI; labeling DOs for
        // information-for-safety controls.
        let stride = (n_di / n_rc.max(1)).max(1);
        let di_rc = |i: usize| -> Option<usize> {
            (i.is_multiple_of(stride) && i / stride < n_rc).then_some(i / stride)
        };
        let mut do_rc: Vec<Vec<usize>> = vec![Vec::new(); n_do];
        for j in (0..n_rc).filter(|&j| rc_info[j]) {
            do_rc[j % n_do].push(j);
        }

        // --- Verifications: two per control (implementation, effectiveness), the rest spread over
        // the design inputs.
        let n_ver_rc = (2 * n_rc).min(n_ver / 2);
        let n_ver_di = n_ver - n_ver_rc;
        let mut ver_result: Vec<&str> = Vec::with_capacity(n_ver);
        for _ in 0..n_ver {
            ver_result.push(if self.rng.chance(0.015) {
                if self.rng.chance(0.7) {
                    "fail"
                } else {
                    "inconclusive"
                }
            } else {
                "pass"
            });
        }
        let failing: Vec<usize> = (0..n_ver).filter(|&v| ver_result[v] != "pass").collect();
        self.planted.failing_ver = failing.len();
        // About 40 % of failing verifications are taken into change control.
        let mut cr_ver: Vec<Vec<usize>> = vec![Vec::new(); n_cr];
        for (x, &v) in failing.iter().enumerate() {
            if x % 5 < 2 {
                cr_ver[x % n_cr].push(v);
                self.planted.failing_ver_in_cr += 1;
            }
        }

        // --- Vulnerabilities: some exploitable, each exploited by a threat.
        let vuln_state: Vec<&str> = (0..n_vuln)
            .map(|_| match self.rng.below(10) {
                0..=4 => "not_affected",
                5..=7 => "resolved",
                8 => "exploitable",
                _ => "in_triage",
            })
            .collect();
        let mut thr_exploits: Vec<Vec<usize>> = vec![Vec::new(); n_thr];
        // Exploited by security-only threats: a VULN names the releases it is `fielded` in, a
        // release names its CRs, a CR the CAPA that triggered it, a CAPA the HSs it updates, and
        // an HS its threats, so a patient-harm threat exploiting a fielded VULN closes a cycle of
        // written links.
        for u in (0..n_vuln).filter(|&u| vuln_state[u] == "exploitable") {
            let t = if n_thr > n_ph {
                n_ph + u % (n_thr - n_ph)
            } else {
                u % n_thr
            };
            thr_exploits[t].push(u);
        }

        // --- Releases: release k's SBOM lists the first `sbom_len(k)` components (the product grew
        // release by release); the latest release is in preparation (not fielded yet).
        let sbom_len = |k: usize| (n_cmp * (k + 1)).div_ceil(n_rel);
        self.sboms = (0..n_rel)
            .map(|k| (format!("sboms/bench-2.{k}.0.cdx.json"), sbom_len(k)))
            .collect();
        // The fielded releases whose SBOM lists component `c`.
        let fielded_with = |c: usize| -> Vec<usize> {
            (0..n_rel.saturating_sub(1))
                .filter(|&k| c < sbom_len(k))
                .collect()
        };

        // ---------------------------------------------------------------- user needs
        for k in 0..n_un {
            let mut r = self.rec(T::Un, k);
            let src = self
                .rng
                .pick(&["user", "patient", "clinical", "regulatory", "security"]);
            r.s("source", src);
            r.list("users", &["patient".into(), "prescribing clinician".into()]);
            if self.rng.chance(0.3) {
                r.text(
                    "use_environment",
                    "Home and daily life, worn on the body 24 h a day, 5 to 40 °C.",
                );
            }
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- design inputs
        let mut sec_cat = 0usize;
        for i in 0..n_di {
            let draft_missing = self.rng.chance(0.005);
            let mut r = if draft_missing {
                self.rec_status(T::Di, i, "draft")
            } else {
                self.rec(T::Di, i)
            };
            let rc = di_rc(i);
            let security = rc.is_some_and(|j| rc_kind[j] != "safety");
            let cat = if security {
                "security"
            } else {
                self.rng.pick(&[
                    "functional",
                    "performance",
                    "usability",
                    "safety",
                    "interface",
                    "labeling",
                ])
            };
            r.s("category", cat);
            if security {
                r.s(
                    "security_category",
                    SEC_CATEGORIES[sec_cat % SEC_CATEGORIES.len()],
                );
                sec_cat += 1;
                r.s("cyber", "true");
            }
            if draft_missing {
                self.planted.draft_missing_field += 1;
            } else {
                let ac = sentences(&mut self.rng, 2);
                r.text("acceptance_criteria", &ac);
            }
            if self.rng.chance(0.2) {
                r.s(
                    "standard",
                    self.rng.pick(&[
                        "IEC 60601-2-24:2012",
                        "IEC 62304:2006+A1:2015",
                        "IEC 62366-1:2015",
                        "AAMI SW96:2023",
                    ]),
                );
            }
            if self.rng.chance(0.005) {
                self.planted.di_no_parent += 1;
            } else if i % 5 == 4 {
                r.list("traces_to", &[self.id(T::Di, i / 2)]);
            } else {
                let mut ups = vec![i % n_un];
                if self.rng.chance(0.2) {
                    ups.push(self.rng.below(n_un));
                    ups.sort_unstable();
                    ups.dedup();
                }
                r.list("traces_to", &self.ids(T::Un, &ups));
            }
            if let Some(j) = rc {
                r.list("implements_control", &[self.id(T::Rc, j)]);
            }
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- design outputs
        for (k, rcs) in do_rc.iter().enumerate() {
            let mut r = self.rec(T::Do, k);
            let kind = if rcs.is_empty() {
                self.rng.pick(&[
                    "spec",
                    "source",
                    "source",
                    "source",
                    "config",
                    "drawing",
                    "mfg-procedure",
                ])
            } else {
                self.rng.pick(&["labeling", "ifu"])
            };
            r.s("output_kind", kind);
            r.s(
                "essential",
                if self.rng.chance(0.3) {
                    "true"
                } else {
                    "false"
                },
            );
            r.s(
                "artifacts",
                format!("[\"firmware/module{:03}/**\"]", k % 500),
            );
            r.list(
                "satisfies",
                &self.ids(T::Di, &Self::round_robin(k, n_do, n_di)),
            );
            if !rcs.is_empty() {
                r.list("implements_control", &self.ids(T::Rc, rcs));
            }
            let mut uses = self.ids(T::Cmp, &[k % n_cmp]);
            if self.rng.chance(0.003) {
                uses.push(format!("CMP-{}", "9".repeat(self.width + 1)));
                self.planted.dangling += 1;
            }
            r.list("uses", &uses);
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- verifications
        for (v, &result) in ver_result.iter().enumerate() {
            let mut r = self.rec(T::Ver, v);
            let (targets, check, method) = if v < n_ver_rc {
                let j = (v / 2) % n_rc;
                let method = if rc_kind[j] == "safety" {
                    self.rng.pick(&["test", "inspection", "analysis"])
                } else {
                    "security-test"
                };
                (
                    vec![self.id(T::Rc, j)],
                    Some(if v % 2 == 0 {
                        "implementation"
                    } else {
                        "effectiveness"
                    }),
                    method,
                )
            } else {
                let o = v - n_ver_rc;
                let mut t = self.ids(T::Di, &Self::round_robin(o, n_ver_di, n_di));
                if o % 4 == 0 {
                    t.push(self.id(T::Do, o % n_do));
                }
                (
                    t,
                    None,
                    self.rng.pick(&[
                        "test",
                        "test",
                        "test",
                        "inspection",
                        "analysis",
                        "demonstration",
                    ]),
                )
            };
            r.s("method", method);
            let ac = sentences(&mut self.rng, 1);
            r.text("acceptance_criteria", &ac);
            r.s("result", result);
            r.s("executed_on", date(2025, 1, 6, self.rng.below(500)));
            r.s("baseline", self.rng.hex(12));
            r.s(
                "evidence",
                format!("reports/ver/{}.pdf", self.id(T::Ver, v)),
            );
            if let Some(c) = check {
                r.s("control_check", c);
            }
            if method == "security-test" {
                r.s(
                    "security_test",
                    self.rng
                        .pick(&["threat-mitigation", "fuzz", "pentest", "sast", "vuln-scan"]),
                );
                r.s("cyber", "true");
            }
            r.s(
                "independence",
                self.rng
                    .pick(&["developer", "internal-independent", "third-party"]),
            );
            r.list("verifies", &targets);
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- validations
        for k in 0..n_val {
            let mut r = self.rec(T::Val, k);
            let m = self.rng.pick(&[
                "clinical-evaluation",
                "performance-evaluation",
                "human-factors",
                "simulated-use",
            ]);
            r.s("method", m).s("result", "pass");
            r.s(
                "product_config",
                format!("REL-{:0w$} production-equivalent units", 1, w = self.width),
            );
            r.s("executed_on", date(2025, 3, 3, self.rng.below(400)));
            r.s(
                "evidence",
                format!("reports/val/{}.pdf", self.id(T::Val, k)),
            );
            r.list(
                "validates",
                &self.ids(T::Un, &Self::round_robin(k, n_val, n_un)),
            );
            r.body = body(&mut self.rng, 2);
            self.push(r);
        }
        // ---------------------------------------------------------------- design reviews
        for k in 0..n_dr {
            let mut r = self.rec_status(T::Dr, k, "approved");
            let stage = [
                "design-inputs",
                "architecture-and-risk",
                "verification",
                "validation-and-transfer",
                "change-release-review",
            ][k % 5];
            r.s("stage", stage).s("date", date(2024, 9, 2, k * 30));
            let (p1, p2) = (self.id(T::Per, 0), self.id(T::Per, 1 % n_per));
            r.s("participants", format!("\n  - {{ person: {p1}, function: quality }}\n  - {{ person: {p2}, function: independent reviewer }}"));
            r.s("baseline", self.rng.hex(12))
                .s("outcome", "approved")
                .s("actions", "[]");
            r.s("threat_model_reviewed", "true");
            let reviewed = [
                self.id(T::Di, k % n_di),
                self.id(T::Do, k % n_do),
                self.id(T::Hs, k % n_hs),
            ];
            r.list("reviewed", &reviewed);
            r.body = body(&mut self.rng, 2);
            self.push(r);
        }
        // ---------------------------------------------------------------- hazards and harms
        for k in 0..n_haz {
            let mut r = self.rec(T::Haz, k);
            let cat = self.rng.pick(&[
                "energy",
                "biological-chemical",
                "operational",
                "information",
                "cybersecurity",
            ]);
            r.s("category", cat).s(
                "origin",
                if cat == "cybersecurity" {
                    "security"
                } else {
                    "safety"
                },
            );
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        for (k, &sev) in harm_sev.iter().enumerate() {
            let mut r = self.rec(T::Harm, k);
            r.s("severity", format!("S{sev}"));
            let why = sentences(&mut self.rng, 1);
            r.text("rationale", &why);
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- hazardous situations
        let risk_plan = self.id(T::Doc, 5);
        for (k, h) in hs.iter().enumerate() {
            let mut r = self.rec(T::Hs, k);
            if h.security {
                r.s("cyber", "true");
            }
            let sev = h.harms.iter().map(|&j| harm_sev[j]).max().unwrap_or(3);
            r.s("assessment", if h.security { "security" } else { "safety" });
            r.s("severity", format!("S{sev}"));
            let (initial, residual) = if h.security {
                let e = self.rng.range(2, 5);
                r.s("exploitability", format!("E{e}"));
                r.s("residual_severity", format!("S{sev}"))
                    .s("residual_exploitability", "E1");
                (security_zone(e, sev), security_zone(1, sev))
            } else {
                let p = self.rng.range(2, 5);
                let (rp, rs) = (p.min(2), sev.min(2));
                r.s("probability", format!("P{p}"));
                r.s("residual_severity", format!("S{rs}"))
                    .s("residual_probability", format!("P{rp}"));
                (safety_zone(p, sev), safety_zone(rp, rs))
            };
            r.s("initial_risk", initial);
            if self.rng.chance(0.01) {
                // A stated zone that disagrees with the matrix.
                r.s("residual_risk", if h.security { "U" } else { "R" });
                self.planted.hs_wrong_zone += 1;
            } else {
                r.s("residual_risk", residual);
            }
            r.s("policy_rev", format!("{risk_plan} rev C"));
            r.list("hazard", &[self.id(T::Haz, k % n_haz)]);
            r.list("harms", &self.ids(T::Harm, &h.harms));
            if let Some(t) = hs_threat[k] {
                r.list("threats", &[self.id(T::Thr, t)]);
            }
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- risk controls
        for j in 0..n_rc {
            let mut r = self.rec(T::Rc, j);
            let option = if rc_info[j] {
                "information-for-safety"
            } else {
                self.rng.pick(&["inherent-design", "protective-measure"])
            };
            r.s("option", option)
                .s("kind", rc_kind[j])
                .s("new_risks", "[]");
            let mut mitigates = self.ids(T::Hs, &rc_hs[j]);
            if rc_kind[j] != "safety" {
                r.s("cyber", "true");
                r.s("security_category", self.rng.pick(SEC_CATEGORIES));
                for &k in &rc_hs[j] {
                    if let Some(t) = hs_threat[k].filter(|_| k % 2 == 0) {
                        mitigates.push(self.id(T::Thr, t));
                    }
                }
            }
            r.list("mitigates", &mitigates);
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- threats
        for t in 0..n_thr {
            let mut r = self.rec(T::Thr, t);
            r.s("cyber", "true");
            r.s("asset", format!("{} data", self.rng.pick(TITLE_A)));
            r.s(
                "threat_source",
                self.rng.pick(&[
                    "Adjacent attacker within BLE range",
                    "Malicious app on the paired phone",
                    "Compromised update server",
                    "Insider with service access",
                ]),
            );
            r.s(
                "attack_vector",
                self.rng.pick(&[
                    "network",
                    "adjacent",
                    "local",
                    "physical",
                    "supply-chain",
                    "update-path",
                ]),
            );
            r.s(
                "entry_point",
                format!("{} interface", self.rng.pick(TITLE_A)),
            );
            let view = VIEWS[t % VIEWS.len()];
            r.s("views", format!("[global-system, \"{view}\"]"));
            r.s("exploitability", format!("E{}", self.rng.range(2, 5)))
                .s("residual_exploitability", "E1");
            if t < n_ph {
                r.s("disposition", "patient-harm");
            } else {
                r.s("disposition", "security-only");
                let why = sentences(&mut self.rng, 1);
                r.text("security_only_rationale", &why);
                // Minor impact: controlled on the security-only matrix at any exploitability.
                r.s("impact", "I2");
            }
            r.s(
                "stride",
                self.rng.pick(&[
                    "[spoofing]",
                    "[tampering, elevation-of-privilege]",
                    "[information-disclosure]",
                    "[denial-of-service]",
                ]),
            );
            if !thr_exploits[t].is_empty() {
                r.list("exploits", &self.ids(T::Vuln, &thr_exploits[t]));
            }
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- vulnerabilities
        for (u, &state) in vuln_state.iter().enumerate() {
            let mut r = self.rec(T::Vuln, u);
            r.s("cyber", "true");
            r.s("vuln_id", format!("CVE-{}-{}", 2020 + u % 6, 10_000 + u));
            r.s(
                "aliases",
                format!(
                    "[GHSA-{}-{}-{}]",
                    self.rng.hex(4),
                    self.rng.hex(4),
                    self.rng.hex(4)
                ),
            );
            r.s(
                "source",
                self.rng.pick(&["osv", "nvd", "vendor-advisory", "sca"]),
            );
            // In triage: discovered within the 30-day triage SLA before DDF_TODAY.
            let discovered_day = if state == "in_triage" {
                days_from_civil(2026, 6, 5) - days_from_civil(2025, 1, 1)
                    + self.rng.below(20) as i64
            } else {
                self.rng.below(500) as i64
            } as usize;
            r.s("discovered", date(2025, 1, 1, discovered_day));
            r.s("state", state);
            // Controlled on the E x S matrix, so no CAPA or notification deadlines apply.
            r.s("exploitability", format!("E{}", self.rng.range(1, 2)))
                .s("severity", format!("S{}", self.rng.range(1, 4)));
            match state {
                "not_affected" => {
                    r.s(
                        "justification",
                        self.rng.pick(&[
                            "code_not_present",
                            "code_not_reachable",
                            "requires_configuration",
                            "protected_by_mitigating_control",
                        ]),
                    );
                }
                "exploitable" => {
                    r.s("response", "[update]");
                    r.s("reportable_806", "not-required");
                    r.text(
                        "reportable_806_rationale",
                        "Controlled risk: the fix ships as a routine update (FDA postmarket guidance).",
                    );
                }
                "resolved" => {
                    r.s("customers_notified", date(2025, 1, 1, discovered_day + 14));
                    r.s("remediated", date(2025, 1, 1, discovered_day + 45));
                }
                _ => {}
            }
            r.list("affects", &[self.id(T::Cmp, u % n_cmp)]);
            let fielded = fielded_with(u % n_cmp);
            if matches!(state, "exploitable" | "in_triage") && !fielded.is_empty() {
                r.list("fielded", &self.ids(T::Rel, &fielded));
            }
            if u % 4 == 0 {
                r.list("reported_in", &[self.id(T::Sig, u % n_sig)]);
            }
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- components, suppliers
        for c in 0..n_cmp {
            let mut r = self.rec(T::Cmp, c);
            let lib = LIBS[c % LIBS.len()];
            let version = format!(
                "{}.{}.{}",
                self.rng.range(1, 4),
                self.rng.below(20),
                self.rng.below(10)
            );
            r.s("name", format!("{lib}-{c}"))
                .s("version", version.clone());
            let origin = self.rng.pick(&[
                "open-source",
                "open-source",
                "commercial",
                "first-party",
                "ots",
            ]);
            if origin != "first-party" && self.rng.chance(0.03) {
                self.planted.cmp_no_purl += 1;
            } else {
                r.s("purl", format!("pkg:generic/{lib}-{c}@{version}"));
            }
            r.s("origin", origin)
                .s("support_level", "actively-maintained");
            r.text(
                "support_basis",
                "Upstream publishes security releases for this branch; checked at each release.",
            );
            r.s("end_of_support", date(2031, 1, 1, self.rng.below(1500)));
            r.s("sbom_ref", format!("{lib}-{c}"));
            r.s(
                "license",
                self.rng
                    .pick(&["Apache-2.0", "MIT", "BSD-3-Clause", "Proprietary"]),
            );
            r.list("supplier", &[self.id(T::Sup, c % n_sup)]);
            r.body = body(&mut self.rng, 1);
            self.cmp_recs.push(self.recs.len());
            self.push(r);
        }
        for k in 0..n_sup {
            let mut r = self.rec(T::Sup, k);
            r.s(
                "name",
                format!("{} Systems {}", self.rng.pick(TITLE_A), k + 1),
            );
            r.s(
                "supplies",
                self.rng
                    .pick(&["library", "ots", "cloud", "firmware", "oss-project"]),
            );
            r.s(
                "approval",
                if self.rng.chance(0.8) {
                    "approved"
                } else {
                    "conditional"
                },
            );
            let ev = sentences(&mut self.rng, 2);
            r.text("evaluation", &ev);
            r.s("last_evaluated", date(2025, 9, 1, self.rng.below(200)));
            r.s("next_reevaluation", date(2027, 9, 1, self.rng.below(300)));
            r.s("provides_sbom", "true");
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        // ---------------------------------------------------------------- postmarket
        for g in 0..n_sig {
            let status = if self.rng.chance(0.1) {
                "open"
            } else {
                "closed"
            };
            let mut r = self.rec_status(T::Sig, g, status);
            r.s(
                "kind",
                self.rng.pick(&[
                    "complaint",
                    "complaint",
                    "feedback",
                    "service",
                    "field-data",
                ]),
            );
            r.s("received", date(2025, 2, 1, self.rng.below(450)));
            r.s(
                "device_id",
                format!("(01)0081234500{:04}(21)SN{}", g % 10_000, self.rng.hex(6)),
            );
            let ev = sentences(&mut self.rng, 1);
            r.text("evaluation", &ev);
            let inv = sentences(&mut self.rng, 2);
            r.text("investigation", &inv);
            r.s("reportable", "none");
            r.text(
                "reportable_rationale",
                "No death or serious injury and no malfunction likely to cause one (21 CFR 803).",
            );
            r.s(
                "complainant_ref",
                format!("pii://complaints/{}", self.rng.hex(10)),
            );
            r.text(
                "reply",
                "Customer informed of the outcome of the investigation.",
            );
            if status == "closed" {
                r.text(
                    "correction",
                    "None: the investigation found no nonconformity to correct.",
                );
                r.s("closed", date(2026, 5, 1, g % 30));
                r.s("closed_by", self.id(T::Per, 0));
            }
            r.list("risk", &[self.id(T::Hs, g % n_hs)]);
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        for k in 0..n_capa {
            let mut r = self.rec_status(T::Capa, k, "closed");
            r.s(
                "kind",
                if k % 4 == 0 {
                    "preventive"
                } else {
                    "corrective"
                },
            );
            let rc = sentences(&mut self.rng, 1);
            r.text("root_cause", &rc);
            r.s(
                "actions",
                "\n  - Update the design input and its verification\n  - Retrain the firmware team",
            );
            let e = sentences(&mut self.rng, 1);
            r.text(
                "no_adverse_effect",
                "Regression verification passed; no adverse effect on the device.",
            );
            r.text("effectiveness", &e);
            r.s("opened", date(2025, 3, 1, self.rng.below(200)));
            r.s("closed", date(2025, 11, 1, self.rng.below(150)));
            r.s("closed_by", self.id(T::Per, 0));
            r.list("source", &[self.id(T::Sig, k % n_sig)]);
            r.list("risk_updates", &[self.id(T::Hs, (k * 11) % n_hs)]);
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        for (c, vers) in cr_ver.iter().enumerate() {
            let status =
                self.rng
                    .pick(&["closed", "closed", "implemented", "verified", "approved"]);
            let mut r = self.rec_status(T::Cr, c, status);
            let reason = sentences(&mut self.rng, 1);
            r.text("reason", &reason);
            r.s(
                "impact",
                format!(
                    "{{ summary: Affects {} design records, regression verification planned }}",
                    self.rng.range(1, 6)
                ),
            );
            let cyber = if c % 4 == 0 {
                "may-impact"
            } else {
                "unlikely-to-impact"
            };
            r.s("cyber_impact", cyber);
            r.text(
                "cyber_rationale",
                "No change to interfaces, assets, threats or security controls.",
            );
            r.s("regulatory_path", "letter-to-file");
            if status == "closed" {
                r.s("closed", date(2026, 1, 5, c % 60));
                r.s("closed_by", self.id(T::Per, 0));
            }
            let affects = [
                self.id(T::Di, (c * 13) % n_di),
                self.id(T::Do, (c * 7) % n_do),
            ];
            r.list("affects", &affects);
            if c % 3 == 0 {
                r.list("triggered_by", &[self.id(T::Capa, c % n_capa)]);
            }
            if !vers.is_empty() {
                r.list("verification", &self.ids(T::Ver, vers));
            }
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
        for m in 0..n_mr {
            let mut r = self.rec_status(T::Mr, m, "approved");
            // The latest review is 2026-03-16; earlier ones every 182 days before it.
            let back = (n_mr - 1 - m) * 182;
            let d = civil_from_days(days_from_civil(2026, 3, 16) - back as i64);
            r.s("date", format!("{:04}-{:02}-{:02}", d.0, d.1, d.2));
            r.list(
                "attendees",
                &self.ids(T::Per, &(0..n_per.min(4)).collect::<Vec<_>>()),
            );
            r.s("period", format!("H{} {}", 1 + m % 2, 2020 + m / 2));
            let mut inputs = String::new();
            for key in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"] {
                let _ = write!(
                    inputs,
                    "\n  {key}: {}",
                    sentence(&mut self.rng).trim_end_matches('.')
                );
            }
            r.s("inputs", inputs);
            r.s("outputs", "\n  a: QMS effectiveness maintained\n  b: No product changes required\n  c: Resources confirmed\n  d: No regulatory changes");
            r.s("actions", "[]");
            if m > 0 {
                r.list("follow_up_of", &[self.id(T::Mr, m - 1)]);
            }
            r.body = body(&mut self.rng, 2);
            self.push(r);
        }
        for k in 0..n_rel {
            let mut r = self.rec_status(T::Rel, k, "approved");
            r.s("version", format!("2.{k}.0"))
                .s("tag", format!("v2.{k}.0"))
                .s("commit", self.rng.hex(40));
            r.s("sbom", format!("[{}]", self.sboms[k].0));
            r.text(
                "transfer",
                "Production build reproduced from the tagged commit; manufacturing released.",
            );
            r.text(
                "overall_residual_risk",
                "Acceptable; benefits outweigh the overall residual risk.",
            );
            r.text(
                "rm_review",
                "Risk management plan implemented; methods in place for production and postmarket.",
            );
            r.s("cyber_device", "true")
                .s("support_end", date(2030, 12, 31, 0));
            if k + 1 == n_rel {
                r.s("fielded", "false");
            } else {
                r.s("fielded", date(2024, 1, 15, k * 45));
            }
            let crs: Vec<usize> = Self::round_robin(k, n_rel, n_cr);
            r.list("changes", &self.ids(T::Cr, &crs));
            if k > 0 {
                r.list("prior", &[self.id(T::Rel, k - 1)]);
            }
            r.body = body(&mut self.rng, 2);
            self.push(r);
        }
        for d in 0..n_doc {
            let mut r = self.rec_status(T::Doc, d, "approved");
            let kind = match d {
                0..=3 => "architecture-view",
                4 => "cyber-mgmt-plan",
                5 => "risk-mgmt-plan",
                6 => "dd-plan",
                7 => "security-rm-plan",
                8 => "cvd-policy",
                _ => self
                    .rng
                    .pick(&["sop", "sop", "sop", "labeling", "threat-model", "rm-report"]),
            };
            r.s("doc_type", kind);
            r.s("effective", date(2025, 1, 13, self.rng.below(300)));
            r.s("review_due", date(2027, 9, 1, self.rng.below(500)));
            if let Some(view) = VIEWS.get(d) {
                r.s("view_type", format!("\"{view}\""));
            }
            // The criteria in force (risk-policy): the default matrices, stated by the plans.
            if kind == "risk-mgmt-plan" {
                r.s("risk_policy", "\n  revision: C\n  safety_matrix:\n    P5: [R, U, U, U, U]\n    P4: [A, R, U, U, U]\n    P3: [A, R, R, U, U]\n    P2: [A, A, R, R, U]\n    P1: [A, A, A, R, R]\n  security_matrix:\n    E5: [C, C, U, U, U]\n    E4: [C, C, U, U, U]\n    E3: [C, C, C, U, U]\n    E2: [C, C, C, C, U]\n    E1: [C, C, C, C, C]\n  acceptable: { safety: [A], security: [C] }\n  reduce_as_far_as_possible: { safety: [R] }");
            } else if kind == "security-rm-plan" {
                r.s("risk_policy", "\n  revision: A\n  security_only_matrix:\n    E5: [C, C, U, U, U]\n    E4: [C, C, U, U, U]\n    E3: [C, C, C, U, U]\n    E2: [C, C, C, C, U]\n    E1: [C, C, C, C, C]\n  acceptable: { security_only: [C] }");
            }
            r.list("about", &[self.id(T::Un, d % n_un)]);
            r.body = body(&mut self.rng, 3);
            self.push(r);
        }
        for p in 0..n_per {
            let mut r = self.rec_status(T::Per, p, "approved");
            let name = NAMES[p % NAMES.len()];
            r.set("title", format!("{name} ({})", p + 1));
            r.s("printed_name", format!("{name} {}", p + 1));
            r.s(
                "roles",
                self.rng.pick(&[
                    "[systems-engineering]",
                    "[firmware-engineering]",
                    "[quality-management]",
                    "[product-security]",
                ]),
            );
            r.s("may_sign", "[authorship, review, approval]")
                .s("keys", "[]");
            r.s("identity_verified", date(2023, 1, 16, p));
            r.list("training", &self.ids(T::Doc, &[0, 6]));
            r.body = body(&mut self.rng, 1);
            self.push(r);
        }
    }

    /// A CycloneDX 1.5 SBOM listing the first `len` components with their current versions.
    fn sbom(&self, k: usize, len: usize) -> String {
        let mut s = format!(
            "{{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"version\": 1,\n  \
             \"metadata\": {{ \"component\": {{ \"type\": \"firmware\", \"bom-ref\": \"bench-1\", \
             \"name\": \"BENCH-1\", \"version\": \"2.{k}.0\" }} }},\n  \"components\": ["
        );
        for (x, &i) in self.cmp_recs.iter().take(len).enumerate() {
            let r = &self.recs[i];
            let field = |key: &str| r.get(key).unwrap_or("");
            let _ = write!(
                s,
                "{}\n    {{ \"type\": \"library\", \"bom-ref\": \"{}\", \"name\": \"{}\", \"version\": \"{}\"",
                if x == 0 { "" } else { "," },
                field("sbom_ref"),
                field("name"),
                field("version")
            );
            if let Some(p) = r.get("purl") {
                let _ = write!(s, ", \"purl\": \"{p}\"");
            }
            s.push_str(" }");
        }
        s.push_str("\n  ]\n}\n");
        s
    }

    /// The files besides the records: `ddf.yaml` and the releases' SBOMs.
    fn other_files(&self) -> Vec<(String, String)> {
        let mut v = vec![("ddf.yaml".to_string(), Self::config().to_string())];
        for (k, (path, len)) in self.sboms.iter().enumerate() {
            v.push((path.clone(), self.sbom(k, *len)));
        }
        v
    }

    fn config() -> &'static str {
        "project: Bench\ndevices: [BENCH-1]\nrecords: records\ncontrolled_branch: main\n"
    }

    fn summary(&self) -> String {
        let mut s = String::new();
        for t in ALL {
            let _ = write!(s, "{} {}  ", t.prefix(), self.count(t));
        }
        let p = &self.planted;
        let _ = write!(
            s,
            "\nplanted findings: {} failing/inconclusive VER ({} named by a CR), {} DI without parent, \
             {} draft DI missing acceptance_criteria, {} dangling CMP link, {} unknown field, \
             {} HS with a wrong stated zone, {} CMP without purl",
            p.failing_ver, p.failing_ver_in_cr, p.di_no_parent, p.draft_missing_field, p.dangling, p.unknown_field, p.hs_wrong_zone, p.cmp_no_purl
        );
        s
    }
}

// ------------------------------------------------------------------------------------------------
// Writing a corpus: plain files, or a Git history through `git fast-import`.

struct GenStats {
    records: usize,
    bytes: usize,
    elapsed: Duration,
    /// The signed approvals appended to a Git history (`None` without `--commits`).
    signed: Option<Signed>,
}

/// The signed approval commits appended to a generated history.
struct Signed {
    /// Approval commits, the key rotation's included.
    approvals: usize,
    /// Distinct records approved.
    records: usize,
    /// SSH keys made (one per person, plus the rotated one).
    keys: usize,
    /// Time spent making keys and signed commits.
    elapsed: Duration,
}

fn ensure_empty(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        let mut it =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        if it.next().is_some() {
            return Err(format!(
                "{} is not empty; the generator only writes into an empty or new folder",
                dir.display()
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

fn write_file(dir: &Path, rel: &str, content: &str) -> Result<(), String> {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&p, content).map_err(|e| format!("cannot write {}: {e}", p.display()))
}

/// Writes the corpus to `dir`, two threads at a time.
fn write_tree(dir: &Path, g: &Gen) -> Result<usize, String> {
    for (path, text) in g.other_files() {
        write_file(dir, &path, &text)?;
    }
    let recs = &g.recs;
    for t in ALL {
        let p = dir.join("records").join(t.name());
        std::fs::create_dir_all(&p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
    }
    let half = recs.len().div_ceil(2);
    std::thread::scope(|s| {
        let handles: Vec<_> = recs
            .chunks(half.max(1))
            .map(|chunk| {
                s.spawn(move || -> Result<usize, String> {
                    let mut bytes = 0;
                    for r in chunk {
                        let text = r.render();
                        bytes += text.len();
                        write_file(dir, &r.path, &text)?;
                    }
                    Ok(bytes)
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += h
                .join()
                .map_err(|_| "a writer thread panicked".to_string())??;
        }
        Ok(total)
    })
}

/// A `git` command with a hermetic environment: no user or system config, fixed identities.
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Bench Author")
        .env("GIT_AUTHOR_EMAIL", "author@bench.example")
        .env("GIT_AUTHOR_DATE", "1704067200 +0000")
        .env("GIT_COMMITTER_NAME", "Bench Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@bench.example")
        .env("GIT_COMMITTER_DATE", "1704067200 +0000")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    c
}

fn run_git(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = git(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn fi_data(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    writeln!(w, "data {}", bytes.len())?;
    w.write_all(bytes)?;
    w.write_all(b"\n")
}

/// Start of the history: 2024-01-01T00:00:00Z; each commit is one minute after the last.
const EPOCH: u64 = 1_704_067_200;

/// The commits after the signed approvals: `HEAD~10..HEAD` is a change of records.
const TAIL: usize = 10;

/// A commit dated `ts` (committer and author).
fn fi_commit(w: &mut impl Write, ts: u64, msg: &str) -> std::io::Result<()> {
    writeln!(w, "commit refs/heads/main")?;
    writeln!(w, "author Bench Author <author@bench.example> {ts} +0000")?;
    writeln!(
        w,
        "committer Bench Committer <committer@bench.example> {ts} +0000"
    )?;
    fi_data(w, msg.as_bytes())
}

fn fi_file(w: &mut impl Write, path: &str, content: &str) -> std::io::Result<()> {
    writeln!(w, "M 100644 inline {path}")?;
    fi_data(w, content.as_bytes())
}

/// Runs one `git fast-import` in `dir`, `write` writing its stream (`done` is added).
fn fast_import(
    dir: &Path,
    write: impl FnOnce(&mut BufWriter<std::process::ChildStdin>) -> std::io::Result<()>,
) -> Result<(), String> {
    let mut child = git(dir)
        .args(["fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git fast-import: {e}"))?;
    let stdin = child.stdin.take().ok_or("git fast-import has no stdin")?;
    let mut w = BufWriter::with_capacity(1 << 20, stdin);
    let io = |e: std::io::Error| format!("writing to git fast-import: {e}");
    write(&mut w).map_err(io)?;
    w.write_all(b"done\n").map_err(io)?;
    w.flush().map_err(io)?;
    drop(w);
    let status = child
        .wait()
        .map_err(|e| format!("waiting for git fast-import: {e}"))?;
    if !status.success() {
        return Err(format!("git fast-import failed: {status}"));
    }
    Ok(())
}

/// Edits made by commit `c` of the generated history, dated `ts`; `from` names its parent when
/// it is not the branch's tip in this fast-import stream (the first commit of a second stream).
fn history_commit(
    g: &mut Gen,
    c: usize,
    ts: u64,
    from: Option<&str>,
    w: &mut impl Write,
) -> std::io::Result<()> {
    let mut changed: Vec<usize> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    let mut what: Vec<String> = Vec::new();
    let mut sbom_changed = false;
    let n_edits = match g.rng.below(10) {
        0..=4 => 1,
        5..=6 => 2,
        7 => 3,
        8 => 4,
        _ => 5,
    };
    for _ in 0..n_edits {
        let i = g.rng.below(g.recs.len());
        let day = g.rng.below(500);
        let r = &mut g.recs[i];
        let desc = match (g.rng.below(10), r.t) {
            (0..=3, _) => {
                let _ = write!(r.body, "\n{}\n", wrap(&sentence(&mut g.rng), "").trim_end());
                "extend the narrative"
            }
            (4..=5, _) => {
                let t = format!("{} ({} rev {c})", title(&mut g.rng), r.t.prefix());
                r.set("title", t);
                "retitle"
            }
            (_, T::Ver) => {
                r.set("executed_on", date(2025, 1, 6, day));
                r.set("baseline", g.rng.hex(12));
                "re-run on a new baseline"
            }
            (_, T::Di) => {
                let ac = format!(">-\n{}", wrap(&sentences(&mut g.rng, 2), "  ").trim_end());
                r.set("acceptance_criteria", ac);
                "revise the acceptance criteria"
            }
            (_, T::Cmp) => {
                let v = format!(
                    "{}.{}.{}",
                    g.rng.range(1, 4),
                    g.rng.below(20),
                    g.rng.below(10)
                );
                if let Some(p) = r.get("purl") {
                    let base = p.split('@').next().unwrap_or(p).to_string();
                    r.set("purl", format!("{base}@{v}"));
                }
                r.set("version", v);
                sbom_changed = true;
                "bump the component version (SBOM re-imported)"
            }
            _ => {
                let _ = write!(
                    r.body,
                    "\nRevised in change {c}: {}\n",
                    sentence(&mut g.rng)
                );
                "record the rationale"
            }
        };
        what.push(format!("{} ({desc})", r.id));
        changed.push(i);
    }
    if g.rng.chance(0.02) {
        // A new verification of an existing design input.
        let k = g.recs.iter().filter(|r| r.t == T::Ver).count();
        let mut r = g.rec_status(T::Ver, k, "in-review");
        r.s("method", "test");
        r.text("acceptance_criteria", &sentence(&mut g.rng));
        r.s("result", "pass")
            .s("executed_on", date(2026, 1, 5, g.rng.below(100)));
        let evidence = format!("reports/ver/{}.pdf", r.id);
        r.s("baseline", g.rng.hex(12)).s("evidence", evidence);
        let di = g.rng.below(g.count(T::Di));
        r.list("verifies", &[g.id(T::Di, di)]);
        r.body = body(&mut g.rng, 1);
        what.push(format!("{} (new verification)", r.id));
        g.recs.push(r);
        changed.push(g.recs.len() - 1);
    }
    if g.rng.chance(0.01) {
        // Move a record into another folder.
        let i = g.rng.below(g.recs.len());
        let r = &mut g.recs[i];
        if !r.path.starts_with("records/archive/") {
            removed.push(r.path.clone());
            r.path = format!("records/archive/{}/{}.md", r.t.name(), r.id);
            what.push(format!("{} (move to the archive folder)", r.id));
            changed.push(i);
        }
    }
    let mut msg = format!(
        "Update {}\n\n",
        what.iter()
            .map(|s| s.split(' ').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for s in &what {
        let _ = writeln!(msg, "- {s}");
    }
    // Change control: nearly every commit names its change request.
    if g.rng.chance(0.98) {
        let cr = g.rng.below(g.count(T::Cr));
        let _ = write!(msg, "\nChange-Request: {}\n", g.id(T::Cr, cr));
    }
    fi_commit(w, ts, &msg)?;
    if let Some(f) = from {
        writeln!(w, "from {f}")?;
    }
    for p in &removed {
        writeln!(w, "D {p}")?;
    }
    if sbom_changed {
        if let Some((k, (path, len))) = g.sboms.iter().enumerate().next_back() {
            fi_file(w, path, &g.sbom(k, *len))?;
        }
    }
    changed.sort_unstable();
    changed.dedup();
    for i in changed {
        fi_file(w, &g.recs[i].path, &g.recs[i].render())?;
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Signed approvals: real SSH keys enrolled in the PER records, and approval commits signed by Git.

/// Where the generated persons' private keys live: inside the Git folder, so outside the working
/// tree (never committed, never read as a record) and removed with the repository.
const KEY_DIR: &str = ".git/bench-keys";

/// When the approvals start: 2026-06-01T00:00:00Z, after every event date the records state (so
/// `approval-plausible` has nothing to say) and before `DDF_TODAY`; ten minutes apart.
fn approval_time(k: usize) -> u64 {
    let day = days_from_civil(2026, 6, 1) as u64;
    day * 86_400 + 600 * k as u64
}

/// The fields stating an event an approval cannot precede (those `approval-plausible` reads).
const APPROVAL_EVENTS: [&str; 7] = [
    "date",
    "executed_on",
    "opened",
    "received",
    "discovered",
    "closed",
    "remediated",
];

/// Makes ed25519 keys with `ssh-keygen`, one per name, in `dir`, all at once; returns each
/// private key's path and public key line (`ssh-ed25519 AAAA... NAME`).
fn ssh_keygen(dir: &Path, names: &[String]) -> Result<Vec<(PathBuf, String)>, String> {
    let mut children = Vec::new();
    for name in names {
        let key = dir.join(name);
        let child = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                format!("cannot run ssh-keygen (needed for the signed approvals; apt-get install openssh-client): {e}")
            })?;
        children.push((key, child));
    }
    let mut out = Vec::new();
    for (key, child) in children {
        let o = child
            .wait_with_output()
            .map_err(|e| format!("waiting for ssh-keygen: {e}"))?;
        if !o.status.success() {
            return Err(format!(
                "ssh-keygen failed for {}: {}",
                key.display(),
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        let public = std::fs::read_to_string(key.with_extension("pub"))
            .map_err(|e| format!("cannot read {}.pub: {e}", key.display()))?;
        out.push((key, public.trim().to_string()));
    }
    Ok(out)
}

/// The persons' signing keys: the private key each PER signs with now, by PER number.
struct Keys {
    private: Vec<PathBuf>,
    made: usize,
}

/// Makes one SSH key per PER and writes each public key into its record's `keys`, so the initial
/// commit (the trust root) enrols them all.
fn enrol_keys(dir: &Path, g: &mut Gen) -> Result<Keys, String> {
    let key_dir = dir.join(KEY_DIR);
    std::fs::create_dir_all(&key_dir)
        .map_err(|e| format!("cannot create {}: {e}", key_dir.display()))?;
    let names: Vec<String> = (0..g.count(T::Per)).map(|p| g.id(T::Per, p)).collect();
    let made = ssh_keygen(&key_dir, &names)?;
    let mut private = Vec::with_capacity(made.len());
    for (name, (key, public)) in names.iter().zip(made) {
        let r = g
            .recs
            .iter_mut()
            .find(|r| r.t == T::Per && &r.id == name)
            .ok_or_else(|| format!("no record {name}"))?;
        r.set("keys", format!("[\"{public}\"]"));
        private.push(key);
    }
    Ok(Keys {
        made: private.len(),
        private,
    })
}

/// Runs `git ARGS` in `dir` with `input` on its standard input, committer and author dated `ts`.
fn git_at(dir: &Path, ts: u64, args: &[&str], input: &str) -> Result<String, String> {
    let date = format!("{ts} +0000");
    let mut child = git(dir)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .map_err(|e| format!("writing to git {}: {e}", args.join(" ")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A signed, empty approval commit (`git commit -S --allow-empty`, SSH format) by PER `signer`
/// of `ids`, each pinned to its blob: `Approves:` lines of at most ten ids, then the meaning
/// and the signer.
fn sign_approval(
    dir: &Path,
    ts: u64,
    key: &Path,
    signer: &str,
    subject: &str,
    ids: &[(String, String)],
) -> Result<(), String> {
    let mut msg = format!("{subject}\n\n");
    for chunk in ids.chunks(10) {
        let line: Vec<String> = chunk.iter().map(|(id, b)| format!("{id}@{b}")).collect();
        let _ = writeln!(msg, "Approves: {}", line.join(", "));
    }
    let _ = writeln!(msg, "Signature-Meaning: approval\nSigner: {signer}");
    let signing_key = format!("user.signingkey={}", key.display());
    git_at(
        dir,
        ts,
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &signing_key,
            "commit",
            "-q",
            "-S",
            "--allow-empty",
            "--no-verify",
            "-F",
            "-",
        ],
        &msg,
    )
    .map(drop)
}

/// Appends `n` signed approval commits to the history in `dir` (checked out at its tip), plus a
/// key rotation half-way: a new key replaces PER 1's in its record (an ordinary commit), PER 2
/// approves that change in a signed approval, and PER 1 signs with the new key from then on.
///
/// The approvals cover approved records in a shuffled order, 5 to 30 per commit, each pinned to
/// its blob at the tip; the signers take turns among the first six persons, and nobody approves
/// their own PER record. Releases are left out (they need the `release` and `responsibility`
/// meanings, which the generated persons may not sign with).
fn sign_approvals(
    dir: &Path,
    g: &mut Gen,
    keys: &mut Keys,
    n: usize,
    seed: u64,
) -> Result<Signed, String> {
    let start = Instant::now();
    // Numbers of their own, so the edits of the history are those of a history without
    // approvals.
    let mut rng = Rng::new(seed ^ 0xA990_0FA1);
    // Blob of every file at the tip, by path.
    let tree = git_at(dir, EPOCH, &["ls-tree", "-r", "-z", "HEAD"], "")?;
    let mut blobs: std::collections::HashMap<String, String> = tree
        .split('\0')
        .filter_map(|e| {
            let (meta, path) = e.split_once('\t')?;
            Some((path.to_string(), meta.split(' ').nth(2)?.to_string()))
        })
        .collect();
    let mut queue: std::collections::VecDeque<usize> = {
        // A record stating an event after the approvals (a design review planned for later)
        // is not approved yet: `approval-plausible` would rightly refuse it.
        let first = date(2026, 6, 1, 0);
        let future = |r: &Rec| {
            APPROVAL_EVENTS
                .iter()
                .any(|k| r.get(k).is_some_and(|d| d > first.as_str()))
        };
        let mut v: Vec<usize> = (0..g.recs.len())
            .filter(|&i| {
                let r = &g.recs[i];
                r.t != T::Rel && r.get("status") == Some("approved") && !future(r)
            })
            .collect();
        // Fisher-Yates with the generator's own numbers: the same seed, the same order.
        for i in (1..v.len()).rev() {
            let j = rng.below(i + 1);
            v.swap(i, j);
        }
        v.into()
    };
    let n_per = g.count(T::Per);
    let signers = n_per.min(6);
    let per_path = |g: &Gen, p: usize| -> Result<String, String> {
        let id = g.id(T::Per, p);
        g.recs
            .iter()
            .find(|r| r.t == T::Per && r.id == id)
            .map(|r| r.path.clone())
            .ok_or_else(|| format!("no record {id}"))
    };
    let mut approved = std::collections::HashSet::new();
    let mut made = 0;
    let mut ts = 0;
    for k in 0..n {
        if k == n / 2 && n_per >= 2 {
            // Key rotation: PER 1's new key, enrolled by an ordinary commit ...
            let id = g.id(T::Per, 0);
            let key_dir = dir.join(KEY_DIR);
            let [(key, public)]: [(PathBuf, String); 1] =
                ssh_keygen(&key_dir, &[format!("{id}-2")])?
                    .try_into()
                    .map_err(|_| "ssh-keygen made no key".to_string())?;
            keys.made += 1;
            let path = per_path(g, 0)?;
            let text = {
                let r = g
                    .recs
                    .iter_mut()
                    .find(|r| r.path == path)
                    .ok_or_else(|| format!("no record at {path}"))?;
                r.set("keys", format!("[\"{public}\"]"));
                r.render()
            };
            write_file(dir, &path, &text)?;
            git_at(dir, approval_time(ts), &["add", "--", &path], "")?;
            let msg = format!(
                "Rotate {id}'s signing key\n\nThe laptop holding the old key was replaced.\n\nChange-Request: {}\n",
                g.id(T::Cr, 0)
            );
            git_at(
                dir,
                approval_time(ts),
                &["commit", "-q", "--no-verify", "-F", "-"],
                &msg,
            )?;
            ts += 1;
            let blob = git_at(dir, EPOCH, &["hash-object", "--", &path], "")?
                .trim()
                .to_string();
            blobs.insert(path, blob.clone());
            // ... approved by another person ...
            sign_approval(
                dir,
                approval_time(ts),
                &keys.private[1],
                &g.id(T::Per, 1),
                &format!("Approve the enrolment of {id}'s new key"),
                &[(id, blob)],
            )?;
            ts += 1;
            made += 1;
            // ... and used from then on.
            keys.private[0] = key;
        }
        let signer = k % signers;
        let signer_id = g.id(T::Per, signer);
        let want = rng.range(5, 30);
        let mut ids = Vec::with_capacity(want);
        let mut own = None;
        while ids.len() < want {
            let Some(i) = queue.pop_front() else { break };
            let r = &g.recs[i];
            if r.id == signer_id {
                own = Some(i);
                continue;
            }
            let blob = blobs
                .get(&r.path)
                .ok_or_else(|| format!("{} is not in the tip's tree", r.path))?;
            ids.push((r.id.clone(), blob.clone()));
            approved.insert(i);
        }
        if let Some(i) = own {
            queue.push_front(i);
        }
        if ids.is_empty() {
            break;
        }
        sign_approval(
            dir,
            approval_time(ts),
            &keys.private[signer],
            &signer_id,
            &format!("Approve {} records", ids.len()),
            &ids,
        )?;
        ts += 1;
        made += 1;
    }
    Ok(Signed {
        approvals: made,
        records: approved.len(),
        keys: keys.made,
        elapsed: start.elapsed(),
    })
}

/// Generates `records` records into `dir`; with `commits` > 0, as a Git repository whose history
/// has an initial commit and `commits` commits of edits.
fn generate(
    dir: &Path,
    records: usize,
    commits: usize,
    seed: u64,
    quiet: bool,
) -> Result<GenStats, String> {
    let start = Instant::now();
    ensure_empty(dir)?;
    let mut g = Gen::new(records, seed)?;
    g.build();
    if !quiet {
        eprintln!("{}", g.summary());
        eprintln!(
            "planned {} records in {:.2} s",
            g.recs.len(),
            start.elapsed().as_secs_f64()
        );
    }
    let mut signed = None;
    let bytes = if commits == 0 {
        write_tree(dir, &g)?
    } else {
        run_git(dir, &["init", "-q", "-b", "main"])?;
        let mut keys = enrol_keys(dir, &mut g)?;
        // The last ten commits of edits come after the approvals, so that `HEAD~10..HEAD` (the
        // impact benchmark's range) is a change of records, as on a branch under work, and
        // edits some records approved just before, as such a change would.
        let tail = TAIL.min(commits / 2);
        let mut bytes = 0;
        fast_import(dir, |w| {
            fi_commit(
                w,
                EPOCH,
                &format!(
                    "Initial design and development file\n\nChange-Request: {}\n",
                    g.id(T::Cr, 0)
                ),
            )?;
            for (path, text) in g.other_files() {
                fi_file(w, &path, &text)?;
            }
            for r in &g.recs {
                let text = r.render();
                bytes += text.len();
                fi_file(w, &r.path, &text)?;
            }
            for c in 1..=commits - tail {
                history_commit(&mut g, c, EPOCH + 60 * c as u64, None, w)?;
                if !quiet && c % 1000 == 0 {
                    eprint!("\r{c} commits");
                }
            }
            if !quiet && commits >= 1000 {
                eprintln!();
            }
            Ok(())
        })?;
        let imported = start.elapsed();
        // fast-import deltifies each object only against the previous one of its path, in
        // import order, and its manual asks for `git repack -a -d -f` afterwards. Repacking
        // gives the pack a clone or `git gc` gives a real repository, so the benchmark reads
        // history as it is stored in practice (and `git log` is timed on the same pack).
        run_git(dir, &["repack", "-a", "-d", "-f", "-q"])?;
        let repacked = start.elapsed();
        run_git(dir, &["reset", "-q", "--hard"])?;
        let checked_out = start.elapsed();
        // About one signed approval per 50 commits: 200 for 10,000.
        let s = sign_approvals(dir, &mut g, &mut keys, (commits / 50).max(2), seed)?;
        // The tail, one minute apart after the last approval; a new fast-import starts a branch
        // afresh unless told where it stands.
        let after = approval_time(s.approvals + 1);
        fast_import(dir, |w| {
            for c in commits - tail + 1..=commits {
                let ts = after + 60 * (c + tail - commits) as u64;
                let from = (c == commits - tail + 1).then_some("refs/heads/main^0");
                history_commit(&mut g, c, ts, from, w)?;
            }
            Ok(())
        })?;
        run_git(dir, &["reset", "-q", "--hard"])?;
        if !quiet {
            eprintln!(
                "history written by git fast-import at {:.2} s, repacked at {:.2} s, working tree \
                 checked out at {:.2} s; {} signed approvals of {} records ({} SSH keys) in \
                 {:.2} s; the last {tail} commits and checkout at {:.2} s",
                imported.as_secs_f64(),
                repacked.as_secs_f64(),
                checked_out.as_secs_f64(),
                s.approvals,
                s.records,
                s.keys,
                s.elapsed.as_secs_f64(),
                start.elapsed().as_secs_f64()
            );
        }
        signed = Some(s);
        bytes
    };
    Ok(GenStats {
        records: g.recs.len(),
        bytes,
        elapsed: start.elapsed(),
        signed,
    })
}

// ------------------------------------------------------------------------------------------------
// Running `ddf check` and measuring it.

struct Run {
    wall: Duration,
    cpu: Duration,
    sys: Duration,
    maxrss_kib: u64,
    exit: i32,
    stdout: Vec<u8>,
    /// What ddf wrote on its standard error (its `-v` timings, when asked).
    stderr: String,
}

impl Run {
    /// The lines of ddf's `-v` timings (`ddf: ...`).
    fn timings(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("ddf: "))
            .collect()
    }

    /// The durations ddf printed on its `-v` line that contains `what`, in seconds, in order
    /// (`{:.0?}` of a `Duration`: `850µs`, `123ms`, `2s`).
    fn timing(&self, what: &str) -> Vec<f64> {
        let Some(line) = self.timings().into_iter().find(|l| l.contains(what)) else {
            return Vec::new();
        };
        line.split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
            .filter_map(|w| {
                let (num, scale) = [("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)]
                    .iter()
                    .find_map(|(u, k)| w.strip_suffix(u).map(|n| (n, *k)))?;
                num.parse::<f64>().ok().map(|n| n * scale)
            })
            .collect()
    }
}

fn tv(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// The line the runner writes last on its stderr: `MARK wall_ns user_ns sys_ns maxrss_kib exit`.
const MARK: &str = "@@ddf-bench-rusage";

/// Spawns `ddf -C DIR ARGS...` with inherited stdout and stderr, reaps it with `wait4`, and
/// returns its wall time (spawn to reaping) and resource usage.
fn spawn_measured(
    ddf: &Path,
    dir: &Path,
    args: &[String],
) -> Result<(Duration, libc::rusage, i32), String> {
    let start = Instant::now();
    let child = Command::new(ddf)
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("DDF_TODAY", TODAY)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", ddf.display()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data; all zeroes is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet reaped (std's `Child` is never waited on), and
    // both pointers are to live locals.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let wall = start.elapsed();
    if r != pid {
        return Err(format!("wait4 failed: {}", std::io::Error::last_os_error()));
    }
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Ok((wall, ru, exit))
}

/// `__run DDF DIR`: the runner. Linux counts in a child's `ru_maxrss` the peak RSS of the process
/// image it replaced at `exec` (for a child spawned by this program: this program, which holds a
/// whole generated corpus), so `ddf` is spawned by this small, freshly started process instead,
/// whose own peak is a few MB.
fn cmd_runner(args: &[String]) -> Result<(), String> {
    let [ddf, dir, rest @ ..] = args else {
        return Err("__run needs DDF and DIR".into());
    };
    let (wall, ru, exit) = spawn_measured(Path::new(ddf), Path::new(dir), rest)?;
    eprintln!(
        "\n{MARK} {} {} {} {} {exit}",
        wall.as_nanos(),
        tv(ru.ru_utime).as_nanos(),
        tv(ru.ru_stime).as_nanos(),
        ru.ru_maxrss
    );
    Ok(())
}

/// Runs `ddf -C DIR ARGS...` once through the runner: wall time from spawn to reaping, peak RSS
/// and CPU time of that child alone (`wait4`).
fn run_ddf(ddf: &Path, dir: &Path, args: &[&str]) -> Result<Run, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let mut child = Command::new(me)
        .arg("__run")
        .arg(ddf)
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the runner: {e}"))?;
    let mut err = child.stderr.take().ok_or("no stderr")?;
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .ok_or("no stdout")?
        .read_to_end(&mut stdout)
        .map_err(|e| format!("reading the output of ddf: {e}"))?;
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the runner: {e}"))?;
    let stderr = err_thread.join().unwrap_or_default();
    let (text, figures) = match stderr.rfind(MARK) {
        Some(at) => (&stderr[..at], &stderr[at + MARK.len()..]),
        None => return Err(format!("the runner failed ({status}):\n{stderr}")),
    };
    let f: Vec<i64> = figures
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let [wall, user, sys, maxrss, exit] = f[..] else {
        return Err(format!("unexpected runner output: {figures}"));
    };
    if exit != 0 && exit != 1 {
        return Err(format!(
            "ddf {} exited with {exit}:\n{text}",
            args.join(" ")
        ));
    }
    let ns = |n: i64| Duration::from_nanos(n.max(0) as u64);
    Ok(Run {
        wall: ns(wall),
        cpu: ns(user) + ns(sys),
        sys: ns(sys),
        maxrss_kib: maxrss.max(0) as u64,
        exit: exit as i32,
        stdout,
        stderr: text.trim_end().to_string(),
    })
}

/// What one `check` measurement found.
struct CheckFigures {
    label: String,
    records: u64,
    files: usize,
    gen: Option<GenStats>,
    runs: Vec<Run>,
    errors: u64,
    warnings: u64,
    rules: Vec<(String, usize)>,
    /// Whether the corpus is a Git repository (ddf then runs its history rules too).
    git: bool,
    /// On a Git repository, the run before the timed ones, which builds ddf's history cache
    /// (`.git/ddf`) unless it exists.
    first: Option<Run>,
}

impl CheckFigures {
    fn walls(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self.runs.iter().map(|r| r.wall.as_secs_f64()).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    fn median(&self) -> f64 {
        let v = self.walls();
        v[v.len() / 2]
    }

    /// The run whose wall time is the median.
    fn median_run(&self) -> Option<&Run> {
        let m = self.median();
        self.runs.iter().find(|r| r.wall.as_secs_f64() == m)
    }

    fn sys_median(&self) -> f64 {
        let mut v: Vec<f64> = self.runs.iter().map(|r| r.sys.as_secs_f64()).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    fn cpu_median(&self) -> f64 {
        let mut v: Vec<f64> = self.runs.iter().map(|r| r.cpu.as_secs_f64()).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    fn peak_mb(&self) -> f64 {
        self.runs.iter().map(|r| r.maxrss_kib).max().unwrap_or(0) as f64 * 1024.0 / 1e6
    }

    fn target(&self) -> Option<(f64, Option<f64>)> {
        if self.git {
            let (n, w) = GIT_TARGET;
            return (self.records as usize <= n + n / 20).then_some((w, None));
        }
        TARGETS
            .iter()
            // A corpus that grew by a few records through its history keeps its size's target.
            .find(|(n, _, _)| self.records as usize <= n + n / 20)
            .map(|&(_, w, m)| (w, m))
    }

    fn verdict(&self) -> String {
        let med = self.median();
        let mb = self.peak_mb();
        let mut s = format!("check {} records: median {med:.2} s", self.records);
        let mut ok = true;
        if let Some((w, m)) = self.target() {
            let _ = write!(s, " (target < {w} s)");
            ok &= med < w;
            let _ = write!(s, " peak RSS {mb:.0} MB");
            if let Some(m) = m {
                let _ = write!(s, " (target < {m} MB)");
                ok &= mb < m;
            }
            s.push_str(if ok { "  PASS" } else { "  MISS" });
        } else {
            let _ = write!(s, " peak RSS {mb:.0} MB (no target at this size)");
        }
        s
    }

    fn print(&self) {
        let w = self.walls();
        println!("{}", self.label);
        if let Some(g) = &self.gen {
            println!(
                "  generated   {} records, {:.1} MB of Markdown, in {:.2} s",
                g.records,
                g.bytes as f64 / 1e6,
                g.elapsed.as_secs_f64()
            );
        }
        println!(
            "  corpus      {} records read by ddf, {} *.md files",
            self.records, self.files
        );
        println!(
            "  wall        min {:.3} s  median {:.3} s  max {:.3} s  ({} runs: {})",
            w[0],
            self.median(),
            w[w.len() - 1],
            w.len(),
            w.iter()
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!(
            "  cpu         median {:.3} s user+sys, of which {:.3} s sys ({:.2} cores busy on average)",
            self.cpu_median(),
            self.sys_median(),
            self.cpu_median() / self.median()
        );
        if let Some(s) = self.gen.as_ref().and_then(|g| g.signed.as_ref()) {
            println!(
                "  signed      {} signed approval commits of {} records, {} SSH keys (one per \
                 person and a rotated one), made in {:.2} s",
                s.approvals,
                s.records,
                s.keys,
                s.elapsed.as_secs_f64()
            );
        }
        if let Some(first) = &self.first {
            println!(
                "  git         a Git repository: the history rules run too, with signers resolved \
                 as of history; the first run, not counted above, builds ddf's history cache \
                 (.git/ddf) unless it exists: {:.3} s, {:.1} MB",
                first.wall.as_secs_f64(),
                first.maxrss_kib as f64 * 1024.0 / 1e6
            );
            let spread = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                match (v.first(), v.last()) {
                    (Some(a), Some(b)) => format!(
                        "{:.0} / {:.0} / {:.0} ms",
                        a * 1e3,
                        v[v.len() / 2] * 1e3,
                        b * 1e3
                    ),
                    _ => "not printed".into(),
                }
            };
            // `ddf: history of N commits (...) in X; M approvals judged in Y ...`
            let mut hist: Vec<f64> = Vec::new();
            let mut appr: Vec<f64> = Vec::new();
            for r in &self.runs {
                if let [h, a, ..] = r.timing("approvals judged")[..] {
                    hist.push(h);
                    appr.push(a);
                }
            }
            println!(
                "  history     loaded in {} (min / median / max, in parallel with the records); \
                 approvals judged (signatures verified by Git, signers resolved as of history) \
                 in {}",
                spread(&mut hist),
                spread(&mut appr)
            );
            if let Some(median) = self.median_run() {
                println!("  -v          of the median run:");
                for l in median.timings() {
                    println!("                {l}");
                }
            }
        }
        println!(
            "  peak RSS    {:.1} MB (max over runs, ru_maxrss of the child)",
            self.peak_mb()
        );
        let top: Vec<String> = self
            .rules
            .iter()
            .take(8)
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        println!(
            "  findings    {} errors, {} warnings (exit {}); by rule: {}",
            self.errors,
            self.warnings,
            self.runs[0].exit,
            if top.is_empty() {
                "none".into()
            } else {
                top.join(", ")
            }
        );
        println!("  {}", self.verdict());
    }
}

fn count_md(dir: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => count_md(&p),
                Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == "md") => 1,
                _ => 0,
            }
        })
        .sum()
}

/// The 1-minute load average, from `/proc/loadavg` (Linux).
fn load_average() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Prints the load average before a series of runs, with a warning when the machine is busy.
fn print_load() {
    if let Some(l) = load_average() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        eprintln!("load average before the runs: {l:.2} on {cores} cores");
        if l > 0.5 {
            eprintln!("warning: the machine is busy; wall times will be inflated");
        }
    }
}

fn measure(
    ddf: &Path,
    dir: &Path,
    runs: usize,
    label: String,
    gen: Option<GenStats>,
) -> Result<CheckFigures, String> {
    let mut all = Vec::with_capacity(runs);
    let git = dir.join(".git").exists();
    // On a Git repository, `-v` prints how long the history and the approvals took.
    let args: &[&str] = if git {
        &["check", "-v", "--format", "json"]
    } else {
        &["check", "--format", "json"]
    };
    print_load();
    let first = if git {
        let r = run_ddf(ddf, dir, args)?;
        eprintln!(
            "  first run (builds the history cache unless it exists): {:.3} s, {:.1} MB",
            r.wall.as_secs_f64(),
            r.maxrss_kib as f64 * 1024.0 / 1e6
        );
        Some(r)
    } else {
        None
    };
    for i in 0..runs.max(1) {
        let r = run_ddf(ddf, dir, args)?;
        eprintln!(
            "  run {}: {:.3} s, {:.1} MB",
            i + 1,
            r.wall.as_secs_f64(),
            r.maxrss_kib as f64 * 1024.0 / 1e6
        );
        all.push(r);
    }
    let v: serde_json::Value = serde_json::from_slice(&all[0].stdout)
        .map_err(|e| format!("ddf check did not print JSON: {e}"))?;
    let num = |k: &str| v.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
    let mut rules: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    if let Some(ds) = v.get("diagnostics").and_then(serde_json::Value::as_array) {
        for d in ds {
            let rule = d
                .get("rule")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("?");
            *rules.entry(rule.to_string()).or_default() += 1;
        }
    }
    let mut rules: Vec<(String, usize)> = rules.into_iter().collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(CheckFigures {
        label,
        records: num("records"),
        files: count_md(&dir.join("records")),
        git,
        first,
        gen,
        runs: all,
        errors: num("errors"),
        warnings: num("warnings"),
        rules,
    })
}

// ------------------------------------------------------------------------------------------------
// Command line.

const USAGE: &str = "\
usage: cargo bench --bench ddf_bench -- COMMAND

  gen --records N [--commits K] [--seed S] DIR
        write a deterministic corpus of N records to DIR (empty or new); with K > 0, as a Git
        repository with an initial commit, K commits of edits (git fast-import) and K/50
        signed approvals (SSH keys made by ssh-keygen, kept in DIR/.git/bench-keys)
  check [--records N] [--commits K] [--runs R] [--seed S] [--ddf PATH] [DIR]
        time `ddf -C DIR check --format json` R times (default 5); without DIR, first generate
        N records (default 20000) into a temporary folder, with K > 0 as a Git repository
  all [--runs R] [--commits K] [--ddf PATH]
        check at 20,000 and 100,000 records, time the generation of 20,000 records with K
        commits (default 10000; 0 skips it), and print a summary table

  history [--records N] [--commits K] [--runs R] [--ddf PATH] [DIR]
        time the history index on a Git repository (default: generate 20,000 records with
        10,000 commits): git log --name-only for reference, ddf log without its history
        cache, with nothing cached (signature verdicts neither), with its cache, and one
        record's history

  impact [--records N] [--commits K] [--runs R] [--ddf PATH] [DIR]
        time `ddf impact HEAD~10..HEAD` on a Git repository (default: generate 20,000
        records with 10,000 commits), alternating with `ddf check` of the head for scale

  site [--records N] [--commits K] [--runs R] [--ddf PATH] [DIR]
        time `ddf build` of the docs-example site, then of DIR (default: generate 20,000
        records with 10,000 commits) once its history index exists; checks that two builds
        are byte-identical and prints the site's size

  site-scale [--records N] [--runs R] [--ddf PATH]
        time `ddf build` of generated DDFs without history (5,000, 20,000 and 100,000
        records, or N) on disk: the first build into a new folder, then R rebuilds into the
        same folder as `ddf build` is used day to day; prints time, CPU, peak memory, files
        and bytes written, and checks that the builds are byte-identical

  hostile [--runs R] [--ddf PATH]
        time `ddf check` on hostile input, one small DDF each: a record naming 80,000
        missing ids, one with 60,000 unknown keys, a 121 KB YAML alias bomb

  lsp [--records N] [--runs R] [--ddf PATH] [DIR]
        drive `ddf lsp` as an editor does (JSON-RPC over pipes) on DIR (default: generate
        20,000 records): time to the first diagnostics after `initialize`, then 10 x R edits
        of one record, each timed until the server publishes that file's new findings; peak
        memory of the server
  junit [--records N] [--runs R] [--ddf PATH]
        time `ddf verify import` of a generated JUnit report of N test cases (default
        10000; target under 1 s) into a Git repository of 500 VERs, named by `tests:`
        lists, `ddf` properties and `[VER-nnn]` tags; R dry runs, then one that writes

  import [--records N] [--runs R] [--ddf PATH]
        time `ddf import doorstop` of a generated Doorstop tree of N items (default 20000:
        4,000 system requirements, 16,000 software requirements linked to them) and `ddf
        import reqif` of a generated N-object ReqIF (XHTML text, one relation per
        requirement), each into an empty DDF; R dry runs, then R imports that write
        (target under 5 s each)
  submission [--records N] [--commits K] [--runs R] [--ddf PATH] [DIR]
        time `ddf export submission` of the first release of DIR (default: generate 20,000
        records with 10,000 commits; target under 30 s) once its history index exists;
        checks that two packages are byte-identical

  --ddf PATH   use this ddf binary instead of building target/release/ddf

Plain `cargo bench` runs `check` with its defaults.
";

#[derive(Default)]
struct Opts {
    records: Option<usize>,
    commits: usize,
    seed: u64,
    runs: usize,
    ddf: Option<PathBuf>,
    dir: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        seed: 1,
        runs: 5,
        commits: usize::MAX,
        ..Opts::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        let num = |s: String, name: &str| {
            s.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("{name}: `{s}` is not a number"))
        };
        match a.as_str() {
            "--records" | "-n" => o.records = Some(num(val(a)?, a)? as usize),
            "--commits" => o.commits = num(val(a)?, a)? as usize,
            "--seed" => o.seed = num(val(a)?, a)?,
            "--runs" => o.runs = (num(val(a)?, a)? as usize).max(1),
            "--ddf" => o.ddf = Some(PathBuf::from(val(a)?)),
            "--bench" => {} // passed by `cargo bench`
            s if s.starts_with('-') => return Err(format!("unknown option `{s}`")),
            s if o.dir.is_none() => o.dir = Some(PathBuf::from(s)),
            s => return Err(format!("unexpected argument `{s}`")),
        }
    }
    Ok(o)
}

/// The `ddf` binary being timed: a private copy, so that a rebuild of `target/release/ddf` while
/// the benchmark runs (by another cargo command) cannot change the binary between runs.
struct Binary {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn ddf_binary(o: &Opts) -> Result<Binary, String> {
    let src = match &o.ddf {
        Some(p) => p.clone(),
        None => build_ddf()?,
    };
    let dir = tempdir()?;
    let path = dir
        .path()
        .join(src.file_name().unwrap_or(std::ffi::OsStr::new("ddf")));
    std::fs::copy(&src, &path).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
    let built = std::fs::metadata(&src)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| {
            let secs = d.as_secs() as i64;
            let (y, m, day) = civil_from_days(secs.div_euclid(86_400));
            let hms = secs.rem_euclid(86_400);
            format!(
                "{y:04}-{m:02}-{day:02} {:02}:{:02} UTC",
                hms / 3600,
                hms / 60 % 60
            )
        })
        .unwrap_or_default();
    eprintln!("timing a copy of {} (built {built})", src.display());
    Ok(Binary { _dir: dir, path })
}

fn tempdir() -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("ddf-bench-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))
}

fn cmd_gen(o: &Opts) -> Result<(), String> {
    let dir = o.dir.as_ref().ok_or("gen needs a DIR")?;
    let records = o.records.ok_or("gen needs --records N")?;
    let commits = if o.commits == usize::MAX {
        0
    } else {
        o.commits
    };
    let s = generate(dir, records, commits, o.seed, false)?;
    println!(
        "generated {} records ({:.1} MB of Markdown){} into {} in {:.2} s",
        s.records,
        s.bytes as f64 / 1e6,
        match &s.signed {
            Some(a) => format!(
                " with {commits} commits of edits and {} signed approvals of {} records",
                a.approvals, a.records
            ),
            None => String::new(),
        },
        dir.display(),
        s.elapsed.as_secs_f64()
    );
    Ok(())
}

fn check_generated(
    ddf: &Path,
    records: usize,
    commits: usize,
    runs: usize,
    seed: u64,
) -> Result<CheckFigures, String> {
    let tmp = tempdir()?;
    let dir = tmp.path().join("ddf");
    eprintln!(
        "generating {records} records{} into {} ...",
        if commits > 0 {
            format!(" with {commits} commits")
        } else {
            String::new()
        },
        dir.display()
    );
    let g = generate(&dir, records, commits, seed, false)?;
    eprintln!(
        "generated {} records in {:.2} s; running ddf check {runs} times",
        g.records,
        g.elapsed.as_secs_f64()
    );
    let label = match &g.signed {
        Some(s) => format!(
            "ddf check, {records} generated records after {commits} commits and {} signed \
             approvals (Git working tree, seed {seed})",
            s.approvals
        ),
        None => format!("ddf check, {records} generated records (seed {seed})"),
    };
    measure(ddf, &dir, runs, label, Some(g))
}

fn cmd_check(o: &Opts) -> Result<(), String> {
    if o.dir.is_some() && (o.records.is_some() || o.commits != usize::MAX) {
        return Err(
            "give either --records N / --commits K (generate a corpus) or DIR (use it), not both"
                .into(),
        );
    }
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    let f = match &o.dir {
        Some(dir) => measure(
            ddf,
            dir,
            o.runs,
            format!("ddf check, {}", dir.display()),
            None,
        )?,
        None => check_generated(
            ddf,
            o.records.unwrap_or(20_000),
            if o.commits == usize::MAX {
                0
            } else {
                o.commits
            },
            o.runs,
            o.seed,
        )?,
    };
    f.print();
    Ok(())
}

/// min / median / max of wall times, and the peak RSS over the runs.
fn summary(runs: &[Run]) -> String {
    let mut w: Vec<f64> = runs.iter().map(|r| r.wall.as_secs_f64()).collect();
    w.sort_by(f64::total_cmp);
    let rss = runs.iter().map(|r| r.maxrss_kib).max().unwrap_or(0) as f64 * 1024.0 / 1e6;
    format!(
        "{:.2} / {:.2} / {:.2} s, peak {rss:.0} MB",
        w[0],
        w[w.len() / 2],
        w[w.len() - 1]
    )
}

/// The Git repository a history or site benchmark runs on: DIR when given, else N records with
/// K commits (default 20,000 and 10,000) generated into a temporary folder (returned with it, so
/// it lives as long as the caller holds it).
fn repository(o: &Opts) -> Result<(PathBuf, Option<tempfile::TempDir>), String> {
    if let Some(d) = &o.dir {
        return Ok((d.clone(), None));
    }
    let tmp = tempdir()?;
    let dir = tmp.path().join("ddf");
    let n = o.records.unwrap_or(20_000);
    let k = if o.commits == usize::MAX {
        10_000
    } else {
        o.commits
    };
    eprintln!(
        "generating {n} records with {k} commits into {} ...",
        dir.display()
    );
    generate(&dir, n, k, o.seed, false)?;
    Ok((dir, Some(tmp)))
}

/// `history`: the history index on a repository of N records and K commits (default 20,000 and
/// 10,000): `git log --name-only` for reference, then `ddf log` with no cache (the first run), with
/// the cache (warm), and one record's history (warm).
fn cmd_history(o: &Opts) -> Result<(), String> {
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    let (dir, _tmp) = repository(o)?;
    let cache = dir.join(".git").join("ddf");
    // The history index's cache, not the signature verdicts kept beside it: the walk is what
    // `git log` is the reference for.
    let drop_history_cache = || {
        if let Ok(rd) = std::fs::read_dir(&cache) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().starts_with("history-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    };
    print_load();
    // `git log` and ddf's first run alternate, so a change in the machine's load during the
    // series weighs on both alike.
    let mut git_runs = Vec::new();
    let mut cold = Vec::new();
    // A first run with nothing cached, signatures included (the approvals of `ddf log`).
    let mut bare = Vec::new();
    for _ in 0..o.runs.max(1) {
        let _ = std::fs::remove_dir_all(&cache);
        bare.push(run_ddf(ddf, &dir, &["log", "--format", "json"])?);
        let start = Instant::now();
        let out = Command::new("git")
            .args(["log", "--name-only", "--format=%H"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.success() {
            return Err("git log failed".into());
        }
        git_runs.push(start.elapsed().as_secs_f64());
        drop_history_cache();
        cold.push(run_ddf(ddf, &dir, &["log", "--format", "json"])?);
    }
    git_runs.sort_by(f64::total_cmp);
    let warm: Vec<Run> = (0..o.runs.max(1))
        .map(|_| run_ddf(ddf, &dir, &["log", "--format", "json"]))
        .collect::<Result<_, _>>()?;
    let id = std::fs::read_dir(dir.join("records").join("design-input"))
        .map_err(|e| format!("no design inputs: {e}"))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".md"))
                .map(String::from)
        })
        .min()
        .ok_or("no design input")?;
    let one: Vec<Run> = (0..o.runs.max(1))
        .map(|_| run_ddf(ddf, &dir, &["log", &id, "--format", "json"]))
        .collect::<Result<_, _>>()?;
    println!("history of {}", dir.display());
    println!(
        "  git log --name-only (reference)  {:.2} / {:.2} / {:.2} s",
        git_runs[0],
        git_runs[git_runs.len() / 2],
        git_runs[git_runs.len() - 1]
    );
    let git_median = git_runs[git_runs.len() / 2];
    let cold_median = {
        let mut w: Vec<f64> = cold.iter().map(|r| r.wall.as_secs_f64()).collect();
        w.sort_by(f64::total_cmp);
        w[w.len() / 2]
    };
    println!(
        "  ddf log, no cache (first run)    {}  ({:.2}x git log: {})",
        summary(&cold),
        cold_median / git_median,
        if cold_median <= git_median {
            "no slower, met"
        } else {
            "slower, MISSED"
        }
    );
    println!(
        "  ddf log, not even the signature verdicts cached (the history walk, and Git verifying \
         every approval's signature)\n                                   {}",
        summary(&bare)
    );
    println!("  ddf log, cached (target < 2 s)   {}", summary(&warm));
    println!("  ddf log {id} (target < 0.5 s) {}", summary(&one));
    Ok(())
}

/// `impact`: `ddf impact HEAD~10..HEAD`, the impact assessment of a 10-commit change, on a
/// repository of N records and K commits (default 20,000 and 10,000), alternating with
/// `ddf check` of the head for scale (target: under 1 s, about one check).
fn cmd_impact(o: &Opts) -> Result<(), String> {
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    let (dir, _tmp) = repository(o)?;
    let range = "HEAD~10..HEAD";
    // `ddf check` reads the history cache; build it before the series, as a user's first
    // command would have.
    run_ddf(ddf, &dir, &["log", "--format", "json"])?;
    let mut impact = Vec::new();
    let mut check = Vec::new();
    print_load();
    for _ in 0..o.runs.max(1) {
        impact.push(run_ddf(
            ddf,
            &dir,
            &["impact", range, "-v", "--format", "json"],
        )?);
        check.push(run_ddf(ddf, &dir, &["check", "-v", "--format", "json"])?);
    }
    let report: serde_json::Value = impact
        .last()
        .map(|r| serde_json::from_slice(&r.stdout))
        .transpose()
        .map_err(|e| format!("ddf impact did not print JSON: {e}"))?
        .unwrap_or_default();
    let count = |key: &str| report[key].as_array().map_or(0, Vec::len);
    let median = |runs: &[Run]| {
        let mut w: Vec<f64> = runs.iter().map(|r| r.wall.as_secs_f64()).collect();
        w.sort_by(f64::total_cmp);
        w[w.len() / 2]
    };
    let cpu = |runs: &[Run]| {
        let mut c: Vec<f64> = runs.iter().map(|r| r.cpu.as_secs_f64()).collect();
        c.sort_by(f64::total_cmp);
        c[c.len() / 2]
    };
    let timings = |runs: &[Run]| {
        let m = median(runs);
        runs.iter()
            .find(|r| r.wall.as_secs_f64() == m)
            .map(|r| r.timings().join("\n                "))
            .unwrap_or_default()
    };
    let m = median(&impact);
    println!("impact of {range} on {}", dir.display());
    println!(
        "  change      {} records changed ({} files), {} impacted, {} verifications to re-run",
        count("changed"),
        count("changed_files"),
        count("impacted"),
        count("stale_verifications")
    );
    let c = median(&check);
    println!(
        "  ddf impact  {}, CPU {:.2} s  (target < 1 s and no more than one check: {}; {:.2}x \
         ddf check)",
        summary(&impact),
        cpu(&impact),
        if m < 1.0 && m <= c { "met" } else { "MISSED" },
        m / c
    );
    println!(
        "  ddf check   {}, CPU {:.2} s  (the head, for scale)",
        summary(&check),
        cpu(&check)
    );
    println!(
        "  -v of the median impact run:\n                {}",
        timings(&impact)
    );
    println!(
        "  -v of the median check run:\n                {}",
        timings(&check)
    );
    Ok(())
}

/// Every file under `dir` with its content hash (FNV-1a, enough to tell two builds apart), and
/// the total size.
fn tree_digest(dir: &Path) -> Result<(Vec<(PathBuf, u64)>, u64), String> {
    let mut out = Vec::new();
    let mut bytes = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let data = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                bytes += data.len() as u64;
                let h = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                });
                out.push((p.strip_prefix(dir).unwrap_or(&p).to_path_buf(), h));
            }
        }
    }
    out.sort();
    Ok((out, bytes))
}

/// Times `ddf build` of the DDF in `dir` `runs` times into a fresh folder each time and checks
/// the builds are byte-identical.
fn time_site(
    ddf: &Path,
    dir: &Path,
    runs: usize,
    label: &str,
    target_s: f64,
) -> Result<(), String> {
    let tmp = tempdir()?;
    let mut results = Vec::new();
    let mut first: Option<Vec<(PathBuf, u64)>> = None;
    let mut size = (0usize, 0u64);
    for k in 0..runs.max(2) {
        let out = tmp.path().join(format!("site-{k}"));
        let out_s = out.to_string_lossy().into_owned();
        results.push(run_ddf(ddf, dir, &["build", "-o", &out_s])?);
        let (digest, bytes) = tree_digest(&out)?;
        size = (digest.len(), bytes);
        match &first {
            None => first = Some(digest),
            Some(f) if *f != digest => {
                return Err(format!(
                    "{label}: two builds differ ({} and {out_s})",
                    tmp.path().join("site-0").display()
                ));
            }
            Some(_) => {}
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    let mut cpu: Vec<f64> = results.iter().map(|r| r.cpu.as_secs_f64()).collect();
    cpu.sort_by(f64::total_cmp);
    let med = {
        let mut w: Vec<f64> = results.iter().map(|r| r.wall.as_secs_f64()).collect();
        w.sort_by(f64::total_cmp);
        w[w.len() / 2]
    };
    println!("{label}");
    println!(
        "  ddf build       {}  (target < {target_s} s: {})",
        summary(&results),
        if med < target_s { "met" } else { "MISSED" }
    );
    println!(
        "  cpu             median {:.2} s user+sys",
        cpu[cpu.len() / 2]
    );
    println!(
        "  site            {} files, {:.1} MB; {} builds byte-identical",
        size.0,
        size.1 as f64 / 1e6,
        results.len()
    );
    Ok(())
}

/// One case of `hostile`: a small DDF whose one odd file is named and written by `write`.
struct HostileCase {
    name: &'static str,
    write: fn(&Path) -> std::io::Result<()>,
}

/// The person every hostile record names as owner.
const HOSTILE_PER: &str = "---\nid: PER-001\ntype: person\ntitle: Ada\nstatus: approved\nowner: PER-001\nprinted_name: Ada Lovelace\nroles: [engineer]\nmay_sign: [approval]\nkeys: []\nidentity_verified: 2026-01-01\n---\n";

/// The front-matter of a design input, without its closing fence, with `extra` lines.
fn hostile_di(id: &str, extra: &str) -> String {
    format!("---\nid: {id}\ntype: design-input\ntitle: Odd input\nstatus: draft\nowner: PER-001\ncategory: functional\nacceptance_criteria: x\n{extra}---\nbody\n")
}

/// The files of hostile input `ddf check` must get through in linear time and memory: a record
/// naming 80,000 missing ids, one with 60,000 unknown keys, and a 121 KB alias bomb (refused).
const HOSTILE: &[HostileCase] = &[
    HostileCase {
        name: "a record naming 80,000 missing ids",
        write: |dir| {
            let mut links = String::from("traces_to:\n");
            for i in 1..=80_000 {
                let _ = writeln!(links, "  - UN-{i:05}");
            }
            std::fs::write(dir.join("records/DI-001.md"), hostile_di("DI-001", &links))
        },
    },
    HostileCase {
        name: "a record with 60,000 unknown keys",
        write: |dir| {
            let mut keys = String::from("traces_to: []\n");
            for i in 0..60_000 {
                let _ = writeln!(keys, "k{i}: v");
            }
            std::fs::write(dir.join("records/DI-001.md"), hostile_di("DI-001", &keys))
        },
    },
    HostileCase {
        name: "a 121 KB alias bomb (lists of aliases, 3 levels)",
        write: |dir| {
            let bomb = format!(
                "xs: &a [{}]\nas: &b [{}]\nbs: [{}]\n",
                vec!["lol"; 1000].join(","),
                vec!["*a"; 1000].join(","),
                vec!["*b"; 38_000].join(",")
            );
            std::fs::write(dir.join("records/DI-001.md"), hostile_di("DI-001", &bomb))
        },
    },
];

/// `hostile`: times `ddf check` on each [`HOSTILE`] case (one small DDF each) and prints the
/// figures with the number of findings, so a regression to quadratic time or to an unbounded
/// alias expansion shows as seconds and gigabytes.
fn cmd_hostile(o: &Opts) -> Result<(), String> {
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    println!(
        "| hostile input | file | check wall min / median / max, peak RSS | CPU median | findings |"
    );
    println!("|---|---:|---|---:|---|");
    for case in HOSTILE {
        let tmp = tempdir()?;
        let dir = tmp.path();
        let setup = std::fs::create_dir_all(dir.join("records"))
            .and_then(|()| std::fs::write(dir.join("ddf.yaml"), "project: Bench\n"))
            .and_then(|()| std::fs::write(dir.join("records/PER-001.md"), HOSTILE_PER))
            .and_then(|()| (case.write)(dir));
        setup.map_err(|e| format!("cannot write the `{}` case: {e}", case.name))?;
        let size = std::fs::metadata(dir.join("records/DI-001.md")).map_or(0, |m| m.len());
        print_load();
        let mut runs = Vec::new();
        for _ in 0..o.runs.max(1) {
            runs.push(run_ddf(ddf, dir, &["check", "--format", "json"])?);
        }
        let v: serde_json::Value = serde_json::from_slice(&runs[0].stdout)
            .map_err(|e| format!("ddf check did not print JSON: {e}"))?;
        let mut rules: std::collections::BTreeMap<String, usize> = Default::default();
        for d in v["diagnostics"].as_array().into_iter().flatten() {
            *rules
                .entry(d["rule"].as_str().unwrap_or("?").to_string())
                .or_default() += 1;
        }
        let findings: Vec<String> = rules.iter().map(|(r, n)| format!("{r} {n}")).collect();
        let mut cpu: Vec<f64> = runs.iter().map(|r| r.cpu.as_secs_f64()).collect();
        cpu.sort_by(f64::total_cmp);
        println!(
            "| {} | {:.0} KB | {} | {:.2} s | {} |",
            case.name,
            size as f64 / 1024.0,
            summary(&runs),
            cpu[cpu.len() / 2],
            findings.join(", ")
        );
    }
    Ok(())
}

/// VERs of the `junit` benchmark's repository.
const JUNIT_VERS: usize = 500;

/// The VER test case `i` of the `junit` benchmark serves: each of the 500 in turn, ten test
/// cases at a time, so every VER gets test cases named each of the three ways.
fn junit_ver(i: usize) -> usize {
    (i / 10) % JUNIT_VERS + 1
}

/// A JUnit report of `tests` test cases in suites of 50, as cargo-nextest writes one: a tenth
/// name a VER by a `ddf` property, a tenth by a `[VER-nnn]` tag, a tenth are listed in a VER's
/// `tests:`; one in 97 fails, one in 89 is skipped; each failure carries a stack trace.
fn junit_report(tests: usize) -> String {
    let mut x = String::with_capacity(tests * 200);
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"nextest-run\" tests=\"{tests}\" timestamp=\"2026-06-30T12:00:00.000+00:00\">"
    );
    for i in 0..tests {
        if i % 50 == 0 {
            if i > 0 {
                x.push_str("  </testsuite>\n");
            }
            let _ = writeln!(
                x,
                "  <testsuite name=\"pump::suite{}\" tests=\"50\">",
                i / 50
            );
        }
        let ver = junit_ver(i);
        let name = if i % 10 == 1 {
            format!("case_{i} [VER-{ver:03}]")
        } else {
            format!("case_{i}")
        };
        let _ = write!(
            x,
            "    <testcase classname=\"pump::suite{}\" name=\"{name}\" time=\"0.001\">",
            i / 50
        );
        if i % 10 == 0 {
            let _ = write!(
                x,
                "<properties><property name=\"ddf\" value=\"VER-{ver:03}\"/></properties>"
            );
        }
        if i % 97 == 0 {
            x.push_str("<failure type=\"test failure\">thread panicked at src/lib.rs:1:1:\nassertion failed\n   0: rust_begin_unwind\n   1: core::panicking::panic_fmt\n</failure>");
        } else if i % 89 == 0 {
            x.push_str("<skipped/>");
        }
        x.push_str("</testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// `junit`: `ddf verify import` of a 10,000-test report (target < 1 s).
fn cmd_junit(o: &Opts) -> Result<(), String> {
    let tests = o.records.unwrap_or(10_000);
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    let tmp = tempdir()?;
    let dir = tmp.path();
    let io = |e: std::io::Error| format!("cannot write the benchmark repository: {e}");
    std::fs::create_dir_all(dir.join("records")).map_err(io)?;
    std::fs::write(dir.join("ddf.yaml"), "project: Bench\n").map_err(io)?;
    for v in 1..=JUNIT_VERS {
        // A tenth of the tests are listed by id: those with i % 10 == 2 whose VER is v.
        let listed: Vec<String> = (0..tests)
            .filter(|i| i % 10 == 2 && junit_ver(*i) == v)
            .map(|i| format!("\"pump::suite{}.case_{i}\"", i / 50))
            .collect();
        std::fs::write(
            dir.join(format!("records/VER-{v:03}.md")),
            format!("---\nid: VER-{v:03}\ntype: verification\ntitle: Verification {v}\nstatus: draft\nowner: PER-001\nmethod: test\nacceptance_criteria: The tests pass.\nresult: not-run\nexecuted_on: 2026-01-01\nbaseline: none\nevidence: none\ntests: [{}]\n---\nRuns the pump tests.\n", listed.join(", ")),
        )
        .map_err(io)?;
    }
    let report = junit_report(tests);
    std::fs::write(dir.join("junit.xml"), &report).map_err(io)?;
    run_git(dir, &["init", "-q", "-b", "main"])?;
    run_git(dir, &["add", "-A"])?;
    run_git(dir, &["commit", "-q", "-m", "VERs"])?;
    println!(
        "ddf verify import: {tests} test cases ({:.1} MB of JUnit XML) into {JUNIT_VERS} VERs",
        report.len() as f64 / 1e6
    );
    print_load();
    // The runner gives ddf `-C DIR` from another folder: name the report by its full path.
    let file = dir.join("junit.xml").to_string_lossy().into_owned();
    let args = [
        "verify",
        "import",
        file.as_str(),
        "--baseline",
        "HEAD",
        "--format",
        "json",
    ];
    let mut runs = Vec::new();
    for _ in 0..o.runs.max(1) {
        let mut a = args.to_vec();
        a.push("--dry-run");
        runs.push(run_ddf(ddf, dir, &a)?);
    }
    let v: serde_json::Value = serde_json::from_slice(&runs[0].stdout)
        .map_err(|e| format!("ddf verify import did not print JSON: {e}"))?;
    let updated = v["updated"].as_array().map_or(0, Vec::len);
    if updated != JUNIT_VERS {
        return Err(format!("{updated} VERs would be updated, not {JUNIT_VERS}"));
    }
    let mut cpu: Vec<f64> = runs.iter().map(|r| r.cpu.as_secs_f64()).collect();
    cpu.sort_by(f64::total_cmp);
    println!(
        "dry run (parse, match, plan): {}, CPU median {:.2} s",
        summary(&runs),
        cpu[cpu.len() / 2]
    );
    let write = run_ddf(ddf, dir, &args)?;
    println!(
        "import that writes {JUNIT_VERS} VERs: {:.2} s",
        write.wall.as_secs_f64()
    );
    let mut w: Vec<f64> = runs.iter().map(|r| r.wall.as_secs_f64()).collect();
    w.sort_by(f64::total_cmp);
    let worst = w[w.len() / 2].max(write.wall.as_secs_f64());
    println!(
        "target: under 1 s (the dry run's median and the import that writes): {}",
        if worst < 1.0 { "met" } else { "NOT met" }
    );
    Ok(())
}

/// `site`: `ddf build` of docs-example (target < 1 s) and of a 20,000-record, 10,000-commit
/// repository with its history index built (target < 10 s, < 1 GB).
fn cmd_site(o: &Opts) -> Result<(), String> {
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    print_load();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs-example");
    time_site(ddf, &example, o.runs, "docs-example", 1.0)?;
    let (dir, _tmp) = repository(o)?;
    // The target is for a repository whose history index exists: build it first.
    let warm = run_ddf(ddf, &dir, &["log", "--format", "json"])?;
    println!("history index built in {:.2} s", warm.wall.as_secs_f64());
    print_load();
    time_site(
        ddf,
        &dir,
        o.runs.min(3),
        &format!("{}", dir.display()),
        10.0,
    )
}

/// `site-scale`: `ddf build` of generated DDFs of 5,000, 20,000 and 100,000 records (or
/// `--records N`) without history, on disk (the target folder's scratch space, not `/tmp`,
/// which may be memory): the first build into a new folder, then rebuilds into the same folder.
/// Targets (issue 13): under 0.5, 2 and 15 s, and 1 GB of memory at 100,000.
fn cmd_site_scale(o: &Opts) -> Result<(), String> {
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    let sizes: Vec<usize> = match o.records {
        Some(n) => vec![n],
        None => vec![5_000, 20_000, 100_000],
    };
    // In the target folder's scratch space, which is on the disk the project is on.
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    for n in sizes {
        let tmp = tempfile::Builder::new()
            .prefix("ddf-site-scale-")
            .tempdir_in(&base)
            .map_err(|e| format!("{}: {e}", base.display()))?;
        let dir = tmp.path().join("ddf");
        eprintln!("generating {n} records into {} ...", dir.display());
        generate(&dir, n, 0, o.seed, false)?;
        let target = match n {
            0..=5_000 => 0.5,
            5_001..=20_000 => 2.0,
            _ => 15.0,
        };
        print_load();
        let out = tmp.path().join("site");
        let out_s = out.to_string_lossy().into_owned();
        let build = || -> Result<Run, String> {
            let run = run_ddf(ddf, &dir, &["build", "-o", &out_s])?;
            if run.exit != 0 {
                return Err(format!(
                    "ddf build exited with {}: {}",
                    run.exit, run.stderr
                ));
            }
            Ok(run)
        };
        // One build, and whether it meets the target.
        let against = |run: &Run| {
            let met = run.wall.as_secs_f64() < target;
            let verdict = if met { "met" } else { "MISSED" };
            format!("{}  (target < {target} s: {verdict})", one_run(run))
        };
        let mut runs = Vec::new();
        let mut first: Option<Vec<(PathBuf, u64)>> = None;
        let mut size = (0usize, 0u64);
        for k in 0..=o.runs.clamp(1, 5) {
            let run = build()?;
            if k == 0 {
                println!("{n} records, first build into a new folder");
                println!("  ddf build       {}", against(&run));
            } else {
                runs.push(run);
            }
            let (digest, bytes) = tree_digest(&out)?;
            size = (digest.len(), bytes);
            match &first {
                None => first = Some(digest),
                Some(f) if *f != digest => return Err(format!("{n} records: two builds differ")),
                Some(_) => {}
            }
        }
        let med = |f: fn(&Run) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let wall = med(|r| r.wall.as_secs_f64());
        let rss = runs.iter().map(|r| r.maxrss_kib).max().unwrap_or(0) as f64 * 1024.0 / 1e6;
        println!("{n} records, rebuilds into the same folder");
        println!(
            "  ddf build       {}  (target < {target} s: {})",
            summary(&runs),
            if wall < target { "met" } else { "MISSED" }
        );
        println!(
            "  cpu             median {:.2} s user+sys (system {:.2} s)",
            med(|r| r.cpu.as_secs_f64()),
            med(|r| r.sys.as_secs_f64())
        );
        if n >= 100_000 {
            println!(
                "  memory          peak {rss:.0} MB (target < 1000 MB: {})",
                if rss < 1000.0 { "met" } else { "MISSED" }
            );
        }
        println!(
            "  site            {} files, {:.1} MB written per build; {} builds byte-identical",
            size.0,
            size.1 as f64 / 1e6,
            runs.len() + 1
        );
        // The day-to-day case: one record edited, then a rebuild (as `ddf serve` does on save).
        let (path, changed) = edit_one_record(&dir)?;
        let run = build()?;
        let (after, _) = tree_digest(&out)?;
        let before = first.unwrap_or_default();
        let differ = after
            .iter()
            .filter(|(p, h)| {
                before
                    .binary_search_by(|(q, _)| q.cmp(p))
                    .map_or(true, |k| before[k].1 != *h)
            })
            .count();
        println!("{n} records, rebuild after editing the title of {path} ({changed})");
        println!(
            "  ddf build       {}; {differ} files changed",
            one_run(&run)
        );
        // As a person who deletes the site before building does: the files just freed are where
        // ext4 would put the new ones, and without a journal it passes each inode freed in the
        // last minutes before it takes a free one (docs/benchmarks.md, sixth round).
        std::fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let run = build()?;
        if tree_digest(&out)?.0 != after {
            return Err(format!(
                "{n} records: the build after deleting the site differs"
            ));
        }
        println!("{n} records, build right after deleting the site (`rm -rf`)");
        println!("  ddf build       {}", against(&run));
    }
    Ok(())
}

/// One run as `site-scale` prints it: wall time, CPU (system), peak memory.
fn one_run(run: &Run) -> String {
    format!(
        "{:.2} s, CPU {:.2} s (system {:.2} s), peak {:.0} MB",
        run.wall.as_secs_f64(),
        run.cpu.as_secs_f64(),
        run.sys.as_secs_f64(),
        run.maxrss_kib as f64 * 1024.0 / 1e6
    )
}

/// Edits the title of the first design input of the DDF in `dir` (the smallest `DI-*.md` file
/// name), as a person saving a record does. Returns its path and what changed.
fn edit_one_record(dir: &Path) -> Result<(String, String), String> {
    let folder = dir.join("records").join("design-input");
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .map_err(|e| format!("{}: {e}", folder.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    names.sort();
    let name = names.first().ok_or("no design input to edit")?;
    let path = folder.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let edited = text.replacen("\ntitle: ", "\ntitle: Edited ", 1);
    if edited == text {
        return Err(format!("{}: no title line", path.display()));
    }
    std::fs::write(&path, edited).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((
        format!("records/design-input/{name}"),
        "title prefixed with `Edited`".into(),
    ))
}

/// The first release record of the DDF in `dir` (the smallest `REL-*.md` file name).
fn first_release(dir: &Path) -> Result<String, String> {
    let mut stack = vec![dir.join("records")];
    let mut found: Vec<String> = Vec::new();
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if let Some(id) = name
                .strip_prefix("REL-")
                .and_then(|n| n.strip_suffix(".md"))
            {
                found.push(format!("REL-{id}"));
            }
        }
    }
    found.sort();
    found
        .into_iter()
        .next()
        .ok_or_else(|| format!("{} has no release record", dir.display()))
}

/// `submission`: `ddf export submission` of the first release of a 20,000-record, 10,000-commit
/// repository with its history index built (target < 30 s); two packages must be identical.
fn cmd_submission(o: &Opts) -> Result<(), String> {
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    let (dir, _tmp) = repository(o)?;
    let rel = first_release(&dir)?;
    let warm = run_ddf(ddf, &dir, &["log", "--format", "json"])?;
    println!("history index built in {:.2} s", warm.wall.as_secs_f64());
    print_load();
    let tmp = tempdir()?;
    let mut results = Vec::new();
    let mut first: Option<Vec<(PathBuf, u64)>> = None;
    let mut size = (0usize, 0u64);
    for k in 0..o.runs.clamp(2, 5) {
        let out = tmp.path().join(format!("pkg-{k}"));
        let out_s = out.to_string_lossy().into_owned();
        let run = run_ddf(ddf, &dir, &["export", "submission", &rel, "-o", &out_s])?;
        if run.exit != 0 {
            return Err(format!(
                "ddf export submission exited with {}: {}",
                run.exit, run.stderr
            ));
        }
        results.push(run);
        let (digest, bytes) = tree_digest(&out)?;
        size = (digest.len(), bytes);
        match &first {
            None => first = Some(digest),
            Some(f) if *f != digest => {
                return Err(format!(
                    "two packages differ ({} and {out_s})",
                    tmp.path().join("pkg-0").display()
                ));
            }
            Some(_) => {}
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    let mut cpu: Vec<f64> = results.iter().map(|r| r.cpu.as_secs_f64()).collect();
    cpu.sort_by(f64::total_cmp);
    let mut w: Vec<f64> = results.iter().map(|r| r.wall.as_secs_f64()).collect();
    w.sort_by(f64::total_cmp);
    println!("{} ({rel})", dir.display());
    println!(
        "  export submission {}  (target < 30 s: {})",
        summary(&results),
        if w[w.len() / 2] < 30.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "  cpu             median {:.2} s user+sys",
        cpu[cpu.len() / 2]
    );
    println!(
        "  package         {} files, {:.1} MB; {} packages byte-identical",
        size.0,
        size.1 as f64 / 1e6,
        results.len()
    );
    Ok(())
}

fn cmd_all(o: &Opts) -> Result<(), String> {
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    let mut figs = Vec::new();
    for n in [20_000, 100_000] {
        let f = check_generated(ddf, n, 0, o.runs, o.seed)?;
        f.print();
        println!();
        figs.push(f);
    }
    let commits = if o.commits == usize::MAX {
        10_000
    } else {
        o.commits
    };
    let hist = if commits > 0 {
        let f = check_generated(ddf, 20_000, commits, o.runs, o.seed)?;
        f.print();
        println!();
        Some(f)
    } else {
        None
    };
    println!(
        "## Summary ({} cores, DDF_TODAY={TODAY}, seed {})\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        o.seed
    );
    println!("| corpus | records | generate | check wall min / median / max | CPU (user+sys) | peak RSS | errors / warnings | target |");
    println!("|---|---:|---:|---|---:|---:|---:|---|");
    let row = |name: String, gen: Option<&GenStats>, f: &CheckFigures| {
        let w = f.walls();
        let target = match f.target() {
            Some((t, Some(m))) => format!(
                "< {t} s, < {m} MB: {}",
                if f.median() < t && f.peak_mb() < m {
                    "met"
                } else {
                    "MISSED"
                }
            ),
            Some((t, None)) => {
                format!("< {t} s: {}", if f.median() < t { "met" } else { "MISSED" })
            }
            None => "-".into(),
        };
        println!(
            "| {name} | {} | {} | {:.2} / {:.2} / {:.2} s | {:.2} s | {:.0} MB | {} / {} | {target} |",
            f.records,
            gen.map_or("-".into(), |g| format!("{:.2} s", g.elapsed.as_secs_f64())),
            w[0],
            f.median(),
            w[w.len() - 1],
            f.cpu_median(),
            f.peak_mb(),
            f.errors,
            f.warnings
        );
    };
    for f in &figs {
        row(
            format!("generated, {} records", f.records),
            f.gen.as_ref(),
            f,
        );
    }
    if let Some(f) = &hist {
        let approvals = f
            .gen
            .as_ref()
            .and_then(|g| g.signed.as_ref())
            .map_or(0, |s| s.approvals);
        row(
            format!("20000 records + {commits} commits + {approvals} signed approvals (Git)"),
            f.gen.as_ref(),
            f,
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing.
    let by_cargo_bench = raw.iter().any(|a| a == "--bench");
    let mut args: Vec<String> = raw.into_iter().filter(|a| a != "--bench").collect();
    if args.is_empty() {
        if !by_cargo_bench {
            // Nothing to do (`cargo test --all-targets` runs this program without arguments).
            eprint!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        // Plain `cargo bench`: the 20,000-record check.
        args.push("check".into());
    }
    let cmd = &args[0];
    if cmd == "__run" {
        return match cmd_runner(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let opts = match parse(&args[1..]) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let r = match cmd.as_str() {
        "gen" => cmd_gen(&opts),
        "check" => cmd_check(&opts),
        "all" => cmd_all(&opts),
        "history" => cmd_history(&opts),
        "impact" => cmd_impact(&opts),
        "site" => cmd_site(&opts),
        "site-scale" => cmd_site_scale(&opts),
        "hostile" => cmd_hostile(&opts),
        "lsp" => cmd_lsp(&opts),
        "junit" => cmd_junit(&opts),
        "import" => cmd_import(&opts),
        "submission" => cmd_submission(&opts),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------------------------
// `lsp`: the language server, driven as an editor drives it.

/// A JSON-RPC client of `ddf lsp` over its stdin and stdout.
struct LspClient {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    inbox: std::sync::mpsc::Receiver<serde_json::Value>,
    next: i64,
}

impl LspClient {
    fn send(&mut self, v: serde_json::Value) -> Result<(), String> {
        let body = v.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("ddf lsp: {e}"))
    }

    fn recv(&mut self) -> Result<serde_json::Value, String> {
        self.inbox
            .recv_timeout(Duration::from_secs(120))
            .map_err(|_| "ddf lsp said nothing for 120 s".to_string())
    }

    fn request(
        &mut self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        self.next += 1;
        let id = self.next;
        self.send(
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        )?;
        loop {
            let v = self.recv()?;
            if v["id"] == id {
                return Ok(v);
            }
        }
    }

    /// Waits for a publication of diagnostics for `uri`; returns how many it holds.
    fn published(&mut self, uri: &str) -> Result<usize, String> {
        loop {
            let v = self.recv()?;
            if v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri {
                return Ok(v["params"]["diagnostics"].as_array().map_or(0, Vec::len));
            }
        }
    }
}

fn cmd_lsp(o: &Opts) -> Result<(), String> {
    let bin = ddf_binary(o)?;
    let records = o.records.unwrap_or(20_000);
    let (dir, _tmp) = match &o.dir {
        Some(d) => (d.clone(), None),
        None => {
            let tmp = tempdir()?;
            let d = tmp.path().join("ddf");
            generate(&d, records, 0, o.seed, true)?;
            (d, Some(tmp))
        }
    };
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    // The record to edit: the first design input.
    let di_dir = dir.join("records/design-input");
    let mut dis: Vec<PathBuf> = std::fs::read_dir(&di_dir)
        .map_err(|e| format!("{}: {e}", di_dir.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    dis.sort();
    let target = dis.first().ok_or("no design input to edit")?.clone();
    let text = std::fs::read_to_string(&target).map_err(|e| e.to_string())?;
    print_load();
    let started = Instant::now();
    let mut child = Command::new(&bin.path)
        .arg("lsp")
        .current_dir(&dir)
        .env("DDF_TODAY", TODAY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start ddf lsp: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, inbox) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = std::io::BufReader::new(stdout);
        loop {
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if std::io::BufRead::read_line(&mut r, &mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    len = v.parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                return;
            }
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
                return;
            };
            if tx.send(v).is_err() {
                return;
            }
        }
    });
    let mut c = LspClient {
        child,
        stdin,
        inbox,
        next: 0,
    };
    let root = format!("file://{}", dir.display());
    c.request(
        "initialize",
        serde_json::json!({"processId": null, "rootUri": root, "capabilities": {}}),
    )?;
    c.send(serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}))?;
    // The first publication of diagnostics (the generated corpus has findings).
    loop {
        let v = c.recv()?;
        if v["method"] == "textDocument/publishDiagnostics" {
            break;
        }
    }
    let first = started.elapsed();
    let uri = format!("file://{}", target.display());
    c.send(
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}}),
    )?;
    // Each edit flips the record's status between a valid and an unknown value, so its findings
    // change and are published every time.
    let mut edits = Vec::new();
    for k in 0..(10 * o.runs.max(1)) {
        let edited = if k % 2 == 0 {
            text.replacen("status: ", "status: bogus-", 1)
        } else {
            text.clone()
        };
        let t = Instant::now();
        c.send(
            serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": k + 2}, "contentChanges": [{"text": edited}]}}),
        )?;
        c.published(&uri)?;
        edits.push(t.elapsed().as_secs_f64());
    }
    let pid = c.child.id();
    let hwm = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0);
    c.request("shutdown", serde_json::Value::Null)?;
    c.send(serde_json::json!({"jsonrpc": "2.0", "method": "exit"}))?;
    let _ = c.child.wait();
    edits.sort_by(f64::total_cmp);
    let median = edits[edits.len() / 2];
    println!(
        "ddf lsp on {} ({} record files)",
        dir.display(),
        count_md(&dir)
    );
    println!(
        "  first diagnostics after initialize  {:.2} s  (target < 2 s: {})",
        first.as_secs_f64(),
        if first.as_secs_f64() < 2.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "  edit -> findings published         min {:.0} / median {:.0} / max {:.0} ms over {} edits  (target median < 150 ms: {})",
        edits[0] * 1e3,
        median * 1e3,
        edits[edits.len() - 1] * 1e3,
        edits.len(),
        if median < 0.150 { "met" } else { "MISSED" }
    );
    println!(
        "  peak memory (VmHWM)                {hwm:.0} MB  (target < 500 MB: {})",
        if hwm < 500.0 { "met" } else { "MISSED" }
    );
    Ok(())
}

/// A Doorstop tree of `n` items: a root document SYS of a fifth of them, and SRS below it whose
/// every item links to a SYS item.
fn doorstop_tree(dir: &Path, n: usize) -> Result<(), String> {
    let io = |e: std::io::Error| format!("cannot write the Doorstop tree: {e}");
    let sys = (n / 5).max(1);
    let mut rng = Rng::new(7);
    std::fs::create_dir_all(dir.join("reqs/srs")).map_err(io)?;
    std::fs::write(
        dir.join("reqs/.doorstop.yml"),
        "settings:\n  digits: 3\n  prefix: SYS\n  sep: ''\n",
    )
    .map_err(io)?;
    std::fs::write(
        dir.join("reqs/srs/.doorstop.yml"),
        "settings:\n  digits: 3\n  parent: SYS\n  prefix: SRS\n  sep: ''\n",
    )
    .map_err(io)?;
    for i in 1..=n {
        let (path, links) = if i <= sys {
            (format!("reqs/SYS{i:05}.yml"), "links: []\n".to_string())
        } else {
            let parent = rng.range(1, sys);
            (
                format!("reqs/srs/SRS{:05}.yml", i - sys),
                format!("links:\n- SYS{parent:05}: 9TcFUzsQWUHhoh5wsqnhL7VRtSqMaIhrCXg7mfIkxKM=\n"),
            )
        };
        let text = wrap(&sentences(&mut rng, 3), "  ");
        std::fs::write(
            dir.join(path),
            format!("active: true\nderived: false\nheader: |\n  {}\nlevel: 1.{i}\n{links}normative: true\nref: ''\nreviewed: avwblqPimDJ2OgTrRCXxRPN8FQhUBWqPIXm7kSR95C4=\ntext: |\n{text}\n", title(&mut rng)),
        )
        .map_err(io)?;
    }
    Ok(())
}

/// A ReqIF of `n` objects: a fifth of type "System Requirement", the rest "Software
/// Requirement" each with a "Satisfies" relation to a system requirement; XHTML text.
fn reqif_file(n: usize) -> String {
    let mut rng = Rng::new(11);
    let sys = (n / 5).max(1);
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<REQ-IF xmlns="http://www.omg.org/spec/ReqIF/20110401/reqif.xsd" xmlns:xhtml="http://www.w3.org/1999/xhtml">
<THE-HEADER><REQ-IF-HEADER IDENTIFIER="h"><TITLE>Bench</TITLE></REQ-IF-HEADER></THE-HEADER>
<CORE-CONTENT><REQ-IF-CONTENT>
<DATATYPES><DATATYPE-DEFINITION-STRING IDENTIFIER="s" LONG-NAME="String" MAX-LENGTH="4000"/><DATATYPE-DEFINITION-XHTML IDENTIFIER="x" LONG-NAME="XHTML"/></DATATYPES>
<SPEC-TYPES>
"#,
    );
    for (t, name) in [
        ("sys", "System Requirement"),
        ("sw", "Software Requirement"),
    ] {
        let _ = write!(
            x,
            r#"<SPEC-OBJECT-TYPE IDENTIFIER="t-{t}" LONG-NAME="{name}"><SPEC-ATTRIBUTES>
<ATTRIBUTE-DEFINITION-STRING IDENTIFIER="{t}-id" LONG-NAME="ReqIF.ForeignID"><TYPE><DATATYPE-DEFINITION-STRING-REF>s</DATATYPE-DEFINITION-STRING-REF></TYPE></ATTRIBUTE-DEFINITION-STRING>
<ATTRIBUTE-DEFINITION-STRING IDENTIFIER="{t}-name" LONG-NAME="ReqIF.Name"><TYPE><DATATYPE-DEFINITION-STRING-REF>s</DATATYPE-DEFINITION-STRING-REF></TYPE></ATTRIBUTE-DEFINITION-STRING>
<ATTRIBUTE-DEFINITION-XHTML IDENTIFIER="{t}-text" LONG-NAME="ReqIF.Text"><TYPE><DATATYPE-DEFINITION-XHTML-REF>x</DATATYPE-DEFINITION-XHTML-REF></TYPE></ATTRIBUTE-DEFINITION-XHTML>
<ATTRIBUTE-DEFINITION-STRING IDENTIFIER="{t}-rat" LONG-NAME="Rationale"><TYPE><DATATYPE-DEFINITION-STRING-REF>s</DATATYPE-DEFINITION-STRING-REF></TYPE></ATTRIBUTE-DEFINITION-STRING>
</SPEC-ATTRIBUTES></SPEC-OBJECT-TYPE>
"#
        );
    }
    x.push_str("<SPEC-RELATION-TYPE IDENTIFIER=\"r-sat\" LONG-NAME=\"Satisfies\"/>\n</SPEC-TYPES>\n<SPEC-OBJECTS>\n");
    for i in 1..=n {
        let t = if i <= sys { "sys" } else { "sw" };
        let id = if i <= sys {
            format!("SYS-{i}")
        } else {
            format!("SW-{}", i - sys)
        };
        let _ = write!(
            x,
            r#"<SPEC-OBJECT IDENTIFIER="o{i}"><TYPE><SPEC-OBJECT-TYPE-REF>t-{t}</SPEC-OBJECT-TYPE-REF></TYPE><VALUES>
<ATTRIBUTE-VALUE-STRING THE-VALUE="{id}"><DEFINITION><ATTRIBUTE-DEFINITION-STRING-REF>{t}-id</ATTRIBUTE-DEFINITION-STRING-REF></DEFINITION></ATTRIBUTE-VALUE-STRING>
<ATTRIBUTE-VALUE-STRING THE-VALUE="{}"><DEFINITION><ATTRIBUTE-DEFINITION-STRING-REF>{t}-name</ATTRIBUTE-DEFINITION-STRING-REF></DEFINITION></ATTRIBUTE-VALUE-STRING>
<ATTRIBUTE-VALUE-STRING THE-VALUE="{}"><DEFINITION><ATTRIBUTE-DEFINITION-STRING-REF>{t}-rat</ATTRIBUTE-DEFINITION-STRING-REF></DEFINITION></ATTRIBUTE-VALUE-STRING>
<ATTRIBUTE-VALUE-XHTML><DEFINITION><ATTRIBUTE-DEFINITION-XHTML-REF>{t}-text</ATTRIBUTE-DEFINITION-XHTML-REF></DEFINITION><THE-VALUE><xhtml:div><xhtml:p>{}</xhtml:p><xhtml:p>The value <xhtml:b>shall</xhtml:b> hold.</xhtml:p></xhtml:div></THE-VALUE></ATTRIBUTE-VALUE-XHTML>
</VALUES></SPEC-OBJECT>
"#,
            title(&mut rng),
            sentence(&mut rng),
            sentences(&mut rng, 2)
        );
    }
    x.push_str("</SPEC-OBJECTS>\n<SPEC-RELATIONS>\n");
    for i in sys + 1..=n {
        let parent = rng.range(1, sys);
        let _ = writeln!(x, "<SPEC-RELATION IDENTIFIER=\"r{i}\"><TYPE><SPEC-RELATION-TYPE-REF>r-sat</SPEC-RELATION-TYPE-REF></TYPE><SOURCE><SPEC-OBJECT-REF>o{i}</SPEC-OBJECT-REF></SOURCE><TARGET><SPEC-OBJECT-REF>o{parent}</SPEC-OBJECT-REF></TARGET></SPEC-RELATION>");
    }
    x.push_str("</SPEC-RELATIONS>\n</REQ-IF-CONTENT></CORE-CONTENT></REQ-IF>\n");
    x
}

/// An empty DDF (one person) in a fresh Git repository under `parent`.
fn empty_ddf(parent: &Path, name: &str) -> Result<PathBuf, String> {
    let dir = parent.join(name);
    let io = |e: std::io::Error| format!("cannot write the benchmark DDF: {e}");
    std::fs::create_dir_all(dir.join("records/people")).map_err(io)?;
    std::fs::write(dir.join("ddf.yaml"), "project: Bench\n").map_err(io)?;
    std::fs::write(
        dir.join("records/people/PER-001.md"),
        "---\nid: PER-001\ntype: person\ntitle: Ada\nstatus: draft\nowner: PER-001\n---\n",
    )
    .map_err(io)?;
    run_git(&dir, &["init", "-q", "-b", "main"])?;
    Ok(dir)
}

/// `import`: `ddf import doorstop` of N items and `ddf import reqif` of N objects (target < 5 s
/// each).
fn cmd_import(o: &Opts) -> Result<(), String> {
    let n = o.records.unwrap_or(20_000);
    let bin = ddf_binary(o)?;
    let ddf = bin.path.as_path();
    let tmp = tempdir()?;
    let src = tmp.path().join("sources");
    doorstop_tree(&src, n)?;
    let reqif = reqif_file(n);
    std::fs::write(src.join("big.reqif"), &reqif)
        .map_err(|e| format!("cannot write the ReqIF: {e}"))?;
    println!(
        "ddf import: a Doorstop tree of {n} items, a ReqIF of {n} objects ({:.1} MB)",
        reqif.len() as f64 / 1e6
    );
    print_load();
    let reqs = src.join("reqs").to_string_lossy().into_owned();
    let file = src.join("big.reqif").to_string_lossy().into_owned();
    let mut met = true;
    for (tool, input) in [("doorstop", reqs.as_str()), ("reqif", file.as_str())] {
        let mut dry = Vec::new();
        let mut wet = Vec::new();
        for r in 0..o.runs.max(1) {
            let dir = empty_ddf(tmp.path(), &format!("{tool}-dry-{r}"))?;
            dry.push(run_ddf(
                ddf,
                &dir,
                &["import", tool, input, "--dry-run", "--format", "json"],
            )?);
            let dir = empty_ddf(tmp.path(), &format!("{tool}-{r}"))?;
            let run = run_ddf(ddf, &dir, &["import", tool, input, "--format", "json"])?;
            let written = count_md(&dir.join("records")).saturating_sub(1);
            if run.exit != 0 || written != n {
                return Err(format!(
                    "ddf import {tool} wrote {written} records, not {n} (exit {})",
                    run.exit
                ));
            }
            wet.push(run);
        }
        // CPU time as well as wall: on a shared machine it is the figure that compares.
        let cpu = |runs: &[Run]| {
            let mut c: Vec<f64> = runs.iter().map(|r| r.cpu.as_secs_f64()).collect();
            c.sort_by(f64::total_cmp);
            c[c.len() / 2]
        };
        println!(
            "{tool}: dry run {}, CPU median {:.2} s; import that writes {n} records {}, CPU median {:.2} s",
            summary(&dry),
            cpu(&dry),
            summary(&wet),
            cpu(&wet)
        );
        let mut w: Vec<f64> = wet.iter().map(|r| r.wall.as_secs_f64()).collect();
        w.sort_by(f64::total_cmp);
        met &= w[w.len() / 2] < 5.0;
    }
    println!(
        "target: under 5 s each (median of the imports that write): {}",
        if met { "met" } else { "NOT met" }
    );
    Ok(())
}
