//! The `ddf` binary: parses arguments, runs the library, renders errors, picks the exit code.

use clap::Parser;
use std::process::ExitCode;

// Parsing 20,000 front-matters on every core allocates millions of small values: glibc's
// allocator spends a good part of a check growing and locking its per-thread arenas.
// `--features system-alloc` keeps the system allocator, so heaptrack can see every allocation
// (docs/benchmarks.md).
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = ddf::cli::Cli::parse();
    ddf::cli::main(cli)
}
