//! Names as they are compared: the same person or company however a spreadsheet or a list spells it.

/// Legal forms and company suffixes, dropped from a name before matching (`Acme Widgets, Inc.` and `ACME
/// WIDGETS LLC` are the same party to a screener), written as they read once dots are removed. Sorted:
/// looked up by binary search.
const COMPANY_SUFFIXES: &[&str] = &[
    "ab",
    "ad",
    "ag",
    "aps",
    "as",
    "asa",
    "bhd",
    "bv",
    "cjsc",
    "co",
    "company",
    "corp",
    "corporation",
    "cv",
    "dd",
    "doo",
    "eireli",
    "est",
    "fzc",
    "fzco",
    "fze",
    "fzllc",
    "gmbh",
    "inc",
    "incorporated",
    "jsc",
    "kft",
    "kg",
    "kk",
    "lc",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "ltda",
    "mbh",
    "nv",
    "oao",
    "ohg",
    "ojsc",
    "ooo",
    "oy",
    "oyj",
    "pjsc",
    "plc",
    "pt",
    "pte",
    "pty",
    "pvt",
    "sa",
    "sal",
    "sarl",
    "sas",
    "sdn",
    "sl",
    "slu",
    "spa",
    "srl",
    "tbk",
    "the",
    "ug",
    "wll",
    "zao",
    "zrt",
];

/// The words of a name as they are compared: transliterated to ASCII (`Müller` → `muller`, `王小明` →
/// `wang xiao ming`), lowercase, dots and apostrophes removed inside words (`L.L.C.` → `llc`, `O'Brien` →
/// `obrien`), any other sign a separator, and company suffixes dropped (unless nothing else is left).
pub fn tokens(name: &str) -> Vec<String> {
    let ascii = deunicode::deunicode(name);
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        } else if matches!(c, '.' | '\'' | '`') {
            continue;
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let kept: Vec<String> = words
        .iter()
        .filter(|w| COMPANY_SUFFIXES.binary_search(&w.as_str()).is_err())
        .cloned()
        .collect();
    if kept.is_empty() {
        words
    } else {
        kept
    }
}

/// A name's identity for the allow-list and for screening each distinct name once: its words sorted
/// and joined by spaces (`Lee, Ann` and `ANN LEE` give `ann lee`).
pub fn key(name: &str) -> String {
    let mut t = tokens(name);
    t.sort_unstable();
    t.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_sorted() {
        assert!(COMPANY_SUFFIXES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn case_accents_punctuation_and_suffixes_go() {
        assert_eq!(tokens("Acme Widgets, Inc."), ["acme", "widgets"]);
        assert_eq!(tokens("ACME WIDGETS L.L.C."), ["acme", "widgets"]);
        assert_eq!(tokens("Müller GmbH & Co. KG"), ["muller"]);
        assert_eq!(tokens("O'Brien-Núñez"), ["obrien", "nunez"]);
        assert_eq!(tokens("王小明"), ["wang", "xiao", "ming"]);
        assert_eq!(
            tokens("The Company"),
            ["the", "company"],
            "nothing but suffixes: kept"
        );
        assert!(tokens(" ,;- ").is_empty());
    }

    #[test]
    fn keys_ignore_word_order() {
        assert_eq!(key("Lee, Ann"), key("ANN LEE"));
        assert_eq!(key("Sakura Home Goods Co., Ltd."), "goods home sakura");
    }
}
