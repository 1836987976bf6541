//! The kinds of file a MAWB folder holds (spreadsheets, scans, labels). Recognising them by content is
//! ingest's work (`mawb::ingest::filetype`); this is the vocabulary.

use serde::Serialize;

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
