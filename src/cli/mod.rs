//! The command line: one file per subcommand, each a thin layer that parses its flags, calls the library
//! and maps the outcome to the contract's exit codes (0 good, 1 a MAWB failed, 2 usage/configuration/I/O).

pub mod cancel;
pub mod check;
pub mod conn;
pub mod demo;
pub mod labels;
pub mod prepare;
pub mod rules;
pub mod run;
pub mod samples;
pub mod sandbox;
pub mod status;
pub mod watch;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The exit codes (the contract's), decided in `report`.
pub use crate::report::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// mawb: validates and uploads air-cargo master manifests (MAWBs) to the ACP Shipper API.
#[derive(Debug, Parser)]
#[command(name = "mawb", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log more (-v: debug, -vv: trace). Logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest, validate and aggregate MAWB folders (or batch folders of them); nothing is sent.
    Check(check::CheckArgs),
    /// Write every request a run would send for a MAWB (or a batch) to a folder for review; nothing is sent.
    Prepare(prepare::PrepareArgs),
    /// The nightly batch: every MAWB folder registered, bagged, grouped and manifested at ACP.
    Run(run::RunArgs),
    /// The drop-folder watcher: runs each MAWB folder that lands in DROP_DIR/inbox.
    Watch(watch::WatchArgs),
    /// Print-ready label files from the archive: one PDF and one EPL2 job per MAWB in packing order, packing
    /// lists per bag, reprints by tracking number or bag, optionally sent to a CUPS printer.
    Labels(labels::LabelsArgs),
    /// Show the ledger: every MAWB's state, or one MAWB's requests, objects and labels.
    Status(status::StatusArgs),
    /// Cancel one object at ACP (manifest, day, bag or item).
    Cancel(cancel::CancelArgs),
    /// A local ACP Shipper API server for tests, demos and training.
    Sandbox(sandbox::SandboxArgs),
    /// Samples + an in-process sandbox + a full run: the whole product in one command.
    Demo(demo::DemoArgs),
    /// Write realistic sample batches.
    Samples(samples::SamplesArgs),
    /// List every validation rule with its stable code.
    Rules(rules::RulesArgs),
}

/// Options of the offline stages, shared by check, prepare, run and watch.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// A columns.toml mapping other header names to mawb's columns (a folder's own columns.toml adds to it).
    #[arg(long, value_name = "FILE")]
    pub columns: Option<PathBuf>,
    /// A TOML table of USD rates (`EUR = 1.08`) for the 200/800 USD rules; adds to the built-in table.
    #[arg(long, value_name = "FILE")]
    pub rates: Option<PathBuf>,
    /// Percent by which declared_weight may differ from the HAWB total before a warning.
    #[arg(long, value_name = "PCT", default_value = "5")]
    pub weight_tolerance: rust_decimal::Decimal,
    /// Maximum data rows read from one spreadsheet.
    #[arg(long, value_name = "N", default_value_t = 500_000)]
    pub max_rows: usize,
    /// Longest time reading one spreadsheet may take before it is refused (0: no limit).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = watch::parse_seconds)]
    pub read_timeout: std::time::Duration,
    /// A denied-party list to screen every MAWB's names against: the US Consolidated Screening List CSV
    /// as published (repeat for more lists). Read when the command starts.
    #[arg(long, value_name = "FILE")]
    pub screening_list: Vec<PathBuf>,
    /// Reviewed false positives of screening: a CSV with the columns name and entry_id.
    #[arg(long, value_name = "FILE")]
    pub screening_allow: Vec<PathBuf>,
    /// The score (0 to 1) a name must reach against a listed name to be a denied-party hit.
    #[arg(long, value_name = "SCORE", default_value_t = crate::validate::compliance::screening::DEFAULT_THRESHOLD)]
    pub screening_threshold: f64,
}

impl InputArgs {
    /// The library options these flags stand for.
    pub fn options(&self) -> Result<crate::check::CheckOptions, String> {
        let mut opts = crate::check::CheckOptions::default();
        if let Some(c) = &self.columns {
            let parsed =
                crate::ingest::columns::ColumnAliases::load(c).map_err(|e| e.to_string())?;
            if !parsed.bad_lines.is_empty() {
                let lines: Vec<String> = parsed
                    .bad_lines
                    .iter()
                    .map(|b| format!("{}: {b}", c.display()))
                    .collect();
                return Err(lines.join("\n"));
            }
            opts.ingest.aliases = parsed.aliases;
        }
        if let Some(r) = &self.rates {
            opts.validate.rates =
                crate::validate::rates::Rates::load(r).map_err(|e| e.to_string())?;
        }
        if self.weight_tolerance < rust_decimal::Decimal::ZERO {
            return Err("--weight-tolerance must not be negative".into());
        }
        opts.weight_tolerance_pct = self.weight_tolerance;
        opts.validate.screening = std::sync::Arc::new(self.screening()?);
        opts.ingest.limits.max_rows = self.max_rows;
        opts.ingest.read_time_limit = Some(self.read_timeout).filter(|d| !d.is_zero());
        Ok(opts)
    }
}

impl InputArgs {
    /// The screening settings of the flags: every list and allow-list read now, so a missing or unusable
    /// file is a configuration error before any MAWB is checked.
    fn screening(&self) -> Result<crate::validate::compliance::screening::Screening, String> {
        use crate::validate::compliance::screening::{AllowList, Screening, ScreeningList};
        if !(self.screening_threshold > 0.0 && self.screening_threshold <= 1.0) {
            return Err(format!(
                "--screening-threshold {} must be a score above 0 and at most 1 (default {})",
                self.screening_threshold,
                crate::validate::compliance::screening::DEFAULT_THRESHOLD
            ));
        }
        let mut screening = Screening::default();
        screening.threshold = Some(self.screening_threshold);
        for path in &self.screening_list {
            let list = ScreeningList::load(path).map_err(|e| format!("--screening-list: {e}"))?;
            screening.lists.push(std::sync::Arc::new(list));
        }
        for path in &self.screening_allow {
            let allow = AllowList::load(path).map_err(|e| format!("--screening-allow: {e}"))?;
            screening.allow.extend(&allow);
        }
        Ok(screening)
    }
}

/// How requests are built, shared by prepare, run and watch.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Items per createMailing batch (label 0).
    #[arg(long, value_name = "N", default_value_t = crate::acp::request::DEFAULT_BATCH_ITEMS)]
    pub batch_items: usize,
    /// Always zip the manifest file (it is zipped anyway when needed to fit ACP's limits).
    #[arg(long)]
    pub zip_manifest_file: bool,
}

/// The flag of the commands that send (`run`, `watch`): what to do with objects ACP holds that this
/// ledger never sent.
#[derive(Debug, Clone, Args)]
pub struct AdoptArgs {
    /// Take over items, bags, days and manifests ACP already holds under this folder's ids although this
    /// ledger never sent them (a new or moved ledger). Without it they stop the MAWB, untouched.
    #[arg(long)]
    pub adopt: bool,
}

impl PlanArgs {
    pub fn options(&self, test_mode: bool) -> crate::plan::PlanOptions {
        crate::plan::PlanOptions {
            batch_items: self.batch_items.max(1),
            test_mode,
            zip_manifest_file: self.zip_manifest_file,
            ..Default::default()
        }
    }
}

/// Sets up logging to stderr: `RUST_LOG` wins, else `-v` levels, else info.
pub fn init_logging(verbose: u8, long_running: bool) {
    // On a terminal the progress bars of batch commands tell the story; elsewhere (cron, a service), and
    // for the long-running watcher and sandbox, one log line per step.
    let default = match verbose {
        0 if !long_running && std::io::IsTerminal::is_terminal(&std::io::stderr()) => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    init_logging(
        cli.verbose,
        matches!(cli.command, Command::Watch(_) | Command::Sandbox(_)),
    );
    let result = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Prepare(a) => prepare::run(a),
        Command::Run(a) => run::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Labels(a) => labels::run(a),
        Command::Status(a) => status::run(a),
        Command::Cancel(a) => cancel::run(a),
        Command::Sandbox(a) => sandbox::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Samples(a) => samples::run(a),
        Command::Rules(a) => rules::run(a),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("mawb: error: {msg}");
            EXIT_USAGE
        }
    }
}

/// A progress bar on a terminal, hidden otherwise (indicatif draws only when stderr is a terminal).
pub fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} {elapsed}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}
