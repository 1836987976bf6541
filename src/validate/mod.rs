//! Validate: ACP's field rules on every item, the MAWB-level rules (`mawb.toml`, the scan), and the
//! batch-wide uniqueness of tracking numbers, shipper item ids and MAWB numbers (`batch`).
//!
//! All rules live in this module and report through [`crate::problem`], whose catalogue gives each a stable
//! code. Items are checked in parallel (rayon); a MAWB with any error is not sendable.

mod batch;
pub mod compliance;
pub use mawb_model::{checkdigit, codes, dates};
pub mod rates;

pub use batch::{check_batch_uniqueness, mawb_number_of, mawb_used_twice};

use crate::acp::wire::label_type;
use crate::ingest::columns::{Field, CONSIGNEE_FIELDS, RETURN_FIELDS, SHIPPER_FIELDS};
use crate::model::*;
use crate::problem::*;
use rates::Rates;
use rayon::prelude::*;
use std::sync::Arc;

/// ACP's limit on the MAWB scan.
pub const IMAGE_LIMIT: u64 = 12_000_000;

/// Options of the validate stage.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// USD rates for the 200/800 USD rules.
    pub rates: Rates,
    /// Denied-party screening: the lists of the flags, the threshold, and the lists `mawb.toml`s name.
    pub screening: Arc<compliance::screening::Screening>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            rates: Rates::builtin(),
            screening: Arc::default(),
        }
    }
}

/// Checks everything about one MAWB that does not need the rest of the batch.
pub fn validate_mawb(mawb: &Mawb, opts: &ValidateOptions) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(img) = &mawb.image {
        if img.size == 0 {
            problems.push(
                Problem::new(
                    &IMAGE_TYPE,
                    img.name.clone(),
                    "the MAWB scan is empty (0 bytes): it was not saved or copied completely; scan the MAWB again",
                )
                .column("image"),
            );
        } else if !img.kind.is_mawb_image() {
            problems.push(
                Problem::new(
                    &IMAGE_TYPE,
                    img.name.clone(),
                    format!("the MAWB scan's content is {}, which ACP does not accept: use PDF, PNG, JPEG, BMP, TIFF, DOC or XLS", img.kind.name()),
                )
                .column("image"),
            );
        }
        if img.size > IMAGE_LIMIT {
            let advice = if img.kind == crate::ingest::filetype::FileKind::Tiff {
                "TIFF scans are often huge: rescan or convert it to PDF"
            } else {
                "rescan at a lower resolution, or as PDF"
            };
            problems.push(
                Problem::new(
                    &IMAGE_SIZE,
                    img.name.clone(),
                    format!(
                        "the MAWB scan is {} bytes; ACP accepts at most {IMAGE_LIMIT}: {advice}",
                        img.size
                    ),
                )
                .column("image"),
            );
        }
    }
    let has_read_file = mawb.files.iter().any(|f| !f.sheets_read.is_empty());
    if mawb.items.is_empty() && has_read_file {
        problems.push(Problem::new(
            &NO_ITEMS,
            mawb.dir.display().to_string(),
            "the spreadsheets hold no mail item",
        ));
    }
    let label = mawb.config.as_ref().map(|c| c.label).unwrap_or(0);
    let policy = compliance::Policy::of(mawb.config.as_ref());
    let file_names: Vec<&str> = mawb.files.iter().map(|f| f.name.as_str()).collect();
    let per_item: Vec<Vec<Problem>> = mawb
        .items
        .par_iter()
        .map(|item| {
            let name = file_names.get(item.origin.file).copied().unwrap_or("?");
            let mut found = validate_item(item, name, label, opts);
            found.extend(compliance::check_item(item, name, policy));
            found
        })
        .collect();
    problems.extend(per_item.into_iter().flatten());
    problems.extend(label_not_applied(mawb, label, &file_names));
    problems.extend(opts.screening.screen_mawb(mawb, &file_names));
    problems
}

/// With `label` other than 0, items that carry a trackingNumber are still registered with label 0 (the
/// number is the carrier's, so ACP makes no label for it); only items without one get the MAWB's label.
/// One warning per sheet names the rows that get no label.
fn label_not_applied(mawb: &Mawb, label: u8, file_names: &[&str]) -> Vec<Problem> {
    if label == 0 {
        return Vec::new();
    }
    let mut by_sheet: std::collections::BTreeMap<(usize, Arc<str>), Vec<u32>> =
        std::collections::BTreeMap::new();
    for item in mawb.items.iter().filter(|i| i.tracking_number.is_some()) {
        by_sheet
            .entry((item.origin.file, item.origin.sheet.clone()))
            .or_default()
            .push(item.row_of(Field::TrackingNumber));
    }
    let labelled = mawb
        .items
        .iter()
        .filter(|i| i.tracking_number.is_none())
        .count();
    let which = if labelled == 0 {
        "no item of this MAWB gets a label".to_string()
    } else {
        format!("only the {labelled} item(s) without a trackingNumber get one")
    };
    by_sheet
        .into_iter()
        .map(|((file, sheet), rows)| {
            let name = file_names.get(file).copied().unwrap_or("?");
            Problem::new(
                &LABEL_NOT_APPLIED,
                name,
                format!(
                    "mawb.toml sets label = {label}, but the item(s) of row(s) {} carry a trackingNumber: they are registered with label 0 and ACP makes no label for them ({which}); to have ACP label them, leave their trackingNumber blank (shipperItemId is then the key), or set label = 0 if they are already labelled",
                    rows_text(&rows, 12)
                ),
            )
            .sheet(&*sheet)
            .column(Field::TrackingNumber.name())
        })
        .collect()
}

struct ItemCheck<'a> {
    item: &'a MailItem,
    file: &'a str,
    problems: Vec<Problem>,
}

impl ItemCheck<'_> {
    fn push(&mut self, rule: &Rule, field: Field, msg: String) {
        let row = self.item.row_of(field);
        self.push_at(rule, field.name(), row, msg);
    }

    fn push_at(&mut self, rule: &Rule, column: &str, row: u32, msg: String) {
        self.problems.push(
            Problem::new(rule, self.file, msg)
                .sheet(&*self.item.origin.sheet)
                .at(row)
                .column(column),
        );
    }

    #[inline]
    fn text(&mut self, field: Field, value: Option<&str>, max: usize) {
        let Some(v) = value else { return };
        // Nearly every text is short enough and plain: it costs two looks, and no call.
        if v.len() > max || may_hold_forbidden_xml(v) {
            self.text_problems(field, v, max);
        }
    }

    /// The rest of [`ItemCheck::text`], for a text that may be too long or hold a forbidden character.
    #[cold]
    fn text_problems(&mut self, field: Field, v: &str, max: usize) {
        if let Some(n) = chars_over(v, max) {
            self.push(
                &TOO_LONG,
                field,
                format!("{} has {n} characters; ACP allows {max}", field.name()),
            );
        }
        // The row is looked up only for a text that may hold such a character.
        if may_hold_forbidden_xml(v) {
            self.xml(field, self.item.row_of(field), v);
        }
    }

    #[inline]
    fn xml(&mut self, field: Field, row: u32, v: &str) {
        if may_hold_forbidden_xml(v) {
            self.xml_problem(field, row, v);
        }
    }

    /// The rest of [`ItemCheck::xml`], for a text that may hold a forbidden character.
    #[cold]
    fn xml_problem(&mut self, field: Field, row: u32, v: &str) {
        if let Some((pos, c)) = crate::acp::request::forbidden_xml_char(v) {
            self.push_at(
                &XML_CHARACTER,
                field.name(),
                row,
                format!("{} holds the control character U+{:04X} at position {}, which XML cannot carry; remove it", field.name(), c as u32, pos + 1),
            );
        }
    }

    fn required(&mut self, field: Field, value: Option<&str>, max: usize) {
        match value {
            None => self.push(&REQUIRED, field, format!("{} is required", field.name())),
            Some(_) => self.text(field, value, max),
        }
    }

    /// The rules of one address group (`consignee`, `shipper`, `return`).
    fn address(&mut self, a: &Address, f: [Field; 10], consignee: bool) {
        if !consignee && !a.is_given() {
            return;
        }
        let [name, company, line1, line2, city, state, zip, country, phone, email] = f;
        let group = if consignee {
            "consignee"
        } else {
            "the shipper/return group (given, so it must be complete)"
        };
        if a.name.is_none() && a.company.is_none() {
            self.push(
                &NAME_OR_COMPANY,
                name,
                format!("{group}: a name or a company is required"),
            );
        }
        self.text(name, a.name.as_deref(), 35);
        self.text(company, a.company.as_deref(), 35);
        self.required(line1, a.address1.as_deref(), 105);
        self.text(line2, a.address2.as_deref(), 105);
        // Counted only when the bytes could exceed the limit: a character is at least one byte.
        let bytes =
            a.address1.as_deref().map_or(0, str::len) + a.address2.as_deref().map_or(0, str::len);
        let together = if bytes > 105 {
            a.address1.as_deref().map_or(0, |s| s.chars().count())
                + a.address2.as_deref().map_or(0, |s| s.chars().count())
        } else {
            bytes
        };
        if together > 105 && a.address1.as_deref().map_or(0, |s| s.chars().count()) <= 105 {
            self.push(
                &ADDRESS_TOO_LONG,
                line2,
                format!(
                    "address lines 1 and 2 together have {together} characters; ACP allows 105"
                ),
            );
        }
        self.required(city, a.city.as_deref(), 35);
        match a.country.as_deref() {
            // Countries without postal codes accept a blank.
            Some(c) if !compliance::address::has_postal_codes(c) => {
                self.text(zip, a.zip.as_deref(), 10)
            }
            _ => self.required(zip, a.zip.as_deref(), 10),
        }
        self.text(phone, a.phone.as_deref(), 20);
        match a.country.as_deref() {
            None => self.push(
                &REQUIRED,
                country,
                format!(
                    "{} is required (ISO 3166-1 alpha-2, e.g. US)",
                    country.name()
                ),
            ),
            Some(c) if !codes::is_country(c) => self.push(
                &COUNTRY,
                country,
                format!("\"{c}\" is not an ISO 3166-1 alpha-2 country code (e.g. US, FR, CN)"),
            ),
            Some(c) => match a.state.as_deref() {
                None if codes::country_requires_state(c) => self.push(
                    &STATE,
                    state,
                    format!("{} is required for {c} addresses", state.name()),
                ),
                Some(s) if !codes::valid_state_for(c, s) => {
                    let what = if s.chars().count() > 2 {
                        "ACP allows 2 characters".to_string()
                    } else {
                        format!("it is not a state code of {c}")
                    };
                    self.push(&STATE, state, format!("state \"{s}\": {what}"))
                }
                _ => {}
            },
        }
        if let (Some(c), Some(z)) = (a.country.as_deref(), a.zip.as_deref()) {
            if let Some(why) = us_zip_problem(c, z) {
                self.push(&ZIP_FORMAT, zip, why);
            }
        }
        if let Some(s) = a.state.as_deref() {
            self.xml(state, self.item.row_of(state), s);
        }
        if let Some(e) = a.email.as_deref() {
            if !codes::is_email(e) {
                self.push(
                    &EMAIL,
                    email,
                    format!("\"{e}\" is not a valid e-mail address"),
                );
            }
        }
    }
}

/// What is wrong with a US or Puerto Rico ZIP code (USPS Publication 28: 5 digits, or ZIP+4 as
/// `12345-6789`); `None` for a good one or another country's postal code.
pub fn us_zip_problem(country: &str, zip: &str) -> Option<String> {
    if !matches!(country, "US" | "PR") || is_us_zip(zip) {
        return None;
    }
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let head = zip.split('-').next().unwrap_or(zip);
    Some(if digits(head, 4) || digits(head, 3) {
        format!(
            "ZIP code \"{zip}\" has {} digits; a {country} ZIP has 5 (or ZIP+4): leading zero lost? A spreadsheet drops it when the column is a number: format the column as Text (or as Special > Zip Code) and re-enter it",
            head.len()
        )
    } else {
        format!("ZIP code \"{zip}\" is not a {country} ZIP: 5 digits, or ZIP+4 as 12345-6789")
    })
}

/// Whether `zip` has the shape of a US ZIP code: 5 digits, or ZIP+4 as `12345-6789`.
pub fn is_us_zip(zip: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match zip.split_once('-') {
        None => digits(zip, 5),
        Some((five, four)) => digits(five, 5) && digits(four, 4),
    }
}

/// The number of characters of `v` when it is more than `max`. A character is at least one byte, so a
/// text of at most `max` bytes (nearly every cell) is not counted.
fn chars_over(v: &str, max: usize) -> Option<usize> {
    if v.len() <= max {
        return None;
    }
    let n = v.chars().count();
    (n > max).then_some(n)
}

/// Whether a text may hold a character XML cannot carry: every such character starts with a byte below
/// 0x20 (the C0 controls) or 0xEF (U+FFFE and U+FFFF). A tab or a line break answers yes too;
/// [`crate::acp::request::forbidden_xml_char`] then looks at the characters. Eight bytes are tested at a
/// time with the word tricks of "Bit Twiddling Hacks" (`hasless`, `haszero`), exact as a yes or no:
/// written by hand because cells are too short for a vector search to pay for its setup. No byte is
/// tested alone: a text shorter than a word is padded with spaces (neither kind of byte), and the bytes
/// after the last whole word are tested as the text's last eight.
fn may_hold_forbidden_xml(v: &str) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |bytes: [u8; 8]| {
        let x = u64::from_le_bytes(bytes);
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let ef = x ^ (ONES * 0xEF);
        let is_ef = ef.wrapping_sub(ONES) & !ef & HIGH;
        below_space | is_ef != 0
    };
    let b = v.as_bytes();
    let Some(last) = b.last_chunk::<8>() else {
        let mut padded = [b' '; 8];
        padded[..b.len()].copy_from_slice(b);
        return word(padded);
    };
    let mut chunks = b.chunks_exact(8);
    for chunk in &mut chunks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(chunk);
        if word(bytes) {
            return true;
        }
    }
    !chunks.remainder().is_empty() && word(*last)
}

/// 10^(12 + scale) for the scales 0 to 8, worked out once: a power computed per amount cost more than
/// the rest of the range check.
const LIMIT_BY_SCALE: [u128; 9] = {
    let mut t = [0u128; 9];
    let mut i = 0;
    while i < 9 {
        t[i] = 10u128.pow(12 + i as u32);
        i += 1;
    }
    t
};

/// Whether a decimal fits what ACP takes: at most 12 digits before the point and 8 after.
fn decimal_in_range(d: Decimal) -> bool {
    // Normalising only drops trailing zeros (the scale can only fall) and the integer part of a value
    // is below 10^12 exactly when the value is: with a scale of 8 or less the value is below 10^12 when
    // its mantissa is below 10^(12 + scale), compared as integers, with no division and no rescaling.
    if d.scale() <= 8 {
        return d.mantissa().unsigned_abs() < LIMIT_BY_SCALE[d.scale() as usize];
    }
    let n = d.normalize();
    n.scale() <= 8 && n.abs().trunc() < Decimal::from(1_000_000_000_000i64)
}

/// ACP's field rules for one item.
pub fn validate_item(
    item: &MailItem,
    file: &str,
    label: u8,
    opts: &ValidateOptions,
) -> Vec<Problem> {
    use Field::*;
    let mut c = ItemCheck {
        item,
        file,
        problems: Vec::new(),
    };
    match item.tracking_number.as_deref() {
        None if label == 0 => c.push(&TRACKING_REQUIRED, TrackingNumber, "trackingNumber is required when the MAWB's label is 0 (no label); set label in mawb.toml to have ACP create labels".into()),
        None => {}
        Some(t) => {
            c.text(TrackingNumber, Some(t), 50);
            if !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
                c.push(
                    &TRACKING_FORMAT,
                    TrackingNumber,
                    format!("trackingNumber \"{t}\" may hold only letters and digits (no spaces, dashes or other signs)"),
                );
            }
        }
    }
    c.text(ShipperItemId, item.shipper_item_id.as_deref(), 50);
    c.text(DisplayItemId, item.display_item_id.as_deref(), 50);
    c.text(Bag, item.bag.as_deref(), 50);
    c.address(&item.consignee, CONSIGNEE_FIELDS, true);
    let none = Address::default();
    c.address(
        item.shipper.as_deref().unwrap_or(&none),
        SHIPPER_FIELDS,
        false,
    );
    c.address(
        item.return_address.as_deref().unwrap_or(&none),
        RETURN_FIELDS,
        false,
    );

    let mut value_usd = None;
    match (item.value, item.currency.as_deref()) {
        (None, _) => c.push(
            &REQUIRED,
            Value,
            "value (the item's total declared value) is required".into(),
        ),
        (Some(v), _) if is_negative(v) => {
            c.push(&NEGATIVE_VALUE, Value, format!("value {v} is negative"))
        }
        _ => {}
    }
    match item.currency.as_deref() {
        None => c.push(
            &REQUIRED,
            Currency,
            "currency is required (ISO 4217, e.g. USD)".into(),
        ),
        Some(cur) if !codes::is_currency(cur) => c.push(
            &CURRENCY,
            Currency,
            format!("\"{cur}\" is not an ISO 4217 currency code"),
        ),
        Some(cur) => {
            if let Some(v) = item.value {
                match opts.rates.to_usd(v, cur) {
                    Some(usd) => value_usd = Some(usd),
                    None => c.push(&UNKNOWN_CURRENCY_RATE, Currency, format!("no USD rate for {cur}: add it to the rates file (--rates) so the 200/800 USD rules apply")),
                }
            }
        }
    }
    match item.weight {
        None => c.push(&REQUIRED, Weight, "weight is required".into()),
        Some(w) if is_not_positive(w.0) => c.push(
            &NOT_POSITIVE,
            Weight,
            format!("weight {} kg (as ACP receives it: kilograms to 3 decimals) must be greater than zero: enter the parcel's weight", w.0),
        ),
        _ => {}
    }
    if let Some(d) = item.dimensions {
        for (f, v) in [(Length, d.length), (Width, d.width), (Height, d.height)] {
            if is_not_positive(v) {
                c.push(
                    &NOT_POSITIVE,
                    f,
                    format!("{} {v} m (as ACP receives it: metres to 3 decimals) must be greater than zero: enter the parcel's size", f.name()),
                );
            }
        }
    }
    for (f, v) in [(Value, item.value), (Weight, item.weight.map(|w| w.0))] {
        if v.is_some_and(|v| !decimal_in_range(v)) {
            c.push(
                &DECIMAL_RANGE,
                f,
                format!(
                    "{} has more than 12 digits before the point or 8 after",
                    f.name()
                ),
            );
        }
    }
    let over_800 = value_usd.is_some_and(|u| u > Decimal::from(800));
    let over_200 = value_usd.is_some_and(|u| u > Decimal::from(200));
    if over_800 && item.consignee.email.is_none() {
        c.push(
            &EMAIL_REQUIRED,
            ConsigneeEmail,
            format!(
                "the item is worth {} USD (over 800): consigneeEmail is required",
                value_usd.map(|u| format_fixed(u, 2)).unwrap_or_default()
            ),
        );
    }

    let mut product_sum = Some(Decimal::ZERO);
    for p in &item.products {
        let row = p.row;
        let at = |c: &mut ItemCheck, rule: &Rule, f: Field, msg: String| {
            c.push_at(rule, f.name(), row, msg)
        };
        match p.description.as_deref() {
            None => at(
                &mut c,
                &REQUIRED,
                ProductDescription,
                "productDescription is required".into(),
            ),
            Some(d) => {
                if let Some(n) = chars_over(d, 300) {
                    at(
                        &mut c,
                        &TOO_LONG,
                        ProductDescription,
                        format!("productDescription has {n} characters; ACP allows 300"),
                    );
                }
                c.xml(ProductDescription, row, d);
            }
        }
        match p.hts.as_deref() {
            None => at(
                &mut c,
                &REQUIRED,
                Hts,
                "hts (harmonization code) is required".into(),
            ),
            Some(h) => {
                if let Some(n) = chars_over(h, 12) {
                    at(
                        &mut c,
                        &TOO_LONG,
                        Hts,
                        format!("hts \"{h}\" has {n} characters; ACP allows 12"),
                    );
                }
                if !h.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    at(
                        &mut c,
                        &HTS_FORMAT,
                        Hts,
                        format!("hts \"{h}\" may hold only digits and dots (e.g. 4901.99.0070)"),
                    );
                }
                c.xml(Hts, row, h);
            }
        }
        if p.quantity.is_none() && !p.quantity_given {
            at(
                &mut c,
                &REQUIRED,
                Quantity,
                "quantity is required (a positive whole number)".into(),
            );
        }
        if let Some(m) = p.manufacturer_code.as_deref() {
            if chars_over(m, 35).is_some() {
                at(
                    &mut c,
                    &TOO_LONG,
                    ManufacturerCode,
                    "manufacturerCode is longer than 35 characters".into(),
                );
            }
            c.xml(ManufacturerCode, row, m);
        }
        if let Some(s) = p.sku.as_deref() {
            c.xml(Sku, row, s);
        }
        if let Some(o) = p.country_of_origin.as_deref() {
            if !codes::is_country(o) {
                at(
                    &mut c,
                    &COUNTRY,
                    CountryOfOrigin,
                    format!("\"{o}\" is not an ISO 3166-1 alpha-2 country code"),
                );
            }
        }
        for (f, v) in [(UnitValue, p.unit_value), (ProductValue, p.value)] {
            if v.is_some_and(|v| !decimal_in_range(v)) {
                at(
                    &mut c,
                    &DECIMAL_RANGE,
                    f,
                    format!(
                        "{} has more than 12 digits before the point or 8 after",
                        f.name()
                    ),
                );
            }
            if v.is_some_and(is_negative) {
                at(
                    &mut c,
                    &NEGATIVE_VALUE,
                    f,
                    format!("{} is negative", f.name()),
                );
            }
        }
        if p.weight.is_some_and(|w| is_not_positive(w.0)) {
            at(
                &mut c,
                &NOT_POSITIVE,
                ProductWeight,
                format!("productWeight {} kg (as ACP receives it: kilograms to 3 decimals) must be greater than zero: enter the product's weight, or leave the cell empty", p.weight.map(|w| w.0).unwrap_or_default()),
            );
        }
        if over_200 && p.unit_value.is_none() && p.value.is_none() {
            at(&mut c, &PRODUCT_VALUE_REQUIRED, UnitValue, format!("the item is worth {} USD (over 200): give unitValue or productValue for every product", value_usd.map(|u| format_fixed(u, 2)).unwrap_or_default()));
        }
        product_sum = match (product_sum, p.total_value()) {
            (Some(s), Some(v)) => Some(s + v),
            _ => None,
        };
    }
    if let (Some(sum), Some(v)) = (product_sum, item.value) {
        if sum != v && !item.products.is_empty() {
            c.push(
                &PRODUCT_VALUE_SUM,
                Value,
                format!("the product values add up to {sum}, but the item value is {v}"),
            );
        }
    }

    if label != 0 && item.tracking_number.is_none() {
        if let Some(t) = label_type(label) {
            if let (Some(max), Some(w)) = (t.max_weight_lb, item.weight) {
                if w.to_lb() > Decimal::from(max) {
                    c.push(
                        &LABEL_WEIGHT_LIMIT,
                        Weight,
                        format!(
                            "{} lb is over the {} lb limit of label {} ({})",
                            format_fixed(w.to_lb(), 2),
                            max,
                            t.code,
                            t.name
                        ),
                    );
                }
            }
            if let (Some(max), Some(v)) = (t.max_value_usd, item.value) {
                let to_china = item.consignee.country.as_deref() == Some("CN");
                let (amount, unit) = if to_china {
                    (
                        opts.rates
                            .convert(v, item.currency.as_deref().unwrap_or("USD"), "CNY"),
                        "CNY",
                    )
                } else {
                    (value_usd, "USD")
                };
                if amount.is_some_and(|a| a > Decimal::from(max)) {
                    c.push(
                        &LABEL_VALUE_LIMIT,
                        Value,
                        format!(
                            "the item is worth more than {max} {unit}, the limit of label {} ({})",
                            t.code, t.name
                        ),
                    );
                }
            }
        }
    }
    c.problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use std::sync::Arc;

    fn good() -> MailItem {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        MailItem {
            tracking_number: Some("1ZWE31190196785492".into()),
            shipper_item_id: Some("S-1".into()),
            consignee: Address {
                name: Some("Ann".into()),
                address1: Some("1 Main St".into()),
                city: Some("Austin".into()),
                state: Some("TX".into()),
                zip: Some("78701".into()),
                country: Some("US".into()),
                ..Default::default()
            },
            value: Some(d("10")),
            currency: Some("USD".into()),
            weight: Some(Kg(d("1.5"))),
            products: vec![Product {
                row: 2,
                description: Some("Book".into()),
                hts: Some("4901.99.0070".into()),
                quantity: Some(1),
                value: Some(d("10")),
                ..Default::default()
            }],
            ..MailItem::at(Origin {
                file: 0,
                sheet: Arc::from("s"),
                row: 2,
            })
        }
    }

    fn codes(item: &MailItem, label: u8) -> Vec<&'static str> {
        validate_item(item, "f.csv", label, &ValidateOptions::default())
            .iter()
            .map(|p| p.code)
            .collect()
    }

    #[test]
    fn a_good_item_has_no_problem() {
        assert!(codes(&good(), 0).is_empty(), "{:?}", codes(&good(), 0));
    }

    #[test]
    fn rejects_tracking_numbers_and_hts_codes_acp_refuses() {
        let mut i = good();
        i.tracking_number = Some("TN-0001".into());
        i.products[0].hts = Some("4901 99".into());
        let c = codes(&i, 0);
        assert!(
            c.contains(&"tracking-format") && c.contains(&"hts-format"),
            "{c:?}"
        );
    }

    #[test]
    fn rejects_values_beyond_acps_precision() {
        let mut i = good();
        i.value = Some(Decimal::from_str("1.123456789").unwrap());
        i.products[0].value = i.value;
        assert!(codes(&i, 0).contains(&"decimal-range"));
    }

    #[test]
    fn expensive_items_need_an_email_and_product_values() {
        let mut i = good();
        i.value = Some(Decimal::from(900));
        i.products[0].value = None;
        let c = codes(&i, 0);
        assert!(
            c.contains(&"email-required") && c.contains(&"product-value-required"),
            "{c:?}"
        );
        i.currency = Some("EUR".into());
        i.value = Some(Decimal::from(700)); // 756 USD: above 200, below 800
        let c = codes(&i, 0);
        assert!(
            !c.contains(&"email-required") && c.contains(&"product-value-required"),
            "{c:?}"
        );
    }

    #[test]
    fn label_weight_limits_apply_to_items_acp_labels() {
        let mut i = good();
        i.tracking_number = None;
        i.weight = Some(Kg(Decimal::from(7))); // 15.4 lb
        assert!(codes(&i, 1).contains(&"label-weight-limit"));
        assert!(!codes(&i, 3).contains(&"label-weight-limit"));
        assert!(codes(&i, 0).contains(&"tracking-required"));
    }

    #[test]
    fn the_range_of_a_decimal_is_the_normalised_ones() {
        let reference = |d: Decimal| {
            let n = d.normalize();
            n.scale() <= 8 && n.abs().trunc() < Decimal::from(1_000_000_000_000i64)
        };
        for t in [
            "0",
            "1.5",
            "-3.25",
            "999999999999",
            "999999999999.99999999",
            "1000000000000",
            "-1000000000000",
            "-999999999999.5",
            "1.123456789",
            "1.123456780",
            "1.1234567800000",
            "0.000000001",
            "0.000000010",
            "1e12",
            "123456789012.00000000000",
            "-999999999999.99999999",
            "1000000000000.00000000",
            "0.00000000",
            "-0.0",
            "79228162514264337593543950335",
            "7922816251426433759354395033.5",
        ] {
            let d = Decimal::from_str(t)
                .or_else(|_| Decimal::from_scientific(t))
                .unwrap();
            assert_eq!(decimal_in_range(d), reference(d), "{t}");
        }
        // At every scale of the table, the last mantissa in range and the first out of it.
        for scale in 0..=8u32 {
            let limit = 10i128.pow(12 + scale);
            for m in [limit - 1, limit, -(limit - 1), -limit] {
                let d = Decimal::from_i128_with_scale(m, scale);
                assert_eq!(decimal_in_range(d), reference(d), "{d}");
                assert_eq!(decimal_in_range(d), m.abs() < limit, "{d}");
            }
        }
    }

    #[test]
    fn us_zip_codes_have_five_digits_or_zip_plus_four() {
        for good in ["02903", "98101", "98101-1234"] {
            assert!(is_us_zip(good), "{good}");
            assert_eq!(us_zip_problem("US", good), None);
        }
        for bad in [
            "2903",
            "981011",
            "98101-123",
            "98101-",
            "-1234",
            "9810A",
            "B3H 1A1",
            "",
        ] {
            assert!(!is_us_zip(bad), "{bad}");
            assert!(us_zip_problem("US", bad).is_some(), "{bad}");
            assert!(us_zip_problem("PR", bad).is_some(), "{bad}");
            // Another country's postal code is not judged here.
            assert_eq!(us_zip_problem("CA", bad), None);
        }
        let lost = us_zip_problem("US", "2903").unwrap_or_default();
        assert!(lost.contains("leading zero lost"), "{lost}");
    }

    #[test]
    fn only_texts_with_a_control_or_an_ef_byte_are_looked_at() {
        assert!(!may_hold_forbidden_xml("Plush toy bear, 30 cm"));
        assert!(!may_hold_forbidden_xml("Café Olé, 김민준"));
        assert!(may_hold_forbidden_xml("a\u{1}b"));
        assert!(may_hold_forbidden_xml("tab\there"));
        assert!(may_hold_forbidden_xml("\u{FFFE}"));
        assert!(!may_hold_forbidden_xml(""));
        // Word by word as byte by byte: every byte value at every place of texts of 1 to 24 bytes.
        let simple = |b: &[u8]| b.iter().any(|&b| b < 0x20 || b == 0xEF);
        for len in 1..=24 {
            for at in 0..len {
                for byte in 0..=0x7Fu8 {
                    let mut t = vec![b'a'; len];
                    t[at] = byte;
                    let s = String::from_utf8(t).expect("ASCII");
                    assert_eq!(may_hold_forbidden_xml(&s), simple(s.as_bytes()), "{s:?}");
                }
                for c in ['é', '\u{FFFE}', '\u{FEFF}', '\u{EFFF}', 'ï', '김'] {
                    let mut s = "a".repeat(len);
                    s.insert(at, c);
                    assert_eq!(may_hold_forbidden_xml(&s), simple(s.as_bytes()), "{s:?}");
                }
            }
        }
        // Every character forbidden_xml_char refuses is seen by the pre-check.
        for c in ('\u{0}'..='\u{1F}').chain(['\u{FFFE}', '\u{FFFF}']) {
            let s = format!("x{c}y");
            if crate::acp::request::forbidden_xml_char(&s).is_some() {
                assert!(may_hold_forbidden_xml(&s), "{:?}", c);
            }
        }
    }
}
