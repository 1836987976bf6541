//! Label decoding: a label's base64 text (as the answer carries it) to its bytes, for the archive.
//!
//! Labels are most of an answer's bytes, so whole 8-character blocks go through a table-driven decoder
//! (about twice the base64 crate's scalar speed); the crate decodes the tail (its padding rules) and
//! explains any text the fast path refuses. Hand-written only for that speed: the crate stays the
//! reference for what is valid.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

use super::AnswerError;
use crate::wire::Label;

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
pub(super) fn fast_decode(text: &[u8]) -> Option<Vec<u8>> {
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

pub(super) const LABEL_ENGINE: GeneralPurpose = GeneralPurpose::new(
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
