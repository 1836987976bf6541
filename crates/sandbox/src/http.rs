//! The HTTP side of the sandbox: accept loop, body and parameter reading, the API entry point, the
//! request log and the `/_admin/...` endpoints.
//!
//! hyper's HTTP/1 server on connections accepted here, so a fault can close a connection without
//! answering: when the service returns `Err`, hyper drops the connection and writes nothing. Behaviour
//! follows ACP as the spec describes it: any path (trailing slash or not) is the API, every API answer is
//! `200 text/xml` with the result in the body, and the common error covers bad keys and parameters.
//! Departures, all documented: a non-POST request answers `405` (with the common error body and
//! `Allow: POST`), a body over 64 MiB answers `413` without reading further, and an injected `http500`
//! answers `500`.
//!
//! CPU work (XML parsing, rules, SQLite, writing the answer) runs on tokio's blocking pool, holding the
//! store's mutex for one transaction: requests are served concurrently and applied one at a time.

use std::future::Future;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyDataStream, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};

use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use super::answer;
use super::commands::{self, Ctx};
use super::faults::{FaultAction, FaultRule, FaultState};
use super::parse;
use super::rules;
use super::state::Store;
use super::{SandboxConfig, SandboxError};
use mawb_model::codes;
use mawb_wire::wire::{self, Answer, Command, LabelFormat, LabelSize};

/// Largest request body read, bytes.
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Largest admin request body, bytes.
const ADMIN_BODY_LIMIT: usize = 1024 * 1024;

type Body = Full<Bytes>;

/// The service's way to make hyper close the connection without an answer (fault `drop`).
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose (fault injection)")
    }
}

impl std::error::Error for DropConnection {}

/// A configured API key, known only by its fingerprint.
struct Key {
    sha256: [u8; 32],
    /// First 12 hex digits of the sha256: the account's name in logs and `/_admin/objects`.
    short: String,
    account: i64,
}

/// Everything the connections share.
pub struct Shared {
    store: Mutex<Store>,
    keys: Vec<Key>,
    faults: Mutex<FaultState>,
    log: RequestLog,
    quiet: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(config: &SandboxConfig) -> Result<Shared, SandboxError> {
        let db_name = config
            .db
            .as_ref()
            .map_or_else(|| "in-memory".to_string(), |p| p.display().to_string());
        let db_err = |source| SandboxError::Db {
            path: db_name.clone(),
            source,
        };
        if config.api_keys.is_empty() {
            return Err(SandboxError::Config(
                "no API key configured: the sandbox needs at least one".to_string(),
            ));
        }
        if config.api_keys.iter().any(|k| k.trim().is_empty()) {
            return Err(SandboxError::Config("an API key is empty".to_string()));
        }
        for rule in &config.faults {
            rule.check().map_err(SandboxError::Config)?;
        }
        let store = Store::open(config.db.as_deref()).map_err(db_err)?;
        let mut keys: Vec<Key> = Vec::new();
        for k in &config.api_keys {
            let sha256: [u8; 32] = Sha256::digest(k.as_bytes()).into();
            if keys.iter().any(|existing| existing.sha256 == sha256) {
                continue;
            }
            let hex = to_hex(&sha256);
            let account = store.account(&hex).map_err(db_err)?;
            keys.push(Key {
                sha256,
                short: hex[..12].to_string(),
                account,
            });
        }
        let file = match &config.request_log {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| SandboxError::RequestLog {
                        path: path.clone(),
                        source,
                    })?,
            )),
            None => None,
        };
        Ok(Shared {
            store: Mutex::new(store),
            keys,
            faults: Mutex::new(FaultState::new(config.faults.clone())),
            log: RequestLog {
                seq: AtomicU64::new(0),
                lines: Mutex::new(std::collections::VecDeque::new()),
                file,
            },
            quiet: config.quiet,
        })
    }

    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Accepts connections until `shutdown` completes.
pub async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| handle(Arc::clone(&shared), req));
                        if let Err(e) = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                        {
                            tracing::debug!("sandbox connection ended: {e}");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("sandbox accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, DropConnection> {
    let path = req.uri().path();
    if path == "/_admin" || path.starts_with("/_admin/") {
        return Ok(admin(&shared, req).await);
    }
    api(shared, req).await
}

fn response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn xml(status: StatusCode, body: String) -> Response<Body> {
    response(status, "text/xml; charset=utf-8", body)
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    response(status, "application/json", value.to_string())
}

enum BodyError {
    TooLarge,
    Broken(hyper::Error),
}

/// Reads a whole body, stopping as soon as it passes `limit`.
async fn read_body(
    mut body: Incoming,
    hint: Option<usize>,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let mut buf: Vec<u8> = Vec::with_capacity(hint.unwrap_or(0).min(limit));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(BodyError::TooLarge);
            }
            if buf.is_empty() && hint == Some(data.len()) {
                return Ok(data);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

fn content_length(req: &Request<Incoming>) -> Option<usize> {
    req.headers()
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn too_large() -> Response<Body> {
    let mut r = xml(
        StatusCode::PAYLOAD_TOO_LARGE,
        answer::common_error(&format!(
            "the request body is larger than {BODY_LIMIT} bytes"
        )),
    );
    r.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

// --------------------------------------------------------------------------------------------------------
// Parameters
// --------------------------------------------------------------------------------------------------------

/// The POSTed parameters the sandbox reads (first occurrence wins; unknown ones are ignored).
#[derive(Default)]
struct Form {
    apikey: Option<String>,
    command: Option<String>,
    data: Option<String>,
    test_mode: Option<String>,
    label: Option<String>,
    label_format: Option<String>,
    label_size: Option<String>,
    express_clearance: Option<String>,
    ddp: Option<String>,
    bag_labels: Option<String>,
    airport: Option<String>,
}

impl Form {
    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "apikey" => &mut self.apikey,
            "command" => &mut self.command,
            "data" => &mut self.data,
            "testMode" => &mut self.test_mode,
            "label" => &mut self.label,
            "labelFormat" => &mut self.label_format,
            "labelSize" => &mut self.label_size,
            "expressClearance" => &mut self.express_clearance,
            "ddp" => &mut self.ddp,
            "bagLabels" => &mut self.bag_labels,
            "airport" => &mut self.airport,
            _ => return None,
        })
    }

    fn set(
        &mut self,
        name: &str,
        value: impl FnOnce() -> Result<String, String>,
    ) -> Result<(), String> {
        if let Some(slot) = self.slot(name) {
            if slot.is_none() {
                *slot = Some(value()?);
            }
        }
        Ok(())
    }
}

fn parse_urlencoded(body: &[u8]) -> Form {
    let mut form = Form::default();
    for (name, value) in form_urlencoded::parse(body) {
        let _ = form.set(&name, || Ok(value.into_owned()));
    }
    form
}

async fn parse_multipart(body: Bytes, content_type: &str) -> Result<Form, String> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| format!("multipart/form-data without a usable boundary: {e}"))?;
    let stream = BodyDataStream::new(Full::new(body));
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut form = Form::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("malformed multipart/form-data body: {e}")),
        };
        let name = field.name().unwrap_or("").to_string();
        if form.slot(&name).is_none_or(|s| s.is_some()) {
            continue;
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("malformed multipart field {name}: {e}"))?;
        form.set(&name, || {
            String::from_utf8(bytes.into())
                .map_err(|_| format!("parameter {name} is not UTF-8 text"))
        })?;
    }
    Ok(form)
}

fn flag(name: &str, value: &Option<String>) -> Result<Option<bool>, String> {
    match value.as_deref() {
        None => Ok(None),
        Some("0") => Ok(Some(false)),
        Some("1") => Ok(Some(true)),
        Some(other) => Err(format!(
            "parameter {name} must be 0 or 1, not '{}'",
            clip(other)
        )),
    }
}

fn clip(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// The command's parameters, checked like ACP checks them.
fn call_params(command: Command, form: &Form) -> Result<wire::Params, String> {
    let mut p = wire::Params {
        test_mode: flag("testMode", &form.test_mode)?.unwrap_or(false),
        express_clearance: flag("expressClearance", &form.express_clearance)?,
        ddp: flag("ddp", &form.ddp)?,
        bag_labels: flag("bagLabels", &form.bag_labels)?,
        ..Default::default()
    };
    if let Some(f) = &form.label_format {
        p.label_format = Some(LabelFormat::parse(f).ok_or_else(|| {
            format!(
                "parameter labelFormat must be PNG, PDF or EPL2, not '{}'",
                clip(f)
            )
        })?);
    }
    if let Some(s) = &form.label_size {
        p.label_size =
            Some(LabelSize::parse(s).ok_or_else(|| {
                format!("parameter labelSize must be 4x4 or 4x6, not '{}'", clip(s))
            })?);
    }
    if let Some(a) = &form.airport {
        if !codes::is_iata_airport(a) {
            return Err(format!(
                "parameter airport must be a 3-letter IATA code, not '{}'",
                clip(a)
            ));
        }
        p.airport = Some(a.clone());
    }
    let label: Option<u8> = match &form.label {
        None => None,
        Some(l) => Some(
            l.parse()
                .map_err(|_| format!("parameter label must be a number, not '{}'", clip(l)))?,
        ),
    };
    match command {
        Command::CreateMailing => {
            let l = label.ok_or("missing parameter label (0 without a label, or a label type)")?;
            if !rules::label_known(l) {
                return Err(format!("parameter label: unknown label type {l}"));
            }
            p.label = Some(l);
        }
        Command::CreateBag | Command::CloseDay | Command::CreateDay => {
            if let Some(l) = label {
                if l > 1 {
                    return Err(format!(
                        "parameter label must be 0 or 1 for {command}, not {l}"
                    ));
                }
            }
            p.label = label;
        }
        _ => {}
    }
    Ok(p)
}

// --------------------------------------------------------------------------------------------------------
// The API
// --------------------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct LogEntry<'a> {
    seq: u64,
    time: String,
    command: Option<String>,
    test_mode: bool,
    account: Option<&'a str>,
    data_bytes: usize,
    content_type: &'static str,
    outcome: String,
    fault: Option<String>,
}

/// Lines of the request log kept in memory (the most recent; the file, when set, keeps them all).
pub const LOG_LINES_KEPT: usize = 100_000;

/// Every API request as a JSON line: in memory always, in the configured file too. Never the key.
struct RequestLog {
    seq: AtomicU64,
    lines: Mutex<std::collections::VecDeque<String>>,
    file: Option<Mutex<std::fs::File>>,
}

impl RequestLog {
    fn write(&self, mut entry: LogEntry, quiet: bool) {
        entry.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let line = serde_json::to_string(&entry).unwrap_or_default();
        if !quiet {
            tracing::info!(
                "sandbox #{} {} {} -> {}{}",
                entry.seq,
                entry.account.unwrap_or("-"),
                entry.command.as_deref().unwrap_or("-"),
                entry.outcome,
                entry
                    .fault
                    .as_deref()
                    .map(|f| format!(" (fault {f})"))
                    .unwrap_or_default()
            );
        }
        if let Some(file) = &self.file {
            let mut f = lock(file);
            if let Err(e) = writeln!(f, "{line}") {
                tracing::warn!("sandbox request log write failed: {e}");
            }
        }
        let mut lines = lock(&self.lines);
        if lines.len() >= LOG_LINES_KEPT {
            lines.pop_front();
        }
        lines.push_back(line);
    }
}

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

async fn api(
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
        Some(action) => super::faults::tamper(&action, &body),
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

// --------------------------------------------------------------------------------------------------------
// Admin endpoints
// --------------------------------------------------------------------------------------------------------

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

async fn admin(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlencoded_parameters_first_wins_and_decodes() {
        let form = parse_urlencoded(
            b"apikey=a%2Bb&command=getInfo&apikey=other&data=x+y%26z%3D%23%3F&zzz=1",
        );
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
}
