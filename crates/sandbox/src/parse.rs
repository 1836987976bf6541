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

use mawb_wire::wire::{
    Address, Attachment, Bag, BagRef, Command, Day, DayRef, Dimensions, ItemRef, MailItem,
    Manifest, ManifestPart, ManifestRef, Product, Request,
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

/// The known name `name` spells, by a lookup bucketed on length (hot: once per element).
fn intern(name: &[u8]) -> Option<&'static str> {
    static BY_LEN: std::sync::OnceLock<Vec<Vec<&'static str>>> = std::sync::OnceLock::new();
    let by_len = BY_LEN.get_or_init(|| {
        let mut v: Vec<Vec<&'static str>> = vec![Vec::new(); 32];
        for k in KNOWN {
            v[k.len()].push(k);
        }
        v
    });
    by_len
        .get(name.len())?
        .iter()
        .find(|k| k.as_bytes() == name)
        .copied()
}

/// "No node": the root's index, which is never anyone's child or sibling.
const NONE: u32 = 0;

/// One known element in the arena: its name, its text when it is a leaf, links to its children.
#[derive(Debug)]
struct Node<'a> {
    name: &'static str,
    text: Cow<'a, str>,
    first: u32,
    last: u32,
    next: u32,
}

/// The known elements of a document in one vector (one allocation, whatever the size); index 0 is the root.
struct Tree<'a> {
    nodes: Vec<Node<'a>>,
}

impl<'a> Tree<'a> {
    fn root(&self) -> N<'_, 'a> {
        N { tree: self, idx: 0 }
    }

    /// Adds a node under `parent` and returns its index.
    fn add(&mut self, parent: u32, name: &'static str) -> u32 {
        let idx = self.nodes.len() as u32;
        self.nodes.push(Node {
            name,
            text: Cow::Borrowed(""),
            first: NONE,
            last: NONE,
            next: NONE,
        });
        let p = &mut self.nodes[parent as usize];
        let prev = p.last;
        p.last = idx;
        if prev == NONE {
            p.first = idx;
        } else {
            self.nodes[prev as usize].next = idx;
        }
        idx
    }
}

/// A handle on one node of a [`Tree`].
#[derive(Clone, Copy)]
struct N<'t, 'a> {
    tree: &'t Tree<'a>,
    idx: u32,
}

impl<'t, 'a> N<'t, 'a> {
    fn node(self) -> &'t Node<'a> {
        &self.tree.nodes[self.idx as usize]
    }

    fn name(self) -> &'static str {
        self.node().name
    }

    fn text(self) -> &'t str {
        &self.node().text
    }

    fn children(self) -> impl Iterator<Item = N<'t, 'a>> {
        let tree = self.tree;
        let mut at = self.node().first;
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let n = N { tree, idx: at };
            at = n.node().next;
            Some(n)
        })
    }

    fn child(self, name: &str) -> Option<N<'t, 'a>> {
        self.children().find(|c| c.name() == name)
    }

    fn all(self, name: &'t str) -> impl Iterator<Item = N<'t, 'a>> {
        self.children().filter(move |c| c.name() == name)
    }

    /// The text of a child leaf, `None` when absent.
    fn opt<T: for<'x> From<&'x str>>(self, name: &str) -> Option<T> {
        self.child(name).map(|c| T::from(c.text()))
    }

    /// The text of a child leaf, empty when absent.
    fn req<T: for<'x> From<&'x str> + Default>(self, name: &str) -> T {
        self.opt(name).unwrap_or_default()
    }
}

/// Sets a first-wins slot from a leaf.
fn take<T: for<'x> From<&'x str>>(slot: &mut Option<T>, n: N) {
    if slot.is_none() {
        *slot = Some(T::from(n.text()));
    }
}

/// Builds the tree of known elements under the single root, which must be `root_name`.
fn tree<'a>(xml: &'a str, root_name: &str) -> Result<Tree<'a>, ParseError> {
    let mut reader = Reader::from_str(xml);
    let mut tree = Tree {
        nodes: Vec::with_capacity((xml.len() / 24 + 1).min(1 << 16)),
    };
    let mut stack: Vec<u32> = Vec::with_capacity(MAX_DEPTH);
    let mut root_seen = false;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| ParseError(format!("not well-formed XML near byte {at}: {e}")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) if stack.is_empty() => {
                let name = open_root(e, root_name, root_seen, at)?;
                tree.nodes.push(Node {
                    name,
                    text: Cow::Borrowed(""),
                    first: NONE,
                    last: NONE,
                    next: NONE,
                });
                root_seen = true;
                if matches!(event, Event::Start(_)) {
                    stack.push(0);
                }
            }
            Event::Start(e) => match intern(e.local_name().as_ref()) {
                Some(name) => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(ParseError(format!(
                            "elements nested more than {MAX_DEPTH} deep at byte {at}"
                        )));
                    }
                    let parent = stack.last().copied().unwrap_or(NONE);
                    let idx = tree.add(parent, name);
                    stack.push(idx);
                }
                None => {
                    let end = e.name().as_ref().to_vec();
                    reader
                        .read_to_end(quick_xml::name::QName(&end))
                        .map_err(|err| {
                            ParseError(format!(
                                "not well-formed XML inside the element at byte {at}: {err}"
                            ))
                        })?;
                }
            },
            Event::Empty(e) => {
                if let (Some(name), Some(&parent)) = (intern(e.local_name().as_ref()), stack.last())
                {
                    tree.add(parent, name);
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => {
                if let Some(&top) = stack.last() {
                    let node = &mut tree.nodes[top as usize];
                    if node.first == NONE {
                        let text = t.unescape().map_err(|e| {
                            ParseError(format!("bad character reference near byte {at}: {e}"))
                        })?;
                        push_text(&mut node.text, text);
                    }
                } else if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(ParseError(format!(
                        "text outside the root element at byte {at}"
                    )));
                }
            }
            Event::CData(c) => {
                if let Some(&top) = stack.last() {
                    let node = &mut tree.nodes[top as usize];
                    if node.first == NONE {
                        let bad = || ParseError(format!("CDATA at byte {at} is not UTF-8"));
                        let text = match c.into_inner() {
                            Cow::Borrowed(b) => {
                                Cow::Borrowed(std::str::from_utf8(b).map_err(|_| bad())?)
                            }
                            Cow::Owned(b) => Cow::Owned(String::from_utf8(b).map_err(|_| bad())?),
                        };
                        push_text(&mut node.text, text);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(&open) = stack.last() {
        return Err(ParseError(format!(
            "the data ends inside <{}>",
            tree.nodes[open as usize].name
        )));
    }
    if tree.nodes.is_empty() {
        return Err(ParseError(format!("no <{root_name}> element")));
    }
    Ok(tree)
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
        return Err(ParseError(format!(
            "a second root element <{name}> at byte {at}"
        )));
    }
    if name != root_name {
        return Err(ParseError(format!(
            "the root element is <{name}>; expected <{root_name}>"
        )));
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
            let tree = tree(data, "shippingApiRequest")?;
            let root = tree.root();
            let first = |name: &str| {
                root.child(name)
                    .ok_or_else(|| ParseError(format!("<shippingApiRequest> holds no <{name}>")))
            };
            match command {
                Command::CreateMailing => {
                    let items: Vec<MailItem> = root.all("mailItem").map(mail_item).collect();
                    if items.is_empty() {
                        return Err(ParseError(
                            "<shippingApiRequest> holds no <mailItem>".to_string(),
                        ));
                    }
                    Request::CreateMailing(items)
                }
                Command::CancelMailing => {
                    let items: Vec<ItemRef> = root.all("mailItem").map(item_ref).collect();
                    if items.is_empty() {
                        return Err(ParseError(
                            "<shippingApiRequest> holds no <mailItem>".to_string(),
                        ));
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
                    Request::CancelDay(DayRef {
                        day_id: d.opt("dayId"),
                        shipper_day_id: d.opt("shipperDayId"),
                    })
                }
                Command::CreateManifest => {
                    Request::CreateManifest(manifest(first("manifest")?, &mut notes))
                }
                Command::ModifyManifest => {
                    Request::ModifyManifest(manifest(first("manifest")?, &mut notes))
                }
                Command::CancelManifest => {
                    Request::CancelManifest(manifest_ref(first("manifest")?))
                }
                Command::GetManifest => Request::GetManifest(manifest_ref(first("manifest")?)),
                // Matched above already; listed for exhaustiveness.
                Command::CloseDay => Request::CloseDay,
                Command::ReopenDay => Request::ReopenDay,
                Command::GetInfo => Request::GetInfo,
            }
        }
    };
    Ok(Parsed { request, notes })
}

/// Reads back one `<mailItem>` written by [`super::answer::write_mail_item`] (stored items).
pub fn parse_mail_item(xml: &str) -> Result<MailItem, ParseError> {
    tree(xml, "mailItem").map(|t| mail_item(t.root()))
}

fn address(n: N) -> Address {
    let mut a = Address::default();
    for c in n.children() {
        let slot = match c.name() {
            "name" => &mut a.name,
            "companyName" => &mut a.company_name,
            "addressLine1" => &mut a.address_line1,
            "addressLine2" => &mut a.address_line2,
            "city" => &mut a.city,
            "state" => &mut a.state,
            "zip" => &mut a.zip,
            "country" => &mut a.country,
            "phone" => &mut a.phone,
            "email" => &mut a.email,
            _ => continue,
        };
        take(slot, c);
    }
    a
}

fn product(n: N) -> Product {
    let (mut code, mut description, mut quantity) = (None, None, None);
    let mut p = Product::default();
    for c in n.children() {
        let slot = match c.name() {
            "countryOfOrigin" => &mut p.country_of_origin,
            "harmonizationCode" => &mut code,
            "description" => &mut description,
            "manufacturerCode" => &mut p.manufacturer_code,
            "sku" => &mut p.sku,
            "quantity" => &mut quantity,
            "unitValue" => &mut p.unit_value,
            "value" => &mut p.value,
            "weight" => &mut p.weight,
            "priorNoticeFilingNumber" => &mut p.prior_notice_filing_number,
            _ => continue,
        };
        take(slot, c);
    }
    p.harmonization_code = code.unwrap_or_default();
    p.description = description.unwrap_or_default();
    p.quantity = quantity.unwrap_or_default();
    p
}

/// One `<mailItem>`, in one pass over its children (this runs for every item of a batch).
fn mail_item(n: N) -> MailItem {
    let mut m = MailItem::default();
    let (mut value, mut currency, mut weight, mut unit) = (None, None, None, None);
    let (mut consignee, mut shipper, mut return_address, mut dimensions) = (None, None, None, None);
    for c in n.children() {
        let slot = match c.name() {
            "trackingNumber" => &mut m.tracking_number,
            "shipperItemId" => &mut m.shipper_item_id,
            "displayItemId" => &mut m.display_item_id,
            "value" => &mut value,
            "currency" => &mut currency,
            "weight" => &mut weight,
            "weightUnitOfMeasure" => &mut unit,
            "consignee" => {
                consignee.get_or_insert_with(|| address(c));
                continue;
            }
            "shipper" => {
                shipper.get_or_insert_with(|| address(c));
                continue;
            }
            "returnAddress" => {
                return_address.get_or_insert_with(|| address(c));
                continue;
            }
            "dimensions" => {
                dimensions.get_or_insert_with(|| Dimensions {
                    length: c.req("length"),
                    width: c.req("width"),
                    height: c.req("height"),
                    unit: c.req("dimensionsUnitOfMeasure"),
                });
                continue;
            }
            "product" => {
                m.products.push(product(c));
                continue;
            }
            _ => continue,
        };
        take(slot, c);
    }
    m.consignee = consignee.unwrap_or_default();
    m.shipper = shipper;
    m.return_address = return_address;
    m.dimensions = dimensions;
    m.value = value.unwrap_or_default();
    m.currency = currency.unwrap_or_default();
    m.weight = weight.unwrap_or_default();
    m.weight_unit = unit.unwrap_or_default();
    m
}

fn item_ref(n: N) -> ItemRef {
    ItemRef {
        tracking_number: n.opt("trackingNumber"),
        shipper_item_id: n.opt("shipperItemId"),
    }
}

fn bag_ref(n: N) -> BagRef {
    BagRef {
        bag_id: n.opt("bagId"),
        shipper_bag_id: n.opt("shipperBagId"),
    }
}

fn manifest_ref(n: N) -> ManifestRef {
    ManifestRef {
        manifest_id: n.opt("manifestId"),
        user_manifest_id: n.opt("userManifestId"),
    }
}

fn manifest(n: N, notes: &mut Vec<String>) -> Manifest {
    Manifest {
        manifest_id: n.opt("manifestId"),
        user_manifest_id: n.opt("userManifestId"),
        manifest_number: n.req("manifestNumber"),
        shipping_units: n.req("shippingUnits"),
        user_defined_weight: n.req("userDefinedWeight"),
        user_defined_weight_uom: n.req("userDefinedWeightUOM"),
        image: n
            .child("manifestImage")
            .map(|a| attachment(a, "manifestImage", notes)),
        file: n
            .child("manifestFile")
            .map(|a| attachment(a, "manifestFile", notes)),
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

fn attachment(n: N, what: &str, notes: &mut Vec<String>) -> Attachment {
    let name = n.req("name");
    let text = n.child("data").map_or("", |d| d.text());
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
    use base64::engine::{
        general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig,
    };
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
        let Request::CreateMailing(items) = parsed.request else {
            panic!()
        };
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
        let Request::CreateManifest(m) = parsed.request else {
            panic!()
        };
        assert_eq!(m.image.as_ref().unwrap().data, b"%PDF-1");
        assert_eq!(m.parts[0].units, vec!["X", "Y"]);
        assert_eq!(parsed.notes.len(), 1);
        assert!(parsed.notes[0].starts_with("manifestFile/data"));
    }
}
