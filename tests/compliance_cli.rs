//! The compliance checks through the real binary: denied-party screening with its flags, allow-list and
//! `mawb.toml` keys; `strict_tracking` and `dangerous_goods = "refuse"`; addresses without postal codes;
//! and the messages an operator reads. Every rule code's own failing fixture is in `check_cli.rs`.

mod common;

use common::*;
use serde_json::Value;

const OK: i32 = 0;
const NOT_SENDABLE: i32 = 1;
const USAGE: i32 = 2;

/// A Consolidated Screening List CSV as published (every column of the real header), two entries.
const CSL: &str = "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids
e5a9eff6,Denied Persons List (DPL) - Bureau of Industry and Security,,,,\"LEE, Ann\",,\"123 S. TEST DRIVE, SCOTTSDALE, AZ, 85251\",82 F.R. 48792,2017-10-18,2020-10-15,Y,,,,,,,,,,http://example.gov,,,,,,,
7c21d0aa,Specially Designated Nationals (SDN) - Treasury Department,SDN-1,Entity,SDGT,NORTHWIND TRADERS LIMITED,,\"Moscow, RU\",,,,,,,,,,,,,,http://example.gov,\"Northwind Trading; NW Traders\",,,,,,
";

/// A one-item folder "m" (consignee Ann Lee) and the list beside it as `csl.csv`.
fn folder_and_list(wd: &Workdir, edit: impl FnOnce(&mut Sheet)) -> std::path::PathBuf {
    let mut s = Sheet::hawbs(1, 2);
    s.set(1, "consigneeName", "Bob Stone");
    edit(&mut s);
    wd.write("csl.csv", CSL);
    wd.mawb_folder("m", &s)
}

fn messages(v: &Value, code: &str) -> Vec<String> {
    problems_with(v, code)
        .iter()
        .map(|p| p["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_listed_consignee_is_a_located_error_naming_the_entry_its_list_and_the_score() {
    let wd = Workdir::new();
    folder_and_list(&wd, |_| {});
    let (o, v) = check_json(&wd, &["m", "--screening-list", "csl.csv"]);
    assert_exit(&o, NOT_SENDABLE);
    let hits = problems_with(&v, "denied-party");
    assert_eq!(hits.len(), 1, "{}", problem_lines(&v));
    let p = &hits[0];
    assert_eq!(p["severity"], "error");
    assert_eq!(p["file"], "hawbs.csv");
    assert_eq!(p["row"], 2);
    assert_eq!(p["column"], "consigneeName");
    let m = p["message"].as_str().unwrap_or_default();
    for part in [
        "\"Ann Lee\"",
        "\"LEE, Ann\"",
        "entry id e5a9eff6",
        "Denied Persons List (DPL)",
        "score 1.00",
        "A person must review it",
        "allow-list",
    ] {
        assert!(m.contains(part), "{part:?} missing from: {m}");
    }
    assert_eq!(v["mawbs"][0]["sendable"], false);
}

#[test]
fn companies_shippers_and_aliases_are_screened_too() {
    let wd = Workdir::new();
    folder_and_list(&wd, |s| {
        s.set(0, "consigneeName", "Dana Okafor")
            .set(0, "consigneeCompany", "Northwind Traders LLC")
            .set(1, "shipperName", "NW Traders Ltd.")
            .set(1, "shipperAddress1", "1 Harbour Rd")
            .set(1, "shipperCity", "Riga")
            .set(1, "shipperZip", "LV-1050")
            .set(1, "shipperCountry", "LV");
    });
    let (o, v) = check_json(&wd, &["m", "--screening-list", "csl.csv"]);
    assert_exit(&o, NOT_SENDABLE);
    let placed: Vec<(u64, String)> = problems_with(&v, "denied-party")
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap_or(0),
                p["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        placed,
        vec![
            (2, "consigneeCompany".to_string()),
            (3, "shipperName".to_string())
        ],
        "{}",
        problem_lines(&v)
    );
    let alias = &messages(&v, "denied-party")[1];
    assert!(
        alias.contains("alias \"NW Traders\"") && alias.contains("7c21d0aa"),
        "{alias}"
    );
}

#[test]
fn the_allow_list_clears_a_reviewed_false_positive_and_nothing_else() {
    let wd = Workdir::new();
    folder_and_list(&wd, |s| {
        s.set(1, "consigneeName", "Northwind Traders");
    });
    wd.write(
        "allow.csv",
        "# reviewed by compliance, 2026-11-30\nname,entry_id,reviewed_by\n\"Lee, Ann\",e5a9eff6,J. Doe\n",
    );
    let (o, v) = check_json(
        &wd,
        &[
            "m",
            "--screening-list",
            "csl.csv",
            "--screening-allow",
            "allow.csv",
        ],
    );
    assert_exit(&o, NOT_SENDABLE);
    let hits = problems_with(&v, "denied-party");
    assert_eq!(hits.len(), 1, "{}", problem_lines(&v));
    assert_eq!(hits[0]["row"], 3, "only Northwind is left");
    wd.write(
        "allow.csv",
        "name,entry_id\nAnn Lee,e5a9eff6\nNorthwind Traders,7c21d0aa\n",
    );
    let (o, v) = check_json(
        &wd,
        &[
            "m",
            "--screening-list",
            "csl.csv",
            "--screening-allow",
            "allow.csv",
        ],
    );
    assert_exit(&o, OK);
    assert!(problems_with(&v, "denied-party").is_empty());
}

#[test]
fn a_threshold_of_one_keeps_exact_names_only() {
    let wd = Workdir::new();
    folder_and_list(&wd, |s| {
        s.set(0, "consigneeName", "Anne Lee");
    });
    let (o, v) = check_json(&wd, &["m", "--screening-list", "csl.csv"]);
    assert_exit(&o, NOT_SENDABLE);
    let m = &messages(&v, "denied-party")[0];
    assert!(m.contains("score 0.9"), "{m}");
    let (o, _) = check_json(
        &wd,
        &[
            "m",
            "--screening-list",
            "csl.csv",
            "--screening-threshold",
            "1",
        ],
    );
    assert_exit(&o, OK);
}

#[test]
fn screening_files_the_flags_name_must_be_usable_before_anything_is_checked() {
    let wd = Workdir::new();
    folder_and_list(&wd, |_| {});
    wd.write("bad.csv", "id,title\n1,x\n");
    for (args, says) in [
        (vec!["--screening-list", "nope.csv"], "nope.csv"),
        (vec!["--screening-list", "bad.csv"], "no name column"),
        (
            vec![
                "--screening-list",
                "csl.csv",
                "--screening-allow",
                "bad.csv",
            ],
            "no name column",
        ),
        (
            vec!["--screening-threshold", "1.5"],
            "--screening-threshold",
        ),
        (vec!["--screening-threshold", "0"], "--screening-threshold"),
    ] {
        let o = wd.run_mawb(["check", "m"].into_iter().chain(args.iter().copied()));
        assert_exit(&o, USAGE);
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn mawb_toml_names_its_own_list_and_allow_list_beside_the_spreadsheets() {
    let wd = Workdir::new();
    let dir = folder_and_list(&wd, |_| {});
    std::fs::copy(wd.join("csl.csv"), dir.join("csl.csv")).expect("copy the list");
    write_mawb_toml_with(&dir, VALID_MAWB, "screening_list = \"csl.csv\"");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert_eq!(
        problems_with(&v, "denied-party").len(),
        1,
        "{}",
        problem_lines(&v)
    );
    // The list is not a spreadsheet of the folder: it is not read as HAWBs.
    assert_eq!(v["totals"]["items"], 2, "{}", problem_lines(&v));

    wd.write(dir.join("allow.csv"), "name,entry_id\nAnn Lee,e5a9eff6\n");
    write_mawb_toml_with(
        &dir,
        VALID_MAWB,
        "screening_list = \"csl.csv\"\nscreening_allow = \"allow.csv\"",
    );
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    assert!(problems_with(&v, "denied-party").is_empty());

    write_mawb_toml_with(&dir, VALID_MAWB, "screening_allow = \"missing.csv\"");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = &problems_with(&v, "screening-list")[0];
    assert_eq!(p["column"], "screening_allow");
    let m = p["message"].as_str().unwrap_or_default();
    assert!(
        m.contains("missing.csv") && m.contains("nothing is sent unscreened"),
        "{m}"
    );
}

#[test]
fn prepare_writes_nothing_for_a_denied_party_and_run_and_watch_take_the_flags() {
    let wd = Workdir::new();
    folder_and_list(&wd, |_| {});
    let o = wd.run_mawb([
        "prepare",
        "m",
        "--out",
        "out",
        "--screening-list",
        "csl.csv",
    ]);
    assert_exit(&o, NOT_SENDABLE);
    assert!(stdout(&o).contains("denied-party"), "{}", stdout(&o));
    assert!(!wd.join("out").join("createManifest.xml").exists());
    for command in ["run", "watch"] {
        let o = wd.run_mawb([command, "--help"]);
        assert_exit(&o, OK);
        for flag in [
            "--screening-list",
            "--screening-allow",
            "--screening-threshold",
        ] {
            assert!(stdout(&o).contains(flag), "{command} --help lacks {flag}");
        }
    }
    // run refuses an unusable list as a configuration error, before any request.
    let o = wd.run_mawb([
        "run",
        "m",
        "--endpoint",
        "http://127.0.0.1:9",
        "--screening-list",
        "nope.csv",
    ]);
    assert_exit(&o, USAGE);
    assert!(stderr(&o).contains("nope.csv"), "{}", stderr(&o));
}

#[test]
fn strict_tracking_makes_wrong_check_digits_errors() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.set(0, "trackingNumber", "3318810010")
        .set(1, "trackingNumber", "1Z999AA10123456785");
    let dir = wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    let m = &messages(&v, "tracking-check-digit")[0];
    assert!(m.contains("DHL Express") && m.contains("call for 4"), "{m}");
    write_mawb_toml_with(&dir, VALID_MAWB, "strict_tracking = true");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    for code in ["tracking-check-digit", "ups-check-digit"] {
        let p = &problems_with(&v, code)[0];
        assert_eq!(p["severity"], "error", "{code}");
    }
}

#[test]
fn dangerous_goods_warn_by_default_and_refuse_on_request() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 3);
    s.set(0, "productDescription", "Magnetic phone case")
        .set(1, "productDescription", "Men's cologne, 100 ml")
        .set(2, "hts", "8507.60.0020");
    let dir = wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, OK);
    let found: Vec<(u64, String)> = problems_with(&v, "dangerous-goods")
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap_or(0),
                p["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![(3, "productDescription".into()), (4, "hts".into())],
        "{}",
        problem_lines(&v)
    );
    let m = messages(&v, "dangerous-goods");
    assert!(m[0].contains("\"cologne\" (perfume)"), "{}", m[0]);
    assert!(m[1].contains("lithium batteries"), "{}", m[1]);
    write_mawb_toml_with(&dir, VALID_MAWB, "dangerous_goods = \"refuse\"");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    assert!(problems_with(&v, "dangerous-goods")
        .iter()
        .all(|p| p["severity"] == "error"));
    write_mawb_toml_with(&dir, VALID_MAWB, "dangerous_goods = \"block\"");
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let p = &problems_with(&v, "mawb-toml-invalid")[0];
    assert_eq!(p["column"], "dangerous_goods");
}

#[test]
fn addresses_say_what_the_right_state_province_or_format_would_be() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 5);
    s.set(0, "consigneeZip", "90210")
        .set(1, "consigneeCountry", "CA")
        .set(1, "consigneeState", "BC")
        .set(1, "consigneeZip", "M5V 2T6")
        .set(2, "consigneeCountry", "NL")
        .set(2, "consigneeState", "")
        .set(2, "consigneeZip", "1012")
        .set(3, "consigneeState", "AE")
        .set(3, "consigneeZip", "09001")
        .set(4, "consigneeZip", "21301")
        .set(4, "consigneeState", "MD");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let zip_state = problems_with(&v, "zip-state");
    let rows: Vec<u64> = zip_state.iter().filter_map(|p| p["row"].as_u64()).collect();
    assert_eq!(rows, vec![2, 3, 6], "{}", problem_lines(&v));
    let m = |i: usize| zip_state[i]["message"].as_str().unwrap_or("").to_string();
    assert!(
        m(0).contains("CA ZIP code") && m(0).contains("should be CA"),
        "{}",
        m(0)
    );
    assert!(m(1).contains("should be ON"), "{}", m(1));
    assert!(m(2).contains("beginning with 213"), "{}", m(2));
    assert_eq!(zip_state[2]["column"], "consigneeZip");
    let format = &problems_with(&v, "postal-format")[0];
    assert_eq!(format["row"], 4);
    let fm = format["message"].as_str().unwrap_or("");
    assert!(fm.contains("9999 AA") && fm.contains("1234 AB"), "{fm}");
}

#[test]
fn a_country_without_postal_codes_accepts_a_blank_one() {
    let wd = Workdir::new();
    let mut s = Sheet::hawbs(1, 2);
    s.set(0, "consigneeCountry", "AE")
        .set(0, "consigneeState", "")
        .set(0, "consigneeZip", "")
        .set(1, "consigneeCountry", "FR")
        .set(1, "consigneeState", "")
        .set(1, "consigneeZip", "");
    wd.mawb_folder("m", &s);
    let (o, v) = check_json(&wd, &["m"]);
    assert_exit(&o, NOT_SENDABLE);
    let required: Vec<(u64, String)> = problems_with(&v, "required")
        .iter()
        .map(|p| {
            (
                p["row"].as_u64().unwrap_or(0),
                p["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        required,
        vec![(3, "consigneeZip".to_string())],
        "{}",
        problem_lines(&v)
    );
}

#[test]
fn rules_lists_every_compliance_code_with_its_default_severity() {
    let wd = Workdir::new();
    let o = wd.run_mawb(["rules", "--json"]);
    assert_exit(&o, OK);
    let rules: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    for (code, severity) in [
        ("zip-state", "error"),
        ("postal-format", "error"),
        ("tracking-check-digit", "warning"),
        ("ups-check-digit", "warning"),
        ("hts-plausible", "error"),
        ("dangerous-goods", "warning"),
        ("denied-party", "error"),
        ("screening-list", "error"),
    ] {
        let r = rules
            .as_array()
            .and_then(|a| a.iter().find(|r| r["code"] == code))
            .unwrap_or_else(|| panic!("{code} not listed"));
        assert_eq!(r["severity"], severity, "{code}");
    }
}
