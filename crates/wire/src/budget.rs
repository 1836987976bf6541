//! The size limits of createManifest / modifyManifest, checked before anything is encoded or sent.
//!
//! ACP refuses a `data` parameter of 49.999 MB or more, the MAWB scan above 12 MB and the HAWB file above
//! 20 MB. An upload that fails on size after minutes of transfer is the worst way to learn it, so the exact
//! byte length of the `data` XML is computed up front — by running the request writer's own element code
//! against a counting sink (`request::request_len`), so it cannot drift from what is actually written — and
//! a failing manifest gets an error that says which part is too big and what to do about it.
//!
//! The dependency goes one way: this module uses `request` (its element code and counting sink, and
//! [`base64_len`], re-exported here), and `request` uses nothing of this module.

use std::fmt;

use crate::request;
pub use crate::request::base64_len;
use crate::wire::Manifest;

/// The `data` XML must be strictly shorter than this many bytes.
pub const DATA_LIMIT: usize = 49_999_000;
/// Largest accepted MAWB scan (`manifestImage`), in raw bytes before base64.
pub const IMAGE_LIMIT: usize = 12_000_000;
/// Largest accepted HAWB file (`manifestFile`), in raw bytes before base64.
pub const FILE_LIMIT: usize = 20_000_000;

/// The exact byte length of the `data` XML `request::write_request` produces for this manifest: as
/// createManifest, or as modifyManifest when `modify` (which adds `manifestId` when set).
pub fn manifest_data_len(m: &Manifest, modify: bool) -> usize {
    request::count(|s| request::write_manifest_request(s, m, modify))
}

/// Where the bytes of a manifest's `data` XML go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Breakdown {
    /// The whole `<manifestImage>` element (name and base64 data).
    pub image: usize,
    /// The whole `<manifestFile>` element.
    pub file: usize,
    /// All `<unit>` elements of all parts.
    pub units: usize,
    /// Everything else: declaration, envelope, header fields, part headers.
    pub rest: usize,
    /// The exact length of the `data` XML: `image + file + units + rest`.
    pub total: usize,
}

impl Breakdown {
    /// The breakdown of this manifest's `data` XML (as modifyManifest when `modify`).
    pub fn of(m: &Manifest, modify: bool) -> Breakdown {
        let image = m.image.as_ref().map_or(0, |a| {
            request::count(|s| request::write_attachment(s, "manifestImage", a))
        });
        let file = m.file.as_ref().map_or(0, |a| {
            request::count(|s| request::write_attachment(s, "manifestFile", a))
        });
        let units = m
            .parts
            .iter()
            .flat_map(|p| &p.units)
            .map(|u| request::count(|s| request::write_unit(s, u)))
            .sum();
        let total = manifest_data_len(m, modify);
        Breakdown {
            image,
            file,
            units,
            rest: total - image - file - units,
            total,
        }
    }
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "image {} + file {} + units {} + rest {} = {} bytes of data XML",
            thousands(self.image),
            thousands(self.file),
            thousands(self.units),
            thousands(self.rest),
            thousands(self.total)
        )
    }
}

/// Why a manifest cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error(
        "manifest image {name:?} is {} bytes, above ACP's limit of {} bytes ({breakdown}); \
         scan the MAWB at lower resolution or as PDF: TIFF scans are often huge",
        thousands(*bytes), thousands(IMAGE_LIMIT)
    )]
    ImageTooLarge {
        name: String,
        bytes: usize,
        breakdown: Breakdown,
    },
    #[error(
        "manifest file {name:?} is {} bytes, above ACP's limit of {} bytes ({breakdown}); \
         zip it, or split the MAWB into several manifests",
        thousands(*bytes), thousands(FILE_LIMIT)
    )]
    FileTooLarge {
        name: String,
        bytes: usize,
        breakdown: Breakdown,
    },
    #[error(
        "manifest data XML would be {} bytes, ACP needs it below {} bytes ({breakdown}); \
         split the MAWB into several manifests, or shrink the image and file",
        thousands(breakdown.total), thousands(DATA_LIMIT)
    )]
    DataTooLarge { breakdown: Breakdown },
}

/// Checks a manifest against ACP's three size limits, counting `manifestId` when it is set (a
/// modifyManifest; for a createManifest that still carries one this errs by a few bytes on the safe side).
/// Use [`check_manifest_as`] when the command is known.
pub fn check_manifest(m: &Manifest) -> Result<Breakdown, BudgetError> {
    check_manifest_as(m, m.manifest_id.is_some())
}

/// Checks a manifest against ACP's limits, as modifyManifest when `modify`, else as createManifest.
/// The image and file limits are checked first: their advice is more specific.
pub fn check_manifest_as(m: &Manifest, modify: bool) -> Result<Breakdown, BudgetError> {
    let breakdown = Breakdown::of(m, modify);
    if let Some(a) = &m.image {
        if a.data.len() > IMAGE_LIMIT {
            return Err(BudgetError::ImageTooLarge {
                name: a.name.clone(),
                bytes: a.data.len(),
                breakdown,
            });
        }
    }
    if let Some(a) = &m.file {
        if a.data.len() > FILE_LIMIT {
            return Err(BudgetError::FileTooLarge {
                name: a.name.clone(),
                bytes: a.data.len(),
                breakdown,
            });
        }
    }
    if breakdown.total >= DATA_LIMIT {
        return Err(BudgetError::DataTooLarge { breakdown });
    }
    Ok(breakdown)
}

/// `49999000` → `49,999,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::request_to_vec;
    use crate::wire::{Attachment, ManifestPart, Request};
    use proptest::prelude::*;

    fn base(image: usize, file: usize, units: usize) -> Manifest {
        Manifest {
            manifest_id: None,
            user_manifest_id: Some(String::new()),
            manifest_number: "112-44995451".into(),
            shipping_units: units.to_string(),
            user_defined_weight: "56.000".into(),
            user_defined_weight_uom: "kg".into(),
            image: Some(Attachment {
                name: "112-44995451.TIF".into(),
                data: vec![0x49; image],
            }),
            file: Some(Attachment {
                name: "112-44995451.csv".into(),
                data: vec![b'x'; file],
            }),
            alert_email: Some("ops@example.com".into()),
            parts: vec![ManifestPart {
                departure_facility: "LAX".into(),
                departure_date: "2012-12-10T10:00:00".into(),
                arrival_facility: "JFK".into(),
                arrival_date: "2012-12-10T12:40:00-07:00".into(),
                carrier: "AA".into(),
                trip_number: "123".into(),
                units: (0..units).map(|i| format!("1ZWE3119{i:010}")).collect(),
            }],
        }
    }

    /// `m` with `user_manifest_id` padded so its data XML is exactly `target` bytes long.
    fn padded_to(mut m: Manifest, modify: bool, target: usize) -> Manifest {
        let len = manifest_data_len(&m, modify);
        // Half the padding is '&' (5 bytes escaped), to exercise escaped lengths too.
        let missing = target - len;
        let amps = missing / 5 / 2;
        m.user_manifest_id = Some(format!(
            "{}{}",
            "&".repeat(amps),
            "p".repeat(missing - amps * 5)
        ));
        assert_eq!(manifest_data_len(&m, modify), target);
        m
    }

    #[test]
    fn base64_len_is_padded() {
        let want = [0, 4, 4, 4, 8, 8, 8, 12];
        for (n, w) in want.iter().enumerate() {
            assert_eq!(base64_len(n), *w);
        }
        assert_eq!(base64_len(IMAGE_LIMIT), 16_000_000);
        assert_eq!(base64_len(FILE_LIMIT), 26_666_668);
    }

    #[test]
    fn data_limit_exact_and_one_over() {
        for modify in [false, true] {
            let mut m = base(IMAGE_LIMIT, FILE_LIMIT, 5000);
            if modify {
                m.manifest_id = Some("1534646".into());
            }
            let below = padded_to(m.clone(), modify, DATA_LIMIT - 1);
            let b = check_manifest_as(&below, modify).expect("49,998,999 bytes is below the limit");
            assert_eq!(b.total, DATA_LIMIT - 1);
            assert_eq!(b.image + b.file + b.units + b.rest, b.total);
            assert_eq!(
                b.image,
                "<manifestImage><name>112-44995451.TIF</name><data></data></manifestImage>".len()
                    + 16_000_000
            );
            assert_eq!(
                b.units,
                5000 * "<unit><unitId>1ZWE31190000000000</unitId></unit>".len()
            );
            let req = if modify {
                Request::ModifyManifest(below.clone())
            } else {
                Request::CreateManifest(below.clone())
            };
            assert_eq!(request_to_vec(&req).unwrap().len(), DATA_LIMIT - 1);
            assert_eq!(
                check_manifest(&below),
                Ok(b),
                "check_manifest infers modify from manifest_id"
            );

            let at = padded_to(m, modify, DATA_LIMIT);
            match check_manifest_as(&at, modify) {
                Err(BudgetError::DataTooLarge { breakdown }) => {
                    assert_eq!(breakdown.total, DATA_LIMIT)
                }
                other => panic!("expected DataTooLarge, got {other:?}"),
            }
            let req = if modify {
                Request::ModifyManifest(at)
            } else {
                Request::CreateManifest(at)
            };
            assert_eq!(request_to_vec(&req).unwrap().len(), DATA_LIMIT);
        }
    }

    #[test]
    fn image_and_file_limits_exact_and_one_over() {
        assert!(check_manifest(&base(IMAGE_LIMIT, 10, 1)).is_ok());
        let err = check_manifest(&base(IMAGE_LIMIT + 1, 10, 1)).unwrap_err();
        assert!(
            matches!(err, BudgetError::ImageTooLarge { bytes, .. } if bytes == IMAGE_LIMIT + 1)
        );
        let msg = err.to_string();
        assert!(
            msg.contains("12,000,001 bytes") && msg.contains("12,000,000") && msg.contains("TIFF"),
            "{msg}"
        );
        assert!(msg.contains("112-44995451.TIF"), "{msg}");

        assert!(check_manifest(&base(10, FILE_LIMIT, 1)).is_ok());
        let err = check_manifest(&base(10, FILE_LIMIT + 1, 1)).unwrap_err();
        assert!(matches!(err, BudgetError::FileTooLarge { bytes, .. } if bytes == FILE_LIMIT + 1));
        let msg = err.to_string();
        assert!(
            msg.contains("zip it") && msg.contains("split the MAWB"),
            "{msg}"
        );
    }

    #[test]
    fn data_too_large_message_explains() {
        let m = padded_to(base(IMAGE_LIMIT, FILE_LIMIT, 3), false, DATA_LIMIT + 10);
        let msg = check_manifest(&m).unwrap_err().to_string();
        assert!(
            msg.contains("49,999,010 bytes") && msg.contains("below 49,999,000"),
            "{msg}"
        );
        assert!(
            msg.contains("image 16,000,") && msg.contains("split the MAWB"),
            "{msg}"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(49_999_000), "49,999,000");
    }

    fn text() -> impl Strategy<Value = String> {
        "[a-z0-9 &<>\"'\r\n📦北]{0,12}"
    }

    proptest! {
        #[test]
        fn manifest_data_len_matches_the_writer(
            modify in any::<bool>(),
            id in proptest::option::of(text()),
            number in text(),
            image in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..100)),
            file in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..100)),
            units in proptest::collection::vec(proptest::collection::vec(text(), 0..5), 0..3),
        ) {
            let m = Manifest {
                manifest_id: id,
                manifest_number: number.clone(),
                image: image.map(|data| Attachment { name: number.clone(), data }),
                file: file.map(|data| Attachment { name: "f".into(), data }),
                parts: units.into_iter().map(|units| ManifestPart { units, ..ManifestPart::default() }).collect(),
                ..Manifest::default()
            };
            let b = Breakdown::of(&m, modify);
            let req = if modify { Request::ModifyManifest(m.clone()) } else { Request::CreateManifest(m.clone()) };
            let xml = request_to_vec(&req).unwrap();
            prop_assert_eq!(manifest_data_len(&m, modify), xml.len());
            prop_assert_eq!(b.total, xml.len());
            prop_assert_eq!(b.image + b.file + b.units + b.rest, b.total);
        }
    }
}
