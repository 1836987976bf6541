//! The output folder of `mawb prepare` as one unit: it appears under its final name complete or not at all.
//!
//! A prepare writes thousands of small files (one request and one params file per batch, bag and day, per
//! MAWB). Making each of them durable on its own costs two fsyncs per file, which dominates a prepare on a
//! busy disk. Instead the whole output is built under a temporary sibling, written without per-file
//! fsync, made durable with one `syncfs` of its filesystem, and renamed into place:
//!
//! ```text
//! parent/.DIR.mawb-prepare.tmp   being written; after a replacement, the previous output until removed
//! parent/.DIR.mawb-prepare.old   the previous output, where the folders cannot be exchanged (below)
//! parent/DIR                     complete, with DIR/.mawb-prepare marking it as mawb's
//! ```
//!
//! An earlier output is replaced by exchanging the two folders in one step (Linux `renameat2` with
//! `RENAME_EXCHANGE`), so `DIR` always holds a complete output; where the filesystem cannot exchange,
//! two renames leave a moment without `DIR`. A process killed at any moment leaves no `DIR`, the previous
//! complete `DIR`, or the new complete `DIR`, never a half folder under the final name. The parent folder is locked (advisory `flock` on the
//! folder itself) for the whole prepare, so the next prepare into the same parent knows that temporary
//! siblings it finds are left over from a crash and removes them.
//!
//! An existing `DIR` is replaced only when it is empty or carries the marker of an earlier prepare: a
//! folder holding anything else (the operator's own files, a MAWB folder given by mistake) is refused,
//! never deleted.
//!
//! Written here rather than taken from a crate: the tempfile crate's `TempDir` removes itself on drop and
//! has no "rename a whole tree into place, replacing a marked folder" step; the pieces (rename, exchange,
//! flock, syncfs) are the operating system's.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The marker file at the root of every prepared output; an existing folder holding it may be replaced.
pub const MARKER: &str = ".mawb-prepare";

const MARKER_TEXT: &str =
    "Written by mawb prepare. The next `mawb prepare --out` into this folder \
replaces it whole, so keep nothing else here.\n";

/// Why an output folder cannot be started or put into place.
#[derive(Debug, thiserror::Error)]
pub enum UnitError {
    /// `DIR` exists, is not empty, and was not written by mawb prepare.
    #[error(
        "{0} already exists and holds files mawb prepare did not write; give --out a new or empty folder, \
         or move those files away (a prepare replaces its output folder whole)"
    )]
    Foreign(String),
    /// `--out` names a folder that is, or holds, the input.
    #[error(
        "{out} is, or holds, the input {input}; give --out a folder outside the MAWB or batch folder"
    )]
    HoldsInput { out: String, input: String },
    /// `--out` names a folder inside the input: the next check or run of that batch would take it for a
    /// MAWB folder.
    #[error(
        "{out} is inside the input {input}: a batch's next check or run would take it for a MAWB folder (and \
         fail it); give --out a folder outside the MAWB or batch folder"
    )]
    InsideInput { out: String, input: String },
    /// A filesystem operation failed.
    #[error("cannot {what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: io::Error,
    },
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> UnitError {
    let path = path.display().to_string();
    move |source| UnitError::Io { what, path, source }
}

/// An output folder being built; [`OutputUnit::commit`] puts it into place, dropping it uncommitted
/// removes what was written.
#[derive(Debug)]
pub struct OutputUnit {
    target: PathBuf,
    tmp: PathBuf,
    old: PathBuf,
    committed: bool,
    // Held for the unit's whole life: the advisory lock on the parent folder.
    _lock: Option<fs::File>,
}

/// The temporary sibling names of `target`: (being written, previous output between renames).
fn siblings(target: &Path) -> (PathBuf, PathBuf) {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (
        target.with_file_name(format!(".{name}.mawb-prepare.tmp")),
        target.with_file_name(format!(".{name}.mawb-prepare.old")),
    )
}

/// `target` as an absolute path without `..`, its existing part with symbolic links resolved, for
/// comparing it with the input (an output reached through a link into the input is inside it).
fn absolute(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    // The deepest folder that exists is resolved; the names below it (still to be created) follow it.
    let mut existing = out.clone();
    let mut missing = Vec::new();
    while !existing.exists() {
        match existing.file_name() {
            Some(name) => {
                missing.push(name.to_owned());
                existing.pop();
            }
            None => break,
        }
    }
    let mut real = fs::canonicalize(&existing).unwrap_or(existing);
    real.extend(missing.iter().rev());
    real
}

impl OutputUnit {
    /// Starts the output folder `target` for a prepare of `input`: locks `target`'s parent (creating it),
    /// removes temporary siblings a crashed prepare left, refuses a `target` that holds the input or files
    /// mawb did not write, and creates an empty temporary folder to write into.
    pub fn begin(target: &Path, input: &Path) -> Result<OutputUnit, UnitError> {
        let (abs_target, abs_input) = (absolute(target), absolute(input));
        if abs_input.starts_with(&abs_target) {
            return Err(UnitError::HoldsInput {
                out: target.display().to_string(),
                input: input.display().to_string(),
            });
        }
        if abs_target.starts_with(&abs_input) {
            return Err(UnitError::InsideInput {
                out: target.display().to_string(),
                input: input.display().to_string(),
            });
        }
        let target = abs_target;
        let parent = target
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| UnitError::Io {
                what: "write into",
                path: target.display().to_string(),
                source: io::Error::other("it has no parent folder"),
            })?;
        fs::create_dir_all(&parent).map_err(io_err("create", &parent))?;
        let lock = lock_folder(&parent);
        let (tmp, old) = siblings(&target);
        for stale in [&tmp, &old] {
            remove_if_present(stale)?;
        }
        check_replaceable(&target)?;
        fs::create_dir(&tmp).map_err(io_err("create", &tmp))?;
        fs::write(tmp.join(MARKER), MARKER_TEXT).map_err(io_err("write", &tmp.join(MARKER)))?;
        Ok(OutputUnit {
            target,
            tmp,
            old,
            committed: false,
            _lock: lock,
        })
    }

    /// The folder to write into (the temporary sibling until [`OutputUnit::commit`]).
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The folder's final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Makes everything written durable with one sync, then renames the folder into place, replacing an
    /// earlier prepared output, and makes the rename durable.
    pub fn commit(mut self) -> Result<(), UnitError> {
        sync_filesystem(&self.tmp).map_err(io_err("sync", &self.tmp))?;
        let replacing = self.target.exists();
        if !replacing {
            fs::rename(&self.tmp, &self.target).map_err(io_err("rename into place", &self.tmp))?;
            self.committed = true;
            return crate::fsutil::sync_dir(&self.target).map_err(io_err("sync", &self.target));
        }
        // Checked again under the lock: the folder may have changed since begin.
        check_replaceable(&self.target)?;
        if exchange(&self.tmp, &self.target).is_ok() {
            // One atomic step: the final name always holds a complete output; the old one is now at tmp.
            self.committed = true;
            crate::fsutil::sync_dir(&self.target).map_err(io_err("sync", &self.target))?;
            return remove_if_present(&self.tmp);
        }
        // Where the filesystem cannot exchange two names: two renames, with a moment without DIR.
        fs::rename(&self.target, &self.old).map_err(io_err("move aside", &self.target))?;
        fs::rename(&self.tmp, &self.target).map_err(io_err("rename into place", &self.tmp))?;
        self.committed = true;
        crate::fsutil::sync_dir(&self.target).map_err(io_err("sync", &self.target))?;
        remove_if_present(&self.old)
    }
}

impl Drop for OutputUnit {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Refuses `target` when it exists, is not empty and has no marker.
fn check_replaceable(target: &Path) -> Result<(), UnitError> {
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("read", target)(e)),
    };
    if !meta.is_dir() {
        return Err(UnitError::Foreign(target.display().to_string()));
    }
    if target.join(MARKER).is_file() {
        return Ok(());
    }
    let mut entries = fs::read_dir(target).map_err(io_err("read", target))?;
    match entries.next() {
        None => Ok(()),
        Some(_) => Err(UnitError::Foreign(target.display().to_string())),
    }
}

fn remove_if_present(path: &Path) -> Result<(), UnitError> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove the leftover", path)(e)),
    }
}

/// The advisory lock on `dir` itself, held while the unit lives. Where folders cannot be locked the
/// prepare goes on without it (two prepares into one parent at once are then the operator's care).
fn lock_folder(dir: &Path) -> Option<fs::File> {
    let file = match fs::File::open(dir) {
        Ok(f) => f,
        Err(e) => {
            tracing::debug!("{}: cannot open to lock ({e})", dir.display());
            return None;
        }
    };
    match file.lock() {
        Ok(()) => Some(file),
        Err(e) => {
            tracing::debug!("{}: no advisory lock ({e})", dir.display());
            None
        }
    }
}

/// Swaps the folders `a` and `b` in one atomic step (Linux `renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|e| io::Error::other(e.to_string()))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are NUL-terminated paths that live across the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// One sync of the filesystem holding `dir` (Linux `syncfs`); elsewhere every file under `dir` and the
/// folders themselves are synced one by one.
#[cfg(target_os = "linux")]
fn sync_filesystem(dir: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let f = fs::File::open(dir)?;
    // SAFETY: `f` is an open descriptor for the duration of the call; syncfs only reads it.
    let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn sync_filesystem(dir: &Path) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.map_err(io::Error::other)?;
        fs::File::open(entry.path())?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(root: &Path) -> PathBuf {
        let p = root.join("in");
        fs::create_dir_all(&p).unwrap();
        p
    }

    #[test]
    fn a_committed_unit_appears_whole_and_leaves_no_sibling() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("out");
        let unit = OutputUnit::begin(&out, &input(t.path())).unwrap();
        fs::write(unit.path().join("a.xml"), "a").unwrap();
        assert!(!out.exists(), "nothing under the final name before commit");
        unit.commit().unwrap();
        assert_eq!(fs::read_to_string(out.join("a.xml")).unwrap(), "a");
        assert!(out.join(MARKER).is_file());
        let names: Vec<_> = fs::read_dir(t.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_dropped_unit_removes_what_it_wrote() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("out");
        let unit = OutputUnit::begin(&out, &input(t.path())).unwrap();
        let tmp = unit.path().to_path_buf();
        fs::write(tmp.join("a.xml"), "a").unwrap();
        drop(unit);
        assert!(!tmp.exists() && !out.exists());
    }

    #[test]
    fn an_earlier_output_is_replaced_whole() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("out");
        let unit = OutputUnit::begin(&out, &input(t.path())).unwrap();
        fs::write(unit.path().join("stale.xml"), "old").unwrap();
        unit.commit().unwrap();
        let unit = OutputUnit::begin(&out, &input(t.path())).unwrap();
        fs::write(unit.path().join("fresh.xml"), "new").unwrap();
        unit.commit().unwrap();
        assert!(!out.join("stale.xml").exists());
        assert!(out.join("fresh.xml").is_file());
    }

    #[test]
    fn leftovers_of_a_crash_are_removed_and_an_empty_folder_is_taken() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("out");
        fs::create_dir(&out).unwrap();
        let (tmp, old) = siblings(&absolute(&out));
        fs::create_dir_all(tmp.join("half")).unwrap();
        fs::create_dir_all(&old).unwrap();
        let unit = OutputUnit::begin(&out, &input(t.path())).unwrap();
        assert!(!old.exists());
        assert_eq!(
            fs::read_dir(unit.path()).unwrap().count(),
            1,
            "only the marker"
        );
        unit.commit().unwrap();
    }

    #[test]
    fn a_folder_of_other_files_is_refused_and_kept() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = OutputUnit::begin(&out, &input(t.path())).unwrap_err();
        assert!(matches!(e, UnitError::Foreign(_)), "{e}");
        assert!(e.to_string().contains("new or empty folder"), "{e}");
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        fs::write(t.path().join("file"), "x").unwrap();
        let e = OutputUnit::begin(&t.path().join("file"), &input(t.path())).unwrap_err();
        assert!(matches!(e, UnitError::Foreign(_)), "{e}");
    }

    #[test]
    fn an_output_that_holds_the_input_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let inp = input(t.path());
        for out in [inp.clone(), t.path().to_path_buf(), inp.join("..")] {
            let e = OutputUnit::begin(&out, &inp).unwrap_err();
            assert!(matches!(e, UnitError::HoldsInput { .. }), "{e}");
        }
        assert!(inp.is_dir());
        // Nor inside it: the batch would hold one more folder for its next check or run to fail.
        for out in [inp.join("out"), inp.join("sub/../out")] {
            let e = OutputUnit::begin(&out, &inp).unwrap_err();
            assert!(matches!(e, UnitError::InsideInput { .. }), "{e}");
            assert!(!inp.join("out").exists());
        }
        // Nor inside it through a symbolic link to it.
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&inp, &link).unwrap();
        for out in [link.join("out"), link.join("new/deeper")] {
            let e = OutputUnit::begin(&out, &inp).unwrap_err();
            assert!(matches!(e, UnitError::InsideInput { .. }), "{e}");
        }
        // A sibling whose name starts like the input's is outside it.
        let beside = PathBuf::from(format!("{}-prepared", inp.display()));
        OutputUnit::begin(&beside, &inp).unwrap().commit().unwrap();
        assert!(beside.is_dir());
    }
}
