//! The plan as data: the ordered steps that take ACP from what it holds for a MAWB to what the folder holds.
//!
//! One function ([`steps`]) orders them, for both users of a plan: `prepare` writes the requests of a
//! plan made against an empty ledger (a MAWB never sent), and `flow` executes a plan made against the
//! ledger's view, step by step, recording each request before and after it is sent. The order is ACP's:
//! whatever must go is detached from the manifest and cancelled top-down (day, bags, items) before anything
//! is created bottom-up (items, bags, the day, the manifest), and ACP's counts are reconciled last.

use super::diff::{Diff, LedgerView};
use super::folder::ItemFragments;
use super::{batches_by_size, config, PlanOptions};
use crate::model::Mawb;

/// One step of a plan. Indexes are into the MAWB's items and bags; ids ACP assigns (tracking numbers,
/// bagIds, dayId) are resolved when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The held manifest must let go of the units about to be cancelled: modifyManifest with the units
    /// that stay, or cancelManifest when none can be detached (every unit sits in the day being rebuilt).
    DetachFromManifest,
    /// cancelDay of the MAWB's day.
    CancelDay,
    /// cancelBag of a held bag (by shipperBagId).
    CancelBag(String),
    /// One cancelMailing of held items (by key), at most `batch_items` of them.
    CancelItems(Vec<String>),
    /// One label=0 createMailing of items that carry their tracking number.
    CreateItems(Vec<usize>),
    /// One createMailing with the MAWB's label type, for an item ACP assigns a tracking number to.
    CreateLabelledItem(usize),
    /// createBag of a bag of the folder.
    CreateBag(usize),
    /// createDay grouping every bag and loose item.
    CreateDay,
    /// createManifest, or modifyManifest of a held manifest whose payload changed.
    UploadManifest,
    /// getManifest, and ACP's counts compared with ours.
    Reconcile,
}

impl Step {
    /// The ACP command the step sends (the one that names it in logs and prepared file names).
    pub fn command(&self) -> &'static str {
        match self {
            Step::DetachFromManifest => "modifyManifest",
            Step::CancelDay => "cancelDay",
            Step::CancelBag(_) => "cancelBag",
            Step::CancelItems(_) => "cancelMailing",
            Step::CreateItems(_) | Step::CreateLabelledItem(_) => "createMailing",
            Step::CreateBag(_) => "createBag",
            Step::CreateDay => "createDay",
            Step::UploadManifest => "createManifest",
            Step::Reconcile => "getManifest",
        }
    }
}

/// The steps that apply `d` (the diff of folder `m`, written as `frags`, against `held`), in order.
/// `manifest_held`: the ledger holds a manifest for the MAWB.
pub fn steps(
    m: &Mawb,
    frags: &ItemFragments,
    held: &LedgerView,
    d: &Diff,
    manifest_held: bool,
    opts: &PlanOptions,
) -> Vec<Step> {
    let mut out = Vec::new();
    if manifest_held && d.cancels_anything() {
        out.push(Step::DetachFromManifest);
    }
    if d.day_affected {
        out.push(Step::CancelDay);
    }
    out.extend(d.bags_to_cancel.iter().cloned().map(Step::CancelBag));
    out.extend(
        d.items_to_cancel
            .chunks(opts.batch_items.max(1))
            .map(|c| Step::CancelItems(c.to_vec())),
    );
    let (with_tn, labelled): (Vec<usize>, Vec<usize>) = d
        .items_to_create
        .iter()
        .partition(|&&i| m.items[i].tracking_number.is_some());
    out.extend(
        batches_by_size(&with_tn, &frags.sizes, opts)
            .into_iter()
            .map(Step::CreateItems),
    );
    out.extend(labelled.into_iter().map(Step::CreateLabelledItem));
    out.extend(d.bags_to_create.iter().copied().map(Step::CreateBag));
    if config(m).create_day && (held.day_id.is_none() || d.day_affected) {
        out.push(Step::CreateDay);
    }
    out.push(Step::UploadManifest);
    out.push(Step::Reconcile);
    out
}

#[cfg(test)]
mod tests {
    use super::super::diff::tests::{mawb, sent, three};
    use super::super::diff::{diff, LedgerView};
    use super::*;

    fn plan(m: &Mawb, held: &LedgerView, manifest_held: bool, create_day: bool) -> Vec<Step> {
        let frags = ItemFragments::of(m);
        let d = diff(m, &frags, held, create_day);
        steps(m, &frags, held, &d, manifest_held, &PlanOptions::default())
    }

    #[test]
    fn a_new_mawb_is_created_bottom_up_and_reconciled() {
        let mut m = mawb(three());
        if let Some(c) = m.config.as_mut() {
            c.create_day = true;
        }
        let s = plan(&m, &LedgerView::default(), false, true);
        assert_eq!(
            s,
            vec![
                Step::CreateItems(vec![0, 1, 2]),
                Step::CreateBag(0),
                Step::CreateDay,
                Step::UploadManifest,
                Step::Reconcile,
            ]
        );
    }

    #[test]
    fn an_unchanged_mawb_only_reconciles_its_manifest() {
        let m = mawb(three());
        let s = plan(&m, &sent(&m, false), true, false);
        assert_eq!(s, vec![Step::UploadManifest, Step::Reconcile]);
    }

    #[test]
    fn a_change_is_detached_and_cancelled_top_down_before_anything_is_created() {
        let before = mawb(three());
        let mut items = three();
        items[0].weight = Some(crate::model::Kg("1.250".parse().unwrap()));
        let mut now = mawb(items);
        if let Some(c) = now.config.as_mut() {
            c.create_day = true;
        }
        let s = plan(&now, &sent(&before, true), true, true);
        assert_eq!(
            s,
            vec![
                Step::DetachFromManifest,
                Step::CancelDay,
                Step::CancelBag("112-44995451-A".into()),
                Step::CancelItems(vec!["1Z1".into()]),
                Step::CreateItems(vec![0]),
                Step::CreateBag(0),
                Step::CreateDay,
                Step::UploadManifest,
                Step::Reconcile,
            ]
        );
    }

    #[test]
    fn labelled_items_are_created_one_by_one_after_the_batches() {
        let mut items = three();
        items[1].tracking_number = None;
        items[1].shipper_item_id = Some("S2".into());
        let m = mawb(items);
        let s = plan(&m, &LedgerView::default(), false, false);
        assert_eq!(
            &s[..2],
            &[Step::CreateItems(vec![0, 2]), Step::CreateLabelledItem(1)]
        );
    }
}
