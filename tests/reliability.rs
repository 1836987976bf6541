//! Nothing lost, nothing falsely recorded: labels that do not arrive, arrive broken or cannot be kept,
//! runs killed at random moments, hostile and broken answers, and a damaged ledger, each driven through
//! the real binary against the real sandbox (with its fault injection) over loopback.
//!
//! The promises under test: a labelled parcel is not done until its label is in the archive; a run that
//! ends without one exits non-zero and names it, and the next run gets it again without a second live
//! parcel; nothing an answer does not say in ACP's own form is recorded; a damaged write-ahead log is
//! refused, not silently accepted.

mod common;

use common::acp::*;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// Every value of the ledger's tables as text, for "is this recorded anywhere" questions.
fn ledger_text(state: &Path) -> String {
    let c = rusqlite::Connection::open(state).expect("open the ledger");
    let mut out = String::new();
    for table in ["mawbs", "items", "bags", "requests", "labels"] {
        let mut st = c.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| {
                let mut line = String::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    line.push_str(&format!("{v:?}|"));
                }
                Ok(line)
            })
            .unwrap();
        for l in rows {
            out.push_str(&l.unwrap());
            out.push('\n');
        }
    }
    out
}

fn requests_with_status(state: &Path, status: &str) -> usize {
    try_requests_with_status(state, status).expect("read the ledger's requests")
}

/// As [`requests_with_status`], for a ledger a running process may still be creating.
fn try_requests_with_status(state: &Path, status: &str) -> rusqlite::Result<usize> {
    // Never create the file: the process under test does.
    let c =
        rusqlite::Connection::open_with_flags(state, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    c.query_row(
        "SELECT COUNT(*) FROM requests WHERE status = ?1",
        [status],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n as usize)
}

/// The labelled batch most tests use: 1 MAWB, `n` items without tracking numbers (one createMailing
/// with label=1 each).
fn labelled_batch(wd: &Workdir, n: usize, seed: u64) -> (std::path::PathBuf, Value) {
    let batch = sample_batch(wd, 1, n, seed, 1);
    let check = check_report(wd, &batch);
    (batch, check)
}

fn assert_all_good(acp: &Acp, check: &Value, local: &Local, report: &Value) {
    for (mawb, o) in outcomes(report) {
        assert!(
            ["sent", "modified", "unchanged"].contains(&text(&o["status"]).as_str()),
            "{mawb}: {o:#}"
        );
        assert_eq!(o["labels_missing"], serde_json::json!([]), "{mawb}: {o:#}");
    }
    let objs = acp.objects();
    assert_acp_holds_exactly(&objs, check);
    assert_every_item_label_archived(&objs, check, &local.archive);
}

fn a_broken_label_is_replaced_in_the_same_run(fault: &str) {
    let wd = Workdir::new();
    let acp = Acp::start();
    let (batch, check) = labelled_batch(&wd, 6, 31);
    let local = Local::new(&wd, "run");
    acp.set_faults(&[fault]);

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    assert_all_good(&acp, &check, &local, &report);
    let cancels = acp.requests_of("cancelMailing");
    assert_eq!(
        cancels.len(),
        1,
        "{fault}: the parcel without a usable label is cancelled once and created again"
    );
    let counted: u64 = outcomes(&report)
        .values()
        .map(|o| o["items_cancelled"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(counted, 1, "{fault}: the outcome counts the cancel it sent");
}

#[test]
fn an_ok_answer_without_its_label_is_cancelled_and_created_again_in_the_same_run() {
    a_broken_label_is_replaced_in_the_same_run("createMailing:nth=2:nolabel");
}

#[test]
fn a_label_lost_with_its_answer_is_cancelled_and_created_again_in_the_same_run() {
    a_broken_label_is_replaced_in_the_same_run("createMailing:nth=2:drop");
}

#[test]
fn a_label_that_is_not_an_image_is_cancelled_and_created_again_in_the_same_run() {
    a_broken_label_is_replaced_in_the_same_run("createMailing:nth=3:badlabel");
}

#[test]
fn labels_that_never_come_fail_the_run_naming_the_parcel_and_the_next_run_gets_them() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let (batch, check) = labelled_batch(&wd, 5, 32);
    let local = Local::new(&wd, "run");
    // The first parcel's answer and the answer to its re-creation both come without a label.
    acp.set_faults(&["createMailing:times=2:nolabel"]);

    let (first, report) = run(&wd, &acp, &batch, &local, &[]);

    assert_exit(&first, FAILED);
    let o = outcomes(&report).into_values().next().expect("one MAWB");
    assert_eq!(o["status"], "failed", "{o:#}");
    let missing = o["labels_missing"].as_array().expect("labels_missing");
    assert_eq!(missing.len(), 1, "{o:#}");
    assert!(
        text(&missing[0]).contains("carried no label"),
        "it says why: {o:#}"
    );
    let out = stdout(&first);
    assert!(
        out.contains("labels missing from the archive (1)"),
        "the summary names it:\n{out}"
    );
    assert!(
        acp.objects().manifests.is_empty(),
        "nothing after the items is sent while a label is missing"
    );
    let reason = o["error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("were held back (not sent)") && !reason.contains("was not sent"),
        "the reason says what was held back, without a double negative: {o:#}"
    );
    acp.clear_faults();

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    assert_all_good(&acp, &check, &local, &report);
}

#[test]
fn an_archive_that_cannot_be_written_fails_the_run_and_the_next_run_gets_the_labels() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let (batch, check) = labelled_batch(&wd, 4, 33);
    let local = Local::new(&wd, "run");
    // A file where the archive folder should be: nothing can be written under it (as with a read-only
    // or full disk, also for root).
    std::fs::create_dir_all(local.archive.parent().unwrap()).unwrap();
    std::fs::write(&local.archive, b"not a folder").unwrap();

    let (first, report) = run(&wd, &acp, &batch, &local, &[]);

    assert_exit(&first, FAILED);
    let o = outcomes(&report).into_values().next().expect("one MAWB");
    assert!(
        text(&o["error"]).contains("could not be kept"),
        "the reason names the archive: {o:#}"
    );
    assert_eq!(
        acp.objects().items.len(),
        1,
        "it stopped at the first parcel"
    );
    // The parcel is named where a script and an operator look for missing labels.
    let tracking = text(&acp.objects().items[0]["trackingNumber"]);
    let missing = o["labels_missing"].as_array().expect("labels_missing");
    assert!(
        missing.len() == 1 && text(&missing[0]).contains(&tracking),
        "{o:#}"
    );
    assert!(
        stdout(&first).contains("labels missing from the archive (1)"),
        "{}",
        stdout(&first)
    );
    std::fs::remove_file(&local.archive).unwrap();

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    assert_all_good(&acp, &check, &local, &report);
}

#[test]
fn a_label_gone_from_the_archive_is_fetched_again_by_the_next_run() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let (batch, check) = labelled_batch(&wd, 3, 34);
    let local = Local::new(&wd, "run");
    run_ok(&wd, &acp, &batch, &local, &[]);
    let number = text(&check["mawbs"][0]["manifest_number"]);
    std::fs::remove_file(local.archive.join(&number).join("labels.zip")).unwrap();

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    let o = outcomes(&report).into_values().next().expect("one MAWB");
    assert_ne!(o["status"], "unchanged", "labels were missing: {o:#}");
    assert_all_good(&acp, &check, &local, &report);
}

#[test]
fn a_labelled_run_killed_at_random_moments_ends_with_every_label_and_no_parcel_twice() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let (batch, check) = labelled_batch(&wd, 30, 35);
    let local = Local::new(&wd, "run");
    acp.set_faults(&["createMailing:delay=30"]);
    let mut killed_while_registering = 0;
    // Deterministic "random" moments: spread over the registering of the parcels.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..8 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let wait = Duration::from_millis(100 + seed % 250);
        let mut cmd = wd.mawb();
        cmd.args(run_args(&acp, &batch, &local, &[]))
            .env("ACP_API_KEY", &acp.key)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().expect("spawn mawb run");
        std::thread::sleep(wait);
        let _ = child.kill();
        let _ = child.wait();
        if acp.objects().manifests.is_empty() {
            killed_while_registering += 1;
        }
    }
    assert!(
        killed_while_registering >= 4,
        "most kills land while parcels are being registered ({killed_while_registering} of 8)"
    );
    acp.clear_faults();

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    assert_all_good(&acp, &check, &local, &report);
    assert_eq!(
        requests_with_status(&local.state, "sending"),
        0,
        "no request stays 'sending' after a run of the MAWB"
    );
    let live: BTreeSet<String> = acp
        .objects()
        .items
        .iter()
        .map(|i| text(&i["shipperItemId"]))
        .collect();
    assert_eq!(
        live.len(),
        acp.objects().items.len(),
        "no parcel is live twice"
    );
}

#[test]
fn a_request_killed_in_flight_is_resolved_as_interrupted_by_the_next_run() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let (batch, check) = labelled_batch(&wd, 3, 36);
    let local = Local::new(&wd, "run");
    acp.set_faults(&["createMailing:nth=2:delay=5000"]);
    let mut cmd = wd.mawb();
    cmd.args(run_args(&acp, &batch, &local, &[]))
        .env("ACP_API_KEY", &acp.key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn mawb run");
    // Wait until the second createMailing is in flight (recorded as sending), then kill.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline
        && try_requests_with_status(&local.state, "sending").unwrap_or(0) == 0
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(requests_with_status(&local.state, "sending"), 1);
    acp.clear_faults();

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    assert_all_good(&acp, &check, &local, &report);
    assert_eq!(requests_with_status(&local.state, "sending"), 0);
    assert_eq!(requests_with_status(&local.state, "interrupted"), 1);
}

#[test]
fn an_entity_answer_records_nothing_and_the_next_run_adopts_the_real_parcel() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 6, 37, 0);
    let check = check_report(&wd, &batch);
    let local = Local::new(&wd, "run");
    acp.set_faults(&["createMailing:nth=1:entity"]);

    let (first, _) = run(&wd, &acp, &batch, &local, &["--attempts", "1"]);

    assert_exit(&first, FAILED);
    assert!(
        !ledger_text(&local.state).contains("lol"),
        "nothing of the entity answer is recorded"
    );
    acp.clear_faults();

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    for (mawb, o) in outcomes(&report) {
        assert_eq!(o["status"], "sent", "{mawb}: {o:#}");
    }
    assert_acp_holds_exactly(&acp.objects(), &check);
}

#[test]
fn an_id_that_is_not_acps_left_in_the_ledger_is_forgotten_and_the_mawb_recovers() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 6, 38, 0);
    let check = check_report(&wd, &batch);
    let local = Local::new(&wd, "run");
    run_ok(&wd, &acp, &batch, &local, &[]);
    // What an earlier version recorded from a billion-laughs answer.
    {
        let c = rusqlite::Connection::open(&local.state).unwrap();
        c.execute(
            "UPDATE items SET tracking_number = '&lol9;' WHERE key = (SELECT MIN(key) FROM items)",
            [],
        )
        .unwrap();
        c.execute("UPDATE mawbs SET manifest_id = '&lol9;'", [])
            .unwrap();
    }

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    for (mawb, o) in outcomes(&report) {
        assert_ne!(o["status"], "unchanged", "{mawb}: {o:#}");
        assert_ne!(text(&o["manifest_id"]), "&lol9;", "{mawb}: {o:#}");
    }
    assert!(!ledger_text(&local.state).contains("&lol9;"));
    assert_acp_holds_exactly(&acp.objects(), &check);
}

#[test]
fn a_redirect_from_the_sandbox_is_not_followed_and_nothing_is_recorded() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 4, 39, 0);
    let local = Local::new(&wd, "run");
    acp.set_faults(&["createManifest:redirect"]);

    let (first, report) = run(&wd, &acp, &batch, &local, &["--attempts", "1"]);

    assert_exit(&first, FAILED);
    let o = outcomes(&report).into_values().next().expect("one MAWB");
    assert!(
        text(&o["error"]).contains("127.0.0.1:9/forged"),
        "the error names the Location: {o:#}"
    );
    assert!(o["manifest_id"].is_null(), "{o:#}");
}

#[test]
fn a_huge_error_text_is_kept_nowhere_whole() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 4, 40, 0);
    let local = Local::new(&wd, "run");
    acp.set_faults(&["createMailing:nth=1:huge"]);

    let (first, _) = run(&wd, &acp, &batch, &local, &["--attempts", "1"]);

    assert_exit(&first, FAILED);
    let limit = 64 * 1024;
    assert!(
        first.stdout.len() < limit,
        "stdout {} bytes",
        first.stdout.len()
    );
    assert!(
        first.stderr.len() < limit,
        "stderr {} bytes",
        first.stderr.len()
    );
    let report = std::fs::metadata(&local.report).unwrap().len() as usize;
    assert!(report < limit, "report {report} bytes");
    let ledger = ledger_text(&local.state);
    assert!(ledger.len() < limit, "ledger text {} bytes", ledger.len());
    assert!(
        ledger.contains("the same long error text"),
        "the start of the text is kept"
    );
}

#[test]
fn a_write_ahead_log_cut_inside_a_frame_is_refused_before_anything_is_sent() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 4, 41, 0);
    let local = Local::new(&wd, "run");
    // A ledger left by a killed process: its log still beside it (copied while the connection is open,
    // as SQLite removes the log when the last connection closes), then cut inside a frame.
    std::fs::create_dir_all(local.state.parent().unwrap()).unwrap();
    let scratch = wd.join("scratch.sqlite");
    let c = rusqlite::Connection::open(&scratch).unwrap();
    c.pragma_update(None, "journal_mode", "WAL").unwrap();
    c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    c.execute_batch("CREATE TABLE note (x TEXT)").unwrap();
    for i in 0..10 {
        c.execute("INSERT INTO note VALUES (?1)", [format!("{i}")])
            .unwrap();
    }
    std::fs::copy(&scratch, &local.state).unwrap();
    let log = std::fs::read(wd.join("scratch.sqlite-wal")).unwrap();
    drop(c);
    let mut wal = local.state.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::write(&wal, &log[..log.len() - 700]).unwrap();

    let (first, _) = {
        let mut cmd = wd.mawb();
        cmd.args(run_args(&acp, &batch, &local, &[]))
            .env("ACP_API_KEY", &acp.key);
        let o = wd.run(&mut cmd);
        (o, ())
    };

    assert_no_panic(&first);
    assert_exit(&first, USAGE);
    let err = stderr(&first);
    assert!(err.contains("write-ahead log is damaged"), "{err}");
    assert!(err.contains("backup"), "it says what to do: {err}");
    assert!(acp.requests().is_empty(), "nothing was sent");
}
