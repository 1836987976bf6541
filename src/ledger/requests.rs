//! The request log in the ledger: every request recorded before it is sent and completed with its result
//! after (the exactly-once order `flow::send` follows), and what later runs ask of it (requests that
//! ended without an answer, a manifest cancelled and not created again).

use super::{now, Ledger, LedgerError};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// One request as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRow {
    pub id: i64,
    pub mawb: String,
    pub command: String,
    pub detail: String,
    pub status: String,
    pub summary: Option<String>,
    pub data_bytes: i64,
    pub attempts: i64,
    pub started: String,
    pub finished: Option<String>,
}

impl Ledger {
    /// Records a request about to be sent; returns its id for [`Ledger::finish_request`].
    pub fn begin_request(
        &self,
        mawb: &str,
        command: &str,
        detail: &str,
        data_bytes: usize,
    ) -> Result<i64, LedgerError> {
        let c = self.conn();
        // Cached: every request of a run passes here and through finish_request.
        c.prepare_cached(
            "INSERT INTO requests (mawb, command, detail, status, data_bytes, started) VALUES (?1, ?2, ?3, 'sending', ?4, ?5)",
        )?
        .execute(params![mawb, command, detail, data_bytes as i64, now()])?;
        Ok(c.last_insert_rowid())
    }

    /// Records the result of a request: `answered`, `refused` (ACP created nothing), `unreached` (never
    /// connected) or `transport-error` (no answer: ACP may hold what it created).
    pub fn finish_request(
        &self,
        id: i64,
        status: &str,
        summary: &str,
        attempts: u32,
    ) -> Result<(), LedgerError> {
        self.conn()
            .prepare_cached(
                "UPDATE requests SET status = ?2, summary = ?3, attempts = ?4, finished = ?5 WHERE id = ?1",
            )?
            .execute(params![id, status, summary, attempts, now()])?;
        Ok(())
    }

    /// The manifest id of the MAWB's last cancelManifest that ACP answered after its last createManifest,
    /// if any: a run that cancelled the manifest to rebuild the MAWB's day and ended (killed, or failed)
    /// before creating it again. The next run's outcome names it as replaced.
    pub fn manifest_cancelled_since_created(
        &self,
        mawb: &str,
    ) -> Result<Option<String>, LedgerError> {
        let c = self.conn();
        let id = c
            .query_row(
                "SELECT detail FROM requests WHERE mawb = ?1 AND command = 'cancelManifest' AND status = 'answered'
                   AND id > COALESCE((SELECT MAX(id) FROM requests WHERE mawb = ?1 AND command = 'createManifest'), 0)
                 ORDER BY id DESC LIMIT 1",
                params![mawb],
                |r| r.get(0),
            )
            .optional()?;
        Ok(id)
    }

    /// Whether a request of `command` for this MAWB was sent without an answer being recorded (in flight
    /// when the process died, or lost to the network): ACP may hold what it created.
    pub fn has_unanswered(&self, mawb: &str, command: &str) -> Result<bool, LedgerError> {
        let c = self.conn();
        let n: i64 = c.query_row(
            "SELECT COUNT(*) FROM requests WHERE mawb = ?1 AND command = ?2 AND status IN ('sending', 'interrupted', 'transport-error')",
            params![mawb, command],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Marks the requests of `mawb` still recorded as `sending` as `interrupted`: called under the MAWB's
    /// lock, so no live process is sending them; the process that was died before it recorded an answer.
    /// ACP may hold what they created ([`Ledger::has_unanswered`] counts them). Returns how many.
    pub fn resolve_interrupted(&self, mawb: &str) -> Result<usize, LedgerError> {
        Ok(self.conn().execute(
            "UPDATE requests SET status = 'interrupted', finished = ?2,
               summary = 'the process ended before an answer was recorded; ACP may hold what it created'
             WHERE mawb = ?1 AND status = 'sending'",
            params![mawb, now()],
        )?)
    }

    pub fn requests(&self, mawb: Option<&str>) -> Result<Vec<RequestRow>, LedgerError> {
        let c = self.conn();
        let sql = "SELECT id, mawb, command, detail, status, summary, data_bytes, attempts, started, finished
                   FROM requests WHERE (?1 IS NULL OR mawb = ?1) ORDER BY id";
        let mut st = c.prepare(sql)?;
        let rows = st
            .query_map([mawb], |r| {
                Ok(RequestRow {
                    id: r.get(0)?,
                    mawb: r.get(1)?,
                    command: r.get(2)?,
                    detail: r.get(3)?,
                    status: r.get(4)?,
                    summary: r.get(5)?,
                    data_bytes: r.get(6)?,
                    attempts: r.get(7)?,
                    started: r.get(8)?,
                    finished: r.get(9)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
