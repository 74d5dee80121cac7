//! `ddf keys add PER-00N [PUBKEY]`: enrol an SSH signing key in a person's record and say how to
//! sign with it.

use super::{print, write_atomic, CliError, Env};
use crate::signer::{self, PublicKey};

/// Manage the signing keys of PER records.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Enrol an SSH public key in a person's record (`keys`) and print the Git settings to sign
    /// with it. The key counts for approvals once another person who may approve has signed an
    /// approval of this change (`ddf approve PER-00N`), or from the start where the record is
    /// part of the trust root (docs/history.md).
    Add(AddArgs),
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The person (a PER id).
    #[arg(value_name = "PER")]
    person: String,
    /// The public key: `ssh-ed25519 AAAA...`, or a file holding it (for a private key file,
    /// the `.pub` beside it). Default: the key `git config user.signingkey` names.
    #[arg(value_name = "PUBKEY")]
    key: Option<String>,
}

/// Runs `ddf keys`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    if env.rev.is_some() {
        return Err(CliError::usage(
            "`ddf keys` edits the working tree; it takes no --rev",
        ));
    }
    match args.command {
        KeysCommand::Add(a) => add(env, a),
    }
}

fn add(env: &Env, a: AddArgs) -> Result<u8, CliError> {
    let (corpus, _) = env.load()?;
    let Some(person) = corpus.get(&a.person).filter(|p| p.type_name == "person") else {
        return Err(CliError::usage(format!(
            "{} is not a person (PER) record of this DDF",
            a.person
        ))
        .hint("`ddf new person --title \"Full Name\"` creates one"));
    };
    let (key, from) = match &a.key {
        Some(k) => (PublicKey::from_arg(k, &env.root).map_err(|e| CliError::usage(e.to_string()))?, k.clone()),
        None => signer::signing_key(&env.root).map_err(|e| {
            CliError::usage(e.to_string()).hint(
                "give the public key (ddf keys add PER-00N ~/.ssh/id_ed25519.pub), or set Git to sign with SSH: git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519.pub",
            )
        })?,
    };
    let holders = signer::holders(&corpus, &key);
    if holders.iter().any(|p| p.id == person.id) {
        return Err(CliError::usage(format!(
            "{} already holds the key {}",
            person.id, key.fingerprint
        )));
    }
    if let Some(other) = holders.first() {
        return Err(CliError::usage(format!(
            "the key {} is enrolled for {} already; a key on two persons identifies no one",
            key.fingerprint, other.id
        ))
        .hint("each person signs with a key of their own: ssh-keygen -t ed25519 makes one"));
    }
    let path = env.root.join(&person.path);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::failed(format!("cannot read {}: {e}", person.path)))?;
    let mut keys: Vec<String> = person.list("keys");
    keys.push(key.key.clone());
    let edited = crate::sbom::edit::set_fields(
        &text,
        &[("keys".to_string(), crate::sbom::edit::list(&keys))],
    )
    .map_err(|e| CliError::failed(format!("{}: {}", person.path, e.0)))?;
    write_atomic(&path, edited.as_bytes(), true)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", person.path)))?;
    let name = person.text("printed_name").unwrap_or_default();
    print(&format!(
        "Enrolled {fp} for {id} ({name}) in {file}.\n\
         \n\
         To sign with it, set Git in this repository (or with --global):\n\
         \x20 git config gpg.format ssh\n\
         \x20 git config user.signingkey {from}\n\
         \n\
         The key counts for approvals once this change is committed and another person who may\n\
         approve has signed an approval of it:\n\
         \x20 git commit -m \"Enrol a signing key for {id}\" {file}\n\
         \x20 ddf approve {id}        (run by that other person)\n",
        fp = key.fingerprint,
        id = person.id,
        file = person.path,
    ))?;
    Ok(0)
}
