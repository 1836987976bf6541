//! The sandbox's own reader of request `data`: XML text into the shared wire types.
//!
//! Deliberately independent of the client's writer (`acp::request`) and reader (`acp::answer`): it is a
//! second implementation of the same spec, so that a mistake on one side shows up as a failing exchange
//! instead of cancelling out. It reads like ACP is described to: unknown elements are skipped with their
//! whole subtree, missing optional elements are absent, empty ones are empty strings, text is unescaped.
//!
//! Two passes: a small tree of the known elements only (text borrowed from the input when it holds no
//! entity, nesting bounded so no input can exhaust the stack), then a mapping of that tree onto the wire
//! types per command. Attachments are base64-decoded here; a bad encoding is not a parse error but a
//! note that the manifest rules turn into an `invalid` answer.

use std::borrow::Cow;

use base64::Engine as _;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::acp::wire::{
    Address, Attachment, Bag, BagRef, Command, Day, DayRef, Dimensions, ItemRef, MailItem, Manifest,
    ManifestPart, ManifestRef, Product, Request,
};

/// Deepest nesting accepted (the deepest request shape needs 5 levels).
const MAX_DEPTH: usize = 24;

/// A `data` value that cannot be read as a request: the message names what and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// A parsed request plus problems found while decoding attachments (each becomes part of an `invalid`
/// manifest answer).
#[derive(Debug)]
pub struct Parsed {
    pub request: Request,
    pub notes: Vec<String>,
}

/// Every element name the sandbox reads; anything else is skipped.
const KNOWN: &[&str] = &[
    "addressLine1",
    "addressLine2",
    "alertEmail",
    "arrivalDate",
    "arrivalFacility",
    "bag",
    "bagId",
    "carrier",
    "city",
    "comment",
    "companyName",
    "consignee",
    "country",
    "countryOfOrigin",
    "currency",
    "data",
    "day",
    "dayId",
    "departureDate",
    "departureFacility",
    "description",
    "dimensions",
    "dimensionsUnitOfMeasure",
    "displayItemId",
    "email",
    "harmonizationCode",
    "height",
    "length",
    "mailItem",
    "manifest",
    "manifestFile",
    "manifestId",
    "manifestImage",
    "manifestNumber",
    "manifestPart",
    "manufacturerCode",
    "name",
    "phone",
    "priorNoticeFilingNumber",
    "product",
    "quantity",
    "returnAddress",
    "shipper",
    "shipperBagId",
    "shipperDayId",
    "shipperItemId",
    "shippingApiRequest",
    "shippingUnits",
    "sku",
    "state",
    "trackingNumber",
    "tripNumber",
    "unit",
    "unitId",
    "unitValue",
    "userDefinedWeight",
    "userDefinedWeightUOM",
    "userManifestId",
    "value",
    "weight",
    "weightUnitOfMeasure",
    "width",
    "zip",
];

fn intern(name: &[u8]) -> Option<&'static str> {
    let name = std::str::from_utf8(name).ok()?;
    KNOWN.binary_search(&name).ok().map(|i| KNOWN[i])
}

/// One known element: its name, its text when it is a leaf, its known children.
#[derive(Debug)]
struct Node<'a> {
    name: &'static str,
    text: Cow<'a, str>,
    children: Vec<Node<'a>>,
}

impl<'a> Node<'a> {
    fn new(name: &'static str) -> Node<'a> {
        Node { name, text: Cow::Borrowed(""), children: Vec::new() }
    }

    fn child(&self, name: &str) -> Option<&Node<'a>> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Node<'a>> + 's {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of a child leaf, `None` when absent.
    fn opt(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.to_string())
    }

    /// The text of a child leaf, empty when absent.
    fn req(&self, name: &str) -> String {
        self.opt(name).unwrap_or_default()
    }
}

/// Builds the tree of known elements under the single root, which must be `root_name`.
fn tree<'a>(xml: &'a str, root_name: &str) -> Result<Node<'a>, ParseError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node<'a>> = Vec::new();
    let mut root: Option<Node<'a>> = None;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| ParseError(format!("not well-formed XML near byte {at}: {e}")))?;
        match event {
            Event::Start(e) if stack.is_empty() => {
                stack.push(Node::new(open_root(&e, root_name, root.is_some(), at)?));
            }
            Event::Empty(e) if stack.is_empty() => {
                root = Some(Node::new(open_root(&e, root_name, root.is_some(), at)?));
            }
            Event::Start(e) => match intern(e.local_name().as_ref()) {
                Some(name) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(ParseError(format!(
                            "elements nested more than {MAX_DEPTH} deep at byte {at}"
                        )));
                    }
                    stack.push(Node::new(name));
                }
                None => {
                    let end = e.name().as_ref().to_vec();
                    reader.read_to_end(quick_xml::name::QName(&end)).map_err(|err| {
                        ParseError(format!("not well-formed XML inside the element at byte {at}: {err}"))
                    })?;
                }
            },
            Event::Empty(e) => {
                if let (Some(name), Some(parent)) = (intern(e.local_name().as_ref()), stack.last_mut()) {
                    parent.children.push(Node::new(name));
                }
            }
            Event::End(_) => {
                if let Some(node) = stack.pop() {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => root = Some(node),
                    }
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    if top.children.is_empty() {
                        let text = t.unescape().map_err(|e| {
                            ParseError(format!("bad character reference near byte {at}: {e}"))
                        })?;
                        push_text(&mut top.text, text);
                    }
                } else if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(ParseError(format!("text outside the root element at byte {at}")));
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    if top.children.is_empty() {
                        let text = match c.into_inner() {
                            Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).map_err(|_| {
                                ParseError(format!("CDATA at byte {at} is not UTF-8"))
                            })?),
                            Cow::Owned(b) => Cow::Owned(String::from_utf8(b).map_err(|_| {
                                ParseError(format!("CDATA at byte {at} is not UTF-8"))
                            })?),
                        };
                        push_text(&mut top.text, text);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(ParseError(format!("the data ends inside <{}>", open.name)));
    }
    root.ok_or_else(|| ParseError(format!("no <{root_name}> element")))
}

/// Checks the root element and returns its interned name.
fn open_root(
    e: &quick_xml::events::BytesStart,
    root_name: &str,
    seen_root: bool,
    at: u64,
) -> Result<&'static str, ParseError> {
    let local = e.local_name();
    let name = String::from_utf8_lossy(local.as_ref());
    if seen_root {
        return Err(ParseError(format!("a second root element <{name}> at byte {at}")));
    }
    if name != root_name {
        return Err(ParseError(format!("the root element is <{name}>; expected <{root_name}>")));
    }
    intern(local.as_ref()).ok_or_else(|| ParseError(format!("unknown root <{name}>")))
}

fn push_text<'a>(into: &mut Cow<'a, str>, text: Cow<'a, str>) {
    if into.is_empty() {
        *into = text;
    } else {
        into.to_mut().push_str(&text);
    }
}

/// Parses the `data` of `command` into its request. Commands without data parse to their unit request.
pub fn parse_request(command: Command, data: &str) -> Result<Parsed, ParseError> {
    let mut notes = Vec::new();
    let request = match command {
        Command::CloseDay => Request::CloseDay,
        Command::ReopenDay => Request::ReopenDay,
        Command::GetInfo => Request::GetInfo,
        _ => {
            let root = tree(data, "shippingApiRequest")?;
            let first = |name: &str| {
                root.child(name)
                    .ok_or_else(|| ParseError(format!("<shippingApiRequest> holds no <{name}>")))
            };
            match command {
                Command::CreateMailing => {
                    let items: Vec<MailItem> = root.all("mailItem").map(mail_item).collect();
                    if items.is_empty() {
                        return Err(ParseError("<shippingApiRequest> holds no <mailItem>".to_string()));
                    }
                    Request::CreateMailing(items)
                }
                Command::CancelMailing => {
                    let items: Vec<ItemRef> = root.all("mailItem").map(item_ref).collect();
                    if items.is_empty() {
                        return Err(ParseError("<shippingApiRequest> holds no <mailItem>".to_string()));
                    }
                    Request::CancelMailing(items)
                }
                Command::CreateBag => {
                    let b = first("bag")?;
                    Request::CreateBag(Bag {
                        shipper_bag_id: b.opt("shipperBagId"),
                        comment: b.opt("comment"),
                        items: b.all("mailItem").map(item_ref).collect(),
                    })
                }
                Command::CancelBag => Request::CancelBag(bag_ref(first("bag")?)),
                Command::CreateDay => {
                    let d = first("day")?;
                    Request::CreateDay(Day {
                        shipper_day_id: d.opt("shipperDayId"),
                        bags: d.all("bag").map(bag_ref).collect(),
                        items: d.all("mailItem").map(item_ref).collect(),
                    })
                }
                Command::CancelDay => {
                    let d = first("day")?;
                    Request::CancelDay(DayRef { day_id: d.opt("dayId"), shipper_day_id: d.opt("shipperDayId") })
                }
                Command::CreateManifest => Request::CreateManifest(manifest(first("manifest")?, &mut notes)),
                Command::ModifyManifest => Request::ModifyManifest(manifest(first("manifest")?, &mut notes)),
                Command::CancelManifest => Request::CancelManifest(manifest_ref(first("manifest")?)),
                Command::GetManifest => Request::GetManifest(manifest_ref(first("manifest")?)),
                Command::CloseDay | Command::ReopenDay | Command::GetInfo => {
                    unreachable!("handled above")
                }
            }
        }
    };
    Ok(Parsed { request, notes })
}

/// Reads back one `<mailItem>` written by [`super::answer::write_mail_item`] (stored items).
pub fn parse_mail_item(xml: &str) -> Result<MailItem, ParseError> {
    tree(xml, "mailItem").map(|n| mail_item(&n))
}

fn address(n: &Node) -> Address {
    Address {
        name: n.opt("name"),
        company_name: n.opt("companyName"),
        address_line1: n.opt("addressLine1"),
        address_line2: n.opt("addressLine2"),
        city: n.opt("city"),
        state: n.opt("state"),
        zip: n.opt("zip"),
        country: n.opt("country"),
        phone: n.opt("phone"),
        email: n.opt("email"),
    }
}

fn mail_item(n: &Node) -> MailItem {
    MailItem {
        tracking_number: n.opt("trackingNumber"),
        shipper_item_id: n.opt("shipperItemId"),
        display_item_id: n.opt("displayItemId"),
        consignee: n.child("consignee").map(address).unwrap_or_default(),
        shipper: n.child("shipper").map(address),
        return_address: n.child("returnAddress").map(address),
        value: n.req("value"),
        currency: n.req("currency"),
        weight: n.req("weight"),
        weight_unit: n.req("weightUnitOfMeasure"),
        dimensions: n.child("dimensions").map(|d| Dimensions {
            length: d.req("length"),
            width: d.req("width"),
            height: d.req("height"),
            unit: d.req("dimensionsUnitOfMeasure"),
        }),
        products: n
            .all("product")
            .map(|p| Product {
                country_of_origin: p.opt("countryOfOrigin"),
                harmonization_code: p.req("harmonizationCode"),
                description: p.req("description"),
                manufacturer_code: p.opt("manufacturerCode"),
                sku: p.opt("sku"),
                quantity: p.req("quantity"),
                unit_value: p.opt("unitValue"),
                value: p.opt("value"),
                weight: p.opt("weight"),
                prior_notice_filing_number: p.opt("priorNoticeFilingNumber"),
            })
            .collect(),
    }
}

fn item_ref(n: &Node) -> ItemRef {
    ItemRef { tracking_number: n.opt("trackingNumber"), shipper_item_id: n.opt("shipperItemId") }
}

fn bag_ref(n: &Node) -> BagRef {
    BagRef { bag_id: n.opt("bagId"), shipper_bag_id: n.opt("shipperBagId") }
}

fn manifest_ref(n: &Node) -> ManifestRef {
    ManifestRef { manifest_id: n.opt("manifestId"), user_manifest_id: n.opt("userManifestId") }
}

fn manifest(n: &Node, notes: &mut Vec<String>) -> Manifest {
    Manifest {
        manifest_id: n.opt("manifestId"),
        user_manifest_id: n.opt("userManifestId"),
        manifest_number: n.req("manifestNumber"),
        shipping_units: n.req("shippingUnits"),
        user_defined_weight: n.req("userDefinedWeight"),
        user_defined_weight_uom: n.req("userDefinedWeightUOM"),
        image: n.child("manifestImage").map(|a| attachment(a, "manifestImage", notes)),
        file: n.child("manifestFile").map(|a| attachment(a, "manifestFile", notes)),
        alert_email: n.opt("alertEmail"),
        parts: n
            .all("manifestPart")
            .map(|p| ManifestPart {
                departure_facility: p.req("departureFacility"),
                departure_date: p.req("departureDate"),
                arrival_facility: p.req("arrivalFacility"),
                arrival_date: p.req("arrivalDate"),
                carrier: p.req("carrier"),
                trip_number: p.req("tripNumber"),
                units: p.all("unit").map(|u| u.req("unitId")).collect(),
            })
            .collect(),
    }
}

fn attachment(n: &Node, what: &str, notes: &mut Vec<String>) -> Attachment {
    let name = n.req("name");
    let text = n.child("data").map(|d| d.text.as_ref()).unwrap_or("");
    let data = match decode_base64(text) {
        Ok(bytes) => bytes,
        Err(e) => {
            notes.push(format!("{what}/data is not valid base64: {e}"));
            Vec::new()
        }
    };
    Attachment { name, data }
}

/// Standard base64, padding optional, line breaks and other ASCII whitespace ignored.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        ENGINE.decode(compact)
    } else {
        ENGINE.decode(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_sorted_for_binary_search() {
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn reads_a_mail_item_with_entities_cdata_and_unknown_elements() {
        let xml = r#"<?xml version="1.0"?>
<shippingApiRequest><mailItem><trackingNumber>1ZWE31190196785492</trackingNumber>
<future><mailItem><trackingNumber>nested unknown</trackingNumber></mailItem></future>
<consignee><name>A &amp; B &lt;Co&gt;</name><addressLine2/><city><![CDATA[Beverly <Hills>]]></city></consignee>
<value>1.50</value><product><description>Book</description><quantity>2</quantity></product>
<product><description>Pen</description></product></mailItem><mailItem/></shippingApiRequest>"#;
        let parsed = parse_request(Command::CreateMailing, xml).unwrap();
        let Request::CreateMailing(items) = parsed.request else { panic!() };
        assert_eq!(items.len(), 2);
        let it = &items[0];
        assert_eq!(it.tracking_number.as_deref(), Some("1ZWE31190196785492"));
        assert_eq!(it.consignee.name.as_deref(), Some("A & B <Co>"));
        assert_eq!(it.consignee.address_line2.as_deref(), Some(""));
        assert_eq!(it.consignee.address_line1, None);
        assert_eq!(it.consignee.city.as_deref(), Some("Beverly <Hills>"));
        assert_eq!(it.value, "1.50");
        assert_eq!(it.products.len(), 2);
        assert_eq!(it.products[1].quantity, "");
        assert_eq!(items[1], MailItem::default());
    }

    #[test]
    fn refuses_broken_data_with_a_position() {
        for (bad, needle) in [
            ("<shippingApiRequest><mailItem></shippingApiRequest>", "not well-formed"),
            ("<other/>", "root element is <other>"),
            ("<shippingApiRequest><mailItem>", "ends inside"),
            ("", "no <shippingApiRequest>"),
            ("<shippingApiRequest/><shippingApiRequest/>", "second root"),
            ("<shippingApiRequest><mailItem><name>&bogus;</name></mailItem></shippingApiRequest>", "reference"),
            ("<shippingApiRequest></shippingApiRequest>", "no <mailItem>"),
        ] {
            let err = parse_request(Command::CreateMailing, bad).unwrap_err();
            assert!(err.0.contains(needle), "{bad}: {err}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let xml = format!("<shippingApiRequest>{}", "<mailItem>".repeat(100_000));
        assert!(parse_request(Command::CreateMailing, &xml).is_err());
    }

    #[test]
    fn manifest_attachments_are_decoded_and_bad_base64_noted() {
        let xml = "<shippingApiRequest><manifest><manifestNumber>112-44995451</manifestNumber>\
            <manifestImage><name>a.pdf</name><data>JVBE\nRi0x</data></manifestImage>\
            <manifestFile><name>b.csv</name><data>@@@</data></manifestFile>\
            <manifestPart><departureFacility>LAX</departureFacility><unit><unitId>X</unitId></unit><unit><unitId>Y</unitId></unit></manifestPart>\
            </manifest></shippingApiRequest>";
        let parsed = parse_request(Command::CreateManifest, xml).unwrap();
        let Request::CreateManifest(m) = parsed.request else { panic!() };
        assert_eq!(m.image.as_ref().unwrap().data, b"%PDF-1");
        assert_eq!(m.parts[0].units, vec!["X", "Y"]);
        assert_eq!(parsed.notes.len(), 1);
        assert!(parsed.notes[0].starts_with("manifestFile/data"));
    }
}
