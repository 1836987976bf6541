//! Reading one spreadsheet under containment: the reader runs on a thread of its own
//! ([`crate::contain::contain_within`]), so a panic inside calamine or csv becomes a `file-unreadable`
//! problem on that file, and a file still being read when the time limit passes becomes a
//! `file-too-large` problem. Either way the other files of the folder, and the other folders of the
//! batch, are read as usual.

use super::assemble::Assembler;
use super::columns::ColumnAliases;
use super::filetype::FileKind;
use super::read::{self, ReadOptions, ReadSummary};
use crate::contain::{contain_within, fault_point, Contained, FaultPoint};
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
    let read = move || {
        fault_point(FaultPoint::Read, &owned_name);
        let mut asm = Assembler::new(index, &owned_name);
        let summary = read::read_file(&path, &owned_name, kind, &aliases, opts, &mut asm);
        (summary, asm)
    };
    contain_within(time_limit, read).map_err(|why| {
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
