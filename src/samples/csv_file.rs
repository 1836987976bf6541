//! HAWB spreadsheets as CSV, through the `csv` crate: either as Excel on Windows saves them (UTF-8 BOM,
//! CRLF) or as scripts write them (no BOM, LF), so readers of both dialects are exercised.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use super::items::Item;
use super::rows::{format_num, item_rows, Cell};
use super::{io_err, SamplesError};

/// CSV either as Excel on Windows saves it (UTF-8 BOM, CRLF) or as scripts write it (no BOM, LF).
pub(super) fn write_csv(
    path: &Path,
    excel_style: bool,
    headers: &[String],
    items: &[Item],
) -> Result<(), SamplesError> {
    let file = File::create(path).map_err(io_err(path))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    if excel_style {
        out.write_all("\u{feff}".as_bytes()).map_err(io_err(path))?;
    }
    let csv_err = |source| SamplesError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let terminator = if excel_style {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(terminator)
        .from_writer(out);
    w.write_record(headers).map_err(csv_err)?;
    let mut buf = String::new();
    for item in items {
        item_rows(item, |cells| {
            for cell in cells {
                match *cell {
                    Cell::Empty => w.write_field(b""),
                    Cell::Text(s) | Cell::Zip(s) => w.write_field(s),
                    Cell::Num(n) => {
                        format_num(n, &mut buf);
                        w.write_field(buf.as_bytes())
                    }
                }
                .map_err(csv_err)?;
            }
            w.write_record(None::<&[u8]>).map_err(csv_err)
        })?;
    }
    let out = w.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    out.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    Ok(())
}
