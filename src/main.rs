//! The `mawb` binary: parse the command line, run it, exit with the contract's code.

use clap::Parser;

fn main() {
    let cli = mawb::cli::Cli::parse();
    std::process::exit(mawb::cli::run(cli));
}
