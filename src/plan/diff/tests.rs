use super::*;
use crate::model::{Address, Bag, Kg, MailItem, MawbConfig, Origin};
use rust_decimal::Decimal;

pub(in crate::plan) fn item(tn: &str, weight: &str, bag: Option<&str>) -> MailItem {
    MailItem {
        tracking_number: Some(tn.into()),
        consignee: Address {
            name: Some("Ada Lovelace".into()),
            ..Default::default()
        },
        value: Some(Decimal::new(1000, 2)),
        currency: Some("USD".into()),
        weight: Some(Kg(weight.parse().unwrap())),
        bag: bag.map(Into::into),
        ..MailItem::at(Origin {
            file: 0,
            sheet: "Sheet1".into(),
            row: 2,
        })
    }
}

/// A MAWB of `items`, bagged by their `bag`.
pub(in crate::plan) fn mawb(items: Vec<MailItem>) -> Mawb {
    let mut bags: Vec<Bag> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if let Some(b) = &it.bag {
            match bags.iter_mut().find(|x| x.shipper_bag_id == *b) {
                Some(x) => x.items.push(i),
                None => bags.push(Bag {
                    shipper_bag_id: b.to_string(),
                    items: vec![i],
                }),
            }
        }
    }
    Mawb {
        dir: "M".into(),
        config: Some(MawbConfig {
            manifest_number: "112-44995451".into(),
            ..Default::default()
        }),
        image: None,
        files: Vec::new(),
        items,
        bags,
    }
}

/// What the ledger would hold after `m` was sent whole, with its day when `day`.
pub(in crate::plan) fn sent(m: &Mawb, day: bool) -> LedgerView {
    let frags = ItemFragments::of(m);
    LedgerView {
        items: (0..m.items.len())
            .map(|i| {
                (
                    item_key(m, i),
                    HeldItem {
                        tracking_number: crate::acp::convert::owned(&m.items[i].tracking_number),
                        shipper_item_id: None,
                        fingerprint: frags.fingerprints[i].clone(),
                    },
                )
            })
            .collect(),
        bags: frags
            .bags(m)
            .into_iter()
            .map(|(sid, (b, fp))| {
                (
                    sid,
                    HeldBag {
                        bag_id: format!("900{b}"),
                        fingerprint: fp,
                    },
                )
            })
            .collect(),
        day_id: day.then(|| "D1".to_string()),
        ..Default::default()
    }
}

pub(in crate::plan) fn three() -> Vec<MailItem> {
    vec![
        item("1Z1", "1.000", Some("A")),
        item("1Z2", "2.000", Some("A")),
        item("1Z3", "3.000", None),
    ]
}

#[test]
fn a_new_mawb_creates_everything_and_cancels_nothing() {
    let m = mawb(three());
    let d = diff(&m, &ItemFragments::of(&m), &LedgerView::default(), true);
    assert_eq!(d.items_to_create, vec![0, 1, 2]);
    assert_eq!(d.bags_to_create, vec![0]);
    assert!(!d.cancels_anything());
    assert_eq!(d.changes, "3 item(s) new: 1Z1, 1Z2, 1Z3");
}

#[test]
fn an_unchanged_mawb_sends_nothing() {
    let m = mawb(three());
    let d = diff(&m, &ItemFragments::of(&m), &sent(&m, true), true);
    assert_eq!(d, Diff::default());
}

#[test]
fn a_changed_bagged_item_rebuilds_its_item_its_bag_and_the_day() {
    let before = mawb(three());
    let mut items = three();
    items[1].weight = Some(Kg("2.500".parse().unwrap()));
    let now = mawb(items);
    let d = diff(&now, &ItemFragments::of(&now), &sent(&before, true), true);
    assert_eq!(d.items_to_cancel, vec!["1Z2".to_string()]);
    assert_eq!(d.items_to_create, vec![1]);
    assert_eq!(d.bags_to_cancel, vec!["112-44995451-A".to_string()]);
    assert_eq!(d.bags_to_create, vec![0]);
    assert!(d.day_affected);
    assert_eq!(d.changes, "1 item(s) changed: 1Z2");
}

#[test]
fn a_removed_loose_item_is_cancelled_and_touches_no_bag() {
    let before = mawb(three());
    let now = mawb(three().into_iter().take(2).collect());
    let d = diff(&now, &ItemFragments::of(&now), &sent(&before, false), true);
    assert_eq!(d.items_to_cancel, vec!["1Z3".to_string()]);
    assert!(d.items_to_create.is_empty());
    assert!(d.bags_to_cancel.is_empty() && d.bags_to_create.is_empty());
    assert!(!d.day_affected, "no day was held");
    assert_eq!(d.changes, "1 item(s) removed: 1Z3");
}

#[test]
fn an_item_wanting_its_label_is_cancelled_and_created_again_with_its_bag() {
    let m = mawb(three());
    let mut held = sent(&m, true);
    held.items_wanting_labels.insert("1Z1".into());
    let d = diff(&m, &ItemFragments::of(&m), &held, true);
    assert_eq!(d.items_to_cancel, vec!["1Z1".to_string()]);
    assert_eq!(d.items_to_create, vec![0]);
    assert_eq!(d.bags_to_cancel, vec!["112-44995451-A".to_string()]);
    assert!(d.day_affected);
}

#[test]
fn a_day_wanting_its_label_is_rebuilt_alone() {
    let m = mawb(three());
    let mut held = sent(&m, true);
    held.day_wants_label = true;
    let d = diff(&m, &ItemFragments::of(&m), &held, true);
    assert!(d.day_affected);
    assert!(d.items_to_cancel.is_empty() && d.bags_to_cancel.is_empty());
}

#[test]
fn a_day_held_by_a_mawb_that_no_longer_wants_one_is_affected() {
    let m = mawb(three());
    let d = diff(&m, &ItemFragments::of(&m), &sent(&m, true), false);
    assert!(d.day_affected);
}
