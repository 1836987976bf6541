//! `mawb sandbox`: a local ACP Shipper API server with real state, on loopback, offline.
//!
//! ACP's shared demo account mixes every integrator's parcels, so nobody can test against it
//! reproducibly. The sandbox behaves like ACP as the ACP Shipper API document describes it (all 13
//! commands, their error types, labels, size limits), keeps its state per API key in SQLite, and can fail
//! on purpose ([`FaultRule`]). The pipeline's tests, `mawb demo` and users' own integration tests run
//! against it over real HTTP.
//!
//! It shares the wire *types* of [`mawb_wire::wire`] with the client but none of the client's code paths:
//! it has its own request reader ([`parse`]), answer writer ([`answer`]) and rule checks ([`rules`]), so a
//! bug on one side cannot hide a bug on the other.
//!
//! Modules: [`http`] (server, parameters, request log, admin endpoints), [`parse`], [`answer`], [`rules`],
//! [`state`] (SQLite), [`commands`] (the 13 commands), [`faults`], [`labels`] (label files).
//!
//! # Admin endpoints (same port, no API key; the sandbox is meant for loopback)
//!
//! - `GET /_admin/requests`: the request log (the last 100,000 requests), one JSON object per line: `seq`, `time`, `command`,
//!   `test_mode`, `account` (first 12 hex digits of the key's sha256), `data_bytes`, `content_type`
//!   (`form`, `multipart` or `other`), `outcome` (`ok`, an error type, `error` for the common error,
//!   `ok=3 invalid=1` for a mixed batch, `http500`), `fault` (the rule that fired, compact syntax). Never
//!   the key.
//! - `GET /_admin/objects`: every account's items, bags, days and manifests (ids, containment, status,
//!   weights; manifests with units per part and computed counts) as JSON.
//! - `POST /_admin/reset`: wipes every object and the in-memory request log (ids are never reused).
//! - `GET /_admin/faults`, `POST /_admin/faults` (a JSON list of rules, objects or compact strings, that
//!   replaces the current ones and their counters), `DELETE /_admin/faults`.
//! - `POST /_admin/mark-sent?manifestId=ID`: marks a manifest as sent on (cancelManifest then answers
//!   `sent`, and what it covers reads `Picked Up`).
//!
//! # HTTP behaviour
//!
//! Any path but `/_admin/...` is the API, with or without a trailing slash. POST only, form-urlencoded or
//! multipart/form-data (no Content-Type is read as form-urlencoded). Answers are `200 text/xml` like ACP,
//! except: another method answers `405` with the common error body; a body over 64 MiB answers `413`
//! without being read; a `http500` fault answers `500`.

pub mod answer;
pub mod commands;
pub mod faults;
pub mod http;
pub mod labels;
pub mod parse;
pub mod rules;
pub mod state;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use faults::{FaultAction, FaultParseError, FaultRule};

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The API keys accepted; each is its own account with its own state.
    pub api_keys: Vec<String>,
    /// The state database file; `None` keeps state in memory.
    pub db: Option<PathBuf>,
    /// A file the request log is appended to (JSON lines), besides `GET /_admin/requests`.
    pub request_log: Option<PathBuf>,
    /// Faults to inject from the start (more can be set with `POST /_admin/faults`).
    pub faults: Vec<FaultRule>,
    /// No per-request log lines on the tracing output.
    pub quiet: bool,
}

impl SandboxConfig {
    /// One key, 127.0.0.1 on a free port, state in memory, quiet: what tests and `mawb demo` use.
    pub fn local(api_key: &str) -> Self {
        SandboxConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_keys: vec![api_key.to_string()],
            db: None,
            request_log: None,
            faults: Vec::new(),
            quiet: true,
        }
    }
}

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("sandbox: state database {path}: {source}")]
    Db {
        path: String,
        source: rusqlite::Error,
    },
    #[error("sandbox: cannot open the request log {}: {source}", path.display())]
    RequestLog {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("sandbox: {0}")]
    Config(String),
    #[error("sandbox: cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("sandbox: cannot watch for Ctrl-C / SIGTERM: {0}")]
    Signal(std::io::Error),
}

/// A sandbox running on a background thread; dropping it (or [`SandboxHandle::shutdown`]) stops it.
pub struct SandboxHandle {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SandboxHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL to give a client, `http://127.0.0.1:PORT/`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops accepting, ends open connections and waits for the server thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, SandboxError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("acp-sandbox")
        .enable_all()
        .build()
        .map_err(SandboxError::Runtime)
}

fn bind(
    runtime: &tokio::runtime::Runtime,
    addr: SocketAddr,
) -> Result<tokio::net::TcpListener, SandboxError> {
    let bind_err = |source| SandboxError::Bind { addr, source };
    let std_listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
    std_listener.set_nonblocking(true).map_err(bind_err)?;
    let _guard = runtime.enter();
    tokio::net::TcpListener::from_std(std_listener).map_err(bind_err)
}

/// Starts a sandbox on its own runtime and thread; returns once it is listening.
pub fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
    let shared = Arc::new(http::Shared::new(&config)?);
    let runtime = runtime()?;
    let listener = bind(&runtime, config.listen)?;
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        addr: config.listen,
        source,
    })?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("acp-sandbox".to_string())
        .spawn(move || {
            runtime.block_on(http::accept_loop(listener, shared, async {
                let _ = rx.await;
            }));
            runtime.shutdown_timeout(Duration::from_secs(2));
        })
        .map_err(SandboxError::Runtime)?;
    Ok(SandboxHandle {
        addr,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// Runs a sandbox in the foreground until Ctrl-C or SIGTERM (the `mawb sandbox` command). Prints
/// `ACP sandbox listening on http://ADDR/ (N API keys)` to stdout once it listens.
pub fn serve_until_signal(config: SandboxConfig) -> Result<(), SandboxError> {
    let shared = Arc::new(http::Shared::new(&config)?);
    let runtime = runtime()?;
    let listener = bind(&runtime, config.listen)?;
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        addr: config.listen,
        source,
    })?;
    let stop = {
        let _guard = runtime.enter();
        stop_signal().map_err(SandboxError::Signal)?
    };
    let n = shared.key_count();
    let plural = if n == 1 { "" } else { "s" };
    // Not println!: a closed stdout must not take the server down.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "ACP sandbox listening on http://{addr}/ ({n} API key{plural})"
    );
    let _ = out.flush();
    drop(out);
    runtime.block_on(http::accept_loop(listener, shared, stop));
    runtime.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}

/// A future that completes on Ctrl-C or (on Unix) SIGTERM; the handlers are installed before it returns.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}
