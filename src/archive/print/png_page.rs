//! A PNG label as a PDF image at its native resolution, without re-rasterising.
//!
//! PDF's FlateDecode filter with the PNG predictors (`/Predictor 15`) reads a PNG's compressed pixel data
//! as it is, so for the images labels are (greyscale, RGB or palette, not interlaced, no alpha channel) the
//! `IDAT` bytes are copied into the PDF unchanged: no decoding, no resampling, no loss, and no time spent.
//! The png crate reads and checks the header chunks; it exposes no raw `IDAT`, so the chunk walk that
//! collects them is written here (4 fields per chunk, every CRC checked with crc32fast). An image with an
//! alpha channel or interlacing is decoded by the png crate and laid on white (what a label printer does
//! with transparency) at the same pixel size, then compressed with flate2.

use lopdf::{dictionary, Object, Stream};
use std::io::Write;

/// Largest side accepted, in pixels (a 4x6 in label at 600 dpi is 2400 x 3600).
const MAX_SIDE: u32 = 16_384;
/// A label's usual width, used for the resolution of a PNG that records none.
const LABEL_WIDTH_INCHES: f64 = 4.0;
/// Label printers' resolutions. `pHYs` counts dots per metre, in which 203 dpi is 7992.1: a recorded
/// resolution within 0.2% of one of these is taken as it, so a 4x6 in label is a 4x6 in page exactly.
const PRINTER_DPI: [f64; 5] = [152.0, 203.0, 300.0, 406.0, 600.0];

/// `dpi`, or the printer resolution it stands for.
fn snap(dpi: f64) -> f64 {
    PRINTER_DPI
        .into_iter()
        .find(|p| ((dpi - p) / p).abs() < 0.002)
        .unwrap_or(dpi)
}

/// The pixel data as the PDF image stream holds it.
#[derive(Debug, Clone, PartialEq)]
enum Pixels {
    /// The PNG's own zlib stream, PNG-predicted: `colors` samples per pixel.
    Predicted { colors: u8, data: Vec<u8> },
    /// Decoded 8-bit samples (alpha flattened on white), zlib-compressed, no predictor.
    Flat { data: Vec<u8> },
}

/// A PNG label ready to become a PDF page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PngImage {
    pub width: u32,
    pub height: u32,
    /// Dots per inch across and down: the `pHYs` chunk's, else the width over 4 in.
    pub dpi: (f64, f64),
    color: ColorSpace,
    bits: u8,
    pixels: Pixels,
}

#[derive(Debug, Clone, PartialEq)]
enum ColorSpace {
    Gray,
    Rgb,
    /// The palette's RGB triples.
    Indexed(Vec<u8>),
}

impl PngImage {
    /// The page size in points (1/72 in): the pixels at their resolution.
    pub fn page_size(&self) -> (f64, f64) {
        (
            f64::from(self.width) / self.dpi.0 * 72.0,
            f64::from(self.height) / self.dpi.1 * 72.0,
        )
    }

    /// Reads a PNG label; an error says what is wrong with it.
    pub fn parse(bytes: &[u8]) -> Result<PngImage, String> {
        let info = crate::contain::contain(|| header(bytes))
            .map_err(|m| format!("the PNG reader failed on it: {m}"))??;
        let (width, height) = (info.width, info.height);
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(format!(
                "the PNG is {width} x {height} pixels; a label is at most {MAX_SIDE} on a side"
            ));
        }
        let dpi = match info.pixel_dims {
            Some(d) if d.unit == png::Unit::Meter && d.xppu > 0 && d.yppu > 0 => (
                snap(f64::from(d.xppu) * 0.0254),
                snap(f64::from(d.yppu) * 0.0254),
            ),
            _ => {
                let dpi = f64::from(width) / LABEL_WIDTH_INCHES;
                (dpi, dpi)
            }
        };
        let idat = idat_of(bytes)?;
        let bits = info.bit_depth as u8;
        let color = match info.color_type {
            png::ColorType::Grayscale => Some(ColorSpace::Gray),
            png::ColorType::Rgb => Some(ColorSpace::Rgb),
            png::ColorType::Indexed => Some(ColorSpace::Indexed(
                info.palette
                    .clone()
                    .ok_or("a palette PNG without its palette")?
                    .into_owned(),
            )),
            _ => None,
        };
        match color {
            Some(color) if !info.interlaced => {
                let colors = if color == ColorSpace::Rgb { 3 } else { 1 };
                Ok(PngImage {
                    width,
                    height,
                    dpi,
                    color,
                    bits,
                    pixels: Pixels::Predicted { colors, data: idat },
                })
            }
            _ => {
                let (color, data) = crate::contain::contain(|| flatten(bytes))
                    .map_err(|m| format!("the PNG reader failed on it: {m}"))??;
                Ok(PngImage {
                    width,
                    height,
                    dpi,
                    color,
                    bits: 8,
                    pixels: Pixels::Flat { data },
                })
            }
        }
    }

    /// The image XObject of this label.
    pub fn xobject(&self) -> Stream {
        let color: Object = match &self.color {
            ColorSpace::Gray => "DeviceGray".into(),
            ColorSpace::Rgb => "DeviceRGB".into(),
            ColorSpace::Indexed(palette) => Object::Array(vec![
                "Indexed".into(),
                "DeviceRGB".into(),
                Object::Integer((palette.len() / 3).saturating_sub(1) as i64),
                Object::String(palette.clone(), lopdf::StringFormat::Hexadecimal),
            ]),
        };
        let mut dict = dictionary! {
            "Type" => "XObject",
            "Subtype" => "Image",
            "Width" => i64::from(self.width),
            "Height" => i64::from(self.height),
            "ColorSpace" => color,
            "BitsPerComponent" => i64::from(self.bits),
            "Filter" => "FlateDecode",
        };
        let data = match &self.pixels {
            Pixels::Predicted { colors, data } => {
                dict.set(
                    "DecodeParms",
                    dictionary! {
                        "Predictor" => 15,
                        "Colors" => i64::from(*colors),
                        "BitsPerComponent" => i64::from(self.bits),
                        "Columns" => i64::from(self.width),
                    },
                );
                data.clone()
            }
            Pixels::Flat { data } => data.clone(),
        };
        // The data is compressed already: lopdf must not compress it again.
        Stream::new(dict, data).with_compression(false)
    }
}

/// The header information, read by the png crate (which checks each chunk up to the first IDAT).
fn header(bytes: &[u8]) -> Result<png::Info<'static>, String> {
    let reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .map_err(|e| format!("not a readable PNG: {e}"))?;
    Ok(reader.info().clone())
}

/// The concatenated `IDAT` data of a PNG, every chunk's CRC checked, up to `IEND`.
fn idat_of(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut at = 8; // the signature
    let mut idat = Vec::with_capacity(bytes.len());
    loop {
        let head = bytes
            .get(at..at + 8)
            .ok_or("the PNG ends before its IEND chunk (truncated)")?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let body = at + 8;
        let end = body
            .checked_add(len)
            .filter(|e| e + 4 <= bytes.len())
            .ok_or("the PNG ends inside a chunk (truncated)")?;
        let crc = u32::from_be_bytes([bytes[end], bytes[end + 1], bytes[end + 2], bytes[end + 3]]);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&bytes[at + 4..end]);
        if hasher.finalize() != crc {
            return Err(format!(
                "the PNG's {} chunk fails its CRC (damaged)",
                String::from_utf8_lossy(kind)
            ));
        }
        match kind {
            b"IDAT" => idat.extend_from_slice(&bytes[body..end]),
            b"IEND" => break,
            _ => {}
        }
        at = end + 4;
    }
    if idat.is_empty() {
        return Err("the PNG has no image data".into());
    }
    Ok(idat)
}

/// Decodes a PNG to 8-bit grey or RGB, alpha laid on white, and compresses it for a FlateDecode stream.
fn flatten(bytes: &[u8]) -> Result<(ColorSpace, Vec<u8>), String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("not a readable PNG: {e}"))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("its image data cannot be decoded: {e}"))?;
    let pixels = buf.get(..frame.buffer_size()).unwrap_or(&buf);
    let on_white = |v: u8, a: u8| -> u8 {
        let (v, a) = (u16::from(v), u16::from(a));
        ((v * a + 255 * (255 - a) + 127) / 255) as u8
    };
    let (color, samples): (ColorSpace, Vec<u8>) = match frame.color_type {
        png::ColorType::Grayscale => (ColorSpace::Gray, pixels.to_vec()),
        png::ColorType::GrayscaleAlpha => (
            ColorSpace::Gray,
            pixels
                .chunks_exact(2)
                .map(|p| on_white(p[0], p[1]))
                .collect(),
        ),
        png::ColorType::Rgb => (ColorSpace::Rgb, pixels.to_vec()),
        png::ColorType::Rgba => (
            ColorSpace::Rgb,
            pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    [
                        on_white(p[0], p[3]),
                        on_white(p[1], p[3]),
                        on_white(p[2], p[3]),
                    ]
                })
                .collect(),
        ),
        png::ColorType::Indexed => return Err("a palette PNG was not expanded".into()),
    };
    let mut z = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(samples.len() / 8),
        flate2::Compression::fast(),
    );
    z.write_all(&samples)
        .and_then(|()| z.finish())
        .map(|data| (color, data))
        .map_err(|e| format!("cannot compress its pixels: {e}"))
}
