//! Tracking numbers of the common carriers, verified by their check digits: UPS `1Z` (the algorithm lives
//! in [`crate::validate::checkdigit`]), USPS IMpb (20, 22 and 26 digits), FedEx (Express 12, Ground 15,
//! SmartPost 20, Ground "96" 22), DHL Express (10 digits) and UPU S10 (`RB123456785GB`).
//!
//! Written by hand: the one Rust crate for this (`tracking-numbers` 0.1) is an unmaintained experiment, and
//! each algorithm is a few lines of published arithmetic. Sources, with the test numbers the unit tests
//! use:
//! - USPS Publication 199 (Intelligent Mail Package Barcode), "Mod 10 check digit": from the rightmost
//!   data digit leftwards, weights 3, 1, 3, 1…; the check digit brings the sum to a multiple of 10.
//! - FedEx Express: weights 1, 3, 7 repeating from the rightmost data digit, sum mod 11, mod 10.
//!   FedEx Ground (15 digits, and the last 15 of a "96" barcode): the USPS mod 10 above. FedEx SmartPost
//!   (20 digits) is an IMpb number printed without its `92` application identifier: mod 10 over `92` + the
//!   digits.
//! - DHL Express waybill (10 digits): the first 9 digits modulo 7.
//! - UPU S10 (item identifiers of the postal operators): weights 8 6 4 2 3 5 9 7 over the 8-digit serial,
//!   check = 11 − sum mod 11, with 10 → 0 and 11 → 5.
//!
//! Test numbers: the published examples collected in the public tracking_number_data project (MIT), which
//! takes them from the carriers' label specifications.
//!
//! A number that has a carrier's shape but fails its check digit was mistyped or truncated; a number of no
//! known shape (a warehouse's own HAWB numbers) is not judged.

use crate::validate::checkdigit::{is_ups_tracking_number, ups_tracking_number_valid};

/// What a tracking number looks like, and whether its check digit is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The carrier and format the shape belongs to, as a person names them (`"USPS (IMpb, 22 digits)"`);
    /// two carriers share the 20-digit shape.
    pub carrier: &'static str,
    /// The check digit is right (for the 20-digit shape: right for either carrier).
    pub valid: bool,
    /// The check digit the other characters call for, when one algorithm applies.
    pub expected: Option<u8>,
    /// UPS `1Z` numbers keep their own rule code.
    pub ups: bool,
}

/// The verdict on `tracking` (as sent: letters and digits), or `None` when it has no carrier's shape.
pub fn verify(tracking: &str) -> Option<Verdict> {
    // Copied in capitals only when it has a small letter (most numbers are digits and capitals).
    let t: std::borrow::Cow<'_, str> = if tracking.bytes().any(|c| c.is_ascii_lowercase()) {
        std::borrow::Cow::Owned(tracking.to_ascii_uppercase())
    } else {
        std::borrow::Cow::Borrowed(tracking)
    };
    let b = t.as_bytes();
    if is_ups_tracking_number(&t) {
        return Some(Verdict {
            carrier: "UPS",
            valid: ups_tracking_number_valid(&t),
            expected: None,
            ups: true,
        });
    }
    if is_s10(b) {
        let expected = s10_check_digit(&b[2..10]);
        return Some(verdict("UPU S10 (postal)", Some(expected), b[10]));
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digits: Vec<u8> = b.iter().map(|c| c - b'0').collect();
    let (data, check) = digits.split_at(digits.len().checked_sub(1)?);
    let check = check.first().copied()?;
    let shape = match digits.len() {
        10 => ("DHL Express (10 digits)", Some(dhl_check_digit(data))),
        12 => (
            "FedEx Express (12 digits)",
            Some(fedex_express_check_digit(data)),
        ),
        15 => ("FedEx Ground (15 digits)", Some(mod10_check_digit(data))),
        20 => {
            let usps = mod10_check_digit(data);
            let smartpost = mod10_check_digit(&[&[9, 2][..], data].concat());
            return Some(Verdict {
                carrier: "USPS (20 digits) or FedEx SmartPost",
                valid: check == usps || check == smartpost,
                expected: None,
                ups: false,
            });
        }
        22 if digits[..2] == [9, 6] => (
            "FedEx Ground (96, 22 digits)",
            Some(mod10_check_digit(&data[7..])),
        ),
        22 if (1..=5).contains(&digits[1]) && digits[0] == 9 => {
            ("USPS (IMpb, 22 digits)", Some(mod10_check_digit(data)))
        }
        26 if (1..=5).contains(&digits[1]) && digits[0] == 9 => {
            ("USPS (IMpb, 26 digits)", Some(mod10_check_digit(data)))
        }
        _ => return None,
    };
    Some(verdict(shape.0, shape.1, check + b'0'))
}

fn verdict(carrier: &'static str, expected: Option<u8>, found: u8) -> Verdict {
    Verdict {
        carrier,
        valid: expected.is_some_and(|e| e + b'0' == found),
        expected,
        ups: false,
    }
}

/// Two letters, 8 serial digits, the check digit, two letters (the operator's country).
fn is_s10(b: &[u8]) -> bool {
    b.len() == 13
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..11].iter().all(u8::is_ascii_digit)
        && b[11..].iter().all(u8::is_ascii_uppercase)
}

/// The UPU S10 check digit of 8 serial digits (ASCII).
fn s10_check_digit(serial: &[u8]) -> u8 {
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = serial
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| u32::from(c - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        d => d as u8,
    }
}

/// The USPS / GS1 mod 10 check digit: weights 3, 1, 3… from the rightmost data digit.
fn mod10_check_digit(data: &[u8]) -> u8 {
    let sum: u32 = data
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The FedEx Express check digit: weights 1, 3, 7 repeating from the rightmost data digit, mod 11, mod 10.
fn fedex_express_check_digit(data: &[u8]) -> u8 {
    const WEIGHTS: [u32; 3] = [1, 3, 7];
    let sum: u32 = data
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| u32::from(d) * WEIGHTS[i % 3])
        .sum();
    (sum % 11 % 10) as u8
}

/// The DHL Express check digit: the number the data digits form, modulo 7.
fn dhl_check_digit(data: &[u8]) -> u8 {
    let rest = data
        .iter()
        .fold(0u64, |acc, &d| (acc * 10 + u64::from(d)) % 7);
    rest as u8
}

/// The warning text for a number whose check digit is wrong.
pub fn message(tracking: &str, v: &Verdict) -> String {
    let expected = match v.expected {
        Some(e) => format!(" (the other digits call for {e})"),
        None => String::new(),
    };
    format!(
        "trackingNumber {tracking} has the shape of a {} tracking number but a wrong check digit{expected}: it was mistyped or cut short; compare it with the label",
        v.carrier
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(n: &str) -> bool {
        let compact: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        verify(&compact)
            .unwrap_or_else(|| panic!("{n}: no shape"))
            .valid
    }

    #[test]
    fn usps_impb_published_numbers() {
        for n in [
            "9505 5110 6960 5048 6006 24",
            "9101 1234 5678 9000 0000 13",
            "9400 1112 0108 0805 4830 16",
            "9361 2898 7870 0317 6337 95",
            "9405803699300124287899",
            "9400111202555842332669",
            "92748931507708513018050063",
            "0307 1790 0005 2348 3741",
            "7112 3456 7891 2345 6787",
        ] {
            assert!(ok(n), "{n}");
        }
        // 3742 is the published wrong USPS digit, but it is FedEx SmartPost's right one for these digits:
        // the 20-digit shape is valid for either carrier.
        assert!(ok("0307 1790 0005 2348 3742"));
        for n in ["0307 1790 0005 2348 3743", "9400111202555842332668"] {
            assert!(!ok(n), "{n}");
        }
        let v = verify("9400111202555842332668").unwrap();
        assert_eq!(v.carrier, "USPS (IMpb, 22 digits)");
        assert_eq!(v.expected, Some(9));
    }

    #[test]
    fn fedex_published_numbers() {
        for n in [
            "986578788855",
            "477179081230",
            "799531274483",
            "790535312317",
            "974367662710",
            "0414 4176 0228 964",
            "5682 8361 0012 000",
            "5682 8361 0012 734",
            "61299998820821171811",
            "9611020987654312345672",
        ] {
            assert!(ok(n), "{n}");
        }
        for n in [
            "996578788855",
            "5682 8361 0012 732",
            "9611020987654312345673",
        ] {
            assert!(!ok(n), "{n}");
        }
        assert!(verify("996578788855").unwrap().carrier.starts_with("FedEx"));
    }

    #[test]
    fn dhl_express_published_numbers() {
        for n in [
            "3318810025",
            "8487135506",
            "1099255990",
            "3821724944",
            "3318810036",
            "3318810014",
        ] {
            assert!(ok(n), "{n}");
        }
        for n in ["3318810010", "3318810034", "3318810011"] {
            assert!(!ok(n), "{n}");
        }
        assert_eq!(
            verify("3318810010").unwrap().carrier,
            "DHL Express (10 digits)"
        );
    }

    #[test]
    fn upu_s10_published_numbers() {
        for n in ["RB123456785GB", "RB123456785US", "rb123456785cf"] {
            assert!(ok(n), "{n}");
        }
        let v = verify("RB123456786US").unwrap();
        assert!(!v.valid);
        assert_eq!(v.expected, Some(5));
        assert!(v.carrier.contains("S10"));
        // Remainders 0 and 1 give the check digits 5 and 0.
        assert_eq!(s10_check_digit(b"00000000"), 5);
        assert_eq!(s10_check_digit(b"00000008"), 0);
    }

    #[test]
    fn ups_keeps_its_own_rule() {
        let v = verify("1ZWE31190196785493").unwrap();
        assert!(v.ups && !v.valid);
        assert!(verify("1ZWE31190196785492").unwrap().valid);
        // Small letters are read as capitals, for UPS and for S10 alike.
        assert!(verify("1zwe31190196785492").unwrap().valid);
        assert!(!verify("1zwe31190196785493").unwrap().valid);
        assert_eq!(verify("rb123456785gb"), verify("RB123456785GB"));
    }

    #[test]
    fn numbers_of_no_carrier_shape_are_not_judged() {
        for n in [
            "TN00000001",
            "WH1-0001",
            "",
            "123",
            "12345678901",
            "1234567890123",
            "8400111202555842332669",
            "ABC123456789US",
            "ÄB123456785GB",
        ] {
            assert_eq!(verify(n), None, "{n}");
        }
    }

    #[test]
    fn the_message_names_the_carrier_and_the_digit() {
        let v = verify("3318810010").unwrap();
        let m = message("3318810010", &v);
        assert!(m.contains("DHL Express") && m.contains("call for 4"), "{m}");
    }
}
