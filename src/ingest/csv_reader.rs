//! Delimited text: csv as Excel, LibreOffice and exporters write it. The delimiter is sniffed (`,`, `;`,
//! tab) or taken from Excel's `sep=;` first line; a UTF-8 byte order mark is dropped; UTF-16 with a byte
//! order mark (Excel's "Unicode Text", usually a tab-separated `.txt`) is decoded; CRLF and old-Mac CR line
//! ends are read as LF, so every problem names the row a spreadsheet shows. Parsing is the csv crate's,
//! decoding encoding_rs's (through encoding_rs_io).

use super::columns::ColumnAliases;
use super::read::{
    row_cap_reached, CsvRecord, Header, HeaderSearch, ReadOptions, ReadSummary, RowRef, RowSink,
};
use crate::problem::*;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How much of a file is looked at for the `sep=` line and the delimiter.
const HEAD: usize = 8192;

/// Guesses the csv delimiter from the first line: `,` unless `;` or tab is clearly what the file uses
/// (European Excel exports use `;`).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = &head[..line_end];
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .filter(|c| c.1 > 0)
        .map(|c| c.0)
        .unwrap_or(b',')
}

/// Excel's separator hint: a first line `sep=;` (or `sep=,`, `sep=<tab>`). Returns the delimiter and the
/// length of the line with its line end.
fn sep_line(head: &[u8]) -> Option<(u8, usize)> {
    let rest = head.strip_prefix(b"sep=")?;
    let d = *rest.first()?;
    let after = &rest[1..];
    let end = match after {
        [b'\n', ..] => 1,
        [] => 0,
        _ => return None,
    };
    (d != b'\n' && d != b'"').then_some((d, 4 + 1 + end))
}

/// Text lines as a spreadsheet numbers them. CRLF and lone CR line ends read as LF (the csv crate counts
/// lines by LF; Excel for Windows writes CRLF, old Mac files CR), and an empty line outside quotes gets a
/// space, so the csv crate (which skips empty lines without counting them in the next record's line) keeps
/// every row number true; a record of one space is blank and skipped like any blank row.
///
/// Most reads need little of that: a read without an empty line and without a lone CR is normalised where
/// it was read, given out as it is (LF line ends) or with the CR of each CRLF dropped, with no copy.
struct Lines<R> {
    inner: R,
    after_cr: bool,
    /// Inside a quoted field (by quote parity: `""` toggles twice).
    quoted: bool,
    /// The last byte given out was a line end (or nothing was given out yet).
    line_start: bool,
    /// Normalised bytes not given out yet, from `pos`.
    out: Vec<u8>,
    pos: usize,
    /// Set at the end of the input when its last line has no line end (a file cut short, or one written
    /// without a final line end).
    ends_open: Arc<AtomicBool>,
}

/// The most read from the input at once, and the size of the csv reader's buffer (it asks for its
/// whole buffer at each fill). Kept small on purpose: a larger buffer costs more clearing of memory
/// and saves no system calls worth counting (measured on 89,873 csv rows: a 256 KiB buffer cost
/// 6.5 M more instructions in memset than this one, 1,609.5 M against 1,602.9 M in all).
const READ_AT_ONCE: usize = 64 * 1024;

impl<R: Read> Lines<R> {
    fn new(inner: R) -> Lines<R> {
        Lines {
            inner,
            after_cr: false,
            quoted: false,
            line_start: true,
            out: Vec::new(),
            pos: 0,
            ends_open: Arc::new(AtomicBool::new(false)),
        }
    }

    fn end_line(&mut self) {
        if self.line_start && !self.quoted {
            self.out.push(b' ');
        }
        self.out.push(b'\n');
        self.line_start = true;
    }

    /// Normalises `data`, read after what was given out so far, where it lies, when it has no lone CR and
    /// no empty line: a file with LF line ends stays as it is, and one with CRLF line ends (Excel for
    /// Windows) loses the CR of each. Returns the normalised length, or `None` (the state untouched) when
    /// `data` needs [`Self::normalise`].
    fn normalise_in_place(&mut self, data: &mut [u8]) -> Option<usize> {
        let (first, last) = (*data.first()?, *data.last()?);
        if self.after_cr
            || (self.line_start && matches!(first, b'\n' | b'\r'))
            || memchr::memmem::find(data, b"\n\n").is_some()
            || memchr::memmem::find(data, b"\n\r").is_some()
            // A lone CR, or a CR at the end of the read whose LF may come with the next one.
            || memchr::memchr_iter(b'\r', data).any(|at| data.get(at + 1) != Some(&b'\n'))
        {
            return None;
        }
        if memchr::memchr_iter(b'"', data).count() % 2 == 1 {
            self.quoted = !self.quoted;
        }
        self.line_start = last == b'\n';
        // Every CR is followed by a LF: the runs between the CRs move left over them.
        let (mut write, mut from) = (0, 0);
        while let Some(at) = memchr::memchr(b'\r', &data[from..]) {
            data.copy_within(from..from + at, write);
            write += at;
            from += at + 1;
        }
        data.copy_within(from.., write);
        Some(write + data.len() - from)
    }

    /// Normalises `data` into `out` (emptied first), byte runs without a line end or a quote copied whole.
    fn normalise(&mut self, data: &[u8]) {
        self.out.clear();
        self.pos = 0;
        let mut from = 0;
        for i in memchr::memchr3_iter(b'\n', b'\r', b'"', data) {
            if i > from {
                self.out.extend_from_slice(&data[from..i]);
                self.after_cr = false;
                self.line_start = false;
            }
            from = i + 1;
            match data[i] {
                b'\n' if self.after_cr => self.after_cr = false,
                b'"' => {
                    self.after_cr = false;
                    self.quoted = !self.quoted;
                    self.line_start = false;
                    self.out.push(b'"');
                }
                b => {
                    self.after_cr = b == b'\r';
                    self.end_line();
                }
            }
        }
        if data.len() > from {
            self.out.extend_from_slice(&data[from..]);
            self.after_cr = false;
            self.line_start = false;
        }
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos == self.out.len() {
            let take = buf.len().min(READ_AT_ONCE);
            let n = self.inner.read(&mut buf[..take])?;
            if n == 0 {
                self.ends_open.store(!self.line_start, Ordering::Relaxed);
                return Ok(0);
            }
            if let Some(len) = self.normalise_in_place(&mut buf[..n]) {
                return Ok(len);
            }
            self.normalise(&buf[..n]);
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The first bytes of `r` (up to [`HEAD`]), read whole so a short read does not cut the first line.
fn peek(r: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut head = vec![0u8; HEAD];
    let mut len = 0;
    while len < HEAD {
        let n = r.read(&mut head[len..])?;
        if n == 0 {
            break;
        }
        len += n;
    }
    head.truncate(len);
    Ok(head)
}

/// A text file opened for reading ([`open_text`]).
enum Opened {
    /// As UTF-8 with LF line ends, and whether the text ends without a line end (known once read).
    Text(Box<dyn Read>, Arc<AtomicBool>),
    /// UTF-32 (by its byte order mark), which mawb does not read.
    Utf32,
}

/// Opens a text file as UTF-8 with LF line ends: UTF-16 (by its byte order mark) is decoded, a UTF-8 byte
/// order mark dropped; UTF-32 is told apart, not read.
fn open_text(path: &Path) -> std::io::Result<Opened> {
    let mut file = std::fs::File::open(path)?;
    let mut bom = [0u8; 4];
    let n = file.read(&mut bom)?;
    if is_utf32(&bom[..n]) {
        return Ok(Opened::Utf32);
    }
    let file = std::fs::File::open(path)?;
    let utf16 = is_utf16(&bom[..n]);
    let decoded: Box<dyn Read> = if utf16 {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .bom_sniffing(true)
                .strip_bom(true)
                .build(file),
        )
    } else {
        Box::new(file)
    };
    let lines = Lines::new(decoded);
    let ends_open = lines.ends_open.clone();
    Ok(Opened::Text(Box::new(lines), ends_open))
}

/// Whether a file starts with a UTF-32 byte order mark (little or big endian); the little-endian one
/// starts like UTF-16's.
fn is_utf32(head: &[u8]) -> bool {
    head == [0xFF, 0xFE, 0, 0] || head == [0, 0, 0xFE, 0xFF]
}

/// Whether a file starts with a UTF-16 byte order mark (Excel's "Unicode Text").
fn is_utf16(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])
}

pub(super) fn read_csv(
    path: &Path,
    name: &str,
    aliases: &ColumnAliases,
    opts: ReadOptions,
    sink: &mut dyn RowSink,
    summary: &mut ReadSummary,
) {
    let limits = opts.limits;
    let cannot =
        |e: std::io::Error| Problem::new(&FILE_UNREADABLE, name, format!("cannot read: {e}"));
    let (mut text, ends_open) = match open_text(path) {
        Ok(Opened::Text(text, ends_open)) => (text, ends_open),
        Ok(Opened::Utf32) => {
            return sink.problem(Problem::new(
                &FILE_NOT_UTF8,
                name,
                "the file is UTF-32 text (its byte order mark says so), which mawb does not read: save it as \"CSV UTF-8\" (or as Unicode Text, which is UTF-16)",
            ))
        }
        Err(e) => return sink.problem(cannot(e)),
    };
    let mut head = match peek(&mut text) {
        Ok(h) => h,
        Err(e) => return sink.problem(cannot(e)),
    };
    // Bytes of the text dropped before the csv reader (a byte order mark, a `sep=` line).
    let mut skipped = 0;
    if head.starts_with("\u{feff}".as_bytes()) {
        head.drain(..3);
        skipped = 3;
    }
    // Excel hides its `sep=` line: the row after it is the spreadsheet's row 1.
    let delimiter = match sep_line(&head) {
        Some((d, len)) => {
            head.drain(..len);
            skipped += len;
            d
        }
        None => sniff_delimiter(&head),
    };
    let input = std::io::Cursor::new(head).chain(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(READ_AT_ONCE)
        .from_reader(input);
    // Records are read as bytes and checked as UTF-8 whole (see `CsvRecord`).
    let mut record = csv::ByteRecord::new();
    let mut header_found = false;
    let mut search = HeaderSearch::default();
    let mut breaks_in_fields: u64 = 0;
    let mut header_width = 0;
    let mut short_row: Option<(u32, csv::ByteRecord)> = None;
    // The row and column of the last record's last cell when it holds a line break: where a quote never
    // closed would have taken in the rest of the file.
    let mut open_at_end: Option<(u32, usize)> = None;
    let mut header_texts: Vec<String> = Vec::new();
    let mut lines_read = 0usize;
    loop {
        lines_read += 1;
        if opts.past_deadline_at(lines_read - 1) {
            summary.timed_out = true;
            return;
        }
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // Records are read as bytes, so this is never the csv crate's UTF-8 error: that check is
                // `CsvRecord::new`'s, below.
                let line = e.position().map(|p| p.line());
                let msg = format!("the csv cannot be read further: {e}");
                sink.problem(reading_stopped(
                    &FILE_UNREADABLE,
                    name,
                    msg,
                    line,
                    breaks_in_fields,
                ));
                break;
            }
        }
        let Some(fields) = CsvRecord::new(&record) else {
            // Refused as `csv::StringRecord` refuses it, on the row where the record starts.
            let msg = "this row is not UTF-8 text: save the file as \"CSV UTF-8\"".to_string();
            let line = record.position().map(|p| p.line());
            sink.problem(reading_stopped(
                &FILE_NOT_UTF8,
                name,
                msg,
                line,
                breaks_in_fields,
            ));
            break;
        };
        // A quoted field holding line breaks is one spreadsheet row spread over several text lines:
        // the row the user sees is the text line less the breaks inside earlier records.
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let row = line.saturating_sub(breaks_in_fields) as u32;
        // The fields' text without separators: one search over the row, not one per field, and a count
        // only in the rare row that has a break.
        let text = fields.as_str().as_bytes();
        open_at_end = None;
        if memchr::memchr(b'\n', text).is_some() {
            breaks_in_fields += memchr::memchr_iter(b'\n', text).count() as u64;
            if fields.iter().last().is_some_and(|f| f.contains('\n')) {
                open_at_end = Some((row, fields.len() - 1));
            }
        }
        let cells = RowRef::Csv(fields);
        if cells.is_blank() {
            continue;
        }
        if header_found {
            // A row with fewer fields than the header waits for the next one: the last row of a file that
            // ends without a line end is a file cut short, not a row of blanks.
            if let Some((r, short)) = short_row.take() {
                emit_short_row(name, r, &short, header_width, sink, summary);
            }
            if row_cap_reached(summary, limits, name, name, row, sink) {
                return;
            }
            if fields.len() < header_width {
                short_row = Some((row, record.clone()));
                continue;
            }
            summary.rows += 1;
            sink.row(row, &cells);
            continue;
        }
        match search.offer(row, fields.iter(), aliases) {
            Header::Found(h) => {
                search.accept(name, name, &h, row, sink);
                header_texts = h.texts;
                summary.sheets_read.push(name.to_string());
                header_found = true;
                header_width = fields.len();
            }
            Header::NotYet => {}
            Header::GiveUp => break,
        }
    }
    if let Some((row, column)) = open_at_end {
        unclosed_quote(
            path,
            skipped,
            delimiter,
            name,
            (row, column),
            &header_texts,
            sink,
        );
    }
    if let Some((r, short)) = short_row.take() {
        if ends_open.load(Ordering::Relaxed) {
            sink.problem(
                Problem::new(
                    &FILE_UNREADABLE,
                    name,
                    format!(
                        "row {r} has {} of {header_width} fields and the file ends there, without a line end: file truncated? Copy or export it again (the row was not read)",
                        short.len()
                    ),
                )
                .sheet(name)
                .at(r),
            );
        } else {
            emit_short_row(name, r, &short, header_width, sink, summary);
        }
    }
    if !header_found {
        let msg = if search.saw_rows() {
            format!("no HAWB header row among the first {} non-empty rows (it needs at least a tracking number or shipperItemId, a consignee and a product description column)", super::read::HEADER_SEARCH_ROWS)
        } else {
            "the file is empty: no header row and no data".to_string()
        };
        let mut p = Problem::new(&NO_HEADER, name, msg).sheet(name);
        if let Some(r) = search.first_row() {
            p = p.at(r);
        }
        sink.problem(p);
        summary.sheets_skipped.push(name.to_string());
    } else if summary.rows == 0 {
        sink.problem(
            Problem::new(
                &EMPTY_SHEET,
                name,
                "the header row is followed by no data rows",
            )
            .sheet(name),
        );
    }
}

/// Reports, at `(row, column)` (the last cell of the file, which holds a line break), a quote that opens
/// there and is never closed: the text is read again by the csv rules ([`ends_inside_quotes`]). Rare, and
/// kept out of the reading loop.
#[inline(never)]
fn unclosed_quote(
    path: &Path,
    skipped: usize,
    delimiter: u8,
    name: &str,
    (row, column): (u32, usize),
    header_texts: &[String],
    sink: &mut dyn RowSink,
) {
    // The file was read as text once already: it is no UTF-32.
    let unclosed = open_text(path).and_then(|opened| match opened {
        Opened::Text(mut text, _) => {
            std::io::copy(&mut (&mut text).take(skipped as u64), &mut std::io::sink())?;
            ends_inside_quotes(text, delimiter)
        }
        Opened::Utf32 => Ok(false),
    });
    if let Ok(true) = unclosed {
        let header = header_texts
            .get(column)
            .map_or(String::new(), |h| format!(" ({h})"));
        sink.problem(
            Problem::new(
                &UNCLOSED_QUOTE,
                name,
                format!(
                    "column {}{header}: this cell opens a quote that is never closed, so every line after it, to the end of the file, was read into this one cell and the rows there would be lost. Close the quote (or remove it) and save the file again",
                    column + 1
                ),
            )
            .sheet(name)
            .at(row),
        );
    }
}

/// Whether csv text ends inside a quoted field, by the csv crate's rules (RFC 4180): a quote opens a
/// quoted field only at the start of a field; inside one, a doubled quote is a quote and a single one
/// closes it; a quote anywhere else is text. `text` has LF line ends (see [`Lines`]).
fn ends_inside_quotes(mut text: impl Read, delimiter: u8) -> std::io::Result<bool> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut at = At::FieldStart;
    let mut buf = vec![0u8; READ_AT_ONCE];
    loop {
        let n = text.read(&mut buf)?;
        if n == 0 {
            return Ok(at == At::Quoted);
        }
        for &b in &buf[..n] {
            at = match (at, b) {
                (At::Quoted, b'"') => At::QuoteInQuoted,
                (At::Quoted, _) => At::Quoted,
                (At::QuoteInQuoted | At::FieldStart, b'"') => At::Quoted,
                (_, b'\n') => At::FieldStart,
                (_, d) if d == delimiter => At::FieldStart,
                _ => At::Unquoted,
            };
        }
    }
}

/// The problem that ends the reading of csv `name` at text line `line` (when known), shown as the row a
/// spreadsheet shows: the line less the line breaks inside the fields of earlier records.
fn reading_stopped(
    rule: &'static Rule,
    name: &str,
    msg: String,
    line: Option<u64>,
    breaks_in_fields: u64,
) -> Problem {
    let p = Problem::new(rule, name, msg).sheet(name);
    match line {
        Some(l) => p.at(l.saturating_sub(breaks_in_fields) as u32),
        None => p,
    }
}

/// A row with fewer fields than the header, sent once the file goes on after it: the warning, then the
/// row. It was held only after it was read as text, so it reads as text again.
fn emit_short_row(
    name: &str,
    row: u32,
    short: &csv::ByteRecord,
    header_width: usize,
    sink: &mut dyn RowSink,
    summary: &mut ReadSummary,
) {
    short_row_warning(name, row, short.len(), header_width, sink);
    summary.rows += 1;
    if let Some(fields) = CsvRecord::new(short) {
        sink.row(row, &RowRef::Csv(fields));
    }
}

/// A row with fewer fields than the header inside the file: read, its missing cells blank, with a warning.
fn short_row_warning(name: &str, row: u32, fields: usize, header: usize, sink: &mut dyn RowSink) {
    sink.problem(
        Problem::new(
            &SHORT_ROW,
            name,
            format!("row {row} has {fields} of {header} fields: its last {} cell(s) are read as blank (a separator or a closing quote missing?)", header - fields),
        )
        .sheet(name)
        .at(row),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ends_inside_quotes_only_when_a_quote_opened_at_a_field_start_is_never_closed() {
        let ends_open = |t: &str, d: u8| ends_inside_quotes(t.as_bytes(), d).unwrap();
        assert!(ends_open("a,b\n1,\"x\n2,y\n", b','));
        assert!(ends_open("a;b\n1;\"x\n", b';'));
        // A doubled quote inside a quoted cell is a quote, not its end.
        assert!(ends_open("a,b\n1,\"5\"\" TV\n", b','));
        assert!(!ends_open("a,b\n1,\"5\"\" TV\"\n", b','));
        // Closed, with line breaks and separators inside.
        assert!(!ends_open("a,b\n1,\"x\n2,y\"\n", b','));
        // A quote inside an unquoted cell is text and opens nothing.
        assert!(!ends_open("a,b\n1,5\" TV\n", b','));
        // Text after a closing quote is read on, unquoted: its quote opens nothing.
        assert!(!ends_open("a,b\n1,\"x\"y\"\n", b','));
        // The separator decides where fields start.
        assert!(!ends_open("a;b\n1,\"x\n", b';'));
        assert!(!ends_open("", b','));
    }

    #[test]
    fn delimiter_is_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(sniff_delimiter(b""), b',');
    }

    #[test]
    fn excel_separator_hint() {
        assert_eq!(sep_line(b"sep=;\na;b"), Some((b';', 6)));
        assert_eq!(sep_line(b"sep=,\n"), Some((b',', 6)));
        assert_eq!(sep_line(b"sep=\t\n"), Some((b'\t', 6)));
        assert_eq!(sep_line(b"sep=;x\n"), None);
        assert_eq!(sep_line(b"a,b\n"), None);
    }

    /// An input that gives out at most `.1` bytes a read.
    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// What `Lines` gives out for `input` read `chunk` bytes at a time, and whether it saw an open end.
    fn normalised_and_open(input: &[u8], chunk: usize) -> (Vec<u8>, bool) {
        let mut lines = Lines::new(Chunks(input, chunk));
        let ends_open = lines.ends_open.clone();
        let mut out = Vec::new();
        lines.read_to_end(&mut out).expect("in memory");
        let open = ends_open.load(Ordering::Relaxed);
        (out, open)
    }

    fn normalised(input: &[u8], chunk: usize) -> Vec<u8> {
        normalised_and_open(input, chunk).0
    }

    /// What `Lines` gives out, byte by byte: the rules of its doc, and whether the input ends open.
    fn oracle(input: &[u8]) -> (Vec<u8>, bool) {
        let (mut after_cr, mut quoted, mut line_start) = (false, false, true);
        let mut out = Vec::new();
        for &b in input {
            match b {
                b'\n' if after_cr => after_cr = false,
                b'\n' | b'\r' => {
                    after_cr = b == b'\r';
                    if line_start && !quoted {
                        out.push(b' ');
                    }
                    out.push(b'\n');
                    line_start = true;
                }
                _ => {
                    after_cr = false;
                    quoted ^= b == b'"';
                    line_start = false;
                    out.push(b);
                }
            }
        }
        (out, !line_start)
    }

    proptest::proptest! {
        /// Whatever the reads' sizes, the in-place normalisation of clean reads and the copying one of the
        /// others give out what the byte-by-byte rules give, and see the same open end.
        #[test]
        fn lines_match_the_byte_rules(
            input in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b',', b'"', b'\n', b'\r', b' ']),
                0..200,
            ),
            chunk in 1usize..80,
        ) {
            proptest::prop_assert_eq!(normalised_and_open(&input, chunk), oracle(&input));
        }

        /// The same with CRLF as one unit, so that most reads hold CRLF line ends and no lone CR: the
        /// reads normalised where they were read are held to the byte-by-byte rules too.
        #[test]
        fn crlf_lines_match_the_byte_rules(
            units in proptest::collection::vec(
                proptest::sample::select(vec!["a", "bc", ",", "\"", "\r\n", "\n", " "]),
                0..120,
            ),
            chunk in 1usize..300,
        ) {
            let input = units.concat().into_bytes();
            proptest::prop_assert_eq!(normalised_and_open(&input, chunk), oracle(&input));
        }
    }

    #[test]
    fn clean_reads_are_normalised_where_they_were_read() {
        let mut lines = Lines::new(&b""[..]);
        let in_place = |lines: &mut Lines<&[u8]>, data: &[u8]| {
            let mut data = data.to_vec();
            lines
                .normalise_in_place(&mut data)
                .map(|n| data[..n].to_vec())
        };
        assert_eq!(
            in_place(&mut lines, b"a,b\n\"x\"\n").as_deref(),
            Some(&b"a,b\n\"x\"\n"[..])
        );
        assert!(lines.line_start);
        // CRLF line ends lose their CR, inside quotes too.
        assert_eq!(
            in_place(&mut lines, b"a\r\n\"b\r\nc\"\r\nd").as_deref(),
            Some(&b"a\n\"b\nc\"\nd"[..])
        );
        assert!(!lines.line_start);
        // An empty line, a lone CR, a CR at the end of the read: left to `normalise`, state untouched.
        for data in [&b"a\n\nb"[..], b"a\n\r\nb", b"a\rb", b"a\r"] {
            assert_eq!(in_place(&mut lines, data), None, "{data:?}");
        }
        assert!(!lines.line_start && !lines.quoted);
        assert_eq!(in_place(&mut lines, b"x\n"), Some(b"x\n".to_vec()));
        assert_eq!(in_place(&mut lines, b"\r\nc"), None);
        assert_eq!(in_place(&mut lines, b"\nc"), None);
        // Quote parity carries over a clean read.
        assert!(in_place(&mut lines, b"\"open").is_some());
        assert!(lines.quoted && !lines.line_start);
    }

    #[test]
    fn line_ends_become_lf_and_empty_lines_keep_their_row() {
        for chunk in [1, 2, 3, 64] {
            assert_eq!(normalised(b"a\r\nb\r\n", chunk), b"a\nb\n");
            assert_eq!(normalised(b"a\rb\rc", chunk), b"a\nb\nc");
            assert_eq!(normalised(b"a\r\r\nb\n", chunk), b"a\n \nb\n");
            assert_eq!(normalised(b"plain\n", chunk), b"plain\n");
            // Empty lines get a space, except inside a quoted field.
            assert_eq!(normalised(b"\na\n\nb", chunk), b" \na\n \nb");
            assert_eq!(normalised(b"\"x\n\ny\"\n", chunk), b"\"x\n\ny\"\n");
        }
    }
}
