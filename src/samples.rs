//! `mawb samples OUT_DIR`: writes realistic, deterministic sample batches of MAWB folders.
//!
//! Demos, training, the sandbox and load tests all need folders that look like what a warehouse really
//! drops (mixed header spellings, multi-product items, accents and CJK names, lb and kg, CSV dialects,
//! split spreadsheets, bags and loose parcels) and that still pass `mawb check`. The same options always
//! give byte-identical files, so a failing run can be reproduced from its seed alone, at any size.
//!
//! Every folder follows the layout of README.md ("Folder layout"): `mawb.toml`, a one-page `mawb.pdf` scan and
//! one or more HAWB spreadsheets named `hawbs-N.xlsx` / `hawbs-N.csv`. A folder is written under a hidden
//! `.NAME.partial` name and renamed when complete, so a drop-folder watcher never sees half a MAWB.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use crate::validate::checkdigit::{mawb_check_digit, ups_check_digit};

/// The spreadsheet format of the HAWB files of one MAWB folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleFormat {
    Xlsx,
    Csv,
}

impl SampleFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            SampleFormat::Xlsx => "xlsx",
            SampleFormat::Csv => "csv",
        }
    }
}

impl std::str::FromStr for SampleFormat {
    type Err = SamplesError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Ok(SampleFormat::Xlsx),
            "csv" => Ok(SampleFormat::Csv),
            other => Err(SamplesError::Options(format!(
                "unknown sample format {other:?} (xlsx or csv)"
            ))),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleOptions {
    /// Number of MAWB folders.
    pub mawbs: usize,
    /// Total number of items (HAWBs) over the whole batch; every MAWB gets at least one.
    pub hawbs: usize,
    /// Same seed, same options: byte-identical files.
    pub seed: u64,
    /// Spreadsheet formats, cycled over the MAWB folders.
    pub formats: Vec<SampleFormat>,
    /// 0: items carry UPS tracking numbers; otherwise the createMailing label type written to
    /// `mawb.toml`, and the trackingNumber column stays empty.
    pub label: u8,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            mawbs: 3,
            hawbs: 60,
            seed: 1,
            formats: vec![SampleFormat::Xlsx, SampleFormat::Csv],
            label: 0,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SampleSummary {
    pub mawbs: Vec<SampleMawb>,
}

/// One MAWB folder that was written.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SampleMawb {
    pub dir: PathBuf,
    pub manifest_number: String,
    /// Items (HAWBs).
    pub items: usize,
    /// Spreadsheet data rows: one per product line.
    pub product_lines: usize,
    pub bags: usize,
    /// Every file of the folder: `mawb.toml`, `mawb.pdf`, then the spreadsheets in order.
    pub files: Vec<PathBuf>,
}

/// Why a batch could not be written. File errors name the file.
#[derive(Debug, thiserror::Error)]
pub enum SamplesError {
    #[error("invalid sample options: {0}")]
    Options(String),
    #[error("{}: folder already exists and is not empty (samples never overwrite)", .path.display())]
    Exists { path: PathBuf },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot write the spreadsheet: {source}", .path.display())]
    Xlsx {
        path: PathBuf,
        #[source]
        source: rust_xlsxwriter::XlsxError,
    },
    #[error("{}: cannot write the CSV file: {source}", .path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SamplesError + '_ {
    move |source| SamplesError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Label types createMailing knows (acp-shipper-api.md §1).
const LABEL_TYPES: &[u8] = &[0, 1, 2, 3, 4, 5, 10, 11, 12, 14, 20, 30, 40, 50];
/// Item limits when a label is printed per item: below the 15 lb and 1000 USD of the strictest types.
const LABEL_MAX_GRAMS: i64 = 6_000;
const LABEL_MAX_USD_CENTS: i64 = 90_000;
/// Tracking-number serials are a bijection on 7 digits, so no batch may hold more items than that.
const MAX_ITEMS: usize = 10_000_000;
/// Data rows per spreadsheet file: well under `mawb check`'s default 500 000-row and 512 MiB unzipped
/// limits, and Excel's 1 048 576-row sheet.
const MAX_ROWS_PER_FILE: usize = 200_000;
/// Above this USD value every product carries unitValue/productValue (the rule says 200: margin for the
/// validator's exchange rates).
const VALUES_REQUIRED_ABOVE_USD_CENTS: i64 = 15_000;
/// Above this USD value the consignee email is always given (the rule says 800).
const EMAIL_REQUIRED_ABOVE_USD_CENTS: i64 = 70_000;

/// Writes `opts.mawbs` MAWB folders into `out_dir` (created when missing). Refuses to touch an existing,
/// non-empty MAWB folder, checked for all of them before anything is written.
pub fn generate(out_dir: &Path, opts: &SampleOptions) -> Result<SampleSummary, SamplesError> {
    check_options(opts)?;
    let plans = plan_batch(opts);
    fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    for plan in &plans {
        let dir = out_dir.join(&plan.manifest_number);
        if is_non_empty(&dir)? {
            return Err(SamplesError::Exists { path: dir });
        }
    }
    let mawbs = write_all(out_dir, opts, &plans)?;
    Ok(SampleSummary { mawbs })
}

/// Writes the folders on every core: deflating xlsx dominates the time, and each MAWB has its own
/// random stream, so the bytes do not depend on the thread that wrote them. Stops taking new folders
/// after an error and reports the error of the lowest MAWB index.
fn write_all(
    out_dir: &Path,
    opts: &SampleOptions,
    plans: &[MawbPlan],
) -> Result<Vec<SampleMawb>, SamplesError> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(plans.len());
    if threads <= 1 {
        return plans.iter().map(|p| write_mawb(out_dir, opts, p)).collect();
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let mut done: Vec<(usize, Result<SampleMawb, SamplesError>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(plan) = plans.get(i) else { break };
                        let r = write_mawb(out_dir, opts, plan);
                        if r.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        out.push((i, r));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

fn check_options(opts: &SampleOptions) -> Result<(), SamplesError> {
    let bad = |m: String| Err(SamplesError::Options(m));
    if opts.mawbs == 0 {
        return bad("at least one MAWB is needed".into());
    }
    if opts.hawbs < opts.mawbs {
        return bad(format!(
            "{} items cannot fill {} MAWBs: every MAWB needs at least one item",
            opts.hawbs, opts.mawbs
        ));
    }
    if opts.hawbs > MAX_ITEMS {
        return bad(format!("at most {MAX_ITEMS} items per batch"));
    }
    if opts.formats.is_empty() {
        return bad("no spreadsheet format given".into());
    }
    if !LABEL_TYPES.contains(&opts.label) {
        return bad(format!(
            "label {} is not a createMailing label type ({:?})",
            opts.label, LABEL_TYPES
        ));
    }
    Ok(())
}

fn is_non_empty(dir: &Path) -> Result<bool, SamplesError> {
    match fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(true),
        Err(e) => Err(io_err(dir)(e)),
    }
}

// ---------------------------------------------------------------------------------------------------
// Batch plan: cheap per-MAWB facts that must be known before any folder is written.

struct MawbPlan {
    index: usize,
    airline: &'static Airline,
    manifest_number: String,
    /// The 8 digits after the dash: serial and check digit.
    serial8: String,
    items: usize,
    /// Index of the MAWB's first item over the batch, for batch-unique tracking numbers.
    first_item: u64,
    format: SampleFormat,
    rng_seed: u64,
}

/// SplitMix64: spreads `seed` and an index into independent, well-mixed per-MAWB seeds.
fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn plan_batch(opts: &SampleOptions) -> Vec<MawbPlan> {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    // Serials: base + i * 7919 over [1 000 000, 9 999 999]; 7919 is prime to the 9 000 000 span, so the
    // MAWB numbers of one batch never repeat.
    let base: u64 = rng.gen_range(0..9_000_000);
    let counts = distribute(&mut rng, opts.hawbs, opts.mawbs);
    let mut first_item = 0u64;
    let mut plans = Vec::with_capacity(opts.mawbs);
    for (i, &items) in counts.iter().enumerate() {
        let airline = &AIRLINES[rng.gen_range(0..AIRLINES.len())];
        let serial = (base + i as u64 * 7919) % 9_000_000 + 1_000_000;
        let serial = serial as u32;
        let serial8 = format!("{serial:07}{}", mawb_check_digit(serial));
        plans.push(MawbPlan {
            index: i,
            airline,
            manifest_number: format!("{}-{serial8}", airline.prefix),
            serial8,
            items,
            first_item,
            format: opts.formats[i % opts.formats.len()],
            rng_seed: mix(opts.seed, i as u64),
        });
        first_item += items as u64;
    }
    plans
}

/// Splits `total` items over `n` MAWBs, each at least one, sizes varying by about ±40%.
fn distribute(rng: &mut ChaCha8Rng, total: usize, n: usize) -> Vec<usize> {
    let weights: Vec<u64> = (0..n).map(|_| rng.gen_range(60..=140)).collect();
    let sum: u64 = weights.iter().sum();
    let spare = (total - n) as u64;
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| 1 + (spare * w / sum) as usize)
        .collect();
    let mut left = total - counts.iter().sum::<usize>();
    let mut i = 0;
    while left > 0 {
        counts[i % n] += 1;
        left -= 1;
        i += 1;
    }
    counts
}

// ---------------------------------------------------------------------------------------------------
// One MAWB folder.

fn write_mawb(
    out_dir: &Path,
    opts: &SampleOptions,
    plan: &MawbPlan,
) -> Result<SampleMawb, SamplesError> {
    let mut rng = ChaCha8Rng::seed_from_u64(plan.rng_seed);
    let legs = make_legs(&mut rng, plan.airline);
    let day = legs
        .first()
        .map_or(BASE_DAY, |l| l.departure_utc_min / 1440);
    let (y, m, d) = civil_from_days(day);
    let ymd = format!("{y:04}{m:02}{d:02}");
    let items = make_items(&mut rng, opts, plan, &ymd);

    let bags = items.iter().filter_map(|it| it.bag_no).max().unwrap_or(0) as usize;
    let loose = items.iter().filter(|it| it.bag.is_none()).count();
    let product_lines: usize = items.iter().map(|it| it.products.len()).sum();
    let total_kg: f64 = items.iter().map(Item::weight_kg).sum();
    // A scale never agrees with the sum of parcel weights: within ±0.8%.
    let jitter = f64::from(rng.gen_range(-80i32..=80)) / 10_000.0;
    let declared_kg = ((total_kg * (1.0 + jitter)) * 1000.0).round().max(1.0) / 1000.0;

    let final_dir = out_dir.join(&plan.manifest_number);
    let work_dir = out_dir.join(format!(".{}.partial", plan.manifest_number));
    if work_dir.exists() {
        fs::remove_dir_all(&work_dir).map_err(io_err(&work_dir))?;
    }
    fs::create_dir_all(&work_dir).map_err(io_err(&work_dir))?;

    let result = (|| {
        let mut names = Vec::new();
        let toml = mawb_toml(plan, opts, &ymd, declared_kg, &legs);
        write_file(&work_dir.join("mawb.toml"), toml.as_bytes())?;
        names.push("mawb.toml".to_string());
        let pdf = mawb_pdf(plan, &legs, declared_kg, bags + loose, items.len());
        write_file(&work_dir.join("mawb.pdf"), &pdf)?;
        names.push("mawb.pdf".to_string());

        let headers = pick_headers(&mut rng);
        for (n, chunk) in split_files(&mut rng, &items, MAX_ROWS_PER_FILE)
            .into_iter()
            .enumerate()
        {
            let name = format!("hawbs-{}.{}", n + 1, plan.format.extension());
            let path = work_dir.join(&name);
            match plan.format {
                SampleFormat::Xlsx => {
                    let sheet = if rng.gen_bool(0.5) { "HAWBs" } else { "Sheet1" };
                    write_xlsx(&path, sheet, &headers, chunk)?
                }
                SampleFormat::Csv => write_csv(&path, rng.gen_bool(0.5), &headers, chunk)?,
            }
            names.push(name);
        }
        Ok(names)
    })();
    let names = match result {
        Ok(names) => names,
        Err(e) => {
            // Best effort: the partial folder is ours and useless.
            let _ = fs::remove_dir_all(&work_dir);
            return Err(e);
        }
    };
    if final_dir.exists() {
        // Checked empty in generate(); an empty folder left by the user is replaced.
        fs::remove_dir(&final_dir).map_err(io_err(&final_dir))?;
    }
    fs::rename(&work_dir, &final_dir).map_err(io_err(&final_dir))?;

    Ok(SampleMawb {
        files: names.iter().map(|n| final_dir.join(n)).collect(),
        dir: final_dir,
        manifest_number: plan.manifest_number.clone(),
        items: items.len(),
        product_lines,
        bags,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SamplesError> {
    fs::write(path, bytes).map_err(io_err(path))
}

/// Cuts the items into spreadsheet files at item boundaries: a quarter of the MAWBs in two files, and
/// as many as `max_rows` per file needs for huge ones.
fn split_files<'a>(rng: &mut ChaCha8Rng, items: &'a [Item], max_rows: usize) -> Vec<&'a [Item]> {
    let rows: usize = items.iter().map(|it| it.products.len()).sum();
    if rows > max_rows {
        let mut chunks = Vec::new();
        let (mut start, mut in_chunk) = (0, 0);
        for (i, it) in items.iter().enumerate() {
            if in_chunk > 0 && in_chunk + it.products.len() > max_rows {
                chunks.push(&items[start..i]);
                start = i;
                in_chunk = 0;
            }
            in_chunk += it.products.len();
        }
        chunks.push(&items[start..]);
        return chunks;
    }
    if items.len() >= 2 && rng.gen_bool(0.25) {
        let cut = (items.len() * rng.gen_range(30..=70) / 100).clamp(1, items.len() - 1);
        return vec![&items[..cut], &items[cut..]];
    }
    vec![items]
}

// ---------------------------------------------------------------------------------------------------
// Flights.

struct Airline {
    prefix: &'static str,
    carrier: &'static str,
    hub: &'static str,
    europe: bool,
    shippers: &'static [&'static str],
}

const ASIA_SHIPPERS: &[&str] = &[
    "Pacific Bridge Logistics Co., Ltd.",
    "Pearl River Express Cargo Ltd.",
    "Han River Air Forwarding Co.",
    "Formosa Parcel Consolidators Inc.",
];
const EU_SHIPPERS: &[&str] = &[
    "EuroLink Freight GmbH",
    "Rhine Valley Consolidators B.V.",
    "Atlantic Gateway Logistics Ltd.",
];

const AIRLINES: &[Airline] = &[
    Airline {
        prefix: "112",
        carrier: "CK",
        hub: "PVG",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "781",
        carrier: "MU",
        hub: "PVG",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "784",
        carrier: "CZ",
        hub: "CAN",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "999",
        carrier: "CA",
        hub: "PEK",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "160",
        carrier: "CX",
        hub: "HKG",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "180",
        carrier: "KE",
        hub: "ICN",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "988",
        carrier: "OZ",
        hub: "ICN",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "205",
        carrier: "NH",
        hub: "NRT",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "297",
        carrier: "CI",
        hub: "TPE",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "695",
        carrier: "BR",
        hub: "TPE",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "020",
        carrier: "LH",
        hub: "FRA",
        europe: true,
        shippers: EU_SHIPPERS,
    },
    Airline {
        prefix: "057",
        carrier: "AF",
        hub: "CDG",
        europe: true,
        shippers: EU_SHIPPERS,
    },
    Airline {
        prefix: "074",
        carrier: "KL",
        hub: "AMS",
        europe: true,
        shippers: EU_SHIPPERS,
    },
    Airline {
        prefix: "125",
        carrier: "BA",
        hub: "LHR",
        europe: true,
        shippers: EU_SHIPPERS,
    },
];

const ASIA_FEEDERS: &[&str] = &["SZX", "XMN", "CAN", "PVG", "HKG", "SGN", "TAO"];
const EU_FEEDERS: &[&str] = &["MUC", "LGG", "AMS", "CDG", "FRA", "MAD"];
const US_AIRPORTS: &[&str] = &[
    "LAX", "SFO", "SEA", "ORD", "DFW", "JFK", "EWR", "MIA", "ATL",
];
const US_CARRIERS: &[&str] = &["AA", "UA", "DL", "AS"];

/// UTC offsets in November (northern winter time: US DST ends Nov 1 2026, the EU's Oct 25), so the
/// offsets written are the ones in force on the flight dates.
fn utc_offset_min(airport: &str) -> i64 {
    match airport {
        "ICN" | "NRT" => 540,
        "SGN" => 420,
        "PVG" | "HKG" | "CAN" | "SZX" | "XMN" | "PEK" | "TPE" | "TAO" => 480,
        "FRA" | "CDG" | "AMS" | "MUC" | "LGG" | "MAD" => 60,
        "LHR" => 0,
        "LAX" | "SFO" | "SEA" => -480,
        "ORD" | "DFW" => -360,
        _ => -300,
    }
}

struct Leg {
    departure: &'static str,
    arrival: &'static str,
    carrier: &'static str,
    trip: String,
    departure_utc_min: i64,
    arrival_utc_min: i64,
}

/// 2026-11-02, the first flight day; days since 1970-01-01.
const BASE_DAY: i64 = days_from_civil(2026, 11, 2);

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    // Every table passed here is a non-empty constant.
    *items.choose(rng).unwrap_or(&items[0])
}

/// 1 to 3 legs in flight order: [feeder →] hub → US gateway [→ US domestic].
fn make_legs(rng: &mut ChaCha8Rng, airline: &'static Airline) -> Vec<Leg> {
    let n_legs = match rng.gen_range(0..100) {
        0..=49 => 1,
        50..=84 => 2,
        _ => 3,
    };
    let feeder = n_legs == 3 || (n_legs == 2 && rng.gen_bool(0.5));
    let domestic = n_legs == 3 || (n_legs == 2 && !feeder);
    let feeders = if airline.europe {
        EU_FEEDERS
    } else {
        ASIA_FEEDERS
    };
    let gateway = pick(rng, US_AIRPORTS);

    let mut path: Vec<(&'static str, &'static str)> = Vec::new(); // (airport, carrier flying from it)
    if feeder {
        let from = loop {
            let f = pick(rng, feeders);
            if f != airline.hub {
                break f;
            }
        };
        path.push((from, airline.carrier));
    }
    path.push((airline.hub, airline.carrier));
    path.push((gateway, pick(rng, US_CARRIERS)));
    if domestic {
        let to = loop {
            let a = pick(rng, US_AIRPORTS);
            if a != gateway {
                break a;
            }
        };
        path.push((to, ""));
    }

    let local_start =
        BASE_DAY * 1440 + rng.gen_range(0..26) * 1440 + rng.gen_range(6 * 4..23 * 4) * 15;
    let mut t = local_start - utc_offset_min(path[0].0);
    let mut legs = Vec::new();
    for pair in path.windows(2) {
        let (from, carrier) = pair[0];
        let to = pair[1].0;
        let minutes = if from == airline.hub {
            if airline.europe {
                rng.gen_range(8 * 12..11 * 12) * 5
            } else {
                rng.gen_range(10 * 12..14 * 12) * 5
            }
        } else if to == airline.hub {
            rng.gen_range(18..42) * 5
        } else {
            rng.gen_range(24..66) * 5
        };
        let trip = if carrier == airline.carrier && from == airline.hub {
            rng.gen_range(100..1000).to_string()
        } else {
            rng.gen_range(10..3000).to_string()
        };
        legs.push(Leg {
            departure: from,
            arrival: to,
            carrier,
            trip,
            departure_utc_min: t,
            arrival_utc_min: t + minutes,
        });
        t += minutes + rng.gen_range(24..96) * 5; // 2 to 8 hours on the ground
    }
    legs
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-24T10:00:00-08:00`: the instant in the airport's local time with its offset.
fn local_iso(utc_min: i64, airport: &str) -> String {
    let off = utc_offset_min(airport);
    let local = utc_min + off;
    let (y, m, d) = civil_from_days(local.div_euclid(1440));
    let mins = local.rem_euclid(1440);
    let sign = if off < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00{sign}{:02}:{:02}",
        mins / 60,
        mins % 60,
        off.abs() / 60,
        off.abs() % 60
    )
}

// ---------------------------------------------------------------------------------------------------
// mawb.toml and mawb.pdf.

fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn mawb_toml(
    plan: &MawbPlan,
    opts: &SampleOptions,
    ymd: &str,
    declared_kg: f64,
    legs: &[Leg],
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Sample MAWB written by `mawb samples` (seed {}).",
        opts.seed
    );
    let _ = writeln!(t, "manifest_number = {}", toml_str(&plan.manifest_number));
    let _ = writeln!(
        t,
        "user_manifest_id = {}",
        // The MAWB serial keeps the id unique across batches of other seeds, as ACP requires per account.
        toml_str(&format!("WH1-{ymd}-{}", &plan.manifest_number[4..]))
    );
    let _ = writeln!(t, "alert_email = {}", toml_str("cargo-ops@example.com"));
    let _ = writeln!(t, "declared_weight = {declared_kg:.3}");
    let _ = writeln!(t, "weight_unit = \"kg\"");
    let _ = writeln!(t, "image = \"mawb.pdf\"");
    let _ = writeln!(t, "label = {}", opts.label);
    let _ = writeln!(t, "label_format = \"PNG\"");
    let _ = writeln!(t, "create_day = true");
    for leg in legs {
        let _ = writeln!(t, "\n[[leg]]");
        let _ = writeln!(t, "departure = {}", toml_str(leg.departure));
        let _ = writeln!(
            t,
            "departure_date = {}",
            toml_str(&local_iso(leg.departure_utc_min, leg.departure))
        );
        let _ = writeln!(t, "arrival = {}", toml_str(leg.arrival));
        let _ = writeln!(
            t,
            "arrival_date = {}",
            toml_str(&local_iso(leg.arrival_utc_min, leg.arrival))
        );
        let _ = writeln!(t, "carrier = {}", toml_str(leg.carrier));
        let _ = writeln!(t, "trip = {}", toml_str(&leg.trip));
    }
    t
}

/// Escapes text for a PDF literal string; the standard Helvetica font only has Latin-1-ish glyphs, so
/// anything outside printable ASCII becomes `?`.
fn pdf_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// A real one-page PDF 1.4 "scan" of the MAWB: text only, built by hand with an exact xref table, so
/// the image check by magic bytes and any PDF reader accept it.
fn mawb_pdf(
    plan: &MawbPlan,
    legs: &[Leg],
    declared_kg: f64,
    pieces: usize,
    items: usize,
) -> Vec<u8> {
    let shipper = plan.airline.shippers[plan.index % plan.airline.shippers.len()];
    let mut lines: Vec<(u32, String)> = vec![
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

    let mut content = String::from("0.5 w 40 40 532 712 re S\nBT\n56 730 Td\n");
    for (size, text) in &lines {
        let _ = writeln!(
            content,
            "/F1 {size} Tf 0 -{} Td ({}) Tj",
            size + 6,
            pdf_text(text)
        );
    }
    content.push_str("ET\n");

    let objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".into(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        format!(
            "<< /Title (MAWB {}) /Producer (mawb samples) >>",
            pdf_text(&plan.manifest_number)
        ),
    ];
    let mut pdf: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(tail, "{off:010} 00000 n ");
    }
    let _ = write!(
        tail,
        "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    pdf.extend_from_slice(tail.as_bytes());
    pdf
}

// ---------------------------------------------------------------------------------------------------
// Items.

struct Item {
    tracking: String,
    shipper_item_id: String,
    display_item_id: String,
    name: String,
    company: String,
    address1: String,
    address2: &'static str,
    city: &'static str,
    state: &'static str,
    zip: &'static str,
    country: &'static str,
    phone: String,
    email: String,
    currency: &'static str,
    value_cents: i64,
    weight_unit: &'static str,
    /// Item weight in thousandths of `weight_unit`.
    weight_milli: i64,
    dims: Option<Dims>,
    bag_no: Option<u32>,
    bag: Option<String>,
    /// Item columns on every product row, or only on the first.
    repeat_item_fields: bool,
    products: Vec<ProductLine>,
}

impl Item {
    /// The weight as the pipeline stores it, from the written value.
    fn weight_kg(&self) -> f64 {
        let w = self.weight_milli as f64 / 1000.0;
        if self.weight_unit == "lb" {
            w * LB_KG
        } else {
            w
        }
    }
}

const LB_KG: f64 = 0.453_592_37;

#[derive(Clone, Copy)]
struct Dims {
    /// Length, width, height scaled by 10^decimals of `unit`.
    lwh: [i64; 3],
    decimals: u8,
    unit: &'static str,
}

struct ProductLine {
    description: String,
    hts: &'static str,
    quantity: i64,
    /// In xlsx, written with a `0.0` format: some exports show integers as floats.
    quantity_as_float: bool,
    unit_cents: Option<i64>,
    value_cents: Option<i64>,
    /// Grams: productWeight is always kg (the pipeline applies weightUnit to the item weight only).
    weight_grams: Option<i64>,
    origin: &'static str,
}

struct CatalogEntry {
    description: &'static str,
    hts: &'static str,
    /// Unit price range, USD cents.
    price: (i64, i64),
    /// Unit weight range, grams.
    grams: (i64, i64),
    origins: &'static [&'static str],
}

const fn ce(
    description: &'static str,
    hts: &'static str,
    price: (i64, i64),
    grams: (i64, i64),
    origins: &'static [&'static str],
) -> CatalogEntry {
    CatalogEntry {
        description,
        hts,
        price,
        grams,
        origins,
    }
}

/// The goods of sample parcels: everyday things that travel by air without a dangerous-goods declaration
/// (no perfume, batteries or aerosols), so sample batches pass the dangerous-goods check.
const CATALOG: &[CatalogEntry] = &[
    ce("Paperback book", "4901.99.0070", (599, 2999), (180, 900), &["US", "GB", "CN"]),
    ce("Hardcover art book, 240 pages", "4901.99.0070", (2500, 8900), (900, 2200), &["IT", "FR", "CN"]),
    ce("Men's cotton T-shirt, knitted, crew neck", "6109.10.0012", (800, 3500), (150, 250), &["BD", "VN", "CN", "IN"]),
    ce("Women's wool sweater", "6110.11.0020", (3900, 14900), (300, 600), &["IT", "CN", "PE"]),
    ce("Running shoes, textile upper, rubber sole", "6404.11.9020", (4500, 18000), (600, 1100), &["VN", "CN", "ID"]),
    ce("Leather handbag", "4202.21.9000", (8000, 65000), (500, 1400), &["IT", "FR", "CN"]),
    ce("Silk scarf, printed, 90 x 90 cm", "6214.10.1000", (3000, 42000), (50, 120), &["FR", "IT", "CN"]),
    ce("Scented soy candle in glass jar, 200 g", "3406.00.0000", (1200, 4500), (250, 450), &["FR", "US", "CN"]),
    ce("Face cream, 50 g jar", "3304.99.5000", (1200, 9500), (90, 200), &["KR", "FR", "JP"]),
    ce("Wireless earbuds with charging case", "8518.30.2000", (1900, 24900), (60, 150), &["CN", "VN"]),
    ce("Bluetooth speaker, portable", "8518.22.0000", (2500, 19900), (300, 1200), &["CN"]),
    ce("Smartwatch with silicone strap", "8517.62.0090", (9900, 42900), (60, 120), &["CN", "TW", "VN"]),
    ce("Laptop computer, 14 inch, 16 GB RAM", "8471.30.0100", (59900, 149900), (1200, 2100), &["CN", "TW"]),
    ce("Mirrorless camera lens, 35 mm f/1.8", "9002.11.9000", (19900, 89900), (250, 700), &["JP", "CN", "TH"]),
    ce("USB-C charger, 30 W", "8504.40.9580", (900, 3900), (50, 120), &["CN"]),
    ce("Phone case, silicone", "3926.90.9990", (299, 2999), (20, 60), &["CN"]),
    ce("Stainless steel water bottle, 750 ml", "7323.93.0080", (1200, 4500), (250, 450), &["CN", "IN"]),
    ce("Ceramic coffee mug, 350 ml", "6912.00.4810", (600, 2800), (280, 420), &["PT", "CN", "GB"]),
    ce("Kitchen knife set, 5 pieces", "8211.10.0000", (3900, 29900), (900, 2400), &["DE", "JP", "CN"]),
    ce("Board game, family edition", "9504.90.6000", (1999, 6999), (700, 1800), &["DE", "CN", "US"]),
    ce("Plush toy bear, 30 cm", "9503.00.0073", (899, 3999), (150, 400), &["CN", "VN"]),
    ce("Green tea, loose leaf, 250 g", "0902.10.1015", (800, 4800), (260, 320), &["CN", "JP"]),
    ce("Vitamin D3 supplement, 120 capsules", "2106.90.9998", (999, 3499), (90, 160), &["US", "CA"]),
    ce("Art poster, 24\" x 36\", rolled in tube", "4911.91.4040", (1500, 4500), (150, 300), &["US", "FR"]),
    ce("Espresso machine, 15 bar pump", "8516.71.0060", (19900, 79900), (3500, 7000), &["IT", "CN"]),
    ce("Yoga mat, 6 mm, TPE", "9506.91.0030", (1500, 5900), (800, 1400), &["CN", "TW"]),
    ce("Gold-plated silver necklace", "7113.11.5000", (4900, 39900), (10, 60), &["IT", "TH", "IN"]),
    ce("Baby romper, organic cotton, 6-12 months", "6111.20.6010", (1200, 3200), (80, 150), &["BD", "IN", "TR"]),
    ce(
        "Children's educational building block set, 520 pieces, ABS plastic, ages 6+, includes storage box and illustrated instruction booklet in English, French and Spanish",
        "9503.00.0090",
        (2999, 8999),
        (900, 1800),
        &["CN", "DK"],
    ),
];

const DESCRIPTION_SUFFIXES: &[&str] = &[
    ", black",
    ", navy blue",
    ", red",
    ", gift wrapped",
    ", size M",
    ", pack of 2",
];

struct UsCity {
    city: &'static str,
    state: &'static str,
    zip: &'static str,
    area: &'static str,
}

const fn uc(
    city: &'static str,
    state: &'static str,
    zip: &'static str,
    area: &'static str,
) -> UsCity {
    UsCity {
        city,
        state,
        zip,
        area,
    }
}

/// Real city / state / ZIP / area-code combinations; New England and New Jersey ZIPs start with 0.
const US_CITIES: &[UsCity] = &[
    uc("Boston", "MA", "02134", "617"),
    uc("Cambridge", "MA", "02139", "617"),
    uc("Newark", "NJ", "07102", "973"),
    uc("Fort Lee", "NJ", "07024", "201"),
    uc("Hartford", "CT", "06103", "860"),
    uc("Providence", "RI", "02903", "401"),
    uc("Portland", "ME", "04101", "207"),
    uc("Burlington", "VT", "05401", "802"),
    uc("Manchester", "NH", "03101", "603"),
    uc("New York", "NY", "10001", "212"),
    uc("Brooklyn", "NY", "11201", "718"),
    uc("Flushing", "NY", "11354", "718"),
    uc("Philadelphia", "PA", "19103", "215"),
    uc("Washington", "DC", "20001", "202"),
    uc("Atlanta", "GA", "30303", "404"),
    uc("Miami", "FL", "33130", "305"),
    uc("Coral Gables", "FL", "33134", "305"),
    uc("Nashville", "TN", "37203", "615"),
    uc("Chicago", "IL", "60601", "312"),
    uc("Minneapolis", "MN", "55401", "612"),
    uc("Houston", "TX", "77002", "713"),
    uc("Austin", "TX", "78701", "512"),
    uc("Denver", "CO", "80202", "303"),
    uc("Salt Lake City", "UT", "84101", "801"),
    uc("Phoenix", "AZ", "85004", "602"),
    uc("Las Vegas", "NV", "89101", "702"),
    uc("Los Angeles", "CA", "90012", "213"),
    uc("Beverly Hills", "CA", "90210", "310"),
    uc("San Francisco", "CA", "94103", "415"),
    uc("San Jose", "CA", "95113", "408"),
    uc("Seattle", "WA", "98101", "206"),
    uc("Honolulu", "HI", "96813", "808"),
    uc("Anchorage", "AK", "99501", "907"),
];

const CA_CITIES: &[UsCity] = &[
    uc("Toronto", "ON", "M5V 2T6", "416"),
    uc("Ottawa", "ON", "K1P 1J1", "613"),
    uc("Vancouver", "BC", "V6B 1A1", "604"),
    uc("Montréal", "QC", "H2X 1Y4", "514"),
    uc("Québec", "QC", "G1R 4P5", "418"),
    uc("Calgary", "AB", "T2P 1J9", "403"),
    uc("Halifax", "NS", "B3H 1A1", "902"),
    uc("Winnipeg", "MB", "R3C 0V8", "204"),
];

const US_STREETS: &[&str] = &[
    "Collins Ave",
    "Main St",
    "Elm Street",
    "Maple Avenue",
    "Oak Lane",
    "Washington Blvd",
    "Park Ave",
    "Sunset Blvd",
    "Commonwealth Ave",
    "Market Street",
    "Broadway",
    "Peachtree St NE",
    "Lake Shore Dr",
    "Cedar Rd",
    "Pine St",
    "Martin Luther King Jr Blvd",
];
const CA_STREETS: &[&str] = &[
    "Queen St W",
    "rue Sainte-Catherine O",
    "Granville St",
    "boul. René-Lévesque E",
    "Jasper Ave",
    "Spring Garden Rd",
    "Portage Ave",
];
const ADDRESS2: &[&str] = &[
    "Apt 4, Floor 2",
    "Suite 210",
    "Unit 5B",
    "Apt #903",
    "Floor 3, Room 301",
    "c/o Reception",
    "Bldg C, Apt 12",
];

/// (display, ascii for the email).
const FIRST_NAMES: &[(&str, &str)] = &[
    ("James", "james"),
    ("Maria", "maria"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Chloé", "chloe"),
    ("Renée", "renee"),
    ("François", "francois"),
    ("Søren", "soren"),
    ("Björn", "bjorn"),
    ("Siobhán", "siobhan"),
    ("Łukasz", "lukasz"),
    ("Priya", "priya"),
    ("Mohammed", "mohammed"),
    ("Emily", "emily"),
    ("Michael", "michael"),
    ("Ana", "ana"),
    ("Olivia", "olivia"),
    ("David", "david"),
    ("Aoife", "aoife"),
    ("Jürgen", "jurgen"),
];
const LAST_NAMES: &[(&str, &str)] = &[
    ("Müller", "muller"),
    ("Brontë", "bronte"),
    ("García", "garcia"),
    ("O'Brien", "obrien"),
    ("Núñez", "nunez"),
    ("Kowalski", "kowalski"),
    ("Johansson", "johansson"),
    ("Dubois", "dubois"),
    ("Nguyễn", "nguyen"),
    ("Patel", "patel"),
    ("Okafor", "okafor"),
    ("Schäfer", "schafer"),
    ("Hernández", "hernandez"),
    ("Lefèvre", "lefevre"),
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Kim", "kim"),
    ("Rossi", "rossi"),
];
const CJK_NAMES: &[(&str, &str)] = &[
    ("王小明", "wang.xiaoming"),
    ("山田太郎", "taro.yamada"),
    ("李娜", "li.na"),
    ("김민준", "minjun.kim"),
    ("陈静", "chen.jing"),
    ("佐藤花子", "hanako.sato"),
    ("張偉", "zhang.wei"),
];
const COMPANIES: &[(&str, &str)] = &[
    ("Blue Harbor Trading Co.", "blueharbor"),
    ("Northwind Traders LLC", "northwind"),
    ("Café Olé Imports", "cafeole"),
    ("Brontë & Sons Books", "brontebooks"),
    ("Maple Leaf Outfitters Inc.", "mapleleaf"),
    ("Acme Widgets, Inc.", "acme"),
    ("Sakura Home Goods", "sakurahome"),
    ("東京物産株式会社", "tokyobussan"),
];
const EMAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net"];
const UPS_SERVICES: &[&str] = &["01", "02", "03", "12", "13", "42", "59", "66", "67"];

/// Three UPS shipper accounts per batch, from the seed.
fn shipper_accounts(seed: u64) -> [String; 3] {
    const ALNUM: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXY0123456789";
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, u64::MAX));
    std::array::from_fn(|_| {
        (0..6)
            .map(|i| {
                let set = if i < 2 { &ALNUM[..22] } else { ALNUM };
                char::from(set[rng.gen_range(0..set.len())])
            })
            .collect()
    })
}

/// `1Z` + account + service + 7-digit serial + check digit. The serial is a bijection of the item's
/// batch-wide index (odd multiplier not divisible by 5), so numbers never repeat within a batch.
fn tracking_number(account: &str, service: &str, item_index: u64, seed: u64) -> String {
    let offset = mix(seed, u64::MAX - 1) % 10_000_000;
    let serial = (offset + item_index % 10_000_000 * 7_654_321) % 10_000_000;
    let body = format!("{account}{service}{serial:07}");
    let check = ups_check_digit(body.as_bytes()).unwrap_or(0);
    format!("1Z{body}{check}")
}

fn usd_cents(cents: i64, currency: &str) -> i64 {
    match currency {
        "EUR" => cents * 108 / 100,
        "CNY" => cents * 14 / 100,
        _ => cents,
    }
}

/// Thousandths of a pound for a weight in grams, rounded.
fn grams_to_milli_lb(grams: i64) -> i64 {
    (grams * 100_000_000 + 22_679_618) / 45_359_237
}

fn make_items(rng: &mut ChaCha8Rng, opts: &SampleOptions, plan: &MawbPlan, ymd: &str) -> Vec<Item> {
    let accounts = shipper_accounts(opts.seed);
    let account = &accounts[plan.index % accounts.len()];
    let catalog: Vec<&CatalogEntry> = CATALOG
        .iter()
        .filter(|c| opts.label == 0 || (c.price.1 <= 40_000 && c.grams.1 <= 3_000))
        .collect();

    let mut items = Vec::with_capacity(plan.items);
    let (mut bag_no, mut left_in_bag) = (0u32, 0u32);
    for j in 0..plan.items {
        let bag_no_item = if rng.gen_bool(0.2) {
            None
        } else {
            if left_in_bag == 0 {
                bag_no += 1;
                left_in_bag = rng.gen_range(20..=50);
            }
            left_in_bag -= 1;
            Some(bag_no)
        };
        let tracking = if opts.label == 0 {
            let service = pick(rng, UPS_SERVICES);
            tracking_number(account, service, plan.first_item + j as u64, opts.seed)
        } else {
            String::new()
        };
        let secs = (8 * 3600 + j * 7) % 86_400;
        let mut item = Item {
            tracking,
            shipper_item_id: format!("WH1-{}-{:05}", plan.serial8, j + 1),
            display_item_id: format!(
                "{ymd}-{:02}{:02}{:02}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            ),
            name: String::new(),
            company: String::new(),
            address1: String::new(),
            address2: "",
            city: "",
            state: "",
            zip: "",
            country: "US",
            phone: String::new(),
            email: String::new(),
            currency: "USD",
            value_cents: 0,
            weight_unit: "kg",
            weight_milli: 0,
            dims: None,
            bag_no: bag_no_item,
            bag: bag_no_item.map(|b| format!("{}-B{b:02}", plan.serial8)),
            repeat_item_fields: true,
            products: Vec::new(),
        };
        let email_handle = fill_consignee(rng, &mut item);
        fill_products(rng, opts, &catalog, &mut item);
        if usd_cents(item.value_cents, item.currency) > EMAIL_REQUIRED_ABOVE_USD_CENTS
            || rng.gen_bool(0.4)
        {
            item.email = format!("{email_handle}@{}", pick(rng, EMAIL_DOMAINS));
        }
        item.repeat_item_fields = item.products.len() == 1 || rng.gen_bool(0.55);
        items.push(item);
    }
    items
}

/// Fills name, company and address; returns the ASCII handle for an email address.
fn fill_consignee(rng: &mut ChaCha8Rng, item: &mut Item) -> String {
    let canada = rng.gen_bool(0.15);
    let (cities, streets) = if canada {
        (CA_CITIES, CA_STREETS)
    } else {
        (US_CITIES, US_STREETS)
    };
    let place = &cities[rng.gen_range(0..cities.len())];
    item.country = if canada { "CA" } else { "US" };
    item.city = place.city;
    item.state = place.state;
    item.zip = place.zip;
    item.address1 = format!("{} {}", rng.gen_range(1..9999), pick(rng, streets));
    if rng.gen_bool(0.35) {
        item.address2 = pick(rng, ADDRESS2);
    }
    item.phone = match rng.gen_range(0..10) {
        0..=3 => format!("+1 {}-555-{:04}", place.area, rng.gen_range(100..200)),
        4..=5 => format!("({}) 555-{:04}", place.area, rng.gen_range(100..200)),
        6..=7 => format!("{}.555.{:04}", place.area, rng.gen_range(100..200)),
        _ => String::new(),
    };
    let roll = rng.gen_range(0..100);
    let (person, handle) = if roll < 10 {
        let (n, h) = pick(rng, CJK_NAMES);
        (n.to_string(), h.to_string())
    } else {
        let (f, fh) = pick(rng, FIRST_NAMES);
        let (l, lh) = pick(rng, LAST_NAMES);
        (format!("{f} {l}"), format!("{fh}.{lh}"))
    };
    if roll >= 93 {
        // Company only.
        let (c, ch) = pick(rng, COMPANIES);
        item.company = c.to_string();
        return format!("orders.{ch}");
    }
    item.name = person;
    if roll >= 80 {
        item.company = pick(rng, COMPANIES).0.to_string();
    }
    handle
}

fn fill_products(
    rng: &mut ChaCha8Rng,
    opts: &SampleOptions,
    catalog: &[&CatalogEntry],
    item: &mut Item,
) {
    item.currency = match rng.gen_range(0..100) {
        0..=79 => "USD",
        80..=91 => "EUR",
        _ => "CNY",
    };
    let n = match rng.gen_range(0..100) {
        0..=54 => 1,
        55..=79 => 2,
        80..=91 => 3,
        _ => 4,
    };
    // (entry, quantity, unit cents in the item currency, unit grams)
    let mut lines: Vec<(&CatalogEntry, i64, i64, i64)> = (0..n)
        .map(|_| {
            let e = catalog[rng.gen_range(0..catalog.len())];
            let usd = rng.gen_range(e.price.0..=e.price.1);
            let qty = if usd > 30_000 {
                1
            } else {
                match rng.gen_range(0..100) {
                    0..=64 => 1,
                    65..=84 => 2,
                    85..=92 => 3,
                    _ => rng.gen_range(4..=6),
                }
            };
            let unit = match item.currency {
                "EUR" => usd * 93 / 100,
                "CNY" => usd * 72 / 10,
                _ => usd,
            };
            (e, qty, unit.max(1), rng.gen_range(e.grams.0..=e.grams.1))
        })
        .collect();
    let total = |lines: &[(&CatalogEntry, i64, i64, i64)]| {
        let cents: i64 = lines.iter().map(|l| l.1 * l.2).sum();
        let grams: i64 = lines.iter().map(|l| l.1 * l.3).sum();
        (cents, grams)
    };
    if opts.label != 0 {
        // One label per item: stay under the weight and value limits of every label type.
        loop {
            let (cents, grams) = total(&lines);
            // Packaging adds at most 15% + 30 g.
            let packed = grams * 115 / 100 + 30;
            if usd_cents(cents, item.currency) <= LABEL_MAX_USD_CENTS && packed <= LABEL_MAX_GRAMS {
                break;
            }
            if lines.len() > 1 {
                lines.pop();
            } else if lines[0].1 > 1 {
                lines[0].1 = 1;
            } else {
                break; // the filtered catalog keeps a single unit below both limits
            }
        }
    }
    let (cents, grams) = total(&lines);
    item.value_cents = cents;
    let usd = usd_cents(cents, item.currency);
    let packaging = (grams * rng.gen_range(5..=15) / 100).max(30);
    let item_grams = grams + packaging;
    let lb = rng.gen_bool(0.3);
    item.weight_unit = if lb { "lb" } else { "kg" };
    item.weight_milli = if lb {
        grams_to_milli_lb(item_grams)
    } else {
        item_grams
    };

    // Which value columns the products carry: all of them when the rules need them.
    let style = match rng.gen_range(0..100) {
        0..=49 => 0,  // both
        50..=64 => 1, // unit only
        65..=79 => 2, // product only
        _ => 3,       // none
    };
    let style = if usd > VALUES_REQUIRED_ABOVE_USD_CENTS && style == 3 {
        0
    } else {
        style
    };
    let with_weights = rng.gen_bool(0.7);
    item.products = lines
        .iter()
        .map(|&(e, qty, unit, g)| {
            let mut description = e.description.to_string();
            if rng.gen_bool(0.3) {
                description.push_str(pick(rng, DESCRIPTION_SUFFIXES));
            }
            let hts = if rng.gen_bool(0.2) {
                &e.hts[..7]
            } else {
                e.hts
            };
            ProductLine {
                description,
                hts,
                quantity: qty,
                quantity_as_float: rng.gen_bool(0.15),
                unit_cents: (style == 0 || style == 1).then_some(unit),
                value_cents: (style == 0 || style == 2).then_some(unit * qty),
                weight_grams: with_weights.then_some(g * qty),
                origin: pick(rng, e.origins),
            }
        })
        .collect();

    if rng.gen_bool(0.7) {
        let side = |r: &mut ChaCha8Rng, lo: i64, hi: i64| r.gen_range(lo..=hi);
        let mut mm = [side(rng, 100, 600), side(rng, 80, 400), side(rng, 20, 300)];
        mm.sort_unstable_by(|a, b| b.cmp(a));
        item.dims = Some(match rng.gen_range(0..100) {
            0..=54 => Dims {
                lwh: mm,
                decimals: 1,
                unit: "cm",
            },
            55..=79 => Dims {
                lwh: mm,
                decimals: 3,
                unit: "m",
            },
            _ => Dims {
                lwh: mm.map(|v| (v * 100 + 127) / 254),
                decimals: 1,
                unit: "in",
            },
        });
    }
}

// ---------------------------------------------------------------------------------------------------
// Spreadsheets.

/// Canonical column names, in the order a typical warehouse export has them.
const COLUMNS: [&str; 29] = [
    "trackingNumber",
    "shipperItemId",
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
    "productDescription",
    "hts",
    "quantity",
    "unitValue",
    "productValue",
    "productWeight",
    "countryOfOrigin",
];
const ZIP_COL: usize = 9;

/// The words of a camelCase name, digits as their own word: `consigneeAddress1` → consignee, Address, 1.
fn words(canonical: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in canonical.chars() {
        let new_word = match out.last().and_then(|w| w.chars().last()) {
            None => true,
            Some(prev) => c.is_ascii_uppercase() || (c.is_ascii_digit() != prev.is_ascii_digit()),
        };
        if new_word {
            out.push(String::new());
        }
        if let Some(w) = out.last_mut() {
            w.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// One spelling of a column header; all normalise (case, spaces, `_`, `-`, `.` ignored) to the
/// canonical name, except the contract's `hawbNumber` alias for trackingNumber.
fn spelling(canonical: &str, style: u8) -> String {
    if canonical == "hts" {
        return if style == 2 {
            "hts".into()
        } else {
            "HTS".into()
        };
    }
    let w = words(canonical);
    match style {
        0 => canonical.to_string(),
        1 => w
            .iter()
            .map(|s| {
                let mut cs = s.chars();
                match cs.next() {
                    Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        2 => w.join("_"),
        _ => w.join("_").to_ascii_uppercase(),
    }
}

/// Headers of one MAWB's files: a dominant style with a quarter of the columns spelled differently,
/// as hand-edited exports are.
fn pick_headers(rng: &mut ChaCha8Rng) -> Vec<String> {
    let main_style: u8 = rng.gen_range(0..4);
    let alias = rng.gen_bool(0.15);
    COLUMNS
        .iter()
        .map(|c| {
            if *c == "trackingNumber" && alias {
                return "HAWB Number".to_string();
            }
            let style = if rng.gen_bool(0.25) {
                rng.gen_range(0..4)
            } else {
                main_style
            };
            spelling(c, style)
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Cell<'a> {
    Empty,
    Text(&'a str),
    /// Postal codes: always text, so `02134` keeps its zero.
    Zip(&'a str),
    Num(Num),
}

#[derive(Clone, Copy)]
struct Num {
    /// Value times 10^decimals; integer arithmetic keeps CSV text exact.
    scaled: i64,
    decimals: u8,
    /// In xlsx, show an integer as `2.0`.
    float_look: bool,
}

fn num(scaled: i64, decimals: u8) -> Cell<'static> {
    Cell::Num(Num {
        scaled,
        decimals,
        float_look: false,
    })
}

fn opt_text(s: &str) -> Cell<'_> {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s)
    }
}

/// The cells of each product row of an item.
fn item_rows<'a>(
    item: &'a Item,
    mut emit: impl FnMut(&[Cell<'a>; 29]) -> Result<(), SamplesError>,
) -> Result<(), SamplesError> {
    for (i, p) in item.products.iter().enumerate() {
        let full = i == 0 || item.repeat_item_fields;
        let mut c = [Cell::Empty; 29];
        c[0] = opt_text(&item.tracking);
        c[1] = Cell::Text(&item.shipper_item_id);
        if full {
            c[2] = Cell::Text(&item.display_item_id);
            c[3] = opt_text(&item.name);
            c[4] = opt_text(&item.company);
            c[5] = Cell::Text(&item.address1);
            c[6] = opt_text(item.address2);
            c[7] = Cell::Text(item.city);
            c[8] = Cell::Text(item.state);
            c[ZIP_COL] = Cell::Zip(item.zip);
            c[10] = Cell::Text(item.country);
            c[11] = opt_text(&item.phone);
            c[12] = opt_text(&item.email);
            c[13] = num(item.value_cents, 2);
            c[14] = Cell::Text(item.currency);
            c[15] = num(item.weight_milli, 3);
            c[16] = Cell::Text(item.weight_unit);
            if let Some(d) = item.dims {
                for (k, v) in d.lwh.iter().enumerate() {
                    c[17 + k] = num(*v, d.decimals);
                }
                c[20] = Cell::Text(d.unit);
            }
            if let Some(b) = &item.bag {
                c[21] = Cell::Text(b);
            }
        }
        c[22] = Cell::Text(&p.description);
        c[23] = Cell::Text(p.hts);
        c[24] = Cell::Num(Num {
            scaled: p.quantity,
            decimals: 0,
            float_look: p.quantity_as_float,
        });
        if let Some(v) = p.unit_cents {
            c[25] = num(v, 2);
        }
        if let Some(v) = p.value_cents {
            c[26] = num(v, 2);
        }
        if let Some(w) = p.weight_grams {
            c[27] = num(w, 3);
        }
        c[28] = Cell::Text(p.origin);
        emit(&c)?;
    }
    Ok(())
}

fn format_num(n: Num, out: &mut String) {
    out.clear();
    if n.decimals == 0 {
        let _ = write!(out, "{}", n.scaled);
        return;
    }
    let pow = 10i64.pow(u32::from(n.decimals));
    let sign = if n.scaled < 0 { "-" } else { "" };
    let a = n.scaled.abs();
    let _ = write!(
        out,
        "{sign}{}.{:0width$}",
        a / pow,
        a % pow,
        width = usize::from(n.decimals)
    );
}

/// CSV either as Excel on Windows saves it (UTF-8 BOM, CRLF) or as scripts write it (no BOM, LF).
fn write_csv(
    path: &Path,
    excel_style: bool,
    headers: &[String],
    items: &[Item],
) -> Result<(), SamplesError> {
    let file = File::create(path).map_err(io_err(path))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    if excel_style {
        out.write_all("\u{feff}".as_bytes()).map_err(io_err(path))?;
    }
    let csv_err = |source| SamplesError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let terminator = if excel_style {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(terminator)
        .from_writer(out);
    w.write_record(headers).map_err(csv_err)?;
    let mut buf = String::new();
    for item in items {
        item_rows(item, |cells| {
            for cell in cells {
                match *cell {
                    Cell::Empty => w.write_field(b""),
                    Cell::Text(s) | Cell::Zip(s) => w.write_field(s),
                    Cell::Num(n) => {
                        format_num(n, &mut buf);
                        w.write_field(buf.as_bytes())
                    }
                }
                .map_err(csv_err)?;
            }
            w.write_record(None::<&[u8]>).map_err(csv_err)
        })?;
    }
    let out = w.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    out.into_inner().map_err(|e| io_err(path)(e.into_error()))?;
    Ok(())
}

struct XlsxFormats {
    header: Format,
    text: Format,
    /// Indexed by decimals 0..=3; 0 is "0.0" for integers that look like floats.
    decimals: [Format; 4],
}

fn write_xlsx(
    path: &Path,
    sheet: &str,
    headers: &[String],
    items: &[Item],
) -> Result<(), SamplesError> {
    let xerr = |source| SamplesError::Xlsx {
        path: path.to_path_buf(),
        source,
    };
    let fmts = XlsxFormats {
        header: Format::new().set_bold(),
        text: Format::new().set_num_format("@"),
        decimals: [
            Format::new().set_num_format("0.0"),
            Format::new().set_num_format("0.0"),
            Format::new().set_num_format("0.00"),
            Format::new().set_num_format("0.000"),
        ],
    };
    let mut wb = Workbook::new();
    // Fixed creation time: docProps/core.xml would otherwise make every run's bytes differ.
    let created = ExcelDateTime::from_ymd(2026, 11, 1)
        .and_then(|d| d.and_hms(0, 0, 0))
        .map_err(xerr)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("HAWB list")
            .set_author("mawb samples")
            .set_creation_datetime(&created),
    );
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(xerr)?;
    for (col, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, col as u16, h, &fmts.header)
            .map_err(xerr)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xerr)?;
    let mut row: u32 = 1;
    for item in items {
        item_rows(item, |cells| {
            write_xlsx_row(ws, &fmts, row, cells).map_err(xerr)?;
            row += 1;
            Ok(())
        })?;
    }
    wb.save(path).map_err(xerr)
}

fn write_xlsx_row(
    ws: &mut Worksheet,
    fmts: &XlsxFormats,
    row: u32,
    cells: &[Cell<'_>; 29],
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (col, cell) in cells.iter().enumerate() {
        let col = col as u16;
        match *cell {
            Cell::Empty => {}
            Cell::Text(s) => {
                ws.write_string(row, col, s)?;
            }
            Cell::Zip(s) => {
                ws.write_string_with_format(row, col, s, &fmts.text)?;
            }
            Cell::Num(n) => {
                let v = n.scaled as f64 / 10f64.powi(i32::from(n.decimals));
                if n.decimals == 0 && !n.float_look {
                    ws.write_number(row, col, v)?;
                } else {
                    let f = &fmts.decimals[usize::from(n.decimals.min(3))];
                    ws.write_number_with_format(row, col, v, f)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::checkdigit::{parse_mawb_number, ups_tracking_number_valid};
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::sync::atomic::{AtomicUsize, Ordering};

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
                    Data::String(z) => {
                        leading_zero += usize::from(z.starts_with('0') && z.len() == 5)
                    }
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
                    leg["carrier"].len() == 2
                        && leg["carrier"].bytes().all(|b| b.is_ascii_uppercase())
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
            let flags =
                crate::validate::compliance::dangerous::flag(Some(c.description), Some(c.hts));
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
            assert!(pdf.ends_with(b"%%EOF\n"));
            // Offsets are bytes: search the raw bytes (the header comment is binary on purpose).
            let find = |needle: &[u8], from: usize| {
                pdf[from..]
                    .windows(needle.len())
                    .position(|w| w == needle)
                    .map(|p| p + from)
            };
            let ascii = |from: usize| std::str::from_utf8(&pdf[from..]).unwrap();
            assert!(find(m.manifest_number.as_bytes(), 0).is_some());
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
            assert!(pdf[xref..].starts_with(b"xref\n0 7\n0000000000 65535 f \n"));
            for (n, line) in ascii(xref).lines().skip(3).take(6).enumerate() {
                assert_eq!(line.len(), 19, "{line:?}");
                let off: usize = line[..10].parse().unwrap();
                assert!(pdf[off..].starts_with(format!("{} 0 obj\n", n + 1).as_bytes()));
            }
            let len_at = find(b"/Length ", 0).unwrap() + 8;
            let len: usize = ascii(len_at).split(' ').next().unwrap().parse().unwrap();
            let start = find(b"stream\n", len_at).unwrap() + 7;
            assert!(pdf[start + len..].starts_with(b"endstream"));
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
}
