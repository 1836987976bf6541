//! EPL2 labels in a raw print job: each label as ACP made it, one after another, and packing lists as
//! EPL2 text labels of the bag label's size.

/// Printer dots of a 4x6 in label at 203 dpi, for a packing list whose bag label gives no size.
pub(crate) const DEFAULT_SIZE_DOTS: (u32, u32) = (812, 1218);
const MARGIN_DOTS: u32 = 24;
/// Font 2 (10 x 16 dots a character at 203 dpi), with 4 dots between lines.
const LINE_DOTS: u32 = 20;
const CHAR_DOTS: u32 = 10;

/// One EPL2 label file (a FedEx item's file holds two labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EplLabel {
    /// The file, ending with a line end so the next label starts on a line of its own.
    pub bytes: Vec<u8>,
    /// Print commands (`P1`…) in it: labels it prints.
    pub labels: usize,
    /// Its label width (`q`) and length (`Q`) in dots, when it sets them.
    pub size: Option<(u32, u32)>,
}

/// The number after a one-letter command (`q812`, `Q1218,24`, `P1`), when the line is that command.
fn command_number(line: &str, command: char) -> Option<u32> {
    let rest = line.trim().strip_prefix(command)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !(rest.len() == digits.len() || rest[digits.len()..].starts_with(',')) {
        return None;
    }
    digits.parse().ok()
}

impl EplLabel {
    /// Reads an EPL2 label (already known to be ASCII starting with `N`); it must print something.
    pub fn parse(bytes: &[u8]) -> Result<EplLabel, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "the EPL2 label is not ASCII text")?;
        let mut labels = 0;
        let (mut width, mut length) = (None, None);
        for line in text.lines() {
            if command_number(line, 'P').is_some() {
                labels += 1;
            } else if let Some(q) = command_number(line, 'q') {
                width = Some(q);
            } else if let Some(q) = command_number(line, 'Q') {
                length = Some(q);
            }
        }
        if labels == 0 {
            return Err("the EPL2 label has no print command (P1): it is cut short".into());
        }
        let mut bytes = bytes.to_vec();
        if !bytes.ends_with(b"\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        Ok(EplLabel {
            bytes,
            labels,
            size: width.zip(length),
        })
    }
}

/// `text` as the inside of an EPL2 quoted field: printable ASCII, `"` and `\` escaped, anything else `?`.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
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

/// Lines of text that fit one label of `size` dots, and characters per line.
pub(crate) fn capacity(size: (u32, u32)) -> (usize, usize) {
    let lines = size.1.saturating_sub(2 * MARGIN_DOTS) / LINE_DOTS;
    let chars = size.0.saturating_sub(2 * MARGIN_DOTS) / CHAR_DOTS;
    (lines.max(1) as usize, chars.max(1) as usize)
}

/// One label of text lines (a packing-list page): `N`, width, length, one `A` command per line, `P1`.
pub(crate) fn text_label(size: (u32, u32), lines: &[String]) -> Vec<u8> {
    let (_, chars) = capacity(size);
    let mut out = String::with_capacity(64 * (lines.len() + 5));
    out.push_str(&format!("\r\nN\r\nq{}\r\nQ{},24\r\n", size.0, size.1));
    for (n, line) in lines.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        let clipped: String = line.chars().take(chars).collect();
        let y = MARGIN_DOTS + n as u32 * LINE_DOTS;
        out.push_str(&format!(
            "A{MARGIN_DOTS},{y},0,2,1,1,N,\"{}\"\r\n",
            quoted(&clipped)
        ));
    }
    out.push_str("P1\r\n");
    out.into_bytes()
}
