//! Manifests as stored: the row and its lookups, what a stored manifest's parts list and cover, and the
//! writes createManifest, modifyManifest and cancelManifest make.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use super::{bags_of_unit, items_of_unit, manifest_id_for, weight_of, Db, KIND_DAY};
use mawb_wire::wire::{Manifest, ManifestPart};

/// A stored manifest's row.
pub struct ManifestRow {
    pub id: i64,
    pub manifest_id: String,
    pub user_manifest_id: Option<String>,
    pub manifest_number: String,
    pub created: String,
    pub sent: bool,
}

const MANIFEST_COLUMNS: &str =
    "SELECT id, manifest_id, user_manifest_id, manifest_number, created, sent FROM manifest";

fn manifest_row(r: &rusqlite::Row) -> rusqlite::Result<ManifestRow> {
    Ok(ManifestRow {
        id: r.get(0)?,
        manifest_id: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        user_manifest_id: r.get(2)?,
        manifest_number: r.get(3)?,
        created: r.get(4)?,
        sent: r.get::<_, i64>(5)? != 0,
    })
}

/// The manifest of an account whose `manifest_id` (any other `column`: `user_manifest_id`) is `value`.
pub fn manifest_by(
    conn: &Connection,
    account: i64,
    column: &str,
    value: &str,
) -> Db<Option<ManifestRow>> {
    let column = if column == "manifest_id" {
        "manifest_id"
    } else {
        "user_manifest_id"
    };
    let sql = format!("{MANIFEST_COLUMNS} WHERE account = ?1 AND {column} = ?2");
    conn.prepare_cached(&sql)?
        .query_row(params![account, value], manifest_row)
        .optional()
}

/// The manifest with row id `id`.
pub fn manifest_by_row(conn: &Connection, id: i64) -> Db<Option<ManifestRow>> {
    let sql = format!("{MANIFEST_COLUMNS} WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], manifest_row)
        .optional()
}

/// A stored part with the units it lists and what they cover.
pub struct PartContents {
    pub part: ManifestPart,
    pub items: Vec<i64>,
    pub bags: Vec<i64>,
    pub days: Vec<i64>,
}

/// Every part of a stored manifest, and the union of what they cover (each object once).
pub struct Contents {
    pub parts: Vec<PartContents>,
    pub items: Vec<i64>,
    pub bags: Vec<i64>,
    pub days: Vec<i64>,
    pub weight: Decimal,
}

fn push_unique(into: &mut Vec<i64>, seen: &mut HashSet<i64>, ids: &[i64]) {
    for id in ids {
        if seen.insert(*id) {
            into.push(*id);
        }
    }
}

/// What a stored manifest lists, part by part, and what it covers in all, with the weight in kg.
pub fn manifest_contents(conn: &Connection, manifest: i64) -> Db<Contents> {
    let mut stmt = conn.prepare_cached(
        "SELECT idx, departure_facility, departure_date, arrival_facility, arrival_date, carrier, trip_number
         FROM manifest_part WHERE manifest = ?1 ORDER BY idx",
    )?;
    let parts: Vec<(i64, ManifestPart)> = stmt
        .query_map([manifest], |r| {
            Ok((
                r.get(0)?,
                ManifestPart {
                    departure_facility: r.get(1)?,
                    departure_date: r.get(2)?,
                    arrival_facility: r.get(3)?,
                    arrival_date: r.get(4)?,
                    carrier: r.get(5)?,
                    trip_number: r.get(6)?,
                    units: Vec::new(),
                },
            ))
        })?
        .collect::<Db<_>>()?;
    let mut units = conn.prepare_cached(
        "SELECT unit_id, kind, obj FROM manifest_unit WHERE manifest = ?1 AND part = ?2 ORDER BY ord",
    )?;
    let mut all = Contents {
        parts: Vec::new(),
        items: Vec::new(),
        bags: Vec::new(),
        days: Vec::new(),
        weight: Decimal::ZERO,
    };
    let (mut seen_i, mut seen_b, mut seen_d) = (HashSet::new(), HashSet::new(), HashSet::new());
    for (idx, mut part) in parts {
        let rows: Vec<(String, i64, i64)> = units
            .query_map([manifest, idx], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Db<_>>()?;
        let mut pc = PartContents {
            part: ManifestPart::default(),
            items: Vec::new(),
            bags: Vec::new(),
            days: Vec::new(),
        };
        let (mut pi, mut pb) = (HashSet::new(), HashSet::new());
        for (unit_id, kind, obj) in rows {
            part.units.push(unit_id);
            push_unique(&mut pc.items, &mut pi, &items_of_unit(conn, kind, obj)?);
            push_unique(&mut pc.bags, &mut pb, &bags_of_unit(conn, kind, obj)?);
            if kind == KIND_DAY {
                pc.days.push(obj);
            }
        }
        push_unique(&mut all.items, &mut seen_i, &pc.items);
        push_unique(&mut all.bags, &mut seen_b, &pc.bags);
        push_unique(&mut all.days, &mut seen_d, &pc.days);
        pc.part = part;
        all.parts.push(pc);
    }
    all.weight = weight_of(conn, &all.items)?;
    Ok(all)
}

/// What a createManifest or modifyManifest stores in the manifest row, besides its parts and units.
pub struct ManifestFields<'a> {
    /// The request's manifest: number, shipping units, user-defined weight and its unit.
    pub manifest: &'a Manifest,
    pub user_manifest_id: Option<&'a str>,
    /// The image attachment: file name, size in bytes, and the type its magic bytes show.
    pub image: Option<(&'a str, i64, Option<&'static str>)>,
    /// The manifest file attachment: file name, size in bytes, and its type when it checks.
    pub file: Option<(&'a str, i64, Option<&'static str>)>,
    pub alert_email: Option<&'a str>,
    /// `yyyy-mm-ddThh:mm:ssZ`: the creation time of a new manifest, the modification time of a modified one.
    pub now: &'a str,
}

/// One unit as a manifest lists it: its part and place there (0-based), the id the request named, and
/// the object it resolved to.
pub struct UnitRow<'a> {
    pub part: usize,
    pub ord: usize,
    pub unit_id: &'a str,
    pub kind: i64,
    pub obj: i64,
}

/// Stores a new manifest row and gives it its system id; returns the row id.
pub fn insert_manifest(conn: &Connection, account: i64, f: &ManifestFields) -> Db<i64> {
    let m = f.manifest;
    conn.prepare_cached(
        "INSERT INTO manifest (account, user_manifest_id, manifest_number, shipping_units,
         user_defined_weight, user_defined_weight_uom, image_name, image_bytes, image_type, file_name,
         file_bytes, file_type, alert_email, created)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        account,
        f.user_manifest_id,
        m.manifest_number,
        m.shipping_units,
        m.user_defined_weight,
        m.user_defined_weight_uom,
        f.image.map(|i| i.0),
        f.image.map(|i| i.1),
        f.image.and_then(|i| i.2),
        f.file.map(|f| f.0),
        f.file.map(|f| f.1),
        f.file.and_then(|f| f.2),
        f.alert_email,
        f.now,
    ])?;
    let row = conn.last_insert_rowid();
    conn.prepare_cached("UPDATE manifest SET manifest_id = ?1 WHERE id = ?2")?
        .execute(params![manifest_id_for(row), row])?;
    Ok(row)
}

/// Rewrites a stored manifest's row and drops its parts and units, to be stored again.
pub fn update_manifest(conn: &Connection, row: i64, f: &ManifestFields) -> Db<()> {
    let m = f.manifest;
    conn.prepare_cached(
        "UPDATE manifest SET user_manifest_id = ?2, manifest_number = ?3, shipping_units = ?4,
         user_defined_weight = ?5, user_defined_weight_uom = ?6, image_name = ?7, image_bytes = ?8,
         image_type = ?9, file_name = ?10, file_bytes = ?11, file_type = ?12, alert_email = ?13,
         modified = ?14 WHERE id = ?1",
    )?
    .execute(params![
        row,
        f.user_manifest_id,
        m.manifest_number,
        m.shipping_units,
        m.user_defined_weight,
        m.user_defined_weight_uom,
        f.image.map(|i| i.0),
        f.image.map(|i| i.1),
        f.image.and_then(|i| i.2),
        f.file.map(|f| f.0),
        f.file.map(|f| f.1),
        f.file.and_then(|f| f.2),
        f.alert_email,
        f.now,
    ])?;
    conn.prepare_cached("DELETE FROM manifest_part WHERE manifest = ?1")?
        .execute([row])?;
    conn.prepare_cached("DELETE FROM manifest_unit WHERE manifest = ?1")?
        .execute([row])?;
    Ok(())
}

/// Stores a manifest's parts (in request order) and the units that resolved.
pub fn put_manifest_contents(
    conn: &Connection,
    row: i64,
    parts: &[ManifestPart],
    units: &[UnitRow],
) -> Db<()> {
    let mut put_part = conn.prepare_cached(
        "INSERT INTO manifest_part (manifest, idx, departure_facility, departure_date, arrival_facility,
         arrival_date, carrier, trip_number) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (pi, p) in parts.iter().enumerate() {
        put_part.execute(params![
            row,
            pi as i64,
            p.departure_facility,
            p.departure_date,
            p.arrival_facility,
            p.arrival_date,
            p.carrier,
            p.trip_number
        ])?;
    }
    let mut put_unit = conn.prepare_cached(
        "INSERT INTO manifest_unit (manifest, part, ord, unit_id, kind, obj) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for u in units {
        put_unit.execute(params![
            row,
            u.part as i64,
            u.ord as i64,
            u.unit_id,
            u.kind,
            u.obj
        ])?;
    }
    Ok(())
}

/// Deletes a manifest with its parts and units (cancelManifest).
pub fn delete_manifest(conn: &Connection, row: i64) -> Db<()> {
    conn.prepare_cached("DELETE FROM manifest_unit WHERE manifest = ?1")?
        .execute([row])?;
    conn.prepare_cached("DELETE FROM manifest_part WHERE manifest = ?1")?
        .execute([row])?;
    conn.prepare_cached("DELETE FROM manifest WHERE id = ?1")?
        .execute([row])?;
    Ok(())
}

/// The manifest row ids of an account, oldest first.
pub fn manifests_of(conn: &Connection, account: i64) -> Db<Vec<i64>> {
    conn.prepare_cached("SELECT id FROM manifest WHERE account = ?1 ORDER BY id")?
        .query_map([account], |r| r.get(0))?
        .collect()
}
