//! The one layout every label format draws: positions in printer dots (203 dpi), origin top left.
//!
//! A label is 4 inches wide (812 dots) and 6 or 4 inches high (1218 or 812 dots): the title, the kind of
//! label, the free lines, then the Code 128 barcode of the id with the id underneath. Text is clipped to
//! the label in the bitmap font's cells ([`super::font`]); an id too long for a barcode at one dot per
//! module gets a note instead of bars. The bars come from the `barcoders` crate (Code 128, code set B).

use barcoders::sym::code128::Code128;

use super::LabelContent;
use mawb_wire::wire::LabelSize;

/// Thermal label printers' resolution: 203 dots per inch (8 per mm).
pub(super) const DOTS_PER_INCH: u32 = 203;
/// 4 inches, in dots.
pub(super) const LABEL_WIDTH: u32 = 812;
/// Blank border on every side, in dots.
pub(super) const MARGIN: u32 = 24;
/// Distance between free text lines, in dots.
pub(super) const LINE_PITCH: u32 = 32;
/// Code 128 wants at least 10 modules of blank on each side to be found by a scanner.
pub(super) const QUIET_MODULES: usize = 10;
/// Wider modules scan from further away but make a 20-character tracking number overflow 4 inches.
pub(super) const MAX_MODULE: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Title,
    Body,
}

impl Style {
    /// Width of one character cell in dots: the bitmap font's 6-dot cell times its scale.
    pub(super) fn pitch(self) -> u32 {
        6 * self.scale()
    }

    /// Height of a line of text in dots: the font's 8 rows (descender included) times its scale.
    pub(super) fn height(self) -> u32 {
        8 * self.scale()
    }

    pub(super) fn scale(self) -> u32 {
        match self {
            Style::Title => 4,
            Style::Body => 3,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Center,
}

/// One line of text, already clipped to as many characters as fit between `x` and `right`.
pub(super) struct Text<'a> {
    pub(super) x: u32,
    pub(super) right: u32,
    pub(super) y: u32,
    pub(super) style: Style,
    pub(super) align: Align,
    pub(super) text: &'a str,
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
    pub(super) fn left(&self, width: u32) -> u32 {
        match self.align {
            Align::Left => self.x,
            Align::Center => self.x + self.right.saturating_sub(self.x).saturating_sub(width) / 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rect {
    pub(super) x: u32,
    pub(super) y: u32,
    pub(super) w: u32,
    pub(super) h: u32,
}

/// A Code 128 symbol placed on the label.
pub(super) struct Barcode {
    pub(super) x: u32,
    pub(super) y: u32,
    /// Width of one module in dots.
    pub(super) module: u32,
    pub(super) height: u32,
    /// The encoded text: the id with every character outside printable ASCII replaced by `?`.
    pub(super) data: String,
    /// The symbol as [`barcoders`] encodes it, one entry per module, 1 bar and 0 space: start B, data,
    /// checksum, stop (with its final 2-module bar).
    modules: Vec<u8>,
}

impl Barcode {
    /// The barcode of `id`, centred, with the widest module (up to [`MAX_MODULE`] dots) that keeps it and
    /// its quiet zones on the label; `None` when `id` is empty or too long even at one dot per module.
    pub(super) fn fit(id: &str, y: u32, height: u32) -> Option<Barcode> {
        let count = id.chars().count();
        if count == 0 {
            return None;
        }
        let width =
            |modules: usize| LABEL_WIDTH as usize / modules.saturating_add(2 * QUIET_MODULES);
        // Checked before encoding so that a huge id costs nothing.
        if width(code128b_modules(count)) == 0 {
            return None;
        }
        let data: String = id
            .chars()
            .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
            .collect();
        // `Ɓ` is barcoders' "start in code set B": every printable ASCII character is one symbol there.
        let modules = Code128::new(format!("\u{0181}{data}")).ok()?.encode();
        let module = width(modules.len()).min(MAX_MODULE);
        if module == 0 {
            return None;
        }
        let x = (LABEL_WIDTH as usize).saturating_sub(modules.len() * module) / 2;
        Some(Barcode {
            x: x as u32,
            y,
            module: module as u32,
            height,
            data,
            modules,
        })
    }

    /// The bars as filled rectangles, left to right.
    pub(super) fn bars(&self) -> Vec<Rect> {
        let mut bars = Vec::with_capacity(self.modules.len() / 3);
        let mut x = self.x;
        for run in self.modules.chunk_by(|a, b| a == b) {
            let w = run.len() as u32 * self.module;
            if run[0] == 1 {
                bars.push(Rect {
                    x,
                    y: self.y,
                    w,
                    h: self.height,
                });
            }
            x += w;
        }
        bars
    }
}

/// Modules in a code set B symbol of `count` characters: start, data and checksum (11 each) and stop (13),
/// per ISO/IEC 15417.
fn code128b_modules(count: usize) -> usize {
    count.saturating_add(3).saturating_mul(11).saturating_add(2)
}

/// Everything drawn on one label; each output format renders the same layout.
pub(super) struct Layout<'a> {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) texts: Vec<Text<'a>>,
    pub(super) rules: Vec<Rect>,
    pub(super) barcode: Option<Barcode>,
}

impl<'a> Layout<'a> {
    pub(super) fn new(size: LabelSize, content: &LabelContent<'a>) -> Layout<'a> {
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
