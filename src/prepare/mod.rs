//! `prepare`: every request a run would send for one MAWB, written to a folder for review, nothing sent.
//!
//! This is the airline MAWB upload preparation: the operator sees, byte for byte, the XML that will go
//! out (in send order, `NNN-command.xml`), its non-XML parameters (`NNN-command.params`), the generated
//! manifest file, and `summary.json` with the counts and every size against its budget. Ids that only ACP
//! can assign (bag ids, the day id, tracking numbers of labelled items) appear as `{bagId:SHIPPER_BAG_ID}`
//! placeholders; a run fills them in and checks the size budget again before sending.

use crate::acp::budget::{self, Breakdown};
use crate::acp::request::write_request;
use crate::acp::wire::{Command, Params, Request};
use crate::check::CheckedMawb;
use crate::model::{format_fixed, WEIGHT_SCALE};
use crate::plan::{self, KnownIds, PlanOptions, Step};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

mod unit;
pub use unit::{OutputUnit, UnitError, MARKER};

/// One request file written.
#[derive(Debug, Clone, Serialize)]
pub struct PreparedRequest {
    pub seq: usize,
    pub command: String,
    pub file: String,
    pub params: Vec<(String, String)>,
    pub bytes: u64,
    /// Mail items the request carries or names.
    pub items: usize,
}

/// A size against its limit.
#[derive(Debug, Clone, Serialize)]
pub struct Budgeted {
    pub bytes: usize,
    pub limit: usize,
    pub fits: bool,
}

impl Budgeted {
    fn new(bytes: usize, limit: usize, strictly_below: bool) -> Budgeted {
        let fits = if strictly_below {
            bytes < limit
        } else {
            bytes <= limit
        };
        Budgeted { bytes, limit, fits }
    }
}

/// `summary.json` of a prepared MAWB.
#[derive(Debug, Clone, Serialize)]
pub struct PrepareSummary {
    pub manifest_number: String,
    pub user_manifest_id: String,
    pub out_dir: String,
    pub items: usize,
    pub product_lines: usize,
    pub bags: usize,
    pub loose_items: usize,
    pub shipping_units: usize,
    pub weight_kg: String,
    pub declared_weight: String,
    pub declared_weight_unit: String,
    pub legs: usize,
    pub requests: Vec<PreparedRequest>,
    pub manifest_file: String,
    /// `data` XML of createManifest: must stay strictly below 49,999,000 bytes.
    pub data: Budgeted,
    /// Raw bytes of the MAWB scan: at most 12,000,000.
    pub image: Budgeted,
    /// Raw bytes of the manifest file: at most 20,000,000.
    pub file: Budgeted,
    pub breakdown: BreakdownJson,
    /// Ids ACP assigns at run time and that are placeholders in these files.
    pub placeholders: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakdownJson {
    pub image: usize,
    pub file: usize,
    pub units: usize,
    pub rest: usize,
    pub total: usize,
}

impl From<Breakdown> for BreakdownJson {
    fn from(b: Breakdown) -> Self {
        BreakdownJson {
            image: b.image,
            file: b.file,
            units: b.units,
            rest: b.rest,
            total: b.total,
        }
    }
}

/// Why a MAWB could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("{0} has errors; fix them first (mawb check shows them)")]
    NotSendable(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Manifest(#[from] plan::ManifestError),
}

/// Writes every request of `checked` into the folder `out` (created), with plain writes: durability and
/// all-or-nothing come from the [`OutputUnit`] the folder sits in. `shown_as` is the folder's final name,
/// recorded as `out_dir` in `summary.json`.
pub fn prepare(
    checked: &CheckedMawb,
    out: &Path,
    shown_as: &Path,
    opts: &PlanOptions,
) -> Result<PrepareSummary, PrepareError> {
    let m = &checked.mawb;
    let Some(c) = m.config.as_ref().filter(|_| checked.sendable()) else {
        return Err(PrepareError::NotSendable(m.display_name()));
    };
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| PrepareError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let ids = KnownIds::default();
    let mut requests = Vec::new();
    let mut write =
        |name: &str, params: Params, body: Body<'_>, items: usize| -> Result<(), PrepareError> {
            let seq = requests.len() + 1;
            let file = format!("{seq:03}-{name}.xml");
            let path = out.join(&file);
            let (command, bytes) = match body {
                Body::Request(req) => (
                    req.command(),
                    write_file(&path, |w| write_request(req, w)).map_err(io(&path))?,
                ),
                Body::Data(command, data) => (
                    command,
                    write_file(&path, |w| w.write_all(data)).map_err(io(&path))?,
                ),
            };
            let pairs: Vec<(String, String)> =
                std::iter::once(("command".to_string(), command.to_string()))
                    .chain(params.pairs().into_iter().map(|(k, v)| (k.to_string(), v)))
                    .collect();
            let text: String = pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect::<String>()
                + "# apikey is added at send time from the environment and never written\n";
            let ppath = out.join(format!("{seq:03}-{name}.params"));
            write_file(&ppath, |w| w.write_all(text.as_bytes())).map_err(io(&ppath))?;
            requests.push(PreparedRequest {
                seq,
                command: command.to_string(),
                file,
                params: pairs,
                bytes,
                items,
            });
            Ok(())
        };

    // The plan of a MAWB never sent: the same steps a run executes against an empty ledger (which
    // holds no fingerprint to compare with, so none is computed).
    let frags = plan::ItemFragments::unfingerprinted(m);
    let fresh = plan::LedgerView::default();
    let d = plan::diff(m, &frags, &fresh, c.create_day);
    let steps = plan::steps(m, &frags, &fresh, &d, false, opts);
    let nb = steps
        .iter()
        .filter(|s| matches!(s, Step::CreateItems(_)))
        .count();
    let mut k = 0;
    for step in &steps {
        match step {
            Step::CreateItems(batch) => {
                k += 1;
                let name = if nb > 1 {
                    format!("createMailing-batch{k}")
                } else {
                    "createMailing-batch".to_string()
                };
                // The items' own serialisations, as a run sends them (byte-identical to writing
                // `plan::mailing_request` of the batch, without converting and writing each item again).
                write(
                    &name,
                    plan::mailing_params(m, false, opts),
                    Body::Data(Command::CreateMailing, &frags.batch_data(batch)),
                    batch.len(),
                )?;
            }
            &Step::CreateLabelledItem(i) => {
                let sid = m.items[i].shipper_item_id.clone().unwrap_or_default();
                write(
                    &format!("createMailing-label-{}", file_safe(&sid)),
                    plan::mailing_params(m, true, opts),
                    Body::Request(&plan::mailing_request(m, &[i])),
                    1,
                )?;
            }
            &Step::CreateBag(b) => {
                let bag = &m.bags[b];
                write(
                    &format!("createBag-{}", file_safe(&bag.shipper_bag_id)),
                    plan::bag_params(m, opts),
                    Body::Request(&plan::bag_request(m, b, &ids)),
                    bag.items.len(),
                )?;
            }
            Step::CreateDay => {
                write(
                    "createDay",
                    plan::day_params(m, opts),
                    Body::Request(&plan::day_request(m, &ids, 1)),
                    m.items.len(),
                )?;
            }
            // Written below with its attachments; a plan against an empty ledger cancels nothing.
            Step::UploadManifest | Step::Reconcile => {}
            Step::DetachFromManifest
            | Step::CancelDay
            | Step::CancelBag(_)
            | Step::CancelItems(_) => {}
        }
    }
    let (manifest, breakdown) = plan::manifest_request(checked, &ids, 1, None, opts)?;
    let Request::CreateManifest(wm) = &manifest else {
        return Err(PrepareError::NotSendable(m.display_name()));
    };
    let (file_name, file_len, image_len) = (
        wm.file.as_ref().map(|f| f.name.clone()).unwrap_or_default(),
        wm.file.as_ref().map_or(0, |f| f.data.len()),
        wm.image.as_ref().map_or(0, |f| f.data.len()),
    );
    if let Some(f) = &wm.file {
        let p = out.join(&f.name);
        write_file(&p, |w| w.write_all(&f.data)).map_err(io(&p))?;
    }
    write(
        "createManifest",
        Params {
            test_mode: opts.test_mode,
            ..Default::default()
        },
        Body::Request(&manifest),
        m.items.len(),
    )?;
    let placeholders = wm
        .parts
        .first()
        .map_or(0, |p| p.units.iter().filter(|u| u.starts_with('{')).count());

    let (weight, uom) = plan::declared_weight(checked);
    let summary = PrepareSummary {
        manifest_number: c.manifest_number.clone(),
        user_manifest_id: c.user_manifest_id().to_string(),
        out_dir: shown_as.display().to_string(),
        items: checked.totals.items,
        product_lines: checked.totals.product_lines,
        bags: checked.totals.bags,
        loose_items: checked.totals.loose_items,
        shipping_units: checked.totals.shipping_units,
        weight_kg: format_fixed(checked.totals.weight_kg, WEIGHT_SCALE),
        declared_weight: weight,
        declared_weight_unit: uom.to_string(),
        legs: c.legs.len(),
        requests,
        manifest_file: file_name,
        data: Budgeted::new(breakdown.total, budget::DATA_LIMIT, true),
        image: Budgeted::new(image_len, budget::IMAGE_LIMIT, false),
        file: Budgeted::new(file_len, budget::FILE_LIMIT, false),
        breakdown: breakdown.into(),
        placeholders,
    };
    let sp = out.join("summary.json");
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| PrepareError::Io {
        path: sp.display().to_string(),
        source: std::io::Error::other(e),
    })?;
    write_file(&sp, |w| w.write_all(&json)).map_err(io(&sp))?;
    Ok(summary)
}

/// A name safe in a file name (ids may hold `/` or spaces).
fn file_safe(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if t.is_empty() {
        "_".into()
    } else {
        t
    }
}

/// What a request file holds: a request to write, or a command's `data` already written.
enum Body<'a> {
    Request(&'a Request),
    Data(Command, &'a [u8]),
}

/// Writes a new file through a buffer, without fsync; returns its length in bytes.
fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(64 * 1024, file);
    fill(&mut w)?;
    let file = w.into_inner().map_err(|e| e.into_error())?;
    let len = file.metadata()?.len();
    if len >= START_WRITEBACK {
        start_writeback(&file);
    }
    Ok(len)
}

/// Files from this size on (createMailing batches, hundreds of kilobytes each; the createManifest request
/// and the HAWB file, megabytes each: 94% of the bytes of a prepared night) are handed to the disk as soon
/// as they are written, so that the one sync of the output folder finds less to wait for. The thousands of
/// smaller files (bags, days, params) are left to that sync: a write started for each would cost a call
/// and a disk request per file.
const START_WRITEBACK: u64 = 64 << 10;

/// Starts writing `file`'s dirty pages to the disk without waiting (`sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`). Only a head start: durability still comes from the output unit's sync, so
/// a failure here is ignored.
fn start_writeback(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the call's duration; the call reads no memory of ours.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
}

/// What became of one MAWB of a prepare: `None` when it has errors and was not written.
pub type Prepared = Option<Result<PrepareSummary, PrepareError>>;

/// Prepares every sendable MAWB of `mawbs` (read from `input`) into `out`, as one [`OutputUnit`]: the
/// MAWBs are written in parallel (rayon) under a temporary sibling, synced once and renamed into place.
/// `batch` puts each MAWB in a subfolder of `out` ([`out_dir_for`]). The folder is put into place when at
/// least one MAWB was written; otherwise nothing appears and an earlier output stays as it was.
/// Returns one entry per MAWB, in order.
///
/// # Errors
/// [`UnitError`] when `out` cannot be used (it holds the input or other files) or cannot be written,
/// synced or renamed; then nothing new appears under `out`.
pub fn prepare_all(
    mawbs: &[CheckedMawb],
    input: &Path,
    out: &Path,
    batch: bool,
    opts: &PlanOptions,
) -> Result<Vec<Prepared>, UnitError> {
    use rayon::prelude::*;
    if !mawbs.iter().any(CheckedMawb::sendable) {
        return Ok(mawbs.iter().map(|_| None).collect());
    }
    let unit = OutputUnit::begin(out, input)?;
    let results: Vec<Prepared> = mawbs
        .par_iter()
        .map(|m| {
            m.sendable().then(|| {
                prepare(
                    m,
                    &out_dir_for(unit.path(), m, batch),
                    &out_dir_for(out, m, batch),
                    opts,
                )
            })
        })
        .collect();
    if results.iter().any(|r| matches!(r, Some(Ok(_)))) {
        unit.commit()?;
    }
    Ok(results)
}

/// The folder a MAWB is prepared into when a batch is prepared: one subfolder per MAWB.
pub fn out_dir_for(out: &Path, checked: &CheckedMawb, batch: bool) -> PathBuf {
    if batch {
        out.join(checked.mawb.folder_name())
    } else {
        out.to_path_buf()
    }
}
