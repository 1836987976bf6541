//! The parameters as ACP checks them, and the request log's outcome summaries.

use super::params::{call_params, parse_urlencoded};
use crate::commands;
use mawb_wire::wire::{self, Answer, Command, LabelFormat, LabelSize};

#[test]
fn urlencoded_parameters_first_wins_and_decodes() {
    let form =
        parse_urlencoded(b"apikey=a%2Bb&command=getInfo&apikey=other&data=x+y%26z%3D%23%3F&zzz=1");
    assert_eq!(form.apikey.as_deref(), Some("a+b"));
    assert_eq!(form.data.as_deref(), Some("x y&z=#?"));
    assert_eq!(form.command.as_deref(), Some("getInfo"));
}

#[test]
fn call_parameters_are_checked_per_command() {
    let form = |pairs: &str| parse_urlencoded(pairs.as_bytes());
    let p = call_params(
        Command::CreateMailing,
        &form("label=11&labelFormat=pdf&labelSize=4x4&testMode=1"),
    )
    .unwrap();
    assert_eq!(
        (p.label, p.label_format, p.label_size, p.test_mode),
        (
            Some(11),
            Some(LabelFormat::Pdf),
            Some(LabelSize::FourByFour),
            true
        )
    );
    for (command, pairs, needle) in [
        (Command::CreateMailing, "", "missing parameter label"),
        (Command::CreateMailing, "label=6", "unknown label type 6"),
        (Command::CreateMailing, "label=x", "must be a number"),
        (
            Command::CreateBag,
            "label=2",
            "must be 0 or 1 for createBag",
        ),
        (
            Command::CloseDay,
            "bagLabels=yes",
            "bagLabels must be 0 or 1",
        ),
        (Command::CloseDay, "airport=jfk", "3-letter IATA"),
        (Command::GetInfo, "testMode=true", "testMode must be 0 or 1"),
    ] {
        let err = call_params(command, &form(pairs)).unwrap_err();
        assert!(err.contains(needle), "{pairs}: {err}");
    }
    assert_eq!(
        call_params(Command::GetInfo, &form("label=99"))
            .unwrap()
            .label,
        None
    );
}

#[test]
fn outcome_summaries() {
    use wire::{ErrorType, MailItemResult, Status};
    let r = |s: Status| MailItemResult {
        status: s,
        ..Default::default()
    };
    let mixed = Answer::Mailing(vec![
        r(Status::ok()),
        r(Status::error(ErrorType::Invalid, "x")),
        r(Status::ok()),
    ]);
    assert_eq!(commands::outcome(&mixed), "ok=2 invalid=1");
    assert_eq!(
        commands::outcome(&Answer::Mailing(vec![r(Status::ok())])),
        "ok"
    );
    assert_eq!(commands::outcome(&Answer::CommonError("x".into())), "error");
}
