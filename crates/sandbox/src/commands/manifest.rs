//! createManifest, modifyManifest, cancelManifest and getManifest: units resolved against state, the
//! manifest stored with its parts, and the counts and weights ACP reports for it.

use std::collections::HashSet;

use rusqlite::Connection;
use rust_decimal::Decimal;

use super::{non_empty, Ctx};
use crate::parse;
use crate::rules;
use crate::state::{self, Contents, Db, ManifestFields, ManifestRow, UnitRow};
use crate::state::{KIND_BAG, KIND_DAY, KIND_ITEM};
use mawb_wire::wire::{
    Answer, ErrorType, Manifest, ManifestInfo, ManifestPartDetail, ManifestRef, ManifestResult,
    Status, UnitFailure,
};

fn weight_text(w: Decimal) -> String {
    format!("{:.3}", w.round_dp(3))
}

/// The `<manifestInfo>` of a stored manifest: ids, sender and receiver, counts (each object once) and
/// weight in kg.
pub(super) fn manifest_info(ctx: &Ctx, m: &ManifestRow, contents: &Contents) -> ManifestInfo {
    let receiver = contents
        .parts
        .last()
        .map(|p| format!("ACP-{}", p.part.arrival_facility))
        .unwrap_or_else(|| "ACP".to_string());
    ManifestInfo {
        creation_date: Some(m.created.clone()),
        warehouse_id: Some(ctx.warehouse_id()),
        manifest_id: Some(m.manifest_id.clone()),
        user_manifest_id: m.user_manifest_id.clone(),
        manifest_number: Some(m.manifest_number.clone()),
        sender_warehouse_id: Some(ctx.warehouse_id()),
        receiver_warehouse_id: Some(receiver),
        num_items: Some(contents.items.len().to_string()),
        num_bags: Some(contents.bags.len().to_string()),
        num_days: Some(contents.days.len().to_string()),
        num_parts: Some(contents.parts.len().to_string()),
        weight: Some(weight_text(contents.weight)),
        weight_unit: Some("kg".to_string()),
    }
}

fn stored_manifest_info(conn: &Connection, ctx: &Ctx, m: &ManifestRow) -> Db<ManifestInfo> {
    let contents = state::manifest_contents(conn, m.id)?;
    Ok(manifest_info(ctx, m, &contents))
}

/// A unit resolved against state.
struct Resolved {
    kind: i64,
    obj: i64,
}

fn unit_type(kind: i64) -> &'static str {
    match kind {
        KIND_ITEM => "mailItem",
        KIND_BAG => "bag",
        _ => "day",
    }
}

/// Resolves one unit id for a manifest other than `exclude`; a failure is the `<unit>` to answer.
fn resolve_unit(
    conn: &Connection,
    ctx: &Ctx,
    unit_id: &str,
    exclude: i64,
) -> Db<Result<Resolved, UnitFailure>> {
    let mut failure = UnitFailure {
        unit_id: Some(unit_id.to_string()),
        ..Default::default()
    };
    if let Some(item) = state::item_by_tracking(conn, ctx.account, unit_id)? {
        failure.unit_type = Some("mailItem".to_string());
        if let Some((m, _)) = state::item_manifest(conn, &item, exclude)? {
            failure.error_type = Some(ErrorType::Conflict);
            failure.error = Some(format!(
                "mail item {unit_id} is already in manifest {}",
                state::manifest_id_for(m)
            ));
            failure.conflict_item = Some(state::item_info(conn, &item)?);
            return Ok(Err(failure));
        }
        return Ok(Ok(Resolved {
            kind: KIND_ITEM,
            obj: item.id,
        }));
    }
    if let Some(bag) = state::bag_by(conn, ctx.account, "bag_id", unit_id)? {
        failure.unit_type = Some("bag".to_string());
        let other = match state::bag_manifest(conn, &bag, exclude)? {
            Some((m, _)) => Some(m),
            None => state::contents_manifest(conn, KIND_BAG, bag.id, exclude)?,
        };
        if let Some(m) = other {
            failure.error_type = Some(ErrorType::Conflict);
            failure.error = Some(format!(
                "bag {unit_id} (or an item in it) is already in manifest {}",
                state::manifest_id_for(m)
            ));
            failure.conflict_bag = Some(state::bag_info(conn, &bag)?);
            return Ok(Err(failure));
        }
        return Ok(Ok(Resolved {
            kind: KIND_BAG,
            obj: bag.id,
        }));
    }
    if let Some(day) = state::day_by(conn, ctx.account, "day_id", unit_id)? {
        failure.unit_type = Some("day".to_string());
        let other = match state::day_manifest(conn, &day, exclude)? {
            Some((m, _)) => Some(m),
            None => state::contents_manifest(conn, KIND_DAY, day.id, exclude)?,
        };
        if let Some(m) = other {
            failure.error_type = Some(ErrorType::Conflict);
            failure.error = Some(format!(
                "day {unit_id} (or a unit in it) is already in manifest {}",
                state::manifest_id_for(m)
            ));
            failure.conflict_day = Some(state::day_info(conn, &day)?);
            return Ok(Err(failure));
        }
        return Ok(Ok(Resolved {
            kind: KIND_DAY,
            obj: day.id,
        }));
    }
    failure.error_type = Some(ErrorType::NotFound);
    failure.error = Some(format!("no mail item, bag or day with id {unit_id}"));
    Ok(Err(failure))
}

/// createManifest (`modify` false) and modifyManifest: the units that resolve are stored in their parts;
/// the others are listed with why.
pub(super) fn save_manifest(
    conn: &Connection,
    ctx: &Ctx,
    m: &Manifest,
    modify: bool,
    notes: &[String],
) -> Db<Answer> {
    let mut result = ManifestResult {
        manifest_id: m.manifest_id.clone(),
        user_manifest_id: m.user_manifest_id.clone(),
        ..Default::default()
    };
    if let Err(message) = rules::check_manifest(m, modify, notes) {
        result.status = Status::error(ErrorType::Invalid, message);
        return Ok(Answer::Manifest(result));
    }
    let existing = if modify {
        let id = non_empty(&m.manifest_id).unwrap_or("");
        match state::manifest_by(conn, ctx.account, "manifest_id", id)? {
            None => {
                result.status = Status::error(
                    ErrorType::NotFound,
                    format!("no manifest with manifestId {id}"),
                );
                return Ok(Answer::Manifest(result));
            }
            Some(row) if row.sent => {
                result.status = Status::error(
                    ErrorType::Conflict,
                    format!("manifest {id} was sent on; it can no longer be modified"),
                );
                result.conflict = Some(stored_manifest_info(conn, ctx, &row)?);
                return Ok(Answer::Manifest(result));
            }
            Some(row) => Some(row),
        }
    } else {
        None
    };
    let exclude = existing.as_ref().map_or(-1, |r| r.id);
    let umid = non_empty(&m.user_manifest_id);
    if let Some(other) = umid
        .map(|u| state::manifest_by(conn, ctx.account, "user_manifest_id", u))
        .transpose()?
        .flatten()
    {
        if other.id != exclude {
            result.status = Status::error(
                ErrorType::Conflict,
                format!(
                    "userManifestId {} already exists (manifestId {})",
                    umid.unwrap_or(""),
                    other.manifest_id
                ),
            );
            result.conflict = Some(stored_manifest_info(conn, ctx, &other)?);
            return Ok(Answer::Manifest(result));
        }
    }

    // Resolve every unit; keep the good ones per part.
    let mut good: Vec<(usize, usize, &str, Resolved)> = Vec::new();
    let total_units: usize = m.parts.iter().map(|p| p.units.len()).sum();
    for (pi, part) in m.parts.iter().enumerate() {
        let mut covered: HashSet<i64> = HashSet::new();
        let mut listed: HashSet<&str> = HashSet::new();
        for (ui, unit_id) in part.units.iter().enumerate() {
            let resolved = match resolve_unit(conn, ctx, unit_id, exclude)? {
                Ok(r) => r,
                Err(f) => {
                    result.units.push(f);
                    continue;
                }
            };
            let items = state::items_of_unit(conn, resolved.kind, resolved.obj)?;
            let overlap =
                !listed.insert(unit_id.as_str()) || items.iter().any(|i| covered.contains(i));
            if overlap {
                result.units.push(UnitFailure {
                    error_type: Some(ErrorType::Invalid),
                    error: Some(format!(
                        "{} {unit_id} is already included in manifestPart {} (listed twice, or through its bag or day)",
                        unit_type(resolved.kind),
                        pi + 1
                    )),
                    unit_id: Some(unit_id.clone()),
                    unit_type: Some(unit_type(resolved.kind).to_string()),
                    ..Default::default()
                });
                continue;
            }
            covered.extend(items);
            good.push((pi, ui, unit_id.as_str(), resolved));
        }
    }
    if good.is_empty() {
        result.status = Status::error(
            ErrorType::Invalid,
            format!("none of the {total_units} units could be included"),
        );
        return Ok(Answer::Manifest(result));
    }

    let image = m
        .image
        .as_ref()
        .map(|a| (a.name.as_str(), a.data.len() as i64, rules::sniff(&a.data)));
    let file = m.file.as_ref().map(|a| {
        (
            a.name.as_str(),
            a.data.len() as i64,
            rules::check_file(a).ok(),
        )
    });
    let fields = ManifestFields {
        manifest: m,
        user_manifest_id: umid,
        image,
        file,
        alert_email: non_empty(&m.alert_email),
        now: &ctx.now,
    };
    let row = match &existing {
        Some(row) => {
            state::update_manifest(conn, row.id, &fields)?;
            row.id
        }
        None => state::insert_manifest(conn, ctx.account, &fields)?,
    };
    let units: Vec<UnitRow> = good
        .iter()
        .map(|(pi, ui, unit_id, r)| UnitRow {
            part: *pi,
            ord: *ui,
            unit_id,
            kind: r.kind,
            obj: r.obj,
        })
        .collect();
    state::put_manifest_contents(conn, row, &m.parts, &units)?;
    result.status = Status::ok();
    result.manifest_id = Some(state::manifest_id_for(row));
    result.user_manifest_id = umid.map(str::to_string);
    Ok(Answer::Manifest(result))
}

/// cancelManifest: the manifest deleted, unless it was sent on.
pub(super) fn cancel_manifest(conn: &Connection, ctx: &Ctx, r: &ManifestRef) -> Db<Answer> {
    let mut result = ManifestResult {
        manifest_id: r.manifest_id.clone(),
        user_manifest_id: r.user_manifest_id.clone(),
        ..Default::default()
    };
    let row = match state::find_manifest(conn, ctx.account, r)? {
        Ok(row) => row,
        Err((t, msg)) => {
            result.status = Status::error(t, msg);
            return Ok(Answer::Manifest(result));
        }
    };
    result.manifest_id = Some(row.manifest_id.clone());
    result.user_manifest_id.clone_from(&row.user_manifest_id);
    if row.sent {
        result.status = Status::error(
            ErrorType::Sent,
            format!(
                "manifest {} was already sent on; it cannot be cancelled",
                row.manifest_id
            ),
        );
        result.conflict = Some(stored_manifest_info(conn, ctx, &row)?);
        return Ok(Answer::Manifest(result));
    }
    state::delete_manifest(conn, row.id)?;
    result.status = Status::ok();
    Ok(Answer::Manifest(result))
}

/// getManifest: the manifest's info and, per part, every item, bag and day it covers.
pub(super) fn get_manifest(conn: &Connection, ctx: &Ctx, r: &ManifestRef) -> Db<Answer> {
    let mut result = ManifestResult {
        manifest_id: r.manifest_id.clone(),
        user_manifest_id: r.user_manifest_id.clone(),
        ..Default::default()
    };
    let row = match state::find_manifest(conn, ctx.account, r)? {
        Ok(row) => row,
        Err((t, msg)) => {
            result.status = Status::error(t, msg);
            return Ok(Answer::Manifest(result));
        }
    };
    let contents = state::manifest_contents(conn, row.id)?;
    result.status = Status::ok();
    result.manifest_id = Some(row.manifest_id.clone());
    result.user_manifest_id.clone_from(&row.user_manifest_id);
    result.info = Some(manifest_info(ctx, &row, &contents));
    for pc in contents.parts {
        let weight = state::weight_of(conn, &pc.items)?;
        let mut detail = ManifestPartDetail {
            num_items: Some(pc.items.len().to_string()),
            num_bags: Some(pc.bags.len().to_string()),
            num_days: Some(pc.days.len().to_string()),
            weight: Some(weight_text(weight)),
            weight_unit: Some("kg".to_string()),
            part: pc.part,
            ..Default::default()
        };
        for id in &pc.items {
            if let Some(xml) = state::item_xml(conn, *id)? {
                match parse::parse_mail_item(&xml) {
                    Ok(item) => detail.items.push(item),
                    Err(e) => tracing::warn!("stored mail item {id} does not read back: {e}"),
                }
            }
        }
        for id in &pc.bags {
            if let Some(b) = state::bag_by_row(conn, *id)? {
                detail.bags.push(state::bag_info(conn, &b)?);
            }
        }
        for id in &pc.days {
            if let Some(d) = state::day_by_row(conn, *id)? {
                detail.days.push(state::day_info(conn, &d)?);
            }
        }
        result.parts.push(detail);
    }
    Ok(Answer::Manifest(result))
}
