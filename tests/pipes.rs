//! Output into a pipe the reader has closed (`mawb rules | head -1`, `mawb status --json | head`): every
//! command ends quietly with its normal exit code, never with a panic or "Broken pipe" on stderr.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

/// Runs `cmd` with stdout a pipe whose reading end is closed before mawb starts: its very first write
/// meets a closed pipe.
fn run_into_closed_pipe(cmd: &mut Command) -> Output {
    let (reader, writer) = std::io::pipe().expect("create a pipe");
    drop(reader);
    cmd.stdout(writer).stderr(Stdio::piped());
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs `cmd` like `cmd | head -1`: reads one line, closes the pipe, waits for the end.
fn run_into_head_1(cmd: &mut Command) -> (String, Output) {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut first = String::new();
    {
        let out = child.stdout.take().expect("piped stdout");
        let mut r = BufReader::new(out);
        r.read_line(&mut first).expect("read the first line");
    }
    let o = child.wait_with_output().expect("wait for mawb");
    (first, o)
}

/// No panic, no "Broken pipe", the expected exit code.
fn assert_quiet(o: &Output, expected: i32, what: &str) {
    let err = stderr(o);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("os error 32"),
        "{what}: stderr:\n{err}"
    );
    assert_eq!(exit_code(o), expected, "{what}: stderr:\n{err}");
}

#[test]
fn offline_commands_end_quietly_on_a_closed_stdout() {
    let wd = Workdir::new();
    let batch = wd.samples(2, 12, 7);
    let batch = batch.display().to_string();
    let out_dir = wd.join("prepared").display().to_string();
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["rules"], 0),
        (vec!["rules", "--json"], 0),
        (vec!["rules", "--columns"], 0),
        (vec!["rules", "--columns", "--json"], 0),
        (vec!["check", &batch], 0),
        (vec!["check", "--json", "-", &batch], 0),
        (vec!["prepare", &batch, "--out", &out_dir], 0),
        (vec!["samples", "more-samples"], 0),
        (vec!["check", "no-such-folder"], 2),
    ];
    for (args, code) in cases {
        let o = run_into_closed_pipe(wd.mawb().args(&args));
        assert_quiet(&o, code, &args.join(" "));
    }
}

#[test]
fn rules_into_head_gives_the_first_line_and_ends_quietly() {
    let wd = Workdir::new();
    for args in [&["rules"][..], &["rules", "--json"][..]] {
        let (first, o) = run_into_head_1(wd.mawb().args(args));
        assert!(!first.is_empty(), "{args:?}: no first line");
        assert_quiet(&o, 0, &args.join(" "));
    }
}

#[test]
fn demo_and_status_end_quietly_on_a_closed_stdout() {
    let wd = Workdir::new();
    let o = run_into_closed_pipe(wd.mawb().args([
        "demo",
        "--dir",
        "demo",
        "--mawbs",
        "2",
        "--hawbs",
        "10",
        "--with-labels",
        "false",
    ]));
    assert_quiet(&o, 0, "demo");
    let state = wd.join("demo/mawb-state.sqlite").display().to_string();
    assert!(
        wd.join("demo/mawb-state.sqlite").exists(),
        "the demo wrote no ledger"
    );

    // The MAWB numbers the ledger holds, read the ordinary way.
    let listed = wd.run_mawb(["status", "--json", "--state", &state]);
    assert_exit(&listed, 0);
    let rows: serde_json::Value =
        serde_json::from_slice(&listed.stdout).expect("status --json is JSON");
    let first = rows[0]["mawb"]
        .as_str()
        .expect("a MAWB in the ledger")
        .to_string();

    for args in [
        vec!["status", "--state", &state],
        vec!["status", "--json", "--state", &state],
        vec!["status", &first, "--state", &state],
        vec!["status", &first, "--json", "--state", &state],
    ] {
        let o = run_into_closed_pipe(wd.mawb().args(&args));
        assert_quiet(&o, 0, &args.join(" "));
        let (line, o) = run_into_head_1(wd.mawb().args(&args));
        assert!(!line.is_empty(), "{args:?}: no first line");
        assert_quiet(&o, 0, &args.join(" "));
    }
}
