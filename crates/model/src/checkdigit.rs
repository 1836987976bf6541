//! Check digits of the identifiers mawb handles: MAWB numbers (IATA mod 7) and UPS `1Z` tracking numbers.
//!
//! Both are cheap to verify and catch the most common warehouse mistake, a mistyped or truncated number,
//! before anything reaches ACP.

/// The IATA check digit of a 7-digit MAWB serial: the serial modulo 7.
pub fn mawb_check_digit(serial: u32) -> u32 {
    serial % 7
}

/// Parses a MAWB number (`PPP-SSSSSSSC` or `PPPSSSSSSSC`) into its prefix, serial and check digit,
/// and returns the canonical `PPP-SSSSSSSC` spelling when the check digit is right.
pub fn parse_mawb_number(text: &str) -> Result<String, MawbNumberError> {
    let t = text.trim();
    let digits: String = match t.len() {
        12 if t.as_bytes()[3] == b'-' => format!("{}{}", &t[..3], &t[4..]),
        11 => t.to_string(),
        _ => return Err(MawbNumberError::Shape),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MawbNumberError::Shape);
    }
    let serial: u32 = digits[3..10].parse().map_err(|_| MawbNumberError::Shape)?;
    let check = u32::from(digits.as_bytes()[10] - b'0');
    let expected = mawb_check_digit(serial);
    if check != expected {
        return Err(MawbNumberError::CheckDigit {
            expected,
            found: check,
        });
    }
    Ok(format!("{}-{}", &digits[..3], &digits[3..]))
}

/// Why a MAWB number was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MawbNumberError {
    /// Not 3 digits, an optional dash, and 8 digits.
    Shape,
    /// The 8th digit is not the 7-digit serial modulo 7.
    CheckDigit { expected: u32, found: u32 },
}

/// The value of one character of a UPS tracking number in the check-digit sum: digits are themselves,
/// letters are `(ascii - 63) mod 10` (A=2, B=3, ... as UPS defines it).
fn ups_char_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some((u32::from(c) - 63) % 10),
        _ => None,
    }
}

/// The check digit for the 15 characters that follow `1Z` in a UPS tracking number.
pub fn ups_check_digit(body: &[u8]) -> Option<u32> {
    if body.len() != 15 {
        return None;
    }
    let mut sum = 0;
    for (i, &c) in body.iter().enumerate() {
        let v = ups_char_value(c)?;
        sum += if i % 2 == 1 { 2 * v } else { v };
    }
    Some((10 - sum % 10) % 10)
}

/// Whether `text` looks like a UPS `1Z` number (so the check digit applies to it).
pub fn is_ups_tracking_number(text: &str) -> bool {
    text.len() == 18 && text.starts_with("1Z")
}

/// Verifies the check digit of a UPS `1Z` + 16 tracking number (case-insensitive: each letter is
/// read as its capital, without a copy of the text).
pub fn ups_tracking_number_valid(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 18 || !b[..2].eq_ignore_ascii_case(b"1Z") {
        return false;
    }
    let mut body = [0u8; 15];
    body.copy_from_slice(&b[2..17]);
    body.make_ascii_uppercase();
    match (ups_check_digit(&body), b[17]) {
        (Some(d), last) if last.is_ascii_digit() => u32::from(last - b'0') == d,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_spec_mawb_number() {
        assert_eq!(parse_mawb_number("112-44995451").unwrap(), "112-44995451");
        assert_eq!(parse_mawb_number("11244995451").unwrap(), "112-44995451");
    }

    #[test]
    fn rejects_wrong_mawb_check_digit() {
        assert_eq!(
            parse_mawb_number("112-44995452"),
            Err(MawbNumberError::CheckDigit {
                expected: 1,
                found: 2
            })
        );
    }

    #[test]
    fn rejects_malformed_mawb_numbers() {
        for bad in [
            "",
            "112-4499545",
            "112_44995451",
            "ABC-44995451",
            "112-4499545１",
        ] {
            assert_eq!(parse_mawb_number(bad), Err(MawbNumberError::Shape), "{bad}");
        }
    }

    #[test]
    fn ups_check_digits_of_known_numbers() {
        assert!(ups_tracking_number_valid("1Z999AA10123456784"));
        assert!(ups_tracking_number_valid("1ZWE31190196785492"));
        assert!(!ups_tracking_number_valid("1ZWE31190196785493"));
        assert!(!ups_tracking_number_valid("1ZWE3119019678549"));
        assert!(!ups_tracking_number_valid("1ZWE3119019678549!"));
        // Letters in any case, the 1Z included, read as their capitals.
        assert!(ups_tracking_number_valid("1zwe31190196785492"));
        assert!(ups_tracking_number_valid("1Z999aa10123456784"));
        assert!(!ups_tracking_number_valid("1zwe31190196785493"));
        // Not 18 bytes (a character of two bytes in place of a letter).
        assert!(!ups_tracking_number_valid("1ZWE3119019678549é"));
        assert!(!ups_tracking_number_valid("1ZWé3119019678549"));
    }
}
