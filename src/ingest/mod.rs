//! Ingest: from folders on disk to an assembled [`Mawb`].
//!
//! A path is either one MAWB folder (it holds a `mawb.toml` or spreadsheets) or a batch folder whose
//! subfolders are MAWB folders. Each MAWB folder's spreadsheets are recognised by content, read in parallel
//! (rayon), and their rows assembled into items; the MAWB scan is located and typed by its magic bytes.
//! Ingest reports what it could not read; the field rules are the next stage's job (`validate`).

pub mod assemble;
pub mod binary_extras;
pub mod bounded;
pub mod cell;
pub mod columns;
pub mod config;
mod csv_reader;
pub mod filetype;
pub mod format_label;
pub mod numfmt;
mod ods_styles;
pub mod read;
pub mod sheet_extras;
mod workbook;

use crate::model::{Bag, HawbFile, MailItem, Mawb, MawbImage};
use crate::problem::*;
use columns::ColumnAliases;
use filetype::FileKind;
use rayon::prelude::*;
use read::{ReadLimits, ReadOptions};
use std::path::{Path, PathBuf};

/// The file holding per-folder column aliases.
pub const COLUMNS_TOML: &str = "columns.toml";

/// Extensions read as HAWB spreadsheets.
/// `.txt` is Excel's "Unicode Text" (UTF-16, tab-separated) and "Text (Tab delimited)": read when it holds
/// a HAWB header, otherwise ignored with a warning (a note left in the folder).
const SPREADSHEET_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "ods", "csv", "txt"];
/// Extensions considered as the MAWB scan when `mawb.toml` names none.
const IMAGE_EXTENSIONS: &[&str] = &["pdf", "png", "jpg", "jpeg", "bmp", "tif", "tiff", "doc"];

/// Options of the ingest stage.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Aliases from `--columns` (a folder's own `columns.toml` adds to them).
    pub aliases: ColumnAliases,
    pub limits: ReadLimits,
    /// How long reading one spreadsheet may take (`None`: no limit); see [`bounded`].
    pub read_time_limit: Option<std::time::Duration>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            aliases: ColumnAliases::default(),
            limits: ReadLimits::default(),
            read_time_limit: Some(bounded::DEFAULT_READ_TIME_LIMIT),
        }
    }
}

/// Files that are never data: hidden, editor locks and partial copies.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.starts_with('~')
        || name.ends_with(".tmp")
        || name.ends_with(".part")
        || name.ends_with('~')
}

/// What markup a text file named as a workbook holds: an HTML page (`<html`, `<!DOCTYPE html`, a bare
/// `<table`) or an Excel 2003 XML spreadsheet (SpreadsheetML, `urn:schemas-microsoft-com:office:spreadsheet`),
/// judged on its first 4 KiB; `None` for any other text.
fn markup_export(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut head)
        .ok()?;
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if text.contains("urn:schemas-microsoft-com:office:spreadsheet") {
        Some("an Excel 2003 XML spreadsheet")
    } else if start.starts_with("<html")
        || start.starts_with("<!doctype html")
        || start.starts_with("<table")
        || (start.starts_with("<?xml") && text.contains("<html"))
    {
        Some("an HTML page")
    } else {
        None
    }
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether `path` is named as a HAWB spreadsheet (by its extension).
fn is_spreadsheet_name(path: &Path) -> bool {
    SPREADSHEET_EXTENSIONS.contains(&extension(path).as_str())
}

/// What lies directly inside a folder, sorted by name, ignored names left out.
#[derive(Default)]
struct Listing {
    /// The plain files: what is read.
    files: Vec<PathBuf>,
    /// The symbolic links: never read (see [`linked_spreadsheets`]).
    links: Vec<PathBuf>,
}

fn list_dir(dir: &Path) -> std::io::Result<Listing> {
    let mut out = Listing::default();
    for entry in walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| {
            e.into_io_error()
                .unwrap_or_else(|| std::io::Error::other("walk error"))
        })?;
        if is_ignored_name(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let kind = entry.file_type();
        if kind.is_file() {
            out.files.push(entry.into_path());
        } else if kind.is_symlink() {
            out.links.push(entry.into_path());
        }
    }
    Ok(out)
}

/// The plain files directly inside `dir`, sorted by name, ignored names left out.
fn list_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    list_dir(dir).map(|l| l.files)
}

/// A problem for each of `links` (a folder's symbolic links, see [`Listing`]) named as a spreadsheet,
/// with where it leads: only the folder's own files are read, so its rows would otherwise be left out
/// unsaid.
fn linked_spreadsheets(links: &[PathBuf]) -> Vec<Problem> {
    links
        .iter()
        .filter(|link| is_spreadsheet_name(link))
        .map(|link| {
            let name = link
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let to = match std::fs::read_link(link) {
                Ok(t) if link.exists() => format!("a link to {}", t.display()),
                Ok(t) => format!("a link to {}, which does not exist", t.display()),
                Err(_) => "a link".to_string(),
            };
            Problem::new(
                &LINKED_SPREADSHEET,
                name.clone(),
                format!("{name} is {to}: mawb reads only the MAWB folder's own files, so its rows would be left out. Copy the file itself into the folder in place of the link"),
            )
        })
        .collect()
}

/// Whether `dir` is one MAWB folder: it holds `mawb.toml`, or a spreadsheet while no subfolder holds a
/// `mawb.toml`. A folder whose subfolders have one is a batch, whatever lies beside them: a stray
/// spreadsheet or a notes.txt must not turn a whole batch into one MAWB without mawb.toml.
pub fn is_mawb_folder(dir: &Path) -> bool {
    if dir.join(config::MAWB_TOML).is_file() {
        return true;
    }
    mawb_toml_subfolders(dir).is_empty()
        && list_files(dir)
            .map(|files| files.iter().any(|f| is_spreadsheet_name(f)))
            .unwrap_or(false)
}

/// The names of the subfolders of `dir` that hold a `mawb.toml`, sorted (a batch given where one MAWB
/// folder belongs: a batch dropped into a watch inbox).
pub(crate) fn mawb_toml_subfolders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !is_ignored_name(n) && dir.join(n).join(config::MAWB_TOML).is_file())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The spreadsheets at the top of batch folder `dir`, each a warning: they belong to no MAWB and are not
/// read.
fn stray_spreadsheets(dir: &Path) -> Vec<Problem> {
    list_files(dir)
        .unwrap_or_default()
        .iter()
        .filter(|f| is_spreadsheet_name(f))
        .map(|f| {
            let shown = f.display().to_string();
            Problem::new(
                &STRAY_SPREADSHEET,
                shown.clone(),
                format!(
                    "{shown} lies in the batch folder beside its MAWB folders: it belongs to no MAWB and is not read. Move it into the folder of its MAWB (or out of the batch)"
                ),
            )
        })
        .collect()
}

/// Finds the MAWB folders named by `paths`: each path is a MAWB folder or a batch folder of them.
/// Problems are about paths that do not exist or hold nothing.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut dirs = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let shown = path.display().to_string();
        if !path.is_dir() {
            let msg = if path.exists() {
                "is a file; give a MAWB folder or a batch folder of MAWB folders"
            } else {
                "does not exist"
            };
            problems.push(Problem::new(
                &PATH_NOT_FOUND,
                shown.clone(),
                format!("{shown} {msg}"),
            ));
            continue;
        }
        if is_mawb_folder(path) {
            dirs.push(path.clone());
            continue;
        }
        // A batch folder: a spreadsheet beside its MAWB folders belongs to none of them.
        problems.extend(stray_spreadsheets(path));
        let mut found = 0;
        for entry in walkdir::WalkDir::new(path)
            .min_depth(1)
            .max_depth(1)
            .sort_by_file_name()
        {
            match entry {
                Ok(e) if e.file_type().is_dir() => {
                    let name = e.file_name().to_string_lossy();
                    if is_ignored_name(&name) {
                        continue;
                    }
                    found += 1;
                    dirs.push(e.into_path());
                }
                Ok(_) => {}
                Err(e) => problems.push(Problem::new(
                    &PATH_NOT_FOUND,
                    shown.clone(),
                    format!("cannot list {shown}: {e}"),
                )),
            }
        }
        if found == 0 {
            problems.push(Problem::new(
                &NO_MAWB_FOLDER,
                shown.clone(),
                format!(
                    "{shown} holds no MAWB folder (a folder with mawb.toml and HAWB spreadsheets)"
                ),
            ));
        }
    }
    // One folder named twice (`check m m`, a glob and a name, a batch and a folder of it) is one MAWB:
    // read once, not reported as two folders of one MAWB number.
    let mut seen = std::collections::HashSet::new();
    dirs.retain(|d| seen.insert(std::fs::canonicalize(d).unwrap_or_else(|_| d.clone())));
    (dirs, problems)
}

/// Reads one MAWB folder: `mawb.toml`, the scan, and every spreadsheet, assembled into items and bags.
pub fn read_mawb(dir: &Path, opts: &IngestOptions) -> (Mawb, Vec<Problem>) {
    let mut problems = Vec::new();
    let config = config::read_config(dir, &mut problems);
    let Listing { files, links } = match list_dir(dir) {
        Ok(l) => l,
        Err(e) => {
            problems.push(Problem::new(
                &PATH_NOT_FOUND,
                dir.display().to_string(),
                format!("cannot list the folder: {e}"),
            ));
            Listing::default()
        }
    };
    let rel = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };

    let mut aliases = opts.aliases.clone();
    let columns_path = dir.join(COLUMNS_TOML);
    if columns_path.is_file() {
        match ColumnAliases::load(&columns_path) {
            Ok(parsed) => {
                // The good lines map their headers; each bad one is reported on its own line.
                aliases = aliases.merged_with(&parsed.aliases);
                for bad in parsed.bad_lines {
                    problems.push(
                        Problem::new(&COLUMNS_TOML_INVALID, COLUMNS_TOML, bad.message).at(bad.line),
                    );
                }
            }
            Err(e) => problems.push(Problem::new(
                &COLUMNS_TOML_INVALID,
                COLUMNS_TOML,
                e.to_string(),
            )),
        }
    }

    problems.extend(open_workbooks(dir));
    problems.extend(linked_spreadsheets(&links));

    let image_name = config.as_ref().and_then(|c| c.image.clone());
    let image = locate_image(dir, &files, image_name.as_deref(), &mut problems);
    if let (Some(img), Some(c)) = (&image, &config) {
        problems.extend(image_of_other_mawb(&img.name, &c.manifest_number));
    }
    let image_path = image.as_ref().map(|i| i.path.clone());
    // The screening list and allow-list mawb.toml names are CSV files, not HAWB spreadsheets.
    let screening_files: Vec<PathBuf> = config
        .iter()
        .flat_map(|c| [&c.screening_list, &c.screening_allow])
        .flatten()
        .map(|p| dir.join(p))
        .collect();

    let sheets: Vec<PathBuf> = files
        .iter()
        .filter(|f| is_spreadsheet_name(f))
        .filter(|f| Some(*f) != image_path.as_ref())
        .filter(|f| !screening_files.contains(f))
        .cloned()
        .collect();
    if sheets.is_empty() {
        problems.push(Problem::new(
            &NO_SPREADSHEET,
            dir.display().to_string(),
            "the folder holds no HAWB spreadsheet (xlsx xlsm xlsb xls ods csv)",
        ));
    }

    let read_opts = ReadOptions {
        limits: opts.limits,
        read_hidden_sheets: config.as_ref().is_some_and(|c| c.read_hidden_sheets),
        read_hidden_rows: config.as_ref().is_some_and(|c| c.read_hidden_rows),
        read_hidden_columns: config.as_ref().is_some_and(|c| c.read_hidden_columns),
        deadline: None,
    };
    let read: Vec<(HawbFile, Vec<MailItem>, Vec<Problem>)> = sheets
        .par_iter()
        .enumerate()
        .map(|(i, path)| {
            read_one(
                i,
                path,
                &rel(path),
                &aliases,
                read_opts,
                opts.read_time_limit,
            )
        })
        .collect();

    let mut hawb_files = Vec::with_capacity(read.len());
    let mut items = Vec::new();
    for (file, file_items, file_problems) in read {
        hawb_files.push(file);
        // Most folders hold one spreadsheet: its items are taken as they are, not copied item by item.
        if items.is_empty() {
            items = file_items;
        } else {
            items.extend(file_items);
        }
        problems.extend(file_problems);
    }
    let bags = bags_of(&items);
    let mawb = Mawb {
        dir: dir.to_path_buf(),
        config,
        image,
        files: hawb_files,
        items,
        bags,
    };
    (mawb, problems)
}

/// Replaces the `decimal-comma` problems of each sheet by one naming its rows and columns: a file saved
/// with decimal commas has them in every number cell, and one fix (save it with a dot) mends them all.
/// Called once the field rules have seen the per-cell problems (a refused cell is no "required" blank).
pub fn group_decimal_commas(problems: &mut Vec<Problem>) {
    type Key = (String, Option<String>);
    let mut groups: Vec<(Key, Vec<Problem>)> = Vec::new();
    let mut rest = Vec::with_capacity(problems.len());
    for p in problems.drain(..) {
        if p.code != DECIMAL_COMMA.code {
            rest.push(p);
            continue;
        }
        let key = (p.file.clone(), p.sheet.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(p),
            None => groups.push((key, vec![p])),
        }
    }
    for ((file, sheet), cells) in groups {
        let rows: Vec<u32> = cells.iter().filter_map(|p| p.row).collect();
        let mut columns: Vec<&str> = cells.iter().filter_map(|p| p.column.as_deref()).collect();
        columns.sort_unstable();
        columns.dedup();
        let example = cells
            .first()
            .and_then(|p| p.message.split('"').nth(1))
            .unwrap_or_default();
        let mut p = Problem::new(
            &DECIMAL_COMMA,
            file,
            format!(
                "{} number cell(s) use a comma as decimal separator (\"{example}\"), in row(s) {} of column(s) {}: the file was saved with a comma as decimal separator; save or export it again with a dot (1.25). mawb does not guess: \"1,250\" may be 1.25 or 1250",
                cells.len(),
                rows_text(&rows, 12),
                columns.join(", ")
            ),
        );
        if let Some(s) = sheet {
            p = p.sheet(s);
        }
        if let Some(&first) = rows.iter().min() {
            p = p.at(first);
        }
        if let [only] = columns.as_slice() {
            p = p.column(*only);
        }
        rest.push(p);
    }
    *problems = rest;
}

/// Groups items into bags by their `bag` value, bags in order of first appearance.
pub fn bags_of(items: &[MailItem]) -> Vec<Bag> {
    let mut index: ahash::AHashMap<&str, usize> = ahash::AHashMap::new();
    let mut bags: Vec<Bag> = Vec::new();
    // The items of a bag usually stand together: the previous item's bag is compared before hashing.
    let mut last: Option<(&str, usize)> = None;
    for (i, item) in items.iter().enumerate() {
        if let Some(b) = item.bag.as_deref() {
            let n = match last {
                Some((l, n)) if l == b => n,
                _ => *index.entry(b).or_insert_with(|| {
                    bags.push(Bag {
                        shipper_bag_id: b.to_string(),
                        items: Vec::new(),
                    });
                    bags.len() - 1
                }),
            };
            last = Some((b, n));
            bags[n].items.push(i);
        }
    }
    bags
}

fn read_one(
    index: usize,
    path: &Path,
    name: &str,
    aliases: &ColumnAliases,
    opts: ReadOptions,
    time_limit: Option<std::time::Duration>,
) -> (HawbFile, Vec<MailItem>, Vec<Problem>) {
    let mut problems = Vec::new();
    let kind = match filetype::sniff_file(path) {
        Ok(k) => k,
        Err(e) => {
            problems.push(Problem::new(
                &FILE_UNREADABLE,
                name,
                format!("cannot read: {e}"),
            ));
            FileKind::Unknown
        }
    };
    let ext = extension(path);
    // An empty workbook file is a save or copy cut short, not a text file misnamed.
    if problems.is_empty()
        && !matches!(ext.as_str(), "csv" | "txt")
        && std::fs::metadata(path).is_ok_and(|m| m.len() == 0)
    {
        problems.push(Problem::new(
            &FILE_UNREADABLE,
            name,
            format!("the file is empty (0 bytes): it was not saved or copied completely; save the .{ext} again from the program that made it"),
        ));
    }
    let expected = match ext.as_str() {
        "csv" | "txt" => FileKind::Text,
        "xls" => FileKind::Ole2,
        "xlsb" => FileKind::Xlsb,
        "ods" => FileKind::Ods,
        _ => FileKind::Xlsx,
    };
    let mut file = HawbFile {
        path: path.to_path_buf(),
        name: name.to_string(),
        kind,
        sheets_read: Vec::new(),
        sheets_skipped: Vec::new(),
        rows: 0,
    };
    // A web page or an Excel 2003 XML file named as a workbook (what many web exporters write): read as
    // text it would only fail to find a header.
    if problems.is_empty()
        && matches!(kind, FileKind::Text | FileKind::NonUtf8Text)
        && !matches!(ext.as_str(), "csv" | "txt")
    {
        if let Some(what) = markup_export(path) {
            problems.push(Problem::new(
                &FILE_UNREADABLE,
                name,
                format!(
                    "named .{ext} but it is {what}, not a workbook (web exporters write these): open it in Excel or LibreOffice and save it as .xlsx, or export the list as csv"
                ),
            ));
        }
    }
    if problems.is_empty() {
        if kind.is_spreadsheet()
            && kind != expected
            && !(matches!(ext.as_str(), "csv" | "txt") && kind == FileKind::NonUtf8Text)
        {
            problems.push(Problem::new(
                &FILE_KIND_MISMATCH,
                name,
                format!(
                    "named .{ext} but its content is {}; reading it as {}",
                    kind.name(),
                    kind.name()
                ),
            ));
        }
        if kind == FileKind::Zip && !matches!(ext.as_str(), "csv" | "txt") {
            problems.push(Problem::new(
                &FILE_UNREADABLE,
                name,
                "the file is a zip archive but not a workbook (no xl/workbook.xml): corrupt or not a spreadsheet",
            ));
        } else {
            match bounded::read_file_contained(index, path, name, kind, aliases, opts, time_limit) {
                Ok((summary, asm)) => {
                    let not_a_list = ext == "txt" && summary.sheets_read.is_empty();
                    file.sheets_read = summary.sheets_read;
                    file.sheets_skipped = summary.sheets_skipped;
                    file.rows = summary.rows;
                    let (items, p) = asm.finish();
                    if not_a_list {
                        // A text file without a HAWB header is a note, not a broken HAWB list.
                        problems.retain(|p| p.code != FILE_KIND_MISMATCH.code);
                        problems.push(Problem::new(
                            &SHEET_SKIPPED,
                            name,
                            "a .txt file without a HAWB header row: not read as a HAWB list",
                        ));
                        return (file, items, problems);
                    }
                    problems.extend(p);
                    return (file, items, problems);
                }
                Err(p) => problems.push(*p),
            }
        }
    }
    (file, Vec::new(), problems)
}

/// Finds the MAWB scan: the file `mawb.toml` names, else the only candidate by extension.
/// The workbook an office lock file stands for: `~$hawbs.xlsx` (Excel) and `.~lock.hawbs.xlsx#`
/// (LibreOffice) both stand for `hawbs.xlsx`.
pub fn locked_workbook(name: &str) -> Option<&str> {
    if let Some(rest) = name.strip_prefix("~$") {
        return (!rest.is_empty()).then_some(rest);
    }
    name.strip_prefix(".~lock.")
        .and_then(|r| r.strip_suffix('#'))
        .filter(|r| !r.is_empty())
}

/// A warning for each office lock file in `dir`: its workbook is open, maybe with unsaved changes, and
/// mawb reads what was last saved. (Lock files are never read as data: see [`is_ignored_name`].)
fn open_workbooks(dir: &Path) -> Vec<Problem> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| locked_workbook(n).is_some())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|lock| {
            let book = locked_workbook(&lock).unwrap_or_default();
            let what = if dir.join(book).is_file() {
                format!("{book} is open")
            } else {
                "a workbook of this folder is open".to_string()
            };
            Problem::new(
                &WORKBOOK_OPEN,
                lock.clone(),
                format!(
                    "{lock} is an office lock file: {what} in Excel or LibreOffice, maybe with unsaved changes; mawb read the file as last saved. Save and close it, then check again"
                ),
            )
        })
        .collect()
}

/// MAWB numbers written in a file name (`mawb-784-17234545.pdf`, `784 17234545 scan.pdf`,
/// `78417234545.pdf`): 3 digits, an optional `-`, `_` or space, 8 digits, with no digit around them.
fn mawb_numbers_in_name(name: &str) -> Vec<String> {
    let b = name.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // A run of digits, with single separators between digits.
        let mut digits = String::new();
        let mut j = i;
        while j < b.len() {
            if b[j].is_ascii_digit() {
                digits.push(char::from(b[j]));
                j += 1;
            } else if matches!(b[j], b'-' | b'_' | b' ')
                && j + 1 < b.len()
                && b[j + 1].is_ascii_digit()
                && digits.len() == 3
            {
                j += 1;
            } else {
                break;
            }
        }
        if digits.len() == 11 {
            out.push(format!("{}-{}", &digits[..3], &digits[3..]));
        }
        i = j;
    }
    out
}

/// A warning when the scan's file name carries a MAWB number other than the folder's.
fn image_of_other_mawb(image_name: &str, manifest_number: &str) -> Option<Problem> {
    let ours = crate::model::checkdigit::parse_mawb_number(manifest_number)
        .unwrap_or_else(|_| manifest_number.to_string());
    let found = mawb_numbers_in_name(image_name);
    if found.is_empty() || found.contains(&ours) {
        return None;
    }
    Some(
        Problem::new(
            &IMAGE_OTHER_MAWB,
            image_name,
            format!(
                "the scan's file name carries MAWB number {}, but mawb.toml says {ours}: is it the scan of another MAWB? (ACP receives it as this MAWB's document)",
                found.join(", ")
            ),
        )
        .column("image"),
    )
}

/// Whether `path` (a file named for the MAWB folder `dir`) stays inside it: no absolute path, no `..`, and,
/// once symbolic links are resolved, still under the folder. `Err` says how it leaves.
fn inside_folder(dir: &Path, path: &Path) -> Result<(), String> {
    use std::path::Component;
    let rel = path.strip_prefix(dir).unwrap_or(path);
    if rel.is_absolute()
        || rel.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        })
    {
        return Err("points outside the MAWB folder".into());
    }
    match (path.canonicalize(), dir.canonicalize()) {
        (Ok(real), Ok(folder)) if !real.starts_with(&folder) => Err(format!(
            "is a link to {}, outside the MAWB folder",
            real.display()
        )),
        _ => Ok(()),
    }
}

fn locate_image(
    dir: &Path,
    files: &[PathBuf],
    named: Option<&str>,
    problems: &mut Vec<Problem>,
) -> Option<MawbImage> {
    let path = match named {
        Some(n) => {
            let p = dir.join(n);
            if let Err(why) = inside_folder(dir, &p) {
                problems.push(
                    Problem::new(
                        &IMAGE_MISSING,
                        config::MAWB_TOML,
                        format!(
                            "image \"{n}\" {why}: the MAWB scan must be a file of the MAWB folder itself; copy it in and name it here"
                        ),
                    )
                    .column("image"),
                );
                return None;
            }
            if !p.is_file() {
                let why = if p.is_dir() {
                    "is a folder, not the scan's file"
                } else {
                    "does not exist in the folder"
                };
                problems.push(
                    Problem::new(
                        &IMAGE_MISSING,
                        config::MAWB_TOML,
                        format!("image \"{n}\" {why}"),
                    )
                    .column("image"),
                );
                return None;
            }
            p
        }
        None => {
            let candidates: Vec<&PathBuf> = files
                .iter()
                .filter(|f| IMAGE_EXTENSIONS.contains(&extension(f).as_str()))
                .collect();
            match candidates.as_slice() {
                [one] => (*one).clone(),
                [] => {
                    problems.push(Problem::new(
                        &IMAGE_MISSING,
                        dir.display().to_string(),
                        "no MAWB scan found (pdf png jpg bmp tif doc); add it, or name it with image = \"...\" in mawb.toml",
                    ));
                    return None;
                }
                many => {
                    let names: Vec<String> = many
                        .iter()
                        .filter_map(|p| p.file_name())
                        .map(|n| n.to_string_lossy().into_owned())
                        .collect();
                    problems.push(
                        Problem::new(
                            &IMAGE_MISSING,
                            config::MAWB_TOML,
                            format!(
                                "several MAWB scan candidates ({}); name one with image = \"...\"",
                                names.join(", ")
                            ),
                        )
                        .column("image"),
                    );
                    return None;
                }
            }
        }
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let kind = match filetype::sniff_file(&path) {
        Ok(k) => k,
        Err(e) => {
            problems.push(Problem::new(
                &IMAGE_MISSING,
                name.clone(),
                format!("cannot read the MAWB scan: {e}"),
            ));
            return None;
        }
    };
    Some(MawbImage {
        path,
        name,
        kind,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mawb_numbers_are_found_in_file_names() {
        assert_eq!(
            mawb_numbers_in_name("mawb-784-17234545.pdf"),
            vec!["784-17234545"]
        );
        assert_eq!(
            mawb_numbers_in_name("78417234545 scan.pdf"),
            vec!["784-17234545"]
        );
        assert_eq!(
            mawb_numbers_in_name("MAWB 784 17234545.pdf"),
            vec!["784-17234545"]
        );
        assert!(mawb_numbers_in_name("IMG_20261124_103000.jpg").is_empty());
        assert!(mawb_numbers_in_name("scan-20261124.pdf").is_empty());
        assert!(mawb_numbers_in_name("mawb.pdf").is_empty());
    }

    #[test]
    fn only_another_number_is_flagged() {
        assert!(image_of_other_mawb("mawb-784-17234534.pdf", "784-17234534").is_none());
        assert!(image_of_other_mawb("78417234534.pdf", "784-17234534").is_none());
        assert!(image_of_other_mawb("mawb.pdf", "784-17234534").is_none());
        let p = image_of_other_mawb("mawb-784-17234545.pdf", "784-17234534");
        assert_eq!(p.map(|p| p.code), Some(IMAGE_OTHER_MAWB.code));
    }

    #[test]
    fn lock_files_name_their_workbook() {
        assert_eq!(locked_workbook("~$hawbs.xlsx"), Some("hawbs.xlsx"));
        assert_eq!(locked_workbook(".~lock.hawbs.xlsx#"), Some("hawbs.xlsx"));
        assert_eq!(locked_workbook("hawbs.xlsx"), None);
        assert_eq!(locked_workbook("~$"), None);
    }

    #[test]
    fn bags_keep_their_first_order_and_every_item() {
        let item = |bag: Option<&str>| {
            let mut item = MailItem::at(crate::model::Origin {
                file: 0,
                sheet: std::sync::Arc::from("s"),
                row: 2,
            });
            item.bag = bag.map(Into::into);
            item
        };
        let items: Vec<MailItem> = [
            Some("B1"),
            Some("B1"),
            None,
            Some("B2"),
            Some("B1"),
            Some("B2"),
            Some("B2"),
            None,
        ]
        .into_iter()
        .map(item)
        .collect();
        let bags = bags_of(&items);
        let got: Vec<(&str, &[usize])> = bags
            .iter()
            .map(|b| (b.shipper_bag_id.as_str(), b.items.as_slice()))
            .collect();
        assert_eq!(got, [("B1", &[0, 1, 4][..]), ("B2", &[3, 5, 6][..])]);
    }
}
