//! One folder of the watcher: its run on a worker thread, and the moves that end it.
//!
//! Every claimed folder runs on a thread of its own, so the loop never waits for one. Whatever happens on
//! that thread, the loop hears about it exactly once: [`start`] sends the folder's [`Disposition`] when the
//! run returns, turns a panic into a move to `failed/` with the panic as the reason, and, should even
//! that fail, a guard sends [`Disposition::Crashed`] while the thread unwinds. The loop's count of
//! running folders therefore always matches the threads that run.
//!
//! A run that kills the whole process (an abort, an out-of-memory kill, a power cut) cannot be caught
//! inside it. For that the folder's bookkeeping counts the runs started and not finished, written before
//! the run starts; a folder started `--max-starts` times without finishing goes to `failed/` with that
//! reason instead of being started again.

use super::{
    move_folder, now_ms, rfc3339_ms, secs, unique_destination, DropDir, FolderState, Msg, Services,
    WatchConfig, DONE, FAILED, REPORT_JSON, REPORT_TXT, STATE_FILE,
};
use crate::aggregate::Totals;
use crate::check::{check_one, CheckReport, CheckedMawb};
use crate::contain::{contain, fault_point, FaultPoint};
use crate::flow::{run_mawb, FlowContext, Outcome, RunStatus};
use crate::model::Mawb;
use crate::report::{write_summary, JsonReport};
use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// How a folder's run ended, as the loop needs to know it.
#[derive(Debug)]
pub(super) enum Disposition {
    Done,
    Failed,
    /// A transient failure: run again after this long.
    Retry(Duration),
    /// Another folder of the same MAWB was running: try again shortly (no attempt counted).
    Deferred,
    /// Finished but could not be moved out of `processing/`: run again (the ledger makes it a no-op).
    Stuck,
    /// The folder left `processing/` behind the watcher's back: nothing to do.
    Gone,
    /// The worker thread ended in a panic that could not be turned into a move (the reason); the
    /// folder stays in `processing/` and its count of unfinished runs decides what comes next.
    Crashed(String),
}

/// What every folder's run shares: the configuration, the drop folder, the services, and the manifest
/// numbers running now.
pub(super) struct Worker {
    pub(super) cfg: WatchConfig,
    pub(super) svc: Services,
    pub(super) dirs: DropDir,
    /// Manifest numbers running now: two folders of one MAWB never run at once.
    busy: Mutex<HashSet<String>>,
}

/// How long a file changed after the READY marker must stay unchanged before the folder is read.
pub const AFTER_READY_QUIET: Duration = Duration::from_secs(3);

/// Why a folder is still being written after its READY marker: a data file whose last change is later
/// than the marker's and less than [`AFTER_READY_QUIET`] ago. `None` when settled, or without a marker.
fn written_after_ready(snap: &super::Snapshot) -> Option<String> {
    let when = |e: &(
        String,
        u64,
        Option<std::time::SystemTime>,
        Option<std::time::SystemTime>,
    )| { e.2.max(e.3) };
    let marker = snap
        .entries
        .iter()
        .find(|e| super::is_ready_marker(&e.0))
        .and_then(when)?;
    let now = std::time::SystemTime::now();
    snap.entries
        .iter()
        .filter(|e| {
            let base = e.0.rsplit('/').next().unwrap_or(&e.0);
            !super::is_ready_marker(base) && !crate::ingest::is_ignored_name(base)
        })
        .find(|e| {
            when(e).is_some_and(|t| {
                t > marker
                    && now
                        .duration_since(t)
                        .is_ok_and(|ago| ago < AFTER_READY_QUIET)
            })
        })
        .map(|e| format!("{} changed after READY was written", e.0))
}

/// Releases a manifest number from [`Worker::busy`] when dropped.
struct BusyGuard<'a> {
    set: &'a Mutex<HashSet<String>>,
    key: Option<String>,
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.set
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&k);
        }
    }
}

/// Sends the folder's [`Msg::Finished`] exactly once: with the disposition given to [`Report::send`],
/// or, when the thread unwinds before that, with [`Disposition::Crashed`].
struct Report {
    tx: mpsc::Sender<Msg>,
    name: Option<String>,
}

impl Report {
    fn send(mut self, disposition: Disposition) {
        if let Some(name) = self.name.take() {
            let _ = self.tx.send(Msg::Finished { name, disposition });
        }
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            let why = "the worker thread ended in a panic".to_string();
            let _ = self.tx.send(Msg::Finished {
                name,
                disposition: Disposition::Crashed(why),
            });
        }
    }
}

/// Runs `processing/NAME` on a thread of its own; the loop hears of its end through `tx`, always. The
/// thread is not joined: one that never returns is left behind when the watcher stops.
pub(super) fn start(worker: &Arc<Worker>, name: String, tx: &mpsc::Sender<Msg>) {
    let report = Report {
        tx: tx.clone(),
        name: Some(name.clone()),
    };
    let w = Arc::clone(worker);
    let spawned = std::thread::Builder::new()
        .name(format!("mawb-watch-{name}"))
        .spawn(move || {
            let disposition = match contain(|| w.process(&name)) {
                Ok(d) => d,
                Err(msg) => contain(|| w.after_panic(&name, &msg))
                    .unwrap_or_else(|again| Disposition::Crashed(format!("{msg}; then: {again}"))),
            };
            report.send(disposition);
        });
    if let Err(e) = spawned {
        // The closure (and with it the report) is dropped: the loop hears Crashed and tries again later.
        tracing::error!("cannot start a worker thread: {e}");
    }
}

impl Worker {
    /// The worker shared by the threads of one watcher.
    pub(super) fn new(cfg: WatchConfig, svc: Services, dirs: DropDir) -> Worker {
        Worker {
            cfg,
            svc,
            dirs,
            busy: Mutex::new(HashSet::new()),
        }
    }

    /// Runs `processing/NAME` and moves it on (or schedules its retry).
    fn process(&self, name: &str) -> Disposition {
        let dir = self.dirs.processing.join(name);
        let span = tracing::info_span!("watch", folder = %name);
        let _enter = span.enter();
        if !dir.is_dir() {
            tracing::warn!("processing/{name} is gone; nothing to do");
            return Disposition::Gone;
        }
        let mut state = FolderState::load(&dir);
        if state.unfinished_runs >= self.cfg.max_starts {
            let reason = format!(
                "its run was started {} time(s) and never finished (the watcher crashed, was killed \
                 or was stopped while it ran); it is not started again{}",
                state.unfinished_runs,
                state
                    .last_error
                    .as_deref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default()
            );
            tracing::error!("processing/{name}: {reason}");
            return self.fail_unread(name, &dir, &state, reason);
        }
        // Counted before the run, so a run that takes the process down still counts.
        state.unfinished_runs += 1;
        if let Err(e) = state.save(&dir) {
            tracing::warn!("processing/{name}: cannot write {STATE_FILE}: {e}");
        }
        fault_point(FaultPoint::Watch, name);
        // A folder still being written after READY (rows appended to a spreadsheet) is not read yet.
        let snapshot = super::Snapshot::of(&dir).ok();
        if let Some(why) = snapshot.as_ref().and_then(written_after_ready) {
            tracing::warn!("processing/{name}: {why}; waiting for it to settle before reading it");
            state.unfinished_runs = state.unfinished_runs.saturating_sub(1);
            if let Err(e) = state.save(&dir) {
                tracing::warn!("processing/{name}: cannot write {STATE_FILE}: {e}");
            }
            return Disposition::Retry(AFTER_READY_QUIET);
        }
        let before = snapshot.map(|s| s.entries);
        let ran = contain(|| {
            let mut checked = check_one(&dir, &self.svc.check);
            // What was read must still be what the folder holds just before anything is sent.
            let after = super::Snapshot::of(&dir).ok().map(|s| s.entries);
            if before != after {
                return Some(Err(
                    "a file changed while the folder was read (still being written?)".to_string(),
                ));
            }
            if let Err(e) = crate::check::check_against_ledger(
                std::slice::from_mut(&mut checked),
                &self.svc.run.ledger,
            ) {
                tracing::warn!("cannot compare the folder's trackingNumbers and shipperItemIds with the ledger: {e}");
            }
            let key = checked
                .mawb
                .config
                .as_ref()
                .map(|c| c.manifest_number.clone());
            let guard = match key {
                Some(k) => {
                    let mut busy = self.busy_set();
                    if !busy.insert(k.clone()) {
                        return None;
                    }
                    BusyGuard {
                        set: &self.busy,
                        key: Some(k),
                    }
                }
                None => BusyGuard {
                    set: &self.busy,
                    key: None,
                },
            };
            let ctx = FlowContext {
                services: &self.svc.run,
                on_items: &|_| {},
            };
            let outcome = run_mawb(&ctx, &checked);
            drop(guard);
            Some(Ok((checked, outcome)))
        });
        state.unfinished_runs = 0;
        let (checked, outcome) = match ran {
            Ok(Some(Ok(r))) => r,
            Ok(Some(Err(why))) => {
                tracing::warn!(
                    "processing/{name}: {why}; nothing was sent, it is read again once it settles"
                );
                if let Err(e) = state.save(&dir) {
                    tracing::warn!("processing/{name}: cannot write {STATE_FILE}: {e}");
                }
                return Disposition::Retry(AFTER_READY_QUIET);
            }
            Ok(None) => {
                tracing::debug!("another folder of the same MAWB is running; waiting");
                if let Err(e) = state.save(&dir) {
                    tracing::warn!("processing/{name}: cannot write {STATE_FILE}: {e}");
                }
                return Disposition::Deferred;
            }
            Err(msg) => {
                let reason = format!("internal error while running the folder: {msg}");
                tracing::error!("{reason}");
                return self.fail_after_error(name, &dir, &state, reason);
            }
        };
        if outcome.is_success() {
            return self.finish(name, &dir, &checked, &outcome, &state, true, None);
        }
        let error = outcome
            .error
            .clone()
            .unwrap_or_else(|| format!("{:?}", outcome.status));
        if outcome.configuration_error {
            tracing::error!(
                "{error}: processing/{name} stays where it is and is retried; nothing is wrong with the folder"
            );
        }
        if outcome.retryable && outcome.status != RunStatus::Invalid {
            let now = now_ms();
            state.attempts += 1;
            let first = *state.first_failure_ms.get_or_insert(now);
            state.last_error = Some(error.clone());
            let failing_for = Duration::from_millis(now.saturating_sub(first));
            if failing_for >= self.cfg.give_up {
                let reason = format!(
                    "gave up after {} of transient failures ({} attempt(s)); last: {error}",
                    secs(failing_for),
                    state.attempts
                );
                return self.finish(name, &dir, &checked, &outcome, &state, false, Some(reason));
            }
            let after = self.cfg.retry_delay(state.attempts);
            if let Err(e) = state.save(&dir) {
                tracing::warn!("processing/{name}: cannot write {STATE_FILE}: {e}");
            }
            if !self.cfg.once {
                tracing::info!(
                    "transient failure (attempt {}): {error}; retry scheduled in {}",
                    state.attempts,
                    secs(after)
                );
            } else {
                tracing::info!("transient failure (attempt {}): {error}", state.attempts);
            }
            return Disposition::Retry(after);
        }
        self.finish(name, &dir, &checked, &outcome, &state, false, Some(error))
    }

    /// After a panic that escaped [`Worker::process`]: the folder goes to `failed/` with the panic as
    /// the reason.
    fn after_panic(&self, name: &str, msg: &str) -> Disposition {
        let dir = self.dirs.processing.join(name);
        if !dir.is_dir() {
            return Disposition::Gone;
        }
        let mut state = FolderState::load(&dir);
        state.unfinished_runs = 0;
        let reason = format!("internal error while running the folder: {msg}");
        tracing::error!(folder = %name, "{reason}");
        self.fail_after_error(name, &dir, &state, reason)
    }

    /// Sends a folder whose run went wrong inside mawb to `failed/`; its report shows what a fresh
    /// check of the folder finds (nothing at all when the check itself fails).
    fn fail_after_error(
        &self,
        name: &str,
        dir: &Path,
        state: &FolderState,
        reason: String,
    ) -> Disposition {
        let checked = contain(|| check_one(dir, &self.svc.check)).unwrap_or_else(|_| unread(dir));
        let outcome = Outcome::failed(reason.clone());
        self.finish(name, dir, &checked, &outcome, state, false, Some(reason))
    }

    /// Sends a folder to `failed/` without reading it again (reading it may be what crashed).
    fn fail_unread(
        &self,
        name: &str,
        dir: &Path,
        state: &FolderState,
        reason: String,
    ) -> Disposition {
        let outcome = Outcome::failed(reason.clone());
        self.finish(
            name,
            dir,
            &unread(dir),
            &outcome,
            state,
            false,
            Some(reason),
        )
    }

    fn busy_set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.busy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the reports into the folder and moves it to `done/` or `failed/`.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        name: &str,
        dir: &Path,
        checked: &CheckedMawb,
        outcome: &Outcome,
        state: &FolderState,
        ok: bool,
        reason: Option<String>,
    ) -> Disposition {
        let (target, label) = if ok {
            (&self.dirs.done, DONE)
        } else {
            (&self.dirs.failed, FAILED)
        };
        let dest = match unique_destination(target, name) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("cannot choose a name in {}: {e}", target.display());
                return Disposition::Stuck;
            }
        };
        let dest_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_string());
        let shown = format!("{label}/{dest_name}");
        if let Err(e) = write_reports(
            dir,
            &dest,
            &shown,
            checked,
            outcome,
            state,
            ok,
            reason.as_deref(),
        ) {
            tracing::error!("processing/{name}: cannot write the report: {e}; will try again");
            return Disposition::Stuck;
        }
        let _ = fs::remove_file(dir.join(STATE_FILE));
        if let Err(e) = move_folder(dir, &dest) {
            tracing::error!("cannot move processing/{name} to {shown}: {e}; will try again");
            // Keep the bookkeeping: the give-up clock must survive.
            let _ = state.save(dir);
            return Disposition::Stuck;
        }
        let status = status_word(outcome.status);
        if ok {
            tracing::info!(
                "done → {shown} ({status}: manifest {}, {} request(s))",
                outcome.manifest_id.as_deref().unwrap_or("-"),
                outcome.requests_sent
            );
            crate::outln!(
                "done    {name} → {shown}  {status}, manifest {}, {} request(s)",
                outcome.manifest_id.as_deref().unwrap_or("-"),
                outcome.requests_sent
            );
            Disposition::Done
        } else {
            let reason = reason.unwrap_or_default();
            tracing::info!("failed → {shown} ({status}): {reason}");
            crate::outln!("failed  {name} → {shown}  {status}: {reason}");
            Disposition::Failed
        }
    }
}

fn status_word(s: RunStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| format!("{s:?}"))
}

/// `report.json` (the `run --json` schema with one MAWB, plus `outcome.watch`) and `report.txt`.
#[allow(clippy::too_many_arguments)]
fn write_reports(
    dir: &Path,
    dest: &Path,
    shown: &str,
    checked: &CheckedMawb,
    outcome: &Outcome,
    state: &FolderState,
    ok: bool,
    reason: Option<&str>,
) -> std::io::Result<()> {
    let finished = now_ms();
    // The reports sit in the folder's last place (`done/` or `failed/`), and say so: a problem that
    // names the folder (`… has no mawb.toml`) names it there, not in `processing/`.
    let mut moved = checked.clone();
    moved.mawb.dir = dest.to_path_buf();
    let (from, to) = (dir.display().to_string(), dest.display().to_string());
    for p in &mut moved.problems {
        if p.file.starts_with(&from) {
            p.file = p.file.replacen(&from, &to, 1);
        }
        if p.message.contains(&from) {
            p.message = p.message.replace(&from, &to);
        }
    }
    let report = CheckReport {
        mawbs: vec![moved],
        problems: Vec::new(),
        totals: checked.totals.clone(),
    };
    let checked = &report.mawbs[0];
    let code = if ok {
        crate::report::EXIT_OK
    } else {
        crate::report::EXIT_FAILED
    };
    let mut json = JsonReport::from_check("watch", &report, code);
    let watch_info = serde_json::json!({
        "result": if ok { DONE } else { FAILED },
        "reason": reason,
        "location": shown,
        "ready_by": state.ready_by,
        "claimed_at": state.claimed_ms.map(rfc3339_ms),
        "finished_at": rfc3339_ms(finished),
        "transient_failures": state.attempts,
        "first_failure_at": state.first_failure_ms.map(rfc3339_ms),
    });
    for m in &mut json.mawbs {
        m.dir = dest.display().to_string();
        let mut o = serde_json::to_value(outcome).map_err(std::io::Error::other)?;
        if let Some(obj) = o.as_object_mut() {
            obj.insert("watch".into(), watch_info.clone());
        }
        m.outcome = Some(o);
    }
    json.write_to(&dir.join(REPORT_JSON))?;

    let mut txt: Vec<u8> = Vec::new();
    let status = status_word(outcome.status);
    writeln!(txt, "mawb watch: {} → {shown}", checked.mawb.folder_name())?;
    writeln!(txt, "result: {} ({status})", if ok { DONE } else { FAILED })?;
    if let Some(r) = reason {
        writeln!(txt, "reason: {r}")?;
    }
    writeln!(
        txt,
        "manifest: {}   manifest id: {}   day id: {}",
        checked.mawb.display_name(),
        outcome.manifest_id.as_deref().unwrap_or("-"),
        outcome.day_id.as_deref().unwrap_or("-")
    )?;
    writeln!(
        txt,
        "{} request(s) sent; items: {} created, {} adopted, {} cancelled; {} bag(s) created; {} label(s) archived",
        outcome.requests_sent,
        outcome.items_created,
        outcome.items_adopted,
        outcome.items_cancelled,
        outcome.bags_created,
        outcome.labels_archived
    )?;
    for line in outcome.print_ready.iter().flat_map(|p| p.lines()) {
        writeln!(txt, "{line}")?;
    }
    if state.attempts > 0 {
        writeln!(
            txt,
            "transient failures: {} (first at {})",
            state.attempts,
            state.first_failure_ms.map(rfc3339_ms).unwrap_or_default()
        )?;
    }
    if let Some(c) = state.claimed_ms {
        writeln!(
            txt,
            "claimed {} ({}), finished {}",
            rfc3339_ms(c),
            state.ready_by.as_deref().unwrap_or("-"),
            rfc3339_ms(finished)
        )?;
    }
    writeln!(txt)?;
    write_summary(&mut txt, &report, 200)?;
    crate::fsutil::write_atomic(&dir.join(REPORT_TXT), &txt)
}

/// A folder's report when it was not read: its place, nothing else.
fn unread(dir: &Path) -> CheckedMawb {
    CheckedMawb {
        mawb: Mawb {
            dir: dir.to_path_buf(),
            config: None,
            image: None,
            files: Vec::new(),
            items: Vec::new(),
            bags: Vec::new(),
        },
        totals: Totals::default(),
        problems: Vec::new(),
    }
}
