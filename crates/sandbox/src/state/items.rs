//! Mail items as stored: the row, its lookups, and the writes createMailing and cancelMailing make.

use rusqlite::{params, Connection, OptionalExtension};

use super::Db;

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

/// The item of an account with tracking number `tn`.
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

/// The item of an account with shipperItemId `sid`.
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

/// The item with row id `id`.
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

/// The statement createMailing stores an item with; a tracking number or shipperItemId the account
/// already holds inserts nothing.
const INSERT_ITEM: &str = "INSERT INTO item (account, tracking_number, shipper_item_id, display_item_id, value,
    currency, weight, created, label, xml) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING";

/// A mail item as createMailing stores it; `value` and `weight` (kg) are the decimal texts of the request.
pub struct NewItem<'a> {
    pub account: i64,
    pub tracking_number: &'a str,
    pub shipper_item_id: Option<&'a str>,
    pub display_item_id: Option<&'a str>,
    pub value: &'a str,
    pub currency: &'a str,
    pub weight: &'a str,
    /// `yyyy-mm-ddThh:mm:ssZ`.
    pub created: &'a str,
    /// The createMailing `label` code.
    pub label: u8,
    /// The `<mailItem>` as stored, read back by getManifest.
    pub xml: &'a str,
}

/// Stores an item; `false` when the account already holds its tracking number or shipperItemId.
pub fn insert_item(conn: &Connection, item: &NewItem) -> Db<bool> {
    let inserted = conn.prepare_cached(INSERT_ITEM)?.execute(params![
        item.account,
        item.tracking_number,
        item.shipper_item_id,
        item.display_item_id,
        item.value,
        item.currency,
        item.weight,
        item.created,
        item.label,
        item.xml
    ])?;
    Ok(inserted != 0)
}

/// Deletes an item (cancelMailing).
pub fn delete_item(conn: &Connection, id: i64) -> Db<()> {
    conn.prepare_cached("DELETE FROM item WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// The stored `<mailItem>` XML of an item, by row id.
pub fn item_xml(conn: &Connection, id: i64) -> Db<Option<String>> {
    conn.prepare_cached("SELECT xml FROM item WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, String>(0))
        .optional()
}
