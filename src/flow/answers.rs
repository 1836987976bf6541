//! Reading what ACP answered to a create: items (with their labels, in one transaction) and the manifest.
//! What an answer does not say in ACP's own form is not recorded (`believe`).

use super::{believe, describe, is_sent_on, same_item, MailingTaken, Run, Stop};
use crate::acp::convert;
use crate::acp::wire::{self, Answer, Command, ErrorType};
use crate::archive::Entity;
use crate::ledger::ItemRow;
use crate::plan::item_key;

impl Run<'_, '_> {
    /// Reads a createMailing answer for `batch` (items sent about `object`, when one item is named in the
    /// request's detail; `labelled` when the request asked for labels). Created and adopted items go to the
    /// ledger together with their staged labels, in one transaction; anything else stops.
    pub(super) fn take_mailing_answer(
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
        // Items at ACP whose label the archive could not take: (key, tracking number, why).
        let mut archive_trouble: Vec<(String, Option<String>, String)> = Vec::new();
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
                let tn = r
                    .tracking_number
                    .clone()
                    .or_else(|| convert::owned(&item.tracking_number));
                let label_id = tn.clone().unwrap_or_else(|| key.clone());
                let kept = self.keep_label(Entity::Item, &label_id, labelled, r.label.as_ref());
                label_rows.extend(kept.rows);
                taken.lacking.extend(kept.lacking);
                if let Some(e) = kept.archive_trouble {
                    archive_trouble.push((key.clone(), tn.clone(), e));
                }
                (tn, labelled)
            } else if matching_conflict {
                let tn = r
                    .conflict
                    .as_ref()
                    .and_then(|c| c.tracking_number.clone())
                    .or_else(|| convert::owned(&item.tracking_number));
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
                shipper_item_id: convert::owned(&item.shipper_item_id),
                fingerprint: fps[i].clone(),
                label_wanted,
            });
        }
        let replaced =
            self.ctx
                .services
                .ledger
                .put_items_with_labels(&self.mawb, &rows, &label_rows)?;
        self.note_labels(label_rows.len(), replaced);
        self.out.items_created += created;
        self.out.items_adopted += taken.adopted;
        for (key, tn, e) in &archive_trouble {
            self.lacks_label(format!(
                "item {key} (tracking {}): the archive cannot take its label: {e}",
                tn.as_deref().unwrap_or("?")
            ));
        }
        if let Some((key, _, e)) = archive_trouble.into_iter().next() {
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
    pub(super) fn take_manifest_answer(
        &mut self,
        a: Answer,
        command: Command,
    ) -> Result<(String, bool), Stop> {
        let Answer::Manifest(r) = a else {
            return Err(Stop::Refused(format!("{command}: unexpected answer")));
        };
        let config = self.checked.mawb.config.clone().unwrap_or_default();
        if command == Command::ModifyManifest && is_sent_on(&r.status) {
            let id = r
                .manifest_id
                .clone()
                .or_else(|| self.out.manifest_id.clone());
            return Err(self.sent_on(id.as_deref()));
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
