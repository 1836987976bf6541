//! The state ledger: a SQLite database (WAL) of everything sent to ACP and everything it answered.
//!
//! Every request is recorded as an intent before it is sent and completed with its result after, and the
//! objects ACP holds (items, bags, the day, the manifest) are recorded with the ids it assigned and a
//! fingerprint of what was sent. A run killed at any point (even `kill -9`) resumes from here: what is
//! recorded as created is not sent again, and what was in flight is repeated with the same shipper ids,
//! which ACP answers with `conflict` and the existing object (adopted as done). The key is never stored.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

mod error;
mod labels;
mod packing;
mod requests;
mod target;
mod wal;

pub use error::LedgerError;
pub use labels::LabelWanted;
pub use packing::PackingRow;
pub use requests::RequestRow;
pub use target::Target;

/// Where a MAWB stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MawbRow {
    pub mawb: String,
    pub folder: String,
    pub user_manifest_id: String,
    /// `registering`, `manifested`, `done`, `failed`.
    pub state: String,
    /// Fingerprint of the content last completed (`done`).
    pub fingerprint: Option<String>,
    pub manifest_id: Option<String>,
    pub day_id: Option<String>,
    pub day_revision: u32,
    /// Fingerprint of the manifest units/legs last sent.
    pub manifest_fingerprint: Option<String>,
    pub last_error: Option<String>,
    pub updated: String,
    /// ACP sent the manifest on: it is final, no change can be applied any more.
    pub sent_on: bool,
}

/// An item ACP holds for this MAWB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemRow {
    pub key: String,
    pub tracking_number: Option<String>,
    pub shipper_item_id: Option<String>,
    pub fingerprint: String,
    /// Created by this ledger with a label request: the item is not done until its label is archived.
    pub label_wanted: bool,
}

/// A bag ACP holds for this MAWB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BagRow {
    pub shipper_bag_id: String,
    pub bag_id: String,
    pub fingerprint: String,
    /// Created by this ledger with a bag label request.
    pub label_wanted: bool,
}

/// A label stored in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelRow {
    pub mawb: String,
    pub entity: String,
    pub entity_id: String,
    pub file: String,
    pub format: String,
    pub sha256: String,
    pub bytes: i64,
    /// The item's shipperItemId (item labels).
    pub shipper_item_id: Option<String>,
    /// The item was cancelled at ACP: this label must not be used.
    pub void: bool,
    /// The tracking number of the item that replaced the cancelled one (its new label).
    pub replaced_by: Option<String>,
}

impl LabelRow {
    /// A new, valid label of `entity` `id` (shipperItemId, void and replacement are the ledger's).
    pub fn new(
        mawb: &str,
        entity: &str,
        id: &str,
        file: String,
        format: &str,
        sha256: String,
        bytes: i64,
    ) -> LabelRow {
        LabelRow {
            mawb: mawb.to_string(),
            entity: entity.to_string(),
            entity_id: id.to_string(),
            file,
            format: format.to_string(),
            sha256,
            bytes,
            shipper_item_id: None,
            void: false,
            replaced_by: None,
        }
    }
}

/// The item ids unique at ACP that the ledger can be asked about ([`Ledger::ids_elsewhere`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemIdColumn {
    TrackingNumber,
    ShipperItemId,
}

/// The ledger (one connection, shared by the MAWBs processed at once).
pub struct Ledger {
    conn: Mutex<Connection>,
    /// Where the per-MAWB locks live (`<ledger>.locks`); none for an in-memory ledger.
    locks: Option<std::path::PathBuf>,
    /// The database file; none in memory.
    path: Option<std::path::PathBuf>,
    /// The file did not exist before this process opened it.
    new: bool,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mawbs (
  mawb TEXT PRIMARY KEY, folder TEXT NOT NULL, user_manifest_id TEXT NOT NULL, state TEXT NOT NULL,
  fingerprint TEXT, manifest_id TEXT, day_id TEXT, day_revision INTEGER NOT NULL DEFAULT 1,
  manifest_fingerprint TEXT, last_error TEXT, updated TEXT NOT NULL, sent_on INTEGER NOT NULL DEFAULT 0,
  day_label_wanted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS items (
  mawb TEXT NOT NULL, key TEXT NOT NULL, tracking_number TEXT, shipper_item_id TEXT,
  fingerprint TEXT NOT NULL, label_wanted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (mawb, key)) WITHOUT ROWID;
-- Checking a folder's shipperItemIds against other MAWBs' items is a lookup per id, not a scan of items.
CREATE INDEX IF NOT EXISTS items_shipper_item_id ON items (shipper_item_id);
-- The same for trackingNumbers (and for cancelling an item by its trackingNumber).
CREATE INDEX IF NOT EXISTS items_tracking_number ON items (tracking_number);
CREATE TABLE IF NOT EXISTS bags (
  mawb TEXT NOT NULL, shipper_bag_id TEXT NOT NULL, bag_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
  label_wanted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (mawb, shipper_bag_id));
-- Requests are never deleted, so a new request's id is the largest plus one without AUTOINCREMENT, which
-- would also rewrite sqlite_sequence at every request (ledgers created before keep it, with the same ids).
CREATE TABLE IF NOT EXISTS requests (
  id INTEGER PRIMARY KEY, mawb TEXT NOT NULL, command TEXT NOT NULL, detail TEXT NOT NULL,
  status TEXT NOT NULL, summary TEXT, data_bytes INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  started TEXT NOT NULL, finished TEXT);
CREATE INDEX IF NOT EXISTS requests_mawb ON requests (mawb);
CREATE TABLE IF NOT EXISTS labels (
  mawb TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL, file TEXT NOT NULL,
  format TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, created TEXT NOT NULL,
  shipper_item_id TEXT, void INTEGER NOT NULL DEFAULT 0, replaced_by TEXT,
  PRIMARY KEY (mawb, file));
CREATE TABLE IF NOT EXISTS packing (
  mawb TEXT NOT NULL, seq INTEGER NOT NULL, item_key TEXT NOT NULL, bag TEXT, shipper_bag_id TEXT,
  weight_kg TEXT, PRIMARY KEY (mawb, seq)) WITHOUT ROWID;
";

/// The page cache of the ledger's connection, in KiB (SQLite's `cache_size` pragma; its default is 2,000
/// KiB). A night of 100,000 items makes a ledger of about 34 MB, and the items' trackingNumber index is
/// written at random places: with the default, pages left the cache between one createMailing answer and
/// the next and were read again (57,800 `pread64` calls in a run of that night, 15,300 with this cache).
/// The cache holds only pages read or written, so the resident memory grows with the ledger up to this bound.
const CACHE_KIB: i64 = 64 * 1024;

/// Pages of write-ahead log after which a commit copies the log into the database file (SQLite's
/// `wal_autocheckpoint`; its default is 1,000 pages, 4 MB). Each checkpoint writes every page the log holds
/// and syncs the file, so the pages that every answer touches (the index leaves, the request log's last
/// page) were written back again at each of the night's ~80 checkpoints; at 8,192 pages (32 MB of log at
/// most) a night of 100,000 items checkpoints about 10 times (221 `fsync` calls fell to 29). The log is
/// checked whole before the ledger is opened ([`wal::check`]), so its bound is also what that check reads.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 8192;

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl Ledger {
    /// Opens (or creates) the ledger at `path`.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let shown = path.display().to_string();
        let new = !path.exists();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if dir.exists() && !dir.is_dir() {
                return Err(LedgerError::NotAFolder(dir.display().to_string()));
            }
            let _ = std::fs::create_dir_all(dir);
        }
        // Another process opening the same ledger at this moment (a second run, the watcher) can hold the
        // lock that switching to WAL needs, and SQLite does not wait for it: try again for a while.
        // A damaged write-ahead log would be dropped silently by SQLite, and with it the last requests
        // recorded: refuse it. A process still writing it may be caught mid-frame: look again briefly.
        let mut tries = 0;
        while let Err(why) = wal::check(path) {
            tries += 1;
            if tries >= 5 {
                return Err(LedgerError::DamagedLog { path: shown, why });
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut ledger = loop {
            let opened = Connection::open(path).and_then(Self::init);
            match opened {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(
                        e.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => {
                    break other.map_err(|source| LedgerError::Open {
                        path: shown.clone(),
                        source,
                    })?
                }
            }
        };
        let mut locks = path.as_os_str().to_owned();
        locks.push(".locks");
        ledger.locks = Some(locks.into());
        ledger.path = Some(path.to_path_buf());
        ledger.new = new;
        Ok(ledger)
    }

    /// The ledger for messages: its path (`in memory` for a test ledger).
    pub fn describe(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "in memory".to_string(), |p| p.display().to_string())
    }

    /// Whether this process created the ledger (it had recorded nothing before).
    pub fn is_new(&self) -> bool {
        self.new
    }

    /// Takes the lock of MAWB `mawb` for this ledger (see [`crate::mawb_lock`]); `on_wait` hears who
    /// holds it before waiting. An in-memory ledger has no locks (`None`).
    pub fn lock_mawb(
        &self,
        mawb: &str,
        on_wait: &dyn Fn(&str),
    ) -> std::io::Result<Option<crate::mawb_lock::MawbLock>> {
        match &self.locks {
            Some(dir) => crate::mawb_lock::MawbLock::acquire(dir, mawb, on_wait).map(Some),
            None => Ok(None),
        }
    }

    /// An in-memory ledger (tests, `prepare`).
    pub fn in_memory() -> Result<Ledger, LedgerError> {
        Ok(Self::init(Connection::open_in_memory()?)?)
    }

    fn init(conn: Connection) -> Result<Ledger, rusqlite::Error> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)?;
        conn.execute_batch(SCHEMA)?;
        // Ledgers of earlier versions lack the void-label columns.
        let columns_of = |table: &str| -> Result<Vec<String>, rusqlite::Error> {
            conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
                .query_map([], |r| r.get(0))?
                .collect()
        };
        let qualified = |table: &str| -> Result<Vec<String>, rusqlite::Error> {
            Ok(columns_of(table)?
                .into_iter()
                .map(|c| format!("{table}.{c}"))
                .collect())
        };
        let columns: Vec<String> = [
            columns_of("labels")?,
            columns_of("mawbs")?,
            qualified("items")?,
            qualified("bags")?,
        ]
        .concat();
        for (name, ddl) in [
            (
                "sent_on",
                "ALTER TABLE mawbs ADD COLUMN sent_on INTEGER NOT NULL DEFAULT 0",
            ),
            (
                "shipper_item_id",
                "ALTER TABLE labels ADD COLUMN shipper_item_id TEXT",
            ),
            (
                "void",
                "ALTER TABLE labels ADD COLUMN void INTEGER NOT NULL DEFAULT 0",
            ),
            (
                "replaced_by",
                "ALTER TABLE labels ADD COLUMN replaced_by TEXT",
            ),
            (
                "items.label_wanted",
                "ALTER TABLE items ADD COLUMN label_wanted INTEGER NOT NULL DEFAULT 0",
            ),
            (
                "bags.label_wanted",
                "ALTER TABLE bags ADD COLUMN label_wanted INTEGER NOT NULL DEFAULT 0",
            ),
            (
                "day_label_wanted",
                "ALTER TABLE mawbs ADD COLUMN day_label_wanted INTEGER NOT NULL DEFAULT 0",
            ),
        ] {
            if !columns.iter().any(|c| c == name) {
                // Two processes may upgrade the same old ledger at once: the second finds it done.
                match conn.execute_batch(ddl) {
                    Err(e) if e.to_string().contains("duplicate column") => {}
                    other => other?,
                }
            }
        }
        Ok(Ledger {
            conn: Mutex::new(conn),
            locks: None,
            path: None,
            new: false,
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn mawb(&self, mawb: &str) -> Result<Option<MawbRow>, LedgerError> {
        let c = self.conn();
        Ok(c.query_row(
            "SELECT mawb, folder, user_manifest_id, state, fingerprint, manifest_id, day_id, day_revision,
                    manifest_fingerprint, last_error, updated, sent_on FROM mawbs WHERE mawb = ?1",
            [mawb],
            row_to_mawb,
        )
        .optional()?)
    }

    pub fn all_mawbs(&self) -> Result<Vec<MawbRow>, LedgerError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT mawb, folder, user_manifest_id, state, fingerprint, manifest_id, day_id, day_revision,
                    manifest_fingerprint, last_error, updated, sent_on FROM mawbs ORDER BY updated DESC",
        )?;
        let rows = st
            .query_map([], row_to_mawb)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records that a MAWB is being worked on (creates its row the first time).
    pub fn start_mawb(
        &self,
        mawb: &str,
        folder: &str,
        user_manifest_id: &str,
    ) -> Result<MawbRow, LedgerError> {
        {
            let c = self.conn();
            c.execute(
                "INSERT INTO mawbs (mawb, folder, user_manifest_id, state, updated) VALUES (?1, ?2, ?3, 'registering', ?4)
                 ON CONFLICT(mawb) DO UPDATE SET folder = excluded.folder, user_manifest_id = excluded.user_manifest_id,
                 updated = excluded.updated",
                params![mawb, folder, user_manifest_id, now()],
            )?;
        }
        self.mawb(mawb)?
            .ok_or(LedgerError::Sql(rusqlite::Error::QueryReturnedNoRows))
    }

    pub fn set_state(
        &self,
        mawb: &str,
        state: &str,
        error: Option<&str>,
    ) -> Result<(), LedgerError> {
        self.conn().execute(
            "UPDATE mawbs SET state = ?2, last_error = ?3, updated = ?4 WHERE mawb = ?1",
            params![mawb, state, error, now()],
        )?;
        Ok(())
    }

    pub fn set_done(&self, mawb: &str, fingerprint: &str) -> Result<(), LedgerError> {
        self.conn().execute(
            "UPDATE mawbs SET state = 'done', fingerprint = ?2, last_error = NULL, updated = ?3 WHERE mawb = ?1",
            params![mawb, fingerprint, now()],
        )?;
        Ok(())
    }

    pub fn set_manifest(
        &self,
        mawb: &str,
        manifest_id: &str,
        fingerprint: Option<&str>,
    ) -> Result<(), LedgerError> {
        self.conn().execute(
            "UPDATE mawbs SET manifest_id = ?2, manifest_fingerprint = ?3, state = 'manifested', updated = ?4 WHERE mawb = ?1",
            params![mawb, manifest_id, fingerprint, now()],
        )?;
        Ok(())
    }

    /// Forgets which payload ACP holds for the MAWB's manifest (before a modifyManifest is sent: ACP may
    /// apply it even when its answer is lost), so the next run sends the folder's payload again.
    pub fn forget_manifest_fingerprint(&self, mawb: &str) -> Result<(), LedgerError> {
        self.conn().execute(
            "UPDATE mawbs SET manifest_fingerprint = NULL, updated = ?2 WHERE mawb = ?1",
            params![mawb, now()],
        )?;
        Ok(())
    }

    /// Whether the ledger records any item (of any MAWB).
    pub fn holds_items(&self) -> Result<bool, LedgerError> {
        Ok(self
            .conn()
            .query_row("SELECT EXISTS (SELECT 1 FROM items)", [], |r| r.get(0))?)
    }

    /// The MAWB (other than `mawb`) whose item holds each of `ids` as its shipperItemId or trackingNumber
    /// (`column`), where one does.
    pub fn ids_elsewhere(
        &self,
        mawb: &str,
        column: ItemIdColumn,
        ids: &[&str],
    ) -> Result<HashMap<String, String>, LedgerError> {
        let c = self.conn();
        let mut out = HashMap::new();
        // A ledger holding no item of another MAWB (a first run) answers without one query per id.
        let others: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM items WHERE mawb != ?1)",
            [mawb],
            |r| r.get(0),
        )?;
        if !others {
            return Ok(out);
        }
        let mut st = c.prepare_cached(match column {
            ItemIdColumn::ShipperItemId => {
                "SELECT mawb FROM items WHERE shipper_item_id = ?1 AND mawb != ?2 LIMIT 1"
            }
            ItemIdColumn::TrackingNumber => {
                "SELECT mawb FROM items WHERE tracking_number = ?1 AND mawb != ?2 LIMIT 1"
            }
        })?;
        for id in ids {
            if let Some(other) = st
                .query_row(params![id, mawb], |r| r.get::<_, String>(0))
                .optional()?
            {
                out.insert(id.to_string(), other);
            }
        }
        Ok(out)
    }

    /// Replaces each of `forms` (the key as it may have been echoed) with `***` in every text the ledger
    /// keeps from servers: what earlier versions stored before they redacted every form. Returns the rows
    /// changed.
    pub fn scrub(&self, forms: &[String]) -> Result<usize, LedgerError> {
        let c = self.conn();
        let mut changed = 0;
        for form in forms.iter().filter(|f| !f.is_empty()) {
            changed += c.execute(
                "UPDATE requests SET summary = replace(summary, ?1, '***') WHERE instr(summary, ?1) > 0",
                [form],
            )?;
            changed += c.execute(
                "UPDATE mawbs SET last_error = replace(last_error, ?1, '***') WHERE instr(last_error, ?1) > 0",
                [form],
            )?;
        }
        if changed > 0 {
            // The old text must leave the file too, not only the rows: free pages and the write-ahead
            // log are rewritten.
            c.execute_batch(
                "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
            )?;
        }
        Ok(changed)
    }

    /// Records that ACP sent the MAWB's manifest on (it answered `sent`): it is final.
    pub fn set_sent_on(&self, mawb: &str) -> Result<(), LedgerError> {
        self.conn().execute(
            "UPDATE mawbs SET sent_on = 1, updated = ?2 WHERE mawb = ?1",
            params![mawb, now()],
        )?;
        Ok(())
    }

    pub fn clear_manifest(&self, mawb: &str) -> Result<(), LedgerError> {
        self.conn().execute(
            "UPDATE mawbs SET manifest_id = NULL, manifest_fingerprint = NULL, updated = ?2 WHERE mawb = ?1",
            params![mawb, now()],
        )?;
        Ok(())
    }

    /// Records the MAWB's day (None once cancelled) and its revision.
    pub fn set_day(
        &self,
        mawb: &str,
        day_id: Option<&str>,
        revision: u32,
    ) -> Result<(), LedgerError> {
        let c = self.conn();
        if day_id.is_none() {
            // The day is gone at ACP: its label is void.
            c.execute(
                "UPDATE labels SET void = 1 WHERE mawb = ?1 AND entity = 'day'
                   AND entity_id = (SELECT day_id FROM mawbs WHERE mawb = ?1)",
                [mawb],
            )?;
        }
        c.execute(
            "UPDATE mawbs SET day_id = ?2, day_revision = ?3, updated = ?4,
               day_label_wanted = CASE WHEN ?2 IS NULL THEN 0 ELSE day_label_wanted END WHERE mawb = ?1",
            params![mawb, day_id, revision, now()],
        )?;
        Ok(())
    }

    pub fn items(&self, mawb: &str) -> Result<HashMap<String, ItemRow>, LedgerError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT key, tracking_number, shipper_item_id, fingerprint, label_wanted FROM items WHERE mawb = ?1",
        )?;
        let rows = st
            .query_map([mawb], |r| {
                Ok(ItemRow {
                    key: r.get(0)?,
                    tracking_number: r.get(1)?,
                    shipper_item_id: r.get(2)?,
                    fingerprint: r.get(3)?,
                    label_wanted: r.get::<_, i64>(4)? != 0,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().map(|r| (r.key.clone(), r)).collect())
    }

    /// The tracking numbers ACP holds for this MAWB's items by shipperItemId (items with both), read
    /// without the rest of each row: what requests naming items by tracking number need.
    pub fn tracking_by_shipper_item_id(
        &self,
        mawb: &str,
    ) -> Result<HashMap<String, String>, LedgerError> {
        let c = self.conn();
        let mut st = c.prepare_cached(
            "SELECT shipper_item_id, tracking_number FROM items
             WHERE mawb = ?1 AND shipper_item_id IS NOT NULL AND tracking_number IS NOT NULL",
        )?;
        let rows = st
            .query_map([mawb], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<HashMap<String, String>, _>>()?;
        Ok(rows)
    }

    /// Records items ACP now holds, in one transaction.
    pub fn put_items(&self, mawb: &str, rows: &[ItemRow]) -> Result<(), LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        put_items_in(&tx, mawb, rows)?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets items ACP no longer holds (cancelled).
    pub fn remove_items(&self, mawb: &str, keys: &[String]) -> Result<(), LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        for k in keys {
            // The item is gone at ACP: its label is void (kept, marked, never printed again).
            tx.execute(
                "UPDATE labels SET void = 1,
                   shipper_item_id = COALESCE(shipper_item_id,
                     (SELECT shipper_item_id FROM items WHERE mawb = ?1 AND key = ?2))
                 WHERE mawb = ?1 AND entity = 'item'
                   AND entity_id = (SELECT tracking_number FROM items WHERE mawb = ?1 AND key = ?2)",
                params![mawb, k],
            )?;
            tx.execute(
                "DELETE FROM items WHERE mawb = ?1 AND key = ?2",
                params![mawb, k],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn bags(&self, mawb: &str) -> Result<HashMap<String, BagRow>, LedgerError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT shipper_bag_id, bag_id, fingerprint, label_wanted FROM bags WHERE mawb = ?1",
        )?;
        let rows = st
            .query_map([mawb], |r| {
                Ok(BagRow {
                    shipper_bag_id: r.get(0)?,
                    bag_id: r.get(1)?,
                    fingerprint: r.get(2)?,
                    label_wanted: r.get::<_, i64>(3)? != 0,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .map(|r| (r.shipper_bag_id.clone(), r))
            .collect())
    }

    pub fn put_bag(&self, mawb: &str, row: &BagRow) -> Result<(), LedgerError> {
        self.put_bag_with_label(mawb, row, &[])
    }

    /// Forgets a bag ACP no longer holds (cancelled); its label is void.
    pub fn remove_bag(&self, mawb: &str, shipper_bag_id: &str) -> Result<(), LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "UPDATE labels SET void = 1 WHERE mawb = ?1 AND entity = 'bag'
               AND entity_id = (SELECT bag_id FROM bags WHERE mawb = ?1 AND shipper_bag_id = ?2)",
            params![mawb, shipper_bag_id],
        )?;
        tx.execute(
            "DELETE FROM bags WHERE mawb = ?1 AND shipper_bag_id = ?2",
            params![mawb, shipper_bag_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The MAWBs whose record says this ledger sent the object `what` (`"item"`, `"bag"`, `"day"` or
    /// `"manifest"`) under `id`: ACP's id (trackingNumber, bagId, dayId, manifestId), or with
    /// `shipper_side` the shipper's (shipperItemId, shipperBagId, userManifestId of a manifest ACP
    /// accepted). A day's shipperDayId is not stored: `None` for it, the caller derives it from
    /// [`Ledger::all_mawbs`]. Empty when the ledger holds no such object (another ledger or tool sent it,
    /// or the id is mistyped): `mawb cancel` then sends nothing.
    pub fn senders_of(
        &self,
        what: &str,
        id: &str,
        shipper_side: bool,
    ) -> Result<Option<Vec<String>>, LedgerError> {
        let sql = match (what, shipper_side) {
            ("item", false) => "SELECT DISTINCT mawb FROM items WHERE tracking_number = ?1",
            ("item", true) => "SELECT DISTINCT mawb FROM items WHERE shipper_item_id = ?1",
            ("bag", false) => "SELECT DISTINCT mawb FROM bags WHERE bag_id = ?1",
            ("bag", true) => "SELECT DISTINCT mawb FROM bags WHERE shipper_bag_id = ?1",
            ("day", false) => "SELECT mawb FROM mawbs WHERE day_id = ?1",
            ("day", true) => return Ok(None),
            (_, false) => "SELECT mawb FROM mawbs WHERE manifest_id = ?1",
            (_, true) => {
                "SELECT mawb FROM mawbs WHERE user_manifest_id = ?1 AND manifest_id IS NOT NULL"
            }
        };
        let c = self.conn();
        let mut st = c.prepare(sql)?;
        let rows = st
            .query_map([id], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(rows))
    }

    /// Forgets an object an operator cancelled by hand, and marks its MAWB for a re-sync on the next run
    /// (which then recreates what the folder still holds). Returns the MAWBs touched.
    pub fn forget(&self, what: &str, id: &str) -> Result<Vec<String>, LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let mawbs: Vec<String> = {
            let sql = match what {
                "item" => "SELECT DISTINCT mawb FROM items WHERE tracking_number = ?1 OR shipper_item_id = ?1",
                "bag" => "SELECT DISTINCT mawb FROM bags WHERE bag_id = ?1 OR shipper_bag_id = ?1",
                "day" => "SELECT mawb FROM mawbs WHERE day_id = ?1",
                _ => "SELECT mawb FROM mawbs WHERE manifest_id = ?1 OR user_manifest_id = ?1",
            };
            let mut st = tx.prepare(sql)?;
            let rows = st
                .query_map([id], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        };
        match what {
            "item" => tx.execute("DELETE FROM items WHERE tracking_number = ?1 OR shipper_item_id = ?1", [id])?,
            "bag" => tx.execute("DELETE FROM bags WHERE bag_id = ?1 OR shipper_bag_id = ?1", [id])?,
            "day" => tx.execute("UPDATE mawbs SET day_id = NULL, day_revision = day_revision + 1 WHERE day_id = ?1", [id])?,
            _ => tx.execute(
                "UPDATE mawbs SET manifest_id = NULL, manifest_fingerprint = NULL WHERE manifest_id = ?1 OR user_manifest_id = ?1",
                [id],
            )?,
        };
        for m in &mawbs {
            tx.execute("UPDATE mawbs SET fingerprint = NULL, state = 'changed', updated = ?2 WHERE mawb = ?1", params![m, now()])?;
        }
        tx.commit()?;
        Ok(mawbs)
    }
}

/// [`Ledger::put_items`] inside a transaction of its caller.
fn put_items_in(
    tx: &rusqlite::Transaction<'_>,
    mawb: &str,
    rows: &[ItemRow],
) -> Result<(), rusqlite::Error> {
    let mut st = tx.prepare_cached(
        "INSERT INTO items (mawb, key, tracking_number, shipper_item_id, fingerprint, label_wanted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(mawb, key) DO UPDATE SET tracking_number = excluded.tracking_number,
         shipper_item_id = excluded.shipper_item_id, fingerprint = excluded.fingerprint,
         label_wanted = excluded.label_wanted",
    )?;
    for r in rows {
        st.execute(params![
            mawb,
            r.key,
            r.tracking_number,
            r.shipper_item_id,
            r.fingerprint,
            r.label_wanted
        ])?;
    }
    Ok(())
}

fn row_to_mawb(r: &rusqlite::Row<'_>) -> rusqlite::Result<MawbRow> {
    Ok(MawbRow {
        mawb: r.get(0)?,
        folder: r.get(1)?,
        user_manifest_id: r.get(2)?,
        state: r.get(3)?,
        fingerprint: r.get(4)?,
        manifest_id: r.get(5)?,
        day_id: r.get(6)?,
        day_revision: r.get(7)?,
        manifest_fingerprint: r.get(8)?,
        last_error: r.get(9)?,
        updated: r.get(10)?,
        sent_on: r.get::<_, i64>(11)? != 0,
    })
}

#[cfg(test)]
mod tests;
