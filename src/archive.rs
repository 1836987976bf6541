//! The label archive: every label ACP returns, decoded, checked by its magic bytes, and kept.
//!
//! Each label is first written to `ARCHIVE/<mawb>/staging/` (temp name then rename, the moment it arrives,
//! so a killed process loses none), then, when the MAWB's run ends, sealed into `ARCHIVE/<mawb>/labels.zip` (stored, not
//! deflated: PNG and PDF are already compressed) with `index.json` and `index.csv` mapping tracking numbers,
//! bag ids and day ids to entries. The zip is written to a temp name, fsynced and renamed, so a half
//! archive never stands under the final name. FedEx labels (11/14) that arrive as a zip of PNGs are
//! unpacked with bounded sizes and no path from inside the zip ever reaches the file system.
//!
//! [`print`](mod@print) turns the archive into print-ready files (`mawb labels`).

pub mod print;

use crate::ledger::LabelRow;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest label accepted (decoded), and largest entry of a label zip.
pub const MAX_LABEL_BYTES: u64 = 20 * 1024 * 1024;
/// Most entries a label zip may hold (FedEx sends two).
pub const MAX_ZIP_ENTRIES: usize = 16;

/// Why a label could not be archived.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("label of {entity} {id}: {why}")]
    BadLabel {
        entity: String,
        id: String,
        why: String,
    },
    #[error("archive {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// What a label is, by its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    Png,
    Pdf,
    Epl2,
    Zip,
}

impl LabelKind {
    pub fn extension(self) -> &'static str {
        match self {
            LabelKind::Png => "png",
            LabelKind::Pdf => "pdf",
            LabelKind::Epl2 => "epl",
            LabelKind::Zip => "zip",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LabelKind::Png => "PNG",
            LabelKind::Pdf => "PDF",
            LabelKind::Epl2 => "EPL2",
            LabelKind::Zip => "ZIP",
        }
    }
}

/// Recognises a label by its magic bytes. EPL2 is ASCII text whose first command (after blank lines)
/// is `N` (clear the image buffer).
pub fn sniff_label(bytes: &[u8]) -> Option<LabelKind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(LabelKind::Png);
    }
    if bytes.starts_with(b"%PDF-") {
        return Some(LabelKind::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(LabelKind::Zip);
    }
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n' | b' '))
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    let ascii = bytes
        .iter()
        .all(|b| b.is_ascii() && (*b >= 0x20 || matches!(b, b'\r' | b'\n' | b'\t')));
    if ascii && (rest.starts_with(b"N\r\n") || rest.starts_with(b"N\n")) {
        return Some(LabelKind::Epl2);
    }
    None
}

/// The kind of object a label belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Item,
    Bag,
    Day,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Item => "item",
            Entity::Bag => "bag",
            Entity::Day => "day",
        }
    }
}

/// The label archive under one root folder.
#[derive(Debug, Clone)]
pub struct Archive {
    root: PathBuf,
}

/// A file-name-safe rendering of an id.
fn safe(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if s.is_empty() {
        "_".into()
    } else {
        s
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Archive {
    pub fn new(root: impl Into<PathBuf>) -> Archive {
        Archive { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of one MAWB's labels.
    pub fn mawb_dir(&self, mawb: &str) -> PathBuf {
        self.root.join(safe(mawb))
    }

    fn staging(&self, mawb: &str) -> PathBuf {
        self.mawb_dir(mawb).join("staging")
    }

    /// Checks and stages one decoded label (a zip of PNGs becomes one entry per PNG). Returns the rows to
    /// record in the ledger.
    pub fn stage(
        &self,
        mawb: &str,
        entity: Entity,
        id: &str,
        bytes: &[u8],
    ) -> Result<Vec<LabelRow>, ArchiveError> {
        let bad = |why: String| ArchiveError::BadLabel {
            entity: entity.as_str().into(),
            id: id.into(),
            why,
        };
        if bytes.is_empty() {
            return Err(bad("the label is empty".into()));
        }
        if bytes.len() as u64 > MAX_LABEL_BYTES {
            return Err(bad(format!(
                "the label is {} bytes, more than the {} allowed",
                bytes.len(),
                MAX_LABEL_BYTES
            )));
        }
        let kind = sniff_label(bytes)
            .ok_or_else(|| bad("not a PNG, PDF, EPL2 or zip of PNGs by its content".into()))?;
        let base = format!("{}-{}", entity.as_str(), safe(id));
        let parts: Vec<(String, LabelKind, Vec<u8>)> = if kind == LabelKind::Zip {
            // The zip reader is a dependency: a panic inside it refuses the label, nothing more.
            crate::contain::contain(|| unzip_labels(bytes))
                .unwrap_or_else(|msg| Err(format!("the zip reader failed on this label: {msg}")))
                .map_err(bad)?
                .into_iter()
                .enumerate()
                .map(|(n, (k, b))| (format!("{base}-{}.{}", n + 1, k.extension()), k, b))
                .collect()
        } else {
            vec![(format!("{base}.{}", kind.extension()), kind, bytes.to_vec())]
        };
        let dir = self.staging(mawb);
        let mut rows = Vec::with_capacity(parts.len());
        for (file, k, b) in parts {
            let path = dir.join(&file);
            crate::fsutil::write_replace(&path, &b).map_err(|source| ArchiveError::Io {
                path: path.display().to_string(),
                source,
            })?;
            rows.push(LabelRow::new(
                mawb,
                entity.as_str(),
                id,
                file,
                k.name(),
                sha256_hex(&b),
                b.len() as i64,
            ));
        }
        Ok(rows)
    }

    /// The label files of a MAWB that are in the archive now: staged, or entries of its sealed
    /// `labels.zip` that read back whole (a damaged zip counts as holding nothing, so its labels are
    /// fetched again rather than believed). Used to tell which recorded labels are really kept.
    pub fn present_files(&self, mawb: &str) -> std::collections::HashSet<String> {
        let mut names = std::collections::HashSet::new();
        if let Ok(rd) = std::fs::read_dir(self.staging(mawb)) {
            for e in rd.filter_map(|e| e.ok()) {
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') && e.path().is_file() {
                    names.insert(name);
                }
            }
        }
        let zip_path = self.mawb_dir(mawb).join("labels.zip");
        if let Some(mut z) = std::fs::File::open(&zip_path)
            .ok()
            .and_then(|f| zip::ZipArchive::new(std::io::BufReader::new(f)).ok())
        {
            for i in 0..z.len() {
                if let Ok(entry) = z.by_index_raw(i) {
                    names.insert(entry.name().to_string());
                }
            }
        }
        names
    }

    /// Seals the staged labels of a MAWB into `labels.zip` (keeping the entries already sealed), and
    /// writes the index of `rows` (every label of the MAWB). Returns the zip's path, or None when the MAWB
    /// has no label at all.
    pub fn seal(&self, mawb: &str, rows: &[LabelRow]) -> Result<Option<PathBuf>, ArchiveError> {
        let dir = self.mawb_dir(mawb);
        let zip_path = dir.join("labels.zip");
        let staging = self.staging(mawb);
        let io = |p: &Path| {
            let path = p.display().to_string();
            move |source| ArchiveError::Io { path, source }
        };
        let mut staged: Vec<PathBuf> = match std::fs::read_dir(&staging) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        staged.sort();
        // A staged label the ledger does not list belongs to a parcel created by a process killed before it
        // recorded it: the next run cancelled (or will cancel) that parcel to get a label it records, so
        // this one is void and is never sealed for printing.
        let recorded: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.file.as_str()).collect();
        staged.retain(|p| {
            let listed = p
                .file_name()
                .is_some_and(|n| recorded.contains(n.to_string_lossy().as_ref()));
            if !listed {
                let _ = std::fs::remove_file(p);
            }
            listed
        });
        if staged.is_empty() && rows.is_empty() {
            return Ok(None);
        }
        let staged_names: std::collections::HashSet<String> = staged
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        if !staged.is_empty() {
            let old = std::fs::File::open(&zip_path)
                .ok()
                .and_then(|f| zip::ZipArchive::new(std::io::BufReader::new(f)).ok());
            crate::fsutil::write_atomic_with(&zip_path, |w| {
                let mut zw = zip::ZipWriter::new(w);
                if let Some(mut old) = old {
                    for i in 0..old.len() {
                        let entry = old.by_index_raw(i).map_err(std::io::Error::other)?;
                        if staged_names.contains(entry.name()) {
                            continue;
                        }
                        zw.raw_copy_file(entry).map_err(std::io::Error::other)?;
                    }
                }
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored);
                for p in &staged {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let bytes = std::fs::read(p)?;
                    zw.start_file(name, opts).map_err(std::io::Error::other)?;
                    zw.write_all(&bytes)?;
                }
                zw.finish().map_err(std::io::Error::other)?;
                Ok(())
            })
            .map_err(io(&zip_path))?;
            for p in &staged {
                let _ = std::fs::remove_file(p);
            }
            let _ = std::fs::remove_dir(&staging);
        }
        let json = serde_json::to_vec_pretty(&serde_json::json!({
            "mawb": mawb,
            "archive": "labels.zip",
            "labels": rows.iter().map(|r| serde_json::json!({
                "entity": r.entity, "id": r.entity_id, "shipperItemId": r.shipper_item_id,
                "file": r.file, "format": r.format, "sha256": r.sha256, "bytes": r.bytes,
                "status": if r.void { "void" } else { "valid" }, "replacedBy": r.replaced_by,
            })).collect::<Vec<_>>(),
        }))
        .map_err(|e| ArchiveError::Io {
            path: dir.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        let jp = dir.join("index.json");
        crate::fsutil::write_atomic(&jp, &json).map_err(io(&jp))?;
        // A void label (its item cancelled at ACP) stays listed, marked, with the tracking number whose
        // label replaces it.
        let mut csv =
            String::from("entity,id,shipperItemId,file,format,sha256,bytes,status,replacedBy\r\n");
        for r in rows {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},{}\r\n",
                r.entity,
                csv_field(&r.entity_id),
                csv_field(r.shipper_item_id.as_deref().unwrap_or("")),
                r.file,
                r.format,
                r.sha256,
                r.bytes,
                if r.void { "void" } else { "valid" },
                csv_field(r.replaced_by.as_deref().unwrap_or(""))
            ));
        }
        let cp = dir.join("index.csv");
        crate::fsutil::write_atomic(&cp, csv.as_bytes()).map_err(io(&cp))?;
        Ok(Some(zip_path))
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Unpacks a zip of labels safely: at most [`MAX_ZIP_ENTRIES`] entries, each at most [`MAX_LABEL_BYTES`]
/// (counted while reading, whatever the header claims), each a PNG/PDF/EPL2 by content. Entry names are
/// never used as paths.
pub fn unzip_labels(bytes: &[u8]) -> Result<Vec<(LabelKind, Vec<u8>)>, String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("corrupt label zip: {e}"))?;
    if z.is_empty() || z.len() > MAX_ZIP_ENTRIES {
        return Err(format!(
            "the label zip holds {} entries (expected 1 to {MAX_ZIP_ENTRIES})",
            z.len()
        ));
    }
    let mut out = Vec::new();
    for i in 0..z.len() {
        let entry = z
            .by_index(i)
            .map_err(|e| format!("corrupt label zip: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        let mut data = Vec::new();
        entry
            .take(MAX_LABEL_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("corrupt label zip entry {name:?}: {e}"))?;
        if data.len() as u64 > MAX_LABEL_BYTES {
            return Err(format!(
                "label zip entry {name:?} decompresses to more than {MAX_LABEL_BYTES} bytes"
            ));
        }
        match sniff_label(&data) {
            Some(k) if k != LabelKind::Zip => out.push((k, data)),
            _ => {
                return Err(format!(
                    "label zip entry {name:?} is not a PNG, PDF or EPL2 label"
                ))
            }
        }
    }
    if out.is_empty() {
        return Err("the label zip holds no label".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0000";

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zw = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (n, b) in entries {
            zw.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            zw.write_all(b).unwrap();
        }
        zw.finish().unwrap().into_inner()
    }

    #[test]
    fn recognises_label_formats() {
        assert_eq!(sniff_label(PNG), Some(LabelKind::Png));
        assert_eq!(sniff_label(b"%PDF-1.4 ..."), Some(LabelKind::Pdf));
        assert_eq!(
            sniff_label(b"\r\nN\r\nq812\r\nP1\r\n"),
            Some(LabelKind::Epl2)
        );
        assert_eq!(sniff_label(b"<html>"), None);
        assert_eq!(sniff_label(b"N\n\x00\x01"), None);
    }

    #[test]
    fn stages_and_seals_into_a_stored_zip_with_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::new(dir.path());
        let mut rows = a.stage("112-44995451", Entity::Item, "1Z1", PNG).unwrap();
        rows.extend(
            a.stage("112-44995451", Entity::Day, "9", b"%PDF-1.4 x")
                .unwrap(),
        );
        let zip_path = a.seal("112-44995451", &rows).unwrap().unwrap();
        let mut z = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
        assert_eq!(z.len(), 2);
        let e = z.by_name("item-1Z1.png").unwrap();
        assert_eq!(e.compression(), zip::CompressionMethod::Stored);
        drop(e);
        // A later label is added without losing the sealed ones.
        rows.extend(a.stage("112-44995451", Entity::Bag, "77", PNG).unwrap());
        a.seal("112-44995451", &rows).unwrap();
        let z = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
        assert_eq!(z.len(), 3);
        let index = std::fs::read_to_string(a.mawb_dir("112-44995451").join("index.csv")).unwrap();
        assert!(index.contains("bag,77,,bag-77.png,PNG"), "{index}");
        assert!(index.contains(",valid,"), "{index}");
    }

    #[test]
    fn unpacks_a_zip_of_two_pngs_without_using_entry_paths() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::new(dir.path());
        let z = zip_of(&[("../../evil.png", PNG), ("/abs/label-2.png", PNG)]);
        let rows = a.stage("m", Entity::Item, "1Z2", &z).unwrap();
        let files: Vec<_> = rows.iter().map(|r| r.file.as_str()).collect();
        assert_eq!(files, ["item-1Z2-1.png", "item-1Z2-2.png"]);
        assert!(!dir.path().join("evil.png").exists());
    }

    #[test]
    fn refuses_labels_that_are_not_labels() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::new(dir.path());
        assert!(a
            .stage("m", Entity::Item, "x", b"<html>proxy error</html>")
            .is_err());
        assert!(a.stage("m", Entity::Item, "x", b"").is_err());
        let z = zip_of(&[("a.txt", b"hello")]);
        assert!(a.stage("m", Entity::Item, "x", &z).is_err());
    }
}
