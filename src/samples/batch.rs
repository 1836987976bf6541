//! The whole batch: options checked, every MAWB planned, folders written on every core.
//!
//! Planning first draws the cheap per-MAWB facts (MAWB number, airline, item count, its own random seed),
//! so a batch of any size refuses an existing folder before writing anything, and each folder's bytes
//! depend only on its plan, not on the thread or the order that wrote it.

use std::fs;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::flights::{Airline, AIRLINES};
use super::folder::write_mawb;
use super::{io_err, SampleFormat, SampleMawb, SampleOptions, SampleSummary, SamplesError};
use crate::validate::checkdigit::mawb_check_digit;

/// Label types createMailing knows (acp-shipper-api.md §1).
/// Tracking-number serials are a bijection on 7 digits, so no batch may hold more items than that.
pub(super) const MAX_ITEMS: usize = 10_000_000;

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
    if crate::model::label::label_type(opts.label).is_none() {
        return bad(format!(
            "label {} is not a createMailing label type ({})",
            opts.label,
            crate::model::label::label_codes()
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

/// Batch plan: cheap per-MAWB facts that must be known before any folder is written.
pub(super) struct MawbPlan {
    pub(super) index: usize,
    pub(super) airline: &'static Airline,
    pub(super) manifest_number: String,
    /// The 8 digits after the dash: serial and check digit.
    pub(super) serial8: String,
    pub(super) items: usize,
    /// Index of the MAWB's first item over the batch, for batch-unique tracking numbers.
    pub(super) first_item: u64,
    pub(super) format: SampleFormat,
    pub(super) rng_seed: u64,
}

/// SplitMix64: spreads `seed` and an index into independent, well-mixed per-MAWB seeds.
pub(super) fn mix(seed: u64, index: u64) -> u64 {
    let mut z = seed ^ index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(super) fn plan_batch(opts: &SampleOptions) -> Vec<MawbPlan> {
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
pub(super) fn distribute(rng: &mut ChaCha8Rng, total: usize, n: usize) -> Vec<usize> {
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
