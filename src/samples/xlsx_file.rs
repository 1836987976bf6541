//! HAWB spreadsheets as xlsx workbooks, through `rust_xlsxwriter`: a bold frozen header row, postal codes
//! as text cells (so `02134` keeps its zero), numbers with the number formats exports use, and a fixed
//! creation time so the same seed gives the same bytes.

use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use super::items::Item;
use super::rows::{item_rows, Cell};
use super::SamplesError;

/// The cell formats of one workbook.
struct XlsxFormats {
    header: Format,
    text: Format,
    /// Indexed by decimals 0..=3; 0 is "0.0" for integers that look like floats.
    decimals: [Format; 4],
}

/// Writes `items` as a workbook at `path` with one worksheet named `sheet` under `headers`.
pub(super) fn write_xlsx(
    path: &Path,
    sheet: &str,
    headers: &[String],
    items: &[Item],
) -> Result<(), SamplesError> {
    let xerr = |source| SamplesError::Xlsx {
        path: path.to_path_buf(),
        source,
    };
    let fmts = XlsxFormats {
        header: Format::new().set_bold(),
        text: Format::new().set_num_format("@"),
        decimals: [
            Format::new().set_num_format("0.0"),
            Format::new().set_num_format("0.0"),
            Format::new().set_num_format("0.00"),
            Format::new().set_num_format("0.000"),
        ],
    };
    let mut wb = Workbook::new();
    // Fixed creation time: docProps/core.xml would otherwise make every run's bytes differ.
    let created = ExcelDateTime::from_ymd(2026, 11, 1)
        .and_then(|d| d.and_hms(0, 0, 0))
        .map_err(xerr)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("HAWB list")
            .set_author("mawb samples")
            .set_creation_datetime(&created),
    );
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(xerr)?;
    for (col, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, h, &fmts.header)
            .map_err(xerr)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;
    let mut row: u32 = 1;
    for item in items {
        item_rows(item, |cells| {
            write_xlsx_row(ws, &fmts, row, cells).map_err(xerr)?;
            row += 1;
            Ok(())
        })?;
    }
    wb.save(path).map_err(xerr)
}

/// Writes one row of cells at `row` (0-based; row 0 is the header).
fn write_xlsx_row(
    ws: &mut Worksheet,
    fmts: &XlsxFormats,
    row: u32,
    cells: &[Cell<'_>; 29],
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (col, cell) in cells.iter().enumerate() {
        let col = col as u16;
        match *cell {
            Cell::Empty => {}
            Cell::Text(s) => {
                ws.write_string(row, col, s)?;
            }
            Cell::Zip(s) => {
                ws.write_string_with_format(row, col, s, &fmts.text)?;
            }
            Cell::Num(n) => {
                let v = n.scaled as f64 / 10f64.powi(i32::from(n.decimals));
                if n.decimals == 0 && !n.float_look {
                    ws.write_number(row, col, v)?;
                } else {
                    let f = &fmts.decimals[usize::from(n.decimals.min(3))];
                    ws.write_number_with_format(row, col, v, f)?;
                }
            }
        }
    }
    Ok(())
}
