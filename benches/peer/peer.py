#!/usr/bin/env python3
"""The peer pipeline: what a shipper's IT team writes without mawb, for side-by-side figures.

`python peer.py BATCH --out DIR --engine openpyxl|calamine` reads every MAWB folder of BATCH the pandas way
(`read_excel` with the chosen engine, `read_csv` for text files), groups the product rows into parcels,
converts units and totals weights, bags and units, and writes the same requests as
`mawb prepare BATCH --out DIR`: for each MAWB a subfolder with the createMailing batches, createBag per
bag, createDay, createManifest with the MAWB scan and the generated HAWB file attached as base64 (lxml
builds the XML), a `.params` file beside each request, the HAWB file itself and `summary.json`.

What it leaves out is what a pandas script leaves out: mawb's validation rules (codes, lengths, check
digits, postal formats, screening, dangerous goods...), hidden sheets and rows, totals rows, number formats
of code cells, csv dialect sniffing and encodings other than UTF-8. It reads the first sheet of a workbook
and comma-separated UTF-8 text. Everything the requests carry is computed as mawb computes it: exact
decimals (money with at least 2 decimals, weights in kg rounded half away from zero to grams, dimensions
in metres), parcels keyed by trackingNumber else shipperItemId, bags in order of first appearance.

Single process, no parallelism: the way such a script runs.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
ROOT = "shippingApiRequest"
ROOT_OPEN, ROOT_CLOSE = b"<" + ROOT.encode() + b">", b"</" + ROOT.encode() + b">"
ENVELOPE = len(DECLARATION) + len(ROOT_OPEN) + len(ROOT_CLOSE)
BATCH_ITEMS, BATCH_BYTES = 500, 1_000_000  # ACP advice, as mawb's defaults
DATA_LIMIT, IMAGE_LIMIT, FILE_LIMIT = 49_999_000, 12_000_000, 20_000_000
APIKEY_NOTE = "# apikey is added at send time from the environment and never written\n"

KG_PER_LB = Decimal("0.45359237")
GRAM, CENT = Decimal("0.001"), Decimal("0.01")
TO_METRES = {"m": Decimal(1), "cm": Decimal("0.01"), "in": Decimal("0.0254")}
WEIGHT_UNITS = {"kg": "kg", "kgs": "kg", "kilogram": "kg", "kilograms": "kg",
                "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb"}
DIM_UNITS = {"m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
             "cm": "cm", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm",
             "centimetres": "cm", "in": "in", "inch": "in", "inches": "in", '"': "in"}

ADDRESS = ["Name", "Company", "Address1", "Address2", "City", "State", "Zip", "Country", "Phone", "Email"]
ADDRESS_TAGS = ["name", "companyName", "addressLine1", "addressLine2", "city", "state", "zip", "country",
                "phone", "email"]
ITEM_COLUMNS = (["trackingNumber", "shipperItemId", "displayItemId"]
                + [p + a for p in ("consignee", "shipper", "return") for a in ADDRESS]
                + ["value", "currency", "weight", "weightUnit", "length", "width", "height",
                   "dimensionUnit", "bag"])
PRODUCT_COLUMNS = ["productDescription", "hts", "quantity", "unitValue", "productValue", "productWeight",
                   "countryOfOrigin", "sku", "manufacturerCode"]
UPPER = {"consigneeState", "consigneeCountry", "shipperState", "shipperCountry", "returnState",
         "returnCountry", "currency", "countryOfOrigin"}

# Header spellings: case, spaces, `_`, `-` and `.` ignored, plus the usual export aliases.
ALIASES = {
    **{c.lower(): c for c in ITEM_COLUMNS + PRODUCT_COLUMNS},
    "hawb": "trackingNumber", "hawbnumber": "trackingNumber", "hawbno": "trackingNumber",
    "tracking": "trackingNumber", "trackingno": "trackingNumber", "tracking#": "trackingNumber",
    "harmonizationcode": "hts", "htscode": "hts", "hscode": "hts",
    "description": "productDescription", "itemdescription": "productDescription",
    "qty": "quantity", "wt": "weight", "grossweight": "weight", "grosswt": "weight",
    "parcelweight": "weight", "declaredvalue": "value", "totalvalue": "value",
    "consigneeaddressline1": "consigneeAddress1", "consigneeaddress": "consigneeAddress1",
    "consigneeaddressline2": "consigneeAddress2", "consigneecompanyname": "consigneeCompany",
    "consigneepostalcode": "consigneeZip", "consigneepostcode": "consigneeZip",
    "consigneezipcode": "consigneeZip", "consigneeprovince": "consigneeState",
    "bagid": "bag", "shipperbagid": "bag", "origincountry": "countryOfOrigin", "coo": "countryOfOrigin",
    "dimensionsunitofmeasure": "dimensionUnit", "dimunit": "dimensionUnit",
    "weightunitofmeasure": "weightUnit", "uom": "weightUnit",
}
HEADER_NOISE = re.compile(r"[ _\-.\t\u00a0]")

# The HAWB file's columns and which of them are text (made inert against spreadsheet formulas).
MANIFEST_COLUMNS = ["mawb", "trackingNumber", "shipperItemId", "bag", "consigneeName", "consigneeCompany",
                    "consigneeAddress1", "consigneeAddress2", "consigneeCity", "consigneeState",
                    "consigneeZip", "consigneeCountry", "consigneePhone", "consigneeEmail", "itemValue",
                    "currency", "itemWeightKg", "productDescription", "hts", "quantity", "unitValue",
                    "productValue", "productWeightKg", "countryOfOrigin", "sku"]
# A field is written unquoted only when it reads as a number (the Rust csv writer's "non-numeric" style).
NUMERIC = r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN])"

IMAGE_MAGIC = [(b"%PDF", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPG"), (b"BM", "BMP"),
               (b"II*\x00", "TIF"), (b"MM\x00*", "TIF"), (b"\xd0\xcf\x11\xe0", "XLS")]
IMAGE_EXTENSIONS = {".pdf", ".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".doc", ".xls"}
SHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_EXTENSIONS = {".csv", ".txt"}


class PeerError(Exception):
    """Input the peer cannot turn into requests (it stops there, as a script would)."""


# ---------------------------------------------------------------------------------------------- reading

def read_sheet(path: Path, engine: str) -> pd.DataFrame:
    """One HAWB file as strings, canonical column names, blanks as NA."""
    if path.suffix.lower() in TEXT_EXTENSIONS:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    else:
        df = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False, na_values=[""],
                           engine=engine)
    df.columns = [ALIASES.get(HEADER_NOISE.sub("", str(h)).lower(), str(h)) for h in df.columns]
    df = df.loc[:, [c for c in df.columns if c in ALIASES.values()]]
    for c in df.columns:
        df[c] = df[c].str.strip().replace("", pd.NA)
    return df


def read_config(folder: Path) -> dict:
    with open(folder / "mawb.toml", "rb") as f:
        c = tomllib.load(f, parse_float=Decimal)
    digits = re.sub(r"\D", "", str(c["manifest_number"]))
    if len(digits) != 11:
        raise PeerError(f"{folder / 'mawb.toml'}: manifest_number {c['manifest_number']!r} is not a MAWB number")
    c["manifest_number"] = f"{digits[:3]}-{digits[3:]}"
    return c


def find_image(folder: Path, config: dict) -> tuple[bytes, str]:
    if config.get("image"):
        path = folder / str(config["image"]).strip()
    else:
        found = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS]
        if len(found) != 1:
            raise PeerError(f"{folder}: name the MAWB scan with image = \"...\" in mawb.toml")
        path = found[0]
    data = path.read_bytes()
    kind = next((k for magic, k in IMAGE_MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise PeerError(f"{path}: not a scan the manifest can carry")
    return data, kind


# ---------------------------------------------------------------------------------------------- numbers

def money(text: str) -> str:
    """At least 2 decimals (`100.50`), more only when given (`0.125`)."""
    d = Decimal(text)
    n = d.normalize()
    return str(d.quantize(CENT, ROUND_HALF_UP)) if n.as_tuple().exponent >= -2 else f"{n:f}"


def grams(d: Decimal) -> str:
    return str(d.quantize(GRAM, ROUND_HALF_UP))


def metres(text: str, unit: str) -> str:
    d = (Decimal(text) * TO_METRES[unit]).quantize(GRAM, ROUND_HALF_UP).normalize()
    return f"{d:f}"


def text_or_none(s: pd.Series) -> list:
    return s.astype(object).where(s.notna(), None).tolist()


# ---------------------------------------------------------------------------------------------- one MAWB

class Mawb:
    """One MAWB folder read into item and product frames, every wire value already a string."""

    def __init__(self, folder: Path, engine: str):
        self.folder = folder
        self.config = read_config(folder)
        self.number = self.config["manifest_number"]
        self.image, self.image_kind = find_image(folder, self.config)
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(("~$", ".~lock"))
                       and p.suffix.lower() in SHEET_EXTENSIONS | TEXT_EXTENSIONS)
        frames = [read_sheet(p, engine).assign(_file=n) for n, p in enumerate(files)]
        if not frames:
            raise PeerError(f"{folder}: no HAWB spreadsheet")
        rows = pd.concat(frames, ignore_index=True)
        for c in ITEM_COLUMNS + PRODUCT_COLUMNS:
            if c not in rows:
                rows[c] = pd.Series(pd.NA, index=rows.index, dtype="str")
        # A row without a key continues the parcel above it (in its own file).
        key = rows["trackingNumber"].fillna(rows["shipperItemId"])
        rows["_key"] = key.groupby(rows["_file"]).ffill()
        rows = rows[rows["_key"].notna()].reset_index(drop=True)
        grouped = rows.groupby(["_file", "_key"], sort=False)
        rows["_item"] = grouped.ngroup()
        items = grouped[ITEM_COLUMNS].first().reset_index(drop=True)  # first non-blank of each field
        for c in UPPER & set(items.columns):
            items[c] = items[c].str.upper()
        rows["countryOfOrigin"] = rows["countryOfOrigin"].str.upper()
        self.items, self.products = self._item_values(items), self._product_values(rows)

    def _item_values(self, items: pd.DataFrame) -> pd.DataFrame:
        wu = items["weightUnit"].str.lower().map(WEIGHT_UNITS).fillna("kg")
        items["weightKg"] = [None if w is None else grams(Decimal(w) * (KG_PER_LB if u == "lb" else 1))
                             for w, u in zip(text_or_none(items["weight"]), wu)]
        items["valueText"] = items["value"].map(money, na_action="ignore")
        du = items["dimensionUnit"].str.lower().map(DIM_UNITS).fillna("m")
        has_dims = items[["length", "width", "height"]].notna().all(axis=1)
        for c in ("length", "width", "height"):
            items[c + "M"] = [metres(v, u) if ok else None for v, u, ok in zip(items[c], du, has_dims)]
        # Bags in order of first appearance, each with its parcels in order.
        self.bag_members = items.groupby("bag", sort=False).indices
        self.bags = list(self.bag_members)
        return items

    def _product_values(self, rows: pd.DataFrame) -> pd.DataFrame:
        p = rows[["_item"] + PRODUCT_COLUMNS].copy()
        p["quantity"] = p["quantity"].map(lambda t: str(int(Decimal(t))), na_action="ignore")
        for c in ("unitValue", "productValue"):
            p[c] = p[c].map(money, na_action="ignore")
        p["productWeight"] = p["productWeight"].map(lambda t: grams(Decimal(t)), na_action="ignore")
        return p

    # ------------------------------------------------------------------------------------- aggregates

    @property
    def loose(self) -> pd.Series:
        return self.items["bag"].isna()

    def weight_kg(self) -> Decimal:
        return sum((Decimal(w) for w in self.items["weightKg"].dropna()), Decimal(0))

    def declared_weight(self) -> tuple[str, str]:
        w = self.config.get("declared_weight")
        if w is not None:
            return grams(Decimal(str(w))), WEIGHT_UNITS[str(self.config.get("weight_unit", "kg")).strip().lower()]
        return grams(self.weight_kg()), "kg"

    def shipping_units(self) -> int:
        return len(self.bags) + int(self.loose.sum())


# ---------------------------------------------------------------------------------------------- XML

def sub(parent, tag: str, text) -> None:
    if text is not None:
        etree.SubElement(parent, tag).text = text


def serialise(element) -> bytes:
    """The element as ACP gets it: UTF-8, compact, quotes escaped in text (no attributes are written)."""
    return etree.tostring(element, encoding="UTF-8").replace(b'"', b"&quot;").replace(b"'", b"&apos;")


def request(*elements) -> bytes:
    return DECLARATION + ROOT_OPEN + b"".join(serialise(e) for e in elements) + ROOT_CLOSE


def item_ref(parent, tracking, shipper_item_id) -> None:
    ref = etree.SubElement(parent, "mailItem")
    sub(ref, "trackingNumber", tracking)
    sub(ref, "shipperItemId", shipper_item_id)


def mail_items(m: Mawb) -> list[bytes]:
    """Each parcel's `<mailItem>` element as written inside a createMailing request."""
    it = m.items
    cols = it.astype(object).where(it.notna(), None).to_dict("list")
    groups = [(p + "Name", p, tag) for p, tag in (("consignee", "consignee"), ("shipper", "shipper"),
                                                     ("return", "returnAddress"))]
    prods = m.products.sort_values("_item", kind="stable")
    starts = np.searchsorted(prods["_item"].to_numpy(), np.arange(len(it) + 1))
    prod_rows = list(zip(*(text_or_none(prods[c]) for c in
                           ("countryOfOrigin", "hts", "productDescription", "manufacturerCode", "sku",
                            "quantity", "unitValue", "productValue", "productWeight"))))
    product_tags = ("countryOfOrigin", "harmonizationCode", "description", "manufacturerCode", "sku",
                    "quantity", "unitValue", "value", "weight")
    out = []
    for i in range(len(it)):
        mi = etree.Element("mailItem")
        sub(mi, "trackingNumber", cols["trackingNumber"][i])
        sub(mi, "shipperItemId", cols["shipperItemId"][i])
        sub(mi, "displayItemId", cols["displayItemId"][i])
        for _, prefix, tag in groups:
            fields = [cols[prefix + a][i] for a in ADDRESS]
            if tag == "consignee" or any(f is not None for f in fields):
                a = etree.SubElement(mi, tag)
                for t, v in zip(ADDRESS_TAGS, fields):
                    sub(a, t, v)
        sub(mi, "value", cols["valueText"][i] or "")
        sub(mi, "currency", cols["currency"][i] or "")
        sub(mi, "weight", cols["weightKg"][i] or "")
        sub(mi, "weightUnitOfMeasure", "kg")
        if cols["lengthM"][i] is not None:
            d = etree.SubElement(mi, "dimensions")
            sub(d, "length", cols["lengthM"][i])
            sub(d, "width", cols["widthM"][i])
            sub(d, "height", cols["heightM"][i])
            sub(d, "dimensionsUnitOfMeasure", "m")
        for row in prod_rows[starts[i]:starts[i + 1]]:
            p = etree.SubElement(mi, "product")
            for tag, v in zip(product_tags, row):
                if v is not None or tag in ("harmonizationCode", "description", "quantity"):
                    sub(p, tag, v or "")
        out.append(serialise(mi))
    return out


def batches(sizes: list[int]) -> list[list[int]]:
    """Greedy label=0 batches: at most 500 parcels and about 1 MB each, in parcel order."""
    out, cur, length = [], [], ENVELOPE
    for i, size in enumerate(sizes):
        if cur and (len(cur) >= BATCH_ITEMS or length + size > BATCH_BYTES):
            out.append(cur)
            cur, length = [], ENVELOPE
        length += size
        cur.append(i)
    if cur:
        out.append(cur)
    return out


def fit_id(text: str) -> str:
    """ACP's ids are at most 50 characters: a prefix and a hash of the whole when longer."""
    if len(text) <= 50:
        return text
    return f"{text[:37]}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def bag_request(m: Mawb, b: int, bag: str, refs: list[tuple]) -> bytes:
    e = etree.Element("bag")
    sub(e, "shipperBagId", fit_id(f"{m.number}-{bag}"))
    sub(e, "comment", fit_id(f"{m.number} bag {b + 1} of {len(m.bags)}"))
    for i in m.bag_members[bag]:
        item_ref(e, *refs[i])
    return request(e)


def day_request(m: Mawb, refs: list[tuple]) -> bytes:
    e = etree.Element("day")
    sub(e, "shipperDayId", f"{m.number}-DAY")
    for bag in m.bags:
        sub(etree.SubElement(e, "bag"), "shipperBagId", fit_id(f"{m.number}-{bag}"))
    for i in np.flatnonzero(m.loose.to_numpy()):
        item_ref(e, *refs[i])
    return request(e)


NUMBER = re.compile(NUMERIC)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value, text: bool) -> str:
    """One CSV cell: text made inert against spreadsheet formulas (a leading `'` before `=`, `+`, `-`, `@`,
    tab, CR), and quoted unless it reads as a number (the Rust csv writer's "non-numeric" style)."""
    if value is None or value != value:
        return '""'
    if text and value.startswith(FORMULA_START):
        value = "'" + value
    return value if NUMBER.fullmatch(value) else '"' + value.replace('"', '""') + '"'


def cells(s: pd.Series, text: bool = True) -> pd.Series:
    return s.astype(object).map(lambda v: cell(v, text))


def manifest_file(m: Mawb) -> bytes:
    """The HAWB file attached to createManifest: one CSV row per product line, the parcel's fields first."""
    it, p = m.items, m.products
    number = cells(pd.Series([m.number]))[0]
    item_fields = [("trackingNumber", False), ("shipperItemId", True), ("bag", True),
                   *[("consignee" + a, True) for a in ADDRESS], ("valueText", False), ("currency", True),
                   ("weightKg", False)]
    first = [cells(it[c], text) for c, text in item_fields]
    parcel = (number + "," + first[0].str.cat(first[1:], sep=",")).take(p["_item"].to_numpy())
    product_fields = [("productDescription", True), ("hts", True), ("quantity", False), ("unitValue", False),
                      ("productValue", False), ("productWeight", False), ("countryOfOrigin", True),
                      ("sku", True)]
    rest = [cells(p[c], text) for c, text in product_fields]
    lines = parcel.to_numpy() + "," + rest[0].str.cat(rest[1:], sep=",").to_numpy()
    header = ",".join(f'"{c}"' for c in MANIFEST_COLUMNS)
    return ("\r\n".join([header, *lines]) + "\r\n").encode("utf-8")


def attachment(parent, tag: str, name: str, data: bytes) -> None:
    a = etree.SubElement(parent, tag)
    sub(a, "name", name)
    sub(a, "data", base64.b64encode(data).decode("ascii"))


def part_date(d: str) -> str:
    return d[:-1] + "+00:00" if d.endswith("Z") else d


def manifest_request(m: Mawb, file_name: str, file_data: bytes) -> tuple[bytes, dict]:
    c = m.config
    weight, uom = m.declared_weight()
    if c.get("create_day", False):
        units = [f"{{dayId:{m.number}-DAY}}"]
    else:
        loose = m.items[m.loose]
        units = [f"{{bagId:{fit_id(f'{m.number}-{b}')}}}" for b in m.bags] + [
            tn if tn is not None else f"{{trackingNumber:{sid or '?'}}}"
            for tn, sid in zip(text_or_none(loose["trackingNumber"]), text_or_none(loose["shipperItemId"]))]
    e = etree.Element("manifest")
    sub(e, "userManifestId", str(c.get("user_manifest_id") or m.number).strip())
    sub(e, "manifestNumber", m.number)
    sub(e, "shippingUnits", str(m.shipping_units()))
    sub(e, "userDefinedWeight", weight)
    sub(e, "userDefinedWeightUOM", uom)
    image_name = f"{m.number}.{m.image_kind}"
    attachment(e, "manifestImage", image_name, m.image)
    attachment(e, "manifestFile", file_name, file_data)
    sub(e, "alertEmail", str(c["alert_email"]).strip() if c.get("alert_email") else None)
    for leg in c.get("leg", []):
        part = etree.SubElement(e, "manifestPart")
        for tag, key in (("departureFacility", "departure"), ("departureDate", "departure_date"),
                         ("arrivalFacility", "arrival"), ("arrivalDate", "arrival_date"),
                         ("carrier", "carrier"), ("tripNumber", "trip")):
            v = str(leg[key]).strip()
            sub(part, tag, part_date(v) if key.endswith("_date") else v)
        for u in units:
            sub(etree.SubElement(part, "unit"), "unitId", u)
    data = request(e)
    element = lambda tag, name, n: (  # noqa: E731 - bytes of an attachment element
        len(f"<{tag}><name>{name}</name><data></data></{tag}>") + (n + 2) // 3 * 4)
    unit_bytes = sum(len(f"<unit><unitId>{u}</unitId></unit>".encode()) for u in units) * len(c.get("leg", []))
    image_bytes = element("manifestImage", image_name, len(m.image))
    file_bytes = element("manifestFile", file_name, len(file_data))
    breakdown = {"image": image_bytes, "file": file_bytes, "units": unit_bytes,
                 "rest": len(data) - image_bytes - file_bytes - unit_bytes, "total": len(data)}
    return data, {"units": units, "breakdown": breakdown, "image_name": image_name}


# ---------------------------------------------------------------------------------------------- prepare

def flag(b) -> str:
    return "1" if b else "0"


def prepare(m: Mawb, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    c = m.config
    label_format = str(c.get("label_format", "PNG")).upper()
    requests = []

    def write(name: str, command: str, params: list[tuple[str, str]], data: bytes, items: int) -> None:
        seq = len(requests) + 1
        file = f"{seq:03d}-{name}.xml"
        (out / file).write_bytes(data)
        pairs = [("command", command), ("testMode", "0"), *params]
        (out / f"{seq:03d}-{name}.params").write_text(
            "".join(f"{k}={v}\n" for k, v in pairs) + APIKEY_NOTE, encoding="utf-8")
        requests.append({"seq": seq, "command": command, "file": file, "params": [list(p) for p in pairs],
                         "bytes": len(data), "items": items})

    frags = mail_items(m)
    has_tn = m.items["trackingNumber"].notna().to_numpy()
    with_tn = [i for i in range(len(frags)) if has_tn[i]]
    groups = batches([len(frags[i]) for i in with_tn])
    for k, batch in enumerate(groups, 1):
        data = DECLARATION + ROOT_OPEN + b"".join(frags[with_tn[i]] for i in batch) + ROOT_CLOSE
        name = f"createMailing-batch{k}" if len(groups) > 1 else "createMailing-batch"
        write(name, "createMailing", [("label", "0")], data, len(batch))
    labelled = [("label", str(c.get("label", 0))), ("labelFormat", label_format)]
    if c.get("label_size"):
        labelled.append(("labelSize", str(c["label_size"])))
    for key in ("express_clearance", "ddp"):
        if key in c:
            labelled.append(({"express_clearance": "expressClearance"}.get(key, key), flag(c[key])))
    sids = text_or_none(m.items["shipperItemId"])
    refs = list(zip(text_or_none(m.items["trackingNumber"]), sids))  # how bags and the day name a parcel
    for i in np.flatnonzero(~has_tn):
        write(f"createMailing-label-{file_safe(sids[i] or '')}", "createMailing", labelled, request_of(frags[i]), 1)
    bag_labels, day_label = bool(c.get("bag_labels", False)), bool(c.get("day_label", False))
    airport = [("airport", str(c["airport"]).strip())] if c.get("airport") else []
    for b, bag in enumerate(m.bags):
        params = [("label", flag(bag_labels))] + ([("labelFormat", label_format)] if bag_labels else [])
        write(f"createBag-{file_safe(bag)}", "createBag", params + airport, bag_request(m, b, bag, refs),
              len(m.bag_members[bag]))
    if c.get("create_day", False):
        params = [("label", flag(day_label))]
        if day_label or bag_labels:
            params.append(("labelFormat", label_format))
        params.append(("bagLabels", flag(bag_labels and day_label)))
        write("createDay", "createDay", params + airport, day_request(m, refs), len(m.items))

    file_data = manifest_file(m)
    file_name = f"{m.number}.csv"
    data, info = manifest_request(m, file_name, file_data)
    if len(file_data) > FILE_LIMIT or len(data) >= DATA_LIMIT or len(m.image) > IMAGE_LIMIT:
        raise PeerError(f"{m.folder}: the manifest needs its file zipped or split, which this peer does not do")
    (out / file_name).write_bytes(file_data)
    write("createManifest", "createManifest", [], data, len(m.items))

    weight, uom = m.declared_weight()
    summary = {
        "manifest_number": m.number,
        "user_manifest_id": str(c.get("user_manifest_id") or m.number).strip(),
        "out_dir": str(out),
        "items": len(m.items),
        "product_lines": len(m.products),
        "bags": len(m.bags),
        "loose_items": int(m.loose.sum()),
        "shipping_units": m.shipping_units(),
        "weight_kg": grams(m.weight_kg()),
        "declared_weight": weight,
        "declared_weight_unit": uom,
        "legs": len(c.get("leg", [])),
        "requests": requests,
        "manifest_file": file_name,
        "data": {"bytes": len(data), "limit": DATA_LIMIT, "fits": len(data) < DATA_LIMIT},
        "image": {"bytes": len(m.image), "limit": IMAGE_LIMIT, "fits": len(m.image) <= IMAGE_LIMIT},
        "file": {"bytes": len(file_data), "limit": FILE_LIMIT, "fits": len(file_data) <= FILE_LIMIT},
        "breakdown": info["breakdown"],
        "placeholders": sum(u.startswith("{") for u in info["units"]) if c.get("leg") else 0,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")


def file_safe(name: str) -> str:
    """An id as part of a file name: ASCII letters, digits, `-`, `_`, `.`; others as `_`; 60 at most."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:60] or "_"


def request_of(fragment: bytes) -> bytes:
    return DECLARATION + ROOT_OPEN + fragment + ROOT_CLOSE


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("batch", type=Path, help="a batch folder: one subfolder per MAWB")
    ap.add_argument("--out", type=Path, required=True, help="where to write the requests")
    ap.add_argument("--engine", choices=("openpyxl", "calamine"), default="openpyxl",
                    help="pandas' read_excel engine for workbooks")
    args = ap.parse_args(argv)
    folders = sorted(p for p in args.batch.iterdir()
                     if p.is_dir() and not p.name.startswith(".") and (p / "mawb.toml").is_file())
    if not folders:
        print(f"peer: {args.batch} holds no MAWB folder (a subfolder with mawb.toml)", file=sys.stderr)
        return 2
    try:
        for folder in folders:
            prepare(Mawb(folder, args.engine), args.out / folder.name)
    except (PeerError, OSError, KeyError, ValueError, ArithmeticError) as e:
        print(f"peer: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
