//! From the validated domain model to ACP's wire shapes: the one place where typed values become the
//! strings ACP receives (weights with 3 decimals in kg, dimensions in m, money with at least 2 decimals).

use super::wire;
use crate::model::{self, decimal_text, format_fixed_text, Decimal, MailItem, Text};
use compact_str::ToCompactString;

/// Money as ACP reads it: at least 2 decimals (`100.50`), more only when given (`0.125`).
pub fn money(d: Decimal) -> Text {
    let n = d.normalize();
    if n.scale() <= 2 {
        format_fixed_text(d, 2)
    } else {
        decimal_text(n)
    }
}

/// A dimension in metres, at most 3 decimals, no trailing zeros.
fn metres(d: Decimal) -> Text {
    decimal_text(model::round3(d).normalize())
}

/// An item's text as the ledger keeps it.
pub fn owned(t: &Option<Text>) -> Option<String> {
    t.as_deref().map(str::to_string)
}

fn address(a: &model::Address) -> wire::Address {
    wire::Address {
        name: a.name.clone(),
        company_name: a.company.clone(),
        address_line1: a.address1.clone(),
        address_line2: a.address2.clone(),
        city: a.city.clone(),
        state: a.state.clone(),
        zip: a.zip.clone(),
        country: a.country.clone(),
        phone: a.phone.clone(),
        email: a.email.clone(),
    }
}

/// A mail item for `createMailing`. `with_tracking` is false for items sent with a label type, where
/// ACP assigns the tracking number.
pub fn mail_item(item: &MailItem) -> wire::MailItem {
    wire::MailItem {
        tracking_number: item.tracking_number.clone(),
        shipper_item_id: item.shipper_item_id.clone(),
        display_item_id: item.display_item_id.clone(),
        consignee: address(&item.consignee),
        shipper: item.shipper.as_deref().map(address),
        return_address: item.return_address.as_deref().map(address),
        value: item.value.map(money).unwrap_or_default(),
        currency: item.currency.clone().unwrap_or_default(),
        weight: item.weight.map(|w| w.to_wire()).unwrap_or_default(),
        weight_unit: Text::const_new("kg"),
        dimensions: item.dimensions.map(|d| wire::Dimensions {
            length: metres(d.length),
            width: metres(d.width),
            height: metres(d.height),
            unit: Text::const_new("m"),
        }),
        products: item
            .products
            .iter()
            .map(|p| wire::Product {
                country_of_origin: p.country_of_origin.clone(),
                harmonization_code: p.hts.clone().unwrap_or_default(),
                description: p.description.clone().unwrap_or_default(),
                manufacturer_code: p.manufacturer_code.clone(),
                sku: p.sku.clone(),
                quantity: p
                    .quantity
                    .map(|q| q.to_compact_string())
                    .unwrap_or_default(),
                unit_value: p.unit_value.map(money),
                value: p.value.map(money),
                weight: p.weight.map(|w| w.to_wire()),
                prior_notice_filing_number: None,
            })
            .collect(),
    }
}

/// An item reference for createBag / createDay / cancelMailing: both ids when known (ACP then checks they
/// match), else the one known.
pub fn item_ref(tracking_number: Option<&str>, shipper_item_id: Option<&str>) -> wire::ItemRef {
    wire::ItemRef {
        tracking_number: tracking_number.map(String::from),
        shipper_item_id: shipper_item_id.map(String::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn money_keeps_two_decimals_at_least() {
        assert_eq!(money(Decimal::from_str("100.5").unwrap()), "100.50");
        assert_eq!(money(Decimal::from(7)), "7.00");
        assert_eq!(money(Decimal::from_str("0.125").unwrap()), "0.125");
        assert_eq!(money(Decimal::from_str("29.300").unwrap()), "29.30");
    }

    #[test]
    fn metres_drop_trailing_zeros() {
        assert_eq!(metres(Decimal::from_str("0.450").unwrap()), "0.45");
        assert_eq!(metres(Decimal::from_str("0.2540").unwrap()), "0.254");
    }
}
