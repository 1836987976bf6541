//! `mawb run` driven through the real binary against the real sandbox over loopback: what ends up at ACP
//! (read back through the sandbox's `/_admin` endpoints), what the operator sees (exit code, `--json`
//! report, `mawb status`), and the promises of the contract: nothing sent twice, nothing lost, a killed
//! or failed run resumes, the API key is written nowhere.
//!
//! Every test starts its own in-process sandbox (127.0.0.1, free port, in-memory state), so tests never
//! see each other's objects and can run in parallel.
//!
//! Exit codes (contract): 0 all good, 1 a MAWB failed or was refused by ACP, 2 usage/configuration/I/O.

mod common;

use common::acp::*;
use common::*;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

// --------------------------------------------------------------------------------------------------------
// 1. A full batch, end to end
// --------------------------------------------------------------------------------------------------------

#[test]
fn a_batch_is_registered_bagged_grouped_and_manifested_exactly_as_checked() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 3, 30, 11, 0);
    let check = check_report(&wd, &batch);
    let local = Local::new(&wd, "run");

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    assert_eq!(report["exit_code"], OK);
    let outs = outcomes(&report);
    assert_eq!(outs.len(), 3);
    let objs = acp.objects();
    for (mawb, o) in &outs {
        assert_eq!(o["status"], "sent", "{mawb}: {o:#}");
        assert_eq!(o["error"], Value::Null, "{mawb}: {o:#}");
        let rec = &o["reconciliation"];
        assert_eq!(rec["ok"], true, "{mawb}: {rec:#}");
        assert_eq!(rec["ours"], rec["acp"], "{mawb}: {rec:#}");
        assert_eq!(
            text(&o["manifest_id"]),
            text(&objs.manifest(mawb)["manifestId"]),
            "{mawb}: the report names ACP's manifest"
        );
    }
    assert_acp_holds_exactly(&objs, &check);
}

#[test]
fn a_labelled_batch_archives_one_png_per_item_and_indexes_every_tracking_number() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 2, 10, 3, 1);
    let check = check_report(&wd, &batch);
    let local = Local::new(&wd, "run");

    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    let objs = acp.objects();
    assert_acp_holds_exactly(&objs, &check);
    for (mawb, o) in outcomes(&report) {
        assert_eq!(o["status"], "sent", "{mawb}: {o:#}");
        assert_eq!(
            o["labels_archived"],
            objs.items_of_manifest(&mawb).len(),
            "{mawb}: {o:#}"
        );
        let zip = local.archive.join(&mawb).join("labels.zip");
        assert_eq!(
            text(&o["archive"]),
            zip.display().to_string(),
            "the report names the archive"
        );
    }
    assert_every_item_label_archived(&objs, &check, &local.archive);
}

// --------------------------------------------------------------------------------------------------------
// 2. A fault at every step, then a re-run
// --------------------------------------------------------------------------------------------------------

/// Sets `rule`, runs a labelled batch (two attempts per request, so one retry), clears the faults and
/// runs again: the second run succeeds and ACP holds exactly one of each object, the archive every label.
fn a_rerun_after(rule: &str) {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 2, 10, 5, 1);
    let check = check_report(&wd, &batch);
    let local = Local::new(&wd, "run");
    let delayed = rule.contains("delay=");

    acp.set_faults(&[rule]);
    let mut extra = vec!["--attempts", "2"];
    if delayed {
        extra.extend(["--timeout", "1"]);
    }
    let (first, _) = run(&wd, &acp, &batch, &local, &extra);
    let code = exit_code(&first);
    assert!(
        code == OK || code == FAILED,
        "{rule}: the first run ends with 0 or 1, not {code}\nstderr:\n{}",
        stderr(&first)
    );
    // An answered or dropped request is logged before the client hears of it: the fault did fire. (A
    // delayed request the client gave up on is abandoned by the server with its connection, unlogged.)
    if !delayed {
        acp.eventually_log(&format!("the fault {rule} firing"), |log| {
            log.iter().any(|r| r["fault"].is_string())
        });
    }
    acp.clear_faults();

    let report = run_ok(&wd, &acp, &batch, &local, &["--attempts", "2"]);
    for (mawb, o) in outcomes(&report) {
        assert!(
            ["sent", "unchanged"].contains(&text(&o["status"]).as_str()),
            "{rule}: {mawb}: {o:#}"
        );
    }
    let objs = acp.objects();
    assert_acp_holds_exactly(&objs, &check);
    assert_every_item_label_archived(&objs, &check, &local.archive);
}

/// One test per (command, fault): `http500` answers 500 unprocessed, `drop` processes and closes the
/// connection unanswered, `delay` answers after the client's 1 s timeout.
macro_rules! fault_cases {
    ($($(#[$meta:meta])* $name:ident: $rule:expr;)*) => {
        mod a_rerun_after_a_fault_leaves_one_of_each_object_and_every_label {
            use super::*;
            $(
                #[test]
                $(#[$meta])*
                fn $name() {
                    a_rerun_after($rule);
                }
            )*
        }
    };
}

fault_cases! {
    create_mailing_http500: "createMailing:nth=1:http500";
    create_mailing_drop: "createMailing:nth=1:drop";
    create_mailing_delay: "createMailing:nth=1:delay=2500";
    create_bag_http500: "createBag:nth=1:http500";
    create_bag_drop: "createBag:nth=1:drop";
    create_bag_delay: "createBag:nth=1:delay=2500";
    get_info_http500: "getInfo:nth=1:http500";
    get_info_drop: "getInfo:nth=1:drop";
    get_info_delay: "getInfo:nth=1:delay=2500";
    create_day_http500: "createDay:nth=1:http500";
    create_day_drop: "createDay:nth=1:drop";
    create_day_delay: "createDay:nth=1:delay=2500";
    create_manifest_http500: "createManifest:nth=1:http500";
    create_manifest_drop: "createManifest:nth=1:drop";
    create_manifest_delay: "createManifest:nth=1:delay=2500";
    get_manifest_http500: "getManifest:nth=1:http500";
    get_manifest_drop: "getManifest:nth=1:drop";
    get_manifest_delay: "getManifest:nth=1:delay=2500";
}

#[test]
fn a_lost_create_mailing_answer_is_adopted_on_retry_without_duplicates() {
    // label 0: one createMailing per MAWB with known tracking numbers; its answer is lost, the retry
    // meets `conflict` for every item and adopts them.
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 2, 16, 8, 0);
    let check = check_report(&wd, &batch);
    let local = Local::new(&wd, "run");
    acp.set_faults(&["createMailing:nth=1:drop"]);

    let report = run_ok(&wd, &acp, &batch, &local, &["--attempts", "2"]);

    let adopted: u64 = outcomes(&report)
        .values()
        .map(|o| o["items_adopted"].as_u64().unwrap_or(0))
        .sum();
    assert!(adopted > 0, "the retried batch was adopted: {report:#}");
    assert!(
        statuses(&report).values().all(|s| s == "sent"),
        "{report:#}"
    );
    assert_acp_holds_exactly(&acp.objects(), &check);
}

#[test]
fn a_run_whose_every_attempt_fails_exits_1_and_the_next_run_completes_it() {
    // Both attempts of the only MAWB's createBag are lost after being processed: the run fails, the
    // next one adopts the bag ACP already holds.
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 8, 9, 0);
    let check = check_report(&wd, &batch);
    let local = Local::new(&wd, "run");
    acp.set_faults(&["createBag:times=2:drop"]);

    let (first, report) = run(&wd, &acp, &batch, &local, &["--attempts", "2"]);
    assert_exit(&first, FAILED);
    let (mawb, o) = outcomes(&report).into_iter().next().unwrap();
    assert_eq!(o["status"], "failed", "{o:#}");
    assert_eq!(o["retryable"], true, "{o:#}");
    assert!(text(&o["error"]).contains("createBag"), "{o:#}");
    assert!(
        stdout(&first).contains("reason:"),
        "the summary gives the reason:\n{}",
        stdout(&first)
    );

    acp.clear_faults();
    let report = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(statuses(&report)[&mawb], "sent");
    assert_acp_holds_exactly(&acp.objects(), &check);
}

#[test]
fn a_slow_answer_is_given_up_after_the_timeout() {
    // One MAWB: createMailing opens the connection, createBag reuses it and ACP does not answer for
    // 6 s; with --timeout 1 --attempts 1 the run must give up on it and fail (retryable).
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 6, 12, 0);
    let local = Local::new(&wd, "run");
    acp.set_faults(&["createBag:delay=6000"]);

    let (o, report) = run(
        &wd,
        &acp,
        &batch,
        &local,
        &["--timeout", "1", "--attempts", "1"],
    );

    let outcome = outcomes(&report).into_values().next().unwrap();
    assert_eq!(outcome["status"], "failed", "{outcome:#}");
    assert_eq!(outcome["retryable"], true, "{outcome:#}");
    assert!(text(&outcome["error"]).contains("createBag"), "{outcome:#}");
    assert_exit(&o, FAILED);
}

// --------------------------------------------------------------------------------------------------------
// 3. kill -9 in the middle
// --------------------------------------------------------------------------------------------------------

#[test]
#[cfg(unix)]
fn a_killed_run_resumes_without_duplicates() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 2, 20, 21, 0);
    let check = check_report(&wd, &batch);
    let local = Local::new(&wd, "run");
    // One item per createMailing, each answered late: the run is killed while registering items.
    let extra = ["--batch-items", "1"];
    acp.set_faults(&["createMailing:delay=300"]);

    let mut cmd = wd.mawb();
    cmd.args(run_args(&acp, &batch, &local, &extra))
        .env("ACP_API_KEY", &acp.key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn mawb run");
    acp.eventually_log("three createMailing batches", |log| {
        log.iter()
            .filter(|r| r["command"] == "createMailing")
            .count()
            >= 3
    });
    child.kill().expect("kill -9 mawb run");
    let status = child.wait().expect("reap mawb run");
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(9),
            "the run was killed in the middle, not finished: {status:?}"
        );
    }
    assert!(
        acp.objects().manifests.is_empty(),
        "killed before any manifest"
    );
    acp.clear_faults();

    let report = run_ok(&wd, &acp, &batch, &local, &extra);

    assert!(
        statuses(&report).values().all(|s| s == "sent"),
        "{report:#}"
    );
    let objs = acp.objects();
    assert_eq!(
        objs.items.len() as u64,
        check["totals"]["items"].as_u64().unwrap()
    );
    assert_acp_holds_exactly(&objs, &check);
}

// --------------------------------------------------------------------------------------------------------
// 4. ACP says `invalid`: not retried, the MAWB fails with ACP's message
// --------------------------------------------------------------------------------------------------------

/// The local validator does not check a leg's trip number beyond presence, nor a tracking number's
/// characters; ACP (the sandbox's own rules) takes only letters and digits for both. Such a folder
/// passes `mawb check` and is refused by ACP with `invalid`. Once the folder is fixed, a re-run completes
/// the MAWB with what ACP already holds.
#[test]
fn an_invalid_answer_is_not_retried_and_the_mawb_fails_with_acps_message() {
    // ACP refusing for a rule of its own (the sandbox's `invalid` fault), at two steps.
    for command in ["createMailing", "createManifest"] {
        let wd = Workdir::new();
        let acp = Acp::start();
        let batch = hand_made_batch(&wd, &sheet(4, 2), "123");
        check_report(&wd, &batch); // the local validator accepts the folder
        let local = Local::new(&wd, "run");
        acp.set_faults(&[&format!("{command}:times=1:invalid")]);

        // Default attempts (6): a retried `invalid` would show in the request log.
        let (o, report) = run(&wd, &acp, &batch, &local, &[]);

        assert_exit(&o, FAILED);
        assert_eq!(report["exit_code"], FAILED);
        let outcome = &outcomes(&report)[VALID_MAWB];
        assert_eq!(outcome["status"], "failed", "{outcome:#}");
        assert_eq!(outcome["retryable"], false, "{outcome:#}");
        let error = text(&outcome["error"]);
        let message = "ACP refused the request (sandbox fault injection: invalid)";
        assert!(
            error.contains(command) && error.contains("invalid") && error.contains(message),
            "{command}: the error carries ACP's message: {error}"
        );
        assert!(
            stdout(&o).contains(message),
            "the summary shows ACP's message:\n{}",
            stdout(&o)
        );
        let sent = acp.requests_of(command);
        assert_eq!(
            sent.len(),
            1,
            "{command}: sent once, never retried:\n{}",
            log_lines(&acp.requests())
        );
        assert!(
            text(&sent[0]["outcome"]).contains("invalid"),
            "{:#}",
            sent[0]
        );
        assert!(acp.objects().manifests.is_empty());

        // ACP accepts it later (the fault fired once): the re-run completes it, nothing twice.
        let report = run_ok(&wd, &acp, &batch, &local, &[]);
        assert_eq!(statuses(&report)[VALID_MAWB], "sent", "{report:#}");
        let objs = acp.objects();
        objs.assert_no_duplicates();
        assert_eq!(objs.items.len(), 4, "{objs:#?}");
        assert_eq!(objs.manifests.len(), 1);
        assert_eq!(objs.manifest(VALID_MAWB)["numItems"], 4);
    }
}

#[test]
fn folders_acp_would_refuse_are_stopped_by_the_local_validator_before_anything_is_sent() {
    // A trip number and a tracking number ACP refuses: mawb check catches both; run sends nothing.
    let mut bad_tracking = sheet(4, 0);
    bad_tracking.set(2, "trackingNumber", "TN-00000003");
    for (sheet, trip, code) in [
        (sheet(4, 2), "AA-123", "leg-format"),
        (bad_tracking, "123", "tracking-format"),
    ] {
        let wd = Workdir::new();
        let acp = Acp::start();
        let batch = hand_made_batch(&wd, &sheet, trip);
        let local = Local::new(&wd, "run");
        let (o, report) = run(&wd, &acp, &batch, &local, &[]);
        assert_exit(&o, FAILED);
        let outcome = &outcomes(&report)[VALID_MAWB];
        assert_eq!(outcome["status"], "invalid", "{outcome:#}");
        assert!(stdout(&o).contains(code), "{}", stdout(&o));
        assert!(
            acp.requests().is_empty(),
            "nothing may be sent: {}",
            log_lines(&acp.requests())
        );
    }
}

/// `mawb run` checks each MAWB just before sending it, in batch order: a MAWB repeating a key an earlier
/// MAWB of the batch uses is refused with the problems `mawb check` gives it (whatever the number of
/// MAWBs sent at once), the MAWBs around it are sent, and a second run refuses it the same way.
#[test]
fn a_mawb_repeating_a_key_of_an_earlier_mawb_is_refused_as_check_refuses_it() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = wd.mkdir("batch");
    let numbers = ["112-10000001", VALID_MAWB, "112-20000002"];
    let mut repeats = Sheet::hawbs(100, 5);
    repeats.set(2, "trackingNumber", "TN00000002");
    repeats.set(4, "shipperItemId", "SI00000004");
    for (number, sheet) in numbers
        .iter()
        .zip([Sheet::hawbs(0, 5), repeats, Sheet::hawbs(200, 5)])
    {
        let dir = wd.mkdir(format!("batch/{number}"));
        write_mawb_toml(&dir, number);
        write_pdf(&dir);
        sheet.write_csv(&dir, "hawbs.csv");
    }
    let (_, check) = check_json(&wd, &[batch.display().to_string()]);
    let problems_of = |report: &Value, number: &str| -> Vec<Value> {
        report["mawbs"]
            .as_array()
            .expect("mawbs")
            .iter()
            .find(|m| m["manifest_number"] == number)
            .map(|m| m["problems"].as_array().expect("problems").clone())
            .unwrap_or_default()
    };
    let expected = problems_of(&check, VALID_MAWB);
    let codes: Vec<&Value> = expected.iter().map(|p| &p["code"]).collect();
    assert_eq!(
        codes,
        ["duplicate-tracking-number", "duplicate-shipper-item-id"],
        "{expected:#?}"
    );

    for (round, jobs) in [(1, "1"), (2, "3")] {
        let local = Local::new(&wd, "run");
        let (o, report) = run(&wd, &acp, &batch, &local, &["--jobs", jobs]);
        assert_exit(&o, FAILED);
        let statuses = statuses(&report);
        let sent = if round == 1 { "sent" } else { "unchanged" };
        assert_eq!(statuses[numbers[0]], sent, "round {round}: {statuses:?}");
        assert_eq!(
            statuses[numbers[1]], "invalid",
            "round {round}: {statuses:?}"
        );
        assert_eq!(statuses[numbers[2]], sent, "round {round}: {statuses:?}");
        assert_eq!(
            problems_of(&report, VALID_MAWB),
            expected,
            "round {round}: the problems check gives"
        );
    }
    let objs = acp.objects();
    objs.assert_no_duplicates();
    assert_eq!(objs.items_of_manifest(numbers[0]).len(), 5);
    assert_eq!(objs.items_of_manifest(numbers[2]).len(), 5);
}

#[test]
fn a_second_folder_of_the_same_mawb_is_refused_and_the_first_is_sent_and_never_cancelled() {
    let wd = Workdir::new();
    let acp = Acp::start();
    wd.mawb_folder("batch/a", &Sheet::hawbs(0, 3));
    wd.mawb_folder("batch/b", &Sheet::hawbs(100, 2));
    let batch = wd.join("batch");
    let local = Local::new(&wd, "run");
    for (round, jobs) in [(1, "2"), (2, "1")] {
        let (o, report) = run(&wd, &acp, &batch, &local, &["--jobs", jobs]);
        assert_exit(&o, FAILED);
        let by_folder: BTreeMap<String, &Value> = report["mawbs"]
            .as_array()
            .expect("mawbs")
            .iter()
            .map(|m| (text(&m["folder"]), m))
            .collect();
        let sent = if round == 1 { "sent" } else { "unchanged" };
        assert_eq!(
            text(&by_folder["a"]["outcome"]["status"]),
            sent,
            "round {round}"
        );
        assert_eq!(
            text(&by_folder["b"]["outcome"]["status"]),
            "invalid",
            "round {round}"
        );
        let codes: Vec<String> = by_folder["b"]["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .map(|p| text(&p["code"]))
            .collect();
        assert_eq!(codes, ["duplicate-mawb"], "round {round}");
    }
    let commands = commands_of(&acp.requests());
    assert!(
        commands.iter().all(|c| !c.starts_with("cancel")),
        "nothing is cancelled: {commands:?}"
    );
    assert_eq!(
        commands.iter().filter(|c| *c == "createManifest").count(),
        1
    );
    let objs = acp.objects();
    objs.assert_no_duplicates();
    assert_eq!(objs.items_of_manifest(VALID_MAWB).len(), 3);
}

#[test]
fn a_ledger_filled_in_test_mode_or_at_another_endpoint_refuses_to_send_elsewhere_and_a_new_ledger_sends(
) {
    let wd = Workdir::new();
    let acp = Acp::start();
    wd.mawb_folder("batch/a", &Sheet::hawbs(0, 2));
    let batch = wd.join("batch");
    let local = Local::new(&wd, "run");
    run_ok(&wd, &acp, &batch, &local, &["--test-mode"]);
    let sent = acp.requests().len();
    // The same ledger, live (then at another endpoint): refused before anything is sent.
    let other = Acp::start();
    let live_here: &[&str] = &[];
    for (endpoint, extra) in [
        (acp.endpoint(), live_here),
        (other.endpoint(), &["--test-mode"]),
    ] {
        let mut args = run_args(&acp, &batch, &local, extra);
        args[3] = endpoint.clone();
        let mut cmd = wd.mawb();
        cmd.args(&args).env("ACP_API_KEY", &acp.key);
        let o = wd.run(&mut cmd);
        assert_exit(&o, USAGE);
        let err = stderr(&o);
        assert!(
            err.contains("in test mode")
                && err.contains("nothing was sent")
                && err.contains("--state"),
            "{endpoint} {extra:?}: {err}"
        );
    }
    assert_eq!(acp.requests().len(), sent, "nothing more reached ACP");
    assert!(other.requests().is_empty());
    // A ledger of its own for the other endpoint: the MAWB is sent there.
    let live = Local::new(&wd, "live");
    let report = run_ok(&wd, &other, &batch, &live, &[]);
    assert_eq!(statuses(&report)[VALID_MAWB], "sent");
    // `mawb status` says where each ledger sends, in text and (for one MAWB) in JSON.
    for (ledger, endpoint, mode, test_mode) in [
        (&local, acp.endpoint(), "in test mode", true),
        (&live, other.endpoint(), "live (not test mode)", false),
    ] {
        let state = ledger.state.to_str().unwrap();
        let o = wd.run(wd.mawb().args(["status", "--state", state]));
        assert_exit(&o, OK);
        let first = stdout(&o).lines().next().unwrap_or_default().to_string();
        assert!(
            first.contains(&format!("sends to {endpoint}")) && first.contains(mode),
            "{first}"
        );
        let o = wd.run(
            wd.mawb()
                .args(["status", VALID_MAWB, "--json", "--state", state]),
        );
        assert_exit(&o, OK);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["target"]["endpoint"].as_str(), Some(endpoint.as_str()));
        assert_eq!(v["target"]["test_mode"], test_mode);
    }
}

/// A mistyped endpoint whose port refuses every connection does not keep the ledger from the right one:
/// nothing ever reached it.
#[test]
fn a_ledger_whose_endpoint_was_never_reached_sends_to_the_corrected_one() {
    let wd = Workdir::new();
    let acp = Acp::start();
    wd.mawb_folder("batch/a", &Sheet::hawbs(0, 2));
    let batch = wd.join("batch");
    let local = Local::new(&wd, "run");
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}/", l.local_addr().unwrap().port())
    };
    let mut args = run_args(&acp, &batch, &local, &["--attempts", "2"]);
    args[3] = refused.clone();
    let mut cmd = wd.mawb();
    cmd.args(&args).env("ACP_API_KEY", &acp.key);
    let o = wd.run(&mut cmd);
    assert_exit(&o, FAILED);
    assert!(stdout(&o).contains("Connection refused") || stderr(&o).contains("Connection refused"));
    // The right endpoint, the same ledger: sent, with a word about the move.
    let mut cmd = wd.mawb();
    cmd.args(run_args(&acp, &batch, &local, &[]))
        .env("ACP_API_KEY", &acp.key);
    let o = wd.run(&mut cmd);
    assert_exit(&o, OK);
    assert!(
        stderr(&o).contains(&format!("nothing it recorded ever reached {refused}")),
        "{}",
        stderr(&o)
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&local.report).unwrap()).unwrap();
    assert_eq!(statuses(&report)[VALID_MAWB], "sent");
    // And from now on the ledger is the right endpoint's: the refused one is refused.
    let mut args = run_args(&acp, &batch, &local, &[]);
    args[3] = refused;
    let mut cmd = wd.mawb();
    cmd.args(&args).env("ACP_API_KEY", &acp.key);
    assert_exit(&wd.run(&mut cmd), USAGE);
}

/// A folder whose fingerprint moves while its manifest payload does not (a setting that only changes how
/// sheets are checked, as a newer mawb's own settings do) sends nothing again: ACP holds that payload.
#[test]
fn a_folder_whose_payload_did_not_change_is_unchanged_and_sends_no_manifest_again() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = hand_made_batch_with(&wd, &Sheet::hawbs(0, 3), "123", true);
    let local = Local::new(&wd, "run");
    let first = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(statuses(&first)[VALID_MAWB], "sent");
    let toml = batch.join(VALID_MAWB).join("mawb.toml");
    let text = wd.read_string(&toml);
    wd.write(&toml, format!("hidden_rows = \"read\"\n{text}"));
    let writes = |acp: &Acp| {
        acp.requests()
            .into_iter()
            .filter(|r| !["getManifest", "getInfo"].contains(&r["command"].as_str().unwrap_or("")))
            .count()
    };
    let before = writes(&acp);
    let again = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(statuses(&again)[VALID_MAWB], "unchanged", "{again:#}");
    assert_eq!(writes(&acp), before, "nothing but reads reached ACP");
    // And the run after it has nothing to ask.
    let third = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(statuses(&third)[VALID_MAWB], "unchanged");
    assert_eq!(writes(&acp), before);
}

#[test]
fn a_ledger_of_the_earlier_default_in_the_working_folder_is_not_left_behind_silently() {
    let wd = Workdir::new();
    let acp = Acp::start();
    wd.mawb_folder("batch/a", &Sheet::hawbs(0, 2));
    let run_in_wd = |extra: &[&str]| {
        let mut cmd = wd.mawb();
        cmd.args(["run", "batch", "--endpoint", &acp.endpoint()])
            .args(extra)
            .env("ACP_API_KEY", &acp.key);
        wd.run(&mut cmd)
    };
    // A run of an earlier version's default: the ledger in the working folder.
    assert_exit(
        &run_in_wd(&["--state", "mawb-state.sqlite", "--archive", "archive"]),
        OK,
    );
    let sent = acp.requests().len();
    // The default ledger would be new: refused, with the flags that go on with the earlier one.
    let o = run_in_wd(&[]);
    assert_exit(&o, USAGE);
    let err = stderr(&o);
    assert!(
        err.contains("mawb-state.sqlite")
            && err.contains("--state mawb-state.sqlite --archive archive"),
        "{err}"
    );
    assert_eq!(acp.requests().len(), sent, "nothing sent");
    assert!(
        !wd.join(".mawb-state/state.sqlite").exists(),
        "no new ledger"
    );
    // Those flags: the MAWB is unchanged.
    let o = run_in_wd(&["--state", "mawb-state.sqlite", "--archive", "archive"]);
    assert_exit(&o, OK);
    assert!(stdout(&o).contains("unchanged"), "{}", stdout(&o));
}

// --------------------------------------------------------------------------------------------------------
// 5. A changed MAWB: modifyManifest
// --------------------------------------------------------------------------------------------------------

/// Uploads a MAWB of `n` items (the first `bagged` in bag B1), removes TN00000002 (bagged) from its
/// csv and runs again: the item is cancelled and the manifest updated (counts right); a third run with
/// no change sends nothing. When no unit of the manifest survives outside what must be cancelled (every
/// unit sits in the day being rebuilt, or the only bag changes), no modifyManifest can detach them: the
/// manifest is then cancelled and created again (`recreated`), still reported as "modified".
fn a_removed_item_is_applied(n: usize, bagged: usize, day: bool, recreated: bool) {
    assert!(bagged >= 2, "TN00000002 is in the bag");
    let wd = Workdir::new();
    let acp = Acp::start();
    let mut hawbs = sheet(n, bagged);
    let batch = hand_made_batch_with(&wd, &hawbs, "123", day);
    let local = Local::new(&wd, "run");
    let first = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(statuses(&first)[VALID_MAWB], "sent");
    let manifest_id = text(&outcomes(&first)[VALID_MAWB]["manifest_id"]);
    let before = acp.requests().len();

    hawbs.rows.remove(1);
    hawbs.write_csv(&batch.join(VALID_MAWB), "hawbs.csv");
    let second = run_ok(&wd, &acp, &batch, &local, &[]);

    let o = &outcomes(&second)[VALID_MAWB];
    assert_eq!(o["status"], "modified", "{o:#}");
    assert_eq!(o["items_cancelled"], 1, "{o:#}");
    assert_eq!(o["reconciliation"]["ok"], true, "{o:#}");
    let new: Vec<String> = commands_of(&acp.requests()[before..]);
    assert!(new.iter().any(|c| c == "cancelMailing"), "{new:?}");
    let manifest_id = if recreated {
        assert!(new.iter().any(|c| c == "cancelManifest"), "{new:?}");
        assert!(new.iter().any(|c| c == "createManifest"), "{new:?}");
        // The replacement is said plainly, not left to a log line.
        assert_eq!(text(&o["manifest_replaced"]), manifest_id, "{o:#}");
        text(&o["manifest_id"])
    } else {
        assert!(o["manifest_replaced"].is_null(), "{o:#}");
        assert_eq!(text(&o["manifest_id"]), manifest_id, "the same manifest");
        assert!(new.iter().any(|c| c == "modifyManifest"), "{new:?}");
        assert!(!new.iter().any(|c| c == "createManifest"), "{new:?}");
        manifest_id
    };
    let objs = acp.objects();
    objs.assert_no_duplicates();
    assert!(!objs.tracking_numbers().contains("TN00000002"), "{objs:#?}");
    assert_eq!(objs.items.len(), n - 1);
    assert_eq!(objs.manifests.len(), 1);
    let m = objs.manifest(VALID_MAWB);
    assert_eq!(text(&m["manifestId"]), manifest_id);
    assert_eq!(m["numItems"], n - 1, "{m:#}");
    assert_eq!(m["numBags"], 1, "{m:#}");
    assert_eq!(m["numDays"], usize::from(day), "{m:#}");
    assert_eq!(dec(&m["weight"]), Decimal::from(n - 1), "{m:#}");
    assert_eq!(objs.bags.len(), 1);
    assert_eq!(
        objs.bags[0]["items"],
        bagged - 1,
        "B1 lost one item: {:#?}",
        objs.bags
    );

    // Nothing changed since: nothing is sent.
    let sent_so_far = acp.requests().len();
    let third = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(statuses(&third)[VALID_MAWB], "unchanged");
    assert_eq!(outcomes(&third)[VALID_MAWB]["requests_sent"], 0);
    assert_eq!(
        acp.requests().len(),
        sent_so_far,
        "an unchanged MAWB sends no request"
    );
}

#[test]
fn a_removed_item_is_cancelled_and_the_manifest_modified_then_an_unchanged_rerun_sends_nothing() {
    a_removed_item_is_applied(6, 3, false, false);
}

#[test]
fn a_removed_item_of_a_mawb_grouped_in_a_day_rebuilds_its_day_and_manifest() {
    a_removed_item_is_applied(6, 3, true, true);
}

#[test]
fn a_removed_item_of_a_mawb_with_a_single_bag_recreates_its_manifest() {
    a_removed_item_is_applied(4, 4, false, true);
}

#[test]
fn a_changed_trip_number_is_sent_with_modify_manifest_alone() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let hawbs = sheet(4, 2);
    let batch = hand_made_batch(&wd, &hawbs, "123");
    let local = Local::new(&wd, "run");
    run_ok(&wd, &acp, &batch, &local, &[]);
    let before = acp.objects();
    let sent = acp.requests().len();

    write_toml(&batch.join(VALID_MAWB), "456", true);
    let report = run_ok(&wd, &acp, &batch, &local, &[]);

    let o = &outcomes(&report)[VALID_MAWB];
    assert_eq!(o["status"], "modified", "{o:#}");
    assert_eq!(o["reconciliation"]["ok"], true, "{o:#}");
    let new = commands_of(&acp.requests()[sent..]);
    assert!(new.iter().any(|c| c == "modifyManifest"), "{new:?}");
    assert!(
        !new.iter()
            .any(|c| c.starts_with("create") || c.starts_with("cancel")),
        "only the manifest changes: {new:?}"
    );
    let after = acp.objects();
    assert_eq!(after.tracking_numbers(), before.tracking_numbers());
    assert_eq!(after.manifests.len(), 1);
    assert_eq!(
        after.manifests[0]["manifestId"],
        before.manifests[0]["manifestId"]
    );
}

// --------------------------------------------------------------------------------------------------------
// 6. The key is written nowhere
// --------------------------------------------------------------------------------------------------------

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_api_key_appears_in_no_log_report_ledger_label_or_request_log() {
    const SECRET: &str = "K3Y-s3cr3t-0123456789";
    const WRONG: &str = "K3Y-wr0ng-9876543210";
    let wd = Workdir::new();
    let acp = Acp::with_key(SECRET);
    let batch = sample_batch(&wd, 2, 12, 31, 1);
    let local = Local::new(&wd, "run");
    let elsewhere = Local::new(&wd, "wrong-key");
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut run_vv = |key: &str, local: &Local, extra: &[&str]| {
        let mut cmd = wd.mawb();
        cmd.args(run_args(&acp, &batch, local, extra))
            .arg("-vv")
            .env("ACP_API_KEY", key);
        let o = wd.run(&mut cmd);
        assert_no_panic(&o);
        outputs.push((format!("stdout {key}"), o.stdout.clone()));
        outputs.push((format!("stderr {key}"), o.stderr.clone()));
        o
    };

    // A run with retried errors (so error paths log too), then a clean re-run, then a wrong key.
    acp.set_faults(&["createBag:nth=1:http500", "getInfo:nth=1:drop"]);
    let o = run_vv(SECRET, &local, &["--attempts", "3"]);
    assert_exit(&o, OK);
    acp.clear_faults();
    assert_exit(&run_vv(SECRET, &local, &[]), OK);
    let refused = run_vv(WRONG, &elsewhere, &[]);
    // A wrong key is a configuration error (exit 2), not a failed MAWB.
    assert_exit(&refused, USAGE);
    let refused_err = stderr(&refused) + &stdout(&refused);
    assert!(
        refused_err.contains("invalid apikey"),
        "ACP's refusal is shown: {refused_err}"
    );
    assert!(
        stderr(&o).contains("TRACE") || stderr(&o).contains("DEBUG"),
        "-vv logs in detail"
    );

    for (what, bytes) in &outputs {
        for key in [SECRET, WRONG] {
            assert!(
                !contains(bytes, key.as_bytes()),
                "{what} holds the key {key}:\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
    let files = files_under(wd.path());
    assert!(
        files.iter().any(|f| f.ends_with("state.sqlite")),
        "{files:?}"
    );
    assert!(files.iter().any(|f| f.ends_with("labels.zip")), "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with("report.json")),
        "{files:?}"
    );
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("read {}: {e}", f.display()));
        for key in [SECRET, WRONG] {
            assert!(
                !contains(&bytes, key.as_bytes()),
                "{} holds the key {key}",
                f.display()
            );
        }
    }
    let log = acp.get("requests");
    assert!(!log.is_empty());
    assert!(!log.contains(SECRET) && !log.contains(WRONG), "{log}");
}

// --------------------------------------------------------------------------------------------------------
// 7. mawb status, mawb cancel
// --------------------------------------------------------------------------------------------------------

fn state_args(local: &Local) -> [String; 4] {
    [
        "--state".into(),
        local.state.display().to_string(),
        "--archive".into(),
        local.archive.display().to_string(),
    ]
}

#[test]
fn status_lists_a_finished_mawb_as_done_with_its_manifest_id() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = hand_made_batch(&wd, &sheet(4, 2), "123");
    let local = Local::new(&wd, "run");
    let report = run_ok(&wd, &acp, &batch, &local, &[]);
    let manifest_id = text(&outcomes(&report)[VALID_MAWB]["manifest_id"]);
    assert!(!manifest_id.is_empty());

    let all = wd.run_mawb(["status".to_string()].into_iter().chain(state_args(&local)));
    assert_exit(&all, OK);
    let line = stdout(&all)
        .lines()
        .find(|l| l.starts_with(VALID_MAWB))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("status lists {VALID_MAWB}:\n{}", stdout(&all)));
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cols[1], "done", "{line}");
    assert_eq!(cols[2], manifest_id, "{line}");

    let one = wd.run_mawb(
        ["status".to_string(), VALID_MAWB.to_string()]
            .into_iter()
            .chain(state_args(&local)),
    );
    assert_exit(&one, OK);
    let out = stdout(&one);
    assert!(out.contains("state done"), "{out}");
    assert!(out.contains(&format!("manifest {manifest_id}")), "{out}");
    assert!(
        out.contains("createManifest"),
        "the requests are listed: {out}"
    );

    let json = wd.run_mawb(
        ["status".to_string(), VALID_MAWB.into(), "--json".into()]
            .into_iter()
            .chain(state_args(&local)),
    );
    assert_exit(&json, OK);
    let v: Value = serde_json::from_slice(&json.stdout).expect("status --json is JSON");
    assert_eq!(v["mawb"]["state"], "done", "{v:#}");
    assert_eq!(text(&v["mawb"]["manifest_id"]), manifest_id, "{v:#}");
    assert_eq!(v["items"], 4, "{v:#}");
}

#[test]
fn objects_cancelled_by_hand_are_recreated_by_the_next_run() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = hand_made_batch(&wd, &sheet(5, 3), "123");
    let local = Local::new(&wd, "run");
    let report = run_ok(&wd, &acp, &batch, &local, &[]);
    let o = &outcomes(&report)[VALID_MAWB];
    let manifest_id = text(&o["manifest_id"]);
    let day_id = text(&o["day_id"]);
    let objs = acp.objects();
    let bag_id = text(&objs.bags[0]["bagId"]);

    let cancel = |what: &str, id: &str| {
        let mut cmd = wd.mawb();
        cmd.args(["cancel", what, id, "--endpoint", &acp.endpoint()])
            .args(state_args(&local))
            .env("ACP_API_KEY", &acp.key);
        let o = wd.run(&mut cmd);
        assert_no_panic(&o);
        o
    };

    // A bag inside a day cannot be cancelled: ACP refuses, mawb says so and exits 1.
    let refused = cancel("bag", &bag_id);
    assert_exit(&refused, FAILED);
    assert!(
        stdout(&refused).contains("conflict"),
        "{}",
        stdout(&refused)
    );
    assert_eq!(acp.objects().bags.len(), 1);

    // Top down: the manifest, the day, the bag, then an item of the bag (now loose).
    for (what, id) in [
        ("manifest", manifest_id.as_str()),
        ("day", day_id.as_str()),
        ("bag", bag_id.as_str()),
        ("item", "TN00000001"),
    ] {
        let o = cancel(what, id);
        assert_exit(&o, OK);
        assert!(
            stdout(&o).contains(&format!("MAWB {VALID_MAWB}")),
            "cancel {what} names the MAWB to re-sync:\n{}",
            stdout(&o)
        );
    }
    let gone = acp.objects();
    assert!(gone.manifests.is_empty() && gone.days.is_empty() && gone.bags.is_empty());
    assert!(!gone.tracking_numbers().contains("TN00000001"));
    assert_eq!(gone.items.len(), 4);

    let report = run_ok(&wd, &acp, &batch, &local, &[]);
    let o = &outcomes(&report)[VALID_MAWB];
    assert!(o["status"] == "sent" || o["status"] == "modified", "{o:#}");
    assert_eq!(o["reconciliation"]["ok"], true, "{o:#}");
    let objs = acp.objects();
    objs.assert_no_duplicates();
    assert_eq!(objs.items.len(), 5);
    assert!(objs.tracking_numbers().contains("TN00000001"));
    assert_eq!(objs.bags.len(), 1);
    assert_eq!(objs.bags[0]["items"], 3);
    assert_eq!(objs.days.len(), 1);
    assert_eq!(objs.manifests.len(), 1);
    let m = objs.manifest(VALID_MAWB);
    assert_eq!(m["numItems"], 5, "{m:#}");
    assert_eq!(text(&o["manifest_id"]), text(&m["manifestId"]));
}

/// `mawb cancel` of an object of a MAWB a run is sending waits for that run (its lock) before it sends,
/// says so, and then cancels: a cancel never crosses a run's requests.
#[test]
fn cancel_waits_for_a_run_sending_the_same_mawb() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let local = Local::new(&wd, "run");
    let report = run_ok(
        &wd,
        &acp,
        &hand_made_batch(&wd, &sheet(2, 1), "123"),
        &local,
        &[],
    );
    let manifest_id = text(&outcomes(&report)[VALID_MAWB]["manifest_id"]);
    // The lock a run of this MAWB holds while it sends (beside the ledger).
    let mut locks = local.state.clone().into_os_string();
    locks.push(".locks");
    let held =
        mawb::mawb_lock::MawbLock::acquire(std::path::Path::new(&locks), VALID_MAWB, &|_| {})
            .expect("take the MAWB's lock");
    let before = acp.requests().len();
    let mut cmd = wd.mawb();
    cmd.args([
        "cancel",
        "manifest",
        &manifest_id,
        "--endpoint",
        &acp.endpoint(),
    ])
    .args(state_args(&local))
    .env("ACP_API_KEY", &acp.key)
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("start mawb cancel");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        child.try_wait().expect("poll mawb cancel").is_none(),
        "the cancel went on while the MAWB was locked"
    );
    assert_eq!(
        acp.requests().len(),
        before,
        "nothing sent while the run holds the MAWB"
    );
    drop(held);
    let o = child.wait_with_output().expect("wait for mawb cancel");
    assert_no_panic(&o);
    assert_exit(&o, OK);
    assert!(
        stderr(&o).contains("waiting for it to finish before cancelling"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        commands_of(&acp.requests()[before..]),
        vec!["cancelManifest"]
    );
}

#[test]
fn cancel_refuses_what_its_ledger_did_not_send_and_sends_nothing() {
    let wd = Workdir::new();
    let acp = Acp::start();
    // Ledger A sends 112-44995451; ledger B sends 112-44995462 (items TN00000011…).
    let a = Local::new(&wd, "a");
    let report = run_ok(
        &wd,
        &acp,
        &hand_made_batch(&wd, &sheet(2, 1), "123"),
        &a,
        &[],
    );
    let a_manifest = text(&outcomes(&report)[VALID_MAWB]["manifest_id"]);
    let other = "112-44995462";
    let mut b_sheet = Sheet::hawbs(11, 2);
    b_sheet.set(0, "bag", "B1");
    let dir = wd.mawb_folder(format!("batch-b/{other}"), &b_sheet);
    write_file(
        &dir.join("mawb.toml"),
        mawb_toml_text(other, "create_day = true").as_bytes(),
    );
    let b = Local::new(&wd, "b");
    let report = run_ok(&wd, &acp, &wd.join("batch-b"), &b, &[]);
    let b = &outcomes(&report)[other];
    let (b_manifest, b_day) = (text(&b["manifest_id"]), text(&b["day_id"]));
    let b_bag = acp
        .objects()
        .bags
        .iter()
        .map(|g| text(&g["shipperBagId"]))
        .find(|s| s.starts_with(other))
        .expect("ledger B's bag");
    let before = acp.objects();

    let cancel = |args: &[&str], local: &Local| {
        let mut cmd = wd.mawb();
        cmd.arg("cancel")
            .args(args)
            .args(["--endpoint", &acp.endpoint()])
            .args(state_args(local))
            .env("ACP_API_KEY", &acp.key);
        let o = wd.run(&mut cmd);
        assert_no_panic(&o);
        o
    };
    // Ledger A is asked to cancel B's objects (a wrong --state), or ids it never saw (a typo).
    for args in [
        vec!["manifest", b_manifest.as_str()],
        vec!["manifest", "--shipper-id", other],
        vec!["day", b_day.as_str()],
        vec!["day", "--shipper-id", "112-44995462-DAY"],
        vec!["bag", "--shipper-id", b_bag.as_str()],
        vec!["item", "TN00000011"],
        vec!["item", "--shipper-id", "SI00000012"],
        vec!["manifest", "999999"],
    ] {
        let o = cancel(&args, &a);
        assert_exit(&o, USAGE);
        let err = stderr(&o);
        assert!(
            err.contains("holds no")
                && err.contains("nothing was sent")
                && err.contains(args[args.len() - 1]),
            "cancel {args:?}: {err}"
        );
    }
    // A ledger file that does not exist is not created by the refusal.
    let missing = Local::new(&wd, "missing");
    let o = cancel(&["manifest", b_manifest.as_str()], &missing);
    assert_exit(&o, USAGE);
    assert!(!missing.state.exists());
    assert!(acp.requests_of("cancelManifest").is_empty());
    assert!(acp.requests_of("cancelDay").is_empty());
    assert!(acp.requests_of("cancelBag").is_empty());
    assert!(acp.requests_of("cancelMailing").is_empty());
    let after = acp.objects();
    assert_eq!(after.manifests.len(), before.manifests.len());
    assert_eq!(after.items.len(), before.items.len());

    // Each ledger still cancels its own manifest and day, by either id.
    assert_exit(&cancel(&["manifest", a_manifest.as_str()], &a), OK);
    assert_exit(
        &cancel(&["day", "--shipper-id", &format!("{VALID_MAWB}-DAY")], &a),
        OK,
    );
    let b = Local::new(&wd, "b");
    assert_exit(&cancel(&["manifest", "--shipper-id", other], &b), OK);
    assert_exit(&cancel(&["day", b_day.as_str()], &b), OK);
    let left = acp.objects();
    assert!(
        left.manifests.is_empty() && left.days.is_empty(),
        "{left:?}"
    );
}

// --------------------------------------------------------------------------------------------------------
// 8. Configuration errors
// --------------------------------------------------------------------------------------------------------

#[test]
fn configuration_errors_exit_2_with_a_clear_message_and_send_nothing() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = hand_made_batch(&wd, &sheet(2, 0), "123");
    let state = wd.join("state.sqlite");
    let base = |endpoint: Option<&str>| {
        let mut cmd = wd.mawb();
        cmd.args(["run", &batch.display().to_string()])
            .args(["--state", &state.display().to_string()]);
        if let Some(e) = endpoint {
            cmd.args(["--endpoint", e]);
        }
        cmd
    };
    let endpoint = acp.endpoint();
    let cases: Vec<(&str, std::process::Command, &[&str])> = vec![
        (
            "no endpoint",
            {
                let mut c = base(None);
                c.env("ACP_API_KEY", KEY);
                c
            },
            &["endpoint", "--endpoint", "ACP_ENDPOINT"][..],
        ),
        (
            "no key",
            base(Some(&endpoint)),
            &["ACP_API_KEY", "not set"][..],
        ),
        (
            "a key variable of another name that is not set",
            {
                let mut c = base(Some(&endpoint));
                c.args(["--api-key-env", "MY_ACP_KEY"])
                    .env("ACP_API_KEY", KEY);
                c
            },
            &["MY_ACP_KEY"][..],
        ),
        (
            "plain http off loopback",
            {
                let mut c = base(Some("http://acp.example.com/api"));
                c.env("ACP_API_KEY", KEY);
                c
            },
            &["http://acp.example.com/api", "https"][..],
        ),
    ];
    for (what, mut cmd, needles) in cases {
        let o = wd.run(&mut cmd);
        assert_exit(&o, USAGE);
        let err = stderr(&o);
        for n in needles {
            assert!(err.contains(n), "{what}: stderr names {n}:\n{err}");
        }
        assert!(!err.contains(KEY), "{what}: no key in the message");
        assert!(!state.exists(), "{what}: no ledger is created");
    }
    // The environment variable works like the flag.
    let mut cmd = base(None);
    cmd.env("ACP_ENDPOINT", "http://acp.example.com/")
        .env("ACP_API_KEY", KEY);
    assert_exit(&wd.run(&mut cmd), USAGE);
    assert!(acp.requests().is_empty(), "nothing reached ACP");
}

#[test]
fn a_reader_panic_fails_only_its_mawb_and_the_batch_goes_on() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = wd.samples_with(3, 9, 61, &["--formats", "csv"]);
    let dirs = wd.mawb_dirs(&batch);
    let hit = &dirs[0];
    std::fs::rename(hit.join("hawbs-1.csv"), hit.join("boom.csv")).expect("rename the HAWB file");
    let hit_folder = hit
        .file_name()
        .expect("a folder name")
        .to_string_lossy()
        .into_owned();
    let local = Local::new(&wd, "faulty");
    let mut cmd = wd.mawb();
    cmd.args(run_args(&acp, &batch, &local, &[]))
        .env("ACP_API_KEY", &acp.key)
        .env(mawb::contain::FAULT_ENV, "read-panic:boom.csv");
    let o = wd.run(&mut cmd);
    assert_exit(&o, FAILED);
    let report: Value = serde_json::from_slice(&std::fs::read(&local.report).expect("report"))
        .expect("report is JSON");
    let mawbs = report["mawbs"].as_array().cloned().unwrap_or_default();
    assert_eq!(mawbs.len(), 3, "{report}");
    for m in &mawbs {
        let expected = if m["folder"] == hit_folder.as_str() {
            "invalid"
        } else {
            "sent"
        };
        assert_eq!(
            m["outcome"]["status"], expected,
            "{}: {}",
            m["folder"], m["outcome"]
        );
    }
    let hit_report = mawbs
        .iter()
        .find(|m| m["folder"] == hit_folder.as_str())
        .expect("the failed MAWB in the report");
    assert!(
        hit_report["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["code"] == "file-unreadable"
                && p["file"] == "boom.csv"
                && text(&p["message"]).contains("the spreadsheet reader failed on this file")),
        "{hit_report}"
    );
    assert_eq!(
        acp.objects().manifests.len(),
        2,
        "the two other MAWBs are at ACP"
    );
}

/// A wrong API key is a configuration error: exit 2 with the cause on stderr, every MAWB's outcome marked,
/// nothing created at ACP; the same batch with the right key then goes through.
#[test]
fn a_wrong_api_key_is_a_configuration_error_exit_2() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 2, 6, 41, 0);
    let local = Local::new(&wd, "wrong-key");
    let mut cmd = wd.mawb();
    cmd.args(run_args(&acp, &batch, &local, &[]))
        .env("ACP_API_KEY", "not-the-key");
    let o = wd.run(&mut cmd);
    assert_no_panic(&o);
    assert_exit(&o, USAGE);
    let err = stderr(&o);
    assert!(err.contains("configuration error"), "{err}");
    assert!(err.contains("ACP_API_KEY"), "{err}");
    assert!(!err.contains("not-the-key"), "the key leaked: {err}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&local.report).expect("a report")).expect("JSON");
    for (m, o) in outcomes(&report) {
        assert_eq!(o["configuration_error"], true, "{m}: {o}");
        // Not a failed MAWB: neither in the report nor in the ledger.
        assert_eq!(o["status"], "configuration-error", "{m}: {o}");
    }
    let status = wd.run_mawb(["status".to_string()].into_iter().chain(state_args(&local)));
    assert!(!stdout(&status).contains("failed"), "{}", stdout(&status));
    assert!(acp.objects().items.is_empty(), "nothing created at ACP");
    run_ok(&wd, &acp, &batch, &local, &[]);
}

/// Two runs of one batch at once on one ledger: each MAWB is sent by one of them while the other waits
/// for it (naming the holder), both exit 0, nothing is at ACP twice. A run of another batch on the same
/// ledger is not held up.
#[test]
fn two_runs_of_one_batch_at_once_wait_for_each_other_per_mawb() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 3, 30, 57, 0);
    let local = Local::new(&wd, "shared");
    let spawn = |report: &str| {
        let mut args = run_args(&acp, &batch, &local, &["--jobs", "1"]);
        let at = args.iter().position(|a| a == "--json").expect("--json") + 1;
        args[at] = wd.join(report).display().to_string();
        let mut cmd = wd.mawb();
        cmd.args(args)
            .env("ACP_API_KEY", &acp.key)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd.spawn().expect("start mawb run")
    };
    let a = spawn("a.json");
    let b = spawn("b.json");
    let (a, b) = (
        a.wait_with_output().expect("run a"),
        b.wait_with_output().expect("run b"),
    );
    assert_no_panic(&a);
    assert_no_panic(&b);
    assert_exit(&a, OK);
    assert_exit(&b, OK);
    acp.objects().assert_no_duplicates();
    let other = sample_batch(&wd, 1, 5, 58, 0);
    run_ok(&wd, &acp, &other, &local, &[]);
}

/// A changed parcel of a labelled MAWB is cancelled and created again with a new tracking number: the old
/// label stays in the archive marked void with the tracking number that replaces it, the index carries
/// shipperItemId, and the run says which labels to print again.
#[test]
fn a_relabelled_parcel_voids_its_old_label_and_says_print_the_new_one() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = wd.samples_with(1, 4, 77, &["--label", "1", "--formats", "csv"]);
    let local = Local::new(&wd, "relabel");
    run_ok(&wd, &acp, &batch, &local, &[]);
    let dir = wd.mawb_dirs(&batch).remove(0);
    let number = text(&check_report(&wd, &batch)["mawbs"][0]["manifest_number"]);
    let csv_path = std::fs::read_dir(&dir)
        .expect("the MAWB folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .expect("a csv");
    let mut rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&csv_path)
        .expect("read the csv")
        .records()
        .map(|r| r.expect("a record").iter().map(String::from).collect())
        .collect();
    // Sample headers are spelt every which way ("Weight", "shipper_item_id").
    let norm = |h: &str| -> String {
        h.chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-' | '\u{feff}'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let col = |name: &str| {
        rows[0]
            .iter()
            .position(|h| norm(h) == name)
            .unwrap_or_else(|| panic!("no {name} column in {:?}", rows[0]))
    };
    let (w, sid_col) = (col("weight"), col("shipperitemid"));
    let sid = rows[1][sid_col].clone();
    // A new weight, light enough for label 1 (15 lb), on every row of the first item that states one
    // (an item's later rows may repeat it).
    let weight = if rows[1][w] == "0.987" {
        "0.988"
    } else {
        "0.987"
    };
    // A row with a blank key continues the item above it.
    let mut r = 1;
    while r < rows.len() && (r == 1 || rows[r][sid_col] == sid || rows[r][sid_col].is_empty()) {
        if r == 1 || !rows[r][w].is_empty() {
            rows[r][w] = weight.into();
        }
        r += 1;
    }
    let mut out = csv::Writer::from_path(&csv_path).expect("write the csv");
    for r in &rows {
        out.write_record(r).expect("a record");
    }
    out.flush().expect("flush");
    drop(out);

    let (o, report) = run(&wd, &acp, &batch, &local, &[]);
    assert_exit(&o, OK);
    let outcome = &outcomes(&report)[&number];
    let relabelled = outcome["relabelled"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(relabelled.len(), 1, "{outcome:#}");
    let new_tn = text(&relabelled[0]["tracking_number"]);
    let old_tn = text(&relabelled[0]["replaces"]);
    assert_ne!(new_tn, old_tn);
    let out = stdout(&o);
    assert!(out.contains("re-labelled: print the new labels"), "{out}");
    assert!(out.contains(&new_tn), "{out}");

    let index =
        std::fs::read_to_string(local.archive.join(&number).join("index.csv")).expect("index.csv");
    let header = index.lines().next().unwrap_or_default();
    assert_eq!(
        header,
        "entity,id,shipperItemId,file,format,sha256,bytes,status,replacedBy"
    );
    let line_of = |tn: &str| {
        index
            .lines()
            .find(|l| l.starts_with(&format!("item,{tn},")))
            .unwrap_or_else(|| panic!("{tn} not in the index:\n{index}"))
            .to_string()
    };
    let old = line_of(&old_tn);
    assert!(old.contains(&format!(",{sid},")), "{old}");
    assert!(old.ends_with(&format!(",void,{new_tn}")), "{old}");
    let new = line_of(&new_tn);
    assert!(new.contains(&format!(",{sid},")), "{new}");
    assert!(new.ends_with(",valid,"), "{new}");
    // Every other label is valid: 4 items, 5 labels, 1 void.
    assert_eq!(
        index.lines().filter(|l| l.contains(",void,")).count(),
        1,
        "{index}"
    );
    acp.objects().assert_no_duplicates();
}

/// A ledger whose earlier creates never reached ACP (a mistyped endpoint), were refused whole (a wrong API
/// key) or were answered with a conflict has not made the objects ACP holds under the folder's ids: each
/// later run stops with "never sent it", sends no cancel and takes nothing over, however often it is run.
#[test]
fn a_create_that_never_reached_acp_or_was_refused_is_not_taken_for_a_lost_answer() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 5, 64, 0);
    run_ok(&wd, &acp, &batch, &Local::new(&wd, "first"), &[]);
    let held = acp.objects().tracking_numbers();
    let before = acp.requests().len();

    for (name, key, endpoint) in [
        ("wrong-key", "K3Y-wr0ng-0123456789", acp.endpoint()),
        (
            "unreachable",
            acp.key.as_str(),
            "http://127.0.0.1:9/".to_string(),
        ),
    ] {
        let local = Local::new(&wd, name);
        let mut args = run_args(&acp, &batch, &local, &["--attempts", "1"]);
        args[3] = endpoint;
        let mut cmd = wd.mawb();
        cmd.args(&args).env("ACP_API_KEY", key);
        let o = wd.run(&mut cmd);
        assert_no_panic(&o);
        assert!(o.status.code() != Some(OK), "{name}: {}", stdout(&o));
        for attempt in 1..=2 {
            let (o, report) = run(&wd, &acp, &batch, &local, &[]);
            assert_exit(&o, FAILED);
            for (m, outcome) in outcomes(&report) {
                assert_eq!(
                    outcome["items_adopted"], 0,
                    "{name} {attempt} {m}: {outcome:#}"
                );
                let why = text(&outcome["error"]);
                assert!(why.contains("never sent it"), "{name} {attempt} {m}: {why}");
            }
        }
    }
    let sent = commands_of(&acp.requests()[before..]);
    assert!(!sent.iter().any(|c| c.starts_with("cancel")), "{sent:?}");
    assert_eq!(acp.objects().tracking_numbers(), held, "ACP unchanged");
}

/// A new ledger (the run started from another folder, or the ledger was moved) meets objects ACP already
/// holds under the folder's ids: mawb says the ledger is new, touches nothing it did not send (no cancel,
/// no replacement), and stops each MAWB with how to take the objects over; with `--adopt` it takes them
/// over without cancelling anything, labelled items included.
#[test]
fn a_new_ledger_never_cancels_or_replaces_what_it_did_not_send() {
    let wd = Workdir::new();
    let acp = Acp::start();
    for (label, seed) in [(1u8, 61u64), (0, 62)] {
        let batch = sample_batch(&wd, 1, 5, seed, label);
        run_ok(
            &wd,
            &acp,
            &batch,
            &Local::new(&wd, &format!("first-{seed}")),
            &[],
        );
        let held = acp.objects().tracking_numbers();
        let before = acp.requests().len();

        let fresh = Local::new(&wd, &format!("fresh-{seed}"));
        let (o, report) = run(&wd, &acp, &batch, &fresh, &[]);
        assert_exit(&o, FAILED);
        let out = stdout(&o);
        assert!(
            out.contains("(new:"),
            "the run says its ledger is new: {out}"
        );
        for (m, outcome) in outcomes(&report) {
            assert_eq!(outcome["status"], "failed", "{m}: {outcome:#}");
            let why = text(&outcome["error"]);
            assert!(
                why.contains("never sent it") && why.contains("--adopt"),
                "{m}: {why}"
            );
        }
        let sent = commands_of(&acp.requests()[before..]);
        assert!(
            !sent.iter().any(|c| c.starts_with("cancel")),
            "label {label}: a new ledger sent {sent:?}"
        );
        assert_eq!(
            acp.objects().tracking_numbers(),
            held,
            "label {label}: ACP unchanged"
        );

        let adopting = Local::new(&wd, &format!("adopt-{seed}"));
        let before = acp.requests().len();
        let report = run_ok(&wd, &acp, &batch, &adopting, &["--adopt"]);
        for (m, outcome) in outcomes(&report) {
            assert!(
                ["sent", "unchanged"].contains(&text(&outcome["status"]).as_str()),
                "{m}: {outcome:#}"
            );
        }
        let sent = commands_of(&acp.requests()[before..]);
        assert!(
            !sent.iter().any(|c| c.starts_with("cancel")),
            "label {label}: --adopt sent {sent:?}"
        );
        assert_eq!(
            acp.objects().tracking_numbers(),
            held,
            "label {label}: ACP unchanged"
        );
        acp.objects().assert_no_duplicates();
    }
}

/// Starts `mawb run` of `batch` and kills it (SIGKILL) once the sandbox has logged `count` requests of
/// `command` after the first `after` requests.
fn run_killed_after(
    wd: &Workdir,
    acp: &Acp,
    batch: &std::path::Path,
    local: &Local,
    command: &str,
    after: usize,
) {
    let mut cmd = wd.mawb();
    cmd.args(run_args(acp, batch, local, &["--attempts", "9"]))
        .env("ACP_API_KEY", &acp.key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("start mawb run");
    acp.eventually_log(command, |log| {
        log.iter().skip(after).any(|r| r["command"] == command)
    });
    child.kill().expect("kill mawb run");
    let _ = child.wait();
}

/// The trip number of manifest `id` as ACP holds it (asked with getManifest).
fn trip_at_acp(acp: &Acp, id: &str) -> String {
    let data = format!(
        "<shippingApiRequest><manifest><manifestId>{id}</manifestId></manifest></shippingApiRequest>"
    );
    let answer = ureq::post(&acp.endpoint())
        .send_form(&[
            ("apikey", acp.key.as_str()),
            ("command", "getManifest"),
            ("data", &data),
        ])
        .expect("getManifest")
        .into_string()
        .expect("the answer as text");
    let start = answer.find("<tripNumber>").expect("a tripNumber") + "<tripNumber>".len();
    let end = answer[start..].find('<').expect("its end") + start;
    answer[start..end].to_string()
}

/// A change killed half-way (the MAWB's day and manifest cancelled, a parcel cancelled and not yet
/// created again; or a modifyManifest ACP applied whose answer never came) leaves the MAWB `changing`:
/// with the folder put back as it was, the next run rebuilds what the folder holds instead of reading
/// it as unchanged, and ACP ends holding the folder's values.
#[test]
fn a_change_killed_half_way_and_put_back_is_applied_again_not_read_as_unchanged() {
    // A parcel's weight changed: the day is rebuilt, the parcel cancelled and created again.
    let wd = Workdir::new();
    let acp = Acp::start();
    let s = sheet(4, 2);
    let batch = hand_made_batch_with(&wd, &s, "77", true);
    let local = Local::new(&wd, "run");
    let first = run_ok(&wd, &acp, &batch, &local, &[]);
    let first_mid = text(&outcomes(&first)[VALID_MAWB]["manifest_id"]);
    let check = check_report(&wd, &batch);
    let csv_path = batch.join(VALID_MAWB).join("hawbs.csv");
    let original = std::fs::read(&csv_path).expect("the csv");
    let mut changed = s.clone();
    changed.set(3, "weight", "2");
    changed.write_csv(&batch.join(VALID_MAWB), "hawbs.csv");
    let before = acp.requests().len();
    acp.set_faults(&["createMailing:delay=5000"]);
    run_killed_after(&wd, &acp, &batch, &local, "cancelMailing", before);
    acp.clear_faults();
    let status = wd.run(
        wd.mawb()
            .args(["status", "--state", &local.state.display().to_string()]),
    );
    assert!(stdout(&status).contains("changing"), "{}", stdout(&status));
    std::fs::write(&csv_path, &original).expect("put the csv back");
    let report = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_ne!(outcomes(&report)[VALID_MAWB]["status"], "unchanged");
    // The killed run cancelled the manifest: this run says it was replaced.
    assert_eq!(
        outcomes(&report)[VALID_MAWB]["manifest_replaced"],
        first_mid.as_str()
    );
    assert_acp_holds_exactly(&acp.objects(), &check);
    let report = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(outcomes(&report)[VALID_MAWB]["status"], "unchanged");

    // The trip changed: modifyManifest applied at ACP, its answer lost, the run killed retrying.
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = hand_made_batch_with(&wd, &s, "77", true);
    let local = Local::new(&wd, "run");
    let first = run_ok(&wd, &acp, &batch, &local, &[]);
    let mid = text(&outcomes(&first)[VALID_MAWB]["manifest_id"]);
    write_toml(&batch.join(VALID_MAWB), "999", true);
    let before = acp.requests().len();
    acp.set_faults(&["modifyManifest:drop"]);
    run_killed_after(&wd, &acp, &batch, &local, "modifyManifest", before);
    acp.clear_faults();
    assert_eq!(
        trip_at_acp(&acp, &mid),
        "999",
        "ACP applied the lost modify"
    );
    write_toml(&batch.join(VALID_MAWB), "77", true);
    let report = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(outcomes(&report)[VALID_MAWB]["status"], "modified");
    assert_eq!(trip_at_acp(&acp, &mid), "77");
}

/// A change that cancels the manifest to rebuild the day and then fails says the manifest was cancelled
/// and not created again (not "created again as -"), and names no manifest; the next run creates it.
#[test]
fn a_manifest_cancelled_by_a_failed_change_is_reported_as_cancelled() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let s = sheet(4, 2);
    let batch = hand_made_batch_with(&wd, &s, "77", true);
    let local = Local::new(&wd, "run");
    let first = run_ok(&wd, &acp, &batch, &local, &[]);
    let mid = text(&outcomes(&first)[VALID_MAWB]["manifest_id"]);
    let mut changed = s.clone();
    changed.set(3, "weight", "2");
    changed.write_csv(&batch.join(VALID_MAWB), "hawbs.csv");
    acp.set_faults(&["createDay:system"]);
    let (o, report) = run(&wd, &acp, &batch, &local, &["--attempts", "1"]);
    assert_exit(&o, FAILED);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("manifest cancelled: {mid} was cancelled"))
            && out.contains("run again to create it")
            && !out.contains("created again as -"),
        "{out}"
    );
    assert_eq!(outcomes(&report)[VALID_MAWB]["manifest_id"], Value::Null);
    assert_eq!(
        outcomes(&report)[VALID_MAWB]["manifest_replaced"],
        mid.as_str()
    );
    acp.clear_faults();
    let (o, report) = run(&wd, &acp, &batch, &local, &[]);
    assert_exit(&o, OK);
    assert_eq!(outcomes(&report)[VALID_MAWB]["status"], "sent");
    let new_mid = text(&outcomes(&report)[VALID_MAWB]["manifest_id"]);
    assert!(
        stdout(&o).contains(&format!(
            "manifest replaced: {mid} was cancelled and created again as {new_mid}"
        )),
        "{}",
        stdout(&o)
    );
    // Said once: the run after it has nothing replaced to report.
    let report = run_ok(&wd, &acp, &batch, &local, &[]);
    assert_eq!(
        outcomes(&report)[VALID_MAWB]["manifest_replaced"],
        Value::Null
    );
    acp.objects().assert_no_duplicates();
}

/// A manifest ACP has sent on is final: a change then fails once with "already sent on" and what differs,
/// later runs of the changed folder send nothing and say the same, and the folder put back byte for byte
/// reads as unchanged again (exit 0).
#[test]
fn a_manifest_sent_on_is_final_and_a_restored_folder_is_unchanged() {
    for day in [true, false] {
        let wd = Workdir::new();
        let acp = Acp::start();
        let s = sheet(4, 2);
        let batch = hand_made_batch_with(&wd, &s, "77", day);
        let local = Local::new(&wd, "run");
        let report = run_ok(&wd, &acp, &batch, &local, &[]);
        let mid = text(&outcomes(&report)[VALID_MAWB]["manifest_id"]);
        sandbox_admin_post(
            &acp.endpoint(),
            &format!("_admin/mark-sent?manifestId={mid}"),
            "",
        );

        let csv_path = batch.join(VALID_MAWB).join("hawbs.csv");
        let original = std::fs::read(&csv_path).expect("the csv");
        let mut changed = s.clone();
        changed.set(3, "weight", "2");
        changed.write_csv(&batch.join(VALID_MAWB), "hawbs.csv");

        let (o, report) = run(&wd, &acp, &batch, &local, &[]);
        assert_exit(&o, FAILED);
        let why = text(&outcomes(&report)[VALID_MAWB]["error"]);
        assert!(
            why.contains("already sent on") && why.contains("cannot be applied"),
            "day {day}: {why}"
        );
        assert!(
            why.contains("1 item(s) changed: TN00000004"),
            "day {day}: {why}"
        );
        // The manifest ACP holds is named, not `-`: the change failed, the manifest stands.
        assert_eq!(
            text(&outcomes(&report)[VALID_MAWB]["manifest_id"]),
            mid,
            "day {day}"
        );

        let before = acp.requests().len();
        let (o, report) = run(&wd, &acp, &batch, &local, &[]);
        assert_exit(&o, FAILED);
        assert!(text(&outcomes(&report)[VALID_MAWB]["error"]).contains("already sent on"));
        assert_eq!(
            acp.requests().len(),
            before,
            "day {day}: nothing sent for a final manifest"
        );

        std::fs::write(&csv_path, &original).expect("restore the csv");
        let report = run_ok(&wd, &acp, &batch, &local, &[]);
        assert_eq!(
            outcomes(&report)[VALID_MAWB]["status"],
            "unchanged",
            "day {day}"
        );
        acp.objects().assert_no_duplicates();
    }
}

/// Ctrl-C in the middle of a run says that nothing is lost and how to resume, exits 130, replaces the
/// `--json` report of the night before with one that says so, and the next run completes the batch without
/// duplicates.
#[test]
fn an_interrupted_run_says_how_to_resume() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 12, 88, 0);
    let local = Local::new(&wd, "run");
    let yesterday =
        r#"{"command": "run", "ok": true, "exit_code": 0, "mawbs": [{"folder": "yesterday"}]}"#;
    if let Some(dir) = local.report.parent() {
        std::fs::create_dir_all(dir).expect("the report's folder");
    }
    std::fs::write(&local.report, yesterday).expect("write the night before's report");
    acp.set_faults(&["createMailing:delay=400"]);
    let mut cmd = wd.mawb();
    cmd.args(run_args(&acp, &batch, &local, &["--batch-items", "1"]))
        .env("ACP_API_KEY", &acp.key)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("start mawb run");
    acp.eventually_log("a createMailing", |log| {
        log.iter().any(|r| r["command"] == "createMailing")
    });
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("send SIGINT");
    assert!(killed.success());
    let o = child.wait_with_output().expect("wait for mawb run");
    assert_no_panic(&o);
    assert_exit(&o, 130);
    let err = stderr(&o);
    assert!(
        err.contains("interrupted") && err.contains("run the same command again"),
        "{err}"
    );
    let report: Value = serde_json::from_slice(
        &std::fs::read(&local.report).expect("the report of the interrupted run"),
    )
    .expect("the report is JSON");
    assert_eq!(
        (&report["ok"], &report["exit_code"], &report["command"]),
        (&Value::Bool(false), &Value::from(130), &Value::from("run")),
        "{report}"
    );
    assert_eq!(report["mawbs"], Value::Array(Vec::new()), "{report}");
    assert!(
        text(&report["interrupted"]).contains("run the same command again"),
        "{report}"
    );
    acp.clear_faults();
    run_ok(&wd, &acp, &batch, &local, &["--batch-items", "1"]);
    acp.objects().assert_no_duplicates();
}

/// A shipperItemId or trackingNumber the ledger already knows from another MAWB stops the new MAWB before
/// anything is sent (ACP would refuse that parcel only after the MAWB's others were registered), at its
/// row and column.
#[test]
fn an_id_used_by_an_earlier_mawb_of_the_ledger_is_refused() {
    for (column, id, code) in [
        ("shipperItemId", "SI00000002", "shipper-item-id-used"),
        ("trackingNumber", "TN00000002", "tracking-number-used"),
    ] {
        let wd = Workdir::new();
        let acp = Acp::start();
        let local = Local::new(&wd, "run");
        let first = wd.mawb_folder("night1/a", &Sheet::hawbs(1, 2));
        write_mawb_toml(&first, VALID_MAWB);
        run_ok(&wd, &acp, &wd.join("night1"), &local, &[]);
        // The next night: another MAWB reuses the id on its second row (its other id its own).
        let mut s = Sheet::hawbs(10, 2);
        s.set(1, column, id);
        let second = wd.mawb_folder("night2/b", &s);
        write_mawb_toml(&second, "112-44995462");
        let before = acp.requests().len();
        let (o, report) = run(&wd, &acp, &wd.join("night2"), &local, &[]);
        assert_exit(&o, FAILED);
        let found = problems_with(&report, code);
        let p = found
            .first()
            .unwrap_or_else(|| panic!("no {code} in {}", problem_lines(&report)));
        assert_eq!(p["row"], 3, "{p}");
        assert_eq!(p["column"], column, "{p}");
        assert!(text(&p["message"]).contains(VALID_MAWB), "{p}");
        assert!(text(&p["message"]).contains(id), "{p}");
        assert_eq!(acp.requests().len(), before, "nothing sent");
        assert_eq!(acp.objects().items.len(), 2);
    }
}

/// A server that echoes the key (in an item-level error, in an HTTP 500 body), raw and form-encoded, with a
/// key full of characters that encode differently: no form of the key reaches stdout, stderr, the report,
/// the ledger or any other file.
#[test]
fn an_echoed_key_is_redacted_in_every_form_everywhere() {
    const SECRET: &str = "K3y+s3cr3t/=&%x y<z>";
    let wd = Workdir::new();
    let acp = Acp::with_key(SECRET);
    let batch = sample_batch(&wd, 1, 4, 93, 0);
    let forms = mawb::acp::client::Secret::new(SECRET).echo_forms();
    assert!(forms.len() >= 4, "{forms:?}");
    let mut outputs: Vec<Vec<u8>> = Vec::new();
    for (n, fault) in ["createMailing:echo", "createMailing:echo500"]
        .iter()
        .enumerate()
    {
        acp.set_faults(&[fault]);
        let local = Local::new(&wd, &format!("echo-{n}"));
        let mut cmd = wd.mawb();
        cmd.args(run_args(&acp, &batch, &local, &["--attempts", "1"]))
            .arg("-vv")
            .env("ACP_API_KEY", SECRET);
        let o = wd.run(&mut cmd);
        assert_no_panic(&o);
        assert_exit(&o, FAILED);
        assert!(
            stdout(&o).contains("***"),
            "{fault}: the echo is shown, redacted: {}",
            stdout(&o)
        );
        outputs.push(o.stdout);
        outputs.push(o.stderr);
        acp.clear_faults();
    }
    let files = files_under(wd.path());
    assert!(
        files.iter().any(|f| f.ends_with("state.sqlite")),
        "{files:?}"
    );
    for bytes in outputs
        .into_iter()
        .chain(files.iter().map(|f| std::fs::read(f).unwrap_or_default()))
    {
        for form in &forms {
            assert!(
                !contains(&bytes, form.as_bytes()),
                "the key as {form:?} in:\n{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

/// `mawb run BATCH` against `endpoint` (one attempt per request, the test key), for endpoints that are
/// not the sandbox.
fn run_against(wd: &Workdir, endpoint: &str, batch: &Path, local: &Local) -> Output {
    let mut cmd = wd.mawb();
    cmd.args([
        "run",
        &batch.display().to_string(),
        "--endpoint",
        endpoint,
        "--attempts",
        "1",
        "--state",
        &local.state.display().to_string(),
        "--archive",
        &local.archive.display().to_string(),
    ])
    .env("ACP_API_KEY", KEY);
    let o = wd.run(&mut cmd);
    assert_no_panic(&o);
    o
}

/// ACP out of reach: the reason names the endpoint once, with the cause.
#[test]
fn an_endpoint_down_is_named_once() {
    let wd = Workdir::new();
    let batch = sample_batch(&wd, 1, 3, 95, 0);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let endpoint = format!("http://127.0.0.1:{port}/");
    let local = Local::new(&wd, "down");
    let o = run_against(&wd, &endpoint, &batch, &local);
    assert_exit(&o, FAILED);
    let out = stdout(&o);
    let reason = out
        .lines()
        .find(|l| l.contains("reason:"))
        .unwrap_or_else(|| panic!("no reason in {out}"));
    assert_eq!(reason.matches(&endpoint).count(), 1, "{reason}");
    assert!(reason.contains("cannot reach ACP"), "{reason}");
}

/// An endpoint that answers with a redirect (a proxy, a moved service): the redirect is not followed,
/// the reason names where it pointed, and nothing is recorded as done.
#[test]
fn a_redirect_is_never_followed() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let server = std::thread::spawn(move || {
        // Answers a few connections with a redirect, then stops.
        for _ in 0..4 {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/forged\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let wd = Workdir::new();
    let batch = sample_batch(&wd, 1, 3, 97, 0);
    let local = Local::new(&wd, "redirect");
    let endpoint = format!("http://127.0.0.1:{port}/");
    let o = run_against(&wd, &endpoint, &batch, &local);
    assert_exit(&o, FAILED);
    let out = stdout(&o);
    assert!(
        out.contains("a redirect to http://127.0.0.1:9/forged, not followed"),
        "{out}"
    );
    assert!(out.contains("0 item(s) created"), "{out}");
    drop(server);
}

/// A key an earlier version stored in the ledger (an echoed error it kept) is removed by the next run.
#[test]
fn a_key_stored_by_an_earlier_version_is_removed_from_the_ledger() {
    let wd = Workdir::new();
    let acp = Acp::start();
    let batch = sample_batch(&wd, 1, 3, 99, 0);
    let local = Local::new(&wd, "old");
    run_ok(&wd, &acp, &batch, &local, &[]);
    {
        let c = rusqlite::Connection::open(&local.state).expect("the ledger");
        c.execute(
            "UPDATE requests SET summary = ?1 WHERE id = (SELECT MIN(id) FROM requests)",
            [format!("error: bad request apikey={KEY}")],
        )
        .expect("an old row with the key");
        c.execute("UPDATE mawbs SET last_error = ?1", [format!("echo {KEY}")])
            .expect("an old error with the key");
    }
    let ledger = std::fs::read(&local.state).expect("read the ledger");
    assert!(
        contains(&ledger, KEY.as_bytes()),
        "the setup stored the key"
    );
    run_ok(&wd, &acp, &batch, &local, &[]);
    let c = rusqlite::Connection::open(&local.state).expect("the ledger");
    let left: i64 = c
        .query_row(
            "SELECT (SELECT COUNT(*) FROM requests WHERE instr(summary, ?1) > 0) + \
                    (SELECT COUNT(*) FROM mawbs WHERE instr(last_error, ?1) > 0)",
            [KEY],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(left, 0, "the key is gone from the ledger's rows");
    drop(c);
    let folder = local.state.parent().expect("the ledger's folder");
    for file in files_under(folder) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !contains(&bytes, KEY.as_bytes()),
            "{} still holds the key",
            file.display()
        );
    }
}
