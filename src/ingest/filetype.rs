//! File types by content, not by name: warehouses rename files, and ACP checks what a file is, not what
//! it is called. Spreadsheets, MAWB scans and labels are all recognised here from their first bytes.

use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// What a file is, by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    Bmp,
    Tiff,
    /// An OLE2 compound file: legacy `.xls` or `.doc`.
    Ole2,
    Xlsx,
    Xlsb,
    Ods,
    /// Another zip archive.
    Zip,
    /// Text that decodes as UTF-8 (csv, EPL2...).
    Text,
    /// Text that is not UTF-8 (Latin-1, UTF-16...).
    NonUtf8Text,
    /// Anything else (binary).
    Unknown,
}

impl FileKind {
    /// Whether ACP accepts this kind as a MAWB image (PDF PNG JPG BMP TIFF DOC XLS).
    pub fn is_mawb_image(self) -> bool {
        matches!(
            self,
            FileKind::Pdf
                | FileKind::Png
                | FileKind::Jpeg
                | FileKind::Bmp
                | FileKind::Tiff
                | FileKind::Ole2
        )
    }

    /// Whether ingest can read this kind as a HAWB spreadsheet.
    pub fn is_spreadsheet(self) -> bool {
        matches!(
            self,
            FileKind::Xlsx | FileKind::Xlsb | FileKind::Ods | FileKind::Ole2 | FileKind::Text
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Png => "PNG",
            FileKind::Jpeg => "JPEG",
            FileKind::Bmp => "BMP",
            FileKind::Tiff => "TIFF",
            FileKind::Ole2 => "XLS/DOC",
            FileKind::Xlsx => "XLSX",
            FileKind::Xlsb => "XLSB",
            FileKind::Ods => "ODS",
            FileKind::Zip => "ZIP",
            FileKind::Text => "text",
            FileKind::NonUtf8Text => "non-UTF-8 text",
            FileKind::Unknown => "unknown binary",
        }
    }

    /// The upper-case extension ACP expects in an attachment name.
    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "PDF",
            FileKind::Png => "PNG",
            FileKind::Jpeg => "JPG",
            FileKind::Bmp => "BMP",
            FileKind::Tiff => "TIF",
            FileKind::Ole2 => "XLS",
            FileKind::Xlsx => "XLSX",
            FileKind::Xlsb => "XLSB",
            FileKind::Ods => "ODS",
            FileKind::Zip => "ZIP",
            FileKind::Text | FileKind::NonUtf8Text => "CSV",
            FileKind::Unknown => "BIN",
        }
    }
}

/// Recognises the formats whose magic bytes settle the question. Zip archives need a look inside
/// ([`sniff_file`]); this returns [`FileKind::Zip`] for them.
pub fn sniff_magic(head: &[u8]) -> FileKind {
    if head.starts_with(b"%PDF-") {
        FileKind::Pdf
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        FileKind::Png
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        FileKind::Jpeg
    } else if head.starts_with(b"BM") && head.len() >= 14 {
        FileKind::Bmp
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        FileKind::Tiff
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        FileKind::Ole2
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        FileKind::Zip
    } else {
        sniff_text(head)
    }
}

/// Text or binary, from a prefix. A UTF-8 sequence cut by the end of the prefix still counts as UTF-8.
fn sniff_text(head: &[u8]) -> FileKind {
    if head.is_empty() {
        return FileKind::Text;
    }
    // UTF-16 with a byte order mark (Excel's "Unicode Text") is decoded by the csv reader.
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return FileKind::Text;
    }
    match std::str::from_utf8(head) {
        Ok(s) if s.chars().any(|c| c == '\0') => FileKind::Unknown,
        Ok(_) => FileKind::Text,
        Err(e) if e.error_len().is_none() => FileKind::Text,
        Err(_) => {
            let binary = head
                .iter()
                .filter(|&&b| b < 0x09 || (b > 0x0D && b < 0x20))
                .count();
            if binary * 20 > head.len() {
                FileKind::Unknown
            } else {
                FileKind::NonUtf8Text
            }
        }
    }
}

/// Reads the first bytes of a file and tells what it is; zip archives are told apart by their entries.
pub fn sniff_file(path: &Path) -> std::io::Result<FileKind> {
    let mut f = std::fs::File::open(path)?;
    let mut head = vec![0u8; 8192];
    let mut n = 0;
    while n < head.len() {
        let r = f.read(&mut head[n..])?;
        if r == 0 {
            break;
        }
        n += r;
    }
    head.truncate(n);
    match sniff_magic(&head) {
        FileKind::Zip => Ok(sniff_zip(path)),
        k => Ok(k),
    }
}

/// Tells xlsx, xlsb and ods apart by their entries; a zip that is none of them stays [`FileKind::Zip`].
fn sniff_zip(path: &Path) -> FileKind {
    let Ok(file) = std::fs::File::open(path) else {
        return FileKind::Zip;
    };
    let Ok(archive) = zip::ZipArchive::new(std::io::BufReader::new(file)) else {
        return FileKind::Zip;
    };
    let names: Vec<&str> = archive.file_names().collect();
    if names.contains(&"xl/workbook.bin") {
        FileKind::Xlsb
    } else if names.contains(&"xl/workbook.xml") {
        FileKind::Xlsx
    } else if names.contains(&"content.xml") && names.contains(&"mimetype") {
        FileKind::Ods
    } else {
        FileKind::Zip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_magic_bytes() {
        assert_eq!(sniff_magic(b"%PDF-1.4\n"), FileKind::Pdf);
        assert_eq!(sniff_magic(b"\x89PNG\r\n\x1a\n...."), FileKind::Png);
        assert_eq!(sniff_magic(&[0xFF, 0xD8, 0xFF, 0xE0]), FileKind::Jpeg);
        assert_eq!(sniff_magic(b"II*\0abcd"), FileKind::Tiff);
        assert_eq!(
            sniff_magic(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            FileKind::Ole2
        );
        assert_eq!(sniff_magic(b"PK\x03\x04rest"), FileKind::Zip);
    }

    #[test]
    fn tells_utf8_text_from_other_text_and_binary() {
        assert_eq!(sniff_magic("a,b\nJosé,1\n".as_bytes()), FileKind::Text);
        assert_eq!(sniff_magic(b"a,b\nJos\xe9,1\n"), FileKind::NonUtf8Text);
        assert_eq!(
            sniff_magic(&[0u8, 1, 2, 3, 4, 5, 200, 201, 17, 18]),
            FileKind::Unknown
        );
        assert_eq!(sniff_magic(b"\xFF\xFEa\0b\0"), FileKind::Text);
    }

    #[test]
    fn a_utf8_sequence_cut_by_the_prefix_is_still_text() {
        let text = "abc é".as_bytes();
        assert_eq!(sniff_magic(&text[..text.len() - 1]), FileKind::Text);
    }
}
