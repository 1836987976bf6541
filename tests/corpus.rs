//! The world's workbooks: `mawb check` on every spreadsheet of `tests/corpus/` (real files from other
//! projects' bug reports, many of them broken on purpose; see the README beside them). For each file a
//! MAWB folder is built around it and the real binary checks it, killed after [`TIME_LIMIT`]. Each file
//! must be either read or refused with a problem that names it: no panic, no hang, a JSON report.

mod common;

use common::*;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one `mawb check` may take before it counts as a hang.
const TIME_LIMIT: Duration = Duration::from_secs(20);
/// Checks run at once (each is a short single-file process).
const PARALLEL: usize = 4;

/// What `mawb check` did with one workbook.
#[derive(Debug)]
enum Verdict {
    /// At least one sheet was read.
    Read,
    /// Refused with a problem naming the file (its code).
    Refused(String),
}

/// The spreadsheets of the corpus, sorted by path (licences and READMEs left out).
fn corpus_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("list {}: {e}", dir.display())) {
            let path = entry.expect("a corpus entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("md") | None) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Checks one workbook in its own MAWB folder under `wd`; `Err` says what went wrong.
fn check_one(wd: &Workdir, n: usize, file: &Path) -> Result<Verdict, String> {
    let name = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or("no file name")?;
    let dir = wd.mkdir(format!("c{n:03}/m"));
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    fs::copy(file, dir.join(&name)).map_err(|e| format!("copy: {e}"))?;
    let out = wd.join(format!("c{n:03}"));
    let report_path = out.join("report.json");
    let err_path = out.join("stderr.txt");
    let mut cmd = wd.mawb();
    cmd.arg("check")
        .arg("--json")
        .arg(&report_path)
        .arg(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&err_path).map_err(|e| format!("stderr file: {e}"))?);
    let status = run_with_limit(&mut cmd)?;
    let err = fs::read_to_string(&err_path).unwrap_or_default();
    if err.contains("panicked") || status == Some(101) {
        return Err(format!("panicked (exit {status:?}):\n{err}"));
    }
    match status {
        Some(0) | Some(1) => {}
        other => return Err(format!("exit {other:?}:\n{err}")),
    }
    let text = fs::read_to_string(&report_path).map_err(|e| format!("no report ({e}):\n{err}"))?;
    let report: Value =
        serde_json::from_str(&text).map_err(|e| format!("the report is not JSON ({e})"))?;
    let read = report["mawbs"][0]["files"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| {
            f["name"] == name.as_str() && f["sheets_read"].as_array().is_some_and(|s| !s.is_empty())
        });
    if read {
        return Ok(Verdict::Read);
    }
    all_problems(&report)
        .into_iter()
        .find(|p| p["file"] == name.as_str() && p["severity"] == "error")
        .map(|p| Verdict::Refused(p["code"].as_str().unwrap_or_default().to_string()))
        .ok_or_else(|| {
            format!(
                "neither read nor refused with a problem naming it:\n{}",
                problem_lines(&report)
            )
        })
}

/// Runs `cmd` to its end, or kills it after [`TIME_LIMIT`]; the exit code (`None`: a signal).
fn run_with_limit(cmd: &mut Command) -> Result<Option<i32>, String> {
    let mut child = cmd.spawn().map_err(|e| format!("cannot start mawb: {e}"))?;
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(|e| format!("wait: {e}"))? {
            return Ok(status.code());
        }
        if t0.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {TIME_LIMIT:?}: killed"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_corpus_workbook_is_read_or_refused_with_a_located_problem() {
    let files = corpus_files();
    assert!(
        files.len() >= 100,
        "the corpus holds {} files; is tests/corpus missing?",
        files.len()
    );
    let wd = Workdir::new();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(String, Result<Verdict, String>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                let Some(file) = files.get(n) else { break };
                let shown = file
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap_or(file)
                    .display()
                    .to_string();
                let verdict = check_one(&wd, n, file);
                results
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((shown, verdict));
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut read, mut refused) = (0, 0);
    let mut failures = Vec::new();
    for (file, verdict) in &results {
        match verdict {
            Ok(Verdict::Read) => read += 1,
            Ok(Verdict::Refused(code)) => {
                refused += 1;
                eprintln!("{file}: refused ({code})");
            }
            Err(why) => failures.push(format!("{file}: {why}")),
        }
    }
    eprintln!(
        "{} workbooks: {read} read, {refused} refused with a located problem, {} failed",
        results.len(),
        failures.len()
    );
    assert_eq!(results.len(), files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
