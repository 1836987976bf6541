//! The ACP Shipper API on the wire, as plain typed values: one struct per XML shape of
//! the ACP Shipper API document, field for element, in the spec's order.
//!
//! Leaf values stay `String` here on purpose: this is what travels, byte for byte. The client side maps the
//! validated domain model into these types (`mawb::acp::convert`), writes them ([`crate::request`]) and reads
//! answers back ([`crate::answer`]); the sandbox parses the same types with its own reader and enforces ACP's rules on
//! them, so a bug on one side cannot hide a bug on the other.

use mawb_model::Text;
use serde::Serialize;

/// The 13 commands of the basic ACP Shipper API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Command {
    CreateMailing,
    CancelMailing,
    CreateBag,
    CancelBag,
    CloseDay,
    ReopenDay,
    CreateDay,
    CancelDay,
    GetInfo,
    CreateManifest,
    ModifyManifest,
    CancelManifest,
    GetManifest,
}

impl Command {
    /// Every command, in the spec's order.
    pub const ALL: [Command; 13] = [
        Command::CreateMailing,
        Command::CancelMailing,
        Command::CreateBag,
        Command::CancelBag,
        Command::CloseDay,
        Command::ReopenDay,
        Command::CreateDay,
        Command::CancelDay,
        Command::GetInfo,
        Command::CreateManifest,
        Command::ModifyManifest,
        Command::CancelManifest,
        Command::GetManifest,
    ];

    /// The value of the `command` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Command::CreateMailing => "createMailing",
            Command::CancelMailing => "cancelMailing",
            Command::CreateBag => "createBag",
            Command::CancelBag => "cancelBag",
            Command::CloseDay => "closeDay",
            Command::ReopenDay => "reopenDay",
            Command::CreateDay => "createDay",
            Command::CancelDay => "cancelDay",
            Command::GetInfo => "getInfo",
            Command::CreateManifest => "createManifest",
            Command::ModifyManifest => "modifyManifest",
            Command::CancelManifest => "cancelManifest",
            Command::GetManifest => "getManifest",
        }
    }

    /// The command named by a `command` parameter (exact spelling, as ACP expects it).
    pub fn parse(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Whether the command carries a `data` XML parameter.
    pub fn has_data(self) -> bool {
        !matches!(
            self,
            Command::CloseDay | Command::ReopenDay | Command::GetInfo
        )
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use mawb_model::label::{label_type, LabelFormat, LabelSize, LabelType, LABEL_TYPES};

/// The non-XML parameters of one call (besides `apikey`, which only the client adds, at the last moment).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Params {
    pub test_mode: bool,
    pub label: Option<u8>,
    pub label_format: Option<LabelFormat>,
    pub label_size: Option<LabelSize>,
    pub express_clearance: Option<bool>,
    pub ddp: Option<bool>,
    pub bag_labels: Option<bool>,
    pub airport: Option<String>,
}

impl Params {
    /// The parameters as name/value pairs, in a stable order, without `apikey`, `command` or `data`.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let flag = |b: bool| if b { "1".to_string() } else { "0".to_string() };
        let mut out = vec![("testMode", flag(self.test_mode))];
        if let Some(l) = self.label {
            out.push(("label", l.to_string()));
        }
        if let Some(f) = self.label_format {
            out.push(("labelFormat", f.as_str().to_string()));
        }
        if let Some(s) = self.label_size {
            out.push(("labelSize", s.as_str().to_string()));
        }
        if let Some(b) = self.express_clearance {
            out.push(("expressClearance", flag(b)));
        }
        if let Some(b) = self.ddp {
            out.push(("ddp", flag(b)));
        }
        if let Some(b) = self.bag_labels {
            out.push(("bagLabels", flag(b)));
        }
        if let Some(a) = &self.airport {
            out.push(("airport", a.clone()));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------------------
// Request shapes
// ---------------------------------------------------------------------------------------------------------

/// The children of `consignee`, `shipper`, `returnAddress` (and `senderAddress`/`receiverAddress`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Address {
    pub name: Option<Text>,
    pub company_name: Option<Text>,
    pub address_line1: Option<Text>,
    pub address_line2: Option<Text>,
    pub city: Option<Text>,
    pub state: Option<Text>,
    pub zip: Option<Text>,
    pub country: Option<Text>,
    pub phone: Option<Text>,
    pub email: Option<Text>,
}

/// `<dimensions>`: metres, unit constant `m`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Dimensions {
    pub length: Text,
    pub width: Text,
    pub height: Text,
    pub unit: Text,
}

/// One `<product>` of a mail item.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Product {
    pub country_of_origin: Option<Text>,
    pub harmonization_code: Text,
    pub description: Text,
    pub manufacturer_code: Option<Text>,
    pub sku: Option<Text>,
    pub quantity: Text,
    pub unit_value: Option<Text>,
    pub value: Option<Text>,
    pub weight: Option<Text>,
    pub prior_notice_filing_number: Option<Text>,
}

/// One `<mailItem>` of `createMailing` (and of a manifest part in `getManifest`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MailItem {
    pub tracking_number: Option<Text>,
    pub shipper_item_id: Option<Text>,
    pub display_item_id: Option<Text>,
    pub consignee: Address,
    pub shipper: Option<Address>,
    pub return_address: Option<Address>,
    pub value: Text,
    pub currency: Text,
    pub weight: Text,
    pub weight_unit: Text,
    pub dimensions: Option<Dimensions>,
    pub products: Vec<Product>,
}

/// A mail item named by either id (both must match when both are given).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ItemRef {
    pub tracking_number: Option<String>,
    pub shipper_item_id: Option<String>,
}

/// A bag named by either id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BagRef {
    pub bag_id: Option<String>,
    pub shipper_bag_id: Option<String>,
}

/// A day named by either id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DayRef {
    pub day_id: Option<String>,
    pub shipper_day_id: Option<String>,
}

/// A manifest named by either id.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ManifestRef {
    pub manifest_id: Option<String>,
    pub user_manifest_id: Option<String>,
}

/// `<bag>` of `createBag`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Bag {
    pub shipper_bag_id: Option<String>,
    pub comment: Option<String>,
    pub items: Vec<ItemRef>,
}

/// `<day>` of `createDay`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Day {
    pub shipper_day_id: Option<String>,
    pub bags: Vec<BagRef>,
    pub items: Vec<ItemRef>,
}

/// A file attached to a manifest: `<name>` and base64 `<data>`. Holds the raw bytes; the writer encodes
/// them in chunks straight into the output.
#[derive(Clone, PartialEq, Eq, Default, Serialize)]
pub struct Attachment {
    pub name: String,
    #[serde(skip)]
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// One `<manifestPart>`: a flight leg and the units flown on it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ManifestPart {
    pub departure_facility: String,
    pub departure_date: String,
    pub arrival_facility: String,
    pub arrival_date: String,
    pub carrier: String,
    pub trip_number: String,
    /// `<unit><unitId>`: tracking numbers, bag ids or day ids.
    pub units: Vec<String>,
}

/// `<manifest>` of `createManifest` / `modifyManifest` (the latter with `manifest_id`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Manifest {
    pub manifest_id: Option<String>,
    pub user_manifest_id: Option<String>,
    pub manifest_number: String,
    pub shipping_units: String,
    pub user_defined_weight: String,
    pub user_defined_weight_uom: String,
    pub image: Option<Attachment>,
    pub file: Option<Attachment>,
    pub alert_email: Option<String>,
    pub parts: Vec<ManifestPart>,
}

/// The XML body (`data`) of each command; commands without `data` carry none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Request {
    CreateMailing(Vec<MailItem>),
    CancelMailing(Vec<ItemRef>),
    CreateBag(Bag),
    CancelBag(BagRef),
    CloseDay,
    ReopenDay,
    CreateDay(Day),
    CancelDay(DayRef),
    GetInfo,
    CreateManifest(Manifest),
    ModifyManifest(Manifest),
    CancelManifest(ManifestRef),
    GetManifest(ManifestRef),
}

impl Request {
    pub fn command(&self) -> Command {
        match self {
            Request::CreateMailing(_) => Command::CreateMailing,
            Request::CancelMailing(_) => Command::CancelMailing,
            Request::CreateBag(_) => Command::CreateBag,
            Request::CancelBag(_) => Command::CancelBag,
            Request::CloseDay => Command::CloseDay,
            Request::ReopenDay => Command::ReopenDay,
            Request::CreateDay(_) => Command::CreateDay,
            Request::CancelDay(_) => Command::CancelDay,
            Request::GetInfo => Command::GetInfo,
            Request::CreateManifest(_) => Command::CreateManifest,
            Request::ModifyManifest(_) => Command::ModifyManifest,
            Request::CancelManifest(_) => Command::CancelManifest,
            Request::GetManifest(_) => Command::GetManifest,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Answer shapes
// ---------------------------------------------------------------------------------------------------------

/// `<errorType>` values. Unknown values are kept, not lost: the live service adds some.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum ErrorType {
    Invalid,
    Conflict,
    NotFound,
    System,
    Empty,
    Sent,
    Other(String),
}

impl ErrorType {
    pub fn parse(text: &str) -> ErrorType {
        match text.trim() {
            "invalid" => ErrorType::Invalid,
            "conflict" => ErrorType::Conflict,
            "notFound" => ErrorType::NotFound,
            "system" => ErrorType::System,
            "empty" => ErrorType::Empty,
            "sent" => ErrorType::Sent,
            other => ErrorType::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ErrorType::Invalid => "invalid",
            ErrorType::Conflict => "conflict",
            ErrorType::NotFound => "notFound",
            ErrorType::System => "system",
            ErrorType::Empty => "empty",
            ErrorType::Sent => "sent",
            ErrorType::Other(s) => s,
        }
    }
}

/// `<result>`, `<errorType>` and `<error>`, common to every command node.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Status {
    /// `true` when `<result>` is `ok`.
    pub ok: bool,
    pub error_type: Option<ErrorType>,
    pub error: Option<String>,
}

impl Status {
    pub fn ok() -> Status {
        Status {
            ok: true,
            error_type: None,
            error: None,
        }
    }

    pub fn error(error_type: ErrorType, message: impl Into<String>) -> Status {
        Status {
            ok: false,
            error_type: Some(error_type),
            error: Some(message.into()),
        }
    }
}

/// `<mailItemInfo>`: an existing item as ACP describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MailItemInfo {
    pub item_type: Option<String>,
    pub creation_date: Option<String>,
    pub status: Option<String>,
    pub tracking_number: Option<String>,
    pub shipper_item_id: Option<String>,
    pub display_item_id: Option<String>,
    pub value: Option<String>,
    pub currency: Option<String>,
    pub weight: Option<String>,
    pub weight_unit: Option<String>,
    pub bag_id: Option<String>,
    pub shipper_bag_id: Option<String>,
}

/// `<bagInfo>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BagInfo {
    pub creation_date: Option<String>,
    pub status: Option<String>,
    pub bag_id: Option<String>,
    pub shipper_bag_id: Option<String>,
    pub comment: Option<String>,
}

/// `<dayInfo>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DayInfo {
    pub creation_date: Option<String>,
    pub status: Option<String>,
    pub day_id: Option<String>,
    pub shipper_day_id: Option<String>,
}

/// `<manifestInfo>`: the counts the pipeline reconciles against its own totals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ManifestInfo {
    pub creation_date: Option<String>,
    pub warehouse_id: Option<String>,
    pub manifest_id: Option<String>,
    pub user_manifest_id: Option<String>,
    pub manifest_number: Option<String>,
    pub sender_warehouse_id: Option<String>,
    pub receiver_warehouse_id: Option<String>,
    pub num_items: Option<String>,
    pub num_bags: Option<String>,
    pub num_days: Option<String>,
    pub num_parts: Option<String>,
    pub weight: Option<String>,
    pub weight_unit: Option<String>,
}

/// A label as it arrives: format and base64 text, decoded only when archived.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Label {
    pub format: Option<String>,
    #[serde(skip)]
    pub base64: String,
}

/// One `<mailItem>` of a createMailing / cancelMailing answer, or a failing item inside createBag /
/// createDay answers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MailItemResult {
    pub status: Status,
    pub tracking_number: Option<String>,
    pub shipper_item_id: Option<String>,
    pub label: Option<Label>,
    pub destination_bag: Option<String>,
    pub is_dutiable: Option<String>,
    pub conflict: Option<MailItemInfo>,
}

/// The `<bag>` of createBag / cancelBag answers, and the bags listed in closeDay / createDay answers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BagResult {
    pub status: Status,
    pub bag_id: Option<String>,
    pub shipper_bag_id: Option<String>,
    pub label: Option<Label>,
    pub conflict: Option<BagInfo>,
    /// Items that could not be included.
    pub items: Vec<MailItemResult>,
}

/// The `<day>` of closeDay / reopenDay / createDay / cancelDay answers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DayResult {
    pub status: Status,
    pub day_id: Option<String>,
    pub shipper_day_id: Option<String>,
    pub label: Option<Label>,
    pub conflict: Option<DayInfo>,
    pub bags: Vec<BagResult>,
    pub items: Vec<MailItemResult>,
}

/// The `<info>` of a getInfo answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct InfoResult {
    pub status: Status,
    pub items: Vec<MailItemInfo>,
    pub bags: Vec<BagInfo>,
}

/// One `<unit>` of a manifest answer: a unit that could NOT be included.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UnitFailure {
    pub error_type: Option<ErrorType>,
    pub error: Option<String>,
    pub unit_id: Option<String>,
    pub unit_type: Option<String>,
    pub conflict_item: Option<MailItemInfo>,
    pub conflict_bag: Option<BagInfo>,
    pub conflict_day: Option<DayInfo>,
}

/// One `<manifestPart>` of a getManifest answer: what was sent plus ACP's counts and contents.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ManifestPartDetail {
    pub part: ManifestPart,
    pub num_items: Option<String>,
    pub num_bags: Option<String>,
    pub num_days: Option<String>,
    pub weight: Option<String>,
    pub weight_unit: Option<String>,
    pub items: Vec<MailItem>,
    pub bags: Vec<BagInfo>,
    pub days: Vec<DayInfo>,
}

/// The `<manifest>` of createManifest / modifyManifest / cancelManifest / getManifest answers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ManifestResult {
    pub status: Status,
    pub manifest_id: Option<String>,
    pub user_manifest_id: Option<String>,
    pub conflict: Option<ManifestInfo>,
    pub units: Vec<UnitFailure>,
    /// getManifest: the manifest's info (its children stand directly in `<manifest>`).
    pub info: Option<ManifestInfo>,
    pub sender_address: Option<Address>,
    pub receiver_address: Option<Address>,
    pub parts: Vec<ManifestPartDetail>,
}

/// A parsed answer body. `Manifest` is large (getManifest carries whole manifests); answers are parsed one
/// at a time and never stored in bulk, so boxing it would only add indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Answer {
    /// `<shippingApiResponse><error>…</error></shippingApiResponse>`: bad key, bad parameters.
    CommonError(String),
    /// createMailing, cancelMailing: one result per requested item.
    Mailing(Vec<MailItemResult>),
    /// createBag, cancelBag.
    Bag(BagResult),
    /// closeDay, reopenDay, createDay, cancelDay.
    Day(DayResult),
    /// getInfo.
    Info(InfoResult),
    /// createManifest, modifyManifest, cancelManifest, getManifest.
    Manifest(ManifestResult),
}
