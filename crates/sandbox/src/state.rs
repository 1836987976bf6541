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

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use mawb_wire::wire::{BagInfo, DayInfo, MailItemInfo};

pub const KIND_ITEM: i64 = 0;
pub const KIND_BAG: i64 = 1;
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

/// An item as stored.
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub id: i64,
    pub tracking_number: String,
    pub shipper_item_id: Option<String>,
    pub display_item_id: Option<String>,
    pub value: String,
    pub currency: String,
    pub weight: String,
    pub created: String,
    pub bag: Option<i64>,
    /// The day of a loose item.
    pub day: Option<i64>,
    /// The day of the item's bag.
    pub bag_day: Option<i64>,
    pub bag_id: Option<String>,
    pub shipper_bag_id: Option<String>,
}

impl ItemRow {
    /// The day the item is in, loose or through its bag.
    pub fn effective_day(&self) -> Option<i64> {
        self.day.or(self.bag_day)
    }
}

const ITEM_COLUMNS: &str = "SELECT i.id, i.tracking_number, i.shipper_item_id, i.display_item_id, i.value, i.currency,
    i.weight, i.created, i.bag, i.day, b.day, b.bag_id, b.shipper_bag_id FROM item i LEFT JOIN bag b ON b.id = i.bag";

fn item_row(r: &rusqlite::Row) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: r.get(0)?,
        tracking_number: r.get(1)?,
        shipper_item_id: r.get(2)?,
        display_item_id: r.get(3)?,
        value: r.get(4)?,
        currency: r.get(5)?,
        weight: r.get(6)?,
        created: r.get(7)?,
        bag: r.get(8)?,
        day: r.get(9)?,
        bag_day: r.get(10)?,
        bag_id: r.get(11)?,
        shipper_bag_id: r.get(12)?,
    })
}

pub fn item_by_tracking(
    conn: &Connection,
    account: i64,
    tn: &str,
) -> rusqlite::Result<Option<ItemRow>> {
    let sql = format!("{ITEM_COLUMNS} WHERE i.account = ?1 AND i.tracking_number = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![account, tn], item_row)
        .optional()
}

pub fn item_by_shipper_id(
    conn: &Connection,
    account: i64,
    sid: &str,
) -> rusqlite::Result<Option<ItemRow>> {
    let sql = format!("{ITEM_COLUMNS} WHERE i.account = ?1 AND i.shipper_item_id = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![account, sid], item_row)
        .optional()
}

pub fn item_by_row(conn: &Connection, id: i64) -> rusqlite::Result<Option<ItemRow>> {
    let sql = format!("{ITEM_COLUMNS} WHERE i.id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], item_row)
        .optional()
}

/// Items of an account matching a WHERE clause on `i` / `b` (no parameters besides the account `?1`).
pub fn items_where(
    conn: &Connection,
    account: i64,
    clause: &str,
) -> rusqlite::Result<Vec<ItemRow>> {
    let sql = format!("{ITEM_COLUMNS} WHERE i.account = ?1 AND ({clause}) ORDER BY i.id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([account], item_row)?;
    rows.collect()
}

/// A bag as stored.
#[derive(Debug, Clone)]
pub struct BagRow {
    pub id: i64,
    pub bag_id: String,
    pub shipper_bag_id: Option<String>,
    pub comment: Option<String>,
    pub airport: String,
    pub created: String,
    pub day: Option<i64>,
}

const BAG_COLUMNS: &str =
    "SELECT id, bag_id, shipper_bag_id, comment, airport, created, day FROM bag";

fn bag_row(r: &rusqlite::Row) -> rusqlite::Result<BagRow> {
    Ok(BagRow {
        id: r.get(0)?,
        bag_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        shipper_bag_id: r.get(2)?,
        comment: r.get(3)?,
        airport: r.get(4)?,
        created: r.get(5)?,
        day: r.get(6)?,
    })
}

pub fn bag_by(
    conn: &Connection,
    account: i64,
    column: &str,
    value: &str,
) -> rusqlite::Result<Option<BagRow>> {
    let column = if column == "bag_id" {
        "bag_id"
    } else {
        "shipper_bag_id"
    };
    let sql = format!("{BAG_COLUMNS} WHERE account = ?1 AND {column} = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![account, value], bag_row)
        .optional()
}

pub fn bag_by_row(conn: &Connection, id: i64) -> rusqlite::Result<Option<BagRow>> {
    let sql = format!("{BAG_COLUMNS} WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], bag_row)
        .optional()
}

pub fn bags_where(
    conn: &Connection,
    account: i64,
    clause: &str,
    arg: i64,
) -> rusqlite::Result<Vec<BagRow>> {
    let sql = format!("{BAG_COLUMNS} WHERE account = ?1 AND ({clause}) ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![account, arg], bag_row)?;
    rows.collect()
}

/// A day as stored.
#[derive(Debug, Clone)]
pub struct DayRow {
    pub id: i64,
    pub day_id: String,
    pub shipper_day_id: Option<String>,
    pub airport: String,
    pub created: String,
}

const DAY_COLUMNS: &str = "SELECT id, day_id, shipper_day_id, airport, created FROM day";

fn day_row(r: &rusqlite::Row) -> rusqlite::Result<DayRow> {
    Ok(DayRow {
        id: r.get(0)?,
        day_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        shipper_day_id: r.get(2)?,
        airport: r.get(3)?,
        created: r.get(4)?,
    })
}

pub fn day_by(
    conn: &Connection,
    account: i64,
    column: &str,
    value: &str,
) -> rusqlite::Result<Option<DayRow>> {
    let column = if column == "day_id" {
        "day_id"
    } else {
        "shipper_day_id"
    };
    let sql = format!("{DAY_COLUMNS} WHERE account = ?1 AND {column} = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![account, value], day_row)
        .optional()
}

pub fn day_by_row(conn: &Connection, id: i64) -> rusqlite::Result<Option<DayRow>> {
    let sql = format!("{DAY_COLUMNS} WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], day_row)
        .optional()
}

pub fn last_day(conn: &Connection, account: i64) -> rusqlite::Result<Option<DayRow>> {
    let sql = format!("{DAY_COLUMNS} WHERE account = ?1 ORDER BY id DESC LIMIT 1");
    conn.prepare_cached(&sql)?
        .query_row([account], day_row)
        .optional()
}

pub fn days_of(conn: &Connection, account: i64) -> rusqlite::Result<Vec<DayRow>> {
    let sql = format!("{DAY_COLUMNS} WHERE account = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([account], day_row)?;
    rows.collect()
}

// --------------------------------------------------------------------------------------------------------
// Manifest membership
// --------------------------------------------------------------------------------------------------------

/// A manifest (row id, and whether it was sent) that lists `kind`/`obj` directly, other than `exclude`.
fn listed(
    conn: &Connection,
    kind: i64,
    obj: Option<i64>,
    exclude: i64,
) -> rusqlite::Result<Option<(i64, bool)>> {
    let Some(obj) = obj else { return Ok(None) };
    conn.prepare_cached(
        "SELECT u.manifest, m.sent FROM manifest_unit u JOIN manifest m ON m.id = u.manifest
         WHERE u.kind = ?1 AND u.obj = ?2 AND u.manifest != ?3 ORDER BY m.sent DESC LIMIT 1",
    )?
    .query_row(params![kind, obj, exclude], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? != 0))
    })
    .optional()
}

/// The manifest covering an item (listed itself, or through its bag or day), other than `exclude`.
pub fn item_manifest(
    conn: &Connection,
    item: &ItemRow,
    exclude: i64,
) -> rusqlite::Result<Option<(i64, bool)>> {
    if let Some(m) = listed(conn, KIND_ITEM, Some(item.id), exclude)? {
        return Ok(Some(m));
    }
    if let Some(m) = listed(conn, KIND_BAG, item.bag, exclude)? {
        return Ok(Some(m));
    }
    listed(conn, KIND_DAY, item.effective_day(), exclude)
}

/// The manifest covering a bag (listed itself or through its day), other than `exclude`.
pub fn bag_manifest(
    conn: &Connection,
    bag: &BagRow,
    exclude: i64,
) -> rusqlite::Result<Option<(i64, bool)>> {
    if let Some(m) = listed(conn, KIND_BAG, Some(bag.id), exclude)? {
        return Ok(Some(m));
    }
    listed(conn, KIND_DAY, bag.day, exclude)
}

/// The manifest listing a day, other than `exclude`.
pub fn day_manifest(
    conn: &Connection,
    day: &DayRow,
    exclude: i64,
) -> rusqlite::Result<Option<(i64, bool)>> {
    listed(conn, KIND_DAY, Some(day.id), exclude)
}

/// A manifest other than `exclude` that lists one of the contents of a bag or a day directly.
pub fn contents_manifest(
    conn: &Connection,
    kind: i64,
    obj: i64,
    exclude: i64,
) -> rusqlite::Result<Option<i64>> {
    let sql = match kind {
        KIND_BAG => {
            "SELECT u.manifest FROM manifest_unit u JOIN item i ON u.kind = 0 AND u.obj = i.id
             WHERE i.bag = ?1 AND u.manifest != ?2 LIMIT 1"
        }
        KIND_DAY => {
            "SELECT u.manifest FROM manifest_unit u WHERE u.manifest != ?2 AND (
                (u.kind = 1 AND u.obj IN (SELECT id FROM bag WHERE day = ?1))
             OR (u.kind = 0 AND u.obj IN (SELECT id FROM item WHERE day = ?1
                    UNION ALL SELECT i.id FROM item i JOIN bag b ON b.id = i.bag WHERE b.day = ?1))) LIMIT 1"
        }
        _ => return Ok(None),
    };
    conn.prepare_cached(sql)?
        .query_row(params![obj, exclude], |r| r.get(0))
        .optional()
}

/// The items a unit covers, by row id.
pub fn items_of_unit(conn: &Connection, kind: i64, obj: i64) -> rusqlite::Result<Vec<i64>> {
    let sql = match kind {
        KIND_ITEM => return Ok(vec![obj]),
        KIND_BAG => "SELECT id FROM item WHERE bag = ?1 ORDER BY id",
        _ => {
            "SELECT id FROM item WHERE day = ?1
             UNION ALL SELECT i.id FROM item i JOIN bag b ON b.id = i.bag WHERE b.day = ?1 ORDER BY 1"
        }
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([obj], |r| r.get(0))?;
    rows.collect()
}

/// The bags a unit covers, by row id.
pub fn bags_of_unit(conn: &Connection, kind: i64, obj: i64) -> rusqlite::Result<Vec<i64>> {
    match kind {
        KIND_BAG => Ok(vec![obj]),
        KIND_DAY => {
            let mut stmt = conn.prepare_cached("SELECT id FROM bag WHERE day = ?1 ORDER BY id")?;
            let rows = stmt.query_map([obj], |r| r.get(0))?;
            rows.collect()
        }
        _ => Ok(Vec::new()),
    }
}

/// The exact decimal sum of the weights (kg) of items, by row id.
pub fn weight_of(conn: &Connection, items: &[i64]) -> rusqlite::Result<Decimal> {
    let mut stmt = conn.prepare_cached("SELECT weight FROM item WHERE id = ?1")?;
    let mut sum = Decimal::ZERO;
    for id in items {
        if let Some(w) = stmt.query_row([id], |r| r.get::<_, String>(0)).optional()? {
            let w = super::rules::parse_decimal(&w).unwrap_or_default();
            sum = sum.checked_add(w).unwrap_or(Decimal::MAX);
        }
    }
    Ok(sum)
}

// --------------------------------------------------------------------------------------------------------
// Info shapes
// --------------------------------------------------------------------------------------------------------

pub fn item_info(conn: &Connection, item: &ItemRow) -> rusqlite::Result<MailItemInfo> {
    let picked_up = matches!(item_manifest_sent(conn, item)?, Some(true));
    Ok(MailItemInfo {
        item_type: Some("Direct".to_string()),
        creation_date: Some(item.created.clone()),
        status: Some(if picked_up { "Picked Up" } else { "New" }.to_string()),
        tracking_number: Some(item.tracking_number.clone()),
        shipper_item_id: item.shipper_item_id.clone(),
        display_item_id: item.display_item_id.clone(),
        value: Some(item.value.clone()),
        currency: Some(item.currency.clone()),
        weight: Some(item.weight.clone()),
        weight_unit: Some("kg".to_string()),
        bag_id: item.bag_id.clone(),
        shipper_bag_id: item.shipper_bag_id.clone(),
    })
}

/// Whether a sent manifest covers the item (`Some(true)`), an unsent one (`Some(false)`), or none.
fn item_manifest_sent(conn: &Connection, item: &ItemRow) -> rusqlite::Result<Option<bool>> {
    Ok(item_manifest(conn, item, -1)?.map(|(_, sent)| sent))
}

pub fn item_status(conn: &Connection, item: &ItemRow) -> rusqlite::Result<&'static str> {
    Ok(if matches!(item_manifest_sent(conn, item)?, Some(true)) {
        "Picked Up"
    } else {
        "New"
    })
}

pub fn bag_status(conn: &Connection, bag: &BagRow) -> rusqlite::Result<&'static str> {
    Ok(if matches!(bag_manifest(conn, bag, -1)?, Some((_, true))) {
        "Picked Up"
    } else {
        "New"
    })
}

pub fn day_status(conn: &Connection, day: &DayRow) -> rusqlite::Result<&'static str> {
    Ok(if matches!(day_manifest(conn, day, -1)?, Some((_, true))) {
        "Picked Up"
    } else {
        "Closed"
    })
}

pub fn bag_info(conn: &Connection, bag: &BagRow) -> rusqlite::Result<BagInfo> {
    Ok(BagInfo {
        creation_date: Some(bag.created.clone()),
        status: Some(bag_status(conn, bag)?.to_string()),
        bag_id: Some(bag.bag_id.clone()),
        shipper_bag_id: bag.shipper_bag_id.clone(),
        comment: bag.comment.clone(),
    })
}

pub fn day_info(conn: &Connection, day: &DayRow) -> rusqlite::Result<DayInfo> {
    Ok(DayInfo {
        creation_date: Some(day.created.clone()),
        status: Some(day_status(conn, day)?.to_string()),
        day_id: Some(day.day_id.clone()),
        shipper_day_id: day.shipper_day_id.clone(),
    })
}
