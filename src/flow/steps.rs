//! The execution of a plan's steps (`plan::Step`) for one MAWB: each one sends its requests through the
//! one path that records them before and after (`send`), records what ACP answered, and moves the run's
//! [`Progress`] on (the day's revision, ids ACP assigned, the manifest uploaded).

use super::labels::LabelTrouble;
use super::send::gone;
use super::{believe, describe, is_sent_on, Run, RunStatus, Stop};
use crate::acp::request::write_request_to_vec;
use crate::acp::wire::{self, Answer, Command, ErrorType, Request, Status};
use crate::archive::Entity;
use crate::ledger::BagRow;
use crate::model::MawbConfig;
use crate::plan::folder::hex;
use crate::plan::{self, item_key, Diff, ItemFragments, KnownIds, LedgerView, Step};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The tracking numbers the ledger holds for a MAWB's items, by shipperItemId.
pub(super) type Tracking = Arc<HashMap<String, String>>;

/// Where a run stands between steps.
pub(super) struct Progress {
    pub config: MawbConfig,
    pub frags: ItemFragments,
    pub view: LedgerView,
    pub diff: Diff,
    /// The manifest the ledger held when the run began.
    pub row_manifest_id: Option<String>,
    pub day_revision: u32,
    pub day_id: Option<String>,
    /// The content fingerprint recorded when the MAWB is done.
    pub content_fp: String,
    /// label=0 batches in the plan, and how many were sent (for the requests' detail).
    pub batches: usize,
    pub batch: usize,
    /// Tracking numbers known once items are registered (bags need them).
    pub ids: Option<KnownIds>,
    /// The ledger's tracking numbers by shipperItemId, read once after the item steps
    /// ([`Run::known_ids`]); cleared by every step that creates or cancels items.
    pub tracking: Option<Tracking>,
    /// The manifest uploaded, for the reconciliation.
    pub manifest: Option<Uploaded>,
}

/// The manifest as uploaded in this run.
pub(super) struct Uploaded {
    pub id: String,
    pub request: Request,
    pub fingerprint: String,
    pub adopted: bool,
}

impl Run<'_, '_> {
    /// Executes one step.
    pub(super) fn execute(&mut self, step: Step, at: &mut Progress) -> Result<(), Stop> {
        // Only bags, the day, the manifest and the reconciliation leave the items' tracking numbers
        // as they were; any other step may change them. The ids lent from bag to bag hold them too.
        if !matches!(
            step,
            Step::CreateBag(_) | Step::CreateDay | Step::UploadManifest | Step::Reconcile
        ) {
            at.tracking = None;
            at.ids = None;
        }
        match step {
            Step::DetachFromManifest => self.detach_from_manifest(at),
            Step::CancelDay => self.cancel_day(at),
            Step::CancelBag(sid) => self.cancel_bag(at, &sid),
            Step::CancelItems(keys) => self.cancel_held_items(at, &keys),
            Step::CreateItems(batch) => self.create_items(at, batch),
            Step::CreateLabelledItem(i) => self.create_labelled_item(at, i),
            Step::CreateBag(b) => self.create_bag(at, b),
            Step::CreateDay => self.create_day(at),
            Step::UploadManifest => self.upload_manifest(at),
            Step::Reconcile => self.reconcile_and_finish(at),
        }
    }

    /// Detaches what must be cancelled from the manifest: modifyManifest with the units that stay, or
    /// cancelManifest when none can be detached.
    fn detach_from_manifest(&mut self, at: &mut Progress) -> Result<(), Stop> {
        let m = &self.checked.mawb;
        let changed_keys: HashSet<&str> =
            at.diff.items_to_cancel.iter().map(String::as_str).collect();
        if let Some(mid) = at.row_manifest_id.clone() {
            let mut ids = self.known_ids(&mut at.tracking)?;
            let surviving: Vec<String> = {
                let cancelled_bags: HashSet<&str> =
                    at.diff.bags_to_cancel.iter().map(String::as_str).collect();
                let mut u: Vec<String> = at
                    .view
                    .bags
                    .iter()
                    .filter(|(sid, _)| !cancelled_bags.contains(sid.as_str()))
                    .map(|(_, b)| b.bag_id.clone())
                    .collect();
                u.sort();
                for i in m.loose_items() {
                    let k = item_key(m, i);
                    if at.view.items.contains_key(&k) && !changed_keys.contains(k.as_str()) {
                        if let Some(t) = plan::tracking_of(m, i, &ids) {
                            u.push(t.to_string());
                        }
                    }
                }
                u
            };
            ids.day_id = None;
            if at.diff.day_affected || surviving.is_empty() {
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
                    return Err(self.sent_on(Some(&mid)));
                }
                if !gone(&st) {
                    return Err(Stop::Refused(format!(
                        "cancelManifest {mid} (needed to apply the change): {}",
                        describe(&st)
                    )));
                }
                self.ctx.services.ledger.clear_manifest(&self.mawb)?;
                self.out.manifest_id = None;
                self.out.manifest_replaced = Some(mid.clone());
            } else {
                tracing::info!(mawb = %self.mawb, "changed since its upload: detaching {} unit(s) before cancelling", surviving.len());
                self.modify_with_units(&mid, &ids, at.day_revision, surviving)?;
            }
        }

        Ok(())
    }

    /// Cancels the MAWB's day (top-down: before its bags and items).
    fn cancel_day(&mut self, at: &mut Progress) -> Result<(), Stop> {
        if let Some(d) = at.day_id.clone() {
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
            if !gone(&st) {
                return Err(Stop::Refused(format!("cancelDay {d}: {}", describe(&st))));
            }
            at.day_id = None;
            at.day_revision += 1;
            self.ctx
                .services
                .ledger
                .set_day(&self.mawb, None, at.day_revision)?;
        }
        Ok(())
    }

    /// Cancels a held bag.
    fn cancel_bag(&mut self, at: &mut Progress, sid: &str) -> Result<(), Stop> {
        let Some(b) = at.view.bags.get(sid).cloned() else {
            return Ok(());
        };
        {
            let a = self.send(
                sid,
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
            if !gone(&st) {
                return Err(Stop::Refused(format!(
                    "cancelBag {}: {}",
                    sid,
                    describe(&st)
                )));
            }
            self.ctx.services.ledger.remove_bag(&self.mawb, sid)?;
        }
        Ok(())
    }

    /// Cancels held items in one cancelMailing.
    fn cancel_held_items(&mut self, at: &mut Progress, keys: &[String]) -> Result<(), Stop> {
        {
            let refs: Vec<(String, Option<String>, Option<String>)> = keys
                .iter()
                .filter_map(|k| {
                    let r = at.view.items.get(k)?;
                    Some((
                        k.clone(),
                        r.tracking_number.clone(),
                        r.shipper_item_id.clone(),
                    ))
                })
                .collect();
            self.cancel_items(&refs).map_err(Stop::Refused)?;
        }

        Ok(())
    }

    /// Registers a label=0 batch of items that carry their tracking numbers.
    fn create_items(&mut self, at: &mut Progress, batch: Vec<usize>) -> Result<(), Stop> {
        let m = &self.checked.mawb;
        at.batch += 1;
        let batch = &batch;
        let data = at.frags.batch_data(batch);
        let a = self.send_data(
            Command::CreateMailing,
            &format!("batch {}/{} ({} items)", at.batch, at.batches, batch.len()),
            &plan::mailing_params(m, false, &self.ctx.services.plan),
            Some(&data),
        )?;
        self.take_mailing_answer(batch, a, &at.frags.fingerprints, None, false)?;
        (self.ctx.on_items)(batch.len());
        Ok(())
    }

    /// Registers one item with the MAWB's label type; a label that does not come (or comes broken) gets
    /// the item cancelled and created again once.
    fn create_labelled_item(&mut self, at: &mut Progress, i: usize) -> Result<(), Stop> {
        let m = &self.checked.mawb;
        let req = plan::mailing_request(m, &[i]);
        let sid = m.items[i].shipper_item_id.clone().unwrap_or_default();
        let params = plan::mailing_params(m, true, &self.ctx.services.plan);
        let a = self.send(
            &format!("label {} for {sid}", at.config.label),
            &params,
            &req,
        )?;
        let taken = self.take_mailing_answer(&[i], a, &at.frags.fingerprints, Some(&sid), true)?;
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
                Some(sid.to_string()),
            )])
            .map_err(|e| {
                Stop::Refused(format!(
                    "item {sid}: {why}, and it could not be cancelled to get a new one: {e}"
                ))
            })?;
            let a = self.send(
                &format!("label {} for {sid} (again)", at.config.label),
                &params,
                &req,
            )?;
            let again =
                self.take_mailing_answer(&[i], a, &at.frags.fingerprints, Some(&sid), true)?;
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
        Ok(())
    }

    /// Creates a bag of the folder.
    fn create_bag(&mut self, at: &mut Progress, b: usize) -> Result<(), Stop> {
        let m = &self.checked.mawb;
        // The ids are read once per run and borrowed for each bag (a MAWB has dozens of bags and
        // thousands of ids).
        let ids = match at.ids.take() {
            Some(ids) => ids,
            None => self.known_ids(&mut at.tracking)?,
        };
        let req = plan::bag_request(m, b, &ids);
        at.ids = Some(ids);
        {
            let sid = plan::shipper_bag_id(&at.config.manifest_number, &m.bags[b].shipper_bag_id);
            let fp = &at.frags.bag_fingerprint(m, b);
            let a = self.send(&sid, &plan::bag_params(m, &self.ctx.services.plan), &req)?;
            let Answer::Bag(r) = a else {
                return Err(Stop::Refused(format!("createBag {sid}: unexpected answer")));
            };
            let (bag_id, label_wanted) = if r.status.ok {
                (r.bag_id.clone(), at.config.bag_labels)
            } else if r.status.error_type == Some(ErrorType::Conflict)
                && r.conflict
                    .as_ref()
                    .is_some_and(|c| c.shipper_bag_id.as_deref() == Some(sid.as_str()))
            {
                self.may_adopt(Command::CreateBag, Some(&sid), &format!("bag {sid}"))?;
                tracing::info!(mawb = %self.mawb, "createBag {sid}: already at ACP (an earlier answer was lost); adopted");
                let own =
                    at.config.bag_labels && self.own_lost_answer(Command::CreateBag, Some(&sid))?;
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
            if let Some(e) = &archive_trouble {
                self.lacks_label(format!(
                    "bag {sid} (bagId {bag_id}): the archive cannot take its label: {e}"
                ));
            }
            self.ctx.services.ledger.put_bag_with_label(
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
        Ok(())
    }

    /// Creates the day, after confirming with getInfo that ACP holds every unit it will group.
    fn create_day(&mut self, at: &mut Progress) -> Result<(), Stop> {
        let m = &self.checked.mawb;
        let ids = self.known_ids(&mut at.tracking)?;
        {
            // After a createDay whose answer was lost, ACP no longer lists the units as new: send the
            // same createDay again (its conflict is adopted) instead of confirming.
            if self
                .ctx
                .services
                .ledger
                .has_unanswered(&self.mawb, Command::CreateDay.as_str())?
            {
                tracing::info!(mawb = %self.mawb, "an earlier createDay may have reached ACP; repeating it");
            } else if self.ctx.services.plan.adopt {
                // Taking over: the units may already be grouped in this MAWB's day at ACP; createDay's
                // conflict says so.
            } else {
                self.confirm_new_units(&ids)?;
            }
            let req = plan::day_request(m, &ids, at.day_revision);
            let shipper_day = plan::shipper_day_id(&at.config.manifest_number, at.day_revision);
            let a = self.send(
                &shipper_day,
                &plan::day_params(m, &self.ctx.services.plan),
                &req,
            )?;
            let Answer::Day(r) = a else {
                return Err(Stop::Refused("createDay: unexpected answer".into()));
            };
            let (id, label_wanted) = if r.status.ok {
                (r.day_id.clone(), at.config.day_label)
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
                let own = at.config.day_label
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
            if let Some(e) = &kept.archive_trouble {
                self.lacks_label(format!("day {id}: the archive cannot take its label: {e}"));
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
            self.ctx.services.ledger.put_day_with_label(
                &self.mawb,
                &id,
                at.day_revision,
                label_wanted,
                &label_rows,
            )?;
            self.note_labels(label_rows.len(), Vec::new());
            if let Some(e) = archive_trouble {
                return Err(Stop::Local(format!(
                    "day {id} is at ACP but its labels could not be kept: {e}. Make the archive writable (or \
                     free space) and run again: the next run gets the label again"
                )));
            }
            at.day_id = Some(id);
        }
        Ok(())
    }

    /// Uploads the manifest: created, or modified when it was uploaded before and its payload changed.
    fn upload_manifest(&mut self, at: &mut Progress) -> Result<(), Stop> {
        let mut ids = self.known_ids(&mut at.tracking)?;
        if !at.config.create_day && at.row_manifest_id.is_none() && !self.ctx.services.plan.adopt {
            self.confirm_new_units(&ids)?;
        }
        ids.day_id = at.day_id.clone();
        self.out.day_id = at.day_id.clone();
        let current_row = self
            .ctx
            .services
            .ledger
            .mawb(&self.mawb)?
            .ok_or_else(|| Stop::Local("ledger row vanished".into()))?;
        let manifest_id = current_row.manifest_id.clone();
        // The fingerprint is of the createManifest form of the payload (no manifestId), whichever form is
        // sent: a modifyManifest's own bytes could never equal the createManifest's recorded, and every
        // re-run whose folder fingerprint moved (a newer mawb, a mawb.toml comment) sent the same payload
        // again as a modifyManifest. The modifyManifest form is built only when it is sent.
        let (req, breakdown, data) = self.manifest_payload(&ids, at.day_revision, None)?;
        let manifest_fp = hex(&Sha256::digest(&data));
        let mut adopted = false;
        let mut as_sent = false;
        let manifest_id = match manifest_id {
            Some(mid)
                if current_row.manifest_fingerprint.as_deref() == Some(manifest_fp.as_str()) =>
            {
                // ACP holds this very payload: nothing to send.
                as_sent = true;
                mid
            }
            Some(mid) => {
                let (_, _, data) =
                    self.manifest_payload(&ids, at.day_revision, Some(mid.clone()))?;
                tracing::info!(mawb = %self.mawb, "modifyManifest {mid} ({} bytes)", data.len());
                self.forget_manifest_payload()?;
                let a =
                    self.send_data(Command::ModifyManifest, &mid, &self.params(), Some(&data))?;
                self.take_manifest_answer(a, Command::ModifyManifest)?;
                self.ctx
                    .services
                    .ledger
                    .set_manifest(&self.mawb, &mid, Some(&manifest_fp))?;
                mid
            }
            None => {
                tracing::info!(mawb = %self.mawb, "createManifest ({} bytes: {breakdown})", data.len());
                let a = self.send_data(
                    Command::CreateManifest,
                    at.config.user_manifest_id(),
                    &self.params(),
                    Some(&data),
                )?;
                let (mid, was_adopted) = self.take_manifest_answer(a, Command::CreateManifest)?;
                // An adopted manifest may hold an older payload: reconcile says, and a modify fixes it.
                adopted = was_adopted;
                self.ctx
                    .services
                    .ledger
                    .set_manifest(&self.mawb, &mid, Some(&manifest_fp))?;
                mid
            }
        };
        self.out.manifest_id = Some(manifest_id.clone());
        if at.row_manifest_id.is_some() {
            // Unchanged when nothing at all was sent: the folder's fingerprint moved, what ACP holds did not.
            self.out.status = if as_sent && self.out.requests_sent == 0 {
                RunStatus::Unchanged
            } else {
                RunStatus::Modified
            };
        }
        at.manifest = Some(Uploaded {
            id: manifest_id,
            request: req,
            fingerprint: manifest_fp,
            adopted,
        });

        Ok(())
    }

    /// This MAWB's manifest request, createManifest or (with `manifest_id`) modifyManifest, its size
    /// breakdown, and the `data` XML it is sent as.
    fn manifest_payload(
        &self,
        ids: &KnownIds,
        day_revision: u32,
        manifest_id: Option<String>,
    ) -> Result<(Request, crate::acp::budget::Breakdown, Vec<u8>), Stop> {
        let (req, breakdown) = plan::manifest_request(
            self.checked,
            ids,
            day_revision,
            manifest_id,
            &self.ctx.services.plan,
        )
        .map_err(|e| Stop::Local(e.to_string()))?;
        let mut data = Vec::with_capacity(breakdown.total);
        write_request_to_vec(&req, &mut data)
            .map_err(|e| Stop::Local(format!("cannot write the manifest: {e}")))?;
        Ok((req, breakdown, data))
    }

    /// Reconciles ACP's counts with ours and records the MAWB done.
    fn reconcile_and_finish(&mut self, at: &mut Progress) -> Result<(), Stop> {
        let Some(Uploaded {
            id: manifest_id,
            request: req,
            fingerprint: manifest_fp,
            adopted,
        }) = at.manifest.take()
        else {
            return Err(Stop::Local(
                "reconcile before the manifest was uploaded".into(),
            ));
        };
        let mut rec = self.reconcile(&manifest_id, at.config.create_day)?;
        if !rec.ok && adopted {
            tracing::warn!(mawb = %self.mawb, "the adopted manifest differs ({}); sending modifyManifest", rec.differences.join("; "));
            let mut req2 = req;
            if let Request::CreateManifest(mm) = req2 {
                let mut mm = mm;
                mm.manifest_id = Some(manifest_id.clone());
                req2 = Request::ModifyManifest(mm);
            }
            self.forget_manifest_payload()?;
            let a = self.send(&manifest_id, &self.params(), &req2)?;
            self.take_manifest_answer(a, Command::ModifyManifest)?;
            self.ctx
                .services
                .ledger
                .set_manifest(&self.mawb, &manifest_id, Some(&manifest_fp))?;
            rec = self.reconcile(&manifest_id, at.config.create_day)?;
        }
        let ok = rec.ok;
        let diffs = rec.differences.join("; ");
        self.out.reconciliation = Some(rec);
        if !ok {
            return Err(Stop::Refused(format!(
                "ACP's counts do not match ours: {diffs}"
            )));
        }
        self.ctx
            .services
            .ledger
            .set_done(&self.mawb, &at.content_fp)?;
        tracing::info!(mawb = %self.mawb, "done: manifest {manifest_id}, {} request(s)", self.out.requests_sent);
        Ok(())
    }
}
