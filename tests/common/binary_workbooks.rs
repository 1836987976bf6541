//! Minimal xls (BIFF8) and xlsb writers for tests: one sheet of text cells, with hidden rows, hidden
//! columns and a default of hidden rows, as Excel records them ([MS-XLS] `BOF`, `BoundSheet8`, `Row`,
//! `ColInfo`, `DefaultRowHeight`, `Label`; [MS-XLSB] `BrtBundleSh`, `BrtRowHdr`, `BrtColInfo`,
//! `BrtWsFmtInfo`, `BrtCellSt`). No crate writes either format.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What a test workbook hides, and merges: rows as the user numbers them (1-based), columns 0-based,
/// and whether rows without a row record are hidden.
#[derive(Default, Clone)]
pub struct Hiding {
    pub rows: Vec<u32>,
    pub columns: Vec<u32>,
    pub rows_hidden_by_default: bool,
    /// Merged areas: first row, last row (1-based), first column, last column (0-based).
    pub merged: Vec<(u32, u32, u32, u32)>,
    /// Number cells written instead of the text at row (1-based), column (0-based), with a number
    /// format code.
    pub numbers: Vec<(u32, u32, f64, String)>,
    /// xls only: formula cells (`=1`) written instead of the text at row (1-based), column (0-based),
    /// storing the 8-byte result given ([MS-XLS] `FormulaValue`: a double, or a type byte and 0xFFFF).
    pub formulas: Vec<(u32, u32, [u8; 8])>,
    /// xls only: the workbook's globals hold a `RecalcId` record, as Excel and LibreOffice write.
    pub recalc_id: bool,
}

fn biff(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn bof(dt: u16) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&0x0600u16.to_le_bytes());
    d.extend_from_slice(&dt.to_le_bytes());
    d.extend_from_slice(&0x0DBBu16.to_le_bytes());
    d.extend_from_slice(&0x07CCu16.to_le_bytes());
    d.extend_from_slice(&0u32.to_le_bytes());
    d.extend_from_slice(&0x0006u32.to_le_bytes());
    d
}

/// The BIFF8 `Workbook` stream of one sheet named `sheet`.
pub fn xls_stream(sheet: &str, rows: &[Vec<String>], hiding: &Hiding) -> Vec<u8> {
    let mut globals = Vec::new();
    biff(&mut globals, 0x0809, &bof(0x0005));
    biff(&mut globals, 0x0042, &1200u16.to_le_bytes());
    if hiding.recalc_id {
        biff(
            &mut globals,
            0x01C1,
            &[0xC1, 0x01, 0, 0, 0x2C, 0x52, 0x0E, 0],
        );
    }
    // Formats: one custom id (164 on) per distinct code, and 16 default XFs then one XF per code.
    let codes = number_codes(hiding);
    for (i, code) in codes.iter().enumerate() {
        let units: Vec<u16> = code.encode_utf16().collect();
        let mut d = Vec::new();
        d.extend_from_slice(&(164 + i as u16).to_le_bytes());
        d.extend_from_slice(&(units.len() as u16).to_le_bytes());
        d.push(1);
        for u in units {
            d.extend_from_slice(&u.to_le_bytes());
        }
        biff(&mut globals, 0x041E, &d);
    }
    for ifmt in std::iter::repeat_n(0u16, 16).chain((0..codes.len()).map(|i| 164 + i as u16)) {
        let mut d = vec![0u8; 20];
        d[2..4].copy_from_slice(&ifmt.to_le_bytes());
        biff(&mut globals, 0x00E0, &d);
    }
    let name: Vec<u16> = sheet.encode_utf16().collect();
    // The BoundSheet8 record: its header, offset, state, type, length, flags and UTF-16 name.
    let bound_len = 4 + 4 + 2 + 2 + 2 * name.len();
    let sheet_offset = (globals.len() + bound_len + 4) as u32;
    let mut bound = Vec::new();
    bound.extend_from_slice(&sheet_offset.to_le_bytes());
    bound.extend_from_slice(&[0, 0, name.len() as u8, 1]);
    for u in &name {
        bound.extend_from_slice(&u.to_le_bytes());
    }
    biff(&mut globals, 0x0085, &bound);
    biff(&mut globals, 0x000A, &[]);
    assert_eq!(globals.len() as u32, sheet_offset);

    let mut s = Vec::new();
    biff(&mut s, 0x0809, &bof(0x0010));
    let default_flags: u16 = if hiding.rows_hidden_by_default {
        0x02
    } else {
        0
    };
    let mut d = default_flags.to_le_bytes().to_vec();
    d.extend_from_slice(&300u16.to_le_bytes());
    biff(&mut s, 0x0225, &d);
    for &c in &hiding.columns {
        let mut d = Vec::new();
        for v in [c as u16, c as u16, 2340, 15, 1, 0] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        biff(&mut s, 0x007D, &d);
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0) as u16;
    let mut d = Vec::new();
    d.extend_from_slice(&0u32.to_le_bytes());
    d.extend_from_slice(&(rows.len() as u32).to_le_bytes());
    d.extend_from_slice(&0u16.to_le_bytes());
    d.extend_from_slice(&width.to_le_bytes());
    d.extend_from_slice(&0u16.to_le_bytes());
    biff(&mut s, 0x0200, &d);
    for r in 0..rows.len() {
        let hidden = hiding.rows.contains(&(r as u32 + 1));
        // Under a default of hidden rows, a row record of a shown row says so; a hidden row has none.
        if hiding.rows_hidden_by_default && hidden {
            continue;
        }
        let mut d = Vec::new();
        let flags: u16 = 0x0100 | if hidden { 0x20 } else { 0 };
        for v in [r as u16, 0, width, 300, 0, 0, flags, 0x000F] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        biff(&mut s, 0x0208, &d);
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            let formula = hiding
                .formulas
                .iter()
                .find(|(fr, fc, _)| *fr == r as u32 + 1 && *fc == c as u32);
            if let Some((_, _, result)) = formula {
                let mut d = Vec::new();
                for v in [r as u16, c as u16, 15] {
                    d.extend_from_slice(&v.to_le_bytes());
                }
                d.extend_from_slice(result);
                d.extend_from_slice(&[0; 6]);
                // The formula `=1`: 3 bytes of tokens, ptgInt 1.
                d.extend_from_slice(&3u16.to_le_bytes());
                d.extend_from_slice(&[0x1E, 1, 0]);
                biff(&mut s, 0x0006, &d);
                continue;
            }
            if let Some((value, code)) = number_at(hiding, &codes, r, c) {
                let xf = 16 + code as u16;
                let mut d = Vec::new();
                for v in [r as u16, c as u16, xf] {
                    d.extend_from_slice(&v.to_le_bytes());
                }
                d.extend_from_slice(&value.to_le_bytes());
                biff(&mut s, 0x0203, &d);
                continue;
            }
            if text.is_empty() {
                continue;
            }
            let units: Vec<u16> = text.encode_utf16().collect();
            let mut d = Vec::new();
            for v in [r as u16, c as u16, 15, units.len() as u16] {
                d.extend_from_slice(&v.to_le_bytes());
            }
            d.push(1);
            for u in units {
                d.extend_from_slice(&u.to_le_bytes());
            }
            biff(&mut s, 0x0204, &d);
        }
    }
    if !hiding.merged.is_empty() {
        let mut d = (hiding.merged.len() as u16).to_le_bytes().to_vec();
        for &(r0, r1, c0, c1) in &hiding.merged {
            for v in [r0 - 1, r1 - 1, c0, c1] {
                d.extend_from_slice(&(v as u16).to_le_bytes());
            }
        }
        biff(&mut s, 0x00E5, &d);
    }
    biff(&mut s, 0x000A, &[]);
    globals.extend_from_slice(&s);
    globals
}

/// Writes a one-sheet xls of text cells (the sheet named "Sheet1").
pub fn write_xls(dir: &Path, name: &str, rows: &[Vec<String>], hiding: &Hiding) -> PathBuf {
    let path = dir.join(name);
    let stream = xls_stream("Sheet1", rows, hiding);
    // Version 3 (512-byte sectors), as Excel writes xls files.
    let file = std::fs::File::create(&path).expect("create the xls");
    let mut comp = cfb::CompoundFile::create_with_version(cfb::Version::V3, file)
        .expect("create the compound file");
    let mut s = comp
        .create_stream("/Workbook")
        .expect("the Workbook stream");
    s.write_all(&stream).expect("write the Workbook stream");
    drop(s);
    comp.flush().expect("flush the compound file");
    path
}

/// An xlsb record: its type and size as 7-bit groups, then its data.
pub fn xlsb_record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    if typ < 0x80 {
        out.push(typ as u8);
    } else {
        out.push((typ & 0x7F) as u8 | 0x80);
        out.push((typ >> 7) as u8);
    }
    let mut size = data.len();
    loop {
        let b = (size & 0x7F) as u8;
        size >>= 7;
        if size == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(data);
}

fn wide(out: &mut Vec<u8>, text: &str) {
    let units: Vec<u16> = text.encode_utf16().collect();
    out.extend_from_slice(&(units.len() as u32).to_le_bytes());
    for u in units {
        out.extend_from_slice(&u.to_le_bytes());
    }
}

/// The number written at row `r` and column `c` (0-based), with the index of its code in
/// [`number_codes`].
fn number_at(hiding: &Hiding, codes: &[&str], r: usize, c: usize) -> Option<(f64, usize)> {
    let (_, _, value, code) = hiding
        .numbers
        .iter()
        .find(|(nr, nc, _, _)| *nr == r as u32 + 1 && *nc == c as u32)?;
    Some((*value, codes.iter().position(|k| k == code).unwrap_or(0)))
}

/// A writer of one-sheet workbooks of text cells.
pub type Writer = fn(&Path, &str, &[Vec<String>], &Hiding) -> PathBuf;

/// The writers of this module, each with its file extension.
pub const WRITERS: [(&str, Writer); 2] = [("xls", write_xls), ("xlsb", write_xlsb)];

/// The distinct format codes of the number cells, in order: code `i` has format id `164 + i` and cell
/// XF `1 + i` (XF 0 is General).
fn number_codes(hiding: &Hiding) -> Vec<&str> {
    let mut codes: Vec<&str> = Vec::new();
    for (_, _, _, code) in &hiding.numbers {
        if !codes.contains(&code.as_str()) {
            codes.push(code);
        }
    }
    codes
}

/// The `styles.bin` of an xlsb: the number formats and one cell XF per format.
fn xlsb_styles(hiding: &Hiding) -> Vec<u8> {
    let codes = number_codes(hiding);
    let mut s = Vec::new();
    xlsb_record(&mut s, 0x0267, &(codes.len() as u32).to_le_bytes());
    for (i, code) in codes.iter().enumerate() {
        let mut d = (164 + i as u16).to_le_bytes().to_vec();
        wide(&mut d, code);
        xlsb_record(&mut s, 0x002C, &d);
    }
    xlsb_record(&mut s, 0x0268, &[]);
    xlsb_record(&mut s, 0x0269, &(1 + codes.len() as u32).to_le_bytes());
    for ifmt in std::iter::once(0u16).chain((0..codes.len()).map(|i| 164 + i as u16)) {
        let mut d = vec![0u8; 16];
        d[2..4].copy_from_slice(&ifmt.to_le_bytes());
        xlsb_record(&mut s, 0x002F, &d);
    }
    xlsb_record(&mut s, 0x026A, &[]);
    s
}

/// The sheet part of an xlsb of text cells.
pub fn xlsb_sheet_part(rows: &[Vec<String>], hiding: &Hiding) -> Vec<u8> {
    let codes = number_codes(hiding);
    let width = rows.iter().map(Vec::len).max().unwrap_or(1) as u32;
    let mut s = Vec::new();
    xlsb_record(&mut s, 0x0081, &[]);
    let mut dim = Vec::new();
    for v in [
        0,
        rows.len().saturating_sub(1) as u32,
        0,
        width.saturating_sub(1),
    ] {
        dim.extend_from_slice(&v.to_le_bytes());
    }
    xlsb_record(&mut s, 0x0094, &dim);
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    fmt.extend_from_slice(&8u16.to_le_bytes());
    fmt.extend_from_slice(&300u16.to_le_bytes());
    let flags: u16 = if hiding.rows_hidden_by_default {
        0x02
    } else {
        0
    };
    fmt.extend_from_slice(&flags.to_le_bytes());
    fmt.extend_from_slice(&[0, 0]);
    xlsb_record(&mut s, 0x01E5, &fmt);
    if !hiding.columns.is_empty() {
        xlsb_record(&mut s, 0x0186, &[]);
        for &c in &hiding.columns {
            let mut d = Vec::new();
            for v in [c, c, 2340, 0] {
                d.extend_from_slice(&v.to_le_bytes());
            }
            d.extend_from_slice(&1u16.to_le_bytes());
            xlsb_record(&mut s, 0x003C, &d);
        }
        xlsb_record(&mut s, 0x0187, &[]);
    }
    xlsb_record(&mut s, 0x0091, &[]);
    for (r, row) in rows.iter().enumerate() {
        // Every row of cells has its header record (a cell names no row of its own), so a row hidden
        // by the default is hidden by its flag too.
        let hidden = hiding.rows.contains(&(r as u32 + 1));
        {
            let mut d = Vec::new();
            d.extend_from_slice(&(r as u32).to_le_bytes());
            d.extend_from_slice(&0u32.to_le_bytes());
            d.extend_from_slice(&300u16.to_le_bytes());
            d.push(0);
            d.push(if hidden { 0x10 } else { 0 });
            d.push(0);
            d.extend_from_slice(&0u32.to_le_bytes());
            xlsb_record(&mut s, 0x0000, &d);
        }
        for (c, text) in row.iter().enumerate() {
            if let Some((value, code)) = number_at(hiding, &codes, r, c) {
                let xf = 1 + code as u32;
                let mut d = Vec::new();
                d.extend_from_slice(&(c as u32).to_le_bytes());
                d.extend_from_slice(&xf.to_le_bytes());
                d.extend_from_slice(&value.to_le_bytes());
                xlsb_record(&mut s, 0x0005, &d);
                continue;
            }
            if text.is_empty() {
                continue;
            }
            let mut d = Vec::new();
            d.extend_from_slice(&(c as u32).to_le_bytes());
            d.extend_from_slice(&0u32.to_le_bytes());
            wide(&mut d, text);
            xlsb_record(&mut s, 0x0006, &d);
        }
    }
    xlsb_record(&mut s, 0x0092, &[]);
    if !hiding.merged.is_empty() {
        xlsb_record(&mut s, 0x00B1, &(hiding.merged.len() as u32).to_le_bytes());
        for &(r0, r1, c0, c1) in &hiding.merged {
            let mut d = Vec::new();
            for v in [r0 - 1, r1 - 1, c0, c1] {
                d.extend_from_slice(&v.to_le_bytes());
            }
            xlsb_record(&mut s, 0x00B0, &d);
        }
        xlsb_record(&mut s, 0x00B2, &[]);
    }
    xlsb_record(&mut s, 0x0082, &[]);
    s
}

/// Writes a one-sheet xlsb of text cells (the sheet named "Sheet1").
pub fn write_xlsb(dir: &Path, name: &str, rows: &[Vec<String>], hiding: &Hiding) -> PathBuf {
    let path = dir.join(name);
    let f = std::fs::File::create(&path).expect("create the xlsb");
    let mut zip = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    let part = |zip: &mut zip::ZipWriter<std::fs::File>, name: &str, bytes: &[u8]| {
        zip.start_file(name, opts).expect("a zip entry");
        zip.write_all(bytes).expect("write a zip entry");
    };
    part(
        &mut zip,
        "[Content_Types].xml",
        br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>"#,
    );
    part(
        &mut zip,
        "_rels/.rels",
        br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>"#,
    );
    part(
        &mut zip,
        "xl/_rels/workbook.bin.rels",
        br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.bin"/></Relationships>"#,
    );
    let mut wb = Vec::new();
    xlsb_record(&mut wb, 0x0083, &[]);
    xlsb_record(&mut wb, 0x008F, &[]);
    let mut sh = Vec::new();
    sh.extend_from_slice(&0u32.to_le_bytes());
    sh.extend_from_slice(&1u32.to_le_bytes());
    wide(&mut sh, "rId1");
    wide(&mut sh, "Sheet1");
    xlsb_record(&mut wb, 0x009C, &sh);
    xlsb_record(&mut wb, 0x0090, &[]);
    xlsb_record(&mut wb, 0x0084, &[]);
    part(&mut zip, "xl/workbook.bin", &wb);
    part(&mut zip, "xl/styles.bin", &xlsb_styles(hiding));
    part(
        &mut zip,
        "xl/worksheets/sheet1.bin",
        &xlsb_sheet_part(rows, hiding),
    );
    zip.finish().expect("finish the xlsb");
    path
}
