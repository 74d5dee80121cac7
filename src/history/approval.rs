//! Approvals: signed commits whose trailers approve a change request (`Approve:`) or records
//! (`Approves:`), with the Part 11 manifestation (printed name, date and time, meaning) and
//! Git's verdict on the signature.

use super::signature::{self, Status};
use super::trailers::Pinned;
use super::History;
use crate::corpus::Corpus;
use serde::Serialize;
use std::path::Path;

/// One approval commit.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    /// Commit id.
    pub commit: String,
    /// Position in the history (0 = tip).
    #[serde(skip)]
    pub position: usize,
    /// When it was signed, as the commit records it (committer time, UTC).
    pub time: i64,
    /// `Signer:` (a PER id).
    pub signer: Option<String>,
    /// The signer's printed name, from the PER record.
    pub printed_name: Option<String>,
    /// `Signature-Meaning:`.
    pub meaning: Option<String>,
    /// Git's verdict on the signature.
    pub status: Status,
    /// The principal Git verified (a PER id, for SSH signatures).
    pub principal: String,
    /// Change requests approved.
    pub approve: Vec<String>,
    /// Records approved, optionally pinned to blobs.
    pub approves: Vec<Pinned>,
    /// Why the approval does not count, beyond the signature (empty when it counts).
    pub problems: Vec<String>,
}

impl Approval {
    /// Whether the approval counts: a valid signature by the named signer, with a meaning the
    /// signer may sign with.
    pub fn is_valid(&self) -> bool {
        self.status.is_valid() && self.problems.is_empty()
    }

    /// The manifestation every rendering shows (21 CFR 11.50): printed name, date and time,
    /// meaning, and the signature status.
    pub fn manifestation(&self) -> String {
        format!(
            "{} ({}), {}, {}: {}",
            self.printed_name.as_deref().unwrap_or("unknown signer"),
            self.signer.as_deref().unwrap_or("no Signer trailer"),
            format_time(self.time),
            self.meaning.as_deref().unwrap_or("no meaning stated"),
            self.status.label()
        )
    }
}

/// `2026-01-01 09:30:00 UTC`.
pub fn format_time(secs: i64) -> String {
    let day = crate::date::Date::from_unix(secs);
    let s = secs.rem_euclid(86_400);
    format!(
        "{day} {:02}:{:02}:{:02} UTC",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// Every approval in `history`, newest first, with signatures verified by Git.
pub fn approvals(history: &History, corpus: &Corpus, git_dir: &Path) -> Vec<Approval> {
    let idx: Vec<usize> = history
        .commits
        .iter()
        .enumerate()
        .filter(|(_, c)| c.control().is_approval())
        .map(|(i, _)| i)
        .collect();
    let ids: Vec<String> = idx.iter().map(|&i| history.commits[i].id.clone()).collect();
    let verified = signature::verify(&history.workdir, git_dir, corpus, &ids);
    idx.iter()
        .zip(verified)
        .map(|(&i, v)| {
            let c = &history.commits[i];
            let ctl = c.control();
            let person = ctl
                .signer
                .as_deref()
                .and_then(|s| corpus.get(s))
                .filter(|p| p.type_name == "person");
            let mut problems = Vec::new();
            match (&ctl.signer, person) {
                (None, _) => problems.push("no `Signer:` trailer".to_string()),
                (Some(s), None) => problems.push(format!("`Signer: {s}` names no person record")),
                (Some(s), Some(p)) => {
                    let meaning = ctl.meaning.clone().unwrap_or_default();
                    if meaning.is_empty() {
                        problems.push("no `Signature-Meaning:` trailer".into());
                    } else if !p.list("may_sign").contains(&meaning) {
                        problems.push(format!(
                            "{s} may not sign with the meaning `{meaning}` (may_sign)"
                        ));
                    }
                    // SSH: the principal is the PER id of the key's owner. GPG: the key
                    // fingerprint must be one of the signer's keys.
                    let key_ok = v.principal == *s
                        || (!v.fingerprint.is_empty()
                            && p.list("keys")
                                .iter()
                                .any(|k| k.replace(' ', "").eq_ignore_ascii_case(&v.fingerprint)));
                    if v.status.is_valid() && !key_ok {
                        problems.push(format!(
                            "signed with a key of {}, not of {s}",
                            if v.principal.is_empty() {
                                "someone else"
                            } else {
                                &v.principal
                            }
                        ));
                    }
                }
            }
            Approval {
                commit: c.id.clone(),
                position: i,
                time: c.committer_time,
                signer: ctl.signer.clone(),
                printed_name: person.and_then(|p| p.text("printed_name")),
                meaning: ctl.meaning.clone(),
                status: v.status,
                principal: v.principal,
                approve: ctl.approve.clone(),
                approves: ctl.approves.clone(),
                problems,
            }
        })
        .collect()
}

/// The blob of record `id` as of history position `at` (the newest change at or before it),
/// `None` if it did not exist then.
pub fn blob_at(history: &History, id: &str, at: usize) -> Option<String> {
    history
        .of_record(id)
        .into_iter()
        .find(|(c, _)| history.position(&c.id).is_some_and(|p| p >= at))
        .and_then(|(_, ch)| ch.new_blob.clone())
}

/// Whether `approval` approves record `id` with content `blob`.
pub fn covers(history: &History, approval: &Approval, id: &str, blob: &str) -> bool {
    approval.approves.iter().any(|p| {
        p.id == id
            && match &p.blob {
                Some(pin) => pin.len() >= 7 && blob.starts_with(pin.as_str()),
                None => blob_at(history, id, approval.position).as_deref() == Some(blob),
            }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn time_format() {
        assert_eq!(super::format_time(1_767_259_800), "2026-01-01 09:30:00 UTC");
    }
}
