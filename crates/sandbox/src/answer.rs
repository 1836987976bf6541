//! The sandbox's own answer writer: wire answer types into ACP's XML, element names and order per
//! the ACP Shipper API document.
//!
//! Written by hand into one `String` (no serializer): the output is small, flat and hot (a 500-item
//! createMailing answer per request), and owning every byte keeps it independent of the client's reader.
//! Optional fields are written only when present; `errorType`/`error` only on errors. The `*Info` shapes
//! (`mailItemInfo`, `bagInfo`, `dayInfo`, `manifestInfo`) are written as children of their holder
//! (`conflictMailItem`, getInfo's `mailItem`, getManifest's `manifest`, ...), not wrapped.

use mawb_wire::wire::{
    Address, Answer, BagInfo, BagResult, DayInfo, DayResult, InfoResult, Label, MailItem,
    MailItemInfo, MailItemResult, ManifestInfo, ManifestPartDetail, ManifestResult, Status,
    UnitFailure,
};

/// The XML declaration every answer starts with.
const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Appends `text` XML-escaped. Control characters that XML 1.0 cannot carry (a `&#1;` that arrived in a
/// request, say) become U+FFFD, so every answer stays well-formed.
pub fn escape_into(out: &mut String, text: &str) {
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&apos;",
            b'\t' | b'\n' | b'\r' => continue,
            0..=0x1F => "\u{FFFD}",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn leaf(out: &mut String, name: &str, text: &str) {
    if text.is_empty() {
        out.push('<');
        out.push_str(name);
        out.push_str("/>");
        return;
    }
    open(out, name);
    escape_into(out, text);
    close(out, name);
}

fn opt<T: AsRef<str>>(out: &mut String, name: &str, text: &Option<T>) {
    if let Some(t) = text {
        leaf(out, name, t.as_ref());
    }
}

/// The common error: `<shippingApiResponse><error>…</error></shippingApiResponse>`.
pub fn common_error(message: &str) -> String {
    let mut out = String::with_capacity(DECL.len() + message.len() + 64);
    out.push_str(DECL);
    open(&mut out, "shippingApiResponse");
    leaf(&mut out, "error", message);
    close(&mut out, "shippingApiResponse");
    out
}

/// A whole answer document.
pub fn write_answer(answer: &Answer) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(DECL);
    open(&mut out, "shippingApiResponse");
    match answer {
        Answer::CommonError(message) => leaf(&mut out, "error", message),
        Answer::Mailing(items) => {
            out.reserve(items.len() * 160);
            for item in items {
                mail_item_result(&mut out, item);
            }
        }
        Answer::Bag(bag) => bag_result(&mut out, bag),
        Answer::Day(day) => day_result(&mut out, day),
        Answer::Info(info) => info_result(&mut out, info),
        Answer::Manifest(manifest) => manifest_result(&mut out, manifest),
    }
    close(&mut out, "shippingApiResponse");
    out
}

fn status(out: &mut String, s: &Status) {
    leaf(out, "result", if s.ok { "ok" } else { "error" });
    if !s.ok {
        if let Some(t) = &s.error_type {
            leaf(out, "errorType", t.as_str());
        }
        opt(out, "error", &s.error);
    }
}

fn label(out: &mut String, l: &Option<Label>) {
    if let Some(l) = l {
        opt(out, "labelFormat", &l.format);
        leaf(out, "label", &l.base64);
    }
}

fn mail_item_result(out: &mut String, r: &MailItemResult) {
    open(out, "mailItem");
    status(out, &r.status);
    opt(out, "trackingNumber", &r.tracking_number);
    opt(out, "shipperItemId", &r.shipper_item_id);
    label(out, &r.label);
    opt(out, "destinationBag", &r.destination_bag);
    opt(out, "isDutiable", &r.is_dutiable);
    if let Some(c) = &r.conflict {
        open(out, "conflictMailItem");
        mail_item_info(out, c);
        close(out, "conflictMailItem");
    }
    close(out, "mailItem");
}

fn bag_result(out: &mut String, r: &BagResult) {
    open(out, "bag");
    status(out, &r.status);
    opt(out, "bagId", &r.bag_id);
    opt(out, "shipperBagId", &r.shipper_bag_id);
    label(out, &r.label);
    if let Some(c) = &r.conflict {
        open(out, "conflictBag");
        bag_info(out, c);
        close(out, "conflictBag");
    }
    for item in &r.items {
        mail_item_result(out, item);
    }
    close(out, "bag");
}

fn day_result(out: &mut String, r: &DayResult) {
    open(out, "day");
    status(out, &r.status);
    opt(out, "dayId", &r.day_id);
    opt(out, "shipperDayId", &r.shipper_day_id);
    label(out, &r.label);
    if let Some(c) = &r.conflict {
        open(out, "conflictDay");
        day_info(out, c);
        close(out, "conflictDay");
    }
    for bag in &r.bags {
        bag_result(out, bag);
    }
    for item in &r.items {
        mail_item_result(out, item);
    }
    close(out, "day");
}

fn info_result(out: &mut String, r: &InfoResult) {
    open(out, "info");
    status(out, &r.status);
    for item in &r.items {
        open(out, "mailItem");
        mail_item_info(out, item);
        close(out, "mailItem");
    }
    for bag in &r.bags {
        open(out, "bag");
        bag_info(out, bag);
        close(out, "bag");
    }
    close(out, "info");
}

fn manifest_result(out: &mut String, r: &ManifestResult) {
    open(out, "manifest");
    status(out, &r.status);
    match &r.info {
        // getManifest: manifestInfo's children stand directly in <manifest>, ids included.
        Some(info) => {
            let mut info = info.clone();
            if info.manifest_id.is_none() {
                info.manifest_id.clone_from(&r.manifest_id);
            }
            if info.user_manifest_id.is_none() {
                info.user_manifest_id.clone_from(&r.user_manifest_id);
            }
            manifest_info(out, &info);
        }
        None => {
            opt(out, "manifestId", &r.manifest_id);
            opt(out, "userManifestId", &r.user_manifest_id);
        }
    }
    if let Some(c) = &r.conflict {
        open(out, "conflictManifest");
        manifest_info(out, c);
        close(out, "conflictManifest");
    }
    for unit in &r.units {
        unit_failure(out, unit);
    }
    if let Some(a) = &r.sender_address {
        address(out, "senderAddress", a);
    }
    if let Some(a) = &r.receiver_address {
        address(out, "receiverAddress", a);
    }
    for part in &r.parts {
        manifest_part(out, part);
    }
    close(out, "manifest");
}

fn unit_failure(out: &mut String, u: &UnitFailure) {
    open(out, "unit");
    if let Some(t) = &u.error_type {
        leaf(out, "errorType", t.as_str());
    }
    opt(out, "error", &u.error);
    opt(out, "unitId", &u.unit_id);
    opt(out, "unitType", &u.unit_type);
    if let Some(c) = &u.conflict_item {
        open(out, "conflictMailItem");
        mail_item_info(out, c);
        close(out, "conflictMailItem");
    }
    if let Some(c) = &u.conflict_bag {
        open(out, "conflictBag");
        bag_info(out, c);
        close(out, "conflictBag");
    }
    if let Some(c) = &u.conflict_day {
        open(out, "conflictDay");
        day_info(out, c);
        close(out, "conflictDay");
    }
    close(out, "unit");
}

fn manifest_part(out: &mut String, d: &ManifestPartDetail) {
    let p = &d.part;
    open(out, "manifestPart");
    leaf(out, "departureFacility", &p.departure_facility);
    leaf(out, "departureDate", &p.departure_date);
    leaf(out, "arrivalFacility", &p.arrival_facility);
    leaf(out, "arrivalDate", &p.arrival_date);
    leaf(out, "carrier", &p.carrier);
    leaf(out, "tripNumber", &p.trip_number);
    for unit in &p.units {
        open(out, "unit");
        leaf(out, "unitId", unit);
        close(out, "unit");
    }
    opt(out, "numItems", &d.num_items);
    opt(out, "numBags", &d.num_bags);
    opt(out, "numDays", &d.num_days);
    opt(out, "weight", &d.weight);
    opt(out, "weightUnitOfMeasure", &d.weight_unit);
    for item in &d.items {
        write_mail_item(out, item);
    }
    for bag in &d.bags {
        open(out, "bag");
        bag_info(out, bag);
        close(out, "bag");
    }
    for day in &d.days {
        open(out, "day");
        day_info(out, day);
        close(out, "day");
    }
    close(out, "manifestPart");
}

fn mail_item_info(out: &mut String, i: &MailItemInfo) {
    opt(out, "type", &i.item_type);
    opt(out, "creationDate", &i.creation_date);
    opt(out, "status", &i.status);
    opt(out, "trackingNumber", &i.tracking_number);
    opt(out, "shipperItemId", &i.shipper_item_id);
    opt(out, "displayItemId", &i.display_item_id);
    opt(out, "value", &i.value);
    opt(out, "currency", &i.currency);
    opt(out, "weight", &i.weight);
    opt(out, "weightUnitOfMeasure", &i.weight_unit);
    opt(out, "bagId", &i.bag_id);
    opt(out, "shipperBagId", &i.shipper_bag_id);
}

fn bag_info(out: &mut String, b: &BagInfo) {
    opt(out, "creationDate", &b.creation_date);
    opt(out, "status", &b.status);
    opt(out, "bagId", &b.bag_id);
    opt(out, "shipperBagId", &b.shipper_bag_id);
    opt(out, "comment", &b.comment);
}

fn day_info(out: &mut String, d: &DayInfo) {
    opt(out, "creationDate", &d.creation_date);
    opt(out, "status", &d.status);
    opt(out, "dayId", &d.day_id);
    opt(out, "shipperDayId", &d.shipper_day_id);
}

fn manifest_info(out: &mut String, m: &ManifestInfo) {
    opt(out, "creationDate", &m.creation_date);
    opt(out, "warehouseId", &m.warehouse_id);
    opt(out, "manifestId", &m.manifest_id);
    opt(out, "userManifestId", &m.user_manifest_id);
    opt(out, "manifestNumber", &m.manifest_number);
    opt(out, "senderWarehouseId", &m.sender_warehouse_id);
    opt(out, "receiverWarehouseId", &m.receiver_warehouse_id);
    opt(out, "numItems", &m.num_items);
    opt(out, "numBags", &m.num_bags);
    opt(out, "numDays", &m.num_days);
    opt(out, "numParts", &m.num_parts);
    opt(out, "weight", &m.weight);
    opt(out, "weightUnitOfMeasure", &m.weight_unit);
}

fn address(out: &mut String, name: &str, a: &Address) {
    open(out, name);
    opt(out, "name", &a.name);
    opt(out, "companyName", &a.company_name);
    opt(out, "addressLine1", &a.address_line1);
    opt(out, "addressLine2", &a.address_line2);
    opt(out, "city", &a.city);
    opt(out, "state", &a.state);
    opt(out, "zip", &a.zip);
    opt(out, "country", &a.country);
    opt(out, "phone", &a.phone);
    opt(out, "email", &a.email);
    close(out, name);
}

/// A `<mailItem>` in its request shape: how items are stored, and how getManifest lists them.
pub fn write_mail_item(out: &mut String, m: &MailItem) {
    open(out, "mailItem");
    opt(out, "trackingNumber", &m.tracking_number);
    opt(out, "shipperItemId", &m.shipper_item_id);
    opt(out, "displayItemId", &m.display_item_id);
    address(out, "consignee", &m.consignee);
    if let Some(a) = &m.shipper {
        address(out, "shipper", a);
    }
    if let Some(a) = &m.return_address {
        address(out, "returnAddress", a);
    }
    leaf(out, "value", &m.value);
    leaf(out, "currency", &m.currency);
    leaf(out, "weight", &m.weight);
    leaf(out, "weightUnitOfMeasure", &m.weight_unit);
    if let Some(d) = &m.dimensions {
        open(out, "dimensions");
        leaf(out, "length", &d.length);
        leaf(out, "width", &d.width);
        leaf(out, "height", &d.height);
        leaf(out, "dimensionsUnitOfMeasure", &d.unit);
        close(out, "dimensions");
    }
    for p in &m.products {
        open(out, "product");
        opt(out, "countryOfOrigin", &p.country_of_origin);
        leaf(out, "harmonizationCode", &p.harmonization_code);
        leaf(out, "description", &p.description);
        opt(out, "manufacturerCode", &p.manufacturer_code);
        opt(out, "sku", &p.sku);
        leaf(out, "quantity", &p.quantity);
        opt(out, "unitValue", &p.unit_value);
        opt(out, "value", &p.value);
        opt(out, "weight", &p.weight);
        opt(
            out,
            "priorNoticeFilingNumber",
            &p.prior_notice_filing_number,
        );
        close(out, "product");
    }
    close(out, "mailItem");
}

#[cfg(test)]
mod tests {
    use super::*;
    use mawb_wire::wire::{Address, ErrorType, Product};

    #[test]
    fn escapes_all_five() {
        let mut s = String::new();
        escape_into(&mut s, "a&b<c>d\"e'f\u{1}\tg");
        assert_eq!(s, "a&amp;b&lt;c&gt;d&quot;e&apos;f\u{FFFD}\tg");
    }

    #[test]
    fn common_error_shape() {
        assert_eq!(
            common_error("bad <key>"),
            format!(
                "{DECL}<shippingApiResponse><error>bad &lt;key&gt;</error></shippingApiResponse>"
            )
        );
    }

    #[test]
    fn mailing_answer_order_and_inline_conflict() {
        let a = Answer::Mailing(vec![MailItemResult {
            status: Status::error(ErrorType::Conflict, "exists"),
            tracking_number: Some("1Z".into()),
            conflict: Some(MailItemInfo {
                item_type: Some("Direct".into()),
                tracking_number: Some("1Z".into()),
                ..Default::default()
            }),
            ..Default::default()
        }]);
        let xml = write_answer(&a);
        assert!(xml.ends_with(
            "<shippingApiResponse><mailItem><result>error</result><errorType>conflict</errorType><error>exists</error>\
             <trackingNumber>1Z</trackingNumber><conflictMailItem><type>Direct</type><trackingNumber>1Z</trackingNumber>\
             </conflictMailItem></mailItem></shippingApiResponse>"
        ), "{xml}");
    }

    #[test]
    fn get_manifest_puts_info_inline() {
        let a = Answer::Manifest(ManifestResult {
            status: Status::ok(),
            manifest_id: Some("7".into()),
            info: Some(ManifestInfo {
                num_items: Some("3".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
        let xml = write_answer(&a);
        assert!(xml.contains("<manifest><result>ok</result><manifestId>7</manifestId><numItems>3</numItems></manifest>"), "{xml}");
    }

    #[test]
    fn stored_item_round_trips_through_the_parser() {
        let item = MailItem {
            tracking_number: Some("1ZWE31190196785492".into()),
            consignee: Address {
                name: Some("Ann & Co".into()),
                address_line2: Some(Default::default()),
                ..Default::default()
            },
            value: "1.50".into(),
            currency: "EUR".into(),
            weight: "0.5".into(),
            weight_unit: "kg".into(),
            products: vec![Product {
                description: "Book <used>".into(),
                quantity: "1".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut xml = String::new();
        write_mail_item(&mut xml, &item);
        assert_eq!(super::super::parse::parse_mail_item(&xml).unwrap(), item);
    }
}
