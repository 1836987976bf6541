//! The one resolver for an object a request names by either of its two ids: the system id ACP gave it
//! (trackingNumber, bagId, dayId, manifestId) or the one the shipper chose (shipperItemId, shipperBagId,
//! shipperDayId, userManifestId).
//!
//! ACP's rule, the same for every object: at least one id must be given; an id given must exist; when both
//! are given they must name the same object. The answer to a failure is `invalid` (no id) or `notFound`
//! (an unknown id, or two ids naming two objects), with a message that names the ids as the request did.

use rusqlite::Connection;

use super::{bag_by, day_by, item_by_shipper_id, item_by_tracking, manifest_by, Db};
use super::{BagRow, DayRow, ItemRow, ManifestRow};
use mawb_wire::wire::{BagRef, DayRef, ErrorType, ItemRef, ManifestRef};

/// The object a reference names, or the error type and message to answer with.
pub type Found<T> = Result<T, (ErrorType, String)>;

/// How answers name a kind of object and its two ids.
struct Names {
    /// The request element, e.g. `mailItem`.
    element: &'static str,
    /// The object in prose, e.g. `mail item`, and its plural.
    noun: &'static str,
    plural: &'static str,
    /// The system id's element, e.g. `trackingNumber`.
    id: &'static str,
    /// The shipper's id's element, e.g. `shipperItemId`.
    other: &'static str,
}

/// Finds the object named by `id` and/or `other`, looking each up with its own function; `row` gives an
/// object's row id, to tell whether both ids name the same one.
fn resolve<T>(
    names: &Names,
    id: Option<&str>,
    other: Option<&str>,
    row: fn(&T) -> i64,
    by_id: impl FnOnce(&str) -> Db<Option<T>>,
    by_other: impl FnOnce(&str) -> Db<Option<T>>,
) -> Db<Found<T>> {
    let found_by_id = id.map(by_id).transpose()?;
    let found_by_other = other.map(by_other).transpose()?;
    let no_id = || {
        (
            ErrorType::Invalid,
            format!(
                "{} needs a {} or a {}",
                names.element, names.id, names.other
            ),
        )
    };
    Ok(match (id, other, found_by_id, found_by_other) {
        (None, None, _, _) => Err(no_id()),
        (Some(v), _, Some(None), _) => Err((
            ErrorType::NotFound,
            format!("no {} with {} {v}", names.noun, names.id),
        )),
        (_, Some(v), _, Some(None)) => Err((
            ErrorType::NotFound,
            format!("no {} with {} {v}", names.noun, names.other),
        )),
        (Some(a), Some(b), Some(Some(x)), Some(Some(y))) if row(&x) != row(&y) => Err((
            ErrorType::NotFound,
            format!(
                "{} {a} and {} {b} name different {}",
                names.id, names.other, names.plural
            ),
        )),
        (_, _, Some(Some(x)), _) => Ok(x),
        (_, _, _, Some(Some(y))) => Ok(y),
        _ => Err(no_id()),
    })
}

/// An empty id counts as not given.
fn given(o: &Option<String>) -> Option<&str> {
    o.as_deref().filter(|s| !s.is_empty())
}

/// The mail item a `<mailItem>` reference names by trackingNumber and/or shipperItemId.
pub fn find_item(conn: &Connection, account: i64, r: &ItemRef) -> Db<Found<ItemRow>> {
    resolve(
        &Names {
            element: "mailItem",
            noun: "mail item",
            plural: "mail items",
            id: "trackingNumber",
            other: "shipperItemId",
        },
        given(&r.tracking_number),
        given(&r.shipper_item_id),
        |i| i.id,
        |v| item_by_tracking(conn, account, v),
        |v| item_by_shipper_id(conn, account, v),
    )
}

/// The bag a `<bag>` reference names by bagId and/or shipperBagId.
pub fn find_bag(conn: &Connection, account: i64, r: &BagRef) -> Db<Found<BagRow>> {
    resolve(
        &Names {
            element: "bag",
            noun: "bag",
            plural: "bags",
            id: "bagId",
            other: "shipperBagId",
        },
        given(&r.bag_id),
        given(&r.shipper_bag_id),
        |b| b.id,
        |v| bag_by(conn, account, "bag_id", v),
        |v| bag_by(conn, account, "shipper_bag_id", v),
    )
}

/// The day a `<day>` reference names by dayId and/or shipperDayId.
pub fn find_day(conn: &Connection, account: i64, r: &DayRef) -> Db<Found<DayRow>> {
    resolve(
        &Names {
            element: "day",
            noun: "day",
            plural: "days",
            id: "dayId",
            other: "shipperDayId",
        },
        given(&r.day_id),
        given(&r.shipper_day_id),
        |d| d.id,
        |v| day_by(conn, account, "day_id", v),
        |v| day_by(conn, account, "shipper_day_id", v),
    )
}

/// The manifest a `<manifest>` reference names by manifestId and/or userManifestId.
pub fn find_manifest(conn: &Connection, account: i64, r: &ManifestRef) -> Db<Found<ManifestRow>> {
    resolve(
        &Names {
            element: "manifest",
            noun: "manifest",
            plural: "manifests",
            id: "manifestId",
            other: "userManifestId",
        },
        given(&r.manifest_id),
        given(&r.user_manifest_id),
        |m| m.id,
        |v| manifest_by(conn, account, "manifest_id", v),
        |v| manifest_by(conn, account, "user_manifest_id", v),
    )
}
