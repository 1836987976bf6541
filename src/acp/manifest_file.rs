//! The `manifestFile` attached to createManifest: every HAWB of the MAWB, generated from the validated
//! items (not copied from the warehouse's files, since ACP accepts XLS, CSV, DOC or a zip of those, not
//! xlsx, and the values must be the ones actually registered).
//!
//! Columns (one row per product line, documented in README "The manifest file"):
//! `mawb, trackingNumber, shipperItemId, bag, consigneeName, consigneeCompany, consigneeAddress1,
//! consigneeAddress2, consigneeCity, consigneeState, consigneeZip, consigneeCountry, consigneePhone,
//! consigneeEmail, itemValue, currency, itemWeightKg, productDescription, hts, quantity, unitValue,
//! productValue, productWeightKg, countryOfOrigin, sku`.

use super::convert::money;
use crate::model::{Mawb, WEIGHT_SCALE};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

/// The header row of the manifest file.
pub const COLUMNS: [&str; 25] = [
    "mawb",
    "trackingNumber",
    "shipperItemId",
    "bag",
    "consigneeName",
    "consigneeCompany",
    "consigneeAddress1",
    "consigneeAddress2",
    "consigneeCity",
    "consigneeState",
    "consigneeZip",
    "consigneeCountry",
    "consigneePhone",
    "consigneeEmail",
    "itemValue",
    "currency",
    "itemWeightKg",
    "productDescription",
    "hts",
    "quantity",
    "unitValue",
    "productValue",
    "productWeightKg",
    "countryOfOrigin",
    "sku",
];

/// Writes the CSV (UTF-8, CRLF as Excel expects, quoted where needed). `tracking` supplies the tracking
/// numbers ACP assigned to items registered with a label, keyed by shipperItemId.
pub fn write_csv(mawb: &Mawb, tracking: &HashMap<String, String>) -> std::io::Result<Vec<u8>> {
    let number = mawb
        .config
        .as_ref()
        .map(|c| c.manifest_number.as_str())
        .unwrap_or_default();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::NonNumeric)
        .from_writer(Vec::with_capacity(mawb.items.len() * 256));
    w.write_record(COLUMNS)?;
    let fixed = |d: crate::model::Kg| Cow::Owned(crate::model::format_fixed(d.0, WEIGHT_SCALE));
    let money = |d: rust_decimal::Decimal| Cow::Owned(money(d).into_string());
    // Cells are borrowed from the items where they can be: one allocation per number, not per cell.
    for item in &mawb.items {
        let tn = item
            .tracking_number
            .as_deref()
            .or_else(|| {
                item.shipper_item_id
                    .as_ref()
                    .and_then(|s| tracking.get(s.as_str()).map(String::as_str))
            })
            .unwrap_or_default();
        let c = &item.consignee;
        let parcel: [Cow<str>; 17] = [
            Cow::Borrowed(number),
            Cow::Borrowed(tn),
            text(&item.shipper_item_id),
            text(&item.bag),
            text(&c.name),
            text(&c.company),
            text(&c.address1),
            text(&c.address2),
            text(&c.city),
            text(&c.state),
            text(&c.zip),
            text(&c.country),
            text(&c.phone),
            text(&c.email),
            item.value.map(money).unwrap_or_default(),
            text(&item.currency),
            item.weight.map(fixed).unwrap_or_default(),
        ];
        for p in &item.products {
            let product: [Cow<str>; 8] = [
                text(&p.description),
                text(&p.hts),
                p.quantity
                    .map(|q| Cow::Owned(q.to_string()))
                    .unwrap_or_default(),
                p.unit_value.map(money).unwrap_or_default(),
                p.value.map(money).unwrap_or_default(),
                p.weight.map(fixed).unwrap_or_default(),
                text(&p.country_of_origin),
                text(&p.sku),
            ];
            w.write_record(parcel.iter().chain(&product).map(|c| c.as_bytes()))?;
        }
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// A text cell a spreadsheet will not run as a formula (OWASP "CSV Injection"): a cell starting with `=`,
/// `+`, `-`, `@`, tab or CR gets a leading `'`, and every text cell is quoted (the writer's `NonNumeric`
/// style), so the numbers ACP reads (values, weights, quantities) are written exactly as before.
pub fn inert(text: &str) -> String {
    inert_cow(text).into_owned()
}

/// An optional text cell, [`inert`]; empty when `None`.
fn text(cell: &Option<crate::model::Text>) -> Cow<'_, str> {
    cell.as_deref().map(inert_cow).unwrap_or_default()
}

/// [`inert`], borrowing the text when it needs no `'`.
fn inert_cow(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Zips one file (deflate), for a manifest file that would not fit raw.
pub fn zip_one(name: &str, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::with_capacity(
        bytes.len() / 4 + 1024,
    )));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(bytes.len() as u64 >= u32::MAX as u64);
    zw.start_file(name, opts).map_err(std::io::Error::other)?;
    zw.write_all(bytes)?;
    let cursor = zw.finish().map_err(std::io::Error::other)?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cells_cannot_run_as_formulas() {
        assert_eq!(inert("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("+1 555"), "'+1 555");
        assert_eq!(inert("-x"), "'-x");
        assert_eq!(inert("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(inert("\tx"), "'\tx");
        assert_eq!(inert("02118"), "02118");
        assert_eq!(inert("Ann Lee"), "Ann Lee");
    }

    #[test]
    fn zipped_file_unzips_to_the_same_bytes() {
        let data = b"mawb,trackingNumber\r\n112-44995451,1Z\r\n".repeat(1000);
        let z = zip_one("m.csv", &data).unwrap();
        assert!(z.len() < data.len() / 10);
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(z)).unwrap();
        let mut f = a.by_name("m.csv").unwrap();
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut back).unwrap();
        assert_eq!(back, data);
    }
}
