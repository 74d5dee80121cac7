//! Postmarket and quality-system trace rules: `signal-closed-loop`, `capa-effective`,
//! `vuln-reportable`, `mr-complete`, `mr-snapshot`, `doc-review-due`, and the closed-record half
//! of `status-signed`.
//!
//! They check that feedback and complaints are evaluated, investigated and decided for
//! reportability (ISO 13485 8.2.1-8.2.3; 21 CFR 820.35(a)), that a CAPA closes only once its
//! effectiveness and lack of adverse effect are shown (8.5.2 e-f), that a vulnerability affecting
//! fielded devices with patient-safety impact has a 21 CFR 806 decision, that management review
//! covers its required inputs and outputs, happens on schedule and cites a snapshot that is what
//! it says (5.6), that controlled documents are reviewed when due (4.2.4), and that with history a
//! closed CR, CAPA or SIG is signed like an approved record (21 CFR 11.70).

use super::Ctx;
use crate::config::CONFIG_FILE;
use crate::corpus::Corpus;
use crate::date::Date;
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::record::{is_given, scalar_text, Record};
use serde_yaml::Value;

pub(super) fn run(ctx: &mut Ctx<'_>) {
    signal_closed_loop(ctx);
    capa_effective(ctx);
    vuln_reportable(ctx);
    mr_complete(ctx);
    mr_snapshot(ctx);
    doc_review_due(ctx);
}

/// ISO 13485:2016 5.6.2 review inputs, by key.
const MR_INPUTS: [(&str, &str); 12] = [
    ("a", "feedback"),
    ("b", "complaint handling"),
    ("c", "reporting to regulatory authorities"),
    ("d", "audits"),
    ("e", "monitoring and measurement of processes"),
    ("f", "monitoring and measurement of product"),
    ("g", "corrective action"),
    ("h", "preventive action"),
    ("i", "follow-up actions from previous management reviews"),
    (
        "j",
        "changes that could affect the quality management system",
    ),
    ("k", "recommendations for improvement"),
    ("l", "applicable new or revised regulatory requirements"),
];

/// ISO 13485:2016 5.6.3 review outputs, by key.
const MR_OUTPUTS: [(&str, &str); 4] = [
    (
        "a",
        "improvement needed to keep the QMS and its processes suitable, adequate and effective",
    ),
    (
        "b",
        "improvement of product related to customer requirements",
    ),
    (
        "c",
        "changes needed to respond to new or revised regulatory requirements",
    ),
    ("d", "resources needed"),
];

/// Whether the structure rules already report `field` when it is missing (the schema, as the
/// project layered it, requires it): then a trace rule does not report it a second time.
fn schema_requires(corpus: &Corpus, ty: &str, field: &str) -> bool {
    corpus
        .config
        .schema
        .get(ty)
        .and_then(|t| t.fields.get(field))
        .is_some_and(|f| f.required)
}

/// `1 day` / `3 days`.
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// `a, b and c` / `a and b` / `a`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `signal-closed-loop`: once a signal leaves `open` it is evaluated and decided for
/// reportability; a complaint also carries what 21 CFR 820.35(a) requires of its record.
fn signal_closed_loop(ctx: &mut Ctx<'_>) {
    let corpus = ctx.corpus;
    for (_, r) in ctx.of_type("signal") {
        // An open signal is still being handled; a missing status is the structure rules' to report.
        if matches!(r.status(), "" | "open") {
            continue;
        }
        let mut missing: Vec<String> = Vec::new();
        let mut keys: Vec<&str> = Vec::new();
        let complaint = r.str("kind") == Some("complaint");
        let investigated = r.has("investigation") || r.has("justification");
        if complaint {
            // 820.35(a): a complaint is investigated, or the reason for not investigating recorded.
            if !investigated {
                missing
                    .push("an `investigation` (or a `justification` for not investigating)".into());
                keys.push("investigation");
            }
        } else if !investigated && !r.has("evaluation") {
            missing.push("an `evaluation`, `investigation` or `justification`".into());
            keys.push("evaluation");
        }
        if !r.has("reportable") {
            missing.push("a `reportable` decision".into());
            keys.push("reportable");
        }
        if !r.has("reportable_rationale") {
            missing.push("a `reportable_rationale`".into());
            keys.push("reportable_rationale");
        }
        if complaint {
            for f in ["received", "device_id", "complainant_ref", "reply"] {
                if !r.has(f) && !schema_requires(corpus, "signal", f) {
                    missing.push(format!("`{f}`"));
                    keys.push(f);
                }
            }
        }
        if missing.is_empty() {
            continue;
        }
        let what = if complaint { "complaint" } else { "signal" };
        let msg = format!(
            "{} is a {what} in status {}, but lacks {}",
            r.id,
            r.status(),
            and_list(&missing)
        );
        let mut hint = format!(
            "add {}",
            keys.iter()
                .map(|k| format!("`{k}:`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if keys.contains(&"reportable") {
            hint.push_str(" (`reportable` is mdr-803, part-806 or none)");
        }
        if keys.contains(&"complainant_ref") {
            hint.push_str("; `complainant_ref` points into the PII store, never to personal data");
        }
        hint.push_str("; until then keep `status: open`");
        ctx.emit(
            "signal-closed-loop",
            r,
            r.index.value_pos("status"),
            msg,
            &hint,
        );
    }
}

/// `capa-effective`: a CAPA closes only once its effectiveness has been reviewed and the
/// action shown not to harm the device (ISO 13485 8.5.2 e, f).
fn capa_effective(ctx: &mut Ctx<'_>) {
    for (_, r) in ctx.of_type("capa") {
        if r.status() != "closed" && !r.has("closed") {
            continue;
        }
        let missing: Vec<String> = ["effectiveness", "no_adverse_effect"]
            .into_iter()
            .filter(|f| !r.has(f))
            .map(|f| format!("`{f}`"))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let msg = format!("{} is closed but has no {}", r.id, missing.join(" nor "));
        let hint = "record `effectiveness:` (the review of whether the action worked, 8.5.2 f) and `no_adverse_effect:` (the verification that it does not harm the device, 8.5.2 e); until then keep the CAPA at `status: effectiveness-check` without a `closed` date";
        let pos = r
            .index
            .value_pos("closed")
            .or_else(|| r.index.value_pos("status"));
        ctx.emit("capa-effective", r, pos, msg, hint);
    }
}

/// The keys of `wanted` that the mapping field `field` of `r` does not cover with a value;
/// `None` when the field is absent or not a mapping (the structure rules report that).
fn uncovered(
    r: &Record,
    field: &str,
    wanted: &[(&'static str, &'static str)],
) -> Option<Vec<(&'static str, &'static str)>> {
    let Some(Value::Mapping(m)) = r.get(field) else {
        return None;
    };
    // Keys are `a`..`l`; `a)` and `A` are read the same, as people copy them from the standard.
    let given: Vec<String> = m
        .iter()
        .filter(|(_, v)| is_given(v))
        .filter_map(|(k, _)| scalar_text(k))
        .map(|k| k.trim().trim_end_matches(')').to_ascii_lowercase())
        .collect();
    Some(
        wanted
            .iter()
            .copied()
            .filter(|(k, _)| !given.iter().any(|g| g == k))
            .collect(),
    )
}

/// `mr-complete`: the latest management review covers 5.6.2 a-l and 5.6.3 a-d, and the next
/// one is not overdue (ISO 13485 5.6). A DDF with no management review at all is overdue once its
/// quality system has been in force for a planned interval: from the earliest `effective` date
/// of an approved DOC.
fn mr_complete(ctx: &mut Ctx<'_>) {
    let today = ctx.today;
    let interval = ctx.corpus.config.policy.review_interval_days;
    let mut latest: Option<(Date, &Record)> = None;
    for (_, r) in ctx.of_type("management-review") {
        // A missing or malformed date is reported by the structure rules; such an MR cannot be
        // placed in time. On equal dates the later file wins, so the choice is deterministic.
        if let Some(d) = r.text("date").and_then(|s| Date::parse(&s)) {
            if latest.is_none_or(|(l, _)| d >= l) {
                latest = Some((d, r));
            }
        }
    }
    let Some((date, r)) = latest else {
        no_review(ctx, interval);
        return;
    };
    let sections = [
        ("inputs", "5.6.2", &MR_INPUTS[..]),
        ("outputs", "5.6.3", &MR_OUTPUTS[..]),
    ];
    for (field, clause, wanted) in sections {
        let Some(missing) = uncovered(r, field, wanted) else {
            continue;
        };
        if missing.is_empty() {
            continue;
        }
        let items: Vec<String> = missing
            .iter()
            .map(|(k, what)| format!("{k}) {what}"))
            .collect();
        let msg = format!(
            "{}, the latest management review ({date}), does not cover ISO 13485 {clause} {} in `{field}`",
            r.id,
            and_list(&items)
        );
        let keys: Vec<String> = missing.iter().map(|(k, _)| format!("`{k}:`")).collect();
        let hint = format!(
            "add {} under `{field}`, each saying what was reviewed or decided",
            keys.join(", ")
        );
        ctx.emit("mr-complete", r, r.index.key_pos(field), msg, &hint);
    }
    let due = date.add_days(interval);
    if today > due {
        let msg = format!(
            "the latest management review, {} of {date}, is {} old; the planned interval is {interval} days (policy.review_interval_days), so the next was due on {due}",
            r.id,
            days(today.days_since(date))
        );
        let hint = "hold the management review and record it as a new MR (`ddf new management-review`), with `follow_up_of` naming this one";
        ctx.emit("mr-complete", r, r.index.value_pos("date"), msg, hint);
    }
}

/// Part of `mr-complete`: no management review is recorded at all. The quality system is taken
/// to be in force from the earliest `effective` date of an approved DOC; a planned interval
/// after that the first review is due. With no such document there is no date to measure from
/// (and the plans' own rules report their absence).
fn no_review(ctx: &mut Ctx<'_>, interval: i64) {
    let start = ctx
        .of_type("document")
        .filter(|(_, d)| d.status() == "approved")
        .filter_map(|(_, d)| {
            d.text("effective")
                .and_then(|s| Date::parse(&s))
                .map(|e| (e, d.id.clone()))
        })
        .min();
    let Some((start, doc)) = start else { return };
    let due = start.add_days(interval);
    if ctx.today <= due {
        return;
    }
    let msg = format!(
        "no management review is recorded: the quality system is in force since {start} ({doc} effective), and with the planned interval of {interval} days (policy.review_interval_days) the first was due on {due}"
    );
    let pos = ctx.config().key_pos.get("policy").copied();
    ctx.push(
        Diagnostic::new("mr-complete", CONFIG_FILE, msg)
            .at(Some(pos.unwrap_or(Pos::new(1, 1))))
            .severity(Severity::Warning)
            .hint("hold the management review (ISO 13485 5.6) and record it as an MR (`ddf new management-review`), with the snapshot of `ddf review` in `inputs.snapshot`"),
    );
}

/// Where an MR's `inputs.snapshot` says the snapshot is, and its hash.
#[derive(Debug, Default, PartialEq, Eq)]
struct Citation {
    /// The file, relative to the DDF root.
    file: Option<String>,
    /// The cited SHA-256, lower case.
    sha256: Option<String>,
}

/// Reads `inputs.snapshot`: a mapping `{file, sha256}`, or text such as `reviews/mr-2026.json
/// (ddf review 2025-10-01..2026-09-30 at 2e7d0b1, sha256 5c1e...)`, where the file is the first
/// word ending in `.json`, `.md` or `.html` and the hash the 64 hex digits after `sha256`.
fn citation(v: &Value) -> Citation {
    if let Value::Mapping(m) = v {
        let get = |k: &str| {
            m.get(Value::String(k.into()))
                .and_then(scalar_text)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        return Citation {
            file: get("file"),
            sha256: get("sha256").map(|s| s.to_ascii_lowercase()),
        };
    }
    let text = scalar_text(v).unwrap_or_default();
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| "\"'`()[],;".contains(c)))
        .collect();
    let file = words
        .iter()
        .find(|w| {
            let l = w.to_ascii_lowercase();
            l.ends_with(".json") || l.ends_with(".md") || l.ends_with(".html")
        })
        .map(|w| w.to_string());
    let sha256 = words
        .iter()
        .enumerate()
        .filter(|(_, w)| {
            w.eq_ignore_ascii_case("sha256")
                || w.to_ascii_lowercase().starts_with("sha256:")
                || w.to_ascii_lowercase().starts_with("sha256=")
        })
        .find_map(|(i, w)| {
            let inline = w.get(7..).filter(|h| !h.is_empty());
            let h = inline.or_else(|| words.get(i + 1).copied())?;
            (h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
                .then(|| h.to_ascii_lowercase())
        });
    Citation { file, sha256 }
}

/// The snapshot files the management reviews cite, relative to the DDF root: what
/// [`Corpus::load`] reads beside the records for `mr-snapshot`. Paths that would leave the DDF
/// root are left out (the rule reports them).
pub fn mr_snapshot_files(corpus: &Corpus) -> Vec<String> {
    let mut out: Vec<String> = corpus
        .records_of("management-review")
        .iter()
        .filter_map(|&i| corpus.records[i].get("inputs")?.get("snapshot"))
        .filter_map(|v| citation(v).file)
        .filter(|f| crate::sbom::is_safe_relative(f))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `mr-snapshot`: the snapshot an MR cites in `inputs.snapshot` is a file of the repository
/// (read from the same checkout or commit as the records) and has the cited SHA-256: for a JSON
/// snapshot of `ddf review`, the content hash it states and that recomputing gives (so an edited
/// snapshot fails); for any other file, the SHA-256 of its bytes (ISO 13485 5.6.2, 4.2.5: the
/// record shows what was reviewed).
fn mr_snapshot(ctx: &mut Ctx<'_>) {
    let corpus = ctx.corpus;
    for (_, r) in ctx.of_type("management-review") {
        let Some(v) = r.get("inputs").and_then(|i| i.get("snapshot")) else {
            continue;
        };
        if !is_given(v) {
            continue;
        }
        let pos = r.index.token_pos("inputs", "snapshot");
        let c = citation(v);
        let cite_hint = "cite the saved snapshot as `snapshot: \"<file> (..., sha256 <hash>)\"` or `snapshot: { file: <file>, sha256: <hash> }`; `ddf review --format json --out reviews/snapshots/mr-YYYY.json` writes one and prints the line";
        let Some(file) = c.file else {
            let msg = format!(
                "{} cites a snapshot in `inputs.snapshot` but names no snapshot file (a path ending in .json, .md or .html)",
                r.id
            );
            ctx.emit("mr-snapshot", r, pos, msg, cite_hint);
            continue;
        };
        let Some(cited) = c.sha256 else {
            let msg = format!(
                "{} cites snapshot {file} without its sha256, so what was reviewed cannot be shown",
                r.id
            );
            ctx.emit("mr-snapshot", r, pos, msg, cite_hint);
            continue;
        };
        if !crate::sbom::is_safe_relative(&file) {
            let msg = format!(
                "{} cites snapshot `{file}`, which is not a path inside the DDF root",
                r.id
            );
            ctx.emit(
                "mr-snapshot",
                r,
                pos,
                msg,
                "keep the snapshot in the repository, below the DDF root, and cite its path relative to it",
            );
            continue;
        }
        let bytes = match corpus.attachments.get(&file) {
            Some(Ok(Some(b))) => b,
            Some(Err(e)) => {
                let msg = format!("{} cites snapshot {file}, which cannot be read: {e}", r.id);
                ctx.emit(
                    "mr-snapshot",
                    r,
                    pos,
                    msg,
                    "make the snapshot a regular file of the repository",
                );
                continue;
            }
            _ => {
                let msg = format!(
                    "{} cites snapshot {file}, which does not exist in {}",
                    r.id,
                    if corpus.source == "worktree" {
                        "the working tree".to_string()
                    } else {
                        format!("commit {}", corpus.source)
                    }
                );
                ctx.emit(
                    "mr-snapshot",
                    r,
                    pos,
                    msg,
                    "commit the snapshot the review used at that path (`ddf review --format json --out <file>`), or correct the path",
                );
                continue;
            }
        };
        let file_hash = crate::review::sha256_hex(bytes);
        if file_hash == cited {
            continue;
        }
        let is_json = file.to_ascii_lowercase().ends_with(".json");
        let msg = match crate::review::sealed_hash(bytes) {
            Ok((stated, computed)) if stated == computed && stated == cited => continue,
            Ok((stated, computed)) if stated != computed => format!(
                "{} cites snapshot {file}, whose content no longer matches the hash it states ({stated}; its content gives {computed}): the file was edited after `ddf review` wrote it",
                r.id
            ),
            Ok((stated, _)) => format!(
                "{} cites snapshot {file} with sha256 {cited}, but the snapshot's content hash is {stated}",
                r.id
            ),
            Err(e) if is_json => format!(
                "{} cites snapshot {file} with sha256 {cited}, but the file {e}, and its SHA-256 is {file_hash}",
                r.id
            ),
            Err(_) => format!(
                "{} cites snapshot {file} with sha256 {cited}, but the file's SHA-256 is {file_hash}",
                r.id
            ),
        };
        ctx.emit(
            "mr-snapshot",
            r,
            pos,
            msg,
            "cite the hash of the snapshot that was reviewed (a JSON snapshot's `sha256`, or `sha256sum` of another file); if the file changed, restore the reviewed one from history",
        );
    }
}

/// States in which a vulnerability is assessed as affecting the product.
const AFFECTING: &[&str] = &["exploitable", "resolved", "resolved_with_pedigree"];

/// `vuln-reportable`: a vulnerability assessed as affecting a fielded release (`fielded` names a
/// REL whose `fielded` is a date) with patient-safety impact (severity above S1, or a hazardous
/// situation names it) has a 21 CFR 806 decision, `reportable_806` with its rationale. FDA's
/// postmarket cybersecurity guidance: remediating an uncontrolled risk is a correction to report
/// under 806 unless its enforcement-discretion conditions hold; a routine update for controlled
/// risk is not.
fn vuln_reportable(ctx: &mut Ctx<'_>) {
    let corpus = ctx.corpus;
    let graph = ctx.graph;
    for (i, r) in ctx.of_type("vulnerability") {
        if !r.str("state").is_some_and(|s| AFFECTING.contains(&s)) {
            continue;
        }
        let fielded: Vec<String> = r
            .list("fielded")
            .into_iter()
            .filter(|id| {
                corpus.get(id).is_some_and(|rel| {
                    rel.type_name == "release"
                        && rel.status() != "obsolete"
                        && rel.text("fielded").and_then(|d| Date::parse(&d)).is_some()
                })
            })
            .collect();
        if fielded.is_empty() {
            continue;
        }
        let severity = r
            .text("severity")
            .and_then(|s| crate::risk::parse_level(&s, 'S'));
        let situations: Vec<String> = graph
            .inbound(i, "threats")
            .filter(|&j| corpus.type_of(j) == "hazardous-situation")
            .filter(|&j| corpus.records[j].status() != "obsolete")
            .map(|j| corpus.records[j].id.clone())
            .collect();
        let impact = match (severity, situations.is_empty()) {
            (_, false) => format!("{} names it", situations.join(", ")),
            (Some(s), true) if s > 1 => format!("severity S{s}"),
            _ => continue,
        };
        let missing: Vec<&str> = ["reportable_806", "reportable_806_rationale"]
            .into_iter()
            .filter(|f| !r.has(f))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let msg = format!(
            "{} is {} in fielded {} with patient-safety impact ({impact}), but has no {}",
            r.id,
            r.str("state").unwrap_or(""),
            fielded.join(", "),
            missing
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" nor ")
        );
        let hint = "decide whether the correction is reportable under 21 CFR 806: `reportable_806: required`, `not-required` (e.g. a routine update for controlled risk) or `enforcement-discretion` (uncontrolled risk, customers notified within 30 and fixed within 60 days, no serious adverse event, ISAO participation), with `reportable_806_rationale`";
        ctx.emit("vuln-reportable", r, r.index.value_pos("state"), msg, hint);
    }
}

/// `doc-review-due`: controlled documents are reviewed when due (ISO 13485 4.2.4).
fn doc_review_due(ctx: &mut Ctx<'_>) {
    let today = ctx.today;
    for (_, r) in ctx.of_type("document") {
        let Some(due) = r.text("review_due").and_then(|s| Date::parse(&s)) else {
            continue;
        };
        if due < today {
            let msg = format!(
                "{} was due for review on {due} ({} ago)",
                r.id,
                days(today.days_since(due))
            );
            let hint = "review the document, record the review, and set the next `review_due`; if it is withdrawn, set `status: obsolete`";
            ctx.emit(
                "doc-review-due",
                r,
                r.index.value_pos("review_due"),
                msg,
                hint,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    use crate::rules::testing::{check_corpus, corpus, fired, messages, rec, run, run_with, PER};

    /// A closed signal of `kind` with `extra`, closed by PER-001 with a correction.
    fn sig(id: &str, kind: &str, extra: &str) -> String {
        rec(
            "signal",
            id,
            &format!(
                "status: closed\nkind: {kind}\nreceived: 2026-02-01\ndevice_id: (01)0123\nclosed: 2026-03-01\nclosed_by: PER-001\ncorrection: none needed, no nonconformity\n{extra}"
            ),
        )
    }

    /// Everything a closed complaint needs.
    const COMPLAINT: &str = "investigation: i\nreportable: none\nreportable_rationale: no injury\ncomplainant_ref: pii://42\nreply: r\n";

    fn capa(id: &str, extra: &str) -> String {
        rec(
            "capa",
            id,
            &format!("kind: corrective\nroot_cause: r\nactions: a\nopened: 2026-01-01\n{extra}"),
        )
    }

    /// An MR on `date` whose inputs are keyed `inputs` and outputs `outputs`.
    fn mr(id: &str, date: &str, inputs: &str, outputs: &str) -> String {
        let map = |keys: &str| {
            keys.chars()
                .map(|k| format!("  {k}: reviewed\n"))
                .collect::<String>()
        };
        rec(
            "management-review",
            id,
            &format!("date: {date}\nattendees: [PER-001]\nperiod: 2025\ninputs:\n{}outputs:\n{}actions: []\n", map(inputs), map(outputs)),
        )
    }

    const ALL_INPUTS: &str = "abcdefghijkl";

    fn doc(id: &str, due: &str) -> String {
        rec(
            "document",
            id,
            &format!("doc_type: sop\neffective: 2025-01-01\nreview_due: {due}\n"),
        )
    }

    fn complete() -> Vec<String> {
        vec![
            sig("SIG-001", "complaint", COMPLAINT),
            sig(
                "SIG-002",
                "literature",
                "evaluation: e\nreportable: none\nreportable_rationale: r\n",
            ),
            capa(
                "CAPA-001",
                "status: closed\nclosed: 2026-03-01\nclosed_by: PER-001\neffectiveness: e\nno_adverse_effect: n\n",
            ),
            mr("MR-001", "2026-03-01", ALL_INPUTS, "abcd"),
            doc("DOC-001", "2027-01-01"),
        ]
    }

    const RULES: &[&str] = &[
        "signal-closed-loop",
        "capa-effective",
        "vuln-reportable",
        "mr-complete",
        "mr-snapshot",
        "doc-review-due",
        "missing-field",
    ];

    #[test]
    fn complete_postmarket_records_have_no_findings() {
        let d = run(&complete());
        let ours: Vec<_> = d.iter().filter(|d| RULES.contains(&d.rule)).collect();
        assert!(ours.is_empty(), "{ours:?}");
    }

    #[test]
    fn signal_closed_loop_lists_what_a_complaint_lacks() {
        let mut r = complete();
        r[0] = sig("SIG-001", "complaint", "evaluation: e\nreportable: none\n");
        let d = run(&r);
        let f = fired(&d, "signal-closed-loop", "SIG-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert_eq!(
            f[0].message,
            "SIG-001 is a complaint in status closed, but lacks an `investigation` (or a `justification` for not investigating), a `reportable_rationale`, `complainant_ref` and `reply`"
        );
        assert_eq!(f[0].line, Some(6)); // the `status` value
    }

    #[test]
    fn signal_closed_loop_skips_open_signals_and_needs_a_decision() {
        let mut r = complete();
        r[1] = sig("SIG-002", "literature", "evaluation: e\n");
        let d = run(&r);
        assert!(fired(&d, "signal-closed-loop", "SIG-002")[0]
            .message
            .contains("a `reportable` decision"));
        r[1] = sig("SIG-002", "literature", "").replace("status: closed", "status: open");
        assert!(fired(&run(&r), "signal-closed-loop", "SIG-002").is_empty());
    }

    #[test]
    fn capa_effective_fires_on_closed_date_without_effectiveness() {
        let mut r = complete();
        r[2] = capa(
            "CAPA-001",
            "status: implementing\nclosed: 2026-03-01\nno_adverse_effect: n\n",
        );
        let d = run(&r);
        let f = fired(&d, "capa-effective", "CAPA-001");
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "CAPA-001 is closed but has no `effectiveness`"
        );
        r[2] = capa("CAPA-001", "status: effectiveness-check\n");
        assert!(fired(&run(&r), "capa-effective", "CAPA-001").is_empty());
    }

    #[test]
    fn mr_complete_checks_only_the_latest_review() {
        let mut r = complete();
        r.push(mr("MR-002", "2025-01-01", "a", "a"));
        assert!(fired(&run(&r), "mr-complete", "MR-002").is_empty());
        r[3] = mr("MR-001", "2026-03-01", "abcefghijk", "ab");
        let d = run(&r);
        let f = fired(&d, "mr-complete", "MR-001");
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f.iter()
                .any(|d| d.message.contains("5.6.2 d) audits and l) applicable")),
            "{f:?}"
        );
        assert!(
            f.iter().any(|d| d.message.contains("5.6.3 c) changes")),
            "{f:?}"
        );
        assert!(f.iter().all(|d| d.severity == Severity::Warning));
    }

    #[test]
    fn mr_complete_fires_when_review_is_overdue() {
        let mut r = complete();
        r[3] = mr("MR-001", "2025-05-01", ALL_INPUTS, "abcd");
        let d = run(&r);
        let f = fired(&d, "mr-complete", "MR-001");
        assert!(f[0].message.contains("is 396 days old"), "{f:?}");
        let d = run_with("project: test\npolicy: { review_interval_days: 400 }\n", &r);
        assert!(fired(&d, "mr-complete", "MR-001").is_empty());
    }

    #[test]
    fn mr_complete_needs_resources_needed() {
        let mut r = complete();
        r[3] = mr("MR-001", "2026-03-01", ALL_INPUTS, "abc");
        let d = run(&r);
        let f = fired(&d, "mr-complete", "MR-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert!(
            f[0].message
                .contains("5.6.3 d) resources needed in `outputs`"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn mr_complete_fires_when_no_review_was_ever_held() {
        // The reproduction: deleting every MR gave no finding.
        let mut r = complete();
        r.remove(3);
        let d = run(&r);
        let f: Vec<_> = d.iter().filter(|d| d.rule == "mr-complete").collect();
        assert_eq!(f.len(), 1, "{d:?}");
        assert_eq!(f[0].path, "ddf.yaml");
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message
                .contains("in force since 2025-01-01 (DOC-001 effective)")
                && f[0].message.contains("the first was due on 2026-01-01"),
            "{}",
            f[0].message
        );
        // Within the first interval, nothing is due yet.
        let d = run_with("project: test\npolicy: { review_interval_days: 600 }\n", &r);
        assert!(!d.iter().any(|d| d.rule == "mr-complete"), "{d:?}");
    }

    /// An MR citing `snapshot`, checked with `files` (path, bytes) in the repository.
    fn with_snapshot(
        snapshot: &str,
        files: &[(&str, &[u8])],
    ) -> Vec<crate::diagnostic::Diagnostic> {
        let mr = rec(
            "management-review",
            "MR-001",
            &format!("date: 2026-03-01\nattendees: [PER-001]\nperiod: 2025\ninputs:\n  snapshot: {snapshot}\noutputs: {{}}\nactions: []\n"),
        );
        let mut c = corpus(
            "project: test\n",
            &[
                ("records/PER-001.md", PER.to_string()),
                ("records/MR-001.md", mr),
            ],
        );
        // What the corpus loader reads beside the records.
        let wanted = crate::rules::mr_snapshot_files(&c);
        for (p, b) in files {
            assert!(wanted.iter().any(|w| w == p), "{wanted:?}");
            c.attachments.insert(p.to_string(), Ok(Some(b.to_vec())));
        }
        check_corpus(&c)
    }

    /// A `ddf review` JSON snapshot (its fields abridged) sealed like `Snapshot::seal`.
    fn sealed() -> (String, String) {
        let unsealed = "{\n  \"schema\": \"ddf-review/1\",\n  \"project\": \"t\",\n  \"records\": 3,\n  \"sha256\": \"\"\n}\n";
        let (_, hash) = crate::review::sealed_hash(unsealed.as_bytes()).expect("snapshot");
        (
            unsealed.replace("\"sha256\": \"\"", &format!("\"sha256\": \"{hash}\"")),
            hash,
        )
    }

    #[test]
    fn mr_snapshot_checks_the_cited_file_and_hash() {
        let (json, hash) = sealed();
        let path = "reviews/mr-2026.json";
        let cite = format!("\"{path} (ddf review 2025-03-01..2026-02-28 at abc, sha256 {hash})\"");
        let ok = with_snapshot(&cite, &[(path, json.as_bytes())]);
        assert!(fired(&ok, "mr-snapshot", "MR-001").is_empty(), "{ok:?}");
        // The mapping form.
        let map = format!("{{ file: {path}, sha256: {hash} }}");
        let ok = with_snapshot(&map, &[(path, json.as_bytes())]);
        assert!(fired(&ok, "mr-snapshot", "MR-001").is_empty(), "{ok:?}");
        // The reproduction: a file that does not exist, with a placeholder hash.
        let d = with_snapshot(&cite, &[]);
        let f = messages(&d, "mr-snapshot", "MR-001");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].starts_with(&format!(
                "MR-001 cites snapshot {path}, which does not exist in "
            )),
            "{f:?}"
        );
        // Another hash.
        let other = cite.replace(&hash, &"ab".repeat(32));
        let d = with_snapshot(&other, &[(path, json.as_bytes())]);
        let f = messages(&d, "mr-snapshot", "MR-001");
        assert!(
            f[0].contains(&format!("but the snapshot's content hash is {hash}")),
            "{f:?}"
        );
        // The file edited after it was written.
        let edited = json.replace("\"records\": 3", "\"records\": 4");
        let d = with_snapshot(&cite, &[(path, edited.as_bytes())]);
        let f = messages(&d, "mr-snapshot", "MR-001");
        assert!(
            f[0].contains("was edited after `ddf review` wrote it"),
            "{f:?}"
        );
        // Any other file is checked by its own SHA-256.
        let md = b"# Management review snapshot\n";
        let md_hash = crate::review::sha256_hex(md);
        let d = with_snapshot(
            &format!("\"reviews/mr.md (sha256 {md_hash})\""),
            &[("reviews/mr.md", md)],
        );
        assert!(fired(&d, "mr-snapshot", "MR-001").is_empty(), "{d:?}");
        // No file, no hash, a path outside the DDF.
        let d = with_snapshot("\"ddf review at abc (sha256 x)\"", &[]);
        assert!(messages(&d, "mr-snapshot", "MR-001")[0].contains("names no snapshot file"));
        let d = with_snapshot(&format!("\"{path}\""), &[(path, json.as_bytes())]);
        assert!(messages(&d, "mr-snapshot", "MR-001")[0].contains("without its sha256"));
        let d = with_snapshot(&format!("\"../x.json (sha256 {hash})\""), &[]);
        assert!(messages(&d, "mr-snapshot", "MR-001")[0].contains("not a path inside the DDF root"));
    }

    #[test]
    fn closed_records_name_who_closed_them_and_a_signal_its_correction() {
        let mut r = complete();
        r[0] = sig("SIG-001", "complaint", COMPLAINT)
            .replace("correction: none needed, no nonconformity\n", "")
            .replace("closed_by: PER-001\n", "");
        r[2] = capa(
            "CAPA-001",
            "status: closed\neffectiveness: e\nno_adverse_effect: n\n",
        );
        r.push(rec(
            "change-request",
            "CR-001",
            "status: closed\nreason: r\nimpact: i\ncyber_impact: unlikely-to-impact\ncyber_rationale: c\nregulatory_path: letter-to-file\n",
        ));
        let d = run(&r);
        let missing = |id: &str| -> Vec<String> {
            let mut m: Vec<String> = messages(&d, "missing-field", id)
                .iter()
                .map(|m| m.to_string())
                .collect();
            m.sort();
            m
        };
        assert_eq!(
            missing("SIG-001"),
            vec![
                "required field `closed_by` is missing (required in status closed)",
                "required field `correction` is missing (required in status closed)",
            ]
        );
        assert_eq!(
            missing("CAPA-001"),
            vec![
                "required field `closed_by` is missing (required in status closed)",
                "required field `closed` is missing (required in status closed)",
            ]
        );
        assert_eq!(missing("CR-001").len(), 2, "{d:?}");
        assert!(fired(&d, "missing-field", "CR-001")
            .iter()
            .all(|d| d.severity == Severity::Error));
        // Open, they need none of it.
        let open = r[0].replace("status: closed", "status: investigating");
        assert!(fired(&run(&[open]), "missing-field", "SIG-001").is_empty());
    }

    /// A VULN in `state`, severity `sev`, fielded in REL-001.
    fn vuln(state: &str, sev: &str, extra: &str) -> String {
        rec(
            "vulnerability",
            "VULN-001",
            &format!("vuln_id: CVE-2026-1\naliases: []\nsource: osv\ndiscovered: 2026-01-01\nstate: {state}\nexploitability: E4\nseverity: {sev}\nresponse: [update]\nfielded: [REL-001]\n{extra}"),
        )
    }

    fn rel(fielded: &str) -> String {
        rec(
            "release",
            "REL-001",
            &format!("version: 1.0.0\ntag: v1\ncommit: abc\nsbom: []\ntransfer: t\noverall_residual_risk: o\nrm_review: r\ncyber_device: true\nsupport_end: 2030-01-01\nfielded: {fielded}\n"),
        )
    }

    #[test]
    fn vuln_reportable_needs_an_806_decision() {
        let d = run(&[vuln("exploitable", "S4", ""), rel("2025-06-01")]);
        let f = fired(&d, "vuln-reportable", "VULN-001");
        assert_eq!(f.len(), 1, "{d:?}");
        assert_eq!(
            f[0].message,
            "VULN-001 is exploitable in fielded REL-001 with patient-safety impact (severity S4), but has no `reportable_806` nor `reportable_806_rationale`"
        );
        let decided = "reportable_806: enforcement-discretion\nreportable_806_rationale: notified in 12 days, patched in 40, no adverse events, ISAO member\n";
        let d = run(&[vuln("exploitable", "S4", decided), rel("2025-06-01")]);
        assert!(fired(&d, "vuln-reportable", "VULN-001").is_empty(), "{d:?}");
        // Not fielded, no patient-safety impact, or not affecting: no decision needed.
        for (v, r) in [
            (vuln("exploitable", "S4", ""), rel("false")),
            (vuln("exploitable", "S1", ""), rel("2025-06-01")),
            (
                vuln("not_affected", "S4", "justification: code_not_present\n"),
                rel("2025-06-01"),
            ),
        ] {
            let d = run(&[v, r]);
            assert!(fired(&d, "vuln-reportable", "VULN-001").is_empty(), "{d:?}");
        }
    }

    #[test]
    fn malformed_reviews_are_left_to_the_structure_rules() {
        let bad = rec(
            "management-review",
            "MR-001",
            "date: 2026-03-01\nattendees: [PER-001]\nperiod: p\ninputs: [a, b]\noutputs: x\nactions: []\n",
        );
        let d = run(&[bad.clone(), mr("MR-002", "last year", "a", "a")]);
        assert!(fired(&d, "mr-complete", "MR-001").is_empty(), "{d:?}");
        assert!(fired(&d, "mr-complete", "MR-002").is_empty(), "{d:?}");
        assert!(d.iter().any(|d| d.rule == "invalid-value"));
    }

    #[test]
    fn doc_review_due_fires_when_past() {
        let mut r = complete();
        r[4] = doc("DOC-001", "2026-05-31");
        let d = run(&r);
        let f = fired(&d, "doc-review-due", "DOC-001");
        assert_eq!(
            f[0].message,
            "DOC-001 was due for review on 2026-05-31 (1 day ago)"
        );
        r[4] = doc("DOC-001", "2026-06-01");
        assert!(fired(&run(&r), "doc-review-due", "DOC-001").is_empty());
        // Obsolete documents are not reviewed.
        r[4] = doc("DOC-001", "2020-01-01").replace("status: approved", "status: obsolete");
        assert!(fired(&run(&r), "doc-review-due", "DOC-001").is_empty());
    }
}
