//! The PDF job: ACP's PDF label pages merged as they are, PNG labels as image pages of their own size,
//! and packing-list pages, composed with lopdf.
//!
//! A merged page keeps its content streams, resources and MediaBox: nothing is re-rasterised or scaled.
//! Attributes a page inherits from its page tree (MediaBox, CropBox, Resources, Rotate) are copied onto the
//! page before it leaves its document, since the new document has a page tree of its own.

use super::png_page::PngImage;
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Dictionary, Document, Object, ObjectId, Stream};
use std::collections::HashSet;

/// A page size in points (1/72 in), width then height.
pub(crate) type PageSize = (f64, f64);

/// 4x6 in, for a packing list whose bag has no label page to take the size from.
pub(crate) const DEFAULT_PAGE: PageSize = (288.0, 432.0);
const MARGIN_PT: f64 = 14.0;
/// Courier (every character 0.6 em wide) at this size, for the packing list's columns.
const TEXT_PT: f64 = 7.0;
const LEADING_PT: f64 = 9.0;

/// The value of `key` on a page or the nearest page-tree node above it.
fn inherited(doc: &Document, page: ObjectId, key: &[u8]) -> Option<Object> {
    let mut current = page;
    let mut seen = HashSet::new();
    while seen.insert(current) {
        let node = doc.get_dictionary(current).ok()?;
        if let Ok(value) = node.get(key) {
            if !matches!(doc.dereference(value), Ok((_, Object::Null)) | Err(_)) {
                return Some(value.clone());
            }
        }
        current = node.get(b"Parent").ok()?.as_reference().ok()?;
    }
    None
}

/// A rectangle `[x0 y0 x1 y1]` (direct or referenced) as width and height in points.
fn rect_size(doc: &Document, rect: &Object) -> Option<PageSize> {
    let (_, rect) = doc.dereference(rect).ok()?;
    let values: Vec<f64> = rect
        .as_array()
        .ok()?
        .iter()
        .map(|v| doc.dereference(v).ok().and_then(|(_, v)| v.as_float().ok()))
        .collect::<Option<Vec<f32>>>()?
        .into_iter()
        .map(f64::from)
        .collect();
    match values[..] {
        [x0, y0, x1, y1] if (x1 - x0).abs() > 0.0 && (y1 - y0).abs() > 0.0 => {
            Some(((x1 - x0).abs(), (y1 - y0).abs()))
        }
        _ => None,
    }
}

/// Makes every page of a label PDF stand alone (inherited attributes copied onto it) and checks it has a
/// usable MediaBox. Returns the first page's size.
pub(crate) fn prepare(doc: &mut Document) -> Result<PageSize, String> {
    let mut first = None;
    for page in doc.get_pages().into_values() {
        let media = inherited(doc, page, b"MediaBox")
            .ok_or("a page of the PDF has no MediaBox (no page size)")?;
        let size = rect_size(doc, &media).ok_or("a page of the PDF has an unusable MediaBox")?;
        first.get_or_insert(size);
        let mut dict = doc
            .get_dictionary(page)
            .map_err(|e| format!("a page of the PDF cannot be read: {e}"))?
            .clone();
        dict.set("MediaBox", media);
        for key in [&b"CropBox"[..], b"Resources", b"Rotate"] {
            if let Some(v) = inherited(doc, page, key) {
                dict.set(key, v);
            }
        }
        doc.objects.insert(page, Object::Dictionary(dict));
    }
    first.ok_or_else(|| "the PDF has no page".to_string())
}

/// Whether an object is the catalog or a page-tree node (left behind when pages move).
fn is_tree(object: &Object) -> bool {
    let Ok(dict) = object.as_dict() else {
        return false;
    };
    matches!(
        dict.get(b"Type").and_then(Object::as_name),
        Ok(b"Catalog") | Ok(b"Pages")
    )
}

/// WinAnsi bytes of `text` for a standard font: Latin-1 as is, anything else `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7e | 0xa0..=0xff => c as u8,
            _ => b'?',
        })
        .collect()
}

/// A PDF of label pages being built.
pub(crate) struct PdfJob {
    doc: Document,
    pages_id: ObjectId,
    helvetica: ObjectId,
    courier: ObjectId,
    kids: Vec<Object>,
}

impl PdfJob {
    pub fn new() -> PdfJob {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font = |name: &str| {
            dictionary! {
                "Type" => "Font",
                "Subtype" => "Type1",
                "BaseFont" => name,
                "Encoding" => "WinAnsiEncoding",
            }
        };
        let helvetica = doc.add_object(font("Helvetica"));
        let courier = doc.add_object(font("Courier"));
        PdfJob {
            doc,
            pages_id,
            helvetica,
            courier,
            kids: Vec::new(),
        }
    }

    /// Pages so far.
    pub fn pages(&self) -> usize {
        self.kids.len()
    }

    fn add_page(&mut self, mut page: Dictionary) {
        page.set("Type", "Page");
        page.set("Parent", self.pages_id);
        let id = self.doc.add_object(page);
        self.kids.push(id.into());
    }

    /// Appends every page of a label PDF (made ready by [`prepare`]). Returns the pages added.
    pub fn add_pdf(&mut self, mut label: Document) -> usize {
        label.renumber_objects_with(self.doc.max_id + 1);
        let pages: Vec<ObjectId> = label.get_pages().into_values().collect();
        for (id, object) in std::mem::take(&mut label.objects) {
            if !is_tree(&object) {
                self.doc.max_id = self.doc.max_id.max(id.0);
                self.doc.objects.insert(id, object);
            }
        }
        for &page in &pages {
            if let Ok(dict) = self.doc.get_dictionary_mut(page) {
                dict.set("Parent", self.pages_id);
            }
            self.kids.push(page.into());
        }
        pages.len()
    }

    /// Appends a PNG label as a page of its own size, the image filling it, with `id` as invisible text
    /// (so a viewer's search finds the tracking number).
    pub fn add_png(&mut self, image: &PngImage, id: &str) {
        let (w, h) = image.page_size();
        let xobject = self.doc.add_object(image.xobject());
        let ops = vec![
            Operation::new("q", vec![]),
            Operation::new(
                "cm",
                vec![w.into(), 0.into(), 0.into(), h.into(), 0.into(), 0.into()],
            ),
            Operation::new("Do", vec!["Im0".into()]),
            Operation::new("Q", vec![]),
            Operation::new("BT", vec![]),
            Operation::new("Tr", vec![3.into()]),
            Operation::new("Tf", vec!["F1".into(), 8.into()]),
            Operation::new("Td", vec![4.into(), 4.into()]),
            Operation::new("Tj", vec![Object::string_literal(win_ansi(id))]),
            Operation::new("ET", vec![]),
        ];
        let contents = self.content(ops);
        self.add_page(dictionary! {
            "MediaBox" => vec![0.into(), 0.into(), w.into(), h.into()],
            "Resources" => dictionary! {
                "XObject" => dictionary! { "Im0" => xobject },
                "Font" => dictionary! { "F1" => self.helvetica },
            },
            "Contents" => contents,
        });
    }

    /// Lines of text that fit a page of `size`, and characters per line.
    pub fn capacity(size: PageSize) -> (usize, usize) {
        let lines = ((size.1 - 2.0 * MARGIN_PT) / LEADING_PT).floor().max(1.0);
        let chars = ((size.0 - 2.0 * MARGIN_PT) / (TEXT_PT * 0.6))
            .floor()
            .max(1.0);
        (lines as usize, chars as usize)
    }

    /// Appends a page of `size` holding `lines` of text (a packing-list page), top to bottom.
    pub fn add_text_page(&mut self, size: PageSize, lines: &[String]) {
        let (_, chars) = Self::capacity(size);
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F2".into(), TEXT_PT.into()]),
            Operation::new("TL", vec![LEADING_PT.into()]),
            Operation::new(
                "Td",
                vec![MARGIN_PT.into(), (size.1 - MARGIN_PT - TEXT_PT).into()],
            ),
        ];
        for line in lines {
            let clipped: String = line.chars().take(chars).collect();
            ops.push(Operation::new(
                "Tj",
                vec![Object::string_literal(win_ansi(&clipped))],
            ));
            ops.push(Operation::new("T*", vec![]));
        }
        ops.push(Operation::new("ET", vec![]));
        let contents = self.content(ops);
        self.add_page(dictionary! {
            "MediaBox" => vec![0.into(), 0.into(), size.0.into(), size.1.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F2" => self.courier } },
            "Contents" => contents,
        });
    }

    fn content(&mut self, operations: Vec<Operation>) -> ObjectId {
        // Encoding operators and plain numbers, names and strings cannot fail.
        let bytes = Content { operations }.encode().unwrap_or_default();
        self.doc.add_object(Stream::new(dictionary! {}, bytes))
    }

    /// Writes the finished PDF.
    pub fn write(mut self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let count = self.kids.len() as i64;
        self.doc.objects.insert(
            self.pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => self.kids,
                "Count" => count,
            }),
        );
        let catalog = self.doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => self.pages_id,
        });
        self.doc.trailer.set("Root", catalog);
        self.doc.save_to(out)
    }
}
