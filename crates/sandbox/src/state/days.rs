//! Days as stored: the row, its lookups, and the writes closeDay, createDay, reopenDay and cancelDay make.

use rusqlite::{params, Connection, OptionalExtension};

use super::{day_id_for, Db};

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

/// The day of an account whose `day_id` (any other `column`: `shipper_day_id`) is `value`.
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

/// The day with row id `id`.
pub fn day_by_row(conn: &Connection, id: i64) -> rusqlite::Result<Option<DayRow>> {
    let sql = format!("{DAY_COLUMNS} WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], day_row)
        .optional()
}

/// The account's most recent day (closeDay or createDay), the one reopenDay reopens.
pub fn last_day(conn: &Connection, account: i64) -> rusqlite::Result<Option<DayRow>> {
    let sql = format!("{DAY_COLUMNS} WHERE account = ?1 ORDER BY id DESC LIMIT 1");
    conn.prepare_cached(&sql)?
        .query_row([account], day_row)
        .optional()
}

/// Every day of an account, oldest first.
pub fn days_of(conn: &Connection, account: i64) -> rusqlite::Result<Vec<DayRow>> {
    let sql = format!("{DAY_COLUMNS} WHERE account = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([account], day_row)?;
    rows.collect()
}

/// Stores a new day and gives it its system id; returns the row id and the day id.
pub fn insert_day(
    conn: &Connection,
    account: i64,
    shipper_day_id: Option<&str>,
    airport: &str,
    created: &str,
) -> Db<(i64, String)> {
    conn.prepare_cached(
        "INSERT INTO day (account, shipper_day_id, airport, created) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![account, shipper_day_id, airport, created])?;
    let row = conn.last_insert_rowid();
    let day_id = day_id_for(row);
    conn.prepare_cached("UPDATE day SET day_id = ?1 WHERE id = ?2")?
        .execute(params![day_id, row])?;
    Ok((row, day_id))
}

/// How many bags and loose items of an account are new (in no day): what closeDay would close.
pub fn count_new(conn: &Connection, account: i64) -> Db<(i64, i64)> {
    let new_bags: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM bag WHERE account = ?1 AND day IS NULL")?
        .query_row([account], |r| r.get(0))?;
    let new_items: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM item WHERE account = ?1 AND bag IS NULL AND day IS NULL",
        )?
        .query_row([account], |r| r.get(0))?;
    Ok((new_bags, new_items))
}

/// Puts every new bag and loose item of an account into a day (closeDay).
pub fn close_new_into_day(conn: &Connection, account: i64, day: i64) -> Db<()> {
    conn.prepare_cached("UPDATE bag SET day = ?1 WHERE account = ?2 AND day IS NULL")?
        .execute([day, account])?;
    conn.prepare_cached(
        "UPDATE item SET day = ?1 WHERE account = ?2 AND bag IS NULL AND day IS NULL",
    )?
    .execute([day, account])?;
    Ok(())
}

/// Puts bags and loose items (row ids) into a day (createDay).
pub fn put_in_day(conn: &Connection, day: i64, bags: &[i64], items: &[i64]) -> Db<()> {
    let mut put_bag = conn.prepare_cached("UPDATE bag SET day = ?1 WHERE id = ?2")?;
    for &id in bags {
        put_bag.execute([day, id])?;
    }
    let mut put_item = conn.prepare_cached("UPDATE item SET day = ?1 WHERE id = ?2")?;
    for &id in items {
        put_item.execute([day, id])?;
    }
    Ok(())
}

/// Deletes a day; its bags and loose items are new again (reopenDay, cancelDay).
pub fn free_day(conn: &Connection, day: &DayRow) -> Db<()> {
    conn.prepare_cached("UPDATE bag SET day = NULL WHERE day = ?1")?
        .execute([day.id])?;
    conn.prepare_cached("UPDATE item SET day = NULL WHERE day = ?1")?
        .execute([day.id])?;
    conn.prepare_cached("DELETE FROM day WHERE id = ?1")?
        .execute([day.id])?;
    Ok(())
}
