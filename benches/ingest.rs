//! Throughput of the offline pipeline (ingest → validate → aggregate) in HAWB spreadsheet rows per second.
//!
//! Setup writes, once, a sample batch of 100 000 HAWBs in 50 MAWB folders (xlsx and csv alternating) with
//! `mawb::samples::generate` into a temporary folder. Groups:
//!
//! - `ingest/csv`  and `ingest/xlsx`: the 25 folders of one format through `check::check_one`, one after
//!   the other, inside a one-thread rayon pool: the single-core cost of a row in each format;
//! - `ingest/batch`: the whole batch through `check::check_paths` in rayon pools of 1 and 2 threads, so
//!   the speed-up of the 2 cores is visible;
//! - `raw/csv` and `raw/xlsx`: the same spreadsheets through the readers alone, on one core: every csv
//!   record into a reused `csv::ByteRecord`, every xlsx cell through calamine's streaming cell reader
//!   (`next_cell_with_style_id`, as ingest reads them), nothing kept. The floor ingest stands on: the ratio
//!   of `ingest/<format>` to `raw/<format>` is what mawb's own work (cells, items, rules) costs.
//!
//! Iterations take seconds, so sampling is flat and small: the run takes a few minutes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, SamplingMode, Throughput};
use mawb::check::{check_one, check_paths, CheckOptions};
use mawb::samples::{generate, SampleFormat, SampleOptions};

/// The allocator the `mawb` binary ships with, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mawb::allocator::Allocator = mawb::allocator::Allocator {};

const MAWBS: usize = 50;
const HAWBS: usize = 100_000;

/// The generated batch, shared by every group. It lives in a static, which is never dropped, so `main`
/// removes its temporary folder when the groups are done.
struct Batch {
    tmp: tempfile::TempDir,
    root: PathBuf,
    csv: Vec<PathBuf>,
    xlsx: Vec<PathBuf>,
    csv_rows: u64,
    xlsx_rows: u64,
}

fn batch() -> &'static Batch {
    BATCH.get_or_init(|| {
        let tmp = tempfile::Builder::new()
            .prefix("mawb-bench-")
            .tempdir()
            .expect("temp dir");
        let root = tmp.path().join("batch");
        let opts = SampleOptions {
            mawbs: MAWBS,
            hawbs: HAWBS,
            seed: 2026,
            formats: vec![SampleFormat::Xlsx, SampleFormat::Csv],
            label: 0,
        };
        let t = Instant::now();
        let summary = generate(&root, &opts).expect("generate the sample batch");
        let mut b = Batch {
            tmp,
            root,
            csv: Vec::new(),
            xlsx: Vec::new(),
            csv_rows: 0,
            xlsx_rows: 0,
        };
        for m in &summary.mawbs {
            let is_csv = m
                .files
                .iter()
                .any(|f| f.extension().is_some_and(|e| e == "csv"));
            if is_csv {
                b.csv.push(m.dir.clone());
                b.csv_rows += m.product_lines as u64;
            } else {
                b.xlsx.push(m.dir.clone());
                b.xlsx_rows += m.product_lines as u64;
            }
        }
        eprintln!(
            "setup: {} MAWBs ({} csv, {} xlsx), {HAWBS} HAWBs, {} csv rows + {} xlsx rows, written in {:.1?}",
            summary.mawbs.len(),
            b.csv.len(),
            b.xlsx.len(),
            b.csv_rows,
            b.xlsx_rows,
            t.elapsed()
        );
        b
    })
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("build a rayon pool")
}

/// Checks every folder of `dirs` one after the other and returns the rows read (so nothing is optimised
/// away, and a broken fixture shows as a panic rather than a fast benchmark).
fn check_each(dirs: &[PathBuf], opts: &CheckOptions) -> usize {
    dirs.iter()
        .map(|d| {
            let m = check_one(d, opts);
            assert!(m.sendable(), "{}: {:?}", d.display(), m.problems.first());
            m.mawb.files.iter().map(|f| f.rows).sum::<usize>()
        })
        .sum()
}

fn by_format(c: &mut Criterion) {
    let b = batch();
    let opts = CheckOptions::default();
    let one = pool(1);
    let mut g = c.benchmark_group("ingest");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for (name, dirs, rows) in [("csv", &b.csv, b.csv_rows), ("xlsx", &b.xlsx, b.xlsx_rows)] {
        g.throughput(Throughput::Elements(rows));
        g.bench_function(BenchmarkId::new(name, "1 thread"), |bench| {
            bench.iter(|| {
                let read = one.install(|| check_each(dirs, &opts));
                assert_eq!(read as u64, rows);
                read
            })
        });
    }
    g.finish();
}

fn whole_batch(c: &mut Criterion) {
    let b = batch();
    let opts = CheckOptions::default();
    let rows = b.csv_rows + b.xlsx_rows;
    let paths = [b.root.clone()];
    let mut g = c.benchmark_group("ingest/batch");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(rows));
    for threads in [1, 2] {
        let p = pool(threads);
        g.bench_with_input(
            BenchmarkId::new("check_paths", format!("{threads} threads")),
            &threads,
            |bench, _| {
                bench.iter(|| {
                    let report = p.install(|| check_paths(&paths, &opts, &|| {}));
                    assert!(report.all_sendable());
                    assert_eq!(report.totals.items, HAWBS);
                    report.totals.product_lines
                })
            },
        );
    }
    g.finish();
}

/// The spreadsheets of `dirs` with extension `ext`.
fn files_of(dirs: &[PathBuf], ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in dirs {
        for e in std::fs::read_dir(d).expect("list a MAWB folder").flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Records of a csv file read into one reused `ByteRecord` (the header row included).
fn raw_csv(path: &Path) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_path(path)
        .expect("open a csv");
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while reader
        .read_byte_record(&mut record)
        .expect("read a csv record")
    {
        rows += 1;
    }
    rows
}

/// Rows of every sheet of an xlsx file, cell by cell with calamine's streaming reader (header included).
fn raw_xlsx(path: &Path) -> u64 {
    use calamine::Reader;
    let file = std::io::BufReader::new(std::fs::File::open(path).expect("open an xlsx"));
    let mut wb = calamine::Xlsx::new(file).expect("an xlsx workbook");
    let mut rows = 0;
    for sheet in wb.sheet_names() {
        let mut cells = wb.worksheet_cells_reader(&sheet).expect("a sheet");
        let mut last = None;
        while let Some((cell, style)) = cells.next_cell_with_style_id().expect("a cell") {
            let row = cell.get_position().0;
            if last != Some(row) {
                rows += 1;
                last = Some(row);
            }
            std::hint::black_box((cell.get_value(), style));
        }
    }
    rows
}

fn raw_readers(c: &mut Criterion) {
    let b = batch();
    let mut g = c.benchmark_group("raw");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    let csv = files_of(&b.csv, "csv");
    let xlsx = files_of(&b.xlsx, "xlsx");
    // Throughput in product rows, as for `ingest/<format>`; each file's header row is read on top.
    g.throughput(Throughput::Elements(b.csv_rows));
    g.bench_function(BenchmarkId::new("csv", "ByteRecord"), |bench| {
        bench.iter(|| {
            let read: u64 = csv.iter().map(|p| raw_csv(p)).sum();
            assert_eq!(read, b.csv_rows + csv.len() as u64);
            read
        })
    });
    g.throughput(Throughput::Elements(b.xlsx_rows));
    g.bench_function(BenchmarkId::new("xlsx", "calamine cells"), |bench| {
        bench.iter(|| {
            let read: u64 = xlsx.iter().map(|p| raw_xlsx(p)).sum();
            assert_eq!(read, b.xlsx_rows + xlsx.len() as u64);
            read
        })
    });
    g.finish();
}

criterion_group!(benches, by_format, raw_readers, whole_batch);

static BATCH: std::sync::OnceLock<Batch> = std::sync::OnceLock::new();

fn main() {
    mawb::allocator::tune();
    benches();
    Criterion::default().configure_from_args().final_summary();
    if let Some(b) = BATCH.get() {
        let _ = std::fs::remove_dir_all(b.tmp.path());
    }
}
