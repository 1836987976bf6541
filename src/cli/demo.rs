//! `mawb demo`: the whole product in one command: a sample batch, the sandbox in-process on a free loopback
//! port, and a full run against it, with the report and where the labels are.

use super::conn::StateArgs;
use crate::acp::client::{Client, ClientConfig, Secret};
use crate::archive::Archive;
use crate::check::CheckOptions;
use crate::ledger::Ledger;
use crate::plan::PlanOptions;
use crate::samples::{generate, SampleFormat, SampleOptions};
use crate::sandbox::{start, SandboxConfig};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Working folder for the demo (batch, ledger, archive); replaced on each run.
    #[arg(long, value_name = "DIR", default_value = "mawb-demo")]
    pub dir: PathBuf,
    /// MAWB folders in the sample batch.
    #[arg(long, default_value_t = 3)]
    pub mawbs: usize,
    /// HAWBs over the batch.
    #[arg(long, default_value_t = 60)]
    pub hawbs: usize,
    /// Also add a MAWB whose items get labels from ACP (label 1, PNG).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub with_labels: bool,
    /// MAWBs sent at once.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
}

pub fn run(args: DemoArgs) -> Result<i32, String> {
    if args.dir.exists() {
        let marker = args.dir.join(".mawb-demo");
        if !marker.exists() {
            return Err(format!(
                "{} exists and was not made by `mawb demo`; pick another --dir",
                args.dir.display()
            ));
        }
        std::fs::remove_dir_all(&args.dir)
            .map_err(|e| format!("cannot clear {}: {e}", args.dir.display()))?;
    }
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| format!("cannot create {}: {e}", args.dir.display()))?;
    std::fs::write(args.dir.join(".mawb-demo"), b"made by mawb demo\n")
        .map_err(|e| e.to_string())?;
    let batch = args.dir.join("batch");
    outln!("1. writing a sample batch to {}", batch.display());
    let opts = SampleOptions {
        mawbs: args.mawbs.max(1),
        hawbs: args.hawbs.max(args.mawbs.max(1)),
        seed: 2026,
        formats: vec![SampleFormat::Xlsx, SampleFormat::Csv],
        label: 0,
    };
    generate(&batch, &opts).map_err(|e| e.to_string())?;
    if args.with_labels {
        let labelled = SampleOptions {
            mawbs: 1,
            hawbs: 12,
            seed: 2027,
            formats: vec![SampleFormat::Csv],
            label: 1,
        };
        generate(&batch, &labelled).map_err(|e| e.to_string())?;
    }

    let key = format!("demo-{:016x}", rand::random::<u64>());
    let sandbox = start(SandboxConfig::local(&key)).map_err(|e| e.to_string())?;
    outln!("2. ACP sandbox listening on {}", sandbox.endpoint());

    let state = StateArgs {
        state: args.dir.join("mawb-state.sqlite"),
        archive: args.dir.join("archive"),
    };
    let (dirs, discovered) = crate::ingest::discover(std::slice::from_ref(&batch));
    let client = Client::new(ClientConfig::new(&sandbox.endpoint(), Secret::new(key)))
        .map_err(|e| e.to_string())?;
    let ledger = Ledger::open(&state.state).map_err(|e| e.to_string())?;
    let archive = Archive::new(&state.archive);
    outln!(
        "3. running {} MAWB folder(s) against the sandbox, each sent as soon as it is checked\n",
        dirs.len()
    );
    let started = std::time::Instant::now();
    let ledger_new = ledger.is_new();
    let services = crate::flow::Services {
        client: std::sync::Arc::new(client),
        ledger: std::sync::Arc::new(ledger),
        archive: std::sync::Arc::new(archive),
        plan: PlanOptions::default(),
    };
    // The same path as `mawb run`: each MAWB checked (the ledger included) and sent in batch order.
    let (report, outcomes) = super::run::check_and_send(
        &dirs,
        discovered,
        &CheckOptions::default(),
        &services,
        args.jobs,
    )?;
    let code = super::run::finish(
        "demo",
        &report,
        &outcomes,
        Some(&args.dir.join("report.json")),
        &state,
        ledger_new,
    )?;
    outln!(
        "\nfinished in {:.1} s; JSON report: {}",
        started.elapsed().as_secs_f64(),
        args.dir.join("report.json").display()
    );
    outln!(
        "labels: {}/<MAWB>/labels.zip (index.csv beside each)",
        state.archive.display()
    );
    outln!(
        "inspect the ledger: mawb status --state {}",
        state.state.display()
    );
    sandbox.shutdown();
    Ok(code)
}
