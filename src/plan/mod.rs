//! The plan of one MAWB: what ACP must be sent for it to hold what the folder holds, as data.
//!
//! [`diff`](fn@diff) compares the ledger's view with the folder (a pure function); [`steps`](fn@steps) orders what applies it
//! (createMailing batches for items with tracking numbers, one call per item with a label type otherwise,
//! createBag per bag, createDay, createManifest, after whatever must be cancelled); this module builds each
//! step's request. Shared by `prepare` (offline, written to files for review) and `flow` (sent to ACP), so
//! what an operator reviews is what is sent. The shipper-side ids derived here (shipperBagId, shipperDayId) are
//! deterministic: a repeated create meets `conflict` with the same object instead of making a second one.

use crate::acp::budget::{self, Breakdown, BudgetError};
use crate::acp::wire::{self, Params};
use crate::acp::{convert, manifest_file, request};
use crate::check::CheckedMawb;
use crate::model::{format_fixed, Mawb, MawbConfig, WEIGHT_SCALE};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub mod diff;
pub mod folder;
pub mod steps;

pub use diff::{diff, Diff, HeldBag, HeldItem, LedgerView};
pub use folder::{item_key, ItemFragments};
pub use steps::{steps, Step};

/// Settings of the request plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Items per label=0 createMailing request.
    pub batch_items: usize,
    /// Approximate bytes per label=0 createMailing request.
    pub batch_bytes: usize,
    pub test_mode: bool,
    /// Always zip the manifest file (otherwise only when needed to fit ACP's limits).
    pub zip_manifest_file: bool,
    /// Take over objects ACP already holds under this folder's ids that this ledger never sent (`--adopt`):
    /// a new or moved ledger. Without it such an object stops the MAWB, untouched.
    pub adopt: bool,
    /// Write the print-ready label files at the end of each MAWB's run (`--print-ready`; a MAWB's
    /// `print_ready = true` asks for it too).
    pub print_ready: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            batch_items: request::DEFAULT_BATCH_ITEMS,
            batch_bytes: request::DEFAULT_BATCH_BYTES,
            test_mode: false,
            zip_manifest_file: false,
            adopt: false,
            print_ready: false,
        }
    }
}

/// Ids ACP assigned, as far as they are known (from the ledger during a run; empty when preparing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownIds {
    /// Tracking numbers ACP assigned to items created with a label, by shipperItemId. Shared: a run
    /// reads them from the ledger once after its last item step and lends them to each later step.
    pub tracking: std::sync::Arc<HashMap<String, String>>,
    /// bagId by shipperBagId.
    pub bag_ids: HashMap<String, String>,
    pub day_id: Option<String>,
}

/// ACP's limit on shipper-side ids.
const MAX_ID: usize = 50;

/// A stable id of at most 50 characters: `text` itself when it fits, else a prefix and a hash of it.
fn fit_id(text: String) -> String {
    if text.chars().count() <= MAX_ID {
        return text;
    }
    let hash = Sha256::digest(text.as_bytes());
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let prefix: String = text.chars().take(MAX_ID - 13).collect();
    format!("{prefix}-{hex}")
}

/// The shipperBagId of a bag: the MAWB number and the warehouse's bag id, so bag "B01" of two MAWBs
/// never collide at ACP.
pub fn shipper_bag_id(mawb_number: &str, bag: &str) -> String {
    fit_id(format!("{mawb_number}-{bag}"))
}

/// The shipperDayId of a MAWB's day; `revision` counts the days created for it (a changed MAWB whose day
/// was cancelled gets a new one).
pub fn shipper_day_id(mawb_number: &str, revision: u32) -> String {
    if revision <= 1 {
        format!("{mawb_number}-DAY")
    } else {
        format!("{mawb_number}-DAY{revision}")
    }
}

/// The placeholder written where an id is assigned by ACP and not known yet (prepare only).
pub fn placeholder(kind: &str, shipper_id: &str) -> String {
    format!("{{{kind}:{shipper_id}}}")
}

/// An item's tracking number: its own, or the one ACP assigned.
pub fn tracking_of<'a>(m: &'a Mawb, idx: usize, ids: &'a KnownIds) -> Option<&'a str> {
    let item = &m.items[idx];
    item.tracking_number.as_deref().or_else(|| {
        item.shipper_item_id
            .as_deref()
            .and_then(|s| ids.tracking.get(s).map(String::as_str))
    })
}

fn config(m: &Mawb) -> &MawbConfig {
    static EMPTY: std::sync::OnceLock<MawbConfig> = std::sync::OnceLock::new();
    m.config
        .as_ref()
        .unwrap_or_else(|| EMPTY.get_or_init(MawbConfig::default))
}

/// The bytes of a createMailing `data` around its items (declaration and root element).
pub fn mailing_envelope() -> usize {
    request::request_len(&wire::Request::CreateMailing(Vec::new()))
}

/// Splits items (in order) into label=0 batches of at most `opts.batch_items` items and about
/// `opts.batch_bytes` bytes each; `sizes[i]` is item `i`'s size inside a request. An item larger than the
/// byte bound gets a batch of its own. Shared by `prepare` and the run, so both batch alike.
pub fn batches_by_size(idx: &[usize], sizes: &[usize], opts: &PlanOptions) -> Vec<Vec<usize>> {
    let envelope = mailing_envelope();
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut len = envelope;
    for &i in idx {
        if !cur.is_empty()
            && (cur.len() >= opts.batch_items.max(1) || len + sizes[i] > opts.batch_bytes)
        {
            out.push(std::mem::take(&mut cur));
            len = envelope;
        }
        len += sizes[i];
        cur.push(i);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parameters of a createMailing: label 0 for batches, else the MAWB's label type and format.
pub fn mailing_params(m: &Mawb, labelled: bool, opts: &PlanOptions) -> Params {
    let c = config(m);
    if labelled {
        Params {
            test_mode: opts.test_mode,
            label: Some(c.label),
            label_format: Some(c.label_format),
            label_size: c.label_size,
            express_clearance: c.express_clearance,
            ddp: c.ddp,
            ..Default::default()
        }
    } else {
        Params {
            test_mode: opts.test_mode,
            label: Some(0),
            ..Default::default()
        }
    }
}

/// The createMailing request for some items.
pub fn mailing_request(m: &Mawb, items: &[usize]) -> wire::Request {
    wire::Request::CreateMailing(
        items
            .iter()
            .map(|&i| convert::mail_item(&m.items[i]))
            .collect(),
    )
}

/// Parameters of createBag: a bag label when `bag_labels` is set.
pub fn bag_params(m: &Mawb, opts: &PlanOptions) -> Params {
    let c = config(m);
    Params {
        test_mode: opts.test_mode,
        label: Some(u8::from(c.bag_labels)),
        label_format: c.bag_labels.then_some(c.label_format),
        airport: c.airport.clone(),
        ..Default::default()
    }
}

/// The createBag request of bag `b` (index into `m.bags`).
pub fn bag_request(m: &Mawb, b: usize, ids: &KnownIds) -> wire::Request {
    let bag = &m.bags[b];
    let number = &config(m).manifest_number;
    wire::Request::CreateBag(wire::Bag {
        shipper_bag_id: Some(shipper_bag_id(number, &bag.shipper_bag_id)),
        comment: Some(fit_id(format!(
            "{} bag {} of {}",
            number,
            b + 1,
            m.bags.len()
        ))),
        items: bag
            .items
            .iter()
            .map(|&i| {
                convert::item_ref(
                    tracking_of(m, i, ids),
                    m.items[i].shipper_item_id.as_deref(),
                )
            })
            .collect(),
    })
}

/// Parameters of createDay: the end-of-day label and bag labels on request.
pub fn day_params(m: &Mawb, opts: &PlanOptions) -> Params {
    let c = config(m);
    Params {
        test_mode: opts.test_mode,
        label: Some(u8::from(c.day_label)),
        bag_labels: Some(c.bag_labels && c.day_label),
        label_format: (c.day_label || c.bag_labels).then_some(c.label_format),
        airport: c.airport.clone(),
        ..Default::default()
    }
}

/// The createDay request grouping every bag and loose item of the MAWB.
pub fn day_request(m: &Mawb, ids: &KnownIds, revision: u32) -> wire::Request {
    let number = &config(m).manifest_number;
    wire::Request::CreateDay(wire::Day {
        shipper_day_id: Some(shipper_day_id(number, revision)),
        bags: m
            .bags
            .iter()
            .map(|b| {
                let sid = shipper_bag_id(number, &b.shipper_bag_id);
                wire::BagRef {
                    bag_id: ids.bag_ids.get(&sid).cloned(),
                    shipper_bag_id: Some(sid),
                }
            })
            .collect(),
        items: m
            .loose_items()
            .map(|i| {
                convert::item_ref(
                    tracking_of(m, i, ids),
                    m.items[i].shipper_item_id.as_deref(),
                )
            })
            .collect(),
    })
}

/// The packing order of a MAWB: each bag's parcels in bag order (bags in the order the folder first names
/// them, as [`Mawb::bags`]), then the loose parcels in folder order; with each parcel's bag, shipperBagId
/// and weight in kg. Recorded in the ledger by every run, it is the order `mawb labels` prints in.
pub fn packing_order(m: &Mawb) -> Vec<crate::ledger::PackingRow> {
    let number = &config(m).manifest_number;
    let row = |i: usize| {
        let item = &m.items[i];
        crate::ledger::PackingRow {
            item_key: item.key().unwrap_or_default().to_string(),
            bag: item.bag.as_deref().map(str::to_string),
            shipper_bag_id: item.bag.as_deref().map(|b| shipper_bag_id(number, b)),
            weight_kg: item.weight.map(|w| w.0),
        }
    };
    m.bags
        .iter()
        .flat_map(|b| b.items.iter().copied())
        .chain(m.loose_items())
        .map(row)
        .collect()
}

/// The manifest's units: the day id when the MAWB is grouped into a day, else every bag id and loose
/// item's tracking number. Ids not known yet are written as placeholders (prepare).
pub fn manifest_units(m: &Mawb, ids: &KnownIds, day_revision: u32) -> Vec<String> {
    let c = config(m);
    if c.create_day {
        return vec![ids.day_id.clone().unwrap_or_else(|| {
            placeholder("dayId", &shipper_day_id(&c.manifest_number, day_revision))
        })];
    }
    let mut units = Vec::with_capacity(m.bags.len() + m.items.len());
    for b in &m.bags {
        let sid = shipper_bag_id(&c.manifest_number, &b.shipper_bag_id);
        units.push(
            ids.bag_ids
                .get(&sid)
                .cloned()
                .unwrap_or_else(|| placeholder("bagId", &sid)),
        );
    }
    for i in m.loose_items() {
        units.push(match tracking_of(m, i, ids) {
            Some(t) => t.to_string(),
            None => placeholder(
                "trackingNumber",
                m.items[i].shipper_item_id.as_deref().unwrap_or("?"),
            ),
        });
    }
    units
}

/// The weight the manifest declares: `declared_weight` in its unit, else the HAWB total in kg.
pub fn declared_weight(checked: &CheckedMawb) -> (String, &'static str) {
    let c = config(&checked.mawb);
    match c.declared_weight {
        Some(w) => (format_fixed(w, WEIGHT_SCALE), c.weight_unit.as_str()),
        None => (format_fixed(checked.totals.weight_kg, WEIGHT_SCALE), "kg"),
    }
}

/// Why the manifest payload could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read the MAWB scan {path}: {source}")]
    Image {
        path: String,
        source: std::io::Error,
    },
    #[error("the MAWB has no usable scan or mawb.toml")]
    Incomplete,
    #[error("cannot build the manifest file: {0}")]
    File(std::io::Error),
    #[error("{0}")]
    Budget(#[from] BudgetError),
}

/// The createManifest (or, with `manifest_id`, modifyManifest) payload, with the image, the generated
/// manifest file (zipped when configured or when needed to fit) and one part per leg. Checked against
/// ACP's size limits; the breakdown is returned with it.
pub fn manifest_request(
    checked: &CheckedMawb,
    ids: &KnownIds,
    day_revision: u32,
    manifest_id: Option<String>,
    opts: &PlanOptions,
) -> Result<(wire::Request, Breakdown), ManifestError> {
    let m = &checked.mawb;
    let (Some(c), Some(img)) = (m.config.as_ref(), m.image.as_ref()) else {
        return Err(ManifestError::Incomplete);
    };
    let image_bytes = std::fs::read(&img.path).map_err(|source| ManifestError::Image {
        path: img.path.display().to_string(),
        source,
    })?;
    let csv = manifest_file::write_csv(m, &ids.tracking);
    let units = manifest_units(m, ids, day_revision);
    let (weight, uom) = declared_weight(checked);
    let modify = manifest_id.is_some();
    let mut manifest = wire::Manifest {
        manifest_id,
        user_manifest_id: Some(c.user_manifest_id().to_string()),
        manifest_number: c.manifest_number.clone(),
        shipping_units: checked.totals.shipping_units.to_string(),
        user_defined_weight: weight,
        user_defined_weight_uom: uom.to_string(),
        image: Some(wire::Attachment {
            name: format!("{}.{}", c.manifest_number, img.kind.extension()),
            data: image_bytes,
        }),
        file: None,
        alert_email: c.alert_email.clone(),
        parts: c
            .legs
            .iter()
            .map(|l| wire::ManifestPart {
                departure_facility: l.departure.clone(),
                departure_date: part_date(&l.departure_date),
                arrival_facility: l.arrival.clone(),
                arrival_date: part_date(&l.arrival_date),
                carrier: l.carrier.clone(),
                trip_number: l.trip.clone(),
                units: units.clone(),
            })
            .collect(),
    };
    let csv_name = format!("{}.csv", c.manifest_number);
    let csv = if opts.zip_manifest_file {
        csv
    } else {
        // The CSV moves into the request (megabytes: not copied) and comes back out only to be zipped.
        manifest.file = Some(wire::Attachment {
            name: csv_name.clone(),
            data: csv,
        });
        if let Ok(b) = budget::check_manifest_as(&manifest, modify) {
            return Ok((wire_request(manifest, modify), b));
        }
        manifest.file.take().map(|f| f.data).unwrap_or_default()
    };
    let zipped = manifest_file::zip_one(&csv_name, &csv).map_err(ManifestError::File)?;
    manifest.file = Some(wire::Attachment {
        name: format!("{}.zip", c.manifest_number),
        data: zipped,
    });
    let b = budget::check_manifest_as(&manifest, modify)?;
    Ok((wire_request(manifest, modify), b))
}

/// A leg date as ACP's manifest parts take it: `Z` (accepted in mawb.toml) written as `+00:00`.
fn part_date(d: &str) -> String {
    match d.strip_suffix('Z') {
        Some(local) => format!("{local}+00:00"),
        None => d.to_string(),
    }
}

fn wire_request(m: wire::Manifest, modify: bool) -> wire::Request {
    if modify {
        wire::Request::ModifyManifest(m)
    } else {
        wire::Request::CreateManifest(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_count_and_size() {
        let envelope = mailing_envelope();
        let opts = |items, bytes| PlanOptions {
            batch_items: items,
            batch_bytes: bytes,
            ..Default::default()
        };
        let sizes = vec![100; 10];
        let idx: Vec<usize> = (0..10).collect();
        let b = batches_by_size(&idx, &sizes, &opts(4, 10_000));
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
        let b = batches_by_size(&idx, &sizes, &opts(100, envelope + 310));
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3, 1]);
        assert_eq!(b.concat(), idx);
        let big = vec![1_000_000; 2];
        assert_eq!(batches_by_size(&[0, 1], &big, &opts(100, 1000)).len(), 2);
    }

    #[test]
    fn batches_are_greedy_and_each_request_stays_within_the_byte_bound() {
        let items: Vec<wire::MailItem> = (0..23)
            .map(|i| wire::MailItem {
                tracking_number: Some(format!("TN{i:04}").into()),
                consignee: wire::Address {
                    name: Some("Jane".into()),
                    address_line1: (i % 5 == 0).then(|| "x".repeat(300).into()),
                    ..Default::default()
                },
                value: "5".into(),
                currency: "USD".into(),
                weight: "0.100".into(),
                weight_unit: "kg".into(),
                ..Default::default()
            })
            .collect();
        let envelope = mailing_envelope();
        let len_of =
            |v: Vec<wire::MailItem>| request::request_len(&wire::Request::CreateMailing(v));
        let sizes: Vec<usize> = items
            .iter()
            .map(|it| len_of(vec![it.clone()]) - envelope)
            .collect();
        let idx: Vec<usize> = (0..items.len()).collect();
        let one = len_of(vec![items[1].clone()]);
        for (max_items, max_bytes) in [
            (500, 1_000_000),
            (4, 1_000_000),
            (500, 3 * one),
            (1, 10),
            (0, 0),
        ] {
            let opts = PlanOptions {
                batch_items: max_items,
                batch_bytes: max_bytes,
                ..Default::default()
            };
            let batches = batches_by_size(&idx, &sizes, &opts);
            assert_eq!(batches.concat(), idx, "order kept, nothing lost");
            for b in &batches {
                assert!(!b.is_empty() && b.len() <= max_items.max(1));
                let len = len_of(b.iter().map(|&i| items[i].clone()).collect());
                assert!(
                    len <= max_bytes || b.len() == 1,
                    "{len} > {max_bytes} with {} items",
                    b.len()
                );
            }
            // Greedy: each batch but the last was closed because the next item did not fit.
            for w in batches.windows(2) {
                let grown: Vec<wire::MailItem> = w[0]
                    .iter()
                    .chain(&w[1][..1])
                    .map(|&i| items[i].clone())
                    .collect();
                assert!(grown.len() > max_items.max(1) || len_of(grown) > max_bytes);
            }
        }
    }

    #[test]
    fn shipper_ids_fit_acps_50_characters_and_stay_stable() {
        let long = shipper_bag_id("112-44995451", &"B".repeat(80));
        assert!(long.chars().count() <= 50, "{long}");
        assert_eq!(long, shipper_bag_id("112-44995451", &"B".repeat(80)));
        assert_ne!(long, shipper_bag_id("112-44995451", &"B".repeat(81)));
        assert_eq!(shipper_bag_id("112-44995451", "B01"), "112-44995451-B01");
        assert_eq!(shipper_day_id("112-44995451", 1), "112-44995451-DAY");
        assert_eq!(shipper_day_id("112-44995451", 3), "112-44995451-DAY3");
    }

    #[test]
    fn z_leg_dates_are_written_with_an_offset() {
        assert_eq!(
            part_date("2026-11-24T10:00:00Z"),
            "2026-11-24T10:00:00+00:00"
        );
        assert_eq!(
            part_date("2026-11-24T10:00:00-08:00"),
            "2026-11-24T10:00:00-08:00"
        );
    }
}
