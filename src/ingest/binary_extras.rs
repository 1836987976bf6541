//! What xls and xlsb sheets hold that calamine does not report: hidden (or filtered-out) rows, hidden
//! columns and cells merged down several rows, each number's format, and (xls) formulas whose stored
//! result is a writer's placeholder, so these workbooks are read as
//! the user sees them, like xlsx and ods ([`super::sheet_extras`]).
//!
//! Sources:
//! - xls (BIFF5 and BIFF8, [MS-XLS]): the `Workbook` (or `Book`) stream of the compound file is a run of
//!   records of a 2-byte type and a 2-byte length. `BoundSheet8` (0x0085, §2.4.28) gives each sheet's
//!   stream offset, in the workbook's sheet order; each sheet runs from its `BOF` (0x0809) to the matching
//!   `EOF` (0x000A), embedded charts nested inside with their own pair. `Row` (0x0208, §2.4.221): the row
//!   `rw` (0-based) is hidden when `fDyZero` (bit 5 of the byte at offset 12) is set or its height
//!   `miyRw` (offset 6) is 0; `ColInfo` (0x007D, §2.4.53): columns `colFirst..=colLast` are hidden when
//!   `fHidden` (bit 0 of the flags at offset 8) is set or their width `coldx` (offset 4) is 0;
//!   `DefaultRowHeight` (0x0225, §2.4.87): `fDyZero` (bit 1) hides every row no `Row` record shows;
//!   `MergeCells` (0x00E5): a count, then that many areas of 2-byte first and last row and column.
//!   Number formats: `Format` (0x041E, §2.4.126) gives a format id its code, `XF` (0x00E0, §2.4.353)
//!   each cell style its format id (built-in ids without a `Format` record are ECMA-376's,
//!   [`builtin_format_code`]), and `Number`, `RK`, `MulRk` and `Formula` name their cell's XF.
//!   Formulas a program left uncalculated: a BIFF8 workbook without `RecalcId` (0x01C1, §2.4.215, which
//!   Excel and LibreOffice write) in which every `Formula` (0x0006, §2.4.127) stores an empty string or 0
//!   ([`placeholder_result`]) is recomputed when Excel opens it; its formulas hold no value mawb can read.
//!   An encrypted workbook (`FilePass`, 0x002F) is not scanned: calamine refuses it.
//! - xlsb ([MS-XLSB]): a zip whose parts are records of a 1–2-byte type and a 1–4-byte size, each byte
//!   giving 7 bits (§2.1.4). `xl/workbook.bin` lists the sheets in order in `BrtBundleSh` (0x009C,
//!   §2.4.304: `hsState`, `iTabID`, `strRelID`, `strName`), `xl/_rels/workbook.bin.rels` maps `strRelID`
//!   to the sheet's part. In a sheet part, `BrtRowHdr` (0x0000, §2.4.726): row `rw` (0-based) is hidden
//!   when `fDyZero` (bit 4 of the byte at offset 11) is set or its height `miyRw` (offset 8) is 0;
//!   `BrtColInfo` (0x003C, §2.4.323): columns `colFirst..=colLast` hidden when `fHidden` (bit 0 of the
//!   flags at offset 16) is set or their width `coldx` (offset 8) is 0; `BrtWsFmtInfo`
//!   (0x01E5, §2.4.841): `fDyZero` (bit 1 of the flags at offset 8) hides every row no `BrtRowHdr` shows;
//!   `BrtMergeCell` (0x00B0): an area of 4-byte first and last row and column. Number formats: the
//!   number cells (`BrtCellRk`, `BrtCellReal`, `BrtFmlaNum`) name a cell XF of `xl/styles.bin`
//!   ([`xlsb_xf_formats`]); a sheet is read whole when its `BrtEndSheetData` (0x0092) is reached.
//!
//! Sheets come back in workbook order, the order in which calamine lists them (its `sheets_metadata`),
//! so the caller pairs them by position and never depends on decoding a sheet name (BIFF5 names are in
//! the workbook's code page).
//!
//! Written here because calamine (0.38) reads these records and drops them, and no maintained crate
//! exposes them; the scan reads only the few records that matter and skips every other by its length.

use std::collections::HashMap;
use std::io::{Read, Seek};

use super::numfmt::{builtin_format_code, NumFmt};
use super::sheet_extras::{MergedArea, SheetExtras};

/// The last row (0-based) of an xls sheet: a default of hidden rows hides the rows up to it that no
/// `Row` record shows.
const XLS_LAST_ROW: u32 = 65_535;
/// The same for xlsb (Excel's 1,048,576 rows).
const XLSB_LAST_ROW: u32 = 1_048_575;

/// Rows and columns one sheet hides, its merged areas and its numbers' formats, gathered while its
/// records are read.
#[derive(Default)]
struct Found {
    /// Merged areas over more than one row.
    merged: Vec<MergedArea>,
    /// Rows (0-based) a row record hides.
    rows: Vec<u32>,
    /// Rows (0-based) a row record shows (they stay visible when the default hides rows).
    shown: Vec<u32>,
    /// Whether rows without a row record are hidden.
    default_hidden: bool,
    /// Hidden column ranges (0-based, inclusive).
    columns: Vec<(u32, u32)>,
    /// The formats of the numbers that are not General, by (row 1-based, column 0-based).
    formats: HashMap<(u32, u32), NumFmt>,
    /// More than [`MAX_FORMATTED_CELLS`] numbers had a format: the formats count as not seen.
    too_many: bool,
    /// Formulas whose stored result is a placeholder, by (row 1-based, column 0-based), at most
    /// [`MAX_FORMATTED_CELLS`].
    no_value: Vec<(u32, u32)>,
}

impl Found {
    /// A column record: columns `first..=last` (0-based), kept when hidden.
    fn column(&mut self, first: u32, last: u32, hidden: bool) {
        if hidden && first <= last {
            self.columns.push((first, last));
        }
    }

    /// A number at `row` (0-based) and `col` shown in `fmt`.
    fn number(&mut self, row: u32, col: u32, fmt: &NumFmt) {
        if *fmt == NumFmt::General {
            return;
        }
        if self.formats.len() < MAX_FORMATTED_CELLS {
            self.formats
                .insert((row.saturating_add(1), col), fmt.clone());
        } else {
            self.too_many = true;
        }
    }

    /// A formula at `row` (0-based) and `col` whose result the file does not hold.
    fn no_value(&mut self, row: u32, col: u32) {
        if self.no_value.len() < MAX_FORMATTED_CELLS {
            self.no_value.push((row.saturating_add(1), col));
        }
    }

    /// A merged area of 0-based rows and columns; kept when it spans more than one row.
    fn merge(&mut self, first_row: u32, last_row: u32, first_col: u32, last_col: u32) {
        if first_row < last_row && first_col <= last_col && last_row < XLSB_LAST_ROW {
            self.merged.push(MergedArea {
                first_row: first_row + 1,
                last_row: last_row + 1,
                first_col,
                last_col,
            });
        }
    }

    fn row(&mut self, row: u32, hidden: bool) {
        if hidden {
            self.rows.push(row);
        } else {
            self.shown.push(row);
        }
    }

    /// The sheet's extras, rows numbered as the user sees them (1-based); `read_whole`: every record of
    /// the sheet was read and the workbook's formats were found, so its numbers' formats are known.
    fn into_extras(mut self, last_row: u32, read_whole: bool) -> SheetExtras {
        let mut extras = SheetExtras::default();
        if self.default_hidden {
            // Every row but those shown: the gaps between them, as ranges.
            self.shown.sort_unstable();
            self.shown.dedup();
            let mut next = 0u32;
            for &s in self.shown.iter().filter(|&&s| s <= last_row) {
                if s > next {
                    extras.hide(next + 1, s);
                }
                next = s + 1;
            }
            if next <= last_row {
                extras.hide(next + 1, last_row + 1);
            }
        } else {
            self.rows.sort_unstable();
            self.rows.dedup();
            for r in self.rows.into_iter().filter(|&r| r <= last_row) {
                extras.hide(r + 1, r + 1);
            }
        }
        self.columns.sort_unstable();
        extras.hidden_columns = self.columns;
        extras.merged = self.merged;
        extras.formulas_without_value = self.no_value.into_iter().collect();
        if read_whole && !self.too_many {
            extras.number_formats = self.formats;
            extras.formats_known = true;
        }
        extras
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// The BIFF records of `stream` from `offset`: (type, data), until the stream ends or a record is cut.
fn biff_records(stream: &[u8], offset: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = offset;
    std::iter::from_fn(move || {
        let typ = u16_at(stream, at)?;
        let len = usize::from(u16_at(stream, at + 2)?);
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((typ, data))
    })
}

/// BOF records of every BIFF version (BIFF2 to BIFF8).
fn is_bof(typ: u16) -> bool {
    matches!(typ, 0x0009 | 0x0209 | 0x0409 | 0x0809)
}

/// Scans an xls workbook: each sheet's hidden rows and columns, in workbook order. A stream that cannot
/// be read is an error; an encrypted workbook gives no sheets (calamine refuses it with its own message).
pub fn scan_xls<R: Read + Seek>(reader: R) -> Result<Vec<SheetExtras>, String> {
    let mut cfb = cfb::CompoundFile::open(reader)
        .map_err(|e| format!("corrupt or truncated workbook: {e}"))?;
    // `Workbook` (BIFF8), else `Book` (BIFF5), in any case.
    let streams: Vec<String> = cfb
        .read_root_storage()
        .filter(|e| e.is_stream())
        .map(|e| e.name().to_string())
        .collect();
    let name = ["Workbook", "Book"]
        .iter()
        .find_map(|want| streams.iter().find(|n| n.eq_ignore_ascii_case(want)));
    let Some(name) = name else {
        // Not a workbook (calamine says so when it opens the file).
        return Ok(Vec::new());
    };
    let mut stream = Vec::new();
    cfb.open_stream(format!("/{name}"))
        .and_then(|mut s| s.read_to_end(&mut stream))
        .map_err(|e| format!("the workbook stream cannot be read: {e}"))?;
    Ok(xls_sheets(&stream))
}

/// [`scan_xls`] on the bytes of the workbook stream.
fn xls_sheets(stream: &[u8]) -> Vec<SheetExtras> {
    let mut offsets = Vec::new();
    let mut biff8 = true;
    let mut codes: HashMap<u16, String> = HashMap::new();
    // The number format id of each XF (cell style), in order: a cell names its XF by index.
    let mut xf_formats: Vec<u16> = Vec::new();
    // Whether the globals hold a `RecalcId` (0x01C1, §2.4.215): current Excel and LibreOffice write one,
    // and a BIFF8 workbook without it is recalculated whole when Excel opens it.
    let mut recalc_id = false;
    for (typ, data) in biff_records(stream, 0) {
        match typ {
            0x002F => return Vec::new(),
            0x01C1 => recalc_id = true,
            0x0809 => biff8 = u16_at(data, 0).is_none_or(|v| v >= 0x0600),
            0x0085 => offsets.push(u32_at(data, 0).unwrap_or(u32::MAX) as usize),
            0x041E => {
                if let (Some(id), Some(code)) = (u16_at(data, 0), format_code(data, biff8)) {
                    codes.insert(id, code);
                }
            }
            0x00E0 => xf_formats.push(u16_at(data, 2).unwrap_or(u16::MAX)),
            0x000A => break,
            _ => {}
        }
    }
    // Each XF's format as mawb judges numbers: the file's own code for the id (a built-in currency
    // format carries the file's currency sign), else the built-in's; an id with neither is not seen.
    let xf_formats: Vec<NumFmt> = xf_formats
        .into_iter()
        .map(|id| match codes.get(&id) {
            Some(code) => NumFmt::parse(code),
            None => builtin_format_code(u32::from(id)).map_or(NumFmt::Unknown, NumFmt::parse),
        })
        .collect();
    let mut sheets: Vec<(SheetExtras, bool)> = offsets
        .into_iter()
        .map(|o| xls_sheet(stream, o, &xf_formats))
        .collect();
    // A workbook Excel recalculates on opening, in which no formula stores a result but a placeholder,
    // was written by a program that does not calculate (xlwt stores an empty string for every formula,
    // others 0): what Excel shows is not in the file. Otherwise (an old Excel's file also lacks
    // `RecalcId`, with its formulas' real results, some of them 0) the stored results are read.
    let written_without_results = biff8 && !recalc_id && !sheets.iter().any(|(_, real)| *real);
    if !written_without_results {
        for (extras, _) in &mut sheets {
            extras.formulas_without_value.clear();
        }
    }
    sheets.into_iter().map(|(extras, _)| extras).collect()
}

/// Whether a `Formula` record's stored result ([MS-XLS] §2.4.127: 8 bytes at offset 6; `FormulaValue`,
/// §2.5.133: a non-number when its last two bytes are 0xFFFF, then its first byte is the type) is what a
/// program that does not calculate leaves: an empty string (type 3) or the number 0.
fn placeholder_result(data: &[u8]) -> bool {
    let Some(result) = data.get(6..14) else {
        return false;
    };
    if result[6..8] == [0xFF, 0xFF] {
        return result[0] == 3;
    }
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(result);
    f64::from_le_bytes(bytes) == 0.0
}

/// The code of a `Format` record ([MS-XLS] §2.4.126): after the 2-byte id, a BIFF8 `XLUnicodeString`
/// (2-byte count, flags, then Latin-1 or UTF-16 characters after any rich-text and phonetic counts), or a
/// BIFF5 string (1-byte count, then 8-bit characters, read as Latin-1: format codes are ASCII).
fn format_code(data: &[u8], biff8: bool) -> Option<String> {
    if !biff8 {
        let count = usize::from(*data.get(2)?);
        return Some(
            data.get(3..3 + count)?
                .iter()
                .map(|&b| char::from(b))
                .collect(),
        );
    }
    let count = usize::from(u16_at(data, 2)?);
    let flags = *data.get(4)?;
    let mut at = 5;
    if flags & 0x08 != 0 {
        at += 2;
    }
    if flags & 0x04 != 0 {
        at += 4;
    }
    if flags & 0x01 == 0 {
        return Some(
            data.get(at..at + count)?
                .iter()
                .map(|&b| char::from(b))
                .collect(),
        );
    }
    let units: Vec<u16> = data
        .get(at..at + 2 * count)?
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}

/// The most numbers of one sheet whose format is kept (a HAWB sheet has far fewer); past it the sheet's
/// formats count as not seen, so a pathological file cannot make the map grow without bound.
const MAX_FORMATTED_CELLS: usize = 1_000_000;

/// The hidden rows and columns, merged areas and number formats of the sheet whose BOF is at `offset`
/// (nothing for an offset that does not start a sheet); `xf_formats`: each XF's format. Its formulas
/// storing a placeholder result ([`placeholder_result`]) are listed as without a value, and the `bool`
/// says whether any of its formulas stores another result ([`xls_sheets`] decides which list holds).
fn xls_sheet(stream: &[u8], offset: usize, xf_formats: &[NumFmt]) -> (SheetExtras, bool) {
    let mut found = Found::default();
    let mut real_results = false;
    let format_of = |xf: u16| xf_formats.get(usize::from(xf)).unwrap_or(&NumFmt::Unknown);
    let mut depth = 0u32;
    // Whether the sheet's own EOF was read: its records were all seen.
    let mut ended = false;
    for (typ, data) in biff_records(stream, offset) {
        if is_bof(typ) {
            depth += 1;
            continue;
        }
        if depth == 0 {
            break;
        }
        match typ {
            0x000A => {
                depth -= 1;
                if depth == 0 {
                    ended = true;
                    break;
                }
            }
            0x0208 if depth == 1 => {
                if let (Some(row), Some(height), Some(&flags)) =
                    (u16_at(data, 0), u16_at(data, 6), data.get(12))
                {
                    // A custom height (bit 15 clear) of 0 shows nothing, as a hidden row.
                    found.row(u32::from(row), flags & 0x20 != 0 || height == 0);
                }
            }
            0x007D if depth == 1 => {
                if let (Some(first), Some(last), Some(width), Some(flags)) = (
                    u16_at(data, 0),
                    u16_at(data, 2),
                    u16_at(data, 4),
                    u16_at(data, 8),
                ) {
                    found.column(first.into(), last.into(), flags & 1 != 0 || width == 0);
                }
            }
            0x0225 if depth == 1 => {
                found.default_hidden = u16_at(data, 0).is_some_and(|f| f & 0x02 != 0);
            }
            // Number, RK and Formula: row, column and XF first ([MS-XLS] §2.4.180, §2.4.220, §2.4.127).
            0x0203 | 0x027E | 0x0006 if depth == 1 => {
                if let (Some(r), Some(c), Some(xf)) =
                    (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4))
                {
                    found.number(r.into(), c.into(), format_of(xf));
                    if typ == 0x0006 && placeholder_result(data) {
                        found.no_value(r.into(), c.into());
                    } else if typ == 0x0006 {
                        real_results = true;
                    }
                }
            }
            // MulRk (§2.4.175): row, first column, then an XF and an RK value (6 bytes) per column.
            0x00BD if depth == 1 => {
                if let (Some(r), Some(first)) = (u16_at(data, 0), u16_at(data, 2)) {
                    let cells = data.get(4..data.len().saturating_sub(2)).unwrap_or(&[]);
                    for (i, cell) in cells.chunks_exact(6).enumerate() {
                        if let Some(xf) = u16_at(cell, 0) {
                            let col = u32::from(first.saturating_add(i as u16));
                            found.number(r.into(), col, format_of(xf));
                        }
                    }
                }
            }
            0x00E5 if depth == 1 => {
                let count = usize::from(u16_at(data, 0).unwrap_or(0));
                for area in data.get(2..).unwrap_or(&[]).chunks_exact(8).take(count) {
                    if let (Some(r0), Some(r1), Some(c0), Some(c1)) = (
                        u16_at(area, 0),
                        u16_at(area, 2),
                        u16_at(area, 4),
                        u16_at(area, 6),
                    ) {
                        found.merge(r0.into(), r1.into(), c0.into(), c1.into());
                    }
                }
            }
            _ => {}
        }
    }
    (found.into_extras(XLS_LAST_ROW, ended), real_results)
}

/// One xlsb record header: the record's type and size, and where its data starts.
fn xlsb_header(part: &[u8], at: usize) -> Option<(u32, usize, usize)> {
    let mut at = at;
    let mut typ = 0u32;
    for i in 0..2 {
        let b = *part.get(at)?;
        at += 1;
        typ |= u32::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    let mut size = 0usize;
    for i in 0..4 {
        let b = *part.get(at)?;
        at += 1;
        size |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            break;
        }
    }
    Some((typ, size, at))
}

/// The records of an xlsb part: (type, data), until the part ends or a record is cut.
fn xlsb_records(part: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let (typ, size, start) = xlsb_header(part, at)?;
        let data = part.get(start..start + size)?;
        at = start + size;
        Some((typ, data))
    })
}

/// An `XLWideString` (a 4-byte count of UTF-16 units, then the units) at `at`: the text and where the
/// next field starts. `None` for the null string (count 0xFFFFFFFF) or a string cut short.
fn wide_string(data: &[u8], at: usize) -> Option<(String, usize)> {
    let count = u32_at(data, at)?;
    if count == u32::MAX {
        return None;
    }
    let end = at + 4 + 2 * count as usize;
    let units: Vec<u16> = data
        .get(at + 4..end)?
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some((String::from_utf16_lossy(&units), end))
}

/// Scans an xlsb workbook: each sheet's hidden rows and columns, in workbook order (a sheet whose part
/// cannot be found gives none).
pub fn scan_xlsb<R: Read + Seek>(reader: R) -> Result<Vec<SheetExtras>, String> {
    let mut zip =
        zip::ZipArchive::new(reader).map_err(|e| format!("corrupt or truncated workbook: {e}"))?;
    let targets: HashMap<String, String> =
        super::sheet_extras::relationship_targets(&mut zip, "xl/_rels/workbook.bin.rels")?;
    let Some(workbook) = read_part(&mut zip, "xl/workbook.bin")? else {
        return Ok(Vec::new());
    };
    let mut parts = Vec::new();
    for (typ, data) in xlsb_records(&workbook) {
        // A sheet without a relationship id is not one calamine lists: skipped, to keep the order.
        if typ == 0x009C && u32_at(data, 8).is_some_and(|n| n != u32::MAX) {
            let rel = wide_string(data, 8).map(|(id, _)| id);
            parts.push(rel.and_then(|id| targets.get(&id).cloned()));
        }
    }
    let xf_formats = read_part(&mut zip, "xl/styles.bin")?.map(|s| xlsb_xf_formats(&s));
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        let extras = match part {
            Some(p) => match read_part(&mut zip, &p)? {
                Some(bytes) => xlsb_sheet(&bytes, xf_formats.as_deref()),
                None => SheetExtras::default(),
            },
            None => SheetExtras::default(),
        };
        out.push(extras);
    }
    Ok(out)
}

/// The number format of each cell XF of an xlsb `styles.bin`, in order: `BrtFmt` (0x002C, §2.4.648: a
/// 2-byte id and an `XLWideString` code) gives ids their codes; the `BrtXF` records (0x002F, §2.4.861: the
/// format id at offset 2) between `BrtBeginCellXFs` (0x0269) and `BrtEndCellXFs` (0x026A) are the cell
/// styles cells name (those of the cell-style XFs, 0x0272 to 0x0273, are not).
fn xlsb_xf_formats(styles: &[u8]) -> Vec<NumFmt> {
    let mut codes: HashMap<u16, String> = HashMap::new();
    let mut ids: Vec<u16> = Vec::new();
    let mut in_cell_xfs = false;
    for (typ, data) in xlsb_records(styles) {
        match typ {
            0x002C => {
                if let (Some(id), Some((code, _))) = (u16_at(data, 0), wide_string(data, 2)) {
                    codes.insert(id, code);
                }
            }
            0x0269 => in_cell_xfs = true,
            0x026A => in_cell_xfs = false,
            0x002F if in_cell_xfs => ids.push(u16_at(data, 2).unwrap_or(u16::MAX)),
            _ => {}
        }
    }
    ids.into_iter()
        .map(|id| match codes.get(&id) {
            Some(code) => NumFmt::parse(code),
            None => builtin_format_code(u32::from(id)).map_or(NumFmt::Unknown, NumFmt::parse),
        })
        .collect()
}

/// The bytes of a part of the archive; `None` when it is missing.
fn read_part<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    part: &str,
) -> Result<Option<Vec<u8>>, String> {
    let Some(mut f) = super::sheet_extras::entry(zip, part)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)
        .map_err(|e| format!("corrupt or truncated workbook ({part}): {e}"))?;
    Ok(Some(bytes))
}

/// The hidden rows and columns, merged areas and number formats of one xlsb sheet part; `xf_formats`:
/// each cell XF's format (`None` when the workbook has no styles part: formats not seen).
fn xlsb_sheet(part: &[u8], xf_formats: Option<&[NumFmt]>) -> SheetExtras {
    let mut found = Found::default();
    let (mut row, mut ended) = (0u32, false);
    for (typ, data) in xlsb_records(part) {
        match typ {
            0x0000 => {
                if let (Some(r), Some(height), Some(&flags)) =
                    (u32_at(data, 0), u16_at(data, 8), data.get(11))
                {
                    found.row(r, flags & 0x10 != 0 || height == 0);
                    row = r;
                }
            }
            // BrtCellRk, BrtCellReal, BrtFmlaNum: a column, then the style (24 bits) (§2.5.9).
            0x0002 | 0x0005 | 0x0009 => {
                if let (Some(col), Some(style), Some(xfs)) =
                    (u32_at(data, 0), u32_at(data, 4), xf_formats)
                {
                    let fmt = xfs
                        .get((style & 0x00FF_FFFF) as usize)
                        .unwrap_or(&NumFmt::Unknown);
                    found.number(row, col, fmt);
                }
            }
            0x0092 => ended = true,
            0x003C => {
                if let (Some(first), Some(last), Some(width), Some(flags)) = (
                    u32_at(data, 0),
                    u32_at(data, 4),
                    u32_at(data, 8),
                    u16_at(data, 16),
                ) {
                    found.column(first, last, flags & 1 != 0 || width == 0);
                }
            }
            0x01E5 => {
                found.default_hidden = u16_at(data, 8).is_some_and(|f| f & 0x02 != 0);
            }
            0x00B0 => {
                if let (Some(r0), Some(r1), Some(c0), Some(c1)) = (
                    u32_at(data, 0),
                    u32_at(data, 4),
                    u32_at(data, 8),
                    u32_at(data, 12),
                ) {
                    found.merge(r0, r1, c0, c1);
                }
            }
            _ => {}
        }
    }
    found.into_extras(XLSB_LAST_ROW, ended && xf_formats.is_some())
}

#[cfg(test)]
mod tests;
