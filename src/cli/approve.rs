//! `ddf approve ID...`: the signed approval commit, with the trailers ddf reads, for the person
//! whose enrolled key Git signs with.

use super::{print, CliError, Env};
use crate::signer;
use std::process::Command;

/// Sign an approval of records as they are committed: an empty, signed commit with
/// `Approves: ID@blob`, `Signature-Meaning:` and `Signer:` for the person whose enrolled key
/// Git signs with (git config user.signingkey, gpg.format ssh).
///
/// Refuses when that person may not sign with the meaning, when a record has uncommitted changes
/// (an approval is of committed content), or when changes are staged (they would become part of
/// the approval commit).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The records to approve.
    #[arg(value_name = "ID", required = true)]
    pub ids: Vec<String>,
    /// The meaning of the signature (21 CFR 11.50): approval, review, release, responsibility,
    /// verification or authorship.
    #[arg(long, short, default_value = "approval")]
    pub meaning: String,
    /// The signer (a PER id), for a GPG key ddf cannot match to a person; must match the
    /// enrolled SSH key when Git signs with SSH.
    #[arg(long)]
    pub signer: Option<String>,
}

/// Runs `ddf approve`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    if env.rev.is_some() {
        return Err(CliError::usage(
            "`ddf approve` signs on top of HEAD; it takes no --rev",
        ));
    }
    let (corpus, _) = env.load()?;
    let loc = crate::history::Location::discover(&env.root)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let workdir = loc
        .repo
        .workdir()
        .map(std::path::Path::to_path_buf)
        .ok_or_else(|| CliError::usage("the repository has no working tree (bare)"))?;

    // Who signs: the person whose enrolled key Git will sign with.
    let signer_id = match signer::signing_key(&workdir) {
        Ok((key, _)) => {
            let holders = signer::holders(&corpus, &key);
            let Some(p) = holders.first() else {
                return Err(CliError::usage(format!(
                    "Git signs with the key {}, which no person record holds",
                    key.fingerprint
                ))
                .hint("enrol it first: ddf keys add PER-00N"));
            };
            if holders.len() > 1 {
                return Err(CliError::usage(format!(
                    "the key {} stands on {} at once, so it identifies no one",
                    key.fingerprint,
                    holders.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(" and ")
                )));
            }
            if let Some(s) = &args.signer {
                if *s != p.id {
                    return Err(CliError::usage(format!(
                        "--signer {s}, but Git signs with {}'s key {}",
                        p.id, key.fingerprint
                    )));
                }
            }
            p.id.clone()
        }
        Err(signer::SignerError::NotSsh(_)) if args.signer.is_some() => {
            args.signer.clone().unwrap_or_default()
        }
        Err(e) => {
            return Err(CliError::usage(e.to_string()).hint(
                "set Git to sign with your enrolled SSH key: git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub (ddf keys add enrols it); with GPG, name yourself with --signer PER-00N",
            ))
        }
    };
    let Some(person) = corpus.get(&signer_id).filter(|p| p.type_name == "person") else {
        return Err(CliError::usage(format!(
            "{signer_id} is not a person (PER) record of this DDF"
        )));
    };
    let may = person.list("may_sign");
    if !may.contains(&args.meaning) {
        return Err(CliError::usage(format!(
            "{} may not sign with the meaning `{}` (may_sign: {})",
            person.id,
            args.meaning,
            if may.is_empty() { "none".into() } else { may.join(", ") }
        ))
        .hint("an approval of this meaning needs another signer, or the person's `may_sign` changed under change control"));
    }

    // What is signed: each record as committed at HEAD.
    let head = loc
        .repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .map_err(|e| CliError::usage(format!("no commit to approve on top of: {e}")))?;
    let mut pins = Vec::new();
    for id in &args.ids {
        let Some(r) = corpus.get(id) else {
            return Err(CliError::usage(format!("{id} is not a record of this DDF")));
        };
        let committed = head
            .get_path(std::path::Path::new(&loc.full(&r.path)))
            .ok()
            .map(|e| e.id().to_string());
        if committed.as_deref() != Some(r.blob.as_str()) {
            return Err(CliError::usage(format!(
                "{id} ({}) has changes that are not committed; an approval is of committed content",
                r.path
            ))
            .hint(format!(
                "commit the content you approve first: git commit {}",
                r.path
            )));
        }
        pins.push((r.id.clone(), r.blob[..r.blob.len().min(12)].to_string()));
    }
    let staged = Command::new("git")
        .current_dir(&workdir)
        .args(["diff", "--cached", "--quiet"])
        .status()
        .map_err(|e| CliError::failed(format!("git: {e}")))?;
    if !staged.success() {
        return Err(CliError::usage(
            "changes are staged; they would become part of the approval commit",
        )
        .hint("commit or unstage them first (git commit, or git restore --staged .)"));
    }
    let ids: Vec<&str> = pins.iter().map(|(i, _)| i.as_str()).collect();
    let subject = if ids.len() <= 5 {
        format!("Approve {} ({})", ids.join(", "), args.meaning)
    } else {
        format!("Approve {} records ({})", ids.len(), args.meaning)
    };
    let trailers = signer::approval_trailers(&pins, &args.meaning, &person.id);
    let out = Command::new("git")
        .current_dir(&workdir)
        .args([
            "commit",
            "-q",
            "-S",
            "--allow-empty",
            "-m",
            &subject,
            "-m",
            &trailers,
        ])
        .output()
        .map_err(|e| CliError::failed(format!("git: {e}")))?;
    if !out.status.success() {
        return Err(CliError::failed(format!(
            "git commit failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let id = Command::new("git")
        .current_dir(&workdir)
        .args(["rev-parse", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    print(&format!(
        "Signed {} as {} ({}), meaning {}:\n{}\n",
        &id[..id.len().min(10)],
        person.text("printed_name").unwrap_or_default(),
        person.id,
        args.meaning,
        pins.iter()
            .map(|(i, b)| format!("  {i}@{b}"))
            .collect::<Vec<_>>()
            .join("\n")
    ))?;
    Ok(0)
}
