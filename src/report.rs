//! Reports: the readable summary on stdout and the `--json` document, for every command.
//!
//! The JSON schema is documented in `docs/report.md`; fields are only ever added, never renamed,
//! because operators' scripts read them.

use crate::aggregate::{declared_weight_kg, Totals};
use crate::check::{CheckReport, CheckedMawb};
use crate::flow::{Outcome, RunStatus};
use crate::model::{format_fixed, WEIGHT_SCALE};
use crate::problem::Problem;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// Version of the JSON report layout.
pub const SCHEMA_VERSION: u32 = 1;

/// The `--json` document.
#[derive(Debug, Clone, Serialize)]
pub struct JsonReport {
    pub schema: u32,
    pub mawb_version: &'static str,
    pub command: String,
    pub ok: bool,
    pub exit_code: i32,
    pub totals: Totals,
    /// Problems about the paths given (missing folder, empty batch).
    pub problems: Vec<Problem>,
    pub mawbs: Vec<MawbReport>,
    /// Set when the command was stopped by Ctrl-C or SIGTERM before it ended: what happened, and how to
    /// resume. Such a report lists no MAWB (`mawbs` is empty, `ok` false, `exit_code` 130); it replaces the
    /// report an earlier run left at the same path, so that report is never taken for this run's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
}

/// One MAWB in the JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct MawbReport {
    pub folder: String,
    pub dir: String,
    pub manifest_number: Option<String>,
    pub sendable: bool,
    pub errors: usize,
    pub warnings: usize,
    pub totals: Totals,
    pub declared_weight_kg: Option<String>,
    pub image: Option<ImageReport>,
    pub files: Vec<FileReport>,
    pub problems: Vec<Problem>,
    /// What `prepare`, `run` or `watch` did with it (absent for `check`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageReport {
    pub name: String,
    pub kind: crate::ingest::filetype::FileKind,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub name: String,
    pub kind: crate::ingest::filetype::FileKind,
    pub sheets_read: Vec<String>,
    pub sheets_skipped: Vec<String>,
    pub rows: usize,
}

impl MawbReport {
    pub fn from_checked(m: &CheckedMawb) -> MawbReport {
        MawbReport {
            folder: m.mawb.folder_name(),
            dir: m.mawb.dir.display().to_string(),
            manifest_number: m.mawb.config.as_ref().map(|c| c.manifest_number.clone()),
            sendable: m.sendable(),
            errors: m.errors(),
            warnings: m.warnings(),
            totals: m.totals.clone(),
            declared_weight_kg: m
                .mawb
                .config
                .as_ref()
                .and_then(declared_weight_kg)
                .map(|d| format_fixed(d, WEIGHT_SCALE)),
            image: m.mawb.image.as_ref().map(|i| ImageReport {
                name: i.name.clone(),
                kind: i.kind,
                bytes: i.size,
            }),
            files: m
                .mawb
                .files
                .iter()
                .map(|f| FileReport {
                    name: f.name.clone(),
                    kind: f.kind,
                    sheets_read: f.sheets_read.clone(),
                    sheets_skipped: f.sheets_skipped.clone(),
                    rows: f.rows,
                })
                .collect(),
            problems: m.problems.clone(),
            outcome: None,
        }
    }
}

impl JsonReport {
    pub fn from_check(command: &str, report: &CheckReport, exit_code: i32) -> JsonReport {
        JsonReport {
            schema: SCHEMA_VERSION,
            mawb_version: env!("CARGO_PKG_VERSION"),
            command: command.to_string(),
            ok: exit_code == 0,
            exit_code,
            totals: report.totals.clone(),
            problems: report.problems.clone(),
            mawbs: report.mawbs.iter().map(MawbReport::from_checked).collect(),
            interrupted: None,
        }
    }

    /// The report of `command` stopped by a signal before it ended ([`JsonReport::interrupted`]).
    pub fn interrupted(command: &str) -> JsonReport {
        JsonReport {
            schema: SCHEMA_VERSION,
            mawb_version: env!("CARGO_PKG_VERSION"),
            command: command.to_string(),
            ok: false,
            exit_code: EXIT_INTERRUPTED,
            totals: Totals::default(),
            problems: Vec::new(),
            mawbs: Vec::new(),
            interrupted: Some(
                "interrupted (Ctrl-C or SIGTERM) before the run ended: nothing is lost, every request is in the \
                 ledger; run the same command again to resume and to get the report of every MAWB"
                    .to_string(),
            ),
        }
    }

    /// Writes the report to a file (atomically: temp name, then rename) or to stdout for `-`. A target that
    /// exists and is not a plain file (a pipe such as `>(jq .)`, a device) is written to as it is, never
    /// replaced; a symbolic link is followed, so the file it names gets the report and the link stays.
    pub fn write_to(&self, target: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        if target.as_os_str() == "-" {
            let mut out = crate::out::Stdout;
            out.write_all(&text)?;
            out.write_all(b"\n")?;
            return out.flush();
        }
        match std::fs::metadata(target) {
            Ok(m) if !m.is_file() && !m.is_dir() => {
                let mut f = std::fs::OpenOptions::new().write(true).open(target)?;
                f.write_all(&text)?;
                f.write_all(b"\n")?;
                f.flush()
            }
            Ok(_) if target.is_symlink() => {
                crate::fsutil::write_atomic(&std::fs::canonicalize(target)?, &text)
            }
            _ => crate::fsutil::write_atomic(target, &text),
        }
    }
}

/// The readable summary: one line per MAWB, then the problems grouped by MAWB and file.
pub fn write_summary(
    out: &mut dyn Write,
    report: &CheckReport,
    max_problems: usize,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<16} {:>7} {:>8} {:>5} {:>6} {:>12} {:>6} {:>8}  status",
        "MAWB", "items", "products", "bags", "units", "weight kg", "errors", "warnings"
    )?;
    for m in &report.mawbs {
        let t = &m.totals;
        writeln!(
            out,
            "{:<16} {:>7} {:>8} {:>5} {:>6} {:>12} {:>6} {:>8}  {}",
            m.mawb.display_name(),
            t.items,
            t.product_lines,
            t.bags,
            t.shipping_units,
            format_fixed(t.weight_kg, WEIGHT_SCALE),
            m.errors(),
            m.warnings(),
            if m.sendable() { "ok" } else { "NOT SENDABLE" }
        )?;
    }
    let t = &report.totals;
    writeln!(
        out,
        "batch: {} MAWB(s), {} items, {} product lines, {} bags, {} units, {} kg",
        report.mawbs.len(),
        t.items,
        t.product_lines,
        t.bags,
        t.shipping_units,
        format_fixed(t.weight_kg, WEIGHT_SCALE)
    )?;
    if !t.value.is_empty() {
        let values: Vec<String> = t
            .value
            .iter()
            .map(|(c, v)| format!("{} {c}", crate::aggregate::money_text(*v)))
            .collect();
        writeln!(out, "value: {}", values.join(", "))?;
    }
    for p in &report.problems {
        writeln!(out, "{p}")?;
    }
    let mut shown = 0;
    for m in report.mawbs.iter().filter(|m| !m.problems.is_empty()) {
        writeln!(
            out,
            "\n{} ({})",
            m.mawb.display_name(),
            m.mawb.dir.display()
        )?;
        let mut last_file = "";
        for p in &m.problems {
            if shown >= max_problems {
                break;
            }
            if p.file != last_file {
                writeln!(out, "  {}", p.file)?;
                last_file = &p.file;
            }
            let mut place = Vec::new();
            if let Some(s) = &p.sheet {
                if s != &p.file {
                    place.push(format!("sheet \"{s}\""));
                }
            }
            if let Some(r) = p.row {
                place.push(format!("row {r}"));
            }
            if let Some(c) = &p.column {
                place.push(c.clone());
            }
            let place = if place.is_empty() {
                String::new()
            } else {
                format!("{}: ", place.join(", "))
            };
            writeln!(
                out,
                "    {place}{} [{}] {}",
                p.severity.as_str(),
                p.code,
                p.message
            )?;
            shown += 1;
        }
    }
    let total_problems: usize = report.mawbs.iter().map(|m| m.problems.len()).sum();
    if shown < total_problems {
        writeln!(
            out,
            "\n... {} more problem(s); see --json for all of them",
            total_problems - shown
        )?;
    }
    Ok(())
}

/// Exit code: all good (warnings allowed).
pub const EXIT_OK: i32 = 0;
/// Exit code: some MAWB failed validation or was refused by ACP, or its labels are not all printable.
pub const EXIT_FAILED: i32 = 1;
/// Exit code: usage, configuration or I/O error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code of a run stopped by Ctrl-C (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: i32 = 130;

/// The exit code of `check`: 2 for an error no MAWB owns (a path, a file), 1 when a MAWB has errors, else 0.
pub fn check_exit_code(report: &CheckReport) -> i32 {
    if report.problems.iter().any(Problem::is_error) {
        EXIT_USAGE
    } else if report.all_sendable() {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// The exit code of `run` (and a `watch` folder): 2 for a batch-level error or a configuration error (a
/// wrong key: no MAWB is at fault), 1 when a MAWB failed or its print-ready labels could not all be
/// written, else 0.
pub fn run_exit_code(report: &CheckReport, outcomes: &[Outcome]) -> i32 {
    let print_failed = outcomes.iter().any(|o| {
        o.print_ready
            .as_ref()
            .is_some_and(|p| !p.problems.is_empty())
    });
    if report.problems.iter().any(Problem::is_error)
        || outcomes.iter().any(|o| o.configuration_error)
    {
        EXIT_USAGE
    } else if outcomes.iter().all(Outcome::is_success) && !print_failed {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// The word a status is shown as (`sent`, `modified`, `unchanged`, `invalid`, `failed`).
pub fn status_word(status: RunStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// One block per MAWB of a run: status, manifest, counts, the reason it failed, and what the operator must
/// act on (a replaced manifest, labels missing, print-ready files, re-labelled parcels).
pub fn write_outcomes(
    out: &mut impl Write,
    report: &CheckReport,
    outcomes: &[Outcome],
) -> std::io::Result<()> {
    for (m, o) in report.mawbs.iter().zip(outcomes) {
        writeln!(
            out,
            "{:<16} {:<10} manifest {:<10} {} request(s), {} item(s) created, {} adopted, {} cancelled, {} label(s){}",
            m.mawb.display_name(),
            status_word(o.status),
            o.manifest_id.as_deref().unwrap_or("-"),
            o.requests_sent,
            o.items_created,
            o.items_adopted,
            o.items_cancelled,
            o.labels_archived,
            o.error.as_ref().map(|e| format!("\n    reason: {e}")).unwrap_or_default()
        )?;
        match (&o.manifest_replaced, &o.manifest_id) {
            (Some(old), Some(new)) => writeln!(
                out,
                "    manifest replaced: {old} was cancelled and created again as {new} (the change had to rebuild the MAWB's day; ACP cannot detach units from a day)"
            )?,
            (Some(old), None) => writeln!(
                out,
                "    manifest cancelled: {old} was cancelled to rebuild the MAWB's day (ACP cannot detach units from a day), and the run stopped before creating it again: run again to create it"
            )?,
            _ => {}
        }
        if !o.labels_missing.is_empty() {
            writeln!(
                out,
                "    labels missing from the archive ({}): {}",
                o.labels_missing.len(),
                o.labels_missing.join("; ")
            )?;
        }
        for line in o.print_ready.iter().flat_map(|p| p.lines()) {
            writeln!(out, "    {line}")?;
        }
        if !o.relabelled.is_empty() {
            let list: Vec<String> = o
                .relabelled
                .iter()
                .map(|r| format!("{} (replaces {}, now void)", r.tracking_number, r.replaces))
                .collect();
            writeln!(
                out,
                "    re-labelled: print the new labels and throw the old ones away: {}",
                list.join(", ")
            )?;
        }
    }
    Ok(())
}
