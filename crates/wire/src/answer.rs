//! Reads ACP answer bodies into the typed shapes of `acp::wire`.
//!
//! ACP always answers `200 OK`; what happened is in the XML. This reader is deliberately tolerant of what
//! the spec leaves open and the live service changes (the ACP Shipper API document, "Parsing rules"):
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

use crate::wire::{
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
    /// The XML or base64 reader failed on the answer (a panic in a dependency, contained).
    #[error("ACP's answer could not be read: the reader failed on it ({0})")]
    ReaderFailed(String),
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
    parse(command, body, false)
}

/// Like [`parse_answer`], but reading only ids and counts: the items, bags and days listed inside
/// getManifest's parts are skipped (left empty), and of the mail item descriptions (getInfo, conflicts)
/// only the ids (trackingNumber, shipperItemId, bagId, shipperBagId) are kept.
pub fn parse_answer_counts(command: Command, body: &[u8]) -> Result<Answer, AnswerError> {
    parse(command, body, true)
}

fn parse(command: Command, body: &[u8], counts_only: bool) -> Result<Answer, AnswerError> {
    let start = skip_bom_and_space(body);
    if start == body.len() {
        return Err(AnswerError::Empty);
    }
    if body[start] != b'<' {
        return Err(not_xml(body));
    }
    let mut p = Parser::new(body);
    p.counts_only = counts_only;
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
    if let Some(bytes) = fast_decode(text) {
        return Ok(bytes);
    }
    if !text.iter().any(u8::is_ascii_whitespace) {
        return Err(bad_base64(l, engine_error(text)));
    }
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    match fast_decode(&compact) {
        Some(bytes) => Ok(bytes),
        None => Err(bad_base64(
            l,
            format!(
                "{} (offset counted without whitespace)",
                engine_error(&compact)
            ),
        )),
    }
}

/// The base64 crate's description of what is wrong with `text` (the fast path only says *that* it is).
fn engine_error(text: &[u8]) -> String {
    match LABEL_ENGINE.decode(text) {
        Err(e) => e.to_string(),
        Ok(_) => "rejected by the fast decoder".to_string(),
    }
}

/// Table-driven decoding of whole 8-character blocks (about twice the base64 crate's scalar speed, which
/// matters: labels are most of an answer), the last block or two through the base64 crate for padding
/// rules. `None` when the text is not plain base64; the caller then asks the crate for the exact error.
fn fast_decode(text: &[u8]) -> Option<Vec<u8>> {
    let last_group = if text.len().is_multiple_of(4) {
        text.len().saturating_sub(4)
    } else {
        text.len() - text.len() % 4
    };
    let main = last_group / 8 * 8;
    let mut out = vec![0u8; main / 8 * 6];
    let mut bad = 0u32;
    for (src, dst) in text[..main].chunks_exact(8).zip(out.chunks_exact_mut(6)) {
        let a = DECODE[0][src[0] as usize]
            | DECODE[1][src[1] as usize]
            | DECODE[2][src[2] as usize]
            | DECODE[3][src[3] as usize];
        let b = DECODE[0][src[4] as usize]
            | DECODE[1][src[5] as usize]
            | DECODE[2][src[6] as usize]
            | DECODE[3][src[7] as usize];
        bad |= a | b;
        let six = ((a as u64) << 40) | ((b as u64) << 16);
        dst.copy_from_slice(&six.to_be_bytes()[..6]);
    }
    if bad & INVALID != 0 {
        return None;
    }
    LABEL_ENGINE.decode_vec(&text[main..], &mut out).ok()?;
    Some(out)
}

const INVALID: u32 = 0xFF00_0000;

/// `DECODE[i][c]`: the sextet of character `c` at position `i` of a 4-character group, shifted into place
/// in a 24-bit word; [`INVALID`] for anything outside the standard alphabet (including `=`).
static DECODE: [[u32; 256]; 4] = decode_tables();

const fn decode_tables() -> [[u32; 256]; 4] {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [[INVALID; 256]; 4];
    let mut i = 0;
    while i < 64 {
        let c = alphabet[i] as usize;
        t[0][c] = (i as u32) << 18;
        t[1][c] = (i as u32) << 12;
        t[2][c] = (i as u32) << 6;
        t[3][c] = i as u32;
        i += 1;
    }
    t
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
    /// Read only ids and counts: skip the contents of getManifest parts (their items, bags and days) and
    /// every field but the ids of getInfo's items. Reconciling and confirming units need no more, and
    /// these answers list thousands of items in full.
    counts_only: bool,
}

impl<'a> Parser<'a> {
    fn new(body: &'a [u8]) -> Self {
        let mut r = Reader::from_reader(body);
        let c = r.config_mut();
        c.check_end_names = true;
        c.expand_empty_elements = false;
        c.trim_text(false);
        Parser {
            r,
            counts_only: false,
        }
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
                    if d.windows(8).any(|w| w == b"<!ENTITY") || d.contains(&b'[') {
                        return Err(AnswerError::Malformed {
                            inside: "!DOCTYPE".into(),
                            offset: self.offset(),
                            detail: "the answer declares entities (an internal DTD), which ACP never sends: refused unread (entity expansion attack?)".into(),
                        });
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
                // Labels are base64 of any size; every other text is bounded before it is kept anywhere.
                Event::End(_) if name == "label" => return Ok(out),
                Event::End(_) => return Ok(bounded_text(out)),
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
            // Ids only: what confirming units needs from a getInfo listing every new item.
            b"type"
            | b"creationDate"
            | b"status"
            | b"displayItemId"
            | b"value"
            | b"currency"
            | b"weight"
            | b"weightUnitOfMeasure"
                if self.counts_only =>
            {
                Ok(false)
            }
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
                    b"mailItem" | b"bag" | b"day" if p.counts_only => return Ok(false),
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

/// Text with entities resolved. An undefined entity (`&nbsp;` from a sloppy server) or a stray `&` is kept
/// as it came rather than failing the whole answer; only non-UTF-8 text fails.
fn text_piece(t: quick_xml::events::BytesText<'_>) -> Result<Cow<'_, str>, String> {
    if let Ok(s) = t.unescape() {
        return Ok(s);
    }
    let raw = match t.into_inner() {
        Cow::Borrowed(b) => std::str::from_utf8(b).map(Cow::Borrowed),
        Cow::Owned(v) => String::from_utf8(v)
            .map(Cow::Owned)
            .map_err(|e| e.utf8_error()),
    };
    let raw = raw.map_err(|e| format!("text is not UTF-8: {e}"))?;
    lenient_unescape(&raw).map(Cow::Owned)
}

/// Resolves each entity that quick-xml knows (predefined and numeric) and keeps a bare `&` verbatim
/// (`AT&T`); a reference to any other entity (`&lol9;`) is refused: ACP declares none, and its text
/// must never be recorded as a value.
fn lenient_unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let resolved = rest.find(';').and_then(|semi| {
            quick_xml::escape::unescape(&rest[..=semi])
                .ok()
                .map(|s| (s.into_owned(), semi + 1))
        });
        match resolved {
            Some((text, used)) => {
                out.push_str(&text);
                rest = &rest[used..];
            }
            None => {
                if let Some(name) = entity_reference(rest) {
                    return Err(format!(
                        "the text refers to the entity &{name}; which ACP never declares (a hostile or broken answer)"
                    ));
                }
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The most characters of a server's text (an error message, an id) mawb keeps.
pub const MAX_SERVER_TEXT: usize = 4096;

/// A server's text cut to [`MAX_SERVER_TEXT`] characters, its full size noted: a 200 MB error message
/// must not become 200 MB of logs, reports and ledger rows.
pub fn bounded_text(text: String) -> String {
    match text.char_indices().nth(MAX_SERVER_TEXT) {
        None => text,
        Some((cut, _)) => format!("{}… (cut: {} bytes in all)", &text[..cut], text.len()),
    }
}

/// The name of the entity reference `&name;` that `text` starts with, if it is one.
fn entity_reference(text: &str) -> Option<&str> {
    let body = text.strip_prefix('&')?;
    let end = body.find(';')?;
    let name = &body[..end];
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
    .then_some(name)
}

/// Appends a text piece; the first piece of a leaf becomes its `String` with a single copy.
fn push_piece(out: &mut String, piece: Cow<'_, str>) {
    if out.is_empty() {
        *out = piece.into_owned();
    } else {
        out.push_str(&piece);
    }
}

#[cfg(test)]
mod tests {

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

    use super::*;
    use crate::wire::ManifestPart;
    use proptest::prelude::*;

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

    const MAIL_ITEM_INFO: &str =
        "<type>Direct</type><creationDate>2012-08-31T20:00:00Z</creationDate>\
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
                name: s("Warehouse"),
                city: s("Leipzig"),
                country: s("DE"),
                ..Address::default()
            })
        );
        assert_eq!(m.receiver_address.as_ref().unwrap().company_name, s("ACP"));
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
        assert_eq!(item.tracking_number, s("T1"));
        assert_eq!(item.consignee.address_line2, s(""));
        assert_eq!(item.value, "5");
        assert_eq!(item.dimensions.as_ref().unwrap().unit, "m");
        assert_eq!(item.products[0].value, s("29.30"));
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
        let undeclared = "<shippingApiResponse><mailItem><result>ok</result><trackingNumber>&lol9;</trackingNumber>\
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
        let full =
            "<shippingApiResponse><mailItem><result>ok</result><labelFormat>PNG</labelFormat>\
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
        let xml =
            "<shippingApiResponse><mailItem><result>ok</result><labelFormat>PNG</labelFormat>\
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
}
