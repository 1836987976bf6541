//! `mawb prepare PATH --out DIR`: everything up to the createManifest payload, written for review.

use super::{InputArgs, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::check::check_paths;
use crate::prepare::{out_dir_for, prepare_all};
use crate::report::{write_summary, JsonReport};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// One MAWB folder, or a batch folder (then one subfolder of DIR per MAWB).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Where to write the requests.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write the machine-readable report to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Mark the requests as test mode (testMode=1).
    #[arg(long, env = "ACP_TEST_MODE", value_parser = clap::builder::BoolishValueParser::new(), default_value = "false")]
    pub test_mode: bool,
    #[command(flatten)]
    pub plan: super::PlanArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

pub fn run(args: PrepareArgs) -> Result<i32, String> {
    let opts = args.input.options()?;
    let plan = args.plan.options(args.test_mode);
    let batch = !crate::ingest::is_mawb_folder(&args.path);
    let mut report = check_paths(std::slice::from_ref(&args.path), &opts, &|| {});
    let mut code = if report.problems.iter().any(|p| p.is_error()) {
        EXIT_USAGE
    } else {
        EXIT_OK
    };
    let to_stdout = args.json.as_deref().is_some_and(|p| p.as_os_str() == "-");
    let mut outcomes = Vec::new();
    let results = prepare_all(&report.mawbs, &args.path, &args.out, batch, &plan)
        .map_err(|e| format!("nothing was prepared: {e}"))?;
    for (m, result) in report.mawbs.iter_mut().zip(results) {
        let dir = out_dir_for(&args.out, m, batch);
        match result {
            None => {
                code = code.max(EXIT_FAILED);
                outcomes.push(
                    serde_json::json!({"status": "refused", "reason": "the MAWB has errors"}),
                );
            }
            Some(Ok(s)) => {
                if !to_stdout {
                    outln!(
                        "{}: {} requests written to {} (createManifest data {} of {} bytes, image {} bytes, file {} as {})",
                        s.manifest_number,
                        s.requests.len(),
                        dir.display(),
                        s.data.bytes,
                        s.data.limit,
                        s.image.bytes,
                        s.file.bytes,
                        s.manifest_file
                    );
                    if s.placeholders > 0 {
                        outln!("  {} unit id(s) are assigned by ACP at run time and appear as {{...}} placeholders", s.placeholders);
                    }
                }
                outcomes.push(serde_json::json!({"status": "prepared", "summary": s}));
            }
            Some(Err(e)) => {
                code = code.max(EXIT_FAILED);
                let p = crate::problem::Problem::new(
                    &crate::problem::PAYLOAD_BUDGET,
                    m.mawb.display_name(),
                    e.to_string(),
                );
                if !to_stdout {
                    eprintln!("{}: not prepared: {e}", m.mawb.display_name());
                }
                m.problems.push(p);
                outcomes.push(serde_json::json!({"status": "refused", "reason": e.to_string()}));
            }
        }
    }
    if !to_stdout {
        let mut out = crate::out::Stdout;
        write_summary(&mut out, &report, 200)
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    if let Some(target) = &args.json {
        let mut json = JsonReport::from_check("prepare", &report, code);
        for (m, o) in json.mawbs.iter_mut().zip(outcomes) {
            m.outcome = Some(o);
        }
        json.write_to(target)
            .map_err(|e| format!("cannot write the JSON report to {}: {e}", target.display()))?;
    }
    // As in `check`: the command ends here, and freeing every item of a large batch one by one would
    // only delay the exit; the process's memory goes back whole when it exits.
    std::mem::forget(report);
    Ok(code)
}
