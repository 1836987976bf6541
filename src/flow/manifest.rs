//! The manifest's side of a run: the ids ACP assigned so far (`known_ids`), modifyManifest with an explicit
//! unit list (to detach units before they are cancelled), the getInfo check that ACP holds every unit about
//! to be grouped, and the reconciliation of ACP's counts with ours.

#[cfg(doc)]
use super::steps::Progress;
use super::steps::Tracking;
use super::{describe, Counts, Reconciliation, Run, Stop};
use crate::acp::answer::parse_info_wanted;
use crate::acp::wire::{Answer, Command, Request};
use crate::model::{format_fixed, Decimal, WEIGHT_SCALE};
use crate::plan::{self, item_key, KnownIds};
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

impl Run<'_, '_> {
    /// The ids ACP assigned so far, from the ledger. The tracking numbers (thousands per MAWB) are read
    /// once and kept in `cache` (the run's [`Progress::tracking`]) until a step that creates or cancels
    /// items clears it; bag and day ids (a few dozen) are read each time.
    pub(super) fn known_ids(&self, cache: &mut Option<Tracking>) -> Result<KnownIds, Stop> {
        let ledger = &*self.ctx.services.ledger;
        let tracking = match cache {
            Some(t) => Arc::clone(t),
            None => {
                Arc::clone(cache.insert(Arc::new(ledger.tracking_by_shipper_item_id(&self.mawb)?)))
            }
        };
        let bags = ledger.bags(&self.mawb)?;
        let row = ledger.mawb(&self.mawb)?;
        Ok(KnownIds {
            tracking,
            bag_ids: bags
                .into_values()
                .map(|b| (b.shipper_bag_id, b.bag_id))
                .collect(),
            day_id: row.and_then(|r| r.day_id),
        })
    }

    /// Before a modifyManifest is sent: ACP may apply it even when its answer is lost or the process is
    /// killed waiting for it, so the ledger no longer claims to know the payload ACP holds, and the next
    /// run sends the folder's payload again (a folder put back as it was is not taken as unchanged).
    pub(super) fn forget_manifest_payload(&self) -> Result<(), Stop> {
        self.ctx
            .services
            .ledger
            .forget_manifest_fingerprint(&self.mawb)?;
        Ok(())
    }

    /// modifyManifest with an explicit unit list (used to detach units before cancelling them).
    pub(super) fn modify_with_units(
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
            &self.ctx.services.plan,
        )
        .map_err(|e| Stop::Local(e.to_string()))?;
        let Request::ModifyManifest(mut mm) = req else {
            return Err(Stop::Local("expected a modifyManifest".into()));
        };
        for p in &mut mm.parts {
            p.units = units.clone();
        }
        self.forget_manifest_payload()?;
        let a = self.send(mid, &self.params(), &Request::ModifyManifest(mm))?;
        self.take_manifest_answer(a, Command::ModifyManifest)?;
        self.ctx
            .services
            .ledger
            .set_manifest(&self.mawb, mid, None)?;
        Ok(())
    }

    /// getInfo: every bag and loose item of the MAWB must be at ACP, new and ungrouped, before it is
    /// grouped or manifested.
    pub(super) fn confirm_new_units(&mut self, ids: &KnownIds) -> Result<(), Stop> {
        let checked = self.checked;
        let m = &checked.mawb;
        // getInfo lists every new unit of the account, earlier MAWBs' too: only this MAWB's bags and
        // loose items are kept from its answer.
        let loose: Vec<(usize, Option<&str>)> = m
            .loose_items()
            .map(|i| (i, plan::tracking_of(m, i, ids)))
            .collect();
        let mut wanted: HashSet<&str> = ids.bag_ids.values().map(String::as_str).collect();
        wanted.extend(loose.iter().filter_map(|(_, t)| *t));
        let params = self.params();
        let a = self.send_data_with(
            Command::GetInfo,
            "confirm units",
            &params,
            None,
            &|command, body| parse_info_wanted(command, body, &|id| wanted.contains(id)),
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
        let mut missing = Vec::new();
        for id in ids.bag_ids.values() {
            if !bags.contains(id.as_str()) {
                missing.push(format!("bag {id}"));
            }
        }
        for (i, tracking) in loose {
            match tracking {
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

    pub(super) fn reconcile(
        &mut self,
        manifest_id: &str,
        with_day: bool,
    ) -> Result<Reconciliation, Stop> {
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
