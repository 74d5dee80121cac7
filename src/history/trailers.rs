//! Commit-message trailers that carry change-control data (`Change-Request:`, `Approve:`,
//! `Approves:`, `Signature-Meaning:`, `Signer:`), as `git interpret-trailers` reads them: the
//! last paragraph of the message, `Key: value` lines.

use serde::{Deserialize, Serialize};

/// The trailers of one commit message, in order.
pub fn parse(message: &str) -> Vec<(String, String)> {
    let trimmed = message.trim_end();
    let last = trimmed.rsplit("\n\n").next().unwrap_or("");
    // A one-paragraph message is only a subject, never trailers.
    if last.len() == trimmed.len() && !trimmed.contains('\n') {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for line in last.lines() {
        if line.starts_with([' ', '\t']) {
            // Continuation of the previous trailer's value.
            if let Some((_, v)) = out.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v))
                if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
            {
                out.push((k.to_string(), v.trim().to_string()));
            }
            // A paragraph with a non-trailer line is prose, not a trailer block.
            _ => return Vec::new(),
        }
    }
    out
}

/// The change-control meaning of a commit's trailers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// `Change-Request:` ids.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub change_requests: Vec<String>,
    /// `Approve:` ids (change requests approved).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub approve: Vec<String>,
    /// `Approves:` entries: record id and, if pinned, the blob id approved.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub approves: Vec<Pinned>,
    /// `Signature-Meaning:`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub meaning: Option<String>,
    /// `Signer:` (a PER id).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub signer: Option<String>,
}

/// A record id, optionally pinned to a blob (`DI-004@1a2b3c`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pinned {
    /// Record id.
    pub id: String,
    /// Blob id (full or abbreviated), if written.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub blob: Option<String>,
}

fn ids(v: &str) -> impl Iterator<Item = &str> {
    v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty())
}

impl Control {
    /// Reads the control trailers (key names are case-insensitive).
    pub fn from_trailers(trailers: &[(String, String)]) -> Control {
        let mut c = Control::default();
        for (k, v) in trailers {
            match k.to_ascii_lowercase().as_str() {
                "change-request" => c.change_requests.extend(ids(v).map(String::from)),
                "approve" => c.approve.extend(ids(v).map(String::from)),
                "approves" => c.approves.extend(ids(v).map(|s| match s.split_once('@') {
                    Some((id, blob)) => Pinned {
                        id: id.to_string(),
                        blob: Some(blob.to_string()),
                    },
                    None => Pinned {
                        id: s.to_string(),
                        blob: None,
                    },
                })),
                "signature-meaning" => c.meaning = Some(v.trim().to_ascii_lowercase()),
                "signer" => c.signer = Some(v.trim().to_string()),
                _ => {}
            }
        }
        c
    }

    /// Whether the commit is an approval (approves a CR or records).
    pub fn is_approval(&self) -> bool {
        !self.approve.is_empty() || !self.approves.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_trailer_block() {
        let msg = "Approve CR-012\n\nReviewed the impact.\n\nApprove: CR-012\nSignature-Meaning: Approval\nSigner: PER-007\nApproves: DI-004@1a2b3c, DO-010\n";
        let c = Control::from_trailers(&parse(msg));
        assert_eq!(c.approve, ["CR-012"]);
        assert_eq!(c.meaning.as_deref(), Some("approval"));
        assert_eq!(c.signer.as_deref(), Some("PER-007"));
        assert_eq!(
            c.approves[0],
            Pinned {
                id: "DI-004".into(),
                blob: Some("1a2b3c".into())
            }
        );
        assert_eq!(c.approves[1].blob, None);
        assert!(c.is_approval());
    }

    #[test]
    fn prose_and_subjects_are_not_trailers() {
        assert!(parse("Fix: the thing").is_empty());
        assert!(parse("Subject\n\nThis paragraph: has a colon\nand prose.\n").is_empty());
        let c = Control::from_trailers(&parse("Subject\n\nChange-Request: CR-001\n"));
        assert_eq!(c.change_requests, ["CR-001"]);
        assert!(!c.is_approval());
    }
}
