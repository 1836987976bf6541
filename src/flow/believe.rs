//! What an answer must look like before the ledger records it as done.
//!
//! The answer reader already refuses what is not ACP's XML (entity declarations, undeclared entities,
//! redirects, bodies that are not XML). What it reads is then believed only when it says so in a form ACP
//! uses: `<result>ok</result>` with no error type beside it, and every id ACP assigns (tracking number,
//! bagId, dayId, manifestId) with the shape of an id: 1 to 64 characters, ASCII letters, digits, `-`, `_`
//! or `.` (the ids of the ACP Shipper API document's examples, such as `1000001234567890` and
//! `1ZWE31190196785492`, and of every carrier's tracking numbers). An id echoed back (shipperItemId, the
//! tracking number sent with a label=0 item) must be the one sent. Anything else is not recorded: the
//! object is looked for again on the next run (a repeated create meets `conflict` and adopts ACP's real
//! object), and an id of that kind left in the ledger by an earlier version is forgotten the same way.

use crate::acp::wire::Status;

/// Longest id mawb believes (ACP's ids in its examples are 16 to 22 characters).
pub const MAX_ID_CHARS: usize = 64;

/// `Ok` when `id` has the shape of an id ACP assigns; `Err` says why not, naming `what` it is.
pub fn plausible_id(what: &str, id: &str) -> Result<(), String> {
    let shown: String = id.chars().take(40).collect();
    if id.is_empty() {
        return Err(format!("ACP's answer gave an empty {what}"));
    }
    if id.chars().count() > MAX_ID_CHARS {
        return Err(format!(
            "ACP's answer gave a {what} of {} characters (\"{shown}…\"), not an id",
            id.chars().count()
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "ACP's answer gave the {what} \"{shown}\", which holds {c:?}: not the shape of an ACP id"
        ));
    }
    Ok(())
}

/// Whether a status says `ok` in a form ACP uses: `<result>ok</result>` and no error type beside it.
pub fn says_ok(st: &Status) -> bool {
    st.ok
        && st
            .error_type
            .as_ref()
            .is_none_or(|t| t.as_str().trim().is_empty())
}

/// `Ok` when the id echoed in an answer (`answered`) is the one sent (`sent`), or the answer did not echo
/// it.
pub fn same_as_sent(what: &str, sent: Option<&str>, answered: Option<&str>) -> Result<(), String> {
    match (sent, answered.map(str::trim).filter(|a| !a.is_empty())) {
        (Some(s), Some(a)) if s != a => Err(format!(
            "ACP's answer names {what} \"{}\" for the one sent as \"{s}\"",
            a.chars().take(40).collect::<String>()
        )),
        _ => Ok(()),
    }
}

impl super::Run<'_, '_> {
    /// Forgets the ids of this MAWB that an earlier version recorded from answers it should not have
    /// believed (an id that is not the shape of one, such as `&lol9;`): the objects are then looked for
    /// again, and a repeated create adopts ACP's real one. Returns how many records were forgotten.
    pub(super) fn forget_unbelievable(&self) -> Result<usize, super::Stop> {
        let ledger = &*self.ctx.services.ledger;
        let mut forgotten = Vec::new();
        let items: Vec<String> = ledger
            .items(&self.mawb)?
            .into_values()
            .filter(|r| {
                r.tracking_number
                    .as_deref()
                    .is_some_and(|t| plausible_id("tracking number", t).is_err())
            })
            .map(|r| r.key)
            .collect();
        if !items.is_empty() {
            ledger.remove_items(&self.mawb, &items)?;
            forgotten.extend(items.iter().map(|k| format!("item {k}")));
        }
        for b in ledger.bags(&self.mawb)?.into_values() {
            if plausible_id("bagId", &b.bag_id).is_err() {
                ledger.remove_bag(&self.mawb, &b.shipper_bag_id)?;
                forgotten.push(format!("bag {}", b.shipper_bag_id));
            }
        }
        if let Some(row) = ledger.mawb(&self.mawb)? {
            if row
                .manifest_id
                .as_deref()
                .is_some_and(|m| plausible_id("manifestId", m).is_err())
            {
                ledger.clear_manifest(&self.mawb)?;
                forgotten.push("its manifest".into());
            }
            if row
                .day_id
                .as_deref()
                .is_some_and(|d| plausible_id("dayId", d).is_err())
            {
                ledger.set_day(&self.mawb, None, row.day_revision)?;
                forgotten.push("its day".into());
            }
        }
        if !forgotten.is_empty() {
            tracing::warn!(mawb = %self.mawb, "the ledger held ids ACP cannot have given ({}); they are forgotten and looked for again at ACP", forgotten.join(", "));
        }
        Ok(forgotten.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acp::wire::ErrorType;

    #[test]
    fn ids_of_acps_shape_are_believed() {
        for id in [
            "1000001234567890",
            "1ZWE31190196785492",
            "M-2026.11_01",
            "9",
        ] {
            assert_eq!(plausible_id("bagId", id), Ok(()), "{id}");
        }
    }

    #[test]
    fn entities_markup_spaces_and_floods_are_not_ids() {
        for id in [
            "&lol9;",
            "lol<b>",
            "1Z 999",
            "",
            "FORGED\u{202e}1",
            &"9".repeat(65),
        ] {
            let e = plausible_id("tracking number", id).unwrap_err();
            assert!(e.contains("tracking number"), "{e}");
        }
        let e = plausible_id("manifestId", &"x".repeat(1000)).unwrap_err();
        assert!(e.len() < 200, "the message is bounded: {e}");
    }

    #[test]
    fn ok_with_an_error_type_beside_it_is_not_ok() {
        assert!(says_ok(&Status::ok()));
        let mut st = Status::ok();
        st.error_type = Some(ErrorType::Invalid);
        assert!(!says_ok(&st));
        assert!(!says_ok(&Status::error(ErrorType::Conflict, "x")));
    }

    #[test]
    fn an_echoed_id_must_be_the_one_sent() {
        assert_eq!(
            same_as_sent("shipperItemId", Some("A1"), Some("A1")),
            Ok(())
        );
        assert_eq!(same_as_sent("shipperItemId", Some("A1"), None), Ok(()));
        assert_eq!(same_as_sent("shipperItemId", None, Some("B2")), Ok(()));
        let e = same_as_sent("shipperItemId", Some("A1"), Some("FORGED1")).unwrap_err();
        assert!(e.contains("FORGED1") && e.contains("A1"), "{e}");
    }
}
