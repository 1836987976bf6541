//! Real shipping label files for the local ACP sandbox: PNG, PDF and EPL2, each with a scannable Code 128
//! barcode of the tracking number, bag id or day id.
//!
//! The sandbox hands back what ACP hands back, files that a thermal printer, a PDF viewer and a scanner
//! accept, so that the label archive, its magic-byte checks and the unpacking of zipped FedEx pairs are
//! exercised on real bytes, not placeholders. Everything is drawn here, without a font or barcode crate: a
//! 5x7 bitmap font, the full Code 128 table, a hand-written PDF 1.4 and EPL2 text.
//!
//! What each output starts with (the archive checks magic bytes): PNG `\x89PNG\r\n\x1a\n`; PDF `%PDF-1.4`;
//! a PNG pair is a zip, `PK\x03\x04`; EPL2 starts with [`EPL2_START`], `\r\nN\r\n`: a blank line before `N`,
//! as Zebra advises, so that a printer holding a half-received command starts clean.
//!
//! The three formats share one layout in printer dots (203 dpi: 4x6 in is 812x1218 dots, 4x4 is 812x812):
//! the title, the kind of label, the free lines, then the barcode with its id underneath. Text is clipped
//! to the label, characters a format cannot carry become `?`, and an id too long for a barcode at one dot
//! per module gets a note instead of bars: no input string makes rendering panic.

use std::io::Write as _;

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
        LabelFormat::Png => png_file(&layout),
        LabelFormat::Pdf => pdf_file(&[layout]),
        LabelFormat::Epl2 => epl2_label(&layout).into_bytes(),
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
        LabelFormat::Png => {
            zip_file(&[("label-1.png", png_file(&a)), ("label-2.png", png_file(&b))])
        }
        LabelFormat::Pdf => pdf_file(&[a, b]),
        LabelFormat::Epl2 => {
            let mut text = epl2_label(&a);
            text.push_str(&epl2_label(&b));
            text.into_bytes()
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Layout, in printer dots (203 dpi), origin top left
// ---------------------------------------------------------------------------------------------------------

const DOTS_PER_INCH: u32 = 203;
const LABEL_WIDTH: u32 = 812;
const MARGIN: u32 = 24;
const LINE_PITCH: u32 = 32;
/// Code 128 wants at least 10 modules of blank on each side to be found by a scanner.
const QUIET_MODULES: usize = 10;
/// Wider modules scan from further away but make a 20-character tracking number overflow 4 inches.
const MAX_MODULE: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Title,
    Body,
}

impl Style {
    /// Width of one character cell in dots: the bitmap font's 6-dot cell times its scale.
    fn pitch(self) -> u32 {
        6 * self.scale()
    }

    /// Height of a line of text in dots: the font's 8 rows (descender included) times its scale.
    fn height(self) -> u32 {
        8 * self.scale()
    }

    fn scale(self) -> u32 {
        match self {
            Style::Title => 4,
            Style::Body => 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
}

/// One line of text, already clipped to as many characters as fit between `x` and `right`.
struct Text<'a> {
    x: u32,
    right: u32,
    y: u32,
    style: Style,
    align: Align,
    text: &'a str,
}

impl<'a> Text<'a> {
    fn new(x: u32, right: u32, y: u32, style: Style, align: Align, text: &'a str) -> Text<'a> {
        let fit = (right.saturating_sub(x) / style.pitch()) as usize;
        let text = match text.char_indices().nth(fit) {
            Some((cut, _)) => &text[..cut],
            None => text,
        };
        Text {
            x,
            right,
            y,
            style,
            align,
            text,
        }
    }

    /// The left edge for a text `width` dots wide.
    fn left(&self, width: u32) -> u32 {
        match self.align {
            Align::Left => self.x,
            Align::Center => self.x + self.right.saturating_sub(self.x).saturating_sub(width) / 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rect {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

/// A Code 128 symbol placed on the label.
struct Barcode {
    x: u32,
    y: u32,
    module: u32,
    height: u32,
    /// The encoded text: the id with every character outside printable ASCII replaced by `?`.
    data: String,
    /// Start B, data, checksum, stop.
    symbols: Vec<u8>,
}

impl Barcode {
    /// The barcode of `id`, centred, with the widest module (up to [`MAX_MODULE`] dots) that keeps it and
    /// its quiet zones on the label; `None` when `id` is empty or too long even at one dot per module.
    fn fit(id: &str, y: u32, height: u32) -> Option<Barcode> {
        let count = id.chars().count();
        if count == 0 {
            return None;
        }
        let modules = code128_modules(count);
        let module =
            (LABEL_WIDTH as usize / modules.saturating_add(2 * QUIET_MODULES)).min(MAX_MODULE);
        if module == 0 {
            return None;
        }
        let data: String = id
            .chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
            .collect();
        let symbols = code128b_symbols(&data);
        let x = (LABEL_WIDTH as usize - modules * module) / 2;
        Some(Barcode {
            x: x as u32,
            y,
            module: module as u32,
            height,
            data,
            symbols,
        })
    }

    /// The bars as filled rectangles, left to right.
    fn bars(&self) -> Vec<Rect> {
        let mut bars = Vec::with_capacity(self.symbols.len() * 3 + 1);
        let mut x = self.x;
        for &symbol in &self.symbols {
            for (i, width) in CODE128_PATTERNS[usize::from(symbol)].bytes().enumerate() {
                let w = u32::from(width - b'0') * self.module;
                if i % 2 == 0 {
                    bars.push(Rect {
                        x,
                        y: self.y,
                        w,
                        h: self.height,
                    });
                }
                x += w;
            }
        }
        bars
    }
}

/// Everything drawn on one label; each output format renders the same layout.
struct Layout<'a> {
    width: u32,
    height: u32,
    texts: Vec<Text<'a>>,
    rules: Vec<Rect>,
    barcode: Option<Barcode>,
}

impl<'a> Layout<'a> {
    fn new(size: LabelSize, content: &LabelContent<'a>) -> Layout<'a> {
        let (height, bar_height) = match size {
            LabelSize::FourBySix => (6 * DOTS_PER_INCH, 240),
            LabelSize::FourByFour => (4 * DOTS_PER_INCH, 160),
        };
        // 6 * 203 = 1218 and 4 * 203 = 812, the printer's dot counts; the width is always 4 inches.
        let (left, right) = (MARGIN, LABEL_WIDTH - MARGIN);
        let (title, body) = (Style::Title, Style::Body);
        let text = |y, style, align, text: &'a str| Text::new(left, right, y, style, align, text);
        let rule = |y| Rect {
            x: left,
            y,
            w: right - left,
            h: 4,
        };
        let id_y = height - MARGIN - body.height();
        let bars_y = id_y - 8 - bar_height;
        let rule_y = bars_y - 20;
        let rules = vec![rule(104), rule(rule_y)];
        let mut texts = vec![
            text(MARGIN, title, Align::Left, content.title),
            text(68, body, Align::Left, content.kind.heading()),
        ];
        let line_ys = (120..=rule_y - 12 - body.height()).step_by(LINE_PITCH as usize);
        for (line, y) in content.lines.iter().zip(line_ys) {
            texts.push(text(y, body, Align::Left, line));
        }
        let barcode = Barcode::fit(content.id, bars_y, bar_height);
        if barcode.is_none() {
            let note = if content.id.is_empty() {
                "NO ID"
            } else {
                "ID TOO LONG FOR A BARCODE"
            };
            let note_y = bars_y + (bar_height - body.height()) / 2;
            texts.push(text(note_y, body, Align::Center, note));
        }
        texts.push(text(id_y, body, Align::Center, content.id));
        Layout {
            width: LABEL_WIDTH,
            height,
            texts,
            rules,
            barcode,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Code 128
// ---------------------------------------------------------------------------------------------------------

/// Bar and space widths (in modules, bar first) of the 107 Code 128 symbols, by value: 0-102 data and
/// control values, 103-105 start A/B/C, 106 stop (7 elements, 13 modules).
const CODE128_PATTERNS: [&str; 107] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212",
    "221213", "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221",
    "223211", "221132", "221231", "213212", "223112", "312131", "311222", "321122", "321221",
    "312212", "322112", "322211", "212123", "212321", "232121", "111323", "131123", "131321",
    "112313", "132113", "132311", "211313", "231113", "231311", "112133", "112331", "132131",
    "113123", "113321", "133121", "313121", "211331", "231131", "213113", "213311", "213131",
    "311123", "311321", "331121", "312113", "312311", "332111", "314111", "221411", "431111",
    "111224", "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", "111242",
    "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311",
    "113141", "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
];
const CODE128_START_B: u8 = 104;
const CODE128_STOP: u8 = 106;

/// Modules in a code set B symbol of `count` characters: start, data, checksum (11 each) and stop (13).
fn code128_modules(count: usize) -> usize {
    count.saturating_add(3).saturating_mul(11).saturating_add(2)
}

/// The mod-103 checksum: the start value plus each data value times its 1-based position.
fn code128_checksum(start: u8, values: &[u8]) -> u8 {
    let weighted = values
        .iter()
        .zip(1u64..)
        .fold(u64::from(start) % 103, |sum, (&v, position)| {
            (sum + position % 103 * u64::from(v)) % 103
        });
    weighted as u8
}

/// The symbol values of `data` in code set B: start B, one value per character (`?` for any character
/// outside printable ASCII), checksum, stop.
fn code128b_symbols(data: &str) -> Vec<u8> {
    let values: Vec<u8> = data
        .chars()
        .map(|c| {
            if (' '..='~').contains(&c) {
                c as u8 - b' '
            } else {
                b'?' - b' '
            }
        })
        .collect();
    let mut symbols = Vec::with_capacity(values.len() + 3);
    symbols.push(CODE128_START_B);
    symbols.extend_from_slice(&values);
    symbols.push(code128_checksum(CODE128_START_B, &values));
    symbols.push(CODE128_STOP);
    symbols
}

// ---------------------------------------------------------------------------------------------------------
// Bitmap font: 5x7 glyphs (plus one descender row) in a 6x8 cell, printable ASCII 32..=126
// ---------------------------------------------------------------------------------------------------------

/// The glyphs as pictures, rows top to bottom separated by spaces, `#` ink; missing rows are blank.
const GLYPH_ART: [&str; 95] = [
    "",                                                // ' '
    "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",       // !
    ".#.#. .#.#. .#.#.",                               // "
    ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",       // #
    "..#.. .#### #.#.. .###. ..#.# ####. ..#..",       // $
    "##... ##..# ...#. ..#.. .#... #..## ...##",       // %
    ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",       // &
    "..#.. ..#.. ..#..",                               // '
    "...#. ..#.. .#... .#... .#... ..#.. ...#.",       // (
    ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",       // )
    "..... ..#.. #.#.# .###. #.#.# ..#..",             // *
    "..... ..#.. ..#.. ##### ..#.. ..#..",             // +
    "..... ..... ..... ..... .##.. ..#.. .#...",       // ,
    "..... ..... ..... #####",                         // -
    "..... ..... ..... ..... ..... .##.. .##..",       // .
    "..... ....# ...#. ..#.. .#... #....",             // /
    ".###. #...# #..## #.#.# ##..# #...# .###.",       // 0
    "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",       // 1
    ".###. #...# ....# ...#. ..#.. .#... #####",       // 2
    "##### ...#. ..#.. ...#. ....# #...# .###.",       // 3
    "...#. ..##. .#.#. #..#. ##### ...#. ...#.",       // 4
    "##### #.... ####. ....# ....# #...# .###.",       // 5
    "..##. .#... #.... ####. #...# #...# .###.",       // 6
    "##### ....# ...#. ..#.. .#... .#... .#...",       // 7
    ".###. #...# #...# .###. #...# #...# .###.",       // 8
    ".###. #...# #...# .#### ....# ...#. .##..",       // 9
    "..... .##.. .##.. ..... .##.. .##..",             // :
    "..... .##.. .##.. ..... .##.. ..#.. .#...",       // ;
    "...#. ..#.. .#... #.... .#... ..#.. ...#.",       // <
    "..... ..... ##### ..... #####",                   // =
    ".#... ..#.. ...#. ....# ...#. ..#.. .#...",       // >
    ".###. #...# ....# ...#. ..#.. ..... ..#..",       // ?
    ".###. #...# ....# .##.# #.#.# #.#.# .###.",       // @
    ".###. #...# #...# #...# ##### #...# #...#",       // A
    "####. #...# #...# ####. #...# #...# ####.",       // B
    ".###. #...# #.... #.... #.... #...# .###.",       // C
    "###.. #..#. #...# #...# #...# #..#. ###..",       // D
    "##### #.... #.... ####. #.... #.... #####",       // E
    "##### #.... #.... ####. #.... #.... #....",       // F
    ".###. #...# #.... #.### #...# #...# .####",       // G
    "#...# #...# #...# ##### #...# #...# #...#",       // H
    ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",       // I
    "..### ...#. ...#. ...#. ...#. #..#. .##..",       // J
    "#...# #..#. #.#.. ##... #.#.. #..#. #...#",       // K
    "#.... #.... #.... #.... #.... #.... #####",       // L
    "#...# ##.## #.#.# #.#.# #...# #...# #...#",       // M
    "#...# #...# ##..# #.#.# #..## #...# #...#",       // N
    ".###. #...# #...# #...# #...# #...# .###.",       // O
    "####. #...# #...# ####. #.... #.... #....",       // P
    ".###. #...# #...# #...# #.#.# #..#. .##.#",       // Q
    "####. #...# #...# ####. #.#.. #..#. #...#",       // R
    ".#### #.... #.... .###. ....# ....# ####.",       // S
    "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",       // T
    "#...# #...# #...# #...# #...# #...# .###.",       // U
    "#...# #...# #...# #...# #...# .#.#. ..#..",       // V
    "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",       // W
    "#...# #...# .#.#. ..#.. .#.#. #...# #...#",       // X
    "#...# #...# #...# .#.#. ..#.. ..#.. ..#..",       // Y
    "##### ....# ...#. ..#.. .#... #.... #####",       // Z
    ".###. .#... .#... .#... .#... .#... .###.",       // [
    "..... #.... .#... ..#.. ...#. ....#",             // backslash
    ".###. ...#. ...#. ...#. ...#. ...#. .###.",       // ]
    "..#.. .#.#. #...#",                               // ^
    "..... ..... ..... ..... ..... ..... #####",       // _
    ".#... ..#.. ...#.",                               // `
    "..... ..... .###. ....# .#### #...# .####",       // a
    "#.... #.... #.##. ##..# #...# #...# ####.",       // b
    "..... ..... .###. #.... #.... #...# .###.",       // c
    "....# ....# .##.# #..## #...# #...# .####",       // d
    "..... ..... .###. #...# ##### #.... .###.",       // e
    "..##. .#..# .#... ###.. .#... .#... .#...",       // f
    "..... ..... .#### #...# #...# .#### ....# .###.", // g
    "#.... #.... #.##. ##..# #...# #...# #...#",       // h
    "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",       // i
    "...#. ..... ..##. ...#. ...#. ...#. #..#. .##..", // j
    "#.... #.... #..#. #.#.. ##... #.#.. #..#.",       // k
    ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",       // l
    "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#",       // m
    "..... ..... #.##. ##..# #...# #...# #...#",       // n
    "..... ..... .###. #...# #...# #...# .###.",       // o
    "..... ..... ####. #...# #...# ####. #.... #....", // p
    "..... ..... .#### #...# #...# .#### ....# ....#", // q
    "..... ..... #.##. ##..# #.... #.... #....",       // r
    "..... ..... .#### #.... .###. ....# ####.",       // s
    ".#... .#... ###.. .#... .#... .#..# ..##.",       // t
    "..... ..... #...# #...# #...# #..## .##.#",       // u
    "..... ..... #...# #...# #...# .#.#. ..#..",       // v
    "..... ..... #...# #...# #.#.# #.#.# .#.#.",       // w
    "..... ..... #...# .#.#. ..#.. .#.#. #...#",       // x
    "..... ..... #...# #...# #...# .#### ....# .###.", // y
    "..... ..... ##### ...#. ..#.. .#... #####",       // z
    "...## ..#.. ..#.. .#... ..#.. ..#.. ...##",       // {
    "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",       // |
    "##... ..#.. ..#.. ...#. ..#.. ..#.. ##...",       // }
    "..... ..... .#... #.#.# ...#.",                   // ~
];

/// The glyphs as bits: 8 rows, bit 4 the leftmost of the 5 columns. Built at compile time, so a
/// malformed picture (more than 8 rows) is a build error, not a runtime one.
static FONT: [[u8; 8]; 95] = build_font(&GLYPH_ART);

const fn build_font(art: &[&str; 95]) -> [[u8; 8]; 95] {
    let mut font = [[0u8; 8]; 95];
    let mut g = 0;
    while g < art.len() {
        let bytes = art[g].as_bytes();
        let (mut i, mut row, mut col) = (0, 0, 0);
        while i < bytes.len() {
            match bytes[i] {
                b' ' => {
                    row += 1;
                    col = 0;
                }
                b'#' => {
                    font[g][row] |= 0x10 >> col;
                    col += 1;
                }
                _ => col += 1,
            }
            i += 1;
        }
        g += 1;
    }
    font
}

/// The glyph of `c`; `?` for anything outside printable ASCII.
fn glyph(c: char) -> &'static [u8; 8] {
    let c = if (' '..='~').contains(&c) { c } else { '?' };
    &FONT[c as usize - 32]
}

// ---------------------------------------------------------------------------------------------------------
// PNG: 1 bit per pixel, black on white
// ---------------------------------------------------------------------------------------------------------

/// A 1-bit image, packed as PNG wants it: rows of bytes, most significant bit leftmost, 1 white.
struct Bitmap {
    width: u32,
    height: u32,
    stride: usize,
    bits: Vec<u8>,
}

impl Bitmap {
    fn new(width: u32, height: u32) -> Bitmap {
        let stride = (width as usize).div_ceil(8);
        Bitmap {
            width,
            height,
            stride,
            bits: vec![0xFF; stride * height as usize],
        }
    }

    /// Paints a rectangle black, clipped to the image.
    fn fill(&mut self, rect: Rect) {
        let (x0, x1) = (
            rect.x.min(self.width),
            rect.x.saturating_add(rect.w).min(self.width),
        );
        let (y0, y1) = (
            rect.y.min(self.height),
            rect.y.saturating_add(rect.h).min(self.height),
        );
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let (first, last) = ((x0 / 8) as usize, ((x1 - 1) / 8) as usize);
        let head = 0xFFu8 >> (x0 % 8);
        let tail = 0xFFu8 << (7 - (x1 - 1) % 8);
        for row in self
            .bits
            .chunks_exact_mut(self.stride)
            .take(y1 as usize)
            .skip(y0 as usize)
        {
            if first == last {
                row[first] &= !(head & tail);
            } else {
                row[first] &= !head;
                row[first + 1..last].fill(0);
                row[last] &= !tail;
            }
        }
    }

    fn text(&mut self, text: &Text) {
        let (scale, pitch) = (text.style.scale(), text.style.pitch());
        let width = text.text.chars().count() as u32 * pitch;
        let mut x = text.left(width);
        for c in text.text.chars() {
            for (row, &bits) in (0u32..).zip(glyph(c)) {
                let mut col = 0;
                while col < 5 {
                    if bits & (0x10 >> col) == 0 {
                        col += 1;
                        continue;
                    }
                    let start = col;
                    while col < 5 && bits & (0x10 >> col) != 0 {
                        col += 1;
                    }
                    let y = text.y + row * scale;
                    self.fill(Rect {
                        x: x + start * scale,
                        y,
                        w: (col - start) * scale,
                        h: scale,
                    });
                }
            }
            x += pitch;
        }
    }
}

/// The PNG file of one label: grayscale, bit depth 1, 203 dpi recorded in `pHYs`.
fn png_file(layout: &Layout) -> Vec<u8> {
    let mut bitmap = Bitmap::new(layout.width, layout.height);
    for &rule in &layout.rules {
        bitmap.fill(rule);
    }
    if let Some(barcode) = &layout.barcode {
        for bar in barcode.bars() {
            bitmap.fill(bar);
        }
    }
    for text in &layout.texts {
        bitmap.text(text);
    }
    let mut out = Vec::with_capacity(16 * 1024);
    let mut encoder = png::Encoder::new(&mut out, bitmap.width, bitmap.height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    // Fast (fdeflate) with the Up filter: about 0.2 ms and 8 KB for a 4x6 label in release, since scaled
    // glyphs and bars repeat rows that Up turns into zeros. (Default deflate: 2-3 KB but 1.3-2 ms.)
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::FilterType::Up);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::NonAdaptive);
    // 203 dots per inch is 7992 per metre.
    let dots_per_metre = (f64::from(DOTS_PER_INCH) / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: dots_per_metre,
        yppu: dots_per_metre,
        unit: png::Unit::Meter,
    }));
    // The header is valid by construction and the buffer has exactly width x height pixels, so the only
    // possible failures are bugs here, never input.
    let mut writer = encoder
        .write_header()
        .expect("valid PNG header for a fixed-size 1-bit image");
    writer
        .write_image_data(&bitmap.bits)
        .expect("image buffer matches the PNG header");
    writer
        .finish()
        .expect("writing a PNG into a Vec cannot fail");
    out
}

/// A zip archive of `files`, stored uncompressed (PNG is compressed already) with a fixed date so the
/// same labels always give the same bytes.
fn zip_file(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, data) in files {
        zip.start_file(*name, options)
            .expect("a fixed file name starts a zip entry in memory");
        zip.write_all(data)
            .expect("writing a zip into a Vec cannot fail");
    }
    zip.finish()
        .expect("finishing a zip into a Vec cannot fail")
        .into_inner()
}

// ---------------------------------------------------------------------------------------------------------
// PDF 1.4, written by hand
// ---------------------------------------------------------------------------------------------------------

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

/// Appends formatted text to a byte buffer (writing into a Vec cannot fail).
fn put(out: &mut Vec<u8>, args: std::fmt::Arguments) {
    let _ = out.write_fmt(args);
}

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

/// The escaped PDF string bytes of `text` that fit in `avail` dots at `size` dots, and their width.
fn pdf_string(text: &str, size: f64, avail: f64) -> (Vec<u8>, f64) {
    let mut bytes = Vec::with_capacity(text.len() + 8);
    let mut width = 0.0;
    for c in text.chars() {
        let byte = latin1(c);
        let w = f64::from(helvetica_width(byte)) * size / 1000.0;
        if width + w > avail {
            break;
        }
        width += w;
        if matches!(byte, b'(' | b')' | b'\\') {
            bytes.push(b'\\');
        }
        bytes.push(byte);
    }
    (bytes, width)
}

/// The content stream of one page: rules and bars as filled rectangles, then the text in Helvetica.
fn pdf_content(layout: &Layout) -> Vec<u8> {
    let k = 72.0 / f64::from(DOTS_PER_INCH);
    let page_height = f64::from(layout.height);
    let mut out = Vec::with_capacity(8 * 1024);
    let bars = layout
        .barcode
        .as_ref()
        .map(Barcode::bars)
        .unwrap_or_default();
    out.extend_from_slice(b"0 g\n");
    for r in layout.rules.iter().chain(&bars) {
        let y = page_height - f64::from(r.y) - f64::from(r.h);
        let (x, w, h) = (f64::from(r.x), f64::from(r.w), f64::from(r.h));
        put(
            &mut out,
            format_args!("{:.3} {:.3} {:.3} {:.3} re\n", x * k, y * k, w * k, h * k),
        );
    }
    out.extend_from_slice(b"f\n");
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
        put(
            &mut out,
            format_args!(
                "BT /F1 {:.2} Tf {:.2} {:.2} Td (",
                size * k,
                x * k,
                baseline * k
            ),
        );
        out.extend_from_slice(&bytes);
        out.extend_from_slice(b") Tj ET\n");
    }
    out
}

/// A PDF with one page per layout. Objects: 1 catalog, 2 page tree, 3 font, then per page a page object
/// and its content stream; the xref table holds each object's byte offset.
fn pdf_file(pages: &[Layout]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 * 1024);
    let mut offsets = Vec::with_capacity(3 + 2 * pages.len());
    // The second line's high bytes tell transfer tools the file is binary (the text is Latin-1).
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 4 + 2 * i))
        .collect();
    let mut object = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        put(out, format_args!("{} 0 obj\n", offsets.len()));
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    let tree = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        pages.len()
    );
    object(&mut out, tree.as_bytes());
    object(
        &mut out,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    let k = 72.0 / f64::from(DOTS_PER_INCH);
    for (i, layout) in pages.iter().enumerate() {
        let (w, h) = (f64::from(layout.width) * k, f64::from(layout.height) * k);
        let page = format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w:.0} {h:.0}] \
             /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        );
        object(&mut out, page.as_bytes());
        let content = pdf_content(layout);
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(&content);
        stream.extend_from_slice(b"\nendstream");
        object(&mut out, &stream);
    }
    let xref = out.len();
    put(
        &mut out,
        format_args!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1),
    );
    for offset in &offsets {
        put(&mut out, format_args!("{offset:010} 00000 n \n"));
    }
    put(
        &mut out,
        format_args!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        ),
    );
    out
}

// ---------------------------------------------------------------------------------------------------------
// EPL2
// ---------------------------------------------------------------------------------------------------------

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
fn epl2_label(layout: &Layout) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| s.to_string()).collect()
    }

    fn parcel<'a>(id: &'a str, lines: &'a [String]) -> LabelContent<'a> {
        LabelContent {
            kind: LabelKind::Parcel,
            id,
            title: "ACP Ground",
            lines,
        }
    }

    const SIZES: [LabelSize; 2] = [LabelSize::FourBySix, LabelSize::FourByFour];
    const FORMATS: [LabelFormat; 3] = [LabelFormat::Png, LabelFormat::Pdf, LabelFormat::Epl2];

    /// Decodes a PNG to one byte per pixel (0 black, 255 white), with its width and height.
    fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut decoder = png::Decoder::new(bytes);
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().expect("PNG header");
        assert_eq!(reader.info().bit_depth, png::BitDepth::One);
        assert_eq!(reader.info().color_type, png::ColorType::Grayscale);
        let mut pixels = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut pixels).expect("PNG data");
        assert_eq!(frame.line_size, frame.width as usize);
        (frame.width, frame.height, pixels)
    }

    #[test]
    fn code128_checksum_of_ups_tracking_number() {
        let data = "1ZWE31190196785492";
        // Independently: code set B value = ASCII - 32; checksum = (104 + sum of position * value) mod 103.
        // 1=17 Z=58 W=55 E=37 3=19 1=17 1=17 9=25 0=16 1=17 9=25 6=22 7=23 8=24 5=21 4=20 9=25 2=18
        let values = [
            17, 58, 55, 37, 19, 17, 17, 25, 16, 17, 25, 22, 23, 24, 21, 20, 25, 18,
        ];
        let weighted: u32 = values.iter().zip(1..).map(|(v, i)| v * i).sum();
        assert_eq!(104 + weighted, 3938);
        assert_eq!(3938 % 103, 24);
        let symbols = code128b_symbols(data);
        assert_eq!(symbols.len(), data.len() + 3);
        assert_eq!(symbols[0], 104);
        assert_eq!(&symbols[1..=18], values.map(|v| v as u8).as_slice());
        assert_eq!(symbols[19], 24);
        assert_eq!(symbols[20], 106);
        // Empty data: the checksum is the start value alone.
        assert_eq!(code128b_symbols(""), vec![104, 1, 106]);
    }

    #[test]
    fn code128_table_is_well_formed() {
        for (value, pattern) in CODE128_PATTERNS.iter().enumerate() {
            let widths: Vec<u32> = pattern.bytes().map(|b| u32::from(b - b'0')).collect();
            assert!(widths.iter().all(|w| (1..=4).contains(w)), "{value}");
            let (elements, modules) = if value == 106 { (7, 13) } else { (6, 11) };
            assert_eq!(widths.len(), elements, "{value}");
            assert_eq!(widths.iter().sum::<u32>(), modules, "{value}");
            // Code 128 parity: the bars of a symbol cover an even number of modules.
            let bars: u32 = widths.iter().step_by(2).sum();
            assert_eq!(bars % 2, 0, "{value}");
        }
        let mut sorted = CODE128_PATTERNS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 107, "patterns must be distinct");
    }

    #[test]
    fn glyph_pictures_are_well_formed() {
        for (i, art) in GLYPH_ART.iter().enumerate() {
            let rows: Vec<&str> = art.split(' ').filter(|r| !r.is_empty()).collect();
            assert!(rows.len() <= 8, "glyph {i}");
            assert!(
                rows.iter()
                    .all(|r| r.len() == 5 && r.bytes().all(|b| b == b'#' || b == b'.')),
                "glyph {i}"
            );
        }
        assert_eq!(glyph(' '), &[0; 8]);
        assert_eq!(glyph('I')[0], 0b01110);
        assert_eq!(glyph('é'), glyph('?'));
        assert_eq!(glyph('\n'), glyph('?'));
    }

    #[test]
    fn png_has_magic_and_decodes_to_label_dimensions() {
        let text = lines(&[
            "John Doe",
            "9559 Collins Ave Apt #903",
            "Beverly Hills CA 90210 US",
            "1.125 kg",
        ]);
        for (size, height) in [(LabelSize::FourBySix, 1218), (LabelSize::FourByFour, 812)] {
            let png = render(LabelFormat::Png, size, &parcel("1ZWE31190196785492", &text));
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
            let (w, h, pixels) = decode_png(&png);
            assert_eq!((w, h), (812, height));
            let black = pixels.iter().filter(|&&p| p == 0).count();
            assert!(
                black > 10_000 && black < pixels.len() / 4,
                "{black} black pixels"
            );
        }
    }

    #[test]
    fn png_barcode_reads_back() {
        let id = "1ZWE31190196785492";
        let text = lines(&["x"]);
        let png = render(LabelFormat::Png, LabelSize::FourBySix, &parcel(id, &text));
        let (w, _, pixels) = decode_png(&png);
        // A row through the middle of the bars (1218 - 24 - 24 - 8 - 240/2).
        let y = 1042usize;
        let row = &pixels[y * w as usize..(y + 1) * w as usize];
        let first = row.iter().position(|&p| p == 0).expect("bars on the row");
        let last = row.iter().rposition(|&p| p == 0).expect("bars on the row");
        assert!(first >= 10 && last < w as usize - 10, "quiet zones");
        let mut runs = Vec::new();
        let mut start = first;
        for x in first + 1..=last + 1 {
            if x > last || row[x] != row[start] {
                runs.push(x - start);
                start = x;
            }
        }
        // Start B opens with a 2-module bar.
        let module = runs[0] / 2;
        assert!(module >= 1 && runs.iter().all(|r| r % module == 0));
        let widths: String = runs
            .iter()
            .map(|r| char::from(b'0' + (r / module) as u8))
            .collect();
        let mut symbols = Vec::new();
        let mut rest = widths.as_str();
        while rest.len() > 7 {
            let pattern = &rest[..6];
            symbols.push(
                CODE128_PATTERNS
                    .iter()
                    .position(|p| *p == pattern)
                    .expect("known symbol"),
            );
            rest = &rest[6..];
        }
        assert_eq!(rest, CODE128_PATTERNS[106]);
        assert_eq!(symbols[0], 104);
        let decoded: String = symbols[1..symbols.len() - 1]
            .iter()
            .map(|&v| char::from(v as u8 + 32))
            .collect();
        assert_eq!(decoded, id);
        let values: Vec<u8> = symbols[1..symbols.len() - 1]
            .iter()
            .map(|&v| v as u8)
            .collect();
        assert_eq!(
            symbols[symbols.len() - 1],
            usize::from(code128_checksum(104, &values))
        );
    }

    fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
        haystack
            .get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    }

    /// Checks a PDF's header, trailer, that each xref offset points at its `N 0 obj` and that every
    /// stream's `/Length` is exact.
    fn check_pdf(pdf: &[u8], pages: usize) {
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let ascii = |range: &[u8]| String::from_utf8(range.to_vec()).expect("ASCII structure");
        let startxref = find(pdf, b"startxref\n", pdf.len().saturating_sub(40)).expect("startxref");
        let xref: usize = ascii(&pdf[startxref + 10..pdf.len() - 6])
            .trim()
            .parse()
            .expect("xref offset");
        let table = ascii(&pdf[xref..startxref]);
        let mut rows = table.lines();
        assert_eq!(rows.next(), Some("xref"));
        let count: usize = rows
            .next()
            .and_then(|l| l.split(' ').nth(1)?.parse().ok())
            .expect("xref count");
        assert_eq!(count, 4 + 2 * pages);
        assert_eq!(rows.next(), Some("0000000000 65535 f "));
        for n in 1..count {
            let row = rows.next().expect("xref row");
            assert_eq!(row.len(), 19, "xref rows are 20 bytes with their newline");
            let offset: usize = row[..10].parse().expect("offset");
            assert!(
                pdf[offset..].starts_with(format!("{n} 0 obj\n").as_bytes()),
                "object {n}"
            );
        }
        assert_eq!(rows.next(), Some("trailer"));
        assert_eq!(
            rows.next(),
            Some(format!("<< /Size {count} /Root 1 0 R >>").as_str())
        );
        assert!(find(pdf, format!("/Count {pages} >>").as_bytes(), 0).is_some());
        let mut at = 0;
        let mut streams = 0;
        while let Some(found) = find(pdf, b"<< /Length ", at) {
            let start = found + 11;
            let end = find(pdf, b" >>\nstream\n", start).expect("stream");
            let len: usize = ascii(&pdf[start..end]).parse().expect("length");
            let data = end + 11;
            assert!(pdf[data + len..].starts_with(b"\nendstream\nendobj\n"));
            at = data + len;
            streams += 1;
        }
        assert_eq!(streams, pages);
    }

    #[test]
    fn pdf_is_valid_with_right_offsets_and_page_size() {
        let text = lines(&["Jean (Dupont) \\ Müller", "東京 office"]);
        let pdf = render(
            LabelFormat::Pdf,
            LabelSize::FourBySix,
            &parcel("1ZWE31190196785492", &text),
        );
        check_pdf(&pdf, 1);
        let text_view = String::from_utf8_lossy(&pdf);
        assert!(text_view.contains("/MediaBox [0 0 288 432]"));
        assert!(text_view.contains("/BaseFont /Helvetica"));
        assert!(
            find(&pdf, b"(Jean \\(Dupont\\) \\\\ M\xFCller) Tj", 0).is_some(),
            "escaped Latin-1 text"
        );
        assert!(text_view.contains("(?? office)"));
        let small = render(LabelFormat::Pdf, LabelSize::FourByFour, &parcel("1", &text));
        check_pdf(&small, 1);
        assert!(String::from_utf8_lossy(&small).contains("/MediaBox [0 0 288 288]"));
    }

    #[test]
    fn pairs() {
        let text = lines(&["John Doe"]);
        let (a, b) = (parcel("794600000001", &text), parcel("794600000002", &text));
        let zipped = render_pair(LabelFormat::Png, LabelSize::FourBySix, &a, &b);
        assert!(zipped.starts_with(b"PK\x03\x04"));
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zipped)).expect("zip");
        assert_eq!(archive.len(), 2);
        for (i, name) in ["label-1.png", "label-2.png"].iter().enumerate() {
            let mut entry = archive.by_index(i).expect("entry");
            assert_eq!(entry.name(), *name);
            let mut png = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut png).expect("read entry");
            assert_eq!(decode_png(&png).0, 812);
        }
        let pdf = render_pair(LabelFormat::Pdf, LabelSize::FourBySix, &a, &b);
        check_pdf(&pdf, 2);
        let epl = render_pair(LabelFormat::Epl2, LabelSize::FourBySix, &a, &b);
        let epl = String::from_utf8(epl).expect("ASCII");
        assert!(epl.starts_with("\r\nN\r\n"));
        assert_eq!(epl.matches("\r\nN\r\n").count(), 2);
        assert_eq!(epl.matches("P1\r\n").count(), 2);
        assert!(epl.contains("\"794600000001\"") && epl.contains("\"794600000002\""));
    }

    #[test]
    fn epl2_commands_and_escaping() {
        let text = lines(&["Say \"hi\" \\ bye", "Zoë\tTab"]);
        let content = LabelContent {
            kind: LabelKind::Bag,
            id: "BAG-1\"2",
            title: "ACP Ground",
            lines: &text,
        };
        let epl = render(LabelFormat::Epl2, LabelSize::FourBySix, &content);
        assert!(epl.starts_with(EPL2_START));
        assert!(epl.is_ascii());
        let epl = String::from_utf8(epl).expect("ASCII");
        assert!(!epl.replace("\r\n", "").contains('\n') && !epl.replace("\r\n", "").contains('\r'));
        let commands: Vec<&str> = epl.split("\r\n").collect();
        assert_eq!(&commands[..4], &["", "N", "q812", "Q1218,24"]);
        assert_eq!(&commands[commands.len() - 2..], &["P1", ""]);
        assert!(commands.iter().any(|c| c.starts_with('B')
            && c.contains(",0,1,")
            && c.ends_with(",N,\"BAG-1\\\"2\"")));
        assert!(commands.contains(&"A24,24,0,2,2,2,N,\"ACP Ground\""));
        assert!(commands.contains(&"A24,68,0,4,1,1,N,\"BAG\""));
        assert!(commands.contains(&"A24,120,0,4,1,1,N,\"Say \\\"hi\\\" \\\\ bye\""));
        assert!(commands.contains(&"A24,152,0,4,1,1,N,\"Zo??Tab\""));
        let square = render(LabelFormat::Epl2, LabelSize::FourByFour, &content);
        assert!(String::from_utf8_lossy(&square).contains("\r\nQ812,24\r\n"));
    }

    #[test]
    fn long_text_is_clipped_and_long_ids_get_a_note() {
        let text: Vec<String> = (0..100)
            .map(|i| format!("line {i} {}", "W".repeat(200)))
            .collect();
        let layout = Layout::new(LabelSize::FourBySix, &parcel("1ZWE31190196785492", &text));
        assert!(layout
            .texts
            .iter()
            .all(|t| t.text.chars().count() as u32 * t.style.pitch() <= 764));
        assert!(layout
            .texts
            .iter()
            .all(|t| t.y + t.style.height() <= 1218 - MARGIN));
        let drawn = layout
            .texts
            .iter()
            .filter(|t| t.text.starts_with("line"))
            .count();
        assert_eq!(drawn, 24);
        assert_eq!(
            Layout::new(LabelSize::FourByFour, &parcel("1", &text))
                .texts
                .len(),
            2 + 14 + 1
        );
        let long = "9".repeat(69);
        let layout = Layout::new(LabelSize::FourBySix, &parcel(&long, &text));
        assert!(layout.barcode.is_none());
        assert!(layout
            .texts
            .iter()
            .any(|t| t.text == "ID TOO LONG FOR A BARCODE"));
        let fits = Layout::new(LabelSize::FourBySix, &parcel(&long[..68], &text));
        let barcode = fits
            .barcode
            .expect("68 characters fit at one dot per module");
        assert_eq!(barcode.module, 1);
        let bars = barcode.bars();
        let end = bars.last().map(|r| r.x + r.w).unwrap_or(0);
        assert!(bars[0].x >= 10 && end + 10 <= LABEL_WIDTH);
    }

    #[test]
    fn never_panics_on_odd_input() {
        let huge = "1Z".repeat(5_000);
        let ids = [
            "",
            "x",
            huge.as_str(),
            "📦🚚✈️",
            "\0\r\n\t\u{7f}\u{85}",
            "\"\\()%",
            "é",
        ];
        let odd = lines(&[
            "",
            "📦 émoji ✈️ 東京",
            &"長".repeat(10_000),
            "\0\u{1b}[31m",
            "(((\\\\)))",
        ]);
        let many: Vec<String> = (0..1_000).map(|i| i.to_string()).collect();
        let kinds = [LabelKind::Parcel, LabelKind::Bag, LabelKind::EndOfDay];
        for (i, id) in ids.into_iter().enumerate() {
            for text in [&odd, &many, &Vec::new()] {
                let content = LabelContent {
                    kind: kinds[i % 3],
                    id,
                    title: id,
                    lines: text,
                };
                for format in FORMATS {
                    let magic: &[u8] = match format {
                        LabelFormat::Png => b"\x89PNG",
                        LabelFormat::Pdf => b"%PDF-",
                        LabelFormat::Epl2 => EPL2_START,
                    };
                    let pair_magic: &[u8] = if format == LabelFormat::Png {
                        b"PK\x03\x04"
                    } else {
                        magic
                    };
                    for size in SIZES {
                        let one = render(format, size, &content);
                        assert!(one.starts_with(magic));
                        assert!(
                            render_pair(format, size, &content, &content).starts_with(pair_magic)
                        );
                        match format {
                            LabelFormat::Png => assert_eq!(decode_png(&one).0, 812),
                            LabelFormat::Pdf => check_pdf(&one, 1),
                            LabelFormat::Epl2 => assert!(one.is_ascii()),
                        }
                    }
                }
            }
        }
    }

    /// `cargo test --release -- --ignored --nocapture png_timing`
    #[test]
    #[ignore]
    fn png_timing() {
        let text = lines(&[
            "John Doe",
            "Amazon",
            "9559 Collins Ave Apt #903",
            "Beverly Hills CA 90210",
            "US",
            "123-456-9890",
            "Weight 1.125 kg   Value 100.50 EUR",
            "Ref 1234-4567890",
        ]);
        let content = parcel("1ZWE31190196785492", &text);
        let rounds = 500;
        for (format, size) in [
            (LabelFormat::Png, LabelSize::FourBySix),
            (LabelFormat::Png, LabelSize::FourByFour),
            (LabelFormat::Pdf, LabelSize::FourBySix),
            (LabelFormat::Epl2, LabelSize::FourBySix),
        ] {
            let started = std::time::Instant::now();
            let mut bytes = 0;
            for _ in 0..rounds {
                bytes += render(format, size, &content).len();
            }
            let each = started.elapsed() / rounds;
            println!(
                "{} {}: {each:?} per label, {} bytes",
                format.as_str(),
                size.as_str(),
                bytes / rounds as usize
            );
        }
    }
}
