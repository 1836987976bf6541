//! The per-command result nodes of ACP answers (`<mailItem>`, `<bag>`, `<day>`, `<info>`, `<manifest>`),
//! their status and label fields, and the request shapes getManifest echoes back (mail items with
//! addresses, dimensions and products).

use super::reader::{Parser, R};
use crate::wire::{
    Address, BagResult, DayResult, Dimensions, ErrorType, InfoResult, Label, MailItem,
    MailItemResult, ManifestInfo, ManifestPartDetail, ManifestResult, Product, Status, UnitFailure,
};

impl Parser<'_> {
    /// `result`, `errorType`, `error`: consumes the child and returns true when it is one of them.
    fn status(&mut self, name: &[u8], empty: bool, st: &mut Status) -> R<bool> {
        match name {
            b"result" => st.ok = self.text::<String>("result", empty)?.trim() == "ok",
            b"errorType" => {
                st.error_type = Some(ErrorType::parse(&self.text::<String>("errorType", empty)?))
            }
            b"error" => st.error = Some(self.text("error", empty)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `labelFormat` and `label`, in either order; a label exists once `<label>` was seen.
    fn label(
        &mut self,
        name: &[u8],
        empty: bool,
        format: &mut Option<String>,
        label: &mut Option<Label>,
    ) -> R<bool> {
        match name {
            b"labelFormat" => {
                let f: String = self.text("labelFormat", empty)?;
                if let Some(l) = label {
                    l.format = Some(f.clone());
                }
                *format = Some(f);
            }
            b"label" => {
                *label = Some(Label {
                    format: format.clone(),
                    base64: self.text("label", empty)?,
                })
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn address(&mut self, parent: &str, empty: bool) -> R<Address> {
        let mut a = Address::default();
        if !empty {
            self.children(parent, |p, name, empty| match name {
                b"name" => p.opt_text("name", empty, &mut a.name),
                b"companyName" => p.opt_text("companyName", empty, &mut a.company_name),
                b"addressLine1" => p.opt_text("addressLine1", empty, &mut a.address_line1),
                b"addressLine2" => p.opt_text("addressLine2", empty, &mut a.address_line2),
                b"city" => p.opt_text("city", empty, &mut a.city),
                b"state" => p.opt_text("state", empty, &mut a.state),
                b"zip" => p.opt_text("zip", empty, &mut a.zip),
                b"country" => p.opt_text("country", empty, &mut a.country),
                b"phone" => p.opt_text("phone", empty, &mut a.phone),
                b"email" => p.opt_text("email", empty, &mut a.email),
                _ => Ok(false),
            })?;
        }
        Ok(a)
    }

    // ---- command nodes ---------------------------------------------------------------------------------

    /// `<mailItem>` of createMailing / cancelMailing answers, and failing items in bag and day answers.
    pub(super) fn mail_item_result(&mut self, empty: bool) -> R<MailItemResult> {
        let mut m = MailItemResult::default();
        let mut format = None;
        if !empty {
            self.children("mailItem", |p, name, empty| {
                if p.status(name, empty, &mut m.status)?
                    || p.label(name, empty, &mut format, &mut m.label)?
                {
                    return Ok(true);
                }
                match name {
                    b"trackingNumber" => {
                        p.opt_text("trackingNumber", empty, &mut m.tracking_number)
                    }
                    b"shipperItemId" => p.opt_text("shipperItemId", empty, &mut m.shipper_item_id),
                    b"destinationBag" => {
                        p.opt_text("destinationBag", empty, &mut m.destination_bag)
                    }
                    b"isDutiable" => p.opt_text("isDutiable", empty, &mut m.is_dutiable),
                    b"conflictMailItem" => {
                        m.conflict = Some(p.mail_item_info("conflictMailItem", empty, false)?);
                        Ok(true)
                    }
                    _ => Ok(false),
                }
            })?;
        }
        Ok(m)
    }

    pub(super) fn bag_result(&mut self, empty: bool) -> R<BagResult> {
        let mut b = BagResult::default();
        let mut format = None;
        if !empty {
            self.children("bag", |p, name, empty| {
                if p.status(name, empty, &mut b.status)?
                    || p.label(name, empty, &mut format, &mut b.label)?
                {
                    return Ok(true);
                }
                match name {
                    b"bagId" => p.opt_text("bagId", empty, &mut b.bag_id),
                    b"shipperBagId" => p.opt_text("shipperBagId", empty, &mut b.shipper_bag_id),
                    b"conflictBag" => {
                        b.conflict = Some(p.bag_info("conflictBag", empty)?);
                        Ok(true)
                    }
                    b"mailItem" => {
                        b.items.push(p.mail_item_result(empty)?);
                        Ok(true)
                    }
                    _ => Ok(false),
                }
            })?;
        }
        Ok(b)
    }

    pub(super) fn day_result(&mut self, empty: bool) -> R<DayResult> {
        let mut d = DayResult::default();
        let mut format = None;
        if !empty {
            self.children("day", |p, name, empty| {
                if p.status(name, empty, &mut d.status)?
                    || p.label(name, empty, &mut format, &mut d.label)?
                {
                    return Ok(true);
                }
                match name {
                    b"dayId" => p.opt_text("dayId", empty, &mut d.day_id),
                    b"shipperDayId" => p.opt_text("shipperDayId", empty, &mut d.shipper_day_id),
                    b"conflictDay" => {
                        d.conflict = Some(p.day_info("conflictDay", empty)?);
                        Ok(true)
                    }
                    b"bag" => {
                        d.bags.push(p.bag_result(empty)?);
                        Ok(true)
                    }
                    b"mailItem" => {
                        d.items.push(p.mail_item_result(empty)?);
                        Ok(true)
                    }
                    _ => Ok(false),
                }
            })?;
        }
        Ok(d)
    }

    pub(super) fn info_result(&mut self, empty: bool) -> R<InfoResult> {
        let mut i = InfoResult::default();
        if !empty {
            self.children("info", |p, name, empty| {
                if p.status(name, empty, &mut i.status)? {
                    return Ok(true);
                }
                match name {
                    b"mailItem" => {
                        let item = p.mail_item_info("mailItem", empty, false)?;
                        if p.wants(item.tracking_number.as_deref()) {
                            i.items.push(item);
                        }
                    }
                    b"bag" => {
                        let bag = p.bag_info("bag", empty)?;
                        if p.wants(bag.bag_id.as_deref()) {
                            i.bags.push(bag);
                        }
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(i)
    }

    fn unit_failure(&mut self, empty: bool) -> R<UnitFailure> {
        let mut u = UnitFailure::default();
        if !empty {
            self.children("unit", |p, name, empty| {
                match name {
                    b"errorType" => {
                        u.error_type =
                            Some(ErrorType::parse(&p.text::<String>("errorType", empty)?))
                    }
                    b"error" => u.error = Some(p.text("error", empty)?),
                    b"unitId" => u.unit_id = Some(p.text("unitId", empty)?),
                    b"unitType" => u.unit_type = Some(p.text("unitType", empty)?),
                    b"conflictMailItem" => {
                        u.conflict_item =
                            Some(p.mail_item_info("conflictMailItem", empty, false)?)
                    }
                    b"conflictBag" => u.conflict_bag = Some(p.bag_info("conflictBag", empty)?),
                    b"conflictDay" => u.conflict_day = Some(p.day_info("conflictDay", empty)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(u)
    }

    pub(super) fn manifest_result(&mut self, empty: bool) -> R<ManifestResult> {
        let mut m = ManifestResult::default();
        let mut info = ManifestInfo::default();
        let mut info_seen = false;
        if !empty {
            self.children("manifest", |p, name, empty| {
                if p.status(name, empty, &mut m.status)? {
                    return Ok(true);
                }
                match name {
                    b"manifestId" => m.manifest_id = Some(p.text("manifestId", empty)?),
                    b"userManifestId" => {
                        m.user_manifest_id = Some(p.text("userManifestId", empty)?)
                    }
                    b"conflictManifest" => {
                        m.conflict = Some(p.manifest_info("conflictManifest", empty)?)
                    }
                    b"unit" => m.units.push(p.unit_failure(empty)?),
                    b"senderAddress" => m.sender_address = Some(p.address("senderAddress", empty)?),
                    b"receiverAddress" => {
                        m.receiver_address = Some(p.address("receiverAddress", empty)?)
                    }
                    b"manifestPart" => m.parts.push(p.manifest_part(empty)?),
                    // getManifest: the manifestInfo children stand inline (or in one wrapper).
                    _ => {
                        let consumed = p.manifest_info_field(name, empty, &mut info, false)?;
                        info_seen |= consumed;
                        return Ok(consumed);
                    }
                }
                Ok(true)
            })?;
        }
        if info_seen {
            // Inline manifestId/userManifestId serve both; a wrapped one fills the result's when missing.
            if info.manifest_id.is_none() {
                info.manifest_id.clone_from(&m.manifest_id);
            }
            if info.user_manifest_id.is_none() {
                info.user_manifest_id.clone_from(&m.user_manifest_id);
            }
            if m.manifest_id.is_none() {
                m.manifest_id.clone_from(&info.manifest_id);
            }
            if m.user_manifest_id.is_none() {
                m.user_manifest_id.clone_from(&info.user_manifest_id);
            }
            m.info = Some(info);
        }
        Ok(m)
    }

    fn manifest_part(&mut self, empty: bool) -> R<ManifestPartDetail> {
        let mut d = ManifestPartDetail::default();
        if !empty {
            self.children("manifestPart", |p, name, empty| {
                let part = &mut d.part;
                match name {
                    b"departureFacility" => {
                        part.departure_facility = p.text("departureFacility", empty)?
                    }
                    b"departureDate" => part.departure_date = p.text("departureDate", empty)?,
                    b"arrivalFacility" => {
                        part.arrival_facility = p.text("arrivalFacility", empty)?
                    }
                    b"arrivalDate" => part.arrival_date = p.text("arrivalDate", empty)?,
                    b"carrier" => part.carrier = p.text("carrier", empty)?,
                    b"tripNumber" => part.trip_number = p.text("tripNumber", empty)?,
                    b"unit" => {
                        let mut id = None;
                        if !empty {
                            p.children("unit", |p, name, empty| match name {
                                b"unitId" => p.opt_text("unitId", empty, &mut id),
                                _ => Ok(false),
                            })?;
                        }
                        part.units.push(id.unwrap_or_default());
                    }
                    b"numItems" => d.num_items = Some(p.text("numItems", empty)?),
                    b"numBags" => d.num_bags = Some(p.text("numBags", empty)?),
                    b"numDays" => d.num_days = Some(p.text("numDays", empty)?),
                    b"weight" => d.weight = Some(p.text("weight", empty)?),
                    b"weightUnitOfMeasure" => {
                        d.weight_unit = Some(p.text("weightUnitOfMeasure", empty)?)
                    }
                    b"mailItem" | b"bag" | b"day" if p.counts_only => return Ok(false),
                    b"mailItem" => d.items.push(p.mail_item(empty)?),
                    b"bag" => d.bags.push(p.bag_info("bag", empty)?),
                    b"day" => d.days.push(p.day_info("day", empty)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(d)
    }

    /// A full `<mailItem>` as sent in createMailing (inside getManifest parts).
    fn mail_item(&mut self, empty: bool) -> R<MailItem> {
        let mut m = MailItem::default();
        if !empty {
            self.children("mailItem", |p, name, empty| {
                match name {
                    b"trackingNumber" => m.tracking_number = Some(p.text("trackingNumber", empty)?),
                    b"shipperItemId" => m.shipper_item_id = Some(p.text("shipperItemId", empty)?),
                    b"displayItemId" => m.display_item_id = Some(p.text("displayItemId", empty)?),
                    b"consignee" => m.consignee = p.address("consignee", empty)?,
                    b"shipper" => m.shipper = Some(p.address("shipper", empty)?),
                    b"returnAddress" => m.return_address = Some(p.address("returnAddress", empty)?),
                    b"value" => m.value = p.text("value", empty)?,
                    b"currency" => m.currency = p.text("currency", empty)?,
                    b"weight" => m.weight = p.text("weight", empty)?,
                    b"weightUnitOfMeasure" => {
                        m.weight_unit = p.text("weightUnitOfMeasure", empty)?
                    }
                    b"dimensions" => m.dimensions = Some(p.dimensions(empty)?),
                    b"product" => m.products.push(p.product(empty)?),
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(m)
    }

    fn dimensions(&mut self, empty: bool) -> R<Dimensions> {
        let mut d = Dimensions::default();
        if !empty {
            self.children("dimensions", |p, name, empty| {
                match name {
                    b"length" => d.length = p.text("length", empty)?,
                    b"width" => d.width = p.text("width", empty)?,
                    b"height" => d.height = p.text("height", empty)?,
                    b"dimensionsUnitOfMeasure" => {
                        d.unit = p.text("dimensionsUnitOfMeasure", empty)?
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(d)
    }

    fn product(&mut self, empty: bool) -> R<Product> {
        let mut x = Product::default();
        if !empty {
            self.children("product", |p, name, empty| {
                match name {
                    b"countryOfOrigin" => {
                        x.country_of_origin = Some(p.text("countryOfOrigin", empty)?)
                    }
                    b"harmonizationCode" => {
                        x.harmonization_code = p.text("harmonizationCode", empty)?
                    }
                    b"description" => x.description = p.text("description", empty)?,
                    b"manufacturerCode" => {
                        x.manufacturer_code = Some(p.text("manufacturerCode", empty)?)
                    }
                    b"sku" => x.sku = Some(p.text("sku", empty)?),
                    b"quantity" => x.quantity = p.text("quantity", empty)?,
                    b"unitValue" => x.unit_value = Some(p.text("unitValue", empty)?),
                    b"value" => x.value = Some(p.text("value", empty)?),
                    b"weight" => x.weight = Some(p.text("weight", empty)?),
                    b"priorNoticeFilingNumber" => {
                        x.prior_notice_filing_number =
                            Some(p.text("priorNoticeFilingNumber", empty)?)
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            })?;
        }
        Ok(x)
    }
}
