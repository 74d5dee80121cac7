//! `ddf lsp`: the language server over stdio (the server itself is [`crate::lsp`]).

use super::{CliError, Env};

/// Arguments of `ddf lsp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Talk over standard input and output (the only transport; accepted because many editors
    /// pass it).
    #[arg(long)]
    pub stdio: bool,
}

/// Runs the server until the editor shuts it down.
pub(super) fn run(env: &Env, _args: Args) -> Result<u8, CliError> {
    if env.rev.is_some() {
        return Err(
            CliError::usage("`ddf lsp` serves the working tree; --rev does not apply")
                .hint("drop --rev"),
        );
    }
    let (connection, io) = lsp_server::Connection::stdio();
    let served = crate::lsp::serve(&connection, env.root.clone(), |root, corpus| {
        // The history is read once (from ddf's cache when it is there) and never walked again
        // while the editor types. A repository ddf cannot read leaves the history rules out;
        // `ddf check` reports why.
        let env = Env {
            root: root.to_path_buf(),
            rev: None,
            format: None,
            style: env.style,
            quiet: true,
            verbose: 0,
        };
        let (history, took) = env.load_history(&corpus.config.records).ok()??;
        let h = env.history_data(history, took, corpus).ok()?;
        Some(crate::lsp::HistoryParts {
            history: h.history,
            approvals: h.approvals,
            controlled_tip: h.controlled_tip,
            since: h.since,
        })
    });
    drop(connection);
    io.join()
        .map_err(|e| CliError::failed(format!("language server input/output: {e}")))?;
    served.map_err(|e| CliError::failed(e.to_string()))?;
    Ok(0)
}
