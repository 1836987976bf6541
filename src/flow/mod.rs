//! The run of one MAWB through ACP: register items, bag them, group them into a day, upload the manifest,
//! reconcile ACP's counts with our own, archive every label.
//!
//! The flow is a diff between what the ledger says ACP holds and what the folder now holds, so the same
//! code runs a new MAWB, resumes one that was interrupted, re-runs a finished one (nothing to send) and
//! applies a change to one already uploaded (cancel what must go, create what is new, modifyManifest).
//! Every request is recorded as an intent before it is sent and with its result after; a repeated create
//! that meets `conflict` with an object matching what was sent is adopted as done, as ACP advises.

mod answers;
mod believe;
mod labels;
mod manifest;
mod send;
mod steps;

use crate::acp::client::{CallError, Client};
use crate::acp::wire::{self, Answer, ErrorType, MailItemInfo, Status};
use crate::archive::Archive;
use crate::check::CheckedMawb;
use crate::ledger::{Ledger, LedgerError};
use crate::model::Decimal;
use crate::plan::{self, HeldBag, HeldItem, ItemFragments, LedgerView, PlanOptions, Step};
use labels::stop_for_missing;
use serde::Serialize;
use std::collections::BTreeMap;
use std::str::FromStr;
use steps::Progress;

/// The services a run of MAWBs uses: the ACP client, the ledger, the label archive and the plan's options.
/// The one bundle behind `run`, `watch` and `demo`; shared (`Arc`) because the watcher's worker threads
/// may outlive the call that started them.
#[derive(Clone)]
pub struct Services {
    pub client: std::sync::Arc<Client>,
    pub ledger: std::sync::Arc<Ledger>,
    pub archive: std::sync::Arc<Archive>,
    pub plan: PlanOptions,
}

/// What a run of one MAWB needs besides the MAWB.
pub struct FlowContext<'a> {
    pub services: &'a Services,
    /// Called as items are registered (for a progress bar).
    pub on_items: &'a (dyn Fn(usize) + Sync),
}

/// How a MAWB's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Uploaded (created) and reconciled.
    Sent,
    /// Uploaded before; changes applied with modifyManifest and reconciled.
    Modified,
    /// Uploaded before and unchanged: nothing sent.
    Unchanged,
    /// Not sent: the folder has errors.
    Invalid,
    /// ACP refused something, or the counts did not reconcile, or ACP could not be reached.
    Failed,
    /// Stopped by a configuration error (ACP refused the API key or the endpoint): nothing is wrong with
    /// the MAWB, which is not recorded as failed; the run exits 2.
    ConfigurationError,
}

/// Counts reconciled against ACP's getManifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub ok: bool,
    pub ours: Counts,
    pub acp: Counts,
    pub differences: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Counts {
    pub items: Option<u64>,
    pub bags: Option<u64>,
    pub days: Option<u64>,
    pub weight_kg: Option<String>,
}

/// The outcome of one MAWB, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub status: RunStatus,
    /// The manifest ACP holds for the MAWB at the end of the run, as far as the ledger knows (one an
    /// earlier run sent, when this run failed before changing it); `None` when there is none.
    pub manifest_id: Option<String>,
    pub day_id: Option<String>,
    pub requests_sent: usize,
    pub items_created: usize,
    pub items_adopted: usize,
    pub items_cancelled: usize,
    pub bags_created: usize,
    pub labels_archived: usize,
    pub archive: Option<String>,
    pub reconciliation: Option<Reconciliation>,
    /// Why it failed (ACP's own message included).
    pub error: Option<String>,
    /// Whether a later run may succeed without changing the folder (network, system errors, a wrong
    /// API key once it is fixed).
    pub retryable: bool,
    /// ACP refused the caller (a wrong or unauthorised API key): a configuration error, not the MAWB's.
    pub configuration_error: bool,
    /// Items cancelled and created again with a new tracking number in this run: print their new labels,
    /// throw the old ones away.
    pub relabelled: Vec<Relabel>,
    /// The manifest id cancelled in this run because the change had to rebuild the MAWB's day (units
    /// inside a day cannot be detached by modifyManifest); the manifest was created again under
    /// `manifest_id`.
    pub manifest_replaced: Option<String>,
    /// Objects created with a label request whose label is not in the archive at the end of the run
    /// (item, bag or day, with why): the run failed; the next one gets them again.
    pub labels_missing: Vec<String>,
    /// The print-ready label files written at the end of the run (`print_ready = true` or
    /// `--print-ready`); None when not asked for.
    pub print_ready: Option<crate::archive::print::PrintReady>,
}

/// What a createMailing answer gave, for the caller of `take_mailing_answer`.
#[derive(Debug, Default)]
struct MailingTaken {
    /// Items ACP already held (taken over) rather than created.
    adopted: usize,
    /// An adopted item was this ledger's own earlier create (its answer lost), not one taken over with
    /// `--adopt`.
    own_adoption: bool,
    /// Why a requested label could not be kept, per item that lacks it.
    lacking: Vec<String>,
    /// The tracking number of the last item read (the one item of a labelled request).
    tracking_number: Option<String>,
}

/// An item label replaced in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relabel {
    /// The new tracking number (its label is in the archive, valid).
    pub tracking_number: String,
    /// The tracking number of the cancelled item (its label is void).
    pub replaces: String,
}

impl Outcome {
    /// A failed outcome with its reason.
    pub fn failed(error: impl Into<String>) -> Outcome {
        let mut o = Outcome::new(RunStatus::Failed);
        o.error = Some(error.into());
        o
    }

    /// Whether the MAWB is at ACP as the folder describes it.
    pub fn is_success(&self) -> bool {
        matches!(
            self.status,
            RunStatus::Sent | RunStatus::Modified | RunStatus::Unchanged
        )
    }

    fn new(status: RunStatus) -> Outcome {
        Outcome {
            status,
            manifest_id: None,
            day_id: None,
            requests_sent: 0,
            items_created: 0,
            items_adopted: 0,
            items_cancelled: 0,
            bags_created: 0,
            labels_archived: 0,
            archive: None,
            reconciliation: None,
            error: None,
            retryable: false,
            configuration_error: false,
            relabelled: Vec::new(),
            manifest_replaced: None,
            labels_missing: Vec::new(),
            print_ready: None,
        }
    }
}

/// Why the flow stopped.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error("{0}")]
    Call(#[from] CallError),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Local(String),
}

impl Stop {
    fn is_configuration(&self) -> bool {
        matches!(self, Stop::Call(e) if e.is_configuration())
    }

    fn retryable(&self) -> bool {
        match self {
            Stop::Call(e) => e.is_retryable(),
            Stop::Ledger(_) | Stop::Local(_) => true,
            Stop::Refused(m) => m.contains("system"),
        }
    }
}

/// Whether ACP's answer says the manifest was sent on (`sent`; a modify of a sent manifest may come as a
/// conflict saying so).
fn is_sent_on(st: &Status) -> bool {
    st.error_type == Some(ErrorType::Sent)
        || (st.error_type == Some(ErrorType::Conflict)
            && st.error.as_deref().is_some_and(|m| m.contains("sent on")))
}

fn describe(s: &Status) -> String {
    let t = s
        .error_type
        .as_ref()
        .map(ErrorType::as_str)
        .unwrap_or("error");
    match &s.error {
        Some(e) if !e.is_empty() => format!("{t}: {e}"),
        _ => t.to_string(),
    }
}

/// Whether an existing item ACP describes is the one we sent (same ids, value and weight).
fn same_item(sent: &wire::MailItem, existing: &MailItemInfo) -> bool {
    let eq_opt = |a: &Option<crate::model::Text>, b: &Option<String>| match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    };
    let eq_num = |a: &str, b: &Option<String>| match b {
        None => true,
        Some(b) => match (Decimal::from_str(a), Decimal::from_str(b.trim())) {
            (Ok(x), Ok(y)) => x == y,
            _ => a == b,
        },
    };
    eq_opt(&sent.tracking_number, &existing.tracking_number)
        && eq_opt(&sent.shipper_item_id, &existing.shipper_item_id)
        && eq_num(&sent.value, &existing.value)
        && eq_num(&sent.weight, &existing.weight)
}

struct Run<'a, 'c> {
    ctx: &'a FlowContext<'c>,
    checked: &'a CheckedMawb,
    mawb: String,
    out: Outcome,
    /// The ledger id and attempts of the last request sent (a conflict after a retry is our own answer,
    /// lost).
    last_request: (i64, u32),
    /// What differs between the folder and what ACP holds (for messages).
    changes: String,
}

/// Runs one MAWB (see the module doc). Never panics; every failure is in the outcome.
pub fn run_mawb(ctx: &FlowContext<'_>, checked: &CheckedMawb) -> Outcome {
    let Some(config) = checked.mawb.config.as_ref().filter(|_| checked.sendable()) else {
        let mut o = Outcome::new(RunStatus::Invalid);
        o.error = Some(format!(
            "{} error(s) in the folder: nothing was sent",
            checked.errors()
        ));
        return o;
    };
    // One process at a time per MAWB and ledger: a second run of the same batch waits here.
    let number = config.manifest_number.clone();
    let _lock = match ctx.services.ledger.lock_mawb(&number, &|holder| {
        tracing::warn!(mawb = %number, "MAWB {number} is being sent by {holder}; waiting for it to finish")
    }) {
        Ok(lock) => lock,
        Err(e) => {
            let mut o = Outcome::new(RunStatus::Failed);
            o.retryable = true;
            o.error = Some(format!("cannot take the lock of MAWB {number} beside the ledger: {e}"));
            return o;
        }
    };
    let mut run = Run {
        ctx,
        checked,
        mawb: config.manifest_number.clone(),
        out: Outcome::new(RunStatus::Sent),
        last_request: (0, 0),
        changes: String::new(),
    };
    match run.go() {
        Ok(()) => {}
        Err(e) => {
            run.out.configuration_error = e.is_configuration();
            run.out.retryable = e.retryable() || run.out.configuration_error;
            if run.out.configuration_error {
                // Not the MAWB's failure: the ledger keeps where the MAWB stood, for the next run.
                tracing::error!(mawb = %run.mawb, "stopped by a configuration error: {e}");
                run.out.status = RunStatus::ConfigurationError;
                run.out.error = Some(format!(
                    "configuration error: {e} (check ACP_API_KEY and ACP_ENDPOINT; the folder is fine)"
                ));
            } else {
                tracing::error!(mawb = %run.mawb, "failed: {e}");
                run.out.status = RunStatus::Failed;
                run.out.error = Some(e.to_string());
                let _ = ctx
                    .services
                    .ledger
                    .set_state(&run.mawb, "failed", Some(&e.to_string()));
            }
        }
    }
    // The packing order `mawb labels` prints in: the folder as this run saw it.
    if let Err(e) = ctx
        .services
        .ledger
        .put_packing(&run.mawb, &plan::packing_order(&checked.mawb))
    {
        tracing::warn!(mawb = %run.mawb, "cannot record the packing order for printing labels: {e}");
    }
    if let Err(e) = run.seal() {
        run.out.status = RunStatus::Failed;
        run.out.error = Some(format!("labels could not be archived: {e}"));
    }
    if run.out.is_success() && (ctx.services.plan.print_ready || config.print_ready) {
        let printed = crate::archive::print::print_ready(
            &ctx.services.archive,
            &ctx.services.ledger,
            &run.mawb,
        );
        for p in &printed.problems {
            tracing::error!(mawb = %run.mawb, "print-ready: {p}");
        }
        run.out.print_ready = Some(printed);
    }
    run.out
}

impl Run<'_, '_> {
    /// Runs the MAWB: the exactly-once diff of the ledger's view against the folder, the plan of steps it
    /// gives (`plan::steps`, the same plan `prepare` writes), and each step executed in order.
    fn go(&mut self) -> Result<(), Stop> {
        let ledger = &*self.ctx.services.ledger;
        let checked = self.checked;
        let m = &checked.mawb;
        let config = m
            .config
            .clone()
            .ok_or_else(|| Stop::Local("no mawb.toml".into()))?;
        let frags = ItemFragments::of(m);
        let content_fp = frags.content_fingerprint(m);
        // Requests a killed process left "sending" are resolved: this process holds the MAWB's lock.
        let interrupted = ledger.resolve_interrupted(&self.mawb)?;
        if interrupted > 0 {
            tracing::warn!(mawb = %self.mawb, "{interrupted} request(s) of an earlier run ended without a recorded answer; what they created is looked for at ACP");
        }
        if self.forget_unbelievable()? > 0 {
            // The content fingerprint of a MAWB recorded done no longer says what ACP holds.
            ledger.set_state(&self.mawb, "changed", None)?;
        }
        let row = ledger.start_mawb(&self.mawb, &m.folder_name(), config.user_manifest_id())?;
        // The outcome names the manifest ACP holds for the MAWB, also when this run fails before or
        // without changing it; a run that cancels or creates one says so as it does.
        self.out.manifest_id = row.manifest_id.clone();
        if row.manifest_id.is_none() {
            // An earlier run cancelled the manifest to rebuild the day and ended before creating it again.
            self.out.manifest_replaced = ledger.manifest_cancelled_since_created(&self.mawb)?;
        }
        let lacking = self.lacking_labels()?;
        let same_as_sent = row.fingerprint.as_deref() == Some(content_fp.as_str());
        if row.sent_on && same_as_sent && row.state != "done" {
            // A change met a manifest ACP had sent on (nothing was applied); the folder is back as sent.
            ledger.set_state(&self.mawb, "done", None)?;
        }
        if row.sent_on && !lacking.is_empty() {
            // A manifest sent on is final: nothing can be cancelled to get the labels again.
            self.out.labels_missing = lacking.described.clone();
            return Err(Stop::Refused(format!(
                "{} label(s) are not in the archive and manifest {} was sent on, so they cannot be created again: print them from ACP ({})",
                lacking.described.len(),
                row.manifest_id.as_deref().unwrap_or("?"),
                lacking.described.join("; ")
            )));
        }
        if !lacking.is_empty() {
            tracing::warn!(mawb = %self.mawb, "{} label(s) of an earlier run are not in the archive; getting them again: {}", lacking.described.len(), lacking.described.join("; "));
        }
        if (row.state == "done" || row.sent_on) && same_as_sent && lacking.is_empty() {
            tracing::info!(mawb = %self.mawb, "unchanged since its upload: nothing to send");
            self.out.status = RunStatus::Unchanged;
            self.out.manifest_id = row.manifest_id;
            self.out.day_id = row.day_id;
            return Ok(());
        }

        // What ACP holds (per the ledger) against what the folder holds now.
        let view = self.ledger_view(&lacking, &row)?;
        let diff = plan::diff(m, &frags, &view, config.create_day);
        self.changes = diff.changes.clone();
        if row.sent_on {
            // Nothing is sent for a MAWB whose manifest is final.
            return Err(self.sent_on(row.manifest_id.as_deref()));
        }
        let steps = plan::steps(
            m,
            &frags,
            &view,
            &diff,
            row.manifest_id.is_some(),
            &self.ctx.services.plan,
        );
        if row.state == "done" && !steps.is_empty() {
            // The folder's fingerprint recorded with `done` says what ACP holds only until this run
            // changes it: a run killed half-way must not leave a folder put back as it was reading as
            // unchanged (the next run compares what the ledger recorded ACP holding instead).
            ledger.set_state(&self.mawb, "changing", None)?;
        }
        let mut at = Progress {
            config,
            frags,
            view,
            diff,
            row_manifest_id: row.manifest_id.clone(),
            day_revision: row.day_revision.max(1),
            day_id: row.day_id.clone(),
            content_fp,
            batches: steps
                .iter()
                .filter(|s| matches!(s, Step::CreateItems(_)))
                .count(),
            batch: 0,
            ids: None,
            tracking: None,
            manifest: None,
        };
        for step in steps {
            if matches!(
                step,
                Step::CreateBag(_) | Step::CreateDay | Step::UploadManifest
            ) && !self.out.labels_missing.is_empty()
            {
                // A labelled object is not done without its label: nothing after it is sent.
                return Err(stop_for_missing(
                    &self.out.labels_missing,
                    &format!("{} and every request after it", step.command()),
                ));
            }
            self.execute(step, &mut at)?;
        }
        Ok(())
    }

    /// The ledger's view of the MAWB for the diff: what ACP holds, and what still wants its label.
    fn ledger_view(
        &self,
        lacking: &labels::Lacking,
        row: &crate::ledger::MawbRow,
    ) -> Result<LedgerView, Stop> {
        let ledger = &*self.ctx.services.ledger;
        Ok(LedgerView {
            items: ledger
                .items(&self.mawb)?
                .into_iter()
                .map(|(k, r)| {
                    (
                        k,
                        HeldItem {
                            tracking_number: r.tracking_number,
                            shipper_item_id: r.shipper_item_id,
                            fingerprint: r.fingerprint,
                        },
                    )
                })
                .collect(),
            bags: ledger
                .bags(&self.mawb)?
                .into_iter()
                .map(|(sid, r)| {
                    (
                        sid,
                        HeldBag {
                            bag_id: r.bag_id,
                            fingerprint: r.fingerprint,
                        },
                    )
                })
                .collect(),
            day_id: row.day_id.clone(),
            items_wanting_labels: lacking.items.clone(),
            bags_wanting_labels: lacking.bags.clone(),
            day_wants_label: lacking.day,
        })
    }

    fn seal(&mut self) -> Result<(), String> {
        let rows = self
            .ctx
            .services
            .ledger
            .labels(&self.mawb)
            .map_err(|e| e.to_string())?;
        let sealed = self
            .ctx
            .services
            .archive
            .seal(&self.mawb, &rows)
            .map_err(|e| e.to_string())?;
        self.out.archive = sealed.map(|p| p.display().to_string());
        Ok(())
    }
}

/// A one-line summary of an answer for the ledger: result counts per errorType, never label data.
pub fn summarise(a: &Answer) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut add = |s: &Status| {
        let k = if s.ok {
            "ok".to_string()
        } else {
            s.error_type
                .as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_else(|| "error".into())
        };
        *counts.entry(k).or_default() += 1;
    };
    let mut first_error = None;
    match a {
        Answer::CommonError(e) => return format!("common error: {e}"),
        Answer::Mailing(items) => {
            for i in items {
                add(&i.status);
                if first_error.is_none() && !i.status.ok {
                    first_error = i.status.error.clone();
                }
            }
        }
        Answer::Bag(b) => {
            add(&b.status);
            first_error = b.status.error.clone();
        }
        Answer::Day(d) => {
            add(&d.status);
            first_error = d.status.error.clone();
        }
        Answer::Info(i) => add(&i.status),
        Answer::Manifest(m) => {
            add(&m.status);
            first_error = m.status.error.clone();
            if let Some(id) = &m.manifest_id {
                counts.insert(format!("manifestId={id}"), 1);
            }
        }
    }
    let mut s: Vec<String> = counts
        .into_iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect();
    if let Some(e) = first_error {
        s.push(format!("first error: {e}"));
    }
    s.join(" ")
}

#[cfg(test)]
mod tests;
