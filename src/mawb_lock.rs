//! One MAWB at a time per ledger: a lock file per MAWB number beside the ledger
//! (`<ledger>.locks/<MAWB>.lock`), held with the operating system's advisory lock (`std::fs::File::lock`)
//! while a run or a watcher sends that MAWB. A second process that reaches the same MAWB waits for it with
//! a message naming the holder, so two runs of one batch never race each other at ACP, and runs of
//! different batches share a ledger freely.
//!
//! The file is never removed (removing a lock file others may be waiting on would let two holders in); it
//! names its last holder (pid, host, command, time) for the waiting message.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A held MAWB lock; dropping it releases the lock.
#[derive(Debug)]
pub struct MawbLock {
    _file: fs::File,
    path: PathBuf,
}

impl MawbLock {
    /// Takes the lock of MAWB `mawb` in `dir`, calling `on_wait` with the holder's description before
    /// waiting when another process holds it. Where the filesystem has no advisory locks the lock is
    /// taken without them (logged).
    pub fn acquire(dir: &Path, mawb: &str, on_wait: &dyn Fn(&str)) -> std::io::Result<MawbLock> {
        fs::create_dir_all(dir)?;
        let name: String = mawb
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{name}.lock"));
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                on_wait(holder.trim());
                file.lock()?;
            }
            Err(fs::TryLockError::Error(e)) => tracing::debug!(
                "{}: no advisory locks here ({e}); MAWB {mawb} is not protected from a second process",
                path.display()
            ),
        }
        let holder = format!(
            "pid {} on {} ({}), since {}",
            std::process::id(),
            gethostname::gethostname().to_string_lossy(),
            std::env::args().take(2).collect::<Vec<_>>().join(" "),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(holder.as_bytes())?;
        Ok(MawbLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_second_holder_waits_and_is_told_who_holds_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = MawbLock::acquire(dir.path(), "112-44995451", &|_| {}).expect("first");
        assert!(first.path().ends_with("112-44995451.lock"));
        let released = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&released);
        let d = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let told = std::sync::Mutex::new(String::new());
            let lock = MawbLock::acquire(&d, "112-44995451", &|h| {
                *told.lock().unwrap_or_else(|e| e.into_inner()) = h.to_string()
            })
            .expect("second");
            // It only got the lock once the first was released.
            assert!(r.load(Ordering::SeqCst));
            drop(lock);
            told.into_inner().unwrap_or_else(|e| e.into_inner())
        });
        std::thread::sleep(std::time::Duration::from_millis(200));
        released.store(true, Ordering::SeqCst);
        drop(first);
        let told = waiter.join().expect("waiter");
        assert!(
            told.contains(&format!("pid {}", std::process::id())),
            "{told}"
        );
        // Another MAWB is not blocked.
        let a = MawbLock::acquire(dir.path(), "112-44995451", &|_| {}).expect("again");
        let b =
            MawbLock::acquire(dir.path(), "112-44995462", &|_| panic!("no wait")).expect("other");
        drop((a, b));
    }
}
