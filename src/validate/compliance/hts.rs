//! HTS plausibility: a harmonization code must be a code that can exist, not only digits and dots.
//!
//! The Harmonized System's codes are 6 digits (the international heading and subheading), 8 (a national
//! tariff line, e.g. the EU's CN) or 10 (a statistical suffix, e.g. the US HTSUS); chapters run from 01 to
//! 97, and chapter 77 is reserved for future use (World Customs Organization, HS Nomenclature 2022).

/// What is wrong with a harmonization code made of digits and dots (the `hts-format` rule refuses
/// anything else), or `None` when it is plausible.
pub fn problem(hts: &str) -> Option<String> {
    // The digits are counted and the chapter (the first two) read in one pass, without collecting them.
    let (mut digits, mut others, mut chapter) = (0usize, 0usize, 0u32);
    for c in hts.chars() {
        // `to_digit(10)` answers for the ASCII digits only.
        match c.to_digit(10) {
            Some(d) => {
                if digits < 2 {
                    chapter = chapter * 10 + d;
                }
                digits += 1;
            }
            None if c != '.' => others += 1,
            None => {}
        }
    }
    if others > 0 {
        return None;
    }
    if !matches!(digits, 6 | 8 | 10) {
        return Some(format!(
            "hts \"{hts}\" has {digits} digits; a harmonization code has 6, 8 or 10 (e.g. 6109.10, 6109.10.00, 6109.10.0012)"
        ));
    }
    if !(1..=97).contains(&chapter) || chapter == 77 {
        return Some(format!(
            "hts \"{hts}\" is in chapter {:02}, which does not exist (chapters run from 01 to 97, and 77 is reserved): check the code",
            chapter
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_codes_are_plausible() {
        for h in [
            "4901.99",
            "4901.99.00",
            "4901.99.0070",
            "0902.10.1015",
            "6109100012",
            "9706.10",
            "010121",
        ] {
            assert_eq!(problem(h), None, "{h}");
        }
    }

    #[test]
    fn codes_of_the_wrong_length_or_chapter_are_refused() {
        for (h, why) in [
            ("4901", "4 digits"),
            ("4901.9", "5 digits"),
            ("4901.99.007", "9 digits"),
            ("4901.99.00700", "11 digits"),
            ("7701.10", "chapter 77"),
            ("0001.10", "chapter 00"),
            ("9801.00.1000", "chapter 98"),
            ("9999.99", "chapter 99"),
        ] {
            let m = problem(h).unwrap_or_else(|| panic!("{h} accepted"));
            assert!(m.contains(why), "{h}: {m}");
        }
    }

    #[test]
    fn other_characters_are_left_to_hts_format() {
        assert_eq!(problem("4901 99"), None);
        assert_eq!(problem("ABCD.EF"), None);
        assert_eq!(problem("4901.99\u{0663}"), None);
        assert_eq!(problem("١٢٣٤٥٦"), None);
    }

    #[test]
    fn dots_alone_count_no_digit() {
        let m = problem("..").unwrap_or_default();
        assert!(m.contains("has 0 digits"), "{m}");
        let m = problem("").unwrap_or_default();
        assert!(m.contains("has 0 digits"), "{m}");
    }
}
