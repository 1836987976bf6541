//! `mawb.toml`: the MAWB's number, user manifest id, declared weight, label settings and legs, in the
//! layout of README.md ("Folder layout").
//!
//! Written line by line, headed by a comment naming the seed; [`toml_str`] quotes every string value.

use std::fmt::Write as _;

use super::batch::MawbPlan;
use super::flights::{local_iso, Leg};
use super::SampleOptions;

/// A TOML basic string: quoted, with `"`, `\\` and control characters escaped.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The text of `mawb.toml` for `plan`: `declared_kg` in kilograms, `ymd` the first flight day as `YYYYMMDD`.
pub(super) fn mawb_toml(
    plan: &MawbPlan,
    opts: &SampleOptions,
    ymd: &str,
    declared_kg: f64,
    legs: &[Leg],
) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Sample MAWB written by `mawb samples` (seed {}).",
        opts.seed
    );
    let _ = writeln!(t, "manifest_number = {}", toml_str(&plan.manifest_number));
    let _ = writeln!(
        t,
        "user_manifest_id = {}",
        // The MAWB serial keeps the id unique across batches of other seeds, as ACP requires per account.
        toml_str(&format!("WH1-{ymd}-{}", &plan.manifest_number[4..]))
    );
    let _ = writeln!(t, "alert_email = {}", toml_str("cargo-ops@example.com"));
    let _ = writeln!(t, "declared_weight = {declared_kg:.3}");
    let _ = writeln!(t, "weight_unit = \"kg\"");
    let _ = writeln!(t, "image = \"mawb.pdf\"");
    let _ = writeln!(t, "label = {}", opts.label);
    let _ = writeln!(t, "label_format = \"PNG\"");
    let _ = writeln!(t, "create_day = true");
    for leg in legs {
        let _ = writeln!(t, "\n[[leg]]");
        let _ = writeln!(t, "departure = {}", toml_str(leg.departure));
        let _ = writeln!(
            t,
            "departure_date = {}",
            toml_str(&local_iso(leg.departure_utc_min, leg.departure))
        );
        let _ = writeln!(t, "arrival = {}", toml_str(leg.arrival));
        let _ = writeln!(
            t,
            "arrival_date = {}",
            toml_str(&local_iso(leg.arrival_utc_min, leg.arrival))
        );
        let _ = writeln!(t, "carrier = {}", toml_str(leg.carrier));
        let _ = writeln!(t, "trip = {}", toml_str(&leg.trip));
    }
    t
}
