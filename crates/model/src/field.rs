//! The canonical HAWB columns of the contract, the vocabulary every stage names fields by (problems,
//! reports, the model's per-field rows). Matching warehouse headers to these names is ingest's job
//! (`mawb::ingest::columns`); this is only the list, in the contract's order.

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

/// The fields of each address group, in the order of [`crate::Address`]: name, company, address1,
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
    /// The field's position in [`Field::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}
