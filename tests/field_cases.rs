//! The field cases beside the project (`../shared/field-cases/`): MAWB folders shaped the way warehouses,
//! exporters and Excel really produce them, each with its right outcome. Every case is checked through the
//! real binary; where the outcome is a value, `mawb prepare` shows what would be sent.
//!
//! The rule behind all of them: the value the user sees in the spreadsheet, or a refusal naming file,
//! sheet, row and column with the cause. Never a silently damaged value.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

const OK: i32 = 0;
const NOT_SENDABLE: i32 = 1;

/// The folder of a field case; the cases live beside the repository.
fn case(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/field-cases")
        .join(name);
    assert!(
        dir.is_dir(),
        "field case {} is missing: the shared folder must sit beside the repository",
        dir.display()
    );
    dir
}

/// A writable copy of a field case in the workdir (for cases whose mawb.toml or columns.toml a test
/// changes).
fn copy_case(wd: &Workdir, name: &str) -> PathBuf {
    let to = wd.mkdir(name);
    for entry in std::fs::read_dir(case(name)).expect("list the case") {
        let entry = entry.expect("a case file");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy a case file");
    }
    to
}

fn check(wd: &Workdir, dir: &Path) -> (std::process::Output, Value) {
    check_json(wd, &[dir.to_string_lossy().into_owned()])
}

/// `(code, row, column)` of every problem with that code.
fn found(v: &Value, code: &str) -> Vec<(Option<u64>, Option<String>)> {
    problems_with(v, code)
        .iter()
        .map(|p| (p["row"].as_u64(), p["column"].as_str().map(String::from)))
        .collect()
}

fn at(row: u64, column: &str) -> (Option<u64>, Option<String>) {
    (Some(row), Some(column.to_string()))
}

/// An empty MAWB folder `m` (its `mawb.toml` and scan) for a spreadsheet a test writes.
fn workbook_folder(wd: &Workdir) -> PathBuf {
    let dir = wd.mkdir("m");
    write_mawb_toml(&dir, VALID_MAWB);
    write_pdf(&dir);
    dir
}

/// The text of every request `mawb prepare` writes for a folder.
fn prepared(wd: &Workdir, dir: &Path) -> String {
    let out = wd.join("prepared");
    let o = wd.run_mawb([
        "prepare".into(),
        "--out".into(),
        out.to_string_lossy().into_owned(),
        dir.to_string_lossy().into_owned(),
    ]);
    assert_exit(&o, OK);
    let mut text = String::new();
    for entry in std::fs::read_dir(&out).expect("prepared folder") {
        let p = entry.expect("entry").path();
        if let Ok(t) = std::fs::read_to_string(&p) {
            text.push_str(&t);
        }
    }
    text
}

fn totals(v: &Value) -> (u64, String) {
    (
        v["totals"]["items"].as_u64().unwrap_or(0),
        v["totals"]["weight_kg"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn the_controls_pass_unchanged() {
    for name in ["control-baseline", "control-baseline-csv"] {
        let wd = Workdir::new();
        let (o, v) = check(&wd, &case(name));
        assert_exit(&o, OK);
        assert_eq!(
            totals(&v),
            (3, "2.520".into()),
            "{name}: {}",
            problem_lines(&v)
        );
        let o = wd.run_mawb(["check".into(), case(name).to_string_lossy().into_owned()]);
        assert!(stdout(&o).contains("127.49 USD"), "{name}: {}", stdout(&o));
        // The controls' invented USPS numbers fail the IMpb check digit: three warnings, nothing else.
        assert_eq!(
            found(&v, "tracking-check-digit"),
            vec![
                at(2, "trackingNumber"),
                at(3, "trackingNumber"),
                at(4, "trackingNumber")
            ],
            "{name}: {}",
            problem_lines(&v)
        );
        assert_eq!(all_problems(&v).len(), 3, "{name}: {}", problem_lines(&v));
    }
}

#[test]
fn zip_codes_typed_as_numbers_go_out_as_excel_shows_them() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("zip-numeric-xlsx"));
    assert_exit(&o, OK);
    assert_eq!(totals(&v).0, 3, "{}", problem_lines(&v));
    let sent = prepared(&wd, &case("zip-numeric-xlsx"));
    assert!(sent.contains(">02118<"), "02118 not sent");
    assert!(sent.contains(">07102-1234<"), "07102-1234 not sent");
    assert!(
        !sent.contains(">2118<") && !sent.contains(">7102"),
        "a damaged ZIP was sent"
    );
}

#[test]
fn long_tracking_numbers_stored_as_floats_are_refused_with_the_cause() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("tracking-numeric-xlsx"));
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "digits-lost"),
        vec![at(2, "trackingNumber"), at(4, "trackingNumber")],
        "{}",
        problem_lines(&v)
    );
    let msg = problems_with(&v, "digits-lost")[0]["message"].to_string();
    assert!(msg.contains("15 digits") && msg.contains("Text"), "{msg}");
    // The cell refused is not also "required" (with advice about labels).
    assert!(
        found(&v, "tracking-required").is_empty(),
        "{}",
        problem_lines(&v)
    );
}

#[test]
fn consecutive_labels_that_collapse_to_one_float_name_the_cause_not_a_cascade() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("tracking-numeric-consecutive-xlsx"));
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "digits-lost"),
        vec![
            at(2, "trackingNumber"),
            at(3, "trackingNumber"),
            at(4, "trackingNumber")
        ]
    );
    assert!(
        found(&v, "item-field-conflict").is_empty() && found(&v, "tracking-required").is_empty(),
        "{}",
        problem_lines(&v)
    );
}

#[test]
fn an_excel_resaved_csv_is_refused_at_each_real_row() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("excel-resaved-csv"));
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "digits-lost"),
        vec![at(2, "trackingNumber"), at(4, "trackingNumber")],
        "{}",
        problem_lines(&v)
    );
    assert_eq!(
        found(&v, "zip-format"),
        vec![at(2, "consigneeZip"), at(3, "consigneeZip")],
        "{}",
        problem_lines(&v)
    );
    let zip = problems_with(&v, "zip-format")[0]["message"].to_string();
    assert!(zip.contains("leading zero lost?"), "{zip}");
    // 1,299.00 (thousands separator, dot decimal) is read, not refused.
    assert!(
        found(&v, "not-a-number").is_empty(),
        "{}",
        problem_lines(&v)
    );
}

#[test]
fn hs_codes_typed_as_numbers_are_refused_not_sent_short() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("hts-numeric-xlsx"));
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "number-format"),
        vec![at(2, "hts"), at(3, "hts")],
        "{}",
        problem_lines(&v)
    );
    assert!(
        found(&v, "required").is_empty(),
        "a refused cell is not reported again as missing: {}",
        problem_lines(&v)
    );
}

#[test]
fn cells_excel_turned_into_dates_are_refused_by_column() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("autodate-text-xlsx"));
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "date-in-cell"),
        vec![at(2, "consigneeAddress2"), at(3, "sku"), at(4, "sku")],
        "{}",
        problem_lines(&v)
    );
}

#[test]
fn text_forcing_wrappers_are_unwrapped_and_the_manifest_file_is_inert() {
    let wd = Workdir::new();
    let dir = case("csv-equals-text-forcing-zip-only");
    let (o, v) = check(&wd, &dir);
    assert_exit(&o, OK);
    let sent = prepared(&wd, &dir);
    assert!(sent.contains(">02118<"), "02118 not sent");
    assert!(!sent.contains("=\"02118"), "the wrapper was sent");
    assert_eq!(totals(&v).0, 3, "{}", problem_lines(&v));
    // The generated manifest file: no cell a spreadsheet would run as a formula.
    let csv = std::fs::read_dir(wd.join("prepared"))
        .expect("prepared")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .expect("a manifest csv");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&csv)
        .expect("manifest csv");
    for rec in r.records() {
        for cell in rec.expect("record").iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} would run as a formula"
            );
        }
    }
}

#[test]
fn a_hidden_sheet_is_skipped_with_a_warning_and_read_on_request() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("hidden-sheet-xlsx"));
    assert_exit(&o, OK);
    assert_eq!(totals(&v).0, 3, "{}", problem_lines(&v));
    assert_eq!(problems_with(&v, "hidden-sheet").len(), 1);
    let dir = copy_case(&wd, "hidden-sheet-xlsx");
    let toml = wd.read_string(dir.join("mawb.toml"));
    wd.write(
        dir.join("mawb.toml"),
        toml.replacen("create_day", "hidden_sheets = \"read\"\ncreate_day", 1),
    );
    let (_, v) = check(&wd, &dir);
    assert_eq!(totals(&v).0, 6, "{}", problem_lines(&v));
}

#[test]
fn a_hidden_row_is_never_silent() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("hidden-rows-xlsx"));
    assert_exit(&o, OK);
    assert_eq!(totals(&v).0, 3, "{}", problem_lines(&v));
    assert_eq!(found(&v, "hidden-row"), vec![(Some(3), None)]);
    let dir = copy_case(&wd, "hidden-rows-xlsx");
    let toml = wd.read_string(dir.join("mawb.toml"));
    wd.write(
        dir.join("mawb.toml"),
        toml.replacen("create_day", "hidden_rows = \"read\"\ncreate_day", 1),
    );
    let (_, v) = check(&wd, &dir);
    assert_eq!(totals(&v).0, 4, "{}", problem_lines(&v));
    assert!(found(&v, "hidden-row").is_empty());
}

#[test]
fn a_pound_header_is_converted() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("weight-lb-in-header"));
    assert_exit(&o, OK);
    assert_eq!(totals(&v), (3, "2.536".into()), "{}", problem_lines(&v));
}

#[test]
fn formula_results_are_read_as_excel_shows_them() {
    let wd = Workdir::new();
    let dir = case("formula-float-xlsx");
    let (o, v) = check(&wd, &dir);
    assert_exit(&o, OK);
    let all = problem_lines(&v);
    assert!(!all.contains("0000000"), "float noise: {all}");
    let sent = prepared(&wd, &dir);
    assert!(sent.contains(">3.45<"), "3.45 not sent");
    assert!(!sent.contains("3.4499999"), "float noise sent");
    let o = wd.run_mawb(["check".into(), dir.to_string_lossy().into_owned()]);
    assert!(!stdout(&o).contains("0000000"), "{}", stdout(&o));
}

#[test]
fn formulas_without_a_stored_result_say_so() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("formula-no-cache-xlsx"));
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "formula-no-value"),
        vec![at(2, "value"), at(3, "weight"), at(4, "value")],
        "{}",
        problem_lines(&v)
    );
    assert!(found(&v, "required").is_empty(), "{}", problem_lines(&v));
}

/// XlsxWriter stores 0 as every formula's result and marks the workbook to be computed again when it is
/// opened (`fullCalcOnLoad`): Excel shows the computed values, so a stored 0 is a placeholder, refused
/// like a missing result (text and number columns alike). A stored result other than 0 is read (the
/// formula-float case is marked the same way).
#[test]
fn a_formula_result_stored_as_a_placeholder_zero_is_refused() {
    let wd = Workdir::new();
    let dir = copy_case(&wd, "formula-no-cache-xlsx");
    let path = dir.join("hawbs.xlsx");
    let (_, workbook) = &common::acp::zip_entries(&path)["xl/workbook.xml"];
    let workbook = String::from_utf8_lossy(workbook);
    assert!(workbook.contains("fullCalcOnLoad=\"1\""), "{workbook}");
    // Each formula's missing result becomes XlsxWriter's `<v>0</v>`.
    rewrite_zip_entry(&path, "xl/worksheets/sheet1.xml", |xml| {
        let fixed = xml.replace("</f><v></v></c>", "</f><v>0</v></c>");
        assert_ne!(fixed, xml, "no formula cell");
        fixed
    });
    let (o, v) = check(&wd, &dir);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "formula-no-value"),
        vec![at(2, "value"), at(3, "weight"), at(4, "value")],
        "{}",
        problem_lines(&v)
    );
    // Without the mark, a stored 0 is a result like any other.
    rewrite_zip_entry(&path, "xl/workbook.xml", |xml| {
        xml.replace(" fullCalcOnLoad=\"1\"", "")
    });
    let (_, v) = check(&wd, &dir);
    assert!(
        found(&v, "formula-no-value").is_empty(),
        "{}",
        problem_lines(&v)
    );
}

#[test]
fn the_header_is_found_below_a_title_block() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("header-below-title-xlsx"));
    assert_exit(&o, OK);
    assert_eq!(totals(&v).0, 3, "{}", problem_lines(&v));
    assert_eq!(found(&v, "header-below-title"), vec![(Some(5), None)]);
}

#[test]
fn csv_rows_are_the_spreadsheet_rows_for_every_line_end() {
    for name in ["csv-rownum-lf", "csv-rownum-crlf"] {
        let wd = Workdir::new();
        let (o, v) = check(&wd, &case(name));
        assert_exit(&o, NOT_SENDABLE);
        assert_eq!(found(&v, "state"), vec![at(3, "consigneeState")], "{name}");
        assert_eq!(found(&v, "currency"), vec![at(4, "currency")], "{name}");
    }
    // Old Mac files end lines with CR alone.
    let wd = Workdir::new();
    let dir = copy_case(&wd, "csv-rownum-lf");
    let text = wd.read_string(dir.join("hawbs.csv")).replace('\n', "\r");
    wd.write(dir.join("hawbs.csv"), text);
    let (_, v) = check(&wd, &dir);
    assert_eq!(found(&v, "state"), vec![at(3, "consigneeState")]);
    assert_eq!(found(&v, "currency"), vec![at(4, "currency")]);
}

#[test]
fn excel_unicode_text_is_read() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("utf16-unicode-text-txt"));
    assert_exit(&o, OK);
    assert_eq!(totals(&v), (3, "2.520".into()), "{}", problem_lines(&v));
}

#[test]
fn invisible_characters_are_stripped_and_named() {
    let wd = Workdir::new();
    let dir = case("tracking-invisible-chars");
    let (o, v) = check(&wd, &dir);
    assert_exit(&o, OK);
    let warned = problems_with(&v, "invisible-character");
    assert_eq!(
        found(&v, "invisible-character"),
        vec![at(3, "trackingNumber"), at(4, "trackingNumber")]
    );
    assert!(warned[0]["message"].to_string().contains("U+200B"));
    assert!(warned[1]["message"].to_string().contains("U+FEFF"));
    let sent = prepared(&wd, &dir);
    assert!(sent.contains(">9400111899223197428513<"));
    assert!(!sent.contains('\u{200B}') && !sent.contains('\u{FEFF}'));
}

#[test]
fn a_totals_row_is_recognised() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("totals-row-xlsx"));
    assert_exit(&o, OK);
    assert_eq!(totals(&v), (3, "2.520".into()), "{}", problem_lines(&v));
    assert_eq!(found(&v, "totals-row"), vec![(Some(6), None)]);
}

#[test]
fn two_columns_for_one_field_show_the_columns_toml_line_that_resolves_it() {
    let wd = Workdir::new();
    let (o, v) = check(&wd, &case("template-hawb-and-tracking-std"));
    assert_exit(&o, NOT_SENDABLE);
    let dup = problems_with(&v, "duplicate-column");
    assert_eq!(dup.len(), 1, "{}", problem_lines(&v));
    let msg = dup[0]["message"].as_str().unwrap_or_default().to_string();
    let line = "\"Hawb No\" = \"shipperItemId\"";
    assert!(msg.contains(line), "{msg}");
    // The line it names works.
    let dir = copy_case(&wd, "template-hawb-and-tracking-std");
    let columns = wd.read_string(dir.join("columns.toml"));
    wd.write(dir.join("columns.toml"), format!("{columns}\n{line}\n"));
    let (o, v) = check(&wd, &dir);
    assert_exit(&o, OK);
    assert_eq!(totals(&v).0, 3, "{}", problem_lines(&v));
}

/// Cells merged down several parcel rows of an ods sheet (`table:number-rows-spanned` over covered
/// cells) show the top cell's value on each row, as in xlsx: read for each, with a warning naming the
/// area (they were read as blank: "required" errors, or an optional field sent empty).
#[test]
fn ods_merged_cells_are_read_as_shown() {
    let wd = Workdir::new();
    let dir = workbook_folder(&wd);
    let mut rows = Sheet::hawbs(1, 4).cells();
    let name = HAWB_COLUMNS
        .iter()
        .position(|c| *c == "consigneeName")
        .unwrap();
    for (r, text) in [(1, "TOP"), (2, "COVERED-1"), (3, "COVERED-2")] {
        rows[r][name] = Cell::Text(text.into());
    }
    let path = write_ods(&dir, "hawbs.ods", &rows, &[]);
    rewrite_zip_entry(&path, "content.xml", |xml| {
        let mut fixed = xml.replace(
            r#"<table:table-cell office:value-type="string"><text:p>TOP</text:p>"#,
            r#"<table:table-cell table:number-rows-spanned="3" office:value-type="string"><text:p>Ann Lee</text:p>"#,
        );
        for covered in ["COVERED-1", "COVERED-2"] {
            fixed = fixed.replace(
                &format!(r#"<table:table-cell office:value-type="string"><text:p>{covered}</text:p></table:table-cell>"#),
                "<table:covered-table-cell/>",
            );
        }
        assert_eq!(fixed.matches("covered-table-cell").count(), 2, "{fixed}");
        fixed
    });
    assert_read_with_one_merged_area(&wd, "ods");
}

/// `mawb check m` reads 4 items, with one `merged-cells` warning for rows 2 to 4.
fn assert_read_with_one_merged_area(wd: &Workdir, ext: &str) {
    let (o, v) = check_json(wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(totals(&v).0, 4, "{ext}: {}", problem_lines(&v));
    let merged = problems_with(&v, "merged-cells");
    assert_eq!(merged.len(), 1, "{ext}: {}", problem_lines(&v));
    let message = merged[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("rows 2 to 4"), "{ext}: {message}");
}

/// A formula's error in an ods file, as LibreOffice writes it (a string or float cell marked
/// `calcext:value-type="error"`, showing `#N/A` or `#DIV/0!`), is refused as `cell-error`, as in xlsx and
/// xls; it was sent as the text `#N/A`, or as 0.
#[test]
fn ods_error_cells_are_refused_as_in_xlsx() {
    let wd = Workdir::new();
    let dir = workbook_folder(&wd);
    let mut rows = Sheet::hawbs(1, 3).cells();
    let col = |name: &str| HAWB_COLUMNS.iter().position(|c| *c == name).unwrap();
    rows[1][col("productDescription")] = Cell::Text("#N/A".into());
    rows[2][col("value")] = Cell::Number(0.0);
    let path = write_ods(&dir, "hawbs.ods", &rows, &[]);
    rewrite_zip_entry(&path, "content.xml", |xml| {
        let fixed = xml
            .replacen(
                r#"<table:table-cell office:value-type="string"><text:p>#N/A"#,
                r#"<table:table-cell table:formula="of:=NA()" office:value-type="string" office:string-value="" calcext:value-type="error"><text:p>#N/A"#,
                1,
            )
            .replacen(
                r#"<table:table-cell office:value-type="float" office:value="0"><text:p>0"#,
                r#"<table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0" calcext:value-type="error"><text:p>#DIV/0!"#,
                1,
            );
        assert_eq!(fixed.matches("calcext:value-type").count(), 2, "{fixed}");
        fixed
    });
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "cell-error"),
        vec![at(2, "productDescription"), at(3, "value")],
        "{}",
        problem_lines(&v)
    );
    let lines = problem_lines(&v);
    assert!(
        lines.contains("#N/A") && lines.contains("#DIV/0!"),
        "{lines}"
    );
}

/// Formulas in an xls that a program wrote without calculating them (xlwt stores an empty string for
/// each, others 0, and no `RecalcId`, so Excel computes them when it opens the file) are refused as
/// `formula-no-value`, as in xlsx and ods: they were read as blank or sent as 0. The same results in a
/// workbook Excel or LibreOffice saved (with its `RecalcId`) are what they show, and are read.
#[test]
fn xls_formulas_a_program_left_uncalculated_are_refused() {
    use common::binary_workbooks::{write_xls, Hiding};
    let col = |name: &str| HAWB_COLUMNS.iter().position(|c| *c == name).unwrap() as u32;
    let rows = Sheet::hawbs(1, 3).all_rows();
    let empty = [3, 0, 0, 0, 0, 0, 0xFF, 0xFF];
    let formulas = vec![
        (2, col("consigneeEmail"), empty),
        (3, col("value"), 0f64.to_le_bytes()),
    ];
    let wd = Workdir::new();
    let dir = workbook_folder(&wd);
    let hiding = Hiding {
        formulas: formulas.clone(),
        ..Hiding::default()
    };
    write_xls(&dir, "hawbs.xls", &rows, &hiding);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "formula-no-value"),
        vec![at(2, "consigneeEmail"), at(3, "value")],
        "{}",
        problem_lines(&v)
    );

    let hiding = Hiding {
        formulas,
        recalc_id: true,
        ..Hiding::default()
    };
    write_xls(&dir, "hawbs.xls", &rows, &hiding);
    let (_, v) = check_json(&wd, &["m"]);
    assert!(
        found(&v, "formula-no-value").is_empty(),
        "{}",
        problem_lines(&v)
    );
}

/// Hidden rows and columns of xls and xlsb sheets, as Excel records them (a row's hidden flag, a column's
/// hidden flag, and a sheet whose rows are hidden unless a row record shows them): skipped with a
/// warning naming each, read with `hidden_rows` / `hidden_columns = "read"`, as in xlsx.
#[test]
fn xls_and_xlsb_hidden_rows_and_columns_are_never_silent() {
    use common::binary_workbooks::{Hiding, WRITERS};
    let email = HAWB_COLUMNS
        .iter()
        .position(|c| *c == "consigneeEmail")
        .unwrap() as u32;
    let rows = Sheet::hawbs(1, 4).all_rows();
    for (ext, write) in WRITERS {
        let wd = Workdir::new();
        let dir = workbook_folder(&wd);
        let file = format!("hawbs.{ext}");

        write(&dir, &file, &rows, &Hiding::default());
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, OK);
        assert_eq!(totals(&v).0, 4, "{ext}: {}", problem_lines(&v));
        assert!(found(&v, "hidden-row").is_empty(), "{ext}");

        let hiding = Hiding {
            rows: vec![3],
            columns: vec![email],
            ..Hiding::default()
        };
        write(&dir, &file, &rows, &hiding);
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, OK);
        assert_eq!(totals(&v).0, 3, "{ext}: {}", problem_lines(&v));
        assert_eq!(found(&v, "hidden-row"), vec![(Some(3), None)], "{ext}");
        assert_eq!(
            found(&v, "hidden-column"),
            vec![at(1, "consigneeEmail")],
            "{ext}"
        );

        // Rows hidden unless a row record shows them: rows 2 and 5 have none.
        let hiding = Hiding {
            rows: vec![2, 5],
            rows_hidden_by_default: true,
            ..Hiding::default()
        };
        write(&dir, &file, &rows, &hiding);
        let (_, v) = check_json(&wd, &["m"]);
        assert_eq!(totals(&v).0, 2, "{ext}: {}", problem_lines(&v));
        assert_eq!(
            found(&v, "hidden-row"),
            vec![(Some(2), None), (Some(5), None)],
            "{ext}"
        );

        write_file(
            &dir.join("mawb.toml"),
            mawb_toml_text(VALID_MAWB, "hidden_rows = \"read\"").as_bytes(),
        );
        let (_, v) = check_json(&wd, &["m"]);
        assert_eq!(totals(&v).0, 4, "{ext}: {}", problem_lines(&v));
        assert!(found(&v, "hidden-row").is_empty(), "{ext}");
    }
}

/// An xls or xlsb number is read with its cell's number format, as in xlsx: a ZIP typed as a number under
/// `00000` is sent as Excel shows it (02134), a value whose format hides decimals is refused
/// (`decimals-hidden`), a fraction in General in a code column is refused (`number-format`), and a
/// number in General is read as it stands.
#[test]
fn xls_and_xlsb_numbers_are_read_with_their_number_formats() {
    use common::binary_workbooks::WRITERS;
    for (ext, write) in WRITERS {
        numbers_are_read_with_their_number_formats(ext, write);
    }
}

fn numbers_are_read_with_their_number_formats(ext: &str, write: common::binary_workbooks::Writer) {
    use common::binary_workbooks::Hiding;
    let file = format!("hawbs.{ext}");
    let col = |name: &str| HAWB_COLUMNS.iter().position(|c| *c == name).unwrap() as u32;
    let rows = Sheet::hawbs(1, 3).all_rows();
    let wd = Workdir::new();
    let dir = workbook_folder(&wd);
    let numbers = vec![
        (2, col("consigneeZip"), 2134.0, "00000".to_string()),
        (3, col("weight"), 1.5, "General".to_string()),
        (4, col("value"), 10.0, "0.00".to_string()),
    ];
    write(
        &dir,
        &file,
        &rows,
        &Hiding {
            numbers: numbers.clone(),
            ..Hiding::default()
        },
    );
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(
        totals(&v),
        (3, "3.500".into()),
        "{ext}: {}",
        problem_lines(&v)
    );
    let sent = prepared(&wd, &dir);
    // Row 2's ZIP is the number 2134 shown as 02134; the others are text.
    assert_eq!(sent.matches("<zip>02134</zip>").count(), 3, "{ext}: {sent}");

    let mut bad = numbers;
    bad.push((2, col("value"), 10.005, "0.00".to_string()));
    bad.push((3, col("hts"), 4901.9, "General".to_string()));
    write(
        &dir,
        &file,
        &rows,
        &Hiding {
            numbers: bad,
            ..Hiding::default()
        },
    );
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "decimals-hidden"),
        vec![at(2, "value")],
        "{}",
        problem_lines(&v)
    );
    assert_eq!(
        found(&v, "number-format"),
        vec![at(3, "hts")],
        "{}",
        problem_lines(&v)
    );
}

/// Cells merged down several parcel rows of an xls or xlsb sheet show the top cell's value on each row,
/// as in xlsx: read for each, with a warning naming the area (not a "required" error on the rows below).
#[test]
fn xls_and_xlsb_merged_cells_are_read_as_shown() {
    use common::binary_workbooks::{Hiding, WRITERS};
    let name = HAWB_COLUMNS
        .iter()
        .position(|c| *c == "consigneeName")
        .unwrap();
    let mut rows = Sheet::hawbs(1, 4).all_rows();
    // Excel stores nothing in the merged cells below the top one.
    rows[2][name].clear();
    rows[3][name].clear();
    let hiding = Hiding {
        merged: vec![(2, 4, name as u32, name as u32)],
        ..Hiding::default()
    };
    for (ext, write) in WRITERS {
        let wd = Workdir::new();
        let dir = workbook_folder(&wd);
        write(&dir, &format!("hawbs.{ext}"), &rows, &hiding);
        assert_read_with_one_merged_area(&wd, ext);
    }
}

/// An ods cell's number is read as its number format shows it, as in xlsx: the format is the cell style's
/// data style (LibreOffice writes `0.00` as `number:decimal-places="2"`, `00000` as
/// `number:min-integer-digits="5"`). A ZIP under `00000` is sent as `02134`; a weight under `0.00` that
/// holds 3 decimals is refused as `decimals-hidden`; a style mawb does not reproduce (scientific) is
/// refused in a code column; LibreOffice's Standard format is General.
#[test]
fn ods_numbers_are_read_as_their_styles_show_them() {
    let wd = Workdir::new();
    let dir = workbook_folder(&wd);
    let col = |name: &str| HAWB_COLUMNS.iter().position(|c| *c == name).unwrap();
    let mut rows = Sheet::hawbs(1, 3).cells();
    rows[1][col("consigneeZip")] = Cell::Number(2134.0);
    rows[2][col("consigneeZip")] = Cell::Number(2135.0);
    rows[1][col("weight")] = Cell::Number(1.234);
    rows[3][col("weight")] = Cell::Number(2.5);
    let styles = r#"<office:automatic-styles xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0">
        <number:number-style style:name="N0"><number:number number:min-integer-digits="1"/></number:number-style>
        <number:number-style style:name="N2"><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1"/></number:number-style>
        <number:number-style style:name="N5"><number:number number:decimal-places="0" number:min-integer-digits="5"/></number:number-style>
        <number:number-style style:name="NE"><number:scientific-number number:decimal-places="2" number:min-integer-digits="1" number:min-exponent-digits="2"/></number:number-style>
        <style:style style:name="Default" style:family="table-cell" style:data-style-name="N0"/>
        <style:style style:name="two" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N2"/>
        <style:style style:name="zip" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="N5"/>
        <style:style style:name="sci" style:family="table-cell" style:parent-style-name="Default" style:data-style-name="NE"/>
        </office:automatic-styles>"#;
    let path = write_ods(&dir, "hawbs.ods", &rows, &[]);
    let style = |xml: String, value: &str, name: &str| {
        let cell =
            format!(r#"<table:table-cell office:value-type="float" office:value="{value}">"#);
        assert_eq!(xml.matches(&cell).count(), 1, "{value}: {xml}");
        xml.replace(
            &cell,
            &format!(r#"<table:table-cell table:style-name="{name}" office:value-type="float" office:value="{value}">"#),
        )
    };
    rewrite_zip_entry(&path, "content.xml", |xml| {
        let xml = xml.replacen("<office:body>", &format!("{styles}<office:body>"), 1);
        let xml = style(xml, "2134", "zip");
        let xml = style(xml, "2135", "sci");
        let xml = style(xml, "1.234", "two");
        style(xml, "2.5", "two")
    });
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "decimals-hidden"),
        vec![at(2, "weight")],
        "{}",
        problem_lines(&v)
    );
    assert_eq!(
        found(&v, "number-format"),
        vec![at(3, "consigneeZip")],
        "{}",
        problem_lines(&v)
    );
    assert_eq!(found(&v, "zip-format"), vec![], "{}", problem_lines(&v));

    // With the weight rounded and the second ZIP under 00000 too, the ZIPs are sent as shown.
    rewrite_zip_entry(&path, "content.xml", |xml| {
        xml.replace(r#"office:value="1.234""#, r#"office:value="1.23""#)
            .replace(r#"table:style-name="sci""#, r#"table:style-name="zip""#)
    });
    let sent = prepared(&wd, &dir);
    assert!(sent.contains("02134") && sent.contains("02135"), "{sent}");
}

/// An ods currency cell is shown with its style's decimals: 22.7525 under LibreOffice's `$#,##0.00`
/// shows $22.75, so it is refused as `decimals-hidden`, as in xlsx; 19.99 under it is read.
#[test]
fn ods_currency_cells_show_their_styles_decimals() {
    let wd = Workdir::new();
    let dir = workbook_folder(&wd);
    let col = |name: &str| HAWB_COLUMNS.iter().position(|c| *c == name).unwrap();
    let mut rows = Sheet::hawbs(1, 2).cells();
    rows[1][col("value")] = Cell::Formatted(22.7525, "USD".into());
    rows[2][col("value")] = Cell::Formatted(19.99, "USD".into());
    let styles = r#"<office:automatic-styles>
        <number:currency-style style:name="N104P0" style:volatile="true"><number:currency-symbol number:language="en" number:country="US">$</number:currency-symbol><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/></number:currency-style>
        <number:currency-style style:name="N104"><style:text-properties fo:color="red"/><number:text>-</number:text><number:currency-symbol number:language="en" number:country="US">$</number:currency-symbol><number:number number:decimal-places="2" number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/><style:map style:condition="value()&gt;=0" style:apply-style-name="N104P0"/></number:currency-style>
        <style:style style:name="usd" style:family="table-cell" style:data-style-name="N104"/>
        </office:automatic-styles>"#;
    let path = write_ods(&dir, "hawbs.ods", &rows, &[]);
    rewrite_zip_entry(&path, "content.xml", |xml| {
        let typed = r#"<table:table-cell office:value-type="currency""#;
        assert_eq!(xml.matches(typed).count(), 2, "{xml}");
        xml.replacen("<office:body>", &format!("{styles}<office:body>"), 1)
            .replace(
                typed,
                r#"<table:table-cell table:style-name="usd" office:value-type="currency""#,
            )
    });
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "decimals-hidden"),
        vec![at(2, "value")],
        "{}",
        problem_lines(&v)
    );
}

/// The same kinds in an OpenDocument spreadsheet: a collapsed row is skipped with a warning, and a ZIP typed
/// as a number in a cell without a number format is read as General shows it (4 digits: refused, its
/// leading zero lost, as in xlsx).
#[test]
fn ods_hidden_rows_and_numeric_codes() {
    let wd = Workdir::new();
    let dir = workbook_folder(&wd);
    let rows = Sheet::hawbs(1, 3).cells();
    write_ods(&dir, "hawbs.ods", &rows, &[3]);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(totals(&v).0, 2, "{}", problem_lines(&v));
    assert_eq!(found(&v, "hidden-row"), vec![(Some(3), None)]);

    let mut rows = rows;
    let zip = HAWB_COLUMNS
        .iter()
        .position(|c| *c == "consigneeZip")
        .unwrap();
    rows[1][zip] = Cell::Number(2134.0);
    write_ods(&dir, "hawbs.ods", &rows, &[]);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        found(&v, "zip-format"),
        vec![at(2, "consigneeZip")],
        "{}",
        problem_lines(&v)
    );

    // A collapsed column is not read, as in xlsx (the ZIP is text again, so only the hidden column speaks).
    let email = HAWB_COLUMNS
        .iter()
        .position(|c| *c == "consigneeEmail")
        .unwrap();
    rows[1][zip] = Cell::Text("02134".into());
    write_ods_hiding(&dir, "hawbs.ods", &rows, &[], &[email]);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert_eq!(
        found(&v, "hidden-column"),
        vec![at(1, "consigneeEmail")],
        "{}",
        problem_lines(&v)
    );

    // A formula whose result the file does not store (a program wrote it) is refused as in xlsx, in a
    // required column and in an optional one (not "required", not a blank sent); one with its result is
    // read.
    let weight = HAWB_COLUMNS.iter().position(|c| *c == "weight").unwrap();
    for (col, name) in [(weight, "weight"), (email, "consigneeEmail")] {
        let mut rows = rows.clone();
        rows[2][col] = Cell::Formula("=1+2".into(), String::new());
        write_ods(&dir, "hawbs.ods", &rows, &[]);
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, NOT_SENDABLE);
        assert_eq!(
            found(&v, "formula-no-value"),
            vec![at(3, name)],
            "{}",
            problem_lines(&v)
        );
        assert!(found(&v, "required").is_empty(), "{}", problem_lines(&v));
    }
    let mut with_result = rows.clone();
    with_result[2][weight] = Cell::Formula("=0.5+0.5".into(), "1".into());
    write_ods(&dir, "hawbs.ods", &with_result, &[]);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert!(
        found(&v, "formula-no-value").is_empty(),
        "{}",
        problem_lines(&v)
    );

    // A cell typed as a percentage shows another number; a currency cell shows its currency, which must
    // be the item's (USD here).
    let value = HAWB_COLUMNS.iter().position(|c| *c == "value").unwrap();
    for (cell, code) in [
        (
            Cell::Formatted(0.455, "percentage".into()),
            "decimals-hidden",
        ),
        (Cell::Formatted(10.0, "EUR".into()), "unit-conflict"),
    ] {
        let mut rows = rows.clone();
        rows[1][value] = cell;
        write_ods(&dir, "hawbs.ods", &rows, &[]);
        let (o, v) = check_json(&wd, &["m"]);
        assert_exit(&o, NOT_SENDABLE);
        assert_eq!(
            found(&v, code),
            vec![at(2, "value")],
            "{}",
            problem_lines(&v)
        );
    }
    rows[1][value] = Cell::Formatted(10.0, "USD".into());
    rows[1][zip] = Cell::Formatted(0.5, "percentage".into());
    write_ods(&dir, "hawbs.ods", &rows, &[]);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert!(
        found(&v, "unit-conflict").is_empty(),
        "{}",
        problem_lines(&v)
    );
    assert_eq!(found(&v, "number-format"), vec![at(2, "consigneeZip")]);
}
