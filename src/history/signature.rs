//! Electronic signatures (21 CFR Part 11): approval commits signed with GPG or SSH, verified by
//! Git itself.
//!
//! Git checks the cryptography; ddf decides whose key it was. ddf hands Git an SSH
//! allowed-signers file (in a temporary folder, never in the repository) that lists every SSH key
//! that ever stood in a PER record, each under a principal of its own (`ddf-key-N`), and asks
//! `git log` for the signature status, principal and fingerprints of the approval commits in one
//! call. Which person a key belonged to, and whether it was trusted at the time of a signature,
//! is decided from history by [`super::approval`], never from the current records alone.

use serde::Serialize;
use std::path::Path;
use std::process::Command;

/// Git's verdict on a commit signature (`%G?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Good signature by a key in the allowed signers (SSH) or a trusted key (GPG).
    Good,
    /// Good signature, but Git does not trust the key (GPG without trust, or an SSH key in no
    /// PER record). It never counts.
    GoodUntrusted,
    /// The signature does not verify.
    Bad,
    /// Signed with an expired signature or key, or a revoked key.
    Expired,
    /// Signed, but the key is not known (Git cannot check it).
    UnknownKey,
    /// Not signed.
    Unsigned,
    /// Git could not be asked.
    Unchecked,
}

impl Status {
    /// Whether Git's verdict lets the signature count: only a good signature by a trusted key
    /// (`G`). Whether the key was the signer's at the time is decided by the caller.
    pub fn is_valid(self) -> bool {
        self == Status::Good
    }

    /// How the status is printed.
    pub fn label(self) -> &'static str {
        match self {
            Status::Good => "valid signature",
            Status::GoodUntrusted => "key not trusted",
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

/// A verified signature: Git's status, and which key made it.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// Git's verdict.
    pub status: Status,
    /// For an SSH signature by a listed key: its index in the `ssh_keys` given to [`verify`].
    #[serde(skip)]
    pub ssh_key: Option<usize>,
    /// The signing key's fingerprint (`%GF`): `SHA256:...` for SSH, hex for GPG.
    pub fingerprint: String,
    /// The primary key's fingerprint (`%GP`, GPG only).
    #[serde(skip)]
    pub primary: String,
}

impl Verified {
    fn unchecked() -> Verified {
        Verified {
            status: Status::Unchecked,
            ssh_key: None,
            fingerprint: String::new(),
            primary: String::new(),
        }
    }
}

/// The principal an SSH key is listed under in the allowed-signers file.
fn principal(i: usize) -> String {
    format!("ddf-key-{i}")
}

/// The allowed-signers text for `ssh_keys` (each `type material`), one principal per key.
pub fn allowed_signers(ssh_keys: &[String]) -> String {
    let mut out = String::new();
    for (i, k) in ssh_keys.iter().enumerate() {
        out.push_str(&principal(i));
        out.push(' ');
        out.push_str(k);
        out.push('\n');
    }
    out
}

/// Asks Git for the signature status of `commits`, with an allowed-signers file listing
/// `ssh_keys` (each `type material`). Commits Git cannot be asked about are `Unchecked`.
pub fn verify(workdir: &Path, ssh_keys: &[String], commits: &[String]) -> Vec<Verified> {
    if commits.is_empty() {
        return Vec::new();
    }
    let unchecked = || commits.iter().map(|_| Verified::unchecked()).collect();
    // A private temporary folder: the file is ddf's working data, not part of the repository.
    let Ok(dir) = tempfile::tempdir() else {
        return unchecked();
    };
    let signers = dir.path().join("allowed_signers");
    if std::fs::write(&signers, allowed_signers(ssh_keys)).is_err() {
        return unchecked();
    }
    let out = Command::new("git")
        .current_dir(workdir)
        .arg("-c")
        .arg(format!("gpg.ssh.allowedSignersFile={}", signers.display()))
        .args([
            "log",
            "--no-walk=unsorted",
            "--format=%H%x00%G?%x00%GS%x00%GF%x00%GP",
        ])
        .args(commits)
        .output();
    let Ok(out) = out else {
        return unchecked();
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut by_id = std::collections::HashMap::new();
    for line in text.lines() {
        let mut f = line.split('\0');
        let (Some(id), Some(code)) = (f.next(), f.next()) else {
            continue;
        };
        let signer = f.next().unwrap_or("");
        let ssh_key = signer
            .strip_prefix("ddf-key-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n < ssh_keys.len());
        by_id.insert(
            id.to_string(),
            Verified {
                status: Status::from_code(code),
                ssh_key,
                fingerprint: f.next().unwrap_or("").to_string(),
                primary: f.next().unwrap_or("").to_string(),
            },
        );
    }
    commits
        .iter()
        .map(|c| by_id.remove(c).unwrap_or_else(Verified::unchecked))
        .collect()
}

/// A signing key as it stands in a PER record's `keys`, normalised for comparison: an SSH
/// public key as `type material` (its comment dropped), anything else as a GPG fingerprint
/// (hex digits, upper case, spaces dropped). `None` for an empty entry.
pub fn normalise_key(entry: &str) -> Option<String> {
    let entry = entry.trim();
    let mut parts = entry.split_whitespace();
    let first = parts.next()?;
    if is_ssh_type(first) {
        let material = parts.next()?;
        return Some(format!("{first} {material}"));
    }
    let fpr: String = entry
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    (!fpr.is_empty()).then_some(fpr)
}

/// Whether `t` is an SSH public key type (`ssh-ed25519`, `ecdsa-sha2-nistp256`,
/// `sk-ssh-ed25519@openssh.com`, ...).
pub fn is_ssh_type(t: &str) -> bool {
    t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_good_counts() {
        assert!(Status::Good.is_valid());
        assert!(!Status::GoodUntrusted.is_valid());
        assert_eq!(Status::GoodUntrusted.label(), "key not trusted");
    }

    #[test]
    fn keys_are_normalised() {
        assert_eq!(
            normalise_key("  ssh-ed25519 AAAAC3Nz dana@laptop ").as_deref(),
            Some("ssh-ed25519 AAAAC3Nz")
        );
        assert_eq!(
            normalise_key("ab12 CD34 ef56").as_deref(),
            Some("AB12CD34EF56")
        );
        assert_eq!(normalise_key("   "), None);
        assert_eq!(normalise_key("ssh-ed25519"), None);
    }

    #[test]
    fn each_key_has_its_own_principal() {
        let text = allowed_signers(&["ssh-ed25519 AAA".into(), "ssh-rsa BBB".into()]);
        assert_eq!(text, "ddf-key-0 ssh-ed25519 AAA\nddf-key-1 ssh-rsa BBB\n");
    }
}
