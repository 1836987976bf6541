//! Writes the `data` XML of ACP requests (the ACP Shipper API document), byte for byte.
//!
//! Why a hand-rolled writer instead of `quick_xml::Writer`: the request shapes are fixed and flat, and three
//! things matter more than generality here:
//!
//! * **Size.** A createManifest `data` can be ~50 MB, almost all of it base64 of the MAWB scan and the HAWB
//!   file. Attachments are encoded in [`BASE64_CHUNK`]-byte input chunks straight into the output (into the
//!   `Vec`'s own memory for [`write_request_to_vec`], into one reused staging buffer for
//!   [`write_request`]); base64 needs no XML escaping, so it is written raw. The whole attachment is never
//!   materialised as a base64 `String`.
//! * **Exact length without writing.** The same element-by-element code drives a counting sink, so
//!   [`request_len`] (and `budget::manifest_data_len`) is the exact length of the output by construction:
//!   the 49.999 MB limit is checked before anything is encoded.
//! * **No silent data loss.** Text is escaped (`&`, `<`, `>`, `"`, `'`, and CR as `&#13;`, because a
//!   conforming XML parser turns a literal CR into LF). Characters XML 1.0 cannot carry at all (C0 controls
//!   other than TAB/LF/CR, U+FFFE, U+FFFF) are *not* dropped or replaced: callers must reject them at
//!   validation time with [`forbidden_xml_char`]; if one reaches the writer anyway, writing fails with an
//!   [`io::ErrorKind::InvalidData`] error naming the character and the element.
//!
//! Output is compact (no indentation, no newlines): `<?xml version="1.0" encoding="UTF-8"?>` then
//! `<shippingApiRequest>…</shippingApiRequest>`, elements in the spec's order, `None` fields omitted, empty
//! strings written as `<x></x>`.
//!
//! Its parts: `escape` (text escaping and the characters XML 1.0 forbids), `sink` (where the element code
//! sends its bytes: a counting sink, a `Vec`, a staged `Write`, with the base64 encoder) and, here, the
//! public entry points and the element code in the spec's order. Dependencies go one way: `budget` uses
//! this module's element code and counting sink to measure manifests; nothing here uses `budget`.

mod escape;
mod sink;

pub use escape::forbidden_xml_char;
pub(crate) use sink::count;
pub use sink::{base64_len, BASE64_CHUNK};

use std::io::{self, Write};

use sink::{Sink, VecSink, WriteSink};

use crate::wire::{
    Address, Attachment, Bag, BagRef, Day, DayRef, Dimensions, ItemRef, MailItem, Manifest,
    ManifestPart, ManifestRef, Product, Request,
};

/// The XML declaration every request starts with.
pub const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Default maximum number of mail items per label=0 createMailing request.
pub const DEFAULT_BATCH_ITEMS: usize = 500;

/// Default target size in bytes of one label=0 createMailing `data` XML (about 1 MB per request).
pub const DEFAULT_BATCH_BYTES: usize = 1_000_000;

const ROOT: &str = "shippingApiRequest";

/// Writes the `data` XML of `req` to `out`, through one internal staging buffer (so `out` need not be
/// buffered; it receives writes of about 64 KiB).
///
/// Callers must have rejected text holding characters XML 1.0 forbids (see [`forbidden_xml_char`]); such
/// text fails here with [`io::ErrorKind::InvalidData`] instead of being altered. Commands without `data`
/// (closeDay, reopenDay, getInfo) fail with [`io::ErrorKind::InvalidInput`].
pub fn write_request<W: Write>(req: &Request, out: W) -> io::Result<()> {
    let mut sink = WriteSink::new(out);
    write_body(req, &mut sink)?;
    sink.flush()
}

/// Appends the `data` XML of `req` to `out`, encoding attachments directly into the `Vec`. On error `out`
/// is truncated back to its original length. Same rules as [`write_request`].
pub fn write_request_to_vec(req: &Request, out: &mut Vec<u8>) -> io::Result<()> {
    let start = out.len();
    let result = write_body(req, &mut VecSink { out });
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// The `data` XML of `req` in a `Vec` allocated once at its exact size ([`request_len`]). Fails like
/// [`write_request`].
pub fn request_to_vec(req: &Request) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(request_len(req));
    write_request_to_vec(req, &mut out)?;
    Ok(out)
}

/// The exact length in bytes of the `data` XML [`write_request`] produces for `req`, computed without
/// writing or encoding anything (escapes and base64 included). 0 for commands without `data`.
pub fn request_len(req: &Request) -> usize {
    count(|s| write_body(req, s))
}

// -------------------------------------------------------------------------------------------------------

fn open<S: Sink>(s: &mut S, name: &str) -> io::Result<()> {
    s.tag(b"<", name)
}

fn close<S: Sink>(s: &mut S, name: &str) -> io::Result<()> {
    s.tag(b"</", name)
}

fn leaf<S: Sink>(s: &mut S, name: &str, text: &str) -> io::Result<()> {
    open(s, name)?;
    s.text(name, text)?;
    close(s, name)
}

fn opt_leaf<S: Sink, T: AsRef<str>>(s: &mut S, name: &str, text: &Option<T>) -> io::Result<()> {
    match text {
        Some(t) => leaf(s, name, t.as_ref()),
        None => Ok(()),
    }
}

pub(crate) fn write_body<S: Sink>(req: &Request, s: &mut S) -> io::Result<()> {
    if !req.command().has_data() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} carries no data XML", req.command()),
        ));
    }
    if let Request::CreateManifest(m) | Request::ModifyManifest(m) = req {
        return write_manifest_request(s, m, matches!(req, Request::ModifyManifest(_)));
    }
    s.raw(XML_DECLARATION.as_bytes())?;
    open(s, ROOT)?;
    match req {
        Request::CreateMailing(items) => {
            for item in items {
                write_mail_item(s, item)?;
            }
        }
        Request::CancelMailing(refs) => {
            for r in refs {
                write_item_ref(s, r)?;
            }
        }
        Request::CreateBag(bag) => write_bag(s, bag)?,
        Request::CancelBag(r) => write_bag_ref(s, r)?,
        Request::CreateDay(day) => write_day(s, day)?,
        Request::CancelDay(r) => write_day_ref(s, r)?,
        Request::CancelManifest(r) | Request::GetManifest(r) => write_manifest_ref(s, r)?,
        Request::CreateManifest(_)
        | Request::ModifyManifest(_)
        | Request::CloseDay
        | Request::ReopenDay
        | Request::GetInfo => {}
    }
    close(s, ROOT)
}

fn write_address<S: Sink>(s: &mut S, tag: &str, a: &Address) -> io::Result<()> {
    open(s, tag)?;
    opt_leaf(s, "name", &a.name)?;
    opt_leaf(s, "companyName", &a.company_name)?;
    opt_leaf(s, "addressLine1", &a.address_line1)?;
    opt_leaf(s, "addressLine2", &a.address_line2)?;
    opt_leaf(s, "city", &a.city)?;
    opt_leaf(s, "state", &a.state)?;
    opt_leaf(s, "zip", &a.zip)?;
    opt_leaf(s, "country", &a.country)?;
    opt_leaf(s, "phone", &a.phone)?;
    opt_leaf(s, "email", &a.email)?;
    close(s, tag)
}

fn write_dimensions<S: Sink>(s: &mut S, d: &Dimensions) -> io::Result<()> {
    open(s, "dimensions")?;
    leaf(s, "length", &d.length)?;
    leaf(s, "width", &d.width)?;
    leaf(s, "height", &d.height)?;
    leaf(s, "dimensionsUnitOfMeasure", &d.unit)?;
    close(s, "dimensions")
}

fn write_product<S: Sink>(s: &mut S, p: &Product) -> io::Result<()> {
    open(s, "product")?;
    opt_leaf(s, "countryOfOrigin", &p.country_of_origin)?;
    leaf(s, "harmonizationCode", &p.harmonization_code)?;
    leaf(s, "description", &p.description)?;
    opt_leaf(s, "manufacturerCode", &p.manufacturer_code)?;
    opt_leaf(s, "sku", &p.sku)?;
    leaf(s, "quantity", &p.quantity)?;
    opt_leaf(s, "unitValue", &p.unit_value)?;
    opt_leaf(s, "value", &p.value)?;
    opt_leaf(s, "weight", &p.weight)?;
    opt_leaf(s, "priorNoticeFilingNumber", &p.prior_notice_filing_number)?;
    close(s, "product")
}

pub(crate) fn write_mail_item<S: Sink>(s: &mut S, m: &MailItem) -> io::Result<()> {
    open(s, "mailItem")?;
    opt_leaf(s, "trackingNumber", &m.tracking_number)?;
    opt_leaf(s, "shipperItemId", &m.shipper_item_id)?;
    opt_leaf(s, "displayItemId", &m.display_item_id)?;
    write_address(s, "consignee", &m.consignee)?;
    if let Some(a) = &m.shipper {
        write_address(s, "shipper", a)?;
    }
    if let Some(a) = &m.return_address {
        write_address(s, "returnAddress", a)?;
    }
    leaf(s, "value", &m.value)?;
    leaf(s, "currency", &m.currency)?;
    leaf(s, "weight", &m.weight)?;
    leaf(s, "weightUnitOfMeasure", &m.weight_unit)?;
    if let Some(d) = &m.dimensions {
        write_dimensions(s, d)?;
    }
    for p in &m.products {
        write_product(s, p)?;
    }
    close(s, "mailItem")
}

fn write_item_ref<S: Sink>(s: &mut S, r: &ItemRef) -> io::Result<()> {
    open(s, "mailItem")?;
    opt_leaf(s, "trackingNumber", &r.tracking_number)?;
    opt_leaf(s, "shipperItemId", &r.shipper_item_id)?;
    close(s, "mailItem")
}

fn write_bag_ref<S: Sink>(s: &mut S, r: &BagRef) -> io::Result<()> {
    open(s, "bag")?;
    opt_leaf(s, "bagId", &r.bag_id)?;
    opt_leaf(s, "shipperBagId", &r.shipper_bag_id)?;
    close(s, "bag")
}

fn write_day_ref<S: Sink>(s: &mut S, r: &DayRef) -> io::Result<()> {
    open(s, "day")?;
    opt_leaf(s, "dayId", &r.day_id)?;
    opt_leaf(s, "shipperDayId", &r.shipper_day_id)?;
    close(s, "day")
}

fn write_manifest_ref<S: Sink>(s: &mut S, r: &ManifestRef) -> io::Result<()> {
    open(s, "manifest")?;
    opt_leaf(s, "manifestId", &r.manifest_id)?;
    opt_leaf(s, "userManifestId", &r.user_manifest_id)?;
    close(s, "manifest")
}

fn write_bag<S: Sink>(s: &mut S, b: &Bag) -> io::Result<()> {
    open(s, "bag")?;
    opt_leaf(s, "shipperBagId", &b.shipper_bag_id)?;
    opt_leaf(s, "comment", &b.comment)?;
    for r in &b.items {
        write_item_ref(s, r)?;
    }
    close(s, "bag")
}

fn write_day<S: Sink>(s: &mut S, d: &Day) -> io::Result<()> {
    open(s, "day")?;
    opt_leaf(s, "shipperDayId", &d.shipper_day_id)?;
    for r in &d.bags {
        write_bag_ref(s, r)?;
    }
    for r in &d.items {
        write_item_ref(s, r)?;
    }
    close(s, "day")
}

pub(crate) fn write_attachment<S: Sink>(s: &mut S, tag: &str, a: &Attachment) -> io::Result<()> {
    open(s, tag)?;
    leaf(s, "name", &a.name)?;
    open(s, "data")?;
    s.base64(&a.data)?;
    close(s, "data")?;
    close(s, tag)
}

pub(crate) fn write_unit<S: Sink>(s: &mut S, unit_id: &str) -> io::Result<()> {
    open(s, "unit")?;
    leaf(s, "unitId", unit_id)?;
    close(s, "unit")
}

fn write_part<S: Sink>(s: &mut S, p: &ManifestPart) -> io::Result<()> {
    open(s, "manifestPart")?;
    leaf(s, "departureFacility", &p.departure_facility)?;
    leaf(s, "departureDate", &p.departure_date)?;
    leaf(s, "arrivalFacility", &p.arrival_facility)?;
    leaf(s, "arrivalDate", &p.arrival_date)?;
    leaf(s, "carrier", &p.carrier)?;
    leaf(s, "tripNumber", &p.trip_number)?;
    for u in &p.units {
        write_unit(s, u)?;
    }
    close(s, "manifestPart")
}

/// The whole `data` XML of createManifest, or of modifyManifest when `modify`, from a borrowed manifest.
pub(crate) fn write_manifest_request<S: Sink>(
    s: &mut S,
    m: &Manifest,
    modify: bool,
) -> io::Result<()> {
    s.raw(XML_DECLARATION.as_bytes())?;
    open(s, ROOT)?;
    write_manifest(s, m, modify)?;
    close(s, ROOT)
}

/// `<manifest>` of createManifest, or of modifyManifest (`modify`: `manifestId` first, when set).
fn write_manifest<S: Sink>(s: &mut S, m: &Manifest, modify: bool) -> io::Result<()> {
    open(s, "manifest")?;
    if modify {
        opt_leaf(s, "manifestId", &m.manifest_id)?;
    }
    opt_leaf(s, "userManifestId", &m.user_manifest_id)?;
    leaf(s, "manifestNumber", &m.manifest_number)?;
    leaf(s, "shippingUnits", &m.shipping_units)?;
    leaf(s, "userDefinedWeight", &m.user_defined_weight)?;
    leaf(s, "userDefinedWeightUOM", &m.user_defined_weight_uom)?;
    if let Some(a) = &m.image {
        write_attachment(s, "manifestImage", a)?;
    }
    if let Some(a) = &m.file {
        write_attachment(s, "manifestFile", a)?;
    }
    opt_leaf(s, "alertEmail", &m.alert_email)?;
    for p in &m.parts {
        write_part(s, p)?;
    }
    close(s, "manifest")
}

#[cfg(test)]
mod tests;
