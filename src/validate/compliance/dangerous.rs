//! Dangerous goods flags: a product line whose description or HTS code points to goods that air transport
//! restricts (lithium batteries, aerosols, perfume, nail polish, lighters and matches, e-cigarettes, dry ice,
//! magnets, flammable liquids and gases), or that names a UN number.
//!
//! The words, HTS prefixes and UN numbers are data: `data/dangerous_goods.tsv`, whose header gives the
//! sources and which ordinary words are left out on purpose (and why). Descriptions are matched on whole
//! words after [`normalize`] (accents, case and punctuation removed), with one Aho-Corasick automaton over
//! every phrase, so a description is scanned once whatever the size of the table.

use super::table_rows;
use aho_corasick::AhoCorasick;
use regex::Regex;
use std::sync::LazyLock;

const TABLE: &str = include_str!("data/dangerous_goods.tsv");

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// As written in the table (`power bank`, `8506.50`, `UN3481`).
    pub pattern: &'static str,
    /// The kind of dangerous goods (`lithium-battery`).
    pub category: &'static str,
    /// A product line the entry flags.
    pub example: &'static str,
    /// The proper shipping name of a UN number.
    pub name: &'static str,
}

/// How an entry matches a product line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A word or phrase of the description.
    Word,
    /// A prefix of the HTS code (dots removed).
    Hts,
    /// A UN number named in the description.
    Un,
}

struct Matcher {
    entries: Vec<Entry>,
    /// Word entries (indexes into `entries`), in the automaton's pattern order.
    words: Vec<usize>,
    /// HTS entries (indexes into `entries`) with their prefix as digits only (`8507.60` → `850760`),
    /// computed once rather than for every product line.
    hts_prefixes: Vec<(usize, String)>,
    automaton: Option<AhoCorasick>,
    un_number: Option<Regex>,
}

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let entries: Vec<Entry> = table_rows(TABLE)
        .filter_map(|row| {
            let [kind, pattern, category, example, ref rest @ ..] = row[..] else {
                return None;
            };
            let kind = match kind {
                "word" => Kind::Word,
                "hts" => Kind::Hts,
                "un" => Kind::Un,
                _ => return None,
            };
            Some(Entry {
                kind,
                pattern,
                category,
                example,
                name: rest.first().copied().unwrap_or(""),
            })
        })
        .collect();
    let words: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].kind == Kind::Word)
        .collect();
    let padded: Vec<String> = words
        .iter()
        .map(|&i| format!(" {} ", normalize(entries[i].pattern).trim()))
        .collect();
    let hts_prefixes = (0..entries.len())
        .filter(|&i| entries[i].kind == Kind::Hts)
        .map(|i| {
            let digits: String = entries[i]
                .pattern
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            (i, digits)
        })
        .filter(|(_, digits)| !digits.is_empty())
        .collect();
    Matcher {
        // A DFA: about 100 short words make a small one, and it scans a description faster than the
        // contiguous NFA `AhoCorasick::new` picks for a set this size. No prefilter: every word starts
        // with the padding space, so a prefilter would stop at every space of the text.
        automaton: AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&padded)
            .ok(),
        hts_prefixes,
        un_number: Regex::new(r"(?i)\bUN[ \-]?(\d{4})\b").ok(),
        entries,
        words,
    }
});

/// Every entry of the table, in its order.
pub fn entries() -> &'static [Entry] {
    &MATCHER.entries
}

/// Text as it is matched: ASCII (accents and other scripts transliterated), lowercase, every run of
/// characters other than letters and digits one space, apostrophes dropped (`men's` reads `mens`), with a
/// space at both ends so whole words can be found as ` word `.
pub fn normalize(text: &str) -> String {
    let mut out = String::new();
    normalize_into(text, &mut out);
    out
}

/// [`normalize`] into a buffer the caller keeps (its old content replaced), so checking a product line
/// allocates nothing for its ASCII descriptions.
pub fn normalize_into(text: &str, out: &mut String) {
    // Most descriptions are ASCII already: deunicode would only copy them. Its output is ASCII too.
    let ascii = if text.is_ascii() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(deunicode::deunicode(text))
    };
    // Built as bytes (every one ASCII) in a buffer sized for the longest result (the text and a space at
    // each end), so no character is decoded or encoded and no push checks the room left.
    let mut bytes = std::mem::take(out).into_bytes();
    bytes.clear();
    bytes.resize(ascii.len() + 2, b' ');
    let mut len = 1;
    // `last_space`: whether the text ends with a space, tracked rather than looked up for every byte.
    let mut last_space = true;
    for &b in ascii.as_bytes() {
        match NORMAL_BYTE[usize::from(b)] {
            DROPPED => {}
            b' ' if last_space => {}
            n => {
                bytes[len] = n;
                len += 1;
                last_space = n == b' ';
            }
        }
    }
    if !last_space {
        bytes[len] = b' ';
        len += 1;
    }
    bytes.truncate(len);
    // Letters, digits and spaces of an ASCII text: always UTF-8.
    *out = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

/// [`NORMAL_BYTE`] of a byte left out of the normalised text: the apostrophe.
const DROPPED: u8 = 0;

/// What each byte becomes in [`normalize`]: letters lowercased and digits as they are, the apostrophe
/// [`DROPPED`], anything else a space (a run of them is one).
static NORMAL_BYTE: [u8; 256] = {
    let mut table = [b' '; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() {
            table[b] = c.to_ascii_lowercase();
        }
        b += 1;
    }
    table[b'\'' as usize] = DROPPED;
    table
};

thread_local! {
    /// The normalised description of the product line being checked, reused from line to line.
    static NORMALIZED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Why a product line is flagged: the entries that matched, at most one per category, description
/// matches first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Flags {
    /// (entry, what matched as written in the line).
    pub hits: Vec<(&'static Entry, String)>,
    /// Whether any hit came from the description (else from the HTS code only).
    pub in_description: bool,
}

/// How many product lines (description and HTS code) each thread remembers the flags of. A MAWB ships
/// the same products to many consignees (a shop's catalogue), so most lines repeat one seen before; past
/// this many the memo stops growing (about a megabyte) and new lines are matched each time.
const MEMO_LINES: usize = 8192;

/// Flags of the product lines already matched on a thread, keyed by [`memo_key`], and the buffer the key
/// of the line being looked up is written into.
struct Memo {
    lines: ahash::AHashMap<Box<[u8]>, Flags>,
    key: Vec<u8>,
}

thread_local! {
    static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo {
        lines: ahash::AHashMap::new(),
        key: Vec::new(),
    });
}

/// One byte string for a (description, HTS code) pair, unambiguous: a tag byte (0 none, 1 some), the
/// description's length in 8 bytes and the description, then a tag byte and the code.
fn memo_key(description: Option<&str>, hts: Option<&str>, key: &mut Vec<u8>) {
    key.clear();
    match description {
        Some(d) => {
            key.push(1);
            key.extend_from_slice(&(d.len() as u64).to_le_bytes());
            key.extend_from_slice(d.as_bytes());
        }
        None => key.push(0),
    }
    match hts {
        Some(h) => {
            key.push(1);
            key.extend_from_slice(h.as_bytes());
        }
        None => key.push(0),
    }
}

/// The dangerous-goods entries a product line matches, by its description and HTS code. The same line
/// gets the same flags: they are computed once per thread and remembered (up to `MEMO_LINES` lines).
pub fn flag(description: Option<&str>, hts: Option<&str>) -> Flags {
    MEMO.with_borrow_mut(|Memo { lines, key }| {
        memo_key(description, hts, key);
        if let Some(f) = lines.get(key.as_slice()) {
            return f.clone();
        }
        let flags = match_line(description, hts);
        if lines.len() < MEMO_LINES {
            lines.insert(Box::from(key.as_slice()), flags.clone());
        }
        flags
    })
}

/// [`flag`] without the memo: the line matched against the table.
fn match_line(description: Option<&str>, hts: Option<&str>) -> Flags {
    let m = &*MATCHER;
    let mut flags = Flags::default();
    let push = |flags: &mut Flags, e: &'static Entry, what: String| {
        if !flags.hits.iter().any(|(h, _)| h.category == e.category) {
            flags.hits.push((e, what));
        }
    };
    if let Some(d) = description {
        if let Some(re) = m.un_number.as_ref().filter(|_| may_name_un_number(d)) {
            for cap in re.captures_iter(d) {
                let number = format!("UN{}", &cap[1]);
                match m
                    .entries
                    .iter()
                    .find(|e| e.kind == Kind::Un && e.pattern == number)
                {
                    Some(e) => push(&mut flags, e, number),
                    None => push(&mut flags, &UNKNOWN_UN, number),
                }
            }
        }
        if let Some(ac) = &m.automaton {
            NORMALIZED.with_borrow_mut(|text| {
                normalize_into(d, text);
                for hit in ac.find_overlapping_iter(text.as_str()) {
                    if let Some(&i) = m.words.get(hit.pattern().as_usize()) {
                        let e = &m.entries[i];
                        push(&mut flags, e, text[hit.range()].trim().to_string());
                    }
                }
            });
        }
        flags.in_description = !flags.hits.is_empty();
    }
    if let Some(h) = hts {
        // The code's digits (dots and other signs skipped) start with the prefix's: compared in place.
        let starts_with = |prefix: &str| {
            let mut digits = h.bytes().filter(u8::is_ascii_digit);
            prefix.bytes().all(|p| digits.next() == Some(p))
        };
        for (i, prefix) in &m.hts_prefixes {
            if starts_with(prefix) {
                push(&mut flags, &m.entries[*i], format!("HTS {h}"));
            }
        }
    }
    flags
}

/// Whether a text may name a UN number: somewhere `UN` (any case), then a space or a dash or nothing,
/// then a digit. Every match of the UN-number pattern passes (its `\d` is Unicode's: any numeric
/// character is let through), so only the descriptions that pass are searched with the regex, and the
/// many that hold no `un` followed by a digit cost one `memchr2` pass. Written by hand because the regex's
/// own prefilter stops at every `un` of ordinary words (bundle, sunglasses, running).
fn may_name_un_number(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr2_iter(b'u', b'U', b).any(|i| {
        if !matches!(b.get(i + 1), Some(b'n' | b'N')) {
            return false;
        }
        let mut rest = &text[i + 2..];
        if let Some(r) = rest.strip_prefix([' ', '-']) {
            rest = r;
        }
        rest.chars().next().is_some_and(char::is_numeric)
    })
}

/// A UN number the table does not name: flagged all the same, since only dangerous goods carry one.
static UNKNOWN_UN: Entry = Entry {
    kind: Kind::Un,
    pattern: "UN",
    category: "declared dangerous goods",
    example: "",
    name: "",
};

/// A category as a person reads it.
pub fn category_name(category: &str) -> &str {
    match category {
        "lithium-battery" => "lithium batteries",
        "aerosol" => "aerosols",
        "nail-polish" => "nail polish",
        "lighter-match" => "lighters and matches",
        "e-cigarette" => "e-cigarettes",
        "dry-ice" => "dry ice",
        "magnet" => "magnets",
        "flammable-liquid" => "flammable liquids",
        "flammable-gas" => "flammable or compressed gases",
        other => other,
    }
}

/// The warning text for a flagged product line.
pub fn message(flags: &Flags) -> String {
    let reasons: Vec<String> = flags
        .hits
        .iter()
        .map(|(e, what)| match e.kind {
            Kind::Un if e.name.is_empty() => {
                format!("{what} (a UN number: only dangerous goods carry one)")
            }
            Kind::Un => format!("{what} ({}: {})", e.name, category_name(e.category)),
            Kind::Hts => format!("{what} ({})", category_name(e.category)),
            Kind::Word => format!("\"{what}\" ({})", category_name(e.category)),
        })
        .collect();
    format!(
        "this product line looks like dangerous goods for air transport: {}; check it is packed, marked and declared as IATA's Dangerous Goods Regulations require, or take it out of the MAWB",
        reasons.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_flags_its_example() {
        assert!(entries().len() > 100, "{}", entries().len());
        for e in entries() {
            assert!(!e.example.is_empty(), "{e:?}");
            let flags = match e.kind {
                Kind::Hts => flag(None, Some(e.example)),
                Kind::Word | Kind::Un => flag(Some(e.example), None),
            };
            assert!(
                flags.hits.iter().any(|(h, _)| h.category == e.category),
                "{:?} {:?} does not flag its example {:?}: {flags:?}",
                e.kind,
                e.pattern,
                e.example
            );
            if e.kind == Kind::Un {
                assert!(!e.name.is_empty(), "{e:?} has no name");
            }
        }
    }

    #[test]
    fn every_category_is_covered_by_words_hts_and_un_numbers() {
        let categories = [
            "lithium-battery",
            "aerosol",
            "perfume",
            "nail-polish",
            "lighter-match",
            "e-cigarette",
            "dry-ice",
            "magnet",
            "flammable-liquid",
            "flammable-gas",
        ];
        for c in categories {
            for kind in [Kind::Word, Kind::Hts, Kind::Un] {
                if (kind == Kind::Hts && c == "aerosol") || (kind == Kind::Un && c == "e-cigarette")
                {
                    // Aerosols have no HTS heading of their own; e-cigarettes no UN number (their
                    // batteries travel as UN3481 or UN3091).
                    continue;
                }
                assert!(
                    entries().iter().any(|e| e.category == c && e.kind == kind),
                    "{c} has no {kind:?} entry"
                );
            }
        }
        assert!(entries().iter().all(|e| categories.contains(&e.category)));
    }

    #[test]
    fn ordinary_words_are_not_flagged() {
        for d in [
            "Magnetic phone case",
            "Phone case with magnetic closure",
            "Lighter weight running jacket",
            "Lighter colour, navy blue",
            "Scarf that matches any outfit",
            "Alcohol-free toner",
            "Fragrance-free hand cream",
            "Pump spray bottle, empty",
            "AA alkaline batteries",
            "Paint brush set",
            "Laptop computer, 14 inch",
            "Wireless earbuds with charging case",
            "USB-C charger, 30 W",
            "Paperback book",
            "Perfumery history book",
            "Unicorn plush toy",
            "Running shoes UN1",
        ] {
            let f = flag(Some(d), Some("4901.99.0070"));
            assert!(f.hits.is_empty(), "{d}: {f:?}");
        }
    }

    #[test]
    fn descriptions_are_matched_whatever_their_spelling() {
        for (d, category) in [
            ("POWER-BANK 10000mAh", "lithium-battery"),
            ("Li-Ion Akku", "lithium-battery"),
            ("E-Bike Akku 36V", "lithium-battery"),
            ("Eau de Toilette 100ml", "perfume"),
            ("Men's Cologne", "perfume"),
            ("Vernis à ongles, nail-polish rouge", "nail-polish"),
            ("Set of 3 fridge MAGNETS", "magnet"),
            ("Spare parts UN 3481", "lithium-battery"),
            ("Marked un-1950", "aerosol"),
        ] {
            let f = flag(Some(d), None);
            assert!(
                f.hits.iter().any(|(e, _)| e.category == category),
                "{d}: {f:?}"
            );
            assert!(f.in_description);
        }
    }

    #[test]
    fn the_un_pre_check_passes_every_text_the_pattern_matches() {
        let re = MATCHER.un_number.as_ref().expect("the UN pattern compiles");
        for t in [
            "UN3481 battery",
            "un 1266 perfume",
            "Un-1845 dry ice",
            "box (uN1950)",
            "UN\u{0663}\u{0664}\u{0665}\u{0666}",
            "UN１２３４",
            "fun 2000 pieces",
            "bundle of 3",
            "sunglasses",
            "UN",
            "un-",
            "UNESCO 1234",
            "",
        ] {
            if re.is_match(t) {
                assert!(may_name_un_number(t), "{t}");
            }
        }
        assert!(!may_name_un_number("Running shoes, bundle"));
        assert!(!may_name_un_number("UN-"));
        assert!(may_name_un_number("fun 2000 pieces"));
    }

    #[test]
    fn any_un_number_is_flagged_and_named_when_known() {
        let f = flag(Some("Chemical kit UN2031"), None);
        assert_eq!(f.hits.len(), 1);
        let m = message(&f);
        assert!(
            m.contains("UN2031") && m.contains("only dangerous goods"),
            "{m}"
        );
        let m = message(&flag(Some("UN3481 lithium ion battery in equipment"), None));
        assert!(m.contains("Lithium ion batteries contained"), "{m}");
    }

    #[test]
    fn hts_codes_flag_by_their_heading() {
        let f = flag(Some("Gift"), Some("8507.60.0020"));
        assert_eq!(f.hits.len(), 1);
        assert!(!f.in_description);
        assert!(
            message(&f).contains("HTS 8507.60.0020 (lithium batteries)"),
            "{}",
            message(&f)
        );
        assert!(flag(None, Some("850760")).hits.len() == 1);
        assert!(
            flag(None, Some("8507.10.0000")).hits.is_empty(),
            "lead-acid"
        );
        assert!(
            flag(None, Some("3304.99.5000")).hits.is_empty(),
            "face cream"
        );
    }

    #[test]
    fn one_reason_per_category() {
        let f = flag(
            Some("Lithium-ion power bank, lithium battery"),
            Some("8507.60.0020"),
        );
        assert_eq!(f.hits.len(), 1, "{f:?}");
    }

    #[test]
    fn normalization_keeps_words_whole() {
        assert_eq!(normalize("Li-ion/Power-Bank!"), " li ion power bank ");
        assert_eq!(normalize("Men's Éau"), " mens eau ");
        assert_eq!(normalize(""), " ");
        let mut reused = String::from("left over from another line");
        for t in ["Li-ion/Power-Bank!", "Men's Éau", "", "  a  b  ", "'x'"] {
            normalize_into(t, &mut reused);
            assert_eq!(reused, normalize(t), "{t:?}");
        }
        assert_eq!(normalize("  a  b  "), " a b ");
    }

    /// The normalisation written out character by character, as the doc of [`normalize`] states it.
    fn normalize_by_chars(text: &str) -> String {
        let mut out = String::from(" ");
        for c in deunicode::deunicode(text).chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if c != '\'' && !out.ends_with(' ') {
                out.push(' ');
            }
        }
        if !out.ends_with(' ') {
            out.push(' ');
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn normalization_is_the_character_rule(text in "\\PC{0,40}", ascii in "[ -~]{0,40}") {
            let mut reused = String::from("left over");
            for t in [&text, &ascii] {
                normalize_into(t, &mut reused);
                proptest::prop_assert_eq!(&reused, &normalize_by_chars(t));
            }
        }

        #[test]
        fn remembered_flags_are_the_flags_of_the_line(
            lines in proptest::collection::vec(
                (
                    proptest::option::of(proptest::sample::select(vec![
                        "", "1:", "Power bank", "power bank 10000mAh", "Perfume=50ml", "Gift", "UN3481 cells",
                    ])),
                    proptest::option::of(proptest::sample::select(vec![
                        "", "-", "8507.60.0020", "3303.00", "4901.99.0070",
                    ])),
                ),
                1..12,
            )
        ) {
            // Lines repeat within the run and across runs on this thread: each answer is the table's.
            for (d, h) in lines.iter().chain(lines.iter()) {
                proptest::prop_assert_eq!(flag(*d, *h), match_line(*d, *h));
            }
        }
    }

    #[test]
    fn memo_keys_tell_every_pair_apart() {
        let pairs = [
            (None, None),
            (Some(""), None),
            (None, Some("")),
            (Some(""), Some("")),
            (Some("a"), Some("b")),
            (Some("a=b"), None),
            (Some("a"), Some("=b")),
            (Some("1:a"), None),
            (Some("-"), None),
            (None, Some("-")),
        ];
        let mut keys = std::collections::HashSet::new();
        for (d, h) in pairs {
            let mut k = Vec::new();
            memo_key(d, h, &mut k);
            assert!(
                keys.insert(k.clone()),
                "{d:?} {h:?} gave a key already seen: {k:?}"
            );
        }
    }
}
