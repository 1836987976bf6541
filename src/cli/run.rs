//! `mawb run BATCH_DIR`: the nightly batch, every MAWB folder through the full flow against ACP.

use super::conn::{ConnArgs, StateArgs};
use super::InputArgs;
use crate::archive::Archive;
use crate::check::CheckReport;
use crate::flow::{Outcome, Services};
use crate::report::{write_summary, JsonReport};
use crate::runner::Runner;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The batch folder (or MAWB folders).
    #[arg(required = true, value_name = "BATCH_DIR")]
    pub paths: Vec<PathBuf>,
    /// Write the machine-readable report to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// MAWBs sent at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub jobs: usize,
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

/// Exit code after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub use crate::report::EXIT_INTERRUPTED;

/// On Ctrl-C or SIGTERM, says that nothing is lost and how to resume, then exits: the ledger records every
/// request before it leaves, so the next run of the same command resumes without duplicates. The `--json`
/// target, when there is one, gets a report that says so ([`JsonReport::interrupted`]) in place of any
/// earlier run's.
fn exit_quietly_on_interrupt(json: Option<PathBuf>) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("mawb-interrupt".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                eprintln!(
                    "\nmawb: interrupted; nothing is lost (every request is in the ledger): run the same command again to resume"
                );
                if let Some(target) = json {
                    if let Err(e) = JsonReport::interrupted("run").write_to(&target) {
                        eprintln!(
                            "mawb: cannot write the JSON report to {}: {e}",
                            target.display()
                        );
                    }
                }
                std::process::exit(EXIT_INTERRUPTED);
            }
        });
}

pub fn run(args: RunArgs) -> Result<i32, String> {
    exit_quietly_on_interrupt(args.json.clone());
    let opts = args.input.options()?;
    let client = args.conn.client()?;
    let ledger = super::conn::open_sending_ledger(&args.state, &client)?;
    if ledger.is_new() {
        tracing::warn!(
            "ledger {}: new (it has recorded nothing yet); objects ACP already holds under these folders' ids will not be touched without --adopt",
            ledger.describe()
        );
    } else {
        tracing::info!("ledger {}", ledger.describe());
    }
    let archive = Archive::new(&args.state.archive);
    let mut plan = args.plan.options(args.conn.test_mode);
    plan.adopt = args.adopt.adopt;
    plan.print_ready = args.print_ready;
    // Folders are discovered once: the count sizes the progress bars, the list is what is checked.
    let (dirs, discovered) = crate::ingest::discover(&args.paths);
    tracing::info!(
        "{} MAWB folder(s) found; each is sent to {} once it is checked",
        dirs.len(),
        client.endpoint()
    );
    let ledger_new = ledger.is_new();
    let services = Services {
        client: Arc::new(client),
        ledger: Arc::new(ledger),
        archive: Arc::new(archive),
        plan,
    };
    let (report, outcomes) = check_and_send(&dirs, discovered, &opts, &services, args.jobs)?;
    finish(
        "run",
        &report,
        &outcomes,
        args.json.as_deref(),
        &args.state,
        ledger_new,
    )
}

/// Checks the MAWB folders `dirs` and sends each as soon as it is checked (`Runner::check_and_run`), with
/// progress bars (a terminal) or log lines (otherwise). `Err`: the ledger could not be read.
pub fn check_and_send(
    dirs: &[std::path::PathBuf],
    discovered: Vec<crate::problem::Problem>,
    opts: &crate::check::CheckOptions,
    services: &Services,
    jobs: usize,
) -> Result<(CheckReport, Vec<Outcome>), String> {
    let multi = indicatif::MultiProgress::new();
    let checking = multi.add(super::progress(dirs.len() as u64, "checked"));
    let mawbs = multi.add(super::progress(dirs.len() as u64, "MAWBs"));
    let items = multi.add(super::progress(0, "items"));
    let runner = Runner { services, jobs };
    let done = runner.check_and_run(
        dirs,
        discovered,
        opts,
        &|m| {
            checking.inc(1);
            if m.sendable() {
                items.inc_length(m.totals.items as u64);
            }
        },
        &|n| items.inc(n as u64),
        &|m, o| {
            mawbs.inc(1);
            log_outcome(m, o);
        },
    );
    items.finish_and_clear();
    mawbs.finish_and_clear();
    checking.finish_and_clear();
    done.map_err(|e| e.to_string())
}

fn log_outcome(m: &crate::check::CheckedMawb, o: &Outcome) {
    tracing::info!(
        mawb = %m.mawb.display_name(),
        "{:?}: {} request(s){}",
        o.status,
        o.requests_sent,
        o.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
    );
}

/// Prints the summary and writes the JSON report; returns the exit code.
pub fn finish(
    command: &str,
    report: &CheckReport,
    outcomes: &[Outcome],
    json: Option<&std::path::Path>,
    state: &StateArgs,
    ledger_new: bool,
) -> Result<i32, String> {
    let configuration = outcomes.iter().find(|o| o.configuration_error);
    if let Some(o) = configuration {
        eprintln!(
            "mawb: {}",
            o.error.as_deref().unwrap_or("configuration error")
        );
    }
    let code = crate::report::run_exit_code(report, outcomes);
    let to_stdout = json.is_some_and(|p| p.as_os_str() == "-");
    if !to_stdout {
        let mut out = crate::out::Stdout;
        write_summary(&mut out, report, 100).map_err(|e| format!("cannot write to stdout: {e}"))?;
        outln!();
        crate::report::write_outcomes(&mut out, report, outcomes)
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
        outln!(
            "ledger: {}{}   labels: {}",
            state.state.display(),
            if ledger_new {
                " (new: it had recorded nothing before this run; objects ACP already held were not touched)"
            } else {
                ""
            },
            state.archive.display()
        );
    }
    if let Some(target) = json {
        let mut j = JsonReport::from_check(command, report, code);
        for (m, o) in j.mawbs.iter_mut().zip(outcomes) {
            m.outcome = serde_json::to_value(o).ok();
        }
        j.write_to(target)
            .map_err(|e| format!("cannot write the JSON report to {}: {e}", target.display()))?;
    }
    Ok(code)
}
