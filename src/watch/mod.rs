//! The drop-folder watcher behind `mawb watch DROP_DIR`.
//!
//! Warehouses drop a finished MAWB folder into `DROP_DIR/inbox/` and expect it uploaded within seconds,
//! never half-read, never twice, never lost, across restarts and crashes. Each promise has one mechanism:
//!
//! - **never half-read**: a folder is only taken when it holds a `READY` marker (written last by the
//!   sender), or, with `--settle`, when nothing in it (names, sizes, mtimes, hidden and temporary files
//!   included) has changed for that long; a folder holding an in-flight file (`*.part`, `*.tmp`, `~*`,
//!   `.~lock*`) is never taken;
//! - **never twice**: the folder is claimed by one atomic rename into `processing/`, only one watcher may
//!   own a drop folder (`.mawb-watch.lock`: pid, host, an advisory lock), only one folder per manifest
//!   number runs at a time, and the run itself goes through the same ledger-backed flow as `mawb run`, so a
//!   resumed or re-dropped MAWB sends only what ACP does not hold yet (or `modifyManifest`, or nothing);
//! - **never lost**: a folder only ever moves by rename (`inbox/` → `processing/` → `done/` or `failed/`,
//!   name clashes get `.1`, `.2`… and nothing is overwritten); what is in `processing/` at start is resumed;
//!   transient ACP failures keep the folder in `processing/` and retry with backoff until `--give-up`;
//! - **within seconds**: filesystem events (notify) wake the loop, a periodic rescan (or `--poll` on
//!   network shares, where events do not arrive) catches whatever an event missed, so a missed event only
//!   delays a folder.
//!
//! The loop itself is single-threaded (scan, claim, bookkeeping); each claimed folder runs on its own
//! worker thread, at most `jobs` at once. The loop sleeps on a channel between deadlines, so an idle
//! watcher costs nothing but a wake-up every half second to look at the stop flag.
//!
//! **Nothing wedges it** (see `worker`): a worker that panics sends its folder to `failed/` with the
//! panic as the reason, and the loop hears of every worker's end exactly once; a worker running past
//! `--folder-timeout` no longer holds a slot (it is reported, and its folder stays in `processing/`); a
//! stop request waits at most `--stop-grace` for running folders, then returns; a folder whose run was
//! started `--max-starts` times without finishing (the process crashed or was killed each time) goes to
//! `failed/` instead of being started again.

mod drop_dir;
mod event_loop;
mod lock;
mod ready;
mod worker;

pub use drop_dir::*;
use drop_dir::{move_folder, now_ms, rfc3339_ms};
pub use event_loop::watch;
use event_loop::{secs, Msg};

use crate::check::CheckOptions;
use crate::ingest::is_ignored_name;
pub use lock::{DropLock, Liveness, LockOwner};
pub use ready::{is_in_flight_name, is_ready_marker, Snapshot};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use worker::{Disposition, Worker};

/// Where new folders land.
pub const INBOX: &str = "inbox";
/// Claimed folders, being run or waiting for a retry.
pub const PROCESSING: &str = "processing";
/// Folders whose MAWB is at ACP as the folder describes it.
pub const DONE: &str = "done";
/// Folders that were invalid, refused, or gave up.
pub const FAILED: &str = "failed";
/// The marker a sender writes last to say "this folder is complete".
pub const READY_MARKER: &str = "READY";
/// The lock file naming the watcher that owns a drop folder.
pub const LOCK_FILE: &str = ".mawb-watch.lock";
/// The watcher's bookkeeping inside a folder in `processing/` (hidden, so ingest ignores it).
pub const STATE_FILE: &str = ".mawb-watch.json";
/// The JSON report written into each finished folder (the schema of `run --json`, one MAWB).
pub const REPORT_JSON: &str = "report.json";
/// The readable report written into each finished folder.
pub const REPORT_TXT: &str = "report.txt";

/// Files and folders walked per MAWB folder when judging readiness; beyond that a folder is not ready.
pub(crate) const MAX_ENTRIES: usize = 20_000;
/// How long the loop sleeps at most, so a stop request is seen promptly.
const MAX_SLEEP: Duration = Duration::from_millis(500);
/// Events come in bursts (one per written block); the scan waits this long after the first one.
const DEBOUNCE: Duration = Duration::from_millis(100);
/// How long a folder waits when another folder of the same MAWB is running.
const DEFER: Duration = Duration::from_secs(1);

/// Why the watcher could not start or go on.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(
        "{path} is held by another watcher (pid {pid} on host {host}, since {since}): {why}; \
         only one watcher may own a drop folder. Stop that watcher first, or delete the lock file \
         if you are sure it is gone"
    )]
    LockHeld {
        path: String,
        pid: u32,
        host: String,
        since: String,
        why: String,
    },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io_err<'p>(
    what: &'static str,
    path: &'p Path,
) -> impl FnOnce(std::io::Error) -> WatchError + 'p {
    move |source| WatchError::Io {
        what,
        path: path.display().to_string(),
        source,
    }
}

/// How the watcher behaves (the flags of `mawb watch`).
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub drop_dir: PathBuf,
    /// Also take a folder without `READY` once nothing in it changed for this long.
    pub settle: Option<Duration>,
    /// Scan at this interval instead of listening to filesystem events (network shares).
    pub poll: Option<Duration>,
    /// Full rescan interval in event mode (a missed event delays a folder by at most this).
    pub rescan: Duration,
    /// Transient failures for this long (since the first one) send a folder to `failed/`.
    pub give_up: Duration,
    /// First retry delay after a transient failure; doubled per attempt up to `retry_max`.
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// Folders run at once.
    pub jobs: usize,
    /// Interval of the heartbeat log line; `None`: no heartbeat.
    pub heartbeat: Option<Duration>,
    /// Process what is ready now (and what is left in `processing/`), then return.
    pub once: bool,
    /// A folder running longer than this no longer holds a slot (and does not hold up `once`); its
    /// thread cannot be stopped, so its folder stays in `processing/` until it ends or the next start.
    pub folder_timeout: Duration,
    /// After a stop request, how long running folders may take before the watcher returns without them
    /// (they stay in `processing/`; the ledger makes their next run resume where they were).
    pub stop_grace: Duration,
    /// A folder whose run was started this many times without finishing goes to `failed/`.
    pub max_starts: u32,
}

impl WatchConfig {
    /// The defaults of `mawb watch DROP_DIR`.
    pub fn new(drop_dir: impl Into<PathBuf>) -> WatchConfig {
        WatchConfig {
            drop_dir: drop_dir.into(),
            settle: None,
            poll: None,
            rescan: Duration::from_secs(30),
            give_up: Duration::from_secs(3600),
            retry_min: Duration::from_secs(10),
            retry_max: Duration::from_secs(300),
            jobs: 2,
            heartbeat: Some(Duration::from_secs(60)),
            once: false,
            folder_timeout: Duration::from_secs(1800),
            stop_grace: Duration::from_secs(120),
            max_starts: 3,
        }
    }

    /// The pause before retry number `attempt` (1-based): `retry_min · 2^(attempt-1)`, capped.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(20);
        self.retry_min
            .saturating_mul(factor)
            .min(self.retry_max.max(self.retry_min))
    }
}

/// What the flow of each folder needs: the same services as `mawb run` (shared with the worker threads,
/// which may outlive the call to [`watch`] when they never return), and how folders are checked.
pub struct Services {
    pub run: crate::flow::Services,
    pub check: CheckOptions,
}

/// What a watcher did before it returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Folders moved to `done/`.
    pub done: usize,
    /// Folders moved to `failed/`.
    pub failed: usize,
    /// Folders left in `processing/` (a retry pending, or stopped); the next start resumes them.
    pub left: usize,
}

#[cfg(test)]
mod tests;
