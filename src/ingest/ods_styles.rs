//! The number formats of an ods workbook: which format each cell style shows its numbers in.
//!
//! An OpenDocument spreadsheet does not store a format code per cell. A cell names a cell style
//! (`table:style-name`, else its row's or column's `table:default-cell-style-name`), the cell style names
//! a data style (`style:data-style-name`, else its parent's, up to the `Default` style and the default
//! cell style), and the data style describes the number shown: `number:number-style` with a
//! `number:number` element (`number:decimal-places`, `number:min-decimal-places`,
//! `number:min-integer-digits`, `number:grouping`) between `number:text` literals (OpenDocument 1.3 Part 3
//! §16.27.2, §16.29.3, §19.343–§19.357, §19.476, §19.498). Automatic styles are in `content.xml`, the
//! named ones in `styles.xml`.
//!
//! Each data style is turned into the Excel format code that shows the same text (`0.00`, `#,##0.000`,
//! `00000`, `0.00" kg"`) and judged by [`NumFmt`] exactly as an xlsx cell's format is. A data style this
//! module does not turn into a code (scientific, fraction, conditions mapping to other styles, embedded
//! text, currencies, booleans) is [`NumFmt::Unknown`]: its numbers are treated as those of a format mawb
//! cannot see, as before these styles were read. Written by hand because calamine reads no ods style and
//! no crate maps OpenDocument data styles to format codes.

use super::numfmt::NumFmt;
use super::sheet_extras::attr;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::BufRead;

/// How deep a chain of parent cell styles is followed (a loop in a damaged file ends here).
const MAX_PARENTS: usize = 16;

/// The cell styles and data styles of one workbook (`styles.xml` and `content.xml` together).
#[derive(Debug, Default)]
pub struct OdsStyles {
    /// Cell style name → (its data style, its parent cell style).
    cell_styles: HashMap<String, (Option<String>, Option<String>)>,
    /// The data style of the default cell style (`style:default-style style:family="table-cell"`).
    default_data_style: Option<String>,
    /// Data style name → what it shows.
    data_styles: HashMap<String, DataInfo>,
}

/// One data style as judged.
#[derive(Debug)]
struct DataInfo {
    /// The format it shows a number in.
    format: NumFmt,
    /// The decimals of its one number (`number:decimal-places`), when it has exactly one.
    decimals: Option<usize>,
    /// The data styles its conditions apply instead (`style:map/@style:apply-style-name`).
    maps: Vec<String>,
}

impl OdsStyles {
    /// The format of a number in a cell of cell style `style` (`None`: the cell names none, so the
    /// `Default` style applies). General when no style on the way names a data style.
    pub fn format_of(&self, style: Option<&str>) -> NumFmt {
        match self.data_style_of(style) {
            // A data style named but not defined: a format mawb cannot see.
            Some(data) => self
                .data_styles
                .get(data)
                .map_or(NumFmt::Unknown, |d| d.format.clone()),
            None => NumFmt::General,
        }
    }

    /// The decimals a currency cell of cell style `style` is shown with: those of its data style's
    /// number, when it and every style its conditions apply instead (LibreOffice's currency formats
    /// show negative amounts in another style) show the same; `None` otherwise.
    pub fn currency_decimals(&self, style: Option<&str>) -> Option<usize> {
        let data = self.data_styles.get(self.data_style_of(style)?)?;
        let decimals = data.decimals?;
        data.maps
            .iter()
            .all(|m| self.data_styles.get(m).and_then(|d| d.decimals) == Some(decimals))
            .then_some(decimals)
    }

    /// The data style a cell of cell style `style` names, through its parents, the `Default` style
    /// and the default cell style.
    fn data_style_of<'a>(&'a self, style: Option<&'a str>) -> Option<&'a str> {
        let mut name = Some(style.unwrap_or("Default"));
        for _ in 0..MAX_PARENTS {
            let Some(n) = name else { break };
            let Some((data, parent)) = self.cell_styles.get(n) else {
                break;
            };
            if let Some(data) = data {
                return Some(data);
            }
            name = parent.as_deref().or(if n == "Default" {
                None
            } else {
                Some("Default")
            });
        }
        self.default_data_style.as_deref()
    }

    /// Reads the styles of one part (`styles.xml`, or `content.xml` up to its body). Fails only when the
    /// XML cannot be read.
    pub fn read_part<R: BufRead>(&mut self, reader: R) -> Result<(), String> {
        let mut xml = quick_xml::Reader::from_reader(reader);
        let mut buf = Vec::new();
        // The data style being read: its name and what it holds so far.
        let mut data: Option<(String, DataStyle)> = None;
        // Inside a `number:text` of the data style being read: its text so far.
        let mut text: Option<String> = None;
        loop {
            let ev = xml
                .read_event_into(&mut buf)
                .map_err(|e| format!("the styles cannot be read: {e}"))?;
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(ev, Event::Empty(_));
                    match e.name().as_ref() {
                        // The cells follow; no style is defined after this point.
                        b"office:body" => break,
                        b"style:style" if attr(e, b"family").as_deref() == Some("table-cell") => {
                            if let Some(name) = attr(e, b"name") {
                                let entry =
                                    (attr(e, b"data-style-name"), attr(e, b"parent-style-name"));
                                self.cell_styles.insert(name, entry);
                            }
                        }
                        b"style:default-style"
                            if attr(e, b"family").as_deref() == Some("table-cell") =>
                        {
                            self.default_data_style = attr(e, b"data-style-name");
                        }
                        kind @ (b"number:number-style"
                        | b"number:percentage-style"
                        | b"number:currency-style"
                        | b"number:date-style"
                        | b"number:time-style"
                        | b"number:boolean-style"
                        | b"number:text-style") => {
                            let style = DataStyle::new(kind);
                            match (attr(e, b"name"), empty) {
                                (Some(name), true) => {
                                    self.data_styles.insert(name, style.info());
                                }
                                (Some(name), false) => data = Some((name, style)),
                                (None, _) => {}
                            }
                        }
                        child => {
                            if let Some((_, style)) = data.as_mut() {
                                style.child(child, e);
                                if child == b"number:text" && !empty {
                                    text = Some(String::new());
                                }
                            }
                        }
                    }
                }
                Event::Text(ref t) => {
                    if let Some(text) = text.as_mut() {
                        let t = t
                            .unescape()
                            .map_err(|e| format!("the styles cannot be read: {e}"))?;
                        text.push_str(&t);
                    }
                }
                Event::End(ref e) => match e.name().as_ref() {
                    b"number:text" => {
                        if let (Some(t), Some((_, style))) = (text.take(), data.as_mut()) {
                            style.parts.push(Part::Literal(t));
                        }
                    }
                    b"number:number-style"
                    | b"number:percentage-style"
                    | b"number:currency-style"
                    | b"number:date-style"
                    | b"number:time-style"
                    | b"number:boolean-style"
                    | b"number:text-style" => {
                        if let Some((name, style)) = data.take() {
                            self.data_styles.insert(name, style.info());
                        }
                    }
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(())
    }
}

/// What a data style shows, as read.
#[derive(Debug)]
struct DataStyle {
    kind: Kind,
    parts: Vec<Part>,
    /// The data styles of its conditions.
    maps: Vec<String>,
    /// Something this module does not turn into a format code was found.
    unknown: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Percentage,
    Date,
    Text,
    /// Currency and boolean styles.
    Other,
}

#[derive(Debug)]
enum Part {
    Literal(String),
    /// A number without its decimals: shown as in General.
    General,
    Number {
        decimals: usize,
        min_decimals: usize,
        min_integers: usize,
        grouping: bool,
    },
}

impl DataStyle {
    fn new(element: &[u8]) -> DataStyle {
        let kind = match element {
            b"number:number-style" => Kind::Number,
            b"number:percentage-style" => Kind::Percentage,
            b"number:date-style" | b"number:time-style" => Kind::Date,
            b"number:text-style" => Kind::Text,
            _ => Kind::Other,
        };
        DataStyle {
            kind,
            parts: Vec::new(),
            maps: Vec::new(),
            unknown: false,
        }
    }

    /// An element inside the data style.
    fn child(&mut self, name: &[u8], e: &BytesStart<'_>) {
        match name {
            b"number:number" => {
                let number = |attribute: &[u8]| {
                    attr(e, attribute).and_then(|v| v.trim().parse::<usize>().ok())
                };
                // ODF 1.2 shows exactly `decimal-places` decimals; LibreOffice writes the least it shows
                // as `number:min-decimal-places` (ODF 1.3) or `loext:min-decimal-places`.
                // Without `decimal-places` the number is shown as the default data style shows it
                // (§19.343): LibreOffice's Standard format (`N0`), which is General.
                let Some(decimals) = number(b"decimal-places") else {
                    self.parts.push(Part::General);
                    return;
                };
                let min_decimals = number(b"min-decimal-places")
                    .unwrap_or(decimals)
                    .min(decimals);
                let grouping = attr(e, b"grouping").as_deref() == Some("true");
                // Digits shown in tens of places or decimals are not a HAWB's: not turned into a code.
                if decimals > 30 || number(b"min-integer-digits").unwrap_or(0) > 30 {
                    self.unknown = true;
                }
                self.parts.push(Part::Number {
                    decimals,
                    min_decimals,
                    min_integers: number(b"min-integer-digits").unwrap_or(0).min(30),
                    grouping,
                });
                if attr(e, b"display-factor").is_some_and(|f| f.trim() != "1") {
                    // The number is shown divided (thousands, millions).
                    self.unknown = true;
                }
            }
            // A condition: numbers it holds for are shown in another data style.
            b"style:map" => {
                self.maps.extend(attr(e, b"apply-style-name"));
                self.unknown = true;
            }
            // Literal text, and what only colours or fills: nothing more to read.
            b"number:text" | b"style:text-properties" | b"number:fill-character" => {}
            // Conditions (another style for negative numbers), scientific numbers, fractions, text
            // inside the number, currency symbols, date parts: not turned into a code.
            _ => self.unknown = true,
        }
    }

    fn info(&self) -> DataInfo {
        let mut numbers = self.parts.iter().filter_map(|p| match p {
            Part::Number { decimals, .. } => Some(*decimals),
            _ => None,
        });
        let decimals = match (numbers.next(), numbers.next()) {
            (Some(d), None) => Some(d),
            _ => None,
        };
        DataInfo {
            format: self.format(),
            decimals,
            maps: self.maps.clone(),
        }
    }

    /// The format this data style shows numbers in.
    fn format(&self) -> NumFmt {
        match self.kind {
            Kind::Date => return NumFmt::Date,
            Kind::Text => return NumFmt::Text,
            Kind::Other => return NumFmt::Unknown,
            Kind::Number | Kind::Percentage => {}
        }
        if self.unknown {
            return NumFmt::Unknown;
        }
        // The number alone, shown as in General (LibreOffice's Standard); with text around it, or as a
        // percentage, a format mawb does not reproduce.
        if self.parts.iter().any(|p| matches!(p, Part::General)) {
            let alone = self.parts.len() == 1 && self.kind == Kind::Number;
            return if alone {
                NumFmt::General
            } else {
                NumFmt::Unknown
            };
        }
        let mut code = String::new();
        let mut numbers = 0;
        for part in &self.parts {
            match part {
                Part::General => {}
                Part::Literal(t) if t.is_empty() => {}
                // A `"` cannot be written inside an Excel literal.
                Part::Literal(t) if t.contains('"') => return NumFmt::Unknown,
                // LibreOffice writes the percent sign of a percentage style as a literal.
                Part::Literal(t) if self.kind == Kind::Percentage && t == "%" => code.push('%'),
                Part::Literal(t) => {
                    code.push('"');
                    code.push_str(t);
                    code.push('"');
                }
                Part::Number {
                    decimals,
                    min_decimals,
                    min_integers,
                    grouping,
                } => {
                    numbers += 1;
                    let integers = "0".repeat((*min_integers).max(1));
                    if *grouping && *min_integers <= 1 {
                        code.push_str("#,##0");
                    } else if *grouping {
                        code.push_str("#,");
                        code.push_str(&integers);
                    } else if *min_integers == 0 {
                        code.push('#');
                    } else {
                        code.push_str(&integers);
                    }
                    if *decimals > 0 {
                        code.push('.');
                        code.push_str(&"0".repeat(*min_decimals));
                        code.push_str(&"#".repeat(decimals - min_decimals));
                    }
                }
            }
        }
        // A style without its number (only text) or with two: not a number's format.
        if numbers != 1 {
            return NumFmt::Unknown;
        }
        if self.kind == Kind::Percentage && !code.contains('%') {
            code.push('%');
        }
        NumFmt::parse(&code)
    }
}

#[cfg(test)]
mod tests;
