//! closeDay, reopenDay, createDay and cancelDay: bags and loose items grouped into a day, with the End of
//! Day manifest label and the bag labels.

use super::bag::bag_label;
use super::mailing::item_failure;
use super::{make_label, non_empty, too_long, Ctx};
use crate::labels::{LabelContent, LabelKind};
use rusqlite::Connection;

use crate::state::{self, BagRow, DayRow, Db, KIND_BAG, KIND_DAY};
use mawb_wire::wire::{Answer, BagResult, Day, DayRef, DayResult, ErrorType, LabelSize, Status};

/// The day answer's label (label=1) and bags (every bag of the day, with its label when bagLabels=1).
fn day_extras(
    conn: &Connection,
    ctx: &Ctx,
    day_row: i64,
    day_id: &str,
    result: &mut DayResult,
    list_bags: bool,
) -> Db<()> {
    let bags = state::bags_where(conn, ctx.account, "day = ?2", day_row)?;
    if ctx.params.label == Some(1) {
        let items = state::items_of_unit(conn, KIND_DAY, day_row)?;
        let bagged = bags
            .iter()
            .map(|b| state::items_of_unit(conn, KIND_BAG, b.id).map(|v| v.len()))
            .sum::<Db<usize>>()?;
        let loose = items.len().saturating_sub(bagged);
        let weight = state::weight_of(conn, &items)?;
        let lines = vec![
            format!("Date: {}", ctx.now),
            format!("Bags: {}", bags.len()),
            format!("Loose items: {loose}"),
            format!("Items in all: {}", items.len()),
            format!("Weight: {weight} kg"),
            format!("Airport: {}", ctx.airport()),
        ];
        result.label = Some(make_label(
            ctx.format(),
            LabelSize::default(),
            &LabelContent {
                kind: LabelKind::EndOfDay,
                id: day_id,
                title: "End of Day manifest",
                lines: &lines,
            },
        ));
    }
    let bag_labels = ctx.params.bag_labels == Some(true);
    if list_bags || bag_labels {
        for b in &bags {
            result.bags.push(BagResult {
                status: Status::ok(),
                bag_id: Some(b.bag_id.clone()),
                shipper_bag_id: b.shipper_bag_id.clone(),
                label: if bag_labels {
                    Some(bag_label(conn, ctx, b)?)
                } else {
                    None
                },
                ..Default::default()
            });
        }
    }
    Ok(())
}

/// closeDay: every new bag and loose item into a new day.
pub(super) fn close_day(conn: &Connection, ctx: &Ctx) -> Db<Answer> {
    let mut result = DayResult::default();
    let (new_bags, new_items) = state::count_new(conn, ctx.account)?;
    if new_bags == 0 && new_items == 0 {
        result.status = Status::error(ErrorType::Empty, "nothing new since the last closeDay");
        return Ok(Answer::Day(result));
    }
    let (row, day_id) = state::insert_day(conn, ctx.account, None, &ctx.airport(), &ctx.now)?;
    state::close_new_into_day(conn, ctx.account, row)?;
    result.status = Status::ok();
    day_extras(conn, ctx, row, &day_id, &mut result, true)?;
    result.day_id = Some(day_id);
    Ok(Answer::Day(result))
}

/// Why a day cannot be reopened or cancelled: it, or something in it, is in a manifest.
fn day_busy(conn: &Connection, day: &DayRow) -> Db<Option<String>> {
    if let Some((m, sent)) = state::day_manifest(conn, day, -1)? {
        let how = if sent { "was picked up with" } else { "is in" };
        return Ok(Some(format!(
            "day {} {how} manifest {}",
            day.day_id,
            state::manifest_id_for(m)
        )));
    }
    if let Some(m) = state::contents_manifest(conn, KIND_DAY, day.id, -1)? {
        return Ok(Some(format!(
            "day {} holds units of manifest {}",
            day.day_id,
            state::manifest_id_for(m)
        )));
    }
    Ok(None)
}

/// reopenDay: the most recent day removed, its bags and loose items new again.
pub(super) fn reopen_day(conn: &Connection, ctx: &Ctx) -> Db<Answer> {
    let mut result = DayResult::default();
    let Some(day) = state::last_day(conn, ctx.account)? else {
        result.status = Status::error(ErrorType::NotFound, "no closed day to reopen");
        return Ok(Answer::Day(result));
    };
    result.day_id = Some(day.day_id.clone());
    result.shipper_day_id.clone_from(&day.shipper_day_id);
    if let Some(why) = day_busy(conn, &day)? {
        result.status = Status::error(ErrorType::Conflict, format!("{why}; it cannot be reopened"));
        result.conflict = Some(state::day_info(conn, &day)?);
        return Ok(Answer::Day(result));
    }
    state::free_day(conn, &day)?;
    result.status = Status::ok();
    Ok(Answer::Day(result))
}

/// createDay: the named bags and loose items that can be grouped go into a new day.
pub(super) fn create_day(conn: &Connection, ctx: &Ctx, day: &Day) -> Db<Answer> {
    let mut result = DayResult {
        shipper_day_id: day.shipper_day_id.clone(),
        ..Default::default()
    };
    let problems: Vec<String> = too_long("shipperDayId", &day.shipper_day_id, 50)
        .into_iter()
        .chain(
            (day.bags.is_empty() && day.items.is_empty())
                .then(|| "a day needs at least one bag or mailItem".to_string()),
        )
        .collect();
    if !problems.is_empty() {
        result.status = Status::error(ErrorType::Invalid, problems.join("; "));
        return Ok(Answer::Day(result));
    }
    let sdid = non_empty(&day.shipper_day_id);
    if let Some(existing) = sdid
        .map(|s| state::day_by(conn, ctx.account, "shipper_day_id", s))
        .transpose()?
        .flatten()
    {
        result.status = Status::error(
            ErrorType::Conflict,
            format!(
                "shipperDayId {} already exists (dayId {})",
                sdid.unwrap_or(""),
                existing.day_id
            ),
        );
        result.conflict = Some(state::day_info(conn, &existing)?);
        return Ok(Answer::Day(result));
    }
    let mut good_bags = Vec::new();
    for r in &day.bags {
        let fail = |t: ErrorType, msg: String, conflict: Option<&BagRow>| -> Db<BagResult> {
            Ok(BagResult {
                status: Status::error(t, msg),
                bag_id: r.bag_id.clone(),
                shipper_bag_id: r.shipper_bag_id.clone(),
                conflict: conflict.map(|b| state::bag_info(conn, b)).transpose()?,
                ..Default::default()
            })
        };
        match state::find_bag(conn, ctx.account, r)? {
            Err((t, msg)) => result.bags.push(fail(t, msg, None)?),
            Ok(bag) => {
                if let Some(d) = bag.day {
                    let day_id = state::day_by_row(conn, d)?.map_or_else(String::new, |d| d.day_id);
                    let msg = format!("bag {} is already in day {day_id}", bag.bag_id);
                    result
                        .bags
                        .push(fail(ErrorType::Conflict, msg, Some(&bag))?);
                } else if good_bags.contains(&bag.id) {
                    result.bags.push(fail(
                        ErrorType::Invalid,
                        format!("bag {} is listed twice", bag.bag_id),
                        None,
                    )?);
                } else {
                    good_bags.push(bag.id);
                }
            }
        }
    }
    let mut good_items = Vec::new();
    for r in &day.items {
        match state::find_item(conn, ctx.account, r)? {
            Err((t, msg)) => result.items.push(item_failure(conn, r, t, msg, None)?),
            Ok(item) => {
                let busy = match (&item.bag_id, item.day) {
                    (Some(b), _) => Some(format!(
                        "mail item {} is in bag {b}; name the bag instead",
                        item.tracking_number
                    )),
                    (None, Some(d)) => {
                        let day_id =
                            state::day_by_row(conn, d)?.map_or_else(String::new, |d| d.day_id);
                        Some(format!(
                            "mail item {} is already in day {day_id}",
                            item.tracking_number
                        ))
                    }
                    (None, None) => None,
                };
                if let Some(why) = busy {
                    result.items.push(item_failure(
                        conn,
                        r,
                        ErrorType::Conflict,
                        why,
                        Some(&item),
                    )?);
                } else if good_items.contains(&item.id) {
                    let msg = format!("mail item {} is listed twice", item.tracking_number);
                    result
                        .items
                        .push(item_failure(conn, r, ErrorType::Invalid, msg, None)?);
                } else {
                    good_items.push(item.id);
                }
            }
        }
    }
    if good_bags.is_empty() && good_items.is_empty() {
        result.status = Status::error(
            ErrorType::Invalid,
            format!(
                "none of the {} bags and {} mail items could be grouped",
                day.bags.len(),
                day.items.len()
            ),
        );
        return Ok(Answer::Day(result));
    }
    let (row, day_id) = state::insert_day(conn, ctx.account, sdid, &ctx.airport(), &ctx.now)?;
    state::put_in_day(conn, row, &good_bags, &good_items)?;
    result.status = Status::ok();
    day_extras(conn, ctx, row, &day_id, &mut result, false)?;
    result.day_id = Some(day_id);
    Ok(Answer::Day(result))
}

/// cancelDay: the named day removed, unless it or something in it is in a manifest.
pub(super) fn cancel_day(conn: &Connection, ctx: &Ctx, r: &DayRef) -> Db<Answer> {
    let mut result = DayResult {
        day_id: r.day_id.clone(),
        shipper_day_id: r.shipper_day_id.clone(),
        ..Default::default()
    };
    let found = state::find_day(conn, ctx.account, r)?;
    let day = match found {
        Ok(d) => d,
        Err((t, msg)) => {
            result.status = Status::error(t, msg);
            return Ok(Answer::Day(result));
        }
    };
    result.day_id = Some(day.day_id.clone());
    result.shipper_day_id.clone_from(&day.shipper_day_id);
    if let Some(why) = day_busy(conn, &day)? {
        result.status = Status::error(
            ErrorType::Conflict,
            format!("{why}; it cannot be cancelled"),
        );
        result.conflict = Some(state::day_info(conn, &day)?);
        return Ok(Answer::Day(result));
    }
    state::free_day(conn, &day)?;
    result.status = Status::ok();
    Ok(Answer::Day(result))
}
