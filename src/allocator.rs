//! The process's allocator: mimalloc, tuned for a batch that frees and reallocates the same amounts file
//! after file.
//!
//! Ingest and answer parsing allocate many small strings from several threads; glibc's allocator spent a
//! quarter of the run's CPU there and fragmented across thread arenas. A `#[global_allocator]` can only be
//! declared by the final program, so the `mawb` binary and the benches that measure it each declare
//! [`Allocator`] and call [`tune`] first: the benches then measure the allocator that ships.

/// The allocator type every mawb program declares as its `#[global_allocator]`.
pub type Allocator = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (v3): how long freed memory stays committed, in ms.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory committed for a second instead of 10 ms: returning pages to the kernel after each
/// file spent a third of `check` zeroing them again. Call it once, first thing in `main`; it has no effect
/// on a program whose global allocator is not [`Allocator`].
pub fn tune() {
    // SAFETY: sets a process-wide allocator option with a plain integer; no pointer is involved.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
}
