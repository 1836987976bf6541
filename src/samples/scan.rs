//! `mawb.pdf`: a one-page "scan" of the master air waybill (AWB number, shipper, issuing carrier, routing
//! and flights, pieces, HAWB count, gross weight), so every sample folder has the image `mawb.toml` names.
//!
//! The PDF is written by the `pdf-writer` crate: text only, in the standard Helvetica font (no font is
//! embedded), with an exact cross-reference table, so the image check by magic bytes (`%PDF-`) and any PDF
//! reader accept it. It carries no creation date and no file id, so the same seed gives the same bytes.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

use super::batch::MawbPlan;
use super::flights::{local_iso, Leg};

/// US Letter, in PDF points (1/72 inch).
const PAGE: Rect = Rect {
    x1: 0.0,
    y1: 0.0,
    x2: 612.0,
    y2: 792.0,
};
/// The resource name of the page's only font.
const FONT: Name<'static> = Name(b"F1");

/// The scan of `plan`'s MAWB: `declared_kg` its gross weight in kilograms, `pieces` its bags plus loose
/// parcels, `items` its HAWBs.
pub(super) fn mawb_pdf(
    plan: &MawbPlan,
    legs: &[Leg],
    declared_kg: f64,
    pieces: usize,
    items: usize,
) -> Vec<u8> {
    let shipper = plan.airline.shippers[plan.index % plan.airline.shippers.len()];
    let mut lines: Vec<(u8, String)> = vec![
        (18, "MASTER AIR WAYBILL".into()),
        (14, format!("AWB No. {}", plan.manifest_number)),
        (10, String::new()),
        (10, format!("Shipper: {shipper}")),
        (
            10,
            "Consignee: ACP Shipper Services, c/o destination gateway".into(),
        ),
        (
            10,
            format!(
                "Issuing carrier: {} (prefix {})",
                plan.airline.carrier, plan.airline.prefix
            ),
        ),
        (10, String::new()),
        (10, "Routing and flights:".into()),
    ];
    for (i, leg) in legs.iter().enumerate() {
        lines.push((
            10,
            format!(
                "  {}. {} -> {}  {}{}  dep {}  arr {}",
                i + 1,
                leg.departure,
                leg.arrival,
                leg.carrier,
                leg.trip,
                local_iso(leg.departure_utc_min, leg.departure),
                local_iso(leg.arrival_utc_min, leg.arrival)
            ),
        ));
    }
    lines.push((10, String::new()));
    lines.push((
        10,
        format!("No. of pieces (bags + loose parcels): {pieces}"),
    ));
    lines.push((10, format!("House air waybills: {items}")));
    lines.push((10, format!("Gross weight: {declared_kg:.3} kg")));
    lines.push((
        10,
        "Nature and quantity of goods: CONSOLIDATION AS PER ATTACHED MANIFEST".into(),
    ));
    one_page_pdf(&format!("MAWB {}", plan.manifest_number), &lines)
}

/// A PDF 1.4 file of one page: a frame and `lines` of (font size in points, text) from the top left,
/// each line its size plus 6 points below the previous one; `title` goes into the document information.
pub(super) fn one_page_pdf(title: &str, lines: &[(u8, String)]) -> Vec<u8> {
    let (catalog, pages, page, font, contents, info) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
    );

    let mut content = Content::new();
    content
        .set_line_width(0.5)
        .rect(40.0, 40.0, 532.0, 712.0)
        .stroke();
    content.begin_text().next_line(56.0, 730.0);
    for (size, text) in lines {
        let size = f32::from(*size);
        content
            .set_font(FONT, size)
            .next_line(0.0, -(size + 6.0))
            .show(Str(helvetica_text(text).as_bytes()));
    }
    content.end_text();
    let content = content.finish();

    let mut pdf = Pdf::new();
    pdf.set_version(1, 4);
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    {
        let mut p = pdf.page(page);
        p.parent(pages).media_box(PAGE).contents(contents);
        p.resources().fonts().pair(FONT, font);
    }
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.stream(contents, &content);
    pdf.document_info(info)
        .title(TextStr(&helvetica_text(title)))
        .producer(TextStr("mawb samples"));
    pdf.finish()
}

/// Text the standard Helvetica font can show: it only has Latin-1-ish glyphs, so anything outside
/// printable ASCII becomes `?`. (`pdf-writer` escapes the parentheses and backslashes.)
fn helvetica_text(s: &str) -> String {
    s.chars()
        .map(|c| if matches!(c, ' '..='~') { c } else { '?' })
        .collect()
}
