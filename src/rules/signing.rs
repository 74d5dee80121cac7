//! Signer-registry and signature-plausibility rules (21 CFR Part 11 11.100, 11.200, 11.300;
//! ISO 13485 4.2.5): `key-unique` (a signing key stands on one person only) and
//! `approval-plausible` (an approval is not dated before what it approves, before an event the
//! record states, or in the future).
//!
//! The committer time of an approval is the signer's claim, not a trusted timestamp; these rules
//! catch the claims that cannot be true.

use super::{Ctx, HistoryCtx};
use crate::date::Date;
use crate::history::approval::{blob_at, format_time, Approval};
use crate::history::signature::normalise_key;
use crate::history::History;
use rustc_hash::FxHashMap;

/// Fields that state when something happened, which an approval of the record cannot precede:
/// an execution, a meeting, an opening, a receipt, a discovery, a closure.
const EVENT_DATES: &[&str] = &[
    "executed_on",
    "date",
    "opened",
    "received",
    "discovered",
    "closed",
    "remediated",
];

/// Runs the rules that need no history.
pub(super) fn run(ctx: &mut Ctx<'_>) {
    key_unique(ctx);
}

/// Runs the rules that need history.
pub(super) fn run_history(ctx: &mut Ctx<'_>, h: &HistoryCtx<'_>) {
    approval_plausible(ctx, h);
}

/// `key-unique`: no signing key stands in the `keys` of two PER records: a shared key identifies
/// no one (21 CFR 11.100(a), 11.300(a)).
fn key_unique(ctx: &mut Ctx<'_>) {
    let corpus = ctx.corpus;
    let mut holders: FxHashMap<String, Vec<usize>> = FxHashMap::default();
    for (i, p) in ctx.of_type("person") {
        let mut keys: Vec<String> = p
            .list("keys")
            .iter()
            .filter_map(|k| normalise_key(k))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            holders.entry(k).or_default().push(i);
        }
    }
    let mut shared: Vec<(usize, Vec<String>)> = Vec::new();
    for (key, people) in &holders {
        if people.len() < 2 {
            continue;
        }
        for &i in people {
            let others: Vec<String> = people
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| corpus.records[j].id.clone())
                .collect();
            let short = crate::history::approval::fingerprint(key);
            shared.push((i, vec![short, others.join(", ")]));
        }
    }
    shared.sort();
    for (i, what) in shared {
        let r = &corpus.records[i];
        ctx.emit(
            "key-unique",
            r,
            r.index.value_pos("keys"),
            format!(
                "{} lists the key {}, which {} also lists: a key on two persons identifies no one, and no approval signed with it counts",
                r.id, what[0], what[1]
            ),
            "each person enrols a key of their own; remove the key from the record of the person it does not belong to",
        );
    }
}

/// The commit that first held `blob` for record `id`, as of history position `at` or older.
fn content_commit<'h>(
    h: &'h History,
    id: &str,
    pin: Option<&str>,
    at: usize,
) -> Option<&'h crate::history::Commit> {
    let blob = match pin {
        Some(p) if p.len() >= 7 => {
            // The oldest change that produced the pinned blob.
            return h
                .of_record(id)
                .into_iter()
                .rev()
                .find(|(_, ch)| ch.new_blob.as_deref().is_some_and(|b| b.starts_with(p)))
                .map(|(c, _)| c);
        }
        _ => blob_at(h, id, at)?,
    };
    // The oldest change at or before `at` that produced the blob approved.
    h.of_record(id)
        .into_iter()
        .rev()
        .find(|(c, ch)| {
            ch.new_blob.as_deref() == Some(blob.as_str())
                && h.position(&c.id).is_some_and(|p| p >= at)
        })
        .map(|(c, _)| c)
}

/// `approval-plausible`: an approval is not dated before the commit of the content it approves,
/// before an event date the approved record states, or after today.
fn approval_plausible(ctx: &mut Ctx<'_>, h: &HistoryCtx<'_>) {
    let corpus = ctx.corpus;
    let tomorrow = ctx.today.add_days(1);
    let mut found: Vec<(usize, String, String)> = Vec::new();
    for a in h.approvals {
        let day = Date::from_unix(a.time);
        let named = a
            .approves
            .iter()
            .map(|p| (p.id.as_str(), p.blob.as_deref()))
            .chain(a.approve.iter().map(|id| (id.as_str(), None)));
        for (id, pin) in named {
            let Some(&i) = corpus.by_id.get(id) else {
                continue;
            };
            let r = &corpus.records[i];
            let when = describe(a);
            if day >= tomorrow {
                found.push((
                    i,
                    format!("the approval {when} of {id} is dated in the future (today is {})", ctx.today),
                    "check the signer's clock; a signature cannot be dated after it was made: sign the approval again".into(),
                ));
                continue;
            }
            if let Some(c) = content_commit(h.history, id, pin, a.position) {
                if a.time < c.committer_time {
                    found.push((
                        i,
                        format!(
                            "the approval {when} of {id} is dated before the commit {} ({}) of the content it approves",
                            c.short(),
                            format_time(c.committer_time)
                        ),
                        "a signature cannot precede what it signs: check the signer's clock and sign the approval again".into(),
                    ));
                    continue;
                }
            }
            // Event dates of the approved content: checked on the current record when the
            // approval covers it.
            if !crate::history::approval::covers(h.history, a, id, &r.blob) {
                continue;
            }
            for f in EVENT_DATES {
                let Some(d) = r.text(f).and_then(|s| Date::parse(&s)) else {
                    continue;
                };
                if day < d {
                    found.push((
                        i,
                        format!(
                            "the approval {when} of {id} is dated before its `{f}` ({d}): it approves an event that had not happened"
                        ),
                        "correct the date in the record, or approve it again after the event".into(),
                    ));
                    break;
                }
            }
        }
    }
    found.sort();
    found.dedup();
    for (i, message, hint) in found {
        let r = &corpus.records[i];
        ctx.emit(
            "approval-plausible",
            r,
            r.index.value_pos("status"),
            message,
            &hint,
        );
    }
}

fn describe(a: &Approval) -> String {
    format!(
        "{} ({}, {})",
        &a.commit[..a.commit.len().min(10)],
        a.signer.as_deref().unwrap_or("no signer"),
        format_time(a.time)
    )
}
