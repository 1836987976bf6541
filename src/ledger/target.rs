//! The one ACP target a ledger sends to: an endpoint, in test mode or live.
//!
//! Everything the ledger records (what was created, under which ids, what is done) is true of one ACP
//! endpoint and mode only. A ledger that a test-mode run filled would otherwise tell the live run after it
//! that every MAWB is already sent ("unchanged", nothing sent), and one filled against the sandbox would
//! make a production run cancel or adopt what production never held. So the first command that sends
//! records its target, and every sending command after it (`run`, `watch`, `cancel`) must send there too:
//! another target is refused before anything is sent, with the way out (another state directory).
//!
//! The API key is not part of the target: nothing derived from it is written to a file.

use super::{Ledger, LedgerError};
use rusqlite::OptionalExtension;

/// Where a ledger's requests go: ACP's endpoint (as normalised by the client, with its trailing slash)
/// and whether ACP's test mode is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub endpoint: String,
    pub test_mode: bool,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = if self.test_mode {
            "in test mode"
        } else {
            "live (not test mode)"
        };
        write!(f, "{} {mode}", self.endpoint)
    }
}

const TARGET_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS target (
  id INTEGER PRIMARY KEY CHECK (id = 1), endpoint TEXT NOT NULL, test_mode INTEGER NOT NULL,
  since TEXT NOT NULL)";

/// The recorded target (none before a sending command records one; read without creating the table, so
/// that reading commands write nothing).
fn read_target(c: &rusqlite::Connection) -> rusqlite::Result<Option<Target>> {
    let exists: i64 = c.query_row(
        "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'target'",
        [],
        |r| r.get(0),
    )?;
    if exists == 0 {
        return Ok(None);
    }
    c.query_row(
        "SELECT endpoint, test_mode FROM target WHERE id = 1",
        [],
        |r| {
            Ok(Target {
                endpoint: r.get(0)?,
                test_mode: r.get::<_, i64>(1)? != 0,
            })
        },
    )
    .optional()
}

/// Whether no request of the ledger can have reached its recorded target: every one is `unreached`.
fn never_reached(c: &rusqlite::Connection) -> rusqlite::Result<bool> {
    let reached: i64 = c.query_row(
        "SELECT COUNT(*) FROM requests WHERE status <> 'unreached'",
        [],
        |r| r.get(0),
    )?;
    Ok(reached == 0)
}

impl Ledger {
    /// The target this ledger sends to, when a sending command recorded one.
    pub fn target(&self) -> Result<Option<Target>, LedgerError> {
        Ok(read_target(&self.conn())?)
    }

    /// Binds the ledger to `wanted` before anything is sent: recorded when the ledger has no target yet (a
    /// new ledger, or one of a version that did not record it: its sends are taken to have gone there),
    /// and moved to `wanted` when no request of the ledger ever reached the recorded one (every request
    /// `unreached`: a mistyped endpoint whose port refused or whose name did not resolve).
    /// `Err(LedgerError::OtherTarget)` when the ledger sends elsewhere.
    pub fn bind_target(&self, wanted: &Target) -> Result<(), LedgerError> {
        let mut c = self.conn();
        let tx = c.transaction()?;
        tx.execute_batch(TARGET_SCHEMA)?;
        match read_target(&tx)? {
            Some(recorded) if recorded == *wanted => Ok(()),
            Some(recorded) if never_reached(&tx)? => {
                tx.execute(
                    "UPDATE target SET endpoint = ?1, test_mode = ?2, since = ?3 WHERE id = 1",
                    rusqlite::params![wanted.endpoint, wanted.test_mode, super::now()],
                )?;
                tx.commit()?;
                tracing::warn!(
                    "ledger {}: nothing it recorded ever reached {recorded} (refused or not found), so it now sends to {wanted}",
                    self.describe()
                );
                Ok(())
            }
            Some(recorded) => Err(LedgerError::OtherTarget {
                path: self.describe(),
                recorded,
                wanted: wanted.clone(),
            }),
            None => {
                tx.execute(
                    "INSERT INTO target (id, endpoint, test_mode, since) VALUES (1, ?1, ?2, ?3)",
                    rusqlite::params![wanted.endpoint, wanted.test_mode, super::now()],
                )?;
                tx.commit()?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(endpoint: &str, test_mode: bool) -> Target {
        Target {
            endpoint: endpoint.into(),
            test_mode,
        }
    }

    #[test]
    fn a_target_nothing_ever_reached_gives_way_to_the_next() {
        let l = Ledger::in_memory().unwrap();
        let typo = target("http://127.0.0.1:8099/", false);
        l.bind_target(&typo).unwrap();
        // Refused on every attempt: the request never left.
        let id = l
            .begin_request("m", "createMailing", "batch 1", 10)
            .unwrap();
        l.finish_request(id, "unreached", "Connection refused", 6)
            .unwrap();
        let right = target("http://127.0.0.1:8080/", false);
        l.bind_target(&right).unwrap();
        assert_eq!(l.target().unwrap(), Some(right.clone()));
        // A request that may have reached it (a timeout) binds the ledger for good.
        let id = l
            .begin_request("m", "createMailing", "batch 1", 10)
            .unwrap();
        l.finish_request(id, "transport-error", "timed out", 6)
            .unwrap();
        assert!(matches!(
            l.bind_target(&typo),
            Err(LedgerError::OtherTarget { .. })
        ));
        assert_eq!(l.target().unwrap(), Some(right));
    }

    #[test]
    fn the_first_target_is_kept_and_any_other_is_refused() {
        let l = Ledger::in_memory().unwrap();
        assert_eq!(l.target().unwrap(), None);
        let sandbox = target("http://127.0.0.1:8080/", false);
        l.bind_target(&sandbox).unwrap();
        l.bind_target(&sandbox).unwrap();
        assert_eq!(l.target().unwrap(), Some(sandbox.clone()));
        let id = l
            .begin_request("m", "createMailing", "batch 1", 10)
            .unwrap();
        l.finish_request(id, "answered", "ok", 1).unwrap();
        for other in [
            target("http://127.0.0.1:8080/", true),
            target("https://acp.example/api/", false),
        ] {
            match l.bind_target(&other) {
                Err(LedgerError::OtherTarget {
                    recorded, wanted, ..
                }) => {
                    assert_eq!(recorded, sandbox);
                    assert_eq!(wanted, other);
                }
                r => panic!("{other}: {r:?}"),
            }
        }
        assert_eq!(l.target().unwrap(), Some(sandbox));
    }

    #[test]
    fn a_ledger_file_keeps_its_target_when_opened_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let live = target("https://acp.example/api/", false);
        let first = Ledger::open(&path).unwrap();
        first.bind_target(&live).unwrap();
        let id = first
            .begin_request("m", "createMailing", "batch 1", 10)
            .unwrap();
        first.finish_request(id, "answered", "ok", 1).unwrap();
        drop(first);
        let again = Ledger::open(&path).unwrap();
        assert_eq!(again.target().unwrap(), Some(live));
        let e = again
            .bind_target(&target("https://acp.example/api/", true))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("https://acp.example/api/ live (not test mode)")
                && e.contains("in test mode")
                && e.contains("nothing was sent")
                && e.contains("--state"),
            "{e}"
        );
    }
}
