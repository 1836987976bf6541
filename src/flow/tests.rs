#[test]
fn a_batch_built_from_item_fragments_is_byte_identical_to_writing_it() {
    let item = |n: u32, name: &str| wire::MailItem {
        tracking_number: Some(format!("1Z{n}")),
        consignee: wire::Address {
            name: Some(name.into()),
            ..Default::default()
        },
        value: "1.00".into(),
        weight: "0.500".into(),
        ..Default::default()
    };
    let items = [item(1, "A & B"), item(2, "<mailItem>"), item(3, "Zoë")];
    let frags: Vec<Vec<u8>> = items
        .iter()
        .map(|w| {
            let mut buf = Vec::new();
            write_request_to_vec(&Request::CreateMailing(vec![w.clone()]), &mut buf).unwrap();
            buf
        })
        .collect();
    let mut expected = Vec::new();
    write_request_to_vec(
        &Request::CreateMailing(vec![items[0].clone(), items[2].clone()]),
        &mut expected,
    )
    .unwrap();
    assert_eq!(batch_data(&frags, &[0, 2]), expected);
}

use super::*;

#[test]
fn a_conflicting_item_matches_only_when_ids_value_and_weight_agree() {
    let sent = wire::MailItem {
        tracking_number: Some("1Z1".into()),
        shipper_item_id: Some("S1".into()),
        value: "10.00".into(),
        weight: "1.500".into(),
        ..Default::default()
    };
    let mut existing = MailItemInfo {
        tracking_number: Some("1Z1".into()),
        shipper_item_id: Some("S1".into()),
        value: Some("10.0".into()),
        weight: Some("1.5".into()),
        ..Default::default()
    };
    assert!(same_item(&sent, &existing));
    existing.weight = Some("2".into());
    assert!(!same_item(&sent, &existing));
    existing.weight = None;
    existing.shipper_item_id = Some("S2".into());
    assert!(!same_item(&sent, &existing));
}

#[test]
fn summaries_count_results_and_never_carry_labels() {
    let a = Answer::Mailing(vec![
        wire::MailItemResult {
            status: Status::ok(),
            label: Some(wire::Label {
                format: None,
                base64: "QUJD".into(),
            }),
            ..Default::default()
        },
        wire::MailItemResult {
            status: Status::error(ErrorType::Invalid, "bad zip"),
            ..Default::default()
        },
    ]);
    let s = summarise(&a);
    assert!(
        s.contains("ok:1") && s.contains("invalid:1") && s.contains("bad zip"),
        "{s}"
    );
    assert!(!s.contains("QUJD"));
}
