//! Throughput of the ACP wire layer on its two heavy paths: writing a maximal createManifest `data` XML
//! (12 MB scan + 20 MB HAWB file + 5000 units, ~43 MB of XML) and reading a createMailing answer of 500
//! labelled items (~30 MB, almost all label base64). Sample sizes are small on purpose: the whole run
//! takes about a minute on 2 cores.

use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use base64::Engine as _;
use criterion::{criterion_group, Criterion, Throughput};
use mawb::acp::answer::{decode_label, parse_answer};
use mawb::acp::request::{request_len, write_request, write_request_to_vec};
use mawb::acp::wire::{Answer, Attachment, Command, Manifest, ManifestPart, Request};

/// The allocator the `mawb` binary ships with, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mawb::allocator::Allocator = mawb::allocator::Allocator {};

const IMAGE_BYTES: usize = 12_000_000;
const FILE_BYTES: usize = 20_000_000;
const UNITS: usize = 5000;
const ANSWER_ITEMS: usize = 500;
const LABEL_RAW_BYTES: usize = 45_000; // ~60 KB of base64

/// Deterministic incompressible bytes (xorshift64).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn big_manifest() -> Request {
    Request::CreateManifest(Manifest {
        manifest_id: None,
        user_manifest_id: Some("WH-2026-11-24-01".into()),
        manifest_number: "112-44995451".into(),
        shipping_units: UNITS.to_string(),
        user_defined_weight: "5600.000".into(),
        user_defined_weight_uom: "kg".into(),
        image: Some(Attachment {
            name: "112-44995451.TIF".into(),
            data: noise(IMAGE_BYTES, 1),
        }),
        file: Some(Attachment {
            name: "112-44995451.zip".into(),
            data: noise(FILE_BYTES, 2),
        }),
        alert_email: Some("ops@example.com".into()),
        parts: vec![ManifestPart {
            departure_facility: "LAX".into(),
            departure_date: "2026-11-24T10:00:00".into(),
            arrival_facility: "JFK".into(),
            arrival_date: "2026-11-24T18:40:00-05:00".into(),
            carrier: "AA".into(),
            trip_number: "123".into(),
            units: (0..UNITS).map(|i| format!("1ZWE3119{i:010}")).collect(),
        }],
    })
}

fn mailing_answer() -> Vec<u8> {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><shippingApiResponse>");
    for i in 0..ANSWER_ITEMS {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(noise(LABEL_RAW_BYTES, i as u64 + 10));
        let label = base64::engine::general_purpose::STANDARD.encode(&png);
        xml.push_str(&format!(
            "<mailItem><result>ok</result><trackingNumber>1ZWE3119{i:010}</trackingNumber>\
             <shipperItemId>S-{i}</shipperItemId><labelFormat>PNG</labelFormat><label>{label}</label>\
             <destinationBag>LAX</destinationBag><isDutiable>no</isDutiable></mailItem>"
        ));
    }
    xml.push_str("</shippingApiResponse>");
    xml.into_bytes()
}

fn build_payload(c: &mut Criterion) {
    let req = big_manifest();
    let len = request_len(&req);
    let mut g = c.benchmark_group("manifest_payload");
    // Bytes of attachment input per second: the figure that decides how long a big upload is prepared.
    g.throughput(Throughput::Bytes((IMAGE_BYTES + FILE_BYTES) as u64));
    let mut out = Vec::with_capacity(len);
    g.bench_function("build_into_reused_vec", |b| {
        b.iter(|| {
            out.clear();
            write_request_to_vec(black_box(&req), &mut out).expect("valid manifest");
            black_box(out.len())
        })
    });
    assert_eq!(out.len(), len);
    g.finish();
}

fn stream_payload(c: &mut Criterion) {
    let req = big_manifest();
    let len = request_len(&req);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("payload.xml");
    let same_bytes = noise(len, 3);
    let mut g = c.benchmark_group("manifest_to_file");
    g.throughput(Throughput::Bytes(len as u64));
    g.bench_function("write_request", |b| {
        b.iter(|| {
            let f = File::create(&path).expect("create");
            write_request(black_box(&req), f).expect("write");
        })
    });
    g.bench_function("bare_write_all_same_bytes", |b| {
        b.iter(|| {
            let mut f = File::create(&path).expect("create");
            f.write_all(black_box(&same_bytes)).expect("write");
        })
    });
    g.finish();
    assert_eq!(std::fs::metadata(&path).expect("stat").len() as usize, len);
}

fn parse_labels(c: &mut Criterion) {
    let body = mailing_answer();
    let mut g = c.benchmark_group("mailing_answer");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(
            || match parse_answer(Command::CreateMailing, black_box(&body)) {
                Ok(Answer::Mailing(items)) => black_box(items.len()),
                other => panic!("unexpected {other:?}"),
            },
        )
    });
    g.bench_function("parse_and_decode_labels", |b| {
        b.iter(
            || match parse_answer(Command::CreateMailing, black_box(&body)) {
                Ok(Answer::Mailing(items)) => {
                    let mut total = 0;
                    for item in &items {
                        let label = item.label.as_ref().expect("label");
                        total += decode_label(label).expect("base64").len();
                    }
                    assert_eq!(total, ANSWER_ITEMS * (LABEL_RAW_BYTES + 8));
                    black_box(total)
                }
                other => panic!("unexpected {other:?}"),
            },
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    targets = build_payload, stream_payload, parse_labels
}
fn main() {
    mawb::allocator::tune();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
