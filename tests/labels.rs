//! `mawb labels` driven through the real binary, after a real run against the real sandbox over loopback:
//! the print-ready PDF and EPL2 jobs hold every valid label once, in packing order (each bag's label, its
//! packing list, its parcels; then the loose parcels; then the end-of-day label), read back from the page
//! text with lopdf and from the index; reprints; damaged and void labels; the printer.
//!
//! Every MAWB here is built by the test: parcels without tracking numbers (ACP labels them) whose bags
//! interleave in the spreadsheet (`B2`, loose, `B1`, `B2`…), so the packing order differs from the
//! folder's row order and from the archive's file order.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const KEY: &str = "labels-test-key";

/// The bag of parcel `i` (0-based) of every test MAWB: two bags met out of order, and loose parcels.
fn bag_of(i: usize) -> &'static str {
    ["B2", "", "B1", "B2", "B1", ""][i % 6]
}

/// A MAWB run against the sandbox with labels, its ledger and archive.
struct Labelled {
    wd: Workdir,
    _acp: mawb::sandbox::SandboxHandle,
    endpoint: String,
    folder: PathBuf,
    state: PathBuf,
    archive: PathBuf,
    /// shipperItemId of each parcel, folder order, with its bag ("" when loose).
    parcels: Vec<(String, String)>,
}

impl Labelled {
    /// Writes a MAWB of `n` parcels with `label` in `format`, bag and day labels, plus `extra` mawb.toml
    /// lines, and runs it (`run_extra` flags); the run must succeed.
    fn run(
        n: usize,
        label: u8,
        format: &str,
        extra: &str,
        run_extra: &[&str],
    ) -> (Labelled, Output) {
        let wd = Workdir::new();
        let acp = start_sandbox(KEY);
        let mut sheet = Sheet::hawbs(1, n);
        sheet.drop_col("trackingNumber");
        let mut parcels = Vec::new();
        for i in 0..n {
            sheet.set(i, "bag", bag_of(i));
            parcels.push((format!("SI{:08}", i + 1), bag_of(i).to_string()));
        }
        let folder = wd.mkdir("batch/m1");
        write_mawb_toml_with(
            &folder,
            VALID_MAWB,
            &format!(
                "label = {label}\nlabel_format = \"{format}\"\nbag_labels = true\ncreate_day = true\nday_label = true\n{extra}"
            ),
        );
        write_pdf(&folder);
        sheet.write_csv(&folder, "hawbs.csv");
        let l = Labelled {
            endpoint: acp.endpoint(),
            _acp: acp,
            state: wd.join("state.sqlite"),
            archive: wd.join("archive"),
            folder,
            parcels,
            wd,
        };
        let o = l.run_again(run_extra);
        assert_exit(&o, 0);
        (l, o)
    }

    fn run_again(&self, extra: &[&str]) -> Output {
        let mut cmd = self.wd.mawb();
        cmd.arg("run")
            .arg(self.wd.join("batch"))
            .args(["--endpoint", &self.endpoint])
            .arg("--state")
            .arg(&self.state)
            .arg("--archive")
            .arg(&self.archive)
            .args(extra)
            .env("ACP_API_KEY", KEY);
        self.wd.run(&mut cmd)
    }

    /// `mawb labels ARGS… --state … --archive …`.
    fn labels(&self, args: &[&str]) -> Output {
        let mut cmd = self.wd.mawb();
        cmd.arg("labels")
            .args(args)
            .arg("--state")
            .arg(&self.state)
            .arg("--archive")
            .arg(&self.archive);
        let o = self.wd.run(&mut cmd);
        assert_no_panic(&o);
        o
    }

    /// The archive's own index (written by the run): (entity, id, shipperItemId, file, status).
    fn archive_index(&self) -> Vec<[String; 5]> {
        let path = self.archive.join(VALID_MAWB).join("index.csv");
        let mut r =
            csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        r.records()
            .map(|rec| {
                let rec = rec.expect("an index row");
                [0, 1, 2, 3, 7].map(|i| rec[i].to_string())
            })
            .collect()
    }

    /// The tracking number ACP gave each shipperItemId (from the archive's index).
    fn tracking(&self) -> BTreeMap<String, String> {
        self.archive_index()
            .into_iter()
            .filter(|r| r[0] == "item" && r[4] == "valid")
            .map(|r| (r[2].clone(), r[1].clone()))
            .collect()
    }

    /// The one id of `entity` in the archive's index.
    fn only(&self, entity: &str) -> Vec<String> {
        self.archive_index()
            .into_iter()
            .filter(|r| r[0] == entity)
            .map(|r| r[1].clone())
            .collect()
    }

    /// What the print files must hold, in order: ("bag", shipperBagId), ("list", shipperBagId),
    /// ("parcel", tracking number)…, ("day", day id). Built from the folder as the test wrote it.
    fn expected(&self) -> Vec<(&'static str, String)> {
        let tn = self.tracking();
        let mut out = Vec::new();
        for bag in ["B2", "B1"] {
            let sbid = format!("{VALID_MAWB}-{bag}");
            out.push(("bag", sbid.clone()));
            out.push(("list", sbid));
            for (sid, b) in &self.parcels {
                if b == bag {
                    out.push(("parcel", tn[sid].clone()));
                }
            }
        }
        for (sid, b) in &self.parcels {
            if b.is_empty() {
                out.push(("parcel", tn[sid].clone()));
            }
        }
        out.push(("day", self.only("day").remove(0)));
        out
    }
}

/// Rows of a print index: (file, page, kind, id, part).
fn print_index(path: &Path) -> Vec<(String, usize, String, String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "file",
            "page",
            "kind",
            "id",
            "shipperItemId",
            "shipperBagId",
            "part",
            "source"
        ]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                rec[1].parse().unwrap(),
                rec[2].to_string(),
                rec[3].to_string(),
                rec[6].to_string(),
            )
        })
        .collect()
}

/// The expected order as the index spells it: kind and id (a bag label's id is ACP's bag id, so the
/// bag is matched by its shipperBagId column instead; see the callers).
fn kinds(expected: &[(&str, String)]) -> Vec<&'static str> {
    expected
        .iter()
        .map(|(k, _)| match *k {
            "bag" => "bag-label",
            "list" => "packing-list",
            "parcel" => "parcel-label",
            _ => "day-label",
        })
        .collect()
}

fn pdf_pages_text(path: &Path) -> Vec<String> {
    let doc = lopdf::Document::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let n = doc.get_pages().len() as u32;
    (1..=n)
        .map(|p| doc.extract_text(&[p]).unwrap_or_default())
        .collect()
}

#[test]
fn pdf_labels_are_one_page_each_in_packing_order_with_bag_pages_and_reprint_one_page() {
    let (m, run) = Labelled::run(9, 1, "PDF", "print_ready = true", &[]);
    // print_ready = true: the set is written at the end of the run, into the archive.
    let ready = m.archive.join(VALID_MAWB).join("print");
    assert!(
        stdout(&run).contains("print-ready: 12 label(s)"),
        "{}",
        stdout(&run)
    );
    assert!(ready.join(format!("{VALID_MAWB}-labels.pdf")).is_file());

    let out = m.wd.join("out");
    let o = m.labels(&[VALID_MAWB, "--out", out.to_str().unwrap()]);
    assert_exit(&o, 0);
    let expected = m.expected();
    // 9 parcels, 2 bag labels, 1 day label: 12 labels, plus one packing-list page per bag.
    assert_eq!(expected.len(), 14);
    let pages = pdf_pages_text(&out.join(format!("{VALID_MAWB}-labels.pdf")));
    assert_eq!(pages.len(), 14, "one page per label plus the bag pages");
    for (n, ((kind, id), text)) in expected.iter().zip(&pages).enumerate() {
        let page = n + 1;
        match *kind {
            // ACP's bag label says "Ref: <shipperBagId>"; the packing list names the bag the same way.
            "bag" => assert!(
                text.contains(id) && !text.contains("PACKING LIST"),
                "page {page}: {text}"
            ),
            "list" => assert!(
                text.contains("PACKING LIST") && text.contains(id),
                "page {page}: {text}"
            ),
            _ => assert!(
                text.contains(id),
                "page {page} should hold {kind} {id}: {text}"
            ),
        }
    }
    // Each packing list names its bag's parcels.
    let tn = m.tracking();
    for (sid, bag) in &m.parcels {
        let list = expected
            .iter()
            .position(|(k, id)| *k == "list" && id.ends_with(&format!("-{bag}")));
        if let Some(list) = list {
            assert!(
                pages[list].contains(&tn[sid]),
                "the list of {bag} misses {}",
                tn[sid]
            );
        }
    }
    // The index says the same, page by page.
    let index = print_index(&out.join(format!("{VALID_MAWB}-index.csv")));
    assert_eq!(
        index.iter().map(|r| r.2.as_str()).collect::<Vec<_>>(),
        kinds(&expected)
    );
    assert_eq!(
        index.iter().map(|r| r.1).collect::<Vec<_>>(),
        (1..=14).collect::<Vec<_>>()
    );
    // The packing list as CSV: every parcel once, with its weight.
    let packing = std::fs::read_to_string(out.join(format!("{VALID_MAWB}-packing.csv"))).unwrap();
    assert_eq!(packing.lines().count(), 1 + 9, "{packing}");
    assert!(
        packing.contains(&format!("B2,{VALID_MAWB}-B2,")),
        "{packing}"
    );
    assert!(
        packing.lines().skip(1).all(|l| l.ends_with(",1.000")),
        "{packing}"
    );
    // The set written at the end of the run is the same set.
    assert_eq!(
        pdf_pages_text(&ready.join(format!("{VALID_MAWB}-labels.pdf"))),
        pages
    );

    // A reprint of one tracking number (no MAWB named: every MAWB of the archive is searched).
    let one = &expected[2].1;
    let o = m.labels(&["--tracking", one, "--out", out.to_str().unwrap()]);
    assert_exit(&o, 0);
    let reprint = pdf_pages_text(&out.join(format!("{VALID_MAWB}-reprint-labels.pdf")));
    assert_eq!(reprint.len(), 1);
    assert!(reprint[0].contains(one.as_str()));
    assert!(!out
        .join(format!("{VALID_MAWB}-reprint-packing.csv"))
        .exists());
}

#[test]
fn png_fedex_pairs_stay_together_on_pages_of_the_label_size() {
    // Label 11: FedEx International, two labels per parcel, sent by ACP as a zip of two PNGs.
    let (m, _) = Labelled::run(6, 11, "PNG", "", &[]);
    let o = m.labels(&[VALID_MAWB]);
    assert_exit(&o, 0);
    let dir = m.archive.join(VALID_MAWB).join("print");
    let pdf = dir.join(format!("{VALID_MAWB}-labels.pdf"));
    let doc = lopdf::Document::load(&pdf).expect("the PDF parses");
    let index = print_index(&dir.join(format!("{VALID_MAWB}-index.csv")));
    // 6 parcels x 2 labels, 2 bag labels, 2 packing lists, 1 day label.
    assert_eq!(doc.get_pages().len(), 17);
    assert_eq!(index.len(), 17);
    let mut want: Vec<(String, String)> = Vec::new();
    for (kind, id) in m.expected() {
        match kind {
            "parcel" => {
                want.push(("parcel-label".into(), format!("{id} 1/2")));
                want.push(("parcel-label".into(), format!("{id} 2/2")));
            }
            "list" => want.push(("packing-list".into(), id)),
            "bag" => want.push(("bag-label".into(), String::new())),
            _ => want.push(("day-label".into(), id)),
        }
    }
    let got: Vec<(String, String)> = index
        .iter()
        .map(|(_, _, kind, id, part)| match kind.as_str() {
            "parcel-label" => (kind.clone(), format!("{id} {part}")),
            "bag-label" => (kind.clone(), String::new()),
            _ => (kind.clone(), id.clone()),
        })
        .collect();
    assert_eq!(got, want);
    for (page, id) in doc.get_pages() {
        let media: Vec<f32> = doc
            .get_dictionary(id)
            .unwrap()
            .get(b"MediaBox")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_float().unwrap())
            .collect();
        // 812 x 1218 dots at 203 dpi: a 4x6 in page.
        assert_eq!(media, [0.0, 0.0, 288.0, 432.0], "page {page}");
    }
    // A PNG page carries its tracking number as text, so a viewer's search finds it.
    let (_, page, _, id, _) = &index[2];
    assert!(doc
        .extract_text(&[*page as u32])
        .unwrap()
        .contains(id.as_str()));
}

#[test]
fn epl2_job_holds_every_label_once_and_goes_to_the_printer_raw() {
    let (m, run) = Labelled::run(7, 1, "EPL2", "", &["--print-ready"]);
    let dir = m.archive.join(VALID_MAWB).join("print");
    let job_path = dir.join(format!("{VALID_MAWB}-labels.epl"));
    // --print-ready wrote the set at the end of the run; `mawb labels` writes it again.
    assert!(job_path.is_file(), "{}", stdout(&run));
    std::fs::remove_file(&job_path).unwrap();
    let o = m.labels(&[VALID_MAWB]);
    assert_exit(&o, 0);
    let job = std::fs::read_to_string(&job_path).unwrap();
    let expected = m.expected();
    // Every label once (7 parcels, 2 bags, 1 day) and a packing slip per bag: one print command each.
    assert_eq!(
        job.lines().filter(|l| l.trim() == "P1").count(),
        12,
        "{job}"
    );
    assert_eq!(job.matches("\r\nN\r\n").count(), 12);
    // Each barcode once, in packing order.
    let barcodes: Vec<String> = job
        .lines()
        .filter(|l| l.starts_with('B'))
        .map(|l| l.rsplit('"').nth(1).unwrap_or_default().to_string())
        .collect();
    let want: Vec<String> = expected
        .iter()
        .filter(|(k, _)| *k == "parcel" || *k == "day")
        .map(|(_, id)| id.clone())
        .collect();
    let got: Vec<String> = barcodes
        .iter()
        .filter(|b| !m.only("bag").contains(b))
        .cloned()
        .collect();
    assert_eq!(got, want);
    let slips: Vec<usize> = job.match_indices("PACKING LIST").map(|(i, _)| i).collect();
    assert_eq!(slips.len(), 2);

    // --printer: CUPS lp gets the job raw, by absolute path.
    let bin = m.wd.mkdir("bin");
    let log = m.wd.join("lp.log");
    let lp = bin.join("lp");
    std::fs::write(
        &lp,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\necho 'request id is zebra-1 (1 file(s))'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&lp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut cmd = m.wd.mawb();
    cmd.args(["labels", VALID_MAWB, "--printer", "zebra"])
        .arg("--state")
        .arg(&m.state)
        .arg("--archive")
        .arg(&m.archive)
        .env("PATH", &bin);
    let o = m.wd.run(&mut cmd);
    assert_exit(&o, 0);
    let said = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        said.trim(),
        format!(
            "-d zebra -t {VALID_MAWB}-labels.epl -o raw {}",
            job_path.display()
        )
    );
    assert!(
        stdout(&o).contains("request id is zebra-1"),
        "{}",
        stdout(&o)
    );

    // lp refusing the job (an unknown printer): its message, exit 2.
    let refusing = m.wd.mkdir("bin-refusing");
    let lp = refusing.join("lp");
    std::fs::write(
        &lp,
        "#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&lp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut cmd = m.wd.mawb();
    cmd.args(["labels", VALID_MAWB, "--printer", "nowhere"])
        .arg("--state")
        .arg(&m.state)
        .arg("--archive")
        .arg(&m.archive)
        .env("PATH", &refusing);
    let o = m.wd.run(&mut cmd);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("printer or class does not exist") && err.contains("nowhere"),
        "{err}"
    );

    // Without lp: a clear error, and the files are still written.
    let empty = m.wd.mkdir("no-bin");
    std::fs::remove_file(&job_path).unwrap();
    let mut cmd = m.wd.mawb();
    cmd.args(["labels", VALID_MAWB, "--printer", "zebra"])
        .arg("--state")
        .arg(&m.state)
        .arg("--archive")
        .arg(&m.archive)
        .env("PATH", &empty);
    let o = m.wd.run(&mut cmd);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("`lp`") && stderr(&o).contains("not installed"),
        "{}",
        stderr(&o)
    );
    assert!(job_path.is_file());
}

#[test]
fn a_damaged_label_is_named_and_the_others_still_print() {
    let (m, _) = Labelled::run(5, 1, "PDF", "", &[]);
    let victim = m.expected()[2].1.clone();
    let entry = format!("item-{victim}.pdf");
    // The label's bytes in labels.zip are cut short (the zip itself stays readable).
    let zip_path = m.archive.join(VALID_MAWB).join("labels.zip");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).unwrap();
        if name == entry {
            data.truncate(data.len() / 2);
        }
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, &data).unwrap();
    }
    drop(z);
    std::fs::write(&zip_path, w.finish().unwrap().into_inner()).unwrap();

    let o = m.labels(&[VALID_MAWB]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(
        err.contains(&victim) && err.contains(&entry) && err.contains("damaged"),
        "{err}"
    );
    assert!(err.contains(&format!("mawb cancel item {victim}")), "{err}");
    let dir = m.archive.join(VALID_MAWB).join("print");
    let pages = pdf_pages_text(&dir.join(format!("{VALID_MAWB}-labels.pdf")));
    // 5 parcels + 2 bags + 1 day + 2 lists, less the damaged one.
    assert_eq!(pages.len(), 9);
    assert!(!pages
        .iter()
        .any(|p| p.contains("PARCEL") && p.contains(victim.as_str())));

    // The same at the end of a run (unchanged: nothing sent): the MAWB is at ACP, but the night's labels
    // are not all printable, and the run says so with exit 1.
    let o = m.run_again(&["--print-ready"]);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(out.contains("unchanged"), "{out}");
    assert!(out.contains("print-ready: 7 label(s)"), "{out}");
    assert!(
        out.contains("print-ready failed:") && out.contains(&entry),
        "{out}"
    );
}

#[test]
fn a_void_label_is_never_printed_and_asking_for_it_names_its_replacement() {
    let (m, _) = Labelled::run(4, 1, "PDF", "", &[]);
    let old = m.tracking()["SI00000003"].clone();
    // A changed parcel is cancelled at ACP and labelled again under a new tracking number.
    let csv = m.folder.join("hawbs.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let weight = lines[0].split(',').position(|h| h == "weight").unwrap();
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    cells[weight] = "2.5".into();
    lines[3] = cells.join(",");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    let o = m.run_again(&[]);
    assert_exit(&o, 0);
    let new = m.tracking()["SI00000003"].clone();
    assert_ne!(old, new);

    let o = m.labels(&[VALID_MAWB]);
    assert_exit(&o, 0);
    // The parcel, the bag it travels in and the day were cancelled and created again: three void labels.
    assert!(
        stdout(&o).contains("3 void label(s) left out"),
        "{}",
        stdout(&o)
    );
    let dir = m.archive.join(VALID_MAWB).join("print");
    let pages = pdf_pages_text(&dir.join(format!("{VALID_MAWB}-labels.pdf")));
    assert!(pages.iter().any(|p| p.contains(new.as_str())));
    assert!(
        !pages.iter().any(|p| p.contains(old.as_str())),
        "the void label was printed"
    );

    let o = m.labels(&[VALID_MAWB, "--tracking", &old]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("void") && err.contains(&format!("--tracking {new}")),
        "{err}"
    );
}

#[test]
fn labels_refuses_what_names_nothing() {
    let wd = Workdir::new();
    let o = wd.run_mawb(["labels"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("name at least one MAWB"),
        "{}",
        stderr(&o)
    );
    let o = wd.run_mawb(["labels", VALID_MAWB]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("no label archive") && stderr(&o).contains(VALID_MAWB),
        "{}",
        stderr(&o)
    );
    let o = wd.run_mawb(["labels", "--tracking", "1Z999"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("holds no MAWB"), "{}", stderr(&o));
    let o = wd.run_mawb(["labels", VALID_MAWB, "--printer", " "]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("printer name is empty"),
        "{}",
        stderr(&o)
    );
}
