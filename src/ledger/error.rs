//! Why the ledger cannot be used: the errors of opening, reading and writing it.

use super::Target;

/// Why the ledger cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("state database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("state database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The write-ahead log beside the database cannot be the one SQLite wrote (see `wal`).
    #[error("state database {path}: {why}")]
    DamagedLog { path: String, why: String },
    /// The ledger's folder is a file (a state folder set to a file by mistake).
    #[error("the ledger's folder {0} is a file, not a folder: point MAWB_STATE_DIR (or --state) at a folder")]
    NotAFolder(String),
    /// A sending command aims at another ACP target than the one the ledger records (see `target`).
    #[error(
        "ledger {path} records what was sent to ACP at {recorded}; this command would send to {wanted}, \
         where none of it was sent: nothing was sent. One ledger follows one ACP endpoint and mode: give this \
         one its own ledger (--state FILE, or MAWB_STATE_DIR), or send to {recorded} as before"
    )]
    OtherTarget {
        path: String,
        recorded: Target,
        wanted: Target,
    },
}
