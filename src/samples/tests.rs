//! The generator end to end on scratch folders (determinism, MAWB and tracking numbers, spreadsheet
//! dialects, the contract's rules, the scan, bad options) and its parts one by one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::batch::{distribute, plan_batch, MAX_ITEMS};
use super::catalog::{CATALOG, DESCRIPTION_SUFFIXES};
use super::flights::{civil_from_days, days_from_civil, local_iso};
use super::folder::split_files;
use super::items::{make_items, LB_KG};
use super::rows::{spelling, COLUMNS, ZIP_COL};
use super::scan::one_page_pdf;
use super::{generate, SampleFormat, SampleMawb, SampleOptions, SamplesError};
use crate::validate::checkdigit::{parse_mawb_number, ups_tracking_number_valid};

/// A scratch folder removed on drop (no tempfile dependency needed).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "mawb-samples-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn opts(mawbs: usize, hawbs: usize, seed: u64, formats: &[SampleFormat]) -> SampleOptions {
    SampleOptions {
        mawbs,
        hawbs,
        seed,
        formats: formats.to_vec(),
        label: 0,
    }
}

const BOTH: &[SampleFormat] = &[SampleFormat::Xlsx, SampleFormat::Csv];

fn normalize(h: &str) -> String {
    h.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Canonical column index of each header, as the contract's matcher sees it.
fn header_map(headers: &[String]) -> Vec<usize> {
    headers
        .iter()
        .map(|h| {
            let n = normalize(h);
            let n = if n == "hawbnumber" {
                "trackingnumber".to_string()
            } else {
                n
            };
            COLUMNS
                .iter()
                .position(|c| c.to_lowercase() == n)
                .unwrap_or_else(|| panic!("header {h:?} matches no column"))
        })
        .collect()
}

/// Header and rows of a spreadsheet as strings, columns in canonical order.
fn read_table(path: &Path) -> Vec<[String; 29]> {
    let raw: Vec<Vec<String>> = if path.extension().is_some_and(|e| e == "csv") {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(path)
            .unwrap();
        r.records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect()
    } else {
        use calamine::{open_workbook, Data, Reader, Xlsx};
        let mut wb: Xlsx<_> = open_workbook(path).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|d| match d {
                        Data::Empty => String::new(),
                        Data::String(s) => s.clone(),
                        Data::Float(f) => f.to_string(),
                        Data::Int(i) => i.to_string(),
                        other => panic!("unexpected cell {other:?}"),
                    })
                    .collect()
            })
            .collect()
    };
    let map = header_map(&raw[0]);
    raw.iter()
        .map(|r| {
            assert_eq!(r.len(), 29, "{}: row {r:?}", path.display());
            let mut out: [String; 29] = Default::default();
            for (i, v) in r.iter().enumerate() {
                out[map[i]] = v.clone();
            }
            out
        })
        .collect()
}

fn col(name: &str) -> usize {
    COLUMNS.iter().position(|c| *c == name).unwrap()
}

/// The product rows of every item of a MAWB, in file order, checking items are contiguous and
/// never split across files.
fn items_of(m: &SampleMawb) -> Vec<Vec<[String; 29]>> {
    let mut items: Vec<Vec<[String; 29]>> = Vec::new();
    let mut seen = HashSet::new();
    for f in m
        .files
        .iter()
        .filter(|f| f.to_string_lossy().contains("hawbs-"))
    {
        let mut last_key = String::new();
        for row in read_table(f).into_iter().skip(1) {
            let key = row[col("shipperItemId")].clone();
            if key != last_key {
                assert!(
                    seen.insert(key.clone()),
                    "item {key} not contiguous in {}",
                    f.display()
                );
                items.push(Vec::new());
                last_key = key;
            }
            if let Some(last) = items.last_mut() {
                last.push(row);
            }
        }
    }
    items
}

fn files_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for d in fs::read_dir(dir).unwrap() {
        let d = d.unwrap().path();
        for f in fs::read_dir(&d).unwrap() {
            let f = f.unwrap().path();
            let rel = f.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            out.insert(rel, fs::read(&f).unwrap());
        }
    }
    out
}

fn toml_values(path: &Path) -> (HashMap<String, String>, Vec<HashMap<String, String>>) {
    let text = fs::read_to_string(path).unwrap();
    let (mut top, mut legs) = (HashMap::new(), Vec::<HashMap<String, String>>::new());
    for line in text.lines() {
        if line == "[[leg]]" {
            legs.push(HashMap::new());
        } else if let Some((k, v)) = line.split_once(" = ") {
            let v = v.trim_matches('"').to_string();
            match legs.last_mut() {
                Some(leg) => leg.insert(k.to_string(), v),
                None => top.insert(k.to_string(), v),
            };
        }
    }
    (top, legs)
}

/// Minutes since the epoch of `yyyy-mm-ddThh:mm:ss±hh:mm`.
fn instant(s: &str) -> i64 {
    let b = s.as_bytes();
    assert_eq!(b.len(), 25, "{s}");
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let local = days_from_civil(n(0..4), n(5..7), n(8..10)) * 1440 + n(11..13) * 60 + n(14..16);
    let off = n(20..22) * 60 + n(23..25);
    local - if b[19] == b'-' { -off } else { off }
}

fn cents(s: &str) -> i64 {
    (s.parse::<f64>().unwrap() * 100.0).round() as i64
}

#[test]
fn same_seed_gives_identical_bytes() {
    let (a, b) = (TempDir::new("same-a"), TempDir::new("same-b"));
    let o = SampleOptions::default();
    let sa = generate(&a.0, &o).unwrap();
    let sb = generate(&b.0, &o).unwrap();
    let (fa, fb) = (files_bytes(&a.0), files_bytes(&b.0));
    assert!(fa.keys().any(|k| k.ends_with(".xlsx")) && fa.keys().any(|k| k.ends_with(".csv")));
    assert_eq!(fa, fb);
    assert_eq!(sa.mawbs.len(), 3);
    for (x, y) in sa.mawbs.iter().zip(&sb.mawbs) {
        assert_eq!(
            (x.items, x.product_lines, x.bags),
            (y.items, y.product_lines, y.bags)
        );
    }
}

#[test]
fn different_seeds_give_different_data() {
    let (a, b) = (TempDir::new("seed-a"), TempDir::new("seed-b"));
    let sa = generate(&a.0, &opts(3, 60, 1, BOTH)).unwrap();
    let sb = generate(&b.0, &opts(3, 60, 2, BOTH)).unwrap();
    let na: HashSet<_> = sa.mawbs.iter().map(|m| m.manifest_number.clone()).collect();
    assert!(sb.mawbs.iter().all(|m| !na.contains(&m.manifest_number)));
    let ra: Vec<_> = sa.mawbs.iter().flat_map(items_of).collect();
    let rb: Vec<_> = sb.mawbs.iter().flat_map(items_of).collect();
    let ta: HashSet<_> = ra.iter().map(|i| i[0][0].clone()).collect();
    assert!(
        rb.iter().all(|i| !ta.contains(&i[0][0])),
        "tracking numbers repeat across seeds"
    );
    assert_ne!(ra, rb);
}

#[test]
fn mawb_numbers_are_valid_and_unique() {
    let t = TempDir::new("mawbno");
    let s = generate(&t.0, &opts(40, 40, 7, BOTH)).unwrap();
    let mut seen = HashSet::new();
    for m in &s.mawbs {
        assert_eq!(
            parse_mawb_number(&m.manifest_number).as_deref(),
            Ok(m.manifest_number.as_str())
        );
        assert!(seen.insert(m.manifest_number.clone()));
        assert_eq!(
            m.dir.file_name().unwrap().to_string_lossy(),
            m.manifest_number
        );
        let (top, _) = toml_values(&m.dir.join("mawb.toml"));
        assert_eq!(top["manifest_number"], m.manifest_number);
    }
}

#[test]
fn tracking_numbers_are_valid_unique_and_items_add_up() {
    let t = TempDir::new("tracking");
    let o = opts(12, 1000, 3, BOTH);
    let s = generate(&t.0, &o).unwrap();
    let (mut tracking, mut ids, mut total) = (HashSet::new(), HashSet::new(), 0);
    let mut split = 0;
    for m in &s.mawbs {
        assert!(m.items >= 1);
        let items = items_of(m);
        assert_eq!(items.len(), m.items);
        assert_eq!(items.iter().map(Vec::len).sum::<usize>(), m.product_lines);
        split += usize::from(m.files.len() > 3);
        for rows in &items {
            let tn = &rows[0][col("trackingNumber")];
            assert!(ups_tracking_number_valid(tn), "{tn}");
            assert!(rows.iter().all(|r| &r[0] == tn));
            assert!(tracking.insert(tn.clone()), "duplicate {tn}");
            let id = &rows[0][col("shipperItemId")];
            assert!(id.len() <= 50 && ids.insert(id.clone()));
        }
        total += items.len();
    }
    assert_eq!(total, o.hawbs);
    assert_eq!(s.mawbs.iter().map(|m| m.items).sum::<usize>(), o.hawbs);
    assert!(split > 0, "no MAWB with two spreadsheets");
}

#[test]
fn xlsx_reads_back_with_header_first_and_text_zips() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let t = TempDir::new("xlsx");
    let s = generate(&t.0, &opts(2, 300, 5, &[SampleFormat::Xlsx])).unwrap();
    let (mut leading_zero, mut numbers) = (0, 0);
    for f in s
        .mawbs
        .iter()
        .flat_map(|m| &m.files)
        .filter(|f| f.extension().is_some_and(|e| e == "xlsx"))
    {
        let mut wb: Xlsx<_> = open_workbook(f).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.start(), Some((0, 0)));
        let mut rows = range.rows();
        let header: Vec<String> = rows.next().unwrap().iter().map(|d| d.to_string()).collect();
        assert_eq!(header_map(&header), (0..29).collect::<Vec<_>>());
        for r in rows {
            match &r[ZIP_COL] {
                Data::String(z) => leading_zero += usize::from(z.starts_with('0') && z.len() == 5),
                Data::Empty => {}
                other => panic!("zip cell {other:?}"),
            }
            match &r[col("quantity")] {
                Data::Float(q) => assert!(*q >= 1.0 && q.fract() == 0.0),
                other => panic!("quantity cell {other:?}"),
            }
            for c in [
                "value",
                "weight",
                "length",
                "unitValue",
                "productValue",
                "productWeight",
            ] {
                match &r[col(c)] {
                    Data::Float(_) => numbers += 1,
                    Data::Empty => {}
                    other => panic!("{c} cell {other:?}"),
                }
            }
        }
    }
    assert!(leading_zero > 0, "no zip with a leading zero");
    assert!(numbers > 0);
}

#[test]
fn csv_dialects_parse_with_the_csv_crate() {
    let t = TempDir::new("csv");
    let s = generate(&t.0, &opts(12, 360, 9, &[SampleFormat::Csv])).unwrap();
    let (mut bom_crlf, mut lf, mut quoted) = (0, 0, 0);
    for f in s
        .mawbs
        .iter()
        .flat_map(|m| &m.files)
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
    {
        let bytes = fs::read(f).unwrap();
        let bom = bytes.starts_with(b"\xEF\xBB\xBF");
        let crlf = bytes.windows(2).any(|w| w == b"\r\n");
        assert_eq!(bom, crlf, "{}: BOM and CRLF go together", f.display());
        if bom {
            bom_crlf += 1;
        } else {
            lf += 1;
            assert!(!bytes.contains(&b'\r'));
        }
        let mut r = csv::Reader::from_path(f).unwrap();
        let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        assert!(!headers[0].starts_with('\u{feff}'));
        header_map(&headers);
        for rec in r.records() {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), 29);
            quoted += usize::from(rec.iter().any(|v| v.contains(',')));
        }
    }
    assert!(
        bom_crlf > 0 && lf > 0,
        "both CSV dialects expected: {bom_crlf} {lf}"
    );
    assert!(quoted > 0);
}

#[test]
fn items_follow_the_contract_rules() {
    let t = TempDir::new("rules");
    let s = generate(&t.0, &opts(8, 1200, 11, BOTH)).unwrap();
    let item_cols = [
        "displayItemId",
        "consigneeName",
        "consigneeCompany",
        "consigneeAddress1",
        "consigneeAddress2",
        "consigneeCity",
        "consigneeState",
        "consigneeZip",
        "consigneeCountry",
        "consigneePhone",
        "consigneeEmail",
        "value",
        "currency",
        "weight",
        "weightUnit",
        "length",
        "width",
        "height",
        "dimensionUnit",
        "bag",
    ];
    let (mut sparse, mut lb, mut eur, mut cny, mut cjk, mut company_only, mut in_bags) =
        (0, 0, 0, 0, 0, 0, 0);
    let mut total_items = 0;
    for m in &s.mawbs {
        let mut kg = 0.0;
        let mut bag_sizes: HashMap<String, usize> = HashMap::new();
        for rows in items_of(m) {
            total_items += 1;
            let first = &rows[0];
            for r in &rows[1..] {
                for c in item_cols {
                    let v = &r[col(c)];
                    assert!(
                        v.is_empty() || v == &first[col(c)],
                        "{c} differs within an item"
                    );
                }
                sparse += usize::from(r[col("consigneeCity")].is_empty());
            }
            let g = |c: &str| first[col(c)].as_str();
            let chars = |c: &str| g(c).chars().count();
            assert!(!g("consigneeName").is_empty() || !g("consigneeCompany").is_empty());
            company_only += usize::from(g("consigneeName").is_empty());
            cjk += usize::from(g("consigneeName").chars().any(|c| c as u32 > 0x3000));
            assert!(chars("consigneeName") <= 35 && chars("consigneeCompany") <= 35);
            assert!(chars("consigneeAddress1") + chars("consigneeAddress2") <= 105);
            assert!(chars("consigneeCity") <= 35 && chars("consigneePhone") <= 20);
            assert_eq!(g("consigneeState").len(), 2);
            match g("consigneeCountry") {
                "US" => assert!(
                    g("consigneeZip").len() == 5
                        && g("consigneeZip").bytes().all(|b| b.is_ascii_digit())
                ),
                "CA" => assert_eq!(g("consigneeZip").len(), 7),
                other => panic!("country {other}"),
            }
            let rate = match g("currency") {
                "USD" => 1.0,
                "EUR" => {
                    eur += 1;
                    1.08
                }
                "CNY" => {
                    cny += 1;
                    0.14
                }
                other => panic!("currency {other}"),
            };
            let value = cents(g("value"));
            let usd = value as f64 * rate / 100.0;
            let mut sum = 0;
            for r in &rows {
                let q: f64 = r[col("quantity")].parse().unwrap();
                assert!(q >= 1.0 && q.fract() == 0.0);
                let (u, p) = (&r[col("unitValue")], &r[col("productValue")]);
                if usd > 200.0 {
                    assert!(
                        !u.is_empty() || !p.is_empty(),
                        "values missing on a {usd} USD item"
                    );
                }
                if !u.is_empty() && !p.is_empty() {
                    assert_eq!(cents(u) * q as i64, cents(p));
                }
                sum += if !p.is_empty() {
                    cents(p)
                } else if !u.is_empty() {
                    cents(u) * q as i64
                } else {
                    0
                };
                assert!(r[col("hts")].len() <= 12 && !r[col("hts")].is_empty());
                let d = &r[col("productDescription")];
                assert!(!d.is_empty() && d.chars().count() <= 300);
                let o = &r[col("countryOfOrigin")];
                assert!(o.len() == 2 && o.bytes().all(|b| b.is_ascii_uppercase()));
                if !r[col("productWeight")].is_empty() {
                    assert!(r[col("productWeight")].parse::<f64>().unwrap() > 0.0);
                }
            }
            if rows
                .iter()
                .all(|r| !r[col("unitValue")].is_empty() || !r[col("productValue")].is_empty())
            {
                assert_eq!(sum, value, "value is not the sum of the products");
            }
            if usd > 800.0 {
                assert!(g("consigneeEmail").contains('@'));
            }
            let w: f64 = g("weight").parse().unwrap();
            assert!(w > 0.0);
            let item_kg = match g("weightUnit") {
                "kg" => w,
                "lb" => {
                    lb += 1;
                    w * LB_KG
                }
                other => panic!("weight unit {other}"),
            };
            kg += item_kg;
            // productWeight is kg whatever weightUnit says, and the products fit in the parcel.
            let products_kg: f64 = rows
                .iter()
                .filter_map(|r| r[col("productWeight")].parse::<f64>().ok())
                .sum();
            assert!(
                products_kg < item_kg,
                "{products_kg} kg of products in a {item_kg} kg item"
            );
            if !g("length").is_empty() {
                assert!(["cm", "m", "in"].contains(&g("dimensionUnit")));
            }
            if !g("bag").is_empty() {
                in_bags += 1;
                *bag_sizes.entry(g("bag").to_string()).or_default() += 1;
            }
        }
        assert_eq!(bag_sizes.len(), m.bags);
        assert!(bag_sizes.values().all(|n| *n <= 50));

        let (top, legs) = toml_values(&m.dir.join("mawb.toml"));
        let declared: f64 = top["declared_weight"].parse().unwrap();
        assert!(
            (declared - kg).abs() <= kg * 0.02,
            "declared {declared} vs {kg}"
        );
        assert_eq!(top["weight_unit"], "kg");
        assert_eq!(top["image"], "mawb.pdf");
        assert_eq!(top["label"], "0");
        assert!((1..=3).contains(&legs.len()));
        let mut prev_arrival: Option<(String, i64)> = None;
        for leg in &legs {
            for k in ["departure", "arrival"] {
                assert!(leg[k].len() == 3 && leg[k].bytes().all(|b| b.is_ascii_uppercase()));
            }
            assert!(
                leg["carrier"].len() == 2 && leg["carrier"].bytes().all(|b| b.is_ascii_uppercase())
            );
            assert!(!leg["trip"].is_empty() && leg["trip"].bytes().all(|b| b.is_ascii_digit()));
            let (dep, arr) = (
                instant(&leg["departure_date"]),
                instant(&leg["arrival_date"]),
            );
            assert!(arr > dep);
            if let Some((airport, t)) = &prev_arrival {
                assert_eq!(airport, &leg["departure"]);
                assert!(dep > *t);
            }
            prev_arrival = Some((leg["arrival"].clone(), arr));
        }
    }
    let share = in_bags as f64 / total_items as f64;
    assert!((0.7..0.9).contains(&share), "{share} of items in bags");
    for (what, n) in [
        ("sparse", sparse),
        ("lb", lb),
        ("eur", eur),
        ("cny", cny),
        ("cjk", cjk),
        ("company", company_only),
    ] {
        assert!(n > 0, "no {what} rows");
    }
}

#[test]
fn the_catalogue_holds_no_dangerous_goods() {
    for c in CATALOG {
        let flags = crate::validate::compliance::dangerous::flag(Some(c.description), Some(c.hts));
        assert!(flags.hits.is_empty(), "{}: {flags:?}", c.description);
        for suffix in DESCRIPTION_SUFFIXES {
            let d = format!("{}{suffix}", c.description);
            assert!(
                crate::validate::compliance::dangerous::flag(Some(&d), None)
                    .hits
                    .is_empty(),
                "{d}"
            );
        }
        assert_eq!(
            crate::validate::compliance::hts::problem(c.hts),
            None,
            "{}",
            c.hts
        );
    }
}

#[test]
fn label_mode_leaves_tracking_numbers_empty() {
    let t = TempDir::new("label");
    let s = generate(
        &t.0,
        &SampleOptions {
            label: 1,
            hawbs: 200,
            ..SampleOptions::default()
        },
    )
    .unwrap();
    for m in &s.mawbs {
        let (top, _) = toml_values(&m.dir.join("mawb.toml"));
        assert_eq!(top["label"], "1");
        for rows in items_of(m) {
            assert!(rows.iter().all(|r| r[col("trackingNumber")].is_empty()));
            let w: f64 = rows[0][col("weight")].parse().unwrap();
            let kg = if rows[0][col("weightUnit")] == "lb" {
                w * LB_KG
            } else {
                w
            };
            assert!(kg <= 6.01, "{kg} kg is over a 15 lb label");
        }
    }
}

#[test]
fn pdf_is_valid_with_exact_xref_offsets() {
    let t = TempDir::new("pdf");
    let s = generate(&t.0, &opts(2, 4, 1, BOTH)).unwrap();
    for m in &s.mawbs {
        let pdf = fs::read(m.dir.join("mawb.pdf")).unwrap();
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF"));
        // Offsets are bytes: search the raw bytes (the header comment is binary on purpose).
        let find = |needle: &[u8], from: usize| {
            pdf[from..]
                .windows(needle.len())
                .position(|w| w == needle)
                .map(|p| p + from)
        };
        let ascii = |from: usize| std::str::from_utf8(&pdf[from..]).unwrap();
        assert!(find(format!("(AWB No. {})", m.manifest_number).as_bytes(), 0).is_some());
        let tail = ascii(find(b"trailer", 0).unwrap());
        let xref: usize = tail
            .split("startxref\n")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let table = ascii(xref);
        let mut lines = table.lines();
        assert_eq!(lines.next(), Some("xref"));
        let size: usize = lines
            .next()
            .unwrap()
            .strip_prefix("0 ")
            .unwrap()
            .parse()
            .unwrap();
        assert!(lines.next().unwrap().starts_with("0000000000 65535 f"));
        for (n, line) in lines.take(size - 1).enumerate() {
            assert!(line.ends_with(" 00000 n"), "{line:?}");
            let off: usize = line[..10].parse().unwrap();
            assert!(pdf[off..].starts_with(format!("{} 0 obj\n", n + 1).as_bytes()));
        }
        let len_at = find(b"/Length ", 0).unwrap() + 8;
        let len: usize = ascii(len_at)
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let start = find(b"stream\n", len_at).unwrap() + 7;
        assert!(pdf[start + len..].starts_with(b"\nendstream"));
        // A PDF reader sees one page whose text names the MAWB and its HAWB count.
        let lines = shown_lines(&pdf);
        assert_eq!(lines[0], (18.0, b"MASTER AIR WAYBILL".to_vec()));
        assert_eq!(
            lines[1],
            (14.0, format!("AWB No. {}", m.manifest_number).into_bytes())
        );
        let hawbs = format!("House air waybills: {}", m.items).into_bytes();
        assert!(lines.iter().any(|(_, l)| *l == hawbs), "{lines:?}");
    }
}

#[test]
fn bad_options_are_errors_not_panics() {
    let t = TempDir::new("bad");
    let cases = [
        opts(0, 10, 1, BOTH),
        opts(5, 4, 1, BOTH),
        opts(1, 1, 1, &[]),
        opts(1, MAX_ITEMS + 1, 1, BOTH),
        SampleOptions {
            label: 7,
            ..SampleOptions::default()
        },
    ];
    for o in cases {
        assert!(
            matches!(generate(&t.0, &o), Err(SamplesError::Options(_))),
            "{o:?}"
        );
    }
    assert_eq!(fs::read_dir(&t.0).unwrap().count(), 0);
}

#[test]
fn never_overwrites_an_existing_folder() {
    let t = TempDir::new("exists");
    let o = opts(2, 4, 1, BOTH);
    let s = generate(&t.0, &o).unwrap();
    let before = files_bytes(&t.0);
    match generate(&t.0, &o) {
        Err(SamplesError::Exists { path }) => assert_eq!(path, s.mawbs[0].dir),
        other => panic!("{other:?}"),
    }
    assert_eq!(files_bytes(&t.0), before);
    // An I/O error names its path.
    let file = t.0.join("not-a-dir");
    fs::write(&file, b"x").unwrap();
    let e = generate(&file, &o).unwrap_err();
    assert!(e.to_string().contains("not-a-dir"), "{e}");
}

#[test]
fn huge_mawbs_are_split_into_files_at_item_boundaries() {
    let o = SampleOptions::default();
    let plan = &plan_batch(&SampleOptions {
        hawbs: 300,
        ..o.clone()
    })[0];
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let items = make_items(&mut rng, &o, plan, "20261124");
    let chunks = split_files(&mut rng, &items, 7);
    assert!(chunks.len() > 10);
    let mut n = 0;
    for c in &chunks {
        assert!(!c.is_empty());
        assert!(c.iter().map(|i| i.products.len()).sum::<usize>() <= 7);
        n += c.len();
    }
    assert_eq!(n, items.len());
}

#[test]
fn items_are_distributed_with_at_least_one_each() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for (total, n) in [(1, 1), (5, 5), (6, 5), (60, 3), (100_000, 50), (1001, 7)] {
        let c = distribute(&mut rng, total, n);
        assert_eq!(c.len(), n);
        assert_eq!(c.iter().sum::<usize>(), total);
        assert!(c.iter().all(|&x| x >= 1));
    }
}

#[test]
fn every_header_spelling_normalises_to_its_column() {
    for c in COLUMNS {
        for style in 0..4 {
            assert_eq!(
                normalize(&spelling(c, style)),
                c.to_lowercase(),
                "{c} style {style}"
            );
        }
    }
    assert_eq!(spelling("consigneeAddress1", 1), "Consignee Address 1");
    assert_eq!(spelling("trackingNumber", 2), "tracking_number");
}

#[test]
fn local_times_carry_their_offsets() {
    let t = days_from_civil(2026, 11, 24) * 1440 + 18 * 60;
    assert_eq!(local_iso(t, "LAX"), "2026-11-24T10:00:00-08:00");
    assert_eq!(local_iso(t, "PVG"), "2026-11-25T02:00:00+08:00");
    assert_eq!(instant("2026-11-24T10:00:00-08:00"), t);
    assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
}

/// The (font size, text) pairs of the page's text, read back with `lopdf`.
fn shown_lines(pdf: &[u8]) -> Vec<(f32, Vec<u8>)> {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 1);
    let page = pages[&1];
    let ops = lopdf::content::Content::decode(&doc.get_page_content(page))
        .unwrap()
        .operations;
    let mut size = 0.0;
    let mut out = Vec::new();
    for op in ops {
        match op.operator.as_str() {
            "Tf" => size = op.operands[1].as_float().unwrap(),
            "Tj" => out.push((size, op.operands[0].as_str().unwrap().to_vec())),
            _ => {}
        }
    }
    out
}

#[test]
fn text_reads_back_with_parentheses_and_backslashes_intact() {
    let lines = vec![
        (18, "MASTER AIR WAYBILL".to_string()),
        (10, String::new()),
        (
            10,
            r"Issuing carrier: CK (prefix 112) \ (unbalanced".to_string(),
        ),
    ];
    let pdf = one_page_pdf("MAWB 112-12345675", &lines);
    assert!(pdf.starts_with(b"%PDF-1.4\n"));
    assert_eq!(
        shown_lines(&pdf),
        vec![
            (18.0, b"MASTER AIR WAYBILL".to_vec()),
            (10.0, Vec::new()),
            (
                10.0,
                br"Issuing carrier: CK (prefix 112) \ (unbalanced".to_vec()
            ),
        ]
    );
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info).unwrap();
    assert_eq!(
        info.get(b"Title").unwrap().as_str().unwrap(),
        b"MAWB 112-12345675"
    );
}

#[test]
fn text_outside_printable_ascii_becomes_question_marks() {
    let pdf = one_page_pdf(
        "MAWB Zoë",
        &[(10, "Shipper: Café Olé 東京\tLtd.".to_string())],
    );
    assert_eq!(
        shown_lines(&pdf),
        vec![(10.0, b"Shipper: Caf? Ol? ???Ltd.".to_vec())]
    );
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let info = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let title = doc.get_dictionary(info).unwrap().get(b"Title").unwrap();
    assert_eq!(title.as_str().unwrap(), b"MAWB Zo?");
}
