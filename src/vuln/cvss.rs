//! CVSS scores from vectors, and the exploitability level (E1-E5) of domain model 3.1.
//!
//! v3.0 and v3.1 base and exploitability scores come from the RustSec `cvss` crate (the closed
//! formula of the FIRST specification); v4.0 base scores from its MacroVector tables. Bands are
//! FIRST's: None 0, Low < 4, Medium < 7, High < 9, Critical >= 9.

use serde::Serialize;

/// A scored CVSS v3 vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V3 {
    /// `3.0` or `3.1`.
    pub version: String,
    /// The vector, with its `CVSS:3.x/` prefix.
    pub vector: String,
    /// Base score.
    pub base_score: f64,
    /// Exploitability sub-score, 8.22 x AV x AC x PR x UI, rounded to two decimals.
    pub exploitability: f64,
    /// Band of the base score.
    pub band: &'static str,
}

/// A scored CVSS v4.0 vector.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct V4 {
    /// The vector.
    pub vector: String,
    /// Base score (CVSS-B).
    pub base_score: f64,
    /// Band.
    pub band: &'static str,
}

/// FIRST's qualitative band of a score.
pub fn band(score: f64) -> &'static str {
    if score <= 0.0 {
        "none"
    } else if score < 4.0 {
        "low"
    } else if score < 7.0 {
        "medium"
    } else if score < 9.0 {
        "high"
    } else {
        "critical"
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Scores a CVSS v3.0 or v3.1 vector. A vector without its `CVSS:3.x/` prefix (as some SBOM VEX
/// ratings write it) is read as 3.1.
pub fn v3(vector: &str) -> Result<V3, String> {
    let v = vector.trim();
    let full = if v.starts_with("CVSS:") {
        v.to_string()
    } else {
        format!("CVSS:3.1/{v}")
    };
    let parsed: cvss::v3::Vector = full
        .parse()
        .map_err(|e| format!("`{v}` is not a CVSS v3 vector: {e}"))?;
    let version = full
        .split('/')
        .next()
        .and_then(|p| p.strip_prefix("CVSS:"))
        .unwrap_or("3.1")
        .to_string();
    let base = parsed.base_score().value();
    Ok(V3 {
        version,
        vector: full,
        base_score: base,
        exploitability: round2(parsed.exploitability().value()),
        band: band(base),
    })
}

/// Scores a CVSS v4.0 vector.
pub fn v4(vector: &str) -> Result<V4, String> {
    let v = vector.trim();
    let parsed: cvss::v4::Vector = v
        .parse()
        .map_err(|e| format!("`{v}` is not a CVSS v4.0 vector: {e}"))?;
    let score = parsed.score().value();
    Ok(V4 {
        vector: v.to_string(),
        base_score: score,
        band: band(score),
    })
}

/// The exploitability level of a CVSS v3.1 exploitability sub-score (domain model 3.1): E5 from
/// 3.5, E4 from 2.8, E3 from 1.8, E2 from 0.9, E1 below.
pub fn level(exploitability: f64) -> u8 {
    if exploitability >= 3.5 {
        5
    } else if exploitability >= 2.8 {
        4
    } else if exploitability >= 1.8 {
        3
    } else if exploitability >= 0.9 {
        2
    } else {
        1
    }
}

/// An exploitability sub-score for a v4.0 vector, for advisories that give only v4: the v3.1
/// weights applied to the v4 base exploitability metrics (AV, AC, PR, UI; user interaction
/// passive or active weighs as v3's "required"; attack requirements present weigh as high
/// complexity). An estimate, and reported as one.
pub fn v4_exploitability(vector: &str) -> Option<f64> {
    let mut m = std::collections::HashMap::new();
    for part in vector.trim().split('/').skip(1) {
        let (k, v) = part.split_once(':')?;
        m.insert(k, v);
    }
    let av = match *m.get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let at_present = m.get("AT") == Some(&"P");
    let ac = match *m.get("AC")? {
        "L" if !at_present => 0.77,
        "L" | "H" => 0.44,
        _ => return None,
    };
    let pr = match *m.get("PR")? {
        "N" => 0.85,
        "L" => 0.62,
        "H" => 0.27,
        _ => return None,
    };
    let ui = match *m.get("UI")? {
        "N" => 0.85,
        "P" | "A" => 0.62,
        _ => return None,
    };
    Some(round2(8.22 * av * ac * pr * ui))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v31_examples_from_first() {
        // Base scores of the FIRST CVSS v3.1 examples and calculator.
        for (vector, base) in [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N", 5.4),
            ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:N/I:L/A:N", 3.6),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ] {
            let s = v3(vector).expect("parses");
            assert_eq!(s.base_score, base, "{vector}");
        }
        let s = v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("parses");
        assert_eq!(s.exploitability, 3.89);
        assert_eq!(s.band, "critical");
        assert_eq!(level(s.exploitability), 5);
    }

    #[test]
    fn v30_and_unprefixed() {
        let s = v3("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("3.0");
        assert_eq!((s.version.as_str(), s.base_score), ("3.0", 9.8));
        let s = v3("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").expect("no prefix");
        assert_eq!(s.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        assert!(v3("CVSS:3.1/AV:X").is_err());
    }

    #[test]
    fn levels_follow_the_domain_model() {
        // AV:N/AC:L/PR:L/UI:N = 2.84; AV:L/AC:L/PR:N/UI:N = 2.52; AV:P/AC:L/PR:N/UI:N = 0.91;
        // AV:P/AC:H/PR:H/UI:R = 0.12.
        let e = |v: &str| v3(v).expect("parses").exploitability;
        assert_eq!(level(e("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H")), 4);
        assert_eq!(level(e("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")), 3);
        assert_eq!(level(e("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")), 2);
        assert_eq!(level(e("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:H")), 1);
        assert_eq!(level(e("CVSS:3.1/AV:A/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H")), 3);
    }

    #[test]
    fn v4_scores_and_bands() {
        let s = v4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N").expect("v4");
        assert_eq!((s.base_score, s.band), (9.3, "critical"));
        // FIRST calculator values.
        for (vector, score) in [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
                8.7,
            ),
            (
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                8.5,
            ),
        ] {
            assert_eq!(v4(vector).expect("v4").base_score, score, "{vector}");
        }
        // The v4 vectors of GHSA-jfvp-7x6p-h2pv and GHSA-3pxv-7cmr-fjr4 (supplemental metrics
        // such as U:Green do not change the score).
        let s = v4("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N/U:Green")
            .expect("v4");
        assert_eq!((s.base_score, s.band), (4.8, "medium"));
        let s = v4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N").expect("v4");
        assert_eq!((s.base_score, s.band), (6.9, "medium"));
        assert_eq!(
            v4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N")
                .expect("v4")
                .band,
            "none"
        );
        assert!(v4("CVSS:3.1/AV:N").is_err());
        assert_eq!(
            v4_exploitability("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some(3.89)
        );
        assert_eq!(
            v4_exploitability("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some(2.22)
        );
        assert_eq!(band(0.0), "none");
        assert_eq!(band(3.9), "low");
        assert_eq!(band(4.0), "medium");
        assert_eq!(band(8.9), "high");
    }
}
