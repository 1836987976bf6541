//! The `mawb` binary: parse the command line, run it, exit with the contract's code.

use clap::Parser;

/// mimalloc: ingest and answer parsing allocate many small strings from several threads; glibc's
/// allocator spent a quarter of the run's CPU there and fragmented across thread arenas.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3): how long freed memory stays committed, in ms.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Keep freed memory for a second instead of 10 ms: a batch frees and reallocates the same amounts
    // file after file, and returning pages to the kernel each time spent a third of `check` zeroing them.
    // SAFETY: sets a process-wide allocator option with a plain integer; no pointer is involved.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
    let cli = mawb::cli::Cli::parse();
    std::process::exit(mawb::cli::run(cli));
}
