//! ACP's field rules as the sandbox enforces them: every rule of the spec becomes an `invalid` answer
//! with a message that names the field and what is wrong with it.
//!
//! This is the server's own copy of the rules, written from the spec and not shared with the pipeline's
//! `validate` module: the point of the sandbox is to catch the pipeline sending what ACP would refuse.
//! Only the code tables (`validate::codes`) and the check-digit arithmetic (`validate::checkdigit`) are
//! shared, being reference data rather than logic. All problems of one object are reported together,
//! joined by `; `, so a user fixes a spreadsheet row once.
//!
//! Value thresholds are in USD; other currencies are converted with [`USD_RATES`], a small fixed table
//! (coarse on purpose: thresholds are compliance guards). A valid ISO 4217 currency missing from the table
//! counts 1:1, which errs toward asking for more data rather than less.

use std::str::FromStr;

use rust_decimal::Decimal;

use mawb_model::{checkdigit, codes};
use mawb_wire::wire::{self, Address, Attachment, MailItem, Manifest};

/// USD per unit of currency, as `(code, mantissa, scale)`: 1.08 is `("EUR", 108, 2)`.
pub const USD_RATES: &[(&str, i64, u32)] = &[
    ("AED", 27, 2),
    ("AUD", 66, 2),
    ("BRL", 19, 2),
    ("CAD", 73, 2),
    ("CHF", 112, 2),
    ("CNY", 14, 2),
    ("CZK", 43, 3),
    ("DKK", 145, 3),
    ("EUR", 108, 2),
    ("GBP", 127, 2),
    ("HKD", 128, 3),
    ("HUF", 28, 4),
    ("IDR", 63, 6),
    ("ILS", 27, 2),
    ("INR", 12, 3),
    ("JPY", 67, 4),
    ("KRW", 75, 5),
    ("MXN", 55, 3),
    ("MYR", 22, 2),
    ("NOK", 94, 3),
    ("NZD", 61, 2),
    ("PHP", 18, 3),
    ("PLN", 25, 2),
    ("RUB", 11, 3),
    ("SAR", 27, 2),
    ("SEK", 95, 3),
    ("SGD", 74, 2),
    ("THB", 28, 3),
    ("TRY", 31, 3),
    ("TWD", 31, 3),
    ("USD", 1, 0),
    ("VND", 4, 5),
    ("ZAR", 54, 3),
];

/// Pounds per kilogram's inverse: one pound in kilograms, exactly.
const KG_PER_LB: Decimal = Decimal::from_parts(45359237, 0, 0, false, 8);

/// Largest decoded manifest image (MAWB scan), bytes.
pub const MAX_IMAGE_BYTES: usize = 12_000_000;
/// Largest decoded manifest file (HAWB list), bytes.
pub const MAX_FILE_BYTES: usize = 20_000_000;
/// The `data` of createManifest / modifyManifest must be shorter than this, in bytes.
pub const MAX_MANIFEST_DATA_BYTES: usize = 49_999_000;

/// USD per unit of `currency` (1 for currencies outside [`USD_RATES`]).
pub fn usd_rate(currency: &str) -> Decimal {
    match USD_RATES.binary_search_by(|(c, _, _)| (*c).cmp(currency)) {
        Ok(i) => Decimal::new(USD_RATES[i].1, USD_RATES[i].2),
        Err(_) => Decimal::ONE,
    }
}

/// A plain decimal as ACP takes it: digits with an optional fraction, no sign, exponent or spaces; at
/// most 12 digits before the point and 8 after (so sums over any batch stay exact and cannot overflow).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits_ok = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits_ok(int, 12) || frac.is_some_and(|f| !digits_ok(f, 8)) {
        return None;
    }
    Decimal::from_str(text).ok()
}

fn decimal_places(text: &str) -> usize {
    text.split_once('.').map_or(0, |(_, f)| f.len())
}

/// What the rules learned about a valid item, for the answer and the label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    pub value_usd: Decimal,
    pub weight_kg: Decimal,
}

/// Problems of one object, prefixed by where they are.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, message: String) {
        self.0.push(message);
    }

    /// `field` is formatted only when the text is too long (this runs for every field of every item).
    fn max_len(&mut self, field: impl std::fmt::Display, text: Option<&str>, max: usize) {
        if let Some(t) = text {
            let n = t.chars().count();
            if n > max {
                self.add(format!(
                    "{field} is {n} characters long; at most {max} allowed"
                ));
            }
        }
    }

    fn finish<T>(self, ok: T) -> Result<T, String> {
        if self.0.is_empty() {
            Ok(ok)
        } else {
            Err(self.0.join("; "))
        }
    }
}

/// An optional text that is given and not empty (ACP reads an empty element as absent).
pub(crate) fn non_empty<T: AsRef<str>>(o: &Option<T>) -> Option<&str> {
    o.as_ref()
        .map(AsRef::as_ref)
        .filter(|s: &&str| !s.is_empty())
}

/// The `label` codes ACP accepts: exactly those of the shared table, [`wire::LABEL_TYPES`].
pub fn label_known(code: u8) -> bool {
    wire::label_type(code).is_some()
}

/// Checks one createMailing item sent with `label` in a request of `batch_len` items.
pub fn check_mail_item(item: &MailItem, label: u8, batch_len: usize) -> Result<ItemFacts, String> {
    let mut p = Problems::default();
    let tracking = non_empty(&item.tracking_number);
    if label == 0 {
        match tracking {
            None => p.add("trackingNumber is required with label=0".to_string()),
            Some(t) => check_tracking_number(&mut p, t),
        }
    } else {
        if batch_len != 1 {
            p.add(format!(
                "label={label} takes exactly one mailItem per call; this request has {batch_len}"
            ));
        }
        if let Some(t) = tracking {
            p.add(format!(
                "trackingNumber {t} must not be sent with label={label}: ACP assigns it"
            ));
        }
    }
    p.max_len("shipperItemId", item.shipper_item_id.as_deref(), 50);
    p.max_len("displayItemId", item.display_item_id.as_deref(), 50);

    let currency_ok = if item.currency.is_empty() {
        p.add("currency is required".to_string());
        false
    } else if !codes::is_currency(&item.currency) {
        p.add(format!(
            "currency '{}' is not an ISO 4217 currency code",
            item.currency
        ));
        false
    } else {
        true
    };
    let value = if item.value.is_empty() {
        p.add("value is required".to_string());
        None
    } else {
        let v = parse_decimal(&item.value);
        if v.is_none() {
            p.add(format!("value '{}' is not a decimal number", item.value));
        }
        v
    };
    let value_usd = match (value, currency_ok) {
        (Some(v), true) => Some(v * usd_rate(&item.currency)),
        _ => None,
    };
    let weight = if item.weight.is_empty() {
        p.add("weight is required".to_string());
        None
    } else {
        match parse_decimal(&item.weight) {
            Some(w) if w > Decimal::ZERO => Some(w),
            Some(_) => {
                p.add(format!("weight '{}' must be more than 0", item.weight));
                None
            }
            None => {
                p.add(format!("weight '{}' is not a decimal number", item.weight));
                None
            }
        }
    };
    if !item.weight_unit.is_empty() && item.weight_unit != "kg" {
        p.add(format!(
            "weightUnitOfMeasure '{}' must be kg",
            item.weight_unit
        ));
    }
    if let Some(d) = &item.dimensions {
        for (name, v) in [
            ("length", &d.length),
            ("width", &d.width),
            ("height", &d.height),
        ] {
            if parse_decimal(v).is_none() {
                p.add(format!("dimensions/{name} '{v}' is not a decimal number"));
            }
        }
        if !d.unit.is_empty() && d.unit != "m" {
            p.add(format!(
                "dimensions/dimensionsUnitOfMeasure '{}' must be m",
                d.unit
            ));
        }
    }

    let over_800 = value_usd.is_some_and(|v| v > Decimal::from(800));
    check_address(&mut p, "consignee", &item.consignee, true);
    if over_800 && non_empty(&item.consignee.email).is_none() {
        p.add(format!(
            "consignee/email is required when the value is above 800 USD (value {} {})",
            item.value, item.currency
        ));
    }
    if let Some(a) = &item.shipper {
        check_address(&mut p, "shipper", a, false);
    }
    if let Some(a) = &item.return_address {
        check_address(&mut p, "returnAddress", a, false);
    }

    if item.products.is_empty() {
        p.add("at least one product is required".to_string());
    }
    let over_200 = value_usd.is_some_and(|v| v > Decimal::from(200));
    for (i, prod) in item.products.iter().enumerate() {
        let at = |f: &str| format!("product {}/{f}", i + 1);
        if prod.harmonization_code.is_empty() {
            p.add(format!("{} is required", at("harmonizationCode")));
        } else if !prod
            .harmonization_code
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.')
        {
            p.add(format!(
                "{} '{}' may hold only digits and dots",
                at("harmonizationCode"),
                prod.harmonization_code
            ));
        }
        p.max_len(
            format_args!("product {}/harmonizationCode", i + 1),
            Some(&prod.harmonization_code),
            12,
        );
        if prod.description.is_empty() {
            p.add(format!("{} is required", at("description")));
        }
        p.max_len(
            format_args!("product {}/description", i + 1),
            Some(&prod.description),
            300,
        );
        let q = &prod.quantity;
        if q.is_empty() {
            p.add(format!("{} is required", at("quantity")));
        } else if q.len() > 9
            || !q.bytes().all(|b| b.is_ascii_digit())
            || q.bytes().all(|b| b == b'0')
        {
            p.add(format!(
                "{} '{q}' is not a positive whole number",
                at("quantity")
            ));
        }
        for (name, v) in [
            ("unitValue", &prod.unit_value),
            ("value", &prod.value),
            ("weight", &prod.weight),
        ] {
            if let Some(v) = non_empty(v) {
                if parse_decimal(v).is_none() {
                    p.add(format!("{} '{v}' is not a decimal number", at(name)));
                }
            }
        }
        if over_200 && non_empty(&prod.unit_value).is_none() && non_empty(&prod.value).is_none() {
            p.add(format!(
                "{} or value is required when the item value is above 200 USD (value {} {})",
                at("unitValue"),
                item.value,
                item.currency
            ));
        }
        p.max_len(
            format_args!("product {}/manufacturerCode", i + 1),
            prod.manufacturer_code.as_deref(),
            35,
        );
        p.max_len(
            format_args!("product {}/priorNoticeFilingNumber", i + 1),
            prod.prior_notice_filing_number.as_deref(),
            12,
        );
        if let Some(c) = non_empty(&prod.country_of_origin) {
            if !codes::is_country(c) {
                p.add(format!(
                    "{} '{c}' is not an ISO 3166-1 alpha-2 country code",
                    at("countryOfOrigin")
                ));
            }
        }
    }

    if let (Some(w), Some(t)) = (weight, wire::label_type(label)) {
        if let Some(max_lb) = t.max_weight_lb {
            let max_kg = Decimal::from(max_lb) * KG_PER_LB;
            if w > max_kg {
                p.add(format!(
                    "weight {} kg ({} lb) is above the {max_lb} lb limit of label {label} ({})",
                    item.weight,
                    (w / KG_PER_LB).round_dp(2),
                    t.name
                ));
            }
        }
        if let (Some(max_usd), Some(v)) = (t.max_value_usd, value_usd) {
            let to_china = item.consignee.country.as_deref() == Some("CN");
            let limit = if to_china {
                Decimal::from(max_usd) * usd_rate("CNY")
            } else {
                Decimal::from(max_usd)
            };
            if v > limit {
                let unit = if to_china { "CNY" } else { "USD" };
                p.add(format!(
                    "value {} {} is above the {max_usd} {unit} limit of label {label} ({})",
                    item.value, item.currency, t.name
                ));
            }
        }
    }
    let facts = ItemFacts {
        value_usd: value_usd.unwrap_or_default(),
        weight_kg: weight.unwrap_or_default(),
    };
    p.finish(facts)
}

fn check_tracking_number(p: &mut Problems, t: &str) {
    if t.chars().count() > 50 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
        p.add(format!(
            "trackingNumber '{t}' must be 1 to 50 letters and digits"
        ));
    } else if checkdigit::is_ups_tracking_number(&t.to_ascii_uppercase())
        && !checkdigit::ups_tracking_number_valid(t)
    {
        let expected = checkdigit::ups_check_digit(&t.as_bytes()[2..17].to_ascii_uppercase());
        match expected {
            Some(d) => p.add(format!(
                "trackingNumber {t}: wrong UPS check digit, expected {d}"
            )),
            None => p.add(format!("trackingNumber {t} is not a valid UPS 1Z number")),
        }
    }
}

fn check_address(p: &mut Problems, at: &str, a: &Address, consignee: bool) {
    let name = non_empty(&a.name);
    let company = non_empty(&a.company_name);
    if name.is_none() && company.is_none() {
        p.add(format!("{at}/name or {at}/companyName is required"));
    }
    p.max_len(format_args!("{at}/name"), name, 35);
    p.max_len(format_args!("{at}/companyName"), company, 35);
    let line1 = non_empty(&a.address_line1);
    if line1.is_none() {
        p.add(format!("{at}/addressLine1 is required"));
    }
    let lines = line1.map_or(0, |l| l.chars().count())
        + a.address_line2.as_deref().map_or(0, |l| l.chars().count());
    if lines > 105 {
        p.add(format!("{at}/addressLine1 and addressLine2 are {lines} characters together; at most 105 allowed"));
    }
    match non_empty(&a.city) {
        None if consignee => p.add(format!("{at}/city is required")),
        c => p.max_len(format_args!("{at}/city"), c, 35),
    }
    let country = non_empty(&a.country);
    match country {
        None => p.add(format!("{at}/country is required")),
        Some(c) if !codes::is_country(c) => p.add(format!(
            "{at}/country '{c}' is not an ISO 3166-1 alpha-2 country code"
        )),
        Some(_) => {}
    }
    let state = a.state.as_deref().unwrap_or("");
    p.max_len(format_args!("{at}/state"), Some(state), 2);
    if let Some(c) = country {
        if state.chars().count() <= 2 && !codes::valid_state_for(c, state) {
            let what = if c == "US" {
                "a US state code"
            } else {
                "a Canadian province code"
            };
            if state.is_empty() {
                p.add(format!("{at}/state is required for country {c}"));
            } else {
                p.add(format!("{at}/state '{state}' is not {what}"));
            }
        }
        if matches!(c, "US" | "CA") && non_empty(&a.zip).is_none() {
            p.add(format!("{at}/zip is required for country {c}"));
        }
    }
    p.max_len(format_args!("{at}/zip"), a.zip.as_deref(), 10);
    p.max_len(format_args!("{at}/phone"), a.phone.as_deref(), 20);
    if let Some(e) = non_empty(&a.email) {
        if !codes::is_email(e) {
            p.add(format!("{at}/email '{e}' is not an e-mail address"));
        }
    }
}

/// The sort airport for a consignee: by the first digit of a US zip (0-3 JFK, 4-7 ORD, 8-9 LAX); JFK
/// for everything else.
pub fn destination_bag(consignee: &Address) -> &'static str {
    if consignee.country.as_deref() != Some("US") {
        return "JFK";
    }
    match consignee.zip.as_deref().and_then(|z| z.bytes().next()) {
        Some(b'4'..=b'7') => "ORD",
        Some(b'8'..=b'9') => "LAX",
        _ => "JFK",
    }
}

/// `yes` above the 800 USD de minimis, `no` otherwise.
pub fn is_dutiable(value_usd: Decimal) -> &'static str {
    if value_usd > Decimal::from(800) {
        "yes"
    } else {
        "no"
    }
}

/// A manifest part date, `yyyy-mm-ddThh:mm:ss[(+|-)hh:mm]` (no offset: GMT), as UTC seconds.
pub fn parse_part_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    if !shape {
        return None;
    }
    let local = chrono::NaiveDateTime::parse_from_str(&text[..19], "%Y-%m-%dT%H:%M:%S").ok()?;
    let offset_s = match &b[19..] {
        [] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]
            if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) =>
        {
            let h = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let m = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if h > 14 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if *sign == b'-' {
                -s
            } else {
                s
            }
        }
        _ => return None,
    };
    Some(local.and_utc().timestamp() - offset_s)
}

/// What the magic bytes say an attachment is.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "PDF"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\xFF\xD8\xFF", "JPEG"),
        (b"II*\0", "TIFF"),
        (b"MM\0*", "TIFF"),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "OLE2"),
        (b"PK\x03\x04", "ZIP"),
        (b"BM", "BMP"),
    ];
    MAGIC
        .iter()
        .find(|(m, _)| data.starts_with(m))
        .map(|(_, t)| *t)
}

/// The type of an acceptable manifest image, or why it is not acceptable.
pub fn check_image(a: &Attachment) -> Result<&'static str, String> {
    let mut p = Problems::default();
    check_attachment_name(&mut p, "manifestImage", a);
    let kind = sniff(&a.data);
    if a.data.is_empty() {
        p.add("manifestImage/data is empty".to_string());
    } else if a.data.len() > MAX_IMAGE_BYTES {
        p.add(format!(
            "manifestImage is {} bytes decoded; at most {MAX_IMAGE_BYTES} allowed",
            a.data.len()
        ));
    } else if !matches!(kind, Some("PDF" | "PNG" | "JPEG" | "BMP" | "TIFF" | "OLE2")) {
        p.add(format!(
            "manifestImage is {}; ACP takes PDF, PNG, JPEG, BMP, TIFF, DOC or XLS (checked by content)",
            kind.unwrap_or("of an unknown type")
        ));
    }
    p.finish(kind.unwrap_or(""))
}

/// The type of an acceptable manifest file (CSV/text, XLS/DOC, or a ZIP of those), or why not.
pub fn check_file(a: &Attachment) -> Result<&'static str, String> {
    let mut p = Problems::default();
    check_attachment_name(&mut p, "manifestFile", a);
    let mut kind = "CSV";
    if a.data.is_empty() {
        p.add("manifestFile/data is empty".to_string());
    } else if a.data.len() > MAX_FILE_BYTES {
        p.add(format!(
            "manifestFile is {} bytes decoded; at most {MAX_FILE_BYTES} allowed",
            a.data.len()
        ));
    } else {
        match sniff(&a.data) {
            Some("OLE2") => kind = "OLE2",
            Some("ZIP") => {
                kind = "ZIP";
                if let Err(e) = check_zip(&a.data) {
                    p.add(e);
                }
            }
            Some(other) => p.add(format!("manifestFile is {other}; ACP takes XLS, CSV, DOC or a ZIP of those")),
            None if a.data.contains(&0) => p.add(
                "manifestFile is binary but neither XLS, DOC nor ZIP; ACP takes XLS, CSV, DOC or a ZIP of those"
                    .to_string(),
            ),
            None => {}
        }
    }
    p.finish(kind)
}

fn check_zip(data: &[u8]) -> Result<(), String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(data))
        .map_err(|e| format!("manifestFile is not a readable ZIP archive: {e}"))?;
    let names: Vec<&str> = archive.file_names().collect();
    if names
        .iter()
        .any(|n| *n == "[Content_Types].xml" || n.starts_with("xl/"))
    {
        return Err(
            "manifestFile is an XLSX workbook; ACP takes XLS, CSV, DOC or a ZIP of those"
                .to_string(),
        );
    }
    let files: Vec<&&str> = names.iter().filter(|n| !n.ends_with('/')).collect();
    if files.is_empty() {
        return Err("manifestFile is an empty ZIP archive".to_string());
    }
    for n in files {
        let lower = n.to_ascii_lowercase();
        if ![".csv", ".txt", ".xls", ".doc"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        {
            return Err(format!(
                "manifestFile ZIP entry '{n}' is not an XLS, CSV or DOC file"
            ));
        }
    }
    Ok(())
}

fn check_attachment_name(p: &mut Problems, what: &str, a: &Attachment) {
    if a.name.is_empty() {
        p.add(format!("{what}/name is required"));
    }
    p.max_len(format_args!("{what}/name"), Some(&a.name), 128);
}

/// Checks the fields of a createManifest / modifyManifest request (units are resolved against state
/// later). `notes` are the parser's attachment problems.
pub fn check_manifest(m: &Manifest, modify: bool, notes: &[String]) -> Result<(), String> {
    let mut p = Problems::default();
    for n in notes {
        p.add(n.clone());
    }
    if modify {
        match non_empty(&m.manifest_id) {
            None => p.add("manifestId is required by modifyManifest".to_string()),
            Some(id) if !id.bytes().all(|b| b.is_ascii_digit()) => {
                p.add(format!("manifestId '{id}' is not a number"))
            }
            Some(_) => {}
        }
    }
    p.max_len("userManifestId", m.user_manifest_id.as_deref(), 50);
    if m.manifest_number.is_empty() {
        p.add("manifestNumber is required".to_string());
    } else {
        match checkdigit::parse_mawb_number(&m.manifest_number) {
            Ok(_) => {}
            Err(checkdigit::MawbNumberError::Shape) => p.add(format!(
                "manifestNumber '{}' is not a 3-digit prefix and 8 digits (e.g. 112-44995451)",
                m.manifest_number
            )),
            Err(checkdigit::MawbNumberError::CheckDigit { expected, found }) => p.add(format!(
                "manifestNumber {}: check digit {found} is wrong, the serial modulo 7 is {expected}",
                m.manifest_number
            )),
        }
    }
    let su = &m.shipping_units;
    if su.is_empty() {
        p.add("shippingUnits is required".to_string());
    } else if su.len() > 9 || !su.bytes().all(|b| b.is_ascii_digit()) {
        p.add(format!("shippingUnits '{su}' is not a whole number"));
    }
    let w = &m.user_defined_weight;
    match parse_decimal(w) {
        _ if w.is_empty() => p.add("userDefinedWeight is required".to_string()),
        None => p.add(format!("userDefinedWeight '{w}' is not a decimal number")),
        Some(d) if d <= Decimal::ZERO => {
            p.add(format!("userDefinedWeight '{w}' must be more than 0"))
        }
        Some(_) if decimal_places(w) > 3 => {
            p.add(format!("userDefinedWeight '{w}' has more than 3 decimals"))
        }
        Some(_) => {}
    }
    if !matches!(m.user_defined_weight_uom.as_str(), "kg" | "lb") {
        p.add(format!(
            "userDefinedWeightUOM '{}' must be kg or lb",
            m.user_defined_weight_uom
        ));
    }
    if let Some(a) = &m.image {
        if let Err(e) = check_image(a) {
            p.add(e);
        }
    }
    if let Some(a) = &m.file {
        if let Err(e) = check_file(a) {
            p.add(e);
        }
    }
    if let Some(e) = non_empty(&m.alert_email) {
        if !codes::is_email(e) {
            p.add(format!("alertEmail '{e}' is not an e-mail address"));
        }
    }
    if m.parts.is_empty() {
        p.add("at least one manifestPart is required".to_string());
    }
    for (i, part) in m.parts.iter().enumerate() {
        let at = format!("manifestPart {}", i + 1);
        for (name, v) in [
            ("departureFacility", &part.departure_facility),
            ("arrivalFacility", &part.arrival_facility),
        ] {
            if !codes::is_iata_airport(v) {
                p.add(format!(
                    "{at}/{name} '{v}' is not a 3-letter IATA airport code"
                ));
            }
        }
        let dep = parse_part_date(&part.departure_date);
        let arr = parse_part_date(&part.arrival_date);
        for (name, v, parsed) in [
            ("departureDate", &part.departure_date, dep),
            ("arrivalDate", &part.arrival_date, arr),
        ] {
            if parsed.is_none() {
                p.add(format!("{at}/{name} '{v}' is not yyyy-mm-ddThh:mm:ss with an optional +hh:mm or -hh:mm"));
            }
        }
        if let (Some(d), Some(a)) = (dep, arr) {
            if a < d {
                p.add(format!(
                    "{at}: arrivalDate {} is before departureDate {}",
                    part.arrival_date, part.departure_date
                ));
            }
        }
        let c = &part.carrier;
        if !(2..=3).contains(&c.len())
            || !c
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            p.add(format!(
                "{at}/carrier '{c}' is not a 2- or 3-character airline code"
            ));
        }
        let t = &part.trip_number;
        if t.is_empty() {
            p.add(format!("{at}/tripNumber is required"));
        } else if t.len() > 10 || !t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            p.add(format!(
                "{at}/tripNumber '{t}' must be 1 to 10 letters and digits"
            ));
        }
        if part.units.is_empty() {
            p.add(format!("{at} has no unit"));
        }
        if part.units.iter().any(String::is_empty) {
            p.add(format!("{at} has an empty unit/unitId"));
        }
    }
    p.finish(())
}

#[cfg(test)]
mod tests;
