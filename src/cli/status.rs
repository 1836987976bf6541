//! `mawb status [MAWB]`: the ledger's view: every MAWB with its state, or one MAWB's requests and labels.

use super::conn::StateArgs;
use super::{EXIT_FAILED, EXIT_OK};
use crate::ledger::Ledger;
use clap::Args;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// A MAWB number: show its requests, objects and labels.
    #[arg(value_name = "MAWB")]
    pub mawb: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub state: StateArgs,
}

pub fn run(args: StatusArgs) -> Result<i32, String> {
    if !args.state.state.exists() {
        return Err(format!(
            "no state database at {} (nothing was run here yet?)",
            args.state.state.display()
        ));
    }
    let ledger = Ledger::open(&args.state.state).map_err(|e| e.to_string())?;
    // Where this ledger's requests went: the endpoint and mode its first sending command bound it to.
    let target = ledger.target().map_err(|e| e.to_string())?;
    let sends_to = match &target {
        Some(t) => format!("ledger {} sends to {t}", args.state.state.display()),
        None => format!(
            "ledger {} has sent nothing yet (no ACP endpoint recorded)",
            args.state.state.display()
        ),
    };
    match &args.mawb {
        None => {
            let rows = ledger.all_mawbs().map_err(|e| e.to_string())?;
            if args.json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
                );
            } else {
                outln!("{sends_to}");
                outln!(
                    "{:<16} {:<12} {:<12} {:<18} {:<24} last error",
                    "MAWB",
                    "state",
                    "manifest",
                    "day",
                    "updated"
                );
                for r in &rows {
                    outln!(
                        "{:<16} {:<12} {:<12} {:<18} {:<24} {}",
                        r.mawb,
                        r.state,
                        r.manifest_id.as_deref().unwrap_or("-"),
                        r.day_id.as_deref().unwrap_or("-"),
                        r.updated,
                        r.last_error.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(EXIT_OK)
        }
        Some(m) => {
            let number =
                crate::validate::checkdigit::parse_mawb_number(m).unwrap_or_else(|_| m.clone());
            let Some(row) = ledger.mawb(&number).map_err(|e| e.to_string())? else {
                eprintln!("{number} is not in {}", args.state.state.display());
                return Ok(EXIT_FAILED);
            };
            let items = ledger.items(&number).map_err(|e| e.to_string())?;
            let bags = ledger.bags(&number).map_err(|e| e.to_string())?;
            let requests = ledger.requests(Some(&number)).map_err(|e| e.to_string())?;
            let labels = ledger.labels(&number).map_err(|e| e.to_string())?;
            if args.json {
                let v = serde_json::json!({
                    "mawb": row, "items": items.len(), "bags": bags.values().collect::<Vec<_>>(),
                    "requests": requests, "labels": labels,
                    "target": target.as_ref().map(|t| serde_json::json!({
                        "endpoint": t.endpoint, "test_mode": t.test_mode,
                    })),
                });
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
                );
            } else {
                outln!("{sends_to}");
                outln!(
                    "MAWB {}  folder {}  state {}",
                    row.mawb,
                    row.folder,
                    row.state
                );
                outln!(
                    "  manifest {}  day {}  items at ACP {}  bags {}",
                    row.manifest_id.as_deref().unwrap_or("-"),
                    row.day_id.as_deref().unwrap_or("-"),
                    items.len(),
                    bags.len()
                );
                if let Some(e) = &row.last_error {
                    outln!("  last error: {e}");
                }
                outln!("  requests:");
                for r in &requests {
                    outln!(
                        "    #{:<5} {} {:<15} {:<28} {:<16} {}",
                        r.id,
                        r.started,
                        r.command,
                        r.detail,
                        r.status,
                        r.summary.as_deref().unwrap_or("")
                    );
                }
                outln!("  labels: {}", labels.len());
            }
            Ok(EXIT_OK)
        }
    }
}
