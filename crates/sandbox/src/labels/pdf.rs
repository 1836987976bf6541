//! PDF labels through the `pdf-writer` crate: one page per label, the page the label's size in points
//! (72 per inch), rules and bars as filled rectangles, text in the standard Helvetica font (WinAnsi), so
//! no font is embedded.
//!
//! Objects: 1 catalog, 2 page tree, 3 font, then per page a page object and its content stream. Text is
//! clipped with Helvetica's advance widths, so a line never runs off the label.

use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref, Str};

use super::layout::{Align, Barcode, Layout, DOTS_PER_INCH};

/// Helvetica advance widths (1/1000 em) of printable ASCII, from Adobe's AFM: used to clip text lines.
const HELVETICA_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ' ' to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 to ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ to O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P to _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` to o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p to ~
];

/// The WinAnsi (Latin-1 for these ranges) byte of `c`, or `?` for what Helvetica cannot show here.
fn latin1(c: char) -> u8 {
    match u32::from(c) {
        code @ (0x20..=0x7E | 0xA0..=0xFF) => code as u8,
        _ => b'?',
    }
}

/// Width in 1/1000 em; above ASCII an upper bound (the widest accented capitals), so clipping stays safe.
fn helvetica_width(byte: u8) -> u32 {
    match byte {
        0x20..=0x7E => u32::from(HELVETICA_WIDTHS[usize::from(byte - 0x20)]),
        0xC6 => 1000,
        0xE6 => 889,
        0xBC..=0xBE => 834,
        _ => 778,
    }
}

/// The WinAnsi bytes of `text` that fit in `avail` dots at `size` dots, and their width.
fn pdf_string(text: &str, size: f64, avail: f64) -> (Vec<u8>, f64) {
    let mut bytes = Vec::with_capacity(text.len());
    let mut width = 0.0;
    for c in text.chars() {
        let byte = latin1(c);
        let w = f64::from(helvetica_width(byte)) * size / 1000.0;
        if width + w > avail {
            break;
        }
        width += w;
        bytes.push(byte);
    }
    (bytes, width)
}

/// Points per printer dot.
const POINTS_PER_DOT: f64 = 72.0 / DOTS_PER_INCH as f64;

/// A length in dots as points, the unit of PDF page space.
fn points(dots: f64) -> f32 {
    (dots * POINTS_PER_DOT) as f32
}

const FONT: Name = Name(b"F1");

/// The content stream of one page: rules and bars as filled rectangles, then the text in Helvetica.
fn pdf_content(layout: &Layout) -> Vec<u8> {
    let page_height = f64::from(layout.height);
    let mut content = Content::new();
    let bars = layout
        .barcode
        .as_ref()
        .map(Barcode::bars)
        .unwrap_or_default();
    content.set_fill_gray(0.0);
    for r in layout.rules.iter().chain(&bars) {
        let y = page_height - f64::from(r.y) - f64::from(r.h);
        content.rect(
            points(f64::from(r.x)),
            points(y),
            points(f64::from(r.w)),
            points(f64::from(r.h)),
        );
    }
    content.fill_nonzero();
    for text in &layout.texts {
        // Helvetica at 1.15x the cell height has capitals about as tall as the bitmap font's.
        let cell = f64::from(text.style.height());
        let size = cell * 1.15;
        let avail = f64::from(text.right.saturating_sub(text.x));
        let (bytes, width) = pdf_string(text.text, size, avail);
        if bytes.is_empty() {
            continue;
        }
        let x = match text.align {
            Align::Left => f64::from(text.x),
            Align::Center => f64::from(text.x) + (avail - width) / 2.0,
        };
        let baseline = page_height - f64::from(text.y) - cell * 7.0 / 8.0;
        content
            .begin_text()
            .set_font(FONT, points(size))
            .next_line(points(x), points(baseline))
            .show(Str(&bytes))
            .end_text();
    }
    content.finish().into_vec()
}

/// A PDF 1.4 file with one page per layout.
pub(super) fn pdf_file(pages: &[Layout]) -> Vec<u8> {
    let mut pdf = Pdf::new();
    pdf.set_version(1, 4);
    let (catalog, tree, font) = (Ref::new(1), Ref::new(2), Ref::new(3));
    let page_ref = |i: usize| Ref::new(4 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(5 + 2 * i as i32);
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids((0..pages.len()).map(page_ref))
        .count(pages.len() as i32);
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (i, layout) in pages.iter().enumerate() {
        let (w, h) = (
            points(f64::from(layout.width)),
            points(f64::from(layout.height)),
        );
        let mut page = pdf.page(page_ref(i));
        page.media_box(Rect::new(0.0, 0.0, w.round(), h.round()))
            .parent(tree)
            .contents(content_ref(i));
        page.resources().fonts().pair(FONT, font);
        page.finish();
        pdf.stream(content_ref(i), &pdf_content(layout));
    }
    pdf.finish()
}
