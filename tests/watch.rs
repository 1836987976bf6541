//! `mawb watch DROP_DIR` driven through the real binary against an in-process sandbox on loopback:
//! readiness (READY marker, settling, partial files), exactly-once upload of many folders, a SIGKILL in
//! mid-flight, invalid folders, transient ACP failures, the single-owner lock, re-dropped folders, and
//! faults forced inside the watcher (`MAWB_TEST_FAULT`, debug builds): a reader panic, a worker panic and
//! a worker that never returns.
//!
//! Every wait is an "eventually" loop with a generous deadline; short intervals come from the watcher's
//! own flags (`--poll-interval 0.2`, `--retry-min 0.3`…), never from sleeps that assume a speed.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const KEY: &str = "watch-test-key";
/// The bound of every "eventually" (folders here take well under a second each).
const LONG: Duration = Duration::from_secs(40);

/// A drop folder in a workdir, with a sandbox to upload to.
struct Rig {
    wd: Workdir,
    sandbox: mawb::sandbox::SandboxHandle,
    /// `MAWB_TEST_FAULT` for every watcher this rig starts.
    fault: Option<String>,
}

impl Rig {
    fn new() -> Rig {
        Rig {
            wd: Workdir::new(),
            sandbox: start_sandbox(KEY),
            fault: None,
        }
    }

    /// A rig whose watchers run with the fault `spec` forced (see `mawb::contain`).
    fn with_fault(spec: &str) -> Rig {
        Rig {
            fault: Some(spec.to_string()),
            ..Rig::new()
        }
    }

    fn endpoint(&self) -> String {
        self.sandbox.endpoint()
    }

    fn drop_dir(&self) -> PathBuf {
        self.wd.join("drop")
    }

    fn sub(&self, sub: &str) -> PathBuf {
        self.drop_dir().join(sub)
    }

    /// `mawb watch drop ARGS…` with the sandbox's endpoint and key and quick test timings.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.wd.mawb();
        cmd.env("ACP_ENDPOINT", self.endpoint())
            .env("ACP_API_KEY", KEY)
            .env("RUST_LOG", "info")
            .args(["watch", "drop", "--heartbeat", "0", "--attempts", "1"])
            .args(["--retry-min", "0.3", "--retry-max", "1"])
            .args(args);
        if let Some(f) = &self.fault {
            cmd.env(mawb::contain::FAULT_ENV, f);
        }
        cmd
    }

    /// Runs `mawb watch drop --once ARGS…` to the end.
    fn once(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = self.command(&["--once"]);
        cmd.args(args);
        self.wd.run(&mut cmd)
    }

    /// Starts a long-running watcher (its output goes to files in the workdir).
    fn spawn(&self, tag: &str, args: &[&str]) -> Watcher {
        let out = self.wd.join(format!("{tag}.stdout"));
        let err = self.wd.join(format!("{tag}.stderr"));
        let mut cmd = self.command(args);
        cmd.stdin(Stdio::null())
            .stdout(fs::File::create(&out).expect("create the stdout file"))
            .stderr(fs::File::create(&err).expect("create the stderr file"));
        let child = cmd.spawn().expect("start mawb watch");
        let w = Watcher {
            child: Some(child),
            err,
        };
        // Started means: the lock is taken and the folders exist.
        eventually(LONG, "the watcher to take its lock", || {
            self.drop_dir()
                .join(".mawb-watch.lock")
                .exists()
                .then_some(())
        });
        w
    }

    /// Sample MAWB folders (csv), named by manifest number.
    fn samples(&self, mawbs: usize, hawbs: usize, seed: u64) -> Vec<PathBuf> {
        let batch = self
            .wd
            .samples_with(mawbs, hawbs, seed, &["--formats", "csv"]);
        self.wd.mawb_dirs(&batch)
    }

    /// Waits for `sub/NAME` (done/failed) to hold its report and returns the report.
    fn wait_report(&self, sub: &str, name: &str) -> Value {
        let report = self.sub(sub).join(name).join("report.json");
        eventually(LONG, &format!("{sub}/{name}/report.json"), || {
            report.exists().then_some(())
        });
        let text = fs::read_to_string(&report).expect("read report.json");
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("report.json is not JSON ({e}): {text}"))
    }

    fn objects(&self) -> Value {
        let all = sandbox_admin_json(&self.endpoint(), "_admin/objects");
        let accounts = all["accounts"].as_array().cloned().unwrap_or_default();
        assert!(accounts.len() <= 1, "one key, one account: {all}");
        accounts.into_iter().next().unwrap_or(Value::Null)
    }

    fn requests(&self) -> Vec<Value> {
        sandbox_requests(&self.endpoint())
    }
}

/// A long-running `mawb watch`, killed when dropped.
struct Watcher {
    child: Option<Child>,
    err: PathBuf,
}

impl Watcher {
    fn stderr(&self) -> String {
        fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("running")
    }

    /// Sends SIGTERM and waits for the exit code.
    fn terminate(mut self) -> i32 {
        let pid = self.pid().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid} failed");
        let mut child = self.child.take().expect("running");
        let code = eventually(LONG, "the watcher to stop after SIGTERM", || {
            child.try_wait().expect("wait for the watcher")
        });
        code.code()
            .unwrap_or_else(|| panic!("killed by a signal: {code:?}\n{}", self.stderr()))
    }

    /// SIGKILL: no chance to clean up.
    fn kill9(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL the watcher");
        let _ = child.wait();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Copies the plain files of `from` into `to` (created), in name order.
fn copy_folder(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create the target folder");
    for f in files_of(from) {
        fs::copy(&f, to.join(f.file_name().expect("a file name"))).expect("copy a file");
    }
}

fn files_of(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .expect("list a folder")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| name_of(&e.path()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The manifests at the sandbox by manifest number, with their item counts.
fn manifests_by_number(objects: &Value) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for m in objects["manifests"].as_array().into_iter().flatten() {
        let number = m["manifestNumber"]
            .as_str()
            .unwrap_or_default()
            .replace('-', "");
        out.entry(number)
            .or_default()
            .push(m["numItems"].as_u64().unwrap_or(u64::MAX));
    }
    out
}

fn items_in_report(report: &Value) -> u64 {
    report["mawbs"][0]["totals"]["items"]
        .as_u64()
        .unwrap_or_else(|| panic!("report without mawbs[0].totals.items: {report}"))
}

/// No tracking number twice among the sandbox's live items.
fn assert_no_duplicate_items(objects: &Value) {
    let mut seen = BTreeSet::new();
    for i in objects["items"].as_array().into_iter().flatten() {
        if i["status"].as_str().is_some_and(|s| s.contains("cancel")) {
            continue;
        }
        let key = i["trackingNumber"].to_string();
        assert!(
            seen.insert(key.clone()),
            "item {key} is twice at the sandbox"
        );
    }
}

#[test]
fn a_slow_copy_without_ready_waits_until_it_has_settled() {
    let rig = Rig::new();
    let src = rig.samples(1, 6, 11).remove(0);
    let w = rig.spawn(
        "settle",
        &["--settle", "2", "--poll", "--poll-interval", "0.2"],
    );
    let target = rig.sub("inbox").join(name_of(&src));
    fs::create_dir_all(&target).unwrap();
    let files = files_of(&src);
    // File by file, each arriving as a growing .part that is renamed when complete.
    for f in &files {
        let name = name_of(f);
        let bytes = fs::read(f).unwrap();
        let part = target.join(format!("{name}.part"));
        let half = bytes.len() / 2;
        fs::write(&part, &bytes[..half]).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        fs::write(&part, &bytes).unwrap();
        // A .part file holds the folder back however long it sits there (longer than --settle here).
        if f == files.last().unwrap() {
            std::thread::sleep(Duration::from_millis(2600));
        }
        assert!(
            target.is_dir(),
            "taken while {name}.part was still in it:\n{}",
            w.stderr()
        );
        fs::rename(&part, target.join(&name)).unwrap();
        assert!(target.is_dir(), "taken in the middle of the copy");
    }
    let report = rig.wait_report("done", &name_of(&src));
    assert_eq!(report["mawbs"][0]["outcome"]["status"], "sent", "{report}");
    assert_eq!(
        report["mawbs"][0]["outcome"]["watch"]["ready_by"],
        "settled"
    );
    assert!(entries(&rig.sub("inbox")).is_empty());
    assert!(!rig
        .sub("done")
        .join(name_of(&src))
        .join(".mawb-watch.json")
        .exists());
    assert_eq!(w.terminate(), 0);
}

#[test]
fn ready_written_last_is_picked_promptly_and_nothing_before_it() {
    let rig = Rig::new();
    let src = rig.samples(1, 5, 12).remove(0);
    // Filesystem events (no --poll), READY only, and a rescan too slow to matter.
    let w = rig.spawn("ready", &["--rescan", "600"]);
    let name = name_of(&src);
    let target = rig.sub("inbox").join(&name);
    fs::create_dir_all(&target).unwrap();
    for f in files_of(&src) {
        fs::copy(&f, target.join(name_of(&f))).unwrap();
        std::thread::sleep(Duration::from_millis(400));
        assert!(target.is_dir(), "taken without READY");
    }
    // A hidden or temporary file is not a marker and changes nothing.
    fs::write(target.join(".READY.swp"), b"").unwrap();
    fs::write(target.join("READY.tmp"), b"").unwrap();
    std::thread::sleep(Duration::from_millis(600));
    assert!(target.is_dir(), "taken without READY");
    fs::remove_file(target.join("READY.tmp")).unwrap();
    let t0 = std::time::Instant::now();
    fs::write(target.join("READY"), b"").unwrap();
    let report = rig.wait_report("done", &name);
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(15), "READY → done took {took:?}");
    assert_eq!(
        report["mawbs"][0]["outcome"]["watch"]["ready_by"],
        "READY marker"
    );
    assert_eq!(
        report["command"], "watch",
        "the run --json schema with command watch: {report}"
    );
    let txt = fs::read_to_string(rig.sub("done").join(&name).join("report.txt")).unwrap();
    assert!(txt.contains("result: done (sent)"), "{txt}");
    assert_eq!(w.terminate(), 0);
    assert!(
        !rig.drop_dir().join(".mawb-watch.lock").exists(),
        "a clean stop removes the lock"
    );
}

#[test]
fn fifty_folders_dropped_at_once_are_each_uploaded_exactly_once() {
    let rig = Rig::new();
    let dirs = rig.samples(50, 400, 13);
    assert_eq!(dirs.len(), 50);
    for d in &dirs {
        copy_folder(d, &rig.sub("inbox").join(name_of(d)));
    }
    for d in &dirs {
        fs::write(rig.sub("inbox").join(name_of(d)).join("READY"), b"").unwrap();
    }
    let o = rig.once(&["--jobs", "2"]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains("50 done, 0 failed, 0 left"),
        "{}",
        stdout(&o)
    );
    let objects = rig.objects();
    let at_acp = manifests_by_number(&objects);
    assert_eq!(at_acp.len(), 50, "50 manifests at the sandbox: {at_acp:?}");
    let mut total = 0;
    for d in &dirs {
        let name = name_of(d);
        let report = rig.wait_report("done", &name);
        let items = items_in_report(&report);
        total += items;
        let number = report["mawbs"][0]["manifest_number"]
            .as_str()
            .unwrap()
            .replace('-', "");
        assert_eq!(
            at_acp.get(&number),
            Some(&vec![items]),
            "{name}: exactly one manifest with {items} items"
        );
    }
    assert_no_duplicate_items(&objects);
    assert_eq!(
        objects["items"].as_array().map(Vec::len),
        Some(total as usize),
        "every item once"
    );
    let requests = rig.requests();
    assert_eq!(sandbox_count(&requests, "createManifest"), 50);
    assert_eq!(sandbox_count(&requests, "modifyManifest"), 0);
    assert!(entries(&rig.sub("processing")).is_empty());
    assert!(entries(&rig.sub("failed")).is_empty());
}

#[test]
fn a_watcher_killed_in_mid_flight_resumes_without_duplicates() {
    let rig = Rig::new();
    let src = rig.samples(1, 12, 14).remove(0);
    let name = name_of(&src);
    // createManifest is answered 4 s late: the kill lands after the items and bags were registered,
    // while the manifest is in flight.
    sandbox_admin_post(
        &rig.endpoint(),
        "_admin/faults",
        r#"["createManifest:nth=1:delay=4000"]"#,
    );
    let w = rig.spawn("killed", &["--poll", "--poll-interval", "0.2"]);
    copy_folder(&src, &rig.sub("inbox").join(&name));
    fs::write(rig.sub("inbox").join(&name).join("READY"), b"").unwrap();
    eventually(LONG, "the items to be registered", || {
        let r = rig.requests();
        (sandbox_count(&r, "createMailing") >= 1 && sandbox_count(&r, "createBag") >= 1)
            .then_some(())
    });
    std::thread::sleep(Duration::from_millis(1000));
    w.kill9();
    assert!(
        rig.sub("processing").join(&name).is_dir(),
        "a killed watcher leaves the folder in processing/"
    );
    let before = rig.requests();
    let o = rig.once(&[]);
    assert_exit(&o, 0);
    assert!(
        stderr(&o).contains("taking over the stale lock"),
        "{}",
        stderr(&o)
    );
    let report = rig.wait_report("done", &name);
    let outcome = &report["mawbs"][0]["outcome"];
    assert_eq!(
        outcome["items_created"], 0,
        "resumed, not registered again: {outcome}"
    );
    let items = items_in_report(&report);
    let objects = rig.objects();
    assert_no_duplicate_items(&objects);
    assert_eq!(
        objects["items"].as_array().map(Vec::len),
        Some(items as usize)
    );
    let at_acp = manifests_by_number(&objects);
    assert_eq!(
        at_acp.values().map(Vec::len).sum::<usize>(),
        1,
        "{at_acp:?}"
    );
    let after = rig.requests();
    assert_eq!(
        sandbox_count(&after, "createMailing"),
        sandbox_count(&before, "createMailing"),
        "items registered again after the restart"
    );
    let mut bags = BTreeSet::new();
    for b in objects["bags"].as_array().into_iter().flatten() {
        if !b["status"].as_str().is_some_and(|s| s.contains("cancel")) {
            assert!(
                bags.insert(b["shipperBagId"].to_string()),
                "bag {b} is twice at the sandbox"
            );
        }
    }
}

#[test]
fn a_bad_spreadsheet_goes_to_failed_with_a_report_naming_the_row() {
    let rig = Rig::new();
    let mut sheet = Sheet::hawbs(1, 5);
    sheet.set(2, "weight", "heavy");
    let dir = rig.wd.mawb_folder("drop/inbox/bad-weight", &sheet);
    fs::write(dir.join("READY"), b"").unwrap();
    let o = rig.once(&[]);
    assert_exit(&o, 1);
    let report = rig.wait_report("failed", "bad-weight");
    let problems = report["mawbs"][0]["problems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let p = problems
        .iter()
        .find(|p| p["severity"] == "error")
        .unwrap_or_else(|| panic!("no error in {report}"));
    assert_eq!(p["file"], "hawbs.csv", "{p}");
    assert_eq!(p["row"], 4, "data row 3 is spreadsheet row 4: {p}");
    assert_eq!(p["column"], "weight", "{p}");
    assert_eq!(report["mawbs"][0]["outcome"]["status"], "invalid");
    let txt = fs::read_to_string(rig.sub("failed/bad-weight/report.txt")).unwrap();
    assert!(txt.contains("row 4"), "{txt}");
    assert!(txt.contains("result: failed (invalid)"), "{txt}");
    // The folder is named where it now is, not where it was run.
    assert!(txt.contains("failed/bad-weight)"), "{txt}");
    assert!(!txt.contains("processing"), "{txt}");
    assert!(
        rig.requests().is_empty(),
        "nothing sent for an invalid folder"
    );
}

/// A problem whose message names the folder itself (no mawb.toml) names it in `failed/`, where the
/// report and the folder are, not in `processing/`, where it was read.
#[test]
fn a_folder_without_mawb_toml_is_named_where_it_ends() {
    let rig = Rig::new();
    let dir = rig
        .wd
        .mawb_folder("drop/inbox/no-toml", &Sheet::hawbs(1, 2));
    fs::remove_file(dir.join("mawb.toml")).unwrap();
    fs::write(dir.join("READY"), b"").unwrap();
    let o = rig.once(&[]);
    assert_exit(&o, 1);
    let report = rig.wait_report("failed", "no-toml");
    let json = report.to_string();
    let txt = fs::read_to_string(rig.sub("failed/no-toml/report.txt")).unwrap();
    assert!(txt.contains("has no mawb.toml"), "{txt}");
    for text in [&txt, &json] {
        assert!(!text.contains("processing"), "{text}");
        assert!(text.contains("failed/no-toml"), "{text}");
    }
}

#[test]
fn acp_answering_500_for_a_while_delays_but_does_not_fail_a_folder() {
    let rig = Rig::new();
    let src = rig.samples(1, 7, 15).remove(0);
    let name = name_of(&src);
    sandbox_admin_post(&rig.endpoint(), "_admin/faults", r#"["http500"]"#);
    let w = rig.spawn("flaky", &["--poll", "--poll-interval", "0.2"]);
    copy_folder(&src, &rig.sub("inbox").join(&name));
    fs::write(rig.sub("inbox").join(&name).join("READY"), b"").unwrap();
    let state = rig.sub("processing").join(&name).join(".mawb-watch.json");
    eventually(LONG, "two transient failures recorded", || {
        let text = fs::read_to_string(&state).ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        (v["attempts"].as_u64()? >= 2).then_some(())
    });
    assert!(entries(&rig.sub("failed")).is_empty());
    sandbox_admin_delete(&rig.endpoint(), "_admin/faults");
    let report = rig.wait_report("done", &name);
    assert_eq!(report["mawbs"][0]["outcome"]["status"], "sent");
    assert!(report["mawbs"][0]["outcome"]["watch"]["transient_failures"].as_u64() >= Some(2));
    assert!(w.stderr().contains("retry scheduled"), "{}", w.stderr());
    let objects = rig.objects();
    assert_no_duplicate_items(&objects);
    assert_eq!(
        objects["items"].as_array().map(Vec::len),
        Some(items_in_report(&report) as usize)
    );
    assert_eq!(w.terminate(), 0);
}

#[test]
fn transient_failures_past_give_up_send_a_folder_to_failed() {
    let rig = Rig::new();
    let src = rig.samples(1, 4, 16).remove(0);
    let name = name_of(&src);
    sandbox_admin_post(&rig.endpoint(), "_admin/faults", r#"["http500"]"#);
    copy_folder(&src, &rig.sub("inbox").join(&name));
    fs::write(rig.sub("inbox").join(&name).join("READY"), b"").unwrap();
    // cron style: the first run leaves it in processing/, a later one (past --give-up) fails it.
    let o = rig.once(&["--give-up", "1"]);
    assert_exit(&o, 1);
    assert!(rig.sub("processing").join(&name).is_dir());
    std::thread::sleep(Duration::from_millis(1100));
    let o = rig.once(&["--give-up", "1"]);
    assert_exit(&o, 1);
    let report = rig.wait_report("failed", &name);
    let reason = report["mawbs"][0]["outcome"]["watch"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        reason.contains("gave up") && reason.contains("500"),
        "{reason}"
    );
}

#[test]
fn a_second_watcher_on_the_same_drop_folder_refuses_to_start() {
    let rig = Rig::new();
    let first = rig.spawn("first", &["--poll"]);
    let o = rig.once(&[]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("another watcher") && err.contains(&format!("pid {}", first.pid())),
        "{err}"
    );
    assert_eq!(first.terminate(), 0);
    // Once the first one is gone the folder is free again.
    assert_exit(&rig.once(&[]), 0);
}

#[test]
fn sigterm_lets_the_running_folder_finish_and_takes_no_new_one() {
    let rig = Rig::new();
    let dirs = rig.samples(2, 10, 17);
    let (a, b) = (name_of(&dirs[0]), name_of(&dirs[1]));
    sandbox_admin_post(
        &rig.endpoint(),
        "_admin/faults",
        r#"["createManifest:nth=1:delay=2000"]"#,
    );
    let w = rig.spawn("term", &["--poll", "--poll-interval", "0.2", "--jobs", "1"]);
    copy_folder(&dirs[0], &rig.sub("inbox").join(&a));
    fs::write(rig.sub("inbox").join(&a).join("READY"), b"").unwrap();
    eventually(LONG, "the first folder to reach createManifest", || {
        (sandbox_count(&rig.requests(), "createMailing") >= 1).then_some(())
    });
    let pid = w.pid().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    // Dropped after the stop request: it must stay where it is.
    copy_folder(&dirs[1], &rig.sub("inbox").join(&b));
    fs::write(rig.sub("inbox").join(&b).join("READY"), b"").unwrap();
    let mut child = w;
    let code = {
        let c = child.child.as_mut().unwrap();
        eventually(LONG, "the watcher to stop", || c.try_wait().unwrap())
    };
    child.child = None;
    assert_eq!(code.code(), Some(0), "{}", child.stderr());
    let report = rig.wait_report("done", &a);
    assert_eq!(report["mawbs"][0]["outcome"]["status"], "sent");
    assert!(rig.sub("inbox").join(&b).is_dir(), "taken after SIGTERM");
    assert!(!rig.drop_dir().join(".mawb-watch.lock").exists());
    // The next start takes it.
    assert_exit(&rig.once(&[]), 0);
    rig.wait_report("done", &b);
}

#[test]
fn the_same_folder_dropped_again_is_a_change_or_nothing() {
    let rig = Rig::new();
    let drop_folder = |sheet: &Sheet| {
        let dir = rig.wd.mawb_folder("drop/inbox/WH1-A", sheet);
        fs::write(dir.join("READY"), b"").unwrap();
        assert_exit(&rig.once(&[]), 0);
    };
    drop_folder(&Sheet::hawbs(1, 5));
    let first = rig.wait_report("done", "WH1-A");
    assert_eq!(first["mawbs"][0]["outcome"]["status"], "sent");
    let sent_before = rig.requests().len();

    // The same content again: nothing is sent; the name clash gets a suffix.
    drop_folder(&Sheet::hawbs(1, 5));
    let again = rig.wait_report("done", "WH1-A.1");
    assert_eq!(again["mawbs"][0]["outcome"]["status"], "unchanged");
    assert_eq!(
        rig.requests().len(),
        sent_before,
        "nothing sent for an unchanged MAWB"
    );

    // One more HAWB: the MAWB is modified, not created twice.
    drop_folder(&Sheet::hawbs(1, 6));
    let changed = rig.wait_report("done", "WH1-A.2");
    assert_eq!(
        changed["mawbs"][0]["outcome"]["status"], "modified",
        "{changed}"
    );
    let requests = rig.requests();
    assert_eq!(sandbox_count(&requests, "createManifest"), 1);
    assert!(sandbox_count(&requests, "modifyManifest") >= 1);
    let objects = rig.objects();
    let at_acp = manifests_by_number(&objects);
    assert_eq!(
        at_acp.values().map(Vec::len).sum::<usize>(),
        1,
        "{at_acp:?}"
    );
    assert_eq!(at_acp.values().next(), Some(&vec![6]));
    assert_eq!(entries(&rig.sub("done")), ["WH1-A", "WH1-A.1", "WH1-A.2"]);
    // Nothing was overwritten: the first report is still the first one.
    let kept: Value =
        serde_json::from_str(&fs::read_to_string(rig.sub("done/WH1-A/report.json")).unwrap())
            .unwrap();
    assert_eq!(kept["mawbs"][0]["outcome"]["status"], "sent");
}

/// Drops a hand-made MAWB folder `NAME` into the inbox (5 items from `first`, manifest `number`, the
/// HAWBs as `sheet_name`) with its READY marker.
fn drop_hand_made(rig: &Rig, name: &str, number: &str, first: usize, sheet_name: &str) {
    let dir = rig.wd.mkdir(format!("drop/inbox/{name}"));
    write_mawb_toml(&dir, number);
    write_pdf(&dir);
    Sheet::hawbs(first, 5).write_csv(&dir, sheet_name);
    fs::write(dir.join("READY"), b"").unwrap();
}

/// The `.mawb-watch.json` bookkeeping of `processing/NAME`, when it can be read.
fn bookkeeping(rig: &Rig, name: &str) -> Option<Value> {
    let text =
        fs::read_to_string(rig.sub("processing").join(name).join(".mawb-watch.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// A second valid MAWB number (0000001 mod 7 = 1).
const OTHER_MAWB: &str = "112-00000011";

#[test]
fn a_reader_panic_sends_its_folder_to_failed_while_the_next_folder_is_done() {
    let rig = Rig::with_fault("read-panic:boom.csv");
    drop_hand_made(&rig, "A-boom", VALID_MAWB, 1, "boom.csv");
    drop_hand_made(&rig, "B-next", OTHER_MAWB, 100, "hawbs.csv");
    let t0 = std::time::Instant::now();
    let o = rig.once(&["--jobs", "1"]);
    assert_exit(&o, 1);
    assert!(t0.elapsed() < LONG, "--once took {:?}", t0.elapsed());
    assert!(
        stdout(&o).contains("1 done, 1 failed, 0 left"),
        "{}",
        stdout(&o)
    );
    let failed = rig.wait_report("failed", "A-boom");
    let m = &failed["mawbs"][0];
    assert_eq!(m["outcome"]["status"], "invalid", "{failed}");
    assert!(
        m["outcome"]["watch"]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{failed}"
    );
    let problem = m["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["code"] == "file-unreadable")
        .unwrap_or_else(|| panic!("no file-unreadable problem: {failed}"));
    assert_eq!(problem["file"], "boom.csv", "{problem}");
    let msg = problem["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("the spreadsheet reader failed on this file")
            && msg.contains("save it again as .xlsx"),
        "{msg}"
    );
    let txt = fs::read_to_string(rig.sub("failed/A-boom/report.txt")).unwrap();
    assert!(txt.contains("reader failed"), "{txt}");
    let done = rig.wait_report("done", "B-next");
    assert_eq!(done["mawbs"][0]["outcome"]["status"], "sent", "{done}");
    assert!(entries(&rig.sub("processing")).is_empty());
}

#[test]
fn a_worker_panic_sends_its_folder_to_failed_and_the_watcher_goes_on() {
    let rig = Rig::with_fault("watch-panic:A-panics");
    let w = rig.spawn(
        "panic",
        &["--poll", "--poll-interval", "0.2", "--jobs", "1"],
    );
    drop_hand_made(&rig, "A-panics", VALID_MAWB, 1, "hawbs.csv");
    let failed = rig.wait_report("failed", "A-panics");
    let reason = failed["mawbs"][0]["outcome"]["watch"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        reason.contains("internal error") && reason.contains("fault injected"),
        "{reason}"
    );
    // The loop still has its slot: the next folder runs.
    drop_hand_made(&rig, "B-next", OTHER_MAWB, 100, "hawbs.csv");
    let done = rig.wait_report("done", "B-next");
    assert_eq!(done["mawbs"][0]["outcome"]["status"], "sent", "{done}");
    let t0 = std::time::Instant::now();
    assert_eq!(w.terminate(), 0);
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "stop took {:?}",
        t0.elapsed()
    );
    assert!(entries(&rig.sub("processing")).is_empty());
    assert!(!rig.drop_dir().join(".mawb-watch.lock").exists());
}

#[test]
fn a_worker_that_never_returns_holds_neither_once_nor_sigterm_and_fails_after_max_starts() {
    let rig = Rig::with_fault("watch-hang:A-hangs");
    drop_hand_made(&rig, "A-hangs", VALID_MAWB, 1, "hawbs.csv");
    drop_hand_made(&rig, "B-next", OTHER_MAWB, 100, "hawbs.csv");
    let limits = [
        "--folder-timeout",
        "1",
        "--max-starts",
        "2",
        "--stop-grace",
        "1",
    ];

    // --once: the hung folder gives its slot to the next one after --folder-timeout, then --once exits.
    let mut args = vec!["--jobs", "1"];
    args.extend(limits);
    let t0 = std::time::Instant::now();
    let o = rig.once(&args);
    assert_exit(&o, 1);
    assert!(t0.elapsed() < LONG, "--once took {:?}", t0.elapsed());
    assert!(
        stdout(&o).contains("1 done, 0 failed, 1 left"),
        "{}",
        stdout(&o)
    );
    rig.wait_report("done", "B-next");
    let state = bookkeeping(&rig, "A-hangs").expect("bookkeeping of the hung folder");
    assert_eq!(state["unfinished_runs"], 1, "{state}");

    // A long-running watcher resumes it (second start), and SIGTERM stops it within --stop-grace.
    let mut args = vec!["--poll", "--poll-interval", "0.2"];
    args.extend(limits);
    let w = rig.spawn("hang", &args);
    eventually(LONG, "the second start of the hung folder", || {
        (bookkeeping(&rig, "A-hangs")?["unfinished_runs"] == 2).then_some(())
    });
    let t0 = std::time::Instant::now();
    assert_eq!(w.terminate(), 0);
    assert!(
        t0.elapsed() < Duration::from_secs(15),
        "stop took {:?}",
        t0.elapsed()
    );
    assert!(rig.sub("processing").join("A-hangs").is_dir());
    assert!(!rig.drop_dir().join(".mawb-watch.lock").exists());

    // Started twice and never finished: the next start sends it to failed/ without running it.
    let o = rig.once(&limits);
    assert_exit(&o, 1);
    let failed = rig.wait_report("failed", "A-hangs");
    let reason = failed["mawbs"][0]["outcome"]["watch"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        reason.contains("started 2 time(s) and never finished"),
        "{reason}"
    );
    assert!(entries(&rig.sub("processing")).is_empty());
    assert_eq!(
        sandbox_count(&rig.requests(), "createManifest"),
        1,
        "only B-next was sent"
    );
}

/// A wrong API key is a configuration error, not the folder's: the folder stays in `processing/` to be
/// retried (never `failed/`), and the cause is logged as an error.
#[test]
fn a_wrong_api_key_keeps_the_folder_for_a_retry() {
    let rig = Rig::new();
    let src = rig.samples(1, 4, 23).remove(0);
    let name = name_of(&src);
    copy_folder(&src, &rig.sub("inbox").join(&name));
    fs::write(rig.sub("inbox").join(&name).join("READY"), b"").unwrap();
    let mut cmd = rig.command(&["--once"]);
    cmd.env("ACP_API_KEY", "not-the-key");
    let o = rig.wd.run(&mut cmd);
    assert_no_panic(&o);
    let err = stderr(&o);
    assert!(err.contains("configuration error"), "{err}");
    assert!(!err.contains("not-the-key"), "the key leaked: {err}");
    assert!(
        entries(&rig.sub("failed")).is_empty(),
        "a configuration error does not fail the folder"
    );
    assert!(
        rig.sub("processing").join(&name).is_dir() || rig.sub("inbox").join(&name).is_dir(),
        "the folder waits for a retry"
    );
    // With the key fixed, the next pass sends it.
    let o = rig.once(&[]);
    assert_exit(&o, 0);
    let report = rig.wait_report("done", &name);
    assert_eq!(report["mawbs"][0]["outcome"]["status"], "sent");
}

/// A symbolic link to a MAWB folder and a loose spreadsheet dropped into inbox/ are named, not ignored.
#[test]
fn links_and_files_in_the_inbox_are_named_not_taken() {
    let rig = Rig::new();
    let src = rig.samples(1, 3, 32);
    let name = name_of(&src[0]);
    fs::write(src[0].join("READY"), b"").unwrap();
    fs::create_dir_all(rig.sub("inbox")).unwrap();
    std::os::unix::fs::symlink(&src[0], rig.sub("inbox").join(&name)).unwrap();
    let sheet = fs::read_dir(&src[0])
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "csv" || x == "xlsx"))
        .expect("a spreadsheet in the sample");
    let loose = sheet.file_name().unwrap().to_string_lossy().into_owned();
    fs::copy(&sheet, rig.sub("inbox").join(&loose)).unwrap();
    let o = rig.once(&[]);
    assert_exit(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("inbox/{name} is a symbolic link, not taken"))
            && err.contains("copy or move the folder itself"),
        "{err}"
    );
    assert!(
        err.contains(&format!("inbox/{loose} is a file, not taken")),
        "{err}"
    );
    // Both are left where they are.
    assert!(rig.sub("inbox").join(&name).is_symlink());
    assert!(rig.sub("inbox").join(&loose).is_file());
}

/// A batch folder dropped into inbox/ fails, saying it is a batch and naming its MAWB folders.
#[test]
fn a_batch_dropped_into_the_inbox_is_named_a_batch() {
    let rig = Rig::new();
    let src = rig.samples(2, 3, 33);
    let batch = rig.sub("inbox").join("tonight");
    for s in &src {
        copy_folder(s, &batch.join(name_of(s)));
    }
    fs::write(batch.join("READY"), b"").unwrap();
    let o = rig.once(&[]);
    assert_exit(&o, 1);
    let report = rig.wait_report("failed", "tonight").to_string();
    let (a, b) = (name_of(&src[0]), name_of(&src[1]));
    assert!(
        report.contains("it is a batch, not one MAWB")
            && report.contains(&format!("2 MAWB folder(s) ({a}, {b})")),
        "{report}"
    );
}

/// `watch --once` names the inbox folders it leaves because they wait for READY.
#[test]
fn once_names_the_folders_that_wait_for_ready() {
    let rig = Rig::new();
    let src = rig.samples(2, 3, 31);
    let (ready, waiting) = (name_of(&src[0]), name_of(&src[1]));
    copy_folder(&src[0], &rig.sub("inbox").join(&ready));
    fs::write(rig.sub("inbox").join(&ready).join("READY"), b"").unwrap();
    copy_folder(&src[1], &rig.sub("inbox").join(&waiting));
    let o = rig.once(&[]);
    assert_exit(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains("not taken (no READY file yet)") && err.contains(&waiting),
        "{err}"
    );
    assert!(
        rig.sub("inbox").join(&waiting).is_dir(),
        "left in the inbox"
    );
    rig.wait_report("done", &ready);
}

/// The watcher's one line per folder goes to stdout; a closed stdout (`mawb watch … | head -0`) ends
/// nothing badly: the folder is still done, no panic, no "Broken pipe".
#[test]
fn a_closed_stdout_does_not_fail_a_folder() {
    let rig = Rig::new();
    let src = rig.samples(1, 3, 33).remove(0);
    let name = name_of(&src);
    copy_folder(&src, &rig.sub("inbox").join(&name));
    fs::write(rig.sub("inbox").join(&name).join("READY"), b"").unwrap();
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut cmd = rig.command(&["--once"]);
    cmd.stdout(writer).stderr(Stdio::piped());
    let o = cmd.output().expect("run mawb watch");
    let err = stderr(&o);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    assert_exit(&o, 0);
    let report = rig.wait_report("done", &name);
    assert_eq!(report["mawbs"][0]["outcome"]["status"], "sent");
}

/// A spreadsheet still being written after READY (rows appended by a slow exporter): the watcher waits
/// until it has settled and uploads every row, never the part it saw first.
#[test]
fn rows_appended_after_ready_are_waited_for() {
    let rig = Rig::new();
    let dir = rig.sub("inbox").join("late-rows");
    let full = Sheet::hawbs(1, 30);
    let mut first = full.clone();
    first.rows.truncate(5);
    rig.wd.mawb_folder("drop/inbox/late-rows", &first);
    fs::write(dir.join("READY"), b"").unwrap();
    // The exporter goes on writing rows for a while after READY.
    let text = full.csv_text("\n");
    let rows: Vec<String> = text.lines().skip(6).map(|l| format!("{l}\n")).collect();
    let drop_dir = rig.drop_dir();
    let writer = std::thread::spawn(move || {
        for row in rows {
            std::thread::sleep(Duration::from_millis(20));
            // The folder may have been claimed into processing/ (or, wrongly, finished) meanwhile.
            let opened = ["inbox", "processing", "done", "failed"]
                .iter()
                .find_map(|sub| {
                    let path = drop_dir.join(sub).join("late-rows").join("hawbs.csv");
                    fs::OpenOptions::new().append(true).open(path).ok()
                });
            let mut f = opened.expect("the csv is somewhere in the drop folder");
            std::io::Write::write_all(&mut f, row.as_bytes()).expect("append a row");
        }
    });
    std::thread::sleep(Duration::from_millis(100));
    let w = rig.spawn("late", &["--poll", "--poll-interval", "0.2"]);
    writer.join().expect("the writer");
    let report = rig.wait_report("done", "late-rows");
    assert_eq!(items_in_report(&report), 30, "{}", w.stderr());
    assert!(w.stderr().contains("changed after READY"), "{}", w.stderr());
}
