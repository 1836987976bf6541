//! Compliance checks before anything flies, all offline: addresses (ZIP ↔ state, postal ↔ province,
//! postal-code formats), carrier tracking numbers by their check digits, dangerous goods, HTS plausibility,
//! and denied-party screening against the US Consolidated Screening List.
//!
//! A consolidator is liable for what it manifests; these checks run in `check` (and so in `prepare`, `run`
//! and `watch`) next to ACP's field rules, with stable rule codes. Each part is a file of its own:
//! [`address`], [`tracking`], [`dangerous`], [`hts`], [`screening`]. Their reference tables are data files
//! in `data/`, embedded in the binary, each headed by its source and date.
//!
//! Two checks are warnings a MAWB can turn into errors in `mawb.toml`: `strict_tracking = true` (a wrong
//! check digit) and `dangerous_goods = "refuse"`. A denied-party hit is always an error: nothing is sent
//! until a person has reviewed it (and cleared it in the allow-list when it is not the listed party).

pub mod address;
pub mod dangerous;
pub mod hts;
pub mod screening;
pub mod tracking;

use crate::ingest::columns::{Field, CONSIGNEE_FIELDS, RETURN_FIELDS, SHIPPER_FIELDS};
use crate::model::{Address, MailItem, MawbConfig};
use crate::problem::*;

/// The data lines of an embedded table: `#` comment lines and blank lines skipped, then the header line
/// skipped, fields split on tabs.
pub(crate) fn table_rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').collect())
}

/// What a MAWB's `mawb.toml` says about the compliance checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// `strict_tracking = true`.
    pub strict_tracking: bool,
    /// `dangerous_goods = "refuse"`.
    pub refuse_dangerous_goods: bool,
}

impl Policy {
    pub fn of(config: Option<&MawbConfig>) -> Policy {
        config.map_or_else(Policy::default, |c| Policy {
            strict_tracking: c.strict_tracking,
            refuse_dangerous_goods: c.refuse_dangerous_goods,
        })
    }
}

/// The per-item compliance checks (everything but screening, which works on the whole MAWB): addresses of
/// the consignee and of a given shipper or return group, the tracking number's check digit, and each
/// product line's HTS plausibility and dangerous-goods flags.
pub fn check_item(item: &MailItem, file: &str, policy: Policy) -> Vec<Problem> {
    let mut out = Vec::new();
    let at = |rule: &Rule, field: Field, row: u32, msg: String| {
        Problem::new(rule, file, msg)
            .sheet(&*item.origin.sheet)
            .at(row)
            .column(field.name())
    };
    for (address, fields) in [
        (Some(&item.consignee), CONSIGNEE_FIELDS),
        (item.shipper.as_deref(), SHIPPER_FIELDS),
        (item.return_address.as_deref(), RETURN_FIELDS),
    ] {
        let Some(a) = address else { continue };
        for (rule, field, msg) in address_problems(a, fields) {
            out.push(at(rule, field, item.row_of(field), msg));
        }
    }
    if let Some(t) = item.tracking_number.as_deref() {
        if let Some(v) = tracking::verify(t).filter(|v| !v.valid) {
            let (rule, msg) = if v.ups {
                (
                    &UPS_CHECK_DIGIT,
                    format!("UPS tracking number {t} has a wrong check digit; check it was not mistyped"),
                )
            } else {
                (&TRACKING_CHECK_DIGIT, tracking::message(t, &v))
            };
            let p = at(
                rule,
                Field::TrackingNumber,
                item.row_of(Field::TrackingNumber),
                msg,
            );
            out.push(if policy.strict_tracking {
                p.as_error()
            } else {
                p
            });
        }
    }
    for p in &item.products {
        if let Some(why) = p.hts.as_deref().and_then(hts::problem) {
            out.push(at(&HTS_PLAUSIBLE, Field::Hts, p.row, why));
        }
        let flags = dangerous::flag(p.description.as_deref(), p.hts.as_deref());
        if !flags.hits.is_empty() {
            let field = if flags.in_description {
                Field::ProductDescription
            } else {
                Field::Hts
            };
            let problem = at(&DANGEROUS_GOODS, field, p.row, dangerous::message(&flags));
            out.push(if policy.refuse_dangerous_goods {
                problem.as_error()
            } else {
                problem
            });
        }
    }
    out
}

/// The address rules of one group: the ZIP code against the state (US, its territories and military
/// codes), the Canadian postal code against the province, and the postal-code format of the country.
/// Only well-formed values are compared: a missing or malformed state, country or US ZIP is the `state`,
/// `country` and `zip-format` rules' to report.
fn address_problems(a: &Address, fields: [Field; 10]) -> Vec<(&'static Rule, Field, String)> {
    let [_, _, _, _, _, state_field, zip_field, _, _, _] = fields;
    let mut out = Vec::new();
    let (Some(country), Some(zip)) = (a.country.as_deref(), a.zip.as_deref()) else {
        return out;
    };
    if !crate::validate::codes::is_country(country) {
        return out;
    }
    let state = a.state.as_deref();
    let state_ok = match state {
        Some(s) => crate::validate::codes::valid_state_for(country, s),
        None => !crate::validate::codes::country_requires_state(country),
    };
    if address::uses_us_zips(country) && crate::validate::is_us_zip(zip) && state_ok {
        match address::zip_state_problem(country, state, zip) {
            Some(address::ZipStateProblem::OtherState { message }) => {
                let field = if country == "US" {
                    state_field
                } else {
                    zip_field
                };
                out.push((&ZIP_STATE, field, message));
            }
            Some(address::ZipStateProblem::Unassigned { message }) => {
                out.push((&ZIP_STATE, zip_field, message))
            }
            None => {}
        }
    }
    match address::postal_format_problem(country, zip) {
        Some(why) => out.push((&POSTAL_FORMAT, zip_field, why)),
        None if country == "CA" && state_ok => {
            if let Some(why) = state.and_then(|p| address::ca_province_problem(p, zip)) {
                out.push((&ZIP_STATE, state_field, why));
            }
        }
        None => {}
    }
    out
}
