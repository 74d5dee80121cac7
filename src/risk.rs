//! The risk model: scales and matrices (ISO 14971 P x S for safety, E x S for security, and
//! E x impact for security-only risk, AAMI TIR57 / SW96).
//!
//! Defaults are those of domain-model.md section 3.2. The matrices in force are those of the
//! approved risk-management plans ([`crate::risk_plan`]); `ddf.yaml` `risk:` supplies them only
//! when no approved plan does. A matrix is written as rows from the highest level down, one zone
//! per severity (or impact) column.

use crate::record::Record;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Which matrix an assessment uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Assessment {
    /// Probability x severity.
    Safety,
    /// Exploitability x severity.
    Security,
}

/// A matrix: `rows[level - 1][severity - 1]` is the zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    /// Zones, indexed by (row level - 1, severity - 1).
    pub rows: Vec<Vec<String>>,
    /// Zones that count as acceptable.
    pub acceptable: Vec<String>,
    /// Zones where a residual risk may be accepted only once it is reduced as far as possible
    /// and an approved benefit-risk analysis outweighs it (ISO 14971 7.4); every other zone
    /// that is not acceptable is unacceptable, whatever any analysis says.
    pub reduce: Vec<String>,
}

/// How the acceptability criteria class a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneClass {
    /// Acceptable as it is.
    Acceptable,
    /// Acceptable only after reduction as far as possible and with an approved benefit-risk
    /// analysis (the `R` zone of the default safety matrix).
    Reduce,
    /// Never acceptable.
    Unacceptable,
}

impl Matrix {
    /// The zone of (row level, severity), both 1-based; `None` outside the matrix.
    pub fn zone(&self, level: usize, severity: usize) -> Option<&str> {
        self.rows
            .get(level.checked_sub(1)?)?
            .get(severity.checked_sub(1)?)
            .map(String::as_str)
    }

    /// Whether `zone` is acceptable.
    pub fn is_acceptable(&self, zone: &str) -> bool {
        self.acceptable.iter().any(|z| z == zone)
    }

    /// How the criteria class `zone`.
    pub fn class(&self, zone: &str) -> ZoneClass {
        if self.is_acceptable(zone) {
            ZoneClass::Acceptable
        } else if self.reduce.iter().any(|z| z == zone) {
            ZoneClass::Reduce
        } else {
            ZoneClass::Unacceptable
        }
    }

    /// Number of row levels.
    pub fn levels(&self) -> usize {
        self.rows.len()
    }

    /// Number of severity columns.
    pub fn severities(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }
}

/// The three matrices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskPolicy {
    /// P x S (safety hazardous situations).
    pub safety: Matrix,
    /// E x S (security hazardous situations and vulnerabilities: patient harm).
    pub security: Matrix,
    /// E x I (security-only threats: impact on assets, data or operations, no patient harm;
    /// AAMI TIR57, SW96). Its rows are the exploitability levels of `security`.
    pub security_only: Matrix,
}

/// `risk:` as written in `ddf.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRisk {
    /// Rows `P5: [R, U, U, U, U]` ... `P1: [...]`.
    pub safety: Option<IndexMap<String, Vec<String>>>,
    /// Rows `E5: [C, C, U, U, U]` ... `E1: [...]`.
    pub security: Option<IndexMap<String, Vec<String>>>,
    /// Rows `E5: [...]` ... `E1: [...]`, one zone per impact I1..In.
    pub security_only: Option<IndexMap<String, Vec<String>>>,
    /// Acceptable zones of the safety matrix (default `[A]`).
    pub safety_acceptable: Option<Vec<String>>,
    /// Acceptable zones of the security matrix (default `[C]`).
    pub security_acceptable: Option<Vec<String>>,
    /// Acceptable zones of the security-only matrix (default `[C]`).
    pub security_only_acceptable: Option<Vec<String>>,
    /// Zones of the safety matrix acceptable after reduction as far as possible with a
    /// benefit-risk analysis (default `[R]`).
    pub safety_reduce_as_far_as_possible: Option<Vec<String>>,
    /// The same for the security matrix (default: none).
    pub security_reduce_as_far_as_possible: Option<Vec<String>>,
}

impl RawRisk {
    /// Whether `ddf.yaml` writes anything about the safety matrix.
    pub fn writes_safety(&self) -> bool {
        self.safety.is_some()
            || self.safety_acceptable.is_some()
            || self.safety_reduce_as_far_as_possible.is_some()
    }

    /// Whether `ddf.yaml` writes anything about the security (E x S) matrix.
    pub fn writes_security(&self) -> bool {
        self.security.is_some()
            || self.security_acceptable.is_some()
            || self.security_reduce_as_far_as_possible.is_some()
    }

    /// Whether `ddf.yaml` writes anything about the security-only matrix.
    pub fn writes_security_only(&self) -> bool {
        self.security_only.is_some() || self.security_only_acceptable.is_some()
    }
}

fn rows(text: &[&str]) -> Vec<Vec<String>> {
    // Written top-down (level 5 first); stored bottom-up so index = level - 1.
    text.iter()
        .rev()
        .map(|r| r.split_whitespace().map(String::from).collect())
        .collect()
}

impl Default for RiskPolicy {
    fn default() -> Self {
        let controlled = || Matrix {
            rows: rows(&[
                "C C U U U",
                "C C U U U",
                "C C C U U",
                "C C C C U",
                "C C C C C",
            ]),
            acceptable: vec!["C".into()],
            // Uncontrolled security risk is remediated, never accepted by analysis (FDA
            // postmarket cybersecurity guidance).
            reduce: Vec::new(),
        };
        RiskPolicy {
            safety: Matrix {
                rows: rows(&[
                    "R U U U U",
                    "A R U U U",
                    "A R R U U",
                    "A A R R U",
                    "A A A R R",
                ]),
                acceptable: vec!["A".into()],
                reduce: vec!["R".into()],
            },
            security: controlled(),
            // The postmarket guidance's grid, read with impact in place of severity.
            security_only: controlled(),
        }
    }
}

impl RiskPolicy {
    /// Builds the policy from `ddf.yaml`, checking the matrices are rectangular and agree on the
    /// number of severity levels.
    pub fn from_raw(raw: &RawRisk) -> Result<RiskPolicy, String> {
        let mut p = RiskPolicy::default();
        if let Some(m) = &raw.safety {
            p.safety.rows = matrix_rows(m, 'P')?;
        }
        if let Some(m) = &raw.security {
            p.security.rows = matrix_rows(m, 'E')?;
        }
        match &raw.security_only {
            Some(m) => p.security_only.rows = matrix_rows(m, 'E')?,
            // Not written: the security matrix's grid, read with impact in place of severity.
            None => p.security_only.rows.clone_from(&p.security.rows),
        }
        if raw.security_only.is_none() && raw.security_only_acceptable.is_none() {
            p.security_only
                .acceptable
                .clone_from(&p.security.acceptable);
        }
        for (given, slot) in [
            (&raw.safety_acceptable, &mut p.safety.acceptable),
            (&raw.security_acceptable, &mut p.security.acceptable),
            (
                &raw.security_only_acceptable,
                &mut p.security_only.acceptable,
            ),
            (&raw.safety_reduce_as_far_as_possible, &mut p.safety.reduce),
            (
                &raw.security_reduce_as_far_as_possible,
                &mut p.security.reduce,
            ),
        ] {
            if let Some(a) = given {
                slot.clone_from(a);
            }
        }
        p.consistent()?;
        Ok(p)
    }

    /// Checks that the matrices fit together: one severity scale for safety and security, and
    /// the security-only matrix on the exploitability levels of the security matrix.
    pub fn consistent(&self) -> Result<(), String> {
        if self.safety.severities() != self.security.severities() {
            return Err(format!(
                "the safety matrix has {} severity columns and the security matrix {}; they must agree",
                self.safety.severities(),
                self.security.severities()
            ));
        }
        if self.security_only.levels() != self.security.levels() {
            return Err(format!(
                "the security-only matrix has {} exploitability rows and the security matrix {}; they must agree",
                self.security_only.levels(),
                self.security.levels()
            ));
        }
        Ok(())
    }

    /// The matrix of an assessment.
    pub fn matrix(&self, a: Assessment) -> &Matrix {
        match a {
            Assessment::Safety => &self.safety,
            Assessment::Security => &self.security,
        }
    }

    /// Number of levels on a scale.
    pub fn scale_len(&self, scale: crate::schema::Scale) -> usize {
        match scale {
            crate::schema::Scale::Severity => self.safety.severities(),
            crate::schema::Scale::Probability => self.safety.levels(),
            crate::schema::Scale::Exploitability => self.security.levels(),
            crate::schema::Scale::Impact => self.security_only.severities(),
        }
    }
}

/// The rows of a matrix written as `{letter}n: [zones]`, stored so index = level - 1.
pub fn matrix_rows(
    m: &IndexMap<String, Vec<String>>,
    letter: char,
) -> Result<Vec<Vec<String>>, String> {
    let n = m.len();
    let mut rows = vec![Vec::new(); n];
    for (key, row) in m {
        let level = parse_level(key, letter)
            .filter(|l| *l >= 1 && *l <= n)
            .ok_or_else(|| format!("row `{key}` is not one of {letter}1..{letter}{n}"))?;
        rows[level - 1].clone_from(row);
    }
    let width = rows.first().map_or(0, Vec::len);
    if width == 0 || rows.iter().any(|r| r.len() != width) {
        return Err(format!(
            "the {letter} x S matrix rows must all have the same, non-zero number of zones"
        ));
    }
    Ok(rows)
}

/// Parses a level such as `S4` on the scale of `letter`; returns 4.
pub fn parse_level(s: &str, letter: char) -> Option<usize> {
    let rest = s.trim().strip_prefix(letter)?;
    rest.parse().ok().filter(|n| *n > 0)
}

/// A level field (`S4`, `P3`, `E2`) of record `r` as a number; `None` when absent or
/// malformed, which the structure rules report.
pub fn level(r: &Record, field: &str, letter: char) -> Option<usize> {
    r.text(field).and_then(|t| parse_level(&t, letter))
}

/// How a hazardous situation is scored, from its `assessment`.
#[derive(Debug, Clone, Copy)]
pub struct Scoring {
    /// The matrix it is scored on.
    pub assessment: Assessment,
    /// `safety` or `security`.
    pub name: &'static str,
    /// The letter of the likelihood scale (P or E).
    pub letter: char,
    /// The likelihood fields of this assessment: initial, residual.
    pub fields: [&'static str; 2],
    /// The likelihood fields of the other assessment, which must not be given.
    pub other: [&'static str; 2],
}

/// The scoring of hazardous situation `r`; `None` when `assessment` is missing or invalid
/// (reported by the structure rules).
pub fn scoring(r: &Record) -> Option<Scoring> {
    match r.str("assessment")? {
        "safety" => Some(Scoring {
            assessment: Assessment::Safety,
            name: "safety",
            letter: 'P',
            fields: ["probability", "residual_probability"],
            other: ["exploitability", "residual_exploitability"],
        }),
        "security" => Some(Scoring {
            assessment: Assessment::Security,
            name: "security",
            letter: 'E',
            fields: ["exploitability", "residual_exploitability"],
            other: ["probability", "residual_probability"],
        }),
        _ => None,
    }
}

/// A risk zone with the levels it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    /// The zone (`A`, `R`, `U`, `C`, ...).
    pub zone: String,
    /// The cell, as `P3 x S4`.
    pub cell: String,
    /// The likelihood level (1-based).
    pub level: usize,
    /// The severity level (1-based).
    pub severity: usize,
}

/// The zone of `r` on its matrix, from likelihood field `row` and severity field `sev`.
pub fn score(policy: &RiskPolicy, s: &Scoring, r: &Record, row: &str, sev: &str) -> Option<Scored> {
    let l = level(r, row, s.letter)?;
    let v = level(r, sev, 'S')?;
    let zone = policy.matrix(s.assessment).zone(l, v)?.to_string();
    Some(Scored {
        zone,
        cell: format!("{}{l} x S{v}", s.letter),
        level: l,
        severity: v,
    })
}

/// The initial and residual risk of a hazardous situation, where its levels allow computing
/// them.
pub fn initial_and_residual(
    policy: &RiskPolicy,
    s: &Scoring,
    r: &Record,
) -> (Option<Scored>, Option<Scored>) {
    (
        score(policy, s, r, s.fields[0], "severity"),
        score(policy, s, r, s.fields[1], "residual_severity"),
    )
}

/// Orders zones from least to most risk. Matrices name zones freely (A/R/U, C/U, or a
/// project's own), so the order comes from the matrix itself: acceptable zones first, then by
/// the lowest cell (likelihood + severity) where the zone appears. On any matrix whose risk
/// grows with both levels this gives A < R < U and C < U.
pub fn zone_rank(m: &Matrix, zone: &str) -> (bool, usize) {
    let mut lowest = usize::MAX;
    for (l, row) in m.rows.iter().enumerate() {
        for (s, z) in row.iter().enumerate() {
            if z == zone {
                lowest = lowest.min(l + s);
            }
        }
    }
    (!m.is_acceptable(zone), lowest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matrices_match_domain_model() {
        let p = RiskPolicy::default();
        assert_eq!(p.safety.zone(5, 1), Some("R"));
        assert_eq!(p.safety.zone(4, 1), Some("A"));
        assert_eq!(p.safety.zone(1, 4), Some("R"));
        assert_eq!(p.safety.zone(2, 5), Some("U"));
        assert_eq!(p.security.zone(3, 3), Some("C"));
        assert_eq!(p.security.zone(3, 4), Some("U"));
        assert_eq!(p.security.zone(1, 5), Some("C"));
        assert_eq!(p.safety.zone(6, 1), None);
        assert!(p.security.is_acceptable("C"));
        assert!(!p.safety.is_acceptable("R"));
    }

    #[test]
    fn custom_matrix_and_errors() {
        let raw: RawRisk = serde_yaml::from_str(
            "safety: { P3: [R, U, U], P2: [A, R, U], P1: [A, A, R] }\nsecurity: { E2: [C, U, U], E1: [C, C, C] }\n",
        )
        .expect("yaml");
        let p = RiskPolicy::from_raw(&raw).expect("valid");
        assert_eq!(p.safety.zone(3, 1), Some("R"));
        assert_eq!(p.scale_len(crate::schema::Scale::Severity), 3);
        let bad: RawRisk = serde_yaml::from_str("safety: { P1: [A, A], P2: [A] }").expect("yaml");
        assert!(RiskPolicy::from_raw(&bad).is_err());
        let bad: RawRisk = serde_yaml::from_str("safety: { X1: [A] }").expect("yaml");
        assert!(RiskPolicy::from_raw(&bad).is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(parse_level("S4", 'S'), Some(4));
        assert_eq!(parse_level("P4", 'S'), None);
        assert_eq!(parse_level("S0", 'S'), None);
    }
}
