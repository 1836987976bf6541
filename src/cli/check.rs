//! `mawb check PATH…`: ingest + validate + aggregate, report problems; nothing is sent.

use super::InputArgs;
use crate::check::check_dirs;
use crate::report::{write_summary, JsonReport};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// MAWB folders, or batch folders holding MAWB folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write the machine-readable report to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Show at most this many problems in the summary (the JSON report has all of them).
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_problems: usize,
    #[command(flatten)]
    pub input: InputArgs,
}

pub fn run(args: CheckArgs) -> Result<i32, String> {
    let opts = args.input.options()?;
    // Folders are discovered once: the count sizes the progress bar, the list is what is checked.
    let (dirs, discovered) = crate::ingest::discover(&args.paths);
    let bar = super::progress(dirs.len() as u64, "checking");
    let report = check_dirs(&dirs, discovered, &opts, &|| bar.inc(1));
    bar.finish_and_clear();
    let code = crate::report::check_exit_code(&report);
    let to_stdout = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if !to_stdout {
        let mut out = crate::out::Stdout;
        write_summary(&mut out, &report, args.max_problems)
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    if let Some(target) = &args.json {
        JsonReport::from_check("check", &report, code)
            .write_to(target)
            .map_err(|e| format!("cannot write the JSON report to {}: {e}", target.display()))?;
    }
    // The command ends here: freeing every item of a large batch one by one would only delay the exit
    // (about a tenth of a 100,000-HAWB check), and the process's memory goes back whole when it exits.
    std::mem::forget(report);
    Ok(code)
}
