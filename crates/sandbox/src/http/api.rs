//! The API entry point: method and body checks, parameters, the API key, faults, then the command on the
//! blocking pool, and one request-log line per request.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use sha2::{Digest, Sha256};

use super::log::LogEntry;
use super::params::{call_params, clip, parse_multipart, parse_urlencoded};
use super::{
    content_length, lock, read_body, too_large, xml, Body, BodyError, DropConnection, Shared,
};
use super::{response, BODY_LIMIT};
use crate::answer;
use crate::commands::{self, Ctx};
use crate::faults::{FaultAction, FaultRule};
use crate::parse;
use crate::rules;
use mawb_wire::wire::{self, Answer, Command};

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A request whose data could not be read, for a `system` answer's shape.
fn empty_request(command: Command) -> wire::Request {
    use wire::Request as R;
    match command {
        Command::CreateMailing => R::CreateMailing(vec![wire::MailItem::default()]),
        Command::CancelMailing => R::CancelMailing(vec![wire::ItemRef::default()]),
        Command::CreateBag => R::CreateBag(wire::Bag::default()),
        Command::CancelBag => R::CancelBag(wire::BagRef::default()),
        Command::CloseDay => R::CloseDay,
        Command::ReopenDay => R::ReopenDay,
        Command::CreateDay => R::CreateDay(wire::Day::default()),
        Command::CancelDay => R::CancelDay(wire::DayRef::default()),
        Command::GetInfo => R::GetInfo,
        Command::CreateManifest => R::CreateManifest(wire::Manifest::default()),
        Command::ModifyManifest => R::ModifyManifest(wire::Manifest::default()),
        Command::CancelManifest => R::CancelManifest(wire::ManifestRef::default()),
        Command::GetManifest => R::GetManifest(wire::ManifestRef::default()),
    }
}

pub(super) async fn api(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    if req.method() != Method::POST {
        let mut r = xml(
            StatusCode::METHOD_NOT_ALLOWED,
            answer::common_error(&format!(
                "method {} not allowed: ACP takes POST",
                req.method()
            )),
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return Ok(r);
    }
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let ct_lower = content_type.to_ascii_lowercase();
    let multipart = ct_lower.starts_with("multipart/form-data");
    let urlencoded =
        ct_lower.is_empty() || ct_lower.starts_with("application/x-www-form-urlencoded");
    let hint = content_length(&req);
    if hint.is_some_and(|n| n > BODY_LIMIT) {
        return Ok(too_large());
    }
    let body = match read_body(req.into_body(), hint, BODY_LIMIT).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return Ok(too_large()),
        Err(BodyError::Broken(e)) => {
            tracing::debug!("sandbox: request body broken off: {e}");
            return Err(DropConnection);
        }
    };
    let mut entry = LogEntry {
        seq: 0,
        time: now(),
        command: None,
        test_mode: false,
        account: None,
        data_bytes: 0,
        content_type: if multipart { "multipart" } else { "form" },
        outcome: "error".to_string(),
        fault: None,
    };
    let form = if multipart {
        parse_multipart(body, &content_type).await
    } else if urlencoded {
        Ok(parse_urlencoded(&body))
    } else {
        entry.content_type = "other";
        Err(format!(
            "unsupported Content-Type '{}': use application/x-www-form-urlencoded or multipart/form-data",
            clip(&content_type)
        ))
    };
    let common = |mut entry: LogEntry, message: &str| {
        entry.outcome = "error".to_string();
        shared.log.write(entry, shared.quiet);
        Ok(xml(StatusCode::OK, answer::common_error(message)))
    };
    let form = match form {
        Ok(f) => f,
        Err(message) => return common(entry, &message),
    };
    entry.command = form.command.as_deref().map(clip);
    entry.test_mode = form.test_mode.as_deref() == Some("1");
    entry.data_bytes = form.data.as_ref().map_or(0, String::len);

    let Some(key) = form.apikey.as_deref() else {
        return common(entry, "missing parameter apikey");
    };
    let sha: [u8; 32] = Sha256::digest(key.as_bytes()).into();
    let Some(key) = shared.keys.iter().find(|k| k.sha256 == sha) else {
        return common(entry, "invalid apikey");
    };
    entry.account = Some(&key.short);
    let Some(command_name) = form.command.as_deref() else {
        return common(entry, "missing parameter command");
    };
    let Some(command) = Command::parse(command_name) else {
        let message = format!("unknown command '{}'", clip(command_name));
        return common(entry, &message);
    };
    let params = match call_params(command, &form) {
        Ok(p) => p,
        Err(message) => return common(entry, &message),
    };

    // What an echoing fault would give back: the key as sent, raw and form-encoded.
    let echoed = form.apikey.as_deref().map_or_else(String::new, |k| {
        format!(
            "apikey={} ({k})",
            form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()
        )
    });
    let fault = lock(&shared.faults).decide(command.as_str());
    entry.fault = fault.as_ref().map(FaultRule::to_string);
    let mut drop_after = false;
    let mut tamper = None;
    match fault.as_ref().map(|f| &f.action) {
        Some(FaultAction::Http500) => {
            entry.outcome = "http500".to_string();
            shared.log.write(entry, shared.quiet);
            return Ok(response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                "500 Internal Server Error (sandbox fault injection)\n",
            ));
        }
        Some(FaultAction::Echo500) => {
            entry.outcome = "http500".to_string();
            shared.log.write(entry, shared.quiet);
            return Ok(response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                format!("500 Internal Server Error: request {echoed} failed\n"),
            ));
        }
        Some(FaultAction::Redirect) => {
            entry.outcome = "redirect".to_string();
            shared.log.write(entry, shared.quiet);
            let mut r = response(
                StatusCode::FOUND,
                "text/plain; charset=utf-8",
                "302 Found (sandbox fault injection: redirect)\n",
            );
            r.headers_mut().insert(
                hyper::header::LOCATION,
                hyper::header::HeaderValue::from_static("http://127.0.0.1:9/forged/acp"),
            );
            return Ok(r);
        }
        Some(
            action @ (FaultAction::SystemError
            | FaultAction::Invalid
            | FaultAction::Echo
            | FaultAction::Huge),
        ) => {
            let request = form
                .data
                .as_deref()
                .and_then(|d| parse::parse_request(command, d).ok())
                .map_or_else(|| empty_request(command), |p| p.request);
            let answer = if *action == FaultAction::Invalid {
                commands::error_answer(
                    &request,
                    mawb_wire::wire::ErrorType::Invalid,
                    "ACP refused the request (sandbox fault injection: invalid)",
                )
            } else if *action == FaultAction::Huge {
                commands::error_answer(
                    &request,
                    mawb_wire::wire::ErrorType::Invalid,
                    &format!(
                        "refused (sandbox fault injection: huge): {}",
                        "the same long error text again and again. ".repeat(8 * 1024 * 1024 / 42)
                    ),
                )
            } else if *action == FaultAction::Echo {
                commands::error_answer(
                    &request,
                    mawb_wire::wire::ErrorType::Invalid,
                    &format!("request {echoed} refused (sandbox fault injection: echo)"),
                )
            } else {
                commands::system_answer(&request, "ACP system error (sandbox fault injection)")
            };
            entry.outcome = commands::outcome(&answer);
            shared.log.write(entry, shared.quiet);
            return Ok(xml(StatusCode::OK, answer::write_answer(&answer)));
        }
        Some(FaultAction::Delay { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(FaultAction::Drop) => drop_after = true,
        Some(action @ (FaultAction::NoLabel | FaultAction::BadLabel | FaultAction::Entity)) => {
            tamper = Some(action.clone());
        }
        None => {}
    }

    let data = match (command.has_data(), form.data) {
        (true, None) => return common(entry, "missing parameter data"),
        (true, Some(d)) => d,
        (false, _) => String::new(),
    };
    let account = key.account;
    let outcome = if matches!(command, Command::CreateManifest | Command::ModifyManifest)
        && data.len() >= rules::MAX_MANIFEST_DATA_BYTES
    {
        let message = format!(
            "data is {} bytes; ACP takes less than {} bytes",
            data.len(),
            rules::MAX_MANIFEST_DATA_BYTES
        );
        let answer = Answer::Manifest(wire::ManifestResult {
            status: wire::Status::error(wire::ErrorType::Invalid, message),
            ..Default::default()
        });
        Ok((answer::write_answer(&answer), commands::outcome(&answer)))
    } else {
        run_blocking(Arc::clone(&shared), command, data, account, params).await
    };
    let (body, outcome) = match outcome {
        Ok(done) => done,
        Err(message) => return common(entry, &message),
    };
    entry.outcome = outcome;
    shared.log.write(entry, shared.quiet);
    if drop_after {
        return Err(DropConnection);
    }
    let body = match tamper {
        Some(action) => crate::faults::tamper(&action, &body),
        None => body,
    };
    Ok(xml(StatusCode::OK, body))
}

/// Parses, executes and writes the answer on the blocking pool. `Err` is a common-error message.
async fn run_blocking(
    shared: Arc<Shared>,
    command: Command,
    data: String,
    account: i64,
    params: wire::Params,
) -> Result<(String, String), String> {
    let task = tokio::task::spawn_blocking(move || {
        let parsed = parse::parse_request(command, &data).map_err(|e| format!("data: {e}"))?;
        drop(data);
        let ctx = Ctx {
            account,
            params: &params,
            now: now(),
        };
        let answer = {
            let mut store = lock(&shared.store);
            commands::execute(&mut store, &ctx, &parsed)
        };
        Ok((answer::write_answer(&answer), commands::outcome(&answer)))
    });
    match task.await {
        Ok(result) => result,
        Err(e) => Err(format!("sandbox internal error: {e}")),
    }
}
