//! Rows into mail items: rows with the same item key (trackingNumber, else shipperItemId) form one item, one
//! product line per row. A row with a blank key continues the item above it, so item fields may stand on the
//! first row only; a non-blank repeat that disagrees is an error on that row and column.
//!
//! Cells are parsed into typed values here (decimals, units converted to kg and m, integer quantities), and
//! every cell that cannot be parsed becomes a problem naming its row and column.

use super::cell::{column_kind, read_cell, read_plain_cell, reads_as_itself, ColumnKind, Stored};
use super::columns::{
    Field, HeaderMap, CONSIGNEE_FIELDS, FIELD_COUNT, RETURN_FIELDS, SHIPPER_FIELDS,
};
use super::read::{RowRef, RowSink};
use crate::model::*;
use crate::problem::*;
use std::str::FromStr;
use std::sync::Arc;

/// Item-level fields come first in [`Field`]; this many of them.
const ITEM_FIELDS: usize = Field::Bag as usize + 1;

/// An item while its rows are being read: first non-blank text (and its row) of each item field.
struct Draft {
    sheet: Arc<str>,
    row: u32,
    /// The units the header of the item's first row states.
    units: HeaderUnits,
    /// Boxed: a draft moves as its item's rows are read, its fields stay put.
    fields: Box<[Option<(Text, u32)>; ITEM_FIELDS]>,
    products: Vec<Product>,
    /// The item's money, weight and size cells whose format shows a currency or unit.
    labels: Vec<super::format_label::Label>,
}

/// Units stated in a sheet's header ("Weight (lb)", "Length (cm)", "Value (EUR)").
#[derive(Debug, Clone, Default)]
struct HeaderUnits {
    weight: Option<crate::model::WeightUnit>,
    product_weight: Option<crate::model::WeightUnit>,
    dimensions: Option<crate::model::DimensionUnit>,
    currency: Option<Arc<str>>,
}

impl HeaderUnits {
    /// Reads the units of a header; units mawb does not know, or that disagree within the header, are
    /// problems on the header row.
    fn of(header: &HeaderMap, problem: &mut dyn FnMut(Field, String)) -> HeaderUnits {
        use crate::model::{DimensionUnit, WeightUnit};
        let mut u = HeaderUnits::default();
        for (f, unit) in &header.units {
            match f {
                Field::Weight | Field::ProductWeight => match WeightUnit::parse(unit) {
                    Some(w) if *f == Field::Weight => u.weight = Some(w),
                    Some(w) => u.product_weight = Some(w),
                    None => problem(*f, format!("the header of {} says \"{unit}\", which is not a weight unit mawb converts (kg or lb): convert the column to kg or lb and say so in the header", f.name())),
                },
                Field::Length | Field::Width | Field::Height => match DimensionUnit::parse(unit) {
                    Some(d) if u.dimensions.is_none_or(|x| x == d) => u.dimensions = Some(d),
                    Some(_) => problem(*f, "the headers of length, width and height state different units: use one unit for the three".to_string()),
                    None => problem(*f, format!("the header of {} says \"{unit}\", which is not a length unit mawb converts (m, cm or in)", f.name())),
                },
                _ => {
                    let code = unit.to_ascii_uppercase();
                    if !crate::model::codes::is_currency(&code) {
                        problem(*f, format!("the header of {} says \"{unit}\", which is not an ISO 4217 currency code", f.name()));
                    } else if u.currency.as_deref().is_some_and(|c| c != code) {
                        problem(*f, "the value headers state different currencies: one item has one currency".to_string());
                    } else {
                        u.currency = Some(Arc::from(code));
                    }
                }
            }
        }
        u
    }
}

/// A header unit and the unit column of the row must agree: the column's unit, else the header's, else the
/// default; a disagreement is a problem.
fn unit_of<T: Copy + PartialEq>(
    column: Option<T>,
    header: Option<T>,
    default: T,
    conflict: &mut dyn FnMut(),
) -> T {
    match (column, header) {
        (Some(c), Some(h)) if c != h => {
            conflict();
            c
        }
        (Some(c), _) => c,
        (None, Some(h)) => h,
        (None, None) => default,
    }
}

/// The unit a draft's unit column gives: `Ok(None)` when blank, `Err((text, row))` when it is no unit.
fn unit_column<T>(
    d: &Draft,
    f: Field,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, (&str, u32)> {
    match d.fields[f.index()].as_ref() {
        None => Ok(None),
        Some((t, r)) => parse(t).map(Some).ok_or((&**t, *r)),
    }
}

fn dim_name(u: Option<crate::model::DimensionUnit>) -> &'static str {
    u.map_or("", crate::model::DimensionUnit::as_str)
}

/// Labels that mark a totals row under the parcels (compared without case, a trailing colon ignored).
const TOTALS_LABELS: &[&str] = &[
    "total",
    "totals",
    "grand total",
    "sum",
    "subtotal",
    "sub-total",
    "summe",
    "gesamt",
    "totaal",
    "totale",
    "合计",
    "总计",
];

fn is_totals_label(t: &str) -> bool {
    let l = t.trim().trim_end_matches(':').trim_end();
    TOTALS_LABELS.iter().any(|w| l.eq_ignore_ascii_case(w))
        || l.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("total "))
}

/// Builds the items of one file from its rows.
pub struct Assembler {
    file: usize,
    name: String,
    /// The file's extension, for messages about what a file type can show.
    ext: String,
    sheet: Arc<str>,
    units: HeaderUnits,

    columns: [Option<usize>; FIELD_COUNT],
    /// The item fields the sheet has a column for, in [`Field`] order: a row reads these and no other
    /// item field (a sheet has about half of them).
    item_fields: Vec<Field>,
    drafts: Vec<Draft>,
    index: ahash::AHashMap<Text, usize>,
    /// The draft the previous data row belonged to (continuation rows join it).
    current: Option<usize>,
    /// The product lines of the current draft's latest rows, moved into the draft when another draft
    /// takes its turn: an item's lines (most often consecutive rows) are stored at their exact number,
    /// without growing the item's list one line at a time.
    lines: Vec<Product>,
    pub problems: Vec<Problem>,
}

impl Assembler {
    pub fn new(file: usize, name: &str) -> Assembler {
        Assembler {
            file,
            name: name.to_string(),
            ext: name
                .rsplit_once('.')
                .map(|(_, e)| e.to_ascii_lowercase())
                .unwrap_or_default(),
            sheet: Arc::from(""),
            units: HeaderUnits::default(),

            columns: [None; FIELD_COUNT],
            item_fields: Vec::new(),
            drafts: Vec::new(),
            index: ahash::AHashMap::new(),
            current: None,
            lines: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// [`Assembler::read`] with a refused cell read as blank (its problem is recorded). Inlined where
    /// it is asked for, with `read`: an out-of-line call per cell cost about as much as reading a plain
    /// cell.
    #[inline(always)]
    fn cell<'r>(
        &mut self,
        cells: &RowRef<'r>,
        f: Field,
        row: u32,
    ) -> Option<std::borrow::Cow<'r, str>> {
        self.read(cells, f, row).ok().flatten()
    }

    /// A cell as the user sees it: `Ok(None)` when blank, `Err(())` when refused (the problem is recorded);
    /// a warning about the cell (invisible characters removed) is recorded too.
    ///
    /// A sheet without the column, an empty cell (a continuation row leaves most item fields empty) and
    /// a plain text ([`read_plain_cell`]) are answered here; other cells are read by
    /// [`Assembler::read_stored`].
    #[inline(always)]
    fn read<'r>(
        &mut self,
        cells: &RowRef<'r>,
        f: Field,
        row: u32,
    ) -> Result<Option<std::borrow::Cow<'r, str>>, ()> {
        let Some(col) = self.columns[f.index()] else {
            return Ok(None);
        };
        let stored = cells.stored(col);
        if let Stored::Blank | Stored::Text("") = stored {
            return Ok(None);
        }
        let may_hold_invisible = cells.may_hold_invisible();
        match read_plain_cell(&stored, f, may_hold_invisible) {
            Some(t) => Ok(Some(std::borrow::Cow::Borrowed(t))),
            None => self.read_stored(stored, f, row, may_hold_invisible),
        }
    }

    /// [`Assembler::read`] of a cell that is not empty.
    fn read_stored<'r>(
        &mut self,
        stored: Stored<'r>,
        f: Field,
        row: u32,
        row_may_hold_invisible: bool,
    ) -> Result<Option<std::borrow::Cow<'r, str>>, ()> {
        match read_cell(stored, f, &self.ext, row_may_hold_invisible) {
            Ok(None) => Ok(None),
            Ok(Some((text, note))) => {
                if let Some(n) = note {
                    let p = self.problem_at(n.rule, row, f, n.message);
                    self.problems.push(p);
                }
                if let Stored::Number(_, fmt) = stored {
                    self.keep_label(f, row, &text, fmt);
                }
                Ok(Some(text))
            }
            Err(n) => {
                let p = self.problem_at(n.rule, row, f, n.message);
                self.problems.push(p);
                Err(())
            }
        }
    }

    /// Keeps, with the current item, a money, weight or size number whose format shows a currency or unit,
    /// to be held against the item's ([`super::format_label`]).
    fn keep_label(&mut self, f: Field, row: u32, text: &str, fmt: &super::numfmt::NumFmt) {
        let (Some(label), Some(i)) = (fmt.label(), self.current) else {
            return;
        };
        if let (true, Some(d)) = (super::format_label::labelled(f), self.drafts.get_mut(i)) {
            d.labels.push(super::format_label::Label {
                field: f,
                row,
                number: text.to_string(),
                label: label.into(),
                code: fmt.code().into(),
            });
        }
    }

    /// Whether a row is a totals row: a "total" label (in any cell, the key column included) with no
    /// consignee and no product description, or, without a key, numbers and no text at all (a
    /// continuation row always describes a product).
    fn is_totals_row(&self, cells: &RowRef<'_>, key: Option<&str>) -> bool {
        let blank = |f: Field| {
            self.columns[f.index()].is_none_or(|c| match cells.stored(c) {
                super::cell::Stored::Blank => true,
                super::cell::Stored::Text(t) => t.trim().is_empty() || is_totals_label(t),
                _ => false,
            })
        };
        let labelled = key.is_some_and(is_totals_label) || cells.any_text(is_totals_label);
        let no_parcel = [
            Field::ConsigneeName,
            Field::ConsigneeCompany,
            Field::ConsigneeAddress1,
            Field::ProductDescription,
        ]
        .iter()
        .all(|f| blank(*f));
        if labelled {
            return no_parcel;
        }
        key.is_none()
            && Field::ALL
                .iter()
                .filter(|f| column_kind(**f) != ColumnKind::Number)
                .all(|f| blank(*f))
            && Field::ALL
                .iter()
                .filter(|f| column_kind(**f) == ColumnKind::Number)
                .any(|f| !blank(*f))
    }

    /// Whether the row's cell of item field `f` is stored as exactly the text the item's first value
    /// was read as, and so reads as it again and agrees ([`reads_as_itself`]): the item's continuation
    /// rows repeat most item fields, and those cells need no reading.
    fn repeats_first(&self, cells: &RowRef<'_>, idx: usize, f: Field) -> bool {
        let (Some(col), Some(Some((first, _)))) = (
            self.columns[f.index()],
            self.drafts.get(idx).map(|d| &d.fields[f.index()]),
        ) else {
            return false;
        };
        matches!(cells.stored(col), super::cell::Stored::Text(s) if s == &**first && reads_as_itself(s))
    }

    fn problem_at(&self, rule: &Rule, row: u32, f: Field, msg: String) -> Problem {
        Problem::new(rule, self.name.clone(), msg)
            .sheet(&*self.sheet)
            .at(row)
            .column(f.name())
    }

    /// Moves the lines read for the current draft into it (see [`Assembler::lines`]).
    fn settle_lines(&mut self) {
        let Some(d) = self.current.and_then(|i| self.drafts.get_mut(i)) else {
            return;
        };
        if d.products.is_empty() {
            d.products = Vec::with_capacity(self.lines.len());
        }
        d.products.append(&mut self.lines);
    }

    /// Finishes the file: every draft becomes a [`MailItem`] with typed fields.
    pub fn finish(mut self) -> (Vec<MailItem>, Vec<Problem>) {
        self.settle_lines();
        let drafts = std::mem::take(&mut self.drafts);
        let mut items = Vec::with_capacity(drafts.len());
        for d in drafts {
            items.push(self.build(d));
        }
        (items, self.problems)
    }

    fn build(&mut self, d: Draft) -> MailItem {
        // Borrowed: the name is copied only into the problems found.
        let name = self.name.as_str();
        let sheet = d.sheet.clone();
        let mut problems = Vec::new();
        let mut late_rows = Vec::new();
        let row_of = |f: Field| {
            d.fields[f.index()]
                .as_ref()
                .map(|(_, r)| *r)
                .unwrap_or(d.row)
        };
        for f in &Field::ALL[..ITEM_FIELDS] {
            let r = row_of(*f);
            if r != d.row {
                late_rows.push((*f, r));
            }
        }
        let mut number = |f: Field| -> Option<Decimal> {
            let (t, r) = d.fields[f.index()].as_ref()?;
            match parse_decimal(t) {
                Some(v) => Some(v),
                None => {
                    let (rule, msg) = not_a_number(f, t);
                    problems.push(
                        Problem::new(rule, name, msg)
                            .sheet(&*sheet)
                            .at(*r)
                            .column(f.name()),
                    );
                    None
                }
            }
        };
        let value = number(Field::Value);
        let raw_weight = number(Field::Weight);
        let dims = [
            number(Field::Length),
            number(Field::Width),
            number(Field::Height),
        ];
        let mut unit_problem = |f: Field, t: &str, r: u32, allowed: &str| {
            problems.push(
                Problem::new(
                    &BAD_UNIT,
                    name,
                    format!("{} \"{t}\" must be {allowed}", f.name()),
                )
                .sheet(&*sheet)
                .at(r)
                .column(f.name()),
            );
        };
        let weight_column = unit_column(&d, Field::WeightUnit, crate::model::WeightUnit::parse)
            .map_err(|(t, r)| unit_problem(Field::WeightUnit, t, r, "kg or lb"))
            .ok()
            .flatten();
        let dim_column = unit_column(&d, Field::DimensionUnit, crate::model::DimensionUnit::parse)
            .map_err(|(t, r)| unit_problem(Field::DimensionUnit, t, r, "m, cm or in"))
            .ok()
            .flatten();
        let mut conflict = |f: Field, what: &str, column: &str, header: &str| {
            problems.push(
                Problem::new(
                    &UNIT_CONFLICT,
                    name,
                    format!(
                        "the {what} column says {column} but the header says {header}: correct one of them"
                    ),
                )
                .sheet(&*sheet)
                .at(row_of(f))
                .column(f.name()),
            );
        };
        let weight_unit = unit_of(
            weight_column,
            d.units.weight,
            crate::model::WeightUnit::Kg,
            &mut || {
                conflict(
                    Field::WeightUnit,
                    "weightUnit",
                    weight_column.map_or("", |u| u.as_str()),
                    d.units.weight.map_or("", |u| u.as_str()),
                )
            },
        );
        let dim_unit = unit_of(
            dim_column,
            d.units.dimensions,
            crate::model::DimensionUnit::M,
            &mut || {
                conflict(
                    Field::DimensionUnit,
                    "dimensionUnit",
                    dim_name(dim_column),
                    dim_name(d.units.dimensions),
                )
            },
        );
        let header_currency = d.units.currency.clone();
        if let (Some((c, _)), Some(h)) =
            (d.fields[Field::Currency.index()].as_ref(), &header_currency)
        {
            if !c.eq_ignore_ascii_case(h) {
                conflict(Field::Currency, "currency", c, h);
            }
        }
        // Kilograms and metres go to ACP with 3 decimals: a finer value is sent rounded, and the user told.
        let finer = |f: Field, v: Option<Decimal>, unit: &str| {
            v.filter(|v| finer_than_acp(*v)).map(|v| {
                too_many_decimals(name, f, v, unit)
                    .sheet(&*sheet)
                    .at(row_of(f))
                    .column(f.name())
            })
        };
        if weight_unit == crate::model::WeightUnit::Kg {
            problems.extend(finer(Field::Weight, raw_weight, "kg"));
        }
        if dim_unit == crate::model::DimensionUnit::M {
            for (f, v) in [Field::Length, Field::Width, Field::Height]
                .into_iter()
                .zip(dims)
            {
                problems.extend(finer(f, v, "m"));
            }
        }
        let shown = super::format_label::Read {
            currency: d.fields[Field::Currency.index()]
                .as_ref()
                .map(|(c, _)| &**c)
                .or(header_currency.as_deref()),
            weight: weight_unit,
            product_weight: d
                .units
                .product_weight
                .unwrap_or(crate::model::WeightUnit::Kg),
            dimensions: dim_unit,
        };
        for (f, r, msg) in super::format_label::conflicts(&d.labels, &shown) {
            problems.push(
                Problem::new(&UNIT_CONFLICT, name, msg)
                    .sheet(&*sheet)
                    .at(r)
                    .column(f.name()),
            );
        }
        let dimensions = match dims {
            [None, None, None] => None,
            [Some(l), Some(w), Some(h)] => Some(Dimensions {
                length: dim_unit.to_metres(l),
                width: dim_unit.to_metres(w),
                height: dim_unit.to_metres(h),
            }),
            _ => {
                let missing: Vec<&str> = [Field::Length, Field::Width, Field::Height]
                    .iter()
                    .zip(dims.iter())
                    .filter(|(_, v)| v.is_none())
                    .map(|(f, _)| f.name())
                    .collect();
                if d.fields[Field::Length.index()].is_some()
                    || d.fields[Field::Width.index()].is_some()
                    || d.fields[Field::Height.index()].is_some()
                {
                    let first_missing = missing.first().copied().unwrap_or("length");
                    problems.push(
                        Problem::new(
                            &DIMENSIONS_INCOMPLETE,
                            name,
                            format!(
                                "give length, width and height together ({} missing or invalid)",
                                missing.join(", ")
                            ),
                        )
                        .sheet(&*sheet)
                        .at(d.row)
                        .column(first_missing),
                    );
                }
                None
            }
        };
        // The texts move out of the draft: no copy per field.
        let (origin_row, mut products) = (d.row, d.products);
        // An item whose rows are not all consecutive may have room left (see `settle_lines`), which
        // would stay with the item for the whole run.
        products.shrink_to_fit();
        let mut fields = d.fields;
        // Most sheets have no shipper or return address columns: an address with no field is not built.
        let given = |prefix: [Field; 10]| prefix.iter().any(|f| fields[f.index()].is_some());
        let (shipper_given, return_given) = (given(SHIPPER_FIELDS), given(RETURN_FIELDS));
        let mut text = |f: Field| -> Option<Text> { fields[f.index()].take().map(|(t, _)| t) };
        let mut address = |prefix: [Field; 10]| Address {
            name: text(prefix[0]),
            company: text(prefix[1]),
            address1: text(prefix[2]),
            address2: text(prefix[3]),
            city: text(prefix[4]),
            state: text(prefix[5]).map(uppercase),
            zip: text(prefix[6]),
            country: text(prefix[7]).map(uppercase),
            phone: text(prefix[8]),
            email: text(prefix[9]),
        };
        let consignee = address(CONSIGNEE_FIELDS);
        let shipper = shipper_given.then(|| Box::new(address(SHIPPER_FIELDS)));
        let return_address = return_given.then(|| Box::new(address(RETURN_FIELDS)));
        use Field::*;
        let item = MailItem {
            origin: Origin {
                file: self.file,
                sheet: sheet.clone(),
                row: origin_row,
            },
            tracking_number: text(TrackingNumber),
            shipper_item_id: text(ShipperItemId),
            display_item_id: text(DisplayItemId),
            consignee,
            shipper,
            return_address,
            value,
            currency: text(Currency)
                .map(uppercase)
                .or_else(|| header_currency.map(|c| Text::from(&*c))),
            weight: raw_weight.map(|w| Kg::from_unit(w, weight_unit)),
            dimensions,
            bag: text(Bag),
            products,
            late_rows,
        };
        self.problems.extend(problems);
        item
    }

    fn product(&mut self, cells: &RowRef<'_>, row: u32) -> Product {
        let mut p = Product {
            row,
            ..Default::default()
        };
        p.description = self
            .cell(cells, Field::ProductDescription, row)
            .map(Text::from);
        p.hts = self.cell(cells, Field::Hts, row).map(Text::from);
        p.country_of_origin = self
            .cell(cells, Field::CountryOfOrigin, row)
            .map(|c| uppercase(Text::from(c)));
        p.sku = self.cell(cells, Field::Sku, row).map(Text::from);
        p.manufacturer_code = self
            .cell(cells, Field::ManufacturerCode, row)
            .map(Text::from);
        if let Some(q) = self.cell(cells, Field::Quantity, row) {
            p.quantity_given = true;
            match parse_decimal(&q) {
                // A whole number in range: its integer, without formatting it as text. Most quantities
                // have no decimals at all, and need no look at their fraction.
                Some(d)
                    if (d.scale() == 0 || d.fract().is_zero())
                        && !is_not_positive(d)
                        && rust_decimal::prelude::ToPrimitive::to_u32(&d).is_some() =>
                {
                    p.quantity = rust_decimal::prelude::ToPrimitive::to_u32(&d);
                }
                Some(d) if is_not_positive(d) => {
                    let pr = self.problem_at(
                        &NOT_POSITIVE,
                        row,
                        Field::Quantity,
                        format!("quantity {q} must be a positive whole number"),
                    );
                    self.problems.push(pr);
                }
                Some(_) => {
                    let pr = self.problem_at(
                        &NOT_AN_INTEGER,
                        row,
                        Field::Quantity,
                        format!("quantity \"{q}\" is not a whole number"),
                    );
                    self.problems.push(pr);
                }
                None => {
                    let (rule, msg) = not_a_number(Field::Quantity, &q);
                    let pr = self.problem_at(rule, row, Field::Quantity, msg);
                    self.problems.push(pr);
                }
            }
        }
        for f in [Field::UnitValue, Field::ProductValue, Field::ProductWeight] {
            if let Some(t) = self.cell(cells, f, row) {
                match parse_decimal(&t) {
                    Some(v) => match f {
                        Field::UnitValue => p.unit_value = Some(v),
                        Field::ProductValue => p.value = Some(v),
                        _ => {
                            let unit = self.units.product_weight;
                            if unit.is_none_or(|u| u == crate::model::WeightUnit::Kg)
                                && finer_than_acp(v)
                            {
                                let pr = too_many_decimals(&self.name, f, v, "kg")
                                    .sheet(&*self.sheet)
                                    .at(row)
                                    .column(f.name());
                                self.problems.push(pr);
                            }
                            p.weight = Some(match unit {
                                Some(u) => Kg::from_unit(v, u),
                                None => Kg(round3(v)),
                            })
                        }
                    },
                    None => {
                        let (rule, msg) = not_a_number(f, &t);
                        let pr = self.problem_at(rule, row, f, msg);
                        self.problems.push(pr);
                    }
                }
            }
        }
        p
    }
}

impl RowSink for Assembler {
    fn begin_sheet(&mut self, sheet: &str, header: &HeaderMap, header_row: u32) {
        self.settle_lines();
        self.sheet = Arc::from(sheet);
        self.columns = header.columns;
        self.item_fields = Field::ALL[..ITEM_FIELDS]
            .iter()
            .copied()
            .filter(|f| self.columns[f.index()].is_some())
            .collect();
        self.current = None;
        let mut found = Vec::new();
        self.units = HeaderUnits::of(header, &mut |f, msg| found.push((f, msg)));
        for (f, msg) in found {
            let p = self.problem_at(&UNIT_CONFLICT, header_row, f, msg);
            self.problems.push(p);
        }
    }

    fn row(&mut self, row: u32, cells: &RowRef<'_>) {
        // A refused key (digits lost, a date...) makes the row an item of its own, with the key left blank:
        // the cause is reported once on its cell, the rest of the row is still checked, and rows whose
        // keys collapsed to one number do not become a cascade of "fields disagree".
        let tracking = self.read(cells, Field::TrackingNumber, row);
        let shipper_item_id = self.read(cells, Field::ShipperItemId, row);
        let refused =
            tracking.is_err() || (matches!(tracking, Ok(None)) && shipper_item_id.is_err());
        let (tracking, shipper_item_id) =
            (tracking.unwrap_or(None), shipper_item_id.unwrap_or(None));
        let key = if refused {
            Some(std::borrow::Cow::Owned(format!(
                "\u{1}refused {} {row}",
                self.sheet
            )))
        } else {
            tracking.clone().or_else(|| shipper_item_id.clone())
        };
        // Only a row without a key, or whose key is a "total" label, can be a totals row.
        if !refused
            && key.as_deref().is_none_or(is_totals_label)
            && self.is_totals_row(cells, key.as_deref())
        {
            let p = Problem::new(
                &TOTALS_ROW,
                self.name.clone(),
                "a totals row (no tracking number or shipperItemId, no consignee, sums or a \"total\" label): skipped, not read as a parcel",
            )
            .sheet(&*self.sheet)
            .at(row);
            self.problems.push(p);
            return;
        }
        let idx = match key {
            Some(k) => match self.index.get(k.as_ref()) {
                Some(&i) => i,
                None => {
                    let i = self.drafts.len();
                    self.index.insert(Text::from(k.as_ref()), i);
                    self.drafts.push(Draft {
                        sheet: self.sheet.clone(),
                        row,
                        units: self.units.clone(),
                        fields: Box::new([const { None }; ITEM_FIELDS]),
                        // Filled by `settle_lines`.
                        products: Vec::new(),
                        labels: Vec::new(),
                    });
                    i
                }
            },
            None => {
                match self.current {
                    Some(i) => i,
                    None => {
                        let p = self.problem_at(&ITEM_KEY_MISSING,
                        row,
                        Field::TrackingNumber,
                        "the row has neither trackingNumber nor shipperItemId and follows no item".to_string(),
                    );
                        self.problems.push(p);
                        return;
                    }
                }
            }
        };
        if self.current != Some(idx) {
            self.settle_lines();
            self.current = Some(idx);
        }
        // Taken for the loop (which borrows `self` mutably) and put back after it.
        let item_fields = std::mem::take(&mut self.item_fields);
        for f in &item_fields {
            let text = match f {
                Field::TrackingNumber => tracking.clone(),
                Field::ShipperItemId => shipper_item_id.clone(),
                _ if self.repeats_first(cells, idx, *f) => continue,
                _ => self.cell(cells, *f, row),
            };
            let Some(text) = text else {
                continue;
            };
            let slot = &self.drafts[idx].fields[f.index()];
            match slot {
                None => self.drafts[idx].fields[f.index()] = Some((Text::from(text), row)),
                Some((first, first_row)) => {
                    if !same_value(*f, first, &text) {
                        let msg = format!(
                            "{} \"{}\" disagrees with \"{}\" on row {} of the same item",
                            f.name(),
                            text,
                            first,
                            first_row
                        );
                        let p = self.problem_at(&ITEM_FIELD_CONFLICT, row, *f, msg);
                        self.problems.push(p);
                    }
                }
            }
        }
        self.item_fields = item_fields;
        let product = self.product(cells, row);
        self.lines.push(product);
    }

    fn problem(&mut self, p: Problem) {
        self.problems.push(p);
    }
}

/// A text with its ASCII letters uppercased in place (codes: states, countries, currencies).
fn uppercase(mut s: Text) -> Text {
    s.make_ascii_uppercase();
    s
}

/// Whether a repeated item cell agrees with the first one: numbers by value (2 = 2.0), units and codes
/// case-insensitively, other text exactly.
fn same_value(f: Field, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match f {
        Field::Value | Field::Weight | Field::Length | Field::Width | Field::Height => {
            matches!((parse_decimal(a), parse_decimal(b)), (Some(x), Some(y)) if x == y)
        }
        Field::WeightUnit
        | Field::DimensionUnit
        | Field::Currency
        | Field::ConsigneeCountry
        | Field::ConsigneeState
        | Field::ShipperCountry
        | Field::ShipperState
        | Field::ReturnCountry
        | Field::ReturnState
        | Field::ConsigneeEmail => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// Whether `text` is a number written with a decimal comma (`1,25`, `-3,5`, `1.234,56`), the way a
/// spreadsheet saved in a European locale writes numbers.
pub fn is_decimal_comma(text: &str) -> bool {
    let t = text.trim();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let Some((int, frac)) = t.split_once(',') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(frac) {
        return false;
    }
    // Digits, or digits grouped by dots in threes (1.234.567).
    let mut groups = int.split('.');
    let first = groups.next().unwrap_or_default();
    digits(first) && groups.all(|g| g.len() == 3 && digits(g))
}

/// The problem of a number cell that does not parse: `decimal-comma` (grouped per file later) for a
/// decimal comma, else `not-a-number`.
fn not_a_number(f: Field, t: &str) -> (&'static Rule, String) {
    if is_decimal_comma(t) {
        (
            &DECIMAL_COMMA,
            format!("{} \"{t}\" has a comma as decimal separator", f.name()),
        )
    } else {
        (
            &NOT_A_NUMBER,
            format!(
                "{} \"{t}\" is not a number (use digits and a dot, e.g. 1.25)",
                f.name()
            ),
        )
    }
}

/// Parses a decimal as warehouses write it: digits with a dot, optional sign, optional exponent.
/// A comma is refused rather than guessed ("1,2" may mean 1.2 or 12).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    // Most number cells are plain (`0.811`, see `plain_decimal`), with nothing to trim or strip.
    if let Some(d) = crate::model::plain_decimal(text) {
        return Some(d);
    }
    let t = text.trim();
    if t.is_empty() || t.as_bytes().contains(&b',') {
        return None;
    }
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.bytes().any(|b| b == b'e' || b == b'E') {
        Decimal::from_scientific(t).ok()
    } else {
        Decimal::from_str(t).ok()
    }
}

/// Whether `v` has more decimals than ACP takes for kilograms and metres (3: grams, millimetres).
fn finer_than_acp(v: Decimal) -> bool {
    v.scale() > WEIGHT_SCALE && v.normalize().scale() > WEIGHT_SCALE
}

/// The warning of a weight in kg or a dimension in m finer than ACP takes, naming what is sent (sheet,
/// row and column are the caller's).
fn too_many_decimals(file: &str, f: Field, v: Decimal, unit: &str) -> Problem {
    let (grain, rounded) = (
        if unit == "kg" { "grams" } else { "millimetres" },
        round3(v),
    );
    Problem::new(
        &TOO_MANY_DECIMALS,
        file,
        format!(
            "{} {v} {unit} has more than 3 decimals, and ACP takes {unit} to 3 ({grain}): {rounded} is sent{}. Round the value in the spreadsheet (or its formula, with ROUND) so that it shows what is sent",
            f.name(),
            if rounded.is_zero() { ", which is no weight or size at all" } else { "" }
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::columns::ColumnAliases;
    use crate::ingest::read::CsvRecord;

    fn assemble(rows: &[&[&str]]) -> (Vec<MailItem>, Vec<Problem>) {
        let header = HeaderMap::from_cells(rows[0].iter().copied(), &ColumnAliases::default());
        let mut a = Assembler::new(0, "t.csv");
        a.begin_sheet("t.csv", &header, 1);
        for (i, r) in rows[1..].iter().enumerate() {
            let rec = csv::ByteRecord::from(r.to_vec());
            let fields = CsvRecord::new(&rec).expect("UTF-8 test rows");
            a.row(i as u32 + 2, &RowRef::Csv(fields));
        }
        a.finish()
    }

    const H: &[&str] = &[
        "trackingNumber",
        "consigneeName",
        "weight",
        "weightUnit",
        "productDescription",
        "quantity",
        "value",
    ];

    #[test]
    fn kilograms_and_metres_finer_than_grams_and_millimetres_are_sent_rounded_with_a_warning() {
        let with_sizes: Vec<&str> = H
            .iter()
            .copied()
            .chain([
                "length",
                "width",
                "height",
                "dimensionUnit",
                "productWeight",
            ])
            .collect();
        let h = &with_sizes[..];
        let warned = |weight: &str, unit: &str, length: &str, dim_unit: &str, product: &str| {
            let (items, p) = assemble(&[
                h,
                &[
                    "1Z1", "Ann", weight, unit, "Book", "1", "10", length, "0.2", "0.3", dim_unit,
                    product,
                ],
            ]);
            assert!(p.iter().all(|p| p.code == "too-many-decimals"), "{p:?}");
            let at: Vec<(String, String)> = p
                .iter()
                .map(|p| (p.column.clone().unwrap_or_default(), p.message.clone()))
                .collect();
            (items[0].weight, at)
        };
        let (w, at) = warned("1.2345", "kg", "0.1", "m", "");
        assert_eq!(w, Some(Kg(Decimal::from_str("1.235").unwrap())));
        assert_eq!(at.len(), 1);
        assert_eq!(at[0].0, "weight");
        assert!(
            at[0].1.contains("1.2345 kg") && at[0].1.contains("1.235 is sent"),
            "{}",
            at[0].1
        );
        let (_, at) = warned("1.5", "kg", "0.12345", "m", "0.00049");
        let mut at = at;
        at.sort();
        let columns: Vec<&str> = at.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(columns, vec!["length", "productWeight"]);
        assert!(
            at[1].1.contains("0.000 is sent, which is no weight"),
            "{}",
            at[1].1
        );
        // Trailing zeros are not decimals; pounds and centimetres are converted, never typed in kg or m.
        for (weight, unit, length, dim_unit) in [
            ("1.2340", "kg", "0.1000", "m"),
            ("1.2345", "lb", "12.345", "cm"),
        ] {
            assert!(warned(weight, unit, length, dim_unit, "").1.is_empty());
        }
    }

    #[test]
    fn an_item_keeps_its_lines_in_row_order_when_its_rows_are_apart() {
        let (items, p) = assemble(&[
            H,
            &["1Z1", "Ann", "1.5", "kg", "Book", "2", "10"],
            &["1Z2", "Bob", "2", "lb", "Cup", "1", "5"],
            &["", "", "", "", "Saucer", "1", ""],
            &["1Z1", "Ann", "1.5", "kg", "Pen", "1", "10"],
            &["", "", "", "", "Ink", "3", ""],
        ]);
        assert!(p.is_empty(), "{p:?}");
        let lines = |i: usize| {
            items[i]
                .products
                .iter()
                .map(|l| {
                    (
                        l.row,
                        l.description.as_deref().unwrap_or_default().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            lines(0),
            [(2, "Book".into()), (5, "Pen".into()), (6, "Ink".into())]
        );
        assert_eq!(lines(1), [(3, "Cup".into()), (4, "Saucer".into())]);
        // Each item holds room for its lines and no more.
        assert!(items
            .iter()
            .all(|i| i.products.capacity() == i.products.len()));
    }

    #[test]
    fn an_item_continued_on_another_sheet_keeps_the_lines_of_both() {
        let header = HeaderMap::from_cells(H.iter().copied(), &ColumnAliases::default());
        let mut a = Assembler::new(0, "t.xlsx");
        let feed = |a: &mut Assembler, sheet: &str, rows: &[(u32, &[&str])]| {
            a.begin_sheet(sheet, &header, 1);
            for (row, r) in rows {
                let rec = csv::ByteRecord::from(r.to_vec());
                let fields = CsvRecord::new(&rec).expect("UTF-8 test rows");
                a.row(*row, &RowRef::Csv(fields));
            }
        };
        feed(
            &mut a,
            "May",
            &[(2, &["1Z1", "Ann", "1.5", "kg", "Book", "2", "10"])],
        );
        feed(
            &mut a,
            "June",
            &[
                (2, &["1Z2", "Bob", "2", "lb", "Cup", "1", "5"]),
                (3, &["1Z1", "Ann", "1.5", "kg", "Pen", "1", "10"]),
            ],
        );
        let (items, p) = a.finish();
        assert!(p.is_empty(), "{p:?}");
        let names = |i: usize| -> Vec<&str> {
            items[i]
                .products
                .iter()
                .filter_map(|l| l.description.as_deref())
                .collect()
        };
        assert_eq!((names(0), names(1)), (vec!["Book", "Pen"], vec!["Cup"]));
    }

    #[test]
    fn rows_with_the_same_key_form_one_item() {
        let (items, p) = assemble(&[
            H,
            &["1Z1", "Ann", "1.5", "kg", "Book", "2", "10"],
            &["1Z1", "Ann", "1.5", "kg", "Pen", "1", "10"],
            &["1Z2", "Bob", "2", "lb", "Cup", "1", "5"],
        ]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].products.len(), 2);
        assert_eq!(
            items[1].weight,
            Some(Kg(Decimal::from_str("0.907").unwrap()))
        );
    }

    #[test]
    fn quantities_read_as_whole_positive_numbers_or_are_refused() {
        let q = |text: &str| {
            let (items, p) = assemble(&[H, &["1Z1", "Ann", "1.5", "kg", "Book", text, "10"]]);
            let rules: Vec<&str> = p.iter().map(|p| p.code).collect();
            (items[0].products[0].quantity, rules)
        };
        assert_eq!(q("2"), (Some(2), vec![]));
        assert_eq!(q("2.0"), (Some(2), vec![]));
        assert_eq!(q("4294967295"), (Some(u32::MAX), vec![]));
        assert_eq!(q("0"), (None, vec!["not-positive"]));
        assert_eq!(q("0.0"), (None, vec!["not-positive"]));
        assert_eq!(q("-3"), (None, vec!["not-positive"]));
        assert_eq!(q("2.5"), (None, vec!["not-an-integer"]));
        assert_eq!(q("4294967296"), (None, vec!["not-an-integer"]));
    }

    #[test]
    fn item_fields_may_stand_on_the_first_row_only() {
        let (items, p) = assemble(&[
            H,
            &["1Z1", "Ann", "1.5", "kg", "Book", "2", "10"],
            &["", "", "", "", "Pen", "1", ""],
        ]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].products[1].description.as_deref(), Some("Pen"));
        assert_eq!(items[0].products[1].row, 3);
    }

    #[test]
    fn a_disagreeing_repeat_is_an_error_on_its_row_and_column() {
        let (_, p) = assemble(&[
            H,
            &["1Z1", "Ann", "1.5", "kg", "Book", "2", "10"],
            &["1Z1", "Anne", "1.50", "kg", "Pen", "1", "10"],
        ]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].code, "item-field-conflict");
        assert_eq!(p[0].row, Some(3));
        assert_eq!(p[0].column.as_deref(), Some("consigneeName"));
    }

    #[test]
    fn text_where_a_number_belongs_is_reported() {
        let (_, p) = assemble(&[H, &["1Z1", "Ann", "1,2kg", "kg", "Book", "2.5", "10"]]);
        let codes: Vec<_> = p
            .iter()
            .map(|p| (p.code, p.column.clone().unwrap_or_default()))
            .collect();
        assert!(
            codes.contains(&("not-a-number", "weight".into())),
            "{codes:?}"
        );
        assert!(
            codes.contains(&("not-an-integer", "quantity".into())),
            "{codes:?}"
        );
    }

    #[test]
    fn a_first_row_without_key_is_an_error() {
        let (items, p) = assemble(&[H, &["", "Ann", "1", "kg", "Book", "1", "1"]]);
        assert!(items.is_empty());
        assert_eq!(p[0].code, "item-key-missing");
    }

    #[test]
    fn whole_quantities_read_as_their_integer() {
        for (t, q) in [
            ("2", 2),
            ("2.0", 2),
            ("2.000", 2),
            ("4294967295", u32::MAX),
            ("1e2", 100),
        ] {
            let (items, p) = assemble(&[H, &["1Z1", "Ann", "1", "kg", "Book", t, "1"]]);
            assert!(p.is_empty(), "{t}: {p:?}");
            assert_eq!(items[0].products[0].quantity, Some(q), "{t}");
        }
    }

    #[test]
    fn integer_valued_quantities_are_accepted() {
        let (items, p) = assemble(&[H, &["1Z1", "Ann", "1", "kg", "Book", "2.0", "1"]]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(items[0].products[0].quantity, Some(2));
    }

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(
            parse_decimal("1.125"),
            Some(Decimal::from_str("1.125").unwrap())
        );
        assert_eq!(parse_decimal("1e3"), Some(Decimal::from(1000)));
        assert_eq!(parse_decimal("1,2"), None);
        assert!(
            is_decimal_comma("1,25") && is_decimal_comma("-3,5") && is_decimal_comma("1.234,56")
        );
        assert!(
            !is_decimal_comma("1,2kg")
                && !is_decimal_comma("1,299.00")
                && !is_decimal_comma("12.34,5,6")
        );
        assert!(!is_decimal_comma(",5") && !is_decimal_comma("12,"));
        assert_eq!(parse_decimal("12kg"), None);
    }
}
