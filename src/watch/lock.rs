//! The single-owner lock of a drop folder: `.mawb-watch.lock` names the watcher (pid, host, start time,
//! boot id, process start time) and an advisory lock guards taking it over, so two watchers never share a
//! drop folder and a stale lock (a dead pid, a reboot, a reused pid) is taken over with a warning.

use super::{io_err, WatchError};
use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Who holds (or held) a drop folder's lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOwner {
    pub pid: u32,
    pub host: String,
    /// When the watcher started (RFC 3339), for people reading the file.
    pub since: String,
    /// `/proc/sys/kernel/random/boot_id` at start: a lock from before a reboot is stale.
    pub boot_id: Option<String>,
    /// The process start time (`/proc/PID/stat` field 22): a reused pid is not the owner.
    pub start_ticks: Option<u64>,
}

/// Whether a lock's owner still runs, and why we think so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    Live(String),
    Stale(String),
}

fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

fn boot_id() -> Option<String> {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Field 22 of `/proc/PID/stat` (start time in clock ticks since boot).
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; fields 3… follow the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether a process with `pid` exists on this host: `/proc/PID` on Linux, else `kill -0 PID`.
fn pid_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        // Cannot tell: assume it runs, so two watchers never share a folder.
        .unwrap_or(true)
}

impl LockOwner {
    /// This process.
    pub fn current() -> LockOwner {
        let pid = std::process::id();
        LockOwner {
            pid,
            host: hostname(),
            since: chrono::Utc::now().to_rfc3339(),
            boot_id: boot_id(),
            start_ticks: start_ticks(pid),
        }
    }

    /// The lock file's text: `key=value` lines.
    pub fn render(&self) -> String {
        let mut s = format!(
            "pid={}\nhost={}\nsince={}\n",
            self.pid, self.host, self.since
        );
        if let Some(b) = &self.boot_id {
            s.push_str(&format!("boot_id={b}\n"));
        }
        if let Some(t) = self.start_ticks {
            s.push_str(&format!("start_ticks={t}\n"));
        }
        s
    }

    /// Reads a lock file's text; `None` when it names no pid and host.
    pub fn parse(text: &str) -> Option<LockOwner> {
        let mut pid = None;
        let mut host = None;
        let mut since = String::new();
        let mut boot = None;
        let mut ticks = None;
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim();
            match k.trim() {
                "pid" => pid = v.parse().ok(),
                "host" => host = Some(v.to_string()).filter(|h| !h.is_empty()),
                "since" => since = v.to_string(),
                "boot_id" => boot = Some(v.to_string()),
                "start_ticks" => ticks = v.parse().ok(),
                _ => {}
            }
        }
        Some(LockOwner {
            pid: pid?,
            host: host?,
            since,
            boot_id: boot,
            start_ticks: ticks,
        })
    }

    /// Whether this (recorded) owner still runs, judged from `me` (the process asking).
    pub fn liveness(&self, me: &LockOwner) -> Liveness {
        if self.host != me.host {
            return Liveness::Live(format!(
                "the lock belongs to host {}, and this host ({}) cannot see its processes",
                self.host, me.host
            ));
        }
        if let (Some(a), Some(b)) = (&self.boot_id, &me.boot_id) {
            if a != b {
                return Liveness::Stale("it was written before this host last booted".into());
            }
        }
        if self.pid == me.pid {
            return if self.start_ticks.is_some() && self.start_ticks == me.start_ticks {
                Liveness::Live("this very process holds it".into())
            } else {
                Liveness::Stale(format!(
                    "pid {} is this process now, so its former owner is gone",
                    self.pid
                ))
            };
        }
        if !pid_alive(self.pid) {
            return Liveness::Stale(format!("no process {} runs on this host", self.pid));
        }
        match (self.start_ticks, start_ticks(self.pid)) {
            (Some(a), Some(b)) if a != b => Liveness::Stale(format!(
                "pid {} now belongs to another process (started later)",
                self.pid
            )),
            _ => Liveness::Live(format!("process {} is running", self.pid)),
        }
    }
}

/// Ownership of a drop folder for the life of the value: the lock file holds our pid and host, and an
/// advisory lock (`flock`) on it protects the check-then-take-over against a watcher starting at the
/// same moment. Dropping it removes the file.
#[derive(Debug)]
pub struct DropLock {
    path: PathBuf,
    file: fs::File,
    owner: LockOwner,
}

impl DropLock {
    /// Takes the lock at `path`, taking over a stale one (with a log line); a live owner is an error.
    pub fn acquire(path: &Path) -> Result<DropLock, WatchError> {
        let me = LockOwner::current();
        for _ in 0..5 {
            let mut file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(io_err("cannot open the lock file", path))?;
            let advisory = match file.try_lock() {
                Ok(()) => true,
                Err(fs::TryLockError::WouldBlock) => {
                    let owner = read_owner(&mut file);
                    return Err(held(
                        path,
                        owner,
                        "it is locked by a running process".into(),
                    ));
                }
                Err(fs::TryLockError::Error(e)) => {
                    tracing::debug!(
                        "{}: no advisory locks here ({e}); relying on the pid and host in the file",
                        path.display()
                    );
                    false
                }
            };
            // The file may have been removed (its owner stopping) between open and lock: start again.
            if !same_file(&file, path) {
                continue;
            }
            let text = read_text(&mut file).map_err(io_err("cannot read the lock file", path))?;
            match LockOwner::parse(&text) {
                Some(owner) => match owner.liveness(&me) {
                    Liveness::Live(why) => return Err(held(path, Some(owner), why)),
                    Liveness::Stale(why) => tracing::warn!(
                        "{}: taking over the stale lock of pid {} on host {} (since {}): {why}",
                        path.display(),
                        owner.pid,
                        owner.host,
                        owner.since
                    ),
                },
                None if text.trim().is_empty() => {}
                None => tracing::warn!(
                    "{}: taking over a lock file that names no owner",
                    path.display()
                ),
            }
            let write = |file: &mut fs::File| -> std::io::Result<()> {
                file.set_len(0)?;
                file.rewind()?;
                file.write_all(me.render().as_bytes())?;
                file.sync_all()
            };
            write(&mut file).map_err(io_err("cannot write the lock file", path))?;
            if !advisory {
                tracing::info!(
                    "{}: lock taken by pid {} (the filesystem has no advisory locks)",
                    path.display(),
                    me.pid
                );
            }
            return Ok(DropLock {
                path: path.to_path_buf(),
                file,
                owner: me,
            });
        }
        Err(WatchError::Io {
            what: "cannot take the lock file (it keeps being replaced)",
            path: path.display().to_string(),
            source: std::io::Error::other("gave up after 5 tries"),
        })
    }

    /// Who holds it (this process).
    pub fn owner(&self) -> &LockOwner {
        &self.owner
    }
}

impl Drop for DropLock {
    fn drop(&mut self) {
        // Remove the file only while it still names us (and while the advisory lock is held).
        let ours = read_text(&mut self.file)
            .ok()
            .and_then(|t| LockOwner::parse(&t))
            .is_some_and(|o| o.pid == self.owner.pid && o.host == self.owner.host);
        if ours && same_file(&self.file, &self.path) {
            if let Err(e) = fs::remove_file(&self.path) {
                tracing::warn!("{}: cannot remove the lock file: {e}", self.path.display());
            }
        }
    }
}

fn held(path: &Path, owner: Option<LockOwner>, why: String) -> WatchError {
    let owner = owner.unwrap_or(LockOwner {
        pid: 0,
        host: "?".into(),
        since: "?".into(),
        boot_id: None,
        start_ticks: None,
    });
    WatchError::LockHeld {
        path: path.display().to_string(),
        pid: owner.pid,
        host: owner.host,
        since: owner.since,
        why,
    }
}

fn read_text(file: &mut fs::File) -> std::io::Result<String> {
    file.rewind()?;
    let mut text = String::new();
    file.take(64 * 1024).read_to_string(&mut text)?;
    Ok(text)
}

fn read_owner(file: &mut fs::File) -> Option<LockOwner> {
    read_text(file).ok().and_then(|t| LockOwner::parse(&t))
}

/// Whether the open `file` is still the file at `path` (same device and inode).
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::LOCK_FILE;

    #[test]
    fn lock_owners_round_trip_and_judge_liveness() {
        let me = LockOwner::current();
        assert_eq!(LockOwner::parse(&me.render()), Some(me.clone()));
        assert_eq!(LockOwner::parse("garbage"), None);
        assert!(matches!(me.liveness(&me), Liveness::Live(_)));
        let other_host = LockOwner {
            host: format!("{}-elsewhere", me.host),
            pid: 1,
            ..me.clone()
        };
        assert!(matches!(other_host.liveness(&me), Liveness::Live(_)));
        let dead = LockOwner {
            pid: u32::MAX - 7,
            ..me.clone()
        };
        assert!(matches!(dead.liveness(&me), Liveness::Stale(_)));
        let reused = LockOwner {
            start_ticks: me.start_ticks.map(|t| t + 1).or(Some(1)),
            ..me.clone()
        };
        assert!(matches!(reused.liveness(&me), Liveness::Stale(_)));
    }

    #[test]
    fn a_live_lock_refuses_and_a_stale_one_is_taken_over() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join(LOCK_FILE);
        let held = DropLock::acquire(&p).unwrap();
        let second = DropLock::acquire(&p).unwrap_err();
        assert!(matches!(second, WatchError::LockHeld { .. }), "{second}");
        drop(held);
        assert!(!p.exists(), "a clean stop removes the lock file");
        let me = LockOwner::current();
        let dead = LockOwner {
            pid: u32::MAX - 7,
            ..me
        };
        fs::write(&p, dead.render()).unwrap();
        let taken = DropLock::acquire(&p).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        assert!(
            text.contains(&format!("pid={}", std::process::id())),
            "{text}"
        );
        drop(taken);
    }
}
