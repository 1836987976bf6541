//! The sandbox's state: accounts, mail items, bags, days and manifests in SQLite.
//!
//! SQLite because the state must behave like ACP's (uniqueness, "already in a bag", "already in a
//! manifest"), survive a restart when a file is given (`--db`, WAL journal), and cost nothing when it is
//! not (in memory, the default). One connection behind the server's mutex, one transaction per request.
//!
//! Every object belongs to an account, the sha256 fingerprint of an API key (the key itself is never
//! stored). Containment is stored once: an item has `bag` (the bag it is in) and `day` (only for a loose
//! item closed into a day); a bag has `day`; manifests list their units in `manifest_unit` (`kind` 0 item,
//! 1 bag, 2 day). An object is "in a manifest" when it or one of its containers is listed there; a
//! container cannot join a manifest while one of its contents is listed in another.
//!
//! Status strings: items and bags are `New`, or `Picked Up` once a manifest that covers them is marked
//! sent (`/_admin/mark-sent`); days are `Closed`, or `Picked Up` likewise.
//!
//! All the SQL the sandbox runs lives in this module, one file per object: `items`, `bags`, `days`,
//! `manifests` (rows, lookups and writes), `membership` (what a unit covers and which manifest covers
//! it), `info` (the `<…Info>` shapes and statuses ACP answers with) and `resolve` (the one way an
//! object named by either of its ids is found). The commands ([`crate::commands`]) hold ACP's semantics
//! and call these.

mod bags;
mod days;
mod info;
mod items;
mod manifests;
mod membership;
mod resolve;

use std::path::Path;

use rusqlite::Connection;

pub use bags::*;
pub use days::*;
pub use info::*;
pub use items::*;
pub use manifests::*;
pub use membership::*;
pub use resolve::*;

/// `manifest_unit.kind` of a mail item.
pub const KIND_ITEM: i64 = 0;
/// `manifest_unit.kind` of a bag.
pub const KIND_BAG: i64 = 1;
/// `manifest_unit.kind` of a day.
pub const KIND_DAY: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (name, value) VALUES ('tracking', 0);
CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS item (
    id INTEGER PRIMARY KEY,
    account INTEGER NOT NULL,
    tracking_number TEXT NOT NULL,
    shipper_item_id TEXT,
    display_item_id TEXT,
    value TEXT NOT NULL,
    currency TEXT NOT NULL,
    weight TEXT NOT NULL,
    created TEXT NOT NULL,
    label INTEGER NOT NULL,
    bag INTEGER,
    day INTEGER,
    xml TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS item_tracking ON item (account, tracking_number);
CREATE UNIQUE INDEX IF NOT EXISTS item_shipper_id ON item (account, shipper_item_id) WHERE shipper_item_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS item_bag ON item (bag) WHERE bag IS NOT NULL;
CREATE INDEX IF NOT EXISTS item_day ON item (day) WHERE day IS NOT NULL;
CREATE INDEX IF NOT EXISTS item_new ON item (account) WHERE bag IS NULL AND day IS NULL;
CREATE TABLE IF NOT EXISTS bag (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account INTEGER NOT NULL,
    bag_id TEXT,
    shipper_bag_id TEXT,
    comment TEXT,
    airport TEXT NOT NULL,
    created TEXT NOT NULL,
    day INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS bag_id ON bag (account, bag_id);
CREATE UNIQUE INDEX IF NOT EXISTS bag_shipper_id ON bag (account, shipper_bag_id) WHERE shipper_bag_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS bag_day ON bag (day);
CREATE TABLE IF NOT EXISTS day (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account INTEGER NOT NULL,
    day_id TEXT,
    shipper_day_id TEXT,
    airport TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS day_id ON day (account, day_id);
CREATE UNIQUE INDEX IF NOT EXISTS day_shipper_id ON day (account, shipper_day_id) WHERE shipper_day_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS manifest (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account INTEGER NOT NULL,
    manifest_id TEXT,
    user_manifest_id TEXT,
    manifest_number TEXT NOT NULL,
    shipping_units TEXT NOT NULL,
    user_defined_weight TEXT NOT NULL,
    user_defined_weight_uom TEXT NOT NULL,
    image_name TEXT,
    image_bytes INTEGER,
    image_type TEXT,
    file_name TEXT,
    file_bytes INTEGER,
    file_type TEXT,
    alert_email TEXT,
    created TEXT NOT NULL,
    modified TEXT,
    sent INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS manifest_id ON manifest (manifest_id);
CREATE UNIQUE INDEX IF NOT EXISTS manifest_user_id ON manifest (account, user_manifest_id) WHERE user_manifest_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS manifest_part (
    manifest INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    departure_facility TEXT NOT NULL,
    departure_date TEXT NOT NULL,
    arrival_facility TEXT NOT NULL,
    arrival_date TEXT NOT NULL,
    carrier TEXT NOT NULL,
    trip_number TEXT NOT NULL,
    PRIMARY KEY (manifest, idx)
);
CREATE TABLE IF NOT EXISTS manifest_unit (
    manifest INTEGER NOT NULL,
    part INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    unit_id TEXT NOT NULL,
    kind INTEGER NOT NULL,
    obj INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS manifest_unit_obj ON manifest_unit (kind, obj);
CREATE INDEX IF NOT EXISTS manifest_unit_manifest ON manifest_unit (manifest, part, ord);
";

/// The sandbox database.
pub struct Store {
    pub conn: Connection,
}

impl Store {
    /// Opens (and creates) the database: a file in WAL mode, or memory when `path` is `None`.
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Store> {
        let conn = match path {
            Some(p) => {
                let c = Connection::open(p)?;
                c.pragma_update(None, "journal_mode", "WAL")?;
                c.pragma_update(None, "synchronous", "NORMAL")?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                c
            }
            None => Connection::open_in_memory()?,
        };
        conn.execute_batch(SCHEMA)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Store { conn })
    }

    /// The account row of a key fingerprint (full sha256 hex), created on first use.
    pub fn account(&self, fingerprint: &str) -> rusqlite::Result<i64> {
        self.conn.execute(
            "INSERT OR IGNORE INTO account (fingerprint) VALUES (?1)",
            [fingerprint],
        )?;
        self.conn.query_row(
            "SELECT id FROM account WHERE fingerprint = ?1",
            [fingerprint],
            |r| r.get(0),
        )
    }

    /// Wipes every object of every account (accounts and id counters stay, so ids are never reused).
    pub fn reset(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch(
            "BEGIN; DELETE FROM manifest_unit; DELETE FROM manifest_part; DELETE FROM manifest;
             DELETE FROM item; DELETE FROM bag; DELETE FROM day; COMMIT;",
        )
    }

    /// Marks a manifest as sent on (then it cannot be cancelled, and what it covers is picked up).
    /// Returns whether it exists.
    pub fn mark_sent(&mut self, manifest_id: &str) -> rusqlite::Result<bool> {
        let n = self.conn.execute(
            "UPDATE manifest SET sent = 1 WHERE manifest_id = ?1",
            [manifest_id],
        )?;
        Ok(n > 0)
    }
}

/// Next value of a named counter.
pub fn next_counter(conn: &Connection, name: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("UPDATE meta SET value = value + 1 WHERE name = ?1 RETURNING value")?
        .query_row([name], |r| r.get(0))
}

/// The system bag id of a bag row: `10000` and an 11-digit counter.
pub fn bag_id_for(row: i64) -> String {
    format!("10000{row:011}")
}

/// The system day id of a day row.
pub fn day_id_for(row: i64) -> String {
    (800_000 + row).to_string()
}

/// The system manifest id of a manifest row.
pub fn manifest_id_for(row: i64) -> String {
    (1_500_000 + row).to_string()
}

/// Shorthand for a database result.
pub type Db<T> = rusqlite::Result<T>;

/// Every account, by row id, with its key fingerprint (full sha256 hex).
pub fn accounts(conn: &Connection) -> Db<Vec<(i64, String)>> {
    conn.prepare("SELECT id, fingerprint FROM account ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

#[cfg(test)]
mod tests;
