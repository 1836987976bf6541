//! Real shipping label files for the local ACP sandbox: PNG, PDF and EPL2, each with a scannable Code 128
//! barcode of the tracking number, bag id or day id.
//!
//! The sandbox hands back what ACP hands back, files that a thermal printer, a PDF viewer and a scanner
//! accept, so that the label archive, its magic-byte checks and the unpacking of zipped FedEx pairs are
//! exercised on real bytes, not placeholders. The bars come from the `barcoders` crate, the PDF from
//! `pdf-writer`, the PNG from `png`, the FedEx zip from `zip`; what is drawn here is the layout, the 5x7
//! bitmap font (see `font` for why it is not a crate) and the EPL2 text.
//!
//! What each output starts with (the archive checks magic bytes): PNG `\x89PNG\r\n\x1a\n`; PDF `%PDF-1.4`;
//! a PNG pair is a zip, `PK\x03\x04`; EPL2 starts with [`EPL2_START`], `\r\nN\r\n`: a blank line before `N`,
//! as Zebra advises, so that a printer holding a half-received command starts clean.
//!
//! The three formats share one layout in printer dots (`layout`; 203 dpi: 4x6 in is 812x1218 dots, 4x4
//! is 812x812). Text is clipped to the label, characters a format cannot carry become `?`, and an id too
//! long for a barcode at one dot per module gets a note instead of bars: no input string makes rendering
//! panic.
//!
//! Parts: `layout`, `font`, `png` (and the zip of a PNG pair), `pdf`, `epl`.

mod epl;
mod font;
mod layout;
mod pdf;
mod png;
#[cfg(test)]
mod tests;

use self::layout::Layout;
use mawb_wire::wire::{LabelFormat, LabelSize};

/// What a label is for; printed under the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    Parcel,
    Bag,
    EndOfDay,
}

impl LabelKind {
    fn heading(self) -> &'static str {
        match self {
            LabelKind::Parcel => "PARCEL",
            LabelKind::Bag => "BAG",
            LabelKind::EndOfDay => "END OF DAY",
        }
    }
}

/// What goes on one label.
#[derive(Debug, Clone, Copy)]
pub struct LabelContent<'a> {
    pub kind: LabelKind,
    /// The barcoded id: tracking number, bag id or day id.
    pub id: &'a str,
    /// The service, e.g. "ACP Ground".
    pub title: &'a str,
    /// Free text lines: consignee, address, weight...
    pub lines: &'a [String],
}

/// The first bytes of every EPL2 label written here: a blank line, then `N` (clear the image buffer).
pub const EPL2_START: &[u8] = b"\r\nN\r\n";

/// One label in the requested format and size.
pub fn render(format: LabelFormat, size: LabelSize, content: &LabelContent) -> Vec<u8> {
    let layout = Layout::new(size, content);
    match format {
        LabelFormat::Png => png::png_file(&layout),
        LabelFormat::Pdf => pdf::pdf_file(&[layout]),
        LabelFormat::Epl2 => epl::epl2_label(&layout).into_bytes(),
    }
}

/// Labels 11 and 14 (FedEx International): two labels. PNG → one zip archive holding two PNG files
/// ("label-1.png", "label-2.png"); PDF → one PDF with two pages; EPL2 → one file holding both labels.
pub fn render_pair(
    format: LabelFormat,
    size: LabelSize,
    first: &LabelContent,
    second: &LabelContent,
) -> Vec<u8> {
    let (a, b) = (Layout::new(size, first), Layout::new(size, second));
    match format {
        LabelFormat::Png => png::zip_file(&[
            ("label-1.png", png::png_file(&a)),
            ("label-2.png", png::png_file(&b)),
        ]),
        LabelFormat::Pdf => pdf::pdf_file(&[a, b]),
        LabelFormat::Epl2 => {
            let mut text = epl::epl2_label(&a);
            text.push_str(&epl::epl2_label(&b));
            text.into_bytes()
        }
    }
}
