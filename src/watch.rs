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
//! **Nothing wedges it** (see [`worker`]): a worker that panics sends its folder to `failed/` with the
//! panic as the reason, and the loop hears of every worker's end exactly once; a worker running past
//! `--folder-timeout` no longer holds a slot (it is reported, and its folder stays in `processing/`); a
//! stop request waits at most `--stop-grace` for running folders, then returns; a folder whose run was
//! started `--max-starts` times without finishing (the process crashed or was killed each time) goes to
//! `failed/` instead of being started again.

mod lock;
mod ready;
mod worker;

use crate::acp::client::Client;
use crate::archive::Archive;
use crate::check::CheckOptions;
use crate::ingest::is_ignored_name;
use crate::ledger::Ledger;
use crate::plan::PlanOptions;
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

/// What the flow of each folder needs: the same client, ledger, archive and options as `mawb run`.
/// Shared with the worker threads, which may outlive the call to [`watch`] when they never return.
pub struct Services {
    pub client: Arc<Client>,
    pub ledger: Arc<Ledger>,
    pub archive: Arc<Archive>,
    pub plan: PlanOptions,
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

// ---------------------------------------------------------------------------------------------------
// The drop folder
// ---------------------------------------------------------------------------------------------------

/// The four subfolders of a drop folder.
#[derive(Debug, Clone)]
pub struct DropDir {
    pub root: PathBuf,
    pub inbox: PathBuf,
    pub processing: PathBuf,
    pub done: PathBuf,
    pub failed: PathBuf,
}

impl DropDir {
    /// Creates `inbox/`, `processing/`, `done/` and `failed/` under `root` when missing.
    pub fn create(root: &Path) -> Result<DropDir, WatchError> {
        let d = DropDir {
            root: root.to_path_buf(),
            inbox: root.join(INBOX),
            processing: root.join(PROCESSING),
            done: root.join(DONE),
            failed: root.join(FAILED),
        };
        for p in [&d.inbox, &d.processing, &d.done, &d.failed] {
            fs::create_dir_all(p).map_err(io_err("cannot create the drop folder", p))?;
        }
        Ok(d)
    }
}

/// The names of the folders directly inside `dir` (hidden and temporary names left out), sorted.
/// Symbolic links are left out too: renaming a link would move the link, not the folder.
pub fn list_folders(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            tracing::warn!(
                "{}: a folder name that is not UTF-8 is skipped; rename it",
                entry.path().display()
            );
            continue;
        };
        if is_ignored_name(&name) {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------
// Moving folders
// ---------------------------------------------------------------------------------------------------

/// The first of `dir/NAME`, `dir/NAME.1`, `dir/NAME.2`… that does not exist.
pub fn unique_destination(dir: &Path, name: &str) -> std::io::Result<PathBuf> {
    for n in 0..100_000u32 {
        let candidate = if n == 0 {
            dir.join(name)
        } else {
            dir.join(format!("{name}.{n}"))
        };
        match fs::symlink_metadata(&candidate) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(candidate),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
    }
    Err(std::io::Error::other(format!(
        "{name}.0 to {name}.99999 all exist in {}",
        dir.display()
    )))
}

/// Renames the folder `from` to `to` (which must not exist) and makes the rename durable.
fn move_folder(from: &Path, to: &Path) -> std::io::Result<()> {
    // rename(2) would silently replace an empty folder: refuse instead; nothing is ever overwritten.
    if fs::symlink_metadata(to).is_ok() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        ));
    }
    fs::rename(from, to)?;
    crate::fsutil::sync_dir(to)?;
    crate::fsutil::sync_dir(from)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn rfc3339_ms(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// The watcher's bookkeeping of a folder in `processing/`, kept in the folder so it survives restarts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FolderState {
    /// When it was claimed (ms since the epoch).
    pub claimed_ms: Option<u64>,
    /// How it became ready: "READY marker", "settled".
    pub ready_by: Option<String>,
    /// Runs that ended in a transient failure.
    pub attempts: u32,
    /// The first transient failure (ms since the epoch): `--give-up` counts from here.
    pub first_failure_ms: Option<u64>,
    pub last_error: Option<String>,
    /// Runs started and not finished: written before each run starts, cleared when it ends. More than
    /// zero at the start of a run means the process ended (crash, kill, stop) during an earlier one.
    #[serde(default)]
    pub unfinished_runs: u32,
}

impl FolderState {
    fn load(dir: &Path) -> FolderState {
        let path = dir.join(STATE_FILE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!("{}: unreadable, starting afresh: {e}", path.display());
                FolderState::default()
            }),
            Err(_) => FolderState::default(),
        }
    }

    fn save(&self, dir: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(&dir.join(STATE_FILE), &bytes)
    }
}

// ---------------------------------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------------------------------

enum Msg {
    /// Something changed under `inbox/`.
    Fs,
    /// A worker finished a folder.
    Finished {
        name: String,
        disposition: Disposition,
    },
}

/// What the loop knows about a folder in `inbox/`.
struct Seen {
    snap: Snapshot,
    /// When the snapshot last changed (or was first taken).
    changed: Instant,
    first_seen: Instant,
    /// A notice about why it waits was logged.
    told: bool,
}

/// Runs the watcher until `stop` is set (or, with `once`, until what was ready is processed).
pub fn watch(cfg: &WatchConfig, svc: Services, stop: &AtomicBool) -> Result<Summary, WatchError> {
    let dirs = DropDir::create(&cfg.drop_dir)?;
    let lock = DropLock::acquire(&dirs.root.join(LOCK_FILE))?;
    tracing::info!(
        "watching {} (pid {}, {}; ready by {}; {} job(s))",
        dirs.inbox.display(),
        lock.owner().pid,
        match (cfg.once, cfg.poll) {
            (true, _) => "once".to_string(),
            (false, Some(p)) => format!("polling every {}", secs(p)),
            (false, None) => format!("filesystem events, rescan every {}", secs(cfg.rescan)),
        },
        match cfg.settle {
            Some(s) => format!("READY marker or {} settled", secs(s)),
            None => "READY marker".to_string(),
        },
        cfg.jobs.max(1)
    );
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut events = None;
    let mut poll = cfg.poll;
    if !cfg.once && poll.is_none() {
        match fs_events(&dirs.inbox, tx.clone()) {
            Ok(w) => events = Some(w),
            Err(e) => {
                let every = Duration::from_secs(2);
                tracing::warn!(
                    "cannot listen to filesystem events on {} ({e}); polling every {} instead",
                    dirs.inbox.display(),
                    secs(every)
                );
                poll = Some(every);
            }
        }
    }
    let worker = Arc::new(Worker::new(cfg.clone(), svc, dirs.clone()));
    let mut lp = Loop {
        cfg,
        dirs: &dirs,
        poll,
        seen: BTreeMap::new(),
        queue: VecDeque::new(),
        later: Vec::new(),
        running: HashMap::new(),
        overdue: HashSet::new(),
        once_ready: None,
        summary: Summary::default(),
        waiting_for_name: HashSet::new(),
    };
    let summary = lp.run(&worker, &tx, &rx, stop);
    drop(events);
    drop(lock);
    Ok(summary)
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Listens to filesystem events under `inbox`; each one wakes the loop.
fn fs_events(inbox: &Path, tx: mpsc::Sender<Msg>) -> notify::Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut w = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        let relevant = match &ev {
            Ok(e) => !matches!(e.kind, notify::EventKind::Access(_)),
            // An error (queue overflow…) may hide events: scan.
            Err(_) => true,
        };
        if relevant {
            let _ = tx.send(Msg::Fs);
        }
    })?;
    w.watch(inbox, notify::RecursiveMode::Recursive)?;
    Ok(w)
}

struct Loop<'a> {
    cfg: &'a WatchConfig,
    dirs: &'a DropDir,
    poll: Option<Duration>,
    seen: BTreeMap<String, Seen>,
    /// Folders in `processing/` to run now.
    queue: VecDeque<String>,
    /// Folders in `processing/` to run at a time (retries, deferred).
    later: Vec<(Instant, String)>,
    /// Folders whose worker thread runs, with when it started.
    running: HashMap<String, Instant>,
    /// Running folders past `folder_timeout`: they no longer hold a slot.
    overdue: HashSet<String>,
    /// With `once`: the inbox folders that were ready at start, not yet claimed.
    once_ready: Option<VecDeque<String>>,
    summary: Summary,
    /// Inbox names told to wait (`processing/NAME` exists, or the claim failed): logged once.
    waiting_for_name: HashSet<String>,
}

impl<'a> Loop<'a> {
    fn run(
        &mut self,
        worker: &Arc<Worker>,
        tx: &mpsc::Sender<Msg>,
        rx: &mpsc::Receiver<Msg>,
        stop: &AtomicBool,
    ) -> Summary {
        match list_folders(&self.dirs.processing) {
            Ok(left) if !left.is_empty() => {
                tracing::info!(
                    "resuming {} folder(s) left in processing/: {}",
                    left.len(),
                    left.join(", ")
                );
                self.queue.extend(left);
            }
            Ok(_) => {}
            Err(e) => tracing::error!("cannot list {}: {e}", self.dirs.processing.display()),
        }
        let start = Instant::now();
        let mut scan_at = Some(start);
        let mut next_full = start;
        let mut next_heartbeat = self.cfg.heartbeat.map(|h| start + h);
        // When a stop was requested.
        let mut stop_at: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if stop_at.is_none() && stop.load(Ordering::SeqCst) {
                stop_at = Some(now);
                tracing::info!(
                    "stop requested: taking no new folder; waiting up to {} for {} running folder(s) to finish",
                    secs(self.cfg.stop_grace),
                    self.running.len()
                );
            }
            self.mark_overdue(now);
            if let Some(at) = stop_at {
                if self.running.is_empty() {
                    break;
                }
                if now.duration_since(at) >= self.cfg.stop_grace {
                    tracing::warn!(
                        "stopping without {} still running after {} ({}): they stay in processing/ and \
                         resume at the next start",
                        self.running.len(),
                        secs(self.cfg.stop_grace),
                        self.running_names()
                    );
                    break;
                }
            }
            let stopping = stop_at.is_some();
            if !stopping {
                if self.cfg.once {
                    if self.once_ready.is_none() {
                        self.scan(now);
                        let ready: VecDeque<String> = self.ready_now(now).into();
                        tracing::info!("{} folder(s) ready in inbox/", ready.len());
                        let waiting: Vec<&str> = self
                            .seen
                            .keys()
                            .map(String::as_str)
                            .filter(|n| !ready.iter().any(|r| r == n))
                            .collect();
                        if !waiting.is_empty() {
                            let how = match self.cfg.settle {
                                Some(d) => format!(
                                    "no READY file yet, and not unchanged for {} yet",
                                    secs(d)
                                ),
                                None => "no READY file yet".to_string(),
                            };
                            tracing::warn!(
                                "{} folder(s) in inbox/ not taken ({how}): {}",
                                waiting.len(),
                                waiting.join(", ")
                            );
                        }
                        self.once_ready = Some(ready);
                    }
                } else if scan_at.is_some_and(|t| now >= t) || now >= next_full {
                    self.scan(now);
                    scan_at = None;
                    next_full = now + self.poll.unwrap_or(self.cfg.rescan);
                }
                self.promote_due(now);
                self.dispatch(worker, tx, now);
            }
            if let (Some(at), Some(every)) = (next_heartbeat, self.cfg.heartbeat) {
                if now >= at {
                    self.heartbeat();
                    next_heartbeat = Some(now + every);
                }
            }
            if self.cfg.once
                && self.running.len() == self.overdue.len()
                && self.queue.is_empty()
                && self.later.is_empty()
                && self.once_ready.as_ref().is_none_or(VecDeque::is_empty)
            {
                if !self.overdue.is_empty() {
                    tracing::warn!(
                        "returning without {} folder(s) running past {} ({}): they stay in processing/",
                        self.overdue.len(),
                        secs(self.cfg.folder_timeout),
                        self.running_names()
                    );
                }
                break;
            }
            // Sleep until the next thing to do, a message, or MAX_SLEEP (to see the stop flag).
            let mut wake = now + MAX_SLEEP;
            if !stopping {
                if let Some(t) = scan_at {
                    wake = wake.min(t);
                }
                if !self.cfg.once {
                    wake = wake.min(next_full);
                    if let Some(t) = self.next_settle_check() {
                        wake = wake.min(t);
                    }
                }
                if let Some(t) = self.later.iter().map(|(t, _)| *t).min() {
                    wake = wake.min(t);
                }
            }
            if let Some(t) = next_heartbeat {
                wake = wake.min(t);
            }
            let mut msg = rx
                .recv_timeout(wake.saturating_duration_since(Instant::now()))
                .ok();
            while let Some(m) = msg {
                match m {
                    Msg::Fs => {
                        let t = Instant::now() + DEBOUNCE;
                        scan_at = Some(scan_at.map_or(t, |old| old.min(t)));
                    }
                    Msg::Finished { name, disposition } => self.finished(name, disposition),
                }
                msg = rx.try_recv().ok();
            }
        }
        self.summary.left = list_folders(&self.dirs.processing)
            .map(|v| v.len())
            .unwrap_or(self.queue.len() + self.later.len());
        if stop_at.is_some() {
            tracing::info!(
                "stopped: {} done, {} failed, {} left in processing/ for the next start",
                self.summary.done,
                self.summary.failed,
                self.summary.left
            );
        }
        self.summary.clone()
    }

    /// Takes a fresh look at every folder in `inbox/`.
    fn scan(&mut self, now: Instant) {
        let names = match list_folders(&self.dirs.inbox) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!("cannot list {}: {e}", self.dirs.inbox.display());
                if e.kind() == std::io::ErrorKind::NotFound {
                    let _ = fs::create_dir_all(&self.dirs.inbox);
                }
                return;
            }
        };
        let present: HashSet<&String> = names.iter().collect();
        self.seen.retain(|n, _| present.contains(n));
        self.waiting_for_name.retain(|n| present.contains(n));
        for name in &names {
            let snap = match Snapshot::of(&self.dirs.inbox.join(name)) {
                Ok(s) => s,
                Err(e) => {
                    tracing::debug!("inbox/{name}: cannot look inside ({e}); next scan");
                    continue;
                }
            };
            match self.seen.get_mut(name) {
                Some(seen) if seen.snap == snap => {}
                Some(seen) => {
                    seen.snap = snap;
                    seen.changed = now;
                }
                None => {
                    tracing::debug!("inbox/{name}: new folder");
                    self.seen.insert(
                        name.clone(),
                        Seen {
                            snap,
                            changed: now,
                            first_seen: now,
                            told: false,
                        },
                    );
                }
            }
        }
    }

    /// How a seen folder is ready now, if it is.
    fn ready_by(&self, seen: &Seen, now: Instant) -> Option<&'static str> {
        if seen.snap.ready_by_marker() {
            return Some("READY marker");
        }
        let settle = self.cfg.settle?;
        if !seen.snap.settleable() {
            return None;
        }
        let settled = if self.cfg.once {
            // No earlier look to compare with: judge by the files' own mtimes.
            seen.snap.newest.is_some_and(|t| {
                SystemTime::now()
                    .duration_since(t)
                    .is_ok_and(|age| age >= settle)
            })
        } else {
            now.duration_since(seen.changed) >= settle
        };
        settled.then_some("settled")
    }

    /// The inbox folders ready now, oldest first.
    fn ready_now(&mut self, now: Instant) -> Vec<String> {
        let mut ready: Vec<(Instant, String)> = Vec::new();
        let mut notices = Vec::new();
        for (name, seen) in &self.seen {
            if self.ready_by(seen, now).is_some() {
                ready.push((seen.first_seen, name.clone()));
            } else if !seen.told {
                if let (true, Some(f)) = (seen.snap.marker, &seen.snap.in_flight) {
                    notices.push((name.clone(), format!("it holds READY but also {f}, a file still being written; waiting for it to go")));
                } else if seen.snap.truncated {
                    notices.push((
                        name.clone(),
                        format!("it holds more than {MAX_ENTRIES} entries; not a MAWB folder"),
                    ));
                }
            }
        }
        for (name, why) in notices {
            tracing::warn!("inbox/{name}: {why}");
            if let Some(s) = self.seen.get_mut(&name) {
                s.told = true;
            }
        }
        ready.sort();
        ready.into_iter().map(|(_, n)| n).collect()
    }

    /// When the earliest not-yet-settled folder could have settled.
    fn next_settle_check(&self) -> Option<Instant> {
        let settle = self.cfg.settle?;
        self.seen
            .values()
            .filter(|s| !s.snap.ready_by_marker() && s.snap.settleable())
            .map(|s| s.changed + settle)
            .filter(|t| *t > Instant::now())
            .min()
    }

    fn promote_due(&mut self, now: Instant) {
        let mut i = 0;
        while i < self.later.len() {
            if self.later[i].0 <= now {
                let (_, name) = self.later.swap_remove(i);
                self.queue.push_back(name);
            } else {
                i += 1;
            }
        }
    }

    /// Folders holding a slot: running and not overdue.
    fn active(&self) -> usize {
        self.running.len().saturating_sub(self.overdue.len())
    }

    /// The running folders' names, for log lines.
    fn running_names(&self) -> String {
        let mut names: Vec<&str> = self.running.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.join(", ")
    }

    /// Marks the folders running past `folder_timeout` as overdue (said once per folder).
    fn mark_overdue(&mut self, now: Instant) {
        for (name, started) in &self.running {
            if now.duration_since(*started) >= self.cfg.folder_timeout
                && self.overdue.insert(name.clone())
            {
                tracing::error!(
                    folder = %name,
                    "processing/{name} has been running for more than {}: its slot goes to other \
                     folders; it stays in processing/ until its run ends (a restart counts it as an \
                     unfinished run)",
                    secs(self.cfg.folder_timeout)
                );
            }
        }
    }

    /// Starts folders while there are free slots: first those in `processing/`, then newly ready ones.
    fn dispatch(&mut self, worker: &Arc<Worker>, tx: &mpsc::Sender<Msg>, now: Instant) {
        let jobs = self.cfg.jobs.max(1);
        let mut fresh: VecDeque<String> =
            if !self.cfg.once && self.active() + self.queue.len() < jobs {
                self.ready_now(now).into()
            } else {
                VecDeque::new()
            };
        while self.active() < jobs {
            let name = if let Some(n) = self.queue.pop_front() {
                n
            } else {
                let next = if self.cfg.once {
                    self.once_ready.as_mut().and_then(VecDeque::pop_front)
                } else {
                    fresh.pop_front()
                };
                let Some(n) = next else { break };
                if self.claim(&n).is_none() {
                    continue;
                }
                n
            };
            if self.running.contains_key(&name) {
                continue;
            }
            self.running.insert(name.clone(), now);
            worker::start(worker, name, tx);
        }
    }

    /// Moves `inbox/NAME` to `processing/NAME`; `None` when it cannot be taken now.
    fn claim(&mut self, name: &str) -> Option<()> {
        let from = self.dirs.inbox.join(name);
        let to = self.dirs.processing.join(name);
        let seen = self.seen.get(name)?;
        let ready_by = if seen.snap.ready_by_marker() {
            "READY marker"
        } else {
            "settled"
        };
        // A settled folder is looked at once more: a change since the scan means it is not settled.
        if ready_by == "settled" {
            match Snapshot::of(&from) {
                Ok(now) if now == seen.snap => {}
                Ok(now) => {
                    if let Some(s) = self.seen.get_mut(name) {
                        s.snap = now;
                        s.changed = Instant::now();
                    }
                    return None;
                }
                Err(_) => return None,
            }
        }
        if fs::symlink_metadata(&to).is_ok() {
            if self.waiting_for_name.insert(name.to_string()) {
                tracing::info!("inbox/{name}: waits until processing/{name} is finished");
            }
            return None;
        }
        if let Err(e) = move_folder(&from, &to) {
            // Said once per folder; the loop tries again on every pass.
            if self.waiting_for_name.insert(name.to_string()) {
                tracing::warn!(
                    "inbox/{name}: cannot claim it (rename to processing/{name} failed: {e}); will keep trying"
                );
            }
            return None;
        }
        self.seen.remove(name);
        self.waiting_for_name.remove(name);
        let st = FolderState {
            claimed_ms: Some(now_ms()),
            ready_by: Some(ready_by.to_string()),
            ..FolderState::default()
        };
        if let Err(e) = st.save(&to) {
            tracing::warn!("processing/{name}: cannot write {STATE_FILE}: {e}");
        }
        tracing::info!(folder = %name, "claimed inbox/{name} ({ready_by})");
        Some(())
    }

    fn finished(&mut self, name: String, d: Disposition) {
        self.running.remove(&name);
        self.overdue.remove(&name);
        let now = Instant::now();
        match d {
            Disposition::Done => self.summary.done += 1,
            Disposition::Failed => self.summary.failed += 1,
            Disposition::Retry(after) => {
                if self.cfg.once {
                    tracing::info!(
                        folder = %name,
                        "left in processing/ for the next run (a transient failure)"
                    );
                } else {
                    self.later.push((now + after, name));
                }
            }
            Disposition::Deferred => self.later.push((now + DEFER, name)),
            Disposition::Gone => {}
            Disposition::Stuck => {
                if !self.cfg.once {
                    self.later.push((now + self.cfg.retry_min, name));
                }
            }
            Disposition::Crashed(why) => {
                tracing::error!(folder = %name, "processing/{name}: {why}; it stays in processing/");
                if !self.cfg.once {
                    self.later.push((now + self.cfg.retry_min, name));
                }
            }
        }
    }

    fn heartbeat(&self) {
        let count = |d: &Path| list_folders(d).map(|v| v.len()).unwrap_or(0);
        tracing::info!(
            "heartbeat: {} waiting in inbox/, {} in processing/ ({} running, {} of them overdue, {} awaiting a retry), {} done, {} failed",
            count(&self.dirs.inbox),
            count(&self.dirs.processing),
            self.running.len(),
            self.overdue.len(),
            self.later.len(),
            count(&self.dirs.done),
            count(&self.dirs.failed)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path, bytes: &[u8]) {
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).unwrap();
        }
        fs::write(p, bytes).unwrap();
    }

    #[test]
    fn marker_and_in_flight_files_decide_readiness() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("m");
        touch(&d.join("mawb.toml"), b"x");
        let s = Snapshot::of(&d).unwrap();
        assert!(!s.ready_by_marker());
        assert!(s.settleable());
        touch(&d.join("hawbs.csv.part"), b"half");
        let s = Snapshot::of(&d).unwrap();
        assert!(!s.settleable());
        touch(&d.join("READY"), b"");
        let s = Snapshot::of(&d).unwrap();
        assert!(s.marker);
        assert!(
            !s.ready_by_marker(),
            "a .part file holds a READY folder back"
        );
        fs::remove_file(d.join("hawbs.csv.part")).unwrap();
        assert!(Snapshot::of(&d).unwrap().ready_by_marker());
    }

    #[test]
    fn temp_files_alone_never_make_a_folder_settleable() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("m");
        touch(&d.join(".DS_Store"), b"x");
        touch(&d.join("~$hawbs.xlsx"), b"x");
        let s = Snapshot::of(&d).unwrap();
        assert_eq!(s.data_files, 0);
        assert!(!s.settleable());
        fs::remove_file(d.join("~$hawbs.xlsx")).unwrap();
        assert!(!Snapshot::of(&d).unwrap().settleable());
    }

    #[test]
    fn a_change_to_a_hidden_temp_file_is_a_change() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("m");
        touch(&d.join("mawb.toml"), b"x");
        touch(&d.join(".hawbs.csv.Ab12"), b"1");
        let a = Snapshot::of(&d).unwrap();
        touch(&d.join(".hawbs.csv.Ab12"), b"12");
        let b = Snapshot::of(&d).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.data_files, b.data_files);
    }

    #[test]
    fn a_copy_with_preserved_mtimes_still_looks_new() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("m");
        touch(&d.join("hawbs.csv"), b"x");
        let old = SystemTime::now() - Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(d.join("hawbs.csv"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        let s = Snapshot::of(&d).unwrap();
        let age = SystemTime::now()
            .duration_since(s.newest.unwrap())
            .unwrap_or_default();
        assert!(age < Duration::from_secs(60), "{age:?}");
    }

    #[test]
    fn names_clash_into_numbered_suffixes() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(
            unique_destination(t.path(), "A").unwrap(),
            t.path().join("A")
        );
        fs::create_dir(t.path().join("A")).unwrap();
        fs::create_dir(t.path().join("A.1")).unwrap();
        assert_eq!(
            unique_destination(t.path(), "A").unwrap(),
            t.path().join("A.2")
        );
        let e = move_folder(&t.path().join("A"), &t.path().join("A.1")).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn retry_delays_double_and_are_capped() {
        let mut c = WatchConfig::new("/x");
        c.retry_min = Duration::from_secs(10);
        c.retry_max = Duration::from_secs(60);
        assert_eq!(c.retry_delay(1), Duration::from_secs(10));
        assert_eq!(c.retry_delay(2), Duration::from_secs(20));
        assert_eq!(c.retry_delay(3), Duration::from_secs(40));
        assert_eq!(c.retry_delay(4), Duration::from_secs(60));
        assert_eq!(c.retry_delay(40), Duration::from_secs(60));
    }
}
