//! One cell as the user sees it: from what a reader stored (text, a double with its number format, a date
//! serial, an error) to the text mawb sends, or a refusal that says what happened and how to fix it.
//!
//! The rule: **the value the user sees, or a refusal, never a silently damaged value.** Identifier and code
//! columns (trackingNumber, zip, hts, phone, sku...) are text: a number there is rendered with the cell's
//! number format when the format says exactly how it is shown (`00000`, `0000.00`, `@`), and refused when it
//! cannot be the text the user typed (more than 15 significant digits, a fraction whose zeros may be gone, a
//! date, a format mawb cannot see or reproduce). Number columns read a double as Excel shows it: 15
//! significant digits, so a stored 3.4499999999999997 is 3.45.
//!
//! Excel's limits are from Microsoft's "Excel specifications and limits" (15 digits of precision) and
//! ECMA-376 Part 1 §18.17.4.

use super::columns::Field;
use super::numfmt::{NumFmt, Shown};
use crate::problem::*;
use std::borrow::Cow;

/// What a column holds, for reading its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// An identifier or code: every character matters (trackingNumber, zip, hts, phone, country...).
    Code,
    /// A number mawb computes with (value, weight, dimensions, quantity).
    Number,
    /// Free text (names, address lines, city, e-mail, description).
    Text,
}

/// The kind of a canonical column.
pub fn column_kind(f: Field) -> ColumnKind {
    use Field::*;
    match f {
        Value | Weight | Length | Width | Height | Quantity | UnitValue | ProductValue
        | ProductWeight => ColumnKind::Number,
        ConsigneeName | ConsigneeCompany | ConsigneeAddress1 | ConsigneeAddress2
        | ConsigneeCity | ConsigneeEmail | ShipperName | ShipperCompany | ShipperAddress1
        | ShipperAddress2 | ShipperCity | ShipperEmail | ReturnName | ReturnCompany
        | ReturnAddress1 | ReturnAddress2 | ReturnCity | ReturnEmail | ProductDescription => {
            ColumnKind::Text
        }
        _ => ColumnKind::Code,
    }
}

/// A cell as a reader stored it.
#[derive(Clone, Copy)]
pub enum Stored<'a> {
    Blank,
    Text(&'a str),
    /// A double with the number format of its cell (`Unknown` where the file type hides formats).
    Number(f64, &'a NumFmt),
    /// A date or time (a date-formatted double, or an ISO date/duration), as the reader renders it.
    Date(&'a dyn std::fmt::Display),
    Bool(bool),
    /// A spreadsheet error value (`#N/A`).
    Error(&'a dyn std::fmt::Display),
    /// A formula whose result the file does not store.
    FormulaNoValue,
}

/// Why a cell was refused, or what was changed in it (a warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellNote {
    pub rule: &'static Rule,
    pub message: String,
}

/// A cell's text with an optional warning about it.
pub type CellText<'a> = (Cow<'a, str>, Option<CellNote>);

/// The text of a plain text cell of column `f`, exactly as [`read_cell`] gives it out with no warning,
/// or `None` when the cell is not a plain text (read it with [`read_cell`]): the one look most cells
/// need, small enough to be inlined where cells are read. `row_may_hold_invisible` as for [`read_cell`].
#[inline(always)]
pub fn read_plain_cell<'a>(
    stored: &Stored<'a>,
    f: Field,
    row_may_hold_invisible: bool,
) -> Option<&'a str> {
    match *stored {
        Stored::Text(s) => plain_text(s, column_kind(f), row_may_hold_invisible),
        _ => None,
    }
}

/// A cell's text for column `f`: `Ok(None)` when blank, the text with an optional warning, or a refusal.
///
/// `row_may_hold_invisible` is false when the reader knows that no byte of the whole row starts an
/// invisible character ([`INVISIBLE_LEADS`]): its text cells then need no look for one. Pass true when
/// unsure.
#[inline]
pub fn read_cell<'a>(
    stored: Stored<'a>,
    f: Field,
    ext: &str,
    row_may_hold_invisible: bool,
) -> Result<Option<CellText<'a>>, CellNote> {
    let kind = column_kind(f);
    match stored {
        Stored::Blank => Ok(None),
        Stored::Text(s) => read_text(s, f, kind, row_may_hold_invisible),
        Stored::Number(v, fmt) => read_number(v, fmt, f, kind, ext).map(|t| Some((t.into(), None))),
        Stored::Date(d) => Err(CellNote {
            rule: &DATE_IN_CELL,
            message: format!(
                "the {} cell holds a date ({d}), so the spreadsheet changed what was typed (\"1/2\" and \"MAR1\" become dates): format the column as Text and re-enter the value",
                f.name()
            ),
        }),
        Stored::Bool(b) => Ok(Some((Cow::Borrowed(if b { "TRUE" } else { "FALSE" }), None))),
        Stored::Error(e) => Err(CellNote {
            rule: &CELL_ERROR,
            message: format!("the cell holds the error value {e}"),
        }),
        Stored::FormulaNoValue => Err(CellNote {
            rule: &FORMULA_NO_VALUE,
            message: format!(
                "the {} cell is a formula whose result is not stored in the file, or is computed again when the file is opened (it was written by a program, not saved by a spreadsheet): open the file in Excel or LibreOffice and save it, or write values instead of formulas",
                f.name()
            ),
        }),
    }
}

/// Characters nobody sees: stripped, with a warning naming them. The Default_Ignorable_Code_Point
/// characters of Unicode 16.0 (`DerivedCoreProperties.txt`) that stand alone (the zero-width spaces and
/// joiners, the soft hyphen, the byte order mark, the invisible operators) and the bidirectional marks,
/// embeddings, overrides and isolates (Unicode Standard Annex #9, 2024-08: they reorder what is shown
/// and are never seen). Variation selectors, which change how the character before them is drawn, are
/// not among them.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[inline]
fn read_text<'a>(
    s: &'a str,
    f: Field,
    kind: ColumnKind,
    may_hold_invisible: bool,
) -> Result<Option<CellText<'a>>, CellNote> {
    if s.is_empty() {
        return Ok(None);
    }
    match plain_text(s, kind, may_hold_invisible) {
        Some(t) => Ok(Some((Cow::Borrowed(t), None))),
        None => read_text_steps(s, f, kind),
    }
}

/// [`read_text`] step by step: the white space around, the `="` wrapper, the invisible characters, then
/// the column kind.
fn read_text_steps<'a>(
    s: &'a str,
    f: Field,
    kind: ColumnKind,
) -> Result<Option<CellText<'a>>, CellNote> {
    let trimmed = trim(s);
    if trimmed.is_empty() {
        return Ok(None);
    }
    let mut text: Cow<'a, str> = Cow::Borrowed(trimmed);
    // Excel's text-forcing wrapper ="02118": the user sees 02118.
    if let Some(inner) = text.strip_prefix("=\"").and_then(|t| t.strip_suffix('"')) {
        text = Cow::Owned(inner.replace("\"\"", "\""));
    }
    let mut note = None;
    // Every character removed here starts with one of the [`INVISIBLE_LEADS`]: a cell without those bytes
    // (ASCII, accented Latin, Hangul...) needs no look.
    let hidden: Vec<char> = if !may_hold_invisible(&text) {
        Vec::new()
    } else {
        text.chars()
            .filter(|c| is_invisible(*c) || (kind == ColumnKind::Code && *c == '\u{00A0}'))
            .collect()
    };
    if !hidden.is_empty() {
        let mut names: Vec<String> = hidden.iter().map(|c| code_point_name(*c)).collect();
        names.dedup();
        let cleaned: String = text
            .chars()
            .filter(|c| !(is_invisible(*c) || (kind == ColumnKind::Code && *c == '\u{00A0}')))
            .collect();
        note = Some(CellNote {
            rule: &INVISIBLE_CHARACTER,
            message: format!(
                "{} held invisible characters ({}), removed: \"{}\" is read (pasted from a web page or a PDF?)",
                f.name(),
                names.join(", "),
                cleaned.trim()
            ),
        });
        text = Cow::Owned(cleaned.trim().to_string());
    }
    // A decomposed text (é as e and U+0301, as macOS writes names) is the same text composed: read
    // composed, so it is measured, compared and sent as the user sees it.
    if !text.is_ascii() && !unicode_normalization::is_nfc(&text) {
        use unicode_normalization::UnicodeNormalization;
        text = Cow::Owned(text.nfc().collect());
    }
    if text.is_empty() {
        return Ok(None);
    }
    typed(text, note, f, kind)
}

/// A text cell that every step below would give out unchanged: no white space around it, no `="` wrapper,
/// nothing invisible in it, and for its column kind no scientific notation (a code) or comma (a number).
/// Most cells are plain, and are read with one look at their ends and one pass over their bytes.
///
/// `look_for_invisible` false skips the look for invisible characters, for a text known to hold none.
/// Always inlined: once the csv reader grew (an unclosed quote's check), the compiler stopped inlining it
/// into the row loop, and a csv row cost 0.8% more instructions (1,611.1 M -> 1,624.0 M for 89,873 rows;
/// 1,613.7 M inlined).
#[inline(always)]
fn plain_text(s: &str, kind: ColumnKind, look_for_invisible: bool) -> Option<&str> {
    let b = s.as_bytes();
    let (first, last) = (*b.first()?, *b.last()?);
    if !first.is_ascii_graphic()
        || !last.is_ascii_graphic()
        || b.starts_with(b"=\"")
        || (look_for_invisible && may_hold_invisible(s))
    {
        return None;
    }
    match kind {
        ColumnKind::Code if is_scientific(s) => None,
        ColumnKind::Number if b.contains(&b',') => None,
        _ => Some(s),
    }
}

/// A non-blank cell's text, with nothing invisible left in it, as its column kind reads it: a code in
/// scientific notation refused, a number's thousands separators stripped.
fn typed<'a>(
    text: Cow<'a, str>,
    note: Option<CellNote>,
    f: Field,
    kind: ColumnKind,
) -> Result<Option<CellText<'a>>, CellNote> {
    match kind {
        ColumnKind::Code if is_scientific(&text) => Err(CellNote {
            rule: &DIGITS_LOST,
            message: format!(
                "{} \"{text}\" is in scientific notation: a spreadsheet turned the number into a rounded float and its digits are gone (this happens when an .xlsx with numeric tracking numbers is saved as CSV): format the column as Text in the source file and export again, or re-enter the values",
                f.name()
            ),
        }),
        ColumnKind::Number => Ok(Some((strip_thousands(text), note))),
        _ => Ok(Some((text, note))),
    }
}

/// Whether a text may need a step of [`read_text_steps`] beyond the white space and the wrapper: it
/// may hold one of the invisible characters ([`is_invisible`]) or a no-break space (it holds a byte that
/// starts one of them in UTF-8), or it may not be in Unicode's composed form (NFC).
fn may_hold_invisible(text: &str) -> bool {
    // Cells are short: an ASCII test and a byte loop cost less than setting up a vector search.
    !text.is_ascii()
        && (text.bytes().any(|b| INVISIBLE_LEADS.contains(&b)) || !surely_composed(text))
}

/// Whether a text of many cells (a csv record, not ASCII) may hold a cell [`may_hold_invisible`] says
/// may need a step: two vector searches of three bytes each, and the quick NFC check.
pub fn bytes_may_hold_invisible(text: &str) -> bool {
    let [a, b, c, d, e, f] = INVISIBLE_LEADS;
    let bytes = text.as_bytes();
    memchr::memchr3(a, b, c, bytes).is_some()
        || memchr::memchr3(d, e, f, bytes).is_some()
        || !surely_composed(text)
}

/// Whether a text is in NFC by Unicode's quick check (UAX #15, 2024-08): "maybe" counts as no. Every
/// character below U+0300 (ASCII, Latin-1, Latin Extended-A and -B: UTF-8 bytes below 0xCC) is composed,
/// so most names need no look at each character.
fn surely_composed(text: &str) -> bool {
    // The largest byte, without an early exit: a loop the compiler turns into vector instructions.
    text.bytes().fold(0, u8::max) < 0xCC
        || unicode_normalization::is_nfc_quick(text.chars())
            == unicode_normalization::IsNormalized::Yes
}

/// The first bytes, in UTF-8, of the invisible characters ([`is_invisible`]) and the no-break space:
/// U+00A0 and U+00AD start with 0xC2, U+034F with 0xCD, U+061C with 0xD8, U+180E with 0xE1, U+200B to
/// U+2069 with 0xE2, U+FEFF with 0xEF. None of them is a continuation byte, so a text without them holds
/// none of those characters, in any of its parts.
pub const INVISIBLE_LEADS: [u8; 6] = [0xC2, 0xE2, 0xEF, 0xCD, 0xD8, 0xE1];

/// Whether a text cell equal to the text an earlier cell of its column was read as (see [`read_cell`])
/// reads as that same text again, with no warning and no refusal: when it has no white space around it
/// and no `="` wrapper, which are the only steps of `read_text` that can change a text it gave out
/// (invisible characters are gone from it, its thousands separators stripped, and a code in scientific
/// notation is refused, never given out). A repeated item cell that passes needs no reading.
pub fn reads_as_itself(s: &str) -> bool {
    !s.is_empty() && trim(s).len() == s.len() && !s.starts_with("=\"")
}

/// The cell without the white space (Unicode's) around it. Most cells start and end with a visible ASCII
/// character, or are blank, and are returned as they are, without a look at each character.
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        (None, _) => s,
        _ => s.trim_matches(|c: char| c.is_whitespace()),
    }
}

/// `U+200B ZERO WIDTH SPACE` and the like, for messages.
fn code_point_name(c: char) -> String {
    let name = match c {
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{2060}' => "WORD JOINER",
        '\u{FEFF}' => "BYTE ORDER MARK",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{00A0}' => "NO-BREAK SPACE",
        '\u{034F}' => "COMBINING GRAPHEME JOINER",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{180E}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{202A}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202B}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202C}' => "POP DIRECTIONAL FORMATTING",
        '\u{202D}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202E}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2061}' => "FUNCTION APPLICATION",
        '\u{2062}' => "INVISIBLE TIMES",
        '\u{2063}' => "INVISIBLE SEPARATOR",
        '\u{2064}' => "INVISIBLE PLUS",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        _ => "invisible character",
    };
    format!("U+{:04X} {name}", c as u32)
}

/// Excel's own rendering of a number too large for its precision: `9.40011E+21`.
fn is_scientific(t: &str) -> bool {
    // One digit, then the point or the exponent, whose sign is required: `9E+21` at the shortest. Most
    // codes (`1Z…`, `9400…`, `6109.10`) are told apart by their second character.
    let t = t.strip_prefix('-').unwrap_or(t);
    if t.len() < 4 || !matches!(t.as_bytes()[1], b'.' | b'E' | b'e') {
        return false;
    }
    let Some(at) = t.bytes().position(|b| b == b'E' || b == b'e') else {
        return false;
    };
    let (mantissa, exp) = (&t[..at], &t[at + 1..]);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exp = exp.strip_prefix(['+', '-']).filter(|_| exp.len() > 1);
    int.len() == 1
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && exp.is_some_and(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
}

/// `1,299.00` (thousands separators with a dot decimal) is 1299.00; anything else with a comma is left for
/// the number parser to refuse (`1,2` may be 1.2 or 12).
fn strip_thousands(t: Cow<'_, str>) -> Cow<'_, str> {
    // Number cells are a few bytes long: a byte loop costs less than setting up a search.
    if !t.bytes().any(|b| b == b',') {
        return t;
    }
    let (int, frac) = t.split_once('.').unwrap_or((&t, ""));
    let int = int.strip_prefix('-').unwrap_or(int);
    let groups: Vec<&str> = int.split(',').collect();
    let well_formed = t.contains('.')
        && groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|g| g.len() == 3)
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && frac.bytes().all(|b| b.is_ascii_digit());
    if well_formed {
        Cow::Owned(t.replace(',', ""))
    } else {
        t
    }
}

/// A double as Excel shows it in General format: 15 significant digits, no float noise
/// (3.4499999999999997 → "3.45", 0.30000000000000004 → "0.3", 2.0 → "2").
pub fn excel_number_text(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    // A whole number of at most 15 digits (quantities, centimetres) is its integer: formatting an integer
    // is much cheaper than finding a double's shortest digits, and gives the same text (-0 excepted).
    if v.fract() == 0.0 && v.abs() < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
        return (v as i64).to_string();
    }
    if let Some(text) = few_decimals_text(v) {
        return text;
    }
    // The shortest text that reads back as the double: when it has at most 15 significant digits, it is
    // what Excel shows (most cells: 1.125, 45.5, 2). ryu finds the same digits as `f64`'s `Display`
    // several times faster; where it writes an exponent (below 1e-5, from 1e16), or for a whole number
    // (`"1e15"`, `"…0.0"`), `Display`'s own text is taken.
    let mut buf = ryu::Buffer::new();
    let fast = buf.format_finite(v);
    let shortest = if v.fract() != 0.0 && !fast.contains('e') {
        fast.to_string()
    } else {
        v.to_string()
    };
    excel_text_of_shortest(v, shortest)
}

/// The text of a double that is not whole when a decimal of at most 6 decimal places reads back as it
/// and the double is below 1e9 in size (weights, centimetres, prices: 0.811, 45.5, 19.99), else `None`.
///
/// The decimal with the fewest places that reads back as `v` is its shortest text (its whole part is
/// `v`'s), so it is what `Display` and ryu give; at most 15 significant digits (9 whole, 6 decimal), it
/// is also what Excel shows. It is found by trying 1 to 6 places: `m = round(|v| × 10^k)` reads back
/// as `v` when `m / 10^k == |v|` (`m` and `10^k` are exact doubles and the division rounds to the
/// nearest double, as reading `m / 10^k` does). Two decimals with the same places cannot both read
/// back: 10^-6 is wider than the gap between doubles below 1e9. Cheaper than ryu by far for such
/// cells; the property tests hold it to `Display`.
fn few_decimals_text(v: f64) -> Option<String> {
    const SCALE: [(f64, u64); 6] = [
        (1e1, 10),
        (1e2, 100),
        (1e3, 1_000),
        (1e4, 10_000),
        (1e5, 100_000),
        (1e6, 1_000_000),
    ];
    let a = v.abs();
    if a.is_nan() || a >= 1e9 || v.fract() == 0.0 {
        return None;
    }
    for (places, (p, p_int)) in SCALE.iter().enumerate() {
        let m = (a * p).round();
        if m / p != a {
            continue;
        }
        // Below 1e15: an exact integer of u64. Written backwards into `buf`: places, dot, whole part, sign.
        let m = m as u64;
        let (mut whole, mut part) = (m / p_int, m % p_int);
        let mut buf = [0u8; 24];
        let mut start = buf.len();
        let mut put = |b: u8| {
            start -= 1;
            buf[start] = b;
        };
        for _ in 0..=places {
            put(b'0' + (part % 10) as u8);
            part /= 10;
        }
        put(b'.');
        loop {
            put(b'0' + (whole % 10) as u8);
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        if v < 0.0 {
            put(b'-');
        }
        return std::str::from_utf8(&buf[start..]).ok().map(String::from);
    }
    None
}

/// The significant digits of a number's text (leading zeros not counted).
fn significant_digits(text: &str) -> usize {
    text.bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|b| *b == b'0')
        .count()
}

/// What Excel shows for the finite double `v` whose shortest round-trip text is `shortest`: that text when
/// it has at most 15 significant digits and no exponent, else `v` rounded to 15 significant digits.
fn excel_text_of_shortest(v: f64, shortest: String) -> String {
    if significant_digits(&shortest) <= 15 && !shortest.contains('e') {
        return shortest;
    }
    let sci = format!("{v:.14e}");
    match rust_decimal::Decimal::from_scientific(&sci) {
        Ok(d) => d.normalize().to_string(),
        Err(_) => sci,
    }
}

fn read_number(
    v: f64,
    fmt: &NumFmt,
    f: Field,
    kind: ColumnKind,
    ext: &str,
) -> Result<String, CellNote> {
    let name = f.name();
    if kind == ColumnKind::Number {
        if matches!(fmt, NumFmt::Date) {
            return Err(date_serial(f, v));
        }
        let text = excel_number_text(v);
        return match fmt.shown(v) {
            // ACP takes weights and sizes to 3 decimals: a format showing 3 or more shows what is sent.
            Shown::Decimals(shown) if shown >= 3 && sent_to_three_decimals(f) => Ok(text),
            Shown::Decimals(shown) if shows_fewer_decimals(&text, v, shown) => Err(CellNote {
                rule: &DECIMALS_HIDDEN,
                message: format!(
                    "the {name} cell holds {text}, but its format \"{}\" shows {shown} decimal{}, so the spreadsheet shows a rounded number and sending {text} would not be what the user sees (mawb does not round for you): round the value in the cell (or its formula, with ROUND), or format the cell to show every decimal",
                    fmt.code(),
                    if shown == 1 { "" } else { "s" },
                ),
            }),
            Shown::Transformed if v != 0.0 => Err(CellNote {
                rule: &DECIMALS_HIDDEN,
                message: format!(
                    "the {name} cell holds {text}, but its format \"{}\" shows it changed (as a percentage, in scientific notation, as a fraction, scaled, or by a condition), so the spreadsheet does not show {text} and mawb will not send a number the user does not see: format the cell as a plain number (General, or 0.00)",
                    fmt.code(),
                ),
            }),
            _ => Ok(text),
        };
    }
    if v.abs() >= 1e15 {
        return Err(CellNote {
            rule: &DIGITS_LOST,
            message: format!(
                "the spreadsheet stored this {name} as a number ({v:e}) and kept only 15 digits: the rest are lost. Format the column as Text and re-enter the values, or re-export them as text"
            ),
        });
    }
    let integer = v.fract() == 0.0;
    match fmt {
        NumFmt::Date => Err(date_serial(f, v)),
        NumFmt::Digits(p) => p.render(v).ok_or_else(|| CellNote {
            rule: &NUMBER_FORMAT,
            message: format!(
                "the {name} cell holds the number {} shown with the format \"{}\", which mawb cannot reproduce exactly: format the column as Text and re-enter the value",
                excel_number_text(v),
                p.code
            ),
        }),
        NumFmt::General | NumFmt::Text if integer => Ok(format!("{}", v as i64)),
        NumFmt::General | NumFmt::Text if kind == ColumnKind::Text => Ok(excel_number_text(v)),
        NumFmt::General | NumFmt::Text => Err(CellNote {
            rule: &NUMBER_FORMAT,
            message: format!(
                "the {name} cell holds the number {}: a code typed as a number loses its zeros (6109.10 becomes 6109.1, 0901.21 becomes 901.21), so it may not be what was typed. Format the column as Text and re-enter the code",
                excel_number_text(v)
            ),
        }),
        NumFmt::Other(code, _) => Err(CellNote {
            rule: &NUMBER_FORMAT,
            message: format!(
                "the {name} cell holds the number {} shown with the format \"{code}\", which mawb cannot reproduce exactly: format the column as Text and re-enter the value",
                excel_number_text(v)
            ),
        }),
        NumFmt::Percentage => Err(CellNote {
            rule: &NUMBER_FORMAT,
            message: format!(
                "the {name} cell holds the number {} as a percentage, so the spreadsheet shows it multiplied by 100 with a %: format the column as Text and re-enter the value",
                excel_number_text(v)
            ),
        }),
        NumFmt::Unknown | NumFmt::Currency(..) if kind == ColumnKind::Text => {
            Ok(excel_number_text(v))
        }
        NumFmt::Unknown | NumFmt::Currency(..) => Err(CellNote {
            rule: &NUMBER_FORMAT,
            message: format!(
                "the {name} cell holds the number {}, and in .{ext} files mawb cannot see how the cell displays it (leading zeros, decimals): format the column as Text and re-enter the values, or save the workbook as .xlsx",
                excel_number_text(v)
            ),
        }),
    }
}

/// Fields ACP takes to 3 decimals (kilograms, metres): decimals past the third are never sent.
fn sent_to_three_decimals(f: Field) -> bool {
    matches!(
        f,
        Field::Weight | Field::ProductWeight | Field::Length | Field::Width | Field::Height
    )
}

/// Whether `text` (Excel's text of the number `v`) has more decimals than a format showing `shown` of
/// them displays. Scientific texts (`1E-05`) are judged on the number itself.
fn shows_fewer_decimals(text: &str, v: f64, shown: usize) -> bool {
    let sci = |v: f64| {
        let scaled = v * 10f64.powi(shown as i32);
        (scaled - scaled.round()).abs() > 1e-9 * scaled.abs().max(1.0)
    };
    let bytes = text.as_bytes();
    // Searched from the end: the decimals are few, and most numbers have no more than the format shows.
    match bytes.iter().rposition(|&b| b == b'.') {
        None => bytes.iter().any(|&b| b == b'E' || b == b'e') && sci(v),
        Some(p) => {
            let decimals = &bytes[p + 1..];
            if decimals.len() <= shown {
                return false;
            }
            if decimals.iter().any(|&b| b == b'E' || b == b'e') {
                return sci(v);
            }
            let zeros = decimals.iter().rev().take_while(|&&b| b == b'0').count();
            decimals.len() - zeros > shown
        }
    }
}

fn date_serial(f: Field, v: f64) -> CellNote {
    CellNote {
        rule: &DATE_IN_CELL,
        message: format!(
            "the {} cell is formatted as a date (serial {}), so the spreadsheet changed what was typed: format the column as Text (or Number) and re-enter the value",
            f.name(),
            excel_number_text(v)
        ),
    }
}

#[cfg(test)]
mod tests;
