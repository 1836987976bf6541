//! Addresses checked offline: the US ZIP code against the state, the Canadian postal code against the
//! province, and the postal code's format for the destination country.
//!
//! The tables are compiled from public data into `data/` (each file's header names its source and date;
//! `data/compile.py` rebuilds them): the US ZIP prefixes from the USPS ZIP list as packaged by the
//! `zipcodes` project, the Canadian prefixes and the per-country postal-code patterns from Google's
//! address metadata (libaddressinput). They are embedded in the binary, so `check` needs no network.
//!
//! What this cannot do: say whether a street, a house number or a city exists at that postal code. That
//! needs the postal operators' address files (USPS's is licensed, updated monthly, and gigabytes large),
//! which no offline check of a spreadsheet can carry; README.md says so.

use super::table_rows;
use regex::Regex;
use std::sync::{LazyLock, OnceLock};

const US_ZIP_PREFIXES: &str = include_str!("data/us_zip_prefixes.tsv");
const CA_POSTAL_PREFIXES: &str = include_str!("data/ca_postal_prefixes.tsv");
const POSTAL_FORMATS: &str = include_str!("data/postal_formats.tsv");

/// USPS ZIPs by their first 3 digits (`"021"` → `"MA"`) and the 5-digit ZIPs of a prefix that belong to
/// another state (`"06390"` → `"NY"`).
struct UsZips {
    prefixes: Table<&'static str>,
    exceptions: Table<&'static str>,
}

/// A table keyed by short codes, looked up for every address: hashed with ahash rather than the default
/// SipHash, whose resistance to chosen keys is not needed for keys from the embedded tables.
type Table<V> = ahash::AHashMap<&'static str, V>;

static US_ZIPS: LazyLock<UsZips> = LazyLock::new(|| {
    let mut zips = UsZips {
        prefixes: Table::new(),
        exceptions: Table::new(),
    };
    for row in table_rows(US_ZIP_PREFIXES) {
        if let [zip, state] = row[..] {
            match zip.len() {
                3 => zips.prefixes.insert(zip, state),
                _ => zips.exceptions.insert(zip, state),
            };
        }
    }
    zips
});

/// Canadian postal-code prefixes (1 or 3 characters) and their province or territory.
static CA_PREFIXES: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
    table_rows(CA_POSTAL_PREFIXES)
        .filter_map(|row| match row[..] {
            [prefix, province] => Some((prefix, province)),
            _ => None,
        })
        .collect()
});

/// One country's postal codes: a pattern (none when the country has no postal codes) and examples.
struct PostalFormat {
    pattern: &'static str,
    examples: Vec<&'static str>,
    /// Compiled on first use: most batches meet a handful of countries.
    regex: OnceLock<Option<Regex>>,
}

impl PostalFormat {
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| Regex::new(&format!("^(?:{})$", self.pattern)).ok())
            .as_ref()
    }
}

static POSTAL: LazyLock<Table<PostalFormat>> = LazyLock::new(|| {
    let mut formats = Table::new();
    formats.extend(table_rows(POSTAL_FORMATS).filter_map(|row| match row[..] {
        [country, pattern, examples, _required] => Some((
            country,
            PostalFormat {
                pattern,
                examples: examples.split(',').filter(|e| !e.is_empty()).collect(),
                regex: OnceLock::new(),
            },
        )),
        _ => None,
    }));
    formats
});

/// Whether addresses in `country` (ISO alpha-2) have postal codes. `false` only for the countries the
/// source lists without them (AE, HK, QA…: a blank is accepted); an unknown country
/// counts as having them, so a blank stays an error there.
pub fn has_postal_codes(country: &str) -> bool {
    POSTAL.get(country).is_none_or(|f| !f.pattern.is_empty())
}

/// The US states, territories and military codes whose ZIPs are checked against the state: the USPS
/// codes a consignee's `state` (country US) or `country` (a territory addressed as a country) can hold.
const US_TERRITORY_COUNTRIES: &[&str] = &["AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI"];

/// Whether addresses in `country` carry USPS ZIP codes: the US and the territories addressed as countries.
pub fn uses_us_zips(country: &str) -> bool {
    country == "US" || US_TERRITORY_COUNTRIES.contains(&country)
}

/// The USPS state a well-formed ZIP (`12345` or `12345-6789`) belongs to, or `None` when USPS assigns no
/// ZIP with that prefix.
pub fn us_zip_state(zip: &str) -> Option<&'static str> {
    let five = zip.get(..5)?;
    let zips = &*US_ZIPS;
    zips.exceptions
        .get(five)
        .or_else(|| zips.prefixes.get(five.get(..3)?))
        .copied()
}

/// What is wrong between a well-formed US or territory ZIP and the state it is addressed to: `state` is
/// the USPS code given (for country US) and `country` the destination. `None` when they agree, or when
/// the country's ZIPs are not USPS's.
pub fn zip_state_problem(country: &str, state: Option<&str>, zip: &str) -> Option<ZipStateProblem> {
    let expected = match country {
        "US" => state?,
        c if US_TERRITORY_COUNTRIES.contains(&c) => c,
        _ => return None,
    };
    let prefix = zip.get(..3)?;
    match us_zip_state(zip) {
        None => Some(ZipStateProblem::Unassigned {
            message: format!(
                "ZIP code \"{zip}\": USPS assigns no ZIP code beginning with {prefix}, so no {expected} address has it; check the ZIP code"
            ),
        }),
        Some(actual) if actual == expected => None,
        Some(actual) => Some(ZipStateProblem::OtherState {
            message: if country == "US" {
                format!(
                    "ZIP code \"{zip}\" is a {actual} ZIP code, not a {expected} one: the state should be {actual}, or the ZIP code is wrong"
                )
            } else {
                format!(
                    "ZIP code \"{zip}\" is a {actual} ZIP code, not a {country} one: the country should be US with state {actual}, or the ZIP code is wrong"
                )
            },
        }),
    }
}

/// A disagreement between a ZIP code and its state: on the state when the ZIP names another one, on
/// the ZIP when no state has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipStateProblem {
    OtherState { message: String },
    Unassigned { message: String },
}

/// What is wrong between a well-formed Canadian postal code and its province (Canada Post's first
/// letters, three characters where a letter is split: `X0A` Nunavut, `X0E` Northwest Territories).
/// `None` when they agree.
pub fn ca_province_problem(province: &str, postal: &str) -> Option<String> {
    let code = postal.trim().to_ascii_uppercase();
    let mut provinces: Vec<&str> = CA_PREFIXES
        .iter()
        .filter(|(prefix, _)| code.starts_with(prefix))
        .map(|(_, p)| *p)
        .collect();
    provinces.dedup();
    if provinces.contains(&province) {
        return None;
    }
    let first = code.get(..1).unwrap_or("");
    Some(match provinces.as_slice() {
        [] => format!(
            "postal code \"{postal}\": no Canadian province or territory uses postal codes beginning with {}; check the postal code",
            code.get(..3).unwrap_or(&code)
        ),
        [one] => format!(
            "postal code \"{postal}\" begins with {first}, a {one} postal code, not a {province} one: the province should be {one}, or the postal code is wrong"
        ),
        many => format!(
            "postal code \"{postal}\" is a postal code of {}, not of {province}: correct the province or the postal code",
            many.join(" or ")
        ),
    })
}

/// What is wrong with `postal`, the postal code of an address in `country`, by the country's format;
/// `None` when it has the format, when the country's format is unknown, or for the US and Puerto Rico
/// (whose ZIP shape is the `zip-format` rule).
pub fn postal_format_problem(country: &str, postal: &str) -> Option<String> {
    if matches!(country, "US" | "PR") {
        return None;
    }
    let format = POSTAL.get(country)?;
    if format.pattern.is_empty() {
        return None;
    }
    let regex = format.regex()?;
    let code = postal.trim();
    // Uppercased only when it has a lowercase letter (or a letter outside ASCII): most codes are given
    // in capitals already.
    let code = if code
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_lowercase())
    {
        std::borrow::Cow::Borrowed(code)
    } else {
        std::borrow::Cow::Owned(code.to_uppercase())
    };
    if regex.is_match(&code) {
        return None;
    }
    Some(format!(
        "postal code \"{postal}\" does not have the format of {country} postal codes: expected {}",
        expected_format(&format.examples)
    ))
}

/// The expected format as a person reads it: the shapes of the examples (`9` a digit, `A` a letter, other
/// characters as they are) and up to three examples: `99999 (e.g. 75008, 69001)`.
fn expected_format(examples: &[&str]) -> String {
    let mut shapes: Vec<String> = Vec::new();
    for e in examples {
        let shape: String = e
            .chars()
            .map(|c| match c {
                '0'..='9' => '9',
                c if c.is_ascii_alphabetic() => 'A',
                c => c,
            })
            .collect();
        if !shapes.contains(&shape) {
            shapes.push(shape);
        }
    }
    shapes.truncate(4);
    let shown: Vec<&str> = examples.iter().take(3).copied().collect();
    format!(
        "{} (9 a digit, A a letter; e.g. {})",
        shapes.join(" or "),
        shown.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_postal_pattern_compiles_and_accepts_its_examples() {
        let mut with_pattern = 0;
        for (country, f) in POSTAL.iter() {
            if f.pattern.is_empty() {
                assert!(f.examples.is_empty(), "{country}");
                continue;
            }
            with_pattern += 1;
            let re = f
                .regex()
                .unwrap_or_else(|| panic!("{country}: {}", f.pattern));
            assert!(!f.examples.is_empty(), "{country} has no example");
            for e in &f.examples {
                assert!(
                    re.is_match(e),
                    "{country}: {e} does not match {}",
                    f.pattern
                );
                assert_eq!(postal_format_problem(country, e), None, "{country} {e}");
            }
        }
        assert!(with_pattern >= 60, "only {with_pattern} countries");
        assert!(POSTAL.len() >= 240, "{}", POSTAL.len());
    }

    #[test]
    fn the_busiest_destinations_have_a_postal_format() {
        for c in [
            "CA", "MX", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK",
            "FI", "PL", "CZ", "PT", "GR", "IE", "JP", "CN", "KR", "TW", "IN", "AU", "NZ", "SG",
            "MY", "TH", "PH", "ID", "VN", "BR", "AR", "CL", "CO", "PE", "IL", "TR", "SA", "ZA",
            "RU", "UA", "RO", "HU", "SK", "SI", "HR", "BG", "LT", "LV", "EE", "LU", "IS", "CY",
            "MT", "EG", "MA", "NG", "KE", "PK", "BD", "LK", "KZ", "GU", "VI",
        ] {
            let f = POSTAL.get(c).unwrap_or_else(|| panic!("{c} missing"));
            assert!(!f.pattern.is_empty(), "{c} has no pattern");
        }
    }

    #[test]
    fn postal_codes_of_the_wrong_shape_say_what_is_expected() {
        let m = postal_format_problem("GB", "SW1A 1AAA").expect("refused");
        assert!(m.contains("expected") && m.contains("EC1Y 8SY"), "{m}");
        let m = postal_format_problem("DE", "1011").expect("refused");
        assert!(m.contains("99999"), "{m}");
        let m = postal_format_problem("CA", "M5V-2T6").expect("refused");
        assert!(m.contains("A9A 9A9"), "{m}");
        let m = postal_format_problem("NL", "1234").expect("refused");
        assert!(m.contains("9999 AA"), "{m}");
        assert_eq!(postal_format_problem("NL", "1012 AB"), None);
        assert_eq!(
            postal_format_problem("NL", "1012ab"),
            None,
            "case is not a format"
        );
        assert_eq!(postal_format_problem("CA", " m5v 2t6 "), None);
        assert_eq!(postal_format_problem("JP", "100-0001"), None);
        assert_eq!(
            postal_format_problem("US", "anything"),
            None,
            "zip-format's rule"
        );
        assert_eq!(postal_format_problem("XX", "anything"), None);
    }

    #[test]
    fn countries_without_postal_codes_accept_a_blank() {
        for c in ["AE", "HK", "QA", "JM", "BS"] {
            assert!(!has_postal_codes(c), "{c}");
            assert_eq!(postal_format_problem(c, "0000"), None, "{c}");
        }
        for c in ["US", "GB", "FR", "CN", "XX"] {
            assert!(has_postal_codes(c), "{c}");
        }
    }

    #[test]
    fn us_zips_belong_to_their_state() {
        for (zip, state) in [
            ("02134", "MA"),
            ("07102", "NJ"),
            ("10001", "NY"),
            ("90210", "CA"),
            ("99501", "AK"),
            ("96813", "HI"),
            ("00901", "PR"),
            ("00802", "VI"),
            ("20001", "DC"),
            ("34001", "AA"),
            ("09001", "AE"),
            ("96201", "AP"),
            ("96910", "GU"),
            ("06390", "NY"),
            ("96799", "AS"),
            ("07102-1234", "NJ"),
        ] {
            assert_eq!(us_zip_state(zip), Some(state), "{zip}");
            assert_eq!(zip_state_problem("US", Some(state), zip), None, "{zip}");
        }
        assert_eq!(us_zip_state("21301"), None, "213 is not assigned");
        assert_eq!(us_zip_state("123"), None);
    }

    #[test]
    fn a_zip_of_another_state_names_the_right_one() {
        match zip_state_problem("US", Some("MA"), "10001") {
            Some(ZipStateProblem::OtherState { message }) => {
                assert!(
                    message.contains("NY ZIP code") && message.contains("should be NY"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        match zip_state_problem("US", Some("CT"), "06390") {
            Some(ZipStateProblem::OtherState { message }) => {
                assert!(message.contains("NY"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match zip_state_problem("PR", None, "10001") {
            Some(ZipStateProblem::OtherState { message }) => {
                assert!(
                    message.contains("country should be US with state NY"),
                    "{message}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            zip_state_problem("US", Some("MD"), "21301"),
            Some(ZipStateProblem::Unassigned { .. })
        ));
        assert_eq!(zip_state_problem("PR", None, "00901"), None);
        assert_eq!(
            zip_state_problem("US", None, "10001"),
            None,
            "no state: the state rule"
        );
        assert_eq!(zip_state_problem("FR", None, "75008"), None);
    }

    #[test]
    fn canadian_postal_codes_belong_to_their_province() {
        for (code, province) in [
            ("M5V 2T6", "ON"),
            ("K1P 1J1", "ON"),
            ("V6B 1A1", "BC"),
            ("H2X 1Y4", "QC"),
            ("G1R 4P5", "QC"),
            ("T2P 1J9", "AB"),
            ("B3H 1A1", "NS"),
            ("R3C 0V8", "MB"),
            ("S4P 3Y2", "SK"),
            ("A1C 5M2", "NL"),
            ("C1A 4P3", "PE"),
            ("E1C 4M3", "NB"),
            ("Y1A 2C6", "YT"),
            ("X0A 0H0", "NU"),
            ("X1A 2L9", "NT"),
            ("K1A 0B1", "QC"),
            ("K1A 0B1", "ON"),
        ] {
            assert_eq!(
                ca_province_problem(province, code),
                None,
                "{code} {province}"
            );
        }
        let m = ca_province_problem("BC", "M5V 2T6").expect("refused");
        assert!(m.contains("should be ON"), "{m}");
        let m = ca_province_problem("NT", "X0A 0H0").expect("refused");
        assert!(m.contains("NU"), "{m}");
        let m = ca_province_problem("NU", "X9Z 9Z9").expect("refused");
        assert!(m.contains("no Canadian province"), "{m}");
    }

    #[test]
    fn the_tables_are_whole() {
        assert!(US_ZIPS.prefixes.len() > 900, "{}", US_ZIPS.prefixes.len());
        assert!(CA_PREFIXES.len() >= 25);
        for state in US_ZIPS.prefixes.values().chain(US_ZIPS.exceptions.values()) {
            assert!(crate::validate::codes::is_us_state(state), "{state}");
        }
        for (_, p) in CA_PREFIXES.iter() {
            assert!(crate::validate::codes::is_ca_province(p), "{p}");
        }
    }
}
