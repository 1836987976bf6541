//! Throughput of denied-party screening, in parcels per second.
//!
//! Setup generates (seeded, in memory) a screening list of 20,000 entries shaped like the Consolidated
//! Screening List (two thirds people, a third companies with legal suffixes, a quarter with one to three
//! aliases: reordered, misspelt or shortened names) and one MAWB of 100,000 parcels whose consignees are
//! people and companies from a larger pool of invented names; one parcel in 200 carries a listed name
//! (exact, reordered or misspelt), so the hits are found and reported as they would be. Groups:
//!
//! - `screening/load`: indexing the 20,000 entries (what `--screening-list` costs at start-up);
//! - `screening/mawb`: `Screening::screen_mawb` over the 100,000 parcels (every consignee name and company)
//!   in rayon pools of 1 and 2 threads.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, BenchmarkId, Criterion, SamplingMode, Throughput};
use mawb::model::{Address, MailItem, Mawb, Origin};
use mawb::validate::compliance::screening::{Entry, Screening, ScreeningList};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The allocator the `mawb` binary ships with, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mawb::allocator::Allocator = mawb::allocator::Allocator {};

const ENTRIES: usize = 20_000;
const PARCELS: usize = 100_000;

const ONSETS: &[&str] = &[
    "", "b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p",
    "pr", "r", "s", "sh", "st", "t", "tr", "v", "w", "y", "z",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ei", "ou"];
const CODAS: &[&str] = &["", "n", "r", "l", "s", "m", "k"];

/// An invented word of 2 or 3 syllables (1,624 syllables: an onset, a vowel, a coda).
fn word(rng: &mut ChaCha8Rng) -> String {
    let n = rng.gen_range(2..=3);
    let mut w = String::new();
    for _ in 0..n {
        for part in [ONSETS, VOWELS, CODAS] {
            w.push_str(part.choose(rng).unwrap_or(&""));
        }
    }
    w
}

fn pool_of(rng: &mut ChaCha8Rng, n: usize) -> Vec<String> {
    (0..n).map(|_| word(rng)).collect()
}

fn capitalised(w: &str) -> String {
    let mut c = w.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// `LAST, First` as `First LAST`.
fn reordered(name: &str) -> String {
    let mut parts: Vec<&str> = name.split(", ").collect();
    parts.reverse();
    parts.join(" ")
}

/// One letter changed: a typo.
fn misspelt(rng: &mut ChaCha8Rng, name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let letters: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_alphabetic())
        .collect();
    if let Some(&i) = letters.get(
        rng.gen_range(1..letters.len().max(2))
            .min(letters.len() - 1),
    ) {
        chars[i] = if chars[i] == 'e' { 'a' } else { 'e' };
    }
    chars.into_iter().collect()
}

struct Fixture {
    list: Arc<ScreeningList>,
    entries: Vec<Entry>,
    mawb: Mawb,
    names: usize,
}

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let mut rng = ChaCha8Rng::seed_from_u64(2026);
        let (first, last, firm) = (
            pool_of(&mut rng, 3_000),
            pool_of(&mut rng, 9_000),
            pool_of(&mut rng, 4_000),
        );
        let sources = [
            "Specially Designated Nationals (SDN) - Treasury Department",
            "Entity List (EL) - Bureau of Industry and Security",
            "Denied Persons List (DPL) - Bureau of Industry and Security",
        ];
        let suffixes = [
            "LLC",
            "Ltd.",
            "GmbH",
            "Co., Ltd.",
            "S.A.",
            "Trading Co.",
            "JSC",
        ];
        let entries: Vec<Entry> = (0..ENTRIES)
            .map(|i| {
                let name = if rng.gen_bool(0.66) {
                    format!(
                        "{}, {}",
                        last.choose(&mut rng)
                            .map(|w| w.to_uppercase())
                            .unwrap_or_default(),
                        first
                            .choose(&mut rng)
                            .map(|w| capitalised(w))
                            .unwrap_or_default()
                    )
                } else {
                    let words: Vec<String> = (0..rng.gen_range(1..=3))
                        .map(|_| capitalised(firm.choose(&mut rng).map_or("", |w| w.as_str())))
                        .collect();
                    format!(
                        "{} {}",
                        words.join(" "),
                        suffixes.choose(&mut rng).unwrap_or(&"LLC")
                    )
                };
                let mut names = vec![name.clone()];
                if rng.gen_bool(0.25) {
                    for _ in 0..rng.gen_range(1..=3) {
                        let alias = match rng.gen_range(0..3) {
                            0 => misspelt(&mut rng, &name),
                            1 => reordered(&name),
                            _ => name.split_whitespace().next().unwrap_or("").to_string(),
                        };
                        names.push(alias);
                    }
                }
                Entry {
                    id: format!("{i:08x}"),
                    name,
                    source: sources[i % sources.len()].to_string(),
                    names,
                }
            })
            .collect();
        let list = Arc::new(
            ScreeningList::from_entries(Path::new("generated.csv"), entries.clone())
                .expect("a list"),
        );
        let (people_first, people_last) = (pool_of(&mut rng, 2_000), pool_of(&mut rng, 6_000));
        let mut names = 0;
        let items: Vec<MailItem> = (0..PARCELS)
            .map(|i| {
                let mut consignee = Address {
                    name: Some(
                        format!(
                            "{} {}",
                            capitalised(people_first.choose(&mut rng).map_or("", |w| w.as_str())),
                            capitalised(people_last.choose(&mut rng).map_or("", |w| w.as_str()))
                        )
                        .into(),
                    ),
                    ..Default::default()
                };
                if i % 200 == 7 {
                    let e = &entries[rng.gen_range(0..entries.len())];
                    consignee.name = Some(
                        match rng.gen_range(0..3) {
                            0 => e.name.clone(),
                            1 => reordered(&e.name),
                            _ => misspelt(&mut rng, &e.name),
                        }
                        .into(),
                    );
                }
                if rng.gen_bool(0.2) {
                    consignee.company = Some(
                        format!(
                            "{} {} Inc.",
                            capitalised(people_last.choose(&mut rng).map_or("", |w| w.as_str())),
                            capitalised(firm.choose(&mut rng).map_or("", |w| w.as_str()))
                        )
                        .into(),
                    );
                    names += 1;
                }
                names += 1;
                let mut item = MailItem::at(Origin {
                    file: 0,
                    sheet: Arc::from("Sheet1"),
                    row: i as u32 + 2,
                });
                item.shipper_item_id = Some(format!("SI{i:08}").into());
                item.consignee = consignee;
                item
            })
            .collect();
        let mawb = Mawb {
            dir: "bench".into(),
            config: None,
            image: None,
            files: Vec::new(),
            items,
            bags: Vec::new(),
        };
        Fixture {
            list,
            entries,
            mawb,
            names,
        }
    })
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("build a rayon pool")
}

fn load(c: &mut Criterion) {
    let f = fixture();
    let mut g = c.benchmark_group("screening");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(ENTRIES as u64));
    g.bench_function("load/20000 entries", |b| {
        b.iter(|| {
            let list = ScreeningList::from_entries(Path::new("generated.csv"), f.entries.clone())
                .expect("a list");
            list.entries.len()
        })
    });
    g.finish();
}

fn screen(c: &mut Criterion) {
    let f = fixture();
    let mut screening = Screening::default();
    screening.lists.push(f.list.clone());
    let files = ["hawbs.csv"];
    let mut g = c.benchmark_group("screening/mawb");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Elements(PARCELS as u64));
    eprintln!(
        "setup: {ENTRIES} entries, {PARCELS} parcels, {} names screened",
        f.names
    );
    for threads in [1, 2] {
        let p = pool(threads);
        g.bench_with_input(
            BenchmarkId::new("100000 parcels", format!("{threads} threads")),
            &threads,
            |b, _| {
                b.iter(|| {
                    let hits = p.install(|| screening.screen_mawb(&f.mawb, &files));
                    assert!(hits.len() >= PARCELS / 400, "{} hits", hits.len());
                    hits.len()
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, load, screen);

static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();

fn main() {
    mawb::allocator::tune();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
