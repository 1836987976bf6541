//! Label files checked the way their readers check them: PNGs decoded with `png`, the barcode read back
//! bar by bar against the Code 128 table of ISO/IEC 15417, PDFs parsed with `lopdf`, EPL2 split into
//! commands.

use super::font::{glyph, GLYPH_ART};
use super::layout::{Barcode, Layout, LABEL_WIDTH, MARGIN};
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
    let mut decoder = ::png::Decoder::new(bytes);
    decoder.set_transformations(::png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("PNG header");
    assert_eq!(reader.info().bit_depth, ::png::BitDepth::One);
    assert_eq!(reader.info().color_type, ::png::ColorType::Grayscale);
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("PNG data");
    assert_eq!(frame.line_size, frame.width as usize);
    (frame.width, frame.height, pixels)
}

/// Bar and space widths (in modules, bar first) of the 107 Code 128 symbols by value, as ISO/IEC 15417
/// tabulates them: 0-102 data and control values, 103-105 start A/B/C, 106 stop (7 elements, 13
/// modules). The reference the bars drawn on the labels are read back against.
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

/// Reads a Code 128 symbol from the widths of its bars and spaces in dots (bar first): the symbol values,
/// start to checksum, after checking the stop pattern. Panics (failing the test) on anything unreadable.
fn read_code128(runs: &[u32]) -> Vec<usize> {
    // Every start symbol opens with a 2-module bar.
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
    assert_eq!(rest, CODE128_PATTERNS[106], "stop pattern");
    symbols
}

/// The bar and space widths of a placed barcode, from its bars.
fn barcode_runs(barcode: &Barcode) -> Vec<u32> {
    let mut runs = Vec::new();
    let bars = barcode.bars();
    for (i, bar) in bars.iter().enumerate() {
        runs.push(bar.w);
        if let Some(next) = bars.get(i + 1) {
            runs.push(next.x - (bar.x + bar.w));
        }
    }
    runs
}

#[test]
fn code128_of_ups_tracking_number_has_set_b_values_and_mod_103_checksum() {
    let id = "1ZWE31190196785492";
    let barcode = Barcode::fit(id, 0, 100).expect("an 18-character id fits");
    assert_eq!(barcode.data, id);
    let symbols = read_code128(&barcode_runs(&barcode));
    // Independently: code set B value = ASCII - 32; checksum = (104 + sum of position * value) mod 103.
    // 1=17 Z=58 W=55 E=37 3=19 1=17 1=17 9=25 0=16 1=17 9=25 6=22 7=23 8=24 5=21 4=20 9=25 2=18
    let values = [
        17, 58, 55, 37, 19, 17, 17, 25, 16, 17, 25, 22, 23, 24, 21, 20, 25, 18,
    ];
    let weighted: usize = values.iter().zip(1..).map(|(v, i)| v * i).sum();
    assert_eq!(104 + weighted, 3938);
    assert_eq!(3938 % 103, 24);
    assert_eq!(symbols.len(), id.len() + 2);
    assert_eq!(symbols[0], 104, "start B");
    assert_eq!(&symbols[1..=18], values.as_slice());
    assert_eq!(symbols[19], 24, "checksum");
    // Start, 18 data and checksum symbols of 11 modules and the 13-module stop, with 10 quiet modules each
    // side: 253 modules, so 3 dots a module on 812 dots.
    assert_eq!(barcode.module, 3);
    let width: u32 = barcode_runs(&barcode).iter().sum();
    assert_eq!(width, (20 * 11 + 13) * 3);
}

#[test]
fn code128_of_every_printable_character() {
    let printable: String = (' '..='~').collect();
    for chunk in printable.as_bytes().chunks(40) {
        let id = std::str::from_utf8(chunk).expect("ASCII");
        let barcode = Barcode::fit(id, 0, 100).expect("40 characters fit");
        let symbols = read_code128(&barcode_runs(&barcode));
        let decoded: String = symbols[1..symbols.len() - 1]
            .iter()
            .map(|&v| char::from(v as u8 + 32))
            .collect();
        assert_eq!(decoded, id);
        let checksum = symbols[1..symbols.len() - 1]
            .iter()
            .zip(1..)
            .fold(104, |sum, (v, i)| (sum + v * i) % 103);
        assert_eq!(symbols[symbols.len() - 1], checksum);
    }
    // Outside printable ASCII: encoded as `?`, like the text under the bars.
    let odd = Barcode::fit("A\u{e9}\t", 0, 100).expect("fits");
    assert_eq!(odd.data, "A??");
    assert_eq!(read_code128(&barcode_runs(&odd))[1..4], [33, 31, 31]);
}

#[test]
fn code128_reference_table_is_well_formed() {
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
            runs.push((x - start) as u32);
            start = x;
        }
    }
    let symbols = read_code128(&runs);
    assert_eq!(symbols[0], 104);
    let data = &symbols[1..symbols.len() - 1];
    let decoded: String = data.iter().map(|&v| char::from(v as u8 + 32)).collect();
    assert_eq!(decoded, id);
    let checksum = data
        .iter()
        .zip(1..)
        .fold(104, |sum, (v, i)| (sum + v * i) % 103);
    assert_eq!(symbols[symbols.len() - 1], checksum);
}

/// A parsed PDF label: its pages' MediaBoxes (points) and the strings each page shows (`Tj` operands).
struct PdfLabel {
    media_boxes: Vec<Vec<f32>>,
    shown: Vec<Vec<Vec<u8>>>,
}

/// Parses a PDF the way a reader would (lopdf: header, xref, objects, page tree, content streams) and
/// checks it declares `pages` pages in Helvetica.
fn check_pdf(pdf: &[u8], pages: usize) -> PdfLabel {
    assert!(pdf.starts_with(b"%PDF-1.4\n"));
    let doc = lopdf::Document::load_mem(pdf).expect("lopdf reads the PDF");
    let ids = doc.get_pages();
    assert_eq!(ids.len(), pages);
    let mut label = PdfLabel {
        media_boxes: Vec::new(),
        shown: Vec::new(),
    };
    for (_, id) in ids {
        let page = doc.get_dictionary(id).expect("page dictionary");
        let media_box = page
            .get(b"MediaBox")
            .and_then(lopdf::Object::as_array)
            .expect("MediaBox")
            .iter()
            .map(|n| n.as_float().expect("number"))
            .collect();
        label.media_boxes.push(media_box);
        let fonts = doc.get_page_fonts(id).expect("page fonts");
        let font = fonts.get(b"F1".as_slice()).expect("font F1");
        assert_eq!(
            font.get(b"BaseFont").and_then(lopdf::Object::as_name).ok(),
            Some(b"Helvetica".as_slice())
        );
        let content = lopdf::content::Content::decode(&doc.get_page_content(id)).expect("content");
        let shown = content
            .operations
            .iter()
            .filter(|op| op.operator == "Tj")
            .map(|op| op.operands[0].as_str().expect("string").to_vec())
            .collect();
        label.shown.push(shown);
    }
    label
}

#[test]
fn pdf_is_valid_with_page_size_and_latin1_text() {
    let text = lines(&["Jean (Dupont) \\ Müller", "東京 office"]);
    let pdf = render(
        LabelFormat::Pdf,
        LabelSize::FourBySix,
        &parcel("1ZWE31190196785492", &text),
    );
    let label = check_pdf(&pdf, 1);
    assert_eq!(label.media_boxes, [vec![0.0, 0.0, 288.0, 432.0]]);
    let shown = &label.shown[0];
    assert!(
        shown.contains(&b"Jean (Dupont) \\ M\xFCller".to_vec()),
        "Latin-1 text"
    );
    assert!(shown.contains(&b"?? office".to_vec()));
    assert!(shown.contains(&b"1ZWE31190196785492".to_vec()));
    let small = render(LabelFormat::Pdf, LabelSize::FourByFour, &parcel("1", &text));
    assert_eq!(
        check_pdf(&small, 1).media_boxes,
        [vec![0.0, 0.0, 288.0, 288.0]]
    );
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
    let shown = check_pdf(&pdf, 2).shown;
    assert!(shown[0].contains(&b"794600000001".to_vec()));
    assert!(shown[1].contains(&b"794600000002".to_vec()));
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
    assert!(commands
        .iter()
        .any(|c| c.starts_with('B') && c.contains(",0,1,") && c.ends_with(",N,\"BAG-1\\\"2\"")));
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
                    assert!(render_pair(format, size, &content, &content).starts_with(pair_magic));
                    match format {
                        LabelFormat::Png => assert_eq!(decode_png(&one).0, 812),
                        LabelFormat::Pdf => assert_eq!(check_pdf(&one, 1).shown.len(), 1),
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
