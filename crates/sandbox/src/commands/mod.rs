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
//!
//! One file per group of commands: `mailing` (createMailing, cancelMailing), `bag` (createBag,
//! cancelBag), `day` (closeDay, reopenDay, createDay, cancelDay), `info` (getInfo), `manifest`
//! (createManifest, modifyManifest, cancelManifest, getManifest) and `admin` (the `/_admin/objects`
//! view). The SQL they run is in [`crate::state`].

mod admin;
mod bag;
mod day;
mod info;
mod mailing;
mod manifest;

pub use admin::objects_json;

use base64::Engine as _;

use super::labels::{self, LabelContent};
use super::parse::Parsed;
use super::rules::non_empty;
use super::state::{Db, Store};
use mawb_wire::wire::{
    self, Answer, BagResult, DayResult, ErrorType, InfoResult, Label, LabelFormat, LabelSize,
    MailItemResult, ManifestResult, Request, Status,
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

/// Runs one parsed request in its own transaction.
pub fn execute(store: &mut Store, ctx: &Ctx, parsed: &Parsed) -> Answer {
    let request = &parsed.request;
    let result = (|| -> Db<Answer> {
        let tx = store.conn.transaction()?;
        let answer = match request {
            Request::CreateMailing(items) => mailing::create_mailing(&tx, ctx, items)?,
            Request::CancelMailing(refs) => mailing::cancel_mailing(&tx, ctx, refs)?,
            Request::CreateBag(bag) => bag::create_bag(&tx, ctx, bag)?,
            Request::CancelBag(r) => bag::cancel_bag(&tx, ctx, r)?,
            Request::CloseDay => day::close_day(&tx, ctx)?,
            Request::ReopenDay => day::reopen_day(&tx, ctx)?,
            Request::CreateDay(day) => day::create_day(&tx, ctx, day)?,
            Request::CancelDay(r) => day::cancel_day(&tx, ctx, r)?,
            Request::GetInfo => info::get_info(&tx, ctx)?,
            Request::CreateManifest(m) => {
                manifest::save_manifest(&tx, ctx, m, false, &parsed.notes)?
            }
            Request::ModifyManifest(m) => {
                manifest::save_manifest(&tx, ctx, m, true, &parsed.notes)?
            }
            Request::CancelManifest(r) => manifest::cancel_manifest(&tx, ctx, r)?,
            Request::GetManifest(r) => manifest::get_manifest(&tx, ctx, r)?,
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
                    tracking_number: i.tracking_number.as_deref().map(str::to_string),
                    shipper_item_id: i.shipper_item_id.as_deref().map(str::to_string),
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
