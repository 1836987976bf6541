//! `mawb prepare`: the requests written for review are exactly what ACP (the sandbox) accepts, the size
//! budget is reported, and MAWBs with errors or oversized scans are refused.

mod common;

use common::*;
use mawb::acp::answer::parse_answer;
use mawb::acp::client::{Client, ClientConfig, Secret};
use mawb::acp::wire::{Answer, Command, Params};
use mawb::sandbox::{start, SandboxConfig};
use std::path::Path;

const KEY: &str = "prepare-test-key";

/// Reads a `NNN-command.params` file into parameters (the command comes back separately).
fn read_params(path: &Path) -> (Command, Params) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut p = Params::default();
    let mut command = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (k, v) = line.split_once('=').unwrap();
        match k {
            "command" => command = Command::parse(v),
            "testMode" => p.test_mode = v == "1",
            "label" => p.label = v.parse().ok(),
            "labelFormat" => p.label_format = mawb::acp::wire::LabelFormat::parse(v),
            "bagLabels" => p.bag_labels = Some(v == "1"),
            "airport" => p.airport = Some(v.to_string()),
            other => panic!("unexpected parameter {other}"),
        }
    }
    (command.unwrap(), p)
}

#[test]
fn prepared_requests_replay_against_the_sandbox_in_order() {
    let w = Workdir::new();
    let batch = w.samples(1, 25, 11);
    let mawb_dir = w.mawb_dirs(&batch).remove(0);
    let out = w.join("out");
    let o = prepare(&w, &mawb_dir, &out, &[]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("requests written"), "{}", stdout(&o));

    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["items"], 25);
    assert!(summary["data"]["fits"].as_bool().unwrap());
    assert!(summary["data"]["bytes"].as_u64().unwrap() < 49_999_000);

    // Replay every request in order, filling in the ids ACP assigns, as a run does.
    let sandbox = start(SandboxConfig::local(KEY)).unwrap();
    let client = Client::new(ClientConfig::new(&sandbox.endpoint(), Secret::new(KEY))).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    let mut ids: Vec<(String, String)> = Vec::new();
    for f in &files {
        let (command, params) = read_params(&f.with_extension("params"));
        let mut xml = std::fs::read_to_string(f).unwrap();
        for (placeholder, id) in &ids {
            xml = xml.replace(placeholder, id);
        }
        assert!(
            !xml.contains("{bagId:") && !xml.contains("{dayId:"),
            "unfilled placeholder in {}",
            f.display()
        );
        let answer = client.post(command, &params, Some(xml.as_bytes())).unwrap();
        match &answer {
            Answer::Mailing(items) => assert!(items.iter().all(|i| i.status.ok), "{answer:?}"),
            Answer::Bag(b) => {
                assert!(b.status.ok, "{answer:?}");
                ids.push((
                    format!("{{bagId:{}}}", b.shipper_bag_id.clone().unwrap()),
                    b.bag_id.clone().unwrap(),
                ));
            }
            Answer::Day(d) => {
                assert!(d.status.ok, "{answer:?}");
                ids.push((
                    format!("{{dayId:{}}}", d.shipper_day_id.clone().unwrap()),
                    d.day_id.clone().unwrap(),
                ));
            }
            Answer::Manifest(m) => {
                assert!(m.status.ok, "{answer:?}");
                assert!(m.units.is_empty(), "units refused: {:?}", m.units);
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    sandbox.shutdown();
    // The answer parser is what the run uses; make sure a common error is understood too.
    assert!(matches!(
        parse_answer(
            Command::GetInfo,
            b"<shippingApiResponse><error>bad key</error></shippingApiResponse>"
        ),
        Ok(Answer::CommonError(_))
    ));
}

#[test]
fn a_batch_with_a_stray_spreadsheet_beside_its_folders_is_prepared_as_a_batch() {
    let w = Workdir::new();
    let batch = w.samples(2, 10, 12);
    std::fs::write(batch.join("notes.txt"), "call the airline\n").unwrap();
    let out = w.join("out");
    let o = prepare(&w, &batch, &out, &[]);
    assert_exit(&o, 0);
    each_mawb_prepared(&w, &batch, &out);
}

#[test]
fn prepare_of_a_batch_writes_one_folder_per_mawb_and_a_json_report() {
    let w = Workdir::new();
    let batch = w.samples(2, 10, 12);
    let out = w.join("out");
    let report = w.join("report.json");
    let o = prepare(
        &w,
        &batch,
        &out,
        &[
            "--json".as_ref(),
            report.as_os_str(),
            "--zip-manifest-file".as_ref(),
        ],
    );
    assert_exit(&o, 0);
    for (dir, prepared) in each_mawb_prepared(&w, &batch, &out) {
        let zip_name = format!("{}.zip", dir.file_name().unwrap().to_string_lossy());
        let zip_bytes = std::fs::read(prepared.join(&zip_name)).unwrap();
        assert!(zip_bytes.starts_with(b"PK\x03\x04"));
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["command"], "prepare");
    assert_eq!(json["mawbs"][0]["outcome"]["status"], "prepared");
}

#[test]
fn a_mawb_with_errors_is_refused_and_nothing_is_written() {
    let w = Workdir::new();
    let batch = w.samples(1, 5, 13);
    let dir = w.mawb_dirs(&batch).remove(0);
    std::fs::remove_file(dir.join("mawb.toml")).unwrap();
    let out = w.join("out");
    let o = prepare(&w, &dir, &out, &[]);
    assert_exit(&o, 1);
    assert!(stdout(&o).contains("mawb-toml-missing"), "{}", stdout(&o));
    assert!(!out.join("summary.json").exists());
}

#[test]
fn a_scan_over_12_mb_is_refused_with_advice() {
    let w = Workdir::new();
    let batch = w.samples(1, 5, 14);
    let dir = w.mawb_dirs(&batch).remove(0);
    let mut tiff = b"II*\0".to_vec();
    tiff.resize(12_000_001, 0);
    std::fs::remove_file(dir.join("mawb.pdf")).unwrap();
    std::fs::write(dir.join("scan.tif"), &tiff).unwrap();
    let toml = std::fs::read_to_string(dir.join("mawb.toml"))
        .unwrap()
        .replace("mawb.pdf", "scan.tif");
    std::fs::write(dir.join("mawb.toml"), toml).unwrap();
    let out = w.join("out");
    let o = prepare(&w, &dir, &out, &[]);
    assert_exit(&o, 1);
    let text = stdout(&o);
    assert!(text.contains("image-size"), "{text}");
    assert!(text.contains("PDF"), "TIFF advice missing: {text}");

    // Exactly at the limit is accepted.
    tiff.truncate(12_000_000);
    std::fs::write(dir.join("scan.tif"), &tiff).unwrap();
    let o = prepare(&w, &dir, &out, &[]);
    assert_exit(&o, 0);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["image"]["bytes"], 12_000_000);
    assert_eq!(summary["image"]["fits"], true);
}

#[test]
fn names_with_markup_and_emoji_are_escaped_not_lost() {
    let w = Workdir::new();
    let batch = w.samples_with(1, 3, 15, &["--formats", "csv"]);
    let dir = w.mawb_dirs(&batch).remove(0);
    // Rewrite the first consignee name of the csv.
    let csv_path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .expect("a csv sample");
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header: Vec<String> = lines[0]
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(String::from)
        .collect();
    let col = header
        .iter()
        .position(|h| mawb::ingest::columns::normalise_header(h) == "consigneename")
        .expect("consignee name column");
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(lines[1].as_bytes());
    let mut rec: Vec<String> = rdr
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    rec[col] = "Tom & \"Jerry\" <Co> 🚚".into();
    let mut wtr = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    wtr.write_record(&rec).unwrap();
    lines[1] = String::from_utf8(wtr.into_inner().unwrap())
        .unwrap()
        .trim_end()
        .to_string();
    std::fs::write(&csv_path, lines.join("\n") + "\n").unwrap();
    let out = w.join("out");
    let o = prepare(&w, &dir, &out, &[]);
    assert_exit(&o, 0);
    let xml = std::fs::read_to_string(out.join("001-createMailing-batch.xml")).unwrap();
    assert!(
        xml.contains("<name>Tom &amp; &quot;Jerry&quot; &lt;Co&gt; 🚚</name>"),
        "{xml}"
    );
}

/// Every file under `dir` (relative path → bytes), with `summary.json`'s `out_dir` taken out so two
/// outputs written under different names compare equal.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let mut bytes = std::fs::read(&p).unwrap();
            if rel.ends_with("summary.json") {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                v.as_object_mut().unwrap().remove("out_dir");
                bytes = serde_json::to_vec(&v).unwrap();
            }
            files.insert(rel, bytes);
        }
    }
    files
}

/// `mawb prepare INPUT --out OUT EXTRA…`.
fn prepare(
    w: &Workdir,
    input: &Path,
    out: &Path,
    extra: &[&std::ffi::OsStr],
) -> std::process::Output {
    let args: [&std::ffi::OsStr; 4] = [
        "prepare".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    w.run_mawb(args.iter().chain(extra))
}

/// Asserts that every MAWB folder of `batch` was prepared into its own folder of `out` (with its
/// summary); returns each (MAWB folder, prepared folder).
fn each_mawb_prepared(
    w: &Workdir,
    batch: &Path,
    out: &Path,
) -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    w.mawb_dirs(batch)
        .into_iter()
        .map(|dir| {
            let prepared = out.join(dir.file_name().unwrap());
            assert!(
                prepared.join("summary.json").is_file(),
                "{}",
                prepared.display()
            );
            (dir, prepared)
        })
        .collect()
}

fn prepare_cmd(w: &Workdir, batch: &Path, out: &str) -> std::process::Command {
    let mut cmd = w.mawb();
    cmd.args([
        "prepare".as_ref(),
        batch.as_os_str(),
        "--out".as_ref(),
        out.as_ref(),
    ])
    .args(["--batch-items", "50"])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    cmd
}

/// Names in the workdir beside the outputs other than the ones the test made.
fn leftovers(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("mawb-prepare"))
        .collect();
    names.sort();
    names
}

/// The inode of the hidden folder a prepare into `out` is writing, if one is there.
fn writing(w: &Workdir, out: &str) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(w.join(format!(".{out}.mawb-prepare.tmp")))
        .ok()
        .map(|m| m.ino())
}

/// Starts a prepare into `out` and waits until it is writing its own hidden folder (not one an earlier
/// kill left); returns the child and how long that took, or `None` for the time if it finished first.
fn start_writing(
    w: &Workdir,
    batch: &Path,
    out: &str,
) -> (std::process::Child, Option<std::time::Duration>) {
    let stale = writing(w, out);
    let started = std::time::Instant::now();
    let mut child = prepare_cmd(w, batch, out).spawn().unwrap();
    loop {
        if writing(w, out).is_some_and(|ino| Some(ino) != stale) {
            return (child, Some(started.elapsed()));
        }
        if child.try_wait().unwrap().is_some() || started.elapsed().as_secs() > 120 {
            return (child, None);
        }
        std::thread::sleep(std::time::Duration::from_micros(500));
    }
}

#[test]
fn a_prepare_killed_at_any_moment_never_leaves_a_partial_folder_under_its_name() {
    let w = Workdir::new();
    let batch = w.samples(6, 1800, 31);
    // The reference output, and how long a prepare spends before writing and while writing.
    let started = std::time::Instant::now();
    let (mut child, before) = start_writing(&w, &batch, "reference");
    assert!(child.wait().unwrap().success());
    let full = started.elapsed();
    let write_phase = full - before.expect("the prepare wrote under a hidden folder");
    let reference = tree(&w.join("reference"));
    assert!(reference.len() > 6 * 10, "{} files", reference.len());
    let out = w.join("out");

    // Seeded moments: even rounds anywhere in the whole prepare, odd rounds while it writes. Halfway a
    // complete output is put in place, so the later kills land while an earlier output is replaced.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let (mut mid_write, mut complete) = (0, 0);
    for round in 0..12 {
        if round == 6 {
            assert_exit(&w.run(&mut prepare_cmd(&w, &batch, "out")), 0);
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let share = (seed % 1000) as f64 / 1000.0;
        let mut child = if round % 2 == 0 {
            let child = prepare_cmd(&w, &batch, "out").spawn().unwrap();
            std::thread::sleep(full.mul_f64(share));
            child
        } else {
            let (child, _) = start_writing(&w, &batch, "out");
            std::thread::sleep(write_phase.mul_f64(share * 0.6));
            child
        };
        let running = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let _ = child.wait();
        if running && writing(&w, "out").is_some() {
            mid_write += 1;
        }
        if out.exists() {
            assert_eq!(
                tree(&out),
                reference,
                "round {round}: a folder under the final name is complete"
            );
            complete += 1;
        } else {
            assert!(
                round < 6,
                "round {round}: an earlier complete output stays until replaced"
            );
        }
    }
    eprintln!("{mid_write} of 12 kills landed while writing, {complete} found a complete output");
    assert!(
        mid_write >= 3,
        "kills landed while writing: {mid_write} of 12"
    );
    assert!(complete >= 6, "{complete}");

    // The next prepare clears what the kills left and puts the whole output in place.
    assert_exit(&w.run(&mut prepare_cmd(&w, &batch, "out")), 0);
    assert_eq!(tree(&out), reference);
    assert!(leftovers(&w).is_empty(), "{:?}", leftovers(&w));
}

#[test]
fn a_second_prepare_replaces_the_first_whole_and_foreign_folders_are_refused() {
    let w = Workdir::new();
    let batch = w.samples(1, 120, 32);
    let dir = w.mawb_dirs(&batch).remove(0);
    let dir = dir.to_str().unwrap();
    let run = |extra: &[&str]| w.run_mawb([&["prepare", dir, "--out", "out"], extra].concat());
    assert_exit(&run(&["--batch-items", "10"]), 0);
    assert!(w.join("out/012-createMailing-batch12.xml").is_file());
    assert_exit(&run(&["--batch-items", "100"]), 0);
    let names: Vec<String> = std::fs::read_dir(w.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.contains("batch12")),
        "no request of the earlier prepare remains: {names:?}"
    );
    assert!(names.iter().any(|n| n == ".mawb-prepare"), "{names:?}");

    // A folder holding the operator's own files is never replaced.
    w.write("mine/notes.txt", "keep me");
    let o = w.run_mawb(["prepare", dir, "--out", "mine"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("mawb prepare did not write"),
        "{}",
        stderr(&o)
    );
    assert_eq!(w.read_string("mine/notes.txt"), "keep me");
    assert_eq!(std::fs::read_dir(w.join("mine")).unwrap().count(), 1);

    // Nor the input itself.
    let o = w.run_mawb(["prepare", dir, "--out", dir]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("is, or holds, the input"),
        "{}",
        stderr(&o)
    );
    assert_no_panic(&o);
}
