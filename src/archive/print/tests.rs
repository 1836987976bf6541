use super::epl::{self, EplLabel};
use super::order::{self, Piece};
use super::pdf::{self, PdfJob};
use super::png_page::PngImage;
use super::source::{self, IndexRow};
use super::*;
use crate::acp::wire::{LabelFormat, LabelSize};
use crate::archive::{Archive, Entity};
use crate::ledger::{BagRow, ItemRow, Ledger, PackingRow};
use crate::sandbox::labels::{render, render_pair, LabelContent, LabelKind};
use sha2::Digest;

const MAWB: &str = "112-44995451";

fn label(format: LabelFormat, size: LabelSize, kind: LabelKind, id: &str) -> Vec<u8> {
    let lines = vec!["Ada Lovelace".to_string()];
    render(
        format,
        size,
        &LabelContent {
            kind,
            id,
            title: "ACP Ground",
            lines: &lines,
        },
    )
}

fn parcel(format: LabelFormat, id: &str) -> Vec<u8> {
    label(format, LabelSize::FourBySix, LabelKind::Parcel, id)
}

fn pair(format: LabelFormat, id: &str) -> Vec<u8> {
    let lines = vec!["Ada Lovelace".to_string()];
    let c = |title| LabelContent {
        kind: LabelKind::Parcel,
        id,
        title,
        lines: &lines,
    };
    render_pair(
        format,
        LabelSize::FourBySix,
        &c("FedEx 1/2"),
        &c("FedEx 2/2"),
    )
}

fn row(entity: &str, id: &str, file: &str, format: &str) -> IndexRow {
    IndexRow {
        entity: entity.into(),
        id: id.into(),
        shipper_item_id: None,
        file: file.into(),
        format: format.into(),
        sha256: String::new(),
        void: false,
        replaced_by: None,
    }
}

/// A MAWB in an archive and a ledger: `parcels` are (tracking number, bag, label bytes), in folder order;
/// every bag gets ACP bag id `9<bag>` and, with `bag_label`, a label of that format and size; with `day`,
/// the day `D1` gets a label of that format.
struct Fixture {
    dir: tempfile::TempDir,
    archive: Archive,
    ledger: Ledger,
}

impl Fixture {
    fn new(
        parcels: &[(&str, Option<&str>, Vec<u8>)],
        bag_label: Option<(LabelFormat, LabelSize)>,
        day: Option<LabelFormat>,
    ) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::new(dir.path().join("archive"));
        let ledger = Ledger::in_memory().unwrap();
        let items: Vec<ItemRow> = parcels
            .iter()
            .map(|(tn, _, _)| ItemRow {
                key: format!("S-{tn}"),
                tracking_number: Some(tn.to_string()),
                shipper_item_id: Some(format!("S-{tn}")),
                fingerprint: "f".into(),
                label_wanted: true,
            })
            .collect();
        ledger.put_items(MAWB, &items).unwrap();
        // Packing order: bags by first appearance, their parcels, then the loose ones.
        let mut bags: Vec<&str> = Vec::new();
        for (_, bag, _) in parcels {
            if let Some(b) = bag {
                if !bags.contains(b) {
                    bags.push(b);
                }
            }
        }
        let mut packing = Vec::new();
        for b in &bags {
            for (tn, bag, _) in parcels.iter().filter(|p| p.1 == Some(*b)) {
                packing.push(PackingRow {
                    item_key: format!("S-{tn}"),
                    bag: bag.map(String::from),
                    shipper_bag_id: bag.map(|b| format!("{MAWB}-{b}")),
                    weight_kg: Some("1.5".parse().unwrap()),
                });
            }
            ledger
                .put_bag(
                    MAWB,
                    &BagRow {
                        shipper_bag_id: format!("{MAWB}-{b}"),
                        bag_id: format!("9{b}"),
                        fingerprint: "f".into(),
                        label_wanted: false,
                    },
                )
                .unwrap();
        }
        for (tn, _, _) in parcels.iter().filter(|p| p.1.is_none()) {
            packing.push(PackingRow {
                item_key: format!("S-{tn}"),
                bag: None,
                shipper_bag_id: None,
                weight_kg: None,
            });
        }
        ledger.put_packing(MAWB, &packing).unwrap();
        let stage = |entity, id: &str, bytes: &[u8]| {
            for r in archive.stage(MAWB, entity, id, bytes).unwrap() {
                ledger.put_label(&r).unwrap();
            }
        };
        // Staged in an order unlike the packing order, so the order printed is the ledger's.
        if let Some(format) = day {
            let d = label(format, LabelSize::FourBySix, LabelKind::EndOfDay, "D1");
            stage(Entity::Day, "D1", &d);
        }
        for (tn, _, bytes) in parcels.iter().rev() {
            stage(Entity::Item, tn, bytes);
        }
        if let Some((format, size)) = bag_label {
            for b in &bags {
                let id = format!("9{b}");
                stage(Entity::Bag, &id, &label(format, size, LabelKind::Bag, &id));
            }
        }
        let f = Fixture {
            dir,
            archive,
            ledger,
        };
        f.seal();
        f
    }

    fn seal(&self) {
        let rows = self.ledger.labels(MAWB).unwrap();
        self.archive.seal(MAWB, &rows).unwrap();
    }

    fn out(&self) -> std::path::PathBuf {
        self.dir.path().join("out")
    }

    fn print(&self, selection: &Selection) -> Printed {
        print_mawb(
            &self.archive,
            Some(&self.ledger),
            MAWB,
            selection,
            &self.out(),
        )
        .unwrap()
    }

    /// `(kind, id, part)` of every row of an index file.
    fn index(&self, name: &str) -> Vec<(String, String, String, String)> {
        let mut r = csv::Reader::from_path(self.out().join(name)).unwrap();
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (
                    rec[0].to_string(),
                    rec[2].to_string(),
                    rec[3].to_string(),
                    rec[6].to_string(),
                )
            })
            .collect()
    }
}

fn load_pdf(path: &std::path::Path) -> lopdf::Document {
    lopdf::Document::load(path).unwrap()
}

fn media_box(doc: &lopdf::Document, page: lopdf::ObjectId) -> Vec<f32> {
    doc.get_dictionary(page)
        .unwrap()
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------------------
// Order and selection
// ---------------------------------------------------------------------------------------------------------

#[test]
fn packing_order_is_bag_label_list_parcels_then_loose_then_unknown_then_day() {
    let f = Fixture::new(
        &[
            ("T3", Some("B"), parcel(LabelFormat::Pdf, "T3")),
            ("T1", None, parcel(LabelFormat::Pdf, "T1")),
            ("T2", Some("A"), parcel(LabelFormat::Pdf, "T2")),
            ("T4", Some("B"), parcel(LabelFormat::Pdf, "T4")),
        ],
        Some((LabelFormat::Pdf, LabelSize::FourBySix)),
        Some(LabelFormat::Pdf),
    );
    // A label the packing order does not name (an item of an earlier folder) comes after the loose ones.
    for r in f
        .archive
        .stage(MAWB, Entity::Item, "T0", &parcel(LabelFormat::Pdf, "T0"))
        .unwrap()
    {
        f.ledger.put_label(&r).unwrap();
    }
    f.seal();
    let p = f.print(&Selection::default());
    assert!(p.damaged.is_empty() && p.notes.is_empty(), "{p:?}");
    let got: Vec<(String, String)> = f
        .index(&format!("{MAWB}-index.csv"))
        .into_iter()
        .map(|(_, kind, id, _)| (kind, id))
        .collect();
    let want: Vec<(&str, String)> = vec![
        ("bag-label", "9B".into()),
        ("packing-list", format!("{MAWB}-B")),
        ("parcel-label", "T3".into()),
        ("parcel-label", "T4".into()),
        ("bag-label", "9A".into()),
        ("packing-list", format!("{MAWB}-A")),
        ("parcel-label", "T2".into()),
        ("parcel-label", "T1".into()),
        ("parcel-label", "T0".into()),
        ("day-label", "D1".into()),
    ];
    let want: Vec<(String, String)> = want.into_iter().map(|(k, i)| (k.to_string(), i)).collect();
    assert_eq!(got, want);
    assert_eq!((p.labels, p.packing_pages), (8, 2));
    let doc = load_pdf(&f.out().join(format!("{MAWB}-labels.pdf")));
    assert_eq!(doc.get_pages().len(), 10);
    // The page text says the same as the index.
    assert!(doc.extract_text(&[3]).unwrap().contains("T3"));
    assert!(doc.extract_text(&[2]).unwrap().contains("PACKING LIST"));
    assert!(doc.extract_text(&[10]).unwrap().contains("D1"));
    let csv = std::fs::read_to_string(f.out().join(format!("{MAWB}-packing.csv"))).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "bag,shipperBagId,bagId,position,trackingNumber,shipperItemId,weightKg"
    );
    assert_eq!(lines[1], format!("B,{MAWB}-B,9B,1,T3,S-T3,1.500"));
    assert_eq!(lines[2], format!("B,{MAWB}-B,9B,2,T4,S-T4,1.500"));
    assert_eq!(lines[4], ",,,1,T1,S-T1,");
}

#[test]
fn fedex_parts_stay_together_first_part_first() {
    let rows = vec![
        row("item", "F", "item-F-10.png", "PNG"),
        row("item", "F", "item-F-2.png", "PNG"),
        row("item", "F", "item-F-1.png", "PNG"),
    ];
    let plan = order::plan(&rows, &order::PackingView::default(), &Selection::default());
    let files: Vec<&str> = plan.groups[0]
        .parts
        .iter()
        .map(|r| r.file.as_str())
        .collect();
    assert_eq!(files, ["item-F-1.png", "item-F-2.png", "item-F-10.png"]);
    assert_eq!(plan.pieces, [Piece::Label(0)]);
}

#[test]
fn void_labels_are_never_printed_and_asking_for_one_names_its_replacement() {
    let mut rows = vec![
        row("item", "OLD", "item-OLD.pdf", "PDF"),
        row("item", "NEW", "item-NEW.pdf", "PDF"),
    ];
    rows[0].void = true;
    rows[0].replaced_by = Some("NEW".into());
    let plan = order::plan(&rows, &order::PackingView::default(), &Selection::default());
    assert_eq!(plan.void_skipped, 1);
    assert_eq!(plan.groups.len(), 1);
    assert_eq!(plan.groups[0].id, "NEW");
    let asked = Selection {
        tracking: vec!["OLD".into(), "NOPE".into()],
        bags: vec![],
    };
    let plan = order::plan(&rows, &order::PackingView::default(), &asked);
    assert!(plan.pieces.is_empty());
    assert_eq!(plan.unmatched, ["NOPE"]);
    assert_eq!(plan.void_asked[0].replaced_by.as_deref(), Some("NEW"));
}

#[test]
fn a_bag_is_found_by_its_bag_its_shipper_bag_id_or_acps_id() {
    let f = Fixture::new(
        &[
            ("T1", Some("A"), parcel(LabelFormat::Epl2, "T1")),
            ("T2", Some("B"), parcel(LabelFormat::Epl2, "T2")),
            ("T3", None, parcel(LabelFormat::Epl2, "T3")),
        ],
        Some((LabelFormat::Epl2, LabelSize::FourBySix)),
        None,
    );
    let index = source::read_index(&f.archive.mawb_dir(MAWB).join("index.csv")).unwrap();
    let view = order::PackingView::from_ledger(&f.ledger, MAWB).unwrap();
    for id in ["B", &format!("{MAWB}-B"), "9B"] {
        let sel = Selection {
            tracking: vec![],
            bags: vec![id.to_string()],
        };
        let plan = order::plan(&index, &view, &sel);
        let what: Vec<String> = plan
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Label(g) => plan.groups[*g].id.clone(),
                Piece::Packing(b) => format!("list {}", plan.bags[*b].bag),
            })
            .collect();
        assert_eq!(what, ["9B", "list B", "T2"], "bag named {id}");
        assert!(plan.unmatched.is_empty());
    }
}

#[test]
fn without_a_packing_order_labels_print_by_id_with_a_note_and_no_list() {
    let f = Fixture::new(
        &[
            ("T2", Some("A"), parcel(LabelFormat::Pdf, "T2")),
            ("T1", None, parcel(LabelFormat::Pdf, "T1")),
        ],
        Some((LabelFormat::Pdf, LabelSize::FourBySix)),
        None,
    );
    // Without the ledger, a bag is still found by ACP's bag id: its label alone.
    let bag = print_mawb(
        &f.archive,
        None,
        MAWB,
        &Selection {
            tracking: vec![],
            bags: vec!["9A".into(), "A".into()],
        },
        &f.out(),
    )
    .unwrap();
    assert_eq!((bag.labels, bag.packing_pages), (1, 0));
    assert_eq!(bag.unmatched, ["A"]);
    let p = print_mawb(&f.archive, None, MAWB, &Selection::default(), &f.out()).unwrap();
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
    assert!(p.notes[0].contains("no packing order"), "{}", p.notes[0]);
    let ids: Vec<String> = f
        .index(&format!("{MAWB}-index.csv"))
        .into_iter()
        .map(|r| r.2)
        .collect();
    assert_eq!(ids, ["T1", "T2", "9A"]);
    assert!(!f.out().join(format!("{MAWB}-packing.csv")).exists());
}

// ---------------------------------------------------------------------------------------------------------
// Files written
// ---------------------------------------------------------------------------------------------------------

#[test]
fn a_reprint_has_its_own_names_and_a_stale_job_is_removed() {
    let f = Fixture::new(
        &[
            ("T1", None, parcel(LabelFormat::Epl2, "T1")),
            ("T2", None, parcel(LabelFormat::Epl2, "T2")),
        ],
        None,
        None,
    );
    let stale = f.out().join(format!("{MAWB}-labels.pdf"));
    std::fs::create_dir_all(f.out()).unwrap();
    std::fs::write(&stale, b"old").unwrap();
    let all = f.print(&Selection::default());
    assert_eq!(all.labels, 2);
    assert!(
        !stale.exists(),
        "a PDF job of an earlier print stays beside an EPL2-only set"
    );
    let one = f.print(&Selection {
        tracking: vec!["T2".into()],
        bags: vec![],
    });
    assert_eq!(one.labels, 1);
    let job = std::fs::read_to_string(f.out().join(format!("{MAWB}-reprint-labels.epl"))).unwrap();
    assert_eq!(job.lines().filter(|l| l.trim() == "P1").count(), 1);
    assert!(job.contains("\"T2\"") && !job.contains("\"T1\""));
    // The full set is still there.
    assert!(f.out().join(format!("{MAWB}-labels.epl")).exists());
    let leftovers: Vec<String> = std::fs::read_dir(f.out())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn epl2_job_is_every_label_in_order_with_packing_slips() {
    let f = Fixture::new(
        &[
            ("T1", Some("A"), parcel(LabelFormat::Epl2, "T1")),
            ("F2", Some("A"), pair(LabelFormat::Epl2, "F2")),
            ("T3", None, parcel(LabelFormat::Epl2, "T3")),
        ],
        Some((LabelFormat::Epl2, LabelSize::FourByFour)),
        None,
    );
    let p = f.print(&Selection::default());
    assert_eq!(p.labels, 5);
    assert_eq!(p.files[0].pages, 6);
    let job = std::fs::read_to_string(f.out().join(format!("{MAWB}-labels.epl"))).unwrap();
    assert_eq!(job.lines().filter(|l| l.trim() == "P1").count(), 6);
    // The packing slip takes the bag label's size (4x4 in: 812 x 812 dots).
    let slip = job.find("PACKING LIST").unwrap();
    assert!(
        job[..slip].ends_with("N\r\nq812\r\nQ812,24\r\nA24,24,0,2,1,1,N,\""),
        "{}",
        &job[..slip]
    );
    let pos = |id: &str| job.find(&format!(",N,\"{id}\"")).unwrap();
    assert!(pos("9A") < slip && slip < pos("T1") && pos("T1") < pos("F2") && pos("F2") < pos("T3"));
    let rows = f.index(&format!("{MAWB}-index.csv"));
    let f2: Vec<&str> = rows
        .iter()
        .filter(|r| r.2 == "F2")
        .map(|r| r.3.as_str())
        .collect();
    assert_eq!(f2, ["1/2", "2/2"]);
}

#[test]
fn png_labels_become_pages_of_their_size_and_fedex_pairs_two_pages() {
    let f = Fixture::new(
        &[
            ("T1", None, parcel(LabelFormat::Png, "T1")),
            ("F2", None, pair(LabelFormat::Png, "F2")),
        ],
        None,
        None,
    );
    let p = f.print(&Selection::default());
    assert_eq!(p.labels, 3);
    let doc = load_pdf(&f.out().join(format!("{MAWB}-labels.pdf")));
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 3);
    for page in pages.values() {
        // 812 x 1218 dots at 203 dpi: 4 x 6 in, exactly.
        assert_eq!(media_box(&doc, *page), [0.0, 0.0, 288.0, 432.0]);
    }
    assert!(doc.extract_text(&[2]).unwrap().contains("F2"));
    // The image is the label's own pixels: 1 bit, 812 wide, PNG-predicted, not resampled.
    let image = doc
        .objects
        .values()
        .filter_map(|o| o.as_stream().ok())
        .find(|s| s.dict.get(b"Subtype").and_then(lopdf::Object::as_name).ok() == Some(b"Image"))
        .unwrap();
    assert_eq!(image.dict.get(b"Width").unwrap().as_i64().unwrap(), 812);
    assert_eq!(
        image
            .dict
            .get(b"BitsPerComponent")
            .unwrap()
            .as_i64()
            .unwrap(),
        1
    );
    let mut image = image.clone();
    image.decompress().unwrap();
    assert_eq!(image.content.len(), 812usize.div_ceil(8) * 1218);
}

#[test]
fn pdf_pages_keep_acps_size_and_4x4_stays_4x4() {
    let f = Fixture::new(
        &[
            (
                "T1",
                None,
                label(
                    LabelFormat::Pdf,
                    LabelSize::FourByFour,
                    LabelKind::Parcel,
                    "T1",
                ),
            ),
            ("F2", None, pair(LabelFormat::Pdf, "F2")),
        ],
        None,
        None,
    );
    f.print(&Selection::default());
    let doc = load_pdf(&f.out().join(format!("{MAWB}-labels.pdf")));
    let sizes: Vec<Vec<f32>> = doc
        .get_pages()
        .values()
        .map(|p| media_box(&doc, *p))
        .collect();
    assert_eq!(
        sizes,
        [
            vec![0.0, 0.0, 288.0, 288.0],
            vec![0.0, 0.0, 288.0, 432.0],
            vec![0.0, 0.0, 288.0, 432.0]
        ]
    );
    assert!(doc.extract_text(&[3]).unwrap().contains("FedEx 2/2"));
}

#[test]
fn a_damaged_label_is_named_and_the_others_still_print() {
    let f = Fixture::new(
        &[
            ("T1", None, parcel(LabelFormat::Pdf, "T1")),
            ("T2", None, parcel(LabelFormat::Pdf, "T2")),
        ],
        None,
        None,
    );
    // The index says T2 is a PDF with this sha256, but its entry is cut short.
    let rows = f.ledger.labels(MAWB).unwrap();
    let t2 = rows.iter().find(|r| r.entity_id == "T2").unwrap();
    let bytes = parcel(LabelFormat::Pdf, "T2");
    std::fs::create_dir_all(f.archive.mawb_dir(MAWB).join("staging")).unwrap();
    std::fs::write(
        f.archive.mawb_dir(MAWB).join("staging").join(&t2.file),
        &bytes[..bytes.len() / 3],
    )
    .unwrap();
    f.seal();
    let p = f.print(&Selection::default());
    assert_eq!(p.labels, 1);
    assert_eq!(p.damaged.len(), 1);
    let msg = &p.damaged[0];
    assert!(
        msg.contains("parcel T2") && msg.contains("item-T2.pdf") && msg.contains("sha256"),
        "{msg}"
    );
    assert!(msg.contains("mawb cancel item T2"), "{msg}");
    assert_eq!(
        load_pdf(&f.out().join(format!("{MAWB}-labels.pdf")))
            .get_pages()
            .len(),
        1
    );
}

#[test]
fn a_bag_of_two_formats_gets_its_packing_list_in_both_jobs() {
    let f = Fixture::new(
        &[
            ("T1", Some("A"), parcel(LabelFormat::Pdf, "T1")),
            ("T2", Some("A"), parcel(LabelFormat::Epl2, "T2")),
        ],
        Some((LabelFormat::Pdf, LabelSize::FourByFour)),
        None,
    );
    let p = f.print(&Selection::default());
    assert_eq!((p.labels, p.packing_pages), (3, 2));
    let rows = f.index(&format!("{MAWB}-index.csv"));
    let kinds_in = |ext: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r.0.ends_with(ext))
            .map(|r| r.1.clone())
            .collect()
    };
    assert_eq!(
        kinds_in(".pdf"),
        ["bag-label", "packing-list", "parcel-label"]
    );
    assert_eq!(kinds_in(".epl"), ["packing-list", "parcel-label"]);
    // The PDF packing list takes the bag label's 4x4 in page.
    let doc = load_pdf(&f.out().join(format!("{MAWB}-labels.pdf")));
    let pages: Vec<_> = doc.get_pages().into_values().collect();
    assert_eq!(media_box(&doc, pages[1]), [0.0, 0.0, 288.0, 288.0]);
}

#[test]
fn an_unreadable_labels_zip_stops_the_mawb_naming_it() {
    let f = Fixture::new(&[("T1", None, parcel(LabelFormat::Pdf, "T1"))], None, None);
    std::fs::write(
        f.archive.mawb_dir(MAWB).join("labels.zip"),
        b"PK\x03\x04 not really",
    )
    .unwrap();
    let e = print_mawb(
        &f.archive,
        Some(&f.ledger),
        MAWB,
        &Selection::default(),
        &f.out(),
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("labels.zip") && msg.contains("not a readable zip"),
        "{msg}"
    );
}

#[test]
fn a_label_whose_content_is_not_its_format_is_damaged() {
    let r = row("item", "T", "item-T.pdf", "PDF");
    let Err(why) = source_parse(&r, &parcel(LabelFormat::Png, "T")) else {
        panic!("a PNG passed as a PDF")
    };
    assert!(why.contains("index says PDF"), "{why}");
    let Err(why) = source_parse(&r, b"%PDF-1.4\nnonsense") else {
        panic!("nonsense passed as a PDF")
    };
    assert!(why.contains("PDF"), "{why}");
}

fn source_parse(r: &IndexRow, bytes: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("labels.zip");
    let mut zw = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    zw.start_file(r.file.as_str(), zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zw, bytes).unwrap();
    zw.finish().unwrap();
    let mut r = r.clone();
    r.sha256 = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let plan = order::plan(&[r], &order::PackingView::default(), &Selection::default());
    let loaded = source::load_labels(&zip_path, &plan).unwrap();
    match loaded.damaged.first() {
        Some(d) => Err(d.why.clone()),
        None => Ok(()),
    }
}

#[test]
fn an_unreadable_index_stops_the_mawb_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("index.csv");
    std::fs::write(&p, "entity,id\r\nitem,T\r\n").unwrap();
    let e = source::read_index(&p).unwrap_err().to_string();
    assert!(
        e.contains("index.csv") && e.contains("`shipperItemId`"),
        "{e}"
    );
    std::fs::write(
        &p,
        "entity,id,shipperItemId,file,format,sha256,bytes,status,replacedBy\r\nitem,T,,f.pdf,PDF,00,1,lost,\r\n",
    )
    .unwrap();
    let e = source::read_index(&p).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("\"lost\""), "{e}");
}

#[test]
fn a_mawb_without_labels_has_no_archive() {
    let dir = tempfile::tempdir().unwrap();
    let archive = Archive::new(dir.path());
    let e = print_mawb(&archive, None, MAWB, &Selection::default(), dir.path()).unwrap_err();
    assert!(matches!(e, PrintError::NoArchive { .. }), "{e}");
    assert_eq!(
        print_ready(&archive, &Ledger::in_memory().unwrap(), MAWB),
        PrintReady::default()
    );
}

// ---------------------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------------------

#[test]
fn epl2_labels_count_their_print_commands_and_sizes() {
    let one = EplLabel::parse(&parcel(LabelFormat::Epl2, "T")).unwrap();
    assert_eq!((one.labels, one.size), (1, Some((812, 1218))));
    assert_eq!(
        EplLabel::parse(&pair(LabelFormat::Epl2, "F"))
            .unwrap()
            .labels,
        2
    );
    let cut = EplLabel::parse(b"\r\nN\r\nq812\r\nA1,1,0,2,1,1,N,\"x\"").unwrap_err();
    assert!(cut.contains("no print command"), "{cut}");
    // A label without a final line end gets one, so the next starts clean.
    assert!(EplLabel::parse(b"N\r\nP1")
        .unwrap()
        .bytes
        .ends_with(b"P1\r\n"));
}

#[test]
fn epl2_text_is_quoted_and_clipped() {
    let label = epl::text_label(
        (812, 1218),
        &["say \"hi\" \\ é".to_string(), "x".repeat(200)],
    );
    let text = String::from_utf8(label).unwrap();
    assert!(text.contains("N,\"say \\\"hi\\\" \\\\ ?\""), "{text}");
    let (_, chars) = epl::capacity((812, 1218));
    assert!(text.contains(&format!("\"{}\"", "x".repeat(chars))));
    assert!(!text.contains(&"x".repeat(chars + 1)));
    assert!(text.ends_with("P1\r\n"));
}

#[test]
fn png_without_a_resolution_is_taken_as_4_inches_wide() {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, 1200, 1800);
        e.set_color(png::ColorType::Rgba);
        e.set_depth(png::BitDepth::Eight);
        let mut w = e.write_header().unwrap();
        w.write_image_data(&vec![0x80; 1200 * 1800 * 4]).unwrap();
    }
    let img = PngImage::parse(&out).unwrap();
    assert_eq!(img.dpi, (300.0, 300.0));
    assert_eq!(img.page_size(), (288.0, 432.0));
    // An alpha channel is laid on white at the same pixel size.
    let mut s = img.xobject();
    assert_eq!(s.dict.get(b"Width").unwrap().as_i64().unwrap(), 1200);
    s.decompress().unwrap();
    assert_eq!(s.content.len(), 1200 * 1800 * 3);
    // (128 * 128 + 255 * 127) / 255, rounded: half-transparent grey on white.
    assert!(s.content.iter().all(|&v| v == 191));
}

#[test]
fn a_damaged_png_is_refused_with_the_reason() {
    let good = parcel(LabelFormat::Png, "T");
    assert!(PngImage::parse(&good).is_ok());
    let cut = PngImage::parse(&good[..good.len() - 20]).unwrap_err();
    assert!(cut.contains("truncated"), "{cut}");
    let mut flipped = good.clone();
    let n = flipped.len() - 40;
    flipped[n] ^= 0xff;
    let bad = PngImage::parse(&flipped).unwrap_err();
    assert!(bad.contains("CRC"), "{bad}");
    assert!(PngImage::parse(b"\x89PNG\r\n\x1a\n").is_err());
}

#[test]
fn a_page_inheriting_its_media_box_is_merged_with_it() {
    let inherited = b"%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 288 288] >> endobj
3 0 obj << /Type /Page /Parent 2 0 R >> endobj
trailer << /Root 1 0 R >>
%%EOF
";
    let mut doc = lopdf::Document::load_mem(inherited).unwrap();
    assert_eq!(pdf::prepare(&mut doc).unwrap(), (288.0, 288.0));
    let mut job = PdfJob::new();
    assert_eq!(job.add_pdf(doc), 1);
    job.add_text_page(pdf::DEFAULT_PAGE, &["PACKING LIST".to_string()]);
    let mut out = Vec::new();
    job.write(&mut out).unwrap();
    let merged = lopdf::Document::load_mem(&out).unwrap();
    let pages: Vec<_> = merged.get_pages().into_values().collect();
    assert_eq!(media_box(&merged, pages[0]), [0.0, 0.0, 288.0, 288.0]);
    assert_eq!(media_box(&merged, pages[1]), [0.0, 0.0, 288.0, 432.0]);
    assert!(merged.extract_text(&[2]).unwrap().contains("PACKING LIST"));
    let without = String::from_utf8_lossy(inherited).replace(" /MediaBox [0 0 288 288]", "");
    let mut none = lopdf::Document::load_mem(without.as_bytes()).unwrap();
    assert!(pdf::prepare(&mut none).unwrap_err().contains("MediaBox"));
}
