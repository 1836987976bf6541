//! The run of one MAWB through ACP: register items, bag them, group them into a day, upload the manifest,
//! reconcile ACP's counts with our own, archive every label.
//!
//! The flow is a diff between what the ledger says ACP holds and what the folder now holds, so the same
//! code runs a new MAWB, resumes one that was interrupted, re-runs a finished one (nothing to send) and
//! applies a change to one already uploaded (cancel what must go, create what is new, modifyManifest).
//! Every request is recorded as an intent before it is sent and with its result after; a repeated create
//! that meets `conflict` with an object matching what was sent is adopted as done, as ACP advises.

mod believe;
mod labels;

use crate::acp::answer::{parse_answer, parse_answer_counts};
use crate::acp::client::{AnswerParser, Attempt, CallError, Client};
use crate::acp::convert;
use crate::acp::request::write_request_to_vec;
use crate::acp::wire::{self, Answer, Command, ErrorType, MailItemInfo, Params, Request, Status};
use crate::archive::{Archive, Entity};
use crate::check::CheckedMawb;
use crate::ledger::{BagRow, ItemRow, Ledger, LedgerError};
use crate::model::{format_fixed, Decimal, Mawb, WEIGHT_SCALE};
use crate::plan::{self, KnownIds, PlanOptions};
use labels::{stop_for_missing, LabelTrouble};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

/// What a run needs besides the MAWB.
pub struct FlowContext<'a> {
    pub client: &'a Client,
    pub ledger: &'a Ledger,
    pub archive: &'a Archive,
    pub plan: PlanOptions,
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Whether ACP's answer says the manifest was sent on (`sent`; a modify of a sent manifest may come as a
/// conflict saying so).
fn is_sent_on(st: &Status) -> bool {
    st.error_type == Some(ErrorType::Sent)
        || (st.error_type == Some(ErrorType::Conflict)
            && st.error.as_deref().is_some_and(|m| m.contains("sent on")))
}

/// What differs between the folder and the ledger, for messages: items changed or removed, items new.
fn describe_changes(
    to_cancel: &[String],
    to_create: &[usize],
    m: &Mawb,
    current: &HashMap<String, usize>,
    held: &HashMap<String, ItemRow>,
) -> String {
    let list = |keys: Vec<String>| {
        let n = keys.len();
        let mut shown: Vec<String> = keys.into_iter().take(5).collect();
        if n > 5 {
            shown.push(format!("and {} more", n - 5));
        }
        shown.join(", ")
    };
    let changed: Vec<String> = to_cancel
        .iter()
        .filter(|k| current.contains_key(*k))
        .cloned()
        .collect();
    let removed: Vec<String> = to_cancel
        .iter()
        .filter(|k| !current.contains_key(*k))
        .cloned()
        .collect();
    let added: Vec<String> = to_create
        .iter()
        .map(|&i| item_key(m, i))
        .filter(|k| !held.contains_key(k))
        .collect();
    let mut parts = Vec::new();
    for (what, keys) in [("changed", changed), ("removed", removed), ("new", added)] {
        if !keys.is_empty() {
            parts.push(format!("{} item(s) {what}: {}", keys.len(), list(keys)));
        }
    }
    parts.join("; ")
}

/// The fingerprint of an item: a hash of exactly what createMailing sends for it.
/// Converts an item once and fingerprints it: a hash of exactly what createMailing sends for it. Returns
/// the wire item, its fingerprint and its size inside a createMailing request (for batching).
fn item_xml(m: &Mawb, i: usize) -> (Vec<u8>, String) {
    let mut buf = Vec::new();
    let _ = write_request_to_vec(
        &Request::CreateMailing(vec![convert::mail_item(&m.items[i])]),
        &mut buf,
    );
    let fp = hex(&Sha256::digest(&buf));
    (buf, fp)
}

/// Where the first `<mailItem>` starts in a one-item createMailing request (text is escaped, so the
/// first occurrence is the element).
fn mail_item_start(one_item_request: &[u8]) -> usize {
    one_item_request
        .windows(MAIL_ITEM_OPEN.len())
        .position(|w| w == MAIL_ITEM_OPEN)
        .unwrap_or(0)
}

/// The `<mailItem>…</mailItem>` fragment inside a one-item createMailing request.
fn fragment(one_item_request: &[u8]) -> &[u8] {
    let start = mail_item_start(one_item_request);
    let end = one_item_request
        .len()
        .saturating_sub(ROOT_CLOSE.len())
        .max(start);
    &one_item_request[start..end]
}

const MAIL_ITEM_OPEN: &[u8] = b"<mailItem>";
const ROOT_CLOSE: &[u8] = b"</shippingApiRequest>";

/// A createMailing `data` made of the items' own serialisations: each item is written once, for its
/// fingerprint, and those bytes are what is sent.
fn batch_data(frags: &[Vec<u8>], batch: &[usize]) -> Vec<u8> {
    let head = frags
        .first()
        .map(|f| &f[..mail_item_start(f)])
        .unwrap_or_default();
    let len = head.len() + ROOT_CLOSE.len() + batch.iter().map(|&i| frags[i].len()).sum::<usize>();
    let mut data = Vec::with_capacity(len);
    data.extend_from_slice(head);
    for &i in batch {
        data.extend_from_slice(fragment(&frags[i]));
    }
    data.extend_from_slice(ROOT_CLOSE);
    data
}

fn item_key(m: &Mawb, i: usize) -> String {
    m.items[i].key().unwrap_or_default().to_string()
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
    let eq_opt = |a: &Option<String>, b: &Option<String>| match (a, b) {
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
    let _lock = match ctx.ledger.lock_mawb(&number, &|holder| {
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
            tracing::error!(mawb = %run.mawb, "failed: {e}");
            run.out.status = RunStatus::Failed;
            run.out.configuration_error = e.is_configuration();
            run.out.retryable = e.retryable() || run.out.configuration_error;
            run.out.error = Some(if run.out.configuration_error {
                format!("configuration error: {e} (check ACP_API_KEY and ACP_ENDPOINT; the folder is fine)")
            } else {
                e.to_string()
            });
            let _ = ctx
                .ledger
                .set_state(&run.mawb, "failed", Some(&e.to_string()));
        }
    }
    // The packing order `mawb labels` prints in: the folder as this run saw it.
    if let Err(e) = ctx
        .ledger
        .put_packing(&run.mawb, &plan::packing_order(&checked.mawb))
    {
        tracing::warn!(mawb = %run.mawb, "cannot record the packing order for printing labels: {e}");
    }
    if let Err(e) = run.seal() {
        run.out.status = RunStatus::Failed;
        run.out.error = Some(format!("labels could not be archived: {e}"));
    }
    if run.out.is_success() && (ctx.plan.print_ready || config.print_ready) {
        let printed = crate::archive::print::print_ready(ctx.archive, ctx.ledger, &run.mawb);
        for p in &printed.problems {
            tracing::error!(mawb = %run.mawb, "print-ready: {p}");
        }
        run.out.print_ready = Some(printed);
    }
    run.out
}

impl Run<'_, '_> {
    /// Sends one request, recorded in the ledger before and after.
    fn send(&mut self, detail: &str, params: &Params, req: &Request) -> Result<Answer, Stop> {
        let command = req.command();
        let mut data = Vec::new();
        if command.has_data() {
            write_request_to_vec(req, &mut data)
                .map_err(|e| Stop::Local(format!("{command}: cannot write the request: {e}")))?;
        }
        self.send_data(
            command,
            detail,
            params,
            if command.has_data() {
                Some(&data)
            } else {
                None
            },
        )
    }

    /// Sends a getManifest for its counts only (the items it lists are not read).
    fn send_for_counts(&mut self, manifest_id: &str) -> Result<Answer, Stop> {
        let req = Request::GetManifest(wire::ManifestRef {
            manifest_id: Some(manifest_id.to_string()),
            user_manifest_id: None,
        });
        let mut data = Vec::new();
        write_request_to_vec(&req, &mut data)
            .map_err(|e| Stop::Local(format!("getManifest: cannot write the request: {e}")))?;
        let params = self.params();
        self.send_data_with(
            Command::GetManifest,
            manifest_id,
            &params,
            Some(&data),
            parse_answer_counts,
        )
    }

    fn send_data(
        &mut self,
        command: Command,
        detail: &str,
        params: &Params,
        data: Option<&[u8]>,
    ) -> Result<Answer, Stop> {
        self.send_data_with(command, detail, params, data, parse_answer)
    }

    fn send_data_with(
        &mut self,
        command: Command,
        detail: &str,
        params: &Params,
        data: Option<&[u8]>,
        parser: AnswerParser,
    ) -> Result<Answer, Stop> {
        let ledger = self.ctx.ledger;
        let id = ledger.begin_request(
            &self.mawb,
            command.as_str(),
            detail,
            data.map_or(0, <[u8]>::len),
        )?;
        let mawb = self.mawb.clone();
        let mut attempts = 1;
        let mut on_retry = |a: &Attempt| {
            attempts = a.number + 1;
            tracing::warn!(mawb = %mawb, "{command} {detail}: attempt {} failed ({}); retrying", a.number, a.outcome);
        };
        let result = self
            .ctx
            .client
            .call_data_with(command, params, data, &mut on_retry, parser);
        self.out.requests_sent += 1;
        self.last_request = (id, attempts);
        match &result {
            Ok(a) => ledger.finish_request(id, "answered", &summarise(a), attempts)?,
            Err(e) => ledger.finish_request(id, "transport-error", &e.to_string(), attempts)?,
        }
        Ok(result?)
    }

    /// ACP answered that the MAWB's manifest was sent on: recorded in the ledger (a sent manifest is
    /// final) and reported with what differs; nothing of the change is applied.
    fn sent_on(&self, manifest_id: &str) -> Stop {
        if let Err(e) = self.ctx.ledger.set_sent_on(&self.mawb) {
            tracing::warn!(mawb = %self.mawb, "cannot record that manifest {manifest_id} was sent on: {e}");
        }
        Stop::Refused(format!(
            "manifest {manifest_id} was already sent on by ACP; a sent manifest is final and changes cannot be \
             applied ({}). Put the folder back as it was sent (it then reads as unchanged), or settle the \
             change with ACP directly",
            if self.changes.is_empty() { "the manifest's legs or options differ".to_string() } else { self.changes.clone() }
        ))
    }

    /// Whether a conflict on a create of `command` (about `object`, when the request's detail names it) can
    /// be this ledger's own earlier create: the last request was retried (its first attempt may have
    /// reached ACP), or the ledger recorded sending an earlier create of that command for this MAWB (an
    /// answer lost, or a process killed before it stored what the answer said). Otherwise the object at
    /// ACP was not sent by this ledger.
    fn own_lost_answer(&self, command: Command, object: Option<&str>) -> Result<bool, Stop> {
        let (current, attempts) = self.last_request;
        if attempts > 1 {
            return Ok(true);
        }
        Ok(self.ctx.ledger.requests(Some(&self.mawb))?.iter().any(|r| {
            r.id != current
                && r.command == command.as_str()
                && object.is_none_or(|o| r.detail.contains(o))
        }))
    }

    /// Whether an object ACP holds under this folder's ids (it matches what would be sent) may be taken
    /// over: it is this ledger's own lost answer, or the operator said `--adopt`. Otherwise the MAWB stops
    /// and the object is left as it is.
    fn may_adopt(&self, command: Command, object: Option<&str>, what: &str) -> Result<(), Stop> {
        if self.ctx.plan.adopt || self.own_lost_answer(command, object)? {
            return Ok(());
        }
        Err(Stop::Refused(format!(
            "{what} is already at ACP, and this ledger ({}) never sent it: mawb leaves objects it did not send untouched. \
             If it is this folder's (the ledger is new or was moved), run again with --adopt to take it over; otherwise \
             remove it at ACP first",
            self.ctx.ledger.describe()
        )))
    }

    fn seal(&mut self) -> Result<(), String> {
        let rows = self
            .ctx
            .ledger
            .labels(&self.mawb)
            .map_err(|e| e.to_string())?;
        let sealed = self
            .ctx
            .archive
            .seal(&self.mawb, &rows)
            .map_err(|e| e.to_string())?;
        self.out.archive = sealed.map(|p| p.display().to_string());
        Ok(())
    }

    fn go(&mut self) -> Result<(), Stop> {
        let ledger = self.ctx.ledger;
        let checked = self.checked;
        let m = &checked.mawb;
        let config = m
            .config
            .clone()
            .ok_or_else(|| Stop::Local("no mawb.toml".into()))?;
        let n = m.items.len();
        let envelope = plan::mailing_envelope();
        let (frags, fps): (Vec<Vec<u8>>, Vec<String>) = {
            use rayon::prelude::*;
            (0..n).into_par_iter().map(|i| item_xml(m, i)).unzip()
        };
        let sizes: Vec<usize> = frags
            .iter()
            .map(|f| f.len().saturating_sub(envelope))
            .collect();
        let content_fp = self.content_fingerprint(&fps);
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
                "{} label(s) are not in the archive and manifest {} was sent on, so they cannot be created                  again: print them from ACP ({})",
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
        let was_uploaded = row.manifest_id.is_some();

        // What ACP holds (per the ledger) against what the folder holds now.
        let held = ledger.items(&self.mawb)?;
        let current: HashMap<String, usize> = (0..n).map(|i| (item_key(m, i), i)).collect();
        let mut to_cancel: Vec<String> = held
            .iter()
            .filter(|(k, r)| {
                lacking.items.contains(*k)
                    || current.get(*k).is_none_or(|&i| fps[i] != r.fingerprint)
            })
            .map(|(k, _)| k.clone())
            .collect();
        to_cancel.sort();
        let changed_keys: HashSet<&str> = to_cancel.iter().map(String::as_str).collect();
        let mut to_create: Vec<usize> = (0..n)
            .filter(|&i| {
                let key = item_key(m, i);
                lacking.items.contains(&key)
                    || held.get(&key).is_none_or(|r| r.fingerprint != fps[i])
            })
            .collect();
        to_create.sort_unstable();
        self.changes = describe_changes(&to_cancel, &to_create, m, &current, &held);
        if row.sent_on {
            // Nothing is sent for a MAWB whose manifest is final.
            return Err(self.sent_on(row.manifest_id.as_deref().unwrap_or("?")));
        }

        let bag_fp = |b: usize| -> String {
            let mut members: Vec<(String, &str)> = m.bags[b]
                .items
                .iter()
                .map(|&i| (item_key(m, i), fps[i].as_str()))
                .collect();
            members.sort();
            let mut h = Sha256::new();
            for (k, f) in members {
                h.update(k.as_bytes());
                h.update(b"\0");
                h.update(f.as_bytes());
                h.update(b"\n");
            }
            hex(&h.finalize())
        };
        let held_bags = ledger.bags(&self.mawb)?;
        let current_bags: HashMap<String, (usize, String)> = (0..m.bags.len())
            .map(|b| {
                (
                    plan::shipper_bag_id(&config.manifest_number, &m.bags[b].shipper_bag_id),
                    (b, bag_fp(b)),
                )
            })
            .collect();
        let mut bags_to_cancel: Vec<BagRow> = held_bags
            .values()
            .filter(|r| {
                lacking.bags.contains(&r.shipper_bag_id)
                    || current_bags.get(&r.shipper_bag_id).is_none_or(|(b, f)| {
                        *f != r.fingerprint
                            || m.bags[*b]
                                .items
                                .iter()
                                .any(|&i| lacking.items.contains(&item_key(m, i)))
                    })
            })
            .cloned()
            .collect();
        bags_to_cancel.sort_by(|a, b| a.shipper_bag_id.cmp(&b.shipper_bag_id));
        let loose_changed = m.loose_items().any(|i| to_create.binary_search(&i).is_ok())
            || to_cancel
                .iter()
                .any(|k| current.get(k).is_none_or(|&i| m.items[i].bag.is_none()));
        let bags_to_create = current_bags
            .iter()
            .any(|(sid, (_, fp))| held_bags.get(sid).is_none_or(|r| &r.fingerprint != fp));
        let day_affected = row.day_id.is_some()
            && (lacking.day
                || !bags_to_cancel.is_empty()
                || bags_to_create
                || loose_changed
                || !config.create_day);
        let anything_to_cancel =
            !to_cancel.is_empty() || !bags_to_cancel.is_empty() || day_affected;
        let mut day_revision = row.day_revision.max(1);
        let mut day_id = row.day_id.clone();

        // 1. Detach what must be cancelled from the manifest: modifyManifest with the units that stay.
        if let (Some(mid), true) = (row.manifest_id.clone(), anything_to_cancel) {
            let mut ids = self.known_ids()?;
            let surviving: Vec<String> = {
                let cancelled_bags: HashSet<&str> =
                    bags_to_cancel.iter().map(|b| b.bag_id.as_str()).collect();
                let mut u: Vec<String> = held_bags
                    .values()
                    .filter(|b| !cancelled_bags.contains(b.bag_id.as_str()))
                    .map(|b| b.bag_id.clone())
                    .collect();
                u.sort();
                for i in m.loose_items() {
                    let k = item_key(m, i);
                    if held.contains_key(&k) && !changed_keys.contains(k.as_str()) {
                        if let Some(t) = plan::tracking_of(m, i, &ids) {
                            u.push(t.to_string());
                        }
                    }
                }
                u
            };
            ids.day_id = None;
            if day_affected || surviving.is_empty() {
                // Every unit stays inside the day (or none survives): no modifyManifest can detach them,
                // so the manifest is cancelled and created anew after the changes.
                tracing::info!(mawb = %self.mawb, "changed since its upload: its day must be rebuilt, so manifest {mid} is cancelled and created again");
                let a = self.send(
                    &mid,
                    &self.params(),
                    &Request::CancelManifest(wire::ManifestRef {
                        manifest_id: Some(mid.clone()),
                        user_manifest_id: None,
                    }),
                )?;
                let st = match &a {
                    Answer::Manifest(r) => r.status.clone(),
                    _ => Status::error(ErrorType::Other("unexpected".into()), "unexpected answer"),
                };
                if is_sent_on(&st) {
                    return Err(self.sent_on(&mid));
                }
                if !st.ok && st.error_type != Some(ErrorType::NotFound) {
                    return Err(Stop::Refused(format!(
                        "cancelManifest {mid} (needed to apply the change): {}",
                        describe(&st)
                    )));
                }
                ledger.clear_manifest(&self.mawb)?;
                self.out.manifest_replaced = Some(mid.clone());
            } else {
                tracing::info!(mawb = %self.mawb, "changed since its upload: detaching {} unit(s) before cancelling", surviving.len());
                self.modify_with_units(&mid, &ids, day_revision, surviving)?;
            }
        }

        // 2. Cancel top-down: the day, the bags, the items.
        if let (Some(d), true) = (day_id.clone(), day_affected) {
            let a = self.send(
                "day",
                &self.params(),
                &Request::CancelDay(wire::DayRef {
                    day_id: Some(d.clone()),
                    shipper_day_id: None,
                }),
            )?;
            let st = match &a {
                Answer::Day(r) => r.status.clone(),
                _ => Status::error(ErrorType::Other("unexpected".into()), "unexpected answer"),
            };
            if !st.ok && st.error_type != Some(ErrorType::NotFound) {
                return Err(Stop::Refused(format!("cancelDay {d}: {}", describe(&st))));
            }
            day_id = None;
            day_revision += 1;
            ledger.set_day(&self.mawb, None, day_revision)?;
        }
        for b in &bags_to_cancel {
            let a = self.send(
                &b.shipper_bag_id,
                &self.params(),
                &Request::CancelBag(wire::BagRef {
                    bag_id: Some(b.bag_id.clone()),
                    shipper_bag_id: None,
                }),
            )?;
            let st = match &a {
                Answer::Bag(r) => r.status.clone(),
                _ => Status::error(ErrorType::Other("unexpected".into()), "unexpected answer"),
            };
            if !st.ok && st.error_type != Some(ErrorType::NotFound) {
                return Err(Stop::Refused(format!(
                    "cancelBag {}: {}",
                    b.shipper_bag_id,
                    describe(&st)
                )));
            }
            ledger.remove_bag(&self.mawb, &b.shipper_bag_id)?;
        }
        for chunk in to_cancel.chunks(self.ctx.plan.batch_items.max(1)) {
            let refs: Vec<(String, Option<String>, Option<String>)> = chunk
                .iter()
                .map(|k| {
                    let r = &held[k];
                    (
                        k.clone(),
                        r.tracking_number.clone(),
                        r.shipper_item_id.clone(),
                    )
                })
                .collect();
            self.out.items_cancelled += self.cancel_items(&refs).map_err(Stop::Refused)?;
        }

        // 3. Register items: label=0 batches for known tracking numbers, one call per labelled item.
        let (with_tn, labelled): (Vec<usize>, Vec<usize>) = to_create
            .iter()
            .partition(|&&i| m.items[i].tracking_number.is_some());
        let batches = plan::batches_by_size(&with_tn, &sizes, &self.ctx.plan);
        let nb = batches.len();
        for (k, batch) in batches.iter().enumerate() {
            let data = batch_data(&frags, batch);
            let a = self.send_data(
                Command::CreateMailing,
                &format!("batch {}/{} ({} items)", k + 1, nb, batch.len()),
                &plan::mailing_params(m, false, &self.ctx.plan),
                Some(&data),
            )?;
            self.take_mailing_answer(batch, a, &fps, None, false)?;
            (self.ctx.on_items)(batch.len());
        }
        for &i in &labelled {
            let req = plan::mailing_request(m, &[i]);
            let sid = m.items[i].shipper_item_id.clone().unwrap_or_default();
            let params = plan::mailing_params(m, true, &self.ctx.plan);
            let a = self.send(&format!("label {} for {sid}", config.label), &params, &req)?;
            let taken = self.take_mailing_answer(&[i], a, &fps, Some(&sid), true)?;
            let why = if taken.adopted > 0 && !taken.own_adoption {
                // Taken over with --adopt: ACP had the item before this ledger, with a label mawb never
                // received. It is not cancelled to get one (mawb never cancels what it did not send).
                tracing::warn!(mawb = %self.mawb, "item {sid}: adopted; its label was issued before this ledger and is not in the archive: print it from ACP");
                None
            } else if taken.adopted > 0 {
                Some("its label was lost with an earlier answer".to_string())
            } else {
                taken.lacking.first().cloned()
            };
            if let Some(why) = why {
                // The label can only be had again by cancelling the unbagged item and creating it once
                // more, as ACP advises; once, then the run says which labels are missing.
                tracing::warn!(mawb = %self.mawb, "item {sid}: {why}; cancelling and creating it again to get the label");
                self.cancel_items(&[(
                    item_key(m, i),
                    taken.tracking_number.clone(),
                    Some(sid.clone()),
                )])
                .map_err(|e| {
                    Stop::Refused(format!(
                        "item {sid}: {why}, and it could not be cancelled to get a new one: {e}"
                    ))
                })?;
                let a = self.send(
                    &format!("label {} for {sid} (again)", config.label),
                    &params,
                    &req,
                )?;
                let again = self.take_mailing_answer(&[i], a, &fps, Some(&sid), true)?;
                if again.adopted > 0 {
                    return Err(Stop::Refused(format!(
                        "item {sid}: ACP still holds it after the cancel; its label is lost"
                    )));
                }
                if let Some(why) = again.lacking.first() {
                    self.lacks_label(format!(
                        "item {sid} (tracking {}): {why}",
                        again.tracking_number.as_deref().unwrap_or("?")
                    ));
                }
            }
            (self.ctx.on_items)(1);
        }
        if !self.out.labels_missing.is_empty() {
            return Err(stop_for_missing(
                &self.out.labels_missing,
                "Nothing more of this MAWB (bags, day, manifest)",
            ));
        }

        // 4. Bags.
        let ids = self.known_ids()?;
        let held_bags = ledger.bags(&self.mawb)?;
        for b in 0..m.bags.len() {
            let sid = plan::shipper_bag_id(&config.manifest_number, &m.bags[b].shipper_bag_id);
            let fp = &current_bags[&sid].1;
            if held_bags.get(&sid).is_some_and(|r| &r.fingerprint == fp) {
                continue;
            }
            let a = self.send(
                &sid,
                &plan::bag_params(m, &self.ctx.plan),
                &plan::bag_request(m, b, &ids),
            )?;
            let Answer::Bag(r) = a else {
                return Err(Stop::Refused(format!("createBag {sid}: unexpected answer")));
            };
            let (bag_id, label_wanted) = if r.status.ok {
                (r.bag_id.clone(), config.bag_labels)
            } else if r.status.error_type == Some(ErrorType::Conflict)
                && r.conflict
                    .as_ref()
                    .is_some_and(|c| c.shipper_bag_id.as_deref() == Some(sid.as_str()))
            {
                self.may_adopt(Command::CreateBag, Some(&sid), &format!("bag {sid}"))?;
                tracing::info!(mawb = %self.mawb, "createBag {sid}: already at ACP (an earlier answer was lost); adopted");
                let own =
                    config.bag_labels && self.own_lost_answer(Command::CreateBag, Some(&sid))?;
                (r.conflict.as_ref().and_then(|c| c.bag_id.clone()), own)
            } else {
                return Err(Stop::Refused(format!(
                    "createBag {sid}: {}",
                    describe(&r.status)
                )));
            };
            if let Some(bad) = r.items.first() {
                return Err(Stop::Refused(format!(
                    "createBag {sid}: item {} could not be bagged: {}",
                    bad.tracking_number
                        .clone()
                        .or(bad.shipper_item_id.clone())
                        .unwrap_or_default(),
                    describe(&bad.status)
                )));
            }
            let bag_id = bag_id
                .ok_or_else(|| Stop::Refused(format!("createBag {sid}: ACP returned no bagId")))?;
            believe::plausible_id("bagId", &bag_id)
                .map_err(|why| Stop::Refused(format!("createBag {sid}: {why}")))?;
            if r.status.ok {
                believe::says_ok(&r.status)
                    .then_some(())
                    .ok_or_else(|| {
                        Stop::Refused(format!(
                            "createBag {sid}: ACP's answer says ok and an error type at once ({}); nothing is recorded",
                            describe(&r.status)
                        ))
                    })?;
                believe::same_as_sent("shipperBagId", Some(&sid), r.shipper_bag_id.as_deref())
                    .map_err(|why| Stop::Refused(format!("createBag {sid}: {why}")))?;
            }
            let kept = self.keep_label(Entity::Bag, &bag_id, label_wanted, r.label.as_ref());
            if let Some(why) = &kept.lacking {
                self.lacks_label(format!("bag {sid} (bagId {bag_id}): {why}"));
            }
            let (label_rows, archive_trouble) = (kept.rows, kept.archive_trouble);
            ledger.put_bag_with_label(
                &self.mawb,
                &BagRow {
                    shipper_bag_id: sid.clone(),
                    bag_id,
                    fingerprint: fp.clone(),
                    label_wanted,
                },
                &label_rows,
            )?;
            self.note_labels(label_rows.len(), Vec::new());
            self.out.bags_created += 1;
            if let Some(e) = archive_trouble {
                return Err(Stop::Local(format!(
                    "bag {sid} is at ACP but its label could not be kept: {e}. Make the archive writable (or \
                     free space) and run again: the next run gets the label again"
                )));
            }
        }
        if !self.out.labels_missing.is_empty() {
            return Err(stop_for_missing(
                &self.out.labels_missing,
                "The day and the manifest",
            ));
        }

        // 5. The day, after confirming with getInfo that ACP holds every unit it will group.
        let mut ids = self.known_ids()?;
        if config.create_day && day_id.is_none() {
            // After a createDay whose answer was lost, ACP no longer lists the units as new: send the
            // same createDay again (its conflict is adopted) instead of confirming.
            if ledger.has_unanswered(&self.mawb, Command::CreateDay.as_str())? {
                tracing::info!(mawb = %self.mawb, "an earlier createDay may have reached ACP; repeating it");
            } else if self.ctx.plan.adopt {
                // Taking over: the units may already be grouped in this MAWB's day at ACP; createDay's
                // conflict says so.
            } else {
                self.confirm_new_units(&ids)?;
            }
            let req = plan::day_request(m, &ids, day_revision);
            let shipper_day = plan::shipper_day_id(&config.manifest_number, day_revision);
            let a = self.send(&shipper_day, &plan::day_params(m, &self.ctx.plan), &req)?;
            let Answer::Day(r) = a else {
                return Err(Stop::Refused("createDay: unexpected answer".into()));
            };
            let (id, label_wanted) = if r.status.ok {
                (r.day_id.clone(), config.day_label)
            } else if r.status.error_type == Some(ErrorType::Conflict)
                && r.conflict
                    .as_ref()
                    .is_some_and(|c| c.shipper_day_id.as_deref() == Some(shipper_day.as_str()))
            {
                self.may_adopt(
                    Command::CreateDay,
                    Some(&shipper_day),
                    &format!("day {shipper_day}"),
                )?;
                tracing::info!(mawb = %self.mawb, "createDay {shipper_day}: already at ACP; adopted");
                let own = config.day_label
                    && self.own_lost_answer(Command::CreateDay, Some(&shipper_day))?;
                (r.conflict.as_ref().and_then(|c| c.day_id.clone()), own)
            } else {
                return Err(Stop::Refused(format!(
                    "createDay {shipper_day}: {}",
                    describe(&r.status)
                )));
            };
            if let Some(bad) = r
                .bags
                .iter()
                .find(|b| !b.status.ok && b.status.error_type.is_some())
            {
                return Err(Stop::Refused(format!(
                    "createDay: bag {} was not grouped: {}",
                    bad.bag_id
                        .clone()
                        .or(bad.shipper_bag_id.clone())
                        .unwrap_or_default(),
                    describe(&bad.status)
                )));
            }
            if let Some(bad) = r
                .items
                .iter()
                .find(|i| !i.status.ok && i.status.error_type.is_some())
            {
                return Err(Stop::Refused(format!(
                    "createDay: item {} was not grouped: {}",
                    bad.tracking_number.clone().unwrap_or_default(),
                    describe(&bad.status)
                )));
            }
            let id = id.ok_or_else(|| Stop::Refused("createDay: ACP returned no dayId".into()))?;
            believe::plausible_id("dayId", &id)
                .map_err(|why| Stop::Refused(format!("createDay {shipper_day}: {why}")))?;
            if r.status.ok && !believe::says_ok(&r.status) {
                return Err(Stop::Refused(format!(
                    "createDay {shipper_day}: ACP's answer says ok and an error type at once ({}); nothing is recorded",
                    describe(&r.status)
                )));
            }
            let kept = self.keep_label(Entity::Day, &id, label_wanted, r.label.as_ref());
            if let Some(why) = &kept.lacking {
                self.lacks_label(format!("day {id}: {why}"));
            }
            let (mut label_rows, mut archive_trouble) = (kept.rows, kept.archive_trouble);
            // The day's answer repeats the bag labels createBag gave: kept when good, else the bag's own.
            for b in &r.bags {
                if let (Some(l), Some(bid)) = (&b.label, &b.bag_id) {
                    match self.stage_label(Entity::Bag, bid, Some(l)) {
                        Ok(staged) => label_rows.extend(staged),
                        Err(LabelTrouble::Bad(why)) => {
                            tracing::warn!(mawb = %self.mawb, "bag {bid}: the label in the day's answer was not kept: {why}");
                        }
                        Err(LabelTrouble::Archive(e)) => archive_trouble = Some(e),
                    }
                }
            }
            ledger.put_day_with_label(&self.mawb, &id, day_revision, label_wanted, &label_rows)?;
            self.note_labels(label_rows.len(), Vec::new());
            if let Some(e) = archive_trouble {
                return Err(Stop::Local(format!(
                    "day {id} is at ACP but its labels could not be kept: {e}. Make the archive writable (or \
                     free space) and run again: the next run gets the label again"
                )));
            }
            if !self.out.labels_missing.is_empty() {
                return Err(stop_for_missing(&self.out.labels_missing, "The manifest"));
            }
            day_id = Some(id);
        } else if !config.create_day && row.manifest_id.is_none() && !self.ctx.plan.adopt {
            self.confirm_new_units(&ids)?;
        }
        ids.day_id = day_id.clone();
        self.out.day_id = day_id.clone();

        // 6. The manifest: create, or modify when it was uploaded before and its payload changed.
        let current_row = ledger
            .mawb(&self.mawb)?
            .ok_or_else(|| Stop::Local("ledger row vanished".into()))?;
        let manifest_id = current_row.manifest_id.clone();
        let (req, breakdown) = plan::manifest_request(
            self.checked,
            &ids,
            day_revision,
            manifest_id.clone(),
            &self.ctx.plan,
        )
        .map_err(|e| Stop::Local(e.to_string()))?;
        let mut data = Vec::with_capacity(breakdown.total);
        write_request_to_vec(&req, &mut data)
            .map_err(|e| Stop::Local(format!("cannot write the manifest: {e}")))?;
        let manifest_fp = hex(&Sha256::digest(&data));
        let mut adopted = false;
        let manifest_id = match manifest_id {
            Some(mid)
                if current_row.manifest_fingerprint.as_deref() == Some(manifest_fp.as_str()) =>
            {
                mid
            }
            Some(mid) => {
                tracing::info!(mawb = %self.mawb, "modifyManifest {mid} ({} bytes)", data.len());
                let a =
                    self.send_data(Command::ModifyManifest, &mid, &self.params(), Some(&data))?;
                self.take_manifest_answer(a, Command::ModifyManifest)?;
                ledger.set_manifest(&self.mawb, &mid, Some(&manifest_fp))?;
                mid
            }
            None => {
                tracing::info!(mawb = %self.mawb, "createManifest ({} bytes: {breakdown})", data.len());
                let a = self.send_data(
                    Command::CreateManifest,
                    config.user_manifest_id(),
                    &self.params(),
                    Some(&data),
                )?;
                let (mid, was_adopted) = self.take_manifest_answer(a, Command::CreateManifest)?;
                // An adopted manifest may hold an older payload: reconcile says, and a modify fixes it.
                adopted = was_adopted;
                ledger.set_manifest(&self.mawb, &mid, Some(&manifest_fp))?;
                mid
            }
        };
        self.out.manifest_id = Some(manifest_id.clone());
        if was_uploaded {
            self.out.status = RunStatus::Modified;
        }

        // 7. Reconcile ACP's counts with ours.
        let mut rec = self.reconcile(&manifest_id, config.create_day)?;
        if !rec.ok && adopted {
            tracing::warn!(mawb = %self.mawb, "the adopted manifest differs ({}); sending modifyManifest", rec.differences.join("; "));
            let mut req2 = req;
            if let Request::CreateManifest(mm) = req2 {
                let mut mm = mm;
                mm.manifest_id = Some(manifest_id.clone());
                req2 = Request::ModifyManifest(mm);
            }
            let a = self.send(&manifest_id, &self.params(), &req2)?;
            self.take_manifest_answer(a, Command::ModifyManifest)?;
            ledger.set_manifest(&self.mawb, &manifest_id, Some(&manifest_fp))?;
            rec = self.reconcile(&manifest_id, config.create_day)?;
        }
        let ok = rec.ok;
        let diffs = rec.differences.join("; ");
        self.out.reconciliation = Some(rec);
        if !ok {
            return Err(Stop::Refused(format!(
                "ACP's counts do not match ours: {diffs}"
            )));
        }
        ledger.set_done(&self.mawb, &content_fp)?;
        tracing::info!(mawb = %self.mawb, "done: manifest {manifest_id}, {} request(s)", self.out.requests_sent);
        Ok(())
    }

    /// Cancels items (key, tracking number, shipperItemId) in one cancelMailing; an item ACP no longer
    /// holds (`notFound`) is as good as cancelled. The ledger forgets each one ACP confirms gone (its label
    /// becomes void); returns how many. `Err` names the first item ACP would not cancel.
    fn cancel_items(
        &mut self,
        items: &[(String, Option<String>, Option<String>)],
    ) -> Result<usize, String> {
        let refs: Vec<wire::ItemRef> = items
            .iter()
            .map(|(_, tn, sid)| convert::item_ref(tn.as_deref(), sid.as_deref()))
            .collect();
        let a = self
            .send(
                &format!("{} item(s)", items.len()),
                &self.params(),
                &Request::CancelMailing(refs),
            )
            .map_err(|e| e.to_string())?;
        let Answer::Mailing(results) = a else {
            return Err("cancelMailing: unexpected answer".into());
        };
        if results.len() != items.len() {
            return Err(format!(
                "cancelMailing: ACP answered {} item(s) for {} sent",
                results.len(),
                items.len()
            ));
        }
        let mut gone = Vec::new();
        let mut refused = None;
        for ((k, _, _), r) in items.iter().zip(&results) {
            if r.status.ok || r.status.error_type == Some(ErrorType::NotFound) {
                gone.push(k.clone());
            } else {
                refused
                    .get_or_insert_with(|| format!("cancelMailing {k}: {}", describe(&r.status)));
            }
        }
        self.ctx
            .ledger
            .remove_items(&self.mawb, &gone)
            .map_err(|e| e.to_string())?;
        match refused {
            Some(why) => Err(why),
            None => Ok(gone.len()),
        }
    }

    fn params(&self) -> Params {
        Params {
            test_mode: self.ctx.plan.test_mode,
            ..Default::default()
        }
    }

    /// A hash of everything the MAWB's upload depends on: items, bags, mawb.toml, the scan.
    fn content_fingerprint(&self, fps: &[String]) -> String {
        let m = &self.checked.mawb;
        let mut h = Sha256::new();
        let mut sorted: Vec<(String, &str)> = (0..m.items.len())
            .map(|i| (item_key(m, i), fps[i].as_str()))
            .collect();
        sorted.sort();
        for (k, f) in sorted {
            h.update(k.as_bytes());
            h.update(f.as_bytes());
        }
        for b in &m.bags {
            h.update(b.shipper_bag_id.as_bytes());
            for &i in &b.items {
                h.update(item_key(m, i).as_bytes());
            }
        }
        h.update(format!("{:?}", m.config).as_bytes());
        if let Some(img) = &m.image {
            if let Ok(bytes) = std::fs::read(&img.path) {
                h.update(&bytes);
            }
        }
        hex(&h.finalize())
    }

    fn known_ids(&self) -> Result<KnownIds, Stop> {
        let ledger = self.ctx.ledger;
        let items = ledger.items(&self.mawb)?;
        let bags = ledger.bags(&self.mawb)?;
        let row = ledger.mawb(&self.mawb)?;
        Ok(KnownIds {
            tracking: items
                .values()
                .filter_map(|r| Some((r.shipper_item_id.clone()?, r.tracking_number.clone()?)))
                .collect(),
            bag_ids: bags
                .into_values()
                .map(|b| (b.shipper_bag_id, b.bag_id))
                .collect(),
            day_id: row.and_then(|r| r.day_id),
        })
    }

    /// Reads a createMailing answer for `batch` (items sent about `object`, when one item is named in the
    /// request's detail; `labelled` when the request asked for labels). Created and adopted items go to the
    /// ledger together with their staged labels, in one transaction; anything else stops.
    fn take_mailing_answer(
        &mut self,
        batch: &[usize],
        a: Answer,
        fps: &[String],
        object: Option<&str>,
        labelled: bool,
    ) -> Result<MailingTaken, Stop> {
        let Answer::Mailing(results) = a else {
            return Err(Stop::Refused("createMailing: unexpected answer".into()));
        };
        if results.len() != batch.len() {
            return Err(Stop::Refused(format!(
                "createMailing: ACP answered {} item(s) for {} sent",
                results.len(),
                batch.len()
            )));
        }
        let checked = self.checked;
        let m = &checked.mawb;
        let mut rows = Vec::with_capacity(batch.len());
        let mut label_rows = Vec::new();
        let mut failures = Vec::new();
        let mut taken = MailingTaken::default();
        let mut created = 0;
        let mut archive_trouble = None;
        // Whether matching items ACP already holds may be taken over (asked once, at the first conflict).
        let mut adoptable: Option<Result<(), String>> = None;
        for (&i, r) in batch.iter().zip(&results) {
            let key = item_key(m, i);
            let item = &m.items[i];
            let matching_conflict = r.status.error_type == Some(ErrorType::Conflict)
                && r.conflict
                    .as_ref()
                    .is_some_and(|c| same_item(&convert::mail_item(item), c));
            if matching_conflict && !r.status.ok {
                let may = match &adoptable {
                    Some(may) => may.clone(),
                    None => {
                        let may = match self.may_adopt(Command::CreateMailing, object, "the item") {
                            Ok(()) => Ok(()),
                            Err(Stop::Refused(why)) => Err(why),
                            Err(other) => return Err(other),
                        };
                        adoptable = Some(may.clone());
                        may
                    }
                };
                if let Err(why) = may {
                    failures.push(format!("item {key}: {why}"));
                    continue;
                }
            }
            let (tn, label_wanted) = if r.status.ok {
                if let Err(why) = believe_item(item, r, labelled) {
                    failures.push(format!("item {key}: {why}; nothing is recorded for it"));
                    continue;
                }
                created += 1;
                let tn = r.tracking_number.clone().or(item.tracking_number.clone());
                let label_id = tn.clone().unwrap_or_else(|| key.clone());
                let kept = self.keep_label(Entity::Item, &label_id, labelled, r.label.as_ref());
                label_rows.extend(kept.rows);
                taken.lacking.extend(kept.lacking);
                if let Some(e) = kept.archive_trouble {
                    archive_trouble.get_or_insert((key.clone(), e));
                }
                (tn, labelled)
            } else if matching_conflict {
                let tn = r
                    .conflict
                    .as_ref()
                    .and_then(|c| c.tracking_number.clone())
                    .or(item.tracking_number.clone());
                if let Some(Err(why)) = tn
                    .as_deref()
                    .map(|t| believe::plausible_id("tracking number", t))
                {
                    failures.push(format!("item {key}: {why}; nothing is recorded for it"));
                    continue;
                }
                taken.adopted += 1;
                // A label request this ledger sent before (its answer lost) still wants its label; an
                // item taken over with --adopt was labelled by someone else.
                let own = labelled && self.own_lost_answer(Command::CreateMailing, object)?;
                taken.own_adoption = own;
                (tn, own)
            } else {
                let what = match (&r.status.error_type, &r.conflict) {
                    (Some(ErrorType::Conflict), Some(c)) => format!(
                        "conflict: ACP already holds a different item with this id (tracking {}, shipperItemId {}, created {})",
                        c.tracking_number.as_deref().unwrap_or("?"),
                        c.shipper_item_id.as_deref().unwrap_or("?"),
                        c.creation_date.as_deref().unwrap_or("?")
                    ),
                    _ => describe(&r.status),
                };
                failures.push(format!("item {key}: {what}"));
                continue;
            };
            taken.tracking_number = tn.clone();
            rows.push(ItemRow {
                key,
                tracking_number: tn,
                shipper_item_id: item.shipper_item_id.clone(),
                fingerprint: fps[i].clone(),
                label_wanted,
            });
        }
        let replaced = self
            .ctx
            .ledger
            .put_items_with_labels(&self.mawb, &rows, &label_rows)?;
        self.note_labels(label_rows.len(), replaced);
        self.out.items_created += created;
        self.out.items_adopted += taken.adopted;
        if let Some((key, e)) = archive_trouble {
            return Err(Stop::Local(format!(
                "item {key} is at ACP but its label could not be kept: {e}. Make the archive writable (or free \
                 space) and run again: the next run gets the label again"
            )));
        }
        if !failures.is_empty() {
            let n = failures.len();
            failures.truncate(5);
            return Err(Stop::Refused(format!(
                "createMailing: {n} item(s) refused: {}",
                failures.join("; ")
            )));
        }
        Ok(taken)
    }

    /// Reads a create/modifyManifest answer; returns the manifest id and whether it was adopted.
    fn take_manifest_answer(
        &mut self,
        a: Answer,
        command: Command,
    ) -> Result<(String, bool), Stop> {
        let Answer::Manifest(r) = a else {
            return Err(Stop::Refused(format!("{command}: unexpected answer")));
        };
        let config = self.checked.mawb.config.clone().unwrap_or_default();
        if command == Command::ModifyManifest && is_sent_on(&r.status) {
            return Err(self.sent_on(
                r.manifest_id
                    .as_deref()
                    .or(self.out.manifest_id.as_deref())
                    .unwrap_or("?"),
            ));
        }
        let (id, adopted) = if r.status.ok {
            (r.manifest_id.clone(), false)
        } else if command == Command::CreateManifest
            && r.status.error_type == Some(ErrorType::Conflict)
            && r.conflict.as_ref().is_some_and(|c| {
                c.user_manifest_id.as_deref() == Some(config.user_manifest_id())
                    && c.manifest_number
                        .as_deref()
                        .is_none_or(|n| n == config.manifest_number)
            })
        {
            self.may_adopt(
                Command::CreateManifest,
                None,
                &format!("manifest {}", config.user_manifest_id()),
            )?;
            tracing::info!(mawb = %self.mawb, "createManifest: already at ACP (an earlier answer was lost); adopted");
            (
                r.conflict.as_ref().and_then(|c| c.manifest_id.clone()),
                true,
            )
        } else {
            return Err(Stop::Refused(format!("{command}: {}", describe(&r.status))));
        };
        if let Some(u) = r.units.first() {
            return Err(Stop::Refused(format!(
                "{command}: {} unit(s) not included, e.g. {} {}: {}",
                r.units.len(),
                u.unit_type.as_deref().unwrap_or("unit"),
                u.unit_id.as_deref().unwrap_or("?"),
                u.error
                    .clone()
                    .or(u.error_type.as_ref().map(|e| e.as_str().to_string()))
                    .unwrap_or_default()
            )));
        }
        if !adopted && !believe::says_ok(&r.status) {
            return Err(Stop::Refused(format!(
                "{command}: ACP's answer says ok and an error type at once ({}); nothing is recorded",
                describe(&r.status)
            )));
        }
        let id =
            id.ok_or_else(|| Stop::Refused(format!("{command}: ACP returned no manifestId")))?;
        believe::plausible_id("manifestId", &id)
            .map_err(|why| Stop::Refused(format!("{command}: {why}")))?;
        if !adopted {
            believe::same_as_sent(
                "userManifestId",
                Some(config.user_manifest_id()),
                r.user_manifest_id.as_deref(),
            )
            .map_err(|why| Stop::Refused(format!("{command}: {why}")))?;
        }
        Ok((id, adopted))
    }

    /// modifyManifest with an explicit unit list (used to detach units before cancelling them).
    fn modify_with_units(
        &mut self,
        mid: &str,
        ids: &KnownIds,
        rev: u32,
        units: Vec<String>,
    ) -> Result<(), Stop> {
        let (req, _) = plan::manifest_request(
            self.checked,
            ids,
            rev,
            Some(mid.to_string()),
            &self.ctx.plan,
        )
        .map_err(|e| Stop::Local(e.to_string()))?;
        let Request::ModifyManifest(mut mm) = req else {
            return Err(Stop::Local("expected a modifyManifest".into()));
        };
        for p in &mut mm.parts {
            p.units = units.clone();
        }
        let a = self.send(mid, &self.params(), &Request::ModifyManifest(mm))?;
        self.take_manifest_answer(a, Command::ModifyManifest)?;
        self.ctx.ledger.set_manifest(&self.mawb, mid, None)?;
        Ok(())
    }

    /// getInfo: every bag and loose item of the MAWB must be at ACP, new and ungrouped, before it is
    /// grouped or manifested.
    fn confirm_new_units(&mut self, ids: &KnownIds) -> Result<(), Stop> {
        let params = self.params();
        let a = self.send_data_with(
            Command::GetInfo,
            "confirm units",
            &params,
            None,
            parse_answer_counts,
        )?;
        let Answer::Info(info) = a else {
            return Err(Stop::Refused("getInfo: unexpected answer".into()));
        };
        if !info.status.ok {
            return Err(Stop::Refused(format!(
                "getInfo: {}",
                describe(&info.status)
            )));
        }
        let bags: HashSet<&str> = info
            .bags
            .iter()
            .filter_map(|b| b.bag_id.as_deref())
            .collect();
        let items: HashSet<&str> = info
            .items
            .iter()
            .filter_map(|i| i.tracking_number.as_deref())
            .collect();
        let checked = self.checked;
        let m = &checked.mawb;
        let mut missing = Vec::new();
        for id in ids.bag_ids.values() {
            if !bags.contains(id.as_str()) {
                missing.push(format!("bag {id}"));
            }
        }
        for i in m.loose_items() {
            match plan::tracking_of(m, i, ids) {
                Some(t) if items.contains(t) => {}
                Some(t) => missing.push(format!("item {t}")),
                None => missing.push(format!("item {}", item_key(m, i))),
            }
        }
        if !missing.is_empty() {
            let n = missing.len();
            missing.truncate(5);
            return Err(Stop::Refused(format!(
                "getInfo: ACP does not list {n} unit(s) of this MAWB as new ({}); they may be grouped or cancelled elsewhere",
                missing.join(", ")
            )));
        }
        Ok(())
    }

    fn reconcile(&mut self, manifest_id: &str, with_day: bool) -> Result<Reconciliation, Stop> {
        let a = self.send_for_counts(manifest_id)?;
        let Answer::Manifest(r) = a else {
            return Err(Stop::Refused("getManifest: unexpected answer".into()));
        };
        if !r.status.ok {
            return Err(Stop::Refused(format!(
                "getManifest {manifest_id}: {}",
                describe(&r.status)
            )));
        }
        let info = r.info.clone().unwrap_or_default();
        let num = |s: &Option<String>| s.as_deref().and_then(|t| t.trim().parse::<u64>().ok());
        let t = &self.checked.totals;
        let ours = Counts {
            items: Some(t.items as u64),
            bags: Some(t.bags as u64),
            days: Some(u64::from(with_day)),
            weight_kg: Some(format_fixed(t.weight_kg, WEIGHT_SCALE)),
        };
        let acp = Counts {
            items: num(&info.num_items),
            bags: num(&info.num_bags),
            days: num(&info.num_days),
            weight_kg: info.weight.clone(),
        };
        let mut differences = Vec::new();
        for (what, o, a) in [
            ("items", ours.items, acp.items),
            ("bags", ours.bags, acp.bags),
            ("days", ours.days, acp.days),
        ] {
            if o != a {
                differences.push(format!(
                    "{what}: ours {} vs ACP {}",
                    o.unwrap_or(0),
                    a.map_or("missing".to_string(), |v| v.to_string())
                ));
            }
        }
        let weight_ok = match acp
            .weight_kg
            .as_deref()
            .map(|w| Decimal::from_str(w.trim()))
        {
            Some(Ok(w)) => {
                let w = if info
                    .weight_unit
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case("lb"))
                {
                    w * crate::model::KG_PER_LB
                } else {
                    w
                };
                crate::model::round3(w) == t.weight_kg
            }
            _ => false,
        };
        if !weight_ok {
            differences.push(format!(
                "weight: ours {} kg vs ACP {}",
                format_fixed(t.weight_kg, WEIGHT_SCALE),
                acp.weight_kg.clone().unwrap_or_else(|| "missing".into())
            ));
        }
        Ok(Reconciliation {
            ok: differences.is_empty(),
            ours,
            acp,
            differences,
        })
    }
}

/// Whether an `ok` createMailing result for `item` can be recorded (see [`believe`]).
fn believe_item(
    item: &crate::model::MailItem,
    r: &wire::MailItemResult,
    labelled: bool,
) -> Result<(), String> {
    if !believe::says_ok(&r.status) {
        return Err(format!(
            "ACP's answer says ok and an error type at once ({})",
            describe(&r.status)
        ));
    }
    match r.tracking_number.as_deref() {
        Some(tn) => believe::plausible_id("tracking number", tn)?,
        None if labelled => return Err("ACP answered ok without a tracking number".into()),
        None => {}
    }
    believe::same_as_sent(
        "tracking number",
        item.tracking_number.as_deref(),
        r.tracking_number.as_deref(),
    )?;
    believe::same_as_sent(
        "shipperItemId",
        item.shipper_item_id.as_deref(),
        r.shipper_item_id.as_deref(),
    )
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
