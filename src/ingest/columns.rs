//! HAWB columns: the canonical names of the contract, their aliases, and header matching.
//!
//! Warehouses name columns every which way ("Tracking #", "consignee_name", "HTS Code"). Matching ignores
//! case, spaces, `_`, `-` and `.`, and a `columns.toml` maps any other header to a canonical name, so the
//! rest of the pipeline only ever sees [`Field`].

use std::collections::HashMap;
use std::path::Path;

macro_rules! fields {
    ($($variant:ident => $name:literal, $level:ident;)*) => {
        /// A canonical HAWB column.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Field { $($variant,)* }

        impl Field {
            /// Every field, in the contract's order.
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The canonical column name, as problems and reports spell it.
            pub fn name(self) -> &'static str {
                match self { $(Field::$variant => $name,)* }
            }

            /// Whether the field describes the whole item (else one product line).
            pub fn is_item_level(self) -> bool {
                match self { $(Field::$variant => Level::$level == Level::Item,)* }
            }
        }
    };
}

#[derive(PartialEq, Eq)]
enum Level {
    Item,
    Product,
}

fields! {
    TrackingNumber => "trackingNumber", Item;
    ShipperItemId => "shipperItemId", Item;
    DisplayItemId => "displayItemId", Item;
    ConsigneeName => "consigneeName", Item;
    ConsigneeCompany => "consigneeCompany", Item;
    ConsigneeAddress1 => "consigneeAddress1", Item;
    ConsigneeAddress2 => "consigneeAddress2", Item;
    ConsigneeCity => "consigneeCity", Item;
    ConsigneeState => "consigneeState", Item;
    ConsigneeZip => "consigneeZip", Item;
    ConsigneeCountry => "consigneeCountry", Item;
    ConsigneePhone => "consigneePhone", Item;
    ConsigneeEmail => "consigneeEmail", Item;
    ShipperName => "shipperName", Item;
    ShipperCompany => "shipperCompany", Item;
    ShipperAddress1 => "shipperAddress1", Item;
    ShipperAddress2 => "shipperAddress2", Item;
    ShipperCity => "shipperCity", Item;
    ShipperState => "shipperState", Item;
    ShipperZip => "shipperZip", Item;
    ShipperCountry => "shipperCountry", Item;
    ShipperPhone => "shipperPhone", Item;
    ShipperEmail => "shipperEmail", Item;
    ReturnName => "returnName", Item;
    ReturnCompany => "returnCompany", Item;
    ReturnAddress1 => "returnAddress1", Item;
    ReturnAddress2 => "returnAddress2", Item;
    ReturnCity => "returnCity", Item;
    ReturnState => "returnState", Item;
    ReturnZip => "returnZip", Item;
    ReturnCountry => "returnCountry", Item;
    ReturnPhone => "returnPhone", Item;
    ReturnEmail => "returnEmail", Item;
    Value => "value", Item;
    Currency => "currency", Item;
    Weight => "weight", Item;
    WeightUnit => "weightUnit", Item;
    Length => "length", Item;
    Width => "width", Item;
    Height => "height", Item;
    DimensionUnit => "dimensionUnit", Item;
    Bag => "bag", Item;
    ProductDescription => "productDescription", Product;
    Hts => "hts", Product;
    Quantity => "quantity", Product;
    UnitValue => "unitValue", Product;
    ProductValue => "productValue", Product;
    ProductWeight => "productWeight", Product;
    CountryOfOrigin => "countryOfOrigin", Product;
    Sku => "sku", Product;
    ManufacturerCode => "manufacturerCode", Product;
}

/// The fields of each address group, in the order of [`crate::model::Address`]: name, company, address1,
/// address2, city, state, zip, country, phone, email.
pub const CONSIGNEE_FIELDS: [Field; 10] = [
    Field::ConsigneeName,
    Field::ConsigneeCompany,
    Field::ConsigneeAddress1,
    Field::ConsigneeAddress2,
    Field::ConsigneeCity,
    Field::ConsigneeState,
    Field::ConsigneeZip,
    Field::ConsigneeCountry,
    Field::ConsigneePhone,
    Field::ConsigneeEmail,
];
/// The shipper group (see [`CONSIGNEE_FIELDS`]).
pub const SHIPPER_FIELDS: [Field; 10] = [
    Field::ShipperName,
    Field::ShipperCompany,
    Field::ShipperAddress1,
    Field::ShipperAddress2,
    Field::ShipperCity,
    Field::ShipperState,
    Field::ShipperZip,
    Field::ShipperCountry,
    Field::ShipperPhone,
    Field::ShipperEmail,
];
/// The return-address group (see [`CONSIGNEE_FIELDS`]).
pub const RETURN_FIELDS: [Field; 10] = [
    Field::ReturnName,
    Field::ReturnCompany,
    Field::ReturnAddress1,
    Field::ReturnAddress2,
    Field::ReturnCity,
    Field::ReturnState,
    Field::ReturnZip,
    Field::ReturnCountry,
    Field::ReturnPhone,
    Field::ReturnEmail,
];

/// Number of canonical fields.
pub const FIELD_COUNT: usize = Field::ALL.len();

impl Field {
    pub fn index(self) -> usize {
        self as usize
    }

    /// The canonical field a normalised header names, through the built-in aliases.
    fn from_normalised(norm: &str) -> Option<Field> {
        let builtin = match norm {
            "hawb" | "hawbnumber" | "hawbno" | "tracking" | "trackingno" | "trackingnumber"
            | "tracking#" => Some(Field::TrackingNumber),
            "harmonizationcode" | "htscode" | "hscode" | "hts" => Some(Field::Hts),
            "description" | "productdescription" | "itemdescription" => {
                Some(Field::ProductDescription)
            }
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
            Field::ALL
                .iter()
                .copied()
                .find(|f| normalise_header(f.name()) == norm)
        })
    }
}

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

/// Why a `columns.toml` could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AliasError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML: {message}")]
    Toml { path: String, message: String },
    #[error("{path}: \"{header}\" maps to \"{target}\", which is not a column mawb knows (see `mawb rules --columns`)")]
    UnknownTarget {
        path: String,
        header: String,
        target: String,
    },
    #[error("{path}: the value for \"{header}\" must be a column name in quotes")]
    NotAString { path: String, header: String },
}

impl ColumnAliases {
    /// Reads `columns.toml`: either a `[columns]` table or top-level pairs, `"Their Header" = "canonicalName"`.
    pub fn load(path: &Path) -> Result<ColumnAliases, AliasError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| AliasError::Io {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    pub fn parse(text: &str, shown: &str) -> Result<ColumnAliases, AliasError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| AliasError::Toml {
            path: shown.to_string(),
            message: e.to_string(),
        })?;
        let pairs = match table.get("columns") {
            Some(toml::Value::Table(t)) => t.clone(),
            _ => table,
        };
        let mut map = HashMap::new();
        let mut ignored = std::collections::HashSet::new();
        for (header, target) in pairs {
            let target = target.as_str().ok_or_else(|| AliasError::NotAString {
                path: shown.to_string(),
                header: header.clone(),
            })?;
            if target.trim().eq_ignore_ascii_case(IGNORE) {
                ignored.insert(normalise_header(&header));
                continue;
            }
            let field = Field::from_normalised(&normalise_header(target)).ok_or_else(|| {
                AliasError::UnknownTarget {
                    path: shown.to_string(),
                    header: header.clone(),
                    target: target.to_string(),
                }
            })?;
            map.insert(normalise_header(&header), field);
        }
        Ok(ColumnAliases { map, ignored })
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
            .or_else(|| Field::from_normalised(&norm))
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
        let a = ColumnAliases::parse(
            "[columns]\n\"Parcel Ref\" = \"trackingNumber\"\n",
            "columns.toml",
        )
        .unwrap();
        assert_eq!(a.resolve("parcel ref"), Some(Field::TrackingNumber));
        let b = ColumnAliases::parse("\"Kilos\" = \"weight\"\n", "columns.toml").unwrap();
        assert_eq!(b.resolve("KILOS"), Some(Field::Weight));
    }

    #[test]
    fn columns_toml_rejects_unknown_targets() {
        let e = ColumnAliases::parse("\"x\" = \"colour\"\n", "columns.toml").unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
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
        let m = ColumnAliases::parse("\"Weight (lb)\" = \"weight\"\n", "columns.toml").unwrap();
        let h = HeaderMap::from_cells(["Weight (lb)"], &m);
        assert_eq!(h.columns[Field::Weight.index()], Some(0));
        assert_eq!(h.unit(Field::Weight), Some("lb"));
    }

    #[test]
    fn columns_toml_can_ignore_a_column() {
        let m = ColumnAliases::parse("\"Hawb No\" = \"ignore\"\n", "columns.toml").unwrap();
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
