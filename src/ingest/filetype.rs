//! File types by content, not by name: warehouses rename files, and ACP checks what a file is, not what
//! it is called. Spreadsheets, MAWB scans and labels are all recognised here from their first bytes.

pub use mawb_model::filetype::FileKind;
use std::io::Read;
use std::path::Path;

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
    // UTF-16 with a byte order mark (Excel's "Unicode Text") is decoded by the csv reader; UTF-32 (its
    // little-endian mark starts like UTF-16's) is text the csv reader names and refuses.
    if head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
        || head.starts_with(&[0, 0, 0xFE, 0xFF])
    {
        return FileKind::Text;
    }
    // A few NUL bytes in UTF-8 text (a damaged copy, a scanner's stray byte) leave it text: the cell
    // holding one is then named with its row and column (`xml-character`). Many NULs (UTF-16
    // without its byte order mark, a binary file) do not.
    let nuls = |s: &str| s.bytes().filter(|&b| b == 0).count();
    match std::str::from_utf8(head) {
        Ok(s) if nuls(s) * 100 > s.len() => FileKind::Unknown,
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
        // A stray NUL in a text's row is left to the cell rules; UTF-16 without its mark is not text.
        let mut csv = "trackingNumber,consigneeName\n".repeat(10).into_bytes();
        csv.extend_from_slice(b"1Z1,A\0nn\n");
        assert_eq!(sniff_magic(&csv), FileKind::Text);
        assert_eq!(sniff_magic(b"t\0r\0a\0c\0k\0,\0"), FileKind::Unknown);
    }

    #[test]
    fn a_utf8_sequence_cut_by_the_prefix_is_still_text() {
        let text = "abc é".as_bytes();
        assert_eq!(sniff_magic(&text[..text.len() - 1]), FileKind::Text);
    }
}
