//! Which labels are printed, and in what order: the packing order the ledger recorded, applied to the
//! valid labels of the index, narrowed to a selection (see the module doc of `print` for the rules).

use super::source::IndexRow;
use super::{Selection, VoidAsked};
use crate::ledger::{Ledger, LedgerError};
use crate::model::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One parcel of the packing order, with what the ledger knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parcel {
    /// Its key in the folder (trackingNumber, else shipperItemId).
    pub key: String,
    /// Its tracking number (its own, or the one ACP assigned); None when ACP does not hold it.
    pub tracking: Option<String>,
    pub shipper_item_id: Option<String>,
    pub weight_kg: Option<Decimal>,
}

/// One bag of the packing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BagGroup {
    /// The warehouse's bag id (the `bag` column).
    pub bag: String,
    pub shipper_bag_id: String,
    /// ACP's bag id, once the bag was created.
    pub bag_id: Option<String>,
    pub parcels: Vec<Parcel>,
}

impl BagGroup {
    /// The bag's weight in kg: the sum of its parcels' (those without a weight count zero).
    pub fn weight_kg(&self) -> Decimal {
        self.parcels.iter().filter_map(|p| p.weight_kg).sum()
    }

    /// Whether `id` names this bag: its spreadsheet bag, shipperBagId or ACP bag id.
    fn is_named(&self, id: &str) -> bool {
        self.bag == id || self.shipper_bag_id == id || self.bag_id.as_deref() == Some(id)
    }
}

/// The packing order of a MAWB as the ledger recorded it: bags in order, then the loose parcels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PackingView {
    pub bags: Vec<BagGroup>,
    pub loose: Vec<Parcel>,
}

impl PackingView {
    /// Reads the packing order, the items' tracking numbers and the bags' ids of `mawb` from the ledger.
    pub fn from_ledger(ledger: &Ledger, mawb: &str) -> Result<PackingView, LedgerError> {
        let rows = ledger.packing(mawb)?;
        let items = ledger.items(mawb)?;
        let bag_ids = ledger.bags(mawb)?;
        let mut view = PackingView::default();
        let mut bag_of: HashMap<String, usize> = HashMap::new();
        for r in rows {
            let item = items.get(&r.item_key);
            let parcel = Parcel {
                tracking: item.and_then(|i| i.tracking_number.clone()),
                shipper_item_id: item.and_then(|i| i.shipper_item_id.clone()),
                weight_kg: r.weight_kg,
                key: r.item_key,
            };
            match (r.bag, r.shipper_bag_id) {
                (Some(bag), Some(sid)) => {
                    let n = *bag_of.entry(sid.clone()).or_insert_with(|| {
                        view.bags.push(BagGroup {
                            bag,
                            bag_id: bag_ids.get(&sid).map(|b| b.bag_id.clone()),
                            shipper_bag_id: sid,
                            parcels: Vec::new(),
                        });
                        view.bags.len() - 1
                    });
                    view.bags[n].parcels.push(parcel);
                }
                _ => view.loose.push(parcel),
            }
        }
        Ok(view)
    }

    /// Whether no packing order is recorded.
    pub fn is_empty(&self) -> bool {
        self.bags.is_empty() && self.loose.is_empty()
    }
}

/// What an archived label belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Owner {
    Item,
    Bag,
    Day,
}

/// One archived label: every file of one item, bag or day (two for a FedEx item sent as a zip of PNGs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelGroup {
    pub owner: Owner,
    /// Tracking number, bag id or day id.
    pub id: String,
    pub shipper_item_id: Option<String>,
    /// The shipperBagId of the bag it belongs to (a bag label, or a parcel in a bag).
    pub shipper_bag_id: Option<String>,
    /// Its files in `labels.zip`, first part first.
    pub parts: Vec<IndexRow>,
}

impl LabelGroup {
    /// How messages name it: "parcel 1Z…", "bag 123", "end-of-day label 456".
    pub fn describe(&self) -> String {
        match self.owner {
            Owner::Item => format!("parcel {}", self.id),
            Owner::Bag => format!("bag {}", self.id),
            Owner::Day => format!("end-of-day label {}", self.id),
        }
    }

    /// The index's `kind` of its pages.
    pub fn kind(&self) -> &'static str {
        match self.owner {
            Owner::Item => "parcel-label",
            Owner::Bag => "bag-label",
            Owner::Day => "day-label",
        }
    }
}

/// One thing printed, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A label: an index into [`Plan::groups`].
    Label(usize),
    /// A bag's packing list: an index into [`Plan::bags`].
    Packing(usize),
}

/// The labels to print, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub groups: Vec<LabelGroup>,
    pub bags: Vec<BagGroup>,
    /// The loose parcels of the packing order.
    pub loose: Vec<Parcel>,
    pub pieces: Vec<Piece>,
    /// For each bag of [`Plan::bags`], its labels (bag and parcels) among [`Plan::groups`].
    pub bag_members: Vec<Vec<usize>>,
    pub void_skipped: usize,
    /// Every valid label is printed (no selection).
    pub whole: bool,
    pub unmatched: Vec<String>,
    pub void_asked: Vec<VoidAsked>,
}

/// The trailing part number of a label file (`item-1Z-2.png` is part 2), for ordering the parts of a
/// FedEx item; a file without one comes first.
fn part_number(file: &str) -> u32 {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    stem.rsplit_once('-')
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

/// Groups the valid labels of the index by owner and id (parts in order); counts the void ones.
fn group_labels(index: &[IndexRow]) -> (Vec<LabelGroup>, usize) {
    let mut groups: BTreeMap<(Owner, String), LabelGroup> = BTreeMap::new();
    let mut void = 0;
    for row in index {
        if row.void {
            void += 1;
            continue;
        }
        let owner = match row.entity.as_str() {
            "bag" => Owner::Bag,
            "day" => Owner::Day,
            _ => Owner::Item,
        };
        groups
            .entry((owner, row.id.clone()))
            .or_insert_with(|| LabelGroup {
                owner,
                id: row.id.clone(),
                shipper_item_id: row.shipper_item_id.clone(),
                shipper_bag_id: None,
                parts: Vec::new(),
            })
            .parts
            .push(row.clone());
    }
    let mut out: Vec<LabelGroup> = groups.into_values().collect();
    for g in &mut out {
        g.parts
            .sort_by(|a, b| (part_number(&a.file), &a.file).cmp(&(part_number(&b.file), &b.file)));
    }
    (out, void)
}

/// The full order of the valid labels (see the module doc), then narrowed to `selection`.
pub(crate) fn plan(index: &[IndexRow], packing: &PackingView, selection: &Selection) -> Plan {
    let (mut groups, void_skipped) = group_labels(index);
    let by_id: HashMap<(Owner, &str), usize> = groups
        .iter()
        .enumerate()
        .map(|(n, g)| ((g.owner, g.id.as_str()), n))
        .collect();
    let find = |owner: Owner, id: &str| by_id.get(&(owner, id)).copied();
    let mut used: HashSet<usize> = HashSet::new();
    // Each piece with the bag whose group it belongs to.
    let mut ordered: Vec<(Piece, Option<usize>)> = Vec::new();
    let mut bag_members = Vec::with_capacity(packing.bags.len());
    // The shipperBagId of each label in a bag, set once the lookups are done.
    let mut in_bag: Vec<(usize, &str)> = Vec::new();
    for (b, bag) in packing.bags.iter().enumerate() {
        let bag_label = bag
            .bag_id
            .as_deref()
            .and_then(|id| find(Owner::Bag, id))
            .filter(|g| used.insert(*g));
        let mut parcels = Vec::new();
        for p in &bag.parcels {
            if let Some(g) = p.tracking.as_deref().and_then(|t| find(Owner::Item, t)) {
                if used.insert(g) {
                    parcels.push(g);
                }
            }
        }
        let members: Vec<usize> = bag_label.iter().chain(&parcels).copied().collect();
        in_bag.extend(members.iter().map(|&g| (g, bag.shipper_bag_id.as_str())));
        if !members.is_empty() {
            if let Some(g) = bag_label {
                ordered.push((Piece::Label(g), Some(b)));
            }
            ordered.push((Piece::Packing(b), Some(b)));
            ordered.extend(parcels.iter().map(|&g| (Piece::Label(g), Some(b))));
        }
        bag_members.push(members);
    }
    for p in &packing.loose {
        if let Some(g) = p.tracking.as_deref().and_then(|t| find(Owner::Item, t)) {
            if used.insert(g) {
                ordered.push((Piece::Label(g), None));
            }
        }
    }
    // Labels the packing order does not name: items, then bags, then the day (groups are sorted so).
    for g in 0..groups.len() {
        if !used.contains(&g) {
            ordered.push((Piece::Label(g), None));
        }
    }
    let (pieces, bag_of_piece): (Vec<Piece>, Vec<Option<usize>>) = ordered.into_iter().unzip();
    drop(by_id);
    for (g, sid) in in_bag {
        groups[g].shipper_bag_id = Some(sid.to_string());
    }
    let mut plan = Plan {
        groups,
        bags: packing.bags.clone(),
        loose: packing.loose.clone(),
        pieces,
        bag_members,
        void_skipped,
        whole: selection.is_all(),
        ..Plan::default()
    };
    if !selection.is_all() {
        narrow(&mut plan, &bag_of_piece, index, selection);
    }
    plan
}

/// Keeps the pieces `selection` names, in order; records the ids that name nothing, or a void label.
fn narrow(
    plan: &mut Plan,
    bag_of_piece: &[Option<usize>],
    index: &[IndexRow],
    selection: &Selection,
) {
    let mut keep_label: HashSet<usize> = HashSet::new();
    let mut keep_bag: HashSet<usize> = HashSet::new();
    for t in &selection.tracking {
        match plan
            .groups
            .iter()
            .position(|g| g.owner == Owner::Item && &g.id == t)
        {
            Some(g) => {
                keep_label.insert(g);
            }
            None => match index
                .iter()
                .find(|r| r.void && r.entity == "item" && &r.id == t)
            {
                Some(r) => plan.void_asked.push(VoidAsked {
                    tracking_number: t.clone(),
                    replaced_by: r.replaced_by.clone(),
                }),
                None => plan.unmatched.push(t.clone()),
            },
        }
    }
    for id in &selection.bags {
        match plan.bags.iter().position(|b| b.is_named(id)) {
            Some(b) => {
                keep_bag.insert(b);
            }
            // A bag label without a recorded packing order is still found by ACP's bag id.
            None => match plan
                .groups
                .iter()
                .position(|g| g.owner == Owner::Bag && &g.id == id)
            {
                Some(g) => {
                    keep_label.insert(g);
                }
                None => plan.unmatched.push(id.clone()),
            },
        }
    }
    let pieces = std::mem::take(&mut plan.pieces);
    plan.pieces = pieces
        .into_iter()
        .zip(bag_of_piece)
        .filter(|(piece, bag)| {
            bag.is_some_and(|b| keep_bag.contains(&b))
                || matches!(piece, Piece::Label(g) if keep_label.contains(g))
        })
        .map(|(piece, _)| piece)
        .collect();
}
