//! The `mawb` binary: parse the command line, run it, exit with the contract's code.

use clap::Parser;

/// mimalloc, as [`mawb::allocator`] explains.
#[global_allocator]
static GLOBAL: mawb::allocator::Allocator = mawb::allocator::Allocator {};

fn main() {
    mawb::allocator::tune();
    let cli = mawb::cli::Cli::parse();
    std::process::exit(mawb::cli::run(cli));
}
