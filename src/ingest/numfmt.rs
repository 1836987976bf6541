//! Excel number formats, as far as identifier columns need them: which formats show a number as the digits
//! the user typed (`General`, `0`, `@`), which pad or punctuate them (`00000`, `00000-0000`, `0000.00`,
//! `000-000-0000`), and which mawb cannot reproduce (currency, percent, scientific, fractions, dates).
//!
//! Source: ECMA-376 Part 1 §18.8.30 (numFmt) and §18.8.31 (format codes); the built-in ids are those
//! calamine resolves (`builtin_format_code_by_id`). Written by hand because only a narrow, exact subset is
//! needed: the digit-placeholder formats that carry leading and trailing zeros of codes. The crates that
//! render every Excel format are whole spreadsheet engines, and a format mawb cannot render exactly is
//! refused rather than approximated.

/// What a cell's number format says about how a number is displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumFmt {
    /// `General` (or no format): Excel shows up to 11 characters, at most 15 significant digits.
    General,
    /// `@`: the cell is meant to hold text; a number in it is shown as in General.
    Text,
    /// A date or time format: the number is a date serial.
    Date,
    /// Digit placeholders and literals only (`00000`, `00000-0000`, `0000.00`, `0`): rendered exactly.
    Digits(DigitPattern),
    /// Any other format (currency, percent, thousands separators, scientific, fractions, colours,
    /// conditions), kept as written for messages, with the decimals of its sections.
    Other(String, Sections),
    /// The file does not let mawb see the number's format (an ods data style mawb does not turn into a
    /// code, see `ods_styles`; an xls or xlsb format id without a code).
    Unknown,
    /// An ods cell whose value type is `percentage`: shown multiplied by 100 with a `%`, whatever its
    /// style (OpenDocument 1.3 Part 3 §19.389, `office:value-type`).
    Percentage,
    /// An ods cell whose value type is `currency`, shown with its currency (`office:currency`, an ISO 4217
    /// code) and with the decimals of its style's number (`None`: its style does not tell them alike for
    /// every amount, see `ods_styles`).
    Currency(Box<str>, Option<usize>),
}

/// A digit-placeholder format: literals around an integer part of `0`/`#` and an optional fraction part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitPattern {
    /// The integer part's items: a digit placeholder (`true` for `0`, `false` for `#`) or a literal char.
    int: Vec<Item>,
    /// The fraction part's placeholders (`0` forces a digit, `#` drops a trailing zero); `None`: no point.
    frac: Option<Vec<Item>>,
    /// The format as written.
    pub code: String,
    /// The decimals of each of its sections, for [`NumFmt::shown`].
    sections: Sections,
}

/// The decimals each of a format's first three sections shows ([`decimals_of_section`]: `None` when the
/// section shows another number), and how many sections the format has. Read once per format, so that
/// judging a cell allocates nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sections {
    decimals: [Option<usize>; 3],
    count: usize,
    /// The text the first section shows beside a number ([`label_of_section`]).
    label: Option<Box<str>>,
}

impl Sections {
    fn of(sections: &[String]) -> Sections {
        let mut decimals = [None; 3];
        for (d, s) in decimals.iter_mut().zip(sections) {
            *d = decimals_of_section(s);
        }
        Sections {
            decimals,
            count: sections.len(),
            label: sections
                .first()
                .and_then(|s| label_of_section(s))
                .map(Into::into),
        }
    }

    /// How the section that applies to `v` shows it (the second for a negative number and the third for
    /// zero, when there are that many).
    fn shown(&self, v: f64) -> Shown {
        let i = match self.count {
            n if v < 0.0 && n >= 2 => 1,
            n if v == 0.0 && n >= 3 => 2,
            _ => 0,
        };
        match self.decimals[i] {
            Some(d) => Shown::Decimals(d),
            None => Shown::Transformed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Zero,
    Hash,
    Lit(char),
}

/// The code of a built-in number format, by id: the formats a file uses without writing their code
/// (ECMA-376 Part 1 §18.8.30; the same ids in xls, [MS-XLS] §2.4.126). The currency sign of 5 to 8 is the
/// locale's (`$` in the standard's own list, `€` in a German Excel): it is written `¤`, the generic
/// currency sign, which names no currency, so it is never held against the item's (see `format_label`).
/// The East Asian date formats 27 to 36 and 50 to 58 are dates. `None` for an id that is not built in.
pub fn builtin_format_code(id: u32) -> Option<&'static str> {
    Some(match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        5 => "\"¤\"#,##0_);(\"¤\"#,##0)",
        6 => "\"¤\"#,##0_);[Red](\"¤\"#,##0)",
        7 => "\"¤\"#,##0.00_);(\"¤\"#,##0.00)",
        8 => "\"¤\"#,##0.00_);[Red](\"¤\"#,##0.00)",
        9 => "0%",
        10 => "0.00%",
        11 => "0.00E+00",
        12 => "# ?/?",
        13 => "# ??/??",
        14 => "mm-dd-yy",
        15 => "d-mmm-yy",
        16 => "d-mmm",
        17 => "mmm-yy",
        18 => "h:mm AM/PM",
        19 => "h:mm:ss AM/PM",
        20 => "h:mm",
        21 => "h:mm:ss",
        22 => "m/d/yy h:mm",
        27..=36 | 50..=58 => "yyyy-mm-dd",
        37 => "#,##0 ;(#,##0)",
        38 => "#,##0 ;[Red](#,##0)",
        39 => "#,##0.00;(#,##0.00)",
        40 => "#,##0.00;[Red](#,##0.00)",
        41 => "_(* #,##0_);_(* (#,##0);_(* \"-\"_);_(@_)",
        42 => "_($* #,##0_);_($* (#,##0);_($* \"-\"_);_(@_)",
        43 => "_(* #,##0.00_);_(* (#,##0.00);_(* \"-\"??_);_(@_)",
        44 => "_($* #,##0.00_);_($* (#,##0.00);_($* \"-\"??_);_(@_)",
        45 => "mm:ss",
        46 => "[h]:mm:ss",
        47 => "mmss.0",
        48 => "##0.0E+0",
        49 => "@",
        _ => return None,
    })
}

impl NumFmt {
    /// Classifies a format code (the text of `numFmt/@formatCode`, or a built-in's code).
    pub fn parse(code: &str) -> NumFmt {
        let trimmed = code.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("general") {
            return NumFmt::General;
        }
        if trimmed == "@" {
            return NumFmt::Text;
        }
        if is_date_code(trimmed) {
            return NumFmt::Date;
        }
        // Only the first section (positive numbers) matters for codes; a second section for negatives is
        // harmless, a third or a text section is not needed either way. Numbers are judged by the
        // section that applies to them.
        let all = split_sections(trimmed);
        let sections = Sections::of(&all);
        match all
            .first()
            .and_then(|first| DigitPattern::parse(first, trimmed))
        {
            Some(p) => NumFmt::Digits(DigitPattern { sections, ..p }),
            None => NumFmt::Other(trimmed.to_string(), sections),
        }
    }
}

/// How a format shows a number, as far as its decimals go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The number itself, with at most this many decimals (`0.00` and `0.0#` show 2, `#,##0` none).
    Decimals(usize),
    /// Another number or text: a percentage, scientific notation, a fraction, scaled by a thousand
    /// (`0.0,`), or chosen by a condition (`[<1]0.000;0.0`).
    Transformed,
    /// Not told by the format: General, Text, a date, or a file type whose formats mawb cannot see.
    Unknown,
}

impl NumFmt {
    /// How the format shows `v`: the section that applies to it (the second for a negative number and
    /// the third for zero, when there are that many), as [`Shown`] says. ECMA-376 Part 1 §18.8.31.
    pub fn shown(&self, v: f64) -> Shown {
        match self {
            NumFmt::Digits(p) if v > 0.0 => Shown::Decimals(p.max_decimals()),
            NumFmt::Digits(DigitPattern { sections, .. }) | NumFmt::Other(_, sections) => {
                sections.shown(v)
            }
            NumFmt::Percentage => Shown::Transformed,
            NumFmt::General
            | NumFmt::Text
            | NumFmt::Date
            | NumFmt::Unknown
            | NumFmt::Currency(_, None) => Shown::Unknown,
            NumFmt::Currency(_, Some(decimals)) => Shown::Decimals(*decimals),
        }
    }

    /// The text the format shows beside a positive number: a currency (`€` of `#,##0.00 [$€-407]`, `£` of
    /// `"£"#,##0.00`, `USD` of `[$USD] #,##0.00`) or a unit (`lb` of `0.00 "lb"`); `None` for a bare number.
    pub fn label(&self) -> Option<&str> {
        match self {
            NumFmt::Digits(DigitPattern { sections, .. }) | NumFmt::Other(_, sections) => {
                sections.label.as_deref()
            }
            NumFmt::Currency(code, _) => Some(code),
            NumFmt::General
            | NumFmt::Text
            | NumFmt::Date
            | NumFmt::Unknown
            | NumFmt::Percentage => None,
        }
    }

    /// The format code as written (`"General"` for General, `"@"` for Text), for messages.
    pub fn code(&self) -> &str {
        match self {
            NumFmt::Digits(p) => &p.code,
            NumFmt::Other(code, _) => code,
            NumFmt::General => "General",
            NumFmt::Text => "@",
            NumFmt::Date => "a date format",
            NumFmt::Unknown => "unknown",
            NumFmt::Percentage => "percentage",
            NumFmt::Currency(..) => "currency",
        }
    }
}

/// The decimals one section of a format code shows: the `0`, `#` and `?` placeholders after its decimal
/// point (outside quotes, escapes and `[…]` colours and currencies), 0 without a point; `None` when the
/// section has no digit placeholder, or scales or transforms the number (`%`, `E+`, a fraction `/`, a `,`
/// right after the last placeholder, a condition `[<1]`).
fn decimals_of_section(section: &str) -> Option<usize> {
    let mut chars = section.chars().peekable();
    let (mut quoted, mut after_point, mut placeholders, mut decimals) = (false, false, 0, 0);
    let mut last_was_placeholder = false;
    while let Some(c) = chars.next() {
        if quoted {
            quoted = c != '"';
            continue;
        }
        let placeholder = matches!(c, '0' | '#' | '?');
        match c {
            '"' => quoted = true,
            '\\' | '_' | '*' => {
                chars.next();
            }
            '[' => {
                if chars.peek().is_some_and(|n| matches!(n, '<' | '>' | '=')) {
                    return None;
                }
                for inner in chars.by_ref() {
                    if inner == ']' {
                        break;
                    }
                }
            }
            '%' | 'E' | 'e' | '/' => return None,
            ',' if last_was_placeholder
                && !chars.peek().is_some_and(|n| matches!(n, '0' | '#' | '?')) =>
            {
                return None
            }
            '.' if !after_point => after_point = true,
            _ if placeholder => {
                placeholders += 1;
                if after_point {
                    decimals += 1;
                }
            }
            _ => {}
        }
        last_was_placeholder = placeholder;
    }
    (placeholders > 0).then_some(decimals)
}

/// The text a format section shows beside the number: its quoted literals (`"lb"`), escaped characters
/// (`\€`), the symbol of a `[$€-407]` currency, and the characters outside quotes that are no format syntax
/// (`$`, `€`, `£`), joined and trimmed; `None` when it shows none. Padding (`_)`) and fills (`*-`) show
/// no text of their own. ECMA-376 Part 1 §18.8.31.
fn label_of_section(section: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = section.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                    out.push(q);
                }
            }
            '\\' => out.extend(chars.next()),
            '_' | '*' => {
                chars.next();
            }
            '[' => {
                let inner: String = chars.by_ref().take_while(|c| *c != ']').collect();
                if let Some(currency) = inner.strip_prefix('$') {
                    out.push_str(currency.split('-').next().unwrap_or_default());
                }
            }
            '$' => out.push(c),
            _ if !c.is_ascii() => out.push(c),
            _ => {}
        }
    }
    let label = out.trim();
    (!label.is_empty()).then(|| label.to_string())
}

/// Splits a format code at `;` outside quotes and escapes.
fn split_sections(code: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = code.chars();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                if let Some(s) = out.last_mut() {
                    s.push(c);
                }
            }
            '\\' if !quoted => {
                if let Some(s) = out.last_mut() {
                    s.push(c);
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
            }
            ';' if !quoted => out.push(String::new()),
            _ => {
                if let Some(s) = out.last_mut() {
                    s.push(c);
                }
            }
        }
    }
    out
}

/// Whether a code formats dates or times: y, m, d, h, s outside quotes, escapes and brackets (colours and
/// conditions such as `[Red]` do not count; `[h]` does).
fn is_date_code(code: &str) -> bool {
    let mut quoted = false;
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if !quoted => {
                chars.next();
            }
            '[' if !quoted => {
                let inner: String = chars.by_ref().take_while(|&c| c != ']').collect();
                let l = inner.to_ascii_lowercase();
                if !l.is_empty() && l.chars().all(|c| matches!(c, 'h' | 'm' | 's')) {
                    return true;
                }
            }
            _ if !quoted && matches!(c.to_ascii_lowercase(), 'y' | 'm' | 'd' | 'h' | 's') => {
                return true
            }
            _ => {}
        }
    }
    false
}

impl DigitPattern {
    fn parse(section: &str, whole: &str) -> Option<DigitPattern> {
        let mut int = Vec::new();
        let mut frac: Option<Vec<Item>> = None;
        let mut chars = section.chars();
        let mut quoted = false;
        let mut placeholders = 0;
        while let Some(c) = chars.next() {
            if !quoted && c == '.' && frac.is_none() {
                frac = Some(Vec::new());
                continue;
            }
            let target = match frac.as_mut() {
                Some(f) => f,
                None => &mut int,
            };
            if quoted {
                if c == '"' {
                    quoted = false;
                } else {
                    target.push(Item::Lit(c));
                }
                continue;
            }
            match c {
                '"' => quoted = true,
                '\\' => target.push(Item::Lit(chars.next()?)),
                '0' => {
                    placeholders += 1;
                    target.push(Item::Zero)
                }
                '#' => {
                    placeholders += 1;
                    target.push(Item::Hash)
                }
                // Literals Excel shows as they are.
                '-' | ' ' | '(' | ')' | '/' | ':' | '+' => target.push(Item::Lit(c)),
                // Anything else (`,` thousands, `%`, `E+`, `?`, `_`, `*`, `[`, currency signs, `@`, a second
                // point) changes the number or pads with spacing mawb cannot reproduce exactly.
                _ => return None,
            }
        }
        if quoted || placeholders == 0 {
            return None;
        }
        // A placeholder after a literal in the fraction would interleave text with decimals: not a code.
        if let Some(f) = &frac {
            if f.iter().any(|i| matches!(i, Item::Lit(_))) {
                return None;
            }
        }
        Some(DigitPattern {
            int,
            frac,
            code: whole.to_string(),
            sections: Sections::default(),
        })
    }

    /// How many decimals the format shows at most.
    fn max_decimals(&self) -> usize {
        self.frac.as_ref().map_or(0, |f| f.len())
    }

    /// The text Excel shows for a non-negative `value` under this format; `None` when the value does not
    /// fit the pattern exactly (it has more decimals than the format shows, is negative, or is too large to
    /// hold its digits in a double).
    pub fn render(&self, value: f64) -> Option<String> {
        if !(0.0..1e15).contains(&value) {
            return None;
        }
        let decimals = self.max_decimals();
        // The value must need no more decimals than the format shows: a format that rounds hides digits.
        let text = format!("{value:.decimals$}");
        let back: f64 = text.parse().ok()?;
        if back != value {
            return None;
        }
        let (int_digits, frac_digits) = match text.split_once('.') {
            Some((i, f)) => (i.to_string(), f.to_string()),
            None => (text.clone(), String::new()),
        };
        let int_digits = if int_digits == "0" {
            String::new()
        } else {
            int_digits
        };
        let mut out = String::new();
        // Integer part: each placeholder takes a digit counted from the right; digits beyond the
        // placeholders go before the first one, as Excel shows them.
        let slots = self
            .int
            .iter()
            .filter(|i| !matches!(i, Item::Lit(_)))
            .count();
        let digits: Vec<char> = int_digits.chars().collect();
        let extra = digits.len().saturating_sub(slots);
        let mut slot = 0usize;
        for item in &self.int {
            match item {
                Item::Lit(c) => out.push(*c),
                Item::Zero | Item::Hash => {
                    if slot == 0 {
                        out.extend(&digits[..extra]);
                    }
                    let from_right = slots - slot;
                    if digits.len() >= from_right {
                        out.push(digits[digits.len() - from_right]);
                    } else if matches!(item, Item::Zero) {
                        out.push('0');
                    }
                    slot += 1;
                }
            }
        }
        if let Some(frac) = &self.frac {
            let fd: Vec<char> = frac_digits.chars().collect();
            let mut shown: Vec<char> = (0..frac.len())
                .map(|i| fd.get(i).copied().unwrap_or('0'))
                .collect();
            // `#` drops a trailing zero; `0` keeps it.
            while shown.last() == Some(&'0')
                && matches!(frac.get(shown.len() - 1), Some(Item::Hash))
            {
                shown.pop();
            }
            out.push('.');
            out.extend(shown);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(code: &str, v: f64) -> Option<String> {
        match NumFmt::parse(code) {
            NumFmt::Digits(p) => p.render(v),
            other => panic!("{code} parsed as {other:?}"),
        }
    }

    #[test]
    fn the_label_is_the_text_a_format_shows_beside_a_positive_number() {
        for (code, label) in [
            ("#,##0.00 [$€-407]", Some("€")),
            ("[$$-409]#,##0.00", Some("$")),
            ("[$USD] #,##0.00", Some("USD")),
            ("[$-409]#,##0.00", None),
            ("\"£\"#,##0.00", Some("£")),
            ("$#,##0_);($#,##0)", Some("$")),
            ("#,##0.00_);[Red](#,##0.00)", None),
            ("0.00 \"lb\"", Some("lb")),
            ("0.0\\k\\g", Some("kg")),
            ("0.00 \"kg\";-0.00 \"kg\"", Some("kg")),
            ("_-* #,##0.00 €_-;-* #,##0.00 €_-", Some("€")),
            ("0.00", None),
            ("00000", None),
            ("General", None),
        ] {
            assert_eq!(NumFmt::parse(code).label(), label, "{code}");
        }
    }

    #[test]
    fn zip_code_formats_keep_leading_zeros() {
        assert_eq!(render("00000", 2118.0).as_deref(), Some("02118"));
        assert_eq!(render("00000", 98101.0).as_deref(), Some("98101"));
        assert_eq!(
            render("00000-0000", 71021234.0).as_deref(),
            Some("07102-1234")
        );
        assert!(
            matches!(
                NumFmt::parse("[<=99999]00000;00000-0000"),
                NumFmt::Other(..)
            ),
            "a conditional format is not a plain pattern"
        );
    }

    #[test]
    fn hs_code_formats_keep_trailing_zeros() {
        assert_eq!(render("0000.00", 6109.1).as_deref(), Some("6109.10"));
        assert_eq!(render("0000.00", 901.21).as_deref(), Some("0901.21"));
        assert_eq!(
            render("0000.00", 901.215),
            None,
            "a hidden decimal is refused"
        );
        assert_eq!(render("0.##", 2.5).as_deref(), Some("2.5"));
    }

    #[test]
    fn plain_and_punctuated_integers() {
        assert_eq!(render("0", 12345.0).as_deref(), Some("12345"));
        assert_eq!(render("#", 0.0).as_deref(), Some(""));
        assert_eq!(
            render("000-000-0000", 6175550101.0).as_deref(),
            Some("617-555-0101")
        );
        assert_eq!(render("\"US\"00000", 2118.0).as_deref(), Some("US02118"));
        assert_eq!(render("0", 1e16), None);
        assert_eq!(render("0", -1.0), None);
    }

    #[test]
    fn formats_are_classified() {
        assert_eq!(NumFmt::parse("General"), NumFmt::General);
        assert_eq!(NumFmt::parse("@"), NumFmt::Text);
        assert_eq!(NumFmt::parse("d-mmm"), NumFmt::Date);
        assert_eq!(NumFmt::parse("yyyy-mm-dd h:mm:ss"), NumFmt::Date);
        assert_eq!(NumFmt::parse("[h]:mm:ss"), NumFmt::Date);
        assert!(matches!(NumFmt::parse("#,##0.00"), NumFmt::Other(..)));
        assert!(matches!(NumFmt::parse("0.00E+00"), NumFmt::Other(..)));
        assert!(matches!(NumFmt::parse("0%"), NumFmt::Other(..)));
        assert!(matches!(NumFmt::parse("[Red]0"), NumFmt::Other(..)));
        assert!(matches!(NumFmt::parse("\"$\"0.00"), NumFmt::Digits(_)));
    }
}
