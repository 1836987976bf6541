//! Reading HAWB spreadsheets row by row: csv and delimited text (`csv_reader`), xlsx/xlsm/xlsb/
//! xls/ods through calamine (`workbook`), chosen by the file's content. Rows stream into a
//! [`RowSink`] (the assembler), so a csv of any size is read in bounded memory, and a row cap stops runaway
//! files early with a clear problem.
//!
//! This module holds what both readers share: the row as the assembler sees it ([`RowRef`]), the search
//! for the header row below a title block, the header problems and the row cap.

use super::cell::Stored;
use super::columns::{ColumnAliases, HeaderMap};
use super::filetype::FileKind;
use super::numfmt::NumFmt;
use crate::problem::*;
use calamine::{Data, DataRef};
use std::path::Path;

/// Limits that keep a hostile or broken file from exhausting memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Maximum data rows read from one file.
    pub max_rows: usize,
    /// Maximum total uncompressed size of a zip-based workbook (xlsx, xlsb, ods): zip bomb protection.
    pub max_unzipped: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_rows: 500_000,
            max_unzipped: 512 * 1024 * 1024,
        }
    }
}

/// How one file is read: the limits, and what to do with content the user cannot see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadOptions {
    pub limits: ReadLimits,
    /// Read hidden and very hidden sheets (`hidden_sheets = "read"`); skipped with a warning otherwise.
    pub read_hidden_sheets: bool,
    /// Read hidden and filtered-out rows (`hidden_rows = "read"`); skipped with a warning otherwise.
    pub read_hidden_rows: bool,
    /// Read hidden columns of xlsx sheets (`hidden_columns = "read"`); skipped with a warning otherwise.
    pub read_hidden_columns: bool,
    /// When reading must stop (`--read-timeout`): checked between rows, the summary says it was reached.
    pub deadline: Option<std::time::Instant>,
}

/// Rows read between two looks at the clock for [`ReadOptions::deadline`]: reading the clock on every row
/// cost about 1% of a csv's read, and 64 rows take well under a millisecond.
pub const DEADLINE_STRIDE: usize = 64;

impl ReadOptions {
    /// Whether the deadline has passed.
    pub fn past_deadline(&self) -> bool {
        self.deadline
            .is_some_and(|d| std::time::Instant::now() >= d)
    }

    /// [`Self::past_deadline`] for the `n`th row of a reading loop (from 0), looked at on every
    /// [`DEADLINE_STRIDE`]th row only, the first included.
    pub fn past_deadline_at(&self, n: usize) -> bool {
        n.is_multiple_of(DEADLINE_STRIDE) && self.past_deadline()
    }
}

/// How many non-blank rows at the top of a sheet are searched for the header row (title blocks above it).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// The number formats of a workbook's cells, by style id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formats {
    pub by_style: Vec<NumFmt>,
    /// The format of a cell whose style is unknown: `General` in xlsx, `Unknown` where formats are hidden.
    pub fallback: NumFmt,
}

/// The formats of a file type whose number formats mawb cannot see (ods).
pub static UNKNOWN_FORMATS: Formats = Formats {
    by_style: Vec::new(),
    fallback: NumFmt::Unknown,
};

/// The style id that marks a formula cell whose result the file does not store.
pub const FORMULA_WITHOUT_VALUE: u32 = u32::MAX;

/// A csv record's fields as text, borrowed from the reader's `csv::ByteRecord`: the record's bytes are
/// checked as UTF-8 in one pass, where `csv::StringRecord` checks a record holding any non-ASCII byte
/// field by field, and each field is a slice of that text at the record's own bounds.
#[derive(Clone, Copy)]
pub struct CsvRecord<'a> {
    text: &'a str,
    /// A byte of the record starts an invisible character ([`super::cell::INVISIBLE_LEADS`]): one
    /// search over the record spares that look in each of its cells.
    may_hold_invisible: bool,
    /// Where the fields are in `text`; every bound is a character boundary.
    record: &'a csv::ByteRecord,
}

impl<'a> CsvRecord<'a> {
    /// The fields of `record` as text; `None` when a field is not UTF-8 (the record's bytes are not, or
    /// a character spans two fields).
    pub fn new(record: &'a csv::ByteRecord) -> Option<CsvRecord<'a>> {
        let text = std::str::from_utf8(record.as_slice()).ok()?;
        // In ASCII text every byte is a boundary; otherwise each field's end must be one.
        let ascii = text.is_ascii();
        if !ascii
            && !(0..record.len()).all(|i| {
                record
                    .range(i)
                    .is_some_and(|r| text.is_char_boundary(r.end))
            })
        {
            return None;
        }
        let may_hold_invisible = !ascii && super::cell::bytes_may_hold_invisible(text);
        Some(CsvRecord {
            text,
            may_hold_invisible,
            record,
        })
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.record.len()
    }

    /// Whether the record has no field.
    pub fn is_empty(&self) -> bool {
        self.record.is_empty()
    }

    /// Field `i`, if the record has it.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        self.text.get(self.record.range(i)?)
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let record = *self;
        (0..record.len()).filter_map(move |i| record.get(i))
    }

    /// The fields' text without separators (to count the line breaks inside fields).
    pub fn as_str(&self) -> &'a str {
        self.text
    }
}

/// One data row, borrowed from the reader.
pub enum RowRef<'a> {
    Csv(CsvRecord<'a>),
    /// Cells of a sheet loaded whole (xls, xlsb, ods), with the number formats `formats` gives by column:
    /// every number's in xls and xlsb, an ods cell's typed as a percentage or a currency; not visible
    /// otherwise.
    /// `no_value`: the columns (0-based, ascending) of cells holding a formula whose result the file does
    /// not store (an ods or xls written by a program).
    Sheet {
        cells: &'a [Data],
        formats: &'a [NumFmt],
        no_value: &'a [u32],
    },
    /// Cells streamed from an xlsx sheet (shared strings borrowed, not copied), with their style ids and
    /// the workbook's formats.
    Xlsx {
        cells: &'a [DataRef<'a>],
        styles: &'a [u32],
        formats: &'a Formats,
    },
}

impl<'a> RowRef<'a> {
    /// A cell as the reader stored it.
    ///
    /// A csv field is found here, inlined where cells are read; a sheet's cell by
    /// [`RowRef::stored_in_sheet`].
    #[inline(always)]
    pub fn stored(&self, col: usize) -> Stored<'a> {
        match self {
            RowRef::Csv(r) => r.get(col).map_or(Stored::Blank, Stored::Text),
            _ => self.stored_in_sheet(col),
        }
    }

    /// [`RowRef::stored`] of a sheet's cell (xls, xlsx, xlsb, ods).
    fn stored_in_sheet(&self, col: usize) -> Stored<'a> {
        match self {
            RowRef::Csv(r) => r.get(col).map_or(Stored::Blank, Stored::Text),
            RowRef::Sheet {
                cells,
                formats,
                no_value,
            } => {
                // What the reader holds for such a cell is nothing (ods) or the writer's placeholder
                // (xls: an empty string or 0), never what the spreadsheet shows.
                if no_value.binary_search(&(col as u32)).is_ok() {
                    return Stored::FormulaNoValue;
                }
                let cell = cells.get(col);
                cell.map_or(Stored::Blank, |c| {
                    stored_data(c, formats.get(col).unwrap_or(&UNKNOWN_FORMATS.fallback))
                })
            }
            RowRef::Xlsx {
                cells,
                styles,
                formats,
            } => {
                let style = styles.get(col).copied();
                let cell = cells.get(col);
                if style == Some(FORMULA_WITHOUT_VALUE) {
                    return match cell {
                        None | Some(DataRef::Empty) => Stored::FormulaNoValue,
                        Some(DataRef::String(s)) if s.is_empty() => Stored::FormulaNoValue,
                        Some(DataRef::SharedString("")) => Stored::FormulaNoValue,
                        Some(other) => stored_data_ref(other, &formats.fallback),
                    };
                }
                let fmt = style
                    .and_then(|s| formats.by_style.get(s as usize))
                    .unwrap_or(&formats.fallback);
                cell.map_or(Stored::Blank, |c| stored_data_ref(c, fmt))
            }
        }
    }

    /// Whether a text cell of the row may hold an invisible character: false only for a csv record
    /// without a byte that starts one (see [`super::cell::read_cell`]); true where the reader cannot tell.
    #[inline]
    pub fn may_hold_invisible(&self) -> bool {
        match self {
            RowRef::Csv(r) => r.may_hold_invisible,
            RowRef::Sheet { .. } | RowRef::Xlsx { .. } => true,
        }
    }

    /// Whether a text cell of the row satisfies `f` (labels such as "TOTAL").
    pub fn any_text(&self, f: impl Fn(&str) -> bool) -> bool {
        match self {
            RowRef::Csv(r) => r.iter().any(&f),
            RowRef::Sheet { cells, .. } => cells.iter().any(|c| match c {
                Data::String(s) => f(s),
                _ => false,
            }),
            RowRef::Xlsx { cells, .. } => cells.iter().any(|c| match c {
                DataRef::String(s) => f(s),
                DataRef::SharedString(s) => f(s),
                _ => false,
            }),
        }
    }

    /// The row's cells as header text (numbers as their shortest text).
    pub fn header_texts(&self) -> Vec<String> {
        match self {
            RowRef::Csv(r) => r.iter().map(String::from).collect(),
            RowRef::Sheet { cells, .. } => cells.iter().map(header_text).collect(),
            RowRef::Xlsx { cells, .. } => cells
                .iter()
                .map(|c| match c {
                    DataRef::SharedString(s) => s.to_string(),
                    DataRef::String(s) => s.clone(),
                    DataRef::Empty => String::new(),
                    other => header_text(&Data::from(other.clone())),
                })
                .collect(),
        }
    }

    /// Whether every cell is blank (blank rows are skipped, never an item).
    pub fn is_blank(&self) -> bool {
        match self {
            RowRef::Csv(r) => r.iter().all(|c| c.trim().is_empty()),
            RowRef::Sheet {
                cells, no_value, ..
            } => {
                no_value.is_empty()
                    && cells.iter().all(|c| match c {
                        Data::Empty => true,
                        Data::String(s) => s.trim().is_empty(),
                        _ => false,
                    })
            }
            RowRef::Xlsx { cells, styles, .. } => {
                cells.iter().all(|c| match c {
                    DataRef::Empty => true,
                    DataRef::String(s) => s.trim().is_empty(),
                    DataRef::SharedString(s) => s.trim().is_empty(),
                    _ => false,
                }) && !styles.contains(&FORMULA_WITHOUT_VALUE)
            }
        }
    }
}

/// A header cell as text.
fn header_text(c: &Data) -> String {
    match c {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        Data::Float(f) => float_text(*f),
        other => other.to_string(),
    }
}

fn stored_data<'a>(c: &'a Data, fmt: &'a NumFmt) -> Stored<'a> {
    match c {
        Data::Empty => Stored::Blank,
        Data::String(s) => Stored::Text(s),
        Data::Float(f) => Stored::Number(*f, fmt),
        Data::Int(i) => Stored::Number(*i as f64, fmt),
        Data::Bool(b) => Stored::Bool(*b),
        Data::DateTime(d) => Stored::Date(d),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Stored::Date(s),
        Data::Error(e) => Stored::Error(e),
    }
}

fn stored_data_ref<'a>(c: &'a DataRef<'a>, fmt: &'a NumFmt) -> Stored<'a> {
    match c {
        DataRef::Empty => Stored::Blank,
        DataRef::String(s) => Stored::Text(s),
        DataRef::SharedString(s) => Stored::Text(s),
        DataRef::Float(f) => Stored::Number(*f, fmt),
        DataRef::Int(i) => Stored::Number(*i as f64, fmt),
        DataRef::Bool(b) => Stored::Bool(*b),
        DataRef::DateTime(d) => Stored::Date(d),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Stored::Date(s),
        DataRef::Error(e) => Stored::Error(e),
    }
}

/// The shortest decimal text that reads back as the same float: Excel's 1.125 is "1.125", 0.1 is "0.1",
/// an integer-valued 2.0 is "2". Used for header cells; data cells go through [`super::cell`].
pub fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Receives the rows of one file.
pub trait RowSink {
    /// A new sheet starts with this header (row number as the user sees it).
    fn begin_sheet(&mut self, sheet: &str, header: &HeaderMap, header_row: u32);
    /// One data row.
    fn row(&mut self, row: u32, cells: &RowRef<'_>);
    /// A problem found while reading.
    fn problem(&mut self, p: Problem);
}

/// What reading one file found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReadSummary {
    pub sheets_read: Vec<String>,
    pub sheets_skipped: Vec<String>,
    pub rows: usize,
    /// Reading stopped at the deadline of [`ReadOptions`].
    pub timed_out: bool,
}

/// Reads one spreadsheet of known kind into `sink`. `name` is how problems name the file.
pub fn read_file(
    path: &Path,
    name: &str,
    kind: FileKind,
    aliases: &ColumnAliases,
    opts: ReadOptions,
    sink: &mut dyn RowSink,
) -> ReadSummary {
    let mut summary = ReadSummary::default();
    match kind {
        FileKind::Text => super::csv_reader::read_csv(path, name, aliases, opts, sink, &mut summary),
        FileKind::Xlsx | FileKind::Xlsb | FileKind::Ods | FileKind::Ole2 => {
            super::workbook::read_workbook(path, name, kind, aliases, opts, sink, &mut summary)
        }
        FileKind::NonUtf8Text => sink.problem(Problem::new(
            &FILE_NOT_UTF8,
            name,
            "the file is text but not UTF-8 (a legacy encoding such as Windows-1252, Latin-1 or Shift-JIS): in Excel use \"Save As > CSV UTF-8\" (or \"Unicode Text\")",
        )),
        other => sink.problem(Problem::new(
            &FILE_NOT_SPREADSHEET,
            name,
            format!(
                "the file's content is {}, not a spreadsheet or csv: open it in the program that made it and save it as .xlsx or \"CSV UTF-8\"",
                other.name()
            ),
        )),
    }
    summary
}

/// The search for a sheet's header row among its first non-blank rows.
#[derive(Debug, Default)]
pub struct HeaderSearch {
    first_row: Option<u32>,
    seen: usize,
}

/// What one row tells the header search.
pub enum Header {
    /// This row is the header.
    Found(Box<HeaderMap>),
    /// Not this row; keep looking.
    NotYet,
    /// No header among the first [`HEADER_SEARCH_ROWS`] non-blank rows.
    GiveUp,
}

impl HeaderSearch {
    /// Offers a non-blank row (its cells as text).
    pub fn offer<'t>(
        &mut self,
        row: u32,
        cells: impl IntoIterator<Item = &'t str>,
        aliases: &ColumnAliases,
    ) -> Header {
        self.first_row.get_or_insert(row);
        self.seen += 1;
        let h = HeaderMap::from_cells(cells, aliases);
        if h.is_hawb_header() {
            Header::Found(Box::new(h))
        } else if self.seen >= HEADER_SEARCH_ROWS {
            Header::GiveUp
        } else {
            Header::NotYet
        }
    }

    /// The first non-blank row offered.
    pub fn first_row(&self) -> Option<u32> {
        self.first_row
    }

    /// Whether any non-blank row was offered.
    pub fn saw_rows(&self) -> bool {
        self.seen > 0
    }

    /// Accepts the header found on `row`: reports it (and the title block above it) and starts the sheet.
    pub fn accept(&self, name: &str, sheet: &str, h: &HeaderMap, row: u32, sink: &mut dyn RowSink) {
        if let Some(first) = self.first_row.filter(|&f| f < row) {
            sink.problem(
                Problem::new(
                    &HEADER_BELOW_TITLE,
                    name,
                    format!(
                        "row {row} was taken as the header row; the rows above it ({first} to {}) look like a title block and were not read",
                        row - 1
                    ),
                )
                .sheet(sheet)
                .at(row),
            );
        }
        report_header(name, sheet, h, row, sink);
        sink.begin_sheet(sheet, h, row);
    }
}

/// Stops a file at the row cap, with the problem that says so.
pub(super) fn row_cap_reached(
    summary: &ReadSummary,
    limits: ReadLimits,
    name: &str,
    sheet: &str,
    row: u32,
    sink: &mut dyn RowSink,
) -> bool {
    let reached = summary.rows >= limits.max_rows;
    if reached {
        sink.problem(
            Problem::new(
                &FILE_TOO_LARGE,
                name,
                format!(
                    "more than {} rows: split the MAWB or raise --max-rows",
                    limits.max_rows
                ),
            )
            .sheet(sheet)
            .at(row),
        );
    }
    reached
}

/// Problems about a header row that was accepted: missing required columns, duplicates, unknown headers.
fn report_header(name: &str, sheet: &str, h: &HeaderMap, row: u32, sink: &mut dyn RowSink) {
    for f in h.missing_required() {
        let what = match f {
            super::columns::Field::TrackingNumber => {
                "neither trackingNumber nor shipperItemId".to_string()
            }
            super::columns::Field::ConsigneeName => {
                "neither consigneeName nor consigneeCompany".to_string()
            }
            _ => f.name().to_string(),
        };
        sink.problem(
            Problem::new(
                &MISSING_COLUMN,
                name,
                format!(
                    "the header row has no column for {what}; add it or map it in columns.toml"
                ),
            )
            .sheet(sheet)
            .at(row)
            .column(f.name()),
        );
    }
    for (f, first, again) in &h.duplicates {
        let text = |i: usize| h.texts.get(i).map(String::as_str).unwrap_or("");
        sink.problem(
            Problem::new(
                &DUPLICATE_COLUMN,
                name,
                format!(
                    "columns {} (\"{}\") and {} (\"{}\") both name {}; say which one is {} in a columns.toml beside the spreadsheet, e.g. {}",
                    column_letter(*first),
                    text(*first),
                    column_letter(*again),
                    text(*again),
                    f.name(),
                    f.name(),
                    duplicate_fix(*f, text(*first), text(*again)),
                ),
            )
            .sheet(sheet)
            .at(row)
            .column(f.name()),
        );
    }
    if !h.unknown.is_empty() {
        sink.problem(
            Problem::new(
                &UNKNOWN_COLUMN,
                name,
                format!(
                    "ignored columns (map them in columns.toml if they matter): {}",
                    h.unknown.join(", ")
                ),
            )
            .sheet(sheet)
            .at(row),
        );
    }
}

/// The `columns.toml` line that resolves two columns naming one field: a HAWB number column becomes the
/// shipperItemId, anything else is ignored.
fn duplicate_fix(f: super::columns::Field, first: &str, again: &str) -> String {
    use super::columns::{normalise_header, Field};
    let hawb = |t: &str| normalise_header(t).contains("hawb");
    match f {
        Field::TrackingNumber if hawb(first) => format!("\"{first}\" = \"shipperItemId\""),
        Field::TrackingNumber if hawb(again) => format!("\"{again}\" = \"shipperItemId\""),
        _ => format!("\"{again}\" = \"ignore\" (or another column name)"),
    }
}

/// Spreadsheet column letters (0 → A, 27 → AB).
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_are_text_field_by_field() {
        let b = csv::ByteRecord::from(vec!["1Z1", "", "Café Olé", "김민준", ""]);
        let r = CsvRecord::new(&b).expect("UTF-8");
        assert_eq!(r.len(), 5);
        assert_eq!(
            r.iter().collect::<Vec<_>>(),
            ["1Z1", "", "Café Olé", "김민준", ""]
        );
        assert_eq!((r.get(2), r.get(5)), (Some("Café Olé"), None));
        assert_eq!(r.as_str(), "1Z1Café Olé김민준");
        let empty = csv::ByteRecord::new();
        assert!(CsvRecord::new(&empty).is_some_and(|r| r.is_empty()));
    }

    #[test]
    fn a_record_says_whether_a_cell_may_hold_an_invisible_character() {
        let may = |fields: Vec<&str>| {
            let b = csv::ByteRecord::from(fields);
            RowRef::Csv(CsvRecord::new(&b).expect("UTF-8")).may_hold_invisible()
        };
        assert!(!may(vec!["1Z1", "Ann", "10"]));
        assert!(!may(vec!["Café Olé", "김민준", ""]));
        for hidden in ["a\u{A0}b", "\u{AD}", "x\u{200B}", "\u{2060}", "\u{FEFF}1"] {
            assert!(may(vec!["1Z1", "Café", hidden]), "{hidden:?}");
        }
        // A character that merely starts like one (an ellipsis, a euro sign) is looked at cell by cell.
        assert!(may(vec!["…"]) && may(vec!["€"]));
        let cells: [Data; 0] = [];
        assert!(RowRef::Sheet {
            cells: &cells,
            formats: &[],
            no_value: &[]
        }
        .may_hold_invisible());
    }

    #[test]
    fn csv_records_that_are_not_utf8_are_refused_as_csv_refuses_them() {
        let cases: [&[&[u8]]; 3] = [
            &[b"ok", b"\xFF"],
            // Valid once the fields are joined, but a character cut in two by a separator.
            &[b"caf\xC3", b"\xA9"],
            &[b"\xE2\x82", b"\xAC", b"x"],
        ];
        for fields in cases {
            let b = csv::ByteRecord::from(fields.to_vec());
            assert!(CsvRecord::new(&b).is_none(), "{fields:?}");
            assert!(csv::StringRecord::from_byte_record(b).is_err());
        }
    }

    #[test]
    fn the_deadline_is_looked_at_every_stride_from_the_first_row() {
        let passed = ReadOptions {
            deadline: Some(std::time::Instant::now()),
            ..Default::default()
        };
        assert!(passed.past_deadline_at(0) && passed.past_deadline_at(DEADLINE_STRIDE));
        assert!(!passed.past_deadline_at(1) && !passed.past_deadline_at(DEADLINE_STRIDE - 1));
        let none = ReadOptions::default();
        assert!(!none.past_deadline_at(0));
    }

    #[test]
    fn floats_become_their_shortest_exact_text() {
        assert_eq!(float_text(1.125), "1.125");
        assert_eq!(float_text(2.0), "2");
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(-3.5), "-3.5");
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(28), "AC");
    }

    #[test]
    fn the_header_is_searched_below_a_title_block() {
        let a = ColumnAliases::default();
        let mut s = HeaderSearch::default();
        assert!(matches!(
            s.offer(1, ["MAWB 784-17234534"], &a),
            Header::NotYet
        ));
        assert!(matches!(
            s.offer(2, ["Flight CZ1658", "2026-11-03"], &a),
            Header::NotYet
        ));
        let h = s.offer(
            5,
            ["trackingNumber", "consigneeName", "productDescription"],
            &a,
        );
        assert!(matches!(h, Header::Found(_)));
        let mut s = HeaderSearch::default();
        for r in 1..HEADER_SEARCH_ROWS as u32 {
            assert!(matches!(s.offer(r, ["note"], &a), Header::NotYet));
        }
        assert!(matches!(s.offer(99, ["note"], &a), Header::GiveUp));
    }
}
