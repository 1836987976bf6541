//! getInfo: the account's mail items and bags not yet closed into a day nor picked up.

use super::Ctx;
use rusqlite::Connection;

use crate::state::{self, Db};
use mawb_wire::wire::{Answer, InfoResult, Status};

/// getInfo: the account's open items and bags, as `<mailItemInfo>` and `<bagInfo>`.
pub(super) fn get_info(conn: &Connection, ctx: &Ctx) -> Db<Answer> {
    let mut result = InfoResult {
        status: Status::ok(),
        ..Default::default()
    };
    for item in state::items_where(
        conn,
        ctx.account,
        "i.day IS NULL AND (i.bag IS NULL OR b.day IS NULL)",
    )? {
        let info = state::item_info(conn, &item)?;
        if info.status.as_deref() != Some("Picked Up") {
            result.items.push(info);
        }
    }
    for bag in state::bags_where(conn, ctx.account, "day IS NULL AND ?2 = ?2", 0)? {
        let info = state::bag_info(conn, &bag)?;
        if info.status.as_deref() != Some("Picked Up") {
            result.bags.push(info);
        }
    }
    Ok(Answer::Info(result))
}
