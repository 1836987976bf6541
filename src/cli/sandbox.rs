//! `mawb sandbox --listen ADDR`: a local ACP Shipper API server for tests, demos and training.

use super::EXIT_OK;
use crate::sandbox::{serve_until_signal, FaultRule, SandboxConfig};
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// An API key the sandbox accepts (repeatable; each key is its own account). Defaults to the value of
    /// the variable named by --api-key-env.
    #[arg(long = "api-key", value_name = "KEY")]
    pub api_keys: Vec<String>,
    /// Name of the environment variable holding the accepted key when --api-key is not given.
    #[arg(long, value_name = "NAME", default_value = "ACP_API_KEY")]
    pub api_key_env: String,
    /// Keep state in this SQLite file (survives restarts); in memory otherwise.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Append every request to this JSON-lines log (never the key).
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<PathBuf>,
    /// Inject a fault, e.g. `createMailing:nth=3:drop`, `every=5:http500`, `createManifest:delay=3000`,
    /// `getInfo:times=2:system` (repeatable; see docs/sandbox.md).
    #[arg(long = "fault", value_name = "RULE")]
    pub faults: Vec<FaultRule>,
    /// No log line per request.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: SandboxArgs) -> Result<i32, String> {
    let mut keys = args.api_keys.clone();
    if keys.is_empty() {
        match std::env::var(&args.api_key_env) {
            Ok(k) if !k.trim().is_empty() => keys.push(k.trim().to_string()),
            _ => {
                return Err(format!(
                    "no API key: pass --api-key KEY or set {} (the sandbox accepts only the keys it is given)",
                    args.api_key_env
                ))
            }
        }
    }
    let config = SandboxConfig {
        listen: args.listen,
        api_keys: keys,
        db: args.db,
        request_log: args.request_log,
        faults: args.faults,
        quiet: args.quiet,
    };
    serve_until_signal(config).map_err(|e| e.to_string())?;
    Ok(EXIT_OK)
}
