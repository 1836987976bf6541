//! createMailing and cancelMailing: mail items stored with ACP's checks, tracking numbers and labels.

use base64::Engine as _;

use super::{make_label, non_empty, Ctx};
use crate::labels::{self, LabelContent, LabelKind};
use crate::rules;
use rusqlite::Connection;

use crate::state::{self, Db, ItemRow, NewItem};
use mawb_wire::wire::{
    self, Answer, ErrorType, ItemRef, Label, LabelSize, MailItem, MailItemResult, Status,
};

/// createMailing: each item checked and stored on its own; with `label≠0` a tracking number and label.
pub(super) fn create_mailing(conn: &Connection, ctx: &Ctx, items: &[MailItem]) -> Db<Answer> {
    let label = ctx.params.label.unwrap_or(0);
    let n = items.len();
    let mut out = Vec::with_capacity(n);
    let mut xml = String::with_capacity(1024);
    for item in items {
        let sid = non_empty(&item.shipper_item_id);
        let mut result = MailItemResult {
            tracking_number: item.tracking_number.as_deref().map(str::to_string),
            shipper_item_id: item.shipper_item_id.as_deref().map(str::to_string),
            ..Default::default()
        };
        let facts = match rules::check_mail_item(item, label, n) {
            Ok(f) => f,
            Err(message) => {
                result.status = Status::error(ErrorType::Invalid, message);
                out.push(result);
                continue;
            }
        };
        let generated;
        let stored: &MailItem = if label == 0 {
            item
        } else {
            if let Some(existing) = sid
                .map(|s| state::item_by_shipper_id(conn, ctx.account, s))
                .transpose()?
                .flatten()
            {
                result.status = Status::error(
                    ErrorType::Conflict,
                    format!(
                        "shipperItemId {} already exists (trackingNumber {})",
                        sid.unwrap_or(""),
                        existing.tracking_number
                    ),
                );
                result.conflict = Some(state::item_info(conn, &existing)?);
                out.push(result);
                continue;
            }
            let mut copy = item.clone();
            copy.tracking_number = Some(new_tracking_number(conn, ctx.account, label)?.into());
            generated = copy;
            &generated
        };
        let tn = stored.tracking_number.as_deref().unwrap_or("");
        xml.clear();
        crate::answer::write_mail_item(&mut xml, stored);
        let inserted = state::insert_item(
            conn,
            &NewItem {
                account: ctx.account,
                tracking_number: tn,
                shipper_item_id: sid,
                display_item_id: non_empty(&item.display_item_id),
                value: &item.value,
                currency: &item.currency,
                weight: &item.weight,
                created: &ctx.now,
                label,
                xml: &xml,
            },
        )?;
        if !inserted {
            let existing = match state::item_by_tracking(conn, ctx.account, tn)? {
                Some(e) => {
                    result.status = Status::error(
                        ErrorType::Conflict,
                        format!("trackingNumber {tn} already exists"),
                    );
                    Some(e)
                }
                None => {
                    let e = sid
                        .map(|s| state::item_by_shipper_id(conn, ctx.account, s))
                        .transpose()?
                        .flatten();
                    result.status = Status::error(
                        ErrorType::Conflict,
                        format!(
                            "shipperItemId {} already exists (trackingNumber {})",
                            sid.unwrap_or(""),
                            e.as_ref().map_or("?", |e| e.tracking_number.as_str())
                        ),
                    );
                    e
                }
            };
            result.conflict = existing.map(|e| state::item_info(conn, &e)).transpose()?;
            out.push(result);
            continue;
        }
        result.status = Status::ok();
        result.destination_bag = Some(rules::destination_bag(&item.consignee).to_string());
        result.is_dutiable = Some(rules::is_dutiable(facts.value_usd).to_string());
        if label != 0 {
            result.tracking_number = Some(tn.to_string());
            result.label = Some(parcel_label(
                ctx,
                label,
                stored,
                result.destination_bag.as_deref().unwrap_or(""),
            ));
        }
        out.push(result);
    }
    Ok(Answer::Mailing(out))
}

/// A fresh UPS-style `1Z` number: shipper `ACPSBX`, the label code as service, a 7-digit counter and
/// the check digit; skips numbers the account already holds.
fn new_tracking_number(conn: &Connection, account: i64, label: u8) -> Db<String> {
    loop {
        let n = state::next_counter(conn, "tracking")?;
        let body = format!("ACPSBX{:02}{:07}", label % 100, n % 10_000_000);
        let check = mawb_model::checkdigit::ups_check_digit(body.as_bytes()).unwrap_or(0);
        let tn = format!("1Z{body}{check}");
        if state::item_by_tracking(conn, account, &tn)?.is_none() {
            return Ok(tn);
        }
    }
}

fn parcel_label(ctx: &Ctx, label: u8, item: &MailItem, sort: &str) -> Label {
    let c = &item.consignee;
    let mut lines: Vec<String> = Vec::with_capacity(10);
    for v in [&c.name, &c.company_name, &c.address_line1, &c.address_line2]
        .into_iter()
        .flatten()
    {
        if !v.is_empty() {
            lines.push(v.to_string());
        }
    }
    lines.push(
        [c.city.as_deref(), c.state.as_deref(), c.zip.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    );
    lines.push(c.country.as_deref().unwrap_or_default().to_string());
    lines.push(format!("Weight: {} kg", item.weight));
    if let Some(s) = non_empty(&item.shipper_item_id) {
        lines.push(format!("Ref: {s}"));
    }
    if let Some(d) = non_empty(&item.display_item_id) {
        lines.push(d.to_string());
    }
    lines.push(format!("Sort: {sort}"));
    let name = wire::label_type(label).map_or("ACP cargo", |t| t.name);
    let id = item.tracking_number.as_deref().unwrap_or("");
    let size = if (1..=4).contains(&label) {
        ctx.params.label_size.unwrap_or_default()
    } else {
        LabelSize::default()
    };
    let two = wire::label_type(label).is_some_and(|t| t.two_labels);
    let format = ctx.format();
    if two {
        let (t1, t2) = (format!("{name} 1/2"), format!("{name} 2/2"));
        let first = LabelContent {
            kind: LabelKind::Parcel,
            id,
            title: &t1,
            lines: &lines,
        };
        let second = LabelContent {
            kind: LabelKind::Parcel,
            id,
            title: &t2,
            lines: &lines,
        };
        let bytes = labels::render_pair(format, size, &first, &second);
        Label {
            format: Some(format.as_str().to_string()),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    } else {
        make_label(
            format,
            size,
            &LabelContent {
                kind: LabelKind::Parcel,
                id,
                title: name,
                lines: &lines,
            },
        )
    }
}

/// The answer for a mail item a request names that cannot be used, with the item it conflicts with.
pub(super) fn item_failure(
    conn: &Connection,
    r: &ItemRef,
    t: ErrorType,
    msg: String,
    conflict: Option<&ItemRow>,
) -> Db<MailItemResult> {
    Ok(MailItemResult {
        status: Status::error(t, msg),
        tracking_number: r.tracking_number.clone(),
        shipper_item_id: r.shipper_item_id.clone(),
        conflict: conflict.map(|c| state::item_info(conn, c)).transpose()?,
        ..Default::default()
    })
}

/// Why an item cannot be taken by a new bag, day or cancel: in a bag, a day or a manifest.
pub(super) fn item_busy(conn: &Connection, item: &ItemRow) -> Db<Option<String>> {
    let tn = &item.tracking_number;
    if let Some(b) = &item.bag_id {
        return Ok(Some(format!("mail item {tn} is in bag {b}")));
    }
    if let Some(d) = item.day {
        let day = state::day_by_row(conn, d)?.map_or_else(String::new, |d| d.day_id);
        return Ok(Some(format!("mail item {tn} is in day {day}")));
    }
    if let Some((m, _)) = state::item_manifest(conn, item, -1)? {
        return Ok(Some(format!(
            "mail item {tn} is in manifest {}",
            state::manifest_id_for(m)
        )));
    }
    Ok(None)
}

/// cancelMailing: each named item deleted unless it is in a bag, a day or a manifest.
pub(super) fn cancel_mailing(conn: &Connection, ctx: &Ctx, refs: &[ItemRef]) -> Db<Answer> {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let item = match state::find_item(conn, ctx.account, r)? {
            Ok(i) => i,
            Err((t, msg)) => {
                out.push(item_failure(conn, r, t, msg, None)?);
                continue;
            }
        };
        if let Some(why) = item_busy(conn, &item)? {
            out.push(item_failure(
                conn,
                r,
                ErrorType::Conflict,
                format!("{why}; it cannot be cancelled"),
                Some(&item),
            )?);
            continue;
        }
        state::delete_item(conn, item.id)?;
        out.push(MailItemResult {
            status: Status::ok(),
            tracking_number: Some(item.tracking_number),
            shipper_item_id: item.shipper_item_id,
            ..Default::default()
        });
    }
    Ok(Answer::Mailing(out))
}
