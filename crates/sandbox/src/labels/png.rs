//! PNG labels (1 bit per pixel, black on white, 203 dpi recorded) drawn from the [`Layout`] with the
//! bitmap font, through the `png` crate; and the zip archive a FedEx pair of PNG labels travels in,
//! through the `zip` crate.

use std::io::Write as _;

use super::font::glyph;
use super::layout::{Layout, Rect, Text, DOTS_PER_INCH};

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
pub(super) fn png_file(layout: &Layout) -> Vec<u8> {
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
pub(super) fn zip_file(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
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
