//! `mawb run BATCH_DIR`: the nightly batch, every MAWB folder through the full flow against ACP.

use super::conn::{ConnArgs, StateArgs};
use super::{InputArgs, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::archive::Archive;
use crate::check::{check_paths, CheckReport};
use crate::flow::Outcome;
use crate::ledger::Ledger;
use crate::plan::PlanOptions;
use crate::report::{write_summary, JsonReport};
use crate::runner::Runner;
use clap::Args;
use std::path::PathBuf;

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
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub plan: super::PlanArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

pub fn run(args: RunArgs) -> Result<i32, String> {
    let opts = args.input.options()?;
    let client = args.conn.client()?;
    let ledger = Ledger::open(&args.state.state).map_err(|e| e.to_string())?;
    let archive = Archive::new(&args.state.archive);
    let plan = args.plan.options(args.conn.test_mode);
    let (dirs, _) = crate::ingest::discover(&args.paths);
    let bar = super::progress(dirs.len() as u64, "checking");
    let report = check_paths(&args.paths, &opts, &|| bar.inc(1));
    bar.finish_and_clear();
    tracing::info!(
        "{} MAWB folder(s) checked; sending to {}",
        report.mawbs.len(),
        client.endpoint()
    );
    let outcomes = send(&report, &client, &ledger, &archive, plan, args.jobs);
    finish("run", &report, &outcomes, args.json.as_deref(), &args.state)
}

/// Sends a checked batch with progress bars (a terminal) or log lines (otherwise).
pub fn send(
    report: &CheckReport,
    client: &crate::acp::client::Client,
    ledger: &Ledger,
    archive: &Archive,
    plan: PlanOptions,
    jobs: usize,
) -> Vec<Outcome> {
    let multi = indicatif::MultiProgress::new();
    let mawbs = multi.add(super::progress(report.mawbs.len() as u64, "MAWBs"));
    let items = multi.add(super::progress(report.totals.items as u64, "items"));
    let runner = Runner {
        client,
        ledger,
        archive,
        plan,
        jobs,
    };
    let outcomes = runner.run(report, &|n| items.inc(n as u64), &|m, o| {
        mawbs.inc(1);
        tracing::info!(
            mawb = %m.mawb.display_name(),
            "{:?}: {} request(s){}",
            o.status,
            o.requests_sent,
            o.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
        );
    });
    items.finish_and_clear();
    mawbs.finish_and_clear();
    outcomes
}

/// Prints the summary and writes the JSON report; returns the exit code.
pub fn finish(
    command: &str,
    report: &CheckReport,
    outcomes: &[Outcome],
    json: Option<&std::path::Path>,
    state: &StateArgs,
) -> Result<i32, String> {
    let code = if report.problems.iter().any(|p| p.is_error()) {
        EXIT_USAGE
    } else if outcomes.iter().all(Outcome::is_success) {
        EXIT_OK
    } else {
        EXIT_FAILED
    };
    let to_stdout = json.is_some_and(|p| p.as_os_str() == "-");
    if !to_stdout {
        let mut out = crate::out::Stdout;
        write_summary(&mut out, report, 100).map_err(|e| format!("cannot write to stdout: {e}"))?;
        outln!();
        for (m, o) in report.mawbs.iter().zip(outcomes) {
            let status = serde_json::to_value(o.status)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            outln!(
                "{:<16} {:<10} manifest {:<10} {} request(s), {} item(s) created, {} adopted, {} cancelled, {} label(s){}",
                m.mawb.display_name(),
                status,
                o.manifest_id.as_deref().unwrap_or("-"),
                o.requests_sent,
                o.items_created,
                o.items_adopted,
                o.items_cancelled,
                o.labels_archived,
                o.error.as_ref().map(|e| format!("\n    reason: {e}")).unwrap_or_default()
            );
        }
        outln!(
            "ledger: {}   labels: {}",
            state.state.display(),
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
