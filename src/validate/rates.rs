//! USD rates for ACP's value thresholds (200 USD: product values required; 800 USD: consignee e-mail
//! required; label 5: 1000 USD). ACP states the thresholds in USD, items come in any currency.
//!
//! The built-in table is deliberately coarse (the thresholds are compliance guards, not accounting); an
//! operator who needs today's rates passes `--rates FILE`, a TOML table of `CODE = usd_per_unit`.

use crate::model::Decimal;
use std::path::Path;
use std::str::FromStr;

/// USD per unit of each currency, documented in README ("Value thresholds").
const BUILTIN: &[(&str, &str)] = &[
    ("USD", "1"),
    ("EUR", "1.08"),
    ("GBP", "1.27"),
    ("CHF", "1.13"),
    ("CAD", "0.73"),
    ("AUD", "0.66"),
    ("NZD", "0.60"),
    ("CNY", "0.14"),
    ("HKD", "0.128"),
    ("TWD", "0.031"),
    ("JPY", "0.0067"),
    ("KRW", "0.00075"),
    ("SGD", "0.75"),
    ("INR", "0.012"),
    ("MXN", "0.055"),
    ("BRL", "0.18"),
    ("SEK", "0.095"),
    ("NOK", "0.093"),
    ("DKK", "0.145"),
    ("PLN", "0.25"),
    ("ILS", "0.27"),
    ("AED", "0.272"),
    ("THB", "0.029"),
    ("VND", "0.00004"),
    ("MYR", "0.22"),
    ("PHP", "0.018"),
    ("IDR", "0.000063"),
    ("ZAR", "0.055"),
    ("TRY", "0.029"),
];

/// A table of USD rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rates {
    /// Looked up for every item: hashed with ahash (the keys are currency codes, not chosen by a peer).
    usd_per_unit: ahash::AHashMap<String, Decimal>,
}

/// Why a rates file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RatesError {
    #[error("cannot read rates file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("rates file {path}: {message}")]
    Invalid { path: String, message: String },
}

impl Rates {
    /// The built-in table.
    pub fn builtin() -> Rates {
        let mut usd_per_unit = ahash::AHashMap::new();
        usd_per_unit.extend(
            BUILTIN
                .iter()
                .filter_map(|(c, r)| Decimal::from_str(r).ok().map(|d| (c.to_string(), d))),
        );
        Rates { usd_per_unit }
    }

    /// The built-in table with the entries of a TOML file (`EUR = 1.08`) on top.
    pub fn load(path: &Path) -> Result<Rates, RatesError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RatesError::Io {
            path: shown.clone(),
            source,
        })?;
        Self::builtin().with_toml(&text, &shown)
    }

    fn with_toml(mut self, text: &str, shown: &str) -> Result<Rates, RatesError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| RatesError::Invalid {
            path: shown.into(),
            message: e.message().to_string(),
        })?;
        for (code, v) in table {
            let rate = match &v {
                toml::Value::Float(f) => Decimal::from_str(&f.to_string()).ok(),
                toml::Value::Integer(i) => Some(Decimal::from(*i)),
                toml::Value::String(s) => Decimal::from_str(s.trim()).ok(),
                _ => None,
            }
            .filter(|r| *r > Decimal::ZERO)
            .ok_or_else(|| RatesError::Invalid {
                path: shown.into(),
                message: format!("{code} must be a positive number of USD per unit"),
            })?;
            self.usd_per_unit.insert(code.to_ascii_uppercase(), rate);
        }
        Ok(self)
    }

    /// `amount` of `currency` in USD, when the rate is known.
    pub fn to_usd(&self, amount: Decimal, currency: &str) -> Option<Decimal> {
        self.usd_per_unit.get(currency).map(|r| amount * r)
    }

    /// `amount` of `from` in `to`, through USD.
    pub fn convert(&self, amount: Decimal, from: &str, to: &str) -> Option<Decimal> {
        let usd = self.to_usd(amount, from)?;
        self.usd_per_unit.get(to).map(|r| usd / r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_through_usd() {
        let r = Rates::builtin();
        assert_eq!(
            r.to_usd(Decimal::from(100), "EUR"),
            Some(Decimal::from(108))
        );
        assert_eq!(r.to_usd(Decimal::from(5), "USD"), Some(Decimal::from(5)));
        assert_eq!(r.to_usd(Decimal::from(5), "XYZ"), None);
        assert_eq!(
            r.convert(Decimal::from(14), "USD", "CNY"),
            Some(Decimal::from(100))
        );
    }

    #[test]
    fn a_rates_file_overrides_and_adds() {
        let r = Rates::builtin()
            .with_toml("EUR = 1.5\nXAF = \"0.0016\"\n", "rates.toml")
            .unwrap();
        assert_eq!(r.to_usd(Decimal::from(2), "EUR"), Some(Decimal::from(3)));
        assert!(r.to_usd(Decimal::from(1), "XAF").is_some());
        assert!(Rates::builtin()
            .with_toml("EUR = -1\n", "rates.toml")
            .is_err());
    }
}
