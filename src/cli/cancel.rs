//! `mawb cancel manifest|day|bag|item ID`: cancels one object at ACP for an operator, and records it.

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

pub fn run(args: CancelArgs) -> Result<i32, String> {
    let client = args.conn.client()?;
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
        let what = match args.what {
            What::Manifest => "manifest",
            What::Day => "day",
            What::Bag => "bag",
            What::Item => "item",
        };
        let touched = ledger.forget(what, &args.id).map_err(|e| e.to_string())?;
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
