//! Escaping of element text for the request writer, and the characters XML 1.0 cannot carry at all.
//!
//! Hand-written rather than `quick_xml::escape`: the writer needs the escaped length without producing it
//! (for the counting sink), a CR escaped as `&#13;` so it survives the receiving parser, and a hard error
//! instead of a silent replacement when a forbidden character reaches it.

use std::io;

/// The first character XML 1.0 forbids in text, with its index in chars (not bytes): C0 controls other
/// than TAB, LF and CR, U+FFFE and U+FFFF (surrogates cannot occur in a `str`). Validators use it to
/// reject such text up front; the writer never drops or replaces characters.
pub fn forbidden_xml_char(text: &str) -> Option<(usize, char)> {
    // Fast path: no byte that can start a forbidden char.
    if !text
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
    {
        return None;
    }
    text.chars().enumerate().find(|&(_, c)| is_forbidden(c))
}

pub(super) fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// The escape of a byte that needs one in element text.
fn escape_of(b: u8) -> Option<&'static [u8]> {
    match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'"' => Some(b"&quot;"),
        b'\'' => Some(b"&apos;"),
        b'\r' => Some(b"&#13;"),
        _ => None,
    }
}

/// Bytes that stop the plain-copy scan: the escaped ones, C0 controls and 0xEF (first byte of U+FFFE/FFFF).
const fn special_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = !matches!(b as u8, b'\t' | b'\n');
        b += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t[0xEF] = true;
    t
}

static SPECIAL: [bool; 256] = special_table();

/// The length of `text` once escaped (forbidden characters counted as themselves: writing them fails).
pub(crate) fn escaped_len(text: &str) -> usize {
    text.len()
        + text
            .bytes()
            .map(|b| match escape_of(b) {
                Some(e) => e.len() - 1,
                None => 0,
            })
            .sum::<usize>()
}

/// Sends `text` escaped to `put`, in as few pieces as possible; fails on a forbidden character.
pub(super) fn write_escaped(
    element: &str,
    text: &str,
    mut put: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !SPECIAL[b as usize] {
            i += 1;
            continue;
        }
        if let Some(esc) = escape_of(b) {
            put(&bytes[run..i])?;
            put(esc)?;
            i += 1;
            run = i;
        } else if b == 0xEF
            && !(bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)))
        {
            i += 1; // another char of the U+Fxxx block: fine
        } else {
            return Err(forbidden_error(element, text, i));
        }
    }
    put(&bytes[run..])
}

fn forbidden_error(element: &str, text: &str, byte_pos: usize) -> io::Error {
    let index = text[..byte_pos].chars().count();
    let c = text[byte_pos..].chars().next().unwrap_or('\u{0}');
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "<{element}> text holds U+{:04X}, which XML 1.0 cannot carry, at character {index}; \
             it should have been rejected at validation (forbidden_xml_char)",
            c as u32
        ),
    )
}

// -------------------------------------------------------------------------------------------------------
