//! Batch-wide uniqueness: a tracking number, a shipperItemId or a MAWB number used twice in one batch is an
//! error on every use after the first (the first use may already be on its way to ACP when a streaming run
//! meets the second: see `runner::unique`).

use crate::ingest::columns::Field;
use crate::ingest::config::MAWB_TOML;
use crate::model::*;
use crate::problem::*;
use std::path::Path;

/// The MAWB number of `mawb` (from its mawb.toml), when it has a valid one.
pub fn mawb_number_of(mawb: &Mawb) -> Option<&str> {
    mawb.config.as_ref().map(|c| c.manifest_number.as_str())
}

/// The `duplicate-mawb` error of a folder whose MAWB number `number` an earlier folder of the batch,
/// `first_folder`, already names: the two would be one manifest at ACP, each run undoing the other's.
pub fn mawb_used_twice(number: &str, first_folder: &Path) -> Problem {
    Problem::new(
        &DUPLICATE_MAWB,
        MAWB_TOML,
        format!(
            "MAWB {number} is also the manifest_number of folder {} in this batch: one MAWB is one folder. \
             Put all of its HAWB files in one folder, or correct manifest_number in one of them",
            first_folder.display()
        ),
    )
    .column("manifest_number")
}

/// Batch-wide uniqueness: a tracking number or shipper item id used twice anywhere in the batch is an
/// error on every use after the first, and so is a MAWB number named by two folders
/// ([`mawb_used_twice`]). Returns the problems per MAWB (by index).
pub fn check_batch_uniqueness(mawbs: &[&Mawb]) -> Vec<Vec<Problem>> {
    let mut out = vec![Vec::new(); mawbs.len()];
    for (field, rule, get) in [
        (
            Field::TrackingNumber,
            &DUPLICATE_TRACKING,
            (|i: &MailItem| i.tracking_number.as_deref()) as fn(&MailItem) -> Option<&str>,
        ),
        (
            Field::ShipperItemId,
            &DUPLICATE_SHIPPER_ITEM_ID,
            |i: &MailItem| i.shipper_item_id.as_deref(),
        ),
    ] {
        let items: usize = mawbs.iter().map(|m| m.items.len()).sum();
        let mut seen: ahash::AHashMap<&str, (usize, usize)> = ahash::AHashMap::with_capacity(items);
        for (m, mawb) in mawbs.iter().enumerate() {
            for (n, item) in mawb.items.iter().enumerate() {
                let Some(key) = get(item) else { continue };
                // One hash and one probe per key: the first use is kept, a later one reported.
                match seen.entry(key) {
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert((m, n));
                    }
                    std::collections::hash_map::Entry::Occupied(o) => {
                        let (fm, fn_) = *o.get();
                        let first = &mawbs[fm].items[fn_];
                        let first_file = mawbs[fm]
                            .files
                            .get(first.origin.file)
                            .map(|f| f.name.as_str())
                            .unwrap_or("?");
                        let place = if fm == m {
                            format!("{first_file} row {}", first.origin.row)
                        } else {
                            format!("{} in MAWB folder {}", first_file, mawbs[fm].folder_name())
                        };
                        let file = mawb
                            .files
                            .get(item.origin.file)
                            .map(|f| f.name.clone())
                            .unwrap_or_default();
                        out[m].push(
                            Problem::new(
                                rule,
                                file,
                                format!(
                                    "{} {key} is already used by an item at {place}",
                                    field.name()
                                ),
                            )
                            .sheet(&*item.origin.sheet)
                            .at(item.row_of(field))
                            .column(field.name()),
                        );
                    }
                }
            }
        }
    }
    let mut numbers: ahash::AHashMap<&str, usize> = ahash::AHashMap::with_capacity(mawbs.len());
    for (m, mawb) in mawbs.iter().enumerate() {
        let Some(number) = mawb_number_of(mawb) else {
            continue;
        };
        if let Some(&first) = numbers.get(number) {
            out[m].push(mawb_used_twice(number, &mawbs[first].dir));
        } else {
            numbers.insert(number, m);
        }
    }
    out
}
