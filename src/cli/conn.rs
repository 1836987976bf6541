//! Connection and local-state flags shared by `run`, `watch`, `cancel` and `status`.

use crate::acp::client::{Client, ClientConfig, RetryPolicy, Secret};
use crate::ledger::{Ledger, Target};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// Where ACP is and how to reach it. The key itself is never a flag: only the name of the variable
/// holding it, so it never shows in `ps` or shell history.
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// ACP endpoint URL (https; http only on loopback; no user, password, query or fragment). A trailing
    /// slash is added when missing.
    #[arg(long, env = "ACP_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,
    /// Name of the environment variable holding the API key.
    #[arg(long, value_name = "NAME", default_value = "ACP_API_KEY")]
    pub api_key_env: String,
    /// Send every request with testMode=1.
    #[arg(long, env = "ACP_TEST_MODE", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false")]
    pub test_mode: bool,
    /// Seconds to wait for an answer (per read).
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub timeout: u64,
    /// Attempts per request (connection errors, timeouts, HTTP 5xx and `system` errors are retried).
    #[arg(long, value_name = "N", default_value_t = 6)]
    pub attempts: u32,
}

/// The local files of a run.
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// The ledger of everything sent and received. The default does not depend on the working folder:
    /// `state.sqlite` in the state folder ($MAWB_STATE_DIR, else $XDG_STATE_HOME/mawb, else
    /// ~/.local/state/mawb).
    #[arg(long, value_name = "FILE", default_value_os_t = state_dir().join("state.sqlite"))]
    pub state: PathBuf,
    /// The label archive folder (default: `archive` in the state folder).
    #[arg(long, value_name = "DIR", default_value_os_t = state_dir().join("archive"))]
    pub archive: PathBuf,
}

/// The per-user state folder, the same from any working folder: `$MAWB_STATE_DIR`, else
/// `$XDG_STATE_HOME/mawb`, else `$HOME/.local/state/mawb` (the XDG Base Directory specification's state
/// home), else `.mawb` in the working folder when no home is known.
pub fn state_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("MAWB_STATE_DIR")
        .or_else(|| var("XDG_STATE_HOME").map(|d| d.join("mawb")))
        .or_else(|| var("HOME").map(|h| h.join(".local/state/mawb")))
        .unwrap_or_else(|| PathBuf::from(".mawb"))
}

impl ConnArgs {
    /// The client these flags describe; errors are configuration errors (exit 2).
    pub fn client(&self) -> Result<Client, String> {
        let endpoint = self
            .endpoint
            .clone()
            .ok_or("no ACP endpoint: pass --endpoint URL or set ACP_ENDPOINT (mawb sandbox gives a local one)")?;
        let key = std::env::var(&self.api_key_env)
            .ok()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| {
                crate::acp::client::ConfigError::MissingKey(self.api_key_env.clone()).to_string()
            })?;
        let mut cfg = ClientConfig::new(&endpoint, Secret::new(key.trim()));
        cfg.test_mode = self.test_mode;
        cfg.read_timeout = Duration::from_secs(self.timeout.max(1));
        cfg.retry = RetryPolicy {
            max_attempts: self.attempts.max(1),
            ..RetryPolicy::default()
        };
        Client::new(cfg).map_err(|e| e.to_string())
    }
}

/// Opens the ledger of a command that sends (`run`, `watch`, `cancel`) and binds it to the client's ACP
/// target (`Ledger::bind_target`: a ledger that records sends to another endpoint or mode is refused
/// before anything is sent); a key an earlier version stored in it is removed. Errors are configuration
/// errors (exit 2).
pub fn open_sending_ledger(state: &StateArgs, client: &Client) -> Result<Ledger, String> {
    earlier_default_ledger(state)?;
    let ledger = Ledger::open(&state.state).map_err(|e| e.to_string())?;
    ledger
        .bind_target(&Target {
            endpoint: client.endpoint().to_string(),
            test_mode: client.test_mode(),
        })
        .map_err(|e| e.to_string())?;
    match ledger.scrub(&client.key_echo_forms()) {
        Ok(0) => {}
        Ok(n) => {
            tracing::warn!("removed the API key from {n} ledger row(s) an earlier version stored")
        }
        Err(e) => tracing::warn!("cannot check the ledger for a stored API key: {e}"),
    }
    Ok(ledger)
}

/// The ledger file earlier versions used by default, in the working folder.
pub const EARLIER_DEFAULT_LEDGER: &str = "mawb-state.sqlite";

/// Refuses to start a new default ledger while the working folder holds one of the earlier default
/// (`mawb-state.sqlite`): its history (what was sent, under which ids) would be left behind without a
/// word, and the first run would meet its own objects as "already at ACP, and this ledger never sent it".
fn earlier_default_ledger(state: &StateArgs) -> Result<(), String> {
    let default = state_dir().join("state.sqlite");
    let earlier = std::path::Path::new(EARLIER_DEFAULT_LEDGER);
    if state.state != default || state.state.exists() || !earlier.is_file() {
        return Ok(());
    }
    Err(format!(
        "the working folder holds {EARLIER_DEFAULT_LEDGER}, the ledger earlier versions kept here, and the default \
         ledger {} does not exist yet: nothing was sent. To go on with that ledger, pass --state \
         {EARLIER_DEFAULT_LEDGER} --archive archive (or move both into {})",
        default.display(),
        state_dir().display()
    ))
}
