//! Intended use, foreseeable misuse and interoperability (ISO 14971 5.2; FDA premarket
//! cybersecurity guidance V.A.3): `use-documented`.
//!
//! Once the DDF has a release of the device (a live REL), its risk analysis rests on a documented
//! intended use and reasonably foreseeable misuse (14971 5.2), and a cyber device
//! (`cyber_device: true`) on its interoperability considerations (guidance V.A.3): each is a DOC
//! of that `doc_type`. The release gate asks them approved (`use-docs`).

use super::Ctx;
use crate::record::Record;

/// The documents every device release needs, and those a cyber device's release needs too:
/// (doc_type, what it is).
pub const USE_DOCS: &[(&str, &str, bool)] = &[
    (
        "intended-use",
        "intended use and its characteristics related to safety (ISO 14971 5.2)",
        false,
    ),
    (
        "foreseeable-misuse",
        "reasonably foreseeable misuse (ISO 14971 5.2)",
        false,
    ),
    (
        "interoperability",
        "interoperability considerations (FDA cybersecurity guidance V.A.3)",
        true,
    ),
];

/// The doc types of [`USE_DOCS`] that releases `rels` need and `has` does not give, with their
/// descriptions.
pub fn missing_use_docs(
    rels: &[&Record],
    has: impl Fn(&str) -> bool,
) -> Vec<(&'static str, &'static str)> {
    let cyber = rels.iter().any(|r| r.flag("cyber_device"));
    USE_DOCS
        .iter()
        .filter(|(_, _, only_cyber)| cyber || !only_cyber)
        .filter(|(t, _, _)| !has(t))
        .map(|(t, what, _)| (*t, *what))
        .collect()
}

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let rels: Vec<&Record> = ctx.of_type("release").map(|(_, r)| r).collect();
    // The finding goes on the newest release (last in id order), where the release manager looks.
    let Some(newest) = rels.iter().max_by(|a, b| a.id.cmp(&b.id)).copied() else {
        return;
    };
    let docs: Vec<&Record> = ctx.of_type("document").map(|(_, r)| r).collect();
    let missing = missing_use_docs(&rels, |t| docs.iter().any(|d| d.str("doc_type") == Some(t)));
    if missing.is_empty() {
        return;
    }
    ctx.emit(
        "use-documented",
        newest,
        None,
        format!(
            "the DDF releases the device ({}) and has no document of {}",
            newest.id,
            missing
                .iter()
                .map(|(t, what)| format!("`doc_type: {t}` ({what})"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "`ddf new document` and set `doc_type`; the risk analysis and the release gate rest on them",
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{messages, rec, run};

    fn rel(cyber: bool) -> String {
        rec(
            "release",
            "REL-001",
            &format!("version: 1.0\ntag: v1.0\ncommit: abc\nsbom: [a.json]\ntransfer: t\noverall_residual_risk: o\nrm_review: r\ncyber_device: {cyber}\nsupport_end: 2030-01-01\nfielded: false\nstatus: draft\n"),
        )
    }

    fn doc(id: &str, t: &str) -> String {
        rec(
            "document",
            id,
            &format!("doc_type: {t}\neffective: 2026-01-01\nreview_due: 2027-01-01\n"),
        )
    }

    #[test]
    fn a_release_needs_intended_use_and_misuse_and_a_cyber_one_interoperability() {
        assert!(messages(&run(&[]), "use-documented", "REL-001").is_empty());
        let d = run(&[rel(false)]);
        let m = messages(&d, "use-documented", "REL-001");
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("intended-use") && m[0].contains("foreseeable-misuse"));
        assert!(!m[0].contains("interoperability"), "{m:?}");
        let r = [
            rel(true),
            doc("DOC-001", "intended-use"),
            doc("DOC-002", "foreseeable-misuse"),
        ];
        let m = messages(&run(&r), "use-documented", "REL-001").join("");
        assert!(
            m.contains("interoperability") && !m.contains("intended-use"),
            "{m}"
        );
        let r = [
            rel(true),
            doc("DOC-001", "intended-use"),
            doc("DOC-002", "foreseeable-misuse"),
            doc("DOC-003", "interoperability"),
        ];
        assert!(messages(&run(&r), "use-documented", "REL-001").is_empty());
    }
}
