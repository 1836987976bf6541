//! One MAWB folder: its legs, items, `mawb.toml`, `mawb.pdf` scan and HAWB spreadsheets, written under a
//! hidden `.NAME.partial` name and renamed when complete, so a drop-folder watcher never sees half a MAWB.
//!
//! Everything random in the folder comes from the plan's own seed, drawn in a fixed order (legs, items,
//! weights, headers, file split, dialects), which is what keeps a seed's bytes stable.

use std::fs;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::batch::MawbPlan;
use super::csv_file::write_csv;
use super::flights::{civil_from_days, make_legs, BASE_DAY};
use super::items::{make_items, Item};
use super::mawb_toml::mawb_toml;
use super::rows::pick_headers;
use super::scan::mawb_pdf;
use super::xlsx_file::write_xlsx;
use super::{io_err, SampleFormat, SampleMawb, SampleOptions, SamplesError};

/// Data rows per spreadsheet file: well under `mawb check`'s default 500 000-row and 512 MiB unzipped
/// limits, and Excel's 1 048 576-row sheet.
const MAX_ROWS_PER_FILE: usize = 200_000;

/// Writes the MAWB folder of `plan` into `out_dir` and says what it holds.
pub(super) fn write_mawb(
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
pub(super) fn split_files<'a>(
    rng: &mut ChaCha8Rng,
    items: &'a [Item],
    max_rows: usize,
) -> Vec<&'a [Item]> {
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
