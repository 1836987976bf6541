//! Reads ACP answer bodies into the typed shapes of [`crate::wire`].
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
//!
//! Its parts, one file each: `reader` (the pull parser over quick-xml: root check, children, leaf text with
//! its bounds and the refusal of entities), `info` (the info blocks several answers share), `results` (the
//! per-command result nodes), `label` (label base64 decoding) and `skim` (getManifest's items cut out by a
//! byte search before a counts-only reading). This file holds the public entry points
//! and the dispatch from a command to its node; the tests of the whole reader are in `tests.rs`.

mod info;
mod label;
mod reader;
mod results;
mod skim;

pub use label::decode_label;
pub use reader::{bounded_text, MAX_SERVER_TEXT};

use reader::{not_xml, skip_bom_and_space, Parser};

use crate::wire::{Answer, Command, MailItemResult};

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

/// Parses the body of ACP's answer to `command`.
///
/// `<shippingApiResponse><error>…</error></shippingApiResponse>` without the command's node is
/// [`Answer::CommonError`]. When the command node is present it wins, whatever else stands beside it.
pub fn parse_answer(command: Command, body: &[u8]) -> Result<Answer, AnswerError> {
    parse(command, body, false, None)
}

/// Like [`parse_answer`], but reading only ids and counts: the items, bags and days listed inside
/// getManifest's parts are skipped (left empty), and of the mail item descriptions (getInfo, conflicts)
/// only the ids (trackingNumber, shipperItemId, bagId, shipperBagId) are kept.
///
/// getManifest's items are cut out by a byte search first where that is sound (`skim`), so an error
/// inside an item's content, which is never read, is not seen; any body the search cannot decide, and any
/// body whose cut version does not parse, is parsed whole, so every other error is the one it was.
pub fn parse_answer_counts(command: Command, body: &[u8]) -> Result<Answer, AnswerError> {
    let skimmed = (command == Command::GetManifest)
        .then(|| skim::without_mail_items(body, skip_bom_and_space(body)))
        .flatten();
    parse_cut_or_whole(command, body, skimmed, None)
}

/// Like [`parse_answer_counts`], keeping of getInfo's listing only the mail items whose trackingNumber
/// and the bags whose bagId `wanted` accepts (an item or bag without that id is left out too); of an
/// item, only its trackingNumber is read.
///
/// getInfo lists every new unit of the account, those of earlier MAWBs included, so a night's last
/// confirmation reads tens of thousands of items of which it checks its own few. The items whose
/// trackingNumber a byte search reads and `wanted` refuses are cut out before parsing (`skim`), so an
/// error inside such an item's content is not seen; the others are read and dropped one by one, and a
/// body the search cannot decide, or whose cut version does not parse, is parsed whole. Other answers
/// read as [`parse_answer_counts`].
pub fn parse_info_wanted(
    command: Command,
    body: &[u8],
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Answer, AnswerError> {
    let skimmed = (command == Command::GetInfo)
        .then(|| skim::without_unwanted_mail_items(body, skip_bom_and_space(body), wanted))
        .flatten();
    parse_cut_or_whole(command, body, skimmed, Some(wanted))
}

/// The ids-and-counts reading of `body` from `skimmed`, its version with items cut out by `skim`, when
/// there is one and it parses; else of the whole body, so any error is the one the body itself has.
fn parse_cut_or_whole(
    command: Command,
    body: &[u8],
    skimmed: Option<Vec<u8>>,
    wanted: Option<&dyn Fn(&str) -> bool>,
) -> Result<Answer, AnswerError> {
    if let Some(Ok(answer)) = skimmed.map(|cut| parse(command, &cut, true, wanted)) {
        return Ok(answer);
    }
    parse(command, body, true, wanted)
}

fn parse<'a>(
    command: Command,
    body: &'a [u8],
    counts_only: bool,
    wanted: Option<&'a dyn Fn(&str) -> bool>,
) -> Result<Answer, AnswerError> {
    let start = skip_bom_and_space(body);
    if start == body.len() {
        return Err(AnswerError::Empty);
    }
    if body[start] != b'<' {
        return Err(not_xml(body));
    }
    let mut p = Parser::new(body);
    p.counts_only = counts_only;
    p.wanted = wanted;
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

#[cfg(test)]
mod tests;
