//! The `GET /_admin/objects` view: every account's items, bags, days and manifests as JSON.

use super::manifest::manifest_info;
use super::Ctx;
use crate::state::{self, Db, Store, KIND_BAG, KIND_DAY};
use mawb_wire::wire;

/// Every account's objects as JSON, for `GET /_admin/objects`.
pub fn objects_json(store: &Store) -> Db<serde_json::Value> {
    use serde_json::json;
    let conn = &store.conn;
    let accounts = state::accounts(conn)?;
    let params = wire::Params::default();
    let mut out = Vec::new();
    for (account, fingerprint) in accounts {
        let ctx = Ctx {
            account,
            params: &params,
            now: String::new(),
        };
        let day_ids = |d: Option<i64>| -> Db<Option<String>> {
            Ok(d.map(|d| state::day_by_row(conn, d))
                .transpose()?
                .flatten()
                .map(|d| d.day_id))
        };
        let mut items = Vec::new();
        for i in state::items_where(conn, account, "1 = 1")? {
            items.push(json!({
                "trackingNumber": i.tracking_number,
                "shipperItemId": i.shipper_item_id,
                "bagId": i.bag_id,
                "dayId": day_ids(i.effective_day())?,
                "status": state::item_status(conn, &i)?,
                "weight": i.weight,
                "value": i.value,
                "currency": i.currency,
            }));
        }
        let mut bags = Vec::new();
        for b in state::bags_where(conn, account, "?2 = ?2", 0)? {
            bags.push(json!({
                "bagId": b.bag_id,
                "shipperBagId": b.shipper_bag_id,
                "dayId": day_ids(b.day)?,
                "items": state::items_of_unit(conn, KIND_BAG, b.id)?.len(),
                "status": state::bag_status(conn, &b)?,
            }));
        }
        let mut days = Vec::new();
        for d in state::days_of(conn, account)? {
            days.push(json!({
                "dayId": d.day_id,
                "shipperDayId": d.shipper_day_id,
                "bags": state::bags_of_unit(conn, KIND_DAY, d.id)?.len(),
                "items": state::items_of_unit(conn, KIND_DAY, d.id)?.len(),
                "status": state::day_status(conn, &d)?,
            }));
        }
        let ids = state::manifests_of(conn, account)?;
        let mut manifests = Vec::new();
        for id in ids {
            let Some(row) = state::manifest_by_row(conn, id)? else {
                continue;
            };
            let contents = state::manifest_contents(conn, id)?;
            let info = manifest_info(&ctx, &row, &contents);
            manifests.push(json!({
                "manifestId": row.manifest_id,
                "userManifestId": row.user_manifest_id,
                "manifestNumber": row.manifest_number,
                "sent": row.sent,
                "units": contents.parts.iter().map(|p| p.part.units.clone()).collect::<Vec<_>>(),
                "numItems": contents.items.len(),
                "numBags": contents.bags.len(),
                "numDays": contents.days.len(),
                "numParts": contents.parts.len(),
                "weight": info.weight,
            }));
        }
        out.push(json!({
            "account": fingerprint.get(..12).unwrap_or(&fingerprint),
            "items": items,
            "bags": bags,
            "days": days,
            "manifests": manifests,
        }));
    }
    Ok(json!({ "accounts": out }))
}
