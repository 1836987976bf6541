//! Manifest part dates: `yyyy-mm-ddThh:mm:ss[(+|-)hh:mm]`, no offset meaning GMT (ACP's rule), `Z` accepted.

use chrono::{FixedOffset, NaiveDateTime, TimeZone};

/// Parses a leg date and returns it as seconds since the Unix epoch (UTC), for ordering legs.
pub fn parse_leg_date(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() < 19 || !t.is_char_boundary(19) {
        return None;
    }
    let (local, zone) = t.split_at(19);
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S").ok()?;
    let offset_secs = match zone {
        "" | "Z" => 0,
        z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
            let h: i32 = z[1..3].parse().ok()?;
            let m: i32 = z[4..6].parse().ok()?;
            if h > 14 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if z.starts_with('-') {
                -s
            } else {
                s
            }
        }
        _ => return None,
    };
    let offset = FixedOffset::east_opt(offset_secs)?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_applied() {
        let dep = parse_leg_date("2026-11-24T10:00:00-08:00").unwrap();
        let arr = parse_leg_date("2026-11-24T18:40:00-05:00").unwrap();
        assert_eq!(arr - dep, 5 * 3600 + 40 * 60);
    }

    #[test]
    fn no_offset_means_gmt() {
        assert_eq!(parse_leg_date("1970-01-01T01:00:00"), Some(3600));
        assert_eq!(parse_leg_date("1970-01-01T01:00:00Z"), Some(3600));
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "2026-11-24",
            "2026-11-24 10:00:00",
            "2026-13-01T00:00:00",
            "2026-11-24T10:00:00+0800",
            "2026-11-24T10:00:00-25:00",
            "24/11/2026T10:00:00",
            "2026-11-24T10:00:00é",
        ] {
            assert_eq!(parse_leg_date(bad), None, "{bad}");
        }
    }
}
