//! Electronic signatures (21 CFR Part 11): approval commits signed with GPG or SSH, verified by
//! Git itself.
//!
//! Git checks the cryptography; ddf decides whose key it was. ddf hands Git an SSH
//! allowed-signers file (in a temporary folder, never in the repository) that lists every SSH key
//! that ever stood in a PER record, each under a principal of its own (`ddf-key-N`), and asks
//! `git log` for the signature status, principal and fingerprints of the approval commits.
//! Which person a key belonged to, and whether it was trusted at the time of a signature,
//! is decided from history by [`super::approval`], never from the current records alone.
//!
//! Git verifies an SSH signature by running `ssh-keygen` twice (find the principal, then
//! verify), about 15 ms of CPU per commit: 3 s for 200 approvals, on every run. The verdicts
//! that cannot change are therefore kept in `.git/ddf/` ([`verify_cached`]), and the commits not
//! yet verified are split over one `git log` per core.

use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

/// Git's verdict on a commit signature (`%G?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    // Git verifies one commit after the other, each with its own `ssh-keygen` processes: one
    // `git log` per core, each with a contiguous share of the commits, so the cores share the
    // work (at least 16 commits each, or the processes cost more than they save).
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let per = commits.len().div_ceil(cores).max(16);
    let outputs: Vec<Option<Vec<u8>>> = std::thread::scope(|s| {
        let handles: Vec<_> = commits
            .chunks(per)
            .map(|chunk| {
                let signers = &signers;
                s.spawn(move || {
                    Command::new("git")
                        .current_dir(workdir)
                        .arg("-c")
                        .arg(format!("gpg.ssh.allowedSignersFile={}", signers.display()))
                        .args([
                            "log",
                            "--no-walk=unsorted",
                            "--format=%H%x00%G?%x00%GS%x00%GF%x00%GP",
                        ])
                        .args(chunk)
                        .output()
                        .ok()
                        .map(|o| o.stdout)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut by_id = std::collections::HashMap::new();
    for out in outputs.iter().flatten() {
        parse_verdicts(&String::from_utf8_lossy(out), ssh_keys, &mut by_id);
    }
    commits
        .iter()
        .map(|c| by_id.remove(c).unwrap_or_else(Verified::unchecked))
        .collect()
}

/// Reads `git log --format=%H%x00%G?%x00%GS%x00%GF%x00%GP` output into `by_id`.
fn parse_verdicts(
    text: &str,
    ssh_keys: &[String],
    by_id: &mut std::collections::HashMap<String, Verified>,
) {
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
}

/// Bumped whenever the shape of a cache line changes, so old caches are ignored, not misread.
const CACHE_VERSION: u32 = 1;

/// One verdict kept in the signature cache.
#[derive(Debug, Serialize, Deserialize)]
struct CacheLine {
    /// The commit.
    commit: String,
    /// SHA-256 of the allowed-signers text it was verified with.
    signers: String,
    status: Status,
    ssh_key: Option<usize>,
    fingerprint: String,
    primary: String,
}

/// Whether Git's verdict on a commit can be kept: it depends only on the commit's bytes (which
/// its id fixes) and the allowed-signers file (which the cache key holds) when the commit is
/// unsigned or signed with SSH (`%GF` is `SHA256:...`). GPG verdicts depend on the keyring (trust,
/// expiry, revocation, all of which change) and "could not check" on the machine: never kept.
fn keepable(v: &Verified) -> bool {
    match v.status {
        Status::Unsigned => true,
        Status::Unchecked | Status::UnknownKey => false,
        _ => v.fingerprint.starts_with("SHA256:"),
    }
}

/// [`verify`], with the verdicts that cannot change kept in `git_dir`/ddf/ between runs, keyed
/// by commit and by the allowed-signers text (a key enrolled or removed anywhere in history
/// makes a new text, and every commit is verified again). Only the commits not in the cache are
/// given to Git. Failing to read or write the cache is not an error: Git is asked instead.
pub fn verify_cached(
    git_dir: &Path,
    workdir: &Path,
    ssh_keys: &[String],
    commits: &[String],
) -> Vec<Verified> {
    use sha2::Digest;
    if commits.is_empty() {
        return Vec::new();
    }
    let path = git_dir
        .join("ddf")
        .join(format!("signatures-v{CACHE_VERSION}.jsonl"));
    let signers = {
        let digest = sha2::Sha256::digest(allowed_signers(ssh_keys).as_bytes());
        digest.iter().fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
    };
    let mut cached: std::collections::HashMap<String, Verified> = std::collections::HashMap::new();
    // Lines for another key set, or that do not parse: the file is rewritten without them.
    let mut stale = false;
    if let Ok(text) = std::fs::read_to_string(&path) {
        for line in text.lines() {
            match serde_json::from_str::<CacheLine>(line) {
                Ok(l) if l.signers == signers && l.ssh_key.is_none_or(|k| k < ssh_keys.len()) => {
                    let v = Verified {
                        status: l.status,
                        ssh_key: l.ssh_key,
                        fingerprint: l.fingerprint,
                        primary: l.primary,
                    };
                    if keepable(&v) {
                        cached.insert(l.commit, v);
                    } else {
                        stale = true;
                    }
                }
                _ => stale = true,
            }
        }
    }
    let missing: Vec<String> = commits
        .iter()
        .filter(|c| !cached.contains_key(*c))
        .cloned()
        .collect();
    let fresh = verify(workdir, ssh_keys, &missing);
    let mut new_lines = Vec::new();
    for (c, v) in missing.iter().zip(&fresh) {
        if keepable(v) {
            cache_line(&mut new_lines, c, &signers, v);
        }
    }
    if stale {
        // Rewritten whole, through a temporary file renamed into place: a reader sees the old
        // file or the new one, never half of one.
        let mut all = Vec::new();
        let mut kept: Vec<(&String, &Verified)> = cached.iter().collect();
        kept.sort_by(|a, b| a.0.cmp(b.0));
        for (c, v) in kept {
            cache_line(&mut all, c, &signers, v);
        }
        all.extend_from_slice(&new_lines);
        let _ = rewrite(&path, &all);
    } else if !new_lines.is_empty() {
        let _ = append(&path, &new_lines);
    }
    let mut fresh = missing
        .into_iter()
        .zip(fresh)
        .collect::<std::collections::HashMap<_, _>>();
    commits
        .iter()
        .map(|c| {
            cached
                .get(c)
                .cloned()
                .or_else(|| fresh.remove(c))
                .unwrap_or_else(Verified::unchecked)
        })
        .collect()
}

fn cache_line(buf: &mut Vec<u8>, commit: &str, signers: &str, v: &Verified) {
    let line = CacheLine {
        commit: commit.to_string(),
        signers: signers.to_string(),
        status: v.status,
        ssh_key: v.ssh_key,
        fingerprint: v.fingerprint.clone(),
        primary: v.primary.clone(),
    };
    let start = buf.len();
    if serde_json::to_writer(&mut *buf, &line).is_ok() {
        buf.push(b'\n');
    } else {
        buf.truncate(start);
    }
}

fn append(path: &Path, lines: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(lines)
}

fn rewrite(path: &Path, lines: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(lines)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
    fn only_verdicts_fixed_by_the_commit_and_the_keys_are_kept() {
        let v = |status, fingerprint: &str| Verified {
            status,
            ssh_key: None,
            fingerprint: fingerprint.into(),
            primary: String::new(),
        };
        assert!(keepable(&v(Status::Unsigned, "")));
        assert!(keepable(&v(Status::Good, "SHA256:abc")));
        assert!(keepable(&v(Status::Bad, "SHA256:abc")));
        // GPG: trust, expiry and revocation live in the keyring, which changes.
        assert!(!keepable(&v(Status::Good, "0123ABCD")));
        assert!(!keepable(&v(Status::Expired, "0123ABCD")));
        // Could not check: a missing ssh-keygen today says nothing about tomorrow.
        assert!(!keepable(&v(Status::UnknownKey, "SHA256:abc")));
        assert!(!keepable(&v(Status::Unchecked, "")));
        assert!(!keepable(&v(Status::Bad, "")));
    }

    #[test]
    fn verdicts_are_read_by_commit_with_their_key() {
        let mut by_id = std::collections::HashMap::new();
        let keys = ["ssh-ed25519 AAA".to_string()];
        parse_verdicts(
            "c1\0G\0ddf-key-0\0SHA256:x\0\nc2\0N\0\0\0\nc3\0G\0ddf-key-7\0SHA256:y\0\n",
            &keys,
            &mut by_id,
        );
        assert_eq!(by_id["c1"].status, Status::Good);
        assert_eq!(by_id["c1"].ssh_key, Some(0));
        assert_eq!(by_id["c2"].status, Status::Unsigned);
        // A principal that is not one of the keys given names no key.
        assert_eq!(by_id["c3"].ssh_key, None);
    }

    #[test]
    fn each_key_has_its_own_principal() {
        let text = allowed_signers(&["ssh-ed25519 AAA".into(), "ssh-rsa BBB".into()]);
        assert_eq!(text, "ddf-key-0 ssh-ed25519 AAA\nddf-key-1 ssh-rsa BBB\n");
    }
}
