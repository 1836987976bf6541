//! `mawb cancel manifest|day|bag|item ID`: cancels one object at ACP for an operator, and records it.
//!
//! Only an object the ledger (`--state`) records sending is cancelled: mawb never cancels at ACP what its
//! ledger did not send. An id the ledger does not hold (mistyped, or sent by another ledger or tool) is
//! refused before anything is sent, and a ledger file that does not exist is not created.

use super::conn::{ConnArgs, StateArgs};
use super::{EXIT_FAILED, EXIT_OK};
use crate::acp::wire::{self, Answer, Params, Request};
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum What {
    Manifest,
    Day,
    Bag,
    Item,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// What to cancel.
    pub what: What,
    /// Its ACP id (manifestId, dayId, bagId, trackingNumber); with --shipper-id, the shipper's id
    /// (userManifestId, shipperDayId, shipperBagId, shipperItemId).
    #[arg(value_name = "ID")]
    pub id: String,
    /// ID is the shipper-side id.
    #[arg(long)]
    pub shipper_id: bool,
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub state: StateArgs,
}

impl What {
    fn as_str(self) -> &'static str {
        match self {
            What::Manifest => "manifest",
            What::Day => "day",
            What::Bag => "bag",
            What::Item => "item",
        }
    }

    /// The name of the id `mawb cancel` was given, as ACP spells it.
    fn id_name(self, shipper_side: bool) -> &'static str {
        match (self, shipper_side) {
            (What::Manifest, false) => "manifestId",
            (What::Manifest, true) => "userManifestId",
            (What::Day, false) => "dayId",
            (What::Day, true) => "shipperDayId",
            (What::Bag, false) => "bagId",
            (What::Bag, true) => "shipperBagId",
            (What::Item, false) => "trackingNumber",
            (What::Item, true) => "shipperItemId",
        }
    }
}

/// Whether `ledger` sent the object named by `args`: an error naming the ledger and the fix when it did not.
/// The MAWBs whose record says this ledger sent the object (sorted); `Err` when there is none.
fn sent_by(ledger: &crate::ledger::Ledger, args: &CancelArgs) -> Result<Vec<String>, String> {
    let what = args.what.as_str();
    let found = match ledger
        .senders_of(what, &args.id, args.shipper_id)
        .map_err(|e| e.to_string())?
    {
        Some(found) => found,
        // A day's shipperDayId is the MAWB's, by its revision (see `plan::shipper_day_id`).
        None => ledger
            .all_mawbs()
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|m| {
                m.day_id.is_some()
                    && crate::plan::shipper_day_id(&m.mawb, m.day_revision) == args.id
            })
            .map(|m| m.mawb)
            .collect(),
    };
    if found.is_empty() {
        return Err(not_sent(&ledger.describe(), args));
    }
    let mut found = found;
    found.sort();
    found.dedup();
    Ok(found)
}

fn not_sent(ledger: &str, args: &CancelArgs) -> String {
    format!(
        "the ledger {ledger} holds no {} with {} {}: mawb cancels only what its ledger sent, so nothing was sent to ACP. Check the id, and that --state names the ledger of the runs that sent it (`mawb status --state FILE` lists its MAWBs); an object another ledger or tool sent is cancelled from there",
        args.what.as_str(),
        args.what.id_name(args.shipper_id),
        args.id
    )
}

pub fn run(args: CancelArgs) -> Result<i32, String> {
    let client = args.conn.client()?;
    // A ledger that does not exist holds nothing to cancel, and is not created for the refusal.
    if !args.state.state.exists() {
        return Err(not_sent(&args.state.state.display().to_string(), &args));
    }
    let (sys, own) = if args.shipper_id {
        (None, Some(args.id.clone()))
    } else {
        (Some(args.id.clone()), None)
    };
    let req = match args.what {
        What::Manifest => Request::CancelManifest(wire::ManifestRef {
            manifest_id: sys,
            user_manifest_id: own,
        }),
        What::Day => Request::CancelDay(wire::DayRef {
            day_id: sys,
            shipper_day_id: own,
        }),
        What::Bag => Request::CancelBag(wire::BagRef {
            bag_id: sys,
            shipper_bag_id: own,
        }),
        What::Item => Request::CancelMailing(vec![wire::ItemRef {
            tracking_number: sys,
            shipper_item_id: own,
        }]),
    };
    let params = Params {
        test_mode: args.conn.test_mode,
        ..Default::default()
    };
    let ledger = super::conn::open_sending_ledger(&args.state, &client)?;
    // A run sending one of the object's MAWBs right now is waited for (its requests and this cancel
    // would cross); then the ledger is asked again, as the run may have changed what it holds.
    let mut locks = Vec::new();
    for m in sent_by(&ledger, &args)? {
        let lock = ledger
            .lock_mawb(&m, &|holder| {
                eprintln!("mawb: MAWB {m} is being sent by {holder}; waiting for it to finish before cancelling")
            })
            .map_err(|e| format!("cannot take the lock of MAWB {m}: {e}"))?;
        locks.push(lock);
    }
    sent_by(&ledger, &args)?;
    let rid = ledger
        .begin_request("-", req.command().as_str(), &args.id, 0)
        .map_err(|e| e.to_string())?;
    let answer = client.call(&params, &req, &mut |a| {
        eprintln!("attempt {} failed: {}; retrying", a.number, a.outcome)
    });
    let status = match &answer {
        Ok(Answer::Manifest(r)) => r.status.clone(),
        Ok(Answer::Day(r)) => r.status.clone(),
        Ok(Answer::Bag(r)) => r.status.clone(),
        Ok(Answer::Mailing(r)) => r.first().map(|i| i.status.clone()).unwrap_or_default(),
        Ok(other) => wire::Status::error(
            wire::ErrorType::Other("unexpected".into()),
            format!("unexpected answer {other:?}"),
        ),
        Err(e) => {
            let _ = ledger.finish_request(rid, "transport-error", &e.to_string(), 1);
            return Err(e.to_string());
        }
    };
    let summary = answer
        .as_ref()
        .map(crate::flow::summarise)
        .unwrap_or_default();
    let _ = ledger.finish_request(rid, "answered", &summary, 1);
    if status.ok {
        outln!("cancelled {:?} {}", args.what, args.id);
        let touched = ledger
            .forget(args.what.as_str(), &args.id)
            .map_err(|e| e.to_string())?;
        for m in touched {
            outln!("MAWB {m}: recorded; its next run re-syncs it with ACP (and recreates what its folder still holds)");
        }
        Ok(EXIT_OK)
    } else {
        outln!(
            "ACP refused: {} {}",
            status
                .error_type
                .as_ref()
                .map(|e| e.as_str())
                .unwrap_or("error"),
            status.error.unwrap_or_default()
        );
        Ok(EXIT_FAILED)
    }
}
