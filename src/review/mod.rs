//! The management review snapshot (ISO 13485 5.6; domain model section 5): the inputs ddf can
//! compute from the records, for one review period, stamped with the commit they were computed
//! from and a content hash that a management-review (MR) record cites.
//!
//! Records keep their current state, not their past states: "open at the end of the period" is
//! judged from dates written in the records (`discovered`, `remediated`, `opened`, `closed`,
//! `received`), and a state is the state at the stamped commit. Metrics that need Git history
//! (merges without a change request, verifications made stale by later changes, time from patch
//! to field) are listed under `not_available` instead of being estimated.

pub mod html;
pub mod markdown;

use crate::corpus::Corpus;
use crate::date::Date;
use crate::diagnostic::Severity;
use crate::graph::Graph;
use crate::record::{scalar_text, Record};
use crate::risk::parse_level;
use serde::Serialize;
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// States in which a vulnerability no longer needs action.
const CLOSED_VULN: &[&str] = &[
    "not_affected",
    "false_positive",
    "resolved",
    "resolved_with_pedigree",
];
/// States in which a vulnerability affects the product.
const IDENTIFIED_VULN: &[&str] = &["exploitable", "resolved", "resolved_with_pedigree"];

/// The review period, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First day.
    #[serde(serialize_with = "ser_date")]
    pub from: Date,
    /// Last day.
    #[serde(serialize_with = "ser_date")]
    pub to: Date,
}

impl Period {
    /// Parses `FROM..TO` (`2025-10-01..2026-09-30`).
    pub fn parse(s: &str) -> Result<Period, String> {
        let (a, b) = s
            .split_once("..")
            .ok_or_else(|| format!("`{s}` is not FROM..TO"))?;
        let from = Date::parse(a).ok_or_else(|| format!("`{a}` is not a date (YYYY-MM-DD)"))?;
        let to = Date::parse(b).ok_or_else(|| format!("`{b}` is not a date (YYYY-MM-DD)"))?;
        if to < from {
            return Err(format!("the period ends ({to}) before it starts ({from})"));
        }
        Ok(Period { from, to })
    }

    /// The default period: from the day after the latest management review (or a year back
    /// when there is none, or it is today) up to `today`.
    pub fn default_for(corpus: &Corpus, today: Date) -> Period {
        let last = live(corpus, "management-review")
            .filter_map(|r| date(r, "date"))
            .filter(|d| *d < today)
            .max();
        Period {
            from: last.map_or(today.add_days(-365), |d| d.add_days(1)),
            to: today,
        }
    }

    fn contains(&self, d: Date) -> bool {
        self.from <= d && d <= self.to
    }
}

/// Dates serialise as `YYYY-MM-DD`.
fn ser_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// Where the snapshot was computed from.
#[derive(Debug, Clone, Serialize)]
pub struct Stamp {
    /// The commit (full id), when there is one.
    pub commit: Option<String>,
    /// `commit` (a revision read with --rev), `clean` (HEAD, no local changes), `worktree` (HEAD
    /// plus uncommitted changes below the DDF root), or `no-git`.
    pub state: String,
    /// What an MR cites: the commit id, or `worktree+<HEAD>` when the working tree differs.
    pub describe: String,
}

impl Stamp {
    /// The stamp of the working tree at `root` (or of `rev`, already resolved to a commit id).
    /// A repository whose `HEAD` commit is lost, or whose `.git` leads nowhere, is an error: the
    /// snapshot would otherwise be stamped as if there were no commits (or no Git at all).
    pub fn of(
        root: &Path,
        rev_commit: Option<&str>,
    ) -> Result<Stamp, crate::integrity::IntegrityError> {
        use crate::integrity::{IntegrityError, ObjectKind, Role};
        if let Some(c) = rev_commit {
            return Ok(Stamp {
                commit: Some(c.to_string()),
                state: "commit".into(),
                describe: c.to_string(),
            });
        }
        let none = || Stamp {
            commit: None,
            state: "no-git".into(),
            describe: "worktree (not a Git repository)".into(),
        };
        let repo = match git2::Repository::discover(root) {
            Ok(r) => r,
            Err(e) => {
                return match crate::integrity::broken_git_dir(root, &e) {
                    Some(broken) => Err(broken),
                    None => Ok(none()),
                }
            }
        };
        let head = match repo.head().ok().and_then(|h| h.target()) {
            Some(oid) => repo
                .find_object(oid, None)
                .and_then(|o| o.peel_to_commit())
                .map_err(|e| {
                    IntegrityError::read(ObjectKind::Commit, oid, Role::Named("HEAD".into()), &e)
                })?,
            None => {
                return Ok(Stamp {
                    commit: None,
                    state: "worktree".into(),
                    describe: "worktree (no commits yet)".into(),
                })
            }
        };
        let id = head.id().to_string();
        // Only changes below the DDF root matter: the snapshot is computed from those files.
        let prefix = repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .zip(root.canonicalize().ok())
            .and_then(|(w, r)| {
                r.strip_prefix(&w)
                    .ok()
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
            })
            .unwrap_or_default();
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        if !prefix.is_empty() {
            opts.pathspec(format!("{prefix}/"));
        }
        let dirty = repo
            .statuses(Some(&mut opts))
            .map(|s| !s.is_empty())
            .unwrap_or(true);
        Ok(Stamp {
            describe: if dirty {
                format!("worktree+{id}")
            } else {
                id.clone()
            },
            commit: Some(id),
            state: if dirty {
                "worktree".into()
            } else {
                "clean".into()
            },
        })
    }
}

/// A count with the records behind it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Listed {
    /// How many.
    pub count: usize,
    /// Which (ids, sorted).
    pub ids: Vec<String>,
}

impl Listed {
    fn of(mut ids: Vec<String>) -> Listed {
        ids.sort();
        ids.dedup();
        Listed {
            count: ids.len(),
            ids,
        }
    }
}

/// Vulnerabilities per month of the period.
#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Discovered that month.
    pub new: usize,
    /// Remediated that month.
    pub closed: usize,
}

/// Vulnerability trends.
#[derive(Debug, Clone, Serialize)]
pub struct VulnTrends {
    /// VULNs discovered in the period.
    pub new: Listed,
    /// VULNs remediated in the period.
    pub closed: Listed,
    /// VULNs known at the end of the period and not in a closed state.
    pub open: Listed,
    /// VULNs known at the end of the period, by state.
    pub by_state: BTreeMap<String, usize>,
    /// ... by exploitability.
    pub by_exploitability: BTreeMap<String, usize>,
    /// ... by patient-harm severity.
    pub by_severity: BTreeMap<String, usize>,
    /// ... in the CISA KEV catalogue.
    pub kev: Listed,
    /// ... by affected component.
    pub by_component: BTreeMap<String, usize>,
    /// ... by supplier of the affected components.
    pub by_supplier: BTreeMap<String, usize>,
    /// Per month of the period.
    pub monthly: Vec<Month>,
}

/// Patch timelines (FDA premarket guidance V.A.6).
#[derive(Debug, Clone, Serialize)]
pub struct PatchTimelines {
    /// VULNs known at the end of the period that affect the product (exploitable or resolved).
    pub identified: usize,
    /// Of those, remediated by the end of the period.
    pub patched: usize,
    /// `patched / identified` in percent; `None` when none was identified.
    pub patched_percent: Option<f64>,
    /// Median days from `discovered` to `remediated`, over VULNs remediated in the period.
    pub median_days_to_remediation: Option<f64>,
    /// Uncontrolled VULNs whose customers were (or are still not) notified more than 30 days
    /// after discovery.
    pub notification_breaches: Listed,
    /// Uncontrolled VULNs remediated (or still not) more than 60 days after discovery.
    pub remediation_breaches: Listed,
}

/// A deferred finding of a release.
#[derive(Debug, Clone, Serialize)]
pub struct Deferred {
    /// The release.
    pub release: String,
    /// The finding as written.
    pub finding: String,
}

/// Open risk posture.
#[derive(Debug, Clone, Serialize)]
pub struct RiskPosture {
    /// HS by residual zone.
    pub hs_residual_zones: BTreeMap<String, usize>,
    /// THR by residual zone (residual exploitability x worst severity of their HSs).
    pub thr_residual_zones: BTreeMap<String, usize>,
    /// Open VULNs with uncontrolled E x S risk.
    pub uncontrolled_vulns: Listed,
    /// Deferred findings of the releases.
    pub deferred_findings: Vec<Deferred>,
    /// CMPs past end of support at the end of the period.
    pub components_past_eos: Listed,
    /// CMPs reaching end of support within `policy.eos_horizon_days`.
    pub components_near_eos: Listed,
    /// CMPs with support level or end of support `unknown`.
    pub components_support_unknown: Listed,
    /// CMPs whose support level is `abandoned`.
    pub components_abandoned: Listed,
}

/// CAPA ageing.
#[derive(Debug, Clone, Serialize)]
pub struct CapaAgeing {
    /// Open CAPAs by age at the end of the period: `0-30`, `31-90`, `>90` days.
    pub open_by_age: BTreeMap<String, Listed>,
    /// CAPAs with an action past its `due` date and not done.
    pub overdue_actions: Listed,
    /// CAPAs in effectiveness check, or closed without `effectiveness`.
    pub pending_effectiveness: Listed,
    /// CAPAs opened in the period.
    pub opened: Listed,
    /// CAPAs closed in the period.
    pub closed: Listed,
}

/// Feedback and complaints.
#[derive(Debug, Clone, Serialize)]
pub struct Signals {
    /// Signals received in the period, by kind.
    pub by_kind: BTreeMap<String, usize>,
    /// Signals received in the period, by reportability decision.
    pub reportable: BTreeMap<String, usize>,
    /// Signals not closed.
    pub open: Listed,
}

/// A coverage ratio.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Records that meet the criterion.
    pub covered: usize,
    /// Records considered.
    pub total: usize,
    /// `covered / total` in percent; `None` when there are none.
    pub percent: Option<f64>,
    /// Records that do not.
    pub missing: Vec<String>,
}

impl Coverage {
    fn of(total: Vec<String>, missing: Vec<String>) -> Coverage {
        let mut missing = missing;
        missing.sort();
        let n = total.len();
        Coverage {
            covered: n - missing.len(),
            total: n,
            percent: (n > 0).then(|| round1(100.0 * (n - missing.len()) as f64 / n as f64)),
            missing,
        }
    }
}

/// Trace coverage.
#[derive(Debug, Clone, Serialize)]
pub struct TraceCoverage {
    /// DIs with a passing verification (no `di-verified` finding).
    pub di_verified: Coverage,
    /// Approved UNs with a passing validation (no `un-validated` finding).
    pub un_validated: Coverage,
    /// RCs verified effective (a passing VER with `control_check: effectiveness`).
    pub rc_verified_effective: Coverage,
    /// THRs whose chain is complete (no `threat-disposition`, `threat-controlled` finding, and
    /// no `cyber-chain` finding on the security controls that mitigate them).
    pub thr_complete_chain: Coverage,
    /// Records no link reaches or leaves (people, documents, reviews and releases excepted).
    pub orphans: Listed,
    /// Findings of `ddf check` at the stamped state, by rule.
    pub failing_rules: BTreeMap<String, RuleCount>,
}

/// Findings of one rule.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleCount {
    /// At error severity.
    pub errors: usize,
    /// At warning severity.
    pub warnings: usize,
}

/// Change control.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeControl {
    /// CRs by `cyber_impact`.
    pub by_cyber_class: BTreeMap<String, usize>,
    /// CRs by status.
    pub by_status: BTreeMap<String, usize>,
    /// Emergency CRs.
    pub emergency: Listed,
}

/// Suppliers.
#[derive(Debug, Clone, Serialize)]
pub struct Suppliers {
    /// SUPs whose `next_reevaluation` is past at the end of the period.
    pub overdue_reevaluation: Listed,
    /// Disapproved SUPs still named by a live CMP.
    pub disapproved_in_use: Listed,
    /// SUPs by approval.
    pub by_approval: BTreeMap<String, usize>,
}

/// Documents.
#[derive(Debug, Clone, Serialize)]
pub struct Documents {
    /// DOCs past `review_due` at the end of the period.
    pub overdue_reviews: Listed,
}

/// An action of the previous review.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// The action text.
    pub text: String,
    /// Owner.
    pub owner: Option<String>,
    /// Due date.
    pub due: Option<String>,
    /// Past due at the end of the period.
    pub overdue: bool,
}

/// Follow-up of the previous review (5.6.2 i).
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    /// The latest MR dated before the end of the period.
    pub last_review: Option<String>,
    /// Its actions without `closed`, `closed_by` or `done`.
    pub open_actions: Vec<Action>,
}

/// A metric the snapshot does not give, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotAvailable {
    /// The metric.
    pub metric: String,
    /// Why.
    pub reason: String,
}

/// The snapshot. Its JSON form is the `ddf review --format json` contract.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Format version of the snapshot.
    pub schema: String,
    /// `project` of ddf.yaml.
    pub project: String,
    /// The day it was computed.
    #[serde(serialize_with = "ser_date")]
    pub generated_on: Date,
    /// The review period.
    pub period: Period,
    /// What it was computed from.
    pub source: Stamp,
    /// Number of records.
    pub records: usize,
    /// Vulnerability trends.
    pub vulnerabilities: VulnTrends,
    /// Patch timelines.
    pub patch_timelines: PatchTimelines,
    /// Open risk posture.
    pub risk_posture: RiskPosture,
    /// CAPA ageing.
    pub capa: CapaAgeing,
    /// Feedback and complaints.
    pub signals: Signals,
    /// Trace coverage.
    pub trace_coverage: TraceCoverage,
    /// Change control.
    pub change_control: ChangeControl,
    /// Suppliers.
    pub suppliers: Suppliers,
    /// Documents.
    pub documents: Documents,
    /// Follow-up of the previous review.
    pub follow_up: FollowUp,
    /// Metrics not given, and why.
    pub not_available: Vec<NotAvailable>,
    /// SHA-256 of the snapshot's compact JSON with this field empty (see [`Snapshot::seal`]).
    pub sha256: String,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn live<'a>(corpus: &'a Corpus, ty: &str) -> impl Iterator<Item = &'a Record> + 'a {
    corpus
        .records_of(ty)
        .iter()
        .map(move |&i| &corpus.records[i])
        .filter(|r| r.status() != "obsolete")
}

fn date(r: &Record, f: &str) -> Option<Date> {
    r.text(f).and_then(|s| Date::parse(&s))
}

fn bump(m: &mut BTreeMap<String, usize>, k: impl Into<String>) {
    *m.entry(k.into()).or_default() += 1;
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// `YYYY-MM` of each month the period touches.
fn months(p: &Period) -> Vec<String> {
    let ym = |d: Date| {
        let s = d.to_string();
        (
            s[..4].parse::<i32>().unwrap_or(0),
            s[5..7].parse::<u32>().unwrap_or(1),
        )
    };
    let (mut y, mut m) = ym(p.from);
    let (ty, tm) = ym(p.to);
    let mut out = Vec::new();
    // Bounded: a typo such as 1026..2026 must not produce a millennium of months.
    while (y, m) <= (ty, tm) && out.len() < 240 {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

/// E x S zone of a VULN on the security matrix, with whether it is acceptable.
fn vuln_zone(corpus: &Corpus, r: &Record) -> Option<(String, bool)> {
    let e = parse_level(r.str("exploitability")?, 'E')?;
    let s = parse_level(r.str("severity")?, 'S')?;
    let m = &corpus.risk.policy.security;
    let z = m.zone(e, s)?.to_string();
    let ok = m.is_acceptable(&z);
    Some((z, ok))
}

/// Computes the snapshot of `corpus` for `period`, on `today`.
pub fn compute(
    corpus: &Corpus,
    graph: &Graph,
    period: Period,
    today: Date,
    stamp: Stamp,
) -> Snapshot {
    let end = period.to;
    let check = crate::check::run(corpus, graph, today, None);
    let mut snap = Snapshot {
        schema: "ddf-review/1".into(),
        project: corpus.config.project.clone(),
        generated_on: today,
        period,
        source: stamp,
        records: corpus.records.len(),
        vulnerabilities: vuln_trends(corpus, &period),
        patch_timelines: patch_timelines(corpus, &period, today),
        risk_posture: risk_posture(corpus, graph, end),
        capa: capa(corpus, &period),
        signals: signals(corpus, &period),
        trace_coverage: trace_coverage(corpus, graph, &check),
        change_control: change_control(corpus),
        suppliers: suppliers(corpus, graph, end),
        documents: Documents {
            overdue_reviews: Listed::of(
                live(corpus, "document")
                    .filter(|r| date(r, "review_due").is_some_and(|d| d < end))
                    .map(|r| r.id.clone())
                    .collect(),
            ),
        },
        follow_up: follow_up(corpus, end),
        not_available: vec![
            NotAvailable { metric: "patch_timelines.time_from_patch_to_field".into(), reason: "not available without history and field deployment data (release rollout records)".into() },
            NotAvailable { metric: "change_control.merges_without_cr".into(), reason: "not available without history: needs the change-control log of the controlled branch (`change-has-cr`)".into() },
            NotAvailable { metric: "trace_coverage.di_verified_not_stale".into(), reason: "not available without history: staleness of verifications (`ver-fresh`) is judged from Git history; di_verified counts passing verifications only".into() },
            NotAvailable { metric: "vulnerabilities.by_state_over_time".into(), reason: "not available without history: records keep their current state; states are as of the stamped commit".into() },
        ],
        sha256: String::new(),
    };
    snap.seal();
    snap
}

impl Snapshot {
    /// Sets `sha256` to the SHA-256 of the snapshot's compact JSON (`serde_json::to_string`)
    /// with `sha256` empty: recompute it the same way to check a cited snapshot.
    pub fn seal(&mut self) {
        self.sha256.clear();
        let json = serde_json::to_string(self).unwrap_or_default();
        self.sha256 = sha256_hex(json.as_bytes());
    }

    /// The text an MR's `inputs.snapshot` cites for the snapshot saved in `file` (relative to
    /// the DDF root) whose hash is `sha256`: the content hash [`Snapshot::sha256`] for a JSON
    /// snapshot, the SHA-256 of the file for any other form. `mr-snapshot` checks both.
    pub fn citation(&self, file: &str, sha256: &str) -> String {
        format!(
            "{file} (ddf review {}..{} at {}, sha256 {sha256})",
            self.period.from, self.period.to, self.source.describe
        )
    }
}

/// SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A JSON value that keeps the order of object keys, so a snapshot read back serialises to the
/// bytes it was sealed from (serde_json's own `Value` sorts keys).
enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(n.into()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(n.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Ordered, E> {
                serde_json::Number::from_f64(n)
                    .map(Ordered::Number)
                    .ok_or_else(|| E::custom("not a finite number"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Ordered, E> {
                Ok(Ordered::String(s))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Ordered::Array(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = a.next_entry()? {
                    v.push((k, x));
                }
                Ok(Ordered::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Ordered {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Number(n) => n.serialize(s),
            Ordered::String(x) => s.serialize_str(x),
            Ordered::Array(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for x in v {
                    seq.serialize_element(x)?;
                }
                seq.end()
            }
            Ordered::Object(v) => {
                let mut map = s.serialize_map(Some(v.len()))?;
                for (k, x) in v {
                    map.serialize_entry(k, x)?;
                }
                map.end()
            }
        }
    }
}

/// Reads a JSON snapshot written by `ddf review --format json` and recomputes its content hash
/// as [`Snapshot::seal`] computed it: `(stated, computed)`, equal when the file is unaltered.
/// An error when the bytes are not a `ddf-review/1` snapshot.
pub fn sealed_hash(bytes: &[u8]) -> Result<(String, String), String> {
    let mut v: Ordered = serde_json::from_slice(bytes).map_err(|e| format!("is not JSON ({e})"))?;
    let Ordered::Object(fields) = &mut v else {
        return Err("is not a JSON object".into());
    };
    let schema = fields.iter().find_map(|(k, x)| match x {
        Ordered::String(s) if k == "schema" => Some(s.as_str()),
        _ => None,
    });
    if !schema.is_some_and(|s| s.starts_with("ddf-review/")) {
        return Err("is not a `ddf review` snapshot (no `schema: ddf-review/...`)".into());
    }
    let Some(slot) = fields.iter_mut().find(|(k, _)| k == "sha256") else {
        return Err("has no `sha256`".into());
    };
    let stated = match &slot.1 {
        Ordered::String(s) => s.clone(),
        _ => return Err("has a `sha256` that is not text".into()),
    };
    slot.1 = Ordered::String(String::new());
    let json = serde_json::to_string(&v).map_err(|e| e.to_string())?;
    Ok((stated, sha256_hex(json.as_bytes())))
}

fn vuln_trends(corpus: &Corpus, p: &Period) -> VulnTrends {
    let comp_supplier: BTreeMap<String, Vec<String>> = live(corpus, "component")
        .map(|r| (r.id.clone(), r.list("supplier")))
        .collect();
    let mut t = VulnTrends {
        new: Listed::default(),
        closed: Listed::default(),
        open: Listed::default(),
        by_state: BTreeMap::new(),
        by_exploitability: BTreeMap::new(),
        by_severity: BTreeMap::new(),
        kev: Listed::default(),
        by_component: BTreeMap::new(),
        by_supplier: BTreeMap::new(),
        monthly: months(p)
            .into_iter()
            .map(|month| Month {
                month,
                new: 0,
                closed: 0,
            })
            .collect(),
    };
    let (mut new, mut closed, mut open, mut kev) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in live(corpus, "vulnerability") {
        let discovered = date(r, "discovered");
        if discovered.is_some_and(|d| d > p.to) {
            continue;
        }
        let state = r.str("state").unwrap_or("unknown");
        if let Some(d) = discovered.filter(|d| p.contains(*d)) {
            new.push(r.id.clone());
            let m = d.to_string()[..7].to_string();
            if let Some(x) = t.monthly.iter_mut().find(|x| x.month == m) {
                x.new += 1;
            }
        }
        if let Some(d) = date(r, "remediated").filter(|d| p.contains(*d)) {
            closed.push(r.id.clone());
            let m = d.to_string()[..7].to_string();
            if let Some(x) = t.monthly.iter_mut().find(|x| x.month == m) {
                x.closed += 1;
            }
        }
        if !CLOSED_VULN.contains(&state) {
            open.push(r.id.clone());
        }
        bump(&mut t.by_state, state);
        bump(
            &mut t.by_exploitability,
            r.text("exploitability")
                .unwrap_or_else(|| "unassessed".into()),
        );
        bump(
            &mut t.by_severity,
            r.text("severity").unwrap_or_else(|| "unassessed".into()),
        );
        if r.flag("kev") {
            kev.push(r.id.clone());
        }
        let mut sups = BTreeSet::new();
        for c in r.list("affects") {
            if let Some(s) = comp_supplier.get(&c) {
                sups.extend(s.iter().cloned());
            }
            bump(&mut t.by_component, c);
        }
        for s in sups {
            bump(&mut t.by_supplier, s);
        }
    }
    t.new = Listed::of(new);
    t.closed = Listed::of(closed);
    t.open = Listed::of(open);
    t.kev = Listed::of(kev);
    t
}

fn patch_timelines(corpus: &Corpus, p: &Period, today: Date) -> PatchTimelines {
    let mut identified = 0;
    let mut patched = 0;
    let mut days = Vec::new();
    let (mut notify, mut fix) = (Vec::new(), Vec::new());
    let end = p.to.min(today);
    for r in live(corpus, "vulnerability") {
        let Some(found) = date(r, "discovered") else {
            continue;
        };
        if found > p.to {
            continue;
        }
        let state = r.str("state").unwrap_or("");
        let remediated = date(r, "remediated").filter(|d| *d <= p.to);
        if IDENTIFIED_VULN.contains(&state) {
            identified += 1;
            if remediated.is_some() {
                patched += 1;
            }
        }
        if let Some(d) = remediated.filter(|d| p.contains(*d)) {
            days.push(d.days_since(found));
        }
        let uncontrolled = vuln_zone(corpus, r).is_some_and(|(_, ok)| !ok);
        if uncontrolled && IDENTIFIED_VULN.contains(&state) {
            let late = |f: &str, limit: i64| match date(r, f) {
                Some(d) => d.days_since(found) > limit,
                None => end.days_since(found) > limit,
            };
            if late("customers_notified", 30) {
                notify.push(r.id.clone());
            }
            if late("remediated", 60) {
                fix.push(r.id.clone());
            }
        }
    }
    PatchTimelines {
        identified,
        patched,
        patched_percent: (identified > 0)
            .then(|| round1(100.0 * patched as f64 / identified as f64)),
        median_days_to_remediation: median(days),
        notification_breaches: Listed::of(notify),
        remediation_breaches: Listed::of(fix),
    }
}

fn risk_posture(corpus: &Corpus, graph: &Graph, end: Date) -> RiskPosture {
    let risk = &corpus.risk.policy;
    let mut hs_zones = BTreeMap::new();
    let mut hs_sev: BTreeMap<usize, usize> = BTreeMap::new();
    for &i in corpus.records_of("hazardous-situation") {
        let r = &corpus.records[i];
        if r.status() == "obsolete" {
            continue;
        }
        let sev = r.str("residual_severity").and_then(|s| parse_level(s, 'S'));
        // A threat's residual risk is weighed against the residual severity of its situations.
        if let Some(s) = sev.or_else(|| r.str("severity").and_then(|s| parse_level(s, 'S'))) {
            hs_sev.insert(i, s);
        }
        let zone = match r.str("assessment") {
            Some("security") => r
                .str("residual_exploitability")
                .and_then(|e| parse_level(e, 'E'))
                .zip(sev)
                .and_then(|(e, s)| risk.security.zone(e, s)),
            _ => r
                .str("residual_probability")
                .and_then(|p| parse_level(p, 'P'))
                .zip(sev)
                .and_then(|(p, s)| risk.safety.zone(p, s)),
        };
        bump(&mut hs_zones, zone.unwrap_or("unscored"));
    }
    let mut thr_zones = BTreeMap::new();
    for &i in corpus.records_of("threat") {
        let r = &corpus.records[i];
        if r.status() == "obsolete" {
            continue;
        }
        let worst = graph
            .inbound(i, "threats")
            .filter_map(|h| hs_sev.get(&h).copied())
            .max();
        let e = r
            .str("residual_exploitability")
            .and_then(|e| parse_level(e, 'E'));
        let zone = match (worst, e) {
            (Some(s), Some(e)) => risk.security.zone(e, s).unwrap_or("unscored").to_string(),
            (None, _) if r.str("disposition") == Some("security-only") => "security-only".into(),
            _ => "unscored".into(),
        };
        bump(&mut thr_zones, zone);
    }
    let uncontrolled = live(corpus, "vulnerability")
        .filter(|r| !CLOSED_VULN.contains(&r.str("state").unwrap_or("")))
        .filter(|r| vuln_zone(corpus, r).is_some_and(|(_, ok)| !ok))
        .map(|r| r.id.clone())
        .collect();
    let mut deferred = Vec::new();
    for r in live(corpus, "release") {
        if let Some(Value::Sequence(items)) = r.get("deferred_findings") {
            for it in items {
                let text = match it {
                    Value::Mapping(m) => m
                        .iter()
                        .filter_map(|(k, v)| {
                            Some(format!("{}: {}", scalar_text(k)?, scalar_text(v)?))
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => scalar_text(other).unwrap_or_default(),
                };
                deferred.push(Deferred {
                    release: r.id.clone(),
                    finding: text,
                });
            }
        }
    }
    let horizon = end.add_days(corpus.config.policy.eos_horizon_days);
    let (mut past, mut near, mut unknown, mut abandoned) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in live(corpus, "component") {
        match date(r, "end_of_support") {
            Some(d) if d < end => past.push(r.id.clone()),
            Some(d) if d <= horizon => near.push(r.id.clone()),
            _ => {}
        }
        if r.str("support_level") == Some("unknown") || r.str("end_of_support") == Some("unknown") {
            unknown.push(r.id.clone());
        }
        if r.str("support_level") == Some("abandoned") {
            abandoned.push(r.id.clone());
        }
    }
    RiskPosture {
        hs_residual_zones: hs_zones,
        thr_residual_zones: thr_zones,
        uncontrolled_vulns: Listed::of(uncontrolled),
        deferred_findings: deferred,
        components_past_eos: Listed::of(past),
        components_near_eos: Listed::of(near),
        components_support_unknown: Listed::of(unknown),
        components_abandoned: Listed::of(abandoned),
    }
}

fn capa(corpus: &Corpus, p: &Period) -> CapaAgeing {
    let mut buckets: BTreeMap<String, Vec<String>> = ["0-30", "31-90", ">90"]
        .iter()
        .map(|b| (b.to_string(), Vec::new()))
        .collect();
    let (mut overdue, mut pending, mut opened, mut closed) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in live(corpus, "capa") {
        let start = date(r, "opened");
        if start.is_some_and(|d| d > p.to) {
            continue;
        }
        let end = date(r, "closed");
        if start.is_some_and(|d| p.contains(d)) {
            opened.push(r.id.clone());
        }
        if end.is_some_and(|d| p.contains(d)) {
            closed.push(r.id.clone());
        }
        let is_open = end.is_none_or(|d| d > p.to) && !matches!(r.status(), "closed" | "cancelled");
        if is_open {
            if let Some(s) = start {
                let age = p.to.days_since(s);
                let b = if age <= 30 {
                    "0-30"
                } else if age <= 90 {
                    "31-90"
                } else {
                    ">90"
                };
                buckets.entry(b.into()).or_default().push(r.id.clone());
            }
            if let Some(Value::Sequence(actions)) = r.get("actions") {
                let late = actions.iter().any(|a| {
                    let Value::Mapping(m) = a else { return false };
                    let get = |k: &str| m.get(Value::String(k.into())).and_then(scalar_text);
                    let done = ["done", "closed", "closed_by"]
                        .iter()
                        .any(|k| get(k).is_some_and(|v| !v.trim().is_empty()));
                    !done
                        && get("due")
                            .and_then(|d| Date::parse(&d))
                            .is_some_and(|d| d < p.to)
                });
                if late {
                    overdue.push(r.id.clone());
                }
            }
        }
        if r.status() == "effectiveness-check"
            || (r.status() == "closed" && !r.has("effectiveness"))
        {
            pending.push(r.id.clone());
        }
    }
    CapaAgeing {
        open_by_age: buckets
            .into_iter()
            .map(|(k, v)| (k, Listed::of(v)))
            .collect(),
        overdue_actions: Listed::of(overdue),
        pending_effectiveness: Listed::of(pending),
        opened: Listed::of(opened),
        closed: Listed::of(closed),
    }
}

fn signals(corpus: &Corpus, p: &Period) -> Signals {
    let mut by_kind = BTreeMap::new();
    let mut reportable = BTreeMap::new();
    let mut open = Vec::new();
    for r in live(corpus, "signal") {
        if date(r, "received").is_some_and(|d| p.contains(d)) {
            bump(
                &mut by_kind,
                r.text("kind").unwrap_or_else(|| "unknown".into()),
            );
            bump(
                &mut reportable,
                r.text("reportable").unwrap_or_else(|| "undecided".into()),
            );
        }
        if r.status() != "closed" && date(r, "received").is_none_or(|d| d <= p.to) {
            open.push(r.id.clone());
        }
    }
    Signals {
        by_kind,
        reportable,
        open: Listed::of(open),
    }
}

pub(crate) fn trace_coverage(
    corpus: &Corpus,
    graph: &Graph,
    check: &crate::check::Report,
) -> TraceCoverage {
    let flagged = |rule: &str| -> BTreeSet<String> {
        check
            .diagnostics
            .iter()
            .filter(|d| d.rule == rule)
            .filter_map(|d| d.record.clone())
            .collect()
    };
    let ids = |ty: &str, keep: &dyn Fn(&Record) -> bool| -> Vec<String> {
        live(corpus, ty)
            .filter(|r| keep(r))
            .map(|r| r.id.clone())
            .collect()
    };
    let not_in = |all: &[String], bad: &BTreeSet<String>| -> Vec<String> {
        all.iter().filter(|i| bad.contains(*i)).cloned().collect()
    };
    let dis = ids("design-input", &|_| true);
    let uns = ids("user-need", &|r| r.status() == "approved");
    let di_verified = Coverage::of(dis.clone(), not_in(&dis, &flagged("di-verified")));
    let un_validated = Coverage::of(uns.clone(), not_in(&uns, &flagged("un-validated")));
    let mut rcs = Vec::new();
    let mut rc_missing = Vec::new();
    for &i in corpus.records_of("risk-control") {
        let r = &corpus.records[i];
        if r.status() == "obsolete" {
            continue;
        }
        rcs.push(r.id.clone());
        let effective = graph.inbound(i, "verifies").any(|v| {
            let v = &corpus.records[v];
            v.type_name == "verification"
                && v.status() != "obsolete"
                && v.str("result") == Some("pass")
                && v.str("control_check") == Some("effectiveness")
        });
        if !effective {
            rc_missing.push(r.id.clone());
        }
    }
    let chain_bad = flagged("cyber-chain");
    let thr_bad: BTreeSet<String> = flagged("threat-disposition")
        .union(&flagged("threat-controlled"))
        .cloned()
        .collect();
    let mut thrs = Vec::new();
    let mut thr_missing = Vec::new();
    for &i in corpus.records_of("threat") {
        let r = &corpus.records[i];
        if r.status() == "obsolete" {
            continue;
        }
        thrs.push(r.id.clone());
        let rc_broken = graph
            .inbound(i, "mitigates")
            .any(|c| chain_bad.contains(&corpus.records[c].id));
        if thr_bad.contains(&r.id) || rc_broken {
            thr_missing.push(r.id.clone());
        }
    }
    let mut orphans = Vec::new();
    for (i, r) in corpus.records.iter().enumerate() {
        if r.status() == "obsolete"
            || matches!(
                r.type_name.as_str(),
                "person" | "document" | "management-review" | "release"
            )
        {
            continue;
        }
        // `owner` is a reference, not a trace link: it does not connect a record to the file.
        let linked = graph.out(i).iter().chain(graph.inc(i)).any(|e| e.trace);
        if !linked {
            orphans.push(r.id.clone());
        }
    }
    let mut failing: BTreeMap<String, RuleCount> = BTreeMap::new();
    for d in &check.diagnostics {
        let c = failing.entry(d.rule.to_string()).or_default();
        match d.severity {
            Severity::Error => c.errors += 1,
            Severity::Warning => c.warnings += 1,
        }
    }
    TraceCoverage {
        di_verified,
        un_validated,
        rc_verified_effective: Coverage::of(rcs, rc_missing),
        thr_complete_chain: Coverage::of(thrs, thr_missing),
        orphans: Listed::of(orphans),
        failing_rules: failing,
    }
}

fn change_control(corpus: &Corpus) -> ChangeControl {
    let mut by_class = BTreeMap::new();
    let mut by_status = BTreeMap::new();
    let mut emergency = Vec::new();
    for r in live(corpus, "change-request") {
        bump(
            &mut by_class,
            r.text("cyber_impact")
                .unwrap_or_else(|| "unclassified".into()),
        );
        bump(&mut by_status, r.status());
        if r.flag("emergency") {
            emergency.push(r.id.clone());
        }
    }
    ChangeControl {
        by_cyber_class: by_class,
        by_status,
        emergency: Listed::of(emergency),
    }
}

fn suppliers(corpus: &Corpus, graph: &Graph, end: Date) -> Suppliers {
    let mut overdue = Vec::new();
    let mut disapproved = Vec::new();
    let mut by_approval = BTreeMap::new();
    for &i in corpus.records_of("supplier") {
        let r = &corpus.records[i];
        if r.status() == "obsolete" {
            continue;
        }
        bump(
            &mut by_approval,
            r.text("approval").unwrap_or_else(|| "unknown".into()),
        );
        let in_use = graph
            .inbound(i, "supplier")
            .any(|c| corpus.records[c].status() != "obsolete");
        if date(r, "next_reevaluation").is_some_and(|d| d < end) {
            overdue.push(r.id.clone());
        }
        if in_use && r.str("approval") == Some("disapproved") {
            disapproved.push(r.id.clone());
        }
    }
    Suppliers {
        overdue_reevaluation: Listed::of(overdue),
        disapproved_in_use: Listed::of(disapproved),
        by_approval,
    }
}

fn follow_up(corpus: &Corpus, end: Date) -> FollowUp {
    let last = live(corpus, "management-review")
        .filter_map(|r| date(r, "date").filter(|d| *d <= end).map(|d| (d, r)))
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)))
        .map(|(_, r)| r);
    let Some(mr) = last else {
        return FollowUp {
            last_review: None,
            open_actions: Vec::new(),
        };
    };
    let mut open = Vec::new();
    if let Some(Value::Sequence(actions)) = mr.get("actions") {
        for a in actions {
            let Value::Mapping(m) = a else { continue };
            let get = |k: &str| {
                m.get(Value::String(k.into()))
                    .and_then(scalar_text)
                    .filter(|v| !v.trim().is_empty())
            };
            if ["closed", "closed_by", "done"]
                .iter()
                .any(|k| get(k).is_some())
                || get("status").as_deref() == Some("closed")
            {
                continue;
            }
            let due = get("due");
            open.push(Action {
                text: get("text").or_else(|| get("action")).unwrap_or_default(),
                owner: get("owner"),
                overdue: due
                    .as_deref()
                    .and_then(Date::parse)
                    .is_some_and(|d| d < end),
                due,
            });
        }
    }
    FollowUp {
        last_review: Some(mr.id.clone()),
        open_actions: open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let p = Period::parse("2025-10-01..2026-09-30").expect("period");
        assert_eq!(months(&p).len(), 12);
        assert!(Period::parse("2026-01-01..2025-01-01").is_err());
        assert!(Period::parse("2026-01-01").is_err());
        assert!(Period::parse("2026-01-01..2026-13-01").is_err());
        assert_eq!(median(vec![5, 1, 3]), Some(3.0));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn a_saved_json_snapshot_verifies_and_an_edit_shows() {
        let c = crate::rules::testing::corpus(
            "project: t\n",
            &[("records/PER-001.md", crate::rules::testing::PER)],
        );
        let g = Graph::build(&c);
        let today = Date::parse("2026-06-01").expect("date");
        let period = Period::parse("2025-06-01..2026-05-31").expect("period");
        let stamp = Stamp {
            commit: None,
            state: "no-git".into(),
            describe: "worktree (not a Git repository)".into(),
        };
        let snap = compute(&c, &g, period, today, stamp);
        let text = serde_json::to_string_pretty(&snap).expect("json") + "\n";
        let (stated, computed) = sealed_hash(text.as_bytes()).expect("snapshot");
        assert_eq!(stated, snap.sha256);
        assert_eq!(computed, snap.sha256);
        let edited = text.replacen("\"records\": 1", "\"records\": 2", 1);
        assert_ne!(edited, text);
        let (stated, computed) = sealed_hash(edited.as_bytes()).expect("snapshot");
        assert_ne!(stated, computed);
        assert!(sealed_hash(b"{\"a\": 1}").is_err());
        assert!(sealed_hash(b"not json").is_err());
        assert!(snap.citation("reviews/s.json", &snap.sha256).starts_with(
            "reviews/s.json (ddf review 2025-06-01..2026-05-31 at worktree (not a Git repository), sha256 "
        ));
    }
}
