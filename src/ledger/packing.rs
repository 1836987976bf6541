//! The packing order in the ledger: which bag each parcel travels in and what it weighs, in the order
//! labels are printed (`mawb labels`), recorded by every run from the folder as it saw it.

use super::{Ledger, LedgerError};
use rusqlite::params;
use serde::Serialize;

/// One parcel of a MAWB in packing order, as the folder last run described it: which bag it travels in
/// and what it weighs. The position in the list [`Ledger::packing`] returns is the packing order: each bag's
/// parcels in bag order (bags in the order the folder first names them), then the loose parcels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackingRow {
    /// The item's key in the ledger (trackingNumber, else shipperItemId): joins to its tracking number.
    pub item_key: String,
    /// The warehouse's bag id (the `bag` column); None for a loose parcel.
    pub bag: Option<String>,
    /// The bag's shipperBagId (`<MAWB>-<bag>`, see `plan::shipper_bag_id`); None when loose.
    pub shipper_bag_id: Option<String>,
    /// The parcel's weight in kg, as sent to ACP (3 decimals); None when the folder gave none.
    pub weight_kg: Option<rust_decimal::Decimal>,
}

impl Ledger {
    /// Replaces the packing order of a MAWB (see [`PackingRow`]) with `rows`, in one transaction.
    pub fn put_packing(&self, mawb: &str, rows: &[PackingRow]) -> Result<(), LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute("DELETE FROM packing WHERE mawb = ?1", [mawb])?;
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO packing (mawb, seq, item_key, bag, shipper_bag_id, weight_kg)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (seq, r) in rows.iter().enumerate() {
                st.execute(params![
                    mawb,
                    seq as i64,
                    r.item_key,
                    r.bag,
                    r.shipper_bag_id,
                    r.weight_kg.map(|w| w.to_string())
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The packing order of a MAWB as last recorded (empty when no run of this version recorded one).
    /// A stored weight that is not a number (a hand-edited ledger) reads as None.
    pub fn packing(&self, mawb: &str) -> Result<Vec<PackingRow>, LedgerError> {
        let c = self.conn();
        let mut st = c.prepare(
            "SELECT item_key, bag, shipper_bag_id, weight_kg FROM packing WHERE mawb = ?1 ORDER BY seq",
        )?;
        let rows = st
            .query_map([mawb], |r| {
                let weight: Option<String> = r.get(3)?;
                Ok(PackingRow {
                    item_key: r.get(0)?,
                    bag: r.get(1)?,
                    shipper_bag_id: r.get(2)?,
                    weight_kg: weight.and_then(|w| w.parse().ok()),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
