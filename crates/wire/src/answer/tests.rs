use super::*;
use crate::wire::{
    Address, Answer, BagInfo, BagResult, Command, DayInfo, DayResult, ErrorType, Label,
    MailItemInfo, MailItemResult, ManifestInfo, ManifestPart, ManifestResult, Status, UnitFailure,
};
use base64::Engine as _;
use proptest::prelude::*;

#[test]
fn counts_only_parsing_skips_the_items_of_manifest_parts() {
    let body = b"<shippingApiResponse><manifest><result>ok</result><manifestId>7</manifestId>\
        <numItems>2</numItems><numBags>0</numBags><numDays>0</numDays><weight>1.500</weight>\
        <manifestPart><departureFacility>LAX</departureFacility><numItems>2</numItems>\
        <unit><unitId>1Z1</unitId></unit>\
        <mailItem><trackingNumber>1Z1</trackingNumber><value>1</value></mailItem>\
        <mailItem><trackingNumber>1Z2</trackingNumber><value>2</value></mailItem>\
        </manifestPart></manifest></shippingApiResponse>";
    let full = parse_answer(Command::GetManifest, body).unwrap();
    let counts = parse_answer_counts(Command::GetManifest, body).unwrap();
    let (Answer::Manifest(full), Answer::Manifest(counts)) = (full, counts) else {
        panic!("not a manifest")
    };
    assert_eq!(full.parts[0].items.len(), 2);
    assert!(counts.parts[0].items.is_empty());
    assert_eq!(counts.info, full.info);
    assert_eq!(
        counts.info.as_ref().and_then(|i| i.num_items.as_deref()),
        Some("2")
    );
    assert_eq!(counts.parts[0].part.units, full.parts[0].part.units);

    let info = b"<shippingApiResponse><info><result>ok</result><mailItem><type>Direct</type>\
        <trackingNumber>1Z1</trackingNumber><value>9.00</value><bagId>55</bagId></mailItem>\
        <bag><bagId>55</bagId></bag></info></shippingApiResponse>";
    let Ok(Answer::Info(ids)) = parse_answer_counts(Command::GetInfo, info) else {
        panic!("not info")
    };
    assert_eq!(ids.items[0].tracking_number.as_deref(), Some("1Z1"));
    assert_eq!(ids.items[0].bag_id.as_deref(), Some("55"));
    assert_eq!(ids.items[0].value, None);
    assert_eq!(ids.bags[0].bag_id.as_deref(), Some("55"));
}

#[test]
fn get_info_keeps_only_the_wanted_units() {
    let info = b"<shippingApiResponse><info><result>ok</result>\
        <mailItem><trackingNumber>1Z1</trackingNumber><bagId>55</bagId></mailItem>\
        <mailItem><trackingNumber>1Z2</trackingNumber></mailItem>\
        <mailItem><shipperItemId>S3</shipperItemId></mailItem>\
        <mailItem><mailItemInfo><trackingNumber>1Z4</trackingNumber></mailItemInfo></mailItem>\
        <bag><bagId>55</bagId></bag><bag><bagId>56</bagId></bag><bag><shipperBagId>B</shipperBagId></bag>\
        </info></shippingApiResponse>";
    let wanted = |id: &str| matches!(id, "1Z2" | "1Z4" | "56" | "S3" | "B");
    let Ok(Answer::Info(kept)) = parse_info_wanted(Command::GetInfo, info, &wanted) else {
        panic!("not info")
    };
    let items: Vec<_> = kept
        .items
        .iter()
        .map(|i| i.tracking_number.as_deref())
        .collect();
    assert_eq!(items, [Some("1Z2"), Some("1Z4")]);
    assert!(kept
        .items
        .iter()
        .all(|i| i.bag_id.is_none() && i.shipper_item_id.is_none()));
    let bags: Vec<_> = kept.bags.iter().map(|b| b.bag_id.as_deref()).collect();
    assert_eq!(bags, [Some("56")]);
    assert!(kept.status.ok);
    // Everything else reads as parse_answer_counts reads it.
    let all = parse_info_wanted(Command::GetInfo, info, &|_| true).unwrap();
    let Answer::Info(all) = all else {
        panic!("not info")
    };
    let Ok(Answer::Info(counts)) = parse_answer_counts(Command::GetInfo, info) else {
        panic!("not info")
    };
    assert_eq!(all.items.len(), 3);
    assert_eq!(counts.items.len(), 4);
    assert_eq!(all.status, counts.status);
    // A cut-short answer is still an error, whatever is wanted.
    assert!(matches!(
        parse_info_wanted(Command::GetInfo, &info[..info.len() - 30], &wanted),
        Err(AnswerError::Truncated { .. })
    ));
}

use super::label::{fast_decode, LABEL_ENGINE};
use super::reader::{entity_reference, SNIPPET_CHARS};

fn parse(command: Command, xml: &str) -> Result<Answer, AnswerError> {
    parse_answer(command, xml.as_bytes())
}

fn mailing(xml: &str) -> Vec<MailItemResult> {
    match parse(Command::CreateMailing, xml) {
        Ok(Answer::Mailing(v)) => v,
        other => panic!("expected Mailing, got {other:?}"),
    }
}

fn manifest(command: Command, xml: &str) -> ManifestResult {
    match parse(command, xml) {
        Ok(Answer::Manifest(m)) => m,
        other => panic!("expected Manifest, got {other:?}"),
    }
}

fn day(command: Command, xml: &str) -> DayResult {
    match parse(command, xml) {
        Ok(Answer::Day(d)) => d,
        other => panic!("expected Day, got {other:?}"),
    }
}

fn bag(command: Command, xml: &str) -> BagResult {
    match parse(command, xml) {
        Ok(Answer::Bag(b)) => b,
        other => panic!("expected Bag, got {other:?}"),
    }
}

fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}

/// [`s`] for the fields kept as [`mawb_model::Text`].
fn t(text: &str) -> Option<mawb_model::Text> {
    Some(text.into())
}

const MAIL_ITEM_INFO: &str = "<type>Direct</type><creationDate>2012-08-31T20:00:00Z</creationDate>\
    <status>Picked Up</status><trackingNumber>1ZWE31190196785492</trackingNumber>\
    <shipperItemId>1234-4567890</shipperItemId><displayItemId>20121120-093021</displayItemId>\
    <value>100.50</value><currency>EUR</currency><weight>1.125</weight>\
    <weightUnitOfMeasure>kg</weightUnitOfMeasure><bagId>1000001234567890</bagId>\
    <shipperBagId>bag-1234</shipperBagId>";

fn mail_item_info() -> MailItemInfo {
    MailItemInfo {
        item_type: s("Direct"),
        creation_date: s("2012-08-31T20:00:00Z"),
        status: s("Picked Up"),
        tracking_number: s("1ZWE31190196785492"),
        shipper_item_id: s("1234-4567890"),
        display_item_id: s("20121120-093021"),
        value: s("100.50"),
        currency: s("EUR"),
        weight: s("1.125"),
        weight_unit: s("kg"),
        bag_id: s("1000001234567890"),
        shipper_bag_id: s("bag-1234"),
    }
}

const MANIFEST_INFO: &str =
    "<creationDate>2012-12-10T09:00:00Z</creationDate><warehouseId>7</warehouseId>\
    <manifestId>1534646</manifestId><userManifestId>WH-1</userManifestId>\
    <manifestNumber>112-44995451</manifestNumber><senderWarehouseId>7</senderWarehouseId>\
    <receiverWarehouseId>9</receiverWarehouseId><numItems>120</numItems><numBags>8</numBags>\
    <numDays>1</numDays><numParts>2</numParts><weight>56.000</weight>\
    <weightUnitOfMeasure>kg</weightUnitOfMeasure>";

fn manifest_info() -> ManifestInfo {
    ManifestInfo {
        creation_date: s("2012-12-10T09:00:00Z"),
        warehouse_id: s("7"),
        manifest_id: s("1534646"),
        user_manifest_id: s("WH-1"),
        manifest_number: s("112-44995451"),
        sender_warehouse_id: s("7"),
        receiver_warehouse_id: s("9"),
        num_items: s("120"),
        num_bags: s("8"),
        num_days: s("1"),
        num_parts: s("2"),
        weight: s("56.000"),
        weight_unit: s("kg"),
    }
}

// ---- createMailing / cancelMailing ------------------------------------------------------------------

#[test]
fn create_mailing_ok_with_label_and_conflict() {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<shippingApiResponse>\n  <mailItem>\n    <result>ok</result>\n\
         <trackingNumber>1ZWE31190196785492</trackingNumber><shipperItemId>1234-4567890</shipperItemId>\
         <labelFormat>PNG</labelFormat><label>aGVsbG8=</label><destinationBag>LAX</destinationBag>\
         <isDutiable>yes</isDutiable></mailItem>\
         <mailItem><result>error</result><errorType>conflict</errorType><error>Already exists &amp; recent</error>\
         <trackingNumber>TN2</trackingNumber><conflictMailItem>{MAIL_ITEM_INFO}</conflictMailItem></mailItem>\
         </shippingApiResponse>"
    );
    let items = mailing(&xml);
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0],
        MailItemResult {
            status: Status::ok(),
            tracking_number: s("1ZWE31190196785492"),
            shipper_item_id: s("1234-4567890"),
            label: Some(Label {
                format: s("PNG"),
                base64: "aGVsbG8=".into()
            }),
            destination_bag: s("LAX"),
            is_dutiable: s("yes"),
            conflict: None,
        }
    );
    assert_eq!(
        decode_label(items[0].label.as_ref().unwrap()).unwrap(),
        b"hello"
    );
    assert_eq!(
        items[1].status,
        Status::error(ErrorType::Conflict, "Already exists & recent")
    );
    assert_eq!(items[1].conflict, Some(mail_item_info()));
    assert_eq!(items[1].label, None);
}

#[test]
fn conflict_info_also_read_inside_a_wrapper() {
    let xml = format!(
        "<shippingApiResponse><mailItem><result>error</result><errorType>conflict</errorType>\
         <conflictMailItem><mailItemInfo>{MAIL_ITEM_INFO}</mailItemInfo></conflictMailItem></mailItem>\
         </shippingApiResponse>"
    );
    assert_eq!(mailing(&xml)[0].conflict, Some(mail_item_info()));
}

#[test]
fn cancel_mailing_answer() {
    let xml = "<shippingApiResponse><mailItem><result>ok</result><trackingNumber>TN1</trackingNumber>\
               <shipperItemId/></mailItem><mailItem><result>error</result><errorType>notFound</errorType>\
               <error>No such item</error><shipperItemId>S2</shipperItemId></mailItem></shippingApiResponse>";
    let items = match parse(Command::CancelMailing, xml).unwrap() {
        Answer::Mailing(v) => v,
        other => panic!("{other:?}"),
    };
    assert!(items[0].status.ok);
    assert_eq!(
        items[0].shipper_item_id,
        s(""),
        "empty element is Some(\"\")"
    );
    assert_eq!(items[0].destination_bag, None, "missing element is None");
    assert_eq!(
        items[1].status,
        Status::error(ErrorType::NotFound, "No such item")
    );
}

#[test]
fn label_format_after_label_and_cdata_and_whitespace() {
    let xml = "<shippingApiResponse><mailItem><result> ok\n</result><label>\n aGVs\r\n<![CDATA[bG8=]]>\n</label>\
               <labelFormat>PDF</labelFormat></mailItem></shippingApiResponse>";
    let items = mailing(xml);
    assert!(items[0].status.ok, "result is compared trimmed");
    let label = items[0].label.as_ref().unwrap();
    assert_eq!(label.format, s("PDF"));
    assert_eq!(label.base64, "\n aGVs\r\nbG8=\n");
    assert_eq!(decode_label(label).unwrap(), b"hello");
}

// ---- bags and days ----------------------------------------------------------------------------------

#[test]
fn create_bag_answer_with_failing_items() {
    let xml = "<shippingApiResponse><bag><result>ok</result><bagId>1000001234567890</bagId>\
               <shipperBagId>bag-1234</shipperBagId><labelFormat>PDF</labelFormat><label>JVBERg==</label>\
               <mailItem><errorType>notFound</errorType><error>unknown</error><trackingNumber>TN7</trackingNumber>\
               </mailItem><mailItem><errorType>conflict</errorType><shipperItemId>S8</shipperItemId>\
               <conflictMailItem><status>New</status><bagId>1000009</bagId></conflictMailItem></mailItem>\
               </bag></shippingApiResponse>";
    let b = bag(Command::CreateBag, xml);
    assert!(b.status.ok);
    assert_eq!(b.bag_id, s("1000001234567890"));
    assert_eq!(
        b.label,
        Some(Label {
            format: s("PDF"),
            base64: "JVBERg==".into()
        })
    );
    assert_eq!(b.items.len(), 2);
    assert_eq!(b.items[0].status.error_type, Some(ErrorType::NotFound));
    assert_eq!(b.items[0].tracking_number, s("TN7"));
    assert_eq!(
        b.items[1].conflict,
        Some(MailItemInfo {
            status: s("New"),
            bag_id: s("1000009"),
            ..MailItemInfo::default()
        })
    );
}

#[test]
fn cancel_bag_conflict() {
    let xml = "<shippingApiResponse><bag><result>error</result><errorType>conflict</errorType>\
               <error>picked up</error><bagId>1000001234567890</bagId><conflictBag><bagInfo>\
               <creationDate>2012-08-31T20:00:00Z</creationDate><status>Picked Up</status>\
               <bagId>1000001234567890</bagId><shipperBagId>bag-1234</shipperBagId><comment>Bag 1 of 10</comment>\
               </bagInfo></conflictBag></bag></shippingApiResponse>";
    let b = bag(Command::CancelBag, xml);
    assert_eq!(b.status, Status::error(ErrorType::Conflict, "picked up"));
    assert_eq!(
        b.conflict,
        Some(BagInfo {
            creation_date: s("2012-08-31T20:00:00Z"),
            status: s("Picked Up"),
            bag_id: s("1000001234567890"),
            shipper_bag_id: s("bag-1234"),
            comment: s("Bag 1 of 10"),
        })
    );
}

#[test]
fn close_day_with_bag_labels() {
    let xml = "<shippingApiResponse><day><result>ok</result><dayId>55</dayId><shipperDayId/>\
               <labelFormat>PNG</labelFormat><label>QUJD</label>\
               <bag><bagId>B1</bagId><shipperBagId>bag-1</shipperBagId><labelFormat>PNG</labelFormat><label>REVG</label></bag>\
               <bag><bagId>B2</bagId><labelFormat>PNG</labelFormat><label>R0hJ</label></bag>\
               </day></shippingApiResponse>";
    let d = day(Command::CloseDay, xml);
    assert!(d.status.ok);
    assert_eq!(d.day_id, s("55"));
    assert_eq!(d.shipper_day_id, s(""));
    assert_eq!(decode_label(d.label.as_ref().unwrap()).unwrap(), b"ABC");
    assert_eq!(d.bags.len(), 2);
    assert_eq!(d.bags[1].bag_id, s("B2"));
    assert_eq!(
        decode_label(d.bags[1].label.as_ref().unwrap()).unwrap(),
        b"GHI"
    );
}

#[test]
fn close_day_empty_and_reopen_day_conflict() {
    let d = day(
        Command::CloseDay,
        "<shippingApiResponse><day><result>error</result><errorType>empty</errorType><error>Nothing new</error></day></shippingApiResponse>",
    );
    assert_eq!(d.status, Status::error(ErrorType::Empty, "Nothing new"));
    let d = day(
        Command::ReopenDay,
        "<shippingApiResponse><day><result>error</result><errorType>conflict</errorType><error>picked up</error>\
         <dayId>55</dayId><conflictDay><creationDate>2012-08-31T20:00:00Z</creationDate><status>Picked Up</status>\
         <dayId>55</dayId><shipperDayId>day-1</shipperDayId></conflictDay></day></shippingApiResponse>",
    );
    assert_eq!(
        d.conflict,
        Some(DayInfo {
            creation_date: s("2012-08-31T20:00:00Z"),
            status: s("Picked Up"),
            day_id: s("55"),
            shipper_day_id: s("day-1"),
        })
    );
}

#[test]
fn create_day_with_failing_bags_and_items_and_cancel_day() {
    let xml = "<shippingApiResponse><day><result>ok</result><dayId>56</dayId><shipperDayId>day-2</shipperDayId>\
               <conflictDay><dayInfo><dayId>56</dayId></dayInfo></conflictDay>\
               <bag><errorType>conflict</errorType><error>in another day</error><bagId>B9</bagId>\
               <conflictBag><status>New</status></conflictBag></bag>\
               <mailItem><errorType>notFound</errorType><trackingNumber>TN404</trackingNumber></mailItem>\
               </day></shippingApiResponse>";
    let d = day(Command::CreateDay, xml);
    assert_eq!(
        d.conflict,
        Some(DayInfo {
            day_id: s("56"),
            ..DayInfo::default()
        })
    );
    assert_eq!(d.bags[0].status.error_type, Some(ErrorType::Conflict));
    assert_eq!(
        d.bags[0].conflict,
        Some(BagInfo {
            status: s("New"),
            ..BagInfo::default()
        })
    );
    assert_eq!(d.items[0].tracking_number, s("TN404"));

    let d = day(
        Command::CancelDay,
        "<shippingApiResponse><day><result>ok</result><dayId>56</dayId></day></shippingApiResponse>",
    );
    assert!(d.status.ok);
    assert!(d.bags.is_empty() && d.items.is_empty() && d.label.is_none());
}

#[test]
fn get_info_answer() {
    let xml = format!(
        "<shippingApiResponse><info><result>ok</result><errorType/><error/>\
         <mailItem>{MAIL_ITEM_INFO}</mailItem><mailItem><mailItemInfo><trackingNumber>T2</trackingNumber></mailItemInfo></mailItem>\
         <bag><bagId>B1</bagId><comment>c</comment></bag><bag><bagInfo><bagId>B2</bagId></bagInfo></bag>\
         </info></shippingApiResponse>"
    );
    let i = match parse(Command::GetInfo, &xml).unwrap() {
        Answer::Info(i) => i,
        other => panic!("{other:?}"),
    };
    assert!(i.status.ok);
    assert_eq!(i.status.error_type, Some(ErrorType::Other(String::new())));
    assert_eq!(i.status.error, s(""));
    assert_eq!(
        i.items,
        vec![
            mail_item_info(),
            MailItemInfo {
                tracking_number: s("T2"),
                ..MailItemInfo::default()
            }
        ]
    );
    assert_eq!(
        i.bags[0],
        BagInfo {
            bag_id: s("B1"),
            comment: s("c"),
            ..BagInfo::default()
        }
    );
    assert_eq!(i.bags[1].bag_id, s("B2"));
}

// ---- manifests --------------------------------------------------------------------------------------

#[test]
fn create_manifest_ok_and_unit_failures() {
    let xml = format!(
        "<shippingApiResponse><manifest><result>error</result><errorType>invalid</errorType><error>units</error>\
         <manifestId>1534646</manifestId><userManifestId>WH-1</userManifestId>\
         <unit><errorType>notFound</errorType><error>unknown</error><unitId>1ZWE31190196785492</unitId>\
         <unitType>mailItem</unitType></unit>\
         <unit><errorType>conflict</errorType><unitId>T2</unitId><unitType>mailItem</unitType>\
         <conflictMailItem>{MAIL_ITEM_INFO}</conflictMailItem></unit>\
         <unit><errorType>conflict</errorType><unitId>B1</unitId><unitType>bag</unitType>\
         <conflictBag><bagId>B1</bagId></conflictBag></unit>\
         <unit><errorType>conflict</errorType><unitId>D1</unitId><unitType>day</unitType>\
         <conflictDay><dayId>D1</dayId></conflictDay></unit>\
         </manifest></shippingApiResponse>"
    );
    let m = manifest(Command::CreateManifest, &xml);
    assert_eq!(m.status, Status::error(ErrorType::Invalid, "units"));
    assert_eq!(m.manifest_id, s("1534646"));
    assert_eq!(m.user_manifest_id, s("WH-1"));
    assert_eq!(m.info, None, "a create answer carries no manifest info");
    assert_eq!(m.units.len(), 4);
    assert_eq!(
        m.units[0],
        UnitFailure {
            error_type: Some(ErrorType::NotFound),
            error: s("unknown"),
            unit_id: s("1ZWE31190196785492"),
            unit_type: s("mailItem"),
            ..UnitFailure::default()
        }
    );
    assert_eq!(m.units[1].conflict_item, Some(mail_item_info()));
    assert_eq!(
        m.units[2].conflict_bag,
        Some(BagInfo {
            bag_id: s("B1"),
            ..BagInfo::default()
        })
    );
    assert_eq!(
        m.units[3].conflict_day,
        Some(DayInfo {
            day_id: s("D1"),
            ..DayInfo::default()
        })
    );
}

#[test]
fn modify_and_cancel_manifest_conflicts() {
    for (command, error_type) in [
        (Command::ModifyManifest, ErrorType::Conflict),
        (Command::CancelManifest, ErrorType::Sent),
    ] {
        let xml = format!(
            "<shippingApiResponse><manifest><result>error</result><errorType>{}</errorType><error>x</error>\
             <conflictManifest>{MANIFEST_INFO}</conflictManifest></manifest></shippingApiResponse>",
            error_type.as_str()
        );
        let m = manifest(command, &xml);
        assert_eq!(m.status.error_type, Some(error_type));
        assert_eq!(m.conflict, Some(manifest_info()));
        assert_eq!(m.manifest_id, None);
        let wrapped = xml
            .replace("<conflictManifest>", "<conflictManifest><manifestInfo>")
            .replace("</conflictManifest>", "</manifestInfo></conflictManifest>");
        assert_eq!(manifest(command, &wrapped).conflict, Some(manifest_info()));
    }
}

fn get_manifest_xml(info: &str) -> String {
    format!(
        "<shippingApiResponse><manifest><result>ok</result>{info}\
         <senderAddress><name>Warehouse</name><city>Leipzig</city><country>DE</country></senderAddress>\
         <receiverAddress><companyName>ACP</companyName><country>US</country></receiverAddress>\
         <manifestPart><departureFacility>LAX</departureFacility><departureDate>2012-12-10T10:00:00</departureDate>\
         <arrivalFacility>JFK</arrivalFacility><arrivalDate>2012-12-10T12:40:00-07:00</arrivalDate>\
         <carrier>AA</carrier><tripNumber>123</tripNumber><unit><unitId>T1</unitId></unit><unit><unitId>B1</unitId></unit>\
         <numItems>3</numItems><numBags>1</numBags><numDays>0</numDays><weight>12.500</weight>\
         <weightUnitOfMeasure>kg</weightUnitOfMeasure>\
         <mailItem><trackingNumber>T1</trackingNumber><consignee><name>Jane</name><addressLine2/><country>US</country></consignee>\
         <value>5</value><currency>USD</currency><weight>0.1</weight><weightUnitOfMeasure>kg</weightUnitOfMeasure>\
         <dimensions><length>0.5</length><width>0.4</width><height>0.3</height><dimensionsUnitOfMeasure>m</dimensionsUnitOfMeasure></dimensions>\
         <product><harmonizationCode>4901</harmonizationCode><description>Book</description><quantity>2</quantity><value>29.30</value></product>\
         </mailItem>\
         <bag><bagInfo><bagId>B1</bagId><status>New</status></bagInfo></bag>\
         <day><dayId>D1</dayId></day>\
         </manifestPart></manifest></shippingApiResponse>"
    )
}

fn check_get_manifest(m: &ManifestResult) {
    assert!(m.status.ok);
    assert_eq!(m.info, Some(manifest_info()));
    assert_eq!(m.manifest_id, s("1534646"));
    assert_eq!(m.user_manifest_id, s("WH-1"));
    assert_eq!(
        m.sender_address,
        Some(Address {
            name: t("Warehouse"),
            city: t("Leipzig"),
            country: t("DE"),
            ..Address::default()
        })
    );
    assert_eq!(m.receiver_address.as_ref().unwrap().company_name, t("ACP"));
    assert_eq!(m.parts.len(), 1);
    let p = &m.parts[0];
    assert_eq!(
        p.part,
        ManifestPart {
            departure_facility: "LAX".into(),
            departure_date: "2012-12-10T10:00:00".into(),
            arrival_facility: "JFK".into(),
            arrival_date: "2012-12-10T12:40:00-07:00".into(),
            carrier: "AA".into(),
            trip_number: "123".into(),
            units: vec!["T1".into(), "B1".into()],
        }
    );
    assert_eq!(
        (
            p.num_items.as_deref(),
            p.num_bags.as_deref(),
            p.num_days.as_deref()
        ),
        (Some("3"), Some("1"), Some("0"))
    );
    assert_eq!(
        (p.weight.as_deref(), p.weight_unit.as_deref()),
        (Some("12.500"), Some("kg"))
    );
    let item = &p.items[0];
    assert_eq!(item.tracking_number, t("T1"));
    assert_eq!(item.consignee.address_line2, t(""));
    assert_eq!(item.value, "5");
    assert_eq!(item.dimensions.as_ref().unwrap().unit, "m");
    assert_eq!(item.products[0].value, t("29.30"));
    assert_eq!(item.products[0].unit_value, None);
    assert_eq!(
        p.bags,
        vec![BagInfo {
            bag_id: s("B1"),
            status: s("New"),
            ..BagInfo::default()
        }]
    );
    assert_eq!(
        p.days,
        vec![DayInfo {
            day_id: s("D1"),
            ..DayInfo::default()
        }]
    );
}

#[test]
fn get_manifest_inline_info() {
    check_get_manifest(&manifest(
        Command::GetManifest,
        &get_manifest_xml(MANIFEST_INFO),
    ));
}

#[test]
fn get_manifest_wrapped_info() {
    let xml = get_manifest_xml(&format!("<manifestInfo>{MANIFEST_INFO}</manifestInfo>"));
    check_get_manifest(&manifest(Command::GetManifest, &xml));
}

// ---- tolerance --------------------------------------------------------------------------------------

#[test]
fn unknown_elements_are_skipped_at_any_depth() {
    let xml = "<?xml version=\"1.0\"?><!-- hi --><shippingApiResponse><routing><carrier>LAX-DHL</carrier>\
               <mailItem><result>error</result></mailItem></routing><extra/>\
               <mailItem><newField a=\"1\"><result>error</result><deeper><label>x</label></deeper></newField>\
               <result>ok</result><?pi x?><trackingNumber>T<b>old</b>1</trackingNumber><counter/>\
               <conflictMailItem><status>New</status><unknown><status>X</status></unknown></conflictMailItem>\
               </mailItem></shippingApiResponse>";
    let items = mailing(xml);
    assert_eq!(
        items.len(),
        1,
        "the mailItem inside <routing> is not a command node"
    );
    assert!(items[0].status.ok);
    assert_eq!(items[0].label, None);
    assert_eq!(
        items[0].tracking_number,
        s("T1"),
        "nested elements inside a leaf are skipped"
    );
    assert_eq!(
        items[0].conflict,
        Some(MailItemInfo {
            status: s("New"),
            ..MailItemInfo::default()
        })
    );
}

#[test]
fn namespaces_bom_entities() {
    let xml = "\u{FEFF}<a:shippingApiResponse xmlns:a=\"urn:x\"><a:mailItem><a:result>ok</a:result>\
               <a:trackingNumber>&lt;T&amp;1&gt; &#x4E2D;&#25991; &quot;&apos; AT&T</a:trackingNumber>\
               </a:mailItem></a:shippingApiResponse>";
    let items = mailing(xml);
    assert_eq!(
        items[0].tracking_number,
        s("<T&1> 中文 \"' AT&T"),
        "known entities resolved, a bare & kept"
    );
}

#[test]
fn server_text_is_bounded_but_labels_are_not() {
    let huge = "x".repeat(1_000_000);
    let xml = format!(
        "<shippingApiResponse><mailItem><result>error</result><errorType>invalid</errorType>\
         <error>{huge}</error><label>{huge}</label></mailItem></shippingApiResponse>"
    );
    let items = mailing(&xml);
    let err = items[0].status.error.clone().unwrap_or_default();
    assert!(err.len() < MAX_SERVER_TEXT + 100, "{}", err.len());
    assert!(
        err.ends_with("(cut: 1000000 bytes in all)"),
        "{}",
        &err[err.len() - 40..]
    );
    assert_eq!(
        items[0].label.as_ref().map(|l| l.base64.len()),
        Some(1_000_000)
    );
    assert_eq!(bounded_text("short".into()), "short");
}

#[test]
fn entity_declarations_and_undeclared_entities_are_refused() {
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\
                  <shippingApiResponse><mailItem><result>ok</result><trackingNumber>&lol2;</trackingNumber>\
                  </mailItem></shippingApiResponse>";
    let e = parse(Command::CreateMailing, laughs)
        .unwrap_err()
        .to_string();
    assert!(e.contains("declares entities"), "{e}");
    let undeclared =
        "<shippingApiResponse><mailItem><result>ok</result><trackingNumber>&lol9;</trackingNumber>\
                      </mailItem></shippingApiResponse>";
    let e = parse(Command::CreateMailing, undeclared)
        .unwrap_err()
        .to_string();
    assert!(e.contains("&lol9;"), "{e}");
    assert_eq!(entity_reference("&nbsp; x"), Some("nbsp"));
    assert_eq!(entity_reference("& x;"), None);
    assert_eq!(entity_reference("&T"), None);
}

#[test]
fn common_error() {
    let xml = "<shippingApiResponse><error>Invalid API key</error></shippingApiResponse>";
    for command in Command::ALL {
        assert_eq!(
            parse(command, xml).unwrap(),
            Answer::CommonError("Invalid API key".into()),
            "{command}"
        );
    }
    // The command node wins over a stray common error.
    let both = "<shippingApiResponse><error>x</error><mailItem><result>ok</result></mailItem></shippingApiResponse>";
    assert!(matches!(
        parse(Command::CreateMailing, both),
        Ok(Answer::Mailing(_))
    ));
}

#[test]
fn missing_node() {
    for xml in [
        "<shippingApiResponse/>",
        "<shippingApiResponse></shippingApiResponse>",
        "<shippingApiResponse><bag><result>ok</result></bag></shippingApiResponse>",
    ] {
        let err = parse(Command::CreateMailing, xml).unwrap_err();
        assert_eq!(err, AnswerError::MissingNode(Command::CreateMailing));
        assert!(
            err.to_string().contains("createMailing") && err.to_string().contains("<mailItem>")
        );
    }
    assert_eq!(
        parse(
            Command::GetManifest,
            "<shippingApiResponse><day/></shippingApiResponse>"
        )
        .unwrap_err(),
        AnswerError::MissingNode(Command::GetManifest)
    );
}

#[test]
fn empty_element_nodes_are_results() {
    assert_eq!(
        mailing("<shippingApiResponse><mailItem/></shippingApiResponse>"),
        vec![MailItemResult::default()]
    );
    assert_eq!(
        bag(
            Command::CancelBag,
            "<shippingApiResponse><bag/></shippingApiResponse>"
        ),
        BagResult::default()
    );
}

// ---- unusable bodies --------------------------------------------------------------------------------

#[test]
fn empty_body() {
    assert_eq!(parse_answer(Command::GetInfo, b""), Err(AnswerError::Empty));
    assert_eq!(
        parse_answer(Command::GetInfo, b" \r\n\t"),
        Err(AnswerError::Empty)
    );
    assert_eq!(
        parse_answer(Command::GetInfo, b"\xEF\xBB\xBF\n"),
        Err(AnswerError::Empty)
    );
}

#[test]
fn html_body_is_not_xml() {
    let page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\r\n<body>\
                <center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>\x07"
        .to_string()
        + &"x".repeat(400)
        + "</body></html>";
    let err = parse(Command::CreateManifest, &page).unwrap_err();
    let AnswerError::NotXml { snippet } = &err else {
        panic!("expected NotXml, got {err:?}")
    };
    assert!(
        snippet.starts_with("<!DOCTYPE html> <html><head><title>502 Bad Gateway"),
        "{snippet}"
    );
    assert!(
        !snippet.contains(['\n', '\r', '\x07']),
        "one line, no controls: {snippet}"
    );
    assert!(snippet.chars().count() <= SNIPPET_CHARS + 1 && snippet.ends_with('…'));
    assert!(err.to_string().contains("502 Bad Gateway"));

    for body in [
        "<html><body>oops</body></html>",
        "Service Unavailable",
        "{\"error\":\"x\"}",
        "<HTML>",
    ] {
        assert!(
            matches!(
                parse(Command::GetInfo, body),
                Err(AnswerError::NotXml { .. })
            ),
            "{body}"
        );
    }
    assert!(matches!(
        parse_answer(Command::GetInfo, b"\xFF\xFE<\x00x"),
        Err(AnswerError::NotXml { .. })
    ));
}

#[test]
fn wrong_root() {
    let err = parse(
        Command::GetInfo,
        "<?xml version=\"1.0\"?><shippingApiRequest><info/></shippingApiRequest>",
    )
    .unwrap_err();
    assert_eq!(err, AnswerError::WrongRoot("shippingApiRequest".into()));
    assert!(err.to_string().contains("<shippingApiRequest>"));
}

#[test]
fn truncated_bodies() {
    let full = "<shippingApiResponse><mailItem><result>ok</result><labelFormat>PNG</labelFormat>\
                <label>aGVsbG8gd29ybGQ=</label></mailItem></shippingApiResponse>";
    let root_end = full.find("<shippingApiResponse>").unwrap() + "<shippingApiResponse>".len();
    for cut in root_end..full.len() {
        match parse(Command::CreateMailing, &full[..cut]) {
            Err(AnswerError::Truncated { offset, .. }) => assert!(offset as usize <= cut),
            other => panic!(
                "cut at {cut} ({:?}): expected Truncated, got {other:?}",
                &full[..cut]
            ),
        }
    }
    let err = parse(Command::CreateMailing, &full[..full.find("gd29").unwrap()]).unwrap_err();
    assert!(
        matches!(&err, AnswerError::Truncated { inside, .. } if inside == "label"),
        "{err:?}"
    );
    assert!(err.to_string().contains("<label>"));
    assert!(matches!(
        parse(Command::CreateMailing, "<?xml version=\"1.0\"?>"),
        Err(AnswerError::Truncated { .. })
    ));
}

#[test]
fn malformed_body() {
    let err = parse(
        Command::CreateMailing,
        "<shippingApiResponse><mailItem><result>ok</mailItem></shippingApiResponse>",
    )
    .unwrap_err();
    assert!(
        matches!(&err, AnswerError::Malformed { inside, .. } if inside == "result"),
        "{err:?}"
    );
    let err = parse_answer(
        Command::CreateMailing,
        b"<shippingApiResponse><error>\xFF</error></shippingApiResponse>",
    )
    .unwrap_err();
    assert!(
        matches!(&err, AnswerError::Malformed { detail, .. } if detail.contains("UTF-8")),
        "{err:?}"
    );
}

#[test]
fn bad_base64_label() {
    let xml = "<shippingApiResponse><mailItem><result>ok</result><labelFormat>PNG</labelFormat>\
               <label>aGVs!G8=</label></mailItem></shippingApiResponse>";
    let items = mailing(xml);
    let err = decode_label(items[0].label.as_ref().unwrap()).unwrap_err();
    assert!(matches!(err, AnswerError::BadBase64 { .. }));
    let msg = err.to_string();
    assert!(msg.contains("(PNG)") && msg.contains("offset 4"), "{msg}");
    let spaced = Label {
        format: None,
        base64: "aGVs\n bG8=\n#".into(),
    };
    let msg = decode_label(&spaced).unwrap_err().to_string();
    assert!(
        msg.starts_with("label is not valid base64") && msg.contains("without whitespace"),
        "{msg}"
    );
    // Tolerated: missing padding, and MIME line breaks.
    assert_eq!(
        decode_label(&Label {
            format: None,
            base64: "aGVsbG8".into()
        })
        .unwrap(),
        b"hello"
    );
    assert_eq!(
        decode_label(&Label {
            format: None,
            base64: String::new()
        })
        .unwrap(),
        b""
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_random_bytes(body in proptest::collection::vec(any::<u8>(), 0..300), c in 0usize..13) {
        let _ = parse_answer(Command::ALL[c], &body);
    }

    #[test]
    fn never_panics_on_mutated_answers(cut in 0usize..2000, flips in proptest::collection::vec((0usize..2000, any::<u8>()), 0..4), c in 0usize..13) {
        let mut body = get_manifest_xml(&format!("<manifestInfo>{MANIFEST_INFO}</manifestInfo>")).into_bytes();
        for (pos, byte) in flips {
            let len = body.len();
            body[pos % len] = byte;
        }
        body.truncate(cut.min(body.len()));
        let _ = parse_answer(Command::ALL[c], &body);
    }

    #[test]
    fn text_round_trips(text in any::<String>()) {
        let text: String = text.chars().filter(|&c| crate::request::forbidden_xml_char(&c.to_string()).is_none()).collect();
        let mut escaped = String::new();
        for c in text.chars() {
            match c {
                '&' => escaped.push_str("&amp;"),
                '<' => escaped.push_str("&lt;"),
                '>' => escaped.push_str("&gt;"),
                '\r' => escaped.push_str("&#13;"),
                c => escaped.push(c),
            }
        }
        let xml = format!("<shippingApiResponse><mailItem><error>{escaped}</error></mailItem></shippingApiResponse>");
        let items = mailing(&xml);
        prop_assert_eq!(items[0].status.error.as_deref(), Some(text.as_str()));
    }

    #[test]
    fn fast_decoder_agrees_with_the_base64_crate(text in "[A-Za-z0-9+/=]{0,70}|[A-Za-z0-9+/]{0,70}[ -~]?[A-Za-z0-9+/]{0,20}") {
        let crate_result = LABEL_ENGINE.decode(text.as_bytes()).ok();
        prop_assert_eq!(fast_decode(text.as_bytes()), crate_result);
    }

    #[test]
    fn fast_decoder_round_trips(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        prop_assert_eq!(fast_decode(b64.as_bytes()), Some(data.clone()));
        let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&data);
        prop_assert_eq!(fast_decode(unpadded.as_bytes()), Some(data));
    }

    #[test]
    fn labels_decode_with_any_line_breaks(data in proptest::collection::vec(any::<u8>(), 0..500), width in 1usize..100) {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        let wrapped: Vec<String> = b64.as_bytes().chunks(width).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        let label = Label { format: None, base64: wrapped.join("\r\n") };
        prop_assert_eq!(decode_label(&label).unwrap(), data);
    }
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 100_000;
    let mut xml = String::from("<shippingApiResponse><mailItem><conflictMailItem>");
    xml.push_str(&"<mailItemInfo>".repeat(depth));
    xml.push_str(&"</mailItemInfo>".repeat(depth));
    xml.push_str("</conflictMailItem></mailItem></shippingApiResponse>");
    assert_eq!(mailing(&xml).len(), 1);
}
