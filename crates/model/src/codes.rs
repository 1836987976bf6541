//! Reference code tables: countries, currencies, US states, Canadian provinces, plus e-mail and airport
//! shape checks.
//!
//! ACP refuses a whole call for one bad code, and a MAWB with any error must send nothing, so every code is
//! checked locally, against complete tables, before anything leaves the machine. The tables are embedded
//! (no download, no crate) because the pipeline runs offline in `check` and `prepare`; they are kept
//! sorted so they read as lists, and looked up in bitmaps built from them at compile time (`LetterSet`).
//! Lookups are exact and case-sensitive: callers normalise (trim, uppercase) first, so what is checked is
//! exactly what is sent.

/// Every officially assigned ISO 3166-1 alpha-2 code (249), sorted. User-assigned and reserved codes
/// (`XK` Kosovo, `EU`, `UK`, `AN`…) are not in ISO's list and ACP's `country` is ISO alpha-2, so they are
/// refused.
const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// ISO 4217 list one as published 2026-01-01 (178 codes, with `XCG`, `ZWG` and `XAD`; without the
/// withdrawn `ANG`, `CUC`, `HRK`, `SLL`, `ZWL`), sorted, minus six codes refused as an item's currency:
/// `XTS` (reserved for testing), `XXX` (no currency involved) and the precious metals `XAG`, `XAU`, `XPD`,
/// `XPT`, priced per troy ounce of a commodity: a customs value cannot be declared in them, and the value
/// thresholds (200 and 800 USD) could not be checked.
const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF",
    "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DJF",
    "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP",
    "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR",
    "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
    "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
    "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR",
    "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN",
    "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH",
    "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAD",
    "XAF", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPF", "XSU", "XUA", "YER",
    "ZAR", "ZMW", "ZWG",
];

/// USPS state codes: the 50 states, `DC`, the inhabited territories (`AS`, `GU`, `MP`, `PR`, `VI`), the
/// freely associated states served by USPS (`FM`, `MH`, `PW`) and the military codes `AA`, `AE`, `AP`,
/// sorted. `UM` (US Minor Outlying Islands) is left out: it has no USPS code and no carrier delivers there.
const US_STATES: &[&str] = &[
    "AA", "AE", "AK", "AL", "AP", "AR", "AS", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "FM", "GA",
    "GU", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MH", "MI", "MN", "MO",
    "MP", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "PR",
    "PW", "RI", "SC", "SD", "TN", "TX", "UT", "VA", "VI", "VT", "WA", "WI", "WV", "WY",
];

/// The 10 provinces and 3 territories of Canada (Canada Post and ISO 3166-2:CA agree), sorted.
const CA_PROVINCES: &[&str] = &[
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];

/// A set of codes of `LEN` uppercase ASCII letters, as a bitmap indexed by the code read as a base-26
/// number, built at compile time from a table (a table entry of another shape fails the build). A lookup
/// is a shape check and one bit test, where a binary search compared eight or nine codes. Hand-written
/// because the tables are a few hundred two- and three-letter codes: a bitmap of at most 2.2 KB each.
struct LetterSet<const LEN: usize, const WORDS: usize> {
    bits: [u64; WORDS],
}

impl<const LEN: usize, const WORDS: usize> LetterSet<LEN, WORDS> {
    const fn of(table: &[&str]) -> Self {
        let mut bits = [0u64; WORDS];
        let mut i = 0;
        while i < table.len() {
            let Some(k) = letter_index(table[i].as_bytes(), LEN) else {
                panic!("a code of the table is not made of LEN uppercase letters");
            };
            bits[k / 64] |= 1 << (k % 64);
            i += 1;
        }
        LetterSet { bits }
    }

    fn contains(&self, code: &str) -> bool {
        letter_index(code.as_bytes(), LEN)
            .and_then(|k| self.bits.get(k / 64).map(|w| w >> (k % 64) & 1 == 1))
            .unwrap_or(false)
    }
}

/// The base-26 number of a code of exactly `len` uppercase ASCII letters (`AA` is 0, `AB` 1); `None` for
/// any other text, which no table holds.
const fn letter_index(b: &[u8], len: usize) -> Option<usize> {
    if b.len() != len {
        return None;
    }
    let mut k = 0;
    let mut i = 0;
    while i < len {
        let c = b[i];
        if !c.is_ascii_uppercase() {
            return None;
        }
        k = k * 26 + (c - b'A') as usize;
        i += 1;
    }
    Some(k)
}

static COUNTRY_SET: LetterSet<2, 11> = LetterSet::of(COUNTRIES);
static CURRENCY_SET: LetterSet<3, 275> = LetterSet::of(CURRENCIES);
static US_STATE_SET: LetterSet<2, 11> = LetterSet::of(US_STATES);
static CA_PROVINCE_SET: LetterSet<2, 11> = LetterSet::of(CA_PROVINCES);

/// Whether `code` is an officially assigned ISO 3166-1 alpha-2 country code (uppercase).
pub fn is_country(code: &str) -> bool {
    COUNTRY_SET.contains(code)
}

/// Whether `code` is an active ISO 4217 currency an item value can be declared in (uppercase). Refuses
/// `XTS`, `XXX` and the precious metals `XAG`, `XAU`, `XPD`, `XPT`, which are in ISO's list one but name
/// no money a customs value can be declared in.
pub fn is_currency(code: &str) -> bool {
    CURRENCY_SET.contains(code)
}

/// Whether `code` is a USPS state code (uppercase): states, DC, territories, military.
pub fn is_us_state(code: &str) -> bool {
    US_STATE_SET.contains(code)
}

/// Whether `code` is a Canadian province or territory (uppercase).
pub fn is_ca_province(code: &str) -> bool {
    CA_PROVINCE_SET.contains(code)
}

/// Whether an address in `country` must carry a state. ACP's `state` holds at most 2 characters, and the
/// US and Canada are the countries whose 2-letter subdivision codes carriers require to route and deliver;
/// elsewhere subdivisions are optional or longer than 2 characters (AU `NSW`, MX `CMX`), so none is demanded.
pub fn country_requires_state(country: &str) -> bool {
    matches!(country, "US" | "CA")
}

/// Whether `state` is acceptable for `country`: a known code for the US and Canada (so never empty there),
/// anything of at most 2 characters, empty included, elsewhere (ACP's limit; content is not checked).
pub fn valid_state_for(country: &str, state: &str) -> bool {
    match country {
        "US" => is_us_state(state),
        "CA" => is_ca_province(state),
        _ => state.chars().count() <= 2,
    }
}

/// RFC 5322 `atext`: the characters allowed in an unquoted local part besides letters and digits.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

/// A pragmatic e-mail syntax check, the subset that every mail system and ACP accept: `local@domain`
/// with exactly one `@`; a local part of 1 to 64 `atext` characters and dots, no leading, trailing or
/// doubled dot (quoted local parts are refused); a domain of at least two dot-separated labels of
/// letters, digits and hyphens (1 to 63 each, no hyphen at either end) ending in an alphabetic TLD of 2 or
/// more letters; 254 characters at most in all. It says nothing about whether the mailbox exists.
pub fn is_email(text: &str) -> bool {
    // One pass over the bytes: the e-mail column is checked on every item. A byte that is not ASCII is
    // neither `atext` nor a letter, digit, hyphen or dot, so it fails where it stands.
    let bytes = text.as_bytes();
    if bytes.len() > 254 {
        return false;
    }
    let Some(at) = bytes.iter().position(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&bytes[..at], &bytes[at + 1..]);
    if local.is_empty() || local.len() > 64 || local[0] == b'.' || local[local.len() - 1] == b'.' {
        return false;
    }
    let mut after_dot = false;
    for &b in local {
        if b == b'.' {
            if after_dot {
                return false;
            }
            after_dot = true;
        } else if is_atext(b) {
            after_dot = false;
        } else {
            return false;
        }
    }
    // Labels end at a dot or at the end; a second `@` is no label character.
    let mut labels = 0;
    let mut label_start = 0;
    for i in 0..=domain.len() {
        if i < domain.len() && domain[i] != b'.' {
            if !(domain[i].is_ascii_alphanumeric() || domain[i] == b'-') {
                return false;
            }
            continue;
        }
        let label = &domain[label_start..i];
        if label.is_empty()
            || label.len() > 63
            || label[0] == b'-'
            || label[label.len() - 1] == b'-'
        {
            return false;
        }
        labels += 1;
        if i == domain.len() {
            return labels >= 2 && label.len() >= 2 && label.iter().all(u8::is_ascii_alphabetic);
        }
        label_start = i + 1;
    }
    false
}

/// Whether `code` has the shape of an IATA airport code: exactly three ASCII uppercase letters. No
/// airport list is embedded (IATA's is licensed and changes monthly), so `ZZZ` passes; ACP itself refuses
/// airports it does not serve.
pub fn is_iata_airport(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ISO 4217 list-one codes that `CURRENCIES` leaves out on purpose.
    const NON_MONETARY: &[&str] = &["XAG", "XAU", "XPD", "XPT", "XTS", "XXX"];

    fn assert_sorted_unique(table: &[&str], len: usize, width: usize) {
        assert_eq!(table.len(), len);
        assert!(
            table.windows(2).all(|w| w[0] < w[1]),
            "table not sorted or has duplicates"
        );
        assert!(table
            .iter()
            .all(|c| c.len() == width && c.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn lookups_find_exactly_the_codes_of_a_table() {
        fn letters(len: u32) -> Vec<String> {
            (0..26usize.pow(len))
                .map(|mut k| {
                    let mut s = vec![b'A'; len as usize];
                    for b in s.iter_mut().rev() {
                        *b += (k % 26) as u8;
                        k /= 26;
                    }
                    String::from_utf8(s).expect("ASCII")
                })
                .collect()
        }
        let sets = [
            (COUNTRIES, is_country as fn(&str) -> bool, 2),
            (CURRENCIES, is_currency, 3),
            (US_STATES, is_us_state, 2),
            (CA_PROVINCES, is_ca_province, 2),
        ];
        for (table, lookup, len) in sets {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "sorted");
            for code in letters(len) {
                assert_eq!(lookup(&code), table.contains(&code.as_str()), "{code}");
            }
            for code in table {
                assert!(!lookup(&format!("{code}\0")), "{code} longer");
                assert!(!lookup(&code.to_ascii_lowercase()), "{code} lowercase");
            }
        }
        for code in ["", "U", "USA ", "USDX", "\0\0", "ÜS"] {
            assert!(!is_country(code) && !is_currency(code), "{code:?}");
        }
    }

    #[test]
    fn tables_are_sorted_complete_and_well_formed() {
        assert_sorted_unique(COUNTRIES, 249, 2);
        assert_sorted_unique(CURRENCIES, 172, 3);
        assert_sorted_unique(NON_MONETARY, 6, 3);
        assert_sorted_unique(US_STATES, 62, 2);
        assert_sorted_unique(CA_PROVINCES, 13, 2);
        assert!(NON_MONETARY.iter().all(|c| !is_currency(c)));
    }

    #[test]
    fn countries() {
        for code in [
            "US", "FR", "CN", "JP", "CW", "SS", "SX", "BQ", "AX", "GB", "CA", "DE", "ZW", "AD",
        ] {
            assert!(is_country(code), "{code}");
        }
        // XK (Kosovo) is user-assigned, UK/EU reserved, AN and YU withdrawn: none is ISO 3166-1.
        for code in [
            "XK", "UK", "EU", "AN", "YU", "us", "Us", "", "USA", "U", "ZZ", " US",
        ] {
            assert!(!is_country(code), "{code}");
        }
    }

    #[test]
    fn currencies() {
        for code in [
            "EUR", "USD", "CNY", "JPY", "GBP", "ZWG", "XCG", "XAF", "XOF", "XPF", "XCD", "XDR",
            "SLE", "VES",
        ] {
            assert!(is_currency(code), "{code}");
        }
        for code in [
            "ABC", "XTS", "XXX", "XAU", "ANG", "HRK", "ZWL", "eur", "EU", "EURO", "",
        ] {
            assert!(!is_currency(code), "{code}");
        }
    }

    #[test]
    fn states_and_provinces() {
        for code in [
            "CA", "NY", "TX", "DC", "PR", "GU", "VI", "AS", "MP", "AA", "AE", "AP", "WY", "AK",
        ] {
            assert!(is_us_state(code), "{code}");
        }
        for code in ["UM", "XX", "ca", "", "C", "CAL", "QC"] {
            assert!(!is_us_state(code), "{code}");
        }
        for code in ["ON", "QC", "BC", "AB", "NU", "YT", "NL", "PE"] {
            assert!(is_ca_province(code), "{code}");
        }
        for code in ["PQ", "NF", "CA", "on", ""] {
            assert!(!is_ca_province(code), "{code}");
        }
    }

    #[test]
    fn state_rules_per_country() {
        assert!(country_requires_state("US"));
        assert!(country_requires_state("CA"));
        assert!(!country_requires_state("FR"));
        assert!(!country_requires_state("AU"));
        assert!(valid_state_for("US", "CA"));
        assert!(!valid_state_for("US", ""));
        assert!(!valid_state_for("US", "ON"));
        assert!(valid_state_for("CA", "ON"));
        assert!(!valid_state_for("CA", "CA"));
        assert!(valid_state_for("FR", ""));
        assert!(valid_state_for("FR", "75"));
        assert!(valid_state_for("JP", "東京"));
        assert!(!valid_state_for("AU", "NSW"));
    }

    /// The first, straightforward form of [`is_email`] (split, windows, iterators), kept as the oracle
    /// the one-pass form is compared with.
    fn is_email_reference(text: &str) -> bool {
        if text.len() > 254 || !text.is_ascii() {
            return false;
        }
        let Some((local, domain)) = text.split_once('@') else {
            return false;
        };
        if domain.contains('@') {
            return false;
        }
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.as_bytes().windows(2).any(|w| w == b"..")
            && local.bytes().all(|b| b == b'.' || is_atext(b));
        if !local_ok {
            return false;
        }
        let mut labels = 0;
        let labels_ok = domain.split('.').all(|label| {
            labels += 1;
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        // `rsplit` always yields one piece; `domain` itself when it has no dot (refused by the count).
        let tld = domain.rsplit('.').next().unwrap_or(domain);
        labels_ok && labels >= 2 && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
    }

    proptest::proptest! {
        /// Random texts over the characters that matter (atext, dots, hyphens, `@`, a space, a
        /// non-ASCII letter) and texts shaped like addresses: both forms agree on every one.
        #[test]
        fn is_email_agrees_with_its_first_form(
            noise in "[a-c0-9.@_+!'-é ]{0,40}",
            local in "[a-z0-9._+-]{0,70}",
            domain in "[a-z0-9.-]{0,70}",
            tld in "[a-z0-9]{0,4}",
        ) {
            proptest::prop_assert_eq!(is_email(&noise), is_email_reference(&noise), "{}", noise);
            let shaped = format!("{local}@{domain}.{tld}");
            proptest::prop_assert_eq!(is_email(&shaped), is_email_reference(&shaped), "{}", shaped);
        }

        /// Addresses built the way valid ones are (most of them valid, some with a long label or a
        /// digit in the TLD): both forms agree.
        #[test]
        fn is_email_agrees_on_well_formed_addresses(
            local in "[a-z0-9]{1,10}([.+_][a-z0-9]{1,5}){0,2}",
            labels in proptest::collection::vec("[a-z0-9]([a-z0-9-]{0,70}[a-z0-9])?", 1..4),
            tld in "[a-z]{1,3}[0-9]?",
        ) {
            let address = format!("{local}@{}.{tld}", labels.join("."));
            proptest::prop_assert_eq!(is_email(&address), is_email_reference(&address), "{}", address);
        }
    }

    #[test]
    fn emails() {
        for good in [
            "john-doe@example.com",
            "ops@example.com",
            "a@b.co",
            "first.last+tag@sub.example.co.uk",
            "o'brien@example.ie",
            "x_y=z!#$%&*/?^`{|}~@x-1.example.org",
        ] {
            assert!(is_email(good), "{good}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_total = format!("a@{}.com", "b".repeat(250));
        for bad in [
            "",
            "plain",
            "@example.com",
            "john@",
            "john@example",
            "john@@example.com",
            "a@b@example.com",
            ".john@example.com",
            "john.@example.com",
            "jo..hn@example.com",
            "john@-example.com",
            "john@example-.com",
            "john@example..com",
            "john@example.c",
            "john@example.c0m",
            "john@example.com.",
            "jo hn@example.com",
            "\"john\"@example.com",
            "jöhn@example.com",
            "john@exa_mple.com",
            long_local.as_str(),
            long_total.as_str(),
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn airports() {
        assert!(is_iata_airport("LAX"));
        assert!(is_iata_airport("JFK"));
        for bad in ["lax", "LA", "LAXX", "L4X", "", "ÉAX"] {
            assert!(!is_iata_airport(bad), "{bad}");
        }
    }
}
