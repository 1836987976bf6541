//! `mawb rules`: every rule with its stable code, severity and stage; `--columns` lists the columns.

use super::EXIT_OK;
use crate::ingest::columns::Field;
use crate::problem::RULES;
use clap::Args;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// List the canonical HAWB column names instead.
    #[arg(long)]
    pub columns: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: RulesArgs) -> Result<i32, String> {
    if args.columns {
        let cols: Vec<(&str, &str)> = Field::ALL
            .iter()
            .map(|f| (f.name(), if f.is_item_level() { "item" } else { "product" }))
            .collect();
        if args.json {
            let v: Vec<_> = cols
                .iter()
                .map(|(n, l)| serde_json::json!({"column": n, "level": l}))
                .collect();
            outln!("{}", serde_json::Value::Array(v));
        } else {
            for (n, l) in cols {
                outln!("{n:<20} {l}");
            }
        }
        return Ok(EXIT_OK);
    }
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(RULES).map_err(|e| e.to_string())?
        );
    } else {
        outln!(
            "{:<28} {:<8} {:<10} what it checks",
            "code",
            "severity",
            "stage"
        );
        for r in RULES {
            outln!(
                "{:<28} {:<8} {:<10} {}",
                r.code,
                r.severity.as_str(),
                r.stage,
                r.summary
            );
        }
    }
    Ok(EXIT_OK)
}
