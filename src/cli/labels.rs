//! `mawb labels MAWB… [--out DIR] [--tracking N…] [--bag ID…] [--printer NAME]`: print-ready label files
//! from the archive, offline (the behaviour lives in `crate::archive::print`).
//!
//! Exit codes: 0 every selected label written; 1 some label of the archive is damaged (left out, named;
//! the others are written); 2 usage (no MAWB, an id found nowhere, a void label asked for), a MAWB without
//! labels, a file that cannot be written, or a printer that cannot be reached.

use super::conn::StateArgs;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::archive::print::{self, Printed, Selection};
use crate::archive::Archive;
use crate::ledger::Ledger;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct LabelsArgs {
    /// MAWB numbers (the dash is optional). With --tracking or --bag and no MAWB, every MAWB of the archive
    /// is searched.
    #[arg(value_name = "MAWB")]
    pub mawbs: Vec<String>,
    /// Write the files into DIR (default: ARCHIVE/<MAWB>/print). File names start with the MAWB number.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only these parcels' labels, by tracking number (a reprint: files named <MAWB>-reprint-…).
    #[arg(long, value_name = "N", num_args = 1.., value_delimiter = ',')]
    pub tracking: Vec<String>,
    /// Only these bags: each bag's label, packing list and parcels' labels (the spreadsheet's bag, the
    /// shipperBagId or ACP's bag id).
    #[arg(long, value_name = "ID", num_args = 1.., value_delimiter = ',')]
    pub bag: Vec<String>,
    /// Send the label jobs to this CUPS printer with `lp` (EPL2 as a raw job).
    #[arg(long, value_name = "NAME")]
    pub printer: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
}

/// The MAWB number as the archive names it: canonical when it is one, else as given.
fn canonical(m: &str) -> String {
    crate::validate::checkdigit::parse_mawb_number(m).unwrap_or_else(|_| m.trim().to_string())
}

/// Prints what was written for one MAWB, and its notes and damaged labels on stderr.
fn report(p: &Printed) {
    for note in &p.notes {
        eprintln!("mawb: note: {note}");
    }
    for d in &p.damaged {
        eprintln!("mawb: error: {d}");
    }
    if p.files.is_empty() {
        return;
    }
    let mut line = format!(
        "{}: {} label(s), {} packing-list page(s)",
        p.mawb, p.labels, p.packing_pages
    );
    if p.void_skipped > 0 {
        line.push_str(&format!(", {} void label(s) left out", p.void_skipped));
    }
    outln!("{line}");
    for f in &p.files {
        let what = match (f.role, f.raw) {
            ("labels", true) => format!("EPL2 job, {} label(s); print with lp -o raw", f.pages),
            ("labels", false) => format!("PDF, {} page(s)", f.pages),
            ("packing", _) => format!("packing list, {} parcel(s)", f.pages),
            _ => format!("index, {} row(s)", f.pages),
        };
        outln!("  {}  ({what})", f.path.display());
    }
}

pub fn run(args: LabelsArgs) -> Result<i32, String> {
    let selection = Selection {
        tracking: args
            .tracking
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        bags: args
            .bag
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    if args.mawbs.is_empty() && selection.is_all() {
        return Err(
            "name at least one MAWB (mawb labels 112-44995451), or give --tracking or --bag to search every MAWB of the archive"
                .into(),
        );
    }
    if args.printer.as_deref().is_some_and(|p| p.trim().is_empty()) {
        return Err("--printer: the printer name is empty".into());
    }
    let archive = Archive::new(&args.state.archive);
    // The ledger holds the packing order; without one, labels still print (in id order). It is only
    // opened, never created, here.
    let ledger = if args.state.state.is_file() {
        Some(Ledger::open(&args.state.state).map_err(|e| e.to_string())?)
    } else {
        eprintln!(
            "mawb: note: no ledger at {}: labels are printed in id order, without packing lists (see --state)",
            args.state.state.display()
        );
        None
    };
    let searching = args.mawbs.is_empty();
    let mawbs: Vec<String> = if searching {
        print::archived_mawbs(&archive)
    } else {
        args.mawbs.iter().map(|m| canonical(m)).collect()
    };
    if mawbs.is_empty() {
        return Err(format!(
            "the archive {} holds no MAWB's labels (see --archive)",
            archive.root().display()
        ));
    }
    let mut code = EXIT_OK;
    let mut results: Vec<Printed> = Vec::new();
    for m in &mawbs {
        // A run of the same MAWB may be sealing its labels right now: wait for it.
        let _lock = match &ledger {
            Some(l) => l
                .lock_mawb(m, &|holder| {
                    eprintln!("mawb: MAWB {m} is being sent by {holder}; waiting for it to finish")
                })
                .map_err(|e| format!("cannot take the lock of MAWB {m}: {e}"))?,
            None => None,
        };
        let out_dir = args
            .out
            .clone()
            .unwrap_or_else(|| print::default_out_dir(&archive, m));
        match print::print_mawb(&archive, ledger.as_ref(), m, &selection, &out_dir) {
            Ok(p) => {
                report(&p);
                if !p.damaged.is_empty() {
                    code = code.max(EXIT_FAILED);
                }
                if !searching && selection.is_all() && p.files.is_empty() && p.damaged.is_empty() {
                    eprintln!(
                        "mawb: error: MAWB {m}: no valid label to print ({} void)",
                        p.void_skipped
                    );
                    code = EXIT_USAGE;
                }
                results.push(p);
            }
            Err(e) => {
                eprintln!("mawb: error: {e}");
                code = EXIT_USAGE;
            }
        }
    }
    // Every id asked for must name a label somewhere.
    for id in selection.tracking.iter().chain(&selection.bags) {
        let void = results
            .iter()
            .flat_map(|p| &p.void_asked)
            .find(|v| &v.tracking_number == id);
        let found = results.iter().any(|p| {
            !p.unmatched.contains(id) && !p.void_asked.iter().any(|v| &v.tracking_number == id)
        });
        if let Some(v) = void {
            eprintln!(
                "mawb: error: the label of {id} is void (the parcel was cancelled at ACP){}; it is never printed",
                v.replaced_by
                    .as_deref()
                    .map(|n| format!(": it was re-labelled as {n}, print that one (--tracking {n})"))
                    .unwrap_or_default()
            );
            code = EXIT_USAGE;
        } else if !found {
            let place = if searching {
                format!("any MAWB of the archive {}", archive.root().display())
            } else {
                format!("MAWB {}", mawbs.join(", "))
            };
            eprintln!(
                "mawb: error: {id} names no parcel or bag label in {place} (check the number; the MAWB's index.csv in the archive lists its labels)"
            );
            code = EXIT_USAGE;
        }
    }
    if let Some(printer) = &args.printer {
        let jobs: Vec<_> = results.iter().flat_map(Printed::jobs).collect();
        if !jobs.is_empty() {
            let lp = print::find_lp().ok_or_else(|| print::PrinterError::NoLp.to_string())?;
            let said = print::send_to_printer(&lp, printer, &jobs).map_err(|e| e.to_string())?;
            for (job, s) in jobs.iter().zip(said) {
                outln!("sent {} to {printer}: {s}", job.path.display());
            }
        }
    }
    Ok(code)
}
