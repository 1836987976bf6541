//! Reading HAWB spreadsheets row by row: csv through the csv crate, xlsx/xlsm/xlsb/xls/ods through calamine,
//! chosen by the file's content. Rows stream into a [`RowSink`] (the assembler), so a csv of any size is read
//! in bounded memory, and a row cap stops runaway files early with a clear problem.

use super::columns::{ColumnAliases, HeaderMap};
use super::filetype::FileKind;
use crate::problem::*;
use calamine::{Data, Reader};
use std::borrow::Cow;
use std::io::{BufReader, Read};
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

/// One data row, borrowed from the reader.
pub enum RowRef<'a> {
    Csv(&'a csv::StringRecord),
    Sheet(&'a [Data]),
}

/// A cell whose content cannot be used as text (an Excel error such as `#N/A`).
pub struct CellError(pub String);

impl<'a> RowRef<'a> {
    /// The trimmed text of a cell; `None` when blank. Numbers become their exact shortest decimal text
    /// (an Excel 1.125 is "1.125", 2.0 is "2"), so they parse into exact decimals downstream.
    pub fn text(&self, col: usize) -> Result<Option<Cow<'a, str>>, CellError> {
        match self {
            RowRef::Csv(r) => Ok(r
                .get(col)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Cow::Borrowed)),
            RowRef::Sheet(cells) => match cells.get(col) {
                None | Some(Data::Empty) => Ok(None),
                Some(Data::String(s)) => {
                    let t = s.trim();
                    Ok(if t.is_empty() {
                        None
                    } else {
                        Some(Cow::Borrowed(t))
                    })
                }
                Some(Data::Float(f)) => Ok(Some(Cow::Owned(float_text(*f)))),
                Some(Data::Int(i)) => Ok(Some(Cow::Owned(i.to_string()))),
                Some(Data::Bool(b)) => Ok(Some(Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }))),
                Some(Data::DateTime(d)) => Ok(Some(Cow::Owned(float_text(d.as_f64())))),
                Some(Data::DateTimeIso(s)) | Some(Data::DurationIso(s)) => {
                    Ok(Some(Cow::Borrowed(s.as_str())))
                }
                Some(Data::Error(e)) => Err(CellError(e.to_string())),
            },
        }
    }

    /// Whether every cell is blank (blank rows are skipped, never an item).
    pub fn is_blank(&self) -> bool {
        match self {
            RowRef::Csv(r) => r.iter().all(|c| c.trim().is_empty()),
            RowRef::Sheet(cells) => cells.iter().all(|c| match c {
                Data::Empty => true,
                Data::String(s) => s.trim().is_empty(),
                _ => false,
            }),
        }
    }
}

/// The shortest decimal text that reads back as the same float: Excel's 1.125 is "1.125", 0.1 is "0.1",
/// an integer-valued 2.0 is "2".
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
}

/// Reads one spreadsheet of known kind into `sink`. `name` is how problems name the file.
pub fn read_file(
    path: &Path,
    name: &str,
    kind: FileKind,
    aliases: &ColumnAliases,
    limits: ReadLimits,
    sink: &mut dyn RowSink,
) -> ReadSummary {
    let mut summary = ReadSummary::default();
    match kind {
        FileKind::Text => read_csv(path, name, aliases, limits, sink, &mut summary),
        FileKind::Xlsx | FileKind::Xlsb | FileKind::Ods | FileKind::Ole2 => {
            read_workbook(path, name, kind, aliases, limits, sink, &mut summary)
        }
        FileKind::NonUtf8Text => sink.problem(Problem::new(
            &FILE_NOT_UTF8,
            name,
            "the file is text but not UTF-8 (probably Latin-1 or UTF-16): in Excel use \"Save As > CSV UTF-8\"",
        )),
        other => sink.problem(Problem::new(
            &FILE_NOT_SPREADSHEET,
            name,
            format!("the file's content is {} , not a spreadsheet or csv", other.name()),
        )),
    }
    summary
}

/// Guesses the csv delimiter from the first line: `,` unless `;` or tab is clearly what the file uses
/// (European Excel exports use `;`).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = &head[..line_end];
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .filter(|c| c.1 > 0)
        .map(|c| c.0)
        .unwrap_or(b',')
}

fn read_csv(
    path: &Path,
    name: &str,
    aliases: &ColumnAliases,
    limits: ReadLimits,
    sink: &mut dyn RowSink,
    summary: &mut ReadSummary,
) {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return sink.problem(Problem::new(
                &FILE_UNREADABLE,
                name,
                format!("cannot open: {e}"),
            ))
        }
    };
    let mut head = [0u8; 4096];
    let n = file.read(&mut head).unwrap_or(0);
    let delimiter = sniff_delimiter(head.get(..n).unwrap_or(&[]));
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return sink.problem(Problem::new(
                &FILE_UNREADABLE,
                name,
                format!("cannot open: {e}"),
            ))
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(256 * 1024)
        .from_reader(file);
    let mut record = csv::StringRecord::new();
    let mut header: Option<HeaderMap> = None;
    let mut breaks_in_fields: u64 = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| p.line().saturating_sub(breaks_in_fields) as u32);
                let msg = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        "this row is not UTF-8 text: save the file as \"CSV UTF-8\"".to_string()
                    }
                    _ => format!("the csv cannot be read further: {e}"),
                };
                let code = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    &FILE_NOT_UTF8
                } else {
                    &FILE_UNREADABLE
                };
                let mut p = Problem::new(code, name, msg).sheet(name);
                if let Some(l) = line {
                    p = p.at(l);
                }
                sink.problem(p);
                break;
            }
        }
        // A quoted field holding line breaks is one spreadsheet row spread over several text lines:
        // the row the user sees is the text line less the breaks inside earlier records.
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row = line.saturating_sub(breaks_in_fields) as u32;
        breaks_in_fields += record
            .iter()
            .map(|f| f.matches('\n').count() as u64)
            .sum::<u64>();
        let cells = RowRef::Csv(&record);
        if cells.is_blank() {
            continue;
        }
        match &header {
            None => {
                let first = record.get(0).map(|s| s.trim_start_matches('\u{feff}'));
                let h =
                    HeaderMap::from_cells(first.into_iter().chain(record.iter().skip(1)), aliases);
                if !h.is_hawb_header() {
                    sink.problem(
                        Problem::new(
                            &NO_HEADER,
                            name,
                            "the first non-empty row is not a HAWB header (it needs at least a tracking number or shipperItemId, a consignee and a product description column)",
                        )
                        .sheet(name)
                        .at(row),
                    );
                    summary.sheets_skipped.push(name.to_string());
                    return;
                }
                report_header(name, name, &h, row, sink);
                sink.begin_sheet(name, &h, row);
                summary.sheets_read.push(name.to_string());
                header = Some(h);
            }
            Some(_) => {
                if row_cap_reached(summary, limits, name, name, row, sink) {
                    return;
                }
                summary.rows += 1;
                sink.row(row, &cells);
            }
        }
    }
    if header.is_none() && summary.sheets_skipped.is_empty() {
        sink.problem(
            Problem::new(
                &NO_HEADER,
                name,
                "the file is empty: no header row and no data",
            )
            .sheet(name),
        );
    } else if header.is_some() && summary.rows == 0 {
        sink.problem(
            Problem::new(
                &EMPTY_SHEET,
                name,
                "the header row is followed by no data rows",
            )
            .sheet(name),
        );
    }
}

/// Stops a file at the row cap, with the problem that says so.
fn row_cap_reached(
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
        sink.problem(
            Problem::new(
                &DUPLICATE_COLUMN,
                name,
                format!(
                    "columns {} and {} both name {}",
                    column_letter(*first),
                    column_letter(*again),
                    f.name()
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

fn read_workbook(
    path: &Path,
    name: &str,
    kind: FileKind,
    aliases: &ColumnAliases,
    limits: ReadLimits,
    sink: &mut dyn RowSink,
    summary: &mut ReadSummary,
) {
    if kind != FileKind::Ole2 {
        if let Err(msg) = check_zip_size(path, limits.max_unzipped) {
            let code = if msg.contains("zip bomb") {
                &FILE_TOO_LARGE
            } else {
                &FILE_UNREADABLE
            };
            return sink.problem(Problem::new(code, name, msg));
        }
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => BufReader::new(f),
        Err(e) => {
            return sink.problem(Problem::new(
                &FILE_UNREADABLE,
                name,
                format!("cannot open: {e}"),
            ))
        }
    };
    let result = match kind {
        FileKind::Xlsx => calamine::Xlsx::new(file)
            .map_err(|e| e.to_string())
            .map(|mut wb| sheets(&mut wb, xlsx_rows, name, aliases, limits, sink, summary)),
        FileKind::Xlsb => calamine::Xlsb::new(file)
            .map_err(|e| e.to_string())
            .map(|mut wb| sheets(&mut wb, range_rows, name, aliases, limits, sink, summary)),
        FileKind::Ods => calamine::Ods::new(file)
            .map_err(|e| e.to_string())
            .map(|mut wb| sheets(&mut wb, range_rows, name, aliases, limits, sink, summary)),
        _ => calamine::Xls::new(file)
            .map_err(|e| e.to_string())
            .map(|mut wb| sheets(&mut wb, range_rows, name, aliases, limits, sink, summary)),
    };
    if let Err(e) = result {
        sink.problem(Problem::new(
            &FILE_UNREADABLE,
            name,
            format!(
                "the {} workbook cannot be opened (corrupt or truncated?): {e}",
                kind.name()
            ),
        ));
    }
}

/// Feeds the rows of one sheet to `f` (row number as the user sees it, cells); `f` returns false to stop.
type SheetRows<R> = fn(&mut R, &str, &mut dyn FnMut(u32, &[Data]) -> bool) -> Result<(), String>;

/// Rows of a sheet loaded whole (xls, xlsb, ods: calamine has no streaming reader for every format).
fn range_rows<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(
    wb: &mut R,
    sheet: &str,
    f: &mut dyn FnMut(u32, &[Data]) -> bool,
) -> Result<(), String>
where
    R::Error: std::fmt::Display,
{
    let range = wb.worksheet_range(sheet).map_err(|e| e.to_string())?;
    let first_row = range.start().map(|(r, _)| r).unwrap_or(0);
    for (i, cells) in range.rows().enumerate() {
        if !f(first_row + i as u32 + 1, cells) {
            break;
        }
    }
    Ok(())
}

/// Rows of an xlsx sheet streamed cell by cell, so the row cap bounds memory and time too (a sheet is
/// never held whole).
fn xlsx_rows<RS: std::io::Read + std::io::Seek>(
    wb: &mut calamine::Xlsx<RS>,
    sheet: &str,
    f: &mut dyn FnMut(u32, &[Data]) -> bool,
) -> Result<(), String> {
    /// Excel's last column; cells beyond it are not data.
    const MAX_COLUMNS: usize = 16_384;
    let mut reader = wb
        .worksheet_cells_reader(sheet)
        .map_err(|e| e.to_string())?;
    let mut cells: Vec<Data> = Vec::new();
    let mut current: Option<u32> = None;
    while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
        let (r, c) = cell.get_position();
        if current != Some(r) {
            if let Some(prev) = current {
                if !f(prev + 1, &cells) {
                    return Ok(());
                }
            }
            cells.clear();
            current = Some(r);
        }
        let c = c as usize;
        if c >= MAX_COLUMNS {
            continue;
        }
        if c >= cells.len() {
            cells.resize(c + 1, Data::Empty);
        }
        cells[c] = Data::from(cell.get_value().clone());
    }
    if let Some(prev) = current {
        f(prev + 1, &cells);
    }
    Ok(())
}

fn sheets<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(
    wb: &mut R,
    rows_of: SheetRows<R>,
    name: &str,
    aliases: &ColumnAliases,
    limits: ReadLimits,
    sink: &mut dyn RowSink,
    summary: &mut ReadSummary,
) {
    let sheet_names = wb.sheet_names().to_vec();
    let mut capped = false;
    for sheet in &sheet_names {
        let mut header: Option<HeaderMap> = None;
        let mut rows_in_sheet = 0usize;
        let read = rows_of(wb, sheet, &mut |row, cells| {
            let r = RowRef::Sheet(cells);
            if r.is_blank() {
                return true;
            }
            match &header {
                None => {
                    let texts: Vec<String> = cells.iter().map(r_text).collect();
                    let h = HeaderMap::from_cells(texts.iter().map(String::as_str), aliases);
                    if !h.is_hawb_header() {
                        return false;
                    }
                    report_header(name, sheet, &h, row, sink);
                    sink.begin_sheet(sheet, &h, row);
                    header = Some(h);
                }
                Some(_) => {
                    if row_cap_reached(summary, limits, name, sheet, row, sink) {
                        capped = true;
                        return false;
                    }
                    summary.rows += 1;
                    rows_in_sheet += 1;
                    sink.row(row, &r);
                }
            }
            true
        });
        if let Err(e) = read {
            sink.problem(
                Problem::new(
                    &FILE_UNREADABLE,
                    name,
                    format!("sheet cannot be read (corrupt?): {e}"),
                )
                .sheet(sheet.clone()),
            );
            continue;
        }
        if capped {
            return;
        }
        match header {
            Some(_) => {
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
            }
            None => summary.sheets_skipped.push(sheet.clone()),
        }
    }
    if summary.sheets_read.is_empty() {
        let msg = if sheet_names.is_empty() {
            "the workbook has no sheet".to_string()
        } else {
            format!(
                "no sheet has a HAWB header row (looked at: {}); the header needs a tracking number or shipperItemId, a consignee and a product description column",
                sheet_names.join(", ")
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

/// A header cell as text.
fn r_text(c: &Data) -> String {
    match c {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        Data::Float(f) => float_text(*f),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_become_their_shortest_exact_text() {
        assert_eq!(float_text(1.125), "1.125");
        assert_eq!(float_text(2.0), "2");
        assert_eq!(float_text(0.1), "0.1");
        assert_eq!(float_text(0.30000000000000004), "0.30000000000000004");
        assert_eq!(float_text(-3.5), "-3.5");
    }

    #[test]
    fn delimiter_is_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(28), "AC");
    }
}
