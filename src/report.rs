//! Reports: the readable summary on stdout and the `--json` document, for every command.
//!
//! The JSON schema is documented in `docs/report.md`; fields are only ever added, never renamed,
//! because operators' scripts read them.

use crate::aggregate::{declared_weight_kg, Totals};
use crate::check::{CheckReport, CheckedMawb};
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
        }
    }

    /// Writes the report to a file (atomically: temp name, then rename) or to stdout for `-`.
    pub fn write_to(&self, target: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        if target.as_os_str() == "-" {
            let mut out = crate::out::Stdout;
            out.write_all(&text)?;
            out.write_all(b"\n")?;
            return out.flush();
        }
        crate::fsutil::write_atomic(target, &text)
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
