//! `mawb watch DROP_DIR`: the drop-folder watcher, a long-running service (or, with `--once`, a cron job)
//! that runs each MAWB folder landing in `DROP_DIR/inbox` through the same flow and ledger as `mawb run`.
//! The behaviour lives in `crate::watch`; this file parses the flags, wires the client, ledger and
//! archive exactly as `run` does, installs the stop signals and maps the result to the exit codes.

use super::conn::{ConnArgs, StateArgs};
use super::{InputArgs, EXIT_FAILED, EXIT_OK};
use crate::archive::Archive;
use crate::watch::{watch, Services, WatchConfig};
use clap::Args;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The drop folder; inbox/, processing/, done/ and failed/ are created inside it.
    #[arg(value_name = "DROP_DIR")]
    pub drop_dir: PathBuf,
    /// Also take a folder without READY once nothing in it has changed for this long.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub settle: Option<Duration>,
    /// Scan the inbox at --poll-interval instead of listening to filesystem events (network shares).
    #[arg(long)]
    pub poll: bool,
    /// Scan interval with --poll.
    #[arg(long, value_name = "SECONDS", default_value = "2", value_parser = parse_seconds)]
    pub poll_interval: Duration,
    /// Full rescan interval with filesystem events, so a missed event only delays a folder.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub rescan: Duration,
    /// Transient ACP failures for this long send a folder to failed/.
    #[arg(long, value_name = "SECONDS", default_value = "3600", value_parser = parse_seconds)]
    pub give_up: Duration,
    /// First retry delay after a transient failure (doubled per attempt, up to --retry-max).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub retry_min: Duration,
    /// Longest retry delay.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = parse_seconds)]
    pub retry_max: Duration,
    /// MAWB folders run at once.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub jobs: usize,
    /// Interval of the heartbeat log line (0: none).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_seconds)]
    pub heartbeat: Duration,
    /// Process what is ready now (and what is left in processing/), then exit: 0 if all went to done/,
    /// 1 if any failed or waits for a retry.
    #[arg(long)]
    pub once: bool,
    /// A folder running longer than this gives its slot to other folders (and no longer holds up
    /// --once); it stays in processing/.
    #[arg(long, value_name = "SECONDS", default_value = "1800", value_parser = parse_seconds)]
    pub folder_timeout: Duration,
    /// After SIGTERM or SIGINT, how long running folders may take before the watcher exits without
    /// them (they stay in processing/ and resume at the next start).
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = parse_seconds)]
    pub stop_grace: Duration,
    /// A folder whose run was started this many times without finishing (the watcher crashed or was
    /// killed each time) goes to failed/ instead of being started again.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_starts: u32,
    /// At the end of each MAWB's run, write its print-ready label files into ARCHIVE/<MAWB>/print (as
    /// `mawb labels` does); a MAWB's `print_ready = true` in mawb.toml asks for it too.
    #[arg(long)]
    pub print_ready: bool,
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub plan: super::PlanArgs,
    #[command(flatten)]
    pub adopt: super::AdoptArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

/// A number of seconds, fractions allowed ("0.5"), as a duration.
pub(crate) fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("\"{s}\" is not a number of seconds"))?;
    if !v.is_finite() || !(0.0..=1e9).contains(&v) {
        return Err(format!("\"{s}\": seconds must be between 0 and 1e9"));
    }
    Ok(Duration::from_secs_f64(v))
}

pub fn run(args: WatchArgs) -> Result<i32, String> {
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    if args.settle.is_some_and(|d| d.is_zero()) {
        return Err("--settle must be more than 0 seconds".into());
    }
    if args.poll && args.poll_interval.is_zero() {
        return Err("--poll-interval must be more than 0 seconds".into());
    }
    if args.rescan.is_zero() {
        return Err("--rescan must be more than 0 seconds".into());
    }
    if args.folder_timeout.is_zero() {
        return Err("--folder-timeout must be more than 0 seconds".into());
    }
    if args.max_starts == 0 {
        return Err("--max-starts must be at least 1".into());
    }
    let check = args.input.options()?;
    let client = args.conn.client()?;
    let ledger = super::conn::open_sending_ledger(&args.state, &client)?;
    let archive = Archive::new(&args.state.archive);
    let mut plan = args.plan.options(args.conn.test_mode);
    plan.adopt = args.adopt.adopt;
    plan.print_ready = args.print_ready;
    let cfg = WatchConfig {
        drop_dir: args.drop_dir.clone(),
        settle: args.settle,
        poll: args.poll.then_some(args.poll_interval),
        rescan: args.rescan,
        give_up: args.give_up,
        retry_min: args.retry_min,
        retry_max: args.retry_max,
        jobs: args.jobs,
        heartbeat: Some(args.heartbeat).filter(|d| !d.is_zero()),
        once: args.once,
        folder_timeout: args.folder_timeout,
        stop_grace: args.stop_grace,
        max_starts: args.max_starts,
    };

    // First SIGTERM/SIGINT: stop taking folders, let the running ones finish for up to --stop-grace. A
    // second one while stopping exits at once (the ledger keeps that resumable too).
    let stop = Arc::new(AtomicBool::new(false));
    for (sig, code) in [
        (signal_hook::consts::SIGTERM, 143),
        (signal_hook::consts::SIGINT, 130),
    ] {
        signal_hook::flag::register_conditional_shutdown(sig, code, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&stop)))
            .map_err(|e| format!("cannot install the handler of signal {sig}: {e}"))?;
    }

    tracing::info!(
        "sending to {}; ledger {}",
        client.endpoint(),
        args.state.state.display()
    );
    let svc = Services {
        run: crate::flow::Services {
            client: Arc::new(client),
            ledger: Arc::new(ledger),
            archive: Arc::new(archive),
            plan,
        },
        check,
    };
    let summary = watch(&cfg, svc, &stop).map_err(|e| e.to_string())?;
    if args.once {
        outln!(
            "{} done, {} failed, {} left in processing/",
            summary.done,
            summary.failed,
            summary.left
        );
        if summary.failed > 0 || summary.left > 0 {
            return Ok(EXIT_FAILED);
        }
    }
    Ok(EXIT_OK)
}
