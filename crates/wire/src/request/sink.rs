//! Where the request writer's element code sends its output: raw markup, text to escape and attachment
//! bytes to base64. Three sinks share that code: [`CountSink`] only counts (the exact size of a request
//! before anything is encoded, which `budget` relies on), `VecSink` appends to a `Vec`, and `WriteSink`
//! stages output in front of any `Write`. The table-driven base64 encoder lives here with them.

use std::io::{self, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::escape::{escaped_len, write_escaped};

/// Raw attachment bytes encoded per step: a multiple of 3, so chunks concatenate to one valid base64 text
/// (and of 6, the encoder's step), small enough to stay in cache.
pub const BASE64_CHUNK: usize = 48 * 1024;

/// Length of the padded base64 text of `n` bytes: `4 * ceil(n / 3)`.
pub const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// A destination for the element writer: raw markup, text to escape, attachment bytes to base64.
pub(crate) trait Sink {
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Escaped text of element `element` (named in errors).
    fn text(&mut self, element: &str, text: &str) -> io::Result<()>;
    fn base64(&mut self, data: &[u8]) -> io::Result<()>;
    /// A tag: `start` (`<` or `</`), the element's name, `>`.
    fn tag(&mut self, start: &[u8], name: &str) -> io::Result<()> {
        self.raw(start)?;
        self.raw(name.as_bytes())?;
        self.raw(b">")
    }
}

/// Counts bytes without producing them; never fails.
pub(crate) struct CountSink(pub(crate) usize);

impl Sink for CountSink {
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0 += bytes.len();
        Ok(())
    }
    fn text(&mut self, _element: &str, text: &str) -> io::Result<()> {
        self.0 += escaped_len(text);
        Ok(())
    }
    fn base64(&mut self, data: &[u8]) -> io::Result<()> {
        self.0 += base64_len(data.len());
        Ok(())
    }
}

/// The exact number of bytes `write` sends to a sink.
pub(crate) fn count(write: impl FnOnce(&mut CountSink) -> io::Result<()>) -> usize {
    let mut sink = CountSink(0);
    // A CountSink never fails, and the element code fails only on what a sink reports.
    let _ = write(&mut sink);
    sink.0
}

pub(super) struct VecSink<'a> {
    pub(super) out: &'a mut Vec<u8>,
}

impl Sink for VecSink<'_> {
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(bytes);
        Ok(())
    }
    fn text(&mut self, element: &str, text: &str) -> io::Result<()> {
        let out = &mut *self.out;
        write_escaped(element, text, |piece| {
            out.extend_from_slice(piece);
            Ok(())
        })
    }
    fn base64(&mut self, data: &[u8]) -> io::Result<()> {
        self.out.reserve(base64_len(data.len()));
        for chunk in data.chunks(BASE64_CHUNK) {
            encode_base64(chunk, self.out);
        }
        Ok(())
    }
    // A tag in one reserve: the markup of a createMailing item is mostly short tags, and three appends
    // each (one a `memcpy` call) were a fifth of the cost of writing it.
    fn tag(&mut self, start: &[u8], name: &str) -> io::Result<()> {
        self.out.reserve(start.len() + name.len() + 1);
        self.out.extend_from_slice(start);
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
        Ok(())
    }
}

/// Appends the standard padded base64 of `input` to `out`.
///
/// Table-driven, 6 input bytes per step through a 4096-entry table of character pairs: faster than the
/// base64 crate's scalar encoder on the hot loop of every manifest upload, and appending (no zero-fill of
/// the output first: on a 43 MB payload the fill alone cost a fifth of the time). The last 0-5 bytes go
/// through the base64 crate, so padding is the crate's.
pub(crate) fn encode_base64(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(base64_len(input.len()));
    let main = input.len() / 6 * 6;
    for src in input[..main].chunks_exact(6) {
        let v = u64::from_be_bytes([0, 0, src[0], src[1], src[2], src[3], src[4], src[5]]);
        let eight = PAIRS[(v >> 36) as usize & 0xFFF] as u64
            | (PAIRS[(v >> 24) as usize & 0xFFF] as u64) << 16
            | (PAIRS[(v >> 12) as usize & 0xFFF] as u64) << 32
            | (PAIRS[v as usize & 0xFFF] as u64) << 48;
        out.extend_from_slice(&eight.to_le_bytes());
    }
    // Under 6 bytes encode to at most 8 characters: the crate cannot fail here.
    let mut tail = [0u8; 8];
    let n = STANDARD
        .encode_slice(&input[main..], &mut tail)
        .unwrap_or(0);
    out.extend_from_slice(&tail[..n]);
}

/// `PAIRS[i]`: the two base64 characters of the 12-bit value `i`, first character in the low byte.
static PAIRS: [u16; 4096] = pair_table();

const fn pair_table() -> [u16; 4096] {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut t = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = alphabet[i >> 6] as u16 | (alphabet[i & 63] as u16) << 8;
        i += 1;
    }
    t
}

/// Staging buffer in front of any `Write`: markup and text accumulate, attachment chunks are encoded into
/// its tail, and it goes out in writes of about [`STAGE_FLUSH`] bytes.
pub(super) struct WriteSink<W: Write> {
    out: W,
    buf: Vec<u8>,
}

const STAGE_FLUSH: usize = 64 * 1024;

impl<W: Write> WriteSink<W> {
    pub(super) fn new(out: W) -> Self {
        WriteSink {
            out,
            buf: Vec::with_capacity(STAGE_FLUSH + base64_len(BASE64_CHUNK)),
        }
    }

    fn drain(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn maybe_drain(&mut self) -> io::Result<()> {
        if self.buf.len() >= STAGE_FLUSH {
            self.drain()?;
        }
        Ok(())
    }

    pub(super) fn flush(&mut self) -> io::Result<()> {
        self.drain()?;
        self.out.flush()
    }
}

impl<W: Write> Sink for WriteSink<W> {
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(bytes);
        self.maybe_drain()
    }
    fn text(&mut self, element: &str, text: &str) -> io::Result<()> {
        let buf = &mut self.buf;
        write_escaped(element, text, |piece| {
            buf.extend_from_slice(piece);
            Ok(())
        })?;
        self.maybe_drain()
    }
    fn base64(&mut self, data: &[u8]) -> io::Result<()> {
        for chunk in data.chunks(BASE64_CHUNK) {
            if self.buf.len() + base64_len(chunk.len()) > self.buf.capacity() {
                self.drain()?;
            }
            encode_base64(chunk, &mut self.buf);
            self.maybe_drain()?;
        }
        Ok(())
    }
}
