//! EPL2 labels: the [`Layout`] as Eltron/Zebra printer commands (`N`, `q`, `Q`, `LO` rules, `A` text in
//! resident fonts, a `B` Code 128 barcode the printer draws itself, `P1`), CRLF line ends, ASCII only.
//!
//! Written here: EPL2 is a plain-text command language and no maintained crate writes it.

use super::layout::{Layout, Style};

/// `text` as the inside of an EPL2 quoted field: printable ASCII, `"` and `\` backslash-escaped, anything
/// else (control characters would end the command) `?`.
fn epl2_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// One EPL2 label: `N`, width `q`, length and gap `Q`, `LO` rules, `A` text, a `B` Code 128 barcode
/// (auto code set), `P1`; CRLF line ends, ASCII only.
pub(super) fn epl2_label(layout: &Layout) -> String {
    let mut out = String::with_capacity(2048);
    let mut line = |text: String| {
        out.push_str(&text);
        out.push_str("\r\n");
    };
    line(String::new());
    line("N".to_string());
    line(format!("q{}", layout.width));
    line(format!("Q{},24", layout.height));
    for r in &layout.rules {
        line(format!("LO{},{},{},{}", r.x, r.y, r.w, r.h));
    }
    if let Some(b) = &layout.barcode {
        let data = epl2_quoted(&b.data);
        line(format!(
            "B{},{},0,1,{},{},{},N,\"{data}\"",
            b.x,
            b.y,
            b.module,
            2 * b.module,
            b.height
        ));
    }
    for text in layout.texts.iter().filter(|t| !t.text.is_empty()) {
        // Resident fonts no wider than the bitmap font's cells, so clipped text still fits: font 2 doubled
        // (24 dots a character, 32 high) for the title, font 4 (16 dots, 24 high) for the rest.
        let (font, mult, pitch) = match text.style {
            Style::Title => (2, 2, 24),
            Style::Body => (4, 1, 16),
        };
        let x = text.left(text.text.chars().count() as u32 * pitch);
        let quoted = epl2_quoted(text.text);
        line(format!(
            "A{x},{},0,{font},{mult},{mult},N,\"{quoted}\"",
            text.y
        ));
    }
    line("P1".to_string());
    out
}
