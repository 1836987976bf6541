//! Writing a print set: the PDF and EPL2 jobs in plan order, the packing-list CSV, the page index, each
//! file atomically; and sending jobs to a printer through CUPS `lp`.

use super::epl;
use super::order::{Piece, Plan};
use super::packing;
use super::pdf::{self, PdfJob};
use super::source::{Loaded, Part};
use super::{PrintError, PrintFile, Printed};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One row of the page index.
struct IndexEntry {
    file: String,
    page: usize,
    kind: &'static str,
    id: String,
    shipper_item_id: String,
    shipper_bag_id: String,
    part: String,
    source: String,
}

/// The sizes a label's pages give a packing list: its first PDF/PNG page, its EPL2 label size.
#[derive(Debug, Clone, Copy, Default)]
struct Sizes {
    page: Option<pdf::PageSize>,
    dots: Option<(u32, u32)>,
    has_pdf: bool,
    has_epl: bool,
}

fn sizes_of(parts: &[Part]) -> Sizes {
    let mut s = Sizes::default();
    for part in parts {
        match part {
            Part::Pdf(doc) => {
                s.has_pdf = true;
                if s.page.is_none() {
                    s.page = first_page_size(doc);
                }
            }
            Part::Png(img) => {
                s.has_pdf = true;
                s.page.get_or_insert(img.page_size());
            }
            Part::Epl(e) => {
                s.has_epl = true;
                if s.dots.is_none() {
                    s.dots = e.size;
                }
            }
        }
    }
    s
}

fn first_page_size(doc: &lopdf::Document) -> Option<pdf::PageSize> {
    let page = *doc.get_pages().values().next()?;
    let media = doc.get_dictionary(page).ok()?.get(b"MediaBox").ok()?;
    let v: Vec<f64> = media
        .as_array()
        .ok()?
        .iter()
        .filter_map(|o| o.as_float().ok().map(f64::from))
        .collect();
    match v[..] {
        [x0, y0, x1, y1] => Some(((x1 - x0).abs(), (y1 - y0).abs())),
        _ => None,
    }
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> PrintError + '_ {
    move |source| PrintError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// Composes and writes the set for `plan` into `out_dir` with names starting `prefix`, and records what
/// was written in `printed`.
pub(crate) fn write_set(
    out_dir: &Path,
    prefix: &str,
    plan: &Plan,
    mut loaded: Loaded,
    printed: &mut Printed,
) -> Result<(), PrintError> {
    let pdf_name = format!("{prefix}labels.pdf");
    let epl_name = format!("{prefix}labels.epl");
    let sizes: HashMap<usize, Sizes> = loaded
        .parts
        .iter()
        .map(|(g, parts)| (*g, sizes_of(parts)))
        .collect();
    let mut pdf = PdfJob::new();
    let mut epl: Vec<Vec<u8>> = Vec::new();
    let mut epl_slips: Vec<Vec<u8>> = Vec::new();
    let mut epl_order: Vec<Result<usize, usize>> = Vec::new(); // Ok: label bytes, Err: a slip
    let mut epl_count = 0;
    let mut index: Vec<IndexEntry> = Vec::new();
    let mut packing_bags: Vec<usize> = Vec::new();
    for piece in &plan.pieces {
        match *piece {
            Piece::Label(g) => {
                // Each label is one piece of the plan: its parts move into the jobs.
                let Some(parts) = loaded.parts.remove(&g) else {
                    continue; // damaged: named already
                };
                let group = &plan.groups[g];
                let units: usize = parts
                    .iter()
                    .map(|p| match p {
                        Part::Pdf(d) => d.get_pages().len(),
                        Part::Png(_) => 1,
                        Part::Epl(e) => e.labels,
                    })
                    .sum();
                let mut unit = 0;
                for (p, part) in parts.into_iter().enumerate() {
                    let (file, first, count) = match part {
                        Part::Pdf(doc) => {
                            let first = pdf.pages() + 1;
                            (&pdf_name, first, pdf.add_pdf(*doc))
                        }
                        Part::Png(img) => {
                            pdf.add_png(&img, &group.id);
                            (&pdf_name, pdf.pages(), 1)
                        }
                        Part::Epl(e) => {
                            epl_order.push(Ok(epl.len()));
                            let first = epl_count + 1;
                            epl_count += e.labels;
                            let labels = e.labels;
                            epl.push(e.bytes);
                            (&epl_name, first, labels)
                        }
                    };
                    for k in 0..count {
                        unit += 1;
                        index.push(IndexEntry {
                            file: file.clone(),
                            page: first + k,
                            kind: group.kind(),
                            id: group.id.clone(),
                            shipper_item_id: group.shipper_item_id.clone().unwrap_or_default(),
                            shipper_bag_id: group.shipper_bag_id.clone().unwrap_or_default(),
                            part: format!("{unit}/{units}"),
                            source: group.parts[p].file.clone(),
                        });
                    }
                }
                printed.labels += units;
            }
            Piece::Packing(b) => {
                let bag = &plan.bags[b];
                let member_sizes: Vec<Sizes> = plan.bag_members[b]
                    .iter()
                    .filter_map(|g| sizes.get(g).copied())
                    .collect();
                let mut wrote = false;
                if member_sizes.iter().any(|s| s.has_pdf) {
                    let size = member_sizes
                        .iter()
                        .find_map(|s| s.page)
                        .unwrap_or(pdf::DEFAULT_PAGE);
                    let (lines, _) = PdfJob::capacity(size);
                    let pages = packing::pages(
                        &printed.mawb,
                        bag,
                        lines.saturating_sub(packing::HEADER_LINES),
                    );
                    let total = pages.len();
                    for (i, lines) in pages.iter().enumerate() {
                        pdf.add_text_page(size, lines);
                        index.push(packing_entry(&pdf_name, pdf.pages(), bag, i + 1, total));
                    }
                    printed.packing_pages += total;
                    wrote = true;
                }
                if member_sizes.iter().any(|s| s.has_epl) {
                    let size = member_sizes
                        .iter()
                        .find_map(|s| s.dots)
                        .unwrap_or(epl::DEFAULT_SIZE_DOTS);
                    let (lines, _) = epl::capacity(size);
                    let pages = packing::pages(
                        &printed.mawb,
                        bag,
                        lines.saturating_sub(packing::HEADER_LINES),
                    );
                    let total = pages.len();
                    for (i, lines) in pages.iter().enumerate() {
                        epl_order.push(Err(epl_slips.len()));
                        epl_slips.push(epl::text_label(size, lines));
                        epl_count += 1;
                        index.push(packing_entry(&epl_name, epl_count, bag, i + 1, total));
                    }
                    printed.packing_pages += total;
                    wrote = true;
                }
                if wrote {
                    packing_bags.push(b);
                }
            }
        }
    }
    if index.is_empty() {
        return Ok(());
    }
    let mut written: Vec<PrintFile> = Vec::new();
    if pdf.pages() > 0 {
        let path = out_dir.join(&pdf_name);
        let pages = pdf.pages();
        crate::fsutil::write_atomic_with(&path, |w| pdf.write(w)).map_err(write_error(&path))?;
        written.push(PrintFile {
            path,
            role: "labels",
            raw: false,
            pages,
        });
    }
    if epl_count > 0 {
        let path = out_dir.join(&epl_name);
        crate::fsutil::write_atomic_with(&path, |w| {
            for item in &epl_order {
                match *item {
                    Ok(i) => w.write_all(&epl[i])?,
                    Err(i) => w.write_all(&epl_slips[i])?,
                }
            }
            Ok(())
        })
        .map_err(write_error(&path))?;
        written.push(PrintFile {
            path,
            role: "labels",
            raw: true,
            pages: epl_count,
        });
    }
    if !packing_bags.is_empty() {
        let path = out_dir.join(format!("{prefix}packing.csv"));
        let mut rows = Vec::new();
        for &b in &packing_bags {
            let bag = &plan.bags[b];
            rows.extend(packing::csv_rows(Some(bag), &bag.parcels));
        }
        if plan.whole {
            // The whole MAWB: the loose parcels too, after the bags.
            rows.extend(packing::csv_rows(None, &plan.loose));
        }
        let n = rows.len();
        write_csv(&path, &packing::CSV_HEADER, rows)?;
        written.push(PrintFile {
            path,
            role: "packing",
            raw: false,
            pages: n,
        });
    }
    let index_path = out_dir.join(format!("{prefix}index.csv"));
    let n = index.len();
    let inert = crate::acp::manifest_file::inert;
    write_csv(
        &index_path,
        &[
            "file",
            "page",
            "kind",
            "id",
            "shipperItemId",
            "shipperBagId",
            "part",
            "source",
        ],
        index.into_iter().map(|e| {
            [
                e.file,
                e.page.to_string(),
                e.kind.to_string(),
                inert(&e.id),
                inert(&e.shipper_item_id),
                inert(&e.shipper_bag_id),
                e.part,
                e.source,
            ]
        }),
    )?;
    written.push(PrintFile {
        path: index_path,
        role: "index",
        raw: false,
        pages: n,
    });
    // A file of the set not written this time would be stale beside the new ones.
    for name in ["labels.pdf", "labels.epl", "packing.csv"] {
        let path = out_dir.join(format!("{prefix}{name}"));
        if !written.iter().any(|f| f.path == path) && path.exists() {
            std::fs::remove_file(&path).map_err(write_error(&path))?;
        }
    }
    printed.files = written;
    Ok(())
}

fn packing_entry(
    file: &str,
    page: usize,
    bag: &super::order::BagGroup,
    n: usize,
    total: usize,
) -> IndexEntry {
    IndexEntry {
        file: file.to_string(),
        page,
        kind: "packing-list",
        id: bag.shipper_bag_id.clone(),
        shipper_item_id: String::new(),
        shipper_bag_id: bag.shipper_bag_id.clone(),
        part: format!("{n}/{total}"),
        source: String::new(),
    }
}

/// Writes a CSV (header, then rows; CRLF, quoted where needed) atomically.
fn write_csv<const N: usize>(
    path: &Path,
    header: &[&str; N],
    rows: impl IntoIterator<Item = [String; N]>,
) -> Result<(), PrintError> {
    let fill = || -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        w.write_record(header)?;
        for r in rows {
            w.write_record(&r)?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    };
    let bytes = fill().map_err(|e| PrintError::Write {
        path: path.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    crate::fsutil::write_atomic(path, &bytes).map_err(write_error(path))
}

/// Why a job could not be sent to a printer.
#[derive(Debug, thiserror::Error)]
pub enum PrinterError {
    /// `lp` is not on the PATH.
    #[error("--printer needs CUPS's `lp` command, which is not installed here (not on PATH); the print files are written, print them another way or install CUPS (Debian/Ubuntu: apt-get install cups-client)")]
    NoLp,
    /// `--printer ""`.
    #[error("--printer: the printer name is empty")]
    NoName,
    /// `lp` exists but could not be run.
    #[error("lp could not be started for {file}: {source}")]
    Spawn {
        file: String,
        source: std::io::Error,
    },
    /// `lp` exited with an error (an unknown printer, CUPS not running); `message` is its stderr.
    #[error("lp refused {file} for printer {printer} ({status}): {message}")]
    Refused {
        file: String,
        printer: String,
        status: String,
        message: String,
    },
}

/// CUPS's `lp`, found on PATH.
pub fn find_lp() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("lp"))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Sends each label job of `files` to `printer` with `lp -d PRINTER -t TITLE [-o raw] FILE` (EPL2 raw,
/// PDF through the printer's filters). Returns what lp said for each (its request id).
pub fn send_to_printer(
    lp: &Path,
    printer: &str,
    files: &[&PrintFile],
) -> Result<Vec<String>, PrinterError> {
    if printer.trim().is_empty() {
        return Err(PrinterError::NoName);
    }
    let mut said = Vec::new();
    for f in files {
        let title = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut cmd = std::process::Command::new(lp);
        cmd.arg("-d").arg(printer).arg("-t").arg(&title);
        if f.raw {
            cmd.arg("-o").arg("raw");
        }
        // An absolute path never reads as an option of lp.
        cmd.arg(std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone()));
        let out = cmd.output().map_err(|source| PrinterError::Spawn {
            file: f.path.display().to_string(),
            source,
        })?;
        if !out.status.success() {
            return Err(PrinterError::Refused {
                file: f.path.display().to_string(),
                printer: printer.to_string(),
                status: out.status.to_string(),
                message: String::from_utf8_lossy(&out.stderr)
                    .trim()
                    .chars()
                    .take(500)
                    .collect(),
            });
        }
        said.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    Ok(said)
}
