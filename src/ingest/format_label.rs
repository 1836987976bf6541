//! The currency or unit a number's cell format shows beside it (`45,50 €` of `#,##0.00 [$€-407]`, `1.50 lb`
//! of `0.00 "lb"`), held against the currency and units the item's columns and header give: a value the
//! user sees in euros is not sent as dollars, a weight the user sees in pounds is not sent as kilograms.
//!
//! Only labels that name a currency or unit are judged; a format showing other text (`0.00 "net"`) or none
//! is not. A dollar, yen or krona sign stands for every currency that writes it, so it agrees with any of
//! them. Symbols: ISO 4217 (2024) and the Unicode CLDR 45 currency symbols of the currencies mawb's sample
//! shippers and their consignees use. Formats are seen in xlsx files only (see [`super::numfmt`]).

use super::columns::Field;
use crate::model::{DimensionUnit, WeightUnit};

/// A money, weight or size cell whose format shows a label, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub field: Field,
    pub row: u32,
    /// The number as read (`45.5`).
    pub number: String,
    /// What the format shows beside it (`€`, `lb`).
    pub label: Box<str>,
    /// The format code, for the message.
    pub code: Box<str>,
}

/// The currency and units an item's numbers are read in.
pub struct Read<'a> {
    /// The item's currency (its column, else its header); `None` when it has none (another rule's error).
    pub currency: Option<&'a str>,
    pub weight: WeightUnit,
    pub product_weight: WeightUnit,
    pub dimensions: DimensionUnit,
}

/// Whether `field` holds money, a weight or a size: the fields whose cell format may show a label.
pub fn labelled(field: Field) -> bool {
    matches!(
        field,
        Field::Value
            | Field::UnitValue
            | Field::ProductValue
            | Field::Weight
            | Field::ProductWeight
            | Field::Length
            | Field::Width
            | Field::Height
    )
}

/// Currency symbols and the ISO 4217 codes each stands for.
const SYMBOLS: &[(&str, &[&str])] = &[
    ("€", &["EUR"]),
    ("£", &["GBP", "GIP", "FKP", "SHP"]),
    ("¥", &["JPY", "CNY"]),
    ("￥", &["JPY", "CNY"]),
    ("元", &["CNY"]),
    ("円", &["JPY"]),
    (
        "$",
        &[
            "USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD", "ARS", "CLP", "COP", "UYU",
        ],
    ),
    ("US$", &["USD"]),
    ("C$", &["CAD"]),
    ("CA$", &["CAD"]),
    ("A$", &["AUD"]),
    ("AU$", &["AUD"]),
    ("NZ$", &["NZD"]),
    ("HK$", &["HKD"]),
    ("S$", &["SGD"]),
    ("MX$", &["MXN"]),
    ("NT$", &["TWD"]),
    ("R$", &["BRL"]),
    ("₹", &["INR"]),
    ("₩", &["KRW"]),
    ("₽", &["RUB"]),
    ("₺", &["TRY"]),
    ("₪", &["ILS"]),
    ("฿", &["THB"]),
    ("₫", &["VND"]),
    ("₱", &["PHP"]),
    ("zł", &["PLN"]),
    ("Kč", &["CZK"]),
    ("Ft", &["HUF"]),
    ("kr", &["SEK", "NOK", "DKK", "ISK"]),
    ("kr.", &["SEK", "NOK", "DKK", "ISK"]),
    ("Fr.", &["CHF"]),
    ("RM", &["MYR"]),
    ("Rp", &["IDR"]),
    ("lei", &["RON"]),
];

/// The currencies a label can stand for: an ISO 4217 code stands for itself; `None` when the label is
/// no currency mawb knows.
fn currencies(label: &str) -> Option<Vec<String>> {
    let upper = label.to_ascii_uppercase();
    if crate::model::codes::is_currency(&upper) {
        return Some(vec![upper]);
    }
    SYMBOLS
        .iter()
        .find(|(s, _)| *s == label)
        .map(|(_, codes)| codes.iter().map(|c| c.to_string()).collect())
}

/// Weight units mawb does not convert, which a format may still show.
const OTHER_WEIGHTS: &[&str] = &["g", "gr", "gram", "grams", "oz", "ounce", "ounces", "t"];

/// Length units mawb does not convert, which a format may still show.
const OTHER_LENGTHS: &[&str] = &["mm", "ft", "feet", "foot", "yd", "dm"];

/// What the label shows, when it disagrees with what the number is read as: the label's meaning and what
/// the item says instead.
fn disagreement(l: &Label, read: &Read<'_>) -> Option<(String, String)> {
    let label = &*l.label;
    let unit = |is: &str, other: &[&str]| {
        other
            .iter()
            .any(|o| label.eq_ignore_ascii_case(o))
            .then(|| (format!("the unit {label}"), format!("the unit is {is}")))
    };
    match l.field {
        Field::Value | Field::UnitValue | Field::ProductValue => {
            let shown = currencies(label)?;
            let currency = read.currency?;
            (!shown.iter().any(|c| c.eq_ignore_ascii_case(currency))).then(|| {
                (
                    format!("the currency {label}"),
                    format!("the currency is {currency}"),
                )
            })
        }
        Field::Weight | Field::ProductWeight => {
            let is = if l.field == Field::Weight {
                read.weight
            } else {
                read.product_weight
            };
            match WeightUnit::parse(label) {
                Some(u) if u == is => None,
                Some(_) => Some((
                    format!("the unit {label}"),
                    format!("the unit is {}", is.as_str()),
                )),
                None => unit(is.as_str(), OTHER_WEIGHTS),
            }
        }
        _ => {
            let is = read.dimensions.as_str();
            match DimensionUnit::parse(label) {
                Some(u) if u == read.dimensions => None,
                Some(_) => Some((format!("the unit {label}"), format!("the unit is {is}"))),
                None => unit(is, OTHER_LENGTHS),
            }
        }
    }
}

/// The message for each label that disagrees with the currency or unit its item is read in, with the
/// label's field and row.
pub fn conflicts(labels: &[Label], read: &Read<'_>) -> Vec<(Field, u32, String)> {
    labels
        .iter()
        .filter_map(|l| {
            let (shows, is) = disagreement(l, read)?;
            Some((
                l.field,
                l.row,
                format!(
                    "the {} cell holds {} and its format \"{}\" shows it with {shows}, but {is} (its column, header or default): correct the format or the currency or unit, so that what is sent is what the sheet shows",
                    l.field.name(),
                    l.number,
                    l.code
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(field: Field, label: &str) -> Label {
        Label {
            field,
            row: 2,
            number: "45.5".into(),
            label: label.into(),
            code: "fmt".into(),
        }
    }

    fn read(currency: Option<&str>) -> Read<'_> {
        Read {
            currency,
            weight: WeightUnit::Kg,
            product_weight: WeightUnit::Kg,
            dimensions: DimensionUnit::Cm,
        }
    }

    fn judged(field: Field, l: &str, currency: Option<&str>) -> bool {
        !conflicts(&[label(field, l)], &read(currency)).is_empty()
    }

    #[test]
    fn a_currency_shown_by_the_format_must_be_the_items() {
        assert!(judged(Field::Value, "€", Some("USD")));
        assert!(judged(Field::UnitValue, "£", Some("EUR")));
        assert!(judged(Field::ProductValue, "EUR", Some("USD")));
        assert!(judged(Field::Value, "R$", Some("USD")));
        assert!(!judged(Field::Value, "€", Some("EUR")));
        assert!(!judged(Field::Value, "eur", Some("EUR")));
        // A dollar sign is written by many currencies, a yen sign by two.
        assert!(!judged(Field::Value, "$", Some("CAD")));
        assert!(!judged(Field::Value, "¥", Some("CNY")));
        assert!(judged(Field::Value, "¥", Some("USD")));
        // Text that names no currency, or an item without a currency, is not judged here.
        assert!(!judged(Field::Value, "net", Some("USD")));
        assert!(!judged(Field::Value, "€", None));
    }

    #[test]
    fn a_unit_shown_by_the_format_must_be_the_items() {
        assert!(judged(Field::Weight, "lb", Some("USD")));
        assert!(judged(Field::ProductWeight, "lbs", None));
        assert!(judged(Field::Weight, "g", None));
        assert!(judged(Field::Weight, "oz", None));
        assert!(!judged(Field::Weight, "kg", None));
        assert!(judged(Field::Length, "in", None));
        assert!(judged(Field::Height, "mm", None));
        assert!(!judged(Field::Width, "cm", None));
        assert!(!judged(Field::Weight, "net", None));
        // A currency on a weight is no unit: not judged.
        assert!(!judged(Field::Weight, "$", None));
        let found = conflicts(&[label(Field::Weight, "lb")], &read(None));
        let (f, row, msg) = &found[0];
        assert_eq!((*f, *row), (Field::Weight, 2));
        assert!(
            msg.contains("the unit lb") && msg.contains("the unit is kg"),
            "{msg}"
        );
    }

    #[test]
    fn every_symbol_names_known_currencies() {
        for (symbol, codes) in SYMBOLS {
            for c in *codes {
                assert!(crate::model::codes::is_currency(c), "{symbol} {c}");
            }
        }
    }
}
