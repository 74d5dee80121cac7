//! The risk acceptability criteria in force (ISO 14971 4.4 c-d; AAMI TIR57, ANSI/AAMI SW96):
//! the matrices of the approved risk-management plan (DOC `doc_type: risk-mgmt-plan`, field
//! `risk_policy`: P x S and E x S) and of the approved security risk-management plan (DOC
//! `doc_type: security-rm-plan`, field `risk_policy`: the E x I matrix of security-only risk).
//! Only a matrix that no approved plan carries comes from `ddf.yaml` `risk:`, or failing that from
//! ddf's defaults (domain model 3.2).
//!
//! Resolved once per corpus, before the records are validated, so level ranges, rules, the site
//! and the review all read one policy. What is wrong with a plan's `risk_policy` is kept as
//! [`PlanProblem`]s, which the `risk-policy` rule reports.

use crate::config::Config;
use crate::record::{scalar_text, Record};
use crate::risk::{matrix_rows, Matrix, RiskPolicy};
use indexmap::IndexMap;
use serde::Serialize;
use serde_yaml::Value;

/// Where one matrix in force comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum Origin {
    /// The `risk_policy` of an approved plan.
    Plan {
        /// The DOC id.
        id: String,
        /// `risk_policy.revision`, when stated.
        revision: Option<String>,
    },
    /// `ddf.yaml` `risk:`.
    Config,
    /// ddf's built-in defaults.
    Default,
}

impl Origin {
    /// `DOC-002 (risk_policy revision C)`, `ddf.yaml risk:`, `ddf's default`.
    pub fn describe(&self) -> String {
        match self {
            Origin::Plan {
                id,
                revision: Some(rev),
            } => format!("{id} (risk_policy revision {rev})"),
            Origin::Plan { id, revision: None } => format!("{id} (risk_policy)"),
            Origin::Config => "ddf.yaml `risk:`".into(),
            Origin::Default => "ddf's default (domain model 3.2)".into(),
        }
    }

    /// The plan id, when the matrix comes from a plan.
    pub fn plan(&self) -> Option<&str> {
        match self {
            Origin::Plan { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// One of the three matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// P x S.
    Safety,
    /// E x S.
    Security,
    /// E x I.
    SecurityOnly,
}

impl Which {
    /// Every matrix.
    pub const ALL: [Which; 3] = [Which::Safety, Which::Security, Which::SecurityOnly];

    /// The key under `acceptable` and `reduce_as_far_as_possible`: `safety`, `security`,
    /// `security_only`.
    pub fn name(self) -> &'static str {
        match self {
            Which::Safety => "safety",
            Which::Security => "security",
            Which::SecurityOnly => "security_only",
        }
    }

    /// The `risk_policy` key of the matrix.
    pub fn field(self) -> &'static str {
        match self {
            Which::Safety => "safety_matrix",
            Which::Security => "security_matrix",
            Which::SecurityOnly => "security_only_matrix",
        }
    }

    /// `P x S`, `E x S`, `E x I`.
    pub fn title(self) -> &'static str {
        match self {
            Which::Safety => "P x S",
            Which::Security => "E x S",
            Which::SecurityOnly => "E x I",
        }
    }

    fn letters(self) -> (char, char) {
        match self {
            Which::Safety => ('P', 'S'),
            Which::Security => ('E', 'S'),
            Which::SecurityOnly => ('E', 'I'),
        }
    }

    /// The `doc_type` of the plan that carries this matrix.
    pub fn plan_type(self) -> &'static str {
        match self {
            Which::Safety | Which::Security => "risk-mgmt-plan",
            Which::SecurityOnly => "security-rm-plan",
        }
    }

    /// The matrix of `policy`.
    pub fn of(self, policy: &RiskPolicy) -> &Matrix {
        match self {
            Which::Safety => &policy.safety,
            Which::Security => &policy.security,
            Which::SecurityOnly => &policy.security_only,
        }
    }

    fn of_mut(self, policy: &mut RiskPolicy) -> &mut Matrix {
        match self {
            Which::Safety => &mut policy.safety,
            Which::Security => &mut policy.security,
            Which::SecurityOnly => &mut policy.security_only,
        }
    }

    fn written_in_config(self, config: &Config) -> bool {
        match self {
            Which::Safety => config.risk_raw.writes_safety(),
            Which::Security => config.risk_raw.writes_security(),
            Which::SecurityOnly => config.risk_raw.writes_security_only(),
        }
    }
}

/// The `risk_policy` keys a plan of `doc_type` may carry.
fn known_keys(doc_type: &str) -> &'static [&'static str] {
    match doc_type {
        "security-rm-plan" => &[
            "revision",
            "impact",
            "exploitability",
            "security_only_matrix",
            "acceptable",
        ],
        _ => &[
            "revision",
            "severity",
            "probability",
            "exploitability",
            "safety_matrix",
            "security_matrix",
            "acceptable",
            "reduce_as_far_as_possible",
        ],
    }
}

/// The matrices a plan of `doc_type` carries.
fn matrices_of(doc_type: &str) -> &'static [Which] {
    match doc_type {
        "security-rm-plan" => &[Which::SecurityOnly],
        _ => &[Which::Safety, Which::Security],
    }
}

/// Something wrong with a plan's `risk_policy`, reported by the `risk-policy` rule.
#[derive(Debug, Clone)]
pub struct PlanProblem {
    /// Index of the plan record in the corpus.
    pub record: usize,
    /// The `risk_policy` key it is about, for the position.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// Reported as a warning rather than an error.
    pub warning: bool,
}

/// The criteria in force and where each matrix comes from.
#[derive(Debug, Clone)]
pub struct InForce {
    /// The matrices.
    pub policy: RiskPolicy,
    /// Origin of the P x S matrix.
    pub safety: Origin,
    /// Origin of the E x S matrix.
    pub security: Origin,
    /// Origin of the E x I matrix.
    pub security_only: Origin,
    /// What is wrong with the plans' `risk_policy`.
    pub problems: Vec<PlanProblem>,
}

impl InForce {
    /// The matrices of `ddf.yaml` (or the defaults), as if no plan carried any.
    pub fn from_config(config: &Config) -> InForce {
        let origin = |w: Which| {
            if w.written_in_config(config) {
                Origin::Config
            } else {
                Origin::Default
            }
        };
        InForce {
            policy: config.risk.clone(),
            safety: origin(Which::Safety),
            security: origin(Which::Security),
            security_only: origin(Which::SecurityOnly),
            problems: Vec::new(),
        }
    }

    /// Where matrix `w` comes from.
    pub fn origin(&self, w: Which) -> &Origin {
        match w {
            Which::Safety => &self.safety,
            Which::Security => &self.security,
            Which::SecurityOnly => &self.security_only,
        }
    }

    fn origin_mut(&mut self, w: Which) -> &mut Origin {
        match w {
            Which::Safety => &mut self.safety,
            Which::Security => &mut self.security,
            Which::SecurityOnly => &mut self.security_only,
        }
    }

    /// The criteria in force for `records` (in path order) under `config`: each matrix from the
    /// first approved plan that carries it, else from `ddf.yaml` or the defaults.
    pub fn resolve(records: &[Record], config: &Config) -> InForce {
        let mut out = InForce::from_config(config);
        let mut problems = Vec::new();
        for (i, r) in records.iter().enumerate() {
            if r.type_name != "document" || r.status() != "approved" {
                continue;
            }
            let Some(doc_type) = r.str("doc_type") else {
                continue;
            };
            if !matches!(doc_type, "risk-mgmt-plan" | "security-rm-plan") {
                continue;
            }
            let Some(v) = r.get("risk_policy").filter(|v| !v.is_null()) else {
                continue;
            };
            let parsed = parse_plan(i, r, doc_type, v, &mut problems);
            for (w, m) in parsed.matrices {
                if let Some(first) = out.origin(w).plan() {
                    problems.push(PlanProblem {
                        record: i,
                        key: Some(w.field().into()),
                        message: format!(
                            "{} carries `{}`, but {first}, an approved {} before it in path order, already does; only {first}'s is in force",
                            r.id,
                            w.field(),
                            w.plan_type()
                        ),
                        hint: format!(
                            "keep one approved {} with the criteria in force: set the superseded one to `status: obsolete`, or remove `{}` from one of them",
                            w.plan_type(),
                            w.field()
                        ),
                        warning: false,
                    });
                    continue;
                }
                *w.of_mut(&mut out.policy) = m;
                *out.origin_mut(w) = Origin::Plan {
                    id: r.id.clone(),
                    revision: parsed.revision.clone(),
                };
            }
        }
        // A security-only matrix no plan carries takes the shape of the security matrix in
        // force, as `ddf.yaml` does: its rows are the same exploitability levels.
        if out.security_only.plan().is_none()
            && out.security.plan().is_some()
            && out.policy.security_only.levels() != out.policy.security.levels()
        {
            out.policy.security_only.rows = out.policy.security.rows.clone();
            out.policy.security_only.acceptable = out.policy.security.acceptable.clone();
        }
        if let Err(e) = out.policy.consistent() {
            // Matrices that do not fit together cannot score anything: fall back whole, and say
            // so on the plan that brought the first of them.
            let culprit = Which::ALL
                .iter()
                .find_map(|w| out.origin(*w).plan().map(String::from));
            if let Some(i) = culprit.and_then(|id| records.iter().position(|r| r.id == id)) {
                problems.push(PlanProblem {
                    record: i,
                    key: None,
                    message: format!(
                        "the matrices in force do not fit together: {e}; ddf falls back to ddf.yaml `risk:` and its defaults"
                    ),
                    hint: "give every matrix the same severity columns, and the security-only matrix the exploitability rows of the security matrix".into(),
                    warning: false,
                });
            }
            out = InForce::from_config(config);
        }
        out.problems = problems;
        out
    }
}

/// What one plan's `risk_policy` gives.
struct Parsed {
    revision: Option<String>,
    matrices: Vec<(Which, Matrix)>,
}

/// Collects the problems of one plan.
struct Sink<'a> {
    record: usize,
    out: &'a mut Vec<PlanProblem>,
}

impl Sink<'_> {
    fn error(&mut self, key: Option<&str>, message: String, hint: &str) {
        self.add(key, message, hint, false);
    }

    fn warning(&mut self, key: Option<&str>, message: String, hint: &str) {
        self.add(key, message, hint, true);
    }

    fn add(&mut self, key: Option<&str>, message: String, hint: &str, warning: bool) {
        self.out.push(PlanProblem {
            record: self.record,
            key: key.map(String::from),
            message,
            hint: hint.to_string(),
            warning,
        });
    }
}

/// The zones listed under `risk_policy.<key>.<matrix name>`: `Some(empty)` when not given and
/// not `required`, `None` (with a problem) when required and missing or not a list.
fn zones(
    policy: &serde_yaml::Mapping,
    key: &str,
    w: Which,
    required: bool,
    r: &Record,
    sink: &mut Sink<'_>,
) -> Option<Vec<String>> {
    let given = policy
        .get(Value::String(key.into()))
        .and_then(|m| m.get(w.name()))
        .filter(|v| !v.is_null());
    match given {
        None if required => {
            sink.error(
                Some(key),
                format!(
                    "{}'s `risk_policy` gives `{}` but no `{key}.{}`: which zones are acceptable is not stated",
                    r.id,
                    w.field(),
                    w.name()
                ),
                &format!("add `{key}: {{ {}: [zones] }}` to `risk_policy`", w.name()),
            );
            None
        }
        None => Some(Vec::new()),
        Some(v) => {
            let z = zone_list(v).filter(|_| matches!(v, Value::Sequence(_)));
            if z.is_none() {
                sink.error(
                    Some(key),
                    format!(
                        "{}'s `risk_policy.{key}.{}` is not a list of zones",
                        r.id,
                        w.name()
                    ),
                    &format!("write `{}: [zone, ...]` under `{key}`", w.name()),
                );
            }
            z
        }
    }
}

/// Reads the `risk_policy` of plan `r` (index `i`), recording what is wrong in `problems`. A
/// matrix that cannot be read is left out, so the next source supplies it.
fn parse_plan(
    i: usize,
    r: &Record,
    doc_type: &str,
    v: &Value,
    problems: &mut Vec<PlanProblem>,
) -> Parsed {
    let mut sink = Sink {
        record: i,
        out: problems,
    };
    let mut parsed = Parsed {
        revision: None,
        matrices: Vec::new(),
    };
    let Value::Mapping(map) = v else {
        sink.error(
            None,
            format!("{}'s `risk_policy` is not a mapping", r.id),
            "write `risk_policy:` as a mapping with `revision`, the matrices and `acceptable` (docs/rules.md, `risk-policy`)",
        );
        return parsed;
    };
    let get = |k: &str| map.get(Value::String(k.into())).filter(|v| !v.is_null());
    let known = known_keys(doc_type);
    for k in map.keys() {
        let key = scalar_text(k).unwrap_or_default();
        if !known.contains(&key.as_str()) {
            sink.warning(
                Some(&key),
                format!(
                    "{}'s `risk_policy` has `{key}`, which ddf does not read in a {doc_type}",
                    r.id
                ),
                &format!(
                    "the keys of a {doc_type}'s `risk_policy` are {}; move other content to the body",
                    known.join(", ")
                ),
            );
        }
    }
    parsed.revision = get("revision")
        .and_then(scalar_text)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    for &w in matrices_of(doc_type) {
        let Some(mv) = get(w.field()) else { continue };
        let (row, col) = w.letters();
        let rows = match matrix_cells(mv, row, col) {
            Ok(rows) => rows,
            Err(e) => {
                sink.error(
                    Some(w.field()),
                    format!("{}'s `risk_policy.{}` cannot be read: {e}", r.id, w.field()),
                    &format!(
                        "write `{}:` as `columns: [{col}1, ..., {col}5]` and one row per level, `{row}5: [zones]` down to `{row}1: [zones]`",
                        w.field()
                    ),
                );
                continue;
            }
        };
        let Some(acceptable) = zones(map, "acceptable", w, true, r, &mut sink) else {
            continue;
        };
        let reduce = if doc_type == "security-rm-plan" {
            Vec::new()
        } else {
            match zones(map, "reduce_as_far_as_possible", w, false, r, &mut sink) {
                Some(z) => z,
                None => continue,
            }
        };
        for (key, list) in [
            ("acceptable", &acceptable),
            ("reduce_as_far_as_possible", &reduce),
        ] {
            for z in list {
                if !rows.iter().flatten().any(|c| c == z) {
                    sink.warning(
                        Some(key),
                        format!(
                            "{}'s `risk_policy.{key}.{}` names zone `{z}`, which no cell of `{}` has",
                            r.id,
                            w.name(),
                            w.field()
                        ),
                        "name the zones as the matrix writes them",
                    );
                }
            }
        }
        parsed.matrices.push((
            w,
            Matrix {
                rows,
                acceptable,
                reduce,
            },
        ));
    }
    if !parsed.matrices.is_empty() && parsed.revision.is_none() {
        sink.error(
            None,
            format!(
                "{}'s `risk_policy` has no `revision`, so no record can say which revision of the criteria it was scored under",
                r.id
            ),
            "add `revision:` to `risk_policy` and raise it with every change to the criteria; each HS names it in `policy_rev`",
        );
    }
    parsed
}

/// A list of zone names.
fn zone_list(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Sequence(items) => items
            .iter()
            .map(|z| scalar_text(z).map(|s| s.trim().to_string()))
            .collect(),
        other => scalar_text(other).map(|s| vec![s.trim().to_string()]),
    }
}

/// The cells of a matrix written as `columns: [S1, ...]` (optional) and rows `P5: [zones]`.
fn matrix_cells(v: &Value, row: char, col: char) -> Result<Vec<Vec<String>>, String> {
    let Value::Mapping(m) = v else {
        return Err("it is not a mapping".into());
    };
    let mut rows: IndexMap<String, Vec<String>> = IndexMap::new();
    let mut columns = None;
    for (k, val) in m {
        let key = scalar_text(k).unwrap_or_default();
        let cells = zone_list(val)
            .filter(|_| matches!(val, Value::Sequence(_)))
            .ok_or_else(|| format!("`{key}` is not a list"))?;
        if key == "columns" {
            columns = Some(cells);
        } else {
            rows.insert(key, cells);
        }
    }
    let rows = matrix_rows(&rows, row)?;
    let width = rows.first().map_or(0, Vec::len);
    if let Some(cols) = columns {
        let want: Vec<String> = (1..=width).map(|n| format!("{col}{n}")).collect();
        if cols != want {
            return Err(format!(
                "`columns` is [{}], but the rows have {width} zones, read as [{}]",
                cols.join(", "),
                want.join(", ")
            ));
        }
    }
    Ok(rows)
}

/// Whether `policy_rev` (an HS's) names the revision of the plan `origin`; `None` when the
/// matrix does not come from a plan with a revision, so there is nothing to compare. Accepted:
/// `C`, `rev C`, `revision C`, `DOC-002 rev C`, `DOC-002 C`, `DOC-002@C`.
pub fn names_revision(policy_rev: &str, origin: &Origin) -> Option<bool> {
    let Origin::Plan {
        id,
        revision: Some(rev),
    } = origin
    else {
        return None;
    };
    let mut s = policy_rev.trim();
    if let Some(rest) = s.strip_prefix(id.as_str()) {
        s = rest.trim_start_matches(['@', ',', ':']).trim_start();
    }
    for word in ["revision", "rev.", "rev"] {
        if let Some(rest) = s.strip_prefix(word) {
            if rest.starts_with(char::is_whitespace) {
                s = rest.trim_start();
                break;
            }
        }
    }
    Some(s == rev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{corpus, rec, PER};

    const PLAN: &str = "doc_type: risk-mgmt-plan\neffective: 2026-01-01\nreview_due: 2027-01-01\nrisk_policy:\n  revision: C\n  safety_matrix:\n    columns: [S1, S2, S3]\n    P3: [R, U, U]\n    P2: [A, R, U]\n    P1: [A, A, R]\n  security_matrix:\n    columns: [S1, S2, S3]\n    E3: [C, U, U]\n    E2: [C, C, U]\n    E1: [C, C, C]\n  acceptable: { safety: [A], security: [C] }\n  reduce_as_far_as_possible: { safety: [R] }\n";

    fn resolve(config: &str, docs: &[String]) -> (InForce, crate::corpus::Corpus) {
        let mut files = vec![("records/PER-001.md".to_string(), PER.to_string())];
        for (n, d) in docs.iter().enumerate() {
            files.push((format!("records/d{n}.md"), d.clone()));
        }
        let c = corpus(config, &files);
        (c.risk.clone(), c)
    }

    #[test]
    fn approved_plan_wins_over_ddf_yaml() {
        let cfg = "project: t\nrisk:\n  safety: { P1: [A, A, A], P2: [A, A, A], P3: [A, A, A] }\n  security: { E1: [C, C, C], E2: [C, C, C], E3: [C, C, C] }\n  security_only: { E1: [C, C, C], E2: [C, C, C], E3: [C, C, C] }\n";
        let (f, _) = resolve(cfg, &[rec("document", "DOC-001", PLAN)]);
        assert_eq!(f.policy.safety.zone(3, 1), Some("R"));
        assert_eq!(f.policy.safety.reduce, vec!["R"]);
        assert_eq!(
            f.safety,
            Origin::Plan {
                id: "DOC-001".into(),
                revision: Some("C".into())
            }
        );
        assert_eq!(f.security_only, Origin::Config);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        // A draft plan is not in force.
        let draft = rec("document", "DOC-001", &format!("status: draft\n{PLAN}"));
        let (f, _) = resolve(cfg, &[draft]);
        assert_eq!(f.safety, Origin::Config);
        assert_eq!(f.policy.safety.zone(3, 1), Some("A"));
    }

    #[test]
    fn plan_problems_are_kept_and_the_matrix_falls_back() {
        let bad = PLAN
            .replace(
                "  acceptable: { safety: [A], security: [C] }\n",
                "  acceptable: { security: [C] }\n",
            )
            .replace("  revision: C\n", "  benefit_risk_required_for: [R, U]\n");
        let (f, _) = resolve("project: t\n", &[rec("document", "DOC-001", &bad)]);
        let msgs: Vec<&str> = f.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("no `acceptable.safety`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("`benefit_risk_required_for`")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|m| m.contains("has no `revision`")),
            "{msgs:?}"
        );
        assert_eq!(f.safety, Origin::Default);
        // The security matrix (3 columns) does not fit the default safety one (5): all fall back.
        assert!(
            msgs.iter().any(|m| m.contains("do not fit together")),
            "{msgs:?}"
        );
        assert_eq!(f.security, Origin::Default);
    }

    #[test]
    fn two_plans_are_ambiguous() {
        let (f, _) = resolve(
            "project: t\n",
            &[
                rec("document", "DOC-001", PLAN),
                rec("document", "DOC-002", PLAN),
            ],
        );
        assert_eq!(f.safety.plan(), Some("DOC-001"));
        assert!(f
            .problems
            .iter()
            .any(|p| p.message.contains("already does")));
    }

    #[test]
    fn bad_columns_are_reported() {
        let bad = PLAN.replacen("columns: [S1, S2, S3]", "columns: [S3, S2, S1]", 1);
        let (f, _) = resolve("project: t\n", &[rec("document", "DOC-001", &bad)]);
        assert!(
            f.problems
                .iter()
                .any(|p| p.message.contains("`columns` is [S3, S2, S1]")),
            "{:?}",
            f.problems
        );
    }

    #[test]
    fn revisions() {
        let o = Origin::Plan {
            id: "DOC-002".into(),
            revision: Some("C".into()),
        };
        for ok in [
            "C",
            "rev C",
            "DOC-002 rev C",
            "DOC-002@C",
            "DOC-002 C",
            "revision C",
        ] {
            assert_eq!(names_revision(ok, &o), Some(true), "{ok}");
        }
        for bad in ["B", "DOC-002 rev B", "DOC-003 rev C", "rev"] {
            assert_eq!(names_revision(bad, &o), Some(false), "{bad}");
        }
        assert_eq!(names_revision("C", &Origin::Config), None);
    }
}
