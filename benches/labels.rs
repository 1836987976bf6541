//! `mawb labels` for a 2,000-label MAWB in each format: reading the archive (zip, sha256 checks), parsing
//! every label, merging into one PDF (PDF and PNG labels) or one EPL2 job, packing lists and the index,
//! written atomically. The labels are the sandbox's real ones (4x6 in, 203 dpi); 40 bags of 40 parcels
//! and 400 loose parcels, bag labels for every bag.

use criterion::{criterion_group, Criterion, Throughput};
use mawb::acp::wire::{LabelFormat, LabelSize};
use mawb::archive::print::{print_mawb, Selection};
use mawb::archive::{Archive, Entity};
use mawb::ledger::{BagRow, ItemRow, Ledger, PackingRow};
use mawb::sandbox::labels::{render, LabelContent, LabelKind};
use std::time::Duration;

/// The allocator the `mawb` binary ships with, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mawb::allocator::Allocator = mawb::allocator::Allocator {};

const MAWB: &str = "112-44995451";
const PARCELS: usize = 1_960;
const BAGS: usize = 40;
const PER_BAG: usize = 39;

/// An archive and a ledger holding one MAWB of `PARCELS` parcel labels and `BAGS` bag labels (2,000).
fn mawb_of(dir: &std::path::Path, format: LabelFormat) -> (Archive, Ledger) {
    let archive = Archive::new(dir.join("archive"));
    let ledger = Ledger::in_memory().expect("ledger");
    let lines: Vec<String> = vec![
        "Ada Lovelace".into(),
        "12 Analytical Engine Way".into(),
        "Boston MA 02134".into(),
        "US".into(),
        "Weight: 1.250 kg".into(),
    ];
    let tn = |i: usize| format!("1ZACP{i:013}");
    let mut items = Vec::new();
    let mut packing = Vec::new();
    for i in 0..PARCELS {
        items.push(ItemRow {
            key: format!("S{i}"),
            tracking_number: Some(tn(i)),
            shipper_item_id: Some(format!("S{i}")),
            fingerprint: "f".into(),
            label_wanted: true,
        });
        let bag = (i < BAGS * PER_BAG).then(|| format!("B{:02}", i / PER_BAG));
        packing.push(PackingRow {
            item_key: format!("S{i}"),
            shipper_bag_id: bag.as_ref().map(|b| format!("{MAWB}-{b}")),
            bag,
            weight_kg: Some("1.250".parse().expect("decimal")),
        });
    }
    ledger.put_items(MAWB, &items).expect("items");
    ledger.put_packing(MAWB, &packing).expect("packing");
    let stage = |entity: Entity, kind: LabelKind, id: &str| {
        let bytes = render(
            format,
            LabelSize::FourBySix,
            &LabelContent {
                kind,
                id,
                title: "ACP Ground",
                lines: &lines,
            },
        );
        for r in archive.stage(MAWB, entity, id, &bytes).expect("stage") {
            ledger.put_label(&r).expect("label");
        }
    };
    for i in 0..PARCELS {
        stage(Entity::Item, LabelKind::Parcel, &tn(i));
    }
    for b in 0..BAGS {
        let bag_id = format!("{}", 1_000_000 + b);
        ledger
            .put_bag(
                MAWB,
                &BagRow {
                    shipper_bag_id: format!("{MAWB}-B{b:02}"),
                    bag_id: bag_id.clone(),
                    fingerprint: "f".into(),
                    label_wanted: true,
                },
            )
            .expect("bag");
        stage(Entity::Bag, LabelKind::Bag, &bag_id);
    }
    let rows = ledger.labels(MAWB).expect("labels");
    archive.seal(MAWB, &rows).expect("seal");
    (archive, ledger)
}

fn bench_labels(c: &mut Criterion) {
    let mut group = c.benchmark_group("labels");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .warm_up_time(Duration::from_secs(1))
        .throughput(Throughput::Elements((PARCELS + BAGS) as u64));
    for (name, format) in [
        ("pdf_2000", LabelFormat::Pdf),
        ("png_2000", LabelFormat::Png),
        ("epl2_2000", LabelFormat::Epl2),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (archive, ledger) = mawb_of(dir.path(), format);
        let out = dir.path().join("out");
        group.bench_function(name, |b| {
            b.iter(|| {
                let p = print_mawb(&archive, Some(&ledger), MAWB, &Selection::default(), &out)
                    .expect("print");
                assert_eq!(p.labels, PARCELS + BAGS);
                assert!(p.damaged.is_empty());
                p
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_labels);
fn main() {
    mawb::allocator::tune();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
