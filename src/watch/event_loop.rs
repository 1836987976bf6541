//! The watcher's loop: filesystem events and periodic rescans wake it, it claims ready folders by rename,
//! hands each to a worker thread (at most `jobs` at once), and keeps the books when workers finish.

use super::*;

pub(super) enum Msg {
    /// Something changed under `inbox/`.
    Fs,
    /// A worker finished a folder.
    Finished {
        name: String,
        disposition: Disposition,
    },
}

/// What the loop knows about a folder in `inbox/`.
pub(super) struct Seen {
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
        told_not_taken: HashSet::new(),
    };
    let summary = lp.run(&worker, &tx, &rx, stop);
    drop(events);
    drop(lock);
    Ok(summary)
}

pub(super) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// Listens to filesystem events under `inbox`; each one wakes the loop.
pub(super) fn fs_events(
    inbox: &Path,
    tx: mpsc::Sender<Msg>,
) -> notify::Result<notify::RecommendedWatcher> {
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

pub(super) struct Loop<'a> {
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
    /// Inbox entries that are not folders (files, symbolic links), told not taken: logged once each.
    told_not_taken: HashSet<String>,
}

impl<'a> Loop<'a> {
    pub(super) fn run(
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
    pub(super) fn scan(&mut self, now: Instant) {
        let names = match list_entries(&self.dirs.inbox) {
            Ok(Entries { folders: n, others }) => {
                self.told_not_taken
                    .retain(|t| others.iter().any(|(o, _)| o == t));
                for (name, is_link) in others {
                    if self.told_not_taken.insert(name.clone()) {
                        tracing::warn!("inbox/{name} is {}", why_not_taken(is_link));
                    }
                }
                n
            }
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
    pub(super) fn ready_by(&self, seen: &Seen, now: Instant) -> Option<&'static str> {
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
    pub(super) fn ready_now(&mut self, now: Instant) -> Vec<String> {
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
    pub(super) fn next_settle_check(&self) -> Option<Instant> {
        let settle = self.cfg.settle?;
        self.seen
            .values()
            .filter(|s| !s.snap.ready_by_marker() && s.snap.settleable())
            .map(|s| s.changed + settle)
            .filter(|t| *t > Instant::now())
            .min()
    }

    pub(super) fn promote_due(&mut self, now: Instant) {
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
    pub(super) fn active(&self) -> usize {
        self.running.len().saturating_sub(self.overdue.len())
    }

    /// The running folders' names, for log lines.
    pub(super) fn running_names(&self) -> String {
        let mut names: Vec<&str> = self.running.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.join(", ")
    }

    /// Marks the folders running past `folder_timeout` as overdue (said once per folder).
    pub(super) fn mark_overdue(&mut self, now: Instant) {
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
    pub(super) fn dispatch(&mut self, worker: &Arc<Worker>, tx: &mpsc::Sender<Msg>, now: Instant) {
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
    pub(super) fn claim(&mut self, name: &str) -> Option<()> {
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

    pub(super) fn finished(&mut self, name: String, d: Disposition) {
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

    pub(super) fn heartbeat(&self) {
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
