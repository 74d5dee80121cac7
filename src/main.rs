//! The `ddf` binary: parses arguments, runs the library, renders errors, picks the exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ddf::cli::Cli::parse();
    ddf::cli::main(cli)
}
