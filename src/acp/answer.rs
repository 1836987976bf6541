//! Reads ACP answer bodies into the typed shapes of `acp::wire`.
//!
//! ACP always answers `200 OK`; what happened is in the XML. This reader is deliberately tolerant of what
//! the spec leaves open and the live service changes (`shared/spec/acp-shipper-api.md`, "Parsing rules"):
//! unknown elements are skipped with their whole subtree at any depth, missing optional elements are
//! `None`, empty ones `Some("")`, text is unescaped, CDATA is accepted, and info blocks are read whether
//! their fields stand inline or inside a `<mailItemInfo>`/`<bagInfo>`/`<dayInfo>`/`<manifestInfo>`
//! wrapper. It is strict about what makes a body unusable — empty, not XML (an HTML error page from a
//! proxy), the wrong root, cut short, or without the command's node — because those are transport
//! failures to retry or report, never results.
//!
//! Answers are mostly label base64 (a createMailing answer of 500 items is ~30 MB). The reader borrows from
//! the body slice (`quick_xml::Reader<&[u8]>`), so label text is copied exactly once, into its `String`;
//! labels stay base64 until archived ([`decode_label`]). It never panics on any input, and its recursion
//! is bounded by the fixed answer shapes (wrappers are accepted one level deep only).

use std::borrow::Cow;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use quick_xml::errors::{IllFormedError, SyntaxError};
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::acp::wire::{
    Address, Answer, BagInfo, BagResult, Command, DayInfo, DayResult, Dimensions, ErrorType,
    InfoResult, Label, MailItem, MailItemInfo, MailItemResult, ManifestInfo, ManifestPartDetail,
    ManifestResult, Product, Status, UnitFailure,
};

/// Why an answer body could not be read. All of these are transport-level failures, not command results.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error("ACP answered with an empty body")]
    Empty,
    #[error(
        "ACP's answer is not XML (an error page from a proxy or the server?); it starts: {snippet}"
    )]
    NotXml {
        /// The first ~200 characters of the body, on one line, control characters replaced.
        snippet: String,
    },
    #[error("ACP's answer has root element <{0}>, expected <shippingApiResponse>")]
    WrongRoot(String),
    #[error("ACP's answer is truncated: the body ends inside <{inside}> at byte {offset}")]
    Truncated { inside: String, offset: u64 },
    #[error("ACP's answer is not well-formed XML at byte {offset} (inside <{inside}>): {detail}")]
    Malformed {
        inside: String,
        offset: u64,
        detail: String,
    },
    #[error("ACP's answer to {0} has neither a <{node}> node nor a common <error>", node = command_node(.0))]
    MissingNode(Command),
    #[error("label{} is not valid base64: {detail}", format.as_deref().map(|f| format!(" ({f})")).unwrap_or_default())]
    BadBase64 {
        format: Option<String>,
        detail: String,
    },
}

/// The element that carries the result of `command` inside `<shippingApiResponse>`.
pub fn command_node(command: &Command) -> &'static str {
    match command {
        Command::CreateMailing | Command::CancelMailing => "mailItem",
        Command::CreateBag | Command::CancelBag => "bag",
        Command::CloseDay | Command::ReopenDay | Command::CreateDay | Command::CancelDay => "day",
        Command::GetInfo => "info",
        Command::CreateManifest
        | Command::ModifyManifest
        | Command::CancelManifest
        | Command::GetManifest => "manifest",
    }
}

const ROOT: &[u8] = b"shippingApiResponse";
const SNIPPET_CHARS: usize = 200;

/// Parses the body of ACP's answer to `command`.
///
/// `<shippingApiResponse><error>…</error></shippingApiResponse>` without the command's node is
/// [`Answer::CommonError`]. When the command node is present it wins, whatever else stands beside it.
pub fn parse_answer(command: Command, body: &[u8]) -> Result<Answer, AnswerError> {
    let start = skip_bom_and_space(body);
    if start == body.len() {
        return Err(AnswerError::Empty);
    }
    if body[start] != b'<' {
        return Err(not_xml(body));
    }
    let mut p = Parser::new(body);
    let root_empty = p.root(body)?;
    let node = command_node(&command).as_bytes();

    let mut common_error: Option<String> = None;
    let mut mailings: Vec<MailItemResult> = Vec::new();
    let mut answer: Option<Answer> = None;
    if !root_empty {
        p.children("shippingApiResponse", |p, name, empty| {
            if name == b"error" {
                common_error = Some(p.text("error", empty)?);
            } else if name == node {
                match command {
                    Command::CreateMailing | Command::CancelMailing => {
                        mailings.push(p.mail_item_result(empty)?)
                    }
                    // One node per answer: a second one is ignored like any unknown element.
                    _ if answer.is_some() => return Ok(false),
                    Command::CreateBag | Command::CancelBag => {
                        answer = Some(Answer::Bag(p.bag_result(empty)?))
                    }
                    Command::CloseDay
                    | Command::ReopenDay
                    | Command::CreateDay
                    | Command::CancelDay => answer = Some(Answer::Day(p.day_result(empty)?)),
                    Command::GetInfo => answer = Some(Answer::Info(p.info_result(empty)?)),
                    Command::CreateManifest
                    | Command::ModifyManifest
                    | Command::CancelManifest
                    | Command::GetManifest => {
                        answer = Some(Answer::Manifest(p.manifest_result(empty)?))
                    }
                }
            } else {
                return Ok(false);
            }
            Ok(true)
        })?;
    }
    if !mailings.is_empty() {
        return Ok(Answer::Mailing(mailings));
    }
    if let Some(a) = answer {
        return Ok(a);
    }
    match common_error {
        Some(e) => Ok(Answer::CommonError(e)),
        None => Err(AnswerError::MissingNode(command)),
    }
}

/// Decodes a label's base64 text. Whitespace and line breaks inside it are tolerated, and so are missing
/// `=` padding and non-zero trailing bits; any other non-base64 byte fails with its offset.
pub fn decode_label(l: &Label) -> Result<Vec<u8>, AnswerError> {
    let text = l.base64.as_bytes();
    match LABEL_ENGINE.decode(text) {
        Ok(bytes) => Ok(bytes),
        Err(first) => {
            if !text.iter().any(u8::is_ascii_whitespace) {
                return Err(bad_base64(l, first.to_string()));
            }
            let compact: Vec<u8> = text
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            LABEL_ENGINE
                .decode(&compact)
                .map_err(|e| bad_base64(l, format!("{e} (offset counted without whitespace)")))
        }
    }
}

const LABEL_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn bad_base64(l: &Label, detail: String) -> AnswerError {
    AnswerError::BadBase64 {
        format: l.format.clone(),
        detail,
    }
}

fn skip_bom_and_space(body: &[u8]) -> usize {
    let start = if body.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    start
        + body[start..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count()
}

fn not_xml(body: &[u8]) -> AnswerError {
    let text = String::from_utf8_lossy(&body[skip_bom_and_space(body)..]);
    let mut snippet = String::new();
    let mut last_space = false;
    for c in text.chars().take(SNIPPET_CHARS) {
        // One line for the log: whitespace runs collapse, other controls become U+FFFD.
        if c.is_whitespace() {
            if !last_space {
                snippet.push(' ');
            }
            last_space = true;
        } else {
            snippet.push(if c.is_control() { '\u{FFFD}' } else { c });
            last_space = false;
        }
    }
    if text.chars().nth(SNIPPET_CHARS).is_some() {
        snippet.push('…');
    }
    AnswerError::NotXml { snippet }
}

// -------------------------------------------------------------------------------------------------------
// A small pull parser over quick-xml, borrowing from the body.
// -------------------------------------------------------------------------------------------------------

type R<T> = Result<T, AnswerError>;

struct Parser<'a> {
    r: Reader<&'a [u8]>,
}

impl<'a> Parser<'a> {
    fn new(body: &'a [u8]) -> Self {
        let mut r = Reader::from_reader(body);
        let c = r.config_mut();
        c.check_end_names = true;
        c.expand_empty_elements = false;
        c.trim_text(false);
        Parser { r }
    }

    fn offset(&self) -> u64 {
        self.r.buffer_position()
    }

    fn xml_error(&self, inside: &str, e: quick_xml::Error) -> AnswerError {
        let offset = self.r.error_position();
        let inside = inside.to_string();
        match e {
            quick_xml::Error::Syntax(SyntaxError::InvalidBangMarkup) => AnswerError::Malformed {
                inside,
                offset,
                detail: e.to_string(),
            },
            quick_xml::Error::Syntax(_)
            | quick_xml::Error::IllFormed(IllFormedError::MissingEndTag(_)) => {
                AnswerError::Truncated { inside, offset }
            }
            other => AnswerError::Malformed {
                inside,
                offset,
                detail: other.to_string(),
            },
        }
    }

    fn event(&mut self, inside: &str) -> R<Event<'a>> {
        match self.r.read_event() {
            Ok(e) => Ok(e),
            Err(e) => Err(self.xml_error(inside, e)),
        }
    }

    /// Reads up to the root start tag and checks it; returns whether the root is an empty element.
    fn root(&mut self, body: &[u8]) -> R<bool> {
        loop {
            let ev = match self.r.read_event() {
                Ok(ev) => ev,
                // Junk before any element: most likely not XML at all.
                Err(_) => return Err(not_xml(body)),
            };
            let (e, empty) = match ev {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::DocType(d) => {
                    if d.to_ascii_lowercase().windows(4).any(|w| w == b"html") {
                        return Err(not_xml(body));
                    }
                    continue;
                }
                Event::Text(t) => {
                    if t.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Err(not_xml(body));
                }
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => continue,
                Event::Eof => {
                    return Err(AnswerError::Truncated {
                        inside: "document".into(),
                        offset: self.offset(),
                    })
                }
                Event::CData(_) | Event::End(_) => return Err(not_xml(body)),
            };
            let name = e.local_name();
            if name.as_ref() == ROOT {
                return Ok(empty);
            }
            if name.as_ref().eq_ignore_ascii_case(b"html") {
                return Err(not_xml(body));
            }
            return Err(AnswerError::WrongRoot(
                String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            ));
        }
    }

    /// Walks the child elements of the element `parent` just opened, up to its end tag. `f` gets each
    /// child's local name and whether it is empty (`<x/>`); it returns `true` when it consumed the child,
    /// `false` to have it skipped with its subtree.
    fn children(
        &mut self,
        parent: &str,
        mut f: impl FnMut(&mut Self, &[u8], bool) -> R<bool>,
    ) -> R<()> {
        loop {
            match self.event(parent)? {
                Event::Start(e) => {
                    if !f(self, e.local_name().as_ref(), false)? {
                        if let Err(err) = self.r.read_to_end(e.name()) {
                            return Err(self.xml_error(parent, err));
                        }
                    }
                }
                Event::Empty(e) => {
                    f(self, e.local_name().as_ref(), true)?;
                }
                Event::End(_) => return Ok(()),
                Event::Eof => {
                    return Err(AnswerError::Truncated {
                        inside: parent.to_string(),
                        offset: self.offset(),
                    })
                }
                Event::Text(_)
                | Event::CData(_)
                | Event::Comment(_)
                | Event::PI(_)
                | Event::Decl(_) => {}
                Event::DocType(_) => {}
            }
        }
    }

    /// The text of the leaf element `name` just opened (`""` when empty): text and CDATA concatenated,
    /// entities resolved, nested elements skipped.
    fn text(&mut self, name: &str, empty: bool) -> R<String> {
        let mut out = String::new();
        if empty {
            return Ok(out);
        }
        loop {
            match self.event(name)? {
                Event::Text(t) => match text_piece(t) {
                    Ok(piece) => push_piece(&mut out, piece),
                    Err(detail) => {
                        return Err(AnswerError::Malformed {
                            inside: name.to_string(),
                            offset: self.offset(),
                            detail,
                        })
                    }
                },
                Event::CData(c) => match c.decode() {
                    Ok(s) => push_piece(&mut out, s),
                    Err(e) => {
                        return Err(AnswerError::Malformed {
                            inside: name.to_string(),
                            offset: self.offset(),
                            detail: e.to_string(),
                        })
                    }
                },
                Event::Start(e) => {
                    if let Err(err) = self.r.read_to_end(e.name()) {
                        return Err(self.xml_error(name, err));
                    }
                }
                Event::End(_) => return Ok(out),
                Event::Eof => {
                    return Err(AnswerError::Truncated {
                        inside: name.to_string(),
                        offset: self.offset(),
                    })
                }
                Event::Empty(_)
                | Event::Comment(_)
                | Event::PI(_)
                | Event::Decl(_)
                | Event::DocType(_) => {}
            }
        }
    }

    fn opt_text(&mut self, name: &str, empty: bool, slot: &mut Option<String>) -> R<bool> {
        *slot = Some(self.text(name, empty)?);
        Ok(true)
    }

    /// `result`, `errorType`, `error`: consumes the child and returns true when it is one of them.
    fn status(&mut self, name: &[u8], empty: bool, st: &mut Status) -> R<bool> {
        match name {
            b"result" => st.ok = self.text("result", empty)?.trim() == "ok",
            b"errorType" => st.error_type = Some(ErrorType::parse(&self.text("errorType", empty)?)),
            b"error" => st.error = Some(self.text("error", empty)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `labelFormat` and `label`, in either order; a label exists once `<label>` was seen.
    fn label(
        &mut self,
        name: &[u8],
        empty: bool,
        format: &mut Option<String>,
        label: &mut Option<Label>,
    ) -> R<bool> {
        match name {
            b"labelFormat" => {
                let f = self.text("labelFormat", empty)?;
                if let Some(l) = label {
                    l.format = Some(f.clone());
                }
                *format = Some(f);
            }
            b"label" => {
                *label = Some(Label {
                    format: format.clone(),
                    base64: self.text("label", empty)?,
                })
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    // ---- info blocks -----------------------------------------------------------------------------------

    /// The children of a `<mailItemInfo>`-shaped element, also read through one `<mailItemInfo>` wrapper.
    fn mail_item_info(&mut self, parent: &str, empty: bool, wrapped: bool) -> R<MailItemInfo> {
        let mut info = MailItemInfo::default();
        if !empty {
            self.children(parent, |p, name, empty| {
                p.mail_item_info_field(name, empty, &mut info, wrapped)
            })?;
        }
        Ok(info)
    }

    fn mail_item_info_field(
        &mut self,
        name: &[u8],
        empty: bool,
        i: &mut MailItemInfo,
        wrapped: bool,
    ) -> R<bool> {
        match name {
            b"type" => self.opt_text("type", empty, &mut i.item_type),
            b"creationDate" => self.opt_text("creationDate", empty, &mut i.creation_date),
            b"status" => self.opt_text("status", empty, &mut i.status),
            b"trackingNumber" => self.opt_text("trackingNumber", empty, &mut i.tracking_number),
            b"shipperItemId" => self.opt_text("shipperItemId", empty, &mut i.shipper_item_id),
            b"displayItemId" => self.opt_text("displayItemId", empty, &mut i.display_item_id),
            b"value" => self.opt_text("value", empty, &mut i.value),
            b"currency" => self.opt_text("currency", empty, &mut i.currency),
            b"weight" => self.opt_text("weight", empty, &mut i.weight),
            b"weightUnitOfMeasure" => {
                self.opt_text("weightUnitOfMeasure", empty, &mut i.weight_unit)
            }
            b"bagId" => self.opt_text("bagId", empty, &mut i.bag_id),
            b"shipperBagId" => self.opt_text("shipperBagId", empty, &mut i.shipper_bag_id),
            b"mailItemInfo" if !wrapped && !empty => {
                self.children("mailItemInfo", |p, name, empty| {
                    p.mail_item_info_field(name, empty, i, true)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn bag_info(&mut self, parent: &str, empty: bool) -> R<BagInfo> {
        let mut info = BagInfo::default();
        if !empty {
            self.children(parent, |p, name, empty| {
                p.bag_info_field(name, empty, &mut info, false)
            })?;
        }
        Ok(info)
    }

    fn bag_info_field(
        &mut self,
        name: &[u8],
        empty: bool,
        i: &mut BagInfo,
        wrapped: bool,
    ) -> R<bool> {
        match name {
            b"creationDate" => self.opt_text("creationDate", empty, &mut i.creation_date),
            b"status" => self.opt_text("status", empty, &mut i.status),
            b"bagId" => self.opt_text("bagId", empty, &mut i.bag_id),
            b"shipperBagId" => self.opt_text("shipperBagId", empty, &mut i.shipper_bag_id),
            b"comment" => self.opt_text("comment", empty, &mut i.comment),
            b"bagInfo" if !wrapped && !empty => {
                self.children("bagInfo", |p, name, empty| {
                    p.bag_info_field(name, empty, i, true)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn day_info(&mut self, parent: &str, empty: bool) -> R<DayInfo> {
        let mut info = DayInfo::default();
        if !empty {
            self.children(parent, |p, name, empty| {
                p.day_info_field(name, empty, &mut info, false)
            })?;
        }
        Ok(info)
    }

    fn day_info_field(
        &mut self,
        name: &[u8],
        empty: bool,
        i: &mut DayInfo,
        wrapped: bool,
    ) -> R<bool> {
        match name {
            b"creationDate" => self.opt_text("creationDate", empty, &mut i.creation_date),
            b"status" => self.opt_text("status", empty, &mut i.status),
            b"dayId" => self.opt_text("dayId", empty, &mut i.day_id),
            b"shipperDayId" => self.opt_text("shipperDayId", empty, &mut i.shipper_day_id),
            b"dayInfo" if !wrapped && !empty => {
                self.children("dayInfo", |p, name, empty| {
                    p.day_info_field(name, empty, i, true)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn manifest_info(&mut self, parent: &str, empty: bool) -> R<ManifestInfo> {
        let mut info = ManifestInfo::default();
        if !empty {
            self.children(parent, |p, name, empty| {
                p.manifest_info_field(name, empty, &mut info, false)
            })?;
        }
        Ok(info)
    }

    fn manifest_info_field(
        &mut self,
        name: &[u8],
        empty: bool,
        i: &mut ManifestInfo,
        wrapped: bool,
    ) -> R<bool> {
        match name {
            b"creationDate" => self.opt_text("creationDate", empty, &mut i.creation_date),
            b"warehouseId" => self.opt_text("warehouseId", empty, &mut i.warehouse_id),
            b"manifestId" => self.opt_text("manifestId", empty, &mut i.manifest_id),
            b"userManifestId" => self.opt_text("userManifestId", empty, &mut i.user_manifest_id),
            b"manifestNumber" => self.opt_text("manifestNumber", empty, &mut i.manifest_number),
            b"senderWarehouseId" => {
                self.opt_text("senderWarehouseId", empty, &mut i.sender_warehouse_id)
            }
            b"receiverWarehouseId" => {
                self.opt_text("receiverWarehouseId", empty, &mut i.receiver_warehouse_id)
            }
            b"numItems" => self.opt_text("numItems", empty, &mut i.num_items),
            b"numBags" => self.opt_text("numBags", empty, &mut i.num_bags),
            b"numDays" => self.opt_text("numDays", empty, &mut i.num_days),
            b"numParts" => self.opt_text("numParts", empty, &mut i.num_parts),
            b"weight" => self.opt_text("weight", empty, &mut i.weight),
            b"weightUnitOfMeasure" => {
                self.opt_text("weightUnitOfMeasure", empty, &mut i.weight_unit)
            }
            b"manifestInfo" if !wrapped && !empty => {
                self.children("manifestInfo", |p, name, empty| {
                    p.manifest_info_field(name, empty, i, true)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn address(&mut self, parent: &str, empty: bool) -> R<Address> {
        let mut a = Address::default();
        if !empty {
            self.children(parent, |p, name, empty| match name {
                b"name" => p.opt_text("name", empty, &mut a.name),
                b"companyName" => p.opt_text("companyName", empty, &mut a.company_name),
                b"addressLine1" => p.opt_text("addressLine1", empty, &mut a.address_line1),
                b"addressLine2" => p.opt_text("addressLine2", empty, &mut a.address_line2),
                b"city" => p.opt_text("city", empty, &mut a.city),
                b"state" => p.opt_text("state", empty, &mut a.state),
                b"zip" => p.opt_text("zip", empty, &mut a.zip),
                b"country" => p.opt_text("country", empty, &mut a.country),
                b"phone" => p.opt_text("phone", empty, &mut a.phone),
                b"email" => p.opt_text("email", empty, &mut a.email),
                _ => Ok(false),
            })?;
        }
        Ok(a)
    }

    // ---- command nodes ---------------------------------------------------------------------------------

    /// `<mailItem>` of createMailing / cancelMailing answers, and failing items in bag and day answers.
    fn mail_item_result(&mut self, empty: bool) -> R<MailItemResult> {
        let mut m = MailItemResult::default();
        let mut format = None;
        if !empty {
            self.children("mailItem", |p, name, empty| {
                if p.status(name, empty, &mut m.status)?
                    || p.label(name, empty, &mut format, &mut m.label)?
                {
                    return Ok(true);
                }
                match name {
                    b"trackingNumber" => {
                        p.opt_text("trackingNumber", empty, &mut m.tracking_number)
                    }
                    b"shipperItemId" => p.opt_text("shipperItemId", empty, &mut m.shipper_item_id),
                    b"destinationBag" => {
                        p.opt_text("destinationBag", empty, &mut m.destination_bag)
                    }
                    b"isDutiable" => p.opt_text("isDutiable", empty, &mut m.is_dutiable),
                    b"conflictMailItem" => {
                        m.conflict = Some(p.mail_item_info("conflictMailItem", empty, false)?);
                        Ok(true)
                    }
                    _ => Ok(false),
                }
            })?;
        }
        Ok(m)
    }

    fn bag_result(&mut self, empty: bool) -> R<BagResult> {
        let mut b = BagResult::default();
        let mut format = None;
        if !empty {
            self.children("bag", |p, name, empty| {
                if p.status(name, empty, &mut b.status)?
                    || p.label(name, empty, &mut format, &mut b.label)?
                {
                    return Ok(true);
                }
                match name {
                    b"bagId" => p.opt_text("bagId", empty, &mut b.bag_id),
                    b"shipperBagId" => p.opt_text("shipperBagId", empty, &mut b.shipper_bag_id),
                    b"conflictBag" => {
                        b.conflict = Some(p.bag_info("conflictBag", empty)?);
                        Ok(true)
                    }
                    b"mailItem" => {
                        b.items.push(p.mail_item_result(empty)?);
                        Ok(true)
                    }
                    _ => Ok(false),
                }
            })?;
        }
        Ok(b)
    }

    fn day_result(&mut self, empty: bool) -> R<DayResult> {
        let mut d = DayResult::default();
        let mut format = None;
        if !empty {
            self.children("day", |p, name, empty| {
                if p.status(name, empty, &mut d.status)?
                    || p.label(name, empty, &mut format, &mut d.label)?
                {
                    return Ok(true);
                }
                match name {
                    b"dayId" => p.opt_text("dayId", empty, &mut d.day_id),
                    b"shipperDayId" => p.opt_text("shipperDayId", empty, &mut d.shipper_day_id),
                    b"conflictDay" => {
                        d.conflict = Some(p.day_info("conflictDay", empty)?);
                        Ok(true)
                    }
                    b"bag" => {
                        d.bags.push(p.bag_result(empty)?);
                        Ok(true)
                    }
                    b"mailItem" => {
                        d.items.push(p.mail_item_result(empty)?);
                        Ok(true)
                    }
                    _ => Ok(false),
                }
            })?;
        }
        Ok(d)
    }

    fn info_result(&mut self, empty: bool) -> R<InfoResult> {
        let mut i = InfoResult::default();
        if !empty {
            self.children("info", |p, name, empty| {
                if p.status(name, empty, &mut i.status)? {
                    return Ok(true);
                }
                match name {
                    b"mailItem" => i.items.push(p.mail_item_info("mailItem", empty, false)?),
                    b"bag" => i.bags.push(p.bag_info("bag", empty)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(i)
    }

    fn unit_failure(&mut self, empty: bool) -> R<UnitFailure> {
        let mut u = UnitFailure::default();
        if !empty {
            self.children("unit", |p, name, empty| {
                match name {
                    b"errorType" => {
                        u.error_type = Some(ErrorType::parse(&p.text("errorType", empty)?))
                    }
                    b"error" => u.error = Some(p.text("error", empty)?),
                    b"unitId" => u.unit_id = Some(p.text("unitId", empty)?),
                    b"unitType" => u.unit_type = Some(p.text("unitType", empty)?),
                    b"conflictMailItem" => {
                        u.conflict_item =
                            Some(p.mail_item_info("conflictMailItem", empty, false)?)
                    }
                    b"conflictBag" => u.conflict_bag = Some(p.bag_info("conflictBag", empty)?),
                    b"conflictDay" => u.conflict_day = Some(p.day_info("conflictDay", empty)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(u)
    }

    fn manifest_result(&mut self, empty: bool) -> R<ManifestResult> {
        let mut m = ManifestResult::default();
        let mut info = ManifestInfo::default();
        let mut info_seen = false;
        if !empty {
            self.children("manifest", |p, name, empty| {
                if p.status(name, empty, &mut m.status)? {
                    return Ok(true);
                }
                match name {
                    b"manifestId" => m.manifest_id = Some(p.text("manifestId", empty)?),
                    b"userManifestId" => {
                        m.user_manifest_id = Some(p.text("userManifestId", empty)?)
                    }
                    b"conflictManifest" => {
                        m.conflict = Some(p.manifest_info("conflictManifest", empty)?)
                    }
                    b"unit" => m.units.push(p.unit_failure(empty)?),
                    b"senderAddress" => m.sender_address = Some(p.address("senderAddress", empty)?),
                    b"receiverAddress" => {
                        m.receiver_address = Some(p.address("receiverAddress", empty)?)
                    }
                    b"manifestPart" => m.parts.push(p.manifest_part(empty)?),
                    // getManifest: the manifestInfo children stand inline (or in one wrapper).
                    _ => {
                        let consumed = p.manifest_info_field(name, empty, &mut info, false)?;
                        info_seen |= consumed;
                        return Ok(consumed);
                    }
                }
                Ok(true)
            })?;
        }
        if info_seen {
            // Inline manifestId/userManifestId serve both; a wrapped one fills the result's when missing.
            if info.manifest_id.is_none() {
                info.manifest_id.clone_from(&m.manifest_id);
            }
            if info.user_manifest_id.is_none() {
                info.user_manifest_id.clone_from(&m.user_manifest_id);
            }
            if m.manifest_id.is_none() {
                m.manifest_id.clone_from(&info.manifest_id);
            }
            if m.user_manifest_id.is_none() {
                m.user_manifest_id.clone_from(&info.user_manifest_id);
            }
            m.info = Some(info);
        }
        Ok(m)
    }

    fn manifest_part(&mut self, empty: bool) -> R<ManifestPartDetail> {
        let mut d = ManifestPartDetail::default();
        if !empty {
            self.children("manifestPart", |p, name, empty| {
                let part = &mut d.part;
                match name {
                    b"departureFacility" => {
                        part.departure_facility = p.text("departureFacility", empty)?
                    }
                    b"departureDate" => part.departure_date = p.text("departureDate", empty)?,
                    b"arrivalFacility" => {
                        part.arrival_facility = p.text("arrivalFacility", empty)?
                    }
                    b"arrivalDate" => part.arrival_date = p.text("arrivalDate", empty)?,
                    b"carrier" => part.carrier = p.text("carrier", empty)?,
                    b"tripNumber" => part.trip_number = p.text("tripNumber", empty)?,
                    b"unit" => {
                        let mut id = None;
                        if !empty {
                            p.children("unit", |p, name, empty| match name {
                                b"unitId" => p.opt_text("unitId", empty, &mut id),
                                _ => Ok(false),
                            })?;
                        }
                        part.units.push(id.unwrap_or_default());
                    }
                    b"numItems" => d.num_items = Some(p.text("numItems", empty)?),
                    b"numBags" => d.num_bags = Some(p.text("numBags", empty)?),
                    b"numDays" => d.num_days = Some(p.text("numDays", empty)?),
                    b"weight" => d.weight = Some(p.text("weight", empty)?),
                    b"weightUnitOfMeasure" => {
                        d.weight_unit = Some(p.text("weightUnitOfMeasure", empty)?)
                    }
                    b"mailItem" => d.items.push(p.mail_item(empty)?),
                    b"bag" => d.bags.push(p.bag_info("bag", empty)?),
                    b"day" => d.days.push(p.day_info("day", empty)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(d)
    }

    /// A full `<mailItem>` as sent in createMailing (inside getManifest parts).
    fn mail_item(&mut self, empty: bool) -> R<MailItem> {
        let mut m = MailItem::default();
        if !empty {
            self.children("mailItem", |p, name, empty| {
                match name {
                    b"trackingNumber" => m.tracking_number = Some(p.text("trackingNumber", empty)?),
                    b"shipperItemId" => m.shipper_item_id = Some(p.text("shipperItemId", empty)?),
                    b"displayItemId" => m.display_item_id = Some(p.text("displayItemId", empty)?),
                    b"consignee" => m.consignee = p.address("consignee", empty)?,
                    b"shipper" => m.shipper = Some(p.address("shipper", empty)?),
                    b"returnAddress" => m.return_address = Some(p.address("returnAddress", empty)?),
                    b"value" => m.value = p.text("value", empty)?,
                    b"currency" => m.currency = p.text("currency", empty)?,
                    b"weight" => m.weight = p.text("weight", empty)?,
                    b"weightUnitOfMeasure" => {
                        m.weight_unit = p.text("weightUnitOfMeasure", empty)?
                    }
                    b"dimensions" => m.dimensions = Some(p.dimensions(empty)?),
                    b"product" => m.products.push(p.product(empty)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(m)
    }

    fn dimensions(&mut self, empty: bool) -> R<Dimensions> {
        let mut d = Dimensions::default();
        if !empty {
            self.children("dimensions", |p, name, empty| {
                match name {
                    b"length" => d.length = p.text("length", empty)?,
                    b"width" => d.width = p.text("width", empty)?,
                    b"height" => d.height = p.text("height", empty)?,
                    b"dimensionsUnitOfMeasure" => {
                        d.unit = p.text("dimensionsUnitOfMeasure", empty)?
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(d)
    }

    fn product(&mut self, empty: bool) -> R<Product> {
        let mut x = Product::default();
        if !empty {
            self.children("product", |p, name, empty| {
                match name {
                    b"countryOfOrigin" => {
                        x.country_of_origin = Some(p.text("countryOfOrigin", empty)?)
                    }
                    b"harmonizationCode" => {
                        x.harmonization_code = p.text("harmonizationCode", empty)?
                    }
                    b"description" => x.description = p.text("description", empty)?,
                    b"manufacturerCode" => {
                        x.manufacturer_code = Some(p.text("manufacturerCode", empty)?)
                    }
                    b"sku" => x.sku = Some(p.text("sku", empty)?),
                    b"quantity" => x.quantity = p.text("quantity", empty)?,
                    b"unitValue" => x.unit_value = Some(p.text("unitValue", empty)?),
                    b"value" => x.value = Some(p.text("value", empty)?),
                    b"weight" => x.weight = Some(p.text("weight", empty)?),
                    b"priorNoticeFilingNumber" => {
                        x.prior_notice_filing_number =
                            Some(p.text("priorNoticeFilingNumber", empty)?)
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(x)
    }
}

/// Text with entities resolved. An undefined entity (`&nbsp;` from a sloppy server) keeps the text as it
/// came rather than losing it; only non-UTF-8 text fails.
fn text_piece(t: quick_xml::events::BytesText<'_>) -> Result<Cow<'_, str>, String> {
    if let Ok(s) = t.unescape() {
        return Ok(s);
    }
    match t.into_inner() {
        Cow::Borrowed(b) => std::str::from_utf8(b)
            .map(Cow::Borrowed)
            .map_err(|e| format!("text is not UTF-8: {e}")),
        Cow::Owned(v) => String::from_utf8(v)
            .map(Cow::Owned)
            .map_err(|e| format!("text is not UTF-8: {e}")),
    }
}

/// Appends a text piece; the first piece of a leaf becomes its `String` with a single copy.
fn push_piece(out: &mut String, piece: Cow<'_, str>) {
    if out.is_empty() {
        *out = piece.into_owned();
    } else {
        out.push_str(&piece);
    }
}
