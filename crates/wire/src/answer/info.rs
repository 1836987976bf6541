//! The info blocks of ACP answers: `mailItemInfo`, `bagInfo`, `dayInfo` and `manifestInfo` shapes, read
//! wherever they stand (conflicts, getInfo listings, getManifest parts and header), with their fields inline
//! or inside one wrapper element of their own name.

use super::reader::{Parser, R};
use crate::wire::{BagInfo, DayInfo, MailItemInfo, ManifestInfo};

impl Parser<'_> {
    /// The children of a `<mailItemInfo>`-shaped element, also read through one `<mailItemInfo>` wrapper.
    pub(super) fn mail_item_info(
        &mut self,
        parent: &str,
        empty: bool,
        wrapped: bool,
    ) -> R<MailItemInfo> {
        let mut info = MailItemInfo::default();
        if !empty {
            self.children(parent, |p, name, empty| {
                p.mail_item_info_field(name, empty, &mut info, wrapped)
            })?;
        }
        Ok(info)
    }

    fn mail_item_info_field(
        &mut self,
        name: &[u8],
        empty: bool,
        i: &mut MailItemInfo,
        wrapped: bool,
    ) -> R<bool> {
        match name {
            // Of the items a confirmation looks for, the trackingNumber only.
            b"shipperItemId" | b"bagId" | b"shipperBagId" if self.wanted.is_some() => Ok(false),
            // Ids only: what confirming units needs from a getInfo listing every new item.
            b"type"
            | b"creationDate"
            | b"status"
            | b"displayItemId"
            | b"value"
            | b"currency"
            | b"weight"
            | b"weightUnitOfMeasure"
                if self.counts_only =>
            {
                Ok(false)
            }
            b"type" => self.opt_text("type", empty, &mut i.item_type),
            b"creationDate" => self.opt_text("creationDate", empty, &mut i.creation_date),
            b"status" => self.opt_text("status", empty, &mut i.status),
            b"trackingNumber" => self.opt_text("trackingNumber", empty, &mut i.tracking_number),
            b"shipperItemId" => self.opt_text("shipperItemId", empty, &mut i.shipper_item_id),
            b"displayItemId" => self.opt_text("displayItemId", empty, &mut i.display_item_id),
            b"value" => self.opt_text("value", empty, &mut i.value),
            b"currency" => self.opt_text("currency", empty, &mut i.currency),
            b"weight" => self.opt_text("weight", empty, &mut i.weight),
            b"weightUnitOfMeasure" => {
                self.opt_text("weightUnitOfMeasure", empty, &mut i.weight_unit)
            }
            b"bagId" => self.opt_text("bagId", empty, &mut i.bag_id),
            b"shipperBagId" => self.opt_text("shipperBagId", empty, &mut i.shipper_bag_id),
            b"mailItemInfo" if !wrapped && !empty => {
                self.children("mailItemInfo", |p, name, empty| {
                    p.mail_item_info_field(name, empty, i, true)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    pub(super) fn bag_info(&mut self, parent: &str, empty: bool) -> R<BagInfo> {
        let mut info = BagInfo::default();
        if !empty {
            self.children(parent, |p, name, empty| {
                p.bag_info_field(name, empty, &mut info, false)
            })?;
        }
        Ok(info)
    }

    fn bag_info_field(
        &mut self,
        name: &[u8],
        empty: bool,
        i: &mut BagInfo,
        wrapped: bool,
    ) -> R<bool> {
        match name {
            b"creationDate" => self.opt_text("creationDate", empty, &mut i.creation_date),
            b"status" => self.opt_text("status", empty, &mut i.status),
            b"bagId" => self.opt_text("bagId", empty, &mut i.bag_id),
            b"shipperBagId" => self.opt_text("shipperBagId", empty, &mut i.shipper_bag_id),
            b"comment" => self.opt_text("comment", empty, &mut i.comment),
            b"bagInfo" if !wrapped && !empty => {
                self.children("bagInfo", |p, name, empty| {
                    p.bag_info_field(name, empty, i, true)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    pub(super) fn day_info(&mut self, parent: &str, empty: bool) -> R<DayInfo> {
        let mut info = DayInfo::default();
        if !empty {
            self.children(parent, |p, name, empty| {
                p.day_info_field(name, empty, &mut info, false)
            })?;
        }
        Ok(info)
    }

    fn day_info_field(
        &mut self,
        name: &[u8],
        empty: bool,
        i: &mut DayInfo,
        wrapped: bool,
    ) -> R<bool> {
        match name {
            b"creationDate" => self.opt_text("creationDate", empty, &mut i.creation_date),
            b"status" => self.opt_text("status", empty, &mut i.status),
            b"dayId" => self.opt_text("dayId", empty, &mut i.day_id),
            b"shipperDayId" => self.opt_text("shipperDayId", empty, &mut i.shipper_day_id),
            b"dayInfo" if !wrapped && !empty => {
                self.children("dayInfo", |p, name, empty| {
                    p.day_info_field(name, empty, i, true)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    pub(super) fn manifest_info(&mut self, parent: &str, empty: bool) -> R<ManifestInfo> {
        let mut info = ManifestInfo::default();
        if !empty {
            self.children(parent, |p, name, empty| {
                p.manifest_info_field(name, empty, &mut info, false)
            })?;
        }
        Ok(info)
    }

    pub(super) fn manifest_info_field(
        &mut self,
        name: &[u8],
        empty: bool,
        i: &mut ManifestInfo,
        wrapped: bool,
    ) -> R<bool> {
        match name {
            b"creationDate" => self.opt_text("creationDate", empty, &mut i.creation_date),
            b"warehouseId" => self.opt_text("warehouseId", empty, &mut i.warehouse_id),
            b"manifestId" => self.opt_text("manifestId", empty, &mut i.manifest_id),
            b"userManifestId" => self.opt_text("userManifestId", empty, &mut i.user_manifest_id),
            b"manifestNumber" => self.opt_text("manifestNumber", empty, &mut i.manifest_number),
            b"senderWarehouseId" => {
                self.opt_text("senderWarehouseId", empty, &mut i.sender_warehouse_id)
            }
            b"receiverWarehouseId" => {
                self.opt_text("receiverWarehouseId", empty, &mut i.receiver_warehouse_id)
            }
            b"numItems" => self.opt_text("numItems", empty, &mut i.num_items),
            b"numBags" => self.opt_text("numBags", empty, &mut i.num_bags),
            b"numDays" => self.opt_text("numDays", empty, &mut i.num_days),
            b"numParts" => self.opt_text("numParts", empty, &mut i.num_parts),
            b"weight" => self.opt_text("weight", empty, &mut i.weight),
            b"weightUnitOfMeasure" => {
                self.opt_text("weightUnitOfMeasure", empty, &mut i.weight_unit)
            }
            b"manifestInfo" if !wrapped && !empty => {
                self.children("manifestInfo", |p, name, empty| {
                    p.manifest_info_field(name, empty, i, true)
                })?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
