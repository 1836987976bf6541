//! The drop folder on disk: its four folders (`inbox/`, `processing/`, `done/`, `failed/`), folders moved
//! only by rename (names that clash get `.1`, `.2`…, nothing is overwritten), and the state file that counts
//! how often each folder's run was started.

use super::*;

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
    list_entries(dir).map(|e| e.folders)
}

/// The entries directly inside a folder, as [`list_entries`] sorts them.
#[derive(Debug, Default)]
pub struct Entries {
    /// Folders (not links), by name.
    pub folders: Vec<String>,
    /// Files and symbolic links, by name, with whether each is a link.
    pub others: Vec<(String, bool)>,
}

/// What an entry of `inbox/` that is not a folder is, and what to do instead: an operator must hear of
/// it, or the MAWB it was meant to be is never sent.
pub fn why_not_taken(is_link: bool) -> &'static str {
    if is_link {
        "a symbolic link, not taken: mawb moves each MAWB folder from inbox/ to processing/ and on, and \
         moving a link would move the link, not the folder; copy or move the folder itself into inbox/"
    } else {
        "a file, not taken: inbox/ takes MAWB folders (mawb.toml, the MAWB scan and the HAWB spreadsheets \
         together in one folder); put the file in its MAWB's folder and drop that folder"
    }
}

/// The folders directly inside `dir` as [`list_folders`] gives them, and the other entries (files and
/// symbolic links, hidden and temporary names left out) with whether each is a link, sorted.
pub fn list_entries(dir: &Path) -> std::io::Result<Entries> {
    let mut out = Vec::new();
    let mut others = Vec::new();
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
        match entry.file_type() {
            Ok(t) if t.is_dir() => out.push(name),
            Ok(t) => others.push((name, t.is_symlink())),
            Err(_) => {}
        }
    }
    out.sort();
    others.sort();
    Ok(Entries {
        folders: out,
        others,
    })
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
pub(super) fn move_folder(from: &Path, to: &Path) -> std::io::Result<()> {
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

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(super) fn rfc3339_ms(ms: u64) -> String {
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
    pub(super) fn load(dir: &Path) -> FolderState {
        let path = dir.join(STATE_FILE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!("{}: unreadable, starting afresh: {e}", path.display());
                FolderState::default()
            }),
            Err(_) => FolderState::default(),
        }
    }

    pub(super) fn save(&self, dir: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(&dir.join(STATE_FILE), &bytes)
    }
}
