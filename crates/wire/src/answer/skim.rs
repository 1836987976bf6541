//! getManifest's item listing cut out by searching bytes, for the counts-only reading.
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
        if opens_item(&body[content..close])? {
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

/// Whether `content` opens a `<mailItem` element (not `<mailItemInfo>`); `None` when it ends right after
/// `<mailItem`.
fn opens_item(content: &[u8]) -> Option<bool> {
    for i in memmem::find_iter(content, OPEN) {
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
    use super::super::{parse, parse_answer_counts, skip_bom_and_space};
    use super::*;
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
    }
}
