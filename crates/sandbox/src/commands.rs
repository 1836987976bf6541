//! The 13 ACP commands, executed against the sandbox state with ACP's semantics.
//!
//! Each command runs in one SQLite transaction and turns into one wire answer. Object-level outcomes
//! (`invalid`, `conflict`, `notFound`, `empty`, `sent`) are answers, never errors; a database failure
//! rolls the transaction back and answers `system` in the command's own shape, like ACP's own failures.
//!
//! Choices where the spec is silent (documented here because clients depend on them):
//! - Batches are per item: one bad item in a createMailing batch does not fail the others.
//! - createBag / createDay / createManifest keep the good units and list the failing ones; when no unit is
//!   good the object is not created and the result is `invalid`.
//! - A conflict carries the existing object (`conflictMailItem`, `conflictBag`, ...), so a retried create
//!   can be recognised as already done.
//! - reopenDay reopens the most recent day (closeDay or createDay) and removes it: its bags and loose items
//!   are new again and a second reopenDay reopens the day before.
//! - A manifest unit may appear in several parts (the same cargo on each leg); manifest totals count it
//!   once. Within one part, a unit covered twice (listed twice, or an item listed with its bag) fails.
//! - getManifest lists, per part, every item and bag the part covers (inside bags and days included).

use std::collections::HashSet;

use base64::Engine as _;
use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;

use super::labels::{self, LabelContent, LabelKind};
use super::parse::{self, Parsed};
use super::rules;
use super::state::{self, BagRow, DayRow, ItemRow, Store, KIND_BAG, KIND_DAY, KIND_ITEM};
use mawb_wire::wire::{
    self, Answer, Bag, BagRef, BagResult, Day, DayRef, DayResult, ErrorType, InfoResult, ItemRef,
    Label, LabelFormat, LabelSize, MailItem, MailItemResult, Manifest, ManifestInfo, ManifestPart,
    ManifestPartDetail, ManifestRef, ManifestResult, Request, Status, UnitFailure,
};

/// Who is calling and with which parameters.
pub struct Ctx<'a> {
    pub account: i64,
    pub params: &'a wire::Params,
    /// The answer timestamp, `yyyy-mm-ddThh:mm:ssZ`.
    pub now: String,
}

impl Ctx<'_> {
    fn format(&self) -> LabelFormat {
        self.params.label_format.unwrap_or_default()
    }

    fn airport(&self) -> String {
        self.params
            .airport
            .clone()
            .unwrap_or_else(|| "JFK".to_string())
    }

    fn warehouse_id(&self) -> String {
        (4000 + self.account).to_string()
    }
}

type Db<T> = rusqlite::Result<T>;

/// Runs one parsed request in its own transaction.
pub fn execute(store: &mut Store, ctx: &Ctx, parsed: &Parsed) -> Answer {
    let request = &parsed.request;
    let result = (|| -> Db<Answer> {
        let tx = store.conn.transaction()?;
        let answer = match request {
            Request::CreateMailing(items) => create_mailing(&tx, ctx, items)?,
            Request::CancelMailing(refs) => cancel_mailing(&tx, ctx, refs)?,
            Request::CreateBag(bag) => create_bag(&tx, ctx, bag)?,
            Request::CancelBag(r) => cancel_bag(&tx, ctx, r)?,
            Request::CloseDay => close_day(&tx, ctx)?,
            Request::ReopenDay => reopen_day(&tx, ctx)?,
            Request::CreateDay(day) => create_day(&tx, ctx, day)?,
            Request::CancelDay(r) => cancel_day(&tx, ctx, r)?,
            Request::GetInfo => get_info(&tx, ctx)?,
            Request::CreateManifest(m) => save_manifest(&tx, ctx, m, false, &parsed.notes)?,
            Request::ModifyManifest(m) => save_manifest(&tx, ctx, m, true, &parsed.notes)?,
            Request::CancelManifest(r) => cancel_manifest(&tx, ctx, r)?,
            Request::GetManifest(r) => get_manifest(&tx, ctx, r)?,
        };
        tx.commit()?;
        Ok(answer)
    })();
    result.unwrap_or_else(|e| system_answer(request, &format!("sandbox database error: {e}")))
}

/// A `system` error in the shape of the request's answer, echoing the ids it names.
pub fn system_answer(request: &Request, message: &str) -> Answer {
    error_answer(request, ErrorType::System, message)
}

/// An error of `error_type` in the shape of the request's answer, echoing the ids it names.
pub fn error_answer(request: &Request, error_type: ErrorType, message: &str) -> Answer {
    let status = Status::error(error_type, message);
    match request {
        Request::CreateMailing(items) => Answer::Mailing(
            items
                .iter()
                .map(|i| MailItemResult {
                    status: status.clone(),
                    tracking_number: i.tracking_number.clone(),
                    shipper_item_id: i.shipper_item_id.clone(),
                    ..Default::default()
                })
                .collect(),
        ),
        Request::CancelMailing(refs) => Answer::Mailing(
            refs.iter()
                .map(|r| MailItemResult {
                    status: status.clone(),
                    tracking_number: r.tracking_number.clone(),
                    shipper_item_id: r.shipper_item_id.clone(),
                    ..Default::default()
                })
                .collect(),
        ),
        Request::CreateBag(b) => Answer::Bag(BagResult {
            status,
            shipper_bag_id: b.shipper_bag_id.clone(),
            ..Default::default()
        }),
        Request::CancelBag(r) => Answer::Bag(BagResult {
            status,
            bag_id: r.bag_id.clone(),
            shipper_bag_id: r.shipper_bag_id.clone(),
            ..Default::default()
        }),
        Request::CloseDay | Request::ReopenDay => Answer::Day(DayResult {
            status,
            ..Default::default()
        }),
        Request::CreateDay(d) => Answer::Day(DayResult {
            status,
            shipper_day_id: d.shipper_day_id.clone(),
            ..Default::default()
        }),
        Request::CancelDay(r) => Answer::Day(DayResult {
            status,
            day_id: r.day_id.clone(),
            shipper_day_id: r.shipper_day_id.clone(),
            ..Default::default()
        }),
        Request::GetInfo => Answer::Info(InfoResult {
            status,
            ..Default::default()
        }),
        Request::CreateManifest(m) | Request::ModifyManifest(m) => {
            Answer::Manifest(ManifestResult {
                status,
                manifest_id: m.manifest_id.clone(),
                user_manifest_id: m.user_manifest_id.clone(),
                ..Default::default()
            })
        }
        Request::CancelManifest(r) | Request::GetManifest(r) => Answer::Manifest(ManifestResult {
            status,
            manifest_id: r.manifest_id.clone(),
            user_manifest_id: r.user_manifest_id.clone(),
            ..Default::default()
        }),
    }
}

/// A one-word summary of an answer for the request log: `ok`, an error type, `error` for the common
/// error, or `ok=3 invalid=1` for a mixed batch.
pub fn outcome(answer: &Answer) -> String {
    fn word(s: &Status) -> &str {
        if s.ok {
            "ok"
        } else {
            s.error_type.as_ref().map_or("error", ErrorType::as_str)
        }
    }
    let status = match answer {
        Answer::CommonError(_) => return "error".to_string(),
        Answer::Mailing(items) => {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for i in items {
                let w = word(&i.status);
                match counts.iter_mut().find(|(k, _)| *k == w) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((w, 1)),
                }
            }
            return match counts.as_slice() {
                [(w, _)] => w.to_string(),
                many => many
                    .iter()
                    .map(|(w, n)| format!("{w}={n}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            };
        }
        Answer::Bag(b) => &b.status,
        Answer::Day(d) => &d.status,
        Answer::Info(i) => &i.status,
        Answer::Manifest(m) => &m.status,
    };
    word(status).to_string()
}

fn non_empty(o: &Option<String>) -> Option<&str> {
    o.as_deref().filter(|s| !s.is_empty())
}

fn too_long(field: &str, o: &Option<String>, max: usize) -> Option<String> {
    let n = o.as_deref()?.chars().count();
    (n > max).then(|| format!("{field} is {n} characters long; at most {max} allowed"))
}

fn make_label(format: LabelFormat, size: LabelSize, content: &LabelContent) -> Label {
    let bytes = labels::render(format, size, content);
    Label {
        format: Some(format.as_str().to_string()),
        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    }
}

// --------------------------------------------------------------------------------------------------------
// Mail items
// --------------------------------------------------------------------------------------------------------

const INSERT_ITEM: &str = "INSERT INTO item (account, tracking_number, shipper_item_id, display_item_id, value,
    currency, weight, created, label, xml) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING";

fn create_mailing(conn: &Connection, ctx: &Ctx, items: &[MailItem]) -> Db<Answer> {
    let label = ctx.params.label.unwrap_or(0);
    let n = items.len();
    let mut out = Vec::with_capacity(n);
    let mut xml = String::with_capacity(1024);
    let mut insert = conn.prepare_cached(INSERT_ITEM)?;
    for item in items {
        let sid = non_empty(&item.shipper_item_id);
        let mut result = MailItemResult {
            tracking_number: item.tracking_number.clone(),
            shipper_item_id: item.shipper_item_id.clone(),
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
            copy.tracking_number = Some(new_tracking_number(conn, ctx.account, label)?);
            generated = copy;
            &generated
        };
        let tn = stored.tracking_number.as_deref().unwrap_or("");
        xml.clear();
        super::answer::write_mail_item(&mut xml, stored);
        let inserted = insert.execute(params![
            ctx.account,
            tn,
            sid,
            non_empty(&item.display_item_id),
            item.value,
            item.currency,
            item.weight,
            ctx.now,
            label,
            xml
        ])?;
        if inserted == 0 {
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
            lines.push(v.clone());
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
    lines.push(c.country.clone().unwrap_or_default());
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

/// Finds an item named by either id; both must name the same item when both are given.
fn resolve_item(
    conn: &Connection,
    account: i64,
    r: &ItemRef,
) -> Db<Result<ItemRow, (ErrorType, String)>> {
    let tn = non_empty(&r.tracking_number);
    let sid = non_empty(&r.shipper_item_id);
    let by_tn = tn
        .map(|t| state::item_by_tracking(conn, account, t))
        .transpose()?;
    let by_sid = sid
        .map(|s| state::item_by_shipper_id(conn, account, s))
        .transpose()?;
    Ok(match (tn, sid, by_tn, by_sid) {
        (None, None, _, _) => Err((
            ErrorType::Invalid,
            "mailItem needs a trackingNumber or a shipperItemId".to_string(),
        )),
        (Some(t), _, Some(None), _) => Err((
            ErrorType::NotFound,
            format!("no mail item with trackingNumber {t}"),
        )),
        (_, Some(s), _, Some(None)) => Err((
            ErrorType::NotFound,
            format!("no mail item with shipperItemId {s}"),
        )),
        (Some(t), Some(s), Some(Some(a)), Some(Some(b))) if a.id != b.id => Err((
            ErrorType::NotFound,
            format!("trackingNumber {t} and shipperItemId {s} name different mail items"),
        )),
        (_, _, Some(Some(a)), _) => Ok(a),
        (_, _, _, Some(Some(b))) => Ok(b),
        _ => Err((
            ErrorType::Invalid,
            "mailItem needs a trackingNumber or a shipperItemId".to_string(),
        )),
    })
}

fn item_failure(
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
fn item_busy(conn: &Connection, item: &ItemRow) -> Db<Option<String>> {
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

fn cancel_mailing(conn: &Connection, ctx: &Ctx, refs: &[ItemRef]) -> Db<Answer> {
    let mut out = Vec::with_capacity(refs.len());
    for r in refs {
        let item = match resolve_item(conn, ctx.account, r)? {
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
        conn.prepare_cached("DELETE FROM item WHERE id = ?1")?
            .execute([item.id])?;
        out.push(MailItemResult {
            status: Status::ok(),
            tracking_number: Some(item.tracking_number),
            shipper_item_id: item.shipper_item_id,
            ..Default::default()
        });
    }
    Ok(Answer::Mailing(out))
}

// --------------------------------------------------------------------------------------------------------
// Bags
// --------------------------------------------------------------------------------------------------------

fn bag_label(conn: &Connection, ctx: &Ctx, bag: &BagRow) -> Db<Label> {
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

fn create_bag(conn: &Connection, ctx: &Ctx, bag: &Bag) -> Db<Answer> {
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
        match resolve_item(conn, ctx.account, r)? {
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
    conn.prepare_cached(
        "INSERT INTO bag (account, shipper_bag_id, comment, airport, created) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![ctx.account, sbid, non_empty(&bag.comment), ctx.airport(), ctx.now])?;
    let row = conn.last_insert_rowid();
    let bag_id = state::bag_id_for(row);
    conn.prepare_cached("UPDATE bag SET bag_id = ?1 WHERE id = ?2")?
        .execute(params![bag_id, row])?;
    let mut put = conn.prepare_cached("UPDATE item SET bag = ?1 WHERE id = ?2")?;
    for id in good {
        put.execute([row, id])?;
    }
    result.status = Status::ok();
    result.bag_id = Some(bag_id);
    if ctx.params.label == Some(1) {
        if let Some(b) = state::bag_by_row(conn, row)? {
            result.label = Some(bag_label(conn, ctx, &b)?);
        }
    }
    Ok(Answer::Bag(result))
}

/// Finds a bag named by either id; both must name the same bag when both are given.
fn resolve_bag(
    conn: &Connection,
    account: i64,
    r: &BagRef,
) -> Db<Result<BagRow, (ErrorType, String)>> {
    let id = non_empty(&r.bag_id);
    let sid = non_empty(&r.shipper_bag_id);
    let by_id = id
        .map(|v| state::bag_by(conn, account, "bag_id", v))
        .transpose()?;
    let by_sid = sid
        .map(|v| state::bag_by(conn, account, "shipper_bag_id", v))
        .transpose()?;
    Ok(match (id, sid, by_id, by_sid) {
        (None, None, _, _) => Err((
            ErrorType::Invalid,
            "bag needs a bagId or a shipperBagId".to_string(),
        )),
        (Some(v), _, Some(None), _) => Err((ErrorType::NotFound, format!("no bag with bagId {v}"))),
        (_, Some(v), _, Some(None)) => {
            Err((ErrorType::NotFound, format!("no bag with shipperBagId {v}")))
        }
        (Some(a), Some(b), Some(Some(x)), Some(Some(y))) if x.id != y.id => Err((
            ErrorType::NotFound,
            format!("bagId {a} and shipperBagId {b} name different bags"),
        )),
        (_, _, Some(Some(x)), _) => Ok(x),
        (_, _, _, Some(Some(y))) => Ok(y),
        _ => Err((
            ErrorType::Invalid,
            "bag needs a bagId or a shipperBagId".to_string(),
        )),
    })
}

fn cancel_bag(conn: &Connection, ctx: &Ctx, r: &BagRef) -> Db<Answer> {
    let mut result = BagResult {
        bag_id: r.bag_id.clone(),
        shipper_bag_id: r.shipper_bag_id.clone(),
        ..Default::default()
    };
    let bag = match resolve_bag(conn, ctx.account, r)? {
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
    conn.prepare_cached("UPDATE item SET bag = NULL WHERE bag = ?1")?
        .execute([bag.id])?;
    conn.prepare_cached("DELETE FROM bag WHERE id = ?1")?
        .execute([bag.id])?;
    result.status = Status::ok();
    result.bag_id = Some(bag.bag_id);
    result.shipper_bag_id = bag.shipper_bag_id;
    Ok(Answer::Bag(result))
}

// --------------------------------------------------------------------------------------------------------
// Days
// --------------------------------------------------------------------------------------------------------

fn insert_day(conn: &Connection, ctx: &Ctx, shipper_day_id: Option<&str>) -> Db<(i64, String)> {
    conn.prepare_cached(
        "INSERT INTO day (account, shipper_day_id, airport, created) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![ctx.account, shipper_day_id, ctx.airport(), ctx.now])?;
    let row = conn.last_insert_rowid();
    let day_id = state::day_id_for(row);
    conn.prepare_cached("UPDATE day SET day_id = ?1 WHERE id = ?2")?
        .execute(params![day_id, row])?;
    Ok((row, day_id))
}

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

fn close_day(conn: &Connection, ctx: &Ctx) -> Db<Answer> {
    let mut result = DayResult::default();
    let new_bags: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM bag WHERE account = ?1 AND day IS NULL")?
        .query_row([ctx.account], |r| r.get(0))?;
    let new_items: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM item WHERE account = ?1 AND bag IS NULL AND day IS NULL",
        )?
        .query_row([ctx.account], |r| r.get(0))?;
    if new_bags == 0 && new_items == 0 {
        result.status = Status::error(ErrorType::Empty, "nothing new since the last closeDay");
        return Ok(Answer::Day(result));
    }
    let (row, day_id) = insert_day(conn, ctx, None)?;
    conn.prepare_cached("UPDATE bag SET day = ?1 WHERE account = ?2 AND day IS NULL")?
        .execute([row, ctx.account])?;
    conn.prepare_cached(
        "UPDATE item SET day = ?1 WHERE account = ?2 AND bag IS NULL AND day IS NULL",
    )?
    .execute([row, ctx.account])?;
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

fn free_day(conn: &Connection, day: &DayRow) -> Db<()> {
    conn.prepare_cached("UPDATE bag SET day = NULL WHERE day = ?1")?
        .execute([day.id])?;
    conn.prepare_cached("UPDATE item SET day = NULL WHERE day = ?1")?
        .execute([day.id])?;
    conn.prepare_cached("DELETE FROM day WHERE id = ?1")?
        .execute([day.id])?;
    Ok(())
}

fn reopen_day(conn: &Connection, ctx: &Ctx) -> Db<Answer> {
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
    free_day(conn, &day)?;
    result.status = Status::ok();
    Ok(Answer::Day(result))
}

fn create_day(conn: &Connection, ctx: &Ctx, day: &Day) -> Db<Answer> {
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
        match resolve_bag(conn, ctx.account, r)? {
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
        match resolve_item(conn, ctx.account, r)? {
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
    let (row, day_id) = insert_day(conn, ctx, sdid)?;
    let mut put_bag = conn.prepare_cached("UPDATE bag SET day = ?1 WHERE id = ?2")?;
    for id in good_bags {
        put_bag.execute([row, id])?;
    }
    let mut put_item = conn.prepare_cached("UPDATE item SET day = ?1 WHERE id = ?2")?;
    for id in good_items {
        put_item.execute([row, id])?;
    }
    result.status = Status::ok();
    day_extras(conn, ctx, row, &day_id, &mut result, false)?;
    result.day_id = Some(day_id);
    Ok(Answer::Day(result))
}

fn cancel_day(conn: &Connection, ctx: &Ctx, r: &DayRef) -> Db<Answer> {
    let mut result = DayResult {
        day_id: r.day_id.clone(),
        shipper_day_id: r.shipper_day_id.clone(),
        ..Default::default()
    };
    let id = non_empty(&r.day_id);
    let sid = non_empty(&r.shipper_day_id);
    let by_id = id
        .map(|v| state::day_by(conn, ctx.account, "day_id", v))
        .transpose()?;
    let by_sid = sid
        .map(|v| state::day_by(conn, ctx.account, "shipper_day_id", v))
        .transpose()?;
    let found = match (id, sid, by_id, by_sid) {
        (None, None, _, _) => Err((
            ErrorType::Invalid,
            "day needs a dayId or a shipperDayId".to_string(),
        )),
        (Some(v), _, Some(None), _) => Err((ErrorType::NotFound, format!("no day with dayId {v}"))),
        (_, Some(v), _, Some(None)) => {
            Err((ErrorType::NotFound, format!("no day with shipperDayId {v}")))
        }
        (Some(a), Some(b), Some(Some(x)), Some(Some(y))) if x.id != y.id => Err((
            ErrorType::NotFound,
            format!("dayId {a} and shipperDayId {b} name different days"),
        )),
        (_, _, Some(Some(x)), _) => Ok(x),
        (_, _, _, Some(Some(y))) => Ok(y),
        _ => Err((
            ErrorType::Invalid,
            "day needs a dayId or a shipperDayId".to_string(),
        )),
    };
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
    free_day(conn, &day)?;
    result.status = Status::ok();
    Ok(Answer::Day(result))
}

fn get_info(conn: &Connection, ctx: &Ctx) -> Db<Answer> {
    let mut result = InfoResult {
        status: Status::ok(),
        ..Default::default()
    };
    for item in state::items_where(
        conn,
        ctx.account,
        "i.day IS NULL AND (i.bag IS NULL OR b.day IS NULL)",
    )? {
        let info = state::item_info(conn, &item)?;
        if info.status.as_deref() != Some("Picked Up") {
            result.items.push(info);
        }
    }
    for bag in state::bags_where(conn, ctx.account, "day IS NULL AND ?2 = ?2", 0)? {
        let info = state::bag_info(conn, &bag)?;
        if info.status.as_deref() != Some("Picked Up") {
            result.bags.push(info);
        }
    }
    Ok(Answer::Info(result))
}

// --------------------------------------------------------------------------------------------------------
// Manifests
// --------------------------------------------------------------------------------------------------------

/// A stored manifest's row.
struct ManifestRow {
    id: i64,
    manifest_id: String,
    user_manifest_id: Option<String>,
    manifest_number: String,
    created: String,
    sent: bool,
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

fn manifest_by(
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

fn manifest_by_row(conn: &Connection, id: i64) -> Db<Option<ManifestRow>> {
    let sql = format!("{MANIFEST_COLUMNS} WHERE id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], manifest_row)
        .optional()
}

/// A stored part with the units it lists and what they cover.
struct PartContents {
    part: ManifestPart,
    items: Vec<i64>,
    bags: Vec<i64>,
    days: Vec<i64>,
}

/// Every part of a stored manifest, and the union of what they cover (each object once).
struct Contents {
    parts: Vec<PartContents>,
    items: Vec<i64>,
    bags: Vec<i64>,
    days: Vec<i64>,
    weight: Decimal,
}

fn push_unique(into: &mut Vec<i64>, seen: &mut HashSet<i64>, ids: &[i64]) {
    for id in ids {
        if seen.insert(*id) {
            into.push(*id);
        }
    }
}

fn manifest_contents(conn: &Connection, manifest: i64) -> Db<Contents> {
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
            push_unique(
                &mut pc.items,
                &mut pi,
                &state::items_of_unit(conn, kind, obj)?,
            );
            push_unique(
                &mut pc.bags,
                &mut pb,
                &state::bags_of_unit(conn, kind, obj)?,
            );
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
    all.weight = state::weight_of(conn, &all.items)?;
    Ok(all)
}

fn weight_text(w: Decimal) -> String {
    format!("{:.3}", w.round_dp(3))
}

fn manifest_info(ctx: &Ctx, m: &ManifestRow, contents: &Contents) -> ManifestInfo {
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
    let contents = manifest_contents(conn, m.id)?;
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

fn save_manifest(
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
        match manifest_by(conn, ctx.account, "manifest_id", id)? {
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
        .map(|u| manifest_by(conn, ctx.account, "user_manifest_id", u))
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
    let row = match &existing {
        Some(row) => {
            conn.prepare_cached(
                "UPDATE manifest SET user_manifest_id = ?2, manifest_number = ?3, shipping_units = ?4,
                 user_defined_weight = ?5, user_defined_weight_uom = ?6, image_name = ?7, image_bytes = ?8,
                 image_type = ?9, file_name = ?10, file_bytes = ?11, file_type = ?12, alert_email = ?13,
                 modified = ?14 WHERE id = ?1",
            )?
            .execute(params![
                row.id,
                umid,
                m.manifest_number,
                m.shipping_units,
                m.user_defined_weight,
                m.user_defined_weight_uom,
                image.map(|i| i.0),
                image.map(|i| i.1),
                image.and_then(|i| i.2),
                file.map(|f| f.0),
                file.map(|f| f.1),
                file.and_then(|f| f.2),
                non_empty(&m.alert_email),
                ctx.now,
            ])?;
            conn.prepare_cached("DELETE FROM manifest_part WHERE manifest = ?1")?
                .execute([row.id])?;
            conn.prepare_cached("DELETE FROM manifest_unit WHERE manifest = ?1")?
                .execute([row.id])?;
            row.id
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO manifest (account, user_manifest_id, manifest_number, shipping_units,
                 user_defined_weight, user_defined_weight_uom, image_name, image_bytes, image_type, file_name,
                 file_bytes, file_type, alert_email, created)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                ctx.account,
                umid,
                m.manifest_number,
                m.shipping_units,
                m.user_defined_weight,
                m.user_defined_weight_uom,
                image.map(|i| i.0),
                image.map(|i| i.1),
                image.and_then(|i| i.2),
                file.map(|f| f.0),
                file.map(|f| f.1),
                file.and_then(|f| f.2),
                non_empty(&m.alert_email),
                ctx.now,
            ])?;
            let row = conn.last_insert_rowid();
            conn.prepare_cached("UPDATE manifest SET manifest_id = ?1 WHERE id = ?2")?
                .execute(params![state::manifest_id_for(row), row])?;
            row
        }
    };
    let mut put_part = conn.prepare_cached(
        "INSERT INTO manifest_part (manifest, idx, departure_facility, departure_date, arrival_facility,
         arrival_date, carrier, trip_number) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (pi, p) in m.parts.iter().enumerate() {
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
    for (pi, ui, unit_id, r) in &good {
        put_unit.execute(params![row, *pi as i64, *ui as i64, unit_id, r.kind, r.obj])?;
    }
    result.status = Status::ok();
    result.manifest_id = Some(state::manifest_id_for(row));
    result.user_manifest_id = umid.map(str::to_string);
    Ok(Answer::Manifest(result))
}

/// Finds a manifest named by either id; both must name the same one when both are given.
fn resolve_manifest(
    conn: &Connection,
    account: i64,
    r: &ManifestRef,
) -> Db<Result<ManifestRow, (ErrorType, String)>> {
    let id = non_empty(&r.manifest_id);
    let uid = non_empty(&r.user_manifest_id);
    let by_id = id
        .map(|v| manifest_by(conn, account, "manifest_id", v))
        .transpose()?;
    let by_uid = uid
        .map(|v| manifest_by(conn, account, "user_manifest_id", v))
        .transpose()?;
    Ok(match (id, uid, by_id, by_uid) {
        (None, None, _, _) => Err((
            ErrorType::Invalid,
            "manifest needs a manifestId or a userManifestId".to_string(),
        )),
        (Some(v), _, Some(None), _) => Err((
            ErrorType::NotFound,
            format!("no manifest with manifestId {v}"),
        )),
        (_, Some(v), _, Some(None)) => Err((
            ErrorType::NotFound,
            format!("no manifest with userManifestId {v}"),
        )),
        (Some(a), Some(b), Some(Some(x)), Some(Some(y))) if x.id != y.id => Err((
            ErrorType::NotFound,
            format!("manifestId {a} and userManifestId {b} name different manifests"),
        )),
        (_, _, Some(Some(x)), _) => Ok(x),
        (_, _, _, Some(Some(y))) => Ok(y),
        _ => Err((
            ErrorType::Invalid,
            "manifest needs a manifestId or a userManifestId".to_string(),
        )),
    })
}

fn cancel_manifest(conn: &Connection, ctx: &Ctx, r: &ManifestRef) -> Db<Answer> {
    let mut result = ManifestResult {
        manifest_id: r.manifest_id.clone(),
        user_manifest_id: r.user_manifest_id.clone(),
        ..Default::default()
    };
    let row = match resolve_manifest(conn, ctx.account, r)? {
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
    conn.prepare_cached("DELETE FROM manifest_unit WHERE manifest = ?1")?
        .execute([row.id])?;
    conn.prepare_cached("DELETE FROM manifest_part WHERE manifest = ?1")?
        .execute([row.id])?;
    conn.prepare_cached("DELETE FROM manifest WHERE id = ?1")?
        .execute([row.id])?;
    result.status = Status::ok();
    Ok(Answer::Manifest(result))
}

fn get_manifest(conn: &Connection, ctx: &Ctx, r: &ManifestRef) -> Db<Answer> {
    let mut result = ManifestResult {
        manifest_id: r.manifest_id.clone(),
        user_manifest_id: r.user_manifest_id.clone(),
        ..Default::default()
    };
    let row = match resolve_manifest(conn, ctx.account, r)? {
        Ok(row) => row,
        Err((t, msg)) => {
            result.status = Status::error(t, msg);
            return Ok(Answer::Manifest(result));
        }
    };
    let contents = manifest_contents(conn, row.id)?;
    result.status = Status::ok();
    result.manifest_id = Some(row.manifest_id.clone());
    result.user_manifest_id.clone_from(&row.user_manifest_id);
    result.info = Some(manifest_info(ctx, &row, &contents));
    let mut xml_of = conn.prepare_cached("SELECT xml FROM item WHERE id = ?1")?;
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
            if let Some(xml) = xml_of
                .query_row([id], |r| r.get::<_, String>(0))
                .optional()?
            {
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

// --------------------------------------------------------------------------------------------------------
// Admin view
// --------------------------------------------------------------------------------------------------------

/// Every account's objects as JSON, for `GET /_admin/objects`.
pub fn objects_json(store: &Store) -> Db<serde_json::Value> {
    use serde_json::json;
    let conn = &store.conn;
    let accounts: Vec<(i64, String)> = conn
        .prepare("SELECT id, fingerprint FROM account ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Db<_>>()?;
    let params = wire::Params::default();
    let mut out = Vec::new();
    for (account, fingerprint) in accounts {
        let ctx = Ctx {
            account,
            params: &params,
            now: String::new(),
        };
        let day_ids = |d: Option<i64>| -> Db<Option<String>> {
            Ok(d.map(|d| state::day_by_row(conn, d))
                .transpose()?
                .flatten()
                .map(|d| d.day_id))
        };
        let mut items = Vec::new();
        for i in state::items_where(conn, account, "1 = 1")? {
            items.push(json!({
                "trackingNumber": i.tracking_number,
                "shipperItemId": i.shipper_item_id,
                "bagId": i.bag_id,
                "dayId": day_ids(i.effective_day())?,
                "status": state::item_status(conn, &i)?,
                "weight": i.weight,
                "value": i.value,
                "currency": i.currency,
            }));
        }
        let mut bags = Vec::new();
        for b in state::bags_where(conn, account, "?2 = ?2", 0)? {
            bags.push(json!({
                "bagId": b.bag_id,
                "shipperBagId": b.shipper_bag_id,
                "dayId": day_ids(b.day)?,
                "items": state::items_of_unit(conn, KIND_BAG, b.id)?.len(),
                "status": state::bag_status(conn, &b)?,
            }));
        }
        let mut days = Vec::new();
        for d in state::days_of(conn, account)? {
            days.push(json!({
                "dayId": d.day_id,
                "shipperDayId": d.shipper_day_id,
                "bags": state::bags_of_unit(conn, KIND_DAY, d.id)?.len(),
                "items": state::items_of_unit(conn, KIND_DAY, d.id)?.len(),
                "status": state::day_status(conn, &d)?,
            }));
        }
        let ids: Vec<i64> = conn
            .prepare_cached("SELECT id FROM manifest WHERE account = ?1 ORDER BY id")?
            .query_map([account], |r| r.get(0))?
            .collect::<Db<_>>()?;
        let mut manifests = Vec::new();
        for id in ids {
            let Some(row) = manifest_by_row(conn, id)? else {
                continue;
            };
            let contents = manifest_contents(conn, id)?;
            let info = manifest_info(&ctx, &row, &contents);
            manifests.push(json!({
                "manifestId": row.manifest_id,
                "userManifestId": row.user_manifest_id,
                "manifestNumber": row.manifest_number,
                "sent": row.sent,
                "units": contents.parts.iter().map(|p| p.part.units.clone()).collect::<Vec<_>>(),
                "numItems": contents.items.len(),
                "numBags": contents.bags.len(),
                "numDays": contents.days.len(),
                "numParts": contents.parts.len(),
                "weight": info.weight,
            }));
        }
        out.push(json!({
            "account": fingerprint.get(..12).unwrap_or(&fingerprint),
            "items": items,
            "bags": bags,
            "days": days,
            "manifests": manifests,
        }));
    }
    Ok(json!({ "accounts": out }))
}
