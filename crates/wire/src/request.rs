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

use std::io::{self, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::wire::{
    Address, Attachment, Bag, BagRef, Day, DayRef, Dimensions, ItemRef, MailItem, Manifest,
    ManifestPart, ManifestRef, Product, Request,
};

/// The XML declaration every request starts with.
pub const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Raw attachment bytes encoded per step: a multiple of 3, so chunks concatenate to one valid base64 text
/// (and of 6, the encoder's step), small enough to stay in cache.
pub const BASE64_CHUNK: usize = 48 * 1024;

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

/// The first character XML 1.0 forbids in text, with its index in chars (not bytes): C0 controls other
/// than TAB, LF and CR, U+FFFE and U+FFFF (surrogates cannot occur in a `str`). Validators use it to
/// reject such text up front; the writer never drops or replaces characters.
pub fn forbidden_xml_char(text: &str) -> Option<(usize, char)> {
    // Fast path: no byte that can start a forbidden char.
    if !text
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
    {
        return None;
    }
    text.chars().enumerate().find(|&(_, c)| is_forbidden(c))
}

fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

// -------------------------------------------------------------------------------------------------------
// Sinks: where the element code sends bytes, text and attachment data.
// -------------------------------------------------------------------------------------------------------

/// A destination for the element writer: raw markup, text to escape, attachment bytes to base64.
pub(crate) trait Sink {
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Escaped text of element `element` (named in errors).
    fn text(&mut self, element: &str, text: &str) -> io::Result<()>;
    fn base64(&mut self, data: &[u8]) -> io::Result<()>;
}

/// Counts bytes without producing them; never fails.
pub(crate) struct CountSink(pub(crate) usize);

impl Sink for CountSink {
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0 += bytes.len();
        Ok(())
    }
    fn text(&mut self, _element: &str, text: &str) -> io::Result<()> {
        self.0 += escaped_len(text);
        Ok(())
    }
    fn base64(&mut self, data: &[u8]) -> io::Result<()> {
        self.0 += crate::budget::base64_len(data.len());
        Ok(())
    }
}

/// The exact number of bytes `write` sends to a sink.
pub(crate) fn count(write: impl FnOnce(&mut CountSink) -> io::Result<()>) -> usize {
    let mut sink = CountSink(0);
    // A CountSink never fails, and the element code fails only on what a sink reports.
    let _ = write(&mut sink);
    sink.0
}

struct VecSink<'a> {
    out: &'a mut Vec<u8>,
}

impl Sink for VecSink<'_> {
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(bytes);
        Ok(())
    }
    fn text(&mut self, element: &str, text: &str) -> io::Result<()> {
        let out = &mut *self.out;
        write_escaped(element, text, |piece| {
            out.extend_from_slice(piece);
            Ok(())
        })
    }
    fn base64(&mut self, data: &[u8]) -> io::Result<()> {
        self.out.reserve(crate::budget::base64_len(data.len()));
        for chunk in data.chunks(BASE64_CHUNK) {
            encode_base64(chunk, self.out);
        }
        Ok(())
    }
}

/// Appends the standard padded base64 of `input` to `out`.
///
/// Table-driven, 6 input bytes per step through a 4096-entry table of character pairs: faster than the
/// base64 crate's scalar encoder on the hot loop of every manifest upload, and appending (no zero-fill of
/// the output first: on a 43 MB payload the fill alone cost a fifth of the time). The last 0-5 bytes go
/// through the base64 crate, so padding is the crate's.
pub(crate) fn encode_base64(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(crate::budget::base64_len(input.len()));
    let main = input.len() / 6 * 6;
    for src in input[..main].chunks_exact(6) {
        let v = u64::from_be_bytes([0, 0, src[0], src[1], src[2], src[3], src[4], src[5]]);
        let eight = PAIRS[(v >> 36) as usize & 0xFFF] as u64
            | (PAIRS[(v >> 24) as usize & 0xFFF] as u64) << 16
            | (PAIRS[(v >> 12) as usize & 0xFFF] as u64) << 32
            | (PAIRS[v as usize & 0xFFF] as u64) << 48;
        out.extend_from_slice(&eight.to_le_bytes());
    }
    // Under 6 bytes encode to at most 8 characters: the crate cannot fail here.
    let mut tail = [0u8; 8];
    let n = STANDARD
        .encode_slice(&input[main..], &mut tail)
        .unwrap_or(0);
    out.extend_from_slice(&tail[..n]);
}

/// `PAIRS[i]`: the two base64 characters of the 12-bit value `i`, first character in the low byte.
static PAIRS: [u16; 4096] = pair_table();

const fn pair_table() -> [u16; 4096] {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = alphabet[i >> 6] as u16 | (alphabet[i & 63] as u16) << 8;
        i += 1;
    }
    t
}

/// Staging buffer in front of any `Write`: markup and text accumulate, attachment chunks are encoded into
/// its tail, and it goes out in writes of about [`STAGE_FLUSH`] bytes.
struct WriteSink<W: Write> {
    out: W,
    buf: Vec<u8>,
}

const STAGE_FLUSH: usize = 64 * 1024;

impl<W: Write> WriteSink<W> {
    fn new(out: W) -> Self {
        WriteSink {
            out,
            buf: Vec::with_capacity(STAGE_FLUSH + crate::budget::base64_len(BASE64_CHUNK)),
        }
    }

    fn drain(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn maybe_drain(&mut self) -> io::Result<()> {
        if self.buf.len() >= STAGE_FLUSH {
            self.drain()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.out.flush()
    }
}

impl<W: Write> Sink for WriteSink<W> {
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(bytes);
        self.maybe_drain()
    }
    fn text(&mut self, element: &str, text: &str) -> io::Result<()> {
        let buf = &mut self.buf;
        write_escaped(element, text, |piece| {
            buf.extend_from_slice(piece);
            Ok(())
        })?;
        self.maybe_drain()
    }
    fn base64(&mut self, data: &[u8]) -> io::Result<()> {
        for chunk in data.chunks(BASE64_CHUNK) {
            if self.buf.len() + crate::budget::base64_len(chunk.len()) > self.buf.capacity() {
                self.drain()?;
            }
            encode_base64(chunk, &mut self.buf);
            self.maybe_drain()?;
        }
        Ok(())
    }
}

// -------------------------------------------------------------------------------------------------------
// Escaping.
// -------------------------------------------------------------------------------------------------------

/// The escape of a byte that needs one in element text.
fn escape_of(b: u8) -> Option<&'static [u8]> {
    match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'"' => Some(b"&quot;"),
        b'\'' => Some(b"&apos;"),
        b'\r' => Some(b"&#13;"),
        _ => None,
    }
}

/// Bytes that stop the plain-copy scan: the escaped ones, C0 controls and 0xEF (first byte of U+FFFE/FFFF).
const fn special_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = !matches!(b as u8, b'\t' | b'\n');
        b += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t[0xEF] = true;
    t
}

static SPECIAL: [bool; 256] = special_table();

/// The length of `text` once escaped (forbidden characters counted as themselves: writing them fails).
pub(crate) fn escaped_len(text: &str) -> usize {
    text.len()
        + text
            .bytes()
            .map(|b| match escape_of(b) {
                Some(e) => e.len() - 1,
                None => 0,
            })
            .sum::<usize>()
}

/// Sends `text` escaped to `put`, in as few pieces as possible; fails on a forbidden character.
fn write_escaped(
    element: &str,
    text: &str,
    mut put: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !SPECIAL[b as usize] {
            i += 1;
            continue;
        }
        if let Some(esc) = escape_of(b) {
            put(&bytes[run..i])?;
            put(esc)?;
            i += 1;
            run = i;
        } else if b == 0xEF
            && !(bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)))
        {
            i += 1; // another char of the U+Fxxx block: fine
        } else {
            return Err(forbidden_error(element, text, i));
        }
    }
    put(&bytes[run..])
}

fn forbidden_error(element: &str, text: &str, byte_pos: usize) -> io::Error {
    let index = text[..byte_pos].chars().count();
    let c = text[byte_pos..].chars().next().unwrap_or('\u{0}');
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "<{element}> text holds U+{:04X}, which XML 1.0 cannot carry, at character {index}; \
             it should have been rejected at validation (forbidden_xml_char)",
            c as u32
        ),
    )
}

// -------------------------------------------------------------------------------------------------------
// Elements, in the spec's order.
// -------------------------------------------------------------------------------------------------------

fn open<S: Sink>(s: &mut S, name: &str) -> io::Result<()> {
    s.raw(b"<")?;
    s.raw(name.as_bytes())?;
    s.raw(b">")
}

fn close<S: Sink>(s: &mut S, name: &str) -> io::Result<()> {
    s.raw(b"</")?;
    s.raw(name.as_bytes())?;
    s.raw(b">")
}

fn leaf<S: Sink>(s: &mut S, name: &str, text: &str) -> io::Result<()> {
    open(s, name)?;
    s.text(name, text)?;
    close(s, name)
}

fn opt_leaf<S: Sink>(s: &mut S, name: &str, text: &Option<String>) -> io::Result<()> {
    match text {
        Some(t) => leaf(s, name, t),
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
mod tests {
    use super::*;
    use proptest::prelude::*;
    use quick_xml::events::Event;

    // ---- sample requests, one per command with data ------------------------------------------------

    fn address(name: &str) -> Address {
        Address {
            name: Some(name.to_string()),
            company_name: Some("Amazon".into()),
            address_line1: Some("9559 Collins Ave Apt #903".into()),
            address_line2: Some(String::new()),
            city: Some("Beverly Hills".into()),
            state: Some("CA".into()),
            zip: Some("90210".into()),
            country: Some("US".into()),
            phone: Some("123-456-9890".into()),
            email: Some("john-doe@example.com".into()),
        }
    }

    fn full_item() -> MailItem {
        MailItem {
            tracking_number: Some("1ZWE31190196785492".into()),
            shipper_item_id: Some("1234-4567890".into()),
            display_item_id: Some("20121120-093021".into()),
            consignee: address("John Doe"),
            shipper: Some(Address {
                company_name: Some("Smith & Sons <Ltd>".into()),
                address_line1: Some("1 Rue de l'Église".into()),
                city: Some("Paris".into()),
                zip: Some("75001".into()),
                country: Some("FR".into()),
                ..Address::default()
            }),
            return_address: Some(address("Returns")),
            value: "100.50".into(),
            currency: "EUR".into(),
            weight: "1.125".into(),
            weight_unit: "kg".into(),
            dimensions: Some(Dimensions {
                length: "0.5".into(),
                width: "0.4".into(),
                height: "0.3".into(),
                unit: "m".into(),
            }),
            products: vec![
                Product {
                    country_of_origin: Some("FR".into()),
                    harmonization_code: "4901.99.0070".into(),
                    description: "Book \"Les Misérables\" 📚".into(),
                    manufacturer_code: Some("M-1".into()),
                    sku: Some("SKU-9".into()),
                    quantity: "2".into(),
                    unit_value: Some("14.65".into()),
                    value: Some("29.30".into()),
                    weight: Some("0.5".into()),
                    prior_notice_filing_number: Some(String::new()),
                },
                Product {
                    harmonization_code: "6109.10".into(),
                    description: "T-shirt 棉".into(),
                    quantity: "1".into(),
                    ..Product::default()
                },
            ],
        }
    }

    fn minimal_item() -> MailItem {
        MailItem {
            tracking_number: Some("TN2".into()),
            consignee: Address {
                name: Some("Jane".into()),
                country: Some("US".into()),
                ..Address::default()
            },
            value: "5".into(),
            currency: "USD".into(),
            weight: "0.100".into(),
            weight_unit: "kg".into(),
            ..MailItem::default()
        }
    }

    fn manifest(with_id: bool) -> Manifest {
        Manifest {
            manifest_id: with_id.then(|| "1534646".to_string()),
            user_manifest_id: Some("WH-2026-11-24-01".into()),
            manifest_number: "112-44995451".into(),
            shipping_units: "3".into(),
            user_defined_weight: "56.000".into(),
            user_defined_weight_uom: "kg".into(),
            image: Some(Attachment {
                name: "112-44995451.PDF".into(),
                data: b"%PDF-1.4 scan".to_vec(),
            }),
            file: Some(Attachment {
                name: "112-44995451.csv".into(),
                data: b"hawb,weight\n1,2\n".to_vec(),
            }),
            alert_email: Some("ops@example.com".into()),
            parts: vec![
                ManifestPart {
                    departure_facility: "LAX".into(),
                    departure_date: "2012-12-10T10:00:00".into(),
                    arrival_facility: "JFK".into(),
                    arrival_date: "2012-12-10T12:40:00-07:00".into(),
                    carrier: "AA".into(),
                    trip_number: "123".into(),
                    units: vec!["1ZWE31190196785492".into(), "1000001234567890".into()],
                },
                ManifestPart {
                    departure_facility: "JFK".into(),
                    departure_date: "2012-12-11T08:00:00Z".into(),
                    arrival_facility: "FRA".into(),
                    arrival_date: "2012-12-11T20:00:00+01:00".into(),
                    carrier: "LH".into(),
                    trip_number: "401".into(),
                    units: vec!["day-1234".into()],
                },
            ],
        }
    }

    fn samples() -> Vec<(&'static str, Request)> {
        vec![
            (
                "createMailing",
                Request::CreateMailing(vec![full_item(), minimal_item()]),
            ),
            (
                "cancelMailing",
                Request::CancelMailing(vec![
                    ItemRef {
                        tracking_number: Some("1ZWE31190196785492".into()),
                        shipper_item_id: None,
                    },
                    ItemRef {
                        tracking_number: None,
                        shipper_item_id: Some("1234-4567890".into()),
                    },
                    ItemRef {
                        tracking_number: Some("TN3".into()),
                        shipper_item_id: Some("S3".into()),
                    },
                ]),
            ),
            (
                "createBag",
                Request::CreateBag(Bag {
                    shipper_bag_id: Some("bag-1234".into()),
                    comment: Some("Bag 1 of 10".into()),
                    items: vec![
                        ItemRef {
                            tracking_number: Some("1ZWE31190196785492".into()),
                            shipper_item_id: Some("1234-4567890".into()),
                        },
                        ItemRef {
                            tracking_number: Some("TN2".into()),
                            shipper_item_id: None,
                        },
                    ],
                }),
            ),
            (
                "cancelBag",
                Request::CancelBag(BagRef {
                    bag_id: Some("1000001234567890".into()),
                    shipper_bag_id: None,
                }),
            ),
            (
                "createDay",
                Request::CreateDay(Day {
                    shipper_day_id: Some("day-1234".into()),
                    bags: vec![
                        BagRef {
                            bag_id: Some("1000001234567890".into()),
                            shipper_bag_id: Some("bag-1234".into()),
                        },
                        BagRef {
                            bag_id: None,
                            shipper_bag_id: Some("bag-1235".into()),
                        },
                    ],
                    items: vec![ItemRef {
                        tracking_number: Some("TN9".into()),
                        shipper_item_id: None,
                    }],
                }),
            ),
            (
                "cancelDay",
                Request::CancelDay(DayRef {
                    day_id: None,
                    shipper_day_id: Some("day-1234".into()),
                }),
            ),
            ("createManifest", Request::CreateManifest(manifest(true))),
            ("modifyManifest", Request::ModifyManifest(manifest(true))),
            (
                "cancelManifest",
                Request::CancelManifest(ManifestRef {
                    manifest_id: Some("1534646".into()),
                    user_manifest_id: None,
                }),
            ),
            (
                "getManifest",
                Request::GetManifest(ManifestRef {
                    manifest_id: None,
                    user_manifest_id: Some("WH-2026-11-24-01".into()),
                }),
            ),
        ]
    }

    fn golden(command: &str) -> &'static str {
        match command {
            "createMailing" => include_str!("../../../tests/golden/requests/createMailing.xml"),
            "cancelMailing" => include_str!("../../../tests/golden/requests/cancelMailing.xml"),
            "createBag" => include_str!("../../../tests/golden/requests/createBag.xml"),
            "cancelBag" => include_str!("../../../tests/golden/requests/cancelBag.xml"),
            "createDay" => include_str!("../../../tests/golden/requests/createDay.xml"),
            "cancelDay" => include_str!("../../../tests/golden/requests/cancelDay.xml"),
            "createManifest" => include_str!("../../../tests/golden/requests/createManifest.xml"),
            "modifyManifest" => include_str!("../../../tests/golden/requests/modifyManifest.xml"),
            "cancelManifest" => include_str!("../../../tests/golden/requests/cancelManifest.xml"),
            "getManifest" => include_str!("../../../tests/golden/requests/getManifest.xml"),
            other => panic!("no golden for {other}"),
        }
    }

    /// A writer that accepts at most 7 bytes per call, to prove the staging path handles short writes.
    struct Dribble(Vec<u8>);
    impl Write for Dribble {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(7);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn via_write(req: &Request) -> io::Result<Vec<u8>> {
        let mut out = Dribble(Vec::new());
        write_request(req, &mut out)?;
        Ok(out.0)
    }

    #[test]
    fn golden_requests() {
        let mut commands: Vec<&str> = Vec::new();
        for (command, req) in samples() {
            assert_eq!(req.command().as_str(), command);
            let got = request_to_vec(&req).unwrap();
            let got = String::from_utf8(got).unwrap();
            // Golden files hold the exact bytes; one trailing newline (editors add it) is not part of them.
            let want = golden(command);
            let want = want.strip_suffix('\n').unwrap_or(want);
            assert_eq!(
                got, want,
                "{command}: output differs from tests/golden/requests/{command}.xml"
            );
            assert_eq!(request_len(&req), got.len(), "{command}: request_len");
            assert_eq!(
                via_write(&req).unwrap(),
                got.as_bytes(),
                "{command}: write_request path"
            );
            commands.push(command);
        }
        // Every command with data has a golden.
        let with_data: Vec<&str> = crate::wire::Command::ALL
            .iter()
            .filter(|c| c.has_data())
            .map(|c| c.as_str())
            .collect();
        assert_eq!(commands, with_data);
    }

    #[test]
    fn create_manifest_omits_manifest_id_modify_puts_it_first() {
        let create =
            String::from_utf8(request_to_vec(&Request::CreateManifest(manifest(true))).unwrap())
                .unwrap();
        assert!(!create.contains("<manifestId>"));
        let modify =
            String::from_utf8(request_to_vec(&Request::ModifyManifest(manifest(true))).unwrap())
                .unwrap();
        assert!(modify.contains("<manifest><manifestId>1534646</manifestId><userManifestId>"));
    }

    #[test]
    fn commands_without_data_are_refused() {
        for req in [Request::CloseDay, Request::ReopenDay, Request::GetInfo] {
            let err = request_to_vec(&req).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains(req.command().as_str()));
            assert_eq!(request_len(&req), 0);
        }
    }

    fn item_with_name(name: &str) -> Request {
        let mut item = minimal_item();
        item.consignee.name = Some(name.to_string());
        Request::CreateMailing(vec![item])
    }

    #[test]
    fn escapes() {
        let cases = [
            ("a<b", "a&lt;b"),
            ("Smith & Sons", "Smith &amp; Sons"),
            ("5 > 3", "5 &gt; 3"),
            ("say \"hi\"", "say &quot;hi&quot;"),
            ("O'Brien", "O&apos;Brien"),
            ("]]>", "]]&gt;"),
            ("line1\r\nline2\ttab", "line1&#13;\nline2\ttab"),
            ("emoji 📦🚚", "emoji 📦🚚"),
            ("北京市朝阳区", "北京市朝阳区"),
            ("&amp;", "&amp;amp;"),
            ("\u{FFFD}\u{FFFC}\u{EFFF}", "\u{FFFD}\u{FFFC}\u{EFFF}"),
            ("", ""),
        ];
        for (input, escaped) in cases {
            let xml = String::from_utf8(request_to_vec(&item_with_name(input)).unwrap()).unwrap();
            let want = format!("<consignee><name>{escaped}</name>");
            assert!(xml.contains(&want), "{input:?}: {xml}");
            assert_eq!(escaped_len(input), escaped.len(), "{input:?}");
        }
    }

    #[test]
    fn forbidden_chars_are_found_and_refused_by_the_writer() {
        assert_eq!(forbidden_xml_char("plain text, tab\t, lf\n, cr\r"), None);
        assert_eq!(forbidden_xml_char("ab\u{1}c"), Some((2, '\u{1}')));
        assert_eq!(forbidden_xml_char("é\u{0}"), Some((1, '\u{0}')));
        assert_eq!(forbidden_xml_char("北\u{FFFE}"), Some((1, '\u{FFFE}')));
        assert_eq!(forbidden_xml_char("\u{FFFF}"), Some((0, '\u{FFFF}')));
        assert_eq!(forbidden_xml_char("\u{FFFD}\u{7F}\u{85}"), None);

        let err = request_to_vec(&item_with_name("Jo\u{1B}hn")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let msg = err.to_string();
        assert!(
            msg.contains("<name>") && msg.contains("U+001B") && msg.contains("character 2"),
            "{msg}"
        );
        let err = via_write(&item_with_name("x\u{FFFF}")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        // write_request_to_vec leaves the Vec as it was on error.
        let mut out = b"keep".to_vec();
        assert!(write_request_to_vec(&item_with_name("\u{2}"), &mut out).is_err());
        assert_eq!(out, b"keep");
    }

    /// The text of the first `<name>` element, parsed back with quick-xml.
    fn parse_name_back(xml: &[u8]) -> String {
        let mut r = quick_xml::Reader::from_reader(xml);
        let mut in_name = false;
        let mut text = String::new();
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == b"name" => in_name = true,
                Event::Text(t) if in_name => text.push_str(&t.unescape().unwrap()),
                Event::End(e) if e.name().as_ref() == b"name" => return text,
                Event::Eof => panic!("no <name>"),
                _ => {}
            }
        }
    }

    fn attachment_manifest(image: Vec<u8>, file: Vec<u8>) -> Manifest {
        Manifest {
            image: Some(Attachment {
                name: "scan.tif".into(),
                data: image,
            }),
            file: Some(Attachment {
                name: "list.csv".into(),
                data: file,
            }),
            ..manifest(false)
        }
    }

    /// The decoded bytes of each `<data>` element, in order.
    fn attachments_back(xml: &[u8]) -> Vec<Vec<u8>> {
        let mut r = quick_xml::Reader::from_reader(xml);
        let mut out = Vec::new();
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) if e.name().as_ref() == b"data" => {
                    let text = r.read_text(e.name()).unwrap();
                    out.push(STANDARD.decode(text.as_bytes()).unwrap());
                }
                Event::Eof => return out,
                _ => {}
            }
        }
    }

    fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn attachments_round_trip_at_chunk_boundaries() {
        let c = BASE64_CHUNK;
        for len in [
            0,
            1,
            2,
            3,
            4,
            5,
            c - 1,
            c,
            c + 1,
            2 * c - 1,
            2 * c,
            2 * c + 1,
            3 * c + 2,
        ] {
            let image = pseudo_random(len, len as u64 + 1);
            let file = pseudo_random(len / 2 + 1, len as u64 + 7);
            let req = Request::CreateManifest(attachment_manifest(image.clone(), file.clone()));
            let xml = request_to_vec(&req).unwrap();
            assert_eq!(xml.len(), request_len(&req), "len {len}");
            assert_eq!(
                attachments_back(&xml),
                vec![image.clone(), file.clone()],
                "len {len}"
            );
            assert_eq!(
                via_write(&req).unwrap(),
                xml,
                "len {len}: write_request path"
            );
        }
    }

    fn xml_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-zA-Z0-9 &<>\"'\r\n\t\u{FFFD}\u{EFBF}📦北]{0,40}",
        ]
        .prop_map(|s| s.chars().filter(|&c| !is_forbidden(c)).collect())
    }

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(xml_text())
    }

    prop_compose! {
        fn arb_manifest()(
            modify in any::<bool>(),
            ids in (opt_text(), opt_text()),
            head in (xml_text(), xml_text(), xml_text(), xml_text()),
            image in proptest::option::of((xml_text(), proptest::collection::vec(any::<u8>(), 0..200))),
            file in proptest::option::of((xml_text(), proptest::collection::vec(any::<u8>(), 0..200))),
            alert in opt_text(),
            parts in proptest::collection::vec(
                ((xml_text(), xml_text(), xml_text()), proptest::collection::vec(xml_text(), 0..4)), 0..3),
        ) -> (Manifest, bool) {
            let m = Manifest {
                manifest_id: ids.0,
                user_manifest_id: ids.1,
                manifest_number: head.0,
                shipping_units: head.1,
                user_defined_weight: head.2,
                user_defined_weight_uom: head.3,
                image: image.map(|(name, data)| Attachment { name, data }),
                file: file.map(|(name, data)| Attachment { name, data }),
                alert_email: alert,
                parts: parts.into_iter().map(|((a, b, c), units)| ManifestPart {
                    departure_facility: a,
                    departure_date: b.clone(),
                    arrival_facility: c,
                    arrival_date: b,
                    carrier: "AA".into(),
                    trip_number: "1".into(),
                    units,
                }).collect(),
            };
            (m, modify)
        }
    }

    proptest! {
        #[test]
        fn fast_encoder_matches_the_base64_crate(data in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut out = b"<data>".to_vec();
            encode_base64(&data, &mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), format!("<data>{}", STANDARD.encode(&data)));
        }

        #[test]
        fn text_round_trips_through_quick_xml(s in xml_text()) {
            let xml = request_to_vec(&item_with_name(&s)).unwrap();
            prop_assert_eq!(parse_name_back(&xml), s);
        }

        #[test]
        fn forbidden_chars_are_rejected(
            prefix in xml_text(),
            bad in prop_oneof![(0u32..0x20).prop_filter("allowed", |c| ![9, 10, 13].contains(c)), Just(0xFFFE), Just(0xFFFF)],
            suffix in any::<String>(),
        ) {
            let bad = char::from_u32(bad).unwrap();
            let s = format!("{prefix}{bad}{suffix}");
            prop_assert_eq!(forbidden_xml_char(&s), Some((prefix.chars().count(), bad)));
            prop_assert_eq!(request_to_vec(&item_with_name(&s)).unwrap_err().kind(), io::ErrorKind::InvalidData);
        }

        #[test]
        fn attachments_decode_to_the_original(len in prop_oneof![0usize..10, 49_140usize..49_160, 98_300usize..98_310], seed in any::<u64>()) {
            let image = pseudo_random(len, seed);
            let req = Request::CreateManifest(attachment_manifest(image.clone(), Vec::new()));
            let xml = request_to_vec(&req).unwrap();
            prop_assert_eq!(xml.len(), request_len(&req));
            prop_assert_eq!(attachments_back(&xml), vec![image, Vec::new()]);
        }

        #[test]
        fn manifest_len_is_exact((m, modify) in arb_manifest()) {
            let req = if modify { Request::ModifyManifest(m) } else { Request::CreateManifest(m) };
            let xml = request_to_vec(&req).unwrap();
            prop_assert_eq!(request_len(&req), xml.len());
            prop_assert_eq!(via_write(&req).unwrap(), xml);
        }
    }
}
