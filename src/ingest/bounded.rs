//! Reading one spreadsheet under containment: a panic inside calamine or csv becomes a `file-unreadable`
//! problem on that file, and a file still being read when the time limit passes becomes a
//! `file-too-large` problem. Either way the other files of the folder, and the other folders of the
//! batch, are read as usual.
//!
//! csv and xlsx are read row by row on the calling thread ([`crate::contain::contain`]), with the deadline
//! checked between rows: a thread per file costs more than a tenth of `mawb check`'s time (its allocator
//! heap starts cold). xls, xlsb and ods sheets are loaded whole by calamine, which cannot be interrupted,
//! so they are read on a thread of their own ([`crate::contain::contain_within`]) that is abandoned at the
//! limit.

use super::assemble::Assembler;
use super::columns::ColumnAliases;
use super::filetype::FileKind;
use super::read::{self, ReadOptions, ReadSummary};
use crate::contain::{contain, contain_within, fault_point_until, Contained, FaultPoint};
use crate::problem::{Problem, FILE_TOO_LARGE, FILE_UNREADABLE};
use std::path::Path;
use std::time::Duration;

/// How long reading one spreadsheet may take by default (`--read-timeout`). The largest file the row cap
/// allows (500,000 rows of xlsx) reads in about 15 s on one core of the benchmark machine.
pub const DEFAULT_READ_TIME_LIMIT: Duration = Duration::from_secs(60);

/// Reads the spreadsheet `path` (shown as `name`, file number `index` of its folder) into a new
/// assembler, within `time_limit` (`None`: no limit). The problem, when there is one, names the file.
pub fn read_file_contained(
    index: usize,
    path: &Path,
    name: &str,
    kind: FileKind,
    aliases: &ColumnAliases,
    opts: ReadOptions,
    time_limit: Option<Duration>,
) -> Result<(ReadSummary, Assembler), Box<Problem>> {
    let path = path.to_path_buf();
    let owned_name = name.to_string();
    let aliases = aliases.clone();
    let deadline = time_limit.and_then(|t| std::time::Instant::now().checked_add(t));
    let opts = ReadOptions { deadline, ..opts };
    let read = move || {
        fault_point_until(FaultPoint::Read, &owned_name, deadline);
        let mut asm = Assembler::new(index, &owned_name);
        let summary = read::read_file(&path, &owned_name, kind, &aliases, opts, &mut asm);
        (summary, asm)
    };
    let result = match kind {
        FileKind::Text | FileKind::Xlsx => {
            contain(read)
                .map_err(Contained::Failed)
                .and_then(|(summary, asm)| match time_limit {
                    Some(limit) if summary.timed_out => Err(Contained::TimedOut(limit)),
                    _ => Ok((summary, asm)),
                })
        }
        _ => contain_within(time_limit, read),
    };
    result.map_err(|why| {
        Box::new(match why {
        Contained::Failed(msg) => Problem::new(
            &FILE_UNREADABLE,
            name,
            format!("the spreadsheet reader failed on this file: {msg}; save it again as .xlsx"),
        ),
        Contained::TimedOut(limit) => Problem::new(
            &FILE_TOO_LARGE,
            name,
            format!(
                "reading this file took longer than {} s, so it was refused: split it, save it again \
                 as .xlsx, or raise --read-timeout",
                limit.as_secs_f64()
            ),
        ),
        })
    })
}
