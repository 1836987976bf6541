//! Items: the parcels (HAWBs) of one MAWB, with UPS tracking numbers, consignees, goods, values in USD,
//! EUR or CNY, weights in kg or lb, dimensions, bags and loose parcels.
//!
//! Items are drawn so that a batch passes `mawb check`: values carry unitValue/productValue and an email
//! where the rules need them, and with a per-item label every parcel stays under the weight and value
//! limits of every label type.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::batch::{mix, MawbPlan};
use super::catalog::{CatalogEntry, CATALOG, DESCRIPTION_SUFFIXES};
use super::consignees::{
    ADDRESS2, CA_CITIES, CA_STREETS, CJK_NAMES, COMPANIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES,
    US_CITIES, US_STREETS,
};
use super::{pick, SampleOptions};
use crate::validate::checkdigit::ups_check_digit;

/// Item limits when a label is printed per item: below the 15 lb and 1000 USD of the strictest types.
const LABEL_MAX_GRAMS: i64 = 6_000;
const LABEL_MAX_USD_CENTS: i64 = 90_000;
/// Above this USD value every product carries unitValue/productValue (the rule says 200: margin for the
/// validator's exchange rates).
const VALUES_REQUIRED_ABOVE_USD_CENTS: i64 = 15_000;
/// Above this USD value the consignee email is always given (the rule says 800).
const EMAIL_REQUIRED_ABOVE_USD_CENTS: i64 = 70_000;

/// One parcel (HAWB) as the spreadsheets will state it: consignee, value, weight, dimensions, bag and
/// its product lines.
pub(super) struct Item {
    pub(super) tracking: String,
    pub(super) shipper_item_id: String,
    pub(super) display_item_id: String,
    pub(super) name: String,
    pub(super) company: String,
    pub(super) address1: String,
    pub(super) address2: &'static str,
    pub(super) city: &'static str,
    pub(super) state: &'static str,
    pub(super) zip: &'static str,
    pub(super) country: &'static str,
    pub(super) phone: String,
    pub(super) email: String,
    pub(super) currency: &'static str,
    pub(super) value_cents: i64,
    pub(super) weight_unit: &'static str,
    /// Item weight in thousandths of `weight_unit`.
    pub(super) weight_milli: i64,
    pub(super) dims: Option<Dims>,
    pub(super) bag_no: Option<u32>,
    pub(super) bag: Option<String>,
    /// Item columns on every product row, or only on the first.
    pub(super) repeat_item_fields: bool,
    pub(super) products: Vec<ProductLine>,
}

impl Item {
    /// The weight as the pipeline stores it, from the written value.
    pub(super) fn weight_kg(&self) -> f64 {
        let w = self.weight_milli as f64 / 1000.0;
        if self.weight_unit == "lb" {
            w * LB_KG
        } else {
            w
        }
    }
}

/// Kilograms in a pound (exact, by the 1959 international yard and pound agreement).
pub(super) const LB_KG: f64 = 0.453_592_37;

/// Parcel dimensions as written.
#[derive(Clone, Copy)]
pub(super) struct Dims {
    /// Length, width, height scaled by 10^decimals of `unit`.
    pub(super) lwh: [i64; 3],
    pub(super) decimals: u8,
    pub(super) unit: &'static str,
}

/// One product of a parcel: one spreadsheet row.
pub(super) struct ProductLine {
    pub(super) description: String,
    pub(super) hts: &'static str,
    pub(super) quantity: i64,
    /// In xlsx, written with a `0.0` format: some exports show integers as floats.
    pub(super) quantity_as_float: bool,
    pub(super) unit_cents: Option<i64>,
    pub(super) value_cents: Option<i64>,
    /// Grams: productWeight is always kg (the pipeline applies weightUnit to the item weight only).
    pub(super) weight_grams: Option<i64>,
    pub(super) origin: &'static str,
}

/// UPS service codes of the tracking numbers.
const UPS_SERVICES: &[&str] = &["01", "02", "03", "12", "13", "42", "59", "66", "67"];

/// Three UPS shipper accounts per batch, from the seed.
fn shipper_accounts(seed: u64) -> [String; 3] {
    const ALNUM: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXY0123456789";
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, u64::MAX));
    std::array::from_fn(|_| {
        (0..6)
            .map(|i| {
                let set = if i < 2 { &ALNUM[..22] } else { ALNUM };
                char::from(set[rng.gen_range(0..set.len())])
            })
            .collect()
    })
}

/// `1Z` + account + service + 7-digit serial + check digit. The serial is a bijection of the item's
/// batch-wide index (odd multiplier not divisible by 5), so numbers never repeat within a batch.
fn tracking_number(account: &str, service: &str, item_index: u64, seed: u64) -> String {
    let offset = mix(seed, u64::MAX - 1) % 10_000_000;
    let serial = (offset + item_index % 10_000_000 * 7_654_321) % 10_000_000;
    let body = format!("{account}{service}{serial:07}");
    let check = ups_check_digit(body.as_bytes()).unwrap_or(0);
    format!("1Z{body}{check}")
}

/// A value in `currency` cents as USD cents, at fixed sample rates.
fn usd_cents(cents: i64, currency: &str) -> i64 {
    match currency {
        "EUR" => cents * 108 / 100,
        "CNY" => cents * 14 / 100,
        _ => cents,
    }
}

/// Thousandths of a pound for a weight in grams, rounded.
fn grams_to_milli_lb(grams: i64) -> i64 {
    (grams * 100_000_000 + 22_679_618) / 45_359_237
}

/// The `plan.items` items of one MAWB; `ymd` (`YYYYMMDD`, the first flight day) prefixes displayItemId.
pub(super) fn make_items(
    rng: &mut ChaCha8Rng,
    opts: &SampleOptions,
    plan: &MawbPlan,
    ymd: &str,
) -> Vec<Item> {
    let accounts = shipper_accounts(opts.seed);
    let account = &accounts[plan.index % accounts.len()];
    let catalog: Vec<&CatalogEntry> = CATALOG
        .iter()
        .filter(|c| opts.label == 0 || (c.price.1 <= 40_000 && c.grams.1 <= 3_000))
        .collect();

    let mut items = Vec::with_capacity(plan.items);
    let (mut bag_no, mut left_in_bag) = (0u32, 0u32);
    for j in 0..plan.items {
        let bag_no_item = if rng.gen_bool(0.2) {
            None
        } else {
            if left_in_bag == 0 {
                bag_no += 1;
                left_in_bag = rng.gen_range(20..=50);
            }
            left_in_bag -= 1;
            Some(bag_no)
        };
        let tracking = if opts.label == 0 {
            let service = pick(rng, UPS_SERVICES);
            tracking_number(account, service, plan.first_item + j as u64, opts.seed)
        } else {
            String::new()
        };
        let secs = (8 * 3600 + j * 7) % 86_400;
        let mut item = Item {
            tracking,
            shipper_item_id: format!("WH1-{}-{:05}", plan.serial8, j + 1),
            display_item_id: format!(
                "{ymd}-{:02}{:02}{:02}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            ),
            name: String::new(),
            company: String::new(),
            address1: String::new(),
            address2: "",
            city: "",
            state: "",
            zip: "",
            country: "US",
            phone: String::new(),
            email: String::new(),
            currency: "USD",
            value_cents: 0,
            weight_unit: "kg",
            weight_milli: 0,
            dims: None,
            bag_no: bag_no_item,
            bag: bag_no_item.map(|b| format!("{}-B{b:02}", plan.serial8)),
            repeat_item_fields: true,
            products: Vec::new(),
        };
        let email_handle = fill_consignee(rng, &mut item);
        fill_products(rng, opts, &catalog, &mut item);
        if usd_cents(item.value_cents, item.currency) > EMAIL_REQUIRED_ABOVE_USD_CENTS
            || rng.gen_bool(0.4)
        {
            item.email = format!("{email_handle}@{}", pick(rng, EMAIL_DOMAINS));
        }
        item.repeat_item_fields = item.products.len() == 1 || rng.gen_bool(0.55);
        items.push(item);
    }
    items
}

/// Fills name, company and address; returns the ASCII handle for an email address.
fn fill_consignee(rng: &mut ChaCha8Rng, item: &mut Item) -> String {
    let canada = rng.gen_bool(0.15);
    let (cities, streets) = if canada {
        (CA_CITIES, CA_STREETS)
    } else {
        (US_CITIES, US_STREETS)
    };
    let place = &cities[rng.gen_range(0..cities.len())];
    item.country = if canada { "CA" } else { "US" };
    item.city = place.city;
    item.state = place.state;
    item.zip = place.zip;
    item.address1 = format!("{} {}", rng.gen_range(1..9999), pick(rng, streets));
    if rng.gen_bool(0.35) {
        item.address2 = pick(rng, ADDRESS2);
    }
    item.phone = match rng.gen_range(0..10) {
        0..=3 => format!("+1 {}-555-{:04}", place.area, rng.gen_range(100..200)),
        4..=5 => format!("({}) 555-{:04}", place.area, rng.gen_range(100..200)),
        6..=7 => format!("{}.555.{:04}", place.area, rng.gen_range(100..200)),
        _ => String::new(),
    };
    let roll = rng.gen_range(0..100);
    let (person, handle) = if roll < 10 {
        let (n, h) = pick(rng, CJK_NAMES);
        (n.to_string(), h.to_string())
    } else {
        let (f, fh) = pick(rng, FIRST_NAMES);
        let (l, lh) = pick(rng, LAST_NAMES);
        (format!("{f} {l}"), format!("{fh}.{lh}"))
    };
    if roll >= 93 {
        // Company only.
        let (c, ch) = pick(rng, COMPANIES);
        item.company = c.to_string();
        return format!("orders.{ch}");
    }
    item.name = person;
    if roll >= 80 {
        item.company = pick(rng, COMPANIES).0.to_string();
    }
    handle
}

/// Fills currency, products, value, weight and dimensions.
fn fill_products(
    rng: &mut ChaCha8Rng,
    opts: &SampleOptions,
    catalog: &[&CatalogEntry],
    item: &mut Item,
) {
    item.currency = match rng.gen_range(0..100) {
        0..=79 => "USD",
        80..=91 => "EUR",
        _ => "CNY",
    };
    let n = match rng.gen_range(0..100) {
        0..=54 => 1,
        55..=79 => 2,
        80..=91 => 3,
        _ => 4,
    };
    // (entry, quantity, unit cents in the item currency, unit grams)
    let mut lines: Vec<(&CatalogEntry, i64, i64, i64)> = (0..n)
        .map(|_| {
            let e = catalog[rng.gen_range(0..catalog.len())];
            let usd = rng.gen_range(e.price.0..=e.price.1);
            let qty = if usd > 30_000 {
                1
            } else {
                match rng.gen_range(0..100) {
                    0..=64 => 1,
                    65..=84 => 2,
                    85..=92 => 3,
                    _ => rng.gen_range(4..=6),
                }
            };
            let unit = match item.currency {
                "EUR" => usd * 93 / 100,
                "CNY" => usd * 72 / 10,
                _ => usd,
            };
            (e, qty, unit.max(1), rng.gen_range(e.grams.0..=e.grams.1))
        })
        .collect();
    let total = |lines: &[(&CatalogEntry, i64, i64, i64)]| {
        let cents: i64 = lines.iter().map(|l| l.1 * l.2).sum();
        let grams: i64 = lines.iter().map(|l| l.1 * l.3).sum();
        (cents, grams)
    };
    if opts.label != 0 {
        // One label per item: stay under the weight and value limits of every label type.
        loop {
            let (cents, grams) = total(&lines);
            // Packaging adds at most 15% + 30 g.
            let packed = grams * 115 / 100 + 30;
            if usd_cents(cents, item.currency) <= LABEL_MAX_USD_CENTS && packed <= LABEL_MAX_GRAMS {
                break;
            }
            if lines.len() > 1 {
                lines.pop();
            } else if lines[0].1 > 1 {
                lines[0].1 = 1;
            } else {
                break; // the filtered catalog keeps a single unit below both limits
            }
        }
    }
    let (cents, grams) = total(&lines);
    item.value_cents = cents;
    let usd = usd_cents(cents, item.currency);
    let packaging = (grams * rng.gen_range(5..=15) / 100).max(30);
    let item_grams = grams + packaging;
    let lb = rng.gen_bool(0.3);
    item.weight_unit = if lb { "lb" } else { "kg" };
    item.weight_milli = if lb {
        grams_to_milli_lb(item_grams)
    } else {
        item_grams
    };

    // Which value columns the products carry: all of them when the rules need them.
    let style = match rng.gen_range(0..100) {
        0..=49 => 0,  // both
        50..=64 => 1, // unit only
        65..=79 => 2, // product only
        _ => 3,       // none
    };
    let style = if usd > VALUES_REQUIRED_ABOVE_USD_CENTS && style == 3 {
        0
    } else {
        style
    };
    let with_weights = rng.gen_bool(0.7);
    item.products = lines
        .iter()
        .map(|&(e, qty, unit, g)| {
            let mut description = e.description.to_string();
            if rng.gen_bool(0.3) {
                description.push_str(pick(rng, DESCRIPTION_SUFFIXES));
            }
            let hts = if rng.gen_bool(0.2) {
                &e.hts[..7]
            } else {
                e.hts
            };
            ProductLine {
                description,
                hts,
                quantity: qty,
                quantity_as_float: rng.gen_bool(0.15),
                unit_cents: (style == 0 || style == 1).then_some(unit),
                value_cents: (style == 0 || style == 2).then_some(unit * qty),
                weight_grams: with_weights.then_some(g * qty),
                origin: pick(rng, e.origins),
            }
        })
        .collect();

    if rng.gen_bool(0.7) {
        let side = |r: &mut ChaCha8Rng, lo: i64, hi: i64| r.gen_range(lo..=hi);
        let mut mm = [side(rng, 100, 600), side(rng, 80, 400), side(rng, 20, 300)];
        mm.sort_unstable_by(|a, b| b.cmp(a));
        item.dims = Some(match rng.gen_range(0..100) {
            0..=54 => Dims {
                lwh: mm,
                decimals: 1,
                unit: "cm",
            },
            55..=79 => Dims {
                lwh: mm,
                decimals: 3,
                unit: "m",
            },
            _ => Dims {
                lwh: mm.map(|v| (v * 100 + 127) / 254),
                decimals: 1,
                unit: "in",
            },
        });
    }
}
