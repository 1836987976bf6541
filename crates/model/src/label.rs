//! ACP's label vocabulary: formats, sizes and the label types of the createMailing `label` parameter (ACP
//! Shipper API, "createMailing" parameters), shared by the folder's `mawb.toml`, the wire and the sandbox.

use serde::Serialize;

/// `labelFormat`: PNG (default), PDF or EPL2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum LabelFormat {
    #[default]
    Png,
    Pdf,
    Epl2,
}

impl LabelFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelFormat::Png => "PNG",
            LabelFormat::Pdf => "PDF",
            LabelFormat::Epl2 => "EPL2",
        }
    }

    /// Case-insensitive, as operators type it in `mawb.toml`.
    pub fn parse(text: &str) -> Option<LabelFormat> {
        match text.trim().to_ascii_uppercase().as_str() {
            "PNG" => Some(LabelFormat::Png),
            "PDF" => Some(LabelFormat::Pdf),
            "EPL2" | "EPL" => Some(LabelFormat::Epl2),
            _ => None,
        }
    }

    /// The file extension of a stored label.
    pub fn extension(self) -> &'static str {
        match self {
            LabelFormat::Png => "png",
            LabelFormat::Pdf => "pdf",
            LabelFormat::Epl2 => "epl",
        }
    }
}

/// `labelSize`: 4x6 (default) or 4x4, labels 1-4 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum LabelSize {
    FourByFour,
    #[default]
    FourBySix,
}

impl LabelSize {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelSize::FourByFour => "4x4",
            LabelSize::FourBySix => "4x6",
        }
    }

    pub fn parse(text: &str) -> Option<LabelSize> {
        match text.trim() {
            "4x4" => Some(LabelSize::FourByFour),
            "4x6" => Some(LabelSize::FourBySix),
            _ => None,
        }
    }
}

/// The label types of `createMailing`'s `label` parameter, with the limits ACP sets on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelType {
    pub code: u8,
    pub name: &'static str,
    /// Maximum parcel weight in pounds, when ACP sets one.
    pub max_weight_lb: Option<u32>,
    /// Maximum declared value in USD, when ACP sets one.
    pub max_value_usd: Option<u32>,
    /// Whether a successful call returns two labels (zip of two PNGs, or one PDF/EPL2 file holding both).
    pub two_labels: bool,
}

/// Every `label` value ACP accepts, in code order: the fourteen codes of the ACP Shipper API document's
/// createMailing parameters (0 no label, 1-5, 10, 11, 12, 14, 20, 30, 40 and 50 cargo). The single table
/// of the house: the folder's `mawb.toml`, the validator's weight and value limits, `mawb samples` and the
/// sandbox all read it.
pub const LABEL_TYPES: [LabelType; 14] = [
    LabelType {
        code: 0,
        name: "no label",
        max_weight_lb: None,
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 1,
        name: "ACP Ground",
        max_weight_lb: Some(15),
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 2,
        name: "ACP Expedited",
        max_weight_lb: Some(15),
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 3,
        name: "ACP Priority",
        max_weight_lb: Some(70),
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 4,
        name: "ACP Expedited Max",
        max_weight_lb: Some(25),
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 5,
        name: "ACP international",
        max_weight_lb: Some(44),
        max_value_usd: Some(1000),
        two_labels: false,
    },
    LabelType {
        code: 10,
        name: "ACP Surface",
        max_weight_lb: Some(150),
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 11,
        name: "FedEx International Economy",
        max_weight_lb: None,
        max_value_usd: None,
        two_labels: true,
    },
    LabelType {
        code: 12,
        name: "ACP Mini",
        max_weight_lb: None,
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 14,
        name: "FedEx International Priority",
        max_weight_lb: None,
        max_value_usd: None,
        two_labels: true,
    },
    LabelType {
        code: 20,
        name: "Canada",
        max_weight_lb: None,
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 30,
        name: "China",
        max_weight_lb: None,
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 40,
        name: "ACP EU",
        max_weight_lb: None,
        max_value_usd: None,
        two_labels: false,
    },
    LabelType {
        code: 50,
        name: "ACP cargo",
        max_weight_lb: None,
        max_value_usd: None,
        two_labels: false,
    },
];

/// Every label type code, space-separated in the table's order (`0 1 2 … 50`), for messages.
pub fn label_codes() -> String {
    LABEL_TYPES
        .iter()
        .map(|t| t.code.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The label type for a `label` code, if ACP knows it.
pub fn label_type(code: u8) -> Option<&'static LabelType> {
    LABEL_TYPES.iter().find(|t| t.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes of the ACP Shipper API document, createMailing's `label` parameter.
    const SPEC_CODES: [u8; 14] = [0, 1, 2, 3, 4, 5, 10, 11, 12, 14, 20, 30, 40, 50];

    #[test]
    fn table_holds_exactly_the_spec_codes_in_order() {
        let codes: Vec<u8> = LABEL_TYPES.iter().map(|t| t.code).collect();
        assert_eq!(codes, SPEC_CODES);
        for code in SPEC_CODES {
            assert_eq!(label_type(code).map(|t| t.code), Some(code));
        }
    }

    #[test]
    fn unknown_codes_have_no_label_type() {
        for code in (0..=u8::MAX).filter(|c| !SPEC_CODES.contains(c)) {
            assert!(label_type(code).is_none(), "label {code}");
        }
    }

    #[test]
    fn cargo_is_code_50_without_limits() {
        let cargo = label_type(50).expect("label 50");
        assert_eq!(cargo.name, "ACP cargo");
        assert_eq!((cargo.max_weight_lb, cargo.max_value_usd), (None, None));
        assert!(!cargo.two_labels);
    }

    #[test]
    fn spec_limits_and_fedex_pairs() {
        let limit = |code| label_type(code).and_then(|t| t.max_weight_lb);
        assert_eq!(
            [1, 2, 3, 4, 5, 10].map(limit),
            [Some(15), Some(15), Some(70), Some(25), Some(44), Some(150)]
        );
        assert_eq!(label_type(5).and_then(|t| t.max_value_usd), Some(1000));
        let pairs: Vec<u8> = LABEL_TYPES
            .iter()
            .filter(|t| t.two_labels)
            .map(|t| t.code)
            .collect();
        assert_eq!(pairs, [11, 14]);
    }
}
