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
