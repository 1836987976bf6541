//! The HTTP client of the ACP Shipper API: one POST per call, form-urlencoded for small requests and
//! streamed multipart for large ones, with bounded retries.
//!
//! Retries follow the ACP document's advice: a create whose answer was lost is repeated with the same
//! shipper ids, and the `conflict` it then meets is resolved by the caller (`flow`). Retried: connection
//! errors, timeouts, HTTP 5xx, unreadable answers, and `system` errors. Never retried: `invalid`, a
//! common error (bad key, bad parameters), or any other command result.
//!
//! The API key lives in a [`Secret`] whose `Debug`/`Display` print `***`, is added to the body at the
//! last moment, and is never part of any error, log line or file.

#[cfg(doc)]
use super::answer::parse_answer_counts;
use super::answer::{parse_answer, AnswerError};

/// Reads an answer body: [`parse_answer`], or [`parse_answer_counts`] when only counts matter (or a
/// closure over `parse_info_wanted` when only some of getInfo's units do).
pub type AnswerParser<'p> = &'p dyn Fn(Command, &[u8]) -> Result<Answer, AnswerError>;
use super::encode::{form_urlencode, Multipart};
use super::request::write_request_to_vec;
use super::wire::{Answer, Command, ErrorType, Params, Request};
use std::borrow::Cow;
use std::io::Read;
use std::time::{Duration, Instant};

/// A secret string (the API key): never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Bounds of the retry loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No new attempt starts after this much time since the first.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(15),
            max_total: Duration::from_secs(180),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter: a random delay up to `base · 2^(attempt-1)`, capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let cap = exp.min(self.max_delay);
        let ms = cap.as_millis() as u64;
        if ms == 0 {
            return cap;
        }
        Duration::from_millis(ms / 2 + rand::random::<u64>() % (ms / 2 + 1))
    }
}

/// Connection settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: String,
    pub api_key: Secret,
    pub test_mode: bool,
    pub connect_timeout: Duration,
    /// Per-read timeout for answers (a 49 MB manifest takes a while to be processed).
    pub read_timeout: Duration,
    pub retry: RetryPolicy,
    /// Requests whose `data` is larger go as multipart (urlencoding base64 inflates it).
    pub multipart_threshold: usize,
}

impl ClientConfig {
    pub fn new(endpoint: &str, api_key: Secret) -> ClientConfig {
        ClientConfig {
            endpoint: endpoint.to_string(),
            api_key,
            test_mode: false,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            multipart_threshold: 64 * 1024,
        }
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("endpoint {0:?} is not a URL (expected https://host/path/)")]
    BadUrl(String),
    #[error("endpoint {0} uses http: only https is allowed, except on loopback (127.0.0.1, ::1, localhost)")]
    InsecureEndpoint(String),
    #[error("the API key variable {0} is not set or empty; export it (the key is never written anywhere)")]
    MissingKey(String),
    /// The endpoint carries a user, a password, a query or a fragment. Not echoed: that part may hold a
    /// secret (`https://user:pass@…`, `…?apikey=…`).
    #[error("the endpoint ({scheme}://{host}/…) carries {part}, which ACP's endpoint never takes and which may hold a secret, so it is not repeated here: give the endpoint as https://host/path/ alone; the API key goes in the variable named by --api-key-env (ACP_API_KEY)")]
    ExtraInUrl {
        scheme: String,
        host: String,
        part: &'static str,
    },
    /// The endpoint holds the API key (pasted into its path). Neither is repeated.
    #[error("the endpoint holds the API key, which would then be logged and recorded with the endpoint: give the endpoint without it (https://host/path/); the key goes only in the variable named by --api-key-env (ACP_API_KEY)")]
    KeyInEndpoint,
}

/// Checks an endpoint and returns it with the trailing slash ACP strongly recommends.
pub fn normalise_endpoint(endpoint: &str) -> Result<String, ConfigError> {
    let e = endpoint.trim();
    let (scheme, rest) = e
        .split_once("://")
        .ok_or_else(|| ConfigError::BadUrl(e.to_string()))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if let Some((_, host_port)) = authority.rsplit_once('@') {
        return Err(ConfigError::ExtraInUrl {
            scheme: scheme.to_string(),
            host: host_port.to_string(),
            part: "a user or password before its host",
        });
    }
    if let Some(at) = rest.find(['?', '#']) {
        return Err(ConfigError::ExtraInUrl {
            scheme: scheme.to_string(),
            host: authority.to_string(),
            part: if rest[at..].starts_with('?') {
                "a query (?…)"
            } else {
                "a fragment (#…)"
            },
        });
    }
    let host_port = authority;
    if host_port.is_empty() {
        return Err(ConfigError::BadUrl(e.to_string()));
    }
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default().to_string()
    } else {
        host_port
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(host_port)
            .to_string()
    };
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" => {
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .map(|ip| ip.is_loopback())
                    .unwrap_or(false);
            if !loopback {
                return Err(ConfigError::InsecureEndpoint(e.to_string()));
            }
        }
        _ => return Err(ConfigError::BadUrl(e.to_string())),
    }
    Ok(if e.ends_with('/') {
        e.to_string()
    } else {
        format!("{e}/")
    })
}

/// Why a call failed. None of these carry the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("{command}: cannot reach ACP at {endpoint}: {message}")]
    Transport {
        command: Command,
        endpoint: String,
        message: String,
        /// Nothing of the request left: ACP's name did not resolve or its port refused the connection,
        /// on every attempt. Such a request cannot have created anything.
        unreached: bool,
    },
    #[error("{command}: ACP answered HTTP {status}: {snippet}")]
    Http {
        command: Command,
        status: u16,
        snippet: String,
    },
    #[error("{command}: {source}")]
    Answer {
        command: Command,
        source: AnswerError,
    },
    #[error("{command}: ACP refused the call: {message}")]
    Common { command: Command, message: String },
    #[error("{command}: cannot build the request: {message}")]
    Request { command: Command, message: String },
}

impl CallError {
    /// Whether ACP refused the caller, not the call: the API key is wrong or not allowed (a common error
    /// naming the key, HTTP 401 or 403). A configuration error, the same for every MAWB: fixed by the
    /// operator, never by changing a folder.
    pub fn is_configuration(&self) -> bool {
        match self {
            CallError::Common { message, .. } => {
                let m = message.to_ascii_lowercase();
                m.contains("apikey") || m.contains("api key") || m.contains("api-key")
            }
            CallError::Http { status, .. } => matches!(status, 401 | 403),
            _ => false,
        }
    }

    /// Whether repeating the same call may succeed (and is safe: creates are idempotent by shipper id).
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Transport { .. } | CallError::Answer { .. } => true,
            CallError::Http { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            CallError::Common { .. } | CallError::Request { .. } => false,
        }
    }
}

/// Whether any node of an answer reports a `system` error (ACP's own trouble: worth a retry).
pub fn has_system_error(a: &Answer) -> bool {
    let sys = |s: &super::wire::Status| s.error_type == Some(ErrorType::System);
    match a {
        Answer::CommonError(_) => false,
        Answer::Mailing(items) => items.iter().any(|i| sys(&i.status)),
        Answer::Bag(b) => sys(&b.status),
        Answer::Day(d) => sys(&d.status),
        Answer::Info(i) => sys(&i.status),
        Answer::Manifest(m) => sys(&m.status),
    }
}

/// What happened on each attempt, for the log and the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub number: u32,
    pub outcome: String,
}

/// The ACP client.
pub struct Client {
    agent: ureq::Agent,
    cfg: ClientConfig,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.cfg.endpoint)
            .field("api_key", &self.cfg.api_key)
            .finish()
    }
}

impl Client {
    /// Every form in which this client's key could have been echoed (see [`Secret::echo_forms`]).
    pub fn key_echo_forms(&self) -> Vec<String> {
        self.cfg.api_key.echo_forms()
    }

    /// A client for `cfg`; the endpoint is checked (https, or http on loopback) and given its trailing slash.
    pub fn new(mut cfg: ClientConfig) -> Result<Client, ConfigError> {
        // A key pasted into the endpoint's path would be logged, recorded in the ledger and shown by
        // `mawb status` with the endpoint: refused, without repeating either. (A key shorter than
        // `MIN_REDACTED_KEY` could be a word of any path, `api`: not searched for.)
        if cfg.api_key.expose().len() >= MIN_REDACTED_KEY
            && cfg
                .api_key
                .echo_forms()
                .iter()
                .any(|form| cfg.endpoint.contains(form.as_str()))
        {
            return Err(ConfigError::KeyInEndpoint);
        }
        cfg.endpoint = normalise_endpoint(&cfg.endpoint)?;
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(cfg.connect_timeout)
            .timeout_read(cfg.read_timeout)
            .timeout_write(cfg.read_timeout)
            .max_idle_connections_per_host(8)
            // A redirect is never followed: a POST re-sent as a GET elsewhere would be answered by
            // whatever is there, and that answer taken for ACP's.
            .redirects(0)
            .user_agent(concat!("mawb/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Client { agent, cfg })
    }

    pub fn endpoint(&self) -> &str {
        &self.cfg.endpoint
    }

    pub fn test_mode(&self) -> bool {
        self.cfg.test_mode
    }

    /// One attempt: POST pre-built `data` bytes (built once, e.g. a 49 MB manifest), read and parse the
    /// answer. A common error is returned as [`CallError::Common`]; command-level errors are in the answer.
    pub fn post(
        &self,
        command: Command,
        params: &Params,
        data: Option<&[u8]>,
    ) -> Result<Answer, CallError> {
        self.post_with(command, params, data, &parse_answer)
    }

    /// [`Client::post`] with the answer read by `parser` (e.g. [`parse_answer_counts`]).
    pub fn post_with(
        &self,
        command: Command,
        params: &Params,
        data: Option<&[u8]>,
        parser: AnswerParser<'_>,
    ) -> Result<Answer, CallError> {
        let mut p = params.clone();
        p.test_mode = p.test_mode || self.cfg.test_mode;
        let pairs = p.pairs();
        let mut fields: Vec<(&str, &str)> = Vec::with_capacity(pairs.len() + 3);
        fields.push(("apikey", self.cfg.api_key.expose()));
        fields.push(("command", command.as_str()));
        fields.extend(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        // ureq's messages start with the URL, which the error already names.
        let transport = |message: String, unreached: bool| CallError::Transport {
            command,
            endpoint: self.cfg.endpoint.clone(),
            message: message
                .strip_prefix(self.cfg.endpoint.as_str())
                .map(|m| m.trim_start_matches([':', ' ']).to_string())
                .unwrap_or(message),
            unreached,
        };
        // A per-request deadline: ureq's agent-level read timeout is not re-applied to pooled connections.
        // Large uploads get two seconds per megabyte on top of the answer timeout; connecting counts within it.
        let upload = Duration::from_secs(2 * data.map_or(0, <[u8]>::len) as u64 / 1_000_000);
        let request = self
            .agent
            .post(&self.cfg.endpoint)
            .timeout(self.cfg.read_timeout + upload);
        let result = match data {
            Some(d) if d.len() > self.cfg.multipart_threshold => {
                let mp = Multipart::new();
                let body = mp.body(&fields, Some(Cow::Borrowed(d)));
                let len = body.content_length();
                request
                    .set("Content-Type", &mp.content_type())
                    .set("Content-Length", &len.to_string())
                    .send(body)
            }
            other => {
                let xml;
                if let Some(d) = other {
                    // mawb's own XML is UTF-8: borrowed, not copied (lossy only for foreign bytes).
                    xml = match std::str::from_utf8(d) {
                        Ok(text) => Cow::Borrowed(text),
                        Err(_) => String::from_utf8_lossy(d),
                    };
                    fields.push(("data", &xml));
                    let body = form_urlencode(&fields);
                    request
                        .set("Content-Type", "application/x-www-form-urlencoded")
                        .send_string(&body)
                } else {
                    let body = form_urlencode(&fields);
                    request
                        .set("Content-Type", "application/x-www-form-urlencoded")
                        .send_string(&body)
                }
            }
        };
        let response = match result {
            Ok(r) if (300..400).contains(&r.status()) => {
                let location = r.header("Location").unwrap_or("nowhere").to_string();
                return Err(CallError::Http {
                    command,
                    status: r.status(),
                    snippet: redact(
                        &format!(
                            "a redirect to {location}, not followed (the answer would not be ACP's): check --endpoint"
                        ),
                        &self.cfg.api_key,
                    ),
                });
            }
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => {
                let body = self
                    .cfg
                    .api_key
                    .redact_bytes(read_body(r, 4096).unwrap_or_default());
                return Err(CallError::Http {
                    command,
                    status,
                    snippet: snippet(&body),
                });
            }
            Err(ureq::Error::Transport(t)) => {
                let unreached = matches!(
                    t.kind(),
                    ureq::ErrorKind::Dns | ureq::ErrorKind::ConnectionFailed
                );
                return Err(transport(
                    redact(&t.to_string(), &self.cfg.api_key),
                    unreached,
                ));
            }
        };
        // The one place server text enters mawb: every form of the key an echo could carry is removed
        // before the answer is parsed, logged, stored or reported. (A key shorter than
        // `MIN_REDACTED_KEY` is not searched for in answers: it could match tracking numbers or ids.)
        let buffer = ANSWER_BUFFER.with(std::cell::Cell::take);
        let body = read_body_into(response, 256 * 1024 * 1024, buffer)
            .map(|b| {
                if self.cfg.api_key.expose().len() >= MIN_REDACTED_KEY {
                    self.cfg.api_key.redact_bytes(b)
                } else {
                    b
                }
            })
            .map_err(|e| transport(format!("reading the answer: {e}"), false))?;
        // The XML reader is a dependency: a panic inside it is an unreadable answer, not a crash.
        let parsed = crate::contain::contain(|| parser(command, &body))
            .unwrap_or_else(|msg| Err(AnswerError::ReaderFailed(msg)));
        if body.capacity() <= KEPT_ANSWER_BUFFER {
            ANSWER_BUFFER.with(|kept| kept.set(body));
        }
        match parsed {
            Ok(Answer::CommonError(message)) => Err(CallError::Common {
                command,
                message: redact(&message, &self.cfg.api_key),
            }),
            Ok(a) => Ok(a),
            Err(source) => Err(CallError::Answer { command, source }),
        }
    }

    /// Sends with retries (see the module doc). `on_retry` hears about each failed attempt before the
    /// pause (for the log). Returns the last answer or error.
    pub fn call(
        &self,
        params: &Params,
        req: &Request,
        on_retry: &mut dyn FnMut(&Attempt),
    ) -> Result<Answer, CallError> {
        let command = req.command();
        let data = if command.has_data() {
            let mut buf = Vec::new();
            write_request_to_vec(req, &mut buf).map_err(|e| CallError::Request {
                command,
                message: e.to_string(),
            })?;
            Some(buf)
        } else {
            None
        };
        self.call_data(command, params, data.as_deref(), on_retry)
    }

    /// [`Client::call`] with pre-built `data`.
    pub fn call_data(
        &self,
        command: Command,
        params: &Params,
        data: Option<&[u8]>,
        on_retry: &mut dyn FnMut(&Attempt),
    ) -> Result<Answer, CallError> {
        self.call_data_with(command, params, data, on_retry, &parse_answer)
    }

    /// [`Client::call_data`] with the answer read by `parser`.
    pub fn call_data_with(
        &self,
        command: Command,
        params: &Params,
        data: Option<&[u8]>,
        on_retry: &mut dyn FnMut(&Attempt),
        parser: AnswerParser<'_>,
    ) -> Result<Answer, CallError> {
        let start = Instant::now();
        let mut attempt = 1;
        // Whether an earlier attempt may have reached ACP: then the last one's "unreached" is not the
        // request's.
        let mut reached = false;
        loop {
            let mut result = self.post_with(command, params, data, parser);
            if let Err(CallError::Transport { unreached, .. }) = &mut result {
                *unreached &= !reached;
                reached |= !*unreached;
            } else {
                reached = true;
            }
            let retry = match &result {
                Ok(a) => has_system_error(a),
                Err(e) => e.is_retryable(),
            };
            let out_of_budget = attempt >= self.cfg.retry.max_attempts
                || start.elapsed() >= self.cfg.retry.max_total;
            if !retry || out_of_budget {
                return result;
            }
            let outcome = match &result {
                Ok(_) => "ACP reported a system error".to_string(),
                Err(e) => e.to_string(),
            };
            on_retry(&Attempt {
                number: attempt,
                outcome,
            });
            std::thread::sleep(self.cfg.retry.delay(attempt));
            attempt += 1;
        }
    }
}

thread_local! {
    /// The buffer the last answer of this thread was read into, kept for the next one (when not above
    /// [`KEPT_ANSWER_BUFFER`]): getInfo lists every new unit of the night, so answers grow to several MB,
    /// and a fresh buffer each time is fresh memory the kernel must map and zero page by page.
    static ANSWER_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The largest answer buffer (bytes of capacity) a sending thread keeps between requests.
const KEPT_ANSWER_BUFFER: usize = 32 * 1024 * 1024;

fn read_body(r: ureq::Response, limit: u64) -> std::io::Result<Vec<u8>> {
    read_body_into(r, limit, Vec::new())
}

/// Reads at most `limit` bytes of the answer into `body` (emptied first; its memory is reused).
fn read_body_into(r: ureq::Response, limit: u64, mut body: Vec<u8>) -> std::io::Result<Vec<u8>> {
    body.clear();
    // Sized once from Content-Length (capped): answers of several MB would otherwise grow and copy.
    let announced = r
        .header("Content-Length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    body.reserve(announced.min(limit).min(64 * 1024 * 1024) as usize);
    r.into_reader().take(limit).read_to_end(&mut body)?;
    Ok(body)
}

/// The start of a body, on one line, for an error message.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Keys at least this long are removed from whole answers; shorter ones only from error messages.
pub const MIN_REDACTED_KEY: usize = 8;

/// Removes the key, in every form it can be echoed, from a message in case a server or a library echoed it.
fn redact(message: &str, key: &Secret) -> String {
    let bytes = key.redact_bytes(message.as_bytes().to_vec());
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl Secret {
    /// Every form in which the key can come back in a server's text: as it is, percent-encoded (upper
    /// and lower case hex, space as `+` or `%20`, as in the form-encoded body that carried it), and
    /// XML-escaped. Empty for an empty key.
    pub fn echo_forms(&self) -> Vec<String> {
        let raw = self.expose();
        if raw.is_empty() {
            return Vec::new();
        }
        let form: String = form_urlencoded::byte_serialize(raw.as_bytes()).collect();
        let percent_upper = form.replace('+', "%20");
        let lower_hex = |s: &str| {
            let mut out = String::with_capacity(s.len());
            let mut chars = s.chars();
            while let Some(c) = chars.next() {
                out.push(c);
                if c == '%' {
                    out.extend(chars.by_ref().take(2).map(|h| h.to_ascii_lowercase()));
                }
            }
            out
        };
        let xml = raw
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;");
        let mut forms = vec![
            raw.to_string(),
            lower_hex(&form),
            lower_hex(&percent_upper),
            form,
            percent_upper,
            xml,
        ];
        // Longest first, so a form that contains another is removed whole.
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        forms.dedup();
        forms
    }

    /// `bytes` with every echo form of the key replaced by `***`.
    pub fn redact_bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        let mut out = bytes;
        for form in self.echo_forms() {
            let finder = memchr::memmem::Finder::new(form.as_bytes());
            if finder.find(&out).is_none() {
                continue;
            }
            let mut next = Vec::with_capacity(out.len());
            let mut from = 0;
            for at in finder.find_iter(&out) {
                if at < from {
                    continue;
                }
                next.extend_from_slice(&out[from..at]);
                next.extend_from_slice(b"***");
                from = at + form.len();
            }
            next.extend_from_slice(&out[from..]);
            out = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_read_into_a_used_buffer_is_that_answer_alone() {
        let first = ureq::Response::new(200, "OK", "<a>a long first answer</a>").unwrap();
        let buffer = read_body_into(first, 1024, Vec::new()).unwrap();
        assert_eq!(buffer, b"<a>a long first answer</a>");
        let capacity = buffer.capacity();
        let second = ureq::Response::new(200, "OK", "<b/>").unwrap();
        let buffer = read_body_into(second, 1024, buffer).unwrap();
        assert_eq!(buffer, b"<b/>");
        // The memory of the first answer is what the second was read into.
        assert_eq!(buffer.capacity(), capacity);
        // The limit holds whatever the buffer held before.
        let third = ureq::Response::new(200, "OK", "0123456789").unwrap();
        assert_eq!(read_body_into(third, 4, buffer).unwrap(), b"0123");
    }

    #[test]
    fn endpoints_get_a_trailing_slash() {
        assert_eq!(
            normalise_endpoint("https://acp.example/api").unwrap(),
            "https://acp.example/api/"
        );
        assert_eq!(
            normalise_endpoint("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            normalise_endpoint("http://localhost:1/x/").unwrap(),
            "http://localhost:1/x/"
        );
        assert_eq!(
            normalise_endpoint("http://[::1]:9/").unwrap(),
            "http://[::1]:9/"
        );
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        assert!(matches!(
            normalise_endpoint("http://acp.example/"),
            Err(ConfigError::InsecureEndpoint(_))
        ));
        assert!(matches!(
            normalise_endpoint("http://10.0.0.1/"),
            Err(ConfigError::InsecureEndpoint(_))
        ));
        assert!(matches!(
            normalise_endpoint("ftp://x/"),
            Err(ConfigError::BadUrl(_))
        ));
        assert!(matches!(
            normalise_endpoint("nonsense"),
            Err(ConfigError::BadUrl(_))
        ));
    }

    #[test]
    fn credentials_queries_and_fragments_are_refused_without_being_repeated() {
        for (url, part) in [
            ("https://ops:hunter2@acp.example/api/", "user or password"),
            ("http://ops:hunter2@127.0.0.1:8080/", "user or password"),
            ("https://acp.example/api/?apikey=hunter2", "query"),
            ("https://acp.example?apikey=hunter2", "query"),
            ("https://acp.example/api/#hunter2", "fragment"),
        ] {
            let e = normalise_endpoint(url).unwrap_err();
            assert!(matches!(e, ConfigError::ExtraInUrl { .. }), "{url}: {e:?}");
            let message = e.to_string();
            assert!(!message.contains("hunter2"), "{url}: {message}");
            assert!(message.contains(part), "{url}: {message}");
            assert!(message.contains("acp.example") || message.contains("127.0.0.1"));
        }
    }

    #[test]
    fn an_endpoint_holding_the_key_is_refused_without_repeating_it() {
        let key = "k1234567890";
        for endpoint in [
            format!("http://127.0.0.1:9/{key}/"),
            format!("https://acp.example/api/{key}"),
        ] {
            let e = Client::new(ClientConfig::new(&endpoint, Secret::new(key))).unwrap_err();
            assert!(matches!(e, ConfigError::KeyInEndpoint), "{e:?}");
            assert!(!e.to_string().contains(key), "{e}");
        }
        assert!(Client::new(ClientConfig::new(
            "http://127.0.0.1:9/api/",
            Secret::new(key)
        ))
        .is_ok());
    }

    #[test]
    fn secrets_never_print() {
        let tricky = Secret::new("a+b/c=d&e%f g<h>");
        for form in tricky.echo_forms() {
            let echoed = format!("<error>bad apikey {form}</error>");
            let cleaned = String::from_utf8(tricky.redact_bytes(echoed.into_bytes())).unwrap();
            assert_eq!(cleaned, "<error>bad apikey ***</error>", "form {form}");
        }
        assert!(tricky
            .echo_forms()
            .contains(&"a%2Bb%2Fc%3Dd%26e%25f+g%3Ch%3E".to_string()));
        assert!(tricky
            .echo_forms()
            .contains(&"a+b/c=d&amp;e%f g&lt;h&gt;".to_string()));
        let s = Secret::new("k3y");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(redact("bad key k3y given", &s), "bad key *** given");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            ..Default::default()
        };
        for _ in 0..50 {
            assert!(p.delay(1) <= Duration::from_millis(100));
            assert!(p.delay(1) >= Duration::from_millis(50));
            assert!(p.delay(10) <= Duration::from_millis(400));
        }
    }

    #[test]
    fn only_transport_and_server_errors_are_retried() {
        let c = Command::GetInfo;
        assert!(CallError::Transport {
            command: c,
            endpoint: String::new(),
            message: String::new(),
            unreached: true,
        }
        .is_retryable());
        assert!(CallError::Http {
            command: c,
            status: 503,
            snippet: String::new()
        }
        .is_retryable());
        assert!(!CallError::Http {
            command: c,
            status: 404,
            snippet: String::new()
        }
        .is_retryable());
        assert!(!CallError::Common {
            command: c,
            message: String::new()
        }
        .is_retryable());
    }
}
