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
    let fixed = |d: crate::model::Kg| crate::model::format_fixed(d.0, WEIGHT_SCALE);
    for item in &mawb.items {
        let tn = item
            .tracking_number
            .clone()
            .or_else(|| {
                item.shipper_item_id
                    .as_ref()
                    .and_then(|s| tracking.get(s).cloned())
            })
            .unwrap_or_default();
        let c = &item.consignee;
        let s = |o: &Option<String>| o.as_deref().map(inert).unwrap_or_default();
        for p in &item.products {
            w.write_record([
                number.to_string(),
                tn.clone(),
                s(&item.shipper_item_id),
                s(&item.bag),
                s(&c.name),
                s(&c.company),
                s(&c.address1),
                s(&c.address2),
                s(&c.city),
                s(&c.state),
                s(&c.zip),
                s(&c.country),
                s(&c.phone),
                s(&c.email),
                item.value.map(money).unwrap_or_default(),
                s(&item.currency),
                item.weight.map(fixed).unwrap_or_default(),
                s(&p.description),
                s(&p.hts),
                p.quantity.map(|q| q.to_string()).unwrap_or_default(),
                p.unit_value.map(money).unwrap_or_default(),
                p.value.map(money).unwrap_or_default(),
                p.weight.map(fixed).unwrap_or_default(),
                s(&p.country_of_origin),
                s(&p.sku),
            ])?;
        }
    }
    w.into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// Zips one file (deflate), for a manifest file that would not fit raw.
/// A text cell a spreadsheet will not run as a formula (OWASP "CSV Injection"): a cell starting with `=`,
/// `+`, `-`, `@`, tab or CR gets a leading `'`, and every text cell is quoted (the writer's `NonNumeric`
/// style), so the numbers ACP reads (values, weights, quantities) are written exactly as before.
pub fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

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
