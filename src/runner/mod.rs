//! The nightly batch: the offline stages for every MAWB folder, then the flow of each sendable MAWB
//! against ACP, several MAWBs at once (bounded), one failing MAWB never stopping the others.
//!
//! Network-bound work runs on a small pool of plain threads (`jobs`); CPU work inside each MAWB uses rayon.
//!
//! [`Runner::check_and_run`] streams the batch: folders are checked a few at a time, in batch order, and
//! each MAWB is handed to the pool as soon as it and every folder before it are checked (batch-wide
//! uniqueness only looks back, see `unique`). A MAWB's items are dropped once its flow has ended, so the
//! memory of a run is bounded by the MAWBs checked or in flight at once, not by the size of the batch.

mod unique;

use crate::check::{check_one, sort_problems, CheckOptions, CheckReport, CheckedMawb};
use crate::flow::{run_mawb, FlowContext, Outcome, Services};
use crate::ledger::LedgerError;
use crate::problem::Problem;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::{mpsc, Mutex};

/// What the run needs besides the MAWBs.
pub struct Runner<'a> {
    pub services: &'a Services,
    /// MAWBs processed at once.
    pub jobs: usize,
}

impl Runner<'_> {
    /// Checks the MAWB folders `dirs` as one batch (the same problems as `check::check_dirs` followed by
    /// `check::check_against_ledger`) and runs each sendable MAWB as soon as it is checked. `discovered`
    /// holds the problems of the paths themselves. `on_checked` hears about each MAWB checked, `on_items`
    /// about items registered, `on_mawb` about each MAWB finished (progress).
    ///
    /// Returns the check report (each MAWB without its items and bags, which are dropped after its flow;
    /// totals, files and problems are kept for the report) and the outcomes in batch order. `Err`: the
    /// ledger could not be read to check shipperItemIds; MAWBs already handed to the pool are finished
    /// first, and no MAWB after the one that failed is run.
    pub fn check_and_run(
        &self,
        dirs: &[PathBuf],
        discovered: Vec<Problem>,
        opts: &CheckOptions,
        on_checked: &(dyn Fn(&CheckedMawb) + Sync),
        on_items: &(dyn Fn(usize) + Sync),
        on_mawb: &(dyn Fn(&CheckedMawb, &Outcome) + Sync),
    ) -> Result<(CheckReport, Vec<Outcome>), LedgerError> {
        let n = dirs.len();
        let ctx = FlowContext {
            services: self.services,
            on_items,
        };
        let ledger = &*self.services.ledger;
        // Items the ledger holds from earlier runs are what the ledger check looks for: the items this run
        // records belong to MAWBs before the one checked, whose shipperItemIds it skips. A first run
        // (a ledger without items) makes no query per shipperItemId.
        let earlier_items = ledger.holds_items()?;
        let slots: Mutex<Vec<Option<(CheckedMawb, Outcome)>>> =
            Mutex::new((0..n).map(|_| None).collect());
        // One MAWB waits checked beside those in flight: checking stays ahead of sending without holding
        // the batch.
        let (tx, rx) = mpsc::sync_channel::<(usize, CheckedMawb)>(1);
        let rx = Mutex::new(rx);
        let chunk = rayon::current_num_threads().max(1);
        let checked: Result<usize, LedgerError> = std::thread::scope(|s| {
            for _ in 0..self.jobs.clamp(1, n.max(1)) {
                s.spawn(|| loop {
                    let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((i, mut m)) = next else { break };
                    let outcome = run_mawb(&ctx, &m);
                    on_mawb(&m, &outcome);
                    m.mawb.items = Vec::new();
                    m.mawb.bags = Vec::new();
                    if let Some(slot) = slots.lock().unwrap_or_else(|e| e.into_inner()).get_mut(i) {
                        *slot = Some((m, outcome));
                    }
                });
            }
            let mut seen = unique::Seen::default();
            let mut i = 0;
            for group in dirs.chunks(chunk) {
                let mut mawbs: Vec<CheckedMawb> =
                    group.par_iter().map(|d| check_one(d, opts)).collect();
                for m in &mut mawbs {
                    if earlier_items {
                        crate::check::check_against_ledger_except(
                            std::slice::from_mut(m),
                            ledger,
                            &|column, id| seen.knows(column, id),
                        )?;
                    }
                    let extra = seen.next(m);
                    m.problems.extend(extra);
                    sort_problems(&mut m.problems);
                    on_checked(m);
                }
                for m in mawbs {
                    if tx.send((i, m)).is_err() {
                        break;
                    }
                    i += 1;
                }
            }
            drop(tx);
            Ok(i)
        });
        let slots = slots.into_inner().unwrap_or_else(|e| e.into_inner());
        checked?;
        let mut report = CheckReport {
            mawbs: Vec::with_capacity(n),
            problems: discovered,
            totals: Default::default(),
        };
        let mut outcomes = Vec::with_capacity(n);
        for slot in slots {
            match slot {
                Some((m, o)) => {
                    report.totals.add(&m.totals);
                    report.mawbs.push(m);
                    outcomes.push(o);
                }
                None => {
                    tracing::error!("a MAWB folder was checked but not run (internal error)");
                }
            }
        }
        Ok((report, outcomes))
    }
}
