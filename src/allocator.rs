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
/// `mi_option_allow_thp` in mimalloc.h (v3): whether mimalloc asks for transparent huge pages.
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Tunes the allocator for mawb's work. Call it once, first thing in `main`; the purge delay has no
/// effect on a program whose global allocator is not [`Allocator`].
///
/// - Freed memory stays committed for a second instead of 10 ms: returning pages to the kernel after
///   each file spent a third of `check` zeroing them again.
/// - No transparent huge pages (`prctl(PR_SET_THP_DISABLE)`, Linux): mimalloc advises them on its
///   arenas, so every purged and reused 2 MiB region was faulted back in whole and zeroed by the
///   kernel, about a tenth of `mawb run`'s CPU on the 100,000-HAWB night (0.3 s of system time). The
///   setting applies to this process and the processes it starts.
pub fn tune() {
    // SAFETY: sets process-wide allocator options with plain integers; no pointer is involved.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000);
        libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
    }
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only; a failure (an old kernel) leaves
    // huge pages as they were, which is only slower.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
