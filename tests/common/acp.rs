//! The local ACP sandbox as the integration tests drive it: an in-process server with one key, its
//! `/_admin` endpoints (request log, objects held, faults), the local files of a series of runs, and the
//! assertions every run test makes (ACP holds exactly what `check` counted; every label archived).

use super::*;
use mawb::sandbox::{SandboxConfig, SandboxHandle};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::str::FromStr;
use std::time::{Duration, Instant};

pub const OK: i32 = 0;
pub const FAILED: i32 = 1;
pub const USAGE: i32 = 2;

/// The key of most tests' sandbox.
pub const KEY: &str = "run-cli-test-key";

/// How long an "eventually" condition may take before the test gives up (generous on purpose).
pub const EVENTUALLY: Duration = Duration::from_secs(60);

// --------------------------------------------------------------------------------------------------------
// The sandbox and its admin endpoints
// --------------------------------------------------------------------------------------------------------

/// An in-process sandbox with one key; stopped when dropped.
pub struct Acp {
    pub handle: SandboxHandle,
    pub key: String,
}

/// What one account holds at ACP, from `GET /_admin/objects`.
#[derive(Debug, Clone)]
pub struct Objects {
    pub items: Vec<Value>,
    pub bags: Vec<Value>,
    pub days: Vec<Value>,
    pub manifests: Vec<Value>,
}

impl Acp {
    pub fn start() -> Acp {
        Acp::with_key(KEY)
    }

    pub fn with_key(key: &str) -> Acp {
        let handle = mawb::sandbox::start(SandboxConfig::local(key)).expect("start the sandbox");
        Acp {
            handle,
            key: key.to_string(),
        }
    }

    pub fn endpoint(&self) -> String {
        self.handle.endpoint()
    }

    pub fn admin(&self, path: &str) -> String {
        format!("http://{}/_admin/{path}", self.handle.addr())
    }

    pub fn get(&self, path: &str) -> String {
        ureq::get(&self.admin(path))
            .call()
            .unwrap_or_else(|e| panic!("GET /_admin/{path}: {e}"))
            .into_string()
            .expect("admin answer as text")
    }

    /// The request log, one JSON object per API request, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        self.get("requests")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a request log line is JSON"))
            .collect()
    }

    /// The logged requests of `command`.
    pub fn requests_of(&self, command: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["command"] == command)
            .collect()
    }

    /// The objects of the (only) account.
    pub fn objects(&self) -> Objects {
        let v: Value = serde_json::from_str(&self.get("objects")).expect("objects as JSON");
        let accounts = v["accounts"].as_array().expect("accounts");
        assert_eq!(accounts.len(), 1, "one key, one account: {v:#}");
        let list = |k: &str| accounts[0][k].as_array().cloned().unwrap_or_default();
        Objects {
            items: list("items"),
            bags: list("bags"),
            days: list("days"),
            manifests: list("manifests"),
        }
    }

    /// Replaces the fault rules (compact syntax).
    pub fn set_faults(&self, rules: &[&str]) {
        let body = serde_json::to_string(rules).unwrap();
        ureq::post(&self.admin("faults"))
            .set("Content-Type", "application/json")
            .send_string(&body)
            .unwrap_or_else(|e| panic!("POST /_admin/faults {body}: {e}"));
    }

    pub fn clear_faults(&self) {
        ureq::delete(&self.admin("faults"))
            .call()
            .expect("DELETE /_admin/faults");
    }

    /// Waits until the request log satisfies `cond` (requests are logged once answered).
    pub fn eventually_log(&self, what: &str, cond: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let log = self.requests();
            if cond(&log) {
                return log;
            }
            assert!(
                start.elapsed() < EVENTUALLY,
                "the sandbox's request log never showed {what}; it has:\n{}",
                log_lines(&log)
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

pub fn log_lines(log: &[Value]) -> String {
    log.iter()
        .map(|r| {
            format!(
                "{} {} {} fault={}",
                r["seq"], r["command"], r["outcome"], r["fault"]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn commands_of(log: &[Value]) -> Vec<String> {
    log.iter()
        .map(|r| r["command"].as_str().unwrap_or("?").to_string())
        .collect()
}

pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn dec(v: &Value) -> Decimal {
    Decimal::from_str(text(v).trim()).unwrap_or_else(|e| panic!("{v} is not a decimal: {e}"))
}

impl Objects {
    /// Fails when any object is there twice (by the shipper's ids and by ACP's).
    pub fn assert_no_duplicates(&self) {
        pub fn unique(what: &str, list: &[Value], key: &str) {
            let mut seen = BTreeSet::new();
            for o in list {
                let k = text(&o[key]);
                if k.is_empty() {
                    continue;
                }
                assert!(
                    seen.insert(k.clone()),
                    "{what} {key} {k} is at ACP twice:\n{list:#?}"
                );
            }
        }
        unique("item", &self.items, "trackingNumber");
        unique("item", &self.items, "shipperItemId");
        unique("bag", &self.bags, "bagId");
        unique("bag", &self.bags, "shipperBagId");
        unique("day", &self.days, "dayId");
        unique("day", &self.days, "shipperDayId");
        unique("manifest", &self.manifests, "manifestId");
        unique("manifest", &self.manifests, "manifestNumber");
    }

    pub fn manifest(&self, number: &str) -> &Value {
        self.manifests
            .iter()
            .find(|m| m["manifestNumber"] == number)
            .unwrap_or_else(|| panic!("no manifest {number} at ACP: {:#?}", self.manifests))
    }

    /// The items a manifest covers: its units are days, bags or items.
    pub fn items_of_manifest(&self, number: &str) -> Vec<&Value> {
        let units: BTreeSet<String> = self.manifest(number)["units"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|part| part.as_array().cloned().unwrap_or_default())
            .map(|u| text(&u))
            .collect();
        self.items
            .iter()
            .filter(|i| {
                ["dayId", "bagId", "trackingNumber"]
                    .iter()
                    .any(|k| units.contains(&text(&i[*k])))
            })
            .collect()
    }

    pub fn tracking_numbers(&self) -> BTreeSet<String> {
        self.items
            .iter()
            .map(|i| text(&i["trackingNumber"]))
            .collect()
    }
}

// --------------------------------------------------------------------------------------------------------
// Running mawb
// --------------------------------------------------------------------------------------------------------

/// The local files of one series of runs (ledger, archive, report) inside a workdir.
pub struct Local {
    pub state: PathBuf,
    pub archive: PathBuf,
    pub report: PathBuf,
}

impl Local {
    pub fn new(wd: &Workdir, name: &str) -> Local {
        Local {
            state: wd.join(format!("{name}/state.sqlite")),
            archive: wd.join(format!("{name}/archive")),
            report: wd.join(format!("{name}/report.json")),
        }
    }
}

/// `mawb run BATCH --endpoint URL --state … --archive … --json … EXTRA…` with the sandbox's key.
pub fn run_args(acp: &Acp, batch: &Path, local: &Local, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "run".into(),
        batch.display().to_string(),
        "--endpoint".into(),
        acp.endpoint(),
        "--state".into(),
        local.state.display().to_string(),
        "--archive".into(),
        local.archive.display().to_string(),
        "--json".into(),
        local.report.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs a batch; returns the process output and the `--json` report.
pub fn run(
    wd: &Workdir,
    acp: &Acp,
    batch: &Path,
    local: &Local,
    extra: &[&str],
) -> (Output, Value) {
    let _ = std::fs::remove_file(&local.report);
    let mut cmd = wd.mawb();
    cmd.args(run_args(acp, batch, local, extra))
        .env("ACP_API_KEY", &acp.key);
    let o = wd.run(&mut cmd);
    assert_no_panic(&o);
    let report = std::fs::read(&local.report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| {
            panic!(
                "mawb run wrote no JSON report\nstdout:\n{}\nstderr:\n{}",
                stdout(&o),
                stderr(&o)
            )
        });
    (o, report)
}

/// Runs a batch and expects exit 0.
pub fn run_ok(wd: &Workdir, acp: &Acp, batch: &Path, local: &Local, extra: &[&str]) -> Value {
    let (o, report) = run(wd, acp, batch, local, extra);
    assert_exit(&o, OK);
    report
}

/// MAWB number → outcome of a run report.
pub fn outcomes(report: &Value) -> BTreeMap<String, Value> {
    report["mawbs"]
        .as_array()
        .expect("mawbs in the report")
        .iter()
        .map(|m| (text(&m["manifest_number"]), m["outcome"].clone()))
        .collect()
}

pub fn statuses(report: &Value) -> BTreeMap<String, String> {
    outcomes(report)
        .into_iter()
        .map(|(k, o)| (k, text(&o["status"])))
        .collect()
}

/// A label batch of `mawbs` MAWBs and `hawbs` items written by `mawb samples`.
pub fn sample_batch(wd: &Workdir, mawbs: usize, hawbs: usize, seed: u64, label: u8) -> PathBuf {
    wd.samples_with(mawbs, hawbs, seed, &["--label", &label.to_string()])
}

/// The `mawb check --json` report of a batch (the pipeline's own totals).
pub fn check_report(wd: &Workdir, batch: &Path) -> Value {
    let (o, v) = check_json(wd, &[batch.display().to_string()]);
    assert_exit(&o, OK);
    v
}

/// Asserts that ACP holds exactly what `check` counted: one manifest per MAWB with its items, bags,
/// day and weight, and nothing else.
pub fn assert_acp_holds_exactly(objs: &Objects, check: &Value) {
    objs.assert_no_duplicates();
    let totals = &check["totals"];
    let mawbs = check["mawbs"].as_array().expect("mawbs");
    assert_eq!(
        objs.items.len() as u64,
        totals["items"].as_u64().unwrap(),
        "items"
    );
    assert_eq!(
        objs.bags.len() as u64,
        totals["bags"].as_u64().unwrap(),
        "bags"
    );
    assert_eq!(objs.days.len(), mawbs.len(), "one day per MAWB");
    assert_eq!(objs.manifests.len(), mawbs.len(), "one manifest per MAWB");
    let weight: Decimal = objs.items.iter().map(|i| dec(&i["weight"])).sum();
    assert_eq!(weight, dec(&totals["weight_kg"]), "total item weight");
    for m in mawbs {
        let number = text(&m["manifest_number"]);
        let man = objs.manifest(&number);
        let t = &m["totals"];
        assert_eq!(man["numItems"], t["items"], "{number} items: {man:#}");
        assert_eq!(man["numBags"], t["bags"], "{number} bags: {man:#}");
        assert_eq!(man["numDays"], 1, "{number} days: {man:#}");
        assert_eq!(
            dec(&man["weight"]),
            dec(&t["weight_kg"]),
            "{number} weight: {man:#}"
        );
        assert_eq!(
            objs.items_of_manifest(&number).len() as u64,
            t["items"].as_u64().unwrap(),
            "{number}: items reachable from the manifest's units"
        );
    }
}

/// The entries of a zip: name → (stored?, bytes).
pub fn zip_entries(path: &Path) -> BTreeMap<String, (bool, Vec<u8>)> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut z =
        zip::ZipArchive::new(f).unwrap_or_else(|e| panic!("{} is a zip: {e}", path.display()));
    let mut out = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).expect("zip entry");
        let stored = e.compression() == zip::CompressionMethod::Stored;
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).expect("read a zip entry");
        out.insert(e.name().to_string(), (stored, bytes));
    }
    out
}

pub const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Asserts that every item of every MAWB of `check` has its label in `ARCH/<MAWB>/labels.zip` (a stored
/// PNG) and in the MAWB's index.csv.
pub fn assert_every_item_label_archived(objs: &Objects, check: &Value, archive: &Path) {
    for m in check["mawbs"].as_array().expect("mawbs") {
        let number = text(&m["manifest_number"]);
        let dir = archive.join(&number);
        let entries = zip_entries(&dir.join("labels.zip"));
        let index = std::fs::read_to_string(dir.join("index.csv")).expect("index.csv");
        let items = objs.items_of_manifest(&number);
        let item_entries = entries.keys().filter(|n| n.starts_with("item-")).count();
        assert_eq!(
            item_entries,
            items.len(),
            "{number}: one item label per item; the zip holds {:?}",
            entries.keys().collect::<Vec<_>>()
        );
        for i in items {
            let tn = text(&i["trackingNumber"]);
            let name = format!("item-{tn}.png");
            let (stored, bytes) = entries.get(&name).unwrap_or_else(|| {
                panic!(
                    "{number}: no label {name} in labels.zip ({:?})",
                    entries.keys().collect::<Vec<_>>()
                )
            });
            assert!(*stored, "{name} is stored, not compressed");
            assert!(bytes.starts_with(PNG_MAGIC), "{name} is a PNG");
            assert!(
                index.lines().any(|l| l.starts_with(&format!("item,{tn},"))),
                "{number}: index.csv lists {tn}:\n{index}"
            );
        }
    }
}

// --------------------------------------------------------------------------------------------------------
// A hand-made MAWB folder (the common fixtures): 112-44995451, TN00000001… 1 kg each, a day
// --------------------------------------------------------------------------------------------------------

/// `n` items; the first `bagged` in bag `B1`, the rest loose.
pub fn sheet(n: usize, bagged: usize) -> Sheet {
    let mut s = Sheet::hawbs(1, n);
    for r in 0..bagged {
        s.set(r, "bag", "B1");
    }
    s
}

/// `batch/112-44995451` with `sheet` as hawbs.csv and a `mawb.toml` grouping a day, with `trip`.
pub fn hand_made_batch(wd: &Workdir, sheet: &Sheet, trip: &str) -> PathBuf {
    hand_made_batch_with(wd, sheet, trip, true)
}

/// Like [`hand_made_batch`]; `day`: whether `mawb.toml` has `create_day = true`.
pub fn hand_made_batch_with(wd: &Workdir, sheet: &Sheet, trip: &str, day: bool) -> PathBuf {
    let dir = wd.mawb_folder("batch/112-44995451", sheet);
    write_toml(&dir, trip, day);
    wd.join("batch")
}

pub fn write_toml(dir: &Path, trip: &str, day: bool) {
    let text = mawb_toml_text(VALID_MAWB, &format!("create_day = {day}"))
        .replace("trip = \"123\"", &format!("trip = \"{trip}\""));
    write_file(&dir.join("mawb.toml"), text.as_bytes());
}
