//! Labels in the ledger: which label of which item, bag or day is in the archive, which are void and
//! what replaced them, and which objects created with a label request still wait for theirs.
//!
//! A labelled parcel is not done until its decoded, checked label is in the archive: the item and its label
//! rows are recorded in one transaction, and an item whose label could not be archived is recorded with
//! `label_wanted` and no label row, so that the next run finds it ([`Ledger::wanting_labels`]) and gets
//! its label again.

use super::{now, LabelRow, Ledger, LedgerError};
use rusqlite::{params, OptionalExtension};

/// An object created by this ledger with a label request, and the label files recorded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelWanted {
    /// `item`, `bag` or `day`.
    pub entity: String,
    /// The item's key (its shipperItemId or tracking number), the bag's shipperBagId, or the day id.
    pub key: String,
    /// The id the label is filed under: tracking number, bagId or dayId.
    pub id: Option<String>,
    /// The archive files of its valid label (none: the label never reached the archive).
    pub files: Vec<String>,
}

impl Ledger {
    /// Records a label. An item label takes its item's shipperItemId, and replaces the void labels of
    /// that shipperItemId: their tracking numbers are returned (the labels to throw away).
    pub fn put_label(&self, row: &LabelRow) -> Result<Vec<String>, LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        let replaced = put_label_in(&tx, row)?;
        tx.commit()?;
        Ok(replaced)
    }

    pub fn labels(&self, mawb: &str) -> Result<Vec<LabelRow>, LedgerError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT mawb, entity, entity_id, file, format, sha256, bytes, shipper_item_id, void, replaced_by
             FROM labels WHERE mawb = ?1 ORDER BY file",
        )?;
        let rows = st
            .query_map([mawb], |r| {
                Ok(LabelRow {
                    mawb: r.get(0)?,
                    entity: r.get(1)?,
                    entity_id: r.get(2)?,
                    file: r.get(3)?,
                    format: r.get(4)?,
                    sha256: r.get(5)?,
                    bytes: r.get(6)?,
                    shipper_item_id: r.get(7)?,
                    void: r.get::<_, i64>(8)? != 0,
                    replaced_by: r.get(9)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records items ACP now holds together with the labels archived for them, in one transaction (an item
    /// is never recorded without the label it came with). Returns, per new label, the tracking numbers of
    /// the void labels it replaces.
    pub fn put_items_with_labels(
        &self,
        mawb: &str,
        rows: &[super::ItemRow],
        labels: &[LabelRow],
    ) -> Result<Vec<(String, Vec<String>)>, LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        super::put_items_in(&tx, mawb, rows)?;
        let mut replaced = Vec::new();
        for l in labels {
            let old = put_label_in(&tx, l)?;
            if !old.is_empty() {
                replaced.push((l.entity_id.clone(), old));
            }
        }
        tx.commit()?;
        Ok(replaced)
    }

    /// Records a bag ACP now holds with the label archived for it (if any), in one transaction.
    pub fn put_bag_with_label(
        &self,
        mawb: &str,
        row: &super::BagRow,
        labels: &[LabelRow],
    ) -> Result<(), LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        // Cached: a run records dozens of bags per MAWB, each in a transaction of its own.
        tx.prepare_cached(
            "INSERT INTO bags (mawb, shipper_bag_id, bag_id, fingerprint, label_wanted) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(mawb, shipper_bag_id) DO UPDATE SET bag_id = excluded.bag_id,
             fingerprint = excluded.fingerprint, label_wanted = excluded.label_wanted",
        )?
        .execute(params![mawb, row.shipper_bag_id, row.bag_id, row.fingerprint, row.label_wanted])?;
        for l in labels {
            put_label_in(&tx, l)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records the MAWB's day with the label archived for it (if any), in one transaction.
    pub fn put_day_with_label(
        &self,
        mawb: &str,
        day_id: &str,
        revision: u32,
        label_wanted: bool,
        labels: &[LabelRow],
    ) -> Result<(), LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute(
            "UPDATE mawbs SET day_id = ?2, day_revision = ?3, day_label_wanted = ?4, updated = ?5 WHERE mawb = ?1",
            params![mawb, day_id, revision, label_wanted, now()],
        )?;
        for l in labels {
            put_label_in(&tx, l)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The objects of `mawb` this ledger created with a label request, with the files of their valid labels.
    /// An entry with no file lacks its label; the caller checks that the files are in the archive.
    pub fn wanting_labels(&self, mawb: &str) -> Result<Vec<LabelWanted>, LedgerError> {
        let c = self.conn();
        let mut out = Vec::new();
        let files_of = |entity: &str, id: Option<&str>| -> Result<Vec<String>, rusqlite::Error> {
            let Some(id) = id else { return Ok(Vec::new()) };
            let mut st = c.prepare_cached(
                "SELECT file FROM labels WHERE mawb = ?1 AND entity = ?2 AND entity_id = ?3 AND void = 0 ORDER BY file",
            )?;
            let files = st
                .query_map(params![mawb, entity, id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(files)
        };
        let items: Vec<(String, Option<String>)> = {
            let mut st = c.prepare(
                "SELECT key, tracking_number FROM items WHERE mawb = ?1 AND label_wanted = 1 ORDER BY key",
            )?;
            let rows = st
                .query_map([mawb], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        };
        for (key, tn) in items {
            let files = files_of("item", tn.as_deref())?;
            out.push(LabelWanted {
                entity: "item".into(),
                key,
                id: tn,
                files,
            });
        }
        let bags: Vec<(String, String)> = {
            let mut st = c.prepare(
                "SELECT shipper_bag_id, bag_id FROM bags WHERE mawb = ?1 AND label_wanted = 1 ORDER BY shipper_bag_id",
            )?;
            let rows = st
                .query_map([mawb], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        };
        for (key, id) in bags {
            let files = files_of("bag", Some(&id))?;
            out.push(LabelWanted {
                entity: "bag".into(),
                key,
                id: Some(id),
                files,
            });
        }
        let day: Option<Option<String>> = c
            .query_row(
                "SELECT day_id FROM mawbs WHERE mawb = ?1 AND day_label_wanted = 1 AND day_id IS NOT NULL",
                [mawb],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(Some(id)) = day {
            let files = files_of("day", Some(&id))?;
            out.push(LabelWanted {
                entity: "day".into(),
                key: id.clone(),
                id: Some(id),
                files,
            });
        }
        Ok(out)
    }
}

/// [`Ledger::put_label`] inside a transaction of its caller.
fn put_label_in(
    tx: &rusqlite::Transaction<'_>,
    row: &LabelRow,
) -> Result<Vec<String>, rusqlite::Error> {
    let sid: Option<String> = if row.entity == "item" {
        tx.query_row(
            "SELECT shipper_item_id FROM items WHERE mawb = ?1 AND tracking_number = ?2",
            params![row.mawb, row.entity_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten()
    } else {
        None
    };
    tx.execute(
        "INSERT OR REPLACE INTO labels (mawb, entity, entity_id, file, format, sha256, bytes, created,
           shipper_item_id, void, replaced_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, NULL)",
        params![row.mawb, row.entity, row.entity_id, row.file, row.format, row.sha256, row.bytes, now(), sid],
    )?;
    let mut replaced = Vec::new();
    if let Some(sid) = &sid {
        {
            let mut st = tx.prepare(
                "SELECT DISTINCT entity_id FROM labels WHERE mawb = ?1 AND entity = 'item'
                   AND shipper_item_id = ?2 AND void = 1 AND replaced_by IS NULL AND entity_id != ?3",
            )?;
            replaced = st
                .query_map(params![row.mawb, sid, row.entity_id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
        }
        tx.execute(
            "UPDATE labels SET replaced_by = ?3 WHERE mawb = ?1 AND entity = 'item'
               AND shipper_item_id = ?2 AND void = 1 AND replaced_by IS NULL AND entity_id != ?3",
            params![row.mawb, sid, row.entity_id],
        )?;
    }
    Ok(replaced)
}
