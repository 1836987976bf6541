//! The offline part of the pipeline, shared by `check`, `prepare`, `run` and `watch`:
//! ingest → validate → aggregate for every MAWB folder of the given paths, in parallel.

use crate::aggregate::{self, Totals};
use crate::ingest::{self, IngestOptions};
use crate::model::*;
use crate::problem::*;
use crate::validate::{self, ValidateOptions};
use rayon::prelude::*;
use std::path::PathBuf;

/// Options of the offline stages.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub ingest: IngestOptions,
    pub validate: ValidateOptions,
    /// `declared_weight` may differ from the HAWB total by this many percent before a warning.
    pub weight_tolerance_pct: Decimal,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            ingest: IngestOptions::default(),
            validate: ValidateOptions::default(),
            weight_tolerance_pct: Decimal::from(5),
        }
    }
}

/// One MAWB after the offline stages.
#[derive(Debug, Clone)]
pub struct CheckedMawb {
    pub mawb: Mawb,
    pub totals: Totals,
    /// Sorted by file, sheet, row.
    pub problems: Vec<Problem>,
}

impl CheckedMawb {
    pub fn errors(&self) -> usize {
        self.problems.iter().filter(|p| p.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.problems.len() - self.errors()
    }

    /// A MAWB with any error sends nothing.
    pub fn sendable(&self) -> bool {
        self.errors() == 0 && self.mawb.config.is_some()
    }
}

/// Everything `check` found.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub mawbs: Vec<CheckedMawb>,
    /// Problems about the paths themselves (missing, empty batch).
    pub problems: Vec<Problem>,
    pub totals: Totals,
}

impl CheckReport {
    pub fn all_sendable(&self) -> bool {
        self.problems.iter().all(|p| !p.is_error()) && self.mawbs.iter().all(CheckedMawb::sendable)
    }
}

/// Checks one MAWB folder on its own (no batch-wide uniqueness).
pub fn check_one(dir: &std::path::Path, opts: &CheckOptions) -> CheckedMawb {
    let (mawb, mut problems) = ingest::read_mawb(dir, &opts.ingest);
    let field_problems = validate::validate_mawb(&mawb, &opts.validate);
    problems.extend(without_refused_cells(field_problems, &problems));
    ingest::group_decimal_commas(&mut problems);
    let totals = aggregate::totals(&mawb);
    if let Some(c) = &mawb.config {
        problems.extend(aggregate::check_declared_weight(
            c,
            &totals,
            opts.weight_tolerance_pct,
        ));
    }
    CheckedMawb {
        mawb,
        totals,
        problems,
    }
}

/// The codes of the rules that find a cell blank which should not be (see [`without_refused_cells`]).
const REQUIRES_A_CELL: [&str; 4] = [
    crate::problem::REQUIRED.code,
    crate::problem::TRACKING_REQUIRED.code,
    crate::problem::EMAIL_REQUIRED.code,
    crate::problem::PRODUCT_VALUE_REQUIRED.code,
];

/// A cell refused at ingest (digits lost, a date, a formula without a result) reads as blank: the field
/// rules' "required" for that same cell (`required`, and the rules that require one field:
/// `tracking-required`, `email-required`, `product-value-required`) would only repeat it, with advice
/// about a blank cell, so it is dropped.
fn without_refused_cells(field_problems: Vec<Problem>, ingest: &[Problem]) -> Vec<Problem> {
    type Cell<'p> = (&'p str, Option<&'p str>, Option<u32>, Option<&'p str>);
    let refused: std::collections::HashSet<Cell<'_>> = ingest
        .iter()
        .filter(|p| p.is_error() && p.column.is_some())
        .map(|p| {
            (
                p.file.as_str(),
                p.sheet.as_deref(),
                p.row,
                p.column.as_deref(),
            )
        })
        .collect();
    if refused.is_empty() {
        return field_problems;
    }
    field_problems
        .into_iter()
        .filter(|p| {
            !(REQUIRES_A_CELL.contains(&p.code)
                && refused.contains(&(
                    p.file.as_str(),
                    p.sheet.as_deref(),
                    p.row,
                    p.column.as_deref(),
                )))
        })
        .collect()
}

/// What only the ledger knows: a shipperItemId or trackingNumber already used by an item of another MAWB it
/// sent. Adds an error to each MAWB concerned (so it is not sent: ACP would refuse that parcel only after
/// the MAWB's other parcels were registered).
pub fn check_against_ledger(
    mawbs: &mut [CheckedMawb],
    ledger: &crate::ledger::Ledger,
) -> Result<(), crate::ledger::LedgerError> {
    check_against_ledger_except(mawbs, ledger, &|_, _| false)
}

/// [`check_against_ledger`] for the ids `skip` does not name. A run that sends each MAWB as soon as it is
/// checked skips the ids an earlier MAWB of its batch uses: that use is already an error of the batch
/// (`validate::check_batch_uniqueness`), and whether the ledger holds it yet would depend on how far the
/// earlier MAWB's flow has gone, so the report would not be the same from one run to the next.
pub fn check_against_ledger_except(
    mawbs: &mut [CheckedMawb],
    ledger: &crate::ledger::Ledger,
    skip: &dyn Fn(crate::ledger::ItemIdColumn, &str) -> bool,
) -> Result<(), crate::ledger::LedgerError> {
    use crate::ingest::columns::Field;
    use crate::ledger::ItemIdColumn;
    for m in mawbs {
        let Some(number) = m.mawb.config.as_ref().map(|c| c.manifest_number.clone()) else {
            continue;
        };
        let mut found = Vec::new();
        for (column, field, rule, what) in [
            (
                ItemIdColumn::TrackingNumber,
                Field::TrackingNumber,
                &crate::problem::TRACKING_NUMBER_USED,
                "tracking number",
            ),
            (
                ItemIdColumn::ShipperItemId,
                Field::ShipperItemId,
                &crate::problem::SHIPPER_ITEM_ID_USED,
                "shipperItemId",
            ),
        ] {
            let ids: Vec<&str> = m
                .mawb
                .items
                .iter()
                .filter_map(|i| id_of(i, column))
                .filter(|id| !skip(column, id))
                .collect();
            let used = ledger.ids_elsewhere(&number, column, &ids)?;
            if used.is_empty() {
                continue;
            }
            for item in &m.mawb.items {
                let Some((id, other)) =
                    id_of(item, column).and_then(|id| used.get(id).map(|o| (id, o)))
                else {
                    continue;
                };
                let file = m
                    .mawb
                    .files
                    .get(item.origin.file)
                    .map(|f| f.name.clone())
                    .unwrap_or_default();
                found.push(
                    Problem::new(
                        rule,
                        file,
                        format!(
                            "{} {id} is already used by an item of MAWB {other} in the ledger: ACP keeps one item per \
                             {what}, so give this parcel its own {what} (a row copied from an earlier night?)",
                            field.name()
                        ),
                    )
                    .sheet(&*item.origin.sheet)
                    .at(item.row_of(field))
                    .column(field.name()),
                );
            }
        }
        m.problems.extend(found);
    }
    Ok(())
}

/// An item's trackingNumber or shipperItemId (`column`).
fn id_of(i: &crate::model::MailItem, column: crate::ledger::ItemIdColumn) -> Option<&str> {
    match column {
        crate::ledger::ItemIdColumn::TrackingNumber => i.tracking_number.as_deref(),
        crate::ledger::ItemIdColumn::ShipperItemId => i.shipper_item_id.as_deref(),
    }
}

/// Checks every MAWB folder named by `paths` (MAWB folders or batch folders), `on_done` called as each
/// MAWB finishes (for a progress bar).
pub fn check_paths(
    paths: &[PathBuf],
    opts: &CheckOptions,
    on_done: &(dyn Fn() + Sync),
) -> CheckReport {
    let (dirs, problems) = ingest::discover(paths);
    check_dirs(&dirs, problems, opts, on_done)
}

/// Checks the given MAWB folders as one batch.
pub fn check_dirs(
    dirs: &[PathBuf],
    problems: Vec<Problem>,
    opts: &CheckOptions,
    on_done: &(dyn Fn() + Sync),
) -> CheckReport {
    let mut mawbs: Vec<CheckedMawb> = dirs
        .par_iter()
        .map(|d| {
            let m = check_one(d, opts);
            on_done();
            m
        })
        .collect();
    let uniq = {
        let refs: Vec<&Mawb> = mawbs.iter().map(|m| &m.mawb).collect();
        validate::check_batch_uniqueness(&refs)
    };
    for (m, extra) in mawbs.iter_mut().zip(uniq) {
        m.problems.extend(extra);
        sort_problems(&mut m.problems);
    }
    let mut totals = Totals::default();
    for m in &mawbs {
        totals.add(&m.totals);
    }
    CheckReport {
        mawbs,
        problems,
        totals,
    }
}

/// Orders problems the way an operator fixes them: file by file, row by row, errors first on a row.
pub fn sort_problems(problems: &mut [Problem]) {
    problems.sort_by(|a, b| {
        (
            a.file.as_str(),
            a.sheet.as_deref(),
            a.row,
            a.severity,
            a.column.as_deref(),
        )
            .cmp(&(
                b.file.as_str(),
                b.sheet.as_deref(),
                b.row,
                b.severity,
                b.column.as_deref(),
            ))
    });
}
