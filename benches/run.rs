//! `mawb run`'s path end to end against the in-process sandbox over loopback (`Runner::check_and_run`:
//! each MAWB folder checked, then sent): items registered per second with label=0 batches of 500, and with
//! one createMailing per item returning a PNG label. Both the
//! client and the sandbox share the machine, so the figure is the pair's, as in `mawb demo`.

use criterion::{criterion_group, BatchSize, Criterion, Throughput};
use mawb::acp::client::{Client, ClientConfig, Secret};
use mawb::archive::Archive;
use mawb::check::{check_paths, CheckOptions};
use mawb::flow::Services;
use mawb::ingest::discover;
use mawb::ledger::Ledger;
use mawb::plan::PlanOptions;
use mawb::runner::Runner;
use mawb::samples::{generate, SampleFormat, SampleOptions};
use mawb::sandbox::{start, SandboxConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The allocator the `mawb` binary ships with, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mawb::allocator::Allocator = mawb::allocator::Allocator {};

const KEY: &str = "bench-key";

/// A valid sample batch; returns its MAWB folders.
fn batch(dir: &Path, mawbs: usize, hawbs: usize, label: u8) -> Vec<PathBuf> {
    let out = dir.join(format!("batch-{label}"));
    generate(
        &out,
        &SampleOptions {
            mawbs,
            hawbs,
            seed: 41,
            formats: vec![SampleFormat::Csv],
            label,
        },
    )
    .expect("sample batch");
    let report = check_paths(std::slice::from_ref(&out), &CheckOptions::default(), &|| {});
    assert!(report.all_sendable(), "the sample batch must be valid");
    let (dirs, problems) = discover(&[out]);
    assert!(problems.is_empty(), "{problems:?}");
    dirs
}

fn bench_run(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sandbox = start(SandboxConfig::local(KEY)).expect("sandbox");
    let reset = format!("{}_admin/reset", sandbox.endpoint());
    let client = Arc::new(
        Client::new(ClientConfig::new(&sandbox.endpoint(), Secret::new(KEY))).expect("client"),
    );
    let mut group = c.benchmark_group("run");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));

    for (name, mawbs, hawbs, label) in [
        ("label0_batches", 4, 8_000, 0u8),
        ("png_label_per_item", 1, 300, 1u8),
    ] {
        let dirs = batch(dir.path(), mawbs, hawbs, label);
        group.throughput(Throughput::Elements(hawbs as u64));
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    ureq::post(&reset).call().expect("sandbox reset");
                    let arch = tempfile::tempdir().expect("archive dir");
                    (Ledger::in_memory().expect("ledger"), arch)
                },
                |(ledger, arch)| {
                    let services = Services {
                        client: Arc::clone(&client),
                        ledger: Arc::new(ledger),
                        archive: Arc::new(Archive::new(arch.path())),
                        plan: PlanOptions::default(),
                    };
                    let runner = Runner {
                        services: &services,
                        jobs: 4,
                    };
                    let (_, outcomes) = runner
                        .check_and_run(
                            &dirs,
                            Vec::new(),
                            &CheckOptions::default(),
                            &|_| {},
                            &|_| {},
                            &|_, _| {},
                        )
                        .expect("the ledger is readable");
                    assert!(
                        outcomes.iter().all(|o| o.is_success()),
                        "{:?}",
                        outcomes.iter().find(|o| !o.is_success())
                    );
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    sandbox.shutdown();
}

criterion_group!(benches, bench_run);
fn main() {
    mawb::allocator::tune();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
