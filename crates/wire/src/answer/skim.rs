//! getManifest's item listing, and getInfo's items of other MAWBs, cut out by searching bytes, for the
//! counts-only and the wanted-ids readings.
//!
//! A getManifest answer lists every item of the manifest with all its fields (about 1.5 kB each), and
//! reconciliation reads only the counts and unit ids beside them: quick-xml skipping an item still
//! tokenises each of its elements, which was a tenth of a whole run's instructions. In a well-formed
//! document without comments, CDATA sections, a DOCTYPE or processing instructions, every `<` starts
//! markup (it cannot stand in text or in an attribute value), so an item's element ends at the first
//! `</mailItem>` after its start when no other `<mailItem>` opens before it. Each such element is replaced
//! with `<mailItem/>`, which the counts-only reading skips as it skipped the whole element, and the rest
//! of the body is parsed as before.
//!
//! getInfo lists every new unit of the account, so a night's last confirmation lists the items of every
//! MAWB sent that night, of which it checks its own. There an item is cut only when its trackingNumber,
//! read by bytes, is one the confirmation does not want: the name's bytes occur exactly twice in the
//! item, as `<trackingNumber>` and `</trackingNumber>` around a text without markup, entity or white
//! space at its ends. The parser (which matches the local name, any prefix) would read that same text
//! and drop the item, as it drops the `<mailItem/>` left in its place (no trackingNumber). An item whose
//! trackingNumber bytes alone cannot tell (a second one under a prefix, the name in an attribute value)
//! is kept and parsed.
//!
//! Whatever this cannot decide by bytes alone (one of those constructs anywhere, an item inside an item,
//! an item never closed) leaves the body to be parsed whole. What it gives up: an error inside an item's
//! content (which is never read) is no longer seen. Written here because no XML crate skips a subtree
//! without tokenising it; the byte search is memchr's.

use memchr::memmem;

const OPEN: &[u8] = b"<mailItem";
const CLOSE: &[u8] = b"</mailItem";

/// `body` with each `<mailItem …>…</mailItem>` replaced by `<mailItem/>`; `None` when there is none, or
/// when the body holds what a byte search cannot see past (see the module doc): then it is parsed whole.
/// `start` is where the document starts (after a byte order mark and white space): an XML declaration
/// there is the one processing instruction allowed.
pub(super) fn without_mail_items(body: &[u8], start: usize) -> Option<Vec<u8>> {
    cut_mail_items(body, start, &|_| false)
}

/// `body` with each `<mailItem …>…</mailItem>` whose trackingNumber `wanted` refuses replaced by
/// `<mailItem/>`; items whose trackingNumber bytes alone cannot tell are kept (see the module doc).
/// `None` as for [`without_mail_items`], and when no item was cut.
pub(super) fn without_unwanted_mail_items(
    body: &[u8],
    start: usize,
    wanted: &dyn Fn(&str) -> bool,
) -> Option<Vec<u8>> {
    let names = memmem::Finder::new(TRACKING_NAME);
    cut_mail_items(body, start, &|content| {
        tracking_number(content, &names).is_none_or(wanted)
    })
}

/// The element name the parser reads an item's trackingNumber from (its local name: any prefix).
const TRACKING_NAME: &[u8] = b"trackingNumber";

/// The text of an item's `<trackingNumber>` element when bytes alone tell it as the parser reads it:
/// the name's bytes occur exactly twice in the item, as `<trackingNumber>` and right after its text as
/// `</trackingNumber>`; the text holds no `&` (an entity), has no white space at its ends, and is UTF-8.
/// `None` otherwise: another trackingNumber under a prefix (`<x:trackingNumber>`, which the parser
/// reads too, the later one winning), the name inside an attribute value or another element's name,
/// attributes, `/>`. `names` is the search for [`TRACKING_NAME`], built once for the whole body.
fn tracking_number<'c>(content: &'c [u8], names: &memmem::Finder<'_>) -> Option<&'c str> {
    let mut found = names.find_iter(content);
    let (Some(open), Some(close), None) = (found.next(), found.next(), found.next()) else {
        return None;
    };
    let text_start = open + TRACKING_NAME.len() + 1;
    let end_start = close.checked_sub(2)?;
    if open == 0
        || content[open - 1] != b'<'
        || content.get(text_start - 1) != Some(&b'>')
        || end_start < text_start
        || &content[end_start..close] != b"</"
        || content.get(close + TRACKING_NAME.len()) != Some(&b'>')
    {
        return None;
    }
    let text = &content[text_start..end_start];
    if text.contains(&b'<')
        || text.contains(&b'&')
        || text.first().is_none_or(u8::is_ascii_whitespace)
        || text.last().is_none_or(u8::is_ascii_whitespace)
    {
        return None;
    }
    std::str::from_utf8(text).ok()
}

/// `body` with each `<mailItem …>…</mailItem>` whose content `keep` refuses replaced by `<mailItem/>`;
/// `None` when none was, or when the body holds what a byte search cannot see past.
fn cut_mail_items(body: &[u8], start: usize, keep: &dyn Fn(&[u8]) -> bool) -> Option<Vec<u8>> {
    if memmem::find(body, b"<!").is_some() {
        return None;
    }
    let mut instructions = memmem::find_iter(body, b"<?");
    match (instructions.next(), instructions.next()) {
        (None, _) => {}
        (Some(at), None) if at == start => {}
        _ => return None,
    }
    let opens = memmem::Finder::new(OPEN);
    let closes = memmem::Finder::new(CLOSE);
    let mut out = Vec::new();
    let mut at = 0;
    let mut cut = false;
    while let Some(open) = opens.find(&body[at..]).map(|i| at + i) {
        let name_end = open + OPEN.len();
        if !ends_name(body.get(name_end).copied())? {
            // Another name (`<mailItemInfo>`): kept.
            out.extend_from_slice(&body[at..name_end]);
            at = name_end;
            continue;
        }
        // The start tag ends at the first `>` unless an attribute value holds one (`>` may stand there,
        // `<` may not). Only the test for `/>` below uses this end: whatever it finds, the cut runs
        // from `<mailItem` to past its end tag, and an element wrongly taken as empty is kept whole.
        let tag_end = name_end + memchr::memchr(b'>', &body[name_end..])?;
        if body[tag_end - 1] == b'/' {
            // `<mailItem …/>`: empty already.
            out.extend_from_slice(&body[at..=tag_end]);
            at = tag_end + 1;
            continue;
        }
        let content = tag_end + 1;
        let close = content + closes.find(&body[content..])?;
        if opens_item(&body[content..close], &opens)? {
            return None;
        }
        let after_name = close + CLOSE.len();
        let spaces = body[after_name..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        if body.get(after_name + spaces) != Some(&b'>') {
            return None;
        }
        if keep(&body[content..close]) {
            // Kept whole, end tag included.
            out.extend_from_slice(&body[at..=after_name + spaces]);
            at = after_name + spaces + 1;
            continue;
        }
        if !cut {
            out.reserve(body.len() / 8);
        }
        out.extend_from_slice(&body[at..open]);
        out.extend_from_slice(b"<mailItem/>");
        at = after_name + spaces + 1;
        cut = true;
    }
    if !cut {
        return None;
    }
    out.extend_from_slice(&body[at..]);
    Some(out)
}

/// Whether the byte after `<mailItem` ends the element name (`>`, `/` or white space); `None` at the end
/// of the body.
fn ends_name(b: Option<u8>) -> Option<bool> {
    b.map(|b| b == b'>' || b == b'/' || b.is_ascii_whitespace())
}

/// Whether `content` opens a `<mailItem` element (not `<mailItemInfo>`), searched with `opens` (for
/// `<mailItem`, built once for the body); `None` when it ends right after `<mailItem`.
fn opens_item(content: &[u8], opens: &memmem::Finder<'_>) -> Option<bool> {
    for i in opens.find_iter(content) {
        match ends_name(content.get(i + OPEN.len()).copied()) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => return None,
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::super::AnswerError;
    use super::super::{parse, parse_answer_counts, parse_info_wanted, skip_bom_and_space};
    use super::*;
    use crate::wire::Answer;
    use crate::wire::Command;
    use proptest::prelude::*;

    fn skim(body: &[u8]) -> Option<Vec<u8>> {
        without_mail_items(body, skip_bom_and_space(body))
    }

    /// A getManifest answer around `items` (the content of one part after its unit).
    fn manifest(items: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?>\n<shippingApiResponse><manifest><result>ok</result>\
             <manifestId>7</manifestId><numItems>2</numItems><numBags>0</numBags>\
             <manifestPart><departureFacility>LAX</departureFacility><numItems>2</numItems>\
             <unit><unitId>1Z1</unitId></unit>{items}</manifestPart>\
             <manifestPart><unit><unitId>1Z9</unitId></unit><mailItem><value>3</value></mailItem>\
             </manifestPart></manifest></shippingApiResponse>"
        )
    }

    #[test]
    fn items_are_cut_and_the_counts_read_the_same() {
        for items in [
            "<mailItem><trackingNumber>1Z1</trackingNumber><value>1</value></mailItem>",
            "<mailItem id=\"a>b\"><value>1</value></mailItem >\n<mailItem\n><a/></mailItem\t>",
            "<mailItem/><mailItem a=\"1\" /><mailItemInfo><x>1</x></mailItemInfo>",
            "<mailItem><consignee><name>A &amp; B</name></consignee></mailItem>",
        ] {
            let body = manifest(items);
            let skimmed = skim(body.as_bytes()).expect("cut");
            assert!(memmem::find(&skimmed, b"<value>").is_none(), "{items}");
            assert_eq!(
                parse(Command::GetManifest, &skimmed, true, None),
                parse(Command::GetManifest, body.as_bytes(), true, None),
                "{items}"
            );
        }
    }

    #[test]
    fn what_bytes_alone_cannot_decide_is_parsed_whole() {
        for items in [
            "<mailItem><![CDATA[</mailItem>]]></mailItem>",
            "<mailItem><!-- </mailItem> --></mailItem>",
            "<?pi x?><mailItem></mailItem>",
            "<mailItem><mailItem></mailItem></mailItem>",
            "<mailItem><value>1</value></mailItem",
            "<mailItem><value>1</value></mailItemX>",
        ] {
            assert_eq!(skim(manifest(items).as_bytes()), None, "{items}");
        }
        for body in [
            "<shippingApiResponse><manifest><mailItem><value>1",
            "<shippingApiResponse><manifest><mailItem",
            "<!DOCTYPE x><shippingApiResponse><mailItem></mailItem></shippingApiResponse>",
            "<shippingApiResponse><manifest><result>ok</result></manifest></shippingApiResponse>",
        ] {
            assert_eq!(skim(body.as_bytes()), None, "{body}");
        }
    }

    #[test]
    fn an_item_broken_inside_is_not_seen_but_a_broken_document_still_is() {
        // Inside an item, which is never read: the counts are read.
        let body = manifest("<mailItem><value>1</valu></mailItem>");
        assert!(parse_answer_counts(Command::GetManifest, body.as_bytes()).is_ok());
        // Outside the items: the same error as before.
        let body = manifest("<mailItem><value>1</value></mailItem><numBags>1</numBag>");
        assert_eq!(
            parse_answer_counts(Command::GetManifest, body.as_bytes()),
            parse(Command::GetManifest, body.as_bytes(), true, None)
        );
        assert!(parse_answer_counts(Command::GetManifest, body.as_bytes()).is_err());
    }

    /// A getInfo answer around `items`, with a bag before and after them.
    fn info(items: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?>\n<shippingApiResponse><info><result>ok</result><errorType/><error/>\
             <bag><bagInfo><bagId>55</bagId></bagInfo></bag>{items}<bag><bagId>56</bagId></bag>\
             </info></shippingApiResponse>"
        )
    }

    /// getInfo read with the unwanted items cut, and read whole.
    fn cut_and_whole(
        body: &str,
        wanted: &dyn Fn(&str) -> bool,
    ) -> (Result<Answer, AnswerError>, Result<Answer, AnswerError>) {
        (
            parse_info_wanted(Command::GetInfo, body.as_bytes(), wanted),
            parse(Command::GetInfo, body.as_bytes(), true, Some(wanted)),
        )
    }

    #[test]
    fn a_tracking_number_is_read_by_bytes_only_when_bytes_tell_it() {
        let names = memmem::Finder::new(TRACKING_NAME);
        let read = |c: &str| tracking_number(c.as_bytes(), &names).map(str::to_string);
        assert_eq!(
            read("<trackingNumber>1Z9</trackingNumber>").as_deref(),
            Some("1Z9")
        );
        assert_eq!(
            read("<mailItemInfo><type>Direct</type><trackingNumber>김1</trackingNumber></mailItemInfo>")
                .as_deref(),
            Some("김1")
        );
        for undecided in [
            "",
            "<trackingNumber/>",
            "<trackingNumber></trackingNumber>",
            "<trackingNumber a=\"1\">1Z9</trackingNumber>",
            "<trackingNumber> 1Z9</trackingNumber>",
            "<trackingNumber>1Z9\n</trackingNumber>",
            "<trackingNumber>1Z&amp;9</trackingNumber>",
            "<trackingNumber>1Z9</trackingNumberX>",
            "<trackingNumber>1Z9<b/></trackingNumber>",
            "<trackingNumber>1Z9</trackingNumber><trackingNumber>1Z8</trackingNumber>",
            "<trackingNumberOld>1Z8</trackingNumberOld><trackingNumber>1Z9</trackingNumber>",
            "<trackingNumber>1Z9",
            "<trackingNumber>A</trackingNumber><x:trackingNumber>B</x:trackingNumber>",
            "<x:trackingNumber>B</x:trackingNumber>",
            "<n v=\"<trackingNumber>A</trackingNumber>\"/><p:trackingNumber>B</p:trackingNumber>",
            "<n v=\"trackingNumber\"/><trackingNumber>1Z9</trackingNumber>",
            "<trackingNumber>1Z9</x:trackingNumber>",
        ] {
            assert_eq!(read(undecided), None, "{undecided}");
        }
    }

    #[test]
    fn get_info_items_not_wanted_are_cut_and_the_answer_reads_the_same() {
        let wanted = |id: &str| matches!(id, "1Z2" | "1Z4" | "56" | "1Z&9" | "1Z8");
        for items in [
            "<mailItem><trackingNumber>1Z1</trackingNumber><value>1</value></mailItem>\
             <mailItem><trackingNumber>1Z2</trackingNumber></mailItem>",
            "<mailItem><mailItemInfo><trackingNumber>1Z3</trackingNumber></mailItemInfo></mailItem>\
             <mailItem>\n<mailItemInfo><trackingNumber>1Z4</trackingNumber></mailItemInfo></mailItem >",
            // Undecided by bytes: kept and read by the parser, wanted or not.
            "<mailItem><trackingNumber>1Z&amp;9</trackingNumber></mailItem>\
             <mailItem><trackingNumber> 1Z2 </trackingNumber></mailItem>\
             <mailItem><trackingNumber>1Z7</trackingNumber><trackingNumber>1Z8</trackingNumber></mailItem>\
             <mailItem><shipperItemId>S3</shipperItemId></mailItem><mailItem/>",
            // A later trackingNumber under a prefix, which the parser reads (and keeps, the later
            // one winning), and the name hidden in an attribute value: kept for the parser.
            "<mailItem><trackingNumber>1Z1</trackingNumber><x:trackingNumber>1Z2</x:trackingNumber></mailItem>\
             <mailItem><n v=\"<trackingNumber>1Z1</trackingNumber>\"/><p:trackingNumber>1Z4</p:trackingNumber></mailItem>",
            // A trackingNumber the parser does not read (inside another element): dropped either way.
            "<mailItem><extra><trackingNumber>1Z2</trackingNumber></extra></mailItem>\
             <mailItem><extra><trackingNumber>1Z1</trackingNumber></extra></mailItem>",
        ] {
            let body = info(items);
            let (cut, whole) = cut_and_whole(&body, &wanted);
            assert!(whole.is_ok(), "{items}");
            assert_eq!(cut, whole, "{items}");
        }
        let body = info(
            "<mailItem><trackingNumber>1Z1</trackingNumber><value>1</value></mailItem>\
             <mailItem><trackingNumber>1Z2</trackingNumber></mailItem>",
        );
        let skimmed = without_unwanted_mail_items(body.as_bytes(), 0, &wanted).expect("cut");
        assert!(memmem::find(&skimmed, b"1Z1").is_none());
        assert!(memmem::find(&skimmed, b"1Z2").is_some());
        // Nothing to cut: parsed whole.
        assert_eq!(
            without_unwanted_mail_items(body.as_bytes(), 0, &|_| true),
            None
        );
    }

    #[test]
    fn a_wanted_item_named_under_a_prefix_is_kept() {
        let wanted = |id: &str| matches!(id, "1Z2" | "1Z4");
        let body = info(
            "<mailItem><trackingNumber>1Z1</trackingNumber><x:trackingNumber>1Z2</x:trackingNumber></mailItem>\
             <mailItem><n v=\"<trackingNumber>1Z1</trackingNumber>\"/><p:trackingNumber>1Z4</p:trackingNumber></mailItem>\
             <mailItem><trackingNumber>1Z3</trackingNumber></mailItem>",
        );
        let Ok(Answer::Info(kept)) = parse_info_wanted(Command::GetInfo, body.as_bytes(), &wanted)
        else {
            panic!("not info")
        };
        let ids: Vec<_> = kept
            .items
            .iter()
            .map(|i| i.tracking_number.as_deref())
            .collect();
        assert_eq!(ids, [Some("1Z2"), Some("1Z4")]);
    }

    #[test]
    fn get_info_errors_outside_the_cut_items_are_the_same() {
        let wanted = |id: &str| id == "1Z2";
        for body in [
            info("<mailItem><trackingNumber>1Z1</trackingNumber></mailItem><numBags>1</numBag>"),
            info("<mailItem><trackingNumber>1Z2</trackingNumber><v>1</w></mailItem>"),
            info("<mailItem><trackingNumber>1Z1</trackingNumber></mailItem>")
                .replace("</info>", ""),
        ] {
            let (cut, whole) = cut_and_whole(&body, &wanted);
            assert!(whole.is_err(), "{body}");
            assert_eq!(cut, whole, "{body}");
        }
        // Inside an item cut out, which is never read: not seen.
        let body = info("<mailItem><trackingNumber>1Z1</trackingNumber><v>1</w></mailItem>");
        assert!(parse_info_wanted(Command::GetInfo, body.as_bytes(), &wanted).is_ok());
    }

    proptest! {
        /// Items of any escaped text, fields and spacing: the counts read from the cut body are those
        /// read from the whole one.
        #[test]
        fn cut_or_whole_the_counts_agree(
            texts in proptest::collection::vec("\\PC{0,12}", 0..6),
            spaces in proptest::collection::vec("[ \t\r\n]{0,2}", 6),
        ) {
            let mut items = String::new();
            for (i, t) in texts.iter().enumerate() {
                let escaped = t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                items.push_str(&format!(
                    "<mailItem{}><f{i}>{escaped}</f{i}><value>{i}</value></mailItem{}>{}",
                    if i % 2 == 0 { " a=\"x\"" } else { "" },
                    spaces[i % spaces.len()],
                    spaces[(i + 1) % spaces.len()],
                ));
            }
            let body = manifest(&items);
            let whole = parse(Command::GetManifest, body.as_bytes(), true, None);
            prop_assert!(whole.is_ok());
            prop_assert_eq!(parse_answer_counts(Command::GetManifest, body.as_bytes()), whole);
        }

        /// getInfo items of any tracking text (escaped, spaced, wrapped or not), some wanted: cut or
        /// whole, the same items and bags are kept.
        #[test]
        fn cut_or_whole_getinfo_keeps_the_same_units(
            texts in proptest::collection::vec("[ 0-9A-Z&<>\u{AC00}]{0,8}", 0..8),
            wanted_mask in 0u8..=255,
            wrapped_mask in 0u8..=255,
        ) {
            let mut items = String::new();
            let mut wanted_ids = Vec::new();
            for (i, t) in texts.iter().enumerate() {
                let escaped = t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                let field = format!("<trackingNumber>{escaped}</trackingNumber><value>{i}</value>");
                if wrapped_mask & (1 << i) != 0 {
                    items.push_str(&format!("<mailItem><mailItemInfo>{field}</mailItemInfo></mailItem>"));
                } else {
                    items.push_str(&format!("<mailItem>{field}</mailItem>"));
                }
                if wanted_mask & (1 << i) != 0 {
                    wanted_ids.push(t.clone());
                }
            }
            let wanted = |id: &str| wanted_ids.iter().any(|w| w == id);
            let body = info(&items);
            let (cut, whole) = cut_and_whole(&body, &wanted);
            prop_assert!(whole.is_ok());
            prop_assert_eq!(cut, whole);
        }
    }
}
