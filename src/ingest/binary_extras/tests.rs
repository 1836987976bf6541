use super::*;
use proptest::prelude::*;

fn rec(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn words(values: &[u16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A `Row` record of 0-based row `rw`, hidden or not.
fn row(out: &mut Vec<u8>, rw: u16, hidden: bool) {
    let flags = 0x0100 | if hidden { 0x20 } else { 0 };
    rec(out, 0x0208, &words(&[rw, 0, 3, 300, 0, 0, flags, 15]));
}

/// A workbook stream of the given sheets (each a run of records after its BOF, before its EOF).
fn workbook(sheets: &[Vec<u8>]) -> Vec<u8> {
    let bof = words(&[0x0600, 0x0005, 0, 0, 0, 0, 6, 0]);
    // Globals: BOF, one BoundSheet8 per sheet (12 bytes of data with a 1-letter name), EOF.
    let globals_len = (4 + bof.len()) + sheets.len() * (4 + 12) + 4;
    let mut out = Vec::new();
    rec(&mut out, 0x0809, &bof);
    let mut at = globals_len;
    for s in sheets {
        let mut d = (at as u32).to_le_bytes().to_vec();
        d.extend_from_slice(&[0, 0, 1, 1, b'S', 0, 0, 0]);
        rec(&mut out, 0x0085, &d);
        at += (4 + bof.len()) + s.len() + 4;
    }
    rec(&mut out, 0x000A, &[]);
    assert_eq!(out.len(), globals_len);
    for s in sheets {
        rec(
            &mut out,
            0x0809,
            &words(&[0x0600, 0x0010, 0, 0, 0, 0, 6, 0]),
        );
        out.extend_from_slice(s);
        rec(&mut out, 0x000A, &[]);
    }
    out
}

#[test]
fn xls_rows_and_columns_are_read_per_sheet_and_an_embedded_chart_is_not_the_sheet() {
    let mut first = Vec::new();
    rec(&mut first, 0x007D, &words(&[2, 3, 2340, 15, 1, 0]));
    rec(&mut first, 0x007D, &words(&[5, 5, 2340, 15, 0, 0]));
    // Width 0: not seen, as a hidden column.
    rec(&mut first, 0x007D, &words(&[7, 7, 0, 15, 0, 0]));
    // Height 0 (a custom height: bit 15 clear): not seen, as a hidden row; a default height is not 0.
    rec(&mut first, 0x0208, &words(&[9, 0, 3, 0, 0, 0, 0x0100, 15]));
    rec(
        &mut first,
        0x0208,
        &words(&[10, 0, 3, 0x8000, 0, 0, 0x0100, 15]),
    );
    row(&mut first, 0, false);
    row(&mut first, 2, true);
    // An embedded chart's own substream: its records are not the sheet's.
    rec(
        &mut first,
        0x0809,
        &words(&[0x0600, 0x0020, 0, 0, 0, 0, 6, 0]),
    );
    row(&mut first, 7, true);
    rec(&mut first, 0x000A, &[]);
    row(&mut first, 4, true);
    // Two merged areas (rows 2-4 of column C, and one row only, which is not kept) and a cut third.
    rec(&mut first, 0x00E5, &words(&[3, 1, 3, 2, 2, 5, 5, 0, 1, 9]));
    let mut second = Vec::new();
    rec(&mut second, 0x0225, &words(&[0x02, 300]));
    row(&mut second, 0, false);
    row(&mut second, 3, false);
    row(&mut second, 4, true);
    let sheets = xls_sheets(&workbook(&[first, second]));
    assert_eq!(sheets.len(), 2);
    assert_eq!(sheets[0].hidden_rows, vec![(3, 3), (5, 5), (10, 10)]);
    assert_eq!(sheets[0].hidden_columns, vec![(2, 3), (7, 7)]);
    assert_eq!(
        sheets[0].merged,
        vec![MergedArea {
            first_row: 2,
            last_row: 4,
            first_col: 2,
            last_col: 2
        }]
    );
    // Hidden unless shown: rows 2-3 and 5 onwards (1-based).
    assert_eq!(sheets[1].hidden_rows, vec![(2, 3), (5, 65_536)]);
    assert!(sheets[1].hidden_columns.is_empty());
}

/// A BIFF8 `Format` record: id, then a UTF-16 or compressed string.
fn format(out: &mut Vec<u8>, id: u16, code: &str, wide: bool) {
    let mut d = id.to_le_bytes().to_vec();
    d.extend_from_slice(&(code.len() as u16).to_le_bytes());
    if wide {
        d.push(1);
        d.extend(code.encode_utf16().flat_map(u16::to_le_bytes));
    } else {
        d.push(0);
        d.extend_from_slice(code.as_bytes());
    }
    rec(out, 0x041E, &d);
}

fn xf(out: &mut Vec<u8>, ifmt: u16) {
    let mut d = vec![0u8; 20];
    d[2..4].copy_from_slice(&ifmt.to_le_bytes());
    rec(out, 0x00E0, &d);
}

#[test]
fn xls_numbers_get_the_format_of_their_cell_style() {
    // Globals: formats 164 ("00000", compressed) and 165 ("0.00 \"kg\"", UTF-16); XFs 0 (General),
    // 1 (164), 2 (165), 3 (built-in 2, "0.00"), 4 (an id with no code).
    let mut globals_extra = Vec::new();
    format(&mut globals_extra, 164, "00000", false);
    format(&mut globals_extra, 165, "0.00 \"kg\"", true);
    for ifmt in [0, 164, 165, 2, 200] {
        xf(&mut globals_extra, ifmt);
    }
    let mut sheet = Vec::new();
    // Number (row 1, col 0, XF 1), RK (row 1, col 1, XF 0: General, not kept), Formula (row 2, col 2,
    // XF 2), MulRk (row 3, cols 0-1: XF 3 and XF 4).
    let mut number = words(&[1, 0, 1]);
    number.extend_from_slice(&2134f64.to_le_bytes());
    rec(&mut sheet, 0x0203, &number);
    rec(
        &mut sheet,
        0x027E,
        &[words(&[1, 1, 0]), vec![0; 4]].concat(),
    );
    rec(
        &mut sheet,
        0x0006,
        &[words(&[2, 2, 2]), vec![0; 16]].concat(),
    );
    let mut mulrk = words(&[3, 0]);
    for x in [3u16, 4] {
        mulrk.extend_from_slice(&x.to_le_bytes());
        mulrk.extend_from_slice(&[0; 4]);
    }
    mulrk.extend_from_slice(&1u16.to_le_bytes());
    rec(&mut sheet, 0x00BD, &mulrk);
    let stream = workbook(&[sheet]);
    // The formats and XFs go right after the globals' BOF (offsets move by their length).
    let with = with_globals(&stream, &globals_extra);
    let sheets = xls_sheets(&with);
    assert_eq!(sheets.len(), 1);
    let s = &sheets[0];
    assert!(s.formats_known);
    assert_eq!(s.number_formats.len(), 4, "{:?}", s.number_formats);
    assert_eq!(s.number_formats[&(2, 0)], NumFmt::parse("00000"));
    assert_eq!(s.number_formats[&(3, 2)], NumFmt::parse("0.00 \"kg\""));
    assert_eq!(s.number_formats[&(4, 0)], NumFmt::parse("0.00"));
    assert_eq!(s.number_formats[&(4, 1)], NumFmt::Unknown);

    // A sheet cut before its EOF: its formats are not all known.
    let cut = &with[..with.len() - 4];
    assert!(!xls_sheets(cut)[0].formats_known);
}

#[test]
fn format_codes_are_read_in_every_string_form() {
    let wide: Vec<u8> = [
        words(&[164, 2]),
        vec![1],
        "€0".encode_utf16().flat_map(u16::to_le_bytes).collect(),
    ]
    .concat();
    assert_eq!(format_code(&wide, true).as_deref(), Some("€0"));
    // Rich text (2 more bytes) and phonetic (4 more) counts before the characters.
    let rich: Vec<u8> = [words(&[164, 2]), vec![0x0C], vec![0; 6], b"0%".to_vec()].concat();
    assert_eq!(format_code(&rich, true).as_deref(), Some("0%"));
    let biff5: Vec<u8> = [words(&[164]), vec![3], b"0.0".to_vec()].concat();
    assert_eq!(format_code(&biff5, false).as_deref(), Some("0.0"));
    assert_eq!(format_code(&words(&[164, 9, 0]), true), None);
}

#[test]
fn an_encrypted_xls_gives_no_sheets() {
    let mut stream = workbook(&[Vec::new()]);
    // FilePass right after the globals' BOF.
    let mut with_pass = stream[..20].to_vec();
    rec(&mut with_pass, 0x002F, &words(&[1, 0]));
    with_pass.extend_from_slice(&stream[20..]);
    assert!(xls_sheets(&with_pass).is_empty());
    stream.truncate(30);
    assert!(xls_sheets(&stream).iter().all(|s| s.is_empty()));
}

#[test]
fn an_xls_compound_file_is_scanned_through_its_workbook_stream() {
    let mut sheet = Vec::new();
    row(&mut sheet, 1, true);
    let stream = workbook(&[sheet]);
    for name in ["/Workbook", "/Book", "/WORKBOOK"] {
        let mut file = std::io::Cursor::new(Vec::new());
        {
            let mut comp = cfb::CompoundFile::create(&mut file).unwrap();
            let mut s = comp.create_stream(name).unwrap();
            std::io::Write::write_all(&mut s, &stream).unwrap();
        }
        file.set_position(0);
        let sheets = scan_xls(file).unwrap();
        assert_eq!(sheets.len(), 1, "{name}");
        assert_eq!(sheets[0].hidden_rows, vec![(2, 2)], "{name}");
    }
    assert!(scan_xls(std::io::Cursor::new(b"not a compound file".to_vec())).is_err());
}

fn xlsb(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
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

fn row_hdr(out: &mut Vec<u8>, rw: u32, hidden: bool) {
    let mut d = rw.to_le_bytes().to_vec();
    d.extend_from_slice(&[0, 0, 0, 0, 0x2C, 0x01, 0, if hidden { 0x10 } else { 0 }, 0]);
    d.extend_from_slice(&0u32.to_le_bytes());
    xlsb(out, 0x0000, &d);
}

#[test]
fn xlsb_rows_and_columns_are_read_across_multi_byte_record_headers() {
    let mut part = Vec::new();
    xlsb(&mut part, 0x0081, &[]);
    // A record of more than 127 bytes (a two-byte size) the scan skips whole.
    xlsb(&mut part, 0x0085, &[0x10; 300]);
    let mut col = Vec::new();
    for v in [4u32, 6, 2340, 0] {
        col.extend_from_slice(&v.to_le_bytes());
    }
    col.extend_from_slice(&1u16.to_le_bytes());
    xlsb(&mut part, 0x003C, &col);
    row_hdr(&mut part, 0, false);
    row_hdr(&mut part, 1, true);
    row_hdr(&mut part, 2, false);
    row_hdr(&mut part, 3, true);
    // Row 6 (0-based 5) of height 0, and column 9 of width 0: not seen.
    let mut zero = 5u32.to_le_bytes().to_vec();
    zero.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    xlsb(&mut part, 0x0000, &zero);
    let mut narrow = Vec::new();
    for v in [9u32, 9, 0, 0] {
        narrow.extend_from_slice(&v.to_le_bytes());
    }
    narrow.extend_from_slice(&0u16.to_le_bytes());
    xlsb(&mut part, 0x003C, &narrow);
    let mut merge = Vec::new();
    for v in [1u32, 3, 0, 1] {
        merge.extend_from_slice(&v.to_le_bytes());
    }
    xlsb(&mut part, 0x00B0, &merge);
    let e = xlsb_sheet(&part, None);
    assert_eq!(e.hidden_rows, vec![(2, 2), (4, 4), (6, 6)]);
    assert_eq!(e.hidden_columns, vec![(4, 6), (9, 9)]);
    assert_eq!(
        e.merged,
        vec![MergedArea {
            first_row: 2,
            last_row: 4,
            first_col: 0,
            last_col: 1
        }]
    );

    // BrtWsFmtInfo (a two-byte type) with rows hidden by default: only rows with a shown header stay.
    let mut part = Vec::new();
    let mut fmt = 0xFFFF_FFFFu32.to_le_bytes().to_vec();
    fmt.extend_from_slice(&words(&[8, 300, 0x02]));
    fmt.extend_from_slice(&[0, 0]);
    xlsb(&mut part, 0x01E5, &fmt);
    row_hdr(&mut part, 0, false);
    row_hdr(&mut part, 2, false);
    let e = xlsb_sheet(&part, None);
    assert_eq!(e.hidden_rows, vec![(2, 2), (4, 1_048_576)]);
}

#[test]
fn xlsb_numbers_get_the_format_of_their_cell_xf_and_cell_style_xfs_are_not_cell_xfs() {
    let mut styles = Vec::new();
    let mut fmt = 164u16.to_le_bytes().to_vec();
    fmt.extend_from_slice(&5u32.to_le_bytes());
    fmt.extend("00000".encode_utf16().flat_map(u16::to_le_bytes));
    xlsb(&mut styles, 0x002C, &fmt);
    let xf = |ifmt: u16| {
        let mut d = vec![0u8; 16];
        d[2..4].copy_from_slice(&ifmt.to_le_bytes());
        d
    };
    // A cell-style XF first (not counted), then cell XFs 0 (General), 1 ("00000"), 2 (built-in 2).
    xlsb(&mut styles, 0x0272, &1u32.to_le_bytes());
    xlsb(&mut styles, 0x002F, &xf(164));
    xlsb(&mut styles, 0x0273, &[]);
    xlsb(&mut styles, 0x0269, &3u32.to_le_bytes());
    for ifmt in [0, 164, 2] {
        xlsb(&mut styles, 0x002F, &xf(ifmt));
    }
    xlsb(&mut styles, 0x026A, &[]);
    let xfs = xlsb_xf_formats(&styles);
    assert_eq!(
        xfs,
        vec![
            NumFmt::General,
            NumFmt::parse("00000"),
            NumFmt::parse("0.00")
        ]
    );

    let real = |col: u32, style: u32| {
        let mut d = col.to_le_bytes().to_vec();
        d.extend_from_slice(&style.to_le_bytes());
        d.extend_from_slice(&1.5f64.to_le_bytes());
        d
    };
    let mut part = Vec::new();
    row_hdr(&mut part, 1, false);
    xlsb(&mut part, 0x0005, &real(0, 0));
    // The style's top byte holds other flags: only the low 24 bits name the XF.
    xlsb(&mut part, 0x0005, &real(1, 0x0100_0001));
    row_hdr(&mut part, 2, false);
    xlsb(&mut part, 0x0005, &real(3, 2));
    xlsb(&mut part, 0x0005, &real(4, 7));
    let cut = xlsb_sheet(&part, Some(&xfs));
    assert!(!cut.formats_known, "no BrtEndSheetData: not read whole");
    xlsb(&mut part, 0x0092, &[]);
    let e = xlsb_sheet(&part, Some(&xfs));
    assert!(e.formats_known);
    assert_eq!(e.number_formats.len(), 3, "{:?}", e.number_formats);
    assert_eq!(e.number_formats[&(2, 1)], NumFmt::parse("00000"));
    assert_eq!(e.number_formats[&(3, 3)], NumFmt::parse("0.00"));
    assert_eq!(e.number_formats[&(3, 4)], NumFmt::Unknown);
    assert!(!xlsb_sheet(&part, None).formats_known, "no styles part");
}

#[test]
fn an_xlsb_workbook_pairs_sheets_with_parts_through_its_relationships() {
    let mut sheet = Vec::new();
    row_hdr(&mut sheet, 0, false);
    row_hdr(&mut sheet, 4, true);
    let mut wb = Vec::new();
    let bundle = |rel: Option<&str>, name: &str| {
        let mut d = vec![0u8; 8];
        match rel {
            Some(r) => {
                d.extend_from_slice(&(r.len() as u32).to_le_bytes());
                d.extend(r.encode_utf16().flat_map(u16::to_le_bytes));
            }
            None => d.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
        d.extend_from_slice(&(name.len() as u32).to_le_bytes());
        d.extend(name.encode_utf16().flat_map(u16::to_le_bytes));
        d
    };
    xlsb(&mut wb, 0x009C, &bundle(Some("rId2"), "First"));
    // A sheet without a relationship id: calamine does not list it, nor does the scan.
    xlsb(&mut wb, 0x009C, &bundle(None, "Ghost"));
    xlsb(&mut wb, 0x009C, &bundle(Some("rId9"), "Second"));
    let mut file = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut file);
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("xl/_rels/workbook.bin.rels", o).unwrap();
        std::io::Write::write_all(
            &mut z,
            br#"<Relationships><Relationship Id="rId2" Target="worksheets/sheet2.bin"/><Relationship Id="rId9" Target="/xl/worksheets/gone.bin"/></Relationships>"#,
        )
        .unwrap();
        z.start_file("xl/workbook.bin", o).unwrap();
        std::io::Write::write_all(&mut z, &wb).unwrap();
        z.start_file("xl/worksheets/sheet2.bin", o).unwrap();
        std::io::Write::write_all(&mut z, &sheet).unwrap();
        z.finish().unwrap();
    }
    file.set_position(0);
    let sheets = scan_xlsb(file).unwrap();
    assert_eq!(sheets.len(), 2);
    assert_eq!(sheets[0].hidden_rows, vec![(5, 5)]);
    assert!(
        sheets[1].is_empty(),
        "a sheet whose part is missing hides nothing"
    );
}

proptest! {
    /// Any bytes: the scans end without a panic.
    #[test]
    fn any_bytes_are_scanned_without_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = xls_sheets(&bytes);
        let _ = xlsb_sheet(&bytes, None);
        let _ = wide_string(&bytes, 0);
    }

    /// A stream of valid records with random offsets and contents: no panic, and every range in order.
    #[test]
    fn random_records_give_ordered_ranges(
        records in proptest::collection::vec((prop_oneof![Just(0x0208u16), Just(0x007D), Just(0x0225), Just(0x0809), Just(0x000A), Just(0x0085)], proptest::collection::vec(any::<u8>(), 0..20)), 0..40),
    ) {
        let mut stream = Vec::new();
        for (typ, data) in &records {
            rec(&mut stream, *typ, data);
        }
        for s in xls_sheets(&stream) {
            for w in s.hidden_rows.windows(2) {
                prop_assert!(w[0].1 < w[1].0);
            }
        }
    }
}

/// `stream` with the records `extra` right after its globals' BOF, the sheets' offsets moved to match.
fn with_globals(stream: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut with = stream[..20].to_vec();
    with.extend_from_slice(extra);
    for (typ, data) in biff_records(stream, 20) {
        let mut data = data.to_vec();
        if typ == 0x0085 {
            let at = u32_at(&data, 0).unwrap() + extra.len() as u32;
            data[0..4].copy_from_slice(&at.to_le_bytes());
        }
        rec(&mut with, typ, &data);
    }
    with
}

/// A `Formula` record at 0-based `row` and `col` storing the 8-byte `result`.
fn formula(out: &mut Vec<u8>, row: u16, col: u16, result: [u8; 8]) {
    let mut data = words(&[row, col, 0]);
    data.extend_from_slice(&result);
    data.extend_from_slice(&[0; 6]);
    rec(out, 0x0006, &data);
}

const EMPTY_STRING: [u8; 8] = [3, 0, 0, 0, 0, 0, 0xFF, 0xFF];
const STRING: [u8; 8] = [0, 0, 0, 0, 0, 0, 0xFF, 0xFF];

#[test]
fn formulas_storing_placeholders_in_a_workbook_without_recalc_id_hold_no_value() {
    // As xlwt writes them (an empty string) and as other writers do (0), in two sheets.
    let mut first = Vec::new();
    formula(&mut first, 1, 1, EMPTY_STRING);
    formula(&mut first, 2, 2, 0f64.to_le_bytes());
    let mut second = Vec::new();
    formula(&mut second, 4, 0, EMPTY_STRING);
    let stream = workbook(&[first.clone(), second.clone()]);
    let sheets = xls_sheets(&stream);
    let mut cells: Vec<_> = sheets[0].formulas_without_value.iter().copied().collect();
    cells.sort_unstable();
    assert_eq!(cells, vec![(2, 1), (3, 2)]);
    assert_eq!(sheets[1].formulas_without_value.len(), 1);

    // Saved by Excel or LibreOffice (a RecalcId): the stored results are read.
    let mut recalc_id = Vec::new();
    rec(&mut recalc_id, 0x01C1, &[0xC1, 0x01, 0, 0, 0, 0, 0, 0]);
    let sheets = xls_sheets(&with_globals(&stream, &recalc_id));
    assert!(sheets.iter().all(|s| s.formulas_without_value.is_empty()));

    // Without a RecalcId but with one real result anywhere (an old Excel's file, whose formulas may
    // well give 0 or an empty text): read as stored.
    for real in [45.5f64.to_le_bytes(), STRING] {
        let mut with_result = second.clone();
        formula(&mut with_result, 5, 0, real);
        let sheets = xls_sheets(&workbook(&[first.clone(), with_result]));
        assert!(sheets.iter().all(|s| s.formulas_without_value.is_empty()));
    }
}
