//! The nightly batch: the offline stages for every MAWB folder, then the flow of each sendable MAWB
//! against ACP, several MAWBs at once (bounded), one failing MAWB never stopping the others.
//!
//! Network-bound work runs on a small pool of plain threads (`jobs`); CPU work inside each MAWB uses rayon.

use crate::check::{CheckReport, CheckedMawb};
use crate::flow::{run_mawb, FlowContext, Outcome, Services};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What the run needs besides the MAWBs.
pub struct Runner<'a> {
    pub services: &'a Services,
    /// MAWBs processed at once.
    pub jobs: usize,
}

impl Runner<'_> {
    /// Runs every MAWB of `report` (invalid ones are reported, not sent). `on_items` hears about items
    /// registered, `on_mawb` about each MAWB finished (progress).
    pub fn run(
        &self,
        report: &CheckReport,
        on_items: &(dyn Fn(usize) + Sync),
        on_mawb: &(dyn Fn(&CheckedMawb, &Outcome) + Sync),
    ) -> Vec<Outcome> {
        let n = report.mawbs.len();
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; n]);
        let ctx = FlowContext {
            services: self.services,
            on_items,
        };
        std::thread::scope(|s| {
            for _ in 0..self.jobs.clamp(1, n.max(1)) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(m) = report.mawbs.get(i) else { break };
                    let outcome = run_mawb(&ctx, m);
                    on_mawb(m, &outcome);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| {
                    let mut f = Outcome::failed("the MAWB was not run (internal error)");
                    f.retryable = true;
                    f
                })
            })
            .collect()
    }
}
