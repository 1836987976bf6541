//! The `<mailItemInfo>`, `<bagInfo>` and `<dayInfo>` shapes ACP answers with, and the status strings in
//! them (`New`, `Closed`, `Picked Up`).

use rusqlite::Connection;

use super::{bag_manifest, day_manifest, item_manifest, BagRow, DayRow, ItemRow};
use mawb_wire::wire::{BagInfo, DayInfo, MailItemInfo};

/// The `<mailItemInfo>` of a stored item.
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

/// `Picked Up` once a sent manifest covers the item, else `New`.
pub fn item_status(conn: &Connection, item: &ItemRow) -> rusqlite::Result<&'static str> {
    Ok(if matches!(item_manifest_sent(conn, item)?, Some(true)) {
        "Picked Up"
    } else {
        "New"
    })
}

/// `Picked Up` once a sent manifest covers the bag, else `New`.
pub fn bag_status(conn: &Connection, bag: &BagRow) -> rusqlite::Result<&'static str> {
    Ok(if matches!(bag_manifest(conn, bag, -1)?, Some((_, true))) {
        "Picked Up"
    } else {
        "New"
    })
}

/// `Picked Up` once a sent manifest lists the day, else `Closed`.
pub fn day_status(conn: &Connection, day: &DayRow) -> rusqlite::Result<&'static str> {
    Ok(if matches!(day_manifest(conn, day, -1)?, Some((_, true))) {
        "Picked Up"
    } else {
        "Closed"
    })
}

/// The `<bagInfo>` of a stored bag.
pub fn bag_info(conn: &Connection, bag: &BagRow) -> rusqlite::Result<BagInfo> {
    Ok(BagInfo {
        creation_date: Some(bag.created.clone()),
        status: Some(bag_status(conn, bag)?.to_string()),
        bag_id: Some(bag.bag_id.clone()),
        shipper_bag_id: bag.shipper_bag_id.clone(),
        comment: bag.comment.clone(),
    })
}

/// The `<dayInfo>` of a stored day.
pub fn day_info(conn: &Connection, day: &DayRow) -> rusqlite::Result<DayInfo> {
    Ok(DayInfo {
        creation_date: Some(day.created.clone()),
        status: Some(day_status(conn, day)?.to_string()),
        day_id: Some(day.day_id.clone()),
        shipper_day_id: day.shipper_day_id.clone(),
    })
}
