//! Software item rules (IEC 62304:2006+A1:2015): `swi-class`, `swi-decomposition`,
//! `swi-documented`.
//!
//! A software system (SWI, `level: system`) is decomposed into software items and those into
//! units (`parent`), each with a safety class A, B or C (4.3). Design inputs (software
//! requirements, 5.2), design outputs (architecture of a system or item, 5.3; detailed design
//! of a unit, 5.4) and verifications (unit verification of a unit 5.5, integration testing of an
//! item 5.6, system testing of a system 5.7) name the items they belong to in `software_item`;
//! the SWI is upstream, as a need is of its inputs. The level of the SWI a record names says
//! which activity of 62304 it is, so no further field is needed.
//!
//! The class a risk control implies comes from the initial severity of the hazardous situations
//! it controls: if the software that implements it fails, the control is gone and the situation
//! is back at its initial risk (4.3 a)). `policy.class_b_severity` and `class_c_severity` name the
//! levels of the risk management plan's severity scale that mean an injury and a serious injury.

use super::live::Live;
use super::Ctx;
use crate::record::Record;
use rustc_hash::{FxHashMap, FxHashSet};

pub(super) fn run(ctx: &mut Ctx<'_>) {
    let live = Live::new(
        ctx,
        &[
            "software-item",
            "design-input",
            "design-output",
            "verification",
            "risk-control",
            "hazardous-situation",
            "threat",
            "vulnerability",
        ],
    );
    swi_class(ctx, &live);
    swi_decomposition(ctx, &live);
    swi_documented(ctx, &live);
}

/// A safety class as a rank: A 1, B 2, C 3; `None` when absent or not a class (the structure
/// rules report it).
pub(crate) fn class_rank(r: &Record) -> Option<u8> {
    match r.str("safety_class")?.trim() {
        "A" => Some(1),
        "B" => Some(2),
        "C" => Some(3),
        _ => None,
    }
}

/// The letter of a class rank.
fn letter(rank: u8) -> &'static str {
    match rank {
        1 => "A",
        2 => "B",
        _ => "C",
    }
}

/// `SWI-003 (class B item)`.
fn label(r: &Record) -> String {
    format!(
        "{} (class {} {})",
        r.id,
        r.str("safety_class").unwrap_or("?"),
        r.str("level").unwrap_or("software item")
    )
}

/// Why a risk control implies a class: the worst hazardous situation it controls.
#[derive(Clone)]
struct Implied {
    rank: u8,
    hs: String,
    severity: usize,
}

/// The class risk control `rc` implies: from the highest initial `severity` of the hazardous
/// situations it mitigates, directly or through the threats and vulnerabilities they name.
fn rc_implies(ctx: &Ctx<'_>, live: &Live<'_>, rc: usize) -> Option<Implied> {
    let (corpus, graph) = (ctx.corpus, ctx.graph);
    let policy = &corpus.config.policy;
    let mut worst: Option<(usize, usize)> = None;
    let mut consider = |hs: usize| {
        if let Some(s) = crate::risk::level(&corpus.records[hs], "severity", 'S') {
            if worst.is_none_or(|(w, _)| s > w) {
                worst = Some((s, hs));
            }
        }
    };
    for t in graph.outbound(rc, "mitigates") {
        if live.is(t, "hazardous-situation") {
            consider(t);
        } else if live.is_any(t, &["threat", "vulnerability"]) {
            for hs in graph.inbound(t, "threats") {
                if live.is(hs, "hazardous-situation") {
                    consider(hs);
                }
            }
        }
    }
    let (severity, hs) = worst?;
    let rank = if severity >= policy.class_c_severity {
        3
    } else if severity >= policy.class_b_severity {
        2
    } else {
        1
    };
    Some(Implied {
        rank,
        hs: corpus.records[hs].id.clone(),
        severity,
    })
}

/// `swi-class`: a software item's class is not lower than the class the risk controls it
/// implements imply (IEC 62304 4.3 a)-c)). A control is implemented by the item when a design
/// input or output naming the item in `software_item` names the control in `implements_control`.
fn swi_class(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let (corpus, graph) = (ctx.corpus, ctx.graph);
    let mut memo: FxHashMap<usize, Option<Implied>> = FxHashMap::default();
    let mut found = Vec::new();
    for (i, swi) in live.all("software-item") {
        let Some(rank) = class_rank(swi) else {
            continue;
        };
        // The worst control: (implied, rc id, via record id).
        let mut worst: Option<(Implied, String, String)> = None;
        for via in graph.inbound(i, "software_item") {
            if !live.is_any(via, &["design-input", "design-output"]) {
                continue;
            }
            for rc in graph.outbound(via, "implements_control") {
                if !live.is(rc, "risk-control") {
                    continue;
                }
                let implied = memo
                    .entry(rc)
                    .or_insert_with(|| rc_implies(ctx, live, rc))
                    .clone();
                let Some(implied) = implied else { continue };
                if worst.as_ref().is_none_or(|(w, _, _)| implied.rank > w.rank) {
                    worst = Some((
                        implied,
                        corpus.records[rc].id.clone(),
                        corpus.records[via].id.clone(),
                    ));
                }
            }
        }
        if let Some((implied, rc, via)) = worst.filter(|(w, _, _)| w.rank > rank) {
            found.push((i, implied, rc, via));
        }
    }
    for (i, implied, rc, via) in found {
        let swi = &corpus.records[i];
        ctx.emit(
            "swi-class",
            swi,
            swi.index.value_pos("safety_class"),
            format!(
                "{} implements {rc} (through {via}), which controls {} of severity S{}: a failure of the software leaves that risk uncontrolled, so the item is at least class {} (IEC 62304 4.3)",
                label(swi),
                implied.hs,
                implied.severity,
                letter(implied.rank)
            ),
            &format!(
                "raise `safety_class` to {} and say why in `class_rationale`; `policy.class_b_severity` ({}) and `class_c_severity` ({}) in ddf.yaml name the severity levels that mean injury and serious injury",
                letter(implied.rank),
                corpus.config.policy.class_b_severity,
                corpus.config.policy.class_c_severity
            ),
        );
    }
}

/// The live SWI parents of SWI `i`.
fn parents(ctx: &Ctx<'_>, live: &Live<'_>, i: usize) -> Vec<usize> {
    ctx.graph
        .outbound(i, "parent")
        .filter(|&p| live.is(p, "software-item"))
        .collect()
}

/// The live SWI children of SWI `i`.
fn children(ctx: &Ctx<'_>, live: &Live<'_>, i: usize) -> Vec<usize> {
    ctx.graph
        .inbound(i, "parent")
        .filter(|&c| live.is(c, "software-item"))
        .collect()
}

/// `swi-decomposition`: system -> items -> units (IEC 62304 4.3 d)-e), 5.3.1, 5.4.1). A system
/// has no parent; an item and a unit have exactly one, which is not a unit. A parent contains
/// its children, so its class is not lower than theirs; a child below its parent's class states
/// the segregation that allows it (4.3 d), 5.3.5). Cycles are `cycle`'s to report.
fn swi_decomposition(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let mut found: Vec<(usize, &'static str, String, &'static str)> = Vec::new();
    for (i, swi) in live.all("software-item") {
        let ps = parents(ctx, live, i);
        let level = swi.str("level").unwrap_or("");
        let written = swi.links_of("parent").count();
        if level == "system" && written > 0 {
            found.push((
                i,
                "parent",
                format!("{} is a software system and names a `parent`", swi.id),
                "a system is the top of the decomposition: remove `parent`, or make it an `item`",
            ));
        }
        if matches!(level, "item" | "unit") && written == 0 {
            found.push((
                i,
                "level",
                format!(
                    "{} is a software {level} and names no `parent`: the system or item it is decomposed from",
                    swi.id
                ),
                "add `parent: [SWI-...]`, or make it the `system`",
            ));
        }
        if written > 1 {
            found.push((
                i,
                "parent",
                format!(
                    "{} names {written} parents; a software item is decomposed from one",
                    swi.id
                ),
                "keep one `parent`; an item shared by two is a SOUP or a library: record it as a CMP",
            ));
        }
        for p in ps {
            let parent = &corpus.records[p];
            if parent.str("level") == Some("unit") {
                found.push((
                    i,
                    "parent",
                    format!(
                        "{}'s parent {} is a software unit, which is not decomposed further (IEC 62304 5.4.1)",
                        swi.id, parent.id
                    ),
                    "make the parent an `item`, or name the item above it",
                ));
            }
            let (Some(c), Some(pc)) = (class_rank(swi), class_rank(parent)) else {
                continue;
            };
            if c > pc {
                found.push((
                    p,
                    "safety_class",
                    format!(
                        "{} is below its part {}: a software item contains its parts, so its class is not lower than theirs (IEC 62304 4.3)",
                        label(parent),
                        label(swi)
                    ),
                    "raise the parent's `safety_class`, or lower the part's with its rationale",
                ));
            } else if c < pc && !swi.has("segregation") {
                found.push((
                    i,
                    "safety_class",
                    format!(
                        "{} is below its parent {} and states no `segregation`: a part takes its parent's class unless it is segregated from it (IEC 62304 4.3 d), 5.3.5)",
                        label(swi),
                        label(parent)
                    ),
                    "say in `segregation` what keeps the part from contributing to the parent's hazardous situations, or raise its class",
                ));
            }
        }
    }
    for (i, field, msg, hint) in found {
        let r = &corpus.records[i];
        ctx.emit("swi-decomposition", r, r.index.value_pos(field), msg, hint);
    }
}

/// The records of `types` that name SWI `i` in `software_item`, live.
fn naming<'x>(
    ctx: &'x Ctx<'_>,
    live: &'x Live<'_>,
    i: usize,
    ty: &'static str,
) -> impl Iterator<Item = usize> + 'x {
    ctx.graph
        .inbound(i, "software_item")
        .filter(move |&j| live.is(j, ty))
}

/// `swi-documented`: the activities of IEC 62304 that the class of each item requires have their
/// records: software requirements and system testing for every class; the architecture and the
/// integration testing of every system and item of class B or C; for class C, items decomposed
/// into units, each with its detailed design and unit verification.
fn swi_documented(ctx: &mut Ctx<'_>, live: &Live<'_>) {
    let corpus = ctx.corpus;
    let passing = |j: usize| corpus.records[j].str("result") == Some("pass");
    let mut found = Vec::new();
    for (i, swi) in live.all("software-item") {
        let Some(class) = class_rank(swi) else {
            continue;
        };
        let has_do = naming(ctx, live, i, "design-output").next().is_some();
        let has_ver = naming(ctx, live, i, "verification").any(passing);
        let mut missing: Vec<&str> = Vec::new();
        match swi.str("level").unwrap_or("") {
            "system" => {
                // Requirements may be written for the system or for any of its parts.
                let mut seen = FxHashSet::default();
                let mut stack = vec![i];
                let mut has_di = false;
                while let Some(n) = stack.pop() {
                    if !seen.insert(n) {
                        continue;
                    }
                    if naming(ctx, live, n, "design-input").next().is_some() {
                        has_di = true;
                        break;
                    }
                    stack.extend(children(ctx, live, n));
                }
                if !has_di {
                    missing.push(
                        "software requirements: a design input naming it or one of its items (5.2)",
                    );
                }
                if class >= 2 && !has_do {
                    missing.push("an architecture: a design output naming it (5.3)");
                }
                if !has_ver {
                    missing.push("system testing: a passing verification naming it (5.7)");
                }
            }
            "item" => {
                if class >= 2 && !has_do {
                    missing.push("its architecture: a design output naming it (5.3)");
                }
                if class >= 2 && !has_ver {
                    missing.push("integration testing: a passing verification naming it (5.6)");
                }
                if class == 3
                    && !children(ctx, live, i)
                        .into_iter()
                        .any(|c| corpus.records[c].str("level") == Some("unit"))
                {
                    missing.push("software units: a class C item is refined into units (5.4.1)");
                }
            }
            "unit" => {
                if class == 3 && !has_do {
                    missing.push("a detailed design: a design output naming it (5.4.2)");
                }
                if class == 3 && !has_ver {
                    missing.push("unit verification: a passing verification naming it (5.5.5)");
                }
            }
            _ => {}
        }
        if !missing.is_empty() {
            found.push((i, missing));
        }
    }
    for (i, missing) in found {
        let swi = &corpus.records[i];
        ctx.emit(
            "swi-documented",
            swi,
            swi.index.value_pos("safety_class"),
            format!(
                "{} lacks what IEC 62304 requires of its class: {}",
                label(swi),
                missing.join("; ")
            ),
            "records name the software item they belong to in `software_item` (docs/schema.md, Software items)",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{fired, messages, rec, run, run_with};

    fn swi(id: &str, level: &str, class: &str, extra: &str) -> String {
        rec(
            "software-item",
            id,
            &format!("description: d\nlevel: {level}\nsafety_class: {class}\nclass_rationale: r\n{extra}"),
        )
    }

    fn hs(id: &str, sev: &str) -> String {
        rec(
            "hazardous-situation",
            id,
            &format!("sequence_of_events: s\nassessment: safety\nseverity: {sev}\nprobability: P2\nresidual_severity: {sev}\nresidual_probability: P1\npolicy_rev: A\n"),
        )
    }

    fn rc(id: &str, mitigates: &str) -> String {
        rec(
            "risk-control",
            id,
            &format!("description: d\noption: inherent-design\nkind: safety\nnew_risks: []\nmitigates: [{mitigates}]\n"),
        )
    }

    fn di(id: &str, extra: &str) -> String {
        rec(
            "design-input",
            id,
            &format!("statement: s\ncategory: functional\nacceptance_criteria: a\n{extra}"),
        )
    }

    fn dout(id: &str, extra: &str) -> String {
        rec(
            "design-output",
            id,
            &format!("description: d\noutput_kind: source\nessential: true\n{extra}"),
        )
    }

    fn ver(id: &str, result: &str, extra: &str) -> String {
        rec(
            "verification",
            id,
            &format!("method: test\nacceptance_criteria: a\nresult: {result}\nexecuted_on: 2026-01-01\nbaseline: v1\nevidence: e\n{extra}"),
        )
    }

    #[test]
    fn class_follows_the_worst_controlled_severity() {
        let mut r = vec![
            swi("SWI-001", "system", "B", ""),
            hs("HS-001", "S4"),
            rc("RC-001", "HS-001"),
            dout(
                "DO-001",
                "implements_control: [RC-001]\nsoftware_item: [SWI-001]\n",
            ),
        ];
        let d = run(&r);
        let m = messages(&d, "swi-class", "SWI-001");
        assert_eq!(m.len(), 1, "{d:?}");
        assert!(m[0].contains("RC-001 (through DO-001)"), "{m:?}");
        assert!(m[0].contains("HS-001 of severity S4"), "{m:?}");
        assert!(m[0].contains("at least class C"), "{m:?}");
        // Class C is enough; so is B once the severity is below the class-C level.
        r[0] = swi("SWI-001", "system", "C", "");
        assert!(fired(&run(&r), "swi-class", "SWI-001").is_empty());
        r[0] = swi("SWI-001", "system", "B", "");
        r[1] = hs("HS-001", "S3");
        assert!(fired(&run(&r), "swi-class", "SWI-001").is_empty());
        // The policy moves the threshold.
        let d = run_with("project: test\npolicy: { class_c_severity: 3 }\n", &r);
        assert_eq!(fired(&d, "swi-class", "SWI-001").len(), 1);
    }

    #[test]
    fn class_reaches_through_threats() {
        let r = vec![
            swi("SWI-001", "system", "A", ""),
            rec(
                "hazardous-situation",
                "HS-001",
                "sequence_of_events: s\nassessment: security\nseverity: S2\nexploitability: E2\nresidual_severity: S2\nresidual_exploitability: E1\npolicy_rev: A\nthreats: [THR-001]\n",
            ),
            rec(
                "threat",
                "THR-001",
                "asset: a\nthreat_source: t\nattack_vector: network\nentry_point: e\nviews: [global-system]\nexploitability: E2\nresidual_exploitability: E1\ndisposition: patient-harm\n",
            ),
            rc("RC-001", "THR-001"),
            di(
                "DI-001",
                "implements_control: [RC-001]\nsoftware_item: [SWI-001]\n",
            ),
        ];
        let m = messages(&run(&r), "swi-class", "SWI-001")
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("at least class B"), "{m:?}");
    }

    #[test]
    fn decomposition_is_sane() {
        let r = vec![
            swi("SWI-001", "system", "B", "parent: [SWI-002]\n"),
            swi("SWI-002", "item", "C", ""),
            swi("SWI-003", "unit", "A", "parent: [SWI-004]\n"),
            swi(
                "SWI-004",
                "unit",
                "A",
                "parent: [SWI-002]\nsegregation: s\n",
            ),
        ];
        let d = run(&r);
        let m = |id| messages(&d, "swi-decomposition", id).join(" | ");
        assert!(m("SWI-001").contains("is a software system and names a `parent`"));
        // SWI-001 (B) under SWI-002 (C) without a segregation rationale.
        assert!(
            m("SWI-001").contains("states no `segregation`"),
            "{}",
            m("SWI-001")
        );
        assert!(m("SWI-002").contains("names no `parent`"));
        assert!(m("SWI-003").contains("is a software unit, which is not decomposed"));
        // SWI-004 is below SWI-002 with a segregation rationale: fine on that count.
        assert!(m("SWI-004").is_empty(), "{}", m("SWI-004"));
        let r = vec![
            swi("SWI-001", "system", "C", ""),
            swi("SWI-002", "item", "B", "parent: [SWI-001]\n"),
        ];
        let d = run(&r);
        assert!(messages(&d, "swi-decomposition", "SWI-002")[0].contains("states no `segregation`"));
        assert!(fired(&d, "swi-decomposition", "SWI-001").is_empty());
        // A system below its part is reported on the system.
        let r = vec![
            swi("SWI-001", "system", "B", ""),
            swi("SWI-002", "item", "C", "parent: [SWI-001]\n"),
        ];
        let d = run(&r);
        assert!(messages(&d, "swi-decomposition", "SWI-001")[0].contains("below its part SWI-002"));
        assert!(fired(&d, "swi-decomposition", "SWI-002").is_empty());
    }

    #[test]
    fn documentation_scales_with_the_class() {
        // Class A: requirements and system testing only.
        let mut r = vec![
            swi("SWI-001", "system", "A", ""),
            swi("SWI-002", "item", "A", "parent: [SWI-001]\n"),
            di("DI-001", "software_item: [SWI-002]\n"),
            ver("VER-001", "pass", "software_item: [SWI-001]\n"),
        ];
        let d = run(&r);
        assert!(fired(&d, "swi-documented", "SWI-001").is_empty(), "{d:?}");
        assert!(fired(&d, "swi-documented", "SWI-002").is_empty());
        r[3] = ver("VER-001", "fail", "software_item: [SWI-001]\n");
        let d = run(&r);
        assert!(messages(&d, "swi-documented", "SWI-001")[0].contains("system testing"));
        // Class B: + architecture and integration testing.
        let r = vec![
            swi("SWI-001", "system", "B", ""),
            swi("SWI-002", "item", "B", "parent: [SWI-001]\n"),
            di("DI-001", "software_item: [SWI-002]\n"),
            ver("VER-001", "pass", "software_item: [SWI-001]\n"),
        ];
        let d = run(&r);
        assert!(messages(&d, "swi-documented", "SWI-001")[0].contains("an architecture"));
        let m = messages(&d, "swi-documented", "SWI-002")[0];
        assert!(
            m.contains("its architecture") && m.contains("integration testing"),
            "{m}"
        );
        assert!(!m.contains("units"), "{m}");
        // Class C: + units, each with a detailed design and unit verification.
        let r = vec![
            swi("SWI-001", "system", "C", ""),
            swi("SWI-002", "item", "C", "parent: [SWI-001]\n"),
            swi("SWI-003", "unit", "C", "parent: [SWI-002]\n"),
            di("DI-001", "software_item: [SWI-002]\n"),
            dout("DO-001", "software_item: [SWI-001, SWI-002]\n"),
            ver("VER-001", "pass", "software_item: [SWI-001, SWI-002]\n"),
        ];
        let d = run(&r);
        assert!(fired(&d, "swi-documented", "SWI-001").is_empty());
        assert!(fired(&d, "swi-documented", "SWI-002").is_empty());
        let m = messages(&d, "swi-documented", "SWI-003")[0];
        assert!(
            m.contains("detailed design") && m.contains("unit verification"),
            "{m}"
        );
        let mut r = r;
        r.remove(2);
        let d = run(&r);
        assert!(messages(&d, "swi-documented", "SWI-002")[0].contains("software units"));
    }
}
