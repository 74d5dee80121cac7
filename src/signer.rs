//! The person at the keyboard, as Git will sign: the SSH key `git config user.signingkey` names,
//! the PER record it is enrolled in, and the trailers of an approval commit (`ddf keys add`,
//! `ddf approve`).
//!
//! Git does the signing; ddf only reads Git's configuration, so the key that signs is the key
//! found here.

use crate::corpus::Corpus;
use crate::history::approval::fingerprint;
use crate::history::signature::{is_ssh_type, normalise_key};
use crate::record::Record;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why the signing key could not be found or used.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// No `user.signingkey` in Git's configuration and none given.
    #[error("Git has no signing key configured (git config user.signingkey)")]
    NoSigningKey,
    /// Git signs with GPG, whose keys ddf cannot read.
    #[error("Git signs with {0} here (gpg.format); ddf finds the signer of SSH keys only")]
    NotSsh(String),
    /// The key file could not be read.
    #[error("cannot read the public key {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not an SSH public key.
    #[error("{0} is not an SSH public key (`ssh-ed25519 AAAA...`)")]
    NotAKey(String),
}

/// An SSH public key: `type material` and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// `type material`, as PER records hold it.
    pub key: String,
    /// `SHA256:...`, as ssh-keygen and Git print it.
    pub fingerprint: String,
}

impl PublicKey {
    /// Reads a public key from `text` (`type material [comment]`), checking the material is
    /// base64 of a key of that type.
    pub fn parse(text: &str) -> Option<PublicKey> {
        use base64::Engine;
        let key = normalise_key(text.lines().next().unwrap_or(""))?;
        let (t, material) = key.split_once(' ')?;
        if !is_ssh_type(t) {
            return None;
        }
        let blob = base64::engine::general_purpose::STANDARD
            .decode(material)
            .ok()?;
        // The blob starts with the key type as an SSH string: 4-byte length, then the name.
        let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
        if blob.get(4..4 + len)? != t.as_bytes() {
            return None;
        }
        Some(PublicKey {
            fingerprint: fingerprint(&key),
            key,
        })
    }

    /// Reads the key from `arg`: a public key itself, or a file holding one (for a private key
    /// file, the `.pub` beside it).
    pub fn from_arg(arg: &str, base: &Path) -> Result<PublicKey, SignerError> {
        let arg = arg.strip_prefix("key::").unwrap_or(arg);
        if let Some(k) = PublicKey::parse(arg) {
            return Ok(k);
        }
        let path = expand(arg, base);
        let text = std::fs::read_to_string(&path);
        match text {
            Ok(t) if PublicKey::parse(&t).is_some() => {
                PublicKey::parse(&t).ok_or_else(|| SignerError::NotAKey(arg.to_string()))
            }
            Ok(_) | Err(_) => {
                let pub_path = PathBuf::from(format!("{}.pub", path.display()));
                match std::fs::read_to_string(&pub_path) {
                    Ok(t) => PublicKey::parse(&t)
                        .ok_or_else(|| SignerError::NotAKey(pub_path.display().to_string())),
                    Err(e) => match text {
                        Ok(_) => Err(SignerError::NotAKey(arg.to_string())),
                        Err(_) => Err(SignerError::Read {
                            path: path.display().to_string(),
                            source: e,
                        }),
                    },
                }
            }
        }
    }
}

fn expand(arg: &str, base: &Path) -> PathBuf {
    if let Some(rest) = arg.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return Path::new(&home).join(rest);
        }
    }
    let p = Path::new(arg);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// A Git configuration value as Git resolves it in `dir` (repository, user and system
/// configuration), or `None`.
pub fn git_config(dir: &Path, key: &str) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["config", "--get", key])
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

/// The SSH key Git signs with in `dir`: `user.signingkey`, with `gpg.format` ssh.
pub fn signing_key(dir: &Path) -> Result<(PublicKey, String), SignerError> {
    let format = git_config(dir, "gpg.format").unwrap_or_else(|| "openpgp".into());
    let Some(configured) = git_config(dir, "user.signingkey") else {
        return Err(SignerError::NoSigningKey);
    };
    if format != "ssh" {
        return Err(SignerError::NotSsh(format));
    }
    Ok((PublicKey::from_arg(&configured, dir)?, configured))
}

/// The PER records whose `keys` hold `key`, sorted.
pub fn holders<'c>(corpus: &'c Corpus, key: &PublicKey) -> Vec<&'c Record> {
    let mut out: Vec<&Record> = corpus
        .records_of("person")
        .iter()
        .map(|&i| &corpus.records[i])
        .filter(|p| {
            p.list("keys")
                .iter()
                .any(|k| normalise_key(k).as_deref() == Some(key.key.as_str()))
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The trailer block of an approval commit: `Approves:` lines of at most ten `ID@blob` each,
/// `Signature-Meaning:` and `Signer:`.
pub fn approval_trailers(pins: &[(String, String)], meaning: &str, signer: &str) -> String {
    let mut s = String::new();
    for chunk in pins.chunks(10) {
        let items: Vec<String> = chunk.iter().map(|(id, b)| format!("{id}@{b}")).collect();
        s.push_str(&format!("Approves: {}\n", items.join(", ")));
    }
    s.push_str(&format!("Signature-Meaning: {meaning}\nSigner: {signer}"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGjbQFQa1yh6n++GwAF+MSKtAZXzWgrvOMRJUcqja8eC root@vm";

    #[test]
    fn public_keys_are_checked_and_fingerprinted() {
        let k = PublicKey::parse(KEY).expect("key");
        assert_eq!(
            k.fingerprint,
            "SHA256:GDeNY+gHusWTZd/46d23lxJilIQqxrXd7PLYQKpu+Qo"
        );
        assert!(!k.key.contains("root@vm"));
        // The type inside the blob must be the type written.
        assert!(PublicKey::parse(&KEY.replace("ssh-ed25519", "ssh-rsa")).is_none());
        assert!(PublicKey::parse("ssh-ed25519 not-base64!").is_none());
        assert!(PublicKey::parse("ABCD 1234").is_none());
    }

    #[test]
    fn trailers_put_ten_pins_to_a_line() {
        let pins: Vec<(String, String)> = (0..12)
            .map(|i| (format!("DI-{i:03}"), "abc1234".into()))
            .collect();
        let t = approval_trailers(&pins, "approval", "PER-001");
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("Approves: DI-000@abc1234, "));
        assert_eq!(lines[1], "Approves: DI-010@abc1234, DI-011@abc1234");
        assert_eq!(lines[3], "Signer: PER-001");
    }
}
