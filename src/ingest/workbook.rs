//! Workbooks through calamine: xlsx/xlsm (streamed cell by cell, with each cell's number format), xlsb, xls
//! and ods (loaded a sheet at a time). Hidden sheets are skipped unless `hidden_sheets = "read"`; in xlsx
//! and ods, hidden and filtered-out rows are skipped unless `hidden_rows = "read"`, and xlsx formulas
//! without a stored result are reported ([`super::sheet_extras`]). The header row is searched below title
//! blocks.

use super::binary_extras;
use super::columns::{ColumnAliases, HeaderMap};
use super::filetype::FileKind;
use super::numfmt::{builtin_format_code, NumFmt};
use super::read::*;
use super::sheet_extras::{self, MergedArea, SheetExtras};
use crate::problem::*;
use calamine::{CellErrorType, Data, DataRef, Reader, SheetVisible};
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;

/// Zip bomb protection: the declared uncompressed size of a zip-based workbook must stay under the cap.
fn check_zip_size(path: &Path, limit: u64) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| format!("corrupt or truncated workbook: {e}"))?;
    let bomb = |name: &str| {
        format!(
            "the workbook decompresses to more than {} MB (entry \"{name}\"); refusing to read it (zip bomb protection)",
            limit / 1_000_000
        )
    };
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| format!("corrupt or truncated workbook: {e}"))?;
        let (name, declared, compressed) = (
            entry.name().to_string(),
            entry.size(),
            entry.compressed_size(),
        );
        drop(entry);
        total = total.saturating_add(declared);
        if total > limit {
            return Err(bomb(&name));
        }
        // Declared sizes can lie. An entry whose compressed size could inflate past what is left of the
        // budget (deflate reaches about 1:1032) is inflated once into a sink, counting real bytes.
        let left = limit - total + declared;
        if compressed.saturating_mul(1032) > left {
            let mut entry = archive
                .by_index(i)
                .map_err(|e| format!("corrupt or truncated workbook: {e}"))?;
            let real = std::io::copy(&mut (&mut entry).take(left + 1), &mut std::io::sink())
                .map_err(|e| format!("corrupt or truncated workbook (entry \"{name}\"): {e}"))?;
            if real > left {
                return Err(bomb(&name));
            }
            total = total - declared + real;
        }
    }
    Ok(())
}

pub(super) fn read_workbook(
    path: &Path,
    name: &str,
    kind: FileKind,
    aliases: &ColumnAliases,
    opts: ReadOptions,
    sink: &mut dyn RowSink,
    summary: &mut ReadSummary,
) {
    let cannot_open =
        |e: std::io::Error| Problem::new(&FILE_UNREADABLE, name, format!("cannot open: {e}"));
    if kind != FileKind::Ole2 {
        if let Err(msg) = check_zip_size(path, opts.limits.max_unzipped) {
            let code = if msg.contains("zip bomb") {
                &FILE_TOO_LARGE
            } else {
                &FILE_UNREADABLE
            };
            return sink.problem(Problem::new(code, name, msg));
        }
    }
    // What calamine does not report, scanned beside it: xlsx and ods sheets by name, xls and xlsb sheets
    // in workbook order (paired with calamine's sheets once it has opened the file).
    let scanned = std::fs::File::open(path)
        .map(BufReader::new)
        .map(|f| match kind {
            FileKind::Xlsx => sheet_extras::scan(f).map(|e| (e, Vec::new())),
            FileKind::Ods => sheet_extras::scan_ods(f).map(|e| (e, Vec::new())),
            FileKind::Xlsb => binary_extras::scan_xlsb(f).map(|p| (HashMap::new(), p)),
            _ => binary_extras::scan_xls(f).map(|p| (HashMap::new(), p)),
        });
    let (extras, by_position) = match scanned {
        Ok(Ok(found)) => found,
        // An xls the scan cannot read (a password-protected xlsx arrives here too) is left to calamine,
        // which names the trouble.
        Ok(Err(_)) if kind == FileKind::Ole2 => (HashMap::new(), Vec::new()),
        Ok(Err(msg)) => return sink.problem(Problem::new(&FILE_UNREADABLE, name, msg)),
        Err(e) => return sink.problem(cannot_open(e)),
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => BufReader::new(f),
        Err(e) => return sink.problem(cannot_open(e)),
    };
    let ctx = Ctx {
        name,
        aliases,
        opts,
        extras: &extras,
    };
    let result = match kind {
        FileKind::Xlsx => calamine::Xlsx::new(file)
            .map_err(|e| e.to_string())
            .map(|mut wb| sheets(&mut wb, xlsx_rows, &ctx, sink, summary)),
        FileKind::Xlsb => calamine::Xlsb::new(file)
            .map_err(|e| e.to_string())
            .map(|mut wb| sheets_by_position(&mut wb, by_position, &ctx, sink, summary)),
        FileKind::Ods => calamine::Ods::new(file)
            .map_err(|e| e.to_string())
            .map(|mut wb| sheets(&mut wb, range_rows, &ctx, sink, summary)),
        _ => calamine::Xls::new(file)
            .map_err(|e| e.to_string())
            .map(|mut wb| sheets_by_position(&mut wb, by_position, &ctx, sink, summary)),
    };
    if let Err(e) = result {
        // A password-protected xlsx is an OLE2 container (an "EncryptedPackage" stream), so it arrives
        // here as an xls; calamine's xlsx reader recognises it.
        let e = match kind {
            FileKind::Ole2 => match std::fs::File::open(path)
                .map(BufReader::new)
                .map(calamine::Xlsx::new)
            {
                Ok(Err(calamine::XlsxError::Password)) => "password protected".to_string(),
                _ => e,
            },
            _ => e,
        };
        let lower = e.to_ascii_lowercase();
        let msg = if lower.contains("password") || lower.contains("encrypt") {
            format!(
                "the {} workbook is protected with a password, so mawb cannot read it: save a copy without the password (File > Info > Protect Workbook > Encrypt with Password, clear it) and put that copy in the folder",
                kind.name()
            )
        } else {
            format!(
                "the {} workbook cannot be opened (corrupt or truncated?): {e}",
                kind.name()
            )
        };
        sink.problem(Problem::new(&FILE_UNREADABLE, name, msg));
    }
}

/// The error an ods cell shows (`#N/A`, `#DIV/0!`…; LibreOffice's own `Err:502` and other texts count
/// as `#VALUE!`, the nearest).
fn error_type(shown: &str) -> CellErrorType {
    match shown.trim() {
        "#N/A" => CellErrorType::NA,
        "#DIV/0!" => CellErrorType::Div0,
        "#NAME?" => CellErrorType::Name,
        "#NULL!" => CellErrorType::Null,
        "#NUM!" => CellErrorType::Num,
        "#REF!" => CellErrorType::Ref,
        _ => CellErrorType::Value,
    }
}

/// The extras of an xls or xlsb workbook's sheets, found in workbook order, keyed by the names calamine
/// gives the same sheets in the same order. When the counts differ (a file the scan read otherwise than
/// calamine) no sheet is paired with another's extras: none are used.
fn by_name<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(
    wb: &R,
    by_position: Vec<SheetExtras>,
) -> HashMap<String, SheetExtras> {
    let sheets = wb.sheets_metadata();
    if sheets.len() != by_position.len() {
        return HashMap::new();
    }
    sheets
        .iter()
        .zip(by_position)
        .filter(|(_, e)| !e.is_empty())
        .map(|(s, e)| (s.name.clone(), e))
        .collect()
}

/// [`sheets`] of an xls or xlsb workbook, with the extras found in workbook order ([`by_name`]).
fn sheets_by_position<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(
    wb: &mut R,
    by_position: Vec<SheetExtras>,
    ctx: &Ctx<'_>,
    sink: &mut dyn RowSink,
    summary: &mut ReadSummary,
) where
    R::Error: std::fmt::Display,
{
    let extras = by_name(wb, by_position);
    let ctx = Ctx {
        extras: &extras,
        ..*ctx
    };
    sheets(wb, range_rows, &ctx, sink, summary)
}

/// What reading the sheets of one workbook needs.
struct Ctx<'a> {
    name: &'a str,
    aliases: &'a ColumnAliases,
    opts: ReadOptions,
    extras: &'a HashMap<String, SheetExtras>,
}

/// Feeds the rows of one sheet to `f` (row number as the user sees it, the row); `f` returns false to stop.
type SheetRows<R> = fn(
    &mut R,
    &str,
    Option<&SheetExtras>,
    &mut dyn FnMut(u32, &RowRef<'_>) -> bool,
) -> Result<(), String>;

/// Rows of a sheet loaded whole (xls, xlsb, ods: calamine has no streaming reader with formats for them).
fn range_rows<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(
    wb: &mut R,
    sheet: &str,
    extras: Option<&SheetExtras>,
    f: &mut dyn FnMut(u32, &RowRef<'_>) -> bool,
) -> Result<(), String>
where
    R::Error: std::fmt::Display,
{
    // The formats the file tells for some cells (ods value types, xls formats that are not General), by
    // row; none for most sheets. When the file tells every number's format (xls), the others are General.
    let typed = extras.map(|e| &e.number_formats).filter(|t| !t.is_empty());
    let known = extras.is_some_and(|e| e.formats_known);
    let unseen = if known {
        NumFmt::General
    } else {
        NumFmt::Unknown
    };
    let mut formats: Vec<NumFmt> = Vec::new();
    let range = wb.worksheet_range(sheet).map_err(|e| e.to_string())?;
    let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
    let first_col = range.start().map(|(_, c)| c as usize).unwrap_or(0);
    // A range that starts right of column A is padded, so column indexes match the header's.
    let mut padded: Vec<Data> = Vec::new();
    // Rows that merged areas (xls, xlsb) cover get the areas' top values, in a copy of the row.
    let mut merged = Merged::new(extras.map_or(&[], |e| &e.merged));
    let mut spread: Vec<Data> = Vec::new();
    let mut no_styles: Vec<u32> = Vec::new();
    // Formulas without a stored result (ods), by row: their columns in order.
    let mut no_value: HashMap<u32, Vec<u32>> = HashMap::new();
    for &(r, c) in extras.iter().flat_map(|e| &e.formulas_without_value) {
        no_value.entry(r).or_default().push(c);
    }
    no_value.values_mut().for_each(|cols| cols.sort_unstable());
    // Cells holding an error (ods), by row: their columns and the error shown.
    let mut errors: HashMap<u32, Vec<(usize, CellErrorType)>> = HashMap::new();
    for (&(r, c), shown) in extras.iter().flat_map(|e| &e.error_cells) {
        errors
            .entry(r)
            .or_default()
            .push((c as usize, error_type(shown)));
    }
    for (i, cells) in range.rows().enumerate() {
        let row_number = first_row + i as u32 + 1;
        let cells = if first_col == 0 {
            cells
        } else {
            padded.clear();
            padded.resize(first_col, Data::Empty);
            padded.extend_from_slice(cells);
            &padded[..]
        };
        let row_errors = errors.get(&row_number);
        let cells = if merged.areas.is_empty() && row_errors.is_none() {
            cells
        } else {
            spread.clear();
            spread.extend_from_slice(cells);
            for (c, e) in row_errors.into_iter().flatten() {
                if let Some(cell) = spread.get_mut(*c) {
                    *cell = Data::Error(e.clone());
                }
            }
            merged.spread(row_number, &mut spread, &mut no_styles);
            &spread[..]
        };
        formats.clear();
        if let Some(typed) = typed {
            for c in 0..cells.len() {
                if let Some(fmt) = typed.get(&(row_number, c as u32)) {
                    formats.resize(c, unseen.clone());
                    formats.push(fmt.clone());
                }
            }
        }
        if known {
            formats.resize(cells.len(), NumFmt::General);
        }
        let row = RowRef::Sheet {
            cells,
            formats: &formats,
            no_value: no_value.get(&row_number).map_or(&[], Vec::as_slice),
        };
        if !f(row_number, &row) {
            break;
        }
    }
    Ok(())
}

/// Rows of an xlsx sheet streamed cell by cell with each cell's style, so the row cap bounds memory and
/// time too (a sheet is never held whole) and numbers are read with their number format.
fn xlsx_rows<RS: std::io::Read + std::io::Seek>(
    wb: &mut calamine::Xlsx<RS>,
    sheet: &str,
    extras: Option<&SheetExtras>,
    f: &mut dyn FnMut(u32, &RowRef<'_>) -> bool,
) -> Result<(), String> {
    /// Excel's last column; cells beyond it are not data.
    const MAX_COLUMNS: usize = 16_384;
    let mut reader = wb
        .worksheet_cells_reader(sheet)
        .map_err(|e| e.to_string())?;
    let formats = Formats {
        by_style: reader
            .styles()
            .iter()
            .map(|s| {
                s.number_format.as_ref().map_or(NumFmt::General, |n| {
                    NumFmt::parse(builtin_code(n).unwrap_or(&n.format_code))
                })
            })
            .collect(),
        fallback: NumFmt::General,
    };
    let no_value = extras.map(|e| &e.formulas_without_value);
    let mut merged = Merged::new(extras.map_or(&[], |e| &e.merged));
    let mut cells: Vec<DataRef<'_>> = Vec::new();
    let mut styles: Vec<u32> = Vec::new();
    let mut current: Option<u32> = None;
    let emit = |r: u32,
                cells: &[DataRef<'_>],
                styles: &[u32],
                f: &mut dyn FnMut(u32, &RowRef<'_>) -> bool| {
        f(
            r + 1,
            &RowRef::Xlsx {
                cells,
                styles,
                formats: &formats,
            },
        )
    };
    while let Some((cell, style)) = reader
        .next_cell_with_style_id()
        .map_err(|e| e.to_string())?
    {
        let (r, c) = cell.get_position();
        if current != Some(r) {
            if let Some(prev) = current {
                merged.spread(prev + 1, &mut cells, &mut styles);
                if !emit(prev, &cells, &styles, f) {
                    return Ok(());
                }
            }
            cells.clear();
            styles.clear();
            current = Some(r);
        }
        let c = c as usize;
        if c >= MAX_COLUMNS {
            continue;
        }
        // A formula whose result is not stored, or not to be believed (the workbook is computed again
        // when opened): its stored value, if any, is not what the spreadsheet shows.
        let (value, style) = if no_value.is_some_and(|s| s.contains(&(r + 1, c as u32))) {
            (DataRef::Empty, FORMULA_WITHOUT_VALUE)
        } else {
            (cell.get_value().clone(), u32::try_from(style).unwrap_or(0))
        };
        // Cells come in column order, most often each right after the one before: pushed, not resized.
        if c > cells.len() {
            cells.resize(c, DataRef::Empty);
            styles.resize(c, 0);
        }
        if c == cells.len() {
            cells.push(value);
            styles.push(style);
        } else {
            cells[c] = value;
            styles[c] = style;
        }
    }
    if let Some(prev) = current {
        merged.spread(prev + 1, &mut cells, &mut styles);
        emit(prev, &cells, &styles, f);
    }
    Ok(())
}

/// Cells merged down several rows, as the user sees them: Excel shows the top cell's value over the whole
/// area and stores nothing in the cells below it, so each row of the area gets the top cell's value (and
/// style) in the area's first column. Rows come in order; the areas of the rows being read are kept.
struct Merged<'m, C> {
    areas: &'m [MergedArea],
    /// Indexes of `areas` by first row.
    order: Vec<usize>,
    next: usize,
    /// Areas whose rows are being read, with their top cell once read.
    active: Vec<(usize, Option<(C, u32)>)>,
}

/// A cell merged areas are spread over: calamine's streamed [`DataRef`] (xlsx) and loaded [`Data`].
trait SheetCell: Clone {
    const EMPTY: Self;
    fn is_empty_cell(&self) -> bool;
}

impl SheetCell for DataRef<'_> {
    const EMPTY: Self = DataRef::Empty;
    fn is_empty_cell(&self) -> bool {
        matches!(self, DataRef::Empty)
    }
}

impl SheetCell for Data {
    const EMPTY: Self = Data::Empty;
    fn is_empty_cell(&self) -> bool {
        matches!(self, Data::Empty)
    }
}

impl<'m, C: SheetCell> Merged<'m, C> {
    fn new(areas: &'m [MergedArea]) -> Self {
        let mut order: Vec<usize> = (0..areas.len()).collect();
        order.sort_by_key(|&i| areas[i].first_row);
        Merged {
            areas,
            order,
            next: 0,
            active: Vec::new(),
        }
    }

    /// Fills the cells of `row` (as the user numbers it) that merged areas cover.
    fn spread(&mut self, row: u32, cells: &mut Vec<C>, styles: &mut Vec<u32>) {
        if self.areas.is_empty() {
            return;
        }
        while let Some(&i) = self.order.get(self.next) {
            if self.areas[i].first_row > row {
                break;
            }
            self.active.push((i, None));
            self.next += 1;
        }
        let areas = self.areas;
        self.active.retain(|(i, _)| areas[*i].last_row >= row);
        for (i, top) in &mut self.active {
            let a = areas[*i];
            let c = a.first_col as usize;
            let here = cells.get(c).filter(|d| !d.is_empty_cell());
            if row == a.first_row {
                *top = here.map(|d| (d.clone(), styles.get(c).copied().unwrap_or(0)));
            } else if let (None, Some((value, style))) = (here, top.as_ref()) {
                if c >= cells.len() {
                    cells.resize(c + 1, C::EMPTY);
                }
                if c >= styles.len() {
                    styles.resize(c + 1, 0);
                }
                cells[c] = value.clone();
                styles[c] = *style;
            }
        }
    }
}

fn sheets<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(
    wb: &mut R,
    rows_of: SheetRows<R>,
    ctx: &Ctx<'_>,
    sink: &mut dyn RowSink,
    summary: &mut ReadSummary,
) {
    let name = ctx.name;
    let metadata = wb.sheets_metadata().to_vec();
    let mut capped = false;
    let mut hidden_skipped = Vec::new();
    let mut unreadable = false;
    for meta in &metadata {
        let sheet = &meta.name;
        if meta.visible != SheetVisible::Visible && !ctx.opts.read_hidden_sheets {
            hidden_skipped.push(sheet.clone());
            continue;
        }
        let extras = ctx.extras.get(sheet);
        let hidden_rows = extras.filter(|_| !ctx.opts.read_hidden_rows);
        let hidden_columns =
            extras.filter(|e| !ctx.opts.read_hidden_columns && !e.hidden_columns.is_empty());
        let mut search = HeaderSearch::default();
        // The header row and its map, once found.
        let mut found: Option<(u32, Box<HeaderMap>)> = None;
        // The hidden columns the header row names (blanked before the header was read).
        let mut hidden_named: Vec<(usize, String)> = Vec::new();
        // The last row header cells are merged down to: rows down to it belong to the header, not parcels.
        let mut header_end: Option<u32> = None;
        let mut rows_in_sheet = 0usize;
        let mut rows_seen = 0usize;
        let read = rows_of(wb, sheet, extras, &mut |row, r| {
            rows_seen += 1;
            if ctx.opts.past_deadline_at(rows_seen - 1) {
                summary.timed_out = true;
                return false;
            }
            if r.is_blank() {
                return true;
            }
            if found.is_none() {
                let mut texts = r.header_texts();
                // A hidden column is not there for the user: its header names no field.
                let mut hidden_here = Vec::new();
                if let Some(e) = hidden_columns {
                    for (c, t) in texts.iter_mut().enumerate() {
                        if e.is_hidden_column(c as u32) && !t.trim().is_empty() {
                            hidden_here.push((c, std::mem::take(t)));
                        }
                    }
                }
                return match search.offer(row, texts.iter().map(String::as_str), ctx.aliases) {
                    Header::Found(h) => {
                        search.accept(name, sheet, &h, row, sink);
                        hidden_named = hidden_here;
                        header_end = extras.and_then(|e| header_merged_down_to(e, row));
                        found = Some((row, h));
                        true
                    }
                    Header::NotYet => true,
                    Header::GiveUp => false,
                };
            }
            if header_end.is_some_and(|end| row <= end) {
                return true;
            }
            if hidden_rows.is_some_and(|h| h.is_hidden(row)) {
                sink.problem(
                    Problem::new(
                        &HIDDEN_ROW,
                        name,
                        "this row is hidden (or filtered out) in the spreadsheet and was not read: delete it if it is not part of this MAWB, unhide it if it is, or set hidden_rows = \"read\" in mawb.toml to read hidden rows",
                    )
                    .sheet(sheet.clone())
                    .at(row),
                );
                return true;
            }
            if row_cap_reached(summary, ctx.opts.limits, name, sheet, row, sink) {
                capped = true;
                return false;
            }
            summary.rows += 1;
            rows_in_sheet += 1;
            sink.row(row, r);
            true
        });
        if let Err(e) = read {
            sink.problem(
                Problem::new(
                    &FILE_UNREADABLE,
                    name,
                    format!("sheet cannot be read (corrupt?): {e}; open the file in the program that made it and save it again as .xlsx"),
                )
                .sheet(sheet.clone()),
            );
            unreadable = true;
            continue;
        }
        if capped || summary.timed_out {
            return;
        }
        if let Some((header_row, h)) = &found {
            report_unseen_columns(name, sheet, *header_row, &hidden_named, ctx.aliases, sink);
            report_merged(name, sheet, *header_row, h, extras, sink);
        }
        if found.is_some() {
            if rows_in_sheet == 0 {
                sink.problem(
                    Problem::new(
                        &EMPTY_SHEET,
                        name,
                        "the header row is followed by no data rows",
                    )
                    .sheet(sheet.clone()),
                );
            }
            summary.sheets_read.push(sheet.clone());
        } else {
            summary.sheets_skipped.push(sheet.clone());
        }
    }
    for s in &hidden_skipped {
        sink.problem(
            Problem::new(
                &HIDDEN_SHEET,
                name,
                "this sheet is hidden in the workbook and was not read (an old list?): delete it, unhide it if it belongs to this MAWB, or set hidden_sheets = \"read\" in mawb.toml",
            )
            .sheet(s.clone()),
        );
    }
    // A sheet that cannot be read has its own error: "no header" would only guess at why.
    if summary.sheets_read.is_empty() && !(unreadable && summary.sheets_skipped.is_empty()) {
        let names: Vec<&str> = metadata.iter().map(|m| m.name.as_str()).collect();
        let msg = if metadata.is_empty() {
            "the workbook has no sheet".to_string()
        } else if summary.sheets_skipped.is_empty() {
            format!(
                "every sheet is hidden ({}); unhide the one to read or set hidden_sheets = \"read\" in mawb.toml",
                names.join(", ")
            )
        } else {
            format!(
                "no sheet has a HAWB header row among its first {HEADER_SEARCH_ROWS} non-empty rows (looked at: {}); the header needs a tracking number or shipperItemId, a consignee and a product description column",
                summary.sheets_skipped.join(", ")
            )
        };
        sink.problem(Problem::new(&NO_HEADER, name, msg));
    } else {
        for s in &summary.sheets_skipped {
            sink.problem(
                Problem::new(&SHEET_SKIPPED, name, "no HAWB header row: sheet skipped")
                    .sheet(s.clone()),
            );
        }
    }
}

/// One warning per hidden column whose header names a HAWB field: its values were not read. A hidden
/// column of no field (a helper or cost column) is not read either way, and is not reported.
fn report_unseen_columns(
    name: &str,
    sheet: &str,
    header_row: u32,
    hidden: &[(usize, String)],
    aliases: &ColumnAliases,
    sink: &mut dyn RowSink,
) {
    if hidden.is_empty() {
        return;
    }
    let fields = HeaderMap::from_cells(hidden.iter().map(|(_, t)| t.as_str()), aliases);
    for f in super::columns::Field::ALL {
        let Some((c, text)) = fields.columns[f.index()].and_then(|i| hidden.get(i)) else {
            continue;
        };
        sink.problem(
            Problem::new(
                &HIDDEN_COLUMN,
                name,
                format!(
                    "column {} (\"{text}\") is hidden in the spreadsheet and was not read: unhide it if it belongs to this MAWB, delete it if not, or set hidden_columns = \"read\" in mawb.toml to read hidden columns",
                    column_letter(*c)
                ),
            )
            .sheet(sheet)
            .at(header_row)
            .column(f.name()),
        );
    }
}

/// The merged areas of a sheet that reach its parcel rows in a column the header maps: a warning for an
/// area among the parcel rows (its value was read for each row), an error for one merged down from the
/// header row (the header's text would be a parcel's value).
fn report_merged(
    name: &str,
    sheet: &str,
    header_row: u32,
    h: &HeaderMap,
    extras: Option<&SheetExtras>,
    sink: &mut dyn RowSink,
) {
    let Some(e) = extras else {
        return;
    };
    // A header merged down (a two-row header: group titles over sub-headers): one error for the sheet.
    if let Some(end) = header_merged_down_to(e, header_row) {
        let areas: Vec<String> = e
            .merged
            .iter()
            .filter(|a| a.runs_below(header_row))
            .map(MergedArea::a1)
            .collect();
        let shown = if areas.len() > 3 {
            format!("{}, … {} areas", areas[..3].join(", "), areas.len())
        } else {
            areas.join(", ")
        };
        sink.problem(
            Problem::new(
                &MERGED_HEADER,
                name,
                format!(
                    "the header row {header_row} has cells merged down to row {end} ({shown}): a header must stand in one row, so rows {} to {end} were not read as parcels. Unmerge the header cells, put every column's name in row {header_row} (one name per column, sub-headers included) and delete the rows below it that are not parcels",
                    header_row + 1
                ),
            )
            .sheet(sheet)
            .at(header_row),
        );
    }
    for a in &e.merged {
        if a.first_row <= header_row {
            continue;
        }
        let c = a.first_col as usize;
        let Some(field) = super::columns::Field::ALL
            .iter()
            .find(|f| h.columns[f.index()] == Some(c))
        else {
            continue;
        };
        let p = Problem::new(
            &MERGED_CELLS,
            name,
            format!(
                "cells {} are merged: Excel shows the value of {}{} on rows {} to {}, and it was read for each of those rows; if it belongs to row {} alone, unmerge the cells",
                a.a1(),
                column_letter(c),
                a.first_row,
                a.first_row,
                a.last_row,
                a.first_row
            ),
        );
        sink.problem(p.sheet(sheet).at(a.first_row).column(field.name()));
    }
}

/// The last row that cells of the header row `header_row` are merged down to, when any are.
fn header_merged_down_to(e: &SheetExtras, header_row: u32) -> Option<u32> {
    e.merged
        .iter()
        .filter(|a| a.runs_below(header_row))
        .map(|a| a.last_row)
        .max()
}

/// The code of a built-in number format calamine does not know (it reads them as General): the currency
/// formats 5 to 8 and the East Asian date formats 27 to 36 and 50 to 58 ([`builtin_format_code`]).
/// `None` for every other format.
fn builtin_code(n: &calamine::NumberFormat) -> Option<&'static str> {
    if n.format_code != "General" {
        return None;
    }
    match n.format_id? {
        id @ (5..=8 | 27..=36 | 50..=58) => builtin_format_code(id),
        _ => None,
    }
}
