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

/// Writes the CSV (UTF-8, CRLF as Excel expects, every text cell quoted: see `QuotedCsv`). `tracking`
/// supplies the tracking numbers ACP assigned to items registered with a label, keyed by shipperItemId.
/// Built in memory, so it cannot fail.
pub fn write_csv(mawb: &Mawb, tracking: &HashMap<String, String>) -> Vec<u8> {
    let number = mawb
        .config
        .as_ref()
        .map(|c| c.manifest_number.as_str())
        .unwrap_or_default();
    let mut w = QuotedCsv::with_capacity(mawb.items.len() * 256);
    w.record(COLUMNS);
    let fixed = |d: crate::model::Kg| crate::model::format_fixed_text(d.0, WEIGHT_SCALE);
    // Cells are borrowed from the items where they can be; numbers are short inline texts (no allocation).
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
        let (value, weight) = (item.value.map(money), item.weight.map(fixed));
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
            Cow::Borrowed(value.as_deref().unwrap_or_default()),
            text(&item.currency),
            Cow::Borrowed(weight.as_deref().unwrap_or_default()),
        ];
        for p in &item.products {
            let quantity = p
                .quantity
                .map(|q| compact_str::ToCompactString::to_compact_string(&q));
            let (unit_value, value, weight) = (
                p.unit_value.map(money),
                p.value.map(money),
                p.weight.map(fixed),
            );
            let product: [Cow<str>; 8] = [
                text(&p.description),
                text(&p.hts),
                Cow::Borrowed(quantity.as_deref().unwrap_or_default()),
                Cow::Borrowed(unit_value.as_deref().unwrap_or_default()),
                Cow::Borrowed(value.as_deref().unwrap_or_default()),
                Cow::Borrowed(weight.as_deref().unwrap_or_default()),
                text(&p.country_of_origin),
                text(&p.sku),
            ];
            w.record(parcel.iter().chain(&product).map(|c| c.as_ref()));
        }
    }
    w.into_inner()
}

/// CSV as the csv crate writes it with `QuoteStyle::NonNumeric`, `,` and CRLF: a field that reads as a
/// number (Rust's `f64` or `i128` syntax: `65.88`, `02118`, `1e5`, `inf`) is written bare, every other
/// field (the empty one included) between `"` with its `"` doubled. So no text cell reaches a spreadsheet
/// unquoted, and the numbers ACP reads are plain.
///
/// Written here, not with `csv::Writer`, because that writer decides each field by checking it as UTF-8 and
/// parsing it as an `f64` and as an `i128`: 5% of all the work of `mawb prepare`. Here only a field whose
/// first byte can start a number is parsed, with the same two parsers, so every field gets the writer's
/// decision (a property test compares the bytes with the csv crate's for fields of any text).
struct QuotedCsv {
    out: Vec<u8>,
}

impl QuotedCsv {
    fn with_capacity(bytes: usize) -> QuotedCsv {
        QuotedCsv {
            out: Vec::with_capacity(bytes),
        }
    }

    /// Appends one record: its fields, `,` between them, CRLF after.
    fn record<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) {
        for (i, field) in fields.into_iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            if is_number(field) {
                self.out.extend_from_slice(field.as_bytes());
            } else {
                self.out.push(b'"');
                let mut rest = field.as_bytes();
                while let Some(q) = memchr::memchr(b'"', rest) {
                    self.out.extend_from_slice(&rest[..=q]);
                    self.out.push(b'"');
                    rest = &rest[q + 1..];
                }
                self.out.extend_from_slice(rest);
                self.out.push(b'"');
            }
        }
        self.out.extend_from_slice(b"\r\n");
    }

    fn into_inner(self) -> Vec<u8> {
        self.out
    }
}

/// The csv crate's `NonNumeric` test, inverted: the field parses as an `f64` or an `i128`. Both grammars
/// start with a sign, a digit, a `.` or the `i`/`n` of `inf`/`nan` (any case), so other fields are text
/// without a parse. (Scanning the whole field for the characters of a number first cost more than it
/// saved: the parsers stop at the first character that cannot be one.)
fn is_number(field: &str) -> bool {
    matches!(
        field.as_bytes().first(),
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'i' | b'I' | b'n' | b'N')
    ) && (field.parse::<f64>().is_ok() || field.parse::<i128>().is_ok())
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

    /// The csv crate's writer with the style `QuotedCsv` reproduces.
    fn crate_csv(records: &[Vec<String>]) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::NonNumeric)
            .flexible(true)
            .from_writer(Vec::new());
        for r in records {
            w.write_record(r).unwrap();
        }
        w.into_inner().unwrap()
    }

    fn quoted_csv(records: &[Vec<String>]) -> Vec<u8> {
        let mut w = QuotedCsv::with_capacity(0);
        for r in records {
            w.record(r.iter().map(String::as_str));
        }
        w.into_inner()
    }

    /// One record of `fields` through `QuotedCsv`, checked against the csv crate's bytes.
    fn as_the_crate_writes(fields: &[&str]) -> String {
        let r: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        let out = quoted_csv(std::slice::from_ref(&r));
        assert_eq!(out, crate_csv(std::slice::from_ref(&r)));
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_bare_text_quoted_as_the_csv_crate_writes() {
        let out = as_the_crate_writes(&[
            "65.88",
            "02118",
            "",
            "Ann \"Nan\" Lee",
            "a,b",
            "x\r\ny",
            "inf",
            "NaN",
            "-1.5e3",
            "+7",
            ".5",
            "5.",
            "1e",
            "nano",
            "Infinity",
            "1_000",
            " 1",
            "99999999999999999999999999999999999999999",
            "'=1+2",
            "é",
        ]);
        assert_eq!(
            out,
            "65.88,02118,\"\",\"Ann \"\"Nan\"\" Lee\",\"a,b\",\"x\r\ny\",inf,NaN,-1.5e3,+7,.5,5.,\"1e\",\"nano\",Infinity,\"1_000\",\" 1\",99999999999999999999999999999999999999999,\"'=1+2\",\"é\"\r\n"
        );
    }

    #[test]
    fn signed_words_and_sign_runs_are_decided_as_the_csv_crate_decides() {
        let out = as_the_crate_writes(&[
            "-inf",
            "+NaN",
            "-infinity",
            "+Inf",
            "-nan",
            "-info",
            "1-2",
            "1e+5",
            "1E-5",
            "--1",
            "+-1",
            "-",
            "+",
            ".",
            "e5",
            "-e5",
            "1.2.3",
            "0x10",
            "１２",
        ]);
        assert!(out.starts_with("-inf,+NaN,-infinity,+Inf,-nan,\"-info\","));
    }

    proptest::proptest! {
        #[test]
        fn quoted_csv_writes_what_the_csv_crate_writes(
            records in proptest::collection::vec(
                proptest::collection::vec("[0-9.,\"\r\n+eEinfaINFAxé' -]{0,8}", 1..6),
                1..4,
            )
        ) {
            proptest::prop_assert_eq!(quoted_csv(&records), crate_csv(&records));
        }
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
