//! What a unit covers (its items and bags, their weight) and which manifest covers an object: listed
//! itself, or through its bag or day. Manifest units are `(kind, obj)` pairs, see [`super::KIND_ITEM`].

use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use super::{BagRow, DayRow, ItemRow, KIND_BAG, KIND_DAY, KIND_ITEM};

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
            let w = crate::rules::parse_decimal(&w).unwrap_or_default();
            sum = sum.checked_add(w).unwrap_or(Decimal::MAX);
        }
    }
    Ok(sum)
}
