//! The state's writes and the one resolver, on an in-memory database.

use super::*;
use mawb_wire::wire::{BagRef, DayRef, ErrorType, ItemRef, Manifest, ManifestRef};

const NOW: &str = "2026-01-02T03:04:05Z";

fn store() -> (Store, i64) {
    let store = Store::open(None).expect("in-memory database");
    let account = store.account(&"ab".repeat(32)).expect("account");
    (store, account)
}

fn item(conn: &Connection, account: i64, tn: &str, sid: Option<&str>) -> i64 {
    let stored = insert_item(
        conn,
        &NewItem {
            account,
            tracking_number: tn,
            shipper_item_id: sid,
            display_item_id: None,
            value: "10.00",
            currency: "USD",
            weight: "1.250",
            created: NOW,
            label: 0,
            xml: "<mailItem/>",
        },
    )
    .expect("insert");
    assert!(stored);
    item_by_tracking(conn, account, tn)
        .expect("lookup")
        .expect("stored item")
        .id
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// The error a failed lookup answers with.
fn failure<T>(found: Found<T>) -> (ErrorType, String) {
    match found {
        Ok(_) => panic!("expected a failure"),
        Err(e) => e,
    }
}

#[test]
fn item_is_found_by_either_id_or_both() {
    let (store, account) = store();
    let conn = &store.conn;
    let a = item(conn, account, "1ZA", Some("REF-A"));
    let refs = [
        ItemRef {
            tracking_number: some("1ZA"),
            shipper_item_id: None,
        },
        ItemRef {
            tracking_number: None,
            shipper_item_id: some("REF-A"),
        },
        ItemRef {
            tracking_number: some("1ZA"),
            shipper_item_id: some("REF-A"),
        },
        // An empty id counts as not given.
        ItemRef {
            tracking_number: some(""),
            shipper_item_id: some("REF-A"),
        },
    ];
    for r in refs {
        let found = find_item(conn, account, &r).expect("query");
        assert_eq!(found.map(|i| i.id).ok(), Some(a), "{r:?}");
    }
}

#[test]
fn item_lookup_failures_name_the_ids() {
    let (store, account) = store();
    let conn = &store.conn;
    item(conn, account, "1ZA", Some("REF-A"));
    item(conn, account, "1ZB", Some("REF-B"));
    let cases = [
        (
            ItemRef::default(),
            ErrorType::Invalid,
            "mailItem needs a trackingNumber or a shipperItemId",
        ),
        (
            ItemRef {
                tracking_number: some(""),
                shipper_item_id: some(""),
            },
            ErrorType::Invalid,
            "mailItem needs a trackingNumber or a shipperItemId",
        ),
        (
            ItemRef {
                tracking_number: some("1ZX"),
                shipper_item_id: some("REF-A"),
            },
            ErrorType::NotFound,
            "no mail item with trackingNumber 1ZX",
        ),
        (
            ItemRef {
                tracking_number: some("1ZA"),
                shipper_item_id: some("REF-X"),
            },
            ErrorType::NotFound,
            "no mail item with shipperItemId REF-X",
        ),
        (
            ItemRef {
                tracking_number: some("1ZA"),
                shipper_item_id: some("REF-B"),
            },
            ErrorType::NotFound,
            "trackingNumber 1ZA and shipperItemId REF-B name different mail items",
        ),
    ];
    for (r, error_type, message) in cases {
        let (t, m) = failure(find_item(conn, account, &r).expect("query"));
        assert_eq!((t, m.as_str()), (error_type, message), "{r:?}");
    }
}

#[test]
fn items_of_another_account_are_not_found() {
    let (store, account) = store();
    let conn = &store.conn;
    item(conn, account, "1ZA", Some("REF-A"));
    let other = store.account(&"cd".repeat(32)).expect("account");
    let r = ItemRef {
        tracking_number: some("1ZA"),
        shipper_item_id: None,
    };
    let (t, _) = failure(find_item(conn, other, &r).expect("query"));
    assert_eq!(t, ErrorType::NotFound);
}

#[test]
fn bags_and_days_resolve_with_their_own_names() {
    let (store, account) = store();
    let conn = &store.conn;
    let a = item(conn, account, "1ZA", None);
    let (bag, bag_id) = insert_bag(conn, account, Some("SB-1"), None, "JFK", NOW).expect("bag");
    put_items_in_bag(conn, bag, &[a]).expect("bag the item");
    let (_, other_bag) = insert_bag(conn, account, Some("SB-2"), None, "JFK", NOW).expect("bag");
    let found = find_bag(
        conn,
        account,
        &BagRef {
            bag_id: Some(bag_id.clone()),
            shipper_bag_id: some("SB-1"),
        },
    )
    .expect("query");
    assert_eq!(found.map(|b| b.id).ok(), Some(bag));
    let (t, m) = failure(
        find_bag(
            conn,
            account,
            &BagRef {
                bag_id: Some(other_bag.clone()),
                shipper_bag_id: some("SB-1"),
            },
        )
        .expect("query"),
    );
    assert_eq!(t, ErrorType::NotFound);
    assert_eq!(
        m,
        format!("bagId {other_bag} and shipperBagId SB-1 name different bags")
    );
    let (t, m) = failure(find_bag(conn, account, &BagRef::default()).expect("query"));
    assert_eq!(
        (t, m.as_str()),
        (ErrorType::Invalid, "bag needs a bagId or a shipperBagId")
    );

    let (_, day_id) = insert_day(conn, account, Some("SD-1"), "JFK", NOW).expect("day");
    let found = find_day(
        conn,
        account,
        &DayRef {
            day_id: None,
            shipper_day_id: some("SD-1"),
        },
    )
    .expect("query");
    assert_eq!(found.map(|d| d.day_id).ok(), Some(day_id));
    let (t, m) = failure(
        find_day(
            conn,
            account,
            &DayRef {
                day_id: some("1"),
                shipper_day_id: None,
            },
        )
        .expect("query"),
    );
    assert_eq!(
        (t, m.as_str()),
        (ErrorType::NotFound, "no day with dayId 1")
    );
}

#[test]
fn manifests_resolve_and_delete_with_their_parts() {
    let (store, account) = store();
    let conn = &store.conn;
    let a = item(conn, account, "1ZA", None);
    let manifest = Manifest {
        user_manifest_id: some("UM-1"),
        manifest_number: "112-44995451".to_string(),
        ..Default::default()
    };
    let fields = ManifestFields {
        manifest: &manifest,
        user_manifest_id: Some("UM-1"),
        image: None,
        file: None,
        alert_email: None,
        now: NOW,
    };
    let row = insert_manifest(conn, account, &fields).expect("manifest");
    let units = [UnitRow {
        part: 0,
        ord: 0,
        unit_id: "1ZA",
        kind: KIND_ITEM,
        obj: a,
    }];
    put_manifest_contents(conn, row, &[Default::default()], &units).expect("contents");
    let contents = manifest_contents(conn, row).expect("contents");
    assert_eq!((contents.parts.len(), contents.items.clone()), (1, vec![a]));
    assert_eq!(contents.weight.to_string(), "1.250");
    let by_user_id = ManifestRef {
        manifest_id: None,
        user_manifest_id: some("UM-1"),
    };
    let found = find_manifest(conn, account, &by_user_id).expect("query");
    assert_eq!(
        found.map(|m| m.manifest_id).ok(),
        Some(manifest_id_for(row))
    );
    let (t, m) = failure(
        find_manifest(
            conn,
            account,
            &ManifestRef {
                manifest_id: some("999"),
                user_manifest_id: some("UM-1"),
            },
        )
        .expect("query"),
    );
    assert_eq!(
        (t, m.as_str()),
        (ErrorType::NotFound, "no manifest with manifestId 999")
    );
    delete_manifest(conn, row).expect("delete");
    assert!(manifest_contents(conn, row)
        .expect("contents")
        .parts
        .is_empty());
    let (t, _) = failure(find_manifest(conn, account, &by_user_id).expect("query"));
    assert_eq!(t, ErrorType::NotFound);
}

#[test]
fn a_second_item_with_a_known_id_is_not_stored() {
    let (store, account) = store();
    let conn = &store.conn;
    item(conn, account, "1ZA", Some("REF-A"));
    for (tn, sid) in [("1ZA", None), ("1ZB", Some("REF-A"))] {
        let stored = insert_item(
            conn,
            &NewItem {
                account,
                tracking_number: tn,
                shipper_item_id: sid,
                display_item_id: None,
                value: "1",
                currency: "USD",
                weight: "1",
                created: NOW,
                label: 0,
                xml: "<mailItem/>",
            },
        )
        .expect("insert");
        assert!(!stored, "{tn}");
    }
    assert_eq!(count_new(conn, account).expect("count"), (0, 1));
}
