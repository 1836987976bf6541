//! createBag and cancelBag: items grouped into a bag, with the bag label.

use std::collections::HashSet;

use super::mailing::{item_busy, item_failure};
use super::{make_label, non_empty, too_long, Ctx};
use crate::labels::{LabelContent, LabelKind};
use rusqlite::Connection;

use crate::state::{self, BagRow, Db, KIND_BAG};
use mawb_wire::wire::{Answer, Bag, BagRef, BagResult, ErrorType, Label, LabelSize, Status};

/// The label of a bag: its ids, comment, item count, weight and airport.
pub(super) fn bag_label(conn: &Connection, ctx: &Ctx, bag: &BagRow) -> Db<Label> {
    let items = state::items_of_unit(conn, KIND_BAG, bag.id)?;
    let weight = state::weight_of(conn, &items)?;
    let mut lines = Vec::new();
    if let Some(s) = &bag.shipper_bag_id {
        lines.push(format!("Ref: {s}"));
    }
    if let Some(c) = &bag.comment {
        lines.push(c.clone());
    }
    lines.push(format!("Items: {}", items.len()));
    lines.push(format!("Weight: {weight} kg"));
    lines.push(format!("Airport: {}", bag.airport));
    Ok(make_label(
        ctx.format(),
        LabelSize::default(),
        &LabelContent {
            kind: LabelKind::Bag,
            id: &bag.bag_id,
            title: "ACP bag",
            lines: &lines,
        },
    ))
}

/// createBag: the items that can be bagged go into a new bag; the others are listed with why.
pub(super) fn create_bag(conn: &Connection, ctx: &Ctx, bag: &Bag) -> Db<Answer> {
    let mut result = BagResult {
        shipper_bag_id: bag.shipper_bag_id.clone(),
        ..Default::default()
    };
    let problems: Vec<String> = [
        too_long("shipperBagId", &bag.shipper_bag_id, 50),
        too_long("comment", &bag.comment, 50),
    ]
    .into_iter()
    .flatten()
    .chain(
        bag.items
            .is_empty()
            .then(|| "a bag needs at least one mailItem".to_string()),
    )
    .collect();
    if !problems.is_empty() {
        result.status = Status::error(ErrorType::Invalid, problems.join("; "));
        return Ok(Answer::Bag(result));
    }
    let sbid = non_empty(&bag.shipper_bag_id);
    if let Some(existing) = sbid
        .map(|s| state::bag_by(conn, ctx.account, "shipper_bag_id", s))
        .transpose()?
        .flatten()
    {
        result.status = Status::error(
            ErrorType::Conflict,
            format!(
                "shipperBagId {} already exists (bagId {})",
                sbid.unwrap_or(""),
                existing.bag_id
            ),
        );
        result.conflict = Some(state::bag_info(conn, &existing)?);
        return Ok(Answer::Bag(result));
    }
    let mut good = Vec::new();
    let mut seen = HashSet::new();
    for r in &bag.items {
        match state::find_item(conn, ctx.account, r)? {
            Err((t, msg)) => result.items.push(item_failure(conn, r, t, msg, None)?),
            Ok(item) => {
                if let Some(why) = item_busy(conn, &item)? {
                    result.items.push(item_failure(
                        conn,
                        r,
                        ErrorType::Conflict,
                        why,
                        Some(&item),
                    )?);
                } else if !seen.insert(item.id) {
                    let msg = format!("mail item {} is listed twice", item.tracking_number);
                    result
                        .items
                        .push(item_failure(conn, r, ErrorType::Invalid, msg, None)?);
                } else {
                    good.push(item.id);
                }
            }
        }
    }
    if good.is_empty() {
        result.status = Status::error(
            ErrorType::Invalid,
            format!("none of the {} mail items could be bagged", bag.items.len()),
        );
        return Ok(Answer::Bag(result));
    }
    let (row, bag_id) = state::insert_bag(
        conn,
        ctx.account,
        sbid,
        non_empty(&bag.comment),
        &ctx.airport(),
        &ctx.now,
    )?;
    state::put_items_in_bag(conn, row, &good)?;
    result.status = Status::ok();
    result.bag_id = Some(bag_id);
    if ctx.params.label == Some(1) {
        if let Some(b) = state::bag_by_row(conn, row)? {
            result.label = Some(bag_label(conn, ctx, &b)?);
        }
    }
    Ok(Answer::Bag(result))
}

/// cancelBag: the bag deleted and its items new again, unless it is in a day or a manifest.
pub(super) fn cancel_bag(conn: &Connection, ctx: &Ctx, r: &BagRef) -> Db<Answer> {
    let mut result = BagResult {
        bag_id: r.bag_id.clone(),
        shipper_bag_id: r.shipper_bag_id.clone(),
        ..Default::default()
    };
    let bag = match state::find_bag(conn, ctx.account, r)? {
        Ok(b) => b,
        Err((t, msg)) => {
            result.status = Status::error(t, msg);
            return Ok(Answer::Bag(result));
        }
    };
    let busy = if let Some(d) = bag.day {
        let day = state::day_by_row(conn, d)?.map_or_else(String::new, |d| d.day_id);
        Some(format!("bag {} is in day {day}", bag.bag_id))
    } else {
        state::bag_manifest(conn, &bag, -1)?.map(|(m, _)| {
            format!(
                "bag {} is in manifest {}",
                bag.bag_id,
                state::manifest_id_for(m)
            )
        })
    };
    if let Some(why) = busy {
        result.status = Status::error(
            ErrorType::Conflict,
            format!("{why}; it cannot be cancelled"),
        );
        result.conflict = Some(state::bag_info(conn, &bag)?);
        return Ok(Answer::Bag(result));
    }
    state::delete_bag(conn, bag.id)?;
    result.status = Status::ok();
    result.bag_id = Some(bag.bag_id);
    result.shipper_bag_id = bag.shipper_bag_id;
    Ok(Answer::Bag(result))
}
