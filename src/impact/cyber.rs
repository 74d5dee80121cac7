//! The cybersecurity classification of a change (domain model 4.2): `may-impact` when the change
//! touches any of (a) a cyber-relevant record, (b) an artifact under the security globs, (c) a
//! connectivity or interface input, (d) the SBOM, (e) the update mechanism; otherwise
//! `unlikely-to-impact`. Every reason is listed, so a reviewer sees why, not just the verdict.

use super::{ChangeKind, Changed, Side};
use crate::record::Record;
use serde::Serialize;
use std::collections::BTreeSet;

/// The proposed class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CyberClass {
    /// The change touches something security-relevant.
    MayImpact,
    /// Nothing security-relevant was touched.
    UnlikelyToImpact,
}

impl CyberClass {
    /// The value written in a CR's `cyber_impact`.
    pub fn label(self) -> &'static str {
        match self {
            CyberClass::MayImpact => "may-impact",
            CyberClass::UnlikelyToImpact => "unlikely-to-impact",
        }
    }
}

/// Path components that name the update mechanism (e), matched case-insensitively against each
/// folder and file stem of a changed file. There is no configuration for it yet, so the net is
/// cast wide: a false "may impact" costs a review, a missed one costs a wrong submission decision.
const UPDATE_WORDS: [&str; 6] = [
    "update",
    "updater",
    "ota",
    "bootloader",
    "fwupdate",
    "upgrade",
];

fn is_update_path(path: &str) -> bool {
    path.split('/').any(|part| {
        let stem = part.split('.').next().unwrap_or(part).to_ascii_lowercase();
        stem.split(['-', '_']).any(|w| UPDATE_WORDS.contains(&w))
    })
}

/// Why one version of a record is cyber-relevant (a, c, e), if it is.
fn record_reasons(r: &Record) -> Vec<String> {
    let mut out = Vec::new();
    let cat = r.text("security_category");
    if r.flag("cyber") {
        out.push("(a) marked `cyber: true`".to_string());
    }
    if let Some(c) = &cat {
        out.push(format!("(a) has security_category {c}"));
    }
    match r.type_name.as_str() {
        "risk-control" if matches!(r.str("kind"), Some("security" | "both")) => {
            out.push(format!(
                "(a) a security risk control (kind {})",
                r.text("kind").unwrap_or_default()
            ));
        }
        "threat" => out.push("(a) a threat".into()),
        "vulnerability" => out.push("(a) a vulnerability".into()),
        "document"
            if matches!(
                r.str("doc_type"),
                Some("threat-model" | "architecture-view")
            ) =>
        {
            out.push(format!(
                "(a) a {} document",
                r.str("doc_type").unwrap_or_default()
            ));
        }
        "design-input" if r.str("category") == Some("interface") => {
            out.push("(c) a connectivity / interface design input".into());
        }
        "component" => out.push("(d) a component of the SBOM".into()),
        _ => {}
    }
    if cat.as_deref() == Some("updatability-patchability")
        || (r.type_name == "threat" && r.str("attack_vector") == Some("update-path"))
    {
        out.push("(e) part of the update mechanism".into());
    }
    out
}

/// Classifies the change; reasons are sorted and deduplicated.
pub(super) fn classify(
    base: &Side<'_>,
    head: &Side<'_>,
    changed: &[Changed],
    changed_files: &[String],
    sboms: &[super::SbomChange],
) -> (CyberClass, Vec<String>) {
    let mut reasons: BTreeSet<String> = BTreeSet::new();
    for c in changed {
        // Both versions count: removing `cyber: true` or a threat is a security change too.
        let mut why: BTreeSet<String> = BTreeSet::new();
        if c.change != ChangeKind::Added {
            if let Some(r) = base.corpus.get(&c.id) {
                why.extend(record_reasons(r));
            }
        }
        if c.change != ChangeKind::Removed {
            if let Some(r) = head.corpus.get(&c.id) {
                why.extend(record_reasons(r));
            }
        }
        let verb = format!("{:?}", c.change).to_lowercase();
        for w in why {
            reasons.insert(format!("{w}: {} {verb}", c.id));
        }
    }

    // (b) security globs, relative to the repository top like `artifacts`.
    let globs = &head.corpus.config.security_globs;
    if !globs.is_empty() {
        if let Some(set) = super::glob_set(globs) {
            for f in changed_files.iter().filter(|f| set.is_match(f.as_str())) {
                reasons.insert(format!("(b) {f} changed, under the security globs"));
            }
        }
    }

    // (d) the SBOM delta.
    for c in sboms {
        reasons.insert(format!("(d) SBOM {} changed: {}", c.path, c.summary()));
    }
    for f in changed_files {
        // (e) the update mechanism, by path.
        if is_update_path(f) {
            reasons.insert(format!("(e) {f} changed, on the update path"));
        }
    }

    let class = if reasons.is_empty() {
        CyberClass::UnlikelyToImpact
    } else {
        CyberClass::MayImpact
    };
    (class, reasons.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::is_update_path;

    #[test]
    fn update_paths_are_recognised_by_component() {
        assert!(is_update_path("src/ota/client.c"));
        assert!(is_update_path("fw/bootloader.c"));
        assert!(is_update_path("src/fw_update.rs"));
        assert!(!is_update_path("src/updated_at.rs"));
        assert!(!is_update_path("src/pump/dose.c"));
    }
}
