//! Bags as stored: the row, its lookups, and the writes createBag and cancelBag make.

use rusqlite::{params, Connection, OptionalExtension};

use super::{bag_id_for, Db};

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

/// The bag of an account whose `bag_id` (any other `column`: `shipper_bag_id`) is `value`.
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

/// The bag with row id `id`.
pub fn bag_by_row(conn: &Connection, id: i64) -> rusqlite::Result<Option<BagRow>> {
    let sql = format!("{BAG_COLUMNS} WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], bag_row)
        .optional()
}

/// Bags of an account matching a WHERE clause on `bag`, with `?1` the account and `?2` `arg`.
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

/// Stores a new bag and gives it its system id; returns the row id and the bag id.
pub fn insert_bag(
    conn: &Connection,
    account: i64,
    shipper_bag_id: Option<&str>,
    comment: Option<&str>,
    airport: &str,
    created: &str,
) -> Db<(i64, String)> {
    conn.prepare_cached(
        "INSERT INTO bag (account, shipper_bag_id, comment, airport, created) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![account, shipper_bag_id, comment, airport, created])?;
    let row = conn.last_insert_rowid();
    let bag_id = bag_id_for(row);
    conn.prepare_cached("UPDATE bag SET bag_id = ?1 WHERE id = ?2")?
        .execute(params![bag_id, row])?;
    Ok((row, bag_id))
}

/// Puts items (row ids) into a bag (row id).
pub fn put_items_in_bag(conn: &Connection, bag: i64, items: &[i64]) -> Db<()> {
    let mut put = conn.prepare_cached("UPDATE item SET bag = ?1 WHERE id = ?2")?;
    for &id in items {
        put.execute([bag, id])?;
    }
    Ok(())
}

/// Deletes a bag; its items are new again (cancelBag).
pub fn delete_bag(conn: &Connection, bag: i64) -> Db<()> {
    conn.prepare_cached("UPDATE item SET bag = NULL WHERE bag = ?1")?
        .execute([bag])?;
    conn.prepare_cached("DELETE FROM bag WHERE id = ?1")?
        .execute([bag])?;
    Ok(())
}
