//! The packing list of a bag: the text of its pages (shared by the PDF and EPL2 jobs) and its CSV rows.

use super::order::{BagGroup, Parcel};
use crate::model::{format_fixed, WEIGHT_SCALE};

/// Header lines above the parcel rows of every page.
pub(crate) const HEADER_LINES: usize = 6;

/// A parcel's weight for people: `1.250`, or `-` when the folder gave none.
fn weight(w: Option<crate::model::Decimal>) -> String {
    w.map_or_else(|| "-".to_string(), |w| format_fixed(w, WEIGHT_SCALE))
}

/// How a parcel is named on the list: its tracking number, or its key when ACP does not hold it.
fn parcel_name(p: &Parcel) -> String {
    match &p.tracking {
        Some(t) => t.clone(),
        None => format!("{} (not at ACP)", p.key),
    }
}

/// The pages of a bag's packing list, `rows_per_page` parcels a page (at least one page), each page its
/// header lines then its rows.
pub(crate) fn pages(mawb: &str, bag: &BagGroup, rows_per_page: usize) -> Vec<Vec<String>> {
    let rows: Vec<String> = bag
        .parcels
        .iter()
        .enumerate()
        .map(|(n, p)| {
            format!(
                "{:>3} {:<22} {:>9}  {}",
                n + 1,
                parcel_name(p),
                weight(p.weight_kg),
                p.shipper_item_id.as_deref().unwrap_or("")
            )
        })
        .collect();
    let per = rows_per_page.max(1);
    let chunks: Vec<&[String]> = if rows.is_empty() {
        vec![&[]]
    } else {
        rows.chunks(per).collect()
    };
    let total = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let mut page = vec![
                format!("PACKING LIST  MAWB {mawb}  page {}/{total}", i + 1),
                format!(
                    "Bag {}: {} parcel(s), {} kg",
                    bag.bag,
                    bag.parcels.len(),
                    format_fixed(bag.weight_kg(), WEIGHT_SCALE)
                ),
                format!("shipperBagId {}", bag.shipper_bag_id),
                format!(
                    "ACP bag id {}",
                    bag.bag_id.as_deref().unwrap_or("(not created)")
                ),
                String::new(),
                format!(
                    "{:>3} {:<22} {:>9}  shipperItemId",
                    "#", "tracking number", "kg"
                ),
            ];
            debug_assert_eq!(page.len(), HEADER_LINES);
            page.extend(chunk.iter().cloned());
            page
        })
        .collect()
}

/// The header of `M-packing.csv`.
pub(crate) const CSV_HEADER: [&str; 7] = [
    "bag",
    "shipperBagId",
    "bagId",
    "position",
    "trackingNumber",
    "shipperItemId",
    "weightKg",
];

/// The CSV rows of a bag (or of the loose parcels, `bag` None): one per parcel, position 1-based.
pub(crate) fn csv_rows(bag: Option<&BagGroup>, parcels: &[Parcel]) -> Vec<[String; 7]> {
    let inert = crate::acp::manifest_file::inert;
    parcels
        .iter()
        .enumerate()
        .map(|(n, p)| {
            [
                inert(bag.map_or("", |b| b.bag.as_str())),
                inert(bag.map_or("", |b| b.shipper_bag_id.as_str())),
                inert(bag.and_then(|b| b.bag_id.as_deref()).unwrap_or("")),
                (n + 1).to_string(),
                inert(p.tracking.as_deref().unwrap_or("")),
                inert(p.shipper_item_id.as_deref().unwrap_or("")),
                p.weight_kg
                    .map(|w| format_fixed(w, WEIGHT_SCALE))
                    .unwrap_or_default(),
            ]
        })
        .collect()
}
