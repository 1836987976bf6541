//! What a sheet holds that calamine's readers do not report: hidden (or filtered-out) rows, hidden
//! columns, merged cells and formulas whose result the file does not store, of xlsx and ods sheets, and of
//! ods sheets also the cells' value types, error values and number formats (`ods_styles`).
//!
//! Sources: ECMA-376 Part 1 §18.3.1.73 (`row/@hidden`, `row/@ht`: a row of height 0 is not seen),
//! §18.3.1.81 (`sheetFormatPr/@zeroHeight`: rows hidden unless stated), §18.3.1.13 (`col/@hidden`,
//! `col/@width` 0), §18.3.1.55 (`mergeCell/@ref`), §18.3.1.40 (`f`) and §18.3.1.96 (`v`), sheet names to parts through
//! `xl/workbook.xml` and its relationships (§18.2.19, OPC Part 2 §9.3); OpenDocument 1.3 Part 3 §9.1.6
//! (`table:table-column`, `table:number-columns-repeated`), §9.1.3
//! (`table:table-row`, `table:visibility` "collapse" or "filter", `table:number-rows-repeated`).
//!
//! Written here because calamine exposes neither hidden rows, hidden columns nor missing results (checked
//! against calamine 0.38); its merged regions (`Xlsx::load_merged_regions`) parse every sheet whole a
//! second time, where this scan reads `mergeCells` only in the parts it already parses. Each part is inflated and
//! searched for the few byte patterns that matter (`hidden`, `zeroHeight`, `<f`, `:f`, `visibility`: the
//! local names the parser looks for, whatever their prefix, quotes or spacing); only a part that has one
//! is parsed with quick-xml, so the common export without formulas or hidden rows costs one inflate and
//! one multi-pattern search (aho-corasick). Hidden rows and columns of xls and xlsb sheets are read by
//! [`super::binary_extras`].

use aho_corasick::packed::Searcher;
use quick_xml::events::Event;
use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read, Seek};
use std::sync::LazyLock;

use super::numfmt::NumFmt;

/// Hidden rows and formulas without a stored result of one sheet; rows and columns 1-based / 0-based as
/// the readers use them (rows as the user sees them, columns as calamine indexes them).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SheetExtras {
    /// Rows the user does not see (hidden by hand or by a filter), as inclusive ranges in sheet order.
    pub hidden_rows: Vec<(u32, u32)>,
    /// Cells `(row, column)` holding a formula whose result is not stored, or is stored as 0 in a workbook
    /// the spreadsheet computes again when it opens it (a program's placeholder, not a result).
    pub formulas_without_value: HashSet<(u32, u32)>,
    /// Columns (0-based) the user does not see (hidden, or of width 0), as inclusive ranges.
    pub hidden_columns: Vec<(u32, u32)>,
    /// Merged areas that span more than one row, in the order the file lists them.
    pub merged: Vec<MergedArea>,
    /// Cells `(row, column)` whose number format the file tells: an ods cell whose value type says how
    /// the number is shown ([`NumFmt::Percentage`], [`NumFmt::Currency`]) or whose cell style's data
    /// style is not General, an xls or xlsb number whose format is not General. The other cells' formats
    /// are not seen, unless `formats_known`.
    pub number_formats: HashMap<(u32, u32), NumFmt>,
    /// Every number's format was read (xls, xlsb, ods whose styles could be read): a number without an
    /// entry in `number_formats` is shown as General, not in a format mawb cannot see.
    pub formats_known: bool,
    /// Cells `(row, column)` an ods file marks as holding an error (`calcext:value-type="error"`, as
    /// LibreOffice writes a formula's error), with the text shown (`#N/A`, `#DIV/0!`): calamine reads them
    /// as that text or as 0.
    pub error_cells: HashMap<(u32, u32), String>,
}

/// A merged area of cells: Excel shows the value of its top-left cell over the whole area and stores
/// nothing in the other cells. Rows 1-based as the user numbers them, columns 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedArea {
    pub first_row: u32,
    pub last_row: u32,
    pub first_col: u32,
    pub last_col: u32,
}

impl MergedArea {
    /// Whether the area holds row `row` and rows below it.
    pub fn runs_below(&self, row: u32) -> bool {
        self.first_row <= row && self.last_row > row
    }

    /// The area as Excel names it (`H2:H4`).
    pub fn a1(&self) -> String {
        format!(
            "{}{}:{}{}",
            super::read::column_letter(self.first_col as usize),
            self.first_row,
            super::read::column_letter(self.last_col as usize),
            self.last_row
        )
    }
}

impl SheetExtras {
    /// Whether `row` (as the user numbers it) is hidden.
    pub fn is_hidden(&self, row: u32) -> bool {
        let i = self.hidden_rows.partition_point(|(_, last)| *last < row);
        self.hidden_rows
            .get(i)
            .is_some_and(|(first, _)| *first <= row)
    }

    /// Adds rows `first..=last` (1-based) to the hidden rows; calls come in row order.
    pub(super) fn hide(&mut self, first: u32, last: u32) {
        match self.hidden_rows.last_mut() {
            Some((_, l)) if l.saturating_add(1) == first => *l = last,
            _ => self.hidden_rows.push((first, last)),
        }
    }

    /// Whether column `col` (0-based) is hidden.
    pub fn is_hidden_column(&self, col: u32) -> bool {
        self.hidden_columns
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&col))
    }

    pub fn is_empty(&self) -> bool {
        self.hidden_rows.is_empty()
            && self.formulas_without_value.is_empty()
            && self.hidden_columns.is_empty()
            && self.merged.is_empty()
            && self.number_formats.is_empty()
            && !self.formats_known
            && self.error_cells.is_empty()
    }
}

/// Scans every worksheet of an xlsx/xlsm archive; sheets are keyed by their name.
pub fn scan<R: Read + Seek>(reader: R) -> Result<HashMap<String, SheetExtras>, String> {
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| format!("corrupt or truncated workbook: {e}"))?;
    let (sheets, recalc) = sheet_parts(&mut zip)?;
    let mut out = HashMap::new();
    for (name, part) in sheets {
        if !needs_parse(&mut zip, &part, &XLSX_MARKS)? {
            continue;
        }
        let extras = parse_sheet(&mut zip, &part, recalc)?;
        if !extras.is_empty() {
            out.insert(name, extras);
        }
    }
    Ok(out)
}

/// A part of the archive; `None` when it is missing, an error naming the part when it cannot be read.
pub(super) fn entry<'a, R: Read + Seek>(
    zip: &'a mut zip::ZipArchive<R>,
    part: &str,
) -> Result<Option<zip::read::ZipFile<'a, R>>, String> {
    match zip.by_name(part) {
        Ok(f) => Ok(Some(f)),
        Err(zip::result::ZipError::FileNotFound) => Ok(None),
        Err(e) => Err(format!("corrupt or truncated workbook ({part}): {e}")),
    }
}

/// The value of the attribute of local name `name` (whatever its prefix).
pub(super) fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// The relationships of a workbook part (`rels`, e.g. `xl/_rels/workbook.xml.rels`): id → the target's
/// path in the archive (relative targets are under `xl/`). Empty when the part is missing.
pub(super) fn relationship_targets<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    rels: &str,
) -> Result<HashMap<String, String>, String> {
    let mut targets: HashMap<String, String> = HashMap::new();
    if let Some(rels) = entry(zip, rels)? {
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(rels));
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e)) | Ok(Event::Empty(e))
                    if e.local_name().as_ref() == b"Relationship" =>
                {
                    if let (Some(id), Some(target)) = (attr(&e, b"Id"), attr(&e, b"Target")) {
                        let path = match target.strip_prefix('/') {
                            Some(abs) => abs.to_string(),
                            None => format!("xl/{target}"),
                        };
                        targets.insert(id, path);
                    }
                }
                Ok(Event::Eof) => break,
                Err(e) => return Err(format!("workbook relationships cannot be read: {e}")),
                _ => {}
            }
            buf.clear();
        }
    }
    Ok(targets)
}

/// Sheet names and their part paths, in workbook order, and whether the workbook asks to be computed
/// again when it is opened (`calcPr/@fullCalcOnLoad`, §18.2.2: programs that write formulas without
/// computing them set it, and store nothing, or 0, as their results).
fn sheet_parts<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
) -> Result<(Vec<(String, String)>, bool), String> {
    let targets = relationship_targets(zip, "xl/_rels/workbook.xml.rels")?;
    let mut sheets = Vec::new();
    let mut recalc = false;
    if let Some(wb) = entry(zip, "xl/workbook.xml")? {
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(wb));
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e)) | Ok(Event::Empty(e))
                    if e.local_name().as_ref() == b"calcPr" =>
                {
                    recalc = matches!(attr(&e, b"fullCalcOnLoad").as_deref(), Some("1" | "true"));
                }
                Ok(Event::Start(e)) | Ok(Event::Empty(e))
                    if e.local_name().as_ref() == b"sheet" =>
                {
                    if let (Some(name), Some(id)) = (attr(&e, b"name"), attr(&e, b"id")) {
                        if let Some(path) = targets.get(&id) {
                            let name = quick_xml::escape::unescape(&name)
                                .map(|n| n.into_owned())
                                .unwrap_or(name);
                            sheets.push((name, path.clone()));
                        }
                    }
                }
                Ok(Event::Eof) => break,
                Err(e) => return Err(format!("workbook.xml cannot be read: {e}")),
                _ => {}
            }
            buf.clear();
        }
    }
    Ok((sheets, recalc))
}

/// What marks an xlsx sheet part worth parsing: a hidden row or column (`hidden="1"`, `hidden='true'`,
/// `x:hidden = "1"`), a zero-height default (`zeroHeight`), a row of height 0 or a column of width 0
/// (` ht="0"`, ` width="0"`, either quote, after a space: `right="0.7"` of the page margins every sheet
/// has must not match), a merged area (`mergeCell`), or a formula (`<f>`, `<f t=…>`,
/// `<x:f>`, `<x:f t=…>`). The parser matches local names, so those marks are the names alone: quotes,
/// spacing and a prefix cannot hide them (a height or width of 0 written with spaces around `=` is the
/// exception). A false hit (`<formula1>` of a data validation, a height of 0.75, a `:f` in a namespace)
/// only costs a parse.
const XLSX_PATTERNS: &[&str] = &[
    "hidden",
    "zeroHeight",
    "<f",
    ":f",
    "mergeCell",
    " ht=\"0",
    " ht='0",
    " width=\"0",
    " width='0",
];

/// What marks an ods `content.xml` worth parsing: a collapsed or filtered-out row or column (`visibility`,
/// the local name the parser matches, whatever its prefix and quotes), a cell typed as a percentage or a
/// currency (`office:value-type`), a formula (`table:formula`, whose result may not be stored), an error
/// value (`calcext:value-type="error"`), a cell merged down (`table:number-rows-spanned`).
const ODS_PATTERNS: &[&str] = &[
    "visibility",
    "percentage",
    "currency",
    "formula",
    "\"error\"",
    "'error'",
    "rows-spanned",
];

/// The most cells of one workbook whose ods value type, missing formula result or error is kept: a `number-columns-repeated` or
/// `number-rows-repeated` over a typed cell is expanded cell by cell, so a pathological file cannot make
/// the map grow without bound (a HAWB sheet has far fewer cells).
const MAX_TYPED_CELLS: usize = 1_000_000;

/// Bytes kept from one read for the next: at least the longest pattern's length less one, so a pattern
/// cut by a read boundary is found whole in the next read (checked for every pattern when compiling).
const OVERLAP: usize = 64;
const _: () =
    assert!(longest(XLSX_PATTERNS) <= OVERLAP + 1 && longest(ODS_PATTERNS) <= OVERLAP + 1);

/// The length of the longest of `patterns`, in bytes.
const fn longest(patterns: &[&str]) -> usize {
    let (mut i, mut most) = (0, 0);
    while i < patterns.len() {
        if patterns[i].len() > most {
            most = patterns[i].len();
        }
        i += 1;
    }
    most
}

/// The patterns as one automaton each: a part is searched once for all of them (with few short patterns
/// aho-corasick searches with SIMD, Teddy), not once per pattern.
static XLSX_MARKS: LazyLock<Option<Searcher>> = LazyLock::new(|| Searcher::new(XLSX_PATTERNS));
static ODS_MARKS: LazyLock<Option<Searcher>> = LazyLock::new(|| Searcher::new(ODS_PATTERNS));

/// Whether a part holds one of the patterns `marks` was built from, searched over the inflated stream
/// with an overlap so a pattern cut by a read boundary is still found. Without an automaton (it could
/// not be built) every part is parsed: slower, never wrong.
fn needs_parse<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    part: &str,
    marks: &Option<Searcher>,
) -> Result<bool, String> {
    let Some(mut f) = entry(zip, part)? else {
        return Ok(false);
    };
    let Some(marks) = marks else {
        return Ok(true);
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut kept = 0usize;
    loop {
        let n = f
            .read(&mut buf[kept..])
            .map_err(|e| format!("corrupt or truncated workbook ({part}): {e}"))?;
        if n == 0 {
            return Ok(false);
        }
        let end = kept + n;
        if marks.find(&buf[..end]).is_some() {
            return Ok(true);
        }
        let keep_from = end.saturating_sub(OVERLAP);
        buf.copy_within(keep_from..end, 0);
        kept = end - keep_from;
    }
}

/// The extras of one xlsx sheet part; `recalc`: the workbook is computed again when opened, so a
/// formula's stored 0 is taken for the placeholder a program that does not compute formulas writes
/// (XlsxWriter), not a result: refused like a missing one. Other stored results are read.
fn parse_sheet<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    part: &str,
    recalc: bool,
) -> Result<SheetExtras, String> {
    let mut extras = SheetExtras::default();
    let Some(f) = entry(zip, part)? else {
        return Ok(extras);
    };
    let bad = |e: &dyn std::fmt::Display| format!("sheet {part} cannot be read: {e}");
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(f));
    let mut buf = Vec::new();
    let mut zero_height = false;
    // The current row (1-based), the current cell (row, col), whether it has a formula and a value.
    let mut row: u32 = 0;
    let mut col: u32 = 0;
    let mut cell: Option<(u32, u32)> = None;
    let (mut has_formula, mut has_value) = (false, false);
    // Whether the cell's stored value is exactly 0: what a program that does not compute its formulas
    // stores as their result (XlsxWriter), in a workbook computed again when opened.
    let mut zero_value = false;
    let mut in_v = false;
    loop {
        let ev = xml.read_event_into(&mut buf).map_err(|e| bad(&e))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                match e.local_name().as_ref() {
                    b"sheetFormatPr" => {
                        zero_height =
                            matches!(attr(e, b"zeroHeight").as_deref(), Some("1" | "true"));
                    }
                    b"row" => {
                        row = attr(e, b"r")
                            .and_then(|r| r.parse().ok())
                            .unwrap_or(row + 1);
                        col = 0;
                        let hidden = match attr(e, b"hidden").as_deref() {
                            Some("1" | "true") => true,
                            Some(_) => false,
                            None => zero_height,
                        } || is_zero(attr(e, b"ht").as_deref());
                        if hidden {
                            extras.hide(row, row);
                        }
                    }
                    b"c" => {
                        let pos = attr(e, b"r")
                            .and_then(|r| cell_ref(&r))
                            .unwrap_or((row, col));
                        col = pos.1 + 1;
                        cell = Some(pos);
                        has_formula = false;
                        has_value = false;
                        zero_value = false;
                        if empty {
                            cell = None;
                        }
                    }
                    b"col" => {
                        let hidden = matches!(attr(e, b"hidden").as_deref(), Some("1" | "true"))
                            || is_zero(attr(e, b"width").as_deref());
                        let bound = |name: &[u8]| attr(e, name).and_then(|v| v.parse::<u32>().ok());
                        if let (true, Some(min), Some(max)) = (hidden, bound(b"min"), bound(b"max"))
                        {
                            if min >= 1 && max >= min {
                                extras.hidden_columns.push((min - 1, max - 1));
                            }
                        }
                    }
                    b"mergeCell" => {
                        let area = attr(e, b"ref").and_then(|r| {
                            let (a, b) = r.split_once(':')?;
                            let ((r1, c1), (r2, c2)) = (cell_ref(a)?, cell_ref(b)?);
                            Some(MergedArea {
                                first_row: r1.min(r2),
                                last_row: r1.max(r2),
                                first_col: c1.min(c2),
                                last_col: c1.max(c2),
                            })
                        });
                        if let Some(area) = area.filter(|a| a.last_row > a.first_row) {
                            extras.merged.push(area);
                        }
                    }
                    b"f" => has_formula = true,
                    b"v" | b"is" if !empty => in_v = true,
                    _ => {}
                }
            }
            Event::Text(ref t) if in_v => {
                let bytes: &[u8] = t;
                if !bytes.iter().all(u8::is_ascii_whitespace) {
                    has_value = true;
                    zero_value = bytes.trim_ascii() == b"0";
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                b"v" | b"is" => in_v = false,
                b"c" => {
                    if let Some((r, c)) = cell.take() {
                        if has_formula && (!has_value || (recalc && zero_value)) {
                            extras.formulas_without_value.insert((r, c));
                        }
                    }
                }
                // `mergeCells` follow `sheetData`: read on to the end.
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(extras)
}

/// Scans `content.xml` of an ods workbook for hidden and filtered-out rows and hidden columns, merged
/// cells, formulas without a result, error cells and each number's format (its cell style's, read by
/// [`super::ods_styles`]); sheets keyed by their name.
pub fn scan_ods<R: Read + Seek>(reader: R) -> Result<HashMap<String, SheetExtras>, String> {
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| format!("corrupt or truncated workbook: {e}"))?;
    let mut out = HashMap::new();
    const PART: &str = "content.xml";
    // The number formats of the cell styles; none when they cannot be read (the numbers' formats are then
    // not seen, as the marks alone decide whether the cells are read).
    let styles = ods_styles(&mut zip);
    if styles.is_none() && !needs_parse(&mut zip, PART, &ODS_MARKS)? {
        return Ok(out);
    }
    let Some(f) = entry(&mut zip, PART)? else {
        return Ok(out);
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(f));
    let mut buf = Vec::new();
    let mut sheet: Option<(String, SheetExtras)> = None;
    let (mut row, mut col): (u32, u32) = (0, 0);
    // The rows (first, last) of the row being read, and the column of its next cell.
    let (mut rows, mut cell) = ((0u32, 0u32), 0u32);
    let mut typed_cells = 0usize;
    // The cells of the error cell being read (rows, columns), until its text is read.
    let mut error_at: Option<((u32, u32), (u32, u32))> = None;
    // The default cell style of each column of the sheet (`table:default-cell-style-name`), and of the
    // row being read; whether a sheet had more number formats than are kept.
    let mut column_styles: Vec<(u32, u32, String)> = Vec::new();
    let mut row_style: Option<String> = None;
    let mut formats_cut = false;
    loop {
        let ev = xml
            .read_event_into(&mut buf)
            .map_err(|e| format!("content.xml cannot be read: {e}"))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => match e.name().as_ref() {
                b"table:table" if matches!(ev, Event::Start(_)) => {
                    sheet = Some((attr(e, b"name").unwrap_or_default(), SheetExtras::default()));
                    (row, col) = (0, 0);
                    column_styles.clear();
                    formats_cut = false;
                }
                // Columns are described in order, before the rows (OpenDocument 1.3 Part 3 §9.1.6).
                b"table:table-column" => {
                    let repeated: u32 = repeated(e, b"number-columns-repeated");
                    let first = col;
                    col = col.saturating_add(repeated);
                    if let Some(style) = attr(e, b"default-cell-style-name") {
                        column_styles.push((first, col - 1, style));
                    }
                    let hidden = collapsed(e);
                    if let (true, Some((_, extras))) = (hidden, sheet.as_mut()) {
                        extras.hidden_columns.push((first, col - 1));
                    }
                }
                b"table:table-row" => {
                    let repeated: u32 = repeated(e, b"number-rows-repeated");
                    let first = row.saturating_add(1);
                    row = row.saturating_add(repeated);
                    (rows, cell) = ((first, row), 0);
                    row_style = attr(e, b"default-cell-style-name");
                    let hidden = collapsed(e);
                    if let (true, Some((_, extras))) = (hidden, sheet.as_mut()) {
                        extras.hide(first, row);
                    }
                }
                // Cells in order, covered ones (under a merge) included (§9.1.4, §9.1.5).
                b"table:table-cell" | b"table:covered-table-cell" => {
                    let repeated: u32 = repeated(e, b"number-columns-repeated");
                    let first = cell;
                    cell = cell.saturating_add(repeated);
                    // A number's format is its cell style's, else its row's or column's default
                    // (OpenDocument 1.3 Part 3 §9.1.4); General ones are not kept. A cell typed as
                    // a percentage or a currency is shown as one whatever its style (§19.389).
                    let value_type = attr(e, b"value-type");
                    let currency = attr(e, b"currency").unwrap_or_default();
                    if let (Some("float" | "percentage" | "currency"), Some((_, extras))) =
                        (value_type.as_deref(), sheet.as_mut())
                    {
                        let own = attr(e, b"style-name").or_else(|| row_style.clone());
                        for c in first..cell {
                            let style = own.as_deref().or_else(|| {
                                column_styles
                                    .iter()
                                    .find(|(a, b, _)| (*a..=*b).contains(&c))
                                    .map(|(_, _, s)| s.as_str())
                            });
                            let format = match (value_type.as_deref(), &styles) {
                                (Some("percentage"), _) => NumFmt::Percentage,
                                (Some("currency"), styles) => NumFmt::Currency(
                                    currency.as_str().into(),
                                    styles.as_ref().and_then(|s| s.currency_decimals(style)),
                                ),
                                (_, Some(styles)) => styles.format_of(style),
                                (_, None) => continue,
                            };
                            if format == NumFmt::General {
                                continue;
                            }
                            let cells = repeated_cells(rows, c..c + 1, &mut typed_cells);
                            formats_cut |= cells.len() < (rows.1 - rows.0 + 1) as usize;
                            for at in cells {
                                extras.number_formats.insert(at, format.clone());
                            }
                        }
                    }
                    // A formula whose result the file does not store: no value type (§19.389) with
                    // it, as a program that writes formulas leaves it; a spreadsheet always stores one.
                    let no_result =
                        attr(e, b"formula").is_some() && attr(e, b"value-type").is_none();
                    if let (true, Some((_, extras))) = (no_result, sheet.as_mut()) {
                        for at in repeated_cells(rows, first..cell, &mut typed_cells) {
                            extras.formulas_without_value.insert(at);
                        }
                    }
                    // A cell merged over the rows below it (`table:number-rows-spanned`, OpenDocument
                    // 1.3 Part 3 §9.1.4); the cells it covers are `covered-table-cell`s without a value.
                    let spanned = |name: &[u8]| attr(e, name).and_then(|n| n.parse::<u32>().ok());
                    if let (Some(down), Some((_, extras))) = (
                        spanned(b"number-rows-spanned").filter(|&n| n > 1),
                        sheet.as_mut(),
                    ) {
                        let across = spanned(b"number-columns-spanned").unwrap_or(1).max(1);
                        extras.merged.push(MergedArea {
                            first_row: rows.0,
                            last_row: rows.0.saturating_add(down - 1),
                            first_col: first,
                            last_col: first.saturating_add(across - 1),
                        });
                    }
                    // LibreOffice's error result: `calcext:value-type="error"` beside an
                    // `office:value-type` of string or float (no ODF value type is "error").
                    let error = e.attributes().flatten().any(|a| {
                        a.key.local_name().as_ref() == b"value-type" && a.value.as_ref() == b"error"
                    });
                    error_at = None;
                    if let (true, Some((_, extras))) = (error, sheet.as_mut()) {
                        for at in repeated_cells(rows, first..cell, &mut typed_cells) {
                            extras.error_cells.insert(at, String::new());
                        }
                        error_at = Some((rows, (first, cell)));
                    }
                }
                _ => {}
            },
            Event::Text(ref t) if error_at.is_some() && !t.iter().all(u8::is_ascii_whitespace) => {
                if let (Some((rows, cols)), Some((_, extras))) = (error_at.take(), sheet.as_mut()) {
                    let shown = String::from_utf8_lossy(t).trim().to_string();
                    for r in rows.0..=rows.1 {
                        for c in cols.0..cols.1 {
                            if let Some(text) = extras.error_cells.get_mut(&(r, c)) {
                                text.clone_from(&shown);
                            }
                        }
                    }
                }
            }
            Event::End(ref e) if e.name().as_ref() == b"table:table-cell" => error_at = None,
            Event::End(ref e) if e.name().as_ref() == b"table:table" => {
                if let Some((name, mut extras)) = sheet.take() {
                    // Every number's format was read: one without an entry is shown as General.
                    extras.formats_known = styles.is_some() && !formats_cut;
                    if !extras.is_empty() {
                        out.insert(name, extras);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// The cell and data styles of an ods workbook (`styles.xml`, and `content.xml`'s automatic styles);
/// `None` when a part cannot be read.
fn ods_styles<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
) -> Option<super::ods_styles::OdsStyles> {
    let mut styles = super::ods_styles::OdsStyles::default();
    for part in ["styles.xml", "content.xml"] {
        if let Some(f) = entry(zip, part).ok()? {
            styles.read_part(BufReader::new(f)).ok()?;
        }
    }
    Some(styles)
}

/// The cells `(row, column)` one ods cell element stands for: rows `rows.0..=rows.1` (a repeated row)
/// by the columns `cols` (a repeated cell), at most what is left of [`MAX_TYPED_CELLS`] after `kept`,
/// which counts them.
fn repeated_cells(
    rows: (u32, u32),
    cols: std::ops::Range<u32>,
    kept: &mut usize,
) -> Vec<(u32, u32)> {
    let cells: Vec<(u32, u32)> = (rows.0..=rows.1)
        .flat_map(|r| cols.clone().map(move |c| (r, c)))
        .take(MAX_TYPED_CELLS - *kept)
        .collect();
    *kept += cells.len();
    cells
}

/// How many times an ods row, column or cell stands (`table:number-rows-repeated`,
/// `table:number-columns-repeated`): at least once.
fn repeated(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> u32 {
    attr(e, name)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Whether an ods row or column is not seen (`table:visibility` "collapse" or "filter").
fn collapsed(e: &quick_xml::events::BytesStart<'_>) -> bool {
    matches!(
        attr(e, b"visibility").as_deref(),
        Some("collapse" | "filter")
    )
}

/// Whether a height or width attribute is 0 (the row or column is not seen).
fn is_zero(v: Option<&str>) -> bool {
    v.and_then(|v| v.trim().parse::<f64>().ok()) == Some(0.0)
}

/// `"AB12"` → `(12, 27)`: the row as the user sees it, the column 0-based.
fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() {
        return None;
    }
    let mut col: u32 = 0;
    for b in letters.bytes() {
        if !b.is_ascii_uppercase() {
            return None;
        }
        col = col.checked_mul(26)?.checked_add(u32::from(b - b'A') + 1)?;
    }
    Some((digits.parse().ok()?, col - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref("A1"), Some((1, 0)));
        assert_eq!(cell_ref("AB12"), Some((12, 27)));
        assert_eq!(cell_ref("12"), None);
        assert_eq!(cell_ref("a1"), None);
    }

    fn workbook(sheet_xml: &str) -> std::io::Cursor<Vec<u8>> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut out);
            let o = zip::write::SimpleFileOptions::default();
            let files = [
                ("xl/workbook.xml", r#"<workbook xmlns:r="x"><sheets><sheet name="A &amp; B" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
                ("xl/_rels/workbook.xml.rels", r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
                ("xl/worksheets/sheet1.xml", sheet_xml.to_string()),
            ];
            for (name, text) in files {
                z.start_file(name, o).expect("zip entry");
                std::io::Write::write_all(&mut z, text.as_bytes()).expect("zip write");
            }
            z.finish().expect("zip finish");
        }
        out.set_position(0);
        out
    }

    #[test]
    fn hidden_rows_and_formulas_without_values_are_found() {
        let xml = r#"<worksheet><sheetData>
            <row r="1"><c r="A1"><v>1</v></c></row>
            <row r="3" hidden="1"><c r="A3"><v>2</v></c></row>
            <row r="4"><c r="B4"><f>A1*2</f><v></v></c><c r="C4"><f>A1</f><v>1</v></c><c r="D4"><f>A1</f></c></row>
        </sheetData></worksheet>"#;
        let s = scan(workbook(xml)).expect("scan");
        let e = &s["A & B"];
        assert_eq!(e.hidden_rows, vec![(3, 3)]);
        assert!(e.is_hidden(3) && !e.is_hidden(2) && !e.is_hidden(4));
        assert_eq!(e.formulas_without_value, HashSet::from([(4, 1), (4, 3)]));
    }

    #[test]
    fn hidden_columns_rows_of_height_zero_and_merged_areas_are_found() {
        let xml = r#"<worksheet><cols><col min="2" max="3" width="9" hidden="1"/><col min="5" max="5" width="0"/><col min="6" max="6" width="12"/></cols><sheetData>
            <row r="1"><c r="A1"><v>1</v></c></row>
            <row r="2" ht="0" customHeight="1"><c r="A2"><v>2</v></c></row>
            <row r="3" ht="15"><c r="A3"><v>3</v></c></row>
        </sheetData><mergeCells count="3"><mergeCell ref="H2:H4"/><mergeCell ref="A1:F1"/><mergeCell ref="C5:D6"/></mergeCells></worksheet>"#;
        let s = scan(workbook(xml)).expect("scan");
        let e = &s["A & B"];
        assert_eq!(e.hidden_columns, vec![(1, 2), (4, 4)]);
        assert!(e.is_hidden_column(1) && e.is_hidden_column(4));
        assert!(!e.is_hidden_column(0) && !e.is_hidden_column(3) && !e.is_hidden_column(5));
        assert_eq!(e.hidden_rows, vec![(2, 2)]);
        // A merge within one row (a title over columns) changes no row: not kept.
        let areas: Vec<String> = e.merged.iter().map(MergedArea::a1).collect();
        assert_eq!(areas, vec!["H2:H4", "C5:D6"]);
    }

    #[test]
    fn a_plain_sheet_is_not_parsed_and_has_no_extras() {
        // With the page margins and column widths Excel writes in every sheet (`right="0.7"` holds `ht="0`).
        let xml = r#"<worksheet><cols><col min="1" max="1" width="10.5" customWidth="1"/></cols><sheetData><row r="1" ht="15"><c r="A1"><v>1</v></c></row></sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#;
        let mut zip = zip::ZipArchive::new(workbook(xml)).expect("zip");
        assert!(!needs_parse(&mut zip, "xl/worksheets/sheet1.xml", &XLSX_MARKS).expect("search"));
        assert!(scan(workbook(xml)).expect("scan").is_empty());
    }

    #[test]
    fn each_marker_is_found_wherever_the_reads_cut_it() {
        // Padding puts each marker at offsets around the 64 KiB read: before, across and after the cut.
        let markers = [
            (
                r#"<row r="2" hidden="1"><c r="A2"><v>1</v></c></row>"#,
                "hidden",
            ),
            (r#"<row r="2"><c r="A2"><f>1+1</f></c></row>"#, "formula"),
            (
                r#"<row r='2' hidden='1'><c r='A2'><v>1</v></c></row>"#,
                "single quotes",
            ),
            (
                r#"<row r="2" hidden = "true"><c r="A2"><v>1</v></c></row>"#,
                "spaces",
            ),
            (
                r#"<row r="2"><c r="A2"><x:f t="shared" ref="A2:A3" si="0">1+1</x:f></c></row>"#,
                "prefixed formula with attributes",
            ),
            (
                r#"<row r="2"><c r="A2"><x:f>1+1</x:f></c></row>"#,
                "prefixed formula",
            ),
        ];
        for (row, what) in markers {
            for shift in [65_500, 65_530, 65_533, 65_536, 65_540, 65_600] {
                let pad = " ".repeat(shift);
                let xml = format!("<worksheet>{pad}<sheetData>{row}</sheetData></worksheet>");
                let found = scan(workbook(&xml)).expect("scan");
                assert!(found.contains_key("A & B"), "{what} at {shift} not found");
            }
        }
        let zero_height = r#"<worksheet><sheetFormatPr zeroHeight='1'/><sheetData><row r="1" hidden="0"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c></row></sheetData></worksheet>"#;
        let found = scan(workbook(zero_height)).expect("scan");
        assert!(found["A & B"].is_hidden(2) && !found["A & B"].is_hidden(1));
    }

    /// An ods workbook whose `content.xml` is `content`.
    fn ods(content: &str) -> std::io::Cursor<Vec<u8>> {
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut out);
            z.start_file("content.xml", zip::write::SimpleFileOptions::default())
                .expect("zip entry");
            std::io::Write::write_all(&mut z, content.as_bytes()).expect("zip write");
            z.finish().expect("zip finish");
        }
        out.set_position(0);
        out
    }

    #[test]
    fn an_ods_hidden_row_is_found_wherever_the_reads_cut_its_mark() {
        // The attribute is 18 bytes long: it must be seen when a read ends anywhere inside it.
        let row =
            r#"<table:table-row table:visibility="collapse"><table:table-cell/></table:table-row>"#;
        let head = r#"<office:document-content><office:body><office:spreadsheet><table:table table:name="P">"#;
        let tail = "</table:table></office:spreadsheet></office:body></office:document-content>";
        let mark_at = head.len() + row.find("table:visibility").expect("mark");
        for cut_inside in 0..=18 {
            let pad = " ".repeat(65_536 - mark_at - 18 + cut_inside);
            let content = format!("{head}{pad}{row}{tail}");
            let found = scan_ods(ods(&content)).expect("scan");
            assert_eq!(
                found.get("P").map(|e| e.hidden_rows.clone()),
                Some(vec![(1, 1)]),
                "mark cut {cut_inside} bytes from its end"
            );
        }
    }

    #[test]
    fn ods_error_cells_are_found_with_the_error_they_show() {
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="P">
              <table:table-row><table:table-cell calcext:value-type="error" office:value-type="string">
                  <text:p>#N/A</text:p></table:table-cell>
                <table:table-cell calcext:value-type="error" table:number-columns-repeated="2"/>
                <table:table-cell office:value-type="string"><text:p>#N/A</text:p></table:table-cell>
                <table:table-cell calcext:value-type='error' office:value-type="float" office:value="0"><text:p>#DIV/0!</text:p></table:table-cell>
              </table:table-row>
            </table:table>
        </office:spreadsheet></office:body></office:document-content>"#;
        let s = scan_ods(ods(content)).expect("scan");
        let errors = &s["P"].error_cells;
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert_eq!(errors[&(1, 0)], "#N/A");
        assert_eq!(errors[&(1, 1)], "", "an empty error cell shows nothing");
        assert_eq!(errors[&(1, 2)], "");
        assert_eq!(errors[&(1, 4)], "#DIV/0!");
    }

    #[test]
    fn ods_formulas_without_a_stored_result_are_found_with_repeats() {
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="P">
              <table:table-row><table:table-cell/><table:table-cell table:formula="of:=1+1"/></table:table-row>
              <table:table-row table:number-rows-repeated="2"><table:table-cell table:formula="of:=2" table:number-columns-repeated="2"/></table:table-row>
              <table:table-row><table:table-cell table:formula="of:=3" office:value-type="float" office:value="3"/></table:table-row>
            </table:table>
        </office:spreadsheet></office:body></office:document-content>"#;
        let s = scan_ods(ods(content)).expect("scan");
        assert_eq!(
            s["P"].formulas_without_value,
            HashSet::from([(1, 1), (2, 0), (2, 1), (3, 0), (3, 1)])
        );
    }

    #[test]
    fn ods_rows_hidden_or_filtered_are_found_with_repeats() {
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="Parcels">
              <table:table-row><table:table-cell/></table:table-row>
              <table:table-row table:visibility="collapse"><table:table-cell/></table:table-row>
              <table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>
              <table:table-row table:visibility="filter" table:number-rows-repeated="3"/>
            </table:table>
            <table:table table:name="Other"><table:table-row><table:table-cell/></table:table-row></table:table>
        </office:spreadsheet></office:body></office:document-content>"#;
        let s = scan_ods(ods(content)).expect("scan");
        assert_eq!(s["Parcels"].hidden_rows, vec![(2, 2), (5, 7)]);
        // The other sheet hides nothing; its numbers' formats are known (no style: General).
        assert!(s["Other"].hidden_rows.is_empty() && s["Other"].formats_known);
        // Single quotes and spaces around the equals sign.
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="Q"><table:table-row><table:table-cell/></table:table-row>
              <table:table-row table:visibility = 'collapse'><table:table-cell/></table:table-row>
            </table:table>
        </office:spreadsheet></office:body></office:document-content>"#;
        let s = scan_ods(ods(content)).expect("scan");
        assert_eq!(
            s.get("Q").map(|e| e.hidden_rows.clone()),
            Some(vec![(2, 2)])
        );
    }

    #[test]
    fn ods_hidden_columns_are_found_with_repeats() {
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="P">
              <table:table-column table:number-columns-repeated="2"/>
              <table:table-column table:visibility="collapse"/>
              <table:table-column/>
              <table:table-column table:visibility="collapse" table:number-columns-repeated="3"/>
              <table:table-row><table:table-cell/></table:table-row>
            </table:table>
            <table:table table:name="Q">
              <table:table-column table:visibility="collapse"/>
              <table:table-row><table:table-cell/></table:table-row>
            </table:table>
          </office:spreadsheet></office:body></office:document-content>"#;
        let s = scan_ods(ods(content)).expect("scan");
        assert_eq!(s["P"].hidden_columns, vec![(2, 2), (4, 6)]);
        assert!(s["P"].is_hidden_column(5) && !s["P"].is_hidden_column(3));
        assert_eq!(s["Q"].hidden_columns, vec![(0, 0)]);
        assert!(s["P"].hidden_rows.is_empty());
    }

    #[test]
    fn ods_cells_typed_as_percentages_or_currencies_are_found_with_repeats() {
        let content = r#"<office:document-content><office:body><office:spreadsheet>
            <table:table table:name="P">
              <table:table-row><table:table-cell/><table:table-cell office:value-type="string"/></table:table-row>
              <table:table-row table:number-rows-repeated="2">
                <table:table-cell table:number-columns-repeated="2"/>
                <table:table-cell office:value-type="percentage" office:value="0.5" table:number-columns-repeated="2"/>
                <table:covered-table-cell/>
                <table:table-cell office:value-type="currency" office:currency="EUR" office:value="3"/>
              </table:table-row>
            </table:table>
          </office:spreadsheet></office:body></office:document-content>"#;
        let s = scan_ods(ods(content)).expect("scan");
        let typed = &s["P"].number_formats;
        assert_eq!(typed.len(), 6, "{typed:?}");
        for row in [2, 3] {
            assert_eq!(typed[&(row, 2)], NumFmt::Percentage);
            assert_eq!(typed[&(row, 3)], NumFmt::Percentage);
            assert_eq!(typed[&(row, 5)], NumFmt::Currency("EUR".into(), None));
        }
    }

    #[test]
    fn an_ods_numbers_format_is_its_cells_style_else_its_rows_else_its_columns() {
        let content = r#"<office:document-content><office:automatic-styles>
            <number:number-style style:name="N2"><number:number number:decimal-places="2" number:min-integer-digits="1"/></number:number-style>
            <number:number-style style:name="N5"><number:number number:decimal-places="0" number:min-integer-digits="5"/></number:number-style>
            <number:number-style style:name="N3"><number:number number:decimal-places="3" number:min-integer-digits="1"/></number:number-style>
            <style:style style:name="two" style:family="table-cell" style:data-style-name="N2"/>
            <style:style style:name="zip" style:family="table-cell" style:data-style-name="N5"/>
            <style:style style:name="three" style:family="table-cell" style:data-style-name="N3"/>
            <style:style style:name="plain" style:family="table-cell"/>
          </office:automatic-styles><office:body><office:spreadsheet>
            <table:table table:name="P">
              <table:table-column table:default-cell-style-name="zip" table:number-columns-repeated="2"/>
              <table:table-column/>
              <table:table-row>
                <table:table-cell office:value-type="float" office:value="2134" table:number-columns-repeated="2"/>
                <table:table-cell office:value-type="float" office:value="1.5"/>
              </table:table-row>
              <table:table-row table:default-cell-style-name="three" table:number-rows-repeated="2">
                <table:table-cell office:value-type="float" office:value="1"/>
                <table:table-cell table:style-name="two" office:value-type="float" office:value="1"/>
                <table:table-cell table:style-name="plain" office:value-type="string"/>
              </table:table-row>
              <table:table-row>
                <table:table-cell table:style-name="plain" office:value-type="float" office:value="1"/>
              </table:table-row>
            </table:table>
          </office:spreadsheet></office:body></office:document-content>"#;
        let s = scan_ods(ods(content)).expect("scan");
        let p = &s["P"];
        assert!(p.formats_known);
        let code = |at: (u32, u32)| p.number_formats.get(&at).map(NumFmt::code);
        // Row 1: the columns' default (00000) for the first two, General (no entry) for the third.
        assert_eq!(
            (code((1, 0)), code((1, 1)), code((1, 2))),
            (Some("00000"), Some("00000"), None)
        );
        // Rows 2 and 3: the row's default, then the cell's own style; a text cell has no format.
        for row in [2, 3] {
            assert_eq!(
                (code((row, 0)), code((row, 1)), code((row, 2))),
                (Some("0.000"), Some("0.00"), None)
            );
        }
        // Row 4: a style without a data style, over the column's default: General.
        assert_eq!(code((4, 0)), None);
        assert_eq!(p.number_formats.len(), 6, "{:?}", p.number_formats);
    }

    #[test]
    fn zero_height_hides_rows_not_marked_visible() {
        let xml = r#"<worksheet><sheetFormatPr zeroHeight="1"/><sheetData><row r="1" hidden="0"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>1</v></c></row></sheetData></worksheet>"#;
        let s = scan(workbook(xml)).expect("scan");
        assert_eq!(s["A & B"].hidden_rows, vec![(2, 2)]);
    }
}
