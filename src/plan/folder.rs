//! The folder side of a plan: each item written once as it would be sent, fingerprinted, and sized.
//!
//! An item's fingerprint is a hash of exactly the bytes createMailing sends for it, so "changed since it
//! was sent" means "would be sent differently". The same bytes are then what a label=0 batch sends
//! ([`ItemFragments::batch_data`]): an item is serialised once per run, not once to fingerprint and again
//! to send.

use super::{config, mailing_envelope, shipper_bag_id};
use crate::acp::convert;
use crate::acp::request::write_request_to_vec;
use crate::acp::wire::Request;
use crate::model::Mawb;
use sha2::{Digest, Sha256};

/// Every item of a MAWB as createMailing would send it alone: its request bytes, fingerprint and size.
#[derive(Debug, Clone)]
pub struct ItemFragments {
    /// Item `i`'s one-item createMailing request, as written.
    pub requests: Vec<Vec<u8>>,
    /// Item `i`'s fingerprint: hex of the first 16 bytes of the request's SHA-256.
    pub fingerprints: Vec<String>,
    /// Item `i`'s bytes inside a createMailing request (its request less the envelope), for batching.
    pub sizes: Vec<usize>,
}

impl ItemFragments {
    /// Writes and fingerprints every item of `m` (in parallel: this is the run's hottest loop).
    pub fn of(m: &Mawb) -> ItemFragments {
        Self::written(m, true)
    }

    /// Writes every item of `m` without fingerprinting it, for a plan that is written out and never
    /// sent (`mawb prepare`): there is nothing sent earlier to compare with, so every fingerprint is
    /// empty. Not for a run: its diff would see every item as changed.
    pub fn unfingerprinted(m: &Mawb) -> ItemFragments {
        Self::written(m, false)
    }

    fn written(m: &Mawb, fingerprint: bool) -> ItemFragments {
        use rayon::prelude::*;
        let (requests, fingerprints): (Vec<Vec<u8>>, Vec<String>) = (0..m.items.len())
            .into_par_iter()
            .map(|i| {
                let mut buf = Vec::new();
                let _ = write_request_to_vec(
                    &Request::CreateMailing(vec![convert::mail_item(&m.items[i])]),
                    &mut buf,
                );
                let fp = if fingerprint {
                    hex(&Sha256::digest(&buf))
                } else {
                    String::new()
                };
                (buf, fp)
            })
            .unzip();
        let envelope = mailing_envelope();
        let sizes = requests
            .iter()
            .map(|r| r.len().saturating_sub(envelope))
            .collect();
        ItemFragments {
            requests,
            fingerprints,
            sizes,
        }
    }

    /// A createMailing `data` made of the items' own serialisations, byte-identical to writing the batch.
    pub fn batch_data(&self, batch: &[usize]) -> Vec<u8> {
        let head = self
            .requests
            .first()
            .map(|f| &f[..mail_item_start(f)])
            .unwrap_or_default();
        let len = head.len()
            + ROOT_CLOSE.len()
            + batch.iter().map(|&i| self.requests[i].len()).sum::<usize>();
        let mut data = Vec::with_capacity(len);
        data.extend_from_slice(head);
        for &i in batch {
            data.extend_from_slice(fragment(&self.requests[i]));
        }
        data.extend_from_slice(ROOT_CLOSE);
        data
    }

    /// The fingerprint of bag `b` of `m`: its members' keys and fingerprints, in key order.
    pub fn bag_fingerprint(&self, m: &Mawb, b: usize) -> String {
        let mut members: Vec<(String, &str)> = m.bags[b]
            .items
            .iter()
            .map(|&i| (item_key(m, i), self.fingerprints[i].as_str()))
            .collect();
        members.sort();
        let mut h = Sha256::new();
        for (k, f) in members {
            h.update(k.as_bytes());
            h.update(b"\0");
            h.update(f.as_bytes());
            h.update(b"\n");
        }
        hex(&h.finalize())
    }

    /// Every bag of `m` by its shipperBagId: (bag index, bag fingerprint).
    pub fn bags(&self, m: &Mawb) -> std::collections::HashMap<String, (usize, String)> {
        let number = &config(m).manifest_number;
        (0..m.bags.len())
            .map(|b| {
                (
                    shipper_bag_id(number, &m.bags[b].shipper_bag_id),
                    (b, self.bag_fingerprint(m, b)),
                )
            })
            .collect()
    }

    /// A hash of everything the MAWB's upload depends on: items, bags, mawb.toml, the scan's bytes.
    pub fn content_fingerprint(&self, m: &Mawb) -> String {
        let mut h = Sha256::new();
        let mut sorted: Vec<(String, &str)> = (0..m.items.len())
            .map(|i| (item_key(m, i), self.fingerprints[i].as_str()))
            .collect();
        sorted.sort();
        for (k, f) in sorted {
            h.update(k.as_bytes());
            h.update(f.as_bytes());
        }
        for b in &m.bags {
            h.update(b.shipper_bag_id.as_bytes());
            for &i in &b.items {
                h.update(item_key(m, i).as_bytes());
            }
        }
        h.update(format!("{:?}", m.config).as_bytes());
        if let Some(img) = &m.image {
            if let Ok(bytes) = std::fs::read(&img.path) {
                h.update(&bytes);
            }
        }
        hex(&h.finalize())
    }
}

/// The key an item is recorded under: its tracking number, else its shipperItemId.
pub fn item_key(m: &Mawb, i: usize) -> String {
    m.items[i].key().unwrap_or_default().to_string()
}

/// Hex of the first 16 bytes of a digest (fingerprints and ids of content).
pub fn hex(bytes: &[u8]) -> String {
    ::hex::encode(&bytes[..bytes.len().min(16)])
}

/// Where the first `<mailItem>` starts in a one-item createMailing request (text is escaped, so the
/// first occurrence is the element).
fn mail_item_start(one_item_request: &[u8]) -> usize {
    one_item_request
        .windows(MAIL_ITEM_OPEN.len())
        .position(|w| w == MAIL_ITEM_OPEN)
        .unwrap_or(0)
}

/// The `<mailItem>…</mailItem>` fragment inside a one-item createMailing request.
fn fragment(one_item_request: &[u8]) -> &[u8] {
    let start = mail_item_start(one_item_request);
    let end = one_item_request
        .len()
        .saturating_sub(ROOT_CLOSE.len())
        .max(start);
    &one_item_request[start..end]
}

const MAIL_ITEM_OPEN: &[u8] = b"<mailItem>";
const ROOT_CLOSE: &[u8] = b"</shippingApiRequest>";

#[cfg(test)]
mod tests {
    use super::super::diff::tests::{item, mawb};
    use super::*;

    #[test]
    fn a_batch_built_from_item_fragments_is_byte_identical_to_writing_it() {
        let mut items = vec![
            item("1Z1", "1.000", None),
            item("1Z2", "2.000", None),
            item("1Z3", "3.000", None),
        ];
        items[0].consignee.name = Some("A & B".into());
        items[1].consignee.name = Some("<mailItem>".into());
        items[2].consignee.name = Some("Zoë".into());
        let m = mawb(items);
        let frags = ItemFragments::of(&m);
        let mut expected = Vec::new();
        write_request_to_vec(
            &Request::CreateMailing(vec![
                convert::mail_item(&m.items[0]),
                convert::mail_item(&m.items[2]),
            ]),
            &mut expected,
        )
        .unwrap();
        assert_eq!(frags.batch_data(&[0, 2]), expected);
    }

    #[test]
    fn unfingerprinted_fragments_write_the_same_bytes_and_plan_the_same_steps_for_a_new_mawb() {
        let m = mawb(vec![
            item("1Z1", "1.000", Some("B1")),
            item("1Z2", "2.000", None),
        ]);
        let full = ItemFragments::of(&m);
        let bare = ItemFragments::unfingerprinted(&m);
        assert_eq!(bare.requests, full.requests);
        assert_eq!(bare.sizes, full.sizes);
        assert!(bare.fingerprints.iter().all(String::is_empty));
        assert!(full.fingerprints.iter().all(|f| !f.is_empty()));
        let fresh = crate::plan::LedgerView::default();
        let opts = crate::plan::PlanOptions::default();
        let steps = |f: &ItemFragments| {
            let d = crate::plan::diff(&m, f, &fresh, false);
            crate::plan::steps(&m, f, &fresh, &d, false, &opts)
        };
        assert_eq!(steps(&bare), steps(&full));
    }
}
