//! Every ACP check of the sandbox's own rule reader, on good and bad input.

use super::*;
use mawb_wire::wire::{ManifestPart, Product};

type ItemChange = Box<dyn Fn(&mut MailItem)>;
type ManifestChange = Box<dyn Fn(&mut Manifest)>;

pub(crate) fn good_item() -> MailItem {
    MailItem {
        tracking_number: Some("1ZWE31190196785492".into()),
        shipper_item_id: Some("S-1".into()),
        consignee: Address {
            name: Some("John Doe".into()),
            address_line1: Some("9559 Collins Ave".into()),
            city: Some("Beverly Hills".into()),
            state: Some("CA".into()),
            zip: Some("90210".into()),
            country: Some("US".into()),
            ..Default::default()
        },
        value: "100.50".into(),
        currency: "EUR".into(),
        weight: "1.125".into(),
        weight_unit: "kg".into(),
        products: vec![Product {
            harmonization_code: "4901.99.0070".into(),
            description: "Book".into(),
            quantity: "2".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[test]
fn rates_are_sorted() {
    assert!(USD_RATES.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(usd_rate("EUR"), Decimal::new(108, 2));
    assert_eq!(usd_rate("XOF"), Decimal::ONE);
}

#[test]
fn decimals() {
    assert_eq!(parse_decimal("1.125"), Some(Decimal::new(1125, 3)));
    assert!(parse_decimal("999999999999.99999999").is_some());
    for bad in [
        "",
        "1.",
        ".5",
        "-1",
        "1e3",
        " 1",
        "1,5",
        "1.2.3",
        "1234567890123",
        "1.123456789",
    ] {
        assert_eq!(parse_decimal(bad), None, "{bad}");
    }
}

#[test]
fn a_good_item_passes() {
    let f = check_mail_item(&good_item(), 0, 3).unwrap();
    assert_eq!(f.weight_kg, Decimal::new(1125, 3));
    assert_eq!(f.value_usd, Decimal::new(10854, 2));
}

#[test]
fn each_rule_has_a_precise_message() {
    let cases: Vec<(ItemChange, u8, &str)> = vec![
        (
            Box::new(|i| i.tracking_number = None),
            0,
            "trackingNumber is required",
        ),
        (
            Box::new(|i| i.tracking_number = Some("1ZWE31190196785493".into())),
            0,
            "expected 2",
        ),
        (Box::new(|_| {}), 1, "must not be sent with label=1"),
        (
            Box::new(|i| {
                i.consignee.name = None;
            }),
            0,
            "consignee/name or consignee/companyName is required",
        ),
        (
            Box::new(|i| i.consignee.name = Some("x".repeat(36).into())),
            0,
            "consignee/name is 36 characters long; at most 35",
        ),
        (
            Box::new(|i| i.consignee.address_line2 = Some("y".repeat(100).into())),
            0,
            "116 characters together",
        ),
        (
            Box::new(|i| i.consignee.state = Some("XX".into())),
            0,
            "'XX' is not a US state code",
        ),
        (
            Box::new(|i| i.consignee.country = Some("ZZ".into())),
            0,
            "country 'ZZ' is not an ISO",
        ),
        (
            Box::new(|i| i.consignee.phone = Some("1".repeat(21).into())),
            0,
            "phone is 21 characters",
        ),
        (
            Box::new(|i| i.value = "900".into()),
            0,
            "consignee/email is required when the value is above 800 USD",
        ),
        (
            Box::new(|i| i.value = "250".into()),
            0,
            "product 1/unitValue or value is required",
        ),
        (
            Box::new(|i| i.weight = "0".into()),
            0,
            "weight '0' must be more than 0",
        ),
        (
            Box::new(|i| i.weight = "abc".into()),
            0,
            "weight 'abc' is not a decimal",
        ),
        (
            Box::new(|i| i.currency = "EURO".into()),
            0,
            "'EURO' is not an ISO 4217",
        ),
        (
            Box::new(|i| i.weight_unit = "lb".into()),
            0,
            "weightUnitOfMeasure 'lb' must be kg",
        ),
        (
            Box::new(|i| i.products[0].quantity = "0".into()),
            0,
            "'0' is not a positive whole number",
        ),
        (
            Box::new(|i| i.products[0].harmonization_code = "1234567890123".into()),
            0,
            "harmonizationCode is 13",
        ),
        (
            Box::new(|i| i.products[0].description = Default::default()),
            0,
            "product 1/description is required",
        ),
        (
            Box::new(|i| i.products[0].country_of_origin = Some("XX".into())),
            0,
            "countryOfOrigin 'XX'",
        ),
        (Box::new(|i| i.products.clear()), 0, "at least one product"),
        (
            Box::new(|i| i.shipper_item_id = Some("s".repeat(51).into())),
            0,
            "shipperItemId is 51",
        ),
        (
            Box::new(|i| {
                i.tracking_number = None;
                i.weight = "7".into();
            }),
            1,
            "above the 15 lb limit of label 1",
        ),
        (
            Box::new(|i| {
                i.tracking_number = None;
                i.value = "1000".into();
                i.consignee.email = Some("a@b.io".into());
            }),
            5,
            "above the 1000 USD limit of label 5",
        ),
    ];
    for (change, label, needle) in cases {
        let mut item = good_item();
        change(&mut item);
        let err = check_mail_item(&item, label, 1).unwrap_err();
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let mut item = good_item();
    item.tracking_number = None;
    assert!(check_mail_item(&item, 1, 2)
        .unwrap_err()
        .contains("exactly one mailItem"));
    item.weight = "6.8".into(); // 14.99 lb
    assert!(check_mail_item(&item, 1, 1).is_ok());
}

#[test]
fn part_dates() {
    assert_eq!(parse_part_date("1970-01-01T01:00:00"), Some(3600));
    assert_eq!(parse_part_date("1970-01-01T01:00:00+01:00"), Some(0));
    assert_eq!(parse_part_date("1970-01-01T01:00:00-01:30"), Some(9000));
    for bad in [
        "1970-01-01T01:00:00Z",
        "1970-02-30T01:00:00",
        "1970-01-01 01:00:00",
        "1970-01-01T01:00",
        "1970-01-01T01:00:00+1:00",
    ] {
        assert_eq!(parse_part_date(bad), None, "{bad}");
    }
}

fn good_manifest() -> Manifest {
    Manifest {
        manifest_number: "112-44995451".into(),
        shipping_units: "1".into(),
        user_defined_weight: "56.000".into(),
        user_defined_weight_uom: "kg".into(),
        image: Some(Attachment {
            name: "a.pdf".into(),
            data: b"%PDF-1.4".to_vec(),
        }),
        file: Some(Attachment {
            name: "a.csv".into(),
            data: b"a,b\n".to_vec(),
        }),
        parts: vec![ManifestPart {
            departure_facility: "LAX".into(),
            departure_date: "2012-12-10T10:00:00".into(),
            arrival_facility: "JFK".into(),
            arrival_date: "2012-12-10T12:40:00-07:00".into(),
            carrier: "AA".into(),
            trip_number: "123".into(),
            units: vec!["X".into()],
        }],
        ..Default::default()
    }
}

#[test]
fn manifest_rules() {
    assert_eq!(check_manifest(&good_manifest(), false, &[]), Ok(()));
    let cases: Vec<(ManifestChange, &str)> = vec![
        (
            Box::new(|m| m.manifest_number = "112-44995452".into()),
            "the serial modulo 7 is 1",
        ),
        (
            Box::new(|m| m.user_defined_weight_uom = "g".into()),
            "must be kg or lb",
        ),
        (
            Box::new(|m| m.user_defined_weight = "1.0001".into()),
            "more than 3 decimals",
        ),
        (Box::new(|m| m.parts.clear()), "at least one manifestPart"),
        (
            Box::new(|m| m.parts[0].arrival_facility = "jfk".into()),
            "'jfk' is not a 3-letter IATA",
        ),
        (
            Box::new(|m| m.parts[0].arrival_date = "2012-12-10T01:00:00".into()),
            "is before departureDate",
        ),
        (
            Box::new(|m| m.image.as_mut().unwrap().data = b"GIF89a".to_vec()),
            "manifestImage is of an unknown type",
        ),
        (
            Box::new(|m| m.image.as_mut().unwrap().data = vec![b'%'; MAX_IMAGE_BYTES + 1]),
            "12000001 bytes decoded",
        ),
        (
            Box::new(|m| m.file.as_mut().unwrap().data = vec![0, 1, 2]),
            "binary but neither",
        ),
    ];
    for (change, needle) in cases {
        let mut m = good_manifest();
        change(&mut m);
        let err = check_manifest(&m, false, &[]).unwrap_err();
        assert!(err.contains(needle), "{needle}: {err}");
    }
    assert!(check_manifest(&good_manifest(), true, &[])
        .unwrap_err()
        .contains("manifestId is required"));
}

#[test]
fn zip_files() {
    use std::io::Write;
    let make = |names: &[&str]| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for n in names {
            w.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(b"x").unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    let att = |data| Attachment {
        name: "f.zip".into(),
        data,
    };
    assert_eq!(check_file(&att(make(&["a.csv", "b.XLS"]))), Ok("ZIP"));
    assert!(
        check_file(&att(make(&["[Content_Types].xml", "xl/workbook.xml"])))
            .unwrap_err()
            .contains("XLSX")
    );
    assert!(check_file(&att(make(&["a.exe"])))
        .unwrap_err()
        .contains("'a.exe'"));
    assert!(check_file(&att(b"PK\x03\x04garbage".to_vec()))
        .unwrap_err()
        .contains("not a readable ZIP"));
}
