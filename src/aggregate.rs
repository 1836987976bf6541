//! Aggregate: the totals of a MAWB and of a batch, computed in parallel (rayon) with exact decimals.
//!
//! These are the numbers the manifest declares (`shippingUnits`, `userDefinedWeight`) and the numbers ACP's
//! answer is reconciled against, so they are computed once, here, from the validated items.

use crate::model::*;
use crate::problem::*;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Totals of one MAWB (or of a batch, summed).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    pub items: usize,
    pub product_lines: usize,
    pub bags: usize,
    pub loose_items: usize,
    /// Bags plus loose items: the units of the manifest.
    pub shipping_units: usize,
    /// Sum of item weights in kg, 3 decimals.
    #[serde(serialize_with = "ser_weight")]
    pub weight_kg: Decimal,
    /// Sum of item values per currency; written with 2 decimals (more only when a value has more).
    #[serde(serialize_with = "ser_money")]
    pub value: BTreeMap<String, Decimal>,
}

/// A money amount as written in reports: at least 2 decimals, never a digit rounded away
/// (`1362.4` is `"1362.40"`, `7` is `"7.00"`, `0.125` stays `"0.125"`).
pub fn money_text(d: Decimal) -> String {
    let mut r = d.normalize();
    if r.scale() < 2 {
        r.rescale(2);
    }
    r.to_string()
}

fn ser_money<S: serde::Serializer>(
    values: &BTreeMap<String, Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(values.len()))?;
    for (currency, v) in values {
        m.serialize_entry(currency, &money_text(*v))?;
    }
    m.end()
}

fn ser_weight<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_fixed(*d, WEIGHT_SCALE))
}

impl Totals {
    /// Adds another MAWB's totals (for the batch line).
    pub fn add(&mut self, other: &Totals) {
        self.items += other.items;
        self.product_lines += other.product_lines;
        self.bags += other.bags;
        self.loose_items += other.loose_items;
        self.shipping_units += other.shipping_units;
        self.weight_kg += other.weight_kg;
        for (c, v) in &other.value {
            *self.value.entry(c.clone()).or_default() += *v;
        }
    }
}

/// Partial sums of a chunk of items, merged by rayon's reduce.
#[derive(Default)]
struct Partial {
    product_lines: usize,
    loose: usize,
    weight: Decimal,
    value: BTreeMap<String, Decimal>,
}

impl Partial {
    fn merge(mut self, other: Partial) -> Partial {
        self.product_lines += other.product_lines;
        self.loose += other.loose;
        self.weight += other.weight;
        for (c, v) in other.value {
            *self.value.entry(c).or_default() += v;
        }
        self
    }
}

/// The totals of one MAWB.
pub fn totals(mawb: &Mawb) -> Totals {
    let p = mawb
        .items
        .par_iter()
        .fold(Partial::default, |mut acc, item| {
            acc.product_lines += item.products.len();
            if item.bag.is_none() {
                acc.loose += 1;
            }
            acc.weight += item.weight_kg();
            if let (Some(v), Some(c)) = (item.value, item.currency.as_deref()) {
                *acc.value.entry(c.to_string()).or_default() += v;
            }
            acc
        })
        .reduce(Partial::default, Partial::merge);
    Totals {
        items: mawb.items.len(),
        product_lines: p.product_lines,
        bags: mawb.bags.len(),
        loose_items: p.loose,
        shipping_units: mawb.bags.len() + p.loose,
        weight_kg: round3(p.weight),
        value: p.value,
    }
}

/// The weight declared in `mawb.toml`, in kg, when there is one.
pub fn declared_weight_kg(config: &MawbConfig) -> Option<Decimal> {
    config
        .declared_weight
        .map(|w| Kg::from_unit(w, config.weight_unit).0)
}

/// Compares `declared_weight` with the HAWB total: a warning beyond `tolerance_pct` percent.
pub fn check_declared_weight(
    config: &MawbConfig,
    totals: &Totals,
    tolerance_pct: Decimal,
) -> Option<Problem> {
    let declared = declared_weight_kg(config)?;
    if totals.weight_kg.is_zero() {
        return None;
    }
    let diff = declared - totals.weight_kg;
    let pct = (diff.abs() * Decimal::ONE_HUNDRED / totals.weight_kg).round_dp(1);
    (pct > tolerance_pct).then(|| {
        Problem::new(
            &DECLARED_WEIGHT,
            crate::ingest::config::MAWB_TOML,
            format!(
                "declared_weight is {} kg but the HAWBs add up to {} kg ({}{} kg, {pct}% > {tolerance_pct}%)",
                format_fixed(declared, 3),
                format_fixed(totals.weight_kg, 3),
                if diff > Decimal::ZERO { "+" } else { "" },
                format_fixed(diff, 3),
            ),
        )
        .column("declared_weight")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_decimals_and_loses_none() {
        let d = |t: &str| Decimal::from_str(t).unwrap_or_default();
        assert_eq!(money_text(d("1362.4")), "1362.40");
        assert_eq!(money_text(d("1601.40")), "1601.40");
        assert_eq!(money_text(d("7")), "7.00");
        assert_eq!(money_text(d("0.125")), "0.125");
        assert_eq!(money_text(d("12.500")), "12.50");
    }
    use std::str::FromStr;
    use std::sync::Arc;

    fn item(weight: &str, bag: Option<&str>, value: &str, cur: &str) -> MailItem {
        let mut item = MailItem::at(Origin {
            file: 0,
            sheet: Arc::from("s"),
            row: 2,
        });
        item.value = Some(Decimal::from_str(value).unwrap());
        item.currency = Some(cur.into());
        item.weight = Some(Kg(Decimal::from_str(weight).unwrap()));
        item.bag = bag.map(Into::into);
        item.products = vec![Product::default(), Product::default()];
        item
    }

    fn mawb(items: Vec<MailItem>) -> Mawb {
        let bags = crate::ingest::bags_of(&items);
        Mawb {
            dir: "x".into(),
            config: None,
            image: None,
            files: Vec::new(),
            items,
            bags,
        }
    }

    #[test]
    fn totals_are_exact_decimals() {
        let m = mawb(vec![
            item("0.1", Some("B1"), "1.10", "USD"),
            item("0.2", Some("B1"), "2.20", "USD"),
            item("0.3", None, "3", "EUR"),
        ]);
        let t = totals(&m);
        assert_eq!(format_fixed(t.weight_kg, 3), "0.600");
        assert_eq!(t.items, 3);
        assert_eq!(t.product_lines, 6);
        assert_eq!(t.bags, 1);
        assert_eq!(t.loose_items, 1);
        assert_eq!(t.shipping_units, 2);
        assert_eq!(t.value["USD"], Decimal::from_str("3.30").unwrap());
        assert_eq!(t.value["EUR"], Decimal::from(3));
    }

    #[test]
    fn declared_weight_beyond_tolerance_warns() {
        let m = mawb(vec![item("10", None, "1", "USD")]);
        let t = totals(&m);
        let mut c = MawbConfig {
            declared_weight: Some(Decimal::from(11)),
            ..Default::default()
        };
        let p = check_declared_weight(&c, &t, Decimal::from(5)).unwrap();
        assert_eq!(p.code, "declared-weight");
        assert!(p.message.contains("10%"), "{}", p.message);
        c.declared_weight = Some(Decimal::from_str("10.4").unwrap());
        assert!(check_declared_weight(&c, &t, Decimal::from(5)).is_none());
    }
}
