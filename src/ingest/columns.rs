//! HAWB columns: the canonical names of the contract, their aliases, and header matching.
//!
//! Warehouses name columns every which way ("Tracking #", "consignee_name", "HTS Code"). Matching ignores
//! case, spaces, `_`, `-` and `.`, and a `columns.toml` maps any other header to a canonical name, so the
//! rest of the pipeline only ever sees [`Field`].

use std::collections::HashMap;
use std::path::Path;

pub use mawb_model::field::{Field, CONSIGNEE_FIELDS, FIELD_COUNT, RETURN_FIELDS, SHIPPER_FIELDS};

/// The canonical field a normalised header names, through the built-in aliases.
fn field_from_normalised(norm: &str) -> Option<Field> {
    let builtin = match norm {
        "hawb" | "hawbnumber" | "hawbno" | "tracking" | "trackingno" | "trackingnumber"
        | "tracking#" => Some(Field::TrackingNumber),
        "harmonizationcode" | "htscode" | "hscode" | "hts" => Some(Field::Hts),
        "description" | "productdescription" | "itemdescription" => Some(Field::ProductDescription),
        "qty" | "quantity" => Some(Field::Quantity),
        "wt" | "grossweight" | "grosswt" | "parcelweight" => Some(Field::Weight),
        "declaredvalue" | "totalvalue" => Some(Field::Value),
        "consigneeaddressline1" | "consigneeaddress" => Some(Field::ConsigneeAddress1),
        "consigneeaddressline2" => Some(Field::ConsigneeAddress2),
        "consigneecompanyname" => Some(Field::ConsigneeCompany),
        "consigneepostalcode" | "consigneepostcode" | "consigneezipcode" => {
            Some(Field::ConsigneeZip)
        }
        "consigneeprovince" => Some(Field::ConsigneeState),
        "bagid" | "shipperbagid" => Some(Field::Bag),
        "origincountry" | "coo" => Some(Field::CountryOfOrigin),
        "dimensionsunitofmeasure" | "dimunit" => Some(Field::DimensionUnit),
        "weightunitofmeasure" | "uom" => Some(Field::WeightUnit),
        _ => None,
    };
    builtin.or_else(|| {
        CANONICAL
            .iter()
            .find(|(name, _)| name == norm)
            .map(|(_, f)| *f)
    })
}

/// Every canonical field with its name normalised, worked out once rather than for every header cell.
static CANONICAL: std::sync::LazyLock<Vec<(String, Field)>> = std::sync::LazyLock::new(|| {
    Field::ALL
        .iter()
        .map(|f| (normalise_header(f.name()), *f))
        .collect()
});

/// Header normalisation of the contract: case, spaces, `_`, `-` and `.` are ignored.
pub fn normalise_header(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\t' | '\u{a0}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// User aliases from `columns.toml`: normalised header → canonical field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnAliases {
    map: HashMap<String, Field>,
    /// Headers mapped to `"ignore"`: read as no column at all (and not reported as unknown).
    ignored: std::collections::HashSet<String>,
}

/// The `columns.toml` target that makes mawb ignore a column.
pub const IGNORE: &str = "ignore";

/// Why a `columns.toml` could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct AliasError {
    pub path: String,
    pub source: std::io::Error,
}

/// One line of a `columns.toml` that could not be used: the other lines still are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadAliasLine {
    /// The line, 1-based.
    pub line: u32,
    /// What is wrong and how to write it.
    pub message: String,
}

impl std::fmt::Display for BadAliasLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// `columns.toml` as read: the aliases of its good lines and the lines that could not be used.
#[derive(Debug, Clone, Default)]
pub struct ParsedAliases {
    pub aliases: ColumnAliases,
    pub bad_lines: Vec<BadAliasLine>,
}

/// The `"Their Header" = "column"` form of a line that has an `=` but is not valid TOML.
fn quoted_form(line: &str) -> Option<String> {
    let (left, right) = line.split_once('=')?;
    let unquote = |s: &str| {
        s.trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .trim()
            .to_string()
    };
    let (header, target) = (unquote(left), unquote(right));
    (!header.is_empty() && !target.is_empty()).then(|| format!("\"{header}\" = \"{target}\""))
}

/// The canonical column nearest to `target`, when it is near enough to be what was meant.
fn nearest_column(target: &str) -> Option<&'static str> {
    let norm = normalise_header(target);
    Field::ALL
        .iter()
        .map(|f| {
            (
                strsim::jaro_winkler(&norm, &normalise_header(f.name())),
                f.name(),
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

impl ColumnAliases {
    /// Reads `columns.toml` (see [`ColumnAliases::parse`]); only a file that cannot be read is an error.
    pub fn load(path: &Path) -> Result<ParsedAliases, AliasError> {
        let text = std::fs::read_to_string(path).map_err(|source| AliasError {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self::parse(&text))
    }

    /// Reads the text of a `columns.toml`: `"Their Header" = "canonicalName"` lines (or `"ignore"`), at the
    /// top level or under `[columns]`. Line by line, so one mistyped line is reported with its number and
    /// the fix while every other line still maps its header.
    pub fn parse(text: &str) -> ParsedAliases {
        let mut map = HashMap::new();
        let mut ignored = std::collections::HashSet::new();
        let mut bad_lines = Vec::new();
        let mut seen: HashMap<String, u32> = HashMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let line = raw.trim().trim_start_matches('\u{feff}');
            if line.is_empty() || line.starts_with('#') || line == "[columns]" {
                continue;
            }
            let mut bad = |message: String| {
                bad_lines.push(BadAliasLine {
                    line: line_no,
                    message,
                })
            };
            if line.starts_with('[') {
                bad(
                    format!("{line}: only a [columns] table is read; put the mappings under [columns] or at the top"),
                );
                continue;
            }
            let table: toml::Table = match toml::from_str(line) {
                Ok(t) => t,
                Err(e) => {
                    let fix = match quoted_form(line) {
                        Some(q) => format!("write it as {q}"),
                        None => "write it as \"Their Header\" = \"trackingNumber\"".to_string(),
                    };
                    bad(format!(
                        "`{line}` is not a mapping ({}); {fix}",
                        e.message().trim()
                    ));
                    continue;
                }
            };
            for (header, target) in table {
                let Some(target) = target.as_str() else {
                    let fix = quoted_form(line)
                        .map(|q| format!(": write it as {q}"))
                        .unwrap_or_default();
                    bad(
                        format!("the value for \"{header}\" must be a column name in quotes (header names with dots need quotes too){fix}"),
                    );
                    continue;
                };
                let norm = normalise_header(&header);
                if let Some(first) = seen.insert(norm.clone(), line_no) {
                    bad(
                        format!("\"{header}\" is mapped again (first on line {first}); keep one of the two lines"),
                    );
                    continue;
                }
                if target.trim().eq_ignore_ascii_case(IGNORE) {
                    ignored.insert(norm);
                    continue;
                }
                match field_from_normalised(&normalise_header(target)) {
                    Some(field) => {
                        map.insert(norm, field);
                    }
                    None => {
                        let hint = match nearest_column(target) {
                            Some(near) => format!("did you mean `{near}`?"),
                            None => "`mawb rules --columns` lists the columns".to_string(),
                        };
                        bad(
                            format!("\"{header}\" maps to \"{target}\", which is not a column mawb knows: {hint} (or \"ignore\")"),
                        );
                    }
                }
            }
        }
        ParsedAliases {
            aliases: ColumnAliases { map, ignored },
            bad_lines,
        }
    }

    /// Adds the aliases of `other` on top of these (a folder's `columns.toml` over `--columns`).
    pub fn merged_with(&self, other: &ColumnAliases) -> ColumnAliases {
        let mut map = self.map.clone();
        map.extend(other.map.iter().map(|(k, v)| (k.clone(), *v)));
        let mut ignored = self.ignored.clone();
        ignored.extend(other.ignored.iter().cloned());
        ColumnAliases { map, ignored }
    }

    /// Whether `columns.toml` says to ignore this header.
    pub fn is_ignored(&self, header: &str) -> bool {
        !self.ignored.is_empty() && self.ignored.contains(&normalise_header(header))
    }

    /// The field a header cell names, user aliases first.
    pub fn resolve(&self, header: &str) -> Option<Field> {
        let norm = normalise_header(header);
        if norm.is_empty() {
            return None;
        }
        self.map
            .get(&norm)
            .copied()
            .or_else(|| field_from_normalised(&norm))
    }
}

/// Which spreadsheet column holds each field, for one header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderMap {
    /// Column index per field.
    pub columns: [Option<usize>; FIELD_COUNT],
    /// Header cells that matched no field (reported once as a warning).
    pub unknown: Vec<String>,
    /// Fields named by more than one column: (field, first column, repeated column).
    pub duplicates: Vec<(Field, usize, usize)>,
    /// The unit a header states for its field (`"Weight (lb)"` → `lb`, `"Value (EUR)"` → `EUR`).
    pub units: Vec<(Field, String)>,
    /// The header cells as written, by column (for messages).
    pub texts: Vec<String>,
}

/// Fields whose header may carry a unit or currency.
fn takes_unit(f: Field) -> bool {
    matches!(
        f,
        Field::Weight
            | Field::ProductWeight
            | Field::Length
            | Field::Width
            | Field::Height
            | Field::Value
            | Field::UnitValue
            | Field::ProductValue
    )
}

/// Units a header may end with (weights, lengths); currencies are any three letters.
const UNIT_WORDS: &[&str] = &[
    "kg",
    "kgs",
    "kilo",
    "kilos",
    "kilogram",
    "kilograms",
    "lb",
    "lbs",
    "pound",
    "pounds",
    "g",
    "gr",
    "gram",
    "grams",
    "oz",
    "ounce",
    "ounces",
    "m",
    "cm",
    "mm",
    "in",
    "inch",
    "inches",
    "meter",
    "meters",
    "metre",
    "metres",
];

/// Splits a header into its name and the unit it states: `"Weight (lb)"`, `"Gross Weight [kg]"`,
/// `"Wt kg"`, `"weight_lbs"`, `"Value (EUR)"`. `None` when no unit is written.
pub fn split_unit(header: &str) -> Option<(&str, &str)> {
    let h = header.trim();
    if let Some(open) = h.rfind(['(', '[']) {
        let close = if h.as_bytes()[open] == b'(' { ')' } else { ']' };
        if let Some(inner) = h[open + 1..].strip_suffix(close) {
            let unit = inner.trim();
            let base = h[..open].trim();
            if !unit.is_empty() && !base.is_empty() {
                return Some((base, unit));
            }
        }
        return None;
    }
    let cut = h.rfind([' ', '_', '-', '.'])?;
    let (base, unit) = (h[..cut].trim(), h[cut + 1..].trim());
    let known = UNIT_WORDS.contains(&unit.to_ascii_lowercase().as_str())
        || (unit.len() == 3 && unit.bytes().all(|b| b.is_ascii_uppercase()));
    (known && !base.is_empty()).then_some((base, unit))
}

impl HeaderMap {
    /// Maps a header row.
    pub fn from_cells<'a>(
        cells: impl IntoIterator<Item = &'a str>,
        aliases: &ColumnAliases,
    ) -> HeaderMap {
        let mut columns = [None; FIELD_COUNT];
        let mut unknown = Vec::new();
        let mut duplicates = Vec::new();
        let mut units = Vec::new();
        let mut texts = Vec::new();
        for (i, cell) in cells.into_iter().enumerate() {
            let cell = cell.trim();
            texts.push(cell.to_string());
            if cell.is_empty() || aliases.is_ignored(cell) {
                continue;
            }
            let split = split_unit(cell);
            let found = match aliases.resolve(cell) {
                Some(f) => Some((f, split.filter(|_| takes_unit(f)).map(|(_, u)| u))),
                None => split.and_then(|(base, unit)| {
                    aliases
                        .resolve(base)
                        .filter(|f| takes_unit(*f))
                        .map(|f| (f, Some(unit)))
                }),
            };
            match found {
                Some((f, unit)) => match columns[f.index()] {
                    None => {
                        columns[f.index()] = Some(i);
                        if let Some(u) = unit {
                            units.push((f, u.to_string()));
                        }
                    }
                    Some(first) => duplicates.push((f, first, i)),
                },
                None => unknown.push(cell.to_string()),
            }
        }
        HeaderMap {
            columns,
            unknown,
            duplicates,
            units,
            texts,
        }
    }

    pub fn has(&self, f: Field) -> bool {
        self.columns[f.index()].is_some()
    }

    /// The unit the header of `f` states, as written.
    pub fn unit(&self, f: Field) -> Option<&str> {
        self.units
            .iter()
            .find(|(g, _)| *g == f)
            .map(|(_, u)| u.as_str())
    }

    /// Whether this row looks like a HAWB header: it names a product description and an item key or
    /// consignee, so a cover sheet or a pivot table is skipped rather than read as data.
    pub fn is_hawb_header(&self) -> bool {
        let matched = self.columns.iter().filter(|c| c.is_some()).count();
        matched >= 3
            && (self.has(Field::ProductDescription) || self.has(Field::Hts))
            && (self.has(Field::TrackingNumber)
                || self.has(Field::ShipperItemId)
                || self.has(Field::ConsigneeName))
    }

    /// The required columns this header lacks (for a clear "missing column" problem).
    pub fn missing_required(&self) -> Vec<Field> {
        let mut missing = Vec::new();
        if !self.has(Field::TrackingNumber) && !self.has(Field::ShipperItemId) {
            missing.push(Field::TrackingNumber);
        }
        if !self.has(Field::ConsigneeName) && !self.has(Field::ConsigneeCompany) {
            missing.push(Field::ConsigneeName);
        }
        for f in [
            Field::ConsigneeAddress1,
            Field::ConsigneeCity,
            Field::ConsigneeZip,
            Field::ConsigneeCountry,
            Field::Value,
            Field::Currency,
            Field::Weight,
            Field::ProductDescription,
            Field::Hts,
            Field::Quantity,
        ] {
            if !self.has(f) {
                missing.push(f);
            }
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_ignores_case_spaces_and_punctuation() {
        let a = ColumnAliases::default();
        assert_eq!(a.resolve("Tracking Number"), Some(Field::TrackingNumber));
        assert_eq!(a.resolve("consignee_name"), Some(Field::ConsigneeName));
        assert_eq!(
            a.resolve("CONSIGNEE-ADDRESS.1"),
            Some(Field::ConsigneeAddress1)
        );
        assert_eq!(a.resolve("HAWB"), Some(Field::TrackingNumber));
        assert_eq!(a.resolve("hawb number"), Some(Field::TrackingNumber));
        assert_eq!(a.resolve("HTS"), Some(Field::Hts));
        assert_eq!(a.resolve("Harmonization Code"), Some(Field::Hts));
        assert_eq!(a.resolve("colour"), None);
    }

    #[test]
    fn columns_toml_maps_other_headers() {
        let a = ColumnAliases::parse("[columns]\n\"Parcel Ref\" = \"trackingNumber\"\n");
        assert!(a.bad_lines.is_empty(), "{:?}", a.bad_lines);
        assert_eq!(a.aliases.resolve("parcel ref"), Some(Field::TrackingNumber));
        let b = ColumnAliases::parse("\"Kilos\" = \"weight\"\n").aliases;
        assert_eq!(b.resolve("KILOS"), Some(Field::Weight));
    }

    #[test]
    fn columns_toml_rejects_unknown_targets() {
        let p = ColumnAliases::parse("\"x\" = \"colour\"\n\"Kilos\" = \"wieght\"\n");
        assert_eq!(p.bad_lines.len(), 2, "{:?}", p.bad_lines);
        assert_eq!(p.bad_lines[0].line, 1);
        assert!(
            p.bad_lines[0].message.contains("colour"),
            "{}",
            p.bad_lines[0]
        );
        assert!(
            p.bad_lines[1].message.contains("did you mean `weight`?"),
            "{}",
            p.bad_lines[1]
        );
    }

    #[test]
    fn one_bad_line_is_reported_with_its_number_and_the_others_are_kept() {
        let p = ColumnAliases::parse(
            "[columns]\n\"Parcel Ref\" = \"trackingNumber\"\nKilos = weight\n# a note\nHS Code = \"hts\"\n\"Wt\" = 3\n\"Buyer\" = \"consigneeName\"\n",
        );
        let lines: Vec<u32> = p.bad_lines.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![3, 5, 6], "{:?}", p.bad_lines);
        assert!(
            p.bad_lines[0]
                .message
                .contains("write it as \"Kilos\" = \"weight\""),
            "{}",
            p.bad_lines[0]
        );
        assert!(
            p.bad_lines[1]
                .message
                .contains("write it as \"HS Code\" = \"hts\""),
            "{}",
            p.bad_lines[1]
        );
        assert_eq!(p.aliases.resolve("Parcel Ref"), Some(Field::TrackingNumber));
        assert_eq!(p.aliases.resolve("Buyer"), Some(Field::ConsigneeName));
    }

    #[test]
    fn a_header_mapped_twice_names_both_lines() {
        let p = ColumnAliases::parse("\"Kilos\" = \"weight\"\n\"kilos\" = \"productWeight\"\n");
        assert_eq!(p.bad_lines.len(), 1);
        assert!(
            p.bad_lines[0].message.contains("first on line 1"),
            "{}",
            p.bad_lines[0]
        );
        assert_eq!(p.aliases.resolve("Kilos"), Some(Field::Weight));
    }

    #[test]
    fn header_map_reports_missing_required_columns() {
        let a = ColumnAliases::default();
        let h = HeaderMap::from_cells(
            ["tracking", "consigneeName", "productDescription", "hts"],
            &a,
        );
        assert!(h.is_hawb_header());
        let missing = h.missing_required();
        assert!(missing.contains(&Field::Weight));
        assert!(!missing.contains(&Field::TrackingNumber));
    }

    #[test]
    fn units_written_in_headers_are_read() {
        assert_eq!(split_unit("Weight (lb)"), Some(("Weight", "lb")));
        assert_eq!(
            split_unit("Gross Weight [kg]"),
            Some(("Gross Weight", "kg"))
        );
        assert_eq!(split_unit("Wt kg"), Some(("Wt", "kg")));
        assert_eq!(split_unit("weight_lbs"), Some(("weight", "lbs")));
        assert_eq!(split_unit("Value (EUR)"), Some(("Value", "EUR")));
        assert_eq!(split_unit("Consignee Name"), None);
        assert_eq!(split_unit("Tracking #"), None);
        let a = ColumnAliases::default();
        let h = HeaderMap::from_cells(
            [
                "Tracking",
                "Gross Weight (lbs)",
                "Length (cm)",
                "Value (EUR)",
                "Name (first)",
            ],
            &a,
        );
        assert_eq!(h.unit(Field::Weight), Some("lbs"));
        assert_eq!(h.unit(Field::Length), Some("cm"));
        assert_eq!(h.unit(Field::Value), Some("EUR"));
        assert_eq!(h.unknown, vec!["Name (first)".to_string()]);
        // A header mapped through columns.toml keeps its unit.
        let m = ColumnAliases::parse("\"Weight (lb)\" = \"weight\"\n").aliases;
        let h = HeaderMap::from_cells(["Weight (lb)"], &m);
        assert_eq!(h.columns[Field::Weight.index()], Some(0));
        assert_eq!(h.unit(Field::Weight), Some("lb"));
    }

    #[test]
    fn columns_toml_can_ignore_a_column() {
        let m = ColumnAliases::parse("\"Hawb No\" = \"ignore\"\n").aliases;
        let h = HeaderMap::from_cells(["Hawb No", "Tracking Number"], &m);
        assert!(h.duplicates.is_empty());
        assert!(h.unknown.is_empty());
        assert_eq!(h.columns[Field::TrackingNumber.index()], Some(1));
    }

    #[test]
    fn every_canonical_name_resolves_to_itself() {
        let a = ColumnAliases::default();
        for f in Field::ALL {
            assert_eq!(a.resolve(f.name()), Some(*f), "{}", f.name());
        }
    }
}
