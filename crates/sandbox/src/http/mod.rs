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
//! store's mutex for one transaction: requests are served concurrently and applied one at a time.//!
//! Parts: this file (server, connections, bodies), `params` (the POSTed parameters, checked like ACP),
//! `api` (the API entry point), `log` (the request log) and `admin` (the `/_admin/...` endpoints).

mod admin;
mod api;
mod log;
mod params;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use self::log::RequestLog;
use super::answer;
use super::faults::FaultState;
use super::state::Store;
use super::{SandboxConfig, SandboxError};

pub use self::log::LOG_LINES_KEPT;

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
        return Ok(admin::admin(&shared, req).await);
    }
    api::api(shared, req).await
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
