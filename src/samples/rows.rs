//! Rows: the 29 columns of a HAWB spreadsheet, the header spellings a warehouse export uses for them,
//! and the cells of each product row of an item, shared by the CSV and xlsx writers.
//!
//! Numbers are kept as scaled integers ([`Num`]) until they are written, so a CSV states exactly the
//! value drawn (`12.50`, never `12.499999`) and an xlsx cell gets the matching number format.

use std::fmt::Write as _;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::items::Item;
use super::SamplesError;

/// Canonical column names, in the order a typical warehouse export has them.
pub(super) const COLUMNS: [&str; 29] = [
    "trackingNumber",
    "shipperItemId",
    "displayItemId",
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
    "value",
    "currency",
    "weight",
    "weightUnit",
    "length",
    "width",
    "height",
    "dimensionUnit",
    "bag",
    "productDescription",
    "hts",
    "quantity",
    "unitValue",
    "productValue",
    "productWeight",
    "countryOfOrigin",
];
/// Index of consigneeZip in [`COLUMNS`].
pub(super) const ZIP_COL: usize = 9;

/// The words of a camelCase name, digits as their own word: `consigneeAddress1` → consignee, Address, 1.
fn words(canonical: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in canonical.chars() {
        let new_word = match out.last().and_then(|w| w.chars().last()) {
            None => true,
            Some(prev) => c.is_ascii_uppercase() || (c.is_ascii_digit() != prev.is_ascii_digit()),
        };
        if new_word {
            out.push(String::new());
        }
        if let Some(w) = out.last_mut() {
            w.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// One spelling of a column header; all normalise (case, spaces, `_`, `-`, `.` ignored) to the
/// canonical name, except the contract's `hawbNumber` alias for trackingNumber.
pub(super) fn spelling(canonical: &str, style: u8) -> String {
    if canonical == "hts" {
        return if style == 2 {
            "hts".into()
        } else {
            "HTS".into()
        };
    }
    let w = words(canonical);
    match style {
        0 => canonical.to_string(),
        1 => w
            .iter()
            .map(|s| {
                let mut cs = s.chars();
                match cs.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        2 => w.join("_"),
        _ => w.join("_").to_ascii_uppercase(),
    }
}

/// Headers of one MAWB's files: a dominant style with a quarter of the columns spelled differently,
/// as hand-edited exports are.
pub(super) fn pick_headers(rng: &mut ChaCha8Rng) -> Vec<String> {
    let main_style: u8 = rng.gen_range(0..4);
    let alias = rng.gen_bool(0.15);
    COLUMNS
        .iter()
        .map(|c| {
            if *c == "trackingNumber" && alias {
                return "HAWB Number".to_string();
            }
            let style = if rng.gen_bool(0.25) {
                rng.gen_range(0..4)
            } else {
                main_style
            };
            spelling(c, style)
        })
        .collect()
}

/// One spreadsheet cell.
#[derive(Clone, Copy)]
pub(super) enum Cell<'a> {
    Empty,
    Text(&'a str),
    /// Postal codes: always text, so `02134` keeps its zero.
    Zip(&'a str),
    Num(Num),
}

/// A number as written: `scaled` / 10^`decimals`.
#[derive(Clone, Copy)]
pub(super) struct Num {
    /// Value times 10^decimals; integer arithmetic keeps CSV text exact.
    pub(super) scaled: i64,
    pub(super) decimals: u8,
    /// In xlsx, show an integer as `2.0`.
    pub(super) float_look: bool,
}

/// A plain number cell.
fn num(scaled: i64, decimals: u8) -> Cell<'static> {
    Cell::Num(Num {
        scaled,
        decimals,
        float_look: false,
    })
}

/// A text cell, or an empty one for an empty string.
fn opt_text(s: &str) -> Cell<'_> {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s)
    }
}

/// The cells of each product row of an item.
pub(super) fn item_rows<'a>(
    item: &'a Item,
    mut emit: impl FnMut(&[Cell<'a>; 29]) -> Result<(), SamplesError>,
) -> Result<(), SamplesError> {
    for (i, p) in item.products.iter().enumerate() {
        let full = i == 0 || item.repeat_item_fields;
        let mut c = [Cell::Empty; 29];
        c[0] = opt_text(&item.tracking);
        c[1] = Cell::Text(&item.shipper_item_id);
        if full {
            c[2] = Cell::Text(&item.display_item_id);
            c[3] = opt_text(&item.name);
            c[4] = opt_text(&item.company);
            c[5] = Cell::Text(&item.address1);
            c[6] = opt_text(item.address2);
            c[7] = Cell::Text(item.city);
            c[8] = Cell::Text(item.state);
            c[ZIP_COL] = Cell::Zip(item.zip);
            c[10] = Cell::Text(item.country);
            c[11] = opt_text(&item.phone);
            c[12] = opt_text(&item.email);
            c[13] = num(item.value_cents, 2);
            c[14] = Cell::Text(item.currency);
            c[15] = num(item.weight_milli, 3);
            c[16] = Cell::Text(item.weight_unit);
            if let Some(d) = item.dims {
                for (k, v) in d.lwh.iter().enumerate() {
                    c[17 + k] = num(*v, d.decimals);
                }
                c[20] = Cell::Text(d.unit);
            }
            if let Some(b) = &item.bag {
                c[21] = Cell::Text(b);
            }
        }
        c[22] = Cell::Text(&p.description);
        c[23] = Cell::Text(p.hts);
        c[24] = Cell::Num(Num {
            scaled: p.quantity,
            decimals: 0,
            float_look: p.quantity_as_float,
        });
        if let Some(v) = p.unit_cents {
            c[25] = num(v, 2);
        }
        if let Some(v) = p.value_cents {
            c[26] = num(v, 2);
        }
        if let Some(w) = p.weight_grams {
            c[27] = num(w, 3);
        }
        c[28] = Cell::Text(p.origin);
        emit(&c)?;
    }
    Ok(())
}

/// Writes `n` into `out` (cleared first) as decimal text with exactly `n.decimals` decimals.
pub(super) fn format_num(n: Num, out: &mut String) {
    out.clear();
    if n.decimals == 0 {
        let _ = write!(out, "{}", n.scaled);
        return;
    }
    let pow = 10i64.pow(u32::from(n.decimals));
    let sign = if n.scaled < 0 { "-" } else { "" };
    let a = n.scaled.abs();
    let _ = write!(
        out,
        "{sign}{}.{:0width$}",
        a / pow,
        a % pow,
        width = usize::from(n.decimals)
    );
}
