use super::escape::{escaped_len, is_forbidden};
use super::sink::encode_base64;
use super::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use proptest::prelude::*;
use quick_xml::events::Event;

// ---- sample requests, one per command with data ------------------------------------------------

fn address(name: &str) -> Address {
    Address {
        name: Some(name.into()),
        company_name: Some("Amazon".into()),
        address_line1: Some("9559 Collins Ave Apt #903".into()),
        address_line2: Some(Default::default()),
        city: Some("Beverly Hills".into()),
        state: Some("CA".into()),
        zip: Some("90210".into()),
        country: Some("US".into()),
        phone: Some("123-456-9890".into()),
        email: Some("john-doe@example.com".into()),
    }
}

fn full_item() -> MailItem {
    MailItem {
        tracking_number: Some("1ZWE31190196785492".into()),
        shipper_item_id: Some("1234-4567890".into()),
        display_item_id: Some("20121120-093021".into()),
        consignee: address("John Doe"),
        shipper: Some(Address {
            company_name: Some("Smith & Sons <Ltd>".into()),
            address_line1: Some("1 Rue de l'Église".into()),
            city: Some("Paris".into()),
            zip: Some("75001".into()),
            country: Some("FR".into()),
            ..Address::default()
        }),
        return_address: Some(address("Returns")),
        value: "100.50".into(),
        currency: "EUR".into(),
        weight: "1.125".into(),
        weight_unit: "kg".into(),
        dimensions: Some(Dimensions {
            length: "0.5".into(),
            width: "0.4".into(),
            height: "0.3".into(),
            unit: "m".into(),
        }),
        products: vec![
            Product {
                country_of_origin: Some("FR".into()),
                harmonization_code: "4901.99.0070".into(),
                description: "Book \"Les Misérables\" 📚".into(),
                manufacturer_code: Some("M-1".into()),
                sku: Some("SKU-9".into()),
                quantity: "2".into(),
                unit_value: Some("14.65".into()),
                value: Some("29.30".into()),
                weight: Some("0.5".into()),
                prior_notice_filing_number: Some(Default::default()),
            },
            Product {
                harmonization_code: "6109.10".into(),
                description: "T-shirt 棉".into(),
                quantity: "1".into(),
                ..Product::default()
            },
        ],
    }
}

fn minimal_item() -> MailItem {
    MailItem {
        tracking_number: Some("TN2".into()),
        consignee: Address {
            name: Some("Jane".into()),
            country: Some("US".into()),
            ..Address::default()
        },
        value: "5".into(),
        currency: "USD".into(),
        weight: "0.100".into(),
        weight_unit: "kg".into(),
        ..MailItem::default()
    }
}

fn manifest(with_id: bool) -> Manifest {
    Manifest {
        manifest_id: with_id.then(|| "1534646".to_string()),
        user_manifest_id: Some("WH-2026-11-24-01".into()),
        manifest_number: "112-44995451".into(),
        shipping_units: "3".into(),
        user_defined_weight: "56.000".into(),
        user_defined_weight_uom: "kg".into(),
        image: Some(Attachment {
            name: "112-44995451.PDF".into(),
            data: b"%PDF-1.4 scan".to_vec(),
        }),
        file: Some(Attachment {
            name: "112-44995451.csv".into(),
            data: b"hawb,weight\n1,2\n".to_vec(),
        }),
        alert_email: Some("ops@example.com".into()),
        parts: vec![
            ManifestPart {
                departure_facility: "LAX".into(),
                departure_date: "2012-12-10T10:00:00".into(),
                arrival_facility: "JFK".into(),
                arrival_date: "2012-12-10T12:40:00-07:00".into(),
                carrier: "AA".into(),
                trip_number: "123".into(),
                units: vec!["1ZWE31190196785492".into(), "1000001234567890".into()],
            },
            ManifestPart {
                departure_facility: "JFK".into(),
                departure_date: "2012-12-11T08:00:00Z".into(),
                arrival_facility: "FRA".into(),
                arrival_date: "2012-12-11T20:00:00+01:00".into(),
                carrier: "LH".into(),
                trip_number: "401".into(),
                units: vec!["day-1234".into()],
            },
        ],
    }
}

fn samples() -> Vec<(&'static str, Request)> {
    vec![
        (
            "createMailing",
            Request::CreateMailing(vec![full_item(), minimal_item()]),
        ),
        (
            "cancelMailing",
            Request::CancelMailing(vec![
                ItemRef {
                    tracking_number: Some("1ZWE31190196785492".into()),
                    shipper_item_id: None,
                },
                ItemRef {
                    tracking_number: None,
                    shipper_item_id: Some("1234-4567890".into()),
                },
                ItemRef {
                    tracking_number: Some("TN3".into()),
                    shipper_item_id: Some("S3".into()),
                },
            ]),
        ),
        (
            "createBag",
            Request::CreateBag(Bag {
                shipper_bag_id: Some("bag-1234".into()),
                comment: Some("Bag 1 of 10".into()),
                items: vec![
                    ItemRef {
                        tracking_number: Some("1ZWE31190196785492".into()),
                        shipper_item_id: Some("1234-4567890".into()),
                    },
                    ItemRef {
                        tracking_number: Some("TN2".into()),
                        shipper_item_id: None,
                    },
                ],
            }),
        ),
        (
            "cancelBag",
            Request::CancelBag(BagRef {
                bag_id: Some("1000001234567890".into()),
                shipper_bag_id: None,
            }),
        ),
        (
            "createDay",
            Request::CreateDay(Day {
                shipper_day_id: Some("day-1234".into()),
                bags: vec![
                    BagRef {
                        bag_id: Some("1000001234567890".into()),
                        shipper_bag_id: Some("bag-1234".into()),
                    },
                    BagRef {
                        bag_id: None,
                        shipper_bag_id: Some("bag-1235".into()),
                    },
                ],
                items: vec![ItemRef {
                    tracking_number: Some("TN9".into()),
                    shipper_item_id: None,
                }],
            }),
        ),
        (
            "cancelDay",
            Request::CancelDay(DayRef {
                day_id: None,
                shipper_day_id: Some("day-1234".into()),
            }),
        ),
        ("createManifest", Request::CreateManifest(manifest(true))),
        ("modifyManifest", Request::ModifyManifest(manifest(true))),
        (
            "cancelManifest",
            Request::CancelManifest(ManifestRef {
                manifest_id: Some("1534646".into()),
                user_manifest_id: None,
            }),
        ),
        (
            "getManifest",
            Request::GetManifest(ManifestRef {
                manifest_id: None,
                user_manifest_id: Some("WH-2026-11-24-01".into()),
            }),
        ),
    ]
}

fn golden(command: &str) -> &'static str {
    match command {
        "createMailing" => include_str!("../../../../tests/golden/requests/createMailing.xml"),
        "cancelMailing" => include_str!("../../../../tests/golden/requests/cancelMailing.xml"),
        "createBag" => include_str!("../../../../tests/golden/requests/createBag.xml"),
        "cancelBag" => include_str!("../../../../tests/golden/requests/cancelBag.xml"),
        "createDay" => include_str!("../../../../tests/golden/requests/createDay.xml"),
        "cancelDay" => include_str!("../../../../tests/golden/requests/cancelDay.xml"),
        "createManifest" => include_str!("../../../../tests/golden/requests/createManifest.xml"),
        "modifyManifest" => include_str!("../../../../tests/golden/requests/modifyManifest.xml"),
        "cancelManifest" => include_str!("../../../../tests/golden/requests/cancelManifest.xml"),
        "getManifest" => include_str!("../../../../tests/golden/requests/getManifest.xml"),
        other => panic!("no golden for {other}"),
    }
}

/// A writer that accepts at most 7 bytes per call, to prove the staging path handles short writes.
struct Dribble(Vec<u8>);
impl Write for Dribble {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(7);
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn via_write(req: &Request) -> io::Result<Vec<u8>> {
    let mut out = Dribble(Vec::new());
    write_request(req, &mut out)?;
    Ok(out.0)
}

#[test]
fn golden_requests() {
    let mut commands: Vec<&str> = Vec::new();
    for (command, req) in samples() {
        assert_eq!(req.command().as_str(), command);
        let got = request_to_vec(&req).unwrap();
        let got = String::from_utf8(got).unwrap();
        // Golden files hold the exact bytes; one trailing newline (editors add it) is not part of them.
        let want = golden(command);
        let want = want.strip_suffix('\n').unwrap_or(want);
        assert_eq!(
            got, want,
            "{command}: output differs from tests/golden/requests/{command}.xml"
        );
        assert_eq!(request_len(&req), got.len(), "{command}: request_len");
        assert_eq!(
            via_write(&req).unwrap(),
            got.as_bytes(),
            "{command}: write_request path"
        );
        commands.push(command);
    }
    // Every command with data has a golden.
    let with_data: Vec<&str> = crate::wire::Command::ALL
        .iter()
        .filter(|c| c.has_data())
        .map(|c| c.as_str())
        .collect();
    assert_eq!(commands, with_data);
}

#[test]
fn create_manifest_omits_manifest_id_modify_puts_it_first() {
    let create =
        String::from_utf8(request_to_vec(&Request::CreateManifest(manifest(true))).unwrap())
            .unwrap();
    assert!(!create.contains("<manifestId>"));
    let modify =
        String::from_utf8(request_to_vec(&Request::ModifyManifest(manifest(true))).unwrap())
            .unwrap();
    assert!(modify.contains("<manifest><manifestId>1534646</manifestId><userManifestId>"));
}

#[test]
fn commands_without_data_are_refused() {
    for req in [Request::CloseDay, Request::ReopenDay, Request::GetInfo] {
        let err = request_to_vec(&req).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(req.command().as_str()));
        assert_eq!(request_len(&req), 0);
    }
}

fn item_with_name(name: &str) -> Request {
    let mut item = minimal_item();
    item.consignee.name = Some(name.into());
    Request::CreateMailing(vec![item])
}

#[test]
fn escapes() {
    let cases = [
        ("a<b", "a&lt;b"),
        ("Smith & Sons", "Smith &amp; Sons"),
        ("5 > 3", "5 &gt; 3"),
        ("say \"hi\"", "say &quot;hi&quot;"),
        ("O'Brien", "O&apos;Brien"),
        ("]]>", "]]&gt;"),
        ("line1\r\nline2\ttab", "line1&#13;\nline2\ttab"),
        ("emoji 📦🚚", "emoji 📦🚚"),
        ("北京市朝阳区", "北京市朝阳区"),
        ("&amp;", "&amp;amp;"),
        ("\u{FFFD}\u{FFFC}\u{EFFF}", "\u{FFFD}\u{FFFC}\u{EFFF}"),
        ("", ""),
    ];
    for (input, escaped) in cases {
        let xml = String::from_utf8(request_to_vec(&item_with_name(input)).unwrap()).unwrap();
        let want = format!("<consignee><name>{escaped}</name>");
        assert!(xml.contains(&want), "{input:?}: {xml}");
        assert_eq!(escaped_len(input), escaped.len(), "{input:?}");
    }
}

#[test]
fn forbidden_chars_are_found_and_refused_by_the_writer() {
    assert_eq!(forbidden_xml_char("plain text, tab\t, lf\n, cr\r"), None);
    assert_eq!(forbidden_xml_char("ab\u{1}c"), Some((2, '\u{1}')));
    assert_eq!(forbidden_xml_char("é\u{0}"), Some((1, '\u{0}')));
    assert_eq!(forbidden_xml_char("北\u{FFFE}"), Some((1, '\u{FFFE}')));
    assert_eq!(forbidden_xml_char("\u{FFFF}"), Some((0, '\u{FFFF}')));
    assert_eq!(forbidden_xml_char("\u{FFFD}\u{7F}\u{85}"), None);

    let err = request_to_vec(&item_with_name("Jo\u{1B}hn")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    let msg = err.to_string();
    assert!(
        msg.contains("<name>") && msg.contains("U+001B") && msg.contains("character 2"),
        "{msg}"
    );
    let err = via_write(&item_with_name("x\u{FFFF}")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);

    // write_request_to_vec leaves the Vec as it was on error.
    let mut out = b"keep".to_vec();
    assert!(write_request_to_vec(&item_with_name("\u{2}"), &mut out).is_err());
    assert_eq!(out, b"keep");
}

/// The text of the first `<name>` element, parsed back with quick-xml.
fn parse_name_back(xml: &[u8]) -> String {
    let mut r = quick_xml::Reader::from_reader(xml);
    let mut in_name = false;
    let mut text = String::new();
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"name" => in_name = true,
            Event::Text(t) if in_name => text.push_str(&t.unescape().unwrap()),
            Event::End(e) if e.name().as_ref() == b"name" => return text,
            Event::Eof => panic!("no <name>"),
            _ => {}
        }
    }
}

fn attachment_manifest(image: Vec<u8>, file: Vec<u8>) -> Manifest {
    Manifest {
        image: Some(Attachment {
            name: "scan.tif".into(),
            data: image,
        }),
        file: Some(Attachment {
            name: "list.csv".into(),
            data: file,
        }),
        ..manifest(false)
    }
}

/// The decoded bytes of each `<data>` element, in order.
fn attachments_back(xml: &[u8]) -> Vec<Vec<u8>> {
    let mut r = quick_xml::Reader::from_reader(xml);
    let mut out = Vec::new();
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) if e.name().as_ref() == b"data" => {
                let text = r.read_text(e.name()).unwrap();
                out.push(STANDARD.decode(text.as_bytes()).unwrap());
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn attachments_round_trip_at_chunk_boundaries() {
    let c = BASE64_CHUNK;
    for len in [
        0,
        1,
        2,
        3,
        4,
        5,
        c - 1,
        c,
        c + 1,
        2 * c - 1,
        2 * c,
        2 * c + 1,
        3 * c + 2,
    ] {
        let image = pseudo_random(len, len as u64 + 1);
        let file = pseudo_random(len / 2 + 1, len as u64 + 7);
        let req = Request::CreateManifest(attachment_manifest(image.clone(), file.clone()));
        let xml = request_to_vec(&req).unwrap();
        assert_eq!(xml.len(), request_len(&req), "len {len}");
        assert_eq!(
            attachments_back(&xml),
            vec![image.clone(), file.clone()],
            "len {len}"
        );
        assert_eq!(
            via_write(&req).unwrap(),
            xml,
            "len {len}: write_request path"
        );
    }
}

fn xml_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 &<>\"'\r\n\t\u{FFFD}\u{EFBF}📦北]{0,40}",
    ]
    .prop_map(|s| s.chars().filter(|&c| !is_forbidden(c)).collect())
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(xml_text())
}

prop_compose! {
    fn arb_manifest()(
        modify in any::<bool>(),
        ids in (opt_text(), opt_text()),
        head in (xml_text(), xml_text(), xml_text(), xml_text()),
        image in proptest::option::of((xml_text(), proptest::collection::vec(any::<u8>(), 0..200))),
        file in proptest::option::of((xml_text(), proptest::collection::vec(any::<u8>(), 0..200))),
        alert in opt_text(),
        parts in proptest::collection::vec(
            ((xml_text(), xml_text(), xml_text()), proptest::collection::vec(xml_text(), 0..4)), 0..3),
    ) -> (Manifest, bool) {
        let m = Manifest {
            manifest_id: ids.0,
            user_manifest_id: ids.1,
            manifest_number: head.0,
            shipping_units: head.1,
            user_defined_weight: head.2,
            user_defined_weight_uom: head.3,
            image: image.map(|(name, data)| Attachment { name, data }),
            file: file.map(|(name, data)| Attachment { name, data }),
            alert_email: alert,
            parts: parts.into_iter().map(|((a, b, c), units)| ManifestPart {
                departure_facility: a,
                departure_date: b.clone(),
                arrival_facility: c,
                arrival_date: b,
                carrier: "AA".into(),
                trip_number: "1".into(),
                units,
            }).collect(),
        };
        (m, modify)
    }
}

proptest! {
    #[test]
    fn fast_encoder_matches_the_base64_crate(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut out = b"<data>".to_vec();
        encode_base64(&data, &mut out);
        prop_assert_eq!(String::from_utf8(out).unwrap(), format!("<data>{}", STANDARD.encode(&data)));
    }

    #[test]
    fn text_round_trips_through_quick_xml(s in xml_text()) {
        let xml = request_to_vec(&item_with_name(&s)).unwrap();
        prop_assert_eq!(parse_name_back(&xml), s);
    }

    #[test]
    fn forbidden_chars_are_rejected(
        prefix in xml_text(),
        bad in prop_oneof![(0u32..0x20).prop_filter("allowed", |c| ![9, 10, 13].contains(c)), Just(0xFFFE), Just(0xFFFF)],
        suffix in any::<String>(),
    ) {
        let bad = char::from_u32(bad).unwrap();
        let s = format!("{prefix}{bad}{suffix}");
        prop_assert_eq!(forbidden_xml_char(&s), Some((prefix.chars().count(), bad)));
        prop_assert_eq!(request_to_vec(&item_with_name(&s)).unwrap_err().kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn attachments_decode_to_the_original(len in prop_oneof![0usize..10, 49_140usize..49_160, 98_300usize..98_310], seed in any::<u64>()) {
        let image = pseudo_random(len, seed);
        let req = Request::CreateManifest(attachment_manifest(image.clone(), Vec::new()));
        let xml = request_to_vec(&req).unwrap();
        prop_assert_eq!(xml.len(), request_len(&req));
        prop_assert_eq!(attachments_back(&xml), vec![image, Vec::new()]);
    }

    #[test]
    fn manifest_len_is_exact((m, modify) in arb_manifest()) {
        let req = if modify { Request::ModifyManifest(m) } else { Request::CreateManifest(m) };
        let xml = request_to_vec(&req).unwrap();
        prop_assert_eq!(request_len(&req), xml.len());
        prop_assert_eq!(via_write(&req).unwrap(), xml);
    }
}
