//! The `/_admin/...` endpoints (no API key; the sandbox is meant for loopback): the request log, every
//! object, reset, fault rules and mark-sent. Their answers are JSON.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;

use super::{
    content_length, json, lock, read_body, response, Body, BodyError, Shared, ADMIN_BODY_LIMIT,
};
use crate::commands;
use crate::faults::{FaultRule, FaultState};

/// A fault rule in `POST /_admin/faults`: a JSON object or a compact string.
#[derive(Deserialize)]
#[serde(untagged)]
enum RuleInput {
    Compact(String),
    Full(FaultRule),
}

fn admin_error(status: StatusCode, message: &str) -> Response<Body> {
    json(status, &serde_json::json!({ "error": message }))
}

pub(super) async fn admin(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let method = req.method().clone();
    match (method.as_str(), path.as_str()) {
        ("GET", "/_admin/requests") => {
            let lines = lock(&shared.log.lines);
            let mut body = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
            for l in lines.iter() {
                body.push_str(l);
                body.push('\n');
            }
            response(StatusCode::OK, "application/x-ndjson", body)
        }
        ("GET", "/_admin/objects") => {
            let shared = Arc::clone(shared);
            let result = tokio::task::spawn_blocking(move || {
                let store = lock(&shared.store);
                commands::objects_json(&store).map_err(|e| e.to_string())
            })
            .await;
            match result {
                Ok(Ok(v)) => json(StatusCode::OK, &v),
                Ok(Err(e)) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, &format!("sandbox database error: {e}")),
                Err(e) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        }
        ("POST", "/_admin/reset") => {
            let shared = Arc::clone(shared);
            let result = tokio::task::spawn_blocking(move || {
                let reset = lock(&shared.store).reset();
                lock(&shared.log.lines).clear();
                reset
            })
            .await;
            match result {
                Ok(Ok(())) => json(StatusCode::OK, &serde_json::json!({ "ok": true })),
                Ok(Err(e)) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, &format!("sandbox database error: {e}")),
                Err(e) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        }
        ("GET", "/_admin/faults") => {
            let rules = lock(&shared.faults).rules();
            json(StatusCode::OK, &serde_json::to_value(rules).unwrap_or_default())
        }
        ("DELETE", "/_admin/faults") => {
            *lock(&shared.faults) = FaultState::default();
            json(StatusCode::OK, &serde_json::json!({ "ok": true, "rules": 0 }))
        }
        ("POST", "/_admin/faults") => {
            let hint = content_length(&req);
            let body = match read_body(req.into_body(), hint, ADMIN_BODY_LIMIT).await {
                Ok(b) => b,
                Err(BodyError::TooLarge) => return admin_error(StatusCode::PAYLOAD_TOO_LARGE, "body over 1 MiB"),
                Err(BodyError::Broken(e)) => return admin_error(StatusCode::BAD_REQUEST, &e.to_string()),
            };
            let inputs: Vec<RuleInput> = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => {
                    return admin_error(
                        StatusCode::BAD_REQUEST,
                        &format!("expected a JSON list of fault rules (objects or compact strings): {e}"),
                    )
                }
            };
            let mut rules = Vec::with_capacity(inputs.len());
            for input in inputs {
                let rule = match input {
                    RuleInput::Compact(s) => s.parse::<FaultRule>().map_err(|e| e.to_string()),
                    RuleInput::Full(r) => r.check().map(|()| r),
                };
                match rule {
                    Ok(r) => rules.push(r),
                    Err(e) => return admin_error(StatusCode::BAD_REQUEST, &e),
                }
            }
            let n = rules.len();
            *lock(&shared.faults) = FaultState::new(rules);
            json(StatusCode::OK, &serde_json::json!({ "ok": true, "rules": n }))
        }
        ("POST", "/_admin/mark-sent") => {
            let id = form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "manifestId")
                .map(|(_, v)| v.into_owned());
            let Some(id) = id else {
                return admin_error(StatusCode::BAD_REQUEST, "missing query parameter manifestId");
            };
            let shared = Arc::clone(shared);
            let id2 = id.clone();
            let result = tokio::task::spawn_blocking(move || lock(&shared.store).mark_sent(&id2)).await;
            match result {
                Ok(Ok(true)) => json(StatusCode::OK, &serde_json::json!({ "ok": true, "manifestId": id })),
                Ok(Ok(false)) => admin_error(StatusCode::NOT_FOUND, &format!("no manifest with manifestId {id}")),
                Ok(Err(e)) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, &format!("sandbox database error: {e}")),
                Err(e) => admin_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            }
        }
        _ => admin_error(
            StatusCode::NOT_FOUND,
            &format!(
                "no admin endpoint {method} {path}: GET /_admin/requests, GET /_admin/objects, POST /_admin/reset, \
                 GET|POST|DELETE /_admin/faults, POST /_admin/mark-sent?manifestId=ID"
            ),
        ),
    }
}
