//! `mawb samples OUT_DIR`: realistic sample batches of any size, deterministic for a seed.

use super::EXIT_OK;
use crate::samples::{generate, SampleFormat, SampleOptions};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SamplesArgs {
    /// Folder to write the batch into (one subfolder per MAWB).
    #[arg(value_name = "OUT_DIR")]
    pub out: PathBuf,
    /// Number of MAWB folders.
    #[arg(long, default_value_t = 3)]
    pub mawbs: usize,
    /// Number of HAWBs (mail items) over the whole batch.
    #[arg(long, default_value_t = 60)]
    pub hawbs: usize,
    /// Random seed: the same seed writes the same files, byte for byte.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Spreadsheet formats, cycled over the MAWB folders.
    #[arg(long, value_delimiter = ',', default_value = "xlsx,csv")]
    pub formats: Vec<String>,
    /// Label type written into mawb.toml; with a label other than 0 the items carry no tracking number.
    #[arg(long, default_value_t = 0)]
    pub label: u8,
}

pub fn run(args: SamplesArgs) -> Result<i32, String> {
    let mut formats = Vec::new();
    for f in &args.formats {
        formats.push(match f.trim().to_ascii_lowercase().as_str() {
            "xlsx" => SampleFormat::Xlsx,
            "csv" => SampleFormat::Csv,
            other => {
                return Err(format!(
                    "--formats: \"{other}\" is not a sample format (xlsx, csv)"
                ))
            }
        });
    }
    if args.mawbs == 0 || args.hawbs < args.mawbs {
        return Err("--hawbs must be at least --mawbs, and --mawbs at least 1".into());
    }
    if crate::acp::wire::label_type(args.label).is_none() {
        return Err(format!("--label {} is not an ACP label type", args.label));
    }
    let opts = SampleOptions {
        mawbs: args.mawbs,
        hawbs: args.hawbs,
        seed: args.seed,
        formats,
        label: args.label,
    };
    let summary = generate(&args.out, &opts).map_err(|e| e.to_string())?;
    let items: usize = summary.mawbs.iter().map(|m| m.items).sum();
    outln!(
        "wrote {} MAWB folder(s), {items} HAWBs, to {}",
        summary.mawbs.len(),
        args.out.display()
    );
    for m in &summary.mawbs {
        outln!("  {}  {} items, {} bags", m.dir.display(), m.items, m.bags);
    }
    Ok(EXIT_OK)
}
