//! The request log: every API request as one JSON line, in memory (the most recent [`LOG_LINES_KEPT`]) and
//! in the configured file, and on the tracing output unless quiet. It names the account by the first 12
//! hex digits of its key's sha256, never by the key.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use super::lock;

#[derive(Serialize)]
pub(super) struct LogEntry<'a> {
    pub(super) seq: u64,
    pub(super) time: String,
    pub(super) command: Option<String>,
    pub(super) test_mode: bool,
    pub(super) account: Option<&'a str>,
    pub(super) data_bytes: usize,
    pub(super) content_type: &'static str,
    pub(super) outcome: String,
    pub(super) fault: Option<String>,
}

/// Lines of the request log kept in memory (the most recent; the file, when set, keeps them all).
pub const LOG_LINES_KEPT: usize = 100_000;

/// Every API request as a JSON line: in memory always, in the configured file too. Never the key.
pub(super) struct RequestLog {
    pub(super) seq: AtomicU64,
    pub(super) lines: Mutex<std::collections::VecDeque<String>>,
    pub(super) file: Option<Mutex<std::fs::File>>,
}

impl RequestLog {
    pub(super) fn write(&self, mut entry: LogEntry, quiet: bool) {
        entry.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let line = serde_json::to_string(&entry).unwrap_or_default();
        if !quiet {
            tracing::info!(
                "sandbox #{} {} {} -> {}{}",
                entry.seq,
                entry.account.unwrap_or("-"),
                entry.command.as_deref().unwrap_or("-"),
                entry.outcome,
                entry
                    .fault
                    .as_deref()
                    .map(|f| format!(" (fault {f})"))
                    .unwrap_or_default()
            );
        }
        if let Some(file) = &self.file {
            let mut f = lock(file);
            if let Err(e) = writeln!(f, "{line}") {
                tracing::warn!("sandbox request log write failed: {e}");
            }
        }
        let mut lines = lock(&self.lines);
        if lines.len() >= LOG_LINES_KEPT {
            lines.pop_front();
        }
        lines.push_back(line);
    }
}
