use super::*;

fn item(tn: &str, sid: &str) -> ItemRow {
    ItemRow {
        key: sid.into(),
        tracking_number: Some(tn.into()),
        shipper_item_id: Some(sid.into()),
        fingerprint: "f".into(),
        label_wanted: false,
    }
}

fn label(tn: &str) -> LabelRow {
    LabelRow::new(
        "M",
        "item",
        tn,
        format!("item-{tn}.png"),
        "PNG",
        "00".into(),
        1,
    )
}

#[test]
fn a_cancelled_items_label_is_void_and_names_its_replacement() {
    let l = Ledger::in_memory().unwrap();
    l.put_items("M", &[item("T1", "S1"), item("T2", "S2")])
        .unwrap();
    assert!(l.put_label(&label("T1")).unwrap().is_empty());
    assert!(l.put_label(&label("T2")).unwrap().is_empty());
    l.remove_items("M", &["S1".into()]).unwrap();
    l.put_items("M", &[item("T9", "S1")]).unwrap();
    assert_eq!(l.put_label(&label("T9")).unwrap(), vec!["T1".to_string()]);
    let rows = l.labels("M").unwrap();
    let of = |tn: &str| rows.iter().find(|r| r.entity_id == tn).unwrap();
    assert!(of("T1").void);
    assert_eq!(of("T1").replaced_by.as_deref(), Some("T9"));
    assert_eq!(of("T1").shipper_item_id.as_deref(), Some("S1"));
    assert!(!of("T9").void && !of("T2").void);
    assert_eq!(of("T9").shipper_item_id.as_deref(), Some("S1"));
}

#[test]
fn a_ledger_of_an_earlier_version_gains_the_label_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE labels (mawb TEXT NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL,
               file TEXT NOT NULL, format TEXT NOT NULL, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL,
               created TEXT NOT NULL, PRIMARY KEY (mawb, file));
             INSERT INTO labels VALUES ('M', 'bag', 'B', 'bag-B.png', 'PNG', '00', 1, 'then');",
        )
        .unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    let rows = l.labels("M").unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].void && rows[0].replaced_by.is_none());
    drop(l);
    // Opening it again (or by a second process at the same time) finds the columns there.
    assert!(Ledger::open(&path).is_ok());
}

#[test]
fn records_objects_and_requests() {
    let l = Ledger::in_memory().unwrap();
    l.start_mawb("112-44995451", "f", "u").unwrap();
    let id = l
        .begin_request("112-44995451", "createMailing", "batch 1", 100)
        .unwrap();
    l.put_items(
        "112-44995451",
        &[ItemRow {
            key: "1Z1".into(),
            tracking_number: Some("1Z1".into()),
            shipper_item_id: None,
            fingerprint: "f1".into(),
            label_wanted: false,
        }],
    )
    .unwrap();
    l.finish_request(id, "ok", "1 item", 1).unwrap();
    assert_eq!(l.items("112-44995451").unwrap()["1Z1"].fingerprint, "f1");
    assert_eq!(l.requests(Some("112-44995451")).unwrap()[0].status, "ok");
    l.put_bag(
        "112-44995451",
        &BagRow {
            shipper_bag_id: "B".into(),
            bag_id: "100".into(),
            fingerprint: "x".into(),
            label_wanted: false,
        },
    )
    .unwrap();
    l.set_done("112-44995451", "fp").unwrap();
    let m = l.mawb("112-44995451").unwrap().unwrap();
    assert_eq!(m.state, "done");
    assert_eq!(m.fingerprint.as_deref(), Some("fp"));
}

#[test]
fn survives_reopening_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state.sqlite");
    {
        let l = Ledger::open(&p).unwrap();
        l.start_mawb("m", "f", "u").unwrap();
        l.set_manifest("m", "123", None).unwrap();
    }
    let l = Ledger::open(&p).unwrap();
    assert_eq!(
        l.mawb("m").unwrap().unwrap().manifest_id.as_deref(),
        Some("123")
    );
}

#[test]
fn keeps_the_packing_order_and_replaces_it_whole() {
    let l = Ledger::in_memory().unwrap();
    let row = |key: &str, bag: Option<&str>, kg: &str| PackingRow {
        item_key: key.into(),
        bag: bag.map(String::from),
        shipper_bag_id: bag.map(|b| format!("M-{b}")),
        weight_kg: Some(kg.parse().unwrap()),
    };
    l.put_packing("M", &[row("B", Some("7"), "1.250"), row("A", None, "0.5")])
        .unwrap();
    let got = l.packing("M").unwrap();
    assert_eq!(got[0].item_key, "B");
    assert_eq!(got[0].shipper_bag_id.as_deref(), Some("M-7"));
    assert_eq!(got[0].weight_kg.unwrap().to_string(), "1.250");
    assert_eq!(got[1].bag, None);
    l.put_packing("M", &[row("C", None, "2")]).unwrap();
    assert_eq!(l.packing("M").unwrap().len(), 1);
    assert!(l.packing("other").unwrap().is_empty());
}

#[test]
fn a_new_ledger_keeps_items_and_packing_in_their_key_order_without_rowids() {
    let l = Ledger::in_memory().unwrap();
    let sql: Vec<String> = l
        .conn()
        .prepare("SELECT sql FROM sqlite_schema WHERE name IN ('items', 'packing') ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(sql.len(), 2);
    assert!(sql.iter().all(|s| s.ends_with("WITHOUT ROWID")), "{sql:?}");
}

#[test]
fn a_ledger_whose_items_and_packing_have_rowids_still_records_and_reads_them() {
    // Ledgers created before the tables were WITHOUT ROWID keep their tables as they are.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE items (
               mawb TEXT NOT NULL, key TEXT NOT NULL, tracking_number TEXT, shipper_item_id TEXT,
               fingerprint TEXT NOT NULL, label_wanted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (mawb, key));
             CREATE TABLE packing (
               mawb TEXT NOT NULL, seq INTEGER NOT NULL, item_key TEXT NOT NULL, bag TEXT, shipper_bag_id TEXT,
               weight_kg TEXT, PRIMARY KEY (mawb, seq));
             INSERT INTO items VALUES ('M', 'S0', 'T0', 'S0', 'old', 0);",
        )
        .unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    l.put_items("M", &[item("T1", "S1"), item("T0", "S0")])
        .unwrap();
    let items = l.items("M").unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items["S0"].fingerprint, "f");
    assert_eq!(
        l.tracking_by_shipper_item_id("M").unwrap()["S1"],
        "T1".to_string()
    );
    l.put_packing(
        "M",
        &[PackingRow {
            item_key: "S1".into(),
            bag: None,
            shipper_bag_id: None,
            weight_kg: None,
        }],
    )
    .unwrap();
    assert_eq!(l.packing("M").unwrap()[0].item_key, "S1");
}

#[test]
fn a_ledger_whose_folder_is_a_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state");
    std::fs::write(&file, "not a folder").unwrap();
    let Err(e) = Ledger::open(&file.join("state.sqlite")) else {
        panic!("a ledger opened in a file")
    };
    assert!(matches!(e, LedgerError::NotAFolder(_)), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("is a file, not a folder") && msg.contains("MAWB_STATE_DIR"),
        "{msg}"
    );
}

#[test]
fn ids_used_by_other_mawbs_are_found_in_every_chunk_of_the_question() {
    let l = Ledger::in_memory().unwrap();
    // MAWB A holds T0..T449 / S0..S449; B asks about 450 ids of which three are A's.
    let rows: Vec<ItemRow> = (0..450)
        .map(|i| item(&format!("T{i}"), &format!("S{i}")))
        .collect();
    l.put_items("A", &rows).unwrap();
    let asked: Vec<String> = (0..450)
        .map(|i| match i {
            5 | 250 | 449 => format!("T{i}"),
            _ => format!("X{i}"),
        })
        .collect();
    let asked: Vec<&str> = asked.iter().map(String::as_str).collect();
    let found = l
        .ids_elsewhere("B", ItemIdColumn::TrackingNumber, &asked)
        .unwrap();
    let mut keys: Vec<&str> = found.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["T250", "T449", "T5"]);
    assert!(found.values().all(|m| m == "A"));
    // A MAWB's own ids are not "used elsewhere"; nor are shipperItemIds asked as tracking numbers.
    assert!(l
        .ids_elsewhere("A", ItemIdColumn::TrackingNumber, &asked)
        .unwrap()
        .is_empty());
    assert!(l
        .ids_elsewhere("B", ItemIdColumn::ShipperItemId, &["T5", "S7"])
        .unwrap()
        .keys()
        .eq(["S7"].iter()));
}

#[test]
fn a_ledger_on_disk_keeps_its_pages_cached_and_checkpoints_every_32_mb() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let c = l.conn();
    let cache: i64 = c.query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap();
    let checkpoint: i64 = c
        .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
        .unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!((cache, checkpoint, mode.as_str()), (-65536, 8192, "wal"));
}

#[test]
fn request_ids_grow_with_and_without_autoincrement() {
    // Ledgers created before requests lost AUTOINCREMENT keep it; both number each request after the last.
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.sqlite");
    Connection::open(&old)
        .unwrap()
        .execute_batch(
            "CREATE TABLE requests (
               id INTEGER PRIMARY KEY AUTOINCREMENT, mawb TEXT NOT NULL, command TEXT NOT NULL,
               detail TEXT NOT NULL, status TEXT NOT NULL, summary TEXT, data_bytes INTEGER NOT NULL,
               attempts INTEGER NOT NULL DEFAULT 0, started TEXT NOT NULL, finished TEXT);
             INSERT INTO requests (id, mawb, command, detail, status, data_bytes, started)
               VALUES (41, 'M', 'createMailing', 'batch 1', 'answered', 10, '2026-12-01T00:00:00.000Z');",
        )
        .unwrap();
    for (path, first) in [(old, 42), (dir.path().join("new.sqlite"), 1)] {
        let l = Ledger::open(&path).unwrap();
        let ids: Vec<i64> = (0..3)
            .map(|n| {
                l.begin_request("M", "createBag", &format!("bag {n}"), 1)
                    .unwrap()
            })
            .collect();
        assert_eq!(ids, [first, first + 1, first + 2], "{}", path.display());
        let sql: String = l
            .conn()
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = 'requests'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sql.contains("AUTOINCREMENT"), first == 42, "{sql}");
    }
}
