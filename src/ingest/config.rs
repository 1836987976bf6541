//! `mawb.toml`: the MAWB's number, flight legs and options.
//!
//! Read key by key rather than through a derived struct, so every mistake becomes a problem naming the key
//! (the `column` of the report) instead of one opaque deserialisation error, and all of them are reported
//! at once.

use crate::acp::wire::{label_type, LabelFormat, LabelSize};
use crate::model::checkdigit::{parse_mawb_number, MawbNumberError};
use crate::model::codes::{is_email, is_iata_airport};
use crate::model::dates::parse_leg_date;
use crate::model::{Decimal, Leg, MawbConfig, WeightUnit};
use crate::problem::*;
use std::path::Path;
use std::str::FromStr;

/// The file name of the MAWB settings in a MAWB folder.
pub const MAWB_TOML: &str = "mawb.toml";

const KNOWN_KEYS: &[&str] = &[
    "manifest_number",
    "user_manifest_id",
    "alert_email",
    "declared_weight",
    "weight_unit",
    "image",
    "label",
    "label_format",
    "label_size",
    "create_day",
    "bag_labels",
    "day_label",
    "print_ready",
    "airport",
    "express_clearance",
    "ddp",
    "hidden_sheets",
    "hidden_rows",
    "hidden_columns",
    "strict_tracking",
    "dangerous_goods",
    "screening_list",
    "screening_allow",
    "leg",
];

const LEG_KEYS: &[&str] = &[
    "departure",
    "departure_date",
    "arrival",
    "arrival_date",
    "carrier",
    "trip",
];

/// The message of an unknown key: the nearest key of the same table when one is close enough (a typo), or
/// where the key belongs when it is a key of the other table (a MAWB key written below a `[[leg]]` header
/// belongs to that leg in TOML; a leg key above the first `[[leg]]` belongs to the MAWB).
fn unknown_key_message(key: &str, here: &[&str], other: &[&str], leg: Option<usize>) -> String {
    let place = match leg {
        Some(n) => format!("leg {n}: unknown key \"{key}\""),
        None => format!("unknown key \"{key}\""),
    };
    if other.contains(&key) && key != "leg" {
        return match leg {
            Some(_) => format!(
                "{place}: {key} is a MAWB setting, but a key written below a [[leg]] header belongs to that leg; move it above the first [[leg]]"
            ),
            None => format!("{place}: {key} is a flight leg key; put it in a [[leg]] table"),
        };
    }
    match did_you_mean(key, here) {
        Some(near) => format!("{place}: did you mean `{near}`? (fix or remove it; nothing is sent while mawb.toml has an unknown key)"),
        None => format!(
            "{place}: mawb does not know it (known keys: {}); fix or remove it, nothing is sent while mawb.toml has an unknown key",
            here.join(", ")
        ),
    }
}

/// The known key nearest to `key`, when it is near enough to be what was meant.
fn did_you_mean<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let lower = key.to_ascii_lowercase().replace('-', "_");
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(&lower, k), *k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// Reads and checks `mawb.toml` in `dir`. Returns `None` when the file is missing, unreadable, or lacks a
/// usable manifest number; every problem found is pushed to `problems`.
pub fn read_config(dir: &Path, problems: &mut Vec<Problem>) -> Option<MawbConfig> {
    let path = dir.join(MAWB_TOML);
    let text = match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                problems.push(Problem::new(
                    &MAWB_TOML_INVALID,
                    MAWB_TOML,
                    "mawb.toml is not UTF-8 text",
                ));
                return None;
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let inner = super::mawb_toml_subfolders(dir);
            let message = if inner.is_empty() {
                format!(
                    "{} has no mawb.toml: create one with at least manifest_number and one [[leg]] (see README)",
                    dir.display()
                )
            } else {
                format!(
                    "{} has no mawb.toml of its own but holds {} MAWB folder(s) ({}): it is a batch, not one MAWB; give (or drop into a watch inbox) each MAWB folder on its own",
                    dir.display(),
                    inner.len(),
                    inner.join(", ")
                )
            };
            problems.push(Problem::new(&MAWB_TOML_MISSING, MAWB_TOML, message));
            return None;
        }
        Err(e) => {
            problems.push(Problem::new(
                &MAWB_TOML_INVALID,
                MAWB_TOML,
                format!("cannot read mawb.toml: {e}"),
            ));
            return None;
        }
    };
    parse_config(&text, problems)
}

/// Parses the text of a `mawb.toml` (see [`read_config`]).
pub fn parse_config(text: &str, problems: &mut Vec<Problem>) -> Option<MawbConfig> {
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let mut p = Problem::new(
                &MAWB_TOML_INVALID,
                MAWB_TOML,
                format!("not valid TOML: {}", e.message()),
            );
            if let Some(span) = e.span() {
                let line = text[..span.start.min(text.len())].matches('\n').count() as u32 + 1;
                p = p.at(line);
            }
            problems.push(p);
            return None;
        }
    };
    let mut r = KeyReader { problems };
    for key in table.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            r.problems.push(
                Problem::new(
                    &MAWB_TOML_UNKNOWN_KEY,
                    MAWB_TOML,
                    unknown_key_message(key, KNOWN_KEYS, LEG_KEYS, None),
                )
                .column(key.clone()),
            );
        }
    }

    let manifest_number = match r.string(&table, "manifest_number") {
        None => {
            r.problems.push(
                Problem::new(
                    &REQUIRED,
                    MAWB_TOML,
                    "manifest_number is required (e.g. \"112-44995451\")",
                )
                .column("manifest_number"),
            );
            None
        }
        Some(n) => match parse_mawb_number(&n) {
            Ok(canonical) => Some(canonical),
            Err(MawbNumberError::Shape) => {
                r.problems.push(
                    Problem::new(
                        &MAWB_NUMBER,
                        MAWB_TOML,
                        format!("\"{n}\" is not a MAWB number: 3-digit airline prefix, optional dash, 8 digits"),
                    )
                    .column("manifest_number"),
                );
                None
            }
            Err(MawbNumberError::CheckDigit { expected, found }) => {
                r.problems.push(
                    Problem::new(
                        &MAWB_NUMBER,
                        MAWB_TOML,
                        format!(
                            "\"{n}\": check digit is {found} but the serial modulo 7 is {expected}; check the number on the MAWB"
                        ),
                    )
                    .column("manifest_number"),
                );
                None
            }
        },
    };

    let user_manifest_id = r.string(&table, "user_manifest_id");
    if let Some(u) = &user_manifest_id {
        r.check_len("user_manifest_id", u, 50);
    }
    let alert_email = r.string(&table, "alert_email");
    if let Some(e) = &alert_email {
        if !is_email(e) {
            r.problems.push(
                Problem::new(
                    &EMAIL,
                    MAWB_TOML,
                    format!("alert_email \"{e}\" is not a valid e-mail address"),
                )
                .column("alert_email"),
            );
        }
    }
    let weight_unit = match r.string(&table, "weight_unit") {
        None => WeightUnit::Kg,
        Some(u) => WeightUnit::parse(&u).unwrap_or_else(|| {
            r.problems.push(
                Problem::new(
                    &MAWB_TOML_INVALID,
                    MAWB_TOML,
                    format!("weight_unit \"{u}\" must be \"kg\" or \"lb\""),
                )
                .column("weight_unit"),
            );
            WeightUnit::Kg
        }),
    };
    let declared_weight = r.decimal(&table, "declared_weight");
    if let Some(w) = declared_weight {
        if w <= Decimal::ZERO {
            r.problems.push(
                Problem::new(
                    &NOT_POSITIVE,
                    MAWB_TOML,
                    format!("declared_weight {w} must be greater than zero"),
                )
                .column("declared_weight"),
            );
        } else if w.normalize().scale() > 3 {
            // ACP takes userDefinedWeight with 3 decimals: a finer weight would be sent rounded.
            r.problems.push(
                Problem::new(
                    &MAWB_TOML_INVALID,
                    MAWB_TOML,
                    format!(
                        "declared_weight {w} has more than 3 decimals, and ACP takes the shipment's weight to 3 (userDefinedWeight): write it with at most 3 decimals ({} would be sent)",
                        w.round_dp(3)
                    ),
                )
                .column("declared_weight"),
            );
        }
    }
    let image = r.string(&table, "image");
    let label = match r.integer(&table, "label") {
        None => 0,
        Some(n) => match u8::try_from(n).ok().and_then(label_type) {
            Some(t) => t.code,
            None => {
                r.problems.push(
                    Problem::new(
                        &LABEL_TYPE,
                        MAWB_TOML,
                        format!(
                            "label {n} is not an ACP label type ({})",
                            crate::model::label::label_codes()
                        ),
                    )
                    .column("label"),
                );
                0
            }
        },
    };
    let label_format = match r.string(&table, "label_format") {
        None => LabelFormat::Png,
        Some(f) => LabelFormat::parse(&f).unwrap_or_else(|| {
            r.problems.push(
                Problem::new(
                    &LABEL_TYPE,
                    MAWB_TOML,
                    format!("label_format \"{f}\" must be PNG, PDF or EPL2"),
                )
                .column("label_format"),
            );
            LabelFormat::Png
        }),
    };
    let label_size = r.string(&table, "label_size").and_then(|s| {
        let parsed = LabelSize::parse(&s);
        if parsed.is_none() {
            r.problems.push(
                Problem::new(
                    &LABEL_TYPE,
                    MAWB_TOML,
                    format!("label_size \"{s}\" must be \"4x6\" or \"4x4\""),
                )
                .column("label_size"),
            );
        }
        parsed
    });
    let create_day = r.boolean(&table, "create_day").unwrap_or(false);
    let bag_labels = r.boolean(&table, "bag_labels").unwrap_or(false);
    let day_label = r.boolean(&table, "day_label").unwrap_or(false);
    let print_ready = r.boolean(&table, "print_ready").unwrap_or(false);
    let express_clearance = r.boolean(&table, "express_clearance");
    let ddp = r.boolean(&table, "ddp");
    let airport = r.string(&table, "airport");
    if let Some(a) = &airport {
        if !is_iata_airport(a) {
            r.problems.push(
                Problem::new(
                    &AIRPORT,
                    MAWB_TOML,
                    format!("airport \"{a}\" is not a 3-letter IATA code"),
                )
                .column("airport"),
            );
        }
    }
    let legs = r.legs(&table);
    let read_hidden_sheets = r.skip_or_read(&table, "hidden_sheets");
    let read_hidden_rows = r.skip_or_read(&table, "hidden_rows");
    let read_hidden_columns = r.skip_or_read(&table, "hidden_columns");
    let strict_tracking = r.boolean(&table, "strict_tracking").unwrap_or(false);
    let refuse_dangerous_goods = r.warn_or_refuse(&table, "dangerous_goods");
    let screening_list = r.string(&table, "screening_list");
    let screening_allow = r.string(&table, "screening_allow");

    manifest_number.map(|manifest_number| MawbConfig {
        manifest_number,
        user_manifest_id,
        alert_email,
        declared_weight,
        weight_unit,
        image,
        label,
        label_format,
        label_size,
        create_day,
        bag_labels,
        day_label,
        print_ready,
        airport,
        express_clearance,
        ddp,
        legs,
        read_hidden_sheets,
        read_hidden_rows,
        read_hidden_columns,
        strict_tracking,
        refuse_dangerous_goods,
        screening_list,
        screening_allow,
    })
}

struct KeyReader<'p> {
    problems: &'p mut Vec<Problem>,
}

impl KeyReader<'_> {
    fn wrong_type(&mut self, key: &str, want: &str) {
        self.problems.push(
            Problem::new(
                &MAWB_TOML_INVALID,
                MAWB_TOML,
                format!("{key} must be {want}"),
            )
            .column(key.to_string()),
        );
    }

    fn string(&mut self, t: &toml::Table, key: &str) -> Option<String> {
        match t.get(key)? {
            toml::Value::String(s) if s.trim().is_empty() => None,
            toml::Value::String(s) => Some(s.trim().to_string()),
            toml::Value::Integer(i) if key == "trip" => Some(i.to_string()),
            _ => {
                self.wrong_type(key, "a string in quotes");
                None
            }
        }
    }

    /// A `"skip"` / `"read"` choice (hidden sheets and rows); `true` for `"read"`, `"skip"` by default.
    fn skip_or_read(&mut self, t: &toml::Table, key: &str) -> bool {
        match self
            .string(t, key)
            .map(|s| s.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("skip") => false,
            Some("read") => true,
            Some(other) => {
                self.problems.push(
                    Problem::new(
                        &MAWB_TOML_INVALID,
                        MAWB_TOML,
                        format!("{key} \"{other}\" must be \"skip\" (the default: only what the spreadsheet shows) or \"read\""),
                    )
                    .column(key),
                );
                false
            }
        }
    }

    /// A `"warn"` / `"refuse"` choice (dangerous goods); `true` for `"refuse"`, `"warn"` by default.
    fn warn_or_refuse(&mut self, t: &toml::Table, key: &str) -> bool {
        match self
            .string(t, key)
            .map(|s| s.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("warn") => false,
            Some("refuse") => true,
            Some(other) => {
                self.problems.push(
                    Problem::new(
                        &MAWB_TOML_INVALID,
                        MAWB_TOML,
                        format!("{key} \"{other}\" must be \"warn\" (the default: a warning naming the product line) or \"refuse\" (an error: nothing is sent)"),
                    )
                    .column(key),
                );
                false
            }
        }
    }

    fn integer(&mut self, t: &toml::Table, key: &str) -> Option<i64> {
        match t.get(key)? {
            toml::Value::Integer(i) => Some(*i),
            toml::Value::String(s) => match s.trim().parse() {
                Ok(i) => Some(i),
                Err(_) => {
                    self.wrong_type(key, "a whole number");
                    None
                }
            },
            _ => {
                self.wrong_type(key, "a whole number");
                None
            }
        }
    }

    fn decimal(&mut self, t: &toml::Table, key: &str) -> Option<Decimal> {
        let parsed = match t.get(key)? {
            toml::Value::Integer(i) => Some(Decimal::from(*i)),
            // TOML floats are read back through their shortest text so 56.1 stays 56.1, not 56.0999…
            toml::Value::Float(f) if f.is_finite() => Decimal::from_str(&f.to_string()).ok(),
            toml::Value::String(s) => Decimal::from_str(s.trim()).ok(),
            _ => None,
        };
        match (parsed, t.get(key)) {
            (None, Some(toml::Value::Float(f))) if f.is_finite() => self.problems.push(
                Problem::new(
                    &MAWB_TOML_INVALID,
                    MAWB_TOML,
                    format!("{key} {f:e} is too large: give a number of at most 28 digits"),
                )
                .column(key.to_string()),
            ),
            (None, _) => self.wrong_type(key, "a number"),
            _ => {}
        }
        parsed
    }

    fn boolean(&mut self, t: &toml::Table, key: &str) -> Option<bool> {
        match t.get(key)? {
            toml::Value::Boolean(b) => Some(*b),
            toml::Value::Integer(0) => Some(false),
            toml::Value::Integer(1) => Some(true),
            _ => {
                self.wrong_type(key, "true or false");
                None
            }
        }
    }

    fn check_len(&mut self, key: &str, value: &str, max: usize) {
        let n = value.chars().count();
        if n > max {
            self.problems.push(
                Problem::new(
                    &TOO_LONG,
                    MAWB_TOML,
                    format!("{key} has {n} characters; ACP allows {max}"),
                )
                .column(key.to_string()),
            );
        }
    }

    fn legs(&mut self, t: &toml::Table) -> Vec<Leg> {
        let raw = match t.get("leg") {
            None => {
                self.problems.push(
                    Problem::new(
                        &LEG_MISSING,
                        MAWB_TOML,
                        "add at least one [[leg]] with departure, arrival, dates, carrier and trip",
                    )
                    .column("leg"),
                );
                return Vec::new();
            }
            Some(toml::Value::Array(a)) => a,
            Some(_) => {
                self.wrong_type("leg", "an array of tables ([[leg]])");
                return Vec::new();
            }
        };
        let mut legs = Vec::new();
        for (i, v) in raw.iter().enumerate() {
            let n = i + 1;
            let Some(lt) = v.as_table() else {
                self.wrong_type("leg", "an array of tables ([[leg]])");
                continue;
            };
            for key in lt.keys() {
                if !LEG_KEYS.contains(&key.as_str()) {
                    self.problems.push(
                        Problem::new(
                            &MAWB_TOML_UNKNOWN_KEY,
                            MAWB_TOML,
                            unknown_key_message(key, LEG_KEYS, KNOWN_KEYS, Some(n)),
                        )
                        .column(format!("leg.{key}")),
                    );
                }
            }
            let mut field = |key: &str| -> String {
                match self.string(lt, key) {
                    Some(s) => s,
                    None => {
                        self.problems.push(
                            Problem::new(
                                &REQUIRED,
                                MAWB_TOML,
                                format!("leg {n}: {key} is required"),
                            )
                            .column(format!("leg.{key}")),
                        );
                        String::new()
                    }
                }
            };
            let leg = Leg {
                departure: field("departure"),
                departure_date: field("departure_date"),
                arrival: field("arrival"),
                arrival_date: field("arrival_date"),
                carrier: field("carrier"),
                trip: field("trip"),
            };
            for (key, code) in [("departure", &leg.departure), ("arrival", &leg.arrival)] {
                if !code.is_empty() && !is_iata_airport(code) {
                    self.problems.push(
                        Problem::new(&AIRPORT, MAWB_TOML, format!("leg {n}: {key} \"{code}\" is not a 3-letter IATA airport code (upper case)"))
                            .column(format!("leg.{key}")),
                    );
                }
            }
            if !leg.carrier.is_empty()
                && (!(2..=3).contains(&leg.carrier.len())
                    || !leg
                        .carrier
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
            {
                self.problems.push(
                    Problem::new(&LEG_FORMAT, MAWB_TOML, format!("leg {n}: carrier \"{}\" is not a 2- or 3-character airline code (upper case, e.g. AA)", leg.carrier))
                        .column("leg.carrier"),
                );
            }
            if !leg.trip.is_empty()
                && (leg.trip.len() > 10 || !leg.trip.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                self.problems.push(
                    Problem::new(&LEG_FORMAT, MAWB_TOML, format!("leg {n}: trip \"{}\" must be 1 to 10 letters and digits (the flight number without the carrier)", leg.trip))
                        .column("leg.trip"),
                );
            }
            let mut date = |key: &str, text: &str| {
                if text.is_empty() {
                    return None;
                }
                let parsed = parse_leg_date(text);
                if parsed.is_none() {
                    self.problems.push(
                        Problem::new(&LEG_DATE, MAWB_TOML, format!("leg {n}: {key} \"{text}\" is not yyyy-mm-ddThh:mm:ss with an optional offset such as -08:00"))
                            .column(format!("leg.{key}")),
                    );
                }
                parsed
            };
            let dep = date("departure_date", &leg.departure_date);
            let arr = date("arrival_date", &leg.arrival_date);
            if let (Some(d), Some(a)) = (dep, arr) {
                if a <= d {
                    self.problems.push(
                        Problem::new(
                            &LEG_ORDER,
                            MAWB_TOML,
                            format!(
                                "leg {n}: arrives ({}) before or when it departs ({})",
                                leg.arrival_date, leg.departure_date
                            ),
                        )
                        .column("leg.arrival_date"),
                    );
                }
            }
            if let Some(prev) = legs.last() {
                let prev: &Leg = prev;
                if !prev.arrival.is_empty()
                    && !leg.departure.is_empty()
                    && prev.arrival != leg.departure
                {
                    self.problems.push(
                        Problem::new(
                            &LEG_SEQUENCE,
                            MAWB_TOML,
                            format!(
                                "leg {n} departs from {} but leg {} arrived at {}",
                                leg.departure,
                                n - 1,
                                prev.arrival
                            ),
                        )
                        .column("leg.departure"),
                    );
                }
                if let (Some(prev_arr), Some(d)) = (parse_leg_date(&prev.arrival_date), dep) {
                    if d < prev_arr {
                        self.problems.push(
                            Problem::new(
                                &LEG_SEQUENCE,
                                MAWB_TOML,
                                format!("leg {n} departs before leg {} arrives", n - 1),
                            )
                            .column("leg.departure_date"),
                        );
                    }
                }
            }
            legs.push(leg);
        }
        if legs.is_empty() && !raw.is_empty() {
            return legs;
        }
        if raw.is_empty() {
            self.problems
                .push(Problem::new(&LEG_MISSING, MAWB_TOML, "[[leg]] list is empty").column("leg"));
        }
        legs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
manifest_number = "112-44995451"
user_manifest_id = "WH1-20261124-01"
alert_email = "ops@example.com"
declared_weight = 56.0
weight_unit = "kg"
image = "mawb.pdf"
label = 0
label_format = "PNG"
create_day = true

[[leg]]
departure = "LAX"
departure_date = "2026-11-24T10:00:00-08:00"
arrival = "JFK"
arrival_date = "2026-11-24T18:40:00-05:00"
carrier = "AA"
trip = "123"
"#;

    fn parse(text: &str) -> (Option<MawbConfig>, Vec<Problem>) {
        let mut p = Vec::new();
        let c = parse_config(text, &mut p);
        (c, p)
    }

    #[test]
    fn print_ready_is_read_and_defaults_to_off() {
        let (c, p) = parse(GOOD);
        assert!(p.is_empty(), "{p:?}");
        assert!(!c.unwrap().print_ready);
        let (c, p) =
            parse(&GOOD.replace("create_day = true", "create_day = true\nprint_ready = true"));
        assert!(p.is_empty(), "{p:?}");
        assert!(c.unwrap().print_ready);
        let (_, p) = parse(&GOOD.replace(
            "create_day = true",
            "create_day = true\nprint_ready = \"yes\"",
        ));
        assert!(
            p.iter()
                .any(|p| p.is_error() && p.column.as_deref() == Some("print_ready")),
            "{p:?}"
        );
        let (_, p) =
            parse(&GOOD.replace("create_day = true", "create_day = true\nprint_redy = true"));
        assert!(
            p.iter()
                .any(|p| p.message.contains("did you mean `print_ready`?")),
            "{p:?}"
        );
    }

    #[test]
    fn a_misspelt_key_is_an_error_naming_the_nearest_key() {
        let (_, p) = parse(&GOOD.replace("create_day = true", "create_days = true"));
        let unknown: Vec<&Problem> = p
            .iter()
            .filter(|p| p.code == MAWB_TOML_UNKNOWN_KEY.code)
            .collect();
        assert_eq!(unknown.len(), 1, "{p:?}");
        assert!(unknown[0].is_error());
        assert_eq!(unknown[0].column.as_deref(), Some("create_days"));
        assert!(
            unknown[0].message.contains("did you mean `create_day`?"),
            "{}",
            unknown[0].message
        );
    }

    #[test]
    fn a_misspelt_leg_key_names_the_leg_and_the_nearest_key() {
        let (_, p) =
            parse(&GOOD.replace("carrier = \"AA\"", "carrier = \"AA\"\ntrip_number = \"1\""));
        let u = p
            .iter()
            .find(|p| p.code == MAWB_TOML_UNKNOWN_KEY.code)
            .expect("an unknown-key problem");
        assert!(u.is_error());
        assert_eq!(u.column.as_deref(), Some("leg.trip_number"));
        assert!(u.message.starts_with("leg 1: "), "{}", u.message);
        assert!(u.message.contains("did you mean `trip`?"), "{}", u.message);
    }

    #[test]
    fn a_mawb_key_below_a_leg_header_says_where_it_belongs() {
        let (_, p) = parse(&format!("{GOOD}bag_labels = true\n"));
        let u = p
            .iter()
            .find(|p| p.code == MAWB_TOML_UNKNOWN_KEY.code)
            .expect("an unknown-key problem");
        assert_eq!(u.column.as_deref(), Some("leg.bag_labels"));
        assert!(
            u.message.contains("move it above the first [[leg]]"),
            "{}",
            u.message
        );
    }

    #[test]
    fn a_key_far_from_every_known_one_lists_the_known_keys() {
        let (_, p) = parse(&format!("colour = \"red\"\n{GOOD}"));
        let u = p
            .iter()
            .find(|p| p.code == MAWB_TOML_UNKNOWN_KEY.code)
            .expect("an unknown-key problem");
        assert!(!u.message.contains("did you mean"), "{}", u.message);
        assert!(
            u.message.contains("known keys: manifest_number"),
            "{}",
            u.message
        );
    }

    #[test]
    fn reads_the_contract_example() {
        let (c, p) = parse(GOOD);
        assert!(p.is_empty(), "{p:?}");
        let c = c.unwrap();
        assert_eq!(c.manifest_number, "112-44995451");
        assert_eq!(c.declared_weight, Some(Decimal::from(56)));
        assert!(c.create_day);
        assert_eq!(c.legs.len(), 1);
        assert_eq!(c.legs[0].carrier, "AA");
    }

    #[test]
    fn a_declared_weight_finer_than_the_gram_is_refused_naming_what_would_be_sent() {
        for (given, refused) in [
            ("2.52049", true),
            ("\"2.5205\"", true),
            ("2.520", false),
            ("2.5200000", false),
            ("56", false),
        ] {
            let (_, p) = parse(&GOOD.replace(
                "declared_weight = 56.0",
                &format!("declared_weight = {given}"),
            ));
            let found: Vec<&Problem> = p
                .iter()
                .filter(|p| p.column.as_deref() == Some("declared_weight"))
                .collect();
            assert_eq!(found.len(), usize::from(refused), "{given}: {p:?}");
            if let Some(f) = found.first() {
                assert_eq!(f.code, MAWB_TOML_INVALID.code);
                assert!(f.message.contains("2.52"), "{}", f.message);
            }
        }
    }

    #[test]
    fn a_declared_weight_too_large_for_a_decimal_says_so() {
        let (_, p) = parse(&GOOD.replace("declared_weight = 56.0", "declared_weight = 1e308"));
        let found: Vec<&Problem> = p
            .iter()
            .filter(|p| p.column.as_deref() == Some("declared_weight"))
            .collect();
        assert_eq!(found.len(), 1, "{p:?}");
        assert!(
            found[0].message.contains("too large"),
            "{}",
            found[0].message
        );
        let (_, p) = parse(&GOOD.replace("declared_weight = 56.0", "declared_weight = \"heavy\""));
        assert!(
            p.iter()
                .any(|p| p.message == "declared_weight must be a number"),
            "{p:?}"
        );
    }

    #[test]
    fn rejects_a_wrong_check_digit_naming_the_key() {
        let (c, p) = parse(&GOOD.replace("112-44995451", "112-44995452"));
        assert!(c.is_none());
        assert_eq!(p[0].code, "mawb-number");
        assert_eq!(p[0].column.as_deref(), Some("manifest_number"));
    }

    #[test]
    fn broken_toml_names_the_line() {
        let (c, p) = parse("manifest_number = \"112-44995451\"\nlabel = = 3\n");
        assert!(c.is_none());
        assert_eq!(p[0].code, "mawb-toml-invalid");
        assert_eq!(p[0].row, Some(2));
    }

    #[test]
    fn a_leg_arriving_before_departure_is_an_error() {
        let text = GOOD.replace("2026-11-24T18:40:00-05:00", "2026-11-24T12:00:00-05:00");
        let (_, p) = parse(&text);
        assert!(p.iter().any(|p| p.code == "leg-order"), "{p:?}");
    }

    #[test]
    fn bad_airports_dates_and_labels_are_each_reported() {
        let text = GOOD
            .replace("\"LAX\"", "\"LA\"")
            .replace("2026-11-24T10:00:00-08:00", "24/11/2026 10:00")
            .replace("label = 0", "label = 7");
        let (_, p) = parse(&text);
        let codes: Vec<_> = p.iter().map(|p| p.code).collect();
        assert!(codes.contains(&"airport"), "{codes:?}");
        assert!(codes.contains(&"leg-date"), "{codes:?}");
        assert!(codes.contains(&"label-type"), "{codes:?}");
    }

    #[test]
    fn missing_legs_and_number_are_required() {
        let (c, p) = parse("alert_email = \"nope\"\n");
        assert!(c.is_none());
        let codes: Vec<_> = p.iter().map(|p| p.code).collect();
        assert!(codes.contains(&"required"));
        assert!(codes.contains(&"leg-missing"));
        assert!(codes.contains(&"email"));
    }
}
