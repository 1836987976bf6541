//! Problems and the catalogue of rules that raise them.
//!
//! Every check of every stage reports through [`Problem`], which names the file, sheet, row (as the user sees
//! it in the spreadsheet) and column (the canonical name or the `mawb.toml` key), so an operator can go
//! straight to the cell. Every rule has a stable code listed in [`RULES`] (`mawb rules` prints it), so
//! scripts and people can look codes up and the codes never drift.

use serde::Serialize;

/// `error` blocks the MAWB (nothing is sent); `warning` never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One rule: a stable code, its severity and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    /// Which stage raises it.
    pub stage: &'static str,
    pub summary: &'static str,
}

macro_rules! rules {
    ($($id:ident = $code:literal, $sev:ident, $stage:literal, $summary:literal;)*) => {
        $(
            #[doc = $summary]
            pub const $id: Rule = Rule { code: $code, severity: Severity::$sev, stage: $stage, summary: $summary };
        )*
        /// Every rule, in the order `mawb rules` lists them.
        pub const RULES: &[Rule] = &[$($id,)*];
    };
}

rules! {
    // Folder and files.
    PATH_NOT_FOUND = "path-not-found", Error, "ingest", "A path given on the command line does not exist or cannot be read.";
    STRAY_SPREADSHEET = "stray-spreadsheet", Warning, "ingest", "A spreadsheet lies at the top of a batch folder, beside its MAWB folders: it belongs to no MAWB and is not read.";
    NO_MAWB_FOLDER = "no-mawb-folder", Error, "ingest", "A batch folder holds no MAWB folder (no subfolder with a mawb.toml or spreadsheets).";
    NO_SPREADSHEET = "no-spreadsheet", Error, "ingest", "A MAWB folder holds no HAWB spreadsheet (xlsx xlsm xlsb xls ods csv).";
    LINKED_SPREADSHEET = "linked-spreadsheet", Error, "ingest", "A spreadsheet of the MAWB folder is a symbolic link: only the folder's own files are read, so its rows would be left out.";
    FILE_UNREADABLE = "file-unreadable", Error, "ingest", "A spreadsheet cannot be opened or is corrupt or truncated.";
    FILE_NOT_UTF8 = "file-not-utf8", Error, "ingest", "A csv file is not UTF-8 text; save it as \"CSV UTF-8\".";
    FILE_NOT_SPREADSHEET = "file-not-spreadsheet", Error, "ingest", "A file named as a spreadsheet holds something else (binary, image...).";
    FILE_KIND_MISMATCH = "file-kind-mismatch", Warning, "ingest", "A file's content is a different spreadsheet format than its name says; it is read by its content.";
    FILE_TOO_LARGE = "file-too-large", Error, "ingest", "A spreadsheet decompresses to more than the safety cap (zip bomb protection) or holds more rows than the cap.";
    COLUMNS_TOML_INVALID = "columns-toml", Error, "ingest", "columns.toml cannot be read or maps to an unknown column.";
    WORKBOOK_OPEN = "workbook-open", Warning, "ingest", "An office lock file (~$name.xlsx, .~lock.name#) is in the folder: the workbook is open in Excel or LibreOffice, maybe with unsaved changes; mawb reads the file as last saved.";
    UNCLOSED_QUOTE = "unclosed-quote", Error, "ingest", "A csv cell opens a quote that is never closed: every line after it, to the end of the file, was read into that one cell (the rows there would be lost).";
    SHORT_ROW = "short-row", Warning, "ingest", "A csv row inside the file has fewer fields than the header: its missing cells are read as blank. (A last row cut short without a line end is a truncated file: file-unreadable.)";
    // Sheets and headers.
    SHEET_SKIPPED = "sheet-skipped", Warning, "ingest", "A sheet has no HAWB header row and was skipped.";
    NO_HEADER = "no-header", Error, "ingest", "No sheet of a spreadsheet has a HAWB header row.";
    MISSING_COLUMN = "missing-column", Error, "ingest", "A required column is missing from the header row.";
    UNKNOWN_COLUMN = "unknown-column", Warning, "ingest", "A header cell matches no known column (map it in columns.toml); its values are ignored.";
    DUPLICATE_COLUMN = "duplicate-column", Error, "ingest", "Two header cells name the same column.";
    EMPTY_SHEET = "empty-sheet", Warning, "ingest", "A sheet has a header row but no data rows.";
    // Cells and grouping.
    NOT_A_NUMBER = "not-a-number", Error, "ingest", "A cell that must hold a number holds something else (e.g. \"1,2kg\").";
    DECIMAL_COMMA = "decimal-comma", Error, "ingest", "Number cells written with a comma as decimal separator (1,25): one problem per sheet naming the rows and columns; save the file with a dot as decimal separator.";
    CELL_ERROR = "cell-error", Error, "ingest", "A cell holds a spreadsheet error value such as #N/A or #REF!.";
    NOT_AN_INTEGER = "not-an-integer", Error, "ingest", "A quantity is not a whole number.";
    BAD_UNIT = "bad-unit", Error, "ingest", "A weight unit is not kg/lb or a dimension unit not m/cm/in.";
    ITEM_KEY_MISSING = "item-key-missing", Error, "ingest", "A row has neither trackingNumber nor shipperItemId, so it belongs to no item.";
    ITEM_FIELD_CONFLICT = "item-field-conflict", Error, "ingest", "A row repeats an item field with a different value than an earlier row of the same item.";
    DIGITS_LOST = "digits-lost", Error, "ingest", "An identifier was stored as a number with more than 15 significant digits, or shown in scientific notation (9.40011E+21): its digits are gone.";
    NUMBER_FORMAT = "number-format", Error, "ingest", "A number in a code column (zip, hts, phone...) whose displayed text mawb cannot be sure of: a fraction whose zeros may be gone, a format it cannot reproduce, or a file type whose formats it cannot see.";
    TOO_MANY_DECIMALS = "too-many-decimals", Warning, "ingest", "A weight in kg or a dimension in m with more than 3 decimals (0.997903214 kg, a formula's result): ACP takes grams and millimetres, so the value is sent rounded to 3 decimals, and the warning names what is sent.";
    DECIMALS_HIDDEN = "decimals-hidden", Error, "ingest", "A number whose cell format shows fewer decimals than the cell holds (45.505 shown as 45.51 by the format 0.00): sending it would not send what the spreadsheet shows, and mawb does not round for the user.";
    DATE_IN_CELL = "date-in-cell", Error, "ingest", "A spreadsheet turned a value into a date (\"1/2\", \"MAR1\"): a date cell where text or a number belongs.";
    FORMULA_NO_VALUE = "formula-no-value", Error, "ingest", "A formula cell whose result is not stored in the file (written by a program, never saved by a spreadsheet).";
    INVISIBLE_CHARACTER = "invisible-character", Warning, "ingest", "Invisible characters (zero-width space, byte order mark, soft hyphen, no-break space in a code) were removed from a cell.";
    UNIT_CONFLICT = "unit-conflict", Error, "ingest", "A unit written in a header (\"Weight (lb)\", \"Value (EUR)\") or shown by a cell's number format (\"45,50 €\", \"1.50 lb\") disagrees with the unit or currency column, or is not a unit mawb knows.";
    HIDDEN_SHEET = "hidden-sheet", Warning, "ingest", "A hidden sheet was not read (hidden_sheets = \"read\" in mawb.toml reads it).";
    HIDDEN_ROW = "hidden-row", Warning, "ingest", "A hidden or filtered-out row was not read (hidden_rows = \"read\" in mawb.toml reads it).";
    HIDDEN_COLUMN = "hidden-column", Warning, "ingest", "A hidden column (or one of width 0) of an xlsx sheet was not read (hidden_columns = \"read\" in mawb.toml reads it).";
    MERGED_CELLS = "merged-cells", Warning, "ingest", "Cells merged down several parcel rows of an xlsx sheet: the value Excel shows over the area (its top cell's) was read for each row it covers.";
    MERGED_HEADER = "merged-header", Error, "ingest", "Header cells of an xlsx sheet merged down into the rows below (a two-row header): one error for the sheet; the rows it covers are not read as parcels.";
    TOTALS_ROW = "totals-row", Warning, "ingest", "A totals row under the parcels (no key, no consignee, a \"total\" label or sums) was recognised and skipped.";
    HEADER_BELOW_TITLE = "header-below-title", Warning, "ingest", "The header row is not the first row: the rows above it (a title block) were skipped.";
    // Field rules (ACP).
    REQUIRED = "required", Error, "validate", "A required field is blank.";
    TOO_LONG = "too-long", Error, "validate", "A field is longer than ACP allows.";
    ADDRESS_TOO_LONG = "address-too-long", Error, "validate", "address1 and address2 together exceed 105 characters.";
    NAME_OR_COMPANY = "name-or-company", Error, "validate", "An address has neither a name nor a company.";
    COUNTRY = "country", Error, "validate", "A country is not an ISO 3166-1 alpha-2 code.";
    CURRENCY = "currency", Error, "validate", "A currency is not an ISO 4217 code.";
    STATE = "state", Error, "validate", "A state is missing or not valid for the country (US states, Canadian provinces).";
    ZIP_FORMAT = "zip-format", Error, "validate", "A US or Puerto Rico ZIP code is not 5 digits or ZIP+4 (a 4-digit one has lost its leading zero).";
    EMAIL = "email", Error, "validate", "An e-mail address is not valid.";
    EMAIL_REQUIRED = "email-required", Error, "validate", "The consignee e-mail is required when the item value exceeds 800 USD.";
    PRODUCT_VALUE_REQUIRED = "product-value-required", Error, "validate", "unitValue or productValue is required on every product when the item value exceeds 200 USD.";
    PRODUCT_VALUE_SUM = "product-value-sum", Warning, "validate", "The product values do not add up to the item value.";
    NOT_POSITIVE = "not-positive", Error, "validate", "A weight, dimension or quantity is zero or negative.";
    NEGATIVE_VALUE = "negative-value", Error, "validate", "A value is negative.";
    DIMENSIONS_INCOMPLETE = "dimensions-incomplete", Error, "validate", "Some but not all of length, width and height are given.";
    XML_CHARACTER = "xml-character", Error, "validate", "A text holds a control character XML 1.0 cannot carry.";
    TRACKING_REQUIRED = "tracking-required", Error, "validate", "trackingNumber is required when the MAWB's label is 0 (no label).";
    TRACKING_FORMAT = "tracking-format", Error, "validate", "A trackingNumber holds something other than ASCII letters and digits.";
    HTS_FORMAT = "hts-format", Error, "validate", "A harmonization code holds something other than digits and dots.";
    DECIMAL_RANGE = "decimal-range", Error, "validate", "A value or weight has more than 12 digits before the point or 8 after.";
    UPS_CHECK_DIGIT = "ups-check-digit", Warning, "validate", "A UPS 1Z tracking number has a wrong check digit (an error with strict_tracking = true in mawb.toml).";
    TRACKING_CHECK_DIGIT = "tracking-check-digit", Warning, "validate", "A tracking number has the shape of a USPS IMpb, FedEx, DHL Express or UPU S10 number but a wrong check digit; the message names the carrier (an error with strict_tracking = true in mawb.toml).";
    ZIP_STATE = "zip-state", Error, "validate", "A US ZIP code (states, territories, military APO/FPO/DPO) belongs to another state than the one given, or to none; or a Canadian postal code's first letter belongs to another province. The message names the right one.";
    POSTAL_FORMAT = "postal-format", Error, "validate", "A postal code does not have the format of the destination country (Google's address data); the message shows the expected format. Countries without postal codes accept a blank.";
    HTS_PLAUSIBLE = "hts-plausible", Error, "validate", "A harmonization code is not 6, 8 or 10 digits once dots are removed, or its chapter (first 2 digits) does not exist (01-97, not 77).";
    DANGEROUS_GOODS = "dangerous-goods", Warning, "validate", "A product's description or HTS code points to goods air transport restricts (UN number, lithium batteries, aerosols, perfume, nail polish, lighters and matches, e-cigarettes, dry ice, magnets, flammable liquids and gases); an error with dangerous_goods = \"refuse\" in mawb.toml.";
    DENIED_PARTY = "denied-party", Error, "validate", "A consignee, shipper or return name or company matches an entry of the denied-party screening list (--screening-list, screening_list) above the threshold: a person reviews it; the allow-list clears reviewed false positives.";
    SCREENING_LIST = "screening-list", Error, "validate", "The screening list or allow-list named by screening_list / screening_allow in mawb.toml (or by the flags, when it changed since the start) cannot be read: nothing is sent unscreened.";
    LABEL_WEIGHT_LIMIT = "label-weight-limit", Error, "validate", "An item is heavier than the label type allows (Ground/Expedited 15 lb, Expedited Max 25, Priority 70, Surface 150, international 44).";
    LABEL_VALUE_LIMIT = "label-value-limit", Error, "validate", "An item's value exceeds the international label's 1000 USD (1000 CNY to China).";
    DUPLICATE_TRACKING = "duplicate-tracking-number", Error, "validate", "A trackingNumber is used by two items of the batch.";
    DUPLICATE_SHIPPER_ITEM_ID = "duplicate-shipper-item-id", Error, "validate", "A shipperItemId is used by two items of the batch.";
    SHIPPER_ITEM_ID_USED = "shipper-item-id-used", Error, "ledger", "A shipperItemId is already used by an item of another MAWB in the ledger (run, watch).";
    TRACKING_NUMBER_USED = "tracking-number-used", Error, "ledger", "A trackingNumber is already used by an item of another MAWB in the ledger (run, watch): ACP would refuse the parcel after the MAWB's others were sent.";
    LABEL_NOT_APPLIED = "label-not-applied", Warning, "validate", "mawb.toml asks for labels (label other than 0) but items carry their own trackingNumber: those are registered with label 0 and get no label from ACP.";
    UNKNOWN_CURRENCY_RATE = "unknown-rate", Warning, "validate", "No USD rate is known for a currency, so the 200/800 USD rules could not be applied.";
    // mawb.toml and the MAWB.
    MAWB_TOML_MISSING = "mawb-toml-missing", Error, "validate", "The MAWB folder has no mawb.toml.";
    MAWB_TOML_INVALID = "mawb-toml-invalid", Error, "validate", "mawb.toml is not valid TOML, or a key has the wrong type or value.";
    MAWB_TOML_UNKNOWN_KEY = "mawb-toml-unknown-key", Error, "validate", "mawb.toml has a key mawb does not know (a typo? the message names the nearest known key); nothing is sent until it is fixed.";
    MAWB_NUMBER = "mawb-number", Error, "validate", "The MAWB number is not 3 digits, a dash, 8 digits, or its mod-7 check digit is wrong.";
    DUPLICATE_MAWB = "duplicate-mawb", Error, "validate", "Two folders of the batch name the same MAWB number (manifest_number in mawb.toml): every folder after the first is refused, since one MAWB is one manifest at ACP.";
    LEG_MISSING = "leg-missing", Error, "validate", "mawb.toml has no [[leg]].";
    LEG_FORMAT = "leg-format", Error, "validate", "A leg's carrier is not a 2-3 character airline code, or its trip is not 1-10 letters and digits.";
    AIRPORT = "airport", Error, "validate", "An airport is not a 3-letter IATA code.";
    LEG_DATE = "leg-date", Error, "validate", "A leg date is not yyyy-mm-ddThh:mm:ss with an optional offset.";
    LEG_ORDER = "leg-order", Error, "validate", "A leg arrives before it departs.";
    LEG_SEQUENCE = "leg-sequence", Warning, "validate", "A leg does not depart from where the previous one arrived, or departs before it arrived.";
    LABEL_TYPE = "label-type", Error, "validate", "The label type or format is not one ACP knows.";
    IMAGE_MISSING = "image-missing", Error, "validate", "No MAWB scan was found, or several candidates exist and mawb.toml names none.";
    IMAGE_TYPE = "image-type", Error, "validate", "The MAWB scan is not PDF, PNG, JPEG, BMP, TIFF, DOC or XLS by its content.";
    IMAGE_OTHER_MAWB = "image-other-mawb", Warning, "validate", "The MAWB scan's file name carries a different MAWB number than mawb.toml (the scan of another MAWB?).";
    IMAGE_SIZE = "image-size", Error, "validate", "The MAWB scan is larger than ACP's 12,000,000 bytes.";
    NO_ITEMS = "no-items", Error, "validate", "The MAWB has no mail item.";
    DECLARED_WEIGHT = "declared-weight", Warning, "aggregate", "declared_weight differs from the HAWB total by more than the tolerance (default 5%).";
    // Payload.
    PAYLOAD_BUDGET = "payload-budget", Error, "acp", "The createManifest payload cannot fit ACP's 49.999 MB limit (or an attachment its own).";
}

/// Looks a rule up by its code.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// Rows as a person reads them: runs of consecutive rows joined (`2-5, 9, 12-14`), at most `max` runs
/// shown, then how many rows more.
pub fn rows_text(rows: &[u32], max: usize) -> String {
    let mut rows = rows.to_vec();
    rows.sort_unstable();
    rows.dedup();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for r in rows {
        match runs.last_mut() {
            Some((_, end)) if end.checked_add(1) == Some(r) => *end = r,
            _ => runs.push((r, r)),
        }
    }
    let mut parts: Vec<String> = runs
        .iter()
        .take(max.max(1))
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    let hidden: u32 = runs.iter().skip(max.max(1)).map(|&(a, b)| b - a + 1).sum();
    if hidden > 0 {
        parts.push(format!("and {hidden} more"));
    }
    parts.join(", ")
}

/// One problem found in a MAWB: where, which rule, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file, relative to the MAWB folder (or the path as given, for folder-level problems).
    pub file: String,
    pub sheet: Option<String>,
    /// The row the user sees in the spreadsheet, header included (1-based).
    pub row: Option<u32>,
    /// The canonical column name or the `mawb.toml` key.
    pub column: Option<String>,
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    /// A problem of `rule` about `file`; refine it with [`Problem::at`], [`Problem::sheet`], [`Problem::column`].
    pub fn new(rule: &Rule, file: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            sheet: None,
            row: None,
            column: None,
            code: rule.code,
            severity: rule.severity,
            message: message.into(),
        }
    }

    pub fn sheet(mut self, sheet: impl Into<String>) -> Problem {
        self.sheet = Some(sheet.into());
        self
    }

    pub fn at(mut self, row: u32) -> Problem {
        self.row = Some(row);
        self
    }

    pub fn column(mut self, column: impl Into<String>) -> Problem {
        self.column = Some(column.into());
        self
    }

    /// The same problem as an error: a rule that is a warning by default and an error by the MAWB's choice
    /// (`strict_tracking`, `dangerous_goods = "refuse"`).
    pub fn as_error(mut self) -> Problem {
        self.severity = Severity::Error;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file, sheet "S", row 12, column weight` — the place, as a person reads it.
    pub fn location(&self) -> String {
        let mut s = self.file.clone();
        if let Some(sh) = &self.sheet {
            s.push_str(&format!(", sheet \"{sh}\""));
        }
        if let Some(r) = self.row {
            s.push_str(&format!(", row {r}"));
        }
        if let Some(c) = &self.column {
            s.push_str(&format!(", column {c}"));
        }
        s
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} [{}] {}",
            self.location(),
            self.severity.as_str(),
            self.code,
            self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn rule_codes_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.code), "duplicate code {}", r.code);
            assert!(
                r.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()),
                "{}",
                r.code
            );
        }
    }

    #[test]
    fn rows_are_listed_as_runs() {
        assert_eq!(rows_text(&[5, 2, 3, 4, 9, 12, 13, 14], 10), "2-5, 9, 12-14");
        assert_eq!(rows_text(&[7], 10), "7");
        assert_eq!(rows_text(&[2, 4, 6, 7, 8], 2), "2, 4, and 3 more");
        assert_eq!(rows_text(&[], 3), "");
    }

    #[test]
    fn a_problem_names_its_place() {
        let p = Problem::new(&REQUIRED, "hawbs.xlsx", "consigneeCity is blank")
            .sheet("Sheet1")
            .at(12)
            .column("consigneeCity");
        assert_eq!(
            p.to_string(),
            "hawbs.xlsx, sheet \"Sheet1\", row 12, column consigneeCity: error [required] consigneeCity is blank"
        );
    }
}
