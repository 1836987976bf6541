//! When a folder in `inbox/` is ready: a [`Snapshot`] of everything in it (names, sizes, mtimes and
//! ctimes, hidden and temporary files included), taken without opening any file, tells whether the
//! `READY` marker is there, whether a file is still in flight, and whether anything changed since the
//! last look.

use super::{MAX_ENTRIES, READY_MARKER};
use crate::ingest::is_ignored_name;
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Names of files that mean a copy (or an edit) is still going on: partial downloads and copies
/// (`.part`, `.partial`, `.crdownload`, WinSCP's `.filepart`, rsync's `.NAME.XXXXXX`), temporary
/// files, office lock files. A folder holding one is never ready.
pub fn is_in_flight_name(name: &str) -> bool {
    name.ends_with(".part")
        || name.ends_with(".partial")
        || name.ends_with(".filepart")
        || name.ends_with(".tmp")
        || name.ends_with(".crdownload")
        || name.starts_with('~')
        || name.starts_with(".~lock")
        || is_rsync_temp_name(name)
}

/// rsync writes each file as `.NAME.XXXXXX` (a dot, the file's name, a dot and six random letters or
/// digits) beside its final name and renames it when complete, whatever the order it sends files in
/// (`READY` sorts before most names).
fn is_rsync_temp_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 9
        && b[0] == b'.'
        && b[b.len() - 7] == b'.'
        && b[b.len() - 6..].iter().all(u8::is_ascii_alphanumeric)
}

/// Whether `name` is the done-marker (`READY`; `READY.txt` too, as Windows users hide extensions).
pub fn is_ready_marker(name: &str) -> bool {
    name.eq_ignore_ascii_case(READY_MARKER) || name.eq_ignore_ascii_case("READY.txt")
}

/// The status-change time of a file (set by the kernel on every write, rename or chmod).
fn ctime_of(meta: &fs::Metadata) -> Option<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let secs = u64::try_from(meta.ctime()).ok()?;
    let nanos = u32::try_from(meta.ctime_nsec()).ok()?;
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// What a folder in `inbox/` looks like at one instant: enough to tell whether it is ready and whether
/// it changed since the last look.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The folder holds the `READY` marker.
    pub marker: bool,
    /// Every file and subfolder (ignored names included: a growing hidden temp file is a copy going on):
    /// relative path, size, mtime and ctime. The ctime matters: copy tools (`cp -p`, `rsync -a`,
    /// robocopy) set a copied file's mtime back to the source's, but cannot set its ctime.
    pub entries: Vec<(String, u64, Option<SystemTime>, Option<SystemTime>)>,
    /// Files that are data (not ignored, not the marker).
    pub data_files: usize,
    /// The first in-flight file found (`*.part`, `*.tmp`, `~*`…), if any.
    pub in_flight: Option<String>,
    /// The newest mtime or ctime of any entry.
    pub newest: Option<SystemTime>,
    /// The walk stopped at `MAX_ENTRIES`.
    pub truncated: bool,
}

impl Snapshot {
    /// Reads a folder (and its subfolders, a few levels down) without opening any file.
    pub fn of(dir: &Path) -> std::io::Result<Snapshot> {
        let mut s = Snapshot::default();
        // The folder itself must be there; a vanished folder is an error, not an empty snapshot.
        fs::symlink_metadata(dir)?;
        for entry in walkdir::WalkDir::new(dir)
            .min_depth(1)
            .max_depth(4)
            .sort_by_file_name()
        {
            let entry = match entry {
                Ok(e) => e,
                // A file removed between listing and stat: the folder is changing; that shows next time.
                Err(e)
                    if e.io_error()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) =>
                {
                    continue
                }
                Err(e) => {
                    return Err(e
                        .into_io_error()
                        .unwrap_or_else(|| std::io::Error::other("folder walk error")))
                }
            };
            if s.entries.len() >= MAX_ENTRIES {
                s.truncated = true;
                break;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = entry
                .path()
                .strip_prefix(dir)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| name.clone());
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(_) => continue,
            };
            let mtime = meta.modified().ok();
            let ctime = ctime_of(&meta);
            for t in [mtime, ctime].into_iter().flatten() {
                s.newest = Some(s.newest.map_or(t, |n| n.max(t)));
            }
            let is_dir = meta.is_dir();
            s.entries
                .push((rel, if is_dir { 0 } else { meta.len() }, mtime, ctime));
            if is_dir {
                continue;
            }
            if is_in_flight_name(&name) && s.in_flight.is_none() {
                s.in_flight = Some(
                    entry
                        .path()
                        .strip_prefix(dir)
                        .map_or(name.clone(), |p| p.to_string_lossy().into_owned()),
                );
            }
            if entry.depth() == 1 && is_ready_marker(&name) {
                s.marker = true;
            } else if !is_ignored_name(&name) {
                s.data_files += 1;
            }
        }
        Ok(s)
    }

    /// Ready by its marker: `READY` present and nothing in flight.
    pub fn ready_by_marker(&self) -> bool {
        self.marker && self.in_flight.is_none() && !self.truncated
    }

    /// Could be ready by settling: some data, nothing in flight.
    pub fn settleable(&self) -> bool {
        self.data_files > 0 && self.in_flight.is_none() && !self.truncated
    }
}
