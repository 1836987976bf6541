//! `mawb samples OUT_DIR`: writes realistic, deterministic sample batches of MAWB folders.
//!
//! Demos, training, the sandbox and load tests all need folders that look like what a warehouse really
//! drops (mixed header spellings, multi-product items, accents and CJK names, lb and kg, CSV dialects,
//! split spreadsheets, bags and loose parcels) and that still pass `mawb check`. The same options always
//! give byte-identical files, so a failing run can be reproduced from its seed alone, at any size.
//!
//! Every folder follows the layout of README.md ("Folder layout"): `mawb.toml`, a one-page `mawb.pdf` scan and
//! one or more HAWB spreadsheets named `hawbs-N.xlsx` / `hawbs-N.csv`. A folder is written under a hidden
//! `.NAME.partial` name and renamed when complete, so a drop-folder watcher never sees half a MAWB.

//!
//! The parts, in the order a folder is made: `batch` checks the options, plans every MAWB (numbers,
//! airline, item counts, seeds) and writes the folders on every core; `folder` writes one MAWB folder;
//! `flights` draws its legs and dates; `items` draws its parcels from the goods in `catalog` and the
//! names and addresses in `consignees`; `rows` lays items out as spreadsheet rows under varied header
//! spellings, which `csv_file` and `xlsx_file` write; `mawb_toml` and `scan` write the folder's
//! `mawb.toml` and `mawb.pdf`.

use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

mod batch;
mod catalog;
mod consignees;
mod csv_file;
mod flights;
mod folder;
mod items;
mod mawb_toml;
mod rows;
mod scan;
mod xlsx_file;

#[cfg(test)]
mod tests;

pub use batch::generate;

/// The spreadsheet format of the HAWB files of one MAWB folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleFormat {
    /// Excel workbooks (`hawbs-N.xlsx`).
    Xlsx,
    /// Comma-separated text in UTF-8 (`hawbs-N.csv`).
    Csv,
}

impl SampleFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            SampleFormat::Xlsx => "xlsx",
            SampleFormat::Csv => "csv",
        }
    }
}

impl std::str::FromStr for SampleFormat {
    type Err = SamplesError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Ok(SampleFormat::Xlsx),
            "csv" => Ok(SampleFormat::Csv),
            other => Err(SamplesError::Options(format!(
                "unknown sample format {other:?} (xlsx or csv)"
            ))),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleOptions {
    /// Number of MAWB folders.
    pub mawbs: usize,
    /// Total number of items (HAWBs) over the whole batch; every MAWB gets at least one.
    pub hawbs: usize,
    /// Same seed, same options: byte-identical files.
    pub seed: u64,
    /// Spreadsheet formats, cycled over the MAWB folders.
    pub formats: Vec<SampleFormat>,
    /// 0: items carry UPS tracking numbers; otherwise the createMailing label type written to
    /// `mawb.toml`, and the trackingNumber column stays empty.
    pub label: u8,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            mawbs: 3,
            hawbs: 60,
            seed: 1,
            formats: vec![SampleFormat::Xlsx, SampleFormat::Csv],
            label: 0,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SampleSummary {
    /// The MAWB folders, in batch order.
    pub mawbs: Vec<SampleMawb>,
}

/// One MAWB folder that was written.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SampleMawb {
    /// The folder, named after the MAWB number.
    pub dir: PathBuf,
    /// The MAWB number, `PPP-SSSSSSSC` (airline prefix, serial, check digit).
    pub manifest_number: String,
    /// Items (HAWBs).
    pub items: usize,
    /// Spreadsheet data rows: one per product line.
    pub product_lines: usize,
    /// Bags the items are packed in (the other items travel loose).
    pub bags: usize,
    /// Every file of the folder: `mawb.toml`, `mawb.pdf`, then the spreadsheets in order.
    pub files: Vec<PathBuf>,
}

/// Why a batch could not be written. File errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum SamplesError {
    /// The options ask for something no batch can be.
    #[error("invalid sample options: {0}")]
    Options(String),
    /// A MAWB folder of the batch already exists with files in it.
    #[error("{}: folder already exists and is not empty (samples never overwrite)", .path.display())]
    Exists { path: PathBuf },
    /// Reading or writing a file or folder failed.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `rust_xlsxwriter` could not write a workbook.
    #[error("{}: cannot write the spreadsheet: {source}", .path.display())]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    /// The `csv` crate could not write a CSV file.
    #[error("{}: cannot write the CSV file: {source}", .path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
}

/// The error of an I/O operation on `path`, for `map_err`.
fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SamplesError + '_ {
    move |source| SamplesError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One element of a constant table, drawn from `rng`.
fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    // Every table passed here is a non-empty constant.
    *items.choose(rng).unwrap_or(&items[0])
}
