//! Ordinary operator mistakes get a clear outcome from `mawb check` (and so from `run` and `watch`, which
//! check first): a misspelt `mawb.toml` key, a label type that some parcels cannot get, a bad line in
//! `columns.toml`, an open workbook, a CSV cut mid-row, decimal commas, a scan named after another MAWB.

mod common;

use common::*;
use serde_json::Value;

const OK: i32 = 0;
const NOT_SENDABLE: i32 = 1;

/// The single problem with `code`, failing with every problem listed otherwise.
fn one(report: &Value, code: &str) -> Value {
    let found = problems_with(report, code);
    assert_eq!(found.len(), 1, "{code}:\n{}", problem_lines(report));
    found[0].clone()
}

#[test]
fn a_misspelt_mawb_toml_key_is_an_error_with_the_nearest_key() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 2));
    write_mawb_toml_with(&dir, VALID_MAWB, "create_days = true");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = one(&v, "mawb-toml-unknown-key");
    assert_eq!(p["severity"], "error");
    assert_eq!(p["file"], "mawb.toml");
    assert_eq!(p["column"], "create_days");
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(msg.contains("did you mean `create_day`?"), "{msg}");
    assert_eq!(v["mawbs"][0]["sendable"], false);

    // The text summary says it too.
    let o = wd.run_mawb(["check", "m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert!(
        stdout(&o).contains("did you mean `create_day`?"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_misspelt_leg_key_and_a_mawb_key_inside_a_leg_are_errors() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 2));
    let text = mawb_toml_text(VALID_MAWB, "").replace(
        "trip = \"123\"",
        "trip = \"123\"\ncarier = \"AA\"\ncreate_day = true",
    );
    wd.write(dir.join("mawb.toml"), text);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let found = problems_with(&v, "mawb-toml-unknown-key");
    assert_eq!(found.len(), 2, "{}", problem_lines(&v));
    let msgs: Vec<&str> = found.iter().filter_map(|p| p["message"].as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("leg 1: ") && m.contains("did you mean `carrier`?")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("create_day is a MAWB setting")
                && m.contains("above the first [[leg]]")),
        "{msgs:?}"
    );
}

#[test]
fn label_on_parcels_with_tracking_numbers_says_which_applies() {
    let wd = Workdir::new();
    // Rows 2-4 carry tracking numbers; row 5 has none, so only it gets a label from ACP.
    let mut s = Sheet::hawbs(1, 4);
    s.set(3, "trackingNumber", "");
    let dir = wd.mawb_folder("m", &s);
    write_mawb_toml_with(&dir, VALID_MAWB, "label = 1");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    let p = one(&v, "label-not-applied");
    assert_eq!(p["severity"], "warning");
    assert_eq!(p["file"], "hawbs.csv");
    assert_eq!(p["column"], "trackingNumber");
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(msg.contains("label = 1"), "{msg}");
    assert!(msg.contains("row(s) 2-4 "), "{msg}");
    assert!(msg.contains("registered with label 0"), "{msg}");
    assert!(
        msg.contains("only the 1 item(s) without a trackingNumber"),
        "{msg}"
    );

    // With label = 0 (the default) there is nothing to say.
    write_mawb_toml(&dir, VALID_MAWB);
    s.set(3, "trackingNumber", "TN00000004");
    s.write_csv(&dir, "hawbs.csv");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert!(problems_with(&v, "label-not-applied").is_empty());
}

#[test]
fn one_bad_columns_toml_line_is_reported_alone_and_the_others_still_map() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.rename("trackingNumber", "Parcel Ref")
        .rename("weight", "Kilos");
    let dir = wd.mawb_folder("m", &s);
    wd.write(
        dir.join("columns.toml"),
        "[columns]\n\"Parcel Ref\" = \"trackingNumber\"\nKilos = \"weight\"\nGross Wt = \"weight\"\n",
    );
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = one(&v, "columns-toml");
    assert_eq!(p["file"], "columns.toml");
    assert_eq!(p["row"], 4);
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("write it as \"Gross Wt\" = \"weight\""),
        "{msg}"
    );
    // The good lines were used: the header was found and every parcel read.
    for code in ["no-header", "missing-column", "unknown-column", "required"] {
        assert!(
            problems_with(&v, code).is_empty(),
            "{code}:\n{}",
            problem_lines(&v)
        );
    }
    assert_eq!(v["mawbs"][0]["totals"]["items"], 2);

    // A bad line in a --columns file is a usage error naming the file and the line.
    wd.write(
        "cols.toml",
        "\"Parcel Ref\" = \"trackingNumber\"\nKilos = wieght\n",
    );
    std::fs::remove_file(dir.join("columns.toml")).unwrap_or_else(|e| panic!("{e}"));
    let o = wd.run_mawb(["check", "m", "--columns", "cols.toml"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("cols.toml: line 2:"), "{}", stderr(&o));
}

#[test]
fn json_amounts_have_two_decimals_and_weights_three() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.set(0, "value", "1000.5")
        .set(0, "unitValue", "1000.5")
        .set(1, "value", "361.9")
        .set(1, "unitValue", "361.9")
        .set(0, "weight", "1.2")
        .set(1, "weight", "2");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    for totals in [&v["totals"], &v["mawbs"][0]["totals"]] {
        assert_eq!(totals["value"]["USD"], "1362.40", "{totals}");
        assert_eq!(totals["weight_kg"], "3.200", "{totals}");
    }
    // The summary writes the same figures.
    let o = wd.run_mawb(["check", "m"]);
    assert_exit(&o, OK);
    assert!(stdout(&o).contains("value: 1362.40 USD"), "{}", stdout(&o));
}

#[test]
fn an_open_workbook_is_reported_by_check_and_run() {
    let wd = Workdir::new();
    let dir = wd.mkdir("m");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    Sheet::hawbs(1, 2).write_xlsx(&dir, "hawbs.xlsx");
    wd.write(dir.join("~$hawbs.xlsx"), b"\x05clerk");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    let p = one(&v, "workbook-open");
    assert_eq!(p["severity"], "warning");
    assert_eq!(p["file"], "~$hawbs.xlsx");
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(msg.contains("hawbs.xlsx is open"), "{msg}");
    assert!(msg.contains("unsaved changes"), "{msg}");
    // The lock file is not read as data, and the workbook is.
    assert_eq!(v["mawbs"][0]["totals"]["items"], 2);

    // `run` checks first and says it too (before sending anything).
    let acp = start_sandbox("lock-key");
    let mut cmd = wd.mawb();
    cmd.args(["run", "m", "--json", "-"])
        .env("ACP_ENDPOINT", acp.endpoint())
        .env("ACP_API_KEY", "lock-key");
    let o = wd.run(&mut cmd);
    assert_exit(&o, OK);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    one(&v, "workbook-open");

    // A LibreOffice lock file is recognised too.
    std::fs::remove_file(dir.join("~$hawbs.xlsx")).unwrap_or_else(|e| panic!("{e}"));
    wd.write(
        dir.join(".~lock.hawbs.xlsx#"),
        b",clerk,host,01.01.2026 10:00,",
    );
    let (_, v) = check_json(&wd, &["m"]);
    one(&v, "workbook-open");
}

#[test]
fn a_scan_named_after_another_mawb_is_flagged() {
    let wd = Workdir::new();
    let dir = wd.mawb_folder("m", &Sheet::hawbs(1, 1));
    write_mawb_toml(&dir, "784-17234534");
    std::fs::rename(dir.join("mawb.pdf"), dir.join("mawb-784-17234545.pdf"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    let p = one(&v, "image-other-mawb");
    assert_eq!(p["file"], "mawb-784-17234545.pdf");
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("784-17234545") && msg.contains("784-17234534"),
        "{msg}"
    );

    // Its own number in the name is what is expected.
    std::fs::rename(
        dir.join("mawb-784-17234545.pdf"),
        dir.join("mawb-784-17234534.pdf"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert!(problems_with(&v, "image-other-mawb").is_empty());
}

/// The csv text of `sheet` with its last line cut after `keep` fields (and no line end after it).
fn cut_last_row(sheet: &Sheet, keep: usize) -> String {
    let text = sheet.csv_text("\r\n");
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines.pop().unwrap_or_default();
    let cut: Vec<&str> = last.split(',').take(keep).collect();
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out.push_str(&cut.join(","));
    out
}

#[test]
fn a_csv_cut_mid_row_is_one_truncation_problem() {
    let wd = Workdir::new();
    let sheet = Sheet::hawbs(1, 5);
    let dir = wd.mawb_folder("m", &sheet);
    wd.write(dir.join("hawbs.csv"), cut_last_row(&sheet, 7));
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = one(&v, "file-unreadable");
    assert_eq!(p["file"], "hawbs.csv");
    assert_eq!(p["row"], 6);
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(
        msg.contains("row 6 has 7 of 17 fields") && msg.contains("file truncated?"),
        "{msg}"
    );
    // Nothing else is said about the cut row, and the rows before it are read.
    assert!(
        problems_with(&v, "required").is_empty(),
        "{}",
        problem_lines(&v)
    );
    assert!(
        problems_with(&v, "short-row").is_empty(),
        "{}",
        problem_lines(&v)
    );
    assert_eq!(v["mawbs"][0]["totals"]["items"], 4);
}

#[test]
fn a_short_row_inside_a_csv_is_read_with_a_warning() {
    let wd = Workdir::new();
    let sheet = Sheet::hawbs(1, 3);
    let dir = wd.mawb_folder("m", &sheet);
    // Row 3 lacks its consignee onwards; rows 2 and 4 are whole; the file ends with a line end.
    let text = sheet.csv_text("\n");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[2] = lines[2].split(',').take(3).collect::<Vec<_>>().join(",");
    wd.write(dir.join("hawbs.csv"), lines.join("\n") + "\n");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = one(&v, "short-row");
    assert_eq!(p["row"], 3);
    assert!(
        p["message"]
            .as_str()
            .unwrap_or_default()
            .contains("row 3 has 3 of 17 fields"),
        "{p}"
    );
    // Its blanks are still errors where a value is required (nothing is guessed), and not a truncation.
    assert!(!problems_with(&v, "required").is_empty());
    assert!(problems_with(&v, "file-unreadable").is_empty());

    // The same short row last, with a line end after it: a short row, not a truncated file.
    let mut lines: Vec<String> = sheet.csv_text("\n").lines().map(String::from).collect();
    let last = lines.len() - 1;
    lines[last] = lines[last]
        .split(',')
        .take(16)
        .collect::<Vec<_>>()
        .join(",");
    wd.write(dir.join("hawbs.csv"), lines.join("\n") + "\n");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(one(&v, "short-row")["row"], 4);
    assert_eq!(v["mawbs"][0]["totals"]["items"], 3);
}

#[test]
fn decimal_commas_are_one_problem_per_sheet() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 4);
    for row in 0..4 {
        s.set(row, "value", "10,50")
            .set(row, "unitValue", "10,50")
            .set(row, "weight", "1,25");
    }
    // A number that is not a decimal comma keeps its own problem.
    s.set(3, "quantity", "2 pcs");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = one(&v, "decimal-comma");
    assert_eq!(p["file"], "hawbs.csv");
    assert_eq!(p["row"], 2);
    assert!(p["column"].is_null(), "{p}");
    let msg = p["message"].as_str().unwrap_or_default();
    assert!(msg.starts_with("12 number cell(s)"), "{msg}");
    assert!(
        msg.contains("row(s) 2-5 of column(s) unitValue, value, weight"),
        "{msg}"
    );
    assert!(msg.contains("with a dot"), "{msg}");
    // No second error for the same cells: the refused values are not also "required".
    assert!(
        problems_with(&v, "required").is_empty(),
        "{}",
        problem_lines(&v)
    );
    assert_eq!(one(&v, "not-a-number")["column"], "quantity");
    assert_eq!(v["mawbs"][0]["errors"], 2, "{}", problem_lines(&v));
}
