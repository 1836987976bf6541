//! Print-ready label files from the label archive: what `mawb labels` (and `print_ready` at the end of a
//! run) writes, offline, for the warehouse floor.
//!
//! # What is written
//!
//! For MAWB `M`, into the output folder (default `ARCHIVE/M/print/`):
//!
//! - `M-labels.pdf`: every PDF and PNG label, one page per label, in packing order. ACP's PDF pages are
//!   copied as they are (lopdf: no re-rasterising, the page size ACP made, 4x6 or 4x4 in); a PNG label
//!   becomes a page of its own size at its native resolution (its `pHYs` dots per inch, 203 or 300; a PNG
//!   without one is taken to be 4 in wide), its compressed pixels copied into the PDF unchanged (a PNG with
//!   an alpha channel or interlacing is decoded and laid on white at the same resolution), with its id as
//!   invisible text so a PDF viewer finds a tracking number.
//! - `M-labels.epl`: every EPL2 label, concatenated into one raw job for `lp -o raw`, in the same order.
//! - a packing list per bag, right after the bag's label in each job that holds the bag's labels (a page of
//!   the bag label's size, or an EPL2 label), continued on more pages when long: the bag, its shipperBagId,
//!   ACP's bag id, and every parcel's tracking number, shipperItemId and weight; and all bags in
//!   `M-packing.csv` (`bag,shipperBagId,bagId,position,trackingNumber,shipperItemId,weightKg`).
//! - `M-index.csv`: which page of which file holds what (`file,page,kind,id,shipperItemId,shipperBagId,
//!   part,source`): `page` is the page of the PDF or the label's place in the EPL2 job (1-based), `kind`
//!   one of `bag-label`, `packing-list`, `parcel-label`, `day-label`, `part` `1/2` and `2/2` for the two
//!   labels of a FedEx item, `source` the label's entry in `labels.zip`.
//!
//! A reprint (`--tracking`, `--bag`) writes the same files named `M-reprint-…`, so the full set stays. A
//! file of the set not produced this time (no EPL2 label any more) is removed, so the folder never holds a
//! stale job. Every file is written to a temporary name, fsynced and renamed (`fsutil`).
//!
//! # Order (stable)
//!
//! The packing order a run recorded in the ledger ([`crate::plan::packing_order`]): for each bag, in the
//! order the folder first names it, the bag's label, its packing list, then its parcels' labels in the
//! bag's order; then the loose parcels' labels in folder order; then any valid label the packing order does
//! not name (a MAWB labelled by an earlier version, or an archive without its ledger), by id; bag labels
//! not matched to a bag, by id; last the end-of-day manifest label. A FedEx item's two labels stay
//! together, first then second. Without a recorded packing order, everything is in that last, by-id order
//! and no packing list is written (a note says so; running the folder again records it, sending nothing
//! for an unchanged MAWB).
//!
//! # Selection
//!
//! Everything valid by default. A void label (its parcel cancelled at ACP) is never printed. `--tracking N`
//! selects a parcel's label (both labels of a FedEx item); `--bag ID` a bag's whole group: its label, its
//! packing list and its parcels' labels (ID: the spreadsheet's bag, the shipperBagId or ACP's bag id).
//! Selected labels keep the packing order.
//!
//! # Damage
//!
//! Each label is read from `labels.zip` and checked against the sha256 the index recorded and against its
//! format (a PDF that lopdf cannot read, a PNG whose chunks fail their CRC, EPL2 without a print command).
//! A damaged label is left out and named, with the fix; every other label is still written.
//!
//! EPL2 packing lists are written here as plain EPL2 text commands: no Rust crate writes EPL2, and a list
//! needs only `N`, `q`, `Q`, `A` and `P1`. PDF is composed and merged with lopdf only.

mod epl;
mod order;
mod output;
mod packing;
mod pdf;
mod png_page;
mod source;

#[cfg(test)]
mod tests;

pub use output::{find_lp, send_to_printer, PrinterError};

use crate::archive::Archive;
use crate::ledger::{Ledger, LedgerError};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Which labels to write: everything valid (both lists empty), or the parcels and bags named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Tracking numbers of parcels.
    pub tracking: Vec<String>,
    /// Bags: the spreadsheet's bag, the shipperBagId or ACP's bag id.
    pub bags: Vec<String>,
}

impl Selection {
    /// Whether nothing is named (everything is written).
    pub fn is_all(&self) -> bool {
        self.tracking.is_empty() && self.bags.is_empty()
    }
}

/// Why nothing could be written for a MAWB.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The archive holds no index for the MAWB: it never had a label here (or `--archive` points elsewhere).
    #[error("MAWB {mawb}: no label archive at {path} (was the MAWB run with labels here? see --archive)")]
    NoArchive { mawb: String, path: String },
    /// `index.csv` cannot be read or has a row mawb cannot use.
    #[error("{path}: {why}; the index cannot be read, so no label of the MAWB can be printed (run the folder again to write it anew)")]
    Index { path: String, why: String },
    /// `labels.zip` cannot be opened as a zip.
    #[error("{path}: {why} (the archive is damaged; run the folder again, or restore the file from a backup)")]
    Zip { path: String, why: String },
    /// The ledger could not be read (the packing order).
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// A print file could not be written (or a stale one removed).
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// One file of a print set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintFile {
    /// Where it was written.
    pub path: PathBuf,
    /// `labels` (a job for a label printer), `packing` (the packing-list CSV) or `index`.
    pub role: &'static str,
    /// A raw printer job (EPL2: `lp -o raw`); false for PDF.
    pub raw: bool,
    /// Pages (PDF) or labels (EPL2) in a label job; rows in a CSV.
    pub pages: usize,
}

/// A label asked for by id whose parcel was cancelled: its label is void.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoidAsked {
    /// The tracking number asked for.
    pub tracking_number: String,
    /// The tracking number whose label replaces it, when the parcel was created again.
    pub replaced_by: Option<String>,
}

/// What was written for one MAWB.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Printed {
    /// The MAWB number.
    pub mawb: String,
    /// Every file written, label jobs first.
    pub files: Vec<PrintFile>,
    /// Labels written (a FedEx item's two labels count two).
    pub labels: usize,
    /// Packing-list pages written.
    pub packing_pages: usize,
    /// Void labels left out.
    pub void_skipped: usize,
    /// One message per damaged label left out: which, why, and the fix.
    pub damaged: Vec<String>,
    /// Things the operator should know (no packing order recorded, labels not sealed yet).
    pub notes: Vec<String>,
    /// Ids of the selection that name nothing in this MAWB.
    pub unmatched: Vec<String>,
    /// Tracking numbers of the selection whose labels are void.
    pub void_asked: Vec<VoidAsked>,
}

impl Printed {
    /// The label jobs written (what goes to a printer).
    pub fn jobs(&self) -> impl Iterator<Item = &PrintFile> {
        self.files.iter().filter(|f| f.role == "labels")
    }
}

/// The default output folder of a MAWB: `ARCHIVE/<MAWB>/print`.
pub fn default_out_dir(archive: &Archive, mawb: &str) -> PathBuf {
    archive.mawb_dir(mawb).join("print")
}

/// The MAWBs whose labels the archive holds (folders with an `index.csv`), sorted.
pub fn archived_mawbs(archive: &Archive) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(archive.root())
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().join("index.csv").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Writes the print-ready files of MAWB `mawb` (its canonical number) from `archive` into `out_dir`: the
/// selected labels in packing order (see the module doc), with the packing order and bags taken from
/// `ledger` when given. A damaged label is left out and named in [`Printed::damaged`]; the error is for
/// what stops the whole MAWB (no archive, an unreadable index or zip, a file that cannot be written).
pub fn print_mawb(
    archive: &Archive,
    ledger: Option<&Ledger>,
    mawb: &str,
    selection: &Selection,
    out_dir: &Path,
) -> Result<Printed, PrintError> {
    let dir = archive.mawb_dir(mawb);
    let index_path = dir.join("index.csv");
    if !index_path.is_file() {
        return Err(PrintError::NoArchive {
            mawb: mawb.to_string(),
            path: dir.display().to_string(),
        });
    }
    let mut printed = Printed {
        mawb: mawb.to_string(),
        ..Printed::default()
    };
    let index = source::read_index(&index_path)?;
    let staged = source::unsealed(&dir);
    if staged > 0 {
        printed.notes.push(format!(
            "{staged} label(s) of an unfinished run are not sealed into labels.zip yet and are not printed: run the folder again to seal them"
        ));
    }
    let packing = match ledger {
        Some(l) => order::PackingView::from_ledger(l, mawb)?,
        None => order::PackingView::default(),
    };
    if packing.is_empty() && index.iter().any(|r| r.entity == "item") {
        printed.notes.push(format!(
            "no packing order is recorded for MAWB {mawb} (labelled by an earlier version of mawb, or another ledger): labels are in id order and no packing list is written; run the folder again to record it (an unchanged MAWB sends nothing)"
        ));
    }
    let plan = order::plan(&index, &packing, selection);
    printed.void_skipped = plan.void_skipped;
    printed.unmatched = plan.unmatched.clone();
    printed.void_asked = plan.void_asked.clone();
    if plan.pieces.is_empty() {
        return Ok(printed);
    }
    let zip_path = dir.join("labels.zip");
    let loaded = source::load_labels(&zip_path, &plan)?;
    for d in &loaded.damaged {
        printed.damaged.push(format!(
            "MAWB {mawb}: the label of {} in {} ({}) is damaged: {}; it is left out, every other label is written. Fix: {}",
            d.what,
            zip_path.display(),
            d.file,
            d.why,
            d.fix
        ));
    }
    let prefix = if selection.is_all() {
        format!("{mawb}-")
    } else {
        format!("{mawb}-reprint-")
    };
    output::write_set(out_dir, &prefix, &plan, loaded, &mut printed)?;
    Ok(printed)
}

/// What `print_ready` (or `--print-ready`) produced at the end of a run, for the run's report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrintReady {
    /// The files written.
    pub files: Vec<String>,
    /// Labels written.
    pub labels: usize,
    /// What went wrong: damaged labels left out, or why nothing was written.
    pub problems: Vec<String>,
}

impl PrintReady {
    /// The report's lines about it: the files written, then each problem.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(first) = self.files.first() {
            let path = Path::new(first);
            let dir = path.parent().unwrap_or(Path::new(""));
            let names: Vec<String> = self
                .files
                .iter()
                .map(|f| {
                    Path::new(f)
                        .file_name()
                        .map_or_else(|| f.clone(), |n| n.to_string_lossy().into_owned())
                })
                .collect();
            out.push(format!(
                "print-ready: {} label(s) in {}: {}",
                self.labels,
                dir.display(),
                names.join(", ")
            ));
        }
        out.extend(
            self.problems
                .iter()
                .map(|p| format!("print-ready failed: {p}")),
        );
        out
    }
}

/// Writes the full print set of a MAWB into its default folder ([`default_out_dir`]) at the end of a run.
/// Never fails: what goes wrong is in [`PrintReady::problems`].
pub fn print_ready(archive: &Archive, ledger: &Ledger, mawb: &str) -> PrintReady {
    let out_dir = default_out_dir(archive, mawb);
    match print_mawb(archive, Some(ledger), mawb, &Selection::default(), &out_dir) {
        Ok(p) => PrintReady {
            files: p
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect(),
            labels: p.labels,
            problems: p.damaged,
        },
        // A MAWB that asked for no label has nothing to print: not a problem.
        Err(PrintError::NoArchive { .. }) => PrintReady::default(),
        Err(e) => PrintReady {
            problems: vec![e.to_string()],
            ..PrintReady::default()
        },
    }
}
