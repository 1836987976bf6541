//! A check of the ledger's write-ahead log before SQLite opens it.
//!
//! SQLite reads a WAL frame by frame and stops, silently, at the first frame that is cut short or fails
//! its checksum: every transaction after it is dropped as if it never happened. For the ledger that would
//! mean forgetting requests already sent to ACP and ids ACP assigned, and sending them again. So before the
//! ledger is opened its `-wal` file is read against the format SQLite documents (<https://www.sqlite.org/fileformat2.html#the_write_ahead_log>,
//! section 4: a 32-byte header, then frames of a 24-byte header and one page, each frame's checksum
//! chained over the header and every frame before it) and refused when it cannot be a log SQLite wrote:
//!
//! - a header cut short, or a magic number that is not SQLite's;
//! - a frame cut short, other than a frame header alone at the very end (a process killed between
//!   SQLite's two writes of one frame: that frame's transaction was never committed, and SQLite
//!   rightly ignores it);
//! - a frame of the current log (its salts match the header's) whose checksum fails while a later frame of
//!   the current log still follows it: something in the middle was lost or overwritten.
//!
//! A log cut exactly at a frame boundary is a valid shorter log and cannot be told from one. SQLite
//! checkpoints the log into the database file and removes it when the last connection closes, so after a
//! clean exit there is no log left to cut: only a log left by a killed process is at risk.
//!
//! Written by hand because no maintained crate reads SQLite's WAL format, and `rusqlite` offers no way
//! to ask SQLite whether it ignored frames.

use std::path::Path;

const HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

/// Checks the write-ahead log of the database at `db` (its `-wal` sibling); `Ok` when there is none.
/// `Err` says what is wrong, in words for the operator.
pub fn check(db: &Path) -> Result<(), String> {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let bytes = match std::fs::read(&wal) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read its write-ahead log: {e}")),
    };
    check_bytes(&bytes)
}

/// [`check`] on the bytes of a log.
pub fn check_bytes(bytes: &[u8]) -> Result<(), String> {
    if bytes.is_empty() {
        return Ok(());
    }
    let cut = |what: String| {
        Err(format!(
            "its write-ahead log is damaged ({what}), so SQLite would silently drop the last writes: requests \
             recorded as sent and ids ACP assigned would be forgotten. Nothing was sent. Restore the ledger \
             together with its -wal file from a backup; or, to accept losing those writes, move the -wal file \
             aside and run again with --adopt so that what ACP already holds is taken over, not sent twice"
        ))
    };
    if bytes.len() < HEADER {
        return cut(format!(
            "{} bytes, shorter than its 32-byte header",
            bytes.len()
        ));
    }
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let magic = be(0);
    if magic != 0x377f_0682 && magic != 0x377f_0683 {
        return cut(format!(
            "its header starts with {magic:#010x}, not SQLite's magic number"
        ));
    }
    let big_endian = magic & 1 == 1;
    let page = be(8) as usize;
    if !(512..=65536).contains(&page) || !page.is_power_of_two() {
        return cut(format!("its header gives a page size of {page}"));
    }
    let (salt1, salt2) = (be(16), be(20));
    let mut sum = checksum(&bytes[..24], (0, 0), big_endian);
    if sum != (be(24), be(28)) {
        return cut("its header fails its checksum".into());
    }
    let frame = FRAME_HEADER + page;
    let frames = (bytes.len() - HEADER) / frame;
    let rest = (bytes.len() - HEADER) % frame;
    if rest != 0 && rest != FRAME_HEADER {
        return cut(format!(
            "{} bytes: its last frame is cut short after {rest} of {frame} bytes",
            bytes.len()
        ));
    }
    // Walk the chain of the current log; after its first bad frame, no frame of the current log may follow.
    let mut broken_at = None;
    for n in 0..frames {
        let at = HEADER + n * frame;
        let salts = (be(at + 8), be(at + 12));
        if salts != (salt1, salt2) {
            // A frame left over from before the log was restarted: the current log ended before it.
            if broken_at.is_none() {
                broken_at = Some(n);
            }
            continue;
        }
        if let Some(first_bad) = broken_at {
            return cut(format!(
                "frame {} fails its checksum but frame {} of the same log follows it",
                first_bad + 1,
                n + 1
            ));
        }
        sum = checksum(&bytes[at..at + 8], sum, big_endian);
        sum = checksum(&bytes[at + FRAME_HEADER..at + frame], sum, big_endian);
        if sum != (be(at + 16), be(at + 20)) {
            broken_at = Some(n);
        }
    }
    Ok(())
}

/// SQLite's WAL checksum (fileformat2 section 4.3) over `data` (a multiple of 8 bytes), continuing from
/// `s`, reading 32-bit words in the byte order the magic number names.
fn checksum(data: &[u8], s: (u32, u32), big_endian: bool) -> (u32, u32) {
    let (mut s0, mut s1) = s;
    for pair in data.chunks_exact(8) {
        let word = |b: &[u8]| {
            let w = [b[0], b[1], b[2], b[3]];
            if big_endian {
                u32::from_be_bytes(w)
            } else {
                u32::from_le_bytes(w)
            }
        };
        s0 = s0.wrapping_add(word(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(word(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    /// A real log: a database in WAL mode with some committed writes, copied before SQLite checkpoints it.
    fn real_log(dir: &Path) -> Vec<u8> {
        let db = dir.join("l.sqlite");
        let c = Connection::open(&db).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        c.execute_batch("CREATE TABLE t (x TEXT)").unwrap();
        for i in 0..20 {
            c.execute(
                "INSERT INTO t VALUES (?1)",
                [format!("row {i} {}", "x".repeat(300))],
            )
            .unwrap();
        }
        let log = std::fs::read(dir.join("l.sqlite-wal")).unwrap();
        drop(c);
        log
    }

    #[test]
    fn a_log_sqlite_wrote_passes_and_so_does_no_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = real_log(dir.path());
        assert!(log.len() > 10_000, "the test needs a log of several frames");
        assert_eq!(check_bytes(&log), Ok(()));
        assert_eq!(check_bytes(&[]), Ok(()));
        assert_eq!(check(&dir.path().join("absent.sqlite")), Ok(()));
    }

    #[test]
    fn a_log_cut_inside_a_frame_is_refused_and_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let log = real_log(dir.path());
        let cut = &log[..log.len() - 1000];
        let e = check_bytes(cut).unwrap_err();
        assert!(e.contains("cut short"), "{e}");
        assert!(e.contains("backup") && e.contains("--adopt"), "{e}");
        let e = check_bytes(&log[..20]).unwrap_err();
        assert!(e.contains("header"), "{e}");
    }

    #[test]
    fn a_frame_header_alone_at_the_end_is_a_killed_write_and_passes() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = real_log(dir.path());
        let tail = log[32..56].to_vec();
        log.extend_from_slice(&tail);
        assert_eq!(check_bytes(&log), Ok(()));
    }

    #[test]
    fn a_damaged_frame_followed_by_more_of_the_log_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = real_log(dir.path());
        // Flip a byte in the page of the first frame: every later frame's chained checksum then fails
        // too, but the damage is in the middle of a log that goes on.
        log[32 + 24 + 100] ^= 0xff;
        let e = check_bytes(&log).unwrap_err();
        assert!(e.contains("fails its checksum"), "{e}");
    }

    #[test]
    fn a_foreign_file_is_refused() {
        let e = check_bytes(&[0u8; 64]).unwrap_err();
        assert!(e.contains("magic"), "{e}");
    }
}
