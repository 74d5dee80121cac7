//! `ddf completions SHELL`: the shell completion script, generated from the same clap
//! definitions the command line parses with (clap_complete), so it never falls behind.

use super::{print, CliError, Env};

/// Print the completion script for SHELL to stdout.
///
/// Bash: `ddf completions bash > ~/.local/share/bash-completion/completions/ddf`.
/// Zsh: `ddf completions zsh > ~/.zfunc/_ddf` (with `fpath+=~/.zfunc` before `compinit`).
/// Fish: `ddf completions fish > ~/.config/fish/completions/ddf.fish`.
/// PowerShell: `ddf completions powershell >> $PROFILE`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Runs `ddf completions`.
pub(super) fn run(_env: &Env, args: Args) -> Result<u8, CliError> {
    let mut cmd = <super::Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ddf", &mut out);
    let text = String::from_utf8(out)
        .map_err(|e| CliError::failed(format!("completion script is not UTF-8: {e}")))?;
    print(&text)?;
    Ok(0)
}
