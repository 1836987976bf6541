//! Reading the archive for printing: `index.csv`, and each selected label from `labels.zip`, checked
//! against the sha256 the index recorded and parsed for its format, so a damaged label is named and left
//! out while the others print.

use super::epl::EplLabel;
use super::order::{LabelGroup, Owner, Piece, Plan};
use super::png_page::PngImage;
use super::PrintError;
use crate::archive::{sniff_label, LabelKind, MAX_LABEL_BYTES};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// One row of `index.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexRow {
    /// `item`, `bag` or `day`.
    pub entity: String,
    /// Tracking number, bag id or day id.
    pub id: String,
    pub shipper_item_id: Option<String>,
    /// The entry in `labels.zip`.
    pub file: String,
    /// `PNG`, `PDF` or `EPL2`.
    pub format: String,
    /// Hex sha256 of the label's bytes.
    pub sha256: String,
    pub void: bool,
    pub replaced_by: Option<String>,
}

/// Reads `index.csv` (columns by name, so columns added later do no harm).
pub(crate) fn read_index(path: &Path) -> Result<Vec<IndexRow>, PrintError> {
    let bad = |why: String| PrintError::Index {
        path: path.display().to_string(),
        why,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| bad(e.to_string()))?;
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| bad(format!("it has no `{name}` column")))
    };
    let (entity, id, sid, file, format, sha, status, replaced) = (
        col("entity")?,
        col("id")?,
        col("shipperItemId")?,
        col("file")?,
        col("format")?,
        col("sha256")?,
        col("status")?,
        col("replacedBy")?,
    );
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        // Row 1 is the header.
        let line = n + 2;
        let record = record.map_err(|e| bad(format!("row {line}: {e}")))?;
        let get = |i: usize| record.get(i).unwrap_or("").trim().to_string();
        let opt = |i: usize| Some(get(i)).filter(|s| !s.is_empty());
        let row = IndexRow {
            entity: get(entity),
            id: get(id),
            shipper_item_id: opt(sid),
            file: get(file),
            format: get(format),
            sha256: get(sha).to_ascii_lowercase(),
            void: match get(status).as_str() {
                "valid" => false,
                "void" => true,
                other => {
                    return Err(bad(format!(
                        "row {line}: status \"{other}\" is neither valid nor void"
                    )))
                }
            },
            replaced_by: opt(replaced),
        };
        if !matches!(row.entity.as_str(), "item" | "bag" | "day") {
            return Err(bad(format!(
                "row {line}: entity \"{}\" is not item, bag or day",
                row.entity
            )));
        }
        if row.id.is_empty() || row.file.is_empty() {
            return Err(bad(format!("row {line}: no id or no file")));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// How many labels wait in `staging/` of a MAWB's archive folder (a run that did not finish).
pub(crate) fn unsealed(mawb_dir: &Path) -> usize {
    std::fs::read_dir(mawb_dir.join("staging"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

/// One file of a label, parsed for its job.
pub(crate) enum Part {
    /// Boxed: a parsed document is large beside the others.
    Pdf(Box<lopdf::Document>),
    Png(PngImage),
    Epl(EplLabel),
}

/// A label left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damaged {
    /// "parcel 1Z…", "bag 123".
    pub what: String,
    /// Its entry in `labels.zip`.
    pub file: String,
    pub why: String,
    /// What the operator can do.
    pub fix: String,
}

/// The selected labels, read and parsed: by index into [`Plan::groups`], the parts in order.
pub(crate) struct Loaded {
    pub parts: HashMap<usize, Vec<Part>>,
    pub damaged: Vec<Damaged>,
}

/// What an operator can do about a damaged label of `group`.
fn fix_for(group: &LabelGroup) -> String {
    let (what, cancel) = match group.owner {
        Owner::Item => ("this parcel's label", "item"),
        Owner::Bag => ("this bag's label", "bag"),
        Owner::Day => ("the end-of-day label", "day"),
    };
    format!(
        "print {what} from ACP, or cancel it (`mawb cancel {cancel} {}`) and run the folder again for a new one",
        group.id
    )
}

/// Reads one entry of the zip, bounded, and checks it against the index.
fn read_entry<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    row: &IndexRow,
) -> Result<Vec<u8>, String> {
    let entry = zip.by_name(&row.file).map_err(|_| {
        "labels.zip has no such entry (the index names a label the zip lacks)".to_string()
    })?;
    let mut bytes = Vec::new();
    entry
        .take(MAX_LABEL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read it from the zip: {e}"))?;
    if bytes.len() as u64 > MAX_LABEL_BYTES {
        return Err(format!("it is larger than {MAX_LABEL_BYTES} bytes"));
    }
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if sha != row.sha256 {
        return Err(format!(
            "its content does not match the sha256 index.csv recorded (changed or damaged on disk; {} bytes now)",
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// Parses one label file for its job; the format must be what the index says.
fn parse_part(row: &IndexRow, bytes: &[u8]) -> Result<Part, String> {
    let kind = sniff_label(bytes);
    let expected = match row.format.as_str() {
        "PDF" => LabelKind::Pdf,
        "PNG" => LabelKind::Png,
        "EPL2" => LabelKind::Epl2,
        other => {
            return Err(format!(
                "the index gives it format \"{other}\", which mawb does not print"
            ))
        }
    };
    if kind != Some(expected) {
        return Err(format!(
            "the index says {}, but its content is {}",
            row.format,
            kind.map_or("no label format", LabelKind::name)
        ));
    }
    match expected {
        LabelKind::Pdf => {
            // lopdf parses bytes from disk: a panic inside it refuses this label only.
            crate::contain::contain(|| {
                let mut doc = lopdf::Document::load_mem(bytes)
                    .map_err(|e| format!("not a readable PDF: {e}"))?;
                super::pdf::prepare(&mut doc)?;
                Ok(Part::Pdf(Box::new(doc)))
            })
            .map_err(|m| format!("the PDF reader failed on it: {m}"))?
        }
        LabelKind::Png => PngImage::parse(bytes).map(Part::Png),
        _ => EplLabel::parse(bytes).map(Part::Epl),
    }
}

/// Reads and parses every label the plan prints. Reading the zip is sequential; parsing runs in parallel.
pub(crate) fn load_labels(zip_path: &Path, plan: &Plan) -> Result<Loaded, PrintError> {
    let zip_error = |why: String| PrintError::Zip {
        path: zip_path.display().to_string(),
        why,
    };
    // Read whole when it fits in memory comfortably: one read instead of a seek and a read per label.
    let size = std::fs::metadata(zip_path)
        .map_err(|e| zip_error(e.to_string()))?
        .len();
    if size <= IN_MEMORY_ZIP_BYTES {
        let bytes = std::fs::read(zip_path).map_err(|e| zip_error(e.to_string()))?;
        load_from(std::io::Cursor::new(bytes), plan, zip_error)
    } else {
        let file = std::fs::File::open(zip_path).map_err(|e| zip_error(e.to_string()))?;
        load_from(std::io::BufReader::new(file), plan, zip_error)
    }
}

/// Largest `labels.zip` read whole into memory (2,000 PNG labels are about 17 MB).
const IN_MEMORY_ZIP_BYTES: u64 = 512 * 1024 * 1024;

fn load_from<R: Read + std::io::Seek>(
    reader: R,
    plan: &Plan,
    zip_error: impl Fn(String) -> PrintError,
) -> Result<Loaded, PrintError> {
    let mut zip = crate::contain::contain(|| zip::ZipArchive::new(reader))
        .map_err(|m| zip_error(format!("the zip reader failed on it: {m}")))?
        .map_err(|e| zip_error(format!("not a readable zip: {e}")))?;
    let mut damaged = Vec::new();
    // Each readable label: its group, and each part's index and bytes.
    type Files = Vec<(usize, Vec<u8>)>;
    let mut raw: Vec<(usize, Files)> = Vec::new();
    for piece in &plan.pieces {
        let Piece::Label(g) = *piece else { continue };
        let group = &plan.groups[g];
        let mut files = Vec::with_capacity(group.parts.len());
        for (p, row) in group.parts.iter().enumerate() {
            match crate::contain::contain(|| read_entry(&mut zip, row))
                .unwrap_or_else(|m| Err(format!("the zip reader failed on it: {m}")))
            {
                Ok(bytes) => files.push((p, bytes)),
                Err(why) => {
                    damaged.push(Damaged {
                        what: group.describe(),
                        file: row.file.clone(),
                        why,
                        fix: fix_for(group),
                    });
                    break;
                }
            }
        }
        // A label with a damaged part is left out whole: half a FedEx pair is no use.
        if files.len() == group.parts.len() {
            raw.push((g, files));
        }
    }
    let parsed: Vec<(usize, Result<Vec<Part>, Damaged>)> = raw
        .into_par_iter()
        .map(|(g, files)| {
            let group = &plan.groups[g];
            let parts = files
                .into_iter()
                .map(|(p, bytes)| {
                    let row = &group.parts[p];
                    parse_part(row, &bytes).map_err(|why| Damaged {
                        what: group.describe(),
                        file: row.file.clone(),
                        why,
                        fix: fix_for(group),
                    })
                })
                .collect::<Result<Vec<Part>, Damaged>>();
            (g, parts)
        })
        .collect();
    let mut parts = HashMap::with_capacity(parsed.len());
    for (g, r) in parsed {
        match r {
            Ok(p) => {
                parts.insert(g, p);
            }
            Err(d) => damaged.push(d),
        }
    }
    Ok(Loaded { parts, damaged })
}
