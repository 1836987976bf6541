//! The domain every stage shares: a MAWB (its `mawb.toml`, image and HAWB files) and the mail items, products,
//! addresses, bags and legs read from it.
//!
//! Values are typed and already normalised by ingest: weights are exact decimals in kilograms rounded to
//! grams (what ACP receives), dimensions in metres, money as exact decimals with its currency. Nothing here
//! is a float, so totals never show artefacts such as `0.30000000000000004`.

pub mod checkdigit;
pub mod codes;
pub mod dates;
pub mod field;
pub mod filetype;
pub mod label;

use rust_decimal::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;

pub use rust_decimal::Decimal;

/// A cell's text as an item keeps it: stored inline up to 24 bytes (most codes, names, cities, zips,
/// tracking numbers), on the heap beyond, so reading an item does not allocate once per short cell.
pub type Text = compact_str::CompactString;

/// Pounds to kilograms, exactly (the international avoirdupois pound).
pub const KG_PER_LB: Decimal = Decimal::from_parts(45359237, 0, 0, false, 8);

/// Decimals kept for weights in kg (ACP: `12.345`) and dimensions in m.
pub const WEIGHT_SCALE: u32 = 3;

/// Whether `d < 0`, read from its sign and digits: `Decimal`'s comparison lines up both sides' scales
/// first (about 45 instructions a call against a few here), and the rules compare most amounts with zero.
/// A negative zero is not negative.
pub fn is_negative(d: Decimal) -> bool {
    d.is_sign_negative() && !d.is_zero()
}

/// Whether `d <= 0`, read the same way as [`is_negative`].
pub fn is_not_positive(d: Decimal) -> bool {
    d.is_sign_negative() || d.is_zero()
}

/// Rounds a weight or dimension the way ACP receives it: 3 decimals, half away from zero.
pub fn round3(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(WEIGHT_SCALE, RoundingStrategy::MidpointAwayFromZero)
}

/// A weight in kilograms, 3 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Kg(pub Decimal);

impl Kg {
    /// Converts a weight in the given unit, rounded to grams.
    pub fn from_unit(value: Decimal, unit: WeightUnit) -> Kg {
        match unit {
            WeightUnit::Kg => Kg(round3(value)),
            WeightUnit::Lb => Kg(round3(value * KG_PER_LB)),
        }
    }

    /// This weight in pounds (exact quotient, not rounded).
    pub fn to_lb(self) -> Decimal {
        self.0 / KG_PER_LB
    }

    /// The weight as ACP writes it: always 3 decimals (`1.125`, `56.000`).
    pub fn to_wire(self) -> Text {
        format_fixed_text(self.0, WEIGHT_SCALE)
    }
}

/// Formats a decimal with exactly `dp` decimals (rounded half away from zero).
pub fn format_fixed(d: Decimal, dp: u32) -> String {
    decimal_text(fixed(d, dp)).into_string()
}

/// [`format_fixed`] as a [`Text`]: no allocation for the short numbers of a request.
pub fn format_fixed_text(d: Decimal, dp: u32) -> Text {
    decimal_text(fixed(d, dp))
}

/// `d` exactly as `Decimal`'s `Display` writes it: every digit of its scale (`1.500`), a `-` before any
/// negative value (a zero whose sign is negative included), no exponent. Written without the formatting
/// machinery, which took more than twice the instructions, for the numbers of every request (weights,
/// values, dimensions); a property test compares it with `Display` over mantissas and scales of every
/// size.
pub fn decimal_text(d: Decimal) -> Text {
    let mut buffer = itoa::Buffer::new();
    // ASCII digits: every byte index is a character boundary.
    let digits = buffer.format(d.mantissa().unsigned_abs());
    let scale = d.scale() as usize;
    let mut out = Text::with_capacity(digits.len().max(scale + 1) + 2);
    if d.is_sign_negative() {
        out.push('-');
    }
    if scale == 0 {
        out.push_str(digits);
    } else if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    } else {
        out.push_str("0.");
        for _ in digits.len()..scale {
            out.push('0');
        }
        out.push_str(digits);
    }
    out
}

/// A decimal written plainly, `48`, `0.811` or `007.50`: digits with at most one dot between digits, 18
/// digits at most. `Some` with exactly the value and scale `Decimal`'s `FromStr` reads from it (`007.50` is
/// 7.50, scale 2); `None` for any other text (a sign, an exponent, a leading or trailing dot, more digits),
/// which the caller reads with `FromStr`. Almost every number cell of a HAWB file is plain, and this reads
/// one in about half the instructions `FromStr` takes (about 70 against 150 for the cells of a sample
/// batch, measured with valgrind); a property test compares the two.
pub fn plain_decimal(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    // 18 digits and a dot at most; a dot first or last is not plain.
    if bytes.is_empty() || bytes.len() > 19 || bytes[0] == b'.' || bytes[bytes.len() - 1] == b'.' {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut dot = None;
    for (i, &b) in bytes.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            // At most 18 digits (19 bytes hold 19 digits only without a dot, refused below): below
            // 10^19 < u64::MAX, no overflow.
            mantissa = mantissa * 10 + u64::from(digit);
        } else if b == b'.' && dot.is_none() {
            dot = Some(i);
        } else {
            return None;
        }
    }
    let scale = match dot {
        Some(at) => (bytes.len() - at - 1) as u32,
        None if bytes.len() == 19 => return None,
        None => 0,
    };
    // Below 10^18: fits the low 64 bits of the 96-bit mantissa.
    Some(Decimal::from_parts(
        mantissa as u32,
        (mantissa >> 32) as u32,
        0,
        false,
        scale,
    ))
}

/// `d` rounded half away from zero to exactly `dp` decimals.
fn fixed(d: Decimal, dp: u32) -> Decimal {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

/// `kg` or `lb`: how a spreadsheet or `mawb.toml` states weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightUnit {
    #[default]
    Kg,
    Lb,
}

impl WeightUnit {
    pub fn parse(text: &str) -> Option<WeightUnit> {
        let t = text.trim();
        let is = |names: &[&str]| names.iter().any(|n| t.eq_ignore_ascii_case(n));
        if is(&["kg", "kgs", "kilogram", "kilograms"]) {
            Some(WeightUnit::Kg)
        } else if is(&["lb", "lbs", "pound", "pounds"]) {
            Some(WeightUnit::Lb)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WeightUnit::Kg => "kg",
            WeightUnit::Lb => "lb",
        }
    }
}

/// `m`, `cm` or `in`: how a spreadsheet states dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DimensionUnit {
    #[default]
    M,
    Cm,
    In,
}

impl DimensionUnit {
    /// The unit as a spreadsheet writes it (`m`, `cm`, `in`).
    pub fn as_str(self) -> &'static str {
        match self {
            DimensionUnit::M => "m",
            DimensionUnit::Cm => "cm",
            DimensionUnit::In => "in",
        }
    }

    pub fn parse(text: &str) -> Option<DimensionUnit> {
        let t = text.trim();
        let is = |names: &[&str]| names.iter().any(|n| t.eq_ignore_ascii_case(n));
        if is(&["m", "meter", "meters", "metre", "metres"]) {
            Some(DimensionUnit::M)
        } else if is(&[
            "cm",
            "centimeter",
            "centimeters",
            "centimetre",
            "centimetres",
        ]) {
            Some(DimensionUnit::Cm)
        } else if is(&["in", "inch", "inches", "\""]) {
            Some(DimensionUnit::In)
        } else {
            None
        }
    }

    /// The value in metres, rounded to millimetres.
    pub fn to_metres(self, value: Decimal) -> Decimal {
        match self {
            DimensionUnit::M => round3(value),
            DimensionUnit::Cm => {
                // A hundredth is the same digits two places further right: exact, with no division
                // (a division costs more than the rest of reading the cell). Past Decimal's 28
                // places, divided as before.
                let mut hundredth = value;
                match hundredth.set_scale(value.scale() + 2) {
                    Ok(()) => round3(hundredth),
                    Err(_) => round3(value / Decimal::ONE_HUNDRED),
                }
            }
            DimensionUnit::In => round3(value * Decimal::new(254, 4)),
        }
    }
}

/// Length × width × height in metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    pub length: Decimal,
    pub width: Decimal,
    pub height: Decimal,
}

/// A consignee, shipper or return address as the spreadsheet gave it (trimmed; blank cells are `None`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub name: Option<Text>,
    pub company: Option<Text>,
    pub address1: Option<Text>,
    pub address2: Option<Text>,
    pub city: Option<Text>,
    pub state: Option<Text>,
    pub zip: Option<Text>,
    pub country: Option<Text>,
    pub phone: Option<Text>,
    pub email: Option<Text>,
}

impl Address {
    /// Whether any field is given (a shipper or return group is validated only then).
    pub fn is_given(&self) -> bool {
        self.name.is_some()
            || self.company.is_some()
            || self.address1.is_some()
            || self.address2.is_some()
            || self.city.is_some()
            || self.state.is_some()
            || self.zip.is_some()
            || self.country.is_some()
            || self.phone.is_some()
            || self.email.is_some()
    }
}

/// One product line of a mail item (one spreadsheet row).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Product {
    /// The spreadsheet row (as the user sees it) this product came from.
    pub row: u32,
    pub description: Option<Text>,
    pub hts: Option<Text>,
    pub quantity: Option<u32>,
    /// The quantity cell was not blank (so a missing `quantity` was unreadable, already reported).
    pub quantity_given: bool,
    pub unit_value: Option<Decimal>,
    pub value: Option<Decimal>,
    pub weight: Option<Kg>,
    pub country_of_origin: Option<Text>,
    pub sku: Option<Text>,
    pub manufacturer_code: Option<Text>,
}

impl Product {
    /// The product's total value: `productValue`, else `unitValue × quantity`.
    pub fn total_value(&self) -> Option<Decimal> {
        self.value
            .or_else(|| match (self.unit_value, self.quantity) {
                (Some(u), Some(q)) => Some(u * Decimal::from(q)),
                _ => None,
            })
    }
}

/// Where an item came from: the file (index into [`Mawb::files`]), the sheet and the first row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: usize,
    pub sheet: Arc<str>,
    /// The item's first row, as the user sees it in the spreadsheet (header included, 1-based).
    pub row: u32,
}

/// A parcel (HAWB): the unit ACP registers with `createMailing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailItem {
    pub origin: Origin,
    pub tracking_number: Option<Text>,
    pub shipper_item_id: Option<Text>,
    pub display_item_id: Option<Text>,
    pub consignee: Address,
    /// Boxed: rarely given, and an inline address would add 240 bytes to every item of a batch.
    pub shipper: Option<Box<Address>>,
    pub return_address: Option<Box<Address>>,
    pub value: Option<Decimal>,
    pub currency: Option<Text>,
    pub weight: Option<Kg>,
    pub dimensions: Option<Dimensions>,
    /// The shipper's bag id (`bag` column); items with the same bag go in one bag.
    pub bag: Option<Text>,
    pub products: Vec<Product>,
    /// Item fields that stood on a later row of the item than its first: where a problem about them points.
    pub late_rows: Vec<(crate::field::Field, u32)>,
}

impl MailItem {
    /// An item read at `origin` with no field given yet: no keys, an empty consignee, no products. The
    /// reader fills it in; tests and benches start from it.
    pub fn at(origin: Origin) -> MailItem {
        MailItem {
            origin,
            tracking_number: None,
            shipper_item_id: None,
            display_item_id: None,
            consignee: Address::default(),
            shipper: None,
            return_address: None,
            value: None,
            currency: None,
            weight: None,
            dimensions: None,
            bag: None,
            products: Vec::new(),
            late_rows: Vec::new(),
        }
    }

    /// The key rows are grouped by: trackingNumber, else shipperItemId.
    pub fn key(&self) -> Option<&str> {
        self.tracking_number
            .as_deref()
            .or(self.shipper_item_id.as_deref())
    }

    /// The row a problem about `field` of this item should point at.
    pub fn row_of(&self, field: crate::field::Field) -> u32 {
        self.late_rows
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, r)| *r)
            .unwrap_or(self.origin.row)
    }

    /// The weight, or zero when it is missing (a missing weight is already an error).
    pub fn weight_kg(&self) -> Decimal {
        self.weight.map(|w| w.0).unwrap_or_default()
    }
}

/// A bag: the items that share a `bag` value in one MAWB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bag {
    /// The shipper's bag id as the spreadsheet names it.
    pub shipper_bag_id: String,
    /// Indexes into [`Mawb::items`].
    pub items: Vec<usize>,
}

/// One flight leg of the MAWB, in flight order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Leg {
    pub departure: String,
    pub departure_date: String,
    pub arrival: String,
    pub arrival_date: String,
    pub carrier: String,
    pub trip: String,
}

/// The settings of one MAWB from `mawb.toml`, with the contract's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MawbConfig {
    /// Canonical `PPP-SSSSSSSC` form.
    pub manifest_number: String,
    pub user_manifest_id: Option<String>,
    pub alert_email: Option<String>,
    /// In `weight_unit`.
    pub declared_weight: Option<Decimal>,
    pub weight_unit: WeightUnit,
    /// File name of the MAWB scan, relative to the folder.
    pub image: Option<String>,
    pub label: u8,
    pub label_format: crate::label::LabelFormat,
    pub label_size: Option<crate::label::LabelSize>,
    pub create_day: bool,
    /// createBag `label=1`: ask ACP for bag labels.
    pub bag_labels: bool,
    /// createDay `label=1`: ask ACP for the end-of-day manifest label.
    pub day_label: bool,
    /// `print_ready = true`: write the print-ready label files (`mawb labels`) at the end of each run.
    pub print_ready: bool,
    pub airport: Option<String>,
    pub express_clearance: Option<bool>,
    pub ddp: Option<bool>,
    pub legs: Vec<Leg>,
    /// `hidden_sheets = "read"`: hidden sheets are read (default `"skip"`, with a warning).
    pub read_hidden_sheets: bool,
    /// `hidden_rows = "read"`: hidden and filtered-out rows are read (default `"skip"`, with a warning).
    pub read_hidden_rows: bool,
    /// `hidden_columns = "read"`: hidden columns (and columns of width 0) of xlsx sheets are read (default
    /// `"skip"`, with a warning).
    pub read_hidden_columns: bool,
    /// `strict_tracking = true`: a carrier tracking number with a wrong check digit is an error, not a
    /// warning.
    pub strict_tracking: bool,
    /// `dangerous_goods = "refuse"`: goods that air transport restricts are an error (default `"warn"`).
    pub refuse_dangerous_goods: bool,
    /// `screening_list`: a denied-party list (Consolidated Screening List CSV) for this MAWB, as written
    /// (relative to the MAWB folder unless absolute).
    pub screening_list: Option<String>,
    /// `screening_allow`: the allow-list of reviewed false positives for this MAWB, as written.
    pub screening_allow: Option<String>,
}

impl MawbConfig {
    /// The id the warehouse knows this manifest by: `user_manifest_id`, else the MAWB number.
    pub fn user_manifest_id(&self) -> &str {
        self.user_manifest_id
            .as_deref()
            .unwrap_or(&self.manifest_number)
    }
}

/// A spreadsheet file of a MAWB folder and what ingest found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HawbFile {
    pub path: PathBuf,
    /// The name shown in problems: the file name relative to the MAWB folder.
    pub name: String,
    pub kind: crate::filetype::FileKind,
    /// Sheets read (for csv: the file name).
    pub sheets_read: Vec<String>,
    /// Sheets skipped because no header row matched.
    pub sheets_skipped: Vec<String>,
    pub rows: usize,
}

/// The MAWB scan, checked by its magic bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MawbImage {
    pub path: PathBuf,
    pub name: String,
    pub kind: crate::filetype::FileKind,
    pub size: u64,
}

/// One MAWB folder, read and assembled: everything later stages need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mawb {
    pub dir: PathBuf,
    /// `None` when `mawb.toml` is missing or unusable (an error is reported).
    pub config: Option<MawbConfig>,
    pub image: Option<MawbImage>,
    pub files: Vec<HawbFile>,
    pub items: Vec<MailItem>,
    pub bags: Vec<Bag>,
}

impl Mawb {
    /// The name shown for this MAWB: its number when known, else the folder name.
    pub fn display_name(&self) -> String {
        match &self.config {
            Some(c) => c.manifest_number.clone(),
            None => self.folder_name(),
        }
    }

    pub fn folder_name(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.dir.display().to_string())
    }

    /// Indexes of items in no bag: they travel as units of their own.
    pub fn loose_items(&self) -> impl Iterator<Item = usize> + '_ {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, i)| i.bag.is_none())
            .map(|(n, _)| n)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signs_read_without_comparing() {
        for t in [
            "0",
            "-0",
            "0.000",
            "-0.000",
            "1",
            "-1",
            "0.001",
            "-0.001",
            "123.45",
            "-79228162514264337593543950335",
        ] {
            let d = Decimal::from_str(t).expect("a decimal");
            assert_eq!(is_negative(d), d < Decimal::ZERO, "{t}");
            assert_eq!(is_not_positive(d), d <= Decimal::ZERO, "{t}");
        }
        let neg_zero = -Decimal::ZERO;
        assert!(!is_negative(neg_zero) && is_not_positive(neg_zero));
    }

    proptest::proptest! {
        #[test]
        fn signs_agree_with_comparing_to_zero(
            lo in proptest::num::u32::ANY,
            mid in proptest::sample::select(vec![0u32, 1, u32::MAX]),
            hi in proptest::sample::select(vec![0u32, 7, u32::MAX]),
            negative in proptest::bool::ANY,
            scale in 0u32..=28,
            zero in proptest::bool::ANY,
        ) {
            let (lo, mid, hi) = if zero { (0, 0, 0) } else { (lo, mid, hi) };
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            proptest::prop_assert_eq!(is_negative(d), d < Decimal::ZERO);
            proptest::prop_assert_eq!(is_not_positive(d), d <= Decimal::ZERO);
        }
    }

    use super::*;

    proptest::proptest! {
        #[test]
        fn decimal_text_is_what_display_writes(
            lo in proptest::num::u32::ANY,
            mid in proptest::num::u32::ANY,
            hi in proptest::num::u32::ANY,
            wide in proptest::num::u8::ANY,
            negative in proptest::bool::ANY,
            scale in 0u32..=28,
        ) {
            // Small mantissas (the usual numbers, zero among them) as often as wide ones.
            let (mid, hi) = match wide % 3 { 0 => (0, 0), 1 => (mid, 0), _ => (mid, hi) };
            let lo = if wide % 7 == 0 { 0 } else { lo };
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            let text = decimal_text(d);
            proptest::prop_assert_eq!(text.as_str(), d.to_string());
        }
    }

    /// What `FromStr` reads from `text`: its value, scale and sign (compared as a tuple, since `==`
    /// ignores the scale).
    fn read_by_from_str(text: &str) -> Option<(i128, u32, bool)> {
        Decimal::from_str(text)
            .ok()
            .map(|d| (d.mantissa(), d.scale(), d.is_sign_negative()))
    }

    proptest::proptest! {
        /// Every text `plain_decimal` reads, `FromStr` reads the same, scale included; texts of digits and
        /// dots, signs, exponents and letters, of every length up to past the 18-digit limit.
        #[test]
        fn plain_decimal_reads_what_from_str_reads(text in "[0-9.+eE a-]{0,22}") {
            if let Some(d) = plain_decimal(&text) {
                proptest::prop_assert_eq!(
                    Some((d.mantissa(), d.scale(), d.is_sign_negative())),
                    read_by_from_str(&text),
                    "{}", text
                );
            }
        }

        /// Plain texts (digits, at most one dot between digits) of up to 18 digits are all read.
        #[test]
        fn plain_decimal_reads_every_plain_text(
            whole in "[0-9]{1,10}",
            fraction in proptest::option::of("[0-9]{1,8}"),
        ) {
            let text = match &fraction {
                Some(f) => format!("{whole}.{f}"),
                None => whole.clone(),
            };
            let d = plain_decimal(&text);
            proptest::prop_assert!(d.is_some(), "{}", text);
            let d = d.unwrap_or_default();
            proptest::prop_assert_eq!(
                Some((d.mantissa(), d.scale(), d.is_sign_negative())),
                read_by_from_str(&text)
            );
        }
    }

    #[test]
    fn plain_decimal_takes_plain_texts_only() {
        for (text, mantissa, scale) in [
            ("48", 48, 0),
            ("0.811", 811, 3),
            ("007.50", 750, 2),
            ("0", 0, 0),
            ("0.000", 0, 3),
            ("999999999999999999", 999_999_999_999_999_999, 0),
            ("12345678.9012345678", 123_456_789_012_345_678, 10),
        ] {
            let d = plain_decimal(text).unwrap_or_else(|| panic!("{text} not read"));
            assert_eq!((d.mantissa(), d.scale()), (mantissa, scale), "{text}");
            assert_eq!(d.to_string(), Decimal::from_str(text).unwrap().to_string());
        }
        for text in [
            "",
            ".",
            ".5",
            "5.",
            "1.2.3",
            "-1",
            "+1",
            "1e3",
            "1E3",
            " 1",
            "1 ",
            "1,5",
            "0x10",
            "1234567890123456789",
            "12345678901.234567890",
            "١٢",
            "½",
        ] {
            assert_eq!(plain_decimal(text), None, "{text}");
        }
    }

    #[test]
    fn decimal_text_keeps_scale_and_sign() {
        for (d, text) in [
            (Decimal::new(1500, 3), "1.500"),
            (Decimal::new(5, 3), "0.005"),
            (Decimal::new(0, 2), "0.00"),
            (Decimal::new(0, 0), "0"),
            (Decimal::new(-12345, 2), "-123.45"),
            // `from_parts` keeps no sign on a zero.
            (Decimal::from_parts(0, 0, 0, true, 2), "0.00"),
            (-Decimal::new(1, 2), "-0.01"),
            (Decimal::MAX, "79228162514264337593543950335"),
        ] {
            assert_eq!(decimal_text(d), text);
            assert_eq!(d.to_string(), text);
        }
        // Zeros that arithmetic may leave signed: whatever `Display` writes.
        for d in [
            -Decimal::new(0, 2),
            Decimal::new(0, 3) * Decimal::new(-1, 0),
            Decimal::new(-1, 3).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
        ] {
            assert_eq!(decimal_text(d), d.to_string());
        }
    }
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn pounds_convert_exactly_and_round_to_grams() {
        assert_eq!(Kg::from_unit(d("1"), WeightUnit::Lb).0, d("0.454"));
        assert_eq!(Kg::from_unit(d("10"), WeightUnit::Lb).0, d("4.536"));
        assert_eq!(Kg::from_unit(d("1.125"), WeightUnit::Kg).0, d("1.125"));
    }

    #[test]
    fn weights_print_with_three_decimals() {
        assert_eq!(Kg(d("56")).to_wire(), "56.000");
        assert_eq!(Kg(d("0.1") + d("0.2")).to_wire(), "0.300");
    }

    #[test]
    fn dimensions_convert_to_metres() {
        assert_eq!(DimensionUnit::Cm.to_metres(d("45")), d("0.45"));
        assert_eq!(DimensionUnit::In.to_metres(d("10")), d("0.254"));
        assert_eq!(DimensionUnit::M.to_metres(d("0.5")), d("0.5"));
    }

    proptest::proptest! {
        /// Centimetres become metres by moving the point, which must give the rounded quotient by 100
        /// exactly, as the text ACP receives: every mantissa, every scale, the last two included.
        #[test]
        fn centimetres_are_the_quotient_by_a_hundred(
            mantissa in proptest::num::i128::ANY,
            scale in 0u32..=28,
        ) {
            let mantissa = mantissa % 79_228_162_514_264_337_593_543_950_335;
            let v = Decimal::from_i128_with_scale(mantissa, scale);
            let quotient = round3(v / Decimal::ONE_HUNDRED);
            let moved = DimensionUnit::Cm.to_metres(v);
            proptest::prop_assert_eq!(moved, quotient);
            proptest::prop_assert_eq!(moved.normalize().to_string(), quotient.normalize().to_string());
        }
    }

    #[test]
    fn product_total_falls_back_to_unit_value_times_quantity() {
        let p = Product {
            unit_value: Some(d("14.65")),
            quantity: Some(2),
            ..Default::default()
        };
        assert_eq!(p.total_value(), Some(d("29.30")));
    }
}
