//! The exactly-once diff: what the ledger says ACP holds for a MAWB against what its folder holds now.
//!
//! A pure function of the two views, no HTTP and no ledger: an item is cancelled when ACP holds it and
//! the folder no longer has it or would send it differently (its fingerprint changed), and created when
//! the folder has it and ACP does not hold it as it would be sent; a bag is cancelled when its content
//! changed or it holds such an item; the day is rebuilt when anything inside it changes. Objects that
//! still want their label (see `flow::labels`) count as changed, so they are cancelled and created again.
//! Everything else is left alone, which is what makes a re-run send nothing and a resumed run send only
//! what is missing.

use super::folder::{item_key, ItemFragments};
use crate::model::Mawb;
use std::collections::{HashMap, HashSet};

/// An item ACP holds for the MAWB, as the ledger recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeldItem {
    pub tracking_number: Option<String>,
    pub shipper_item_id: Option<String>,
    /// The fingerprint of what was sent ([`ItemFragments::fingerprints`]).
    pub fingerprint: String,
}

/// A bag ACP holds for the MAWB, as the ledger recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeldBag {
    pub bag_id: String,
    /// The fingerprint of its content when it was sent ([`ItemFragments::bag_fingerprint`]).
    pub fingerprint: String,
}

/// What ACP holds for a MAWB, per the ledger. Empty for a MAWB never sent (what `prepare` plans for).
#[derive(Debug, Clone, Default)]
pub struct LedgerView {
    /// Items by key (tracking number, else shipperItemId).
    pub items: HashMap<String, HeldItem>,
    /// Bags by shipperBagId.
    pub bags: HashMap<String, HeldBag>,
    /// The MAWB's day, when it has one.
    pub day_id: Option<String>,
    /// Keys of items still wanting their label.
    pub items_wanting_labels: HashSet<String>,
    /// shipperBagIds of bags still wanting their label.
    pub bags_wanting_labels: HashSet<String>,
    /// The day still wants its label.
    pub day_wants_label: bool,
}

/// What must change at ACP for it to hold what the folder holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Diff {
    /// Keys of held items to cancel, sorted.
    pub items_to_cancel: Vec<String>,
    /// Indexes of the folder's items to create, ascending.
    pub items_to_create: Vec<usize>,
    /// shipperBagIds of held bags to cancel, sorted.
    pub bags_to_cancel: Vec<String>,
    /// Indexes of the folder's bags to create (not held, or held and cancelled), ascending.
    pub bags_to_create: Vec<usize>,
    /// The MAWB's day must be cancelled and created again (it exists and something inside it changes).
    pub day_affected: bool,
    /// "N item(s) changed: …; N item(s) removed: …; N item(s) new: …", for messages; empty when none.
    pub changes: String,
}

impl Diff {
    /// Whether anything held must be cancelled first.
    pub fn cancels_anything(&self) -> bool {
        !self.items_to_cancel.is_empty() || !self.bags_to_cancel.is_empty() || self.day_affected
    }
}

/// The diff of folder `m` (written as `frags`) against `held`. `create_day`: the MAWB groups its units into
/// a day (`mawb.toml`); a day held by a MAWB that no longer wants one is affected.
pub fn diff(m: &Mawb, frags: &ItemFragments, held: &LedgerView, create_day: bool) -> Diff {
    let fps = &frags.fingerprints;
    let n = m.items.len();
    let current: HashMap<String, usize> = (0..n).map(|i| (item_key(m, i), i)).collect();
    let mut items_to_cancel: Vec<String> = held
        .items
        .iter()
        .filter(|(k, r)| {
            held.items_wanting_labels.contains(*k)
                || current.get(*k).is_none_or(|&i| fps[i] != r.fingerprint)
        })
        .map(|(k, _)| k.clone())
        .collect();
    items_to_cancel.sort();
    let items_to_create: Vec<usize> = (0..n)
        .filter(|&i| {
            let key = item_key(m, i);
            held.items_wanting_labels.contains(&key)
                || held.items.get(&key).is_none_or(|r| r.fingerprint != fps[i])
        })
        .collect();
    let current_bags = frags.bags(m);
    let mut bags_to_cancel: Vec<String> = held
        .bags
        .iter()
        .filter(|(sid, r)| {
            held.bags_wanting_labels.contains(*sid)
                || current_bags.get(*sid).is_none_or(|(b, f)| {
                    *f != r.fingerprint
                        || m.bags[*b]
                            .items
                            .iter()
                            .any(|&i| held.items_wanting_labels.contains(&item_key(m, i)))
                })
        })
        .map(|(sid, _)| sid.clone())
        .collect();
    bags_to_cancel.sort();
    let cancelled: HashSet<&str> = bags_to_cancel.iter().map(String::as_str).collect();
    let mut bags_to_create: Vec<usize> = current_bags
        .iter()
        .filter(|(sid, (_, fp))| {
            cancelled.contains(sid.as_str())
                || held.bags.get(*sid).is_none_or(|r| &r.fingerprint != fp)
        })
        .map(|(_, (b, _))| *b)
        .collect();
    bags_to_create.sort_unstable();
    let loose_changed = m
        .loose_items()
        .any(|i| items_to_create.binary_search(&i).is_ok())
        || items_to_cancel
            .iter()
            .any(|k| current.get(k).is_none_or(|&i| m.items[i].bag.is_none()));
    let day_affected = held.day_id.is_some()
        && (held.day_wants_label
            || !bags_to_cancel.is_empty()
            || !bags_to_create.is_empty()
            || loose_changed
            || !create_day);
    let changes = describe_changes(&items_to_cancel, &items_to_create, m, &current, held);
    Diff {
        items_to_cancel,
        items_to_create,
        bags_to_cancel,
        bags_to_create,
        day_affected,
        changes,
    }
}

fn describe_changes(
    to_cancel: &[String],
    to_create: &[usize],
    m: &Mawb,
    current: &HashMap<String, usize>,
    held: &LedgerView,
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
        .filter(|k| !held.items.contains_key(k))
        .collect();
    let mut parts = Vec::new();
    for (what, keys) in [("changed", changed), ("removed", removed), ("new", added)] {
        if !keys.is_empty() {
            parts.push(format!("{} item(s) {what}: {}", keys.len(), list(keys)));
        }
    }
    parts.join("; ")
}

#[cfg(test)]
pub(super) mod tests;
