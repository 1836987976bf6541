//! The reader core: a small pull parser over quick-xml that borrows from the body, checks the root
//! element, walks children (skipping unknown ones with their subtree), and reads leaf text with entities
//! resolved, undeclared entities and internal DTDs refused, and server text bounded
//! ([`MAX_SERVER_TEXT`]). The info blocks (`info.rs`) and result nodes (`results.rs`) are built on it.

use std::borrow::Cow;

use mawb_model::Text;
use quick_xml::errors::{IllFormedError, SyntaxError};
use quick_xml::events::Event;
use quick_xml::Reader;

use super::AnswerError;

const ROOT: &[u8] = b"shippingApiResponse";
pub(super) const SNIPPET_CHARS: usize = 200;

pub(super) fn skip_bom_and_space(body: &[u8]) -> usize {
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

pub(super) fn not_xml(body: &[u8]) -> AnswerError {
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

pub(super) type R<T> = Result<T, AnswerError>;

pub(super) struct Parser<'a> {
    r: Reader<&'a [u8]>,
    /// Read only ids and counts: skip the contents of getManifest parts (their items, bags and days) and
    /// every field but the ids of getInfo's items. Reconciling and confirming units need no more, and
    /// these answers list thousands of items in full.
    pub(super) counts_only: bool,
    /// Of getInfo's listing, keep only the units whose id this accepts ([`super::parse_info_wanted`]).
    pub(super) wanted: Option<&'a dyn Fn(&str) -> bool>,
}

impl<'a> Parser<'a> {
    pub(super) fn new(body: &'a [u8]) -> Self {
        let mut r = Reader::from_reader(body);
        let c = r.config_mut();
        c.check_end_names = true;
        c.expand_empty_elements = false;
        c.trim_text(false);
        Parser {
            r,
            counts_only: false,
            wanted: None,
        }
    }

    /// Whether a listed unit with id `id` is kept ([`Parser::wanted`]).
    pub(super) fn wants(&self, id: Option<&str>) -> bool {
        match self.wanted {
            None => true,
            Some(w) => id.is_some_and(w),
        }
    }

    pub(super) fn offset(&self) -> u64 {
        self.r.buffer_position()
    }

    pub(super) fn xml_error(&self, inside: &str, e: quick_xml::Error) -> AnswerError {
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

    pub(super) fn event(&mut self, inside: &str) -> R<Event<'a>> {
        match self.r.read_event() {
            Ok(e) => Ok(e),
            Err(e) => Err(self.xml_error(inside, e)),
        }
    }

    /// Reads up to the root start tag and checks it; returns whether the root is an empty element.
    pub(super) fn root(&mut self, body: &[u8]) -> R<bool> {
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
    pub(super) fn children(
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
    pub(super) fn text<T: TextOut>(&mut self, name: &str, empty: bool) -> R<T> {
        let mut out = T::default();
        if empty {
            return Ok(out);
        }
        loop {
            match self.event(name)? {
                Event::Text(t) => match text_piece(t) {
                    Ok(piece) => out.push_piece(piece),
                    Err(detail) => {
                        return Err(AnswerError::Malformed {
                            inside: name.to_string(),
                            offset: self.offset(),
                            detail,
                        })
                    }
                },
                Event::CData(c) => match c.decode() {
                    Ok(s) => out.push_piece(s),
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
                Event::End(_) => return Ok(out.bounded()),
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

    pub(super) fn opt_text<T: TextOut>(
        &mut self,
        name: &str,
        empty: bool,
        slot: &mut Option<T>,
    ) -> R<bool> {
        *slot = Some(self.text(name, empty)?);
        Ok(true)
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
pub(super) fn entity_reference(text: &str) -> Option<&str> {
    let body = text.strip_prefix('&')?;
    let end = body.find(';')?;
    let name = &body[..end];
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
    .then_some(name)
}

/// What an element's text is read into: a `String`, or a [`Text`] for the item fields that are kept by
/// the thousand (a getManifest lists every unit of a MAWB), so short ones need no allocation.
pub(super) trait TextOut: Default + std::ops::Deref<Target = str> {
    /// Appends one piece of the text (text and CDATA come in pieces).
    fn push_piece(&mut self, piece: Cow<'_, str>);
    /// The text, cut as [`bounded_text`] cuts it.
    fn bounded(self) -> Self;
}

impl TextOut for String {
    /// The first piece of a leaf becomes its `String` with a single copy.
    fn push_piece(&mut self, piece: Cow<'_, str>) {
        if self.is_empty() {
            *self = piece.into_owned();
        } else {
            self.push_str(&piece);
        }
    }

    fn bounded(self) -> Self {
        bounded_text(self)
    }
}

impl TextOut for Text {
    fn push_piece(&mut self, piece: Cow<'_, str>) {
        self.push_str(&piece);
    }

    fn bounded(self) -> Self {
        if self.len() <= MAX_SERVER_TEXT {
            // Fewer bytes than the limit, so fewer characters: nothing to cut.
            return self;
        }
        Text::from(bounded_text(self.into_string()))
    }
}
