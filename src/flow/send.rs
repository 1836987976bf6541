//! The one path every request takes: recorded in the ledger as an intent before it is sent and completed
//! with its result after (`send_data_with`), and the rules built on it: when a conflict may be taken over
//! (`own_lost_answer`, `may_adopt`), a manifest sent on, and cancelling items where `notFound` counts as
//! cancelled (`cancel_items`).

use super::{describe, summarise, Run, Stop};
use crate::acp::answer::{parse_answer, parse_answer_counts};
use crate::acp::client::{has_system_error, AnswerParser, Attempt, CallError};
use crate::acp::convert;
use crate::acp::request::write_request_to_vec;
use crate::acp::wire::{self, Answer, Command, ErrorType, Params, Request};

impl Run<'_, '_> {
    /// Sends one request, recorded in the ledger before and after.
    pub(super) fn send(
        &mut self,
        detail: &str,
        params: &Params,
        req: &Request,
    ) -> Result<Answer, Stop> {
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
    pub(super) fn send_for_counts(&mut self, manifest_id: &str) -> Result<Answer, Stop> {
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
            &parse_answer_counts,
        )
    }

    pub(super) fn send_data(
        &mut self,
        command: Command,
        detail: &str,
        params: &Params,
        data: Option<&[u8]>,
    ) -> Result<Answer, Stop> {
        self.send_data_with(command, detail, params, data, &parse_answer)
    }

    pub(super) fn send_data_with(
        &mut self,
        command: Command,
        detail: &str,
        params: &Params,
        data: Option<&[u8]>,
        parser: AnswerParser<'_>,
    ) -> Result<Answer, Stop> {
        let ledger = &*self.ctx.services.ledger;
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
        let result =
            self.ctx
                .services
                .client
                .call_data_with(command, params, data, &mut on_retry, parser);
        self.out.requests_sent += 1;
        self.last_request = (id, attempts);
        let summary = match &result {
            Ok(a) => summarise(a),
            Err(e) => e.to_string(),
        };
        ledger.finish_request(
            id,
            request_status(command, &result, attempts),
            &summary,
            attempts,
        )?;
        Ok(result?)
    }

    /// ACP answered that the MAWB's manifest was sent on: recorded in the ledger (a sent manifest is
    /// final) and reported with what differs; nothing of the change is applied. The outcome names the
    /// manifest, which stands at ACP.
    pub(super) fn sent_on(&mut self, manifest_id: Option<&str>) -> Stop {
        if let Some(id) = manifest_id {
            self.out.manifest_id = Some(id.to_string());
        }
        let manifest_id = manifest_id.unwrap_or("?");
        if let Err(e) = self.ctx.services.ledger.set_sent_on(&self.mawb) {
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
    /// reached ACP), or the ledger recorded sending an earlier create of that command for this MAWB that
    /// may have made it (an answer lost, or a process killed before it stored what the answer said; not
    /// one that never connected or that ACP refused whole, see [`request_status`]). Otherwise the object
    /// at ACP was not sent by this ledger.
    pub(super) fn own_lost_answer(
        &self,
        command: Command,
        object: Option<&str>,
    ) -> Result<bool, Stop> {
        let (current, attempts) = self.last_request;
        if attempts > 1 {
            return Ok(true);
        }
        Ok(self
            .ctx
            .services
            .ledger
            .requests(Some(&self.mawb))?
            .iter()
            .any(|r| {
                r.id != current
                    && r.command == command.as_str()
                    // Never connected, or answered with nothing created: it cannot have made the object.
                    && !matches!(r.status.as_str(), "unreached" | "refused")
                    && object.is_none_or(|o| r.detail.contains(o))
            }))
    }

    /// Whether an object ACP holds under this folder's ids (it matches what would be sent) may be taken
    /// over: it is this ledger's own lost answer, or the operator said `--adopt`. Otherwise the MAWB stops
    /// and the object is left as it is.
    pub(super) fn may_adopt(
        &self,
        command: Command,
        object: Option<&str>,
        what: &str,
    ) -> Result<(), Stop> {
        if self.ctx.services.plan.adopt || self.own_lost_answer(command, object)? {
            return Ok(());
        }
        Err(Stop::Refused(format!(
            "{what} is already at ACP, and this ledger ({}) never sent it: mawb leaves objects it did not send untouched. \
             If it is this folder's (the ledger is new or was moved), run again with --adopt to take it over; otherwise \
             remove it at ACP first",
            self.ctx.services.ledger.describe()
        )))
    }

    /// Cancels items (key, tracking number, shipperItemId) in one cancelMailing; an item ACP no longer
    /// holds (`notFound`) is as good as cancelled. The ledger forgets each one ACP confirms gone (its label
    /// becomes void) and the run's outcome counts it. `Err` names the first item ACP would not cancel.
    pub(super) fn cancel_items(
        &mut self,
        items: &[(String, Option<String>, Option<String>)],
    ) -> Result<(), String> {
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
        let mut cancelled = Vec::new();
        let mut refused = None;
        for ((k, _, _), r) in items.iter().zip(&results) {
            if gone(&r.status) {
                cancelled.push(k.clone());
            } else {
                refused
                    .get_or_insert_with(|| format!("cancelMailing {k}: {}", describe(&r.status)));
            }
        }
        self.ctx
            .services
            .ledger
            .remove_items(&self.mawb, &cancelled)
            .map_err(|e| e.to_string())?;
        // Counted here, for every caller: a label's re-creation cancels too, and a cancel refused for one
        // item still cancelled the others.
        self.out.items_cancelled += cancelled.len();
        match refused {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    pub(super) fn params(&self) -> Params {
        Params {
            test_mode: self.ctx.services.plan.test_mode,
            ..Default::default()
        }
    }
}

/// What the ledger records of a request's result, for an auditor and for [`Run::own_lost_answer`]:
/// - `unreached`: no attempt connected to ACP (see `Ledger::bind_target`);
/// - `refused`: ACP answered the only attempt and created nothing: a call-level refusal (a wrong API
///   key, ACP's common error, HTTP 401 or 403), or a create whose every object was refused (a conflict,
///   a validation error; not a `system` error, after which ACP may hold part of it);
/// - `answered`: any other answer;
/// - `transport-error`: no answer (lost, cut, timed out): ACP may hold what it created.
///
/// An earlier attempt may have reached ACP, so a retried request is never `refused`.
fn request_status(
    command: Command,
    result: &Result<Answer, CallError>,
    attempts: u32,
) -> &'static str {
    match result {
        Ok(a) if attempts == 1 && creates(command) && !any_ok(a) && !has_system_error(a) => {
            "refused"
        }
        Ok(_) => "answered",
        Err(CallError::Transport {
            unreached: true, ..
        }) => "unreached",
        Err(e @ (CallError::Common { .. } | CallError::Http { .. }))
            if attempts == 1 && (matches!(e, CallError::Common { .. }) || e.is_configuration()) =>
        {
            "refused"
        }
        Err(_) => "transport-error",
    }
}

/// Whether `command` creates an object at ACP.
fn creates(command: Command) -> bool {
    matches!(
        command,
        Command::CreateMailing | Command::CreateBag | Command::CreateDay | Command::CreateManifest
    )
}

/// Whether any object of an answer is `ok`.
fn any_ok(a: &Answer) -> bool {
    match a {
        Answer::CommonError(_) => false,
        Answer::Mailing(items) => items.iter().any(|i| i.status.ok),
        Answer::Bag(b) => b.status.ok,
        Answer::Day(d) => d.status.ok,
        Answer::Info(i) => i.status.ok,
        Answer::Manifest(m) => m.status.ok,
    }
}

/// Whether a cancel's answer means the object is gone at ACP: cancelled now, or not found (cancelled
/// before, by an earlier run whose answer was lost or by hand). The one rule every cancel follows.
pub(super) fn gone(st: &wire::Status) -> bool {
    st.ok || st.error_type == Some(ErrorType::NotFound)
}
