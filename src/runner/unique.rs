//! Batch-wide uniqueness, one MAWB at a time: the problems [`validate::check_batch_uniqueness`] gives a
//! MAWB of a batch, found without holding the MAWBs before it.
//!
//! A tracking number or shipperItemId used twice in a batch is an error on every use after the first, so
//! a MAWB's problems depend only on the MAWBs before it in the batch. This keeps, for each key seen so far,
//! where it was first used (a few dozen bytes instead of the whole item), and asks
//! `check_batch_uniqueness` itself about the MAWB behind stand-ins of the first uses it repeats. The rule
//! and its messages stay in one place (`validate`); this file only decides what the rule is shown.

use crate::check::CheckedMawb;
use crate::model::{HawbFile, MailItem, Mawb, Origin};
use crate::problem::Problem;
use crate::validate;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a key was first used in the batch.
#[derive(Debug, Clone)]
struct FirstUse {
    /// The MAWB (its position in the batch) and the item (its position in the MAWB).
    mawb: usize,
    item: usize,
    file: usize,
    sheet: Arc<str>,
    row: u32,
}

/// The two keys unique in a batch, as `[trackingNumber, shipperItemId]`.
type Keys<T> = [T; 2];

/// Where trackingNumber and shipperItemId stand in [`Keys`].
const TRACKING_NUMBER: usize = 0;
const SHIPPER_ITEM_ID: usize = 1;

/// An item's keys, in [`Keys`] order.
fn keys_of(item: &MailItem) -> Keys<Option<&str>> {
    [
        item.tracking_number.as_deref(),
        item.shipper_item_id.as_deref(),
    ]
}

/// The first uses, in earlier MAWBs, of the keys a MAWB repeats, by (MAWB, item) of the first use: the
/// first use and the keys repeated.
type Repeated<'a> = BTreeMap<(usize, usize), (FirstUse, Keys<Option<&'a str>>)>;

/// What a MAWB's stand-in needs: its folder (for the message) and its files (the first use's file name).
#[derive(Debug, Clone)]
struct Shell {
    dir: PathBuf,
    files: Vec<HawbFile>,
}

/// The keys of the MAWBs seen so far, in batch order.
#[derive(Debug)]
pub(super) struct Seen {
    /// Where each key was first used, in [`Keys`] order.
    first: Keys<ahash::AHashMap<Box<str>, FirstUse>>,
    shells: Vec<Shell>,
    /// The MAWB numbers seen so far, with the MAWB (its position in the batch) that named each first.
    numbers: ahash::AHashMap<Box<str>, usize>,
}

impl Default for Seen {
    fn default() -> Seen {
        Seen {
            first: [ahash::AHashMap::new(), ahash::AHashMap::new()],
            shells: Vec::new(),
            numbers: ahash::AHashMap::new(),
        }
    }
}

impl Seen {
    /// The batch-uniqueness problems of `m`, the next MAWB of the batch (the same as
    /// `check_batch_uniqueness` over the whole batch gives it), and its keys remembered for the MAWBs after.
    pub(super) fn next(&mut self, m: &CheckedMawb) -> Vec<Problem> {
        let index = self.shells.len();
        // The first uses, in earlier MAWBs, of the keys this MAWB repeats: by MAWB, then item.
        let mut repeated: Repeated<'_> = BTreeMap::new();
        for item in &m.mawb.items {
            for (k, key) in keys_of(item).into_iter().enumerate() {
                let Some(first) = key.and_then(|key| self.first[k].get(key)) else {
                    continue;
                };
                let e = repeated
                    .entry((first.mawb, first.item))
                    .or_insert_with(|| (first.clone(), [None, None]));
                e.1[k] = key;
            }
        }
        let mut problems = match (repeated.is_empty(), m.mawb.items.first()) {
            (false, Some(template)) => {
                let stand_ins = self.stand_ins(&repeated, template);
                let mut batch: Vec<&Mawb> = stand_ins.iter().collect();
                batch.push(&m.mawb);
                validate::check_batch_uniqueness(&batch)
                    .pop()
                    .unwrap_or_default()
            }
            _ => validate::check_batch_uniqueness(&[&m.mawb])
                .pop()
                .unwrap_or_default(),
        };
        for (n, item) in m.mawb.items.iter().enumerate() {
            let first = || FirstUse {
                mawb: index,
                item: n,
                file: item.origin.file,
                sheet: Arc::clone(&item.origin.sheet),
                row: item.origin.row,
            };
            for (k, key) in keys_of(item).into_iter().enumerate() {
                if let Some(key) = key.filter(|key| !self.first[k].contains_key(*key)) {
                    self.first[k].insert(key.into(), first());
                }
            }
        }
        // The stand-ins carry no mawb.toml: the MAWB numbers of the batch are remembered here.
        if let Some(number) = validate::mawb_number_of(&m.mawb) {
            match self.numbers.get(number) {
                Some(&first) => {
                    problems.push(validate::mawb_used_twice(number, &self.shells[first].dir))
                }
                None => {
                    self.numbers.insert(number.into(), index);
                }
            }
        }
        self.shells.push(Shell {
            dir: m.mawb.dir.clone(),
            files: m.mawb.files.clone(),
        });
        problems
    }

    /// Whether a MAWB seen so far uses `id` as its trackingNumber or shipperItemId (`column`).
    pub(super) fn knows(&self, column: crate::ledger::ItemIdColumn, id: &str) -> bool {
        let key = match column {
            crate::ledger::ItemIdColumn::TrackingNumber => TRACKING_NUMBER,
            crate::ledger::ItemIdColumn::ShipperItemId => SHIPPER_ITEM_ID,
        };
        self.first[key].contains_key(id)
    }

    /// One stand-in MAWB per earlier MAWB holding first uses of `repeated`: its folder and files, and an
    /// item per first use carrying only the keys repeated (so stand-ins never repeat each other).
    fn stand_ins(&self, repeated: &Repeated<'_>, template: &MailItem) -> Vec<Mawb> {
        let mut out: Vec<Mawb> = Vec::new();
        let mut last = None;
        for ((mawb, _), (first, [tracking, shipper_item_id])) in repeated {
            if last != Some(*mawb) {
                let shell = &self.shells[*mawb];
                out.push(Mawb {
                    dir: shell.dir.clone(),
                    config: None,
                    image: None,
                    files: shell.files.clone(),
                    items: Vec::new(),
                    bags: Vec::new(),
                });
                last = Some(*mawb);
            }
            let mut item = template.clone();
            item.origin = Origin {
                file: first.file,
                sheet: Arc::clone(&first.sheet),
                row: first.row,
            };
            item.tracking_number = tracking.map(Into::into);
            item.shipper_item_id = shipper_item_id.map(Into::into);
            item.products = Vec::new();
            item.late_rows = Vec::new();
            if let Some(m) = out.last_mut() {
                m.items.push(item);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Totals;
    use crate::model::{field::Field, filetype::FileKind};

    /// An item of file `file`, row `row`, with the given keys (`""`: none).
    fn item(file: usize, row: u32, tracking: &str, sid: &str) -> MailItem {
        let key = |k: &str| (!k.is_empty()).then(|| k.into());
        let mut item = MailItem::at(Origin {
            file,
            sheet: Arc::from("Sheet1"),
            row,
        });
        item.tracking_number = key(tracking);
        item.shipper_item_id = key(sid);
        item
    }

    fn mawb(folder: &str, items: Vec<MailItem>) -> CheckedMawb {
        let file = |name: &str| HawbFile {
            path: PathBuf::from(folder).join(name),
            name: name.into(),
            kind: FileKind::Text,
            sheets_read: vec!["Sheet1".into()],
            sheets_skipped: Vec::new(),
            rows: 0,
        };
        CheckedMawb {
            mawb: Mawb {
                dir: PathBuf::from("batch").join(folder),
                config: None,
                image: None,
                files: vec![file("a.csv"), file("b.csv")],
                items,
                bags: Vec::new(),
            },
            totals: Totals::default(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn one_mawb_at_a_time_gives_what_the_whole_batch_gives() {
        let mut late = item(1, 9, "T5", "S5");
        late.late_rows = vec![(Field::ShipperItemId, 11)];
        let batch = [
            // Within one MAWB: T1 twice.
            mawb(
                "m0",
                vec![
                    item(0, 2, "T1", "S1"),
                    item(0, 3, "T1", ""),
                    item(1, 2, "T2", "S2"),
                ],
            ),
            // T2 and S1 of m0 again (on one item and on two), a new key, a shipperItemId-only item.
            mawb(
                "m1",
                vec![
                    item(0, 2, "T2", "S1"),
                    item(0, 4, "T3", "S2"),
                    item(0, 5, "", "S3"),
                ],
            ),
            // Nothing repeated.
            mawb("m2", vec![item(0, 2, "T4", "S4"), late]),
            // Keys of three earlier MAWBs, a key used a third time, and S5 (its first use on a later row).
            mawb(
                "m3",
                vec![
                    item(1, 2, "T1", "S3"),
                    item(1, 3, "T4", "S5"),
                    item(1, 4, "T2", ""),
                    item(1, 5, "T6", "S6"),
                    item(1, 6, "T6", "S6"),
                ],
            ),
            mawb("m4", Vec::new()),
        ];
        let refs: Vec<&Mawb> = batch.iter().map(|m| &m.mawb).collect();
        let whole = validate::check_batch_uniqueness(&refs);
        let mut seen = Seen::default();
        let one_at_a_time: Vec<Vec<Problem>> = batch.iter().map(|m| seen.next(m)).collect();
        assert_eq!(one_at_a_time, whole);
        let counts: Vec<usize> = whole.iter().map(Vec::len).collect();
        assert_eq!(counts, [1, 3, 0, 7, 0], "{whole:#?}");
        let sid = crate::ledger::ItemIdColumn::ShipperItemId;
        assert!(seen.knows(sid, "S6") && !seen.knows(sid, "S7"));
    }

    #[test]
    fn a_mawb_number_named_by_an_earlier_folder_is_refused_on_every_later_one() {
        let numbered = |folder: &str, number: Option<&str>, items| {
            let mut m = mawb(folder, items);
            m.mawb.config = number.map(|n| crate::model::MawbConfig {
                manifest_number: n.into(),
                ..Default::default()
            });
            m
        };
        let batch = [
            numbered("a", Some("112-44995451"), vec![item(0, 2, "T1", "S1")]),
            numbered("b", Some("112-44995462"), vec![item(0, 2, "T2", "S2")]),
            numbered("c", None, vec![item(0, 2, "T3", "S3")]),
            // a's number again, and a's tracking number: both reported, the number last.
            numbered("d", Some("112-44995451"), vec![item(0, 2, "T1", "S4")]),
            numbered("e", Some("112-44995451"), Vec::new()),
        ];
        let refs: Vec<&Mawb> = batch.iter().map(|m| &m.mawb).collect();
        let whole = validate::check_batch_uniqueness(&refs);
        let mut seen = Seen::default();
        let one_at_a_time: Vec<Vec<Problem>> = batch.iter().map(|m| seen.next(m)).collect();
        assert_eq!(one_at_a_time, whole);
        let codes = |ps: &[Problem]| ps.iter().map(|p| p.code).collect::<Vec<_>>();
        assert!(whole[..3].iter().all(Vec::is_empty), "{whole:#?}");
        assert_eq!(
            codes(&whole[3]),
            ["duplicate-tracking-number", "duplicate-mawb"]
        );
        assert_eq!(codes(&whole[4]), ["duplicate-mawb"]);
        let p = &whole[4][0];
        assert_eq!(p.file, "mawb.toml");
        assert_eq!(p.column.as_deref(), Some("manifest_number"));
        assert!(
            p.message.contains("MAWB 112-44995451") && p.message.contains("batch/a"),
            "{}",
            p.message
        );
    }
}
