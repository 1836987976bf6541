//! `mawb check PATH…` driven through the real binary: what an operator sees (summary, `--json` report,
//! exit code) for good batches, for every odd-but-valid spreadsheet a warehouse produces, and for every
//! broken or hostile input, which must give a problem naming file/sheet/row/column and never a panic.
//!
//! Exit codes (contract): 0 all good (warnings allowed), 1 a MAWB is not sendable, 2 usage/I/O.

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

const OK: i32 = 0;
const NOT_SENDABLE: i32 = 1;
const USAGE: i32 = 2;

/// The one problem with `code`, failing with the whole report when there is none.
fn the_problem(report: &Value, code: &str) -> Value {
    problems_with(report, code)
        .into_iter()
        .next()
        .unwrap_or_else(|| {
            panic!(
                "no {code} problem; the report has:\n{}",
                problem_lines(report)
            )
        })
}

fn assert_place(p: &Value, file: &str, row: Option<u64>, column: Option<&str>) {
    assert_eq!(p["file"], file, "file of {p}");
    assert_eq!(p["row"].as_u64(), row, "row of {p}");
    assert_eq!(p["column"].as_str(), column, "column of {p}");
}

fn total_weight(report: &Value) -> String {
    report["totals"]["weight_kg"]
        .as_str()
        .expect("totals.weight_kg is a string")
        .to_string()
}

fn errors_of(report: &Value) -> Vec<Value> {
    all_problems(report)
        .into_iter()
        .filter(|p| p["severity"] == "error")
        .collect()
}

fn assert_no_errors(report: &Value) {
    let errors = errors_of(report);
    assert!(
        errors.is_empty(),
        "expected no error, got:\n{}",
        problem_lines(report)
    );
}

// ------------------------------------------------------------------------------------------------
// Good input.

#[test]
fn accepts_a_sample_batch_and_lists_every_mawb_as_ok() {
    let wd = Workdir::new();
    let batch = wd.samples(3, 40, 7);
    let o = wd.run_mawb(["check".as_ref(), batch.as_os_str()]);
    assert_exit(&o, OK);
    let out = stdout(&o);
    let numbers: Vec<String> = wd
        .mawb_dirs(&batch)
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(numbers.len(), 3);
    for n in &numbers {
        let line = out
            .lines()
            .find(|l| l.starts_with(n.as_str()))
            .unwrap_or_else(|| panic!("no summary line for {n}:\n{out}"));
        assert!(line.trim_end().ends_with("ok"), "{line}");
    }
    assert!(out.contains("batch: 3 MAWB(s), 40 items"), "{out}");
}

#[test]
fn json_report_to_stdout_has_the_documented_fields() {
    let wd = Workdir::new();
    let batch = wd.samples(2, 20, 3);
    let dir = wd.mawb_dirs(&batch).remove(0);
    // One warning so a problem object is there to inspect: a declared weight far from the HAWBs' total.
    let toml = wd.read_string(dir.join("mawb.toml"));
    let toml: String = toml
        .lines()
        .map(|l| {
            if l.starts_with("declared_weight") {
                "declared_weight = 1.0".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("mawb.toml"), toml).unwrap();
    let (o, v) = check_json(&wd, &[batch.display().to_string()]);
    assert_exit(&o, OK);
    assert_eq!(v["schema"], 1);
    assert_eq!(v["command"], "check");
    assert_eq!(v["ok"], true);
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["totals"]["items"], 20);
    assert!(v["totals"]["weight_kg"].is_string());
    let mawbs = v["mawbs"].as_array().expect("mawbs is an array");
    assert_eq!(mawbs.len(), 2);
    for m in mawbs {
        assert!(m["problems"].is_array(), "{m}");
        assert_eq!(m["sendable"], true);
    }
    let p = the_problem(&v, "declared-weight");
    for key in [
        "file", "sheet", "row", "column", "code", "severity", "message",
    ] {
        assert!(p.get(key).is_some(), "problem lacks {key}: {p}");
    }
    assert_eq!(p["severity"], "warning");
    assert_eq!(p["file"], "mawb.toml");
    assert_eq!(p["column"], "declared_weight");
    assert!(p["row"].is_null() && p["sheet"].is_null(), "{p}");
    // The summary is not mixed into the JSON on stdout.
    assert!(!stdout(&o).contains("batch:"));
}

#[test]
fn json_report_to_a_file_keeps_the_summary_on_stdout() {
    let wd = Workdir::new();
    let batch = wd.samples(1, 5, 11);
    let o = wd.run_mawb(["check", batch.to_str().unwrap(), "--json", "report.json"]);
    assert_exit(&o, OK);
    assert!(stdout(&o).contains("batch: 1 MAWB(s), 5 items"));
    let v: Value = serde_json::from_slice(&wd.read("report.json")).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["mawbs"].as_array().unwrap().len(), 1);
    assert_eq!(v["totals"]["items"], 5);
    // A report folder that does not exist yet is created.
    let o = wd.run_mawb(["check", batch.to_str().unwrap(), "--json", "out/r.json"]);
    assert_exit(&o, OK);
    let v: Value = serde_json::from_slice(&wd.read("out/r.json")).unwrap();
    assert_eq!(v["command"], "check");
}

#[test]
fn an_unwritable_json_report_is_an_io_error() {
    let wd = Workdir::new();
    wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    let o = wd.run_mawb(["check", "m", "--json", "m/mawb.toml/r.json"]);
    assert_exit(&o, USAGE);
    assert!(stderr(&o).contains("r.json"), "{}", stderr(&o));
}

#[test]
fn a_json_report_to_a_link_or_a_pipe_is_written_through_it_and_replaces_nothing() {
    use std::os::unix::fs::FileTypeExt;
    let wd = Workdir::new();
    wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    // A link: the file it names gets the report, the link stays a link.
    std::fs::write(wd.join("target.json"), "old").unwrap();
    std::os::unix::fs::symlink(wd.join("target.json"), wd.join("link.json")).unwrap();
    let o = wd.run_mawb(["check", "m", "--json", "link.json"]);
    assert_exit(&o, OK);
    assert!(std::fs::symlink_metadata(wd.join("link.json"))
        .unwrap()
        .is_symlink());
    let written: Value =
        serde_json::from_slice(&std::fs::read(wd.join("target.json")).unwrap()).unwrap();
    assert_eq!(written["command"], "check");
    // A named pipe with a reader: the reader gets the report, the pipe stays a pipe.
    let fifo = wd.join("report.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let o = wd.run_mawb(["check", "m", "--json", "report.fifo"]);
    assert_exit(&o, OK);
    let got: Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(got["command"], "check");
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn checks_one_mawb_folder_or_a_whole_batch() {
    let wd = Workdir::new();
    let batch = wd.samples(2, 12, 5);
    let dirs = wd.mawb_dirs(&batch);
    let (o, one) = check_json(&wd, &[dirs[0].display().to_string()]);
    assert_exit(&o, OK);
    assert_eq!(one["mawbs"].as_array().unwrap().len(), 1);
    assert_eq!(
        one["mawbs"][0]["folder"],
        dirs[0].file_name().unwrap().to_str().unwrap()
    );
    let (o, all) = check_json(&wd, &[batch.display().to_string()]);
    assert_exit(&o, OK);
    assert_eq!(all["mawbs"].as_array().unwrap().len(), 2);
    assert_eq!(all["totals"]["items"], 12);
}

#[test]
fn checks_several_paths_as_one_batch() {
    let wd = Workdir::new();
    let a = wd.samples(2, 10, 21);
    let b = wd.samples(1, 4, 22);
    let (o, v) = check_json(&wd, &[a.display().to_string(), b.display().to_string()]);
    assert_exit(&o, OK);
    assert_eq!(v["mawbs"].as_array().unwrap().len(), 3);
    assert_eq!(v["totals"]["items"], 14);
}

#[test]
fn relative_paths_are_resolved_in_the_working_directory() {
    let wd = Workdir::new();
    wd.mawb_folder("in/m1", &Sheet::hawbs(1, 2));
    let (o, v) = check_json(&wd, &["in"]);
    assert_exit(&o, OK);
    assert_eq!(v["mawbs"][0]["manifest_number"], VALID_MAWB);
}

#[test]
fn reads_csv_with_bom_crlf_and_quoted_commas_quotes_and_newlines() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 3);
    s.set(0, "consigneeAddress1", "Floor 3, Room \"B\"")
        .set(0, "productDescription", "Silk scarf,\nprinted \"90 x 90\"")
        .set(1, "consigneeName", "O'Brien, \"Pat\"");
    let dir = wd.mawb_folder("m", &s);
    let mut text = vec![0xEF, 0xBB, 0xBF];
    text.extend(s.csv_text("\r\n").into_bytes());
    std::fs::write(dir.join("hawbs.csv"), text).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(v["mawbs"][0]["problems"], serde_json::json!([]));
    assert_eq!(v["totals"]["items"], 3);
    assert_eq!(v["totals"]["product_lines"], 3);
    // The quoted newline is inside a field: still one row per item.
    assert_eq!(v["mawbs"][0]["files"][0]["rows"], 3);

    // The library keeps the texts exactly (BOM dropped from the first header, quotes unescaped).
    let m = mawb::check::check_one(&dir, &Default::default());
    let item = &m.mawb.items[0];
    assert_eq!(
        item.consignee.address1.as_deref(),
        Some("Floor 3, Room \"B\"")
    );
    assert_eq!(
        item.products[0].description.as_deref(),
        Some("Silk scarf,\nprinted \"90 x 90\"")
    );
    assert_eq!(
        m.mawb.items[1].consignee.name.as_deref(),
        Some("O'Brien, \"Pat\"")
    );
}

#[test]
fn reads_csv_with_bom_and_every_field_quoted() {
    // Some exporters quote every field, header included, right after the byte-order mark.
    let wd = Workdir::new();
    let s = Sheet::hawbs(1, 2);
    let dir = wd.mawb_folder("m", &s);
    let mut text = String::from("\u{feff}");
    for row in s.all_rows() {
        let cells: Vec<String> = row.iter().map(|c| format!("\"{c}\"")).collect();
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
    }
    std::fs::write(dir.join("hawbs.csv"), text).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(v["mawbs"][0]["problems"], serde_json::json!([]));
    assert_eq!(v["totals"]["items"], 2);
}

#[test]
fn reads_a_mawb_toml_saved_by_notepad() {
    // UTF-8 with a byte-order mark and CRLF line ends.
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    let text = format!(
        "\u{feff}{}",
        mawb_toml_text(VALID_MAWB, "").replace('\n', "\r\n")
    );
    wd.write(dir.join("mawb.toml"), text);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(v["mawbs"][0]["manifest_number"], VALID_MAWB);
}

#[test]
fn a_row_after_a_multiline_csv_field_is_named_by_its_spreadsheet_row() {
    // In Excel a record with a quoted newline is one row: the bad weight below is on row 3.
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.set(0, "productDescription", "two\nlines")
        .set(1, "weight", "heavy");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "not-a-number");
    assert_place(&p, "hawbs.csv", Some(3), Some("weight"));
}

#[test]
fn semicolon_csv_is_read() {
    let wd = Workdir::new();
    let s = Sheet::hawbs(1, 2);
    let dir = wd.mawb_folder("m", &s);
    let text: String = s
        .all_rows()
        .iter()
        .map(|r| r.join(";") + "\n")
        .collect::<String>();
    std::fs::write(dir.join("hawbs.csv"), text).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(v["totals"]["items"], 2);
}

/// A HAWB table with typed xlsx cells: numbers where Excel users type numbers.
fn typed_rows(items: &[(&str, f64, f64, &str)]) -> Vec<Vec<Cell>> {
    let mut rows = vec![HAWB_COLUMNS.iter().map(|h| Cell::from(*h)).collect()];
    for (i, (tracking, weight, quantity, zip)) in items.iter().enumerate() {
        let value = 10.0 * *quantity;
        rows.push(vec![
            Cell::from(*tracking),
            Cell::from(format!("SI{i}")),
            Cell::from("Ann Lee"),
            Cell::from("1 Main St"),
            Cell::from("Boston"),
            Cell::from("MA"),
            Cell::from(*zip),
            Cell::from("US"),
            Cell::from("ann@example.com"),
            Cell::Number(value),
            Cell::from("USD"),
            Cell::Number(*weight),
            Cell::from("kg"),
            Cell::from("Paperback book"),
            Cell::from("4901.99"),
            Cell::Number(*quantity),
            Cell::Number(10.0),
        ]);
    }
    rows
}

#[test]
fn xlsx_numbers_stay_exact_and_text_zip_codes_keep_their_zeros() {
    let wd = Workdir::new();
    let dir = wd.mkdir("m");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    let rows = typed_rows(&[("TN1", 1.125, 2.0, "02134")]);
    write_xlsx_sheets(&dir, "hawbs.xlsx", &[("HAWBs", rows)]);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_no_errors(&v);
    assert_eq!(total_weight(&v), "1.125");
    assert_eq!(v["mawbs"][0]["files"][0]["kind"], "xlsx");
    assert_eq!(v["mawbs"][0]["files"][0]["sheets_read"][0], "HAWBs");
    let m = mawb::check::check_one(&dir, &Default::default());
    let item = &m.mawb.items[0];
    assert_eq!(item.consignee.zip.as_deref(), Some("02134"));
    assert_eq!(item.products[0].quantity, Some(2));
    assert_eq!(item.weight.unwrap().to_wire(), "1.125");
}

#[test]
fn two_spreadsheets_in_one_folder_form_one_mawb() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 3));
    Sheet::hawbs(10, 2).write_xlsx(&dir, "hawbs-2.xlsx");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    let mawbs = v["mawbs"].as_array().unwrap();
    assert_eq!(mawbs.len(), 1);
    assert_eq!(mawbs[0]["totals"]["items"], 5);
    assert_eq!(mawbs[0]["files"].as_array().unwrap().len(), 2);
    assert_eq!(total_weight(&v), "5.000");
}

#[test]
fn columns_toml_maps_a_custom_header() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.rename("trackingNumber", "Parcel Ref")
        .rename("weight", "Kilos");
    let dir = wd.mawb_folder("m", &s);
    wd.write(
        dir.join("columns.toml"),
        "[columns]\n\"Parcel Ref\" = \"trackingNumber\"\nKilos = \"weight\"\n",
    );
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(v["mawbs"][0]["problems"], serde_json::json!([]));
    assert_eq!(total_weight(&v), "2.000");

    // The same mapping given with --columns for a folder without its own columns.toml.
    std::fs::remove_file(dir.join("columns.toml")).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(the_problem(&v, "missing-column")["row"], 1);
    wd.write(
        "cols.toml",
        "\"Parcel Ref\" = \"trackingNumber\"\nKilos = \"weight\"\n",
    );
    let (o, v) = check_json(&wd, &["m", "--columns", "cols.toml"]);
    assert_exit(&o, OK);
    assert_no_errors(&v);
}

#[test]
fn headers_match_whatever_their_case_spaces_and_punctuation() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.rename("trackingNumber", "Tracking Number")
        .rename("consigneeName", "consignee_name")
        .rename("hts", "HTS")
        .rename("consigneeZip", "CONSIGNEE-ZIP")
        .rename("productDescription", "Product.Description");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(v["mawbs"][0]["problems"], serde_json::json!([]));
    assert_eq!(v["totals"]["items"], 2);
}

#[test]
fn item_fields_may_stand_on_the_first_row_only() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 1);
    s.set(0, "value", "15.00").set(0, "unitValue", "10.00");
    s.push(&[
        ("productDescription", "Bookmark"),
        ("hts", "4911.99"),
        ("quantity", "1"),
        ("unitValue", "5.00"),
    ]);
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(v["mawbs"][0]["problems"], serde_json::json!([]));
    assert_eq!(v["totals"]["items"], 1);
    assert_eq!(v["totals"]["product_lines"], 2);
}

#[test]
fn weights_in_pounds_are_converted_to_kilograms() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.set(0, "weightUnit", "lb").set(1, "weightUnit", "LBS");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    // 1 lb = 0.45359237 kg, stored rounded to grams.
    assert_eq!(total_weight(&v), "0.908");
    let mut s = Sheet::hawbs(1, 1);
    s.set(0, "weightUnit", "lb");
    let wd = Workdir::new();
    wd.mawb_folder("m", &s);
    let (_, v) = check_json(&wd, &["m"]);
    assert_eq!(total_weight(&v), "0.454");
}

#[test]
fn totals_have_no_float_artefacts() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.set(0, "weight", "0.1").set(1, "weight", "0.2");
    let dir = wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(total_weight(&v), "0.300");
    let o = wd.run_mawb(["check", "m"]);
    assert!(stdout(&o).contains("0.300 kg"), "{}", stdout(&o));

    // The same with float cells in an xlsx.
    std::fs::remove_file(dir.join("hawbs.csv")).unwrap();
    let rows = typed_rows(&[("TN1", 0.1, 1.0, "02134"), ("TN2", 0.2, 1.0, "02134")]);
    write_xlsx_sheets(&dir, "hawbs.xlsx", &[("Sheet1", rows)]);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(total_weight(&v), "0.300");
}

// ------------------------------------------------------------------------------------------------
// Bad input: a clear problem, the right exit code, never a panic.

#[test]
fn a_missing_path_is_a_usage_error() {
    let wd = Workdir::new();
    let (o, v) = check_json(&wd, &["no-such-folder"]);
    assert_exit(&o, USAGE);
    assert_eq!(v["ok"], false);
    assert_eq!(v["exit_code"], 2);
    let p = the_problem(&v, "path-not-found");
    assert!(p["message"].as_str().unwrap().contains("no-such-folder"));
    // And without --json, the summary names it.
    let o = wd.run_mawb(["check", "no-such-folder"]);
    assert_exit(&o, USAGE);
    assert!(stdout(&o).contains("no-such-folder") || stderr(&o).contains("no-such-folder"));
}

#[test]
fn check_without_a_path_is_a_usage_error() {
    let wd = Workdir::new();
    let o = wd.run_mawb(["check"]);
    assert_exit(&o, USAGE);
}

#[test]
fn rejects_a_folder_without_mawb_toml() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    std::fs::remove_file(dir.join("mawb.toml")).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_place(
        &the_problem(&v, "mawb-toml-missing"),
        "mawb.toml",
        None,
        None,
    );
    assert_eq!(v["mawbs"][0]["sendable"], false);
    assert!(stdout(&wd.run_mawb(["check", "m"])).contains("NOT SENDABLE"));
}

#[test]
fn a_toml_syntax_error_names_its_line() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    wd.write(
        dir.join("mawb.toml"),
        "manifest_number = \"112-44995451\"\n\n[[leg]\ndeparture = \"LAX\"\n",
    );
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_place(
        &the_problem(&v, "mawb-toml-invalid"),
        "mawb.toml",
        Some(3),
        None,
    );
}

#[test]
fn rejects_a_wrong_mawb_check_digit() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    write_mawb_toml(&dir, "112-44995452");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "mawb-number");
    assert_place(&p, "mawb.toml", None, Some("manifest_number"));
    assert!(
        p["message"].as_str().unwrap().contains("check digit"),
        "{p}"
    );
}

#[test]
fn rejects_a_folder_without_spreadsheet() {
    let wd = Workdir::new();
    let dir = wd.mkdir("m");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    the_problem(&v, "no-spreadsheet");
}

#[test]
fn rejects_empty_workbooks_and_header_only_sheets() {
    let wd = Workdir::new();
    // A workbook with one empty sheet.
    let dir = wd.mkdir("empty");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    write_xlsx_sheets(&dir, "hawbs.xlsx", &[("Sheet1", Vec::new())]);
    let (o, v) = check_json(&wd, &["empty"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_place(&the_problem(&v, "no-header"), "hawbs.xlsx", None, None);

    // A workbook with only a header row.
    let dir = wd.mkdir("header-only");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    write_xlsx(&dir, "hawbs.xlsx", &[HAWB_COLUMNS]);
    let (o, v) = check_json(&wd, &["header-only"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "empty-sheet");
    assert_eq!(p["sheet"], "Sheet1");
    the_problem(&v, "no-items");

    // An empty csv file.
    let dir = wd.mawb_folder("empty-csv", &Sheet::hawbs(1, 1));
    std::fs::write(dir.join("hawbs.csv"), b"").unwrap();
    let (o, v) = check_json(&wd, &["empty-csv"]);
    assert_exit(&o, NOT_SENDABLE);
    the_problem(&v, "no-header");
}

#[test]
fn rejects_a_truncated_xlsx() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    std::fs::remove_file(dir.join("hawbs.csv")).unwrap();
    let path = Sheet::hawbs(1, 30).write_xlsx(&dir, "hawbs.xlsx");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_place(
        &the_problem(&v, "file-unreadable"),
        "hawbs.xlsx",
        None,
        None,
    );
}

#[test]
fn rejects_an_xlsx_with_a_corrupt_sheet() {
    // The zip is intact, its worksheet XML is garbage.
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    std::fs::remove_file(dir.join("hawbs.csv")).unwrap();
    let path = Sheet::hawbs(1, 3).write_xlsx(&dir, "hawbs.xlsx");
    rewrite_zip_entry(&path, "xl/worksheets/sheet1.xml", |xml| {
        xml[..xml.len() / 2].to_string()
    });
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let errors = errors_of(&v);
    assert!(
        errors.iter().any(|p| p["file"] == "hawbs.xlsx"
            && ["file-unreadable", "no-header", "empty-sheet", "no-items"]
                .contains(&p["code"].as_str().unwrap())),
        "{}",
        problem_lines(&v)
    );
}

#[test]
fn a_hidden_row_is_seen_whatever_the_quotes_and_spacing_of_its_mark() {
    // Valid XML another writer may produce: single quotes, spaces around the equals sign.
    for (from, to) in [
        ("hidden=\"1\"", "hidden='1'"),
        ("hidden=\"1\"", "hidden = \"1\""),
    ] {
        let wd = Workdir::new();
        let dir = wd.mkdir("m");
        write_mawb_toml(&dir, VALID_MAWB);
        write_pdf(&dir);
        let sheets = [("Sheet1", Sheet::hawbs(1, 3).cells())];
        write_xlsx_hiding(&dir, "hawbs.xlsx", &sheets, &[], &[3]);
        rewrite_zip_entry(&dir.join("hawbs.xlsx"), "xl/worksheets/sheet1.xml", |xml| {
            assert!(xml.contains(from), "{xml}");
            xml.replace(from, to)
        });
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, OK);
        assert_place(&the_problem(&v, "hidden-row"), "hawbs.xlsx", Some(3), None);
    }
}

#[test]
fn a_visible_sheet_that_cannot_be_read_is_named_with_its_fix_and_not_called_hidden() {
    let wd = Workdir::new();
    let dir = wd.mkdir("m");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    Sheet::hawbs(1, 3).write_xlsx(&dir, "hawbs.xlsx");
    // The sheet's XML cut in the middle: the zip is sound, the sheet is not.
    rewrite_zip_entry(&dir.join("hawbs.xlsx"), "xl/worksheets/sheet1.xml", |xml| {
        xml[..xml.len() * 2 / 3].to_string()
    });
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "file-unreadable");
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(msg.contains("save it again as .xlsx"), "{msg}");
    assert!(
        problems_with(&v, "no-header").is_empty(),
        "no guess at a hidden sheet: {v:#}"
    );
}

/// Empty files, web exports named .xls and a folder where the scan should be are each refused for what they
/// are, not as a spreadsheet without a header.
#[test]
fn empty_files_web_exports_and_a_folder_for_a_scan_are_named_for_what_they_are() {
    // A valid one-item folder "m" changed by `edit`, checked: refused with `code`, whose message says
    // `says`; the report, for more.
    let refused = |edit: &dyn Fn(&Path), code: &str, says: &str| -> (Value, Value) {
        let wd = Workdir::new();
        edit(&wd.mawb_folder("m", &Sheet::hawbs(1, 1)));
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, NOT_SENDABLE);
        let p = the_problem(&v, code);
        let message = p["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{p}");
        (p, v)
    };
    // A 0-byte workbook beside a good csv: a save cut short, not "text named .xlsx".
    let (p, v) = refused(
        &|dir| std::fs::write(dir.join("more.xlsx"), b"").unwrap(),
        "file-unreadable",
        "empty (0 bytes)",
    );
    assert_place(&p, "more.xlsx", None, None);
    assert!(problems_with(&v, "file-kind-mismatch").is_empty(), "{v:#}");
    // A web page and an Excel 2003 XML file named .xls (web exporters write both): said for what they
    // are, not "no header".
    for (content, says) in [
        (
            "\u{feff}<!DOCTYPE html>\n<html><body><table><tr><td>trackingNumber</td></tr></table></body></html>",
            "an HTML page",
        ),
        (
            "<table border=1><tr><td>trackingNumber</td></tr></table>",
            "an HTML page",
        ),
        (
            "<?xml version=\"1.0\"?>\n<?mso-application progid=\"Excel.Sheet\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet ss:Name=\"HAWBs\"/></Workbook>",
            "an Excel 2003 XML spreadsheet",
        ),
    ] {
        let (p, v) = refused(
            &|dir| std::fs::write(dir.join("more.xls"), content).unwrap(),
            "file-unreadable",
            says,
        );
        assert_place(&p, "more.xls", None, None);
        let message = p["message"].as_str().unwrap_or_default();
        assert!(message.contains("save it as .xlsx"), "{message}");
        assert!(problems_with(&v, "no-header").is_empty(), "{v:#}");
    }
    // A 0-byte scan.
    refused(
        &|dir| std::fs::write(dir.join("mawb.pdf"), b"").unwrap(),
        "image-type",
        "empty (0 bytes)",
    );
    // A folder named as the scan.
    refused(
        &|dir| {
            std::fs::remove_file(dir.join("mawb.pdf")).unwrap();
            std::fs::create_dir(dir.join("mawb.pdf")).unwrap();
            write_mawb_toml_with(dir, VALID_MAWB, "image = \"mawb.pdf\"");
        },
        "image-missing",
        "is a folder",
    );
}

#[test]
fn rejects_a_binary_file_named_csv() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 256) as u8).collect();
    std::fs::write(dir.join("hawbs.csv"), junk).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_place(
        &the_problem(&v, "file-not-spreadsheet"),
        "hawbs.csv",
        None,
        None,
    );
}

#[test]
fn rejects_non_utf8_csv() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.set(1, "consigneeName", "Jos\u{e9} Garc\u{ed}a");
    let dir = wd.mawb_folder("m", &s);
    // Latin-1: é = 0xE9, í = 0xED.
    let latin1: Vec<u8> = s
        .csv_text("\n")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    std::fs::write(dir.join("hawbs.csv"), latin1).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "file-not-utf8");
    assert_eq!(p["file"], "hawbs.csv");
    assert!(p["message"].as_str().unwrap().contains("UTF-8"), "{p}");
}

#[test]
fn reads_utf16_unicode_text_with_a_bom() {
    // Excel's "Unicode Text" export: UTF-16LE with a byte-order mark, tab-separated, CRLF.
    let wd = Workdir::new();
    let s = Sheet::hawbs(1, 2);
    let dir = wd.mawb_folder("m", &s);
    std::fs::remove_file(dir.join("hawbs.csv")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in s.csv_text("\r\n").replace(',', "\t").encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    std::fs::write(dir.join("hawbs.txt"), utf16).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(v["totals"]["items"], 2, "{}", problem_lines(&v));

    // A UTF-32 csv (little and big endian) is named as such, not read as UTF-16 and missing its header.
    for le in [true, false] {
        let mut utf32 = if le {
            vec![0xFF, 0xFE, 0, 0]
        } else {
            vec![0, 0, 0xFE, 0xFF]
        };
        for c in s.csv_text("\r\n").chars() {
            let c = c as u32;
            utf32.extend(if le { c.to_le_bytes() } else { c.to_be_bytes() });
        }
        let _ = std::fs::remove_file(dir.join("hawbs.txt"));
        std::fs::write(dir.join("hawbs.csv"), utf32).unwrap();
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, NOT_SENDABLE);
        let p = the_problem(&v, "file-not-utf8");
        assert!(
            p["message"].as_str().unwrap_or_default().contains("UTF-32"),
            "{p}"
        );
        assert!(problems_with(&v, "no-header").is_empty(), "{v:#}");
    }
}

#[test]

fn latin1_after_a_multiline_field_is_reported_at_its_spreadsheet_row() {
    // Row 2 spreads over two text lines; the Latin-1 byte is on spreadsheet row 102 (text line 103).
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 120);
    s.set(0, "productDescription", "two\nlines")
        .set(100, "consigneeName", "Jos\u{e9}");
    let dir = wd.mawb_folder("m", &s);
    let latin1: Vec<u8> = s
        .csv_text("\n")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    std::fs::write(dir.join("hawbs.csv"), latin1).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_place(
        &the_problem(&v, "file-not-utf8"),
        "hawbs.csv",
        Some(102),
        None,
    );
}

#[test]
fn latin1_far_into_a_csv_is_reported_at_its_row() {
    // The first 8 KiB are plain ASCII, so the file looks like UTF-8 until the reader meets row 102.
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 120);
    s.set(100, "consigneeName", "Jos\u{e9}");
    let dir = wd.mawb_folder("m", &s);
    let latin1: Vec<u8> = s
        .csv_text("\n")
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    assert!(latin1.iter().position(|&b| b == 0xE9).unwrap() > 8192);
    std::fs::write(dir.join("hawbs.csv"), latin1).unwrap();
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "file-not-utf8");
    assert_place(&p, "hawbs.csv", Some(102), None);
}

#[test]
fn text_where_a_number_belongs_is_reported_at_its_cell() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 3);
    s.set(1, "weight", "1,2kg");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "not-a-number");
    assert_place(&p, "hawbs.csv", Some(3), Some("weight"));
    assert_eq!(p["sheet"], "hawbs.csv");
    assert!(p["message"].as_str().unwrap().contains("1,2kg"), "{p}");
    let out = stdout(&wd.run_mawb(["check", "m"]));
    assert!(out.contains("row 3, weight: error [not-a-number]"), "{out}");
}

#[test]
fn a_header_without_a_required_column_is_reported() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.drop_col("weight");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "missing-column");
    assert_place(&p, "hawbs.csv", Some(1), Some("weight"));
}

#[test]
fn a_bad_quantity_is_reported_once() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 1);
    s.set(0, "quantity", "2.5");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_place(
        &the_problem(&v, "not-an-integer"),
        "hawbs.csv",
        Some(2),
        Some("quantity"),
    );
    let on_quantity: Vec<Value> = all_problems(&v)
        .into_iter()
        .filter(|p| p["column"] == "quantity")
        .collect();
    assert_eq!(
        on_quantity.len(),
        1,
        "a quantity that is given must not also be reported as missing:\n{}",
        problem_lines(&v)
    );
}

#[test]
fn refuses_a_zip_bomb_disguised_as_xlsx() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    std::fs::remove_file(dir.join("hawbs.csv")).unwrap();
    let bomb = write_zip_bomb(&dir.join("hawbs.xlsx"), 600_000_000);
    let size = std::fs::metadata(&bomb).unwrap().len();
    assert!(size < 5_000_000, "{size}");
    // Under a 1.5 GB address-space limit: inflating the entry into memory would fail.
    let o = run_with_memory_limit(&wd, &["check", "--json", "-", "m"]);
    assert_exit(&o, NOT_SENDABLE);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_place(&the_problem(&v, "file-too-large"), "hawbs.xlsx", None, None);
}

#[test]
fn refuses_an_xlsx_bomb_that_lies_about_its_size() {
    // 3 million copies of a valid row: about 1 GB of sheet XML in a 1 MB file whose headers claim
    // 1000 bytes per entry. It must be refused (file-too-large or file-unreadable) without inflating it.
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    std::fs::remove_file(dir.join("hawbs.csv")).unwrap();
    let bomb = write_xlsx_bomb(&dir.join("hawbs.xlsx"), 3_000_000);
    falsify_uncompressed_sizes(&bomb, 1_000);
    let o = run_with_memory_limit(&wd, &["check", "--json", "-", "m", "--max-rows", "1000"]);
    assert_exit(&o, NOT_SENDABLE);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let refused = errors_of(&v).into_iter().any(|p| {
        p["file"] == "hawbs.xlsx"
            && ["file-too-large", "file-unreadable"].contains(&p["code"].as_str().unwrap())
    });
    assert!(refused, "{}", problem_lines(&v));
}

#[test]
fn refuses_an_honest_xlsx_bomb_of_valid_rows() {
    // Two million valid rows (about 700 MB of XML, over the 512 MiB cap) with truthful headers: refused
    // from the zip directory, nothing inflated.
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    std::fs::remove_file(dir.join("hawbs.csv")).unwrap();
    write_xlsx_bomb(&dir.join("hawbs.xlsx"), 2_000_000);
    let o = run_with_memory_limit(&wd, &["check", "--json", "-", "m"]);
    assert_exit(&o, NOT_SENDABLE);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_place(&the_problem(&v, "file-too-large"), "hawbs.xlsx", None, None);
}

/// Runs mawb with its address space capped at 1.5 GB (`ulimit -v`), so a reader that inflates a
/// zip bomb into memory fails instead of eating the machine.
fn run_with_memory_limit(wd: &Workdir, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new("sh");
    cmd.current_dir(wd.path())
        .arg("-c")
        .arg("ulimit -v 1500000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_mawb"))
        .args(args);
    wd.run(&mut cmd)
}

/// Writes a csv of `rows` valid items (29 columns, the width of the samples) without holding it in
/// memory, and returns its path.
fn write_big_csv(path: &Path, rows: usize) -> PathBuf {
    let f = std::fs::File::create(path).unwrap();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    let mut header: Vec<String> = HAWB_COLUMNS.iter().map(|c| c.to_string()).collect();
    for extra in [
        "displayItemId",
        "consigneeCompany",
        "consigneeAddress2",
        "consigneePhone",
        "length",
        "width",
        "height",
        "dimensionUnit",
        "bag",
        "productValue",
        "productWeight",
        "countryOfOrigin",
    ] {
        header.push(extra.to_string());
    }
    assert_eq!(header.len(), 29);
    writeln!(w, "{}", header.join(",")).unwrap();
    for i in 0..rows {
        writeln!(
            w,
            "TN{i:09},SI{i:09},Ann Lee,1 Main St,Boston,MA,02134,US,ann@example.com,10.00,USD,1.25,kg,Paperback book,4901.99,1,10.00,D{i},,,+1 617 555 0100,0.3,0.2,0.1,m,B{},10.00,1.2,US",
            i / 100
        )
        .unwrap();
    }
    w.flush().unwrap();
    path.to_path_buf()
}

#[test]
fn a_huge_csv_is_streamed_and_refused_at_the_row_cap() {
    // 2 million rows × 29 columns (about 300 MB on disk, deleted with the workdir) with a cap of
    // 100 000: read as a stream, under a 1.5 GB address-space limit, and refused at the first row over.
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    let csv = write_big_csv(&dir.join("hawbs.csv"), 2_000_000);
    assert!(std::fs::metadata(&csv).unwrap().len() > 250_000_000);
    let o = run_with_memory_limit(&wd, &["check", "--json", "-", "m", "--max-rows", "100000"]);
    assert_exit(&o, NOT_SENDABLE);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = the_problem(&v, "file-too-large");
    assert_place(&p, "hawbs.csv", Some(100_002), None);
    assert!(p["message"].as_str().unwrap().contains("100000"), "{p}");
}

#[test]
fn a_tracking_number_used_in_two_mawbs_of_a_batch_is_a_duplicate() {
    let wd = Workdir::new();
    wd.mawb_folder("batch/a", &Sheet::hawbs(1, 3));
    let mut s = Sheet::hawbs(100, 3);
    s.set(2, "trackingNumber", "TN00000002");
    let b = wd.mawb_folder("batch/b", &s);
    write_mawb_toml(&b, "112-44995462");
    let (o, v) = check_json(&wd, &["batch"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "duplicate-tracking-number");
    assert_place(&p, "hawbs.csv", Some(4), Some("trackingNumber"));
    let msg = p["message"].as_str().unwrap();
    assert!(msg.contains("TN00000002") && msg.contains('a'), "{msg}");
    // Reported on the second MAWB only; the first stays sendable.
    assert_eq!(v["mawbs"][0]["sendable"], true);
    assert_eq!(v["mawbs"][1]["sendable"], false);
}

#[test]
fn a_nul_byte_in_a_csv_cell_is_named_by_row_and_column() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 3);
    s.set(1, "consigneeName", "Ann\u{0}Lee");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert!(
        problems_with(&v, "file-not-spreadsheet").is_empty(),
        "{v:#}"
    );
    let p = the_problem(&v, "xml-character");
    assert_place(&p, "hawbs.csv", Some(3), Some("consigneeName"));
    assert!(p["message"].as_str().unwrap().contains("U+0000"), "{p}");
}

#[test]
fn a_currency_or_unit_shown_by_the_cell_format_must_be_the_items() {
    // The row's currency is USD, its weight unit kg (Sheet::hawbs); lengths default to metres.
    for (col, number, code, shown) in [
        ("value", 45.5, "#,##0.00 [$€-407]", "€"),
        ("value", 45.5, "\"£\"#,##0.00", "£"),
        ("unitValue", 10.0, "[$EUR] #,##0.00", "EUR"),
        ("weight", 1.5, "0.00 \"lb\"", "lb"),
        ("weight", 1.5, "0.00\\g", "g"),
    ] {
        let wd = Workdir::new();
        one_xlsx_cell(&wd, col, Cell::Formatted(number, code.into()));
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, NOT_SENDABLE);
        let p = the_problem(&v, "unit-conflict");
        assert_place(&p, "hawbs.xlsx", Some(2), Some(col));
        let msg = p["message"].as_str().unwrap_or_default();
        assert!(msg.contains(shown) && msg.contains(code), "{code}: {msg}");
    }
    // What the format shows agrees with the item: read as before.
    for (col, number, code) in [
        ("value", 10.0, "[$$-409]#,##0.00"),
        ("value", 10.0, "$#,##0.00"),
        ("value", 10.0, "[$USD] #,##0.00"),
        ("weight", 1.5, "0.00 \"kg\""),
        ("weight", 1.5, "0.00 \"net\""),
    ] {
        let wd = Workdir::new();
        one_xlsx_cell(&wd, col, Cell::Formatted(number, code.into()));
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, OK);
        assert!(
            problems_with(&v, "unit-conflict").is_empty(),
            "{code}: {v:#}"
        );
    }
    // Excel's built-in currency format 7 (its id alone in the file) shows the locale's sign, `€` in a
    // German Excel: a EUR row under it is not refused.
    let wd = Workdir::new();
    let mut rows = Sheet::hawbs(1, 1).cells();
    let at = |col: &str| {
        HAWB_COLUMNS
            .iter()
            .position(|c| *c == col)
            .expect("a column")
    };
    rows[1][at("currency")] = Cell::Text("EUR".into());
    rows[1][at("value")] = Cell::Formatted(10.0, "$#,##0.00_);($#,##0.00)".into());
    xlsx_folder(&wd, &[("Sheet1", rows)]);
    as_builtin_format(&wd.join("m/hawbs.xlsx"), 7);
    let (o, v) = check_json(&wd, &["m"]);
    assert!(problems_with(&v, "unit-conflict").is_empty(), "{v:#}");
    assert_exit(&o, OK);
}

/// Rewrites a workbook of one custom number format (id 164) as Excel writes a built-in format: its id
/// alone, with no `numFmt` entry.
fn as_builtin_format(book: &Path, id: u32) {
    rewrite_zip_entry(book, "xl/styles.xml", |xml| {
        let start = xml.find("<numFmts").expect("numFmts");
        let end = xml.find("</numFmts>").expect("numFmts end") + "</numFmts>".len();
        format!("{}{}", &xml[..start], &xml[end..])
            .replace(r#"numFmtId="164""#, &format!(r#"numFmtId="{id}""#))
    });
}

#[test]
fn numbers_shown_rounded_or_changed_by_their_format_are_refused() {
    // The built-in currency format 5 (no numFmt entry in the file: calamine alone reads it as General),
    // a percentage, a fraction and scientific notation, each in the value column.
    for code in ["$#,##0_);($#,##0)", "0%", "# ?/8", "0.00E+00"] {
        let wd = Workdir::new();
        one_xlsx_cell(&wd, "value", Cell::Formatted(366.3, code.into()));
        let book = wd.join("m/hawbs.xlsx");
        if code.starts_with('$') {
            as_builtin_format(&book, 5);
            let styles = unzip_entry(&book, "xl/styles.xml");
            assert!(
                styles.contains(r#"numFmtId="5""#) && !styles.contains("<numFmt "),
                "the fixture uses the built-in id: {styles}"
            );
        }
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, NOT_SENDABLE);
        let p = the_problem(&v, "decimals-hidden");
        assert_place(&p, "hawbs.xlsx", Some(2), Some("value"));
    }
    // A weight shown with the 3 decimals ACP takes shows what is sent: a warning, not an error.
    let wd = Workdir::new();
    one_xlsx_cell(&wd, "weight", Cell::Formatted(0.997903214, "0.000".into()));
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert!(problems_with(&v, "decimals-hidden").is_empty(), "{v:#}");
    assert_place(
        &the_problem(&v, "too-many-decimals"),
        "hawbs.xlsx",
        Some(2),
        Some("weight"),
    );
}

#[test]
fn hidden_columns_are_named_by_their_field_and_helper_columns_are_not_reported() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.rename("consigneeEmail", "consignee_email");
    let mut rows = s.cells();
    // Column R: a helper column of no HAWB field, hidden too.
    for (i, r) in rows.iter_mut().enumerate() {
        r.push(Cell::from(if i == 0 { "calc" } else { "0.15" }));
    }
    xlsx_folder(&wd, &[("Sheet1", rows)]);
    edit_sheet_xml(&wd, |x| {
        x.replacen(
            "<sheetData>",
            r#"<cols><col min="9" max="9" hidden="1"/><col min="18" max="18" hidden="1"/></cols><sheetData>"#,
            1,
        )
    });
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    let hidden = problems_with(&v, "hidden-column");
    assert_eq!(hidden.len(), 1, "{hidden:?}");
    assert_place(&hidden[0], "hawbs.xlsx", Some(1), Some("consigneeEmail"));
    assert!(hidden[0]["message"]
        .as_str()
        .unwrap()
        .contains("\"consignee_email\""));
}

#[test]
fn a_header_merged_over_two_rows_is_one_error_and_no_parcel() {
    // Every header cell merged down over an empty second row, as a two-row template leaves it.
    let wd = Workdir::new();
    let mut rows = Sheet::hawbs(1, 2).cells();
    rows.insert(1, vec![Cell::Blank; HAWB_COLUMNS.len()]);
    xlsx_folder(&wd, &[("Sheet1", rows)]);
    let areas: String = (0..HAWB_COLUMNS.len())
        .map(|c| {
            let l = (b'A' + c as u8) as char;
            format!(r#"<mergeCell ref="{l}1:{l}2"/>"#)
        })
        .collect();
    edit_sheet_xml(&wd, |x| {
        x.replacen(
            "</sheetData>",
            &format!(
                r#"</sheetData><mergeCells count="{}">{areas}</mergeCells>"#,
                HAWB_COLUMNS.len()
            ),
            1,
        )
    });
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let errors: Vec<&str> = v["mawbs"][0]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        errors,
        ["merged-header"],
        "one error, no cascade from row 2: {v:#}"
    );
    let p = the_problem(&v, "merged-header");
    assert_place(&p, "hawbs.xlsx", Some(1), None);
    assert!(p["message"].as_str().unwrap().contains("… 17 areas"), "{p}");
    assert_eq!(
        v["mawbs"][0]["totals"]["items"], 2,
        "the parcels below are read: {v:#}"
    );
}

#[test]
fn one_folder_named_twice_is_read_once() {
    let wd = Workdir::new();
    wd.mawb_folder("batch/a", &Sheet::hawbs(1, 3));
    // The same folder twice, by two spellings, and inside a batch also given.
    for args in [
        &["batch/a", "batch/a"][..],
        &["batch/a", "./batch/../batch/a/"],
        &["batch", "batch/a"],
    ] {
        let (o, v) = check_json(&wd, args);
        assert_exit(&o, OK);
        assert_eq!(
            v["mawbs"].as_array().map(Vec::len),
            Some(1),
            "{args:?}: {v:#}"
        );
        assert!(problems_with(&v, "duplicate-mawb").is_empty(), "{args:?}");
        assert!(
            problems_with(&v, "duplicate-tracking-number").is_empty(),
            "{args:?}"
        );
    }
}

#[test]
fn stray_files_in_a_mawb_folder_do_not_break_it() {
    // Editor lock files, hidden files and partial copies are not data.
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 2));
    wd.write(dir.join("~$hawbs.xlsx"), b"\0lock");
    wd.write(dir.join(".DS_Store"), b"\0\0\0\x01Bud1");
    wd.write(dir.join("hawbs.csv.part"), b"half a fi");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    // The lock file says a workbook is open (a warning), and nothing else is said.
    let codes: Vec<&str> = v["mawbs"][0]["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["workbook-open"], "{}", problem_lines(&v));
}

// ------------------------------------------------------------------------------------------------
// One failing fixture per rule code.

/// How a fixture is built: the arguments of `mawb check` after `--json -`.
type Build = fn(&Workdir) -> Vec<String>;

/// One rule's smallest failing fixture and where its problem must point.
struct Case {
    code: &'static str,
    build: Build,
    exit: i32,
    file: Option<&'static str>,
    row: Option<u64>,
    column: Option<&'static str>,
}

const fn case(
    code: &'static str,
    exit: i32,
    file: Option<&'static str>,
    row: Option<u64>,
    column: Option<&'static str>,
    build: Build,
) -> Case {
    Case {
        code,
        build,
        exit,
        file,
        row,
        column,
    }
}

const CSV: Option<&str> = Some("hawbs.csv");
const XLSX: Option<&str> = Some("hawbs.xlsx");
const TOML: Option<&str> = Some("mawb.toml");

/// A one-item folder "m" whose single data row (row 2) has `col` = `value`.
fn one_cell(wd: &Workdir, col: &str, value: &str) -> Vec<String> {
    let mut s = Sheet::hawbs(1, 1);
    s.set(0, col, value);
    wd.mawb_folder("m", &s);
    vec!["m".into()]
}

/// A one-item xlsx folder "m" whose cell of `col` in the item's row is `cell`.
fn one_xlsx_cell(wd: &Workdir, col: &str, cell: Cell) -> Vec<String> {
    let mut rows = Sheet::hawbs(1, 1).cells();
    let c = HAWB_COLUMNS
        .iter()
        .position(|c| *c == col)
        .expect("a HAWB column");
    rows[1][c] = cell;
    xlsx_folder(wd, &[("Sheet1", rows)])
}

/// A one-item folder "m" built from an edited sheet.
fn folder(wd: &Workdir, edit: impl FnOnce(&mut Sheet)) -> Vec<String> {
    let mut s = Sheet::hawbs(1, 1);
    edit(&mut s);
    wd.mawb_folder("m", &s);
    vec!["m".into()]
}

/// A valid one-item folder "m" with extra lines in `mawb.toml`.
fn toml_extra(wd: &Workdir, extra: &str) -> Vec<String> {
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    write_mawb_toml_with(&dir, VALID_MAWB, extra);
    vec!["m".into()]
}

/// A valid one-item folder "m" whose `mawb.toml` text is `edit(valid text)`.
fn toml_edit(wd: &Workdir, edit: impl FnOnce(String) -> String) -> Vec<String> {
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    wd.write(dir.join("mawb.toml"), edit(mawb_toml_text(VALID_MAWB, "")));
    vec!["m".into()]
}

/// A folder "m" whose only spreadsheet is `hawbs.xlsx` with these sheets.
fn xlsx_folder(wd: &Workdir, sheets: &[(&str, Vec<Vec<Cell>>)]) -> Vec<String> {
    let dir = wd.mkdir("m");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    write_xlsx_sheets(&dir, "hawbs.xlsx", sheets);
    vec!["m".into()]
}

/// Edits the worksheet XML of the workbook [`xlsx_folder`] wrote.
fn edit_sheet_xml(wd: &Workdir, edit: impl Fn(String) -> String) {
    rewrite_zip_entry(&wd.join("m/hawbs.xlsx"), "xl/worksheets/sheet1.xml", edit);
}

/// A worksheet XML with the cells of `area` (`K2:K4`) merged, as Excel writes it after `sheetData`.
fn merge(xml: String, area: &str) -> String {
    xml.replacen(
        "</sheetData>",
        &format!(r#"</sheetData><mergeCells count="1"><mergeCell ref="{area}"/></mergeCells>"#),
        1,
    )
}

/// Two MAWB folders in "batch" whose second items collide through `edit`.
fn two_mawbs(wd: &Workdir, edit: impl FnOnce(&mut Sheet)) -> Vec<String> {
    wd.mawb_folder("batch/a", &Sheet::hawbs(1, 1));
    let mut s = Sheet::hawbs(50, 1);
    edit(&mut s);
    let b = wd.mawb_folder("batch/b", &s);
    write_mawb_toml(&b, "112-44995462");
    vec!["batch".into()]
}

fn rule_cases() -> Vec<Case> {
    vec![
        // Folders and files.
        case("path-not-found", USAGE, Some("nope"), None, None, |_| {
            vec!["nope".into()]
        }),
        case("no-mawb-folder", USAGE, Some("batch"), None, None, |wd| {
            wd.mkdir("batch");
            vec!["batch".into()]
        }),
        case(
            "stray-spreadsheet",
            OK,
            Some("batch/hawbs-extra.csv"),
            None,
            None,
            |wd| {
                // A spreadsheet beside the MAWB folders of a batch: the batch is still a batch.
                let batch = wd.mkdir("batch");
                wd.mawb_folder("batch/a", &Sheet::hawbs(1, 1));
                Sheet::hawbs(10, 1).write_csv(&batch, "hawbs-extra.csv");
                std::fs::write(batch.join("notes.txt"), "call the airline\n").unwrap();
                vec!["batch".into()]
            },
        ),
        case("no-spreadsheet", NOT_SENDABLE, None, None, None, |wd| {
            let dir = wd.mkdir("m");
            write_mawb_toml(&dir, VALID_MAWB);
            write_pdf(&dir);
            vec!["m".into()]
        }),
        case("file-unreadable", NOT_SENDABLE, XLSX, None, None, |wd| {
            let dir = wd.mkdir("m");
            write_mawb_toml(&dir, VALID_MAWB);
            write_pdf(&dir);
            let p = Sheet::hawbs(1, 20).write_xlsx(&dir, "hawbs.xlsx");
            let b = std::fs::read(&p).unwrap();
            std::fs::write(&p, &b[..b.len() / 2]).unwrap();
            vec!["m".into()]
        }),
        case("unclosed-quote", NOT_SENDABLE, CSV, Some(3), None, |wd| {
            // Row 3's last cell opens a quote never closed: rows 4 and 5 would be read into it.
            let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 4));
            let text = std::fs::read_to_string(dir.join("hawbs.csv")).unwrap();
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            let cut = lines[2].rfind(',').unwrap() + 1;
            lines[2].insert(cut, '"');
            std::fs::write(dir.join("hawbs.csv"), lines.join("\n") + "\n").unwrap();
            vec!["m".into()]
        }),
        case(
            "linked-spreadsheet",
            NOT_SENDABLE,
            Some("more.csv"),
            None,
            None,
            |wd| {
                // A second HAWB file linked in from elsewhere: its rows would be left out.
                let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
                let elsewhere = wd.mkdir("elsewhere");
                Sheet::hawbs(10, 2).write_csv(&elsewhere, "more.csv");
                std::os::unix::fs::symlink(elsewhere.join("more.csv"), dir.join("more.csv"))
                    .unwrap();
                vec!["m".into()]
            },
        ),
        case("file-not-utf8", NOT_SENDABLE, CSV, None, None, |wd| {
            let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
            let mut t = std::fs::read(dir.join("hawbs.csv")).unwrap();
            let at = t.windows(7).position(|w| w == b"Ann Lee").unwrap();
            t[at + 2] = 0xF1; // Latin-1 ñ
            std::fs::write(dir.join("hawbs.csv"), t).unwrap();
            vec!["m".into()]
        }),
        case(
            "file-not-spreadsheet",
            NOT_SENDABLE,
            CSV,
            None,
            None,
            |wd| {
                let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
                std::fs::write(
                    dir.join("hawbs.csv"),
                    [0u8, 1, 2, 3, 0xff, 0xfe, 7, 8, 0, 0],
                )
                .unwrap();
                vec!["m".into()]
            },
        ),
        case("file-kind-mismatch", OK, XLSX, None, None, |wd| {
            // csv text saved under an .xlsx name is read as csv, with a warning.
            let dir = wd.mkdir("m");
            write_mawb_toml(&dir, VALID_MAWB);
            write_pdf(&dir);
            Sheet::hawbs(1, 1).write_csv(&dir, "hawbs.xlsx");
            vec!["m".into()]
        }),
        case("file-too-large", NOT_SENDABLE, CSV, Some(4), None, |wd| {
            wd.mawb_folder("m", &Sheet::hawbs(1, 3));
            vec!["m".into(), "--max-rows".into(), "2".into()]
        }),
        case(
            "columns-toml",
            NOT_SENDABLE,
            Some("columns.toml"),
            Some(1),
            None,
            |wd| {
                let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
                wd.write(dir.join("columns.toml"), "\"Parcel Ref\" = \"colour\"\n");
                vec!["m".into()]
            },
        ),
        case("workbook-open", OK, Some("~$hawbs.csv"), None, None, |wd| {
            let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
            wd.write(dir.join("~$hawbs.csv"), b"\x05clerk");
            vec!["m".into()]
        }),
        case("short-row", OK, CSV, Some(2), None, |wd| {
            // Row 2 lacks its last field (unitValue, not needed at 10 USD); row 3 follows it.
            let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 2));
            let text = wd.read_string(dir.join("hawbs.csv"));
            let mut lines: Vec<String> = text.lines().map(String::from).collect();
            if let Some(cut) = lines[1].rfind(',') {
                lines[1].truncate(cut);
            }
            wd.write(dir.join("hawbs.csv"), lines.join("\n") + "\n");
            vec!["m".into()]
        }),
        // Sheets and headers.
        case("sheet-skipped", OK, XLSX, None, None, |wd| {
            let cover = vec![
                vec![Cell::from("Warehouse 1 manifest")],
                vec![Cell::from("printed"), Cell::from("2026-11-24")],
            ];
            xlsx_folder(
                wd,
                &[("Cover", cover), ("HAWBs", Sheet::hawbs(1, 1).cells())],
            )
        }),
        case("no-header", NOT_SENDABLE, CSV, Some(1), None, |wd| {
            let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
            wd.write(dir.join("hawbs.csv"), "hello,world\n1,2\n");
            vec!["m".into()]
        }),
        case(
            "missing-column",
            NOT_SENDABLE,
            CSV,
            Some(1),
            Some("hts"),
            |wd| {
                folder(wd, |s| {
                    s.drop_col("hts");
                })
            },
        ),
        case("unknown-column", OK, CSV, Some(1), None, |wd| {
            one_cell(wd, "colour", "red")
        }),
        case(
            "duplicate-column",
            NOT_SENDABLE,
            CSV,
            Some(1),
            Some("hts"),
            |wd| one_cell(wd, "HTS Code", "4901.99"),
        ),
        case("empty-sheet", NOT_SENDABLE, CSV, None, None, |wd| {
            wd.mawb_folder("m", &Sheet::with_header(HAWB_COLUMNS));
            vec!["m".into()]
        }),
        // Cells and grouping.
        case(
            "not-a-number",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("weight"),
            |wd| one_cell(wd, "weight", "1,2kg"),
        ),
        case(
            "decimal-comma",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("weight"),
            |wd| one_cell(wd, "weight", "1,5"),
        ),
        case(
            "cell-error",
            NOT_SENDABLE,
            XLSX,
            Some(2),
            Some("weight"),
            |wd| {
                let args =
                    one_xlsx_cell(wd, "weight", Cell::Formula("=NA()".into(), "#N/A".into()));
                // rust_xlsxwriter stores the cached result as a string; make it an error value.
                rewrite_zip_entry(
                    &wd.join("m/hawbs.xlsx"),
                    "xl/worksheets/sheet1.xml",
                    |xml| {
                        let fixed = xml.replace(
                            r#"t="str"><f>NA()</f><v>#N/A</v>"#,
                            r#"t="e"><f>NA()</f><v>#N/A</v>"#,
                        );
                        assert_ne!(fixed, xml, "no formula cell found in {xml}");
                        fixed
                    },
                );
                args
            },
        ),
        case(
            "not-an-integer",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("quantity"),
            |wd| one_cell(wd, "quantity", "2.5"),
        ),
        case(
            "bad-unit",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("weightUnit"),
            |wd| one_cell(wd, "weightUnit", "stone"),
        ),
        case(
            "item-key-missing",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("trackingNumber"),
            |wd| {
                folder(wd, |s| {
                    s.set(0, "trackingNumber", "").set(0, "shipperItemId", "");
                })
            },
        ),
        case(
            "item-field-conflict",
            NOT_SENDABLE,
            CSV,
            Some(3),
            Some("consigneeCity"),
            |wd| {
                folder(wd, |s| {
                    let mut again = s.rows[0].clone();
                    let city = s.col("consigneeCity");
                    again[city] = "Cambridge".into();
                    s.rows.push(again);
                    s.set(0, "value", "20.00");
                })
            },
        ),
        // Field rules.
        case(
            "required",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeCity"),
            |wd| one_cell(wd, "consigneeCity", ""),
        ),
        case(
            "too-long",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeName"),
            |wd| one_cell(wd, "consigneeName", &"N".repeat(36)),
        ),
        case(
            "address-too-long",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeAddress2"),
            |wd| {
                folder(wd, |s| {
                    s.set(0, "consigneeAddress1", &"A".repeat(60)).set(
                        0,
                        "consigneeAddress2",
                        &"B".repeat(60),
                    );
                })
            },
        ),
        case(
            "name-or-company",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeName"),
            |wd| one_cell(wd, "consigneeName", ""),
        ),
        case(
            "country",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeCountry"),
            |wd| one_cell(wd, "consigneeCountry", "ZZ"),
        ),
        case(
            "currency",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("currency"),
            |wd| one_cell(wd, "currency", "ABC"),
        ),
        case(
            "state",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeState"),
            |wd| one_cell(wd, "consigneeState", "ZZ"),
        ),
        case(
            "email",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeEmail"),
            |wd| one_cell(wd, "consigneeEmail", "not-an-email"),
        ),
        case(
            "email-required",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeEmail"),
            |wd| {
                folder(wd, |s| {
                    s.set(0, "value", "900.00")
                        .set(0, "unitValue", "900.00")
                        .set(0, "consigneeEmail", "");
                })
            },
        ),
        case(
            "product-value-required",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("unitValue"),
            |wd| {
                folder(wd, |s| {
                    s.set(0, "value", "300.00").set(0, "unitValue", "");
                })
            },
        ),
        case("product-value-sum", OK, CSV, Some(2), Some("value"), |wd| {
            one_cell(wd, "value", "20.00")
        }),
        case(
            "not-positive",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("weight"),
            |wd| one_cell(wd, "weight", "0"),
        ),
        case(
            "negative-value",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("value"),
            |wd| {
                folder(wd, |s| {
                    s.set(0, "value", "-5").set(0, "unitValue", "");
                })
            },
        ),
        case(
            "dimensions-incomplete",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("width"),
            |wd| one_cell(wd, "length", "0.3"),
        ),
        case(
            "xml-character",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("productDescription"),
            |wd| one_cell(wd, "productDescription", "Book\u{1}mark"),
        ),
        case(
            "tracking-required",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("trackingNumber"),
            |wd| one_cell(wd, "trackingNumber", ""),
        ),
        case(
            "tracking-format",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("trackingNumber"),
            |wd| one_cell(wd, "trackingNumber", "TN-0001"),
        ),
        case(
            "hts-format",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("hts"),
            |wd| one_cell(wd, "hts", "4901-99"),
        ),
        case(
            "decimal-range",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("value"),
            |wd| {
                // Nine decimals: ACP takes at most 8.
                folder(wd, |s| {
                    s.set(0, "value", "10.000000001")
                        .set(0, "unitValue", "10.000000001");
                })
            },
        ),
        case(
            "ups-check-digit",
            OK,
            CSV,
            Some(2),
            Some("trackingNumber"),
            |wd| one_cell(wd, "trackingNumber", "1Z999AA10123456785"),
        ),
        case(
            "label-weight-limit",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("weight"),
            |wd| {
                // Label 1 (ACP Ground) allows 15 lb; 10 kg is 22 lb.
                let args = folder(wd, |s| {
                    s.set(0, "trackingNumber", "").set(0, "weight", "10");
                });
                write_mawb_toml_with(&wd.join("m"), VALID_MAWB, "label = 1");
                args
            },
        ),
        case(
            "label-value-limit",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("value"),
            |wd| {
                // Label 5 (ACP international) allows 1000 USD.
                let args = folder(wd, |s| {
                    s.set(0, "trackingNumber", "")
                        .set(0, "value", "1500.00")
                        .set(0, "unitValue", "1500.00");
                });
                write_mawb_toml_with(&wd.join("m"), VALID_MAWB, "label = 5");
                args
            },
        ),
        case(
            "duplicate-tracking-number",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("trackingNumber"),
            |wd| {
                two_mawbs(wd, |s| {
                    s.set(0, "trackingNumber", "TN00000001");
                })
            },
        ),
        case(
            "duplicate-shipper-item-id",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("shipperItemId"),
            |wd| {
                two_mawbs(wd, |s| {
                    s.set(0, "shipperItemId", "SI00000001");
                })
            },
        ),
        case(
            "duplicate-mawb",
            NOT_SENDABLE,
            TOML,
            None,
            Some("manifest_number"),
            |wd| {
                // Two folders of one batch with the same MAWB number: the second is refused.
                wd.mawb_folder("batch/a", &Sheet::hawbs(1, 1));
                wd.mawb_folder("batch/b", &Sheet::hawbs(50, 1));
                vec!["batch".into()]
            },
        ),
        case(
            "label-not-applied",
            OK,
            CSV,
            None,
            Some("trackingNumber"),
            |wd| toml_extra(wd, "label = 1"),
        ),
        case(
            "image-other-mawb",
            OK,
            Some("mawb-784-17234545.pdf"),
            None,
            Some("image"),
            |wd| {
                let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
                std::fs::rename(dir.join("mawb.pdf"), dir.join("mawb-784-17234545.pdf"))
                    .unwrap_or_else(|e| panic!("{e}"));
                vec!["m".into()]
            },
        ),
        case("unknown-rate", OK, CSV, Some(2), Some("currency"), |wd| {
            // XOF is ISO 4217 but not in the built-in rate table.
            one_cell(wd, "currency", "XOF")
        }),
        // mawb.toml and the MAWB.
        case("mawb-toml-missing", NOT_SENDABLE, TOML, None, None, |wd| {
            let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
            std::fs::remove_file(dir.join("mawb.toml")).unwrap();
            vec!["m".into()]
        }),
        case(
            "mawb-toml-invalid",
            NOT_SENDABLE,
            TOML,
            Some(2),
            None,
            |wd| toml_edit(wd, |t| t.replacen('\n', "\nlabel = = 3\n", 1)),
        ),
        case(
            "mawb-toml-unknown-key",
            NOT_SENDABLE,
            TOML,
            None,
            Some("create_days"),
            |wd| toml_extra(wd, "create_days = true"),
        ),
        case(
            "mawb-number",
            NOT_SENDABLE,
            TOML,
            None,
            Some("manifest_number"),
            |wd| toml_edit(wd, |t| t.replace(VALID_MAWB, "112-4499545")),
        ),
        case("leg-missing", NOT_SENDABLE, TOML, None, Some("leg"), |wd| {
            toml_edit(wd, |t| t.split("[[leg]]").next().unwrap().to_string())
        }),
        case(
            "airport",
            NOT_SENDABLE,
            TOML,
            None,
            Some("leg.departure"),
            |wd| toml_edit(wd, |t| t.replace("\"LAX\"", "\"LA\"")),
        ),
        case(
            "leg-date",
            NOT_SENDABLE,
            TOML,
            None,
            Some("leg.departure_date"),
            |wd| {
                toml_edit(wd, |t| {
                    t.replace("2026-11-24T10:00:00-08:00", "24/11/2026 10:00")
                })
            },
        ),
        case(
            "leg-order",
            NOT_SENDABLE,
            TOML,
            None,
            Some("leg.arrival_date"),
            |wd| {
                toml_edit(wd, |t| {
                    t.replace("2026-11-24T18:40:00-05:00", "2026-11-24T12:00:00-05:00")
                })
            },
        ),
        case(
            "leg-sequence",
            OK,
            TOML,
            None,
            Some("leg.departure"),
            |wd| {
                toml_edit(wd, |t| {
                    t + "\n[[leg]]\ndeparture = \"ORD\"\ndeparture_date = \"2026-11-25T08:00:00-06:00\"\narrival = \"BOS\"\narrival_date = \"2026-11-25T11:30:00-05:00\"\ncarrier = \"AA\"\ntrip = \"456\"\n"
                })
            },
        ),
        case(
            "leg-format",
            NOT_SENDABLE,
            TOML,
            None,
            Some("leg.trip"),
            |wd| toml_edit(wd, |t| t.replace("trip = \"123\"", "trip = \"AA-123\"")),
        ),
        case(
            "label-type",
            NOT_SENDABLE,
            TOML,
            None,
            Some("label"),
            |wd| toml_extra(wd, "label = 7"),
        ),
        case("image-missing", NOT_SENDABLE, None, None, None, |wd| {
            let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
            std::fs::remove_file(dir.join("mawb.pdf")).unwrap();
            vec!["m".into()]
        }),
        case(
            "image-type",
            NOT_SENDABLE,
            Some("mawb.pdf"),
            None,
            Some("image"),
            |wd| {
                let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
                wd.write(dir.join("mawb.pdf"), "this is not a scan\n");
                vec!["m".into()]
            },
        ),
        case(
            "image-size",
            NOT_SENDABLE,
            Some("mawb.pdf"),
            None,
            Some("image"),
            |wd| {
                // A sparse 12 000 001-byte PDF: one byte over ACP's limit, no disk used.
                let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(dir.join("mawb.pdf"))
                    .unwrap();
                f.set_len(12_000_001).unwrap();
                vec!["m".into()]
            },
        ),
        case("no-items", NOT_SENDABLE, None, None, None, |wd| {
            folder(wd, |s| {
                s.set(0, "trackingNumber", "").set(0, "shipperItemId", "");
            })
        }),
        // Spreadsheets as the user sees them.
        case(
            "digits-lost",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("trackingNumber"),
            |wd| one_cell(wd, "trackingNumber", "9.40011E+21"),
        ),
        case(
            "number-format",
            NOT_SENDABLE,
            XLSX,
            Some(2),
            Some("hts"),
            |wd| one_xlsx_cell(wd, "hts", Cell::Number(6109.1)),
        ),
        case(
            "decimals-hidden",
            NOT_SENDABLE,
            XLSX,
            Some(2),
            Some("weight"),
            // Excel shows 1.51; the cell holds 1.505.
            |wd| one_xlsx_cell(wd, "weight", Cell::Formatted(1.505, "0.00".into())),
        ),
        case(
            "too-many-decimals",
            OK,
            CSV,
            Some(2),
            Some("weight"),
            |wd| one_cell(wd, "weight", "0.997903214"),
        ),
        case(
            "hidden-column",
            OK,
            XLSX,
            Some(1),
            Some("consigneeEmail"),
            |wd| {
                let args = xlsx_folder(wd, &[("Sheet1", Sheet::hawbs(1, 2).cells())]);
                // Column I (consigneeEmail) hidden, as Excel writes it.
                edit_sheet_xml(wd, |x| {
                    x.replacen(
                        "<sheetData>",
                        r#"<cols><col min="9" max="9" width="0" hidden="1" customWidth="1"/></cols><sheetData>"#,
                        1,
                    )
                });
                args
            },
        ),
        case("merged-cells", OK, XLSX, Some(2), Some("currency"), |wd| {
            // Column K (currency) merged over the three parcels: the cells under the top one are empty.
            let mut s = Sheet::hawbs(1, 3);
            s.set(1, "currency", "");
            s.set(2, "currency", "");
            let args = xlsx_folder(wd, &[("Sheet1", s.cells())]);
            edit_sheet_xml(wd, |x| merge(x, "K2:K4"));
            args
        }),
        case("merged-header", NOT_SENDABLE, XLSX, Some(1), None, |wd| {
            let mut s = Sheet::hawbs(1, 2);
            s.set(0, "currency", "");
            let args = xlsx_folder(wd, &[("Sheet1", s.cells())]);
            edit_sheet_xml(wd, |x| merge(x, "K1:K2"));
            args
        }),
        case(
            "date-in-cell",
            NOT_SENDABLE,
            XLSX,
            Some(2),
            Some("consigneeAddress1"),
            |wd| {
                one_xlsx_cell(
                    wd,
                    "consigneeAddress1",
                    Cell::Formatted(46024.0, "d-mmm".into()),
                )
            },
        ),
        case(
            "formula-no-value",
            NOT_SENDABLE,
            XLSX,
            Some(2),
            Some("value"),
            |wd| {
                let args = one_xlsx_cell(wd, "value", Cell::Formula("=P2*Q2".into(), "10".into()));
                // A script's workbook: the formula without its cached result.
                rewrite_zip_entry(
                    &wd.join("m/hawbs.xlsx"),
                    "xl/worksheets/sheet1.xml",
                    |xml| {
                        let fixed = xml.replace("<f>P2*Q2</f><v>10</v>", "<f>P2*Q2</f><v></v>");
                        assert_ne!(fixed, xml, "formula cell not found");
                        fixed
                    },
                );
                args
            },
        ),
        case(
            "invisible-character",
            OK,
            CSV,
            Some(2),
            Some("trackingNumber"),
            |wd| {
                let mut s = Sheet::hawbs(1, 1);
                s.set(0, "trackingNumber", "TN\u{200B}00000001");
                wd.mawb_folder("m", &s);
                vec!["m".into()]
            },
        ),
        case(
            "unit-conflict",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("weightUnit"),
            |wd| {
                let mut s = Sheet::hawbs(1, 1);
                s.rename("weight", "Weight (lb)");
                wd.mawb_folder("m", &s);
                vec!["m".into()]
            },
        ),
        case("hidden-sheet", OK, XLSX, None, None, |wd| {
            let dir = wd.mkdir("m");
            write_mawb_toml(&dir, VALID_MAWB);
            write_pdf(&dir);
            let sheets = [
                ("Sheet1", Sheet::hawbs(1, 1).cells()),
                ("Old", Sheet::hawbs(5, 1).cells()),
            ];
            write_xlsx_hiding(&dir, "hawbs.xlsx", &sheets, &["Old"], &[]);
            vec!["m".into()]
        }),
        case("hidden-row", OK, XLSX, Some(3), None, |wd| {
            let dir = wd.mkdir("m");
            write_mawb_toml(&dir, VALID_MAWB);
            write_pdf(&dir);
            let sheets = [("Sheet1", Sheet::hawbs(1, 3).cells())];
            write_xlsx_hiding(&dir, "hawbs.xlsx", &sheets, &[], &[3]);
            vec!["m".into()]
        }),
        case("totals-row", OK, CSV, Some(4), None, |wd| {
            let mut s = Sheet::hawbs(1, 2);
            s.push(&[
                ("trackingNumber", "TOTAL"),
                ("value", "20.00"),
                ("weight", "2"),
            ]);
            wd.mawb_folder("m", &s);
            vec!["m".into()]
        }),
        case("header-below-title", OK, CSV, Some(3), None, |wd| {
            let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
            let text = wd.read_string(dir.join("hawbs.csv"));
            wd.write(
                dir.join("hawbs.csv"),
                format!("HAWB list,MAWB 112-44995451\n\n{text}"),
            );
            vec!["m".into()]
        }),
        case(
            "zip-format",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeZip"),
            |wd| {
                let mut s = Sheet::hawbs(1, 1);
                s.set(0, "consigneeZip", "2134");
                wd.mawb_folder("m", &s);
                vec!["m".into()]
            },
        ),
        // Compliance.
        case(
            "tracking-check-digit",
            OK,
            CSV,
            Some(2),
            Some("trackingNumber"),
            |wd| one_cell(wd, "trackingNumber", "3318810010"),
        ),
        case(
            "zip-state",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeState"),
            |wd| one_cell(wd, "consigneeZip", "10001"),
        ),
        case(
            "postal-format",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeZip"),
            |wd| {
                folder(wd, |s| {
                    s.set(0, "consigneeCountry", "GB")
                        .set(0, "consigneeState", "")
                        .set(0, "consigneeZip", "12345");
                })
            },
        ),
        case(
            "hts-plausible",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("hts"),
            |wd| one_cell(wd, "hts", "4901"),
        ),
        case(
            "dangerous-goods",
            OK,
            CSV,
            Some(2),
            Some("productDescription"),
            |wd| one_cell(wd, "productDescription", "Power bank 10000 mAh"),
        ),
        case(
            "denied-party",
            NOT_SENDABLE,
            CSV,
            Some(2),
            Some("consigneeName"),
            |wd| {
                wd.write(
                    "csl.csv",
                    "_id,source,name,alt_names\nd1,Denied Persons List (DPL) - Bureau of Industry and Security,\"LEE, Ann\",\n",
                );
                let mut args = one_cell(wd, "consigneeName", "Ann Lee");
                args.extend(["--screening-list".into(), "csl.csv".into()]);
                args
            },
        ),
        case(
            "screening-list",
            NOT_SENDABLE,
            TOML,
            None,
            Some("screening_list"),
            |wd| toml_extra(wd, "screening_list = \"missing.csv\""),
        ),
        // Aggregate.
        case(
            "declared-weight",
            OK,
            TOML,
            None,
            Some("declared_weight"),
            |wd| toml_extra(wd, "declared_weight = 100"),
        ),
    ]
}

/// The rules `mawb rules --json` lists for the offline stages: code → severity.
fn offline_rules(wd: &Workdir) -> BTreeMap<String, String> {
    let o = wd.run_mawb(["rules", "--json"]);
    assert_exit(&o, OK);
    let rules: Value = serde_json::from_slice(&o.stdout).expect("rules --json is JSON");
    rules
        .as_array()
        .expect("an array of rules")
        .iter()
        .filter(|r| ["ingest", "validate", "aggregate"].contains(&r["stage"].as_str().unwrap()))
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_string(),
                r["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn every_offline_rule_has_a_failing_fixture() {
    let cases = rule_cases();
    let covered: BTreeSet<String> = cases.iter().map(|c| c.code.to_string()).collect();
    assert_eq!(covered.len(), cases.len(), "a rule has two fixtures");
    let listed: BTreeSet<String> = offline_rules(&Workdir::new()).into_keys().collect();
    let missing: Vec<&String> = listed.difference(&covered).collect();
    let unknown: Vec<&String> = covered.difference(&listed).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "rules without a fixture: {missing:?}; fixtures of unlisted rules: {unknown:?}"
    );
}

#[test]
fn each_rule_fixture_raises_its_code_at_the_expected_place() {
    let rules = offline_rules(&Workdir::new());
    let mut failures = Vec::new();
    for c in rule_cases() {
        let wd = Workdir::new();
        let args = (c.build)(&wd);
        let (o, v) = check_json(&wd, &args);
        let code = exit_code(&o);
        let found = problems_with(&v, c.code);
        let mut why = Vec::new();
        if code != c.exit {
            why.push(format!("exit code {code}, expected {}", c.exit));
        }
        if v["exit_code"] != code {
            why.push(format!("report exit_code {} != {code}", v["exit_code"]));
        }
        let placed = found.iter().any(|p| {
            c.file.is_none_or(|f| p["file"] == f)
                && p["row"].as_u64() == c.row
                && p["column"].as_str() == c.column
        });
        if found.is_empty() {
            why.push("code not reported".to_string());
        } else if !placed {
            why.push(format!(
                "expected at file {:?} row {:?} column {:?}",
                c.file, c.row, c.column
            ));
        }
        let severity = &rules[c.code];
        if let Some(p) = found.iter().find(|p| p["severity"] != severity.as_str()) {
            why.push(format!(
                "severity {} but the rule is {severity}",
                p["severity"]
            ));
        }
        if !why.is_empty() {
            failures.push(format!(
                "{}: {}\n  report:\n    {}\n  stderr: {}",
                c.code,
                why.join("; "),
                problem_lines(&v).replace('\n', "\n    "),
                stderr(&o).trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rule fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A password-protected workbook (an OLE2 container holding the encrypted package, as Excel writes it) is
/// refused with how to save a copy without the password.
#[test]
fn a_password_protected_workbook_says_so() {
    let wd = Workdir::new();
    let dir = wd.mkdir("m");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    let path = dir.join("hawbs.xlsx");
    let mut comp = cfb::create(&path).expect("create the container");
    for (name, bytes) in [
        ("/EncryptionInfo", &b"\x04\x00\x04\x00\x40\x00\x00\x00"[..]),
        ("/EncryptedPackage", &[0u8; 64][..]),
    ] {
        let mut s = comp.create_stream(name).expect("a stream");
        s.write_all(bytes).expect("write the stream");
    }
    comp.flush().expect("flush the container");
    drop(comp);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&v, "file-unreadable");
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(msg.contains("password"), "{msg}");
    assert!(msg.contains("without the password"), "{msg}");
}

/// `mawb check --json - PATH` with the fault `spec` forced (`MAWB_TEST_FAULT`, debug builds) and extra
/// flags; returns the output and the parsed report.
fn check_with_fault(
    wd: &Workdir,
    spec: &str,
    path: &Path,
    extra: &[&str],
) -> (std::process::Output, Value) {
    let mut cmd = wd.mawb();
    cmd.env(mawb::contain::FAULT_ENV, spec)
        .args(["check", "--json", "-"])
        .arg(path)
        .args(extra);
    let o = wd.run(&mut cmd);
    assert_no_panic(&o);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e})\nstdout:\n{}\nstderr:\n{}",
            stdout(&o),
            stderr(&o)
        )
    });
    (o, v)
}

#[test]
fn a_reader_panic_is_a_located_problem_and_the_rest_of_the_batch_is_read() {
    let wd = Workdir::new();
    let a = wd.mawb_folder("batch/A", &Sheet::hawbs(1, 5));
    Sheet::hawbs(50, 3).write_xlsx(&a, "boom.xlsx");
    let b = wd.mawb_folder("batch/B", &Sheet::hawbs(100, 4));
    write_mawb_toml(&b, "112-44995462");
    let (o, report) = check_with_fault(&wd, "read-panic:boom.xlsx", &wd.join("batch"), &[]);
    assert_exit(&o, NOT_SENDABLE);
    let p = the_problem(&report, "file-unreadable");
    assert_place(&p, "boom.xlsx", None, None);
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(
        msg.starts_with("the spreadsheet reader failed on this file: ")
            && msg.ends_with("; save it again as .xlsx"),
        "{msg}"
    );
    let by_folder: BTreeMap<String, &Value> = report["mawbs"]
        .as_array()
        .expect("mawbs")
        .iter()
        .map(|m| (m["folder"].as_str().unwrap_or_default().to_string(), m))
        .collect();
    // The other file of the same folder and the other folder are read as usual.
    assert_eq!(by_folder["A"]["totals"]["items"], 5, "{report}");
    assert_eq!(by_folder["A"]["errors"], 1, "{}", problem_lines(&report));
    assert_eq!(by_folder["B"]["totals"]["items"], 4, "{report}");
    assert_eq!(
        by_folder["B"]["sendable"],
        true,
        "{}",
        problem_lines(&report)
    );
}

#[test]
fn a_spreadsheet_that_reads_for_ever_is_refused_after_the_read_timeout() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 5));
    Sheet::hawbs(50, 3).write_csv(&dir, "slow.csv");
    let t0 = std::time::Instant::now();
    let (o, report) = check_with_fault(&wd, "read-hang:slow.csv", &dir, &["--read-timeout", "1"]);
    let took = t0.elapsed();
    assert_exit(&o, NOT_SENDABLE);
    assert!(
        took < std::time::Duration::from_secs(20),
        "check took {took:?}"
    );
    let p = the_problem(&report, "file-too-large");
    assert_place(&p, "slow.csv", None, None);
    assert!(
        p["message"]
            .as_str()
            .is_some_and(|m| m.contains("took longer than 1 s") && m.contains("--read-timeout")),
        "{p}"
    );
    assert_eq!(
        report["mawbs"][0]["totals"]["items"], 5,
        "hawbs.csv is still read"
    );
}

/// The MAWB scan must be a file of the folder: `..`, an absolute path or a symbolic link leading out are
/// refused on the `image` key, and nothing outside the folder is read as the scan.
#[test]
fn a_scan_from_outside_the_folder_is_refused() {
    let wd = Workdir::new();
    let outside = wd.join("elsewhere.pdf");
    std::fs::write(&outside, TINY_PDF).unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("parent", "image = \"../elsewhere.pdf\"".to_string()),
        ("absolute", format!("image = \"{}\"", outside.display())),
        ("link", "image = \"scan.pdf\"".to_string()),
    ];
    for (what, line) in cases {
        let dir = wd.mawb_folder(what, &Sheet::hawbs(1, 1));
        let _ = std::fs::remove_file(dir.join("mawb.pdf"));
        let toml = mawb_toml_text(VALID_MAWB, &line);
        wd.write(dir.join("mawb.toml"), toml);
        if what == "link" {
            std::os::unix::fs::symlink(&outside, dir.join("scan.pdf")).unwrap();
        }
        let (o, v) = check_json(&wd, &[what]);
        assert_exit(&o, NOT_SENDABLE);
        let p = problems_with(&v, "image-missing")
            .into_iter()
            .find(|p| p["column"] == "image")
            .unwrap_or_else(|| panic!("{what}: {}", problem_lines(&v)));
        let msg = p["message"].as_str().unwrap_or_default();
        assert!(msg.contains("outside the MAWB folder"), "{what}: {msg}");
    }
}
