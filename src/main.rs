//! The `mawb` binary: parse the command line, run it, exit with the contract's code.

use clap::Parser;

/// mimalloc: ingest and answer parsing allocate many small strings from several threads; glibc's
/// allocator spent a quarter of the run's CPU there and fragmented across thread arenas.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = mawb::cli::Cli::parse();
    std::process::exit(mawb::cli::run(cli));
}
