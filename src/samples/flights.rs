//! Flights: the airlines that issue sample MAWBs, their hubs and feeders, the US gateways, and the 1 to 3
//! legs of each MAWB with local departure and arrival times.
//!
//! Times are kept as UTC minutes since 1970-01-01 and written in the airport's local time with its
//! offset, so legs stay in order whatever the time zones. Dates use Howard Hinnant's public-domain
//! `days_from_civil` / `civil_from_days` integer algorithms (<https://howardhinnant.github.io/date_algorithms.html>);
//! `days_from_civil` is a `const fn`, so the first flight day is a constant.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::pick;

/// An airline that issues MAWBs: its IATA prefix (the 3 digits before the dash), carrier code and hub,
/// and the forwarders that ship with it.
pub(super) struct Airline {
    pub(super) prefix: &'static str,
    pub(super) carrier: &'static str,
    hub: &'static str,
    europe: bool,
    pub(super) shippers: &'static [&'static str],
}

const ASIA_SHIPPERS: &[&str] = &[
    "Pacific Bridge Logistics Co., Ltd.",
    "Pearl River Express Cargo Ltd.",
    "Han River Air Forwarding Co.",
    "Formosa Parcel Consolidators Inc.",
];
const EU_SHIPPERS: &[&str] = &[
    "EuroLink Freight GmbH",
    "Rhine Valley Consolidators B.V.",
    "Atlantic Gateway Logistics Ltd.",
];

pub(super) const AIRLINES: &[Airline] = &[
    Airline {
        prefix: "112",
        carrier: "CK",
        hub: "PVG",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "781",
        carrier: "MU",
        hub: "PVG",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "784",
        carrier: "CZ",
        hub: "CAN",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "999",
        carrier: "CA",
        hub: "PEK",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "160",
        carrier: "CX",
        hub: "HKG",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "180",
        carrier: "KE",
        hub: "ICN",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "988",
        carrier: "OZ",
        hub: "ICN",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "205",
        carrier: "NH",
        hub: "NRT",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "297",
        carrier: "CI",
        hub: "TPE",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "695",
        carrier: "BR",
        hub: "TPE",
        europe: false,
        shippers: ASIA_SHIPPERS,
    },
    Airline {
        prefix: "020",
        carrier: "LH",
        hub: "FRA",
        europe: true,
        shippers: EU_SHIPPERS,
    },
    Airline {
        prefix: "057",
        carrier: "AF",
        hub: "CDG",
        europe: true,
        shippers: EU_SHIPPERS,
    },
    Airline {
        prefix: "074",
        carrier: "KL",
        hub: "AMS",
        europe: true,
        shippers: EU_SHIPPERS,
    },
    Airline {
        prefix: "125",
        carrier: "BA",
        hub: "LHR",
        europe: true,
        shippers: EU_SHIPPERS,
    },
];

const ASIA_FEEDERS: &[&str] = &["SZX", "XMN", "CAN", "PVG", "HKG", "SGN", "TAO"];
const EU_FEEDERS: &[&str] = &["MUC", "LGG", "AMS", "CDG", "FRA", "MAD"];
const US_AIRPORTS: &[&str] = &[
    "LAX", "SFO", "SEA", "ORD", "DFW", "JFK", "EWR", "MIA", "ATL",
];
const US_CARRIERS: &[&str] = &["AA", "UA", "DL", "AS"];

/// UTC offsets in November (northern winter time: US DST ends Nov 1 2026, the EU's Oct 25), so the
/// offsets written are the ones in force on the flight dates.
fn utc_offset_min(airport: &str) -> i64 {
    match airport {
        "ICN" | "NRT" => 540,
        "SGN" => 420,
        "PVG" | "HKG" | "CAN" | "SZX" | "XMN" | "PEK" | "TPE" | "TAO" => 480,
        "FRA" | "CDG" | "AMS" | "MUC" | "LGG" | "MAD" => 60,
        "LHR" => 0,
        "LAX" | "SFO" | "SEA" => -480,
        "ORD" | "DFW" => -360,
        _ => -300,
    }
}

/// One flight of a MAWB: IATA airports, carrier code, trip number and UTC minutes since 1970-01-01.
pub(super) struct Leg {
    pub(super) departure: &'static str,
    pub(super) arrival: &'static str,
    pub(super) carrier: &'static str,
    pub(super) trip: String,
    pub(super) departure_utc_min: i64,
    pub(super) arrival_utc_min: i64,
}

/// 2026-11-02, the first flight day; days since 1970-01-01.
pub(super) const BASE_DAY: i64 = days_from_civil(2026, 11, 2);

/// 1 to 3 legs in flight order: [feeder →] hub → US gateway [→ US domestic].
pub(super) fn make_legs(rng: &mut ChaCha8Rng, airline: &'static Airline) -> Vec<Leg> {
    let n_legs = match rng.gen_range(0..100) {
        0..=49 => 1,
        50..=84 => 2,
        _ => 3,
    };
    let feeder = n_legs == 3 || (n_legs == 2 && rng.gen_bool(0.5));
    let domestic = n_legs == 3 || (n_legs == 2 && !feeder);
    let feeders = if airline.europe {
        EU_FEEDERS
    } else {
        ASIA_FEEDERS
    };
    let gateway = pick(rng, US_AIRPORTS);

    let mut path: Vec<(&'static str, &'static str)> = Vec::new(); // (airport, carrier flying from it)
    if feeder {
        let from = loop {
            let f = pick(rng, feeders);
            if f != airline.hub {
                break f;
            }
        };
        path.push((from, airline.carrier));
    }
    path.push((airline.hub, airline.carrier));
    path.push((gateway, pick(rng, US_CARRIERS)));
    if domestic {
        let to = loop {
            let a = pick(rng, US_AIRPORTS);
            if a != gateway {
                break a;
            }
        };
        path.push((to, ""));
    }

    let local_start =
        BASE_DAY * 1440 + rng.gen_range(0..26) * 1440 + rng.gen_range(6 * 4..23 * 4) * 15;
    let mut t = local_start - utc_offset_min(path[0].0);
    let mut legs = Vec::new();
    for pair in path.windows(2) {
        let (from, carrier) = pair[0];
        let to = pair[1].0;
        let minutes = if from == airline.hub {
            if airline.europe {
                rng.gen_range(8 * 12..11 * 12) * 5
            } else {
                rng.gen_range(10 * 12..14 * 12) * 5
            }
        } else if to == airline.hub {
            rng.gen_range(18..42) * 5
        } else {
            rng.gen_range(24..66) * 5
        };
        let trip = if carrier == airline.carrier && from == airline.hub {
            rng.gen_range(100..1000).to_string()
        } else {
            rng.gen_range(10..3000).to_string()
        };
        legs.push(Leg {
            departure: from,
            arrival: to,
            carrier,
            trip,
            departure_utc_min: t,
            arrival_utc_min: t + minutes,
        });
        t += minutes + rng.gen_range(24..96) * 5; // 2 to 8 hours on the ground
    }
    legs
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(super) const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub(super) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2026-11-24T10:00:00-08:00`: the instant in the airport's local time with its offset.
pub(super) fn local_iso(utc_min: i64, airport: &str) -> String {
    let off = utc_offset_min(airport);
    let local = utc_min + off;
    let (y, m, d) = civil_from_days(local.div_euclid(1440));
    let mins = local.rem_euclid(1440);
    let sign = if off < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00{sign}{:02}:{:02}",
        mins / 60,
        mins % 60,
        off.abs() / 60,
        off.abs() % 60
    )
}
