//! `ddf man [-o DIR]`: manual pages generated from the same clap definitions the command line
//! parses with (clap_mangen): the main page to stdout, or one page per command and subcommand
//! (`ddf.1`, `ddf-check.1`, `ddf-sbom-import.1`, ...) written into a folder.

use super::{print, write_atomic, CliError, Env};
use std::path::PathBuf;

/// Print the ddf(1) manual page, or write every page into a folder.
///
/// `ddf man | man -l -` reads it now; `ddf man -o /usr/local/share/man/man1` installs them all.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write one page per command into DIR (created if needed; pages there are replaced).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Every page: (file name, roff text), the main page first, then each command depth first.
pub(super) fn pages() -> Result<Vec<(String, Vec<u8>)>, CliError> {
    fn walk(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> std::io::Result<()> {
        let man = clap_mangen::Man::new(cmd.clone());
        let mut text = Vec::new();
        man.render(&mut text)?;
        out.push((man.get_filename(), text));
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, out)?;
        }
        Ok(())
    }
    // Built once here, so subcommands carry the global options and their `ddf-NAME` names.
    let mut cmd = <super::Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, &mut out).map_err(|e| CliError::failed(format!("cannot render a man page: {e}")))?;
    Ok(out)
}

/// Runs `ddf man`.
pub(super) fn run(env: &Env, args: Args) -> Result<u8, CliError> {
    let pages = pages()?;
    let Some(dir) = args.out else {
        let (_, main) = pages
            .into_iter()
            .next()
            .ok_or_else(|| CliError::failed("no manual page"))?;
        print(&String::from_utf8_lossy(&main))?;
        return Ok(0);
    };
    for (name, text) in &pages {
        // Page names come from ddf's own command names, never from input; the join refuses
        // anything that is not one file name all the same.
        let path = crate::fsafe::join(&dir, name).map_err(|e| CliError::usage(e.to_string()))?;
        write_atomic(&path, text, true)
            .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
    }
    if !env.quiet {
        eprintln!(
            "ddf: wrote {} to {}",
            super::output::count(pages.len(), "manual page"),
            dir.display()
        );
    }
    Ok(0)
}
