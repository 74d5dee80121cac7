//! Electronic signatures (21 CFR Part 11): approval commits signed with GPG or SSH, verified by
//! Git itself.
//!
//! ddf writes an SSH allowed-signers file from the `keys` of PER records (principal = the PER
//! id) and asks `git log` for the signature status of the approval commits in one call. The
//! status is Git's: ddf never decides that a signature is valid on its own.

use crate::corpus::Corpus;
use serde::Serialize;
use std::path::Path;
use std::process::Command;

/// Git's verdict on a commit signature (`%G?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Good signature by a key in the allowed signers (SSH) or a trusted key (GPG).
    Good,
    /// Good signature, but the key's validity is unknown (GPG without trust).
    GoodUntrusted,
    /// The signature does not verify.
    Bad,
    /// Signed with an expired signature or key, or a revoked key.
    Expired,
    /// Signed, but the key is not known (not in any PER record's `keys`).
    UnknownKey,
    /// Not signed.
    Unsigned,
    /// Git could not be asked.
    Unchecked,
}

impl Status {
    /// Whether the signature counts for an approval.
    pub fn is_valid(self) -> bool {
        matches!(self, Status::Good | Status::GoodUntrusted)
    }

    /// How the status is printed.
    pub fn label(self) -> &'static str {
        match self {
            Status::Good => "valid signature",
            Status::GoodUntrusted => "valid signature (key not trusted)",
            Status::Bad => "INVALID signature",
            Status::Expired => "EXPIRED or revoked key",
            Status::UnknownKey => "signed by an UNKNOWN key",
            Status::Unsigned => "UNSIGNED",
            Status::Unchecked => "signature NOT CHECKED",
        }
    }

    fn from_code(c: &str) -> Status {
        match c {
            "G" => Status::Good,
            "U" => Status::GoodUntrusted,
            "B" => Status::Bad,
            "X" | "Y" | "R" => Status::Expired,
            "E" => Status::UnknownKey,
            "N" => Status::Unsigned,
            _ => Status::Unchecked,
        }
    }
}

/// A verified signature: status and the principal (PER id for SSH) or key Git reports.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// Git's verdict.
    pub status: Status,
    /// The signer Git identified (`%GS`): a PER id for SSH signatures ddf's allowed-signers file
    /// names.
    pub principal: String,
    /// The key fingerprint (`%GF`).
    pub fingerprint: String,
}

/// The allowed-signers text for the SSH keys in PER records: `PER-007 ssh-ed25519 AAAA...`.
pub fn allowed_signers(corpus: &Corpus) -> String {
    let mut lines = Vec::new();
    for &i in corpus.records_of("person") {
        let p = &corpus.records[i];
        for key in p.list("keys") {
            let key = key.trim();
            if key.starts_with("ssh-") || key.starts_with("ecdsa-") || key.starts_with("sk-") {
                // Only the key type and material; a trailing comment is not part of the key.
                let mut parts = key.split_whitespace();
                if let (Some(t), Some(k)) = (parts.next(), parts.next()) {
                    lines.push(format!("{} {t} {k}", p.id));
                }
            }
        }
    }
    lines.sort();
    lines.join("\n") + "\n"
}

/// Asks Git for the signature status of `commits`, with an allowed-signers file generated from
/// the PER records. Commits Git cannot be asked about are `Unchecked`.
pub fn verify(
    workdir: &Path,
    git_dir: &Path,
    corpus: &Corpus,
    commits: &[String],
) -> Vec<Verified> {
    let unchecked = || Verified {
        status: Status::Unchecked,
        principal: String::new(),
        fingerprint: String::new(),
    };
    if commits.is_empty() {
        return Vec::new();
    }
    let signers = git_dir.join("ddf").join("allowed_signers");
    let ok = std::fs::create_dir_all(signers.parent().unwrap_or(git_dir)).is_ok()
        && crate::cli::write_atomic(&signers, allowed_signers(corpus).as_bytes(), true).is_ok();
    if !ok {
        return commits.iter().map(|_| unchecked()).collect();
    }
    let out = Command::new("git")
        .current_dir(workdir)
        .arg("-c")
        .arg(format!("gpg.ssh.allowedSignersFile={}", signers.display()))
        .args([
            "log",
            "--no-walk=unsorted",
            "--format=%H%x00%G?%x00%GS%x00%GF",
        ])
        .args(commits)
        .output();
    let Ok(out) = out else {
        return commits.iter().map(|_| unchecked()).collect();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut by_id = std::collections::HashMap::new();
    for line in text.lines() {
        let mut f = line.split('\0');
        let (Some(id), Some(code)) = (f.next(), f.next()) else {
            continue;
        };
        by_id.insert(
            id.to_string(),
            Verified {
                status: Status::from_code(code),
                principal: f.next().unwrap_or("").to_string(),
                fingerprint: f.next().unwrap_or("").to_string(),
            },
        );
    }
    commits
        .iter()
        .map(|c| by_id.remove(c).unwrap_or_else(unchecked))
        .collect()
}
